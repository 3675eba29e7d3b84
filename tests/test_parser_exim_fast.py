"""Exim parser fast paths: the one-regex layouts read exactly what the general field reader reads."""

from __future__ import annotations

import itertools
import re
from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracktui.parsers import exim
from tracktui.parsers.exim import EximParser
from tracktui.parsers.exim_fields import ARRIVAL_RE, DELIVERY_RE, FAILURE_FIELDS_RE, fields, unescape
from tracktui.samples import exim_lines

START = 1_795_000_000.0
NEVER = re.compile(r"(?!)")

VALUES = (
    "mx.example [192.0.2.1]", "mx.example (helo) [192.0.2.1]:25", "(helo) [192.0.2.7]:4000", "[192.0.2.1]",
    '"250 2.0.0 Ok: queued"', '"550 \\"no\\" thanks"', '"unterminated', '"a" "b"', "x\"y", "", "0s", "1d2h",
    "<a@b>", "<>", "remote_smtp", "TLS1.3:TLS_AES_256_GCM_SHA384:256", "a=b", "x\ty", "x\u00a0y", "1\u0663",
    "q (p)", "q [ip]:", "H=evil", '" C=\\"x\\" "',
)  # fmt: skip
USUAL = {
    "H": ("mx.example [192.0.2.1]", "mx.example (helo) [192.0.2.1]:25", "(helo) [192.0.2.7]:4000", "192.0.2.1"),
    "C": ('"250 2.0.0 Ok: queued as X"', '"250 ok"'),
    "T": ('"Invoice 123"', '"Grüße"', "remote_smtp"),
}
PLAIN = ("0s", "dnslookup", "1234", "<a@b>", "<>", "TLS1.3:TLS_AES_256_GCM_SHA384:256")
DELIVERY_ORDER = ("F", "P", "R", "T", "S", "H", "X", "CV", "C", "QT", "DT")
ARRIVAL_ORDER = ("R", "U", "P", "H", "X", "A", "S", "id", "T")
EXTRAS = ("for a@b", "for T=x@y", "K", "(parent)", "<orig@x>", "  ", '"', "\\", "H=x", 'C="y"', "DT=1s")


@st.composite
def tails(draw: st.DrawFn, order: tuple[str, ...]) -> str:
    """Fields in Exim's order with usual values, sometimes odd ones, sometimes one stray token."""
    parts = []
    for key in order:
        if draw(st.booleans()):
            values = VALUES if draw(st.integers(0, 4)) == 0 else USUAL.get(key, PLAIN)
            parts.append(f"{key}={draw(st.sampled_from(values))}")
    if draw(st.booleans()):
        stray = draw(st.one_of(st.sampled_from(EXTRAS), st.text(max_size=5)))
        parts.insert(draw(st.integers(0, len(parts))), stray)
    return " ".join(parts)


@settings(max_examples=400, deadline=None)
@given(tails(DELIVERY_ORDER))
def test_failure_fields_layout_agrees_with_general_reader(tail: str) -> None:
    match = FAILURE_FIELDS_RE.match(" " + tail)
    if match is None:
        return
    found = fields(tail)
    host, confirmation, queued, delivered = match.groups()
    assert host == found.get("H")
    assert confirmation == (unescape(found["C"]) if "C" in found else None)
    assert (queued, delivered) == (found.get("QT"), found.get("DT"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(("bob@example.org", "x", "a=b@c", "\u00e9@x")), tails(DELIVERY_ORDER))
def test_delivery_layout_agrees_with_general_reader(address: str, tail: str) -> None:
    text = f"{address} {tail}" if tail else address
    match = DELIVERY_RE.match(text)
    if match is None:
        return
    first, _, rest = text.partition(" ")
    found = fields(rest)
    assert match.group(1) == first
    assert match.group(2) == found.get("H")
    assert match.group(3) == (unescape(found["C"]) if "C" in found else None)
    assert match.group(4, 5) == (found.get("QT"), found.get("DT"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(("alice@example.org", "<>", "a=b@c")), tails(ARRIVAL_ORDER))
def test_arrival_layout_agrees_with_general_reader(sender: str, tail: str) -> None:
    text = f"{sender} {tail}" if tail else sender
    match = ARRIVAL_RE.match(text)
    if match is None:
        return
    first, _, rest = text.partition(" ")
    found = fields(rest)
    assert match.group(1) == first
    assert match.group(2, 3, 4) == (found.get("R"), found.get("H"), found.get("S"))
    assert match.group(5) == found.get("id")
    assert match.group(6) == (unescape(found["T"]) if "T" in found else None)


def test_usual_layouts_take_the_fast_path() -> None:
    """The regexes must keep matching what a busy Exim writes, or the speed-up silently disappears."""
    lines = list(exim_lines(3000, seed=4, start=START))
    deliveries = [line.split(" ", 4)[4] for line in lines if line[37:40] == "=> "]
    arrivals = [line.split(" ", 4)[4] for line in lines if line[37:40] == "<= "]
    assert len(deliveries) > 300 and len(arrivals) > 300
    assert sum(DELIVERY_RE.match(text) is not None for text in deliveries) >= 0.95 * len(deliveries)
    assert sum(ARRIVAL_RE.match(text) is not None for text in arrivals) >= 0.95 * len(arrivals)


def test_fast_path_gives_the_events_of_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = list(itertools.chain(exim_lines(4000, seed=9, start=START), exim_lines(500, seed=2, start=START)))
    fast = EximParser(tz=UTC, reference_time=START + 86400, default_host="relay")
    fast_events = [fast.parse(line) for line in lines]
    for name in ("ARRIVAL_RE", "DELIVERY_RE", "FAILURE_FIELDS_RE"):
        monkeypatch.setattr(exim, name, NEVER)
    general = EximParser(tz=UTC, reference_time=START + 86400, default_host="relay")
    general_events = [general.parse(line) for line in lines]
    assert sum(event is not None for event in fast_events) > 2000
    assert fast_events == general_events
    assert fast.stats == general.stats
