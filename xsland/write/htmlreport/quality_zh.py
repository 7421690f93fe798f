"""Data-quality findings in Chinese: a title per check code and the Chinese of each
English detail the read, measure and judge layers write (:data:`QUALITY_DETAIL_ZH`)."""

from __future__ import annotations

import re
from typing import Any

from xsland.read.validate import QUALITY_CHECKS
from xsland.write.htmlreport.common import _missing

__all__ = ["QUALITY_DETAIL_ZH", "quality_detail_zh", "quality_title_zh"]

_NUM = r"[-+]?[\d,]*\.?\d+"

_GEOS_ZH = {  # shapely.is_valid_reason, without its coordinates
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Hole lies outside shell": "内环在外环之外",
    "Nested holes": "内环嵌套",
    "Nested shells": "外环嵌套",
    "Interior is disconnected": "内部不连通",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
    "Duplicate Rings": "重复的环",
}


def _geos_zh(reason: str) -> str:
    name, _, rest = reason.partition("[")
    where = ""
    if rest:
        xy = re.findall(_NUM, rest)
        where = "（" + ", ".join(f"{float(v.replace(',', '')):.2f}" for v in xy[:2]) + "）"
    return _GEOS_ZH.get(name.strip(), name.strip()) + where


#: A detail already written in Chinese (the judge layer's): shown as it is.
_CHINESE = r"(?P<t>.*[\u4e00-\u9fff].*)"

#: Why a date was not read as it is (:func:`xsland.read.values.read_dates`), in Chinese.
_DATE_REASONS = (
    (r"month only: read as day 1", "只有月份：按该月 1 日读取"),
    (r"a year alone is not a date", "只有年份，不是日期"),
    (r"day/month order unknown \(write year-month-day\)", "日、月顺序不明（请写为 年-月-日）"),
    (r"two-digit year: which part is the year is a guess", "两位数年份：无法确定哪部分是年份"),
    (r"(?P<d>\S+) means no date", "{d} 表示“无日期”"),
    (r"(?P<d>\S+) outside (?P<lo>\S+) – (?P<hi>\S+)", "{d} 超出合理范围 {lo} – {hi}"),
    (r"no such day (?P<d>\S+)", "不存在的日期 {d}"),
    (r"not a date", "不是日期"),
)
#: A date's value and why it was not read as it is: "2024/03: month only: read as day 1".
_DATE = (r"(?P<v>[^:]*): (?P<date_reason>.+)", "日期 {v}：{date_reason}")


def _date_reason_zh(reason: str) -> str:
    for pattern, zh in _DATE_REASONS:
        m = re.fullmatch(pattern, reason)
        if m:
            return zh.format(**m.groupdict())
    return reason


#: Named groups of a detail pattern that are translated before they are filled in.
_LAYER_ZH = {
    "parks": "园区",
    "parcels": "地块",
    "buildings": "建筑",
    "enterprises": "企业",
    "plan": "规划用地",
    "indicators": "园区指标",
    "history": "历史",
}

_REASON_ZH = {
    "yes/no": "是/否",
    "commas: thousands separator or decimal comma?": "逗号：千位分隔符还是小数点？",
    "not a number": "不是数字",
    "a percentage in a column that is not a share": "非比例字段中的百分数",
}


def _counted(noun_zh: str, tail: str) -> tuple[str, str]:
    """``(pattern, template)``: "3 rows TAIL" → "3 NOUN…"."""
    return rf"(?P<n>\d+) (?:rows?|values?|features?) {tail}", noun_zh


