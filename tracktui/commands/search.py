"""``tracktui search``: optionally sync, then print the matching deliveries as a table, CSV or JSON.

Exit codes (docs/architecture.md): 0 something matched, 1 nothing matched, 2 usage
error; when a ``--source``/``--profile`` sync failed, the cached results are
still printed and the exit code is the failure's (3 host, 4 source), so a
script notices that the answer may be stale.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from tracktui.commands.common import (
    filter_from_args,
    load_config_for,
    now_and_zone,
    open_cache,
    sync_exit_code,
    sync_from_args,
)
from tracktui.errors import EXIT_NO_MATCH, EXIT_OK, UsageError
from tracktui.output import write_csv, write_json_pairs, write_table

T = TypeVar("T")
_FALLBACK_WIDTH = 120
"""Table width when stdout is not a terminal and ``COLUMNS`` is unset."""


def run_search(args: argparse.Namespace, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run the search command; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    limit = getattr(args, "limit", None)
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    config = load_config_for(args)
    now, zone = now_and_zone()
    flt = filter_from_args(args, config, now=now, tz=zone)  # bad dates fail before any sync
    fmt = getattr(args, "format", "table") or "table"
    _tolerate_unencodable(stdout)
    with open_cache(args, config) as cache:
        sync_code = EXIT_OK
        if getattr(args, "source", None) or getattr(args, "profile", None):
            report = sync_from_args(args, cache, config, err=stderr)
            sync_code = sync_exit_code(report)
        try:
            if fmt == "json":
                pairs = _limited(cache.iter_journeys(flt), limit)
                count = write_json_pairs(pairs, stdout)
            elif fmt == "csv":
                rows = _limited(cache.iter_deliveries(flt, page_size=_page_size(limit)), limit)
                count = write_csv(rows, stdout)
            else:
                rows = _limited(cache.iter_deliveries(flt, page_size=_page_size(limit)), limit)
                first, rows = _peek(rows)
                count = 0 if first is None else write_table(rows, _table_width(stdout), stdout, tz=zone)
            stdout.flush()
        except BrokenPipeError:
            _silence_stdout()  # the reader (head, less) has seen enough
            return sync_code or EXIT_OK
    if count == 0 and fmt == "table":
        print("tracktui: no deliveries match", file=stderr)
    if sync_code != EXIT_OK:
        return sync_code
    return EXIT_OK if count else EXIT_NO_MATCH


def _limited(items: Iterable[T], limit: int | None) -> Iterator[T]:
    iterator = iter(items)
    return iterator if limit is None else itertools.islice(iterator, limit)


def _page_size(limit: int | None) -> int:
    return 1000 if limit is None else max(1, min(limit, 1000))


def _peek(items: Iterator[T]) -> tuple[T | None, Iterator[T]]:
    """The first item (or ``None``) and an iterator that still yields it."""
    first = next(items, None)
    if first is None:
        return None, iter(())
    return first, itertools.chain((first,), items)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _table_width(stream: IO[str]) -> int:
    """``COLUMNS``, else the terminal's width, else a roomy default (pipes, or a terminal reporting 0 columns)."""
    if stream is sys.stdout or stream is sys.__stdout__:
        return shutil.get_terminal_size((_FALLBACK_WIDTH, 24)).columns
    return _FALLBACK_WIDTH


def _tolerate_unencodable(stream: IO[str]) -> None:
    """Replace what the locale's encoding cannot show instead of dying mid-output (LANG=C terminals)."""
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        stream.reconfigure(errors="replace")


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
