"""Land-use classes of both national standards and the local M0: one vocabulary.

:data:`VOCABULARY` is the one table of land-use classes xsland knows: for each code its
standard, its Chinese name and the audit category it maps to. Reading (code or name →
code → category), the maps' popups, the Excel sheets and the output schema's code words
all use it; nothing else lists land-use names. The standards:

- the **2023 national classification** 《国土空间调查、规划、用途管制用地用海分类指南》
  (自然资发〔2023〕234号): numeric codes, two digits for the first level (``10`` 工矿用地),
  four for the second (``1001`` 工业用地), six for the third (``100102`` 二类工业用地).
  Every land class (用地, 01–17 and 23) is listed to the second level, and to the third
  where the guide has one (居住, 公共管理与公共服务, 商业, 工业, 物流仓储, 交通场站,
  农业设施); the sea classes (用海, 18–22 and 24) to the first level only (Xishan has no
  sea);
- **GB 50137-2011** 《城市用地分类与规划建设用地标准》: letter codes to the second level
  (``M`` 工业用地, ``M1`` 一类工业用地, ``W1`` 一类物流仓储用地 …);
- the local **M0** 新型产业用地 (锡府办规〔2025〕1号 names it beside industrial land; it is
  not in GB 50137 itself).

Names follow the 2023 guide (Appendix I, table I). The official page of 自然资源部 was not
reachable from here; the names were checked against two independent transcriptions of the
guide's code list in public repositories, which agree on every land class listed below.
Where the 2023 guide renamed or renumbered a class of the 2020 trial edition
(自然资办发〔2020〕51号) — ``0204`` 油料园地 (was 其他园地, now ``0205``), ``0601`` 农村道路
(was 乡村道路用地), ``0602`` 设施农用地, ``0903`` 娱乐用地 (was 娱乐康体用地 with two
sub-classes), ``1207`` 城镇村道路用地, ``1311`` 水工设施用地 and ``1312`` 其他公用设施用地
(干渠 was dropped), ``2302`` 后备耕地 — the table follows 2023. Two old names are still
read as the 2023 class (乡村道路用地, 城镇道路用地), since offices keep data made under the
trial edition; 娱乐康体用地 reads as GB 50137's ``B3``, whose name it is.

:func:`land_use_codes` reads a column written as codes (``100101``, ``m1``, ``100101.0``
from a spreadsheet, ``901`` for ``0901`` after a spreadsheet dropped the zero), as names
(``一类工业用地``, ``新型产业用地``) or as both (``M1 一类工业用地``, ``工业用地(1001)``).
Codes and names are compared after :func:`normalise_land_use` (NFKC, every space
removed, upper case). :func:`category_of` turns codes into categories through the
policy's ``category_map``, whose defaults (:data:`DEFAULT_CATEGORY_MAP`) are this
table's categories. :func:`land_use_name` and :func:`land_use_label` give the words
people read.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_CATEGORY_MAP",
    "LAND_USE_NAMES",
    "LAND_USE_SOURCES",
    "STANDARDS",
    "VOCABULARY",
    "LandUseClass",
    "category_of",
    "land_use_codes",
    "land_use_label",
    "land_use_name",
    "normalise_land_use",
]

#: Standard key -> the standard's full title.
STANDARDS: Mapping[str, str] = MappingProxyType(
    {
        "2023": "国土空间调查、规划、用途管制用地用海分类指南 (自然资发〔2023〕234号)",
        "GB 50137-2011": "GB 50137-2011 城市用地分类与规划建设用地标准",
        "local": "新型产业用地 M0 (锡府办规〔2025〕1号, local)",
    }
)

#: The standards the vocabulary is taken from.
LAND_USE_SOURCES = tuple(STANDARDS.values())


@dataclass(frozen=True)
class LandUseClass:
    """One class of the vocabulary.

    Attributes
    ----------
    code
        The code as the standard writes it (``"100101"``, ``"M1"``, ``"M0"``).
    standard
        Key of :data:`STANDARDS`.
    name
        The Chinese name the standard gives.
    category
        The audit's base category (SPEC §2): ``industrial``, ``new_type_industrial``,
        ``logistics`` or ``other``. Industrial land becomes ``new_industrial`` or stays
        ``industrial`` by its supply date (:func:`xsland.measure.far.categorise`).
    """

    code: str
    standard: str
    name: str
    category: str


_I, _N, _L = "industrial", "new_type_industrial", "logistics"

#: (standard, code, name, category), in the standards' order; category ``""`` = other.
_ROWS = [
    ("2023", "01", "耕地", ""), ("2023", "0101", "水田", ""), ("2023", "0102", "水浇地", ""),
    ("2023", "0103", "旱地", ""),
    ("2023", "02", "园地", ""), ("2023", "0201", "果园", ""), ("2023", "0202", "茶园", ""),
    ("2023", "0203", "橡胶园地", ""), ("2023", "0204", "油料园地", ""),
    ("2023", "0205", "其他园地", ""),
    ("2023", "03", "林地", ""), ("2023", "0301", "乔木林地", ""), ("2023", "0302", "竹林地", ""),
    ("2023", "0303", "灌木林地", ""), ("2023", "0304", "其他林地", ""),
    ("2023", "04", "草地", ""), ("2023", "0401", "天然牧草地", ""),
    ("2023", "0402", "人工牧草地", ""), ("2023", "0403", "其他草地", ""),
    ("2023", "05", "湿地", ""), ("2023", "0501", "森林沼泽", ""), ("2023", "0502", "灌丛沼泽", ""),
    ("2023", "0503", "沼泽草地", ""), ("2023", "0504", "其他沼泽地", ""),
    ("2023", "0505", "沿海滩涂", ""), ("2023", "0506", "内陆滩涂", ""),
    ("2023", "0507", "红树林地", ""),
    ("2023", "06", "农业设施建设用地", ""), ("2023", "0601", "农村道路", ""),
    ("2023", "060101", "村道用地", ""), ("2023", "060102", "田间道", ""),
    ("2023", "0602", "设施农用地", ""), ("2023", "060201", "种植设施建设用地", ""),
    ("2023", "060202", "畜禽养殖设施建设用地", ""), ("2023", "060203", "水产养殖设施建设用地", ""),
    ("2023", "07", "居住用地", ""), ("2023", "0701", "城镇住宅用地", ""),
    ("2023", "070101", "一类城镇住宅用地", ""), ("2023", "070102", "二类城镇住宅用地", ""),
    ("2023", "070103", "三类城镇住宅用地", ""), ("2023", "0702", "城镇社区服务设施用地", ""),
    ("2023", "0703", "农村宅基地", ""), ("2023", "070301", "一类农村宅基地", ""),
    ("2023", "070302", "二类农村宅基地", ""), ("2023", "0704", "农村社区服务设施用地", ""),
    ("2023", "08", "公共管理与公共服务用地", ""), ("2023", "0801", "机关团体用地", ""),
    ("2023", "0802", "科研用地", ""), ("2023", "0803", "文化用地", ""),
    ("2023", "080301", "图书与展览用地", ""), ("2023", "080302", "文化活动用地", ""),
    ("2023", "0804", "教育用地", ""), ("2023", "080401", "高等教育用地", ""),
    ("2023", "080402", "中等职业教育用地", ""), ("2023", "080403", "中小学用地", ""),
    ("2023", "080404", "幼儿园用地", ""), ("2023", "080405", "其他教育用地", ""),
    ("2023", "0805", "体育用地", ""), ("2023", "080501", "体育场馆用地", ""),
    ("2023", "080502", "体育训练用地", ""), ("2023", "0806", "医疗卫生用地", ""),
    ("2023", "080601", "医院用地", ""), ("2023", "080602", "基层医疗卫生设施用地", ""),
    ("2023", "080603", "公共卫生用地", ""), ("2023", "0807", "社会福利用地", ""),
    ("2023", "080701", "老年人社会福利用地", ""), ("2023", "080702", "儿童社会福利用地", ""),
    ("2023", "080703", "残疾人社会福利用地", ""), ("2023", "080704", "其他社会福利用地", ""),
    ("2023", "09", "商业服务业用地", ""), ("2023", "0901", "商业用地", ""),
    ("2023", "090101", "零售商业用地", ""), ("2023", "090102", "批发市场用地", ""),
    ("2023", "090103", "餐饮用地", ""), ("2023", "090104", "旅馆用地", ""),
    ("2023", "090105", "公用设施营业网点用地", ""), ("2023", "0902", "商务金融用地", ""),
    ("2023", "0903", "娱乐用地", ""), ("2023", "0904", "其他商业服务业用地", ""),
    ("2023", "10", "工矿用地", ""), ("2023", "1001", "工业用地", _I),
    ("2023", "100101", "一类工业用地", _I), ("2023", "100102", "二类工业用地", _I),
    ("2023", "100103", "三类工业用地", _I), ("2023", "1002", "采矿用地", ""),
    ("2023", "1003", "盐田", ""),
    ("2023", "11", "仓储用地", ""), ("2023", "1101", "物流仓储用地", _L),
    ("2023", "110101", "一类物流仓储用地", _L), ("2023", "110102", "二类物流仓储用地", _L),
    ("2023", "110103", "三类物流仓储用地", _L), ("2023", "1102", "储备库用地", ""),
    ("2023", "12", "交通运输用地", ""), ("2023", "1201", "铁路用地", ""),
    ("2023", "1202", "公路用地", ""), ("2023", "1203", "机场用地", ""),
    ("2023", "1204", "港口码头用地", ""), ("2023", "1205", "管道运输用地", ""),
    ("2023", "1206", "城市轨道交通用地", ""), ("2023", "1207", "城镇村道路用地", ""),
    ("2023", "1208", "交通场站用地", ""), ("2023", "120801", "对外交通场站用地", ""),
    ("2023", "120802", "公共交通场站用地", ""), ("2023", "120803", "社会停车场用地", ""),
    ("2023", "1209", "其他交通设施用地", ""),
    ("2023", "13", "公用设施用地", ""), ("2023", "1301", "供水用地", ""),
    ("2023", "1302", "排水用地", ""), ("2023", "1303", "供电用地", ""),
    ("2023", "1304", "供燃气用地", ""), ("2023", "1305", "供热用地", ""),
    ("2023", "1306", "通信用地", ""), ("2023", "1307", "邮政用地", ""),
    ("2023", "1308", "广播电视设施用地", ""), ("2023", "1309", "环卫用地", ""),
    ("2023", "1310", "消防用地", ""), ("2023", "1311", "水工设施用地", ""),
    ("2023", "1312", "其他公用设施用地", ""),
    ("2023", "14", "绿地与开敞空间用地", ""), ("2023", "1401", "公园绿地", ""),
    ("2023", "1402", "防护绿地", ""), ("2023", "1403", "广场用地", ""),
    ("2023", "15", "特殊用地", ""), ("2023", "1501", "军事设施用地", ""),
    ("2023", "1502", "使领馆用地", ""), ("2023", "1503", "宗教用地", ""),
    ("2023", "1504", "文物古迹用地", ""), ("2023", "1505", "监教场所用地", ""),
    ("2023", "1506", "殡葬用地", ""), ("2023", "1507", "其他特殊用地", ""),
    ("2023", "16", "留白用地", ""),
    ("2023", "17", "陆地水域", ""), ("2023", "1701", "河流水面", ""),
    ("2023", "1702", "湖泊水面", ""), ("2023", "1703", "水库水面", ""),
    ("2023", "1704", "坑塘水面", ""), ("2023", "1705", "沟渠", ""),
    ("2023", "1706", "冰川及常年积雪", ""),
    ("2023", "18", "渔业用海", ""), ("2023", "19", "工矿通信用海", ""),
    ("2023", "20", "交通运输用海", ""), ("2023", "21", "游憩用海", ""),
    ("2023", "22", "特殊用海", ""),
    ("2023", "23", "其他土地", ""), ("2023", "2301", "空闲地", ""),
    ("2023", "2302", "后备耕地", ""), ("2023", "2303", "田坎", ""),
    ("2023", "2304", "盐碱地", ""), ("2023", "2305", "沙地", ""),
    ("2023", "2306", "裸土地", ""), ("2023", "2307", "裸岩石砾地", ""),
    ("2023", "24", "其他海域", ""),
    ("GB 50137-2011", "R", "居住用地", ""), ("GB 50137-2011", "R1", "一类居住用地", ""),
    ("GB 50137-2011", "R2", "二类居住用地", ""), ("GB 50137-2011", "R3", "三类居住用地", ""),
    ("GB 50137-2011", "A", "公共管理与公共服务设施用地", ""),
    ("GB 50137-2011", "A1", "行政办公用地", ""), ("GB 50137-2011", "A2", "文化设施用地", ""),
    ("GB 50137-2011", "A3", "教育科研用地", ""), ("GB 50137-2011", "A4", "体育用地", ""),
    ("GB 50137-2011", "A5", "医疗卫生用地", ""), ("GB 50137-2011", "A6", "社会福利用地", ""),
    ("GB 50137-2011", "A7", "文物古迹用地", ""), ("GB 50137-2011", "A8", "外事用地", ""),
    ("GB 50137-2011", "A9", "宗教用地", ""),
    ("GB 50137-2011", "B", "商业服务业设施用地", ""), ("GB 50137-2011", "B1", "商业用地", ""),
    ("GB 50137-2011", "B2", "商务用地", ""), ("GB 50137-2011", "B3", "娱乐康体用地", ""),
    ("GB 50137-2011", "B4", "公用设施营业网点用地", ""),
    ("GB 50137-2011", "B9", "其他服务设施用地", ""),
    ("GB 50137-2011", "M", "工业用地", _I), ("GB 50137-2011", "M1", "一类工业用地", _I),
    ("GB 50137-2011", "M2", "二类工业用地", _I), ("GB 50137-2011", "M3", "三类工业用地", _I),
    ("GB 50137-2011", "W", "物流仓储用地", _L), ("GB 50137-2011", "W1", "一类物流仓储用地", _L),
    ("GB 50137-2011", "W2", "二类物流仓储用地", _L),
    ("GB 50137-2011", "W3", "三类物流仓储用地", _L),
    ("GB 50137-2011", "S", "道路与交通设施用地", ""), ("GB 50137-2011", "S1", "城市道路用地", ""),
    ("GB 50137-2011", "S2", "城市轨道交通用地", ""), ("GB 50137-2011", "S3", "交通枢纽用地", ""),
    ("GB 50137-2011", "S4", "交通场站用地", ""), ("GB 50137-2011", "S9", "其他交通设施用地", ""),
    ("GB 50137-2011", "U", "公用设施用地", ""), ("GB 50137-2011", "U1", "供应设施用地", ""),
    ("GB 50137-2011", "U2", "环境设施用地", ""), ("GB 50137-2011", "U3", "安全设施用地", ""),
    ("GB 50137-2011", "U9", "其他公用设施用地", ""),
    ("GB 50137-2011", "G", "绿地与广场用地", ""), ("GB 50137-2011", "G1", "公园绿地", ""),
    ("GB 50137-2011", "G2", "防护绿地", ""), ("GB 50137-2011", "G3", "广场用地", ""),
    ("GB 50137-2011", "H", "建设用地", ""), ("GB 50137-2011", "H1", "城乡居民点建设用地", ""),
    ("GB 50137-2011", "H2", "区域交通设施用地", ""),
    ("GB 50137-2011", "H3", "区域公用设施用地", ""), ("GB 50137-2011", "H4", "特殊用地", ""),
    ("GB 50137-2011", "H5", "采矿用地", ""), ("GB 50137-2011", "H9", "其他建设用地", ""),
    ("GB 50137-2011", "E", "非建设用地", ""), ("GB 50137-2011", "E1", "水域", ""),
    ("GB 50137-2011", "E2", "农林用地", ""), ("GB 50137-2011", "E9", "其他非建设用地", ""),
    ("local", "M0", "新型产业用地", _N),
]  # fmt: skip

#: Code -> :class:`LandUseClass`: the 2023 classification first, then GB 50137-2011,
#: then the local M0. The one land-use vocabulary of xsland.
VOCABULARY: Mapping[str, LandUseClass] = MappingProxyType(
    {c: LandUseClass(c, s, n, cat or "other") for s, c, n, cat in _ROWS}
)

#: Code -> Chinese name (a view of :data:`VOCABULARY`).
LAND_USE_NAMES: Mapping[str, str] = MappingProxyType({c: v.name for c, v in VOCABULARY.items()})

#: The default ``Policy.category_map``: every code of :data:`VOCABULARY` whose category is
#: not ``other`` (a project file's ``[policy.category_map]`` adds to it).
DEFAULT_CATEGORY_MAP: Mapping[str, str] = MappingProxyType(
    {c: v.category for c, v in VOCABULARY.items() if v.category != "other"}
)

#: Other ways offices write a class: a name → code. The 2020 trial edition's names
#: (自然资办发〔2020〕51号) that 2023 changed are read as the 2023 class.
_SYNONYMS = {
    "新型工业用地": "M0",
    "新型产业": "M0",
    "工业": "1001",
    "工业用地(M)": "1001",
    "普通工业用地": "1001",
    "物流仓储": "1101",
    "仓储物流用地": "1101",
    "城镇道路用地": "1207",
    "乡村道路用地": "0601",
}

_CODE = re.compile(r"^([A-Z]\d{0,2}|\d{2,8})")
_BRACKETS = re.compile(r"[(\[（【](.*?)[)\]）】]")


def normalise_land_use(value: Any) -> str:
    """The form codes and names are compared in: NFKC, no spaces, upper case.

    ``" m1 "`` → ``"M1"``, ``"１００１０１"`` → ``"100101"``, ``100101.0`` →
    ``"100101"``, ``"一类 工业用地"`` → ``"一类工业用地"``; missing → ``""``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text).upper()
    return re.sub(r"^(\d+)\.0*$", r"\1", text)


