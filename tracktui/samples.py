"""Realistic sample mail logs for ``tracktui demo``, the benchmarks and the tests.

One small discrete-event simulation of a mail server drives two writers:
Postfix (syslog ``mail.log``) and Exim (``mainlog``). Messages arrive, are
tried, deferred and retried with the MTA's backoff, delivered, bounced or
expired after the queue lifetime; bounces produce the notices a real server
sends back. Lines come out in time order, interleaved across many messages in
flight, from a heap holding only what is pending, so memory stays flat however
many lines are asked for. Everything is deterministic for a given seed.

Addresses use the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24) and reserved example domains only.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import heapq
import itertools
import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

DAY = 86400.0
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_POSTFIX_BACKOFF = (300.0, 600.0, 1200.0, 2400.0, 4000.0)
_EXIM_BACKOFF = (900.0,) * 8 + (3600.0, 5400.0, 8100.0, 12150.0, 18225.0, 21600.0)
"""Exim's default retry rule: F,2h,15m; G,16h,1h,1.5; F,4d,6h."""
_OUR_DOMAIN = "example.com"
_OUR_IP = "192.0.2.1"

HOSTILE_SUBJECTS: tuple[str, ...] = (
    "[SPAM] Cheap watches, 90% off",
    "[/deferred]",
    "[@click=app.quit]",
    "[bold red]x",
    "\x1b[31mred alert\x1b[0m \x1b]0;pwned\x07",
    "#033[31mescaped by rsyslog#033[0m",
    "status=bounced dsn=5.1.1",
    "to=<evil@example.net>, relay=none, delay=0, dsn=2.0.0, status=sent (250 ok)",
    "\u202egnp.exe invoice",
    'quotes " and \\ backslash T="x"',
    "Long subject " + "ABCDEFGHIJ" * 1024,
)
"""Subjects that try to break parsers and views: markup, escapes, fake fields, bidi, 10 kB."""

UNICODE_SUBJECTS: tuple[str, ...] = (
    "Réunion de l'équipe — ordre du jour",
    "Grüße aus München",
    "Año nuevo, señales y café",
    "会議の議事録（11月）",
    "季度报告 Q4",
    "회의 일정 안내",
    "اجتماع الفريق غدا",
    "שלום, מה שלומך?",
    "🎉 Party on Friday 🍕",
    "Привет из Москвы",
    "Ελληνικά: καλημέρα",
)
"""Subjects in many scripts, including right-to-left ones and emoji."""

_PLAIN_SUBJECTS = (
    "Invoice {n}", "Re: Meeting on Thursday", "Your order #{n} has shipped", "Weekly report",
    "Fwd: Photos from the trip", "Password reset request", "Newsletter: what's new in November",
    "Lunch?", "Re: Re: budget {n}", "Minutes of the board meeting", "Ticket #{n} updated",
    "Your receipt from Example Shop", "Reminder: dentist appointment", "Contract draft v{n}",
)
_USERS = ("alice", "bob.smith", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "billing", "support", "newsletter", "noreply", "sales")
_NAMES = ("anna", "ben", "chen", "dmitri", "elena", "fatima", "george", "hana", "igor", "jules", "kenji",
          "laura", "mehmet", "nina", "oscar", "priya", "quentin", "rosa", "sven", "tomas", "ursula", "yuki",
          "info", "office", "contact", "admin", "hr", "j.doe", "m.muller")


@dataclass(frozen=True, slots=True)
class _Provider:
    """A recipient domain's mail service: MX host, address and how it says yes."""

    domains: tuple[str, ...]
    mx: str
    ip: str
    ok: str
    weight: float
    style: str


_PROVIDERS = (
    _Provider(("example.net", "mail.example.net"), "mx.example.net", "198.51.100.26",
              "250 2.0.0 OK  {epoch} {r}si{n}.{m} - gsmtp", 40, "big"),
    _Provider(("example.org", "corp.example.org"), "example-org.mail.protection.example.org", "198.51.100.40",
              "250 2.6.0 <{msgid}> [InternalId={n}{m}, Hostname=DB8PR01MB{m}.eurprd01.prod.example.org] "
              "{size} bytes in 0.{m}, 42.{m} KB/sec Queued mail for delivery", 25, "ms"),
    _Provider(("webmail.example",), "mta5.am0.webmail.example", "198.51.100.77", "250 ok dirdel", 12, "yahoo"),
    _Provider(("isp.example", "shop.example"), "mail.isp.example", "203.0.113.25",
              "250 2.0.0 Ok: queued as {pqid}", 15, "postfix"),
    _Provider(("uni.example", "club.example"), "smtp.uni.example", "203.0.113.80", "250 OK id={eid}", 8, "exim"),
)
_DEAD = _Provider(("nonexistent.example",), "nonexistent.example", "", "", 0, "dead")


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One attempt's result. ``kind``: ``sent``, ``reply`` (host said), ``connect``, ``dns``, ``expire``."""

    result: str
    dsn: str
    kind: str
    text: str = ""
    stage: str = "RCPT TO"


