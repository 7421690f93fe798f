"""The output schema: every column of every table an audit writes, declared once.

Each :class:`Column` has a dtype (``boolean``, ``integer``, ``float``, ``text``,
``date``), a unit, a Chinese and an English label, a one-line description and the
precision it is shown with. The declarations drive the GeoPackage's field types,
its Chinese field aliases (``gpkg_data_columns``) and QGIS styles, the Excel
headers, number formats and rounding, and the output section of
``docs/data-contract.md``. Chinese labels that name a threshold are templates
filled from the :class:`~xsland.rules.policy.Policy` actually applied
(:meth:`Column.label`), so a project that sets ``far_min_new_industrial = 1.2``
reads 新增工业用地容积率≥1.2.

Code columns (statuses, categories, park types, zones, routes, severities) keep their
stable English codes in the GeoPackage, for filtering; :data:`CODES` gives the
Chinese word shown to people.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from xsland.rules.evaluation_columns import (
    INTENSITY_COLUMNS,
    INTENSITY_LEVELS,
    MUJUN_COLUMNS,
    SUPPLY_COLUMNS,
    SUPPLY_STATUSES,
)
from xsland.rules.landuse import LAND_USE_NAMES
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_RULES, Policy
from xsland.rules.rule_words import RULE_SOURCE_ZH, RULE_UNIT_ZH, RULE_VALUE_ZH

__all__ = [
    "CHECK_COLUMNS",
    "CODES",
    "DTYPES",
    "REASON_ZH",
    "TABLES",
    "WORKBOOK_PARCEL_COLUMNS",
    "Column",
    "Table",
    "get_table",
    "render",
]

#: The dtypes a column may have.
DTYPES = ("boolean", "integer", "float", "text", "date")

#: Park check column -> Chinese label template (policy fields in braces).
CHECK_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "chk_area": "片区型园区面积≤{district_park_max_km2:g}平方公里",
        "chk_far_new": "新增工业用地容积率≥{far_min_new_industrial:g}",
        "chk_far_standard": "高标准厂房用地容积率≥{far_min_standard_factory:g}",
        "chk_far_m0": "新型产业用地容积率≥{far_min_new_type_industrial:g}",
        "chk_coverage": "工业用地建筑系数≥{coverage_min:.0%}",
        "chk_leading_revenue": "主导产业营收占比≥{leading_revenue_share_min:.0%}",
        "chk_leading_count": "主导产业企业数占比≥{leading_count_share_min:.0%}",
        "chk_chain_leader": "链主企业≥{chain_leaders_min}家",
        "chk_promotion": "年招商活动≥{promotion_events_min}场",
        "chk_fund": "产业基金≥{industry_fund_min_wan:g}万元(设立时)",
    }
)

#: Low-efficiency rule code -> Chinese name (the same words as
#: :data:`xsland.judge.lowuse.REASONS`; a test keeps them equal).
REASON_ZH: Mapping[str, str] = MappingProxyType(
    {
        "far_low": "容积率低于低效阈值",
        "coverage_low": "建筑系数低于下限",
        "idle": "闲置土地",
        "eval_class": "亩均效益评价为低效类别",
        "tax_low": "亩均税收低于下限",
        "plan_nonconforming": "不符合规划",
        "industry_mismatch": "不符合产业定位",
        "built_but_bare": "申报已建但现状多为裸地",
    }
)
assert tuple(REASON_ZH) == LOWUSE_RULES

_STATUS_WORDS = {"pass": "达标", "fail": "不达标", "unknown": "数据不足", "n/a": "不适用"}

#: Code table -> code -> the Chinese word people read.
CODES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "status": MappingProxyType(_STATUS_WORDS),
        "category": MappingProxyType(
            {
                "new_industrial": "新增工业用地",
                "standard_factory": "高标准厂房用地",
                "new_type_industrial": "新型产业用地(M0)",
                "industrial": "存量工业用地",
                "logistics": "物流仓储用地",
                "other": "其他用地",
            }
        ),
        "category_source": MappingProxyType(
            {
                "column": "数据给定",
                "land_use+supply_date": "用地分类+供地日期",
                "land_use": "用地分类",
                "none": "无法判定",
            }
        ),
        "floor_area_source": MappingProxyType(
            {"buildings": "建筑物推算", "parcel": "地块登记", "none": "无"}
        ),
        "eval_source": MappingProxyType({"given": "评价结果", "derived": "推算", "none": "无"}),
        "supply_status": MappingProxyType({k: zh for k, (zh, _) in SUPPLY_STATUSES.items()}),
        "eval_level": MappingProxyType({k: zh for k, (zh, _) in INTENSITY_LEVELS.items()}),
        "park_type": MappingProxyType({"district": "片区型", "carrier": "载体型"}),
        "zone": MappingProxyType({"core": "核心启动区", "expansion": "拓展功能区"}),
        "route": MappingProxyType(
            {"reserve": "收储盘活", "redevelop": "连片改造", "swap": "置换盘活"}
        ),
        "severity": MappingProxyType({"error": "错误", "warning": "警告", "info": "提示"}),
        "land_use": LAND_USE_NAMES,  # the one vocabulary (xsland.rules.landuse)
        "reasons": MappingProxyType(dict(REASON_ZH)),
        "layer": MappingProxyType(
            {
                "parks": "园区",
                "parcels": "地块",
                "buildings": "建筑物",
                "plan": "规划",
                "enterprises": "企业",
                "indicators": "园区指标",
                "history": "历史评价",
            }
        ),
        # the rules table (xsland.rules.rule_words): a code is any value, unit or source
        # with a word; the others (numbers, keys, project-file codes) show as they are
        "rule_value": RULE_VALUE_ZH,
        "rule_unit": RULE_UNIT_ZH,
        "rule_source": RULE_SOURCE_ZH,
    }
)


@dataclass(frozen=True)
class Column:
    """One output column.

    Attributes
    ----------
    name
        Field name in every format (GeoPackage, GeoParquet, PostGIS, CSV).
    dtype
        One of :data:`DTYPES`.
    zh
        Chinese label; may hold policy fields in braces (``{coverage_min:.0%}``).
    en
        English label.
    unit
        Unit of the values ("" for none).
    decimals
        Shown precision: decimals in Excel (of the percentage when ``percent``).
    description
        One line saying what the value is.
    codes
        Key of :data:`CODES` when the values are codes (with ``;`` lists for ``reasons``).
    percent
        A share 0–1 shown as a percentage.
    optional
        Written only with some inputs (a land-cover raster, a plan layer …).
    na
        What Excel shows for a missing value.
    """

    name: str
    dtype: str
    zh: str
    en: str
    unit: str = ""
    decimals: int | None = None
    description: str = ""
    codes: str | None = None
    percent: bool = False
    optional: bool = False
    na: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"{self.name}: dtype {self.dtype!r} not one of {DTYPES}")

    def label(self, policy: Policy = DEFAULT_POLICY) -> str:
        """The Chinese label with the thresholds of ``policy`` filled in."""
        return render(self.zh, policy)

    def number_format(self) -> str | None:
        """The Excel number format of the shown precision (``None`` for text)."""
        if self.dtype == "date":
            return "yyyy-mm-dd"
        if self.dtype not in ("integer", "float"):
            return None
        if self.dtype == "integer":
            return "0"
        places = self.decimals if self.decimals is not None else 2
        body = "0" if places == 0 else "0." + "0" * places
        if self.percent:
            return body + "%"
        return "#,##" + body if self.unit in ("m²", "亩", "万元", "元", "m") else body


@dataclass(frozen=True)
class Table:
    """One output table (a GeoPackage layer, an Excel sheet).

    ``prefixes`` declares families of columns named by the data (``lc_<class>`` of a
    land-cover raster): a column ``lc_tree`` is described by the prefix column ``lc_``.
    ``passthrough`` tables keep the extra columns of their input as they are.
    """

    name: str
    zh: str
    en: str
    geometry: bool
    columns: tuple[Column, ...]
    prefixes: tuple[Column, ...] = ()
    passthrough: bool = False

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        """The declaration of ``name`` (a prefix column for ``lc_*``), else ``None``."""
        for c in self.columns:
            if c.name == name:
                return c
        for p in self.prefixes:
            if name.startswith(p.name) and len(name) > len(p.name):
                suffix = name[len(p.name) :]
                return Column(
                    name,
                    p.dtype,
                    p.zh.replace("{suffix}", suffix),
                    p.en.replace("{suffix}", suffix),
                    p.unit,
                    p.decimals,
                    p.description,
                    p.codes,
                    p.percent,
                    True,
                    p.na,
                )
        return None


class _Fields(dict):
    """Policy fields for :meth:`str.format_map`; ``{{`` and unknown names stay as written."""

    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.policy = policy

    def __missing__(self, key: str) -> Any:
        return getattr(self.policy, key)


def render(template: str, policy: Policy = DEFAULT_POLICY) -> str:
    """``template`` with the policy's values in braces (``"≥{coverage_min:.0%}"`` → ``"≥30%"``)."""
    if "{" not in template:
        return template
    return template.format_map(_Fields(policy))


def _c(name, dtype, zh, en, unit="", decimals=None, description="", **kw) -> Column:
    return Column(name, dtype, zh, en, unit, decimals, description, **kw)


def _txt(name, zh, en, description="", **kw) -> Column:
    return Column(name, "text", zh, en, "", None, description, **kw)


def _int(name, zh, en, description="", unit="", **kw) -> Column:
    return Column(name, "integer", zh, en, unit, 0, description, **kw)


def _share(name, zh, en, description="", decimals=1, **kw) -> Column:
    return Column(name, "float", zh, en, "share", decimals, description, percent=True, **kw)


# -- shared columns ---------------------------------------------------------------------

_PARK_ID = _txt("park_id", "园区编号", "park ID", "the park's ID from the parks layer")
_TOWN = _txt("town", "所属镇街", "town", "镇/街道 the row belongs to")
_AREA_M2 = _c("area_m2", "float", "面积(平方米)", "area (m²)", "m²", 1, "area in the metric CRS")
_AREA_MU = _c("area_mu", "float", "面积(亩)", "area (mu)", "亩", 2, "area in 亩 (1 亩 = 2000/3 m²)")
_AREA_KM2 = _c("area_km2", "float", "面积(平方公里)", "area (km²)", "km²", 3, "area in km²")
_AREA_HA = _c("area_ha", "float", "面积(公顷)", "area (ha)", "ha", 2, "area in hectares")
_FLOOR = _c(
    "floor_area",
    "float",
    "建筑面积(平方米)",
    "floor area (m²)",
    "m²",
    0,
    "floor area counted for FAR",
)
_REASON_COUNTS = tuple(
    _int(
        f"n_{code}",
        f"低效地块数:{zh}",
        f"low-efficiency parcels: {code}",
        f"low-efficiency parcels flagged by rule {code}",
    )
    for code, zh in REASON_ZH.items()
)
_LOW_SUMMARY = (
    _int("n_low_efficiency", "低效地块数", "low-efficiency parcels", "parcels flagged 低效用地"),
    _c(
        "low_efficiency_mu",
        "float",
        "低效用地(亩)",
        "low-efficiency land (mu)",
        "亩",
        2,
        "area of the parcels flagged 低效用地",
    ),
    _share(
        "low_efficiency_share",
        "低效用地占比",
        "low-efficiency share",
        "low-efficiency land / parcel land",
    ),
    _c("idle_mu", "float", "闲置土地(亩)", "idle land (mu)", "亩", 2, "area of idle parcels"),
)

# -- parks ------------------------------------------------------------------------------

_PARK_INPUT = (
    _PARK_ID,
    _txt("name", "园区名称", "park name", "the park's name"),
    _TOWN,
    _txt(
        "park_type",
        "园区类型",
        "park type",
        "district (片区型) or carrier (载体型)",
        codes="park_type",
    ),
    _txt("leading_industry", "主导产业", "leading industry", "the park's leading industry"),
)

_CHECK_STATUS = tuple(
    _txt(
        chk, zh, f"check {chk[4:]}", f"status of {chk}: pass, fail, unknown or n/a", codes="status"
    )
    for chk, zh in CHECK_COLUMNS.items()
)

PARKS = Table(
    "parks",
    "园区",
    "parks",
    True,
    _PARK_INPUT
    + (
        _AREA_M2,
        _AREA_KM2,
        _AREA_MU,
        _c(
            "area_core_m2",
            "float",
            "核心启动区面积(平方米)",
            "core zone area (m²)",
            "m²",
            1,
            "area of the core zone (核心启动区)",
        ),
        _c(
            "area_expansion_m2",
            "float",
            "拓展功能区面积(平方米)",
            "expansion zone area (m²)",
            "m²",
            1,
            "area of the expansion zone (拓展功能区)",
        ),
    )
    + _CHECK_STATUS
    + (
        _c(
            "val_area",
            "float",
            "园区核查面积(平方公里)",
            "measured park area (km²)",
            "km²",
            3,
            "the area judged by chk_area",
        ),
        _int("n_parcels", "地块数", "parcels", "parcels assigned to the park"),
        _c(
            "parcel_area_m2",
            "float",
            "地块面积(平方米)",
            "parcel land (m²)",
            "m²",
            1,
            "area of the park's parcels",
        ),
        _FLOOR,
        _c(
            "industrial_area_m2",
            "float",
            "工业用地面积(平方米)",
            "industrial land (m²)",
            "m²",
            1,
            "area of industrial parcels (four industrial categories)",
        ),
        _c(
            "industrial_far",
            "float",
            "工业用地加权容积率",
            "industrial FAR (area-weighted)",
            "FAR",
            2,
            "floor area / land area of the industrial parcels with a known FAR",
        ),
        _share(
            "industrial_coverage",
            "工业用地加权建筑系数",
            "industrial coverage",
            "footprint / land of the industrial parcels",
        ),
        _share(
            "land_utilisation",
            "土地利用率",
            "land utilisation",
            "share of the park's parcel land that is built",
        ),
        _txt(
            "val_far_new",
            "新增工业达标地块",
            "new industrial parcels meeting FAR",
            "parcels meeting the minimum / parcels with a minimum",
        ),
        _txt(
            "fail_far_new",
            "新增工业不达标地块",
            "new industrial parcels below FAR",
            "IDs of the parcels below the minimum",
        ),
        _txt(
            "val_far_standard",
            "高标准厂房达标地块",
            "standard factory parcels meeting FAR",
            "parcels meeting the minimum / parcels with a minimum",
        ),
        _txt(
            "fail_far_standard",
            "高标准厂房不达标地块",
            "standard factory parcels below FAR",
            "IDs of the parcels below the minimum",
        ),
        _txt(
            "val_far_m0",
            "新型产业达标地块",
            "M0 parcels meeting FAR",
            "parcels meeting the minimum / parcels with a minimum",
        ),
        _txt(
            "fail_far_m0",
            "新型产业不达标地块",
            "M0 parcels below FAR",
            "IDs of the parcels below the minimum",
        ),
        _share(
            "val_coverage",
            "工业用地建筑系数(核查值)",
            "industrial coverage (judged)",
            "the coverage judged by chk_coverage",
        ),
        _int("n_enterprises", "企业数", "enterprises", "enterprises on the park's parcels"),
        _share(
            "val_leading_revenue",
            "主导产业营收占比",
            "leading industry revenue share",
            "revenue of leading-industry enterprises / all revenue",
        ),
        _share(
            "val_leading_count",
            "主导产业企业数占比",
            "leading industry enterprise share",
            "leading-industry enterprises / all enterprises",
        ),
        _int("val_chain_leader", "链主企业数", "chain leaders", "chain-leader enterprises"),
        _int("indicator_year", "指标年度", "indicator year", "year of the park indicators judged"),
        _int("val_promotion", "招商活动场次", "promotion events", "investment promotion events"),
        _c(
            "val_fund",
            "float",
            "产业基金(万元)",
            "industry fund (10k CNY)",
            "万元",
            0,
            "the park's industry fund",
        ),
        _int(
            "innovation_platforms",
            "省级以上创新平台",
            "innovation platforms",
            "provincial or higher innovation platforms",
        ),
    )
    + _LOW_SUMMARY
    + _REASON_COUNTS,
    prefixes=(
        _share(
            "lc_",
            "地表覆盖占比:{suffix}",
            "land cover share: {suffix}",
            "share of the park in this land-cover class (raster)",
            optional=True,
        ),
    ),
)

PARK_ZONES = Table(
    "park_zones",
    "园区分区",
    "park zones",
    True,
    _PARK_INPUT
    + (
        _txt(
            "zone", "功能分区", "zone", "core (核心启动区) or expansion (拓展功能区)", codes="zone"
        ),
    ),
)

# -- parcels ----------------------------------------------------------------------------

_FLAG_COLUMNS = tuple(
    _c(
        f"lu_{code}",
        "boolean",
        f"低效:{zh}",
        f"low efficiency: {code}",
        description=f"rule {code} flags the parcel",
    )
    for code, zh in REASON_ZH.items()
)

PARCELS = Table(
    "parcels",
    "地块",
    "parcels",
    True,
    (
        _txt("parcel_id", "地块编号", "parcel ID", "the parcel's ID (duplicates renamed ID-2 …)"),
        _txt(
            "land_use",
            "用地分类",
            "land use",
            "land-use code (2023 national / GB 50137)",
            codes="land_use",
        ),
        _c(
            "supply_date",
            "date",
            "供地日期",
            "supply date",
            description="date the land was supplied",
        ),
        _c(
            "start_deadline",
            "date",
            "约定动工日期",
            "agreed start date",
            description="date construction had to start (contract)",
        ),
        _c(
            "declared_area",
            "float",
            "登记用地面积(平方米)",
            "declared area (m²)",
            "m²",
            1,
            "land area in the register",
            optional=True,
        ),
        _c(
            "declared_far",
            "float",
            "登记容积率",
            "declared FAR",
            "FAR",
            2,
            "FAR in the register",
            optional=True,
        ),
        _txt("enterprise_id", "企业编号", "enterprise ID", "the user's enterprise"),
        _txt("owner", "权利人", "owner", "the land-use right holder"),
        _TOWN,
        _c(
            "floor_area_declared",
            "float",
            "登记建筑面积(平方米)",
            "declared floor area (m²)",
            "m²",
            0,
            "floor area given with the parcel",
        ),
        _PARK_ID,
        _txt("zone", "功能分区", "zone", "zone of the park holding the larger part", codes="zone"),
        _share(
            "park_share", "在园区内比例", "share in park", "share of the parcel inside its park"
        ),
        _txt("category", "政策类别", "policy category", "category of SPEC §2", codes="category"),
        _txt(
            "category_source",
            "类别依据",
            "category source",
            "what the category was decided from",
            codes="category_source",
        ),
        _AREA_M2,
        _AREA_MU,
        _AREA_HA,
        _c(
            "footprint_m2",
            "float",
            "建筑基底面积(平方米)",
            "building footprint (m²)",
            "m²",
            0,
            "footprint of the buildings on the parcel",
        ),
        _FLOOR,
        _txt(
            "floor_area_source",
            "建筑面积来源",
            "floor area source",
            "buildings (footprint × floors) or the parcel's own figure",
            codes="floor_area_source",
        ),
        _c("far", "float", "容积率", "FAR", "FAR", 2, "floor area / parcel area (容积率)"),
        _share("coverage", "建筑系数", "building coverage", "footprint / parcel area (建筑系数)"),
        _c(
            "far_min",
            "float",
            "容积率下限",
            "FAR minimum",
            "FAR",
            1,
            "minimum FAR of the category (clause 二(一)1)",
        ),
        _c(
            "far_ok",
            "boolean",
            "容积率达标",
            "FAR met",
            description="far ≥ far_min; null: no minimum or no FAR",
            na="不适用",
        ),
        _c(
            "low_efficiency",
            "boolean",
            "低效用地",
            "low efficiency",
            description="flagged 低效用地 by at least one rule",
        ),
        _int("n_reasons", "低效原因数", "reasons", "number of rules that flag the parcel"),
        _txt("reasons", "低效原因代码", "reason codes", "rule codes, ;-separated", codes="reasons"),
        _txt("reasons_zh", "低效原因", "reasons", "the reasons in Chinese"),
        _txt(
            "reasons_detail", "低效原因详情", "reason details", "measured value against threshold"
        ),
        _txt(
            "reasons_unknown",
            "无法判定的规则",
            "rules without data",
            "rules that could not judge for lack of data",
            codes="reasons",
        ),
    )
    + _FLAG_COLUMNS
    + (
        _c(
            "far_threshold",
            "float",
            "低效容积率阈值",
            "low-efficiency FAR threshold",
            "FAR",
            2,
            "FAR below which the parcel is low-efficiency",
        ),
        _c(
            "idle_since",
            "date",
            "闲置起算日期",
            "idle since",
            description="date from which the land counts as idle",
        ),
        _txt(
            "eval_class", "亩均效益评价类别", "evaluation class", "A/B/C/D class of the enterprise"
        ),
        _txt(
            "eval_class_source",
            "评价类别来源",
            "evaluation class source",
            "given, derived or none",
            codes="eval_source",
        ),
        _c(
            "tax_per_mu",
            "float",
            "亩均税收(万元/亩)",
            "tax per mu (10k CNY)",
            "万元/亩",
            2,
            "the enterprise's tax per 亩 of land",
        ),
        _txt(
            "planned_use",
            "规划用途",
            "planned use",
            "dominant use of the plan layer",
            codes="land_use",
        ),
        _share(
            "plan_share", "规划用途占比", "planned-use share", "share of the parcel in that use"
        ),
        _txt(
            "leading_industry",
            "园区主导产业",
            "park leading industry",
            "the park's leading industry",
        ),
        _txt("industry", "企业行业", "enterprise industry", "the enterprise's industry"),
        _txt("block_id", "连片编号", "block ID", "contiguous block of the parcel (连片)"),
        _share(
            "built_share",
            "建设用地占比(遥感)",
            "built share (raster)",
            "share of built-up land cover",
            optional=True,
        ),
        _share(
            "bare_share",
            "裸地占比(遥感)",
            "bare share (raster)",
            "share of bare land cover",
            optional=True,
        ),
    ),
    passthrough=True,
)

# -- blocks -----------------------------------------------------------------------------

BLOCKS = Table(
    "blocks",
    "连片",
    "blocks",
    True,
    (
        _txt("block_id", "连片编号", "block ID", "ID of the contiguous block"),
        _PARK_ID,
        _TOWN,
        _int("rank", "园区内面积排序", "rank in park", "1 = largest block of the park"),
        _txt("key_parcel", "最小地块编号", "key parcel", "smallest parcel ID (stable key)"),
        _int("n_parcels", "地块数", "parcels", "parcels in the block"),
        _txt("parcel_ids", "地块编号", "parcel IDs", "IDs of the block's parcels"),
        _int("n_owners", "权利人数", "owners", "distinct owners"),
        _txt("owners", "权利人", "owner names", "the owners"),
        _int("n_enterprises", "企业数", "enterprises", "distinct enterprises"),
        _c(
            "area_m2",
            "float",
            "用地面积(平方米)",
            "land area (m²)",
            "m²",
            1,
            "parcel land in the block",
        ),
        _c("area_mu", "float", "用地面积(亩)", "land area (mu)", "亩", 2, "parcel land in 亩"),
        _c(
            "outline_area_m2",
            "float",
            "轮廓面积(平方米)",
            "outline area (m²)",
            "m²",
            1,
            "area of the block outline",
        ),
        _c(
            "perimeter_m",
            "float",
            "轮廓周长(米)",
            "outline perimeter (m)",
            "m",
            1,
            "perimeter of the outline",
        ),
        _c(
            "compactness",
            "float",
            "紧凑度(4πA/P²)",
            "compactness",
            "",
            2,
            "4πA/P² of the outline (1 = circle)",
        ),
        _c(
            "floor_area",
            "float",
            "现状建筑面积(平方米)",
            "floor area (m²)",
            "m²",
            0,
            "floor area today",
        ),
        _c("far", "float", "现状容积率", "FAR today", "FAR", 2, "floor area / land area"),
        _int(
            "n_floor_area_unknown",
            "建筑面积未知地块数",
            "parcels without floor area",
            "parcels whose floor area is unknown",
        ),
        _c(
            "target_far", "float", "目标容积率", "target FAR", "FAR", 2, "FAR the block is to reach"
        ),
        _c(
            "floor_area_target",
            "float",
            "目标建筑面积(平方米)",
            "target floor area (m²)",
            "m²",
            0,
            "land area × target FAR",
        ),
        _c(
            "floor_area_gain",
            "float",
            "可增建筑面积(平方米)",
            "floor area gain (m²)",
            "m²",
            0,
            "target floor area − today's",
        ),
        _c("idle_mu", "float", "闲置土地(亩)", "idle land (mu)", "亩", 2, "idle parcels' area"),
        _c(
            "reserve_mu",
            "float",
            "收储类用地(亩)",
            "reserve-type land (mu)",
            "亩",
            2,
            "idle, unbuilt, low-class or ownerless land",
        ),
        _share(
            "reserve_share",
            "收储类用地占比",
            "reserve-type share",
            "reserve-type land / block land",
            decimals=0,
        ),
        _c(
            "below_threshold",
            "boolean",
            "低于连片面积下限",
            "below minimum area",
            description="area below block_min_mu",
        ),
        _txt("route", "盘活路径代码", "route code", "reserve, redevelop or swap", codes="route"),
        _txt("route_zh", "建议盘活路径", "suggested route", "the route in Chinese"),
        _txt("route_rule", "路径依据", "route rule", "the rule that chose the route"),
        _c(
            "reward_wan",
            "float",
            "奖励估算(万元)",
            "estimated reward (10k CNY)",
            "万元",
            1,
            "area × reward_per_mu_wan, when set",
        ),
    )
    + _REASON_COUNTS,
)

BLOCK_MEMBERS = Table(
    "block_members",
    "连片地块",
    "block parcels",
    False,
    (
        _txt("block_id", "连片编号", "block ID", "the block"),
        _txt("parcel_id", "地块编号", "parcel ID", "the parcel"),
        _PARK_ID,
        _TOWN,
        _txt("owner", "权利人", "owner", "the land-use right holder"),
        _txt("enterprise_id", "企业编号", "enterprise ID", "the user's enterprise"),
        _txt("category", "政策类别", "policy category", "category of SPEC §2", codes="category"),
        _AREA_M2,
        _AREA_MU,
        _FLOOR,
        _c("far", "float", "容积率", "FAR", "FAR", 2, "floor area / parcel area"),
        _txt("reasons", "低效原因代码", "reason codes", "rule codes, ;-separated", codes="reasons"),
        _txt("reasons_zh", "低效原因", "reasons", "the reasons in Chinese"),
    ),
)

ENTERPRISES = Table(
    "enterprises",
    "企业亩均",
    "enterprises",
    False,
    (
        _txt("enterprise_id", "企业编号", "enterprise ID", "the enterprise's ID"),
        _txt("name", "企业名称", "enterprise name", "the enterprise's name"),
        _txt("industry", "行业", "industry", "the enterprise's industry"),
        _int("n_parcels", "地块数", "parcels", "parcels the enterprise uses"),
        _c("land_m2", "float", "用地面积(平方米)", "land (m²)", "m²", 1, "area of its parcels"),
        _c("land_mu", "float", "用地面积(亩)", "land (mu)", "亩", 2, "area of its parcels in 亩"),
        _c("revenue", "float", "营业收入(万元)", "revenue (10k CNY)", "万元", 1, "annual revenue"),
        _c("tax", "float", "税收(万元)", "tax (10k CNY)", "万元", 1, "annual tax"),
        _c(
            "revenue_per_mu",
            "float",
            "亩均营收(万元/亩)",
            "revenue per mu",
            "万元/亩",
            2,
            "revenue / land in 亩",
        ),
        _c(
            "tax_per_mu",
            "float",
            "亩均税收(万元/亩)",
            "tax per mu",
            "万元/亩",
            2,
            "tax / land in 亩",
        ),
        _c(
            "eval_score",
            "float",
            "推算得分",
            "derived score",
            "score",
            1,
            "weighted ratio to the district mean × 100",
        ),
        _share("eval_pct", "得分百分位", "score percentile", "percentile of the score"),
        _txt("eval_class_given", "评价类别(给定)", "class given", "class in the enterprise table"),
        _txt(
            "eval_class_derived", "评价类别(推算)", "class derived", "class derived from the score"
        ),
        _txt("eval_class", "亩均效益评价类别", "evaluation class", "given class, else derived"),
        _txt(
            "eval_class_source",
            "评价类别来源代码",
            "class source code",
            "given, derived or none",
            codes="eval_source",
        ),
        _txt("eval_class_source_zh", "评价类别来源", "class source", "评价结果 / 推算 / 无"),
    ),
)

_TOWN_CHECKS = tuple(
    _int(
        f"{chk}_{status}",
        f"{zh}:{_STATUS_WORDS[status]}园区数",
        f"{chk} {status} parks",
        f"parks of the town with {chk} = {status}",
    )
    for chk, zh in CHECK_COLUMNS.items()
    for status in ("pass", "fail", "unknown")
)

TOWNS = Table(
    "towns",
    "镇街",
    "towns",
    False,
    (
        _TOWN,
        _int("n_parks", "园区数", "parks", "parks of the town"),
        _c("area_m2", "float", "园区面积(平方米)", "park area (m²)", "m²", 1, "area of the parks"),
        _c(
            "area_km2",
            "float",
            "园区面积(平方公里)",
            "park area (km²)",
            "km²",
            3,
            "area of the parks",
        ),
        _c("area_mu", "float", "园区面积(亩)", "park area (mu)", "亩", 2, "area of the parks"),
        _int("n_parcels", "地块数", "parcels", "parcels in the town's parks"),
        _c(
            "industrial_area_m2",
            "float",
            "工业用地面积(平方米)",
            "industrial land (m²)",
            "m²",
            1,
            "industrial parcels in the parks",
        ),
        _c(
            "industrial_far",
            "float",
            "工业用地加权容积率",
            "industrial FAR",
            "FAR",
            2,
            "area-weighted FAR of industrial parcels",
        ),
    )
    + _TOWN_CHECKS
    + (
        _txt("failing_parks", "有不达标项的园区", "parks failing a check", "IDs of those parks"),
        _int(
            "parcels_outside_parks",
            "园区外地块数",
            "parcels outside parks",
            "parcels of the town outside every park",
        ),
    )
    + _LOW_SUMMARY
    + (_int("n_blocks", "连片数", "blocks", "contiguous blocks in the town"),),
)

DISTRICT = Table(
    "district",
    "全区",
    "district",
    False,
    (
        _txt("check", "检查项代码", "check", "code of the district check"),
        _txt("label", "检查项", "label", "the check in Chinese"),
        _txt("status", "结果", "status", "pass, fail, unknown or n/a", codes="status"),
        _c("value", "float", "实测值", "value", "", 0, "the measured value"),
        _c("threshold", "float", "标准", "threshold", "", 0, "the threshold of the policy"),
        _txt("missing_parks", "缺数据园区", "parks without data", "parks lacking the figure"),
        _txt("source", "依据", "source", "the clause"),
    ),
)

QUALITY = Table(
    "quality",
    "数据质量",
    "data quality",
    False,
    (
        _txt("layer", "图层", "layer", "input layer of the finding", codes="layer"),
        _txt("file", "文件", "file", "input file of the finding"),
        _txt("id", "编号", "ID", "ID of the row concerned"),
        _txt("column", "字段", "column", "column concerned"),
        _txt("check", "检查项", "check", "code of the check"),
        _txt("severity", "级别", "severity", "error, warning or info", codes="severity"),
        _txt("label", "说明", "label", "the check in Chinese"),
        _txt("detail", "详情", "detail", "what was found or repaired"),
    ),
)

RULES = Table(
    "rules",
    "规则",
    "rules",
    False,
    (
        _txt("key", "参数", "key", "project-file key ([policy])"),
        _txt("value", "取值", "value", "the value applied", codes="rule_value"),
        _txt("unit", "单位", "unit", "its unit", codes="rule_unit"),
        _txt("source", "依据", "source", "the clause or rule it comes from", codes="rule_source"),
        _txt("label", "说明", "label", "the rule in Chinese"),
    ),
)

META = Table(
    "meta",
    "运行信息",
    "run metadata",
    False,
    (
        _txt("key", "项目", "key", "title, audit_date, as_of, crs, engine, version, policy …"),
        _txt("value", "取值", "value", "its value (the policy as JSON)"),
    ),
)

INPUTS = Table(
    "inputs",
    "输入",
    "inputs",
    False,
    (
        _txt("key", "输入", "input", "kind of input"),
        _txt("value", "来源", "source", "file, layer and rows (passwords removed)"),
    ),
)

# -- evaluations (issue 15) and the three kinds of low-efficiency land (issue 14) ---------

_EVAL_DTYPES = {"float64": "float", "Int64": "integer", "string": "text"}

#: The code table of each evaluation column whose unit is ``"code"``: the workbook shows
#: its values as these Chinese words, as it does every other code column.
_EVAL_CODES = {
    "supply_status": "supply_status",
    "mj_class_source": "eval_source",
    "level": "eval_level",
}


def _evaluation(
    spec: Mapping[str, tuple], names: tuple[str, ...] | None = None, *, optional: bool = True
) -> tuple:
    """Columns from an evaluation's declarations (:mod:`xsland.rules.evaluation_columns`);
    ``optional`` unless the evaluation is written by every audit (the intensity layer)."""
    out = []
    for name, (dtype, unit, zh, en, description, decimals) in spec.items():
        if names is not None and name not in names:
            continue
        kind = _EVAL_DTYPES[dtype]
        shown = "" if unit in ("", "code", "class", "rank") else unit
        out.append(
            Column(
                name,
                kind,
                zh,
                en,
                "share" if unit == "share" else shown,
                decimals if kind != "text" else None,
                description or en,
                codes=_EVAL_CODES[name] if unit == "code" else None,
                percent=unit == "share",
                optional=optional,
            )
        )
    return tuple(out)


_KIND_ZH = {"plan": "不符合规划", "industry": "不符合产业定位", "inefficient": "不符合高效配置"}


def _kind_summary() -> tuple:
    cols = []
    for kind, zh in _KIND_ZH.items():
        cols += [
            _int(f"n_lu_{kind}", f"低效类型地块数:{zh}", f"parcels of kind {kind}", f"kind {kind}"),
            _c(f"lu_{kind}_mu", "float", f"低效类型用地(亩):{zh}", f"{kind} land (mu)", "亩", 2,
               f"area of the parcels of kind {kind}"),
            _int(f"n_only_{kind}", f"仅因{zh}的地块数", f"parcels only of kind {kind}",
                 f"parcels whose only kind is {kind}"),
            _c(f"only_{kind}_mu", "float", f"仅因{zh}(亩)", f"only {kind} land (mu)", "亩", 2,
               f"area of the parcels whose only kind is {kind}"),
        ]  # fmt: skip
    return tuple(c.__class__(**{**c.__dict__, "optional": True}) for c in cols)


_SUPPLY_PARCEL = ("supply_status", "supply_status_zh", "supply_rule")
_SUPPLY_RATES = tuple(n for n in SUPPLY_COLUMNS if n not in _SUPPLY_PARCEL)


def _extend(table: Table, columns: tuple) -> Table:
    known = set(table.names)
    extra = tuple(c for c in columns if c.name not in known)
    return Table(
        table.name, table.zh, table.en, table.geometry, table.columns + extra,
        table.prefixes, table.passthrough,
    )  # fmt: skip


PARKS = _extend(
    PARKS,
    (
        _txt("related_industries", "相关配套产业", "related industries",
             "the park's related and supporting industries (、-separated)", optional=True),
    )
    + _kind_summary()
    + _evaluation(SUPPLY_COLUMNS, _SUPPLY_RATES),
)  # fmt: skip
PARK_ZONES = _extend(
    PARK_ZONES,
    (
        _txt("related_industries", "相关配套产业", "related industries",
             "the park's related and supporting industries (、-separated)", optional=True),
    ),
)  # fmt: skip
TOWNS = _extend(TOWNS, _kind_summary() + _evaluation(SUPPLY_COLUMNS, _SUPPLY_RATES))
PARCELS = _extend(
    PARCELS,
    tuple(
        _c(f"lu_{kind}", "boolean", f"低效类型:{zh}", f"low-efficiency kind: {kind}",
           description=f"clause 二(一)3: {kind} (counted when in lowuse_kinds)")
        for kind, zh in _KIND_ZH.items()
    )
    + (
        _txt("kinds", "低效类型代码", "kind codes", "kinds that apply, ;-separated"),
        _txt("kinds_zh", "低效类型", "kinds", "the kinds that apply, in Chinese"),
    )
    + _evaluation(SUPPLY_COLUMNS, _SUPPLY_PARCEL),
)  # fmt: skip
#: The columns of the parcels sheet of ``audit.xlsx`` (待处理地块), in order: what a town
#: office acts on — who and where, the land use, the area, the FAR against its minimum,
#: whether and why the parcel is low-efficiency, and its block (the route is on the blocks
#: sheet). Every other column is in the full parcel table (``audit.gpkg`` layer
#: ``parcels``, and GeoParquet when written), which the workbook's first sheet names.
WORKBOOK_PARCEL_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "park_id",
    "zone",
    "town",
    "enterprise_id",
    "owner",
    "land_use",
    "category",
    "area_mu",
    "far",
    "far_min",
    "far_ok",
    "coverage",
    "low_efficiency",
    "kinds_zh",
    "reasons_zh",
    "reasons_detail",
    "supply_status_zh",
    "eval_class",
    "tax_per_mu",
    "block_id",
)
assert set(WORKBOOK_PARCEL_COLUMNS) <= set(PARCELS.names), "declare the column in PARCELS"
BLOCKS = _extend(
    BLOCKS,
    (
        _c("industry_only_mu", "float", "仅因产业定位低效(亩)", "industry-only land (mu)", "亩", 2,
           "land low-efficiency only for industrial positioning"),
        _share("industry_only_share", "仅因产业定位低效占比", "industry-only share",
               "industry-only land / block land"),
    ),
)  # fmt: skip
ENTERPRISES = _extend(ENTERPRISES, _evaluation(MUJUN_COLUMNS))
INTENSITY = Table(
    "intensity", "集约评价", "intensity", False, _evaluation(INTENSITY_COLUMNS, optional=False)
)


def _with_inputs(table: Table, names: tuple[str, ...]) -> Table:
    """``table`` with the columns ``names`` marked optional: they hold an input's own values
    (a parcel's land use, owner, supply date; a park's zones; an enterprise's name) and
    are written only when the input has them, so an audit of parcels without owners has
    no ``owner``."""
    assert set(names) <= set(table.names), names
    columns = tuple(replace(c, optional=True) if c.name in names else c for c in table.columns)
    return replace(table, columns=columns)


PARKS = _with_inputs(PARKS, ("area_core_m2", "area_expansion_m2"))
PARK_ZONES = _with_inputs(PARK_ZONES, ("town", "park_type", "leading_industry", "zone"))
PARCELS = _with_inputs(
    PARCELS,
    ("land_use", "supply_date", "start_deadline", "enterprise_id", "owner", "floor_area_declared"),
)
BLOCK_MEMBERS = _with_inputs(BLOCK_MEMBERS, ("owner", "enterprise_id"))
ENTERPRISES = _with_inputs(ENTERPRISES, ("name", "industry"))

#: Every output table by name, in the order they are written.
TABLES: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            PARKS,
            PARK_ZONES,
            PARCELS,
            BLOCKS,
            BLOCK_MEMBERS,
            ENTERPRISES,
            TOWNS,
            DISTRICT,
            INTENSITY,
            QUALITY,
            RULES,
            META,
            INPUTS,
        )
    }
)


def get_table(name: str) -> Table:
    """The declaration of output table ``name``."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no output table {name!r}; tables: {', '.join(TABLES)}") from None
