"""What every MTA parser offers: one line in, one :class:`~tracktui.model.Event` or nothing out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tracktui.model import Event

MAX_EXAMPLES = 5
"""Malformed lines kept as examples for the end-of-sync report."""


@dataclass(slots=True)
class ParseStats:
    """Counters a parser keeps so a sync can report what it skipped.

    ``foreign`` lines belong to other programs (cron, sshd...) and are
    expected; ``malformed`` lines claim to be from the MTA (or have no
    envelope at all) but could not be read, and are reported to the user.
    """

    lines: int = 0
    events: int = 0
    foreign: int = 0
    malformed: int = 0
    ignored: int = 0
    """MTA lines understood but carrying nothing the model needs (connect, disconnect...)."""
    malformed_examples: list[str] = field(default_factory=list)

    def note_malformed(self, line: str) -> None:
        self.malformed += 1
        if len(self.malformed_examples) < MAX_EXAMPLES:
            self.malformed_examples.append(line[:200])

    def merge(self, other: ParseStats) -> None:
        """Add ``other``'s counts (a later batch's) to these, keeping at most :data:`MAX_EXAMPLES` examples."""
        self.lines += other.lines
        self.events += other.events
        self.foreign += other.foreign
        self.ignored += other.ignored
        self.malformed += other.malformed
        room = MAX_EXAMPLES - len(self.malformed_examples)
        if room > 0:
            self.malformed_examples.extend(other.malformed_examples[:room])


class Parser(Protocol):
    """An MTA log parser. Pure: no I/O, no database; state only for year inference and linking."""

    mta: str
    """``postfix``, ``exim`` or ``qmail``."""
    stats: ParseStats

    def parse(self, line: str) -> Event | None:
        """The event ``line`` carries, or ``None`` ("not mine" or nothing to record).

        Must never raise, whatever the input. ``line`` has no trailing newline.
        """
        ...

