"""Source URL parsing, ssh_config resolution and remote command quoting (no server needed)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tracktui.config import Profile
from tracktui.errors import HostError, UsageError
from tracktui.sources import open_source, parse_source_url
from tracktui.sources.journal import journal_command
from tracktui.sources.remote import command, remote_error
from tracktui.sources.sshconnect import fingerprint, resolve


def test_file_urls() -> None:
    assert parse_source_url("file:/var/log/mail.log*").path == "/var/log/mail.log*"
    assert parse_source_url("file:///var/log/mail.log").path == "/var/log/mail.log"
    assert parse_source_url("file:logs/mail.log?").path == "logs/mail.log?"  # '?' is a glob here


def test_ssh_urls() -> None:
    url = parse_source_url("ssh://admin@mx1.example.com:2222/var/log/mail.log*?sudo=1&mta=postfix&transit=gzip")
    assert (url.scheme, url.user, url.host, url.port, url.path) == (
        "ssh", "admin", "mx1.example.com", 2222, "/var/log/mail.log*")
    assert url.sudo and url.mta == "postfix" and url.transit == "gzip" and url.journal is None
    assert parse_source_url("ssh://MX-Alias/var/log/x").host == "MX-Alias"
    plain = parse_source_url("ssh://mx1/var/log/mail.log")
    assert (plain.user, plain.port, plain.sudo, plain.mta) == (None, None, False, None)
    journal = parse_source_url("ssh://root@[::1]:22?journal=postfix@-.service")
    assert (journal.host, journal.port, journal.journal, journal.path) == ("::1", 22, "postfix@-.service", "")
    assert parse_source_url("ssh://h/var/log/a%3Fb").path == "/var/log/a?b"
    assert parse_source_url("ssh://h?journal=exim4&journalctl=/opt/bin/journalctl").journalctl == "/opt/bin/journalctl"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.log",
        "http://example.com/x",
        "file:",
        "file://host/var/log",
        "ssh:///var/log/mail.log",
        "ssh://host",
        "ssh://host/",
        "ssh://host:notaport/var/log/x",
        "ssh://host:99999/var/log/x",
        "ssh://user:pw@host/var/log/x",
        "ssh://host/var/log/x?journal=postfix",
        "ssh://host?journal=",
        "ssh://host/var/log/x?sudo=maybe",
        "ssh://host/var/log/x?mta=sendmail",
        "ssh://host/var/log/x?bogus=1",
        "ssh://host/var/log/x?sudo=1&sudo=0",
        "ssh://host/var/log/x?transit=carrier-pigeon",
    ],
)
def test_malformed_urls(url: str) -> None:
    with pytest.raises(UsageError):
        parse_source_url(url)


def test_open_source_rejects_glob_in_directory_and_relative_path() -> None:
    with pytest.raises(UsageError, match="file name only"):
        open_source("ssh://h/var/*/mail.log")
    with pytest.raises(UsageError, match="names a directory"):
        open_source("ssh://h/var/log/")
    assert open_source("ssh://h/mail").host_hint == "h"


def test_profile_fills_sudo_and_mta() -> None:
    profile = Profile(name="mx", target="admin@h", paths=["/var/log/mail.log"], mta="exim", sudo=True)
    source = open_source("ssh://admin@h/var/log/mail.log", profile=profile)
    assert source.mta_hint == "exim"
    assert source.parsed.sudo  # type: ignore[attr-defined]


def test_commands_are_quoted() -> None:
    evil = "/var/log/x; rm -rf / #$(reboot)`id`'\""
    cmd = command(["tail", "-c", "+1", "--", evil], sudo=True)
    assert shlex.split(cmd) == ["sudo", "-n", "tail", "-c", "+1", "--", evil]
    journal = journal_command("journalctl", "postfix;reboot", "s=1;i=2'$(x)", 0, sudo=False)
    assert shlex.split(journal)[-2:] == ["postfix;reboot", "--after-cursor=s=1;i=2'$(x)"]
    assert "--since=@1700000000" in journal_command("journalctl", "u", None, 1_700_000_000.5, sudo=False)


def test_remote_error_messages() -> None:
    assert "group adm" in str(remote_error("mx", "/var/log/mail.log", 1, b"tail: cannot open: Permission denied"))
    assert "NOPASSWD" in str(remote_error("mx", "/x", 1, b"sudo: a password is required"))
    assert "missing" in str(remote_error("mx", "/x", 127, b"sh: 1: gzip: not found"))
    assert "sudo is not installed" in str(remote_error("mx", "/x", 127, b"sh: 1: sudo: not found"))
    assert "disappeared" in str(remote_error("mx", "/x", 1, b"tail: /x: No such file or directory"))
    assert str(remote_error("mx", "/x", 3, b"")).startswith("mx: reading /x failed: exit status 3")


def test_ssh_config_resolution(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host mx1\n  HostName 192.0.2.10\n  User admin\n  Port 2200\n  IdentityFile ~/.ssh/mx_key\n"
        "  ProxyJump bastion\nHost *\n  User fallback\n"
    )
    target = resolve("mx1", None, None, config)
    assert (target.hostname, target.user, target.port, target.proxy_jump) == ("192.0.2.10", "admin", 2200, "bastion")
    assert target.identity_files[0].endswith("/.ssh/mx_key")
    assert target.known_hosts_name == "[192.0.2.10]:2200"
    explicit = resolve("mx1", "root", 22, config)
    assert (explicit.user, explicit.port, explicit.known_hosts_name) == ("root", 22, "192.0.2.10")
    other = resolve("other.example.com", None, None, config)
    assert (other.hostname, other.user, other.proxy_jump) == ("other.example.com", "fallback", None)


def test_unresolvable_host_is_a_host_error(tmp_path: Path) -> None:
    from tracktui.sources.sshconnect import Connector

    connector = Connector(ssh_config_path=tmp_path / "none", known_hosts_path=tmp_path / "kh", timeout=5)
    with pytest.raises(HostError, match="cannot resolve host name"):
        connector.connect("no-such-host.invalid")


def test_fingerprint_format() -> None:
    import paramiko

    key = paramiko.Ed25519Key(data=bytes.fromhex(
        "0000000b7373682d65643235353139000000203b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"))
    text = fingerprint(key)
    assert text.startswith("SHA256:") and not text.endswith("=") and len(text) == 7 + 43
    assert text == key.fingerprint


def test_silent_server_times_out(tmp_path: Path) -> None:
    import socket
    import time

    from tracktui.sources.sshconnect import Connector

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection, never says a word
        port = listener.getsockname()[1]
        connector = Connector(ssh_config_path=tmp_path / "none", known_hosts_path=tmp_path / "kh", timeout=1)
        started = time.monotonic()
        with pytest.raises(HostError, match=r"127\.0\.0\.1: SSH handshake with 127\.0\.0\.1:\d+ failed"):
            connector.connect("127.0.0.1", "u", port)
        assert time.monotonic() - started < 10


def test_profile_identity_file_reaches_the_connector() -> None:
    profile = Profile(name="mx", target="admin@h", paths=["/var/log/mail.log"], identity_file="~/keys/mx_ed25519")
    source = open_source("ssh://admin@h/var/log/mail.log", profile=profile)
    assert source.connector.identity_files == ("~/keys/mx_ed25519",)  # type: ignore[attr-defined]
    journal = open_source("ssh://admin@h?journal=postfix", profile=profile)
    assert journal.connector.identity_files == ("~/keys/mx_ed25519",)  # type: ignore[attr-defined]
    assert open_source("ssh://admin@h/var/log/mail.log").connector.identity_files == ()  # type: ignore[attr-defined]
