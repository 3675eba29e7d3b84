"""``tracktui`` and ``tracktui demo``: start the terminal app."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tracktui.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from tracktui.demo import Demo
    from tracktui.tui.options import AppOptions

STATUS_TO_GROUP = {
    None: "delivered",
    "delivered": "delivered",
    "deferred": "temporary",
    "temporary": "temporary",
    "bounced": "permanent",
    "expired": "permanent",
    "permanent": "permanent",
    "all": "all",
}
"""``--status`` values onto the form's four groups (bounced/expired both live under "Permanently rejected")."""
DEMO_SINCE = "-7d"
"""The demo opens on a week of mail, so every outcome is on screen at once."""


def options_from_args(args: argparse.Namespace, *, demo: Demo | None = None) -> AppOptions:
    """The app's options for these command-line arguments (and the demo's data, for ``tracktui demo``)."""
    from tracktui.config import load_config
    from tracktui.dates import local_zone, resolve_zone
    from tracktui.tui.options import AppOptions
    from tracktui.tui.widgets.filter_form import FormValues

    config_path = Path(args.config).expanduser() if getattr(args, "config", None) else None
    config = load_config(config_path)
    profiles = []
    for name in getattr(args, "profile", None) or []:
        if name not in config.profiles:
            known = ", ".join(sorted(config.profiles)) or "none configured"
            raise UsageError(f"unknown profile {name!r} (known: {known})")
        profiles.append(config.profiles[name])
    since = getattr(args, "since", None) or (DEMO_SINCE if demo is not None else "today")
    form = FormValues(
        status=STATUS_TO_GROUP[getattr(args, "status", None)],
        since=since,
        until=getattr(args, "until", None) or "",
        recipient=getattr(args, "recipient", None) or "",
        sender=getattr(args, "sender", None) or "",
        subject=getattr(args, "subject", None) or "",
    )
    options = AppOptions(
        tz=local_zone(),
        sources=tuple(getattr(args, "source", None) or ()),
        profiles=tuple(profiles),
        cache_url=getattr(args, "cache", None) or config.cache_url,
        form=form,
        retention_days=config.retention_days,
        mta=getattr(args, "mta", None),
        log_tz=resolve_zone(args.tz) if getattr(args, "tz", None) else None,
        accept_new_host_key=bool(getattr(args, "accept_new_host_key", False)),
        config_path=config_path,
        locality=config.locality(),
        follow=bool(getattr(args, "follow", False)),
        # --cache without a source: browse what cron syncs there, no login screen (never a new cache)
        browse_only=bool(getattr(args, "cache", None)) and not getattr(args, "source", None) and not profiles,
    )
    if demo is not None:  # the demo's own logs and throw-away cache, never the user's
        options.sources = demo.sources
        options.profiles = ()
        options.cache_url = demo.cache_url
        options.title = "tracktui demo"
    return options


def run_app(args: argparse.Namespace, *, demo: bool) -> int:
    """Open the TUI (login screen, or the main screen on --source/--profile or the demo data)."""
    if not demo:
        return _run(options_from_args(args))
    from tracktui.demo import prepare_demo

    with prepare_demo() as data:
        return _run(options_from_args(args, demo=data))


def _run(options: AppOptions) -> int:
    from tracktui.commands.common import require_existing_cache
    from tracktui.tui.app import build_app

    if options.browse_only:
        require_existing_cache(options.cache_url)

    app = build_app(options)
    try:
        result = app.run()
    finally:
        app.close_cache()
    return EXIT_OK if result is None else int(result)
