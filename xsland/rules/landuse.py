"""Land-use codes and names of both national standards, and the local M0.

One vocabulary table: code → name, from

- **GB 50137-2011** 城市用地分类与规划建设用地标准 (major and mid classes: R, A, B,
  M1/M2/M3, W1/W2/W3, S, U, G, H, E …);
- the **2023 national classification** 国土空间调查、规划、用途管制用地用海分类
  (自然资发〔2023〕234号): first-level classes 01–24, their second-level classes,
  and the third-level classes of 居住, 工业 and 物流仓储 (070101…, 100101…, 110101…);
- the local **M0** 新型产业用地 (锡府办规〔2025〕1号 names it beside industrial land).

:func:`land_use_codes` reads a column written as codes (``100101``, ``m1``, ``100101.0``
from a spreadsheet, ``901`` for ``0901`` after a spreadsheet dropped the zero), as names
(``一类工业用地``, ``新型产业用地``) or as both (``M1 一类工业用地``, ``工业用地(1001)``).
Codes and names are compared after :func:`normalise_land_use` (NFKC, every space
removed, upper case). The policy's ``category_map`` then turns a code into a category.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LAND_USE_NAMES",
    "LAND_USE_SOURCES",
    "land_use_codes",
    "normalise_land_use",
]

#: The standards the vocabulary is taken from.
LAND_USE_SOURCES = (
    "GB 50137-2011 城市用地分类与规划建设用地标准",
    "国土空间调查、规划、用途管制用地用海分类 (自然资发〔2023〕234号)",
    "新型产业用地 M0 (local)",
)

_2023 = {
    "01": "耕地",
    "0101": "水田",
    "0102": "水浇地",
    "0103": "旱地",
    "02": "园地",
    "0201": "果园",
    "0202": "茶园",
    "0203": "橡胶园地",
    "0204": "其他园地",
    "03": "林地",
    "0301": "乔木林地",
    "0302": "竹林地",
    "0303": "灌木林地",
    "0304": "其他林地",
    "04": "草地",
    "0401": "天然牧草地",
    "0402": "人工牧草地",
    "0403": "其他草地",
    "05": "湿地",
    "06": "农业设施建设用地",
    "0601": "乡村道路用地",
    "0602": "种植设施建设用地",
    "0603": "畜禽养殖设施建设用地",
    "0604": "水产养殖设施建设用地",
    "07": "居住用地",
    "0701": "城镇住宅用地",
    "070101": "一类城镇住宅用地",
    "070102": "二类城镇住宅用地",
    "070103": "三类城镇住宅用地",
    "0702": "城镇社区服务设施用地",
    "0703": "农村宅基地",
    "0704": "农村社区服务设施用地",
    "08": "公共管理与公共服务用地",
    "0801": "机关团体用地",
    "0802": "科研用地",
    "0803": "文化用地",
    "0804": "教育用地",
    "0805": "体育用地",
    "0806": "医疗卫生用地",
    "0807": "社会福利用地",
    "09": "商业服务业用地",
    "0901": "商业用地",
    "0902": "商务金融用地",
    "0903": "娱乐用地",
    "0904": "其他商业服务业用地",
    "10": "工矿用地",
    "1001": "工业用地",
    "100101": "一类工业用地",
    "100102": "二类工业用地",
    "100103": "三类工业用地",
    "1002": "采矿用地",
    "1003": "盐田",
    "11": "仓储用地",
    "1101": "物流仓储用地",
    "110101": "一类物流仓储用地",
    "110102": "二类物流仓储用地",
    "110103": "三类物流仓储用地",
    "1102": "储备库用地",
    "12": "交通运输用地",
    "1201": "铁路用地",
    "1202": "公路用地",
    "1203": "机场用地",
    "1204": "港口码头用地",
    "1205": "管道运输用地",
    "1206": "城市轨道交通用地",
    "1207": "城镇道路用地",
    "1208": "交通场站用地",
    "1209": "其他交通设施用地",
    "13": "公用设施用地",
    "1301": "供水用地",
    "1302": "排水用地",
    "1303": "供电用地",
    "1304": "供燃气用地",
    "1305": "供热用地",
    "1306": "通信用地",
    "1307": "邮政用地",
    "1308": "广播电视设施用地",
    "1309": "环卫用地",
    "1310": "消防用地",
    "1311": "干渠",
    "1312": "水工设施用地",
    "1313": "其他公用设施用地",
    "14": "绿地与开敞空间用地",
    "1401": "公园绿地",
    "1402": "防护绿地",
    "1403": "广场用地",
    "15": "特殊用地",
    "1501": "军事设施用地",
    "1502": "使领馆用地",
    "1503": "宗教用地",
    "1504": "文物古迹用地",
    "1505": "监教场所用地",
    "1506": "殡葬用地",
    "1507": "其他特殊用地",
    "16": "留白用地",
    "17": "陆地水域",
    "1701": "河流水面",
    "1702": "湖泊水面",
    "1703": "水库水面",
    "1704": "坑塘水面",
    "1705": "沟渠",
    "1706": "冰川及常年积雪",
    "18": "渔业用海",
    "19": "工矿通信用海",
    "20": "交通运输用海",
    "21": "游憩用海",
    "22": "特殊用海",
    "23": "其他土地",
    "2301": "空闲地",
    "2302": "田坎",
    "2303": "田间道",
    "2304": "盐碱地",
    "2305": "沙地",
    "2306": "裸土地",
    "2307": "裸岩石砾地",
    "24": "其他海域",
}

_GB50137 = {
    "R": "居住用地",
    "R1": "一类居住用地",
    "R2": "二类居住用地",
    "R3": "三类居住用地",
    "A": "公共管理与公共服务设施用地",
    "A1": "行政办公用地",
    "A2": "文化设施用地",
    "A3": "教育科研用地",
    "A4": "体育用地",
    "A5": "医疗卫生用地",
    "A6": "社会福利用地",
    "A7": "文物古迹用地",
    "A8": "外事用地",
    "A9": "宗教用地",
    "B": "商业服务业设施用地",
    "B1": "商业用地",
    "B2": "商务用地",
    "B3": "娱乐康体用地",
    "B4": "公用设施营业网点用地",
    "B9": "其他服务设施用地",
    "M": "工业用地",
    "M1": "一类工业用地",
    "M2": "二类工业用地",
    "M3": "三类工业用地",
    "W": "物流仓储用地",
    "W1": "一类物流仓储用地",
    "W2": "二类物流仓储用地",
    "W3": "三类物流仓储用地",
    "S": "道路与交通设施用地",
    "S1": "城市道路用地",
    "S2": "城市轨道交通用地",
    "S3": "交通枢纽用地",
    "S4": "交通场站用地",
    "S9": "其他交通设施用地",
    "U": "公用设施用地",
    "U1": "供应设施用地",
    "U2": "环境设施用地",
    "U3": "安全设施用地",
    "U9": "其他公用设施用地",
    "G": "绿地与广场用地",
    "G1": "公园绿地",
    "G2": "防护绿地",
    "G3": "广场用地",
    "H": "建设用地",
    "H1": "城乡居民点建设用地",
    "H2": "区域交通设施用地",
    "H3": "区域公用设施用地",
    "H4": "特殊用地",
    "H5": "采矿用地",
    "H9": "其他建设用地",
    "E": "非建设用地",
    "E1": "水域",
    "E2": "农林用地",
    "E9": "其他非建设用地",
}

_LOCAL = {"M0": "新型产业用地"}

#: Every code of the vocabulary with its name (2023 classification first, then
#: GB 50137-2011, then the local M0).
LAND_USE_NAMES: Mapping[str, str] = MappingProxyType({**_2023, **_GB50137, **_LOCAL})

#: Other ways offices write a class: a name → code.
_SYNONYMS = {
    "新型工业用地": "M0",
    "新型产业": "M0",
    "工业": "1001",
    "工业用地(M)": "1001",
    "普通工业用地": "1001",
    "物流仓储": "1101",
    "仓储物流用地": "1101",
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
