"""Overlays: intersection areas, overlapping pairs, and the one park of a parcel."""

from __future__ import annotations

from unittest.mock import patch

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.affinity import rotate as shapely_rotate

from xsland.judge import audit as judge_audit
from xsland.measure import far, overlay, quality
from xsland.measure.overlay import (
    intersection_areas,
    overlapping_pairs,
    park_assignment,
)
from xsland.measure.quality import parcel_checks
from xsland.pipeline.audit import run

X0, Y0 = 535_000.0, 3_496_000.0


def box(x, y, w, h):
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _parcels():
    return gpd.GeoDataFrame(
        {"parcel_id": ["A", "B", "C"]},
        geometry=[box(0, 0, 100, 100), box(95, 0, 100, 100), box(300, 0, 100, 100)],
        crs="EPSG:4549",
    )


def _parks():
    return gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K1", "K2"],
            "name": ["甲", "甲", "乙"],
            "zone": ["core", "expansion", "core"],
        },
        geometry=[box(-10, -10, 110, 60), box(-10, 50, 220, 60), box(350, -10, 200, 200)],
        crs="EPSG:4549",
    )


# -- the helper lives with the measures (issue 13 item 6) ---------------------------------


def test_the_overlay_helpers_live_in_measure_overlay_not_in_quality():
    for f in (intersection_areas, overlapping_pairs, overlay.duplicate_footprints):
        assert f.__module__ == "xsland.measure.overlay"
        assert f.__name__ not in quality.__all__
    # every measure and judge uses that one helper
    assert far.intersection_areas is intersection_areas
    assert judge_audit.assign_parks is park_assignment


def test_intersection_areas():
    a = gpd.GeoSeries([box(0, 0, 10, 10), box(20, 0, 10, 10)])
    b = gpd.GeoSeries([box(5, 0, 10, 10), box(30, 0, 10, 10)])
    # a0∩b0 = 5 × 10 = 50 m²; a1 and b1 only touch (x = 30) -> dropped
    got = intersection_areas(a, b)
    assert got[["left", "right", "area"]].values.tolist() == [[0, 0, 50.0]]


def test_park_assignment_counts_the_zones_of_a_park_together():
    shares = park_assignment(_parcels(), _parks())
    # A: K1 core covers y 0..50 and expansion y 50..100 (x up to 100) -> fully in K1
    assert shares.loc[0, "park_id"] == "K1" and round(shares.loc[0, "park_share"], 9) == 1.0
    # C (x 300..400): K2 from x 350 -> 50 %
    assert shares.loc[2, "park_id"] == "K2" and round(shares.loc[2, "park_share"], 9) == 0.5
    assert round(shares.loc[2, "in_parks_share"], 9) == 0.5


def test_overlapping_pairs_skip_shared_edges():
    g = [
        box(0, 0, 10, 10),  # 0
        box(10, 0, 10, 10),  # 1: shares an edge with 0 -> not a pair
        box(2, 2, 2, 2),  # 2: inside 0 -> 4 m²
        box(0, 0, 10, 10),  # 3: equal to 0 -> 100 m²; contains 2 -> 4 m²
        box(15, 5, 10, 10),  # 4: overlaps 1 by 5 × 5 = 25 m²
    ]
    got = overlapping_pairs(g).values.tolist()
    assert got == [[0, 2, 4.0], [0, 3, 100.0], [1, 4, 25.0], [2, 3, 4.0]]


def test_intersection_areas_fast_path_equals_plain_intersection():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, size=(300, 2))
    small = [box(x, y, 30, 20) for x, y in xy]
    big = [box(0, 0, 500, 500), box(400, 400, 600, 600)]
    got = intersection_areas(small, big).sort_values(["left", "right"])
    want = [
        (i, j, shapely.area(shapely.intersection(a, b)))
        for i, a in enumerate(small)
        for j, b in enumerate(big)
        if shapely.area(shapely.intersection(a, b)) > 0
    ]
    assert got[["left", "right"]].values.tolist() == [[i, j] for i, j, _ in want]
    assert np.allclose(got["area"], [a for *_, a in want], rtol=1e-12)
    assert not any(shapely.is_prepared(big))  # the caller's geometries are left as they were


