"""Pilot tests of the delivery story screen at 80x24, on a real cache synced from a small Postfix log."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from tests.tui_fixtures import HOSTILE_REPLY, HOSTILE_SUBJECTS, _msg, base_lines, make_app, prepared_cache, settle
from tracktui.tui.screens.main import MainScreen
from tracktui.tui.screens.story import CopyChoice, StoryScreen
from tracktui.tui.widgets.delivery_tree import DeliveryTree, MessageData, RecipientData

SIZE = (80, 24)
NOT_FOUND = ("Host or domain name not found. Name service error for name=nowhere.example type=MX: "
             "Host not found, try again")


def retrying_lines() -> list[str]:
    """The base log plus one message deferred 40 times with the same reply, then once with another."""
    lines = base_lines()
    _msg(lines, "08:00:00", "C3000000001", "alice@example.com", "Retried a lot")
    for n in range(40):
        t = f"{8 + n // 6:02d}:{(n % 6) * 10:02d}:30"
        lines.append(f"Nov 20 {t} mx1 postfix/smtp[103]: C3000000001: to=<lee@nowhere.example>, relay=none, "
                     f"delay=1, delays=0/0/1/0, dsn=4.4.3, status=deferred ({NOT_FOUND})")
    lines.append("Nov 20 11:45:00 mx1 postfix/smtp[103]: C3000000001: to=<lee@nowhere.example>, relay=none, "
                 "delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to nowhere.example[192.0.2.99]:25: "
                 "Connection timed out)")
    return lines


def story_text(app) -> str:
    return "\n".join(str(widget.render()) for widget in app.screen.query("#story Static").results(Static))


async def open_story(app, pilot, subject: str, *, status: str = "a") -> int:
    """Open the story of the first recipient of the message with ``subject``; returns the message's index."""
    await settle(app, pilot)
    await pilot.press(status)
    await settle(app, pilot)
    tree = app.screen.query_one(DeliveryTree)
    index = next(i for i, node in enumerate(tree.root.children)
                 if isinstance(node.data, MessageData) and subject in str(node.label))
    tree.move_cursor(tree.root.children[index])
    await pilot.press("enter")  # a message: expands
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)
    await pilot.press("down")
    assert isinstance(tree.cursor_node.data, RecipientData)
    await pilot.press("enter")  # a recipient: its story
    await settle(app, pilot)
    assert isinstance(app.screen, StoryScreen)
    return index


@pytest.fixture
def data(tmp_path: Path) -> tuple[str, str]:
    return prepared_cache(tmp_path)


