"""Pilot tests of the main screen on a real cache synced from a real (small, deterministic) Postfix log."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, RadioButton, Static

from tests.tui_fixtures import (
    GMAIL_REPLY,
    HOSTILE_REPLY,
    LONG_SUBJECT,
    base_lines,
    make_app,
    new_message_lines,
    prepared_cache,
    settle,
    write_log,
)
from tracktui.tui.screens.help import HelpScreen
from tracktui.tui.screens.main import MainScreen
from tracktui.tui.screens.rawlog import RawLogScreen
from tracktui.tui.widgets.delivery_tree import AttemptData, DeliveryTree, MessageData, RecipientData
from tracktui.tui.widgets.details import DetailsPane
from tracktui.tui.widgets.filter_form import FilterForm

SIZE = (120, 36)


@pytest.fixture
def data(tmp_path: Path) -> tuple[str, str]:
    return prepared_cache(tmp_path)


def labels(app) -> list[str]:
    tree = app.screen.query_one(DeliveryTree)
    return [str(node.label) for node in tree.root.children if isinstance(node.data, MessageData)]


def details(app) -> str:
    return str(app.screen.query_one("#details-body", Static).render())


def top_statuses(app) -> set[str]:
    tree = app.screen.query_one(DeliveryTree)
    return {status.value for node in tree.root.children if isinstance(node.data, MessageData)
            for status in node.data.statuses}


async def test_opens_on_todays_delivered_mail_newest_first(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        shown = labels(app)
        assert shown[0].startswith("✓ 2026-11-20 10:30:01 - Two recipients")
        assert shown[-1].startswith("✓ 2026-11-20 10:00:01 - Quarterly report")
        assert top_statuses(app) == {"delivered"}
        radio = {button.id: str(button.label) for button in app.screen.query(RadioButton)}
        assert radio["status-delivered"] == "Delivered 5"
        assert radio["status-temporary"] == "Temporarily rejected 3"
        assert radio["status-permanent"] == "Permanently rejected 2"
        assert radio["status-all"] == "All 10"


@pytest.mark.parametrize(
    ("key", "statuses", "count"),
    [("t", {"deferred"}, 3), ("p", {"bounced", "expired"}, 2), ("a", {"delivered", "deferred", "bounced",
                                                                       "expired"}, 9), ("s", {"delivered"}, 5)],
)
async def test_status_keys_filter(data: tuple[str, str], key: str, statuses: set[str], count: int) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        if key == "s":
            await pilot.press("a")
            await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        assert top_statuses(app) == statuses
        assert len(labels(app)) == count  # messages: the two-recipient one is one node


async def test_number_keys_are_the_same_groups(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert top_statuses(app) == {"bounced", "expired"}


async def test_recipient_filter_from_the_keyboard(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "slash")
        assert app.screen.focused is app.screen.query_one("#recipient", Input)
        await pilot.press(*"@full.example", "enter")
        await settle(app, pilot)
        assert [label.split(" - ")[1].split("  ")[0] for label in labels(app)] == ["Mailbox full test"]
        await pilot.press("escape")
        assert isinstance(app.screen.focused, DeliveryTree)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("since", "next blursday", "try today"),
        ("since", "2026-01-01", "retention window"),
        ("until", "2026-11-01", "range is empty"),
        ("recipient", "bob smith", "contains a space"),
    ],
)
async def test_invalid_input_is_marked_at_the_field(data: tuple[str, str], field: str, value: str,
                                                    words: str) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = labels(app)
        widget = app.screen.query_one(f"#{field}", Input)
        widget.value = value
        widget.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert widget.has_class("-invalid")
        note = str(app.screen.query_one("#form-note", Static).render())
        assert words in note
        assert labels(app) == before  # the old results stay; nothing crashed
        widget.value = "" if field != "since" else "today"
        await pilot.press("enter")
        await settle(app, pilot)
        assert not widget.has_class("-invalid")
        assert "retention" in str(app.screen.query_one("#form-note", Static).render())


async def test_yesterday_and_relative_dates_are_accepted(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for value, expected in (("yesterday", 5), ("-7d", 5), ("2026-11-21", 0)):
            app.screen.query_one("#since", Input).value = value
            app.screen.query_one("#since", Input).focus()
            await pilot.press("enter")
            await settle(app, pilot)
            assert len(labels(app)) == expected, value


async def test_expand_message_recipient_and_attempts(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        index = next(i for i, label in enumerate(labels(app)) if "Mailbox full test" in label)
        tree.move_cursor(tree.root.children[index])
        await pilot.press("enter")
        await settle(app, pilot)
        message = tree.root.children[index]
        assert [str(child.label) for child in message.children] == [
            "⟳ carol@full.example  temporarily rejected, will retry (2 attempts)"]
        await pilot.press("down", "space")
        await settle(app, pilot)
        attempts = message.children[0].children
        assert [str(a.label) for a in attempts] == [
            "⟳ 2026-11-20 10:05:01 mx.full.example[198.51.100.7]:25: host mx.full.example[198.51.100.7] said: "
            "452 4.2.2 Mailbox full (in reply to RCPT TO command)",
            "⟳ 2026-11-20 10:35:01 mx.full.example[198.51.100.7]:25: host mx.full.example[198.51.100.7] said: "
            "452 4.2.2 Mailbox full (in reply to RCPT TO command)",
        ]
        await pilot.press("j")
        assert isinstance(tree.cursor_node.data, AttemptData)
        assert "Attempt at 2026-11-20 10:05:01" in details(app)


async def test_details_of_a_delivered_message(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        tree.move_cursor(tree.root.children[-1])  # Quarterly report
        await pilot.pause()
        text = details(app)
        assert "Sent From: alice@example.com" in text
        assert "Sent To: bob@example.com" in text
        assert "Recipient delivery status: delivered (2.0.0)" in text
        assert f"Message delivery status: 74.125.193.26 accepted message. Remote host said: {GMAIL_REPLY}" in text
        for field in ("Queue id: A1000000001", "Message-ID: a1000000001@example.com", "Host: mx1 (postfix)",
                      "Relay: gmail-smtp-in.l.google.com[74.125.193.26]:25", "Delay: 1.5 s", "Size: 1,234 bytes",
                      "Why: "):
            assert field in text


async def test_details_of_deferred_says_until_when_and_null_sender(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        text = details(app)  # newest deferred: judy, whose sender never appeared in the log
        assert "Sent From: null" in text
        assert "before the SMTP MAIL FROM command" in text
        assert "Sent To: judy@example.com" in text
        assert "Retrying: Your server keeps retrying until" in text
        assert "No remote host accepted a connection: connect to mx.example.com[192.0.2.9]:25" in text


async def test_raw_log_lines(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        tree.move_cursor(tree.root.children[-1])
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RawLogScreen)
        assert any("A1000000001: removed" in line for line in app.screen.lines)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_background_sync_adds_rows_without_moving_the_cursor(tmp_path: Path) -> None:
    source, cache_url = prepared_cache(tmp_path)
    app = make_app(source, cache_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        await pilot.press("down", "down")
        before = tree.cursor_node
        assert isinstance(before.data, MessageData)
        write_log(tmp_path / "mail.log", new_message_lines(3), append=True)
        await pilot.press("r")
        await settle(app, pilot, rounds=5)
        assert tree.cursor_node is before  # the list is shorter than the screen: new rows push it down
        assert labels(app)[0].startswith("✓ 2026-11-20 11:50:02 - Fresh message 2")
        assert len(labels(app)) == 8
        assert str(app.screen.query_one("#status-delivered", RadioButton).label) == "Delivered 8"


async def test_background_sync_keeps_the_screen_row_of_a_long_list(tmp_path: Path) -> None:
    from tests.tui_fixtures import base_lines

    source, cache_url = prepared_cache(tmp_path, base_lines() + new_message_lines(40))
    app = make_app(source, cache_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        for _ in range(10):
            await pilot.press("j")
        before = tree.cursor_node
        screen_line = tree.cursor_line - tree.scroll_offset.y
        write_log(tmp_path / "mail.log", new_message_lines(3, start_minute=55, prefix="C3"), append=True)
        await pilot.press("r")
        await settle(app, pilot, rounds=5)
        assert tree.cursor_node is before
        assert tree.cursor_line - tree.scroll_offset.y == screen_line  # same row on screen
        assert labels(app)[0].startswith("✓ 2026-11-20 11:55:02 - Fresh message 2")


async def test_results_arrive_in_pages(tmp_path: Path) -> None:
    from tests.tui_fixtures import base_lines

    source, cache_url = prepared_cache(tmp_path, base_lines() + new_message_lines(40))
    app = make_app(source, cache_url, page_size=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        assert tree.message_count == 10 and tree.has_more
        for _ in range(12):
            await pilot.press("j")
        await settle(app, pilot)
        assert tree.message_count > 10
        await pilot.press("end")
        for _ in range(6):
            await pilot.press("j")
            await settle(app, pilot)
            await pilot.press("end")
        assert tree.message_count == 45 and not tree.has_more  # 40 new + 5 delivered earlier


async def test_hostile_strings_are_shown_literally(tmp_path: Path) -> None:
    source, cache_url = prepared_cache(tmp_path)
    app = make_app(source, cache_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        shown = labels(app)
        assert any("- [@click=app.quit]  dave@example.net" in label for label in shown)
        assert any("- red alert  erin@example.org" in label for label in shown)
        assert any("- evil שלום עולם  frank@example.org" in label for label in shown)
        assert not any("\x1b" in label or "\u202e" in label for label in shown)
        long_label = next(label for label in shown if "LLLL" in label)
        assert len(long_label) < 400
        tree = app.screen.query_one(DeliveryTree)
        index = next(i for i, label in enumerate(shown) if "[@click=app.quit]" in label)
        tree.move_cursor(tree.root.children[index])
        await pilot.press("enter")  # expanding (and clicking) the hostile node does nothing but expand
        await settle(app, pilot)
        await pilot.press("down")
        await pilot.pause()
        text = details(app)
        assert "Subject: [@click=app.quit]" in text
        assert HOSTILE_REPLY in text
        assert isinstance(tree.cursor_node.data, RecipientData)
        await pilot.click(DeliveryTree, offset=(10, index))
        await pilot.pause()
        assert app.is_running
        index = next(i for i, label in enumerate(labels(app)) if "LLLL" in label)
        tree.move_cursor(tree.root.children[index])
        await pilot.pause()
        assert LONG_SUBJECT[:4000] in details(app)
        index = next(i for i, label in enumerate(labels(app)) if "red alert" in label)
        tree.move_cursor(tree.root.children[index])
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RawLogScreen)
        shown = " ".join(" ".join(strip.text for strip in app.screen.query_one("#raw-lines").lines).split())
        assert "Subject: red alert from" in shown and "\x1b" not in shown
        assert any("\x1b[31m" in line for line in app.screen.lines)  # the log had the escape; it was not shown


async def test_hostile_error_text_in_notifications(tmp_path: Path) -> None:
    _source, cache_url = prepared_cache(tmp_path)
    hostile = tmp_path / "[@click=app.quit] [bold red]x \x1b[31m"
    app = make_app(f"file:{hostile}/mail.log", cache_url, sync_on_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, rounds=5)
        assert app.is_running
        messages = [notification.message for notification in app._notifications]
        assert any("[@click=app.quit] [bold red]x" in message for message in messages), messages
        assert not any("\x1b" in message for message in messages)
        assert "[@click=app.quit]" in str(app.screen.query_one("#sync-bar").query_one(".progress-words").render())


async def test_help_screen_and_palette_commands(data: tuple[str, str]) -> None:
    from tracktui.tui.palette import TracktuiCommands

    app = make_app(*data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        provider = TracktuiCommands(app.screen)
        names = [hit.text async for hit in provider.discover()]
        assert "Show temporarily rejected" in names and "Export PDF" in names
        hits = [hit async for hit in provider.search("perm")]
        assert hits
        await hits[0].command()
        await settle(app, pilot)
        assert top_statuses(app) == {"bounced", "expired"}


async def test_narrow_terminal_stacks_details_and_d_toggles(data: tuple[str, str]) -> None:
    app = make_app(*data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        pane = app.screen.query_one(DetailsPane)
        assert pane.region.y > tree.region.y and pane.region.width >= 70
        assert tree.region.height >= 5
        await pilot.press("d")
        await pilot.pause()
        assert not pane.display or pane.region.height == 0
        await pilot.press("d")
        await pilot.pause()
        assert pane.region.height > 0
    wide = make_app(*data)
    async with wide.run_test(size=SIZE) as pilot:
        await settle(wide, pilot)
        tree = wide.screen.query_one(DeliveryTree)
        pane = wide.screen.query_one(DetailsPane)
        assert pane.region.x > tree.region.x and pane.region.y == tree.region.y


async def test_footer_hides_keys_that_do_not_apply(data: tuple[str, str]) -> None:
    app = make_app(*data, form=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.check_action("raw_log", ()) is True
        await pilot.press("t")
        app.screen.query_one(FilterForm).query_one("#since", Input).value = "2026-11-20 11:59"
        app.screen.query_one("#since", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert labels(app) == []
        assert screen.check_action("raw_log", ()) is False


async def test_scrolling_near_the_end_loads_the_next_page(tmp_path: Path) -> None:
    from tests.tui_fixtures import base_lines

    source, cache_url = prepared_cache(tmp_path, base_lines() + new_message_lines(40))
    app = make_app(source, cache_url, page_size=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        assert tree.message_count == 10
        tree.scroll_end(animate=False)  # the mouse wheel, without moving the cursor
        await settle(app, pilot)
        assert tree.message_count == 20
        assert tree.cursor_line == 0


async def test_profile_queue_lifetime_sets_the_retry_deadline(data: tuple[str, str]) -> None:
    from tracktui.config import Profile

    deadlines = []
    for lifetime in (None, 1.0):
        app = make_app(*data)
        app.options.profiles = (Profile(name="mx", host_name="mx1", queue_lifetime_days=lifetime),)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("t")
            await settle(app, pilot)
            text = details(app)
            deadlines.append(text.split("Retrying: ", 1)[1].split("\n", 1)[0])
    assert deadlines[0] != deadlines[1], deadlines


def test_queue_lifetime_matches_the_log_host_full_or_short() -> None:
    from datetime import UTC

    from tracktui.config import Profile
    from tracktui.tui.options import AppOptions

    options = AppOptions(tz=UTC, profiles=(Profile(name="a", target="admin@mx1:2222", queue_lifetime_days=2),))
    assert options.queue_lifetime("mx1.example.com") == 2 * 86400
    assert options.queue_lifetime("MX1") == 2 * 86400
    assert options.queue_lifetime("mx2.example.com") is None


FILTER_JOURNEY = [
    "Nov 20 11:30:00 mx1 postfix/smtpd[100]: C1000000001: client=client.example.com[192.0.2.10]",
    "Nov 20 11:30:00 mx1 postfix/cleanup[101]: C1000000001: message-id=<journey@example.com>",
    "Nov 20 11:30:00 mx1 postfix/qmgr[102]: C1000000001: from=<alice@example.com>, size=900, nrcpt=1 (queue active)",
    "Nov 20 11:30:01 mx1 postfix/reinject/smtpd[104]: C2000000002: client=localhost[127.0.0.1]",
    "Nov 20 11:30:01 mx1 postfix/cleanup[101]: C2000000002: message-id=<journey@example.com>",
    "Nov 20 11:30:01 mx1 postfix/qmgr[102]: C2000000002: from=<alice@example.com>, size=1200, nrcpt=1 (queue active)",
    "Nov 20 11:30:01 mx1 postfix/scan/smtp[103]: C1000000001: to=<zoe@example.org>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 from "
    "MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as C2000000002)",
    "Nov 20 11:30:01 mx1 postfix/qmgr[102]: C1000000001: removed",
    "Nov 20 11:30:03 mx1 postfix/smtp[105]: C2000000002: to=<zoe@example.org>, relay=mx.example.org[203.0.113.8]:25,"
    " delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.org[203.0.113.8] said: 550 5.1.1 "
    "<zoe@example.org>: user unknown (in reply to RCPT TO command))",
    "Nov 20 11:30:03 mx1 postfix/qmgr[102]: C2000000002: removed",
]


async def test_a_content_filter_journey_is_one_recipient_with_its_hops_and_story(tmp_path: Path) -> None:
    from tracktui.tui.widgets.delivery_tree import HopData

    app = make_app(*prepared_cache(tmp_path, [*base_lines(), *FILTER_JOURNEY]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        index = next(i for i, label in enumerate(labels(app)) if "zoe@example.org" in label)
        tree.move_cursor(tree.root.children[index])
        await pilot.press("enter")
        await settle(app, pilot)
        message = tree.root.children[index]
        assert [str(child.label) for child in message.children] == [
            "✗ zoe@example.org  permanently rejected (2 hops)"]
        await pilot.press("down")
        await settle(app, pilot)
        text = details(app)
        assert ("Journey: Accepted from client.example.com[192.0.2.10] as C1000000001 on mx1 → handed to "
                "127.0.0.1[127.0.0.1]:10024 at 2026-11-20 11:30:01 → reinjected as C2000000002 → refused by "
                "mx.example.org[203.0.113.8]:25 at 2026-11-20 11:30:03") in text
        assert "Direction: outbound" in text
        assert "recipient's server says this address does not exist" in text
        await pilot.press("space")
        await settle(app, pilot)
        hops = [c for c in message.children[0].children if isinstance(c.data, HopData)]
        assert [h.data.hop.queue_id for h in hops] == ["C1000000001", "C2000000002"]
        assert str(hops[0].label).startswith("→ hop mx1 C1000000001 2026-11-20 11:30:01 127.0.0.1")
        # The reinjected copy's queue id, typed in the one search field, finds the journey.
        field = app.screen.query_one("#recipient", Input)
        field.value = "C2000000002"
        field.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(labels(app)) == 1 and "zoe@example.org" in labels(app)[0]


def _empty_note(app) -> str:  # type: ignore[no-untyped-def]
    from tracktui.tui.widgets.delivery_tree import PlaceholderData

    tree = app.screen.query_one(DeliveryTree)
    return " ".join(str(node.label) for node in tree.root.children if isinstance(node.data, PlaceholderData))


async def test_empty_results_explain_themselves(data: tuple[str, str]) -> None:
    from tracktui.tui.widgets.filter_form import FormValues

    # Delivered, but only for a recipient whose mail was refused: the other groups are named.
    app = make_app(*data, form=FormValues(status="delivered", recipient="dave@example.net"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert labels(app) == []
        note = _empty_note(app)
        assert "Delivered has none; Permanently rejected 1" in note and "All" not in note.split("has none")[1][:3]
    # A day with nothing: the cache's other days are counted.
    app = make_app(*data, form=FormValues(status="all", since="2026-11-19", until="2026-11-19"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert labels(app) == []
        assert "in the cache outside these dates" in _empty_note(app)
    # A bare word that is no address: the wildcard is suggested.
    app = make_app(*data, form=FormValues(status="all", recipient="bob"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "No exact match for bob: try *bob*." in _empty_note(app)


async def test_a_queue_id_searches_the_whole_window_whatever_the_dates(data: tuple[str, str]) -> None:
    from tracktui.tui.widgets.filter_form import FormValues

    app = make_app(*data, form=FormValues(status="all", since="2026-11-19", until="2026-11-19",
                                          recipient="A1000000001"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(labels(app)) == 1 and "Quarterly report" in labels(app)[0]


async def test_follow_keeps_syncing_until_f_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import tracktui.tui.screens.main as main_screen

    monkeypatch.setattr(main_screen, "FOLLOW_SECONDS", 0.2)
    source, cache_url = prepared_cache(tmp_path)
    app = make_app(source, cache_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        tree = screen.query_one(DeliveryTree)
        await pilot.press("down")
        before = tree.cursor_node
        await pilot.press("f")
        assert screen.following
        await settle(app, pilot)
        write_log(tmp_path / "mail.log", new_message_lines(2), append=True)  # logged while following
        for _ in range(100):
            await asyncio.sleep(0.05)
            await settle(app, pilot)
            if labels(app)[0].startswith("✓ 2026-11-20 11:50:01 - Fresh message 1"):
                break
        assert labels(app)[0].startswith("✓ 2026-11-20 11:50:01 - Fresh message 1")  # no key pressed: followed
        assert tree.cursor_node is before
        await pilot.press("f")
        assert not screen.following
        await settle(app, pilot)
        write_log(tmp_path / "mail.log", new_message_lines(1, start_minute=58, prefix="C3"), append=True)
        await asyncio.sleep(0.6)
        await settle(app, pilot)
        assert not any("11:58:00" in label for label in labels(app))  # stopped: nothing read any more


async def test_stats_view_shows_the_filters_numbers_and_who_blocks_us(tmp_path: Path) -> None:
    from tracktui.tui.screens.stats import StatsScreen

    blocked = [
        "Nov 20 11:40:00 mx1 postfix/smtpd[100]: D1000000001: client=client.example.com[192.0.2.10]",
        "Nov 20 11:40:00 mx1 postfix/qmgr[102]: D1000000001: from=<alice@example.com>, size=900, nrcpt=1 "
        "(queue active)",
        "Nov 20 11:40:01 mx1 postfix/smtp[103]: D1000000001: to=<zed@hotmail.com>, "
        "relay=hotmail-com.olc.protection.outlook.com[52.101.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, "
        "status=bounced (host hotmail-com.olc.protection.outlook.com[52.101.0.1] said: 550 5.7.1 Unfortunately, "
        "messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of "
        "their network is on our block list (AS3150). (in reply to RCPT TO command))",
        "Nov 20 11:40:01 mx1 postfix/qmgr[102]: D1000000001: removed",
    ]
    app = make_app(*prepared_cache(tmp_path, [*base_lines(), *blocked]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        assert isinstance(app.screen, StatsScreen)
        text = str(app.screen.query_one("#stats-body", Static).render())
        assert "11 deliveries in 10 messages" in text and "Delivered                    5   45.5%" in text
        assert "Fri 20 Nov" in text and "█" in text
        assert "hotmail.com" in text.split("Top recipient domains")[1]
        assert "Microsoft (Outlook.com / Microsoft 365): reputation" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
