"""Turn batches of log lines into cache rows, in this process or in a worker process.

A sync's CPU work (parse, correlate, build the row tuples) is pure; its I/O
(the source, which may prompt the user for a password, and the cache
transaction) is not. :class:`RowBuilder` does the pure part for one source.
:class:`LocalStage` runs it inline; :class:`ProcessStage` runs it in one
worker process per source, so the main process can write batch N to the cache
while the worker parses the batches after it — threads cannot overlap the two,
as both hold the GIL. Only plain data crosses the socket: bytes of lines in,
marshalled lists of tuples out, at most :attr:`ProcessStage.depth` + 1 batches
in flight, so memory stays bounded however long the log.

The worker is a fresh interpreter (``sys.executable -c``, like multiprocessing's
``spawn`` but without re-importing the caller's ``__main__``): syncs run in TUI
worker threads, and forking a threaded process is unsafe. Lines cross as the
bytes the source read (:attr:`LineBatch.data <tracktui.sources.base.LineBatch.data>`)
and are decoded in the worker: decoding, splitting and pickling a million
strings would otherwise cost the main process, the busier of the two, ~0.6 s
per million lines. Its stdin, stdout
and stderr are /dev/null (nothing may draw on the TUI's screen; failures come
back over the socket as one line), and it ignores Ctrl-C, exiting when the
socket closes. Starting it costs a few hundred milliseconds, so small reads
stay inline (:data:`PROCESS_MIN_LINES`).
"""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from multiprocessing.connection import Connection
from typing import Any

from tracktui.correlate import Correlator
from tracktui.errors import SourceError, os_reason
from tracktui.journeys.locality import DEFAULT_LOCALITY, Locality
from tracktui.model import Message
from tracktui.parsers.base import Parser, ParseStats
from tracktui.parsers.detect import detect_mta, make_parser
from tracktui.rows import Rows, build_rows
from tracktui.sources.base import decode_lines

PROCESS_MIN_LINES = 100_000
"""Auto rule: a read goes to a worker process only if the source has this many lines for it.

The sync looks ahead until this many lines are pending or the source is
exhausted; a smaller read (an incremental sync of a few thousand lines) stays
inline, where the worker's start-up (about 0.3 s) would cost more than the
overlap saves. At 65,536 lines a batch, a read goes to the worker when the
source yields a second batch.
"""

SOCKET_BUFFER = 4 * 1024 * 1024
"""Send buffer asked for on the worker's socket: a batch crosses in a few writes rather than fifty."""


@dataclass(slots=True)
class BatchOutput:
    """What one batch of lines became: cache rows plus the counters the sync reports."""

    rows: Rows
    deliveries: int
    """Deliveries touched by the batch (the progress display's running count)."""
    stats: ParseStats | None
    """The parser's counters for this batch (``None`` when no parser could be chosen)."""
    mta: str | None
    """The MTA the lines were read as, once known."""


class RowBuilder:
    """Parser + correlator + row building for one source; no I/O, so it runs in either process.

    Args:
        source_id: the cache's id for the source (stamped on message rows).
        mta: the MTA to parse as, or ``None`` to detect it from each new stream's first batch.
        tz: the zone of the log's local time stamps (``None``: the machine's).
        default_host: host name for lines that do not name one.
        live: the source's live messages from the cache (``Cache.load_live``).
        locality: which relays and clients are our own (``Cache.locality``).
    """

    def __init__(self, source_id: str, *, mta: str | None, tz: tzinfo | None, default_host: str,
                 live: Sequence[Message], locality: Locality = DEFAULT_LOCALITY) -> None:
        self.source_id = source_id
        self.locality = locality
        self.mta = mta
        self.tz = tz
        self.default_host = default_host
        self.correlator = Correlator(source_id)
        self.correlator.restore(live)
        self._sent: dict[int, tuple[Any, ...]] = {}
        """Delivery rows handed out for live messages (see :func:`build_rows`)."""
        self._counted: dict[int, int] = {}
        """Deliveries of each live message already counted in this sync's summary."""
        self._parser: Parser | None = None
        self._stream: str | None = None
        self._found_mta: str | None = None

    def process(self, stream: str, reference_time: float, lines: list[str]) -> BatchOutput:
        """Parse and correlate one batch; a new stream gets a fresh parser anchored at its reference time."""
        if stream != self._stream or self._parser is None:
            name = self.mta or self._found_mta or detect_mta(lines)
            self._parser = None if name is None else make_parser(
                name, tz=self.tz, reference_time=reference_time, default_host=self.default_host)
            self._stream = stream
            if self._parser is not None:
                self._found_mta = self._parser.mta
        parser = self._parser
        stats: ParseStats | None = None
        if parser is not None:
            parse = parser.parse
            feed = self.correlator.feed
            for line in lines:
                event = parse(line)
                if event is not None:
                    feed(event)
            stats = parser.stats
            parser.stats = ParseStats()
        return self._drained(stats)

    def finish(self, before: float) -> BatchOutput | None:
        """Close live messages silent since ``before``; their rows, or ``None`` if there were none."""
        if not self.correlator.close_stale(before):
            return None
        return self._drained(None)

    def _drained(self, stats: ParseStats | None) -> BatchOutput:
        messages = self.correlator.drain()
        counted = self._counted
        deliveries = 0
        for message in messages:  # a message touched in several batches counts its deliveries once
            total = len(message.deliveries)
            deliveries += total - counted.pop(message.key, 0)
            if message.live:
                counted[message.key] = total
        rows = build_rows(self.source_id, messages, self._sent, self.locality)
        return BatchOutput(rows, deliveries, stats, self._found_mta)