_BY_NAME = {normalise_land_use(n): c for c, n in reversed(list(LAND_USE_NAMES.items()))}
_BY_NAME.update({normalise_land_use(k): v for k, v in _SYNONYMS.items()})


def _known_code(text: str, extra: Mapping[str, Any]) -> str:
    """``text`` as a code of the vocabulary (or of ``extra``), or ``""``.

    A code whose leading part is a known class (``10010201`` → ``100102``) counts;
    a 2023 code that lost its leading zero in a spreadsheet (``901``) gets it back.
    """
    for code in (text, "0" + text) if text.isdigit() and len(text) % 2 else (text,):
        if code in LAND_USE_NAMES or code in extra:
            return code
        for n in range(len(code) - 1, 0, -1):
            head = code[:n]
            known = head in LAND_USE_NAMES or head in extra
            if known and code[n:].isdigit() and (n >= 2 or not head.isdigit()):
                return code
    return ""


def _one(text: str, extra: Mapping[str, Any]) -> str:
    """The code of one normalised value, or ``""`` when it names nothing known."""
    if not text:
        return ""
    if text in extra:
        return text
    code = _known_code(text, extra) or _BY_NAME.get(text, "")
    if code:
        return code
    pieces = [p for p in (_BRACKETS.sub("", text), *_BRACKETS.findall(text)) if p]
    for piece in pieces:
        if piece != text:
            code = _one(piece, extra)
            if code:
                return code
    head = _CODE.match(text)
    if head and head.end() < len(text):
        rest = text[head.end() :].lstrip("-_:、.")
        code = _known_code(head.group(1), extra)
        if code and (not rest or _BY_NAME.get(rest) or not rest.isascii()):
            return code
    return ""