#: Data-quality details in Chinese, by issue code: (pattern of the English detail, the
#: Chinese with the pattern's named groups). A detail that matches no pattern of its code
#: is shown as it is.
QUALITY_DETAIL_ZH: dict[str, tuple[tuple[str, str], ...]] = {
    "sliver": (
        (rf"area (?P<a>{_NUM}) m², mean width (?P<w>{_NUM}) m", "面积 {a} m²，平均宽度 {w} m"),
    ),
    "multipart": ((r"(?P<n>\d+) parts", "由 {n} 个部分组成"),),
    "overlap": ((rf"overlaps (?P<o>.+) by (?P<a>{_NUM}) m²", "与 {o} 重叠 {a} m²"),),
    "declared_area_mismatch": (
        (
            rf"declared (?P<d>{_NUM}) m², measured (?P<m>{_NUM}) m² \((?P<r>{_NUM}%)\)",
            "申报 {d} m²，实测 {m} m²（相差 {r}）",
        ),
    ),
    "straddles_park": (
        (
            rf"(?P<b>{_NUM}%) in park (?P<p>.+), (?P<o>{_NUM}%) outside every park",
            "{b} 在园区 {p} 内，{o} 在所有园区外",
        ),
    ),
    "building_outside": ((r"touches no parcel", "不与任何地块相交"),),
    "missing_floors": (
        (
            r"no floors, height or floor_area: adds no floor area to its parcels",
            "无层数、高度和建筑面积：不计入所在地块的建筑面积",
        ),
    ),
    "renamed_duplicate_id": ((r"(?P<a>.+) → (?P<b>.+)", "重复编号 {a} 改为 {b}"),),
    "repaired_geometry": (
        (
            rf"(?P<why>.+?); repaired with make_valid, area (?P<a>{_NUM}) → (?P<b>{_NUM})",
            "{why}；已用 make_valid 修复，面积 {a} → {b} m²",
        ),
    ),
    "collection_to_polygon": (
        (r"GeometryCollection: polygon parts kept", "几何集合：保留其中的面"),
    ),
    "dropped_empty_geometry": ((r"null or empty geometry; row dropped", "几何为空：已删除该行"),),
    "null_geometry": (
        (r"(?P<n>\d+) rows? without geometry", "{n} 行无几何"),
        (r"geometry has no area left after repair", "修复后几何面积为零"),
    ),
    "bad_value": (
        (r"(?P<n>\d+) values? not numbers", "{n} 个值不是数字"),
        (r"(?P<n>\d+) values? not dates", "{n} 个值不是日期"),
        (r"(?P<n>\d+) values? not yes/no", "{n} 个值不是“是/否”"),
        (r"(?P<n>\d+) values? not numbers — (?P<reason>.+)", "{n} 个值不是数字（{reason}）"),
        (
            r"(?P<n>\d+) values? not finite \(inf, nan or too large\)",
            "{n} 个值不是有限数（inf、nan 或过大）",
        ),
    ),
    "negative_value": (
        (r"(?P<n>\d+) values? negative", "{n} 个值为负数"),
        (r"(?P<v>\S+): cannot be negative; not used", "{v}：不能为负，未采用"),
    ),
    "unknown_code": ((r"(?P<n>\d+) values? not known codes", "{n} 个值不是已知代码"),),
    "empty_id": ((r"(?P<n>\d+) rows? with an empty (?P<c>\S+)", "{n} 行的 {c} 为空"),),
    "duplicate_id": (
        (r"(?P<n>\d+) (?P<c>\S+) values? used more than once", "{n} 个 {c} 值重复出现"),
        (r"park_id and year given more than once", "同一园区同一年份出现多次"),
    ),
    "missing_column": (
        (
            r"required column (?P<c>.+?) is missing \(columns present: (?P<p>.*)\)",
            "缺少必填字段 {c}（现有字段：{p}）",
        ),
        (r"the layer has no coordinate reference system", "图层没有坐标参考系"),
    ),
    "not_polygon": (
        (
            r"(?P<n>\d+) features? of type (?P<t>.+), not polygons",
            "{n} 个要素为 {t} 类型，不是面",
        ),
    ),
    # geometry and CRS, Shapefile names, units, dates, names (the read layer)
    "nonfinite_coordinates": (
        (
            r"(?P<n>\d+) features? with NaN or infinite coordinates",
            "{n} 个要素的坐标为 NaN 或无穷大",
        ),
    ),
    "impossible_coordinates": (
        (
            r"(?P<n>\d+) features?: (?:coordinates|eastings) such as (?P<ex>.+?) "
            r"(?:are|have|lie|carry|cannot) .*?; the likely CRS is (?P<crs>\S+)",
            "{n} 个要素的坐标（如 {ex}）与所声明的坐标系不符；可能的坐标系为 {crs}",
        ),
        (
            r"(?P<n>\d+) features?: (?:coordinates|eastings) such as (?P<ex>.+?) "
            r"(?:are|have|lie|carry|cannot) .*",
            "{n} 个要素的坐标（如 {ex}）与所声明的坐标系不符",
        ),
    ),
    "empty_layer": (
        (
            r"the (?P<layer>\w+) layer has no features with a usable geometry",
            "{layer}图层没有几何可用的要素",
        ),
        (r"the (?P<layer>\w+) layer has no features", "{layer}图层没有要素"),
    ),
    "crs_override": (
        (
            r"CRS of the file \((?P<a>.+)\) replaced by the override (?P<b>.+); "
            r"coordinates unchanged",
            "文件的坐标系（{a}）已按指定改为 {b}；坐标数值未变",
        ),
    ),
    "truncated_column": (
        (
            r"(?P<c>'.+?') looks like (?P<t>.+?) cut to 10 bytes by the Shapefile format and "
            r"was not read; map it with (?P<how>.+) in the project file",
            "{c} 疑为 {t} 被 Shapefile 格式截断为 10 字节，未读入；可在项目文件中以 {how} 映射",
        ),
    ),
    "encoding_mojibake": (
        (
            r"text decoded as (?P<d>\S+) is not plausible Chinese \(e\.g\. (?P<e>.+?)\); "
            r"read as (?P<a>\S+) \(e\.g\. (?P<g>.+?)\)\. Fix the \.cpg file to say (?P<f>\S+)",
            "按 {d} 解码的文字不是通顺的中文（如 {e}）；已改按 {a} 读取（如 {g}）。"
            "请将 .cpg 文件改为 {f}",
        ),
    ),
    "parks_overlap": (
        (
            rf"overlaps park (?P<p>\S+) by (?P<a>{_NUM}) m²; parcels in the shared land: "
            r"(?P<ids>.+)",
            "与园区 {p} 重叠 {a} m²；重叠范围内的地块：{ids}",
        ),
        (rf"overlaps park (?P<p>\S+) by (?P<a>{_NUM}) m²", "与园区 {p} 重叠 {a} m²"),
    ),
    "park_attributes_disagree": (
        (
            r"(?P<n>\d+) parks? whose features give different (?P<c>\S+) values",
            "{n} 个园区的各要素 {c} 取值不一致",
        ),
    ),
    "zero_field": (
        (
            r"all (?P<n>\d+) values of (?P<c>'.+?') are 0: read as not recorded",
            "{c} 的全部 {n} 个值均为 0：视为未填报",
        ),
    ),
    "shapefile_alias": (
        (
            r"(?P<a>'.+?') read as (?P<b>'.+?') \(the name cut to 10 bytes by the Shapefile "
            r"format\)",
            "{a} 按 {b} 读取（Shapefile 格式将字段名截为 10 字节）",
        ),
        (
            r"field name cut inside a character by the Shapefile format; read as (?P<b>.+)",
            "字段名被 Shapefile 格式截断在字符中间；按 {b} 读取",
        ),
    ),
    "normalised_id": (
        (
            r"(?P<c>\S+) stored as numbers: read as text without '\.0' \(123\.0 → '123'\)",
            "{c} 以数字存储：按去掉“.0”的文本读取（123.0 → '123'）",
        ),
        (r"(?P<a>.+) → (?P<b>.+)", "编号 {a} 规范为 {b}"),
    ),
    "number_format": (
        (
            r"(?P<n>\d+) values? with thousands separators \(1,234 = 1234\)",
            "{n} 个值带千位分隔符（1,234 = 1234）",
        ),
        (
            r"(?P<n>\d+) values? with decimal commas \(1,5 = 1\.5\)",
            "{n} 个值使用小数逗号（1,5 = 1.5）",
        ),
        (
            r"(?P<n>\d+) percentages? read as fractions \(45% = 0\.45\)",
            "{n} 个百分数按小数读取（45% = 0.45）",
        ),
        (
            r"(?P<n>\d+) values? with full-width characters or signs read as half-width",
            "{n} 个值含全角字符或符号，已按半角读取",
        ),
    ),
    "unit_converted": (
        (r"(?P<h>'.+?'): (?P<w>.+?) → (?P<u>.+?) \(× (?P<f>\S+)\)", "{h}：{w} 换算为 {u}（× {f}）"),
    ),
    "unit_mismatch": (
        (
            r"the project file's unit (?P<s>'.+?') for (?P<c>\S+) is not a unit of (?P<q>.+)",
            "项目文件为 {c} 指定的单位 {s} 不是{q}的单位",
        ),
        (
            r"the header (?P<h>'.+?') says (?P<w>.+?) but the project file says (?P<s>.+)",
            "表头 {h} 写的是 {w}，项目文件写的是 {s}",
        ),
        (
            r"the header (?P<h>'.+?') states (?P<w>'.+?'), which is not a unit of (?P<q>.+)",
            "表头 {h} 的单位 {w} 不是{q}的单位",
        ),
    ),
    "implausible_value": (
        (
            r"(?P<n>\d+) values? above (?P<h>\S+) \(policy (?P<f>\S+)\), impossible",
            "{n} 个值超过 {h}（规则 {f}），不可能",
        ),
        (
            r"(?P<v>\S+) above (?P<w>\S+) \(policy (?P<f>\S+)\); used, check it",
            "{v} 超过 {w}（规则 {f}）；已采用，请核实",
        ),
    ),
    "sentinel_date": (
        (r"(?P<v>.*): means 'no date'; read as empty", "{v}：表示“无日期”，按空值读取"),
        _DATE,
    ),
    "ambiguous_date": (
        (
            r"(?P<v>.*): not read \(write year-month-day, 4-digit year\)",
            "{v}：日期有歧义，未读取（请写为 年-月-日，4 位年份）",
        ),
        (
            r"(?P<v>.*): month only, and the policy date (?P<d>\S+) falls in it: before or "
            r"after is unknown; not read",
            "{v}：只有月份，且政策日期 {d} 在该月内，无法判断先后；未读取",
        ),
        _DATE,
    ),
    "imprecise_date": (
        (r"(?P<v>.*): month only; read as its first day", "{v}：只有月份；按该月第一天读取"),
        _DATE,
    ),
    "implausible_date": (
        (
            r"(?P<v>.*): outside the policy's date_min–date_max",
            "{v}：超出规则 date_min–date_max 的范围",
        ),
        _DATE,
    ),
    "name_normalised": (
        (
            r"(?P<w>'.+?') matched the leading industry (?P<l>'.+?') after normalisation "
            r"\((?P<n>\d+) enterprises?\)",
            "{w} 经规范后与主导产业 {l} 匹配（{n} 家企业）",
        ),
        (r"(?P<w>'.+?') counted as (?P<s>'.+?') \((?P<n>\d+) rows?\)", "{w} 按 {s} 计（{n} 行）"),
    ),
    # the measure layer
    "floor_area_contradicted": (
        (
            rf"floor_area (?P<o>{_NUM}) m² on record, but its buildings cover (?P<f>{_NUM}) m² "
            rf"of it: (?P<u>{_NUM}) m² from the buildings used",
            "登记建筑面积 {o} m²，但其上建筑占地已达 {f} m²：采用按建筑计算的 {u} m²",
        ),
        (
            rf"floor_area (?P<o>{_NUM}) m² on record, but its buildings cover (?P<f>{_NUM}) m² "
            r"of it: floor area unknown",
            "登记建筑面积 {o} m²，但其上建筑占地已达 {f} m²：建筑面积未知",
        ),
    ),
    "duplicate_building": (
        (
            rf"same footprint as (?P<b>\S+) \(intersection over union (?P<i>{_NUM})\): "
            r"counted once",
            "与 {b} 轮廓相同（交并比 {i}）：只计一次",
        ),
    ),
    "unknown_land_use": (
        (
            r"(?P<v>.+?) × (?P<n>\d+): no land-use code or name of GB 50137-2011, the 2023 "
            r"national classification or M0 \(parcels: (?P<ids>.+)\); categorised as other",
            "{v} × {n}：不是 GB 50137-2011、2023 年国土空间调查规划用途管制用地用海分类或 M0 "
            "的代码或名称（地块：{ids}）；按其他用地处理",
        ),
    ),
    # the judge layer writes its details in Chinese
    "park_without_parcels": ((_CHINESE, "{t}"),),
    "share_total_zero": ((_CHINESE, "{t}"),),
    "column_renamed": (
        (
            r"column (?P<a>'.+?') renamed (?P<b>'.+?'): the audit writes a column of that name "
            r"\(names compared ignoring case, as in a GeoPackage\)",
            "字段 {a} 已改名为 {b}：审计结果中有同名字段（GeoPackage 字段名不区分大小写）",
        ),
        (
            r"column (?P<a>'.+?') renamed (?P<b>'.+?'): its name differs from the column "
            r"(?P<c>'.+?') only in case, which a GeoPackage cannot hold",
            "字段 {a} 已改名为 {b}：与字段 {c} 仅大小写不同，GeoPackage 无法同时保存",
        ),
    ),
    "text_nul_removed": (
        (
            r"NUL characters \(U\+0000\) removed: GeoPackage and Excel would end the text there",
            "已删除空字符 (U+0000)：GeoPackage 和 Excel 会在此处截断文本",
        ),
    ),
    "text_surrogate_replaced": (
        (
            r"unpaired surrogates \(U\+D800-U\+DFFF\) replaced by U\+FFFD: no UTF-8 output "
            r"\(GeoPackage, Excel, PostgreSQL\) can hold them",
            "不成对的代理字符 (U+D800-U+DFFF) 已替换为 U+FFFD：GeoPackage、Excel 和 PostgreSQL 均无法保存",
        ),
    ),
    "share_out_of_range": (
        (_CHINESE, "{t}"),
        (
            rf"buildings cover (?P<f>{_NUM}) m² of (?P<a>{_NUM}) m² of land \((?P<p>{_NUM}) %: "
            r"overlapping footprints\); coverage unknown, not capped",
            "建筑基底 {f} m² 大于用地 {a} m²（{p} %：建筑轮廓重叠）；建筑系数判为数据不足，不截为 100 %",
        ),
    ),
    "category_unknown": ((_CHINESE, "{t}"),),
    "supply_date_missing": ((_CHINESE, "{t}"),),
    "no_related_industries": ((_CHINESE, "{t}"),),
}


