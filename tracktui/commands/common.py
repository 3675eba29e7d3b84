"""Helpers every command shares: config and cache from the options, the filter, terminal prompts, sync progress.

``sync``, ``search`` and ``report`` read the same options (see
``tracktui/__main__.py``) and must treat them the same way, so the glue
lives here once. Progress and prompts go to stderr, never stdout: stdout is
for the data a script consumes.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO, cast

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TaskID, TextColumn

from tracktui.dates import local_zone, resolve_zone
from tracktui.errors import EXIT_OK, CacheError, UsageError
from tracktui.filters import build_filter
from tracktui.textsafe import sanitize

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.config import Config, Profile
    from tracktui.model import Filter
    from tracktui.sources import AuthCallbacks
    from tracktui.sync import SyncProgress, SyncReport


# -- config, cache, filter ------------------------------------------------------------------------


def load_config_for(args: argparse.Namespace) -> Config:
    """The config file ``--config`` names, or the default one (``TRACKTUI_CONFIG``, user config dir)."""
    from tracktui.config import load_config

    path = getattr(args, "config", None)
    return load_config(Path(path).expanduser() if path else None)


def cache_url_for(args: argparse.Namespace, config: Config) -> str | None:
    """``--cache``, else the config's ``cache``, else ``None`` (the default SQLite file)."""
    return getattr(args, "cache", None) or config.cache_url or None


def open_cache(args: argparse.Namespace, config: Config) -> Cache:
    """Open the cache the options and config name (caller closes it; it is a context manager)."""
    from tracktui.cache import Cache

    url = cache_url_for(args, config)
    reads_only = getattr(args, "command", None) in ("search", "report", "check") and not (
        getattr(args, "source", None) or getattr(args, "profile", None)
    )
    if reads_only:
        require_existing_cache(url)  # and do not create one
    cache = Cache.open(url, retention_days=config.retention_days)
    cache.use_locality(config.locality())
    for notice in cache.notices:  # e.g. "cache ... was made by an older tracktui; rebuilt"
        print(f"tracktui: {sanitize(notice, max_length=500)}", file=sys.stderr)
    return cache


def require_existing_cache(url: str | None) -> None:
    """A command that only reads (``search``, ``report``, browsing the app) never creates a cache: say so."""
    from tracktui.cache.db import resolve

    target = resolve(url)
    if target.kind == "sqlite" and target.path is not None and not target.path.exists():
        raise CacheError(f"no cache at {target.display} (run tracktui sync first)")


def now_and_zone() -> tuple[datetime, tzinfo]:
    """The current instant in the local zone, and that zone: what typed dates are relative to."""
    zone = local_zone()
    return datetime.now(zone), zone


def filter_from_args(
    args: argparse.Namespace,
    config: Config,
    *,
    now: datetime,
    tz: tzinfo,
    default_since: str | None = "today",
) -> Filter:
    """The :class:`Filter` for the filter options (``--status``, ``--since``, ``--to``...)."""
    return build_filter(
        status=getattr(args, "status", None),
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
        recipient=getattr(args, "recipient", None),
        sender=getattr(args, "sender", None),
        subject=getattr(args, "subject", None),
        hosts=getattr(args, "host", None) or (),
        queue_id=getattr(args, "queue_id", None),
        message_id=getattr(args, "message_id", None),
        direction=getattr(args, "direction", None),
        # Nobody remembers the day of a queue id: an id searches the whole retention window.
        default_since=None if getattr(args, "queue_id", None) or getattr(args, "message_id", None)
        else default_since,
        now=now,
        tz=tz,
        retention_days=config.retention_days,
    )


def profiles_for(args: argparse.Namespace, config: Config) -> list[Profile]:
    """The config profiles ``--profile`` names, in order; an unknown name is a usage error listing the known ones."""
    chosen: list[Profile] = []
    for name in getattr(args, "profile", None) or ():
        profile = config.profiles.get(name)
        if profile is None:
            known = ", ".join(sorted(config.profiles)) or "none defined"
            raise UsageError(f"no profile named {name!r} in the config (profiles: {known})")
        chosen.append(profile)
    return chosen


# -- prompts --------------------------------------------------------------------------------------

PauseFactory = Callable[[], AbstractContextManager[object]]


def cli_auth(
    *,
    interactive: bool | None = None,
    pause: PauseFactory | None = None,
    stream: IO[str] | None = None,
) -> AuthCallbacks:
    """Terminal prompts for SSH: password and key passphrase via getpass, host key confirmation as yes/no.

    Without a terminal on stdin (cron, pipes) every prompt answers "no"
    (``None``/``False``), so the source fails with its one-line error instead
    of hanging. ``pause`` stops a live progress display while a prompt is up.
    Prompts go to stderr; answers are never stored.
    """
    from tracktui.sources import AuthCallbacks

    tty = sys.stdin.isatty() if interactive is None else interactive
    out = cast(TextIO, stream if stream is not None else sys.stderr)  # getpass wants a TextIO
    paused = pause or nullcontext

    def password(prompt: str) -> str | None:
        if not tty:
            return None
        with paused():
            return getpass.getpass(sanitize(prompt) or "Password: ", stream=out) or None

    def passphrase(key_path: str) -> str | None:
        if not tty:
            return None
        with paused():
            return getpass.getpass(f"Passphrase for key {sanitize(key_path)}: ", stream=out) or None

    def confirm_host_key(host: str, key_type: str, fingerprint: str) -> bool:
        if not tty:
            return False
        with paused():
            out.write(
                f"The authenticity of host {sanitize(host)!r} can't be established.\n"
                f"{sanitize(key_type)} key fingerprint is {sanitize(fingerprint)}.\n"
                "Compare it with the fingerprint the host's administrator gave you.\n"
                "Accept and remember this key? [yes/no] "
            )
            out.flush()
            answer = sys.stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    return AuthCallbacks(password=password, passphrase=passphrase, confirm_host_key=confirm_host_key)


