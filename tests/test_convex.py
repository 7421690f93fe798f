"""Areas of intersections of convex polygons clipped in NumPy, against hand-worked areas."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from xsland.measure.convex import MAX_VERTICES, clip_areas, convex_rings, simplify_keeps
from xsland.measure.overlay import intersection_areas

X0, Y0 = 535_000.0, 3_496_000.0  # CGCS2000 / 3-degree GK CM 120E: large coordinates


def poly(*xy, cw: bool = False) -> shapely.Polygon:
    """A polygon of vertices relative to (X0, Y0), counter-clockwise unless ``cw``."""
    p = shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])
    return shapely.orient_polygons(p, exterior_cw=cw)


def square(x, y, s=1.0, *, cw=False):
    return poly((x, y), (x + s, y), (x + s, y + s), (x, y + s), cw=cw)


def pieces(left, right) -> np.ndarray:
    """The overlay's area of each pair (clip, else GEOS), NaN where they do not meet."""
    out = []
    for a, b in zip(left, right, strict=True):
        got = intersection_areas(
            np.array([a], dtype=object), np.array([b], dtype=object), touching=True
        )
        out.append(float(got["area"].iloc[0]) if len(got) else np.nan)
    return np.array(out)


def one(a, b) -> float:
    return float(clip_areas(np.array([a], dtype=object), np.array([b], dtype=object))[0])


@pytest.mark.parametrize("cw_a", [False, True])
@pytest.mark.parametrize("cw_b", [False, True])
def test_hand_worked_pairs_either_orientation(cw_a, cw_b):
    # unit squares offset by (0.5, 0.5): a 0.5 × 0.5 square in common
    assert one(square(0, 0, cw=cw_a), square(0.5, 0.5, cw=cw_b)) == pytest.approx(0.25, rel=1e-12)
    # identical: the whole square, 1
    assert one(square(0, 0, cw=cw_a), square(0, 0, cw=cw_b)) == pytest.approx(1.0, rel=1e-12)
    # one inside the other: 2 × 2 inside 10 × 10 -> 4, whichever is clipped
    assert one(square(3, 3, 2, cw=cw_a), square(0, 0, 10, cw=cw_b)) == pytest.approx(4.0, rel=1e-12)
    assert one(square(0, 0, 10, cw=cw_a), square(3, 3, 2, cw=cw_b)) == pytest.approx(4.0, rel=1e-12)
    # collinear edges: [0,2]×[0,1] and [1,3]×[0,1] lie on the same lines y = 0 and
    # y = 1; the common part is [1,2]×[0,1] = 1
    a = poly((0, 0), (2, 0), (2, 1), (0, 1), cw=cw_a)
    b = poly((1, 0), (3, 0), (3, 1), (1, 1), cw=cw_b)
    assert one(a, b) == pytest.approx(1.0, rel=1e-12)
    # the triangle (0,0),(4,0),(0,4) against [0,2]×[0,2]: x + y <= 4 holds on all of
    # it -> 4; against [1,3]×[1,3]: the part with x + y <= 4 is the triangle
    # (1,1),(3,1),(1,3) = 2 × 2 / 2 = 2
    tri = poly((0, 0), (4, 0), (0, 4), cw=cw_a)
    assert one(tri, square(0, 0, 2, cw=cw_b)) == pytest.approx(4.0, rel=1e-12)
    assert one(tri, square(1, 1, 2, cw=cw_b)) == pytest.approx(2.0, rel=1e-12)


def test_touching_and_apart_are_left_to_geos_and_give_zero_there():
    # an edge in common, a corner in common, apart: below SMALL_SHARE of the smaller
    # polygon, so NaN here (GEOS decides): the overlay keeps the touching pairs with
    # exactly 0 and drops the pair apart
    pairs = [
        (square(0, 0), square(1, 0)),
        (square(0, 0), square(1, 1)),
        (square(0, 0), square(5, 5)),
    ]
    left = np.array([a for a, _ in pairs], dtype=object)
    right = np.array([b for _, b in pairs], dtype=object)
    assert np.isnan(clip_areas(left, right)).all()
    np.testing.assert_array_equal(pieces(left, right), [0.0, 0.0, np.nan])


