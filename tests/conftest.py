"""Shared tiny layers whose answers are worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from hypothesis import settings

from xsland.tools.sample import SamplePaths, generate_sample

# No per-example deadline: the suite runs on a shared two-core machine, where a deadline
# measures the machine's load, not the code (a test's own @settings still wins).
settings.register_profile("xsland", deadline=None)
settings.load_profile("xsland")

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


@pytest.fixture(scope="session")
def demo_audit(sample, tmp_path_factory):
    """``xsland demo`` on the sample, run once per session: (folder, files written, lines).

    Tests may rebuild maps or the report inside it; they must not remove anything.
    """
    from xsland.tools.demo import run_demo

    out = tmp_path_factory.mktemp("demo-audit") / "demo"
    lines: list[str] = []
    written = run_demo(out, sample=sample.root, echo=lines.append)
    return out, written, lines


@pytest.fixture(scope="session")
def later_audit(tmp_path_factory):
    """The "one year later" sample and its demo audit: (SamplePaths, folder)."""
    from xsland.tools.demo import run_demo

    root = tmp_path_factory.mktemp("later-audit")
    later = generate_sample(root / "xishan-later", variant="later")
    run_demo(root / "audit", sample=later.root, echo=lambda _: None)
    return later, root / "audit"
