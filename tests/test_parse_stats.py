"""Parse counters add up across batches and keep a bounded set of malformed examples."""

from __future__ import annotations

from tracktui.parsers.base import MAX_EXAMPLES, ParseStats


def test_merge_adds_counts_and_keeps_the_first_examples_only() -> None:
    total = ParseStats()
    for batch in range(3):
        part = ParseStats(lines=10, events=7, foreign=1, ignored=1)
        for n in range(4):
            part.note_malformed(f"bad {batch}.{n}")
        total.merge(part)
    assert (total.lines, total.events, total.foreign, total.ignored, total.malformed) == (30, 21, 3, 3, 12)
    assert total.malformed_examples == ["bad 0.0", "bad 0.1", "bad 0.2", "bad 0.3", "bad 1.0"]
    assert len(total.malformed_examples) == MAX_EXAMPLES
