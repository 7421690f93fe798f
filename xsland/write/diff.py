"""Change between two audits (动态调整).

锡府办规〔2025〕1号 (三、保障措施) asks for a dynamic adjustment of the parks; its
targets fall due at the end of 2027 (二(二)4, 二(三)7). :func:`diff_audits` compares
two finished audits — two output folders of ``xsland audit``, or their layers — and
says what changed:

- **parcels**, matched by geometry, not by ID: the overlap graph between old and new
  parcels (an STRtree query and the intersection areas; a pair counts when it shares
  more than ``min_overlap`` of the smaller parcel) is cut into connected components
  (:func:`scipy.sparse.csgraph.connected_components`). A component of one old and one
  new parcel is the same parcel (``unchanged``, ``reshaped`` or ``id_changed``); one old
  and several new is a ``split``, several old and one new a ``merged`` parcel, several
  of each ``reorganised`` (re-cut land), a new parcel alone ``added``, an old parcel
  alone ``removed``. Each component carries its plot ratio before and after and, when
  both audits flag low-efficiency land, whether it ``entered`` or ``left`` that set;
- **park checks**: every ``chk_*`` of every park, old and new status, and whether it
  ``improved`` or ``worsened``;
- **blocks** (连片地块, when both audits have them): ``cleared``, ``new``, ``changed``,
  ``unchanged``;
- **targets**: progress toward the 2027 targets — leading-industry shares and chain
  leaders per park, provincial innovation platforms across the parks, and the share of
  parcels meeting their FAR minimum.

:func:`write_diff` writes ``diff.xlsx`` (Chinese headers), ``diff.gpkg`` and
``diff_map.html`` (a self-contained change map) into one folder, atomically.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from xsland._html import json_for_html
from xsland.errors import DataError, XslandError
from xsland.judge.audit import CHECKS
from xsland.measure.area import M2_PER_MU
from xsland.measure.quality import intersection_areas
from xsland.read.crs import metric_crs
from xsland.read.values import as_bool
from xsland.result import AuditResult
from xsland.rules.policy import Policy
from xsland.write.report import HEADERS_ZH, atomic_dir, atomic_file, write_gpkg, write_workbook

__all__ = [
    "BLOCK_STATUSES",
    "CHANGE_TYPES",
    "CHANGE_ZH",
    "DIFF_HEADERS_ZH",
    "DiffResult",
    "diff_audits",
    "match_parcels",
    "write_diff",
]

#: Kinds of parcel change, in the order tables list them.
CHANGE_TYPES = (
    "added",
    "removed",
    "merged",
    "split",
    "reorganised",
    "reshaped",
    "id_changed",
    "unchanged",
)

#: Chinese labels of the parcel changes.
CHANGE_ZH = {
    "added": "新增地块",
    "removed": "注销地块",
    "merged": "合并",
    "split": "分割",
    "reorganised": "重新划分",
    "reshaped": "边界调整",
    "id_changed": "编号变更",
    "unchanged": "未变",
}

#: Statuses of a contiguous redevelopment block between two audits.
BLOCK_STATUSES = ("cleared", "new", "changed", "unchanged")
_BLOCK_ZH = {"cleared": "已清零", "new": "新增", "changed": "变化", "unchanged": "未变"}
_TREND_ZH = {
    "improved": "改善",
    "worsened": "退步",
    "changed": "变化",
    "new_park": "新增园区",
    "removed_park": "撤销园区",
    "": "",
}

#: Chinese headers of the diff tables that :data:`xsland.write.report.HEADERS_ZH` lacks.
DIFF_HEADERS_ZH = {
    "match_id": "匹配组",
    "change": "变化类型",
    "change_zh": "变化",
    "old_ids": "原地块编号",
    "new_ids": "现地块编号",
    "n_old": "原地块数",
    "n_new": "现地块数",
    "geometry_changed": "边界变化",
    "area_old_m2": "原面积(平方米)",
    "area_new_m2": "现面积(平方米)",
    "area_old_mu": "原面积(亩)",
    "area_new_mu": "现面积(亩)",
    "far_old": "原容积率",
    "far_new": "现容积率",
    "far_change": "容积率变化",
    "lowuse_old": "原低效",
    "lowuse_new": "现低效",
    "lowuse_change": "低效变化",
    "block_old": "原连片地块",
    "block_new": "现连片地块",
    "old": "上次",
    "new": "本次",
    "val_old": "上次数值",
    "val_new": "本次数值",
    "changed": "有变化",
    "trend": "趋势",
    "trend_zh": "趋势(中文)",
    "target": "目标",
    "scope": "范围",
    "change_value": "变化量",
    "met_old": "上次达标",
    "met_new": "本次达标",
    "gap_old": "上次差距",
    "gap_new": "本次差距",
    "progress": "差距缩小比例",
    "due": "期限",
    "block_id_old": "原连片编号",
    "block_id_new": "现连片编号",
    "status_zh": "状态",
    "area_mu_old": "原面积(亩)",
    "area_mu_new": "现面积(亩)",
    "share_in_new_blocks": "仍在连片内比例",
    "parcel_ids_old": "原地块",
    "parcels_still_low": "仍低效地块数",
    "route_old": "原建议路径",
    "route_new": "现建议路径",
}

_EMPTY = ""


# -- reading ------------------------------------------------------------------------------


def _layers(result: AuditResult, which: str) -> dict[str, Any]:
    """The tables of one audit that :func:`diff_audits` compares, checked."""
    if not isinstance(result, AuditResult):
        raise DataError(
            f"{which} audit: expected an AuditResult (xsland.AuditResult.read(folder) reads "
            f"a finished audit), not {type(result).__name__}"
        )
    where = str(result.meta.get("source") or f"{which} audit result")
    parcels = result.parcels
    if "parcel_id" not in parcels.columns:
        raise DataError(
            f"{which} audit ({where}), layer 'parcels': needs a 'parcel_id' column. Fix: "
            "pass the parcels layer of an audit"
        )
    if parcels.crs is None:
        raise DataError(
            f"{which} audit ({where}), layer 'parcels' has no CRS. Fix: set it "
            "(gdf.set_crs(...)) or read the audit folder"
        )
    if "park_id" not in result.parks.columns:
        raise DataError(
            f"{which} audit ({where}), layer 'parks' has no 'park_id' column. Fix: pass the "
            "parks layer of an audit"
        )
    return {
        "source": where,
        "parks": result.parks,
        "parcels": parcels,
        "blocks": result.blocks,
        "district": result.district,
        "rules": result.rules,
    }


# -- parcels -------------------------------------------------------------------------------


def _clean_geoms(gdf: gpd.GeoDataFrame, crs: Any) -> np.ndarray:
    """Polygons in ``crs`` with invalid ones repaired (a copy; the input is untouched)."""
    geoms = np.asarray(gdf.geometry.to_crs(crs).to_numpy(), dtype=object).copy()
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _overlapping(
    og: np.ndarray, ng: np.ndarray, a_o: np.ndarray, a_n: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (old, new) sharing more than ``share`` of the smaller polygon's area.

    One STRtree query; the overlap of the bounding boxes bounds the shared area from
    above, so neighbours that only touch (nearly every candidate pair) are dropped before
    any intersection; a pair where one polygon covers the other shares the smaller area
    (prepared predicates); only the remaining pairs are intersected, in one call.
    """
    if not len(og) or not len(ng):
        return np.array([], dtype=int), np.array([], dtype=int)
    ri, li = shapely.STRtree(og).query(ng, predicate="intersects")
    bo, bn = shapely.bounds(og[li]), shapely.bounds(ng[ri])
    w = np.minimum(bo[:, 2], bn[:, 2]) - np.maximum(bo[:, 0], bn[:, 0])
    h = np.minimum(bo[:, 3], bn[:, 3]) - np.maximum(bo[:, 1], bn[:, 1])
    need = share * np.minimum(a_o[li], a_n[ri])
    keep = np.clip(w, 0, None) * np.clip(h, 0, None) > need
    li, ri, need = li[keep], ri[keep], need[keep]
    shared = np.full(len(li), np.nan)
    for a, b, small in ((og, ng, a_n), (ng, og, a_o)):
        x, y = (li, ri) if a is og else (ri, li)
        todo = np.isnan(shared)
        was = shapely.is_prepared(a)
        shapely.prepare(a)  # a cache only; removed again below
        try:
            covered = shapely.covers(a[x[todo]], b[y[todo]])
        finally:
            shapely.destroy_prepared(a[~was])
        rows = np.flatnonzero(todo)[covered]
        shared[rows] = small[y[rows]]
    rest = np.isnan(shared)
    shared[rest] = shapely.area(shapely.intersection(og[li[rest]], ng[ri[rest]]))
    keep = shared > need
    return li[keep], ri[keep]


