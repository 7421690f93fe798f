"""Writing the change between two audits: ``diff.xlsx``, ``diff.gpkg`` and the change map.

:func:`write_diff` writes a :class:`~xsland.compare.diff.DiffResult` (from
:func:`xsland.compare.diff.diff_audits`, which compares two
:class:`~xsland.result.AuditResult`) into one folder, atomically: ``diff.xlsx`` (Chinese
headers), ``diff.gpkg`` and ``diff_map.html``, a self-contained change map
(:func:`change_map_html`). The map's markup, script and stylesheet are templates in
``xsland/write/templates`` (``diff_map.html.j2``, ``diff_map.js``, ``diff_map.css``, and
the maps' ``map_head.html.j2``), rendered by Jinja2 with autoescaping: every title, label
and count is escaped by default; the data travels as JSON written by
:func:`xsland._html.json_for_html`. Comparing lives in :mod:`xsland.compare.diff`; this
module only writes.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import markupsafe
import numpy as np
import pandas as pd
import shapely

from xsland._html import json_for_html
from xsland.compare.diff import DiffResult, text
from xsland.errors import XslandError
from xsland.write.report import HEADERS_ZH, atomic_dir, atomic_file, write_gpkg, write_workbook

__all__ = ["DIFF_HEADERS_ZH", "MAP_CLASSES", "change_map_html", "write_diff"]

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
    "indicator": "指标",
    "unit": "单位",
}

_EMPTY = ""


# -- files --------------------------------------------------------------------------------


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
        From :func:`xsland.compare.diff.diff_audits`.
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
    if result.intensity is not None:
        layers["intensity"] = result.intensity
        sheets["集约评价变化 intensity"] = result.intensity
    if result.supply is not None:
        layers["supply"] = result.supply
        sheets["批供用变化 supply"] = result.supply
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
                p[c] = text(v) or None
        feats.append({"type": "Feature", "geometry": json.loads(geom), "properties": p})
    return {"type": "FeatureCollection", "features": feats}


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    """The templates of ``xsland/write/templates``, escaping by default."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xsland.write", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _asset(name: str) -> str:
    """A script or stylesheet of ``xsland/write/templates`` as text (not a template)."""
    env = _templates()
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


def _raw(html: str) -> Any:
    """An element put into the page as it is (a parcel ID or title with ``{{`` stays text)."""
    from branca.element import Element

    class _Raw(Element):
        def render(self, **kwargs: Any) -> str:
            return html

    return _Raw()


def change_map_html(result: DiffResult, *, title: str = "变化对比") -> str:
    """The change map of a diff as a self-contained HTML page.

    Parcels are coloured by change (:data:`MAP_CLASSES`; unchanged parcels whose plot
    ratio or low-efficiency status changed are shown as such, the others are left out),
    removed parcels drawn with their old outline, dashed; park outlines and cleared, new
    and changed blocks are drawn over them. Leaflet comes from ``xstatic-leaflet`` and is
    inlined; only the OpenStreetMap tiles are fetched from the network. The page's markup
    comes from Jinja2 templates with autoescaping; tooltips are built in the browser with
    HTML escaping.

    Raises
    ------
    XslandError
        If the page would load a script or stylesheet from the network.
    """
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    from xsland.write.maps import leaflet_assets

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
    js, css = leaflet_assets()
    env = _templates()
    root = m.get_root()
    head = env.get_template("map_head.html.j2").render(
        title=title,
        leaflet_css=markupsafe.Markup(css),
        leaflet_js=markupsafe.Markup(js),
        css=markupsafe.Markup(_asset("diff_map.css").replace("</style", "<\\/style")),
    )
    root.header.add_child(_raw(head), name="xs_head")
    counts = shown["cls"].value_counts()
    legend = [
        {"label": label, "colour": colour, "count": int(counts.get(key, 0))}
        for key, (label, colour) in MAP_CLASSES.items()
        if counts.get(key, 0)
    ]
    body = env.get_template("diff_map.html.j2").render(
        title=title,
        year_old=text(result.meta.get("year_old")),
        year_new=text(result.meta.get("year_new")),
        legend=legend,
        payload=markupsafe.Markup(json_for_html(data)),
    )
    root.html.add_child(_raw(body), name="xs_body")

    class _Layers(MacroElement):
        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    m.add_child(_Layers(_asset("diff_map.js").replace("__MAP__", m.get_name())))
    page = root.render()
    if re.search(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page):
        raise XslandError("the change map would load a script or stylesheet from the network")
    return page
