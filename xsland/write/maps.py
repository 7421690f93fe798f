"""Interactive HTML maps of an audit: all parks in ``map.html``, one map per town.

A map shows the park boundaries (核心启动区 solid, 拓展功能区 dashed), the parcels coloured
by status, the contiguous redevelopment blocks (连片地块) outlined and labelled — blocks that
reach the reportable size (``Policy.block_min_mu``, 30 亩) bold, smaller ones dashed,
single-parcel ones dotted — a legend, a layer switcher, a scale bar, a full-screen button,
an offline search box (parcel ID, owner, enterprise ID, block ID: it zooms to the feature
and opens its popup) and a title with the run date and the date idle land is judged at
(``as_of``). Hovering a parcel shows a tooltip, clicking it a popup, both in Chinese with
the key figures and land-use names, not codes (:mod:`xsland.rules.landuse`).
Labels never overlap: one that would overlap a label of higher priority is hidden until
one zooms in; on a phone (under 640 px) the title spans the top, the controls start
below it and the legend starts folded.

Every town named by a park or a parcel gets ``maps/<town>.html``. Above
:data:`DISTRICT_MAP_MAX_PARCELS` parcels (20,000) the district ``map.html`` draws the
parks, the blocks and the flagged parcels only — and only the parks and the blocks when
the flagged parcels alone are more — and says so under its title.

**Self-contained.** The HTML embeds its data and every script and stylesheet: Leaflet comes
from the ``xstatic-leaflet`` package (the Leaflet 1.9.3 folium 0.20 would load from a CDN)
and is inlined together with a small glue script written here. folium's CDN links (Leaflet,
jQuery, Bootstrap, Font Awesome, awesome-markers) are removed from the map instance; only
basemap tiles are fetched from the network, and a map opened from disk with the network
cut still shows every parcel.

**Size and speed.** Parcels are drawn on one canvas (``preferCanvas``), in one Leaflet
GeoJSON layer per status with a fixed style; tooltips and popups are bound once per layer
and built in JavaScript from the feature's properties with HTML escaping. Geometry is
embedded compactly (integer micro-degrees, ~0.1 m, delta-encoded, closing vertices and
bounding boxes dropped; only the properties the popups show, repeated values
dictionary-encoded) inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, and decoded into the layers' polygons when the page loads. Labels of parks and
blocks are DOM markers created only for what is in view. Basemap tiles start at the load
event. A map of 50,000 parcels is about 5.5 MB and reaches its load event in about 1.3 s
in headless Chromium (``benchmarks/bench_maps.py``; a plain ``folium.GeoJson`` map of the
same parcels: 48 MB, 23 s).

**Basemaps** (:data:`BASEMAPS`). The basemap is a build option: ``osm`` (OpenStreetMap),
``tianditu_vec`` / ``tianditu_img`` (天地图 vector / imagery, each with its label layer;
they need the user's key, from ``tianditu_key=`` or the environment variable
``TIANDITU_KEY``), ``amap`` / ``amap_satellite`` (高德, GCJ-02) and ``none``. 高德 tiles
are drawn in GCJ-02, so with an ``amap*`` basemap every vertex of every overlay is shifted
with :func:`xsland.read.crs.wgs84_to_gcj02` in Python before it is written. The layer switcher
offers only the basemaps in the same coordinate system as the overlays (OSM, 天地图 and
none for WGS84 / CGCS2000 maps; 高德 vector, 高德 imagery and none for GCJ-02 maps), so a
user can never put WGS84 parcels on GCJ-02 tiles; the basemaps other than the starting one
are created but not added to the map, and load no tile, until chosen.

Status colours (:data:`STATUSES`): 低效用地 magenta, 容积率低于下限 orange, 容积率达标
green, 存量工业/仓储用地·无容积率下限 (FAR known, no minimum applies to the category) light
blue, 非工业用地 (roads, utilities, commerce: category ``other``) pale lilac, 容积率无数据
grey. A low-efficiency parcel is shown as such whatever its FAR.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import itertools
import json
import logging
import math
import operator
import os
import re
import urllib.parse
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import jinja2
import markupsafe
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement

from xsland._atomic import atomic_dir, atomic_file
from xsland._html import json_bytes_for_html
from xsland._names import safe_filename
from xsland._threads import Ahead
from xsland.errors import DataError, PolicyError, XslandError
from xsland.judge.audit import CHECKS, check_labels
from xsland.measure.area import M2_PER_MU
from xsland.measure.convex import simplify_keeps
from xsland.read.crs import require_crs, to_crs, transform_geometries, wgs84_to_gcj02
from xsland.read.values import as_bool
from xsland.result import AuditResult
from xsland.rules.landuse import land_use_label
from xsland.rules.policy import Policy

__all__ = [
    "leaflet_assets",
    "BASEMAPS",
    "DEFAULT_TITLE",
    "DRAW_NICENESS",
    "DRAW_PART",
    "DISTRICT_MAP_MAX_PARCELS",
    "NON_INDUSTRIAL_CATEGORIES",
    "NO_TOWN",
    "Basemap",
    "BasemapWarning",
    "ParcelDrawing",
    "STATUSES",
    "SUPPLY_STYLES",
    "Status",
    "build_map",
    "draw_parcels",
    "parcel_status",
    "render_map",
    "town_file_name",
    "write_map",
    "write_maps",
]

logger = logging.getLogger(__name__)

#: The title of maps when none is given.
DEFAULT_TITLE = "锡山区特色专业园区用地审计"

#: Town label of parks without a town (as in :func:`xsland.judge.audit.town_rollup`).
NO_TOWN = "(未注明)"


class BasemapWarning(UserWarning):
    """A basemap was left out or replaced (天地图 without a key)."""


# -- statuses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """A parcel status class: one map layer with a fixed style.

    Attributes
    ----------
    key
        ``low``, ``below``, ``ok``, ``exempt``, ``other`` or ``nodata``.
    label
        Chinese label of the legend, tooltips and popups.
    fill, stroke
        Fill and outline colours.
    """

    key: str
    label: str
    fill: str
    stroke: str


#: Parcel statuses in legend order; the later ones are drawn first (underneath).
STATUSES: tuple[Status, ...] = (
    Status("low", "低效用地", "#c51b7d", "#7a0f4c"),
    Status("below", "容积率低于下限", "#f46d43", "#a63603"),
    Status("ok", "容积率达标", "#1a9850", "#0b5e2c"),
    Status("exempt", "存量工业/仓储用地·无容积率下限", "#74add1", "#31688e"),
    Status("other", "非工业用地（道路、公用设施等）", "#efedf5", "#9e9ac8"),
    Status("nodata", "容积率无数据", "#bdbdbd", "#737373"),
)

#: 批供用 status colours (:mod:`xsland.judge.supply`): code -> (label, fill, stroke).
SUPPLY_STYLES: dict[str, tuple[str, str, str]] = {
    "built": ("已建成", "#4575b4", "#24466f"),
    "under_construction": ("在建", "#91bfdb", "#4a7f9e"),
    "idle": ("闲置", "#d73027", "#8c1a13"),
    "supplied_not_started": ("供而未用", "#fc8d59", "#b5552a"),
    "approved_not_supplied": ("批而未供", "#fee090", "#b39a3c"),
    "unknown": ("无法判定", "#d9d9d9", "#8c8c8c"),
}

#: Categories that are not industrial land (roads, utilities, commerce …): drawn as
#: ``other`` whatever their FAR (see :func:`parcel_status`).
NON_INDUSTRIAL_CATEGORIES = frozenset({"other"})

#: Above this many parcels the district ``map.html`` shows parks, blocks and flagged
#: parcels only (low-efficiency or below their FAR minimum); the town maps carry every
#: parcel (:func:`write_maps`, option ``max_parcels``). 20,000 parcels make a page of
#: about 2 MB that opens in under a second; 1M parcels would make one of ~100 MB.
DISTRICT_MAP_MAX_PARCELS = 20_000

#: Statuses a large district map still draws (:func:`write_maps`).
_FLAGGED = ("low", "below")

#: Kinds of low-efficiency land (clause 二(一)3), as parcel columns, with their names.
_LU_KINDS = {
    "lu_plan": "不符合规划",
    "lu_industry": "不符合产业发展定位",
    "lu_inefficient": "不符合高效配置原则",
}

#: Block classes: drawn and labelled differently (see :func:`_block_kind`).
_BLOCK_KINDS = {
    "major": "连片地块（达到连片面积下限）",
    "small": "连片地块（不足连片面积下限）",
    "single": "单宗低效地块（未成片）",
}

_ZONES_ZH = {"core": "核心启动区", "expansion": "拓展功能区"}
_CATEGORIES_ZH = {
    "new_industrial": "新增工业用地",
    "standard_factory": "高标准厂房用地",
    "new_type_industrial": "新型产业用地(M0)",
    "industrial": "存量工业用地",
    "logistics": "物流仓储用地",
    "other": "其他用地",
}
_PARK_TYPES_ZH = {"district": "片区型", "carrier": "载体型"}

_STYLE = {
    "core": {"color": "#08306b", "weight": 2.5, "opacity": 0.95, "fillColor": "#6baed6",
             "fillOpacity": 0.06},
    "expansion": {"color": "#2171b5", "weight": 2.2, "opacity": 0.95, "dashArray": "7 5",
                  "fillColor": "#9ecae1", "fillOpacity": 0.04},
    "park": {"color": "#08306b", "weight": 2.5, "opacity": 0.95, "fillColor": "#6baed6",
             "fillOpacity": 0.05},
    "block_halo": {"color": "#111111", "weight": 5.5, "opacity": 0.8, "fill": False},
    "block": {"color": "#ffe600", "weight": 2.5, "opacity": 1, "fill": False},
    "block_small_halo": {"color": "#111111", "weight": 3.5, "opacity": 0.55, "fill": False},
    "block_small": {"color": "#ffe600", "weight": 1.5, "opacity": 1, "dashArray": "6 4",
                    "fill": False},
    "block_single_halo": {"color": "#111111", "weight": 3, "opacity": 0.45, "fill": False},
    "block_single": {"color": "#ffffff", "weight": 1.5, "opacity": 1, "dashArray": "2 4",
                     "fill": False},
    "hover": {"color": "#000000", "weight": 2.5},
}  # fmt: skip

#: Properties of parcels embedded in a map: column -> decimals (``None``: text).
_PARCEL_PROPS: dict[str, int | None] = {
    "parcel_id": None,
    "park_id": None,
    "zone": None,
    "category": None,
    "land_use": None,
    "area_m2": 1,
    "floor_area": 0,
    "far": 2,
    "far_min": 2,
    "coverage": 3,
    "reasons_zh": None,
    "reasons_detail": None,
    "lu_kinds": None,
    "block_id": None,
    "owner": None,
    "enterprise_id": None,
    "supply_status": None,
    "supply_rule": None,
}

#: Properties of blocks shown in their popups: column -> (Chinese label, decimals).
_BLOCK_PROPS: dict[str, tuple[str, int | None]] = {
    "block_id": ("连片地块", None),
    "park_id": ("园区编号", None),
    "area_mu": ("面积(亩)", 1),
    "n_parcels": ("地块数", 0),
    "parcel_ids": ("地块", None),
    "n_owners": ("权利人数", 0),
    "owners": ("权利人", None),
    "compactness": ("紧凑度", 2),
    "floor_area": ("现状建筑面积(m²)", 0),
    "far": ("现状容积率", 2),
    "target_far": ("目标容积率", 2),
    "floor_area_target": ("目标建筑面积(m²)", 0),
    "floor_area_gain": ("可增建筑面积(m²)", 0),
    "route_zh": ("建议路径", None),
    "route": ("建议路径", None),
    "route_rule": ("路径依据", None),
    "reward_wan": ("奖励估算(万元)", 1),
}


#: The parcel columns the maps read (:func:`parcel_status`, :data:`_PARCEL_PROPS`, the
#: kinds of low-efficiency land, 亩, reasons, the town and block of each parcel, the
#: 批供用 legend): :func:`write_maps` slices each town's parcels of these alone.
_MAP_PARCEL_COLUMNS = (
    frozenset(_PARCEL_PROPS)
    | frozenset(_LU_KINDS)
    | {
        "far",
        "far_min",
        "far_ok",
        "category",
        "low_efficiency",
        "area_mu",
        "reasons",
        "town",
        "park_id",
        "block_id",
        "supply_status",
    }
)


def _map_columns(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The parcels with the columns the maps read (:data:`_MAP_PARCEL_COLUMNS`) and their
    geometry (the same geometry objects), in their order."""
    geometry = parcels.geometry.name
    cols = [c for c in parcels.columns if c in _MAP_PARCEL_COLUMNS or c == geometry]
    return parcels if len(cols) == parcels.shape[1] else parcels[cols]


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[column], errors="coerce").astype(float)


