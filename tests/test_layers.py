"""The import graph as the house style draws it: router → dependencies → service → repository → models.

Read from the source, so an upward import or a circle fails here, named, rather than as a puzzling
ImportError in whichever process happens to import the two modules in the wrong order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src"
LAYERS = ["models", "schemas", "repository", "service", "dependencies", "router"]
"""Lowest first. `schemas` describe shapes every layer uses; a layer may import its own and lower ones."""
TOP = {"kaira.main", "kaira.cli"}
"""Entry points: they may import anything, and nothing inside the app may import them."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module's imports of kaira modules at import time (not inside functions)."""
    graph: dict[str, set[str]] = {}
    for path in (SOURCE / "kaira").rglob("*.py"):
        name = _module_name(path)
        if ".migrations." in name:
            continue
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kaira"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith("kaira"))
        graph[name] = found
    return {name: {imported for imported in found if imported in graph} for name, found in graph.items()}


GRAPH = _imports()


def _layer(module: str) -> int | None:
    last = module.rsplit(".", 1)[-1]
    return LAYERS.index(last) if last in LAYERS else None


@pytest.mark.parametrize("module", sorted(name for name in GRAPH if _layer(name) is not None))
def test_no_module_imports_a_higher_layer(module: str) -> None:
    own = _layer(module)
    assert own is not None
    upward = sorted(
        imported
        for imported in GRAPH[module]
        if ((layer := _layer(imported)) is not None and layer > own) or imported in TOP
    )
    assert upward == [], f"{module} imports upward: {upward}"


def test_the_import_graph_has_no_circles() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" → ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])
