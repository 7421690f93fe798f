"""The whole run a user starts with ``xsland audit``: every step, every output, peak memory.

Usage::

    python benchmarks/bench_cli.py                               # 100k and 1M, both grids
    python benchmarks/bench_cli.py --sizes 20000 --ratio-size 20000   # a quick run
    XSLAND_BENCH_SIZES=100000 python benchmarks/bench_cli.py     # sizes from the environment

For each size and grid the inputs are written as a user has them — parks, parcels and
buildings in one GeoPackage, enterprises and indicators as CSV, a project file — and
:func:`xsland.pipeline.run.run_project` (what ``xsland audit -c xsland.toml`` calls) runs
in this process with every output: ``audit.gpkg``, ``audit.xlsx``, ``summary.md``,
``map.html`` and the town maps, ``report.html``. Each step's wall-clock time comes from the
run's own progress reports (:mod:`xsland._progress`: reading each input, measuring,
judging, blocks, the block table, each writer), beside the CPU time of the thread that
reported it (``thread CPU / wall``: a step whose thread mostly waits — for the GIL, a side
thread or a worker — uses far less CPU than time) and the CPU time of the process and of
the writers' workers (``cpu s``, of which ``sys s`` in the kernel; ``cores`` = CPU / wall,
at most the 2 cores of this machine: how busy the run kept them); memory is the peak resident set size of
the process during the run (``VmHWM`` after a reset through ``/proc/self/clear_refs``,
as in ``bench_far``), the generated inputs freed before.

Two grids, about two buildings per parcel:

- **street** — ``bench_audit.make_audit_inputs``: 100 m parcels in street blocks of 4 × 4
  between 20 m roads (wider than the 15 m gap, so blocks stay within a street block);
- **cadastre** — ``bench_blocks.make_parcels``: street blocks of 2 × 4 parcels that tile
  them (shared edges, cuts jittered so the common edges have T-junctions) between roads
  of 8, 11, 20 or 30 m (the narrow ones are bridged by the gap), and buildings that leave
  about 45 % of the parcels below the 30 % coverage minimum, so 30–60 % are flagged and the
  blocks grow large across the narrow roads.

**The kernel's share** (``sys s``). On this machine (a virtual machine whose kernel hands
freed memory back to its host at once: ``/sys/module/page_reporting``, ``min_free_ms`` 0),
memory the run touches for the first time costs 1.4–4.6 s of kernel CPU per GiB (a fresh
1 GiB NumPy array: 1.3–1.5 s, a fresh 5 GiB 23 s; the same array touched again 0.1 s), and
so does every page of a file written. A whole street run at 1M parcels spent 32–48 s of its
140–160 s CPU there on one day and 24–26 s of 103–113 s on another (``clear_page_erms`` for the audit's arrays, ``copy_folio_from_iter``
for the GeoPackage, the workbook's temporary files and the workers' plans), and that share
moves with whatever else the host runs: most of the spread between two runs of the same
code. Allocators that keep freed memory (jemalloc with ``retain:true`` and no decay,
mimalloc, glibc's ``MALLOC_TRIM_THRESHOLD_``/``MALLOC_TOP_PAD_``) did not lower it (the
memory is first touched, not touched again), nor did NumPy without huge pages.

**Ratio.** The whole run is compared with what the floor area alone costs with the usual
GeoPandas recipe — ``geopandas.overlay`` of buildings and parcels and a ``groupby`` sum
(``bench_far.by_overlay``) — timed in the same process on the same parcels and buildings:
for every size and grid of the table (column ``×ovl``; ``--no-row-ratios`` skips it), and
in a separate run at ``--ratio-size`` parcels (default 200 000, street grid). The issue's
target is a ratio of at most 3. A ratio is what a shared machine can show; absolute
seconds depend on the load, so the load averages before each run are kept (``load``: the
1-minute one). Results go to ``benchmarks/results/cli.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_audit import make_audit_inputs  # noqa: E402
from bench_blocks import CRS, make_parcels  # noqa: E402
from bench_far import MEMORY_METHOD, _clear_peak, _rss_kb, _trim, by_overlay  # noqa: E402

from xsland._progress import Step  # noqa: E402
from xsland.pipeline.run import run_project  # noqa: E402
from xsland.rules.project import load_project  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "cli.json"
GRIDS = ("street", "cadastre")
WEAK = 0.45  # cadastre: share of parcels built below the coverage minimum


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _buildings_in(parcels: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Two buildings per parcel, inside it: weak parcels ~12 % coverage, 1–2 floors;
    the others ~45 %, 3–6 floors (FAR ≈ 2)."""
    b = shapely.bounds(parcels.geometry.to_numpy())
    n = len(b)
    weak = rng.random(n) < WEAK
    home = np.repeat(np.arange(n), 2)
    side = np.sqrt(np.where(weak, 0.06, 0.22))[home] * rng.uniform(0.9, 1.1, 2 * n)
    w = (b[home, 2] - b[home, 0]) * side
    h = (b[home, 3] - b[home, 1]) * side
    half = np.tile([0.0, 0.5], n)  # one building in each half of the parcel
    x = b[home, 0] + (half + rng.uniform(0.0, 0.5, 2 * n) * 0.5) * (b[home, 2] - b[home, 0] - w)
    x = np.minimum(x, b[home, 2] - w)
    y = b[home, 1] + rng.uniform(0, 1, 2 * n) * (b[home, 3] - b[home, 1] - h)
    floors = np.where(weak[home], rng.integers(1, 3, 2 * n), rng.integers(3, 7, 2 * n))
    m = 2 * n
    return gpd.GeoDataFrame(
        {
            "building_id": np.char.add("B", np.arange(m).astype(str)),
            "floors": floors.astype(float),
            "height": np.full(m, np.nan),
            "storey_height": np.full(m, np.nan),
            "floor_area": np.full(m, np.nan),
            "use": np.full(m, "industrial", dtype=object),
        },
        geometry=shapely.box(x, y, x + w, y + h),
        crs=parcels.crs,
    )


