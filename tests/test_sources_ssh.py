"""SSH sources against a real private OpenSSH server on 127.0.0.1 (see tests/sshd.py)."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sshd import (  # noqa: F401
    TEST_PASSWORD,
    TEST_USER,
    SshEnv,
    keygen,
    ssh_env_fixture,
    sshd_fixture,
    sudo_rule,
)
from tracktui.errors import HostError, SourceError
from tracktui.sources import AuthCallbacks, ChangedHostKeyError, ProgressEvent, UnknownHostKeyError, open_source
from tracktui.sources.ssh import SSHFileSource

pytestmark = pytest.mark.sshd


def lines_of(n: int, start: int = 0) -> list[str]:
    return [f"Nov 27 10:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtp[{i}]: {i:08d} to=<u{i}@example.com>, "
            f"status=sent (250 ok [SPAM] [/deferred])" for i in range(start, start + n)]


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    path.chmod(0o644)


def read(url: str, state: dict[str, Any] | None, **kwargs: Any) -> tuple[list[str], dict[str, Any] | None]:
    with open_source(url, **kwargs) as source:
        batches = list(source.read(state))
    return [line for b in batches for line in b.lines], (batches[-1].state if batches else state)


def fingerprint_of(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def test_key_auth_reads_file(ssh_env: SshEnv) -> None:
    write(ssh_env.logs / "mail.log", lines_of(500))
    events: list[ProgressEvent] = []
    with open_source(ssh_env.url(f"{ssh_env.logs}/mail.log")) as source:
        batches = list(source.read(None, progress=events.append))
    assert [line for b in batches for line in b.lines] == lines_of(500)
    assert batches[0].label == f"{ssh_env.logs}/mail.log" and source.host_hint == "127.0.0.1"
    phases = [e.phase for e in events]
    assert phases[0] == "connecting" and phases[1] == "listing" and phases[-1] == "done"
    size = (ssh_env.logs / "mail.log").stat().st_size
    assert events[-1].bytes_done == size and events[-1].bytes_total == size and events[-1].lines == 500
    got, _ = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), batches[-1].state)
    assert got == []


def test_sources_in_parallel_threads(ssh_env: SshEnv) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for name in ("a.log", "b.log"):
        write(ssh_env.logs / name, [f"{name} {line}" for line in lines_of(20_000)])
    urls = [ssh_env.url(f"{ssh_env.logs}/{name}") for name in ("a.log", "b.log", "a.log", "b.log")]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda url: read(url, None)[0], urls))
    for url, got in zip(urls, results, strict=True):
        name = url.rsplit("/", 1)[1]
        assert got == [f"{name} {line}" for line in lines_of(20_000)]


def test_password_auth(ssh_env: SshEnv) -> None:
    ssh_env.client_key.unlink()
    write(ssh_env.logs / "mail.log", lines_of(3))
    prompts: list[str] = []

    def password(prompt: str) -> str:
        prompts.append(prompt)
        return TEST_PASSWORD

    got, _ = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, auth=AuthCallbacks(password=password))
    assert got == lines_of(3)
    assert prompts == [f"{TEST_USER}@127.0.0.1's password: "]
    with pytest.raises(HostError, match="authentication failed") as info:
        read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, auth=AuthCallbacks(password=lambda _p: "wrong"))
    assert not isinstance(info.value, SourceError)


def test_no_credentials_fails_clearly(ssh_env: SshEnv) -> None:
    ssh_env.client_key.unlink()
    with pytest.raises(HostError, match=rf"{TEST_USER}@127.0.0.1:\d+: authentication failed"):
        read(ssh_env.url("/tmp/x"), None)


def test_agent_auth(ssh_env: SshEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved = tmp_path / "agent_key"
    ssh_env.client_key.rename(moved)
    ssh_env.client_key.with_suffix(".pub").rename(moved.with_suffix(".pub"))
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"])
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(moved)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        write(ssh_env.logs / "mail.log", lines_of(4))
        got, _ = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None)
        assert got == lines_of(4)
    finally:
        agent.terminate()
        agent.wait(5)


def test_encrypted_key_asks_passphrase(ssh_env: SshEnv) -> None:
    ssh_env.client_key.unlink()
    ssh_env.client_key.with_suffix(".pub").unlink()
    keygen(ssh_env.client_key, passphrase="s3cret")
    ssh_env.server.authorized_keys.write_text(ssh_env.client_key.with_suffix(".pub").read_text())
    write(ssh_env.logs / "mail.log", lines_of(2))
    asked: list[str] = []

    def passphrase(path: str) -> str:
        asked.append(path)
        return "s3cret"

    got, _ = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, auth=AuthCallbacks(passphrase=passphrase))
    assert got == lines_of(2)
    assert asked == [str(ssh_env.client_key)]


def test_ssh_config_alias_with_proxyjump(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = tmp_path / "elsewhere_key"
    ssh_env.client_key.rename(key)
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host jumpbox\n  HostName 127.0.0.1\n  Port {ssh_env.jump.port}\n  User {TEST_USER}\n  IdentityFile {key}\n"
        f"Host mx1\n  HostName 127.0.0.1\n  Port {ssh_env.server.port}\n  User {TEST_USER}\n  IdentityFile {key}\n"
        "  ProxyJump jumpbox\n"
    )
    write(ssh_env.logs / "mail.log", lines_of(10))
    source = open_source(f"ssh://mx1{ssh_env.logs}/mail.log", ssh_config_path=config)
    assert isinstance(source, SSHFileSource)
    with source:
        got = [line for b in source.read(None) for line in b.lines]
        conn = source._conn
        assert conn is not None and len(conn.jumps) == 1
        assert conn.jumps[0].getpeername()[1] == ssh_env.jump.port
    assert got == lines_of(10)
    assert source.host_hint == "mx1"
    # Two hops (the jump host twice, the second reached through the first), as in "ProxyJump a,b".
    config.write_text(config.read_text().replace("ProxyJump jumpbox", f"ProxyJump jumpbox,{TEST_USER}@jumpbox"))
    with open_source(f"ssh://mx1{ssh_env.logs}/mail.log", ssh_config_path=config) as source:
        got = [line for b in source.read(None) for line in b.lines]
        assert source._conn is not None and len(source._conn.jumps) == 2
    assert got == lines_of(10)


def test_unknown_host_key_refused_then_accepted(ssh_env: SshEnv) -> None:
    ssh_env.known_hosts.write_text("")
    write(ssh_env.logs / "mail.log", lines_of(1))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log")
    expected = fingerprint_of(ssh_env.server.host_key.with_suffix(".pub"))
    with pytest.raises(UnknownHostKeyError) as info:
        read(url, None)
    assert info.value.fingerprint == expected and expected in str(info.value)
    assert info.value.key_type == "ssh-ed25519"
    assert info.value.exit_code == 3
    assert ssh_env.known_hosts.read_text() == ""

    asked: list[tuple[str, str, str]] = []
    with pytest.raises(UnknownHostKeyError):
        read(url, None, auth=AuthCallbacks(confirm_host_key=lambda *a: asked.append(a) is not None))
    assert asked == [(f"[127.0.0.1]:{ssh_env.server.port}", "ssh-ed25519", expected)]

    got, _ = read(url, None, accept_new_host_key=True)
    assert got == lines_of(1)
    assert ssh_env.known_hosts.read_text() == ssh_env.server.known_hosts_line
    got, _ = read(url, None)  # recorded: no flag needed any more
    assert got == lines_of(1)


def test_confirmed_host_key_is_recorded_with_safe_modes(ssh_env: SshEnv) -> None:
    write(ssh_env.logs / "mail.log", lines_of(1))
    known = ssh_env.home / "fresh" / "known_hosts"
    got, _ = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, known_hosts_path=known,
                  auth=AuthCallbacks(confirm_host_key=lambda *_a: True))
    assert got == lines_of(1)
    assert known.parent.stat().st_mode & 0o777 == 0o700
    assert known.stat().st_mode & 0o777 == 0o600
    assert f"[127.0.0.1]:{ssh_env.server.port} ssh-ed25519 " in known.read_text()


def test_changed_host_key_always_refused(ssh_env: SshEnv, tmp_path: Path) -> None:
    other = keygen(tmp_path / "impostor")
    pub = other.with_suffix(".pub").read_text().split()
    ssh_env.known_hosts.write_text(f"[127.0.0.1]:{ssh_env.server.port} {pub[0]} {pub[1]}\n")
    url = ssh_env.url(f"{ssh_env.logs}/mail.log")
    for kwargs in ({}, {"accept_new_host_key": True}, {"auth": AuthCallbacks(confirm_host_key=lambda *_a: True)}):
        with pytest.raises(ChangedHostKeyError, match="HOST KEY HAS CHANGED") as info:
            read(url, None, **kwargs)
        assert info.value.fingerprint == fingerprint_of(ssh_env.server.host_key.with_suffix(".pub"))
    assert ssh_env.known_hosts.read_text().count("\n") == 1


def test_connection_refused(ssh_env: SshEnv) -> None:
    from tests.sshd import free_port

    with pytest.raises(HostError, match="connection refused"):
        read(f"ssh://{TEST_USER}@127.0.0.1:{free_port()}/var/log/mail.log", None)


def test_rotation_and_gzip_match_local_reads(ssh_env: SshEnv) -> None:
    logs = ssh_env.logs
    log = logs / "mail.log"
    pattern = f"{logs}/mail.log*"
    local_url = f"file:{pattern}"
    transits = ("none", "gzip", "ssh")
    states: dict[str, dict[str, Any] | None] = {t: None for t in (*transits, "local")}
    everything: dict[str, list[str]] = {t: [] for t in states}

    def sync_all() -> None:
        for name in states:
            url = local_url if name == "local" else ssh_env.url(pattern, query=f"transit={name}")
            got, states[name] = read(url, states[name])
            everything[name] += got
        for name in transits:
            assert everything[name] == everything["local"], name

    def rotate() -> None:
        one, two = logs / "mail.log.1", logs / "mail.log.2.gz"
        if one.exists():
            with open(one, "rb") as src, gzip.open(two, "wb") as dst:
                dst.write(src.read())
            two.chmod(0o644)
            one.unlink()
        log.rename(one)
        write(log, [])

    with gzip.open(logs / "mail.log.3.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(1000, 0))
    (logs / "mail.log.3.gz").chmod(0o644)
    write(log, lines_of(2000, 1000))
    sync_all()
    write(log, lines_of(100, 3000), "a")
    sync_all()
    write(log, lines_of(50, 3100), "a")
    rotate()
    write(log, lines_of(70, 3150), "a")
    with open(log, "a") as handle:
        handle.write("partial line without newl")
    sync_all()
    with open(log, "a") as handle:
        handle.write("ine\n")
    write(log, lines_of(5, 3220), "a")
    rotate()
    write(log, lines_of(9, 3225), "a")
    sync_all()
    sync_all()
    # Unread lines that end up compressed: .1 with 4 unread lines becomes .2.gz before the next sync.
    write(log, lines_of(4, 3234), "a")
    rotate()
    rotate()
    write(log, lines_of(3, 3238), "a")
    sync_all()
    expected = lines_of(3150) + lines_of(70, 3150) + ["partial line without newline"] + lines_of(21, 3220)
    assert everything["local"] == expected


def test_permission_denied_has_hint(ssh_env: SshEnv) -> None:
    secret = ssh_env.logs / "mail.log"
    write(secret, lines_of(3))
    secret.chmod(0o600)  # owned by root, read as the unprivileged test user
    with pytest.raises(SourceError, match=r"permission denied.*group adm.*sudo") as info:
        read(ssh_env.url(f"{ssh_env.logs}/mail.log*"), None)
    assert str(secret) in str(info.value) and info.value.exit_code == 4
    # sudo=1 without a sudoers rule: say what to configure.
    with pytest.raises(SourceError, match="NOPASSWD"):
        read(ssh_env.url(f"{ssh_env.logs}/mail.log", query="sudo=1"), None)


def test_sudo_reads_root_only_logs_with_a_narrow_rule(ssh_env: SshEnv) -> None:
    log = ssh_env.logs / "mail.log"
    with gzip.open(ssh_env.logs / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(30))
    write(ssh_env.logs / "mail.log.1", lines_of(20, 30))
    write(log, lines_of(10, 50))
    for path in ssh_env.logs.iterdir():
        path.chmod(0o600)  # root only
    url = ssh_env.url(f"{ssh_env.logs}/mail.log*", query="sudo=1")
    with sudo_rule():
        got, state = read(url, None)
        assert got == lines_of(60)
        write(log, lines_of(5, 60), "a")
        log.chmod(0o600)
        got, state = read(url + "&transit=gzip", state)
        assert got == lines_of(5, 60)
    # A rule without gzip: the .gz cannot be read, and the error says what sudo wants.
    with sudo_rule(("/usr/bin/test", "/usr/bin/stat", "/usr/bin/head", "/usr/bin/tail")), \
            pytest.raises(SourceError, match="sudo -n needs a password"):
        read(url, None)


def test_missing_file_and_directory(ssh_env: SshEnv) -> None:
    with pytest.raises(SourceError, match=r"127\.0\.0\.1: no such file"):
        read(ssh_env.url(f"{ssh_env.logs}/nothing.log*"), None)
    with pytest.raises(SourceError, match="no such file"):
        read(ssh_env.url("/nonexistent/dir/mail.log"), None)


def test_hostile_path_is_not_a_command(ssh_env: SshEnv) -> None:
    import pwd
    from urllib.parse import quote

    name = "mail.log;touch pwned-a;$(touch pwned-b)`touch pwned-c`'\" x"
    write(ssh_env.logs / name, lines_of(2))
    got, _ = read(ssh_env.url(quote(f"{ssh_env.logs}/{name}")), None)
    assert got == lines_of(2)
    remote_home = Path(pwd.getpwnam(TEST_USER).pw_dir)
    for where in (remote_home, ssh_env.logs, Path("/")):
        assert not list(where.glob("pwned-*"))


@pytest.mark.parametrize("transit", ["none", "gzip", "gz-file"])
def test_connection_cut_mid_transfer_resumes_exactly(ssh_env: SshEnv, transit: str) -> None:
    import random

    total = 300_000
    rng = random.Random(7)  # random tokens keep the .gz large enough to be cut mid-stream
    everything = [f"{line} {rng.getrandbits(128):032x}" for line in lines_of(total)]
    if transit == "gz-file":
        path = ssh_env.logs / "mail.log.1.gz"
        with gzip.open(path, "wt", compresslevel=1) as handle:
            handle.writelines(line + "\n" for line in everything)
        path.chmod(0o644)
        url = ssh_env.url(f"{ssh_env.logs}/mail.log*")
    else:
        write(ssh_env.logs / "mail.log", everything)
        url = ssh_env.url(f"{ssh_env.logs}/mail.log", query=f"transit={transit}")
    got: list[str] = []
    state: dict[str, Any] | None = None
    with open_source(url) as source, pytest.raises(HostError, match="connection lost"):
        for batch in source.read(None):
            got += batch.lines
            state = batch.state
            if len(got) < total:
                ssh_env.server.kill_sessions()
    assert state is not None and 0 < len(got) < total
    rest, _ = read(url, state)
    assert got + rest == everything


JOURNALCTL = r"""#!/usr/bin/python3
import sys
args = sys.argv[1:]
assert args[:5] == ["-o", "json", "--no-pager", "-u", "postfix"], args
after = next((a.split("=", 1)[1] for a in args if a.startswith("--after-cursor=")), None)
assert after is not None or any(a.startswith("--since=@") for a in args), args
with open(__file__ + ".args", "w") as out:
    out.write("\n".join(args))
