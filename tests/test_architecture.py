"""The layout is the architecture: each third-party heavyweight stays inside its own layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracktui"

# library -> the only subpackage (relative to tracktui/) allowed to import it
CONFINED = {
    "textual": "tui",
    "peewee": "cache",
    "playhouse": "cache",
    "psycopg2": "cache",
    "paramiko": "sources",
    "fpdf": "report",
}
# layers that must stay pure (no I/O libraries at all)
PURE = ("parsers", "correlate.py", "model.py", "rows.py", "smtp.py", "smtp_codes.py", "providers.py", "health",
        "journeys", "statuses.py")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("tracktui."):
                names.add(node.module)
    return names


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_third_party_libraries_stay_in_their_layer(path: Path) -> None:
    relative = path.relative_to(PACKAGE)
    layer = relative.parts[0]
    for name in imported_modules(path):
        home = CONFINED.get(name)
        if home is not None:
            assert layer == home, f"{relative} imports {name}, which only tracktui/{home}/ may import"


@pytest.mark.parametrize(
    "path",
    [p for p in SOURCES if p.relative_to(PACKAGE).parts[0] in PURE],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_engine_core_does_no_io(path: Path) -> None:
    forbidden = {"socket", "subprocess", "sqlite3", "paramiko", "peewee", "textual", "tracktui.cache",
                 "tracktui.sources", "tracktui.tui"}
    relative = path.relative_to(PACKAGE)
    assert not (imported_modules(path) & forbidden), f"{relative} must stay pure"


def test_views_read_only_through_the_query_api() -> None:
    for path in (PACKAGE / "tui").rglob("*.py"):
        names = imported_modules(path)
        assert "tracktui.parsers" not in names and not any(n.startswith("tracktui.parsers.") for n in names), path
        assert not any(n.startswith("tracktui.cache.") for n in names), f"{path}: use tracktui.cache.Cache only"
