"""The audit report for leadership: one self-contained HTML file with charts, in Chinese.

:func:`build_report` turns an :class:`~xsland.result.AuditResult` into one HTML page;
:func:`write_report` writes it atomically. ``xsland report DIR`` rebuilds ``report.html``
from a finished audit read with :meth:`~xsland.result.AuditResult.read`.

**Contents**, one section per printed page (or more):

1. 概览 summary — headline figures, the count of pass / fail / unknown per rule (chart)
   and, per rule, the parks that fail or lack data;
2. 达标记分卡 scorecard — parks as rows, every park rule of SPEC §2 as columns, each cell
   the status as colour *and* symbol (✔ ✘ ? –, readable in black-and-white print) with the
   measured value; a last row for the district-wide rule (innovation platforms);
3. 2027 目标进度 targets — leading-industry shares, chain leaders and innovation
   platforms as bars against the target line;
4. 容积率分布 FAR — every industrial parcel's FAR per park against the minima
   (1.5 / 2.0 / 2.5 by default) and the low-efficiency threshold;
5. 低效用地 low-efficiency land — 亩 by town and by reason (when the parcels carry
   ``low_efficiency``; otherwise the section says it was not computed in this run);
6. 连片地块 contiguous blocks — the ten largest, each with a small static map (block
   outline over its parcels), area, route and reasons (when blocks are given);
7. 数据质量 data quality — counts by problem (chart) and the first rows of each;
8. 规则与输入 rules and inputs — every rule with its value, unit and source, the
   district-wide check and the run's inputs (files, feature counts, CRS, date).

**Self-contained.** Charts are drawn with matplotlib (no pyplot, no GUI backend) and
embedded as ``data:`` URIs (SVG by default, text drawn as glyph outlines, so the page
needs no font for them; or PNG). The page loads nothing: no script, style sheet, font or
image comes from the network. A small inline script only toggles the English glosses.

**Chinese text in charts** is drawn with a CJK font found by :func:`find_cjk_font`
(Debian's ``fonts-noto-cjk``: *Noto Sans CJK SC* first). Without one, a
:class:`NoCJKFontWarning` is issued and charts use Latin labels — park IDs, reason codes,
or short codes (T1, T2 …) explained in the caption — never boxes (豆腐块).

**Print.** ``@page`` A4 portrait (the scorecard on an A4 landscape page), every section
starting a new page, figures, cards and table rows never split, table heads repeated, and
colours printed as shown (``print-color-adjust: exact``).

**Language.** ``lang="zh-en"`` (default) shows Chinese with English glosses that a button
hides on screen; ``lang="zh"`` (``xsland report DIR --lang zh``) prints Chinese only.
Data-quality details are shown in Chinese (:func:`quality_detail_zh`, by issue code).

**Markup.** The page, the data-quality section and the rules-and-inputs section come from
Jinja2 templates with autoescaping (``xsland/write/templates/report_*.html.j2``); the
other sections are still built in Python with explicit escaping.

Every text that comes from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import io
import math
import os
import re
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import markupsafe
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import PercentFormatter

from xsland._atomic import atomic_file
from xsland._version import __version__
from xsland.errors import DataError
from xsland.judge.audit import CHECKS, INDUSTRIAL_CATEGORIES, STATUS_ZH
from xsland.judge.lowuse import KINDS, kind_breakdown
from xsland.judge.lowuse import summary as lowuse_summary
from xsland.read.validate import QUALITY_CHECKS
from xsland.read.values import as_bool
from xsland.result import AuditResult
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_KINDS, Policy

__all__ = [
    "CJK_FONT_PREFERENCES",
    "DEFAULT_TITLE",
    "LANGUAGES",
    "QUALITY_DETAIL_ZH",
    "REPORT_NAME",
    "NoCJKFontWarning",
    "build_report",
    "find_cjk_font",
    "existing_maps",
    "quality_detail_zh",
    "quality_title_zh",
    "write_report",
]


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    """The report's Jinja2 templates (``xsland/write/templates``), escaping by default."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xsland.write", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _render(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


#: Languages of the report: Chinese with English glosses, or Chinese only.
LANGUAGES = ("zh-en", "zh")

#: File name of the report in an output folder.
REPORT_NAME = "report.html"

#: Default title of the report.
DEFAULT_TITLE = "锡山区特色专业园区用地审计报告"

PASS, FAIL, UNKNOWN, NA = "pass", "fail", "unknown", "n/a"
_STATUSES = (PASS, FAIL, UNKNOWN, NA)
_SYMBOL = {PASS: "✔", FAIL: "✘", UNKNOWN: "?", NA: "–"}
_STATUS_EN = {PASS: "pass", FAIL: "fail", UNKNOWN: "unknown", NA: "n/a"}
_STATUS_WORD = {k: v.split(" ", 1)[1] for k, v in STATUS_ZH.items()}

# chart colours: status (with hatches for black-and-white print), categories, severities
_COLOUR = {PASS: "#2e7d32", FAIL: "#c62828", UNKNOWN: "#9e9e9e", NA: "#e0e0e0"}
_HATCH = {PASS: "", FAIL: "////", UNKNOWN: "xx", NA: ""}
_SEVERITY_COLOUR = {"error": "#c62828", "warning": "#ef8f00", "info": "#78909c"}
_SEVERITY_HATCH = {"error": "////", "warning": "", "info": "\\\\\\\\"}
_SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}

#: Fonts tried by :func:`find_cjk_font`, best first; a family matches a pattern exactly
#: or by containing it.
CJK_FONT_PREFERENCES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif CJK",
    "Source Han Serif",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "SimSun",
    "AR PL UMing",
    "AR PL UKai",
    "Droid Sans Fallback",
)

_PARK_TYPE_ZH = {"district": "片区型", "carrier": "载体型"}
_CATEGORY_ZH = {
    "new_industrial": ("新增工业项目用地", "new industrial"),
    "standard_factory": ("高标准厂房用地", "high-standard factory"),
    "new_type_industrial": ("新型产业用地(M0)", "new-type industrial (M0)"),
    "industrial": ("存量工业用地", "existing industrial"),
}
_CATEGORY_STYLE = {  # marker, colour: distinct shapes for black-and-white print
    "new_industrial": ("o", "#e65100"),
    "standard_factory": ("s", "#1565c0"),
    "new_type_industrial": ("^", "#6a1b9a"),
    "industrial": (".", "#616161"),
}

#: Park rules: check -> (policy key, Chinese label, English label, how the value reads).
_RULES: dict[str, tuple[str, str, str, str]] = {
    "chk_area": (
        "district_park_max_km2",
        "片区型园区面积≤{v}平方公里",
        "District park ≤ {v} km²",
        "num",
    ),
    "chk_far_new": (
        "far_min_new_industrial",
        "新增工业项目用地容积率≥{v}",
        "New industrial land FAR ≥ {v}",
        "num",
    ),
    "chk_far_standard": (
        "far_min_standard_factory",
        "高标准厂房用地容积率≥{v}",
        "High-standard factory FAR ≥ {v}",
        "num",
    ),
    "chk_far_m0": (
        "far_min_new_type_industrial",
        "新型产业用地容积率≥{v}",
        "New-type industrial (M0) FAR ≥ {v}",
        "num",
    ),
    "chk_coverage": ("coverage_min", "工业用地建筑系数≥{v}", "Industrial coverage ≥ {v}", "pct"),
    "chk_leading_revenue": (
        "leading_revenue_share_min",
        "主导产业营收占比≥{v}",
        "Leading-industry revenue share ≥ {v}",
        "pct",
    ),
    "chk_leading_count": (
        "leading_count_share_min",
        "主导产业企业数占比≥{v}",
        "Leading-industry enterprises ≥ {v}",
        "pct",
    ),
    "chk_chain_leader": ("chain_leaders_min", "链主企业≥{v}家", "Chain leaders ≥ {v}", "num"),
    "chk_promotion": (
        "promotion_events_min",
        "年招商活动≥{v}场",
        "Promotion events ≥ {v} a year",
        "num",
    ),
    "chk_fund": (
        "industry_fund_min_wan",
        "产业基金≥{v}万元(设立时)",
        "Industry fund ≥ {v}0k yuan (if set up)",
        "num",
    ),
}
_INNOVATION = (
    "innovation_platforms_min",
    "全区园区省级以上创新平台≥{v}家(2027年底)",
    "Provincial innovation platforms, all parks ≥ {v} (end 2027)",
    "num",
)


#: Tallest chart (inches): an A4 page less its margins and a heading.
_MAX_HEIGHT_IN = 9.4


class NoCJKFontWarning(UserWarning):
    """No CJK font was found: the charts of the report use Latin labels."""


# -- small helpers -------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in ("", "nan", "none", "<na>")


def _esc(value: Any) -> str:
    """Data as HTML text (empty for missing values)."""
    return "" if _missing(value) else html.escape(str(value), quote=True)


def _float(value: Any) -> float:
    if _missing(value) or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _num(value: Any, fmt: str = "{:,.2f}", *, dash: str = "—") -> str:
    v = _float(value)
    return dash if math.isnan(v) else fmt.format(v)


def _short(value: float) -> str:
    """``3.0`` -> ``3``, ``1.5`` -> ``1.5``."""
    return f"{value:g}" if not math.isnan(value) else "?"


_SPLIT = re.compile(r"\s*[;；,，、|]\s*")


def _split(value: Any) -> list[str]:
    """A joined list (``"a;b"``) or a real list as a list of non-empty strings."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if not _missing(v) and str(v).strip()]
    if _missing(value):
        return []
    return [p for p in _SPLIT.split(str(value).strip()) if p]


def _zh_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _as_date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError):
        return None


def _bi(zh: str, en: str) -> str:
    """Chinese text with its English gloss (hidden by the 中文 toggle)."""
    return f'{zh} <span class="en">{en}</span>'


#: Tables of at most this many rows are printed on one page (never split), so that no page
#: holds the last row or two of a table alone.
_KEEP_ROWS = 25


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "", attrs: str = ""
) -> str:
    """An HTML table; ``headers`` and cells are HTML already.

    A table of at most :data:`_KEEP_ROWS` rows gets the class ``keep``: printed whole on
    one page (``break-inside: avoid``).
    """
    rows = list(rows)
    if len(rows) <= _KEEP_ROWS:
        cls = f"{cls} keep".strip()
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r) + "</tr>"
        for r in rows
    )
    return (
        f'<table class="{cls}"{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _note(zh: str, en: str) -> str:
    return f'<p class="note">{_bi(zh, en)}</p>'


# -- data-quality details in Chinese ---------------------------------------------------------

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
    """``(pattern, template)``: "3 rows <tail>" → "3 <noun_zh>…"."""
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
            r"required column (?P<c>\S+) is missing \(columns present: (?P<p>.*)\)",
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
    ),
    "imprecise_date": (
        (r"(?P<v>.*): month only; read as its first day", "{v}：只有月份；按该月第一天读取"),
    ),
    "implausible_date": (
        (
            r"(?P<v>.*): outside the policy's date_min–date_max",
            "{v}：超出规则 date_min–date_max 的范围",
        ),
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
            if "reason" in groups:
                groups["reason"] = "；".join(
                    _REASON_ZH.get(r, r) for r in groups["reason"].split("; ")
                )
            if groups.get("ids") == "none":
                groups["ids"] = "无"
            return zh.format(**groups)
    return text


# -- fonts and charts ----------------------------------------------------------------------


def find_cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or ``None``.

    Fonts are tried in the order of :data:`CJK_FONT_PREFERENCES` (Debian's
    ``fonts-noto-cjk`` gives *Noto Sans CJK SC*); a family matches a preference
    exactly or by containing it (regular weight preferred).

    matplotlib lists fonts from a cache built the first time it ran. A CJK font
    installed after that (``make demo`` before ``make test`` on a new machine) is not
    in the cache, so when none is listed the system font folders are searched for
    CJK font files, which are registered with ``fontManager.addfont``.

    Returns
    -------
    str or None
        A family name for ``rcParams["font.family"]``.
    """
    found = _match_cjk_family(font_manager.fontManager.ttflist)
    if found is None and _register_cjk_font_files():
        found = _match_cjk_family(font_manager.fontManager.ttflist)
    return found


