"""``tracktui check``: real caches synced from constructed Postfix logs, judged through the CLI.

Each log is written with RFC 3339 stamps relative to the real clock (the check judges "the
last 24 hours" against ``time.time()``), in the line shapes of tests/fixtures/postfix. The
exit codes are the monitoring-plugin ones: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
"""

from __future__ import annotations

import itertools
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tracktui.cache import Cache
from tracktui.health import (
    CRITICAL,
    OK,
    WARNING,
    Observation,
    Thresholds,
    escape_label,
    judge,
    observe,
    parse_duration,
    parse_rate,
    queue_stats,
    render_textfile,
)
from tracktui.model import DeliveryRow, Filter, Status

HOST = "mx"
_ids = itertools.count(0x1A2B3C0000)


def stamp(seconds_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat(timespec="microseconds")


def outbound(to: str, *, status: str = "sent", reply: str = "250 2.0.0 Ok: queued as 4XYZ", dsn: str = "2.0.0",
             first_ago: float = 600, last_ago: float = 590) -> list[str]:
    """One message submitted from localhost and handed to a remote server: one outbound delivery."""
    qid = f"{next(_ids):X}"
    domain = to.rpartition("@")[2]
    return [
        f"{stamp(first_ago)} {HOST} postfix/smtpd[101]: {qid}: client=localhost[127.0.0.1]",
        f"{stamp(first_ago)} {HOST} postfix/cleanup[102]: {qid}: message-id=<{qid}@example.com>",
        f"{stamp(first_ago)} {HOST} postfix/qmgr[103]: {qid}: from=<alice@example.com>, size=900, nrcpt=1 "
        "(queue active)",
        f"{stamp(last_ago)} {HOST} postfix/smtp[104]: {qid}: to=<{to}>, relay=mx.{domain}[198.51.100.7]:25, "
        f"delay=1.2, delays=0.1/0/0/1.1, dsn={dsn}, status={status} (host mx.{domain}[198.51.100.7] said: "
        f"{reply} (in reply to RCPT TO command))",
    ] + ([f"{stamp(last_ago)} {HOST} postfix/qmgr[103]: {qid}: removed"] if status != "deferred" else [])


def delivered(n: int, domain: str = "example.net") -> list[str]:
    return [line for i in range(n) for line in outbound(f"user{i}@{domain}")]


def bounced(n: int, domain: str = "example.org") -> list[str]:
    return [line for i in range(n) for line in outbound(
        f"gone{i}@{domain}", status="bounced", dsn="5.1.1", reply=f"550 5.1.1 <gone{i}@{domain}>: user unknown")]


def deferred(to: str, *, hours: float) -> list[str]:
    return outbound(to, status="deferred", dsn="4.4.2", reply="451 4.4.2 Try again later",
                    first_ago=hours * 3600, last_ago=300)


REMOTE_BLOCKLIST = "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"


def refused_here_by_spamhaus() -> str:
    """Our own server refusing a listed client: our filter working, not our IP listed."""
    return (f"{stamp(1200)} {HOST} postfix/smtpd[107]: NOQUEUE: reject: RCPT from unknown[193.47.61.35]: 554 5.7.1 "
            "Service unavailable; Client host [193.47.61.35] blocked using zen.spamhaus.org; from=<x@spam.example> "
            "to=<bob@example.com> proto=ESMTP helo=<spam>")


def sync(tmp_path: Path, lines: list[str]) -> str:
    log = tmp_path / "mail.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = str(tmp_path / "cache.db")
    done = run(tmp_path, "sync", "--source", f"file:{log}", "--cache", cache, "--mta", "postfix", "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    return cache


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "tracktui", "--config", str(config), *args],
                          capture_output=True, text=True, check=False)


