"""Parse source URLs: ``file:PATH``, ``ssh://[user@]host[:port]/path`` and ``ssh://...?journal=UNIT``.

Query parameters of ``ssh://`` URLs:

- ``journal=UNIT`` read the journal of a systemd unit instead of files;
- ``sudo=1`` run the remote reading commands through ``sudo -n``;
- ``mta=postfix|exim|qmail|auto`` skip MTA detection;
- ``transit=none|ssh|gzip`` how bytes travel (see :mod:`tracktui.sources.ssh`);
- ``journalctl=/abs/path`` the journalctl binary to run (default ``journalctl`` on the
  remote PATH; for hosts with a non-standard install, and for the test suite's recorded journal).

A ``?`` inside an ``ssh://`` path would start the query: write it ``%3F``.
``file:`` URLs take no parameters (a ``?`` there is a glob character).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from tracktui.errors import UsageError

MTAS = ("auto", "postfix", "exim", "qmail")
TRANSITS = ("none", "ssh", "gzip")
_KNOWN_PARAMS = {"journal", "sudo", "mta", "transit", "journalctl"}


@dataclass(frozen=True, slots=True)
class SourceURL:
    """A parsed source URL."""

    scheme: str
    """``file`` or ``ssh``."""
    path: str = ""
    user: str | None = None
    host: str = ""
    port: int | None = None
    journal: str | None = None
    sudo: bool = False
    mta: str | None = None
    transit: str | None = None
    journalctl: str = "journalctl"


def _flag(value: str, url: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{url}: sudo must be 1 or 0, not {value!r}")


def parse_source_url(url: str) -> SourceURL:
    """Split ``url`` into its parts; :class:`UsageError` for anything malformed."""
    if url.startswith("file:"):
        path = url[len("file:") :]
        if path.startswith("//"):
            path = path[2:]
            if not path.startswith("/"):
                raise UsageError(f"{url}: file URLs are file:/path or file:///path (no host)")
        if not path:
            raise UsageError(f"{url}: empty path; use file:/var/log/mail.log*")
        return SourceURL("file", path=path)
    if not url.startswith("ssh://"):
        raise UsageError(f"{url}: unknown source; use file:PATH or ssh://[user@]host[:port]/path")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{url}: bad port ({exc})") from None
    host = parts.hostname
    if host:  # keep the case the user typed: ~/.ssh/config Host patterns are case-sensitive
        typed = parts.netloc.rpartition("@")[2]
        typed = typed[1:].partition("]")[0] if typed.startswith("[") else typed.partition(":")[0]
        host = unquote(typed) if typed.lower() == host else host
    if not host:
        raise UsageError(f"{url}: no host; use ssh://[user@]host[:port]/path")
    if parts.password is not None:
        raise UsageError(f"{url}: do not put a password in the URL; tracktui asks for it")
    if parts.fragment:
        raise UsageError(f"{url}: unexpected '#' fragment")
    try:
        params = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise UsageError(f"{url}: malformed query; use ?journal=UNIT&sudo=1&mta=postfix") from None
    unknown = set(params) - _KNOWN_PARAMS
    if unknown:
        raise UsageError(f"{url}: unknown parameter {sorted(unknown)[0]!r}; known: {', '.join(sorted(_KNOWN_PARAMS))}")
    if any(len(values) > 1 for values in params.values()):
        raise UsageError(f"{url}: a parameter is given twice")
    one = {key: values[0] for key, values in params.items()}
    journal = one.get("journal")
    path = unquote(parts.path)
    if journal is not None:
        if not journal:
            raise UsageError(f"{url}: empty journal unit")
        if path not in ("", "/"):
            raise UsageError(f"{url}: give either a path or ?journal=UNIT, not both")
        path = ""
    elif not path or path == "/":
        raise UsageError(f"{url}: no log path; use ssh://host/var/log/mail.log* or ssh://host?journal=postfix")
    mta = one.get("mta")
    if mta is not None and mta not in MTAS:
        raise UsageError(f"{url}: mta must be one of {', '.join(MTAS)}")
    transit = one.get("transit")
    if transit is not None and transit not in TRANSITS:
        raise UsageError(f"{url}: transit must be one of {', '.join(TRANSITS)}")
    journalctl = one.get("journalctl", "journalctl")
    if not journalctl:
        raise UsageError(f"{url}: empty journalctl path")
    return SourceURL(
        "ssh",
        path=path,
        user=unquote(parts.username) if parts.username else None,
        host=host,
        port=port,
        journal=journal,
        sudo=_flag(one.get("sudo", "0"), url),
        mta=None if mta in (None, "auto") else mta,
        transit=transit,
        journalctl=journalctl,
    )
