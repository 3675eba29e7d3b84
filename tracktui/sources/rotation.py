"""Incremental reading of a rotated log set (``mail.log``, ``mail.log.1``, ``mail.log.2.gz``...).

Shared by the local and the SSH file sources, which only differ in how they
list, hash and open files (:class:`FileSystem`). Keeping the decisions here
makes a remote read give exactly the lines a local read of the same files
gives.

A file is known by its *content*, not its name: the SHA-256 of its first
4 KiB of decompressed content (plus the inode, to break ties). So when
``mail.log`` becomes ``mail.log.1`` and later ``mail.log.2.gz``, the state
still knows how far it was read. The state is::

    {"v": 1, "files": [{"id": "...", "head": "<sha256>", "hlen": 4096, "ino": 123, "off": 81234,
                        "tail": "<16 hex>", "tlen": 1024}, ...]}

``off`` counts decompressed bytes; ``tail`` is a short SHA-256 of the ``tlen``
bytes just before ``off``. Rules:

- A file whose first ``hlen`` bytes hash to a record's ``head`` is that record's
  file (a file shorter than 4 KiB is re-hashed over the recorded length when it grew).
- A plain file shorter than its recorded offset was truncated and rewritten
  with the same beginning: it is read again from the start.
- Before reading on from ``off``, the ``tlen`` bytes before it are read again and
  hashed: a file truncated and regrown past ``off`` (same beginning, other bytes
  at the cursor) is read again from the start. Reading again stores nothing twice:
  the cache's keys come from the content.
- A file that cannot be decoded (a truncated or non-gzip ``.gz``) is reported
  through ``warn`` and skipped, the others are read; it is tried again only once
  its size or mtime changed (``"bad": [size, mtime]`` in its record).
- A ``.gz`` file whose gzip trailer (ISIZE, size mod 2**32) equals the recorded
  offset is complete; otherwise it is streamed and its first ``off`` bytes skipped.
- Empty files are not recorded; records of files no longer present are dropped.
- Files are read oldest first: highest rotation number first (``.9.gz`` ... ``.1``,
  then the live file), dated names by their date (``-20261101.gz`` before ``-20261108``,
  then the live file); mtime only breaks ties. Only the newest
  file holds back a partial last line; older files are no longer written to,
  so their unterminated last line is final.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from tracktui.errors import DamagedFileError, SourceError
from tracktui.sources.base import (
    LineBatch,
    LineSplitter,
    ProgressCallback,
    ProgressEvent,
    StopCallback,
    WarnCallback,
)

HEAD_BYTES = 4096
TAIL_BYTES = 1024
"""Bytes before the cursor whose hash is kept: enough to span several log lines, cheap to re-read over SSH."""
STATE_VERSION = 1
_ROTATION_NUMBER = re.compile(r"\.(\d+)(?:\.gz)?$")
_ROTATION_DATE = re.compile(r"[-_.](\d{8}(?:\d{2,6})?)(?:\.gz)?$")
"""logrotate's ``dateext`` suffix: ``-YYYYMMDD`` (optionally with hours, minutes, seconds)."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One file of the set as listed: what identifies it and how much there is."""

    path: str
    inode: int
    size: int
    """On-disk bytes (compressed for ``.gz``)."""
    mtime: float
    gz: bool
    head_len: int
    """Decompressed bytes hashed: ``min(4096, content length)``."""
    head_hash: str
    isize: int | None = None
    """gzip trailer: decompressed length mod 2**32 (``.gz`` only)."""
    problem: str | None = None
    """Why the file cannot be read at all (``not a gzip file``): it is reported and skipped."""


class Opened(Protocol):
    """A decompressed byte stream of one file, positioned at the requested offset."""

    @property
    def raw_done(self) -> int:
        """On-disk (or on-wire) bytes consumed so far, for progress."""
        ...

    def read(self, size: int) -> bytes: ...

    def finish(self) -> None:
        """Raise if the stream ended early (connection lost, command failed)."""

    def close(self) -> None: ...


class FileSystem(Protocol):
    """How a source lists and opens files: local disk or an SSH host."""

    host: str

    def scan(self, pattern: str) -> list[FileInfo]:
        """Regular files matching ``pattern``; :class:`SourceError` when none or unreadable."""
        ...

    def head_hash(self, info: FileInfo, length: int) -> str:
        """SHA-256 hex of the first ``length`` decompressed bytes of ``info``."""
        ...

    def open(self, info: FileInfo, offset: int) -> Opened:
        """The file's decompressed bytes from ``offset``; :class:`DamagedFileError` if they cannot be decoded."""
        ...


def tail_digest(data: bytes) -> str:
    """The short checksum of the bytes before a cursor."""
    return hashlib.sha256(data).hexdigest()[:16]


