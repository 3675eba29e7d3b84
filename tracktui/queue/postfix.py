"""Postfix's queue, pure: ``postqueue -j`` lines to :class:`QueueEntry`, queue-id syntax, the argv of each action.

Nothing here runs a command; :mod:`tracktui.queue.runner` does. Keeping the argv
in one place lets the sudoers rule (:func:`sudoers_queue`) pin exactly what is run.
With ``sudo=1`` every one of them runs as ``sudo -n CMD``: ``postsuper`` is root-only,
and a non-default instance (``-c DIR``) is only open to root unless the default
``main.cf`` lists it in ``alternate_config_directories``.

Queue ids (Postfix ``mail_queue.c``): short ids are upper-case hex, five digits
of microseconds then the inode number (``4F9D195432``); long ids
(``enable_long_queue_ids``) are base-52 time and microseconds, ``z``, then the
inode in base 51, using digits and consonants only (``3Pt2mN2VXxznjll``). An id
is checked against that syntax before any command is built, so ``ALL``, ``-``
(read ids from stdin), options and shell text can never reach ``postsuper``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from tracktui.model import Status
from tracktui.queue.entries import QueueEntry, QueueRecipient
from tracktui.smtp import explain, extract_code, extract_dsn

MAX_QUEUE_ID = 24
"""Longer than any id Postfix makes (short: 5 + 16 hex digits; long: 10 + ``z`` + 12 base-51 digits)."""
_SHORT_ID = re.compile(r"[0-9A-F]{6,24}")
_LONG_ID = re.compile(r"[0-9BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz]{10,24}")
_SUDO_ID = r"[0-9A-Za-z]{6,24}"
"""The id pattern of the sudoers rule: never matches ``ALL`` (too short), ``-`` or an option."""

ACTIONS = ("retry", "hold", "release", "delete")
_POSTSUPER_FLAG = {"hold": "-h", "release": "-H", "delete": "-d"}
POSTQUEUE = "postqueue"
POSTSUPER = "postsuper"


class QueueOutputError(ValueError):
    """``postqueue -j`` printed something that is not its JSON lines format."""


def queue_id_problem(text: str) -> str | None:
    """Why ``text`` is not a Postfix queue id, or ``None`` if it is one."""
    if not text:
        return "an empty queue id"
    shown = text[:40] if text.isprintable() else text[:40].encode("unicode_escape").decode("ascii")
    if len(text) > MAX_QUEUE_ID:
        return f"{shown!r}... is too long for a queue id (at most {MAX_QUEUE_ID} characters)"
    if text.upper() == "ALL":
        return "there is no 'all': name each queue id (tracktui queue lists them)"
    if _SHORT_ID.fullmatch(text) or _LONG_ID.fullmatch(text):
        return None
    return f"{shown!r} is not a Postfix queue id (like 4F9D195432 or 3Pt2mN2VXxznjll)"


def config_args(config_dir: str | None) -> list[str]:
    """``-c DIR`` for a non-default Postfix instance, else nothing."""
    return ["-c", config_dir] if config_dir else []


def list_argv(config_dir: str | None = None) -> list[str]:
    """The listing command: one JSON object per queued message."""
    return [POSTQUEUE, *config_args(config_dir), "-j"]


def action_argvs(action: str, ids: Sequence[str], config_dir: str | None = None) -> list[list[str]]:
    """The commands carrying out ``action`` on ``ids``; :class:`ValueError` for a bad id or action.

    ``retry`` is one ``postqueue -i`` per id (it takes one); the others are one ``postsuper``
    with the flag repeated per id. Every id is validated here as well, whoever called.
    """
    if not ids:
        raise ValueError("no queue id given")
    for queue_id in ids:
        problem = queue_id_problem(queue_id)
        if problem:
            raise ValueError(problem)
    cfg = config_args(config_dir)
    if action == "retry":
        return [[POSTQUEUE, *cfg, "-i", queue_id] for queue_id in ids]
    flag = _POSTSUPER_FLAG.get(action)
    if flag is None:
        raise ValueError(f"unknown queue action {action!r}; one of {', '.join(ACTIONS)}")
    return [[POSTSUPER, *cfg, *(word for queue_id in ids for word in (flag, queue_id))]]


def parse_postqueue_json(lines: Iterable[str], *, host: str, now: float) -> list[QueueEntry]:
    """Entries of ``postqueue -j`` output; :class:`QueueOutputError` naming the first line that is not one."""
    entries: list[QueueEntry] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entries.append(_entry(json.loads(line), host, now))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise QueueOutputError(f"unexpected postqueue -j output on line {number}: {line[:80]!r}") from exc
    return entries


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _entry(data: object, host: str, now: float) -> QueueEntry:
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    arrival = _number(data["arrival_time"])
    recipients = data.get("recipients") or []
    if not isinstance(recipients, list):
        raise TypeError("recipients is not a list")
    return QueueEntry(
        host=host,
        queue_id=_text(data["queue_id"]),
        queue=_text(data["queue_name"]),
        arrival=arrival,
        age=max(0.0, now - arrival),
        sender=_text(data.get("sender", "")),
        size=int(_number(data.get("message_size", 0))),
        forced_expire=bool(data.get("forced_expire", False)),
        recipients=tuple(_recipient(item) for item in recipients),
    )


def _recipient(data: object) -> QueueRecipient:
    if not isinstance(data, dict):
        raise TypeError("a recipient is not a JSON object")
    reason = _text(data.get("delay_reason", ""))
    code, dsn = extract_code(reason), extract_dsn(reason)
    words = explain(code, dsn, reason, Status.DEFERRED).summary if reason else ""
    return QueueRecipient(_text(data["address"]), reason, code, dsn, words)


def sudoers_queue(user: str = "tracktui", config_dir: str | None = None, sbin: str = "/usr/sbin") -> str:
    """sudoers lines allowing ``user`` exactly the commands ``sudo=1`` runs (sudo >= 1.9.10: ``^...$``
    arguments are regular expressions). Ids are pinned to letters and digits, so ``ALL`` and ``-`` (ids
    from stdin) never match."""
    commands = [sudoers_line(user, action, config_dir, sbin).partition("NOPASSWD: ")[2]
                for action in ("list", *ACTIONS)]
    alias = "TRACKTUI_QUEUE"
    return f"Cmnd_Alias {alias} = " + ", \\\n    ".join(commands) + f"\n{user} ALL=(root) NOPASSWD: {alias}\n"


def sudoers_line(user: str, action: str, config_dir: str | None = None, sbin: str = "/usr/sbin") -> str:
    """The one sudoers line allowing ``user`` exactly ``action``'s command (``list`` for the listing), ids pinned."""
    from tracktui.sources.ssh import re_literal  # lazily: tracktui.sources.ssh pulls in paramiko

    cfg = f"-c {re_literal(config_dir)} " if config_dir else ""
    if action == "list":
        pinned = f"{sbin}/{POSTQUEUE} ^{cfg}-j$"
    elif action == "retry":
        pinned = f"{sbin}/{POSTQUEUE} ^{cfg}-i {_SUDO_ID}$"
    else:
        flag = _POSTSUPER_FLAG[action]
        pinned = f"{sbin}/{POSTSUPER} ^{cfg}{flag} {_SUDO_ID}( {flag} {_SUDO_ID})*$"
    return f"{user} ALL=(root) NOPASSWD: {pinned}"
