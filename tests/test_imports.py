"""The import graph of our packages: no circles (lazy imports inside functions included, which
is how engine/whatif/compare.py ↔ run.py hid one), and the layering the design states —
``graph_schema`` imports nothing of ours, ``engine`` never imports ``api``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("graph_schema", "engine", "api", "fourlinks")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in OURS:
        for f in (ROOT / pkg).rglob("*.py"):
            name = ".".join(f.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = f
    return out


def _graph() -> dict[str, set[str]]:
    """Module → the modules of ours it imports anywhere in its text."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, f in mods.items():
        pkg = name if f.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    target = ".".join([*parts, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                subs = {f"{target}.{a.name}" for a in node.names} & mods.keys()
                deps |= subs or ({target} & mods.keys())
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names} & mods.keys()
        graph[name] = deps - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_sees_a_lazy_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_layers() -> None:
    g = _graph()
    schema = {d for m, ds in g.items() if m.startswith("graph_schema") for d in ds}
    assert all(d.startswith("graph_schema") for d in schema)
    assert not {(m, d) for m, ds in g.items() if m.startswith("engine") for d in ds if d.startswith("api")}