def parcel_status(parcels: pd.DataFrame) -> pd.Series:
    """The map status of each parcel: ``low``, ``below``, ``ok``, ``exempt``, ``other``, ``nodata``.

    ``low`` where ``low_efficiency`` is true (whatever the FAR); else ``below`` or ``ok``
    from ``far_ok``; else
    ``other`` for land that is not industrial (``category`` in
    :data:`NON_INDUSTRIAL_CATEGORIES`: roads, utilities, commerce …), whatever its FAR;
    else ``exempt`` where the FAR is known but no minimum applies to the parcel's
    category (existing industrial land, logistics); else ``nodata``.

    Parameters
    ----------
    parcels
        Audited parcels (:attr:`xsland.result.AuditResult.parcels`), optionally with
        ``low_efficiency``. Booleans may be stored as text, as GeoPackages return them.

    Returns
    -------
    pandas.Series
        Status keys, indexed like ``parcels``.
    """
    keys = np.array([s.key for s in STATUSES], dtype=object)
    return pd.Series(keys[_status_codes(parcels)], index=parcels.index, dtype=object)


#: Positions of the statuses in :data:`STATUSES` (:func:`_status_codes`).
_AT = {s.key: i for i, s in enumerate(STATUSES)}


def _status_codes(parcels: pd.DataFrame) -> np.ndarray:
    """:func:`parcel_status` of each parcel as its position in :data:`STATUSES` (``int8``):
    the maps compare and count small numbers, not a million strings."""
    far = _numeric(parcels, "far")
    far_min = _numeric(parcels, "far_min")
    if "far_ok" in parcels.columns:
        ok = as_bool(parcels["far_ok"])
    else:  # the audit's column is never recomputed here: without it, no FAR status
        ok = pd.Series(pd.NA, index=parcels.index, dtype="boolean")
    status = np.full(len(parcels), _AT["nodata"], dtype=np.int8)
    status[(far.notna() & far_min.isna()).to_numpy(dtype=bool)] = _AT["exempt"]
    if "category" in parcels.columns:
        codes, texts = _texts(parcels["category"])  # each distinct category once
        other = np.array([t in NON_INDUSTRIAL_CATEGORIES for t in texts] + [False], dtype=bool)
        status[other[codes]] = _AT["other"]
    status[ok.fillna(False).to_numpy(dtype=bool)] = _AT["ok"]
    status[(ok == False).fillna(False).to_numpy(dtype=bool)] = _AT["below"]  # noqa: E712
    if "low_efficiency" in parcels.columns:
        low = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
        status[low] = _AT["low"]
    return status


# -- basemaps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Basemap:
    """A basemap: one or more tile layers drawn together.

    Attributes
    ----------
    key
        Name used in ``basemap=``.
    label
        Name in the layer switcher.
    system
        Coordinate system of the tiles: ``wgs84`` (WGS84 / CGCS2000), ``gcj02``, or
        ``None`` for no tiles (fits either).
    tiles
        ``(url template, Leaflet options)`` per tile layer; ``{key}`` in a 天地图 URL is
        replaced with the user's key.
    needs_key
        Whether the 天地图 key is needed.
    """

    key: str
    label: str
    system: str | None
    tiles: tuple[tuple[str, dict[str, Any]], ...]
    needs_key: bool = False


_TDT = "https://t{s}.tianditu.gov.cn/DataServer?T=%s&x={x}&y={y}&l={z}&tk={key}"
_TDT_OPTS = {"subdomains": "01234567", "maxNativeZoom": 18, "attribution": "© 天地图"}
_AMAP_OPTS = {"subdomains": "1234", "maxNativeZoom": 18, "attribution": "© 高德地图"}

#: The basemaps :func:`build_map` knows, by key.
BASEMAPS: dict[str, Basemap] = {
    b.key: b
    for b in (
        Basemap(
            "osm",
            "OpenStreetMap",
            "wgs84",
            (
                (
                    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    {
                        "maxNativeZoom": 19,
                        "attribution": "© <a href='https://www.openstreetmap.org/copyright'>"
                        "OpenStreetMap</a> contributors",
                    },
                ),
            ),
        ),
        Basemap(
            "tianditu_vec",
            "天地图 矢量",
            "wgs84",
            ((_TDT % "vec_w", _TDT_OPTS), (_TDT % "cva_w", _TDT_OPTS)),
            needs_key=True,
        ),
        Basemap(
            "tianditu_img",
            "天地图 影像",
            "wgs84",
            ((_TDT % "img_w", _TDT_OPTS), (_TDT % "cia_w", _TDT_OPTS)),
            needs_key=True,
        ),
        Basemap(
            "amap",
            "高德 矢量",
            "gcj02",
            (
                (
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}",
                    _AMAP_OPTS,
                ),
            ),
        ),
        Basemap(
            "amap_satellite",
            "高德 影像",
            "gcj02",
            (
                (
                    "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
                    _AMAP_OPTS,
                ),
                (
                    "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}",
                    _AMAP_OPTS,
                ),
            ),
        ),  # fmt: skip
        Basemap("none", "无底图", None, ()),
    )
}

_ALIASES = {
    "openstreetmap": "osm",
    "tianditu": "tianditu_vec",
    "tdt": "tianditu_vec",
    "天地图": "tianditu_vec",
    "gaode": "amap",
    "高德": "amap",
    "amap_img": "amap_satellite",
    "": "none",
}


def _basemap_key(basemap: str, tianditu_key: str | None) -> tuple[str, str | None]:
    """The basemap's key in :data:`BASEMAPS` and the 天地图 key (``None``: none)."""
    name = str(basemap).strip().lower().replace("-", "_")
    name = _ALIASES.get(name, name)
    if name not in BASEMAPS:
        raise PolicyError(
            f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)} "
            "(天地图 needs a key: tianditu_key= or TIANDITU_KEY)"
        )
    return name, (tianditu_key or os.environ.get("TIANDITU_KEY") or "").strip() or None


def _overlay_system(basemap: str, tianditu_key: str | None) -> str:
    """The overlays' system :func:`_resolve_basemaps` gives, without its warnings."""
    name, key = _basemap_key(basemap, tianditu_key)
    if BASEMAPS[name].needs_key and key is None:
        name = "osm"
    return BASEMAPS[name].system or "wgs84"


def _resolve_basemaps(basemap: str, tianditu_key: str | None) -> tuple[str, list[Basemap], str]:
    """The starting basemap, the basemaps the switcher offers and the overlays' system."""
    name, key = _basemap_key(basemap, tianditu_key)
    if BASEMAPS[name].needs_key and key is None:
        warnings.warn(
            f"basemap {name!r} (天地图) needs a key: pass tianditu_key= (--tianditu-key) or set "
            "the environment variable TIANDITU_KEY; using OpenStreetMap instead",
            BasemapWarning,
            stacklevel=3,
        )
        name = "osm"
    system = BASEMAPS[name].system or "wgs84"
    offered = [
        b
        for b in BASEMAPS.values()
        if (b.system in (system, None)) and (key is not None or not b.needs_key)
    ]
    if key is None and system == "wgs84":
        warnings.warn(
            "天地图 basemaps are left out of the map: no key (pass tianditu_key= "
            "(--tianditu-key) or set the environment variable TIANDITU_KEY)",
            BasemapWarning,
            stacklevel=3,
        )
    out = []
    for b in offered:
        tiles = tuple(
            (url.replace("{key}", urllib.parse.quote(key or "", safe="")), opts)
            for url, opts in b.tiles
        )
        out.append(Basemap(b.key, b.label, b.system, tiles, b.needs_key))
    return name, out, system


