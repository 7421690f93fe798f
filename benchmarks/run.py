"""Run every benchmark (``make bench``); each writes its table to benchmarks/results/.

Usage::

    python benchmarks/run.py            # all, at their default sizes
    python benchmarks/run.py far audit  # some of them
    python benchmarks/run.py --quick    # small sizes, to check that they run

Each benchmark compares xsland with a baseline computed in the same process and
asserts that both give the same answers; figures are ratios and peak memory, never
timed assertions. Each runs in a process of its own, so that none inherits what another
left: a process that held 2.5 GB after the others measured no growth for the data of
``bench_partitioned`` and gave its Dask workers a limit they could not start with (or
work under), and the peak memory of every table is of that benchmark alone. A benchmark
that fails does not stop the others; the exit status is the first non-zero one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> (module file, arguments for --quick)
BENCHMARKS = {
    "far": ("bench_far.py", ["--sizes", "2000", "10000"]),
    "audit": ("bench_audit.py", ["--sizes", "10000"]),
    "blocks": ("bench_blocks.py", ["--sizes", "10000", "--big-block", "2000"]),
    "raster": ("bench_raster.py", ["--sizes", "10000"]),
    "maps": ("bench_maps.py", ["--sizes", "1000"]),
    "engine": ("bench_engine.py", ["--sizes", "20000", "--no-audit"]),
    "cli": ("bench_cli.py", ["--sizes", "10000", "--ratio-size", "10000"]),
    "excel": ("bench_excel.py", ["--size", "5000"]),
    # at 20k parcels an idle worker's memory dominates: the quick run only checks it works
    "partitioned": ("bench_partitioned.py", ["--sizes", "20000", "--budget", "4"]),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"benchmarks to run ({', '.join(BENCHMARKS)})")
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    args = ap.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmarks {unknown}; choose from {', '.join(BENCHMARKS)}")
    status = 0
    for name in args.names or list(BENCHMARKS):
        file, quick = BENCHMARKS[name]
        path = HERE / file
        if not path.exists():
            print(f"== {name}: {file} not present, skipped")
            continue
        print(f"\n== {name} ({file})", flush=True)
        t0 = time.perf_counter()
        argv_ = [sys.executable, str(path), *(quick if args.quick else [])]
        code = subprocess.run(argv_, cwd=HERE.parent, check=False).returncode
        print(f"== {name} done in {time.perf_counter() - t0:.0f} s (exit {code})", flush=True)
        status = status or (code or 0)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
