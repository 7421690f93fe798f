"""Coordinates that cannot be right: not finite, or impossible for the layer's CRS.

Two checks run on every layer before any geometry is repaired or measured, so no
GEOS or PROJ error ever reaches a user, and one bad parcel cannot make a whole
layer look empty:

- :func:`nonfinite_mask` — features with a NaN or infinite coordinate;
- :func:`crs_findings` — features whose coordinates cannot be in the declared CRS:
  degrees outside ±180/±90, longitude and latitude swapped, metres under a
  geographic CRS, degrees under a projected CRS, a Gauss-Krüger zone prefix in the
  easting where the CRS has none (EPSG:4549 eastings of 40 535 000 m instead of
  535 000 m: EPSG:4528 is likely right) or none where it has one, or positions far
  outside the CRS's area of use (:attr:`pyproj.CRS.area_of_use`). Each finding names
  the likely right CRS when the numbers say which.

Both return masks over the features; :func:`xsland.read.validate.validate_layer`
turns them into named problems with the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from xsland.read.crs import AREA_OF_USE_MARGIN_DEG, classify_crs, get_crs

__all__ = [
    "AREA_OF_USE_MARGIN_DEG",
    "CoordinateFinding",
    "crs_findings",
    "nonfinite_mask",
    "zone_crs",
]

# Datum family -> (first EPSG with zone prefix, first without), 3-degree zones 25..45
_GK3 = {"cgcs2000": (4513, 4534), "xian1980": (2349, 2370), "beijing1954": (2401, 2422)}
# Datum family -> (first EPSG with zone prefix, first without), 6-degree zones 13..23
_GK6 = {"cgcs2000": (4491, 4502), "xian1980": (2327, 2338), "beijing1954": (21413, 21453)}


@dataclass(frozen=True)
class CoordinateFinding:
    """Features whose coordinates cannot be in the declared CRS.

    Attributes
    ----------
    check
        ``"impossible_coordinates"``.
    mask
        Boolean mask over the features.
    message
        What is wrong, with an example coordinate.
    likely_crs
        The CRS the numbers point to (``"EPSG:4528"``), or ``""`` when they do not say.
    """

    check: str
    mask: np.ndarray
    message: str
    likely_crs: str = ""


def nonfinite_mask(geoms: np.ndarray) -> np.ndarray:
    """True for each geometry with a NaN or infinite X or Y coordinate.

    Missing and empty geometries are False (they have no coordinates).
    """
    geoms = np.asarray(geoms, dtype=object)
    mask = np.zeros(len(geoms), dtype=bool)
    # every vertex of a line or polygon ends a segment of its length, and a NaN or
    # infinite coordinate makes that segment, so the length, NaN or infinite: a finite
    # length clears a line or polygon without copying its coordinates out. The others
    # (points, collections, lengths that overflow) are looked at coordinate by coordinate
    lined = np.isin(shapely.get_type_id(geoms), _LINED)
    pos = np.flatnonzero(~lined | ~np.isfinite(shapely.length(geoms)))
    if len(pos) == 0 or np.isfinite(shapely.get_coordinates(geoms[pos])).all():
        return mask  # the usual case: no feature to name, so no feature index needed
    coords, index = shapely.get_coordinates(geoms[pos], return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    mask[pos[np.unique(index[bad])]] = True
    return mask


#: Type ids of the geometries made of segments: LineString, LinearRing, Polygon,
#: MultiLineString and MultiPolygon (:func:`nonfinite_mask`).
_LINED = (1, 2, 3, 5, 6)


def zone_crs(datum: str, zone: int, *, width: int = 3, prefix: bool) -> str:
    """The EPSG code of a Gauss-Krüger zone (``""`` when EPSG has none).

    3-degree zones 25–45 (central meridian :math:`3n`) and 6-degree zones 13–23
    (central meridian :math:`6n - 3`), for CGCS2000, Xian 1980 and Beijing 1954; any
    other datum is given its CGCS2000 zone (WGS 84 and CGCS2000 differ by under a metre).

    >>> zone_crs("cgcs2000", 40, prefix=True), zone_crs("cgcs2000", 40, prefix=False)
    ('EPSG:4528', 'EPSG:4549')
    """
    table, lo, hi = (_GK3, 25, 45) if width == 3 else (_GK6, 13, 23)
    if not lo <= zone <= hi:
        return ""
    first_prefixed, first_plain = table.get(datum, table["cgcs2000"])
    return f"EPSG:{(first_prefixed if prefix else first_plain) + zone - lo}"


def _fmt(x: float, y: float) -> str:
    def one(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.6g}"

    return f"({one(x)}, {one(y)})"


def _centres(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (bounds[:, 0] + bounds[:, 2]) / 2.0, (bounds[:, 1] + bounds[:, 3]) / 2.0


def _metres_crs(x: float, datum: str) -> str:
    """The likely projected CRS of metre coordinates ``x`` (easting)."""
    if x >= 1e6:
        zone = int(x // 1e6)
        return zone_crs(datum, zone, width=3, prefix=True) or zone_crs(
            datum, zone, width=6, prefix=True
        )
    return ""


def _geographic(bounds: np.ndarray, ok: np.ndarray, crs: CRS) -> list[CoordinateFinding]:
    datum = classify_crs(crs).datum
    ax = np.maximum(np.abs(bounds[:, 0]), np.abs(bounds[:, 2]))
    ay = np.maximum(np.abs(bounds[:, 1]), np.abs(bounds[:, 3]))
    out = []
    metres = ok & ((ax > 360) | (ay > 360))
    if metres.any():
        i = int(np.flatnonzero(metres)[0])
        likely = _metres_crs(float(bounds[i, 0]), datum)
        out.append(
            CoordinateFinding(
                "impossible_coordinates",
                metres,
                f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} are metres, but the "
                f"CRS {crs.name!r} is in degrees"
                + ("" if likely else " (a projected CRS such as EPSG:4549 is likely)"),
                likely,
            )
        )
    swapped = ok & ~metres & (ay > 90) & (ay <= 180) & (ax <= 90)
    if swapped.any():
        i = int(np.flatnonzero(swapped)[0])
        out.append(
            CoordinateFinding(
                "impossible_coordinates",
                swapped,
                f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} have a latitude "
                "beyond ±90°: longitude and latitude are swapped (X holds the latitude)",
                "",
            )
        )
    beyond = ok & ~metres & ~swapped & ((ax > 180) | (ay > 90))
    if beyond.any():
        i = int(np.flatnonzero(beyond)[0])
        out.append(
            CoordinateFinding(
                "impossible_coordinates",
                beyond,
                f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} are outside "
                "±180° longitude / ±90° latitude",
                "",
            )
        )
    rest = ok & ~metres & ~swapped & ~beyond
    lon, lat = _centres(bounds)
    out += _outside_area(crs, rest, lon, lat, bounds)
    return out


def _outside_area(
    crs: CRS, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray, bounds: np.ndarray
) -> list[CoordinateFinding]:
    """Rows (already in degrees) far outside the CRS's area of use."""
    aou = crs.area_of_use
    if aou is None or not rows.any():
        return []
    m = AREA_OF_USE_MARGIN_DEG
    west, east = aou.west, aou.east
    if west > east:  # across the antimeridian: do not judge longitude
        west, east = -math.inf, math.inf
    with np.errstate(invalid="ignore"):
        inside = (
            (lon >= west - m) & (lon <= east + m) & (lat >= aou.south - m) & (lat <= aou.north + m)
        )
    far = rows & ~inside
    if not far.any():
        return []
    i = int(np.flatnonzero(far)[0])
    where = f"{aou.west:g}°–{aou.east:g}°E, {aou.south:g}°–{aou.north:g}°N"
    return [
        CoordinateFinding(
            "impossible_coordinates",
            far,
            f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} lie far outside the area "
            f"of use of {crs.name!r} ({where})",
            "",
        )
    ]


