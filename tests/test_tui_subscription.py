"""The monthly report subscription dialog (``m``): what it stores in the config file, on a real app and cache."""

from __future__ import annotations

import html
import threading
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input, Static

from tests.tui_fixtures import make_app, prepared_cache, settle
from tracktui.config import Config, Profile, ReportSettings, load_config, save_config
from tracktui.tui.app import TracktuiApp
from tracktui.tui.screens import subscription as subscription_module
from tracktui.tui.screens.help import HelpScreen
from tracktui.tui.screens.main import MainScreen
from tracktui.tui.screens.subscription import AddressError, SubscriptionScreen, check_address

SIZE = (100, 30)
ADDRESS = "reports@example.com"


@pytest.fixture
def data(tmp_path: Path) -> tuple[str, str]:
    return prepared_cache(tmp_path)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


def app_with_config(data: tuple[str, str], config_path: Path) -> TracktuiApp:
    """The app as the CLI builds it, started with ``--config config_path``."""
    app = make_app(*data)
    app.options.config_path = config_path
    return app


def on_disk(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def notifications(app: TracktuiApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def error_text(app: TracktuiApp) -> str:
    return str(app.screen.query_one("#subscription-error", Static).render())


async def open_dialog(app: TracktuiApp, pilot) -> SubscriptionScreen:
    await settle(app, pilot)
    await pilot.press("m")
    await settle(app, pilot)
    assert isinstance(app.screen, SubscriptionScreen)
    return app.screen


async def test_subscribe_writes_monthly_to_and_reopening_shows_it(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        checkbox = dialog.query_one("#subscribe", Checkbox)
        assert checkbox.value is False and dialog.query_one("#monthly-to", Input).value == ""
        assert app.focused is checkbox
        await pilot.press("space")  # tick the box
        assert checkbox.value is True
        await pilot.press("tab", *ADDRESS, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert on_disk(config_path)["report"]["monthly_to"] == ADDRESS
        assert config_path.stat().st_mode & 0o777 == 0o600
        said = notifications(app)[-1]
        assert ADDRESS in said and str(config_path) in said and "tracktui report --monthly" in said

        dialog = await open_dialog(app, pilot)
        assert dialog.query_one("#subscribe", Checkbox).value is True
        assert dialog.query_one("#monthly-to", Input).value == ADDRESS


async def test_typing_an_address_ticks_the_box(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#monthly-to", Input).focus()
        await pilot.press(*"  boss@mail.example.org ")
        assert dialog.query_one("#subscribe", Checkbox).value is True
        await pilot.click("#save")
        await settle(app, pilot)
        assert on_disk(config_path)["report"]["monthly_to"] == "boss@mail.example.org"  # blanks trimmed


async def test_unsubscribe_removes_monthly_to_and_keeps_the_rest(data: tuple[str, str], config_path: Path) -> None:
    profile = Profile(name="mx1", target="admin@mx1.example.com", paths=["/var/log/mail.log*"])
    save_config(Config(retention_days=30, profiles={"mx1": profile},
                       report=ReportSettings(monthly_to=ADDRESS, smtp_host="smtp.example.com", smtp_port=587)),
                config_path)
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        assert dialog.query_one("#subscribe", Checkbox).value is True
        assert dialog.query_one("#monthly-to", Input).value == ADDRESS
        await pilot.press("space")  # untick
        await pilot.click("#save")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        stored = on_disk(config_path)
        assert "monthly_to" not in stored["report"]
        assert stored["report"]["smtp_host"] == "smtp.example.com" and stored["report"]["smtp_port"] == 587
        assert stored["retention_days"] == 30 and stored["profiles"]["mx1"]["target"] == "admin@mx1.example.com"
        assert load_config(config_path).report.monthly_to is None
        said = notifications(app)[-1]
        assert "no monthly PDF report" in said and ADDRESS not in said

        dialog = await open_dialog(app, pilot)
        assert dialog.query_one("#subscribe", Checkbox).value is False


INVALID = [
    ("", "type the address"),
    ("reports.example.com", "needs a name, an @"),
    ("reports@examplecom", "needs a dot"),
    ("Boss <boss@example.com>", "one plain address"),
    ("a@b.com, c@d.com", "one plain address"),
    ("[@click=app.quit]@example.com", "one plain address"),
    ("re..ports@example.com", "two dots"),
    ("reports@-example.com", "not a host name"),
    ("chef@bücher.example", "ASCII form"),
]
"""(typed address, words of the complaint at the field)."""


async def test_invalid_address_is_marked_at_the_field_and_nothing_written(
    data: tuple[str, str], config_path: Path
) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        field = dialog.query_one("#monthly-to", Input)
        for typed, words in INVALID:
            dialog.query_one("#subscribe", Checkbox).value = True
            field.value = typed
            await pilot.pause()
            app.screen.query_one("#subscribe", Checkbox).focus()
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is dialog, typed  # still open, nothing crashed
            assert field.has_class("-invalid") and app.focused is field, typed
            assert words in error_text(app), typed
            assert not config_path.exists(), typed
            field.value = ADDRESS  # fixing it clears the complaint
            await pilot.pause()
            assert not field.has_class("-invalid") and error_text(app) == "", typed


async def test_unticked_box_ignores_a_bad_address(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#monthly-to", Input).value = "not an address"
        await pilot.pause()  # typing ticked the box; the user unticks it again
        assert dialog.query_one("#subscribe", Checkbox).value is True
        dialog.query_one("#subscribe", Checkbox).value = False
        await pilot.click("#save")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert "Nothing to change" in notifications(app)[-1]
        assert not config_path.exists()  # unchanged config: not rewritten


async def test_escape_cancels_without_writing(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#monthly-to", Input).focus()
        await pilot.press(*ADDRESS, "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert not config_path.exists()
        assert not any("monthly" in text for text in notifications(app))


async def test_broken_config_is_reported_and_never_overwritten(data: tuple[str, str], config_path: Path) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_text("retention_days = [oops\n", encoding="utf-8")
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        assert "not valid TOML" in error_text(app)
        assert dialog.query_one("#save", Button).disabled
        dialog.query_one("#subscribe", Checkbox).value = True
        dialog.query_one("#monthly-to", Input).value = ADDRESS
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog
        assert config_path.read_text(encoding="utf-8") == "retention_days = [oops\n"


async def test_config_file_io_runs_in_worker_threads(data: tuple[str, str], config_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[tuple[str, bool]] = []

    def spy(name: str, real):
        def call(*args, **kwargs):
            threads.append((name, threading.current_thread() is threading.main_thread()))
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(subscription_module, "load_config", spy("load", load_config))
    monkeypatch.setattr(subscription_module, "save_config", spy("save", save_config))
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#subscribe", Checkbox).value = True
        dialog.query_one("#monthly-to", Input).value = ADDRESS
        await pilot.click("#save")
        await settle(app, pilot)
    assert [name for name, _ in threads] == ["load", "load", "save"]
    assert not any(on_main for _, on_main in threads)


async def test_command_palette_opens_the_dialog(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"monthly pdf")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SubscriptionScreen)


async def test_key_is_in_help_and_hidden_from_the_footer(data: tuple[str, str], config_path: Path) -> None:
    app = app_with_config(data, config_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        binding = next(b for b in MainScreen.BINDINGS if getattr(b, "key", None) == "m")
        assert binding.action == "subscription" and not binding.show
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        screen_text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "Monthly PDF report by e-mail" in screen_text


@pytest.mark.parametrize("typed", ["reports@example.com", " a.b+c@mx-1.example.co.uk ", "root@localhost",
                                   "ops@xn--bcher-kva.example"])
def test_check_address_accepts(typed: str) -> None:
    assert check_address(typed) == typed.strip()


@pytest.mark.parametrize("typed", ["", "   ", "@example.com", "reports@", "a@@example.com", ".a@example.com",
                                   "a.@example.com", "a b@example.com", "a@example..com", "a@exa_mple.com",
                                   "a\x1b[31m@example.com", "\u202ea@example.com", "x" * 65 + "@example.com",
                                   "a@" + "b" * 250 + ".com", "a@exam\nple.com",
                                   "x@example.com."])
def test_check_address_refuses(typed: str) -> None:
    with pytest.raises(AddressError):
        check_address(typed)
