"""Shared tiny layers whose answers are worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from xsland.sample import SamplePaths, generate_sample

# Two 100 m squares side by side and a 50 m square, in EPSG:4549 (CGCS2000 GK CM 120E),
# placed near Xishan (x ≈ 535 km east of the false origin, y ≈ 3 496 km north).
X0, Y0 = 535_000.0, 3_496_000.0


@pytest.fixture
def parcels_4549() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "land_use": ["100101", "100102", "1101"],
            "floor_area": [15_000.0, None, 2_000.0],
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            shapely.box(X0, Y0 + 200, X0 + 50, Y0 + 250),
        ],
        crs="EPSG:4549",
    )


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> SamplePaths:
    """The Xishan sample, generated once per test session (default seed)."""
    return generate_sample(tmp_path_factory.mktemp("sample") / "xishan")