def _match_cjk_family(entries: Sequence[Any]) -> str | None:
    names = sorted({f.name for f in entries})
    for pattern in CJK_FONT_PREFERENCES:
        if pattern in names:
            return pattern
        hits = [n for n in names if pattern.lower() in n.lower() and "mono" not in n.lower()]
        if hits:
            return hits[0]
    return None


#: File names of CJK fonts (Noto/Source Han CJK, WenQuanYi, Droid fallback, Windows and
#: macOS Chinese fonts), searched when matplotlib's font cache lists none.
_CJK_FILE = re.compile(
    r"cjk|sourcehan|wqy|wenquanyi|droidsansfallback|msyh|simhei|simsun|pingfang|hiragino",
    re.IGNORECASE,
)


def _register_cjk_font_files() -> int:
    """Add the system's CJK font files to matplotlib's font list; how many were added."""
    added = 0
    listed = {str(f.fname) for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path in listed or not _CJK_FILE.search(Path(path).name):
            continue
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font
            continue
        added += 1
    return added


@dataclass
class _Charts:
    """Draws and embeds the charts of one report."""

    font: str | None
    fmt: str = "svg"

    @property
    def cjk(self) -> bool:
        return self.font is not None

    def t(self, zh: str, en: str) -> str:
        """Chart text: Chinese with a CJK font, else English."""
        return zh if self.cjk else en

    def labels(
        self, values: Sequence[Any], *, alt: Sequence[Any] | None = None, prefix: str = "L"
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Chart labels for data text, and the key of substituted codes (Latin mode).

        Without a CJK font, a label that is not ASCII is replaced by its ``alt``
        (a park ID, a reason code) when that is ASCII, else by ``prefix`` + number.
        """
        texts = ["" if _missing(v) else str(v) for v in values]
        if self.cjk:
            return texts, []
        out, key = [], []
        for i, text in enumerate(texts):
            other = "" if alt is None or _missing(alt[i]) else str(alt[i])
            if text.isascii():
                out.append(text)
            elif other and other.isascii():
                out.append(other)
            else:
                code = f"{prefix}{len(key) + 1}"
                out.append(code)
                key.append((code, text))
        return out, key

    @contextmanager
    def style(self) -> Iterator[None]:
        families = ([self.font] if self.font else []) + ["DejaVu Sans"]
        rc = {
            "font.family": families,
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.titleweight": "bold",
            "axes.labelsize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.unicode_minus": False,
            "text.parse_math": False,  # data text ($x^2$ in a park name) is never TeX
            "legend.fontsize": 7.5,
            "legend.frameon": False,
            "hatch.linewidth": 0.6,
            "svg.fonttype": "path",
            "svg.hashsalt": "xsland-report",
            "figure.dpi": 100,
        }
        with matplotlib.rc_context(rc):
            yield

    def figure(self, width: float, height: float) -> Figure:
        """A figure with constrained layout, never taller than a printed page allows."""
        fig = Figure(figsize=(width, min(height, _MAX_HEIGHT_IN)), layout="constrained")
        FigureCanvasAgg(fig)
        return fig

    def embed(self, fig: Figure, *, alt: str, cls: str = "chart") -> str:
        """The figure as an ``<img>`` with a ``data:`` URI."""
        buf = io.BytesIO()
        if self.fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=200, metadata={"Software": None})
            mime = "image/png"
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        return f'<img class="{cls}" alt="{html.escape(alt)}" src="data:{mime};base64,{data}">'


def _key_caption(key: Sequence[tuple[str, str]]) -> str:
    if not key:
        return ""
    items = "; ".join(f"{html.escape(c)} = {html.escape(t)}" for c, t in key)
    return f'<br><span class="key">{_bi("图中代号:", "codes in the chart:")} {items}</span>'


def _figure(img: str, caption: str) -> str:
    return f"<figure>{img}<figcaption>{caption}</figcaption></figure>"


# -- the tables of an audit ----------------------------------------------------------------


@dataclass(frozen=True)
class _Audit:
    parks: pd.DataFrame
    parcels: pd.DataFrame
    towns: pd.DataFrame | None
    district: pd.DataFrame | None
    quality: pd.DataFrame
    rules: pd.DataFrame
    blocks: gpd.GeoDataFrame | None
    meta: Mapping[str, Any]
    intensity: pd.DataFrame | None = None
    policy: Policy = DEFAULT_POLICY

    def rule(self, key: str) -> float:
        """A numeric rule of the run (the rules table), else the default policy's."""
        if "key" in self.rules.columns and "value" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "value"]
            if len(hit):
                return _float(hit.iloc[0])
        value = getattr(DEFAULT_POLICY, key, None)
        return _float(value)

    def rule_text(self, key: str) -> str:
        if "key" in self.rules.columns and "value" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "value"]
            if len(hit):
                return str(hit.iloc[0])
        return str(getattr(DEFAULT_POLICY, key, ""))

    def source(self, key: str) -> str:
        if "key" in self.rules.columns and "source" in self.rules.columns:
            hit = self.rules.loc[self.rules["key"].astype(str) == key, "source"]
            if len(hit) and not _missing(hit.iloc[0]):
                return str(hit.iloc[0])
        return ""


