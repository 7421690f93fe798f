"""File names from data text fit the file system: cut by bytes, whole characters kept."""

from __future__ import annotations

import geopandas as gpd
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland._names import MAX_NAME_BYTES, NAME_ROOM_BYTES, safe_filename
from xsland.cli import main
from xsland.write.maps import town_file_name

X0, Y0 = 535_000.0, 3_496_000.0


@given(stem=st.text(min_size=0, max_size=300), suffix=st.sampled_from(["", ".html", ".csv"]))
@settings(max_examples=300, deadline=None)
def test_a_safe_name_fits_in_bytes_and_is_a_prefix(stem, suffix):
    name = safe_filename(stem, suffix)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES - NAME_ROOM_BYTES
    assert name.endswith(suffix)
    kept = name[: len(name) - len(suffix)] if suffix else name
    assert stem.startswith(kept)  # cut at a character boundary, nothing replaced
    if len((stem + suffix).encode("utf-8")) <= MAX_NAME_BYTES - NAME_ROOM_BYTES:
        assert name == stem + suffix


def test_a_100_character_chinese_town_name():
    name = town_file_name("锡" * 100)
    # 207 bytes allowed, minus 5 for ".html" = 202 → 67 whole characters of 3 bytes
    assert name == "锡" * 67 + ".html" and len(name.encode()) == 206


def test_an_audit_with_long_town_names_writes_its_maps(tmp_path):
    long_a, long_b = "锡山区" + "东" * 97, "锡山区" + "东" * 96 + "西"  # differ after 99 chars
    gpkg = tmp_path / "in.gpkg"
    gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K2"],
            "name": ["一园", "二园"],
            "park_type": ["片区型", "片区型"],
            "town": [long_a, long_b],
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 1000, Y0, X0 + 1500, Y0 + 500),
        ],
        crs="EPSG:4549",
    ).to_file(gpkg, layer="parks")
    gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "category": ["new_industrial"] * 2},
        geometry=[
            shapely.box(X0 + 10, Y0 + 10, X0 + 90, Y0 + 90),
            shapely.box(X0 + 1010, Y0 + 10, X0 + 1090, Y0 + 90),
        ],
        crs="EPSG:4549",
    ).to_file(gpkg, layer="parcels")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["audit", "--parks", str(gpkg), "--parcels", str(gpkg), "--out", str(out)]
        + ["--no-progress", "--no-report"],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "maps").iterdir() if p.suffix == ".html")
    # the same 67 characters after cutting: the second gets "-2"
    assert names == sorted([long_a[:67] + ".html", long_a[:67] + "-2.html"])