# -- sync progress --------------------------------------------------------------------------------


class SyncProgressDisplay:
    """Live per-source progress (bytes, lines, deliveries) on stderr; silent when disabled.

    Use as a context manager and pass the instance as ``progress=`` to
    :func:`tracktui.sync.sync_sources`. Called from sync worker threads
    (rich's ``Progress`` is thread-safe). Enabled by default only when stderr
    is a terminal, so piped and cron runs stay quiet.
    """

    def __init__(self, *, enabled: bool | None = None, file: IO[str] | None = None) -> None:
        self.file = file if file is not None else sys.stderr
        self.enabled = self.file.isatty() if enabled is None else enabled
        self._tasks: dict[str, TaskID] = {}
        self._progress: Progress | None = None
        if self.enabled:
            console = Console(file=self.file, highlight=False, markup=False, emoji=False)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                BarColumn(bar_width=24),
                DownloadColumn(),
                TextColumn("{task.fields[lines]:>10,} lines", markup=False),
                TextColumn("{task.fields[deliveries]:>9,} deliveries", markup=False),
                console=console,
                transient=False,
            )

    def __enter__(self) -> SyncProgressDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop redrawing while a prompt owns the terminal."""
        if self._progress is None or not self._progress.live.is_started:
            yield
            return
        self._progress.stop()
        try:
            yield
        finally:
            self._progress.start()

    def __call__(self, event: SyncProgress) -> None:
        if self._progress is None:
            return
        key = event.source
        name = sanitize(event.host or event.source, max_length=60)
        phase = event.phase
        description = f"{name} ({sanitize(event.label, max_length=40)})" if event.label and phase == "reading" else name
        if phase == "failed":
            description = f"{name}: failed"
        elif phase in ("connecting", "listing"):
            description = f"{name}: {phase}"
        deliveries = getattr(event, "deliveries", 0)
        task = self._tasks.get(key)
        if task is None:
            task = self._progress.add_task(description, total=event.bytes_total, lines=0, deliveries=0)
            self._tasks[key] = task
        finished = phase in ("done", "failed")
        total = event.bytes_total if event.bytes_total else (event.bytes_done if finished else None)
        self._progress.update(
            task,
            description=description,
            completed=event.bytes_done,
            total=total,
            lines=event.lines,
            deliveries=deliveries,
        )


# -- sync before a query --------------------------------------------------------------------------


def sync_from_args(
    args: argparse.Namespace,
    cache: Cache,
    config: Config,
    *,
    quiet: bool = False,
    err: IO[str] | None = None,
) -> SyncReport:
    """Sync the ``--source`` URLs and ``--profile`` sources into ``cache``, showing progress on a terminal."""
    from tracktui.sync import sync_sources

    profiles = profiles_for(args, config)
    zone = resolve_zone(args.tz) if getattr(args, "tz", None) else None
    stream = err if err is not None else sys.stderr
    display = SyncProgressDisplay(enabled=False if quiet else None, file=stream)
    with display:
        report = sync_sources(
            cache,
            list(getattr(args, "source", None) or ()),
            profiles=profiles,
            mta=getattr(args, "mta", None),
            tz=zone,
            accept_new_host_key=bool(getattr(args, "accept_new_host_key", False)),
            auth=cli_auth(pause=display.paused),
            progress=display,
            retention_days=config.retention_days,
            rescan=bool(getattr(args, "rescan", False)),
        )
    print_sync_problems(report, stream)
    return report


def print_sync_problems(report: SyncReport, file: IO[str]) -> None:
    """One line per failed source, per warning (a file skipped) and per source with malformed lines, on ``file``."""
    for result in report.results:
        if result.error is not None:
            print(f"tracktui: {sanitize(str(result.error), max_length=500)}", file=file)
        for warning in result.warnings:
            print(f"tracktui: warning: {sanitize(warning, max_length=500)}", file=file)
        if result.malformed:
            first = result.malformed_examples[0] if result.malformed_examples else ""
            print(
                f"tracktui: {sanitize(result.url, max_length=200)}: skipped {result.malformed:,} malformed "
                f"line{'s' if result.malformed != 1 else ''}"
                + (f" (first: {sanitize(first, max_length=120)})" if first else ""),
                file=file,
            )


def sync_exit_code(report: SyncReport) -> int:
    """0, or the exit code of the first failed source (3 host unreachable, 4 source unreadable)."""
    for error in report.errors:
        return error.exit_code
    return EXIT_OK
