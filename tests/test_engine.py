"""The Dask engine gives the single-process engine's answers, partition boundaries or not.

A synthetic district of ~23 000 parcels (40 m plots in street blocks, streets 10 m wide —
bridged by the 15 m gap — or 20 m wide — not bridged), ~2 buildings a parcel (some
straddling two parcels, some with their own floor area or without floors), parcels with
their own floor area or a declared FAR, one without geometry, and rivers as barriers. It is
cut into 8 partitions, so many blocks and buildings cross partition boundaries; floor areas
must equal :func:`xsland.measure.far.plot_ratio`'s and blocks :func:`xsland.group.blocks.find_blocks`'s.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from xsland.errors import DataError
from xsland.group.blocks import find_blocks
from xsland.measure.far import plot_ratio
from xsland.pipeline.engine import (
    ROW,
    find_blocks_dask,
    find_blocks_partitioned,
    make_client,
    map_parcels,
    plot_ratio_dask,
    plot_ratio_partitioned,
    read_partition_index,
    spatial_partitions,
    write_partitions,
)

X0, Y0 = 535_000.0, 3_496_000.0
SIDE = 150  # parcels per row and column
PLOT = 40.0  # parcel size (m)


def make_district(seed: int = 7, side: int = SIDE) -> tuple[gpd.GeoDataFrame, ...]:
    """Parcels, buildings and barriers (see the module docstring)."""
    rng = np.random.default_rng(seed)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    col, row = col.ravel(), row.ravel()
    # a street after every 6th plot: 10 m (bridged) or 20 m (not bridged)
    street_x = np.where(rng.random(side // 6 + 1) < 0.5, 10.0, 20.0)
    street_y = np.where(rng.random(side // 6 + 1) < 0.5, 10.0, 20.0)
    offset_x = np.concatenate([[0.0], np.cumsum(street_x)])[col // 6]
    offset_y = np.concatenate([[0.0], np.cumsum(street_y)])[row // 6]
    x, y = X0 + col * PLOT + offset_x, Y0 + row * PLOT + offset_y
    n = len(x)
    own = np.where(rng.random(n) < 0.05, rng.uniform(500, 5000, n), np.nan)
    declared = np.where(rng.random(n) < 0.05, rng.uniform(0.2, 2.0, n), np.nan)
    geoms = shapely.box(x, y, x + PLOT, y + PLOT)
    geoms[123] = None  # a parcel without geometry
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": np.char.add("P", np.arange(n).astype(str)),
            "floor_area": own,
            "declared_far": declared,
            "park_id": np.where(col < side // 2, "K1", "K2"),
        },
        geometry=geoms,
        crs="EPSG:4549",
        index=pd.Index(np.arange(n)[::-1] * 3, name="row"),  # not a RangeIndex
    )
    m = 2 * n
    home = rng.integers(0, n, m)
    w, h = rng.uniform(8, 25, m), rng.uniform(8, 25, m)
    bx = x[home] + rng.uniform(0, 1, m) * (PLOT - w)
    by = y[home] + rng.uniform(0, 1, m) * (PLOT - h)
    straddle = rng.random(m) < 0.15  # over the edge into the next parcel
    bx = np.where(straddle, x[home] + PLOT - w * rng.uniform(0.2, 0.8, m), bx)
    floors = rng.integers(1, 7, m).astype(float)
    floors[rng.random(m) < 0.02] = np.nan  # no floors: a quality record
    b_own = np.where(rng.random(m) < 0.05, w * h * 3, np.nan)
    buildings = gpd.GeoDataFrame(
        {"building_id": np.char.add("B", np.arange(m).astype(str)), "floors": floors},
        geometry=shapely.box(bx, by, bx + w, by + h),
        crs="EPSG:4549",
    ).assign(floor_area=b_own)
    span = side * PLOT + 600
    off_x = np.concatenate([[0.0], np.cumsum(street_x)])
    off_y = np.concatenate([[0.0], np.cumsum(street_y)])
    # rivers along bridged (10 m) streets, a pond in one, and a canal across the plots
    rivers_x = [i for i in range(side // 6 - 1) if street_x[i] == 10.0][1::3]
    rivers_y = [i for i in range(side // 6 - 1) if street_y[i] == 10.0][2:3]
    cx = [X0 + (6 * i + 6) * PLOT + off_x[i] + 5 for i in rivers_x]
    cy = [Y0 + (6 * i + 6) * PLOT + off_y[i] + 5 for i in rivers_y]
    barriers = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(x, Y0 - 10), (x, Y0 + span)]) for x in cx]
        + [shapely.LineString([(X0 - 10, y), (X0 + span, y)]) for y in cy]
        + [
            shapely.box(X0 + 2000, cy[0] - 3, X0 + 2400, cy[0] + 3),
            shapely.LineString([(X0 - 10, Y0 + 0.3 * span), (X0 + span, Y0 + 0.7 * span)]),
        ],
        crs="EPSG:4549",
    )
    return parcels, buildings, barriers


@pytest.fixture(scope="module")
def district():
    parcels, buildings, barriers = make_district()
    reference = plot_ratio(parcels, buildings)
    flagged = parcels[(reference["far"] < 1.0).to_numpy()]
    return parcels, buildings, barriers, reference, flagged


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes, one thread each."""
    with make_client(2) as c:
        yield c


