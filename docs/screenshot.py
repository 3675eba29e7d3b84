"""Regenerate ``docs/screenshot.svg``: the main screen on ``tracktui demo`` data, a deferred message expanded.

    TZ=UTC .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Input

from tracktui.demo import prepare_demo
from tracktui.model import Status
from tracktui.tui.app import build_app
from tracktui.tui.options import AppOptions
from tracktui.tui.widgets.delivery_tree import DeliveryTree, MessageData
from tracktui.tui.widgets.filter_form import FormValues

NOW = datetime(2026, 11, 27, 14, 30, tzinfo=UTC).timestamp()
OUTPUT = Path(__file__).with_name("screenshot.svg")


async def settle(app, pilot) -> None:
    from textual.worker import WorkerState

    for _ in range(3):
        while any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause(0.05)
        await pilot.pause()


async def main() -> None:
    with prepare_demo(now=NOW) as demo:
        options = AppOptions(tz=UTC, sources=demo.sources, cache_url=demo.cache_url, clock=lambda: NOW,
                             form=FormValues(status="all", since="-7d"), title="tracktui demo")
        app = build_app(options)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            while app.screen.syncing:
                await settle(app, pilot)
            await settle(app, pilot)
            for widget in app.screen.query(Input):
                widget.cursor_blink = False
            tree = app.screen.query_one(DeliveryTree)
            # a message that was deferred, then delivered: its attempts tell the whole story
            node = next(n for n in tree.root.children if isinstance(n.data, MessageData)
                        and n.data.row.status is Status.DELIVERED and 2 <= n.data.row.attempt_count <= 4)
            tree.move_cursor(node)
            await pilot.press("enter")
            await settle(app, pilot)
            await pilot.press("down", "enter")
            await settle(app, pilot)
            await pilot.press("down")
            await settle(app, pilot)
            app.save_screenshot(filename=OUTPUT.name, path=str(OUTPUT.parent))
    print(f"wrote {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