def _pieces_every_pair(left, right):
    """The plain definition: every pair tested, the covered ones measured whole.

    Rows in the order of a predicate query (left, then right positions as the tree
    gives them), the area ``a(L)`` where ``R`` covers ``L`` and ``a(L ∩ R)`` otherwise.
    """
    tree = shapely.STRtree(right)
    li, ri = tree.query(left, predicate="intersects")
    rows = []
    for i, j in zip(li, ri, strict=True):
        if shapely.covers(right[j], left[i]):
            a = shapely.area(left[i])
        else:
            a = shapely.area(shapely.intersection(left[i], right[j]))
        if a > 0:
            rows.append([int(i), int(j), float(a)])
    return rows


def _shape(x, y, w, h, angle, kind):
    g = box(x, y, w, h)
    if kind == "hole" and w > 2 and h > 2:
        g = g.difference(box(x + 1, y + 1, w - 2, h - 2))  # a ring 1 m wide
    elif kind == "multi":
        g = shapely.MultiPolygon([g, box(x + w + 1, y, 1, h)])
    elif kind == "none":
        return None
    elif kind == "empty":
        return shapely.Polygon()
    return shapely_rotate(g, angle, origin="centroid") if angle else g


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 5.0, 9.5, 10.0, 14.0, 20.0]),  # 10, 20: on a parcel edge
            st.sampled_from([0.0, 3.0, 10.0, 16.0]),
            st.sampled_from([1.0, 4.0, 10.0, 12.0, 25.0]),  # 12, 25: across 2 or 3 parcels
            st.sampled_from([1.0, 6.0, 10.0]),
            st.sampled_from([0.0, 0.0, 30.0]),
            st.sampled_from(["box", "box", "hole", "multi", "none", "empty"]),
        ),
        max_size=20,
    )
)
@example([(0.0, 0.0, 1.0, 1.0, 0.0, "box")] * 6 + [(14.0, 10.0, 10.0, 10.0, 30.0, "box")])
def test_intersection_areas_equal_the_plain_definition_on_every_pair(specs):
    # parcels: a row of three 10 m squares, the middle one holed (4..6 cut out), a
    # two-part parcel above, and a missing one
    parcels = np.array(
        [
            box(0, 0, 10, 10),
            box(10, 0, 10, 10).difference(box(14, 4, 2, 2)),
            box(20, 0, 10, 10),
            shapely.MultiPolygon([box(0, 10, 10, 10), box(20, 10, 10, 10)]),
            None,
        ],
        dtype=object,
    )
    buildings = np.array([_shape(*spec) for spec in specs], dtype=object)
    got = intersection_areas(buildings, parcels)
    want = _pieces_every_pair(buildings, parcels)
    # the same pairs; the areas of convex pairs are clipped in NumPy (measure.convex),
    # equal to GEOS's to about 1e-10 m² on these 10 m parcels, both rounding the same
    # coordinates (a 1 m box turned by 30° on a 10 m parcel: 0.92264973097927 here,
    # 0.92264973104364 by GEOS; a 0.033 m² sliver of a turned 10 m box: 0.033320996833879
    # here, 0.033320996872888 by GEOS, 1.2e-9 relative): within 1e-9 relative or 1e-9 m²
    assert got[["left", "right"]].values.tolist() == [[i, j] for i, j, _ in want]
    np.testing.assert_allclose(got["area"], [a for *_, a in want], rtol=1e-9, atol=1e-9)
    for i, j, a in got.values.tolist():  # and the areas are the intersections' areas
        assert np.isclose(a, shapely.area(shapely.intersection(buildings[int(i)], parcels[int(j)])))


# -- one definition of "parcel in park" ----------------------------------------------------


