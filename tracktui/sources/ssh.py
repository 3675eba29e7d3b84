"""``ssh://[user@]host[:port]/path`` sources: rotated log files on a mail host, read over SSH.

Listing and identifying the files costs one remote command (a fixed POSIX
``sh`` script that gets the directory and the glob as arguments, never
spliced into its text). Reading a plain file runs ``tail -c +N`` so only the
bytes past the cursor travel; a ``.gz`` file is sent as it is and
decompressed here as a stream.

With ``sudo=1`` only the reading commands run as ``sudo -n CMD`` (never a
shell), each with an absolute path and fixed options, so the sudoers rule can
pin every argument to the log files (:func:`sudoers_files`): a rule naming just
``/usr/bin/cat`` would let the account read every file as root. The directory
must be listable by the login user (``/var/log`` is).

How plain bytes travel (``transit=`` URL parameter):

- ``none``: as they are;
- ``ssh``: SSH transport compression (zlib in paramiko);
- ``gzip``: ``tail -c +N FILE | gzip -1`` on the host, decompressed here.

The default is :data:`DEFAULT_TRANSIT` = ``none``, the fastest in
``benchmarks/ssh_sync.py`` over loopback on a 2-core machine (150 MB, 1M lines,
medians: ``none`` 1.0 s / 146 MB/s, ``gzip`` 4.2 s / 36 MB/s, ``ssh`` 4.6 s /
33 MB/s; OpenSSH scp 1.2 s). Compression only pays when the link is slower than
the CPU compresses (roughly under 30 MB/s): there ``transit=gzip`` sends about
a fifth of the bytes (``gzip -1`` packs a busy Postfix log 5.7x) and beats
paramiko's in-process zlib.
"""

from __future__ import annotations

import posixpath
import zlib
from collections.abc import Iterator
from typing import Any

from tracktui.errors import DamagedFileError, HostError, SourceError, UsageError
from tracktui.sources.base import LineBatch, ProgressCallback, ProgressEvent, Source, StopCallback, WarnCallback
from tracktui.sources.files import GzipStream, skip
from tracktui.sources.remote import ChannelStream, command, remote_error, run
from tracktui.sources.rotation import FileInfo, no_match_error, not_regular_error, permission_error, read_rotated
from tracktui.sources.sshconnect import Connection, Connector
from tracktui.sources.urls import SourceURL

DEFAULT_TRANSIT = "none"

SCAN_SCRIPT = r"""
dir=$1; pat=$2; S=$3
if [ ! -d "$dir" ]; then
  if [ -e "$dir" ]; then exit 20; fi
  exit 21
fi
cd -- "$dir" 2>/dev/null || exit 22
if [ -n "$S" ]; then $S test -d "$dir" || exit 23; fi
for f in *; do
  case $f in $pat) ;; *) continue ;; esac
  p=${dir%/}/$f
  if [ ! -f "$p" ]; then
    if [ -d "$p" ]; then printf 'N d\n%s\0' "$f"; elif [ -e "$p" ]; then printf 'N o\n%s\0' "$f"; fi
    continue
  fi
  if ! $S test -r "$p"; then printf 'E\n%s\0' "$f"; continue; fi
  meta=$($S stat -L -c '%i %s %Y' -- "$p") || exit 24
  case $f in
    *.gz)
      mg=$($S head -c 2 -- "$p" | od -An -tx1)
      if [ "$(echo $mg)" != "1f 8b" ]; then
        if [ -s "$p" ]; then printf 'D\n%s\0' "$f"; fi
        continue
      fi
      hl=$($S gzip -dc -- "$p" | head -c 4096 | wc -c)
      hh=$($S gzip -dc -- "$p" | head -c 4096 | sha256sum)
      tl=$($S tail -c 4 -- "$p" | od -An -tu1) ;;
    *)
      hl=$($S head -c 4096 -- "$p" | wc -c)
      hh=$($S head -c 4096 -- "$p" | sha256sum)
      tl= ;;
  esac
  printf 'F %s %s %s %s\n%s\0' "$meta" "$((hl))" "${hh%% *}" "$(echo $tl)" "$f"
done
"""
"""Lists the files matching ``$2`` in ``$1`` with what identifies them. ``$3`` is ``sudo -n`` or empty:
only the reading commands run through it, never a shell, each with an absolute path, so a sudo rule
can pin every argument (see :func:`sudoers_files`). Records: ``F`` a file, ``E`` unreadable, ``D`` a ``.gz``
that is not gzip, ``N d``/``N o`` a directory or other non-regular file."""

