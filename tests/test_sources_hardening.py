"""Local file sources under hostile conditions: rewritten under the cursor, damaged ``.gz``, not a file."""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tracktui.cache import Cache
from tracktui.errors import SourceError
from tracktui.model import STATUS_GROUPS, Filter
from tracktui.samples import busy_postfix_lines
from tracktui.sources import LineBatch, open_source
from tracktui.sources.files import LocalFileSystem
from tracktui.sync import sync_sources

ALL = Filter(statuses=STATUS_GROUPS["all"])
START = 1_790_000_000.0


def lines_of(n: int, start: int = 0, tag: str = "x") -> list[str]:
    return [f"Nov 27 09:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtp[{i}]: {tag} line {i}"
            for i in range(start, start + n)]


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def read(url: str, state: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None, list[str]]:
    warnings: list[str] = []
    batches: list[LineBatch] = list(open_source(url).read(state, warn=warnings.append))
    return [line for b in batches for line in b.lines], (batches[-1].state if batches else state), warnings


def test_truncated_and_regrown_past_the_cursor_is_read_again(tmp_path: Path) -> None:
    """Same first 4 KiB, other bytes at the cursor, longer than before: the size alone says "appended"."""
    log = tmp_path / "mail.log"
    write(log, lines_of(200))
    got, state, _ = read(f"file:{log}", None)
    assert got == lines_of(200)
    rewritten = lines_of(100) + lines_of(300, 100, tag="new")
    write(log, rewritten)  # truncated in place, same beginning, then grown past the old offset
    assert log.stat().st_size > state["files"][0]["off"]  # type: ignore[index]
    got, state, _ = read(f"file:{log}", state)
    assert got == rewritten
    write(log, lines_of(5, 400, tag="more"), "a")
    got, _, _ = read(f"file:{log}", state)
    assert got == lines_of(5, 400, tag="more")  # a plain append still reads only what is new


