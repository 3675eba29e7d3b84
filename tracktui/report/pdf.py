"""``render_report``: deliveries in, one PDF file out (pure: no cache, no config, no network).

One pass over the rows lays out the deliveries table and counts the
summary at the same time; the summary page is reserved as page 1 and drawn
when the document is closed (fpdf2's ToC placeholder), so nothing but
counters is held in memory.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from fpdf import FPDF

from tracktui.config import write_file_atomic
from tracktui.model import AttemptRow, DeliveryRow, Status
from tracktui.report.chart import draw_day_chart
from tracktui.report.glyphs import BOLD_FONT, REGULAR_FONT, TextFitter, fitter
from tracktui.report.layout import FONT, DeliveryTable, group_messages
from tracktui.report.summary import Summary
from tracktui.report.words import STATUS_LABELS

Rows = Callable[[], Iterable[tuple[DeliveryRow, Sequence[AttemptRow]]]]
Progress = Callable[[int, int | None], None]

MARGIN = 9.5
TOP = 15.0
FOOTER_AT = 203.0
"""Baseline region of the footer; rows stop above :data:`TABLE_BOTTOM`."""
TABLE_BOTTOM = 198.0
PROGRESS_EVERY = 250
PAGES_TOKEN = "{pages}"
"""Drawn in each footer and replaced by the page count once every page exists."""


@dataclass(frozen=True, slots=True)
class ReportStats:
    """What a rendering produced: counts, size and time taken."""

    path: Path
    deliveries: int
    messages: int
    pages: int
    size: int
    seconds: float
    by_status: dict[Status, int] = field(default_factory=dict)


def zone_name(tz: tzinfo, moment: datetime) -> str:
    """``Europe/Berlin (UTC+01:00)``, or just ``UTC``."""
    key = getattr(tz, "key", None) or moment.tzname() or str(tz)
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    if offset in ("UTC+00:00", "UTC-00:00") and key.upper() in ("UTC", "ETC/UTC", "Z"):
        return "UTC"
    return f"{key} ({offset})" if offset else key


class ReportPDF(FPDF):
    """A4 landscape with the report's running header and ``page X of Y`` footer."""

    def __init__(self, fit: TextFitter, header_left: str, header_right: str, footer_left: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.fit = fit
        self.header_left = header_left
        self.header_right = header_right
        self.footer_left = footer_left
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(False)
        self._count_ops: list[tuple[int, str]] = []
        self.add_font(FONT, "", str(REGULAR_FONT))
        self.add_font(FONT, "B", str(BOLD_FONT))
        self.set_font(FONT, "", 7)

    def header(self) -> None:
        """Title and hosts on the left, generation time on the right, a rule under both."""
        width = self.w - 2 * MARGIN
        self.set_text_color(90, 90, 90)
        self.set_font(FONT, "", 7)
        right_width = self.fit.width(self.header_right, 7)
        self.text(MARGIN, 11, self.fit.fit(self.header_left, width - right_width - 4, 7))
        self.text(self.w - MARGIN - right_width, 11, self.header_right)
        self.set_draw_color(180, 180, 180)
        self.line(MARGIN, 12.5, self.w - MARGIN, 12.5)
        self.set_text_color(20, 20, 20)

    def footer(self) -> None:
        """``page X of Y`` on the left (Y filled in by :meth:`fill_page_count`), the filter in words right."""
        width = self.w - 2 * MARGIN
        self.set_font(FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.set_draw_color(180, 180, 180)
        self.line(MARGIN, FOOTER_AT - 2, self.w - MARGIN, FOOTER_AT - 2)
        baseline = FOOTER_AT + 2
        prefix = f"page {self.page_no()} of "
        self.text(MARGIN, baseline, prefix)
        x = MARGIN + self.fit.width(prefix, 7)
        self.text(x, baseline, PAGES_TOKEN)
        self._count_ops.append((self.page, self._text_op(x, baseline, PAGES_TOKEN)))
        words = self.fit.fit(self.footer_left, width - 34, 7)
        self.text(self.w - MARGIN - self.fit.width(words, 7), baseline, words)
        self.set_text_color(20, 20, 20)

    def _text_op(self, x: float, y: float, text: str) -> str:
        """The exact operator ``FPDF.text()`` writes for ``text`` at (x, y) in the current font."""
        assert self.current_font is not None
        return f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {self.current_font.encode_text(text)} ET"

    def fill_page_count(self) -> None:
        """Put the page count where each footer left its placeholder (all pages exist by now).

        fpdf2's own ``alias_nb_pages`` does this for ``cell()`` text, but a
        cell per page costs more than the rest of the footer; the operator
        replaced here includes the footer's position, so no other text on the
        page can match it.
        """
        self.set_font(FONT, "", 7)  # the footer's font: the one the operators were encoded with
        assert self.current_font is not None
        token = self.current_font.encode_text(PAGES_TOKEN)
        count = self.current_font.encode_text(str(self.pages_count))
        for page, operator in self._count_ops:
            contents = self.pages[page].contents
            assert isinstance(contents, bytearray)  # uncompressed until output: fpdf2 compresses at the end
            filled = operator.replace(token, count).encode("latin-1")
            self.pages[page].contents = contents.replace(operator.encode("latin-1"), filled)
        self._count_ops.clear()


def _draw_summary(
    pdf: ReportPDF, summary: Summary, *, title: str, lines: Sequence[tuple[str, str]],
    period: tuple[float | None, float | None],
) -> None:
    """Page 1: title, what the report covers, status counts, per-day chart, domains, failure reasons.

    Drawn when the document is closed, after the last footer, so it also fills in the page counts.
    """
    pdf.fill_page_count()
    fit = pdf.fit
    width = pdf.w - 2 * MARGIN
    pdf.set_text_color(20, 20, 20)
    pdf.set_font(FONT, "B", 15)
    pdf.set_xy(MARGIN, TOP + 1)
    pdf.cell(width, 8, fit.fit(title, width, 15))
    y = TOP + 11
    for label, value in lines:
        pdf.set_font(FONT, "B", 8.5)
        pdf.set_xy(MARGIN, y)
        pdf.cell(26, 4.6, label)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_xy(MARGIN + 26, y)
        pdf.cell(width - 26, 4.6, fit.fit(value, width - 28, 8.5))
        y += 4.6
    top = y + 4
    column = (width - 10) / 2
    y = _section(pdf, "Deliveries by status", MARGIN, top)
    rows = [(STATUS_LABELS[s], summary.by_status[s], summary.percent(s)) for s in Status]
    for label, count, percent in [*rows, ("Total", summary.total, 100.0 if summary.total else 0.0)]:
        bold = label == "Total"
        pdf.set_font(FONT, "B" if bold else "", 8.5)
        pdf.set_xy(MARGIN, y)
        pdf.cell(50, 4.6, label)
        pdf.cell(25, 4.6, f"{count:,}", align="R")
        pdf.cell(25, 4.6, f"{percent:.1f} %", align="R")
        y += 4.6
    y = _section(pdf, "Top recipient domains", MARGIN, y + 5)
    pdf.set_font(FONT, "B", 7.5)
    pdf.set_xy(MARGIN, y)
    for text, cell_width, align in (("Domain", 70, "L"), ("Deliveries", 22, "R"), ("Failed", 18, "R"),
                                    ("Failure rate", 22, "R")):
        pdf.cell(cell_width, 4.2, text, align=align)
    y += 4.4
    pdf.set_font(FONT, "", 7.5)
    for stat in summary.top_domains(10):
        pdf.set_xy(MARGIN, y)
        pdf.cell(70, 4.2, fit.fit(fit.clean(stat.domain), 68, 7.5))
        pdf.cell(22, 4.2, f"{stat.total:,}", align="R")
        pdf.cell(18, 4.2, f"{stat.failed:,}", align="R")
        pdf.cell(22, 4.2, f"{100 * stat.failure_rate:.1f} %", align="R")
        y += 4.2
    if not summary.domain_total:
        pdf.set_xy(MARGIN, y)
        pdf.cell(70, 4.2, "No deliveries.")
    right = MARGIN + column + 10
    y = _section(pdf, "Deliveries per day", right, top)
    draw_day_chart(pdf, summary.chart_days(*period), right, y + 1, column, 58)
    y = _section(pdf, "Most frequent failure reasons", right, y + 68)
    pdf.set_font(FONT, "", 7.5)
    reasons = summary.top_reasons(10)
    for reason, count in reasons:
        wrapped = fit.wrap(fit.clean(reason), column - 22, 7.5, 2)
        if y + 3.6 * len(wrapped) > TABLE_BOTTOM:
            break
        pdf.set_xy(right, y)
        pdf.cell(18, 3.6, f"{count:,}", align="R")
        for line in wrapped:
            pdf.set_xy(right + 20, y)
            pdf.cell(column - 20, 3.6, line)
            y += 3.6
        y += 0.8
    if not reasons:
        pdf.set_xy(right, y)
        pdf.cell(column, 4.2, "No failed deliveries.")


def _section(pdf: FPDF, title: str, x: float, y: float) -> float:
    """A bold section heading; returns the y below it."""
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(20, 20, 20)
    pdf.set_xy(x, y)
    pdf.cell(100, 6, title)
    return y + 7


def render_report(
    path: Path,
    rows: Rows,
    *,
    title: str,
    filter_words: str,
    hosts: Sequence[str],
    generated_at: float,
    tz: tzinfo,
    progress: Progress | None = None,
    total: int | None = None,
    period: tuple[float | None, float | None] = (None, None),
    file_mode: int = 0o600,
) -> ReportStats:
    """Write the report of ``rows()`` to ``path`` (atomically, mode ``file_mode``) and say what it holds.

    ``total`` (if known) is passed to ``progress`` as the expected row count;
    ``period`` (the filter's since/until) fixes the chart's days.
    """
    started = clock.perf_counter()
    fit = fitter()
    title = fit.clean(title) or "Mail delivery report"
    words = fit.clean(filter_words)
    generated = datetime.fromtimestamp(generated_at, tz)
    generated_words = f"{generated:%Y-%m-%d %H:%M} {zone_name(tz, generated)}"
    host_words = fit.clean(", ".join(hosts)) or "(no hosts)"
    pdf = ReportPDF(fit, f"{title} · {host_words}", f"generated {generated_words}", words)
    pdf.set_title(title)
    pdf.set_creator("tracktui")
    pdf.set_creation_date(generated)
    summary = Summary(tz)
    pdf.add_page()
    info = [("Hosts", host_words), ("Filter", words), ("Generated", generated_words)]
    pdf.insert_toc_placeholder(
        lambda _doc, _outline: _draw_summary(  # _doc is pdf itself
            pdf, summary, title=title, period=period,
            lines=[*info, ("Deliveries", f"{summary.total:,} in {len(summary.message_keys):,} messages")],
        ),
        pages=1,
    )
    table = DeliveryTable(pdf, fit, tz, left=MARGIN, bottom=TABLE_BOTTOM)
    table.start_page(new_page=False)  # the placeholder already moved on to page 2

    def counted() -> Iterable[tuple[DeliveryRow, Sequence[AttemptRow]]]:
        for item in rows():
            summary.add(item[0], item[1])
            if progress is not None and summary.total % PROGRESS_EVERY == 0:
                progress(summary.total, total)
            yield item

    for group in group_messages(counted()):
        table.draw_group(group)
    if summary.total == 0:
        pdf.set_xy(MARGIN, table.y + 4)
        pdf.set_font(FONT, "", 9)
        pdf.cell(100, 5, "No deliveries match this filter.")
    if progress is not None:
        progress(summary.total, total if total is not None else summary.total)
    path = Path(path)
    write_file_atomic(path, bytes(pdf.output()), mode=file_mode)  # random O_EXCL temp: no planted symlink
    return ReportStats(
        path=path,
        deliveries=summary.total,
        messages=len(summary.message_keys),
        pages=pdf.page_no(),
        size=path.stat().st_size,
        seconds=clock.perf_counter() - started,
        by_status=dict(summary.by_status),
    )