# -- geometry -----------------------------------------------------------------------------


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Polygons and multipolygons as they are; polygons pulled out of collections."""
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(~np.isin(types, (3, 6))):
        g = geoms[i]
        if g is None:
            continue
        polys: list[shapely.Polygon] = []
        stack = [g]
        while stack:
            part = stack.pop()
            if isinstance(part, shapely.Polygon):
                polys.append(part)
            elif isinstance(part, shapely.MultiPolygon | shapely.GeometryCollection):
                stack.extend(part.geoms)
        polys = [p for p in polys if not p.is_empty]
        out[i] = shapely.MultiPolygon(polys) if polys else None
    return out


def _lonlat(geoms: gpd.GeoSeries, *, system: str, simplify: float = 0.0) -> np.ndarray:
    """Geometries in longitude/latitude (WGS84, or GCJ-02 for ``system='gcj02'``).

    Element by element: the geometry of a row is the same whichever rows are converted
    with it, so a run converts each parcel and block once and every map takes its rows
    (:func:`write_maps`). On one thread: maps are written while the workbook's and the
    GeoPackage's worker processes use the other cores (:func:`xsland.write.report.write_audit`).
    """
    crs = require_crs(geoms)
    values = geoms.values
    if simplify > 0:
        if crs.is_projected:
            unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
            tolerance = simplify / (unit or 1.0)
        else:
            tolerance = simplify / 111_320.0
        values = _simplified(np.asarray(values, dtype=object), tolerance)
        geoms = gpd.GeoSeries(values, index=geoms.index, crs=crs)
    out = to_crs(geoms, "EPSG:4326")
    if system == "gcj02":
        out = transform_geometries(out, wgs84_to_gcj02)
    return np.asarray(out.values, dtype=object)


def _simplified(values: np.ndarray, tolerance: float) -> np.ndarray:
    """``shapely.simplify(values, tolerance, preserve_topology=True)``, called only for the
    geometries it may change: those it provably keeps (:func:`simplify_keeps`: convex
    rings, every vertex farther than ``tolerance`` from its neighbours' line — nearly
    every parcel of a street grid) are kept as they are."""
    out = values.copy()
    todo = ~simplify_keeps(values, tolerance)
    out[todo] = shapely.simplify(values[todo], tolerance, preserve_topology=True)
    return out


def _ragged(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates and ring, polygon and feature offsets of (multi)polygons.

    What :func:`shapely.to_ragged_array` gives (rings without holes are the common case
    of parcels: then the coordinates of each feature are its one ring, in the same order,
    and every offset is a running sum of vertex counts, without building the rings; the
    blocks' multipolygons, some with holes, by their parts: :func:`_ragged_parts`).
    """
    count = len(geoms)
    types = shapely.get_type_id(geoms)
    if (types == shapely.GeometryType.POLYGON).all() and not shapely.get_num_interior_rings(
        geoms
    ).any():
        coords = shapely.get_coordinates(geoms)  # x, y: all the encoder reads
        ring_off = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(shapely.get_num_coordinates(geoms), out=ring_off[1:])
        feature_off = np.arange(count + 1)
        return coords, ring_off, feature_off, feature_off
    by_parts = _ragged_parts(geoms, types)
    if by_parts is not None:
        return by_parts
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    if kind == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        return coords, ring_off, poly_off, np.arange(count + 1)
    ring_off, poly_off, geom_off = offsets
    return coords, ring_off, poly_off, geom_off