async def test_enter_opens_the_story_and_scrolling_reaches_every_part(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await open_story(app, pilot, "Mailbox full test", status="t")
        scroll = app.screen.query_one("#story", VerticalScroll)
        assert app.screen.focused is scroll
        text = story_text(app)
        for part in ("carol@full.example", "Why: ", "What to do: ", "Retrying: ", "Journey",
                     "Queue id: A1000000002", "Message-ID: a1000000002@example.com", "Raw log lines",
                     "A1000000002: to=<carol@full.example>"):
            assert part in text, part
        assert "2× host mx.full.example[198.51.100.7] said: 452 4.2.2 Mailbox full" in text
        ids = app.screen.query_one("#story-ids")
        assert ids.region.y >= 24 or ids.region.bottom > scroll.region.bottom  # below the first screenful
        assert scroll.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0


async def test_escape_returns_with_the_cursor_on_the_same_node(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await open_story(app, pilot, "Two recipients", status="s")
        tree = app.screen.app.screen_stack[-2].query_one(DeliveryTree)
        before = tree.cursor_node
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert tree.cursor_node is before and isinstance(before.data, RecipientData)
        assert app.screen.focused is tree
        await pilot.press("enter", "q")  # q closes it too
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and tree.cursor_node is before


async def test_space_and_right_still_expand_a_recipient(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        await pilot.press("right")
        await settle(app, pilot)
        await pilot.press("down")
        recipient = tree.cursor_node
        assert isinstance(recipient.data, RecipientData)
        await pilot.press("right")
        await settle(app, pilot)
        assert recipient.is_expanded and isinstance(app.screen, MainScreen)
        await pilot.press("left")
        assert not recipient.is_expanded


async def test_repeated_attempts_are_grouped(tmp_path: Path) -> None:
    app = make_app(*prepared_cache(tmp_path, retrying_lines()))
    async with app.run_test(size=SIZE) as pilot:
        await open_story(app, pilot, "Retried a lot", status="t")
        text = story_text(app)
        assert "Attempts (41)" in text
        assert f"40× {NOT_FOUND}, 20 Nov 08:00 → 20 Nov 14:30" in text
        assert "Connection timed out, 20 Nov 11:45" in text
        assert text.count(NOT_FOUND) == 1 + 40  # one grouped line, and each raw line


async def test_y_copies_the_queue_id_and_Y_offers_a_choice(data: tuple[str, str], monkeypatch) -> None:
    app = make_app(*data)
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await open_story(app, pilot, "Mailbox full test", status="t")
        await pilot.press("y")
        await pilot.pause()
        assert copied == ["A1000000002"]
        await pilot.press("Y")
        await pilot.pause()
        assert isinstance(app.screen, CopyChoice)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, StoryScreen)
        assert copied == ["A1000000002", "a1000000002@example.com"]


async def test_find_in_the_raw_lines(tmp_path: Path) -> None:
    app = make_app(*prepared_cache(tmp_path, retrying_lines()))
    async with app.run_test(size=SIZE) as pilot:
        await open_story(app, pilot, "Retried a lot", status="t")
        screen = app.screen
        scroll = screen.query_one("#story", VerticalScroll)
        await pilot.press("slash", *"timed OUT", "enter")
        await pilot.pause()
        assert screen.focused is scroll
        assert len(screen.matches) == 1
        assert "Connection timed out" in screen.lines[screen.matches[0]]
        assert scroll.scroll_y > 0  # jumped down to it
        await pilot.press("home", "slash", "ctrl+a", "ctrl+k", *"status=deferred", "enter")
        await pilot.pause()
        assert len(screen.matches) == 41 and screen.current == 0
        await pilot.press("n", "n")
        assert screen.current == 2
        await pilot.press("N")
        assert screen.current == 1
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert isinstance(app.screen, StoryScreen) and screen.focused is scroll
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_hostile_strings_are_shown_literally(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await open_story(app, pilot, HOSTILE_SUBJECTS[0], status="p")
        text = story_text(app)
        assert HOSTILE_SUBJECTS[0] in text
        assert HOSTILE_REPLY in text
        assert app.is_running
        await pilot.press("escape")
        await open_story(app, pilot, "red alert")
        text = story_text(app)
        assert "red alert" in text and "\x1b" not in text
        assert any("\x1b[31m" in line for line in app.screen.lines)  # in the log, not on screen


async def test_story_from_the_command_palette(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("down")
        await pilot.press("ctrl+p", *"delivery story")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StoryScreen)
        assert "henry@example.com" in story_text(app)


async def test_enter_on_an_attempt_opens_its_recipients_story(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        await pilot.press("right")
        await settle(app, pilot)
        await pilot.press("down", "space")
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StoryScreen)
        assert app.screen.row.recipient == "judy@example.com"


def footer_keys(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.key for key in app.screen.query(FooterKey)]


async def test_footer_fits_at_80_columns_and_shows_everything_when_wide(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=(130, 36)) as pilot:
        await settle(app, pilot)
        wide = footer_keys(app)
        assert wide[:2] == ["slash", "t"] and {"s", "d", "e", "question_mark", "q", "ctrl+p"} <= set(wide)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        narrow = footer_keys(app)
        assert {"slash", "t", "p", "a", "question_mark", "q", "ctrl+p"} <= set(narrow)
        assert "d" not in narrow and "e" not in narrow
        await pilot.press("enter", "down")  # on a recipient: Enter opens its story, and says so
        await settle(app, pilot)
        assert footer_keys(app)[0] == "enter"
        assert {"question_mark", "q"} <= set(footer_keys(app))


async def test_a_failed_load_says_so(data: tuple[str, str], monkeypatch) -> None:
    from tracktui.cache import Cache

    def broken(self, delivery_id, flt=None):
        raise RuntimeError("disk [on fire]")

    monkeypatch.setattr(Cache, "hops", broken)
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StoryScreen)
        assert story_text(app).count("could not be loaded") == 3
        assert "henry@example.com" in story_text(app)
