"""Data-quality findings in Chinese (issue 14 item 7): every check code that the read,
measure and judge layers can emit has a Chinese title and Chinese detail patterns, and the
demo report's quality section shows no English detail."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import xsland
from xsland.read.validate import QUALITY_CHECKS
from xsland.result import AuditResult
from xsland.write.htmlreport import (
    QUALITY_DETAIL_ZH,
    build_report,
    quality_detail_zh,
    quality_title_zh,
)

LAYERS = ("read", "measure", "judge")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Three English words in a row: English prose (a column name such as related_industries,
#: a file name or a CRS code alone is not).
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}\b")


def _first_str(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def emitted_codes() -> dict[str, str]:
    """Every literal check code in the read, measure and judge layers: code -> where.

    Found as ``check="…"`` keywords (``quality_record``), the first argument of a
    collector's ``problem``/``record`` and of ``CoordinateFinding``, and the first item of
    the tuples a ``for check, … in (…)`` loop walks.
    """
    root = Path(xsland.__file__).parent
    found: dict[str, str] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            where = path.relative_to(root.parent).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "check" and isinstance(kw.value, ast.Constant):
                            found.setdefault(str(kw.value.value), where)
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    if name in ("problem", "record", "CoordinateFinding") and _first_str(node):
                        found.setdefault(_first_str(node), where)
                elif (
                    isinstance(node, ast.For)
                    and isinstance(node.target, ast.Tuple)
                    and isinstance(node.target.elts[0], ast.Name)
                    and node.target.elts[0].id == "check"
                    and isinstance(node.iter, ast.Tuple)
                ):
                    for item in node.iter.elts:
                        if isinstance(item, ast.Tuple) and isinstance(item.elts[0], ast.Constant):
                            found.setdefault(str(item.elts[0].value), where)
    return found


def test_the_code_discovery_sees_every_form():
    codes = emitted_codes()
    # a keyword, a collector's problem / record, a CRS finding, a loop over tuples
    for code in ("sliver", "nonfinite_coordinates", "zero_field", "impossible_coordinates"):
        assert code in codes
    assert "imprecise_date" in codes and "no_related_industries" in codes
    assert len(codes) >= 40


@pytest.mark.parametrize("code", sorted(set(emitted_codes()) | set(QUALITY_CHECKS)))
def test_every_emittable_code_has_a_chinese_title_and_detail(code):
    assert code in QUALITY_CHECKS, f"{code}: add it to read.validate.QUALITY_CHECKS"
    assert CJK.search(quality_title_zh(code)), code
    patterns = QUALITY_DETAIL_ZH.get(code)
    assert patterns, f"{code}: add its detail patterns to QUALITY_DETAIL_ZH"
    for pattern, zh in patterns:
        re.compile(pattern)
        assert CJK.search(zh) or zh == "{t}", (code, zh)


#: Details as the layers write them (formats copied from the code that writes them).
EXAMPLES = [
    (
        "nonfinite_coordinates",
        "2 features with NaN or infinite coordinates",
        "2 个要素的坐标为 NaN 或无穷大",
    ),
    (
        "impossible_coordinates",
        "3 features: coordinates such as (120.3, 31.6) are degrees (longitude/latitude), but the "
        "CRS 'CGCS2000 / 3-degree Gauss-Kruger CM 120E' is in metres; the likely CRS is EPSG:4490",
        "3 个要素的坐标（如 (120.3, 31.6)）与所声明的坐标系不符；可能的坐标系为 EPSG:4490",
    ),
    (
        "impossible_coordinates",
        "1 feature: coordinates such as (31.6, 120.3) have a latitude beyond ±90°: longitude "
        "and latitude are swapped (X holds the latitude)",
        "1 个要素的坐标（如 (31.6, 120.3)）与所声明的坐标系不符",
    ),
    ("empty_layer", "the parcels layer has no features", "地块图层没有要素"),
    (
        "text_nul_removed",
        "NUL characters (U+0000) removed: GeoPackage and Excel would end the text there",
        "已删除空字符 (U+0000)：GeoPackage 和 Excel 会在此处截断文本",
    ),
    (
        "share_out_of_range",
        "buildings cover 1,200 m² of 1,000 m² of land (120.0 %: overlapping footprints); "
        "coverage unknown, not capped",
        "建筑基底 1,200 m² 大于用地 1,000 m²（120.0 %：建筑轮廓重叠）；建筑系数判为数据不足，不截为 100 %",
    ),
    (
        "crs_override",
        "CRS of the file (EPSG:4326) replaced by the override EPSG:4549; coordinates unchanged",
        "文件的坐标系（EPSG:4326）已按指定改为 EPSG:4549；坐标数值未变",
    ),
    (
        "parks_overlap",
        "overlaps park XS02 by 1,250.0 m²; parcels in the shared land: none",
        "与园区 XS02 重叠 1,250.0 m²；重叠范围内的地块：无",
    ),
    (
        "zero_field",
        "all 12 values of 'floor_area' are 0: read as not recorded",
        "'floor_area' 的全部 12 个值均为 0：视为未填报",
    ),
    (
        "park_attributes_disagree",
        "2 parks whose features give different town values",
        "2 个园区的各要素 town 取值不一致",
    ),
    (
        "floor_area_contradicted",
        "floor_area 1,200 m² on record, but its buildings cover 3,000 m² of it: 9,000 m² from "
        "the buildings used",
        "登记建筑面积 1,200 m²，但其上建筑占地已达 3,000 m²：采用按建筑计算的 9,000 m²",
    ),
    (
        "duplicate_building",
        "same footprint as B0012 (intersection over union 0.987): counted once",
        "与 B0012 轮廓相同（交并比 0.987）：只计一次",
    ),
    (
        "number_format",
        "4 values with thousands separators (1,234 = 1234)",
        "4 个值带千位分隔符（1,234 = 1234）",
    ),
    (
        "unit_converted",
        "'营收(亿元)': 亿元 → 万元 (× 10000)",
        "'营收(亿元)'：亿元 换算为 万元（× 10000）",
    ),
    (
        "implausible_value",
        "9 above 5 (policy warn_max_far); used, check it",
        "9 超过 5（规则 warn_max_far）；已采用，请核实",
    ),
    (
        "imprecise_date",
        "2019-05: month only; read as its first day",
        "2019-05：只有月份；按该月第一天读取",
    ),
    (
        "bad_value",
        "2 values not numbers — commas: thousands separator or decimal comma?",
        "2 个值不是数字（逗号：千位分隔符还是小数点？）",
    ),
    ("negative_value", "-3: cannot be negative; not used", "-3：不能为负，未采用"),
    (
        "name_normalised",
        "'汽车零部件 ' matched the leading industry '汽车零部件' after normalisation (3 enterprises)",
        "'汽车零部件 ' 经规范后与主导产业 '汽车零部件' 匹配（3 家企业）",
    ),
    ("normalised_id", "'P 001' → 'P001'", "编号 'P 001' 规范为 'P001'"),
    # the reasons read_dates gives, as the date checks of the read layer write them
    (
        "sentinel_date",
        "9999-12-31: 9999-12-31 means no date",
        "日期 9999-12-31：9999-12-31 表示“无日期”",
    ),
    (
        "ambiguous_date",
        "25/9/1: two-digit year: which part is the year is a guess",
        "日期 25/9/1：两位数年份：无法确定哪部分是年份",
    ),
    (
        "imprecise_date",
        "2024/03: month only: read as day 1",
        "日期 2024/03：只有月份：按该月 1 日读取",
    ),
    (
        "implausible_date",
        "3000-01-01: 3000-01-01 outside 1950-01-01 – 2100-12-31",
        "日期 3000-01-01：3000-01-01 超出合理范围 1950-01-01 – 2100-12-31",
    ),
    (
        "missing_column",
        "required column 'floors' or 'height' is missing (columns present: building_id)",
        "缺少必填字段 'floors' or 'height'（现有字段：building_id）",
    ),
    (
        "park_without_parcels",
        "地块图层中没有落在该园区的地块: 容积率下限和建筑系数检查为数据不足",
        "地块图层中没有落在该园区的地块: 容积率下限和建筑系数检查为数据不足",
    ),
]


@pytest.mark.parametrize(("code", "detail", "zh"), EXAMPLES)
def test_new_details_in_chinese(code, detail, zh):
    assert quality_detail_zh(code, detail) == zh


def _without_glosses(html: str) -> str:
    """The page's text as a reader of the Chinese-only print sees it."""
    html = re.sub(r'<span class="en">.*?</span>', "", html, flags=re.DOTALL)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_demo_reports_quality_section_has_no_english_detail(demo_audit):
    result = AuditResult.read(demo_audit[0])
    q = result.quality
    assert len(q) > 10
    for check, detail in zip(q["check"], q["detail"], strict=True):
        zh = quality_detail_zh(check, detail)
        assert CJK.search(zh), (check, detail)
        assert not ENGLISH.search(zh), (check, zh)
    page = build_report(result, image_format="png")
    section = re.search(r'<section id="quality".*?</section>', page, flags=re.DOTALL).group(0)
    text = _without_glosses(section)
    assert "碎片地块" in text  # the demo's slivers, by their Chinese title
    assert ENGLISH.findall(text) == []