def _collect(result: AuditResult, blocks: gpd.GeoDataFrame | None) -> _Audit:
    if not isinstance(result, AuditResult):
        raise DataError(
            f"build_report needs an AuditResult (xsland.AuditResult.read(folder) reads a "
            f"finished audit), not {type(result).__name__}"
        )
    parks, parcels = result.parks, result.parcels
    for name, frame, cols in (
        ("parks", parks, ("park_id",)),
        ("parcels", parcels, ("parcel_id", "park_id")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(f"table {name!r}: column {missing[0]!r} missing")
    if blocks is None:
        blocks = result.blocks
    if blocks is not None and "block_id" not in blocks.columns:
        raise DataError("table 'blocks': column 'block_id' missing")
    return _Audit(
        parks=parks,
        parcels=parcels,
        towns=result.towns,
        district=result.district,
        quality=result.quality,
        rules=result.policy.table(),
        blocks=blocks,
        meta=dict(result.meta),
        intensity=getattr(result, "intensity", None),
        policy=result.policy,
    )


def _rule_labels(a: _Audit) -> dict[str, tuple[str, str, str]]:
    """check -> (Chinese label, English label, source) with the run's thresholds."""
    out = {}
    for chk, (key, zh, en, kind) in {**_RULES, "chk_innovation_platforms": _INNOVATION}.items():
        v = a.rule(key)
        if kind == "pct" and not math.isnan(v):
            text = f"{v * 100:g}%"
        elif chk == "chk_fund" and not math.isnan(v):
            text = f"{v:g}"
        else:
            text = _short(v)
        en_text = en.format(v=text)
        if chk == "chk_fund" and not math.isnan(v):
            en_text = f"Industry fund ≥ {v / 100:g} million yuan (if set up)"
        out[chk] = (zh.format(v=text), en_text, a.source(key))
    return out


def _park_frame(a: _Audit) -> pd.DataFrame:
    if isinstance(a.parks, gpd.GeoDataFrame):
        parks = pd.DataFrame(a.parks.drop(columns=[a.parks.geometry.name]))
    else:
        parks = pd.DataFrame(a.parks).copy()
    for c in ("name", "town", "park_type", "leading_industry"):
        if c not in parks.columns:
            parks[c] = None
    parks["park_id"] = parks["park_id"].astype(str)
    return parks.sort_values("park_id", kind="stable").reset_index(drop=True)


def _park_label(row: Mapping[str, Any]) -> str:
    name = "" if _missing(row.get("name")) else str(row["name"])
    return f"{row['park_id']} {name}".strip()


def _status(value: Any) -> str:
    text = "" if _missing(value) else str(value).strip().lower()
    return text if text in _STATUSES else UNKNOWN


def _cell_value(chk: str, row: Mapping[str, Any]) -> str:
    """The measured value of a check, as a reader expects it (plain text)."""
    v = row.get(chk.replace("chk_", "val_"))
    if chk.startswith("chk_far_"):
        if _missing(v):
            return ""
        m = re.fullmatch(r"\s*(\d+)/(\d+)(?:\s*\(\+(\d+) unknown\))?\s*", str(v))
        if not m:
            return str(v)
        text = f"{m.group(1)}/{m.group(2)} 块"
        return text + (f" (+{m.group(3)} 未知)" if m.group(3) else "")
    x = _float(v)
    if math.isnan(x):
        return ""
    if chk == "chk_area":
        return f"{x:.3f} km²"
    if chk in ("chk_coverage", "chk_leading_revenue", "chk_leading_count"):
        return f"{x:.1%}"
    if chk == "chk_chain_leader":
        return f"{x:.0f} 家"
    if chk == "chk_promotion":
        return f"{x:.0f} 场"
    if chk == "chk_fund":
        return f"{x:,.0f} 万元"
    return f"{x:g}"


def _cv(chk: str, row: Mapping[str, Any]) -> str:
    """:func:`_cell_value` as HTML, a dash when there is none."""
    return html.escape(_cell_value(chk, row)) or "—"


def _status_cell(chk: str, status: str, value: str, *, title: str = "") -> str:
    word = _STATUS_WORD.get(status, status)
    tip = html.escape(f"{word} {_STATUS_EN[status]}" + (f" — {title}" if title else ""))
    val = f'<span class="v">{html.escape(value)}</span>' if value else ""
    return (
        f'<td class="st st-{"na" if status == NA else status}" data-check="{html.escape(chk)}" '
        f'data-status="{status}" title="{tip}"><span class="sym">{_SYMBOL[status]}</span>'
        f"{val}</td>"
    )


def _legend() -> str:
    chips = "".join(
        f'<span class="chip st-{"na" if s == NA else s}"><span class="sym">{_SYMBOL[s]}</span> '
        f'{_STATUS_WORD[s]} <span class="en">{_STATUS_EN[s]}</span></span>'
        for s in _STATUSES
    )
    return f'<p class="legend">{chips}</p>'


def _parcel_towns(a: _Audit, parcels: pd.DataFrame) -> pd.Series:
    """Town of each parcel: its park's town, else its own ``town``, else 未注明."""
    parks = _park_frame(a)
    by_park = parks.drop_duplicates("park_id").set_index("park_id")["town"].astype(object)
    town = parcels["park_id"].astype("string").map(by_park).astype(object)
    if "town" in parcels.columns:
        town = town.where(town.notna(), parcels["town"].astype(object))
    return town.map(lambda v: "(未注明)" if _missing(v) else str(v))


def _has_kinds(parcels: pd.DataFrame) -> bool:
    need = {"low_efficiency", "area_mu", "category"}
    return need <= set(parcels.columns) and any(f"lu_{k}" in parcels for k in LOWUSE_KINDS)


def _mu_text(value: float) -> str:
    """亩 as the summary writes them (one decimal)."""
    return "—" if math.isnan(value) else f"{value:,.1f}"


def _share_text(value: Any) -> str:
    v = _float(value)
    return "—" if math.isnan(v) else f"{v:.1%}"


def _kind_rows(a: _Audit) -> list[dict[str, Any]]:
    """Low-efficiency land by kind of clause 二(一)3 and by "only" kind, then ``all``.

    :func:`xsland.judge.lowuse.kind_breakdown` with the audit's ``lowuse_kinds``: the
    figures of ``summary.md``. Empty when the parcels carry no kind columns.
    """
    parcels = a.parcels
    if not _has_kinds(parcels):
        return []
    table = kind_breakdown(parcels, parcels, policy=a.policy)
    return [
        {
            "kind": str(r["kind"]),
            "label": str(r["label"]),
            "label_en": str(r["label_en"]),
            "counted": bool(r["counted"]),
            "n": f"{int(r['n_parcels']):,}",
            "mu": _mu_text(float(r["area_mu"])),
            "share": _share_text(r["industrial_share"]),
            "n_only": f"{int(r['n_only']):,}" if r["kind"] != "all" else "",
            "only_mu": _mu_text(float(r["only_mu"])) if r["kind"] != "all" else "",
            "only_share": _share_text(r["only_industrial_share"]) if r["kind"] != "all" else "",
        }
        for _, r in table.iterrows()
    ]


def _kind_town_rows(a: _Audit) -> list[dict[str, Any]]:
    """Per town with low-efficiency land (most 亩 first): parcels and 亩, in all and by
    kind and by "only" kind (:func:`xsland.judge.lowuse.summary` by town)."""
    parcels = a.parcels
    if not _has_kinds(parcels):
        return []
    frame = pd.DataFrame(
        {
            "town": _parcel_towns(a, parcels).to_numpy(),
            "area_mu": pd.to_numeric(parcels["area_mu"], errors="coerce").to_numpy(),
        },
        index=parcels.index,
    )
    table = lowuse_summary(frame, parcels, by="town", policy=a.policy)
    table = table[table["n_low_efficiency"] > 0].sort_values(
        ["low_efficiency_mu", "town"], ascending=[False, True], kind="stable"
    )
    counted = set(a.policy.lowuse_kinds)
    return [
        {
            "town": str(r["town"]),
            "n": f"{int(r['n_low_efficiency']):,}",
            "mu": _mu_text(float(r["low_efficiency_mu"])),
            "kinds": [
                {
                    "kind": k,
                    "n": f"{int(r[f'n_lu_{k}']):,}",
                    "mu": _mu_text(float(r[f"lu_{k}_mu"])),
                    "n_only": f"{int(r[f'n_only_{k}']):,}" if k in counted else "",
                    "only_mu": _mu_text(float(r[f"only_{k}_mu"])) if k in counted else "",
                }
                for k in LOWUSE_KINDS
            ],
        }
        for _, r in table.iterrows()
    ]


# -- sections ------------------------------------------------------------------------------


def _section(sid: str, zh: str, en: str, body: str, *, short: bool = False) -> str:
    """A report section; a ``short`` one (a note only) does not start a new page."""
    cls = ' class="short"' if short else ""
    return f'<section id="{sid}"{cls}><h2>{_bi(zh, en)}</h2>{body}</section>'


def _status_counts(parks: pd.DataFrame, checks: Sequence[str]) -> pd.DataFrame:
    rows = {}
    for chk in checks:
        st = parks[chk].map(_status)
        rows[chk] = [int((st == s).sum()) for s in _STATUSES]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(_STATUSES))


def _summary_section(a: _Audit, ch: _Charts, labels: dict[str, tuple[str, str, str]]) -> str:
    parks = _park_frame(a)
    parcels = a.parcels
    checks = [c for c in CHECKS if c in parks.columns]
    n_out = int(parcels["park_id"].map(_missing).sum()) if "park_id" in parcels else 0
    area_km2, area_mu = (
        pd.to_numeric(parks[c], errors="coerce").sum() if c in parks else math.nan
        for c in ("area_km2", "area_mu")
    )
    failing = (parks[checks].map(_status) == FAIL).any(axis=1) if checks else pd.Series()
    kpis = [
        (_bi("园区", "parks"), f"{len(parks)}", ""),
        (_bi("园区面积", "park area"), f"{area_km2:,.2f} km²", f"{area_mu:,.0f} 亩"),
        (
            _bi("地块", "parcels"),
            f"{len(parcels):,}",
            f"园区外 {n_out:,}" if n_out else "",
        ),
        (_bi("有不达标项的园区", "parks failing a rule"), f"{int(failing.sum())}", ""),
        (_bi("数据质量问题", "data-quality findings"), f"{len(a.quality):,}", ""),
    ]
    if "low_efficiency" in parcels.columns:
        low = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
        mu = pd.to_numeric(parcels.loc[low, "area_mu"], errors="coerce").sum()
        kpis.append((_bi("低效用地", "low-efficiency land"), f"{mu:,.0f} 亩", f"{low.sum():,} 块"))
    if a.blocks is not None:
        kpis.append((_bi("连片地块", "contiguous blocks"), f"{len(a.blocks):,}", ""))
    cards = "".join(
        f'<div class="kpi"><div class="k">{k}</div><div class="n">{html.escape(n)}</div>'
        f'<div class="s">{html.escape(s)}</div></div>'
        for k, n, s in kpis
    )
    body = f'<div class="kpis">{cards}</div>'
    kinds = _kind_rows(a)
    if kinds:
        body += _render("report_kind_cards.html.j2", kinds=kinds[:-1])

    if checks:
        counts = _status_counts(parks, checks)
        with ch.style():
            fig = ch.figure(7.0, 0.2 * len(checks) + 0.7)
            ax = fig.add_subplot()
            y = np.arange(len(checks))[::-1]
            left = np.zeros(len(checks))
            for s in _STATUSES:
                vals = counts[s].to_numpy(dtype=float)
                ax.barh(
                    y,
                    vals,
                    left=left,
                    color=_COLOUR[s],
                    hatch=_HATCH[s],
                    edgecolor="white" if s != NA else "#9e9e9e",
                    linewidth=0.6,
                    label=f"{_SYMBOL[s]} " + ch.t(_STATUS_WORD[s], _STATUS_EN[s]),
                )
                for yi, li, v in zip(y, left, vals, strict=True):
                    if v > 0:
                        ax.text(
                            li + v / 2,
                            yi,
                            f"{v:.0f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="white" if s in (PASS, FAIL) else "black",
                            fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.1", "fc": _COLOUR[s], "lw": 0}
                            if s == FAIL
                            else None,
                        )
                left += vals
            ax.set_yticks(y, [ch.t(labels[c][0], labels[c][1]) for c in checks])
            ax.set_xlim(0, max(len(parks), 1))
            ax.set_xlabel(ch.t("园区数", "parks"))
            ax.xaxis.get_major_locator().set_params(integer=True)
            fig.legend(loc="outside upper center", ncol=4)
            img = ch.embed(fig, alt="各规则达标园区数 parks by rule and status")
        body += _figure(
            img,
            _bi(
                "图1 各规则的园区达标情况(园区数)。",
                "Fig. 1 Parks by rule and status.",
            ),
        )

    # per rule: the parks that fail, the parks lacking data
    rows = []
    for chk in checks:
        st = parks[chk].map(_status)
        fails = parks[st == FAIL]
        unknown = parks[st == UNKNOWN]

        def names(frame: pd.DataFrame, chk: str = chk, *, full: bool = True) -> str:
            items = []
            for _, r in frame.iterrows():
                value = _cell_value(chk, r) if chk in ("chk_area",) else ""
                label = _park_label(r) if full else str(r["park_id"])
                items.append(
                    f'<span class="pk" title="{_esc(_park_label(r))}">{_esc(label)}'
                    + (f" ({html.escape(value)})" if value else "")
                    + "</span>"
                )
            return "、".join(items) or "—"

        rows.append(
            [
                html.escape(labels[chk][0])
                + f'<br><span class="en">{html.escape(labels[chk][1])}</span>',
                f'<td class="num">{int((st == PASS).sum())}</td>',
                f'<td class="fails">{names(fails)}</td>',
                f'<td class="unknowns">{names(unknown, full=False)}</td>',
            ]
        )
    district = _district_row(a)
    if district is not None:
        status, value, missing = district
        lab = labels["chk_innovation_platforms"]
        rows.append(
            [
                html.escape(lab[0]) + f'<br><span class="en">{html.escape(lab[1])}</span>',
                f'<td class="num">{_SYMBOL[status]} {html.escape(value)}</td>',
                f'<td class="fails">{"全区未达目标" if status == FAIL else "—"}</td>',
                f'<td class="unknowns">{_esc(missing) or "—"}</td>',
            ]
        )
    if rows:
        body += "<h3>" + _bi("需关注的园区", "Parks to act on") + "</h3>"
        body += _table(
            [
                _bi("规则", "rule"),
                _bi("✔ 达标", "pass"),
                _bi("✘ 不达标园区", "✘ failing parks"),
                _bi("? 数据不足园区(编号)", "? parks lacking data"),
            ],
            rows,
            cls="findings",
        )
    return _section("summary", "概览", "Summary", body)


def _district_row(a: _Audit) -> tuple[str, str, str] | None:
    d = a.district
    if d is None or d.empty or "check" not in d.columns:
        return None
    hit = d[d["check"].astype(str) == "chk_innovation_platforms"]
    if hit.empty:
        return None
    r = hit.iloc[0]
    value = f"{_num(r.get('value'), '{:g}', dash='?')}/{_num(r.get('threshold'), '{:g}')}"
    return _status(r.get("status")), value, r.get("missing_parks")


def _scorecard_section(a: _Audit, labels: dict[str, tuple[str, str, str]]) -> str:
    parks = _park_frame(a)
    checks = [c for c in CHECKS if c in parks.columns]
    short = re.compile(r"^锡府办规〔2025〕1号\s*")
    head = [_bi("园区", "park"), _bi("镇街", "town"), _bi("类型", "type")]
    for chk in checks:
        zh, en, source = labels[chk]
        src = short.sub("", source.split(" (")[0]).strip()
        head.append(
            f"{html.escape(zh)}<br><span class='en'>{html.escape(en)}</span>"
            + (f"<br><span class='src'>{html.escape(src)}</span>" if src else "")
        )
    innov = "innovation_platforms" in parks.columns
    if innov:
        zh, en, source = labels["chk_innovation_platforms"]
        head.append(
            f"省级以上创新平台<br><span class='en'>innovation platforms</span>"
            f"<br><span class='src'>{html.escape(short.sub('', source))}</span>"
        )
    rows = []
    for _, r in parks.iterrows():
        pid = _esc(r["park_id"])
        cells = [
            f'<td class="park"><b>{pid}</b><br>{_esc(r.get("name"))}</td>',
            f"<td>{_esc(r.get('town'))}</td>",
            f"<td>{_esc(_PARK_TYPE_ZH.get(str(r.get('park_type')), r.get('park_type')))}</td>",
        ]
        for chk in checks:
            status = _status(r.get(chk))
            failing = r.get(chk.replace("chk_", "fail_"))
            tip = "" if _missing(failing) else f"不达标地块 {failing}"
            cells.append(_status_cell(chk, status, _cell_value(chk, r), title=tip))
        if innov:
            n = _float(r.get("innovation_platforms"))
            cells.append(f'<td class="num">{"—" if math.isnan(n) else f"{n:.0f} 家"}</td>')
        rows.append((pid, cells))
    body_rows = "".join(f'<tr data-park="{pid}">{"".join(c)}</tr>' for pid, c in rows)
    district = _district_row(a)
    if district is not None and innov:
        status, value, missing = district
        tip = "" if _missing(missing) else f"缺数据园区 {missing}"
        body_rows += (
            '<tr class="district" data-park="__district__"><td class="park" colspan="3">'
            "<b>全区合计</b> <span class='en'>all parks</span></td>"
            + "".join("<td></td>" for _ in checks)
            + _status_cell("chk_innovation_platforms", status, value, title=tip)
            + "</tr>"
        )
    table = (
        '<table class="scorecard"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + f"</tr></thead><tbody>{body_rows}</tbody></table>"
    )
    notes = _note(
        "单元格: 符号与颜色表示结果, 其后为实测值; 容积率各列为“达标地块数/已知容积率地块数”。"
        "数据不足表示缺少判断所需的数据, 不视为达标。",
        "Each cell: status as symbol and colour, then the measured value; FAR columns give "
        "parcels meeting the minimum / parcels with a known FAR. Unknown is never a pass.",
    )
    return _section("scorecard", "园区达标记分卡", "Scorecard", _legend() + table + notes)


def _bar_panel(
    ax: Any,
    ch: _Charts,
    values: np.ndarray,
    statuses: Sequence[str],
    target: float,
    *,
    title: str,
    pct: bool,
) -> None:
    y = np.arange(len(values))[::-1]
    shown = np.nan_to_num(values, nan=0.0)
    for yi, v, s, raw in zip(y, shown, statuses, values, strict=True):
        if math.isnan(raw):
            ax.text(
                0.0,
                yi,
                " ? " + ch.t("数据不足", "no data"),
                va="center",
                fontsize=7,
                color="#616161",
            )
            continue
        s = s if s in (PASS, FAIL) else UNKNOWN
        ax.barh(
            yi, v, color=_COLOUR[s], hatch=_HATCH[s], edgecolor="white", linewidth=0.5, height=0.7
        )
        ax.text(v, yi, f" {v:.0%}" if pct else f" {v:.0f}", va="center", fontsize=7)
    top = np.nanmax(np.append(shown, target)) if len(shown) else target
    ax.axvline(target, color="black", linestyle="--", linewidth=1)
    ax.text(
        target,
        len(values) - 0.35,
        (f"{target:.0%}" if pct else f"{target:g}"),
        ha="center",
        va="bottom",
        fontsize=7,
        fontweight="bold",
    )
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)
    ax.set_ylim(-0.6, len(values) - 0.1)
    if pct:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left")


