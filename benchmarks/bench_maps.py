"""Benchmark :func:`xsland.write.maps.build_map` against a plain ``folium.GeoJson`` map.

Usage::

    python benchmarks/bench_maps.py                        # 1k, 10k and 50k parcels
    python benchmarks/bench_maps.py --sizes 1000 10000     # smaller runs
    python benchmarks/bench_maps.py --folium-timeout 60    # give up on folium sooner

For each size it builds a deterministic synthetic layer of grid parcels in EPSG:4549 near
Xishan (60–120 m lots, a fifth of them with a chamfered corner or a curved frontage of
8–14 vertices, 2 % two-part MultiPolygons) with realistic attributes: parcel and park
IDs, zone, policy category, land-use code, areas, floor area, FAR, coverage, FAR minimum
and ``far_ok``, a Chinese owner name, enterprise ID, ``low_efficiency`` with its reasons
and ``block_id``; parks of about 400 parcels (core and expansion zones) and the blocks
(dissolved low-efficiency parcels).

It writes two maps of the same data:

- **xsland**: ``build_map(parks, parcels, blocks=…, zones=…)`` and ``write_map``;
- **folium**: ``folium.Map`` + ``folium.GeoJson(parcels.to_crs(4326),
  style_function=…)`` (colour by the same status), ``m.save``: the usual way,

and opens each in headless Chromium (Debian's ``/usr/bin/chromium``, no download) with
every network request aborted except, for the folium map, its CDN Leaflet script and
stylesheet, which are answered from the ``xstatic-leaflet`` files (its other CDN files get
an empty answer) so that it can load at all. The load time is the navigation timing's
``loadEventEnd`` (from navigation start); "drawn" adds two animation frames after the load
event, by which time Leaflet's canvas has painted. Each map is loaded ``--repeat`` times in
a fresh page and the median is reported; a map that has not reached its load event after
``--folium-timeout`` seconds is reported as "> N s".

The table is printed and written to ``benchmarks/results/maps.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xsland.write.maps import BasemapWarning, build_map, parcel_status, write_map  # noqa: E402

X0, Y0 = 520_000.0, 3_480_000.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CATEGORIES = (
    ("industrial", 0.6, None),
    ("new_industrial", 0.1, 1.5),
    ("standard_factory", 0.1, 2.0),
    ("new_type_industrial", 0.05, 2.5),
    ("logistics", 0.08, None),
    ("other", 0.07, None),
)
LAND_USE = {
    "industrial": "100101",
    "new_industrial": "100101",
    "standard_factory": "100102",
    "new_type_industrial": "M0",
    "logistics": "1101",
    "other": "0701",
}
REASONS = (
    "容积率低于1.0",
    "建筑系数低于30%",
    "闲置土地",
    "企业评价D类",
    "不符合规划",
    "不符合产业定位",
)
SYLLABLES = "永立恒达华盛鑫源锡新澄江宏泰德润天成嘉业中科博远信诚丰汇瑞安通明"
TRADES = ("机器人", "精密机械", "新材料", "生物医药", "纺织", "电子科技", "汽车零部件", "环保设备")


def synthetic(n: int, *, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """Parks, zones, parcels and blocks with ``n`` parcels (deterministic)."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n))
    w = rng.uniform(60, 120, side)
    h = rng.uniform(60, 120, side)
    xs = X0 + np.concatenate([[0], np.cumsum(w + 12)])[:side]  # 12 m roads
    ys = Y0 + np.concatenate([[0], np.cumsum(h + 12)])[:side]
    geoms: list[Any] = []
    cells = []
    for k in range(n):
        i, j = divmod(k, side)
        x, y, gw, gh = xs[j], ys[i], w[j], h[i]
        shape = rng.random()
        if shape < 0.1:  # chamfered corner
            c = min(gw, gh) * 0.2
            g = shapely.Polygon([(x, y), (x + gw, y), (x + gw, y + gh - c), (x + gw - c, y + gh),
                                 (x, y + gh)])  # fmt: skip
        elif shape < 0.2:  # curved frontage
            t = np.linspace(0, np.pi / 2, rng.integers(5, 11))
            r = min(gw, gh) * 0.3
            arc = np.column_stack([x + gw - r + r * np.cos(t), y + gh - r + r * np.sin(t)])
            g = shapely.Polygon([(x, y), (x + gw, y), *arc.tolist(), (x, y + gh)])
        elif shape < 0.22:  # two parts
            g = shapely.MultiPolygon(
                [
                    shapely.box(x, y, x + gw * 0.45, y + gh),
                    shapely.box(x + gw * 0.55, y, x + gw, y + gh),
                ]
            )
        else:
            g = shapely.box(x, y, x + gw, y + gh)
        geoms.append(g)
        cells.append((i, j))
    cells_a = np.array(cells)
    park_side = 20  # 20 x 20 parcels per park
    park_idx = (cells_a[:, 0] // park_side) * 1000 + cells_a[:, 1] // park_side
    park_codes, park_num = np.unique(park_idx, return_inverse=True)
    park_ids = np.array([f"BP{k + 1:03d}" for k in range(len(park_codes))])[park_num]
    zone = np.where((cells_a[:, 1] % park_side) < park_side * 0.6, "core", "expansion")
    probs = np.array([c[1] for c in CATEGORIES])
    cat_i = rng.choice(len(CATEGORIES), n, p=probs / probs.sum())
    category = np.array([c[0] for c in CATEGORIES])[cat_i]
    far_min = np.array([np.nan if c[2] is None else c[2] for c in CATEGORIES])[cat_i]
    gs = gpd.GeoSeries(geoms, crs="EPSG:4549")
    area = gs.area.to_numpy()
    far = np.round(rng.gamma(4.0, 0.4, n), 3)
    far[rng.random(n) < 0.05] = np.nan
    coverage = np.clip(rng.normal(0.45, 0.15, n), 0.05, 0.9)
    low = (far < 1.0) | (rng.random(n) < 0.04)
    low &= np.isin(category, ("industrial", "new_industrial", "standard_factory"))
    reasons = [
        "；".join(sorted(rng.choice(REASONS, rng.integers(1, 3), replace=False).tolist()))
        if lo
        else None
        for lo in low
    ]
    block_cell = (cells_a[:, 0] // 5) * 10_000 + cells_a[:, 1] // 5
    block_id = np.where(low, [f"B{c:07d}" for c in block_cell], None)
    ent = rng.integers(1, max(n // 4, 2), n)
    names = [
        "无锡"
        + SYLLABLES[a % len(SYLLABLES)]
        + SYLLABLES[(a * 7) % len(SYLLABLES)]
        + TRADES[a % len(TRADES)]
        + "有限公司"
        for a in ent
    ]
    far_ok = pd.array(
        [
            pd.NA if (np.isnan(m) or np.isnan(f)) else bool(f >= m)
            for f, m in zip(far, far_min, strict=True)
        ],
        dtype="boolean",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k + 1:06d}" for k in range(n)],
            "park_id": park_ids,
            "zone": zone,
            "category": category,
            "land_use": [LAND_USE[c] for c in category],
            "area_m2": area,
            "area_mu": area / (2000 / 3),
            "floor_area": far * area,
            "far": far,
            "coverage": coverage,
            "far_min": far_min,
            "far_ok": far_ok,
            "owner": names,
            "enterprise_id": [f"E{e:05d}" for e in ent],
            "low_efficiency": low,
            "reasons": reasons,
            "reasons_zh": reasons,
            "block_id": block_id,
            "supply_date": pd.Timestamp("2014-01-01"),
        },
        geometry=gs,
        crs="EPSG:4549",
    )
    towns = ("东亭街道", "安镇街道", "锡北镇", "鹅湖镇", "东港镇", "云林街道", "厚桥街道", "羊尖镇")
    hull = (
        parcels.dissolve(by=["park_id", "zone"])
        .envelope.buffer(6, join_style="mitre")
        .reset_index()
    )
    zones = gpd.GeoDataFrame(hull, geometry=0, crs="EPSG:4549").rename_geometry("geometry")
    park_list = sorted(set(park_ids))
    names_of = {
        p: f"{towns[k % len(towns)][:2]}{TRADES[k % len(TRADES)]}产业园{k + 1}"
        for k, p in enumerate(park_list)
    }
    zones["name"] = zones["park_id"].map(names_of)
    zones["town"] = zones["park_id"].map(
        {p: towns[k % len(towns)] for k, p in enumerate(park_list)}
    )
    parks = zones.dissolve(by="park_id", aggfunc="first").reset_index().drop(columns="zone")
    parks["park_type"] = "district"
    parks["area_m2"] = parks.area
    parks["area_mu"] = parks["area_m2"] / (2000 / 3)
    parks["area_km2"] = parks["area_m2"] / 1e6
    low_p = parcels[parcels["low_efficiency"]]
    blocks = low_p.dissolve(by="block_id", aggfunc={"area_mu": "sum", "parcel_id": "count"})
    blocks = blocks.rename(columns={"parcel_id": "n_parcels"}).reset_index()
    blocks["route"] = np.where(blocks["area_mu"] > 30, "连片改造", "置换盘活")
    return {"parks": parks, "zones": zones, "parcels": parcels, "blocks": blocks}


COLOURS = {
    "low": "#c51b7d",
    "below": "#f46d43",
    "ok": "#1a9850",
    "exempt": "#74add1",
    "other": "#efedf5",
    "nodata": "#bdbdbd",
}


def plain_folium(data: dict[str, gpd.GeoDataFrame]) -> folium.Map:
    """The usual folium map of the same parcels: one GeoJson with a style function."""
    gdf = data["parcels"].copy()
    gdf["status"] = parcel_status(gdf)
    gdf = gdf.drop(columns=["supply_date"]).to_crs(4326)
    gdf["far_ok"] = gdf["far_ok"].astype(object)
    b = gdf.total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=13)
    folium.GeoJson(
        gdf,
        style_function=lambda f: {
            "fillColor": COLOURS[f["properties"]["status"]],
            "color": "#333333",
            "weight": 0.8,
            "fillOpacity": 0.6,
        },
    ).add_to(m)
    return m


def _leaflet_files() -> dict[str, bytes]:
    import xstatic.pkg.leaflet as xleaflet

    base = Path(xleaflet.BASE_DIR)
    return {
        "leaflet.js": (base / "leaflet.js").read_bytes(),
        "leaflet.css": (base / "leaflet.css").read_bytes(),
    }


def time_load(context: Any, path: Path, *, timeout_s: float, repeat: int) -> dict[str, Any]:
    """Median load-event and drawn times (ms) of ``path`` in fresh pages, or a timeout."""
    loads, drawn = [], []
    for _ in range(repeat):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        try:
            page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        except Exception as exc:  # playwright TimeoutError
            page.close()
            return {"load_ms": None, "drawn_ms": None, "timeout": True, "error": type(exc).__name__}
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        done = page.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
        )
        loads.append(load)
        drawn.append(done)
        page.close()
        if errors:
            return {
                "load_ms": statistics.median(loads),
                "drawn_ms": statistics.median(drawn),
                "errors": errors[:3],
            }
        if load > 20_000:  # one slow run is enough
            break
    return {
        "load_ms": statistics.median(loads),
        "drawn_ms": statistics.median(drawn),
        "timeout": False,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--folium-timeout", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "maps.json")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 2
    leaflet = _leaflet_files()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench-maps-"))
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(work / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:")):
                r.continue_()
            elif "leaflet@1.9.3/dist/leaflet.js" in url:
                r.fulfill(
                    status=200, body=leaflet["leaflet.js"], content_type="application/javascript"
                )
            elif "leaflet@1.9.3/dist/leaflet.css" in url:
                r.fulfill(status=200, body=leaflet["leaflet.css"], content_type="text/css")
            elif url.endswith(".js"):
                r.fulfill(status=200, body=b"", content_type="application/javascript")
            elif url.endswith(".css"):
                r.fulfill(status=200, body=b"", content_type="text/css")
            else:
                r.abort()

        context.route("**/*", route)
        # warm the browser up once
        warm = work / "warm.html"
        warm.write_text("<!DOCTYPE html><p>warm</p>", encoding="utf-8")
        page = context.new_page()
        page.goto(warm.as_uri())
        page.close()
        for n in args.sizes:
            data = synthetic(n)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BasemapWarning)
                m = build_map(
                    data["parks"],
                    data["parcels"],
                    blocks=data["blocks"],
                    zones=data["zones"],
                    title="基准测试",
                    audit_date="2026-01-01",
                )
                xs_path = write_map(m, work / f"xsland-{n}.html")
            xs_build = time.perf_counter() - t
            t = time.perf_counter()
            fm = plain_folium(data)
            fo_path = work / f"folium-{n}.html"
            fm.save(str(fo_path))
            fo_build = time.perf_counter() - t
            xs = time_load(context, xs_path, timeout_s=60, repeat=args.repeat)
            fo = time_load(context, fo_path, timeout_s=args.folium_timeout, repeat=args.repeat)
            row = {
                "parcels": n,
                "vertices": int(shapely.get_num_coordinates(data["parcels"].geometry.values).sum()),
                "xsland_mb": xs_path.stat().st_size / 1e6,
                "xsland_build_s": xs_build,
                "xsland_load_ms": xs["load_ms"],
                "xsland_drawn_ms": xs["drawn_ms"],
                "folium_mb": fo_path.stat().st_size / 1e6,
                "folium_build_s": fo_build,
                "folium_load_ms": fo["load_ms"],
                "folium_drawn_ms": fo["drawn_ms"],
                "folium_timeout": bool(fo.get("timeout")),
                "errors": xs.get("errors", []) + fo.get("errors", []),
            }
            rows.append(row)
            print(_line(row, args.folium_timeout), flush=True)
        context.close()
    print()
    print(_table(rows, args.folium_timeout))
    result = {
        "meta": {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "folium": folium.__version__,
            "chromium": CHROMIUM,
            "cpus": os.cpu_count(),
            "load_average": [round(v, 2) for v in os.getloadavg()],
            "load": "navigation timing loadEventEnd (ms from navigation start), median of runs",
            "drawn": "after the load event plus two animation frames (ms from navigation start)",
            "network": "all requests aborted; folium's CDN Leaflet answered from xstatic-leaflet",
            "folium_timeout_s": args.folium_timeout,
            "data": "synthetic grid parcels in EPSG:4549 (60-120 m lots, 20 % with 6-14 vertices, "
            "2 % MultiPolygons), parks of 400 parcels with core/expansion zones, blocks",
        },
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def _ms(v: float | None, timeout: bool, limit: float) -> str:
    if timeout or v is None:
        return f"> {limit:.0f} s"
    return f"{v / 1000:.2f} s"


def _line(r: dict[str, Any], limit: float) -> str:
    return (
        f"{r['parcels']:>7,} parcels: xsland {r['xsland_mb']:.1f} MB, load {_ms(r['xsland_load_ms'], False, 60)}"
        f" | folium {r['folium_mb']:.1f} MB, load {_ms(r['folium_load_ms'], r['folium_timeout'], limit)}"
    )


def _table(rows: list[dict[str, Any]], limit: float) -> str:
    head = (
        "| parcels | xsland MB | xsland build | xsland load | xsland drawn "
        "| folium MB | folium build | folium load | folium drawn |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(
            f"| {r['parcels']:,} | {r['xsland_mb']:.2f} | {r['xsland_build_s']:.2f} s "
            f"| {_ms(r['xsland_load_ms'], False, 60)} | {_ms(r['xsland_drawn_ms'], False, 60)} "
            f"| {r['folium_mb']:.2f} | {r['folium_build_s']:.2f} s "
            f"| {_ms(r['folium_load_ms'], r['folium_timeout'], limit)} "
            f"| {_ms(r['folium_drawn_ms'], r['folium_timeout'], limit)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