def _rotation_key(info: FileInfo) -> tuple[int, float, int]:
    """Oldest first: by rotation number (``.3.gz`` before ``.1``), then by the date in the name
    (``-20261123`` before ``-20261124``), the live file (neither) last; mtime only breaks ties, since a
    copy without ``scp -p`` gives every file the same one."""
    match = _ROTATION_NUMBER.search(info.path)
    number = int(match.group(1)) if match else 0
    dated = _ROTATION_DATE.search(info.path)
    when = float(dated.group(1)) if dated else (0.0 if number else float("inf"))
    return (-number, when, int(info.mtime))


def _records(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not state or state.get("v") != STATE_VERSION:
        return []
    files = state.get("files")
    if not isinstance(files, list):
        return []
    return [r for r in files if isinstance(r, dict) and {"head", "hlen", "off"} <= r.keys()]


def match_records(
    fs: FileSystem, files: list[FileInfo], records: list[dict[str, Any]]
) -> list[tuple[FileInfo, dict[str, Any] | None]]:
    """Pair each listed file with the state record of the same content, if any."""
    hashes: dict[tuple[str, int], str] = {}

    def same_head(info: FileInfo, record: dict[str, Any]) -> bool:
        hlen = int(record["hlen"])
        if hlen == info.head_len:
            return record["head"] == info.head_hash
        if 0 < hlen < info.head_len:
            key = (info.path, hlen)
            if key not in hashes:
                hashes[key] = fs.head_hash(info, hlen)
            return hashes[key] == record["head"]
        return False

    found: dict[str, dict[str, Any]] = {}
    used: set[int] = set()
    for exact_inode in (True, False):
        for info in files:
            if info.path in found or info.head_len == 0:
                continue
            for index, record in enumerate(records):
                if index in used:
                    continue
                if exact_inode and (info.gz or record.get("ino") != info.inode):
                    continue
                if same_head(info, record):
                    found[info.path] = record
                    used.add(index)
                    break
    return [(info, found.get(info.path)) for info in files]


@dataclass(slots=True)
class _Planned:
    info: FileInfo
    ident: str
    offset: int
    to_read: bool
    tail: str | None = None
    tlen: int = 0
    bad: list[float] | None = None


def _plan(pairs: list[tuple[FileInfo, dict[str, Any] | None]]) -> list[_Planned]:
    planned: list[_Planned] = []
    for info, record in pairs:
        if info.head_len == 0:
            continue
        offset = int(record["off"]) if record else 0
        ident = str(record.get("id") or record["head"][:16]) if record else info.head_hash[:16]
        tail = record.get("tail") if record else None
        tlen = int(record.get("tlen") or 0) if record and isinstance(tail, str) else 0
        bad = record.get("bad") if record else None
        if bad != [info.size, info.mtime]:
            bad = None  # never damaged, or changed since: try it (again)
        if info.gz:
            done = info.isize is not None and info.isize == offset % 2**32 and offset > 0
            to_read = not done
        else:
            if info.size < offset:
                offset, tail, tlen = 0, None, 0  # same beginning, shorter: truncated and rewritten, read it again
            to_read = info.size > offset
        planned.append(_Planned(info, ident, offset, to_read and bad is None,
                                tail if isinstance(tail, str) else None, tlen, bad))
    return planned


def _state(planned: list[_Planned]) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    for p in planned:
        record: dict[str, Any] = {
            "id": p.ident, "head": p.info.head_hash, "hlen": p.info.head_len, "ino": p.info.inode, "off": p.offset,
        }
        if p.tail is not None:
            record["tail"], record["tlen"] = p.tail, p.tlen
        if p.bad is not None:
            record["bad"] = p.bad
        files.append(record)
    return {"v": STATE_VERSION, "files": files}


def _read_at_least(stream: Opened, size: int) -> bytes:
    """At least ``size`` bytes (fewer only at the end): a stream's ``read`` may return more than asked."""
    parts: list[bytes] = []
    have = 0
    while have < size:
        data = stream.read(size - have)
        if not data:
            break
        parts.append(data)
        have += len(data)
    return b"".join(parts)


def _open_checked(fs: FileSystem, item: _Planned) -> tuple[Opened, bytes, bytes]:
    """``item``'s file opened at its cursor, or from the start when the bytes before the cursor changed.

    Returns the stream, the checked bytes before the cursor (the new tail's start) and any bytes
    past the cursor that came with them.
    """
    if item.offset == 0 or item.tail is None or not 0 < item.tlen <= item.offset:
        return fs.open(item.info, item.offset), b"", b""
    stream = fs.open(item.info, item.offset - item.tlen)
    try:
        data = _read_at_least(stream, item.tlen)
    except BaseException:
        stream.close()
        raise
    before = data[: item.tlen]
    if len(before) == item.tlen and tail_digest(before) == item.tail:
        return stream, before, data[item.tlen :]
    stream.close()
    item.offset, item.tail, item.tlen = 0, None, 0  # rewritten under the cursor: read it again from the start
    return fs.open(item.info, 0), b"", b""


def read_rotated(
    fs: FileSystem,
    pattern: str,
    state: dict[str, Any] | None,
    *,
    source: str,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    warn: WarnCallback | None = None,
) -> Iterator[LineBatch]:
    """Batches of the lines of the files matching ``pattern`` that ``state`` has not seen yet.

    A file that cannot be decoded goes to ``warn`` (one line) and is skipped; the others are read.
    """

    def report(phase: str, done: int, total: int | None, lines: int, label: str) -> None:
        if progress is not None:
            progress(ProgressEvent(source, fs.host, done, total, lines, label, phase))

    def warning(text: str) -> None:
        if warn is not None:
            warn(text)

    report("listing", 0, None, 0, pattern)
    files = sorted(fs.scan(pattern), key=_rotation_key)
    unreadable = [info for info in files if info.problem is not None]
    if unreadable and len(unreadable) == len(files):
        raise DamagedFileError(f"{fs.host}: {unreadable[0].path}: {unreadable[0].problem}")  # nothing else to read
    for info in unreadable:
        warning(f"{fs.host}: {info.path}: {info.problem}; skipped it, read the other files")
    files = [info for info in files if info.problem is None]
    planned = _plan(match_records(fs, files, _records(state)))
    for item in planned:
        if item.bad is not None:
            warning(f"{fs.host}: {item.info.path}: damaged, unchanged since it was found damaged; skipped it, "
                    "read the other files (it is tried again once it changes)")
    total = sum(p.info.size - (0 if p.info.gz else p.offset) for p in planned if p.to_read)
    done_before = 0
    lines_done = 0
    newest = files[-1].path if files else None
    changed = False
    for item in planned:
        if not item.to_read:
            continue
        if should_stop is not None and should_stop():
            return
        info = item.info
        stream: Opened | None = None
        splitter = LineSplitter(item.offset, keep=TAIL_BYTES)
        try:
            stream, before, ahead = _open_checked(fs, item)
            splitter = LineSplitter(item.offset, keep=TAIL_BYTES, recent=before)
            splitter.feed(ahead)
            while True:
                if should_stop is not None and should_stop():
                    break
                data = stream.read(1024 * 1024)
                if not data:
                    stream.finish()
                    if info.path != newest:
                        splitter.finish()
                    break
                splitter.feed(data)
                if splitter.full:
                    lines, count, size = _take(splitter, item)
                    lines_done += count
                    yield LineBatch(f"{source}#{item.ident}", info.path, lines, count, info.mtime, size,
                                    _state(planned))
                    report("reading", done_before + stream.raw_done, total, lines_done, info.path)
        except DamagedFileError as error:
            warning(f"{error}; skipped the rest of it, read the other files (it is tried again once it changes)")
            item.bad = [info.size, info.mtime]
            changed = True
        finally:
            if stream is not None:
                stream.close()
        if splitter.pending:
            lines, count, size = _take(splitter, item)
            lines_done += count
            yield LineBatch(f"{source}#{item.ident}", info.path, lines, count, info.mtime, size, _state(planned))
        elif changed:
            yield LineBatch(f"{source}#-", pattern, b"", 0, 0.0, 0, _state(planned))
        changed = False
        done_before += stream.raw_done if stream is not None else 0
        report("reading", done_before, total, lines_done, info.path)
    if not any(p.to_read for p in planned) and state is not None and _state(planned) != state:
        # Nothing new, but files disappeared or were renamed: hand back the trimmed state.
        yield LineBatch(f"{source}#-", pattern, b"", 0, 0.0, 0, _state(planned))
    report("done", done_before, total, lines_done, pattern)


def _take(splitter: LineSplitter, item: _Planned) -> tuple[bytes, int, int]:
    """The splitter's lines, moving ``item``'s cursor and its tail checksum past them."""
    lines, count, size = splitter.take()
    item.offset = splitter.offset
    item.tail, item.tlen = tail_digest(splitter.recent), len(splitter.recent)
    return lines, count, size


def not_regular_error(host: str, path: str, directory: bool) -> SourceError:
    if directory:
        example = f"{path.rstrip('/')}/mail.log*"
        return SourceError(f"{host}: {path} is a directory; name the log files in it, e.g. {example}")
    return SourceError(f"{host}: {path} is not a regular file (a FIFO, socket or device); name a log file")


def no_match_error(host: str, pattern: str) -> SourceError:
    return SourceError(f"{host}: no such file: {pattern}; check the log path (globs like /var/log/mail.log* allowed)")


def permission_error(host: str, path: str) -> SourceError:
    return SourceError(
        f"{host}: permission denied reading {path}; add the user to group adm "
        "(usermod -aG adm USER) or enable sudo for this source (sudo=1 / profile sudo = true)"
    )