def land_use_codes(
    values: pd.Series, *, extra: Mapping[str, Any] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Land-use codes from a column of codes, names or both.

    Parameters
    ----------
    values
        The column as read (text or numbers).
    extra
        Further codes or names taken as they are (the policy's ``category_map``, whose
        keys a project file may extend with local words such as ``"工厂" = "industrial"``);
        compared after :func:`normalise_land_use`.

    Returns
    -------
    (Series, ndarray)
        The code of each value (normalised; ``None`` when missing or unknown), indexed
        like ``values``, and the mask of non-empty values that are not known.
    """
    table = {normalise_land_use(k): v for k, v in (extra or {}).items()}
    text = pd.Series([normalise_land_use(v) for v in values], index=values.index, dtype=object)
    lookup = {t: _one(t, table) for t in pd.unique(text)}
    codes = text.map(lookup)
    unknown = ((text != "") & (codes == "")).to_numpy(dtype=bool)
    return codes.where(codes != "", None), unknown


def category_of(codes: pd.Series, *, category_map: Mapping[str, Any]) -> np.ndarray:
    """The base category of each land-use code: the code, else its longest prefix, in the map.

    :math:`c(x) = m(x_{1..k^*})` with :math:`k^* = \\max\\{k : x_{1..k} \\in m\\}` for the
    map :math:`m` (the policy's ``category_map``; keys compared after
    :func:`normalise_land_use`), so ``"10010201"`` (a local sub-class of ``100102``) is
    ``industrial``. One pass per distinct key length of the map, not per row.

    Parameters
    ----------
    codes
        Codes as :func:`land_use_codes` returns them (``None`` when missing or unknown).
    category_map
        Code (or local word) -> category; :data:`DEFAULT_CATEGORY_MAP` plus the project
        file's ``[policy.category_map]``.

    Returns
    -------
    ndarray
        The category of each code (object), ``""`` where no prefix of the code is in the
        map or the code is missing; in the order of ``codes``.
    """
    table = {normalise_land_use(k): v for k, v in category_map.items()}
    text = codes.astype("string").str.strip().reset_index(drop=True)
    text = text.where(text != "")
    out = np.full(len(text), "", dtype=object)
    todo = text.notna().to_numpy(dtype=bool, copy=True)
    for length in sorted({len(k) for k in table}, reverse=True):
        if not todo.any():
            break
        hit = text[todo].str.slice(0, length).map(table)
        found = hit.notna().to_numpy(dtype=bool)
        rows = np.flatnonzero(todo)[found]
        out[rows] = hit.to_numpy(dtype=object)[found]
        todo[rows] = False
    return out


_MISSING = {"", "NAN", "NONE", "<NA>", "NAT", "NULL", "INF", "-INF", "+INF"}


@functools.lru_cache(maxsize=4096)
def _code_of(text: str) -> str:
    return _one(text, {})


def land_use_name(value: Any) -> str | None:
    """The Chinese name of a land-use value (a code or a name), or ``None`` when unknown.

    The value is read like :func:`land_use_codes` reads a column, so ``100102.0``,
    ``" m1 "``, ``901`` (``0901``) and ``"一类工业用地"`` all find their class.

    Examples
    --------
    >>> land_use_name("100102")
    '二类工业用地'
    >>> land_use_name("M0")
    '新型产业用地'
    >>> land_use_name("9999") is None
    True
    """
    text = normalise_land_use(value)
    if text in _MISSING:
        return None
    return LAND_USE_NAMES.get(_code_of(text))


def land_use_label(value: Any, *, code_first: bool = False) -> str | None:
    """Name and code for people: ``二类工业用地（100102）`` (maps), or with ``code_first``
    ``100102 二类工业用地`` (Excel, where the code column is sorted); the value as given,
    trimmed, when it names no known class; ``None`` when missing.

    Examples
    --------
    >>> land_use_label(1303)
    '供电用地（1303）'
    >>> land_use_label("100101", code_first=True)
    '100101 一类工业用地'
    >>> land_use_label("X7")
    'X7'
    """
    text = normalise_land_use(value)
    if text in _MISSING:
        return None
    code = _code_of(text)
    name = LAND_USE_NAMES.get(code)
    if not name:
        return str(value).strip()
    return f"{code} {name}" if code_first else f"{name}（{code}）"