def sudoers_files(user: str = "tracktui", directory: str = "/var/log", names: str = r"mail\.log[.0-9a-z-]*") -> str:
    """sudoers lines allowing ``user`` exactly the reading commands ``sudo=1`` runs, on ``directory``'s files
    whose name matches the regular expression ``names`` (sudo >= 1.9.10: ``^...$`` arguments are regular
    expressions; without ``/`` in ``names`` no other directory can be reached)."""
    where = re_literal(directory.rstrip("/") or "/")
    path = f"{where}/{names}"
    commands = [
        f"/usr/bin/test ^-d {where}$",
        f"/usr/bin/test ^-r {path}$",
        f"/usr/bin/stat ^-L -c %i %s %Y -- {path}$",
        f"/usr/bin/head ^-c [0-9]+ -- {path}$",
        f"/usr/bin/tail ^-c \\+?[0-9]+ -- {path}$",
        f"/usr/bin/cat ^-- {path}$",
        f"/usr/bin/gzip ^-dc -- {path}$",
    ]
    alias = "TRACKTUI_LOGS"
    return f"Cmnd_Alias {alias} = " + ", \\\n    ".join(commands) + f"\n{user} ALL=(root) NOPASSWD: {alias}\n"


def re_literal(text: str) -> str:
    """``text`` as a POSIX regular expression matching only itself, escaped for sudoers too."""
    return "".join(f"\\{c}" if c in ".[]()*+?{}|^$\\" else ("\\" + c if c in "=:,!" else c) for c in text)


def split_path(url: str, path: str) -> tuple[str, str]:
    """Directory and file-name glob of a remote path; globs are allowed in the file name only."""
    directory, pattern = posixpath.split(path)
    if not directory.startswith("/"):
        raise UsageError(f"{url}: the remote path must be absolute")
    if set("*?[") & set(directory):
        raise UsageError(f"{url}: globs are allowed in the file name only, not in {directory}")
    if not pattern:
        raise UsageError(f"{url}: the path names a directory; add the file name, e.g. mail.log*")
    return directory, pattern


class _TransitGunzip:
    """Decompress a ``gzip -1`` stream coming off a channel."""

    def __init__(self, stream: ChannelStream) -> None:
        self._stream = stream
        self._unzip = zlib.decompressobj(wbits=31)
        self.raw_done = 0

    def read(self, size: int) -> bytes:
        while True:
            data = self._stream.read(256 * 1024)
            if not data:
                return self._unzip.flush()
            try:
                out = self._unzip.decompress(data)
            except zlib.error as exc:
                self._stream.close()
                raise SourceError(f"{self._stream.host}: corrupt compressed stream for {self._stream.what}") from exc
            if out:
                self.raw_done += len(out)
                return out

    def finish(self) -> None:
        self._stream.finish()
        if not self._unzip.eof:
            raise self._stream.lost()

    def close(self) -> None:
        self._stream.close()


class _RemoteGzipFile:
    """A remote ``.gz`` file streamed as it is and decompressed here."""

    def __init__(self, stream: ChannelStream, offset: int) -> None:
        self._stream = stream
        self._unzip = GzipStream(stream)
        try:
            skip(self._unzip, offset)
        except (OSError, EOFError, zlib.error) as exc:
            self._failed(exc)

    @property
    def raw_done(self) -> int:
        return self._stream.raw_done

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, EOFError):
            self._stream.finish()  # the stream ended early: the connection or the command failed, or the file did
        raise DamagedFileError(
            f"{self._stream.host}: {self._stream.what}: damaged gzip file ({exc or type(exc).__name__})"
        ) from exc

    def read(self, size: int) -> bytes:
        try:
            return self._unzip.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            self._failed(exc)
            raise

    def finish(self) -> None:
        self._stream.finish()

    def close(self) -> None:
        self._stream.close()


