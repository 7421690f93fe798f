"""Coordinate reference systems: Chinese map offsets, CRS facts, the metric CRS for areas.

Three groups of functions live here.

**Offset coordinate systems.** Chinese web maps do not use WGS84: 高德/腾讯/Google China
use GCJ-02 ("Mars coordinates", a WGS84 position plus a published, non-linear offset of
a few hundred metres) and 百度 uses BD-09 (GCJ-02 plus a further small rotation and
scaling). :func:`wgs84_to_gcj02` and friends convert between them, vectorised over
NumPy arrays; the inverses are solved by iteration to far better than 1 cm.
:func:`transform_geometries` applies any of them to every vertex of a layer.

**CRS facts.** :func:`get_crs` turns anything CRS-like into a :class:`pyproj.CRS`,
:func:`classify_crs` says what kind of CRS it is (geographic? which datum family?
Gauss-Krüger zone, central meridian, zone prefix?) and :func:`gk3_zone_epsg` gives the
CGCS2000 3-degree Gauss-Krüger zone of a longitude.

**The metric CRS for areas** (SPEC §2). :func:`metric_crs` keeps a Gauss-Krüger /
transverse Mercator zone that covers the data (the cadastral plane), and otherwise chooses
the CGCS2000 3-degree zone of the data inside China, or a Lambert azimuthal equal-area
projection centred on the data anywhere else. :func:`to_crs` reprojects and warns when a
Xian 1980 or Beijing 1954 layer changes datum, which PROJ can only do approximately
without a local 7-parameter transformation.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from geopandas.array import GeometryArray, from_shapely
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import LambertAzimuthalEqualAreaConversion
from pyproj.exceptions import CRSError as PyprojCRSError

from xsland.errors import CRSError, DataError

__all__ = [
    "CHINA_BBOX",
    "CRSInfo",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "classify_crs",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "get_crs",
    "gk3_zone_epsg",
    "in_china_bbox",
    "metric_crs",
    "require_crs",
    "to_crs",
    "transform_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

ArrayLike = Any  # a float, or anything numpy.asarray turns into a float array

# ---------------------------------------------------------------------------
# GCJ-02 and BD-09
# ---------------------------------------------------------------------------

#: Semi-major axis (m) of the Krasovsky 1940 ellipsoid used by the GCJ-02 algorithm.
_GCJ_A = 6378245.0
#: First eccentricity squared of the Krasovsky 1940 ellipsoid.
_GCJ_EE = 0.00669342162296594323
#: The BD-09 constant: pi * 3000 / 180.
_X_PI = math.pi * 3000.0 / 180.0

#: The rectangle (west, south, east, north) inside which GCJ-02 offsets apply.
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)

#: The iterative inverses stop once the forward residual is below this (degrees, ~1 mm/100).
_INVERSE_TOL_DEG = 1e-10
#: A bound on iterations; the maps contract by ~0.01-0.03 per step, so 5 to 8 suffice.
_INVERSE_MAX_ITER = 50


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    """Float arrays of a common shape, and whether both inputs were scalars."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    scalar = x.ndim == 0 and y.ndim == 0
    x, y = np.broadcast_arrays(x, y)
    return x, y, scalar


def _result(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x), float(y)
    return x, y