def match_parcels(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    min_overlap: float = 0.05,
    tolerance: float = 0.5,
) -> pd.DataFrame:
    """Match old and new parcels by geometry.

    Two parcels are linked when their intersection is larger than ``min_overlap`` of
    the smaller one's area. The connected components of this bipartite graph are the
    matches: 1 old – 1 new is the same parcel, ``unchanged`` when the IDs are equal and
    the Hausdorff distance between the outlines is at most ``tolerance`` metres,
    ``reshaped`` when only the outline moved, ``id_changed`` when the ID differs
    (whether or not the outline moved: see ``geometry_changed``); 1 – k is ``split``,
    k – 1 ``merged``, k – l (k, l > 1) ``reorganised``; 0 – 1 ``added``; 1 – 0 ``removed``.

    Parameters
    ----------
    old, new
        Parcels with ``parcel_id`` and a CRS (any; measured in the metric CRS of ``old``).
    min_overlap
        Share of the smaller parcel two parcels must share to be linked (0 < x < 1).
    tolerance
        Largest Hausdorff distance (m) between outlines still counted as equal.

    Returns
    -------
    DataFrame
        One row per parcel of either side: ``side`` (``old``/``new``), ``row`` (position
        in its layer), ``parcel_id``, ``match_id`` (the component), ``change`` and
        ``geometry_changed``.

    Raises
    ------
    DataError
        If ``min_overlap`` is not between 0 and 1.
    """
    if not 0 < min_overlap < 1:
        raise DataError(f"min_overlap = {min_overlap!r}: use a share between 0 and 1, e.g. 0.05")
    crs = metric_crs(old if len(old) else new)
    og, ng = _clean_geoms(old, crs), _clean_geoms(new, crs)
    n_o, n_n = len(og), len(ng)
    a_o, a_n = shapely.area(og), shapely.area(ng)
    li, ri = _overlapping(og, ng, a_o, a_n, min_overlap)
    graph = coo_matrix(
        (np.ones(len(li), dtype=np.int8), (li, n_o + ri)), shape=(n_o + n_n, n_o + n_n)
    )
    n_comp, label = connected_components(graph, directed=False)
    lo, ln = label[:n_o], label[n_o:]
    k_old = np.bincount(lo, minlength=n_comp)
    k_new = np.bincount(ln, minlength=n_comp)
    change = np.full(n_comp, "reorganised", dtype=object)
    change[(k_old == 1) & (k_new == 0)] = "removed"
    change[(k_old == 0) & (k_new == 1)] = "added"
    change[(k_old == 1) & (k_new > 1)] = "split"
    change[(k_old > 1) & (k_new == 1)] = "merged"
    moved = np.zeros(n_comp, dtype=bool)
    one = np.flatnonzero((k_old == 1) & (k_new == 1))
    if len(one):
        old_of = np.full(n_comp, -1)
        old_of[lo] = np.arange(n_o)
        new_of = np.full(n_comp, -1)
        new_of[ln] = np.arange(n_n)
        oi, ni = old_of[one], new_of[one]
        old_ids = old["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None)
        new_ids = new["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None)
        same_id = old_ids[oi] == new_ids[ni]
        moved[one] = ~(shapely.hausdorff_distance(og[oi], ng[ni]) <= tolerance)
        change[one] = np.where(
            ~same_id, "id_changed", np.where(moved[one], "reshaped", "unchanged")
        )
    comp = np.concatenate([lo, ln])
    return pd.DataFrame(
        {
            "side": np.repeat(["old", "new"], [n_o, n_n]),
            "row": np.concatenate([np.arange(n_o), np.arange(n_n)]),
            "parcel_id": np.concatenate(
                [
                    old["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None),
                    new["parcel_id"].astype("string").to_numpy(dtype=object, na_value=None),
                ]
            ),
            "match_id": comp,
            "change": change[comp],
            "geometry_changed": moved[comp],
        }
    )


def _side_table(parcels: gpd.GeoDataFrame, links: pd.DataFrame, side: str) -> pd.DataFrame:
    """Per parcel of one side: match_id, id, area, floor area, far, low-efficiency, block."""
    rows = links[links["side"] == side]
    t = pd.DataFrame(
        {
            "match_id": rows["match_id"].to_numpy(),
            "parcel_id": rows["parcel_id"].to_numpy(),
            "area_m2": pd.to_numeric(parcels["area_m2"], errors="coerce").to_numpy(float)
            if "area_m2" in parcels.columns
            else shapely.area(parcels.geometry.to_crs(metric_crs(parcels)).to_numpy()),
            "far": pd.to_numeric(parcels["far"], errors="coerce").to_numpy(float)
            if "far" in parcels.columns
            else np.nan,
            "park_id": parcels["park_id"].to_numpy(dtype=object)
            if "park_id" in parcels.columns
            else None,
            "category": parcels["category"].to_numpy(dtype=object)
            if "category" in parcels.columns
            else None,
        }
    )
    t["floor_area"] = t["far"] * t["area_m2"]
    if "low_efficiency" in parcels.columns:
        t["low"] = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
    if "block_id" in parcels.columns:
        t["block"] = parcels["block_id"].astype("string").to_numpy(dtype=object, na_value=None)
    return t


def _join(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values if v is not None and v == v}))


def _aggregate(side: pd.DataFrame, n_comp: int, suffix: str) -> pd.DataFrame:
    """Per component: IDs, count, area, area-weighted FAR, low-efficiency, blocks."""
    g = side.groupby("match_id", sort=True)
    known = side["far"].notna()
    out = pd.DataFrame(index=pd.RangeIndex(n_comp, name="match_id"))
    single = g.size()
    out[f"n_{suffix}"] = single.reindex(out.index, fill_value=0).astype(int)
    # IDs: one parcel -> its ID directly; several -> sorted and joined (few components)
    first = g["parcel_id"].first()
    ids = first.astype(object).where(single == 1)
    multi = single.index[single > 1]
    if len(multi):
        ids.loc[multi] = (
            side[side["match_id"].isin(multi)].groupby("match_id")["parcel_id"].agg(_join)
        )
    out[f"{suffix}_ids"] = ids.reindex(out.index).fillna(_EMPTY)
    area = g["area_m2"].sum(min_count=1)
    out[f"area_{suffix}_m2"] = area.reindex(out.index)
    all_known = known.groupby(side["match_id"]).all().reindex(out.index, fill_value=False)
    fa = side["floor_area"].groupby(side["match_id"]).sum(min_count=1).reindex(out.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        far = (fa / out[f"area_{suffix}_m2"]).where(all_known.to_numpy(dtype=bool))
    out[f"far_{suffix}"] = far.astype(float)
    if "low" in side.columns:
        out[f"lowuse_{suffix}"] = (
            side["low"].groupby(side["match_id"]).any().reindex(out.index).astype("boolean")
        )
    if "block" in side.columns:
        blocks = g["block"].first().astype(object).where(single == 1)
        if len(multi):
            blocks.loc[multi] = (
                side[side["match_id"].isin(multi)].groupby("match_id")["block"].agg(_join)
            )
        out[f"block_{suffix}"] = blocks.reindex(out.index).fillna(_EMPTY)
    # the park and category of the largest parcel
    big = side.sort_values(["match_id", "area_m2"], ascending=[True, False]).drop_duplicates(
        "match_id"
    )
    out[f"park_{suffix}"] = big.set_index("match_id")["park_id"].reindex(out.index)
    out[f"category_{suffix}"] = big.set_index("match_id")["category"].reindex(out.index)
    return out


def _component_geometry(
    geoms: np.ndarray, match: np.ndarray, n_comp: int
) -> tuple[np.ndarray, np.ndarray]:
    """Union of the geometries of each component (``None`` where it has none)."""
    out = np.full(n_comp, None, dtype=object)
    counts = np.bincount(match, minlength=n_comp)
    single = counts[match] == 1
    out[match[single]] = geoms[single]
    multi = ~single
    if multi.any():
        frame = gpd.GeoDataFrame({"m": match[multi]}, geometry=list(geoms[multi]))
        dissolved = frame.dissolve("m")
        out[dissolved.index.to_numpy()] = dissolved.geometry.to_numpy()
    return out, counts > 0


def _parcel_changes(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    min_overlap: float,
    tolerance: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """The parcels table (one row per match), the old parcels of changes, and the links."""
    links = match_parcels(old, new, min_overlap=min_overlap, tolerance=tolerance)
    n_comp = int(links["match_id"].max()) + 1 if len(links) else 0
    crs = new.crs
    comp = (
        links.drop_duplicates("match_id")
        .set_index("match_id")[["change", "geometry_changed"]]
        .reindex(pd.RangeIndex(n_comp))
    )
    o = _aggregate(_side_table(old, links, "old"), n_comp, "old")
    n = _aggregate(_side_table(new, links, "new"), n_comp, "new")
    t = pd.concat([comp, o, n], axis=1)
    t.index.name = "match_id"
    t["change_zh"] = t["change"].map(CHANGE_ZH)
    t["far_change"] = t["far_new"] - t["far_old"]
    for suffix in ("old", "new"):
        t[f"area_{suffix}_mu"] = t[f"area_{suffix}_m2"] / M2_PER_MU
    t["park_id"] = t["park_new"].where(t["park_new"].notna(), t["park_old"])
    t["category"] = t["category_new"].where(t["category_new"].notna(), t["category_old"])
    has_low = "lowuse_old" in t.columns and "lowuse_new" in t.columns
    if has_low:
        was = t["lowuse_old"].fillna(False).to_numpy(dtype=bool)
        now = t["lowuse_new"].fillna(False).to_numpy(dtype=bool)
        t["lowuse_change"] = np.where(now & ~was, "entered", np.where(was & ~now, "left", ""))
    else:
        t = t.drop(columns=[c for c in ("lowuse_old", "lowuse_new") if c in t.columns])
    mo = links.loc[links["side"] == "old", "match_id"].to_numpy()
    mn = links.loc[links["side"] == "new", "match_id"].to_numpy()
    og = np.asarray(old.geometry.to_crs(crs).to_numpy(), dtype=object)
    ng = np.asarray(new.geometry.to_numpy(), dtype=object)
    g_new, has_new = _component_geometry(ng, mn, n_comp)
    g_old, _ = _component_geometry(og, mo, n_comp)
    geometry = np.where(has_new, g_new, g_old)
    columns = [
        "change",
        "change_zh",
        "old_ids",
        "new_ids",
        "n_old",
        "n_new",
        "park_id",
        "category",
        "geometry_changed",
        "area_old_m2",
        "area_new_m2",
        "area_old_mu",
        "area_new_mu",
        "far_old",
        "far_new",
        "far_change",
    ]
    columns += [c for c in ("lowuse_old", "lowuse_new", "lowuse_change") if c in t.columns]
    columns += [c for c in ("block_old", "block_new") if c in t.columns]
    order = pd.Categorical(t["change"], categories=CHANGE_TYPES, ordered=True)
    table = gpd.GeoDataFrame(t[columns].reset_index(), geometry=list(geometry), crs=crs)
    table = table.iloc[np.lexsort((table["match_id"].to_numpy(), order.codes))]
    table = table.reset_index(drop=True)
    # the old parcels of every match that is not "unchanged": their former outlines
    changed = t["change"].to_numpy()[mo] != "unchanged"
    before = gpd.GeoDataFrame(
        {
            "match_id": mo[changed],
            "parcel_id": links.loc[links["side"] == "old", "parcel_id"].to_numpy()[changed],
            "change": t["change"].to_numpy()[mo][changed],
            "change_zh": t["change_zh"].to_numpy()[mo][changed],
        },
        geometry=list(og[changed]),
        crs=crs,
    )
    return table, before, links


# -- parks and targets ----------------------------------------------------------------------

#: Order of statuses for the trend of a check: fail < unknown < pass.
_RANK = {"fail": 0, "unknown": 1, "pass": 2}


def _text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return _EMPTY
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    return str(v)


def _check_columns(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    present = set(old.columns) | set(new.columns)
    known = [c for c in CHECKS if c in present]
    return known + sorted(c for c in present if c.startswith("chk_") and c not in CHECKS)


def _park_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Every check of every park: old and new status, and the trend."""
    o = pd.DataFrame(old).drop_duplicates("park_id").set_index("park_id")
    n = pd.DataFrame(new).drop_duplicates("park_id").set_index("park_id")
    checks = _check_columns(o, n)
    parks = list(dict.fromkeys([*n.index, *o.index]))
    name = n["name"] if "name" in n.columns else pd.Series(dtype=object)
    name_old = o["name"] if "name" in o.columns else pd.Series(dtype=object)
    frames = []
    for chk in checks:
        val = chk.replace("chk_", "val_", 1)
        old_status = (o[chk] if chk in o.columns else pd.Series(dtype=object)).reindex(parks)
        new_status = (n[chk] if chk in n.columns else pd.Series(dtype=object)).reindex(parks)
        old_val = (o[val] if val in o.columns else pd.Series(dtype=object)).reindex(parks)
        new_val = (n[val] if val in n.columns else pd.Series(dtype=object)).reindex(parks)
        frames.append(
            pd.DataFrame(
                {
                    "park_id": parks,
                    "check": chk,
                    "label": CHECKS[chk][0] if chk in CHECKS else chk,
                    "old": old_status.to_numpy(dtype=object),
                    "new": new_status.to_numpy(dtype=object),
                    "val_old": [_text(v) for v in old_val],
                    "val_new": [_text(v) for v in new_val],
                    "in_old": np.isin(parks, o.index),
                    "in_new": np.isin(parks, n.index),
                }
            )
        )
    t = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if t.empty:
        return pd.DataFrame(
            columns=["park_id", "name", "check", "label", "old", "new", "changed", "trend"]
        )
    t["name"] = t["park_id"].map(name).fillna(t["park_id"].map(name_old))
    old_s = t["old"].astype("string").fillna(_EMPTY)
    new_s = t["new"].astype("string").fillna(_EMPTY)
    t["old"], t["new"] = old_s.to_numpy(dtype=object), new_s.to_numpy(dtype=object)
    # a park in only one audit: every one of its checks counts as changed
    t["changed"] = (old_s != new_s).to_numpy(dtype=bool) | ~t["in_old"] | ~t["in_new"]
    ro = old_s.map(_RANK).astype(float)
    rn = new_s.map(_RANK).astype(float)
    trend = np.where(t["changed"], "changed", _EMPTY).astype(object)
    trend[(rn > ro).to_numpy(dtype=bool) & ((new_s == "pass") | (old_s == "fail")).to_numpy()] = (
        "improved"
    )
    trend[(rn < ro).to_numpy(dtype=bool) & ((new_s == "fail") | (old_s == "pass")).to_numpy()] = (
        "worsened"
    )
    trend[~t["in_old"].to_numpy()] = "new_park"
    trend[~t["in_new"].to_numpy()] = "removed_park"
    t["trend"] = trend
    t["trend_zh"] = t["trend"].map(_TREND_ZH)
    order = {p: i for i, p in enumerate(sorted(parks, key=str))}
    t = t.assign(
        _p=t["park_id"].map(order), _c=t["check"].map({c: i for i, c in enumerate(checks)})
    )
    t = t.sort_values(["_p", "_c"]).reset_index(drop=True)
    return t[
        ["park_id", "name", "check", "label", "old", "new", "val_old", "val_new", "changed"]
        + ["trend", "trend_zh"]
    ]


def _num(frame: pd.DataFrame, col: str, index: list) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(np.nan, index=index, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").reindex(index).astype(float)


def _far_share(parcels: pd.DataFrame) -> tuple[pd.Series, float, int]:
    """Share of parcels meeting their FAR minimum, per park and across all parcels."""
    if "far_ok" not in parcels.columns:
        return pd.Series(dtype=float), np.nan, 0
    ok = as_bool(parcels["far_ok"])
    known = ok.notna()
    values = ok[known].astype(float)
    parks = parcels["park_id"] if "park_id" in parcels.columns else pd.Series(None, parcels.index)
    per_park = values.groupby(parks[known].to_numpy()).mean()
    return per_park, float(values.mean()) if len(values) else np.nan, int(known.sum())


def _district_value(layers: Mapping[str, Any], check: str) -> tuple[float, str]:
    d = layers.get("district")
    if d is not None and "check" in d.columns:
        row = d[d["check"] == check]
        if len(row):
            value = pd.to_numeric(row["value"], errors="coerce").iloc[0]
            return float(value), str(row["status"].iloc[0]) if "status" in row else _EMPTY
    parks = layers["parks"]
    if "innovation_platforms" in parks.columns:
        v = pd.to_numeric(parks["innovation_platforms"], errors="coerce")
        return float(v.sum(min_count=1)), _EMPTY
    return np.nan, _EMPTY


def _target_changes(old: Mapping[str, Any], new: Mapping[str, Any], policy: Policy) -> pd.DataFrame:
    """Progress toward the 2027 targets of 锡府办规〔2025〕1号 and the FAR minima."""
    op = pd.DataFrame(old["parks"]).drop_duplicates("park_id").set_index("park_id")
    np_ = pd.DataFrame(new["parks"]).drop_duplicates("park_id").set_index("park_id")
    parks = sorted(set(op.index) | set(np_.index), key=str)
    due = policy.target_date.isoformat()
    rows: list[dict[str, Any]] = []
    cl4 = "锡府办规〔2025〕1号 二(二)4"
    per_park = (
        ("leading_revenue_share", "val_leading_revenue", "主导产业营收占比",
         policy.leading_revenue_share_min, cl4),
        ("leading_count_share", "val_leading_count", "主导产业企业数占比",
         policy.leading_count_share_min, cl4),
        ("chain_leaders", "val_chain_leader", "链主企业数", float(policy.chain_leaders_min), cl4),
    )  # fmt: skip
    for key, col, label, threshold, source in per_park:
        before, after = _num(op, col, parks), _num(np_, col, parks)
        for pid in parks:
            rows.append(
                dict(
                    target=key,
                    label=label,
                    scope=pid,
                    old=before[pid],
                    new=after[pid],
                    threshold=threshold,
                    due=due,
                    source=source,
                )
            )
        rows.append(
            dict(
                target=f"parks_meeting_{key}",
                label=f"{label}达标园区数",
                scope="全区",
                old=float((before >= threshold - 1e-12).sum()),
                new=float((after >= threshold - 1e-12).sum()),
                threshold=float(len(parks)),
                due=due,
                source=source,
            )
        )
    v_old, _ = _district_value(old, "chk_innovation_platforms")
    v_new, _ = _district_value(new, "chk_innovation_platforms")
    rows.append(
        dict(
            target="innovation_platforms",
            label="全区园区省级以上创新平台",
            scope="全区",
            old=v_old,
            new=v_new,
            threshold=float(policy.innovation_platforms_min),
            due=due,
            source="锡府办规〔2025〕1号 二(三)7",
        )
    )
    far_old, all_old, _ = _far_share(old["parcels"])
    far_new, all_new, _ = _far_share(new["parcels"])
    rows.append(
        dict(
            target="far_compliance_share",
            label="容积率达标地块占比(有下限的地块)",
            scope="全区",
            old=all_old,
            new=all_new,
            threshold=1.0,
            due=_EMPTY,
            source="锡府办规〔2025〕1号 二(一)1",
        )
    )
    for pid in parks:
        rows.append(
            dict(
                target="far_compliance_share",
                label="容积率达标地块占比(有下限的地块)",
                scope=pid,
                old=float(far_old.get(pid, np.nan)),
                new=float(far_new.get(pid, np.nan)),
                threshold=1.0,
                due=_EMPTY,
                source="锡府办规〔2025〕1号 二(一)1",
            )
        )
    t = pd.DataFrame(rows)
    for side in ("old", "new"):
        met = t[side] >= t["threshold"] - 1e-12
        t[f"met_{side}"] = pd.array(met.where(t[side].notna(), None).to_list(), dtype="boolean")
        t[f"gap_{side}"] = (t["threshold"] - t[side]).clip(lower=0)
    t["change_value"] = t["new"] - t["old"]
    with np.errstate(invalid="ignore", divide="ignore"):
        progress = (t["gap_old"] - t["gap_new"]) / t["gap_old"]
    t["progress"] = progress.where(t["gap_old"] > 0)
    return t[
        ["target", "label", "scope", "old", "new", "change_value", "threshold", "met_old"]
        + ["met_new", "gap_old", "gap_new", "progress", "due", "source"]
    ]


# -- blocks ---------------------------------------------------------------------------------

_SPLIT_IDS = re.compile(r"[,;，；、\s]+")


def _block_members(blocks: pd.DataFrame, parcels: pd.DataFrame) -> dict[str, list[str]]:
    """Parcel IDs of every block: from the parcels' ``block_id``, else ``parcel_ids``."""
    ids = blocks["block_id"].astype(str).tolist()
    if "block_id" in parcels.columns and parcels["block_id"].notna().any():
        has = parcels[parcels["block_id"].notna()]
        grouped = has.groupby(has["block_id"].astype(str))["parcel_id"].agg(
            lambda s: [str(v) for v in s]
        )
        return {b: grouped.get(b, []) for b in ids}
    if "parcel_ids" in blocks.columns:
        return {
            b: [p for p in _SPLIT_IDS.split(str(v)) if p] if isinstance(v, str) else []
            for b, v in zip(ids, blocks["parcel_ids"], strict=True)
        }
    return {b: [] for b in ids}


def _block_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    links: pd.DataFrame,
    *,
    min_overlap: float,
    tolerance: float,
) -> gpd.GeoDataFrame:
    """Blocks cleared, new, changed or unchanged between two audits."""
    ob, nb = old["blocks"], new["blocks"]
    crs = metric_crs(ob) if len(ob) else metric_crs(old["parcels"])
    og = _clean_geoms(ob, crs) if len(ob) else np.array([], dtype=object)
    ng = _clean_geoms(nb, crs) if len(nb) else np.array([], dtype=object)
    a_o, a_n = shapely.area(og), shapely.area(ng)
    pairs = (
        intersection_areas(og, ng)
        if len(og) and len(ng)
        else pd.DataFrame(
            {"left": np.array([], int), "right": np.array([], int), "area": np.array([], float)}
        )
    )
    li, ri, ar = (pairs[c].to_numpy() for c in ("left", "right", "area"))
    with np.errstate(invalid="ignore", divide="ignore"):
        share_old = np.minimum(np.bincount(li, weights=ar, minlength=len(og)) / a_o, 1.0)
        share_new = np.minimum(np.bincount(ri, weights=ar, minlength=len(ng)) / a_n, 1.0)
    link = ar > min_overlap * np.minimum(a_o[li], a_n[ri]) if len(li) else np.array([], bool)
    li, ri = li[link], ri[link]
    old_ids = ob["block_id"].astype(str).to_numpy() if len(ob) else np.array([], dtype=object)
    new_ids = nb["block_id"].astype(str).to_numpy() if len(nb) else np.array([], dtype=object)

    # successors of each old block's parcels, and whether any of them is still low-efficiency
    members = _block_members(ob, old["parcels"])
    old_links = links[links["side"] == "old"]
    comp_of = dict(zip(old_links["parcel_id"], old_links["match_id"], strict=False))
    new_links = links[links["side"] == "new"].reset_index(drop=True)
    low_new = None
    if "low_efficiency" in new["parcels"].columns:
        low_new = as_bool(new["parcels"]["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
    still_low = np.zeros(len(og), dtype=int)
    has_low = low_new is not None
    for k, bid in enumerate(old_ids):
        comps = {comp_of[p] for p in members.get(bid, []) if p in comp_of}
        if has_low and comps:
            rows = new_links.index[new_links["match_id"].isin(comps)].to_numpy()
            still_low[k] = int(low_new[new_links.loc[rows, "row"].to_numpy()].sum())

    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    n_links_new = np.bincount(ri, minlength=len(ng))
    for k in range(len(og)):
        hit = ri[li == k]
        cleared = share_old[k] <= min_overlap or (
            has_low and bool(members.get(old_ids[k])) and still_low[k] == 0
        )
        if cleared:
            status = "cleared"
        elif (
            len(hit) == 1
            and n_links_new[hit[0]] == 1
            and shapely.hausdorff_distance(og[k], ng[hit[0]]) <= tolerance
        ):
            status = "unchanged"
        else:
            status = "changed"
        rows.append(
            dict(
                block_id_old=old_ids[k],
                block_id_new=", ".join(sorted(str(new_ids[j]) for j in hit)),
                status=status,
                area_mu_old=a_o[k] / M2_PER_MU,
                area_mu_new=float(a_n[hit].sum() / M2_PER_MU) if len(hit) else np.nan,
                share_in_new_blocks=float(share_old[k]),
                parcel_ids_old=", ".join(members.get(old_ids[k], [])),
                parcels_still_low=int(still_low[k]) if has_low else None,
                _old=k,
                _new=-1,
            )
        )
        geoms.append(og[k])
    for j in np.flatnonzero(share_new <= min_overlap):
        rows.append(
            dict(
                block_id_old=_EMPTY,
                block_id_new=new_ids[j],
                status="new",
                area_mu_old=np.nan,
                area_mu_new=a_n[j] / M2_PER_MU,
                share_in_new_blocks=np.nan,
                parcel_ids_old=_EMPTY,
                parcels_still_low=None,
                _old=-1,
                _new=int(j),
            )
        )
        geoms.append(ng[j])
    t = pd.DataFrame(rows)
    if t.empty:
        t = pd.DataFrame(columns=["block_id_old", "block_id_new", "status", "_old", "_new"])
    t["status_zh"] = t["status"].map(_BLOCK_ZH)
    for col in ("park_id", "town"):
        ov = ob[col].to_numpy(dtype=object) if col in ob.columns else None
        nv = nb[col].to_numpy(dtype=object) if col in nb.columns else None
        values = [
            (ov[o] if ov is not None and o >= 0 else (nv[n] if nv is not None and n >= 0 else None))
            for o, n in zip(t["_old"], t["_new"], strict=True)
        ]
        t[col] = values
    if "route" in ob.columns:
        t["route_old"] = [ob["route"].iloc[o] if o >= 0 else None for o in t["_old"]]
    t = t.drop(columns=["_old", "_new"])
    out = gpd.GeoDataFrame(t, geometry=geoms, crs=crs)
    first = ["block_id_old", "block_id_new", "status", "status_zh", "park_id", "town"]
    return out[first + [c for c in out.columns if c not in first]]


# -- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffResult:
    """The change between two audits.

    Attributes
    ----------
    parcels
        One row per match of old and new parcels (:func:`match_parcels`): ``change``
        (:data:`CHANGE_TYPES`), ``old_ids``, ``new_ids``, areas, ``far_old``,
        ``far_new``, ``far_change`` and, when both audits flag low-efficiency land,
        ``lowuse_old``, ``lowuse_new``, ``lowuse_change`` (``entered``, ``left`` or
        empty). Geometry: the new parcels of the match (the old ones when removed).
    parcels_before
        The old parcels of every match that is not ``unchanged``: former outlines.
    parks
        Every check of every park: ``old``, ``new``, ``changed``, ``trend``
        (``improved``, ``worsened``, ``changed``, ``new_park``, ``removed_park``).
    targets
        Progress toward the 2027 targets: ``old``, ``new``, ``threshold``, ``met_old``,
        ``met_new``, gaps and the share of the gap closed (``progress``).
    blocks
        Blocks ``cleared``, ``new``, ``changed``, ``unchanged`` — ``None`` unless both
        audits have a ``blocks`` layer.
    summary
        Counts: ``key``, ``label``, ``value``.
    meta
        Sources, indicator years, the target date and the options used.
    outlines
        The park outlines of the new audit (``park_id``, ``name``), for the change map.
    """

    parcels: gpd.GeoDataFrame
    parcels_before: gpd.GeoDataFrame
    parks: pd.DataFrame
    targets: pd.DataFrame
    blocks: gpd.GeoDataFrame | None
    summary: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    outlines: gpd.GeoDataFrame | None = None


def _outlines(parks: pd.DataFrame, crs: Any) -> gpd.GeoDataFrame | None:
    if not isinstance(parks, gpd.GeoDataFrame) or parks.crs is None:
        return None
    cols = [c for c in ("park_id", "name") if c in parks.columns]
    return gpd.GeoDataFrame(
        parks[cols].copy(), geometry=parks.geometry.to_crs(crs).to_numpy(), crs=crs
    )


def _year(parks: pd.DataFrame) -> Any:
    if "indicator_year" not in parks.columns:
        return None
    years = pd.to_numeric(parks["indicator_year"], errors="coerce").dropna()
    return int(years.max()) if len(years) else None


def _summary(result: dict[str, Any], meta: dict[str, Any]) -> pd.DataFrame:
    parcels, parks, targets, blocks = (
        result["parcels"],
        result["parks"],
        result["targets"],
        result["blocks"],
    )
    rows = [
        ("old", "上次审计", meta["old"]),
        ("new", "本次审计", meta["new"]),
        ("year_old", "上次指标年度", _text(meta.get("year_old"))),
        ("year_new", "本次指标年度", _text(meta.get("year_new"))),
        ("due", "目标期限", meta["due"]),
    ]
    counts = parcels["change"].value_counts()
    for c in CHANGE_TYPES:
        rows.append((f"parcels_{c}", f"地块变化: {CHANGE_ZH[c]}(组)", int(counts.get(c, 0))))
    up = (parcels["far_change"] > 1e-9).sum()
    down = (parcels["far_change"] < -1e-9).sum()
    rows += [("far_up", "容积率提高(组)", int(up)), ("far_down", "容积率下降(组)", int(down))]
    if "lowuse_change" in parcels.columns:
        lc = parcels["lowuse_change"].value_counts()
        rows += [
            ("lowuse_left", "退出低效用地(组)", int(lc.get("left", 0))),
            ("lowuse_entered", "新增低效用地(组)", int(lc.get("entered", 0))),
        ]
    tc = parks["trend"].value_counts() if len(parks) else pd.Series(dtype=int)
    rows += [
        ("checks_changed", "园区检查项变化", int(parks["changed"].sum()) if len(parks) else 0),
        ("checks_improved", "园区检查项改善", int(tc.get("improved", 0))),
        ("checks_worsened", "园区检查项退步", int(tc.get("worsened", 0))),
    ]
    if blocks is not None:
        bc = blocks["status"].value_counts()
        for s in BLOCK_STATUSES:
            rows.append((f"blocks_{s}", f"连片地块{_BLOCK_ZH[s]}", int(bc.get(s, 0))))
    district = targets[targets["scope"] == "全区"]
    rows += [
        ("targets_met_old", "全区目标达标项(上次)", int(district["met_old"].fillna(False).sum())),
        ("targets_met_new", "全区目标达标项(本次)", int(district["met_new"].fillna(False).sum())),
    ]
    return pd.DataFrame(rows, columns=["key", "label", "value"]).astype({"value": str})


def diff_audits(
    old: AuditResult,
    new: AuditResult,
    *,
    min_overlap: float = 0.05,
    tolerance: float = 0.5,
    policy: Policy | None = None,
) -> DiffResult:
    """Compare two audits: parcels, park checks, blocks and the 2027 targets.

    Parameters
    ----------
    old, new
        The two audits (finished ones: :meth:`xsland.AuditResult.read`). Never modified.
    min_overlap
        Share of the smaller of two parcels (or blocks) they must share to be matched.
    tolerance
        Largest Hausdorff distance (m) between two outlines still counted as the same.
    policy
        Thresholds of the targets; default the policy the new audit applied.

    Returns
    -------
    DiffResult

    Raises
    ------
    DataError
        Layers that lack ``parcel_id``, ``park_id`` or a CRS; a bad ``min_overlap``.

    Examples
    --------
    >>> from xsland import AuditResult
    >>> result = diff_audits(
    ...     AuditResult.read("out/audit-2026"), AuditResult.read("out/audit-2027")
    ... )  # doctest: +SKIP
    >>> result.parcels["change"].value_counts()  # doctest: +SKIP
    """
    old_l = _layers(old, "old")
    new_l = _layers(new, "new")
    policy = policy or new.policy
    parcels, before, links = _parcel_changes(
        old_l["parcels"], new_l["parcels"], min_overlap=min_overlap, tolerance=tolerance
    )
    parks = _park_changes(old_l["parks"], new_l["parks"])
    targets = _target_changes(old_l, new_l, policy)
    blocks = None
    if old_l.get("blocks") is not None and new_l.get("blocks") is not None:
        blocks = _block_changes(old_l, new_l, links, min_overlap=min_overlap, tolerance=tolerance)
    meta = {
        "old": old_l["source"],
        "new": new_l["source"],
        "year_old": _year(old_l["parks"]),
        "year_new": _year(new_l["parks"]),
        "due": policy.target_date.isoformat(),
        "min_overlap": min_overlap,
        "tolerance": tolerance,
        "crs": str(parcels.crs),
        "lowuse": "lowuse_change" in parcels.columns,
        "blocks": blocks is not None,
    }
    tables = dict(parcels=parcels, parks=parks, targets=targets, blocks=blocks)
    return DiffResult(
        parcels=parcels,
        parcels_before=before,
        parks=parks,
        targets=targets,
        blocks=blocks,
        summary=_summary(tables, meta),
        meta=meta,
        outlines=_outlines(new_l["parks"], parcels.crs),
    )


# -- writing --------------------------------------------------------------------------------


def _zh_headers(df: pd.DataFrame) -> pd.DataFrame:
    """Columns that the audit's header table lacks renamed to their Chinese header."""
    return df.rename(
        columns={
            c: DIFF_HEADERS_ZH[c]
            for c in df.columns
            if c not in HEADERS_ZH and c in DIFF_HEADERS_ZH
        }
    )


def write_diff(
    result: DiffResult,
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    title: str = "锡山区特色专业园区用地审计 — 变化对比",
) -> list[Path]:
    """Write a diff into ``out_dir``: ``diff.xlsx``, ``diff.gpkg`` and ``diff_map.html``.

    The folder is built beside ``out_dir`` and moved into place when complete; an
    existing folder is refused unless ``overwrite``.

    Parameters
    ----------
    result
        From :func:`diff_audits`.
    out_dir
        The output folder.
    overwrite
        Replace an existing folder (only once the new one is complete).
    title
        Title of the change map.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputExistsError
        If ``out_dir`` exists and not ``overwrite``.
    """
    target = Path(out_dir)
    layers: dict[str, pd.DataFrame] = {
        "parcels": result.parcels,
        "parcels_before": result.parcels_before,
        "parks": result.parks,
        "targets": result.targets,
        "summary": result.summary,
    }
    sheets: dict[str, pd.DataFrame] = {
        "概况 summary": result.summary,
        "地块变化 parcels": result.parcels[result.parcels["change"] != "unchanged"],
        "园区检查 parks": result.parks,
        "目标进展 targets": result.targets,
    }
    if result.blocks is not None:
        layers["blocks"] = result.blocks
        sheets["连片地块 blocks"] = result.blocks
    with atomic_dir(target, overwrite=overwrite) as tmp:
        write_gpkg(layers, tmp / "diff.gpkg")
        write_workbook({k: _zh_headers(v) for k, v in sheets.items()}, tmp / "diff.xlsx")
        with atomic_file(tmp / "diff_map.html") as page:
            page.write_text(change_map_html(result, title=title), encoding="utf-8")
        names = sorted(p.name for p in tmp.iterdir())
    return [target / n for n in names]


# -- the change map -------------------------------------------------------------------------

#: Classes of the change map: key -> (Chinese label, colour).
MAP_CLASSES = {
    "added": ("新增地块", "#1a9850"),
    "removed": ("注销地块(原边界)", "#d73027"),
    "merged": ("合并", "#7b3294"),
    "split": ("分割", "#2c7bb6"),
    "reorganised": ("重新划分", "#e66101"),
    "reshaped": ("边界调整", "#b8860b"),
    "id_changed": ("编号变更", "#35978f"),
    "left_lowuse": ("退出低效用地", "#66bd63"),
    "entered_lowuse": ("新增低效用地", "#c51b7d"),
    "far_up": ("容积率提高", "#4575b4"),
    "far_down": ("容积率下降", "#f46d43"),
}


def _map_class(parcels: pd.DataFrame) -> np.ndarray:
    """The map class of each match; ``""`` for matches not shown (nothing changed)."""
    change = parcels["change"].to_numpy(dtype=object)
    cls = np.where(change == "unchanged", _EMPTY, change).astype(object)
    plain = np.isin(change, ["unchanged", "reshaped", "id_changed"])
    far = parcels["far_change"].to_numpy(dtype=float)
    cls[plain & (change == "unchanged") & (far > 0.05)] = "far_up"
    cls[plain & (change == "unchanged") & (far < -0.05)] = "far_down"
    if "lowuse_change" in parcels.columns:
        lc = parcels["lowuse_change"].to_numpy(dtype=object)
        cls[plain & (lc == "left")] = "left_lowuse"
        cls[plain & (lc == "entered")] = "entered_lowuse"
    return cls


def _features(gdf: gpd.GeoDataFrame, props: list[str]) -> dict[str, Any]:
    """GeoJSON (WGS84, 6 decimals) with the given properties as text or rounded numbers."""
    if gdf is None or gdf.empty:
        return {"type": "FeatureCollection", "features": []}
    g = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    geo = g.geometry.to_crs(4326)
    geo = gpd.GeoSeries(shapely.set_precision(geo.to_numpy(), 1e-6), crs=4326)
    feats = []
    for k, geom in enumerate(shapely.to_geojson(geo.to_numpy())):
        row = g.iloc[k]
        p = {}
        for c in props:
            v = row.get(c)
            if isinstance(v, float | np.floating):
                p[c] = None if np.isnan(v) else round(float(v), 3)
            elif isinstance(v, bool | np.bool_):
                p[c] = bool(v)
            else:
                p[c] = _text(v) or None
        feats.append({"type": "Feature", "geometry": json.loads(geom), "properties": p})
    return {"type": "FeatureCollection", "features": feats}


_MAP_JS = r"""
(function () {
  "use strict";
  var map = __MAP__;
  var D = JSON.parse(document.getElementById("xs-diff-data").textContent);
  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(v) {
    if (v === null || v === undefined) { return ""; }
    return String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  function num(v) { return (typeof v === "number") ? v.toFixed(2) : "—"; }
  function rows(pairs) {
    var out = "<table>";
    pairs.forEach(function (p) {
      if (p[1] !== null && p[1] !== undefined && p[1] !== "") {
        out += "<tr><th>" + esc(p[0]) + "</th><td>" + esc(p[1]) + "</td></tr>";
      }
    });
    return out + "</table>";
  }
  function parcelTip(f) {
    var p = f.properties, c = D.classes[p.cls] || ["", "#999"];
    return "<b>" + esc(c[0]) + "</b>" + rows([
      ["原地块", p.old_ids], ["现地块", p.new_ids], ["园区", p.park_id],
      ["原容积率", num(p.far_old)], ["现容积率", num(p.far_new)],
      ["原面积(亩)", num(p.area_old_mu)], ["现面积(亩)", num(p.area_new_mu)],
      ["低效变化", p.lowuse_change]]);
  }
  var bounds = L.latLngBounds([]);
  var overlays = {};
  Object.keys(D.classes).forEach(function (key) {
    var c = D.classes[key];
    var feats = D.parcels.features.filter(function (f) { return f.properties.cls === key; });
    if (!feats.length) { return; }
    var layer = L.geoJSON({"type": "FeatureCollection", "features": feats}, {
      style: {color: c[1], weight: 1.5, fillColor: c[1], fillOpacity: 0.55,
              dashArray: key === "removed" ? "4 3" : null}
    });
    layer.bindTooltip(function (l) { return parcelTip(l.feature); }, {sticky: true});
    layer.addTo(map);
    bounds.extend(layer.getBounds());
    overlays[esc(c[0]) + " (" + feats.length + ")"] = layer;
  });
  var parks = L.geoJSON(D.parks, {
    style: {color: "#08306b", weight: 2, fill: false}
  }).bindTooltip(function (l) {
    var p = l.feature.properties;
    return "<b>" + esc(p.park_id) + " " + esc(p.name) + "</b>" + rows([
      ["改善", p.improved], ["退步", p.worsened]]);
  });
  parks.addTo(map);
  overlays["园区边界"] = parks;
  [["cleared", "已清零连片地块", "#1a9850"], ["new", "新增连片地块", "#c51b7d"],
   ["changed", "变化的连片地块", "#ff7f00"]].forEach(function (b) {
    var feats = D.blocks.features.filter(function (f) { return f.properties.status === b[0]; });
    if (!feats.length) { return; }
    var layer = L.geoJSON({"type": "FeatureCollection", "features": feats}, {
      style: {color: b[2], weight: 3, dashArray: "8 5", fill: false}
    }).bindTooltip(function (l) {
      var p = l.feature.properties;
      return "<b>" + esc(b[1]) + "</b>" + rows([["原编号", p.block_id_old],
        ["现编号", p.block_id_new], ["原面积(亩)", num(p.area_mu_old)],
        ["原地块", p.parcel_ids_old]]);
    });
    layer.addTo(map);
    overlays[b[1] + " (" + feats.length + ")"] = layer;
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  if (!bounds.isValid() && parks.getLayers().length) { bounds = parks.getBounds(); }
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
})();
"""

_MAP_CSS = """
.xs-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.93);padding:6px 16px;border-radius:6px;
 box-shadow:0 1px 5px rgba(0,0,0,.35);font:15px/1.4 "Microsoft YaHei","PingFang SC",
 "Noto Sans CJK SC",sans-serif;text-align:center}
.xs-legend{position:absolute;bottom:24px;left:10px;z-index:1000;background:rgba(255,255,255,.93);
 padding:8px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);font-size:12px;
 line-height:18px;font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif}
.xs-swatch{display:inline-block;width:16px;height:12px;margin-right:6px;vertical-align:-1px;
 border:1.5px solid #555;box-sizing:border-box}
.leaflet-tooltip table{border-collapse:collapse}
.leaflet-tooltip th{text-align:left;color:#555;font-weight:normal;padding-right:8px}
"""


def change_map_html(result: DiffResult, *, title: str = "变化对比") -> str:
    """The change map of a diff as a self-contained HTML page.

    Parcels are coloured by change (:data:`MAP_CLASSES`; unchanged parcels whose plot
    ratio or low-efficiency status changed are shown as such, the others are left out),
    removed parcels drawn with their old outline, dashed; park outlines and cleared, new
    and changed blocks are drawn over them. Leaflet comes from ``xstatic-leaflet`` and is
    inlined; only the OpenStreetMap tiles are fetched from the network. Tooltips are built
    in the browser with HTML escaping.
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    # text put into the page as it is: branca's Element(text) would compile the data's
    # text as a Jinja template ("{{7*7}}" rendered as 49, "{% raw %}" a crash)
    from xsland.write.maps import _Raw as Element

    parcels = result.parcels.assign(cls=_map_class(result.parcels))
    shown = parcels[parcels["cls"] != _EMPTY]
    props = ["cls", "old_ids", "new_ids", "park_id", "far_old", "far_new", "area_old_mu"]
    props += ["area_new_mu"] + (["lowuse_change"] if "lowuse_change" in shown.columns else [])
    parks = result.outlines
    trend = result.parks.groupby("park_id")["trend"].agg(
        improved=lambda s: int((s == "improved").sum()),
        worsened=lambda s: int((s == "worsened").sum()),
    )
    if parks is not None and len(parks):
        parks = parks.merge(trend, left_on="park_id", right_index=True, how="left")
    blocks = result.blocks
    if blocks is not None:
        blocks = blocks[blocks["status"] != "unchanged"]
    data = {
        "classes": {k: list(v) for k, v in MAP_CLASSES.items()},
        "parcels": _features(shown, props),
        "parks": _features(parks, ["park_id", "name", "improved", "worsened"]),
        "blocks": _features(
            blocks, ["status", "block_id_old", "block_id_new", "area_mu_old", "parcel_ids_old"]
        ),
    }
    bounds = parcels.to_crs(4326).total_bounds if len(parcels) else [120.3, 31.5, 120.6, 31.7]
    centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    m = folium.Map(location=centre, zoom_start=12, tiles=None, prefer_canvas=True)
    m.default_js, m.default_css = [], []
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    from xsland.write.maps import leaflet_assets

    js, css = leaflet_assets()
    root = m.get_root()
    root.header.add_child(Element(f"<style>{css}</style><script>{js}</script>"), name="leaflet")
    root.header.add_child(Element(f"<style>{_MAP_CSS}</style>"), name="xs_css")
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="xs_title")
    counts = shown["cls"].value_counts()
    legend = "".join(
        f'<div><span class="xs-swatch" style="background:{colour}"></span>'
        f"{html.escape(label)} ({int(counts.get(key, 0))})</div>"
        for key, (label, colour) in MAP_CLASSES.items()
        if counts.get(key, 0)
    )
    meta = result.meta
    sub = f"{_text(meta.get('year_old'))} → {_text(meta.get('year_new'))}"
    root.html.add_child(
        Element(
            f'<div class="xs-title"><b>{html.escape(title)}</b><br>'
            f"<small>{html.escape(sub)}</small></div>"
            f'<div class="xs-legend"><b>地块变化</b>{legend or "<div>无变化</div>"}</div>'
            f'<script type="application/json" id="xs-diff-data">{json_for_html(data)}'
            "</script>"
        )
    )

    class _Layers(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    m.add_child(_Layers(_MAP_JS.replace("__MAP__", m.get_name())))
    text = root.render()
    if re.search(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text):
        raise XslandError("the change map would load a script or stylesheet from the network")
    return text
