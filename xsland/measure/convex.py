"""Areas of the intersections of two convex polygons, computed in NumPy without GEOS.

Most pairs that :func:`xsland.measure.overlay.intersection_areas` has to intersect are a
building straddling a parcel boundary: a convex building of 4–8 vertices and a convex
parcel. Their intersection is convex, and its area needs no general overlay: the
subject polygon :math:`S` is clipped by each edge of the convex clip polygon :math:`C`
in turn (Sutherland–Hodgman), and the area of what is left is the shoelace sum. All
pairs are clipped together on padded vertex arrays, one step per edge of :math:`C`
(each step rebuilds only the rings its edge cuts: a building across one parcel edge lies
wholly inside the other three), about four times faster than ``shapely.intersection``
followed by ``shapely.area``.

The areas agree with GEOS's to :math:`2.2 \\times 10^{-10}` relative at most (GEOS
computes the crossing points at full easting and northing and sums in another order;
measured on the benchmark's street grids and cadastre, see :func:`clip_areas`). Pairs the clip cannot take (a polygon with holes
or several parts, not convex, more than :data:`MAX_VERTICES` vertices) and pieces too
small to tell from touching are left to GEOS by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = [
    "MAX_VERTICES",
    "SMALL_SHARE",
    "clip_areas",
    "clip_rings",
    "convex_rings",
    "simplify_keeps",
]

#: Most vertices of a polygon the clip takes (buildings have 4–8; parcels of a street
#: grid 4): the padded arrays are as wide as the widest polygon of a batch.
MAX_VERTICES = 8

#: A piece smaller than this share of the smaller polygon is not trusted to the clip
#: (NaN: left to GEOS), so a pair that only touches is 0 exactly as GEOS finds it, and
#: slivers get GEOS's figure.
SMALL_SHARE = 1e-6

#: Pairs clipped at once: bounds the memory of the padded arrays.
_BATCH = 65_536


def convex_rings(
    geoms: Any, *, max_vertices: int = MAX_VERTICES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each polygon's exterior ring as padded arrays, and whether it is simple and convex.

    A polygon qualifies when it is a ``Polygon`` without holes of 3 to
    ``max_vertices`` vertices with finite coordinates, no two consecutive vertices
    equal, a positive shoelace area, every turn :math:`e_i \\times e_{i+1}` of one sign
    (0 allowed: collinear vertices) and a total turning :math:`\\sum_i
    \\operatorname{atan2}(e_i \\times e_{i+1}, e_i \\cdot e_{i+1})` of one full turn
    (:math:`\\pm 2\\pi`; a star whose turns all have one sign turns twice or more).

    The sum of the turns of a closed ring is a whole number of turns, and with 3 or 4
    edges turning one way (each turn in :math:`[0, \\pi)`) it is under two: it is one
    turn exactly when some corner turns by :math:`\\pi/2` or more (:math:`e_i \\times
    e_{i+1} \\ne 0`, :math:`e_i \\cdot e_{i+1} \\le 0`), which every box and almost every
    building has, so the ``atan2`` sum is taken only for the other rings (the same
    answer, about half the time on boxes). Rings of one width (a grid of boxes) are
    read without padding.

    Parameters
    ----------
    geoms
        Array of geometries (any; missing allowed).
    max_vertices
        Most vertices of a qualifying polygon.

    Returns
    -------
    x, y : ndarray
        ``(n, w)``: the closed ring (first vertex repeated), padded with that closing
        vertex to the width ``w`` of the longest qualifying ring; zeros for the others.
    ok : ndarray of bool
        The polygons that qualify.
    """
    g = np.asarray(geoms, dtype=object)
    n = len(g)
    cnt = shapely.get_num_coordinates(g)  # closed ring: vertices + 1
    ok = (
        (shapely.get_type_id(g) == 3)
        & (shapely.get_num_interior_rings(g) == 0)
        & (cnt >= 4)
        & (cnt <= max_vertices + 1)
    )
    width = int(cnt[ok].max()) if ok.any() else 1
    x = np.zeros((n, width))
    y = np.zeros((n, width))
    if not ok.any():
        return x, y, ok
    sel = np.flatnonzero(ok)
    c = cnt[sel]
    xy = shapely.get_coordinates(g[sel])
    uniform = bool((c == width).all())
    if uniform:  # every ring as wide as the widest (a grid of boxes): no padding or mask
        xy = xy.reshape(len(sel), width, 2)
        sx, sy = xy[:, :, 0], xy[:, :, 1]
    else:
        start = np.cumsum(c) - c
        idx = start[:, None] + np.minimum(np.arange(width)[None, :], c[:, None] - 1)
        sx, sy = xy[idx, 0], xy[idx, 1]
    ex, ey = np.diff(sx - sx[:, :1], axis=1), np.diff(sy - sy[:, :1], axis=1)
    if uniform:
        fx, fy = np.roll(ex, -1, axis=1), np.roll(ey, -1, axis=1)
        turn = ex * fy - ey * fx
        dot = ex * fx + ey * fy
        real = None
    else:
        col = np.arange(width - 1)[None, :]
        real = col < (c - 1)[:, None]
        nxt = np.where(col + 1 < (c - 1)[:, None], col + 1, 0)
        fx, fy = np.take_along_axis(ex, nxt, 1), np.take_along_axis(ey, nxt, 1)
        turn = np.where(real, ex * fy - ey * fx, 0.0)
        dot = np.where(real, ex * fx + ey * fy, 1.0)
    # one full turn: shown by a corner of pi/2 or more where 3 or 4 edges turn (see
    # above; a corner of two edges whose products underflowed to 0 shows nothing), else
    # by the sum of the turns
    sure = (c <= 5) & ((turn != 0) & (dot <= 0)).any(1) & ~((turn == 0) & (dot == 0)).any(1)
    once = sure.copy()
    rest = np.flatnonzero(~sure)
    if len(rest):
        total = np.arctan2(turn[rest], dot[rest]).sum(1)
        once[rest] = np.abs(np.abs(total) - 2 * np.pi) < 1e-6
    area2 = (sx[:, :-1] * sy[:, 1:] - sx[:, 1:] * sy[:, :-1]).sum(1)
    zero_edge = (ex == 0) & (ey == 0)
    back = (turn == 0) & (dot < 0)
    if real is not None:
        zero_edge &= real
        back &= real
    good = (
        np.isfinite(sx).all(1)
        & np.isfinite(sy).all(1)
        & ~zero_edge.any(1)
        & ~back.any(1)
        & (((turn >= 0).all(1)) | ((turn <= 0).all(1)))
        & once
        & (area2 != 0)
    )
    ok[sel] = good
    if len(sel) == n:
        return np.where(good[:, None], sx, 0.0), np.where(good[:, None], sy, 0.0), ok
    x[sel] = np.where(good[:, None], sx, 0.0)
    y[sel] = np.where(good[:, None], sy, 0.0)
    return x, y, ok


