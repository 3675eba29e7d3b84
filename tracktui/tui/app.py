"""The Textual application and the one factory every entry point uses to build it.

``tracktui``, ``tracktui demo``, the tests, the snapshot tests and the
benchmark all call :func:`build_app`, so they exercise the same app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App

from tracktui.resources import stylesheet
from tracktui.tui.options import AppOptions
from tracktui.tui.palette import TracktuiCommands
from tracktui.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from tracktui.cache import Cache


class TracktuiApp(App[int]):
    """Login (when no source is given), then the main screen."""

    CSS_PATH: ClassVar = str(stylesheet("app.tcss"))
    COMMANDS: ClassVar = App.COMMANDS | {TracktuiCommands}

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.cache: Cache | None = None
        self.title = options.title

    def on_mount(self) -> None:
        if self.options.needs_login:
            from tracktui.tui.screens.login import LoginScreen

            self.push_screen(LoginScreen(self.options))
        else:
            self.push_screen(MainScreen(self.options))

    def open_main(self, options: AppOptions, cache: Cache) -> None:
        """Leave the login screen for the main screen on what the login found."""
        self.options = options
        self.cache = cache
        self.switch_screen(MainScreen(options, cache=cache))

    def close_cache(self) -> None:
        """Close the cache (after the app has stopped; closing is quick but still I/O)."""
        if self.cache is not None:
            self.cache.close()
            self.cache = None


def tracktui_app(app: App[object] | App[int]) -> TracktuiApp:
    """``app`` as the :class:`TracktuiApp` it is: screens reach the app's cache and methods typed."""
    if not isinstance(app, TracktuiApp):
        raise TypeError(f"tracktui's screens run inside TracktuiApp, not {type(app).__name__}")
    return app


def build_app(options: AppOptions) -> TracktuiApp:
    """The app for these options: what the CLI runs and what the tests drive."""
    return TracktuiApp(options)
