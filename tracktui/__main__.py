"""Command line: parse arguments, hand over to a command or the TUI. Nothing else lives here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tracktui import __version__, engine
from tracktui.errors import EXIT_USAGE, TracktuiError
from tracktui.filters import DIRECTION_CHOICES

STATUS_CHOICES = ("delivered", "deferred", "bounced", "expired", "in-transit", "deleted", "temporary", "permanent",
                  "all")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the mistake and where to look, not the whole usage block."""

    plugin_errors = False
    """Report a usage error as a monitoring plugin does: UNKNOWN (3) on stdout (``tracktui check``)."""

    def error(self, message: str) -> NoReturn:
        if self.plugin_errors:
            print(f"TRACKTUI UNKNOWN - {message} (see {self.prog} --help)", flush=True)
            self.exit(3)
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _limit(text: str) -> int:
    """``--limit``: a whole number from 1 to a billion (larger is a typo, not a wish)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1_000_000_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 1000000000, not {text}")
    return value


def _list_default(parser: argparse.ArgumentParser) -> object:
    """``[]`` for a repeatable option, "not given" on a sub-command (see :func:`build_parser`)."""
    return parser.argument_default if parser.argument_default is argparse.SUPPRESS else []


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        default=_list_default(parser),
        metavar="URL",
        help="file:PATH (globs pick up rotated files), ssh://[user@]host[:port]/path "
        "or ssh://[user@]host[:port]?journal=UNIT; options ?host=NAME&mta=...&sudo=1; repeat for several",
    )
    parser.add_argument("--profile", action="append", default=_list_default(parser), metavar="NAME",
                        help="host profile from the config file; repeat for several")
    parser.add_argument("--cache", metavar="URL",
                        help="cache path or sqlite:///... / postgresql://... URL")
    parser.add_argument("--mta", choices=("auto", "postfix", "exim", "qmail"),
                        help="MTA of --source logs (default: detect)")
    parser.add_argument("--tz", metavar="ZONE",
                        help="time zone of year-less log stamps (default: local)")
    parser.add_argument("--accept-new-host-key", action="store_true",
                        help="accept and record an unknown SSH host key (never a changed one)")
    parser.add_argument("--config", metavar="FILE", help="config file (default: user config dir)")


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=STATUS_CHOICES,
                        help="delivery status or group (default: all for search and report)")
    parser.add_argument("--direction", choices=DIRECTION_CHOICES,
                        help="outbound (we hand mail to a remote server), inbound (a remote client hands it to "
                             "us, our refusals included), local, or all (default)")
    parser.add_argument("--since", metavar="WHEN",
                        help="today, yesterday, 2026-11-01, '2026-11-01 14:00', '3 days ago', -3d")
    parser.add_argument("--until", metavar="WHEN", help="end of the time range (exclusive)")
    parser.add_argument("--to", dest="recipient", metavar="ADDR",
                        help="recipient: address, @domain or *wildcard*")
    parser.add_argument("--from", dest="sender", metavar="ADDR",
                        help="sender: address, @domain or *wildcard*")
    parser.add_argument("--subject", metavar="TEXT", help="subject contains TEXT")
    parser.add_argument("--host", action="append", default=_list_default(parser), metavar="HOST",
                        help="only this mail host; repeat for several")
    parser.add_argument("--queue-id", metavar="ID", help="only this queue id (any hop of a journey)")
    parser.add_argument("--message-id", metavar="ID", help="only this Message-ID")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, as docs/architecture.md's contract names it."""
    parser = _Parser(
        prog="tracktui",
        description="What happened to the mail your servers sent: delivered, temporarily "
        "rejected, permanently rejected or expired, and why.",
    )
    parser.add_argument("--version", action="version", version=f"tracktui {__version__}, engine: {engine()}")
    _add_source_options(parser)
    _add_filter_options(parser)
    parser.add_argument("--follow", action="store_true", default=False,
                        help="the app keeps syncing every few seconds (f in the app toggles it)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("demo", help="the TUI on built-in sample data, no mail host needed")

    # A sub-command's options default to "not given" (argument_default=SUPPRESS), so an option shared with
    # the top level may stand before or after the sub-command (tracktui --config FILE search): argparse
    # would otherwise overwrite the value given first with the sub-command's default.
    kept = argparse.SUPPRESS
    sync = sub.add_parser("sync", help="read new log lines from the sources into the cache", argument_default=kept)
    _add_source_options(sync)
    sync.add_argument("--quiet", action="store_true", default=False, help="no progress display")
    sync.add_argument("--rescan", action="store_true", default=False,
                      help="read the sources again from their start (nothing stored is doubled)")

    search = sub.add_parser("search", help="print deliveries matching a filter", argument_default=kept)
    _add_source_options(search)
    _add_filter_options(search)
    search.add_argument("--format", choices=("table", "csv", "json"), default="table")
    search.add_argument("--limit", type=_limit, default=None, metavar="N", help="at most N deliveries")

    report = sub.add_parser("report", help="PDF report of a filter, or the monthly report", argument_default=kept)
    _add_source_options(report)
    _add_filter_options(report)
    report.add_argument("--output", default=None, metavar="FILE.pdf", help="where to write the PDF")
    report.add_argument("--monthly", action="store_true", default=False,
                        help="the previous calendar month's report (or --month)")
    report.add_argument("--month", default=None, metavar="YYYY-MM", help="with --monthly: this month")
    report.add_argument("--mail-to", default=None, metavar="ADDR", help="with --monthly: e-mail it here")
    report.add_argument("--force", action="store_true", default=False,
                        help="with --monthly: send even if this month was sent already")

    # -- check (issue 15): monitoring-plugin verdict; its own exit codes, see tracktui/commands/check.py --
    check = sub.add_parser("check", help="judge the last day's deliveries: one line and exit code for cron, "
                           "Nagios/Icinga; optionally a node-exporter textfile", argument_default=kept)
    check.plugin_errors = True
    _add_source_options(check)
    check.add_argument("--since", metavar="WINDOW",
                       help="judge deliveries of the last WINDOW: 30m, 6h, 2d (default 24h)")
    check.add_argument("--max-deferred-age", metavar="AGE",
                       help="CRITICAL when a domain's oldest deferred delivery is older (default 6h; WARNING at 80%%)")
    check.add_argument("--max-bounce-rate", metavar="PCT",
                       help="CRITICAL above this outbound bounce rate (default 5%%; WARNING at 80%% of it)")
    check.add_argument("--max-deferred", type=int, metavar="N",
                       help="CRITICAL above N deferred deliveries (default: not judged; WARNING at 80%%)")
    check.add_argument("--domain", action="append", metavar="D",
                       help="judge only deliveries to this recipient domain (like --to @D); repeat for several")
    check.add_argument("--prometheus", metavar="FILE", help="also write a node-exporter textfile (atomically, 0644)")
    check.add_argument("--queue", action="store_true", default=False,
                       help="also read each source host's live queue (as tracktui queue does) for the textfile")
    check.add_argument("--max-queue", type=int, metavar="N",
                       help="CRITICAL when a host's queue holds more than N messages (reads the queue; "
                            "WARNING at 80%%)")
    # -- end check --
    _add_queue_command(sub, kept)
    return parser


# -- queue (issue 15) -------------------------------------------------------------------------------


def _add_queue_command(sub: argparse._SubParsersAction[_Parser], kept: str) -> None:
    """``tracktui queue [retry|hold|release|delete ID...]``: the live queue of each host, and actions on it.

    Options shared with the top level default to "not given" (``kept``), as for ``search``."""
    from tracktui.queue.postfix import ACTIONS

    queue = sub.add_parser("queue", help="what each host's MTA holds now; retry, hold, release or delete by id",
                           argument_default=kept)
    queue.add_argument("action", nargs="?", default=None, choices=("list", *ACTIONS),
                       help="list (default), or an action on the named queue ids")
    queue.add_argument("ids", nargs="*", default=[], metavar="QUEUE_ID", help="Postfix queue ids; never 'all'")
    queue.add_argument("--source", action="append", metavar="URL",
                       help="file:... (this machine) or ssh://[user@]host[:port]/path; "
                            "?sudo=1&postfix_config=DIR; repeat for several (actions: one)")
    queue.add_argument("--profile", action="append", metavar="NAME", help="host profile")
    queue.add_argument("--config", metavar="FILE", help="config file (default: user config dir)")
    queue.add_argument("--accept-new-host-key", action="store_true",
                       help="accept and record an unknown SSH host key (never a changed one)")
    queue.add_argument("--format", choices=("table", "csv", "json"), default="table")
    queue.add_argument("--shape", action="store_true", default=False,
                       help="deferred recipients by destination domain and age, like Postfix's qshape")
    queue.add_argument("--yes", action="store_true", default=False,
                       help="run the action without asking (needed when not on a terminal)")


def _run_queue(args: argparse.Namespace) -> int:
    from tracktui.commands.queue import run_queue

    return run_queue(args)


# -- end of queue ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tracktui`` console script."""
    from tracktui.dates import join_dash_values

    parser = build_parser()
    args = parser.parse_args(join_dash_values(sys.argv[1:] if argv is None else list(argv)))
    if args.command in ("search", "report") and args.status is None:
        args.status = "all"  # the TUI's form has its own default (Delivered); the commands show everything
    try:
        if args.command == "sync":
            from tracktui.commands.sync import run_sync

            return run_sync(args)
        if args.command == "search":
            from tracktui.commands.search import run_search

            return run_search(args)
        if args.command == "queue":
            return _run_queue(args)
        if args.command == "report":
            from tracktui.commands.report import run_report

            return run_report(args)
        if args.command == "check":
            from tracktui.commands.check import run_check

            return run_check(args)
        from tracktui.commands.app import run_app

        return run_app(args, demo=args.command == "demo")
    except TracktuiError as error:
        print(f"tracktui: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("tracktui: interrupted", file=sys.stderr)
        return 130
    except ValueError as error:  # bad option values that slipped past argparse
        if os.environ.get("TRACKTUI_TRACEBACK"):
            raise
        print(f"tracktui: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
