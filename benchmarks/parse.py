"""Parse and correlate throughput on a busy Postfix log, against a one-regex Python loop, and peak memory.

Usage: ``python benchmarks/parse.py [N] [--runs 3] [--small N2] [--keep FILE]``

Generates N lines (default 1,000,000) of a realistic busy-server ``mail.log``
with :func:`tracktui.samples.busy_postfix_lines` into a temporary file, then
measures lines/s, median of ``--runs`` runs each, over that same file:

- baseline: a bare Python loop applying one compiled regex per line;
- parse: :class:`tracktui.parsers.postfix.PostfixParser` alone;
- parse + correlate: the parser feeding :class:`tracktui.correlate.Correlator`,
  drained every 50,000 lines as a sync does (the result is discarded).

Peak memory of parse + correlate is measured in a fresh subprocess for the
first ``--small`` lines and for all N lines: equal figures mean memory stays
flat as the log grows. The child reports ``VmHWM`` from ``/proc/self/status``
(the peak RSS of its own address space) next to ``ru_maxrss``: on Linux
``ru_maxrss`` survives ``exec`` and so starts at the forking parent's size,
which hides the child's own peak whenever the parent is the larger.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

DRAIN_EVERY = 50_000
BASELINE_RE = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([\w/-]+)\[(\d+)\]: (?:([0-9A-F]{6,}): )?(.*)$")
"""The one regex of the baseline: a syslog envelope with an optional queue id."""


def generate(path: Path, n_lines: int, seed: int = 1) -> float:
    """Write ``n_lines`` busy-server lines to ``path``; returns the reference time (file mtime)."""
    from tracktui.samples import busy_postfix_lines

    start = 1_795_000_000.0  # 2026-11-18, a fixed point so every run reads the same file
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in busy_postfix_lines(n_lines, seed=seed, start=start):
            handle.write(line)
            handle.write("\n")
    last = start + n_lines / 150.0 + 3600
    os.utime(path, (last, last))
    return last


def run_baseline(path: Path, limit: int | None = None) -> int:
    """One compiled regex per line; returns how many lines matched."""
    match = BASELINE_RE.match
    hits = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                break
            if match(line.rstrip("\n")) is not None:
                hits += 1
    return hits


def run_parse(path: Path, reference: float, limit: int | None = None) -> int:
    """The Postfix parser alone; returns the number of events."""
    from tracktui.parsers.postfix import PostfixParser

    parser = PostfixParser(tz=UTC, reference_time=reference)
    parse = parser.parse
    events = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                break
            if parse(line.rstrip("\n")) is not None:
                events += 1
    return events


def run_correlate(path: Path, reference: float, limit: int | None = None) -> int:
    """Parser feeding the correlator, drained every :data:`DRAIN_EVERY` lines; returns messages drained."""
    from tracktui.correlate import Correlator
    from tracktui.parsers.postfix import PostfixParser

    parser = PostfixParser(tz=UTC, reference_time=reference)
    parse = parser.parse
    correlator = Correlator()
    feed = correlator.feed
    drained = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for count, line in enumerate(handle, start=1):
            if limit is not None and count > limit:
                break
            event = parse(line.rstrip("\n"))
            if event is not None:
                feed(event)
            if count % DRAIN_EVERY == 0:
                drained += len(correlator.drain())
    drained += len(correlator.drain())
    return drained


def timed(runs: int, n_lines: int, work: Callable[[], object]) -> float:
    """Median lines/s of ``runs`` calls of ``work``."""
    rates = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        rates.append(n_lines / (time.perf_counter() - began))
    return statistics.median(rates)


def peak_rss_mb(path: Path, reference: float, limit: int, mode: str) -> tuple[float, float]:
    """Peak resident memory (VmHWM, ru_maxrss) in MB of a fresh interpreter running ``mode`` over ``limit`` lines."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), str(reference), str(limit)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    hwm, maxrss = output.strip().splitlines()[-1].split()
    return int(hwm) / 1024, int(maxrss) / 1024  # both in KiB on Linux


def child(mode: str, path: str, reference: str, limit: str) -> None:
    """Body of the measuring subprocess: run, then print ru_maxrss."""
    target, ref, count = Path(path), float(reference), int(limit)
    if mode == "correlate":
        run_correlate(target, ref, count)
    elif mode == "baseline":
        run_baseline(target, count)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = maxrss
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    print(hwm, maxrss)


def machine() -> str:
    """nproc, CPU model and Python version, for the figures' context."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} ({platform.python_implementation()})"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:5])
        return 0
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("lines", nargs="?", type=int, default=1_000_000, help="lines to generate")
    options.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    options.add_argument("--small", type=int, default=None, help="smaller N for the memory check (default N/5)")
    options.add_argument("--keep", type=Path, default=None, help="write the log here and keep it")
    args = options.parse_args(argv)
    n_lines = args.lines
    small = args.small or max(n_lines // 5, 1)

    with tempfile.TemporaryDirectory(prefix="tracktui-bench-") as tmp:
        path = args.keep or Path(tmp) / "mail.log"
        began = time.perf_counter()
        reference = generate(path, n_lines)
        generated = time.perf_counter() - began
        size_mb = path.stat().st_size / 1e6
        print(f"machine: {machine()}")
        print(f"log: {n_lines:,} lines, {size_mb:.0f} MB, generated in {generated:.1f} s "
              f"({n_lines / generated:,.0f} lines/s); {args.runs} runs each, medians\n")

        baseline = timed(args.runs, n_lines, lambda: run_baseline(path))
        rows: list[tuple[str, str, str]] = [("one-regex loop (baseline)", f"{baseline:>12,.0f}", "1.00")]
        parse_rate = correlate_rate = None
        try:
            parse_rate = timed(args.runs, n_lines, lambda: run_parse(path, reference))
            rows.append(("parse (PostfixParser)", f"{parse_rate:>12,.0f}", f"{parse_rate / baseline:.2f}"))
            correlate_rate = timed(args.runs, n_lines, lambda: run_correlate(path, reference))
            rows.append(("parse + correlate", f"{correlate_rate:>12,.0f}", f"{correlate_rate / baseline:.2f}"))
        except ImportError as error:
            rows.append((f"parse / correlate: not available ({error.name})", "-", "-"))

        print(f"{'measurement':<34} {'lines/s':>12}  {'x baseline':>10}")
        print(f"{'-' * 34} {'-' * 12}  {'-' * 10}")
        for name, rate, ratio in rows:
            print(f"{name:<34} {rate:>12}  {ratio:>10}")

        mode = "parse + correlate" if correlate_rate is not None else "baseline"
        print(f"\npeak memory of {mode}, fresh process per N:")
        print(f"{'N lines':>12}  {'VmHWM MB':>9}  {'ru_maxrss MB':>12}")
        for count in (0, small, n_lines):
            hwm, maxrss = peak_rss_mb(path, reference, count, "correlate" if correlate_rate else "baseline")
            note = "   (interpreter and imports)" if count == 0 else ""
            print(f"{count:>12,}  {hwm:>9.1f}  {maxrss:>12.1f}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
