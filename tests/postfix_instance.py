"""A private Postfix instance for the queue tests: its own config, queue and log under /tmp, no listening port.

``postfix -c DIR start`` with a ``master.cf`` that has no ``smtpd`` (mail comes in
through ``sendmail -C DIR``, i.e. maildrop and pickup) and a ``relayhost`` on a
loopback port nothing listens on, so every message is deferred and stays. Retries
are an hour away, so only ``postqueue -i`` makes a new attempt during a test.
Import the fixture explicitly: ``from tests.postfix_instance import postfix_fixture  # noqa: F401``.
Needs root (``postsuper``, and the queue belongs to the ``postfix`` user), as in CI.
The directory is not pytest's ``tmp_path``: that is 0700 and the ``postfix`` user
must be able to enter it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def tool(name: str) -> str:
    """The Postfix command ``name``; a missing one fails the test (CI installs Postfix: never a silent skip)."""
    for directory in SBIN:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    pytest.fail(f"{name} not found: install the Debian postfix package (.ci/run does)")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostfixInstance:
    root: Path
    config_dir: str
    maillog: Path

    def run(self, *argv: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool(argv[0]), *argv[1:]], input=input, capture_output=True, text=True,
                              timeout=60, check=False)

    def listing(self) -> list[dict[str, object]]:
        done = self.run("postqueue", "-c", self.config_dir, "-j")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    def queues(self) -> dict[str, str]:
        """queue id -> queue name, as Postfix itself lists it."""
        return {str(e["queue_id"]): str(e["queue_name"]) for e in self.listing()}

    def submit(self, count: int, *, tag: str = "m") -> list[str]:
        """Send ``count`` messages and wait until each is deferred; their queue ids, in order."""
        known = set(self.queues())
        for number in range(count):
            done = self.run("sendmail", "-C", self.config_dir, "-f", f"{tag}{number}@sender.example",
                            f"{tag}{number}@rcpt.example", "second@rcpt.example",
                            input=f"Subject: {tag} {number}\n\nbody\n")
            assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30
        while True:
            new = {qid: q for qid, q in self.queues().items() if qid not in known}
            if len(new) == count and all(q == "deferred" for q in new.values()):
                senders = {str(e["queue_id"]): str(e["sender"]) for e in self.listing()}
                order = {f"{tag}{number}@sender.example": number for number in range(count)}
                return sorted(new, key=lambda qid: order[senders[qid]])
            assert time.monotonic() < deadline, f"messages not deferred in time: {new}"
            time.sleep(0.1)

    def attempts(self, queue_id: str) -> int:
        """Delivery attempts the log shows for ``queue_id`` (one status= line per recipient and try)."""
        if not self.maillog.exists():
            return 0
        return sum(1 for line in self.maillog.read_text(errors="replace").splitlines()
                   if f" {queue_id}: to=<" in line and "status=deferred" in line)

    def stop(self) -> None:
        self.run("postfix", "-c", self.config_dir, "stop")


def start_instance() -> PostfixInstance:
    if os.geteuid() != 0:
        pytest.fail("the Postfix queue tests run as root (as .ci/run does): postsuper is root-only")
    root = Path(tempfile.mkdtemp(prefix="tracktui-postfix-", dir="/tmp"))
    root.chmod(0o755)
    etc = root / "etc"
    etc.mkdir()
    (root / "spool").mkdir(mode=0o755)
    main_cf = {
        "compatibility_level": "3.6",
        "queue_directory": f"{root}/spool",
        "data_directory": f"{root}/data",
        "myhostname": "queue-test.invalid",
        "mydomain": "invalid",
        "myorigin": "queue-test.invalid",
        "mydestination": "",
        "inet_interfaces": "loopback-only",
        "inet_protocols": "ipv4",
        "relayhost": f"[127.0.0.1]:{_closed_port()}",
        "alias_maps": "",
        "alias_database": "",
        "maillog_file_prefixes": str(root),
        "maillog_file": f"{root}/maillog",
        "syslog_name": "postfix-tracktui-test",
        "queue_run_delay": "3600s",
        "minimal_backoff_time": "3600s",
        "maximal_backoff_time": "7200s",
        "smtp_connect_timeout": "2s",
        "biff": "no",
    }
    (etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main_cf.items()))
    (etc / "master.cf").write_text(MASTER_CF)
    instance = PostfixInstance(root, str(etc), root / "maillog")
    for step in ("check", "start"):
        done = instance.run("postfix", "-c", str(etc), step)
        if done.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            pytest.fail(f"postfix {step} failed: {done.stderr.strip() or done.stdout.strip()}")
    return instance


@pytest.fixture(scope="module", name="postfix")
def postfix_fixture() -> Iterator[PostfixInstance]:
    instance = start_instance()
    try:
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(instance.root, ignore_errors=True)
