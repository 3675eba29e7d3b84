"""How each delivery status reads and looks, in one table every view takes its words from.

Pure data (no I/O, no Textual): the terminal table, the tree and details pane, the PDF and
its summary all derive their per-status maps from :data:`STATUS_LOOKS`, so a new status is
added in one place (``tests/test_statuses.py`` checks every status has its row).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracktui.model import Status


@dataclass(frozen=True, slots=True)
class StatusLook:
    """One status's words and looks."""

    label: str
    """A single status in a report or a legend ("Bounced")."""
    words: str
    """The status in a sentence, for the tree and the details pane."""
    mark: str
    """One character for the tree and the details pane."""
    colour: str
    """Terminal colour (Rich style name)."""
    rgb: tuple[int, int, int]
    """PDF colour."""
    severity: int
    """Which status a message shows when its recipients differ: the highest."""


STATUS_LOOKS: dict[Status, StatusLook] = {
    Status.DELIVERED: StatusLook("Delivered", "delivered", "✓", "green", (20, 110, 40), 0),
    Status.IN_TRANSIT: StatusLook("In transit", "handed to a content filter or own relay; outcome not logged yet",
                                  "→", "cyan", (20, 100, 160), 1),
    Status.DEFERRED: StatusLook("Temporarily rejected", "temporarily rejected, will retry", "⟳", "yellow",
                                (170, 100, 0), 2),
    Status.DELETED: StatusLook("Deleted", "deleted from the queue by an administrator", "⌫", "magenta",
                               (120, 60, 140), 3),
    Status.EXPIRED: StatusLook("Expired", "expired, returned to the sender", "⊘", "magenta", (180, 20, 20), 4),
    Status.BOUNCED: StatusLook("Bounced", "permanently rejected", "✗", "red", (180, 20, 20), 5),
}
