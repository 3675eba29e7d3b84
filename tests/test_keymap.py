"""One key map: the main screen's bindings, the help, the palette and the README agree."""

from __future__ import annotations

from pathlib import Path

from tracktui.tui.keymap import MAIN_KEYS, STORY_KEYS, markdown_table
from tracktui.tui.palette import PALETTE
from tracktui.tui.screens.help import KEYS
from tracktui.tui.screens.main import MainScreen

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_key_table_is_the_key_map() -> None:
    readme = README.read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "README's key table differs from tracktui/tui/keymap.py; regenerate with python -m tracktui.tui.keymap")
    assert markdown_table(STORY_KEYS) in readme, "README's story key table differs from keymap.STORY_KEYS"


def test_every_bound_key_is_in_help_and_every_action_has_a_binding() -> None:
    bound = {binding.key: binding for binding in MainScreen.BINDINGS}  # type: ignore[union-attr]
    for key in MAIN_KEYS:
        if key.action is None:
            assert not set(key.keys) & set(bound), key.id
            continue
        for name in key.keys:
            assert bound[name].action == key.action, name
    assert len(KEYS) == len(MAIN_KEYS)
    assert {action for _, action, _ in PALETTE} <= {key.action for key in MAIN_KEYS}


def test_bindings_have_unique_ids() -> None:
    ids = [binding.id for binding in MainScreen.BINDINGS]  # type: ignore[union-attr]
    assert None not in ids and len(ids) == len(set(ids))


def test_story_screen_binds_its_key_map() -> None:
    from tracktui.tui.keymap import STORY_KEYS
    from tracktui.tui.screens.story import StoryScreen

    bound = {binding.key: binding for binding in StoryScreen.BINDINGS}  # type: ignore[union-attr]
    for key in STORY_KEYS:
        for name in key.keys if key.action else ():
            assert bound[name].action == key.action, name
        if key.action is None:
            assert not set(key.keys) & set(bound), key.id
    ids = [binding.id for binding in StoryScreen.BINDINGS]  # type: ignore[union-attr]
    assert None not in ids and len(ids) == len(set(ids))
