"""SSH sources under hostile conditions, against the real private sshd (see tests/sshd.py)."""

from __future__ import annotations

import gzip
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sshd import (  # noqa: F401
    TEST_USER,
    SshEnv,
    ssh_env_fixture,
    sshd_fixture,
    sudo_rule,
)
from tracktui.errors import SourceError
from tracktui.sources import open_source

pytestmark = pytest.mark.sshd


def lines_of(n: int, start: int = 0, tag: str = "x") -> list[str]:
    return [f"Nov 27 10:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtp[{i}]: {tag} {i:08d} status=sent"
            for i in range(start, start + n)]


def write(path: Path | bytes, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    os.chmod(path, 0o644)


def read(url: str, state: dict[str, Any] | None, **kwargs: Any) -> tuple[list[str], dict[str, Any] | None, list[str]]:
    warnings: list[str] = []
    with open_source(url, **kwargs) as source:
        batches = list(source.read(state, warn=warnings.append))
    return [line for b in batches for line in b.lines], (batches[-1].state if batches else state), warnings


def test_malformed_known_hosts_lines_are_skipped_with_file_and_line(ssh_env: SshEnv) -> None:
    """Another host's bad line, a byte that is not UTF-8, a @cert-authority line: OpenSSH reads on, so do we."""
    write(ssh_env.logs / "mail.log", lines_of(3))
    good = ssh_env.server.known_hosts_line.encode()
    ssh_env.known_hosts.write_bytes(
        b"# comment\n"
        b"other.example ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n"  # bad base64 padding: paramiko raises InvalidHostKey
        b"caf\xe9.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n"
        b"@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n"
        b"just-a-name\n"
        b"new.example sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t\n"
        + good
    )
    got, _, warnings = read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None)
    assert got == lines_of(3)
    assert warnings == [
        f"{ssh_env.known_hosts} line 2: malformed entry, skipped",
        f"{ssh_env.known_hosts} line 3: not UTF-8, skipped",
        f"{ssh_env.known_hosts} line 5: malformed entry, skipped",
    ]


def test_known_hosts_still_refuses_a_changed_key(ssh_env: SshEnv) -> None:
    from tracktui.sources import ChangedHostKeyError

    pub = ssh_env.jump.host_key.with_suffix(".pub").read_text().split()
    ssh_env.known_hosts.write_bytes(b"\xff\xfe garbage\n" + f"[127.0.0.1]:{ssh_env.server.port} {pub[0]} {pub[1]}\n"
                                    .encode())
    with pytest.raises(ChangedHostKeyError):
        read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None)