def test_what_the_clip_does_not_take_is_nan_and_geos_measures_it():
    holed = square(0, 0, 10).difference(square(4, 4, 2))  # a hole
    concave = poly((0, 0), (4, 0), (4, 4), (2, 1), (0, 4))  # a notch: not convex
    many = shapely.Point(X0 + 5, Y0 + 5).buffer(5, quad_segs=8)  # 32 vertices > 8
    multi = shapely.MultiPolygon([square(0, 0), square(3, 0)])
    # a pentagram: every turn to the same side, but it turns twice
    star = poly(*[(5 + np.cos(a) * 5, 5 + np.sin(a) * 5) for a in np.arange(5) * 4 * np.pi / 5])
    others = [holed, concave, many, multi, star, None, shapely.Polygon()]
    left = np.array(others, dtype=object)
    right = np.array([square(0, 0, 10)] * len(others), dtype=object)
    assert np.isnan(clip_areas(left, right)).all()
    assert np.isnan(clip_areas(right, left)).all()
    assert convex_rings(left)[2].tolist() == [False] * len(others)
    # GEOS measures the polygons (the star is invalid: validation repairs it first; the
    # missing and the empty one meet nothing)
    valid = np.array([True, True, True, True, False, False, False])
    want = shapely.area(shapely.intersection(left[valid], right[valid]))
    np.testing.assert_array_equal(pieces(left[valid], right[valid]), want)


def test_collinear_vertices_and_shorter_rings_padded():
    # a unit square with a vertex in the middle of its bottom edge (5 vertices, still
    # convex) against the square offset by (0.5, 0.5): 0.25; a unit square against the
    # triangle (0,0),(1,0),(0,1) (ring of 4 points padded to 6): 1 × 1 / 2 = 0.5
    five = poly((0, 0), (0.5, 0), (1, 0), (1, 1), (0, 1))
    assert convex_rings(np.array([five], dtype=object))[2].tolist() == [True]
    left = np.array([five, square(0, 0)], dtype=object)
    right = np.array([square(0.5, 0.5), poly((0, 0), (1, 0), (0, 1))], dtype=object)
    np.testing.assert_allclose(clip_areas(left, right), [0.25, 0.5], rtol=1e-12)


@st.composite
def convex_polygon(draw):
    """The convex hull of 3–8 points in a 40 m box near (X0, Y0), either orientation."""
    n = draw(st.integers(3, MAX_VERTICES))
    cx, cy = draw(st.floats(0, 30)), draw(st.floats(0, 30))
    pts = draw(st.lists(st.tuples(st.floats(-20, 20), st.floats(-20, 20)), min_size=n, max_size=n))
    hull = shapely.convex_hull(shapely.MultiPoint([(X0 + cx + x, Y0 + cy + y) for x, y in pts]))
    if draw(st.booleans()) and isinstance(hull, shapely.Polygon):
        hull = shapely.Polygon(list(hull.exterior.coords)[::-1])  # clockwise
    return hull


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(convex_polygon(), convex_polygon()), min_size=1, max_size=20))
def test_equal_to_geos_on_random_convex_pairs(pairs):
    left = np.array([a for a, _ in pairs], dtype=object)
    right = np.array([b for _, b in pairs], dtype=object)
    got = clip_areas(left, right)
    want = shapely.area(shapely.intersection(left, right))
    small = np.minimum(shapely.area(left), shapely.area(right)) * 1e-6
    # every pair the clip takes whose piece is not tiny is clipped, to 1e-9 of GEOS
    takes = convex_rings(left)[2] & convex_rings(right)[2]
    clipped = ~np.isnan(got)
    assert not (takes & (want > 2 * small) & ~clipped).any()
    assert not (clipped & ~takes).any()
    # to 1e-9 relative, or 1e-9 m² per metre of boundary: GEOS computes the crossings at
    # easting and northing (one unit in the last place of 3 496 000 m is 4.7e-10 m), so
    # its own area is off by about that much times the perimeter — a 0.0056 m² piece of
    # two half-square-metre triangles is 1/180 m² here and 1/180 - 6.5e-12 by GEOS
    tol = 1e-9 * np.maximum(want, shapely.length(left) + shapely.length(right))
    assert (np.abs(got - want)[clipped] <= tol[clipped]).all()
    # and the overlay's pieces are GEOS's where not clipped: 0 exactly where GEOS says
    # 0 and the pair meets, no pair where they do not meet
    got = pieces(left, right)
    meet = shapely.intersects(left, right)
    assert (np.isnan(got) == ~meet).all()
    assert (np.abs(got - want)[meet] <= tol[meet]).all()
    assert ((got == 0) == (want == 0))[meet].all()


