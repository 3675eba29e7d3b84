"""Parse source URLs: ``file:PATH``, ``ssh://[user@]host[:port]/path`` and ``ssh://...?journal=UNIT``.

Query parameters of both kinds:

- ``host=NAME`` the host name for log lines that carry none (Exim's mainlog, qmail's
  multilog): by default the SSH host as written in the URL, or this machine's name
  for ``file:``. Lines that name their host (syslog) keep it. Use it for logs copied
  from another machine: ``file:/var/tmp/relay/mainlog*?host=relay.example.org``;
- ``mta=postfix|exim|qmail|auto`` skip MTA detection;
- ``postfix_config=/abs/dir`` the Postfix configuration directory ``tracktui queue`` passes
  as ``-c DIR`` (a second instance); reading logs ignores it.

Query parameters of ``ssh://`` URLs only:

- ``journal=UNIT`` read the journal of a systemd unit instead of files;
- ``sudo=1`` run the remote reading commands through ``sudo -n``;
- ``transit=none|ssh|gzip`` how bytes travel (see :mod:`tracktui.sources.ssh`);
- ``journalctl=/abs/path`` the journalctl binary to run (default ``journalctl`` on the
  remote PATH; for hosts with a non-standard install, and for the test suite's recorded journal).

A ``?`` inside an ``ssh://`` path would start the query: write it ``%3F``.

In a ``file:`` URL a ``?`` is a glob character (any one character), except
that the query starts at the first ``?`` directly followed by ``host=`` or
``mta=``. A path that really holds such a ``?`` writes it as the glob class
``[?]`` (:func:`file_url` does). A ``file:`` path is never percent-decoded.

Key files are not URL parameters: the URL is the source's identity in the
cache, and which key logs in does not change what is read. They come from the
profile (``identity_file``), ``~/.ssh/config`` or the default key files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tracktui.errors import UsageError

MTAS = ("auto", "postfix", "exim", "qmail")
TRANSITS = ("none", "ssh", "gzip")
_KNOWN_PARAMS = {"journal", "sudo", "mta", "transit", "journalctl", "host", "postfix_config"}
_FILE_PARAMS = {"host", "mta", "postfix_config"}
_FILE_QUERY = re.compile(r"\?(?=(?:host|mta|postfix_config)=)")
"""Where a ``file:`` URL's query starts: a ``?`` right before a known parameter."""
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,252})")


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
    host_name: str | None = None
    """``host=``: the host name for lines that carry none; ``None`` means the default."""
    postfix_config: str | None = None
    """``postfix_config=``: the Postfix configuration directory of the queue commands."""


def _flag(value: str, url: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{url}: sudo must be 1 or 0, not {value!r}")


def check_host_name(name: str, where: str) -> str:
    """``name`` if it is a plain host name (letters, digits, ``.-_:``); :class:`UsageError` naming ``where``."""
    if not _HOST_NAME.fullmatch(name):
        shown = name if name.isprintable() else repr(name)
        raise UsageError(f"{where}: host must be a host name like relay.example.org, not {shown!r}")
    return name


def _params(url: str, query: str, known: set[str], example: str) -> dict[str, str]:
    """The query's parameters, each given once and each known."""
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise UsageError(f"{url}: malformed query; use {example}") from None
    unknown = set(params) - known
    if unknown:
        raise UsageError(f"{url}: unknown parameter {sorted(unknown)[0]!r}; known: {', '.join(sorted(known))}")
    if any(len(values) > 1 for values in params.values()):
        raise UsageError(f"{url}: a parameter is given twice")
    return {key: values[0] for key, values in params.items()}


def _mta(url: str, one: dict[str, str]) -> str | None:
    mta = one.get("mta")
    if mta is not None and mta not in MTAS:
        raise UsageError(f"{url}: mta must be one of {', '.join(MTAS)}")
    return None if mta in (None, "auto") else mta


def _host_name(url: str, one: dict[str, str]) -> str | None:
    name = one.get("host")
    return None if name is None else check_host_name(name, url)


def check_postfix_config(value: str, where: str) -> str:
    """``value`` if it is an absolute directory path without control characters, else :class:`UsageError`."""
    if not value.startswith("/") or not value.isprintable() or value.startswith("//"):
        raise UsageError(f"{where}: postfix_config must be an absolute directory like /etc/postfix-out, "
                         f"not {value!r}")
    return value


def _postfix_config(url: str, one: dict[str, str]) -> str | None:
    value = one.get("postfix_config")
    return None if value is None else check_postfix_config(value, url)


def file_url(path: str, *, host: str | None = None, mta: str | None = None) -> str:
    """The ``file:`` URL of ``path`` with the given parameters; parsing it gives ``path`` back.

    A ``?`` in ``path`` that would read as the start of the query is written ``[?]``.
    """
    params = [f"host={quote(host, safe='')}"] if host else []
    if mta and mta != "auto":
        params.append(f"mta={quote(mta, safe='')}")
    return "file:" + _FILE_QUERY.sub("[?]", path) + ("?" + "&".join(params) if params else "")


def _parse_file(url: str) -> SourceURL:
    rest = url[len("file:") :]
    found = _FILE_QUERY.search(rest)
    path, query = (rest[: found.start()], rest[found.end() :]) if found else (rest, "")
    if path.startswith("//"):
        path = path[2:]
        if not path.startswith("/"):
            raise UsageError(f"{url}: file URLs are file:/path or file:///path (no host)")
    if not path:
        raise UsageError(f"{url}: empty path; use file:/var/log/mail.log*")
    one = _params(url, query, _FILE_PARAMS, "file:/path?host=NAME&mta=exim")
    return SourceURL("file", path=path, mta=_mta(url, one), host_name=_host_name(url, one),
                     postfix_config=_postfix_config(url, one))


def parse_source_url(url: str) -> SourceURL:
    """Split ``url`` into its parts; :class:`UsageError` for anything malformed."""
    if url.startswith("file:"):
        return _parse_file(url)
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
    one = _params(url, parts.query, _KNOWN_PARAMS, "?journal=UNIT&sudo=1&mta=postfix")
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
        mta=_mta(url, one),
        transit=transit,
        journalctl=journalctl,
        host_name=_host_name(url, one),
        postfix_config=_postfix_config(url, one),
    )