def test_overlapping_zones_of_one_park_count_their_land_once():
    # P (100 × 100 = 10 000 m²) has 60 × 100 = 6 000 m² in K1, drawn twice: the
    # expansion zone repeats the core. Summed per feature it would be 12 000 m² (120 %,
    # "all in the park"); the union gives 6 000 m² = 60 % in K1, 40 % outside.
    parcels = gpd.GeoDataFrame({"parcel_id": ["P"]}, geometry=[box(0, 0, 100, 100)], crs=4549)
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1", "K1"], "zone": ["core", "expansion"]},
        geometry=[box(0, 0, 60, 100), box(0, 0, 60, 100)],
        crs=4549,
    )
    got = park_assignment(parcels, parks).iloc[0]
    assert got["park_id"] == "K1" and got["zone"] == "core"  # 60 % ≥ 40 % outside
    assert round(got["park_share"], 9) == 0.6 and round(got["in_parks_share"], 9) == 0.6


def test_overlapping_parks_count_shared_land_once_and_the_minority_park_is_named():
    # Q (100 × 100): K1 covers x 0..30 (3 000 m²), K2 covers x 20..40 (2 000 m²), they
    # share x 20..30 (1 000 m²): in any park 4 000 m² = 40 %, not 50 %. The larger part
    # (K1, 30 %) is smaller than the part outside (60 %): no park, K1 the largest.
    parcels = gpd.GeoDataFrame({"parcel_id": ["Q"]}, geometry=[box(0, 0, 100, 100)], crs=4549)
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1", "K2"]}, geometry=[box(0, 0, 30, 100), box(20, 0, 20, 100)], crs=4549
    )
    got = park_assignment(parcels, parks).iloc[0]
    assert got["park_id"] is None and got["largest_park"] == "K1"
    assert round(got["park_share"], 9) == 0.3 and round(got["in_parks_share"], 9) == 0.4


def test_the_straddle_check_reads_the_audits_assignment():
    parcels, parks = _parcels(), _parks()
    # B (x 95..195): K1 core 5 × 50 + expansion 100 × 50 = 5 250 m² -> 52.5 % in K1
    q = parcel_checks(parcels, parks=parks)
    rows = q[q["check"] == "straddles_park"].set_index("id")["detail"]
    assert rows["B"] == "52.5% in park K1, 47.5% outside every park"
    # given an assignment, the check reads it and does not overlay again: B fully in K1
    where = park_assignment(parcels, parks)
    where.loc[1, ["park_share", "in_parks_share"]] = 1.0
    q = parcel_checks(parcels, parks=parks, assignment=where)
    assert "B" not in set(q.loc[q["check"] == "straddles_park", "id"])


def test_the_audit_and_its_quality_table_agree_on_the_park_of_a_parcel():
    # the zones of K1 drawn twice over P: the audit says 60 % in K1 (not 100 %) and the
    # straddle row says the same figures
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K1"],
            "name": ["一园", "一园"],
            "park_type": ["片区型", "片区型"],
            "zone": ["core", "expansion"],
        },
        geometry=[box(0, 0, 60, 100), box(0, 0, 60, 100)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P"], "land_use": ["100101"], "floor_area": [12_000.0]},
        geometry=[box(0, 0, 100, 100)],
        crs="EPSG:4549",
    )
    res = run(parks, parcels, as_of="2025-08-29")
    p = res.parcels.set_index("parcel_id")
    assert p.loc["P", "park_id"] == "K1" and round(p.loc["P", "park_share"], 9) == 0.6
    detail = res.quality.set_index(["check", "id"])["detail"]
    assert detail["straddles_park", "P"] == "60.0% in park K1, 40.0% outside every park"


# -- duplicate footprints: only pairs that can reach the threshold are intersected ---------


