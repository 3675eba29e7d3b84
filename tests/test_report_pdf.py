"""render_report: the PDF's text matches the rows it was given, it renders, and hostile text stays in its column."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from tracktui.model import AttemptRow, DeliveryRow, Status
from tracktui.report.glyphs import BOLD_FONT, FONT_LICENSE, REGULAR_FONT
from tracktui.report.layout import COLUMNS
from tracktui.report.pdf import MARGIN, TABLE_BOTTOM, TOP, ReportStats, render_report
from tracktui.report.sample import sample_rows
from tracktui.report.words import STATUS_LABELS

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b")
PT_PER_MM = 72 / 25.4
HOSTILE_SUBJECTS = (
    "[bold]not bold[/bold] [@click=app.quit] status=[/deferred]",
    "日本語の件名：請求書のお知らせ 中文主题",
    "مرحبا بالعالم — فاتورة الشهر",
    "Emoji 😀🎉👍🏽 and flags 🇩🇪",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 nul\x00 tab\tend",
    "W" * 10_000,
    "word " * 2_000,
    "{pages} {nb} of",
)

Rows = list[tuple[DeliveryRow, list[AttemptRow]]]


def _render(tmp_path: Path, rows: Rows, name: str = "report.pdf", **kwargs: object) -> ReportStats:
    options: dict[str, object] = {
        "title": "Mail delivery report", "filter_words": "All deliveries, 1–30 November 2026",
        "hosts": ["mx1.sender.example"], "generated_at": 1_795_000_000.0, "tz": BERLIN,
    }
    options.update(kwargs)
    return render_report(tmp_path / name, lambda: iter(rows), **options)  # type: ignore[arg-type]


def _texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_summary_and_rows_match_the_data(tmp_path: Path) -> None:
    rows = list(sample_rows(300, seed=7))
    stats = _render(tmp_path, rows)
    pages = _texts(stats.path)
    assert stats.pages == len(pages) > 5
    counts = Counter(row.status for row, _ in rows)
    assert stats.deliveries == 300 and stats.by_status == dict(counts)
    summary = pages[0]
    for status in Status:
        percent = 100 * counts[status] / 300
        assert re.search(rf"{STATUS_LABELS[status]} {counts[status]} {percent:.1f} %", summary), status
    messages = len({row.message_key for row, _ in rows})
    assert f"Deliveries 300 in {messages} messages" in summary
    assert "Filter All deliveries, 1–30 November 2026" in summary
    body = "\n".join(pages[1:])
    stamps = STAMP.findall(body)
    assert len(stamps) == 300
    assert Counter(stamps) == Counter(
        __import__("datetime").datetime.fromtimestamp(int(row.time), BERLIN).strftime("%Y-%m-%d %H:%M:%S")
        for row, _ in rows
    )
    for row, _ in rows[:50]:
        assert row.queue_id in body
        assert row.recipient.split("@")[0] in body
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text


def test_recipients_of_one_message_read_as_one_group(tmp_path: Path) -> None:
    base = next(sample_rows(1, seed=3))
    rows: Rows = []
    for index in range(4):
        row = replace(base[0], delivery_id=index + 1, recipient=f"r{index}@example.org", time=base[0].time - index)
        rows.append((row, base[1]))
    other = replace(base[0], delivery_id=9, message_key=base[0].message_key + 1, sender="other@sender.example",
                    queue_id="FFFF0000", time=base[0].time - 10)
    rows.append((other, base[1]))
    text = "\n".join(_texts(_render(tmp_path, rows).path)[1:])
    assert text.count(base[0].sender or "") == 1
    assert text.count(base[0].queue_id) == 1
    assert all(f"r{index}@example.org" in text for index in range(4))
    assert "other@sender.example" in text and "FFFF0000" in text


def _column_overflows(path: Path) -> list[str]:
    """Text fragments on table pages that run past the right edge of the column they start in."""
    measure = FPDF()
    measure.add_font("m", "", str(REGULAR_FONT))
    measure.add_font("m", "B", str(BOLD_FONT))
    edges: list[tuple[float, float]] = []
    x = MARGIN
    for column in COLUMNS:
        edges.append((x * PT_PER_MM, (x + column.width) * PT_PER_MM))
        x += column.width
    problems: list[str] = []
    reader = PdfReader(path)
    page_width = float(reader.pages[0].mediabox.width)
    page_height = float(reader.pages[0].mediabox.height)
    low, high = page_height - TABLE_BOTTOM * PT_PER_MM, page_height - TOP * PT_PER_MM
    for page in reader.pages[1:]:
        fragments: list[tuple[str, float, float]] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float,
                  into: list[tuple[str, float, float]] = fragments) -> None:
            if text.strip() and low < tm[5] < high:  # inside the table, not the running header/footer
                into.append((text.strip(), tm[4], size))

        page.extract_text(visitor_text=visit)
        for text, left, size in fragments:
            measure.set_font("m", "", size)
            width = measure.get_string_width(text) * PT_PER_MM
            if left + width > page_width - MARGIN * PT_PER_MM + 0.5:
                problems.append(f"off the page: {text[:40]!r}")
            for start, end in edges:
                if start - 0.5 <= left < end and left + width > end + 0.5:
                    problems.append(f"past its column: {text[:40]!r}")
    return problems


def test_hostile_and_non_latin_subjects_stay_inside_their_columns(tmp_path: Path) -> None:
    rows: Rows = []
    for index, (row, attempts) in enumerate(sample_rows(len(HOSTILE_SUBJECTS) * 3, seed=5)):
        subject = HOSTILE_SUBJECTS[index % len(HOSTILE_SUBJECTS)]
        hostile = replace(row, subject=subject, reply=f"550 5.7.1 {subject}", sender=f"x{subject[:300]}@e.example")
        rows.append((hostile, attempts))
    stats = _render(tmp_path, rows, title="[bold]Report[/bold] \x1b[31m", hosts=["mx1", "[@click=app.quit]"])
    assert stats.deliveries == len(rows)
    assert _column_overflows(stats.path) == []
    text = "\n".join(_texts(stats.path))
    assert "[bold]not bold[/bold] [@click=app.quit]" in text
    assert "550 5.7.1 {pages} {nb} of" in text  # page-count placeholders in data stay as they are
    assert "\ufffd" in text  # CJK has no glyph in DejaVu Sans: a visible replacement mark
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "[@click=app.quit]" in text.split("\n", 1)[0]  # the host list, as plain text in the header


def test_sample_data_stays_inside_columns(tmp_path: Path) -> None:
    assert _column_overflows(_render(tmp_path, list(sample_rows(120, seed=11))).path) == []


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is a CI system package")
def test_first_page_renders_with_pdftoppm(tmp_path: Path) -> None:
    stats = _render(tmp_path, list(sample_rows(50, seed=2)))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(stats.path), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=60)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 2
    assert all(image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 2000 for image in images)


def test_empty_report_says_so(tmp_path: Path) -> None:
    stats = _render(tmp_path, [])
    pages = _texts(stats.path)
    assert stats.deliveries == 0 and stats.pages == 2
    assert "Total 0" in pages[0] and "No failed deliveries." in pages[0]
    assert "No deliveries match this filter." in pages[1]


def test_progress_reports_rows_and_the_end(tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    _render(tmp_path, list(sample_rows(600, seed=4)), progress=lambda done, total: calls.append((done, total)),
            total=600)
    assert calls[-1] == (600, 600)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) >= 3


def test_the_output_file_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    def broken() -> object:
        yield next(sample_rows(1))
        raise RuntimeError("cache went away")

    with pytest.raises(RuntimeError):
        render_report(tmp_path / "r.pdf", broken, title="t", filter_words="f", hosts=[], generated_at=0.0,
                      tz=BERLIN)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_font_and_licence_are_shipped() -> None:
    assert REGULAR_FONT.stat().st_size > 500_000 and BOLD_FONT.stat().st_size > 500_000
    assert "Bitstream" in FONT_LICENSE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_wheel_contains_the_fonts(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    names = set(zipfile.ZipFile(next(tmp_path.glob("tracktui-*.whl"))).namelist())
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert f"tracktui/report/fonts/{name}" in names


def test_group_messages_gathers_interleaved_recipients_within_the_window() -> None:
    from tracktui.report.layout import group_messages

    base, attempts = next(sample_rows(1))
    keys = [1, 2, 1, 3, 2, 1]
    rows = [(replace(base, message_key=key, delivery_id=index), attempts) for index, key in enumerate(keys)]
    grouped = [[row.delivery_id for row, _ in group] for group in group_messages(rows)]
    assert grouped == [[0, 2, 5], [1, 4], [3]]
    narrow = [[row.delivery_id for row, _ in group] for group in group_messages(rows, window=2)]
    assert sorted(i for group in narrow for i in group) == list(range(6))  # nothing lost or repeated
    assert narrow[0] == [0, 2]  # released two rows after it started: message 1's last recipient comes alone later
    assert [5] in narrow
