"""The discrete-event simulation behind the sample logs: messages, recipients, the event heap, the writer API.

Messages arrive, are tried, deferred and retried with the MTA's backoff,
delivered, bounced or expired after the queue lifetime; bounces produce the
notices a real server sends back. A :class:`Writer` turns those facts into one
MTA's log lines. Lines come out in time order from a heap holding only what
is pending, so memory stays flat however many lines are asked for.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from tracktui.samples.data import (
    BOUNCE_WEIGHTS,
    BOUNCES,
    DEAD,
    DNS_TEMP,
    GREYLIST,
    HOSTILE_SUBJECTS,
    NAMES,
    OUR_DOMAIN,
    OUR_IP,
    PLAIN_SUBJECTS,
    POSTFIX_BACKOFF,
    PROVIDERS,
    QUOTA,
    SENT,
    TRANSIENT,
    UNICODE_SUBJECTS,
    USERS,
    Outcome,
    Provider,
)

B62_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(slots=True)
class Rcpt:
    """One recipient of a simulated message and its planned attempts."""

    address: str
    provider: Provider
    plan: list[Outcome]
    """Attempts in order; when the last one is a deferral it repeats until the queue lifetime ends."""
    tries: int = 0
    final: str = ""


@dataclass(slots=True)
class Msg:
    """One simulated message in the queue."""

    qid: str
    sender: str
    subject: str
    msgid: str
    size: int
    client: tuple[str, str]
    arrival: float
    rcpts: list[Rcpt]
    origin: str = "smtpd"
    """``smtpd``, ``pickup`` or ``notice`` (a bounce/delay notification we generate)."""
    notice_of: str = ""
    passes: int = 0
    warned: bool = False


@dataclass(slots=True)
class Config:
    """Knobs of one simulated server."""

    host: str
    mta: str
    queue_lifetime: float
    delay_warning: float | None = None
    reject_rate: float = 0.03
    noise_rate: float = 0.6
    hostile_rate: float = 0.01
    unicode_rate: float = 0.08
    reuse_rate: float = 0.001
    tz: tzinfo | None = None
    rfc3339: bool = False
    sender_domain: str = OUR_DOMAIN


@dataclass(slots=True)
class Sim:
    """The event heap and the writer; yields ``(time, line)`` in time order."""

    rng: random.Random
    cfg: Config
    writer: Writer
    heap: list[tuple[float, int, object]] = field(default_factory=list)
    seq: itertools.count = field(default_factory=itertools.count)
    msgno: itertools.count = field(default_factory=lambda: itertools.count(1))
    now: float = 0.0

    def push(self, when: float, item: object) -> None:
        heapq.heappush(self.heap, (when, next(self.seq), item))

    def emit(self, lines: list[tuple[float, str]]) -> None:
        """Queue lines; none may be earlier than the last line handed out, so output stays in order."""
        now = self.now
        for when, body in lines:
            self.push(when if when > now else now, body)

    def run(self, arrivals: Iterator[float], end: float | None = None) -> Iterator[tuple[float, str]]:
        """Lines in time order, until ``end`` (or forever when ``None`` and arrivals never stop)."""
        next_arrival = next(arrivals, None)
        while True:
            while next_arrival is not None and (not self.heap or next_arrival <= self.heap[0][0]):
                self.now = next_arrival
                self.arrive(next_arrival)
                next_arrival = next(arrivals, None)
            if not self.heap:
                return
            when, _, item = heapq.heappop(self.heap)
            if end is not None and when > end:
                return
            self.now = when
            if isinstance(item, str):
                yield when, item
            elif isinstance(item, Msg):
                self.attempt(item, when)
            else:
                item(when)  # type: ignore[operator]

    # -- message life --------------------------------------------------------------------------

    def arrive(self, when: float, msg: Msg | None = None) -> None:
        rng = self.rng
        if msg is None:
            if rng.random() < self.cfg.reject_rate:
                self.emit(self.writer.reject(when))
                return
            msg = self.new_message(when)
        self.emit(self.writer.arrival(msg, when))
        self.push(when + 0.3 + rng.random() * 0.5, msg)
        if rng.random() < self.cfg.noise_rate:
            self.emit(self.writer.noise(when + rng.random() * 2))

    def new_message(self, when: float, *, subject: str | None = None, plans: list[list[Outcome]] | None = None,
                    recipients: list[str] | None = None) -> Msg:
        rng = self.rng
        origin = "pickup" if rng.random() < 0.1 else "smtpd"
        user = rng.choice(USERS)
        sender = f"www-data@{self.cfg.host}" if origin == "pickup" else f"{user}@{self.cfg.sender_domain}"
        count = len(plans) if plans else (1 if rng.random() < 0.8 else rng.choice((2, 2, 3, 4, 7)))
        rcpts = []
        for index in range(count):
            provider = rng.choices(PROVIDERS, weights=[p.weight for p in PROVIDERS])[0]
            plan = plans[index] if plans else self.plan(rng)
            if plan and plan[0].kind == "dns" and plan[0].dsn.startswith("5"):
                provider = DEAD
            address = recipients[index] if recipients else f"{rng.choice(NAMES)}@{rng.choice(provider.domains)}"
            rcpts.append(Rcpt(address, provider, plan))
        if subject is None:
            subject = self.subject(rng)
        number = next(self.msgno)
        msgid = f"{int(when)}.{number}.{rng.randrange(16**6):06x}@{self.cfg.host}"
        client = ("localhost", "127.0.0.1") if origin == "pickup" else (
            f"client{rng.randrange(1, 60)}.{self.cfg.sender_domain}", f"192.0.2.{rng.randrange(10, 250)}")
        size = int(min(rng.lognormvariate(8.5, 1.3), 30_000_000)) + 600
        return Msg(self.writer.new_id(when), sender, subject, msgid, size, client, when, rcpts, origin)

    @staticmethod
    def plan(rng: random.Random) -> list[Outcome]:
        """An attempt plan: ~88% sent, ~4.5% bounced, ~6% deferred then sent, ~1% expiring..."""
        roll = rng.random()
        if roll < 0.885:
            return [SENT]
        if roll < 0.93:
            return [rng.choices(BOUNCES, weights=BOUNCE_WEIGHTS)[0]]
        if roll < 0.99:
            first = rng.choice((*GREYLIST, *GREYLIST, *QUOTA, *TRANSIENT))
            repeats = 1 if first in GREYLIST else rng.choice((1, 1, 2, 3))
            return [first] * repeats + [SENT]
        if roll < 0.995:
            return [rng.choice(QUOTA), BOUNCES[3]]
        return [rng.choice((DNS_TEMP, *TRANSIENT[:2], QUOTA[0]))]

    def subject(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < self.cfg.hostile_rate:
            return rng.choice(HOSTILE_SUBJECTS)
        if roll < self.cfg.hostile_rate + self.cfg.unicode_rate:
            text = rng.choice(UNICODE_SUBJECTS)
            if rng.random() < 0.3:  # as most mail user agents send it: RFC 2047 encoded
                return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="
            return text
        return rng.choice(PLAIN_SUBJECTS).format(n=rng.randrange(1000, 99999))

    def attempt(self, msg: Msg, when: float) -> None:
        """One queue-manager pass over the message's pending recipients."""
        rng = self.rng
        lines: list[tuple[float, str]] = []
        if msg.passes:
            lines += self.writer.queue_active(msg, when)
        msg.passes += 1
        tick = when + 0.05
        for rcpt in msg.rcpts:
            if rcpt.final:
                continue
            outcome = rcpt.plan[min(rcpt.tries, len(rcpt.plan) - 1)]
            rcpt.tries += 1
            tick += rng.random() * (25.0 if outcome.kind == "connect" and "timed" in outcome.text else 1.5)
            lines += self.writer.delivery(msg, rcpt, outcome, tick)
            if outcome.result != "deferred":
                rcpt.final = outcome.result
        pending = [rcpt for rcpt in msg.rcpts if not rcpt.final]
        backoff = self.writer.backoff[min(msg.passes - 1, len(self.writer.backoff) - 1)]
        if pending and self.cfg.delay_warning and not msg.warned and msg.origin != "notice" \
                and when - msg.arrival >= self.cfg.delay_warning:
            msg.warned = True
            lines += self.notice(msg, tick + 0.2, "delay")
        if not pending:
            lines += self.finish(msg, tick + 0.1)
        elif when + backoff >= msg.arrival + self.cfg.queue_lifetime:
            self.push(msg.arrival + self.cfg.queue_lifetime + rng.random() * 300, self._expire_cb(msg))
        else:
            self.push(when + backoff * (1 + rng.random() * 0.1), msg)
        self.emit(lines)

    def _expire_cb(self, msg: Msg) -> Callable[[float], None]:
        def expire(when: float) -> None:
            lines = self.writer.expire(msg, when)
            for rcpt in msg.rcpts:
                if not rcpt.final:
                    rcpt.final = "expired"
            self.emit(lines + self.finish(msg, when + 0.1))

        return expire

    def finish(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        lines: list[tuple[float, str]] = []
        if msg.origin != "notice" and any(r.final in ("bounced", "expired") for r in msg.rcpts):
            lines += self.notice(msg, when, "non-delivery")
        lines += self.writer.removed(msg, when + 0.05)
        self.writer.release(msg.qid)
        return lines

    def notice(self, msg: Msg, when: float, kind: str) -> list[tuple[float, str]]:
        """The bounce or delay notice our server sends back to the sender, as its own message."""
        rng = self.rng
        notice = Msg(self.writer.new_id(when), "", "Undelivered Mail Returned to Sender" if kind != "delay"
                      else "Delayed Mail (still being retried)", f"{int(when)}.{msg.qid}@{self.cfg.host}",
                      msg.size // 4 + 2500, ("", ""), when,
                      [Rcpt(msg.sender, PROVIDERS[0], [SENT])], "notice", msg.qid)
        lines = self.writer.notice(msg, notice, when, kind)
        self.push(when + 0.2 + rng.random() * 0.2, notice)
        return lines


class Writer:
    """Formats the simulation's facts as one MTA's log lines (bodies without the time stamp)."""

    backoff: tuple[float, ...] = POSTFIX_BACKOFF

    def __init__(self, rng: random.Random, cfg: Config) -> None:
        self.rng = rng
        self.cfg = cfg
        self.recent: deque[str] = deque(maxlen=2000)
        self.in_flight: set[str] = set()

    def new_id(self, when: float) -> str:
        if self.recent and self.rng.random() < self.cfg.reuse_rate:
            candidate = self.recent[self.rng.randrange(len(self.recent))]
            if candidate not in self.in_flight:
                self.in_flight.add(candidate)
                return candidate
        while True:
            candidate = self.make_id(when)
            if candidate not in self.in_flight:
                self.in_flight.add(candidate)
                return candidate

    def release(self, qid: str) -> None:
        self.in_flight.discard(qid)
        self.recent.append(qid)

    def fill(self, text: str, msg: Msg, rcpt: Rcpt, when: float) -> str:
        rng = self.rng
        domain = rcpt.address.rpartition("@")[2]
        return text.format(
            rcpt=rcpt.address, domain=domain, mx=rcpt.provider.mx, ip=rcpt.provider.ip, our_ip=OUR_IP,
            epoch=int(when), r=f"{rng.randrange(16**10):010x}", n=rng.randrange(1000000, 9999999),
            m=rng.randrange(1000, 9999), msgid=msg.msgid, size=msg.size,
            pqid=f"{rng.randrange(16**11):011X}", eid=base62(int(when), 6) + "-" + base62(rng.randrange(62**6), 6) + "-"
            + base62(rng.randrange(3844), 2),
        )

    # Each MTA's writer (samples/postfix.py, samples/exim.py) implements these.
    def make_id(self, when: float) -> str:
        raise NotImplementedError
    def arrival(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def queue_active(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def delivery(self, msg: Msg, rcpt: Rcpt, outcome: Outcome, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def expire(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def removed(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def notice(self, msg: Msg, notice: Msg, when: float, kind: str) -> list[tuple[float, str]]:
        raise NotImplementedError
    def reject(self, when: float, kind: int | None = None) -> list[tuple[float, str]]:
        raise NotImplementedError
    def noise(self, when: float) -> list[tuple[float, str]]:
        raise NotImplementedError
    def stamp(self, when: float, body: str) -> str:
        raise NotImplementedError


def base62(number: int, width: int) -> str:
    """``number`` in ``width`` base-62 digits, as Exim writes its message ids."""
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(B62_DIGITS[rest])
    return "".join(reversed(digits))


def to_moment(when: float, tz: tzinfo | None) -> datetime:
    """``when`` as an aware datetime in ``tz`` (the machine's zone when ``None``)."""
    return datetime.fromtimestamp(when, tz) if tz is not None else datetime.fromtimestamp(when).astimezone()


def syslog_time(when: float, tz: tzinfo | None) -> str:
    """A traditional syslog stamp: ``Nov  7 09:00:01``."""
    moment = to_moment(when, tz)
    return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S}"


LINES_PER_MESSAGE = 10.0
"""Average log lines one message costs (arrival, attempts, retries, notices, neighbours' noise)."""


def poisson_arrivals(rng: random.Random, start: float, per_second: float) -> Iterator[float]:
    """Endless arrival times after ``start``, ``per_second`` on average."""
    moment = start
    while True:
        moment += rng.expovariate(per_second)
        yield moment


def stream_lines(sim: Sim, arrivals: Iterator[float], n_lines: int, end: float | None = None) -> Iterator[str]:
    """The first ``n_lines`` stamped lines of ``sim`` fed by ``arrivals``."""
    stamp = sim.writer.stamp
    for _, body in itertools.islice(sim.run(arrivals, end), n_lines):
        yield stamp(_, body)
