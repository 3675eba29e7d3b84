"""Live MTA queues: what a host holds right now (``postqueue -j``) and the few safe actions on it.

:mod:`~tracktui.queue.entries` is the typed shape, :mod:`~tracktui.queue.postfix` the pure
Postfix knowledge (parsing, queue-id syntax, the exact argv of each action),
:mod:`~tracktui.queue.runner` runs those argv locally or over SSH, :mod:`~tracktui.queue.actions`
ties an action together (check, run, log, re-read) and :mod:`~tracktui.queue.actionlog` keeps
the audit trail in the user's state directory.
"""
