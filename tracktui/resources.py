"""Locate files shipped with the package (Textual CSS), in wheel and editable installs."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """Directory holding the ``.tcss`` files.

    A wheel carries them inside the package (``tracktui/styles``, hatchling
    force-include); an editable install or a source checkout has them at the
    repository root (``styles/``).
    """
    inside = _PACKAGE_DIR / "styles"
    if inside.is_dir():
        return inside
    beside = _PACKAGE_DIR.parent / "styles"
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"tracktui styles not found in {inside} or {beside}")


def stylesheet(name: str) -> Path:
    """Path of one shipped stylesheet, e.g. ``stylesheet("app.tcss")``."""
    path = styles_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"tracktui stylesheet missing: {path}")
    return path
