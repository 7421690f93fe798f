"""The synthetic "Xishan sample": a deterministic demo and test data set.

:func:`generate_sample` writes a complete, **synthetic** set of inputs for the
audit of Xishan's industrial parks, placed at the real locations of Xishan's
streets and towns in CGCS2000 (EPSG:4549, 3-degree Gauss-Krüger, central
meridian 120°E). Nothing in it is real: parks, parcels, buildings, companies
and figures are invented. It exists so that ``xsland demo`` has something to
show and so that tests can check that every planted data problem is found.

Files written into the output directory:

``xishan.gpkg``
    Layers ``parks`` (8 parks, core and expansion zones as separate features),
    ``parcels`` (about 3,000), ``buildings`` (about 6,000) and ``plan``
    (规划用地), all EPSG:4549. The parcel layer mixes Polygon and MultiPolygon
    and holds invalid geometries on purpose.
``enterprises.csv``
    About 800 enterprises, UTF-8 with BOM, English contract headers.
``indicators.xlsx``
    Park indicators for 2025 and 2026 with Chinese headers (园区编号, 年度, …).
``landcover.tif``
    10 m land cover with ESA WorldCover class codes (10 tree, 30 grassland,
    40 cropland, 50 built-up, 60 bare, 80 water), nodata 0.
``export_gbk/锡北镇地块.shp``
    The parcels of 锡北镇 as an old ArcGIS-style Shapefile: EPSG:4528 (zone
    prefix 40 in the easting), Chinese field names, GBK text, no ``.cpg`` and
    language-driver byte 0, so the encoding must be detected by the reader.
``defects.json``
    Every planted defect and finding, by ID (see :data:`DEFECT_KEYS`).

``generate_sample(out, variant="later")`` writes the same district one year later
(indicators for 2027), with the changes between the two — parcels split, merged,
re-cut, reshaped, renumbered, removed and newly supplied, a low-efficiency block
redeveloped, park checks passing — listed in ``defects.json["changes"]``
(:data:`CHANGE_KEYS`), to show ``xsland diff``. The default ``"base"`` variant is
unchanged by it.

The same seed always gives the same tables, geometries and raster. Data is
written into a temporary directory next to the target and renamed into place,
so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from xsland.errors import DataError, OutputExistsError
from xsland.rules.units import M2_PER_MU

__all__ = [
    "CHANGE_KEYS",
    "DEFAULT_SEED",
    "DEFECT_KEYS",
    "POLICY_DATE",
    "SamplePaths",
    "TOWNS",
    "VARIANTS",
    "ensure_sample",
    "generate_sample",
    "sample_dir",
]

#: The seed of the bundled sample: the date of the policy, 2025-08-29.
DEFAULT_SEED = 20250829

#: Date of 锡府办规〔2025〕1号; land supplied on or after it counts as new.
POLICY_DATE = dt.date(2025, 8, 29)

#: Keys of ``defects.json``. The first ten are the data problems and park
#: findings ``xsland check`` / ``xsland audit`` must report; the others are
#: further findings planted on purpose.
DEFECT_KEYS = (
    "self_intersecting",  # parcel_ids of bow-tie (self-intersecting) rings
    "duplicate_id",  # [parcel_id] used by two different parcels
    "slivers",  # parcel_ids: area < 100 m2 or mean width 2*area/perimeter < 2 m
    "straddling",  # parcel_ids partly inside and partly outside a park (each side >= 20 %)
    "multipolygon",  # parcel_ids stored as a MultiPolygon of two parts
    "buildings_outside",  # building_ids outside every parcel
    "declared_area_mismatch",  # parcel_ids whose declared_area differs > 5 % from the area
    "oversize_park",  # park_id of the district park larger than 3 km2
    "no_enterprise_data_park",  # park_id whose parcels have no enterprise_id
    "no_chain_leader_parks",  # park_ids with enterprise data but no chain leader
    "nonconforming_use",  # parcel_ids whose land_use differs from the plan's planned_use
    "buildings_straddling",  # building_ids lying across the edge of two parcels
    "vacant_parcels",  # parcel_ids of land left without any building (slivers aside)
    "idle_parcels",  # vacant parcels whose start_deadline + 1 year is before POLICY_DATE
    "no_indicators_park",  # park_id without a row in indicators.xlsx
)

#: Variants of the sample: the district as delivered, and the same district one year later.
VARIANTS = ("base", "later")

#: Keys of ``defects.json["changes"]`` in the ``later`` variant: the changes planted
#: between the two, which ``xsland diff`` must find (see :func:`generate_sample`).
CHANGE_KEYS = (
    "year",  # the indicator year of the later audit
    "split",  # [{"old": id, "new": [id, id]}]: a parcel cut in two, new IDs
    "merged",  # [{"old": [id, id], "new": id}]: two neighbours of one owner joined
    "reorganised",  # [{"old": [id, id], "new": [id, id, id]}]: two parcels re-cut into three
    "reshaped",  # [id]: same ID, boundary moved (6 m given up to a road widening)
    "id_changed",  # [{"old": id, "new": id}]: same land, new ID
    "removed",  # [id]: parcels taken back (收储), buildings demolished
    "added",  # [id]: parcels newly supplied on land that had none
    "redeveloped",  # {"park_id", "parcel_ids", "far_before_max", "far_after"}: 连片改造
    "park_checks",  # [{"park_id", "check", "old", "new"}]: park checks whose status changes
    "targets",  # {"innovation_platforms": {"old", "new", "target"}}
)

_GPKG = "xishan.gpkg"
_ENTERPRISES = "enterprises.csv"
_INDICATORS = "indicators.xlsx"
_LANDCOVER = "landcover.tif"
_GBK_DIR = "export_gbk"
_GBK_TOWN = "锡北镇"
_GBK_SHP = f"{_GBK_TOWN}地块.shp"
_DEFECTS = "defects.json"

_CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
_GBK_CRS = "EPSG:4528"  # CGCS2000 / 3-degree Gauss-Kruger zone 40 (easting prefix 40)


@dataclass(frozen=True)
class SamplePaths:
    """The files of a generated sample.

    Attributes
    ----------
    root
        The sample directory.
    gpkg
        ``xishan.gpkg`` with layers ``parks``, ``parcels``, ``buildings``, ``plan``.
    enterprises
        ``enterprises.csv``.
    indicators
        ``indicators.xlsx``.
    landcover
        ``landcover.tif``.
    gbk_shapefile
        ``export_gbk/锡北镇地块.shp`` (GBK, no ``.cpg``).
    defects
        ``defects.json``.
    """

    root: Path
    gpkg: Path
    enterprises: Path
    indicators: Path
    landcover: Path
    gbk_shapefile: Path
    defects: Path

    @classmethod
    def in_dir(cls, root: str | os.PathLike) -> SamplePaths:
        """The paths a sample written into ``root`` has.

        Parameters
        ----------
        root
            A sample directory (it need not exist).

        Returns
        -------
        SamplePaths
        """
        root = Path(root)
        return cls(
            root=root,
            gpkg=root / _GPKG,
            enterprises=root / _ENTERPRISES,
            indicators=root / _INDICATORS,
            landcover=root / _LANDCOVER,
            gbk_shapefile=root / _GBK_DIR / _GBK_SHP,
            defects=root / _DEFECTS,
        )

    def missing(self) -> list[Path]:
        """The files of the sample that do not exist (empty when complete).

        Returns
        -------
        list of Path
        """
        files = [getattr(self, f.name) for f in fields(self) if f.name != "root"]
        shp = self.gbk_shapefile
        files += [shp.with_suffix(s) for s in (".shx", ".dbf", ".prj")]
        return [p for p in files if not p.is_file()]


def sample_dir() -> Path:
    """The default location of the sample: ``<repository>/data/xishan``.

    Returns
    -------
    Path
    """
    return Path(__file__).resolve().parents[2] / "data" / "xishan"


def ensure_sample(out_dir: str | os.PathLike | None = None) -> SamplePaths:
    """The sample in ``out_dir``, generated with the default seed if it is not there.

    Parameters
    ----------
    out_dir
        The sample directory; :func:`sample_dir` when ``None``.

    Returns
    -------
    SamplePaths

    Raises
    ------
    OutputExistsError
        When ``out_dir`` exists, is not empty and yet lacks some of the
        sample's files (regenerate it with ``generate_sample(out_dir,
        overwrite=True)``).
    """
    paths = SamplePaths.in_dir(sample_dir() if out_dir is None else out_dir)
    if not paths.missing():
        return paths
    return generate_sample(paths.root)


def generate_sample(
    out_dir: str | os.PathLike,
    *,
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
    variant: str = "base",
) -> SamplePaths:
    """Write the synthetic Xishan sample into ``out_dir``.

    Parameters
    ----------
    out_dir
        The directory to create. Its parent is created when missing.
    seed
        Seed of the random generator; the same seed gives the same data.
    overwrite
        Replace ``out_dir`` when it exists already. An existing *empty*
        directory is used without it.
    variant
        ``"base"``: the sample as delivered (the default, unchanged). ``"later"``:
        the same district one year later, to show ``xsland diff``: a few parcels
        split, merged, re-cut, reshaped, renumbered, removed and newly supplied, a
        block of low-efficiency parcels redeveloped (连片改造: new buildings, plot
        ratio 2.25, a new leading-industry owner), a chain leader (链主) named in a
        park that had none, and 2027 park indicators (one more park reporting, more
        innovation platforms). Its ``defects.json`` describes the later data and
        lists the planted changes under ``"changes"`` (keys :data:`CHANGE_KEYS`).

    Returns
    -------
    SamplePaths
        The files written.

    Raises
    ------
    OutputExistsError
        When ``out_dir`` exists (and is not an empty directory) and
        ``overwrite`` is false.

    Notes
    -----
    Everything is written into a temporary directory next to ``out_dir`` and
    renamed into place at the end, so an interrupted run leaves no
    half-written sample behind.
    """
    if variant not in VARIANTS:
        raise DataError(f"unknown sample variant {variant!r}; use one of {', '.join(VARIANTS)}")
    out_dir = Path(out_dir)
    if _occupied(out_dir) and not overwrite:
        raise OutputExistsError(
            f"{out_dir} exists already; pass overwrite=True (on the command line "
            "--overwrite) to replace it, or choose another directory"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        os.chmod(tmp, 0o755)
        if variant == "base":
            _write_sample(tmp, seed)
        else:
            _write_sample(tmp, seed, variant=variant)
        _move_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SamplePaths.in_dir(out_dir)


def _occupied(path: Path) -> bool:
    if path.is_dir() and not path.is_symlink():
        return any(path.iterdir())
    return path.exists() or path.is_symlink()


def _move_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, replacing what is there."""
    old = None
    if target.is_dir() and not target.is_symlink():
        if any(target.iterdir()):
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            os.rename(target, old / "previous")
        else:
            target.rmdir()
    elif target.exists() or target.is_symlink():
        target.unlink()
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:  # put the previous sample back
            os.rename(old / "previous", target)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------
