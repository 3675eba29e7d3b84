"""Sample log generators: deterministic, streaming, the right mix, readable by the real parsers; the demo set."""

from __future__ import annotations

import gzip
import itertools
import os
import re
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracktui.correlate import Correlator
from tracktui.model import Status
from tracktui.parsers.exim import EximParser
from tracktui.parsers.postfix import PostfixParser
from tracktui.parsers.syslog import EnvelopeParser
from tracktui.samples import (
    DEMO_DAYS,
    HOSTILE_SUBJECTS,
    UNICODE_SUBJECTS,
    busy_postfix_lines,
    exim_lines,
    write_demo_logs,
)

START = 1_795_000_000.0  # 2026-11-18 08:26:40 UTC
NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC).timestamp()
DAY = 86400.0
STATUS_RE = re.compile(r" postfix/smtp\[\d+\]: [0-9A-F]+: to=<[^>]*>.*?, status=(\w+) ")
EXIM_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}"


def test_generators_are_lazy_streams() -> None:
    lines = busy_postfix_lines(10**12, seed=1, start=START)
    assert isinstance(lines, Iterator)
    began = time.perf_counter()
    first = list(itertools.islice(lines, 100))
    assert len(first) == 100
    assert time.perf_counter() - began < 2.0
    assert isinstance(exim_lines(10**12, seed=1, start=START), Iterator)


def test_memory_stays_flat() -> None:
    """Pending retries grow with the simulated queue, not with the lines handed out (a list costs ~200 B a line)."""

    def peak(count: int) -> int:
        tracemalloc.start()
        for _ in busy_postfix_lines(count, seed=5, start=START, rate_per_s=20):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(15_000), peak(60_000)
    assert (large - small) / 45_000 < 8, (small, large)
    assert large < 2_000_000


def test_deterministic_per_seed() -> None:
    one = list(busy_postfix_lines(3000, seed=42, start=START))
    assert one == list(busy_postfix_lines(3000, seed=42, start=START))
    assert one != list(busy_postfix_lines(3000, seed=43, start=START))
    assert len(one) == 3000
    assert list(exim_lines(2000, seed=4, start=START)) == list(exim_lines(2000, seed=4, start=START))


@pytest.fixture(scope="module")
def busy() -> list[str]:
    """A slow enough server (20 lines/s) that deferred recipients get retried inside the sample."""
    return list(busy_postfix_lines(120_000, seed=3, start=START, rate_per_s=20))


def test_status_mix(busy: list[str]) -> None:
    statuses = Counter(match.group(1) for line in busy if (match := STATUS_RE.search(line)))
    total = sum(statuses.values())
    assert total > 15_000
    share = {name: count / total for name, count in statuses.items()}
    assert share["sent"] == pytest.approx(0.85, abs=0.04)
    assert share["deferred"] == pytest.approx(0.10, abs=0.04)
    assert share["bounced"] == pytest.approx(0.05, abs=0.025)


def test_lines_in_time_order_and_realistic(busy: list[str]) -> None:
    envelope = EnvelopeParser(tz=UTC, reference_time=START + 10 * DAY)
    times = [envelope.split(line).time for line in busy[:20_000]]  # type: ignore[union-attr]
    assert times == sorted(times)
    text = "\n".join(busy)
    for needle in ("NOQUEUE: reject: RCPT from", "sender non-delivery notification", "info: header Subject: ",
                   "(queue active)", ": removed", "dovecot[", "connect from", "blocked using zen.spamhaus.org",
                   "Connection refused", "Greylisted, see http://postgrey", "over quota", "User unknown"):
        assert needle in text, needle
    for address in re.findall(r"\[(\d+\.\d+\.\d+\.\d+)\]", text):
        assert address.startswith(("192.0.2.", "198.51.100.", "203.0.113.", "10.", "127.")), address


def test_many_messages_in_flight(busy: list[str]) -> None:
    window = busy[5000:5400]
    ids = {match.group(1) for line in window if (match := re.search(r": ([0-9A-F]{8,}): ", line))}
    assert len(ids) > 20


