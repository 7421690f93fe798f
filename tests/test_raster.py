"""Zonal statistics, land-cover helpers and raster outputs (xsland.measure.raster).

The hand-made cases use a 3 x 3 raster of 10 m cells in EPSG:4549 whose lower-left
corner is (X0, Y0); "local" coordinates below are metres from that corner. Cell
(row r, col c) spans x in [10c, 10c + 10] and y in [30 - 10(r+1), 30 - 10r]; its centre
is (10c + 5, 25 - 10r). Land cover (ESA WorldCover codes, 0 = nodata):

    row 0 (y 20..30):  50  50  60
    row 1 (y 10..20):  40  50  60
    row 2 (y  0..10):   0  80  60
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

from xsland.errors import CRSError, DataError, InputFileError, OutputExistsError, PolicyError
from xsland.measure.raster import (
    WORLDCOVER_CLASSES,
    coverage_fractions,
    declared_built_but_bare,
    landcover_shares,
    park_landcover,
    rasterize_column,
    zonal_stats,
)

X0, Y0 = 535_000.0, 3_496_000.0
CRS = "EPSG:4549"
LC = np.array([[50, 50, 60], [40, 50, 60], [0, 80, 60]], dtype=np.uint8)
# a continuous twin: the values 1..9 row by row, NaN where LC has nodata
VALUES = np.array([[1, 2, 3], [4, 5, 6], [np.nan, 8, 9]], dtype=np.float32)


def write_raster(path, array, *, crs=CRS, transform=None, nodata=0, **extra):
    transform = transform or Affine(10.0, 0.0, X0, 0.0, -10.0, Y0 + 30.0)
    profile = dict(
        driver="GTiff",
        width=array.shape[1],
        height=array.shape[0],
        count=1,
        dtype=array.dtype,
        transform=transform,
        nodata=nodata,
        **extra,
    )
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


def local_box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def lc_tif(tmp_path):
    return write_raster(tmp_path / "lc.tif", LC)


@pytest.fixture
def values_tif(tmp_path):
    return write_raster(tmp_path / "values.tif", VALUES, nodata=float("nan"))


@pytest.fixture
def hand_parcels():
    """A: 22 x 12 m box over six cells; B: over the nodata cell and an 80 cell;
    C: 3 x 3 m, inside cell (2, 2), no cell centre; D: only over nodata; E: outside;
    F: the whole raster minus the centre cell (a hole), overlapping A."""
    whole = local_box(0, 0, 30, 30)
    return gpd.GeoDataFrame(
        {"parcel_id": list("ABCDEF")},
        geometry=[
            local_box(4, 14, 26, 26),
            local_box(2, 2, 18, 8),
            local_box(21, 1, 24, 4),
            local_box(1, 1, 9, 9),
            local_box(100, 100, 120, 120),
            shapely.difference(whole, local_box(10, 10, 20, 20)),
        ],
        crs=CRS,
        index=pd.Index(["a", "b", "c", "d", "e", "f"], name="key"),
    )


# ---------------------------------------------------------------------------
# hand-made cases
# ---------------------------------------------------------------------------


def test_exact_categorical_by_hand(hand_parcels, lc_tif):
    z = zonal_stats(hand_parcels, lc_tif, method="exact")
    assert list(z.columns) == ["frac_40", "frac_50", "frac_60", "frac_80"]
    assert list(z.index) == list(hand_parcels.index)
    expected = pd.DataFrame(
        {
            # A = x 4..26, y 14..26. Rows: y 20..26 (6 m, row 0) and 14..20 (6 m, row 1);
            # cols: x 4..10 (6 m), 10..20 (10 m), 20..26 (6 m). Areas (m2):
            #   row 0: 36 (50), 60 (50), 36 (60);  row 1: 36 (40), 60 (50), 36 (60)
            # total 264: 50 -> 36+60+60 = 156, 60 -> 72, 40 -> 36.
            "a": [36 / 264, 156 / 264, 72 / 264, 0.0],
            # B = x 2..18, y 2..8 in row 2: 8 x 6 = 48 m2 over nodata (not counted) and
            # 8 x 6 = 48 m2 over 80: the covered area is all class 80.
            "b": [0.0, 0.0, 0.0, 1.0],
            # C = 3 x 3 m inside cell (2, 2) (class 60): 9 m2, all of it class 60.
            "c": [0.0, 0.0, 1.0, 0.0],
            # D: only over the nodata cell; E: outside the raster -> NaN
            "d": [np.nan] * 4,
            "e": [np.nan] * 4,
            # F = the 9 cells minus the hole (cell 1,1) minus nodata (cell 2,0): 7 cells
            # 50: cells (0,0) (0,1) -> 2/7; 60: (0,2) (1,2) (2,2) -> 3/7; 40: 1/7; 80: 1/7
            "f": [1 / 7, 2 / 7, 3 / 7, 1 / 7],
        },
        index=z.columns,
    ).T
    pd.testing.assert_frame_equal(z, expected, check_names=False, atol=1e-12, rtol=0)


def test_center_categorical_by_hand(hand_parcels, lc_tif):
    z = zonal_stats(hand_parcels, lc_tif, method="center")
    # A holds the centres x in {5, 15, 25}, y in {15, 25}: six cells,
    #   row 0: 50 50 60, row 1: 40 50 60 -> 40: 1/6, 50: 3/6, 60: 2/6.
    np.testing.assert_allclose(z.loc["a"], [1 / 6, 3 / 6, 2 / 6, 0.0], atol=1e-12)
    # B holds the centres (5, 5) (nodata) and (15, 5) (80) -> 80: 1.0
    np.testing.assert_allclose(z.loc["b"], [0, 0, 0, 1.0])
    # C (3 x 3 m, x 21..24, y 1..4) holds no cell centre: NaN under "center"
    # (it gets 1.0 of class 60 under "exact", see above).
    assert z.loc["c"].isna().all()
    assert z.loc["d"].isna().all() and z.loc["e"].isna().all()
    # F: the hole's edges (10, 20) pass no centre, so the same 7 cells as exact;
    # F overlaps A, which the single-pass label raster could not hold: both are right.
    np.testing.assert_allclose(z.loc["f"], [1 / 7, 2 / 7, 3 / 7, 1 / 7], atol=1e-12)


def test_continuous_by_hand(hand_parcels, values_tif):
    ex = zonal_stats(hand_parcels, values_tif, categorical=False, method="exact")
    assert list(ex.columns) == ["mean", "sum", "min", "max", "count"]
    # A: coverage fractions 0.36 (6x6), 0.60 (10x6), 0.36 per row over values 1..6:
    #   count = 4 * 0.36 + 2 * 0.60 = 2.64
    #   sum = 0.36*1 + 0.6*2 + 0.36*3 + 0.36*4 + 0.6*5 + 0.36*6 = 9.24; mean = 3.5
    np.testing.assert_allclose(ex.loc["a"], [3.5, 9.24, 1, 6, 2.64], rtol=1e-12)
    # B: 0.48 of the NaN cell (ignored) and 0.48 of the 8 cell: count 0.48, sum 3.84
    np.testing.assert_allclose(ex.loc["b"], [8, 3.84, 8, 8, 0.48], rtol=1e-12)
    # C: 0.09 of the 9 cell: count 0.09, sum 0.81, mean 9
    np.testing.assert_allclose(ex.loc["c"], [9, 0.81, 9, 9, 0.09], rtol=1e-12)
    # D (over nodata) and E (outside): NaN, count 0
    for k in "de":
        assert ex.loc[k, ["mean", "sum", "min", "max"]].isna().all()
        assert ex.loc[k, "count"] == 0
    ce = zonal_stats(hand_parcels, values_tif, categorical=False, method="center")
    # A: the six cells 1..6 -> count 6, sum 21, mean 3.5
    np.testing.assert_allclose(ce.loc["a"], [3.5, 21, 1, 6, 6])
    # C: no centre -> NaN, count 0
    assert ce.loc["c", "mean"] != ce.loc["c", "mean"] and ce.loc["c", "count"] == 0
    # F: cells 1 2 3 4 6 8 9 (not the hole's 5, not the NaN cell): sum 33, 7 cells
    np.testing.assert_allclose(ce.loc["f"], [33 / 7, 33, 1, 9, 7])


@pytest.mark.parametrize("method", ["exact", "center"])
def test_south_up_raster_equals_north_up(tmp_path, hand_parcels, lc_tif, method):
    # the same cells stored bottom row first, with a positive y pixel size
    south_up = write_raster(
        tmp_path / "south_up.tif", LC[::-1].copy(), transform=Affine(10, 0, X0, 0, 10, Y0)
    )
    pd.testing.assert_frame_equal(
        zonal_stats(hand_parcels, south_up, method=method),
        zonal_stats(hand_parcels, lc_tif, method=method),
        atol=1e-12,
        rtol=0,
    )


def test_inputs_not_modified_and_series_and_open_dataset(hand_parcels, lc_tif):
    before = hand_parcels.copy()
    with rasterio.open(lc_tif) as ds:
        z1 = zonal_stats(hand_parcels.geometry, ds)
        assert not ds.closed  # a dataset passed in stays open
    z2 = zonal_stats(hand_parcels, lc_tif)
    pd.testing.assert_frame_equal(z1, z2)
    pd.testing.assert_frame_equal(hand_parcels, before)


def test_invalid_and_missing_geometries(lc_tif):
    bowtie = shapely.Polygon(
        [(X0 + 4, Y0 + 14), (X0 + 26, Y0 + 26), (X0 + 26, Y0 + 14), (X0 + 4, Y0 + 26)]
    )
    gdf = gpd.GeoDataFrame(
        geometry=[bowtie, None, shapely.Polygon(), shapely.Point(X0 + 5, Y0 + 5)], crs=CRS
    )
    z = zonal_stats(gdf, lc_tif)
    ref = zonal_stats(gpd.GeoSeries([shapely.make_valid(bowtie)], crs=CRS), lc_tif)
    np.testing.assert_allclose(z.iloc[0], ref.iloc[0])
    assert z.iloc[1:].isna().all().all()


def test_raster_in_4326_under_parcels_in_4549(tmp_path):
    """The parcels are reprojected to the raster's CRS; the raster is not resampled."""
    to_4549 = Transformer.from_crs(4326, 4549, always_xy=True)
    lon0, lat1, d = 120.36, 31.59, 0.001  # north-west corner and cell size in degrees
    tif = write_raster(
        tmp_path / "lc4326.tif", LC, crs="EPSG:4326", transform=Affine(d, 0, lon0, 0, -d, lat1)
    )

    def from_lonlat(lon_a, lat_a, lon_b, lat_b):
        # a box drawn in lon/lat, stored in EPSG:4549 (vertices only)
        ring = shapely.get_coordinates(shapely.box(lon_a, lat_a, lon_b, lat_b))
        x, y = to_4549.transform(ring[:, 0], ring[:, 1])
        return shapely.Polygon(np.column_stack([x, y]))

    # P1 = exactly cell (1, 1) (class 50); P2 = the right half of cell (0, 0) (50) and
    # the left half of cell (0, 1) (50) -> 1.0 of 50 too; P3 = half of cell (1, 0) (40)
    # and half of cell (1, 1) (50) -> 0.5 / 0.5. Reprojecting back gives the boxes again
    # (to ~1e-12 deg), so these hold to 1e-6.
    p1 = from_lonlat(lon0 + d, lat1 - 2 * d, lon0 + 2 * d, lat1 - d)
    p3 = from_lonlat(lon0 + 0.5 * d, lat1 - 2 * d, lon0 + 1.5 * d, lat1 - d)
    # P4: a box drawn in EPSG:4549 across four cells; expected shares from the 4549 twin:
    # each raster cell reprojected to EPSG:4549 (densified), intersected with P4 there.
    cx, cy = to_4549.transform(lon0 + 1.5 * d, lat1 - 1.5 * d)
    p4 = shapely.box(cx - 60, cy - 40, cx + 30, cy + 70)
    gdf = gpd.GeoDataFrame(geometry=[p1, p3, p4], crs=CRS)
    for method in ("exact", "center"):
        z = zonal_stats(gdf, tif, method=method)
        assert z.loc[0, "frac_50"] == pytest.approx(1.0, abs=1e-6)
    z = zonal_stats(gdf, tif, method="exact")
    assert z.loc[1, "frac_40"] == pytest.approx(0.5, abs=1e-6)
    assert z.loc[1, "frac_50"] == pytest.approx(0.5, abs=1e-6)

    rows, cols = np.divmod(np.arange(9), 3)
    cells = shapely.segmentize(
        shapely.box(lon0 + cols * d, lat1 - (rows + 1) * d, lon0 + (cols + 1) * d, lat1 - rows * d),
        d / 50,
    )
    twin = gpd.GeoSeries(cells, crs=4326).to_crs(CRS).to_numpy()
    area = shapely.area(shapely.intersection(twin, p4))
    cls = LC.ravel()
    covered = area[cls != 0].sum()
    for value in (40, 50, 60, 80):
        expected = area[cls == value].sum() / covered
        assert z.loc[2].get(f"frac_{value}", 0.0) == pytest.approx(expected, abs=1e-4)