# What the sample holds
# ---------------------------------------------------------------------------

#: Approximate centres (lon, lat, CGCS2000) of Xishan's streets and towns.
TOWNS = {
    "东亭街道": (120.36, 31.59),
    "安镇街道": (120.44, 31.60),
    "东北塘街道": (120.37, 31.65),
    "云林街道": (120.41, 31.56),
    "厚桥街道": (120.47, 31.64),
    "羊尖镇": (120.56, 31.61),
    "鹅湖镇": (120.53, 31.54),
    "锡北镇": (120.40, 31.71),
    "东港镇": (120.49, 31.71),
}


@dataclass(frozen=True)
class _Park:
    park_id: str
    name: str
    town: str
    park_type: str  # "district" 片区型 or "carrier" 载体型
    industry: str  # 主导产业
    core_km2: float
    expansion_km2: float  # 0 for a park without expansion zone
    corner: tuple[int, int]  # south-west corner of the core, metres from the town centre
    expand: str  # "east" or "north": where the expansion zone lies
    lead_share: float | None  # share of leading-industry enterprises; None: no enterprise data
    chain_leaders: int
    indicators: bool = True
    straddler: bool = False  # a 60 m unparcelled south margin holding a straddling parcel
    related: tuple[str, ...] = ()  # 相关/配套产业 of its positioning; () for none listed


_PARKS = (
    _Park("XS01", "东亭智能装备产业园", "东亭街道", "district", "智能装备",
          2.0, 1.45, (-2600, -900), "east", 0.72, 2,
          related=("通用设备制造", "金属制品", "检验检测")),
    _Park("XS02", "安镇新能源汽车零部件产业园", "安镇街道", "district", "新能源汽车零部件",
          1.55, 1.1, (-700, -900), "north", 0.66, 1, straddler=True,
          related=("智能装备", "新材料", "金属制品")),
    _Park("XS03", "锡北新材料产业园", "锡北镇", "district", "新材料",
          1.4, 1.05, (-900, -800), "east", 0.61, 1, related=("节能环保", "金属制品")),
    _Park("XS04", "鹅湖生物医药产业园", "鹅湖镇", "district", "生物医药",
          1.35, 0.9, (-800, -700), "north", 0.55, 1, straddler=True,
          related=("医疗器械", "检验检测")),
    _Park("XS05", "东港高端纺织产业园", "东港镇", "district", "高端纺织",
          1.45, 0.95, (-800, -800), "east", 0.58, 0, related=("新材料", "智能装备")),
    _Park("XS06", "云林集成电路产业园", "云林街道", "carrier", "集成电路",
          0.7, 0.0, (-400, -400), "east", 0.78, 1, related=("数字经济", "新材料")),
    _Park("XS07", "厚桥节能环保产业园", "厚桥街道", "carrier", "节能环保",
          0.55, 0.0, (-400, -400), "east", None, 0),
    _Park("XS08", "东亭数字经济产业园", "东亭街道", "carrier", "数字经济",
          0.4, 0.0, (700, 700), "east", 0.47, 0, indicators=False),
)  # fmt: skip
_PARK_BY_ID = {p.park_id: p for p in _PARKS}

#: Industrial land outside every park: (town, south-west corner from the town centre, km²).
_CLUSTERS = (
    ("羊尖镇", (-600, -500), 0.75),
    ("东北塘街道", (-500, -400), 0.6),
    ("锡北镇", (1900, 1000), 0.55),
    ("安镇街道", (1400, -2300), 0.55),
)

_INDUSTRIES = (
    "智能装备",
    "新能源汽车零部件",
    "生物医药",
    "新材料",
    "集成电路",
    "高端纺织",
    "节能环保",
    "数字经济",
)
_OTHER_INDUSTRIES = ("金属制品", "通用设备制造", "现代物流", "商贸服务", "医疗器械", "检验检测")
#: Share of a park's enterprises outside its leading industry that are in one of its
#: related industries (when it lists any).
_RELATED_SHARE = 0.85

#: Words for company names, by industry.
_TRADE_WORDS = {
    "智能装备": ("智能装备", "精密机械", "自动化设备", "机器人"),
    "新能源汽车零部件": ("汽车零部件", "新能源动力", "电驱科技", "汽车电子"),
    "生物医药": ("生物医药", "生物科技", "医疗器械", "药业"),
    "新材料": ("新材料", "高分子材料", "复合材料", "特种合金"),
    "集成电路": ("半导体", "微电子", "集成电路", "芯片科技"),
    "高端纺织": ("纺织", "纺织科技", "服饰", "印染"),
    "节能环保": ("环保科技", "节能科技", "环境工程", "水处理"),
    "数字经济": ("数字科技", "信息技术", "软件", "网络科技"),
    "金属制品": ("金属制品", "五金", "钢结构"),
    "通用设备制造": ("通用机械", "泵阀", "机电设备"),
    "现代物流": ("物流", "供应链管理", "仓储服务"),
    "商贸服务": ("商贸", "贸易", "商业管理"),
    "医疗器械": ("医疗器械", "医疗科技", "康复设备"),
    "检验检测": ("检测技术", "检验认证", "计量检测"),
}
_NAME_CHARS = "华泰鑫宏新锡联明达瑞恒凯晨德盛通宇嘉源立信安永丰隆东方佳骏博创远亚邦威"
_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "科技有限公司")
_UTILITY_OWNER = "国网江苏省电力有限公司无锡供电分公司"

_INDUSTRIAL_CODES = ("100101", "100102", "100103")
#: Land-use mix of the blocks by kind of area: (codes, probabilities).
_BLOCK_USES = {
    "district": (("100101", "100102", "100103", "1101", "M0", "0901"),
                 (0.32, 0.42, 0.05, 0.10, 0.07, 0.04)),
    "carrier": (("100101", "M0", "0901"), (0.55, 0.35, 0.10)),
    "outside": (("100101", "100102", "100103", "1101"), (0.25, 0.50, 0.10, 0.15)),
}  # fmt: skip
#: Block sizes (width range, height range, m) and mean parcel width (m), by kind of area.
_BLOCK_SIZE = {
    "district": ((240, 360), (150, 220), 46),
    "carrier": ((150, 220), (110, 150), 36),
    "outside": ((240, 340), (150, 210), 50),
}
_ROAD_WIDTHS = np.array([12, 14, 16, 18, 20, 24, 26, 30, 36, 40])  # even: half-widths are whole
_EDGE = 10  # half of a 20 m perimeter road: the margin of a park outside its outer blocks
_WIDE_EDGE = 60  # the unparcelled south margin of parks with a straddling parcel

_BIG_BLOCK_WIDTH = 140  # mean parcel width in blocks of large plants (one row)
_BIG_BLOCK_P = {"district": 0.10, "carrier": 0.0, "outside": 0.15}


# ---------------------------------------------------------------------------
# Layout: zones, blocks and the rectangles of the parcels
# ---------------------------------------------------------------------------


class _Block(NamedTuple):
    x0: int
    y0: int
    x1: int
    y1: int
    row: int  # row of the block in its zone, 0 = southernmost
    road_east: int | None  # width of the road to the next block east in the zone


@dataclass
class _Zone:
    group: str  # park_id, or "C1"… for industrial land outside parks
    zone: str  # "core", "expansion", or "" outside parks
    style: str  # "district", "carrier" or "outside"
    town: str
    outline: tuple[int, int, int, int]  # x0, y0, x1, y1
    blocks: list[_Block]


def _centres() -> dict[str, tuple[int, int]]:
    """The town centres in EPSG:4549, to the metre."""
    to_plane = Transformer.from_crs("EPSG:4490", _CRS, always_xy=True)
    lon, lat = np.array(list(TOWNS.values())).T
    x, y = to_plane.transform(lon, lat)
    return {t: (round(float(a)), round(float(b))) for t, a, b in zip(TOWNS, x, y, strict=True)}


def _grid_zone(rng, *, group, zone, style, town, corner, km2, margins) -> _Zone:
    """A zone of about ``km2`` whose outline starts at ``corner``: a grid of blocks and roads.

    ``margins`` (west, east, south, north) is the land between the outer blocks
    and the outline. Block sizes are scaled so that the outline has the wanted
    area; every coordinate is a whole metre.
    """
    (wlo, whi), (hlo, hhi), _ = _BLOCK_SIZE[style]
    target = km2 * 1e6
    width = np.sqrt(target * rng.uniform(0.8, 1.25))
    ncols = max(1, round(width / ((wlo + whi) / 2 + 24)))
    nrows = max(1, round(target / width / ((hlo + hhi) / 2 + 24)))
    w = rng.uniform(wlo, whi, ncols)
    h = rng.uniform(hlo, hhi, nrows)
    rx = rng.choice(_ROAD_WIDTHS, ncols - 1)
    ry = rng.choice(_ROAD_WIDTHS, nrows - 1)
    mw, me, ms, mn = margins
    fixed_x, fixed_y = rx.sum() + mw + me, ry.sum() + ms + mn
    # (s*W + fixed_x) * (s*H + fixed_y) = target, solved for the scale s of the blocks
    a, b, c = w.sum() * h.sum(), w.sum() * fixed_y + h.sum() * fixed_x, fixed_x * fixed_y - target
    s = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    w, h = np.round(w * s).astype(int), np.round(h * s).astype(int)
    x0, y0 = corner
    xs = x0 + mw + np.concatenate([[0], np.cumsum(w[:-1] + rx)])
    ys = y0 + ms + np.concatenate([[0], np.cumsum(h[:-1] + ry)])
    blocks = [
        _Block(
            int(xs[i]),
            int(ys[j]),
            int(xs[i] + w[i]),
            int(ys[j] + h[j]),
            j,
            int(rx[i]) if i < ncols - 1 else None,
        )
        for j in range(nrows)
        for i in range(ncols)
    ]
    outline = (x0, y0, int(xs[-1] + w[-1] + me), int(ys[-1] + h[-1] + mn))
    return _Zone(group, zone, style, town, outline, blocks)


