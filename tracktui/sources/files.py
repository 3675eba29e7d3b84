"""``file:PATH`` sources: local log files, rotated and gzipped, read incrementally."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import socket
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO

from tracktui.errors import SourceError
from tracktui.sources.base import LineBatch, ProgressCallback, Source, StopCallback
from tracktui.sources.rotation import (
    HEAD_BYTES,
    FileInfo,
    no_match_error,
    permission_error,
    read_rotated,
)

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


class _LocalOpened:
    def __init__(self, info: FileInfo, offset: int) -> None:
        self._file = open(info.path, "rb")  # noqa: SIM115 - closed by close()
        self._counter = CountingReader(self._file)
        self._stream: Any
        if info.gz:
            self._stream = gzip.GzipFile(fileobj=self._counter, mode="rb")  # type: ignore[call-overload]
            self._info = info
            try:
                skip(self._stream, offset)
            except (OSError, EOFError) as exc:
                self.close()
                raise SourceError(f"{info.path}: damaged gzip file ({exc})") from exc
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
        except (OSError, EOFError) as exc:
            raise SourceError(f"{self._path}: damaged or truncated gzip file ({exc})") from exc

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
        for path in paths:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except PermissionError as exc:
                raise permission_error("localhost", path) from exc
            if not stat.S_ISREG(st.st_mode):
                continue
            infos.append(self._info(path, st))
        if not infos:
            raise no_match_error("localhost", pattern)
        return infos

    def _info(self, path: str, st: os.stat_result) -> FileInfo:
        gz = path.endswith(".gz")
        try:
            with open(path, "rb") as handle:
                isize = gzip_isize(handle, st.st_size) if gz else None
                handle.seek(0)
                head = _read_head(handle, gz, HEAD_BYTES, path)
        except PermissionError as exc:
            raise permission_error("localhost", path) from exc
        digest = hashlib.sha256(head).hexdigest()
        return FileInfo(path, st.st_ino, st.st_size, st.st_mtime, gz, len(head), digest, isize)

    def head_hash(self, info: FileInfo, length: int) -> str:
        with open(info.path, "rb") as handle:
            return hashlib.sha256(_read_head(handle, info.gz, length, info.path)).hexdigest()

    def open(self, info: FileInfo, offset: int) -> _LocalOpened:
        try:
            return _LocalOpened(info, offset)
        except PermissionError as exc:
            raise permission_error("localhost", info.path) from exc
        except FileNotFoundError as exc:
            raise SourceError(f"localhost: {info.path} disappeared while reading; sync again") from exc


def _read_head(handle: BinaryIO, gz: bool, length: int, path: str) -> bytes:
    if not gz:
        return handle.read(length)
    try:
        with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
            return unzipped.read(length)
    except (OSError, EOFError) as exc:
        raise SourceError(f"localhost: {path} is not a readable gzip file ({exc})") from exc


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
    ) -> Iterator[LineBatch]:
        return read_rotated(
            self._fs, self.pattern, state, source=self.url, progress=progress, should_stop=should_stop
        )
