"""Benchmark the PDF report: seconds and peak memory for 10,000 and 100,000 synthetic deliveries.

Each run renders in a fresh child process, so its peak RSS is its own.
Prints one line per size with the median, min and max wall time over the
runs, the median CPU time (what the process itself used: on a busy shared
machine wall time also counts waiting for a core), pages, file size and the
largest peak RSS. ``--baseline N`` also times the
obvious approach (fpdf2's ``table()`` with the same font and columns) on N
rows, for comparison.

    .venv/bin/python benchmarks/report.py                  # 10k x3, 100k x1
    .venv/bin/python benchmarks/report.py --sizes 10000 --runs 5 --baseline 2000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

LIMITS = {10_000: 5.0, 100_000: 60.0}
"""The issue's targets, in seconds."""
MEMORY_LIMIT_MB = 500


def _child_report(count: int, out: Path) -> dict[str, float]:
    from tracktui.report.pdf import render_report
    from tracktui.report.sample import sample_rows

    started, cpu = time.perf_counter(), time.process_time()
    stats = render_report(
        out, lambda: sample_rows(count), title="Benchmark report", filter_words="All deliveries, 1–30 November 2026",
        hosts=["mx1.sender.example"], generated_at=time.time(), tz=ZoneInfo("Europe/Berlin"), total=count,
    )
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "pages": stats.pages,
            "bytes": stats.size}


def _child_table(count: int, out: Path) -> dict[str, float]:
    """The obvious approach: fpdf2's table() with wrapping cells, for the before/after comparison."""
    from datetime import datetime

    from fpdf import FPDF

    from tracktui.report.glyphs import BOLD_FONT, REGULAR_FONT
    from tracktui.report.sample import sample_rows
    from tracktui.report.words import STATUS_LABELS, explain_row

    started, cpu = time.perf_counter(), time.process_time()
    zone = ZoneInfo("Europe/Berlin")
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("dejavu", "", str(REGULAR_FONT))
    pdf.add_font("dejavu", "B", str(BOLD_FONT))
    pdf.set_font("dejavu", size=7)
    pdf.add_page()
    widths = (28.5, 37.5, 40, 43, 22, 66, 41)
    with pdf.table(col_widths=widths, text_align="LEFT") as table:
        table.row(["Time", "Sender", "Recipient", "Subject", "Status", "Remote host's reply", "Explanation"])
        for row, _attempts in sample_rows(count):
            table.row([
                datetime.fromtimestamp(row.time, zone).strftime("%Y-%m-%d %H:%M:%S"), row.sender or "",
                row.recipient, row.subject or "", STATUS_LABELS[row.status], row.reply or "", explain_row(row)[0],
            ])
    pdf.output(str(out))
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "pages": pdf.page_no(),
            "bytes": out.stat().st_size}


def _run_child(mode: str, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run(
            [sys.executable, __file__, f"--child-{mode}", str(count), str(Path(directory) / "out.pdf")],
            check=True, capture_output=True, text=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _summarise(label: str, runs: list[dict[str, float]], limit: float | None) -> str:
    times = [run["seconds"] for run in runs]
    cpu = statistics.median(run["cpu"] for run in runs)
    peak = max(run["peak_rss_mb"] for run in runs)
    verdict = ""
    if limit is not None:
        ok = statistics.median(times) < limit and peak < MEMORY_LIMIT_MB
        verdict = f"  target <{limit:.0f} s, <{MEMORY_LIMIT_MB} MB: {'met' if ok else 'MISSED'}"
    return (f"{label}: median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
            f"{len(times)} run{'s' if len(times) != 1 else ''}; CPU {cpu:.2f} s), {int(runs[0]['pages']):,} pages, "
            f"{runs[0]['bytes'] / 1e6:.1f} MB file, peak RSS {peak:.0f} MB{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per size below 50,000 (larger sizes: 1)")
    parser.add_argument("--baseline", type=int, metavar="N", help="also time fpdf2 table() on N rows")
    parser.add_argument("--child-report", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-table", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for mode, work in (("child_report", _child_report), ("child_table", _child_table)):
        spec = getattr(args, mode)
        if spec:
            result = work(int(spec[0]), Path(spec[1]))
            result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps(result))
            return 0
    if args.baseline:
        runs = [_run_child("table", args.baseline)]
        per_10k = runs[0]["cpu"] * 10_000 / args.baseline
        print(_summarise(f"fpdf2 table(), {args.baseline:,} rows", runs, None)
              + f"  (~{per_10k:.0f} CPU s per 10,000 rows)")
    for size in args.sizes:
        runs = [_run_child("report", size) for _ in range(args.runs if size < 50_000 else 1)]
        print(_summarise(f"render_report, {size:,} deliveries", runs, LIMITS.get(size)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
