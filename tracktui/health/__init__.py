"""Health of the mail flow for ``tracktui check``: counts and rows in, a verdict and metrics out, no I/O."""

from tracktui.health.judge import (
    CRITICAL,
    LEVEL_NAMES,
    OK,
    UNKNOWN,
    WARNING,
    HostHealth,
    Observation,
    Thresholds,
    Verdict,
    judge,
    observe,
    parse_duration,
    parse_rate,
)
from tracktui.health.textfile import QueueStats, escape_label, queue_stats, render_textfile

__all__ = [
    "CRITICAL",
    "LEVEL_NAMES",
    "OK",
    "UNKNOWN",
    "WARNING",
    "HostHealth",
    "Observation",
    "QueueStats",
    "Thresholds",
    "Verdict",
    "escape_label",
    "judge",
    "observe",
    "parse_duration",
    "parse_rate",
    "queue_stats",
    "render_textfile",
]