def _layout(rng) -> list[_Zone]:
    """The zones of every park, then those of the industrial land outside parks."""
    centres = _centres()
    zones: list[_Zone] = []
    for p in _PARKS:
        cx, cy = centres[p.town]
        x0, y0 = cx + p.corner[0], cy + p.corner[1]
        south = _WIDE_EDGE if p.straddler else _EDGE
        park = dict(group=p.park_id, style=p.park_type, town=p.town)
        if p.expansion_km2 == 0:
            margins = (_EDGE, _EDGE, south, _EDGE)
            zones.append(
                _grid_zone(
                    rng, zone="core", corner=(x0, y0), km2=p.core_km2, margins=margins, **park
                )
            )
            continue
        # the zones meet on the centre line of a main road
        half = int(rng.choice(_ROAD_WIDTHS[_ROAD_WIDTHS >= 24])) // 2
        east = p.expand == "east"
        margins = (_EDGE, half if east else _EDGE, south, _EDGE if east else half)
        core = _grid_zone(
            rng, zone="core", corner=(x0, y0), km2=p.core_km2, margins=margins, **park
        )
        if east:  # the blocks of both zones start at the same y
            corner, margins = (core.outline[2], y0 + south - _EDGE), (half, _EDGE, _EDGE, _EDGE)
        else:
            corner, margins = (x0, core.outline[3]), (_EDGE, _EDGE, half, _EDGE)
        expansion = _grid_zone(
            rng, zone="expansion", corner=corner, km2=p.expansion_km2, margins=margins, **park
        )
        zones += [core, expansion]
    for k, (town, (dx, dy), km2) in enumerate(_CLUSTERS, start=1):
        cx, cy = centres[town]
        zones.append(
            _grid_zone(
                rng,
                group=f"C{k}",
                zone="",
                style="outside",
                town=town,
                corner=(cx + dx, cy + dy),
                km2=km2,
                margins=(_EDGE,) * 4,
            )
        )
    _check_apart(zones)
    return zones


def _check_apart(zones: list[_Zone], gap: float = 300.0) -> None:
    outlines = [box(*z.outline) for z in zones]
    for i, a in enumerate(zones):
        for j in range(i + 1, len(zones)):
            if a.group != zones[j].group and outlines[i].distance(outlines[j]) < gap:
                raise RuntimeError(f"sample layout: {a.group} and {zones[j].group} are too close")


def _cuts(rng, lo: int, hi: int, n: int) -> np.ndarray:
    """``n`` + 1 whole-metre edges from ``lo`` to ``hi``, pieces of varied width."""
    weights = rng.uniform(0.75, 1.25, n)
    edges = lo + np.round(np.cumsum(weights) / weights.sum() * (hi - lo)).astype(int)
    edges[-1] = hi
    return np.concatenate([[lo], edges])


def _first_years(z: _Zone) -> tuple[int, int]:
    """The years in which a block of zone ``z`` may first be supplied."""
    if z.style == "district":
        return (2005, 2018) if z.zone == "core" else (2013, 2023)
    return (2010, 2023) if z.style == "carrier" else (2005, 2016)


#: Largest sideways shift (m) of either end of a boundary between two parcels of a row,
#: and its cap as a share of the narrower parcel: the boundaries are slanted, not square.
_SKEW_M, _SKEW_SHARE = 6.0, 0.12


def _regular_plots(rng, zones: list[_Zone], skew_rng=None) -> pd.DataFrame:
    """The working table of parcels: every block cut into one or two rows of parcels.

    The parcels of a row share their side boundaries, each a slanted line whose ends
    are shifted by up to :data:`_SKEW_M` (drawn from ``skew_rng``): quadrilaterals that
    tile the block exactly. Columns: where the parcel lies (zone_index, group, zone,
    style, town, block, row), its corners (``xb0``/``xb1`` on its south edge,
    ``xt0``/``xt1`` on its north edge, y0, y1), the largest rectangle inside it (x0, y0,
    x1, y1: buildings stand in it), the date its block was first supplied, its land use
    and planned use, and its ``kind`` ("regular").
    """
    skew_rng = skew_rng if skew_rng is not None else np.random.default_rng(0)
    rows = []
    block_id = 0
    for zi, z in enumerate(zones):
        mean_width = _BLOCK_SIZE[z.style][2]
        for b in z.blocks:
            block_id += 1
            codes, probs = _BLOCK_USES[z.style]
            code = str(rng.choice(codes, p=probs))
            first_year, last_year = _first_years(z)
            year = int(rng.integers(first_year, last_year + 1))
            first = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
            if rng.random() < _BIG_BLOCK_P[z.style]:  # one row of large plants
                ycuts = [b.y0, b.y1]
                n = max(1, round((b.x1 - b.x0) / _BIG_BLOCK_WIDTH))
            else:  # back-to-back parcels facing the roads north and south
                two = (b.y1 - b.y0) >= (140 if z.style != "carrier" else 100)
                mid = b.y0 + round((b.y1 - b.y0) * rng.uniform(0.42, 0.58))
                ycuts = [b.y0, mid, b.y1] if two else [b.y0, b.y1]
                n = max(1, round((b.x1 - b.x0) / mean_width))
            for r in range(len(ycuts) - 1):
                xcuts = _cuts(rng, b.x0, b.x1, n)
                cap = min(_SKEW_M, _SKEW_SHARE * float(np.diff(xcuts).min()))
                shift = np.round(skew_rng.uniform(-cap, cap, n + 1), 1)
                shift[[0, -1]] = 0.0  # the block's own edges stay straight
                bottom, top = xcuts + shift, xcuts - shift
                for c in range(n):
                    rows.append(
                        dict(
                            zone_index=zi,
                            group=z.group,
                            zone=z.zone,
                            style=z.style,
                            town=z.town,
                            block=block_id,
                            row=r,
                            x0=float(max(bottom[c], top[c])),
                            y0=ycuts[r],
                            x1=float(min(bottom[c + 1], top[c + 1])),
                            y1=ycuts[r + 1],
                            xb0=float(bottom[c]),
                            xb1=float(bottom[c + 1]),
                            xt0=float(top[c]),
                            xt1=float(top[c + 1]),
                            block_first=first,
                            land_use=code,
                        )
                    )
    plots = pd.DataFrame(rows)
    land_use = plots["land_use"].to_numpy(dtype=object)
    land_use[rng.random(len(plots)) < 0.01] = "1303"  # substations (供电用地) in any block
    plots["land_use"] = land_use
    plots["planned_use"] = land_use.copy()
    plots["kind"] = "regular"
    return plots


