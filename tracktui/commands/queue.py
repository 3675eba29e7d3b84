"""``tracktui queue``: list what each host's MTA holds right now, or retry/hold/release/delete named messages.

Targets: each ``--source`` URL (``file:`` means this machine, ``ssh://`` that host) and
``--profile``; with neither, this machine's queue. An action names exactly one target
and its ids; there is no "all". Before anything runs the ids are checked (syntax,
then present in the live queue); on a terminal the action is confirmed, without
one ``--yes`` is required. Exit codes: 0 done (or something listed), 1 the queue is
empty or a named id is not queued, 2 usage or refusal, 3 host unreachable,
4 a queue command failed.
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import IO

from tracktui.commands.common import cli_auth, load_config_for, profiles_for
from tracktui.commands.queue_output import effect_lines, write_csv, write_json, write_table
from tracktui.errors import EXIT_NO_MATCH, EXIT_OK, EXIT_USAGE, TracktuiError, UsageError
from tracktui.queue.actions import apply, check_ids, present, read_queue
from tracktui.queue.entries import QueueEntry
from tracktui.queue.runner import QueueTarget, Runner, open_runner
from tracktui.queue.shape import BUCKETS, ShapeRow, queue_shape
from tracktui.textsafe import sanitize

ACTION_WORDS = {"retry": "retry now", "hold": "put on hold", "release": "release from hold", "delete": "DELETE"}


def targets_from(args: argparse.Namespace) -> list[QueueTarget]:
    """The queues the options name; this machine's when they name none."""
    from tracktui.sources.urls import parse_source_url

    config = load_config_for(args)
    targets: list[QueueTarget] = []
    for url in getattr(args, "source", None) or ():
        parsed = parse_source_url(url)
        if parsed.scheme == "file":
            targets.append(QueueTarget(parsed.host_name or socket.gethostname(),
                                       postfix_config=parsed.postfix_config))
        else:
            targets.append(QueueTarget(parsed.host_name or parsed.host, parsed.host, parsed.user, parsed.port,
                                       parsed.sudo, parsed.postfix_config))
    for profile in profiles_for(args, config):
        if profile.target == "local":
            targets.append(QueueTarget(profile.host_name or socket.gethostname(), sudo=profile.sudo,
                                       postfix_config=profile.postfix_config))
            continue
        parsed = parse_source_url(profile.source_urls()[0])
        targets.append(QueueTarget(profile.host_name or parsed.host, parsed.host, parsed.user, parsed.port,
                                   profile.sudo, profile.postfix_config, profile.identity_file))
    return targets or [QueueTarget(socket.gethostname())]


def run_queue(args: argparse.Namespace, *, out: IO[str] | None = None, err: IO[str] | None = None,
              stdin: IO[str] | None = None) -> int:
    """Run the queue command; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    action = getattr(args, "action", None) or "list"
    ids = list(getattr(args, "ids", None) or ())
    if action == "list":
        if ids:
            raise UsageError(f"unexpected {ids[0]!r}: to act on messages say retry, hold, release or delete first")
        return _list(args, stdout, stderr)
    ids = check_ids(ids)  # refuses ALL, options, shell text, empty, too long: before any host is contacted
    targets = targets_from(args)
    if len(targets) != 1:
        raise UsageError("an action names one host: give one --source or --profile")
    runner = _runner(args, targets[0])
    try:
        before = present(runner, ids)
        if not getattr(args, "yes", False) and not _confirmed(runner.target.host, action, ids, stdin, stderr):
            return EXIT_USAGE
        outcome = apply(runner, action, ids, before)
    finally:
        runner.close()
    for line in effect_lines(action, outcome.before, outcome.after):
        print(line, file=stdout)
    return EXIT_OK


def _runner(args: argparse.Namespace, target: QueueTarget) -> Runner:
    return open_runner(target, auth=cli_auth(), accept_new_host_key=bool(getattr(args, "accept_new_host_key", False)))


def _confirmed(host: str, action: str, ids: list[str], stdin: IO[str] | None, stderr: IO[str]) -> bool:
    """Ask on a terminal; refuse without one (a script must say ``--yes``)."""
    reader = stdin if stdin is not None else sys.stdin
    try:
        tty = reader.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        print("tracktui: refused: not a terminal; add --yes to run a queue action from a script", file=stderr)
        return False
    stderr.write(f"{ACTION_WORDS[action]} on {sanitize(host)}: {', '.join(ids)}? [yes/no] ")
    stderr.flush()
    if reader.readline().strip().lower() in ("y", "yes"):
        return True
    print("tracktui: not confirmed; nothing was run", file=stderr)
    return False


def _list(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    entries: list[QueueEntry] = []
    code = EXIT_OK
    for target in targets_from(args):
        runner = _runner(args, target)
        try:
            entries.extend(read_queue(runner))
        except TracktuiError as error:  # one host down does not hide the others' queues
            print(f"tracktui: {sanitize(str(error), max_length=500)}", file=stderr)
            code = code or error.exit_code
        finally:
            runner.close()
    fmt = getattr(args, "format", None) or "table"
    if getattr(args, "shape", False):
        write_shape(queue_shape(entries), stdout)
        return code if code != EXIT_OK or entries else EXIT_NO_MATCH
    if fmt == "json":
        write_json(entries, stdout)
    elif fmt == "csv":
        write_csv(entries, stdout)
    elif entries:
        from tracktui.commands.search import _table_width

        write_table(entries, _table_width(stdout), stdout)
    if not entries and code == EXIT_OK:
        if fmt == "table":
            print("tracktui: the queue is empty", file=stderr)
        return EXIT_NO_MATCH
    return code


def write_shape(rows: list[ShapeRow], file: IO[str]) -> None:
    """The ``qshape`` table: domain, total, then one column per age bucket."""
    width = max([len(row.domain) for row in rows] + [6])
    print(f"{'':<{width}} {'T':>6} " + " ".join(f"{label:>5}" for _bound, label in BUCKETS), file=file)
    for row in rows:
        cells = " ".join(f"{n:>5}" for n in row.counts)
        print(f"{sanitize(row.domain, max_length=80):<{width}} {row.total:>6} {cells}", file=file)
