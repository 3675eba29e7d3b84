"""Run commands on an SSH host and stream their output safely.

Every command is built from ``shlex.quote``-d words. Output is read while
stderr is drained (a command filling its stderr window would otherwise block
the stdout we wait for: paramiko#1778), every read has a timeout, and a
stream is only trusted complete once the command's exit status arrived:
a channel that closes without one means the connection was cut.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Sequence

import paramiko

from tracktui.errors import HostError, SourceError
from tracktui.sources.rotation import permission_error
from tracktui.sources.sshconnect import Connection

READ_TIMEOUT = 60.0
"""Seconds a read may wait for data before the host counts as unreachable."""
_POLL = 0.25
_STDERR_LIMIT = 64 * 1024


def command(words: Sequence[str], *, sudo: bool = False) -> str:
    """A shell command line from literal words, each quoted; ``sudo -n`` in front when asked."""
    prefix = ["sudo", "-n"] if sudo else []
    return " ".join(shlex.quote(w) for w in [*prefix, *words])


class ChannelStream:
    """Stdout of one remote command as a read-only byte stream, with stderr drained alongside."""

    def __init__(self, conn: Connection, cmd: str, *, host: str, what: str, timeout: float = READ_TIMEOUT) -> None:
        self.host = host
        self.what = what
        self.timeout = timeout
        self.raw_done = 0
        self.stderr = b""
        self._conn = conn
        try:
            self._chan = conn.transport.open_session(timeout=timeout)
            self._chan.settimeout(_POLL)
            self._chan.exec_command(cmd)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise self.lost(exc) from None

    def lost(self, exc: BaseException | None = None) -> HostError:
        detail = f" ({exc})" if exc else ""
        return HostError(f"{self.host}: connection lost while reading {self.what}{detail}; "
                         "sync again to resume where it stopped")

    def _drain_stderr(self) -> None:
        while self._chan.recv_stderr_ready():
            data = self._chan.recv_stderr(32768)
            if not data:
                break
            if len(self.stderr) < _STDERR_LIMIT:
                self.stderr += data

    def read(self, size: int = 1024 * 1024) -> bytes:
        """Up to ``size`` bytes; ``b""`` at end of output (check :meth:`finish` then)."""
        waited = 0.0
        while True:
            self._drain_stderr()
            try:
                data = self._chan.recv(size)
            except TimeoutError:
                if not self._conn.transport.is_active():
                    raise self.lost() from None
                waited += _POLL
                if waited >= self.timeout:
                    raise HostError(f"{self.host}: no data for {self.timeout:.0f} s while reading {self.what}; "
                                    "the host or network stalled, sync again") from None
                continue
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise self.lost(exc) from None
            if data and len(data) < size:
                # Gather what is already buffered: one 32 KiB packet per call would cost more in
                # the line splitter than the transfer itself.
                parts = [data]
                have = len(data)
                while have < size and self._chan.recv_ready():
                    more = self._chan.recv(size - have)
                    if not more:
                        break
                    parts.append(more)
                    have += len(more)
                data = b"".join(parts) if len(parts) > 1 else data
            self.raw_done += len(data)
            return data

    def exit_status(self) -> int:
        """The command's exit status; :class:`HostError` if the connection died before it came."""
        deadline = time.monotonic() + self.timeout
        while not self._chan.status_event.wait(_POLL):
            self._drain_stderr()
            if not self._conn.transport.is_active():
                raise self.lost()
            if time.monotonic() > deadline:
                raise HostError(f"{self.host}: no exit status from the command reading {self.what}")
        self._drain_stderr()
        status = self._chan.exit_status
        if status == -1 or (not self._conn.transport.is_active() and status != 0):
            raise self.lost()
        return status

    def finish(self) -> None:
        """Raise the fitting error unless the command ran to a clean end."""
        status = self.exit_status()
        if status != 0 or self.stderr.strip():
            raise remote_error(self.host, self.what, status, self.stderr)

    def close(self) -> None:
        with contextlib.suppress(paramiko.SSHException, OSError, EOFError):
            self._chan.close()


def remote_error(host: str, what: str, status: int, stderr: bytes) -> SourceError:
    """Map a failed remote command's exit status and stderr to one helpful line."""
    text = stderr.decode("utf-8", "replace").strip()
    first = text.splitlines()[0] if text else f"exit status {status}"
    lower = text.lower()
    if "sudo" in lower and "not found" in lower:
        return SourceError(f"{host}: sudo is not installed; install it with a NOPASSWD rule for reading {what}, "
                           "or add the user to group adm and drop sudo")
    if "sudo:" in lower and ("password" in lower or "terminal" in lower or "not allowed" in lower):
        return SourceError(f"{host}: sudo -n needs a password for {what}; allow passwordless sudo for it "
                           "(NOPASSWD) or add the user to group adm and drop sudo")
    if "permission denied" in lower:
        return permission_error(host, what)
    if "no such file" in lower:
        return SourceError(f"{host}: {what} disappeared while reading (rotated?); sync again")
    if status == 127 or "not found" in lower:
        return SourceError(f"{host}: a command needed to read {what} is missing ({first})")
    return SourceError(f"{host}: reading {what} failed: {first}")


def run(conn: Connection, cmd: str, *, host: str, what: str, timeout: float = READ_TIMEOUT) -> tuple[int, bytes, bytes]:
    """Run ``cmd`` to completion: (exit status, stdout, stderr). For small outputs only."""
    stream = ChannelStream(conn, cmd, host=host, what=what, timeout=timeout)
    try:
        parts: list[bytes] = []
        while True:
            data = stream.read(65536)
            if not data:
                break
            parts.append(data)
        status = stream.exit_status()
        return status, b"".join(parts), stream.stderr
    finally:
        stream.close()