def assert_same_plot_ratio(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert got.index.equals(expected.index)
    assert list(got.columns) == list(expected.columns)
    for col in expected.columns:
        assert got[col].dtype == expected[col].dtype, col
        if expected[col].dtype.kind == "f":
            np.testing.assert_allclose(got[col], expected[col], rtol=1e-9, atol=0, err_msg=col)
            assert np.array_equal(np.isnan(got[col]), np.isnan(expected[col])), col
        else:
            assert (got[col] == expected[col]).all(), col
    assert got.attrs["quality"] == expected.attrs["quality"]


def crossing_blocks(blocks: pd.Series, parcels: gpd.GeoDataFrame, k: int) -> int:
    """How many blocks have parcels in more than one of ``k`` spatial partitions."""
    part = pd.Series(spatial_partitions(parcels.geometry, k), index=parcels.index)
    per_block = part[blocks.notna()].groupby(blocks[blocks.notna()]).nunique()
    return int((per_block > 1).sum())


def test_spatial_partitions_are_compact_tiles_of_equal_size():
    x, y = np.meshgrid(np.arange(10.0), np.arange(10.0))
    g = shapely.box(x.ravel(), y.ravel(), x.ravel() + 1, y.ravel() + 1)
    labels = spatial_partitions(g, 4)
    assert np.bincount(labels).tolist() == [25, 25, 25, 25]
    extents = [shapely.box(*shapely.total_bounds(g[labels == j])) for j in range(4)]
    assert sum(e.area for e in extents) == 100.0  # four 5 × 5 quadrants, no overlap
    sizes = np.bincount(spatial_partitions(g, 7))
    assert len(sizes) == 7 and sizes.max() - sizes.min() <= 1
    assert spatial_partitions(g, 500).max() == 99  # never more partitions than geometries
    with_null = np.append(g, None)
    assert len(spatial_partitions(with_null, 3)) == 101


def test_plot_ratio_on_threads_equals_single_process(district):
    parcels, buildings, _, reference, _ = district
    got = plot_ratio_dask(parcels, buildings, npartitions=7)
    assert_same_plot_ratio(reference, got)
    sources = set(reference["floor_area_source"])
    assert sources == {"parcel", "buildings", "declared_far", "none"}
    assert np.isnan(got.loc[parcels.index[123], "area_m2"])
    assert len(got.attrs["quality"]) > 0  # buildings without floors, each listed once


def test_dask_cluster_gives_the_single_process_answers(district, client):
    parcels, buildings, barriers, reference, flagged = district
    # floor area, plot ratio and coverage
    got = plot_ratio_dask(parcels, buildings, client=client, npartitions=8)
    assert_same_plot_ratio(reference, got)
    # blocks, without and with barriers: same blocks, members and IDs
    for bars in (None, barriers):
        expected = find_blocks(flagged, gap_m=15.0, barriers=bars)
        blocks = find_blocks_dask(flagged, gap_m=15.0, barriers=bars, client=client, npartitions=8)
        pd.testing.assert_series_equal(blocks, expected)
        assert crossing_blocks(expected, flagged, 8) >= 20  # stitched across partitions
        assert expected.nunique() > 500 and expected.value_counts().max() > 50
    assert find_blocks(flagged, barriers=barriers).nunique() > find_blocks(flagged).nunique()
    # the same areas per block
    area = reference.loc[flagged.index, "area_m2"]
    assert area.groupby(blocks).sum().equals(area.groupby(expected).sum())
    # an existing cluster, by its scheduler's address
    with make_client(address=client.scheduler.address) as other:
        assert len(other.nthreads()) == 2
        again = find_blocks_dask(flagged, gap_m=15.0, client=other, npartitions=5)
        pd.testing.assert_series_equal(again, find_blocks(flagged, gap_m=15.0))


def test_blocks_on_threads_and_edge_cases(district):
    parcels, _, barriers, _, flagged = district
    expected = find_blocks(flagged, gap_m=25.0, barriers=barriers)
    got = find_blocks_dask(flagged, gap_m=25.0, barriers=barriers, npartitions=13)
    pd.testing.assert_series_equal(got, expected)
    one = find_blocks_dask(flagged.iloc[:1], gap_m=15.0)
    pd.testing.assert_series_equal(one, find_blocks(flagged.iloc[:1], gap_m=15.0))
    empty = find_blocks_dask(flagged.iloc[:0])
    assert empty.empty and empty.name == "block_id"
    with pytest.raises(DataError, match="must not be negative"):
        find_blocks_dask(flagged, gap_m=-1)


def test_map_parcels_runs_a_per_parcel_function_by_partition(district):
    parcels, buildings, _, _, _ = district

    def covered_share(part: gpd.GeoDataFrame, *, buildings: gpd.GeoDataFrame, scale: float):
        from xsland.measure.overlay import intersection_areas

        pairs = intersection_areas(part.geometry, buildings.geometry)
        sums = np.bincount(pairs["left"], weights=pairs["area"], minlength=len(part))
        return pd.Series(scale * sums / part.geometry.area.to_numpy(), index=part.index)

    expected = covered_share(parcels, buildings=buildings, scale=100.0)
    got = map_parcels(
        covered_share, parcels, context={"buildings": buildings}, npartitions=6, scale=100.0
    )
    pd.testing.assert_series_equal(got, expected, rtol=1e-12)

    def wrong(part: gpd.GeoDataFrame) -> pd.Series:
        return pd.Series(1.0, index=range(len(part)))

    with pytest.raises(DataError, match=r"must return one row per parcel"):
        map_parcels(wrong, parcels, npartitions=3)


def test_plot_ratio_refuses_data_that_partitions_would_measure_differently():
    lon = np.linspace(117.0, 121.0, 40)  # four Gauss-Kruger zones
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(40)]},
        geometry=shapely.box(lon, 32.0, lon + 0.001, 32.001),
        crs="EPSG:4490",
    )
    buildings = gpd.GeoDataFrame(
        {"floors": [2.0] * 40}, geometry=parcels.geometry.scale(0.5, 0.5), crs="EPSG:4490"
    )
    with pytest.raises(DataError, match=r"reproject the layers to one cadastral zone CRS"):
        plot_ratio_dask(parcels, buildings, npartitions=4)
    whole = plot_ratio_dask(parcels, buildings, npartitions=1)  # one partition: plot_ratio
    assert_same_plot_ratio(plot_ratio(parcels, buildings), whole)


