"""GeoParquet output (xsland.write.geoparquet) of hand-made audits."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from xsland.pipeline.audit import run
from xsland.write.geoparquet import COVERING_COLUMN, write_geoparquet


def _box(x0, y0, x1, y1):
    return shapely.box(535_000 + x0, 3_496_000 + y0, 535_000 + x1, 3_496_000 + y1)


def _audit(**extra):
    parks = gpd.GeoDataFrame(
        {"park_id": ["A"], "name": ["甲园"], "town": ["甲镇"]},
        geometry=[_box(-50, -50, 300, 150)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "land_use": ["100101"] * 2, **extra},
        geometry=[_box(0, 0, 100, 100), _box(100, 0, 200, 100)],
        crs="EPSG:4549",
    )
    return run(parks, parcels, as_of="2025-08-29")


def _covering(path):
    geo = json.loads(pq.read_metadata(path).metadata[b"geo"])
    return geo["columns"][geo["primary_column"]].get("covering")


def test_geometry_layers_carry_a_bounding_box_covering_column(tmp_path):
    write_geoparquet(_audit(), tmp_path / "pq")
    cover = _covering(tmp_path / "pq" / "parcels.parquet")
    assert cover == {"bbox": {k: [COVERING_COLUMN, k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    boxes = pq.read_table(tmp_path / "pq" / "parcels.parquet").column(COVERING_COLUMN)
    # the parcels' own bounds, in the layer's CRS: P1 is the box 0..100 m east of 535 km
    assert boxes.to_pylist()[0] == pytest.approx(
        {"xmin": 535_000, "ymin": 3_496_000, "xmax": 535_100, "ymax": 3_496_100}
    )


def test_a_layers_own_bbox_column_is_kept_and_the_covering_column_left_out(tmp_path):
    """A parcel layer keeps its input's extra columns; one named ``bbox`` stopped the
    write (GeoPandas names its covering column so) with an unexpected ValueError."""
    result = _audit(bbox=["北区", "=1+1"])
    assert result.parcels["bbox"].tolist() == ["北区", "=1+1"]
    with pytest.warns(UserWarning, match=r"layer 'parcels': its own column 'bbox' is kept"):
        files = write_geoparquet(result, tmp_path / "pq")
    assert files == [tmp_path / "pq" / f"{n}.parquet" for n in result.layers()]
    back = gpd.read_parquet(tmp_path / "pq" / "parcels.parquet")
    assert back.set_index("parcel_id")["bbox"].to_dict() == {"P1": "北区", "P2": "=1+1"}
    assert _covering(tmp_path / "pq" / "parcels.parquet") is None
    # the other geometry layers keep theirs
    assert _covering(tmp_path / "pq" / "park_zones.parquet") is not None
    assert pd.read_parquet(tmp_path / "pq" / "towns.parquet")["town"].tolist() == ["甲镇"]
