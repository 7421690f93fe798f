"""Reading layers and tables: formats, encodings, column aliases.

:func:`read_layer` reads a vector layer from GeoPackage, Shapefile, GeoJSON,
FlatGeobuf or GeoParquet; :func:`read_table` reads CSV or XLSX. With ``kind``
set, both rename columns to the data contract (:mod:`xsland.rules.schema`), coerce
their types and validate the layer (:mod:`xsland.read.validate`), raising one
:class:`~xsland.errors.ValidationError` that lists every problem.

The repairs made while reading (invalid polygons made valid, …) are listed in
``result.attrs["quality"]``, a list of records that
:func:`xsland.read.validate.quality_frame` turns into the data-quality table.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from xsland.errors import CRSError, DataError, InputFileError
from xsland.read.validate import validate_layer, validate_table
from xsland.rules.schema import (
    get_kind,
    normalise_name,
    shapefile_truncations,
    truncated_candidates,
)

__all__ = [
    "assign_crs",
    "read_layer",
    "read_table",
    "list_layers",
    "rename_columns",
    "detect_dbf_encoding",
    "detect_kind",
    "VECTOR_SUFFIXES",
    "TABLE_SUFFIXES",
]

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = {
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
}
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

# Layer names that stand for a kind, for files holding several layers.
_KIND_LAYER_NAMES = {
    "parks": ("parks", "park", "园区", "园区范围", "yq"),
    "parcels": ("parcels", "parcel", "地块", "宗地", "dk", "zd"),
    "buildings": ("buildings", "building", "建筑", "建筑物", "房屋", "jzw"),
    "plan": ("plan", "planning", "规划", "规划用地", "gh"),
}


def _check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        hint = ""
        if p.parent.exists():
            near = sorted(x.name for x in p.parent.iterdir() if x.suffix == p.suffix)[:5]
            if near:
                hint = f"; files of that type there: {', '.join(near)}"
        raise InputFileError(f"input file {p} does not exist{hint}")
    return p


def list_layers(path: str | os.PathLike) -> list[str]:
    """The names of the layers of a vector file (one for single-layer formats)."""
    p = _check_path(path)
    if p.suffix.lower() in (".parquet", ".geoparquet"):
        return [p.stem]
    try:
        return [str(name) for name, _ in pyogrio.list_layers(p)]
    except Exception as exc:  # pyogrio raises DataSourceError subclasses of RuntimeError
        raise InputFileError(f"cannot open {p} as a vector file: {exc}") from exc


def _choose_layer(p: Path, layer: str | None, kind: str | None) -> str | None:
    if p.suffix.lower() not in (".gpkg",):
        return layer
    layers = list_layers(p)
    if layer is not None:
        if layer not in layers:
            raise InputFileError(
                f"{p} has no layer {layer!r}; its layers are {', '.join(layers)}. "
                "Pass one of them as layer="
            )
        return layer
    if len(layers) == 1:
        return layers[0]
    if kind in _KIND_LAYER_NAMES:
        wanted = {normalise_name(n) for n in _KIND_LAYER_NAMES[kind]}
        hits = [name for name in layers if normalise_name(name) in wanted]
        if len(hits) == 1:
            return hits[0]
    raise InputFileError(
        f"{p} has {len(layers)} layers ({', '.join(layers)}); say which one to read "
        "with layer= (or --layer / the project file's 'layer' key)"
    )


# -- Shapefile encodings ----------------------------------------------------------------


def detect_dbf_encoding(dbf_path: str | os.PathLike, *, sample_bytes: int = 1 << 20) -> str:
    """Guess the text encoding of a dBASE file that does not declare one.

    A Shapefile exported by ArcGIS on a Chinese Windows system often has GBK
    text and neither a ``.cpg`` file nor a language-driver byte, so GDAL
    falls back to ISO-8859-1 and Chinese turns into mojibake. The field names
    and the first records are decoded strictly as ASCII, then UTF-8, then
    GB18030 (a superset of GBK and GB2312); the first that decodes wins.

    Returns
    -------
    str
        ``"ASCII"``, ``"UTF-8"``, ``"GB18030"`` or, when nothing decodes,
        ``"ISO-8859-1"``.
    """
    with open(dbf_path, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise DataError(f"{dbf_path} is not a dBASE file (too short)")
        n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
        rest = fh.read(max(header_len - 32, 0))
        names = b"".join(rest[i : i + 11] for i in range(0, len(rest) - 1, 32) if rest[i] != 0x0D)
        n_take = max(1, sample_bytes // max(record_len, 1))
        records = fh.read(record_len * min(n_records, n_take))
    data = names.replace(b"\x00", b"") + records
    for encoding in ("ascii", "utf-8", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return {"ascii": "ASCII", "utf-8": "UTF-8", "gb18030": "GB18030"}[encoding]
    return "ISO-8859-1"


def _shapefile_encoding(p: Path) -> str | None:
    """The encoding to pass to GDAL for a Shapefile, or ``None`` to let GDAL decide."""
    if p.with_suffix(".cpg").exists() or p.with_suffix(".CPG").exists():
        return None
    dbf = next((q for q in (p.with_suffix(".dbf"), p.with_suffix(".DBF")) if q.exists()), None)
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        fh.seek(29)
        ldid = fh.read(1)
    if ldid and ldid[0] != 0:
        return None  # the language driver byte names a code page; GDAL honours it
    encoding = detect_dbf_encoding(dbf)
    if encoding in ("ASCII", "UTF-8"):
        log.info("%s: no .cpg; attributes decode as %s", p, encoding)
        return "UTF-8"
    log.warning(
        "%s: no .cpg and no code page in the .dbf; attributes read as %s "
        "(the usual ArcGIS export in China). Add a .cpg file to make this explicit.",
        p,
        encoding,
    )
    return encoding


def _cut_names(dbf: bytes, encoding: str) -> tuple[bytes, list[str]]:
    """The dBASE header with field names cut inside a character trimmed to whole ones."""
    header_len = struct.unpack("<H", dbf[8:10])[0]
    out = bytearray(dbf)
    fixed: list[str] = []
    for start in range(32, header_len - 1, 32):
        if dbf[start] == 0x0D:
            break
        raw = dbf[start : start + 11].split(b"\x00", 1)[0]
        for trim in range(0, 4):
            try:
                name = raw[: len(raw) - trim].decode(encoding)
            except UnicodeDecodeError:
                continue
            if trim:
                out[start : start + 11] = raw[: len(raw) - trim].ljust(11, b"\x00")
                fixed.append(name)
            break
    return bytes(out), fixed


def _read_renamed(p: Path, layer: str | None, options: dict[str, Any]) -> gpd.GeoDataFrame:
    """Read; a Shapefile whose field names were cut inside a UTF-8 character (``建筑面积``
    → 10 bytes) is read from a copy with those names trimmed to whole characters.

    Every other format is read through Arrow (``use_arrow=True``): the same frame, in
    half the time at a million rows, its WKB column kept as Arrow until pyogrio makes it
    geometries (:func:`_read_arrow`). A Shapefile is read feature by feature, so that
    text its code page cannot decode raises :class:`UnicodeDecodeError`, which the
    encoding checks of :func:`_read_vector` rely on.
    """
    if p.suffix.lower() != ".shp":
        return _read_arrow(p, layer, options)
    try:
        return pyogrio.read_dataframe(p, layer=layer, **options)
    except UnicodeDecodeError as exc:
        if p.suffix.lower() != ".shp":
            raise
        error = exc
    import shutil
    import tempfile

    encoding = options.get("encoding") or _declared_encoding(p) or "utf-8"
    with tempfile.TemporaryDirectory(prefix="xsland-shp-") as tmp:
        for sibling in p.parent.glob(p.stem + ".*"):
            if sibling.stem == p.stem:
                shutil.copy2(sibling, Path(tmp) / sibling.name)
        dbf = next(Path(tmp).glob(p.stem + ".[dD][bB][fF]"))
        try:
            data, fixed = _cut_names(dbf.read_bytes(), encoding)
        except LookupError:
            fixed = []
        if not fixed:
            raise error
        dbf.write_bytes(data)
        gdf = pyogrio.read_dataframe(Path(tmp) / p.name, layer=layer, **options)
    gdf.attrs["cut_names"] = fixed
    return gdf


def _wkb_as_arrow(arrow_type: Any) -> Any:
    """Arrow's binary columns kept as Arrow in pandas (other types: the default).

    The ``types_mapper`` of :func:`_read_arrow_whole`: pyogrio turns the WKB column into shapely
    geometries either way; converted by pandas first, each of its values became a Python
    ``bytes`` through a slow path (0.3 s for 400 000 buildings), kept as Arrow it is taken
    out in one call (0.08 s).
    """
    import pyarrow as pa

    return pd.ArrowDtype(arrow_type) if arrow_type == pa.binary() else None


#: Features GDAL reads per batch for :func:`_read_arrow` (pyogrio's own batch size).
_BATCH_ROWS = 65_536


def _read_arrow(p: Path, layer: str | None, options: dict[str, Any]) -> gpd.GeoDataFrame:
    """:func:`pyogrio.read_dataframe` through Arrow, its geometries made while GDAL reads.

    GDAL reads the layer in batches on a thread (it runs without the GIL) while this
    thread turns each batch's WKB into geometries (:func:`shapely.from_wkb`, which holds
    the GIL): the two largest steps of reading overlap instead of following each other.
    The frame is pyogrio's own (``use_arrow=True``): the other columns go through pandas
    as one table, datetimes are parsed by pyogrio's rules. A layer this does not cover
    (no geometry, JSON fields, pyogrio without those rules) is read by
    :func:`_read_arrow_whole`.
    """
    try:
        from pyogrio.geopandas import _try_parse_datetime
    except ImportError:  # another pyogrio: its own reader
        return _read_arrow_whole(p, layer, options)
    import queue
    import threading

    import pyarrow as pa
    import shapely
    from pyogrio.raw import open_arrow

    source = open_arrow(
        p,
        layer=layer,
        use_pyarrow=True,
        datetime_as_string=True,
        batch_size=_BATCH_ROWS,
        **options,
    )
    with source as (meta, reader):
        geometry = meta["geometry_name"] or "wkb_geometry"
        schema = reader.schema
        plain = "OFSTJSON" not in list(meta["ogr_subtypes"])
        if geometry not in schema.names or not plain:
            return _read_arrow_whole(p, layer, options)
        at = schema.get_field_index(geometry)
        batches: queue.SimpleQueue[Any] = queue.SimpleQueue()
        stop = threading.Event()

        def read() -> None:  # GDAL, on its own thread
            try:
                while not stop.is_set():
                    batches.put(reader.read_next_batch())
            except StopIteration:
                pass
            except BaseException as exc:  # noqa: BLE001 - raised again by the caller
                batches.put(exc)
            batches.put(None)

        reading = threading.Thread(target=read, name="xsland-read", daemon=True)
        reading.start()
        geoms: list[np.ndarray] = []
        rest: list[Any] = []
        try:
            while (batch := batches.get()) is not None:
                if isinstance(batch, BaseException):
                    raise batch
                wkb = batch.column(at).to_numpy(zero_copy_only=False)
                geoms.append(shapely.from_wkb(wkb, on_invalid="raise"))
                rest.append(batch.remove_column(at))
        finally:
            stop.set()
            reading.join()  # GDAL's stream is never left in use when the file closes
    table = pa.Table.from_batches(rest, schema=schema.remove(at))
    del rest
    df = table.to_pandas(self_destruct=True)
    del table
    for dtype, column in zip(meta["dtypes"], meta["fields"], strict=True):
        if dtype is not None and dtype.startswith("datetime") and dtype != "datetime64[D]":
            df[column] = _try_parse_datetime(df[column], False, True)
    df["geometry"] = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=meta["crs"])


def _read_arrow_whole(p: Path, layer: str | None, options: dict[str, Any]) -> gpd.GeoDataFrame:
    """:func:`pyogrio.read_dataframe` through Arrow, WKB kept as Arrow (:func:`_wkb_as_arrow`).

    The same frame as pyogrio's own: a binary attribute column (GDAL's ``OFTBinary``),
    which the mapper also keeps as Arrow, is made Python ``bytes`` (``None`` when missing)
    as pandas' default conversion makes it.
    """
    import pyarrow as pa

    gdf = pyogrio.read_dataframe(
        p,
        layer=layer,
        use_arrow=True,
        arrow_to_pandas_kwargs={"types_mapper": _wkb_as_arrow},
        **options,
    )
    binary = pd.ArrowDtype(pa.binary())
    for col in [c for c, dtype in gdf.dtypes.items() if dtype == binary]:
        gdf[col] = pd.Series(gdf[col].to_numpy(dtype=object, na_value=None), index=gdf.index)
    return gdf


def _declared_encoding(p: Path) -> str | None:
    """The code page a Shapefile's ``.cpg`` declares, as Python names it (or None)."""
    cpg = next((q for q in (p.with_suffix(".cpg"), p.with_suffix(".CPG")) if q.exists()), None)
    if cpg is None:
        return None
    text = cpg.read_text(encoding="ascii", errors="ignore").strip()
    if text.isdigit():
        text = {"936": "gbk", "65001": "utf-8", "950": "big5"}.get(text, f"cp{text}")
    return text or None


