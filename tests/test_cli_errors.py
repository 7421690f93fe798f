"""The command line's error boundary and preflight: every failure a named error or a
one-line crash note, never a traceback; nothing written, inputs intact."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from xsland.cli import main

X0, Y0 = 535_000.0, 3_496_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def data(tmp_path):
    """A folder ``in/`` with one park and two parcels (``in/in.gpkg``)."""
    folder = tmp_path / "in"
    folder.mkdir()
    gpkg = folder / "in.gpkg"
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "park_type": ["片区型"], "town": ["东亭街道"]},
        geometry=[box(0, 0, 1000, 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["new_industrial"] * 2},
        geometry=[box(100, 100, 200, 200), box(300, 100, 400, 200)],
        crs="EPSG:4549",
    )
    parks.to_file(gpkg, layer="parks")
    parcels.to_file(gpkg, layer="parcels")
    return folder, gpkg


def _audit(gpkg, out, *extra):
    args = ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(out)]
    return CliRunner().invoke(main, [*args, "--no-progress", "--no-maps", "--no-report", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def no_reading(monkeypatch):
    """Fails the test (exit 2, not 1) if the audit starts reading its inputs."""

    def refuse(*args, **kwargs):
        raise AssertionError("inputs read although the run should have been refused")

    monkeypatch.setattr("xsland.pipeline.run.read_inputs", refuse)


# --------------------------------------------------------------------------- boundary


def test_missing_inputs_are_all_named_at_once(tmp_path):
    result = CliRunner().invoke(
        main,
        ["audit", "--parks", str(tmp_path / "p.gpkg"), "--parcels", str(tmp_path / "q.shp")]
        + ["--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "2 input files not found" in result.output
    assert "p.gpkg" in result.output and "q.shp" in result.output and "Fix:" in result.output
    assert not (tmp_path / "o").exists()


def test_control_and_bidi_characters_in_a_message_are_shown_escaped(tmp_path):
    # "parks\u202egnp.kpg" would display as "parksgpk.png" reversed; ESC would colour the
    # terminal: the message shows both as escapes and never the raw characters
    name = "parks\u202egnp\x1b[31m.gpkg"
    result = CliRunner().invoke(
        main, ["audit", "--parks", str(tmp_path / name), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1, result.output
    assert "\u202e" not in result.output and "\x1b" not in result.output
    assert "parks\\u202egnp\\u001b[31m.gpkg" in result.output


def test_check_names_every_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "a.gpkg"), str(tmp_path / "b.csv")])
    assert result.exit_code == 1 and "a.gpkg" in result.output and "b.csv" in result.output
    _no_traceback(result)


def test_an_unexpected_error_is_one_line_with_a_crash_log(data, tmp_path, monkeypatch):
    _, gpkg = data
    crash = tmp_path / "crash"
    monkeypatch.setenv("XSLAND_CRASH_DIR", str(crash))

    def boom(*args, **kwargs):
        raise RuntimeError("boom at postgresql://u:S3CRETpw@db/x\nsecond line")

    monkeypatch.setattr("xsland.measure.area.area_table", boom)
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks"])
    assert result.exit_code == 2, result.output
    _no_traceback(result)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unexpected RuntimeError: boom at" in lines[0]
    assert "S3CRETpw" not in result.output and "second line" not in result.output
    logs = list(crash.glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in result.output
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "boom" in text and "S3CRETpw" not in text
    verbose = CliRunner().invoke(main, ["-v", "area", str(gpkg), "--layer", "parks"])
    assert verbose.exit_code == 2 and "Traceback" in verbose.output
    assert "S3CRETpw" not in verbose.output


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "/srv/out/x"), 1, "permission denied"),
        (FileExistsError(errno.EEXIST, "File exists", "/srv/out"), 1, "--overwrite"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/srv/a"), 1, "a folder where a file"),
        (OSError(errno.ENAMETOOLONG, "File name too long", "/x"), 1, "too long"),
        (OSError(errno.ENOSPC, "No space left on device", "/x"), 1, "no space left"),
    ],
)
def test_os_errors_a_user_causes_are_named(data, monkeypatch, exc, code, words):
    _, gpkg = data

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("xsland.measure.area.area_table", fail)
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks"])
    assert result.exit_code == code, result.output
    _no_traceback(result)
    assert result.output.startswith("error: ") and words in result.output
    assert exc.filename in result.output and "Fix:" in result.output


def test_out_of_bounds_dates_are_a_named_error(data, monkeypatch):
    import pandas as pd

    _, gpkg = data

    def fail(*args, **kwargs):
        pd.Timestamp("9999-12-31").as_unit("ns")  # what pandas does with such a date

    monkeypatch.setattr("xsland.measure.area.area_table", fail)
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks"])
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "9999-12-31" in result.output and "1677-09-22 to 2262-04-11" in result.output


@pytest.mark.parametrize("module", ["shapely", "pyproj"])
def test_geos_and_proj_failures_never_show_a_traceback(data, monkeypatch, tmp_path, module):
    import pyproj
    import shapely.errors

    _, gpkg = data
    monkeypatch.setenv("XSLAND_CRASH_DIR", str(tmp_path / "crash"))
    exc = (
        shapely.errors.GEOSException("IllegalArgumentException: Points of LinearRing do not form")
        if module == "shapely"
        else pyproj.exceptions.ProjError("x, y, z, and time must be finite values")
    )

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("xsland.measure.area.area_table", fail)
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks"])
    assert result.exit_code == 2, result.output
    _no_traceback(result)
    assert ("GEOS" if module == "shapely" else "PROJ") in result.output
    assert "xsland check" in result.output


def test_a_crs_error_that_escapes_is_a_named_error(data, monkeypatch):
    import pyproj

    _, gpkg = data

    def fail(*args, **kwargs):
        raise pyproj.exceptions.CRSError("Invalid projection: EPSG:999999")

    monkeypatch.setattr("xsland.measure.area.area_table", fail)
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks"])
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "unknown coordinate reference system: Invalid projection: EPSG:999999" in result.output
    assert "--crs EPSG:4549" in result.output


def test_a_file_name_too_long_for_the_file_system_is_named(data, tmp_path, no_reading):
    _, gpkg = data
    out = tmp_path / ("园" * 90)  # 270 bytes in UTF-8: over the 255-byte limit
    result = _audit(gpkg, out)
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "too long" in result.output


def test_an_unreachable_dask_scheduler_fails_fast(data, tmp_path):
    import time

    _, gpkg = data
    start = time.monotonic()
    result = _audit(gpkg, tmp_path / "o", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert time.monotonic() - start < 10
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in result.output
    assert "--scheduler" in result.output and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- preflight


@pytest.mark.parametrize("out", [".", "..", "./", "sub/.."])
def test_out_dot_and_dotdot_are_refused(data, monkeypatch, no_reading, out):
    folder, gpkg = data
    (folder / "sub").mkdir()
    monkeypatch.chdir(folder / "sub" if out == ".." else folder)
    before = _snapshot(folder)
    result = _audit(gpkg, out, "--overwrite")
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "current folder" in result.output
    assert _snapshot(folder) == before


def test_out_holding_the_inputs_is_refused_even_with_overwrite(data, no_reading):
    folder, gpkg = data
    (folder / ".xsland-output").write_text("")  # even a marked folder
    before = _snapshot(folder)
    result = _audit(gpkg, folder, "--overwrite")
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "holds the input" in result.output and "in.gpkg" in result.output
    assert _snapshot(folder) == before
    parent = _audit(gpkg, folder.parent, "--overwrite")
    assert parent.exit_code == 1 and "holds the input" in parent.output


def test_out_holding_the_partitioned_dataset_is_refused(data, tmp_path, no_reading):
    """`xsland audit --partitions DS --out DS --overwrite` replaced the dataset (an
    xsland output, marked) with the audit of it."""
    from xsland.pipeline.engine import write_partitions

    _, gpkg = data
    ds = write_partitions(gpd.read_file(gpkg, layer="parcels"), None, tmp_path / "ds")
    before = _snapshot(ds)
    args = ["audit", "--parks", str(gpkg), "--partitions", str(ds), "--out", str(ds)]
    result = CliRunner().invoke(main, [*args, "--overwrite", "--no-progress"])
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert f"cannot write to {ds}: it is the input {ds}, which would be deleted" in result.output
    assert _snapshot(ds) == before


def test_parcels_or_buildings_given_with_partitions_are_refused(data, tmp_path, no_reading):
    """--partitions audits the dataset's parcels and buildings: --parcels or --buildings
    given with it were left out without a word."""
    from xsland.pipeline.engine import write_partitions

    _, gpkg = data
    ds = write_partitions(gpd.read_file(gpkg, layer="parcels"), None, tmp_path / "ds")
    args = ["audit", "--parks", str(gpkg), "--partitions", str(ds), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, [*args, "--buildings", str(gpkg), "--no-progress"])
    assert result.exit_code == 2, result.output  # a wrong command line
    _no_traceback(result)
    assert (
        "Error: --buildings with --partitions: the dataset's parcels and buildings are "
        "audited, not --buildings. Fix: leave out --buildings, or write a dataset of them "
        "first with `xsland partition` and give it to --partitions"
    ) in result.output
    both = CliRunner().invoke(main, [*args, "--parcels", str(gpkg), "--buildings", str(gpkg)])
    assert both.exit_code == 2 and "--parcels and --buildings with --partitions" in both.output
    # --parcels naming the dataset audits it by partition, with its own buildings
    args = ["audit", "--parks", str(gpkg), "--parcels", str(ds), "--out", str(tmp_path / "o")]
    named = CliRunner().invoke(main, [*args, "--buildings", str(gpkg), "--no-progress"])
    assert named.exit_code == 2, named.output
    assert (
        "Error: --buildings with --parcels naming a partitioned dataset: the dataset's "
        "buildings are audited, not --buildings. Fix: leave out --buildings, or give "
        "--parcels the parcels' file"
    ) in named.output
    assert not (tmp_path / "o").exists()


def test_an_existing_folder_without_the_marker_is_never_replaced(data, tmp_path, no_reading):
    _, gpkg = data
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.docx").write_bytes(b"precious")
    result = _audit(gpkg, out, "--overwrite")
    assert result.exit_code == 1, result.output
    assert "not an xsland output folder" in result.output and ".xsland-output" in result.output
    assert (out / "notes.docx").read_bytes() == b"precious"


def test_out_that_is_a_file_or_under_a_file_is_refused(data, tmp_path, no_reading):
    _, gpkg = data
    (tmp_path / "f.txt").write_text("x")
    result = _audit(gpkg, tmp_path / "f.txt", "--overwrite")
    assert result.exit_code == 1 and "it is a file, not a folder" in result.output
    under = _audit(gpkg, tmp_path / "f.txt" / "out")
    assert under.exit_code == 1 and "is a file, not a folder" in under.output
    assert (tmp_path / "f.txt").read_text() == "x"


def test_an_unwritable_parent_is_found_before_any_work(data, tmp_path, monkeypatch, no_reading):
    _, gpkg = data
    parent = tmp_path / "ro"
    parent.mkdir()
    real = os.access
    # tests run as root, for whom every folder is writable: ask as a user would be answered
    monkeypatch.setattr(
        "xsland._preflight.os.access", lambda p, mode: False if Path(p) == parent else real(p, mode)
    )
    result = _audit(gpkg, parent / "out")
    assert result.exit_code == 1, result.output
    assert f"the folder {parent} is not writable" in result.output
    assert list(parent.iterdir()) == []


def test_a_name_too_long_for_the_temporary_copy_is_found_before_any_work(
    data, tmp_path, no_reading
):
    """An --out of 230 bytes is a valid name (255 on ext4, tmpfs), but the temporary
    folder made beside it (.<name>.xsland-tmp-<pid>-<8>) is not: the run read and
    audited everything, then stopped on ENAMETOOLONG."""
    from xsland._preflight import SIBLING_EXTRA

    _, gpkg = data
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    assert SIBLING_EXTRA == 29  # 1 + 12 (".xsland-tmp-") + 7 (pid) + 1 + 8 (mkdtemp)
    long = tmp_path / ("审" * 75 + "a" * (limit - SIBLING_EXTRA - 225 + 1))  # 3 bytes each
    result = _audit(gpkg, long)
    assert result.exit_code == 1, result.output
    assert f"its name is too long ({limit - SIBLING_EXTRA + 1} bytes)" in result.output
    assert f"Fix: give a name of at most {limit - SIBLING_EXTRA} bytes with --out" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # the inputs only
    # one byte shorter: no longer refused for its name (the run goes on to read)
    shorter = _audit(gpkg, long.with_name(long.name[:-1]))
    assert shorter.exit_code == 2 and "inputs read although" in shorter.output


def test_an_empty_folder_and_a_marked_one_are_replaced_with_overwrite(data, tmp_path):
    _, gpkg = data
    out = tmp_path / "out"
    out.mkdir()
    first = _audit(gpkg, out, "--overwrite")
    assert first.exit_code == 0, first.output
    assert (out / ".xsland-output").is_file() and (out / "audit.gpkg").is_file()
    again = _audit(gpkg, out)
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output
    second = _audit(gpkg, out, "--overwrite")
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # no lock, no temp


def test_other_commands_preflight_their_targets(data, tmp_path, monkeypatch):
    folder, gpkg = data
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(gpkg), "--out", str(folder)])
    assert checked.exit_code == 1 and "it is a folder, not a file" in checked.output
    same = runner.invoke(main, ["check", str(gpkg), "--out", str(gpkg), "--overwrite"])
    assert same.exit_code == 1 and "is the input" in same.output
    raster = runner.invoke(
        main, ["rasterize", str(gpkg), "--column", "x", "--resolution", "5", "-o", str(folder)]
    )
    assert raster.exit_code == 1 and "it is a folder, not a file" in raster.output
    monkeypatch.chdir(folder)
    sampled = runner.invoke(main, ["sample", "--out", ".", "--overwrite"])
    assert sampled.exit_code == 1 and "current folder" in sampled.output
    demo = runner.invoke(main, ["demo", "--out", ".."])
    assert demo.exit_code == 1 and "current folder" in demo.output
    for r in (checked, same, sampled, demo, raster):
        _no_traceback(r)
    assert sorted(p.name for p in folder.iterdir()) == ["in.gpkg"]


def _partition(project, out, *extra):
    args = ["partition", "-c", str(project), "--out", str(out), "--no-progress", *extra]
    return CliRunner().invoke(main, args)


def test_partition_preflights_its_dataset_folder_and_size(data, tmp_path, monkeypatch, no_reading):
    """`xsland partition` checks its --out as `xsland audit` does and its
    --parcels-per-partition, before reading: a folder holding an input was replaced (the
    input lost), --out . stopped on a ValueError, a path under a file was said to exist,
    and 0 parcels per partition meant the default."""
    folder, _ = data
    project = folder / "xsland.toml"
    layers = [("parks", "parks"), ("parcels", "parcels")]
    text = "".join(f'[inputs.{k}]\npath = "in.gpkg"\nlayer = "{v}"\n' for k, v in layers)
    project.write_text(text, encoding="utf-8")
    (folder / ".xsland-output").write_text("")  # even a marked folder
    before = _snapshot(folder)
    held = _partition(project, folder, "--overwrite")
    assert held.exit_code == 1, held.output
    assert f"cannot write to {folder}: it holds the input" in held.output
    (tmp_path / "f.txt").write_text("x")
    under = _partition(project, tmp_path / "f.txt" / "ds")
    assert under.exit_code == 1, under.output
    assert f"{tmp_path / 'f.txt'} is a file, not a folder" in under.output
    sizes = [
        _partition(project, tmp_path / "ds", "--parcels-per-partition", n) for n in "0 -3".split()
    ]
    for n, result in zip((0, -3), sizes, strict=True):
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"error: parcels per partition = {n}: a partition holds at least 1 parcel. Fix: "
            "give --parcels-per-partition (parcels_per_partition=) of 1 or more, or leave it "
            "out for 100000\n"
        )
    monkeypatch.chdir(folder)
    here = _partition(project, ".", "--overwrite")
    assert here.exit_code == 1 and "current folder" in here.output
    for r in (held, under, here, *sizes):
        _no_traceback(r)
    assert _snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "in"]


def test_diff_and_blocks_refuse_an_out_that_holds_their_audit(data, tmp_path):
    _, gpkg = data
    audit = tmp_path / "runs" / "a1"
    made = _audit(gpkg, audit, "--rename-duplicates")
    assert made.exit_code == 0, made.output
    before = _snapshot(audit)
    diff = CliRunner().invoke(
        main, ["diff", str(audit), str(audit), "--out", str(tmp_path / "runs"), "--overwrite"]
    )
    assert diff.exit_code == 1 and "holds the input" in diff.output
    blocks = CliRunner().invoke(
        main, ["blocks", str(audit), "--out", str(tmp_path / "runs"), "--overwrite"]
    )
    assert blocks.exit_code == 1 and "holds the input" in blocks.output
    in_place = CliRunner().invoke(main, ["blocks", str(audit), "--overwrite"])
    assert in_place.exit_code == 0, in_place.output  # updating an audit in place is allowed
    assert set(before) <= set(_snapshot(audit))  # blocks also writes the maps and report


def test_drop_empty_is_a_real_option_that_leaves_out_null_geometries(data, tmp_path):
    folder, _ = data
    gpkg = folder / "holes.gpkg"
    gpd.read_file(folder / "in.gpkg", layer="parks").to_file(gpkg, layer="parks")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["new_industrial"] * 2},
        geometry=[box(100, 100, 200, 200), None],
        crs="EPSG:4549",
    )
    parcels.to_file(gpkg, layer="parcels")
    refused = _audit(gpkg, tmp_path / "o")
    assert refused.exit_code == 1 and "--drop-empty" in refused.output
    ok = _audit(gpkg, tmp_path / "o", "--drop-empty")
    assert ok.exit_code == 0, ok.output
    kept = gpd.read_file(tmp_path / "o" / "audit.gpkg", layer="parcels")
    assert kept["parcel_id"].tolist() == ["A"]


def test_a_binary_project_file_or_a_folder_to_check_is_a_named_error(data):
    folder, gpkg = data
    bad = CliRunner().invoke(main, ["audit", "-c", str(gpkg), "--out", str(folder / "o")])
    assert bad.exit_code == 1 and "is not a project file (not UTF-8 text)" in bad.output
    checked = CliRunner().invoke(main, ["check", str(folder)])
    assert checked.exit_code == 1 and "a folder, not a file" in checked.output
    for r in (bad, checked):
        _no_traceback(r)


# -- output read by a pipe that closes (`xsland area F | head`) ----------------------------


def _area_into_closed_pipe(tmp_path, *, break_worker: bool = False):
    import subprocess
    import sys

    layer = gpd.GeoDataFrame(
        {"pid": [f"P{i}" for i in range(3000)]},
        geometry=[
            shapely.box(535_000 + i, 3_496_000, 535_000.5 + i, 3_496_000.5) for i in range(3000)
        ],
        crs="EPSG:4549",
    )
    layer.to_file(tmp_path / "many.gpkg")
    code = (
        "import sys\n"
        "from xsland.cli import main\n"
        + (
            # a pipe other than standard output breaks: an error to report
            "import click, os\n"
            "r, w = os.pipe(); os.close(r)\n"
            "click.echo = lambda *a, **k: os.write(w, b'x')\n"
            if break_worker
            else ""
        )
        + "main(sys.argv[1:])\n"
    )
    args = [sys.executable, "-c", code, "area", str(tmp_path / "many.gpkg"), "--by", "pid"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if break_worker:  # standard output is read to the end
        _, err = proc.communicate(timeout=120)
        return proc.returncode, err.decode()
    proc.stdout.close()  # the reader leaves before a line is written
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), err


def test_output_into_a_pipe_whose_reader_left_stops_quietly(tmp_path):
    """`xsland area F --by pid | head` stopped on an 'unexpected BrokenPipeError' (exit 2,
    with a crash log); a Unix tool stops quietly, with the status of SIGPIPE (141)."""
    code, err = _area_into_closed_pipe(tmp_path)
    assert (code, err) == (141, "")


def test_another_broken_pipe_is_still_an_unexpected_error(tmp_path):
    code, err = _area_into_closed_pipe(tmp_path, break_worker=True)
    assert code == 2 and "unexpected BrokenPipeError" in err


def test_a_librarys_info_lines_are_shown_only_with_v():
    """Dask's ``distributed`` sets its loggers to INFO itself: its cluster's start and stop
    (30-odd lines) reached standard error on every `audit --engine dask`, without -v."""
    import subprocess
    import sys

    code = (
        "import logging, sys\n"
        "from xsland.cli import _setup_logging\n"
        "_setup_logging(int(sys.argv[1]))\n"
        "lib = logging.getLogger('distributed.scheduler')\n"
        "lib.setLevel(logging.INFO)\n"
        "lib.info('State start')\n"
        "lib.warning('a worker died')\n"
        "logging.getLogger('xsland.x').debug('detail')\n"
    )
    err = {
        v: subprocess.run(
            [sys.executable, "-c", code, str(v)], capture_output=True, text=True, check=True
        ).stderr
        for v in (0, 1, 2)
    }
    assert err[0] == "WARNING: a worker died\n"
    assert err[1] == "INFO: State start\nWARNING: a worker died\n"
    assert err[2] == "INFO: State start\nWARNING: a worker died\nDEBUG: detail\n"


def test_a_warning_reads_as_its_message_without_a_path_into_the_code():
    """A warning reached users as Python prints it: ``WARNING: /…/xsland/pipeline/run.py:432:
    StaleDatasetWarning: …`` followed by a line of xsland's source (or pyogrio's). Now
    xsland's own is its message (which names the fix), another library's its message, kind
    and package; ``-vv`` keeps Python's form for a developer."""
    import subprocess
    import sys

    code = (
        "import sys, warnings\n"
        "from xsland.cli import _setup_logging\n"
        "from xsland.errors import StaleDatasetWarning\n"
        "_setup_logging(int(sys.argv[1]))\n"
        "warnings.warn('parcels: p.gpkg changed. Fix: x', StaleDatasetWarning)\n"
        "warnings.warn_explicit('Skipping field id: unsupported OGR type: 5', RuntimeWarning,\n"
        "    '/opt/venv/lib/python3.11/site-packages/pyogrio/raw.py', 198)\n"
        "warnings.warn_explicit('odd', UserWarning, 'notebook.py', 3)\n"
    )
    err = {
        v: subprocess.run(
            [sys.executable, "-W", "always", "-c", code, str(v)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        for v in (0, 2)
    }
    assert err[0] == (
        "WARNING: parcels: p.gpkg changed. Fix: x\n"
        "WARNING: Skipping field id: unsupported OGR type: 5 (RuntimeWarning from pyogrio)\n"
        "WARNING: odd (UserWarning)\n"
    )
    assert "<string>:5: StaleDatasetWarning: parcels: p.gpkg changed" in err[2]
    assert "site-packages/pyogrio/raw.py:198: RuntimeWarning" in err[2]


def test_the_audit_of_a_stale_dataset_warns_once_and_finishes(tmp_path):
    """``xsland partition``, then the parcels layer saved again, then ``xsland audit
    --partitions``: one warning line naming the file and the fix, and the audit written
    (exit 0)."""
    import os
    import subprocess
    import sys

    import geopandas as gpd
    import shapely

    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "land_use": ["100101"] * 2},
        geometry=[shapely.box(x, 3_500_000, x + 100, 3_500_100) for x in (500_000, 500_200)],
        crs="EPSG:4549",
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "town": ["东亭街道"]},
        geometry=[shapely.box(499_990, 3_499_990, 500_310, 3_500_110)],
        crs="EPSG:4549",
    )
    parcels.to_file(tmp_path / "parcels.gpkg")
    parks.to_file(tmp_path / "parks.gpkg")
    (tmp_path / "p.toml").write_text(
        '[inputs]\nparks = "parks.gpkg"\nparcels = "parcels.gpkg"\n', encoding="utf-8"
    )
    xsland = [sys.executable, "-m", "xsland"]

    def call(*args):
        return subprocess.run(
            [*xsland, *args, "--no-progress"], cwd=tmp_path, capture_output=True, text=True
        )

    assert call("partition", "-c", "p.toml", "--out", "ds").returncode == 0
    st = (tmp_path / "parcels.gpkg").stat()
    os.utime(tmp_path / "parcels.gpkg", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    done = call("audit", "--parks", "parks.gpkg", "--partitions", "ds", "--out", "o")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"WARNING: parcels: {tmp_path / 'parcels.gpkg'} changed after the partitioned "
        "dataset was written from it: the audit uses the dataset, not the file as it is now. "
        "Fix: write the dataset again with `xsland partition --overwrite`\n"
    )
    assert (tmp_path / "o" / "audit.gpkg").is_file()


def test_a_warning_or_log_line_cannot_drive_the_terminal():
    """A warning quoting a file name or a value from the data (a source file changed, a
    pyogrio field name) reached the terminal raw: ``\\x1b[2J`` cleared the screen and
    U+202E turned the rest of the line backwards. Errors escaped them already; warnings
    and log lines now do too."""
    import subprocess
    import sys

    code = (
        "import logging, sys, warnings\n"
        "from xsland.cli import _setup_logging\n"
        "from xsland.errors import StaleDatasetWarning\n"
        "_setup_logging(0)\n"
        "warnings.warn('parcels: a\\x1b[2J\\u202eb.gpkg changed', StaleDatasetWarning)\n"
        "logging.getLogger('xsland.x').warning('town %s', '\\x07东亭')\n"
    )
    err = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    assert err == (
        "WARNING: parcels: a\\u001b[2J\\u202eb.gpkg changed\nWARNING: town \\u0007东亭\n"
    )
