"""Errors that reach the user as one line, each with the exit code docs/architecture.md names."""

from __future__ import annotations

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_SOURCE = 4
EXIT_CACHE = 5


class TracktuiError(Exception):
    """An error shown as one line on stderr (CLI) or in the screen (TUI)."""

    exit_code = EXIT_USAGE


class UsageError(TracktuiError):
    """Bad option, bad date, bad URL: the user can fix the command."""

    exit_code = EXIT_USAGE


class HostError(TracktuiError):
    """Cannot reach or authenticate to a host (DNS, refused, timeout, auth, host key)."""

    exit_code = EXIT_UNREACHABLE


class SourceError(TracktuiError):
    """A source could not be read (missing file, permission denied, journalctl missing)."""

    exit_code = EXIT_SOURCE


class DamagedFileError(SourceError):
    """One file of a source cannot be decoded (a truncated or non-gzip ``.gz``): the others are still read."""

    exit_code = EXIT_SOURCE


class CacheError(TracktuiError):
    """The cache cannot be opened or is from an incompatible version."""

    exit_code = EXIT_USAGE


class DamagedCacheError(CacheError):
    """The cache file is corrupt or its disk is full: local storage trouble, not a mistake in the command."""

    exit_code = EXIT_CACHE


def os_reason(error: BaseException) -> str:
    """The operating system's words for ``error`` ("No space left on device"), else its text."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
