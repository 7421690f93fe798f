"""Areas in m², 亩, ha and km², measured the way SPEC §2 says.

:func:`areas` measures every feature in the CRS chosen by :func:`xsland.read.crs.metric_crs`:
the data's own Gauss-Krüger zone when it has one (the cadastral plane area, as land
certificates state it), else a projection whose areas agree with the ellipsoidal ones.
:func:`geodesic_area` gives the ellipsoidal area on CGCS2000, which 三调 statistics use,
and :func:`area_check` compares the two. :func:`area_table` sums areas per group, for
``xsland area FILE --by COLUMN``.

Units: 1 亩 = 2000/3 m², 1 ha = 10 000 m² = 15 亩, 1 km² = 10⁶ m² = 1500 亩.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from xsland.errors import CRSError, DataError
from xsland.read.crs import get_crs, metric_crs, require_crs, to_crs
from xsland.rules.units import M2_PER_HA, M2_PER_KM2, M2_PER_MU  # re-exported

__all__ = [
    "union_area_m2",
    "AREA_COLUMNS",
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_MU",
    "area_check",
    "area_table",
    "areas",
    "geodesic_area",
]

#: The columns :func:`areas` returns, in order.
AREA_COLUMNS = ("area_m2", "area_mu", "area_ha", "area_km2")

#: CGCS2000 longitude/latitude, the CRS of geodesic areas.
_CGCS2000 = 4490


def _geoseries(gdf: Any, what: str) -> gpd.GeoSeries:
    if isinstance(gdf, gpd.GeoDataFrame):
        try:
            return gdf.geometry
        except AttributeError as exc:
            raise DataError(f"{what} needs a GeoDataFrame with a geometry column") from exc
    if isinstance(gdf, gpd.GeoSeries):
        return gdf
    raise DataError(f"{what} needs a GeoDataFrame or GeoSeries, not {type(gdf).__name__}")


def _missing(values: np.ndarray) -> np.ndarray:
    """Null or empty geometries."""
    return shapely.is_missing(values) | shapely.is_empty(values)


def _unit_factor(crs: CRS) -> float:
    """Metres per unit of the CRS's first axis."""
    return float(crs.axis_info[0].unit_conversion_factor)


def _area_frame(m2: np.ndarray, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_m2": m2,
            "area_mu": m2 * 3.0 / 2000.0,  # = m2 / M2_PER_MU, without rounding 1/666.67
            "area_ha": m2 / M2_PER_HA,
            "area_km2": m2 / M2_PER_KM2,
        },
        index=index,
        dtype=float,
    )


def areas(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any = None) -> pd.DataFrame:
    """Area of every feature in m², 亩, ha and km².

    The area is the planar area :math:`A = \\tfrac12 \\lvert\\sum_i (x_i y_{i+1} -
    x_{i+1} y_i)\\rvert` (exterior minus holes) in a metric CRS:

    * ``crs`` when given (the user's choice; it must be projected);
    * else :func:`xsland.read.crs.metric_crs`: the data's own Gauss-Krüger / transverse
      Mercator zone when it covers the data (plane area, as cadastral documents state
      it: a 100 m square in EPSG:4549 is exactly 10 000 m² = 15 亩), otherwise the
      CGCS2000 3-degree zone of the data's longitude in China, or a Lambert azimuthal
      equal-area projection elsewhere. Never degrees, never Web Mercator.

    Then :math:`A_{亩} = 3A/2000`, :math:`A_{ha} = A/10^4`, :math:`A_{km^2} = A/10^6`.
    CRS units other than metres (e.g. US feet) are converted: :math:`A \\cdot u^2`.

    Parameters
    ----------
    gdf
        Features with a CRS. Not modified.
    crs
        Metric CRS to measure in, instead of the automatic choice.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``gdf``; float columns ``area_m2``, ``area_mu``, ``area_ha``,
        ``area_km2``. NaN for null or empty geometries; 0 for points and lines.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS, or ``crs`` is not a projected CRS.
    DataError
        If ``gdf`` is not a GeoDataFrame/GeoSeries.
    """
    geoms = _geoseries(gdf, "areas")
    src = require_crs(geoms)
    values = np.asarray(geoms.array, dtype=object)
    missing = _missing(values)
    if missing.all():
        return _area_frame(np.full(len(values), np.nan), geoms.index)
    target = get_crs(crs) if crs is not None else metric_crs(geoms)
    if not target.is_projected:
        raise CRSError(
            f"crs={target.name!r} is not a projected (metric) CRS; areas in degrees are "
            "meaningless. Use e.g. EPSG:4549 or leave crs unset"
        )
    if not target.equals(src, ignore_axis_order=True):
        values = np.asarray(to_crs(geoms, target).array, dtype=object)
    m2 = shapely.area(values) * _unit_factor(target) ** 2
    m2[missing] = np.nan
    return _area_frame(m2, geoms.index)


