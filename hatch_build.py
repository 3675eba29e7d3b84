"""Wheel build hook: compile the engine's hot modules with mypyc.

The parsers and the correlator run once per log line, millions of times a
sync; compiled by mypyc (the compiler mypy and black ship with) from the same
typed sources, parse + correlate runs 1.5-1.8x faster (README, Speed). Only
``pip install .`` / wheel builds compile; an editable install (``pip install -e .``) stays pure Python
so an edited module is never shadowed by a stale binary. The pure modules are
shipped too: Python loads the extension when it is there and imports, the
source otherwise.

A failed compilation (no C compiler, no mypy in a ``--no-isolation`` build)
warns and builds a pure wheel, unless ``TRACKTUI_REQUIRE_COMPILED=1`` (CI) makes
it an error; ``TRACKTUI_PURE_PYTHON=1`` skips compilation. ``tracktui --version``
says which engine is running.

Run as a script for a checkout: ``python hatch_build.py inplace`` writes the
extensions next to the sources (CI runs the test suite against them),
``python hatch_build.py clean`` removes them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
ENGINE_MODULES = (
    "tracktui/model.py",
    "tracktui/correlate.py",
    "tracktui/rows.py",
    "tracktui/parsers/base.py",
    "tracktui/parsers/syslog.py",
    "tracktui/parsers/postfix.py",
    "tracktui/parsers/exim.py",
    "tracktui/parsers/exim_fields.py",
    "tracktui/parsers/qmail.py",
)
"""Compiled modules: everything a line passes through between the source's bytes and the cache rows."""

_COMPILE_SCRIPT = """
import sys
from mypyc.build import mypycify
from setuptools import setup

modules = sys.argv[1:]
setup(
    name="tracktui-engine",
    ext_modules=mypycify(modules, opt_level="3"),
    script_args=["build_ext", "--inplace"],
)
"""


class CompileError(Exception):
    """mypyc could not build the engine; the message is one line."""


def compile_engine(root: Path, workdir: Path) -> list[Path]:
    """Compile :data:`ENGINE_MODULES` of ``root`` in a copy under ``workdir``; the built files, relative to it.

    The copy keeps build artefacts out of the checkout and lets mypy see the whole package.
    """
    shutil.copytree(root / "tracktui", workdir / "tracktui", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    process = subprocess.run(
        [sys.executable, "-c", _COMPILE_SCRIPT, *ENGINE_MODULES],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if process.returncode:
        last = [line for line in process.stdout.splitlines() if line.strip()][-1:] or ["no output"]
        raise CompileError(f"mypyc failed (exit {process.returncode}): {last[0]}\n{process.stdout[-4000:]}")
    built = sorted(path.relative_to(workdir) for path in workdir.rglob("*.so") if "build" not in path.parts)
    if not built:
        raise CompileError("mypyc produced no extension modules")
    return built


def _required() -> bool:
    return os.environ.get("TRACKTUI_REQUIRE_COMPILED", "") not in ("", "0")


def compile_inplace(root: Path = ROOT) -> list[Path]:
    """Compile into ``root``'s source tree (replacing earlier extensions); the files written."""
    clean(root)
    with tempfile.TemporaryDirectory(prefix="tracktui-mypyc-") as tmp:
        built = compile_engine(root, Path(tmp))
        for relative in built:
            shutil.copy2(Path(tmp) / relative, root / relative)
    return [root / relative for relative in built]


def clean(root: Path = ROOT) -> list[Path]:
    """Remove compiled engine modules from ``root``'s source tree; the files removed."""
    removed = [*root.glob("*__mypyc.*.so"), *(root / "tracktui").rglob("*.so")]
    for path in removed:
        path.unlink()
    return removed


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script without hatchling: only inplace/clean are needed
    BuildHookInterface = object  # type: ignore[misc,assignment]


class EngineBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """Hatchling's custom build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._workdir: str | None = None
        if self.target_name != "wheel" or version == "editable" or os.environ.get("TRACKTUI_PURE_PYTHON"):
            return
        self._workdir = tempfile.mkdtemp(prefix="tracktui-mypyc-")
        try:
            built = compile_engine(Path(self.root), Path(self._workdir))
        except (CompileError, OSError) as error:
            if _required():
                raise
            print(f"tracktui: building a pure-Python wheel ({str(error).splitlines()[0]})", file=sys.stderr)
            return
        for relative in built:
            build_data["force_include"][str(Path(self._workdir) / relative)] = relative.as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv == ["inplace"]:
        try:
            written = compile_inplace()
        except CompileError as error:
            print(f"hatch_build.py: {error}", file=sys.stderr)
            return 1
        print(f"compiled {len(written)} extension modules into {ROOT}")
        return 0
    if argv == ["clean"]:
        print(f"removed {len(clean())} extension modules")
        return 0
    print("usage: python hatch_build.py inplace|clean", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
