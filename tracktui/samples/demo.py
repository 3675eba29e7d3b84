"""The ``tracktui demo`` data set: two hosts, sixty days, every outcome, rotated like logrotate does."""

from __future__ import annotations

import bisect
import gzip
import itertools
import os
import random
from collections.abc import Callable, Iterator
from datetime import timedelta, tzinfo
from pathlib import Path

from tracktui.samples.data import (
    BOUNCES,
    DAY,
    DNS_TEMP,
    GREYLIST,
    HOSTILE_SUBJECTS,
    QUOTA,
    SENT,
    TRANSIENT,
    UNICODE_SUBJECTS,
    Outcome,
)
from tracktui.samples.exim import EximWriter
from tracktui.samples.postfix import PostfixWriter
from tracktui.samples.sim import Config, Sim, Writer, to_moment

_HOURLY = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 12, 14, 13, 11, 8, 5, 4, 3, 2, 2, 1)
DEMO_DAYS = 60
POSTFIX_DEMO_HOST = "mx1.example.com"
EXIM_DEMO_HOST = "relay.example.org"


def write_demo_logs(directory: Path, *, now: float, seed: int = 7, tz: tzinfo | None = None) -> list[str]:
    """Write the ``tracktui demo`` data set under ``directory`` and return the ``file:`` sources to sync.

    Two hosts over the :data:`DEMO_DAYS` days up to ``now``, a few hundred messages a day, busier
    on the last three days so today is never empty, with every outcome: delivered, deferred and
    still retrying at ``now``, deferred then delivered, bounced for each common reason, expired,
    SMTP-time rejections, bounce and delay notices, Unicode and hostile subjects.

    - ``<directory>/mx1.example.com/mail.log*``: Postfix through rsyslog, rotated weekly as on
      Debian (``mail.log``, ``mail.log.1``, ``mail.log.2.gz``...). Each syslog line names its
      host, ``mx1.example.com``; no ``default_host`` is needed.
    - ``<directory>/relay.example.org/mainlog*``: Exim's main log, rotated daily (``mainlog``,
      ``mainlog.1``, ``mainlog.2.gz``...). It has no host field: configure this source with
      ``default_host="relay.example.org"``.

    Stamps are written in ``tz`` (default: the machine's local zone, which is what the parsers
    assume by default). Each file's modification time is the time of its last line, which the
    parsers use to infer the year of year-less syslog stamps.
    """
    directory = Path(directory)
    rng = random.Random(seed)
    sources = []
    for mta, host, base, period in (("postfix", POSTFIX_DEMO_HOST, "mail.log", 7),
                                    ("exim", EXIM_DEMO_HOST, "mainlog", 1)):
        host_rng = random.Random(rng.randrange(2**32))
        if mta == "postfix":
            cfg = Config(host=host, mta=mta, queue_lifetime=5 * DAY, delay_warning=4 * 3600.0, tz=tz,
                          hostile_rate=0.004, reuse_rate=0.002)
            writer: Writer = PostfixWriter(host_rng, cfg)
            per_day = 90.0
        else:
            cfg = Config(host=host, mta=mta, queue_lifetime=4 * DAY, tz=tz, sender_domain="example.org",
                          noise_rate=0.3, hostile_rate=0.004)
            writer = EximWriter(host_rng, cfg)
            per_day = 35.0
        sim = Sim(host_rng, cfg, writer)
        begin = now - DEMO_DAYS * DAY
        _script(sim, now, mta)
        arrivals = iter(_demo_arrivals(host_rng, begin, now, per_day, tz))
        target = directory / host
        target.mkdir(parents=True, exist_ok=True)
        boundaries = _rotation_times(now, begin, period, tz)
        _write_rotated(sim.run(arrivals, end=now), writer.stamp, target, base, boundaries)
        sources.append(f"file:{target / base}*")
    return sources


def _demo_arrivals(rng: random.Random, begin: float, now: float, per_day: float, tz: tzinfo | None) -> list[float]:
    """Arrival times: office hours busier, weekends quieter, the last three days busier."""
    times: list[float] = []
    day_start = _local_midnight(begin, tz)
    while day_start < now:
        weekday = to_moment(day_start + 43200, tz).weekday()
        mean = per_day * (0.4 if weekday >= 5 else 1.0) * (1.6 if now - day_start < 3 * DAY else 1.0)
        count = max(0, int(rng.gauss(mean, mean ** 0.5)))
        for _ in range(count):
            hour = rng.choices(range(24), weights=_HOURLY)[0]
            moment = day_start + hour * 3600 + rng.random() * 3600
            if begin <= moment < now:
                times.append(moment)
        day_start += DAY
    times.sort()
    return times


