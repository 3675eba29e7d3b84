"""Parse and correlate throughput on a busy Postfix or Exim log, against a one-regex Python loop, and peak memory.

Usage: ``python benchmarks/parse.py [N] [--mta postfix|exim|all] [--runs 3] [--small N2] [--keep FILE]``

Generates N lines (default 1,000,000) of a realistic busy-server log into a
temporary file (``--mta postfix``, the default: a syslog ``mail.log`` from
:func:`tracktui.samples.busy_postfix_lines`; ``--mta exim``: a ``mainlog``
from :func:`tracktui.samples.exim_lines`; ``--mta all``: both, one after the
other), then measures lines/s, median of ``--runs`` runs each, over that same
file:

- baseline: a bare Python loop applying one compiled regex per line (the
  syslog envelope for Postfix, Exim's stamp and message id for Exim);
- parse: the MTA's parser alone (:class:`tracktui.parsers.postfix.PostfixParser`
  or :class:`tracktui.parsers.exim.EximParser`);
- parse + correlate: the parser feeding :class:`tracktui.correlate.Correlator`,
  drained every 50,000 lines as a sync does (the result is discarded).

The engine measured is the one importable here, named on the first line: an
editable install runs it as pure Python; ``pip install .`` (or ``python
hatch_build.py inplace`` in a checkout) runs the mypyc-compiled modules that a
wheel ships. The README quotes both.

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
MTAS = ("postfix", "exim")
BASELINE_RE = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([\w/-]+)\[(\d+)\]: (?:([0-9A-F]{6,}): )?(.*)$")
"""The one regex of the baseline: a syslog envelope with an optional queue id."""
EXIM_BASELINE_RE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:([0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}) )?(.*)$"
)
"""The Exim baseline's regex: Exim's own stamp with an optional message id."""
LINES_PER_SECOND = {"postfix": 150.0, "exim": 60.0}
"""Log time per line of each generator, to put the file's mtime just after its last stamp."""


def parser_class(mta: str) -> type:
    """The parser class benchmarked for ``mta``."""
    if mta == "exim":
        from tracktui.parsers.exim import EximParser

        return EximParser
    from tracktui.parsers.postfix import PostfixParser

    return PostfixParser


def generate(path: Path, n_lines: int, seed: int = 1, mta: str = "postfix") -> float:
    """Write ``n_lines`` busy-server lines of ``mta`` to ``path``; returns the reference time (file mtime)."""
    from tracktui.samples import busy_postfix_lines, exim_lines

    lines = exim_lines if mta == "exim" else busy_postfix_lines
    start = 1_795_000_000.0  # 2026-11-18, a fixed point so every run reads the same file
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in lines(n_lines, seed=seed, start=start):
            handle.write(line)
            handle.write("\n")
    last = start + n_lines / LINES_PER_SECOND[mta] + 3600
    os.utime(path, (last, last))
    return last


def run_baseline(path: Path, limit: int | None = None, mta: str = "postfix") -> int:
    """One compiled regex per line; returns how many lines matched."""
    match = (EXIM_BASELINE_RE if mta == "exim" else BASELINE_RE).match
    hits = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                break
            if match(line.rstrip("\n")) is not None:
                hits += 1
    return hits


def run_parse(path: Path, reference: float, limit: int | None = None, mta: str = "postfix") -> int:
    """The MTA's parser alone; returns the number of events."""
    parser = parser_class(mta)(tz=UTC, reference_time=reference)
    parse = parser.parse
    events = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for count, line in enumerate(handle):
            if limit is not None and count >= limit:
                break
            if parse(line.rstrip("\n")) is not None:
                events += 1
    return events


def run_correlate(path: Path, reference: float, limit: int | None = None, mta: str = "postfix") -> int:
    """Parser feeding the correlator, drained every :data:`DRAIN_EVERY` lines; returns messages drained.

    Runs with the cyclic GC paused, as ``tracktui.sync`` runs its ingest loop.
    """
    from tracktui.gcpause import paused_gc

    with paused_gc():
        return _correlate(path, reference, limit, mta)


def _correlate(path: Path, reference: float, limit: int | None, mta: str) -> int:
    from tracktui.correlate import Correlator

    parser = parser_class(mta)(tz=UTC, reference_time=reference)
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