@pytest.mark.parametrize("limit", [-1, -5e6, float("nan"), "-4GB", "four gigabytes", [1]])
def test_make_client_names_a_memory_limit_dask_cannot_start_with(limit):
    # a negative limit reached Dask's workers, which failed to register (msgpack's
    # OverflowError) while the client waited: named before any process starts
    with pytest.raises(DataError, match="memory_limit=.*Fix: give memory_limit="):
        make_client(1, memory_limit=limit)


def test_make_client_needs_a_worker():
    with pytest.raises(DataError, match="at least one worker") as err:
        make_client(0)
    assert "Fix: give --workers (workers=) of 1 or more" in str(err.value)


def test_audit_on_the_dask_engine_equals_the_single_process_audit(sample, client):
    """`xsland audit --engine dask`: the whole audit of the sample, identical results."""
    from xsland.pipeline.audit import run
    from xsland.pipeline.run import read_inputs
    from xsland.tools.demo import demo_project

    data = read_inputs(demo_project(sample))
    args = (data["parks"], data["parcels"], data["buildings"])
    kw = dict(
        enterprises=data["enterprises"],
        plan=data["plan"],
        indicators=data["indicators"],
        as_of="2025-08-29",
    )
    single = run(*args, **kw)
    dask = run(*args, **kw, client=client)
    a, b = single.parcels, dask.parcels
    assert a["parcel_id"].tolist() == b["parcel_id"].tolist()
    assert np.allclose(a["floor_area"], b["floor_area"], rtol=1e-9, equal_nan=True)
    assert a["block_id"].fillna("").tolist() == b["block_id"].fillna("").tolist()
    assert a["low_efficiency"].tolist() == b["low_efficiency"].tolist()
    pd.testing.assert_frame_equal(
        single.blocks.drop(columns="geometry"), dask.blocks.drop(columns="geometry")
    )
    assert single.blocks.geometry.geom_equals_exact(dask.blocks.geometry, 1e-9).all()
    checks = [c for c in single.parks.columns if c.startswith("chk_")]
    pd.testing.assert_frame_equal(single.parks[checks], dask.parks[checks])


