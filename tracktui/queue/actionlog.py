"""The audit trail of queue actions: one JSON line per action in the user's state directory.

Appended, never rewritten, so concurrent runs cannot lose each other's lines (each
line is one ``write`` on an ``O_APPEND`` descriptor). The directory is created
0700 and the file 0600 whatever the umask; a symlink planted at the file's name is
refused (``O_NOFOLLOW``) rather than followed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from tracktui.config import ensure_private_dir, state_dir
from tracktui.errors import SourceError, os_reason

FILE_NAME = "queue-actions.jsonl"
FIELDS = ("time", "user", "host", "action", "ids", "exit_status")


def log_path() -> Path:
    """``queue-actions.jsonl`` in :func:`tracktui.config.state_dir` (the monthly report's record is there too)."""
    return state_dir() / FILE_NAME


def record(*, time: str, user: str, host: str, action: str, ids: Sequence[str], exit_status: int,
           path: Path | None = None) -> Path:
    """Append one action's line; :class:`SourceError` if the log cannot be written (the action already ran).

    ``user`` is the account that ran the commands: the SSH login user for a remote host."""
    target = path or log_path()
    line = json.dumps(dict(zip(FIELDS, (time, user, host, action, list(ids), exit_status), strict=True)),
                      ensure_ascii=True) + "\n"
    try:
        ensure_private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise SourceError(f"{host}: {action} ran (exit status {exit_status}) but could not be logged to {target}: "
                          f"{os_reason(exc)}; check that directory's owner and free space") from exc
    return target
