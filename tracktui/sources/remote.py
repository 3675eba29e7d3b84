"""Run commands on an SSH host and stream their output safely.

Every command is built from ``shlex.quote``-d words. Output is read while
stderr is drained (a command filling its stderr window would otherwise block
the stdout we wait for: paramiko#1778), every read has a timeout, and a
stream is only trusted complete once the command's exit status arrived:
a channel that closes without one means the connection was cut.

A login shell may print a banner (an ``echo`` in ``.bashrc``, ``~/.ssh/rc``) before
the command runs, on stdout or stderr. So each command first prints a random
marker line on both, and everything before it is dropped; a command whose
marker never came did not run, and the error says what the shell printed.
Command lines are ``str`` whose lone surrogates stand for the bytes of names
that are not UTF-8 (``surrogateescape``); they are sent as those bytes.
"""

from __future__ import annotations

import contextlib
import secrets
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
_BANNER_LIMIT = 64 * 1024
"""Bytes of shell noise kept before the marker: enough to quote it, bounded against a runaway rc file."""


def command(words: Sequence[str], *, sudo: bool = False) -> str:
    """A shell command line from literal words, each quoted; ``sudo -n`` in front when asked."""
    prefix = ["sudo", "-n"] if sudo else []
    return " ".join(shlex.quote(w) for w in [*prefix, *words])


def wire(cmd: str) -> bytes:
    """The bytes of a command line: UTF-8, with surrogate-escaped name bytes restored."""
    return cmd.encode("utf-8", "surrogateescape")


class ChannelStream:
    """Stdout of one remote command as a read-only byte stream, with stderr drained alongside."""

    def __init__(self, conn: Connection, cmd: str, *, host: str, what: str, timeout: float = READ_TIMEOUT) -> None:
        self.host = host
        self.what = what
        self.timeout = timeout
        self.raw_done = 0
        self._stderr = b""
        self._conn = conn
        self._marker = f"tracktui-{secrets.token_hex(8)}"
        self._mark_line = self._marker.encode("ascii") + b"\n"
        self._banner: bytes | None = b""
        """Stdout before the marker; ``None`` once the marker came."""
        quoted = shlex.quote(self._marker)
        try:
            self._chan = conn.transport.open_session(timeout=timeout)
            self._chan.settimeout(_POLL)
            self._chan.exec_command(wire(f"printf '%s\\n' {quoted}; printf '%s\\n' {quoted} >&2; {cmd}"))
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise self.lost(exc) from None

    @property
    def stderr(self) -> bytes:
        """The command's stderr, without what the shell printed before it ran."""
        cut = self._stderr.find(self._mark_line)
        text = self._stderr[cut + len(self._mark_line):] if cut >= 0 else self._stderr
        return text[:_STDERR_LIMIT]

    @property
    def started(self) -> bool:
        """The command ran (its marker arrived on stdout)."""
        return self._banner is None

    def not_started(self) -> SourceError:
        """The error for a command whose marker never came: the shell did not run it."""
        seen = (self._banner or b"") + b"\n" + self._stderr
        lines = [line.strip() for line in seen.decode("utf-8", "replace").splitlines() if line.strip()]
        shown = f"it printed: {lines[0][:200]!r}" if lines else "it printed nothing"
        return SourceError(f"{self.host}: the login shell did not run the command reading {self.what} ({shown}); "
                           "the account needs a POSIX shell (sh, bash) that runs ssh commands")

    def check_started(self) -> None:
        if not self.started:
            raise self.not_started()

    def lost(self, exc: BaseException | None = None) -> HostError:
        detail = f" ({exc})" if exc else ""
        return HostError(f"{self.host}: connection lost while reading {self.what}{detail}; "
                         "sync again to resume where it stopped")

    def _drain_stderr(self) -> None:
        while self._chan.recv_stderr_ready():
            data = self._chan.recv_stderr(32768)
            if not data:
                break
            if len(self._stderr) < _STDERR_LIMIT + _BANNER_LIMIT:
                self._stderr += data

    def read(self, size: int = 1024 * 1024) -> bytes:
        """Up to ``size`` bytes of the command's output; ``b""`` at end of output (check :meth:`finish` then)."""
        while self._banner is not None:
            data = self._recv(size)
            if not data:
                return b""
            seen = self._banner + data
            cut = seen.find(self._mark_line)
            if cut < 0:
                keep = len(self._mark_line)  # the marker may straddle two reads
                self._banner = seen if len(seen) <= _BANNER_LIMIT else seen[:_BANNER_LIMIT - keep] + seen[-keep:]
                continue
            self._banner = None
            rest = seen[cut + len(self._mark_line):]
            if rest:
                self.raw_done += len(rest)
                return rest
        data = self._recv(size)
        self.raw_done += len(data)
        return data

    def _recv(self, size: int) -> bytes:
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
        self.check_started()
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
        stream.check_started()
        return status, b"".join(parts), stream.stderr
    finally:
        stream.close()
