"""TUI latency on a cache of a million deliveries, driven through Textual's Pilot.

Measures, as a user would feel them: start-up to an interactive main screen
(imports included), the first page of results after Enter, expanding a
message (its recipients) and a recipient (its attempts), loading the next
page while scrolling, and the process's peak memory. Reuses the cache builder
of ``benchmarks/query.py`` (the real ingest path). Prints medians and p95.

Goals: first page < 100 ms after Enter, expand < 50 ms, start-up < 1.5 s, memory < 300 MB.

    .venv/bin/python benchmarks/tui.py [--deliveries 1000000] [--runs 15] [--cache PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_QUERY = Path(__file__).with_name("query.py")
_spec = importlib.util.spec_from_file_location("tracktui_bench_query", _QUERY)
assert _spec is not None and _spec.loader is not None
query_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(query_bench)

FILTERS = (
    ("today, delivered", {"status": "delivered", "since": "today"}),
    ("7 days, permanent, @gmail.com", {"status": "permanent", "since": "-7d", "recipient": "@gmail.com"}),
    ("60 days, all, heavy recipient", {"status": "all", "since": "-59d", "recipient": query_bench.HEAVY_RECIPIENT}),
    ("60 days, temporary", {"status": "temporary", "since": "-59d"}),
)


def since_process_start() -> float:
    """Seconds since this process started (Linux /proc), so interpreter and import time count too."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return float(Path("/proc/uptime").read_text().split()[0]) - started


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms (n={len(ordered)})"


async def wait_until(pilot, condition, timeout: float = 10.0) -> float:
    """Seconds until ``condition()`` holds, yielding to the event loop every half millisecond."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.0005)
    return time.perf_counter() - start


def key(app, name: str, character: str | None = None) -> None:
    """Deliver one key the way the terminal driver does (Pilot's press also waits for idle, which we must not time)."""
    from textual import events

    app.post_message(events.Key(name, character))


async def measure(cache_url: str, runs: int) -> dict[str, list[float]]:
    started = time.perf_counter()
    from datetime import UTC

    from textual.widgets import Input

    from tracktui.tui.app import build_app
    from tracktui.tui.options import AppOptions
    from tracktui.tui.screens.main import MainScreen
    from tracktui.tui.widgets.delivery_tree import DeliveryTree, MessageData, RecipientData

    options = AppOptions(tz=UTC, cache_url=cache_url, clock=lambda: query_bench.END, sync_on_start=False,
                         browse_only=True)
    app = build_app(options)
    figures: dict[str, list[float]] = {"startup": [], "first page": [], "first page (handler)": [],
                                       "expand message": [], "expand recipient": [], "next page": []}
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen)
                         and app.screen.query_one(DeliveryTree).message_count > 0, timeout=30)
        figures["startup"].append(time.perf_counter() - started)
        figures["startup (process)"] = [since_process_start()]
        screen = app.screen
        tree = screen.query_one(DeliveryTree)
        for run in range(runs):
            for _label, values in FILTERS:
                for name in ("since", "recipient"):
                    screen.query_one(f"#{name}", Input).value = values.get(name, "")
                screen.query_one("#status-" + values["status"]).value = True
                await wait_until(pilot, lambda: tree.message_count > 0 or screen.first_page_seconds is not None)
                screen.set_focus(screen.query_one("#subject", Input))
                screen.query_one("#subject", Input).value = "" if run % 2 else " "
                generation = screen.generation
                t0 = time.perf_counter()
                key(app, "enter", "\r")
                await wait_until(pilot, lambda g=generation: screen.generation > g and
                                 screen.first_page_seconds is not None)
                figures["first page"].append(time.perf_counter() - t0)
                await pilot.pause()
                figures["first page (handler)"].append(screen.first_page_seconds)
        # expanding: the first 20 messages of a broad filter, then their first recipient
        screen.query_one("#status-all").value = True
        screen.query_one("#since", Input).value = "-7d"
        screen.query_one("#recipient", Input).value = ""
        screen.set_focus(screen.query_one("#since", Input))
        await pilot.press("enter")
        await wait_until(pilot, lambda: tree.message_count > 20)
        screen.set_focus(tree)
        for index in range(min(runs + 5, 20)):
            node = tree.root.children[index]
            tree.move_cursor(node)
            await pilot.pause()
            t0 = time.perf_counter()
            key(app, "enter", "\r")
            await wait_until(pilot, lambda n=node: isinstance(n.data, MessageData) and n.data.loaded)
            figures["expand message"].append(time.perf_counter() - t0)
            await pilot.pause()  # let the tree lay out the new lines before moving onto one
            child = node.children[0]
            tree.move_cursor(child)
            await pilot.pause()
            t0 = time.perf_counter()
            key(app, "enter", "\r")
            await wait_until(pilot, lambda c=child: isinstance(c.data, RecipientData) and c.data.loaded)
            figures["expand recipient"].append(time.perf_counter() - t0)
            tree.move_cursor(node)
            await pilot.press("enter")  # collapse again
        # scrolling: page after page with the End key
        for _ in range(runs):
            shown = tree.message_count
            await pilot.pause()
            t0 = time.perf_counter()
            key(app, "end")
            await wait_until(pilot, lambda s=shown: tree.message_count > s)
            figures["next page"].append(time.perf_counter() - t0)
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deliveries", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--cache", help="reuse (or build once into) this SQLite file (benchmarks/query.py's format)")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build_only:
        query_bench.build(args.cache, args.deliveries)
        return 0
    print(f"machine: {query_bench.machine()}")
    tmp = None
    if args.cache:
        path = Path(args.cache)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tracktui-bench-")
        path = Path(tmp.name) / "cache.sqlite3"
    if not path.exists() or path.stat().st_size == 0:
        # In a child process: the builder holds the synthetic data in memory, which is not the app's.
        subprocess.run([sys.executable, __file__, "--build-only", "--cache", str(path),
                        "--deliveries", str(args.deliveries)], check=True)
    figures = asyncio.run(measure(f"sqlite:///{path}", args.runs))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("latencies: key event delivered -> result in the widgets (thread worker query included, paint excluded)")
    print(f"start-up to first page on screen: {figures['startup'][0] * 1000:.0f} ms from building the app "
          f"(textual imports included), {figures['startup (process)'][0] * 1000:.0f} ms since the process started")
    for name in ("first page", "first page (handler)", "expand message", "expand recipient", "next page"):
        print(f"{name:32} {summary(figures[name])}")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    ok = (figures["startup (process)"][0] < 1.5 and statistics.median(figures["first page"]) < 0.1
          and statistics.median(figures["expand message"]) < 0.05
          and statistics.median(figures["expand recipient"]) < 0.05 and peak_mb < 300)
    print("goals (start-up < 1.5 s, first page < 100 ms, expand < 50 ms, memory < 300 MB):",
          "met" if ok else "NOT met")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
