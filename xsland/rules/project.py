"""The project file (``xsland.toml``): inputs, column mappings, options and rules.

``xsland init`` writes a commented template (:func:`project_template`) that
lists every rule with its default, unit and source; :func:`load_project`
reads one back and validates it, naming the key of every problem. Relative
paths are resolved against the project file's folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xsland._redact import is_postgres_uri
from xsland.errors import InputFileError, PolicyError
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.rules.schema import KINDS

__all__ = [
    "INPUT_KEYS",
    "INPUT_KINDS",
    "OPTION_KEYS",
    "PROJECT_KEYS",
    "RASTER_KEYS",
    "TABLE_INPUTS",
    "Input",
    "Project",
    "load_project",
    "project_from_mapping",
    "project_template",
]

#: Inputs a project may name, in the order the audit reads them.
INPUT_KINDS = (
    "parks",
    "parcels",
    "buildings",
    "enterprises",
    "plan",
    "indicators",
    "history",
    "barriers",
    "landcover",
)
#: Inputs that are tables (CSV/XLSX or a PostGIS table without geometry).
TABLE_INPUTS = ("enterprises", "indicators", "history")
#: Keys of the ``[project]`` table.
PROJECT_KEYS = ("name", "out", "crs", "year")
#: Keys of an ``[inputs.KIND]`` table.
INPUT_KEYS = (
    "path",
    "layer",
    "sheet",
    "columns",
    "units",
    "crs",
    "override_crs",
    "table",
    "sql",
    "geometry_column",
)
#: Keys of the ``[options]`` table and their allowed values (``None``: any value of the
#: type said in the docs).
OPTION_KEYS = MappingProxyType(
    {
        "duplicates": ("raise", "rename"),
        "empty_geometry": ("raise", "drop"),
        "as_of": None,
        "maps": (True, False),
        "report": (True, False),
        "basemap": ("osm", "tianditu_vec", "tianditu_img", "amap", "amap_satellite", "none"),
        "tianditu_key": None,
    }
)
#: Keys of the ``[raster]`` table (the land-cover raster named by ``[inputs.landcover]``).
RASTER_KEYS = ("band", "method", "built_classes", "bare_classes", "class_names")
_INPUT_KEYS = set(INPUT_KEYS)
_OPTION_KEYS = OPTION_KEYS


def _is_uri(text: str) -> bool:
    return is_postgres_uri(str(text))


@dataclass(frozen=True)
class Input:
    """One input of a project: a file (and layer or sheet) with its column mapping.

    ``path`` is a :class:`~pathlib.Path`, or a ``postgresql://`` URI (a string) with
    ``table`` or ``sql``. ``paths`` lists every file of an input that may have several
    (``barriers``).
    """

    kind: str
    path: Path | str
    layer: str | None = None
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    crs: str | None = None
    table: str | None = None
    sql: str | None = None
    geometry_column: str | None = None
    paths: tuple[Path | str, ...] = ()
    override_crs: str | None = None

    @property
    def is_postgis(self) -> bool:
        return _is_uri(str(self.path))


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
    as_of: dt.date | None = None
    maps: bool = True
    report: bool = True
    basemap: str = "osm"
    tianditu_key: str | None = None
    raster: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    policy: Policy = DEFAULT_POLICY
    source: Path | None = None


def load_project(path: str | os.PathLike) -> Project:
    """Read and validate a project file.

    Raises
    ------
    InputFileError
        The file does not exist.
    PolicyError
        A key is unknown, a value has the wrong type, or an input does not
        exist; every problem is listed with its key (``inputs.parcels.path``,
        ``policy.block_gap_m``).
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"project file {p} does not exist; create one with `xsland init`")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError:
        raise PolicyError(
            f"{p} is not a project file (not UTF-8 text). Fix: give the xsland.toml with -c; "
            "`xsland init` writes one"
        ) from None
    return project_from_mapping(data, base=p.parent, source=p)


