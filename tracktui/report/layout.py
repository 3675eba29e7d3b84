"""The deliveries table: the report's hot path, laid out by hand for speed.

fpdf2's ``table()`` and ``multi_cell()`` measure and break text through
their general fragment machinery, which costs milliseconds per row with a
TTF font. Here columns have fixed widths, text is measured with the
:class:`~tracktui.report.glyphs.TextFitter` width cache, each column wraps
to a bounded number of lines (ellipsis after that), and every line is one
``FPDF.text()`` call. Recipients of one message are drawn as one group.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from fpdf import FPDF

from tracktui.model import AttemptRow, DeliveryRow, Status
from tracktui.report.glyphs import TextFitter
from tracktui.report.words import STATUS_LABELS, explain_row
from tracktui.statuses import STATUS_LOOKS

Group = list[tuple[DeliveryRow, Sequence[AttemptRow]]]

FONT = "dejavu"
SIZE = 7.0
"""Table text size in points."""
SMALL = 6.0
"""Earlier attempts, host and queue id."""
LINE = 3.0
"""Line height in millimetres at :data:`SIZE`."""
SMALL_LINE = 2.5
"""Line height in millimetres at :data:`SMALL`."""
PAD = 1.0
"""Cell padding in millimetres."""

STATUS_COLOURS: dict[Status, tuple[int, int, int]] = {status: look.rgb for status, look in STATUS_LOOKS.items()}
TEXT = (20, 20, 20)
GREY = (110, 110, 110)
SHADE = (243, 245, 248)
RULE = (200, 200, 200)


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: heading, width in millimetres, most lines it may wrap to."""

    title: str
    width: float
    max_lines: int


COLUMNS: tuple[Column, ...] = (
    Column("Time", 28.5, 3),
    Column("Sender", 37.5, 2),
    Column("Recipient", 40.0, 2),
    Column("Subject", 43.0, 3),
    Column("Status", 22.0, 2),
    Column("Remote host's reply", 66.0, 4),
    Column("Explanation", 41.0, 4),
)
TIME, SENDER, RECIPIENT, SUBJECT, STATUS, REPLY, EXPLANATION = range(len(COLUMNS))
EARLIER_SHOWN = 3
"""Earlier attempts listed under a reply; the rest are counted."""


def group_messages(
    rows: Iterable[tuple[DeliveryRow, Sequence[AttemptRow]]], window: int = 500
) -> Iterator[Group]:
    """Gather recipients of one message into one group, keeping the stream's order.

    A group is released once ``window`` more rows have gone by since it
    started, so memory stays bounded whatever the input; a message whose
    recipients lie further apart than that simply shows as two groups.
    """
    pending: dict[int, Group] = {}
    started: dict[int, int] = {}
    for index, item in enumerate(rows, start=1):
        key = item[0].message_key
        group = pending.get(key)
        if group is None:
            pending[key] = [item]
            started[key] = index
        else:
            group.append(item)
        while pending:
            head = next(iter(pending))
            if index - started[head] < window:
                break
            del started[head]
            yield pending.pop(head)
    yield from pending.values()


_RGB: dict[tuple[int, int, int], str] = {
    colour: f"{colour[0] / 255:.3f} {colour[1] / 255:.3f} {colour[2] / 255:.3f} rg"
    for colour in (TEXT, GREY, *STATUS_COLOURS.values())
}


_ESCAPES = {"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r"}
"""Bytes a PDF literal string must escape."""


