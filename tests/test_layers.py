"""Stages only import downward: facts → grammar → compiler → media → runtime → batch → cli.

Every import counts — at module level, inside a function (a lazy import is still a dependency),
under TYPE_CHECKING, `importlib.import_module("…")` with a literal name, and `"module:attr"`
strings (the command line's lazy table). A failure lists every `module:line → target`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "shotscript"
_ENTRY = re.compile(r"shotscript(\.\w+)+:\w+")
# The pipeline, bottom first; a stage may import itself and everything before it. `preview`
# (offline animatics) sits beside media: it may use facts, grammar, compiler and media, and
# the runtime's preview backend uses it. `api` is the package itself (`shotscript.render`,
# `shotscript.check_file`): the Python façade, which the command line may call.
ORDER = ("facts", "grammar", "compiler", "media", "preview", "runtime", "batch", "api", "cli")
ALLOWED: dict[str, frozenset[str]] = {stage: frozenset(ORDER[: i + 1]) for i, stage in enumerate(ORDER)}
# The emulator stands in for the service: service facts only, never a client stage. Only the
# command line starts it (`shotscript emulate`).
ALLOWED["emulator"] = frozenset({"facts", "emulator"})
ALLOWED["cli"] |= {"emulator"}


def module_name(path: Path) -> str:
    """`shotscript/compiler/checks.py` → `shotscript.compiler.checks` (a package → its name)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    """The stage a module of ours belongs to; the package itself is the `api` stage."""
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    if parts[1] == "__main__":  # `python -m shotscript`: the command line
        return "cli"
    return parts[1]


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT / rel).with_suffix(".py").is_file() or (ROOT / rel / "__init__.py").is_file()


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of a `shotscript` module in the source."""
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            # `from shotscript import cli` imports the module `shotscript.cli`, not the package's code.
            subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
            targets = subs if len(subs) == len(node.names) else [base, *subs]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    targets = [arg.value]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _ENTRY.fullmatch(node.value):
            targets = [node.value.partition(":")[0]]  # "shotscript.cli.check:check", imported by name later
        for target in targets:
            if target == "shotscript" or target.startswith("shotscript."):
                yield node.lineno, target


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """`module:line → target` for each import that goes up or across a stage."""
    allowed = ALLOWED[stage_of(module)]
    found = sorted(imports_of(source, module, is_package))
    return [f"{module}:{line} → {target}" for line, target in found if stage_of(target) not in allowed]


def test_every_import_goes_to_the_same_stage_or_below() -> None:
    found: list[str] = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 100  # the scan sees the package
    for path in files:
        module = module_name(path)
        assert stage_of(module) in ALLOWED, f"{module}: a stage the layering does not know"
        found += violations(path.read_text("utf-8"), module, path.name == "__init__.py")
    assert not found, "upward or sideways imports:\n" + "\n".join(found)


def test_the_scan_sees_lazy_relative_dynamic_and_by_name_imports() -> None:
    source = (
        "import importlib\n"
        "from shotscript.facts import capabilities\n"
        "def probe():\n"
        "    from shotscript.media import probe\n"
        "    from ..runtime import client\n"
        "    return importlib.import_module('shotscript.cli.check')\n"
        "from shotscript import __version__\n"
        "COMMANDS = {'render': 'shotscript.batch.session:render_sync'}\n"
    )
    assert violations(source, "shotscript.compiler.checks") == [
        "shotscript.compiler.checks:4 → shotscript.media.probe",
        "shotscript.compiler.checks:5 → shotscript.runtime.client",
        "shotscript.compiler.checks:6 → shotscript.cli.check",
        "shotscript.compiler.checks:7 → shotscript",
        "shotscript.compiler.checks:8 → shotscript.batch.session",
    ]


def test_the_emulator_uses_facts_only_and_only_the_command_line_starts_it() -> None:
    assert violations("from shotscript.runtime import settings\n", "shotscript.emulator.cli") == [
        "shotscript.emulator.cli:1 → shotscript.runtime.settings"]
    assert violations("from shotscript.emulator import server\n", "shotscript.batch.session") == [
        "shotscript.batch.session:1 → shotscript.emulator.server"]
    assert not violations("from shotscript.emulator import server\n", "shotscript.cli.emulate")
    assert not violations("from shotscript.compiler import payload\n", "shotscript.preview.cards")
