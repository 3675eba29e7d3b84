"""Query latency on a large cache: first page, page 100 and counts for typical filters.

Builds (or reuses, with ``--cache``) an SQLite cache of at least a million
deliveries written through the real ingest path (``Cache.commit_batch``)
from synthetic messages spread over 60 days, then times ``search`` for the
first page and for page 100 (keyset cursor; the last page when a filter has
fewer) and ``count_by_status``, reporting median and p95 in milliseconds.

Goals: first page < 50 ms, page 100 no slower than page 1, counts < 200 ms.

    .venv/bin/python benchmarks/query.py [--deliveries 1000000] [--runs 30] [--cache PATH | --url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tracktui.cache import Cache
from tracktui.correlate import stable_key
from tracktui.model import STATUS_GROUPS, Attempt, AttemptResult, Delivery, Filter, Message, Page, PageCursor, Status

DAY = 86400.0
END = 1_795_000_000.0 - (1_795_000_000.0 % DAY) + 23 * 3600  # 23:00 UTC: "today" holds most of a day
TODAY = END - (END % DAY)
RESULTS = [(AttemptResult.SENT, Status.DELIVERED, 250, "2.0.0", "250 2.0.0 OK queued as 4XyZ")] * 90 + \
    [(AttemptResult.DEFERRED, Status.DEFERRED, 451, "4.7.1", "451 4.7.1 Greylisted, try again later")] * 6 + \
    [(AttemptResult.BOUNCED, Status.BOUNCED, 550, "5.1.1", "550 5.1.1 <x>: Recipient address rejected")] * 3 + \
    [(AttemptResult.EXPIRED, Status.EXPIRED, None, "4.4.1", "connect to mx.example: Connection timed out")]
BIG_DOMAINS = ["gmail.com"] * 30 + ["outlook.com"] * 15 + ["yahoo.com"] * 8 + ["example.com"] * 5
HEAVY_RECIPIENT = "reports@bigcorp.example"


def machine() -> str:
    """One line describing where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    from tracktui import engine

    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{platform.system()} {platform.release()}; tracktui engine: {engine()}")