def _extra_plots(rng, zones: list[_Zone]) -> pd.DataFrame:
    """Slivers in road gaps inside parks, and parcels straddling a park boundary."""
    rows = []
    common = dict(style="district", row=0, block_first=None, land_use="1207", planned_use="1207")
    # slivers: along the east edge of a block, inside the road to its neighbour in the zone
    candidates = [
        (zi, b) for zi, z in enumerate(zones) if z.zone for b in z.blocks if b.road_east is not None
    ]
    for k, c in enumerate(sorted(rng.choice(len(candidates), 5, replace=False))):
        zi, b = candidates[c]
        if k < 3:  # a strip 0.5–1.5 m wide and 30–80 m long
            width = float(rng.choice([0.5, 1.0, 1.5]))
            length = int(rng.integers(30, 81))
            y = b.y0 + int(rng.integers(0, max(1, b.y1 - b.y0 - length)))
            rect = (b.x1, y, b.x1 + width, y + length)
        else:  # a 6 m x 7 m scrap in the middle of a road (roads are at least 12 m wide)
            rect = (b.x1 + 3, b.y0 + 20, b.x1 + 9, b.y0 + 27)
        z = zones[zi]
        rows.append(
            common
            | dict(
                zone_index=zi,
                group=z.group,
                zone=z.zone,
                town=z.town,
                block=0,
                x0=rect[0],
                y0=rect[1],
                x1=rect[2],
                y1=rect[3],
                kind="sliver",
            )
        )
    # straddling: half in the wide south margin of a park, half outside it
    for zi, z in enumerate(zones):
        park = _PARK_BY_ID.get(z.group)
        if park is None or not park.straddler or z.zone != "core":
            continue
        bottom = [b for b in z.blocks if b.row == 0]
        x0, y_edge = bottom[len(bottom) // 2].x0 + 20, z.outline[1]
        first = dt.date(2016, 5, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
        rows.append(
            common
            | dict(
                zone_index=zi,
                group=z.group,
                zone=z.zone,
                town=z.town,
                block=-zi,
                x0=x0,
                y0=y_edge - 40,
                x1=x0 + 70,
                y1=y_edge + 40,
                kind="straddling",
                block_first=first,
                land_use="100102",
                planned_use="100102",
            )
        )
    out = pd.DataFrame(rows)
    out["xb0"], out["xt0"] = out["x0"], out["x0"]
    out["xb1"], out["xt1"] = out["x1"], out["x1"]
    return out


def _quads(plots: pd.DataFrame) -> np.ndarray:
    """The parcels' true shapes: quadrilaterals from their corners (rectangles for some)."""
    y0, y1 = plots["y0"].to_numpy(dtype=float), plots["y1"].to_numpy(dtype=float)
    corners = np.stack(
        [
            np.column_stack([plots["xb0"], y0]),
            np.column_stack([plots["xb1"], y0]),
            np.column_stack([plots["xt1"], y1]),
            np.column_stack([plots["xt0"], y1]),
            np.column_stack([plots["xb0"], y0]),
        ],
        axis=1,
    ).astype(float)
    return shapely.polygons(corners)


# ---------------------------------------------------------------------------
# Attributes of the parcels
# ---------------------------------------------------------------------------


def _add_months(d: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(d) + pd.DateOffset(months=months)).date()


def _add_dates(rng, plots: pd.DataFrame) -> None:
    """supply_date (2005–2026), new (supplied on or after POLICY_DATE), start_deadline."""
    n = len(plots)
    latest = dt.date(2025, 6, 30)
    supply = [
        None if first is None else min(first + dt.timedelta(days=int(k)), latest)
        for first, k in zip(plots["block_first"], rng.integers(0, 900, n), strict=True)
    ]
    p_new = np.select([plots["zone"] == "expansion", plots["style"] == "carrier"], [0.10, 0.06])
    new = (rng.random(n) < p_new) & (plots["kind"] == "regular").to_numpy()
    new &= (plots["land_use"] != "1303").to_numpy()
    days = rng.integers(1, 305, n)  # after the policy date, to the end of June 2026
    for k, i in enumerate(np.flatnonzero(new)):
        # the first new parcel is supplied on the policy date itself: "on or after"
        supply[i] = POLICY_DATE + dt.timedelta(days=0 if k == 0 else int(days[i]))
    months = rng.integers(6, 13, n)
    plots["supply_date"] = supply
    plots["start_deadline"] = [
        _add_months(s, int(m)) if s is not None and s >= dt.date(2018, 1, 1) else None
        for s, m in zip(supply, months, strict=True)
    ]
    plots["new"] = new


@dataclass
class _Roles:
    """Which parcels (row numbers of the working table) carry which planted finding."""

    vacant: list[int]
    bowties: list[int]
    multis: list[int]
    duplicate: list[int]  # the second one gets the first one's ID
    mismatch: list[int]
    nonconforming: list[int]
    pairs: list[tuple[int, int]]  # side-by-side parcels sharing one building


def _pick(rng, pool: list[int], k: int) -> list[int]:
    """``k`` items of ``pool`` chosen at random and removed from it."""
    chosen = sorted(rng.choice(len(pool), k, replace=False).tolist())
    picked = [pool[i] for i in chosen]
    for i in reversed(chosen):
        del pool[i]
    return picked


def _assign_roles(rng, plots: pd.DataFrame) -> _Roles:
    """Choose the vacant parcels and the parcels that carry a defect, each on its own parcel."""
    n = len(plots)
    regular = (plots["kind"] == "regular").to_numpy()
    industrial = regular & plots["land_use"].isin(_INDUSTRIAL_CODES + ("M0",)).to_numpy()
    new = plots["new"].to_numpy()
    # vacant: 10 idle ones (supplied 2019–2023, deadline long past) and about half the new land
    first, last = dt.date(2019, 1, 1), dt.date(2023, 6, 30)
    supplied = np.array([s is not None and first <= s <= last for s in plots["supply_date"]])
    idle_pool = np.flatnonzero(industrial & supplied).tolist()
    vacant = np.zeros(n, bool)
    vacant[_pick(rng, idle_pool, 10)] = True
    vacant |= new & (rng.random(n) < 0.45)

    w = (plots["x1"] - plots["x0"]).to_numpy()
    h = (plots["y1"] - plots["y0"]).to_numpy()
    ordinary = (
        plots["group"].isin(list(_PARK_BY_ID)).to_numpy()
        & (plots["style"] == "district").to_numpy()
        & industrial
        & ~new
        & ~vacant
        & (np.minimum(w, h) >= 45)
    )
    pool = np.flatnonzero(ordinary).tolist()
    bowties = _pick(rng, pool, 4)
    multis = _pick(rng, [i for i in pool if max(w[i], h[i]) >= 90], 3)
    pool = [i for i in pool if i not in multis]
    duplicate = _pick(rng, pool, 2)
    mismatch = _pick(rng, pool, 6)
    nonconforming = _pick(rng, pool, 6)
    free = set(pool)
    side_by_side = [
        i
        for i in pool
        if i + 1 in free
        and plots.at[i, "block"] == plots.at[i + 1, "block"]
        and plots.at[i, "row"] == plots.at[i + 1, "row"]
    ]
    pairs: list[tuple[int, int]] = []
    for j in sorted(rng.choice(len(side_by_side), 12, replace=False)):
        i = side_by_side[j]
        if len(pairs) < 5 and all(abs(i - a) > 2 for a, _ in pairs):
            pairs.append((i, i + 1))
    return _Roles(
        np.flatnonzero(vacant).tolist(), bowties, multis, duplicate, mismatch, nonconforming, pairs
    )


def _category(land_use: str, new: bool, standard: bool) -> str:
    """The policy category of SPEC §2 for one parcel."""
    if land_use in _INDUSTRIAL_CODES:
        if standard:
            return "standard_factory"
        return "new_industrial" if new else "industrial"
    if land_use == "M0":
        return "new_type_industrial"
    if land_use == "1101":
        return "logistics"
    return "other"


def _add_categories(rng, plots: pd.DataFrame) -> None:
    """The true policy category, and the ``category`` on record (~70 %, always for 标准厂房)."""
    n = len(plots)
    # high-standard factory land (标准厂房) cannot be told from the land-use code
    recent = np.array([d is not None and d >= dt.date(2012, 1, 1) for d in plots["block_first"]])
    standard = (plots["land_use"] == "100101").to_numpy() & (
        (plots["style"] == "carrier").to_numpy() | (recent & (rng.random(n) < 0.12))
    )
    truth = [
        _category(u, bool(new), bool(st))
        for u, new, st in zip(plots["land_use"], plots["new"], standard, strict=True)
    ]
    truth = np.array(truth, dtype=object)
    shown = (rng.random(n) < 0.66) | (truth == "standard_factory")
    shown &= (plots["kind"] != "sliver").to_numpy()
    plots["true_category"] = truth
    plots["category"] = np.where(shown, truth, None)


#: Plot ratios of built parcels by category: (share below the line, low range, usual range).
#: The line is the low-efficiency threshold (1.0) of existing industrial land and the
#: minimum of clause 二(一)1 for new land; logistics and other land have none.
_FAR_RANGES = {
    "industrial": (0.09, (0.35, 0.95), (1.06, 2.1)),
    "new_industrial": (0.14, (0.9, 1.45), (1.6, 2.4)),  # minimum 1.5
    "standard_factory": (0.14, (1.4, 1.95), (2.12, 3.2)),  # minimum 2.0
    "new_type_industrial": (0.14, (1.8, 2.45), (2.65, 3.8)),  # minimum 2.5
    "logistics": (0.0, (0.5, 0.5), (0.6, 1.4)),
}


#: The usual plot ratio of each category (the middle of its usual range).
_USUAL_FAR = {"industrial": 1.3, "logistics": 1.0} | {
    c: sum(r[2]) / 2 for c, r in _FAR_RANGES.items() if c not in ("industrial", "logistics")
}

#: Existing industrial land below the line lies mostly in old, sprawling blocks: the share
#: of such blocks, and the chance that a parcel is below the line in one and elsewhere.
_SPRAWL_BLOCKS, _SPRAWL_LOW, _ELSEWHERE_LOW = 0.14, 0.5, 0.008


#: Parks whose new, high-standard-factory and new-type industrial land all meets the
#: minima of clause 二(一)1 (elsewhere :data:`_FAR_RANGES` gives the share below).
_COMPLIANT_PARKS = ("XS02", "XS03", "XS06")


def _far_target(
    rng, category: str, land_use: str, *, sprawl: bool = False, compliant: bool = False
) -> float:
    """A plausible plot ratio for a built parcel of ``category`` (:data:`_FAR_RANGES`).

    Existing industrial land clusters around 1.3 (lognormal, clipped to its range) and
    lies below the line mostly in sprawling blocks (``sprawl``); the other categories
    are uniform in their ranges.
    """
    if category not in _FAR_RANGES:
        return rng.uniform(0.1, 0.3) if land_use == "1303" else rng.uniform(1.2, 2.5)
    below, low, usual = _FAR_RANGES[category]
    if category == "industrial":
        below = _SPRAWL_LOW if sprawl else _ELSEWHERE_LOW
    elif compliant:
        below = 0.0
    if rng.random() < below:
        return rng.uniform(*low)
    if category == "industrial":
        return float(np.clip(rng.lognormal(np.log(1.3), 0.22), *usual))
    return rng.uniform(*usual)


def _rect(plots: pd.DataFrame, i: int) -> tuple:
    return tuple(plots.at[i, k] for k in ("x0", "y0", "x1", "y1"))


def _creek_parts(rect: tuple) -> list[tuple]:
    """The two parts of a parcel cut by a 6 m creek across its longer side."""
    x0, y0, x1, y1 = rect
    if x1 - x0 >= y1 - y0:
        xm = x0 + (x1 - x0) // 2
        return [(x0, y0, xm - 3, y1), (xm + 3, y0, x1, y1)]
    ym = y0 + (y1 - y0) // 2
    return [(x0, y0, x1, ym - 3), (x0, ym + 3, x1, y1)]


def _creek_shape(quad, rect: tuple) -> MultiPolygon:
    """The parcel ``quad`` cut by the 6 m creek of :func:`_creek_parts` of its ``rect``."""
    x0, y0, x1, y1 = rect
    far = 1e4
    if x1 - x0 >= y1 - y0:
        xm = x0 + (x1 - x0) // 2
        halves = [box(x0 - far, y0 - 1, xm - 3, y1 + 1), box(xm + 3, y0 - 1, x1 + far, y1 + 1)]
    else:
        ym = y0 + (y1 - y0) // 2
        halves = [box(x0 - far, y0 - 1, x1 + far, ym - 3), box(x0 - far, ym + 3, x1 + far, y1 + 1)]
    return MultiPolygon([quad.intersection(h) for h in halves])


def _bowtie(quad) -> Polygon:
    """The parcel with the two vertices next to its north-east corner swapped.

    The ring crosses itself near the corner (a digitising slip): the polygon
    is invalid, but stays inside the parcel and keeps nearly all its area.
    """
    sw, se, ne, nw = (np.array(c, dtype=float) for c in list(quad.exterior.coords)[:4])
    d = 2.0
    on_top = ne + d * (nw - ne) / np.linalg.norm(nw - ne)
    on_side = ne + d * (se - ne) / np.linalg.norm(se - ne)
    return Polygon([tuple(sw), tuple(se), tuple(on_top), tuple(on_side), tuple(nw), tuple(sw)])


# ---------------------------------------------------------------------------
# Buildings
# ---------------------------------------------------------------------------


def _building(rng, rect, floors, storey, use, *, parcel=None, role="regular", hall=False) -> dict:
    """One building with the usual gaps: floors null for ~24 %, height or storey height for some."""
    height = round(floors * storey + rng.uniform(0.3, 1.5), 1)
    if hall:  # single-storey halls say what they are
        shown = (floors, height, storey)
    elif rng.random() < 0.24:
        shown = (None, height, storey if rng.random() < 0.3 else None)
    else:
        shown = (
            floors,
            height if rng.random() < 0.4 else None,
            storey if rng.random() < 0.25 else None,
        )
    return dict(
        parcel=parcel,
        role=role,
        rect=tuple(round(float(v), 1) for v in rect),
        real_floors=floors,
        floors=shown[0],
        height=shown[1],
        storey_height=None if shown[2] is None else round(float(shown[2]), 1),
        use=use,
        hall=hall,
    )


def _parcel_buildings(
    rng, parcel: int, rects: list[tuple], far: float, category: str, *, scale: float = 1.0
) -> list:
    """Buildings inside ``rects`` (the parts of one parcel) giving a plot ratio of about ``far``.

    ``scale`` is the parcel's area over that of ``rects`` (a slanted parcel is larger than
    the rectangle its buildings stand in).
    """
    hall = (category in ("industrial", "new_industrial") and rng.random() < 0.1) or (
        category == "logistics" and rng.random() < 0.3
    )
    if hall:  # a single-storey hall over 8 m high: its floor counts twice
        floors, storey, counted = 1, rng.uniform(9.0, 12.0), 2
        coverage = float(np.clip(far / counted, 0.3, 0.62))
    else:
        # the footprint first (建筑系数 of built industrial land is 35–60 %, rarely less),
        # then as many floors as the plot ratio needs
        sprawl = far < _FAR_RANGES.get(category, (0, 0, (0, 0)))[2][0]  # below the line
        coverage = rng.uniform(0.24, 0.5) if sprawl else rng.uniform(0.36, 0.6)
        floors = int(np.clip(round(far / coverage), 1, 20))
        coverage = float(np.clip(far / floors, 0.18, 0.62))
        counted = floors
        if category == "logistics":
            storey = rng.uniform(6.0, 7.5)
        elif category in ("new_type_industrial", "other"):
            storey = rng.uniform(3.6, 4.2)
        else:
            storey = rng.uniform(4.0, 5.5)
    use = {"logistics": "warehouse", "new_type_industrial": "office", "other": "office"}.get(
        category, "industrial"
    )
    if len(rects) == 1:
        x0, y0, x1, y1 = rects[0]
        area = (x1 - x0) * (y1 - y0)
        per_rect = [1 + (area > 3500) + (area > 7000) + (area > 15000) + (rng.random() < 0.3)]
    else:
        per_rect = [1] * len(rects)
    out = []
    for (x0, y0, x1, y1), nb in zip(rects, per_rect, strict=True):
        # nb equal slots along the longer side, inside a setback; a building centred in each
        w, h = x1 - x0, y1 - y0
        setback = min(6.0, 0.08 * min(w, h))
        iw, ih = w - 2 * setback, h - 2 * setback
        k = min(np.sqrt(coverage * scale * w * h / (iw * ih)), 0.92)
        along_x = iw >= ih
        sw, sh = (iw / nb, ih) if along_x else (iw, ih / nb)
        for b in range(nb):
            sx = x0 + setback + (b * sw if along_x else 0)
            sy = y0 + setback + (0 if along_x else b * sh)
            bx, by = sx + sw * (1 - k) / 2, sy + sh * (1 - k) / 2
            this_use = use
            if use == "industrial" and not hall and nb >= 2 and b == nb - 1:
                this_use = str(
                    rng.choice(["industrial", "office", "dormitory"], p=[0.6, 0.25, 0.15])
                )
            out.append(
                _building(
                    rng,
                    (bx, by, bx + sw * k, by + sh * k),
                    floors,
                    storey,
                    this_use,
                    parcel=parcel,
                    hall=hall,
                )
            )
    return out


def _shared_building(rng, plots: pd.DataFrame, left: int) -> dict:
    """A building across the common edge of side-by-side parcels ``left`` and ``left + 1``."""
    x0, y0, edge, y1 = _rect(plots, left)
    right_width = plots.at[left + 1, "x1"] - edge
    half = 0.35 * min(edge - x0, right_width)
    inset = 0.2 * (y1 - y0)
    rect = (edge - half, y0 + inset, edge + half, y1 - inset)
    return _building(rng, rect, int(rng.integers(2, 5)), 4.5, "industrial", role="straddling")


def _outside_sheds(zones: list[_Zone]) -> list[tuple]:
    """Sheds outside every parcel: in the wide margin of two parks and west of three clusters."""
    rects = []
    for z in zones:
        park = _PARK_BY_ID.get(z.group)
        if park is not None and park.straddler and z.zone == "core":
            _, y0, x1, _ = z.outline  # east end of the wide south margin
            rects.append((x1 - 50, y0 + 15, x1 - 30, y0 + 27))
        elif park is None:
            x0, y0, _, y1 = z.outline
            y = (y0 + y1) // 2
            rects.append((x0 - 52, y, x0 - 40, y + 20))
    return rects[:5]


def _make_buildings(rng, zones: list[_Zone], plots: pd.DataFrame, roles: _Roles) -> list[dict]:
    """Every building: regular ones per parcel, shared ones, and sheds outside every parcel."""
    lefts = {left for left, _ in roles.pairs}
    paired = {i for pair in roles.pairs for i in pair}
    skip = paired | set(roles.vacant) | set(np.flatnonzero(plots["kind"] == "sliver"))
    multis = set(roles.multis)
    out: list[dict] = []
    far_target = np.zeros(len(plots))
    quads = _quads(plots)
    blocks = plots["block"].to_numpy()
    true_category = plots["true_category"].to_numpy(dtype=object)
    land_use = plots["land_use"].to_numpy(dtype=object)
    groups = plots["group"].to_numpy(dtype=object)
    corners = plots[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float)
    unique = np.unique(blocks)
    sprawl = dict(zip(unique, rng.random(len(unique)) < _SPRAWL_BLOCKS, strict=True))
    for i in range(len(plots)):
        if i in lefts:
            out.append(_shared_building(rng, plots, i))
        if i in skip:
            continue
        rect = tuple(corners[i])
        rects = _creek_parts(rect) if i in multis else [rect]
        category = true_category[i]
        far = _far_target(
            rng,
            category,
            land_use[i],
            sprawl=sprawl[blocks[i]],
            compliant=groups[i] in _COMPLIANT_PARKS,
        )
        far_target[i] = far
        scale = quads[i].area / ((rect[2] - rect[0]) * (rect[3] - rect[1]))
        out += _parcel_buildings(rng, i, rects, far, category, scale=scale)
    plots["far_target"] = far_target
    tree = shapely.STRtree(_quads(plots))
    for rect in _outside_sheds(zones):
        if len(tree.query(box(*rect), predicate="intersects")):
            raise RuntimeError("sample layout: a shed meant to lie outside every parcel does not")
        out.append(_building(rng, rect, 1, 4.0, "warehouse", role="outside"))
    return out


def _add_floor_area(rng, plots: pd.DataFrame, buildings: list[dict], roles: _Roles) -> None:
    """Floor area on record (建筑面积) for ~30 % of the built parcels."""
    n = len(plots)
    gfa = np.zeros(n)
    halls = np.zeros(n, bool)
    unshown = np.zeros(n, bool)  # a building of the parcel shows no storey count
    for b in buildings:
        if b["parcel"] is not None:
            x0, y0, x1, y1 = b["rect"]
            gfa[b["parcel"]] += (x1 - x0) * (y1 - y0) * b["real_floors"]
            halls[b["parcel"]] |= b["hall"]
            unshown[b["parcel"]] |= b["floors"] is None
    recorded = (gfa > 0) & (rng.random(n) < 0.31)
    # a hall's 建筑面积 on record is its real floor space, while its plot ratio counts the
    # floor twice (storey over 8 m): leave those to be measured from the buildings
    recorded &= ~halls
    # the figure on record agrees with the buildings (a permit states the storeys): a field
    # zeroed or dropped then gives the same verdicts (issue 18); parcels whose storeys must
    # be estimated from heights keep no figure
    recorded &= ~unshown
    recorded[[i for pair in roles.pairs for i in pair]] = False
    rng.uniform(0.97, 1.03, n)  # drawn as before, so that the rest of the sample stays
    plots["floor_area"] = np.where(recorded, np.round(gfa, 2), np.nan)


# ---------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------


def _company_name(rng, industry: str, taken: set[str]) -> str:
    words = _TRADE_WORDS[industry]
    while True:
        a, b = rng.choice(len(_NAME_CHARS), 2, replace=False)
        word = words[rng.integers(len(words))]
        name = (
            f"无锡{_NAME_CHARS[a]}{_NAME_CHARS[b]}{word}{_SUFFIXES[rng.integers(len(_SUFFIXES))]}"
        )
        if name not in taken:
            taken.add(name)
            return name


def _ownership_runs(rng, plots: pd.DataFrame, rows: np.ndarray) -> list[list[int]]:
    """``rows`` split into runs of neighbours within a block (1–10 parcels, ~4 on average)."""
    runs = []
    for _, block in plots.loc[rows].groupby("block", sort=False).groups.items():
        block = list(block)
        while block:
            k = int(min(rng.geometric(1 / 4.8), 10))
            runs.append(block[:k])
            block = block[k:]
    return runs


def _enterprises(rng, plots: pd.DataFrame) -> pd.DataFrame:
    """Owners for the parcels (columns owner, enterprise_id) and the enterprise table.

    Each run of neighbouring parcels is one enterprise. In the park without
    enterprise data the runs still get an owner (权利人) but no enterprise_id.
    Substations belong to the grid company, which is not in the table.
    """
    n = len(plots)
    owner = np.full(n, None, dtype=object)
    enterprise_id = np.full(n, None, dtype=object)
    owner[(plots["land_use"] == "1303").to_numpy()] = _UTILITY_OWNER
    owned = (plots["kind"] != "sliver") & (plots["land_use"] != "1303")
    area = shapely.area(_quads(plots))
    vacant = plots["vacant"].to_numpy()
    far_target = plots["far_target"].to_numpy()
    usual_far = plots["true_category"].map(_USUAL_FAR).fillna(1.3).to_numpy(dtype=float)
    taken: set[str] = set()
    ents = []
    for group, rows in plots[owned].groupby("group", sort=False).groups.items():
        park = _PARK_BY_ID.get(group)
        runs = _ownership_runs(rng, plots, rows)
        if park is not None and park.lead_share is not None:
            # exactly this share of the park's enterprises is in its leading industry;
            # of the others, most are in a related industry when the park lists any
            lead = np.zeros(len(runs), bool)
            lead[rng.permutation(len(runs))[: round(park.lead_share * len(runs))]] = True
            others = [
                i
                for i in _INDUSTRIES + _OTHER_INDUSTRIES
                if i != park.industry and i not in park.related
            ]
            related = rng.random(len(runs)) < (_RELATED_SHARE if park.related else 0.0)
            industries = [
                park.industry if ld else str(rng.choice(park.related if rel else others))
                for ld, rel in zip(lead, related, strict=True)
            ]
        else:
            industries = [str(rng.choice(_INDUSTRIES + _OTHER_INDUSTRIES)) for _ in runs]
        for run, industry in zip(runs, industries, strict=True):
            owner[run] = _company_name(rng, industry, taken)
            if park is not None and park.lead_share is None:
                continue  # the park without enterprise data
            eid = f"E{len(ents) + 1:04d}"
            enterprise_id[run] = eid
            mu = area[run].sum() / M2_PER_MU
            # output per 亩 grows with the floor space per 亩 (relative to what is usual
            # for the land's category): 250 万元/亩 at the usual plot ratio
            rel = float((far_target[run] / usual_far[run] * area[run]).sum() / area[run].sum())
            per_mu = rng.lognormal(np.log(250), 0.15) * max(rel, 0.04) ** 2
            revenue = 0.0 if vacant[run].all() else mu * per_mu
            ents.append(
                dict(
                    enterprise_id=eid,
                    name=owner[run[0]],
                    industry=industry,
                    revenue=revenue,
                    tax=revenue * rng.uniform(0.035, 0.06),
                    mu=mu,
                    group=group,
                    chain_leader=False,
                    lead=park is not None and industry == park.industry,
                )
            )
    plots["owner"] = owner
    plots["enterprise_id"] = enterprise_id
    ent = pd.DataFrame(ents)
    # chain leaders (链主): the largest leading-industry enterprises of a park, larger still
    for p in _PARKS:
        if p.lead_share is None or p.chain_leaders == 0:
            continue
        candidates = ent[(ent["group"] == p.park_id) & ent["lead"] & (ent["revenue"] > 0)]
        top = candidates.sort_values(["mu", "enterprise_id"], ascending=[False, True]).index
        top = top[: p.chain_leaders]
        ent.loc[top, "chain_leader"] = True
        ent.loc[top, ["revenue", "tax"]] *= 4
    # 亩均效益评价: classes by tax per mu, the percentiles of the default policy (A top
    # 20 %, B next 40 %, C next 25 %, D last 15 %); 10 % not evaluated
    rank = (ent["tax"] / ent["mu"]).rank(pct=True, method="first").to_numpy()
    eval_class = np.select([rank > 0.8, rank > 0.4, rank > 0.15], ["A", "B", "C"], "D")
    eval_class = eval_class.astype(object)
    eval_class[rng.random(len(ent)) < 0.1] = None
    return pd.DataFrame(
        {
            "enterprise_id": pd.array(ent["enterprise_id"], dtype="str"),
            "name": pd.array(ent["name"], dtype="str"),
            "industry": pd.array(ent["industry"], dtype="str"),
            "revenue": ent["revenue"].round(1).to_numpy(),
            "tax": ent["tax"].round(1).to_numpy(),
            "eval_class": pd.array(eval_class, dtype="str"),
            "chain_leader": pd.array(np.where(ent["chain_leader"], "true", "false"), dtype="str"),
        }
    )


# ---------------------------------------------------------------------------
# Layers and the whole sample
# ---------------------------------------------------------------------------


def _parcel_layer(rng, plots: pd.DataFrame, roles: _Roles) -> gpd.GeoDataFrame:
    """The parcels as delivered: IDs, attributes on record, geometry with the planted defects."""
    n = len(plots)
    geoms = _quads(plots)
    for i in roles.bowties:
        geoms[i] = _bowtie(geoms[i])
    for i in roles.multis:
        geoms[i] = _creek_shape(geoms[i], _rect(plots, i))
    ids = np.array([f"P{k:05d}" for k in range(1, n + 1)], dtype=object)
    first, second = roles.duplicate
    ids[second] = ids[first]
    # 用地面积 on record: the measured area (after repair) within ±0.3 %, or off by 7–20 %
    factor = 1 + rng.uniform(-0.003, 0.003, n)
    sign = np.where(rng.random(len(roles.mismatch)) < 0.5, -1, 1)
    factor[roles.mismatch] = 1 + sign * rng.uniform(0.07, 0.2, len(roles.mismatch))
    declared = np.round(shapely.area(shapely.make_valid(geoms)) * factor, 2)

    def text(values):
        return pd.array(values, dtype="str")

    def date(values):
        return pd.array(values, dtype="date32[pyarrow]")

    return gpd.GeoDataFrame(
        {
            "parcel_id": text(ids),
            "land_use": text(plots["land_use"]),
            "category": text(plots["category"]),
            "supply_date": date(plots["supply_date"]),
            "start_deadline": date(plots["start_deadline"]),
            "floor_area": plots["floor_area"].to_numpy(),
            "declared_area": declared,
            "enterprise_id": text(plots["enterprise_id"]),
            "owner": text(plots["owner"]),
            "town": text(plots["town"]),
        },
        geometry=geoms,
        crs=_CRS,
    )


def _buildings_layer(buildings: list[dict]) -> gpd.GeoDataFrame:
    def column(key):
        return [b[key] for b in buildings]

    return gpd.GeoDataFrame(
        {
            "building_id": pd.array([f"B{k:06d}" for k in range(1, len(buildings) + 1)], "str"),
            "floors": pd.array(column("floors"), dtype="Int64"),
            "height": np.array(column("height"), dtype=float),  # None -> NaN
            "storey_height": np.array(column("storey_height"), dtype=float),
            "use": pd.array(column("use"), dtype="str"),
        },
        geometry=shapely.box(*np.array(column("rect")).T),
        crs=_CRS,
    )


def _parks_layer(zones: list[_Zone]) -> gpd.GeoDataFrame:
    rows = [
        dict(
            park_id=z.group,
            name=_PARK_BY_ID[z.group].name,
            town=z.town,
            park_type=_PARK_BY_ID[z.group].park_type,
            leading_industry=_PARK_BY_ID[z.group].industry,
            related_industries="、".join(_PARK_BY_ID[z.group].related) or None,
            zone=z.zone,
        )
        for z in zones
        if z.zone
    ]
    geoms = [box(*z.outline) for z in zones if z.zone]
    return gpd.GeoDataFrame(pd.DataFrame(rows).astype("str"), geometry=geoms, crs=_CRS)


def _plan_layer(zones: list[_Zone], plots: pd.DataFrame) -> gpd.GeoDataFrame:
    """规划用地 over every park zone: the planned use of each parcel's land, roads elsewhere.

    The plan is drawn from the parcels' clean rectangles and their
    ``planned_use``, merged per block; the rest of the zone is road (1207),
    slivers included. It differs from ``land_use`` only on the non-conforming
    parcels.
    """
    geoms, uses = [], []
    rects = _quads(plots)
    for zi, z in enumerate(zones):
        if not z.zone:
            continue
        outline = box(*z.outline)
        here = ((plots["zone_index"] == zi) & (plots["kind"] != "sliver")).to_numpy()
        pieces = shapely.intersection(rects[here], outline)
        table = plots.loc[here, ["block", "planned_use"]].assign(piece=pieces)
        for (_, use), group in table.groupby(["block", "planned_use"], sort=True):
            for part in shapely.get_parts(shapely.union_all(group["piece"].to_numpy())):
                geoms.append(part)
                uses.append(use)
        for part in shapely.get_parts(shapely.difference(outline, shapely.union_all(pieces))):
            geoms.append(part)
            uses.append("1207")
    return gpd.GeoDataFrame({"planned_use": pd.array(uses, dtype="str")}, geometry=geoms, crs=_CRS)


def _indicators(rng) -> pd.DataFrame:
    """Park indicators with Chinese headers, 2025 and 2026, one park left out.

    At most 5 provincial innovation platforms in all in 2026, so that the target of 7
    (clause 二(三)7) is missed now and can be met one year later (variant ``later``).
    """
    rows = []
    has_fund = {p.park_id: rng.random() < 0.6 for p in _PARKS}
    for p in _PARKS:
        if not p.indicators:
            continue
        for year in (2025, 2026):
            fund = float(rng.choice([3000, 5000, 8000, 10000, 20000]))
            rows.append(
                {
                    "园区编号": p.park_id,
                    "年度": year,
                    "招商活动场次": int(rng.integers(0, 7)),
                    "省级以上创新平台": int(rng.integers(0, 2)),
                    "产业基金规模": fund if has_fund[p.park_id] else None,
                }
            )
    out = pd.DataFrame(rows)
    latest = out.index[out["年度"] == 2026]
    while out.loc[latest, "省级以上创新平台"].sum() > 5:
        last = latest[out.loc[latest, "省级以上创新平台"].to_numpy() > 0][-1]
        out.loc[last, "省级以上创新平台"] -= 1
    return out


def _defects(plots, parcels, buildings, building_rows, parks, roles) -> dict:
    """The content of ``defects.json`` (keys :data:`DEFECT_KEYS`)."""
    ids = parcels["parcel_id"].to_numpy()
    bids = buildings["building_id"].to_numpy()
    kind = plots["kind"].to_numpy()
    role = np.array([b["role"] for b in building_rows])
    area = parks.dissolve("park_id").area
    idle = [
        i
        for i in roles.vacant
        if plots.at[i, "start_deadline"] is not None
        and _add_months(plots.at[i, "start_deadline"], 12) < POLICY_DATE
    ]
    return {
        "self_intersecting": ids[roles.bowties].tolist(),
        "duplicate_id": [ids[roles.duplicate[0]]],
        "slivers": ids[kind == "sliver"].tolist(),
        "straddling": ids[kind == "straddling"].tolist(),
        "multipolygon": ids[roles.multis].tolist(),
        "buildings_outside": bids[role == "outside"].tolist(),
        "declared_area_mismatch": ids[roles.mismatch].tolist(),
        "oversize_park": str(area.index[area > 3e6][0]),
        "no_enterprise_data_park": next(p.park_id for p in _PARKS if p.lead_share is None),
        "no_chain_leader_parks": [
            p.park_id for p in _PARKS if p.lead_share is not None and p.chain_leaders == 0
        ],
        "nonconforming_use": ids[roles.nonconforming].tolist(),
        "buildings_straddling": bids[role == "straddling"].tolist(),
        "vacant_parcels": ids[roles.vacant].tolist(),
        "idle_parcels": ids[idle].tolist(),
        "no_indicators_park": next(p.park_id for p in _PARKS if not p.indicators),
    }


def _build(seed: int) -> dict:
    """Every table and layer of the sample, in memory."""
    rng = np.random.default_rng(seed)
    zones = _layout(rng)
    regular = _regular_plots(rng, zones, np.random.default_rng([seed, 4]))
    plots = pd.concat([regular, _extra_plots(rng, zones)], ignore_index=True)
    _add_dates(rng, plots)
    roles = _assign_roles(rng, plots)
    plots["vacant"] = False
    plots.loc[roles.vacant, "vacant"] = True
    for k, i in enumerate(roles.nonconforming):  # commerce or warehouses on industrial plan land
        plots.at[i, "land_use"] = "0901" if k % 2 == 0 else "1101"
    _add_categories(rng, plots)
    building_rows = _make_buildings(rng, zones, plots, roles)
    _add_floor_area(rng, plots, building_rows, roles)
    enterprises = _enterprises(rng, plots)
    parcels = _parcel_layer(rng, plots, roles)
    buildings = _buildings_layer(building_rows)
    parks = _parks_layer(zones)
    return dict(
        zones=zones,
        plots=plots,
        parks=parks,
        parcels=parcels,
        buildings=buildings,
        plan=_plan_layer(zones, plots),
        enterprises=enterprises,
        indicators=_indicators(np.random.default_rng([seed, 3])),
        defects=_defects(plots, parcels, buildings, building_rows, parks, roles),
    )


# ---------------------------------------------------------------------------
# The same district one year later (variant "later")
# ---------------------------------------------------------------------------

#: Indicator year of the later variant.
_LATER_YEAR = 2027
#: Supply date of the parcels newly supplied in the later variant.
_LATER_SUPPLY = dt.date(2026, 9, 15)
#: Redeveloped parcels: one building on 45 % of the land, 5 storeys of 4.5 m.
_REDEVELOP_COVERAGE, _REDEVELOP_FLOORS, _REDEVELOP_STOREY = 0.45, 5, 4.5
#: Base plot ratio below which a parcel may be part of the redeveloped block (the
#: low-efficiency threshold is 1.0; the margin keeps the choice clear of rounding).
_REDEVELOP_FAR_BELOW = 0.9
#: Land given up to a road widening by the reshaped parcel (m).
_ROAD_WIDENING = 6


def _building_parcels(buildings: gpd.GeoDataFrame, geoms: np.ndarray) -> np.ndarray:
    """Position of the parcel holding each building's centre, -1 where none does."""
    where = np.full(len(buildings), -1)
    b, p = shapely.STRtree(geoms).query(
        shapely.centroid(buildings.geometry.to_numpy()), predicate="within"
    )
    where[b[::-1]] = p[::-1]  # the first hit wins
    return where


def _eligible(data: dict, b_parcel: np.ndarray) -> np.ndarray:
    """Parcels carrying no planted defect or finding: regular, industrial and built."""
    plots, parcels, defects = data["plots"], data["parcels"], data["defects"]
    listed: set[str] = set()
    for key in (
        "self_intersecting",
        "duplicate_id",
        "slivers",
        "straddling",
        "multipolygon",
        "declared_area_mismatch",
        "nonconforming_use",
        "vacant_parcels",
        "idle_parcels",
    ):
        listed.update(defects[key])
    ok = (plots["kind"] == "regular").to_numpy() & plots["land_use"].isin(
        _INDUSTRIAL_CODES
    ).to_numpy()
    ok &= ~parcels["parcel_id"].isin(sorted(listed)).to_numpy()
    ok &= parcels["enterprise_id"].notna().to_numpy()
    # parcels under a building that straddles two parcels
    shared = data["buildings"]["building_id"].isin(defects["buildings_straddling"]).to_numpy()
    _, hit = shapely.STRtree(parcels.geometry.to_numpy()).query(
        data["buildings"].geometry.to_numpy()[shared], predicate="intersects"
    )
    ok[hit] = False
    ok &= np.bincount(b_parcel[b_parcel >= 0], minlength=len(parcels)) > 0
    return ok


def _redeveloped_block(data: dict, eligible: np.ndarray) -> list[int]:
    """The largest group of neighbouring low-FAR existing industrial parcels in a park."""
    from xsland.measure.far import plot_ratio

    plots, parcels = data["plots"], data["parcels"]
    candidate = (
        eligible
        & plots["group"].isin(list(_PARK_BY_ID)).to_numpy()
        & (plots["true_category"] == "industrial").to_numpy()
    )
    rows = np.flatnonzero(candidate)
    far = plot_ratio(parcels.iloc[rows], data["buildings"])["far"].to_numpy()
    rows = rows[far < _REDEVELOP_FAR_BELOW]
    geoms = parcels.geometry.to_numpy()[rows]
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=15.0)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(rows),) * 2)
    _, label = connected_components(graph, directed=False)
    size = np.bincount(label, weights=shapely.area(geoms))
    best = int(np.argmax(size))
    return sorted(rows[label == best].tolist())


