"""Realistic sample mail logs for ``tracktui demo``, the benchmarks and the tests.

One small discrete-event simulation of a mail server (:mod:`.sim`, fed by
:mod:`.data`) drives two writers: Postfix (syslog ``mail.log``, :mod:`.postfix`)
and Exim (``mainlog``, :mod:`.exim`). Messages arrive, are tried, deferred and
retried with the MTA's backoff, delivered, bounced or expired after the queue
lifetime; bounces produce the notices a real server sends back. Lines come out
in time order, interleaved across many messages in flight, from a heap holding
only what is pending, so memory stays flat however many lines are asked for.
Everything is deterministic for a given seed. :mod:`.demo` writes the data set
of ``tracktui demo``.

Addresses use the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24) and reserved example domains only.
"""

from __future__ import annotations

from tracktui.samples.data import DAY, HOSTILE_SUBJECTS, UNICODE_SUBJECTS
from tracktui.samples.demo import DEMO_DAYS, EXIM_DEMO_HOST, POSTFIX_DEMO_HOST, write_demo_logs
from tracktui.samples.exim import exim_lines
from tracktui.samples.postfix import busy_postfix_lines

__all__ = [
    "DAY",
    "DEMO_DAYS",
    "EXIM_DEMO_HOST",
    "HOSTILE_SUBJECTS",
    "POSTFIX_DEMO_HOST",
    "UNICODE_SUBJECTS",
    "busy_postfix_lines",
    "exim_lines",
    "write_demo_logs",
]
