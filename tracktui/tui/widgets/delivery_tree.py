"""The delivery tree: messages, their recipients, each recipient's hops and attempts; loaded lazily, in pages.

The tree holds only what the user has scrolled to. Expanding a message asks
for its recipients, expanding a recipient for its attempts: the tree posts a
request (:class:`DeliveryTree.LoadRecipients`, ...) with a "loading" leaf in
place, the screen runs the query in a worker and hands the rows back with
:meth:`DeliveryTree.fill_recipients` / :meth:`DeliveryTree.fill_attempts`.
Nearing the last node asks for the next page. Every label is ``rich.text.Text``
built by :mod:`tracktui.tui.render`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tracktui.model import AttemptRow, DeliveryRow, HopRow, Status
from tracktui.tui.render import attempt_label, hop_label, message_label, notice_label, recipient_label, worst

PREFETCH_LINES = 8
"""Ask for the next page when the cursor is this close to the last line."""


@dataclass(slots=True)
class MessageData:
    """A message node: its newest matching delivery, and the recipients seen in the results."""

    row: DeliveryRow
    statuses: list[Status] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    loaded: bool = False
    loading: bool = False


@dataclass(slots=True)
class RecipientData:
    """A recipient node: one journey recipient (``hops`` once loaded)."""

    row: DeliveryRow
    loaded: bool = False
    loading: bool = False
    hops: list[HopRow] | None = None


@dataclass(slots=True)
class HopData:
    """A hop node of a journey of several legs, with the journey it belongs to."""

    hop: HopRow
    row: DeliveryRow
    hops: list[HopRow]


@dataclass(slots=True)
class AttemptData:
    """An attempt node, with the delivery it belongs to."""

    attempt: AttemptRow
    row: DeliveryRow


@dataclass(slots=True)
class PlaceholderData:
    """A "loading…" or "more…" leaf."""

    more: bool = False


NodeData = MessageData | RecipientData | HopData | AttemptData | PlaceholderData


class DeliveryTree(Tree[NodeData]):
    """Deliveries grouped by message, newest first."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("right", "expand_cursor", "Expand", show=False),
        Binding("left", "collapse_cursor", "Collapse", show=False),
    ]

    class LoadRecipients(Message):
        """A message node was expanded for the first time."""

        def __init__(self, message_key: int) -> None:
            super().__init__()
            self.message_key = message_key

    class LoadAttempts(Message):
        """A recipient node was expanded for the first time."""

        def __init__(self, delivery_id: int) -> None:
            super().__init__()
            self.delivery_id = delivery_id

    class LoadMore(Message):
        """The cursor neared the end of the results and more exist."""

    def __init__(self, tz: tzinfo, *, id: str | None = None) -> None:
        super().__init__(Text("deliveries"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self.tz = tz
        self._messages: dict[int, TreeNode[NodeData]] = {}
        self._recipients: dict[int, TreeNode[NodeData]] = {}
        self._more: TreeNode[NodeData] | None = None
        self.has_more = False
        self.loading_more = False

    # -- results ---------------------------------------------------------------------------

    def clear_results(self) -> None:
        """Forget every node (a new search)."""
        self.clear()
        self._messages.clear()
        self._recipients.clear()
        self._more = None
        self.has_more = False
        self.loading_more = False

    @property
    def message_count(self) -> int:
        """Message nodes shown."""
        return len(self._messages)

    def top_row(self) -> DeliveryRow | None:
        """The newest row shown (the first message node's)."""
        for node in self.root.children:
            if isinstance(node.data, MessageData):
                return node.data.row
        return None

    def last_row(self) -> DeliveryRow | None:
        """The oldest row shown (the last message node's)."""
        for node in reversed(self.root.children):
            if isinstance(node.data, MessageData):
                return node.data.row
        return None

    def append_rows(self, rows: Iterable[DeliveryRow], *, has_more: bool) -> None:
        """Add a page at the end; rows of a message already shown join its node."""
        self._drop_more()
        for row in rows:
            if not self._join(row):
                self._messages[row.message_key] = self.root.add(
                    self._message_text(MessageData(row, [row.status], [row.recipient])),
                    MessageData(row, [row.status], [row.recipient]),
                )
        self.has_more = has_more
        self.loading_more = False
        if has_more:
            self._more = self.root.add_leaf(Text("more results below…", style="dim italic"), PlaceholderData(True))

    def prepend_rows(self, rows: Iterable[DeliveryRow]) -> int:
        """Insert rows newer than everything shown, above it, keeping the cursor on its node.

        Returns the number of message nodes added; the view scrolls by as many
        lines so nothing visible moves.
        """
        added = 0
        for row in sorted(rows, key=lambda r: (r.time, r.delivery_id)):
            if self._join(row):
                continue
            data = MessageData(row, [row.status], [row.recipient])
            self._messages[row.message_key] = self.root.add(self._message_text(data), data, before=0)
            added += 1
        if added:
            self.call_after_refresh(self.scroll_relative, y=added, animate=False)
        return added

    def _join(self, row: DeliveryRow) -> bool:
        node = self._messages.get(row.message_key)
        if node is None or not isinstance(node.data, MessageData):
            return False
        data = node.data
        if row.recipient not in data.recipients:
            data.recipients.append(row.recipient)
            data.statuses.append(row.status)
            node.set_label(self._message_text(data))
        return True

    def _message_text(self, data: MessageData) -> Text:
        return message_label(data.row, worst(data.statuses), data.recipients, self.tz)

    def _drop_more(self) -> None:
        if self._more is not None:
            self._more.remove()
            self._more = None

    # -- lazy children ---------------------------------------------------------------------

    def fill_recipients(
        self, message_key: int, rows: list[DeliveryRow], notices: Iterable[DeliveryRow] = ()
    ) -> None:
        """Replace a message node's "loading" leaf with its recipients, then the notices sent about it."""
        node = self._messages.get(message_key)
        if node is None or not isinstance(node.data, MessageData):
            return
        node.remove_children()
        for row in rows:
            child = node.add(recipient_label(row), RecipientData(row),
                             allow_expand=row.attempt_count > 0 or row.hop_count > 1)
            self._recipients[row.delivery_id] = child
        for notice in notices:
            label = notice_label(notice, self.tz)
            child = node.add(label, RecipientData(notice), allow_expand=notice.attempt_count > 0)
            self._recipients[notice.delivery_id] = child
        if not rows:
            node.add_leaf(Text("no recipients recorded", style="dim italic"), PlaceholderData())
        node.data.loaded = True
        node.data.loading = False

    def set_hops(self, delivery_id: int, hops: list[HopRow]) -> None:
        """Remember a journey's hops on its recipient node (the details pane tells them)."""
        node = self._recipients.get(delivery_id)
        if node is not None and isinstance(node.data, RecipientData):
            node.data.hops = hops

    def fill_attempts(self, delivery_id: int, attempts: list[AttemptRow], hops: list[HopRow] | None = None) -> None:
        """Replace a recipient node's "loading" leaf with its journey's hops (when several), then its attempts."""
        node = self._recipients.get(delivery_id)
        if node is None or not isinstance(node.data, RecipientData):
            return
        node.remove_children()
        if hops is not None:
            node.data.hops = hops
        if hops is not None and len(hops) > 1:
            for hop in hops:
                node.add_leaf(hop_label(hop, self.tz), HopData(hop, node.data.row, hops))
        for attempt in attempts:
            node.add_leaf(attempt_label(attempt, self.tz), AttemptData(attempt, node.data.row))
        if not attempts and not (hops and len(hops) > 1):
            node.add_leaf(Text("no attempts recorded", style="dim italic"), PlaceholderData())
        node.data.loaded = True
        node.data.loading = False

    def load_failed(self, *, message_key: int | None = None, delivery_id: int | None = None) -> None:
        """Let a node whose children failed to load be expanded (and tried) again."""
        node = self._messages.get(message_key) if message_key is not None else self._recipients.get(delivery_id or 0)
        if node is not None and isinstance(node.data, MessageData | RecipientData):
            node.data.loading = False
            node.remove_children()
            node.collapse()

    def reset_loading(self) -> None:
        """After a failed load: collapse every node still waiting, so expanding tries again."""
        for key, node in list(self._messages.items()):
            if isinstance(node.data, MessageData) and node.data.loading:
                self.load_failed(message_key=key)
        for key, node in list(self._recipients.items()):
            if isinstance(node.data, RecipientData) and node.data.loading:
                self.load_failed(delivery_id=key)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling (wheel, page keys) near the end also asks for the next page."""
        super().watch_scroll_y(old_value, new_value)
        if (self.has_more and not self.loading_more
                and new_value + self.scrollable_content_region.height >= self.virtual_size.height - PREFETCH_LINES):
            self.loading_more = True
            self.post_message(self.LoadMore())

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        node = event.node
        data = node.data
        if not isinstance(data, MessageData | RecipientData) or data.loaded or data.loading:
            return
        data.loading = True
        node.remove_children()
        node.add_leaf(Text("loading…", style="dim italic"), PlaceholderData())
        if isinstance(data, MessageData):
            self.post_message(self.LoadRecipients(data.row.message_key))
        else:
            self.post_message(self.LoadAttempts(data.row.delivery_id))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        self.maybe_load_more()

    def maybe_load_more(self) -> None:
        """Ask for the next page when the cursor is near the end and more rows exist."""
        if self.has_more and not self.loading_more and self.cursor_line >= self.last_line - PREFETCH_LINES:
            self.loading_more = True
            self.post_message(self.LoadMore())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter selects (expands) a message; on a recipient, hop or attempt it is left to the screen (its story).

        Disabled rather than skipped, so the footer shows the screen's Enter binding instead.
        """
        if action == "select_cursor":
            return not isinstance(self.cursor_data(), RecipientData | HopData | AttemptData)
        return True

    def action_expand_cursor(self) -> None:
        """Right arrow: expand the node under the cursor."""
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse_cursor(self) -> None:
        """Left arrow: collapse the node, or go to its parent when it is collapsed already."""
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def cursor_data(self) -> NodeData | None:
        """The data of the node under the cursor."""
        node = self.cursor_node
        return node.data if node is not None else None
