"""Bounce and delay notices our server sends back are shown with the message they report on.

They are not listed as unrelated mail from ``<>`` unless asked for (``--from '<>'``
or ``Filter.include_notices``); ``Cache.notices_for`` finds them from the original.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC
from pathlib import Path

from tests.tui_fixtures import CLOCK, make_app, settle, write_log
from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, Filter, NoticeKind, Status
from tracktui.sync import sync_sources
from tracktui.tui.widgets.delivery_tree import DeliveryTree, MessageData

P = "Nov 20 {t} mx1 postfix/{d}: "


def bounced_with_notice() -> list[str]:
    """A real Postfix sequence: a 5.1.1 bounce, then the non-delivery notice to the sender."""
    return [
        P.format(t="10:00:00", d="smtpd[1]") + "AAA111: client=client.example.com[192.0.2.10]",
        P.format(t="10:00:00", d="cleanup[2]") + "AAA111: message-id=<orig@example.com>",
        P.format(t="10:00:00", d="qmgr[3]") + "AAA111: from=<alice@example.com>, size=900, nrcpt=1 (queue active)",
        P.format(t="10:00:01", d="smtp[4]") + "AAA111: to=<nobody@example.net>, relay=mx.example.net[203.0.113.9]:25,"
        " delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[203.0.113.9] said: "
        "550 5.1.1 <nobody@example.net>: user unknown (in reply to RCPT TO command))",
        P.format(t="10:00:01", d="cleanup[2]") + "BBB222: message-id=<notice@mx1.example.com>",
        P.format(t="10:00:01", d="bounce[5]") + "AAA111: sender non-delivery notification: BBB222",
        P.format(t="10:00:01", d="qmgr[3]") + "BBB222: from=<>, size=2900, nrcpt=1 (queue active)",
        P.format(t="10:00:01", d="qmgr[3]") + "AAA111: removed",
        P.format(t="10:00:02", d="local[6]") + "BBB222: to=<alice@example.com>, relay=local, delay=0.1, "
        "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
        P.format(t="10:00:02", d="qmgr[3]") + "BBB222: removed",
    ]


def sync(tmp_path: Path, cache_url: str) -> str:
    source = write_log(tmp_path / "mail.log", bounced_with_notice())
    with Cache.open(cache_url) as cache:
        report = sync_sources(cache, [source], mta="postfix", tz=UTC, now=CLOCK)
    assert not report.errors
    return source


def test_notices_are_hidden_from_listings_and_found_from_the_original(tmp_path: Path, cache_url: str) -> None:
    sync(tmp_path, cache_url)
    everything = Filter(statuses=STATUS_GROUPS["all"])
    with Cache.open(cache_url) as cache:
        listed = cache.search(everything).rows
        assert [row.recipient for row in listed] == ["nobody@example.net"]
        assert cache.count_by_status(everything)[Status.DELIVERED] == 0
        (original,) = listed
        (notice,) = cache.notices_for(original.message_key)
        assert notice.recipient == "alice@example.com"
        assert notice.notice_kind is NoticeKind.NON_DELIVERY
        assert notice.status is Status.DELIVERED
        with_notices = cache.search(dataclasses.replace(everything, include_notices=True)).rows
        assert {row.recipient for row in with_notices} == {"nobody@example.net", "alice@example.com"}
        null_sender = cache.search(dataclasses.replace(everything, sender="<>")).rows
        assert [row.recipient for row in null_sender] == ["alice@example.com"]
        other_user = Filter(statuses=STATUS_GROUPS["all"], bound_sender="mallory@example.com")
        assert cache.notices_for(original.message_key, other_user) == []
        owner = Filter(statuses=STATUS_GROUPS["all"], bound_sender="alice@example.com")
        assert [row.recipient for row in cache.notices_for(original.message_key, owner)] == ["alice@example.com"]


async def test_expanding_a_bounced_message_shows_the_notice_sent_back(tmp_path: Path) -> None:
    cache_url = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    source = sync(tmp_path, cache_url)
    app = make_app(source, cache_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        tree = app.screen.query_one(DeliveryTree)
        messages = [node for node in tree.root.children if isinstance(node.data, MessageData)]
        assert len(messages) == 1, [str(node.label) for node in messages]
        tree.move_cursor(messages[0])
        await pilot.press("enter")
        await settle(app, pilot)
        children = [str(child.label) for child in messages[0].children]
        assert children[0].startswith("✗ nobody@example.net")
        assert children[1].startswith("↩ non-delivery notice to alice@example.com  delivered")


def failed_notice_logged_before_bounce() -> list[str]:
    """Our notice itself refused, and (as real Postfix does for a quick notice, see
    tests/fixtures/journeys/exim-postfix.log) delivered and removed before bounce names it."""
    lines = bounced_with_notice()
    notice = [line for line in lines if "BBB222" in line and "bounce[" not in line]
    link = next(line for line in lines if "bounce[" in line)
    rest = [line for line in lines if line not in notice and line != link]
    notice[-2] = (P.format(t="10:00:02", d="smtp[7]") + "BBB222: to=<alice@remote.example>, "
                  "relay=mx.remote.example[198.51.100.4]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=5.1.1, status=bounced "
                  "(host mx.remote.example[198.51.100.4] said: 550 5.1.1 <alice@remote.example>: no such user "
                  "(in reply to RCPT TO command))")
    return [*rest[:-1], *notice, link, rest[-1]]


def test_a_notice_that_itself_fails_is_kept_with_the_original(tmp_path: Path, cache_url: str) -> None:
    source = write_log(tmp_path / "mail.log", failed_notice_logged_before_bounce())
    with Cache.open(cache_url) as cache:
        assert not sync_sources(cache, [source], mta="postfix", tz=UTC, now=CLOCK).errors
        everything = Filter(statuses=STATUS_GROUPS["all"])
        (original,) = cache.search(everything).rows
        (notice,) = cache.notices_for(original.message_key)
        assert (notice.recipient, notice.status, notice.dsn) == ("alice@remote.example", Status.BOUNCED, "5.1.1")
        null_sender = cache.search(dataclasses.replace(everything, sender="<>")).rows
        assert [(row.recipient, row.status) for row in null_sender] == [("alice@remote.example", Status.BOUNCED)]
