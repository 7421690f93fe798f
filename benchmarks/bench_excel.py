"""``audit.xlsx`` alone: :func:`xsland.write.excel.write_audit_workbook` now and before.

Usage::

    python benchmarks/bench_excel.py                      # 100k parcels, street grid
    python benchmarks/bench_excel.py --size 20000 --baseline main
    python benchmarks/bench_excel.py --tile 10 --baseline none   # a 1M-parcel workbook

The audit of a street grid (``bench_audit.make_audit_inputs``, about two buildings per
parcel) runs once in memory; then the workbook is written by the code of this tree and by
the ``excel.py`` of ``--baseline`` (a git revision, by default the commit before issue 16's
narrower workbook, read with ``git show`` and loaded as a
module beside this tree's, so nothing old is kept in the package), alternately, so that
both see the same load. Both workbooks must hold the same sheets with the same numbers of
rows (the new parcels sheet has fewer columns). The figure that counts is the ratio old / new in one process; the
load averages are printed beside it. Results go to ``benchmarks/results/excel.json``.

``--tile K`` repeats the audit's parcel, enterprise, block and quality tables K times
before writing (the 100k audit tiled 10 times is a 1M-parcel workbook, ~720k rows on its
parcels sheet, without the minutes of a 1M audit); ``--baseline none`` writes only with
this tree's code (the old writer needs minutes at that size).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from bench_audit import make_audit_inputs  # noqa: E402

from xsland.pipeline.audit import run  # noqa: E402
from xsland.write import excel  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "excel.json"

#: The last commit before the workbook was narrowed and vectorised (issue 16).
BEFORE = "0db29220fdf88c8319da5d0e4882a953f44fcb48"


def baseline_module(revision: str) -> types.ModuleType:
    """``xsland/write/excel.py`` at ``revision``, as a module named ``_excel_baseline``."""
    source = subprocess.run(
        ["git", "show", f"{revision}:xsland/write/excel.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("_excel_baseline", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{revision}:xsland/write/excel.py", "exec"), module.__dict__)
    return module


def same_rows(old: Path, new: Path) -> None:
    """Assert the sheets still written have the same rows (read from their dimensions).

    The first and last sheets differ by design: a note on the parcel columns, and the
    columns no longer shown.
    """
    import openpyxl

    a = openpyxl.load_workbook(old, read_only=True)
    b = openpyxl.load_workbook(new, read_only=True)
    assert set(b.sheetnames) <= set(a.sheetnames), (a.sheetnames, b.sheetnames)
    for name in sorted(set(a.sheetnames) - set(b.sheetnames)):
        print(f"  {name}: {a[name].max_row - 1:,} rows, no longer written")
    for name in b.sheetnames:
        if name in ("说明 about", "字段 columns"):  # one more note; fewer parcel columns
            continue
        assert a[name].max_row == b[name].max_row, name
        print(f"  {name}: {b[name].max_row - 1:,} rows, {a[name].max_column} → "
              f"{b[name].max_column} columns")  # fmt: skip
    a.close()
    b.close()


def _time(write, result, path: Path) -> float:
    t0 = time.perf_counter()
    write(result, path)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000, help="parcels of the street grid")
    ap.add_argument("--baseline", default=BEFORE, help="git revision of the old excel.py")
    ap.add_argument("--repeat", type=int, default=1, help="timings of each, alternating")
    ap.add_argument("--tile", type=int, default=1, help="repeat the large tables K times")
    args = ap.parse_args(argv)

    old = None if args.baseline == "none" else baseline_module(args.baseline)
    parks, parcels, buildings, ent, ind = make_audit_inputs(args.size)
    t0 = time.perf_counter()
    result = run(parks, parcels, buildings, enterprises=ent, indicators=ind)
    audit_s = time.perf_counter() - t0
    if args.tile > 1:
        import pandas as pd

        result = dataclasses.replace(result, **{
            name: pd.concat([getattr(result, name)] * args.tile, ignore_index=True)
            for name in ("parcels", "enterprises", "blocks", "quality")
            if getattr(result, name) is not None
        })  # fmt: skip
    n_action = len(excel.action_parcels(result.parcels))
    print(
        f"{len(result.parcels):,} parcels, {n_action:,} need action, "
        f"{len(result.block_members):,} block members; audit {audit_s:.1f} s"
    )
    times: dict[str, list[float]] = {"old": [], "new": []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            writers = [("new", excel.write_audit_workbook)]
            if old is not None:
                writers.insert(0, ("old", old.write_audit_workbook))
            for name, write in writers:
                load = os.getloadavg()[0]
                path = Path(tmp) / f"{name}-{i}.xlsx"
                seconds = _time(write, result, path)
                times[name].append(seconds)
                sizes[name] = path.stat().st_size
                print(
                    f"  {name}: {seconds:7.1f} s  ({sizes[name] / 2**20:.1f} MB, load {load:.2f})"
                )
        if old is not None:
            same_rows(Path(tmp) / "old-0.xlsx", Path(tmp) / "new-0.xlsx")
    best = {k: min(v) for k, v in times.items() if v}
    ratio = best["old"] / best["new"] if "old" in best else None
    if ratio:
        print(f"audit.xlsx old / new = {ratio:.2f}× (best of {args.repeat})")
    row = {
        "parcels": len(result.parcels),
        "action_parcels": n_action,
        "tile": args.tile,
        "baseline": args.baseline,
        "old_s": times["old"],
        "new_s": times["new"],
        "ratio": ratio,
        "old_mb": sizes["old"] / 2**20 if "old" in sizes else None,
        "new_mb": sizes["new"] / 2**20,
        "loadavg": os.getloadavg(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
