"""Exim sample logs: the ``mainlog`` writer of the simulation and :func:`exim_lines`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, tzinfo

from tracktui.samples.data import DAY, EXIM_BACKOFF, NAMES, USERS, Outcome
from tracktui.samples.sim import Config, Msg, Rcpt, Sim, Writer, base62, poisson_arrivals, stream_lines, to_moment


class EximWriter(Writer):
    """Exim 4 main log with Debian's default log_selector: ``<=``, ``=>``, ``->``, ``==``, ``**``, ``Completed``."""

    backoff = EXIM_BACKOFF

    def __init__(self, rng: random.Random, cfg: Config) -> None:
        super().__init__(rng, cfg)
        self._stamp_second = -1
        self._stamp_text = ""
        self._arrows: set[tuple[str, str]] = set()

    def make_id(self, when: float) -> str:
        fraction = int((when % 1) * 3844) % 3844
        return f"{base62(int(when), 6)}-{base62(self.rng.randrange(1000, 4_000_000), 6)}-{base62(fraction, 2)}"

    def arrival(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        subject = _exim_quote(msg.subject)
        if msg.origin == "pickup":
            how = "U=www-data P=local"
        else:
            name, ip = msg.client
            how = (f"H={name} [{ip}] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no "
                   f"A=dovecot_plain:{msg.sender.split('@')[0]}")
        return [(when, f"{msg.qid} <= {msg.sender} {how} S={msg.size} id={msg.msgid} T=\"{subject}\"")]

    def queue_active(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        self._arrows.discard((msg.qid, ""))
        return []

    def delivery(self, msg: Msg, rcpt: Rcpt, outcome: Outcome, when: float) -> list[tuple[float, str]]:
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

    def expire(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        return [(when, f"{msg.qid} ** {r.address} R=dnslookup T=remote_smtp: retry timeout exceeded")
                for r in msg.rcpts if not r.final]

    def removed(self, msg: Msg, when: float) -> list[tuple[float, str]]:
        self._arrows = {key for key in self._arrows if key[0] != msg.qid}
        return [(when, f"{msg.qid} Completed")]

    def notice(self, msg: Msg, notice: Msg, when: float, kind: str) -> list[tuple[float, str]]:
        title = (f"Warning: message {msg.qid} delayed 24 hours" if kind == "delay"
                 else "Mail delivery failed: returning message to sender")
        return [(when, f"{notice.qid} <= <> R={msg.qid} U=Debian-exim P=local S={notice.size} T=\"{title}\"")]

    def reject(self, when: float, kind: int | None = None) -> list[tuple[float, str]]:
        rng = self.rng
        ip = f"203.0.113.{rng.randrange(2, 254)}"
        spam = f"{rng.choice(NAMES)}@spam{rng.randrange(100)}.example"
        ours = f"{rng.choice(USERS)}@{self.cfg.sender_domain}"
        kind = rng.randrange(4) if kind is None else kind % 4
        if kind == 0:
            return [(when, f"H=(spam.example) [{ip}] F=<{spam}> rejected RCPT <{ours}>: {ip} is listed at "
                           f"zen.spamhaus.org (127.0.0.2: https://www.spamhaus.org/query/ip/{ip})")]
        if kind == 1:
            return [(when, f"H=({ip}) [{ip}] F=<{spam}> rejected RCPT <{rng.choice(NAMES)}@example.net>: "
                           "relay not permitted")]
        if kind == 2:
            return [(when, f"H=mail.example.net [198.51.100.20] F=<anna@example.net> temporarily rejected RCPT "
                           f"<{ours}>: greylisted.")]
        return [(when, f"H=app{rng.randrange(1, 5)}.{self.cfg.sender_domain} [192.0.2.{rng.randrange(60, 70)}] "
                       f"F=<{ours}> rejected RCPT <{rng.choice(NAMES)}@examp1e-typo.example>: Unrouteable address")]

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
            moment = to_moment(second, self.cfg.tz)
            self._stamp_text = moment.strftime("%Y-%m-%d %H:%M:%S ")
        return self._stamp_text + body


def _exim_quote(text: str) -> str:
    """Exim's string_printing: backslash, quote and control characters escaped."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in out):
        out = "".join(f"\\{ord(ch):03o}" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in out)
    return out


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
    cfg = Config(host=host, mta="exim", queue_lifetime=queue_lifetime, tz=tz or UTC, sender_domain="example.org")
    sim = Sim(rng, cfg, EximWriter(rng, cfg))
    per_second = (rate_per_s or 60.0) / 7.0
    return stream_lines(sim, poisson_arrivals(rng, start, per_second), n_lines)
