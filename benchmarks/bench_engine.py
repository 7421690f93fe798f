"""The Dask engine against the single-process engine: time, peak memory, same answers.

Usage::

    python benchmarks/bench_engine.py                      # 100k and 1M parcels
    python benchmarks/bench_engine.py --sizes 20000        # a quick run
    python benchmarks/bench_engine.py --workers 2 --no-audit

For each size, the parcels and buildings of ``bench_far.make_layers`` (a grid of 100 m
parcels, about two buildings each, ~10 % straddling two parcels), and:

- **floor area**: :func:`xsland.measure.far.plot_ratio` in this process, then
  :func:`xsland.pipeline.engine.plot_ratio_dask` on a local Dask cluster (``--workers`` processes,
  one thread each; started before timing, its start-up reported apart) and without a
  cluster (the partitions one after another in this process, to show the cost of
  partitioning alone); floor areas must agree to 1e-9 relative;
- **blocks**: the parcels with FAR < 0.3 (about 40 %, scattered over the grid, so blocks
  of every size that cross partitions) grouped by :func:`xsland.group.blocks.find_blocks` and by
  :func:`xsland.pipeline.engine.find_blocks_dask` on the cluster; block IDs must be identical;
- **audit** (``--audit``, default on): the whole single-process audit
  (:func:`xsland.pipeline.audit.run` on ``bench_audit.make_audit_inputs``), for its peak memory —
  the 8 GB budget at 1M parcels and 2M buildings.

Memory is the peak resident set size, as in ``bench_far`` (``VmHWM`` after a reset through
``/proc/self/clear_refs``). On the cluster it is the sum over processes: this one (the
client, and the scheduler, which a local cluster runs here) plus every worker and its
nanny, each read on its own process with ``client.run``. Times are wall-clock.

From the two largest sizes, time and memory are extrapolated to 10M parcels with the
power law :math:`t \\propto n^b` fitted through them: **projected**, not measured. Results go
to ``benchmarks/results/engine.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_far import MEMORY_METHOD, _clear_peak, _rss_kb, make_layers, measure  # noqa: E402

from xsland.group.blocks import find_blocks  # noqa: E402
from xsland.measure.far import plot_ratio  # noqa: E402
from xsland.pipeline.engine import find_blocks_dask, make_client, plot_ratio_dask  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "engine.json"
PROJECT_TO = 10_000_000


def _worker_reset() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _worker_peak_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def on_cluster(client: Any, fn: Any) -> tuple[Any, float, float, float, float]:
    """Run ``fn`` with the cluster: (result, seconds, total peak MB, this process's, workers')."""
    client.run(_worker_reset)
    client.run(_worker_reset, nanny=True)
    out, seconds, own_peak, _ = measure(fn)
    workers = sum(client.run(_worker_peak_kb).values()) / 1024
    nannies = sum(client.run(_worker_peak_kb, nanny=True).values()) / 1024
    return out, seconds, own_peak + workers + nannies, own_peak, workers + nannies


def check_same_floor_area(a: Any, b: Any) -> None:
    fa, fb = a["floor_area"].to_numpy(), b["floor_area"].to_numpy()
    if not np.array_equal(np.isnan(fa), np.isnan(fb)):
        raise AssertionError("floor area: NaN in different parcels")
    ok = ~np.isnan(fa)
    np.testing.assert_allclose(fb[ok], fa[ok], rtol=1e-9, atol=0)
    if not (a["floor_area_source"] == b["floor_area_source"]).all():
        raise AssertionError("floor area sources differ")


def run_size(n: int, client: Any, *, audit: bool) -> dict[str, Any]:
    parcels, buildings = make_layers(n)
    row: dict[str, Any] = {"parcels": len(parcels), "buildings": len(buildings)}
    ref, row["far_single_s"], row["far_single_peak_mb"], _ = measure(
        lambda p=parcels, b=buildings: plot_ratio(p, b)
    )
    got, row["far_dask_s"], row["far_dask_peak_mb"], main_mb, workers_mb = on_cluster(
        client, lambda p=parcels, b=buildings: plot_ratio_dask(p, b, client=client)
    )
    row["far_dask_peak_client_mb"], row["far_dask_peak_workers_mb"] = main_mb, workers_mb
    check_same_floor_area(ref, got)
    del got
    got, row["far_inprocess_s"], row["far_inprocess_peak_mb"], _ = measure(
        lambda p=parcels, b=buildings: plot_ratio_dask(p, b)
    )
    check_same_floor_area(ref, got)
    del got
    flagged = parcels[(ref["far"] < 0.3).to_numpy()]
    row["flagged"] = len(flagged)
    expected, row["blocks_single_s"], row["blocks_single_peak_mb"], _ = measure(
        lambda f=flagged: find_blocks(f, gap_m=15.0)
    )
    blocks, row["blocks_dask_s"], row["blocks_dask_peak_mb"], main_mb, workers_mb = on_cluster(
        client, lambda f=flagged: find_blocks_dask(f, gap_m=15.0, client=client)
    )
    row["blocks_dask_peak_client_mb"], row["blocks_dask_peak_workers_mb"] = main_mb, workers_mb
    if not blocks.equals(expected):
        raise AssertionError("block IDs differ between the engines")
    row["blocks"] = int(expected.nunique())
    row["largest_block_parcels"] = int(expected.value_counts().max())
    row["equal"] = True
    del parcels, buildings, ref, flagged, blocks, expected
    if audit:
        from bench_audit import make_audit_inputs

        from xsland.pipeline.audit import run

        parks, aparcels, abuildings, ent, ind = make_audit_inputs(n)
        _, row["audit_single_s"], row["audit_single_peak_mb"], _ = measure(
            lambda: run(parks, aparcels, abuildings, enterprises=ent, indicators=ind)
        )
        del parks, aparcels, abuildings, ent, ind
    return row


def project(rows: list[dict[str, Any]], key: str, to: int = PROJECT_TO) -> float | None:
    """``key`` at ``to`` parcels from the power law through the two largest sizes."""
    pts = [(r["parcels"], r.get(key)) for r in rows if r.get(key)]
    if len(pts) < 2:
        return None
    (n1, v1), (n2, v2) = sorted(pts)[-2:]
    if n1 == n2 or v1 <= 0 or v2 <= 0:
        return None
    b = math.log(v2 / v1) / math.log(n2 / n1)
    return v2 * (to / n2) ** b


KEYS = (
    "far_single_s",
    "far_dask_s",
    "far_inprocess_s",
    "far_single_peak_mb",
    "far_dask_peak_mb",
    "far_dask_peak_client_mb",
    "far_dask_peak_workers_mb",
    "blocks_single_s",
    "blocks_dask_s",
    "blocks_single_peak_mb",
    "blocks_dask_peak_mb",
    "audit_single_s",
    "audit_single_peak_mb",
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2, help="local Dask workers (default 2)")
    ap.add_argument("--audit", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # for client.run
    print(f"memory: {MEMORY_METHOD}; cluster: {args.workers} worker processes x 1 thread")
    t0 = time.perf_counter()
    rows = []
    with make_client(args.workers) as client:
        startup = time.perf_counter() - t0
        print(f"cluster started in {startup:.1f} s")
        for n in args.sizes:
            row = run_size(n, client, audit=args.audit)
            rows.append(row)
            print(
                f"{row['parcels']:>9,} parcels {row['buildings']:>9,} buildings | floor area "
                f"single {row['far_single_s']:6.1f} s {row['far_single_peak_mb']:6.0f} MB, "
                f"dask {row['far_dask_s']:6.1f} s {row['far_dask_peak_mb']:6.0f} MB "
                f"(client {row['far_dask_peak_client_mb']:.0f} + workers "
                f"{row['far_dask_peak_workers_mb']:.0f}), in-process partitions {row['far_inprocess_s']:6.1f} s | "
                f"blocks ({row['flagged']:,} parcels, {row['blocks']:,} blocks) single "
                f"{row['blocks_single_s']:5.1f} s, dask {row['blocks_dask_s']:5.1f} s"
                + (
                    f" | audit single {row['audit_single_s']:5.1f} s "
                    f"{row['audit_single_peak_mb']:6.0f} MB"
                    if "audit_single_s" in row
                    else ""
                ),
                flush=True,
            )
    projected = {k: project(rows, k) for k in KEYS}
    projected = {k: v for k, v in projected.items() if v is not None}
    if projected:
        print(f"projected at {PROJECT_TO:,} parcels (power law through the two largest sizes):")
        for k, v in projected.items():
            print(f"  {k:28s} {v:10.0f}")
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "cluster_startup_s": startup,
        "memory_method": MEMORY_METHOD,
        "memory_dask": "sum of peak RSS of this process (client + scheduler) and of every "
        "worker and nanny process",
        "data": "bench_far.make_layers: grid of 100 m parcels, ~2 buildings per parcel, "
        "EPSG:4549; blocks of the parcels with FAR < 0.3",
        "client_rss_mb_at_end": _rss_kb("VmRSS") / 1024 if _clear_peak() else None,
    }
    out = {
        "meta": meta,
        "rows": rows,
        f"projected_{PROJECT_TO}": {
            "note": "PROJECTED, not measured: power law through the two largest sizes",
            **projected,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
