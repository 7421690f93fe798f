"""Benchmark :func:`xsland.measure.far.plot_ratio` against ``geopandas.overlay`` + ``groupby``.

Usage::

    python benchmarks/bench_far.py                       # 10k, 100k and 1M parcels
    python benchmarks/bench_far.py --sizes 1000 10000    # smaller runs
    python benchmarks/bench_far.py --sizes 1000000 --overlay-max 100000   # xsland only at 1M

For each size it builds a synthetic, deterministic grid of 100 m × 100 m parcels in
EPSG:4549 with about two buildings per parcel (Poisson, so ~13 % of parcels are vacant),
about 10 % of them straddling the boundary to the next parcel, a mix of floors, height-only
buildings, tall single-storey halls (storey 9–11 m), buildings with their own floor area,
some with no floors or height, and uses industrial / office / missing.

It then times, in this process:

- **xsland**: ``plot_ratio(parcels, buildings)`` (STRtree + one vectorised intersection +
  ``np.bincount``);
- **overlay**: ``counted_floors`` + ``geopandas.overlay(buildings, parcels,
  how="intersection")`` + piece areas + ``groupby("parcel_id").sum()``, the usual way,

asserts that both give the same floor area for every parcel (relative 1e-6; vacant parcels
0 in both; parcels with only buildings of unknown floors NaN in both; a parcel holding a
building that duplicates another, which xsland counts once, less that building's floor
area: :func:`check_equal`), prints a table and
writes it to ``benchmarks/results/far.json``.

Memory is the peak resident set size (RSS) of the process during each step, read from
``VmHWM`` in ``/proc/self/status`` after resetting it by writing ``5`` to
``/proc/self/clear_refs`` (Linux ≥ 4.0); the table shows the peak and the increase over the
RSS at the start of the step. This sees every allocation, GEOS's included, unlike
``tracemalloc``, which is used only where ``clear_refs`` is not available (and then misses
GEOS's own memory). The layers themselves are part of the starting RSS.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import gc
import json
import math
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xsland.measure.far import counted_floors, plot_ratio  # noqa: E402

X0, Y0 = 500_000.0, 3_400_000.0
SIZE = 100.0
CRS = "EPSG:4549"
RESULTS = Path(__file__).resolve().parent / "results" / "far.json"


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def make_layers(n_parcels: int, *, seed: int = 20250829) -> tuple[gpd.GeoDataFrame, ...]:
    """A grid of ``n_parcels`` 100 m parcels and about twice as many buildings."""
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(n_parcels))
    i = np.arange(n_parcels)
    px = X0 + (i % cols) * SIZE
    py = Y0 + (i // cols) * SIZE
    parcels = gpd.GeoDataFrame(
        {"parcel_id": np.char.add("P", i.astype(str))},
        geometry=shapely.box(px, py, px + SIZE, py + SIZE),
        crs=CRS,
    )
    n_b = 2 * n_parcels
    home = rng.integers(0, n_parcels, n_b)  # Poisson(2) buildings per parcel
    w = rng.uniform(10, 45, n_b)
    h = rng.uniform(10, 45, n_b)
    x = px[home] + rng.uniform(0, 1, n_b) * (SIZE - w)
    y = py[home] + rng.uniform(0, 1, n_b) * (SIZE - h)
    straddle = rng.random(n_b) < 0.10  # pushed over the right edge of its parcel
    x = np.where(straddle, px[home] + SIZE - w * rng.uniform(0.2, 0.8, n_b), x)
    floors = rng.integers(1, 7, n_b).astype(float)
    height = np.full(n_b, np.nan)
    storey = np.full(n_b, np.nan)
    own = np.full(n_b, np.nan)
    kind = rng.random(n_b)
    height_only = kind < 0.10
    height[height_only] = rng.uniform(4, 30, n_b)[height_only]
    floors[height_only] = np.nan
    hall = (kind >= 0.10) & (kind < 0.15)
    floors[hall] = 1.0
    storey[hall] = rng.uniform(9, 11, n_b)[hall]
    with_own = (kind >= 0.15) & (kind < 0.20)
    own[with_own] = (w * h * rng.uniform(1, 5, n_b))[with_own]
    unknown = kind >= 0.99
    floors[unknown] = np.nan
    use = rng.choice(np.array(["industrial", "office", None], dtype=object), n_b, p=[0.7, 0.2, 0.1])
    buildings = gpd.GeoDataFrame(
        {
            "building_id": np.char.add("B", np.arange(n_b).astype(str)),
            "floors": floors,
            "height": height,
            "storey_height": storey,
            "floor_area": own,
            "use": use,
        },
        geometry=shapely.box(x, y, x + w, y + h),
        crs=CRS,
    )
    return parcels, buildings


# ---------------------------------------------------------------------------
# the two methods
# ---------------------------------------------------------------------------


def by_xsland(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> np.ndarray:
    return plot_ratio(parcels, buildings)["floor_area"].to_numpy()


def by_overlay(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> np.ndarray:
    b = buildings[["building_id", "floor_area", "geometry"]].assign(
        counted=counted_floors(buildings), b_area=buildings.geometry.area
    )
    pieces = gpd.overlay(
        b, parcels[["parcel_id", "geometry"]], how="intersection", keep_geom_type=True
    )
    piece = pieces.geometry.area.to_numpy()
    fa = np.where(
        pieces["floor_area"].notna(),
        pieces["floor_area"].to_numpy() * piece / pieces["b_area"].to_numpy(),
        piece * pieces["counted"].to_numpy(),
    )
    per_parcel = pd.Series(fa).groupby(pieces["parcel_id"].to_numpy()).sum(min_count=1)
    touched = pd.Series(piece).groupby(pieces["parcel_id"].to_numpy()).size()
    out = per_parcel.reindex(parcels["parcel_id"]).to_numpy(dtype=float, copy=True)
    vacant = ~parcels["parcel_id"].isin(touched.index).to_numpy()
    out[vacant] = 0.0
    return out


# ---------------------------------------------------------------------------
# timing and memory
# ---------------------------------------------------------------------------


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(field)


def _clear_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _rss_kb("VmHWM")
        return True
    except OSError:
        return False


MEMORY_METHOD = (
    "peak RSS (VmHWM after /proc/self/clear_refs reset)"
    if _clear_peak()
    else "tracemalloc peak (Python and NumPy allocations only, not GEOS)"
)


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """Run ``fn``: (result, seconds, peak MB, MB above the start)."""
    _trim()
    if MEMORY_METHOD.startswith("peak RSS"):
        _clear_peak()
        start = _rss_kb("VmRSS")
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        peak = _rss_kb("VmHWM")
        return out, seconds, peak / 1024, (peak - start) / 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, float("nan"), peak / 2**20


def check_equal(
    a: np.ndarray, b: np.ndarray, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> int:
    """Same floor areas: NaN in the same parcels, else equal to 1e-6 relative — except in
    parcels holding a duplicate footprint, which xsland counts once and the overlay twice.

    The random buildings of a large grid now and then fall almost on top of each other
    (two of the 2M buildings of the 1M grid do: IoU 0.96 and 0.97). xsland counts such a
    pair once (``Policy.duplicate_building_iou_min``, listed in the data-quality table);
    the plain overlay counts both. Every parcel where the two differ must be explained
    by :func:`_duplicate_floor_area`, worked out here from the buildings alone (every
    pair of intersecting buildings, their IoU by ``shapely.intersection``): the overlay's
    figure less that of the later building of each such pair is xsland's, to 1e-6. The
    parcels so explained are counted (returned).
    """
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        raise AssertionError(f"NaN differs in {int((na != nb).sum())} parcels")
    close = np.isclose(a, b, rtol=1e-6, atol=0) | na
    bad = np.flatnonzero(~close)
    if len(bad):
        dropped = _duplicate_floor_area(parcels.iloc[bad], buildings)
        np.testing.assert_allclose(a[bad], b[bad] - dropped, rtol=1e-6, atol=1e-6)
    return len(bad)


def _duplicate_floor_area(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """The floor area in each parcel of the buildings that duplicate an earlier one
    (intersection over union above ``DEFAULT_POLICY.duplicate_building_iou_min``)."""
    from xsland.rules.policy import DEFAULT_POLICY

    g = buildings.geometry.to_numpy()
    tree = shapely.STRtree(g)
    counted = counted_floors(buildings).to_numpy(dtype=float)
    declared = buildings["floor_area"].to_numpy(dtype=float)
    out = np.zeros(len(parcels))
    for k, parcel in enumerate(parcels.geometry.to_numpy()):
        inside = tree.query(parcel, predicate="intersects")
        one, other = tree.query(g[inside], predicate="intersects")
        one = inside[one]
        inter = shapely.area(shapely.intersection(g[one], g[other]))
        iou = inter / (shapely.area(g[one]) + shapely.area(g[other]) - inter)
        pair = (one != other) & (iou > DEFAULT_POLICY.duplicate_building_iou_min)
        later = np.intersect1d(np.maximum(one, other)[pair], inside)
        piece = shapely.area(shapely.intersection(g[later], parcel))
        share = np.where(
            np.isnan(declared[later]),
            piece * counted[later],
            declared[later] * piece / shapely.area(g[later]),
        )
        out[k] = share.sum()
    return out


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def run(sizes: list[int], overlay_max: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        parcels, buildings = make_layers(n)
        row: dict[str, Any] = {"parcels": len(parcels), "buildings": len(buildings)}
        fa, row["xsland_s"], row["xsland_peak_mb"], row["xsland_extra_mb"] = measure(
            lambda p=parcels, b=buildings: by_xsland(p, b)
        )
        if n <= overlay_max:
            ref, row["overlay_s"], row["overlay_peak_mb"], row["overlay_extra_mb"] = measure(
                lambda p=parcels, b=buildings: by_overlay(p, b)
            )
            duplicates = check_equal(fa, ref, parcels, buildings)
            row["speedup"] = row["overlay_s"] / row["xsland_s"]
            row["equal"] = True
            row["parcels_with_duplicates"] = duplicates
            row["note"] = (
                f"floor areas equal (rtol 1e-6); in {duplicates} parcel(s) less the "
                "floor area of a duplicate footprint (IoU > 0.95), counted once by xsland"
                if duplicates
                else ""
            )
        else:
            row.update(
                overlay_s=None,
                overlay_peak_mb=None,
                overlay_extra_mb=None,
                speedup=None,
                equal=None,
                note=f"overlay skipped (parcels > --overlay-max {overlay_max})",
            )
        row["total_floor_area_m2"] = float(np.nansum(fa))
        rows.append(row)
        print_row(row, header=len(rows) == 1)
        del parcels, buildings, fa
    return rows


def _f(v: Any, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def print_row(row: dict[str, Any], *, header: bool) -> None:
    if header:
        print(f"memory: {MEMORY_METHOD}; 'extra' = peak minus RSS at the start of the step")
        print(
            f"{'parcels':>9} {'buildings':>10} {'xsland s':>9} {'overlay s':>10} "
            f"{'speed-up':>9} {'xsland MB':>16} {'overlay MB':>16}  note"
        )
    xs = f"{_f(row['xsland_peak_mb'], '.0f')} (+{_f(row['xsland_extra_mb'], '.0f')})"
    ov = (
        "—"
        if row["overlay_s"] is None
        else f"{_f(row['overlay_peak_mb'], '.0f')} (+{_f(row['overlay_extra_mb'], '.0f')})"
    )
    print(
        f"{row['parcels']:>9} {row['buildings']:>10} {row['xsland_s']:>9.2f} "
        f"{_f(row['overlay_s'], '.2f'):>10} {_f(row['speedup'], '.1f'):>9} "
        f"{xs:>16} {ov:>16}  {row['note'] or 'floor areas equal (rtol 1e-6)'}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="numbers of parcels (default: 10000 100000 1000000)",
    )
    parser.add_argument(
        "--overlay-max",
        type=int,
        default=1_000_000,
        help="skip geopandas.overlay above this many parcels (default 1000000)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"JSON file to write (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    rows = run(args.sizes, args.overlay_max)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": gpd.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "cpus": os.cpu_count(),
        "memory_method": MEMORY_METHOD,
        "overlay_max": args.overlay_max,
        "data": "grid of 100 m parcels, ~2 buildings per parcel, ~10 % straddling, EPSG:4549",
    }
    args.output.write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