def _targets_section(a: _Audit, ch: _Charts, labels: dict[str, tuple[str, str, str]]) -> str:
    parks = _park_frame(a)
    year = html.escape(a.rule_text("target_date")[:4] or "2027")
    body = _note(
        f"政策目标到{year}年底(锡府办规〔2025〕1号 二(二)4、二(三)7); 虚线为目标值。",
        f"Targets for the end of {year}; the dashed line is the target.",
    )
    panels = [
        ("chk_leading_revenue", "val_leading_revenue", "leading_revenue_share_min", True),
        ("chk_leading_count", "val_leading_count", "leading_count_share_min", True),
        ("chk_chain_leader", "val_chain_leader", "chain_leaders_min", False),
    ]
    panels = [p for p in panels if p[1] in parks.columns or p[0] in parks.columns]
    if len(parks) and panels:
        names, key = ch.labels(
            [_park_label(r) for _, r in parks.iterrows()], alt=parks["park_id"].tolist(), prefix="P"
        )
        with ch.style():
            fig = ch.figure(7.2, 0.27 * len(parks) + 1.1)
            axes = fig.subplots(1, len(panels), sharey=True)
            axes = np.atleast_1d(axes)
            for ax, (chk, val, rule, pct) in zip(axes, panels, strict=True):
                values = (
                    pd.to_numeric(parks[val], errors="coerce").to_numpy(dtype=float)
                    if val in parks.columns
                    else np.full(len(parks), np.nan)
                )
                statuses = (
                    parks[chk].map(_status).tolist() if chk in parks else [UNKNOWN] * len(parks)
                )
                _bar_panel(
                    ax,
                    ch,
                    values,
                    statuses,
                    a.rule(rule),
                    title=ch.t(labels[chk][0], labels[chk][1]),
                    pct=pct,
                )
            axes[0].set_yticks(np.arange(len(parks))[::-1], names)
            img = ch.embed(fig, alt="主导产业占比与链主企业 leading industry and chain leaders")
        body += _figure(
            img,
            _bi(
                "图2 各园区主导产业营收占比、企业数占比与链主企业数。实心为达标, 斜线为不达标。",
                "Fig. 2 Leading-industry shares and chain leaders per park; solid pass, "
                "hatched fail.",
            )
            + _key_caption(key),
        )

    # innovation platforms across all parks
    if "innovation_platforms" in parks.columns and len(parks):
        target = a.rule("innovation_platforms_min")
        values = pd.to_numeric(parks["innovation_platforms"], errors="coerce").astype("float64")
        total = float(values.sum())
        missing = parks.loc[values.isna(), "park_id"].tolist()
        with ch.style():
            fig = ch.figure(7.2, 1.35)
            ax = fig.add_subplot()
            left = 0.0
            shades = ["#1565c0", "#64b5f6"]
            for i, (pid, v) in enumerate(zip(parks["park_id"], values, strict=True)):
                if math.isnan(v) or v <= 0:
                    continue
                ax.barh(0, v, left=left, color=shades[i % 2], edgecolor="white", height=0.6)
                lab = ch.labels([pid], prefix="P")[0][0]
                ax.text(
                    left + v / 2,
                    0,
                    lab,
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if i % 2 == 0 else "black",
                )
                left += v
            if missing:
                ax.barh(
                    0, 0.6, left=left, color="white", edgecolor="#616161", hatch="xx", height=0.6
                )
                ax.text(left + 0.3, 0, "?", ha="center", va="center", fontsize=8, fontweight="bold")
                ax.text(
                    left,
                    -0.36,
                    ch.t(f"{len(missing)} 个园区缺数据", f"{len(missing)} park(s) without data"),
                    va="top",
                    fontsize=7,
                )
            ax.axvline(target, color="black", linestyle="--", linewidth=1.2)
            ax.text(
                target + 0.08,
                0.36,
                ch.t(f"目标 {target:g} 家", f"target {target:g}"),
                ha="left",
                va="bottom",
                fontsize=7.5,
                fontweight="bold",
            )
            ax.set_xlim(0, max(target, left + (0.6 if missing else 0)) * 1.2 + 0.5)
            ax.set_ylim(-0.75, 0.7)
            ax.set_yticks([0], [ch.t(f"合计 {total:g}", f"total {total:g}")])
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_title(
                ch.t(labels["chk_innovation_platforms"][0], labels["chk_innovation_platforms"][1]),
                loc="left",
            )
            img = ch.embed(fig, alt="省级以上创新平台 innovation platforms")
        body += _figure(
            img,
            _bi(
                f"图3 全区特色专业园区省级以上创新平台: 已知 {total:g} 家, 目标 {target:g} 家"
                + (f"; 缺数据园区 {html.escape(', '.join(map(str, missing)))}" if missing else "")
                + "。",
                "Fig. 3 Provincial-level innovation platforms across all parks.",
            ),
        )

    # the progress table
    head = [
        _bi("园区", "park"),
        _bi("主导产业", "leading industry"),
        _bi("相关/配套产业", "related industries"),
        _bi("营收占比", "revenue share"),
        _bi("企业数占比", "enterprise share"),
        _bi("链主", "chain leaders"),
        _bi("创新平台", "platforms"),
        _bi("招商活动", "events"),
        _bi("产业基金", "fund"),
    ]
    rows = []
    for _, r in parks.iterrows():
        rows.append(
            [
                f"<b>{_esc(r['park_id'])}</b> {_esc(r.get('name'))}",
                _esc(r.get("leading_industry")),
                _esc(r.get("related_industries")) or _NO_RELATED,
                _cv("chk_leading_revenue", r),
                _cv("chk_leading_count", r),
                _cv("chk_chain_leader", r),
                _num(r.get("innovation_platforms"), "{:.0f} 家"),
                _cv("chk_promotion", r),
                _cv("chk_fund", r),
            ]
        )
    body += _table(head, rows, cls="data")
    body += _render("report_related.html.j2", **_related_note(parks))
    return _section("targets", "2027年目标进度", "Progress toward the 2027 targets", body)


_NO_RELATED = '<span class="flag">未列</span>'


def _related_note(parks: pd.DataFrame) -> dict[str, Any]:
    """Parks that list no related or supporting industries (issue 14 item 2)."""
    if "related_industries" not in parks.columns:
        return {"recorded": False, "bare": []}
    bare = [_park_label(r) for _, r in parks.iterrows() if not _split(r.get("related_industries"))]
    return {"recorded": True, "bare": bare}


