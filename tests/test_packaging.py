"""The wheel must carry the Textual stylesheets, and the installed command must start."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hatch_build import ENGINE_MODULES
from tracktui.resources import styles_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_stylesheets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "TRACKTUI_REQUIRE_COMPILED": "1"},
    )
    wheel = next(tmp_path.glob("tracktui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(name).name for name in names if name.startswith("tracktui/styles/")}
    expected = {path.name for path in (ROOT / "styles").glob("*.tcss")}
    assert expected, "no .tcss files in styles/"
    assert expected <= shipped, f"missing from wheel: {expected - shipped}"
    # The engine compiled by hatch_build.py (mypyc is among the test extras, so it must succeed here).
    for module in ENGINE_MODULES:
        stem = module.removesuffix(".py")
        assert any(name.startswith(stem + ".cpython-") and name.endswith(".so") for name in names), module
        assert module in names, f"pure-Python fallback {module} missing"
    assert any(name.endswith(".so") and "__mypyc" in name for name in names), "mypyc runtime library missing"


def test_styles_found_at_run_time() -> None:
    assert (styles_dir() / "app.tcss").is_file()


def test_console_script_version_and_help() -> None:
    exe = Path(sys.executable).with_name("tracktui")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("tracktui ")
    helptext = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("sync", "search", "report", "demo"):
        assert command in helptext.stdout
    module = subprocess.run(
        [sys.executable, "-m", "tracktui", "--version"], capture_output=True, text=True, check=True
    )
    assert module.stdout == version.stdout


def test_engine_reported_is_the_one_expected() -> None:
    """CI runs the suite twice, pure then against ``hatch_build.py inplace`` extensions, and says which."""
    from tracktui import engine

    assert engine() in ("pure Python", "compiled with mypyc")
    expected = os.environ.get("TRACKTUI_EXPECT_ENGINE")
    if expected is not None:
        assert engine() == expected
    exe = Path(sys.executable).with_name("tracktui")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.strip().endswith(f"engine: {engine()}")