def simplify_keeps(geoms: Any, tolerance: float) -> np.ndarray:
    """Whether ``shapely.simplify(g, tolerance)`` provably gives ``g`` back unchanged.

    Douglas–Peucker (also GEOS's topology-preserving variant) drops a vertex :math:`v`
    only when :math:`v` lies within ``tolerance`` of a chord :math:`[a, b]` between two
    other vertices of its ring. In a strictly convex ring every other vertex, so every
    chord, lies in the closed half-plane beyond the line through :math:`v`'s neighbours
    :math:`p, n`; hence no chord comes closer to :math:`v` than

    .. math::

        d_v = \\frac{|(v - p) \\times (n - v)|}{\\lVert n - p \\rVert},

    and a ring with :math:`d_v >` ``tolerance`` at every vertex loses none. A polygon
    qualifies when it is a ``Polygon`` without holes whose exterior ring turns one way at
    every vertex (no turn 0), once around in all (turns summing to :math:`\\pm 2\\pi`),
    with :math:`d_v` above ``tolerance`` by a margin of :math:`10^{-9}` of it plus
    :math:`10^{-12}` of the largest coordinate (rounding in GEOS's distances). Tested
    on every vertex at once, one padded array per ring length: about a quarter of the
    cost of ``simplify`` over a grid of boxes (0.8 s against 3.2 s for a million).

    Parameters
    ----------
    geoms
        Array of geometries (any; missing allowed).
    tolerance
        The simplification tolerance, in the geometries' units; 0 or less: nothing
        qualifies.

    Returns
    -------
    ndarray of bool
        True where simplifying would change nothing; False where it may.
    """
    g = np.asarray(geoms, dtype=object)
    out = np.zeros(len(g), dtype=bool)
    if not tolerance > 0 or not len(g):
        return out
    simple = (shapely.get_type_id(g) == 3) & (shapely.get_num_interior_rings(g) == 0)
    counts = np.where(simple, shapely.get_num_coordinates(g), 0)  # closed: vertices + 1
    for c in np.unique(counts[counts >= 4]):
        at = np.flatnonzero(counts == c)
        ring = shapely.get_coordinates(g[at]).reshape(len(at), c, 2)[:, :-1]
        out[at] = _far_convex(ring, float(tolerance))
    return out