class LocalStage:
    """Runs a :class:`RowBuilder` inline: no start-up cost, no overlap."""

    depth = 0
    """Batches the caller may submit beyond the one whose result it takes next."""

    def __init__(self, builder: RowBuilder) -> None:
        self._builder = builder
        self._pending: list[tuple[str, float, bytes, int]] = []

    def submit(self, stream: str, reference_time: float, data: bytes, count: int) -> None:
        """Queue ``count`` lines, as read (:attr:`LineBatch.data <tracktui.sources.base.LineBatch.data>`)."""
        self._pending.append((stream, reference_time, data, count))

    def result(self) -> BatchOutput:
        stream, reference_time, data, count = self._pending.pop(0)
        return self._builder.process(stream, reference_time, decode_lines(data, count))

    def finish(self, before: float) -> BatchOutput | None:
        return self._builder.finish(before)

    def close(self) -> None:
        self._pending.clear()


class ProcessStage:
    """Runs a :class:`RowBuilder` in a worker process; results come back in submission order.

    The caller keeps at most :attr:`depth` + 1 batches in the worker's hands,
    so memory stays bounded. Both processes move data through their socket in
    threads of their own (a blocked write or read releases the GIL), so the
    caller's thread spends its time reading the source and committing, not
    waiting on the pipe. If the worker dies, :meth:`result` and :meth:`finish`
    raise :class:`SourceError` naming ``url``.
    """

    depth = 2
    """Batches in flight beyond the one whose result is taken next: enough for the worker to run ahead
    while a slow commit (a WAL checkpoint's fsync) holds the main process up."""

    def __init__(self, url: str, source_id: str, *, mta: str | None, tz: tzinfo | None, default_host: str,
                 live: Sequence[Message], locality: Locality = DEFAULT_LOCALITY) -> None:
        self.url = url
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):  # fewer, larger writes per batch (the kernel caps this at wmem_max)
            with contextlib.suppress(OSError):
                end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_COMMAND, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError) as error:
            ours.close()
            raise SourceError(f"{url}: cannot start the parsing process: {os_reason(error)}") from error
        finally:
            theirs.close()
        self._sock = ours  # kept to shut the connection down, which wakes the threads blocked on it
        self._conn = Connection(os.dup(ours.fileno()))
        self._outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._inbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=_send_from, args=(self._conn, self._outbox), daemon=True,
                             name="tracktui-parse-send"),
            threading.Thread(target=_receive_into, args=(self._conn, self._inbox), daemon=True,
                             name="tracktui-parse-receive"),
        ]
        for thread in self._threads:
            thread.start()
        self._outbox.put(("start", source_id, mta, tz, default_host, list(live), locality))

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._proc.pid

    @property
    def running(self) -> bool:
        """Whether the worker process is still alive."""
        return self._proc.poll() is None

    def submit(self, stream: str, reference_time: float, data: bytes, count: int) -> None:
        """Hand ``count`` lines, as read, to the worker (it decodes them)."""
        self._outbox.put(("batch", stream, reference_time, data, count))

    def result(self) -> BatchOutput:
        reply = self._inbox.get()
        if reply is None:
            self._inbox.put(None)  # the socket stays closed: any later call fails the same way
            raise self._died()
        if reply[0] == "error":
            raise SourceError(f"{self.url}: parsing failed: {reply[1]}")
        return BatchOutput(*reply[1:])

    def finish(self, before: float) -> BatchOutput | None:
        self._outbox.put(("finish", before))
        output = self.result()
        return output if output.rows[0] or output.rows[1] else None

    def close(self) -> None:
        """Stop the worker (it exits when its socket closes; a busy or stuck one is killed) and the threads."""
        self._outbox.put(None)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:
            self._proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for thread in self._threads:
            thread.join()
        self._conn.close()
        self._sock.close()

    def _died(self) -> SourceError:
        try:
            code: int | None = self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            how = "stopped answering"
        elif code < 0:
            how = f"was killed (signal {-code})"
        else:
            how = f"exited with code {code}"
        return SourceError(f"{self.url}: the parsing process {how}; batches before this one are saved")