@settings(max_examples=100, deadline=None)
@given(st.lists(convex_polygon(), min_size=1, max_size=10))
def test_polygons_that_are_convex_hulls_are_taken(hulls):
    # a hull with a real area (not a sliver of collinear points) is convex: taken
    g = np.array(hulls, dtype=object)
    ok = convex_rings(g)[2]
    polygon = shapely.get_type_id(g) == 3
    thick = polygon & (shapely.area(g) > 1.0) & (shapely.get_num_coordinates(g) <= 9)
    assert ok[thick].all()


def test_clip_rings_of_pairs_by_position_equal_the_pairs_clipped():
    # three buildings across the edges of two parcels, given once each: pairs by
    # position (building 0 in both parcels) give the areas of the pairs themselves;
    # building 0 = [9,11]×[0,1] on parcels [0,10]×[0,10] and [10,20]×[0,10]: 1 each;
    # building 1 = [5,15]×[9,11] on parcel 0: 5 × 1 = 5; building 2 (a notch: GEOS) NaN
    from xsland.measure.convex import clip_rings

    buildings = np.array(
        [square(9, 0, 1) | square(10, 0, 1), poly((5, 9), (15, 9), (15, 11), (5, 11)),
         poly((0, 0), (4, 0), (4, 4), (2, 1), (0, 4))],
        dtype=object,
    )  # fmt: skip
    parcels = np.array([square(0, 0, 10), square(10, 0, 10)], dtype=object)
    li, ri = np.array([0, 0, 1, 2]), np.array([0, 1, 0, 0])
    got = clip_rings(convex_rings(buildings), convex_rings(parcels), li, ri)
    np.testing.assert_allclose(got[:3], [1.0, 1.0, 5.0], rtol=1e-12)
    assert np.isnan(got[3])
    np.testing.assert_array_equal(got, clip_areas(buildings[li], parcels[ri]))


def test_a_batch_of_rings_cut_and_left_whole_gives_each_pair_its_own_area():
    # three pairs clipped together; each edge cuts some rings and leaves the others whole
    # (those are put back as they were, padded to the batch's width):
    # 1. square 0–2 × 0–2 by square 1–3 × 0–2: the piece 1–2 × 0–2, area 2;
    # 2. unit square 10–11 inside an octagon of radius 5 around (10.5, 10.5): never cut,
    #    area 1 (the octagon's 8 edges make the batch 9 columns wide: pair 1's clip ring
    #    of 5 is padded, its padded edges cut nothing);
    # 3. square 20–22 by square 21–23: the piece 21–22 × 21–22, area 1.
    angles = np.arange(8) * np.pi / 4
    octagon = shapely.Polygon(np.c_[10.5 + 5 * np.cos(angles), 10.5 + 5 * np.sin(angles)])
    left = [shapely.box(0, 0, 2, 2), shapely.box(10, 10, 11, 11), shapely.box(20, 20, 22, 22)]
    right = [shapely.box(1, 0, 3, 2), octagon, shapely.box(21, 21, 23, 23)]
    np.testing.assert_allclose(clip_areas(left, right), [2.0, 1.0, 1.0], rtol=1e-12)


