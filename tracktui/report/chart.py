"""The per-day stacked bar chart of the summary page, drawn with fpdf2 vector primitives only."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from fpdf import FPDF

from tracktui.report.summary import DayCounts
from tracktui.report.words import MONTHS

FONT = "dejavu"
SERIES: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    ("delivered", "Delivered", (46, 140, 70)),
    ("temporary", "Temporarily rejected", (230, 160, 30)),
    ("permanent", "Permanently rejected", (200, 40, 40)),
)


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def draw_day_chart(pdf: FPDF, days: Sequence[tuple[date, DayCounts]], x: float, y: float, w: float, h: float) -> None:
    """Stacked bars per day (delivered, temporarily, permanently rejected), axis, ticks and legend."""
    pdf.set_font(FONT, "", 6.5)
    pdf.set_text_color(60, 60, 60)
    legend_x = x
    for _name, label, colour in SERIES:
        pdf.set_fill_color(*colour)
        pdf.rect(legend_x, y, 3, 3, style="F")
        pdf.text(legend_x + 4, y + 2.5, label)
        legend_x += 6 + pdf.get_string_width(label)
    if not days:
        pdf.text(x, y + 12, "No deliveries in this period.")
        return
    axis_w = 12.0
    plot_x, plot_y = x + axis_w, y + 7
    plot_w, plot_h = w - axis_w, h - 7 - 8
    step = nice_ceiling(math.ceil(max((counts.total for _day, counts in days), default=0) / 4))
    top = 4 * step
    pdf.set_draw_color(215, 215, 215)
    pdf.set_line_width(0.15)
    for tick in range(5):
        ty = plot_y + plot_h - plot_h * tick / 4
        pdf.line(plot_x, ty, plot_x + plot_w, ty)
        label = f"{step * tick:,}"
        pdf.text(plot_x - 1.5 - pdf.get_string_width(label), ty + 1, label)
    slot = plot_w / len(days)
    bar = max(slot * 0.72, 0.2)
    label_every = max(1, math.ceil(len(days) / 16))
    for index, (day, counts) in enumerate(days):
        bx = plot_x + index * slot + (slot - bar) / 2
        base = plot_y + plot_h
        for name, _label, colour in SERIES:
            value = getattr(counts, name)
            if not value:
                continue
            height = plot_h * value / top
            pdf.set_fill_color(*colour)
            pdf.rect(bx, base - height, bar, height, style="F")
            base -= height
        if index % label_every == 0:
            label = str(day.day)
            if index == 0 or day.day <= label_every:
                label = f"{day.day} {MONTHS[day.month - 1][:3]}"
            lx = plot_x + index * slot + slot / 2 - pdf.get_string_width(label) / 2
            pdf.text(max(lx, plot_x - 2), plot_y + plot_h + 3.5, label)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.25)
    pdf.line(plot_x, plot_y + plot_h, plot_x + plot_w, plot_y + plot_h)
    pdf.line(plot_x, plot_y, plot_x, plot_y + plot_h)
    pdf.set_line_width(0.2)
    pdf.set_text_color(20, 20, 20)