def in_china_bbox(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Whether points lie in the rectangle where GCJ-02 offsets apply.

    The rectangle ``72.004 <= lon <= 137.8347``, ``0.8293 <= lat <= 55.8271``
    (:data:`CHINA_BBOX`) is the rough test every published GCJ-02 implementation
    uses; it is not China's border.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (scalars or arrays).

    Returns
    -------
    bool or numpy.ndarray
        ``True`` inside the rectangle; ``False`` outside or for NaN.
    """
    x, y, scalar = _as_arrays(lon, lat)
    west, south, east, north = CHINA_BBOX
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return bool(inside) if scalar else inside


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset ``(dlon, dlat)`` in degrees at WGS84 ``(lon, lat)``.

    With :math:`x = \\lambda - 105`, :math:`y = \\varphi - 35` (degrees) and
    :math:`s(t) = \\sin(\\pi t)`:

    .. math::

        c &= \\tfrac23\\,[20 s(6x) + 20 s(2x)] \\\\
        T_\\varphi &= -100 + 2x + 3y + 0.2y^2 + 0.1xy + 0.2\\sqrt{|x|} + c
            + \\tfrac23[20 s(y) + 40 s(y/3)] + \\tfrac23[160 s(y/12) + 320 s(y/30)] \\\\
        T_\\lambda &= 300 + x + 2y + 0.1x^2 + 0.1xy + 0.1\\sqrt{|x|} + c
            + \\tfrac23[20 s(x) + 40 s(x/3)] + \\tfrac23[150 s(x/12) + 300 s(x/30)]

    are offsets in metres, turned into degrees with the meridian and prime-vertical radii
    of curvature of the Krasovsky ellipsoid (:math:`a = 6378245`,
    :math:`e^2 = 0.00669342162296594323`, :math:`W = 1 - e^2 \\sin^2\\varphi`):

    .. math::

        \\Delta\\varphi = \\frac{180\\,T_\\varphi}{\\pi\\,a(1-e^2)/W^{3/2}}, \\qquad
        \\Delta\\lambda = \\frac{180\\,T_\\lambda}{\\pi\\,(a/\\sqrt W)\\cos\\varphi}.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN/inf/poles: masked by callers
        return _gcj_offset_raw(lon, lat)


def _gcj_offset_raw(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * (2.0 / 3.0)
    t_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * (2.0 / 3.0)
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * (2.0 / 3.0)
    )
    t_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * (2.0 / 3.0)
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * (2.0 / 3.0)
    )
    phi = np.radians(lat)
    w = 1.0 - _GCJ_EE * np.sin(phi) ** 2
    meridian_radius = _GCJ_A * (1.0 - _GCJ_EE) / (w * np.sqrt(w))
    normal_radius = _GCJ_A / np.sqrt(w)
    dlat = t_lat * 180.0 / (meridian_radius * pi)
    dlon = t_lon * 180.0 / (normal_radius * np.cos(phi) * pi)
    return dlon, dlat


def _gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 -> GCJ-02 without the rectangle test."""
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09 (see :func:`gcj02_to_bd09`)."""
    with np.errstate(invalid="ignore"):  # sin/cos of inf give NaN, as they should
        z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
        theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration from ``(x, y)``.

    Each step subtracts the forward residual,
    :math:`p_{k+1} = p_k - (f(p_k) - q)`. For :math:`f(p) = p + d(p)` with a slowly
    varying offset :math:`d` this contracts by :math:`\\lVert d'\\rVert \\approx 0.01`
    per step, so a handful of steps reach :data:`_INVERSE_TOL_DEG`. All inputs must be
    finite.
    """
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        ex = fx - lon
        ey = fy - lat
        x = x - ex
        y = y - ey
        if np.max(np.abs(ex), initial=0.0) < _INVERSE_TOL_DEG and (
            np.max(np.abs(ey), initial=0.0) < _INVERSE_TOL_DEG
        ):
            break
    return x, y


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert WGS84 (or CGCS2000) longitude/latitude to GCJ-02.

    GCJ-02 adds the offset of :func:`_gcj_offset` (the standard published algorithm on
    the Krasovsky ellipsoid, :math:`a = 6378245`, :math:`e^2 = 0.00669342162296594323`):

    .. math:: (\\lambda', \\varphi') = (\\lambda + \\Delta\\lambda,\\ \\varphi + \\Delta\\varphi)

    Points outside :data:`CHINA_BBOX` are returned unchanged. CGCS2000 is treated as
    WGS84: the two agree to a few centimetres, far below the GCJ-02 offset.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays (broadcast together).

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: Python floats for scalar input, else new arrays.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(123.0, 45.0)
    >>> round(lon, 8), round(lat, 8)
    (123.00607542, 45.00197816)
    """
    x, y, scalar = _as_arrays(lon, lat)
    gx, gy = _gcj_forward(x, y)
    inside = in_china_bbox(x, y)
    return _result(np.where(inside, gx, x), np.where(inside, gy, y), scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to WGS84 (or CGCS2000), iteratively.

    Solves :math:`p + d(p) = q` for the WGS84 point :math:`p`, starting from the
    one-step approximation :math:`p_0 = q - d(q)` and iterating
    :math:`p_{k+1} = p_k - (p_k + d(p_k) - q)` until the residual is below
    1e-10° (about 0.01 mm). Round trips agree to better than 1e-9° (0.1 mm)
    everywhere in China. GCJ-02 points outside :data:`CHINA_BBOX` are returned
    unchanged; within about 0.01° of the rectangle's edges (all outside China's land
    border) the transform is not invertible because the forward one is discontinuous there.

    Parameters
    ----------
    lon, lat
        Degrees in GCJ-02; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: Python floats for scalar input, else new arrays.
    """
    x, y, scalar = _as_arrays(lon, lat)
    out_x = x.copy()
    out_y = y.copy()
    todo = in_china_bbox(x, y) & np.isfinite(x) & np.isfinite(y)
    if todo.any():
        qx, qy = x[todo], y[todo]
        dx, dy = _gcj_offset(qx, qy)
        out_x[todo], out_y[todo] = _invert(_gcj_forward, qx, qy, qx - dx, qy - dy)
    return _result(out_x, out_y, scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    With :math:`x_\\pi = \\pi \\cdot 3000 / 180`:

    .. math::

        z &= \\sqrt{\\lambda^2 + \\varphi^2} + 2\\times10^{-5} \\sin(\\varphi x_\\pi) \\\\
        \\theta &= \\operatorname{atan2}(\\varphi, \\lambda)
            + 3\\times10^{-6} \\cos(\\lambda x_\\pi) \\\\
        (\\lambda_{bd}, \\varphi_{bd}) &= (z\\cos\\theta + 0.0065,\\ z\\sin\\theta + 0.006)

    Applied everywhere (Baidu offsets points outside China too).

    Parameters
    ----------
    lon, lat
        Degrees in GCJ-02; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09: Python floats for scalar input, else new arrays.
    """
    x, y, scalar = _as_arrays(lon, lat)
    bx, by = _bd_forward(x, y)
    return _result(bx, by, scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 longitude/latitude to GCJ-02, iteratively.

    Starts from the usual closed-form approximation (:math:`x = \\lambda - 0.0065`,
    :math:`y = \\varphi - 0.006`,
    :math:`z = \\sqrt{x^2+y^2} - 2\\times10^{-5}\\sin(y x_\\pi)`,
    :math:`\\theta = \\operatorname{atan2}(y, x) - 3\\times10^{-6}\\cos(x x_\\pi)`,
    :math:`p_0 = (z\\cos\\theta, z\\sin\\theta)`), which is off by up to ~1e-6°,
    and refines it by fixed-point iteration on :func:`gcj02_to_bd09` until the residual
    is below 1e-10°.

    Parameters
    ----------
    lon, lat
        Degrees in BD-09; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: Python floats for scalar input, else new arrays.
    """
    x, y, scalar = _as_arrays(lon, lat)
    out_x = x.copy()
    out_y = y.copy()
    todo = np.isfinite(x) & np.isfinite(y)
    if todo.any():
        bx = x[todo] - 0.0065
        by = y[todo] - 0.006
        z = np.hypot(bx, by) - 0.00002 * np.sin(by * _X_PI)
        theta = np.arctan2(by, bx) - 0.000003 * np.cos(bx * _X_PI)
        out_x[todo], out_y[todo] = _invert(
            _bd_forward, x[todo], y[todo], z * np.cos(theta), z * np.sin(theta)
        )
    return _result(out_x, out_y, scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert WGS84 (or CGCS2000) to BD-09: :func:`wgs84_to_gcj02` then
    :func:`gcj02_to_bd09`. Outside :data:`CHINA_BBOX` only the BD-09 step applies."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 to WGS84 (or CGCS2000): :func:`bd09_to_gcj02` then
    :func:`gcj02_to_wgs84`, both iterated to better than 1 cm."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def transform_geometries(geoms: Any, func: Callable[..., tuple[Any, Any]]) -> Any:
    """Apply a point conversion such as :func:`wgs84_to_gcj02` to every vertex.

    The conversion runs once over all vertices (:func:`shapely.transform`), so it is
    vectorised. Z coordinates, if any, are kept unchanged.

    Parameters
    ----------
    geoms
        A GeoDataFrame (its active geometry column is converted), a GeoSeries, a
        GeometryArray, a sequence or array of shapely geometries, or one geometry.
        GeoPandas objects must have a geographic WGS84 or CGCS2000 CRS (EPSG:4326,
        EPSG:4490, OGC:CRS84); plain arrays are trusted to hold longitude/latitude.
    func
        ``func(lon, lat) -> (lon, lat)`` on 1-D float arrays.

    Returns
    -------
    same kind as ``geoms``
        New objects (the input is not modified) with the same index, columns and
        CRS label. The CRS is left unchanged because EPSG has no code for GCJ-02/BD-09.

    Raises
    ------
    CRSError
        If a GeoPandas input has no CRS, or one that is not geographic WGS84/CGCS2000.
    """

    def on_coords(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        x, y = func(coords[:, 0], coords[:, 1])
        out[:, 0] = x
        out[:, 1] = y
        return out

    def convert(values: Any) -> np.ndarray:
        arr = np.asarray(values, dtype=object)
        include_z = bool(np.any(shapely.has_z(arr)))
        return shapely.transform(arr, on_coords, include_z=include_z)

    if isinstance(geoms, gpd.GeoDataFrame | gpd.GeoSeries | GeometryArray):
        if isinstance(geoms, GeometryArray) and geoms.crs is None:
            return from_shapely(convert(geoms))
        _require_lonlat(require_crs(geoms), "transform_geometries")
    if isinstance(geoms, gpd.GeoDataFrame):
        out = geoms.copy()
        name = geoms.geometry.name
        out[name] = from_shapely(convert(geoms.geometry.array), crs=geoms.crs)
        return out
    if isinstance(geoms, gpd.GeoSeries):
        return gpd.GeoSeries(
            convert(geoms.array), index=geoms.index, crs=geoms.crs, name=geoms.name
        )
    if isinstance(geoms, GeometryArray):
        return from_shapely(convert(geoms), crs=geoms.crs)
    if isinstance(geoms, shapely.Geometry):
        return convert([geoms])[0]
    return convert(geoms)


def _require_lonlat(crs: CRS, what: str) -> None:
    info = classify_crs(crs)
    if not info.is_geographic or info.datum not in ("wgs84", "cgcs2000"):
        raise CRSError(
            f"{what} needs longitude/latitude in WGS84 or CGCS2000 (EPSG:4326 or EPSG:4490), "
            f"but the data is in {crs.name!r}. Reproject it first, e.g. gdf.to_crs(4490)"
        )


# ---------------------------------------------------------------------------
# CRS facts
# ---------------------------------------------------------------------------

_NO_CRS_MESSAGE = (
    "the data has no CRS (coordinate reference system), so xsland cannot tell metres from "
    "degrees. Set it: gdf.set_crs('EPSG:4549') in Python, the crs= argument when reading, "
    "or --crs EPSG:4549 on the command line (EPSG:4549 is CGCS2000 / 3-degree "
    "Gauss-Kruger CM 120E, the usual cadastral plane in Wuxi; EPSG:4490 is CGCS2000 "
    "longitude/latitude)"
)


def get_crs(crs_like: Any) -> CRS:
    """A :class:`pyproj.CRS` from anything CRS-like.

    Parameters
    ----------
    crs_like
        A :class:`pyproj.CRS`, an EPSG code (``4549`` or ``"4549"``), an authority string
        (``"EPSG:4549"``), WKT, a PROJ string or dict, or an object with ``to_wkt()``.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        For ``None`` or input pyproj does not understand.
    """
    if crs_like is None:
        raise CRSError(_NO_CRS_MESSAGE)
    if isinstance(crs_like, CRS):
        return crs_like
    if isinstance(crs_like, bool):
        raise CRSError(f"not a CRS: {crs_like!r}")
    if isinstance(crs_like, str) and crs_like.strip().isdigit():
        crs_like = int(crs_like.strip())
    try:
        return CRS.from_user_input(crs_like)
    except (PyprojCRSError, TypeError, ValueError) as exc:
        raise CRSError(
            f"unknown CRS {crs_like!r}: give an EPSG code such as 'EPSG:4549', WKT or a "
            f"PROJ string ({exc})"
        ) from exc


def require_crs(data: Any) -> CRS:
    """The CRS of a GeoDataFrame, GeoSeries or GeometryArray, as a :class:`pyproj.CRS`.

    Raises
    ------
    CRSError
        If the data has no CRS; the message says how to set one.
    """
    crs = getattr(data, "crs", None)
    if crs is None:
        raise CRSError(_NO_CRS_MESSAGE)
    return get_crs(crs)


def gk3_zone_epsg(lon: float, *, prefix: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone of a longitude.

    The zone number is :math:`n = \\lfloor \\lambda / 3 + 1/2 \\rfloor` (zone *n* covers
    :math:`[3n - 1.5°, 3n + 1.5°)`, central meridian :math:`3n`), for
    :math:`n = 25 \\dots 45` (75°E … 135°E). EPSG numbers the zones consecutively:

    * without the zone prefix in the false easting (x₀ = 500 000 m):
      :math:`\\text{EPSG} = 4534 + (n - 25)`, so 120°E → EPSG:4549;
    * with it (x₀ = n × 10⁶ + 500 000 m): :math:`\\text{EPSG} = 4513 + (n - 25)`,
      so 120°E → EPSG:4528.

    Parameters
    ----------
    lon
        Longitude in degrees, 73.5 to 136.5.
    prefix
        Return the zone-prefixed ("zone 40") code instead of the "CM 120E" one.

    Returns
    -------
    int

    Raises
    ------
    CRSError
        Outside 73.5°E–136.5°E, where EPSG defines no CGCS2000 3-degree zone.
    """
    lon = float(lon)
    if not 73.5 <= lon <= 136.5:
        raise CRSError(
            f"longitude {lon} is outside 73.5E-136.5E, the range of the CGCS2000 3-degree "
            "Gauss-Kruger zones (EPSG:4513-4554)"
        )
    zone = min(math.floor(lon / 3.0 + 0.5), 45)
    return (4513 if prefix else 4534) + zone - 25


@dataclass(frozen=True)
class CRSInfo:
    """What kind of CRS a CRS is (see :func:`classify_crs`).

    Attributes
    ----------
    name
        The CRS name.
    epsg
        Its EPSG code, when pyproj finds one.
    is_geographic, is_projected
        Longitude/latitude, or a map projection.
    datum
        Datum family: ``'cgcs2000'``, ``'wgs84'``, ``'xian1980'``, ``'beijing1954'`` or
        ``'other'``.
    is_transverse_mercator
        A transverse Mercator (Gauss-Krüger, UTM) projection.
    is_web_mercator
        Web ("Pseudo") Mercator, EPSG:3857.
    central_meridian, scale_factor, false_easting
        Projection parameters (degrees, unitless, metres) of a transverse Mercator CRS.
    zone
        Zone number carried by the false easting (``40`` for x₀ = 40 500 000 m), when
        it agrees with the central meridian of a 3- or 6-degree zone; else ``None``.
    zone_width
        ``3`` or ``6`` degrees when it can be inferred from the zone prefix or the
        area of use; else ``None``.
    lon_bounds
        ``(west, east)`` of the CRS's area of use, when pyproj knows it.
    """

    name: str
    epsg: int | None
    is_geographic: bool
    is_projected: bool
    datum: str
    is_transverse_mercator: bool
    is_web_mercator: bool
    central_meridian: float | None = None
    scale_factor: float | None = None
    false_easting: float | None = None
    zone: int | None = None
    zone_width: int | None = None
    lon_bounds: tuple[float, float] | None = None

    @property
    def has_zone_prefix(self) -> bool:
        """Whether the false easting carries the zone number."""
        return self.zone is not None


def _key(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _horizontal(crs: CRS) -> CRS:
    """The horizontal part of a bound or compound CRS."""
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if crs.is_compound and crs.sub_crs_list:
        crs = crs.sub_crs_list[0]
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    return crs


def _datum_family(crs: CRS) -> str:
    """Datum family from the datum name, else (for "Unknown based on X ellipsoid") from the
    ellipsoid: IAG 1975 is Xian 1980's, Krasovsky 1940 is Beijing 1954's."""
    geodetic = crs.geodetic_crs
    datum = geodetic.datum if geodetic is not None else None
    key = _key(datum.name if datum is not None else "")
    families = (
        ("xian1980", ("xian1980", "xian80")),
        ("beijing1954", ("beijing1954", "beijing54")),
        ("cgcs2000", ("china2000", "cgcs2000", "chinageodeticcoordinatesystem2000")),
        ("wgs84", ("worldgeodeticsystem1984", "wgs1984", "wgs84")),
    )
    if key.startswith("unknownbasedon"):  # "... X ellipsoid [using towgs84=...]"
        ellipsoid = _key(geodetic.ellipsoid.name if geodetic.ellipsoid else "")
        if "cgcs2000" in ellipsoid:
            return "cgcs2000"
        if "wgs84" in ellipsoid:
            return "wgs84"
        if "iag1975" in ellipsoid:
            return "xian1980"
        if "krass" in ellipsoid or "krasov" in ellipsoid:
            return "beijing1954"
        return "other"
    for family, needles in families:
        if any(n in key for n in needles):
            return family
    return "other"


def _param(params: list[Any], codes: tuple[str, ...], words: tuple[str, ...]) -> Any:
    for p in params:
        if p.code in codes:
            return p
    for p in params:
        name = p.name.lower()
        if any(w in name for w in words):
            return p
    return None


def _param_value(p: Any) -> float | None:
    if p is None:
        return None
    if p.unit_category == "angular":
        # in degrees, rounded to 1e-10 deg so that 120 stays 120 after deg -> rad -> deg
        return round(p.value * p.unit_conversion_factor / (math.pi / 180.0), 10)
    if p.unit_category == "linear":
        return p.value * p.unit_conversion_factor
    return float(p.value)


def classify_crs(crs: Any) -> CRSInfo:
    """Describe a CRS: geographic or projected, datum family, Gauss-Krüger zone.

    Everything is read from pyproj (datum name, the projection method and its parameters
    by EPSG parameter code, the area of use), so user WKT/PROJ definitions without an
    EPSG code are classified as well as EPSG ones. A transverse Mercator false easting
    :math:`x_0 = n \\cdot 10^6 + 500\\,000` m carries the zone number *n* when the central
    meridian is that of zone *n*: :math:`3n` for 3-degree zones, :math:`6n - 3` for
    6-degree zones.

    Parameters
    ----------
    crs
        Anything :func:`get_crs` accepts.

    Returns
    -------
    CRSInfo

    Raises
    ------
    CRSError
        If ``crs`` is not a CRS.

    Examples
    --------
    >>> info = classify_crs(4528)
    >>> info.datum, info.central_meridian, info.zone, info.zone_width
    ('cgcs2000', 120.0, 40, 3)
    """
    crs = _horizontal(get_crs(crs))
    aou = crs.area_of_use
    lon_bounds = (float(aou.west), float(aou.east)) if aou is not None else None
    op = crs.coordinate_operation if crs.is_projected else None
    method = _key(op.method_name) if op is not None else ""
    is_tm = "transversemercator" in method or "gausskruger" in method
    is_web = "pseudomercator" in method or "popularvisualisation" in method
    cm = k = fe = None
    zone = width = None
    if is_tm and op is not None:
        params = list(op.params)
        cm = _param_value(
            _param(params, ("8802", "8822"), ("longitude of natural origin", "central meridian"))
        )
        k = _param_value(_param(params, ("8805",), ("scale factor",)))
        fe = _param_value(_param(params, ("8806", "8826"), ("false easting",)))
        if cm is not None and fe is not None and fe >= 1.5e6:
            n = (fe - 500_000.0) / 1e6
            if abs(n - round(n)) < 1e-9:
                n = round(n)
                if abs(3 * n - cm) < 1e-9:
                    zone, width = n, 3
                elif abs(6 * n - 3 - cm) < 1e-9:
                    zone, width = n, 6
        if width is None and cm is not None and lon_bounds is not None:
            west, east = lon_bounds
            if west <= east:
                half = max(cm - west, east - cm)
                if half <= 1.55:
                    width = 3
                elif half <= 3.05:
                    width = 6
    return CRSInfo(
        name=crs.name,
        epsg=crs.to_epsg(),
        is_geographic=bool(crs.is_geographic),
        is_projected=bool(crs.is_projected),
        datum=_datum_family(crs),
        is_transverse_mercator=is_tm,
        is_web_mercator=is_web,
        central_meridian=cm,
        scale_factor=k,
        false_easting=fe,
        zone=zone,
        zone_width=width,
        lon_bounds=lon_bounds,
    )


# ---------------------------------------------------------------------------
# The metric CRS for areas
# ---------------------------------------------------------------------------

_OLD_DATUMS = frozenset({"xian1980", "beijing1954"})


def to_crs(data: Any, target: Any) -> Any:
    """Reproject a GeoDataFrame or GeoSeries, warning on approximate datum changes.

    PROJ has no published transformation from Xian 1980 or Beijing 1954 to CGCS2000
    or WGS84; it falls back to a "ballpark" one that keeps longitude/latitude, which is
    wrong by metres to tens of metres in position (areas change far less, ~1e-6). A
    :class:`UserWarning` says so whenever such a layer changes datum.

    Parameters
    ----------
    data
        GeoDataFrame or GeoSeries with a CRS.
    target
        Anything :func:`get_crs` accepts.

    Returns
    -------
    same kind as ``data``
        A new object (:meth:`geopandas.GeoDataFrame.to_crs`); ``data`` is not modified.

    Raises
    ------
    CRSError
        If ``data`` has no CRS or ``target`` is not a CRS.
    """
    src = require_crs(data)
    dst = get_crs(target)
    src_datum = classify_crs(src).datum
    dst_datum = classify_crs(dst).datum
    if src_datum != dst_datum and {src_datum, dst_datum} & _OLD_DATUMS:
        warnings.warn(
            f"reprojecting from {src.name!r} ({src_datum}) to {dst.name!r} ({dst_datum}) "
            "without a local 7-parameter transformation: positions are approximate "
            "(metres to tens of metres); areas are barely affected",
            UserWarning,
            stacklevel=2,
        )
    return data.to_crs(dst)


def _lonlat_bounds(bounds: tuple[float, ...], crs: CRS) -> tuple[float, float, float, float]:
    """Bounds ``(west, south, east, north)`` in degrees on the CRS's own datum."""
    if crs.is_geographic:
        minx, miny, maxx, maxy = bounds
        return float(minx), float(miny), float(maxx), float(maxy)
    geodetic = crs.geodetic_crs
    if geodetic is None:
        raise CRSError(f"{crs.name!r} has no geodetic datum; xsland cannot measure it")
    tr = Transformer.from_crs(crs, geodetic, always_xy=True)
    west, south, east, north = tr.transform_bounds(*bounds, densify_pts=21)
    return float(west), float(south), float(east), float(north)


def _zone_covers(info: CRSInfo, west: float, east: float, margin: float) -> bool:
    """Whether a transverse Mercator zone covers longitudes ``west..east``.

    The zone's extent is the union of its area of use and its nominal width about the
    central meridian (±1.5° for 3-degree zones, ±3° for 6-degree or unknown widths).
    """
    if info.central_meridian is None or west > east:
        return False
    cm = info.central_meridian
    half = 1.5 if info.zone_width == 3 else 3.0
    lo, hi = cm - half, cm + half
    if info.lon_bounds is not None and info.lon_bounds[0] <= info.lon_bounds[1]:
        lo = min(lo, info.lon_bounds[0])
        hi = max(hi, info.lon_bounds[1])
    return lo - margin <= west and east <= hi + margin


#: Longitude distance from a zone's central meridian within which its plane area agrees
#: with the ellipsoidal area to 1e-4 (k² − 1 ≈ x²/R², x = 0.6° · 111 km · cos φ).
_ZONE_EXACT_DEG = 0.6


def _in_china(lon: float, lat: float) -> bool:
    return bool(in_china_bbox(lon, lat)) and 73.5 <= lon <= 136.5


def _laea(lon: float, lat: float, geodetic: CRS) -> CRS:
    return ProjectedCRS(
        conversion=LambertAzimuthalEqualAreaConversion(
            latitude_natural_origin=round(lat, 6), longitude_natural_origin=round(lon, 6)
        ),
        geodetic_crs=geodetic,
        name=f"Lambert azimuthal equal-area centred on {lon:.4f}E {lat:.4f}N",
    )


def _require_finite(data: Any) -> None:
    """Raise naming the positions of features with NaN/inf coordinates, if any."""
    geoms = getattr(data, "geometry", data)
    if not hasattr(geoms, "total_bounds"):
        return
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    present = ~np.isnan(bounds).all(axis=1)
    bad = present & ~np.isfinite(bounds).all(axis=1)
    if bad.any():
        rows = ", ".join(f"#{i}" for i in np.flatnonzero(bad)[:10])
        raise DataError(
            f"{int(bad.sum())} feature(s) have NaN or infinite coordinates (positions {rows}); "
            "correct or remove them (read_layer(kind=…) names them by ID)"
        )


#: How far (degrees) beyond a CRS's area of use data may lie before it is "far outside":
#: one 3-degree Gauss-Krüger zone width. Data a little past a zone edge is common and
#: measurable; data a zone or more away is in another CRS.
AREA_OF_USE_MARGIN_DEG = 3.0


def _require_possible(src: CRS, lonlat: tuple[float, ...]) -> None:
    """Raise when the data's extent lies far outside the CRS's area of use.

    :func:`xsland.read.validate.validate_layer` names the features and the likely CRS;
    this guards data that did not go through it.
    """
    aou = src.area_of_use
    west, south, east, north = lonlat
    if aou is None or aou.west > aou.east or not all(math.isfinite(v) for v in lonlat):
        return
    m = AREA_OF_USE_MARGIN_DEG
    inside = aou.west - m <= west and east <= aou.east + m
    if inside and aou.south - m <= south and north <= aou.north + m:
        return
    raise CRSError(
        f"the data's extent ({west:.4g}°–{east:.4g}°E, {south:.4g}°–{north:.4g}°N) lies far "
        f"outside the area of use of its CRS {src.name!r}: some coordinates are impossible "
        "for this CRS (a zone prefix in the easting, degrees as metres …). Read the layer "
        "with read_layer(kind=…) or validate_layer, which name the features and the likely "
        "CRS; or correct the CRS (override_crs=, --override-crs KIND=CRS)"
    )


def metric_crs(data: Any, *, crs: Any = None, zone_margin: float = 0.05) -> CRS:
    """Choose the CRS in which to measure areas (SPEC §2).

    1. Data in a transverse Mercator / Gauss-Krüger zone that covers its longitudes
       (the zone's area of use, or its central meridian ± half its width, ± ``zone_margin``)
       stays in that CRS: plane areas, as cadastral documents state them. This includes
       Xian 1980 and Beijing 1954 zones.
    2. Otherwise, when the centre of the data lies in China and all of it lies within
       0.6° of longitude of the central meridian of its CGCS2000 3-degree Gauss-Krüger
       zone, that zone without zone prefix (:func:`gk3_zone_epsg`; EPSG:4549 for Wuxi).
       The plane area exceeds the ellipsoidal one by :math:`k^2 - 1 \\approx x^2/R^2`
       (*x* the distance from the central meridian): below 1e-4 within ±0.6°, but ~5e-4
       at the zone edge (±1.5°). Data reaching farther from the central meridian (near a
       zone edge, or a whole province) is measured in a Lambert azimuthal equal-area
       projection on CGCS2000 centred on it, so the 0.01 % promise of SPEC §2 holds.
    3. Otherwise a Lambert azimuthal equal-area projection centred on the data, on the
       data's own geodetic datum (so no datum shift), whose areas equal ellipsoidal ones.

    Geographic CRSs and Web Mercator (which inflates areas by :math:`1/\\cos^2\\varphi`)
    are never kept.

    Parameters
    ----------
    data
        A GeoDataFrame, GeoSeries or GeometryArray with a CRS, or bounds
        ``(minx, miny, maxx, maxy)`` with ``crs``.
    crs
        The CRS of ``data`` when it is bounds (or has no CRS of its own).
    zone_margin
        Degrees of longitude data may reach beyond its zone and still be kept in it.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        If the data has no CRS, or ``crs`` contradicts the data's own.
    DataError
        If there are no coordinates to centre a projection on.
    """
    own = getattr(data, "crs", None)
    if own is not None:
        src = get_crs(own)
        if crs is not None and not get_crs(crs).equals(src, ignore_axis_order=True):
            raise CRSError(
                f"crs={crs!r} contradicts the data's own CRS {src.name!r}; "
                "reproject the data or drop crs="
            )
    elif crs is not None:
        src = get_crs(crs)
    else:
        raise CRSError(_NO_CRS_MESSAGE)
    if hasattr(data, "total_bounds"):  # GeoDataFrame, GeoSeries, GeometryArray
        bounds = tuple(float(v) for v in data.total_bounds)
    else:
        try:
            bounds = tuple(float(v) for v in data)
        except (TypeError, ValueError) as exc:
            raise DataError(
                "metric_crs needs a GeoDataFrame, a GeoSeries or bounds "
                f"(minx, miny, maxx, maxy), not {type(data).__name__}"
            ) from exc
        if len(bounds) != 4:
            raise DataError(f"bounds must be (minx, miny, maxx, maxy), got {bounds!r}")
    info = classify_crs(src)
    if not all(math.isfinite(v) for v in bounds):
        _require_finite(data)
        if info.is_transverse_mercator:
            return src
        raise DataError(
            "there are no coordinates (every geometry is empty or missing) to choose a "
            "metric CRS from; pass crs= explicitly"
        )
    west, south, east, north = _lonlat_bounds(bounds, src)
    _require_possible(src, (west, south, east, north))
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise CRSError(
            f"the coordinates (bounds {', '.join(f'{v:,.6g}' for v in bounds)}) cannot be "
            f"placed on the earth in {src.name!r}: some features are impossible for this CRS "
            "(a zone prefix in the easting, metres read as degrees …). Read the layer with "
            "read_layer(kind=…) or validate_layer, which name the features and the likely CRS"
        )
    if info.is_transverse_mercator and _zone_covers(info, west, east, zone_margin):
        return src
    if west > east:  # across the antimeridian
        east += 360.0
    lon = (west + east) / 2.0
    lon = (lon + 180.0) % 360.0 - 180.0
    lat = (south + north) / 2.0
    if _in_china(lon, lat):
        cm = 3.0 * round(lon / 3.0)
        if max(abs(west - cm), abs(east - cm)) <= _ZONE_EXACT_DEG:
            return CRS.from_epsg(gk3_zone_epsg(lon))
        # too far from the zone's central meridian for 0.01 %: equal-area on CGCS2000
        return _laea(lon, lat, CRS.from_epsg(4490))
    geodetic = _horizontal(src).geodetic_crs or CRS.from_epsg(4490)
    return _laea(lon, lat, geodetic)
