"""The shape of the package (SPEC §6): data flows one way, and the public API is curated."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import xsland

PACKAGE = Path(xsland.__file__).parent

#: Layer of each module; a module may import only modules of its own layer or below
#: (read → validate → measure → judge → group → write → face).
LAYERS = {
    "errors": 0, "atomic": 0, "schema": 0, "policy": 0,
    "crs": 1, "validate": 1, "project": 1,
    "io": 2, "postgis": 2,
    "area": 3, "far": 3, "quality": 3, "raster": 3,
    "audit": 4, "lowuse": 4, "blocks": 4, "engine": 4,
    "report": 5, "maps": 5, "htmlreport": 5, "diff": 5,
    "pipeline": 6, "demo": 6, "sample": 6, "cli": 7, "__init__": 8,
    "docs": 8,  # documents the CLI by introspection
}  # fmt: skip


def _imports() -> dict[str, set[str]]:
    """Every xsland module each module imports, at the top or inside functions."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                deps |= {n.split(".")[0] for n in names if n.split(".")[0] in LAYERS}
        graph[path.stem] = deps - {path.stem}
    return graph


def test_every_module_has_a_layer():
    assert set(_imports()) == set(LAYERS)


def test_no_module_imports_one_above_it():
    bad = [
        f"{m} (layer {LAYERS[m]}) imports {d} (layer {LAYERS[d]})"
        for m, deps in _imports().items()
        for d in deps
        if LAYERS[d] > LAYERS[m]
    ]
    assert bad == []


def test_no_import_cycles():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " → ".join([*path, node, dep]))
            if dep not in state:
                visit(dep, [*path, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("module", sorted(set(LAYERS) - {"__init__"}))
def test_every_module_declares_its_public_names(module):
    mod = importlib.import_module(f"xsland.{module}")
    assert hasattr(mod, "__all__"), module
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


def test_package_reexports_are_real():
    assert [n for n in xsland.__all__ if not hasattr(xsland, n)] == []
    assert xsland.run_audit is xsland.audit.run
    assert issubclass(xsland.ValidationError, ValueError)
    assert issubclass(xsland.InputFileError, OSError)