def _texts(gdf: pd.DataFrame, limit: int = 2000) -> list[str]:
    """Column names and a sample of the text values, for judging an encoding."""
    out = [str(c) for c in gdf.columns]
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    for col in gdf.columns:
        if col != geometry and not pd.api.types.is_numeric_dtype(gdf[col].dtype):
            out += [v for v in gdf[col].head(limit).tolist() if isinstance(v, str)]
    return out


def _chinese_share(texts: list[str]) -> float | None:
    """Share of the non-ASCII characters that are common Chinese (``None``: no such text).

    Common: a CJK ideograph of GB 2312 (the 6 763 most used), or CJK or full-width
    punctuation. Mojibake is mostly Latin-1 letters (``ÎÞÎý``) or rare ideographs
    (``鏃犻敗``), so text decoded with the wrong code page scores low.
    """
    chars = [ch for t in texts for ch in t if ord(ch) > 127]
    if not chars:
        return None

    def common(ch: str) -> bool:
        if "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef":
            return True
        if not "\u4e00" <= ch <= "\u9fff":
            return False
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True

    return sum(map(common, chars)) / len(chars)


#: Below this share of common Chinese, a Shapefile's text is judged not plausible Chinese;
#: another code page must reach :data:`_PLAUSIBLE` to be used instead.
_IMPLAUSIBLE, _PLAUSIBLE = 0.8, 0.95


