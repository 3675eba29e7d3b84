"""The monthly report subscription dialog: "Send me a monthly PDF report" and the address, kept in the config file.

The dialog reads ``report.monthly_to`` from the config the app was started
with, lets the user tick or untick the box and type the address, and on Save
writes it back (the address when ticked, nothing when unticked). Reading and
writing the file run in thread workers; the worker reloads the file right
before writing so profiles saved meanwhile are kept. ``tracktui report
--monthly`` (run daily from cron or a systemd timer) is what mails the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static
from textual.worker import Worker, WorkerState

from tracktui.config import default_config_path, load_config, save_config
from tracktui.errors import TracktuiError
from tracktui.tui.render import safe

MAX_ADDRESS = 254
"""Longest address SMTP can carry (RFC 5321 path limit minus the angle brackets)."""
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*$")
"""An unquoted (dot-atom) local part, RFC 5322."""
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
"""One label of a host name (letters, digits, inner hyphens; ``xn--`` forms included)."""
EXAMPLE = "you@example.com"


class AddressError(TracktuiError):
    """Why the typed text is not an address the monthly report can be mailed to."""


def check_address(typed: str) -> str:
    """The address to store (surrounding blanks removed); :class:`AddressError` in plain words if it is not one.

    Accepts one plain ``local@domain`` address in ASCII, as ``smtplib`` sends it
    without SMTPUTF8: no display name, no angle brackets, no list. The domain
    needs a dot (``localhost`` excepted) so a slip like ``me@examplecom`` is caught.
    """
    address = typed.strip()
    if not address:
        raise AddressError(f"type the address the monthly report goes to, e.g. {EXAMPLE}")
    if len(address) > MAX_ADDRESS:
        raise AddressError(f"an e-mail address has at most {MAX_ADDRESS} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in address) or any(ch in address for ch in "<>,;\"()[]\\:"):
        raise AddressError(f"type one plain address like {EXAMPLE}: no name, spaces, brackets or list")
    if not address.isascii():
        raise AddressError("use the ASCII form of the address (a non-ASCII domain in its xn-- form)")
    local, at, domain = address.rpartition("@")
    if not at or not local:
        raise AddressError(f"not an e-mail address: it needs a name, an @ and a domain, like {EXAMPLE}")
    if "@" in local:
        raise AddressError(f"an address has one @, like {EXAMPLE}")
    if len(local) > 64:
        raise AddressError("the part before the @ has at most 64 characters")
    if not _LOCAL_RE.match(local):
        raise AddressError("the part before the @ cannot start or end with a dot or have two dots in a row")
    labels = domain.split(".")
    if not domain or not all(_LABEL_RE.match(label) for label in labels):
        raise AddressError(f"the domain after the @ is not a host name, like example.com in {EXAMPLE}")
    if len(labels) < 2 and domain.lower() != "localhost":
        raise AddressError(f"the domain after the @ needs a dot, like example.com in {EXAMPLE}")
    return address


@dataclass(frozen=True, slots=True)
class Subscription:
    """What Save stored: the address (``None``: no monthly report), the file, and whether it changed."""

    monthly_to: str | None
    path: Path
    changed: bool = True

    def words(self) -> str:
        """The notification after saving, as plain text (shown with ``markup=False``)."""
        where = safe(str(self.path), limit=300)
        if self.monthly_to:
            stored = "Already set" if not self.changed else "Saved"
            return (f"{stored}: the monthly PDF report goes to {safe(self.monthly_to, limit=MAX_ADDRESS)} "
                    f"(report.monthly_to in {where}). `tracktui report --monthly`, run daily from cron or a "
                    "systemd timer (see the README), mails each month's report once.")
        stored = "Nothing to change" if not self.changed else "Saved"
        return (f"{stored}: no monthly PDF report (no report.monthly_to in {where}). "
                "`tracktui report --monthly` will only write the PDF; remove its cron job or timer to stop it.")


class SubscriptionScreen(ModalScreen[Subscription | None]):
    """The checkbox and the address; dismisses with the stored :class:`Subscription`, or ``None`` if cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", show=False),
    ]

    class Loaded(Message):
        """The config was read: the current subscription (``None``: none)."""

        def __init__(self, monthly_to: str | None) -> None:
            super().__init__()
            self.monthly_to = monthly_to

    class Saved(Message):
        """The config was written (or already said the same)."""

        def __init__(self, subscription: Subscription) -> None:
            super().__init__()
            self.subscription = subscription

    def __init__(self, config_path: Path | None) -> None:
        """Args:
            config_path: The app's config file (``None``: the default location, as :func:`load_config` reads).
        """
        super().__init__()
        self.config_path = config_path
        self.loaded = False
        """The fields show the config's values; Save is possible."""
        self.busy = False
        """A save is running; a second Save waits for it."""

    def compose(self) -> ComposeResult:
        with Vertical(id="subscription-box"):
            yield Static(Text("Monthly PDF report by e-mail", style="bold"), id="subscription-title")
            yield Static(Text("On the first days of each month, `tracktui report --monthly` mails last month's "
                              "report to this address (run it daily from cron or a systemd timer; see the README).",
                              style="dim"), id="subscription-about")
            yield Checkbox("Send me a monthly PDF report", id="subscribe", disabled=True)
            with Horizontal(id="subscription-row"):
                yield Label("Address", id="subscription-label")
                yield Input(placeholder=EXAMPLE, id="monthly-to", max_length=MAX_ADDRESS, disabled=True)
            yield Static("", id="subscription-error")
            with Horizontal(id="subscription-buttons"):
                yield Button("Save", id="save", variant="primary", disabled=True)
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self._load()

    # -- workers (config file I/O only; results come back as messages) --------------------

    @work(thread=True, exclusive=True, group="subscription-load", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(load_config(self.config_path).report.monthly_to))

    @work(thread=True, exclusive=True, group="subscription-save", exit_on_error=False)
    def _save(self, monthly_to: str | None) -> None:
        path = self.config_path or default_config_path()
        config = load_config(path)  # fresh: keep what others saved since the dialog opened
        changed = config.report.monthly_to != monthly_to
        if changed:
            config.report.monthly_to = monthly_to
            save_config(config, path)
        self.post_message(self.Saved(Subscription(monthly_to, path, changed=changed)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read or write becomes one line in the dialog; nothing is dismissed."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        words = str(error) if isinstance(error, TracktuiError) else f"{type(error).__name__}: {error}"
        if isinstance(error, OSError) and error.strerror:
            words = f"{error.strerror}: {error.filename or ''}".rstrip(": ")
        if event.worker.group == "subscription-save":
            self.busy = False
            self.show_error(f"not saved: {words}")
        else:
            self.show_error(f"cannot read the config, so nothing can be saved: {words}")

    # -- the fields -----------------------------------------------------------------------

    def on_subscription_screen_loaded(self, message: SubscriptionScreen.Loaded) -> None:
        checkbox = self.query_one("#subscribe", Checkbox)
        field = self.query_one("#monthly-to", Input)
        with self.prevent(Checkbox.Changed, Input.Changed):
            checkbox.value = message.monthly_to is not None
            field.value = message.monthly_to or ""
        for widget in (checkbox, field, self.query_one("#save", Button)):
            widget.disabled = False
        self.loaded = True
        self.show_error("")
        checkbox.focus()

    @on(Input.Changed, "#monthly-to")
    def _address_typed(self, event: Input.Changed) -> None:
        """Typing an address means "send it there": tick the box, and drop an old complaint."""
        if event.value.strip():
            self.query_one("#subscribe", Checkbox).value = True
        self.show_error("")

    def show_error(self, words: str, *, at_field: bool = False) -> None:
        """One line of plain text under the address; ``at_field`` marks and focuses the address."""
        self.query_one("#subscription-error", Static).update(Text(safe(words, limit=600)))
        field = self.query_one("#monthly-to", Input)
        field.set_class(at_field, "-invalid")
        if at_field:
            field.focus()

    # -- save / cancel --------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#monthly-to")
    def action_save(self) -> None:
        """Validate, then write ``report.monthly_to`` in a worker (the address if ticked, nothing if not)."""
        if not self.loaded or self.busy:
            return
        if self.query_one("#subscribe", Checkbox).value:
            try:
                monthly_to: str | None = check_address(self.query_one("#monthly-to", Input).value)
            except AddressError as error:
                self.show_error(str(error), at_field=True)
                return
        else:
            monthly_to = None
        self.busy = True
        self.show_error("")
        self._save(monthly_to)

    def on_subscription_screen_saved(self, message: SubscriptionScreen.Saved) -> None:
        self.busy = False
        self.dismiss(message.subscription)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
