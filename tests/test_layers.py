"""The layout's rules, checked on the source: data flows one way through the packages.

Only the CLI parses arguments (typer), only the report package draws (rich), checking a draft
starts no process, the benchmark stays outside the core, and imports between chachong's
modules (those inside functions included) form no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "src" / "chachong"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{alias.name}" for alias in node.names)
    return out


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _users(prefix: str) -> set[str]:
    return {
        m for m, p in MODULES.items()
        if any(i == prefix or i.startswith(prefix + ".") for i in _imports(p, top_level_only=False))
    }


def test_only_the_cli_imports_typer():
    assert _users("typer") == {"chachong.cli"}


def test_only_the_report_package_imports_rich():
    assert _users("rich")
    assert all(m.startswith("chachong.report.") for m in _users("rich")), _users("rich")


def test_nothing_outside_the_benchmark_and_the_cli_imports_the_benchmark():
    users = {m for m in _users("chachong.bench") if not m.startswith("chachong.bench")}
    assert users == {"chachong.cli"}


def test_no_import_cycle_between_modules():
    graph = {
        m: {i for i in _imports(p, top_level_only=False) if i in MODULES and i != m}
        for m, p in MODULES.items()
    }
    # A package's __init__ importing its own submodules is how a package exports; the rule
    # is about modules depending on each other.
    for m, imported in graph.items():
        graph[m] = {i for i in imported if not (MODULES[m].name == "__init__.py" and i.startswith(m + "."))}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            assert state.get(n) != 1, " → ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_checking_a_draft_loads_no_process_machinery_cli_or_rich():
    # report.format is plain string functions (no rich): errors.py shows untrusted text
    # through its `visible`, the one sanitizer every message and report uses.
    code = (
        "import sys, chachong, chachong.match.check, chachong.match.pairs, chachong.indexer\n"
        "bad = [m for m in sys.modules if m in ('subprocess', 'typer', 'rich', 'click')"
        " or (m.startswith(('chachong.phrases.worker', 'chachong.bench', 'chachong.report', 'chachong.cli'))"
        " and m not in ('chachong.report', 'chachong.report.format'))]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
