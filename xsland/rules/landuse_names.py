"""Names of land-use codes (用地分类), for maps, reports and workbooks.

Two classifications are known, declared once here:

- the national 2023 classification, 《国土空间调查、规划、用途管制用地用海分类指南》
  (自然资发〔2023〕234号): numeric codes, two digits for the first level (``10`` 工矿用地),
  four for the second (``1001`` 工业用地), six for the third (``100102`` 二类工业用地).
  Every land class (用地) is listed to the second level; the third level is listed
  where it exists (industry, storage, housing, public services, commerce, transport).
  The sea classes (用海, 18–22 and 24) are listed at the first level only;
- GB 50137-2011 《城市用地分类与规划建设用地标准》: letter codes (``M`` 工业用地, ``M1``
  一类工业用地, ``W1`` 一类物流仓储用地 …) to the second level, plus ``M0`` 新型产业用地,
  the local class of new-type industry (not in GB 50137 itself).

:func:`land_use_name` gives the name of a code as the data holds it: codes are matched
after trimming, upper-casing and, for numeric codes that lost their leading zero (an
Excel or DBF column read as a number, ``901`` for ``0901``), padding to an even length.
"""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Any

__all__ = ["LAND_USE_NAMES", "land_use_label", "land_use_name", "normalise_land_use_code"]

_NATIONAL_2023 = {
    "01": "耕地", "0101": "水田", "0102": "水浇地", "0103": "旱地",
    "02": "园地", "0201": "果园", "0202": "茶园", "0203": "橡胶园地", "0204": "油料园地",
    "0205": "其他园地",
    "03": "林地", "0301": "乔木林地", "0302": "竹林地", "0303": "灌木林地", "0304": "其他林地",
    "04": "草地", "0401": "天然牧草地", "0402": "人工牧草地", "0403": "其他草地",
    "05": "湿地", "0501": "森林沼泽", "0502": "灌丛沼泽", "0503": "沼泽草地",
    "0504": "其他沼泽地", "0505": "沿海滩涂", "0506": "内陆滩涂", "0507": "红树林地",
    "06": "农业设施建设用地", "0601": "农村道路", "060101": "村道用地", "060102": "田间道",
    "0602": "设施农用地", "060201": "种植设施建设用地", "060202": "畜禽养殖设施建设用地",
    "060203": "水产养殖设施建设用地",
    "07": "居住用地", "0701": "城镇住宅用地", "070101": "一类城镇住宅用地",
    "070102": "二类城镇住宅用地", "070103": "三类城镇住宅用地",
    "0702": "城镇社区服务设施用地", "0703": "农村宅基地", "070301": "一类农村宅基地",
    "070302": "二类农村宅基地", "0704": "农村社区服务设施用地",
    "08": "公共管理与公共服务用地", "0801": "机关团体用地", "0802": "科研用地",
    "0803": "文化用地", "080301": "图书与展览用地", "080302": "文化活动用地",
    "0804": "教育用地", "080401": "高等教育用地", "080402": "中等职业教育用地",
    "080403": "中小学用地", "080404": "幼儿园用地", "080405": "其他教育用地",
    "0805": "体育用地", "080501": "体育场馆用地", "080502": "体育训练用地",
    "0806": "医疗卫生用地", "080601": "医院用地", "080602": "基层医疗卫生设施用地",
    "080603": "公共卫生用地",
    "0807": "社会福利用地", "080701": "老年人社会福利用地", "080702": "儿童社会福利用地",
    "080703": "残疾人社会福利用地", "080704": "其他社会福利用地",
    "09": "商业服务业用地", "0901": "商业用地", "090101": "零售商业用地",
    "090102": "批发市场用地", "090103": "餐饮用地", "090104": "旅馆用地",
    "090105": "公用设施营业网点用地", "0902": "商务金融用地", "0903": "娱乐康体用地",
    "090301": "娱乐用地", "090302": "康体用地", "0904": "其他商业服务业用地",
    "10": "工矿用地", "1001": "工业用地", "100101": "一类工业用地", "100102": "二类工业用地",
    "100103": "三类工业用地", "1002": "采矿用地", "1003": "盐田",
    "11": "仓储用地", "1101": "物流仓储用地", "110101": "一类物流仓储用地",
    "110102": "二类物流仓储用地", "110103": "三类物流仓储用地", "1102": "储备库用地",
    "12": "交通运输用地", "1201": "铁路用地", "1202": "公路用地", "1203": "机场用地",
    "1204": "港口码头用地", "1205": "管道运输用地", "1206": "城市轨道交通用地",
    "1207": "城镇道路用地", "1208": "交通场站用地", "120801": "对外交通场站用地",
    "120802": "公共交通场站用地", "120803": "社会停车场用地", "1209": "其他交通设施用地",
    "13": "公用设施用地", "1301": "供水用地", "1302": "排水用地", "1303": "供电用地",
    "1304": "供燃气用地", "1305": "供热用地", "1306": "通信用地", "1307": "邮政用地",
    "1308": "广播电视设施用地", "1309": "环卫用地", "1310": "消防用地", "1311": "水工设施用地",
    "1312": "其他公用设施用地",
    "14": "绿地与开敞空间用地", "1401": "公园绿地", "1402": "防护绿地", "1403": "广场用地",
    "15": "特殊用地", "1501": "军事设施用地", "1502": "使领馆用地", "1503": "宗教用地",
    "1504": "文物古迹用地", "1505": "监教场所用地", "1506": "殡葬用地", "1507": "其他特殊用地",
    "16": "留白用地",
    "17": "陆地水域", "1701": "河流水面", "1702": "湖泊水面", "1703": "水库水面",
    "1704": "坑塘水面", "1705": "沟渠", "1706": "冰川及常年积雪",
    "18": "渔业用海", "19": "工矿通信用海", "20": "交通运输用海", "21": "游憩用海",
    "22": "特殊用海",
    "23": "其他土地", "2301": "空闲地", "2302": "田坎", "2303": "田间道", "2304": "盐碱地",
    "2305": "沙地", "2306": "裸土地", "2307": "裸岩石砾地",
    "24": "其他海域",
}  # fmt: skip