def _rect_of(geom) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = shapely.bounds(geom)
    return round(x0), round(y0), round(x1), round(y1)


def _later(data: dict, seed: int) -> dict:
    """The sample one year later: the planted changes of :data:`CHANGE_KEYS`.

    Works on copies of the base layers with a random stream of its own, so the
    base variant is not changed by it.
    """
    rng = np.random.default_rng([seed, 2])
    plots, base = data["plots"], data["parcels"]
    geoms = base.geometry.to_numpy()
    ids = base["parcel_id"].to_numpy(dtype=object)
    b_parcel = _building_parcels(data["buildings"], geoms)
    eligible = _eligible(data, b_parcel)

    redeveloped = _redeveloped_block(data, eligible)
    # keep the other changes clear of the redeveloped block
    near = shapely.STRtree(geoms).query(
        shapely.buffer(shapely.union_all(geoms[redeveloped]), 20.0), predicate="intersects"
    )
    pool_mask = eligible.copy()
    pool_mask[near] = False
    in_park = plots["group"].isin(list(_PARK_BY_ID)).to_numpy()
    w = (plots["x1"] - plots["x0"]).to_numpy()
    h = (plots["y1"] - plots["y0"]).to_numpy()
    same_run = (plots["block"].to_numpy()[:-1] == plots["block"].to_numpy()[1:]) & (
        plots["row"].to_numpy()[:-1] == plots["row"].to_numpy()[1:]
    )

    def pool(mask: np.ndarray) -> list[int]:
        return np.flatnonzero(mask & pool_mask).tolist()

    def take(rows: list[int]) -> None:
        pool_mask[rows] = False

    splits = _pick(rng, pool(in_park & (np.maximum(w, h) >= 80)), 3)
    take(splits)
    owner = base["enterprise_id"].to_numpy(dtype=object)
    pair_ok = np.zeros(len(base), bool)
    pair_ok[:-1] = same_run & pool_mask[:-1] & pool_mask[1:] & in_park[:-1]
    same_owner = pair_ok.copy()
    same_owner[:-1] &= owner[:-1] == owner[1:]
    merges: list[int] = []
    for i in _pick(rng, np.flatnonzero(same_owner).tolist(), 12):
        if len(merges) < 3 and pool_mask[i] and pool_mask[i + 1]:
            merges.append(i)
            take([i, i + 1])
    pair_ok[:-1] &= pool_mask[:-1] & pool_mask[1:]
    reorganised = _pick(rng, np.flatnonzero(pair_ok).tolist(), 1)
    take([reorganised[0], reorganised[0] + 1])
    reshaped = _pick(rng, pool(in_park & (h >= 60)), 1)
    take(reshaped)
    renumbered = _pick(rng, pool(in_park), 1)
    take(renumbered)
    removed = _pick(rng, pool(~in_park), 2)
    take(removed)

    drop = np.zeros(len(base), bool)
    new_rows: list[dict] = []
    next_id = [len(base)]

    def new_id() -> str:
        next_id[0] += 1
        return f"P{next_id[0]:05d}"

    def record(i: int) -> dict:
        row = base.iloc[i].drop(base.geometry.name).to_dict()
        return {k: (None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v)
                for k, v in row.items()}  # fmt: skip

    def add(template: dict, shape, pid: str, **changes) -> None:
        geom = box(*shape) if isinstance(shape, tuple) else shapely.normalize(shape)
        new_rows.append(
            template
            | {"parcel_id": pid, "declared_area": round(geom.area, 2), "geometry": geom}
            | changes
        )

    changes: dict = {"year": _LATER_YEAR}
    changes["split"] = []
    for i in splits:
        x0, y0, x1, y1 = _rect_of(geoms[i])
        if x1 - x0 >= y1 - y0:
            xm = (x0 + x1) // 2
            halves = [(x0 - 9, y0 - 9, xm, y1 + 9), (xm, y0 - 9, x1 + 9, y1 + 9)]
        else:
            ym = (y0 + y1) // 2
            halves = [(x0 - 9, y0 - 9, x1 + 9, ym), (x0 - 9, ym, x1 + 9, y1 + 9)]
        new = [new_id(), new_id()]
        for rect, pid in zip(halves, new, strict=True):
            add(record(i), geoms[i].intersection(box(*rect)), pid, floor_area=None)
        drop[i] = True
        changes["split"].append({"old": ids[i], "new": new})
    changes["merged"] = []
    for i in merges:
        a, b = record(i), record(i + 1)
        fa = a["floor_area"] + b["floor_area"] if a["floor_area"] and b["floor_area"] else None
        pid = new_id()
        category = a["category"] if a["category"] == b["category"] else None
        joined = shapely.union(geoms[i], geoms[i + 1])
        add(a, joined, pid, floor_area=fa, category=category)
        drop[[i, i + 1]] = True
        changes["merged"].append({"old": [ids[i], ids[i + 1]], "new": pid})
    changes["reorganised"] = []
    for i in reorganised:
        x0, y0, _, y1 = _rect_of(geoms[i])
        x1 = _rect_of(geoms[i + 1])[2]
        cuts = np.round(np.linspace(x0, x1, 4)).astype(int)
        cuts[0], cuts[-1] = x0 - 9, x1 + 9
        joined = shapely.union(geoms[i], geoms[i + 1])
        new = [new_id() for _ in range(3)]
        for k, pid in enumerate(new):
            strip = box(int(cuts[k]), y0 - 9, int(cuts[k + 1]), y1 + 9)
            add(record(i), joined.intersection(strip), pid, floor_area=None)
        drop[[i, i + 1]] = True
        changes["reorganised"].append({"old": [ids[i], ids[i + 1]], "new": new})
    for i in reshaped:
        x0, y0, x1, y1 = _rect_of(geoms[i])
        keep = (
            (x0 - 9, y0 + _ROAD_WIDENING, x1 + 9, y1 + 9)
            if plots.at[i, "row"] == 0
            else (x0 - 9, y0 - 9, x1 + 9, y1 - _ROAD_WIDENING)
        )
        add(record(i), geoms[i].intersection(box(*keep)), ids[i])
        drop[i] = True
    changes["reshaped"] = [ids[i] for i in reshaped]
    changes["id_changed"] = []
    for i in renumbered:
        pid = new_id()
        add(record(i), geoms[i], pid, declared_area=record(i)["declared_area"])
        drop[i] = True
        changes["id_changed"].append({"old": ids[i], "new": pid})
    drop[removed] = True
    changes["removed"] = [ids[i] for i in removed]

    # enterprises: a leading-industry owner for the redeveloped block, one for the new land
    enterprises = data["enterprises"].copy()
    names = set(enterprises["name"])
    park = _PARK_BY_ID[plots.at[redeveloped[0], "group"]]
    block_mu = float(shapely.area(geoms[redeveloped]).sum() / M2_PER_MU)
    new_ents = [
        {
            "enterprise_id": f"E{len(enterprises) + 1:04d}",
            "name": _company_name(rng, park.industry, names),
            "industry": park.industry,
            "revenue": round(block_mu * 900.0, 1),
            "tax": round(block_mu * 900.0 * 0.06, 1),
            "eval_class": "A",
            "chain_leader": "false",
        },
        {
            "enterprise_id": f"E{len(enterprises) + 2:04d}",
            "name": _company_name(rng, "通用设备制造", names),
            "industry": "通用设备制造",
            "revenue": 3000.0,  # an established firm moving to new land
            "tax": 150.0,
            "eval_class": "B",
            "chain_leader": "false",
        },
    ]

    # the redeveloped block: old buildings demolished, new ones, a new owner
    parcels = base.copy()
    parcels.loc[redeveloped, "enterprise_id"] = new_ents[0]["enterprise_id"]
    parcels.loc[redeveloped, "owner"] = new_ents[0]["name"]
    parcels.loc[redeveloped, "floor_area"] = np.nan
    new_buildings = []
    for i in redeveloped:
        # a building centred in the rectangle inside the parcel, covering 45 % of the parcel
        x0, y0, x1, y1 = _rect(plots, i)
        k = np.sqrt(_REDEVELOP_COVERAGE * geoms[i].area / ((x1 - x0) * (y1 - y0)))
        dx, dy = (x1 - x0) * (1 - k) / 2, (y1 - y0) * (1 - k) / 2
        new_buildings.append(
            dict(
                rect=(x0 + dx, y0 + dy, x1 - dx, y1 - dy),
                floors=_REDEVELOP_FLOORS,
                height=round(_REDEVELOP_FLOORS * _REDEVELOP_STOREY + 0.8, 1),
                storey_height=_REDEVELOP_STOREY,
                use="industrial",
            )
        )
    base_far = _far_of(data, redeveloped)
    changes["redeveloped"] = {
        "park_id": park.park_id,
        "parcel_ids": [ids[i] for i in redeveloped],
        "area_mu": round(block_mu, 2),
        "far_before_max": round(float(base_far.max()), 4),
        "far_after": round(_REDEVELOP_COVERAGE * _REDEVELOP_FLOORS, 4),
        "enterprise_id": new_ents[0]["enterprise_id"],
    }

    # newly supplied parcels north of an industrial cluster outside the parks
    cluster = next(z for z in data["zones"] if z.group == "C2")
    cx0, _, _, cy1 = cluster.outline
    template = {
        "land_use": "100101",
        "category": "new_industrial",
        "supply_date": _LATER_SUPPLY,
        "start_deadline": _add_months(_LATER_SUPPLY, 12),
        "floor_area": None,
        "enterprise_id": new_ents[1]["enterprise_id"],
        "owner": new_ents[1]["name"],
        "town": cluster.town,
    }
    changes["added"] = []
    for k in range(3):
        x = cx0 + _EDGE + 95 * k
        pid = new_id()
        add(dict(template), (x, cy1 + 15, x + 90, cy1 + 95), pid)
        changes["added"].append(pid)

    kept = parcels[~drop]
    added = gpd.GeoDataFrame(pd.DataFrame(new_rows), geometry="geometry", crs=base.crs)
    added = added.rename_geometry(base.geometry.name) if base.geometry.name != "geometry" else added
    for col in base.columns:
        if col != base.geometry.name:
            added[col] = pd.array(added[col].tolist(), dtype=base[col].dtype)
    later_parcels = pd.concat([kept, added[base.columns]], ignore_index=True)

    # buildings: demolished on the removed and redeveloped parcels, new ones on the block
    bld = data["buildings"]
    gone = np.isin(b_parcel, removed + redeveloped)
    start = len(bld)
    extra = gpd.GeoDataFrame(
        {
            "building_id": pd.array(
                [f"B{start + k:06d}" for k in range(1, len(new_buildings) + 1)], "str"
            ),
            "floors": pd.array([b["floors"] for b in new_buildings], dtype="Int64"),
            "height": np.array([b["height"] for b in new_buildings], dtype=float),
            "storey_height": np.array([b["storey_height"] for b in new_buildings], dtype=float),
            "use": pd.array([b["use"] for b in new_buildings], dtype="str"),
        },
        geometry=shapely.box(*np.array([b["rect"] for b in new_buildings]).T),
        crs=bld.crs,
    )
    later_buildings = pd.concat([bld[~gone], extra], ignore_index=True)

    # a chain leader (链主) named in a park that had none
    leader_park = _PARK_BY_ID[data["defects"]["no_chain_leader_parks"][0]]
    in_leader_park = later_parcels["parcel_id"].isin(
        base.loc[(plots["group"] == leader_park.park_id).to_numpy(), "parcel_id"]
    )
    owners = set(later_parcels.loc[in_leader_park, "enterprise_id"].dropna())
    choice = enterprises[
        enterprises["enterprise_id"].isin(sorted(owners))
        & (enterprises["industry"] == leader_park.industry)
    ].sort_values(["revenue", "enterprise_id"], ascending=[False, True])
    enterprises.loc[choice.index[0], "chain_leader"] = "true"
    enterprises = pd.concat(
        [enterprises, pd.DataFrame(new_ents).astype(enterprises.dtypes.to_dict())],
        ignore_index=True,
    )
    park_checks = [
        {
            "park_id": leader_park.park_id,
            "check": "chk_chain_leader",
            "old": "fail",
            "new": "pass",
            "enterprise_id": str(choice["enterprise_id"].iloc[0]),
        }
    ]

    # indicators of 2027: as in 2026, the missing park reporting, more platforms
    ind = data["indicators"]
    latest = ind[ind["年度"] == ind["年度"].max()].copy()
    latest["年度"] = _LATER_YEAR
    old_platforms = int(latest["省级以上创新平台"].sum())
    first = latest.index[0]
    latest.loc[first, "省级以上创新平台"] += 1
    missing = data["defects"]["no_indicators_park"]
    target = 7
    extra_row = {
        "园区编号": missing,
        "年度": _LATER_YEAR,
        "招商活动场次": 3,
        "省级以上创新平台": max(1, target - old_platforms - 1),
        "产业基金规模": None,
    }
    indicators = pd.concat([ind, latest, pd.DataFrame([extra_row])], ignore_index=True)
    new_platforms = int(indicators.loc[indicators["年度"] == _LATER_YEAR, "省级以上创新平台"].sum())
    park_checks.append(
        {"park_id": missing, "check": "chk_promotion", "old": "unknown", "new": "pass"}
    )
    changes["park_checks"] = park_checks
    changes["targets"] = {
        "innovation_platforms": {
            "old": old_platforms,
            "new": new_platforms,
            "target": target,
            "old_status": "unknown",
            "new_status": "pass",
        }
    }

    defects = json.loads(json.dumps(data["defects"], ensure_ascii=False))
    defects["vacant_parcels"] = defects["vacant_parcels"] + changes["added"]
    defects["no_chain_leader_parks"] = [
        p for p in defects["no_chain_leader_parks"] if p != leader_park.park_id
    ]
    defects["no_indicators_park"] = None
    defects["changes"] = {key: changes[key] for key in CHANGE_KEYS}
    return data | dict(
        parcels=later_parcels,
        buildings=later_buildings,
        enterprises=enterprises,
        indicators=indicators,
        defects=defects,
    )


