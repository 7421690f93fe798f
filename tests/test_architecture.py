"""The shape of the package (SPEC §6): data flows one way, and the public API is curated.

The folders of ``xsland/`` are its layers. A module may import modules of lower layers;
an import within one layer must be listed, with its reason, in :data:`SAME_LAYER`.
Imports are found in every form: ``from xsland.x import y``, ``import xsland.x``,
relative imports, and ``importlib.import_module("xsland.x")`` with a literal name.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import xsland

PACKAGE = Path(xsland.__file__).parent

#: Layer of each package (or top-level module), lowest first.
LAYERS = {
    "xsland._version": 0,
    "xsland.errors": 0,
    "xsland._atomic": 0,
    "xsland._redact": 0,
    "xsland._preflight": 0,
    "xsland._names": 0,
    "xsland._progress": 0,
    "xsland._html": 0,
    "xsland._sums": 0,
    "xsland._threads": 0,
    "xsland._gc": 0,
    "xsland.rules": 1,
    "xsland.read": 2,
    "xsland.measure": 3,
    "xsland.judge": 4,
    "xsland.group": 5,
    "xsland.result": 6,
    "xsland.compare": 7,  # two finished audits (AuditResult) compared: above the result
    "xsland.write": 8,
    "xsland.pipeline": 9,
    "xsland.tools": 9,
    "xsland.tools.sample": 9,  # builds a sample with the measures; below the CLI that offers it
    "xsland.tools.demo": 10,  # runs the pipeline on the sample
    "xsland.cli": 11,
    "xsland.tools.docs": 12,  # documents the CLI by introspection
    "xsland": 13,  # the package's curated re-exports
}

#: Imports within one layer, each with its reason. Anything else in one layer is an error.
SAME_LAYER = {
    # the input contract and the policy are read by the project file
    ("xsland.rules.project", "xsland.rules.policy"),
    ("xsland.rules.project", "xsland.rules.schema"),
    # the output schema folds in the evaluations' column declarations
    ("xsland.rules.columns", "xsland.rules.evaluation_columns"),
    # output labels are rendered from the policy's thresholds
    ("xsland.rules.columns", "xsland.rules.policy"),
    # one land-use vocabulary: the output schema's code words and the policy's default
    # category map are views of it
    ("xsland.rules.columns", "xsland.rules.landuse"),
    # the rules table in words people read: its units and sources, from the policy
    ("xsland.rules.columns", "xsland.rules.rule_words"),
    ("xsland.rules.rule_words", "xsland.rules.policy"),
    ("xsland.rules.policy", "xsland.rules.landuse"),
    # readers validate what they read, in the contract's terms
    ("xsland.read.io", "xsland.read.validate"),
    # validation checks coordinates against the CRS facts of read.crs
    ("xsland.read.validate", "xsland.read.geometry_checks"),
    ("xsland.read.geometry_checks", "xsland.read.crs"),
    ("xsland.read.postgis", "xsland.read.io"),
    ("xsland.read.postgis", "xsland.read.validate"),
    # validation reads values by the one set of rules for IDs, numbers, dates and units
    ("xsland.read.validate", "xsland.read.coerce"),
    ("xsland.read.validate", "xsland.read.values"),
    ("xsland.read.coerce", "xsland.read.values"),
    # IDs and names given one spelling across tables before the audit joins them
    ("xsland.read.harmonise", "xsland.read.coerce"),
    ("xsland.read.harmonise", "xsland.read.validate"),
    ("xsland.read.harmonise", "xsland.read.values"),
    # measures share the overlay helpers (intersection areas, overlapping pairs, the park
    # of a parcel) of measure.overlay
    ("xsland.measure.far", "xsland.measure.overlay"),
    ("xsland.measure.quality", "xsland.measure.overlay"),
    # the overlay clips convex pairs (a building across a parcel edge) in NumPy
    ("xsland.measure.overlay", "xsland.measure.convex"),
    # the intensive-use evaluation counts land by its 批供用 status; 亩均效益 classes
    # build on the per-mu figures of the low-efficiency module
    ("xsland.judge.intensity", "xsland.judge.supply"),
    ("xsland.judge.mujun", "xsland.judge.lowuse"),
    # judges join on IDs and names normalised once per distinct value (judge.keys)
    ("xsland.judge.lowuse", "xsland.judge.keys"),
    ("xsland.judge.intensity", "xsland.judge.keys"),
    ("xsland.judge.audit", "xsland.judge.keys"),
    ("xsland.judge.supply", "xsland.judge.keys"),
    # writers share the atomic folder and each other's pages
    ("xsland.write.report", "xsland.write.gpkg"),
    ("xsland.write.report", "xsland.write.excel"),
    # the files' last step, kept apart so that a worker process runs it without the
    # package (python -P xsland/write/worker.py)
    ("xsland.write.excel", "xsland.write.worker"),
    ("xsland.write.gpkg", "xsland.write.worker"),
    # the GeoPackage's QGIS styles use the map's colours and legend words
    ("xsland.write.gpkg", "xsland.write.maps"),
    ("xsland.write.report", "xsland.write.maps"),
    ("xsland.write.report", "xsland.write.htmlreport"),
    # the HTML report's package: common tables and text < quality_zh, charts < sections < page
    *(
        ("xsland.write.htmlreport", f"xsland.write.htmlreport.{m}")
        for m in ("charts", "common", "page", "quality_zh", "sections")
    ),
    ("xsland.write.htmlreport.charts", "xsland.write.htmlreport.common"),
    ("xsland.write.htmlreport.quality_zh", "xsland.write.htmlreport.common"),
    ("xsland.write.htmlreport.sections", "xsland.write.htmlreport.charts"),
    ("xsland.write.htmlreport.sections", "xsland.write.htmlreport.common"),
    ("xsland.write.htmlreport.sections", "xsland.write.htmlreport.quality_zh"),
    ("xsland.write.htmlreport.page", "xsland.write.htmlreport"),
    ("xsland.write.htmlreport.page", "xsland.write.htmlreport.charts"),
    ("xsland.write.htmlreport.page", "xsland.write.htmlreport.common"),
    ("xsland.write.htmlreport.page", "xsland.write.htmlreport.sections"),
    # the audit folder holds the GeoParquet copy of its layers (--geoparquet)
    ("xsland.write.report", "xsland.write.geoparquet"),
    # the tables of change are built on the geometric matches of parcels
    ("xsland.compare.diff", "xsland.compare.match"),
    ("xsland.compare.diff", "xsland.compare.evaluations"),
    # the change map inlines the maps' Leaflet; the diff's files reuse the audit's writers
    ("xsland.write.diff", "xsland.write.maps"),
    ("xsland.write.diff", "xsland.write.report"),
    # the project run calls the in-memory audit and the Dask engine
    ("xsland.pipeline.run", "xsland.pipeline.audit"),
    ("xsland.pipeline.run", "xsland.pipeline.engine"),
    ("xsland.pipeline.audit", "xsland.pipeline.engine"),
    # the partitioned audit runs its tasks on the engine's cluster and reads its datasets
    ("xsland.pipeline.partitioned", "xsland.pipeline.engine"),
    # a partitioned audit adds up parks, towns and district by the in-memory roll-up
    ("xsland.pipeline.partitioned", "xsland.pipeline.audit"),
    # a project audits a partitioned dataset when --partitions is given
    ("xsland.pipeline.run", "xsland.pipeline.partitioned"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_of(module: str) -> tuple[str, int]:
    """The LAYERS key that owns ``module`` (longest prefix) and its layer."""
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return best, LAYERS[best]


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    if not node.module:  # from . import a, b: a and b may be modules
        return [f"{base}.{a.name}" for a in node.names]
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _imports() -> dict[str, set[str]]:
    """Every xsland module each module imports, at the top or inside functions."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                found |= set(_resolve(name, node, path.name == "__init__.py"))
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_every_module_has_a_layer():
    assert [m for m in _imports() if not any(m == k or m.startswith(k + ".") for k in LAYERS)] == []