@pytest.fixture(name="not_ssh_port")
def not_ssh_port_fixture() -> Iterator[int]:
    """A loopback port that answers like a web server, never like SSH."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        server.close()


def test_port_that_is_not_ssh_gives_one_line_and_no_paramiko_traceback(not_ssh_port: int, tmp_path: Path) -> None:
    """Run in a fresh interpreter: there paramiko's log would reach stderr through logging's last resort."""
    script = (
        "import sys\n"
        "from tracktui.errors import TracktuiError\n"
        "from tracktui.sources import open_source\n"
        f"src = open_source('ssh://nobody@127.0.0.1:{not_ssh_port}/var/log/mail.log')\n"
        "try:\n"
        "    list(src.read(None))\n"
        "except TracktuiError as error:\n"
        "    print(error)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "SSH handshake" in done.stdout and done.stdout.count("\n") == 1
    assert done.stderr == ""


@pytest.mark.parametrize("transit", ["none", "gzip"])
def test_remote_log_rewritten_past_the_cursor_is_read_again(ssh_env: SshEnv, transit: str) -> None:
    log = ssh_env.logs / "mail.log"
    write(log, lines_of(200))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log*", query=f"transit={transit}")
    got, state, _ = read(url, None)
    assert got == lines_of(200)
    rewritten = lines_of(100) + lines_of(300, 100, tag="new")
    write(log, rewritten)
    got, state, _ = read(url, state)
    assert got == rewritten
    write(log, lines_of(5, 400, tag="more"), "a")
    got, _, _ = read(url, state)
    assert got == lines_of(5, 400, tag="more")


def test_remote_damaged_gzip_is_reported_and_skipped(ssh_env: SshEnv) -> None:
    (ssh_env.logs / "mail.log.3.gz").write_bytes(b"not gzip at all")
    with gzip.open(ssh_env.logs / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(2000, tag="two"))
    whole = (ssh_env.logs / "mail.log.2.gz").read_bytes()
    (ssh_env.logs / "mail.log.2.gz").write_bytes(whole[: len(whole) // 2])
    write(ssh_env.logs / "mail.log", lines_of(10, tag="live"))
    for path in ssh_env.logs.iterdir():
        path.chmod(0o644)
    url = ssh_env.url(f"{ssh_env.logs}/mail.log*")
    got, state, warnings = read(url, None)
    two = [line for line in got if " two " in line]
    assert 0 < len(two) < 2000 and got == two + lines_of(10, tag="live")
    assert len(warnings) == 2
    assert "mail.log.3.gz: not a gzip file" in warnings[0] and "mail.log.2.gz: damaged gzip file" in warnings[1]
    got, state, warnings = read(url, state)
    assert got == [] and any("mail.log.2.gz: damaged, unchanged" in w for w in warnings)
    with gzip.open(ssh_env.logs / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(2000, tag="two"))
    got, _, _ = read(url, state)
    assert got == lines_of(2000 - len(two), len(two), tag="two")


def test_remote_directory_says_so(ssh_env: SshEnv) -> None:
    (ssh_env.logs / "mail.log").mkdir()
    with pytest.raises(SourceError, match=r"mail\.log is a directory"):
        read(ssh_env.url(f"{ssh_env.logs}/mail.log"), None)
    os.mkfifo(ssh_env.logs / "pipe.log")
    with pytest.raises(SourceError, match=r"pipe\.log is not a regular file"):
        read(ssh_env.url(f"{ssh_env.logs}/pipe.log"), None)


def test_remote_name_that_is_not_utf8(ssh_env: SshEnv, tmp_path: Path, cache_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``mail.log.\\xff``: read like any other name, and the sync of the others and the pruning go on."""
    from tracktui.cache import Cache
    from tracktui.sync import sync_sources

    write(os.fsencode(ssh_env.logs) + b"/mail.log.1\xff", lines_of(3, tag="odd"))
    write(ssh_env.logs / "mail.log", lines_of(4, tag="live"))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log*")
    got, _, _ = read(url, None)
    assert sorted(got) == sorted(lines_of(3, tag="odd") + lines_of(4, tag="live"))
    local = tmp_path / "local.log"
    write(local, lines_of(2, tag="local"))
    with Cache.open(cache_url) as cache:
        pruned: list[int] = []
        real_prune = cache.prune
        monkeypatch.setattr(cache, "prune", lambda *a, **k: pruned.append(1) or real_prune(*a, **k))
        report = sync_sources(cache, [url, f"file:{local}"], retention_days=100_000)
        assert [r.error for r in report.results] == [None, None] and pruned == [1]
        assert report.results[0].lines == 7


BANNER_USER = "tracktui-banner"