class RawText:
    """Text lines written straight into the page's content stream, one ``q … Q`` block per row.

    This is what ``FPDF.text()`` writes, without its per-call checks and with a
    per-character cache of the font-subset encoding: the table's hot path.
    The block saves and restores the graphics state, so fpdf2's own idea of
    the current font and colours stays true for everything it draws itself.
    The font must be the page's current TTF font (``set_font`` registers it).
    """

    def __init__(self, pdf: FPDF) -> None:
        font = pdf.current_font
        assert font is not None and hasattr(font, "subset"), "set the TTF font before RawText"
        self.pdf = pdf
        self.font = font
        self.k = pdf.k
        self.height = pdf.h
        self._codes: dict[str, str] = {}

    def font_op(self, size_pt: float) -> str:
        return f"/F{self.font.i} {size_pt:.2f} Tf"

    def encode(self, text: str) -> str:
        """``text`` as the escaped bytes of its glyph ids in the font subset (characters must be in the font)."""
        codes = self._codes
        try:
            return "".join([codes[char] for char in text])
        except KeyError:
            for char in text:
                if char not in codes:
                    glyph = self.font.subset.pick(ord(char))
                    raw = chr(glyph if glyph is not None else 0).encode("utf-16-be").decode("latin-1")
                    codes[char] = "".join(_ESCAPES.get(byte, byte) for byte in raw)
            return "".join([codes[char] for char in text])

    def put(self, ops: list[str], x: float, y: float, text: str) -> None:
        """Add one line of text with its baseline's left end at (``x``, ``y``) mm."""
        ops.append(f"BT {x * self.k:.2f} {(self.height - y) * self.k:.2f} Td ({self.encode(text)}) Tj ET")

    def emit(self, ops: list[str]) -> None:
        self.pdf._out("q " + " ".join(ops) + " Q")


def _codes(code: int | None, dsn: str | None) -> str:
    """``550 5.1.1`` from whichever codes are known."""
    return " ".join(part for part in (str(code) if code else "", dsn or "") if part)