def test_queue_ids_reused_but_never_while_in_flight(busy: list[str]) -> None:
    open_ids: set[str] = set()
    seen: Counter[str] = Counter()
    for line in busy:
        if match := re.search(r": ([0-9A-F]+): message-id=", line):
            qid = match.group(1)
            assert qid not in open_ids, qid
            open_ids.add(qid)
            seen[qid] += 1
        elif match := re.search(r": ([0-9A-F]+): removed$", line):
            open_ids.discard(match.group(1))
    assert max(seen.values()) >= 2


def test_real_parsers_read_everything(busy: list[str]) -> None:
    parser = PostfixParser(tz=UTC, reference_time=START + 10 * DAY)
    correlator = Correlator()
    for line in busy:
        event = parser.parse(line)
        if event is not None:
            correlator.feed(event)
    assert parser.stats.malformed == 0, parser.stats.malformed_examples
    statuses = Counter(d.status for m in correlator.drain() for d in m.deliveries.values())
    assert {Status.DELIVERED, Status.DEFERRED, Status.BOUNCED} <= set(statuses)


def test_rfc3339_stamps() -> None:
    lines = list(busy_postfix_lines(50, seed=1, start=START, rfc3339=True))
    assert all(re.match(r"2026-11-18T\d\d:\d\d:\d\d\.\d{6}\+00:00 mx1 ", line) for line in lines)


def test_exim_lines() -> None:
    lines = list(exim_lines(30_000, seed=2, start=START, rate_per_s=5))
    marks = Counter(match.group(1) for line in lines if (match := re.match(rf"\S+ \S+ {EXIM_ID} (\S+)", line)))
    for mark in ("<=", "=>", "->", "==", "**", "Completed"):
        assert marks[mark] > 0, mark
    text = "\n".join(lines)
    assert re.search(rf"{EXIM_ID} <= <> R={EXIM_ID} U=Debian-exim P=local", text)
    assert "rejected RCPT" in text
    assert re.search(r"C=\"250 ", text)
    parser = EximParser(tz=UTC, reference_time=START + 10 * DAY, default_host="relay.example.org")
    events = [parser.parse(line) for line in lines]
    assert parser.stats.malformed == 0, parser.stats.malformed_examples
    assert {e.host for e in events if e is not None} == {"relay.example.org"}


# -- the demo data set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    directory = tmp_path_factory.mktemp("demo")
    return directory, write_demo_logs(directory, now=NOW, seed=7, tz=UTC)