@pytest.fixture(name="banner_env")
def banner_env_fixture(ssh_env: SshEnv) -> Iterator[SshEnv]:
    """A private sshd admitting a user whose login shell talks: bash rc and ~/.ssh/rc print on stdout and stderr."""
    from tests.sshd import start_sshd

    try:
        entry = pwd.getpwnam(BANNER_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", BANNER_USER], check=True)
        entry = pwd.getpwnam(BANNER_USER)
    subprocess.run(["usermod", "-p", "*", BANNER_USER], check=True)  # not locked ("!"): sshd refuses those
    home = Path(entry.pw_dir)
    talk = 'echo "Welcome to mx1 (bashrc)"; echo "bashrc on stderr" >&2\n'
    (home / ".bashrc").write_text(talk)
    (home / ".ssh").mkdir(exist_ok=True)
    (home / ".ssh" / "rc").write_text('echo "ssh rc banner"; echo "ssh rc on stderr" >&2\n')
    base = Path(tempfile.mkdtemp(prefix="tracktui-banner-sshd-"))
    base.chmod(0o755)  # sshd reads authorized_keys as the user logging in
    server = start_sshd(base, extra=f"AllowUsers {BANNER_USER}")
    try:
        server.authorized_keys.write_text(ssh_env.client_key.with_suffix(".pub").read_text())
        with open(ssh_env.known_hosts, "a") as handle:
            handle.write(server.known_hosts_line)
        yield SshEnv(server, ssh_env.jump, ssh_env.home, ssh_env.client_key, ssh_env.known_hosts, ssh_env.logs)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_login_shell_banner_does_not_break_file_sources(banner_env: SshEnv) -> None:
    from tracktui.sources.sshconnect import Connector

    conn = Connector(known_hosts_path=banner_env.known_hosts).connect("127.0.0.1", BANNER_USER,
                                                                      banner_env.server.port)
    try:
        chan = conn.transport.open_session()
        chan.exec_command("true")
        seen = chan.makefile("rb").read() + chan.makefile_stderr("rb").read()
    finally:
        conn.close()
    assert b"banner" in seen and b"stderr" in seen  # the shell does talk before every command
    with gzip.open(banner_env.logs / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(30, tag="two"))
    (banner_env.logs / "mail.log.2.gz").chmod(0o644)
    for transit in ("none", "gzip"):
        write(banner_env.logs / "mail.log", lines_of(20, tag="live"))
        url = banner_env.url(f"{banner_env.logs}/mail.log*", user=BANNER_USER, query=f"transit={transit}")
        got, state, warnings = read(url, None)
        assert got == lines_of(30, tag="two") + lines_of(20, tag="live") and warnings == []
        write(banner_env.logs / "mail.log", lines_of(2, 20, tag="live"), "a")
        got, _, _ = read(url, state)
        assert got == lines_of(2, 20, tag="live")


def test_pinned_sudoers_rule_reads_and_refuses_other_files(ssh_env: SshEnv) -> None:
    from tracktui.sources.ssh import sudoers_files

    with gzip.open(ssh_env.logs / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(30))
    write(ssh_env.logs / "mail.log.1", lines_of(20, 30))
    write(ssh_env.logs / "mail.log", lines_of(10, 50))
    write(ssh_env.logs / "secret", lines_of(1, tag="secret"))
    for path in ssh_env.logs.iterdir():
        path.chmod(0o600)  # root only
    rule = sudoers_files(TEST_USER, str(ssh_env.logs))
    url = ssh_env.url(f"{ssh_env.logs}/mail.log*", query="sudo=1")
    with pinned(rule):
        got, state, _ = read(url, None)
        assert got == lines_of(60)
        write(ssh_env.logs / "mail.log", lines_of(5, 60), "a")
        (ssh_env.logs / "mail.log").chmod(0o600)
        got, _, _ = read(url + "&transit=gzip", state)
        assert got == lines_of(5, 60)
        with pytest.raises(SourceError, match="sudo -n needs a password"):
            read(ssh_env.url(f"{ssh_env.logs}/secret", query="sudo=1"), None)


def pinned(rule: str) -> Any:
    """Install a whole sudoers text (the helper in tests/sshd.py takes a command list only)."""
    import contextlib

    from tests.sshd import SUDOERS

    @contextlib.contextmanager
    def installed() -> Iterator[None]:
        SUDOERS.write_text(rule)
        SUDOERS.chmod(0o440)
        try:
            check = subprocess.run(["visudo", "-c", "-f", str(SUDOERS)], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            yield
        finally:
            SUDOERS.unlink(missing_ok=True)

    return installed()


def test_journal_never_pages_and_its_pinned_rule_parses(tmp_path: Path) -> None:
    from tracktui.sources.journal import journal_command, sudoers_journal

    for cursor in (None, "s=1;i=2"):
        cmd = journal_command("journalctl", "postfix@*", cursor, 1_700_000_000, sudo=True)
        assert cmd.startswith("SYSTEMD_PAGER=cat PAGER=cat sudo -n journalctl ") and " --no-pager " in cmd
    rules = tmp_path / "rules"
    rules.write_text(sudoers_journal(TEST_USER))
    check = subprocess.run(["visudo", "-c", "-f", str(rules)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_shell_that_runs_no_command_says_what_it_printed(banner_env: SshEnv) -> None:
    write(banner_env.logs / "mail.log", lines_of(2))
    subprocess.run(["usermod", "-s", "/usr/sbin/nologin", BANNER_USER], check=True)
    try:
        with pytest.raises(SourceError, match=r"login shell did not run the command .*it printed: '.*'") as info:
            read(banner_env.url(f"{banner_env.logs}/mail.log", user=BANNER_USER), None)
    finally:
        subprocess.run(["usermod", "-s", "/bin/bash", BANNER_USER], check=True)
    assert "\n" not in str(info.value)


def test_journalctl_runs_with_no_pager_and_pager_cat(ssh_env: SshEnv) -> None:
    script = ssh_env.logs / "journalctl"
    seen = ssh_env.logs / "journalctl.seen"
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s|%s|%s\\n' \"$SYSTEMD_PAGER\" \"$PAGER\" \"$*\" > {seen}\n"
        "echo '{\"__CURSOR\": \"s=1\", \"MESSAGE\": \"m\"}'\n"
    )
    script.chmod(0o755)
    seen.touch()
    seen.chmod(0o666)
    got, state, _ = read(ssh_env.url("", query=f"journal=postfix&journalctl={script}"), None)
    assert len(got) == 1 and state == {"v": 1, "cursor": "s=1"}
    pager, plain_pager, args = seen.read_text().strip().split("|")
    assert (pager, plain_pager) == ("cat", "cat") and "--no-pager" in args.split()
