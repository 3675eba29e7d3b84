"""SSH sources under hostile conditions, against the real private sshd (see tests/sshd.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
