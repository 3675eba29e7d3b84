"""``tracktui demo`` and ``tracktui --source ...``: the command line builds the app the tests drive."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, RadioButton

from tests.tui_fixtures import make_app, prepared_cache, settle
from tracktui.__main__ import build_parser
from tracktui.commands.app import options_from_args
from tracktui.demo import prepare_demo
from tracktui.errors import UsageError
from tracktui.tui.app import build_app
from tracktui.tui.screens.main import MainScreen
from tracktui.tui.widgets.delivery_tree import DeliveryTree, MessageData


def test_search_options_prefill_the_form(tmp_path: Path) -> None:
    args = build_parser().parse_args([
        "--source", "file:/var/log/mail.log", "--status", "bounced", "--since", "yesterday", "--until", "today",
        "--to", "@example.com", "--from", "alice@example.com", "--subject", "report",
        "--cache", f"sqlite:///{tmp_path / 'c.sqlite3'}", "--config", str(tmp_path / "none.toml"),
    ])
    options = options_from_args(args)
    assert options.sources == ("file:/var/log/mail.log",)
    assert not options.needs_login
    form = options.form
    assert (form.status, form.since, form.until, form.recipient, form.sender, form.subject) == (
        "permanent", "yesterday", "today", "@example.com", "alice@example.com", "report")


def test_no_source_means_login_and_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--config", str(tmp_path / "none.toml")])
    assert options_from_args(args).needs_login
    args = build_parser().parse_args(["--profile", "nope", "--config", str(tmp_path / "none.toml")])
    with pytest.raises(UsageError, match="unknown profile 'nope'"):
        options_from_args(args)


@pytest.mark.slow
async def test_demo_opens_on_the_sample_logs(tmp_path: Path) -> None:
    args = build_parser().parse_args(["demo"])
    with prepare_demo() as demo:
        assert all(url.startswith("file:") for url in demo.sources)
        assert demo.cache_url.startswith("sqlite:///") and str(demo.directory) in demo.cache_url
        options = options_from_args(args, demo=demo)
        assert options.title == "tracktui demo" and options.form.since == "-7d"
        app = build_app(options)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            assert app.screen.syncing  # the screen is up while the first sync runs
            await pilot.press("a")
            await settle(app, pilot, rounds=6)
            while app.screen.syncing:
                await settle(app, pilot)
            await settle(app, pilot, rounds=3)
            tree = app.screen.query_one(DeliveryTree)
            rows = [node.data.row for node in tree.root.children if isinstance(node.data, MessageData)]
            assert len(rows) == 100 or tree.has_more
            hosts = {row.host for row in rows}
            statuses = {status for node in tree.root.children if isinstance(node.data, MessageData)
                        for status in node.data.statuses}
            assert len(statuses) >= 3, statuses
            all_count = str(app.screen.query_one("#status-all", RadioButton).label)
            assert int(all_count.split()[-1].replace(",", "")) > 1000
            assert hosts
            assert "mx1.example.com" in app.screen.cache.hosts()
    assert not demo.directory.exists()  # the demo leaves nothing behind


async def test_export_writes_a_pdf_of_the_view(tmp_path: Path) -> None:
    from tracktui.config import load_config, save_config

    source, cache_url = prepared_cache(tmp_path)
    config_path = tmp_path / "config.toml"
    config = load_config(config_path)
    config.report.output_dir = str(tmp_path / "reports")
    save_config(config, config_path)
    app = make_app(source, cache_url)
    app.options.config_path = config_path
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#recipient", Input).value = "@example.com"
        await pilot.press("slash", "enter", "escape", "e")
        await settle(app, pilot, rounds=4)
        pdfs = list((tmp_path / "reports").glob("*.pdf"))
        assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
        messages = [n.message for n in app._notifications]
        assert any(str(pdfs[0]) in message for message in messages), messages