def test_overlapping_polygons_center_equals_one_by_one(tmp_path):
    rng = np.random.default_rng(7)
    lc = rng.choice(np.array([10, 30, 50, 60], dtype=np.uint8), size=(40, 50))
    tif = write_raster(tmp_path / "rand.tif", lc)
    cx, cy = X0 + rng.uniform(0, 500, 40), Y0 + 30 - 400 + rng.uniform(0, 400, 40)
    geoms = shapely.buffer(shapely.points(cx, cy), rng.uniform(5, 80, 40), quad_segs=4)
    geoms = np.r_[geoms, geoms[:5]]  # exact duplicates overlap completely
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=CRS)
    together = zonal_stats(gdf, tif, method="center", categorical=False)
    alone = pd.concat(
        [zonal_stats(gdf.iloc[[i]], tif, method="center", categorical=False) for i in range(45)]
    )
    pd.testing.assert_frame_equal(together, alone)


def test_coverage_fractions_match_shapely_any_affine():
    """Independent check of the exact kernel: cell-by-cell shapely intersections."""
    rng = np.random.default_rng(3)
    n = 60
    cx, cy = rng.uniform(0, 300, n), rng.uniform(0, 300, n)
    outer = shapely.buffer(shapely.points(cx, cy), rng.uniform(0.3, 50, n), quad_segs=5)
    hole = shapely.buffer(shapely.points(cx, cy), rng.uniform(0.1, 0.5, n) * 30)
    geoms = np.where(rng.random(n) < 0.4, shapely.difference(outer, hole), outer)
    transforms = [
        Affine(10, 0, 0, 0, -10, 300),  # north-up
        Affine(10, 0, 0, 0, 10, 0),  # south-up
        Affine(8, 3, -20, 2, -9, 330),  # rotated and sheared
    ]
    for t in transforms:
        poly, row, col, frac = coverage_fractions(geoms, transform=t, shape=(35, 40))
        corners = [t @ (col + a, row + b) for a, b in ((0, 0), (1, 0), (1, 1), (0, 1))]
        cells = shapely.polygons(np.stack([np.column_stack(c) for c in corners], axis=1))
        ref = shapely.area(shapely.intersection(geoms[poly], cells)) / abs(t.determinant)
        np.testing.assert_allclose(frac, ref, atol=1e-9)
        # and no covered cell is missing: the fractions add up to the area in the grid
        grid = shapely.polygons([t @ xy for xy in ((0, 0), (40, 0), (40, 35), (0, 35))])
        inside = shapely.area(shapely.intersection(geoms, grid)) / abs(t.determinant)
        np.testing.assert_allclose(np.bincount(poly, frac, minlength=n), inside, atol=1e-8)


