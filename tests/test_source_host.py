"""Naming a source's host: ``host=`` on ``file:`` URLs, ``Profile.host_name``, and the demo's two hosts.

Exim's mainlog lines carry no host name, so a ``file:`` source files them
under this machine's name unless the URL says otherwise. These tests sync a
real Exim 4.96 log (tests/fixtures/exim, stamped 2026-11-27 UTC) through
:func:`tracktui.sync.sync_sources` and read the host back from the cache.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.config import Profile
from tracktui.errors import UsageError
from tracktui.model import Filter, Status
from tracktui.sources import file_url, open_source, parse_source_url
from tracktui.sources.base import ProgressEvent
from tracktui.sync import sync_sources

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXIM_LOG = FIXTURES / "exim" / "delivery.log"
POSTFIX_LOG = FIXTURES / "postfix" / "delivery.log"
NOW = datetime(2026, 11, 28, tzinfo=UTC).timestamp()
"""The day after the fixtures were captured: inside the retention window whatever day the tests run."""
EVERY_STATUS = frozenset(Status)


def open_cache(tmp_path: Path, name: str = "cache.sqlite3") -> Cache:
    return Cache.open(f"sqlite:///{tmp_path / name}")


def hosts_of_rows(cache: Cache) -> set[str]:
    return {row.host for row in cache.search(Filter(statuses=EVERY_STATUS), limit=1000).rows}


# -- URL parsing --------------------------------------------------------------------------


def test_file_url_host_and_mta_parameters() -> None:
    url = parse_source_url("file:/var/tmp/relay/mainlog*?host=relay.example.org")
    assert (url.scheme, url.path, url.host_name, url.mta) == ("file", "/var/tmp/relay/mainlog*", "relay.example.org",
                                                              None)
    both = parse_source_url("file:///var/tmp/relay/mainlog?mta=exim&host=relay.example.org")
    assert (both.path, both.host_name, both.mta) == ("/var/tmp/relay/mainlog", "relay.example.org", "exim")
    assert parse_source_url("file:/x/mainlog?mta=auto").mta is None
    assert parse_source_url("file:/var/log/mail.log*").host_name is None


@pytest.mark.parametrize(
    ("url", "path", "host"),
    [
        ("file:logs/mail.log?", "logs/mail.log?", None),  # a trailing '?' is a glob character
        ("file:/logs/mail.log.?", "/logs/mail.log.?", None),
        ("file:/logs/a?b/mail.log?host=h1", "/logs/a?b/mail.log", "h1"),  # only '?host=' starts the query
        ("file:/logs/mail.log??host=h1", "/logs/mail.log?", "h1"),
        ("file:/logs/x?hostile", "/logs/x?hostile", None),  # 'host' without '=' is still path
        ("file:/logs/[?]host=1/mail.log?host=h1", "/logs/[?]host=1/mail.log", "h1"),  # the escape for a real '?host='
        ("file:/logs/100%25/mainlog?host=h1", "/logs/100%25/mainlog", "h1"),  # file paths are never percent-decoded
    ],
)
def test_question_marks_in_file_paths(url: str, path: str, host: str | None) -> None:
    parsed = parse_source_url(url)
    assert (parsed.path, parsed.host_name) == (path, host)


@pytest.mark.parametrize(
    "path",
    ["/var/log/mail.log*", "/odd/a?host=b/mainlog", "/odd/x?mta=exim", "/odd/[x]?y", "/odd/sp ace/é/mainlog?"],
)
def test_file_url_round_trips_every_path(path: str) -> None:
    for host in (None, "relay.example.org"):
        parsed = parse_source_url(file_url(path, host=host, mta="exim"))
        assert parsed.host_name == host and parsed.mta == "exim"
        # '[?]' is the glob for a literal '?': it names the same files as the path did.
        assert parsed.path.replace("[?]", "?") == path
    assert file_url("/var/log/mail.log*") == "file:/var/log/mail.log*"  # unchanged without parameters


def test_ssh_url_host_parameter() -> None:
    url = parse_source_url("ssh://admin@192.0.2.10:2222/var/log/exim4/mainlog*?host=relay.example.org&mta=exim")
    assert (url.host, url.port, url.host_name, url.mta) == ("192.0.2.10", 2222, "relay.example.org", "exim")
    journal = parse_source_url("ssh://relay?journal=exim4&host=relay.example.org")
    assert (journal.host, journal.journal, journal.host_name) == ("relay", "exim4", "relay.example.org")
    assert open_source("ssh://192.0.2.10/var/log/mainlog?host=relay.example.org").host_hint == "relay.example.org"
    assert open_source("ssh://192.0.2.10/var/log/mainlog").host_hint == "192.0.2.10"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:/x/mainlog?host=", "host must be a host name"),
        ("file:/x/mainlog?host=bad%20name", "host must be a host name"),
        ("file:/x/mainlog?host=[bold]x", "host must be a host name"),
        ("file:/x/mainlog?host=a%1b%5b31m", "host must be a host name"),
        ("file:/x/mainlog?host=-dash", "host must be a host name"),
        ("file:/x/mainlog?host=" + "a" * 254, "host must be a host name"),
        ("file:/x/mainlog?host=a&host=b", "given twice"),
        ("file:/x/mainlog?host=a&sudo=1", "unknown parameter 'sudo'"),
        ("file:/x/mainlog?mta=sendmail", "mta must be one of"),
        ("file:?host=h", "empty path"),
        ("ssh://h/var/log/x?host=two%20words", "host must be a host name"),
    ],
)
def test_bad_host_parameters(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_source_url(url)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


# -- file sources -------------------------------------------------------------------------


def test_file_source_takes_the_host_from_the_url(tmp_path: Path) -> None:
    log = tmp_path / "mainlog"
    log.write_bytes(EXIM_LOG.read_bytes())
    assert open_source(f"file:{log}").host_hint == socket.gethostname()
    assert open_source(f"file:{log}?mta=exim").mta_hint == "exim"
    events: list[ProgressEvent] = []
    with open_source(f"file:{log}?host=relay.example.org") as source:
        assert source.host_hint == "relay.example.org"
        lines = [line for batch in source.read(None, progress=events.append) for line in batch.lines]
    assert lines == EXIM_LOG.read_text(encoding="utf-8").splitlines()
    assert events and {event.host for event in events} == {"relay.example.org"}


def test_exim_sync_files_lines_under_the_given_host(tmp_path: Path) -> None:
    log = tmp_path / "relay" / "mainlog"
    log.parent.mkdir()
    log.write_bytes(EXIM_LOG.read_bytes())
    cache = open_cache(tmp_path)
    try:
        report = sync_sources(cache, [f"file:{log}*?host=relay.example.org"], tz=UTC, now=NOW)
        assert report.errors == []
        result = report.results[0]
        assert (result.host, result.mta) == ("relay.example.org", "exim") and result.deliveries > 5
        assert cache.hosts() == ["relay.example.org"]
        assert hosts_of_rows(cache) == {"relay.example.org"}
        # The same log without host= lands under this machine's name: the parameter is what names it.
        other = open_cache(tmp_path, "other.sqlite3")
        try:
            assert sync_sources(other, [f"file:{log}*"], tz=UTC, now=NOW).errors == []
            assert other.hosts() == [socket.gethostname()]
        finally:
            other.close()
    finally:
        cache.close()


def test_lines_that_name_their_host_keep_it(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_bytes(POSTFIX_LOG.read_bytes())
    now = time.time()  # syslog stamps have no year: anchor them to the file's time, which is now
    cache = open_cache(tmp_path)
    try:
        report = sync_sources(cache, [f"file:{log}?host=relay.example.org"], tz=UTC, now=now)
        assert report.errors == [] and report.results[0].mta == "postfix"
        assert report.results[0].host == "relay.example.org"  # the source's name for progress...
        assert cache.hosts() == ["mx"]  # ...but every line says "mx", and that wins
    finally:
        cache.close()


def test_profile_host_name_reaches_the_cache(tmp_path: Path) -> None:
    log = tmp_path / "mainlog"
    log.write_bytes(EXIM_LOG.read_bytes())
    profile = Profile(name="relay", target="local", paths=[str(log)], mta="exim", host_name="relay.example.org")
    assert profile.source_urls() == [f"file:{log}?host=relay.example.org"]
    cache = open_cache(tmp_path)
    try:
        report = sync_sources(cache, (), profiles=(profile,), tz=UTC, now=NOW)
        assert report.errors == []
        assert cache.hosts() == ["relay.example.org"]
    finally:
        cache.close()


# -- the demo -----------------------------------------------------------------------------


def test_demo_has_its_two_hosts(tmp_path: Path) -> None:
    from tracktui.demo import write_demo
    from tracktui.samples import EXIM_DEMO_HOST, POSTFIX_DEMO_HOST

    demo = write_demo(tmp_path / "demo", now=time.time())
    parsed = {parse_source_url(url).host_name: parse_source_url(url).path for url in demo.sources}
    assert set(parsed) == {POSTFIX_DEMO_HOST, EXIM_DEMO_HOST} == {"mx1.example.com", "relay.example.org"}
    assert parsed[EXIM_DEMO_HOST].endswith("/relay.example.org/mainlog*")
    cache = Cache.open(demo.cache_url)
    try:
        report = sync_sources(cache, demo.sources)
        assert report.errors == []
        assert {(result.host, result.mta) for result in report.results} == {
            ("mx1.example.com", "postfix"), ("relay.example.org", "exim")}
        assert sorted(cache.hosts()) == ["mx1.example.com", "relay.example.org"]
        for host in ("mx1.example.com", "relay.example.org"):
            assert cache.search(Filter(statuses=EVERY_STATUS, hosts=(host,)), limit=1).rows, host
    finally:
        cache.close()
