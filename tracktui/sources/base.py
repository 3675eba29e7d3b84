"""What every source offers: batches of complete lines, each with the state to resume after it.

A source turns bytes somewhere (a local file, a file on an SSH host, the
journal) into :class:`LineBatch` values. Each batch carries the position of
the *whole* source after it, so a consumer that stores ``batch.state``
together with what it derived from ``batch.lines`` (in one transaction) can
be killed at any point and resume with nothing lost and nothing doubled.

A batch keeps its lines as the bytes read (``data``) and decodes them only
when asked (``lines``): a large sync hands the bytes to a parsing worker
process as they are, so the main process never decodes, splits or pickles
millions of strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tracktui.errors import HostError

BATCH_LINES = 65536
"""A batch is closed after this many lines..."""
BATCH_BYTES = 8 * 1024 * 1024
"""...or this many bytes, whichever comes first."""


def decode_lines(data: bytes, count: int) -> list[str]:
    """The ``count`` lines of ``data`` (lines joined by newlines): UTF-8 with errors replaced.

    Split first, then decode line by line: the same strings (a newline byte is never inside a
    UTF-8 sequence), at half the cost -- one line in a non-Latin script would otherwise widen
    the whole batch's string to 2 or 4 bytes per character before it is cut up.
    """
    return [line.decode("utf-8", "replace") for line in data.split(b"\n")] if count else []


@dataclass(frozen=True, slots=True)
class LineBatch:
    """Complete lines from one stream, and the source's position after them."""

    stream: str
    """Stable identity of the file or journal the lines come from (survives renames by rotation)."""
    label: str
    """What to show the user, e.g. ``/var/log/mail.log.2.gz``."""
    data: bytes
    """The lines as read (not decoded), joined by newlines, no trailing newline."""
    line_count: int
    reference_time: float
    """File mtime (or now for the journal): the parser's anchor for year inference."""
    bytes_read: int
    """Uncompressed bytes these lines took, newlines included."""
    state: dict[str, Any]
    """JSON-serialisable position of the whole source after this batch."""

    @property
    def lines(self) -> list[str]:
        """Decoded UTF-8 (errors replaced), no trailing newlines; decoded anew at each access."""
        return decode_lines(self.data, self.line_count)


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """How far one source got; the CLI draws it as a bar, the TUI as a status line."""

    source: str
    host: str
    bytes_done: int
    bytes_total: int | None
    lines: int
    label: str
    phase: str
    """``connecting``, ``listing``, ``reading`` or ``done``."""


ProgressCallback = Callable[[ProgressEvent], None]
StopCallback = Callable[[], bool]
WarnCallback = Callable[[str], None]
"""Receives one line about something skipped that did not stop the source (a damaged file, a bad known_hosts line)."""


@dataclass(slots=True)
class AuthCallbacks:
    """Prompts the caller supplies (terminal for the CLI, screens for the TUI). Answers are never stored."""

    password: Callable[[str], str | None] | None = None
    """Asked with a prompt like ``admin@mx1's password: ``; ``None`` means "give up"."""
    passphrase: Callable[[str], str | None] | None = None
    """Asked with the key file's path when a key file is encrypted."""
    confirm_host_key: Callable[[str, str, str], bool] | None = None
    """Asked with (host, key type, ``SHA256:...`` fingerprint) for an unknown host; True records the key."""


class UnknownHostKeyError(HostError):
    """The host's key is in no known_hosts file: the user must check and accept the fingerprint."""

    def __init__(self, host: str, key_type: str, fingerprint: str) -> None:
        super().__init__(
            f"{host}: unknown host key {key_type} {fingerprint}; if that is the host's real key, "
            "accept it (--accept-new-host-key, or confirm in the login screen)"
        )
        self.host = host
        self.key_type = key_type
        self.fingerprint = fingerprint


class ChangedHostKeyError(HostError):
    """The host's key differs from the recorded one: possibly an attack, never overridable here."""

    def __init__(self, host: str, key_type: str, fingerprint: str, known_hosts: str) -> None:
        super().__init__(
            f"WARNING: {host}: HOST KEY HAS CHANGED (now {key_type} {fingerprint}); someone may be "
            f"intercepting the connection. Refusing. If the change is legitimate, remove the old key "
            f"from {known_hosts} (ssh-keygen -R) and connect again"
        )
        self.host = host
        self.key_type = key_type
        self.fingerprint = fingerprint


class Source:
    """Base of every source: identity hints, ``read()``, and context management."""

    url: str
    host_hint: str
    """Host name for lines that carry none (Exim's mainlog): the SSH host, or the local host name."""
    mta_hint: str | None
    """MTA named by the URL/profile (``mta=``), or ``None`` for detection."""

    def read(
        self,
        state: dict[str, Any] | None,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCallback | None = None,
        warn: WarnCallback | None = None,
    ) -> Iterator[LineBatch]:
        """Batches of lines past ``state`` (``None``: from the beginning), oldest first.

        ``warn`` hears about what was skipped while the rest was read (see :data:`WarnCallback`).
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the source may be read again afterwards (it reconnects)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class LineSplitter:
    """Cuts a byte stream into batches of complete lines, tracking the offset after the last one.

    Only complete lines leave: the bytes after the last newline stay in the
    buffer. :meth:`finish` releases them as a final line when the stream is
    known to be complete (a rotated file that nobody writes any more).
    With ``keep``, :attr:`recent` holds the last ``keep`` bytes before
    :attr:`offset` (starting from ``recent``): the cursor's tail checksum.
    """

    def __init__(self, offset: int, *, keep: int = 0, recent: bytes = b"") -> None:
        self.offset = offset
        """Stream offset just after the last line handed out."""
        self.recent = recent[-keep:] if keep else b""
        """The last ``keep`` stream bytes before :attr:`offset`."""
        self._keep = keep
        self._buffer = b""
        self._chunks: list[bytes] = []
        """Runs of complete lines, each without its last newline."""
        self._count = 0
        self._bytes = 0
        self._unterminated = False

    def feed(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._buffer = buffer
            return
        complete = buffer[:cut]
        self._buffer = buffer[cut + 1 :]
        self._chunks.append(complete)
        self._count += complete.count(b"\n") + 1
        self._bytes += cut + 1

    def finish(self) -> None:
        """Treat the held-back partial line as complete (the stream will not grow)."""
        if self._buffer:
            self._chunks.append(self._buffer)
            self._count += 1
            self._bytes += len(self._buffer)
            self._buffer = b""
            self._unterminated = True

    @property
    def full(self) -> bool:
        return self._count >= BATCH_LINES or self._bytes >= BATCH_BYTES

    @property
    def pending(self) -> bool:
        return self._count > 0

    def take(self) -> tuple[bytes, int, int]:
        """The lines gathered so far (joined by newlines), their count and byte count; advances :attr:`offset`."""
        data, count, size = b"\n".join(self._chunks), self._count, self._bytes
        self._chunks, self._count, self._bytes = [], 0, 0
        self.offset += size
        if self._keep and size:
            end = data[-self._keep :] + (b"" if self._unterminated else b"\n")
            self.recent = (self.recent + end)[-self._keep :]
        self._unterminated = False
        return data, count, size
