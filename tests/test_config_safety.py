"""Saving the config keeps the user's file (comments, unknown keys, symlinks); loading validates with ranges."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tracktui.config import Profile, load_config, save_config
from tracktui.errors import UsageError
from tracktui.report.monthly import record_sent, sent_at

USER_FILE = """\
# my mail hosts -- keep this comment
retention_days = 30  # a month is enough
colour = "blue"

[profiles.mx1]
# the big one
target = "admin@mx1.example.com"
paths = ["/var/log/mail.log"]
future_option = 3

[report]
monthly_to = "old@example.com"
"""




def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_keeps_comments_unknown_keys_and_order(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    config = load_config(path, warn=lambda _m: None)
    config.report.monthly_to = "new@example.com"
    config.profiles["mx2"] = Profile(name="mx2", target="mx2.example.com", paths=["/var/log/maillog"])
    save_config(config, path)
    text = path.read_text()
    for kept in ("# my mail hosts -- keep this comment", "# a month is enough", 'colour = "blue"', "# the big one",
                 "future_option = 3"):
        assert kept in text
    assert text.index("retention_days") < text.index("colour") < text.index("[profiles.mx1]")
    assert 'monthly_to = "new@example.com"' in text and "old@example.com" not in text
    assert "smtp_port" not in text and "smtp_security" not in text  # defaults are not written out
    again = load_config(path, warn=lambda _m: None)
    assert again.profiles["mx2"].paths == ["/var/log/maillog"] and again.report.monthly_to == "new@example.com"


def test_save_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "tracktui.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    config = load_config(link, warn=lambda _m: None)
    config.retention_days = 90
    save_config(config, link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "retention_days = 90" in real.read_text() and "# my mail hosts" in real.read_text()
    assert _mode(real) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["tracktui.toml"]  # no temp file left


def test_new_config_and_state_are_private_under_any_umask(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "conf" / "tracktui" / "config.toml"
    config = load_config(path)
    config.report.monthly_to = "me@example.com"
    save_config(config, path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    state = tmp_path / "state" / "tracktui" / "monthly.json"
    record_sent("2026-11", "me@example.com", at=5.0, path=state)
    assert sent_at("2026-11", "me@example.com", path=state) == 5.0
    assert _mode(state) == 0o600 and _mode(state.parent) == 0o700


def test_existing_file_becomes_0600_on_save(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "config.toml"
    path.write_text("retention_days = 5\n")
    path.chmod(0o644)
    config = load_config(path)
    config.retention_days = 6
    save_config(config, path)
    assert _mode(path) == 0o600 and "retention_days = 6" in path.read_text()


@pytest.mark.parametrize(
    "text, words",
    [
        ("retention_days = 100000000", "retention_days must be between 1 and 36500"),
        ("[report]\nsmtp_port = 0\n", "report.smtp_port must be between 1 and 65535"),
        ("[report]\nsmtp_port = 70000\n", "report.smtp_port must be between 1 and 65535"),
        ("[profiles.a]\npaths = ['/x']\nqueue_lifetime_days = 0\n", "profiles.a.queue_lifetime_days must be between"),
        ("[profiles.a]\npaths = ['/x']\nqueue_lifetime_days = 1e9\n", "profiles.a.queue_lifetime_days must be"),
        ("[profiles.a]\npaths = ['/x']\nqueue_lifetime_days = 'x'\n", "queue_lifetime_days has the wrong type"),
        ("[report]\nfile_mode = '644x'\n", "report.file_mode must be an octal mode"),
        ("[report]\nfile_mode = '0044'\n", "owner read and write"),
    ],
)
def test_out_of_range_is_one_line_naming_file_and_key(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and words in message


def test_unknown_keys_warn_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("retension_days = 3\n[profiles.a]\npaths = ['/x']\ntarg = 'h'\n[report]\nsmtp_prot = 26\n")
    config = load_config(path)
    assert config.retention_days == 60 and config.profiles["a"].paths == ["/x"]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    for key in ("retension_days", "profiles.a.targ", "report.smtp_prot"):
        assert sum(key in line and str(path) in line for line in lines) == 1


def test_a_password_in_the_config_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[report]\nsmtp_password = 'hunter2'\n")
    with pytest.raises(UsageError, match=r"report\.smtp_password: unknown key; secrets are never read"):
        load_config(path)


def test_report_file_mode_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[report]\nfile_mode = '0644'\n")
    assert load_config(path).report.file_mode_bits == 0o644
    assert load_config(tmp_path / "missing.toml").report.file_mode_bits == 0o600