def geodesic_area(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Ellipsoidal (geodesic) area of every feature on the CGCS2000 ellipsoid.

    Each ring's area on the ellipsoid (GRS80 parameters, :math:`a = 6378137` m,
    :math:`1/f = 298.257222101`) comes from :meth:`pyproj.Geod.polygon_area_perimeter`
    (Karney's algorithm, geodesic edges). A polygon's area is its exterior's minus its
    holes', :math:`A = |A_{ext}| - \\sum |A_{hole}|`, whatever the ring orientation; a
    multi-polygon's is the sum of its parts'. The data is first reprojected to
    EPSG:4490. One pyproj call per ring (a cross-check, not a hot path).

    Parameters
    ----------
    gdf
        Features with a CRS. Not modified.

    Returns
    -------
    pandas.Series
        ``geodesic_m2``, indexed like ``gdf``; NaN for null or empty geometries, 0 for
        points and lines.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    """
    geoms = _geoseries(gdf, "geodesic_area")
    src = require_crs(geoms)
    target = CRS.from_epsg(_CGCS2000)
    if not src.equals(target, ignore_axis_order=True):
        geoms = to_crs(geoms, target)
    values = np.asarray(geoms.array, dtype=object)
    missing = _missing(values)
    out = np.full(len(values), np.nan)
    present = np.flatnonzero(~missing)
    # Flatten (multi-)polygons and collections to polygons, remembering the feature.
    parts, part_of = shapely.get_parts(values[present], return_index=True)
    parts, sub_of = shapely.get_parts(parts, return_index=True)
    part_of = part_of[sub_of]
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_of = parts[polygons], part_of[polygons]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    # get_rings lists each polygon's exterior first, then its holes.
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(rings) else np.zeros(0, bool)
    sign = np.where(exterior, 1.0, -1.0)
    coords = shapely.get_coordinates(rings)
    ends = np.cumsum(shapely.get_num_coordinates(rings))
    starts = ends - shapely.get_num_coordinates(rings)
    geod = target.get_geod()
    ring_area = np.zeros(len(rings))
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if end - start >= 4:
            area, _ = geod.polygon_area_perimeter(coords[start:end, 0], coords[start:end, 1])
            ring_area[i] = abs(area)
    total = np.bincount(
        part_of[ring_part], weights=sign * ring_area, minlength=len(present)
    ).astype(float)
    out[present] = total
    return pd.Series(out, index=geoms.index, name="geodesic_m2", dtype=float)


def area_check(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any = None, tolerance: float = 1e-4
) -> pd.DataFrame:
    """Compare the measured (plane) area with the geodesic one.

    .. math::

        \\text{rel\\_diff} = \\frac{A_{plane} - A_{geodesic}}{A_{geodesic}}, \\qquad
        \\text{ok} = |\\text{rel\\_diff}| < \\text{tolerance}

    Agreement to 0.01 % (the default tolerance) holds for the metric CRS xsland
    chooses itself near the central meridian of a zone, and for the equal-area projection
    used outside China. Data kept in its own Gauss-Krüger zone is measured on that plane,
    whose scale factor :math:`k \\approx 1 + x^2/(2R^2)` (*x* the distance from the
    central meridian) enlarges areas by :math:`k^2 - 1 \\approx x^2/R^2`: about 1e-5 at
    20 km, 1e-4 at 64 km and 3e-4 at the edge of a 3-degree zone (~140 km at 32°N).
    That difference is real and reported as it is, not hidden.

    Parameters
    ----------
    gdf
        Features with a CRS. Not modified.
    crs
        Passed to :func:`areas`.
    tolerance
        Largest accepted relative difference, > 0.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``gdf``: ``area_m2``, ``geodesic_m2``, ``rel_diff`` (NaN where the
        geodesic area is 0 or missing) and boolean ``ok`` (False where ``rel_diff`` is NaN).

    Raises
    ------
    DataError
        If ``tolerance`` is not a positive number.
    """
    if not (isinstance(tolerance, int | float) and tolerance > 0):
        raise DataError(f"tolerance must be a positive number, got {tolerance!r}")
    plane = areas(gdf, crs=crs)["area_m2"].to_numpy()
    geodesic = geodesic_area(gdf).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(geodesic > 0, (plane - geodesic) / geodesic, np.nan)
    return pd.DataFrame(
        {
            "area_m2": plane,
            "geodesic_m2": geodesic,
            "rel_diff": rel,
            "ok": np.abs(rel) < tolerance,
        },
        index=_geoseries(gdf, "area_check").index,
    )


def area_table(gdf: gpd.GeoDataFrame, *, by: str | None = None, crs: Any = None) -> pd.DataFrame:
    """Sum the areas of :func:`areas` per value of a column, or over all features.

    Parameters
    ----------
    gdf
        Features with a CRS. Not modified.
    by
        Column to group by (missing values form their own group). ``None``: one row,
        ``'total'``.
    crs
        Passed to :func:`areas`.

    Returns
    -------
    pandas.DataFrame
        One row per group (index named ``by``), columns ``area_m2``, ``area_mu``,
        ``area_ha``, ``area_km2`` (sums over features with an area; NaN when none has
        one) and ``count`` (number of features).

    Raises
    ------
    DataError
        If ``by`` is not a column of ``gdf``.
    """
    table = areas(gdf, crs=crs)
    if by is None:
        sums = table.sum(min_count=1).to_frame("total").T
        sums["count"] = len(table)
        return sums
    if not isinstance(gdf, gpd.GeoDataFrame) or by not in gdf.columns:
        columns = list(gdf.columns) if isinstance(gdf, gpd.GeoDataFrame) else []
        raise DataError(f"column {by!r} not found; the columns are: {', '.join(map(str, columns))}")
    grouped = table.groupby(gdf[by].to_numpy(), dropna=False, sort=True)
    sums = grouped.sum(min_count=1)
    sums["count"] = grouped.size().astype(int)
    sums.index.name = by
    return sums


def union_area_m2(gdf: gpd.GeoDataFrame, by: str) -> pd.Series:
    """Area (m²) of the union of the geometries of each group: land shared counts once.

    Overlapping parks of one town add their shared land once to the town's total
    (:math:`a(\\bigcup_i P_i)`, not :math:`\\sum_i a(P_i)`). ``gdf`` must be in a
    projected metric CRS (the audit's parks table is). Rows whose ``by`` is missing are
    left out.

    Returns
    -------
    Series
        Indexed by the values of ``by``.
    """
    geoms = gdf.geometry.to_numpy()
    keys = gdf[by].to_numpy(dtype=object)
    out = {}
    for key in pd.unique(keys[pd.notna(keys)]):
        part = geoms[keys == key]
        out[key] = float(shapely.area(shapely.union_all(part[~shapely.is_missing(part)])))
    return pd.Series(out, dtype="float64", name="area_m2")