def test_absolute_relative_and_importlib_imports_are_seen():
    graph = _imports()
    assert "xsland.judge.audit" in graph["xsland.pipeline.audit"]  # from xsland.x import y
    assert "xsland._version" in graph["xsland.cli"]
    assert "xsland.errors" in graph["xsland"]


def test_no_module_imports_one_above_it():
    bad = []
    for module, deps in _imports().items():
        key, layer = _layer_of(module)
        for dep in deps:
            dkey, dlayer = _layer_of(dep)
            if dlayer > layer:
                bad.append(f"{module} (layer {layer}) imports {dep} (layer {dlayer})")
            elif dlayer == layer and dkey == key and key != "xsland" and dep != key:
                if (module, dep) not in SAME_LAYER and module != key:
                    bad.append(f"{module} imports {dep} of its own layer: list it in SAME_LAYER")
    assert bad == []


def test_the_same_layer_allowlist_has_no_stale_entries():
    graph = _imports()
    assert [pair for pair in SAME_LAYER if pair[1] not in graph.get(pair[0], set())] == []


def test_no_import_cycles():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if dep == "xsland" or node.startswith(dep + "."):
                continue  # a package's __init__ is imported with every module in it
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " → ".join([*path, node, dep]))
            if dep not in state:
                visit(dep, [*path, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("module", sorted(_imports()))
def test_every_module_declares_its_public_names(module):
    mod = importlib.import_module(module)
    assert hasattr(mod, "__all__"), module
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


def test_package_reexports_are_real():
    assert [n for n in xsland.__all__ if not hasattr(xsland, n)] == []
    assert xsland.run_audit is xsland.pipeline.audit.run
    assert xsland.AuditResult is xsland.result.AuditResult
    assert issubclass(xsland.ValidationError, ValueError)
    assert issubclass(xsland.InputFileError, OSError)
