"""The delivery story's pure parts: grouping repeated attempts, the section texts, the footer's fitting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from tracktui.model import AttemptResult, AttemptRow, DeliveryRow, Status
from tracktui.tui.storytext import AttemptRun, attempts_text, group_attempts, head_text, raw_line_text, run_line
from tracktui.tui.widgets.footer import fit

T0 = 1_795_000_000.0
NOT_FOUND = "Host or domain name not found"


def attempt(minutes: float, reply: str = NOT_FOUND, *, relay: str | None = "none",
            result: AttemptResult = AttemptResult.DEFERRED) -> AttemptRow:
    return AttemptRow(T0 + minutes * 60, result, relay, 1.0, None, "4.4.3", reply)


def test_consecutive_attempts_with_the_same_reply_and_relay_collapse() -> None:
    attempts = [attempt(m) for m in range(87)] + [attempt(90, "Connection timed out")] + [attempt(95)]
    runs = group_attempts(attempts)
    assert [(run.count, run.reply) for run in runs] == [(87, NOT_FOUND), (1, "Connection timed out"), (1, NOT_FOUND)]
    assert (runs[0].first, runs[0].last) == (T0, T0 + 86 * 60)


def test_a_different_relay_or_result_starts_a_new_run() -> None:
    runs = group_attempts([attempt(0), attempt(1, relay="mx2[192.0.2.2]:25"), attempt(2, relay="mx2[192.0.2.2]:25"),
                           attempt(3, relay="mx2[192.0.2.2]:25", result=AttemptResult.SENT)])
    assert [(run.relay, run.result, run.count) for run in runs] == [
        ("none", AttemptResult.DEFERRED, 1), ("mx2[192.0.2.2]:25", AttemptResult.DEFERRED, 2),
        ("mx2[192.0.2.2]:25", AttemptResult.SENT, 1)]
    assert group_attempts([]) == []


def test_run_lines_read_like_the_issue() -> None:
    run = AttemptRun(AttemptResult.DEFERRED, "none", NOT_FOUND, T0, T0 + 86400 - 960, 87)
    assert str(run_line(run, UTC)) == f"⟳ 87× {NOT_FOUND}, 18 Nov 11:06 → 19 Nov 10:50  (none)"
    one = replace(run, count=1, last=T0, relay=None, reply="[bold]x[/bold] \x1b[31m")
    assert str(run_line(one, UTC)) == "⟳ [bold]x[/bold] , 18 Nov 11:06  (no relay)"
    assert str(attempts_text([], tz=UTC)) == "Attempts\nNo attempts recorded."


def row(**changes: object) -> DeliveryRow:
    base = DeliveryRow(1, 1, T0, T0 - 3600, "mx1", "postfix", "Q1", "<m@x>", "a@x", "b@y", None, "s", 10,
                       Status.DEFERRED, 3, "none", None, None, "4.4.1", "connect to mx.y[192.0.2.1]:25: Connection "
                       "timed out")
    return replace(base, **changes)


def test_head_says_why_what_to_do_and_until_when() -> None:
    text = str(head_text(row(final_recipient="c@z"), tz=UTC, now=T0))
    assert text.startswith("⟳ b@y → c@z  temporarily rejected, will retry")
    assert "Why: " in text and "What to do: " in text and "Retrying: " in text
    assert "Retrying" not in str(head_text(row(refused_here=True), tz=UTC, now=T0))
    assert "What to do" not in str(head_text(row(status=Status.DELIVERED, dsn="2.0.0"), tz=UTC, now=T0))


def test_raw_line_highlights_matches_in_any_case_and_keeps_markup_literal() -> None:
    text = raw_line_text("x [@click=app.quit] Timed out", "timed OUT")
    assert text.plain == "x [@click=app.quit] Timed out"
    assert [(span.start, span.end) for span in text.spans] == [(20, 29)]
    assert raw_line_text("a.b", ".").plain == "a.b" and len(raw_line_text("ab", ".").spans) == 0


def test_footer_keeps_low_ranks_first_and_fills_the_room_left() -> None:
    keys = [(1, 10), (2, 9), (3, 13), (2, 9), (1, 8)]
    assert fit(keys, 80) == {0, 1, 2, 3, 4}
    assert fit(keys, 36) == {0, 1, 3, 4}
    assert fit(keys, 30) == {0, 1, 4}
    assert fit(keys, 5) == set()
