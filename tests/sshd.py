"""A private OpenSSH server on 127.0.0.1 for the SSH source tests and the benchmark.

Starts ``sshd -D -e -f <dir>/sshd_config`` on a free loopback port with its
own host key and authorized_keys, logging in as a dedicated unprivileged
user (:data:`TEST_USER`, created with ``useradd`` when missing; needs root,
as in CI). Import the fixtures explicitly in a test module::

    from tests.sshd import ssh_env_fixture, sshd_fixture  # noqa: F401
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TEST_USER = "tracktui-test"
TEST_PASSWORD = "tracktui-test-pw-0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_test_user() -> pwd.struct_passwd:
    """The unprivileged login user, created (with :data:`TEST_PASSWORD`) if missing."""
    if os.geteuid() != 0:
        pytest.fail("the SSH tests start their own sshd and test user: run them as root (CI does)")
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER], check=True)
        entry = pwd.getpwnam(TEST_USER)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{TEST_PASSWORD}\n", text=True, check=True)
    return entry


def descendants(pid: int) -> list[int]:
    """Pids of all processes below ``pid``, read from /proc (no procps needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def keygen(path: Path, passphrase: str = "", key_type: str = "ed25519") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", "tracktui-test", "-f", str(path)],
                   check=True)
    return path


SUDOERS = Path("/etc/sudoers.d/tracktui-test")
SUDO_COMMANDS = ("/usr/bin/test", "/usr/bin/stat", "/usr/bin/head", "/usr/bin/tail", "/usr/bin/cat", "/usr/bin/gzip")
"""The narrow rule tracktui documents for ``sudo=1``: read-only commands, no shell."""


@contextlib.contextmanager
def sudo_rule(commands: tuple[str, ...] = SUDO_COMMANDS) -> Iterator[None]:
    """Let the test user run ``commands`` through ``sudo -n`` for the duration of the block."""
    if not shutil.which("sudo"):
        pytest.fail("sudo missing: install it (.ci/run does)")
    SUDOERS.write_text(f"{TEST_USER} ALL=(root) NOPASSWD: {', '.join(commands)}\n")
    SUDOERS.chmod(0o440)
    try:
        check = subprocess.run(["visudo", "-c", "-f", str(SUDOERS)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        yield
    finally:
        SUDOERS.unlink(missing_ok=True)


@dataclass
class Sshd:
    """One running private sshd."""

    dir: Path
    port: int
    process: subprocess.Popen[bytes]
    host_key: Path
    authorized_keys: Path

    @property
    def known_hosts_line(self) -> str:
        pub = self.host_key.with_suffix(".pub").read_text().split()
        return f"[127.0.0.1]:{self.port} {pub[0]} {pub[1]}\n"

    def session_pids(self) -> list[int]:
        """Every process below the listener: per-connection sshd processes and the commands they run."""
        return descendants(self.process.pid)

    def kill_sessions(self) -> None:
        """SIGKILL every connection's server side: the client sees the connection cut."""
        for pid in self.session_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)

    def stop(self) -> None:
        self.kill_sessions()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_sshd(base: Path, *, host_key_type: str = "ed25519", extra: str = "") -> Sshd:
    """Start an sshd in ``base`` (created) and wait until it accepts connections."""
    if not Path(SSHD).exists():
        pytest.fail(f"{SSHD} missing: install openssh-server (.ci/run does)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    base.mkdir(parents=True, exist_ok=True)
    host_key = keygen(base / f"host_{host_key_type}", key_type=host_key_type)
    authorized = base / "authorized_keys"
    authorized.touch()
    authorized.chmod(0o644)
    port = free_port()
    config = base / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {base / "sshd.pid"}
AuthorizedKeysFile {authorized}
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers {TEST_USER}
AllowTcpForwarding yes
Compression yes
MaxStartups 50
MaxSessions 50
LogLevel ERROR
Subsystem sftp internal-sftp
{extra}
"""
    )
    with open(base / "sshd.log", "wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {(base / 'sshd.log').read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            break
        time.sleep(0.05)
    return Sshd(base, port, process, host_key, authorized)


@dataclass
class SshEnv:
    """What a test needs to log in: the servers, a client key, a known_hosts file, an empty HOME."""

    server: Sshd
    jump: Sshd
    home: Path
    client_key: Path
    known_hosts: Path
    logs: Path
    """A directory the test user can read, for log files."""

    def url(self, path: str, *, user: str = TEST_USER, query: str = "") -> str:
        return f"ssh://{user}@127.0.0.1:{self.server.port}{path}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session", name="sshd")
def sshd_fixture() -> Iterator[tuple[Sshd, Sshd]]:
    """Two private sshd servers (target and jump host), for the whole session."""
    ensure_test_user()
    base = Path(tempfile.mkdtemp(prefix="tracktui-sshd-"))
    base.chmod(0o755)
    servers: list[Sshd] = []
    try:
        servers.append(start_sshd(base / "target"))
        servers.append(start_sshd(base / "jump", host_key_type="ecdsa"))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(name="ssh_env")
def ssh_env_fixture(sshd: tuple[Sshd, Sshd], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshEnv]:
    """A fresh client side per test: HOME without keys, no agent, a client key authorised on both servers."""
    server, jump = sshd
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    client_key = keygen(home / ".ssh" / "id_ed25519")
    pub = client_key.with_suffix(".pub").read_text()
    for s in (server, jump):
        s.authorized_keys.write_text(pub)
    known_hosts = home / ".ssh" / "known_hosts"
    known_hosts.write_text(server.known_hosts_line + jump.known_hosts_line)
    logs = Path(tempfile.mkdtemp(prefix="tracktui-logs-"))
    logs.chmod(0o755)
    try:
        yield SshEnv(server, jump, home, client_key, known_hosts, logs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