# ---------------------------------------------------------------------------
# windowed reading
# ---------------------------------------------------------------------------


class RecordingDataset:
    """An open dataset that records the windows read through it."""

    def __init__(self, ds):
        self._ds = ds
        self.windows = []

    def read(self, *args, window=None, **kwargs):
        assert window is not None, "the whole raster was read"
        self.windows.append(window)
        return self._ds.read(*args, window=window, **kwargs)

    def __getattr__(self, name):
        return getattr(self._ds, name)


@pytest.mark.parametrize("method", ["exact", "center"])
@pytest.mark.parametrize("categorical", [True, False])
def test_windowed_equals_unchunked(tmp_path, method, categorical):
    rng = np.random.default_rng(11)
    lc = rng.choice(np.array([0, 10, 30, 50, 60], dtype=np.uint8), size=(60, 80))
    tif = write_raster(tmp_path / "big.tif", lc)
    cx = X0 + rng.uniform(-50, 850, 150)
    cy = Y0 + 30 - rng.uniform(-50, 650, 150)
    geoms = shapely.buffer(shapely.points(cx, cy), rng.uniform(2, 60, 150), quad_segs=3)
    geoms[0] = shapely.box(X0 - 20, Y0 + 30 - 590, X0 + 790, Y0 + 40)  # spans every tile
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=CRS)
    budget = 150  # cells: the raster (4800 cells) is 32 times larger
    with rasterio.open(tif) as ds:
        rec = RecordingDataset(ds)
        chunked = zonal_stats(
            gdf, rec, method=method, categorical=categorical, max_window_cells=budget, chunk_size=7
        )
    assert len(rec.windows) > 32
    assert max(w.width * w.height for w in rec.windows) <= budget
    whole = zonal_stats(
        gdf, tif, method=method, categorical=categorical, max_window_cells=None, chunk_size=10**6
    )
    pd.testing.assert_frame_equal(chunked, whole, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# agreement with independent implementations on the Xishan sample
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_parcels(sample):
    parcels = gpd.read_file(sample.gpkg, layer="parcels")
    parcels["geometry"] = shapely.make_valid(parcels.geometry.to_numpy())
    return parcels


def _class_matrix(rows, columns):
    """Dense (n, k) matrix from per-row {class: value} mappings."""
    pos = {int(c.split("_")[1]): j for j, c in enumerate(columns)}
    out = np.zeros((len(rows), len(columns)))
    for i, mapping in enumerate(rows):
        for cls, val in mapping.items():
            out[i, pos[int(cls)]] = val
    return out


def test_exact_agrees_with_exactextract(sample, sample_parcels):
    exactextract = pytest.importorskip("exactextract")
    ours = zonal_stats(sample_parcels, sample.landcover, method="exact")
    ref = exactextract.exact_extract(
        str(sample.landcover), sample_parcels, ["unique", "frac"], output="pandas"
    )
    theirs = _class_matrix(
        [dict(zip(u, f, strict=True)) for u, f in zip(ref["unique"], ref["frac"], strict=True)],
        ours.columns,
    )
    mine = ours.to_numpy()
    assert not np.isnan(mine).any()  # every sample parcel lies over land cover
    diff = np.abs(mine - theirs)
    assert diff.max() < 0.005, f"worst parcel {sample_parcels.parcel_id.iloc[diff.max(1).argmax()]}"


def test_center_equals_rasterstats(sample, sample_parcels):
    rasterstats = pytest.importorskip("rasterstats")
    ours = zonal_stats(sample_parcels, sample.landcover, method="center")
    with rasterio.open(sample.landcover) as ds:  # in memory: 5x faster than per-feature reads
        array, transform, nodata = ds.read(1), ds.transform, ds.nodata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = rasterstats.zonal_stats(
            sample_parcels,
            array,
            affine=transform,
            nodata=nodata,
            categorical=True,
            all_touched=False,
        )
    counts = _class_matrix(ref, ours.columns)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        theirs = np.where(total > 0, counts / total, np.nan)
    mine = ours.to_numpy()
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    np.testing.assert_allclose(mine[~np.isnan(mine)], theirs[~np.isnan(theirs)], atol=1e-12)


def test_park_landcover_on_sample(sample):
    parks = gpd.read_file(sample.gpkg, layer="parks")
    table = park_landcover(parks, sample.landcover, class_names=WORLDCOVER_CLASSES)
    assert list(table.index) == list(dict.fromkeys(parks.park_id))  # one row per park
    assert list(table.columns) == list(WORLDCOVER_CLASSES.values())
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert (table["built_up"] > 0.5).all()  # parks are mostly paved and built


# ---------------------------------------------------------------------------
# audit helpers
# ---------------------------------------------------------------------------


def test_landcover_shares(hand_parcels, lc_tif):
    s = landcover_shares(hand_parcels, lc_tif)
    assert list(s.columns) == ["built_share", "bare_share"]
    # A: built (50) 156/264, bare (60) 72/264 (see test_exact_categorical_by_hand)
    assert s.loc["a"].tolist() == pytest.approx([156 / 264, 72 / 264])
    assert s.loc["c"].tolist() == pytest.approx([0.0, 1.0])
    assert s.loc["d"].isna().all()
    both = landcover_shares(hand_parcels, lc_tif, built_classes=(50, 40), method="center")
    assert both.loc["a", "built_share"] == pytest.approx(4 / 6)


def test_park_landcover_merges_zones(lc_tif):
    parks = gpd.GeoDataFrame(
        {"park_id": ["P1", "P1", "P2"], "zone": ["core", "expansion", "core"]},
        geometry=[local_box(0, 20, 20, 30), local_box(10, 20, 30, 30), local_box(10, 0, 20, 10)],
        crs=CRS,
    )
    names = {"50": "built_up", 60: "bare", "10": "tree"}  # TOML keys are strings
    t = park_landcover(parks, lc_tif, class_names=names)
    # P1 = the union of its zones = row 0 (50, 50, 60), the overlap counted once
    # P2 = cell (2, 1) = 80, not named -> class_80
    assert t.index.tolist() == ["P1", "P2"] and t.index.name == "park_id"
    assert t.columns.tolist() == ["tree", "built_up", "bare", "class_80"]
    np.testing.assert_allclose(t.loc["P1"], [0, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(t.loc["P2"], [0, 0, 0, 1])


def test_declared_built_but_bare():
    df = pd.DataFrame(
        {
            "floor_area": [1000.0, 0.0, np.nan, 500.0, 800.0, np.nan],
            "far": [np.nan, 0.8, np.nan, 1.2, np.nan, np.nan],
            "bare_share": [0.9, 0.6, 0.95, 0.2, np.nan, 0.5],
        },
        index=list("uvwxyz"),
    )
    flag = declared_built_but_bare(df)
    assert flag.dtype == bool and flag.name == "declared_built_but_bare"
    # u: floor area and 90 % bare; v: FAR 0.8 and 60 % bare -> flagged
    # w: nothing declared; x: built and 20 % bare; y: no land cover; z: nothing declared
    assert flag.tolist() == [True, True, False, False, False, False]
    assert declared_built_but_bare(df, bare_min=0.95).tolist() == [False] * 6
    assert declared_built_but_bare(df.drop(columns="far")).tolist() == [
        True, False, False, False, False, False,
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# raster outputs
# ---------------------------------------------------------------------------


@pytest.fixture
def status_parcels():
    # three parcels in a 300 x 260 m area: 1 m cells give a 300-cell-wide raster (> 256,
    # so one overview level, factor 2)
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "far": [1.25, np.nan, 0.4],
            "status": ["低效", None, "达标"],
            "block_id": [7, 7, 12],
        },
        geometry=[
            local_box(0, 0, 100, 100),
            local_box(100, 0, 200, 100),
            local_box(0, 160, 300, 260),
        ],
        crs=CRS,
    )


def _cell(ds, x, y):
    row, col = ds.index(X0 + x, Y0 + y)
    return ds.read(1)[row, col]


def test_rasterize_continuous_round_trip(tmp_path, status_parcels):
    out = tmp_path / "far.tif"
    res = rasterize_column(status_parcels, "far", out, resolution=1.0)
    assert res.path == out and res.categories is None and res.categories_path is None
    assert res.shape == (260, 300) and res.overviews == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["far.tif"]  # no temp files left
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4549
        assert ds.res == (1.0, 1.0)
        assert ds.transform.c == X0 and ds.transform.f == Y0 + 260
        assert ds.profile["tiled"] and ds.block_shapes == [(256, 256)]
        assert ds.compression.name == "deflate"
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        assert ds.overviews(1) == [2]
        assert ds.tags(ns="rio_overview") == {"resampling": "average"}
        assert ds.tags()["XSLAND_COLUMN"] == "far"
        assert _cell(ds, 50.5, 50.5) == pytest.approx(1.25)
        assert np.isnan(_cell(ds, 150.5, 50.5))  # FAR unknown: nodata
        assert np.isnan(_cell(ds, 150.5, 130.5))  # no parcel: nodata
        assert _cell(ds, 250.5, 200.5) == pytest.approx(0.4)


def test_rasterize_categorical_round_trip(tmp_path, status_parcels):
    out = tmp_path / "status.tif"
    res = rasterize_column(status_parcels, "status", out, resolution=1.0)
    # codes 1..K over the sorted values: "低效" (U+4F4E) < "达标" (U+8FBE)
    assert res.categories == {1: "低效", 2: "达标"}
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 0
        assert ds.tags(ns="rio_overview") == {"resampling": "nearest"}
        assert json.loads(ds.tags()["XSLAND_CATEGORIES"]) == {"1": "低效", "2": "达标"}
        assert ds.tags(1)["CATEGORY_2"] == "达标"
        assert _cell(ds, 50.5, 50.5) == 1
        assert _cell(ds, 150.5, 50.5) == 0  # status missing
        assert _cell(ds, 250.5, 200.5) == 2
    table = pd.read_csv(res.categories_path, encoding="utf-8-sig")
    assert res.categories_path.name == "status.categories.csv"
    assert table.to_dict("list") == {"code": [1, 2], "value": ["低效", "达标"]}

    blocks = rasterize_column(status_parcels, "block_id", tmp_path / "blocks.tif", resolution=2)
    assert blocks.categories == {1: 7, 2: 12}  # integer ids are categories, not averaged
    with rasterio.open(blocks.path) as ds:
        assert ds.res == (2.0, 2.0) and ds.tags(ns="rio_overview")["resampling"] == "nearest"
        assert _cell(ds, 150.5, 50.5) == 1 and _cell(ds, 250.5, 200.5) == 2


def test_rasterize_metric_crs_strips_and_overwrite(tmp_path, status_parcels):
    lonlat = status_parcels.to_crs(4490)
    out = tmp_path / "far.tif"
    # data in longitude/latitude is written in its Gauss-Krüger zone (EPSG:4549 at 120E);
    # a budget of 300 cells forces one strip of 256 rows per window
    res = rasterize_column(lonlat, "far", out, resolution=5.0, max_window_cells=300)
    assert res.crs.to_epsg() == 4549
    whole = rasterize_column(lonlat, "far", tmp_path / "whole.tif", resolution=5.0)
    with rasterio.open(out) as a, rasterio.open(whole.path) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))
    with pytest.raises(OutputExistsError, match="exists"):
        rasterize_column(status_parcels, "far", out, resolution=1.0, overwrite=False)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_errors(tmp_path, hand_parcels, lc_tif, values_tif):
    no_crs = hand_parcels.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no CRS"):
        zonal_stats(no_crs, lc_tif)
    bare_tif = write_raster(tmp_path / "nocrs.tif", LC, crs=None)
    with pytest.raises(CRSError, match=r"raster .*nocrs\.tif has no CRS.*rio edit-info"):
        zonal_stats(hand_parcels, bare_tif)
    with pytest.raises(InputFileError, match="cannot open raster .*missing.tif"):
        zonal_stats(hand_parcels, tmp_path / "missing.tif")
    with pytest.raises(PolicyError, match="unknown zonal-statistics method 'mean'"):
        zonal_stats(hand_parcels, lc_tif, method="mean")
    with pytest.raises(PolicyError, match="has 1 band, so band=2 does not exist"):
        zonal_stats(hand_parcels, lc_tif, band=2)
    with pytest.raises(PolicyError, match="max_window_cells"):
        zonal_stats(hand_parcels, lc_tif, max_window_cells=0)
    noisy = write_raster(
        tmp_path / "noisy.tif",
        np.random.default_rng(0).random((60, 60)).astype("float32"),
        nodata=None,
        transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0 + 30.0),
    )
    with pytest.raises(DataError, match="looks continuous: pass categorical=False"):
        zonal_stats(gpd.GeoSeries([local_box(0, -30, 60, 30)], crs=CRS), noisy)
    with pytest.raises(DataError, match="no column 'park_id'"):
        park_landcover(hand_parcels, lc_tif)
    with pytest.raises(DataError, match="no column 'bare_share'.*landcover_shares"):
        declared_built_but_bare(pd.DataFrame({"floor_area": [1.0]}))
    with pytest.raises(DataError, match="neither 'floor_area' nor 'far'"):
        declared_built_but_bare(pd.DataFrame({"bare_share": [1.0]}))


def test_rasterize_errors(tmp_path, status_parcels):
    out = tmp_path / "x.tif"
    with pytest.raises(DataError, match="no column 'nope'.*parcel_id, far, status"):
        rasterize_column(status_parcels, "nope", out, resolution=1)
    with pytest.raises(PolicyError, match="resolution must be a positive"):
        rasterize_column(status_parcels, "far", out, resolution=0)
    with pytest.raises(PolicyError, match="choose a coarser resolution"):
        rasterize_column(status_parcels, "far", out, resolution=0.0001)
    with pytest.raises(DataError, match="contains the nodata value 0.4"):
        rasterize_column(status_parcels, "far", out, resolution=1, nodata=0.4)
    with pytest.raises(PolicyError, match="collides with the category codes 1..2"):
        rasterize_column(status_parcels, "status", out, resolution=1, nodata=2)
    with pytest.raises(CRSError, match="no CRS"):
        rasterize_column(
            status_parcels.set_crs(None, allow_override=True), "far", out, resolution=1
        )
    empty = status_parcels.assign(far=np.nan)
    with pytest.raises(DataError, match="no value on any polygon"):
        rasterize_column(empty, "far", out, resolution=1)
    assert not out.exists()