_WORKER_COMMAND = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[2]); "  # our import path, as multiprocessing does
    "from tracktui.pipeline import worker_main; worker_main(int(sys.argv[1]))"
)


def process_available() -> bool:
    """Whether a worker process can be started here (a POSIX system and a known interpreter)."""
    return os.name == "posix" and bool(sys.executable)


def worker_main(fd: int) -> None:
    """Entry point of the worker process: answer each ``batch`` on socket ``fd`` with its rows until it closes.

    One thread receives, one sends, the main thread parses: the main process
    can hand over batch N+2 and the worker can finish batch N+1 while the
    result of batch N still waits to be read.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    gc.disable()  # the engine's objects hold no cycles (see tracktui.gcpause)
    # The socket threads need the GIL between two reads or writes of a large batch: let them have it
    # within 0.5 ms rather than the default 5 ms, or a 10 MB batch takes a quarter of a second to cross.
    sys.setswitchinterval(0.0005)
    conn = Connection(fd)
    inbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_receive_into, args=(conn, inbox), daemon=True).start()
    sender = threading.Thread(target=_send_from, args=(conn, outbox), daemon=True)
    sender.start()
    try:
        _serve(inbox, outbox)
    finally:
        outbox.put(None)
        sender.join()
        conn.close()


def _serve(inbox: queue.SimpleQueue[tuple[Any, ...] | None], outbox: queue.SimpleQueue[bytes | None]) -> None:
    """The worker's parsing loop: ``start`` once, then ``batch``es and a ``finish``, until the inbox ends."""
    builder: RowBuilder | None = None
    try:
        while (message := inbox.get()) is not None:
            kind = message[0]
            if kind == "start":
                _, source_id, mta, tz, default_host, live, locality = message
                builder = RowBuilder(source_id, mta=mta, tz=tz, default_host=default_host, live=live,
                                     locality=locality)
                continue
            if builder is None:
                raise RuntimeError(f"{kind} before start")
            if kind == "batch":
                out: BatchOutput | None = builder.process(message[1], message[2], decode_lines(message[3], message[4]))
            else:
                out = builder.finish(message[1])
            if out is None:
                out = BatchOutput(([], [], [], []), 0, None, builder.mta)
            # The rows (plain tuples of str/int/float/None) go through marshal: faster than pickle on both
            # ends, and the main process, the busier one, unmarshals ~190 MB per million lines.
            reply = ("rows", marshal.dumps(out.rows), out.deliveries, out.stats, out.mta)
            outbox.put(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as error:  # reported as one line by the main process
        first = (str(error).strip().splitlines() or [""])[0]
        text = f"{type(error).__name__}: {first}" if first else type(error).__name__
        outbox.put(pickle.dumps(("error", text)))


def _receive_into(conn: Connection, inbox: queue.SimpleQueue[tuple[Any, ...] | None]) -> None:
    """Queue each message received (the rows of a ``rows`` reply unmarshalled); ``None`` once the socket is closed.

    Decoding here, in the receiving thread, lets it overlap with the caller's commits (SQLite runs without the GIL).
    """
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            inbox.put(None)
            return
        if message[0] == "rows":
            message = (message[0], marshal.loads(message[1]), *message[2:])
        inbox.put(message)


def _send_from(conn: Connection, outbox: queue.SimpleQueue[Any]) -> None:
    """Send each object (bytes as they are, anything else pickled) until ``None`` or a closed socket."""
    while (item := outbox.get()) is not None:
        try:
            if isinstance(item, bytes):
                conn.send_bytes(item)
            else:
                conn.send(item)
        except OSError:
            return
