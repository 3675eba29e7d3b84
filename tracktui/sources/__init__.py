"""Log sources: local files, files over SSH, the journal over SSH; lines plus a durable cursor.

:func:`open_source` is the entry point; see :mod:`tracktui.sources.base` for
what a source yields, :mod:`tracktui.sources.urls` for the URLs and
:mod:`tracktui.sources.rotation` for how files are followed across rotation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracktui.config import Profile
from tracktui.sources.base import (
    AuthCallbacks,
    ChangedHostKeyError,
    LineBatch,
    ProgressEvent,
    Source,
    UnknownHostKeyError,
)
from tracktui.sources.urls import SourceURL, file_url, parse_source_url

__all__ = [
    "AuthCallbacks",
    "ChangedHostKeyError",
    "KeyFileError",
    "LineBatch",
    "ProgressEvent",
    "Source",
    "SourceURL",
    "UnknownHostKeyError",
    "file_url",
    "open_source",
    "parse_source_url",
]


def __getattr__(name: str) -> Any:
    """:class:`~tracktui.sources.sshconnect.KeyFileError` on demand: importing paramiko costs start-up time."""
    if name == "KeyFileError":
        from tracktui.sources.sshconnect import KeyFileError

        return KeyFileError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_source(
    url: str,
    *,
    profile: Profile | None = None,
    auth: AuthCallbacks | None = None,
    accept_new_host_key: bool = False,
    ssh_config_path: Path | None = None,
    known_hosts_path: Path | None = None,
) -> Source:
    """The source ``url`` names; nothing is opened until ``read()``. :class:`UsageError` if malformed.

    A ``profile`` adds what the URL leaves out: ``sudo``, the MTA, and its ``identity_file``,
    the key file tried right after the agent. Key files are not URL parameters, because
    the URL is the source's identity in the cache and the key changes who logs in, not
    what is read; without a profile they come from ``~/.ssh/config`` and ``~/.ssh/id_*``.
    """
    parsed = parse_source_url(url)
    mta = parsed.mta
    if profile is not None and mta is None and profile.mta != "auto":
        mta = profile.mta
    if parsed.scheme == "file":
        from tracktui.sources.files import FileSource

        return FileSource(url, parsed.path, mta=mta, host_name=parsed.host_name)

    from tracktui.sources.journal import JournalSource
    from tracktui.sources.ssh import DEFAULT_TRANSIT, SSHFileSource
    from tracktui.sources.sshconnect import Connector

    if profile is not None and profile.sudo and not parsed.sudo:
        parsed = _replace(parsed, sudo=True)
    if mta != parsed.mta:
        parsed = _replace(parsed, mta=mta)
    connector = Connector(
        auth=auth or AuthCallbacks(),
        accept_new_host_key=accept_new_host_key,
        ssh_config_path=ssh_config_path,
        known_hosts_path=known_hosts_path,
        compression=(parsed.transit or DEFAULT_TRANSIT) == "ssh",
        identity_files=(profile.identity_file,) if profile is not None and profile.identity_file else (),
    )
    if parsed.journal:
        return JournalSource(url, parsed, connector)
    return SSHFileSource(url, parsed, connector)


def _replace(parsed: SourceURL, **changes: object) -> SourceURL:
    from dataclasses import replace

    return replace(parsed, **changes)  # type: ignore[arg-type]
