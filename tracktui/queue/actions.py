"""One queue action end to end: ids checked, present, run, logged, queue read again.

The order is the safety: every id is checked against Postfix's syntax before
anything runs (:func:`check_ids`), then against the live listing, so a typo or an
id that already left the queue runs nothing at all; only then the fixed argv run,
the audit line is written whatever their outcome, and the queue is listed again so
the caller can show what really changed.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass

from tracktui.errors import EXIT_NO_MATCH, SourceError, TracktuiError, UsageError
from tracktui.queue import actionlog
from tracktui.queue.entries import QueueEntry
from tracktui.queue.postfix import (
    QueueOutputError,
    action_argvs,
    list_argv,
    parse_postqueue_json,
    queue_id_problem,
)
from tracktui.queue.runner import Runner, failure


class NoSuchQueueIdError(TracktuiError):
    """A named id is not in the queue (delivered, deleted, or a typo): nothing was run."""

    exit_code = EXIT_NO_MATCH


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action found, did and left."""

    status: int
    """Exit status of the first command that failed, else 0."""
    before: dict[str, QueueEntry]
    after: dict[str, QueueEntry]
    stderr: str


def check_ids(ids: Sequence[str]) -> list[str]:
    """``ids`` without repeats if every one is a queue id; :class:`UsageError` naming the first that is not."""
    if not ids:
        raise UsageError("name at least one queue id (tracktui queue lists them); there is no 'all'")
    for queue_id in ids:
        problem = queue_id_problem(queue_id)
        if problem:
            raise UsageError(f"refused: {problem}; nothing was run")
    return list(dict.fromkeys(ids))


def read_queue(runner: Runner) -> list[QueueEntry]:
    """The queue as ``postqueue -j`` lists it right now."""
    argv = list_argv(runner.target.postfix_config)
    result = runner.run(argv)
    if result.status != 0:
        raise failure(runner, argv, result, None)
    try:
        return parse_postqueue_json(result.stdout.splitlines(), host=runner.target.host, now=_time.time())
    except QueueOutputError as exc:
        raise SourceError(f"{runner.target.host}: {exc}") from None


def present(runner: Runner, ids: Sequence[str]) -> dict[str, QueueEntry]:
    """The entries of ``ids``; :class:`NoSuchQueueIdError` if any is not queued (then nothing runs)."""
    queued = {entry.queue_id: entry for entry in read_queue(runner)}
    missing = [queue_id for queue_id in ids if queue_id not in queued]
    if missing:
        raise NoSuchQueueIdError(f"{runner.target.host}: no message {', '.join(missing)} in the queue "
                                 "(delivered or deleted already?); nothing was run, see tracktui queue")
    return {queue_id: queued[queue_id] for queue_id in ids}


def apply(runner: Runner, action: str, ids: Sequence[str], before: dict[str, QueueEntry]) -> Outcome:
    """Run ``action`` on ``ids`` (already checked and present), log it, and read the queue again."""
    status = 0
    stderr: list[str] = []
    failed: SourceError | None = None
    for argv in action_argvs(action, ids, runner.target.postfix_config):
        result = runner.run(argv)
        stderr.append(result.stderr)
        if result.status != 0:
            status = result.status
            failed = failure(runner, argv, result, action)
            break
    actionlog.record(time=_now_iso(), user=runner.login_user(), host=runner.target.host, action=action,
                     ids=ids, exit_status=status)
    if failed is not None:
        raise failed
    after = {entry.queue_id: entry for entry in read_queue(runner) if entry.queue_id in before}
    return Outcome(status, before, after, "".join(stderr))


def _now_iso() -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime())