def test_a_partitioned_dataset_read_by_the_workers_gives_the_single_process_answers(
    district, client, tmp_path
):
    parcels, buildings, barriers, reference, flagged = district
    n = len(parcels)
    # two towns (the K1 / K2 halves), each cut into tiles of at most 3000 parcels:
    # 75 × 150 = 11 250 parcels a town -> 4 tiles each: halves of 5625, then
    # ⌊5625 / 2⌋ = 2812 and 2813
    towns = parcels.assign(town=np.where(parcels["park_id"] == "K1", "东亭街道", "安镇街道"))
    folder = write_partitions(towns, buildings, tmp_path / "ds", parcels_per_partition=3000)
    index = read_partition_index(folder)
    assert [e["rows"] for e in index["parcels"]] == [2812, 2813, 2812, 2813] * 2
    assert sum(e["rows"] for e in index["buildings"]) == len(buildings)
    # every file sorted along the Hilbert curve, with bbox covering columns
    part = gpd.read_parquet(folder / index["parcels"][0]["file"])
    assert "bbox" not in part.columns and part[ROW].is_unique
    import pyarrow.parquet as pq

    assert "bbox" in pq.read_schema(folder / index["parcels"][0]["file"]).names
    # floor area: each worker reads its parcels and the buildings near them
    got = plot_ratio_partitioned(folder, client=client)
    assert got.index.tolist() == list(range(n))
    expected = reference.reset_index(drop=True)
    expected.attrs = {}
    for col in expected.columns:
        if expected[col].dtype.kind == "f":
            np.testing.assert_allclose(got[col], expected[col], rtol=1e-9, atol=0, err_msg=col)
        else:
            assert (got[col].to_numpy() == expected[col].to_numpy()).all(), col
    # blocks: each worker reads its partition and the halo it needs; the driver only gets
    # the links and holds the attributes (no geometry)
    low = (reference["far"] < 1.0).to_numpy()
    table = pd.DataFrame(towns.drop(columns="geometry")).reset_index(drop=True)
    table["area_m2"] = reference["area_m2"].to_numpy()
    flagged_with_area = flagged.assign(area_m2=reference.loc[flagged.index, "area_m2"])
    for bars in (None, barriers):
        want = find_blocks(flagged_with_area, gap_m=15.0, barriers=bars)
        ids = find_blocks_partitioned(folder, table, low, barriers=bars, client=client)
        assert ids[~low].isna().all()
        assert (ids[low].to_numpy() == want.to_numpy()).all()
    # blocks that cross partition boundaries were stitched
    where = np.empty(n, dtype=int)
    for k, e in enumerate(index["parcels"]):
        where[pd.read_parquet(folder / e["file"], columns=[ROW])[ROW].to_numpy()] = k
    per_block = pd.Series(where[low]).groupby(ids[low].to_numpy()).nunique()
    assert (per_block > 1).sum() >= 10
    with pytest.raises(DataError, match="xsland partition") as err:
        read_partition_index(tmp_path)
    assert "not a partitioned dataset. Fix: write one with `xsland partition`" in str(err.value)


