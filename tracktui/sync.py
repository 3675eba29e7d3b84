"""Sync: read new lines from sources, parse, correlate and commit them to the cache.

One thread per source, so several hosts sync in parallel and one failing
host loses nothing the others brought. Each batch of lines is committed in
one cache transaction together with the source's position after it and the
state of the messages still in the queue, so an interrupted sync (even
SIGKILL) leaves the cache consistent and the next sync resumes exactly
where the last committed batch ended.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from tracktui.correlate import DEFAULT_STALE_AFTER, Correlator
from tracktui.errors import SourceError, TracktuiError
from tracktui.gcpause import paused_gc
from tracktui.parsers.base import Parser, ParseStats
from tracktui.parsers.detect import detect_mta, make_parser

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
    retention_days: int = 60,
    should_stop: Callable[[], bool] | None = None,
    now: float | None = None,
) -> SyncReport:
    """Sync every source (the URLs plus each profile's sources) in parallel, then prune the cache.

    Errors are collected per source in the report, never raised: the caller
    decides what a failed host means (the CLI's exit code, the TUI's message).
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
                          should_stop=should_stop, now=now)
            emit(SyncProgress(source=url, host=result.host, phase="done", bytes_done=result.bytes_read,
                              lines=result.lines, deliveries=result.deliveries))
        except TracktuiError as error:
            result.error = error
            emit(SyncProgress(source=url, host=result.host, phase="failed", lines=result.lines,
                              label=str(error)))
        except OSError as error:  # anything the source did not translate: still one clear line
            result.error = SourceError(f"{url}: {error.strerror or error}")
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
) -> None:
    """Read one source to its end, committing batch by batch."""
    source_id = source.url
    correlator = Correlator(source_id)
    correlator.restore(cache.load_live(source_id))
    state = cache.source_state(source_id)
    stats = ParseStats()
    with paused_gc():
        _read_all(cache, source, source_id, correlator, state, result, stats, mta=mta, tz=tz, emit=emit,
                  should_stop=should_stop, now=now)


def _read_all(
    cache: Cache,
    source: Source,
    source_id: str,
    correlator: Correlator,
    state: dict[str, Any] | None,
    result: SourceResult,
    stats: ParseStats,
    *,
    mta: str | None,
    tz: tzinfo | None,
    emit: ProgressCallback,
    should_stop: Callable[[], bool] | None,
    now: float | None,
) -> None:
    """The hot loop of one source: batches in, parsed, correlated, committed with their cursor."""
    parser: Parser | None = None
    stream: str | None = None
    bytes_seen = 0
    last_state: dict[str, Any] = state or {}

    def forward(event: ProgressEvent) -> None:
        emit(SyncProgress(source=source.url, host=event.host or source.host_hint, phase=event.phase,
                          bytes_done=event.bytes_done, bytes_total=event.bytes_total,
                          lines=result.lines, deliveries=result.deliveries, label=event.label))

    batch: LineBatch
    for batch in source.read(state, progress=forward, should_stop=should_stop):
        if batch.stream != stream or parser is None:
            parser = _parser_for(batch, mta or result.mta, tz=tz, default_host=source.host_hint)
            stream = batch.stream
            if parser is not None:
                result.mta = parser.mta
        if parser is not None:
            parse = parser.parse
            feed = correlator.feed
            for line in batch.lines:
                event = parse(line)
                if event is not None:
                    feed(event)
            _merge_stats(stats, parser.stats)
            parser.stats = ParseStats()
        messages = correlator.drain()
        cache.commit_batch(source_id, messages, batch.state, url=source.url,
                           hosts={message.host for message in messages})
        result.lines += len(batch.lines)
        result.deliveries += sum(len(message.deliveries) for message in messages)
        bytes_seen += batch.bytes_read
        result.bytes_read = bytes_seen
        emit(SyncProgress(source=source.url, host=source.host_hint, phase="reading", bytes_done=bytes_seen,
                          lines=result.lines, deliveries=result.deliveries, label=batch.label))
        last_state = batch.state
        result.events = stats.events
        result.malformed = stats.malformed
        result.malformed_examples = stats.malformed_examples[:5]
        if should_stop is not None and should_stop():
            return
    reference = now if now is not None else _time.time()
    if correlator.close_stale(reference - DEFAULT_STALE_AFTER):
        messages = correlator.drain()
        cache.commit_batch(source_id, messages, last_state, url=source.url,
                           hosts={message.host for message in messages})


def _parser_for(batch: LineBatch, mta: str | None, *, tz: tzinfo | None, default_host: str) -> Parser | None:
    """A fresh parser for a new stream: its reference time (for year-less stamps) is the file's."""
    name = mta or detect_mta(batch.lines)
    if name is None:
        return None
    return make_parser(name, tz=tz, reference_time=batch.reference_time, default_host=default_host)


def _merge_stats(total: ParseStats, part: ParseStats) -> None:
    total.lines += part.lines
    total.events += part.events
    total.foreign += part.foreign
    total.ignored += part.ignored
    total.malformed += part.malformed
    room = 5 - len(total.malformed_examples)
    if room > 0:
        total.malformed_examples.extend(part.malformed_examples[:room])


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

