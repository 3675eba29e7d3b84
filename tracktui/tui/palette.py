"""Command palette provider: the main screen's actions by name (Ctrl+P)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tracktui.tui.keymap import palette_commands

PALETTE = palette_commands()
"""(name, main-screen action, help) for every palette command."""


class TracktuiCommands(Provider):
    """Offers the main screen's actions; only on the main screen, only those that apply now."""

    def _commands(self) -> list[tuple[str, str, str]]:
        from tracktui.tui.screens.main import MainScreen

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        commands = []
        for name, action, help_text in PALETTE:
            action_name = action.split("(")[0]
            if screen.check_action(action_name, ()) is False:
                continue
            commands.append((name, action, help_text))
        return commands

    async def _run(self, action: str) -> None:
        await self.screen.run_action(action)

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action), help=help_text)