found = after is None
with open(__file__ + ".json") as handle:
    for line in handle:
        if found:
            sys.stdout.write(line)
        elif '"__CURSOR": "%s"' % after in line:
            found = True
"""


def journal_lines(n: int, start: int = 0) -> list[str]:
    return [
        f'{{"__CURSOR": "s=abc;i={i:x}", "__REALTIME_TIMESTAMP": "{1_764_000_000_000_000 + i}", "_HOSTNAME": "mx", '
        f'"SYSLOG_IDENTIFIER": "postfix/smtp", "MESSAGE": "{i:08d}: to=<u@example.com>, status=sent"}}'
        for i in range(start, start + n)
    ]


def test_journal_after_cursor(ssh_env: SshEnv) -> None:
    script = ssh_env.logs / "journalctl"
    script.write_text(JOURNALCTL)
    script.chmod(0o755)
    recorded = Path(str(script) + ".json")
    write(recorded, journal_lines(100))
    (ssh_env.logs / "journalctl.args").touch()
    (ssh_env.logs / "journalctl.args").chmod(0o666)
    url = ssh_env.url("", query=f"journal=postfix&journalctl={script}")
    with open_source(url) as source:
        batches = list(source.read(None, since=1_700_000_000.0))  # type: ignore[call-arg]
    assert [line for b in batches for line in b.lines] == journal_lines(100)
    assert "--since=@1700000000" in (ssh_env.logs / "journalctl.args").read_text().splitlines()
    state = batches[-1].state
    assert state == {"v": 1, "cursor": "s=abc;i=63"}
    got, state = read(url, state)
    assert got == []
    assert "--after-cursor=s=abc;i=63" in (ssh_env.logs / "journalctl.args").read_text().splitlines()
    write(recorded, journal_lines(5, 100), "a")
    got, state = read(url, state)
    assert got == journal_lines(5, 100)

    with pytest.raises(SourceError, match="not found"):
        read(ssh_env.url("", query="journal=postfix&journalctl=/nonexistent/journalctl"), None)


def test_large_stderr_does_not_deadlock(ssh_env: SshEnv) -> None:
    from tracktui.sources.remote import run
    from tracktui.sources.sshconnect import Connector

    conn = Connector(known_hosts_path=ssh_env.known_hosts).connect("127.0.0.1", TEST_USER, ssh_env.server.port)
    try:
        # 8 MB on stderr before any stdout: more than the channel window, so unread stderr would block the command.
        status, out, err = run(conn, "head -c 8000000 /dev/zero >&2; echo done", host="h", what="x", timeout=20)
    finally:
        conn.close()
    assert (status, out) == (0, b"done\n")
    assert 0 < len(err) <= 70_000


# -- naming the host: host= ---------------------------------------------------------------


def test_host_parameter_names_exim_lines_and_errors_name_the_target(ssh_env: SshEnv, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tracktui.cache import Cache
    from tracktui.sync import sync_sources

    exim_log = Path(__file__).resolve().parent / "fixtures" / "exim" / "delivery.log"
    (ssh_env.logs / "mainlog").write_bytes(exim_log.read_bytes())
    (ssh_env.logs / "mainlog").chmod(0o644)
    cache = Cache.open(f"sqlite:///{tmp_path / 'cache.sqlite3'}")
    try:
        url = ssh_env.url(f"{ssh_env.logs}/mainlog*", query="host=relay.example.org")
        report = sync_sources(cache, [url], tz=UTC, now=datetime(2026, 11, 28, tzinfo=UTC).timestamp())
        assert report.errors == []
        assert (report.results[0].host, report.results[0].mta) == ("relay.example.org", "exim")
        assert cache.hosts() == ["relay.example.org"]  # not 127.0.0.1, the address it was read from
    finally:
        cache.close()
    with pytest.raises(SourceError, match=r"^127\.0\.0\.1: no such file"):  # what the user must fix: the target
        read(ssh_env.url(f"{ssh_env.logs}/nothing.log", query="host=relay.example.org"), None)


# -- key files the caller names (Profile.identity_file) -----------------------------------


def moved_key(ssh_env: SshEnv, where: Path) -> Path:
    """The authorised client key, moved out of ~/.ssh (and no agent runs): only naming it logs in."""
    where.parent.mkdir(parents=True, exist_ok=True)
    ssh_env.client_key.rename(where)
    ssh_env.client_key.with_suffix(".pub").rename(where.with_name(where.name + ".pub"))
    return where


def keyed(ssh_env: SshEnv, identity: str | None) -> Any:
    from tracktui.config import Profile

    return Profile(name="t", target=f"{TEST_USER}@127.0.0.1:{ssh_env.server.port}", paths=[f"{ssh_env.logs}/mail.log"],
                   identity_file=identity)


def test_named_key_file_outside_ssh_dir_logs_in(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = moved_key(ssh_env, tmp_path / "keys" / "relay_ed25519")
    write(ssh_env.logs / "mail.log", lines_of(3))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log")
    with pytest.raises(HostError, match="authentication failed"):
        read(url, None)
    got, _ = read(url, None, profile=keyed(ssh_env, str(key)))
    assert got == lines_of(3)
    in_home = ssh_env.home / "keys" / "relay_ed25519"  # '~' is expanded
    in_home.parent.mkdir()
    key.rename(in_home)
    got, _ = read(url, None, profile=keyed(ssh_env, "~/keys/relay_ed25519"))
    assert got == lines_of(3)


def test_named_key_is_tried_after_the_agent_before_config_and_default_keys(
    ssh_env: SshEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssh_env.server.authorized_keys.write_text("")  # nothing gets in: the error lists the order of tries
    named = keygen(tmp_path / "named_key")
    configured = keygen(tmp_path / "configured_key")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host 127.0.0.1\n  IdentityFile {configured}\n")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"])
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(keygen(tmp_path / "agent_key"))], env=env, check=True,
                       capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        with pytest.raises(HostError, match="authentication failed") as caught:
            read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, profile=keyed(ssh_env, str(named)),
                 ssh_config_path=config)
    finally:
        agent.terminate()
        agent.wait(5)
    tried = str(caught.value).partition("(tried ")[2].partition(")")[0].split(", ")
    assert tried == ["agent", str(named), str(configured), str(ssh_env.client_key)]


def test_named_key_is_used_on_proxyjump_hops(ssh_env: SshEnv, tmp_path: Path) -> None:
    key = moved_key(ssh_env, tmp_path / "keys" / "both_ed25519")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host jumpbox\n  HostName 127.0.0.1\n  Port {ssh_env.jump.port}\n  User {TEST_USER}\n"
                      f"Host mx1\n  HostName 127.0.0.1\n  Port {ssh_env.server.port}\n  User {TEST_USER}\n"
                      "  ProxyJump jumpbox\n")
    write(ssh_env.logs / "mail.log", lines_of(2))
    with open_source(f"ssh://mx1{ssh_env.logs}/mail.log", profile=keyed(ssh_env, str(key)),
                     ssh_config_path=config) as source:
        got = [line for b in source.read(None) for line in b.lines]
        assert source._conn is not None and len(source._conn.jumps) == 1  # type: ignore[attr-defined]
    assert got == lines_of(2)


def test_encrypted_named_key_asks_its_passphrase(ssh_env: SshEnv, tmp_path: Path) -> None:
    from tracktui.sources import KeyFileError

    (tmp_path / "keys").mkdir()
    key = keygen(tmp_path / "keys" / "locked", passphrase="s3cret")
    ssh_env.server.authorized_keys.write_text(key.with_suffix(".pub").read_text())
    write(ssh_env.logs / "mail.log", lines_of(2))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log")
    asked: list[str] = []
    got, _ = read(url, None, profile=keyed(ssh_env, str(key)),
                  auth=AuthCallbacks(passphrase=lambda path: asked.append(path) or "s3cret"))
    assert got == lines_of(2) and asked == [str(key)]
    with pytest.raises(KeyFileError, match=r"^key file .*/locked: wrong passphrase$"):
        read(url, None, profile=keyed(ssh_env, str(key)), auth=AuthCallbacks(passphrase=lambda _p: "nope"))
    with pytest.raises(HostError, match="locked is encrypted and no passphrase was given"):
        read(url, None, profile=keyed(ssh_env, str(key)))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing_key", r"no such file; check the path"),
        ("a_directory", r"not a file"),
        ("key.pub", r"not a private key tracktui can read; that is the public key"),
        ("junk", r"not a private key tracktui can read$"),
    ],
)
def test_unusable_named_key_is_one_clear_line(ssh_env: SshEnv, tmp_path: Path, name: str, message: str) -> None:
    from tracktui.sources import KeyFileError

    (tmp_path / "a_directory").mkdir()
    (tmp_path / "key.pub").write_text(ssh_env.client_key.with_suffix(".pub").read_text())
    (tmp_path / "junk").write_text("not a key [SPAM]\n")
    with pytest.raises(KeyFileError, match=message) as caught:
        read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None, profile=keyed(ssh_env, str(tmp_path / name)))
    assert str(caught.value).startswith(f"key file {tmp_path / name}: ") and "\n" not in str(caught.value)
    assert isinstance(caught.value, HostError)  # exit code 3: cannot authenticate