def _far_convex(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """:func:`simplify_keeps` of rings of one length (``(n, k, 2)``, not closed)."""
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.abs(ring).max(axis=(1, 2))
        ring = ring - ring[:, :1]  # local coordinates: no cancellation at 3 400 000 m
        prev, nxt = np.roll(ring, 1, axis=1), np.roll(ring, -1, axis=1)
        e1, e2 = ring - prev, nxt - ring
        cross = e1[..., 0] * e2[..., 1] - e1[..., 1] * e2[..., 0]
        chord = np.hypot(*np.moveaxis(nxt - prev, -1, 0))
        least = (tolerance * (1 + 1e-9) + 1e-12 * scale)[:, None]
        far = (np.abs(cross) > least * chord).all(axis=1)  # d_v > least (chord 0: False)
        one_way = (cross > 0).all(axis=1) | (cross < 0).all(axis=1)
        turns = np.arctan2(cross, (e1 * e2).sum(axis=-1)).sum(axis=1)
        return far & one_way & (np.abs(np.abs(turns) - 2 * np.pi) < 1e-6)


def clip_areas(left: Any, right: Any, *, max_vertices: int = MAX_VERTICES) -> np.ndarray:
    """:math:`a(L_i \\cap R_i)` of each pair of convex polygons; NaN where not computed.

    Where both :math:`L_i` and :math:`R_i` qualify (:func:`convex_rings`), :math:`L_i` is
    clipped by the half-plane left of each directed edge :math:`a \\to b` of
    :math:`R_i` (taken counter-clockwise): a vertex :math:`p` is kept when
    :math:`(b - a) \\times (p - a) \\ge 0`, and an edge :math:`p \\to q` whose ends lie
    on both sides adds the crossing :math:`p + t (q - p)`, :math:`t = s_p / (s_p - s_q)`
    (Sutherland–Hodgman). The area is :math:`\\tfrac12 |\\sum_i x_i y_{i+1} - x_{i+1}
    y_i|` of what is left, in coordinates relative to the first vertex of :math:`R_i`.
    A piece below :data:`SMALL_SHARE` of the smaller polygon is NaN (left to GEOS).

    Element-wise (pair :math:`i` depends on :math:`L_i, R_i` only), so it can be cut
    into chunks (:func:`xsland._threads.map_chunks`). Against ``shapely.area(
    shapely.intersection(L, R))`` the largest relative difference measured was
    :math:`1.4 \\times 10^{-11}` over the 338 020 straddling pairs of 200 000 street
    parcels, :math:`2.2 \\times 10^{-10}` over the 1 696 846 of 1 000 000, and
    :math:`5 \\times 10^{-15}` over the 76 277 (parcel, park) pairs clipped of 300 000 cadastre
    parcels.

    Parameters
    ----------
    left, right
        Equally long arrays of geometries in one metric CRS.
    max_vertices
        Most vertices of a polygon the clip takes.

    Returns
    -------
    ndarray of float
        One per pair: the area, or NaN where GEOS must compute it.
    """
    lg = np.asarray(left, dtype=object)
    rg = np.asarray(right, dtype=object)
    at = np.arange(len(lg))
    return clip_rings(
        convex_rings(lg, max_vertices=max_vertices),
        convex_rings(rg, max_vertices=max_vertices),
        at,
        at,
    )


def clip_rings(
    left: tuple[np.ndarray, np.ndarray, np.ndarray],
    right: tuple[np.ndarray, np.ndarray, np.ndarray],
    li: np.ndarray,
    ri: np.ndarray,
) -> np.ndarray:
    """:func:`clip_areas` of the pairs ``(li[k], ri[k])`` of polygons given as rings.

    The rings of each polygon are worked out once (:func:`convex_rings`), however many
    pairs it is in: a parcel with many buildings across its edges, a building across
    two parcels.

    Parameters
    ----------
    left, right
        :func:`convex_rings` of the left and of the right polygons.
    li, ri
        Equally long arrays of positions into them: the pairs. Element-wise in them, so
        they can be cut into chunks (:func:`xsland._threads.map_chunks`).

    Returns
    -------
    ndarray of float
        One per pair: :math:`a(L_{l_k} \\cap R_{r_k})`, or NaN where GEOS must compute it.
    """
    li, ri = np.asarray(li), np.asarray(ri)
    n = len(li)
    out = np.full(n, np.nan)
    for lo in range(0, n, _BATCH):
        a, b = li[lo : lo + _BATCH], ri[lo : lo + _BATCH]
        out[lo : lo + _BATCH] = _clip_batch(*(x[a] for x in left), *(x[b] for x in right))
    return out


def _clip_batch(
    px: np.ndarray,
    py: np.ndarray,
    lok: np.ndarray,
    qx: np.ndarray,
    qy: np.ndarray,
    rok: np.ndarray,
) -> np.ndarray:
    """:func:`clip_rings` of one batch of pairs, their rings gathered."""
    out = np.full(len(px), np.nan)
    both = np.flatnonzero(lok & rok)
    if len(both) == 0:
        return out
    px, py, qx, qy = px[both], py[both], qx[both], qy[both]
    # the pair's origin: the clip's first vertex (differences of nearby coordinates of
    # one magnitude are exact)
    ox, oy = qx[:, :1], qy[:, :1]
    px, py, qx, qy = px - ox, py - oy, qx - ox, qy - oy
    small = np.minimum(_shoelace(px, py), _shoelace(qx, qy)) * SMALL_SHARE
    ccw = np.where((qx[:, :-1] * qy[:, 1:] - qx[:, 1:] * qy[:, :-1]).sum(1) < 0, -1.0, 1.0)
    ex, ey = np.diff(qx, axis=1) * ccw[:, None], np.diff(qy, axis=1) * ccw[:, None]
    for j in range(ex.shape[1]):  # a padded (zero) edge keeps every vertex: no change
        s = ex[:, j : j + 1] * (py - qy[:, j : j + 1]) - ey[:, j : j + 1] * (px - qx[:, j : j + 1])
        inside = s >= 0
        cut = np.flatnonzero(~inside.all(1))  # the rings this edge cuts; the rest stay
        if len(cut) == 0:
            continue
        cx, cy, count = _cut(px[cut], py[cut], s[cut], inside[cut])
        if len(cut) == len(px):
            px, py = cx, cy
            continue
        # the rings left whole keep their vertices and closing vertex, padded with it
        width = max(cx.shape[1], px.shape[1])
        nx = np.repeat(px[:, :1], width, axis=1)
        ny = np.repeat(py[:, :1], width, axis=1)
        nx[:, : px.shape[1]] = px
        ny[:, : py.shape[1]] = py
        nx[cut] = cx[:, :width] if cx.shape[1] >= width else _pad(cx, width)
        ny[cut] = cy[:, :width] if cy.shape[1] >= width else _pad(cy, width)
        px, py = nx, ny
    area = _shoelace(px, py)
    out[both] = np.where(area >= small, area, np.nan)
    return out


def _cut(
    px: np.ndarray, py: np.ndarray, s: np.ndarray, inside: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Sutherland–Hodgman step of rings cut by an edge: the rings left, and their
    vertex counts (padded with their first vertex to one more than the most)."""
    m = len(px)
    rows = np.arange(m)[:, None]
    s0, s1 = s[:, :-1], s[:, 1:]
    keep = inside[:, :-1]
    cross = keep != inside[:, 1:]
    x0, y0 = px[:, :-1], py[:, :-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = s0 / (s0 - s1)  # only read where the signs differ: s0 != s1
        ix = x0 + t * (px[:, 1:] - x0)
        iy = y0 + t * (py[:, 1:] - y0)
    # each edge p -> q gives p (if kept), then the crossing (if any), in order
    emit = np.stack([keep, cross], 2).reshape(m, -1)
    cx = np.stack([x0, ix], 2).reshape(m, -1)[emit]
    cy = np.stack([y0, iy], 2).reshape(m, -1)[emit]
    pos = np.cumsum(emit, 1)
    count = pos[:, -1]
    width = max(int(count.max()), 1) + 1  # all emptied: one point, area 0
    dest = (rows * width + pos - 1)[emit]
    nx = np.zeros(m * width)
    ny = np.zeros(m * width)
    nx[dest] = cx
    ny[dest] = cy
    nx, ny = nx.reshape(m, width), ny.reshape(m, width)
    pad = np.arange(width)[None, :] >= count[:, None]  # closed again: first vertex
    return np.where(pad, nx[:, :1], nx), np.where(pad, ny[:, :1], ny), count


def _pad(x: np.ndarray, width: int) -> np.ndarray:
    """Rings padded with their first vertex to ``width`` columns."""
    return np.concatenate([x, np.repeat(x[:, :1], width - x.shape[1], axis=1)], axis=1)


def _shoelace(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:math:`\\tfrac12 |\\sum_i x_i y_{i+1} - x_{i+1} y_i|` of closed padded rings."""
    return np.abs((x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1]).sum(1)) / 2
