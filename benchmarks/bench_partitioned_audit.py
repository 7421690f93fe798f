"""The whole audit of a partitioned dataset on 2 workers, each under a memory budget.

Usage::

    python benchmarks/bench_partitioned_audit.py                       # 200k parcels
    python benchmarks/bench_partitioned_audit.py --sizes 1000000 --budget 0.5

For each size: the inputs of ``bench_audit.make_audit_inputs`` (100 m parcels in street
blocks of 4 × 4, about two buildings each, parks with core and expansion zones,
enterprises and indicators) audited in this process by :func:`xsland.pipeline.audit.run`
— the reference answers and the peak memory one process needs. Then parcels and
buildings are written as a partitioned dataset (:func:`xsland.pipeline.engine.write_partitions`,
eight partitions), dropped from this process, and a local Dask cluster of two worker
processes, each limited (Dask's ``memory_limit``, as a hard cap: no spilling or pausing,
a worker above it is restarted and the run fails) to an idle worker's memory plus
``--budget`` (0.5) of what the data took in one process, runs
:func:`xsland.pipeline.partitioned.audit_partitioned`: every task reads its own
partition, the buildings or halo near it, and writes its part of the parcel table.
Parks, towns, district, blocks and every parcel's flags, block and floor area (read back
from the files the workers wrote) and the data-quality table (sorted) must equal the single-process answers.

Memory is the peak resident set size of each process (``VmHWM``, reset before the
step); the driver's is this process (client and scheduler), which holds the parks, the
partial tables the tasks send back (a row per park, town and enterprise) and the parcels
that need action. For small sizes raise ``--budget`` (e.g. 3): an idle worker's libraries
dominate there. Results go to ``benchmarks/results/partitioned_audit.json``.
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

from bench_audit import make_audit_inputs  # noqa: E402
from bench_engine import _worker_peak_kb, _worker_reset  # noqa: E402
from bench_far import MEMORY_METHOD, _rss_kb, measure  # noqa: E402
from bench_partitioned import idle_worker_mb  # noqa: E402

from xsland.pipeline.audit import run  # noqa: E402
from xsland.pipeline.engine import make_client, write_partitions  # noqa: E402
from xsland.pipeline.partitioned import audit_partitioned  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "partitioned_audit.json"
AS_OF = "2026-06-30"


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame).drop(columns="geometry", errors="ignore").reset_index(drop=True)


def by_row(quality: pd.DataFrame) -> pd.DataFrame:
    return quality.sort_values(list(quality.columns)).reset_index(drop=True)


def run_size(n: int, budget: float, work: Path, base_mb: float) -> dict[str, Any]:
    parks, parcels, buildings, ent, ind = make_audit_inputs(n)
    kw = dict(enterprises=ent, indicators=ind, as_of=AS_OF)
    single, single_s, single_peak, _ = measure(
        lambda p=parcels, b=buildings: run(parks, p, b, **kw)
    )
    row: dict[str, Any] = {
        "parcels": n,
        "buildings": len(buildings),
        "parks": int(parks["park_id"].nunique()),
        "single_s": single_s,
        "single_peak_mb": single_peak,
        "data_mb": single_peak - base_mb,
    }
    t0 = time.perf_counter()
    folder = write_partitions(parcels, buildings, work / f"ds-{n}", parcels_per_partition=n // 8)
    row["write_partitions_s"] = time.perf_counter() - t0
    expected = single.parcels.reset_index(drop=True)[
        ["parcel_id", "low_efficiency", "block_id", "floor_area"]
    ]
    tables = {k: plain(getattr(single, k)) for k in ("parks", "towns", "district", "blocks")}
    quality = by_row(single.quality)
    del parcels, buildings, single
    gc.collect()
    row["idle_worker_mb"] = idle = idle_worker_mb()
    limit = int((idle + budget * (single_peak - base_mb)) * 2**20)
    row["worker_limit_mb"] = limit / 2**20
    import dask

    off = {f"distributed.worker.memory.{k}": False for k in ("target", "spill", "pause")}
    with dask.config.set(off), make_client(2, memory_limit=limit) as client:
        client.run(_worker_reset)
        got, row["dask_s"], row["driver_peak_mb"], _ = measure(
            lambda: audit_partitioned(
                folder, parks, **kw, client=client, parcels_out=work / f"parcels-{n}"
            )
        )
        row["worker_peaks_mb"] = [kb / 1024 for kb in client.run(_worker_peak_kb).values()]
    for name, want in tables.items():
        pd.testing.assert_frame_equal(plain(getattr(got, name)), want)
    # the data-quality table: the same rows (read, measured and judged rows arrive
    # partition by partition, so compared sorted)
    pd.testing.assert_frame_equal(by_row(got.quality), quality)
    row["quality_rows"] = len(quality)
    back = pd.read_parquet(work / f"parcels-{n}", columns=["_row", *expected.columns])
    back = back.sort_values("_row").reset_index(drop=True)
    for col in ("parcel_id", "low_efficiency", "block_id"):
        a, b = expected[col].astype(object), back[col].astype(object)
        assert a.where(a.notna(), None).tolist() == b.where(b.notna(), None).tolist(), col
    np.testing.assert_allclose(back["floor_area"], expected["floor_area"], rtol=1e-9)
    row["equal"] = True
    row["action_parcels"] = len(got.parcels)
    row["blocks"] = len(got.blocks)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(work / f"parcels-{n}", ignore_errors=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000])
    ap.add_argument(
        "--budget",
        type=float,
        default=0.5,
        help="memory limit of each worker: an idle worker's memory plus this share of what "
        "the data needs in one process (default 0.5)",
    )
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules["bench_engine"])  # for client.run
    cloudpickle.register_pickle_by_value(sys.modules["bench_partitioned"])
    base_mb = _rss_kb("VmRSS") / 1024
    print(f"memory: {MEMORY_METHOD}; this process holds {base_mb:.0f} MB before any data")
    work = Path(tempfile.mkdtemp(prefix="xsland-bench-paudit-"))
    rows = []
    try:
        for n in args.sizes:
            row = run_size(n, args.budget, work, base_mb)
            rows.append(row)
            print(
                f"{n:>9,} parcels {row['buildings']:>9,} buildings | one process "
                f"{row['single_s']:.1f} s, peak {row['single_peak_mb']:.0f} MB | write "
                f"partitions {row['write_partitions_s']:.1f} s | 2 workers limited to "
                f"{row['worker_limit_mb']:.0f} MB each: {row['dask_s']:.1f} s, worker peaks "
                f"{', '.join(f'{p:.0f}' for p in row['worker_peaks_mb'])} MB, driver peak "
                f"{row['driver_peak_mb']:.0f} MB | answers identical",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "memory": MEMORY_METHOD,
        "timing": "wall-clock seconds",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
