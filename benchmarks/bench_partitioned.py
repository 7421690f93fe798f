"""Workers that read their own partitions, each under a memory budget, against one process.

Usage::

    python benchmarks/bench_partitioned.py                   # 200k parcels
    python benchmarks/bench_partitioned.py --sizes 1000000 --budget 0.5

For each size: the parcels and buildings of ``bench_far.make_layers`` (100 m parcels, about
two buildings each), measured and grouped into blocks (the parcels with FAR < 0.3) in this
process — :func:`xsland.measure.far.plot_ratio` and :func:`xsland.group.blocks.find_blocks`
— for the reference answers and the peak memory one process needs. Then the layers are
written as a partitioned dataset (:func:`xsland.pipeline.engine.write_partitions`, eight
partitions), dropped from this process, and a local Dask cluster of two worker processes,
each limited to an idle worker's memory plus ``--budget`` (0.5) of what the data took in
one process — less than one process needs — (Dask's ``memory_limit``: a worker
above it is paused and then restarted, which fails the run), runs
:func:`~xsland.pipeline.engine.plot_ratio_partitioned` and
:func:`~xsland.pipeline.engine.find_blocks_partitioned`: every task reads its own
partition and the buildings or halo near it. Answers must be identical. Memory is the
peak resident set size of each process (``VmHWM``, reset before each step). Results go to
``benchmarks/results/partitioned.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_engine import _worker_peak_kb, _worker_reset  # noqa: E402
from bench_far import (  # noqa: E402
    MEMORY_METHOD,
    _clear_peak,
    _rss_kb,
    _trim,
    make_layers,
    measure,
)

from xsland.group.blocks import find_blocks  # noqa: E402
from xsland.measure.far import plot_ratio  # noqa: E402
from xsland.pipeline.engine import (  # noqa: E402
    find_blocks_partitioned,
    make_client,
    plot_ratio_partitioned,
    write_partitions,
)

RESULTS = Path(__file__).resolve().parent / "results" / "partitioned.json"


def single(parcels, buildings) -> tuple[pd.DataFrame, pd.Series]:
    ref = plot_ratio(parcels, buildings)
    low = (ref["far"] < 0.3).to_numpy()
    frame = parcels.assign(area_m2=ref["area_m2"].to_numpy())
    return ref, find_blocks(frame, gap_m=15.0, mask=low)


def on_workers(client: Any, fn: Any) -> tuple[Any, float, float, list[float]]:
    """(result, seconds, this process's peak MB, each worker's peak MB)."""
    client.run(_worker_reset)
    out, seconds, own, _ = measure(fn)
    peaks = [kb / 1024 for kb in client.run(_worker_peak_kb).values()]
    return out, seconds, own, peaks


def _rss_mb() -> float:
    return _rss_kb("VmRSS") / 1024


def idle_worker_mb() -> float:
    """Resident memory of an idle worker process (the libraries and Dask's own)."""
    with make_client(1) as client:
        client.run(lambda: __import__("xsland.pipeline.engine"))
        return max(client.run(_rss_mb).values())


def run_size(n: int, budget: float, work: Path, base_mb: float) -> dict[str, Any]:
    parcels, buildings = make_layers(n)
    (ref, expected), single_s, single_peak, single_extra = measure(
        lambda p=parcels, b=buildings: single(p, b)
    )
    row: dict[str, Any] = {
        "parcels": n,
        "buildings": len(buildings),
        "single_s": single_s,
        "single_peak_mb": single_peak,
        "single_extra_mb": single_extra,
        "data_mb": single_peak - base_mb,
    }
    folder = write_partitions(parcels, buildings, work / f"ds-{n}", parcels_per_partition=n // 8)
    table = pd.DataFrame(parcels.drop(columns="geometry")).assign(area_m2=ref["area_m2"].to_numpy())
    low = (ref["far"] < 0.3).to_numpy()
    del parcels, buildings
    gc.collect()
    # a worker: what an idle worker holds and ``budget`` of what the data took here
    # (the peak above this process's memory before any data, the layers included)
    row["idle_worker_mb"] = idle = idle_worker_mb()
    # (in one run of every benchmark this process holds what they left: the data's own
    # peak above the start of its step then stands for it, never a negative amount)
    row["data_mb"] = data = max(single_peak - base_mb, single_extra)
    limit = int((idle + budget * data) * 2**20)
    row["worker_limit_mb"] = limit / 2**20
    import dask

    # the limit as a hard cap: no spilling or pausing below it, a worker above 95 % of it
    # is restarted (and the run fails)
    off = {f"distributed.worker.memory.{k}": False for k in ("target", "spill", "pause")}
    with dask.config.set(off), make_client(2, memory_limit=limit) as client:
        got, row["far_s"], row["far_driver_peak_mb"], row["far_worker_peaks_mb"] = on_workers(
            client, lambda: plot_ratio_partitioned(folder, client=client)
        )
        a, b = ref["floor_area"].to_numpy(), got["floor_area"].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), "floor area NaN differ"
        np.testing.assert_allclose(b[~np.isnan(b)], a[~np.isnan(a)], rtol=1e-9, atol=0)
        ids, row["blocks_s"], row["blocks_driver_peak_mb"], row["blocks_worker_peaks_mb"] = (
            on_workers(client, lambda: find_blocks_partitioned(folder, table, low, client=client))
        )
        assert (ids.to_numpy(dtype=object)[low] == expected.to_numpy(dtype=object)[low]).all()
    row["equal"] = True
    row["blocks"] = int(expected.nunique())
    shutil.rmtree(folder, ignore_errors=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000])
    ap.add_argument(
        "--budget",
        type=float,
        default=0.5,
        help="memory limit of each worker: the libraries' memory plus this share of what the "
        "data needs in one process (default 0.5)",
    )
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules["bench_engine"])  # for client.run
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    _trim()  # as measure() does before each step: else a base held by earlier benchmarks
    base_mb = _rss_kb("VmRSS") / 1024  # the libraries, before any data
    print(f"memory: {MEMORY_METHOD}; this process holds {base_mb:.0f} MB before any data")
    work = Path(tempfile.mkdtemp(prefix="xsland-bench-part-"))
    rows = []
    try:
        for n in args.sizes:
            row = run_size(n, args.budget, work, base_mb)
            rows.append(row)
            print(
                f"{n:>9,} parcels {row['buildings']:>9,} buildings | one process "
                f"{row['single_s']:.1f} s, peak {row['single_peak_mb']:.0f} MB | 2 workers "
                f"limited to {row['worker_limit_mb']:.0f} MB each: floor area "
                f"{row['far_s']:.1f} s (worker peaks "
                f"{', '.join(f'{p:.0f}' for p in row['far_worker_peaks_mb'])} MB, driver "
                f"{row['far_driver_peak_mb']:.0f} MB), blocks {row['blocks_s']:.1f} s (worker "
                f"peaks {', '.join(f'{p:.0f}' for p in row['blocks_worker_peaks_mb'])} MB, "
                f"driver {row['blocks_driver_peak_mb']:.0f} MB); answers identical",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "memory": MEMORY_METHOD,
        "driver": "peak RSS of this process (client and scheduler) during the step; it "
        "still holds the reference answers and the attribute table, not the geometry",
        "client_rss_mb_at_end": _rss_kb("VmRSS") / 1024 if _clear_peak() else None,
        "timing": "wall-clock seconds, " + time.strftime("%Z"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
