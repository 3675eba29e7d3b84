"""Sync: read new lines from sources, parse, correlate and commit them to the cache.

One thread per source, so several hosts sync in parallel and one failing
host loses nothing the others brought. Each batch of lines is committed in
one cache transaction together with the source's position after it and the
state of the messages still in the queue, so an interrupted sync (even
SIGKILL) leaves the cache consistent and the next sync resumes exactly
where the last committed batch ended. A large read is parsed in a worker
process (:mod:`tracktui.pipeline`) while this process writes the batches
before it; a small one is parsed inline.
"""

from __future__ import annotations

import logging
import time as _time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import tzinfo
from itertools import chain
from typing import TYPE_CHECKING, Any

from tracktui.correlate import DEFAULT_STALE_AFTER
from tracktui.errors import SourceError, TracktuiError, os_reason
from tracktui.gcpause import paused_gc
from tracktui.model import DEFAULT_RETENTION_DAYS
from tracktui.parsers.base import ParseStats
from tracktui.pipeline import (
    PROCESS_MIN_LINES,
    BatchOutput,
    LocalStage,
    ProcessStage,
    RowBuilder,
    process_available,
)
from tracktui.textsafe import sanitize

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.config import Profile
    from tracktui.sources import AuthCallbacks, LineBatch, ProgressEvent, Source


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Progress of one source, for progress bars in the CLI and the TUI."""

    source: str
    host: str
    phase: str
    """``connecting``, ``listing``, ``reading``, ``done`` or ``failed``."""
    bytes_done: int = 0
    bytes_total: int | None = None
    lines: int = 0
    deliveries: int = 0
    label: str = ""


@dataclass(slots=True)
class SourceResult:
    """What one source brought (or why it failed)."""

    url: str
    host: str = ""
    mta: str | None = None
    lines: int = 0
    events: int = 0
    deliveries: int = 0
    bytes_read: int = 0
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """One line per thing skipped while the rest was read (a damaged file, a bad known_hosts line)."""
    error: TracktuiError | None = None


@dataclass(slots=True)
class SyncReport:
    """The outcome of one sync over several sources."""

    results: list[SourceResult]
    pruned: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> list[TracktuiError]:
        return [result.error for result in self.results if result.error is not None]

    @property
    def lines(self) -> int:
        return sum(result.lines for result in self.results)

    @property
    def deliveries(self) -> int:
        return sum(result.deliveries for result in self.results)

    @property
    def malformed(self) -> int:
        return sum(result.malformed for result in self.results)


ProgressCallback = Callable[[SyncProgress], None]
_log = logging.getLogger(__name__)


def sync_sources(
    cache: Cache,
    urls: Sequence[str],
    *,
    profiles: Sequence[Profile] = (),
    mta: str | None = None,
    tz: tzinfo | None = None,
    accept_new_host_key: bool = False,
    auth: AuthCallbacks | None = None,
    progress: ProgressCallback | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    should_stop: Callable[[], bool] | None = None,
    now: float | None = None,
    pipeline: bool | None = None,
    rescan: bool = False,
) -> SyncReport:
    """Sync every source (the URLs plus each profile's sources) in parallel, then prune the cache.

    ``rescan`` reads each source again from its start, as if it were new (its cursor and the
    state of its open messages are set aside): every key is derived from content, so what is
    already stored is rewritten, never doubled. For a first read that went wrong (a wrong
    ``--mta``) or a cache that missed lines.

    Errors are collected per source in the report, never raised: the caller
    decides what a failed host means (the CLI's exit code, the TUI's message).
    ``pipeline`` chooses where parsing runs (see :func:`_sync_one`); leave it ``None``.
    """
    from tracktui.sources import open_source

    started = _time.monotonic()
    jobs: list[tuple[str, Profile | None]] = [(url, None) for url in urls]
    for profile in profiles:
        jobs.extend((url, profile) for url in profile.source_urls())
    if not jobs:
        return SyncReport(results=[])

    def run(job: tuple[str, Profile | None]) -> SourceResult:
        url, profile = job
        result = SourceResult(url=url)
        emit = progress or _ignore
        try:
            emit(SyncProgress(source=url, host="", phase="connecting"))
            source = open_source(
                url, profile=profile, auth=auth, accept_new_host_key=accept_new_host_key
            )
            with source:
                result.host = source.host_hint
                wanted = mta if mta not in (None, "auto") else None
                if wanted is None and profile is not None and profile.mta not in ("", "auto"):
                    wanted = profile.mta
                if wanted is None:
                    wanted = source.mta_hint
                profile_tz = _profile_zone(profile) or tz
                _sync_one(cache, source, result, mta=wanted, tz=profile_tz, emit=emit,
                          should_stop=should_stop, now=now, pipeline=pipeline, rescan=rescan)
            emit(SyncProgress(source=url, host=result.host, phase="done", bytes_done=result.bytes_read,
                              lines=result.lines, deliveries=result.deliveries))
        except TracktuiError as error:
            result.error = error
            emit(SyncProgress(source=url, host=result.host, phase="failed", lines=result.lines,
                              label=str(error)))
        except OSError as error:  # anything the source did not translate: still one clear line
            result.error = SourceError(f"{url}: {os_reason(error)}")
            emit(SyncProgress(source=url, host=result.host, phase="failed", label=str(result.error)))
        except Exception as error:  # a bug in one source must not stop the others nor the pruning
            _log.debug("source %s failed", url, exc_info=True)
            result.error = SourceError(f"{url}: unexpected {type(error).__name__}: {error} (a bug: please report it)")
            emit(SyncProgress(source=url, host=result.host, phase="failed", label=str(result.error)))
        return result

    if len(jobs) == 1:
        results = [run(jobs[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(len(jobs), 8), thread_name_prefix="tracktui-sync") as pool:
            results = list(pool.map(run, jobs))
    pruned = cache.prune(retention_days, now=now)
    if any(result.error is None for result in results):
        cache.mark_synced(now if now is not None else _time.time())
    return SyncReport(results=results, pruned=pruned, seconds=_time.monotonic() - started)


def _sync_one(
    cache: Cache,
    source: Source,
    result: SourceResult,
    *,
    mta: str | None,
    tz: tzinfo | None,
    emit: ProgressCallback,
    should_stop: Callable[[], bool] | None,
    now: float | None,
    pipeline: bool | None,
    rescan: bool = False,
) -> None:
    """Read one source to its end, committing batch by batch (from its start with ``rescan``).

    Parsing runs inline for small reads and in a worker process for large
    ones (``pipeline``: ``None`` picks by :data:`PROCESS_MIN_LINES`, ``True``
    or ``False`` force it); both write exactly the same rows.
    """
    source_id = source.url
    live = [] if rescan else cache.load_live(source_id)
    state = None if rescan else cache.source_state(source_id)
    stats = ParseStats()

    def forward(event: ProgressEvent) -> None:
        emit(SyncProgress(source=source.url, host=event.host or source.host_hint, phase=event.phase,
                          bytes_done=event.bytes_done, bytes_total=event.bytes_total,
                          lines=result.lines, deliveries=result.deliveries, label=event.label))

    if not process_available():
        pipeline = False
    with paused_gc():
        batches = iter(source.read(state, progress=forward, should_stop=should_stop, warn=result.warnings.append))
        head: list[LineBatch] = []
        if pipeline is not False:
            wanted = 1 if pipeline else PROCESS_MIN_LINES
            pending = 0
            while pending < wanted:
                batch = next(batches, None)
                if batch is None:
                    break
                head.append(batch)
                pending += batch.line_count
            if pipeline is None:
                pipeline = pending >= wanted  # a small read ends before the threshold: not worth a process
        stage: LocalStage | ProcessStage
        if pipeline:
            stage = ProcessStage(source.url, source_id, mta=mta, tz=tz, default_host=source.host_hint, live=live,
                                 locality=cache.locality)
        else:
            stage = LocalStage(RowBuilder(source_id, mta=mta, tz=tz, default_host=source.host_hint, live=live,
                                          locality=cache.locality))
        del live
        try:
            _read_all(cache, source, stage, chain(head, batches), state, result, stats, emit=emit,
                      should_stop=should_stop, now=now)
        finally:
            stage.close()


def _read_all(
    cache: Cache,
    source: Source,
    stage: LocalStage | ProcessStage,
    batches: Iterator[LineBatch],
    state: dict[str, Any] | None,
    result: SourceResult,
    stats: ParseStats,
    *,
    emit: ProgressCallback,
    should_stop: Callable[[], bool] | None,
    now: float | None,
) -> None:
    """The hot loop of one source: batches in, turned into rows by ``stage``, committed with their cursor.

    Up to ``stage.depth`` batches are handed over before the oldest one's rows
    are taken and committed: with a worker process, the main process reads
    and writes while the worker parses the batches after it.
    """
    source_id = source.url
    last_state: dict[str, Any] = state or {}
    bytes_seen = 0
    # A first read holds its cursor back until a line is recognised: a source that yields lines but not
    # one the parser knows (wrong file, a layout not understood) must stay unread for a sync with --mta.
    first_read = not state
    first_line: str | None = None

    def commit(batch: LineBatch, out: BatchOutput) -> None:
        nonlocal bytes_seen, last_state, first_line
        if out.mta is not None:
            result.mta = out.mta
        if out.stats is not None:
            stats.merge(out.stats)
        if first_line is None and batch.line_count:
            first_line = batch.data.split(b"\n", 1)[0].decode("utf-8", "replace")
        if not (first_read and not _recognised(stats) and not any(out.rows)):
            cache.commit_rows(source_id, out.rows, batch.state, url=source.url)
        result.lines += batch.line_count
        result.deliveries += out.deliveries
        bytes_seen += batch.bytes_read
        result.bytes_read = bytes_seen
        emit(SyncProgress(source=source.url, host=source.host_hint, phase="reading", bytes_done=bytes_seen,
                          lines=result.lines, deliveries=result.deliveries, label=batch.label))
        last_state = batch.state
        result.events = stats.events
        result.malformed = stats.malformed
        result.malformed_examples = list(stats.malformed_examples)

    in_flight: deque[LineBatch] = deque()
    for batch in batches:
        stage.submit(batch.stream, batch.reference_time, batch.data, batch.line_count)
        in_flight.append(batch)
        while len(in_flight) > stage.depth:
            commit(in_flight.popleft(), stage.result())
            if should_stop is not None and should_stop():
                return
    while in_flight:
        commit(in_flight.popleft(), stage.result())
        if should_stop is not None and should_stop():
            return
    if first_read and result.lines and not _recognised(stats):
        tried = f"as {result.mta}" if result.mta else "as Postfix, Exim or qmail (auto-detected)"
        raise SourceError(
            f"{source.url}: {result.lines:,} lines, not one recognised {tried}; first line: "
            f"{sanitize(first_line or '', max_length=120)!r} (nothing stored; name the MTA with --mta)")
    reference = now if now is not None else _time.time()
    out_stale = stage.finish(reference - DEFAULT_STALE_AFTER)
    if out_stale is not None:
        cache.commit_rows(source_id, out_stale.rows, last_state, url=source.url)


def _recognised(stats: ParseStats) -> bool:
    """Some line was the MTA's: an event, or a line understood but carrying nothing to store."""
    return stats.events + stats.ignored > 0


def _profile_zone(profile: Profile | None) -> tzinfo | None:
    if profile is None or not profile.tz:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(profile.tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SourceError(f"profile {profile.name}: unknown time zone {profile.tz!r}") from error


def _ignore(_: SyncProgress) -> None:
    return None