class DeliveryTable:
    """Draws groups of deliveries onto an FPDF document, breaking pages itself."""

    def __init__(self, pdf: FPDF, fitter: TextFitter, tz: tzinfo, *, left: float, bottom: float) -> None:
        self.pdf = pdf
        self.fit = fitter
        self.tz = tz
        self.left = left
        self.bottom = bottom
        """Lowest y (mm) a row may reach before the footer."""
        self.x: list[float] = []
        x = left
        for column in COLUMNS:
            self.x.append(x)
            x += column.width
        self.right = x
        self.y = 0.0
        self.shade = False
        self._stamp_cache: dict[int, str] = {}
        self._raw: RawText | None = None

    def stamp(self, moment: float) -> str:
        """``YYYY-MM-DD HH:MM:SS`` in the report's zone (cached per second)."""
        second = int(moment)
        text = self._stamp_cache.get(second)
        if text is None:
            if len(self._stamp_cache) > 50_000:
                self._stamp_cache.clear()
            text = datetime.fromtimestamp(second, self.tz).strftime("%Y-%m-%d %H:%M:%S")
            self._stamp_cache[second] = text
        return text

    def start_page(self, *, new_page: bool = True) -> None:
        """Open a page (or use the current, empty one) and draw the column headings."""
        pdf = self.pdf
        if new_page:
            pdf.add_page()
        top = pdf.t_margin
        pdf.set_font(FONT, "B", SIZE)
        pdf.set_fill_color(225, 230, 238)
        pdf.rect(self.left, top, self.right - self.left, LINE + 2 * PAD, style="F")
        pdf.set_text_color(*TEXT)
        for column, x in zip(COLUMNS, self.x, strict=True):
            pdf.text(x + PAD, top + PAD + 2.2, column.title)
        pdf.set_font(FONT, "", SIZE)
        if self._raw is None:
            self._raw = RawText(pdf)
        self.y = top + LINE + 2 * PAD

    def _cell_lines(self, text: str, column: int, size: float = SIZE) -> list[str]:
        spec = COLUMNS[column]
        return self.fit.wrap(self.fit.clean(text), spec.width - 2 * PAD, size, spec.max_lines)

    def _reply_cell(self, row: DeliveryRow, attempts: Sequence[AttemptRow]) -> tuple[list[str], list[str]]:
        """Lines of the reply column: the latest reply, then earlier attempts in small grey type."""
        reply = row.reply or _codes(row.code, row.dsn)
        if row.relay and row.relay.split("[", 1)[0] not in reply:
            reply = f"{reply} (via {row.relay})" if reply else f"via {row.relay}"
        main = self._cell_lines(reply or "—", REPLY)
        earlier: list[str] = []
        previous = list(attempts[:-1]) if len(attempts) > 1 else []
        width = COLUMNS[REPLY].width - 2 * PAD
        for attempt in reversed(previous[-EARLIER_SHOWN:]):
            words = attempt.reply or _codes(attempt.code, attempt.dsn) or "no reply"
            line = self.fit.clean(f"{self.stamp(attempt.time)[5:]} {words}")
            earlier.append(self.fit.fit(line, width, SMALL))
        if len(previous) > EARLIER_SHOWN:
            earlier.append(f"… and {len(previous) - EARLIER_SHOWN} earlier attempts")
        return main, earlier

    def draw_group(self, group: Group) -> None:
        """Draw one message's deliveries; the message's fields show on its first row (and after a page break)."""
        first_row = True
        self.shade = not self.shade
        for row, attempts in group:
            self._draw_row(row, attempts, first_row)
            first_row = False

    def _message_cells(self, cells: list[list[str]], row: DeliveryRow) -> None:
        """Fill the message's own columns (sender, subject) of a row."""
        cells[SENDER] = self._cell_lines(row.sender or "<>", SENDER)
        cells[SUBJECT] = self._cell_lines(row.subject or "(no subject)", SUBJECT)

    @staticmethod
    def _height(cells: list[list[str]], earlier: list[str], show_message: bool) -> float:
        """Height of a row: its tallest column, small lines included, plus padding."""
        lines = max(len(cell) for cell in cells) * LINE
        lines = max(lines, len(cells[REPLY]) * LINE + len(earlier) * SMALL_LINE)
        if show_message:
            lines = max(lines, LINE + 2 * SMALL_LINE, len(cells[SENDER]) * LINE, len(cells[SUBJECT]) * LINE)
        return lines + 2 * PAD

    def _draw_row(self, row: DeliveryRow, attempts: Sequence[AttemptRow], first_row: bool) -> None:
        pdf = self.pdf
        fit = self.fit
        summary, _category = explain_row(row)
        status = STATUS_LABELS[row.status]
        if row.attempt_count > 1:
            status = f"{status} ({row.attempt_count} attempts)"
        reply, earlier = self._reply_cell(row, attempts)
        cells: list[list[str]] = [[self.stamp(row.time)], [], self._cell_lines(row.recipient, RECIPIENT), [],
                                  self._cell_lines(status, STATUS), reply, self._cell_lines(summary, EXPLANATION)]
        time_width = COLUMNS[TIME].width - 2 * PAD
        time_extra = [fit.fit(fit.clean(text), time_width, SMALL) for text in (row.host, row.queue_id)]
        show_message = first_row or self.y == pdf.t_margin + LINE + 2 * PAD
        if show_message:
            self._message_cells(cells, row)
        if self.y + self._height(cells, earlier, show_message) > self.bottom:
            self.start_page()
            if not show_message:  # a message continued on a new page shows its fields again
                self._message_cells(cells, row)
                show_message = True
        if not show_message:
            time_extra = []
        height = self._height(cells, earlier, show_message)
        top = self.y
        if self.shade:
            pdf.set_fill_color(*SHADE)
            pdf.rect(self.left, top, self.right - self.left, height, style="F")
        if first_row:
            pdf.set_draw_color(*RULE)
            pdf.line(self.left, top, self.right, top)
        base = top + PAD + 2.2
        raw = self._raw
        assert raw is not None, "start_page() comes first"
        put = raw.put
        ops = [raw.font_op(SIZE), _RGB[TEXT]]
        for index, cell in enumerate(cells):
            if index == STATUS or not cell:
                continue
            x = self.x[index] + PAD
            y = base
            for line in cell:
                put(ops, x, y, line)
                y += LINE
        ops.append(_RGB[STATUS_COLOURS[row.status]])
        y = base
        for line in cells[STATUS]:
            put(ops, self.x[STATUS] + PAD, y, line)
            y += LINE
        if earlier or time_extra:
            ops.append(_RGB[GREY])
            ops.append(raw.font_op(SMALL))
            y = base + LINE - 0.3
            for line in time_extra:
                put(ops, self.x[TIME] + PAD, y, line)
                y += SMALL_LINE
            y = base + len(reply) * LINE - 0.3
            for line in earlier:
                put(ops, self.x[REPLY] + PAD, y, line)
                y += SMALL_LINE
        raw.emit(ops)
        self.y = top + height
