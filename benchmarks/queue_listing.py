"""Queue listing benchmark: ``postqueue -j`` alone vs ``tracktui queue`` (parse, explain, print) on N deferred messages.

Needs root and Postfix: it starts the private instance of tests/postfix_instance.py,
submits ``--messages`` messages with ``sendmail -C`` (two recipients each, all
deferred by a closed relay port), then prints medians of ``--runs`` runs of:

- ``postqueue -c DIR -j`` on its own (what any listing costs);
- reading and parsing it into entries (:func:`tracktui.queue.actions.read_queue`);
- the whole command writing JSON and the table to /dev/null.

Usage: ``.venv/bin/python benchmarks/queue_listing.py [--messages 2000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.postfix_instance import PostfixInstance, start_instance, tool
from tracktui.commands.queue_output import write_json, write_table
from tracktui.queue.actions import read_queue
from tracktui.queue.runner import LocalRunner, QueueTarget


def submit(instance: PostfixInstance, count: int) -> None:
    sendmail = tool("sendmail")

    def one(number: int) -> None:
        subprocess.run([sendmail, "-C", instance.config_dir, "-f", f"bench{number}@sender.example",
                        f"bench{number}@rcpt.example", "second@rcpt.example"],
                       input=b"Subject: bench\n\nbody\n", check=True, timeout=60)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))
    deadline = time.monotonic() + 600
    while True:
        queues = list(instance.queues().values())
        if len(queues) >= count and all(q == "deferred" for q in queues):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"only {queues.count('deferred')} of {count} deferred in time")
        time.sleep(1)


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    instance = start_instance()
    try:
        start = time.perf_counter()
        submit(instance, args.messages)
        print(f"submitted and deferred {args.messages:,} messages in {time.perf_counter() - start:.1f} s")
        runner = LocalRunner(QueueTarget("bench", postfix_config=instance.config_dir))
        postqueue = [tool("postqueue"), "-c", instance.config_dir, "-j"]
        raw = median_seconds(lambda: subprocess.run(postqueue, capture_output=True, check=True), args.runs)
        parsed = median_seconds(lambda: read_queue(runner), args.runs)
        with open(os.devnull, "w") as sink:
            as_json = median_seconds(lambda: write_json(read_queue(runner), sink), args.runs)
            as_table = median_seconds(lambda: write_table(read_queue(runner), 160, sink), args.runs)
        print(f"postqueue -j alone:        {raw:.3f} s")
        print(f"read + parse + explain:    {parsed:.3f} s")
        print(f"tracktui queue (json):     {as_json:.3f} s")
        print(f"tracktui queue (table):    {as_table:.3f} s")
    finally:
        instance.stop()
        shutil.rmtree(instance.root, ignore_errors=True)


if __name__ == "__main__":
    main()