def test_duplicate_footprints_by_hand():
    g = [
        box(0, 0, 10, 10),  # 0: 100 m²
        box(0, 0, 10, 9.8),  # 1: inside 0, IoU 98 / 100 = 0.98 -> duplicate of 0
        box(0.5, 0, 10, 10),  # 2: IoU with 0 = 95 / 105 = 0.905; with 1 = 93.1/104.9
        box(10, 0, 10, 10),  # 3: touches 0 only
        None,  # 4: missing
        box(10, 0, 10, 10),  # 5: the same as 3 -> IoU 1
    ]
    got = overlay.duplicate_footprints(np.array(g, dtype=object), iou_min=0.95)
    assert got[["left", "right"]].values.tolist() == [[0, 1], [3, 5]]
    assert np.allclose(got["iou"], [0.98, 1.0])
    looser = overlay.duplicate_footprints(np.array(g, dtype=object), iou_min=0.9)
    # 0-2: 95/105 = 0.9048 > 0.9; 1-2: 93.1/(98+100-93.1) = 0.8875 < 0.9
    assert looser[["left", "right"]].values.tolist() == [[0, 1], [0, 2], [3, 5]]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.integers(0, 6),
            st.integers(1, 4),
            st.integers(1, 4),
            st.floats(0, 30),
            st.booleans(),
        ),
        min_size=2,
        max_size=25,
    ),
    st.sampled_from([0.5, 0.8, 0.95]),
)
def test_duplicate_footprints_equal_every_pair_intersected(specs, iou_min):
    geoms = []
    for x, y, w, h, angle, tri in specs:
        corner = (X0 + x, Y0 + y)
        tri_xy = [corner, (X0 + x + w, Y0 + y), (X0 + x, Y0 + y + h)]
        g = shapely.Polygon(tri_xy) if tri else box(x, y, w, h)
        geoms.append(shapely_rotate(g, angle, origin="centroid"))
    g = np.array(geoms, dtype=object)
    want, iou = [], []
    for i in range(len(g)):
        for j in range(i + 1, len(g)):
            inter = shapely.area(shapely.intersection(g[i], g[j]))
            union = g[i].area + g[j].area - inter
            if union > 0 and inter / union > iou_min:
                want.append([i, j])
                iou.append(inter / union)
    got = overlay.duplicate_footprints(g, iou_min=iou_min)
    assert got[["left", "right"]].values.tolist() == want
    assert got["iou"].tolist() == iou


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 8),
            st.integers(0, 8),
            st.integers(1, 4),
            st.integers(1, 4),
            st.sampled_from([0.0, 0.0, 15.0, 45.0]),
        ),
        min_size=2,
        max_size=25,
    )
)
def test_overlapping_pairs_equal_the_predicates_on_every_pair(specs):
    # grid-aligned boxes share edges and corners often; rotated ones overlap by slivers
    g = np.array(
        [shapely_rotate(box(x, y, w, h), a, origin="centroid") for x, y, w, h, a in specs],
        dtype=object,
    )
    want = [
        [i, j]
        for i in range(len(g))
        for j in range(i + 1, len(g))
        if g[i].overlaps(g[j]) or g[i].contains(g[j]) or g[j].contains(g[i])
    ]
    got = overlapping_pairs(g)
    assert got[["left", "right"]].values.tolist() == want
    assert got["area"].tolist() == [shapely.area(shapely.intersection(g[i], g[j])) for i, j in want]
    assert (got["area"] > 0).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 6), st.integers(1, 6)),
        min_size=0,
        max_size=40,
    ),
    st.integers(1, 9),
)
def test_query_on_threads_gives_the_pairs_of_one_call_in_its_order(boxes, min_chunk):
    # squares x0..x0+w on a 30 x 30 field: many meet; chunks of min_chunk queried on up to
    # 3 threads (more than this machine may have CPUs) must give tree.query's pairs exactly
    geoms = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes], dtype=object)
    tree = shapely.STRtree(geoms)
    expected = tree.query(geoms)
    with patch.object(overlay, "cpus", lambda: 3):
        left, right = overlay._query(shapely.STRtree(geoms), geoms, min_chunk=min_chunk)
    np.testing.assert_array_equal(left, expected[0])
    np.testing.assert_array_equal(right, expected[1])


