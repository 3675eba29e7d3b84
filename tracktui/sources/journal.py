"""``ssh://host?journal=UNIT`` sources: ``journalctl -o json`` over SSH, resumed by ``__CURSOR``.

Runs ``SYSTEMD_PAGER=cat PAGER=cat journalctl -o json --no-pager -u UNIT`` with ``--after-cursor=CURSOR``
from the state, or ``--since=@EPOCH`` on the first read (60 days back unless
``since`` says otherwise). ``-u`` takes systemd's unit globs too
(``postfix@*``). Lines are the raw JSON records: the syslog parser reads
them. The state, ``{"v": 1, "cursor": "..."}``, is the ``__CURSOR`` of the
last line of each batch, so a batch handed out is never asked for again.

The binary is ``journalctl`` on the remote PATH, or the ``journalctl=`` URL
parameter (an absolute path: a non-standard install, or the recorded journal
the test suite serves).

journalctl never gets a chance to start a pager: ``--no-pager`` on every call, and
``SYSTEMD_PAGER=cat PAGER=cat`` in case a wrapper or an old version ignores it (a
pager run through ``sudo`` would be a root shell away). The sudoers rule for
``sudo=1`` can pin the whole command line: :func:`sudoers_journal` writes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from tracktui.errors import HostError, SourceError
from tracktui.parsers.syslog import journal_cursor
from tracktui.sources.base import (
    LineBatch,
    LineSplitter,
    ProgressCallback,
    ProgressEvent,
    StopCallback,
    WarnCallback,
)
from tracktui.sources.remote import ChannelStream, command
from tracktui.sources.ssh import SSHSource

DEFAULT_SINCE_DAYS = 60
NO_PAGER_ENV = "SYSTEMD_PAGER=cat PAGER=cat"



def sudoers_journal(user: str = "tracktui", journalctl: str = "/usr/bin/journalctl") -> str:
    """sudoers lines (sudo >= 1.9.10: ``^...$`` arguments are regular expressions) allowing exactly the
    commands :func:`journal_command` builds for ``user``: no other option, so no pager, no other output."""
    unit = "[A-Za-z0-9@._*-]+"
    head = f"{user} ALL=(root) NOPASSWD: {journalctl} ^-o json --no-pager -u {unit}"
    return f"{head} --since\\=@[0-9]+$\n{head} --after-cursor\\=[A-Za-z0-9\\=;]+$\n"


def journal_command(journalctl: str, unit: str, cursor: str | None, since: float, *, sudo: bool) -> str:
    """The shell command line reading ``unit``'s journal after ``cursor`` (or since ``since``)."""
    words = [journalctl, "-o", "json", "--no-pager", "-u", unit]
    words.append(f"--after-cursor={cursor}" if cursor else f"--since=@{int(since)}")
    return f"{NO_PAGER_ENV} {command(words, sudo=sudo)}"


class JournalSource(SSHSource):
    """The journal of one systemd unit on an SSH host."""

    def read(
        self,
        state: dict[str, Any] | None,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCallback | None = None,
        warn: WarnCallback | None = None,
        since: float | None = None,
    ) -> Iterator[LineBatch]:
        unit = self.parsed.journal or ""
        cursor = state.get("cursor") if state and state.get("v") == 1 else None
        if since is None:
            since = time.time() - DEFAULT_SINCE_DAYS * 86400
        conn = self.connection(progress, warn)
        label = f"journal:{unit}"
        cmd = journal_command(self.parsed.journalctl, unit, cursor if isinstance(cursor, str) else None, since,
                              sudo=self.parsed.sudo)
        stream = ChannelStream(conn, cmd, host=self.parsed.host, what=f"the journal of {unit}")
        splitter = LineSplitter(0)
        lines_done = 0
        try:
            while True:
                if should_stop is not None and should_stop():
                    break
                data = stream.read(1024 * 1024)
                if not data:
                    self._finish(stream, unit)
                    break
                splitter.feed(data)
                if splitter.full:
                    batch = self._batch(splitter, label)
                    if batch is not None:
                        lines_done += batch.line_count
                        yield batch
                    if progress is not None:
                        progress(ProgressEvent(self.url, self.host_hint, stream.raw_done, None, lines_done, label,
                                               "reading"))
            batch = self._batch(splitter, label)
            if batch is not None:
                lines_done += batch.line_count
                yield batch
        except HostError:
            self.close()
            raise
        finally:
            stream.close()
        if progress is not None:
            progress(ProgressEvent(self.url, self.host_hint, stream.raw_done, stream.raw_done, lines_done, label,
                                   "done"))

    def _batch(self, splitter: LineSplitter, label: str) -> LineBatch | None:
        if not splitter.pending:
            return None
        data, count, size = splitter.take()
        cursor = _last_cursor(data)
        if cursor is None:
            return None
        return LineBatch(f"{self.url}#journal", label, data, count, time.time(), size, {"v": 1, "cursor": cursor})

    def _finish(self, stream: ChannelStream, unit: str) -> None:
        status = stream.exit_status()
        stream.check_started()
        text = stream.stderr.decode("utf-8", "replace")
        lower = text.lower()
        if status == 127 or "not found" in lower:
            raise SourceError(f"{self.parsed.host}: {self.parsed.journalctl} not found; the host has no systemd "
                              "journal: read its log files instead (ssh://host/var/log/mail.log*)")
        if "insufficient permissions" in lower or "permission denied" in lower:
            raise SourceError(f"{self.parsed.host}: not allowed to read the journal of {unit}; add the user to "
                              "group systemd-journal or adm, or use sudo=1")
        if "sudo:" in lower:
            raise SourceError(f"{self.parsed.host}: sudo -n needs a password for journalctl; allow it without "
                              "password (NOPASSWD) or add the user to group systemd-journal")
        if status != 0:
            first = text.strip().splitlines()[0] if text.strip() else f"exit status {status}"
            raise SourceError(f"{self.parsed.host}: journalctl failed for unit {unit}: {first}")


def _last_cursor(data: bytes) -> str | None:
    """The ``__CURSOR`` of the last record in ``data`` that has one, decoding only the lines it looks at."""
    end = len(data)
    while end >= 0:
        start = data.rfind(b"\n", 0, end) + 1
        cursor = journal_cursor(data[start:end].decode("utf-8", "replace")) if start < end else None
        if cursor:
            return cursor
        end = start - 1
    return None