class RemoteFileSystem:
    """An SSH host's files, as :func:`read_rotated` needs them.

    ``host`` is the name progress reports carry (the source's ``host_hint``); ``where``
    the host as the user reaches it, which errors name because that is what they act on.
    """

    def __init__(self, conn: Connection, *, host: str, where: str, sudo: bool, transit: str) -> None:
        self.conn = conn
        self.host = host
        self.where = where
        self.sudo = sudo
        self.transit = transit

    def scan(self, pattern: str) -> list[FileInfo]:
        directory, name_glob = posixpath.split(pattern)
        cmd = command(["sh", "-c", SCAN_SCRIPT, "sh", directory, name_glob, "sudo -n" if self.sudo else ""])
        status, out, err = run(self.conn, cmd, host=self.where, what=pattern)
        if status == 20:
            raise SourceError(f"{self.where}: {directory} is not a directory; check the log path")
        if status == 21:
            raise no_match_error(self.where, pattern)
        if status == 22:
            raise permission_error(self.where, directory)
        # Any complaint counts (a sudo refusal inside a pipeline only shows on stderr), except
        # gzip's when head stopped reading early in an environment that ignores SIGPIPE, and
        # gzip's about a damaged file: reading it reports that, and reads the other files.
        err = b"\n".join(line for line in err.splitlines()
                         if b"Broken pipe" not in line and not line.startswith(b"gzip: ")).strip()
        if status != 0 or err:
            raise remote_error(self.where, pattern, status, err)
        infos: list[FileInfo] = []
        other: tuple[str, bool] | None = None
        for record in out.split(b"\0"):
            if not record:
                continue
            head, _, raw_name = record.partition(b"\n")
            # Names are bytes on the host: surrogateescape keeps every byte, and commands encode them back alike.
            path = posixpath.join(directory, raw_name.decode("utf-8", "surrogateescape"))
            fields = head.decode("ascii", "replace").split()
            if fields[0] == "E":
                raise permission_error(self.where, path)
            if fields[0] == "N":
                other = other or (path, fields[1:] == ["d"])
                continue
            if fields[0] == "D":
                infos.append(FileInfo(path, 0, 0, 0.0, True, 0, "", None, problem="not a gzip file"))
                continue
            try:
                inode, size, mtime, hlen = (int(x) for x in fields[1:5])
                digest = fields[5]
            except (ValueError, IndexError):
                raise SourceError(f"{self.where}: unexpected answer listing {pattern}: {head[:80]!r}") from None
            trailer = [int(x) for x in fields[6:10]] if len(fields) >= 10 else None
            isize = int.from_bytes(bytes(trailer), "little") if trailer else None
            infos.append(FileInfo(path, inode, size, float(mtime), path.endswith(".gz"), hlen, digest, isize))
        if not infos:
            if other is not None:
                raise not_regular_error(self.where, *other)
            raise no_match_error(self.where, pattern)
        return infos

    def head_hash(self, info: FileInfo, length: int) -> str:
        reader = ["gzip", "-dc", "--", info.path] if info.gz else ["head", "-c", str(length), "--", info.path]
        cmd = command(reader, sudo=self.sudo)
        if info.gz:
            cmd += " | head -c " + str(int(length))
        status, out, err = run(self.conn, cmd + " | sha256sum", host=self.where, what=info.path)
        err = b"\n".join(line for line in err.splitlines() if b"Broken pipe" not in line).strip()
        if status != 0 or err or not out:
            raise remote_error(self.where, info.path, status, err)
        return out.split()[0].decode("ascii")

    def open(self, info: FileInfo, offset: int) -> Any:
        if info.gz:
            cmd = command(["cat", "--", info.path], sudo=self.sudo)
            return _RemoteGzipFile(ChannelStream(self.conn, cmd, host=self.where, what=info.path), offset)
        cmd = command(["tail", "-c", f"+{offset + 1}", "--", info.path], sudo=self.sudo)
        if self.transit == "gzip":
            cmd += " | gzip -1 -c"
            return _TransitGunzip(ChannelStream(self.conn, cmd, host=self.where, what=info.path))
        return ChannelStream(self.conn, cmd, host=self.where, what=info.path)


class SSHSource(Source):
    """Shared connection handling of the SSH file and journal sources: connect lazily, reconnect when dropped.

    ``host_hint`` is the URL's ``host=`` when given (an address or alias that is not the
    name the logs should be filed under), else the host as written in the URL.
    """

    def __init__(self, url: str, parsed: SourceURL, connector: Connector) -> None:
        self.url = url
        self.parsed = parsed
        self.connector = connector
        self.host_hint = parsed.host_name or parsed.host
        self.mta_hint = parsed.mta
        self._conn: Connection | None = None

    def connection(self, progress: ProgressCallback | None, warn: WarnCallback | None = None) -> Connection:
        if self._conn is not None and self._conn.active:
            return self._conn
        self.close()
        if progress is not None:
            progress(ProgressEvent(self.url, self.host_hint, 0, None, 0, self.parsed.host, "connecting"))
        self._conn = self.connector.connect(self.parsed.host, self.parsed.user, self.parsed.port, warn=warn)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SSHFileSource(SSHSource):
    """Log files on an SSH host matching a glob in their directory."""

    def __init__(self, url: str, parsed: SourceURL, connector: Connector) -> None:
        super().__init__(url, parsed, connector)
        split_path(url, parsed.path)
        self.transit = parsed.transit or DEFAULT_TRANSIT

    def read(
        self,
        state: dict[str, Any] | None,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCallback | None = None,
        warn: WarnCallback | None = None,
    ) -> Iterator[LineBatch]:
        conn = self.connection(progress, warn)
        fs = RemoteFileSystem(conn, host=self.host_hint, where=self.parsed.host, sudo=self.parsed.sudo,
                              transit=self.transit)
        try:
            yield from read_rotated(
                fs, self.parsed.path, state, source=self.url, progress=progress, should_stop=should_stop, warn=warn
            )
        except HostError:
            self.close()
            raise
