"""The sync pipeline: parsing in a worker process writes exactly what inline parsing writes, and survives its death."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest

import tracktui.sources.base as source_base
import tracktui.sync as sync_module
from tracktui.cache import Cache
from tracktui.errors import SourceError
from tracktui.pipeline import ProcessStage
from tracktui.samples.postfix import busy_postfix_lines
from tracktui.sync import SyncProgress, SyncReport, sync_sources

START = 1_790_000_000.0
LINES = 24_000
BATCH = 1_000
"""Source batch threshold in these tests: each 1 MiB read (about 6,000 lines) becomes one batch, so a 4 MB
log makes four batches (four commits) instead of one."""
TABLES = ("hosts", "sources", "messages", "deliveries", "attempts", "raw_lines")


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_base, "BATCH_LINES", BATCH)


@pytest.fixture(scope="module")
def log_lines() -> list[str]:
    return list(busy_postfix_lines(LINES, seed=7, start=START, rfc3339=True))


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.utime(path, (START + 86400, START + 86400))
    return path


def dump(url: str, *, drop: tuple[str, ...] = ("updated", "rid", "source_id")) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ingest table, sorted, without the columns in ``drop``.

    By default that is the sync clock (``updated``), insertion order (``rid``) and the log's path
    (``source_id``), so caches filled in a different number of syncs, or from logs at different paths,
    compare on what they say about the mail.
    """
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for table in TABLES:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[1] not in drop]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            tables[table] = sorted(rows, key=repr)
        return tables
    finally:
        conn.close()


