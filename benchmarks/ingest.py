"""End-to-end ingest speed: a generated busy Postfix log synced into a fresh SQLite cache.

Writes a ``--lines`` line log (``tracktui.samples.busy_postfix_lines``) once,
then, for each run, syncs it with ``tracktui.sync.sync_sources`` (file source
-> parser -> correlator -> ``Cache.commit_rows``, then prune, then closing the
cache, whose last connection checkpoints the WAL) into a fresh cache in a child
process, twice: parsing inline (``pipeline=False``) and in a
worker process overlapping the cache writes (``pipeline=True``, what a large
sync uses). It reports lines/s (wall and CPU of the main process), peak RSS
(``ru_maxrss`` of the child, and of its parsing worker) and the cache's size
per million deliveries — medians over the runs, and the pipeline's speed-up.
A last series runs the inline sync with a cache that stores nothing, to show
how much of the time is parsing + correlating; and, when it is installed,
``pflogsumm`` summarises the same file as the same-run baseline the issue
names (it only counts; it stores nothing).

Goal: 200,000 lines/s end to end on a 2-core machine.

    .venv/bin/python benchmarks/ingest.py [--lines 1000000] [--runs 3] [--dir DIR] [--cache-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from query import machine  # noqa: E402  (benchmarks/ is not a package)


class NullCache:
    """Accepts everything and keeps nothing: isolates parse + correlate time."""

    from tracktui.journeys.locality import DEFAULT_LOCALITY as locality

    def load_live(self, source_id: str) -> list[Any]:
        return []

    def source_state(self, source_id: str) -> None:
        return None

    def commit_batch(self, *args: object, **kwargs: object) -> None:
        return None

    def commit_rows(self, *args: object, **kwargs: object) -> None:
        return None

    def prune(self, *args: object, **kwargs: object) -> int:
        return 0

    def mark_synced(self, now: float) -> None:
        return None


def write_log(path: Path, lines: int) -> None:
    from tracktui.samples import busy_postfix_lines

    start = time.time() - 86400  # inside the retention window, so prune keeps everything
    with path.open("w", encoding="utf-8") as out:
        for line in busy_postfix_lines(lines, seed=1, start=start):
            out.write(line)
            out.write("\n")


def child(log: Path, db: str | None, pipeline: bool) -> None:
    """One run, in its own process so ``ru_maxrss`` is this run's peak."""
    from tracktui.cache import Cache
    from tracktui.sync import sync_sources

    wall, cpu = time.perf_counter(), time.process_time()
    cache: Any = Cache.open(db) if db is not None else NullCache()
    report = sync_sources(cache, [f"file:{log}"], pipeline=pipeline)
    if db is not None:
        cache.close()  # part of the sync's cost: the last connection checkpoints the WAL into the file
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    unique = 0
    if db is not None:
        from tracktui.model import Filter, Status

        with Cache.open(db) as cache:
            unique = sum(cache.count_by_status(Filter(statuses=frozenset(Status))).values())
    errors = [str(e) for e in report.errors]
    print(json.dumps({"wall": wall, "cpu": cpu, "lines": report.lines, "deliveries": unique,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "worker_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "errors": errors}))


def run_child(log: Path, db: str | None, mode: str) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--child", str(log), str(db) if db else "-", mode]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pflogsumm_seconds(log: Path, runs: int) -> float | None:
    """Median wall time of ``pflogsumm`` over ``log``, the issue's yardstick, or ``None`` if it is not installed."""
    exe = shutil.which("pflogsumm")
    if exe is None:
        return None
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([exe, str(log)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def reset_postgres(url: str) -> None:
    """Drop the cache tables so each run starts empty."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS raw_lines, attempts, deliveries, messages, hosts, sources, meta")
    finally:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", help="work directory (log reused if present); default a temporary one")
    ap.add_argument("--cache-url", help="sync into this (empty) cache URL instead, e.g. postgresql://...; "
                    "the size is then not measured")
    ap.add_argument("--child", nargs=3, metavar=("LOG", "DB", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), None if args.child[1] == "-" else args.child[1], args.child[2] == "process")
        return 0

    tmp = None if args.dir else tempfile.TemporaryDirectory(prefix="tracktui-ingest-")
    work = Path(args.dir or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"mail-{args.lines}.log"
    print(f"machine: {machine()}")
    if not log.exists():
        t = time.perf_counter()
        write_log(log, args.lines)
        print(f"generated {args.lines:,} lines ({log.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s")
    series: dict[str, list[dict[str, Any]]] = {"inline": [], "process": []}
    sizes: list[int] = []
    for n in range(args.runs):
        for mode, full in series.items():  # interleaved, so both modes see the same machine load
            db = work / f"run{n}-{mode}" / "cache.sqlite3"
            for old in db.parent.glob("cache.sqlite3*"):
                old.unlink()
            db.parent.mkdir(exist_ok=True)
            if args.cache_url:
                reset_postgres(args.cache_url)
            result = run_child(log, args.cache_url or str(db), mode)
            if result["errors"]:
                print("sync errors:", result["errors"])
                return 1
            full.append(result)
            if mode == "process":
                sizes.append(sum(p.stat().st_size for p in db.parent.glob("cache.sqlite3*")))
            print(f"  run {n + 1} {mode:7}: {result['lines'] / result['wall']:,.0f} lines/s wall, "
                  f"{result['lines'] / result['cpu']:,.0f} lines/s main-process CPU, "
                  f"peak RSS {result['maxrss_kb'] / 1024:,.0f} MB (worker {result['worker_maxrss_kb'] / 1024:,.0f} MB)")
    null = [run_child(log, None, "inline") for _ in range(args.runs)]
    pflogsumm = pflogsumm_seconds(log, args.runs)

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    full = series["process"]
    lines, deliveries = full[0]["lines"], full[0]["deliveries"]
    if {r["deliveries"] for rows in series.values() for r in rows} != {deliveries}:
        print("the two modes stored different numbers of deliveries")
        return 1
    size = statistics.median(sizes) if not args.cache_url else 0
    print(f"log: {lines:,} lines -> {deliveries:,} deliveries ({lines / max(deliveries, 1):.1f} lines each)")
    for mode, rows in series.items():
        print(f"end to end, {mode:7} (median of {args.runs}): {lines / med(rows, 'wall'):,.0f} lines/s wall, "
              f"{lines / med(rows, 'cpu'):,.0f} lines/s main-process CPU, {med(rows, 'wall'):.1f} s; "
              f"peak RSS {med(rows, 'maxrss_kb') / 1024:,.0f} MB "
              f"(worker {med(rows, 'worker_maxrss_kb') / 1024:,.0f} MB)")
    print(f"pipeline speed-up (inline wall / process wall): "
          f"{med(series['inline'], 'wall') / med(full, 'wall'):.2f}x")
    print(f"parse + correlate only (no cache): {lines / med(null, 'wall'):,.0f} lines/s wall, "
          f"{lines / med(null, 'cpu'):,.0f} lines/s CPU; cache share of inline CPU "
          f"{1 - med(null, 'cpu') / med(series['inline'], 'cpu'):.0%}")
    if pflogsumm is not None:
        rate = lines / pflogsumm
        print(f"baseline, pflogsumm on the same file (median of {args.runs}, summary only, nothing stored): "
              f"{rate:,.0f} lines/s; tracktui end to end = {lines / med(full, 'wall') / rate:.2f}x pflogsumm")
    else:
        print("baseline: pflogsumm not installed (apt-get install pflogsumm), skipped")
    if size:
        print(f"cache size: {size / 1e6:,.0f} MB for {deliveries:,} deliveries = "
              f"{size / 1e6 / (deliveries / 1e6):,.0f} MB per million deliveries")
    goal = lines / med(full, "wall") >= 200_000
    print("goal (200,000 lines/s end to end):", "met" if goal else "NOT met")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