def test_of_two_twin_footprints_every_engine_keeps_the_earlier_one(tmp_path):
    # P0 = [0, 100] and P1 = [100, 200] (× [0, 100], metres from X0, Y0), one partition
    # each. Buildings in layer order:
    #   0: 20 × 20 on P0, 1 floor                                        -> P0: 400 m²
    #   1–8: four pairs of twins on P1, 20 × 20, the later shifted 0.1 m (IoU 19.9/20.1
    #        = 0.990 > 0.95): the earlier (2 floors) counts, 4 × 800   -> P1: 3200 m²
    #   9: A = [100.5, 140.5] × [85, 95], 3 floors, on P1 only          -> P1: 1200 m²
    #   10: B = [99.7, 139.7] × [85, 95], 10 floors: A's twin (IoU 39.2/40.8 = 0.961),
    #       so dropped; had it counted, its 0.3 × 10 m² on P0 would add 30 m² there.
    #       A's box misses P0's extent: P0's task must still read A to drop B.
    # P0 = 400 m² (FAR 0.04), P1 = 4400 m² (FAR 0.44), in every engine.
    def at(x0, y0, x1, y1):
        return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P0", "P1"]}, geometry=[at(0, 0, 100, 100), at(100, 0, 200, 100)],
        crs="EPSG:4549",
    )  # fmt: skip
    geoms, floors = [at(10, 10, 30, 30)], [1.0]
    for (x, y), (dx, dy) in zip(
        [(110, 10), (140, 10), (110, 55), (140, 55)],
        [(0.1, 0), (-0.1, 0), (0, 0.1), (0, -0.1)],
        strict=True,
    ):
        geoms += [at(x, y, x + 20, y + 20), at(x + dx, y + dy, x + dx + 20, y + dy + 20)]
        floors += [2.0, 5.0]
    geoms += [at(100.5, 85, 140.5, 95), at(99.7, 85, 139.7, 95)]
    floors += [3.0, 10.0]
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(11)], "floors": floors},
        geometry=geoms,
        crs="EPSG:4549",
    )
    want = [400.0, 4400.0]
    single = plot_ratio(parcels, buildings)
    np.testing.assert_allclose(single["floor_area"], want, rtol=1e-12)
    dask = plot_ratio_dask(parcels, buildings, npartitions=2)
    np.testing.assert_allclose(dask["floor_area"], want, rtol=1e-12)
    folder = write_partitions(parcels, buildings, tmp_path / "ds", parcels_per_partition=1, by=None)
    index = read_partition_index(folder)
    assert len(index["parcels"]) == 2 and len(index["buildings"]) == 6
    got = plot_ratio_partitioned(folder)
    np.testing.assert_allclose(got["floor_area"], want, rtol=1e-12)


def test_a_local_cluster_takes_a_free_port_and_serves_no_dashboard():
    """Dask's scheduler put its HTTP server on 8787 when free; when a notebook or another
    cluster had it, every ``--engine dask`` run printed "Port 8787 is already in use …
    Hosting the HTTP server on port N instead". Now it takes a free port of localhost,
    warns nothing, and serves health and metrics but no dashboard pages."""
    import socket
    import urllib.error
    import urllib.request
    import warnings

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:
        pass  # something on this machine has it already: the same case
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client = make_client(1)
        with client:
            http = client.cluster.scheduler.http_server
            assert (http.address, http.port != 8787) == ("127.0.0.1", True)
            url = f"http://127.0.0.1:{http.port}"
            assert urllib.request.urlopen(f"{url}/health").read() == b"ok"
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"{url}/status")
    finally:
        taken.close()
