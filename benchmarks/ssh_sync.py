"""SSH source benchmark: a 1M-line log over loopback SSH, next to OpenSSH ``scp`` of the same file.

Needs root (it starts a private sshd from tests/sshd.py and logs in as its
unprivileged test user) and OpenSSH's ``sshd``/``scp``. Prints, as medians of
``--runs`` runs:

- ``scp`` of the file over loopback to the private sshd;
- a full read through the SSH file source with each transit (``none``, ``ssh``
  compression, remote ``gzip -1`` pipeline), MB/s;
- a full read through the local ``file:`` source;
- an incremental read after appending 1,000 lines (new connection included; goal < 1 s);
- a full sync into a fresh SQLite cache over SSH and from ``file:`` (skip with
  ``--sources-only``): the issue's "sync <= 1.5x (scp + file: sync)" comparison.

Usage: ``.venv/bin/python benchmarks/ssh_sync.py [--lines 1000000] [--runs 3] [--sources-only]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sshd import TEST_USER, ensure_test_user, keygen, start_sshd  # noqa: E402
from tracktui.sources import open_source  # noqa: E402


def postfix_lines(count: int, seed: int = 1, start: float | None = None) -> Iterator[str]:
    """Busy-server Postfix lines (a message = 5 lines), from tracktui.samples if it offers them."""
    try:
        from tracktui.samples import busy_postfix_lines
    except ImportError:
        pass
    else:
        yield from busy_postfix_lines(count, seed=seed, start=start or time.time() - 8 * 86400)
        return
    rng = random.Random(seed)
    t0 = start or time.time() - 86400
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    n = 0
    msg = 0
    while n < count:
        msg += 1
        stamp = time.gmtime(t0 + msg * 0.08)
        ts = f"{months[stamp.tm_mon - 1]} {stamp.tm_mday:2d} {stamp.tm_hour:02d}:{stamp.tm_min:02d}:{stamp.tm_sec:02d}"
        qid = f"{msg:010X}"
        rcpt = f"user{rng.randrange(100000)}@example{rng.randrange(500)}.com"
        sent = rng.random() < 0.9
        status = ("status=sent (250 2.0.0 Ok: queued as 4X" + qid + ")") if sent else (
            "status=deferred (host mx.example.net[198.51.100.7] said: 451 4.7.1 Try again later)")
        for line in (
            f"{ts} mx1 postfix/smtpd[{1000 + msg % 50}]: {qid}: "
            f"client=client{msg % 97}.example.org[192.0.2.{msg % 250}]",
            f"{ts} mx1 postfix/cleanup[2001]: {qid}: message-id=<{msg}.{rng.randrange(10**9)}@example.org>",
            f"{ts} mx1 postfix/qmgr[2002]: {qid}: from=<sender{msg % 300}@example.org>, "
            f"size={rng.randrange(900, 90000)}, nrcpt=1 (queue active)",
            f"{ts} mx1 postfix/smtp[{3000 + msg % 40}]: {qid}: to=<{rcpt}>, relay=mx.example.net[198.51.100.7]:25, "
            f"delay=0.{rng.randrange(10, 99)}, delays=0.01/0/0.1/0.2, dsn={'2.0.0' if sent else '4.7.1'}, {status}",
            f"{ts} mx1 postfix/qmgr[2002]: {qid}: removed",
        ):
            yield line
            n += 1
            if n >= count:
                return


def median_time(runs: int, action: Callable[[], Any]) -> tuple[float, Any]:
    times: list[float] = []
    result: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def drain(url: str, state: dict[str, Any] | None = None) -> tuple[int, dict[str, Any] | None]:
    lines = 0
    with open_source(url) as source:
        for batch in source.read(state):
            lines += len(batch.lines)
            state = batch.state
    return lines, state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources-only", action="store_true", help="skip the syncs into a fresh SQLite cache")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root: starts a private sshd and logs in as its test user", file=sys.stderr)
        return 2

    ensure_test_user()
    base = Path(tempfile.mkdtemp(prefix="tracktui-bench-"))
    base.chmod(0o755)
    server = start_sshd(base / "sshd")
    try:
        home = base / "home"
        (home / ".ssh").mkdir(parents=True)
        os.environ["HOME"] = str(home)
        os.environ.pop("SSH_AUTH_SOCK", None)
        key = keygen(home / ".ssh" / "id_ed25519")
        server.authorized_keys.write_text(key.with_suffix(".pub").read_text())
        known = home / ".ssh" / "known_hosts"
        known.write_text(server.known_hosts_line)
        logs = base / "logs"
        logs.mkdir(mode=0o755)
        log = logs / "mail.log"
        with open(log, "w", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line in postfix_lines(args.lines))
        log.chmod(0o644)
        size_mb = log.stat().st_size / 1e6
        print(f"log: {args.lines} lines, {size_mb:.1f} MB; {os.cpu_count()} CPUs; median of {args.runs} runs")

        dest = base / "scp-copy"
        scp = ["scp", "-q", "-P", str(server.port), "-i", str(key), "-o", f"UserKnownHostsFile={known}",
               "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", f"{TEST_USER}@127.0.0.1:{log}", str(dest)]
        scp_time, _ = median_time(args.runs, lambda: subprocess.run(scp, check=True))
        print(f"scp (OpenSSH)            {scp_time:7.2f} s  {size_mb / scp_time:7.1f} MB/s")

        base_url = f"ssh://{TEST_USER}@127.0.0.1:{server.port}{log}"
        for transit in ("none", "ssh", "gzip"):
            url = f"{base_url}?transit={transit}"
            seconds, (count, _) = median_time(args.runs, lambda url=url: drain(url))
            assert count == args.lines, count
            print(f"ssh source transit={transit:5s} {seconds:7.2f} s  {size_mb / seconds:7.1f} MB/s")
        local_time, (count, _) = median_time(args.runs, lambda: drain(f"file:{log}"))
        assert count == args.lines
        print(f"file: source             {local_time:7.2f} s  {size_mb / local_time:7.1f} MB/s")

        _, state = drain(base_url)
        extra = list(postfix_lines(1000, seed=2, start=time.time() - 600))
        incremental: list[float] = []
        for _ in range(args.runs):
            with open(log, "a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in extra)
            start = time.perf_counter()
            count, state = drain(base_url, state)
            incremental.append(time.perf_counter() - start)
            assert count == 1000, count
        print(f"incremental +1000 lines  {statistics.median(incremental):7.3f} s  (new connection included)")

        if not args.sources_only:
            cache_sync(args, base, base_url, log, scp_time, size_mb)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


def cache_sync(args: argparse.Namespace, base: Path, ssh_url: str, log: Path, scp_time: float, size_mb: float) -> None:
    """Full sync into a fresh SQLite cache over SSH and from file:, if the cache and sync exist."""
    try:
        from tracktui.cache import Cache
        from tracktui.sync import sync_sources
    except ImportError as exc:
        print(f"cache sync: not available ({exc})")
        return

    def one(url: str) -> float:
        times = []
        for run in range(args.runs):
            path = base / f"cache-{run}-{abs(hash(url))}.sqlite3"
            cache = Cache.open(f"sqlite:///{path}")
            try:
                start = time.perf_counter()
                report = sync_sources(cache, [url])
                times.append(time.perf_counter() - start)
                errors = getattr(report, "errors", [])
                if errors:
                    raise SystemExit(f"sync failed: {errors[0]}")
            finally:
                cache.close()
                path.unlink(missing_ok=True)
        return statistics.median(times)

    ssh_sync = one(ssh_url)
    file_sync = one(f"file:{log}")
    for name, seconds in (("sync over SSH into cache", ssh_sync), ("sync file: into cache   ", file_sync)):
        print(f"{name} {seconds:7.2f} s  {size_mb / seconds:7.1f} MB/s  {args.lines / seconds:9,.0f} lines/s")
    print(f"ratio ssh sync / (scp + file: sync) = {ssh_sync / (scp_time + file_sync):.2f} (goal <= 1.5)")


if __name__ == "__main__":
    raise SystemExit(main())
