"""A footer that fits on one line: when the terminal is narrow, the least important keys leave it.

Textual's footer lays its keys out in one row and cuts whatever does not fit, so at 80
columns the last keys (help, quit) were the ones lost. This one keeps the keys in their
key-map order but drops keys of the highest :attr:`~tracktui.tui.keymap.Key.rank` first
until the rest fit beside the command palette key; every key stays in the `?` help.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


def key_width(key: FooterKey) -> int:
    """Cells one footer key takes: `` k `` then ``label `` (the footer's non-compact padding)."""
    width = len(key.key_display) + 2 + (len(key.description) + 1 if key.description else 0)
    if key.has_class("-command-palette"):
        width += 2  # its left border and right padding
    return width


def fit(keys: list[tuple[int, int]], room: int) -> set[int]:
    """Indexes of the keys to keep: (rank, width) in display order, lowest rank first, then leftmost."""
    kept: set[int] = set()
    used = 0
    for index in sorted(range(len(keys)), key=lambda i: (keys[i][0], i)):
        width = keys[index][1]
        if used + width <= room:
            kept.add(index)
            used += width
    return kept


class FittingFooter(Footer):
    """:class:`Footer` showing only the keys that fit, by rank (``ranks``: key name -> rank)."""

    def __init__(self, ranks: Mapping[str, int], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ranks = dict(ranks)
        self._fitted_width = 0

    def compose(self) -> ComposeResult:
        widgets: Iterable[Widget] = list(super().compose())
        width = self.screen.size.width or self.app.size.width
        self._fitted_width = width
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        room = width - sum(key_width(w) for w in widgets
                           if isinstance(w, FooterKey) and w.has_class("-command-palette"))
        kept = fit([(self.ranks.get(key.key, 9), key_width(key)) for key in keys], room)
        dropped = {id(key) for index, key in enumerate(keys) if index not in kept}
        for widget in widgets:
            if id(widget) not in dropped:
                yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
