"""Change between two audits (动态调整): two :class:`~xsland.result.AuditResult` → tables.

锡府办规〔2025〕1号 (三、保障措施) asks for a dynamic adjustment of the parks; its
targets fall due at the end of 2027 (二(二)4, 二(三)7). :func:`diff_audits` compares
two finished audits and says what changed, as typed tables (:class:`DiffResult`):

- **parcels**, matched by geometry, not by ID (:func:`xsland.compare.match.match_parcels`):
  the overlap graph between old and new
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
  parcels meeting their FAR minimum;
- **evaluations** (issue 15, when both audits have them): the intensive-use indicators
  per park and the parcels per 批供用 status (:mod:`xsland.compare.evaluations`).

Why a layer of its own (``xsland/compare``, between :mod:`xsland.result` and
:mod:`xsland.write`): comparing is judging, but it judges two *finished* audits, so it
starts from the :class:`~xsland.result.AuditResult` hand-off, which sits above the judge
layer; ``xsland/judge`` could not import it without an upward arrow. Writing the change
(``diff.xlsx``, ``diff.gpkg``, the change map) is :mod:`xsland.write.diff`. Nothing here
recomputes an audit column: areas, plot ratios, ``far_ok``, ``low_efficiency`` and block
membership are read from the audits as they were written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland.compare.evaluations import intensity_changes, supply_changes
from xsland.compare.match import clean_geoms, match_parcels
from xsland.errors import DataError
from xsland.judge.audit import CHECKS, check_labels
from xsland.measure.area import M2_PER_MU
from xsland.measure.overlay import intersection_areas
from xsland.read.crs import metric_crs
from xsland.read.values import as_bool
from xsland.result import AuditResult
from xsland.rules.policy import Policy

__all__ = [
    "BLOCK_STATUSES",
    "BLOCK_ZH",
    "CHANGE_TYPES",
    "CHANGE_ZH",
    "TREND_ZH",
    "DiffResult",
    "diff_audits",
    "text",
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
#: Chinese words of the block statuses.
BLOCK_ZH = {"cleared": "已清零", "new": "新增", "changed": "变化", "unchanged": "未变"}
#: Chinese words of the trends of a park check.
TREND_ZH = {
    "improved": "改善",
    "worsened": "退步",
    "changed": "变化",
    "new_park": "新增园区",
    "removed_park": "撤销园区",
    "": "",
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
    if "area_m2" not in parcels.columns:
        raise DataError(
            f"{which} audit ({where}), layer 'parcels': needs the audit's 'area_m2' column "
            "(the diff does not measure parcels again). Fix: compare the output folders of "
            "`xsland audit`"
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
        "crs": result.metric_crs,  # chosen once, by the audit's run
        "intensity": result.intensity,
    }


# -- parcels -------------------------------------------------------------------------------


def _side_table(parcels: gpd.GeoDataFrame, links: pd.DataFrame, side: str) -> pd.DataFrame:
    """Per parcel of one side: match_id, id, area, floor area, far, low-efficiency, block."""
    rows = links[links["side"] == side]
    t = pd.DataFrame(
        {
            "match_id": rows["match_id"].to_numpy(),
            "parcel_id": rows["parcel_id"].to_numpy(),
            "area_m2": pd.to_numeric(parcels["area_m2"], errors="coerce").to_numpy(float),
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


def text(v: Any) -> str:
    """A value as table text: ``""`` for missing, floats to 4 significant digits."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return _EMPTY
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    return str(v)


def _check_columns(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    present = set(old.columns) | set(new.columns)
    known = [c for c in CHECKS if c in present]
    return known + sorted(c for c in present if c.startswith("chk_") and c not in CHECKS)


def _park_changes(old: pd.DataFrame, new: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Every check of every park: old and new status, and the trend."""
    o = pd.DataFrame(old).drop_duplicates("park_id").set_index("park_id")
    n = pd.DataFrame(new).drop_duplicates("park_id").set_index("park_id")
    checks = _check_columns(o, n)
    parks = list(dict.fromkeys([*n.index, *o.index]))
    name = n["name"] if "name" in n.columns else pd.Series(dtype=object)
    name_old = o["name"] if "name" in o.columns else pd.Series(dtype=object)
    labels = check_labels(policy)  # the thresholds the audits applied, never the defaults
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
                    "label": labels.get(chk, chk),
                    "old": old_status.to_numpy(dtype=object),
                    "new": new_status.to_numpy(dtype=object),
                    "val_old": [text(v) for v in old_val],
                    "val_new": [text(v) for v in new_val],
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
    t["trend_zh"] = t["trend"].map(TREND_ZH)
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
    return np.nan, _EMPTY  # the audit judged no district check: not summed again here


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
    crs = old.get("crs") or metric_crs(ob if len(ob) else old["parcels"])
    og = clean_geoms(ob, crs) if len(ob) else np.array([], dtype=object)
    ng = clean_geoms(nb, crs) if len(nb) else np.array([], dtype=object)
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
    t["status_zh"] = t["status"].map(BLOCK_ZH)
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
    intensity
        Every indicator of the intensive-use evaluation per park and for the district:
        ``old``, ``new``, ``change_value``
        (:func:`xsland.compare.evaluations.intensity_changes`); ``None`` unless both
        audits have the evaluation.
    supply
        Parcels per 批供用 status, over all parcels and per park: ``n_old``, ``n_new``,
        ``change_value`` (:func:`xsland.compare.evaluations.supply_changes`); ``None``
        unless both audits judged the status.
    """

    parcels: gpd.GeoDataFrame
    parcels_before: gpd.GeoDataFrame
    parks: pd.DataFrame
    targets: pd.DataFrame
    blocks: gpd.GeoDataFrame | None
    summary: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    outlines: gpd.GeoDataFrame | None = None
    intensity: pd.DataFrame | None = None
    supply: pd.DataFrame | None = None


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
        ("year_old", "上次指标年度", text(meta.get("year_old"))),
        ("year_new", "本次指标年度", text(meta.get("year_new"))),
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
            rows.append((f"blocks_{s}", f"连片地块{BLOCK_ZH[s]}", int(bc.get(s, 0))))
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
    """Compare two audits: parcels, park checks, blocks, the 2027 targets and the evaluations.

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
    parks = _park_changes(old_l["parks"], new_l["parks"], policy)
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
    intensity = intensity_changes(old_l["intensity"], new_l["intensity"])
    supply = supply_changes(old_l["parcels"], new_l["parcels"])
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
        intensity=intensity,
        supply=supply,
    )
