"""PDF reports are written through an unpredictable temp file, privately unless configured otherwise."""

from __future__ import annotations

import stat
from datetime import UTC
from pathlib import Path

from tracktui.report.pdf import render_report


def _render(path: Path, **options: int) -> None:
    render_report(path, lambda: iter([]), title="t", filter_words="all", hosts=["mx1"], generated_at=0.0, tz=UTC,
                  **options)


def test_planted_symlink_at_the_old_part_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    reports = tmp_path / "reports"
    reports.mkdir()
    planted = reports / ".report.pdf.part"
    planted.symlink_to(victim)
    _render(reports / "report.pdf")
    assert victim.read_text() == "precious\n"
    assert (reports / "report.pdf").read_bytes().startswith(b"%PDF")
    assert planted.is_symlink()  # not ours: left as it was
    assert sorted(p.name for p in reports.iterdir()) == [".report.pdf.part", "report.pdf"]


def test_report_is_private_under_any_umask(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "report.pdf"
    _render(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_configured_file_mode_is_used(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "report.pdf"
    _render(path, file_mode=0o644)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
