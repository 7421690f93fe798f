"""Tests of xsland.read.crs: GCJ-02 / BD-09 offsets, CRS facts, the metric CRS for areas."""

from __future__ import annotations

import dataclasses
import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS

from xsland.errors import CRSError, DataError
from xsland.read.crs import (
    CHINA_BBOX,
    CRSInfo,
    bd09_to_gcj02,
    bd09_to_wgs84,
    classify_crs,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    get_crs,
    gk3_zone_epsg,
    in_china_bbox,
    metric_crs,
    require_crs,
    to_crs,
    transform_geometries,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# ---------------------------------------------------------------------------
# Independent scalar re-implementations (pure math, arranged differently from
# xsland.read.crs: coefficients pre-multiplied by 2/3, offsets divided by metres per degree).
# ---------------------------------------------------------------------------


def _ref_wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0

    def s(t: float) -> float:
        return math.sin(math.pi * t)

    shared = 40.0 / 3.0 * (s(6.0 * x) + s(2.0 * x))
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y**2 + 0.1 * x * y + 0.2 * abs(x) ** 0.5
    t_lat += shared + 40.0 / 3.0 * s(y) + 80.0 / 3.0 * s(y / 3.0)
    t_lat += 320.0 / 3.0 * s(y / 12.0) + 640.0 / 3.0 * s(y / 30.0)
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x**2 + 0.1 * x * y + 0.1 * abs(x) ** 0.5
    t_lon += shared + 40.0 / 3.0 * s(x) + 80.0 / 3.0 * s(x / 3.0)
    t_lon += 100.0 * s(x / 12.0) + 200.0 * s(x / 30.0)
    phi = math.radians(lat)
    w = 1.0 - ee * math.sin(phi) ** 2
    metres_per_deg_lat = math.radians(1.0) * a * (1.0 - ee) / w**1.5
    metres_per_deg_lon = math.radians(1.0) * a / math.sqrt(w) * math.cos(phi)
    return lon + t_lon / metres_per_deg_lon, lat + t_lat / metres_per_deg_lat


def _ref_gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    k = math.pi * 3000.0 / 180.0
    r = math.hypot(lon, lat) + 2e-5 * math.sin(lat * k)
    angle = math.atan2(lat, lon) + 3e-6 * math.cos(lon * k)
    return 0.0065 + r * math.cos(angle), 0.006 + r * math.sin(angle)


def _china_grid(step: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Points over China, 73.5E-135E x 18N-53.5N, including the lon = 105 kink."""
    lon, lat = np.meshgrid(np.arange(73.5, 135.0 + 1e-9, step), np.arange(18.0, 53.5, step))
    return lon, lat


# ---------------------------------------------------------------------------
# Published reference values
# ---------------------------------------------------------------------------

# googollee/eviltransform, python/test.py (commit 3416646a), TESTS:
# (wgsLat, wgsLng, gcjLat, gcjLng), printed with full double precision. The project's own
# test only asserts 6 decimals (its current source uses a = 6378137), but these numbers
# were produced with the standard Krasovsky a = 6378245 and we reproduce them to 1e-9°.
EVILTRANSFORM_TESTS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_TESTS)
def test_wgs84_to_gcj02_reproduces_eviltransform(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


def test_gcoord_published_values():
    # hujiulong/gcoord, test/unit/crs/WGS84.spec.ts (commit 42ea29df): WGS84 [123, 45] ->
    # GCJ02 [123.00607541, 45.00197815], printed to 8 decimals (truncated), so 1e-8.
    lon, lat = wgs84_to_gcj02(123.0, 45.0)
    assert lon == pytest.approx(123.00607541, abs=1e-8)
    assert lat == pytest.approx(45.00197815, abs=1e-8)
    # test/unit/crs/GCJ02.spec.ts: GCJ02 [123, 45] -> BD09 [123.00636499, 45.00636899]
    # (closed-form forward formula, 8 decimals).
    lon, lat = gcj02_to_bd09(123.0, 45.0)
    assert lon == pytest.approx(123.00636499, abs=1e-8)
    assert lat == pytest.approx(45.00636899, abs=1e-8)
    # GCJ02 [123, 45] -> WGS84 [122.99395597, 44.99804071]: gcoord stops iterating once
    # the residual is below 1e-6°, so its value is only good to ~1e-6°.
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert lon == pytest.approx(122.99395597, abs=1e-6)
    assert lat == pytest.approx(44.99804071, abs=1e-6)
    ours = np.hypot(*np.subtract(wgs84_to_gcj02(lon, lat), (123.0, 45.0)))
    theirs = np.hypot(*np.subtract(wgs84_to_gcj02(122.99395597, 44.99804071), (123.0, 45.0)))
    assert ours < 1e-9 < theirs
    # test/unit/crs/BD09.spec.ts: BD09 [123, 45] -> GCJ02 [122.99363304, 44.99365430] by
    # the one-step closed-form inverse, which is off by ~1e-6°; ours iterates past it.
    lon, lat = bd09_to_gcj02(123.0, 45.0)
    assert lon == pytest.approx(122.99363304, abs=1e-6)
    assert lat == pytest.approx(44.99365430, abs=1e-6)
    ours = np.hypot(*np.subtract(gcj02_to_bd09(lon, lat), (123.0, 45.0)))
    theirs = np.hypot(*np.subtract(gcj02_to_bd09(122.99363304, 44.99365430), (123.0, 45.0)))
    assert ours < 1e-9 < theirs


# ---------------------------------------------------------------------------
# GCJ-02 / BD-09 behaviour
# ---------------------------------------------------------------------------


def test_forward_matches_independent_scalar_implementation():
    rng = np.random.default_rng(20250101)
    lon = rng.uniform(73.5, 135.0, 300)
    lat = rng.uniform(18.0, 53.5, 300)
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_bd09(lon, lat)
    for i in range(lon.size):
        ref = _ref_wgs_to_gcj(lon[i], lat[i])
        assert glon[i] == pytest.approx(ref[0], abs=1e-9)
        assert glat[i] == pytest.approx(ref[1], abs=1e-9)
        ref = _ref_gcj_to_bd(lon[i], lat[i])
        assert blon[i] == pytest.approx(ref[0], abs=1e-9)
        assert blat[i] == pytest.approx(ref[1], abs=1e-9)


def test_offset_is_hundreds_of_metres_in_wuxi():
    lon, lat = wgs84_to_gcj02(120.3, 31.57)
    metres = math.hypot(
        (lon - 120.3) * 111_320 * math.cos(math.radians(31.57)), (lat - 31.57) * 110_900
    )
    assert 100 < metres < 1000


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
        (wgs84_to_bd09, bd09_to_wgs84),
    ],
)
def test_round_trips_within_1cm_over_china(forward, inverse):
    lon, lat = _china_grid()
    assert np.any(lon == 105.0)  # the sqrt(|lon - 105|) kink is on the grid
    for first, second in ((forward, inverse), (inverse, forward)):
        back_lon, back_lat = second(*first(lon, lat))
        # 1e-7 degrees is about 1 cm; the iteration actually reaches ~1e-11.
        assert np.max(np.abs(back_lon - lon)) < 1e-7
        assert np.max(np.abs(back_lat - lat)) < 1e-7


def test_points_outside_china_pass_through():
    lon = np.array([10.0, -74.0, 140.0, 100.0, 72.0])
    lat = np.array([50.0, 40.7, 35.0, 60.0, 30.0])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
        assert out_lon is not lon
    assert not np.any(in_china_bbox(lon, lat))
    # BD-09 offsets everywhere, and inverts everywhere.
    b = wgs84_to_bd09(lon, lat)
    assert np.all(np.abs(b[0] - lon) > 1e-4)
    back = bd09_to_wgs84(*b)
    np.testing.assert_allclose(back[0], lon, atol=1e-9)
    np.testing.assert_allclose(back[1], lat, atol=1e-9)


def test_china_bbox_edges_are_inclusive():
    west, south, east, north = CHINA_BBOX
    assert in_china_bbox(west, south) is True
    assert in_china_bbox(east, north) is True
    assert in_china_bbox(west - 1e-9, 30.0) is False
    assert in_china_bbox(float("nan"), 30.0) is False


def test_scalars_give_floats_and_arrays_keep_shape():
    for func in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
        wgs84_to_bd09,
        bd09_to_wgs84,
    ):
        lon, lat = func(120.3, 31.5)
        assert type(lon) is float and type(lat) is float
        lon, lat = func(np.float64(120.3), 31)
        assert type(lon) is float
        grid = np.full((2, 3), 120.3)
        lon, lat = func(grid, 31.5)  # broadcast
        assert lon.shape == lat.shape == (2, 3)
        lon, lat = func([120.3, 121.0], [31.5, 31.6])
        assert isinstance(lon, np.ndarray) and lon.shape == (2,)


def test_inputs_are_not_modified_and_nan_passes():
    lon = np.array([120.3, np.nan, 121.0])
    lat = np.array([31.5, 31.5, np.nan])
    before = (lon.copy(), lat.copy())
    for func in (gcj02_to_wgs84, bd09_to_gcj02, wgs84_to_gcj02):
        out_lon, out_lat = func(lon, lat)
        assert np.isnan(out_lon[1]) and np.isnan(out_lat[2])
        assert np.isfinite(out_lon[0]) and np.isfinite(out_lat[0])
    np.testing.assert_array_equal(lon, before[0])
    np.testing.assert_array_equal(lat, before[1])


# ---------------------------------------------------------------------------
# transform_geometries
# ---------------------------------------------------------------------------


def _park_layer(crs=4490):
    return gpd.GeoDataFrame(
        {"park_id": ["P1", "P2", "P3"]},
        geometry=[
            shapely.box(120.30, 31.50, 120.31, 31.51),
            shapely.MultiPolygon([shapely.box(120.4, 31.6, 120.41, 31.61)]),
            None,
        ],
        index=[10, 20, 30],
        crs=crs,
    )


def test_transform_geometries_geodataframe():
    gdf = _park_layer()
    before = gdf.copy()
    out = transform_geometries(gdf, wgs84_to_gcj02)
    assert out is not gdf
    assert out.crs == gdf.crs
    assert list(out.index) == [10, 20, 30]
    assert list(out["park_id"]) == ["P1", "P2", "P3"]
    assert out.geometry.iloc[2] is None
    # input unchanged
    assert gdf.geometry.geom_equals_exact(before.geometry, tolerance=0).iloc[:2].all()
    # every vertex moved exactly as the point function moves it
    xy = shapely.get_coordinates(gdf.geometry.array)
    new_xy = shapely.get_coordinates(out.geometry.array)
    exp_lon, exp_lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    np.testing.assert_array_equal(new_xy[:, 0], exp_lon)
    np.testing.assert_array_equal(new_xy[:, 1], exp_lat)
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    back = transform_geometries(out, gcj02_to_wgs84)
    np.testing.assert_allclose(shapely.get_coordinates(back.geometry.array), xy, atol=1e-9)


def test_transform_geometries_series_arrays_and_single_geometry():
    gs = _park_layer(crs="EPSG:4326").geometry
    out = transform_geometries(gs, wgs84_to_bd09)
    assert isinstance(out, gpd.GeoSeries) and out.crs == gs.crs and out.name == gs.name
    arr = transform_geometries([shapely.Point(120.3, 31.5), shapely.Point(10, 50)], wgs84_to_gcj02)
    assert isinstance(arr, np.ndarray)
    assert arr[0].x == pytest.approx(wgs84_to_gcj02(120.3, 31.5)[0], abs=0)
    assert arr[1].equals(shapely.Point(10, 50))
    one = transform_geometries(shapely.Point(120.3, 31.5, 7.0), wgs84_to_gcj02)
    assert one.has_z and one.z == 7.0


def test_transform_geometries_rejects_projected_or_missing_crs():
    with pytest.raises(CRSError, match="longitude/latitude in WGS84 or CGCS2000"):
        transform_geometries(_park_layer().to_crs(4549), wgs84_to_gcj02)
    with pytest.raises(CRSError, match="longitude/latitude in WGS84 or CGCS2000"):
        transform_geometries(_park_layer().to_crs(4610), wgs84_to_gcj02)  # Xian 1980
    with pytest.raises(CRSError, match="has no CRS"):
        transform_geometries(_park_layer(crs=None), wgs84_to_gcj02)


# ---------------------------------------------------------------------------
# get_crs, require_crs, gk3_zone_epsg, classify_crs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [4549, "4549", "EPSG:4549", CRS.from_epsg(4549)])
def test_get_crs(value):
    assert get_crs(value).to_epsg() == 4549


def test_get_crs_errors():
    with pytest.raises(CRSError, match="unknown CRS 'EPSG:999999'"):
        get_crs("EPSG:999999")
    with pytest.raises(CRSError, match="unknown CRS"):
        get_crs("not a crs")
    with pytest.raises(CRSError, match="not a CRS: True"):
        get_crs(True)
    with pytest.raises(CRSError, match=r"has no CRS.*--crs"):
        get_crs(None)
    with pytest.raises(CRSError, match=r"set_crs"):
        require_crs(gpd.GeoSeries([shapely.Point(0, 0)]))


@pytest.mark.parametrize(
    ("lon", "plain", "prefixed"),
    [
        (120.0, 4549, 4528),
        (120.3, 4549, 4528),  # Wuxi
        (118.5, 4549, 4528),  # zone 40 is [118.5, 121.5)
        (121.5, 4550, 4529),
        (75.0, 4534, 4513),
        (73.5, 4534, 4513),
        (135.0, 4554, 4533),
        (136.5, 4554, 4533),
    ],
)
def test_gk3_zone_epsg(lon, plain, prefixed):
    assert gk3_zone_epsg(lon) == plain
    assert gk3_zone_epsg(lon, prefix=True) == prefixed


def test_gk3_zone_epsg_codes_are_what_pyproj_says():
    for zone in range(25, 46):
        cm = 3 * zone
        plain = CRS.from_epsg(gk3_zone_epsg(cm))
        prefixed = CRS.from_epsg(gk3_zone_epsg(cm, prefix=True))
        assert plain.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"
        assert prefixed.name == f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}"
        params = {p.code: p.value for p in prefixed.coordinate_operation.params}
        assert params["8802"] == cm and params["8806"] == zone * 1e6 + 500_000


@pytest.mark.parametrize("lon", [73.4, 136.6, 10.0, float("nan")])
def test_gk3_zone_epsg_outside_china(lon):
    with pytest.raises(CRSError, match="outside 73.5E-136.5E"):
        gk3_zone_epsg(lon)


def test_classify_geographic_and_web_mercator():
    info = classify_crs(4490)
    assert isinstance(info, CRSInfo)
    assert (info.is_geographic, info.datum, info.is_transverse_mercator) == (
        True,
        "cgcs2000",
        False,
    )
    info = classify_crs("EPSG:4326")
    assert (info.is_geographic, info.datum) == (True, "wgs84")
    info = classify_crs(3857)
    assert (info.is_projected, info.is_web_mercator, info.is_transverse_mercator) == (
        True,
        True,
        False,
    )
    assert info.datum == "wgs84"
    assert classify_crs(4610).datum == "xian1980"
    assert classify_crs(4214).datum == "beijing1954"
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.datum = "other"  # type: ignore[misc]


def test_classify_cgcs2000_zones():
    info = classify_crs(4549)
    assert info.epsg == 4549 and info.datum == "cgcs2000" and info.is_transverse_mercator
    assert (info.central_meridian, info.false_easting, info.zone, info.zone_width) == (
        120.0,
        500_000.0,
        None,
        3,
    )
    assert not info.has_zone_prefix
    info = classify_crs(4528)
    assert (info.central_meridian, info.false_easting, info.zone, info.zone_width) == (
        120.0,
        40_500_000.0,
        40,
        3,
    )
    assert info.has_zone_prefix and info.scale_factor == 1.0


@pytest.mark.parametrize(
    ("first", "last", "datum"), [(2349, 2390, "xian1980"), (2401, 2442, "beijing1954")]
)
def test_classify_xian80_and_beijing54_zones(first, last, datum):
    # EPSG numbers the 21 prefixed 3-degree zones (25..45) first, then the 21 "CM" ones.
    for code in range(first, last + 1):
        info = classify_crs(code)
        k = (code - first) % 21
        assert info.datum == datum, code
        assert info.is_transverse_mercator and info.zone_width == 3, code
        assert info.central_meridian == 75 + 3 * k, code
        if code - first < 21:
            assert info.zone == 25 + k and info.false_easting == (25 + k) * 1e6 + 5e5, code
        else:
            assert info.zone is None and info.false_easting == 500_000.0, code


def test_classify_without_epsg_code():
    gk = "+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m"
    info = classify_crs(gk)
    assert info.epsg is None and info.is_transverse_mercator
    assert (info.zone, info.zone_width, info.central_meridian) == (40, 3, 120.0)
    assert info.datum == "other"  # GRS80 alone is not the CGCS2000 datum
    # 6-degree zones, inferred from the prefix or the area of use
    assert classify_crs(2327).zone_width == 6  # Xian 1980 / Gauss-Kruger zone 13
    assert classify_crs(32650).zone_width == 6 and classify_crs(32650).scale_factor == 0.9996
    # a datum-less Krasovsky definition with towgs84 is Beijing 1954, not WGS84
    assert classify_crs("+proj=longlat +ellps=krass +towgs84=15.8,-154.4,-82.3").datum == (
        "beijing1954"
    )
    assert classify_crs("+proj=longlat +ellps=IAU76").datum == "other"


# ---------------------------------------------------------------------------
# metric_crs and to_crs
# ---------------------------------------------------------------------------


def _square(x0, y0, size, crs):
    return gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.box(x0, y0, x0 + size, y0 + size)], crs=crs
    )


def test_metric_crs_keeps_gauss_kruger_zone():
    assert metric_crs(_square(500_000, 3_500_000, 100, 4549)) == CRS.from_epsg(4549)
    assert metric_crs(_square(40_500_000, 3_500_000, 100, 4528)) == CRS.from_epsg(4528)
    xian = _square(40_500_000, 3_500_000, 100, 2364)  # Xian 1980 zone 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metric_crs(xian) == CRS.from_epsg(2364)


def test_metric_crs_reprojects_other_crs_in_china():
    wuxi = _square(500_000, 3_500_000, 100, 4549)
    assert metric_crs(wuxi.to_crs(4490)).to_epsg() == 4549
    assert metric_crs(wuxi.to_crs(4326)).to_epsg() == 4549
    assert metric_crs(wuxi.to_crs(3857)).to_epsg() == 4549  # Web Mercator never kept
    assert metric_crs((120.2, 31.4, 120.5, 31.7), crs=4490).to_epsg() == 4549
    assert metric_crs((116.7, 39.9, 116.9, 40.0), crs=4490).to_epsg() == 4548  # CM 117E
    # 0.7° from CM 117E: the zone plane would be off by > 1e-4, so equal-area instead
    assert "equal-area" in metric_crs((116.3, 39.9, 116.5, 40.0), crs=4490).name
    # data in EPSG:4549 but far outside its zone (123E): the zone of its own longitude
    far = _square(500_000, 3_500_000, 100, 4549).to_crs(4490).translate(3.0, 0.0)
    assert metric_crs(far.to_crs(4549)).to_epsg() == 4550


def test_metric_crs_outside_china_is_laea():
    crs = metric_crs((10.0, 50.0, 10.01, 50.01), crs=4326)
    assert crs.coordinate_operation.method_name == "Lambert Azimuthal Equal Area"
    params = {p.code: p.value for p in crs.coordinate_operation.params}
    assert params["8801"] == pytest.approx(50.005) and params["8802"] == pytest.approx(10.005)
    assert crs.ellipsoid.name == "WGS 84"
    # the same from a Web Mercator layer
    merc = gpd.GeoSeries([shapely.box(10, 50, 10.01, 50.01)], crs=4326).to_crs(3857)
    assert metric_crs(merc).coordinate_operation.method_name == "Lambert Azimuthal Equal Area"


def test_metric_crs_errors():
    with pytest.raises(CRSError, match="has no CRS"):
        metric_crs(_square(0, 0, 1, None))
    with pytest.raises(CRSError, match="has no CRS"):
        metric_crs((120.0, 31.0, 121.0, 32.0))
    with pytest.raises(CRSError, match="contradicts the data's own CRS"):
        metric_crs(_square(500_000, 3_500_000, 100, 4549), crs=4490)
    with pytest.raises(DataError, match=r"bounds must be \(minx, miny, maxx, maxy\)"):
        metric_crs((1.0, 2.0, 3.0), crs=4490)
    with pytest.raises(DataError, match="needs a GeoDataFrame, a GeoSeries or bounds"):
        metric_crs(object(), crs=4490)
    empty = gpd.GeoSeries([None, shapely.Polygon()], crs=4490)
    with pytest.raises(DataError, match="no coordinates"):
        metric_crs(empty)
    # an empty layer in a Gauss-Kruger zone keeps the zone
    assert metric_crs(gpd.GeoSeries([None], crs=4549)).to_epsg() == 4549


def test_to_crs_warns_on_xian80_datum_change():
    xian = _square(40_500_000, 3_500_000, 100, 2364)
    before = xian.copy()
    with pytest.warns(UserWarning, match="without a local 7-parameter transformation"):
        out = to_crs(xian, 4549)
    assert out.crs.to_epsg() == 4549 and out is not xian
    assert xian.geometry.geom_equals_exact(before.geometry, tolerance=0).all()
    beijing = _square(40_500_000, 3_500_000, 100, 2419)  # Beijing 1954 / 3-degree GK zone 43
    with pytest.warns(UserWarning, match="beijing1954"):
        to_crs(beijing, 4326)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_crs(_square(500_000, 3_500_000, 100, 4549), 4326)  # CGCS2000 -> WGS84: quiet
        to_crs(xian, 2385)  # Xian 1980 zone 40 -> Xian 1980 CM 120E: same datum
    with pytest.raises(CRSError, match="has no CRS"):
        to_crs(_square(0, 0, 1, None), 4549)


def test_metric_crs_refuses_an_extent_impossible_for_the_crs():
    # one zone-prefixed parcel in an EPSG:4549 layer: not "no coordinates", but named
    x, y = 535_000.0, 3_496_000.0
    good = shapely.box(x, y, x + 1, y + 1)
    layer = gpd.GeoSeries([good, shapely.box(40e6 + x, y, 40e6 + x + 1, y + 1)], crs=4549)
    with pytest.raises(CRSError, match=r"far outside the area of use of its CRS") as info:
        metric_crs(layer)
    assert "no coordinates" not in str(info.value)
    assert metric_crs(layer.iloc[:1]).to_epsg() == 4549
