"""``tracktui sync``: read what is new in the sources into the cache."""

from __future__ import annotations

import argparse
import sys
from typing import IO

from tracktui.commands.common import load_config_for, open_cache, profiles_for, sync_exit_code, sync_from_args
from tracktui.errors import UsageError
from tracktui.textsafe import sanitize


def run_sync(args: argparse.Namespace, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Sync ``--source``/``--profile`` (default: every configured profile) and summarise per source.

    Progress goes to stderr on a terminal only; the summary (one line per
    source) goes to stdout so cron mails show what was read.
    """
    out = out if out is not None else sys.stdout
    config = load_config_for(args)
    if not args.source and not args.profile:
        if not config.profiles:
            raise UsageError(
                "nothing to sync: give --source URL or --profile NAME, or add [profiles] to the config file"
            )
        args.profile = sorted(config.profiles)
    profiles_for(args, config)  # unknown profile names fail here, before anything is opened
    with open_cache(args, config) as cache:
        report = sync_from_args(args, cache, config, quiet=args.quiet, err=err)
    for result in report.results:
        if result.error is not None:
            continue
        line = f"{sanitize(result.url, max_length=200)}: {result.lines:,} lines, {result.deliveries:,} deliveries"
        if result.mta:
            line += f" ({result.mta})"
        print(line, file=out)
    if report.pruned:
        print(f"pruned {report.pruned:,} deliveries older than {config.retention_days} days", file=out)
    return sync_exit_code(report)