def _input(kind: str, spec: Any, base: Path, problems: list[str]) -> Input | None:
    key = f"inputs.{kind}"
    if isinstance(spec, (str, list)):
        spec = {"path": spec}
    if not isinstance(spec, Mapping):
        problems.append(f'{key}: must be a table with path = "…" or a path string')
        return None
    for k in spec:
        if k not in _INPUT_KEYS:
            problems.append(f"{key}.{k}: unknown key; use {', '.join(INPUT_KEYS)}")
    raw = spec.get("path")
    raws = raw if isinstance(raw, list) else [raw]
    if raw is None or not all(isinstance(r, str) and r.strip() for r in raws) or not raws:
        problems.append(f"{key}.path: missing (a file, or a postgresql:// URI)")
        return None
    if len(raws) > 1 and kind != "barriers":
        problems.append(f"{key}.path: give one path (only barriers may list several)")
    paths: list[Path | str] = []
    for r in raws:
        if _is_uri(r):
            if kind == "landcover":
                problems.append(f"{key}.path: a raster must be a file (GeoTIFF), not a URI")
            if bool(spec.get("table")) == bool(spec.get("sql")):
                problems.append(f"{key}: a postgresql:// input needs table = … or sql = …")
            paths.append(r)
            continue
        path = Path(os.path.expanduser(r))
        path = path if path.is_absolute() else base / path
        if not path.exists():
            problems.append(f"{key}.path: {path} does not exist")
        paths.append(path)
    columns = spec.get("columns", {})
    if not isinstance(columns, Mapping) or not all(isinstance(v, str) for v in columns.values()):
        problems.append(f'{key}.columns: must be a table of "file column" = "contract column"')
        columns = {}
    elif kind in KINDS:
        bad = [v for v in columns.values() if v not in KINDS[kind].columns]
        if bad:
            problems.append(
                f"{key}.columns: {', '.join(map(repr, bad))} not {kind} columns; "
                f"use {', '.join(KINDS[kind].columns)}"
            )
    units = spec.get("units", {})
    if not isinstance(units, Mapping) or not all(isinstance(v, str) for v in units.values()):
        problems.append(f'{key}.units: must be a table of "contract column" = "unit"')
        units = {}
    return Input(
        kind=kind,
        path=paths[0],
        units=MappingProxyType(dict(units)),
        layer=spec.get("layer"),
        sheet=spec.get("sheet"),
        columns=MappingProxyType(dict(columns)),
        crs=spec.get("crs"),
        table=spec.get("table"),
        sql=spec.get("sql"),
        geometry_column=spec.get("geometry_column"),
        paths=tuple(paths),
        override_crs=_override_crs(key, spec.get("override_crs"), problems),
    )


def _override_crs(key: str, value: Any, problems: list[str]) -> str | None:
    """``inputs.KIND.override_crs``: a CRS that replaces the file's own (a wrong .prj)."""
    if value is None:
        return None
    if not isinstance(value, (str, int)) or not str(value).strip():
        problems.append(f'{key}.override_crs: must be a CRS such as "EPSG:4549"')
        return None
    from pyproj import CRS

    try:
        CRS.from_user_input(value)
    except Exception:
        problems.append(f"{key}.override_crs: {value!r} is not a CRS pyproj knows")
        return None
    return str(value)