def _script(sim: Sim, now: float, mta: str) -> None:
    """Messages that make sure every outcome and every awkward subject is in the demo."""
    hour = 3600.0

    def message(when: float, subject: str | None, *plans: list[Outcome], to: tuple[str, ...] = ()) -> None:
        def arrive(moment: float) -> None:
            sim.arrive(moment, sim.new_message(moment, subject=subject, plans=list(plans),
                                               recipients=list(to) if to else None))

        sim.push(when, arrive)

    def reject(when: float, kind: int) -> None:
        sim.push(when, lambda moment: sim.emit(sim.writer.reject(moment, kind)))

    forever_timeout, forever_quota = [TRANSIENT[1]], [QUOTA[0]]
    for index, subject in enumerate(HOSTILE_SUBJECTS):
        plan = [GREYLIST[0], SENT] if subject == "[/deferred]" else [BOUNCES[4]] if "SPAM" in subject else [SENT]
        message(now - 3 * hour - index * 420 - (0 if mta == "postfix" else 90), subject, plan)
    for index, subject in enumerate(UNICODE_SUBJECTS):
        message(now - 26 * hour - index * 780, subject, [SENT])
    message(now - 2 * hour, "Quarterly figures", forever_quota, to=("bob@example.net",))
    message(now - 30 * hour, "Server migration plan", forever_timeout)
    message(now - 6 * hour, "Re: greylisting test", [GREYLIST[1], SENT])
    message(now - 30 * hour - 600, "Holiday photos", [QUOTA[1], QUOTA[1], QUOTA[1], SENT])
    message(now - 4 * hour, "Team update — all recipients", [SENT], [BOUNCES[0]], [GREYLIST[0], SENT],
            forever_quota)
    for index, bounce in enumerate(BOUNCES if mta == "postfix" else BOUNCES[:4]):
        message(now - 2 * DAY - index * hour, f"Bounce sample {index + 1}", [bounce])
    message(now - 9 * DAY, "Expired: DNS never answered", [DNS_TEMP])
    message(now - 20 * DAY, "Expired: host never answered", forever_timeout)
    message(now - 35 * DAY, "Old news", [SENT])
    for kind in range(6 if mta == "postfix" else 4):
        reject(now - 5 * hour - kind * 600, kind)


def _local_midnight(when: float, tz: tzinfo | None) -> float:
    moment = to_moment(when, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.timestamp()


def _rotation_times(now: float, begin: float, period_days: int, tz: tzinfo | None) -> list[float]:
    """Ascending logrotate run times (06:25, cron.daily) between ``begin`` and ``now``; weekly ones on Sundays."""
    moment = to_moment(now, tz).replace(hour=6, minute=25, second=0, microsecond=0)
    if moment.timestamp() > now:
        moment -= timedelta(days=1)
    if period_days == 7:
        moment -= timedelta(days=(moment.weekday() + 1) % 7)
    times = []
    while moment.timestamp() > begin:
        times.append(moment.timestamp())
        moment -= timedelta(days=period_days)
    return sorted(times)


def _write_rotated(lines: Iterator[tuple[float, str]], stamp: Callable[[float, str], str], target: Path,
                   base: str, boundaries: list[float]) -> None:
    """Stream lines into ``base``, ``base.1``, ``base.2.gz``...: newest in ``base``, as logrotate's delaycompress.

    Each file's mtime becomes the time of its last line.
    """
    rotated = len(boundaries)
    (target / base).touch()  # logrotate leaves an empty current file even on a quiet day
    for number, group in itertools.groupby(lines, key=lambda item: rotated - bisect.bisect_right(boundaries, item[0])):
        name = base if number == 0 else f"{base}.{number}" if number == 1 else f"{base}.{number}.gz"
        path = target / name
        last = 0.0
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8", newline="\n") as handle:
            for when, body in group:
                handle.write(stamp(when, body) + "\n")
                last = when
        os.utime(path, (last, last))