def _one_turn_by_the_sum(geoms: np.ndarray) -> np.ndarray:
    """Which polygons :func:`convex_rings` takes, by its definition read literally: every
    ring's turns summed with ``atan2`` (the shortcut for 3 or 4 edges left out)."""
    out = np.zeros(len(geoms), dtype=bool)
    for i, g in enumerate(geoms):
        if shapely.get_type_id(g) != 3 or shapely.get_num_interior_rings(g) != 0:
            continue
        xy = shapely.get_coordinates(g)
        if not 4 <= len(xy) <= MAX_VERTICES + 1 or not np.isfinite(xy).all():
            continue
        local = xy - xy[0]
        e = np.diff(local, axis=0)
        f = np.roll(e, -1, axis=0)
        turn = e[:, 0] * f[:, 1] - e[:, 1] * f[:, 0]
        dot = e[:, 0] * f[:, 0] + e[:, 1] * f[:, 1]
        area2 = (xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]).sum()
        out[i] = bool(
            not ((e == 0).all(1)).any()
            and not ((turn == 0) & (dot < 0)).any()
            and ((turn >= 0).all() or (turn <= 0).all())
            and abs(abs(np.arctan2(turn, dot).sum()) - 2 * np.pi) < 1e-6
            and area2 != 0
        )
    return out


@st.composite
def ring(draw):
    """A ring of 3–8 vertices: rectangles turned by any angle (their right angles
    rounded either way), stars, spikes, collinear and repeated vertices, clockwise or not."""
    kind = draw(st.sampled_from(["turned box", "star", "points", "sliver"]))
    if kind == "turned box":
        w, h = draw(st.floats(0.01, 80)), draw(st.floats(0.01, 80))
        box = shapely.box(X0, Y0, X0 + w, Y0 + h)
        g = shapely.affinity.rotate(box, draw(st.floats(0, 360)), origin=(X0, Y0))
    elif kind == "star":  # a pentagram (or heptagram) turns twice with one-sign turns
        n = draw(st.sampled_from([5, 7]))
        step = 2 if n == 5 else draw(st.sampled_from([2, 3]))
        r = draw(st.floats(1, 50))
        a = np.arange(n) * step * 2 * np.pi / n + draw(st.floats(0, 6.3))
        g = shapely.Polygon(np.column_stack([X0 + r * np.cos(a), Y0 + r * np.sin(a)]))
    elif kind == "sliver":  # three nearly collinear points, the middle one off by little
        d = draw(st.sampled_from([0.0, 1e-12, 1e-9, 1e-6, -1e-9]))
        g = shapely.Polygon([(X0, Y0), (X0 + 50, Y0 + d), (X0 + 100, Y0), (X0 + 50, Y0 + 1)])
    else:
        n = draw(st.integers(3, MAX_VERTICES))
        xy = draw(
            st.lists(st.tuples(st.floats(-20, 20), st.floats(-20, 20)), min_size=n, max_size=n)
        )
        g = shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])
    if draw(st.booleans()) and not g.is_empty:
        g = shapely.Polygon(list(g.exterior.coords)[::-1])
    return g


@settings(max_examples=300, deadline=None)
@given(st.lists(ring(), min_size=1, max_size=12), st.booleans())
def test_the_quarter_turn_shortcut_takes_what_the_sum_of_turns_takes(rings, same_width):
    """3 or 4 edges turning one way make one full turn exactly when a corner turns by a
    quarter or more: the rings taken are those the summed turns take, rings of one width
    (read without padding) or not."""
    g = np.array(rings, dtype=object)
    if same_width:  # only the 4-edge rings: read without padding
        g = g[shapely.get_num_coordinates(g) == 5]
        assume(len(g))
    x, y, ok = convex_rings(g)
    np.testing.assert_array_equal(ok, _one_turn_by_the_sum(g))
    for i in np.flatnonzero(ok):  # the ring, padded with its closing vertex
        xy = shapely.get_coordinates(g[i])
        width = x.shape[1]
        want = np.vstack([xy, np.repeat(xy[-1:], width - len(xy), axis=0)])
        np.testing.assert_array_equal(np.column_stack([x[i], y[i]]), want)


# ---------------------------------------------------------------------------
# simplify_keeps: polygons that simplify gives back unchanged
# ---------------------------------------------------------------------------


