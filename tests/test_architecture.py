"""The house rules that a reader relies on: layers import one way, imports sit at the top."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "corridors"
#: The word a function-level import's comment must carry, with the dependency it defers.
DEFERRED = "deferred:"


def test_import_linter_contracts_are_kept() -> None:
    """``lint-imports`` (the contracts in pyproject.toml) passes on the package as it is."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 kept, 0 broken" in out.stdout


def test_every_module_is_in_a_layer() -> None:
    """A new module cannot escape the contracts: each one is named in a layer."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    named: set[str] = set()
    for contract in config["contracts"]:
        prefix = [f"{c}." for c in contract.get("containers", [])] or [""]
        for layer in contract["layers"]:
            for part in layer.replace(":", "|").split("|"):
                named |= {p + part.strip() for p in prefix}
    modules = {
        ".".join(p.relative_to(REPO / "src").with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
    }
    top = {m for m in modules if m.count(".") == 1}
    osm = {m for m in modules if m.startswith("corridors.osm.")}
    missing = sorted(m for m in top | osm if m not in named)
    assert not missing, f"modules in no import-linter layer: {missing}"


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    """Imports inside functions (not under ``if TYPE_CHECKING``) that lack a ``deferred:`` comment."""
    source = path.read_text(encoding="utf-8")
    text = source.splitlines()
    tree = ast.parse(source)
    typing_only = _type_checking_blocks(tree)
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno not in typing_only:
                here = text[node.lineno - 1]
                above = text[node.lineno - 2] if node.lineno > 1 else ""
                if DEFERRED not in here and DEFERRED not in above:
                    out.append((node.lineno, here.strip()))
    return sorted(set(out))


def test_function_level_imports_say_what_they_defer() -> None:
    """An import inside a function is there only to defer a heavy dependency, and says which."""
    bad = [
        f"{p.relative_to(REPO)}:{line}: {code}"
        for p in sorted(PACKAGE.rglob("*.py"))
        for line, code in function_level_imports(p)
    ]
    assert not bad, "function-level imports without a '# deferred: <what>' comment:\n" + "\n".join(bad)


def test_the_checker_sees_a_bare_function_level_import(tmp_path: Path) -> None:
    """The rule above can fail: a bare import inside a function is reported, a commented one is not."""
    f = tmp_path / "m.py"
    f.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import json\n"
        "def a():\n    import os\n    return os\n"
        "def b():\n    import re  # deferred: nothing heavy, for the test\n    return re\n",
        encoding="utf-8",
    )
    assert function_level_imports(f) == [(5, "import os")]


def test_no_private_imports_from_other_packages() -> None:
    """No module imports a private name (or a private module) of another package or module."""
    bad = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                private_module = any(part.startswith("_") and part != "__future__" for part in node.module.split("."))
                private_names = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                if private_module or private_names:
                    bad.append(f"{p.relative_to(REPO)}:{node.lineno}: from {node.module} import {private_names}")
            elif isinstance(node, ast.Import):
                bad += [
                    f"{p.relative_to(REPO)}:{node.lineno}: import {a.name}"
                    for a in node.names
                    if any(part.startswith("_") for part in a.name.split("."))
                ]
    assert not bad, "\n".join(bad)
