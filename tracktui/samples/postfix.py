"""Postfix sample logs: the ``mail.log`` writer of the simulation and :func:`busy_postfix_lines`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, tzinfo

from tracktui.samples.data import DAY, NAMES, OUR_DOMAIN, OUR_IP, POSTFIX_BACKOFF, USERS, Outcome
from tracktui.samples.sim import (
    LINES_PER_MESSAGE,
    Config,
    Msg,
    Rcpt,
    Sim,
    Writer,
    base62,
    poisson_arrivals,
    stream_lines,
    syslog_time,
    to_moment,
)

FILTERED_SHARE = 0.3
"""Share of submissions that pass through the content filter (amavisd-new) before delivery."""


class PostfixWriter(Writer):
    """Postfix 3.x through rsyslog: smtpd/pickup, cleanup, qmgr, smtp/lmtp, bounce, and the usual neighbours."""

    backoff = POSTFIX_BACKOFF

    def __init__(self, rng: random.Random, cfg: Config) -> None:
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

    def arrival(self, msg: Msg, when: float) -> list[tuple[float, str]]:
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
        if msg.origin != "pickup" and rng.random() < FILTERED_SHARE:
            return self._through_filter(msg, when, head, where, helo, proto)
        head += [
            (when + 0.05, f"{cleanup} message-id=<{msg.msgid}>"),
            (when + 0.06, f"{cleanup} info: header Subject: {msg.subject} {where}; from=<{msg.sender}> "
                          f"to=<{first}>{proto}{helo}"),
            (when + 0.08, f"opendkim[{self.pid('opendkim')}]: {q}: DKIM-Signature field added (s=mail, "
                          f"d={self.cfg.sender_domain})"),
            (when + 0.1, self._qmgr_from(msg)),
        ]
        return head

    def _through_filter(self, msg: Msg, when: float, head: list[tuple[float, str]], where: str, helo: str,
                        proto: str) -> list[tuple[float, str]]:
        """The FILTER_README content filter: the submission goes to amavisd-new on 127.0.0.1:10024 under a
        queue id of its own, comes back through 10025 as ``msg.qid`` and is delivered from there."""
        before = self.make_id(when)
        head = [(t, line.replace(f": {msg.qid}: ", f": {before}: ")) for t, line in head]
        cleanup = f"postfix/cleanup[{self.pid('cleanup')}]:"
        first = msg.rcpts[0].address
        pending = len(msg.rcpts)
        head += [
            (when + 0.05, f"{cleanup} {before}: message-id=<{msg.msgid}>"),
            (when + 0.06, f"{cleanup} {before}: info: header Subject: {msg.subject} {where}; from=<{msg.sender}> "
                          f"to=<{first}>{proto}{helo}"),
            (when + 0.1, f"postfix/qmgr[{self.pids['qmgr']}]: {before}: from=<{msg.sender}>, size={msg.size}, "
                         f"nrcpt={pending} (queue active)"),
        ]
        scanned = when + 0.12 + 0.1 * self.rng.random()  # back before the first delivery try (when + 0.3)
        smtpd = f"postfix/smtpd[{self.pid('smtpd')}]:"
        head.append((scanned - 0.05, f"{smtpd} {msg.qid}: client=localhost[127.0.0.1]"))
        for rcpt in msg.rcpts:
            head.append((scanned, f"postfix/smtp[{self.pid('smtp')}]: {before}: to=<{rcpt.address}>, "
                                  f"relay=127.0.0.1[127.0.0.1]:10024, delay={_pf(scanned - when)}, "
                                  f"delays=0.1/0/0/{_pf(scanned - when - 0.1)}, dsn=2.0.0, status=sent (250 2.0.0 "
                                  f"from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as {msg.qid})"))
        head += [
            (scanned + 0.01, f"{cleanup} {msg.qid}: message-id=<{msg.msgid}>"),
            (scanned + 0.02, f"postfix/qmgr[{self.pids['qmgr']}]: {before}: removed"),
            (scanned + 0.03, f"opendkim[{self.pid('opendkim')}]: {msg.qid}: DKIM-Signature field added (s=mail, "
                             f"d={self.cfg.sender_domain})"),
            (scanned + 0.05, self._qmgr_from(msg)),
        ]
        return head

    def _qmgr_from(self, msg: Msg) -> str:
        pending = sum(1 for r in msg.rcpts if not r.final)
        return (f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: from=<{msg.sender}>, size={msg.size}, "
                f"nrcpt={pending} (queue active)")

    def queue_active(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        return [(when, self._qmgr_from(msg))]

    def delivery(self, msg: Msg, rcpt: Rcpt, outcome: Outcome, when: float) -> list[tuple[float, str]]:
        rng = self.rng
        provider = rcpt.provider
        if msg.origin == "notice":
            program, relay = f"postfix/lmtp[{self.pid('lmtp')}]", "imap.example.com[private/dovecot-lmtp]"
            words = f"250 2.0.0 <{rcpt.address}> {base62(rng.randrange(62**22), 22)} Saved"
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
        orig = f", orig_to=<{rcpt.address.split('@')[0]}.alias@{OUR_DOMAIN}>" if rng.random() < 0.02 else ""
        return [(when, f"{program}: {msg.qid}: to=<{rcpt.address}>{orig}, relay={relay}, delay={_pf(delay)}, "
                       f"delays={_pf(queued)}/0.01/{_pf(conn)}/{_pf(transfer)}, dsn={outcome.dsn}, "
                       f"status={outcome.result} ({words})")]

    def expire(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: from=<{msg.sender}>, status=expired, "
                       "returned to sender")]

    def removed(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"postfix/qmgr[{self.pids['qmgr']}]: {msg.qid}: removed")]

    def notice(self, msg: Msg, notice: Msg, when: float, kind: str) -> list[tuple[float, str]]:
        what = "sender delay notification" if kind == "delay" else "sender non-delivery notification"
        return [
            (when, f"postfix/cleanup[{self.pid('cleanup')}]: {notice.qid}: message-id=<{notice.msgid}>"),
            (when + 0.01, f"postfix/bounce[{self.pid('bounce')}]: {msg.qid}: {what}: {notice.qid}"),
            (when + 0.02, self._qmgr_from(notice)),
        ]

    def reject(self, when: float, kind: int | None = None) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        spam = f"{rng.choice(NAMES)}@spam{rng.randrange(100)}.example"
        ours = f"{rng.choice(USERS)}@{OUR_DOMAIN}"
        kind = rng.randrange(6) if kind is None else kind % 6
        smtpd = f"postfix/smtpd[{self.pid('smtpd')}]:"
        if kind == 0:
            reply = (f"554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
                     f"https://www.spamhaus.org/query/ip/{ip}")
            client, sender, rcpt, helo = f"unknown[{ip}]", spam, ours, "spam.example"
        elif kind == 1:
            victim = f"{rng.choice(NAMES)}@example.net"
            reply, client, sender, rcpt, helo = (f"454 4.7.1 <{victim}>: Relay access denied", f"unknown[{ip}]",
                                                 spam, victim, "[" + ip + "]")
        elif kind == 2:
            reply = (f"450 4.2.0 <{ours}>: Recipient address rejected: Greylisted, see "
                     f"http://postgrey.schweikert.ch/help/{OUR_DOMAIN}.html")
            client, sender, rcpt = "mail.example.net[198.51.100.20]", "anna@example.net", ours
            helo = "mail.example.net"
        elif kind == 3:
            nobody = f"no.such.{rng.choice(NAMES)}@{OUR_DOMAIN}"
            reply = f"550 5.1.1 <{nobody}>: Recipient address rejected: User unknown in virtual mailbox table"
            client, sender, rcpt = "mail.example.org[198.51.100.41]", "ben@example.org", nobody
            helo = "mail.example.org"
        elif kind == 4:
            typo = f"{rng.choice(NAMES)}@examp1e-typo.example"
            reply = f"450 4.1.2 <{typo}>: Recipient address rejected: Domain not found"
            client = f"client{rng.randrange(1, 60)}.{OUR_DOMAIN}[192.0.2.{rng.randrange(10, 250)}]"
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
            user = rng.choice(USERS)
            return [(when, f"dovecot[{self.pid('dovecot')}]: imap-login: Login: user=<{user}@{OUR_DOMAIN}>, "
                           f"method=PLAIN, rip=192.0.2.{rng.randrange(10, 250)}, lip={OUR_IP}, "
                           f"mpid={rng.randrange(1000, 60000)}, TLS, session=<{base62(rng.randrange(62**16), 16)}>")]
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
                           f"(smtp:{ip}) at {syslog_time(when - 300, self.cfg.tz)}")]
        if roll == 4:
            return [(when, f"postgrey[{self.pids['postgrey']}]: action=pass, reason=triplet found, "
                           f"client_name=mail.example.net, client_address=198.51.100.20, sender=anna@example.net, "
                           f"recipient={rng.choice(USERS)}@{OUR_DOMAIN}")]
        return [(when, f"postfix/smtpd[{self.pid('smtpd')}]: warning: hostname host-{ip.replace('.', '-')}"
                       f".example does not resolve to address {ip}: Name or service not known")]

    def stamp(self, when: float, body: str) -> str:
        second = int(when)
        if self.cfg.rfc3339:
            moment = to_moment(when, self.cfg.tz)
            return f"{moment.isoformat(timespec='microseconds')} {self.cfg.host} {body}"
        if second != self._stamp_second:
            self._stamp_second = second
            self._stamp_text = f"{syslog_time(second, self.cfg.tz)} {self.cfg.host} "
        return self._stamp_text + body


def _pf(value: float) -> str:
    """A delay the way Postfix prints it: two significant digits, whole seconds from 10 s."""
    if value < 0.01:
        return "0"
    return f"{value:.2g}" if value < 10 else f"{value:.0f}"


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
    cfg = Config(host=host, mta="postfix", queue_lifetime=queue_lifetime, tz=tz or UTC, rfc3339=rfc3339)
    sim = Sim(rng, cfg, PostfixWriter(rng, cfg))
    per_second = (rate_per_s or 150.0) / LINES_PER_MESSAGE
    return stream_lines(sim, poisson_arrivals(rng, start, per_second), n_lines)