def _parks(bounds: np.ndarray, rng: np.random.Generator):
    """Parks of 2 km × 1 km (core and expansion halves) over ``bounds``, 80 % of the
    places taken, every fourth district-type; their indicators."""
    x0, y0, x1, y1 = bounds
    step_x, step_y = 2000.0, 1000.0
    nx, ny = max(1, int((x1 - x0) // step_x)), max(1, int((y1 - y0) // step_y))
    gx, gy = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
    keep = rng.random(len(gx)) < 0.8
    keep[0] = True
    gx, gy = gx[keep], gy[keep]
    k = len(gx)
    px, py = x0 + gx * step_x + 50, y0 + gy * step_y + 50
    ids = np.char.add("K", np.arange(k).astype(str))
    both = np.concatenate([ids, ids])
    parks = gpd.GeoDataFrame(
        {
            "park_id": both,
            "name": both,
            "town": np.tile(rng.choice(["东亭街道", "安镇街道", "锡北镇"], k), 2),
            "park_type": np.tile(np.where(np.arange(k) % 4 == 0, "district", "carrier"), 2),
            "leading_industry": "智能装备",
            "zone": np.repeat(["core", "expansion"], k),
        },
        geometry=np.concatenate(
            [
                shapely.box(px, py, px + step_x / 2, py + step_y - 100),
                shapely.box(px + step_x / 2, py, px + step_x - 100, py + step_y - 100),
            ]
        ),
        crs=CRS,
    )
    indicators = pd.DataFrame(
        {
            "park_id": ids,
            "year": 2026,
            "promotion_events": rng.integers(0, 5, k).astype(float),
            "innovation_platforms": rng.integers(0, 2, k).astype(float),
            "industry_fund_wan": rng.choice([0.0, 3000.0, 8000.0], k),
        }
    )
    return parks, indicators


def make_cadastre(n: int, *, seed: int = 11):
    """Parks, parcels, buildings, enterprises and indicators on the tiling cadastre."""
    rng = np.random.default_rng(seed)
    parcels, _ = make_parcels(n)
    parcels = parcels[["parcel_id", "geometry"]].copy()
    buildings = _buildings_in(parcels, rng)
    parks, indicators = _parks(parcels.total_bounds, rng)
    n_ent = max(1, n // 4)
    enterprises = pd.DataFrame(
        {
            "enterprise_id": np.char.add("E", np.arange(n_ent).astype(str)),
            "industry": "智能装备",
            "revenue": rng.uniform(100, 10_000, n_ent),
            "tax": rng.uniform(5, 500, n_ent),
            "eval_class": rng.choice(list("ABCD"), n_ent, p=[0.3, 0.4, 0.27, 0.03]),
            "chain_leader": rng.random(n_ent) < 0.01,
        }
    )
    parcels["category"] = rng.choice(
        ["new_industrial", "standard_factory", "industrial", "other"], n, p=[0.1, 0.05, 0.8, 0.05]
    )
    parcels["enterprise_id"] = np.char.add("E", rng.integers(0, n_ent, n).astype(str))
    parcels["supply_date"] = pd.to_datetime("2005-01-01") + pd.to_timedelta(
        rng.integers(0, 7000, n), unit="D"
    )
    return parks, parcels, buildings, enterprises, indicators


def make_inputs(n: int, grid: str):
    if grid == "street":
        return make_audit_inputs(n)
    return make_cadastre(n)


def write_project(folder: Path, layers, *, geoparquet: bool = False) -> Path:
    """The inputs as a user has them, and the project file naming them."""
    parks, parcels, buildings, enterprises, indicators = layers
    gpkg = folder / "inputs.gpkg"
    for name, frame in (("parks", parks), ("parcels", parcels), ("buildings", buildings)):
        frame.to_file(gpkg, layer=name, engine="pyogrio", use_arrow=True)
    enterprises.to_csv(folder / "enterprises.csv", index=False, encoding="utf-8-sig")
    indicators.to_csv(folder / "indicators.csv", index=False, encoding="utf-8-sig")
    text = f"""
[project]
name = "bench"
out = "out"
[inputs.parks]
path = "{gpkg.as_posix()}"
layer = "parks"
[inputs.parcels]
path = "{gpkg.as_posix()}"
layer = "parcels"
[inputs.buildings]
path = "{gpkg.as_posix()}"
layer = "buildings"
[inputs.enterprises]
path = "{(folder / "enterprises.csv").as_posix()}"
[inputs.indicators]
path = "{(folder / "indicators.csv").as_posix()}"
[options]
as_of = 2026-06-30
"""
    path = folder / "xsland.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------


def run_cli(project_file: Path, out: Path, *, geoparquet: bool = False) -> dict[str, Any]:
    """``xsland audit -c project_file --out out``, in this process: steps, total, peak.

    Besides each step's wall-clock time, the CPU time of the thread that reported it
    (from its start to its end: a step on a thread that mostly waits — for the GIL,
    for a side thread's result, for a worker — shows far less CPU than time), and the
    CPU time of the whole process and of the writers' worker processes during the run.
    """
    steps: dict[str, float] = {}
    thread_cpu: dict[str, float] = {}
    counts: dict[str, int | None] = {}
    started: dict[tuple[str, int], float] = {}

    def record(s: Step) -> None:
        key = (s.name, threading.get_ident())
        if not s.done:
            started[key] = time.thread_time()
            return
        steps[s.name] = steps.get(s.name, 0.0) + (s.seconds or 0.0)
        counts[s.name] = s.count
        if key in started:
            used = time.thread_time() - started.pop(key)
            thread_cpu[s.name] = thread_cpu.get(s.name, 0.0) + used

    _trim()
    peak_ok = _clear_peak()
    start_kb = _rss_kb("VmRSS")
    own0, workers0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    sys0 = _sys(resource.RUSAGE_SELF) + _sys(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    result, _ = run_project(
        load_project(project_file),
        out=out,
        overwrite=True,
        progress=record,
        geoparquet=geoparquet,
    )
    total = time.perf_counter() - t0
    own, workers = _cpu(resource.RUSAGE_SELF) - own0, _cpu(resource.RUSAGE_CHILDREN) - workers0
    kernel = _sys(resource.RUSAGE_SELF) + _sys(resource.RUSAGE_CHILDREN) - sys0
    peak = _rss_kb("VmHWM") / 1024 if peak_ok else float("nan")
    parcels = result.parcels
    low = parcels["low_efficiency"].fillna(False).astype(bool)
    sizes = result.blocks["n_parcels"] if len(result.blocks) else pd.Series([0])
    return {
        "total_s": total,
        "steps_s": steps,
        "steps_thread_cpu_s": thread_cpu,
        "cpu_s": own,
        "workers_cpu_s": workers,
        "sys_cpu_s": kernel,
        "step_counts": counts,
        "peak_mb": peak,
        "start_mb": start_kb / 1024,
        "parcels": len(parcels),
        "flagged_share": float(low.mean()),
        "blocks": len(result.blocks),
        "largest_block_parcels": int(sizes.max()),
        "output_mb": sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20,
    }


def _cpu(who: int) -> float:
    """User and system CPU seconds of this process (``RUSAGE_SELF``) or of its children
    that ended and were waited for (``RUSAGE_CHILDREN``: the writers' workers)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _sys(who: int) -> float:
    """The system (kernel) part of :func:`_cpu`: mostly the first touch of memory and
    the copies into the page cache of the files written (see the module docstring)."""
    return resource.getrusage(who).ru_stime


#: Columns of the printed table: (label, steps summed into it).
COLUMNS = {
    # the inputs are read two at a time: the step spanning them, not the sum of each
    "read": ("read inputs",),
    "measure": ("measure",),
    "judge": ("park checks", "judge", "roll-ups", "quality checks"),
    "blocks": ("blocks",),
    "blk table": ("block table",),
    "layers": ("prepare layers",),
    # the worker: started with the parcels once the blocks are numbered, waited for
    "gpkg": ("write audit.gpkg (parcels)", "write audit.gpkg", "write audit.gpkg (finish)"),
    "xlsx": ("write audit.xlsx", "write audit.xlsx (finish)"),  # the worker: waited for
    "maps": ("write maps",),
    "report": ("write report.html",),
    "other": (),
}


def print_row(grid: str, row: dict[str, Any], *, header: bool) -> None:
    if header:
        print(
            "wall-clock seconds of each step (the run's own progress reports); peak = "
            + MEMORY_METHOD
        )
        print(
            f"{'grid':>8} {'parcels':>9} {'flag%':>5} {'blocks':>7} {'largest':>7} | "
            + " ".join(f"{c:>9}" for c in COLUMNS)
            + f" | {'total':>7} {'cpu s':>6} {'sys s':>6} {'cores':>5} {'peak MB':>8} {'ovl s':>6} "
            + f"{'×ovl':>5} {'load':>5}"
        )
    steps = dict(row["steps_s"])
    cpu = row["cpu_s"] + row["workers_cpu_s"]
    cells = []
    for label, names in COLUMNS.items():
        if label == "other":
            known = {n for ns in COLUMNS.values() for n in ns}
            cells.append(
                sum(v for k, v in steps.items() if k not in known and not k.startswith("read "))
            )
        else:
            cells.append(sum(steps.get(n, 0.0) for n in names))
    print(
        f"{grid:>8} {row['parcels']:>9,} {100 * row['flagged_share']:>5.1f} {row['blocks']:>7,} "
        f"{row['largest_block_parcels']:>7,} | "
        + " ".join(f"{c:>9.1f}" for c in cells)
        + f" | {row['total_s']:>7.1f} {cpu:>6.1f} {row.get('sys_cpu_s', float('nan')):>6.1f}"
        + f" {cpu / row['total_s']:>5.2f}"
        + f" {row['peak_mb']:>8.0f}"
        + (
            f" {row['overlay_groupby_s']:>6.1f} {row['ratio']:>5.1f}"
            if row.get("overlay_groupby_s")
            else f" {'—':>6} {'—':>5}"
        )
        + f" {row['load_avg'][0]:>5.1f}",
        flush=True,
    )
    used = row.get("steps_thread_cpu_s", {})
    long = [(k, v) for k, v in steps.items() if v >= 1.0 and k in used]
    print(
        f"{'':>8} CPU of the step's thread / wall, s: "
        + ", ".join(f"{k} {used[k]:.1f}/{v:.1f}" for k, v in long)
        + f"; workers {row['workers_cpu_s']:.1f} s CPU",
        flush=True,
    )


def ratio_run(n: int, grid: str, work: Path) -> dict[str, Any]:
    """The whole run against overlay + groupby floor area, same parcels and buildings."""
    layers = make_inputs(n, grid)
    parks, parcels, buildings, *_ = layers
    folder = work / f"ratio-{grid}-{n}"
    folder.mkdir()
    project = write_project(folder, layers)
    _trim()
    t0 = time.perf_counter()
    by_overlay(parcels, buildings)
    overlay = time.perf_counter() - t0
    del layers, parks, parcels, buildings
    gc.collect()
    row = run_cli(project, folder / "out")
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "grid": grid,
        "parcels": n,
        "overlay_groupby_s": overlay,
        "cli_s": row["total_s"],
        "ratio": row["total_s"] / overlay,
        "target": 3.0,
        "steps_s": row["steps_s"],
    }


#: The issue's targets for the whole run at this many parcels: seconds and peak MB.
TARGET_SIZE = 1_000_000
TARGET_S = 60.0
TARGET_PEAK_MB = 8 * 1024


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets for each grid run at :data:`TARGET_SIZE` parcels, printed:
    the whole run within :data:`TARGET_S` seconds and :data:`TARGET_PEAK_MB` of peak
    memory. One run's seconds move with the machine's load (``load`` in the table); the
    ratio to overlay + groupby beside them does not."""
    out = []
    for row in rows:
        if row.get("requested", row["parcels"]) != TARGET_SIZE:
            continue
        fast, small = row["total_s"] <= TARGET_S, row["peak_mb"] <= TARGET_PEAK_MB
        out.append({"grid": row["grid"], "total_s": row["total_s"], "peak_mb": row["peak_mb"],
                    "met_s": bool(fast), "met_peak": bool(small)})  # fmt: skip
        print(
            f"target {row['grid']} {TARGET_SIZE:,}: whole run {row['total_s']:.1f} s "
            f"(<= {TARGET_S:.0f} s: {'met' if fast else 'NOT met'}), peak "
            f"{row['peak_mb']:,.0f} MB (<= {TARGET_PEAK_MB:,} MB: "
            f"{'met' if small else 'NOT met'})"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get("XSLAND_BENCH_SIZES")
    default_sizes = [int(s) for s in env.replace(",", " ").split()] if env else [100_000, 1_000_000]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=default_sizes,
        help="parcels (default 100000 1000000, or $XSLAND_BENCH_SIZES)",
    )
    ap.add_argument("--grids", nargs="+", choices=GRIDS, default=list(GRIDS))
    ap.add_argument(
        "--ratio-size",
        type=int,
        default=200_000,
        help="parcels of the run compared with overlay + groupby (0: none)",
    )
    ap.add_argument(
        "--no-row-ratios",
        action="store_true",
        help="do not time overlay + groupby for every size and grid of the table",
    )
    ap.add_argument("--geoparquet", action="store_true", help="also write GeoParquet")
    ap.add_argument("--work", type=Path, default=None, help="folder for inputs and outputs")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="xsland-bench-cli-", dir=args.work))
    rows: list[dict[str, Any]] = []
    ratio: dict[str, Any] | None = None
    try:
        # a small run first, so imports and first calls are not timed
        layers = make_inputs(2000, "cadastre")
        warm = work / "warm"
        warm.mkdir()
        run_cli(write_project(warm, layers), warm / "out")
        for n in args.sizes:
            for grid in args.grids:
                layers = make_inputs(n, grid)
                n_buildings = len(layers[2])
                folder = work / f"{grid}-{n}"
                folder.mkdir()
                project = write_project(folder, layers, geoparquet=args.geoparquet)
                overlay = None
                if not args.no_row_ratios:
                    _trim()
                    t0 = time.perf_counter()
                    by_overlay(layers[1], layers[2])
                    overlay = time.perf_counter() - t0
                del layers
                gc.collect()
                load = os.getloadavg()
                row = run_cli(project, folder / "out", geoparquet=args.geoparquet)
                row.update(
                    requested=n,
                    grid=grid,
                    buildings=n_buildings,
                    overlay_groupby_s=overlay,
                    ratio=None if overlay is None else row["total_s"] / overlay,
                    load_avg=load,
                    load_avg_after=os.getloadavg(),
                )
                rows.append(row)
                print_row(grid, row, header=len(rows) == 1)
                shutil.rmtree(folder, ignore_errors=True)
        if args.ratio_size:
            ratio = ratio_run(args.ratio_size, "street", work)
            print(
                f"\nratio at {ratio['parcels']:,} parcels (street grid): whole run "
                f"{ratio['cli_s']:.1f} s / overlay + groupby floor area "
                f"{ratio['overlay_groupby_s']:.1f} s = {ratio['ratio']:.1f}× (target ≤ 3×)",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    goals = targets(rows)
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "memory": MEMORY_METHOD,
        "timing": "wall-clock seconds per step from the run's progress reports",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {"meta": meta, "rows": rows, "ratio": ratio, "targets": goals},
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