def check(tmp_path: Path, cache: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = run(tmp_path, "check", "--cache", cache, *args)
    assert done.stdout.count("\n") == 1, done.stdout  # one line, always
    return done


def families(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    parsed: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            parsed.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return parsed


# -- through the CLI -------------------------------------------------------------------------------


def test_healthy_cache_is_ok_and_the_textfile_matches_it(tmp_path: Path) -> None:
    cache = sync(tmp_path, [*delivered(40), *bounced(1), refused_here_by_spamhaus()])
    prom = tmp_path / "tracktui.prom"
    done = check(tmp_path, cache, "--prometheus", str(prom))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("TRACKTUI OK - 42 deliveries in 24h, bounce rate 2.4%, oldest deferred none | ")
    assert "bounce_rate=2.44%;4;5;0;100" in done.stdout
    assert stat.S_IMODE(prom.stat().st_mode) == 0o644
    metrics = families(prom)
    deliveries = {(labels["direction"], labels["status"]): value
                  for labels, value in metrics["tracktui_deliveries"] if labels["host"] == HOST}
    assert deliveries[("outbound", "delivered")] == 40
    assert deliveries[("outbound", "bounced")] == 1
    assert deliveries[("inbound", "bounced")] == 1  # the refusal of the listed client
    assert sum(deliveries.values()) == 42
    assert metrics["tracktui_bounce_rate"] == [({"host": HOST}, pytest.approx(1 / 41))]
    assert metrics["tracktui_oldest_deferred_seconds"] == [({"host": HOST}, 0)]
    assert all(value == 0 for _, value in metrics["tracktui_blocklisted"])  # our own refusal does not count
    assert {labels["list"] for labels, _ in metrics["tracktui_blocklisted"]} >= {"Spamhaus", "SpamCop"}
    assert metrics["tracktui_check_status"] == [({}, 0)]
    (synced,) = metrics["tracktui_last_sync_timestamp_seconds"]
    assert abs(synced[1] - time.time()) < 300
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tracktui.prom.")]  # no temp file left
    with Cache.open(cache, retention_days=3650) as opened:  # the same numbers as the cache's own counts
        by_status = opened.count_by_status(Filter(statuses=frozenset(Status), since=time.time() - 86400))
    for status in Status:
        exported = sum(value for labels, value in metrics["tracktui_deliveries"] if labels["status"] == status.value)
        assert exported == by_status.get(status, 0), status


def test_check_syncs_its_sources_first(tmp_path: Path) -> None:
    log = tmp_path / "fresh.log"
    log.write_text("\n".join([*delivered(3), *bounced(1)]) + "\n", encoding="utf-8")
    cache = str(tmp_path / "new-cache.db")
    done = check(tmp_path, cache, "--source", f"file:{log}", "--mta", "postfix", "--tz", "UTC",
                 "--max-bounce-rate", "40%")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 deliveries in 24h, bounce rate 25.0%" in done.stdout


def test_bounce_rate_over_the_warning_threshold_warns(tmp_path: Path) -> None:
    cache = sync(tmp_path, [*delivered(18), *bounced(2)])  # 10 %
    done = check(tmp_path, cache, "--max-bounce-rate", "12%")  # warning from 9.6 %
    assert done.returncode == 1, done.stdout
    assert done.stdout.startswith("TRACKTUI WARNING - outbound bounce rate 10.0% over 9.6% (max 12.0%); 20 deliveries")
    assert check(tmp_path, cache, "--max-bounce-rate", "8").returncode == 2
    assert check(tmp_path, cache, "--max-bounce-rate", "20%").returncode == 0


def test_a_domain_deferring_for_hours_is_critical_and_is_named(tmp_path: Path) -> None:
    lines = [*delivered(20), *deferred("a@slow.example", hours=7), *deferred("b@slow.example", hours=1),
             *deferred("c@fine.example", hours=0.5)]
    cache = sync(tmp_path, lines)
    prom = tmp_path / "out.prom"
    done = check(tmp_path, cache, "--prometheus", str(prom))
    assert done.returncode == 2, done.stdout
    assert "deferring over 6h: slow.example (7h)" in done.stdout
    assert "fine.example" not in done.stdout.split("|")[0]
    assert "oldest deferred 7h" in done.stdout
    metrics = families(prom)
    by_domain = {labels["domain"]: value for labels, value in metrics["tracktui_deferred_by_domain"]}
    assert by_domain == {"slow.example": 2, "fine.example": 1}
    ((_, oldest),) = metrics["tracktui_oldest_deferred_seconds"]
    assert 7 * 3600 - 120 < oldest < 7 * 3600 + 120
    assert metrics["tracktui_check_status"] == [({}, 2)]
    # 5h is past 80 % of 6h: a warning; a longer allowance is fine; --max-deferred counts them
    assert check(tmp_path, cache, "--max-deferred-age", "8h").returncode == 1
    assert check(tmp_path, cache, "--max-deferred-age", "12h").returncode == 0
    assert check(tmp_path, cache, "--max-deferred-age", "12h", "--max-deferred", "2").returncode == 2
    # only the domains asked about (named twice, counted once)
    only = check(tmp_path, cache, "--domain", "fine.example", "--domain", "@FINE.example")
    assert only.returncode == 0, only.stdout
    assert "1 delivery in 24h" in only.stdout


def test_our_ip_on_a_remote_blocklist_is_critical_but_our_own_spamhaus_refusal_is_not(tmp_path: Path) -> None:
    refused_only = sync(tmp_path, [*delivered(30), refused_here_by_spamhaus(), refused_here_by_spamhaus()])
    assert check(tmp_path, refused_only, "--max-bounce-rate", "50%").returncode == 0

    listed = tmp_path / "listed"
    listed.mkdir()
    cache = sync(listed, [*delivered(30), *outbound("bob@big.example", status="bounced", dsn="5.7.1",
                                                     reply=REMOTE_BLOCKLIST), refused_here_by_spamhaus()])
    prom = listed / "out.prom"
    done = check(listed, cache, "--max-bounce-rate", "50%", "--prometheus", str(prom))
    assert done.returncode == 2, done.stdout
    assert "our IP is blocklisted: Spamhaus (1)" in done.stdout  # the refusal by our server is not counted
    listed_metric = {labels["list"]: value for labels, value in families(prom)["tracktui_blocklisted"]}
    assert listed_metric["Spamhaus"] == 1
    assert sum(listed_metric.values()) == 1


def test_an_unreadable_cache_is_unknown(tmp_path: Path) -> None:
    missing = check(tmp_path, str(tmp_path / "nope.db"))
    assert missing.returncode == 3
    assert missing.stdout.startswith("TRACKTUI UNKNOWN - ")
    assert not (tmp_path / "nope.db").exists()  # a check never creates a cache

    prom = tmp_path / "out.prom"
    prom.write_text("tracktui_check_status 0\n", encoding="utf-8")  # yesterday's file must not stay OK
    assert check(tmp_path, str(tmp_path / "nope.db"), "--prometheus", str(prom)).returncode == 3
    assert families(prom)["tracktui_check_status"] == [({}, 3)]

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    damaged = check(tmp_path, str(garbage))
    assert damaged.returncode == 3, damaged.stdout
    assert damaged.stdout.startswith("TRACKTUI UNKNOWN - ")
    assert "Traceback" not in damaged.stderr


def test_a_failed_sync_is_unknown(tmp_path: Path) -> None:
    cache = sync(tmp_path, delivered(3))
    done = check(tmp_path, cache, "--source", f"file:{tmp_path / 'missing.log'}")
    assert done.returncode == 3, done.stdout
    assert done.stdout.startswith("TRACKTUI UNKNOWN - sync failed: ")
    assert "3 deliveries in 24h" in done.stdout


def test_a_bad_threshold_is_unknown(tmp_path: Path) -> None:
    cache = sync(tmp_path, delivered(1))
    done = check(tmp_path, cache, "--max-bounce-rate", "lots")
    assert done.returncode == 3
    assert done.stdout.startswith("TRACKTUI UNKNOWN - bad option: ")


def test_hostile_domain_through_the_cli_stays_one_sample(tmp_path: Path) -> None:
    cache = sync(tmp_path, [*delivered(5), *deferred('x@we\\ird"dom.example', hours=1)])
    prom = tmp_path / "out.prom"
    done = check(tmp_path, cache, "--prometheus", str(prom))
    assert done.returncode == 0, done.stdout
    by_domain = families(prom)["tracktui_deferred_by_domain"]
    assert by_domain == [({"host": HOST, "domain": 'we\\ird"dom.example'}, 1)]


# -- the pure parts ------------------------------------------------------------------------------


def row(**fields: object) -> DeliveryRow:
    base: dict[str, object] = dict(
        delivery_id=1, message_key=1, time=1000.0, message_time=1000.0, host=HOST, mta="postfix", queue_id="Q",
        message_id=None, sender="a@example.com", recipient="b@example.net", orig_recipient=None, subject=None,
        size=None, status=Status.DEFERRED, attempt_count=1, relay=None, delay=None, code=None, dsn=None,
        reply=None, direction="outbound",
    )
    base.update(fields)
    return DeliveryRow(**base)  # type: ignore[arg-type]


def test_hostile_label_values_stay_one_valid_sample() -> None:
    hostile = 'evil"} 1\ntracktui_fake{x="1\\'
    seen = observe({}, [
        row(recipient=f"x@{hostile}", message_time=0.0),
        row(status=Status.BOUNCED, code=554, dsn="5.7.1", reply=f"554 5.7.1 rejected, listed on {hostile} blocklist"),
    ], now=3600.0, window=86400.0)
    text = render_textfile(seen, level=CRITICAL, last_sync=None)
    parsed = list(text_string_to_metric_families(text))
    assert "tracktui_fake" not in {f.name for f in parsed}
    (domain_sample,) = next(f for f in parsed if f.name == "tracktui_deferred_by_domain").samples
    assert domain_sample.labels["domain"] == hostile.lower()
    assert escape_label('a\\b"c\nd\re\x1b') == 'a\\\\b\\"c\\nde'
    judged = judge(seen, Thresholds())
    assert "\n" not in judged.line


def test_thresholds_warning_at_80_percent() -> None:
    seen = Observation(now=10_000.0, window=86400.0)
    seen.host(HOST).counts[("outbound", Status.DELIVERED)] = 95
    seen.host(HOST).counts[("outbound", Status.BOUNCED)] = 5
    assert judge(seen, Thresholds(max_bounce_rate=0.05)).level == WARNING  # 5 % is at the max, not over it
    assert judge(seen, Thresholds(max_bounce_rate=0.04)).level == CRITICAL
    assert judge(seen, Thresholds(max_bounce_rate=0.07)).level == OK
    inbound = Observation(now=0.0, window=60.0)
    inbound.host(HOST).counts[("inbound", Status.BOUNCED)] = 50  # refusals of clients: not our bounce rate
    assert judge(inbound, Thresholds()).level == OK


def test_a_listed_link_in_one_message_is_not_our_ip_listed() -> None:
    content = row(status=Status.BOUNCED, code=554, dsn="5.7.1", reply="554 5.7.1 Message rejected: URL listed at "
                  "multi.uribl.com")
    ip = row(status=Status.BOUNCED, code=554, dsn="5.7.1", reply="554 5.7.1 Service unavailable; Client host "
             "[192.0.2.10] blocked using b.barracudacentral.org")
    assert observe({}, [content], now=0.0, window=60.0).blocklisted() == {}
    assert observe({}, [content, ip], now=0.0, window=60.0).blocklisted() == {"Barracuda": 1}


def test_a_quiet_host_shows_zeros_instead_of_vanishing() -> None:
    seen = observe({}, [], now=0.0, window=60.0, hosts=["quiet"])
    text = render_textfile(seen, level=OK, last_sync=None)
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples if s.labels.get("host") == "quiet"]
    assert {s.name for s in samples} >= {"tracktui_deliveries", "tracktui_bounce_rate",
                                         "tracktui_oldest_deferred_seconds", "tracktui_blocklisted"}
    assert all(s.value == 0 for s in samples)


def test_greylisting_by_our_server_is_not_deferred_mail_of_ours() -> None:
    seen = observe({}, [row(refused_here=True, direction="inbound", message_time=0.0)], now=86_000.0, window=86400.0)
    assert seen.deferred == 0
    assert judge(seen, Thresholds()).level == OK


def test_parsers_and_the_queue_seam() -> None:
    assert parse_duration("24h") == 86400 and parse_duration("90") == 90 and parse_duration("1.5d") == 129600
    assert parse_rate("5%") == 0.05 and parse_rate("12.5") == 0.125
    for bad in ("", "-1h", "0", "6 hours"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_rate("150%")

    class Entry:
        def __init__(self, host: str, arrival: float) -> None:
            self.host, self.arrival = host, arrival

    stats = queue_stats([Entry("mx", 100.0), Entry("mx", 50.0), Entry("relay", 10.0)])
    seen = Observation(now=1000.0, window=60.0)
    parsed = {s.name: s for f in text_string_to_metric_families(
        render_textfile(seen, level=OK, last_sync=None, queue=stats)) for s in f.samples
        if s.labels.get("host") == "mx"}
    assert parsed["tracktui_queue_size"].value == 2
    assert parsed["tracktui_queue_oldest_seconds"].value == 950


def test_an_unwritable_textfile_is_unknown(tmp_path: Path) -> None:
    cache = sync(tmp_path, delivered(2))
    done = check(tmp_path, cache, "--prometheus", str(tmp_path / "no-such-dir" / "out.prom"))
    assert done.returncode == 3, done.stdout
    assert done.stdout.startswith("TRACKTUI UNKNOWN - cannot write ")
    assert "2 deliveries in 24h" in done.stdout


def test_a_usage_error_is_unknown_on_stdout(tmp_path: Path) -> None:
    done = run(tmp_path, "check", "--max-deferred", "many")
    assert done.returncode == 3
    assert done.stdout.startswith("TRACKTUI UNKNOWN - argument --max-deferred: ")
    assert run(tmp_path, "search", "--limit", "many").returncode == 2  # the other commands keep theirs


def test_who_is_blocking_us_names_the_provider_and_its_reason(tmp_path: Path) -> None:
    """A real Microsoft reputation block (pastebin, tests/fixtures/replies) on our outbound mail."""
    microsoft = ("550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet "
                 "service provider since part of their network is on our block list (AS3150). You can also refer "
                 "your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
                 "[BY2NAM01FT030.eop-nam01.prod.protection.outlook.com]")
    cache = sync(tmp_path, [*delivered(30), *outbound("bob@hotmail-com.olc.protection.outlook.com", status="bounced",
                                                      dsn="5.7.1", reply=microsoft)])
    prom = tmp_path / "out.prom"
    check(tmp_path, cache, "--max-bounce-rate", "50%", "--prometheus", str(prom))
    refusing = families(prom)["tracktui_refused_by_provider"]
    assert refusing == [({"host": HOST, "provider": "Microsoft (Outlook.com / Microsoft 365)",
                          "reason": "reputation"}, 1)]