def _far_of(data: dict, rows: list[int]) -> np.ndarray:
    """Plot ratio of base parcels ``rows`` as the audit measures it."""
    from xsland.measure.far import plot_ratio

    return plot_ratio(data["parcels"].iloc[rows], data["buildings"])["far"].to_numpy()


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _write_sample(out: Path, seed: int, *, variant: str = "base") -> None:
    data = _build(seed)
    if variant == "later":
        data = _later(data, seed)
    gpkg = out / _GPKG
    for layer in ("parks", "parcels", "buildings", "plan"):
        data[layer].to_file(
            gpkg,
            layer=layer,
            driver="GPKG",
            engine="pyogrio",
            promote_to_multi=False,
            use_arrow=True,
        )
    data["enterprises"].to_csv(
        out / _ENTERPRISES, index=False, encoding="utf-8-sig", lineterminator="\n"
    )
    data["indicators"].to_excel(out / _INDICATORS, index=False, sheet_name="园区指标")
    _write_landcover(out / _LANDCOVER, data, seed)
    _write_gbk_shapefile(out / _GBK_DIR / _GBK_SHP, data["parcels"])
    (out / _DEFECTS).write_text(
        json.dumps(data["defects"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _write_gbk_shapefile(path: Path, parcels: gpd.GeoDataFrame) -> None:
    """The parcels of one town as a GBK Shapefile that does not say it is GBK."""
    path.parent.mkdir(parents=True, exist_ok=True)
    town = parcels[parcels["town"] == _GBK_TOWN]
    shp = gpd.GeoDataFrame(
        {
            "地块编号": town["parcel_id"],
            "用地性质": town["land_use"],
            "权利人": town["owner"],
            "用地面积": town["declared_area"],
            "所属镇街": town["town"],
        },
        geometry=town.geometry,
        crs=parcels.crs,
    ).to_crs(_GBK_CRS)
    shp.to_file(path, driver="ESRI Shapefile", engine="pyogrio", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    with open(path.with_suffix(".dbf"), "r+b") as f:
        f.seek(1)  # date of last update: a fixed date, so the file is reproducible
        f.write(bytes([POLICY_DATE.year - 1900, POLICY_DATE.month, POLICY_DATE.day]))
        f.seek(29)  # language driver ID: 0 = not stated
        f.write(b"\x00")


_WORLDCOVER_COLOURS = {
    10: (0, 100, 0, 255),
    30: (255, 255, 76, 255),
    40: (240, 150, 255, 255),
    50: (250, 0, 0, 255),
    60: (180, 180, 180, 255),
    80: (0, 100, 200, 255),
}


def _write_landcover(path: Path, data: dict, seed: int) -> None:
    """A 10 m land-cover raster (ESA WorldCover codes) over the parks and the land outside them."""
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import Affine
    from scipy.ndimage import zoom

    rng = np.random.default_rng([seed, 1])
    zones, plots = data["zones"], data["plots"]
    outlines = np.array([z.outline for z in zones], dtype=float)
    res, margin = 10.0, 200.0
    x0 = np.floor((outlines[:, 0].min() - margin) / res) * res
    y0 = np.floor((outlines[:, 1].min() - margin) / res) * res
    x1 = np.ceil((outlines[:, 2].max() + margin) / res) * res
    y1 = np.ceil((outlines[:, 3].max() + margin) / res) * res
    width, height = int((x1 - x0) / res), int((y1 - y0) / res)
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)

    # countryside: cropland with patches of trees, grass and ponds, at a 250 m grain
    coarse = (height // 25 + 2, width // 25 + 2)
    veg = zoom(rng.random(coarse), 25, order=1)[:height, :width]
    wet = zoom(rng.random(coarse), 25, order=1)[:height, :width]
    cover = np.full((height, width), 40, dtype=np.uint8)
    cover[veg > 0.72] = 10
    cover[veg < 0.2] = 30
    cover[wet > 0.86] = 80
    shapes = []
    for _ in range(3):  # canals across the area
        xs = np.linspace(x0, x1, 12)
        ys = rng.uniform(y0, y1) + np.cumsum(rng.normal(0, 300, 12))
        shapes.append((shapely.buffer(shapely.linestrings(xs, ys), 25), 80))
    vx, vy = rng.uniform(x0, x1, 250), rng.uniform(y0, y1, 250)  # villages
    vs = rng.uniform(80, 300, (250, 2))
    shapes += [(g, 50) for g in shapely.box(vx, vy, vx + vs[:, 0], vy + vs[:, 1])]
    # parks and industrial land: paved and built, grass in wide margins, bare or grass where vacant
    for z in zones:
        shapes.append((box(*z.outline), 50))
        park = _PARK_BY_ID.get(z.group)
        if park is not None and park.straddler and z.zone == "core":
            ox0, oy0, ox1, _ = z.outline
            shapes.append((box(ox0, oy0, ox1, oy0 + _WIDE_EDGE - 5), 30))
    rects = _quads(plots)
    vacant = np.flatnonzero(plots["vacant"].to_numpy() & (plots["kind"] != "sliver").to_numpy())
    shapes += [(rects[i], 50) for i in np.flatnonzero(plots["kind"] == "straddling")]
    shapes += [(rects[i], 60 if k % 3 else 30) for k, i in enumerate(vacant)]
    built = np.flatnonzero(~plots["vacant"].to_numpy() & (plots["kind"] != "sliver").to_numpy())
    shapes += [(rects[i], 30) for i in built[rng.random(len(built)) < 0.15]]  # green yards
    shapes += [(g, 50) for g in data["buildings"].geometry]
    cover = rasterize(shapes, out=cover, transform=transform)

    profile = dict(
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint8",
        crs=_CRS,
        transform=transform,
        nodata=0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
        predictor=2,
        zlevel=9,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(cover, 1)
        dst.write_colormap(1, _WORLDCOVER_COLOURS)
        dst.update_tags(
            source="xsland synthetic Xishan sample (not real data)",
            classes="10 tree, 30 grassland, 40 cropland, 50 built-up, 60 bare, 80 water",
        )
