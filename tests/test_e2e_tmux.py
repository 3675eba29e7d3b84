"""End to end: the installed ``tracktui`` under tmux, reading a real log from a real sshd on 127.0.0.1.

Types a recipient filter, expands the result and reads the remote host's reply
off the screen with ``tmux capture-pane -p``, the way a user would see it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sshd import TEST_USER, SshEnv, ssh_env_fixture, sshd_fixture  # noqa: F401

pytestmark = [pytest.mark.sshd, pytest.mark.slow]
TRACKTUI = Path(sys.executable).with_name("tracktui")
REPLY = "250 2.0.0 OK 1414437875 x5si123.25 - gsmtp"


def _stamp(epoch: float) -> str:
    return time.strftime("%b %d %H:%M:%S", time.gmtime(epoch))


def recent_log(path: Path) -> None:
    """Two messages from a minute ago (UTC stamps; the app runs with TZ=UTC)."""
    t = _stamp(time.time() - 60)
    path.write_text(
        f"{t} mx1 postfix/smtpd[1]: AB12: client=client.example.com[192.0.2.10]\n"
        f"{t} mx1 postfix/cleanup[2]: AB12: info: header Subject: Quarterly report from c[192.0.2.10]; "
        f"from=<alice@example.com> to=<bob@example.com> proto=ESMTP helo=<c>\n"
        f"{t} mx1 postfix/qmgr[3]: AB12: from=<alice@example.com>, size=1234, nrcpt=1 (queue active)\n"
        f"{t} mx1 postfix/smtp[4]: AB12: to=<bob@example.com>, relay=gmail-smtp-in.l.google.com[74.125.193.26]:25, "
        f"delay=1.2, delays=0.1/0.1/0.5/0.5, dsn=2.0.0, status=sent ({REPLY})\n"
        f"{t} mx1 postfix/qmgr[3]: AB12: removed\n"
        f"{t} mx1 postfix/smtpd[1]: CD34: client=client.example.com[192.0.2.10]\n"
        f"{t} mx1 postfix/qmgr[3]: CD34: from=<alice@example.com>, size=99, nrcpt=1 (queue active)\n"
        f"{t} mx1 postfix/smtp[4]: CD34: to=<carol@example.com>, relay=mx.example.com[192.0.2.5]:25, delay=1, "
        f"delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as OTHER)\n"
        f"{t} mx1 postfix/qmgr[3]: CD34: removed\n",
        encoding="utf-8",
    )
    path.chmod(0o644)


class Tmux:
    """A private tmux server running one command."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def wait_for(self, found: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if found(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{what} did not appear on screen:\n{text}")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux missing: .ci/run installs it")
    server = Tmux(f"tracktui-e2e-{uuid.uuid4().hex[:8]}")
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True)


def test_find_why_mail_to_bob_arrived(ssh_env: SshEnv, tmux: Tmux, tmp_path: Path) -> None:
    assert TRACKTUI.exists(), f"{TRACKTUI} missing: the package must be installed"
    log = ssh_env.logs / "mail.log"
    recent_log(log)
    url = f"ssh://{TEST_USER}@127.0.0.1:{ssh_env.server.port}{log}"
    command = " ".join(shlex.quote(part) for part in (
        "env", "-u", "SSH_AUTH_SOCK", f"HOME={ssh_env.home}", "TZ=UTC", "TERM=xterm-256color",
        f"XDG_CONFIG_HOME={tmp_path / 'config'}", f"XDG_CACHE_HOME={tmp_path / 'cache'}",
        str(TRACKTUI), "--source", url, "--cache", f"sqlite:///{tmp_path / 'cache.sqlite3'}", "--since", "-1d",
    ))
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command)  # the jump-host terminal
    tmux.wait_for(lambda s: "Synced 1/1 sources" in s, "the end of the first sync")
    tmux.wait_for(lambda s: "Quarterly report" in s and "carol@example.com" in s, "both messages")
    tmux.keys("/")
    time.sleep(0.3)
    tmux.keys("-l", "bob@example.com")
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "carol@example.com" not in s and "Quarterly report" in s,
                           "the filtered result")
    assert "1 delivery " in screen
    tmux.keys("Escape")  # back to the tree
    time.sleep(0.3)
    tmux.keys("Enter")  # expand the message
    tmux.wait_for(lambda s: "bob@example.com  delivered" in s, "the recipient node")
    tmux.keys("Down", "Enter")  # the recipient: its delivery story
    screen = tmux.wait_for(lambda s: "Why:" in s and "Journey" in s, "the delivery story")
    assert "bob@example.com  delivered" in screen
    tmux.keys("Escape")  # back to the tree, on the recipient
    time.sleep(0.3)
    tmux.keys("Space")  # expand its attempts
    screen = tmux.wait_for(lambda s: "74.125.193.26]:25: 250 2.0." in s, "the attempt with the reply")
    assert f"74.125.193.26 accepted message. Remote host said: {REPLY}" in " ".join(screen.split())
    tmux.keys("q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["tmux", "-L", tmux.socket, "has-session", "-t", "e2e"], capture_output=True).returncode:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("tracktui did not quit on q")
