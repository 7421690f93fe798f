"""Raster evidence: zonal statistics per parcel and park, and raster outputs.

**Zonal statistics.** :func:`zonal_stats` summarises a raster band under every polygon:
the share of each class for a categorical raster (land cover), or mean / sum / min / max /
count for a continuous one. Two methods:

``"exact"``
    Every cell is weighted by the fraction of it the polygon covers,
    :math:`w_{ic} = |P_i \\cap \\text{cell}_c| / |\\text{cell}_c|`, computed exactly
    by :func:`coverage_fractions` (a vectorised scanline / Green's-theorem algorithm in
    NumPy, independent of exactextract). A parcel smaller than a cell still gets a value.
``"center"``
    A cell counts, with weight 1, when its centre lies in the polygon (GDAL's rule, as
    ``rasterstats`` and ``gdal_rasterize`` apply it). The polygons of a chunk are burnt
    together in one :func:`rasterio.features.rasterize` pass that records both the owner
    and the number of polygons claiming each cell, and counted with :func:`numpy.bincount`;
    where polygons overlap, those involved are burnt again in passes of non-overlapping
    groups (see :func:`_centre_cells`). A polygon that covers no cell centre (one smaller
    than a cell, or a thin strip) gets NaN.

Polygons in another CRS than the raster are reprojected to the raster's CRS (vertices
only); the raster is never resampled. Nodata cells (and NaN in a float band) are left
out: shares are of the polygon's *covered* area, the area over cells with data.

**Windowed reading.** The raster is cut into square tiles of at most ``max_window_cells``
cells; the polygons touching each tile are processed in chunks, and each chunk reads only
the window covering it (:func:`rasterio.windows.from_bounds`, rounded out to whole cells,
clipped to the tile). A polygon spanning several tiles is summed over them; results do not
depend on the tiling. Memory stays bounded by ``max_window_cells`` whatever the size of
the raster or the number of polygons.

**Audit helpers.** :func:`landcover_shares` (built-up and bare shares of parcels),
:func:`park_landcover` (the land-cover breakdown of each park) and
:func:`declared_built_but_bare` (a low-efficiency rule, off by default in the policy).

**Raster outputs.** :func:`rasterize_column` writes one column of a parcel layer to a
tiled, deflate-compressed GeoTIFF with overviews, atomically.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import MergeAlg, Resampling
from rasterio.errors import RasterioIOError, WindowError
from rasterio.features import rasterize
from rasterio.windows import Window, from_bounds

from xsland.errors import CRSError, DataError, InputFileError, PolicyError
from xsland.read.crs import get_crs, metric_crs, require_crs, to_crs

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_WINDOW_CELLS",
    "MAX_CLASSES",
    "METHODS",
    "WORLDCOVER_CLASSES",
    "RasterizeResult",
    "coverage_fractions",
    "declared_built_but_bare",
    "landcover_shares",
    "park_landcover",
    "rasterize_column",
    "zonal_stats",
]

#: The zonal-statistics methods.
METHODS = ("exact", "center")

#: At most this many raster cells are read at once (4 Mi cells: 4 MiB of uint8, 32 MiB of
#: float64); ``exact`` holds about a quarter as many polygon-cell pairs at once.
DEFAULT_MAX_WINDOW_CELLS = 1 << 22

#: ``exact`` processes about ``max_window_cells / 4`` polygon-cell pairs at once: with the
#: edge pieces that go with them, about 200 bytes each, so ~200 MiB by default.
_EXACT_PAIRS_DIVISOR = 4

#: At most this many polygons are processed together.
DEFAULT_CHUNK_SIZE = 100_000

#: A categorical band with more distinct values than this under the polygons is refused:
#: it is almost certainly continuous.
MAX_CLASSES = 1024

#: ESA WorldCover 10 m class codes and names (v100/v200 legend), a default for
#: ``class_names`` when the land-cover raster is WorldCover.
WORLDCOVER_CLASSES: dict[int, str] = {
    10: "tree",
    20: "shrubland",
    30: "grassland",
    40: "cropland",
    50: "built_up",
    60: "bare",
    70: "snow_ice",
    80: "water",
    90: "wetland",
    95: "mangroves",
    100: "moss_lichen",
}

#: Coverage fractions at or below this (of a cell) are rounding noise and dropped.
_COVERAGE_TOL = 1e-10

#: At most this many polygons go into one ``center`` rasterisation pass (see
#: :func:`_centre_cells`: label and count share one float64 sum, exact below 2**53).
_CENTRE_CHUNK = 1 << 17

#: :func:`rasterize_column` refuses grids larger than this (a mistyped resolution).
_MAX_OUTPUT_CELLS = 10**10

#: Overviews are added until the coarsest level fits into one tile of this size.
_BLOCK = 256


# ---------------------------------------------------------------------------
# the raster
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """An open raster band and the facts about it the algorithms need."""

    ds: Any
    name: str
    band: int
    crs: CRS
    transform: Affine
    height: int
    width: int
    block: tuple[int, int]
    is_float: bool

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """Values and validity (not nodata, not masked, finite) of ``window``."""
        arr = self.ds.read(self.band, window=window, masked=True)
        data = np.asarray(arr.data)
        valid = ~np.ma.getmaskarray(arr)
        if self.is_float:
            valid &= np.isfinite(data)
        return data, valid


@contextmanager
def _open_raster(raster: Any, band: int) -> Iterator[_Source]:
    """Open ``raster`` (a path, or an open rasterio dataset left open) as a :class:`_Source`."""
    if isinstance(raster, str | os.PathLike):
        name = os.fspath(raster)
        try:
            ds = rasterio.open(name)
        except RasterioIOError as exc:
            raise InputFileError(
                f"cannot open raster {name}: {exc}. Check the path (a GeoTIFF or any "
                "raster GDAL reads) in the project file"
            ) from exc
        with ds:
            yield _source(ds, band, name)
    else:
        if not hasattr(raster, "read") or not hasattr(raster, "transform"):
            raise DataError(
                f"raster must be a file path or an open rasterio dataset, not "
                f"{type(raster).__name__}"
            )
        yield _source(raster, band, str(getattr(raster, "name", raster)))


def _source(ds: Any, band: int, name: str) -> _Source:
    if isinstance(band, bool) or not isinstance(band, int | np.integer):
        raise PolicyError(f"band must be an integer (1 for the first band), not {band!r}")
    if not 1 <= band <= ds.count:
        raise PolicyError(
            f"raster {name} has {ds.count} band{'s' if ds.count != 1 else ''}, so band={band} "
            f"does not exist; choose band=1..{ds.count}"
        )
    if ds.crs is None:
        raise CRSError(
            f"raster {name} has no CRS (coordinate reference system), so xsland cannot "
            "place the polygons on it. Set it, e.g. `rio edit-info --crs EPSG:4549 "
            f"{name}` or `gdal_edit.py -a_srs EPSG:4549 {name}` (EPSG:4549 is CGCS2000 / "
            "3-degree Gauss-Kruger CM 120E)"
        )
    transform = ds.transform
    if transform.determinant == 0:
        raise DataError(
            f"raster {name} has no usable geotransform ({transform!r}); georeference it "
            "(e.g. with gdal_translate -a_ullr or gdalwarp) first"
        )
    block = tuple(int(b) for b in ds.block_shapes[band - 1])
    dtype = np.dtype(ds.dtypes[band - 1])
    return _Source(
        ds=ds,
        name=name,
        band=int(band),
        crs=get_crs(ds.crs),
        transform=transform,
        height=int(ds.height),
        width=int(ds.width),
        block=(block[0], block[1]),
        is_float=bool(np.issubdtype(dtype, np.floating)),
    )


# ---------------------------------------------------------------------------
# polygons
# ---------------------------------------------------------------------------


def _geoseries(polygons: Any, what: str) -> gpd.GeoSeries:
    if isinstance(polygons, gpd.GeoDataFrame):
        return polygons.geometry
    if isinstance(polygons, gpd.GeoSeries):
        return polygons
    raise DataError(f"{what} must be a GeoDataFrame or GeoSeries, not {type(polygons).__name__}")


def _polygon_parts(geoms: np.ndarray) -> np.ndarray:
    """The polygonal parts of each geometry, as one MultiPolygon each (None when none)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    for _ in range(4):  # make_valid nests at most GeometryCollection > Multi* > part
        nested = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
        if not nested.any():
            break
        sub, at = shapely.get_parts(parts, return_index=True)
        parts, owner = sub, owner[at]
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    out = np.empty(len(geoms), dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """A new array of valid Polygon/MultiPolygon geometries, or None where there is no area.

    Invalid polygons are repaired with :func:`shapely.make_valid` (the "linework" method)
    and any lines or points it produces are dropped; points and lines have no area and
    become None, as do missing and empty geometries.
    """
    out = np.array(geoms, dtype=object, copy=True)
    missing = shapely.is_missing(out)
    missing[~missing] = shapely.is_empty(out[~missing])
    out[missing] = None
    tid = shapely.get_type_id(out)
    poly = (tid == 3) | (tid == 6)
    bad = np.zeros(len(out), dtype=bool)
    bad[poly] = ~shapely.is_valid(out[poly])
    fix = bad | (~poly & ~missing)
    if fix.any():
        g = out[fix]
        g[bad[fix]] = shapely.make_valid(g[bad[fix]])
        out[fix] = _polygon_parts(g)
    return out


def _prepare(polygons: Any, src: _Source, what: str) -> np.ndarray:
    """Polygons of ``polygons`` in the raster's CRS, valid, as an object array."""
    gs = _geoseries(polygons, what)
    crs = require_crs(gs)
    if not crs.equals(src.crs, ignore_axis_order=True):
        gs = to_crs(gs, src.crs)
    return _polygonal(np.asarray(gs.array, dtype=object))


# ---------------------------------------------------------------------------
# exact coverage fractions
# ---------------------------------------------------------------------------


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` copies of each i: the owner ``i`` and the rank ``0..counts[i]-1``."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(owner)) - np.repeat(starts, counts)
    return owner, rank


def _window_transform(win: Window, transform: Affine) -> Affine:
    """The transform of ``win``: ``transform`` moved to the window's first cell."""
    col, row = win.col_off, win.row_off
    t = transform
    return Affine(t.a, t.b, t.c + t.a * col + t.b * row, t.d, t.e, t.f + t.d * col + t.e * row)


def _to_pixels(xy: np.ndarray, transform: Affine) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(u, v)`` (column, row; fractional) of map coordinates.

    :math:`(u, v) = T^{-1}(x, y)`, evaluated as :math:`T^{-1}_{lin}(x - c, y - f)` so that
    large map coordinates (3.5e6 m northings) lose no precision.
    """
    inv = ~transform
    x = xy[:, 0] - transform.c
    y = xy[:, 1] - transform.f
    return inv.a * x + inv.b * y, inv.d * x + inv.e * y


def _empty_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    e = np.empty(0, dtype=np.intp)
    return e, e.copy(), e.copy(), np.empty(0, dtype=float)


def coverage_fractions(
    geoms: Any, *, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact fraction of every raster cell covered by every polygon.

    Works in pixel coordinates :math:`(u, v) = T^{-1}(x, y)`, where cell
    :math:`(r, c)` is the unit square :math:`[c, c+1] \\times [r, r+1]`; any affine
    ``transform`` (rotated, south-up) works because affine maps keep area ratios.
    By Green's theorem, with :math:`f_r(v) = \\operatorname{clamp}(r + 1 - v, 0, 1)`
    (so :math:`\\partial f_r / \\partial v = -1` inside row *r*, 0 elsewhere), the area
    of polygon *P* in cell :math:`(r, c)` is

    .. math::

        a_{rc} = \\oint_{\\partial P} \\mathbf 1[c \\le u < c + 1]\\, f_r(v)\\, du

    over the positively oriented boundary (exteriors counter-clockwise in
    :math:`(u, v)`, holes clockwise; each ring's orientation is read from its shoelace
    sign, so input orientation does not matter). Every edge is split at each integer
    :math:`u` and :math:`v` it crosses into pieces lying in one cell :math:`(r', c)`;
    a piece with signed length :math:`\\Delta u` and mean :math:`\\bar v` contributes
    :math:`A_{r'c} = \\Delta u\\,(r' + 1 - \\bar v)` to its own cell and
    :math:`C_{r'c} = \\Delta u` to every cell below it (:math:`r > r'`, where
    :math:`f_r = 1`), so

    .. math:: a_{rc} = A_{rc} + \\sum_{r' < r} C_{r'c},

    a cumulative sum down each column of a per-polygon grid spanning the polygon's
    bounding box. Vertical edges contribute nothing. Pieces above the grid (outside the
    window) add to its first row, pieces below or beside it are dropped; so a window cut
    out of a larger raster gives the same fractions for its cells. Everything is
    vectorised over all edges of all polygons.

    Parameters
    ----------
    geoms
        Valid Polygons / MultiPolygons (array-like; None and empty allowed) in the
        raster's CRS.
    transform
        Affine transform of the grid (of the window, when reading a window).
    shape
        ``(height, width)`` of the grid; cells outside it are not returned.

    Returns
    -------
    tuple of numpy.ndarray
        ``(polygon, row, col, fraction)``: position of the polygon in ``geoms``, the
        cell, and :math:`a_{rc} \\in (10^{-10}, 1]`, one entry per cell with positive
        coverage, grouped by polygon. :math:`\\sum a_{rc}` times the cell area is the
        area of the polygon inside the grid.
    """
    geoms = np.asarray(geoms, dtype=object)
    h, w = int(shape[0]), int(shape[1])
    m = len(geoms)
    if m == 0 or h <= 0 or w <= 0:
        return _empty_cells()
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    parts, part_of = parts[keep], part_of[keep]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if len(rings) == 0:
        return _empty_cells()
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    u, v = _to_pixels(xy, transform)
    owner_c = part_of[ring_part[ring_of]]  # polygon of each vertex, ascending

    # per-polygon grid: the bounding box of its vertices, rounded out, clipped to the window
    present, first = np.unique(owner_c, return_index=True)
    bb = np.empty((4, m))
    bb[:2], bb[2:] = np.inf, -np.inf
    bb[0, present] = np.minimum.reduceat(u, first)
    bb[1, present] = np.minimum.reduceat(v, first)
    bb[2, present] = np.maximum.reduceat(u, first)
    bb[3, present] = np.maximum.reduceat(v, first)
    c0 = np.clip(np.floor(bb[0]), 0, w).astype(np.int64)
    r0 = np.clip(np.floor(bb[1]), 0, h).astype(np.int64)
    ncol = np.maximum(np.clip(np.ceil(bb[2]), 0, w).astype(np.int64) - c0, 0)
    nrow = np.maximum(np.clip(np.ceil(bb[3]), 0, h).astype(np.int64) - r0, 0)
    ncol[nrow == 0] = 0
    stride = nrow + 1  # one extra row per column makes every column sum to zero
    size = ncol * stride
    offset = np.cumsum(size) - size
    total = int(size.sum())
    if total == 0:
        return _empty_cells()

    # edges, oriented: exteriors positive, holes negative, whatever the input orientation
    k = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    ering = ring_of[k]
    u0, v0, u1, v1 = u[k], v[k], u[k + 1], v[k + 1]
    area2 = np.bincount(ering, u0 * v1 - u1 * v0, minlength=len(rings))
    ring_sign = np.where(exterior, 1.0, -1.0) * np.sign(area2)
    sgn = ring_sign[ering] * np.sign(u1 - u0)  # 0 for vertical edges: they add nothing
    own = part_of[ring_part[ering]]
    lo = np.maximum(np.minimum(u0, u1), c0[own])
    hi = np.minimum(np.maximum(u0, u1), c0[own] + ncol[own])
    e = np.flatnonzero((sgn != 0) & (lo < hi))
    u0, v0, own, lo, hi, sgn = u0[e], v0[e], own[e], lo[e], hi[e], sgn[e]
    slope = (v1[e] - v0) / (u1[e] - u0)
    del u, v, xy, ring_of, owner_c, u1, v1, k, ering

    # pass 1: split at every integer u, giving pieces inside one column
    f0 = np.floor(lo)
    ei, kk = _expand((np.ceil(hi) - f0).astype(np.int64))
    col = f0[ei] + kk
    ua = np.maximum(lo[ei], col)
    ub = np.minimum(hi[ei], col + 1.0)
    va = v0[ei] + (ua - u0[ei]) * slope[ei]
    vb = v0[ei] + (ub - u0[ei]) * slope[ei]
    du = (ub - ua) * sgn[ei]
    own = own[ei]
    col = col.astype(np.int64)
    del ua, ub, ei, kk, u0, v0, lo, hi, sgn, slope, f0

    # pass 2: split at every integer v, giving pieces inside one cell
    vlo = np.minimum(va, vb)
    vhi = np.maximum(va, vb)
    dv = vhi - vlo
    top = r0[own]
    bot = top + nrow[own]
    alive = vlo < bot  # pieces below the grid only reach rows outside it
    with np.errstate(invalid="ignore", divide="ignore"):
        # the part above the grid's first row: full height for every row of the grid
        above = np.flatnonzero(alive & (vlo < top))
        fa = np.where(
            dv[above] > 0, (np.minimum(vhi[above], top[above]) - vlo[above]) / dv[above], 1.0
        )
        a_above = du[above] * fa
        lo2 = np.maximum(vlo, top)
        hi2 = np.minimum(vhi, bot)
        inside = alive & ((hi2 > lo2) | ((dv == 0) & (vlo >= top)))
        g0 = np.floor(lo2)
        n2 = np.where(inside, np.maximum(np.ceil(hi2) - g0, 1.0), 0.0).astype(np.int64)
        pi, kk = _expand(n2)
        row = g0[pi] + kk
        v_a = np.maximum(lo2[pi], row)
        v_b = np.minimum(hi2[pi], row + 1.0)
        d = du[pi] * np.where(dv[pi] > 0, (v_b - v_a) / dv[pi], 1.0)
    a_in = d * (row + 1.0 - 0.5 * (v_a + v_b))
    own_in = own[pi]
    idx_in = (
        offset[own_in] + (col[pi] - c0[own_in]) * stride[own_in] + (row.astype(np.int64) - top[pi])
    )
    own_ab = own[above]
    idx_ab = offset[own_ab] + (col[above] - c0[own_ab]) * stride[own_ab]
    del vlo, vhi, dv, lo2, hi2, g0, n2, v_a, v_b, row, kk, va, vb, top, bot, alive, inside
    idx = np.concatenate([idx_in, idx_ab])
    acc_a = np.bincount(idx, np.concatenate([a_in, a_above]), minlength=total)
    acc_c = np.bincount(idx, np.concatenate([d, a_above]), minlength=total)
    del idx, idx_in, idx_ab, a_in, d, a_above, pi, own, col, du

    # cumulative sum down each column: a = A + sum of C above
    p_col, j = _expand(ncol)
    col_start = offset[p_col] + j * stride[p_col]
    spare = col_start + nrow[p_col]
    acc_c[spare] -= np.add.reduceat(acc_c, col_start)
    cov = np.cumsum(acc_c)
    cov -= acc_c  # exclusive sum
    del acc_c
    cov -= np.repeat(cov[col_start], stride[p_col])
    cov += acc_a
    del acc_a
    cov[spare] = 0.0
    sel = np.flatnonzero(cov > _COVERAGE_TOL)
    poly = np.searchsorted(offset, sel, side="right") - 1
    within = sel - offset[poly]
    return (
        poly,
        r0[poly] + within % stride[poly],
        c0[poly] + within // stride[poly],
        np.minimum(cov[sel], 1.0),
    )


# ---------------------------------------------------------------------------
# cell centres (GDAL's rule), with overlaps
# ---------------------------------------------------------------------------


def _burn_shapes(geoms: np.ndarray, values: Sequence[Any]) -> list[tuple[dict, Any]]:
    """GeoJSON-like ``(shape, value)`` pairs, one per polygon part, built from arrays.

    Much faster than handing shapely geometries to :func:`rasterio.features.rasterize`
    (which asks each for ``__geo_interface__``). The parts of a valid MultiPolygon do not
    overlap, so burning them separately with the same value equals burning the whole.
    """
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    if len(parts) == 0:
        return []
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    ring_xy = np.split(xy, np.flatnonzero(np.diff(ring_of)) + 1)
    bounds = np.r_[0, np.flatnonzero(np.diff(ring_part)) + 1, len(rings)]
    vals = [values[i] for i in owner.tolist()]
    return [
        ({"type": "Polygon", "coordinates": ring_xy[a:b]}, val)
        for a, b, val in zip(bounds[:-1].tolist(), bounds[1:].tolist(), vals, strict=True)
    ]


def _colour(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Colour ``n`` nodes so that no edge ``(i, j)`` joins two nodes of one colour.

    Each colour is a maximal independent set of the nodes still uncoloured, grown in
    rounds (Luby): a node joins when its (fixed, pseudo-random) priority beats that of
    every available neighbour. Loops run over rounds, each vectorised over the edges.
    """
    colour = np.full(n, -1, dtype=np.int64)
    prio = np.random.default_rng(0).permutation(n)
    c = 0
    while (colour < 0).any():
        avail = colour < 0
        while avail.any():
            live = avail[i] & avail[j]
            a, b = i[live], j[live]
            beaten = np.zeros(n, dtype=bool)
            beaten[np.where(prio[a] < prio[b], a, b)] = True
            pick = avail & ~beaten
            colour[pick] = c
            blocked = pick.copy()
            blocked[j[pick[i]]] = True
            blocked[i[pick[j]]] = True
            avail &= ~blocked
        c += 1
    return colour


def _pixel_bbox(
    bounds: np.ndarray, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells ``[c0, c1) x [r0, r1)`` touched by each bounding box, clipped to ``shape``.

    The box's corners are mapped to pixel coordinates and rounded out to whole cells.
    """
    h, w = shape
    xs = bounds[:, [0, 0, 2, 2]]
    ys = bounds[:, [1, 3, 1, 3]]
    u, v = _to_pixels(np.column_stack([xs.ravel(), ys.ravel()]), transform)
    u, v = u.reshape(-1, 4), v.reshape(-1, 4)
    c0 = np.clip(np.floor(u.min(axis=1)), 0, w).astype(np.int64)
    c1 = np.clip(np.ceil(u.max(axis=1)), 0, w).astype(np.int64)
    r0 = np.clip(np.floor(v.min(axis=1)), 0, h).astype(np.int64)
    r1 = np.clip(np.ceil(v.max(axis=1)), 0, h).astype(np.int64)
    return c0, c1, r0, r1


def _centre_cells(
    geoms: np.ndarray, *, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells whose centre lies in each polygon (GDAL's rasterisation rule).

    1. One pass burns every polygon with :data:`~rasterio.enums.MergeAlg.add` into a
       float64 raster, polygon *p* (0-based) adding :math:`1 + K p` with
       :math:`K = 2^{\\lceil \\log_2 (m + 1) \\rceil} > m` for *m* polygons. A cell
       holding :math:`s = n + K \\sum p` was claimed by :math:`n = s \\bmod K` polygons;
       where :math:`n = 1` its owner is :math:`p = \\lfloor s / K \\rfloor`. Sums stay
       below :math:`2 m^3 \\le 2^{52}` for :math:`m \\le 2^{17}`
       (:data:`_CENTRE_CHUNK`), so double arithmetic is exact. Adjacent polygons never
       share a centre (GDAL's fill is half-open), so :math:`n > 1` means a true overlap.
    2. Polygons whose bounding box holds no cell with :math:`n > 1` (a summed-area
       table of that mask answers for all at once) keep their cells from that pass.
    3. The others are coloured so that polygons with intersecting bounding boxes get
       different colours (:func:`_colour`), and each colour is burnt again in a label
       pass of its own. Without overlaps (the normal case for parcels) there is one pass.

    Returns
    -------
    tuple of numpy.ndarray
        ``(polygon, row, col)``, one entry per (polygon, cell) pair.
    """
    h, w = shape
    m = len(geoms)
    if m > _CENTRE_CHUNK:
        raise ValueError(f"at most {_CENTRE_CHUNK} polygons per pass, not {m}")
    k = 1 << int(m).bit_length()
    shapes = _burn_shapes(geoms, (1.0 + k * np.arange(m, dtype=np.float64)).tolist())
    if not shapes:
        e = np.empty(0, dtype=np.intp)
        return e, e.copy(), e.copy()
    acc = rasterize(
        shapes,
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="float64",
        all_touched=False,
        merge_alg=MergeAlg.add,
    ).astype(np.int64)
    count = acc % k
    cells = np.flatnonzero(count == 1)
    poly = [acc.ravel()[cells] // k]
    rows, cols = [cells // w], [cells % w]
    multi = count > 1
    del acc, count
    if multi.any():
        sat = np.zeros((h + 1, w + 1), dtype=np.int64)
        sat[1:, 1:] = np.cumsum(np.cumsum(multi, axis=0), axis=1)
        c0, c1, r0, r1 = _pixel_bbox(shapely.bounds(geoms), transform, shape)
        inside = sat[r1, c1] - sat[r0, c1] - sat[r1, c0] + sat[r0, c0]
        cand = np.flatnonzero(inside > 0)
        keep = ~np.isin(poly[0], cand)
        poly[0], rows[0], cols[0] = poly[0][keep], rows[0][keep], cols[0][keep]
        boxes = shapely.box(c0[cand], r0[cand], c1[cand], r1[cand])
        a, b = shapely.STRtree(boxes).query(boxes, predicate="intersects")
        colour = _colour(len(cand), a[a != b], b[a != b])
        for c in range(int(colour.max()) + 1):
            group = cand[colour == c]
            batch = _burn_shapes(geoms[group], (group + 1).tolist())
            if not batch:
                continue
            lab = rasterize(
                batch, out_shape=shape, transform=transform, fill=0, dtype="int32"
            ).ravel()
            hit = np.flatnonzero(lab)
            poly.append(lab[hit].astype(np.int64) - 1)
            rows.append(hit // w)
            cols.append(hit % w)
    return np.concatenate(poly).astype(np.intp), np.concatenate(rows), np.concatenate(cols)


# ---------------------------------------------------------------------------
# chunks and windows
# ---------------------------------------------------------------------------


def _check_options(method: str, max_window_cells: int | None, chunk_size: int) -> None:
    if method not in METHODS:
        raise PolicyError(
            f"unknown zonal-statistics method {method!r}; use 'exact' (area-weighted) or "
            "'center' (cell centres)"
        )
    if max_window_cells is not None and (
        isinstance(max_window_cells, bool) or int(max_window_cells) < 1
    ):
        raise PolicyError(
            f"max_window_cells must be a positive number of cells (or None), "
            f"not {max_window_cells!r}"
        )
    if isinstance(chunk_size, bool) or int(chunk_size) < 1:
        raise PolicyError(f"chunk_size must be a positive number of polygons, not {chunk_size!r}")


def _window(bounds: np.ndarray, src: _Source) -> tuple[int, int, int, int]:
    """Cells ``(c0, c1, r0, r1)`` of the window covering ``bounds``, rounded out to whole
    cells and clipped to the raster (:func:`rasterio.windows.from_bounds`)."""
    left, bottom, right, top = (float(b) for b in bounds)
    try:
        win = from_bounds(left, bottom, right, top, transform=src.transform)
    except WindowError:  # south-up rasters: the same computation, from the corners
        c0, c1, r0, r1 = _pixel_bbox(bounds[None, :], src.transform, (src.height, src.width))
        return int(c0[0]), int(c1[0]), int(r0[0]), int(r1[0])
    c0, r0 = math.floor(win.col_off), math.floor(win.row_off)
    c1, r1 = math.ceil(win.col_off + win.width), math.ceil(win.row_off + win.height)
    return (
        min(max(c0, 0), src.width),
        min(max(c1, 0), src.width),
        min(max(r0, 0), src.height),
        min(max(r1, 0), src.height),
    )


def _tile_side(src: _Source, max_window_cells: int | None) -> tuple[int, int]:
    """Rows and columns of a tile: a square of at most ``max_window_cells`` cells,
    rounded down to whole blocks of the file when it holds at least one."""
    if max_window_cells is None:
        return src.height, src.width
    side = max(math.isqrt(int(max_window_cells)), 1)
    bh, bw = src.block
    th = side - side % bh if side >= bh else side
    tw = side - side % bw if side >= bw else side
    return th, tw


def _chunks(
    geoms: np.ndarray,
    src: _Source,
    *,
    method: str,
    max_window_cells: int | None,
    chunk_size: int,
) -> Iterator[tuple[np.ndarray, Window]]:
    """Groups of polygon positions and the raster window each group needs.

    The raster is cut into tiles (:func:`_tile_side`). Every (polygon, tile) pair whose
    boxes meet is listed; pairs are sorted by tile, then row, then column, and cut into
    chunks of at most ``chunk_size`` polygons and, for ``exact``, about
    ``max_window_cells / 4`` cells of per-polygon grids (vertices count as cells). A
    polygon spanning several tiles comes in several chunks, each time restricted to the
    tile's cells, so no cell is counted twice.
    """
    ok = np.flatnonzero(~shapely.is_missing(geoms))
    if len(ok) == 0:
        return
    bounds = shapely.bounds(geoms[ok])
    c0, c1, r0, r1 = _pixel_bbox(bounds, src.transform, (src.height, src.width))
    has = (c1 > c0) & (r1 > r0)
    ok, bounds, c0, c1, r0, r1 = ok[has], bounds[has], c0[has], c1[has], r0[has], r1[has]
    if len(ok) == 0:
        return
    th, tw = _tile_side(src, max_window_cells)
    ntx = -(-src.width // tw)
    tx0, tx1, ty0, ty1 = c0 // tw, (c1 - 1) // tw, r0 // th, (r1 - 1) // th
    nx = tx1 - tx0 + 1
    p, k = _expand(nx * (ty1 - ty0 + 1))
    tx = tx0[p] + k % nx[p]
    ty = ty0[p] + k // nx[p]
    pc0 = np.maximum(c0[p], tx * tw)
    pc1 = np.minimum(c1[p], (tx + 1) * tw)
    pr0 = np.maximum(r0[p], ty * th)
    pr1 = np.minimum(r1[p], (ty + 1) * th)
    tile = ty * ntx + tx
    order = np.lexsort((pc0, pr0, tile))
    p, tile = p[order], tile[order]
    n = len(p)
    pos = np.arange(n)
    new_tile = np.r_[True, tile[1:] != tile[:-1]]
    tile_first = np.maximum.accumulate(np.where(new_tile, pos, 0))
    if method == "center":
        chunk_size = min(int(chunk_size), _CENTRE_CHUNK)
    new = new_tile.copy()
    by_count = (pos - tile_first) // int(chunk_size)
    new[1:] |= by_count[1:] != by_count[:-1]
    if method == "exact" and max_window_cells is not None:
        nv = shapely.get_num_coordinates(geoms[ok])
        cost = ((pc1 - pc0) * (pr1 - pr0 + 1))[order] + nv[p]
        before = np.cumsum(cost) - cost
        budget = max(int(max_window_cells) // _EXACT_PAIRS_DIVISOR, 1)
        by_cost = (before - before[tile_first]) // budget
        new[1:] |= by_cost[1:] != by_cost[:-1]
    start = np.flatnonzero(new)
    end = np.r_[start[1:], n]
    for s, e in zip(start.tolist(), end.tolist(), strict=True):
        members = p[s:e]
        t = int(tile[s])
        tr0, tc0 = (t // ntx) * th, (t % ntx) * tw
        mb = bounds[members]
        wc0, wc1, wr0, wr1 = _window(
            np.array([mb[:, 0].min(), mb[:, 1].min(), mb[:, 2].max(), mb[:, 3].max()]), src
        )
        wc0, wr0 = max(wc0, tc0), max(wr0, tr0)
        wc1, wr1 = min(wc1, tc0 + tw, src.width), min(wr1, tr0 + th, src.height)
        if wc1 > wc0 and wr1 > wr0:
            yield ok[members], Window(wc0, wr0, wc1 - wc0, wr1 - wr0)


# ---------------------------------------------------------------------------
# accumulation
# ---------------------------------------------------------------------------


class _Sums:
    """Running per-polygon sums over all chunks (categorical or continuous)."""

    def __init__(self, n: int, *, categorical: bool, name: str) -> None:
        self.n = n
        self.categorical = categorical
        self.name = name
        self.classes: dict[Any, np.ndarray] = {}
        self.count = np.zeros(n)
        self.total = np.zeros(n)
        self.vmin = np.full(n, np.inf)
        self.vmax = np.full(n, -np.inf)

    def add(
        self,
        members: np.ndarray,
        poly: np.ndarray,
        weight: np.ndarray | None,
        values: np.ndarray,
    ) -> None:
        """Add cells: ``poly`` (position in ``members``), ``weight`` (None: 1) and value."""
        m = len(members)
        if self.categorical:
            self._add_classes(members, poly, weight, values)
            return
        x = values.astype(float)
        self.count[members] += np.bincount(poly, weight, minlength=m)
        self.total[members] += np.bincount(poly, x if weight is None else weight * x, minlength=m)
        lo = np.full(m, np.inf)
        hi = np.full(m, -np.inf)
        np.minimum.at(lo, poly, x)
        np.maximum.at(hi, poly, x)
        self.vmin[members] = np.minimum(self.vmin[members], lo)
        self.vmax[members] = np.maximum(self.vmax[members], hi)

    def _add_classes(
        self, members: np.ndarray, poly: np.ndarray, weight: np.ndarray | None, values: np.ndarray
    ) -> None:
        m = len(members)
        if len(values) == 0:
            return
        span = 0
        if np.issubdtype(values.dtype, np.integer):
            vmin = int(values.min())
            span = int(values.max()) - vmin + 1
        if 0 < span <= 4096:  # integer codes: offsets instead of a sort
            code = (values.astype(np.int64) - vmin).astype(np.intp)
            present = np.flatnonzero(np.bincount(code, minlength=span))
            remap = np.zeros(span, dtype=np.intp)
            remap[present] = np.arange(len(present))
            code = remap[code]
            classes = present + vmin
        else:
            classes, code = np.unique(values, return_inverse=True)
        k = len(classes)
        if k > MAX_CLASSES or len(self.classes.keys() | set(classes.tolist())) > MAX_CLASSES:
            raise DataError(
                f"raster {self.name} has more than {MAX_CLASSES} distinct values under the "
                "polygons; it looks continuous: pass categorical=False"
            )
        sums = np.bincount(poly * k + code, weight, minlength=m * k).reshape(m, k)
        for j, cls in enumerate(classes.tolist()):
            acc = self.classes.get(cls)
            if acc is None:
                acc = self.classes[cls] = np.zeros(self.n)
            acc[members] += sums[:, j]

    def class_table(self) -> tuple[list[Any], np.ndarray]:
        """Sorted class values and the ``(n, k)`` matrix of weights."""
        classes = sorted(self.classes)
        if not classes:
            return [], np.zeros((self.n, 0))
        return classes, np.column_stack([self.classes[c] for c in classes])


def _zonal_sums(
    geoms: np.ndarray,
    src: _Source,
    *,
    categorical: bool,
    method: str,
    max_window_cells: int | None,
    chunk_size: int,
) -> _Sums:
    sums = _Sums(len(geoms), categorical=categorical, name=src.name)
    for members, win in _chunks(
        geoms, src, method=method, max_window_cells=max_window_cells, chunk_size=chunk_size
    ):
        wt = _window_transform(win, src.transform)
        shape = (int(win.height), int(win.width))
        if method == "exact":
            poly, row, col, weight = coverage_fractions(geoms[members], transform=wt, shape=shape)
        else:
            poly, row, col = _centre_cells(geoms[members], transform=wt, shape=shape)
            weight = None
        if len(poly) == 0:
            continue
        data, valid = src.read(win)
        ok = valid[row, col]
        sums.add(
            members,
            poly[ok],
            None if weight is None else weight[ok],
            data[row[ok], col[ok]],
        )
    return sums


def _class_code(key: Any) -> Any:
    """A class code from a mapping key: TOML tables give ``"50"``, meaning 50."""
    if isinstance(key, str):
        try:
            return int(key)
        except ValueError:
            try:
                return float(key)
            except ValueError:
                raise PolicyError(
                    f"land-cover class {key!r} in class_names is not a number; the keys are "
                    "the raster's class codes, e.g. {50: 'built_up'}"
                ) from None
    return key.item() if isinstance(key, np.generic) else key


def _class_label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _class_weights(
    polygons: Any,
    raster: Any,
    *,
    method: str,
    band: int,
    max_window_cells: int | None,
    chunk_size: int,
    what: str,
) -> tuple[list[Any], np.ndarray]:
    """Class values and the ``(n, k)`` covered area (in cells) of each class per polygon."""
    _check_options(method, max_window_cells, chunk_size)
    with _open_raster(raster, band) as src:
        geoms = _prepare(polygons, src, what)
        sums = _zonal_sums(
            geoms,
            src,
            categorical=True,
            method=method,
            max_window_cells=max_window_cells,
            chunk_size=chunk_size,
        )
    return sums.class_table()


# ---------------------------------------------------------------------------
# public: zonal statistics
# ---------------------------------------------------------------------------


def zonal_stats(
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: str | os.PathLike | Any,
    *,
    categorical: bool = True,
    method: str = "exact",
    band: int = 1,
    max_window_cells: int | None = DEFAULT_MAX_WINDOW_CELLS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> pd.DataFrame:
    """Statistics of a raster band under each polygon.

    With :math:`w_{ic}` the weight of cell *c* for polygon *i* (its covered fraction
    :math:`a_{ic}` for ``exact``, 1 when the cell's centre lies in the polygon for
    ``center``) and :math:`V_i` the cells with data (not nodata, not masked, not NaN):

    categorical
        one column ``frac_<value>`` per class value present under any polygon,
        :math:`\\text{frac}_{ik} = \\sum_{c \\in V_i, x_c = k} w_{ic} /
        \\sum_{c \\in V_i} w_{ic}`: shares of the polygon's covered area, summing to 1.
    continuous
        ``mean`` :math:`= \\sum w x / \\sum w`, ``sum`` :math:`= \\sum w x`,
        ``count`` :math:`= \\sum w` (cells, fractional for ``exact``), ``min`` and
        ``max`` of :math:`x` over cells with :math:`w > 0` (exactextract's definitions).

    Polygons entirely outside the raster or over nodata get NaN (and ``count`` 0).

    Parameters
    ----------
    polygons
        A GeoDataFrame or GeoSeries with a CRS. Polygons in another CRS than the raster
        are reprojected to the raster's CRS (vertices only; the raster is never
        resampled). Invalid polygons are repaired with :func:`shapely.make_valid`; rows
        without area (missing, empty, points, lines) get NaN. Not modified.
    raster
        Path of a raster GDAL reads, or an open rasterio dataset (left open).
    categorical
        Class shares (True) or continuous statistics (False).
    method
        ``"exact"`` (area-weighted by :func:`coverage_fractions`; a polygon smaller than
        a cell still gets a value) or ``"center"`` (cell centres, as ``rasterstats``
        with ``all_touched=False``; a polygon covering no centre gets NaN).
    band
        Band number, from 1.
    max_window_cells
        At most this many cells are read at once (and, for ``exact``, about a quarter as
        many polygon-cell pairs are processed at once): the raster is read tile by tile,
        so it may be larger than memory. None: no limit (each chunk of polygons reads the
        whole window it covers, and ``exact`` holds all its pairs at once).
    chunk_size
        At most this many polygons are processed together.

    Returns
    -------
    pandas.DataFrame
        Aligned to the input's index.

    Raises
    ------
    CRSError
        If the polygons or the raster have no CRS.
    InputFileError
        If the raster cannot be opened.
    PolicyError
        For an unknown ``method``, a ``band`` the raster lacks, or bad sizes.
    DataError
        For a "categorical" raster with more than :data:`MAX_CLASSES` values.

    Examples
    --------
    >>> stats = zonal_stats(parcels, "landcover.tif")  # doctest: +SKIP
    >>> stats["frac_50"]  # built-up share of each parcel  # doctest: +SKIP
    """
    _check_options(method, max_window_cells, chunk_size)
    index = _geoseries(polygons, "polygons").index
    with _open_raster(raster, band) as src:
        geoms = _prepare(polygons, src, "polygons")
        sums = _zonal_sums(
            geoms,
            src,
            categorical=categorical,
            method=method,
            max_window_cells=max_window_cells,
            chunk_size=chunk_size,
        )
    if categorical:
        classes, weights = sums.class_table()
        total = weights.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, weights / total, np.nan)
        return pd.DataFrame(frac, index=index, columns=[f"frac_{_class_label(c)}" for c in classes])
    covered = sums.count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(covered, sums.total / sums.count, np.nan)
    return pd.DataFrame(
        {
            "mean": mean,
            "sum": np.where(covered, sums.total, np.nan),
            "min": np.where(covered, sums.vmin, np.nan),
            "max": np.where(covered, sums.vmax, np.nan),
            "count": sums.count,
        },
        index=index,
    )


# ---------------------------------------------------------------------------
# public: audit helpers
# ---------------------------------------------------------------------------


def _class_set(classes: Iterable[Any], what: str) -> list[Any]:
    if isinstance(classes, str | bytes) or not isinstance(classes, Iterable):
        classes = [classes]
    out = list(classes)
    if not out:
        raise PolicyError(f"{what} is empty; give at least one land-cover class code")
    return out


def landcover_shares(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: str | os.PathLike | Any,
    *,
    built_classes: Sequence[int] = (50,),
    bare_classes: Sequence[int] = (60,),
    method: str = "exact",
    band: int = 1,
    max_window_cells: int | None = DEFAULT_MAX_WINDOW_CELLS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> pd.DataFrame:
    """Built-up and bare shares of each parcel's covered area.

    .. math::

        \\text{built\\_share}_i = \\frac{\\sum_{c \\in V_i,\\ x_c \\in B} w_{ic}}
                                        {\\sum_{c \\in V_i} w_{ic}}, \\qquad
        \\text{bare\\_share}_i \\text{ likewise with the bare classes}

    (weights and :math:`V_i` as in :func:`zonal_stats`).

    Parameters
    ----------
    parcels
        Parcel layer with a CRS (not modified).
    raster
        Land-cover raster (path or open dataset).
    built_classes, bare_classes
        Class codes counted as built-up / bare (ESA WorldCover: 50 built-up, 60 bare).
    method, band, max_window_cells, chunk_size
        As in :func:`zonal_stats`.

    Returns
    -------
    pandas.DataFrame
        Columns ``built_share`` and ``bare_share`` (0..1; NaN where the parcel covers no
        cell with data), aligned to ``parcels``' index.
    """
    built = _class_set(built_classes, "built_classes")
    bare = _class_set(bare_classes, "bare_classes")
    index = _geoseries(parcels, "parcels").index
    classes, weights = _class_weights(
        parcels,
        raster,
        method=method,
        band=band,
        max_window_cells=max_window_cells,
        chunk_size=chunk_size,
        what="parcels",
    )
    total = weights.sum(axis=1)
    out = {}
    for name, chosen in (("built_share", built), ("bare_share", bare)):
        cols = [j for j, c in enumerate(classes) if c in chosen]
        part = weights[:, cols].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(total > 0, part / total, np.nan)
    return pd.DataFrame(out, index=index)


def park_landcover(
    parks: gpd.GeoDataFrame,
    raster: str | os.PathLike | Any,
    *,
    class_names: Mapping[int, str] | None = None,
    method: str = "exact",
    band: int = 1,
    id_column: str = "park_id",
    max_window_cells: int | None = DEFAULT_MAX_WINDOW_CELLS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> pd.DataFrame:
    """Land-cover breakdown of each park: the share of its covered area in each class.

    The features of one park (core and expansion zones) are merged first
    (:func:`shapely.union_all`), so overlapping zones are not counted twice.

    Parameters
    ----------
    parks
        Park layer with ``park_id`` and a CRS (not modified).
    raster
        Land-cover raster (path or open dataset).
    class_names
        Column name for each class code, e.g. :data:`WORLDCOVER_CLASSES` or the
        project file's mapping (keys may be numeric strings, as TOML writes them). Every named class gets a column (0 where absent); classes
        present but not named get ``class_<code>``. None: ``class_<code>`` for all.
    method, band, max_window_cells, chunk_size
        As in :func:`zonal_stats`.
    id_column
        The park identifier column.

    Returns
    -------
    pandas.DataFrame
        One row per park, indexed by ``park_id`` (in order of first appearance), one
        column per class in order of class code, values 0..1 summing to 1 (NaN for a park
        over no cell with data).

    Raises
    ------
    DataError
        If ``parks`` lacks ``id_column`` or has rows without an ID.
    """
    if not isinstance(parks, gpd.GeoDataFrame):
        raise DataError(f"parks must be a GeoDataFrame, not {type(parks).__name__}")
    if id_column not in parks.columns:
        raise DataError(
            f"parks layer has no column {id_column!r} (columns: "
            f"{', '.join(map(str, parks.columns))}); map its ID column to {id_column!r} "
            "in the project file"
        )
    ids = parks[id_column]
    if ids.isna().any():
        raise DataError(
            f"parks layer, column {id_column!r}: {int(ids.isna().sum())} rows have no "
            "park ID; fill them in"
        )
    crs = require_crs(parks)
    codes, uniques = pd.factorize(ids, sort=False)
    geoms = _polygonal(np.asarray(parks.geometry.array, dtype=object))
    ok = ~shapely.is_missing(geoms)
    merged = np.empty(len(uniques), dtype=object)
    if ok.any():
        order = np.argsort(codes[ok], kind="stable")
        g, c = geoms[ok][order], codes[ok][order]
        starts = np.r_[0, np.flatnonzero(np.diff(c)) + 1]
        for a, b in zip(starts.tolist(), np.r_[starts[1:], len(c)].tolist(), strict=True):
            merged[c[a]] = shapely.union_all(g[a:b])  # one union per park: a handful
    dissolved = gpd.GeoSeries(merged, crs=crs)
    classes, weights = _class_weights(
        dissolved,
        raster,
        method=method,
        band=band,
        max_window_cells=max_window_cells,
        chunk_size=chunk_size,
        what="parks",
    )
    names = {_class_code(k): str(v) for k, v in (class_names or {}).items()}
    all_classes = sorted(set(classes) | set(names), key=lambda v: (float(v), str(v)))
    pos = {c: j for j, c in enumerate(classes)}
    total = weights.sum(axis=1)
    data = {}
    for cls in all_classes:
        col = names.get(cls, f"class_{_class_label(cls)}")
        part = weights[:, pos[cls]] if cls in pos else np.zeros(len(uniques))
        with np.errstate(invalid="ignore", divide="ignore"):
            data[col] = np.where(total > 0, part / total, np.nan)
    return pd.DataFrame(data, index=pd.Index(uniques, name=id_column))


def declared_built_but_bare(
    parcels_with_shares: pd.DataFrame, *, bare_min: float = 0.5
) -> pd.Series:
    """Parcels declared built whose land cover is mostly bare (a low-efficiency rule).

    .. math::

        \\text{flag}_i = (\\text{floor\\_area}_i > 0 \\ \\lor\\ \\text{far}_i > 0)
                         \\ \\land\\ \\text{bare\\_share}_i \\ge \\text{bare\\_min}

    A missing share (parcel over no land-cover data) or missing floor area / FAR never
    flags: unknown is not a finding.

    Parameters
    ----------
    parcels_with_shares
        Parcels with ``bare_share`` (from :func:`landcover_shares`) and ``floor_area``
        and/or ``far`` (from :func:`xsland.measure.far.plot_ratio`). Not modified.
    bare_min
        Smallest bare share that flags, 0..1.

    Returns
    -------
    pandas.Series
        Boolean, named ``declared_built_but_bare``, aligned to the input's index.

    Raises
    ------
    DataError
        If ``bare_share`` is missing, or both ``floor_area`` and ``far`` are.
    PolicyError
        If ``bare_min`` is not within 0..1.
    """
    if not 0.0 <= float(bare_min) <= 1.0:
        raise PolicyError(f"bare_min must be a share between 0 and 1, not {bare_min!r}")
    df = parcels_with_shares
    if "bare_share" not in df.columns:
        raise DataError(
            "parcels have no column 'bare_share'; compute it first with "
            "xsland.measure.raster.landcover_shares(parcels, raster) and join it to the parcels"
        )
    declared_cols = [c for c in ("floor_area", "far") if c in df.columns]
    if not declared_cols:
        raise DataError(
            "parcels have neither 'floor_area' nor 'far', so nothing says they are built; "
            "run xsland.measure.far.plot_ratio first or give a floor_area column"
        )
    declared = np.zeros(len(df), dtype=bool)
    for c in declared_cols:
        x = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        declared |= np.nan_to_num(x, nan=0.0) > 0
    bare = pd.to_numeric(df["bare_share"], errors="coerce").to_numpy(dtype=float)
    flag = declared & (np.nan_to_num(bare, nan=-1.0) >= float(bare_min))
    return pd.Series(flag, index=df.index, name="declared_built_but_bare")


# ---------------------------------------------------------------------------
# public: raster outputs
# ---------------------------------------------------------------------------


class RasterizeResult(NamedTuple):
    """What :func:`rasterize_column` wrote.

    Attributes
    ----------
    path
        The GeoTIFF.
    categories_path
        The category table (CSV: ``code,value``) for a categorical column, else None.
    categories
        ``{code: value}`` for a categorical column, else None.
    crs
        The raster's CRS.
    resolution
        Cell size in CRS units.
    shape
        ``(height, width)``.
    overviews
        Overview factors built (none for a raster that fits into one 256 x 256 tile).
    """

    path: Path
    categories_path: Path | None
    categories: dict[int, Any] | None
    crs: CRS
    resolution: float
    shape: tuple[int, int]
    overviews: list[int]


def _code_dtype(k: int, nodata: float) -> str:
    lo, hi = min(0, nodata), max(k, nodata)
    for dt in ("uint8", "uint16", "int32"):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return dt
    raise PolicyError(f"nodata={nodata!r} does not fit an integer raster of {k} categories")


def _overview_factors(height: int, width: int) -> list[int]:
    """2, 4, 8, ... until the coarsest level fits into one 256 x 256 tile."""
    factors, f = [], 1
    while math.ceil(max(height, width) / f) > _BLOCK:
        f *= 2
        factors.append(f)
    return factors


def rasterize_column(
    gdf: gpd.GeoDataFrame,
    column: str,
    out_path: str | os.PathLike,
    *,
    resolution: float,
    crs: Any = None,
    nodata: float | None = None,
    categorical: bool | None = None,
    overwrite: bool = True,
    max_window_cells: int = DEFAULT_MAX_WINDOW_CELLS,
) -> RasterizeResult:
    """Write one column of a polygon layer to a GeoTIFF.

    Cells take the value of the polygon containing their centre (GDAL's rule; a parcel
    covering no cell centre does not appear; where polygons overlap the later row wins).
    The grid is aligned to multiples of ``resolution``:
    :math:`x_0 = \\lfloor x_{min} / r \\rfloor r`, :math:`y_1 = \\lceil y_{max} / r \\rceil r`,
    width :math:`= \\lceil x_{max} / r \\rceil - \\lfloor x_{min} / r \\rfloor`.

    - **continuous** (float columns such as FAR): float32, nodata NaN by default; NaN
      and infinite values are not burnt; overviews by ``average``.
    - **categorical** (strings such as status or category, block ids, integers, booleans):
      each distinct value gets a code 1..K (sorted; a pandas Categorical keeps its order),
      nodata 0 by default; overviews by ``nearest``. The table ``{code: value}`` is stored
      in the GeoTIFF's tags (``XSLAND_CATEGORIES``, JSON; also one ``CATEGORY_<code>``
      band tag each) and in a sidecar ``<name>.categories.csv`` (``code,value``, UTF-8
      with BOM for Excel).

    The file is tiled (256 x 256), deflate-compressed (predictor 2 for codes, 3 for
    floats), BigTIFF when needed, with internal overviews (factors 2, 4, ... until the
    coarsest fits one tile; the resampling is recorded in the ``rio_overview`` tag
    namespace). It is written strip by strip (at most ``max_window_cells`` cells in
    memory) to a temporary file next to ``out_path`` and moved into place only when
    complete (:func:`xsland.write.report.atomic_file`).

    Parameters
    ----------
    gdf
        Polygon layer with a CRS (not modified).
    column
        The column to write.
    out_path
        The GeoTIFF to write.
    resolution
        Cell size in units of the output CRS (metres for the metric CRS).
    crs
        Output CRS; default :func:`xsland.read.crs.metric_crs` of the data (EPSG:4549 stays
        EPSG:4549; longitude/latitude goes to its Gauss-Krüger zone).
    nodata
        Nodata value; default NaN (continuous) or 0 (categorical; codes start at 1).
    categorical
        Force the kind; default: float columns are continuous, everything else categorical.
    overwrite
        Replace an existing file.
    max_window_cells
        Cells rasterised and held in memory at once.

    Returns
    -------
    RasterizeResult

    Raises
    ------
    DataError
        If the column is missing or holds no value, or ``nodata`` occurs in the data.
    CRSError
        If the layer has no CRS.
    PolicyError
        For a non-positive resolution or an unusable ``nodata``.
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    """
    from xsland._atomic import atomic_file

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataError(f"rasterize_column needs a GeoDataFrame, not {type(gdf).__name__}")
    if column not in gdf.columns or column == gdf.geometry.name:
        raise DataError(
            f"the layer has no column {column!r} to rasterise; columns: "
            f"{', '.join(str(c) for c in gdf.columns if c != gdf.geometry.name)}"
        )
    try:
        res = float(resolution)
    except (TypeError, ValueError):
        res = float("nan")
    if not (math.isfinite(res) and res > 0):
        raise PolicyError(f"resolution must be a positive cell size, not {resolution!r}")
    if int(max_window_cells) < 1:
        raise PolicyError(f"max_window_cells must be positive, not {max_window_cells!r}")
    src_crs = require_crs(gdf)
    dst_crs = get_crs(crs) if crs is not None else metric_crs(gdf)
    gs = gdf.geometry
    if not src_crs.equals(dst_crs, ignore_axis_order=True):
        gs = to_crs(gs, dst_crs)
    geoms = _polygonal(np.asarray(gs.array, dtype=object))
    values = gdf[column]
    if categorical is None:
        categorical = not pd.api.types.is_float_dtype(values.dtype)

    if categorical:
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy().astype(np.int64)
            uniques = list(values.cat.categories)
        else:
            try:
                codes, uniq = pd.factorize(values, sort=True)
            except TypeError:  # mixed types: sort by text
                codes, uniq = pd.factorize(values.astype("string"), sort=True)
            uniques = list(uniq)
        k = len(uniques)
        nd = 0 if nodata is None else nodata
        if not float(nd).is_integer() or 1 <= nd <= k:
            raise PolicyError(
                f"nodata={nodata!r} collides with the category codes 1..{k} of column "
                f"{column!r}; use 0 (the default) or a value above {k}"
            )
        nd = int(nd)
        dtype = _code_dtype(k, nd)
        burn = codes + 1
        has_value = codes >= 0
        categories = {i + 1: _plain(u) for i, u in enumerate(uniques)}
    else:
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        has_value = np.isfinite(num)
        dtype = "float32"
        nd = float("nan") if nodata is None else float(nodata)
        if not math.isnan(nd) and np.any(num[has_value].astype(np.float32) == np.float32(nd)):
            raise DataError(
                f"column {column!r} contains the nodata value {nodata!r}; choose another "
                "nodata (the default NaN never collides)"
            )
        burn = num
        categories = None
    has_value &= ~shapely.is_missing(geoms)
    if not has_value.any():
        raise DataError(f"column {column!r} has no value on any polygon; nothing to rasterise")

    sel = np.flatnonzero(has_value)
    g, b = geoms[sel], burn[sel]
    bounds = shapely.bounds(g)
    minx, miny = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    maxx, maxy = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    x0, y1 = math.floor(minx / res) * res, math.ceil(maxy / res) * res
    width = max(math.ceil(maxx / res) - math.floor(minx / res), 1)
    height = max(math.ceil(maxy / res) - math.floor(miny / res), 1)
    if width * height > _MAX_OUTPUT_CELLS:
        raise PolicyError(
            f"a {res:g} m grid over the layer would have {width:,} x {height:,} cells; "
            f"choose a coarser resolution (at most {_MAX_OUTPUT_CELLS:,} cells)"
        )
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)
    factors = _overview_factors(height, width)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": dtype,
        "crs": f"EPSG:{epsg}" if (epsg := dst_crs.to_epsg()) else dst_crs.to_wkt(),
        "transform": transform,
        "nodata": nd,
        "tiled": True,
        "blockxsize": _BLOCK,
        "blockysize": _BLOCK,
        "compress": "deflate",
        "predictor": 3 if dtype == "float32" else 2,
        "BIGTIFF": "IF_SAFER",
    }
    out_path = Path(out_path)
    strip = max(_BLOCK, (int(max_window_cells) // width) // _BLOCK * _BLOCK)
    ymin_row = bounds[:, 1]
    ymax_row = bounds[:, 3]
    values_list = b.tolist()
    with atomic_file(out_path, overwrite=overwrite) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            for r0 in range(0, height, strip):
                rows = min(strip, height - r0)
                top, bottom = y1 - r0 * res, y1 - (r0 + rows) * res
                inside = np.flatnonzero((ymax_row > bottom) & (ymin_row < top))
                win = Window(0, r0, width, rows)
                if len(inside):
                    arr = rasterize(
                        _burn_shapes(g[inside], [values_list[i] for i in inside.tolist()]),
                        out_shape=(rows, width),
                        transform=_window_transform(win, transform),
                        fill=nd,
                        dtype=dtype,
                        all_touched=False,
                    )
                else:
                    arr = np.full((rows, width), nd, dtype=dtype)
                dst.write(arr, 1, window=win)
            tags = {
                "XSLAND_COLUMN": str(column),
                "XSLAND_KIND": "categorical" if categorical else "continuous",
            }
            if categories is not None:
                tags["XSLAND_CATEGORIES"] = json.dumps(
                    {str(c): v for c, v in categories.items()}, ensure_ascii=False
                )
                dst.update_tags(1, **{f"CATEGORY_{c}": str(v) for c, v in categories.items()})
            dst.update_tags(**tags)
        with rasterio.open(tmp, "r+") as dst:
            resampling = Resampling.nearest if categorical else Resampling.average
            if factors:
                dst.build_overviews(factors, resampling)
            dst.update_tags(ns="rio_overview", resampling=resampling.name)
    cat_path = None
    if categories is not None:
        cat_path = out_path.with_name(out_path.stem + ".categories.csv")
        with atomic_file(cat_path, overwrite=True) as tmp:
            pd.DataFrame({"code": list(categories), "value": list(categories.values())}).to_csv(
                tmp, index=False, encoding="utf-8-sig"
            )
    return RasterizeResult(
        path=out_path,
        categories_path=cat_path,
        categories=categories,
        crs=dst_crs,
        resolution=res,
        shape=(height, width),
        overviews=factors,
    )


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a category value (NumPy scalars, timestamps)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