def test_covers_on_threads_tests_each_prepared_geometry_on_one_thread_and_answers_in_place():
    # right: a 10 x 10 square R listed twice (one object: one prepared index), and a 4 x 4
    # square S; left: a 1 x 1 square at (6, 6) (inside R, outside S), and a 3 x 3 at
    # (0, 0) (inside both). Pairs (r, l): R covers both, S covers the 3 x 3 only.
    big, small = shapely.box(0, 0, 10, 10), shapely.box(0, 0, 4, 4)
    rg = np.array([big, small, big], dtype=object)
    lg = np.array([shapely.box(6, 6, 7, 7), shapely.box(0, 0, 3, 3)], dtype=object)
    ri = np.array([0, 1, 2, 1, 0, 2, 1, 1])
    li = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    calls: list[set] = []  # the right objects each call (one per thread) tests
    real = shapely.covers

    def covers(r, lft):
        calls.append({id(g) for g in r})
        return real(r, lft)

    shapely.prepare(rg)
    with patch.object(overlay, "cpus", lambda: 3), patch.object(overlay.shapely, "covers", covers):
        got = overlay._covers(rg, lg, ri, li, min_chunk=1)
    shapely.destroy_prepared(rg)
    expected = [True, False, True, True, True, True, True, False]
    np.testing.assert_array_equal(got, expected)
    assert len(calls) == 3  # three parts; R's pairs all in one of them
    assert sum(len(c) for c in calls) == len(set().union(*calls)) == 2


# -- the pairs, whichever layer is indexed ---------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 5)), max_size=30),
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 5)), max_size=30),
)
@example([(0, 0, 5)] * 3, [(2, 2, 5), (0, 0, 1), (4, 4, 1), (0, 0, 5)])  # more right than left
@example([(0, 0, 5), (3, 0, 2), (1, 1, 1), (0, 3, 4)], [(2, 2, 5), (0, 0, 1)])  # more left
def test_box_pairs_are_every_meeting_pair_sorted_whichever_layer_is_indexed(lefts, rights):
    # two layers of squares; the tree goes on the larger one: the pairs are those whose
    # boxes meet (touching counts), by hand, sorted by left then right either way
    left = np.array([shapely.box(x, y, x + s, y + s) for x, y, s in lefts], dtype=object)
    right = np.array([shapely.box(x, y, x + s, y + s) for x, y, s in rights], dtype=object)
    want = [
        [i, j]
        for i, (xa, ya, sa) in enumerate(lefts)
        for j, (xb, yb, sb) in enumerate(rights)
        if xa <= xb + sb and xb <= xa + sa and ya <= yb + sb and yb <= ya + sa
    ]
    li, ri = overlay._box_pairs(left, right)
    assert np.column_stack([li, ri]).tolist() == want
    got = intersection_areas(left, right, touching=True)
    assert got[["left", "right"]].values.tolist() == sorted(got[["left", "right"]].values.tolist())


def test_a_parcel_split_evenly_goes_to_the_zone_and_the_park_listed_first():
    # parcel 0..100 x 0..100; zone features of K1 split it at y = 50: 5,000 m² each.
    # Parcel B (x 200..300) lies half in K2 (x < 250) and half in K3 (x >= 250).
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"]},
        geometry=[box(0, 0, 100, 100), box(200, 0, 100, 100)],
        crs="EPSG:4549",
    )
    rows = [
        ("K1", "core", box(-10, -10, 120, 60)),
        ("K1", "expansion", box(-10, 50, 120, 60)),
        ("K2", "core", box(150, -10, 100, 120)),
        ("K3", "core", box(250, -10, 100, 120)),
    ]
    for order in (rows, rows[::-1]):
        parks = gpd.GeoDataFrame(
            {"park_id": [r[0] for r in order], "zone": [r[1] for r in order]},
            geometry=[r[2] for r in order],
            crs="EPSG:4549",
        )
        got = park_assignment(parcels, parks)
        first_zone = next(z for p, z, _ in order if p == "K1")
        first_park = next(p for p, _, _ in order if p in ("K2", "K3"))
        assert got.loc[0, "zone"] == first_zone and got.loc[0, "park_share"] == 1.0
        assert got.loc[1, "park_id"] == first_park and got.loc[1, "park_share"] == 0.5