_GB50137 = {
    "R": "居住用地", "R1": "一类居住用地", "R2": "二类居住用地", "R3": "三类居住用地",
    "A": "公共管理与公共服务设施用地", "A1": "行政办公用地", "A2": "文化设施用地",
    "A3": "教育科研用地", "A4": "体育用地", "A5": "医疗卫生用地", "A6": "社会福利用地",
    "A7": "文物古迹用地", "A8": "外事用地", "A9": "宗教用地",
    "B": "商业服务业设施用地", "B1": "商业用地", "B2": "商务用地", "B3": "娱乐康体用地",
    "B4": "公用设施营业网点用地", "B9": "其他服务设施用地",
    "M": "工业用地", "M1": "一类工业用地", "M2": "二类工业用地", "M3": "三类工业用地",
    "M0": "新型产业用地",
    "W": "物流仓储用地", "W1": "一类物流仓储用地", "W2": "二类物流仓储用地",
    "W3": "三类物流仓储用地",
    "S": "道路与交通设施用地", "S1": "城市道路用地", "S2": "城市轨道交通用地",
    "S3": "交通枢纽用地", "S4": "交通场站用地", "S9": "其他交通设施用地",
    "U": "公用设施用地", "U1": "供应设施用地", "U2": "环境设施用地", "U3": "安全设施用地",
    "U9": "其他公用设施用地",
    "G": "绿地与广场用地", "G1": "公园绿地", "G2": "防护绿地", "G3": "广场用地",
    "H": "建设用地", "E": "非建设用地", "E1": "水域", "E2": "农林用地", "E9": "其他非建设用地",
}  # fmt: skip

#: Land-use code -> Chinese name: the 2023 national classification and GB 50137-2011.
LAND_USE_NAMES: MappingProxyType[str, str] = MappingProxyType({**_NATIONAL_2023, **_GB50137})


def normalise_land_use_code(code: Any) -> str | None:
    """A land-use code as :data:`LAND_USE_NAMES` spells it, or ``None`` for no code.

    Trims, upper-cases, drops a ``.0`` left by a number column and restores the
    leading zero a numeric code lost (``901`` → ``0901``, ``60101`` → ``060101``).

    Examples
    --------
    >>> normalise_land_use_code(" m1 ")
    'M1'
    >>> normalise_land_use_code(100102.0)
    '100102'
    >>> normalise_land_use_code(901)
    '0901'
    """
    if code is None or (isinstance(code, float) and not math.isfinite(code)):
        return None
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = re.sub(r"\s+", "", str(code)).upper()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not text or text in {"NAN", "NONE", "<NA>"}:
        return None
    if text.isdigit() and len(text) % 2 == 1 and len(text) <= 5:
        text = "0" + text
    return text


def land_use_name(code: Any) -> str | None:
    """The Chinese name of a land-use code, or ``None`` when the code is unknown.

    Examples
    --------
    >>> land_use_name("100102")
    '二类工业用地'
    >>> land_use_name("M0")
    '新型产业用地'
    >>> land_use_name("9999") is None
    True
    """
    key = normalise_land_use_code(code)
    return LAND_USE_NAMES.get(key) if key is not None else None


def land_use_label(code: Any) -> str | None:
    """Name and code for display: ``二类工业用地（100102）``; the code alone when unknown.

    Examples
    --------
    >>> land_use_label(1303)
    '供电用地（1303）'
    >>> land_use_label("X7")
    'X7'
    """
    key = normalise_land_use_code(code)
    if key is None:
        return None
    name = LAND_USE_NAMES.get(key)
    return f"{name}（{key}）" if name else str(code).strip()