def _far_section(a: _Audit, ch: _Charts) -> str:
    parks = _park_frame(a)
    parcels = a.parcels
    need = {"park_id", "category", "far"}
    if not need <= set(parcels.columns) or parks.empty:
        return _section(
            "far",
            "工业用地容积率分布",
            "FAR of industrial parcels",
            _note("地块表缺少容积率数据。", "The parcels carry no FAR."),
            short=True,
        )
    p = pd.DataFrame(
        {
            "park_id": parcels["park_id"].astype("string"),
            "category": parcels["category"].astype(object),
            "far": pd.to_numeric(parcels["far"], errors="coerce"),
            "area_mu": pd.to_numeric(parcels.get("area_mu"), errors="coerce")
            if "area_mu" in parcels
            else np.nan,
        }
    )
    ind = p[p["category"].isin(INDUSTRIAL_CATEGORIES) & p["park_id"].isin(parks["park_id"])]
    known = ind[ind["far"].notna()]
    minima = [
        ("far_min_new_industrial", "new_industrial", "--"),
        ("far_min_standard_factory", "standard_factory", "-."),
        ("far_min_new_type_industrial", "new_type_industrial", ":"),
    ]
    low = a.rule("lowuse_far_max")
    body = ""
    if len(known):
        names, key = ch.labels(
            [_park_label(r) for _, r in parks.iterrows()], alt=parks["park_id"].tolist(), prefix="P"
        )
        pos = {pid: i for i, pid in enumerate(parks["park_id"][::-1])}
        top = max(3.0, float(np.nanquantile(known["far"], 0.99)) * 1.1, a.rule(minima[2][0]) + 0.5)
        with ch.style():
            fig = ch.figure(7.2, 0.36 * len(parks) + 1.3)
            ax = fig.add_subplot()
            by_park = {k: g.to_numpy() for k, g in known.groupby("park_id")["far"]}
            data = [by_park.get(pid, np.array([])) for pid in pos]
            ax.boxplot(
                [d if len(d) else [np.nan] for d in data],
                positions=list(pos.values()),
                orientation="horizontal",
                widths=0.62,
                showfliers=False,
                patch_artist=True,
                boxprops={"facecolor": "#f1f1f1", "edgecolor": "#9e9e9e", "linewidth": 0.7},
                medianprops={"color": "black", "linewidth": 1.2},
                whiskerprops={"color": "#9e9e9e", "linewidth": 0.7},
                capprops={"color": "#9e9e9e", "linewidth": 0.7},
            )
            rng = np.random.default_rng(0)
            for cat, (marker, colour) in _CATEGORY_STYLE.items():
                sel = known[known["category"] == cat]
                if sel.empty:
                    continue
                yy = sel["park_id"].map(pos).to_numpy(dtype=float)
                yy = yy + rng.uniform(-0.26, 0.26, len(yy))
                xx = np.minimum(sel["far"].to_numpy(dtype=float), top)
                zh, en = _CATEGORY_ZH[cat]
                ax.scatter(
                    xx,
                    yy,
                    s=9 if marker != "." else 14,
                    marker=marker,
                    facecolors="none" if marker in ("o", "s", "^") else colour,
                    edgecolors=colour,
                    linewidths=0.6,
                    alpha=0.85,
                    label=f"{ch.t(zh, en)} ({len(sel):,})",
                    rasterized=len(known) > 2000,
                )
            for rule, cat, style in minima:
                v = a.rule(rule)
                if math.isnan(v):
                    continue
                ax.axvline(v, color=_CATEGORY_STYLE[cat][1], linestyle=style, linewidth=1.1)
                ax.text(
                    v,
                    len(parks) - 0.45,
                    f"{v:g}",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    fontweight="bold",
                    color=_CATEGORY_STYLE[cat][1],
                )
            if not math.isnan(low):
                ax.axvline(low, color="#c62828", linestyle=(0, (1, 2)), linewidth=0.9)
                ax.text(
                    low,
                    len(parks) - 0.45,
                    ch.t(f"低效<{low:g}", f"low <{low:g}"),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="#c62828",
                )
            ax.set_yticks(list(pos.values()), names[::-1])
            ax.set_ylim(-0.6, len(parks) - 0.1)
            ax.set_xlim(0, top)
            ax.set_xlabel(ch.t("容积率", "floor-area ratio (FAR)"))
            fig.legend(loc="outside upper center", ncol=4, markerscale=1.6)
            img = ch.embed(fig, alt="工业地块容积率分布 FAR of industrial parcels")
        body += _figure(
            img,
            _bi(
                f"图4 各园区工业地块容积率(每点一块地, 箱线为四分位)。竖线为容积率下限: 新增工业"
                f"{_short(a.rule(minima[0][0]))}、高标准厂房{_short(a.rule(minima[1][0]))}、"
                f"新型产业{_short(a.rule(minima[2][0]))}; 红色点线为存量低效阈值"
                f"{_short(low)}。容积率大于{top:.1f}的地块画在右边界。",
                "Fig. 4 FAR of each industrial parcel per park (boxes: quartiles); lines: "
                "the minima by category and the low-efficiency threshold.",
            )
            + _key_caption(key),
        )
    else:
        body += _note("没有已知容积率的工业地块。", "No industrial parcel has a known FAR.")
    head = [
        _bi("园区", "park"),
        _bi("工业地块", "industrial parcels"),
        _bi("容积率未知", "FAR unknown"),
        _bi("加权容积率", "weighted FAR"),
        _bi("中位数", "median"),
        _bi("新增工业达标", "new ind. meeting"),
        _bi("高标准厂房达标", "std. factory meeting"),
        _bi("新型产业达标", "M0 meeting"),
    ]
    rows = []
    groups = {k: g for k, g in ind.groupby("park_id")}
    for _, r in parks.iterrows():
        g = groups.get(r["park_id"], ind.iloc[:0])
        rows.append(
            [
                f"<b>{_esc(r['park_id'])}</b> {_esc(r.get('name'))}",
                f'<td class="num">{len(g):,}</td>',
                f'<td class="num">{int(g["far"].isna().sum()):,}</td>',
                f'<td class="num">{_num(r.get("industrial_far"))}</td>',
                f'<td class="num">{_num(g["far"].median())}</td>',
                _cv("chk_far_new", r),
                _cv("chk_far_standard", r),
                _cv("chk_far_m0", r),
            ]
        )
    body += _table(head, rows, cls="data")
    return _section("far", "工业用地容积率分布", "FAR of industrial parcels", body)


def _not_computed(sid: str, zh: str, en: str, what_zh: str, what_en: str) -> str:
    return _section(
        sid,
        zh,
        en,
        '<p class="absent">'
        + _bi(f"本次运行未计算{what_zh}。", f"{what_en} not computed in this run.")
        + "</p>",
        short=True,
    )


def _reason_rows(parcels: pd.DataFrame) -> pd.DataFrame:
    """One row per (parcel, reason): ``row``, ``code``, ``label``."""
    codes = (
        parcels["reasons"] if "reasons" in parcels.columns else pd.Series(None, index=parcels.index)
    )
    zh = (
        parcels["reasons_zh"]
        if "reasons_zh" in parcels.columns
        else pd.Series(None, index=parcels.index)
    )
    out = []
    for i, (c, z) in enumerate(zip(codes, zh, strict=True)):
        cs, zs = _split(c), _split(z)
        if cs and len(cs) == len(zs):
            out += [(i, a, b) for a, b in zip(cs, zs, strict=True)]
        elif cs:
            out += [(i, a, None) for a in cs]
        else:
            out += [(i, None, b) for b in zs]
    rows = pd.DataFrame(out, columns=["row", "code", "label"])
    if rows.empty:
        return rows
    # one label per code (the first seen), one key per reason
    first = rows.dropna(subset=["code", "label"]).drop_duplicates("code").set_index("code")["label"]
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"].map(first))
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"])
    rows["key"] = rows["code"].where(rows["code"].notna(), rows["label"])
    return rows.drop_duplicates(["row", "key"])


def _lowuse_section(a: _Audit, ch: _Charts) -> str:
    parcels = a.parcels
    if "low_efficiency" not in parcels.columns:
        return _not_computed(
            "lowuse", "低效用地", "Low-efficiency land", "低效用地", "Low-efficiency land"
        )
    flag = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
    low = pd.DataFrame(parcels.loc[flag].drop(columns="geometry", errors="ignore")).reset_index(
        drop=True
    )
    mu = (
        pd.to_numeric(low.get("area_mu"), errors="coerce")
        if "area_mu" in low
        else pd.Series(np.nan, index=low.index)
    )
    low = low.assign(_mu=mu.fillna(0.0), _town=_parcel_towns(a, low).to_numpy())
    total = float(low["_mu"].sum())
    ind = parcels["category"].isin(INDUSTRIAL_CATEGORIES) if "category" in parcels else None
    ind_mu = (
        float(pd.to_numeric(parcels.loc[ind, "area_mu"], errors="coerce").sum())
        if ind is not None and "area_mu" in parcels
        else math.nan
    )
    body = _note(
        f"低效用地 {len(low):,} 块, 共 {total:,.1f} 亩"
        + (f", 占工业用地 {total / ind_mu:.1%}" if ind_mu and not math.isnan(ind_mu) else "")
        + "。一块地可有多个原因, 故按原因合计大于总面积。",
        f"{len(low):,} low-efficiency parcels, {total:,.1f} mu; a parcel may have several reasons.",
    )
    if low.empty:
        body += _note("未发现低效用地。", "No low-efficiency parcel found.")
        return _section("lowuse", "低效用地", "Low-efficiency land", body, short=True)
    kinds = _kind_rows(a)
    if kinds:
        body += _render(
            "report_lowuse_kinds.html.j2",
            kinds=kinds,
            towns=_kind_town_rows(a),
            kind_labels=[(k, *KINDS[k]) for k in LOWUSE_KINDS],
            counted=[k for k in LOWUSE_KINDS if k in a.policy.lowuse_kinds],
        )
    by_town = (
        low.groupby("_town")
        .agg(n=("_mu", "size"), mu=("_mu", "sum"))
        .sort_values("mu", ascending=False)
    )
    reasons = _reason_rows(low)
    if len(reasons):
        reasons = reasons.assign(mu=low["_mu"].to_numpy()[reasons["row"].to_numpy()])
        by_reason = (
            reasons.groupby("key")
            .agg(
                label=("label", "first"),
                code=("code", "first"),
                n=("row", "nunique"),
                mu=("mu", "sum"),
            )
            .sort_values("mu", ascending=False)
        )
    else:
        by_reason = pd.DataFrame(columns=["label", "code", "n", "mu"])
    with ch.style():
        panels = 2 if len(by_reason) else 1
        rows_n = max(len(by_town), len(by_reason), 1)
        fig = ch.figure(7.2, 0.3 * rows_n + 1.0)
        axes = np.atleast_1d(fig.subplots(1, panels))
        tnames, tkey = ch.labels(by_town.index.tolist(), prefix="T")
        ax = axes[0]
        y = np.arange(len(by_town))[::-1]
        ax.barh(y, by_town["mu"], color="#ad1457", height=0.65)
        for yi, v, n in zip(y, by_town["mu"], by_town["n"], strict=True):
            ax.text(v, yi, f" {v:,.0f} ({n:,})", va="center", fontsize=7)
        ax.set_yticks(y, tnames)
        ax.set_ylim(len(by_town) - rows_n - 0.6, len(by_town) - 0.4)
        ax.set_xlim(0, by_town["mu"].max() * 1.25 or 1)
        ax.set_xlabel(ch.t("面积(亩)", "area (mu)"))
        ax.set_title(ch.t("按镇街", "by town"), loc="left")
        rkey: list[tuple[str, str]] = []
        if panels == 2:
            rnames, rkey = ch.labels(
                by_reason["label"].tolist(), alt=by_reason["code"].tolist(), prefix="R"
            )
            ax = axes[1]
            y = np.arange(len(by_reason))[::-1]
            ax.barh(
                y, by_reason["mu"], color="#f06292", hatch="////", edgecolor="white", height=0.65
            )
            for yi, v in zip(y, by_reason["mu"], strict=True):
                ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
            ax.set_yticks(y, rnames)
            ax.set_ylim(len(by_reason) - rows_n - 0.6, len(by_reason) - 0.4)
            ax.set_xlim(0, by_reason["mu"].max() * 1.25 or 1)
            ax.set_xlabel(ch.t("面积(亩)", "area (mu)"))
            ax.set_title(ch.t("按原因", "by reason"), loc="left")
        img = ch.embed(fig, alt="低效用地面积 low-efficiency land by town and reason")
    body += _figure(
        img,
        _bi(
            "图5 低效用地面积(亩), 按镇街与按原因。",
            "Fig. 5 Low-efficiency land (mu) by town and by reason.",
        )
        + _key_caption(tkey + rkey),
    )
    t_rows = [
        [_esc(t), f'<td class="num">{int(r["n"]):,}</td>', f'<td class="num">{r["mu"]:,.1f}</td>']
        for t, r in by_town.iterrows()
    ]
    r_rows = [
        [
            _esc(r["label"]),
            f"<code>{_esc(r['code'])}</code>",
            f'<td class="num">{int(r["n"]):,}</td>',
            f'<td class="num">{r["mu"]:,.1f}</td>',
        ]
        for _, r in by_reason.iterrows()
    ]
    body += '<div class="two">'
    body += _table(
        [_bi("镇街", "town"), _bi("地块数", "parcels"), _bi("面积(亩)", "mu")], t_rows, cls="data"
    )
    if r_rows:
        body += _table(
            [
                _bi("原因", "reason"),
                _bi("代码", "code"),
                _bi("地块数", "parcels"),
                _bi("面积(亩)", "mu"),
            ],
            r_rows,
            cls="data",
        )
    body += "</div>"
    return _section("lowuse", "低效用地", "Low-efficiency land", body)


def _nice_length(span: float) -> float:
    target = span / 4
    for v in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if v >= target * 0.7:
            return float(v)
    return 10000.0


def _paths(geoms: Iterable[Any]) -> list[MplPath]:
    """Polygons (with holes; multi-parts and collections split) as matplotlib paths."""
    out = []
    stack = [g for g in geoms if g is not None]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        if g.geom_type == "Polygon":
            verts, codes = [], []
            for ring in (g.exterior, *g.interiors):
                xy = shapely.get_coordinates(ring)
                verts.append(xy)
                codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY]
            out.append(MplPath(np.concatenate(verts), codes))
        elif hasattr(g, "geoms"):
            stack.extend(g.geoms)
    return out


def _draw(ax: Any, geoms: Iterable[Any], **style: Any) -> None:
    paths = _paths(geoms)
    if paths:
        ax.add_collection(PathCollection(paths, **style))


