"""``tracktui check``: sync, judge the last window's deliveries, print one monitoring-plugin line.

For cron, Nagios/Icinga and Prometheus. Unlike every other command, the exit code is the
monitoring-plugin one (docs/architecture.md "Exit codes" names this exception): 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN (the cache cannot be read, a sync failed, a bad option
value, the textfile cannot be written). The rules and their thresholds are in
:mod:`tracktui.health.judge`: each ``--max-*`` is the CRITICAL threshold, WARNING starts at
80 % of it, and our IP on a remote blocklist is always CRITICAL.

stdout gets exactly one line, ``TRACKTUI <LEVEL> - <reasons and facts> | <perfdata>``; sync
problems go to stderr as in ``search``. ``--prometheus FILE`` writes a node-exporter textfile
atomically with mode 0644 (the exporter usually runs as another user; it holds counts, host
names, destination domains and blocklist names, no addresses).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tracktui.commands.common import load_config_for, open_cache, sync_exit_code, sync_from_args
from tracktui.errors import TracktuiError, os_reason
from tracktui.health import UNKNOWN, Thresholds, judge, observe, parse_duration, parse_rate, render_textfile
from tracktui.health.judge import DIRECTIONS, PROBLEM_STATUSES, Observation
from tracktui.health.textfile import QueueStats, queue_stats
from tracktui.model import DeliveryRow, Filter, Status
from tracktui.textsafe import sanitize

if TYPE_CHECKING:
    from tracktui.cache import Cache

DEFAULT_WINDOW = "24h"
DEFAULT_MAX_DEFERRED_AGE = "6h"
DEFAULT_MAX_BOUNCE_RATE = "5%"
TEXTFILE_MODE = 0o644


def run_check(args: argparse.Namespace, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run the check; prints one line on ``out`` and returns the plugin exit code (0-3)."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    try:
        limits, window = _limits(args)
    except ValueError as error:
        return _unknown(stdout, f"bad option: {error}", args)
    try:
        config = load_config_for(args)
        with open_cache(args, config) as cache:
            problem = None
            if getattr(args, "source", None) or getattr(args, "profile", None):
                report = sync_from_args(args, cache, config, quiet=True, err=stderr)
                if sync_exit_code(report):
                    failed = report.errors
                    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
                    problem = f"sync failed: {failed[0]}{more}"
            now = time.time()
            seen = _observe(cache, now=now, window=window, domains=tuple(getattr(args, "domain", None) or ()))
            last_sync = cache.last_sync()
        queue = _read_queues(args) if getattr(args, "queue", False) or limits.max_queue is not None else None
    except TracktuiError as error:
        return _unknown(stdout, str(error), args, window)
    except Exception as error:  # a monitoring plugin answers UNKNOWN, never a traceback
        if os.environ.get("TRACKTUI_TRACEBACK"):
            raise
        return _unknown(stdout, f"{type(error).__name__}: {error}", args, window)
    sizes = {host: stats.size for host, stats in queue.items()} if queue is not None else None
    verdict = judge(seen, limits, problem=problem, queue_sizes=sizes)
    level, line = verdict.level, verdict.line
    target = getattr(args, "prometheus", None)
    if target:
        text = render_textfile(seen, level=level, last_sync=last_sync, queue=queue)
        try:
            _write_textfile(Path(target).expanduser(), text)
        except OSError as error:
            verdict = judge(seen, limits, problem=f"cannot write {target}: {os_reason(error)}")
            level, line = verdict.level, verdict.line
    print(line, file=stdout)
    stdout.flush()
    return level


def _limits(args: argparse.Namespace) -> tuple[Thresholds, float]:
    max_deferred = getattr(args, "max_deferred", None)
    if max_deferred is not None and int(max_deferred) < 0:
        raise ValueError(f"--max-deferred must be 0 or more, not {max_deferred}")
    max_queue = getattr(args, "max_queue", None)
    if max_queue is not None and int(max_queue) < 0:
        raise ValueError(f"--max-queue must be 0 or more, not {max_queue}")
    limits = Thresholds(
        max_deferred_age=parse_duration(getattr(args, "max_deferred_age", None) or DEFAULT_MAX_DEFERRED_AGE),
        max_bounce_rate=parse_rate(getattr(args, "max_bounce_rate", None) or DEFAULT_MAX_BOUNCE_RATE),
        max_deferred=None if max_deferred is None else int(max_deferred),
        max_queue=None if max_queue is None else int(max_queue),
    )
    return limits, parse_duration(getattr(args, "since", None) or DEFAULT_WINDOW)


def _observe(cache: Cache, *, now: float, window: float, domains: tuple[str, ...]) -> Observation:
    """Counts by host, direction and status from the cache's aggregates; rows only for problems."""
    wanted = dict.fromkeys(d.strip().lstrip("@").lower() for d in domains if d.strip().lstrip("@"))
    patterns: tuple[str | None, ...] = tuple(f"@{d}" for d in wanted) or (None,)
    since = now - window
    hosts = cache.hosts()
    counts: dict[tuple[str, str, Status], int] = {}
    for host in hosts:
        for direction in DIRECTIONS:
            for pattern in patterns:
                flt = Filter(statuses=frozenset(Status), since=since, hosts=(host,),
                             directions=frozenset({direction}), recipient=pattern)
                for status, n in cache.count_by_status(flt).items():
                    key = (host, direction, status)
                    counts[key] = counts.get(key, 0) + n

    def problems() -> Iterator[DeliveryRow]:
        for pattern in patterns:
            yield from cache.iter_deliveries(Filter(statuses=PROBLEM_STATUSES, since=since, recipient=pattern))

    return observe(counts, problems(), now=now, window=window, hosts=hosts)


def _read_queues(args: argparse.Namespace) -> dict[str, QueueStats]:
    """Each source's host queue right now (the same targets as ``tracktui queue``); every host listed, even empty.

    A queue that cannot be read raises: the check answers UNKNOWN rather than "the queue is fine".
    """
    from tracktui.commands.queue import targets_from
    from tracktui.queue.actions import read_queue
    from tracktui.queue.runner import open_runner

    entries = []
    hosts: list[str] = []
    for target in targets_from(args):
        runner = open_runner(target, accept_new_host_key=bool(getattr(args, "accept_new_host_key", False)))
        try:
            entries.extend(read_queue(runner))
            hosts.append(target.host)
        finally:
            runner.close()
    stats = queue_stats(entries)
    return {**{host: QueueStats(0, None) for host in hosts}, **stats}


def _write_textfile(path: Path, text: str) -> None:
    """Atomically, 0644: node-exporter must never read half a file, and usually runs as another user."""
    from tracktui.config import write_file_atomic

    write_file_atomic(path, text.encode("utf-8", errors="replace"), mode=TEXTFILE_MODE)


def _unknown(stdout: IO[str], reason: str, args: argparse.Namespace | None = None, window: float = 0.0) -> int:
    """Print the UNKNOWN line; with ``--prometheus``, replace the textfile by the verdict alone.

    The host series are left out rather than kept stale: nothing is known about them now.
    """
    target = getattr(args, "prometheus", None) if args is not None else None
    if target:
        with contextlib.suppress(OSError):
            text = render_textfile(Observation(now=time.time(), window=window), level=UNKNOWN, last_sync=None)
            _write_textfile(Path(target).expanduser(), text)
    print(f"TRACKTUI UNKNOWN - {sanitize(reason, max_length=500).replace('|', '/')}", file=stdout)
    stdout.flush()
    return UNKNOWN
