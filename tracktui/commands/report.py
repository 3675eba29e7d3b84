"""``tracktui report``: a PDF of a filter (``--output``), or the monthly report (``--monthly``), mailed or kept.

Progress goes to stderr on a terminal only; stdout gets one line naming the
file (and where it was mailed), so cron mails stay short. Exit codes: 0
done (also when this month was already sent), 2 usage, 3 the mail server
could not be reached or refused the mail, or the first failed source's code
when ``--source``/``--profile`` sync failed (the report is still made from
the cache).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracktui.commands.common import (
    filter_from_args,
    load_config_for,
    now_and_zone,
    open_cache,
    sync_exit_code,
    sync_from_args,
)
from tracktui.errors import EXIT_OK, UsageError, os_reason
from tracktui.model import Filter
from tracktui.report.mailer import send_report
from tracktui.report.monthly import build_report, month_filter, month_of, record_sent, sent_at
from tracktui.report.pdf import Progress as ProgressCallback
from tracktui.report.pdf import ReportStats

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.config import Config


def run_report(args: argparse.Namespace, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run the report command; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    monthly = bool(getattr(args, "monthly", False))
    if not monthly:
        for option, value in (("--month", args.month), ("--mail-to", args.mail_to), ("--force", args.force)):
            if value:
                raise UsageError(f"{option} goes with --monthly")
        if not args.output:
            raise UsageError("say where to write the PDF with --output FILE.pdf (or use --monthly)")
    config = load_config_for(args)
    now, zone = now_and_zone()
    if monthly:
        return _run_monthly(args, config, now, zone, stdout, stderr)
    flt = filter_from_args(args, config, now=now, tz=zone)
    path = _output_path(args.output)
    with open_cache(args, config) as cache:
        sync_code = _sync_first(args, cache, config, stderr)
        stats = _render(cache, flt, path, zone, "Mail delivery report", now, stderr, config.report.file_mode_bits)
    print(f"{stats.path} ({stats.deliveries:,} deliveries, {stats.pages:,} pages)", file=stdout)
    return sync_code


def _run_monthly(
    args: argparse.Namespace, config: Config, now: datetime, zone: tzinfo, stdout: IO[str], stderr: IO[str]
) -> int:
    """Build the month's report; mail it unless it already went to that address this month (``--force``)."""
    month = month_of(args.month, now=now, tz=zone)
    to = args.mail_to or config.report.monthly_to
    if to and not args.force:
        when = sent_at(month.label, to)
        if when is not None:
            sent = datetime.fromtimestamp(when, zone).strftime("%Y-%m-%d %H:%M")
            print(f"tracktui: the {month.label} report was already sent to {to} on {sent}; --force sends it again",
                  file=stderr)
            return EXIT_OK
    if args.output:
        path = _output_path(args.output)
    else:
        directory = Path(config.report.output_dir).expanduser()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot create the report directory {directory}: {os_reason(error)}") from error
        path = directory / f"tracktui-monthly-{month.label}.pdf"
    title = f"Monthly mail delivery report, {month.words}"
    with open_cache(args, config) as cache:
        sync_code = _sync_first(args, cache, config, stderr)
        stats = _render(cache, month_filter(month), path, zone, title, now, stderr, config.report.file_mode_bits)
    if not to:
        print(f"{stats.path} ({stats.deliveries:,} deliveries; not mailed: no --mail-to and no monthly_to "
              "in the config)", file=stdout)
        return sync_code
    body = (f"{title}\n\n{stats.deliveries:,} deliveries, {stats.pages:,} pages; the report is attached.\n\n"
            "-- \ntracktui\n")
    send_report(stats.path, to=to, settings=config.report, subject=title, body=body)
    record_sent(month.label, to)
    print(f"{stats.path} sent to {to} ({stats.deliveries:,} deliveries)", file=stdout)
    return sync_code


def _output_path(text: str) -> Path:
    """``--output`` as a path whose directory exists."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise UsageError(f"--output {text} is a directory; give a file name such as report.pdf")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {text}: directory {path.parent} does not exist")
    return path


def _sync_first(args: argparse.Namespace, cache: Cache, config: Config, stderr: IO[str]) -> int:
    if getattr(args, "source", None) or getattr(args, "profile", None):
        return sync_exit_code(sync_from_args(args, cache, config, err=stderr))
    return EXIT_OK


def _render(cache: Cache, flt: Filter, path: Path, zone: tzinfo, title: str, now: datetime, stderr: IO[str],
            file_mode: int = 0o600) -> ReportStats:
    """Render with a progress bar; a file that cannot be written is a usage error (fix the path)."""
    try:
        with _progress(stderr) as progress:
            return build_report(cache, flt, path, tz=zone, title=title, progress=progress, now=now.timestamp(),
                                file_mode=file_mode)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {os_reason(error)}") from error


@contextmanager
def _progress(stderr: IO[str]) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on a terminal; nothing when stderr is piped (cron, scripts)."""
    if not stderr.isatty():
        yield None
        return
    console = Console(file=stderr, highlight=False, markup=False, emoji=False)
    with Progress(
        TextColumn("report"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("deliveries"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task("report", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
