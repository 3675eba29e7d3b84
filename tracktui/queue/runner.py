"""Run a queue command's argv on the host that holds the queue: here (subprocess) or over SSH.

Commands are argv lists from :mod:`tracktui.queue.postfix`. Locally they run with
``subprocess`` and never a shell; over SSH every word is ``shlex.quote``-d and the
output is cut at the marker line (:mod:`tracktui.sources.remote`), so a login banner
never reads as queue data. ``sudo=1`` puts ``sudo -n`` in front of every Postfix
command (see :mod:`tracktui.queue.postfix`). A failure becomes one line saying how to fix it.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tracktui.errors import SourceError
from tracktui.queue.postfix import sudoers_line

if TYPE_CHECKING:
    from tracktui.sources.base import AuthCallbacks
    from tracktui.sources.sshconnect import Connection, Connector

TIMEOUT = 120.0
"""Seconds a queue command may take (a listing of 100,000 messages takes a few)."""
_SBIN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
"""Searched after ``PATH``: Postfix's commands live in ``/usr/sbin``, which a user's ``PATH`` often lacks."""


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """Where a queue lives and how to reach it."""

    host: str
    """The name shown and logged: the SSH host, the profile's ``host_name``, or this machine's name."""
    ssh_host: str | None = None
    """``None``: this machine."""
    ssh_user: str | None = None
    ssh_port: int | None = None
    sudo: bool = False
    postfix_config: str | None = None
    """Postfix configuration directory (``-c DIR``); ``None`` is the instance's default, ``/etc/postfix``."""
    identity_file: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What one command did."""

    status: int
    stdout: str
    stderr: str


class Runner(Protocol):
    """Runs argv on one target; :class:`SourceError`/:class:`HostError` only when it could not run at all."""

    target: QueueTarget

    def run(self, argv: list[str]) -> Result: ...

    def login_user(self) -> str: ...

    def close(self) -> None: ...


class LocalRunner:
    """This machine's queue: ``subprocess.run`` on an argv list."""

    def __init__(self, target: QueueTarget) -> None:
        self.target = target

    def login_user(self) -> str:
        return getpass.getuser()

    def run(self, argv: list[str]) -> Result:
        path = shutil.which(argv[0], path=os.environ.get("PATH", "") + os.pathsep + _SBIN_PATH)
        if path is None:
            raise missing_error(self.target.host, argv[0])
        words = [path, *argv[1:]]
        if self.target.sudo:
            words = ["sudo", "-n", *words]
        try:
            done = subprocess.run(words, capture_output=True, timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise missing_error(self.target.host, words[0]) from None
        except subprocess.TimeoutExpired:
            raise SourceError(f"{self.target.host}: {argv[0]} took longer than {TIMEOUT:.0f} s; "
                              "is the mail system overloaded?") from None
        return Result(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    def close(self) -> None:
        pass


class SSHRunner:
    """A remote queue: the same argv over one SSH connection, opened on first use."""

    def __init__(self, target: QueueTarget, connector: Connector) -> None:
        self.target = target
        self.connector = connector
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is None or not self._conn.active:
            assert self.target.ssh_host is not None
            self._conn = self.connector.connect(self.target.ssh_host, self.target.ssh_user, self.target.ssh_port)
        return self._conn

    def login_user(self) -> str:
        return self._connection().target.user

    def run(self, argv: list[str]) -> Result:
        from tracktui.sources.remote import command, run

        conn = self._connection()
        cmd = command(argv, sudo=self.target.sudo)
        status, out, err = run(conn, cmd, host=self.target.host, what=argv[0], timeout=TIMEOUT)
        if status == 127:
            raise missing_error(self.target.host, argv[0])
        return Result(status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def open_runner(target: QueueTarget, *, auth: AuthCallbacks | None = None,
                accept_new_host_key: bool = False) -> Runner:
    """The runner for ``target``: local, or SSH with the same host-key and key-file rules as a sync."""
    if target.ssh_host is None:
        return LocalRunner(target)
    from tracktui.sources.base import AuthCallbacks
    from tracktui.sources.sshconnect import Connector

    connector = Connector(
        auth=auth or AuthCallbacks(),
        accept_new_host_key=accept_new_host_key,
        identity_files=(target.identity_file,) if target.identity_file else (),
    )
    return SSHRunner(target, connector)


def missing_error(host: str, name: str) -> SourceError:
    return SourceError(f"{host}: {name} not found; is Postfix installed (apt install postfix)? "
                       "Its commands live in /usr/sbin")


def failure(runner: Runner, argv: list[str], result: Result, action: str | None) -> SourceError:
    """One line for a command that ran and failed, with the fix where there is a known one."""
    host = runner.target.host
    text = (result.stderr or result.stdout).strip()
    first = text.splitlines()[0][:300] if text else f"exit status {result.status}"
    lower = text.lower()
    if "superuser" in lower or "sudo:" in lower or "alternate_config_directories" in lower:
        rule = sudoers_line(runner.login_user(), action or "list", runner.target.postfix_config)
        how = "sudo -n needs a NOPASSWD rule" if "sudo:" in lower else first
        return SourceError(f"{host}: not permitted ({how}); run as root, or set sudo=1 and add to sudoers: {rule}")
    if "mail system is down" in lower or "queue report unavailable" in lower:
        return SourceError(f"{host}: Postfix is not running ({first}); start it with postfix start")
    if "not authorized" in lower or "permission denied" in lower:
        return SourceError(f"{host}: {argv[0]} is not permitted for {runner.login_user()} ({first}); "
                           "check authorized_mailq_users / authorized_flush_users in main.cf, or run as root")
    if "no such file" in lower and "-c" in argv:
        return SourceError(f"{host}: {first}; check postfix_config (the directory holding main.cf)")
    return SourceError(f"{host}: {argv[0]} failed: {first}")