def _read_vector(p: Path, layer: str | None, options: dict[str, Any]) -> gpd.GeoDataFrame:
    """Read a layer; a Shapefile whose declared code page gives mojibake is re-read.

    When the text decoded with the ``.cpg``'s code page (or GDAL's default) is not
    plausible Chinese (:func:`_chinese_share`) — or cannot be decoded at all — while
    GB18030 or UTF-8 gives plausible Chinese, that one is used and
    ``attrs["encoding_note"]`` says so (listed as ``encoding_mojibake``).
    """
    if p.suffix.lower() != ".shp":
        return _read_renamed(p, layer, options)
    declared = options.get("encoding") or _declared_encoding(p) or "the default (ISO-8859-1)"
    try:
        gdf = _read_renamed(p, layer, options)
        score = _chinese_share(_texts(gdf))
        example = next((t for t in _texts(gdf) if any(ord(ch) > 127 for ch in t)), "")
    except UnicodeDecodeError as exc:
        gdf, score, example = None, 0.0, f"undecodable: {exc.reason}"
    if score is None or score >= _IMPLAUSIBLE:
        return gdf
    same = {"GB18030": {"gb18030", "gbk", "gb2312", "cp936"}, "UTF-8": {"utf8"}}
    for alt in ("GB18030", "UTF-8"):
        if str(declared).replace("-", "").replace("_", "").lower() in same[alt]:
            continue
        try:
            other = _read_renamed(p, layer, {**options, "encoding": alt})
        except Exception:  # noqa: BLE001 - any failure means this code page does not fit
            continue
        texts = _texts(other)
        if (_chinese_share(texts) or 0.0) >= _PLAUSIBLE:
            good = next((t for t in texts if any(ord(ch) > 127 for ch in t)), "")
            other.attrs["encoding_note"] = (
                f"text decoded as {declared} is not plausible Chinese (e.g. {example[:20]!r}); "
                f"read as {alt} (e.g. {good[:20]!r}). Fix the .cpg file to say {alt}"
            )
            return other
    if gdf is None:
        raise InputFileError(f"{p}: the attributes cannot be decoded as {declared}")
    return gdf