def _options(options: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in options.items():
        if k not in _OPTION_KEYS:
            problems.append(f"options.{k}: unknown key; use {', '.join(_OPTION_KEYS)}")
            continue
        allowed = _OPTION_KEYS[k]
        if k == "as_of":
            if isinstance(v, dt.date):
                out[k] = v
            else:
                try:
                    out[k] = dt.date.fromisoformat(str(v))
                except ValueError:
                    problems.append(f"options.as_of: {v!r} is not a date such as 2026-06-30")
        elif k == "tianditu_key":
            if not isinstance(v, str):
                problems.append("options.tianditu_key: must be a string")
            out[k] = v or None
        elif allowed is not None and (v not in allowed or type(v) is not type(allowed[0])):
            problems.append(f"options.{k}: {v!r}; use {' or '.join(map(repr, allowed))}")
        else:
            out[k] = v
    return out


def _raster(raster: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raster.items():
        if k not in RASTER_KEYS:
            problems.append(f"raster.{k}: unknown key; use {', '.join(RASTER_KEYS)}")
        elif k == "band" and not (isinstance(v, int) and v >= 1):
            problems.append(f"raster.band: must be a band number from 1, not {v!r}")
        elif k == "method" and v not in ("exact", "center"):
            problems.append(f"raster.method: {v!r}; use 'exact' or 'center'")
        elif k in ("built_classes", "bare_classes") and not (
            isinstance(v, list) and all(isinstance(c, int) for c in v)
        ):
            problems.append(f"raster.{k}: must be a list of class values such as [50]")
        elif k == "class_names":
            try:
                out[k] = {int(c): str(n) for c, n in dict(v).items()}
            except (TypeError, ValueError):
                problems.append('raster.class_names: must be a table of value = "name"')
            continue
        else:
            out[k] = tuple(v) if isinstance(v, list) else v
    return out


def project_from_mapping(
    data: Mapping[str, Any], *, base: Path, source: Path | None = None
) -> Project:
    """Build a :class:`Project` from parsed TOML (see :func:`load_project`)."""
    where = str(source) if source else "project"
    problems: list[str] = []
    known = {"project", "inputs", "options", "raster", "policy"}
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown table; use {', '.join(sorted(known))}")
    meta = dict(data.get("project", {}))
    for key in meta:
        if key not in PROJECT_KEYS:
            problems.append(f"project.{key}: unknown key; use {', '.join(PROJECT_KEYS)}")
    year = meta.get("year")
    if year is not None and not isinstance(year, int):
        problems.append(f"project.year: must be a whole year such as 2026, not {year!r}")
    inputs: dict[str, Input] = {}
    for kind, spec in dict(data.get("inputs", {})).items():
        if kind not in INPUT_KINDS:
            problems.append(f"inputs.{kind}: unknown input; use {', '.join(INPUT_KINDS)}")
            continue
        item = _input(kind, spec, base, problems)
        if item is not None:
            inputs[kind] = item
    options = _options(dict(data.get("options", {})), problems)
    raster = _raster(dict(data.get("raster", {})), problems)
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
        as_of=options.get("as_of"),
        maps=options.get("maps", True),
        report=options.get("report", True),
        basemap=options.get("basemap", "osm"),
        tianditu_key=options.get("tianditu_key"),
        raster=MappingProxyType(raster),
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
        "# as_of = 2026-06-30       # date idle land is judged at (default: the day of the run)",
        "maps = true               # write map.html and maps/<town>.html",
        "report = true             # write report.html (charts, for leadership)",
        'basemap = "osm"           # osm, tianditu_vec, tianditu_img, amap, amap_satellite, none',
        '# tianditu_key = "…"      # 天地图 key (or the TIANDITU_KEY environment variable)',
        "",
        "# [raster]                # the land-cover raster of [inputs.landcover]",
        "# band = 1",
        '# method = "exact"        # "exact" (area-weighted) or "center" (cell centres)',
        "# built_classes = [50]    # ESA WorldCover built-up",
        "# bare_classes = [60]     # ESA WorldCover bare / sparse vegetation",
        "",
    ]
    examples = {
        "parks": ("data/parks.gpkg", "parks"),
        "parcels": ("data/parcels.gpkg", "parcels"),
        "buildings": ("data/buildings.gpkg", "buildings"),
        "enterprises": ("data/enterprises.csv", None),
        "plan": ("data/plan.gpkg", "plan"),
        "indicators": ("data/indicators.xlsx", None),
        "history": ("data/eval_history.csv", None),
        "barriers": ("data/rivers_roads.gpkg", None),
        "landcover": ("data/landcover.tif", None),
    }
    for kind, (example, layer) in examples.items():
        path = inputs.get(kind)
        c = "" if path else "# "
        lines.append(f"{c}[inputs.{kind}]")
        lines.append(f'{c}path = "{path or example}"')
        if layer:
            lines.append(f'{c}layer = "{layer}"')
            lines.append(f'{c}# override_crs = "EPSG:4549"   # replace a wrong .prj (listed)')
        if kind in ("barriers", "landcover"):
            lines.append("")
            continue
        lines.append(f"{c}# [inputs.{kind}.columns]   # file column = contract column")
        col = {
            "parks": ("园区名称", "name"),
            "parcels": ("地块编号", "parcel_id"),
            "buildings": ("层数", "floors"),
            "enterprises": ("信用代码", "enterprise_id"),
            "plan": ("规划用地性质", "planned_use"),
            "indicators": ("年度", "year"),
            "history": ("评价年度", "year"),
        }[kind]
        lines.append(f'{c}# "{col[0]}" = "{col[1]}"')
        lines.append("")
    lines.append("[policy]")
    for f in dataclasses.fields(policy):
        if f.name in ("category_map", "related_industries"):
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
    lines += [
        "",
        "# 园区产业定位 = 主导产业 + 相关/配套产业: park_id = [industries] (adds to the parks",
        "# layer's related_industries column; a park with neither: only its leading industry)",
    ]
    if policy.related_industries:
        lines.append("[policy.related_industries]")
        for park, names in policy.related_industries.items():
            lines.append(f'"{park}" = {_toml_value(names)}')
    else:
        lines += ["# [policy.related_industries]", '# "XS01" = ["汽车零部件", "检验检测"]']
    return "\n".join(lines) + "\n"
