"""Pilot tests of the login screen against a real OpenSSH server on 127.0.0.1 (tests/sshd.py)."""

from __future__ import annotations

import subprocess
from datetime import UTC
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from tests.sshd import TEST_PASSWORD, TEST_USER, SshEnv, keygen, ssh_env_fixture, sshd_fixture  # noqa: F401
from tests.tui_fixtures import CLOCK, base_lines, settle, write_log
from tracktui.config import Profile, load_config, save_config
from tracktui.tui.app import TracktuiApp, build_app
from tracktui.tui.options import AppOptions
from tracktui.tui.screens.hostkey import HostKeyScreen
from tracktui.tui.screens.login import LoginScreen
from tracktui.tui.screens.main import MainScreen
from tracktui.tui.widgets.delivery_tree import DeliveryTree

pytestmark = pytest.mark.sshd
SIZE = (100, 30)


def login_app(tmp_path: Path) -> TracktuiApp:
    return build_app(AppOptions(tz=UTC, cache_url=f"sqlite:///{tmp_path / 'cache.sqlite3'}", clock=lambda: CLOCK,
                                log_tz=UTC, config_path=tmp_path / "config.toml"))


def log_file(env: SshEnv) -> Path:
    path = env.logs / "mail.log"
    write_log(path, base_lines())
    path.chmod(0o644)
    return path


async def fill(app: TracktuiApp, pilot, env: SshEnv, path: Path, *, password: str = "", name: str = "") -> None:
    screen = app.screen
    assert isinstance(screen, LoginScreen)
    screen.query_one("#target", Input).value = f"{TEST_USER}@127.0.0.1:{env.server.port}"
    screen.query_one("#paths", Input).value = str(path)
    screen.query_one("#password", Input).value = password
    screen.query_one("#name", Input).value = name
    await pilot.pause()


async def connect(app: TracktuiApp, pilot) -> None:
    app.screen.query_one("#target", Input).focus()
    await pilot.press("enter")
    await settle(app, pilot, rounds=4)


def error_text(app: TracktuiApp) -> str:
    return str(app.screen.query_one("#login-error", Static).render())


async def test_login_with_key_then_main_screen(ssh_env: SshEnv, tmp_path: Path) -> None:
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await fill(app, pilot, ssh_env, log_file(ssh_env))
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen), error_text(app) if isinstance(app.screen, LoginScreen) else ""
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        labels = [str(node.label) for node in tree.root.children]
        assert any("Quarterly report" in label for label in labels)


async def test_wrong_password_then_right_one(ssh_env: SshEnv, tmp_path: Path) -> None:
    ssh_env.client_key.unlink()  # no key: the password is the only way in
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env), password="not-the-password")
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "authentication failed" in error_text(app)
        app.screen.query_one("#password", Input).value = TEST_PASSWORD
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_unknown_host_key_refused_then_accepted(ssh_env: SshEnv, tmp_path: Path) -> None:
    ssh_env.known_hosts.write_text("")
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env))
        await connect(app, pilot)
        assert isinstance(app.screen, HostKeyScreen)
        fingerprint = subprocess.run(["ssh-keygen", "-lf", str(ssh_env.server.host_key.with_suffix(".pub"))],
                                     capture_output=True, text=True, check=True).stdout.split()[1]
        assert app.screen.fingerprint == fingerprint
        assert "ED25519" in app.screen.key_type.upper()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert "refused the unknown host key" in error_text(app)
        assert ssh_env.known_hosts.read_text() == ""
        await connect(app, pilot)
        assert isinstance(app.screen, HostKeyScreen)
        await pilot.press("y")
        await settle(app, pilot, rounds=4)
        assert isinstance(app.screen, MainScreen)
        assert str(ssh_env.server.port) in ssh_env.known_hosts.read_text()


async def test_changed_host_key_is_refused_with_a_warning(ssh_env: SshEnv, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key")
    pub = other.with_suffix(".pub").read_text().split()
    ssh_env.known_hosts.write_text(f"[127.0.0.1]:{ssh_env.server.port} {pub[0]} {pub[1]}\n")
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env))
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "HOST KEY HAS CHANGED" in error_text(app)


async def test_permission_denied_on_the_log(ssh_env: SshEnv, tmp_path: Path) -> None:
    path = log_file(ssh_env)
    path.chmod(0o600)  # owned by root: the test user cannot read it
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, path)
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "permission denied" in error_text(app).lower()
        path.chmod(0o644)  # fixed on the host: retry works
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_bad_target_is_explained_without_connecting(tmp_path: Path) -> None:
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#target", Input).value = "bob smith@host"
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "is not user@host[:port]" in error_text(app)


