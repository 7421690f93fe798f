"""Tests of xsland.measure.area: areas in m², 亩, ha, km², geodesic cross-check, tables."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Geod

from xsland.errors import CRSError, DataError
from xsland.measure.area import (
    AREA_COLUMNS,
    M2_PER_HA,
    M2_PER_KM2,
    M2_PER_MU,
    area_check,
    area_table,
    areas,
    geodesic_area,
)
from xsland.read.crs import metric_crs

REL = 1e-9


def _layer(geoms, crs, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def _square_4549(x0=500_000.0, y0=3_500_000.0, size=100.0):
    """A square in CGCS2000 / 3-degree GK CM 120E; x0 = 500 000 m is on the CM."""
    return _layer([shapely.box(x0, y0, x0 + size, y0 + size)], 4549, parcel_id=["D1"])


def _true_area(geom_lonlat, ellps="GRS80"):
    """Geodesic area with pyproj.Geod directly (independent of xsland)."""
    area, _ = Geod(ellps=ellps).geometry_area_perimeter(shapely.orient_polygons(geom_lonlat))
    return abs(area)


def test_units():
    assert M2_PER_MU == pytest.approx(666.666666667)
    assert M2_PER_HA / M2_PER_MU == pytest.approx(15.0, rel=1e-15)  # 1 ha = 15 亩
    assert M2_PER_KM2 / M2_PER_MU == pytest.approx(1500.0, rel=1e-15)  # 1 km² = 1500 亩


def test_100m_square_in_4549_is_exactly_15_mu():
    gdf = _square_4549()
    out = areas(gdf)
    assert list(out.columns) == list(AREA_COLUMNS)
    assert out.dtypes.eq(float).all()
    row = out.iloc[0]
    assert row["area_m2"] == pytest.approx(10_000.0, rel=REL)
    assert row["area_mu"] == pytest.approx(15.0, rel=REL)
    assert row["area_ha"] == pytest.approx(1.0, rel=REL)
    assert row["area_km2"] == pytest.approx(0.01, rel=REL)


def test_4528_and_4549_give_the_same_area():
    plain = _square_4549()
    prefixed = _layer([shapely.box(40_500_000, 3_500_000, 40_500_100, 3_500_100)], 4528)
    assert metric_crs(prefixed).to_epsg() == 4528
    assert areas(prefixed)["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=REL)
    # off the central meridian too: the same plane, only the false easting differs
    a = areas(_square_4549(x0=560_000.0, size=250.0))["area_m2"].iloc[0]
    b = areas(_layer([shapely.box(40_560_000, 3_500_000, 40_560_250, 3_500_250)], 4528))
    assert a == pytest.approx(62_500.0, rel=REL)
    assert b["area_m2"].iloc[0] == pytest.approx(a, rel=REL)
    assert areas(plain)["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=REL)


def test_xian80_zone_data_is_kept_in_its_zone():
    xian = _layer([shapely.box(40_500_000, 3_500_000, 40_500_100, 3_500_100)], 2364)
    assert metric_crs(xian).to_epsg() == 2364
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no datum change, so no warning
        out = areas(xian)
    assert out["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=REL)


def test_xian80_geographic_data_warns_when_reprojected():
    xian = _square_4549().to_crs(4490).set_crs(4610, allow_override=True)
    with pytest.warns(UserWarning, match="7-parameter"):
        out = areas(xian)
    assert out["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=1e-4)


def test_square_reprojected_to_4490_keeps_its_area():
    square = _square_4549()
    lonlat = square.to_crs(4490)
    assert metric_crs(lonlat).to_epsg() == 4549
    m2 = areas(lonlat)["area_m2"].iloc[0]
    assert m2 == pytest.approx(10_000.0, abs=1.0)  # 0.01 % = 1 m²
    geodesic = geodesic_area(lonlat).iloc[0]
    assert geodesic == pytest.approx(10_000.0, rel=1e-4)
    assert geodesic == pytest.approx(_true_area(lonlat.geometry.iloc[0]), rel=1e-9)
    assert geodesic_area(square).iloc[0] == pytest.approx(geodesic, rel=1e-9)
    check = area_check(lonlat)
    assert bool(check["ok"].iloc[0]) and abs(check["rel_diff"].iloc[0]) < 1e-5


def test_square_far_from_china_uses_laea_and_matches_geod():
    lonlat = _layer([shapely.box(10.0, 50.0, 10.01, 50.01)], 4326)
    assert metric_crs(lonlat).coordinate_operation.method_name == "Lambert Azimuthal Equal Area"
    m2 = areas(lonlat)["area_m2"].iloc[0]
    true = _true_area(lonlat.geometry.iloc[0], ellps="WGS84")
    assert m2 == pytest.approx(true, rel=1e-4)
    # hand check: 0.01° x 0.01° at 50°N is about 716 m x 1113 m
    assert m2 == pytest.approx(
        0.01 * 111_320 * math.cos(math.radians(50.005)) * 0.01 * 111_230, rel=3e-3
    )


def test_web_mercator_square_is_not_measured_in_web_mercator():
    merc = _layer([shapely.box(1_113_195, 6_446_276, 1_114_195, 6_447_276)], 3857)
    planar = merc.geometry.iloc[0].area  # 1 000 000 "m²" of Web Mercator
    assert planar == pytest.approx(1e6)
    lonlat = merc.to_crs(4326)
    true = _true_area(lonlat.geometry.iloc[0], ellps="WGS84")
    # Web Mercator's area scale on the ellipsoid is a²/(M N cos²φ) = W²/((1 - e²) cos²φ),
    # W = 1 - e² sin²φ: 2.4178 at 50°N (1/cos²φ = 2.4203 on a sphere)
    phi = math.radians(lonlat.geometry.iloc[0].centroid.y)
    e2 = 0.00669437999014
    w = 1 - e2 * math.sin(phi) ** 2
    assert planar / true == pytest.approx(w**2 / ((1 - e2) * math.cos(phi) ** 2), rel=1e-5)
    assert planar / true == pytest.approx(2.42, abs=0.01)
    m2 = areas(merc)["area_m2"].iloc[0]
    assert m2 == pytest.approx(true, rel=1e-4)
    assert m2 < planar / 2.4


def test_web_mercator_in_china_uses_the_gk_zone():
    merc = _square_4549().to_crs(3857)
    assert merc.geometry.iloc[0].area > 1.15 * 10_000  # Web Mercator inflates by 1/cos²(31.6°)
    assert areas(merc)["area_m2"].iloc[0] == pytest.approx(10_000.0, abs=1.0)


def test_user_crs_and_units():
    lonlat = _square_4549().to_crs(4490)
    assert areas(lonlat, crs=4549)["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=1e-7)
    # a CRS in US survey feet: areas still come out in m²
    feet = "+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=us-ft"
    assert areas(lonlat, crs=feet)["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=1e-7)
    with pytest.raises(CRSError, match="is not a projected"):
        areas(lonlat, crs=4326)
    with pytest.raises(CRSError, match="unknown CRS"):
        areas(lonlat, crs="EPSG:999999")


def test_null_empty_index_and_input_unchanged():
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c", "d"]},
        geometry=[
            shapely.box(500_000, 3_500_000, 500_020, 3_500_050),
            None,
            shapely.Polygon(),
            shapely.Point(500_000, 3_500_000),
        ],
        index=pd.Index([7, 3, 3, 9], name="fid"),
        crs=4549,
    )
    before = gdf.copy()
    out = areas(gdf)
    assert out.index.equals(gdf.index)
    np.testing.assert_array_equal(out["area_m2"].to_numpy(), [1000.0, np.nan, np.nan, 0.0])
    assert out["area_mu"].iloc[0] == pytest.approx(1.5, rel=REL)
    pd.testing.assert_frame_equal(gdf, before)
    geo = geodesic_area(gdf)
    assert geo.name == "geodesic_m2" and geo.index.equals(gdf.index)
    assert np.isnan(geo.iloc[1]) and np.isnan(geo.iloc[2]) and geo.iloc[3] == 0.0
    pd.testing.assert_frame_equal(gdf, before)
    # all missing: no CRS to choose, NaN everywhere
    none = gpd.GeoDataFrame(geometry=[None, None], crs=4490)
    assert areas(none)["area_m2"].isna().all()


def test_errors():
    with pytest.raises(CRSError, match="has no CRS"):
        areas(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))
    with pytest.raises(CRSError, match="has no CRS"):
        geodesic_area(gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))
    with pytest.raises(DataError, match="needs a GeoDataFrame or GeoSeries, not DataFrame"):
        areas(pd.DataFrame({"a": [1]}))
    with pytest.raises(DataError, match="tolerance must be a positive number"):
        area_check(_square_4549(), tolerance=0)
    with pytest.raises(DataError, match="column 'town' not found"):
        area_table(_square_4549(), by="town")


def test_geodesic_area_handles_holes_multipolygons_and_orientation():
    # in EPSG:4549 near the central meridian, where plane and ellipsoid agree to ~1e-9
    x0, y0 = 500_000.0, 3_500_000.0
    shell = [(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 1000), (x0, y0 + 1000)]
    hole_ccw = [
        (x0 + 100, y0 + 100),
        (x0 + 300, y0 + 100),
        (x0 + 300, y0 + 300),
        (x0 + 100, y0 + 300),
    ]
    hole_cw = hole_ccw[::-1]
    geoms = [
        shapely.Polygon(shell, [hole_cw]),  # correctly oriented
        shapely.Polygon(shell[::-1], [hole_ccw]),  # both rings the "wrong" way round
        shapely.MultiPolygon(
            [shapely.box(x0, y0, x0 + 10, y0 + 10), shapely.box(x0 + 20, y0, x0 + 40, y0 + 10)]
        ),
        shapely.GeometryCollection([shapely.box(x0, y0, x0 + 10, y0 + 10), shapely.Point(x0, y0)]),
        shapely.LineString([(x0, y0), (x0 + 10, y0)]),
    ]
    gdf = _layer(geoms, 4549)
    geo = geodesic_area(gdf).to_numpy()
    expected = [1_000_000 - 40_000, 1_000_000 - 40_000, 100 + 200, 100, 0.0]
    np.testing.assert_allclose(geo, expected, rtol=1e-7)
    np.testing.assert_allclose(areas(gdf)["area_m2"], expected, rtol=1e-12)


def test_area_check_reports_gk_scale_honestly():
    # 140 km east of the central meridian (the edge of a 3-degree zone at 31.6°N) the GK
    # plane enlarges areas by k² - 1 ≈ x²/R² = (140/6371)² ≈ 4.8e-4
    edge = _square_4549(x0=640_000.0, size=100.0)
    check = area_check(edge)
    assert list(check.columns) == ["area_m2", "geodesic_m2", "rel_diff", "ok"]
    assert check["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=REL)  # the cadastral area
    x_over_r = 140_050.0 / 6_371_000.0
    assert check["rel_diff"].iloc[0] == pytest.approx(x_over_r**2, rel=0.02)
    assert not check["ok"].iloc[0]
    assert bool(area_check(edge, tolerance=1e-3)["ok"].iloc[0])
    # on the central meridian the two agree to far better than 0.01 %
    centre = area_check(_square_4549())
    assert abs(centre["rel_diff"].iloc[0]) < 1e-8 and bool(centre["ok"].iloc[0])
    # a point has no area: rel_diff NaN, not ok
    point = area_check(_layer([shapely.Point(500_000, 3_500_000)], 4549))
    assert np.isnan(point["rel_diff"].iloc[0]) and not point["ok"].iloc[0]


def test_area_table():
    x0, y0 = 500_000.0, 3_500_000.0
    gdf = _layer(
        [
            shapely.box(x0, y0, x0 + 100, y0 + 100),  # 1 ha
            shapely.box(x0, y0, x0 + 200, y0 + 100),  # 2 ha
            shapely.box(x0, y0, x0 + 1000, y0 + 1000),  # 1 km²
            None,
            shapely.box(x0, y0, x0 + 100, y0 + 100),  # 1 ha, town unknown
        ],
        4549,
        town=["东港镇", "东港镇", "锡北镇", "锡北镇", None],
    )
    before = gdf.copy()
    table = area_table(gdf, by="town")
    assert table.index.name == "town"
    assert list(table.columns) == [*AREA_COLUMNS, "count"]
    assert table.loc["东港镇", "area_m2"] == pytest.approx(30_000.0, rel=REL)
    assert table.loc["东港镇", "area_mu"] == pytest.approx(45.0, rel=REL)
    assert table.loc["东港镇", "count"] == 2
    assert table.loc["锡北镇", "area_km2"] == pytest.approx(1.0, rel=REL)
    assert table.loc["锡北镇", "area_mu"] == pytest.approx(1500.0, rel=REL)
    assert table.loc["锡北镇", "count"] == 2  # the null geometry counts as a feature
    missing = table[table.index.isna()]
    assert len(missing) == 1 and missing["area_ha"].iloc[0] == pytest.approx(1.0, rel=REL)
    total = area_table(gdf)
    assert list(total.index) == ["total"]
    assert total.loc["total", "area_m2"] == pytest.approx(1_040_000.0, rel=REL)
    assert total.loc["total", "area_mu"] == pytest.approx(1560.0, rel=REL)
    assert total.loc["total", "count"] == 5
    pd.testing.assert_frame_equal(gdf, before)


def test_geodesic_area_is_on_cgcs2000():
    assert CRS.from_epsg(4490).get_geod().a == 6378137.0
    big = _layer([shapely.box(119.0, 31.0, 121.0, 32.0)], 4490)
    assert geodesic_area(big).iloc[0] == pytest.approx(_true_area(big.geometry.iloc[0]), rel=1e-9)


def test_geographic_data_near_a_zone_edge_still_within_001_percent():
    """121.4°E is 1.4° from CM 120°E: the zone plane would be 4e-4 too large; LAEA is used."""
    from pyproj import Geod

    lon0, lat0 = 121.4, 31.2
    d = 0.001
    square = shapely.box(lon0, lat0, lon0 + d, lat0 + d)
    gdf = gpd.GeoDataFrame(geometry=[square], crs="EPSG:4490")
    geod_area = abs(Geod(ellps="GRS80").geometry_area_perimeter(square)[0])
    got = areas(gdf)["area_m2"].iloc[0]
    assert abs(got / geod_area - 1) < 1e-5
    assert "equal-area" in metric_crs(gdf).name
