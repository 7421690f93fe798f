"""Exclusive, atomic output: one run per target, nothing half-written, leftovers cleaned."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from xsland._atomic import PAUSE_ENV, atomic_dir, atomic_file, lock_path, remove_stale
from xsland.errors import OutputBusyError, OutputExistsError, OutputTargetError

X0, Y0 = 535_000.0, 3_496_000.0
XSLAND = [sys.executable, "-m", "xsland.cli"]


def _holder(lock: Path) -> subprocess.Popen:
    """Another process holding the lock file ``lock`` until killed."""
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_target_another_process_writes_is_refused_at_once(tmp_path):
    out = tmp_path / "out"
    holder = _holder(lock_path(out))
    try:
        with pytest.raises(OutputBusyError, match=r"another xsland run is writing"):
            with atomic_dir(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    assert not out.exists()


def test_existence_is_checked_again_at_the_swap(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError, match=r"appeared while this run was writing"):
        with atomic_dir(out) as tmp:
            (tmp / "a.txt").write_text("mine")
            out.mkdir()  # another writer (not xsland) made it meanwhile
            (out / "theirs.txt").write_text("theirs")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp, no lock left
    file = tmp_path / "t.csv"
    with pytest.raises(OutputExistsError), atomic_file(file, overwrite=False) as tmp:
        tmp.write_text("mine")
        file.write_text("theirs")
    assert file.read_text() == "theirs"


def test_a_folder_without_the_marker_is_not_replaced(tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"x")
    with pytest.raises(OutputTargetError, match=r"not an xsland output folder"):
        with atomic_dir(out, overwrite=True):
            pass
    assert [p.name for p in out.iterdir()] == ["a.jpg"]


def test_leftovers_of_killed_runs_are_removed_and_reported(tmp_path, caplog):
    stale_dir = tmp_path / ".out.xsland-tmp-4242-abcd"
    stale_dir.mkdir()
    (stale_dir / "audit.gpkg").write_bytes(b"half")
    stale_file = tmp_path / ".q.csv.xsland-tmp-4242-zz.csv"
    stale_file.write_text("half")
    busy = tmp_path / ".busy.xsland-tmp-4343-ef"  # a run that is still writing
    busy.mkdir()
    holder = _holder(lock_path(tmp_path / "busy"))
    try:
        with caplog.at_level(logging.WARNING, logger="xsland"), atomic_dir(tmp_path / "out") as t:
            (t / "x.txt").write_text("new")
    finally:
        holder.kill()
        holder.wait()
    assert not stale_dir.exists() and not stale_file.exists() and busy.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".busy.xsland-lock",  # the holder's, left as it was
        ".busy.xsland-tmp-4343-ef",
        "out",
    ]
    reported = " ".join(r.getMessage() for r in caplog.records)
    assert str(stale_dir) in reported and str(stale_file) in reported
    assert remove_stale(tmp_path) == [busy]  # the holder is gone now


def test_files_beside_a_temporary_output_being_made_are_kept(tmp_path):
    # a worker process writes the GeoPackage's temporary file meanwhile: SQLite keeps its
    # journal beside it, named after it; another writer's clean-up must not take it
    with atomic_file(tmp_path / "audit.gpkg") as tmp:
        tmp.write_bytes(b"being written")
        journal = tmp.with_name(tmp.name + "-journal")
        journal.write_bytes(b"journal")
        with atomic_file(tmp_path / "audit.xlsx") as other:
            other.write_bytes(b"x")
        assert journal.exists() and remove_stale(tmp_path) == []
        journal.unlink()
    # once the output is in place, a journal left behind is a leftover like any other
    left = tmp_path / ".audit.gpkg.xsland-tmp-4242-ab.gpkg-journal"
    left.write_bytes(b"journal")
    assert remove_stale(tmp_path) == [left]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.gpkg", "audit.xlsx"]


@pytest.fixture
def small(tmp_path):
    """A park and a parcel in ``in/in.gpkg``."""
    folder = tmp_path / "in"
    folder.mkdir()
    gpkg = folder / "in.gpkg"
    box = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
    gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "park_type": ["片区型"], "town": ["东亭街道"]},
        geometry=[box],
        crs="EPSG:4549",
    ).to_file(gpkg, layer="parks")
    gpd.GeoDataFrame(
        {"parcel_id": ["A"], "category": ["new_industrial"]},
        geometry=[shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)],
        crs="EPSG:4549",
    ).to_file(gpkg, layer="parcels")
    return gpkg


def _start(gpkg: Path, out: Path, pause: float) -> subprocess.Popen:
    env = {**os.environ, PAUSE_ENV: str(pause), "PYTHONPATH": str(Path(__file__).parents[1])}
    args = ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(out)]
    return subprocess.Popen(
        [*XSLAND, *args, "--no-progress", "--no-maps", "--no-report"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell running the tests as a background job ignores
        # SIGINT, and an ignored SIGINT is inherited (Python then never installs its
        # KeyboardInterrupt handler), so Ctrl-C is given its default back
        preexec_fn=_sigint_default,
    )


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_complete_temp(folder: Path, proc: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(".out.xsland-tmp-*") if (p / ".xsland-output").exists()]
        if done:
            return done[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the run never reached the swap")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_writing_leaves_nothing(small, tmp_path, signum):
    out = tmp_path / "out"
    proc = _start(small, out, pause=60)
    temp = _wait_for_complete_temp(tmp_path, proc)
    assert (temp / "audit.gpkg").is_file()  # written completely, not yet swapped in
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    said = "interrupted (Ctrl-C)" if signum == signal.SIGINT else f"stopped by signal {signum:d}"
    assert "Traceback" not in err and said in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no temp, no lock, no out
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["in.gpkg"]


def test_two_runs_into_one_out_one_wins_the_other_leaves_nothing(small, tmp_path):
    out = tmp_path / "out"
    first = _start(small, out, pause=15)  # long enough for the second to start meanwhile
    _wait_for_complete_temp(tmp_path, first)  # the first holds the lock now
    second = _start(small, out, pause=0)
    _, err2 = second.communicate(timeout=120)
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 1, err2
    assert "another xsland run is writing" in err2 and "Traceback" not in err2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert (out / "audit.gpkg").is_file() and (out / ".xsland-output").is_file()


def test_two_runs_started_together_never_both_succeed(small, tmp_path):
    out = tmp_path / "out"
    runs = [_start(small, out, pause=1), _start(small, out, pause=1)]
    codes = sorted(r.wait(timeout=180) for r in runs)
    for r in runs:
        _, err = r.communicate()
        assert "Traceback" not in err
    assert codes == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_an_output_moved_aside_by_a_killed_swap_is_put_back(tmp_path, caplog):
    # killed between "out -> .out.xsland-old-PID" and "temp -> out": out is missing
    old = tmp_path / ".out.xsland-old-4242"
    old.mkdir()
    (old / ".xsland-output").write_text("")
    (old / "audit.gpkg").write_bytes(b"previous")
    with caplog.at_level(logging.WARNING, logger="xsland"):
        assert remove_stale(tmp_path) == []
    assert (tmp_path / "out" / "audit.gpkg").read_bytes() == b"previous"
    assert "restored" in caplog.text
    with pytest.raises(OutputExistsError):  # it is an output again, refused without overwrite
        with atomic_dir(tmp_path / "out"):
            pass