def _read(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def _files(directory: Path, base: str) -> list[Path]:
    """Rotated files, oldest first."""
    def age(path: Path) -> int:
        parts = path.name.split(".")
        number = [p for p in parts if p.isdigit()]
        return int(number[0]) if number else 0

    return sorted(directory.glob(base + "*"), key=age, reverse=True)


def test_demo_sources(demo: tuple[Path, list[str]]) -> None:
    directory, sources = demo
    assert sources == [f"file:{directory}/mx1.example.com/mail.log*", f"file:{directory}/relay.example.org/mainlog*"]


def test_demo_rotation_like_debian(demo: tuple[Path, list[str]]) -> None:
    directory, _ = demo
    for host, base, prefix_re in (("mx1.example.com", "mail.log", r"\w{3} [ \d]\d \d\d:\d\d:\d\d"),
                                  ("relay.example.org", "mainlog", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")):
        files = _files(directory / host, base)
        names = {path.name for path in files}
        assert {base, f"{base}.1", f"{base}.2.gz"} <= names
        assert all(name in (base, f"{base}.1") or name.endswith(".gz") for name in names)
        previous_last = 0.0
        for path in files:
            lines = _read(path)
            assert lines, path
            first, last = _stamp(lines[0], prefix_re), _stamp(lines[-1], prefix_re)
            assert previous_last <= first <= last
            assert os.stat(path).st_mtime == pytest.approx(last, abs=1.0)
            previous_last = last
        oldest = _stamp(_read(files[0])[0], prefix_re)
        assert NOW - DEMO_DAYS * DAY <= oldest < NOW - (DEMO_DAYS - 1) * DAY
        assert NOW - 3600 < previous_last <= NOW


def _stamp(line: str, prefix_re: str) -> float:
    match = re.match(prefix_re, line)
    assert match, line
    text = match.group(0)
    if text[0].isdigit():
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    moment = datetime.strptime(f"2026 {text}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
    return moment.timestamp()


def _all_text(directory: Path, base: str) -> str:
    return "\n".join(line for path in _files(directory, base) for line in _read(path))


def test_demo_covers_every_outcome_and_subject(demo: tuple[Path, list[str]]) -> None:
    directory, _ = demo
    postfix = _all_text(directory / "mx1.example.com", "mail.log")
    exim = _all_text(directory / "relay.example.org", "mainlog")
    for needle in ("status=sent", "status=deferred", "status=bounced", "status=expired, returned to sender",
                   "NOQUEUE: reject: RCPT", "sender non-delivery notification", "sender delay notification",
                   "blocked using zen.spamhaus.org", "User unknown", "Mailbox full", "DMARC", "size exceeds",
                   "Host or domain name not found", "postscreen"):
        assert needle in postfix, needle
    for needle in (" => ", " -> ", " == ", " ** ", "retry timeout exceeded", " <= <> R=", "rejected RCPT",
                   "Unrouteable address"):
        assert needle in exim, needle
    for subject in (*HOSTILE_SUBJECTS, *UNICODE_SUBJECTS):
        assert f"header Subject: {subject} from " in postfix, subject[:40]
    assert "\x1b[31m" in postfix and "T=\"\\033[31mred alert" in exim
    assert any(len(line) > 10_000 for line in postfix.splitlines())


def test_demo_volume_and_today(demo: tuple[Path, list[str]]) -> None:
    directory, _ = demo
    postfix = _all_text(directory / "mx1.example.com", "mail.log").splitlines()
    exim = _all_text(directory / "relay.example.org", "mainlog").splitlines()
    per_day: Counter[str] = Counter()
    for line in postfix:
        if "message-id=" in line:
            per_day[line[:6]] += 1
    for line in exim:
        if re.match(rf"\S+ \S+ {EXIM_ID} <= ", line):
            moment = datetime.strptime(line[:10], "%Y-%m-%d")
            per_day[f"{moment:%b} {moment.day:>2}"] += 1
    assert len(per_day) >= DEMO_DAYS
    assert max(per_day.values()) <= 320
    assert sum(per_day.values()) > 60 * 80
    today = f"{datetime.fromtimestamp(NOW, UTC):%b} {datetime.fromtimestamp(NOW, UTC).day:>2}"
    assert sum(1 for line in postfix if line.startswith(today) and "status=sent" in line) > 20


def test_demo_through_the_real_pipeline(demo: tuple[Path, list[str]]) -> None:
    directory, _ = demo
    statuses: Counter[Status] = Counter()
    live_deferred = 0
    for parser, base in ((PostfixParser(tz=UTC, reference_time=NOW), directory / "mx1.example.com" / "mail.log"),
                         (EximParser(tz=UTC, reference_time=NOW, default_host="relay.example.org"),
                          directory / "relay.example.org" / "mainlog")):
        correlator = Correlator()
        for path in _files(base.parent, base.name):
            for line in _read(path):
                event = parser.parse(line)
                if event is not None:
                    correlator.feed(event)
        assert parser.stats.malformed == 0, parser.stats.malformed_examples
        for message in correlator.drain():
            for delivery in message.deliveries.values():
                statuses[delivery.status] += 1
                if delivery.status is Status.DEFERRED and message.live:
                    live_deferred += 1
    # in-transit is a journey's status (the cache gives it); deleted needs an administrator (tests/test_deleted.py)
    assert set(statuses) == set(Status) - {Status.IN_TRANSIT, Status.DELETED}
    assert live_deferred > 0


def test_demo_is_deterministic(tmp_path: Path, demo: tuple[Path, list[str]]) -> None:
    directory, _ = demo
    write_demo_logs(tmp_path, now=NOW, seed=7, tz=UTC)
    for relative in ("mx1.example.com/mail.log", "relay.example.org/mainlog.1"):
        assert (tmp_path / relative).read_bytes() == (directory / relative).read_bytes()
