"""Config file: load, validate, save atomically with mode 0600, build source URLs from profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracktui.config import (
    Config,
    Profile,
    ReportSettings,
    default_config_path,
    load_config,
    save_config,
)
from tracktui.errors import UsageError
from tracktui.sources import parse_source_url

SAMPLE = """
cache = "sqlite:///home/u/.cache/tracktui/cache.sqlite3"
retention_days = 30
[profiles.mx1]
target = "admin@mx1.example.com:22"
paths = ["/var/log/mail.log*"]
mta = "postfix"
sudo = false
[profiles.exim]
target = "relay"
paths = ["/var/log/exim4/mainlog*"]
journal = "exim4"
sudo = true
tz = "Europe/Berlin"
queue_lifetime_days = 4
[report]
monthly_to = "boss@example.com"
smtp_host = "smtp.example.com"
smtp_port = 587
smtp_security = "starttls"
smtp_user = "reports"
smtp_password_env = "TRACKTUI_SMTP_PASSWORD"
"""


def test_load_sample(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SAMPLE)
    config = load_config(path)
    assert config.cache_url == "sqlite:///home/u/.cache/tracktui/cache.sqlite3"
    assert config.retention_days == 30
    mx1 = config.profiles["mx1"]
    assert (mx1.name, mx1.target, mx1.paths, mx1.mta, mx1.sudo) == (
        "mx1", "admin@mx1.example.com:22", ["/var/log/mail.log*"], "postfix", False)
    exim = config.profiles["exim"]
    assert (exim.journal, exim.tz, exim.queue_lifetime_days, exim.sudo, exim.mta) == (
        "exim4", "Europe/Berlin", 4.0, True, "auto")
    assert config.report.smtp_port == 587 and config.report.monthly_to == "boss@example.com"
    assert config.report.output_dir == "~/tracktui-reports"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config == Config()
    assert config.retention_days == 60 and config.profiles == {}


def test_env_overrides_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKTUI_CONFIG", str(tmp_path / "c.toml"))
    assert default_config_path() == tmp_path / "c.toml"
    (tmp_path / "c.toml").write_text("retention_days = 7\n")
    assert load_config().retention_days == 7
    from tracktui.cache.db import default_path

    assert default_path().name == "cache.sqlite3"


def test_round_trip_is_private_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    config = Config(
        cache_url=None,
        retention_days=45,
        profiles={"mx": Profile(name="mx", target="a@mx:2222", paths=["/var/log/mail.log*"], sudo=True,
                                queue_lifetime_days=5.0)},
        report=ReportSettings(monthly_to="boss@example.com", smtp_security="ssl", smtp_port=465),
    )
    save_config(config, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_config(path) == config
    assert "None" not in path.read_text() and "password =" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left behind
    config.retention_days = 10
    save_config(config, path)
    assert load_config(path).retention_days == 10


@pytest.mark.parametrize(
    "text, message",
    [
        ("retention_days = 'x'", "retention_days"),
        ("retention_days = 0", "at least 1"),
        ("[profiles.a]\ntarget = 'h'\n", "paths or journal"),
        ("[profiles.a]\npaths = ['/x']\nmta = 'sendmail'\n", "mta"),
        ("[profiles.a]\npaths = ['/x']\nsudo = 'yes'\n", "sudo"),
        ("[profiles.a]\npaths = ['/x']\npassword = 'x'\n", "unknown key"),
        ("[profiles.a]\npaths = ['/x']\nhost_name = 'two words'\n", "profiles.a.host_name: host must be a host name"),
        ("[profiles.a]\npaths = ['/x']\nhost_name = 7\n", "host_name has the wrong type"),
        ("[profiles.a]\npaths = ['/x']\nidentity_file = ''\n", "identity_file is empty"),
        ("[profiles.a]\npaths = ['/x']\nidentity_file = ['a']\n", "identity_file has the wrong type"),
        ("[report]\nsmtp_security = 'tls'\n", "smtp_security"),
        ("[report]\nsmtp_port = '25'\n", "smtp_port"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_invalid_config(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_config(path)


def test_source_urls() -> None:
    remote = Profile(name="mx1", target="admin@mx1.example.com:2222", paths=["/var/log/mail.log*", "/var/log/a?b"],
                     journal="postfix@-", mta="postfix", sudo=True)
    urls = remote.source_urls()
    assert len(urls) == 3
    parsed = [parse_source_url(u) for u in urls]
    assert [p.path for p in parsed[:2]] == ["/var/log/mail.log*", "/var/log/a?b"]
    assert all((p.user, p.host, p.port, p.sudo, p.mta) == ("admin", "mx1.example.com", 2222, True, "postfix")
               for p in parsed)
    assert parsed[2].journal == "postfix@-"
    alias = Profile(name="r", target="relay", paths=["/var/log/exim4/mainlog"]).source_urls()
    assert alias == ["ssh://relay/var/log/exim4/mainlog"]
    local = Profile(name="l", target="local", paths=["/var/log/mail.log*"]).source_urls()
    assert local == ["file:/var/log/mail.log*"]


def test_host_name_and_identity_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    relay = Profile(name="relay", target="admin@192.0.2.10", paths=["/var/log/exim4/mainlog*"], journal="exim4",
                    mta="exim", host_name="relay.example.org", identity_file="~/keys/relay_ed25519")
    copied = Profile(name="copied", target="local", paths=["/var/tmp/relay/mainlog*"], host_name="relay.example.org")
    save_config(Config(profiles={"relay": relay, "copied": copied}), path)
    text = path.read_text()
    assert 'host_name = "relay.example.org"' in text and 'identity_file = "~/keys/relay_ed25519"' in text
    loaded = load_config(path)
    assert loaded.profiles == {"relay": relay, "copied": copied}
    parsed = [parse_source_url(url) for url in loaded.profiles["relay"].source_urls()]
    assert [(p.host, p.host_name, p.mta) for p in parsed] == [("192.0.2.10", "relay.example.org", "exim")] * 2
    assert parsed[1].journal == "exim4"
    assert all("identity" not in url and "keys" not in url for url in relay.source_urls())  # not part of the URL
    assert copied.source_urls() == ["file:/var/tmp/relay/mainlog*?host=relay.example.org"]
    # Without them a profile's URLs are what they always were (the cache keys sources by URL).
    assert Profile(name="l", target="local", paths=["/var/log/mail.log*"]).source_urls() == ["file:/var/log/mail.log*"]
    odd = Profile(name="o", target="local", paths=["/odd/a?host=b"], host_name="h1").source_urls()
    assert (parse_source_url(odd[0]).path, parse_source_url(odd[0]).host_name) == ("/odd/a[?]host=b", "h1")
