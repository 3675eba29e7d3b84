"""Local file sources: incremental reads, rotation (plain -> .1 -> .2.gz), truncation, batching, errors."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tracktui.errors import SourceError, UsageError
from tracktui.sources import LineBatch, open_source
from tracktui.sources.base import BATCH_LINES


def lines_of(n: int, start: int = 0, tag: str = "x") -> list[str]:
    return [f"Nov 27 09:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtp[{i}]: {tag} line {i}"
            for i in range(start, start + n)]


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def read_all(url: str, state: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None, list[LineBatch]]:
    batches = list(open_source(url).read(state))
    out = [line for b in batches for line in b.lines]
    new_state = batches[-1].state if batches else state
    if new_state is not None:
        json.dumps(new_state)  # must stay JSON-serialisable
    return out, new_state, batches


def rotate(log: Path) -> None:
    """What logrotate does with ``delaycompress``: .1 -> .2.gz, live -> .1, fresh live file."""
    one = log.with_name(log.name + ".1")
    if one.exists():
        two = log.with_name(log.name + ".2.gz")
        with open(one, "rb") as src, gzip.open(two, "wb") as dst:
            dst.write(src.read())
        one.unlink()
    log.rename(one)
    log.touch()


def test_incremental_across_append_and_rotation(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{tmp_path}/mail.log*"
    write(log, lines_of(100))
    got, state, _ = read_all(url, None)
    assert got == lines_of(100)

    got, _state2, batches = read_all(url, state)
    assert got == [] and batches == []

    write(log, lines_of(10, 100), "a")
    got, state, _ = read_all(url, state)
    assert got == lines_of(10, 100)

    # Unread lines appended just before rotation are read from mail.log.1.
    write(log, lines_of(5, 110), "a")
    rotate(log)
    write(log, lines_of(7, 115), "a")
    got, state, _ = read_all(url, state)
    assert got == lines_of(12, 110)

    # .1 becomes .2.gz after gaining a few unread lines; the gz is streamed and only its tail used.
    one = tmp_path / "mail.log.1"
    write(log, lines_of(3, 122), "a")
    rotate(log)
    write(log, lines_of(2, 125), "a")
    assert (tmp_path / "mail.log.2.gz").exists() and one.exists()
    got, state, _ = read_all(url, state)
    assert got == lines_of(5, 122)
    assert state is not None and len(state["files"]) == 3

    got, _, batches = read_all(url, state)
    assert got == [] and batches == []


def test_fresh_read_is_oldest_first(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    with gzip.open(tmp_path / "mail.log.3.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(10, 0))
    with gzip.open(tmp_path / "mail.log.2.gz", "wt") as handle:
        handle.writelines(line + "\n" for line in lines_of(10, 10))
    write(tmp_path / "mail.log.1", lines_of(10, 20))
    write(log, lines_of(10, 30))
    # Newest mtime on the oldest file must not change the order: rotation numbers decide.
    os.utime(tmp_path / "mail.log.3.gz", (2_000_000_000, 2_000_000_000))
    got, _state, batches = read_all(f"file:{tmp_path}/mail.log*", None)
    assert got == lines_of(40)
    assert [b.label.rsplit("/", 1)[1] for b in batches] == ["mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]
    assert len({b.stream for b in batches}) == 4


def test_partial_last_line_waits_until_complete(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{log}"
    log.write_bytes(b"one\ntwo\nthr")
    got, state, _ = read_all(url, None)
    assert got == ["one", "two"]
    with open(log, "ab") as handle:
        handle.write(b"ee\nfour\n")
    got, state, _ = read_all(url, state)
    assert got == ["three", "four"]


def test_rotated_partial_line_is_final(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{tmp_path}/mail.log*"
    log.write_bytes(b"one\ntw")
    got, state, _ = read_all(url, None)
    assert got == ["one"]
    rotate(log)
    write(log, ["three"])
    got, _, _ = read_all(url, state)
    assert got == ["tw", "three"]


def test_truncated_file_is_read_again(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{log}"
    first = lines_of(200)
    write(log, first)
    _, state, _ = read_all(url, None)
    # Rewritten with the same first 4 KiB but shorter: start over.
    write(log, first[:100])
    got, _, _ = read_all(url, state)
    assert got == first[:100]


def test_copytruncate_rotation(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{tmp_path}/mail.log*"
    write(log, lines_of(50))
    _, state, _ = read_all(url, None)
    write(log, lines_of(5, 50), "a")
    (tmp_path / "mail.log.1").write_bytes(log.read_bytes())
    write(log, lines_of(3, 55, tag="new"))  # truncated in place, same inode, new content
    got, _, _ = read_all(url, state)
    assert got == lines_of(5, 50) + lines_of(3, 55, tag="new")


def test_small_file_growing_keeps_identity(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{log}"
    write(log, ["short"])
    _, state, _ = read_all(url, None)
    write(log, lines_of(300), "a")  # now well past 4 KiB: the head hash must be recomputed over 6 bytes
    got, state, _ = read_all(url, state)
    assert got == lines_of(300)
    assert state is not None and state["files"][0]["hlen"] == 4096


def test_state_drops_vanished_files(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    url = f"file:{tmp_path}/mail.log*"
    write(tmp_path / "mail.log.1", lines_of(5))
    write(log, lines_of(5, 5))
    _, state, _ = read_all(url, None)
    assert state is not None and len(state["files"]) == 2
    (tmp_path / "mail.log.1").unlink()
    got, state, _batches = read_all(url, state)
    assert got == []
    assert state is not None and len(state["files"]) == 1


def test_batches_resume_exactly(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    total = BATCH_LINES * 2 + 123
    write(log, lines_of(total))
    batches = list(open_source(f"file:{log}").read(None))
    # Roughly BATCH_LINES each: a batch closes at the first 1 MiB chunk boundary past the limit.
    assert len(batches) >= 2
    assert all(len(b.lines) < BATCH_LINES + 20000 for b in batches)
    assert [line for b in batches for line in b.lines] == lines_of(total)
    assert sum(b.bytes_read for b in batches) == log.stat().st_size
    # Resuming from the first batch's state yields exactly the rest.
    rest = [line for b in open_source(f"file:{log}").read(batches[0].state) for line in b.lines]
    assert rest == lines_of(total)[len(batches[0].lines) :]


def test_should_stop_and_progress(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    write(log, lines_of(BATCH_LINES * 2))
    events = []
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    batches = list(open_source(f"file:{log}").read(None, progress=events.append, should_stop=stop))
    assert len(batches) == 1
    assert events[0].phase == "listing"
    assert any(e.phase == "reading" and e.bytes_done > 0 and e.bytes_total == log.stat().st_size for e in events)


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_bytes(b"caf\xe9 [SPAM] \x1b[31m\n")
    got, _, _ = read_all(f"file:{log}", None)
    assert got == ["caf\ufffd [SPAM] \x1b[31m"]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        list(open_source(f"file:{tmp_path}/nope.log").read(None))
    with pytest.raises(SourceError, match="no such file"):
        list(open_source(f"file:{tmp_path}/nope.log*").read(None))
    bad = tmp_path / "mail.log.2.gz"
    bad.write_bytes(b"not gzip at all, really not")
    with pytest.raises(SourceError, match="gzip"):
        list(open_source(f"file:{bad}").read(None))
    with pytest.raises(UsageError):
        open_source("file:")


def test_host_hint_and_mta(tmp_path: Path) -> None:
    source = open_source(f"file:{tmp_path}/mail.log")
    assert source.host_hint
    assert source.mta_hint is None


def test_line_splitter_keeps_bytes_and_decodes_like_a_per_line_read() -> None:
    """Batches carry the bytes as read; decoding them gives exactly the lines, whatever the chunking."""
    from tracktui.sources.base import LineSplitter, decode_lines

    lines = ["first", "", "caf\u00e9 \u2014 \U0001f600", "bad \xff byte", "x" * 5000, "last, unterminated"]
    raw = "\n".join(lines).replace("\xff", "\udcff").encode("utf-8", "surrogateescape")
    expected = raw.decode("utf-8", "replace").split("\n")
    for chunk in (1, 3, 7, 4096, len(raw)):
        splitter = LineSplitter(100)
        taken: list[str] = []
        counted = 0
        for start in range(0, len(raw), chunk):
            splitter.feed(raw[start : start + chunk])
            if splitter.full or start % (chunk * 5) == 0:
                data, count, _ = splitter.take()
                taken += decode_lines(data, count)
                counted += count
        splitter.finish()
        data, count, _ = splitter.take()
        taken += decode_lines(data, count)
        assert taken == expected
        assert counted + count == len(expected)
        assert splitter.offset == 100 + len(raw)


def test_journal_cursor_comes_from_the_last_record_that_has_one() -> None:
    from tracktui.sources.journal import _last_cursor

    records = [b'{"__CURSOR": "s=1", "MESSAGE": "a"}', b'{"__CURSOR": "s=2", "MESSAGE": "b"}', b"", b"not json"]
    assert _last_cursor(b"\n".join(records)) == "s=2"
    assert _last_cursor(b"\n".join(records[:1])) == "s=1"
    assert _last_cursor(b"") is None
    assert _last_cursor(b"\n\n") is None