def _projected(bounds: np.ndarray, ok: np.ndarray, crs: CRS) -> list[CoordinateFinding]:
    info = classify_crs(crs)
    out: list[CoordinateFinding] = []
    x, y = _centres(bounds)
    todo = ok.copy()
    degrees = todo & (np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
    degrees &= (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1)
    if info.is_transverse_mercator and info.central_meridian is not None:
        cm, datum = info.central_meridian, info.datum
        if not info.has_zone_prefix:
            zone = np.floor(x / 1e6)
            width = 3 if info.zone_width in (None, 3) else 6
            same = 3 * zone == cm if width == 3 else 6 * zone - 3 == cm
            prefixed = todo & (x >= 1e6) & same
            if prefixed.any():
                i = int(np.flatnonzero(prefixed)[0])
                z = int(zone[i])
                out.append(
                    CoordinateFinding(
                        "impossible_coordinates",
                        prefixed,
                        f"eastings such as {x[i]:,.0f} m carry the zone prefix {z} "
                        f"(x = {z} × 1 000 000 + …), which the CRS {crs.name!r} does not have",
                        zone_crs(datum, z, width=width, prefix=True),
                    )
                )
                todo &= ~prefixed
        else:
            plain = todo & ~degrees & (x > 0) & (x < 1e6)
            if plain.any():
                i = int(np.flatnonzero(plain)[0])
                out.append(
                    CoordinateFinding(
                        "impossible_coordinates",
                        plain,
                        f"eastings such as {x[i]:,.0f} m have no zone prefix, but the CRS "
                        f"{crs.name!r} puts zone {info.zone} in front "
                        f"({info.false_easting:,.0f} m false easting)",
                        zone_crs(datum, int(info.zone), width=info.zone_width or 3, prefix=False),
                    )
                )
                todo &= ~plain
    geodetic = crs.geodetic_crs
    if geodetic is None or not todo.any():
        return out
    tr = Transformer.from_crs(crs, geodetic, always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = tr.transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    unplaced = todo & ~(np.isfinite(lon) & np.isfinite(lat))
    far = _outside_area(crs, todo & ~unplaced, lon, lat, bounds)
    bad = unplaced | (far[0].mask if far else np.zeros(len(x), bool))
    as_degrees = bad & degrees
    if as_degrees.any():
        i = int(np.flatnonzero(as_degrees)[0])
        likely = "EPSG:4490" if info.datum in ("cgcs2000", "wgs84") else ""
        out.append(
            CoordinateFinding(
                "impossible_coordinates",
                as_degrees,
                f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} are degrees "
                f"(longitude/latitude), but the CRS {crs.name!r} is in metres",
                likely,
            )
        )
    rest = bad & ~degrees
    if rest.any():
        i = int(np.flatnonzero(rest)[0])
        likely = _metres_crs(float(x[i]), info.datum if info.datum != "other" else "cgcs2000")
        text = (
            far[0].message
            if far and far[0].mask[i]
            else f"coordinates such as {_fmt(bounds[i, 0], bounds[i, 1])} cannot be placed on "
            f"the earth in {crs.name!r}"
        )
        out.append(CoordinateFinding("impossible_coordinates", rest, text, likely))
    return out


def crs_findings(geoms: np.ndarray, crs: object) -> list[CoordinateFinding]:
    """Features whose coordinates are impossible for ``crs`` (see the module notes).

    Parameters
    ----------
    geoms
        Shapely geometries; missing, empty and non-finite ones are skipped.
    crs
        The layer's CRS (anything :func:`xsland.read.crs.get_crs` accepts).

    Returns
    -------
    list of CoordinateFinding
        One per kind of impossibility found; empty when every feature fits.
    """
    geoms = np.asarray(geoms, dtype=object)
    if crs is None or len(geoms) == 0:
        return []
    crs = get_crs(crs)
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if crs.is_compound and crs.sub_crs_list:
        crs = crs.sub_crs_list[0]
    bounds = shapely.bounds(geoms)
    ok = np.isfinite(bounds).all(axis=1)
    if not ok.any():
        return []
    if crs.is_geographic:
        return _geographic(bounds, ok, crs)
    if crs.is_projected:
        return _projected(bounds, ok, crs)
    return []