def peak_rss_mb(path: Path, reference: float, limit: int, mode: str, mta: str = "postfix") -> tuple[float, float]:
    """Peak resident memory (VmHWM, ru_maxrss) in MB of a fresh interpreter running ``mode`` over ``limit`` lines."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), str(reference), str(limit), mta],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    hwm, maxrss = output.strip().splitlines()[-1].split()
    return int(hwm) / 1024, int(maxrss) / 1024  # both in KiB on Linux


def child(mode: str, path: str, reference: str, limit: str, mta: str = "postfix") -> None:
    """Body of the measuring subprocess: run, then print ru_maxrss."""
    target, ref, count = Path(path), float(reference), int(limit)
    if mode == "correlate":
        run_correlate(target, ref, count, mta)
    elif mode == "baseline":
        run_baseline(target, count, mta)
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
    from tracktui import engine

    python = f"Python {platform.python_version()} ({platform.python_implementation()})"
    return f"{os.cpu_count()} CPUs ({model}), {python}; tracktui engine: {engine()}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:6])
        return 0
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("lines", nargs="?", type=int, default=1_000_000, help="lines to generate")
    options.add_argument("--mta", choices=(*MTAS, "all"), default="postfix", help="which log and parser")
    options.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    options.add_argument("--small", type=int, default=None, help="smaller N for the memory check (default N/5)")
    options.add_argument("--keep", type=Path, default=None, help="write the log here and keep it (one MTA only)")
    args = options.parse_args(argv)
    mtas = MTAS if args.mta == "all" else (args.mta,)
    if args.keep is not None and len(mtas) > 1:
        options.error("--keep needs a single --mta")
    print(f"machine: {machine()}")
    for index, mta in enumerate(mtas):
        if index:
            print()
        bench(mta, args.lines, args.runs, args.small or max(args.lines // 5, 1), args.keep)
    return 0


def bench(mta: str, n_lines: int, runs: int, small: int, keep: Path | None) -> None:
    """Generate one MTA's log, then print its rates against the baseline and its peak memory."""
    with tempfile.TemporaryDirectory(prefix="tracktui-bench-") as tmp:
        path = keep or Path(tmp) / ("mainlog" if mta == "exim" else "mail.log")
        began = time.perf_counter()
        reference = generate(path, n_lines, mta=mta)
        generated = time.perf_counter() - began
        size_mb = path.stat().st_size / 1e6
        label = "" if mta == "postfix" else f"{mta} "
        print(
            f"{label}log: {n_lines:,} lines, {size_mb:.0f} MB, generated in {generated:.1f} s "
            f"({n_lines / generated:,.0f} lines/s); {runs} runs each, medians\n"
        )

        baseline = timed(runs, n_lines, lambda: run_baseline(path, mta=mta))
        rows: list[tuple[str, str, str]] = [("one-regex loop (baseline)", f"{baseline:>12,.0f}", "1.00")]
        parse_rate = correlate_rate = None
        try:
            name = parser_class(mta).__name__
            parse_rate = timed(runs, n_lines, lambda: run_parse(path, reference, mta=mta))
            rows.append((f"parse ({name})", f"{parse_rate:>12,.0f}", f"{parse_rate / baseline:.2f}"))
            correlate_rate = timed(runs, n_lines, lambda: run_correlate(path, reference, mta=mta))
            rows.append(("parse + correlate", f"{correlate_rate:>12,.0f}", f"{correlate_rate / baseline:.2f}"))
        except ImportError as error:
            rows.append((f"parse / correlate: not available ({error.name})", "-", "-"))

        print(f"{'measurement':<34} {'lines/s':>12}  {'x baseline':>10}")
        print(f"{'-' * 34} {'-' * 12}  {'-' * 10}")
        for name, rate, ratio in rows:
            print(f"{name:<34} {rate:>12}  {ratio:>10}")

        mode = "parse + correlate" if correlate_rate is not None else "baseline"
        print(f"\npeak memory of {label}{mode}, fresh process per N:")
        print(f"{'N lines':>12}  {'VmHWM MB':>9}  {'ru_maxrss MB':>12}")
        for count in (0, small, n_lines):
            hwm, maxrss = peak_rss_mb(path, reference, count, "correlate" if correlate_rate else "baseline", mta)
            note = "   (interpreter and imports)" if count == 0 else ""
            print(f"{count:>12,}  {hwm:>9.1f}  {maxrss:>12.1f}{note}")


if __name__ == "__main__":
    sys.exit(main())
