"""The project file (``xsland.toml``): inputs, column mappings, options and rules.

``xsland init`` writes a commented template (:func:`project_template`) that
lists every rule with its default, unit and source; :func:`load_project`
reads one back and validates it, naming the key of every problem. Relative
paths are resolved against the project file's folder.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import InputFileError, PolicyError
from .policy import DEFAULT_POLICY, Policy
from .schema import KINDS

__all__ = [
    "INPUT_KEYS",
    "INPUT_KINDS",
    "OPTION_KEYS",
    "PROJECT_KEYS",
    "Input",
    "Project",
    "load_project",
    "project_from_mapping",
    "project_template",
]

#: Inputs a project may name, in the order the audit reads them.
INPUT_KINDS = ("parks", "parcels", "buildings", "enterprises", "plan", "indicators", "raster")
#: Keys of the ``[project]`` table.
PROJECT_KEYS = ("name", "out", "crs", "year")
#: Keys of an ``[inputs.KIND]`` table.
INPUT_KEYS = ("path", "layer", "sheet", "columns", "crs")
#: Keys of the ``[options]`` table and their allowed values.
OPTION_KEYS = MappingProxyType(
    {"duplicates": ("raise", "rename"), "empty_geometry": ("raise", "drop")}
)
_INPUT_KEYS = set(INPUT_KEYS)
_OPTION_KEYS = OPTION_KEYS


@dataclass(frozen=True)
class Input:
    """One input of a project: a file (and layer or sheet) with its column mapping."""

    kind: str
    path: Path
    layer: str | None = None
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    crs: str | None = None


@dataclass(frozen=True)
class Project:
    """A parsed and validated project file."""

    name: str = "xsland audit"
    out: Path | None = None
    crs: str | None = None
    year: int | None = None
    inputs: Mapping[str, Input] = field(default_factory=lambda: MappingProxyType({}))
    duplicates: str = "raise"
    empty_geometry: str = "raise"
    policy: Policy = DEFAULT_POLICY
    source: Path | None = None


def load_project(path: str | os.PathLike) -> Project:
    """Read and validate a project file.

    Raises
    ------
    InputFileError
        The file does not exist or an input it names does not.
    PolicyError
        A key is unknown or a value has the wrong type; every problem is
        listed with its key (``inputs.parcels.path``, ``policy.block_gap_m``).
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"project file {p} does not exist; create one with `xsland init`")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p} is not valid TOML: {exc}") from exc
    return project_from_mapping(data, base=p.parent, source=p)


