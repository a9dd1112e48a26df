"""The package reads like the architecture: no import cycles, and nothing imports the interfaces."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "assistant"
INTERFACES = ("assistant.cli", "assistant.ui")
ENTRY_POINTS = ("assistant.__main__",)  # `python -m assistant` is the CLI


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports (at any depth of the file, lazily or not)."""
    modules = {module_name(p, package.parent): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        base = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[: len(base) - (node.level - 1)]
                    target = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            for c in candidates:
                # "from . import x" names a module; "from .x import f" names module x (f is not one)
                while c and c not in modules:
                    c = c.rpartition(".")[0]
                if c and c != name:
                    graph[name].add(c)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None. A package's __init__ importing its own
    sub-modules (re-exports) is not a cycle unless a sub-module imports the package back."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if v not in state:
                found = visit(v)
                if found:
                    return found
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(graph):
        if u not in state:
            found = visit(u)
            if found:
                return found
    return None


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_cycle_finder_finds_a_planted_cycle(tmp_path):
    pkg = tmp_path / "assistant"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub.b import f\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g\n")
    assert find_cycle(import_graph(pkg)) in (["assistant.a", "assistant.sub.b", "assistant.a"],
                                 ["assistant.sub.b", "assistant.a", "assistant.sub.b"])


def test_nothing_below_the_interfaces_imports_them():
    graph = import_graph()
    offenders = {m: sorted(t for t in targets if t.startswith(INTERFACES))
                 for m, targets in graph.items() if not m.startswith(INTERFACES) and m not in ENTRY_POINTS}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_the_interfaces_import_the_library_not_each_other():
    graph = import_graph()
    assert not any(t.startswith("assistant.ui") for m in graph if m.startswith("assistant.cli.")
                   and m != "assistant.cli.server" for t in graph[m])
    assert not any(t.startswith("assistant.cli") for m in graph if m.startswith("assistant.ui") for t in graph[m])


def test_sub_packages_exist_and_modules_stay_readable():
    for sub in ("cli", "ui", "answer", "embedding"):
        assert (PACKAGE / sub / "__init__.py").is_file()
    too_long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text("utf-8").splitlines())) > 400}
    assert too_long == {}
