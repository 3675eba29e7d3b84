"""The sync orchestrator: several sources in parallel, failures isolated, reruns idempotent."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from tracktui.cache import Cache
from tracktui.errors import SourceError
from tracktui.model import STATUS_GROUPS, Filter
from tracktui.sync import sync_sources

FIXTURES = Path(__file__).parent / "fixtures"
ALL = Filter(statuses=STATUS_GROUPS["all"])


def snapshot(cache: Cache) -> list[tuple[object, ...]]:
    return sorted((r.host, r.queue_id, r.recipient, r.status, r.attempt_count) for r in cache.iter_deliveries(ALL))


def test_one_failing_source_loses_nothing_the_others_brought(tmp_path: Path, cache_url: str) -> None:
    postfix = f"file:{FIXTURES / 'postfix' / 'delivery.log'}"
    exim = f"file:{FIXTURES / 'exim' / 'delivery.log'}?host=relay.example.org"
    missing = f"file:{tmp_path / 'no-such.log'}"
    progress_phases: dict[str, set[str]] = {}
    with Cache.open(cache_url) as cache:
        report = sync_sources(
            cache, [postfix, missing, exim], tz=UTC, now=2_000_000_000.0, retention_days=100_000,
            progress=lambda p: progress_phases.setdefault(p.source, set()).add(p.phase),
        )
        by_url = {result.url: result for result in report.results}
        assert isinstance(by_url[missing].error, SourceError)
        assert by_url[postfix].error is None and by_url[exim].error is None
        assert by_url[postfix].mta == "postfix" and by_url[exim].mta == "exim"
        hosts = {row.host for row in cache.iter_deliveries(ALL)}
        assert "relay.example.org" in hosts and len(hosts) >= 2
        assert progress_phases[missing] >= {"failed"} and "done" in progress_phases[postfix]
        first = snapshot(cache)

        again = sync_sources(cache, [postfix, exim], tz=UTC, now=2_000_000_000.0, retention_days=100_000)
        assert again.lines == 0 and not again.errors
        assert snapshot(cache) == first
