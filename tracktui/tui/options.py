"""What the app is started with: sources, cache, pre-filled form, clock and zone.

Built by :mod:`tracktui.commands.app` from the command line (and by tests,
benchmarks and the demo with a fixed clock), so every way of starting the app
goes through :func:`tracktui.tui.app.build_app` with one of these.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from tracktui.journeys.locality import DEFAULT_LOCALITY, Locality
from tracktui.model import DEFAULT_RETENTION_DAYS
from tracktui.tui.widgets.filter_form import FormValues

if TYPE_CHECKING:
    from tracktui.config import Profile
    from tracktui.sources import AuthCallbacks


@dataclass(slots=True)
class AppOptions:
    """Everything :func:`~tracktui.tui.app.build_app` needs."""

    tz: tzinfo
    """Zone in which times are shown and typed dates are read."""
    sources: tuple[str, ...] = ()
    profiles: tuple[Profile, ...] = ()
    cache_url: str | None = None
    """``None``: the default cache; the demo passes a temporary one."""
    form: FormValues = field(default_factory=FormValues)
    clock: Callable[[], float] = time.time
    """Epoch seconds now; fixed in tests and snapshots."""
    retention_days: int = DEFAULT_RETENTION_DAYS
    mta: str | None = None
    log_tz: tzinfo | None = None
    """Zone of year-less log stamps (``--tz``), ``None``: local."""
    accept_new_host_key: bool = False
    sync_on_start: bool = True
    refresh_seconds: float | None = None
    follow: bool = False
    """Start following: sync again a few seconds after each sync ends (``f`` toggles it)."""
    """Sync again this long after the previous sync finished (``None``: only on ``r``)."""
    config_path: Path | None = None
    locality: Locality = DEFAULT_LOCALITY
    """Our own relays and clients (the config's ``internal_relays`` and profile hosts), for journeys."""
    title: str = "tracktui"
    page_size: int = 100
    auth: AuthCallbacks | None = None
    """Prompt answers of this session (the login's password), kept in memory only, for later syncs."""
    browse_only: bool = False
    """Open the main screen on the cache alone (no source, no sync): benchmarks and read-only use."""

    def queue_lifetime(self, host: str) -> float | None:
        """Seconds a profile's ``queue_lifetime_days`` gives the MTA on ``host``; ``None``: the MTA's default.

        A log names its host as the host itself writes it (often the full name), a profile as the user
        typed it: they match on the profile's ``host_name`` or target host, full or up to the first dot.
        """
        wanted = host.lower()
        for profile in self.profiles:
            if profile.queue_lifetime_days is None:
                continue
            names = {profile.host_name or "", profile.target.rpartition("@")[2].rsplit(":", 1)[0]}
            for name in filter(None, (n.lower() for n in names)):
                if wanted in (name, name.split(".")[0]) or wanted.split(".")[0] == name:
                    return profile.queue_lifetime_days * 86400.0
        return None

    @property
    def needs_login(self) -> bool:
        """No source named (and not browsing the cache alone): start at the login screen."""
        return not self.sources and not self.profiles and not self.browse_only

    def now(self) -> datetime:
        """The clock as an aware datetime."""
        return datetime.fromtimestamp(self.clock(), tz=UTC)
