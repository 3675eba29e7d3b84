"""The app's keys, in one table per screen: bindings, the `?` help, the command palette, the
footer's order and the README's key tables are all built from :data:`MAIN_KEYS` and
:data:`STORY_KEYS`, so they cannot drift apart.

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
    rank: int = 1
    """Footer priority: when the footer is too narrow, keys of a higher rank leave it first."""


_DISPLAY = {
    "slash": "/", "question_mark": "?", "escape": "Esc", "enter": "Enter", "space": "Space",
    "up": "↑", "down": "↓", "left": "←", "right": "→", "ctrl+p": "Ctrl+P", "ctrl+q": "Ctrl+Q",
    "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
}

MAIN_KEYS: tuple[Key, ...] = (
    Key("story", ("enter",), "Delivery story of a recipient, hop or attempt (on a message: expand it)",
        "story", "Story", "Delivery story", "Open the full delivery story of the selected recipient"),
    Key("search", ("slash",), "Search fields: type a recipient, sender, subject or dates; Enter searches",
        "focus_search", "Search", "Search fields", "Put the cursor in the search fields"),
    Key("results", ("escape",), "Back from the fields to the results", "focus_tree"),
    Key("temporary", ("t", "2"), "Temporarily rejected (deferred: the server keeps retrying)",
        "status('temporary')", "Temp.", "Show temporarily rejected", "Show temporarily rejected (deferred) mail",
        rank=2),
    Key("permanent", ("p", "3"), "Permanently rejected (bounced or expired)", "status('permanent')", "Perm.",
        "Show permanently rejected", "Show permanently rejected (bounced, expired) mail", rank=2),
    Key("all", ("a", "4"), "All deliveries", "status('all')", "All", "Show all deliveries", "Show every delivery",
        rank=2),
    Key("delivered", ("s", "1"), "Delivered", "status('delivered')", "Delivered", "Show delivered",
        "Show delivered mail", rank=4),
    Key("move", ("up", "down", "j", "k"), "Move through the results; more load as you near the end"),
    Key("expand", ("space", "right"), "Expand a message (its recipients) or a recipient (its hops and attempts)"),
    Key("collapse", ("left",), "Collapse the node, or go to its parent"),
    Key("raw-log", ("l",), "Raw log lines of the selected message", "raw_log", "Log", "Raw log lines",
        "Show the raw log lines of the selected message", rank=3),
    Key("sync", ("r",), "Sync now: read new log lines from the sources", "sync", "Sync", "Sync now",
        "Read new log lines from the sources now", rank=3),
    Key("stats", ("S",), "Stats of the current filter: per status and day, top domains and reasons, who is "
        "blocking our mail", "stats", "Stats", "Stats view", "Numbers of the current filter at a glance", rank=4),
    Key("follow", ("f",), "Follow: sync every few seconds, new deliveries appear above without moving the cursor "
        "(f again stops)", "follow", "Follow", "Follow the logs", "Keep syncing every few seconds", rank=3),
    Key("details", ("d",), "Show or hide the details pane", "toggle_details", "Details", "Toggle details pane",
        "Show or hide the details pane", rank=4),
    Key("export", ("e",), "Export the current view as a PDF report", "export", "PDF", "Export PDF",
        "Export the current view as a PDF report", rank=4),
    Key("monthly", ("m",), "Monthly PDF report by e-mail: subscribe, change the address or unsubscribe",
        "subscription", "", "Monthly PDF report by e-mail",
        "Send me a monthly PDF report: subscribe, change the address or unsubscribe"),
    Key("palette", ("ctrl+p",), "Command palette: every action by name"),
    Key("help", ("question_mark",), "Help: every key", "help", "Help", "Help: keys", "List every key"),
    Key("quit", ("q",), "Quit (Ctrl+Q works everywhere)", "quit", "Quit", "Quit", "Leave tracktui"),
)
"""The main screen: footer keys in the order they show, most used first (``rank`` drops the rest)."""

STORY_KEYS: tuple[Key, ...] = (
    Key("close", ("escape", "q"), "Back to the delivery tree, the cursor where it was", "close", "Back"),
    Key("scroll", ("up", "down", "pageup", "pagedown", "home", "end"), "Scroll the story"),
    Key("find", ("slash",), "Find in the raw log lines: type, Enter jumps to the first match", "find", "Find"),
    Key("find-next", ("n",), "Next match", "find_next", "Next", rank=2),
    Key("find-previous", ("N",), "Previous match", "find_previous"),
    Key("copy", ("y",), "Copy the queue id to the clipboard", "copy('queue_id')", "Copy id"),
    Key("copy-choice", ("Y",), "Copy the queue id, the message-id or the recipient: choose",
        "copy_choice", "Copy…", rank=2),
    Key("help", ("question_mark",), "Help: every key", "help", "Help"),
)
"""The delivery story screen."""


_SPACED = frozenset({"expand", "scroll"})
"""Keys whose names are alternatives of one gesture rather than synonyms."""


def key_display(key: Key) -> str:
    """How the help and the README write a key's names: ``s  or 1``, ``↑ ↓  or  j k``."""
    shown = [_DISPLAY.get(name, name) for name in key.keys]
    if key.id == "move":
        return f"{' '.join(shown[:2])}  or  {' '.join(shown[2:])}"
    if key.id in _SPACED:
        return " ".join(shown) if key.id == "scroll" else " / ".join(shown)
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


def footer_ranks(keys: tuple[Key, ...] = MAIN_KEYS) -> dict[str, int]:
    """Footer priority per bound key name (the first of each entry with a footer label)."""
    return {key.keys[0]: key.rank for key in keys if key.footer and key.action}


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
            cell = (" / " if key.id in _SPACED else " or ").join(f"`{name}`" for name in shown)
        lines.append(f"| {cell} | {key.help} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tracktui.tui.keymap: the tables to paste into the README
    print(markdown_table())
    print()
    print(markdown_table(STORY_KEYS))