def _block_map(
    ch: _Charts, block: Any, members: gpd.GeoDataFrame, context: gpd.GeoDataFrame, low: np.ndarray
) -> str:
    geom = block.geometry
    minx, miny, maxx, maxy = geom.bounds
    span = max(maxx - minx, maxy - miny, 1.0)
    pad = span * 0.12
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = span / 2 + pad
    with ch.style():
        fig = Figure(figsize=(2.3, 2.3))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        _draw(ax, context.geometry, facecolor="#fafafa", edgecolor="#bdbdbd", linewidth=0.4)
        mg = members.geometry.to_numpy()
        _draw(ax, mg[~low], facecolor="#fde0ef", edgecolor="#616161", linewidth=0.5)
        _draw(ax, mg[low], facecolor="#f48fb1", edgecolor="#616161", linewidth=0.5, hatch="////")
        _draw(ax, [geom], facecolor="none", edgecolor="black", linewidth=1.8)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
        ax.set_aspect("equal")
        ax.set_axis_off()
        bar = _nice_length(2 * half)
        x0, y0 = cx - half + 0.06 * half, cy - half + 0.08 * half
        ax.plot([x0, x0 + bar], [y0, y0], color="black", linewidth=2.2, solid_capstyle="butt")
        ax.text(
            x0 + bar / 2,
            y0 + 0.04 * half,
            f"{bar:g} m",
            ha="center",
            va="bottom",
            fontsize=7,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5},
        )
        ax.annotate(
            "N",
            xy=(cx + half * 0.88, cy + half * 0.9),
            xytext=(cx + half * 0.88, cy + half * 0.62),
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold",
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1},
        )
        ax.add_patch(
            Rectangle(
                (cx - half, cy - half),
                2 * half,
                2 * half,
                fill=False,
                edgecolor="#9e9e9e",
                linewidth=0.8,
            )
        )
        return ch.embed(fig, alt=f"连片地块 {block.block_id} map", cls="blockmap")


def _blocks_section(a: _Audit, ch: _Charts, *, top: int) -> str:
    blocks = a.blocks
    if blocks is None:
        return _not_computed(
            "blocks", "连片地块", "Contiguous blocks", "连片地块", "Contiguous blocks"
        )
    if blocks.empty:
        return _section(
            "blocks",
            "连片地块",
            "Contiguous blocks",
            _note("未发现连片低效地块。", "No contiguous block found."),
            short=True,
        )
    parcels = a.parcels
    crs = parcels.crs if isinstance(parcels, gpd.GeoDataFrame) else None
    b = blocks
    if not isinstance(b, gpd.GeoDataFrame):
        raise DataError("table 'blocks' must be a GeoDataFrame with the block outlines")
    if crs is not None and b.crs is not None and b.crs != crs:
        b = b.to_crs(crs)
    if crs is None or not crs.is_projected:
        from xsland.read.crs import metric_crs

        target = metric_crs(b)
        b = b.to_crs(target)
        if isinstance(parcels, gpd.GeoDataFrame) and parcels.crs is not None:
            parcels = parcels.to_crs(target)
    # the audit's own columns, never recomputed here
    b = b.assign(_mu=pd.to_numeric(b["area_mu"], errors="coerce").to_numpy())
    threshold = a.rule("block_min_mu")
    below = pd.Series(as_bool(b["below_threshold"]), index=b.index).fillna(False).astype(bool)
    reward = (
        pd.to_numeric(b["reward_wan"], errors="coerce")
        if "reward_wan" in b
        else pd.Series(np.nan, index=b.index)
    )
    n_ok = int((~below).sum())
    body = _note(
        f"连片地块 {len(b):,} 处, 共 {b['_mu'].sum():,.1f} 亩; "
        f"达到 {threshold:g} 亩起报面积的 {n_ok:,} 处({b.loc[~below, '_mu'].sum():,.1f} 亩)"
        + (f"; 估算奖励 {reward.sum():,.0f} 万元" if reward.notna().any() else "")
        + f"。下列为面积最大的 {min(top, len(b))} 处; 图中黑线为连片范围, "
        "斜线填充为低效地块, 灰线为周边地块。",
        f"{len(b):,} blocks, {b['_mu'].sum():,.1f} mu; the {min(top, len(b))} largest below "
        "(black: block outline; hatched: low-efficiency parcels; grey: neighbours).",
    )
    biggest = b.sort_values("_mu", ascending=False, kind="stable").head(top)
    has_geo = isinstance(parcels, gpd.GeoDataFrame) and len(parcels)
    sindex = parcels.sindex if has_geo else None
    low_flag = (
        as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
        if "low_efficiency" in parcels
        else np.zeros(len(parcels), dtype=bool)
    )
    park_names = _park_frame(a).drop_duplicates("park_id").set_index("park_id")["name"]
    member_of = (
        parcels["block_id"].astype("string").to_numpy(dtype=object, na_value=None)
        if "block_id" in parcels.columns
        else np.full(len(parcels), None, dtype=object)
    )
    parcel_ids = parcels["parcel_id"].astype("string")
    cards = []
    for rank, (_, blk) in enumerate(biggest.iterrows(), start=1):
        bid = blk["block_id"]
        pos = np.flatnonzero(member_of == str(bid))
        if not len(pos) and "parcel_ids" in blk.index:
            ids = set(_split(blk["parcel_ids"]))
            pos = np.flatnonzero(parcel_ids.isin(ids).to_numpy(dtype=bool, na_value=False))
        members = parcels.iloc[pos]
        if has_geo and blk.geometry is not None and not blk.geometry.is_empty:
            minx, miny, maxx, maxy = blk.geometry.bounds
            span = max(maxx - minx, maxy - miny, 1.0) * 0.7
            near = sindex.query(shapely.box(minx - span, miny - span, maxx + span, maxy + span))
            near = np.setdiff1d(near, pos)
            img = _block_map(ch, blk, members, parcels.iloc[near], low_flag[pos])
        else:
            img = ""
        reasons = _reason_rows(members) if len(members) else pd.DataFrame()
        if len(reasons):
            counts = reasons.groupby("label", sort=False).size().sort_values(ascending=False)
            reason_text = "、".join(f"{_esc(k)} ({v})" for k, v in counts.items())
        else:
            reason_text = _esc(blk.get("reasons_zh", blk.get("reasons", ""))) or "—"
        owners = []
        if "owner" in members.columns:
            owners = [o for o in dict.fromkeys(members["owner"]) if not _missing(o)]
        if not owners and "owners" in blk.index:
            owners = list(dict.fromkeys(_split(blk["owners"])))
        owner_text = "、".join(_esc(o) for o in owners[:3]) + (
            f" 等{len(owners)}家" if len(owners) > 3 else ""
        )
        n_owners = blk.get("n_owners", len(owners))
        route = blk.get("route_zh", blk.get("route"))
        park = blk.get("park_id")
        park_text = _esc(park) + (
            f" {_esc(park_names.get(str(park)))}"
            if not _missing(park) and str(park) in park_names.index
            else ""
        )
        town = _esc(blk.get("town"))
        target_fa = blk.get("target_floor_area", blk.get("floor_area_target"))
        far_text = (
            f" (容积率 {_num(blk.get('far'))} → {_num(blk.get('target_far'))})"
            if not _missing(blk.get("target_far"))
            else ""
        )
        facts = [
            (_bi("园区", "park"), (park_text or "—") + (f" · {town}" if town else "")),
            (
                _bi("面积", "area"),
                f"<b>{blk['_mu']:,.1f} 亩</b> ({_num(blk.get('area_m2'), '{:,.0f}')} m²) · "
                f"{_num(blk.get('n_parcels', len(members)), '{:,.0f}')} 块",
            ),
            (
                _bi("权利人", "owners"),
                f"{_num(n_owners, '{:,.0f}')} 家" + (f": {owner_text}" if owner_text else ""),
            ),
            (
                _bi("建筑面积", "floor area"),
                f"{_num(blk.get('floor_area'), '{:,.0f}')} → {_num(target_fa, '{:,.0f}')} m²"
                + far_text,
            ),
            (
                _bi("建议路径", "route"),
                f"<b>{_esc(route) or '—'}</b>"
                + (
                    f' <span class="small">{_esc(blk.get("route_rule"))}</span>'
                    if not _missing(blk.get("route_rule"))
                    else ""
                ),
            ),
            (_bi("低效原因", "reasons"), reason_text),
        ]
        if not _missing(blk.get("reward_wan")):
            facts.append(
                (_bi("估算奖励", "reward"), f"{_num(blk.get('reward_wan'), '{:,.0f}')} 万元")
            )
        flag = (
            f'<span class="flag">{_bi(f"低于{threshold:g}亩起报面积", "below threshold")}</span>'
            if bool(below.loc[blk.name])
            else ""
        )
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
        cards.append(
            f'<div class="card" data-block="{_esc(bid)}"><div class="map">{img}</div>'
            f'<div class="facts"><h4>{rank}. {_bi("连片地块", "block")} {_esc(bid)} {flag}</h4>'
            f"<table>{rows}</table></div></div>"
        )
    body += '<div class="cards">' + "".join(cards) + "</div>"
    n = len(biggest)
    return _section("blocks", f"连片地块(面积最大的 {n} 处)", f"The {n} largest blocks", body)


#: National averages of 2023 (国家级开发区土地集约利用监测统计, national bulletin).
_NATIONAL_2023 = {"far_all": 0.98, "far_industrial": 0.93, "tax_per_ha_industrial": 678.99}


def _intensity_section(a: _Audit) -> str:
    """开发区土地集约利用评价 per park and district, and the 批供用 rates of the parks."""
    t = a.intensity
    if not isinstance(t, pd.DataFrame) or len(t) == 0:
        return _not_computed(
            "intensity",
            "土地集约利用评价",
            "Intensive-use evaluation",
            "土地集约利用评价",
            "The intensive-use evaluation",
        )
    cols = [
        ("supply_rate", "土地供应率", "supply rate", "{:.1%}"),
        ("built_rate", "土地建成率", "built rate", "{:.1%}"),
        ("industrial_rate", "工业用地率", "industrial rate", "{:.1%}"),
        ("far_all", "综合容积率", "FAR", "{:.2f}"),
        ("building_density", "建筑密度", "density", "{:.1%}"),
        ("far_industrial", "工业用地综合容积率", "industrial FAR", "{:.2f}"),
        ("coverage_industrial", "工业用地建筑系数", "coverage", "{:.1%}"),
        ("tax_per_ha_industrial", "地均税收(万元/公顷)", "tax per ha", "{:,.1f}"),
        ("investment_per_ha", "投入强度(万元/公顷)", "investment per ha", "{:,.0f}"),
        ("idle_rate", "土地闲置率", "idle rate", "{:.2%}"),
        ("score", "得分(权重占比)", "score (weight share)", "{:.1f}"),
    ]
    headers = [_bi("园区", "park"), _bi("类型", "zone type"), _bi("已建成(公顷)", "built ha")]
    headers += [_bi(zh, en) for _, zh, en, _ in cols]
    rows = []
    for _, r in t.iterrows():
        name = "全区" if r.get("level") == "district" else f"{r['park_id']} {r.get('name') or ''}"
        cells = [_esc(name), _esc(r.get("zone_type") or "—"), _num(r.get("built_ha"), "{:,.1f}")]
        values = [_num(r.get(c), fmt) for c, _, _, fmt in cols]
        if not _missing(r.get("score_weight_share")):
            values[-1] += f" ({_num(r.get('score_weight_share'), '{:.0%}')})"
        rows.append(cells + values)
    rows.append(
        [_bi("全国平均(2023)", "national average 2023"), "", ""]
        + [_num(_NATIONAL_2023.get(c), "{:,.2f}") for c, _, _, _fmt in cols]
    )
    body = _table(headers, rows, cls="intensity")
    body += _note(
        "依据开发区土地集约利用评价规程(TD/T 1029)的指标定义; 缺数据的指标为空(—), 不按0计, "
        "原因见 audit.xlsx「集约评价」表的缺数据说明; 理想值与权重为示例默认值(见规则表 ideal_*、"
        "weight_*), 请按本地评价替换。",
        "Indicators as defined by TD/T 1029; a value without data is blank (—), never 0 — "
        "the 'missing' column of the intensity sheet says why; ideal values and weights are "
        "illustrative defaults (ideal_*, weight_* in the rules).",
    )
    parks = a.parks
    if "rate_not_supplied" in parks.columns:
        rate_cols = [
            ("ss_approved_not_supplied_ha", "批而未供(公顷)", "approved, not supplied", "{:,.2f}"),
            ("ss_supplied_not_started_ha", "供而未用(公顷)", "not started", "{:,.2f}"),
            ("ss_idle_ha", "闲置(公顷)", "idle", "{:,.2f}"),
            ("rate_not_supplied", "批而未供率", "not-supplied rate", "{:.1%}"),
            ("rate_not_used", "供而未用率", "not-used rate", "{:.1%}"),
            ("rate_idle", "闲置率", "idle rate", "{:.2%}"),
        ]
        rows = [
            [_esc(_park_label(r))] + [_num(r.get(c), fmt) for c, _, _, fmt in rate_cols]
            for r in parks.to_dict("records")
        ]
        body += f"<h3>{_bi('批供用情况', 'Approval, supply and use')}</h3>"
        body += _table([_bi("园区", "park")] + [_bi(zh, en) for _, zh, en, _ in rate_cols], rows)
    return _section("intensity", "土地集约利用评价", "Intensive-use evaluation", body)