_GREYLIST = (
    _Outcome("deferred", "4.2.0", "reply", "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see "
             "http://postgrey.schweikert.ch/help/{domain}.html"),
    _Outcome("deferred", "4.7.1", "reply", "450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, see "
             "http://postgrey.schweikert.ch/help/{domain}.html"),
)
_QUOTA = (
    _Outcome("deferred", "4.2.2", "reply", "452 4.2.2 The email account that you tried to reach is over quota. "
             "Please direct the recipient to https://support.example.net/mail/?p=OverQuotaTemp {r} - gsmtp"),
    _Outcome("deferred", "4.2.2", "reply", "452 4.2.2 <{rcpt}>: Mailbox is full: quota exceeded (mailbox for "
             "user is full)"),
)
_TRANSIENT = (
    _Outcome("deferred", "4.4.1", "connect", "connect to {mx}[{ip}]:25: Connection refused"),
    _Outcome("deferred", "4.4.1", "connect", "connect to {mx}[{ip}]:25: Connection timed out"),
    _Outcome("deferred", "4.4.2", "connect", "lost connection with {mx}[{ip}] while receiving the initial server "
             "greeting"),
    _Outcome("deferred", "4.7.0", "reply", "421 4.7.0 [TSS04] Messages from {our_ip} temporarily deferred due to "
             "unexpected volume or user complaints - 4.16.55.1; see https://postmaster.webmail.example/error-codes",
             "MAIL FROM"),
    _Outcome("deferred", "4.7.650", "reply", "451 4.7.650 The mail server [{our_ip}] has been temporarily rate "
             "limited due to IP reputation. (S775) [Name=Protocol Filter Agent][AGT=PFA]", "MAIL FROM"),
    _Outcome("deferred", "4.3.0", "reply", "451 4.3.0 <{rcpt}>: Temporary lookup failure"),
)
_DNS_TEMP = _Outcome("deferred", "4.4.3", "dns", "Host or domain name not found. Name service error for "
                     "name={domain} type=MX: Host not found, try again")
_BOUNCES = (
    _Outcome("bounced", "5.1.1", "reply", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual "
             "mailbox table"),
    _Outcome("bounced", "5.1.1", "reply", "550-5.1.1 The email account that you tried to reach does not exist. "
             "Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
             "unnecessary spaces. https://support.example.net/mail/?p=NoSuchUser {r} - gsmtp"),
    _Outcome("bounced", "5.5.0", "reply", "550 5.5.0 Requested action not taken: mailbox unavailable "
             "(S2017062302). [DB5PEPF00014B89.eurprd02.prod.example.org]"),
    _Outcome("bounced", "5.2.2", "reply", "552 5.2.2 <{rcpt}>: Recipient address rejected: Mailbox full"),
    _Outcome("bounced", "5.7.1", "reply", "554 5.7.1 Service unavailable; Client host [{our_ip}] blocked using "
             "zen.spamhaus.org; https://www.spamhaus.org/query/ip/{our_ip}"),
    _Outcome("bounced", "5.7.1", "reply", "550 5.7.1 Unfortunately, messages from [{our_ip}] weren't sent. Please "
             "contact your Internet service provider since part of their network is on our block list (S3150)."),
    _Outcome("bounced", "5.7.1", "reply", "554 5.7.1 Service unavailable; Client host [{our_ip}] blocked using "
             "b.barracudacentral.org"),
    _Outcome("bounced", "5.7.26", "reply", "550-5.7.26 This mail has been blocked because the sender is "
             "unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. "
             "{r} - gsmtp", "end of DATA"),
    _Outcome("bounced", "5.7.1", "reply", "550 5.7.1 Email rejected per DMARC policy for example.com",
             "end of DATA"),
    _Outcome("bounced", "5.3.4", "reply", "552 5.3.4 Message size exceeds fixed limit", "end of DATA"),
    _Outcome("bounced", "5.2.1", "reply", "550 5.2.1 The email account that you tried to reach is disabled. "
             "{r} - gsmtp"),
    _Outcome("bounced", "5.4.4", "dns", "Host or domain name not found. Name service error for name={domain} "
             "type=AAAA: Host not found"),
)
_BOUNCE_WEIGHTS = (20, 12, 10, 6, 8, 4, 3, 6, 3, 4, 3, 5)
_EXPIRE = _Outcome("expired", "4.4.7", "expire")
_SENT = _Outcome("sent", "2.0.0", "sent")


@dataclass(slots=True)
class _Rcpt:
    address: str
    provider: _Provider
    plan: list[_Outcome]
    """Attempts in order; when the last one is a deferral it repeats until the queue lifetime ends."""
    tries: int = 0
    final: str = ""


@dataclass(slots=True)
class _Msg:
    qid: str
    sender: str
    subject: str
    msgid: str
    size: int
    client: tuple[str, str]
    arrival: float
    rcpts: list[_Rcpt]
    origin: str = "smtpd"
    """``smtpd``, ``pickup`` or ``notice`` (a bounce/delay notification we generate)."""
    notice_of: str = ""
    passes: int = 0
    warned: bool = False


@dataclass(slots=True)
class _Config:
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
    sender_domain: str = _OUR_DOMAIN