def synthetic_batches(total: int, seed: int = 1, batch_size: int = 20_000) -> list[list[Message]]:
    """Messages with ``total`` deliveries in all, over 60 days, realistic status and domain mix."""
    rnd = random.Random(seed)
    users = [f"user{i}" for i in range(40_000)]
    small_domains = [f"d{i}.example.org" for i in range(3000)]
    senders = [f"sender{i}@ourcompany.example" for i in range(2000)]
    batches: list[list[Message]] = []
    batch: list[Message] = []
    made = 0
    i = 0
    while made < total:
        t = END - rnd.random() * 60 * DAY
        host = "mx1" if i % 3 else "mx2"
        qid = f"{i:010X}"
        key = stable_key(host, qid, t)
        n = min(rnd.choice((1, 1, 1, 2, 2, 3, 5)), total - made)
        deliveries: dict[str, Delivery] = {}
        for _ in range(n):
            if rnd.random() < 0.02:
                rcpt = HEAVY_RECIPIENT
            else:
                dom = rnd.choice(BIG_DOMAINS) if rnd.random() < 0.6 else rnd.choice(small_domains)
                rcpt = f"{rnd.choice(users)}@{dom}"
            if rcpt in deliveries:
                rcpt = f"x{len(deliveries)}{rcpt}"
            result, status, code, dsn, reply = rnd.choice(RESULTS)
            at = t + rnd.random() * 5
            att = Attempt(time=at, result=result, relay="mx.remote.example[203.0.113.5]:25", delay=0.4, code=code,
                          dsn=dsn, reply=reply)
            deliveries[rcpt] = Delivery(key=stable_key(key, rcpt), recipient=rcpt, status=status, time=at,
                                        attempt_count=1, last=att, attempts=[att])
        made += len(deliveries)
        lines = [f"Nov 27 10:00:00 {host} postfix/qmgr[2]: {qid}: from=<x>, size=1234, nrcpt={n} (queue active)"] * 4
        batch.append(Message(
            key=key, host=host, queue_id=qid, first_seen=t, last_seen=t + 5, mta="postfix",
            message_id=f"<{qid}.{i}@ourcompany.example>", sender=rnd.choice(senders), subject=f"Order {i} shipped",
            size=4000 + i % 5000, nrcpt=n, client="app.ourcompany.example[10.0.0.5]", live=False,
            deliveries=deliveries, lines=lines, line_count=len(lines)))
        i += 1
        if len(batch) >= batch_size:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def build(url: str, deliveries: int) -> None:
    t0 = time.perf_counter()
    batches = synthetic_batches(deliveries)
    t1 = time.perf_counter()
    with Cache.open(url) as cache:
        for n, batch in enumerate(batches):
            cache.commit_batch("bench", batch, {"batch": n}, url="file:bench", hosts=["mx1", "mx2"])
        t2 = time.perf_counter()
        cache.mark_synced(END)
    rows = deliveries * 2 + sum(len(b) for b in batches) * 2
    print(f"built {deliveries:,} deliveries: generate {t1 - t0:.1f} s, write {t2 - t1:.1f} s "
          f"({deliveries / (t2 - t1):,.0f} deliveries/s, {rows / (t2 - t1):,.0f} rows/s incl. messages, "
          "attempts, line chunks)")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 of ``fn``'s wall time in milliseconds."""
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def cursor_for_page(cache: Cache, flt: Filter, page: int, limit: int) -> tuple[PageCursor | None, int]:
    """The cursor that starts page ``page`` (1-based), or the start of the last page if there are fewer."""
    after: PageCursor | None = None
    previous: PageCursor | None = None
    n = 1
    while n < page:
        got: Page = cache.search(flt, after=after, limit=limit)
        if got.next_cursor is None:
            return previous, n - 1
        previous, after = after, got.next_cursor
        n += 1
    return after, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deliveries", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--cache", help="reuse (or build once into) this SQLite file")
    ap.add_argument("--url", help="use (or build once into) this cache URL instead, e.g. postgresql://...")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    tmp = None
    size = 0
    if args.url:
        url = args.url
        with Cache.open(url) as probe:
            empty = not probe.search(Filter(statuses=STATUS_GROUPS["all"]), limit=1).rows
        if empty:
            build(url, args.deliveries)
    else:
        if args.cache:
            path = Path(args.cache)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="tracktui-bench-")
            path = Path(tmp.name) / "cache.sqlite3"
        url = str(path)
        if not path.exists() or path.stat().st_size == 0:
            build(url, args.deliveries)
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    week = END - 7 * DAY
    cases = [
        ("today, delivered", Filter(statuses=STATUS_GROUPS["delivered"], since=TODAY, until=TODAY + DAY)),
        ("7 days, permanent, @gmail.com",
         Filter(statuses=STATUS_GROUPS["permanent"], since=week, recipient="@gmail.com")),
        (f"60 days, all, {HEAVY_RECIPIENT}",
         Filter(statuses=STATUS_GROUPS["all"], since=END - 60 * DAY, recipient=HEAVY_RECIPIENT)),
        ("60 days, all statuses", Filter(statuses=STATUS_GROUPS["all"], since=END - 60 * DAY)),
    ]
    ok = True
    with Cache.open(url) as cache:
        total = sum(cache.count_by_status(Filter(statuses=STATUS_GROUPS["all"])).values())
        where = f"{size / 1e6:,.0f} MB on disk ({size / 1e6 / (total / 1e6):,.0f} MB per million deliveries)" \
            if size else cache.location
        print(f"cache: {total:,} deliveries, {where}")
        print(f"{'filter':40} {'matches':>9} {'page 1 med/p95':>16} {'page N med/p95':>22} {'counts med/p95':>16}")
        for label, flt in cases:
            matches = sum(v for s, v in cache.count_by_status(flt).items() if s in flt.statuses)
            p1 = timed(lambda flt=flt: cache.search(flt, limit=100), args.runs)
            cursor, n = cursor_for_page(cache, flt, 100, 100)
            pn = timed(lambda flt=flt, cursor=cursor: cache.search(flt, after=cursor, limit=100), args.runs)
            cn = timed(lambda flt=flt: cache.count_by_status(flt), args.runs)
            print(f"{label:40} {matches:>9,} {p1[0]:7.1f} /{p1[1]:6.1f} ms   page {n:>3}: {pn[0]:6.1f} /{pn[1]:6.1f} ms"
                  f" {cn[0]:7.1f} /{cn[1]:6.1f} ms")
            ok &= p1[0] < 50 and cn[0] < 200 and pn[0] <= max(p1[0] * 1.5, p1[0] + 2)
    print("goals (page 1 < 50 ms, page N ~ page 1, counts < 200 ms):", "met" if ok else "NOT met")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