async def test_save_profile_without_password_and_pick_it(ssh_env: SshEnv, tmp_path: Path) -> None:
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env), password="s3cret-do-not-store", name="mx-test")
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = (tmp_path / "config.toml").read_text()
    assert "mx-test" in saved and "s3cret-do-not-store" not in saved
    assert load_config(tmp_path / "config.toml").profiles["mx-test"].target.endswith(f":{ssh_env.server.port}")
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        options = app.screen.query_one("#profiles", OptionList)
        assert options.option_count == 1 and app.screen.focused is options
        await pilot.press("enter")
        await settle(app, pilot, rounds=4)
        assert isinstance(app.screen, MainScreen)


async def test_hostile_profile_is_listed_literally(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.toml")
    config.profiles["[bold red]x"] = Profile(name="[bold red]x", target="[@click=app.quit]@h", paths=["/x"])
    save_config(config, tmp_path / "config.toml")
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompt = str(app.screen.query_one("#profiles", OptionList).get_option_at_index(0).prompt)
        assert prompt == "[bold red]x  [@click=app.quit]@h"
        assert app.is_running


async def test_nothing_listening_is_one_clear_line(tmp_path: Path) -> None:
    from tests.sshd import free_port

    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#target", Input).value = f"{TEST_USER}@127.0.0.1:{free_port()}"
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        words = error_text(app)
        assert "connection refused" in words and "\n" not in words.strip()


# -- the Key file field -------------------------------------------------------------------


def key_outside_ssh_dir(env: SshEnv, tmp_path: Path) -> Path:
    """The authorised client key moved to a directory of its own; no agent runs (tests/sshd.py)."""
    key = tmp_path / "keys" / "mx_ed25519"
    key.parent.mkdir()
    env.client_key.rename(key)
    env.client_key.with_suffix(".pub").rename(key.with_name(key.name + ".pub"))
    return key


async def test_key_file_field_logs_in_with_a_key_outside_ssh_dir(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = key_outside_ssh_dir(ssh_env, tmp_path)
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env))
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)  # neither ~/.ssh nor an agent has the key
        assert "authentication failed" in error_text(app)
        app.screen.query_one("#identity", Input).value = str(key)
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen), error_text(app) if isinstance(app.screen, LoginScreen) else ""
        assert [p.identity_file for p in app.screen.options.profiles] == [str(key)]  # background syncs use it too
        await settle(app, pilot)
        labels = [str(node.label) for node in app.screen.query_one(DeliveryTree).root.children]
        assert any("Quarterly report" in label for label in labels)


async def test_encrypted_key_file_takes_the_passphrase_from_the_password_field(ssh_env: SshEnv,
                                                                                tmp_path: Path) -> None:
    ssh_env.client_key.unlink()
    (tmp_path / "keys").mkdir()
    key = keygen(tmp_path / "keys" / "locked", passphrase="key-passphrase-1")
    ssh_env.server.authorized_keys.write_text(key.with_suffix(".pub").read_text())
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env), password="not-it")
        app.screen.query_one("#identity", Input).value = str(key)
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        words = error_text(app)
        assert words == f"key file {key}: wrong passphrase"
        assert app.screen.query_one("#identity", Input).has_class("-invalid")
        app.screen.query_one("#password", Input).value = "key-passphrase-1"
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_wrong_key_file_path_is_one_line_at_the_field(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = key_outside_ssh_dir(ssh_env, tmp_path)
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env))
        field = app.screen.query_one("#identity", Input)
        field.value = str(tmp_path / "keys" / "mx_ed25591")  # a typo
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        words = error_text(app).strip()
        assert words == f"key file {tmp_path / 'keys' / 'mx_ed25591'}: no such file; check the path"
        assert field.has_class("-invalid") and app.screen.focused is field
        assert not app.screen.busy and not list(app.workers)  # refused before connecting
        field.value = str(key.with_name(key.name + ".pub"))  # exists, but it is the public half
        await connect(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        words = error_text(app).strip()
        assert words.startswith(f"key file {key}.pub: not a private key") and "\n" not in words
        assert field.has_class("-invalid")
        field.value = str(key)
        await connect(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_saved_profile_keeps_the_key_file_not_the_passphrase(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = key_outside_ssh_dir(ssh_env, tmp_path)
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill(app, pilot, ssh_env, log_file(ssh_env), password="s3cret-do-not-store", name="mx-key")
        app.screen.query_one("#identity", Input).value = str(key)
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = (tmp_path / "config.toml").read_text()
    assert "s3cret-do-not-store" not in saved
    assert load_config(tmp_path / "config.toml").profiles["mx-key"].identity_file == str(key)
    app = login_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the saved profile, picked from the list
        await settle(app, pilot, rounds=4)
        assert isinstance(app.screen, MainScreen), error_text(app) if isinstance(app.screen, LoginScreen) else ""