def _ragged_parts(
    geoms: np.ndarray, types: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_ragged` of polygons and multipolygons (``types``: their type ids) with at
    least one part each, none empty; ``None`` for any other.

    What :func:`shapely.to_ragged_array` gives, building rings only of the parts with
    holes: a polygon's coordinates are those of its rings in order (exterior first), so
    the coordinates of the parts are those of the rings; a part without holes is one ring
    of all its coordinates.
    """
    kinds = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
    if not np.isin(types, kinds).all():
        return None
    counts = shapely.get_num_geometries(geoms)
    if not counts.all():
        return None
    parts = shapely.get_parts(geoms)
    if shapely.is_empty(parts).any():
        return None
    holes = shapely.get_num_interior_rings(parts)
    poly_off = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(holes + 1, out=poly_off[1:])
    sizes = np.empty(poly_off[-1], dtype=np.int64)
    holed = holes > 0
    of_holed = np.repeat(holed, holes + 1)  # each ring: of a part with holes
    sizes[~of_holed] = shapely.get_num_coordinates(parts[~holed])
    sizes[of_holed] = shapely.get_num_coordinates(shapely.get_rings(parts[holed]))
    ring_off = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ring_off[1:])
    geom_off = np.zeros(len(geoms) + 1, dtype=np.int64)
    np.cumsum(counts, out=geom_off[1:])
    return shapely.get_coordinates(parts), ring_off, poly_off, geom_off


def _drawable(geoms: gpd.GeoSeries, *, system: str, simplify: float) -> np.ndarray:
    """The polygons drawn for each geometry: :func:`_polygonal` of :func:`_lonlat`."""
    return _polygonal(_lonlat(geoms, system=system, simplify=simplify))


#: Parcels per part of :func:`draw_parcels` (the parts the caller may take over).
DRAW_PART = 50_000

#: How much lower than the run's the priority of the thread of :func:`draw_parcels` is
#: (as the GeoPackage's worker: :data:`xsland.write.worker.NICENESS`).
DRAW_NICENESS = 5


@dataclass(frozen=True, eq=False)
class ParcelDrawing:
    """The parcels' drawable lon/lat geometries, converted before :func:`write_maps` needs
    them, on a thread of their own (:func:`draw_parcels`).

    Attributes
    ----------
    crs
        The CRS of the geometries converted.
    system
        ``wgs84`` or ``gcj02``: the overlays' system (of the basemap).
    simplify
        The tolerance in metres they are simplified with.
    source
        The geometry objects converted, in their order; held here, so that no object
        converted is freed and its identity taken by another.
    parts
        The conversion (:func:`_drawable`) of consecutive parts of ``source``
        (:class:`xsland._threads.Ahead`).
    """

    crs: Any
    system: str
    simplify: float
    source: np.ndarray
    parts: Ahead

    def drawable(self) -> np.ndarray:
        """:func:`_drawable` of ``source``, element for element; the parts the thread has
        not started are converted here. Raises what the conversion raised."""
        done = self.parts.result()
        return np.concatenate(done) if done else np.empty(0, dtype=object)


def draw_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    simplify: float = 0.1,
    part: int = DRAW_PART,
    nice: int = DRAW_NICENESS,
) -> ParcelDrawing:
    """Start converting the parcels' drawable geometries as :func:`write_maps` would.

    :func:`xsland.pipeline.run.run_project` calls this as soon as the inputs are read
    (the audit changes no parcel geometry) and hands the drawing to :func:`write_maps`
    (``parcel_drawing``), which takes the drawable geometry of every parcel whose
    geometry is the very object converted here (``is``) and converts the others itself:
    the maps are the same either way. The conversion runs on a thread of its own at a
    lower priority (``nice``), part by part (``part`` parcels each, each part converted
    alone: :func:`_drawable` works element by element); the parts it has not started
    when the maps need them are converted by the maps' thread.

    Parameters
    ----------
    parcels
        Parcels with a CRS (not changed).
    basemap, tianditu_key, simplify
        As in :func:`write_maps`: the basemap decides the system (``gcj02`` for ``amap*``,
        else ``wgs84``), ``simplify`` the tolerance in metres.
    part
        Parcels per part.
    nice
        How much lower the thread's priority is than the run's.

    Returns
    -------
    ParcelDrawing

    Raises
    ------
    PolicyError
        For an unknown ``basemap``.
    """
    system = _overlay_system(basemap, tianditu_key)  # no warning: write_maps says them
    geoms = parcels.geometry
    cuts = list(range(0, len(geoms), max(int(part), 1))) + [len(geoms)]
    pieces = [geoms.iloc[a:b] for a, b in itertools.pairwise(cuts) if b > a]
    return ParcelDrawing(
        crs=geoms.crs,
        system=system,
        simplify=float(simplify),
        source=np.array(geoms.array, dtype=object),  # a copy: its own objects, held
        parts=Ahead(
            functools.partial(_drawable, system=system, simplify=simplify), pieces, nice=nice
        ),
    )


def _parcels_drawable(
    geoms: gpd.GeoSeries,
    *,
    system: str,
    simplify: float,
    drawing: ParcelDrawing | None,
) -> np.ndarray:
    """:func:`_drawable` of ``geoms``, taken from ``drawing`` where it converted the same.

    A row takes the drawing's geometry when its geometry object is the very object the
    drawing converted (``is``: same coordinates, as Shapely geometries never change), with
    the same CRS, system and tolerance; :func:`_drawable` works element by element, so
    that is the geometry converting it here would give. The other rows are converted here.
    A drawing that failed (its conversion raised) or does not fit is not used: every row
    is converted here, as without it.
    """
    fits = (
        isinstance(drawing, ParcelDrawing)
        and drawing.system == system
        and drawing.simplify == float(simplify)
        and geoms.crs is not None
        and drawing.crs == geoms.crs
    )
    drawn = None
    if fits:
        try:
            drawn = drawing.drawable()
        except Exception as exc:  # the maps do not depend on it: convert here
            logger.info("the parcels' map geometries are converted now (%s)", exc)
    if drawn is None:
        return _drawable(geoms, system=system, simplify=simplify)
    values = np.asarray(geoms.array, dtype=object)
    source = drawing.source
    if len(source) == len(values):  # row for row, as the audit keeps them
        pos = np.arange(len(values))
        same = np.fromiter(map(operator.is_, values, source), dtype=bool, count=len(values))
    else:
        pos = np.full(len(values), -1, dtype=np.int64)
        same = np.zeros(len(values), dtype=bool)
    if not same.all():  # rows moved or dropped: found by the objects' identities
        where = {id(g): i for i, g in enumerate(source)}
        for i in np.flatnonzero(~same):
            j = where.get(id(values[i]), -1)
            if j >= 0 and source[j] is values[i]:
                pos[i], same[i] = j, True
    out = np.empty(len(values), dtype=object)
    out[same] = drawn[pos[same]]
    if not same.all() and len(source) == len(values):
        # a polygon the result made a multipolygon of one part (AuditResult keeps one
        # geometry type per layer, as a GeoPackage does): its drawing, made multi too
        rest = np.flatnonzero(~same)
        made, drawn = _made_multi(values[rest], source[rest], drawn[rest], simplified=simplify > 0)
        out[rest[made]] = drawn
        same[rest[made]] = True
    if not same.all():
        rest = np.flatnonzero(~same)
        out[rest] = _drawable(geoms.iloc[rest], system=system, simplify=simplify)
    return out


def _made_multi(
    geoms: np.ndarray, source: np.ndarray, drawn: np.ndarray, *, simplified: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``geoms`` are a multipolygon of one part equal to the polygon of ``source``
    at the same row (the same coordinates in the same order: :func:`shapely.equals_exact`
    with tolerance 0) whose drawing ``drawn`` is a polygon, and their drawings.

    Such a geometry draws as its polygon does, the one part of a multipolygon: the change
    to lon/lat moves each vertex alone, simplifying it simplifies the same rings with the
    same tolerance, and :func:`_polygonal` keeps polygons and multipolygons as they are.
    Only the type may differ: without simplifying (``simplified`` false) the drawing stays
    a multipolygon; simplified, it is whatever GEOS makes of a one-part multipolygon
    (:func:`_simplify_keeps_multi`: a polygon).
    """
    made = (
        (shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON)
        & (shapely.get_type_id(source) == shapely.GeometryType.POLYGON)
        & (shapely.get_type_id(drawn) == shapely.GeometryType.POLYGON)
    )
    made[made] = shapely.get_num_geometries(geoms[made]) == 1
    made[made] = shapely.equals_exact(shapely.get_geometry(geoms[made], 0), source[made], 0.0)
    idx = np.flatnonzero(made)
    if simplified and not _simplify_keeps_multi():
        return made, drawn[idx]
    multi = shapely.multipolygons(drawn[idx], indices=np.arange(len(idx)))
    return made, np.asarray(multi, dtype=object).reshape(-1)


@functools.lru_cache(maxsize=1)
def _simplify_keeps_multi() -> bool:
    """Whether :func:`shapely.simplify` (topology preserving) of a multipolygon of one
    part gives a multipolygon (GEOS 3.x gives the polygon: its geometry builder makes a
    list of one polygon that polygon)."""
    one = shapely.MultiPolygon([shapely.box(0.0, 0.0, 1.0, 1.0)])
    kept = shapely.simplify(one, 0.1, preserve_topology=True)
    return shapely.get_type_id(kept) == shapely.GeometryType.MULTIPOLYGON


def _encode_polygons(geoms: np.ndarray, *, precision: int) -> dict[str, Any]:
    """Polygons as delta-encoded integer coordinates (see the decoder in the glue script).

    ``c``: x, y pairs in units of 10^-precision degree, each the difference to the
    previous vertex (the first to 0, 0); rings without their closing vertex. ``n``:
    vertices per ring; ``p``: rings per polygon; ``g``: polygons per feature (``None``
    when all are 1). Each an array of ``int64``, written by :func:`json_for_html` as its
    list.
    """
    count = len(geoms)
    if count == 0:
        return {"s": 10**precision, "count": 0, "c": [], "n": [], "p": None, "g": None}
    coords, ring_off, poly_off, geom_off = _ragged(geoms)
    closing = ring_off[1:] - 1
    keep = np.ones(len(coords), dtype=bool)
    keep[closing] = False
    # in place where it can be: a million parcels' vertices are hundreds of megabytes,
    # and each array made anew is memory the system hands over page by page
    xy = coords[keep, :2]
    xy *= 10.0**precision
    q = np.rint(xy, out=xy).astype(np.int64)
    del xy
    delta = np.empty_like(q)  # each vertex less the one before it (the first less 0, 0)
    delta[:1] = q[:1]
    np.subtract(q[1:], q[:-1], out=delta[1:])
    rings = np.diff(poly_off)
    polys = np.diff(geom_off)
    # integer arrays, not lists: json_for_html writes them as their lists, in C
    return {
        "s": 10**precision,
        "count": count,
        "c": delta.ravel(),
        "n": np.diff(ring_off) - 1,
        "p": None if (rings == 1).all() else rings,
        "g": None if (polys == 1).all() else polys,
    }


def _text(v: Any) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, list | tuple | set | np.ndarray):
        items = [t for t in (_text(x) for x in v) if t]
        return "；".join(items) if items else None
    if isinstance(v, pd.Timestamp | dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v)
    return text if text.strip() else None


def _not_blank(words: np.ndarray) -> np.ndarray:
    """Whether each string has a character that is not white space (``str.strip``'s
    white space, as ``Series.str.strip`` strips it).

    ``bool(w.strip())`` is ``w != "" and not w.isspace()``: :meth:`str.strip` and
    :meth:`str.isspace` know the same white space (Unicode's). Read by two C loops
    (``map`` of ``len`` and of ``str.isspace``), not a Python call per string.
    """
    n = len(words)
    filled = np.fromiter(map(len, words), dtype=np.int64, count=n) > 0
    space = np.fromiter(map(str.isspace, words), dtype=bool, count=n)
    return filled & ~space


def _texts(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """:func:`_text` of every value, as codes into the distinct texts (``-1``: ``None``).

    A column of strings and nulls is factorised as it is (a blank string is ``None``).
    Any other is factorised by value and by type (so ``True`` and ``1``, equal to pandas,
    stay apart); the text of each (value, type) pair's first row stands for all its rows:
    strings by pandas string operations, other values by :func:`_text`. The distinct texts
    keep the order in which they first occur, as factorising every row's text would.
    """
    text_only = isinstance(s.dtype, pd.StringDtype)
    arr = None if text_only else s.to_numpy(dtype=object)
    if text_only or pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        # strings and nulls only: factorised as they are; a blank string is None
        codes, uniques = pd.factorize(s if text_only else arr)
        words = np.asarray(uniques, dtype=object)
        keep = _not_blank(words)
        renumber = np.append(np.where(keep, np.cumsum(keep) - 1, -1), -1)  # code -1 stays
        return renumber[codes], pd.Index(words[keep], dtype=object)
    try:
        by_value, _ = pd.factorize(arr, use_na_sentinel=False)
    except TypeError:  # unhashable cells (lists, arrays): one call per row
        return pd.factorize(pd.Series([_text(v) for v in arr], dtype=object))
    by_type, types = pd.factorize(pd.Series(arr, dtype=object).map(type))
    pair, _ = pd.factorize(by_value.astype(np.int64) * (len(types) + 1) + by_type)
    _, first = np.unique(pair, return_index=True)
    reps = arr[first]
    plain = np.isin(by_type[first], [i for i, t in enumerate(types) if t is str])
    texts = np.empty(len(reps), dtype=object)
    if plain.any():  # a string is itself, or None when blank
        words = reps[plain]
        texts[plain] = np.where(_not_blank(words), words, None)
    texts[~plain] = [_text(v) for v in reps[~plain]]
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
    return codes[pair], uniques


def _numbers(s: pd.Series, decimals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers rounded to ``decimals``, as Python ``int`` (``decimals`` 0) or ``float``,
    ``None`` when not finite: codes into the distinct numbers (``-1``: ``None``) in order
    of first occurrence, the distinct numbers, and every row's number."""
    num = _rounded(s, decimals)
    return (*_number_codes(num, decimals), _number_values(num, decimals))


def _rounded(s: pd.Series, decimals: int) -> np.ndarray:
    """The numbers of ``s`` rounded to ``decimals`` as floats, NaN where not finite."""
    num = pd.to_numeric(s, errors="coerce").astype(float).round(decimals).to_numpy()
    return np.where(np.isfinite(num), num, np.nan)


def _number_codes(num: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of :func:`_rounded` numbers into the distinct ones (``-1``: NaN), in order of
    first occurrence, and those as Python ``int`` (``decimals`` 0) or ``float``."""
    codes, uniques = pd.factorize(num, use_na_sentinel=True)
    kind = np.int64 if decimals == 0 else float
    return codes, np.asarray(uniques, dtype=kind).astype(object)


def _number_values(num: np.ndarray, decimals: int) -> np.ndarray:
    """Each of :func:`_rounded` numbers as Python ``int`` (``decimals`` 0) or ``float``,
    ``None`` for NaN (each value of its own row alone)."""
    finite = np.isfinite(num)
    if decimals == 0:
        rows = np.where(finite, num, 0.0).astype(np.int64).astype(object)
    else:
        rows = num.astype(object)
    rows[~finite] = None
    return rows


def _encode_columns(df: pd.DataFrame, spec: Mapping[str, int | None]) -> dict[str, Any]:
    """Columns for the glue script's ``properties()``.

    Each column is ``{"k": value}`` when all rows share one value, ``{"d": dictionary,
    "i": codes}`` (an array) when values repeat (at most one distinct value per two rows), else
    ``{"v": values}``. Numbers are rounded to their decimals; NaN becomes null. Values
    are converted once per distinct value (:func:`_texts`, :func:`_numbers`).
    """
    out: dict[str, Any] = {}
    for col, decimals in spec.items():
        if col not in df.columns:
            continue
        s = df[col]
        if decimals is None:
            codes, uniques = _texts(s)
            d = np.append(np.asarray(uniques, dtype=object), None)  # code -1: the last, None
            rows = d[codes]
        else:
            codes, uniques, rows = _numbers(s, decimals)
            d = np.append(uniques, None)
        has_null = bool((codes < 0).any())
        if len(uniques) + has_null <= 1:
            out[col] = {"k": uniques[0] if len(uniques) else None}
        elif len(uniques) * 2 < len(codes):
            out[col] = {"d": d.tolist(), "i": np.where(codes < 0, len(d) - 1, codes)}
        else:
            out[col] = {"v": rows.tolist()}
    return out


def _column_codes(
    df: pd.DataFrame, spec: Mapping[str, int | None]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None] | None]:
    """Each column of ``spec`` in ``df`` worked out once for :func:`_encode_rows`.

    Per column: the codes of every row into its distinct values (``-1``: ``None``), the
    distinct values (texts by :func:`_texts`, numbers as :func:`_numbers` gives them) and,
    for numbers, every row's rounded number (:func:`_rounded`; made Python numbers only for
    the rows a map writes one by one). ``None`` for a column of numbers holding both
    ``0.0`` and ``-0.0``: the two are one distinct value, written as the first met, which
    depends on the rows taken, so such a column is worked out for each set of rows.
    """
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None] | None] = {}
    for col, decimals in spec.items():
        if col not in df.columns:
            continue
        if decimals is None:
            codes, uniques = _texts(df[col])
            out[col] = (codes, np.asarray(uniques, dtype=object), None)
            continue
        num = _rounded(df[col], decimals)
        both = decimals != 0 and _both_zeros(num)
        out[col] = None if both else (*_number_codes(num, decimals), num)
    return out


def _both_zeros(num: np.ndarray) -> bool:
    """Whether the rounded numbers (:func:`_rounded`) hold both ``0.0`` and ``-0.0``."""
    zero = num == 0
    return bool(zero.any() and np.signbit(num[zero]).any() and (~np.signbit(num[zero])).any())


def _encode_rows(
    df: pd.DataFrame,
    spec: Mapping[str, int | None],
    coded: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray | None] | None],
    rows: np.ndarray,
) -> dict[str, Any]:
    """:func:`_encode_columns` of the rows ``rows`` (positions) of ``df``, from the
    columns worked out once (:func:`_column_codes`): the codes of those rows numbered
    again in the order their values first occur there, as :func:`_texts` and
    :func:`_numbers` of those rows alone number them."""
    out: dict[str, Any] = {}
    for col in spec:
        if col not in coded:
            continue
        c = coded[col]
        if c is None:  # worked out for these rows
            out |= _encode_columns(df[[col]].iloc[rows], {col: spec[col]})
            continue
        every, distinct, values = c
        sub = every[rows]
        valid = sub >= 0
        local, first = pd.factorize(sub[valid])
        codes = np.full(len(sub), -1, dtype=np.int64)
        codes[valid] = local
        uniques = distinct[first]
        d = np.append(uniques, None)  # code -1: the last, None
        has_null = bool((~valid).any())
        if len(uniques) + has_null <= 1:
            out[col] = {"k": uniques[0] if len(uniques) else None}
        elif len(uniques) * 2 < len(codes):
            out[col] = {"d": d.tolist(), "i": np.where(codes < 0, len(d) - 1, codes)}
        else:  # each row's value: only here made Python objects
            shown = d[codes] if values is None else _number_values(values[rows], spec[col])
            out[col] = {"v": shown.tolist()}
    return out


def _bounds(arrays: Sequence[np.ndarray]) -> list[list[float]] | None:
    boxes = [shapely.total_bounds(a) for a in arrays if len(a)]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        return None
    b = np.array(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


# -- front end ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and stylesheet from ``xstatic-leaflet``, images as data URIs."""
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise XslandError(
            "the maps need the package xstatic-leaflet (pip install xstatic-leaflet)"
        ) from exc
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js).replace("</script", "<\\/script")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        path = base / match.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    return js, css.replace("</style", "<\\/style")


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    """The maps' templates and assets (``xsland/write/templates``), escaping by default."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xsland.write", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@functools.lru_cache(maxsize=4)
def _asset(name: str) -> str:
    """A script or stylesheet of the maps (``map.js``, ``map.css``), as text."""
    env = _templates()
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


class _Raw(Element):
    """Text put into the page as it is (not parsed as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _Overlays(MacroElement):
    """The embedded data (in the map's HTML) and the glue script (after the map's).

    The data is JSON already safe inside ``<script>``, as UTF-8
    (:func:`xsland._html.json_bytes_for_html`). :func:`render_map` and :func:`write_map`
    render the page with :attr:`mark` where the data goes (``deferred``) and put the data
    in once, so that the tens of megabytes of a large map are not copied by the template,
    the page's assembly and the check for network links (and :func:`write_map` writes them
    as they are, neither decoded nor encoded again).
    """

    def __init__(self, payload: bytes) -> None:
        super().__init__()
        self._name = "XslandOverlays"
        self._payload = payload
        self.deferred = False
        self.mark = f"xsland-data-goes-here-{uuid.uuid4().hex}"

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        map_name = self._parent.get_name()
        data_id = f"xsland-data-{map_name}"
        data = _templates().get_template("map_data.html.j2")
        payload = self.mark if self.deferred else self._payload.decode("utf-8")
        figure.html.add_child(
            _Raw(data.render(data_id=data_id, payload=markupsafe.Markup(payload))),
            name=self.get_name(),
        )
        script = (
            _asset("map.js")
            .replace("__MAP__", map_name)
            .replace("__DATA_ID__", json.dumps(data_id))
        )
        figure.script.add_child(_Raw(script), name=self.get_name())
        return ""


# -- building maps ----------------------------------------------------------------------------


def _require(df: Any, what: str, columns: Sequence[str]) -> None:
    if not isinstance(df, gpd.GeoDataFrame):
        raise DataError(f"{what} must be a GeoDataFrame, not {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{what} lack the column(s) {', '.join(missing)}; pass the layers of an audit "
            "(xsland.pipeline.audit.run or audit.gpkg)"
        )
    require_crs(df)


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _column_texts(df: pd.DataFrame, column: str) -> list[str | None]:
    """:func:`_text` of every value of a column (``None`` without it), by :func:`_texts`."""
    if column not in df.columns:
        return [None] * len(df)
    codes, uniques = _texts(df[column])
    return np.append(np.asarray(uniques, dtype=object), None)[codes].tolist()


def _column_finite(df: pd.DataFrame, column: str) -> list[float | None]:
    """:func:`_finite` of every value of a column (``None`` without it); numbers by numpy."""
    if column not in df.columns:
        return [None] * len(df)
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return [_finite(v) for v in s.to_numpy(dtype=object)]
    v = s.to_numpy(dtype=float, na_value=np.nan)
    out = v.astype(object)
    out[~np.isfinite(v)] = None
    return out.tolist()


def _park_info(parks: pd.DataFrame, policy: Policy) -> dict[str, dict[str, Any]]:
    """What park popups show, by park_id (check labels with the thresholds of ``policy``).

    Each column is read once for all parks (:func:`_column_texts`,
    :func:`_column_finite`), then zipped into one mapping per park.
    """
    labels = check_labels(policy)
    one = parks.drop_duplicates("park_id")
    checks = [c for c in CHECKS if c in one.columns]
    fails = [(one[c] == "fail").fillna(False).to_numpy(dtype=bool) for c in checks]
    unknowns = [(one[c] == "unknown").fillna(False).to_numpy(dtype=bool) for c in checks]
    texts = {c: _column_texts(one, c) for c in ("park_id", "name", "town", "park_type")}
    texts["leading_industry"] = _column_texts(one, "leading_industry")
    numbers = {
        c: _column_finite(one, c)
        for c in (
            "area_mu",
            "area_km2",
            "area_core_m2",
            "area_expansion_m2",
            "n_parcels",
            "industrial_far",
            "land_utilisation",
        )
    }
    info: dict[str, dict[str, Any]] = {}
    for i, pid in enumerate(texts["park_id"]):
        if pid is None:
            continue
        core, expansion = numbers["area_core_m2"][i], numbers["area_expansion_m2"][i]
        kind = texts["park_type"][i]
        info[pid] = {
            "name": texts["name"][i] or pid,
            "town": texts["town"][i],
            "type": _PARK_TYPES_ZH.get(kind, kind) if kind is not None else None,
            "industry": texts["leading_industry"][i],
            "area_mu": numbers["area_mu"][i],
            "area_km2": numbers["area_km2"][i],
            "core_mu": core / M2_PER_MU if core is not None else None,
            "expansion_mu": expansion / M2_PER_MU if expansion is not None else None,
            "n_parcels": numbers["n_parcels"][i],
            "industrial_far": numbers["industrial_far"][i],
            "land_utilisation": numbers["land_utilisation"][i],
            "fail": [labels[c] for c, f in zip(checks, fails, strict=True) if f[i]],
            "unknown": [labels[c] for c, u in zip(checks, unknowns, strict=True) if u[i]],
        }
    return info


def _drop_empty(df: gpd.GeoDataFrame, geoms: np.ndarray, what: str, id_col: str) -> np.ndarray:
    """Indices of features with a drawable geometry; warn about the others."""
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.all():
        ids = df[id_col].to_numpy()[~ok] if id_col in df.columns else np.flatnonzero(~ok)
        shown = ", ".join(str(i) for i in ids[:10]) + (" …" if len(ids) > 10 else "")
        logger.warning("%d %s without a polygon are not drawn: %s", len(ids), what, shown)
    return np.flatnonzero(ok)


def _date_text(audit_date: Any) -> str:
    if audit_date is None:
        return dt.date.today().isoformat()
    if isinstance(audit_date, dt.datetime | pd.Timestamp):
        return audit_date.strftime("%Y-%m-%d")
    if isinstance(audit_date, dt.date):
        return audit_date.isoformat()
    return str(audit_date)


def _parcel_payload(
    parcels: gpd.GeoDataFrame,
    *,
    system: str,
    simplify: float,
    precision: int,
    shown: frozenset[str] | None = None,
    lonlat: np.ndarray | None = None,
    status: np.ndarray | None = None,
) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, int | None]]:
    """Parcel geometries, one encoded layer per status, and the count of each status.

    The count of ``low`` is ``None`` when the parcels carry no ``low_efficiency`` (not
    assessed), so the legend does not claim there is none. With ``shown``, only parcels
    of those statuses are drawn (and converted); the counts are of every parcel.
    ``lonlat``: the parcels' drawable geometries already converted (:func:`_drawable`),
    row for row, else they are converted here; ``status``: their :func:`_status_codes`,
    row for row, else worked out here.
    """
    code = _status_codes(parcels) if status is None else status
    total = np.bincount(code, minlength=len(STATUSES))
    if shown is not None:  # a parcel's status is of its own row: taken with the rows kept
        rows = np.flatnonzero(np.isin(code, [_AT[k] for k in shown]))
        parcels = parcels.iloc[rows]
        code = code[rows]
        lonlat = lonlat[rows] if lonlat is not None else None
    pgeoms = (
        lonlat
        if lonlat is not None
        else _drawable(parcels.geometry, system=system, simplify=simplify)
    )
    keep = _drop_empty(parcels, pgeoms, "parcels", "parcel_id")
    if len(keep) < len(parcels):  # else the rows as they are, no copy of every column
        parcels = parcels.iloc[keep]
        pgeoms, code = pgeoms[keep], code[keep]
    frame, props = _parcel_columns(parcels)
    coded = _column_codes(frame, props)  # each column once, then each layer's rows
    layers = []
    counts: dict[str, int | None] = {}
    for i, s in enumerate(STATUSES):
        idx = np.flatnonzero(code == i)
        counts[s.key] = len(idx) if shown is None or s.key in shown else int(total[i])
        if len(idx):
            layers.append(
                {
                    "key": s.key,
                    "geom": _encode_polygons(pgeoms[idx], precision=precision),
                    "props": _encode_rows(frame, props, coded, idx),
                }
            )
    if "low_efficiency" not in parcels.columns:
        counts["low"] = None
    return pgeoms, layers, counts


def _parcel_columns(parcels: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int | None]]:
    """The parcels' popup columns (land-use names, the kinds of low-efficiency land as
    text, ``reasons_zh`` from ``reasons`` when missing) and their decimals
    (:data:`_PARCEL_PROPS`); each value is of its own row alone. The columns they are made
    of are taken first, so that no other column is copied."""
    read = {*_PARCEL_PROPS, "area_mu", "reasons", *_LU_KINDS}
    pc = pd.DataFrame(parcels[[c for c in parcels.columns if c in read]])
    props = dict(_PARCEL_PROPS)
    if "area_m2" not in pc.columns:  # else 亩 are computed from m² in the page
        props["area_mu"] = 2
    if "reasons_zh" not in pc.columns and "reasons" in pc.columns:
        pc = pc.assign(reasons_zh=pc["reasons"])
    if "land_use" in pc.columns:  # names, not codes: 二类工业用地（100102）
        codes, uniques = pd.factorize(pc["land_use"], use_na_sentinel=True)
        names = np.array([land_use_label(u) for u in uniques] + [None], dtype=object)
        pc = pc.assign(land_use=names[codes])  # code -1 (missing) takes the last: None
    kinds = [c for c in _LU_KINDS if c in pc.columns]
    if kinds:  # each combination of kinds as a number (bit i: kind i), then its text
        combo = sum(
            as_bool(pc[c]).fillna(False).to_numpy(dtype=np.int64) << i for i, c in enumerate(kinds)
        )
        texts = np.array(
            [
                "；".join(_LU_KINDS[c] for i, c in enumerate(kinds) if n >> i & 1) or None
                for n in range(2 ** len(kinds))
            ],
            dtype=object,
        )
        pc = pc.assign(lu_kinds=texts[combo])
    return pd.DataFrame(pc[[c for c in props if c in pc.columns]]), props


def _parks_payload(
    parks: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    *,
    system: str,
    simplify: float,
    precision: int,
    policy: Policy,
    lonlat: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any], bool]:
    """Park (zone) geometries, their encoded layer, popup facts and name labels.

    ``lonlat``: the drawable geometries of ``zones`` already converted (:func:`_polygonal`
    of :func:`_lonlat`), row for row, else they are converted here.
    """
    shapes = zones if zones is not None else parks
    kgeoms = (
        lonlat
        if zones is not None and lonlat is not None
        else _polygonal(_lonlat(shapes.geometry, system=system, simplify=simplify))
    )
    keep = _drop_empty(shapes, kgeoms, "park features", "park_id")
    shapes = shapes.iloc[keep]
    kgeoms = kgeoms[keep]
    has_zones = "zone" in shapes.columns
    cols: dict[str, int | None] = (
        {"park_id": None, "zone": None} if has_zones else {"park_id": None}
    )
    info = _park_info(parks, policy)
    one = (
        parks.dissolve(by="park_id").reset_index() if parks["park_id"].duplicated().any() else parks
    )
    one = one[one.geometry.notna() & ~one.geometry.is_empty]
    points = _lonlat(one.geometry.representative_point(), system=system)
    labels = [
        [
            round(float(pt.x), precision),
            round(float(pt.y), precision),
            info.get(_text(pid) or "", {}).get("name") or _text(pid),
        ]
        for pt, pid in zip(points, one["park_id"], strict=True)
    ]
    payload = {
        "layer": {
            "geom": _encode_polygons(kgeoms, precision=precision),
            "props": _encode_columns(shapes, cols),
        },
        "info": info,
        "labels": labels,
    }
    return kgeoms, payload, has_zones


def _block_kind(blocks: pd.DataFrame) -> pd.Series:
    """``single`` (one parcel), ``small`` (the audit's ``below_threshold``) or ``major``.

    The audit's own flag decides (it compared ``area_mu`` with the policy's
    ``block_min_mu`` when it ran); it is never recomputed here, so a block without the
    flag is ``major`` (shown, not hidden).
    """
    kind = pd.Series("major", index=blocks.index, dtype=object)
    if "below_threshold" in blocks.columns:
        small = as_bool(blocks["below_threshold"]).fillna(False).to_numpy(dtype=bool)
        kind[small] = "small"
    single = (_numeric(blocks, "n_parcels") == 1).to_numpy(dtype=bool)
    kind[single] = "single"
    return kind


def _blocks_payload(
    blocks: gpd.GeoDataFrame | None,
    *,
    system: str,
    simplify: float,
    precision: int,
    min_mu: float,
    lonlat: np.ndarray | None = None,
    points: np.ndarray | None = None,
    columns: tuple[pd.DataFrame, Mapping[str, Any], np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[str, Any] | None]:
    """Block geometries, their encoded layer, label points and counts by kind.

    ``None`` without blocks. Blocks are ordered for labelling: reportable blocks first,
    then the small ones, then single parcels, each largest first (labels that would
    overlap an earlier one are hidden in the page). ``lonlat``: the blocks' drawable
    geometries already converted (:func:`_drawable`), row for row, else converted here;
    ``points``: their label points (:func:`shapely.point_on_surface` of ``lonlat``), row
    for row, else found here; ``columns``: the popup columns of a table of blocks worked
    out once (:func:`_block_columns`) and the positions of these blocks in it, else the
    columns are worked out here (the same: :func:`_encode_rows`).
    """
    if blocks is None:
        return np.array([], dtype=object), None
    bgeoms = (
        lonlat
        if lonlat is not None
        else _drawable(blocks.geometry, system=system, simplify=simplify)
    )
    keep = _drop_empty(blocks, bgeoms, "blocks", "block_id")
    bl = blocks.iloc[keep]
    bgeoms = bgeoms[keep]
    kind = _block_kind(bl)
    area = _numeric(bl, "area_mu").fillna(0.0)  # the audit's area; unknown sorts last
    order = np.lexsort((-area.to_numpy(), kind.map(list(_BLOCK_KINDS).index).to_numpy()))
    bl = bl.iloc[order].assign(kind=kind.to_numpy()[order])
    bgeoms = bgeoms[order]
    if points is None:
        points = shapely.point_on_surface(bgeoms)
    else:
        points = points[keep][order]
    spec = _block_spec()
    if columns is None:
        props = _encode_columns(bl, spec)
    else:
        frame, coded, at = columns
        props = _encode_rows(frame, spec, coded, at[keep][order])
    payload = {
        "layer": {
            "geom": _encode_polygons(bgeoms, precision=precision),
            "props": props,
        },
        "labels": _label_points(points, precision),
        "kinds": [
            {"key": k, "label": label, "count": int((bl["kind"] == k).sum())}
            for k, label in _BLOCK_KINDS.items()
        ],
        "minMu": min_mu,
    }
    return bgeoms, payload


def _block_spec() -> dict[str, int | None]:
    """The blocks' popup columns with their decimals (:data:`_BLOCK_PROPS`) and ``kind``."""
    return {k: v[1] for k, v in _BLOCK_PROPS.items()} | {"kind": None}


def _block_columns(blocks: pd.DataFrame) -> tuple[pd.DataFrame, Mapping[str, Any]]:
    """The blocks' popup columns (:func:`_block_spec`, ``kind`` by :func:`_block_kind`)
    and each worked out once (:func:`_column_codes`), for the maps that draw them."""
    spec = _block_spec()
    frame = pd.DataFrame(blocks[[c for c in spec if c in blocks.columns]])
    frame = frame.assign(kind=_block_kind(blocks).to_numpy())
    return frame, _column_codes(frame, spec)


def _label_points(points: np.ndarray, precision: int) -> list[list[float]]:
    """``[lon, lat]`` of each point, each rounded by Python's ``round`` to ``precision``.

    The coordinates are read in one call (:func:`shapely.get_coordinates`), not point by
    point; a missing or empty point (none is: points on non-empty polygons) reads as before.
    """
    if not len(points):
        return []
    if (shapely.is_missing(points) | shapely.is_empty(points)).any():
        return [[round(float(p.x), precision), round(float(p.y), precision)] for p in points]
    xy = shapely.get_coordinates(points)
    digits = itertools.repeat(precision)
    lon = map(round, xy[:, 0].tolist(), digits)  # C loops: Python's round of each float
    lat = map(round, xy[:, 1].tolist(), digits)
    return list(map(list, zip(lon, lat, strict=True)))


def _supply_legend(parcels: pd.DataFrame) -> list[dict[str, Any]] | None:
    """The 批供用 statuses with their colours and counts; ``None`` without the column."""
    if "supply_status" not in parcels.columns:
        return None
    # counted in the column's own type (Arrow text by Arrow), not copied to Python objects
    counts = parcels["supply_status"].value_counts()
    return [
        {"key": k, "label": label, "fill": fill, "stroke": stroke, "count": int(counts.get(k, 0))}
        for k, (label, fill, stroke) in SUPPLY_STYLES.items()
    ]


def build_map(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    *,
    blocks: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str = DEFAULT_TITLE,
    audit_date: str | dt.date | None = None,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    simplify: float = 0.1,
    precision: int = 6,
    links: Sequence[tuple[str, str]] = (),
    block_min_mu: float | None = None,
    policy: Policy | None = None,
    as_of: str | dt.date | None = None,
    note: str | None = None,
    statuses: Sequence[str] | None = None,
) -> folium.Map:
    """Build the interactive map of parks, parcels and blocks.

    Parameters
    ----------
    parks
        Parks with ``park_id`` (one row per park, as :attr:`AuditResult.parks
        <xsland.result.AuditResult>` and the ``parks`` layer of ``audit.gpkg``); ``name``,
        ``town``, ``park_type``, areas and ``chk_*`` feed the popups. Several features per
        park with a ``zone`` column are drawn as zones.
    parcels
        Audited parcels with ``parcel_id`` (:attr:`AuditResult.parcels`); status from
        ``far``, ``far_min``, ``far_ok`` and, when present, ``low_efficiency``; ``reasons_zh``
        (or ``reasons``) and ``block_id`` are shown in popups when present.
    blocks
        Contiguous redevelopment blocks with ``block_id`` (and ``area_mu``, ``route`` …),
        outlined and labelled; left out when ``None``.
    zones
        Park features with ``park_id`` and ``zone`` (``core`` / ``expansion``), e.g. the
        parks input layer, drawn solid (core) and dashed (expansion). Without them the
        dissolved park outlines are drawn, unless ``parks`` itself has a ``zone`` column.
    title
        Title shown on the map (the park, town or district) and in the browser tab.
    audit_date
        Date of the audit shown under the title; default today.
    as_of
        Date idle land (闲置土地) is judged at (the audit's ``as_of``), shown beside the
        audit date; left out when ``None``.
    note
        A line shown under the title (e.g. what a large district map leaves out).
    statuses
        Draw only the parcels of these statuses (keys of :data:`STATUSES`); the legend
        counts every parcel and marks the other statuses as not drawn. Default all.
    basemap
        Starting basemap, a key of :data:`BASEMAPS`: ``osm``, ``tianditu_vec``,
        ``tianditu_img``, ``amap``, ``amap_satellite`` or ``none``. With ``amap*`` every
        overlay is shifted to GCJ-02.
    tianditu_key
        天地图 key; default the environment variable ``TIANDITU_KEY``. Without a key the
        天地图 basemaps are left out (:class:`BasemapWarning`), and a 天地图 ``basemap``
        falls back to OpenStreetMap. The key is written into the HTML's tile URLs.
    simplify
        Tolerance in metres of a topology-preserving simplification of parcels, parks and
        blocks (vertices only removed, none moved); ``0`` keeps every vertex. Leaflet
        simplifies again per zoom level when drawing.
    precision
        Decimals of the embedded degrees: 6 is about 0.1 m.
    links
        ``(label, href)`` pairs shown under the title (e.g. the town maps).
    block_min_mu
        The reportable block size in 亩 (default ``policy.block_min_mu``), named in the
        legend: which blocks are below it is the audit's ``below_threshold`` (never
        recomputed here). Reportable blocks are drawn bold and labelled first, those
        below it dashed, single-parcel blocks dotted.
    policy
        The policy the audit applied (:attr:`AuditResult.policy
        <xsland.result.AuditResult>`; default the default policy): the thresholds in the
        park popups' check names and the legend.

    Returns
    -------
    folium.Map
        A map whose scripts and stylesheets are all inline; render it with
        :func:`render_map` or write it with :func:`write_map`. Inputs are not modified.

    Raises
    ------
    DataError
        If a layer is not a GeoDataFrame, lacks its ID column or there is nothing to draw.
    CRSError
        If a layer has no CRS.
    PolicyError
        For an unknown ``basemap``.
    """
    return _build_map(
        parks,
        parcels,
        blocks=blocks,
        zones=zones,
        title=title,
        audit_date=audit_date,
        basemap=basemap,
        tianditu_key=tianditu_key,
        simplify=simplify,
        precision=precision,
        links=links,
        block_min_mu=block_min_mu,
        policy=policy,
        as_of=as_of,
        note=note,
        statuses=statuses,
    )


def _build_map(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    *,
    blocks: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str = DEFAULT_TITLE,
    audit_date: str | dt.date | None = None,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    simplify: float = 0.1,
    precision: int = 6,
    links: Sequence[tuple[str, str]] = (),
    block_min_mu: float | None = None,
    policy: Policy | None = None,
    as_of: str | dt.date | None = None,
    note: str | None = None,
    statuses: Sequence[str] | None = None,
    parcel_lonlat: np.ndarray | None = None,
    block_lonlat: np.ndarray | None = None,
    block_points: np.ndarray | None = None,
    block_columns: tuple[pd.DataFrame, Mapping[str, Any], np.ndarray] | None = None,
    parcel_status: np.ndarray | None = None,
    zone_lonlat: np.ndarray | None = None,
) -> folium.Map:
    """:func:`build_map`, given the drawable geometries of the parcels and blocks when
    they are already converted (``parcel_lonlat``, ``block_lonlat``: :func:`_drawable`
    of the same rows with the same ``basemap`` system and ``simplify``) and the blocks'
    label points (``block_points``: :func:`shapely.point_on_surface` of ``block_lonlat``),
    and their popup columns worked out once (``block_columns``: see :func:`_blocks_payload`),
    the parcels' statuses (``parcel_status``: :func:`_status_codes`, row for row) and the
    drawable geometries of ``zones`` (``zone_lonlat``, row for row, as for the blocks)."""
    _require(parks, "parks", ["park_id"])
    _require(parcels, "parcels", ["parcel_id"])
    if blocks is not None:
        _require(blocks, "blocks", ["block_id"])
    if zones is None and "zone" in parks.columns and parks["park_id"].duplicated().any():
        zones, zone_lonlat = parks, None
    if zones is not None:
        _require(zones, "zones", ["park_id"])
        inside = zones["park_id"].isin(parks["park_id"])
        zones = zones[inside]
        zone_lonlat = None if zone_lonlat is None else zone_lonlat[inside.to_numpy(dtype=bool)]
    start, offered, system = _resolve_basemaps(basemap, tianditu_key)

    shown = None if statuses is None else frozenset(statuses)
    if shown is not None and not shown <= {s.key for s in STATUSES}:
        raise PolicyError(
            f"unknown parcel status(es) {sorted(shown - {s.key for s in STATUSES})}; "
            f"choose among {', '.join(s.key for s in STATUSES)}"
        )
    pgeoms, parcel_layers, counts = _parcel_payload(
        parcels,
        system=system,
        simplify=simplify,
        precision=precision,
        shown=shown,
        lonlat=parcel_lonlat,
        status=parcel_status,
    )
    policy = Policy() if policy is None else policy
    kgeoms, parks_payload, has_zones = _parks_payload(
        parks,
        zones,
        system=system,
        simplify=simplify,
        precision=precision,
        policy=policy,
        lonlat=zone_lonlat,
    )
    bgeoms, blocks_payload = _blocks_payload(
        blocks,
        system=system,
        simplify=simplify,
        precision=precision,
        min_mu=policy.block_min_mu if block_min_mu is None else float(block_min_mu),
        lonlat=block_lonlat,
        points=block_points,
        columns=block_columns,
    )
    bounds = _bounds([pgeoms, kgeoms, bgeoms])
    if bounds is None:
        raise DataError("nothing to map: the parks and parcels have no polygon")
    payload = {
        "title": title,
        "auditDate": _date_text(audit_date),
        "asOf": _date_text(as_of) if _text(as_of) else None,
        "note": _text(note),
        "basemap": start,
        "system": system,
        "basemaps": [
            {
                "key": b.key,
                "label": b.label,
                "tiles": [{"url": url, "options": opts} for url, opts in b.tiles],
            }
            for b in offered
        ],
        "bounds": bounds,
        "statuses": [
            {
                "key": s.key,
                "label": s.label,
                "fill": s.fill,
                "stroke": s.stroke,
                "count": counts[s.key],
                "shown": shown is None or s.key in shown,
            }
            for s in STATUSES
        ],
        "style": _STYLE,
        "m2PerMu": M2_PER_MU,  # the page's fallback 亩 from m² uses the one constant
        "zones": _ZONES_ZH,
        "categories": _CATEGORIES_ZH,
        "hasZones": has_zones,
        "nParks": len(parks_payload["info"]),
        "parks": parks_payload,
        "parcels": parcel_layers,
        "blocks": blocks_payload,
        "maxParkLabels": 300,
        "maxBlockLabels": 40,
        "blockFields": [[k, label, d] for k, (label, d) in _BLOCK_PROPS.items()],
        "supply": _supply_legend(parcels),
        "links": [[str(label), str(href)] for label, href in links],
    }

    (south, west), (north, east) = bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
    )
    # no CDN: folium's links (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers)
    # are dropped from this instance and Leaflet is inlined from xstatic-leaflet
    m.default_js = []
    m.default_css = []
    js, css = leaflet_assets()
    figure = m.get_root()
    # after the charset declaration (branca's Figure puts its title before it)
    head = _templates().get_template("map_head.html.j2")
    text = head.render(
        title=title,
        leaflet_css=markupsafe.Markup(css),
        leaflet_js=markupsafe.Markup(js),
        css=markupsafe.Markup(_asset("map.css").replace("</style", "<\\/style")),
    )
    figure.header.add_child(_Raw(text), name="xsland_head")
    m.add_child(_Overlays(json_bytes_for_html(payload)), name="xsland_overlays")
    return m


_EXTERNAL = re.compile(
    r"<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE
)


def render_map(m: folium.Map) -> str:
    """The HTML of a map, checked to load no script or stylesheet from the network.

    Parameters
    ----------
    m
        A map from :func:`build_map` (possibly with more folium elements added).

    Returns
    -------
    str
        The complete HTML document.

    Raises
    ------
    XslandError
        If the page would load a script or stylesheet over the network (e.g. a folium
        plugin added to the map), which breaks opening it offline.
    """
    parts = _page_parts(m)
    return "".join(p if isinstance(p, str) else p.decode("utf-8") for p in parts)


def _page_parts(m: folium.Map) -> list[str | bytes]:
    """The HTML of a map as :func:`render_map` checks it: the page's text in pieces with
    each overlay's data (UTF-8 bytes) between them, in order."""
    overlays = [c for c in m._children.values() if isinstance(c, _Overlays)]
    for o in overlays:  # the page without the embedded data, each in one place
        o.deferred = True
    try:
        text = m.get_root().render()
    finally:
        for o in overlays:
            o.deferred = False
    # the data has no "<" (json_for_html) and follows a ">": no link starts in or spans it
    found = _EXTERNAL.search(text)
    if found:
        start = max(found.start() - 20, 0)
        raise XslandError(
            "the map would load a script or stylesheet from the network "
            f"({text[start : found.end() + 60]!r}); maps must open offline: inline it or "
            "leave out the folium plugin that adds it"
        )
    marked = sorted((text.find(o.mark), o) for o in overlays if o.mark in text)
    parts: list[str | bytes] = []
    end = 0
    for at, o in marked:  # in the page's order
        parts += [text[end:at], o._payload]
        end = at + len(o.mark)
    return [*parts, text[end:]]


def write_map(m: folium.Map | str, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write a map (or its HTML) to ``path`` atomically, as UTF-8.

    Parameters
    ----------
    m
        A map from :func:`build_map`, or HTML from :func:`render_map`.
    path
        The ``.html`` file.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path

    Raises
    ------
    OutputExistsError
        If ``path`` exists and not ``overwrite``.
    """
    parts = [m] if isinstance(m, str) else _page_parts(m)
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp, tmp.open("wb") as f:
        for part in parts:  # text as Path.write_text writes it; the data as it is
            if isinstance(part, str):
                part = part.replace("\n", os.linesep).encode("utf-8")
            f.write(part)
    return target


# -- audits -------------------------------------------------------------------------------------

_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}


def town_file_name(town: Any) -> str:
    """A file name (without folder) for a town's map, safe on Windows, macOS and Linux.

    Chinese names are kept; path separators, ``<>:"|?*`` and control characters become
    ``_``; trailing dots and spaces are removed; Windows device names get a ``_`` prefix.

    Examples
    --------
    >>> town_file_name("东亭街道")
    '东亭街道.html'
    >>> town_file_name("a/b\\\\c:d")
    'a_b_c_d.html'
    >>> town_file_name("CON")
    '_CON.html'
    """
    name = _text(town) or NO_TOWN
    name = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", name).strip().rstrip(". ")
    if not name or set(name) <= {"_", "."}:
        name = "_" + name if name else "town"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return safe_filename(name, ".html")  # cut by bytes: 100 CJK characters are 300


def _town_of_parks(parks: pd.DataFrame) -> pd.Series:
    if "town" not in parks.columns:
        return pd.Series(NO_TOWN, index=parks.index, dtype=object)
    return pd.Series([_town(t) or NO_TOWN for t in parks["town"]], index=parks.index)


def _town(v: Any) -> str | None:
    """A town name without surrounding spaces; ``None`` for none."""
    text = _text(v)
    return text.strip() if text else None


def write_maps(
    result: AuditResult,
    out_dir: str | os.PathLike,
    *,
    blocks: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    audit_date: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    simplify: float = 0.1,
    towns: bool = True,
    overwrite: bool = True,
    max_parcels: int | None = None,
    parcel_drawing: ParcelDrawing | None = None,
) -> list[Path]:
    """Write ``map.html`` (all parks) and ``maps/<town>.html`` (one per town).

    Parameters
    ----------
    result
        The audit (a finished one: :meth:`xsland.AuditResult.read`).
    out_dir
        Folder to write into (created if needed).
    blocks, zones
        Override the result's ``blocks`` and ``park_zones`` (see :func:`build_map`).
    title
        Base title; the maps show "<title> · 全部园区" and "<title> · <town>". Default the
        audit's title, else :data:`DEFAULT_TITLE`.
    audit_date
        Default the audit's date, else today.
    as_of
        The date idle land is judged at; default the audit's ``as_of`` (its ``meta``).
    basemap, tianditu_key, simplify
        As in :func:`build_map`.
    towns
        Also write the town maps.
    max_parcels
        Above this many parcels ``map.html`` shows the parks, the blocks and the flagged
        parcels only (low-efficiency, or below their FAR minimum), and when the flagged
        parcels alone are more, the parks and the blocks only; it says so under its
        title; the town maps show every parcel. Default
        :data:`DISTRICT_MAP_MAX_PARCELS` (20,000).
    overwrite
        Replace existing maps; ``maps/`` is replaced as a whole, so maps of towns that no
        longer exist do not linger.
    parcel_drawing
        The parcels' drawable geometries converted ahead (:func:`draw_parcels`): each
        parcel whose geometry is the very object converted there takes its drawing, the
        others are converted here; one that failed or was made with another ``basemap``
        system or ``simplify`` is not used. The maps are the same with or without it.

    Returns
    -------
    list of Path
        ``map.html`` then the town maps, in town order.

    Notes
    -----
    Every town named by a park or by a parcel gets a map, also a town without a park.
    A town's map holds the parks whose ``town`` is that town, their parcels, the other
    parcels (outside every park, or of a park not in ``parks``) whose own ``town`` column
    names it, and the blocks of those parcels (by the blocks' ``town``, else ``block_id``,
    else those intersecting them). Town names are compared without surrounding spaces.
    Parks without a town go to ``(未注明).html``. Every file is written atomically.
    """
    if not isinstance(result, AuditResult):
        raise DataError(
            "write_maps needs an AuditResult (xsland.AuditResult.read(folder) reads a "
            f"finished audit), not {type(result).__name__}"
        )
    parks, parcels = result.parks, result.parcels
    blocks = blocks if blocks is not None else result.blocks
    zones = zones if zones is not None else result.park_zones
    base_title = title or result.meta.get("title") or DEFAULT_TITLE
    date = audit_date if audit_date is not None else result.run_date
    options = {
        "audit_date": date,
        "as_of": as_of if as_of is not None else (result.meta.get("as_of") or None),
        "basemap": basemap,
        "tianditu_key": tianditu_key,
        "simplify": simplify,
        # the thresholds of the policy applied, never the defaults (issue 18)
        "policy": result.policy,
    }
    out = Path(out_dir)
    town = _town_of_parks(parks)
    names: dict[str, str] = {}
    used: set[str] = set()
    parcel_town = _parcel_towns(parcels, parks, town)
    for t in sorted(set(town) | set(parcel_town.dropna())):
        name = town_file_name(t)
        stem, n = name[: -len(".html")], 2
        while name.lower() in used:
            name, n = f"{stem}-{n}.html", n + 1
        used.add(name.lower())
        names[t] = name
    links = [(t, "maps/" + urllib.parse.quote(f)) for t, f in names.items()] if towns else []
    limit = DISTRICT_MAP_MAX_PARCELS if max_parcels is None else int(max_parcels)
    status = _status_codes(parcels)  # once, for the district map and each town's
    statuses, note = _district_statuses(parcels, limit=limit, towns=towns, status=status)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # every parcel and block converted to lon/lat once, each map takes its rows
        _require(parks, "parks", ["park_id"])  # the checks of build_map, in its order
        _require(parcels, "parcels", ["parcel_id"])
        parcels = _map_columns(parcels)  # each town's rows are taken of these only
        if blocks is not None:
            _require(blocks, "blocks", ["block_id"])
        system = _resolve_basemaps(basemap, tianditu_key)[2]
        if zones is not None:  # as _build_map checks them; converted once for every map
            _require(zones, "zones", ["park_id"])
        zone_ll = (
            None
            if zones is None
            else _polygonal(_lonlat(zones.geometry, system=system, simplify=simplify))
        )
        parcel_ll = (
            _parcels_drawable(
                parcels.geometry, system=system, simplify=simplify, drawing=parcel_drawing
            )
            if towns and len(parcels)
            else None
        )
        block_ll = block_pts = block_cols = None
        if blocks is not None:
            block_ll = _drawable(blocks.geometry, system=system, simplify=simplify)
            block_pts = shapely.point_on_surface(block_ll)
            block_cols = _block_columns(blocks)  # once for every map, each its rows
        m = _build_map(
            parks,
            parcels,
            blocks=blocks,
            zones=zones,
            title=f"{base_title} · 全部园区",
            links=links,
            statuses=statuses,
            note=note,
            parcel_lonlat=parcel_ll,
            block_lonlat=block_ll,
            block_points=block_pts,
            block_columns=None if block_cols is None else (*block_cols, np.arange(len(blocks))),
            parcel_status=status,
            zone_lonlat=zone_ll,
            **options,
        )
        written = [write_map(m, out / "map.html", overwrite=overwrite)]
        del m
        if towns:
            keys = _block_keys(blocks)  # once, not once per town
            with atomic_dir(out / "maps", overwrite=overwrite) as tmp:
                for t, fname in names.items():
                    in_town = (parcel_town == t).to_numpy(dtype=bool)
                    tp = parcels[in_town]
                    tb = _town_blocks(blocks, tp, t, keys=keys)
                    tm = _build_map(
                        parks[(town == t).to_numpy()],
                        tp,
                        blocks=None if tb is None else blocks[tb],
                        zones=zones,
                        title=f"{base_title} · {t}",
                        links=[("全部园区", "../map.html")],
                        parcel_lonlat=None if parcel_ll is None else parcel_ll[in_town],
                        block_lonlat=None if tb is None or block_ll is None else block_ll[tb],
                        block_points=None if tb is None or block_pts is None else block_pts[tb],
                        block_columns=(
                            None
                            if tb is None or block_cols is None
                            else (*block_cols, np.flatnonzero(tb))
                        ),
                        parcel_status=status[in_town],
                        zone_lonlat=zone_ll,
                        **options,
                    )
                    write_map(tm, tmp / fname)
            written += [out / "maps" / f for f in names.values()]
    seen: set[str] = set()
    for w in caught:  # say each basemap warning once, not once per map
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return written


def _district_statuses(
    parcels: pd.DataFrame, *, limit: int, towns: bool, status: np.ndarray | None = None
) -> tuple[tuple[str, ...] | None, str | None]:
    """What the district map draws at this size, and the note that says so.

    Up to ``limit`` parcels: all (``None``, no note). Above it, the flagged ones
    (:data:`_FLAGGED`: low-efficiency or below their FAR minimum); when those alone are
    more than ``limit``, no parcel at all — the parks and the blocks, which summarise
    them — so that the page stays usable whatever the size of the audit. ``status``: the
    parcels' :func:`_status_codes`, when already worked out.
    """
    if len(parcels) <= limit:
        return None, None
    where = "各镇街地图" if towns else "audit.gpkg"
    code = _status_codes(parcels) if status is None else status
    flagged = int(np.isin(code, [_AT[k] for k in _FLAGGED]).sum())
    if flagged > limit:
        return (), (
            f"地块 {len(parcels):,} 宗，其中低效或容积率低于下限的 {flagged:,} 宗，超过 "
            f"{limit:,} 宗：本图只显示园区和连片地块，地块见{where}"
        )
    return _FLAGGED, (
        f"地块 {len(parcels):,} 宗，超过 {limit:,} 宗：本图只显示园区、连片地块及低效或"
        f"容积率低于下限的地块，全部地块见{where}"
    )


def _parcel_towns(parcels: pd.DataFrame, parks: pd.DataFrame, park_town: pd.Series) -> pd.Series:
    """The town map each parcel goes to (``None``: none).

    A parcel of a known park goes to that park's town; any other parcel (outside every
    park, or of a park not in ``parks``) to the town its own ``town`` column names.
    """
    own = pd.Series(None, index=parcels.index, dtype=object)
    if "town" in parcels.columns:  # each distinct text once (_texts), not each parcel
        codes, texts = _texts(parcels["town"])
        names = np.array([t.strip() for t in texts] + [None], dtype=object)
        own = pd.Series(names[codes], index=parcels.index, dtype=object)
    if "park_id" not in parcels.columns:
        return own
    by_park = dict(zip(parks["park_id"].map(_text), park_town, strict=True))
    codes, ids = _texts(parcels["park_id"])
    of_park = pd.Series(
        np.array([by_park.get(i) for i in ids] + [None], dtype=object)[codes],
        index=parcels.index,
        dtype=object,
    )
    return of_park.where(of_park.notna(), own).astype(object)


def _block_keys(blocks: gpd.GeoDataFrame | None) -> tuple[np.ndarray | None, pd.Series | None]:
    """What :func:`_town_blocks` compares, worked out once for every town's map: each
    block's town (:func:`_town`, each distinct text once by :func:`_texts`) when the
    blocks have a ``town``, else their ``block_id`` as text (:func:`_text`)."""
    if blocks is None:
        return None, None
    if "town" in blocks.columns:
        codes, texts = _texts(blocks["town"])
        names = np.array([t.strip() for t in texts] + [None], dtype=object)
        return names[codes], None
    return None, blocks["block_id"].map(_text)


def _town_blocks(
    blocks: gpd.GeoDataFrame | None,
    town_parcels: gpd.GeoDataFrame,
    town: str,
    *,
    keys: tuple[np.ndarray | None, pd.Series | None] | None = None,
) -> np.ndarray | None:
    """Which blocks (a mask over their rows) a town's map draws; ``None`` without blocks.

    ``keys``: :func:`_block_keys` of ``blocks``, when already worked out.
    """
    if blocks is None:
        return None
    block_towns, block_ids = _block_keys(blocks) if keys is None else keys
    if block_towns is not None:
        return np.asarray(block_towns == town, dtype=bool)
    if "block_id" in town_parcels.columns:
        ids = set(town_parcels["block_id"].dropna().map(_text))
        return block_ids.isin(ids).to_numpy(dtype=bool)
    if town_parcels.empty:
        return np.zeros(len(blocks), dtype=bool)
    hits = gpd.sjoin(
        blocks[["block_id", blocks.geometry.name]],
        town_parcels[[town_parcels.geometry.name]].to_crs(blocks.crs),
        predicate="intersects",
    )
    return blocks.index.isin(hits.index)
