"""Snapshot tests (pytest-textual-snapshot) at 80x24 and 120x36 with a fixed clock, zone and data.

Update with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at
the SVGs in ``tests/__snapshots__/`` before accepting them.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui_fixtures import make_app, prepared_cache, settle
from tracktui.tui.screens.hostkey import HostKeyScreen


async def _ready(pilot: Pilot) -> None:
    await settle(pilot.app, pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_main_screen_80x24(snap_compare, tmp_path: Path) -> None:
    """Delivered mail of the day, details stacked under the tree."""
    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(80, 24), run_before=_ready)


def test_all_statuses_expanded_to_attempts_120x36(snap_compare, tmp_path: Path) -> None:
    """Every status, the "Mailbox full" message expanded to its two deferred attempts, details beside."""

    async def expand(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("a")
        await settle(pilot.app, pilot)
        await pilot.press("down", "enter")
        await settle(pilot.app, pilot)
        await pilot.press("down", "space")
        await settle(pilot.app, pilot)
        await pilot.press("down")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(120, 36), run_before=expand)


def test_invalid_date_marked_80x24(snap_compare, tmp_path: Path) -> None:
    """A start date before the retention window: the field is marked and the note says why."""

    async def bad_date(pilot: Pilot) -> None:
        await _ready(pilot)
        since = pilot.app.screen.query_one("#since", Input)
        since.value = "2026-01-01"
        since.focus()
        await pilot.press("enter")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(80, 24), run_before=bad_date)


def test_host_key_dialog_80x24(snap_compare, tmp_path: Path) -> None:
    """The unknown-host-key question with key type and fingerprint."""

    async def dialog(pilot: Pilot) -> None:
        await _ready(pilot)
        pilot.app.push_screen(HostKeyScreen("mx1.example.com", "ssh-ed25519",
                                            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"))
        await pilot.pause()

    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(80, 24), run_before=dialog)


def test_help_screen_120x36(snap_compare, tmp_path: Path) -> None:
    """Every key, from the same table as the README."""
    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(120, 36),
                        run_before=_ready, press=["question_mark"])


def test_delivery_story_80x24(snap_compare, tmp_path: Path) -> None:
    """The delivery story of a deferred recipient: status, why, what to do, until when, the journey."""

    async def story(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("t")
        await settle(pilot.app, pilot)
        await pilot.press("down", "enter")
        await settle(pilot.app, pilot)
        await pilot.press("down", "enter")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(*prepared_cache(tmp_path)), terminal_size=(80, 24), run_before=story)