def message_lines(url: str) -> dict[int, str]:
    """Each message's log lines, whole (the ``raw_lines`` chunks follow batch boundaries, which differ by sync)."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        lines: dict[int, list[str]] = {}
        for key, text in conn.execute("SELECT message_key, text FROM raw_lines ORDER BY message_key, seq"):
            lines.setdefault(key, []).append(text)
        return {key: "\n".join(parts) for key, parts in lines.items()}
    finally:
        conn.close()


def run_sync(url: str, log: Path, *, pipeline: bool | None, now: float,
             progress: Callable[[SyncProgress], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> SyncReport:
    with Cache.open(url) as cache:
        return sync_sources(cache, [f"file:{log}"], mta="postfix", tz=UTC, now=now, pipeline=pipeline,
                            progress=progress, should_stop=should_stop)


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> list[ProcessStage]:
    """Every worker-process stage the sync starts."""
    started: list[ProcessStage] = []

    def recording(*args: Any, **kwargs: Any) -> ProcessStage:
        stage = ProcessStage(*args, **kwargs)
        started.append(stage)
        return stage

    monkeypatch.setattr(sync_module, "ProcessStage", recording)
    return started


def test_inline_and_process_write_identical_rows(
    tmp_path: Path, log_lines: list[str], stages: list[ProcessStage]
) -> None:
    log = write_log(tmp_path / "mail.log", log_lines)
    later = START + 20 * 86400  # every message still queued at the end is closed as stale: the finish path
    dumps = {}
    for mode in (False, True):
        url = f"sqlite:///{tmp_path / f'{mode}.sqlite3'}"
        report = run_sync(url, log, pipeline=mode, now=later)
        assert report.errors == []
        assert report.lines == LINES
        assert report.deliveries > 500
        assert report.results[0].mta == "postfix"
        dumps[mode] = dump(url, drop=("updated",))  # the very same rows, inserted in the same order
    inline, process = dumps[False], dumps[True]
    assert len(process["deliveries"]) > 500 and len(process["attempts"]) > len(process["deliveries"])
    assert len(process["raw_lines"]) > len(process["messages"]) // 2
    for table in TABLES:
        assert process[table] == inline[table], table
    assert len(stages) == 1 and not stages[0].running


def test_resuming_through_the_worker_equals_one_pass(tmp_path: Path, log_lines: list[str]) -> None:
    """Live messages restored into the worker finish exactly as if the log had been read in one go."""
    end = START + 86400
    whole = f"sqlite:///{tmp_path / 'whole.sqlite3'}"
    assert run_sync(whole, write_log(tmp_path / "whole.log", log_lines), pipeline=False, now=end).errors == []

    split = f"sqlite:///{tmp_path / 'split.sqlite3'}"
    log = write_log(tmp_path / "mail.log", log_lines[: LINES // 2])
    assert run_sync(split, log, pipeline=True, now=end).errors == []
    with Cache.open(split) as cache:
        assert cache.load_live(f"file:{log}"), "the first half must leave messages in the queue"
    with log.open("a", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in log_lines[LINES // 2:]))
    second = run_sync(split, log, pipeline=True, now=end)
    assert second.errors == [] and second.lines == LINES - LINES // 2

    a, b = dump(whole), dump(split)
    for table in ("messages", "deliveries", "attempts"):
        assert b[table] == a[table], table
    assert message_lines(split) == message_lines(whole)


def test_stale_messages_closed_without_new_lines_keep_the_cursor(tmp_path: Path, log_lines: list[str]) -> None:
    log = write_log(tmp_path / "mail.log", log_lines)
    url = f"sqlite:///{tmp_path / 'stale.sqlite3'}"
    assert run_sync(url, log, pipeline=None, now=START + 86400).errors == []
    with Cache.open(url) as cache:
        cursor = cache.source_state(f"file:{log}")
        assert cursor and cache.load_live(f"file:{log}")
    later = run_sync(url, log, pipeline=None, now=START + 20 * 86400)  # no new line; the queue went silent
    assert later.errors == [] and later.lines == 0
    with Cache.open(url) as cache:
        assert cache.load_live(f"file:{log}") == []
        assert cache.source_state(f"file:{log}") == cursor


def test_killed_worker_is_one_clean_error_and_the_next_sync_completes(
    tmp_path: Path, log_lines: list[str], stages: list[ProcessStage]
) -> None:
    log = write_log(tmp_path / "mail.log", log_lines)
    end = START + 86400
    clean = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    assert run_sync(clean, log, pipeline=False, now=end).errors == []

    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    killed: list[int] = []

    def kill_after_first_commit(event: SyncProgress) -> None:
        # Batches 1-3 are in the worker's hands now; the fourth is not read yet, so it can never be parsed.
        if event.phase == "reading" and event.lines > 0 and not killed:
            (stage,) = stages
            os.kill(stage.pid, signal.SIGKILL)
            killed.append(event.lines)

    report = run_sync(url, log, pipeline=True, now=end, progress=kill_after_first_commit)
    assert killed
    (error,) = report.errors
    assert isinstance(error, SourceError)
    text = str(error)
    assert "\n" not in text and "parsing process was killed (signal 9)" in text and str(log) in text
    assert 0 < report.lines < LINES
    assert not stages[0].running
    with Cache.open(url) as cache:  # the cursor stands at the end of the last complete batch
        assert cache.source_state(f"file:{log}") is not None

    again = run_sync(url, log, pipeline=True, now=end)
    assert again.errors == []
    assert report.lines + again.lines == LINES  # nothing read twice, nothing skipped
    a, b = dump(clean), dump(url)
    for table in ("messages", "deliveries", "attempts", "hosts"):
        assert b[table] == a[table], table
    assert message_lines(url) == message_lines(clean)


def test_should_stop_ends_the_worker_and_keeps_complete_batches(
    tmp_path: Path, log_lines: list[str], stages: list[ProcessStage]
) -> None:
    log = write_log(tmp_path / "mail.log", log_lines)
    end = START + 86400
    url = f"sqlite:///{tmp_path / 'stopped.sqlite3'}"
    seen: list[int] = []

    def progress(event: SyncProgress) -> None:
        if event.phase == "reading" and event.label:
            seen.append(event.lines)

    report = run_sync(url, log, pipeline=True, now=end, progress=progress, should_stop=lambda: bool(seen))
    assert report.errors == []
    assert 0 < report.lines < LINES
    assert len(stages) == 1 and not stages[0].running
    rest = run_sync(url, log, pipeline=None, now=end)
    assert report.lines + rest.lines == LINES
    clean = f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    run_sync(clean, log, pipeline=False, now=end)
    assert dump(url)["deliveries"] == dump(clean)["deliveries"]
    assert message_lines(url) == message_lines(clean)


@pytest.mark.parametrize(("threshold", "expect_process"), [(LINES + 1, False), (LINES // 3, True)])
def test_auto_rule_uses_a_process_only_for_large_reads(
    tmp_path: Path, log_lines: list[str], monkeypatch: pytest.MonkeyPatch, stages: list[ProcessStage],
    threshold: int, expect_process: bool,
) -> None:
    monkeypatch.setattr(sync_module, "PROCESS_MIN_LINES", threshold)
    url = f"sqlite:///{tmp_path / 'auto.sqlite3'}"
    report = run_sync(url, write_log(tmp_path / "mail.log", log_lines), pipeline=None, now=START + 86400)
    assert report.errors == [] and report.lines == LINES
    assert bool(stages) is expect_process


class BrokenZone(tzinfo):
    """A time zone that fails on use: makes the worker's parser raise, to test how that is reported."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise ValueError("zone data unreadable\nsecond line")

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "BROKEN"


