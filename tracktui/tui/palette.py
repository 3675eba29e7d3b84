"""Command palette provider: the main screen's actions by name (Ctrl+P)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Search fields", "focus_search", "Put the cursor in the recipient field (/)"),
    ("Show delivered", "status('delivered')", "Status group Delivered (s)"),
    ("Show temporarily rejected", "status('temporary')", "Deferred deliveries the server retries (t)"),
    ("Show permanently rejected", "status('permanent')", "Bounced and expired deliveries (p)"),
    ("Show all deliveries", "status('all')", "Every status (a)"),
    ("Sync now", "sync", "Read new log lines from the sources (r)"),
    ("Raw log lines", "raw_log", "The log lines of the selected message (l)"),
    ("Toggle details pane", "toggle_details", "Show or hide the details (d)"),
    ("Export PDF", "export", "The current view as a PDF report (e)"),
    ("Monthly PDF report by e-mail", "subscription", "Send me a monthly PDF report: the address, or none (m)"),
    ("Help: keys", "help", "Every key (?)"),
    ("Quit", "quit", "Leave tracktui (q)"),
)
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