def project_from_mapping(
    data: Mapping[str, Any], *, base: Path, source: Path | None = None
) -> Project:
    """Build a :class:`Project` from parsed TOML (see :func:`load_project`)."""
    where = str(source) if source else "project"
    problems: list[str] = []
    known = {"project", "inputs", "options", "policy"}
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown table; use {', '.join(sorted(known))}")
    meta = dict(data.get("project", {}))
    for key in meta:
        if key not in PROJECT_KEYS:
            problems.append(f"project.{key}: unknown key; use name, out, crs or year")
    year = meta.get("year")
    if year is not None and not isinstance(year, int):
        problems.append(f"project.year: must be a whole year such as 2026, not {year!r}")
    inputs: dict[str, Input] = {}
    for kind, spec in dict(data.get("inputs", {})).items():
        key = f"inputs.{kind}"
        if kind not in INPUT_KINDS:
            problems.append(f"{key}: unknown input; use {', '.join(INPUT_KINDS)}")
            continue
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, Mapping):
            problems.append(f'{key}: must be a table with path = "…" or a path string')
            continue
        for k in spec:
            if k not in _INPUT_KEYS:
                problems.append(f"{key}.{k}: unknown key; use {', '.join(sorted(_INPUT_KEYS))}")
        if "path" not in spec or not str(spec["path"]).strip():
            problems.append(f"{key}.path: missing")
            continue
        path = Path(os.path.expanduser(str(spec["path"])))
        path = path if path.is_absolute() else base / path
        if not path.exists():
            problems.append(f"{key}.path: {path} does not exist")
        columns = spec.get("columns", {})
        if not isinstance(columns, Mapping) or not all(
            isinstance(v, str) for v in columns.values()
        ):
            problems.append(f'{key}.columns: must be a table of "file column" = "contract column"')
            columns = {}
        elif kind in KINDS:
            bad = [v for v in columns.values() if v not in KINDS[kind].columns]
            if bad:
                problems.append(
                    f"{key}.columns: {', '.join(map(repr, bad))} not {kind} columns; "
                    f"use {', '.join(KINDS[kind].columns)}"
                )
        inputs[kind] = Input(
            kind=kind,
            path=path,
            layer=spec.get("layer"),
            sheet=spec.get("sheet"),
            columns=MappingProxyType(dict(columns)),
            crs=spec.get("crs"),
        )
    options = dict(data.get("options", {}))
    for k, v in options.items():
        if k not in _OPTION_KEYS:
            problems.append(f"options.{k}: unknown key; use {', '.join(_OPTION_KEYS)}")
        elif v not in _OPTION_KEYS[k]:
            problems.append(f"options.{k}: {v!r}; use {' or '.join(map(repr, _OPTION_KEYS[k]))}")
    policy = DEFAULT_POLICY
    try:
        policy = Policy.from_mapping(dict(data.get("policy", {})), where="policy")
    except PolicyError as exc:
        problems.extend(getattr(exc, "problems", [str(exc)]))
    for kind in ("parks", "parcels"):
        if kind not in inputs and f"inputs.{kind}" not in " ".join(problems):
            problems.append(f"inputs.{kind}: missing; the audit needs parks and parcels")
    if problems:
        raise PolicyError(
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in "
            f"{where}:\n  - " + "\n  - ".join(problems)
        )
    out = meta.get("out")
    return Project(
        name=str(meta.get("name", "xsland audit")),
        out=(base / out) if out else None,
        crs=meta.get("crs") or None,
        year=year,
        inputs=MappingProxyType(inputs),
        duplicates=options.get("duplicates", "raise"),
        empty_geometry=options.get("empty_geometry", "raise"),
        policy=policy,
        source=source,
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def project_template(
    *,
    inputs: Mapping[str, str] | None = None,
    policy: Policy = DEFAULT_POLICY,
    name: str = "锡山区特色专业园区用地审计",
    out: str = "out/audit",
) -> str:
    """The text of a commented project file with every rule and its source.

    Parameters
    ----------
    inputs
        ``kind -> path`` to fill in; the others are left commented out.
    """
    inputs = dict(inputs or {})
    lines = [
        "# xsland project file (项目配置). Paths are relative to this file.",
        "# Every rule below has its default, unit and source; change a value to override it.",
        "",
        "[project]",
        f'name = "{name}"',
        f'out = "{out}"            # output folder of `xsland audit -c this-file`',
        '# crs = "EPSG:4549"       # CRS of layers that have none (.shp without .prj)',
        "# year = 2026             # year of the park indicators to judge (default: latest)",
        "",
        "[options]",
        'duplicates = "raise"      # "rename": keep duplicate IDs as ID-2, ID-3 … (listed)',
        'empty_geometry = "raise"  # "drop": leave out features without geometry (listed)',
        "",
    ]
    examples = {
        "parks": ("data/parks.gpkg", "parks"),
        "parcels": ("data/parcels.gpkg", "parcels"),
        "buildings": ("data/buildings.gpkg", "buildings"),
        "enterprises": ("data/enterprises.csv", None),
        "plan": ("data/plan.gpkg", "plan"),
        "indicators": ("data/indicators.xlsx", None),
    }
    for kind, (example, layer) in examples.items():
        path = inputs.get(kind)
        c = "" if path else "# "
        lines.append(f"{c}[inputs.{kind}]")
        lines.append(f'{c}path = "{path or example}"')
        if layer:
            lines.append(f'{c}layer = "{layer}"')
        lines.append(f"{c}# [inputs.{kind}.columns]   # file column = contract column")
        col = {
            "parks": ("园区名称", "name"),
            "parcels": ("地块编号", "parcel_id"),
            "buildings": ("层数", "floors"),
            "enterprises": ("信用代码", "enterprise_id"),
            "plan": ("规划用地性质", "planned_use"),
            "indicators": ("年度", "year"),
        }[kind]
        lines.append(f'{c}# "{col[0]}" = "{col[1]}"')
        lines.append("")
    lines.append("[policy]")
    for f in dataclasses.fields(policy):
        if f.name == "category_map":
            continue
        value = getattr(policy, f.name)
        meta = f.metadata
        comment = f"# {meta['label']} [{meta['unit']}] — {meta['source']}"
        if value is None:
            lines.append(f"# {f.name} = 0    {comment} (unset)")
        else:
            text = value.isoformat() if hasattr(value, "isoformat") else _toml_value(value)
            lines.append(f"{f.name} = {text}    {comment}")
    lines += ["", "[policy.category_map]   # land-use code → category (用地分类对照)"]
    for code, cat in policy.category_map.items():
        lines.append(f'"{code}" = "{cat}"')
    return "\n".join(lines) + "\n"
