"""Benchmark :func:`xsland.measure.raster.zonal_stats` against exactextract and rasterstats.

Usage::

    python benchmarks/bench_raster.py                          # 100k and 1M parcels
    python benchmarks/bench_raster.py --sizes 10000 100000     # smaller runs
    python benchmarks/bench_raster.py --reference-max 0        # rasterstats projected only

For each size it builds a synthetic, deterministic layer of parcels in EPSG:4549 — a
jittered 50 m lattice (corners moved by up to ±10 m, so parcels are irregular
quadrilaterals that tile the plane without gaps and are not aligned to the raster) — and
a 10 m land-cover raster under them (ESA WorldCover codes 10/30/40/50/60 in patches of
~200 m, 1 % of cells nodata 0; tiled 256 x 256, deflate) written to a temporary folder.
Parcels have about 25 cells each (5 x 5).

It then times, in this process, the categorical class shares of every parcel by:

- **xsland exact**: ``zonal_stats(parcels, tif, method="exact")`` (coverage fractions by
  the NumPy scanline algorithm, windowed reading with the default ``max_window_cells``);
- **xsland center**: ``zonal_stats(parcels, tif, method="center")`` (GDAL rasterisation
  of chunks into label rasters, overlap check, ``np.bincount``);
- **exactextract**: ``exact_extract(tif, parcels, ["unique", "frac"], output="pandas",
  strategy=...)`` (C++; the reference for ``exact``), by default its
  ``raster-sequential`` strategy, the faster of its two here;
- **rasterstats**: ``zonal_stats(parcels, tif, categorical=True, all_touched=False)``
  (one window read and one rasterisation per parcel; the reference for ``center``). It is
  slow (about 2 ms per parcel), so above ``--reference-max`` parcels it is **not run**:
  its time is *projected* linearly from the per-parcel time of the largest full run in
  this invocation, or else of a run on the first ``--reference-sample`` parcels, and
  the table labels it "projected".

Checks: the largest difference between xsland ``exact`` and exactextract's ``frac``
over all parcels and classes (percentage points), and the number of parcels whose
``center`` shares differ from rasterstats' (should be 0).

Memory is the peak resident set size (RSS) of the process during each step, read from
``VmHWM`` in ``/proc/self/status`` after resetting it by writing ``5`` to
``/proc/self/clear_refs`` (Linux >= 4.0); the table shows the peak and the increase over
the RSS at the start of the step. This sees every allocation (GDAL's, GEOS's and
exactextract's included), unlike ``tracemalloc``, which is used only where
``clear_refs`` is not available (and then misses native memory). The parcel layer is part
of the starting RSS. Both wall-clock and CPU seconds (``time.process_time``: this
process, all threads) are reported; on a shared machine CPU seconds are the steadier
figure, and the 1/5/15-minute load averages at start and end are recorded. Results go to
``benchmarks/results/raster.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.transform import from_origin
from scipy.ndimage import zoom

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_far import MEMORY_METHOD, _clear_peak, _rss_kb, _trim  # noqa: E402

from xsland.measure.raster import DEFAULT_MAX_WINDOW_CELLS, zonal_stats  # noqa: E402

X0, Y0 = 500_000.0, 3_400_000.0
SPACING = 50.0  # lattice spacing of the parcels, m
JITTER = 10.0  # corners moved by up to this, m
RES = 10.0
CRS = "EPSG:4549"
CLASSES = np.array([10, 30, 40, 50, 60], dtype=np.uint8)
RESULTS = Path(__file__).resolve().parent / "results" / "raster.json"


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def make_parcels(n: int, *, seed: int = 20250829) -> gpd.GeoDataFrame:
    """``n`` quadrilaterals of a jittered lattice (they tile the plane)."""
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    gx = (
        X0
        + np.arange(cols + 1)[None, :] * SPACING
        + rng.uniform(-JITTER, JITTER, (rows + 1, cols + 1))
    )
    gy = (
        Y0
        + np.arange(rows + 1)[:, None] * SPACING
        + rng.uniform(-JITTER, JITTER, (rows + 1, cols + 1))
    )
    i = np.arange(n)
    r, c = i // cols, i % cols
    corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)]
    ring = np.stack([np.column_stack([gx[a, b], gy[a, b]]) for a, b in corners], axis=1)
    return gpd.GeoDataFrame(
        {"parcel_id": np.char.add("P", i.astype(str))}, geometry=shapely.polygons(ring), crs=CRS
    )


def make_raster(parcels: gpd.GeoDataFrame, path: Path, *, seed: int = 20250829) -> tuple[int, int]:
    """A 10 m land-cover raster covering the parcels with a 100 m margin."""
    rng = np.random.default_rng([seed, 1])
    left, bottom, right, top = parcels.total_bounds
    left = math.floor(left / RES) * RES - 100
    top = math.ceil(top / RES) * RES + 100
    width = math.ceil((right - left) / RES) + 10
    height = math.ceil((top - bottom) / RES) + 10
    coarse = rng.random((height // 20 + 2, width // 20 + 2))
    patches = zoom(coarse, 20, order=1)[:height, :width]
    cover = CLASSES[np.minimum((patches * len(CLASSES)).astype(int), len(CLASSES) - 1)]
    cover[rng.random((height, width)) < 0.01] = 0
    profile = dict(
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint8",
        crs=CRS,
        transform=from_origin(left, top, RES, RES),
        nodata=0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(cover, 1)
    return height, width


# ---------------------------------------------------------------------------
# the four tools, all returning an (n, len(CLASSES)) matrix of class shares
# ---------------------------------------------------------------------------


def _matrix_from_xsland(z: pd.DataFrame) -> np.ndarray:
    out = np.zeros((len(z), len(CLASSES)))
    for j, cls in enumerate(CLASSES):
        col = f"frac_{cls}"
        if col in z.columns:
            out[:, j] = z[col].to_numpy()
    out[z.isna().all(axis=1).to_numpy()] = np.nan
    return out


def by_xsland(parcels: gpd.GeoDataFrame, tif: Path, method: str) -> np.ndarray:
    return _matrix_from_xsland(zonal_stats(parcels, tif, method=method))


def by_exactextract(parcels: gpd.GeoDataFrame, tif: Path, strategy: str) -> pd.DataFrame:
    from exactextract import exact_extract

    return exact_extract(str(tif), parcels, ["unique", "frac"], output="pandas", strategy=strategy)


def exactextract_matrix(df: pd.DataFrame) -> np.ndarray:
    lengths = df["unique"].map(len).to_numpy()
    rows = np.repeat(np.arange(len(df)), lengths)
    values = np.concatenate(df["unique"].to_list()).astype(int) if lengths.sum() else np.array([])
    fracs = np.concatenate(df["frac"].to_list()) if lengths.sum() else np.array([])
    out = np.zeros((len(df), len(CLASSES)))
    col = np.searchsorted(CLASSES, values)
    np.add.at(out, (rows, col), fracs)
    out[lengths == 0] = np.nan
    return out


def by_rasterstats(parcels: gpd.GeoDataFrame, tif: Path) -> list[dict]:
    from rasterstats import zonal_stats as rs_zonal_stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rs_zonal_stats(parcels, str(tif), categorical=True, all_touched=False)


def rasterstats_matrix(counts: list[dict]) -> np.ndarray:
    out = np.zeros((len(counts), len(CLASSES)))
    for i, d in enumerate(counts):
        for cls, k in d.items():
            out[i, int(np.searchsorted(CLASSES, int(cls)))] = k
    total = out.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / total, np.nan)


# ---------------------------------------------------------------------------
# timing and memory
# ---------------------------------------------------------------------------


def measure(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """Run ``fn``: its result and ``seconds`` (wall), ``cpu_seconds`` (this process, all
    threads), ``peak_mb`` and ``extra_mb`` (peak minus RSS at the start)."""
    _trim()
    rss = MEMORY_METHOD.startswith("peak RSS")
    if rss:
        _clear_peak()
        start = _rss_kb("VmRSS")
    else:
        tracemalloc.start()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if rss:
        peak = _rss_kb("VmHWM")
        mem = (peak / 1024, (peak - start) / 1024)
    else:
        mem = (float("nan"), tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return out, {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": mem[0], "extra_mb": mem[1]}


def _step(stats: dict[str, Any], note: str, *, projected: bool = False) -> dict[str, Any]:
    return {**stats, "note": note, "projected": projected}


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def run(
    sizes: list[int], *, reference_max: int, reference_sample: int, ee_strategy: str, tmp: Path
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    rs_per_parcel: tuple[float, float] | None = None  # wall, CPU s per parcel
    for n in sorted(sizes):
        parcels = make_parcels(n)
        tif = tmp / f"landcover_{n}.tif"
        height, width = make_raster(parcels, tif)
        row: dict[str, Any] = {
            "parcels": n,
            "raster_cells": height * width,
            "raster": [height, width],
        }
        print(
            f"\n{n:,} parcels, raster {height:,} x {width:,} cells ({height * width / 1e6:.1f} M)"
        )

        exact, st = measure(lambda p=parcels, t=tif: by_xsland(p, t, "exact"))
        row["xsland_exact"] = _step(st, "")
        center, st = measure(lambda p=parcels, t=tif: by_xsland(p, t, "center"))
        row["xsland_center"] = _step(st, "")

        ee, st = measure(lambda p=parcels, t=tif: by_exactextract(p, t, ee_strategy))
        ee = exactextract_matrix(ee)
        both = ~np.isnan(exact[:, 0]) & ~np.isnan(ee[:, 0])
        diff_pp = float(np.abs(exact[both] - ee[both]).max() * 100) if both.any() else 0.0
        nan_differs = int((np.isnan(exact[:, 0]) != np.isnan(ee[:, 0])).sum())
        row["exactextract"] = _step(
            st,
            f"max |exact - exactextract| = {diff_pp:.2e} pp; NaN differs in {nan_differs}",
        )
        row["exact_vs_exactextract_max_pp"] = diff_pp
        row["exact_vs_exactextract_nan_differs"] = nan_differs

        if n <= reference_max:
            rs, st = measure(lambda p=parcels, t=tif: by_rasterstats(p, t))
            rs = rasterstats_matrix(rs)
            same = np.isclose(np.nan_to_num(center, nan=-1), np.nan_to_num(rs, nan=-1), atol=1e-12)
            differ = int((~same.all(axis=1)).sum())
            row["rasterstats"] = _step(st, f"center differs in {differ} parcels")
            row["center_vs_rasterstats_differ"] = differ
            rs_per_parcel = (st["seconds"] / n, st["cpu_seconds"] / n)
        else:
            basis = "the largest full run above"
            if rs_per_parcel is None:
                sub = parcels.iloc[:reference_sample]
                _, st = measure(lambda p=sub, t=tif: by_rasterstats(p, t))
                rs_per_parcel = (st["seconds"] / len(sub), st["cpu_seconds"] / len(sub))
                basis = f"a run on {len(sub):,} parcels"
            row["rasterstats"] = _step(
                {
                    "seconds": rs_per_parcel[0] * n,
                    "cpu_seconds": rs_per_parcel[1] * n,
                    "peak_mb": None,
                    "extra_mb": None,
                },
                f"PROJECTED, not run (> --reference-max {reference_max:,}): "
                f"{rs_per_parcel[0] * 1e3:.2f} ms/parcel from {basis}",
                projected=True,
            )
            row["center_vs_rasterstats_differ"] = None
        rows.append(row)
        print_row(row)
        del parcels, exact, center, ee
        tif.unlink()
    return rows


def _f(v: Any, fmt: str) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def print_row(row: dict[str, Any]) -> None:
    print(f"memory: {MEMORY_METHOD}; 'extra' = peak minus RSS at the start of the step")
    print(
        f"{'tool':<15} {'wall s':>10} {'CPU s':>10} {'parcels/s':>11} {'peak MB':>9} "
        f"{'extra MB':>9}  note"
    )
    for key, label in (
        ("xsland_exact", "xsland exact"),
        ("xsland_center", "xsland center"),
        ("exactextract", "exactextract"),
        ("rasterstats", "rasterstats"),
    ):
        st = row[key]
        secs = st["seconds"]
        rate = row["parcels"] / secs if secs else None
        star = "*" if st["projected"] else ""
        sec = _f(secs, ".2f") + star
        cpu = _f(st["cpu_seconds"], ".2f") + star
        print(
            f"{label:<15} {sec:>10} {cpu:>10} {_f(rate, ',.0f'):>11} {_f(st['peak_mb'], '.0f'):>9} "
            f"{_f(st['extra_mb'], '.0f'):>9}  {st['note']}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="numbers of parcels (default: 100000 1000000)",
    )
    parser.add_argument(
        "--reference-max",
        type=int,
        default=100_000,
        help="run rasterstats only up to this many parcels; above, project its time "
        "(default 100000)",
    )
    parser.add_argument(
        "--reference-sample",
        type=int,
        default=5_000,
        help="parcels rasterstats runs on to project its time when no full run is "
        "available (default 5000)",
    )
    parser.add_argument(
        "--exactextract-strategy",
        choices=["raster-sequential", "feature-sequential"],
        default="raster-sequential",
        help="exactextract's processing strategy (default raster-sequential, its faster here)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"JSON file to write (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_raster.") as tmp:
        rows = run(
            args.sizes,
            reference_max=args.reference_max,
            reference_sample=args.reference_sample,
            ee_strategy=args.exactextract_strategy,
            tmp=Path(tmp),
        )
    import exactextract
    import rasterstats

    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "rasterio": rasterio.__version__,
        "gdal": rasterio.__gdal_version__,
        "exactextract": exactextract.__version__,
        "exactextract_strategy": args.exactextract_strategy,
        "rasterstats": rasterstats.__version__,
        "cpus": os.cpu_count(),
        "memory_method": MEMORY_METHOD,
        "max_window_cells": DEFAULT_MAX_WINDOW_CELLS,
        "reference_max": args.reference_max,
        "data": (
            f"jittered {SPACING:.0f} m lattice of quadrilateral parcels (corners +-{JITTER:.0f} m), "
            f"EPSG:4549; {RES:.0f} m uint8 land cover, classes {CLASSES.tolist()}, 1 % nodata"
        ),
        "total_seconds": time.perf_counter() - t0,
        "load_average_1_5_15_min": {"start": load_start, "end": os.getloadavg()},
        "timing_note": (
            "wall seconds depend on other processes on the machine (see load_average); "
            "cpu_seconds is this process's CPU time, steadier under contention"
        ),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"\n* projected, not measured. Total {meta['total_seconds']:.0f} s. Wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
