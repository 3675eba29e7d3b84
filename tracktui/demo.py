"""``tracktui demo``: sample logs in a temporary directory, read through the ordinary ``file:`` source path.

The demo never touches the user's real cache or config: the logs and a
throw-away SQLite cache live in one temporary directory that is removed when
the app exits. Each host's logs are in a directory named after the host, and
its source names that host (``host=``), as a user importing copied logs would:
Exim's mainlog has no host field, so without it the demo's relay would be
filed under this machine's name.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Demo:
    """Where the demo's data lives."""

    directory: Path
    sources: tuple[str, ...]
    """``file:...?host=NAME`` URLs of the generated logs (one per host)."""
    cache_url: str
    """``sqlite:///`` URL of a temporary cache."""


def write_demo(directory: Path, *, now: float | None = None, seed: int = 7) -> Demo:
    """Generate the sample logs under ``directory`` and name a cache file beside them."""
    from tracktui.samples import write_demo_logs

    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    written = write_demo_logs(logs, now=now if now is not None else time.time(), seed=seed)
    sources = tuple(named_after_directory(url) for url in written)
    return Demo(directory=directory, sources=sources, cache_url=f"sqlite:///{directory / 'cache.sqlite3'}")


def named_after_directory(url: str) -> str:
    """``url`` with ``host=`` set to its log directory's name (``<dir>/relay.example.org/mainlog*``)."""
    from tracktui.sources import file_url, parse_source_url

    parsed = parse_source_url(url)
    return file_url(parsed.path, host=Path(parsed.path).parent.name, mta=parsed.mta)


@contextmanager
def prepare_demo(*, now: float | None = None, seed: int = 7) -> Iterator[Demo]:
    """A demo in a temporary directory that is deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="tracktui-demo-") as name:
        yield write_demo(Path(name), now=now, seed=seed)
