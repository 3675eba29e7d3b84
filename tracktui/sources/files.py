"""``file:PATH`` sources: local log files, rotated and gzipped, read incrementally."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import socket
import stat
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from tracktui.errors import DamagedFileError, SourceError
from tracktui.sources.base import LineBatch, ProgressCallback, Source, StopCallback, WarnCallback
from tracktui.sources.rotation import (
    HEAD_BYTES,
    FileInfo,
    no_match_error,
    not_regular_error,
    permission_error,
    read_rotated,
)

_GZIP_ERRORS = (OSError, EOFError, zlib.error)
"""What :mod:`gzip` raises for a truncated (EOFError) or garbled (BadGzipFile, zlib.error) file."""

_GLOB_CHARS = frozenset("*?[")


class CountingReader:
    """A read-only wrapper that counts the bytes read through it (for progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


def skip(stream: Any, count: int) -> None:
    """Read and drop ``count`` bytes (a gzip stream cannot seek without decompressing)."""
    while count > 0:
        data = stream.read(min(count, 1024 * 1024))
        if not data:
            return
        count -= len(data)


def gzip_isize(handle: BinaryIO, size: int) -> int | None:
    """The gzip trailer's ISIZE (uncompressed length mod 2**32), read from the file's last 4 bytes."""
    if size < 18:
        return None
    handle.seek(size - 4)
    trailer = handle.read(4)
    return int.from_bytes(trailer, "little") if len(trailer) == 4 else None


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading, refusing anything but a regular file.

    ``O_NONBLOCK`` keeps a FIFO that replaced the file after it was listed from blocking
    the open (a regular file's reads ignore the flag).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise not_regular_error("localhost", path, stat.S_ISDIR(mode))
    return os.fdopen(fd, "rb")


class GzipStream:
    """A gzip stream that hands out what decompressed before a truncation or garbage, then raises.

    ``GzipFile.read(size)`` drops everything it decompressed in a call that hits the damage, so the
    lines before it would be lost; this gathers ``read1`` pieces and keeps the error for the next call.
    """

    def __init__(self, raw: Any) -> None:
        self._unzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._error: BaseException | None = None

    def read(self, size: int) -> bytes:
        if self._error is not None:
            raise self._error
        parts: list[bytes] = []
        have = 0
        try:
            while have < size:
                data = self._unzip.read1(size - have)
                if not data:
                    break
                parts.append(data)
                have += len(data)
        except _GZIP_ERRORS as exc:
            if not parts:
                raise
            self._error = exc
        return b"".join(parts)


class _LocalOpened:
    def __init__(self, info: FileInfo, offset: int) -> None:
        self._file = open_regular(info.path)
        self._counter = CountingReader(self._file)
        self._stream: Any
        if info.gz:
            self._stream = GzipStream(self._counter)
            self._info = info
            try:
                skip(self._stream, offset)
            except _GZIP_ERRORS as exc:
                self.close()
                reason = exc or type(exc).__name__
                raise DamagedFileError(f"localhost: {info.path}: damaged gzip file ({reason})") from exc
        else:
            self._file.seek(offset)
            self._stream = self._counter
        self._path = info.path

    @property
    def raw_done(self) -> int:
        return self._counter.count

    def read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except _GZIP_ERRORS as exc:
            raise DamagedFileError(
                f"localhost: {self._path}: damaged or truncated gzip file ({exc or type(exc).__name__})"
            ) from exc

    def finish(self) -> None:
        return None

    def close(self) -> None:
        self._file.close()


class LocalFileSystem:
    """The local disk, as :func:`read_rotated` needs it; ``host`` is the name progress reports carry."""

    def __init__(self, host: str | None = None) -> None:
        self.host = host or socket.gethostname()

    def scan(self, pattern: str) -> list[FileInfo]:
        pattern = os.path.expanduser(pattern)
        paths = sorted(glob.glob(pattern)) if _GLOB_CHARS & set(pattern) else [pattern]
        infos: list[FileInfo] = []
        other: tuple[str, bool] | None = None
        for path in paths:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except PermissionError as exc:
                raise permission_error("localhost", path) from exc
            if not stat.S_ISREG(st.st_mode):
                other = other or (path, stat.S_ISDIR(st.st_mode))
                continue
            infos.append(self._info(path, st))
        if not infos:
            if other is not None:
                raise not_regular_error("localhost", *other)
            raise no_match_error("localhost", pattern)
        return infos

    def _info(self, path: str, st: os.stat_result) -> FileInfo:
        gz = path.endswith(".gz")
        try:
            with open_regular(path) as handle:
                isize = gzip_isize(handle, st.st_size) if gz else None
                handle.seek(0)
                head = _read_head(handle, gz, HEAD_BYTES, path)
        except PermissionError as exc:
            raise permission_error("localhost", path) from exc
        except DamagedFileError as error:
            return FileInfo(path, st.st_ino, st.st_size, st.st_mtime, gz, 0, "", None, problem=error.args[0])
        digest = hashlib.sha256(head).hexdigest()
        return FileInfo(path, st.st_ino, st.st_size, st.st_mtime, gz, len(head), digest, isize)

    def head_hash(self, info: FileInfo, length: int) -> str:
        with open_regular(info.path) as handle:
            return hashlib.sha256(_read_head(handle, info.gz, length, info.path)).hexdigest()

    def open(self, info: FileInfo, offset: int) -> _LocalOpened:
        try:
            return _LocalOpened(info, offset)
        except PermissionError as exc:
            raise permission_error("localhost", info.path) from exc
        except FileNotFoundError as exc:
            raise SourceError(f"localhost: {info.path} disappeared while reading; sync again") from exc


def _read_head(handle: BinaryIO, gz: bool, length: int, path: str) -> bytes:
    """The first ``length`` content bytes; of a truncated ``.gz``, what decompresses (as ``gzip -dc | head`` gives).

    :class:`DamagedFileError` (naming why) for a ``.gz`` that is not gzip at all.
    """
    if not gz:
        return handle.read(length)
    parts: list[bytes] = []
    have = 0
    try:
        with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
            while have < length:
                data = unzipped.read1(length - have)
                if not data:
                    break
                parts.append(data)
                have += len(data)
    except EOFError:
        pass  # truncated: its beginning is still its identity, the reading reports the damage
    except _GZIP_ERRORS as exc:
        if not have:
            raise DamagedFileError(f"not a gzip file ({exc or type(exc).__name__})") from exc
    return b"".join(parts)


class FileSource(Source):
    """Local log files matching a glob.

    ``host_hint`` is ``host_name`` (the URL's ``host=``) when given, else this
    machine's host name; ``host=`` files logs copied from another machine under its name.
    """

    def __init__(self, url: str, pattern: str, *, mta: str | None = None, host_name: str | None = None) -> None:
        self.url = url
        self.pattern = pattern
        self._fs = LocalFileSystem(host_name)
        self.host_hint = self._fs.host
        self.mta_hint = mta

    def read(
        self,
        state: dict[str, Any] | None,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCallback | None = None,
        warn: WarnCallback | None = None,
    ) -> Iterator[LineBatch]:
        return read_rotated(
            self._fs, self.pattern, state, source=self.url, progress=progress, should_stop=should_stop, warn=warn
        )