# -- column mapping ---------------------------------------------------------------------


def rename_columns(
    df: pd.DataFrame,
    kind: str,
    *,
    columns: Mapping[str, str] | None = None,
    where: str = "",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename a frame's columns to the data contract of ``kind``.

    ``columns`` maps a file's column names to contract names and wins over the
    aliases of :mod:`xsland.rules.schema`. The other columns are matched against the
    aliases after :func:`~xsland.rules.schema.normalise_name`. When two columns could
    fill one contract column (用地面积 and 地块面积 both for ``declared_area``) nothing
    is guessed: a :class:`~xsland.errors.DataError` lists both and the mapping that
    decides. Columns that match nothing are kept as they are.

    Returns
    -------
    (DataFrame, dict)
        A renamed copy and the mapping ``file column -> contract column`` used.
    """
    spec = get_kind(kind)
    geometry_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    mapping: dict[str, str] = {}
    problems = []
    for source, target in (columns or {}).items():
        if target not in spec.columns:
            problems.append(
                f"columns maps {source!r} to {target!r}, which is not a {kind} column; "
                f"use one of {', '.join(spec.columns)}"
            )
        elif source not in df.columns:
            problems.append(
                f"columns maps {source!r} to {target!r}, but there is no column {source!r}; "
                f"the columns are {', '.join(map(str, df.columns))}"
            )
        else:
            mapping[source] = target
    if problems:
        raise DataError((f"{where}: " if where else "") + "; ".join(problems))
    taken_targets = set(mapping.values())
    by_norm: dict[str, list[str]] = {}
    for col in df.columns:
        if col == geometry_name or col in mapping:
            continue
        by_norm.setdefault(normalise_name(col), []).append(col)
    ambiguous: list[str] = []
    for target in spec.columns:
        if target in taken_targets:
            continue
        found: list[str] = []
        for alias in (target, *spec.aliases.get(target, ())):
            for c in by_norm.get(normalise_name(alias), []):
                if c not in mapping and c not in found:
                    found.append(c)
        if len(found) == 1:
            mapping[found[0]] = target
            taken_targets.add(target)
        elif found:
            both = " and ".join(repr(str(c)) for c in found)
            ambiguous.append(
                f"columns {both} could each be {target!r}; say which one in the project "
                f'file\'s [inputs.{kind}.columns] table, e.g. "{found[0]}" = "{target}" '
                f"(columns={{{str(found[0])!r}: {target!r}}} in Python)"
            )
    if ambiguous:
        raise DataError((f"{where}: " if where else "") + "; ".join(ambiguous))
    # a column already named like a contract column but claimed by none keeps its name;
    # one that would clash with a renamed column is moved aside
    renamed = df.rename(columns=mapping)
    clash = [c for c in df.columns if c in taken_targets and c not in mapping]
    if clash:
        renamed = df.rename(columns={**mapping, **{c: f"{c}_orig" for c in clash}})
    return renamed, {k: v for k, v in mapping.items() if k != v}


# -- readers ----------------------------------------------------------------------------


def read_layer(
    path: str | os.PathLike,
    *,
    kind: str | None = None,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: Any = None,
    override_crs: Any = None,
    **validate_options: Any,
) -> gpd.GeoDataFrame:
    """Read a vector layer, optionally as one kind of the data contract.

    Parameters
    ----------
    path
        A GeoPackage, Shapefile, GeoJSON, FlatGeobuf or GeoParquet file.
    kind
        ``"parks"``, ``"parcels"``, ``"buildings"`` or ``"plan"``: rename the
        columns to the contract (aliases, then ``columns``), coerce types and
        validate. ``None`` reads the layer as it is.
    layer
        The layer of a multi-layer file; may be left out when the file has
        one layer, or one named after ``kind`` (``parcels``, ``地块`` …).
    columns
        ``file column -> contract column``; wins over the aliases.
    crs
        The CRS of a layer that has none (a Shapefile without ``.prj``). A
        layer without a CRS is refused unless this is given. A layer that has
        a CRS keeps it (``crs`` is ignored, with a log message).
    override_crs
        Replace the file's own CRS (a wrong ``.prj``), as QGIS's "Set layer
        CRS" does: coordinates are kept, only their label changes. Listed in
        the data-quality table (check ``crs_override``).
    **validate_options
        Passed to :func:`xsland.read.validate.validate_layer` (``duplicates``,
        ``empty_geometry``, ``collect``).

    Returns
    -------
    GeoDataFrame
        With ``attrs["quality"]`` (list of records) and ``attrs["source"]``.

    Raises
    ------
    InputFileError
        The file or layer does not exist or cannot be read.
    CRSError
        The layer has no CRS and ``crs`` was not given.
    ValidationError
        Missing columns, duplicate IDs, bad geometries … all listed at once.
    """
    p = _check_path(path)
    suffix = p.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        if p.is_dir() and (p / "partitions.json").is_file():  # engine.PARTITION_INDEX
            raise InputFileError(
                f"{p}: a partitioned dataset (`xsland partition`), not a layer. Fix: audit "
                "it with `xsland audit --partitions`, or point the input at the parcels' file"
            )
        raise InputFileError(
            f"{p}: unknown vector format {suffix!r}; use one of {', '.join(VECTOR_SUFFIXES)}"
        )
    if kind is not None and get_kind(kind).geometry is None:
        raise DataError(f"{kind} is a table, not a vector layer; read it with read_table")
    chosen = _choose_layer(p, layer, kind)
    where = f"{p}" + (f" layer {chosen!r}" if chosen and suffix == ".gpkg" else "")
    try:
        if suffix in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(p)
        else:
            options: dict[str, Any] = {}
            if suffix == ".shp":
                encoding = _shapefile_encoding(p)
                if encoding:
                    options["encoding"] = encoding
            gdf = _read_vector(p, chosen, options)
    except Exception as exc:
        raise InputFileError(f"cannot read {where}: {exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise DataError(f"{where} has no geometry column; read tables with read_table")
    cut = list(gdf.attrs.get("cut_names", []))
    note = gdf.attrs.get("encoding_note")
    gdf, quality = assign_crs(gdf, crs, override_crs, where=where, file=str(p), kind=kind)
    if note:
        from xsland.read.validate import quality_record

        log.warning("%s: %s", p, note)
        quality += quality_record(
            layer=kind or "", check="encoding_mojibake", file=str(p), detail=note
        )
    if cut:
        from xsland.read.validate import quality_record

        for name in cut:
            quality += quality_record(
                layer=kind or "",
                check="shapefile_alias",
                file=str(p),
                column=name,
                severity="info",
                detail=f"field name cut inside a character by the Shapefile format; "
                f"read as {name!r}",
            )
    gdf.attrs = {"source": {"file": str(p), "layer": chosen or ""}, "quality": quality}
    if kind is None:
        return gdf
    renamed, mapping = rename_columns(gdf, kind, columns=columns, where=where)
    renamed.attrs = dict(gdf.attrs)
    renamed.attrs["source"] = {**gdf.attrs["source"], "columns": mapping}
    renamed.attrs["quality"] = [
        *gdf.attrs["quality"],
        *_name_records(gdf, mapping, kind, file=str(p), given=columns or {}),
    ]
    return validate_layer(renamed, kind, file=str(p), layer=chosen or "", **validate_options)


def _name_records(
    df: pd.DataFrame,
    mapping: Mapping[str, str],
    kind: str,
    *,
    file: str,
    given: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Quality rows for Shapefile-truncated names: those read, and those left unread.

    A column recognised only by its 10-byte Shapefile form (``supply_dat``) is listed
    as ``shapefile_alias`` (info); a column that is still unread but looks like a cut
    contract name (``用地类`` could be 用地类型 or 用地类别) as ``truncated_column``.
    """
    from xsland.read.validate import quality_record

    spec = get_kind(kind)
    rows: list[dict[str, Any]] = []
    for source, target in mapping.items():
        if source in given:
            continue
        cuts = {
            normalise_name(c)
            for a in (target, *spec.aliases[target])
            for c in shapefile_truncations(a)
        }
        full = {normalise_name(a) for a in (target, *spec.aliases[target])} - cuts
        norm = normalise_name(source)
        if norm in cuts and norm not in full:
            rows += quality_record(
                layer=kind,
                check="shapefile_alias",
                file=file,
                column=str(source),
                severity="info",
                detail=f"{source!r} read as {target!r} (the name cut to 10 bytes by the "
                "Shapefile format)",
            )
    geometry = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    taken = set(mapping.values()) | {c for c in df.columns if c in spec.columns}
    rest = [c for c in df.columns if c != geometry and c not in mapping and c not in spec.columns]
    for column, targets in truncated_candidates(rest, kind).items():
        open_targets = [t for t in targets if t not in taken]
        if not open_targets:
            continue
        rows += quality_record(
            layer=kind,
            check="truncated_column",
            file=file,
            column=column,
            severity="warning",
            detail=f"{column!r} looks like {' or '.join(map(repr, open_targets))} cut to 10 "
            f"bytes by the Shapefile format and was not read; map it with "
            f'[inputs.{kind}.columns] "{column}" = "{open_targets[0]}" in the project file',
        )
    return rows


def _parse_crs(value: Any, *, where: str, name: str) -> Any:
    from pyproj import CRS

    try:
        return CRS.from_user_input(value)
    except Exception as exc:
        raise CRSError(f"{where}: cannot understand {name}={value!r}: {exc}") from exc


def assign_crs(
    gdf: gpd.GeoDataFrame, crs: Any, override: Any, *, where: str, file: str, kind: str | None
) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """The layer with its CRS: the file's, else ``crs``; ``override`` replaces the file's.

    ``crs`` labels only a layer without a CRS (``--crs``, as documented); ``override``
    (``--override-crs KIND=CRS``, ``inputs.KIND.override_crs``) replaces a wrong one and
    is listed (check ``crs_override``).

    Returns
    -------
    (GeoDataFrame, list)
        The layer and the quality records of an override.

    Raises
    ------
    CRSError
        No CRS at all, or a CRS pyproj does not understand.
    """
    from xsland.read.validate import quality_record

    if override is not None:
        target = _parse_crs(override, where=where, name="override_crs")
        before = gdf.crs.to_string() if gdf.crs is not None else "none"
        after = target.to_string()
        log.warning("%s: file CRS %s replaced by the override %s", where, before, after)
        record = quality_record(
            layer=kind or "",
            check="crs_override",
            file=file,
            severity="warning",
            detail=f"CRS of the file ({before}) replaced by the override {after}; "
            "coordinates unchanged",
        )
        return gdf.set_crs(target, allow_override=True), record
    if gdf.crs is None and crs is not None:
        return gdf.set_crs(_parse_crs(crs, where=where, name="crs")), []
    if gdf.crs is None:
        raise CRSError(
            f"{where} has no coordinate reference system (no .prj or SRS); state it with "
            "crs= (e.g. crs='EPSG:4549'), --crs, or the project file's 'crs' key"
        )
    if crs is not None and not gdf.crs.equals(_parse_crs(crs, where=where, name="crs")):
        log.info(
            "%s: the file's CRS %s is kept; crs=%s applies only to layers without one "
            "(use override_crs / --override-crs to replace a wrong .prj)",
            where,
            gdf.crs.to_string(),
            crs,
        )
    return gdf, []


def _read_csv(p: Path) -> pd.DataFrame:
    raw = p.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            log.warning("%s: not UTF-8; read as %s", p, encoding.upper())
        return pd.read_csv(
            p,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=["", "NA", "N/A", "NULL", "null", "None", "-", "—"],
        )
    raise DataError(f"{p}: text is neither UTF-8 nor GB18030/GBK; save it as UTF-8 CSV")


def read_table(
    path: str | os.PathLike,
    *,
    kind: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    **validate_options: Any,
) -> pd.DataFrame:
    """Read a table (CSV or XLSX), optionally as ``enterprises`` or ``indicators``.

    CSV files are read as UTF-8 (with or without BOM) or, failing that, as
    GB18030/GBK, as Excel on a Chinese system saves them. All cells are read
    as text and then coerced to the contract's types, so IDs keep their
    leading zeros.

    Parameters
    ----------
    kind
        ``"enterprises"`` or ``"indicators"`` to rename, coerce and validate.
    columns
        ``file column -> contract column``; wins over the aliases.
    sheet
        The sheet of a workbook (default: the first).
    """
    p = _check_path(path)
    suffix = p.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(
            f"{p}: unknown table format {suffix!r}; use CSV or XLSX ({', '.join(TABLE_SUFFIXES)})"
        )
    if kind is not None and get_kind(kind).geometry is not None:
        raise DataError(f"{kind} is a vector layer, not a table; read it with read_layer")
    try:
        if suffix in (".csv", ".txt"):
            df = _read_csv(p)
        else:
            df = pd.read_excel(p, sheet_name=0 if sheet is None else sheet, dtype=object)
    except DataError:
        raise
    except Exception as exc:
        raise InputFileError(f"cannot read {p}: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs = {"source": {"file": str(p), "layer": str(sheet or "")}, "quality": []}
    if kind is None:
        return df
    renamed, mapping = rename_columns(df, kind, columns=columns, where=str(p))
    renamed.attrs = {"source": {**df.attrs["source"], "columns": mapping}, "quality": []}
    return validate_table(renamed, kind, file=str(p), **validate_options)


def detect_kind(path: str | os.PathLike, *, layer: str | None = None) -> str | None:
    """Guess which kind of the data contract a file (or layer) holds.

    By the layer name, then the file name (``parcels``, ``地块`` …), then by
    which kind's required columns its columns match through the aliases.
    Returns ``None`` when nothing fits.
    """
    p = Path(path)
    names = [layer or "", p.stem]
    for name in names:
        norm = normalise_name(name)
        if not norm:
            continue
        table_words = {
            "indicators": ("indicators", "indicator", "指标"),
            "enterprises": ("enterprises", "enterprise", "企业", "company"),
        }
        for kind, words in {**table_words, **_KIND_LAYER_NAMES}.items():
            for w in map(normalise_name, words):
                if norm == w or ((len(w) > 2 or not w.isascii()) and w in norm):
                    return kind
    try:
        if p.suffix.lower() in TABLE_SUFFIXES:
            cols = list(read_table(p).columns)
            geometric = False
        elif p.suffix.lower() in (".parquet", ".geoparquet"):
            cols, geometric = list(gpd.read_parquet(p).columns), True
        else:
            info = pyogrio.read_info(p, layer=layer)
            cols, geometric = list(info["fields"]), True
    except Exception:
        return None
    norm_cols = {normalise_name(c) for c in cols}
    from xsland.rules.schema import KINDS

    order = (
        ("parcels", "buildings", "plan", "parks") if geometric else ("indicators", "enterprises")
    )
    for kind in order:
        spec = KINDS[kind]
        ok = True
        for item in spec.required:
            options = item if isinstance(item, tuple) else (item,)
            names_ok = {normalise_name(a) for o in options for a in (o, *spec.aliases[o])}
            if not names_ok & norm_cols:
                ok = False
        if ok:
            return kind
    return None