def test_tail_check_survives_rotation_into_gzip(tmp_path: Path) -> None:
    """Read half, then the file is rewritten past the cursor and compressed by rotation before the next sync."""
    log = tmp_path / "mail.log"
    write(log, lines_of(200))
    _, state, _ = read(f"file:{log}*", None)
    rewritten = lines_of(100) + lines_of(300, 100, tag="new")
    with gzip.open(tmp_path / "mail.log.1.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in rewritten)
    log.unlink()
    write(log, lines_of(3, 0, tag="live"))
    got, _, _ = read(f"file:{log}*", state)
    assert got == rewritten + lines_of(3, 0, tag="live")


def test_state_without_tail_checksum_still_resumes(tmp_path: Path) -> None:
    """A cursor stored before the checksum existed resumes at its offset."""
    log = tmp_path / "mail.log"
    write(log, lines_of(50))
    _, state, _ = read(f"file:{log}", None)
    assert state is not None
    for record in state["files"]:
        del record["tail"], record["tlen"]
    write(log, lines_of(5, 50), "a")
    got, state, _ = read(f"file:{log}", state)
    assert got == lines_of(5, 50) and state is not None and "tail" in state["files"][0]


def busy(n: int, seed: int, host: str = "mx1") -> list[str]:
    return list(busy_postfix_lines(n, seed=seed, start=START, host=host))


def deliveries(cache: Cache) -> list[tuple[object, ...]]:
    return sorted((r.host, r.queue_id, r.recipient, r.status, r.time, r.attempt_count)
                  for r in cache.iter_deliveries(ALL))


def test_reading_a_rewritten_log_again_stores_nothing_twice(tmp_path: Path, cache_url_factory: Any) -> None:
    """Truncate-and-regrow through a real sync: the cache ends as a fresh sync of the final file leaves it.

    The log is rewritten with another host's lines merged in after its first 4 KiB (same beginning,
    other bytes at the old cursor, longer): the second sync reads it all again, and the deliveries
    the first sync stored are not stored twice.
    """
    log = tmp_path / "mail.log"
    first = busy(3000, seed=1)
    write(log, first)
    url = f"file:{log}?host=mx1"
    common: dict[str, Any] = {"now": START + 86400, "retention_days": 100_000, "pipeline": False}
    with Cache.open(cache_url_factory()) as cache:
        assert not sync_sources(cache, [url], **common).errors
        final = first[:1500] + busy(1000, seed=2, host="mx2") + first[1500:]
        write(log, final)
        report = sync_sources(cache, [url], **common)
        assert not report.errors and report.lines == len(final)
        after_regrow = deliveries(cache)
    fresh_log = tmp_path / "fresh" / "mail.log"
    fresh_log.parent.mkdir()
    write(fresh_log, final)
    with Cache.open(cache_url_factory()) as cache:
        assert not sync_sources(cache, [f"file:{fresh_log}?host=mx1"], **common).errors
        assert after_regrow == deliveries(cache)
        assert len(after_regrow) > 100 and {row[0] for row in after_regrow} == {"mx1", "mx2"}


def gz(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "wt") as handle:
        handle.writelines(line + "\n" for line in lines)


def test_damaged_gzip_is_reported_and_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "mail.log"
    (tmp_path / "mail.log.4.gz").write_bytes(b"not gzip at all")
    gz(tmp_path / "mail.log.3.gz", lines_of(2000, 0, tag="three"))
    whole = (tmp_path / "mail.log.3.gz").read_bytes()
    (tmp_path / "mail.log.3.gz").write_bytes(whole[: len(whole) // 2])  # truncated copy
    gz(tmp_path / "mail.log.2.gz", lines_of(10, 0, tag="two"))
    write(tmp_path / "mail.log.1", lines_of(10, 0, tag="one"))
    write(log, lines_of(10, 0, tag="live"))
    got, state, warnings = read(f"file:{log}*", None)
    three = [line for line in got if " three " in line]
    assert three == lines_of(len(three), 0, tag="three") and 0 < len(three) < 2000  # what decompressed
    assert got[len(three):] == lines_of(10, 0, tag="two") + lines_of(10, 0, tag="one") + lines_of(10, 0, tag="live")
    assert len(warnings) == 2 and all("\n" not in w for w in warnings)
    assert "mail.log.4.gz: not a gzip file" in warnings[0]
    assert "mail.log.3.gz: damaged or truncated gzip file" in warnings[1]

    opened: list[str] = []
    real_open = LocalFileSystem.open

    def spy(self: LocalFileSystem, info: Any, offset: int) -> Any:
        opened.append(os.path.basename(info.path))
        return real_open(self, info, offset)

    monkeypatch.setattr(LocalFileSystem, "open", spy)
    got, state, warnings = read(f"file:{log}*", state)
    assert got == [] and opened == []  # unchanged: not decompressed again
    assert any("mail.log.3.gz: damaged, unchanged" in w for w in warnings)

    gz(tmp_path / "mail.log.3.gz", lines_of(2000, 0, tag="three"))  # a complete copy arrives
    got, state, warnings = read(f"file:{log}*", state)
    assert got == lines_of(2000 - len(three), len(three), tag="three") and opened == ["mail.log.3.gz"]
    assert warnings == [f"{LocalFileSystem().host}: {tmp_path}/mail.log.4.gz: not a gzip file "
                        "(Not a gzipped file (b'no')); skipped it, read the other files"]


def test_only_a_damaged_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "mail.log.2.gz"
    bad.write_bytes(b"not gzip at all, really not")
    with pytest.raises(SourceError, match=r"mail\.log\.2\.gz: not a gzip file"):
        read(f"file:{bad}", None)


def in_time(call: Any, seconds: float = 5.0) -> BaseException | None:
    """Run ``call`` in a thread; fail if it blocks (a FIFO opened for reading would)."""
    caught: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            caught.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked"
    return caught[0] if caught else None


def test_directory_and_fifo_say_what_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    error = in_time(lambda: read(f"file:{folder}", None))
    assert isinstance(error, SourceError) and "is a directory" in str(error) and "\n" not in str(error)
    for url in (f"file:{fifo}", f"file:{tmp_path}/pipe.l*"):
        error = in_time(lambda url=url: read(url, None))
        assert isinstance(error, SourceError) and f"{fifo} is not a regular file" in str(error)
    write(tmp_path / "pipe.log.1", lines_of(3))
    got, _, _ = read(f"file:{tmp_path}/pipe.log*", None)  # a glob reads the files and passes over the FIFO
    assert got == lines_of(3)


def test_fifo_swapped_in_after_listing_does_not_block(tmp_path: Path) -> None:
    from tracktui.sources.files import open_regular

    fifo = tmp_path / "mail.log"
    os.mkfifo(fifo)
    error = in_time(lambda: open_regular(str(fifo)))
    assert isinstance(error, SourceError) and "is not a regular file" in str(error)


def test_one_crashing_source_stops_neither_the_others_nor_pruning(
    tmp_path: Path, cache_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracktui.sources as sources

    log = tmp_path / "mail.log"
    write(log, busy(500, seed=3))
    real = sources.open_source

    def flaky(url: str, **kwargs: Any) -> Any:
        if "boom" in url:
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")
        return real(url, **kwargs)

    monkeypatch.setattr(sources, "open_source", flaky)
    with Cache.open(cache_url) as cache:
        pruned: list[int] = []
        real_prune = cache.prune
        monkeypatch.setattr(cache, "prune", lambda *a, **k: pruned.append(1) or real_prune(*a, **k))
        report = sync_sources(cache, [f"file:{tmp_path}/boom.log", f"file:{log}?host=mx1"],
                              now=START + 86400, retention_days=100_000)
        by_url = {r.url: r for r in report.results}
        error = by_url[f"file:{tmp_path}/boom.log"].error
        assert isinstance(error, SourceError) and "UnicodeEncodeError" in str(error)
        assert by_url[f"file:{log}?host=mx1"].error is None and by_url[f"file:{log}?host=mx1"].deliveries > 0
        assert pruned == [1]


def test_sync_collects_warnings_per_source(tmp_path: Path, cache_url: str) -> None:
    log = tmp_path / "mail.log"
    write(log, busy(200, seed=4))
    (tmp_path / "mail.log.2.gz").write_bytes(b"garbage")
    with Cache.open(cache_url) as cache:
        report = sync_sources(cache, [f"file:{log}*?host=mx1"], now=START + 86400, retention_days=100_000)
    (result,) = report.results
    assert result.error is None and result.lines == 200
    assert len(result.warnings) == 1 and "mail.log.2.gz: not a gzip file" in result.warnings[0]
