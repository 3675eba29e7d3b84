"""Synthetic report rows for benchmarks and tests: realistic shapes, deterministic, no cache needed."""

from __future__ import annotations

import random
from collections.abc import Iterator

from tracktui.model import AttemptResult, AttemptRow, DeliveryRow, Status

DOMAINS = ("example.com", "example.net", "mail.example.org", "customer.example", "big-isp.example")
REPLIES: dict[Status, tuple[tuple[int | None, str, str], ...]] = {
    Status.DELIVERED: ((250, "2.0.0", "250 2.0.0 Ok: queued as 4F3A2B1C0D"),
                       (250, "2.6.0", "250 2.6.0 <id@example.com> [InternalId=123] Queued mail for delivery")),
    Status.DEFERRED: ((452, "4.2.2", "host mx.example.net[192.0.2.7] said: 452 4.2.2 Mailbox full "
                                     "(in reply to RCPT TO command)"),
                      (450, "4.7.1", "host mx.example.net[192.0.2.7] said: 450 4.7.1 Greylisted, please try "
                                     "again in 300 seconds (in reply to RCPT TO command)"),
                      (None, "4.4.1", "connect to mx.customer.example[198.51.100.3]:25: Connection timed out")),
    Status.BOUNCED: ((550, "5.1.1", "host mx.example.com[192.0.2.5] said: 550 5.1.1 <nobody@example.com>: "
                                    "Recipient address rejected: User unknown in virtual mailbox table "
                                    "(in reply to RCPT TO command)"),
                     (554, "5.7.1", "host mx.big-isp.example[203.0.113.9] said: 554 5.7.1 Service unavailable; "
                                    "Client host [198.51.100.1] blocked using zen.spamhaus.org "
                                    "(in reply to RCPT TO command)")),
    Status.EXPIRED: ((None, "4.4.1", "connect to mx.customer.example[198.51.100.3]:25: Connection refused"),),
}
SUBJECTS = (
    "Invoice 2026-1142 for October",
    "Re: meeting on Thursday about the quarterly numbers and the new office layout",
    "Your order has shipped",
    "Grüße aus Köln – Ünïcödé test",
    "Newsletter: 10 things you did not know about SMTP, enhanced status codes and greylisting",
    "Password reset",
)
STATUS_WEIGHTS = ((Status.DELIVERED, 80), (Status.DEFERRED, 8), (Status.BOUNCED, 10), (Status.EXPIRED, 2))


def sample_rows(
    count: int, *, start: float = 1_793_491_200.0, span: float = 30 * 86400, seed: int = 1,
    subjects: tuple[str, ...] = SUBJECTS,
) -> Iterator[tuple[DeliveryRow, list[AttemptRow]]]:
    """``count`` deliveries newest first over ``span`` seconds before ``start + span``.

    Messages have one to three recipients; failed deliveries have one to
    five attempts. The same arguments always give the same rows.
    """
    rng = random.Random(seed)
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    step = span / max(count, 1)
    moment = start + span
    made = 0
    message = 0
    while made < count:
        message += 1
        recipients = min(rng.choice((1, 1, 1, 2, 3)), count - made)
        sender = f"user{rng.randrange(50)}@sender.example"
        subject = rng.choice(subjects)
        queue_id = f"{message:010X}"
        for _ in range(recipients):
            made += 1
            moment -= step
            status = rng.choice(statuses)
            code, dsn, reply = rng.choice(REPLIES[status])
            tries = 1 if status is Status.DELIVERED else rng.randint(1, 5)
            attempts = [
                AttemptRow(moment - (tries - i) * 900, AttemptResult.DEFERRED, "mx.example.net[192.0.2.7]:25",
                           1.5, 451, "4.3.0", "451 4.3.0 Temporary failure, try again later")
                for i in range(1, tries)
            ]
            result = {Status.DELIVERED: AttemptResult.SENT, Status.DEFERRED: AttemptResult.DEFERRED,
                      Status.BOUNCED: AttemptResult.BOUNCED, Status.EXPIRED: AttemptResult.EXPIRED}[status]
            attempts.append(AttemptRow(moment, result, "mx.example.net[192.0.2.7]:25", 0.8, code, dsn, reply))
            row = DeliveryRow(
                delivery_id=made, message_key=message, time=moment, message_time=moment - 5,
                host="mx1.sender.example", mta="postfix", queue_id=queue_id,
                message_id=f"<{message}.{seed}@sender.example>", sender=sender,
                recipient=f"person{rng.randrange(400)}@{rng.choice(DOMAINS)}", orig_recipient=None,
                subject=subject, size=rng.randrange(1_000, 2_000_000), status=status, attempt_count=tries,
                relay="mx.example.net[192.0.2.7]:25", delay=0.8, code=code, dsn=dsn, reply=reply,
            )
            yield row, attempts