def _simplified_unchanged(g: np.ndarray, tolerance: float) -> np.ndarray:
    s = shapely.simplify(g, tolerance, preserve_topology=True)
    return shapely.equals_exact(s, g, tolerance=0) & (
        shapely.get_num_coordinates(s) == shapely.get_num_coordinates(g)
    )


def test_simplify_keeps_hand_worked_rings():
    # tolerance 0.1 m, at Gauss–Krüger eastings (X0, Y0):
    # - a 100 m × 50 m box: each corner 44.7 m from its neighbours' line (100·50/√12500) → kept
    # - the box with a vertex 0.05 m out from the middle of its bottom edge: that vertex is
    #   0.05 m from its neighbours' line (simplify drops it) → not kept
    # - the same vertex 0.2 m out: 0.2 m > 0.1 m, the ring still convex → kept
    # - an L (a turn the other way) → not kept although simplify would keep it
    # - a box with a hole, two boxes, a missing and an empty geometry → not kept
    box = poly((0, 0), (100, 0), (100, 50), (0, 50))
    near = poly((0, 0), (50, -0.05), (100, 0), (100, 50), (0, 50))
    far = poly((0, 0), (50, -0.2), (100, 0), (100, 50), (0, 50))
    ell = poly((0, 0), (20, 0), (20, 10), (10, 10), (10, 20), (0, 20))
    holed = shapely.Polygon(
        box.exterior.coords, [[(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10), (X0 + 20, Y0 + 20)]]
    )
    two = shapely.MultiPolygon([box, shapely.affinity.translate(box, 200, 0)])
    g = np.array([box, near, far, ell, holed, two, None, shapely.Polygon()], dtype=object)
    assert simplify_keeps(g, 0.1).tolist() == [True, False, True, False, False, False, False, False]
    assert _simplified_unchanged(g[:3], 0.1).tolist() == [True, False, True]
    # at 0.25 m the far vertex (0.2 m) goes too; at 0 nothing is claimed
    assert simplify_keeps(g[:3], 0.25).tolist() == [True, False, False]
    assert not simplify_keeps(g, 0.0).any()
    # a corner whose neighbours coincide (a spike back along an edge) is never kept
    spike = poly((0, 0), (100, 0), (100, 50), (100, 0.0))
    assert simplify_keeps(np.array([spike], dtype=object), 0.1).tolist() == [False]


@st.composite
def ring_near_tolerance(draw):
    """A convex hull with a vertex pushed out from an edge by about the tolerance."""
    hull = draw(convex_polygon())
    assume(isinstance(hull, shapely.Polygon) and hull.area > 1)
    xy = np.asarray(hull.exterior.coords)[:-1]
    i = draw(st.integers(0, len(xy) - 1))
    a, b = xy[i], xy[(i + 1) % len(xy)]
    edge = b - a
    length = float(np.hypot(*edge))
    assume(length > 1)
    out = np.array([edge[1], -edge[0]]) / length  # outward for an anticlockwise ring
    if shapely.is_ccw(hull.exterior) is False:
        out = -out
    t = draw(st.floats(0.1, 0.9))
    d = draw(st.floats(0.0, 0.3))
    ring = np.insert(xy, i + 1, a + t * edge + d * out, axis=0)
    return shapely.Polygon(ring)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(convex_polygon(), ring_near_tolerance()), min_size=1, max_size=12),
    st.sampled_from([0.01, 0.1, 0.15, 1.0]),
)
def test_what_simplify_keeps_simplify_gives_back_unchanged(polygons, tolerance):
    # sound: every polygon claimed is given back by GEOS exactly (same vertices, same
    # order), including rings with a vertex at about the tolerance from an edge
    g = np.array(polygons, dtype=object)
    kept = simplify_keeps(g, tolerance)
    assert _simplified_unchanged(g[kept], tolerance).all()
    # and boxes much larger than the tolerance (a street grid) are all claimed
    grid = np.array(
        [
            poly((x, y), (x + 7, y), (x + 7, y + 3), (x, y + 3))
            for x in range(0, 70, 7)
            for y in (0, 3)
        ],
        dtype=object,
    )
    assert simplify_keeps(grid, tolerance).all()
