"""``tracktui`` and ``tracktui demo``: start the terminal app."""

from __future__ import annotations

import argparse

from tracktui.errors import UsageError


def run_app(args: argparse.Namespace, *, demo: bool) -> int:
    """Open the TUI (login screen, or the main screen on --source / the demo data)."""
    raise UsageError("the terminal app is not built yet; use 'tracktui --help'")