def quality_title_zh(check: Any, label: Any = None) -> str:
    """The Chinese title of a data-quality check: its row's label when that is Chinese,
    else :data:`xsland.read.validate.QUALITY_CHECKS`, else the code.

    Examples
    --------
    >>> quality_title_zh("zero_field")
    '字段全为零'
    """
    text = "" if _missing(label) else str(label)
    if re.search(r"[\u4e00-\u9fff]", text):
        return text
    return QUALITY_CHECKS.get(str(check), (text or str(check),))[0]


def quality_detail_zh(check: Any, detail: Any) -> str:
    """The Chinese of a data-quality detail (:data:`QUALITY_DETAIL_ZH`), else the detail.

    Examples
    --------
    >>> quality_detail_zh("sliver", "area 35.5 m², mean width 0.50 m")
    '面积 35.5 m²，平均宽度 0.50 m'
    >>> quality_detail_zh("new_check", "left as it is")
    'left as it is'
    """
    text = "" if _missing(detail) else str(detail)
    for pattern, zh in QUALITY_DETAIL_ZH.get(str(check), ()):
        m = re.fullmatch(pattern, text.strip(), flags=re.DOTALL)
        if m:
            groups = {k: "" if v is None else v for k, v in m.groupdict().items()}
            if "why" in groups:
                groups["why"] = _geos_zh(groups["why"])
            if "layer" in groups:
                groups["layer"] = _LAYER_ZH.get(groups["layer"], groups["layer"])
            if "date_reason" in groups:
                groups["date_reason"] = _date_reason_zh(groups["date_reason"])
            if "reason" in groups:
                groups["reason"] = "；".join(
                    _REASON_ZH.get(r, r) for r in groups["reason"].split("; ")
                )
            if groups.get("ids") == "none":
                groups["ids"] = "无"
            return zh.format(**groups)
    return text
