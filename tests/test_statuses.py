"""Every status has its words and looks, once (tracktui/statuses.py), and every view uses them."""

from __future__ import annotations

from tracktui.model import Status
from tracktui.output import STATUS_STYLES
from tracktui.report.layout import STATUS_COLOURS
from tracktui.report.words import STATUS_LABELS
from tracktui.statuses import STATUS_LOOKS
from tracktui.tui.render import SEVERITY, STATUS_MARKS, STATUS_WORDS


def test_every_status_has_one_look_and_every_view_knows_it() -> None:
    assert set(STATUS_LOOKS) == set(Status)
    for table in (STATUS_STYLES, STATUS_COLOURS, STATUS_LABELS, SEVERITY, STATUS_MARKS, STATUS_WORDS):
        assert set(table) == set(Status)
    assert len({look.mark for look in STATUS_LOOKS.values()}) == len(Status)  # told apart at a glance
    assert sorted(SEVERITY, key=SEVERITY.__getitem__)[0] is Status.DELIVERED
