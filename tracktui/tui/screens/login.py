"""The login screen: pick a saved profile or type ``user@host[:port]``, connect, first sync, then the main screen.

Connecting and the first sync run in one thread worker (SSH and SQLite never
touch the event loop), with a progress bar per source. A failure is shown
as one line of plain text under the fields and the user can fix and retry.
An unknown host key opens :class:`~tracktui.tui.screens.hostkey.HostKeyScreen`;
accepting retries with ``accept_new_host_key``. A changed key is refused
with the warning the source layer words. The Key file field names a private
key tried right after the agent; the Password field doubles as that key's
passphrase. Passwords live only in the field and in the auth callback of one
attempt; a saved profile keeps the key file's path, never a password.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tracktui.config import Profile, ProfileError, load_config, profile_from_values, save_config
from tracktui.errors import TracktuiError
from tracktui.tui import messages as msg
from tracktui.tui.render import safe
from tracktui.tui.widgets.sync_bar import SyncBar

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.sources import AuthCallbacks
    from tracktui.sync import SyncProgress
    from tracktui.tui.options import AppOptions

DEFAULT_PATHS = "/var/log/mail.log*"
_TARGET_RE = re.compile(r"^(?:[^@\s/]+@)?[A-Za-z0-9_.:\[\]-]+$")
_FIELDS = ("target", "paths", "identity")
"""Inputs that :class:`FieldError` can mark."""
_KEY_FIELDS = {"paths": "paths", "identity_file": "identity", "target": "target"}
"""Which input a config key lives in."""


class FieldError(TracktuiError):
    """What is wrong with one field of the login form; the field is marked and focused."""

    def __init__(self, field: str, words: str) -> None:
        super().__init__(words)
        self.field = field


def check_key_file(typed: str) -> str:
    """The key file path to keep: ``~/...`` as typed, a relative path made absolute; :class:`FieldError` if unusable.

    Checked before connecting so a typo is reported at the field, not as a failed login.
    """
    path = Path(typed).expanduser()
    if not path.exists():
        raise FieldError("identity", f"key file {typed}: no such file; check the path")
    if not path.is_file():
        raise FieldError("identity", f"key file {typed}: not a file; name the private key, e.g. ~/.ssh/id_ed25519")
    if not os.access(path, os.R_OK):
        raise FieldError("identity", f"key file {typed}: permission denied; it must be readable by you")
    return typed if typed.startswith("~") or path.is_absolute() else str(path.absolute())


class LoginScreen(Screen[None]):
    """Where ``tracktui`` without sources starts."""

    BINDINGS = [
        Binding("ctrl+s", "save_profile", "Save profile"),
        Binding("f1", "help", "Help"),
        Binding("escape", "quit", "Quit"),
    ]

    def __init__(self, options: AppOptions) -> None:
        super().__init__()
        self.options = options
        self.profiles: dict[str, Profile] = {}
        self.cache: Cache | None = None
        self.connecting: Profile | None = None
        self.auth: AuthCallbacks | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="login-box"):
            yield Static(Text("Connect to a mail host", style="bold"), id="login-title")
            yield Label(Text("Saved profiles (Enter connects):", style="dim"), id="profiles-label")
            yield OptionList(id="profiles")
            with Horizontal(classes="login-row"):
                yield Label("Host", classes="login-label")
                yield Input(placeholder="user@host[:port] or an ~/.ssh/config alias", id="target")
            with Horizontal(classes="login-row"):
                yield Label("Log files", classes="login-label")
                yield Input(DEFAULT_PATHS, placeholder="/var/log/mail.log*", id="paths")
            with Horizontal(classes="login-row"):
                yield Label("Key file", classes="login-label")
                yield Input(placeholder="optional private key, e.g. ~/keys/mx_ed25519", id="identity")
            with Horizontal(classes="login-row"):
                yield Label("Password", classes="login-label")
                yield Input(placeholder="password or key passphrase (never saved)", password=True, id="password")
            with Horizontal(classes="login-row"):
                yield Label("Profile name", classes="login-label")
                yield Input(placeholder="name to save these settings under (never the password)", id="name")
            with Horizontal(id="login-buttons"):
                yield Button("Connect", id="connect", variant="primary")
                yield Button("Save profile", id="save")
            yield Static("", id="login-error")
            yield SyncBar(id="login-progress")
        yield Footer()

    def on_mount(self) -> None:
        config = load_config(self.options.config_path)
        self.profiles = dict(config.profiles)
        options = self.query_one("#profiles", OptionList)
        for name, profile in sorted(self.profiles.items()):
            label = Text(safe(name, limit=60), style="bold")
            label.append(f"  {safe(profile.target, limit=80)}", style="dim")
            options.add_option(Option(label, id=name))
        if self.profiles:
            options.highlighted = 0
            options.focus()
        else:
            self.query_one("#profiles-label").display = False
            options.display = False
            self.query_one("#target", Input).focus()

    # -- what the fields say --------------------------------------------------------------

    def typed_profile(self) -> Profile:
        """A profile from the fields; :class:`FieldError` says which field is wrong."""
        target = self.query_one("#target", Input).value.strip()
        if not target:
            raise FieldError("target", "type a host: user@host, user@host:port or an alias from ~/.ssh/config")
        if not _TARGET_RE.match(target):
            raise FieldError("target", f"{safe(target, limit=80)!r} is not user@host[:port]")
        paths = [p for p in self.query_one("#paths", Input).value.split() if p]
        if not paths or not all(p.startswith("/") for p in paths):
            raise FieldError("paths", "log files must be absolute paths, e.g. /var/log/mail.log*")
        typed_key = self.query_one("#identity", Input).value.strip()
        identity = check_key_file(typed_key) if typed_key else None
        name = self.query_one("#name", Input).value.strip() or target.rpartition("@")[2].split(":")[0]
        values: dict[str, object] = {"target": target, "paths": paths}
        if identity is not None:
            values["identity_file"] = identity
        try:
            return profile_from_values(name, values, lambda _words: None)
        except ProfileError as exc:
            raise FieldError(_KEY_FIELDS.get(exc.key, "target"), str(exc)) from None

    def show_error(self, words: str, *, field: str | None = None) -> None:
        """One line of plain text under the fields; ``field`` (an Input id) is marked and focused."""
        self.query_one("#login-error", Static).update(Text(safe(words, limit=600)))
        for name in _FIELDS:
            self.query_one(f"#{name}", Input).set_class(name == field, "-invalid")
        if field is not None:
            self.query_one(f"#{field}", Input).focus()

    # -- connect --------------------------------------------------------------------------

    @on(Button.Pressed, "#connect")
    @on(Input.Submitted)
    def _connect_pressed(self) -> None:
        try:
            profile = self.typed_profile()
        except TracktuiError as error:
            self.show_error(str(error), field=getattr(error, "field", None))
            return
        self.connect(profile)

    @on(OptionList.OptionSelected, "#profiles")
    def _profile_chosen(self, event: OptionList.OptionSelected) -> None:
        profile = self.profiles.get(event.option.id or "")
        if profile is not None:
            self.connect(profile)

    def connect(self, profile: Profile, *, accept_new_host_key: bool = False) -> None:
        """Start the first sync of ``profile`` in a worker."""
        if self.busy:
            return
        self.busy = True
        self.connecting = profile
        self.show_error("")
        self.query_one("#login-progress", SyncBar).start(profile.source_urls())
        password = self.query_one("#password", Input).value or None
        self._first_sync(profile, password, accept_new_host_key)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _first_sync(self, profile: Profile, password: str | None, accept_new_host_key: bool) -> None:
        from tracktui.cache import Cache
        from tracktui.sources import AuthCallbacks
        from tracktui.sync import sync_sources

        cache = self.cache or Cache.open(self.options.cache_url, retention_days=self.options.retention_days)
        cache.use_locality(self.options.locality)
        auth = AuthCallbacks(password=(lambda _prompt: password) if password else None,
                             passphrase=(lambda _path: password) if password else None)
        report = sync_sources(
            cache, (), profiles=(profile,), mta=self.options.mta, tz=self.options.log_tz,
            accept_new_host_key=accept_new_host_key, auth=auth,
            progress=self._post_progress,
            retention_days=self.options.retention_days,
        )
        self.post_message(msg.LoginSynced(report, cache, auth))

    def _post_progress(self, event: SyncProgress) -> None:
        self.post_message(msg.SyncProgressed(event))

    def on_sync_progressed(self, message: msg.SyncProgressed) -> None:
        self.query_one("#login-progress", SyncBar).update_progress(message.progress)

    def on_login_synced(self, message: msg.LoginSynced) -> None:
        from tracktui.sources import KeyFileError, UnknownHostKeyError
        from tracktui.tui.app import tracktui_app

        self.busy = False
        self.cache = message.cache  # kept open across retries
        tracktui_app(self.app).cache = message.cache  # closed when the app exits
        self.auth = message.auth
        profile = self.connecting
        errors = message.report.errors
        bar = self.query_one("#login-progress", SyncBar)
        if not errors and profile is not None and self.cache is not None:
            bar.finish(Text(f"Connected: {message.report.lines:,} lines read.", style="dim"))
            cache, self.cache = self.cache, None
            options = replace(self.options, sources=(), profiles=(profile,), sync_on_start=False,
                              auth=self.auth)
            tracktui_app(self.app).open_main(options, cache)
            return
        bar.finish(Text(""), keep_failed=False)
        unknown = next((e for e in errors if isinstance(e, UnknownHostKeyError)), None)
        if unknown is not None and profile is not None:
            from tracktui.tui.screens.hostkey import HostKeyScreen

            def answered(accept: bool | None) -> None:
                if accept:
                    self.connect(profile, accept_new_host_key=True)
                else:
                    self.show_error(f"refused the unknown host key of {unknown.host}; not connected")

            self.app.push_screen(HostKeyScreen(unknown.host, unknown.key_type, unknown.fingerprint), answered)
            return
        first = errors[0] if errors else None
        self.show_error(str(first) if first else "nothing was read",
                        field="identity" if isinstance(first, KeyFileError) else None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A crash of the connect worker (not a per-host error, which the report carries)."""
        if event.state is WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.show_error(str(error) if isinstance(error, TracktuiError) else f"{type(error).__name__}: {error}")

    # -- save -----------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save_profile(self) -> None:
        """Write the typed settings as a profile (no password) to the config file."""
        try:
            profile = self.typed_profile()
            config = load_config(self.options.config_path)
            config.profiles[profile.name] = profile
            save_config(config, self.options.config_path)
        except (TracktuiError, OSError) as error:
            self.show_error(f"profile not saved: {error}", field=getattr(error, "field", None))
            return
        self.profiles[profile.name] = profile
        self.notify(f"Profile {safe(profile.name, limit=60)} saved (without the password).", markup=False)

    def action_help(self) -> None:
        from tracktui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.app.exit()