def _text(value: Any) -> str:
    """A value as plain text for a template (which escapes it); ``""`` when missing."""
    return "" if _missing(value) else str(value)


def _quality_section(a: _Audit, ch: _Charts, *, first_rows: int) -> str:
    q = a.quality
    if q is None or q.empty or "check" not in q.columns:
        return _section(
            "quality",
            "数据质量",
            "Data quality",
            _note("未发现数据质量问题。", "No data-quality finding."),
            short=True,
        )
    q = pd.DataFrame(q).copy()
    for c in ("layer", "file", "id", "column", "check", "severity", "label", "detail"):
        if c not in q.columns:
            q[c] = None
    q["severity"] = q["severity"].map(lambda v: "info" if _missing(v) else str(v))
    groups = (
        q.groupby(["layer", "check"], sort=False, dropna=False)
        .agg(label=("label", "first"), severity=("severity", "first"), n=("check", "size"))
        .reset_index()
        .sort_values("n", ascending=False, kind="stable")
    )
    groups["label"] = [
        quality_title_zh(c, lab) for c, lab in zip(groups["check"], groups["label"], strict=True)
    ]
    zh_labels, en_labels = [], []
    for _, r in groups.iterrows():
        layer = "" if _missing(r["layer"]) else f"{r['layer']}: "
        code = str(r["check"])
        zh_labels.append(layer + str(r["label"]))
        en_labels.append(layer + QUALITY_CHECKS.get(code, (None, code))[1])
    names, key = ch.labels(zh_labels, alt=en_labels, prefix="Q")
    with ch.style():
        fig = ch.figure(7.2, 0.26 * len(groups) + 0.9)
        ax = fig.add_subplot()
        y = np.arange(len(groups))[::-1]
        seen = set()
        for yi, (_, r) in zip(y, groups.iterrows(), strict=True):
            sev = r["severity"] if r["severity"] in _SEVERITY_COLOUR else "info"
            label = None if sev in seen else ch.t(_SEVERITY_ZH[sev], sev)
            seen.add(sev)
            ax.barh(
                yi,
                r["n"],
                color=_SEVERITY_COLOUR[sev],
                hatch=_SEVERITY_HATCH[sev],
                edgecolor="white",
                height=0.65,
                label=label,
            )
            ax.text(r["n"], yi, f" {r['n']:,}", va="center", fontsize=7)
        ax.set_yticks(y, names)
        ax.set_xlim(0, groups["n"].max() * 1.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(ch.t("条数", "findings"))
        ax.legend(loc="lower right")
        img = ch.embed(fig, alt="数据质量问题 data-quality findings")
    figure = _figure(
        img,
        _bi(
            "图6 数据质量问题条数, 按图层与检查项。",
            "Fig. 6 Data-quality findings by layer and check.",
        )
        + _key_caption(key),
    )
    details = []
    for _, g in groups.iterrows():
        rows = q[
            (q["layer"].astype(str) == str(g["layer"]))
            & (q["check"].astype(str) == str(g["check"]))
        ]
        shown = rows.head(first_rows)
        details.append(
            {
                "layer": _text(g["layer"]),
                "label": _text(g["label"]),
                "check": _text(g["check"]),
                "n": f"{g['n']:,}",
                "more": f"{len(rows) - len(shown):,}" if len(rows) > len(shown) else "",
                "rows": [
                    [
                        _text(r["id"]),
                        _text(r["column"]),
                        {
                            "zh": quality_detail_zh(r["check"], r["detail"]),
                            "en": _text(r["detail"]),
                        },
                        Path(str(r["file"])).name if not _missing(r["file"]) else "",
                    ]
                    for _, r in shown.iterrows()
                ],
            }
        )
    groups_rows = [
        [
            _text(r["layer"]),
            {"code": _text(r["check"])},
            _text(r["label"]),
            _SEVERITY_ZH.get(r["severity"], _text(r["severity"])),
            {"cls": "num", "text": f"{r['n']:,}"},
        ]
        for _, r in groups.iterrows()
    ]
    body = _render(
        "report_quality.html.j2",
        figure=markupsafe.Markup(figure),
        groups=groups_rows,
        details=details,
        first_rows=first_rows,
    )
    return _section("quality", "数据质量", "Data quality", body)


_INPUT_RE = re.compile(
    r"^(?P<file>.*?)(?: \[(?P<layer>[^\]]+)\])?(?: — (?P<rows>[\d,]+) rows(?:, (?P<crs>.+))?)?$"
)
_INPUT_ZH = {
    "parks": "园区",
    "parcels": "地块",
    "buildings": "建筑",
    "enterprises": "企业",
    "plan": "规划用地",
    "indicators": "园区指标",
    "raster": "栅格",
}


def _inputs_rows(
    inputs: Mapping[str, Any] | pd.DataFrame | None,
) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """(input files, other ``(key, value)`` entries) of the run's inputs, as plain text."""
    if inputs is None:
        return [], []
    if isinstance(inputs, pd.DataFrame):
        if {"key", "value"} <= set(inputs.columns):
            inputs = dict(zip(inputs["key"].astype(str), inputs["value"], strict=True))
        else:
            inputs = {str(i): r.to_dict() for i, r in inputs.iterrows()}
    files: list[dict[str, str]] = []
    other: list[tuple[str, str]] = []
    for kind, value in inputs.items():
        if isinstance(value, Mapping):
            path = _text(value.get("file") or value.get("path"))
            files.append(
                {
                    "kind": str(kind),
                    "kind_zh": _INPUT_ZH.get(kind, str(kind)),
                    "name": Path(path).name,
                    "path": path,
                    "layer": _text(value.get("layer")),
                    "rows": _num(value.get("rows"), "{:,.0f}", dash=""),
                    "crs": _text(value.get("crs")),
                }
            )
            continue
        text = _text(value)
        m = _INPUT_RE.match(text)
        if kind in _INPUT_ZH and m:
            path = m.group("file")
            files.append(
                {
                    "kind": str(kind),
                    "kind_zh": _INPUT_ZH[kind],
                    "name": Path(path).name,
                    "path": path,
                    "layer": m.group("layer") or "",
                    "rows": m.group("rows") or "",
                    "crs": m.group("crs") or "",
                }
            )
        else:
            other.append((str(kind), text))
    return files, other


#: Entries of the run's inputs shown among its facts: key -> (Chinese, English).
_FACTS_ZH = {
    "run": ("运行时间", "run"),
    "idle judged at": ("闲置土地认定基准日", "idle land judged at"),
    "engine": ("计算引擎", "engine"),
    "metric CRS": ("量算坐标系", "metric CRS"),
}
_FACT_VALUES_ZH = {"single": "单进程", "dask": "Dask 并行"}


def _rules_section(a: _Audit, inputs: Any, audit_date: dt.date, maps: Sequence[str]) -> str:
    rules = [
        {
            "label": _text(r.get("label")),
            "key": _text(r.get("key")),
            "value": _text(r.get("value")),
            "unit": _text(r.get("unit")),
            "source": _text(r.get("source")),
        }
        for _, r in a.rules.iterrows()
    ]
    district = []
    d = a.district
    if d is not None and not d.empty:
        for _, r in d.iterrows():
            status = _status(r.get("status"))
            district.append(
                {
                    "label": _text(r.get("label")),
                    "status": markupsafe.Markup(
                        _status_cell(
                            str(r.get("check")),
                            status,
                            STATUS_ZH.get(status, "").split(" ", 1)[1],
                        )
                    ),
                    "value": _num(r.get("value"), "{:g}"),
                    "threshold": _num(r.get("threshold"), "{:g}"),
                    "missing": _text(r.get("missing_parks")),
                    "source": _text(r.get("source")),
                }
            )
    files, other = _inputs_rows(inputs)
    crs = getattr(a.parcels, "crs", None)
    epsg = crs.to_epsg() if crs is not None else None
    facts: list[dict[str, Any]] = [
        {"zh": "审计日期", "en": "audit date", "value": audit_date.isoformat()},
        {
            "zh": "园区 / 地块",
            "en": "parks / parcels",
            "value": f"{len(a.parks):,} / {len(a.parcels):,}",
        },
        {
            "zh": "量算坐标系",
            "en": "CRS of measurement",
            "value": _text(crs.name if crs is not None else a.meta.get("crs"))
            + (f" (EPSG:{epsg})" if epsg else ""),
        },
        {
            "zh": "指标年度",
            "en": "indicator year",
            "value": _text(a.meta.get("year")) or _text(_first(a.parks, "indicator_year")) or "—",
        },
        {"zh": "软件", "en": "software", "value": f"xsland {__version__}"},
    ]
    if maps:
        facts.append(
            {
                "zh": "交互地图(同一文件夹)",
                "en": "interactive maps, same folder",
                "links": [(urllib.parse.quote(str(m)), str(m)) for m in maps],
            }
        )
    for key, value in other:
        if key == "metric CRS" and crs is not None:
            continue
        zh, en = _FACTS_ZH.get(key, (key, ""))
        facts.append(
            {"zh": zh, "en": en, "value": _FACT_VALUES_ZH.get(value, value), "value_en": value}
        )
    body = _render(
        "report_rules.html.j2",
        rules=rules,
        district=district,
        files=files,
        with_crs=any(f["crs"] for f in files),
        facts=facts,
        keep_rows=_KEEP_ROWS,
    )
    return _section("rules", "规则与输入", "Rules and inputs", body)


def _first(frame: pd.DataFrame, col: str) -> Any:
    if col not in frame.columns:
        return None
    vals = [v for v in frame[col] if not _missing(v)]
    return vals[0] if vals else None


# -- the page ------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 14mm 12mm 15mm 12mm; }
@page wide { size: A4 landscape; margin: 10mm 10mm 12mm 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "WenQuanYi Micro Hei", "Noto Sans", sans-serif; font-size: 10pt; line-height: 1.45;
  color: #212121; margin: 0; }
.en { color: #757575; font-weight: normal; font-size: 0.82em; }
body.zh-only .en { display: none; }
header.title { border-bottom: 3px solid #37474f; padding-bottom: 6px; margin-bottom: 8px; }
header.title h1 { font-size: 17pt; margin: 0 0 4px 0; }
header.title .meta { color: #424242; font-size: 9.5pt; }
h2 { font-size: 15pt; border-left: 6px solid #37474f; padding-left: 8px; margin: 0 0 8px 0;
  break-after: avoid; }
h3 { font-size: 11.5pt; margin: 12px 0 5px 0; break-after: avoid; }
h4 { font-size: 10pt; margin: 8px 0 3px 0; break-after: avoid; }
section { break-before: page; }
section#summary { break-before: auto; }
section#scorecard { page: wide; }
figure { margin: 6px 0 10px 0; break-inside: avoid; text-align: center; }
figure img { max-width: 100%; max-height: 240mm; height: auto; }
figcaption { font-size: 8.5pt; color: #424242; text-align: left; margin-top: 2px; }
figcaption .key { font-size: 8pt; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px 0; font-size: 8.5pt; }
thead { display: table-header-group; }
tr, td, th { break-inside: avoid; }
table.keep { break-inside: avoid; }
h3 + table, h4 + table { break-before: avoid; }
th, td { border: 1px solid #bdbdbd; padding: 2px 4px; vertical-align: top; text-align: left; }
th { background: #eceff1; font-weight: bold; }
td.num { text-align: right; white-space: nowrap; }
td.val { overflow-wrap: anywhere; }
table.rules { table-layout: fixed; }
table.rules th:nth-child(1) { width: 33%; }
table.rules th:nth-child(2) { width: 22%; }
table.rules th:nth-child(3) { width: 11%; }
section.short { break-before: auto; margin-top: 16px; }
table.small, .small { font-size: 7.5pt; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.note { color: #424242; font-size: 9pt; margin: 4px 0 6px 0; }
.absent { border: 1px dashed #9e9e9e; padding: 10px; color: #616161; background: #fafafa; }
.kpis { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 4px 0; }
.kpi { flex: 1 1 0; min-width: 0; border: 1px solid #cfd8dc; border-top: 4px solid #37474f;
  padding: 4px 6px; break-inside: avoid; }
.kpi .k { font-size: 7.5pt; color: #546e7a; line-height: 1.25; }
.kpi .n { font-size: 12.5pt; font-weight: bold; white-space: nowrap; }
.kpi .s { font-size: 8pt; color: #616161; min-height: 1em; }
.legend { margin: 2px 0 6px 0; font-size: 8.5pt; }
.chip { display: inline-block; border: 1px solid #9e9e9e; padding: 0 6px; margin-right: 6px; }
.sym { font-weight: bold; font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }
.st-pass { background: #e8f5e9; color: #1b5e20; }
.st-fail { background: #ffcdd2; color: #b71c1c; font-weight: bold; }
.st-unknown { background: #fff3cd; color: #5d4037; }
.st-na { background: #f5f5f5; color: #757575; }
table.scorecard { font-size: 8.6pt; table-layout: fixed; }
table.scorecard th { font-size: 8pt; text-align: center; vertical-align: bottom; }
table.scorecard th:first-child { width: 12%; }
table.scorecard th .src { font-weight: normal; color: #616161; font-size: 7.2pt; }
table.scorecard td { text-align: center; vertical-align: middle; padding: 3px 3px; }
table.scorecard td.park { text-align: left; }
table.scorecard td.st .sym { display: block; font-size: 12pt; line-height: 1.15; }
table.scorecard td.st .v { display: block; font-size: 8pt; white-space: nowrap; }
table.scorecard tr.district td { border-top: 2px solid #37474f; }
table.findings { font-size: 7.8pt; line-height: 1.3; }
table.findings td:first-child { width: 26%; }
table.findings td:nth-child(4) { width: 18%; }
table.findings td:nth-child(2) { width: 7%; }
table.findings td.fails .pk { color: #b71c1c; }
.two { display: flex; gap: 10px; align-items: flex-start; }
.two table { flex: 1 1 0; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.card { display: flex; gap: 6px; border: 1px solid #bdbdbd; padding: 5px; break-inside: avoid; }
.card .map { flex: 0 0 37%; }
.card .map img { width: 100%; height: auto; display: block; }
.card .facts { flex: 1 1 auto; font-size: 7.8pt; }
.card h4 { margin: 0 0 3px 0; font-size: 9pt; }
.card table { font-size: 7.6pt; margin: 0; line-height: 1.3; }
.card table th, .card table td { padding: 1px 3px; }
.card table th { width: 4.6em; white-space: nowrap; }
.card table th .en { display: none; }
.flag { background: #fff3cd; border: 1px solid #c8a800; font-size: 7pt; padding: 0 3px; }
.qgroup { break-inside: avoid; }
nav.toc { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #cfd8dc;
  padding: 4px 0; font-size: 9pt; z-index: 2; }
nav.toc a { margin-right: 10px; color: #37474f; }
nav.toc button { float: right; font-size: 8.5pt; }
@media screen { body { max-width: 1180px; margin: 0 auto; padding: 0 16px 40px 16px; }
  section { border-top: 1px solid #eceff1; padding-top: 14px; margin-top: 18px; } }
@media print { nav.toc { display: none; } a { color: inherit; text-decoration: none; } }
"""

_SCRIPT = """
document.getElementById("lang").addEventListener("click", function () {
  var on = document.body.classList.toggle("zh-only");
  this.textContent = on ? "中文 + English" : "仅中文";
});
"""

_SECTIONS_NAV = [
    ("summary", "概览"),
    ("scorecard", "记分卡"),
    ("targets", "2027目标"),
    ("far", "容积率"),
    ("lowuse", "低效用地"),
    ("blocks", "连片地块"),
    ("intensity", "集约评价"),
    ("quality", "数据质量"),
    ("rules", "规则与输入"),
]


def build_report(
    result: AuditResult,
    *,
    blocks: gpd.GeoDataFrame | None = None,
    inputs: Mapping[str, Any] | pd.DataFrame | None = None,
    title: str | None = None,
    audit_date: dt.date | dt.datetime | str | None = None,
    image_format: str = "svg",
    top_blocks: int = 10,
    quality_rows: int = 5,
    maps: Sequence[str] = (),
    lang: str = "zh-en",
) -> str:
    """The audit report as one self-contained HTML page, in Chinese.

    Parameters
    ----------
    result
        An :class:`~xsland.result.AuditResult` (a finished audit:
        :meth:`~xsland.result.AuditResult.read`); its policy gives the rules shown. When the
        parcels carry ``low_efficiency`` (with ``reasons`` / ``reasons_zh``) the
        low-efficiency section is drawn; otherwise it says it was not computed in this run.
    blocks
        Contiguous blocks (``block_id``, ``park_id``, ``town``, ``area_mu``, ``route`` …,
        polygon outlines); default ``result_or_tables.blocks`` when it has them.
    inputs
        The run's inputs: the mapping :func:`xsland.pipeline.run.run_project` gives
        :func:`xsland.write.report.write_audit` (kind → ``"path [layer] — N rows"``, plus ``run``
        and other notes), or kind → mapping with ``file``, ``layer``, ``rows``, ``crs``;
        or a table with ``key`` and ``value``; default the result's own.
    title
        Title of the report; default the result's.
    audit_date
        Date printed on the report; default the ``run`` entry of ``inputs``, else the
        result's run date, else today.
    image_format
        ``"svg"`` (vector, sharp in print) or ``"png"``.
    top_blocks
        How many of the largest blocks get a map card.
    quality_rows
        How many rows of each data-quality problem are shown.
    maps
        Interactive maps written beside the report (``map.html``, ``maps/<town>.html``),
        as paths relative to it; the report links to them (the links work when the folder
        is kept together; the report itself needs none of them).
    lang
        ``"zh-en"`` (default): Chinese with English glosses, which a button hides on
        screen; ``"zh"``: Chinese only, on screen and in print (the glosses start hidden;
        the button shows them again on screen).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    DataError
        When the parks or parcels table (or a required column) is missing.

    Warns
    -----
    NoCJKFontWarning
        When no CJK font is found; the charts then use Latin labels.
    """
    if image_format not in ("svg", "png"):
        raise DataError(f"image_format must be 'svg' or 'png', not {image_format!r}")
    if lang not in LANGUAGES:
        raise DataError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    zh_only = lang == "zh"
    a = _collect(result, blocks)
    if title is None:
        title = result.meta.get("title") or DEFAULT_TITLE
    if inputs is None:
        inputs = dict(result.inputs)
    if audit_date is None:
        run = result.meta.get("run") or None
        if isinstance(inputs, Mapping):
            run = inputs.get("run")
        elif isinstance(inputs, pd.DataFrame) and {"key", "value"} <= set(inputs.columns):
            hit = inputs.loc[inputs["key"].astype(str) == "run", "value"]
            run = hit.iloc[0] if len(hit) else None
        date = _as_date(run) or dt.date.today()
    else:
        date = _as_date(audit_date)
        if date is None:
            raise DataError(f"audit_date {audit_date!r} is not a date")
    font = find_cjk_font()
    if font is None:
        warnings.warn(
            "no CJK font found (install Debian's fonts-noto-cjk: apt-get install fonts-noto-cjk); "
            "the report's charts use Latin labels",
            NoCJKFontWarning,
            stacklevel=2,
        )
    ch = _Charts(font=font, fmt=image_format)
    labels = _rule_labels(a)
    sections = [
        _summary_section(a, ch, labels),
        _scorecard_section(a, labels),
        _targets_section(a, ch, labels),
        _far_section(a, ch),
        _lowuse_section(a, ch),
        _blocks_section(a, ch, top=top_blocks),
        _intensity_section(a),
        _quality_section(a, ch, first_rows=quality_rows),
        _rules_section(a, inputs, date, maps),
    ]
    judged = _as_of(a, inputs)
    return _render(
        "report_page.html.j2",
        version=__version__,
        title=title,
        css=markupsafe.Markup(_CSS),
        script=markupsafe.Markup(_SCRIPT),
        zh_only=zh_only,
        nav=_SECTIONS_NAV,
        date=_zh_date(date),
        as_of=_zh_date(judged) if judged else "",
        policy="依据《锡山区进一步加强特色专业园区建设的工作意见》(锡府办规〔2025〕1号)",
        sections=[markupsafe.Markup(x) for x in sections],
    )


def _as_of(a: _Audit, inputs: Any) -> dt.date | None:
    """The date idle land was judged at: the audit's meta, else the run's inputs."""
    value = a.meta.get("as_of")
    if _missing(value):
        value = dict(_inputs_rows(inputs)[1]).get("idle judged at")
    return None if _missing(value) else _as_date(value)


def write_report(
    result: AuditResult,
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    **options: Any,
) -> Path:
    """Write :func:`build_report` to ``path`` atomically (temporary file, then rename).

    Parameters
    ----------
    result
        As for :func:`build_report`.
    path
        The HTML file to write.
    overwrite
        Replace an existing file (else :class:`~xsland.errors.OutputExistsError`).
    **options
        Keyword options of :func:`build_report`.

    Returns
    -------
    Path
    """
    text = build_report(result, **options)
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def existing_maps(folder: str | os.PathLike) -> list[str]:
    """The interactive maps written in an audit folder, as paths the report links to."""
    base = Path(folder)
    found = [base / "map.html", *sorted((base / "maps").glob("*.html"))]
    return [p.relative_to(base).as_posix() for p in found if p.is_file()]
