"""The main screen's keys, in one table: bindings, the `?` help, the command palette and the
README's key table are all built from :data:`MAIN_KEYS`, so they cannot drift apart.

An entry without an ``action`` is a key some widget or Textual itself handles (moving in the
tree, the palette, Ctrl+Q); it is listed in the help and the README but binds nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class Key:
    """One user-facing key: its Textual key names, what it does and how each place shows it."""

    id: str
    keys: tuple[str, ...]
    """Textual key names; the first is bound with the footer label, the others silently."""
    help: str
    """The sentence the `?` help and the README show."""
    action: str | None = None
    footer: str = ""
    """The footer's short label; empty: not shown in the footer."""
    palette: str = ""
    """The command palette's name for it; empty: not in the palette."""
    tooltip: str = ""


_DISPLAY = {
    "slash": "/", "question_mark": "?", "escape": "Esc", "enter": "Enter", "space": "Space",
    "up": "↑", "down": "↓", "ctrl+p": "Ctrl+P", "ctrl+q": "Ctrl+Q",
}

MAIN_KEYS: tuple[Key, ...] = (
    Key("search", ("slash",), "Search fields: type a recipient, sender, subject or dates; Enter searches",
        "focus_search", "Search", "Search fields", "Put the cursor in the search fields"),
    Key("results", ("escape",), "Back from the fields to the results", "focus_tree"),
    Key("delivered", ("s", "1"), "Delivered", "status('delivered')", "Delivered", "Show delivered",
        "Show delivered mail"),
    Key("temporary", ("t", "2"), "Temporarily rejected (deferred: the server keeps retrying)",
        "status('temporary')", "Temp.", "Show temporarily rejected", "Show temporarily rejected (deferred) mail"),
    Key("permanent", ("p", "3"), "Permanently rejected (bounced or expired)", "status('permanent')", "Perm.",
        "Show permanently rejected", "Show permanently rejected (bounced, expired) mail"),
    Key("all", ("a", "4"), "All deliveries", "status('all')", "All", "Show all deliveries", "Show every delivery"),
    Key("move", ("up", "down", "j", "k"), "Move through the results; more load as you near the end"),
    Key("expand", ("enter", "space"), "Expand a message (its recipients) or a recipient (its attempts)"),
    Key("sync", ("r",), "Sync now: read new log lines from the sources", "sync", "Sync", "Sync now",
        "Read new log lines from the sources now"),
    Key("raw-log", ("l",), "Raw log lines of the selected message", "raw_log", "Log", "Raw log lines",
        "Show the raw log lines of the selected message"),
    Key("details", ("d",), "Show or hide the details pane", "toggle_details", "Details", "Toggle details pane",
        "Show or hide the details pane"),
    Key("export", ("e",), "Export the current view as a PDF report", "export", "PDF", "Export PDF",
        "Export the current view as a PDF report"),
    Key("monthly", ("m",), "Monthly PDF report by e-mail: subscribe, change the address or unsubscribe",
        "subscription", "", "Monthly PDF report by e-mail",
        "Send me a monthly PDF report: subscribe, change the address or unsubscribe"),
    Key("palette", ("ctrl+p",), "Command palette: every action by name"),
    Key("help", ("question_mark",), "Help: every key", "help", "Help", "Help: keys", "List every key"),
    Key("quit", ("q",), "Quit (Ctrl+Q works everywhere)", "quit", "Quit", "Quit", "Leave tracktui"),
)


def key_display(key: Key) -> str:
    """How the help and the README write a key's names: ``s  or 1``, ``↑ ↓  or  j k``."""
    shown = [_DISPLAY.get(name, name) for name in key.keys]
    if key.id == "move":
        return f"{' '.join(shown[:2])}  or  {' '.join(shown[2:])}"
    if key.id == "expand":
        return " / ".join(shown)
    return "  or ".join(shown)


def bindings(keys: tuple[Key, ...] = MAIN_KEYS) -> list[BindingType]:
    """Textual bindings for every key with an action, each with the entry's id."""
    made: list[BindingType] = []
    for key in keys:
        if key.action is None:
            continue
        first, *others = key.keys
        made.append(Binding(first, key.action, key.footer or key.palette or key.help, show=bool(key.footer),
                            tooltip=key.tooltip, id=key.id))
        made.extend(Binding(other, key.action, key.footer or key.help, show=False, id=f"{key.id}-{other}")
                    for other in others)
    return made


def help_rows(keys: tuple[Key, ...] = MAIN_KEYS) -> tuple[tuple[str, str], ...]:
    """(key as shown, what it does) for the `?` help."""
    return tuple((key_display(key), key.help) for key in keys)


def palette_commands(keys: tuple[Key, ...] = MAIN_KEYS) -> tuple[tuple[str, str, str], ...]:
    """(name, action, help) for every palette command; the help ends with the key in brackets."""
    return tuple((key.palette, key.action, f"{key.tooltip or key.help} ({_DISPLAY.get(key.keys[0], key.keys[0])})")
                 for key in keys if key.palette and key.action)


def markdown_table(keys: tuple[Key, ...] = MAIN_KEYS) -> str:
    """The README's key table (tests/test_keymap.py checks the README holds exactly this)."""
    lines = ["| Key | Action |", "|---|---|"]
    for key in keys:
        shown = [_DISPLAY.get(name, name) for name in key.keys]
        if key.id == "move":
            cell = f"`{' '.join(shown[:2])}` or `{' '.join(shown[2:])}`"
        else:
            cell = (" / " if key.id == "expand" else " or ").join(f"`{name}`" for name in shown)
        lines.append(f"| {cell} | {key.help} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tracktui.tui.keymap: the table to paste into the README
    print(markdown_table())
