"""Ask the user whether to trust an SSH host key nobody has recorded yet."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tracktui.tui.render import safe


class HostKeyScreen(ModalScreen[bool]):
    """Shows host, key type and SHA256 fingerprint; dismisses with True (accept) or False (refuse)."""

    BINDINGS = [
        Binding("escape", "refuse", "Refuse"),
        Binding("n", "refuse", "Refuse", show=False),
        Binding("y", "accept", "Accept", show=False),
    ]

    def __init__(self, host: str, key_type: str, fingerprint: str) -> None:
        super().__init__()
        self.host = host
        self.key_type = key_type
        self.fingerprint = fingerprint

    def compose(self) -> ComposeResult:
        text = Text("Unknown host key\n\n", style="bold")
        text.append("The host ")
        text.append(safe(self.host, limit=200), style="bold")
        text.append(" is not in your known_hosts. Compare the fingerprint with the one the host's "
                    "administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) "
                    "before accepting.\n\n")
        text.append("Key type:    ", style="bold")
        text.append(safe(self.key_type, limit=100))
        text.append("\nFingerprint: ", style="bold")
        text.append(safe(self.fingerprint, limit=200), style="bold yellow")
        with Vertical(id="hostkey-box"):
            yield Static(text, id="hostkey-text")
            with Horizontal(id="hostkey-buttons"):
                yield Button("Accept and remember (y)", id="accept", variant="warning")
                yield Button("Refuse (n)", id="refuse", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()

    @on(Button.Pressed, "#accept")
    def action_accept(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#refuse")
    def action_refuse(self) -> None:
        self.dismiss(False)