@dataclass(slots=True)
class _Sim:
    """The event heap and the writer; yields ``(time, line)`` in time order."""

    rng: random.Random
    cfg: _Config
    writer: _Writer
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
            elif isinstance(item, _Msg):
                self.attempt(item, when)
            else:
                item(when)  # type: ignore[operator]

    # -- message life --------------------------------------------------------------------------

    def arrive(self, when: float, msg: _Msg | None = None) -> None:
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

    def new_message(self, when: float, *, subject: str | None = None, plans: list[list[_Outcome]] | None = None,
                    recipients: list[str] | None = None) -> _Msg:
        rng = self.rng
        origin = "pickup" if rng.random() < 0.1 else "smtpd"
        user = rng.choice(_USERS)
        sender = f"www-data@{self.cfg.host}" if origin == "pickup" else f"{user}@{self.cfg.sender_domain}"
        count = len(plans) if plans else (1 if rng.random() < 0.8 else rng.choice((2, 2, 3, 4, 7)))
        rcpts = []
        for index in range(count):
            provider = rng.choices(_PROVIDERS, weights=[p.weight for p in _PROVIDERS])[0]
            plan = plans[index] if plans else self.plan(rng)
            if plan and plan[0].kind == "dns" and plan[0].dsn.startswith("5"):
                provider = _DEAD
            address = recipients[index] if recipients else f"{rng.choice(_NAMES)}@{rng.choice(provider.domains)}"
            rcpts.append(_Rcpt(address, provider, plan))
        if subject is None:
            subject = self.subject(rng)
        number = next(self.msgno)
        msgid = f"{int(when)}.{number}.{rng.randrange(16**6):06x}@{self.cfg.host}"
        client = ("localhost", "127.0.0.1") if origin == "pickup" else (
            f"client{rng.randrange(1, 60)}.{self.cfg.sender_domain}", f"192.0.2.{rng.randrange(10, 250)}")
        size = int(min(rng.lognormvariate(8.5, 1.3), 30_000_000)) + 600
        return _Msg(self.writer.new_id(when), sender, subject, msgid, size, client, when, rcpts, origin)

    @staticmethod
    def plan(rng: random.Random) -> list[_Outcome]:
        """An attempt plan: ~88% sent, ~4.5% bounced, ~6% deferred then sent, ~1% expiring..."""
        roll = rng.random()
        if roll < 0.885:
            return [_SENT]
        if roll < 0.93:
            return [rng.choices(_BOUNCES, weights=_BOUNCE_WEIGHTS)[0]]
        if roll < 0.99:
            first = rng.choice((*_GREYLIST, *_GREYLIST, *_QUOTA, *_TRANSIENT))
            repeats = 1 if first in _GREYLIST else rng.choice((1, 1, 2, 3))
            return [first] * repeats + [_SENT]
        if roll < 0.995:
            return [rng.choice(_QUOTA), _BOUNCES[3]]
        return [rng.choice((_DNS_TEMP, *_TRANSIENT[:2], _QUOTA[0]))]

    def subject(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < self.cfg.hostile_rate:
            return rng.choice(HOSTILE_SUBJECTS)
        if roll < self.cfg.hostile_rate + self.cfg.unicode_rate:
            text = rng.choice(UNICODE_SUBJECTS)
            if rng.random() < 0.3:  # as most mail user agents send it: RFC 2047 encoded
                return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="
            return text
        return rng.choice(_PLAIN_SUBJECTS).format(n=rng.randrange(1000, 99999))

    def attempt(self, msg: _Msg, when: float) -> None:
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

    def _expire_cb(self, msg: _Msg) -> Callable[[float], None]:
        def expire(when: float) -> None:
            lines = self.writer.expire(msg, when)
            for rcpt in msg.rcpts:
                if not rcpt.final:
                    rcpt.final = "expired"
            self.emit(lines + self.finish(msg, when + 0.1))

        return expire

    def finish(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        lines: list[tuple[float, str]] = []
        if msg.origin != "notice" and any(r.final in ("bounced", "expired") for r in msg.rcpts):
            lines += self.notice(msg, when, "non-delivery")
        lines += self.writer.removed(msg, when + 0.05)
        self.writer.release(msg.qid)
        return lines

    def notice(self, msg: _Msg, when: float, kind: str) -> list[tuple[float, str]]:
        """The bounce or delay notice our server sends back to the sender, as its own message."""
        rng = self.rng
        notice = _Msg(self.writer.new_id(when), "", "Undelivered Mail Returned to Sender" if kind != "delay"
                      else "Delayed Mail (still being retried)", f"{int(when)}.{msg.qid}@{self.cfg.host}",
                      msg.size // 4 + 2500, ("", ""), when,
                      [_Rcpt(msg.sender, _PROVIDERS[0], [_SENT])], "notice", msg.qid)
        lines = self.writer.notice(msg, notice, when, kind)
        self.push(when + 0.2 + rng.random() * 0.2, notice)
        return lines


class _Writer:
    """Formats the simulation's facts as one MTA's log lines (bodies without the time stamp)."""

    backoff: tuple[float, ...] = _POSTFIX_BACKOFF

    def __init__(self, rng: random.Random, cfg: _Config) -> None:
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

    def fill(self, text: str, msg: _Msg, rcpt: _Rcpt, when: float) -> str:
        rng = self.rng
        domain = rcpt.address.rpartition("@")[2]
        return text.format(
            rcpt=rcpt.address, domain=domain, mx=rcpt.provider.mx, ip=rcpt.provider.ip, our_ip=_OUR_IP,
            epoch=int(when), r=f"{rng.randrange(16**10):010x}", n=rng.randrange(1000000, 9999999),
            m=rng.randrange(1000, 9999), msgid=msg.msgid, size=msg.size,
            pqid=f"{rng.randrange(16**11):011X}", eid=_b62(int(when), 6) + "-" + _b62(rng.randrange(62**6), 6) + "-"
            + _b62(rng.randrange(3844), 2),
        )

    def make_id(self, when: float) -> str: ...
    def arrival(self, msg: _Msg, when: float) -> list[tuple[float, str]]: ...
    def queue_active(self, msg: _Msg, when: float) -> list[tuple[float, str]]: ...
    def delivery(self, msg: _Msg, rcpt: _Rcpt, outcome: _Outcome, when: float) -> list[tuple[float, str]]: ...
    def expire(self, msg: _Msg, when: float) -> list[tuple[float, str]]: ...
    def removed(self, msg: _Msg, when: float) -> list[tuple[float, str]]: ...
    def notice(self, msg: _Msg, notice: _Msg, when: float, kind: str) -> list[tuple[float, str]]: ...
    def reject(self, when: float) -> list[tuple[float, str]]: ...
    def noise(self, when: float) -> list[tuple[float, str]]: ...
    def stamp(self, when: float, body: str) -> str: ...


def _b62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_B62[rest])
    return "".join(reversed(digits))


class _PostfixWriter(_Writer):
    """Postfix 3.x through rsyslog: smtpd/pickup, cleanup, qmgr, smtp/lmtp, bounce, and the usual neighbours."""

    backoff = _POSTFIX_BACKOFF

    def __init__(self, rng: random.Random, cfg: _Config) -> None:
        super().__init__(rng, cfg)
        self.inodes = list(range(0x2A000, 0x2A000 + 4096))
        self.inode_of: dict[str, int] = {}
        self.pids = {name: rng.randrange(1000, 30000) for name in ("qmgr", "pickup", "anvil", "postgrey")}
        self.pools = {name: [rng.randrange(1000, 60000) for _ in range(size)]
                      for name, size in (("smtp", 12), ("smtpd", 6), ("cleanup", 4), ("bounce", 2), ("lmtp", 2),
                                         ("opendkim", 1), ("dovecot", 6), ("postscreen", 1))}
        self._stamp_second = -1
        self._stamp_text = ""

    def pid(self, name: str) -> int:
        pool = self.pools[name]
        if self.rng.random() < 0.002:  # processes exit after max_use and are replaced
            pool[self.rng.randrange(len(pool))] = self.rng.randrange(1000, 60000)
        return pool[self.rng.randrange(len(pool))]

    def make_id(self, when: float) -> str:
        inode = self.inodes[self.rng.randrange(len(self.inodes))]
        usec = int((when % 1) * 1_000_000) ^ self.rng.randrange(1 << 10)
        return f"{usec % 1_000_000:05X}{inode:X}"

    def arrival(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        q, rng = msg.qid, self.rng
        name, ip = msg.client
        first = msg.rcpts[0].address
        cleanup = f"postfix/cleanup[{self.pid('cleanup')}]: {q}:"
        if msg.origin == "pickup":
            head = [(when, f"postfix/pickup[{self.pids['pickup']}]: {q}: uid=33 from=<www-data>")]
            where = "from local"
        else:
            smtpd = f"postfix/submission/smtpd[{self.pid('smtpd')}]:"
            head = [(when - 0.2, f"{smtpd} connect from {name}[{ip}]"),
                    (when, f"{smtpd} {q}: client={name}[{ip}], sasl_method=PLAIN, "
                           f"sasl_username={msg.sender}")]
            where = f"from {name}[{ip}]"
            head.append((when + 0.3, f"{smtpd} disconnect from {name}[{ip}] ehlo=2 starttls=1 auth=1 mail=1 "
                                     f"rcpt={len(msg.rcpts)} data=1 quit=1 commands={6 + len(msg.rcpts)}"))
        helo = "" if msg.origin == "pickup" else f" helo=<[10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}]>"
        proto = "" if msg.origin == "pickup" else " proto=ESMTP"
        head += [
            (when + 0.05, f"{cleanup} message-id=<{msg.msgid}>"),
            (when + 0.06, f"{cleanup} info: header Subject: {msg.subject} {where}; from=<{msg.sender}> "
                          f"to=<{first}>{proto}{helo}"),
            (when + 0.08, f"opendkim[{self.pid('opendkim')}]: {q}: DKIM-Signature field added (s=mail, "
                          f"d={self.cfg.sender_domain})"),
            (when + 0.1, self._qmgr_from(msg)),
        ]
        return head

    def _qmgr_from(self, msg: _Msg) -> str:
        pending = sum(1 for r in msg.rcpts if not r.final)
        return (f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: from=<{msg.sender}>, size={msg.size}, "
                f"nrcpt={pending} (queue active)")

    def queue_active(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        return [(when, self._qmgr_from(msg))]

    def delivery(self, msg: _Msg, rcpt: _Rcpt, outcome: _Outcome, when: float) -> list[tuple[float, str]]:
        rng = self.rng
        provider = rcpt.provider
        if msg.origin == "notice":
            program, relay = f"postfix/lmtp[{self.pid('lmtp')}]", "imap.example.com[private/dovecot-lmtp]"
            words = f"250 2.0.0 <{rcpt.address}> {_b62(rng.randrange(62**22), 22)} Saved"
        else:
            program = f"postfix/smtp[{self.pid('smtp')}]"
            relay = f"{provider.mx}[{provider.ip}]:25"
            if outcome.kind == "sent":
                words = self.fill(provider.ok, msg, rcpt, when)
            elif outcome.kind == "reply":
                words = (f"host {provider.mx}[{provider.ip}] said: {self.fill(outcome.text, msg, rcpt, when)} "
                         f"(in reply to {outcome.stage} command)")
            else:
                words = self.fill(outcome.text, msg, rcpt, when)
                if outcome.kind == "dns" or "connect to" in outcome.text:
                    relay = "none"
        delay = max(when - msg.arrival, 0.01)
        conn = rng.random() * (30.0 if "timed out" in words else 0.4)
        queued = max(delay - conn - 0.3, 0.0)
        transfer = 0.0 if relay == "none" else round(rng.random() * 1.2, 2)
        orig = f", orig_to=<{rcpt.address.split('@')[0]}.alias@{_OUR_DOMAIN}>" if rng.random() < 0.02 else ""
        return [(when, f"{program}: {msg.qid}: to=<{rcpt.address}>{orig}, relay={relay}, delay={_pf(delay)}, "
                       f"delays={_pf(queued)}/0.01/{_pf(conn)}/{_pf(transfer)}, dsn={outcome.dsn}, "
                       f"status={outcome.result} ({words})")]

    def expire(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: from=<{msg.sender}>, status=expired, "
                       "returned to sender")]

    def removed(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: removed")]

    def notice(self, msg: _Msg, notice: _Msg, when: float, kind: str) -> list[tuple[float, str]]:
        what = "sender delay notification" if kind == "delay" else "sender non-delivery notification"
        return [
            (when, f"postfix/cleanup[{self.pid('cleanup')}]: {notice.qid}: message-id=<{notice.msgid}>"),
            (when + 0.01, f"postfix/bounce[{self.pid('bounce')}]: {msg.qid}: {what}: {notice.qid}"),
            (when + 0.02, self._qmgr_from(notice)),
        ]

    def reject(self, when: float, kind: int | None = None) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        spam = f"{rng.choice(_NAMES)}@spam{rng.randrange(100)}.example"
        ours = f"{rng.choice(_USERS)}@{_OUR_DOMAIN}"
        kind = rng.randrange(6) if kind is None else kind % 6
        smtpd = f"postfix/smtpd[{self.pid('smtpd')}]:"
        if kind == 0:
            reply = (f"554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
                     f"https://www.spamhaus.org/query/ip/{ip}")
            client, sender, rcpt, helo = f"unknown[{ip}]", spam, ours, "spam.example"
        elif kind == 1:
            victim = f"{rng.choice(_NAMES)}@example.net"
            reply, client, sender, rcpt, helo = (f"454 4.7.1 <{victim}>: Relay access denied", f"unknown[{ip}]",
                                                 spam, victim, "[" + ip + "]")
        elif kind == 2:
            reply = (f"450 4.2.0 <{ours}>: Recipient address rejected: Greylisted, see "
                     f"http://postgrey.schweikert.ch/help/{_OUR_DOMAIN}.html")
            client, sender, rcpt = "mail.example.net[198.51.100.20]", "anna@example.net", ours
            helo = "mail.example.net"
        elif kind == 3:
            nobody = f"no.such.{rng.choice(_NAMES)}@{_OUR_DOMAIN}"
            reply = f"550 5.1.1 <{nobody}>: Recipient address rejected: User unknown in virtual mailbox table"
            client, sender, rcpt = "mail.example.org[198.51.100.41]", "ben@example.org", nobody
            helo = "mail.example.org"
        elif kind == 4:
            typo = f"{rng.choice(_NAMES)}@examp1e-typo.example"
            reply = f"450 4.1.2 <{typo}>: Recipient address rejected: Domain not found"
            client = f"client{rng.randrange(1, 60)}.{_OUR_DOMAIN}[192.0.2.{rng.randrange(10, 250)}]"
            sender, rcpt, helo = ours, typo, "[10.0.0.5]"
        else:
            reply = f"550 5.7.1 Service unavailable; client [{ip}] blocked using bl.spamcop.net"
            return [(when, f"postfix/postscreen[{self.pid('postscreen')}]: NOQUEUE: reject: RCPT from [{ip}]:"
                           f"{rng.randrange(1024, 65535)}: {reply}; from=<{spam}>, to=<{ours}>, proto=ESMTP, "
                           f"helo=<spam.example>")]
        return [
            (when - 0.5, f"{smtpd} connect from {client}"),
            (when, f"{smtpd} NOQUEUE: reject: RCPT from {client}: {reply}; from=<{sender}> to=<{rcpt}> "
                   f"proto=ESMTP helo=<{helo}>"),
            (when + 0.3, f"{smtpd} disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"),
        ]

    def noise(self, when: float) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        roll = rng.randrange(6)
        if roll == 0:
            user = rng.choice(_USERS)
            return [(when, f"dovecot[{self.pid('dovecot')}]: imap-login: Login: user=<{user}@{_OUR_DOMAIN}>, "
                           f"method=PLAIN, rip=192.0.2.{rng.randrange(10, 250)}, lip={_OUR_IP}, "
                           f"mpid={rng.randrange(1000, 60000)}, TLS, session=<{_b62(rng.randrange(62**16), 16)}>")]
        if roll == 1:
            smtpd = f"postfix/smtpd[{self.pid('smtpd')}]:"
            return [(when, f"{smtpd} connect from unknown[{ip}]"),
                    (when + 0.4, f"{smtpd} lost connection after EHLO from unknown[{ip}]"),
                    (when + 0.41, f"{smtpd} disconnect from unknown[{ip}] ehlo=1 commands=1")]
        if roll == 2:
            return [(when, f"postfix/submission/smtpd[{self.pid('smtpd')}]: warning: unknown[{ip}]: SASL LOGIN "
                           "authentication failed: UGFzc3dvcmQ6")]
        if roll == 3:
            return [(when, f"postfix/anvil[{self.pids['anvil']}]: statistics: max connection rate 2/60s for "
                           f"(smtp:{ip}) at {_syslog_time(when - 300, self.cfg.tz)}")]
        if roll == 4:
            return [(when, f"postgrey[{self.pids['postgrey']}]: action=pass, reason=triplet found, "
                           f"client_name=mail.example.net, client_address=198.51.100.20, sender=anna@example.net, "
                           f"recipient={rng.choice(_USERS)}@{_OUR_DOMAIN}")]
        return [(when, f"postfix/smtpd[{self.pid('smtpd')}]: warning: hostname host-{ip.replace('.', '-')}"
                       f".example does not resolve to address {ip}: Name or service not known")]

    def stamp(self, when: float, body: str) -> str:
        second = int(when)
        if self.cfg.rfc3339:
            moment = _moment(when, self.cfg.tz)
            return f"{moment.isoformat(timespec='microseconds')} {self.cfg.host} {body}"
        if second != self._stamp_second:
            self._stamp_second = second
            self._stamp_text = f"{_syslog_time(second, self.cfg.tz)} {self.cfg.host} "
        return self._stamp_text + body


class _EximWriter(_Writer):
    """Exim 4 main log with Debian's default log_selector: ``<=``, ``=>``, ``->``, ``==``, ``**``, ``Completed``."""

    backoff = _EXIM_BACKOFF

    def __init__(self, rng: random.Random, cfg: _Config) -> None:
        super().__init__(rng, cfg)
        self._stamp_second = -1
        self._stamp_text = ""
        self._arrows: set[tuple[str, str]] = set()

    def make_id(self, when: float) -> str:
        fraction = int((when % 1) * 3844) % 3844
        return f"{_b62(int(when), 6)}-{_b62(self.rng.randrange(1000, 4_000_000), 6)}-{_b62(fraction, 2)}"

    def arrival(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        subject = _exim_quote(msg.subject)
        if msg.origin == "pickup":
            how = "U=www-data P=local"
        else:
            name, ip = msg.client
            how = (f"H={name} [{ip}] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
                   f"A=dovecot_plain:{msg.sender.split('@')[0]}")
        return [(when, f"{msg.qid} <= {msg.sender} {how} S={msg.size} id={msg.msgid} T=\"{subject}\"")]

    def queue_active(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        self._arrows.discard((msg.qid, ""))
        return []

    def delivery(self, msg: _Msg, rcpt: _Rcpt, outcome: _Outcome, when: float) -> list[tuple[float, str]]:
        p = rcpt.provider
        q, a = msg.qid, rcpt.address
        if msg.origin == "notice":
            return [(when, f"{q} => {a.split('@')[0]} <{a}> R=local_user T=mail_spool")]
        route = "R=dnslookup T=remote_smtp"
        if outcome.kind == "sent":
            key = (q, p.mx)
            arrow = "->" if key in self._arrows else "=>"
            self._arrows.add(key)
            if len(self._arrows) > 5000:
                self._arrows.clear()
            confirm = _exim_quote(self.fill(p.ok, msg, rcpt, when))
            return [(when, f"{q} {arrow} {a} {route} H={p.mx} [{p.ip}] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
                           f"C=\"{confirm}\"")]
        mark = "==" if outcome.result == "deferred" else "**"
        if outcome.kind == "reply":
            stage = {"RCPT TO": f"RCPT TO:<{a}>", "MAIL FROM": f"MAIL FROM:<{msg.sender}> SIZE={msg.size}"}.get(
                outcome.stage, "end of data")
            code = {"RCPT TO": -44, "MAIL FROM": -45}.get(outcome.stage, -46)
            defer = f" defer ({code})" if mark == "==" else ""
            text = self.fill(outcome.text, msg, rcpt, when)
            return [(when, f"{q} {mark} {a} {route}{defer} H={p.mx} [{p.ip}]: SMTP error from remote mail server "
                           f"after {stage}: {text}")]
        if outcome.kind == "dns":
            if mark == "**":
                return [(when, f"{q} ** {a}: Unrouteable address")]
            return [(when, f"{q} == {a} R=dnslookup defer (-1): host lookup did not complete")]
        if "refused" in outcome.text:
            reason = "defer (111): Connection refused"
        elif "timed out" in outcome.text:
            reason = "defer (110): Connection timed out"
        else:
            reason = f"defer (-18): Remote host {p.mx} [{p.ip}] closed connection in response to initial connection"
        return [(when, f"{q} == {a} {route} {reason}")]

    def expire(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"{msg.qid} ** {r.address} R=dnslookup T=remote_smtp: retry timeout exceeded")
                for r in msg.rcpts if not r.final]

    def removed(self, msg: _Msg, when: float) -> list[tuple[float, str]]:
        self._arrows = {key for key in self._arrows if key[0] != msg.qid}
        return [(when, f"{msg.qid} Completed")]

    def notice(self, msg: _Msg, notice: _Msg, when: float, kind: str) -> list[tuple[float, str]]:
        title = (f"Warning: message {msg.qid} delayed 24 hours" if kind == "delay"
                 else "Mail delivery failed: returning message to sender")
        return [(when, f"{notice.qid} <= <> R={msg.qid} U=Debian-exim P=local S={notice.size} T=\"{title}\"")]

    def reject(self, when: float, kind: int | None = None) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        spam = f"{rng.choice(_NAMES)}@spam{rng.randrange(100)}.example"
        ours = f"{rng.choice(_USERS)}@{self.cfg.sender_domain}"
        kind = rng.randrange(4) if kind is None else kind % 4
        if kind == 0:
            return [(when, f"H=(spam.example) [{ip}] F=<{spam}> rejected RCPT <{ours}>: {ip} is listed at "
                           f"zen.spamhaus.org (127.0.0.2: https://www.spamhaus.org/query/ip/{ip})")]
        if kind == 1:
            return [(when, f"H=({ip}) [{ip}] F=<{spam}> rejected RCPT <{rng.choice(_NAMES)}@example.net>: "
                           "relay not permitted")]
        if kind == 2:
            return [(when, f"H=mail.example.net [198.51.100.20] F=<anna@example.net> temporarily rejected RCPT "
                           f"<{ours}>: greylisted.")]
        return [(when, f"H=app{rng.randrange(1, 5)}.{self.cfg.sender_domain} [192.0.2.{rng.randrange(60, 70)}] "
                       f"F=<{ours}> rejected RCPT <{rng.choice(_NAMES)}@examp1e-typo.example>: Unrouteable address")]

    def noise(self, when: float) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        port = rng.randrange(1024, 65535)
        roll = rng.randrange(4)
        if roll == 0:
            pid = rng.randrange(1000, 60000)
            return [(when, f"Start queue run: pid={pid}"), (when + rng.random() * 3, f"End queue run: pid={pid}")]
        if roll == 1:
            return [(when, f"SMTP connection from [{ip}]:{port} (TCP/IP connection count = 1)"),
                    (when + 0.5, f"SMTP connection from (spam.example) [{ip}]:{port} lost D=0.5s")]
        if roll == 2:
            return [(when, f"TLS error on connection from (spam.example) [{ip}]:{port} (SSL_accept): "
                           "error:0A000418:SSL routines::tlsv1 alert unknown ca")]
        return [(when, f"no host name found for IP address {ip}")]

    def stamp(self, when: float, body: str) -> str:
        second = int(when)
        if second != self._stamp_second:
            self._stamp_second = second
            moment = _moment(second, self.cfg.tz)
            self._stamp_text = moment.strftime("%Y-%m-%d %H:%M:%S ")
        return self._stamp_text + body


def _moment(when: float, tz: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(when, tz) if tz is not None else datetime.fromtimestamp(when).astimezone()


def _syslog_time(when: float, tz: tzinfo | None) -> str:
    moment = _moment(when, tz)
    return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S}"


def _pf(value: float) -> str:
    """A delay the way Postfix prints it: two significant digits, whole seconds from 10 s."""
    if value < 0.01:
        return "0"
    return f"{value:.2g}" if value < 10 else f"{value:.0f}"


def _exim_quote(text: str) -> str:
    """Exim's string_printing: backslash, quote and control characters escaped."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in out):
        out = "".join(f"\\{ord(ch):03o}" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in out)
    return out


# -- public generators ------------------------------------------------------------------------

_LINES_PER_MESSAGE = 10.0
"""Average log lines one message costs (arrival, attempts, retries, notices, neighbours' noise)."""


def _poisson(rng: random.Random, start: float, per_second: float) -> Iterator[float]:
    moment = start
    while True:
        moment += rng.expovariate(per_second)
        yield moment


def _stream(sim: _Sim, arrivals: Iterator[float], n_lines: int, end: float | None = None) -> Iterator[str]:
    stamp = sim.writer.stamp
    for _, body in itertools.islice(sim.run(arrivals, end), n_lines):
        yield stamp(_, body)


def busy_postfix_lines(
    n_lines: int,
    *,
    seed: int,
    start: float,
    host: str = "mx1",
    rate_per_s: float | None = None,
    rfc3339: bool = False,
    tz: tzinfo | None = None,
    queue_lifetime: float = 5 * DAY,
) -> Iterator[str]:
    """``n_lines`` lines of a busy Postfix server's ``mail.log``, streamed (memory flat in ``n_lines``).

    About 85% of ``status=`` lines are ``sent``, 10% ``deferred`` and 5% ``bounced`` once the run is
    long enough for retries (backoff 300 s and up); a few NOQUEUE rejects, bounce notices and other
    programs' lines are mixed in. ``rate_per_s`` is the target lines per second of log time (default
    150); stamps are traditional syslog in ``tz`` (default UTC) or RFC 3339 with ``rfc3339=True``.
    Short queue ids are drawn from a limited inode pool and recently freed ids are reused now and
    then, as on a real server.
    """
    rng = random.Random(seed)
    cfg = _Config(host=host, mta="postfix", queue_lifetime=queue_lifetime, tz=tz or UTC, rfc3339=rfc3339)
    sim = _Sim(rng, cfg, _PostfixWriter(rng, cfg))
    per_second = (rate_per_s or 150.0) / _LINES_PER_MESSAGE
    return _stream(sim, _poisson(rng, start, per_second), n_lines)


def exim_lines(
    n_lines: int,
    *,
    seed: int,
    start: float,
    host: str = "relay.example.org",
    rate_per_s: float | None = None,
    tz: tzinfo | None = None,
    queue_lifetime: float = 4 * DAY,
) -> Iterator[str]:
    """``n_lines`` lines of a busy Exim server's ``mainlog``, streamed; same mix as :func:`busy_postfix_lines`.

    The main log has no host field: read it with ``default_host=host``. Stamps are
    ``YYYY-MM-DD HH:MM:SS`` in ``tz`` (default UTC), as Exim writes without ``+timezone``.
    """
    rng = random.Random(seed)
    cfg = _Config(host=host, mta="exim", queue_lifetime=queue_lifetime, tz=tz or UTC, sender_domain="example.org")
    sim = _Sim(rng, cfg, _EximWriter(rng, cfg))
    per_second = (rate_per_s or 60.0) / 7.0
    return _stream(sim, _poisson(rng, start, per_second), n_lines)


# -- the demo data set ------------------------------------------------------------------------

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
            cfg = _Config(host=host, mta=mta, queue_lifetime=5 * DAY, delay_warning=4 * 3600.0, tz=tz,
                          hostile_rate=0.004, reuse_rate=0.002)
            writer: _Writer = _PostfixWriter(host_rng, cfg)
            per_day = 90.0
        else:
            cfg = _Config(host=host, mta=mta, queue_lifetime=4 * DAY, tz=tz, sender_domain="example.org",
                          noise_rate=0.3, hostile_rate=0.004)
            writer = _EximWriter(host_rng, cfg)
            per_day = 35.0
        sim = _Sim(host_rng, cfg, writer)
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
        weekday = _moment(day_start + 43200, tz).weekday()
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


def _script(sim: _Sim, now: float, mta: str) -> None:
    """Messages that make sure every outcome and every awkward subject is in the demo."""
    hour = 3600.0

    def message(when: float, subject: str | None, *plans: list[_Outcome], to: tuple[str, ...] = ()) -> None:
        def arrive(moment: float) -> None:
            sim.arrive(moment, sim.new_message(moment, subject=subject, plans=list(plans),
                                               recipients=list(to) if to else None))

        sim.push(when, arrive)

    def reject(when: float, kind: int) -> None:
        sim.push(when, lambda moment: sim.emit(sim.writer.reject(moment, kind)))

    forever_timeout, forever_quota = [_TRANSIENT[1]], [_QUOTA[0]]
    for index, subject in enumerate(HOSTILE_SUBJECTS):
        plan = [_GREYLIST[0], _SENT] if subject == "[/deferred]" else [_BOUNCES[4]] if "SPAM" in subject else [_SENT]
        message(now - 3 * hour - index * 420 - (0 if mta == "postfix" else 90), subject, plan)
    for index, subject in enumerate(UNICODE_SUBJECTS):
        message(now - 26 * hour - index * 780, subject, [_SENT])
    message(now - 2 * hour, "Quarterly figures", forever_quota, to=("bob@example.net",))
    message(now - 30 * hour, "Server migration plan", forever_timeout)
    message(now - 6 * hour, "Re: greylisting test", [_GREYLIST[1], _SENT])
    message(now - 30 * hour - 600, "Holiday photos", [_QUOTA[1], _QUOTA[1], _QUOTA[1], _SENT])
    message(now - 4 * hour, "Team update — all recipients", [_SENT], [_BOUNCES[0]], [_GREYLIST[0], _SENT],
            forever_quota)
    for index, bounce in enumerate(_BOUNCES if mta == "postfix" else _BOUNCES[:4]):
        message(now - 2 * DAY - index * hour, f"Bounce sample {index + 1}", [bounce])
    message(now - 9 * DAY, "Expired: DNS never answered", [_DNS_TEMP])
    message(now - 20 * DAY, "Expired: host never answered", forever_timeout)
    message(now - 35 * DAY, "Old news", [_SENT])
    for kind in range(6 if mta == "postfix" else 4):
        reject(now - 5 * hour - kind * 600, kind)


def _local_midnight(when: float, tz: tzinfo | None) -> float:
    moment = _moment(when, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.timestamp()


def _rotation_times(now: float, begin: float, period_days: int, tz: tzinfo | None) -> list[float]:
    """Ascending logrotate run times (06:25, cron.daily) between ``begin`` and ``now``; weekly ones on Sundays."""
    moment = _moment(now, tz).replace(hour=6, minute=25, second=0, microsecond=0)
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
