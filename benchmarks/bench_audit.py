"""End-to-end audit time and peak memory at 100k and 1M parcels.

Usage::

    python benchmarks/bench_audit.py                  # 100k and 1M parcels
    python benchmarks/bench_audit.py --sizes 10000    # a quick run

The parcels and buildings are those of ``bench_far.make_layers`` (a grid of 100 m
parcels with about two buildings each); parks are 1 km × 2 km rectangles (core and
expansion zones) over the grid, every fourth one district-type; categories, supply dates
and enterprises are drawn with a fixed seed. Two phases are timed, as the command line
runs them:

- ``validate``: the layers and tables validated as :func:`xsland.read.io.read_layer`
  validates a file (:func:`xsland.read.validate.validate_layer`,
  :func:`~xsland.read.validate.validate_table`: repairs, IDs, CRS, coordinates);
- ``audit``: :func:`xsland.pipeline.audit.run` on those validated layers, as a whole
  (categories, plot ratio, parcels to parks, park and town checks, blocks, data-quality
  checks) — the in-memory audit.

``xsland.run_audit`` given frames that are not validated validates them first, so it
takes about the sum. The peak resident memory is read as in ``bench_far`` (of the
audit). Results go to ``benchmarks/results/audit.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_far import CRS, MEMORY_METHOD, SIZE, X0, Y0, make_layers, measure  # noqa: E402

from xsland.pipeline.audit import run  # noqa: E402
from xsland.read.validate import validate_layer, validate_table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"
ROAD = 20.0


def make_audit_inputs(n_parcels: int, *, seed: int = 7):
    """Parks, parcels (with audit attributes), buildings, enterprises, indicators."""
    rng = np.random.default_rng(seed)
    parcels, buildings = make_layers(n_parcels)
    cols = math.ceil(math.sqrt(n_parcels))

    # street blocks of 4 × 4 parcels between 20 m roads, as in a real cadastre (a gapless
    # grid would make every flagged parcel one contiguous block); buildings move with the
    # parcel their corner stands on, and are 1.5 times as wide and deep so that coverage
    # and FAR spread around the thresholds rather than far below them
    def shift(x, y):
        col = np.floor((x - X0) / SIZE)
        row = np.floor((y - Y0) / SIZE)
        return (col // 4) * ROAD, (row // 4) * ROAD

    x0, y0, x1, y1 = shapely.bounds(parcels.geometry.to_numpy()).T
    dx, dy = shift(x0 + 1e-6, y0 + 1e-6)
    parcels = parcels.set_geometry(shapely.box(x0 + dx, y0 + dy, x1 + dx, y1 + dy))
    bx0, by0, bx1, by1 = shapely.bounds(buildings.geometry.to_numpy()).T
    dx, dy = shift(bx0, by0)
    bx1 = bx0 + (bx1 - bx0) * 1.5
    by1 = by0 + (by1 - by0) * 1.5
    buildings = buildings.set_geometry(shapely.box(bx0 + dx, by0 + dy, bx1 + dx, by1 + dy))
    extent = cols * SIZE + (cols // 4) * ROAD
    step_x, step_y = 2000.0, 1000.0  # a park per 2 km × 1 km: core half and expansion half
    nx, ny = max(1, int(extent // step_x)), max(1, int(extent // step_y))
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    gx, gy = gx.ravel(), gy.ravel()
    keep = rng.random(len(gx)) < 0.8  # 20 % of the land outside any park
    gx, gy = gx[keep], gy[keep]
    n_parks = len(gx)
    x0, y0 = X0 + gx * step_x + 50, Y0 + gy * step_y + 50  # park edges cut through parcels
    park_id = np.char.add("K", np.arange(n_parks).astype(str))
    industries = np.array(["智能装备", "新材料", "生物医药", "集成电路"], dtype=object)
    parks = gpd.GeoDataFrame(
        {
            "park_id": np.concatenate([park_id, park_id]),
            "name": np.concatenate([park_id, park_id]),
            "town": np.tile(rng.choice(["东亭街道", "安镇街道", "锡北镇"], n_parks), 2),
            "park_type": np.tile(np.where(np.arange(n_parks) % 4 == 0, "district", "carrier"), 2),
            "leading_industry": np.tile(
                np.where(rng.random(n_parks) < 0.7, industries[0], rng.choice(industries, n_parks)),
                2,
            ),
            "zone": np.repeat(["core", "expansion"], n_parks),
        },
        geometry=np.concatenate(
            [
                shapely.box(x0, y0, x0 + step_x / 2, y0 + step_y - 100),
                shapely.box(x0 + step_x / 2, y0, x0 + step_x - 100, y0 + step_y - 100),
            ]
        ),
        crs=CRS,
    )
    n = len(parcels)
    n_ent = max(1, n // 4)
    parcels["category"] = rng.choice(
        ["new_industrial", "standard_factory", "new_type_industrial", "industrial", "other"],
        n,
        p=[0.1, 0.1, 0.05, 0.7, 0.05],
    )
    parcels["enterprise_id"] = np.char.add("E", rng.integers(0, n_ent, n).astype(str))
    parcels["supply_date"] = pd.to_datetime("2005-01-01") + pd.to_timedelta(
        rng.integers(0, 7000, n), unit="D"
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": np.char.add("E", np.arange(n_ent).astype(str)),
            "industry": np.where(
                rng.random(n_ent) < 0.85, industries[0], rng.choice(industries, n_ent)
            ),
            "revenue": rng.uniform(100, 10_000, n_ent),
            "tax": rng.uniform(5, 500, n_ent),
            "eval_class": rng.choice(list("ABCD"), n_ent, p=[0.3, 0.4, 0.25, 0.05]),
            "chain_leader": rng.random(n_ent) < 0.01,
        }
    )
    indicators = pd.DataFrame(
        {
            "park_id": park_id,
            "year": 2026,
            "promotion_events": rng.integers(0, 5, n_parks).astype(float),
            "innovation_platforms": rng.integers(0, 2, n_parks).astype(float),
            "industry_fund_wan": rng.choice([0.0, 3000.0, 8000.0], n_parks),
        }
    )
    return parks, parcels, buildings, enterprises, indicators


def validated(parks, parcels, buildings, enterprises, indicators) -> tuple:
    """The inputs validated as :func:`xsland.read.io.read_layer` and ``read_table``
    validate a file; ``run`` takes them as they are (:func:`~xsland.read.validate.is_validated`)."""
    return (
        validate_layer(parks, "parks"),
        validate_layer(parcels, "parcels"),
        validate_layer(buildings, "buildings"),
        validate_table(enterprises, "enterprises"),
        validate_table(indicators, "indicators"),
    )


#: The issue's target: the in-memory audit (``run()`` on validated layers) of this many
#: parcels within this many seconds.
TARGET_SIZE = 1_000_000
TARGET_S = 30.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args(argv)
    rows = []
    print(f"memory: {MEMORY_METHOD}")
    print(
        f"{'parcels':>10} {'buildings':>10} {'parks':>6} {'validate s':>10} {'audit s':>9} "
        f"{'peak MB':>9}"
    )
    for n in args.sizes:
        parks, parcels, buildings, ent, ind = make_audit_inputs(n)
        t0 = time.perf_counter()
        parks, parcels, buildings, ent, ind = validated(parks, parcels, buildings, ent, ind)
        checked = time.perf_counter() - t0
        result, seconds, peak, extra = measure(
            lambda p=parks, q=parcels, b=buildings, e=ent, i=ind: run(
                p, q, b, enterprises=e, indicators=i
            )
        )
        row = {
            "parcels": len(parcels),
            "buildings": len(buildings),
            "parks": parks["park_id"].nunique(),
            "validate_s": checked,
            "audit_s": seconds,
            "peak_mb": peak,
            "extra_mb": extra,
            "parcels_in_parks": int(result.parcels["park_id"].notna().sum()),
            "quality_rows": len(result.quality),
        }
        rows.append(row)
        print(
            f"{row['parcels']:>10,} {row['buildings']:>10,} {row['parks']:>6} "
            f"{checked:>10.1f} {seconds:>9.1f} {peak:>9.0f}"
        )
    goals = [
        {"parcels": r["parcels"], "audit_s": r["audit_s"], "met": bool(r["audit_s"] <= TARGET_S)}
        for r in rows
        if r["parcels"] == TARGET_SIZE
    ]
    for g in goals:
        print(
            f"target in-memory audit at {TARGET_SIZE:,} parcels <= {TARGET_S:.0f} s: "
            f"{g['audit_s']:.1f} s -> {'met' if g['met'] else 'NOT met'}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"memory": MEMORY_METHOD, "rows": rows, "targets": goals}, indent=2)
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
