"""Coordinates that cannot be right: named errors with rows and the likely CRS (issue 12)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland.errors import ValidationError
from xsland.read.geometry_checks import crs_findings, nonfinite_mask, zone_crs
from xsland.read.io import read_layer
from xsland.read.validate import quality_frame

X0, Y0 = 535_000.0, 3_496_000.0  # near Xishan in EPSG:4549 (CM 120E, no zone prefix)
XSLAND = Path(sys.executable).with_name("xsland")


def _nan_box() -> shapely.Polygon:
    ring = np.array([[X0 + 1, Y0], [X0 + 1, Y0 + 1], [X0, Y0 + 1], [np.nan, np.inf], [X0 + 1, Y0]])
    return shapely.set_coordinates(shapely.box(0, 0, 1, 1), ring)


def _parcels(geoms, crs="EPSG:4549", ids=None) -> gpd.GeoDataFrame:
    ids = ids or [f"P{i + 1}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"parcel_id": ids}, geometry=geoms, crs=crs)


# -- the masks ---------------------------------------------------------------------------


def test_nonfinite_mask_copies_the_coordinates_only_of_what_length_cannot_clear(monkeypatch):
    # 1000 boxes, a line, a point, a collection, a box whose perimeter overflows and a
    # box with an infinite vertex: the coordinates of the last four alone are read (the
    # boxes' and the line's lengths are finite); the broken box is found
    broken = shapely.set_coordinates(
        shapely.box(0, 0, 1, 1), [[1, 0], [1, np.inf], [0, 1], [0, 0], [1, 0]]
    )
    geoms = np.array(
        [shapely.box(i, 0, i + 1, 1) for i in range(1000)]
        + [
            shapely.LineString([(0, 0), (1, 1)]),
            shapely.Point(0, 0),
            shapely.GeometryCollection([shapely.Point(0, 0)]),
            shapely.box(-1e200, -1e200, 1e200, 1e200),
            broken,
        ],
        dtype=object,
    )
    seen = []
    get = shapely.get_coordinates

    def spy(g, *args, **kwargs):
        seen.append(len(np.atleast_1d(g)))
        return get(g, *args, **kwargs)

    monkeypatch.setattr(shapely, "get_coordinates", spy)
    mask = nonfinite_mask(geoms)
    assert np.flatnonzero(mask).tolist() == [1004]
    assert seen and max(seen) == 4


def test_nonfinite_mask_ignores_missing_and_empty():
    geoms = np.array([shapely.box(0, 0, 1, 1), _nan_box(), None, shapely.Polygon()], dtype=object)
    assert nonfinite_mask(geoms).tolist() == [False, True, False, False]


#: Shapes to break (set_coordinates changes a geometry in place: each is made anew).
_SHAPES = {
    "box": lambda: shapely.box(0, 0, 1, 1),
    "holed": lambda: shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2)),
    "multi": lambda: shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]),
    "line": lambda: shapely.LineString([(0, 0), (1, 0), (1, 1)]),
    "point": lambda: shapely.Point(1, 2),
    "collection": lambda: shapely.GeometryCollection(
        [shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]
    ),
    # its perimeter overflows (4e200 squared), its coordinates are finite
    "huge": lambda: shapely.box(-1e200, -1e200, 1e200, 1e200),
    "none": lambda: None,
    "empty": lambda: shapely.Polygon(),
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(_SHAPES)),
            # which vertex is broken: none, the first or the last (a ring's start and
            # end), or a middle one
            st.sampled_from([None, 0, 1, 3, 6, -1]),
            st.sampled_from([float("nan"), float("inf"), -float("inf")]),
            st.booleans(),  # x or y
        ),
        max_size=12,
    )
)
def test_nonfinite_mask_equals_each_geometrys_own_coordinates(specs):
    geoms = []
    for kind, broken, value, y in specs:
        g = _SHAPES[kind]()
        n = 0 if g is None else shapely.get_num_coordinates(g)
        if g is not None and broken is not None and -n <= broken < n:
            xy = shapely.get_coordinates(g)
            # every copy of the vertex: a ring's first and closing ones go together
            xy[(xy == xy[broken]).all(axis=1), int(y)] = value
            with contextlib.suppress(shapely.errors.GEOSException):
                # GEOS makes no ring starting at NaN (NaN != NaN: not closed)
                g = shapely.set_coordinates(g, xy)
        geoms.append(g)
    geoms = np.array(geoms, dtype=object)
    want = [g is not None and not np.isfinite(shapely.get_coordinates(g)).all() for g in geoms]
    assert nonfinite_mask(geoms).tolist() == want


def test_zone_codes_by_datum_and_width():
    # EPSG numbers the CGCS2000 3-degree zones 25..45: prefixed 4513 + n - 25, plain 4534 + n - 25
    assert zone_crs("cgcs2000", 40, prefix=True) == "EPSG:4528"
    assert zone_crs("cgcs2000", 40, prefix=False) == "EPSG:4549"
    assert zone_crs("xian1980", 40, prefix=True) == "EPSG:2364"  # 2349 + 15
    assert zone_crs("wgs84", 40, prefix=False) == "EPSG:4549"  # CGCS2000 zone for others
    assert zone_crs("cgcs2000", 20, width=6, prefix=True) == "EPSG:4498"  # 4491 + 7
    assert zone_crs("cgcs2000", 46, prefix=True) == ""


def test_zone_prefix_where_the_crs_has_none_points_to_the_prefixed_zone():
    geoms = [shapely.box(X0, Y0, X0 + 10, Y0 + 10), shapely.box(40e6 + X0, Y0, 40e6 + X0 + 10, Y0)]
    (f,) = crs_findings(np.array(geoms, dtype=object), "EPSG:4549")
    assert f.mask.tolist() == [False, True]
    assert f.likely_crs == "EPSG:4528"
    assert "zone prefix 40" in f.message and "40,535,005" in f.message


def test_prefixed_crs_with_plain_eastings_points_to_the_plain_zone():
    (f,) = crs_findings(np.array([shapely.box(X0, Y0, X0 + 1, Y0 + 1)]), "EPSG:4528")
    assert f.likely_crs == "EPSG:4549" and "no zone prefix" in f.message


def test_degrees_under_a_projected_crs():
    (f,) = crs_findings(np.array([shapely.box(120.1, 31.5, 120.2, 31.6)]), "EPSG:4549")
    assert f.likely_crs == "EPSG:4490" and "are degrees" in f.message


def test_geographic_crs_metres_swapped_beyond_and_far_away():
    geoms = np.array(
        [
            shapely.box(40e6 + X0, Y0, 40e6 + X0 + 1, Y0 + 1),  # zone-prefixed metres
            shapely.box(31.5, 120.1, 31.6, 120.2),  # lat in X, lon in Y
            shapely.box(200.0, 10.0, 201.0, 11.0),  # longitude beyond 180
            shapely.box(-70.0, 40.0, -69.0, 41.0),  # New York: far outside China
            shapely.box(120.1, 31.5, 120.2, 31.6),  # Wuxi: fine
        ],
        dtype=object,
    )
    found = crs_findings(geoms, "EPSG:4490")
    masks = [f.mask.nonzero()[0].tolist() for f in found]
    assert masks == [[0], [1], [2], [3]]
    assert found[0].likely_crs == "EPSG:4528" and "are metres" in found[0].message
    assert "swapped" in found[1].message
    assert "±180°" in found[2].message
    assert "far outside the area of use" in found[3].message


@settings(max_examples=60, deadline=None)
@given(
    dx=st.floats(0, 60_000, allow_nan=False),
    dy=st.floats(0, 60_000, allow_nan=False),
    zone=st.integers(25, 45),
)
def test_any_prefixed_easting_in_a_plain_zone_is_found(dx, dy, zone):
    # a parcel anywhere in Xishan: with the prefix of its own zone (40) it is "prefixed";
    # with another zone's prefix it is far outside (the CM 120E zone covers 118.5–121.5°E)
    x = zone * 1e6 + X0 + dx
    found = crs_findings(np.array([shapely.box(x, Y0 + dy, x + 5, Y0 + dy + 5)]), "EPSG:4549")
    assert len(found) == 1 and found[0].mask.tolist() == [True]
    assert (found[0].likely_crs == "EPSG:4528") == (zone == 40)


# -- through read_layer ------------------------------------------------------------------


def test_one_zone_prefixed_parcel_is_named_with_the_likely_crs(tmp_path):
    path = tmp_path / "p.gpkg"
    geoms = [shapely.box(X0, Y0, X0 + 50, Y0 + 50), shapely.box(40e6 + X0, Y0, 40e6 + X0 + 50, Y0)]
    _parcels(geoms).to_file(path, layer="parcels")
    with pytest.raises(ValidationError) as info:
        read_layer(path, kind="parcels")
    text = str(info.value)
    assert f"file {path}, layer 'parcels'" in text
    assert "(rows: P2)" in text and "the likely CRS is EPSG:4528" in text
    assert "--override-crs parcels=EPSG:4528" in text
    assert "inputs.parcels.override_crs" in text
    assert "no coordinates" not in text


def test_nan_coordinates_are_a_named_error_never_a_geos_error(tmp_path):
    path = tmp_path / "p.gpkg"
    _parcels([shapely.box(X0, Y0, X0 + 1, Y0 + 1), _nan_box()]).to_file(path, layer="parcels")
    with pytest.raises(ValidationError) as info:
        read_layer(path, kind="parcels")
    assert "1 feature with NaN or infinite coordinates (rows: P2)" in str(info.value)
    # collect mode (xsland check): listed, and the feature has no geometry afterwards
    got = read_layer(path, kind="parcels", collect=True)
    q = quality_frame(got)
    assert q.loc[q["check"] == "nonfinite_coordinates", "id"].tolist() == ["P2"]
    assert got.geometry.isna().tolist() == [False, True]


def test_an_empty_parcels_layer_is_a_named_error(tmp_path):
    path = tmp_path / "p.gpkg"
    _parcels([]).to_file(path, layer="parcels")
    with pytest.raises(ValidationError, match=r"the parcels layer has no features"):
        read_layer(path, kind="parcels")
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"]}, geometry=[None], crs="EPSG:4549"
    )
    parks.to_file(tmp_path / "k.gpkg", layer="parks")
    with pytest.raises(ValidationError, match=r"the parks layer has no features"):
        read_layer(tmp_path / "k.gpkg", kind="parks", empty_geometry="drop")


def test_crs_only_labels_layers_without_one_and_override_is_listed(tmp_path, caplog):
    path = tmp_path / "p.gpkg"
    _parcels([shapely.box(40e6 + X0, Y0, 40e6 + X0 + 50, Y0 + 50)]).to_file(path)
    # --crs does not relabel a layer that has a CRS: the wrong .prj is still found
    with pytest.raises(ValidationError, match="EPSG:4528"):
        read_layer(path, kind="parcels", crs="EPSG:4528")
    got = read_layer(path, kind="parcels", override_crs="EPSG:4528")
    assert got.crs.to_epsg() == 4528
    q = quality_frame(got)
    row = q[q["check"] == "crs_override"].iloc[0]
    assert row["layer"] == "parcels" and row["file"] == str(path)
    assert "EPSG:4549" in row["detail"] and "EPSG:4528" in row["detail"]


# -- through the command line ------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [str(XSLAND), *args], capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture
def prefixed_inputs(tmp_path):
    """Parks in EPSG:4549 and parcels whose .prj says 4549 but whose eastings are zone 40."""
    parks = gpd.GeoDataFrame(
        {"园区编号": ["K1"], "园区名称": ["一园"], "园区类型": ["片区型"]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["new_industrial"] * 2, "floor_area": [2e4, 5e3]},
        geometry=[
            shapely.box(40e6 + X0 + 100, Y0 + 100, 40e6 + X0 + 200, Y0 + 200),
            shapely.box(40e6 + X0 + 300, Y0 + 100, 40e6 + X0 + 400, Y0 + 200),
        ],
        crs="EPSG:4549",
    )
    parks.to_file(tmp_path / "parks.gpkg", layer="parks")
    parcels.to_file(tmp_path / "parcels.shp")
    return tmp_path


def test_cli_names_the_rows_and_crs_then_override_runs_and_is_listed(prefixed_inputs):
    tmp = prefixed_inputs
    args = ["audit", "--parks", str(tmp / "parks.gpkg"), "--parcels", str(tmp / "parcels.shp")]
    args += ["--out", str(tmp / "out"), "--no-progress", "--no-maps", "--no-report"]
    bad = _cli(*args, "--crs", "EPSG:4528")  # --crs must not relabel a layer with a .prj
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr + bad.stdout
    assert f"file {tmp / 'parcels.shp'}" in bad.stderr
    assert "(rows: A, B)" in bad.stderr and "EPSG:4528" in bad.stderr
    assert not (tmp / "out").exists()
    ok = _cli(*args, "--override-crs", "parcels=EPSG:4528")
    assert ok.returncode == 0, ok.stderr
    quality = pd.read_excel(tmp / "out" / "audit.xlsx", sheet_name="数据质量 quality")
    assert quality.astype(str).apply(lambda r: r.str.contains("EPSG:4528").any(), axis=1).any()


def test_cli_check_lists_bad_coordinates_and_audit_refuses_an_empty_parks_layer(tmp_path):
    from click.testing import CliRunner

    from xsland.cli import main

    gpkg = tmp_path / "in.gpkg"
    good = shapely.box(X0, Y0, X0 + 50, Y0 + 50)
    prefixed = shapely.box(40e6 + X0, Y0, 40e6 + X0 + 50, Y0 + 50)
    _parcels([good, _nan_box(), prefixed]).to_file(gpkg, layer="parcels")
    result = CliRunner().invoke(main, ["check", str(gpkg), "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    q = pd.read_csv(tmp_path / "q.csv", dtype=str)
    found = q[q["check"].isin(["nonfinite_coordinates", "impossible_coordinates"])]
    assert found[["check", "id"]].values.tolist() == [
        ["nonfinite_coordinates", "P2"],
        ["impossible_coordinates", "P3"],
    ]
    parks = gpd.GeoDataFrame({"park_id": [], "name": []}, geometry=[], crs="EPSG:4549")
    parks.to_file(gpkg, layer="parks")
    _parcels([good]).to_file(gpkg, layer="parcels")
    args = ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(tmp_path / "o")]
    empty = CliRunner().invoke(main, [*args, "--no-progress"])
    assert empty.exit_code != 0 and isinstance(empty.exception, SystemExit)
    assert f"file {gpkg}, layer 'parks': the parks layer has no features" in empty.output
    assert not (tmp_path / "o").exists()
