"""The typed hand-off from the audit to every writer: :class:`AuditResult`.

An :class:`AuditResult` holds every table of one audit, typed by the output schema
(:mod:`xsland.rules.columns`), the :class:`~xsland.rules.policy.Policy` that produced
it and the run's metadata. :meth:`AuditResult.read` reads a finished audit folder (or
its ``audit.gpkg``) back losslessly, the policy included: it is the one reader of a
finished audit, used by ``xsland map``, ``report``, ``blocks``, ``rasterize`` and
``diff``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
from pyproj import CRS

from xsland._version import __version__
from xsland.errors import InputFileError, PolicyError, Problem, ValidationError
from xsland.read.values import as_bool, nul_cells, surrogate_cells
from xsland.rules.columns import TABLES, Table
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = [
    "AuditResult",
    "conform",
    "policy_from_json",
    "policy_to_json",
    "required_columns",
    "unwritable_text",
    "META_KEYS",
]

#: The tables of an audit, in the order they are written.
_TABLES = (
    "parks",
    "park_zones",
    "parcels",
    "blocks",
    "block_members",
    "enterprises",
    "towns",
    "district",
    "intensity",
    "quality",
    "rules",
)
_REQUIRED = ("parks", "parcels", "quality", "rules")

#: Keys of :attr:`AuditResult.meta` written to the ``meta`` layer (besides ``policy``).
META_KEYS = ("title", "run", "as_of", "crs", "engine", "version", "year")


# -- the policy as text ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def policy_to_json(policy: Policy) -> str:
    """The policy as JSON text: every field, dates as ISO text, lossless."""
    values = {f.name: _plain(getattr(policy, f.name)) for f in dataclasses.fields(policy)}
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def policy_from_json(text: str, *, where: str = "policy") -> Policy:
    """The policy written by :func:`policy_to_json`.

    Fields unknown to this version are ignored; fields missing from the text keep
    their defaults. Values are checked like a project file's ``[policy]``
    (:meth:`Policy.from_mapping`: types, units, bounds).

    Raises
    ------
    PolicyError
        When the text is not a JSON object or a value is not one the field takes
        (named with ``where``).
    """
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{where} is not JSON ({exc})") from None
    if not isinstance(values, Mapping):
        raise PolicyError(f"{where} is not a JSON object of rules but {type(values).__name__}")
    known = {f.name for f in dataclasses.fields(Policy)}
    return Policy.from_mapping(
        {k: v for k, v in values.items() if k in known}, base=DEFAULT_POLICY, where=where
    )


# -- types from the schema ---------------------------------------------------------------


def _as_bool(values: pd.Series) -> pd.Series:
    """Booleans by the one reader; plain ``bool`` when no value is missing."""
    out = as_bool(values)
    return out.astype(bool) if not out.isna().any() else out


def _as_int(values: pd.Series) -> pd.Series:
    out = pd.to_numeric(values).astype("Int64")
    return out.astype("int64") if not out.isna().any() else out


def _as_date(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, format="mixed")  # text of dates: each read alone
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[ms]")


def _as_text(values: pd.Series) -> pd.Series:
    if str(values.dtype) == "str":
        return values
    if isinstance(values.dtype, pd.StringDtype):
        # text with NA (the judges' "string") is the same text: one cast, no round trip
        # through Python objects
        return values.astype("str")
    if values.dtype == object:
        cells = _text_cells(values)
        if cells is not None:
            return pd.Series(pd.array(cells, dtype="str"), index=values.index, name=values.name)
    out = values.astype(object)
    return out.where(out.notna(), None).astype("str")


def _text_cells(values: pd.Series) -> Any:
    """The cells of an object column as Arrow text in one pass, or ``None`` unless every
    cell is text or missing (``None``, NaN, NA, NaT: null, as the cast through ``None``
    makes them); Arrow infers ``binary`` for bytes and refuses numbers, so those, and a
    column of missing cells only, take the cast through Python objects."""
    try:
        cells = pa.array(values.to_numpy(dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return cells if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type) else None


def _typed(values: pd.Series, dtype: str) -> bool:
    """Whether ``values`` already has the canonical dtype of ``dtype``."""
    kind = str(values.dtype)
    if dtype == "boolean":
        return kind == "bool" or (kind == "boolean" and bool(values.isna().any()))
    if dtype == "integer":
        return kind == "int64" or (kind == "Int64" and bool(values.isna().any()))
    return kind == {"float": "float64", "text": "str", "date": "datetime64[ms]"}[dtype]


def _blank_missing(cast: Any) -> Any:
    """``cast`` reading a cell of blanks (`` ``, an emptied cell of a hand edit) as missing."""

    def read(values: pd.Series) -> pd.Series:
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            text = values.astype(object)
            blank = text.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
            if blank.any():
                values = text.where(~blank, None)
        return cast(values)

    return read


_CAST = {
    "boolean": _as_bool,
    "integer": _blank_missing(_as_int),
    "float": _blank_missing(lambda s: pd.to_numeric(s).astype("float64")),
    "date": _blank_missing(_as_date),
    "text": _as_text,
}


def conform(frame: pd.DataFrame | None, table: str | Table) -> pd.DataFrame | None:
    """A copy of ``frame`` with every declared column in its schema dtype.

    booleans → ``bool`` (``boolean`` when a value is missing), integers → ``int64``
    (``Int64`` when missing), floats → ``float64``, text → ``str``, dates →
    ``datetime64[ms]``. Undeclared columns (a parcel layer's own extra columns) are
    kept as they are.
    """
    if frame is None:
        return None
    spec = TABLES[table] if isinstance(table, str) else table
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out = frame.copy(deep=False)
    if geom is not None:
        out = _geometry_last(out, geom)
    for name in out.columns:
        col = spec.column(str(name))
        if col is None or name == geom or _typed(out[name], col.dtype):
            continue
        out[name] = _CAST[col.dtype](out[name])
    _refuse_unwritable(out, spec.name, skip=geom)
    out.attrs = {}
    return out


#: The columns that name a row in an error, the first the table has (else row numbers).
_ROW_NAMES = ("parcel_id", "block_id", "park_id", "enterprise_id", "building_id", "id", "key")


#: Text no output can hold: (cells holding it, what it is, what validation does with it).
_UNWRITABLE = (
    (nul_cells, "NUL (U+0000)", "remove NUL"),
    (
        surrogate_cells,
        "unpaired surrogates (U+D800-U+DFFF)",
        "replace unpaired surrogates by U+FFFD",
    ),
)


def unwritable_text(frame: pd.DataFrame, table: str, *, skip: Any = None) -> list[Problem]:
    """A problem per column of ``frame`` whose text holds NUL (U+0000) or an unpaired
    surrogate (U+D800–U+DFFF), with the rows (named by the table's ID, else ``row N``,
    counted from 1) and the fix; ``skip`` names a column not searched (the geometry).

    GDAL ends a string at NUL, so ``audit.gpkg`` would keep only the text before it;
    XML (``audit.xlsx``) and PostgreSQL cannot hold it at all; no UTF-8 output (Arrow
    text, GDAL, Excel, PostgreSQL) can encode an unpaired surrogate. Validation removes
    NUL and replaces surrogates by U+FFFD in every input, and lists each cell
    (``text_nul_removed``, ``text_surrogate_replaced``), so one found later is in a frame
    changed after it was validated (values changed in place keep the frame's stamp,
    :func:`xsland.read.validate.is_validated`). Arrow text is searched byte by byte
    (:func:`xsland.read.values.nul_cells`) and never holds a surrogate.
    """
    problems: list[Problem] = []
    for find, what, mend in _UNWRITABLE:
        for name in frame.columns:
            if name == skip:
                continue
            found = np.flatnonzero(find(frame[name]))
            if len(found) == 0:
                continue
            key = next((c for c in _ROW_NAMES if c in frame.columns and c != name), None)
            named = (
                frame[key].to_numpy(dtype=object)[found] if key is not None else [None] * len(found)
            )
            rows = [
                v if isinstance(v, str) and v else f"row {i + 1}"
                for v, i in zip(named, found, strict=True)
            ]
            problems.append(
                Problem(
                    message=f"{len(found)} text cell(s) hold {what}, which GeoPackage, Excel "
                    "and PostgreSQL cannot keep (a frame changed after it was validated)",
                    fix="validate the frame again after changing it (xsland.read.validate."
                    f"validate_layer / validate_table {mend} and list each cell), or remove "
                    "those characters",
                    layer=table,
                    column=str(name),
                    rows=tuple(rows),
                )
            )
    return problems


def _refuse_unwritable(frame: pd.DataFrame, table: str, *, skip: Any = None) -> None:
    """Raise the :func:`unwritable_text` of ``frame``: every writer takes the result's
    tables, and none may cut or change their text silently.

    Raises
    ------
    ValidationError
        One problem per column, with its rows and the fix.
    """
    problems = unwritable_text(frame, table, skip=skip)
    if problems:
        raise ValidationError(problems, title=f"text the outputs cannot hold in table {table!r}")


def _geometry_last(frame: gpd.GeoDataFrame, geom: str) -> gpd.GeoDataFrame:
    """The geometry as the last column, polygons made multi when the layer mixes both.

    This is how a GeoPackage stores them (one geometry type per layer), so a result
    read back equals the one written.
    """
    import shapely

    order = [c for c in frame.columns if c != geom] + [geom]
    if list(frame.columns) != order:
        frame = frame[order]
    values = frame[geom].values
    kinds = shapely.get_type_id(np.asarray(values))
    single = kinds == 3  # Polygon
    if single.any() and (kinds == 6).any():  # and MultiPolygon
        geoms = np.asarray(values).copy()
        idx = np.flatnonzero(single)
        geoms[idx] = shapely.multipolygons(geoms[idx], indices=np.arange(len(idx)))
        frame = frame.copy(deep=False)
        frame[geom] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    return frame


# -- the result --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditResult:
    """The tables of one audit, the policy that produced them and the run's metadata.

    Every table is typed by :mod:`xsland.rules.columns` on construction (:func:`conform`).

    Attributes
    ----------
    parks
        One row per park (zones dissolved), areas per zone, every ``chk_*``
        with its ``val_*``; geometry in the metric CRS.
    parcels
        Every parcel with its park, category, areas, floor area, FAR,
        coverage, FAR minimum, ``far_ok`` and the low-efficiency flags.
    towns
        Roll-up per town (镇/街道); empty when not given.
    district
        District-wide checks (innovation platforms across all parks); empty when not given.
    quality
        The data-quality table; empty when not given.
    rules
        The policy as a table (:meth:`Policy.table`); default ``policy.table()``.
    blocks
        Contiguous blocks of low-efficiency land (连片), one row per block with
        its outline (:func:`xsland.group.blocks.block_table`).
    block_members
        One row per parcel of a block (:func:`xsland.group.blocks.block_members`).
    enterprises
        Per-mu indicators and evaluation classes per enterprise
        (:func:`xsland.judge.lowuse.per_mu`); ``None`` without enterprise data.
    park_zones
        The park features as given (core / expansion zones), for maps.
    policy
        The :class:`Policy` the audit applied.
    meta
        Run metadata: ``title``, ``run`` (ISO date-time), ``as_of`` (the date idle land
        is judged at), ``crs`` (the metric CRS), ``engine``, ``version`` (of xsland),
        ``year`` (indicator year asked for) and ``lowuse_notes``.
    inputs
        ``kind -> where it was read from`` (passwords removed).
    intensity
        The intensive-use evaluation (开发区土地集约利用评价), one row per park and one for
        the district (:func:`xsland.judge.intensity.intensity`); ``None`` in audits read
        back from before it existed.
    parcels_path
        Set by the partitioned audit (:func:`xsland.pipeline.partitioned.audit_partitioned`),
        whose full parcel table stays on disk: a folder of GeoParquet files, one per
        partition, each typed like ``parcels``. ``parcels`` then holds only the parcels
        that need action (low-efficiency, or below their FAR minimum) and
        ``meta["n_parcels"]`` counts all. Writers take the full table from the folder
        file by file (:func:`xsland.write.report.write_audit`: the GeoPackage's
        ``parcels`` layer is appended per file, the folder moved into the output as
        ``parcels.parquet``); the workbook, maps and reports show ``parcels``. ``None``:
        ``parcels`` is the full table.
    """

    parks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    towns: pd.DataFrame | None = None
    district: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    rules: pd.DataFrame | None = None
    blocks: gpd.GeoDataFrame | None = None
    block_members: pd.DataFrame | None = None
    enterprises: pd.DataFrame | None = None
    park_zones: gpd.GeoDataFrame | None = None
    intensity: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    policy: Policy = DEFAULT_POLICY
    inputs: Mapping[str, str] = field(default_factory=dict)
    parcels_path: str | None = None

    def __post_init__(self) -> None:
        if self.rules is None:
            object.__setattr__(self, "rules", self.policy.table())
        for name in ("towns", "district", "quality"):
            if getattr(self, name) is None:
                empty = pd.DataFrame({c.name: pd.Series(dtype=object) for c in TABLES[name]})
                object.__setattr__(self, name, empty)
        for name in _TABLES:
            object.__setattr__(self, name, conform(getattr(self, name), name))
        meta = {"version": __version__, **dict(self.meta)}
        object.__setattr__(self, "meta", meta)
        object.__setattr__(self, "inputs", {str(k): str(v) for k, v in self.inputs.items()})

    # -- properties --------------------------------------------------------------------
    @property
    def title(self) -> str:
        """The audit's title (the project's name)."""
        return str(self.meta.get("title") or "xsland audit")

    @property
    def as_of(self) -> dt.date | None:
        """The date idle land was judged at."""
        value = self.meta.get("as_of")
        return dt.date.fromisoformat(str(value)[:10]) if value else None

    @property
    def run_date(self) -> dt.date | None:
        """The day the audit ran."""
        value = self.meta.get("run")
        return dt.date.fromisoformat(str(value)[:10]) if value else None

    @property
    def metric_crs(self) -> CRS | None:
        """The metric CRS the audit measured in, chosen once per run (``meta["crs"]``).

        Writers and :func:`xsland.write.diff.diff_audits` measure in it instead of
        choosing again; an audit without the key gives its parcels' CRS.
        """
        text = self.meta.get("crs")
        if text:
            return CRS.from_user_input(str(text))
        crs = getattr(self.parcels, "crs", None)
        return CRS.from_user_input(crs) if crs is not None else None

    def tables(self) -> dict[str, pd.DataFrame]:
        """``name -> table`` of every table the audit has, in the written order."""
        return {n: getattr(self, n) for n in _TABLES if getattr(self, n) is not None}

    def layers(self) -> dict[str, pd.DataFrame]:
        """Every layer an audit is written as: :meth:`tables`, ``meta`` and ``inputs``.

        The GeoPackage, GeoParquet and PostGIS writers write these, so that each of them
        holds the whole result, its policy included (in ``meta``); :meth:`read` rebuilds
        the result from ``audit.gpkg`` (a GeoParquet folder or a PostGIS schema is read
        back with GeoPandas, layer by layer).
        """
        return {**self.tables(), "meta": self.meta_table(), "inputs": self.inputs_table()}

    def meta_table(self) -> pd.DataFrame:
        """The ``meta`` layer: ``key``/``value`` rows, the policy as JSON among them."""
        rows = [(k, "" if self.meta.get(k) is None else str(self.meta.get(k))) for k in META_KEYS]
        notes = self.meta.get("lowuse_notes") or []
        rows.append(("lowuse_notes", json.dumps(list(notes), ensure_ascii=False)))
        rows.append(("policy", policy_to_json(self.policy)))
        return pd.DataFrame(rows, columns=["key", "value"]).astype("str")

    def inputs_table(self) -> pd.DataFrame:
        """The ``inputs`` layer: ``key``/``value`` rows."""
        return pd.DataFrame(
            {"key": list(self.inputs), "value": list(self.inputs.values())}, dtype="str"
        )

    def equals(self, other: AuditResult) -> bool:
        """Same tables (values and dtypes), same policy, same metadata and inputs."""
        if self.policy != other.policy or self.inputs != other.inputs:
            return False
        if _meta_text(self.meta) != _meta_text(other.meta):
            return False
        for name in _TABLES:
            a, b = getattr(self, name), getattr(other, name)
            if (a is None) != (b is None):
                return False
            if a is not None and not _frames_equal(a, b):
                return False
        return True

    # -- reading -----------------------------------------------------------------------
    @classmethod
    def read(cls, path: str | os.PathLike, *, policy: Policy | None = None) -> AuditResult:
        """A finished audit read back from its folder or its ``audit.gpkg``, losslessly.

        Parameters
        ----------
        path
            The audit's output folder or its ``audit.gpkg``.
        policy
            Use this policy instead of the one the audit stored (in its ``meta`` layer),
            which is then not read: ``-c xsland.toml`` of ``xsland map``, ``report`` and
            ``diff``. Default: the audit's own.

        Raises
        ------
        InputFileError
            When there is no ``audit.gpkg``, it is not a GeoPackage or it lacks a layer
            of an audit.
        ValidationError
            When a layer lacks a column every audit writes (:func:`required_columns`) or
            its geometry, a value is not of its column's type, or the ``meta`` layer's
            entries (the policy, dates, CRS) cannot be read; every problem is listed,
            with its file, layer, column and rows.
        """
        return _read(Path(path), policy=policy)


def _meta_text(meta: Mapping[str, Any]) -> dict[str, str]:
    out = {k: "" if meta.get(k) is None else str(meta.get(k)) for k in META_KEYS}
    out["lowuse_notes"] = json.dumps(list(meta.get("lowuse_notes") or []), ensure_ascii=False)
    return out


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    try:
        pd.testing.assert_frame_equal(
            pd.DataFrame(a).reset_index(drop=True),
            pd.DataFrame(b).reset_index(drop=True),
            check_dtype=True,
        )
    except AssertionError:
        return False
    if isinstance(a, gpd.GeoDataFrame) and a.crs != getattr(b, "crs", None):
        return False
    return True


def _read(path: Path, *, policy: Policy | None = None) -> AuditResult:
    import pyogrio

    gpkg = path / "audit.gpkg" if path.suffix.lower() != ".gpkg" else path
    if not gpkg.is_file():
        raise InputFileError(
            f"{gpkg} not found. Fix: give the output folder of a finished audit "
            "(`xsland audit --out DIR` writes DIR/audit.gpkg) or the audit.gpkg itself"
        )
    try:
        names = {str(n): g for n, g in pyogrio.list_layers(gpkg)}
    except Exception as exc:  # noqa: BLE001 - GDAL says why it cannot open the file
        raise InputFileError(f"{gpkg}: not a GeoPackage ({exc})") from None
    missing = [n for n in _REQUIRED if n not in names]
    if missing:
        raise InputFileError(
            f"{gpkg} has no layer {', '.join(missing)} (layers: {', '.join(names) or 'none'}). "
            "Fix: give the audit.gpkg written by `xsland audit`"
        )

    def layer(name: str) -> pd.DataFrame | None:
        if name not in names:
            return None
        geometry = bool(names[name])
        frame = pyogrio.read_dataframe(
            gpkg, layer=name, read_geometry=geometry, use_arrow=True, fid_as_index=False
        )
        if not geometry:
            frame = pd.DataFrame(frame)
        return frame

    info, twice = _key_values(layer("meta"), gpkg=gpkg, name="meta")
    inputs, twice_inputs = _key_values(layer("inputs"), gpkg=gpkg, name="inputs")
    meta, stored, problems = _meta(gpkg, info, read_policy=policy is None)
    problems = twice + twice_inputs + problems
    meta["source"] = str(gpkg)
    tables = {n: layer(n) for n in _TABLES}
    problems += [p for n, t in tables.items() if t is not None for p in _layer_problems(gpkg, n, t)]
    if problems:
        n = len(problems)
        raise ValidationError(
            problems,
            title=f"{gpkg} cannot be read as an audit of xsland {__version__} "
            f"({n} problem{'s' if n != 1 else ''})",
        )
    policy = policy or stored
    return AuditResult(**tables, meta=meta, policy=policy, inputs=inputs)


#: What a reader of a damaged audit is told to do.
_REWRITE = (
    "write the audit again with this version of xsland "
    "(`xsland audit -c xsland.toml --out DIR --overwrite`)"
)


def required_columns(table: str) -> tuple[str, ...]:
    """The columns of ``table`` that every audit of this version writes, whatever its inputs.

    These are the columns of the output schema (:mod:`xsland.rules.columns`) not declared
    ``optional``: the optional ones are written only with some inputs (a parcel's owner,
    a park's zones, a land-cover raster …), and every writer reads an audit without them.
    """
    return tuple(c.name for c in TABLES[table] if not c.optional)


def _layer_problems(gpkg: Path, name: str, frame: pd.DataFrame) -> list[Problem]:
    """What keeps layer ``name`` from being read as its table: the columns every audit
    writes that it lacks, a geometry it lacks, and values that are not of their column's
    type (text in a number column, a fraction in a count, a word that is no boolean)."""
    spec = TABLES[name]
    if spec.geometry and not isinstance(frame, gpd.GeoDataFrame):
        return [
            Problem(
                "the layer has no geometry: its features cannot be mapped or measured",
                fix=_REWRITE,
                file=str(gpkg),
                layer=name,
            )
        ]
    missing = [c for c in required_columns(name) if c not in frame.columns]
    if missing:
        return [
            Problem(
                f"the layer lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, which every audit writes",
                fix=_REWRITE,
                file=str(gpkg),
                layer=name,
            )
        ]
    problems = []
    for column in frame.columns:
        col = spec.column(str(column))
        if col is None or (isinstance(frame, gpd.GeoDataFrame) and column == frame.geometry.name):
            continue
        values = frame[column]
        if _typed(values, col.dtype):
            continue
        bad = _not_of_type(values, col.dtype)
        if bad.any():
            rows = _row_names(frame, name, bad)
            example = values[bad].iloc[0]
            problems.append(
                Problem(
                    f"{int(bad.sum())} value{'s are' if bad.sum() > 1 else ' is'} not "
                    f"{_KIND_WORDS[col.dtype]} (such as {str(example)[:40]!r})",
                    fix="correct or empty these cells (in QGIS, or any GeoPackage editor), "
                    f"or {_REWRITE}",
                    file=str(gpkg),
                    layer=name,
                    column=str(column),
                    rows=rows,
                )
            )
    return problems


#: What :func:`pandas.api.types.infer_dtype` says of an object column whose present
#: values are all readable as the dtype without a look at each.
_CLEAN_KINDS = {"date": ("date", "datetime"), "boolean": ("boolean",)}

_KIND_WORDS = {
    "boolean": "a boolean (true/false, 1/0)",
    "integer": "a whole number",
    "float": "a number",
    "date": "a date",
    "text": "text",
}


def _not_of_type(values: pd.Series, dtype: str) -> np.ndarray:
    """Which values cannot be read as ``dtype`` (missing values can).

    A column whose present values are all of the type already (dates, or booleans, with
    missing cells between them: how GDAL gives a nullable date or boolean field) has none,
    found by one :func:`pandas.api.types.infer_dtype` rather than cell by cell.
    """
    if dtype in _CLEAN_KINDS and values.dtype == object:
        if pd.api.types.infer_dtype(values, skipna=True) in _CLEAN_KINDS[dtype]:
            return np.zeros(len(values), dtype=bool)
    given = values.notna().to_numpy(dtype=bool, copy=True)
    if (
        values.dtype == object
        or isinstance(values.dtype, pd.StringDtype)
        or str(values.dtype) == "str"
    ):
        text = values.astype(object)
        given = given & ~text.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(
            dtype=bool
        )
    if dtype == "text":
        return np.zeros(len(values), dtype=bool)
    if dtype == "boolean":
        return given & as_bool(values).isna().to_numpy()
    if dtype == "date":
        # a date, or text of one (each read alone, as the cast does); never a number
        cells = values.astype(object)
        kind = cells.map(lambda v: isinstance(v, (str, dt.date, np.datetime64)) or pd.isna(v))
        kind = kind.to_numpy(dtype=bool)
        read = pd.to_datetime(cells.where(kind, None), errors="coerce", format="mixed")
        return given & (~kind | read.isna().to_numpy())
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    bad = given & np.isnan(numbers)
    if dtype == "integer":
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(numbers) & (numbers % 1 == 0) & (np.abs(numbers) < 2.0**63)
        bad |= given & ~np.isnan(numbers) & ~whole
    return bad


#: The column that names a row of each table in messages (else its row number).
_ROW_IDS = {
    "parks": "park_id",
    "park_zones": "park_id",
    "parcels": "parcel_id",
    "blocks": "block_id",
    "block_members": "parcel_id",
    "enterprises": "enterprise_id",
    "towns": "town",
    "intensity": "park_id",
    "rules": "key",
}


def _row_names(frame: pd.DataFrame, name: str, bad: np.ndarray) -> tuple[str, ...]:
    key = _ROW_IDS.get(name)
    if key in frame.columns:
        return tuple(str(v) for v in frame[key].to_numpy()[bad])
    return tuple(f"#{i}" for i in np.flatnonzero(bad))


def _meta(
    gpkg: Path, info: Mapping[str, str], *, read_policy: bool
) -> tuple[dict[str, Any], Policy, list[Problem]]:
    """The run's metadata and policy from the ``meta`` layer's entries, and what in them
    cannot be read (each a :class:`Problem` naming the entry)."""
    problems: list[Problem] = []

    def problem(key: str, message: str, fix: str = _REWRITE) -> None:
        problems.append(
            Problem(message, fix=fix, file=str(gpkg), layer="meta", column="value", rows=(key,))
        )

    meta: dict[str, Any] = {k: info.get(k, "") for k in META_KEYS}
    year = str(meta.get("year") or "").strip()
    meta["year"] = None
    if year:
        try:
            meta["year"] = int(year)
        except ValueError:
            problem("year", f"the indicator year {year[:40]!r} is not a year such as 2025")
    for key in ("as_of", "run"):
        text = str(meta.get(key) or "").strip()
        try:
            if text:
                dt.date.fromisoformat(text[:10])
        except ValueError:
            problem(key, f"{key} {text[:40]!r} is not a date such as 2025-08-29")
    crs = str(meta.get("crs") or "").strip()
    if crs:
        try:
            CRS.from_user_input(crs)
        except Exception:  # noqa: BLE001 - pyproj's CRSError: any text it cannot read
            problem("crs", f"the metric CRS {crs[:60]!r} is not a coordinate system PROJ knows")
    try:
        notes = json.loads(info.get("lowuse_notes") or "[]")
        if not isinstance(notes, list):
            raise ValueError
        meta["lowuse_notes"] = notes
    except ValueError:
        meta["lowuse_notes"] = []
        problem("lowuse_notes", "the low-efficiency notes are not a JSON list of text")
    policy = DEFAULT_POLICY
    if read_policy:
        fix = (
            "give the project file whose [policy] the audit applied with -c xsland.toml "
            f"(xsland map, report, diff), or {_REWRITE}"
        )
        if not info.get("policy"):
            problem("policy", "the audit stored no policy (the rules it applied)", fix)
        else:
            try:
                policy = policy_from_json(info["policy"], where="the stored policy")
            except PolicyError as exc:
                problem("policy", str(exc).replace("invalid project file: ", ""), fix)
    return meta, policy, problems


def _key_values(
    table: pd.DataFrame | None, *, gpkg: Any, name: str
) -> tuple[dict[str, str], list[Problem]]:
    """A ``key``/``value`` layer (``meta``, ``inputs``) as a dict, and a problem for each
    key given twice with different values (a hand edit or two audits' rows merged):
    which one holds is not known, so neither is taken in silence."""
    if table is None or not {"key", "value"} <= set(table.columns):
        return {}, []
    keys = table["key"].astype(str)
    values = table["value"].astype(object).where(table["value"].notna(), "").astype(str)
    problems = [
        Problem(
            f"the key {key!r} is given {len(group)} times with different values "
            f"({', '.join(repr(v) for v in found)})",
            fix=f"keep the one that is right and delete the others, or {_REWRITE}",
            file=str(gpkg),
            layer=name,
            column="key",
            rows=(key,),
        )
        for key, group in values.groupby(keys, sort=False)
        if (found := list(dict.fromkeys(group))) and len(found) > 1
    ]
    return dict(zip(keys, values, strict=True)), problems