def test_a_failure_inside_the_worker_is_one_line(tmp_path: Path) -> None:
    log = write_log(tmp_path / "mail.log", list(busy_postfix_lines(2_000, seed=3, start=START)))
    url = f"sqlite:///{tmp_path / 'broken.sqlite3'}"
    with Cache.open(url) as cache:
        report = sync_sources(cache, [f"file:{log}"], mta="postfix", tz=BrokenZone(), now=START, pipeline=True)
    (error,) = report.errors
    assert isinstance(error, SourceError)
    assert str(error) == f"file:{log}: parsing failed: ValueError: zone data unreadable"
    assert report.lines == 0


def test_unchanged_deliveries_of_live_messages_are_not_sent_again(log_lines: list[str]) -> None:
    """A delivery whose row did not change since the last batch is left out; nothing else is."""
    from tracktui.pipeline import RowBuilder
    from tracktui.rows import DELIVERY_COLUMNS, build_rows
    from tracktui.sources.base import decode_lines

    def batches() -> list[list[str]]:
        return [log_lines[i : i + 2000] for i in range(0, len(log_lines), 2000)]

    remembering = RowBuilder("s", mta="postfix", tz=UTC, default_host="", live=[])
    forgetting = RowBuilder("s", mta="postfix", tz=UTC, default_host="", live=[])
    forgetting._sent = None  # type: ignore[assignment]  # the plain build_rows: every touched delivery
    latest_sent: dict[int, tuple[Any, ...]] = {}
    latest_all: dict[int, tuple[Any, ...]] = {}
    left_out = 0
    for lines in batches():
        data = "\n".join(lines).encode()
        sent = remembering.process("f", START, decode_lines(data, len(lines))).rows[1]
        every = forgetting.process("f", START, lines).rows[1]
        assert {row[0] for row in sent} <= {row[0] for row in every}
        for row in every:
            if row[0] not in {r[0] for r in sent}:
                assert latest_all[row[0]] == row, "a changed delivery was left out"
                left_out += 1
            latest_all[row[0]] = row
        latest_sent.update((row[0], row) for row in sent)
    assert latest_sent == latest_all  # the cache ends up with the same rows
    assert left_out > 100
    assert len(DELIVERY_COLUMNS) == len(next(iter(latest_all.values())))
    assert not remembering._sent or all(key in latest_all for key in remembering._sent)
    assert build_rows("s", []) == ([], [], [], [])
