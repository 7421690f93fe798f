"""Every threshold xsland applies, with its unit and its source.

One frozen :class:`Policy` holds the rules of SPEC §2 and the data-quality
tolerances. Each field carries metadata — unit, source (a clause of
锡府办规〔2025〕1号, a national rule, or "local parameter") and a Chinese label —
so reports can print the rules they used. Change a rule with
:meth:`Policy.replace` or a project file's ``[policy]`` table
(:meth:`Policy.from_mapping`); nothing reads globals.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from xsland.errors import PolicyError

# the default category map is the land-use vocabulary's categories (one table)
from xsland.rules.landuse import DEFAULT_CATEGORY_MAP

__all__ = [
    "Policy",
    "DEFAULT_POLICY",
    "CATEGORIES",
    "DEFAULT_CATEGORY_MAP",
    "EVAL_METHODS",
    "split_list",
    "LOWUSE_KINDS",
    "LOWUSE_RULE_KIND",
    "LOWUSE_RULES",
]

#: The policy categories of a parcel (SPEC §2).
CATEGORIES = (
    "new_industrial",
    "standard_factory",
    "new_type_industrial",
    "industrial",
    "logistics",
    "other",
)

#: Stable codes of the low-efficiency rules (低效用地认定), in the order reports list them;
#: :mod:`xsland.judge.lowuse` gives each its Chinese label and source.
LOWUSE_RULES = (
    "far_low",
    "coverage_low",
    "idle",
    "eval_class",
    "tax_low",
    "plan_nonconforming",
    "industry_mismatch",
    "built_but_bare",
)
#: Rules on unless the project file says otherwise ("built_but_bare" needs a land-cover
#: raster and is off by default).
LOWUSE_RULES_DEFAULT = tuple(r for r in LOWUSE_RULES if r != "built_but_bare")

#: The three kinds of low-efficiency land of clause 二(一)3 (不符合规划、不符合产业发展定位、
#: 不符合高效配置原则), in the order reports list them.
LOWUSE_KINDS = ("plan", "industry", "inefficient")
#: The kind each rule belongs to.
LOWUSE_RULE_KIND = MappingProxyType(
    {
        "far_low": "inefficient",
        "coverage_low": "inefficient",
        "idle": "inefficient",
        "eval_class": "inefficient",
        "tax_low": "inefficient",
        "plan_nonconforming": "plan",
        "industry_mismatch": "industry",
        "built_but_bare": "inefficient",
    }
)
assert tuple(LOWUSE_RULE_KIND) == LOWUSE_RULES and set(LOWUSE_RULE_KIND.values()) == set(
    LOWUSE_KINDS
)

#: How enterprises without an evaluation class get one derived (亩均效益评价).
EVAL_METHODS = ("percentile", "score")

_CL1 = "锡府办规〔2025〕1号 二(一)1"
_CL3 = "锡府办规〔2025〕1号 二(一)3"
_CL4 = "锡府办规〔2025〕1号 二(二)4"
_CL5 = "锡府办规〔2025〕1号 二(二)5"
_CL7 = "锡府办规〔2025〕1号 二(三)7"
_CL11 = "锡府办规〔2025〕1号 二(四)11"
_NATIONAL = "工业项目建设用地控制指标 (自然资发〔2023〕72号)"
_IDLE = "闲置土地处置办法 (国土资源部令第53号, 2012) 第二条"
_LOCAL = "local parameter"
_CITY = "锡政办规〔2025〕1号"
_EVAL = "工业企业资源利用绩效评价 (亩均效益评价, 江苏各市办法); local parameter"
_TDT = "开发区土地集约利用评价规程 (TD/T 1029)"
_ILL = "illustrative default (TD/T 1029 leaves ideal values and weights to local evaluation)"
_MJ = "无锡市工业企业资源集约利用综合评价 (4+T); weights, shares illustrative"
_ROUTE = "锡府办规〔2025〕1号 二(一)3 (连片改造、置换盘活、收储盘活); local parameter"
_PLAUSIBLE_FLOORS = (
    "plausibility: the tallest building has 163 floors (Burj Khalifa); local parameter"
)
_PLAUSIBLE_HEIGHT = (
    "plausibility: the tallest buildings are 632 m (Shanghai Tower) and 828 m; local parameter"
)
_PLAUSIBLE_STOREY = (
    "plausibility: single-storey industrial halls reach about 24–30 m; local parameter"
)
_PLAUSIBLE_FAR = "plausibility: CBD towers reach FAR 15–20, industrial land 1–4; local parameter"
_PLAUSIBLE_AREA = (
    "plausibility: a parcel or building above 5 km² is unlikely; 1000 km² exceeds "
    "锡山区 (about 400 km²); local parameter"
)
_PLAUSIBLE_MONEY = (
    "plausibility: 1000亿元 (1e7 万元) is a very large firm; 10万亿元 (1e9 万元) exceeds "
    "any company (typical error: 元 written where 万元 is meant); local parameter"
)
_PLAUSIBLE_COUNT = "plausibility: events or platforms per park and year; local parameter"
_PLAUSIBLE_DATE = (
    "plausibility: land-use rights are recorded from 1987 on; earlier or far-future "
    "dates are placeholders or typing errors; local parameter"
)


def _rule(default: Any, unit: str, source: str, label: str, **kw: Any) -> Any:
    meta = {"unit": unit, "source": source, "label": label}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use immutable defaults")
    return field(default=default, metadata=meta, **kw)


@dataclass(frozen=True)
class Policy:
    """The rules of the audit (SPEC §2), each with its unit and source.

    Every attribute is documented by its field metadata; ``Policy.table()``
    lists them. Shares are fractions (0.6 = 60 %).
    """

    policy_date: _dt.date = _rule(
        _dt.date(2025, 8, 29),
        "date",
        "锡府办规〔2025〕1号 (印发 2025-08-29)",
        "政策施行日期: 此后供地为新增用地",
    )
    district_park_max_km2: float = _rule(3.0, "km²", _CL1, "片区型园区面积上限")
    far_min_new_industrial: float = _rule(1.5, "FAR", _CL1, "新增工业项目用地容积率下限")
    far_min_standard_factory: float = _rule(2.0, "FAR", _CL1, "高标准厂房用地容积率下限")
    far_min_new_type_industrial: float = _rule(2.5, "FAR", _CL1, "新型产业用地容积率下限")
    leading_revenue_share_min: float = _rule(0.60, "share", _CL4, "主导产业营收占比下限")
    leading_count_share_min: float = _rule(0.60, "share", _CL4, "主导产业企业数占比下限")
    chain_leaders_min: int = _rule(1, "enterprises", _CL4, "每园区链主企业下限")
    promotion_events_min: int = _rule(2, "events/year", _CL5, "每年招商活动场次下限")
    innovation_platforms_min: int = _rule(
        7, "platforms", _CL7, "全区省级以上创新平台下限(2027年底)"
    )
    industry_fund_min_wan: float = _rule(5000.0, "万元", _CL11, "园区产业基金规模下限(设立时)")
    target_date: _dt.date = _rule(_dt.date(2027, 12, 31), "date", _CL4, "目标年底")
    coverage_min: float = _rule(0.30, "share", _NATIONAL, "工业用地建筑系数下限")
    tall_storey_m: float = _rule(8.0, "m", _NATIONAL, "层高超过该值按两层计算容积率")
    tall_storey_counts_double: bool = _rule(True, "flag", _NATIONAL, "高层高按两层计")
    default_storey_height_m: float = _rule(4.5, "m", _LOCAL, "仅有高度时的默认层高")
    idle_after_years: float = _rule(1.0, "years", _IDLE, "约定动工日期后未动工年限(闲置)")
    idle_start_after_supply_months: int = _rule(
        12, "months", _LOCAL, "无约定动工日期时: 供地后视为应动工的月数"
    )
    lowuse_far_max: float = _rule(1.0, "FAR", _LOCAL, "存量工业低效用地容积率阈值(低于)")
    lowuse_classes: tuple[str, ...] = _rule(("D",), "classes", _CL3, "低效企业评价类别")
    per_mu_tax_floor_wan: float | None = _rule(None, "万元/亩", _LOCAL, "亩均税收下限(未设)")
    block_gap_m: float = _rule(15.0, "m", _LOCAL, "连片归并容差(道路、缝隙)")
    block_min_mu: float = _rule(30.0, "亩", _LOCAL, "连片地块最小面积")
    reward_per_mu_wan: float | None = _rule(None, "万元/亩", _CITY, "连片净地奖励标准(未设)")
    # low-efficiency land (低效用地, clause 二(一)3): which rules, and how they judge
    lowuse_rules: tuple[str, ...] = _rule(
        LOWUSE_RULES_DEFAULT, "codes", _CL3, "启用的低效用地认定规则(代码)"
    )
    lowuse_kinds: tuple[str, ...] = _rule(
        LOWUSE_KINDS,
        "kinds",
        _CL3,
        "计入低效用地的类型(plan 不符合规划/industry 不符合产业定位/inefficient 不符合高效配置)",
    )
    lowuse_bare_share_min: float = _rule(
        0.5, "share", _LOCAL, "申报已建但遥感裸地占比不低于该值即为低效(built_but_bare)"
    )
    lowuse_far_below_minimum: bool = _rule(
        True, "flag", _CL1, "新增/高标准厂房/新型产业用地: 容积率低于二(一)1下限即为低效"
    )
    lowuse_far_max_logistics: float | None = _rule(
        None, "FAR", _LOCAL, "物流仓储用地低效容积率阈值(低于; 未设则不判)"
    )
    lowuse_class_years: int = _rule(1, "years", _CL3, "连续评为低效类别的年数(≥2需历史评价表)")
    lowuse_use_derived_class: bool = _rule(True, "flag", _CL3, "无评价结果的企业按推算类别认定")
    plan_dominant_share_min: float = _rule(
        0.5, "share", _LOCAL, "规划符合性: 主导规划用途覆盖地块面积比例下限"
    )
    # deriving the evaluation class (亩均效益评价) where none is given
    eval_method: str = _rule("percentile", "method", _EVAL, "推算评价类别方法(percentile/score)")
    eval_weight_tax: float = _rule(0.6, "weight", _EVAL, "推算评价: 亩均税收权重")
    eval_weight_revenue: float = _rule(0.4, "weight", _EVAL, "推算评价: 亩均营收权重")
    eval_ratio_cap: float = _rule(2.0, "× mean", _EVAL, "推算评价: 单项指标/全区均值 封顶")
    eval_percentile_a: float = _rule(0.80, "share", _EVAL, "百分位法: 得分百分位高于此为A类")
    eval_percentile_b: float = _rule(0.40, "share", _EVAL, "百分位法: 得分百分位高于此为B类")
    eval_percentile_c: float = _rule(0.15, "share", _EVAL, "百分位法: 得分百分位高于此为C类")
    eval_score_a: float = _rule(120.0, "score", _EVAL, "得分法: 得分不低于此为A类(均值=100)")
    eval_score_b: float = _rule(80.0, "score", _EVAL, "得分法: 得分不低于此为B类")
    eval_score_c: float = _rule(50.0, "score", _EVAL, "得分法: 得分不低于此为C类")
    # intensive-use evaluation (开发区土地集约利用评价, xsland.judge.intensity)
    zone_industrial_share_min: float = _rule(
        0.30, "share", _TDT, "工业主导型: 工矿仓储用地占已建成城镇建设用地比例高于"
    )
    zone_residential_share_max: float = _rule(
        0.25, "share", _TDT, "工业主导型: 住宅用地占已建成城镇建设用地比例低于"
    )
    ideal_supply_rate: float = _rule(1.0, "share", _ILL, "集约评价理想值: 土地供应率")
    ideal_built_rate: float = _rule(1.0, "share", _ILL, "集约评价理想值: 土地建成率")
    ideal_industrial_rate: float = _rule(0.60, "share", _ILL, "集约评价理想值: 工业用地率")
    ideal_far_all: float = _rule(1.2, "FAR", _ILL, "集约评价理想值: 综合容积率")
    ideal_building_density: float = _rule(0.40, "share", _ILL, "集约评价理想值: 建筑密度")
    ideal_far_industrial: float = _rule(
        1.5, "FAR", _CL1 + "; illustrative", "集约评价理想值: 工业用地综合容积率"
    )
    ideal_coverage_industrial: float = _rule(
        0.50, "share", _ILL, "集约评价理想值: 工业用地建筑系数"
    )
    ideal_tax_per_ha_industrial: float = _rule(
        1000.0, "万元/ha", _ILL, "集约评价理想值: 工业用地地均税收"
    )
    ideal_investment_per_ha: float = _rule(
        5000.0, "万元/ha", _ILL, "集约评价理想值: 工业用地固定资产投入强度"
    )
    ideal_idle_rate: float = _rule(0.0, "share", _ILL, "集约评价理想值: 土地闲置率(越低越好)")
    weight_supply_rate: float = _rule(0.10, "weight", _ILL, "集约评价权重: 土地供应率")
    weight_built_rate: float = _rule(0.10, "weight", _ILL, "集约评价权重: 土地建成率")
    weight_industrial_rate: float = _rule(0.05, "weight", _ILL, "集约评价权重: 工业用地率")
    weight_far_all: float = _rule(0.10, "weight", _ILL, "集约评价权重: 综合容积率")
    weight_building_density: float = _rule(0.10, "weight", _ILL, "集约评价权重: 建筑密度")
    weight_far_industrial: float = _rule(0.15, "weight", _ILL, "集约评价权重: 工业用地综合容积率")
    weight_coverage_industrial: float = _rule(
        0.10, "weight", _ILL, "集约评价权重: 工业用地建筑系数"
    )
    weight_tax_per_ha_industrial: float = _rule(
        0.15, "weight", _ILL, "集约评价权重: 工业用地地均税收"
    )
    weight_investment_per_ha: float = _rule(
        0.05, "weight", _ILL, "集约评价权重: 工业用地固定资产投入强度"
    )
    weight_idle_rate: float = _rule(0.10, "weight", _ILL, "集约评价权重: 土地闲置率")
    # 亩均效益 classes, the Wuxi way (xsland.judge.mujun)
    mujun_weight_tax_per_mu: float = _rule(40.0, "points", _MJ, "亩均效益: 亩均税收权重分")
    mujun_weight_revenue_per_mu: float = _rule(30.0, "points", _MJ, "亩均效益: 亩均营收权重分")
    mujun_weight_revenue_per_energy: float = _rule(
        15.0, "points", _MJ, "亩均效益: 单位能耗营收权重分(有能耗列时)"
    )
    mujun_weight_rd_share: float = _rule(
        15.0, "points", _MJ, "亩均效益: 研发经费占营收比重权重分(有研发列时)"
    )
    mujun_benchmark_tax_per_mu: float | None = _rule(
        None, "万元/亩", _MJ, "亩均效益基准值: 亩均税收(未设则用全区均值)"
    )
    mujun_benchmark_revenue_per_mu: float | None = _rule(
        None, "万元/亩", _MJ, "亩均效益基准值: 亩均营收(未设则用全区均值)"
    )
    mujun_benchmark_revenue_per_energy: float | None = _rule(
        None, "万元/吨标煤", _MJ, "亩均效益基准值: 单位能耗营收(未设则用全区均值)"
    )
    mujun_benchmark_rd_share: float | None = _rule(
        None, "share", _MJ, "亩均效益基准值: 研发经费占营收比重(未设则用全区均值)"
    )
    mujun_ratio_cap: float = _rule(2.0, "× benchmark", _MJ, "亩均效益: 单项指标/基准值 封顶")
    mujun_bonus_chain_leader: float = _rule(5.0, "points", _MJ, "亩均效益加分: 链主企业")
    mujun_bonus_high_tech: float = _rule(5.0, "points", _MJ, "亩均效益加分: 高新技术企业")
    mujun_minus_violation: float = _rule(
        10.0, "points", _MJ, "亩均效益减分: 安全/环保/失信等违规记录"
    )
    mujun_share_a: float = _rule(0.20, "share", _MJ, "亩均效益: 排名前此比例为A类")
    mujun_share_b: float = _rule(0.50, "share", _MJ, "亩均效益: 其后此比例为B类")
    mujun_share_c: float = _rule(0.25, "share", _MJ, "亩均效益: 其后此比例为C类(余为D类)")
    mujun_exempt_years: int = _rule(
        3, "years", _MJ, "亩均效益: 成立/投产不满此年数的企业暂不评价(T类)"
    )
    # contiguous blocks (连片): outline and route
    block_hole_fill_m2: float = _rule(1000.0, "m²", _LOCAL, "连片轮廓: 填补小于此面积的内洞")
    route_reserve_share_min: float = _rule(
        0.5, "share", _ROUTE, "收储盘活: 闲置/未建/低效类别/无主体用地占比不低于"
    )
    route_industry_share_min: float = _rule(
        0.5, "share", _ROUTE, "置换盘活: 仅产业定位不符(用地高效)的用地占比不低于"
    )
    route_redevelop_owners_max: int = _rule(
        3, "owners", _ROUTE, "连片改造: 权利人个数不超过(且面积达到连片下限)"
    )
    # data quality (SPEC §3, "Data quality")
    sliver_max_area_m2: float = _rule(100.0, "m²", _LOCAL, "碎片地块: 面积小于")
    sliver_min_width_m: float = _rule(2.0, "m", _LOCAL, "碎片地块: 平均宽度(2A/P)小于")
    straddle_min_share: float = _rule(0.01, "share", _LOCAL, "跨园区边界: 次要部分占比超过")
    overlap_min_m2: float = _rule(1.0, "m²", _LOCAL, "地块重叠: 重叠面积超过")
    declared_area_tolerance: float = _rule(0.05, "share", _LOCAL, "用地面积核查: 相对差超过")
    duplicate_building_iou_min: float = _rule(
        0.95, "share", _LOCAL, "重复建筑轮廓: 交并比超过该值只计一次"
    )
    floor_area_footprint_tolerance: float = _rule(
        0.05,
        "share",
        _LOCAL,
        "记录的建筑面积低于地块内建筑基底面积超过该比例即与几何矛盾(改用建筑推算)",
    )
    land_use_unknown_share_max: float = _rule(
        0.5,
        "share",
        _LOCAL,
        "用地性质无法识别的地块占比超过该值即停止(需在 [policy.category_map] 中对照)",
    )
    # plausibility of input values (issues 12, 18): above ``warn_max_*`` a value is listed
    # in the quality table; above ``error_max_*`` it is refused as impossible
    warn_max_floors: float = _rule(200.0, "层", _PLAUSIBLE_FLOORS, "层数: 超过此值列为可疑")
    error_max_floors: float = _rule(1000.0, "层", _PLAUSIBLE_FLOORS, "层数: 超过此值视为错误")
    warn_max_height_m: float = _rule(700.0, "m", _PLAUSIBLE_HEIGHT, "建筑高度: 超过此值列为可疑")
    error_max_height_m: float = _rule(2000.0, "m", _PLAUSIBLE_HEIGHT, "建筑高度: 超过此值视为错误")
    warn_max_storey_height_m: float = _rule(30.0, "m", _PLAUSIBLE_STOREY, "层高: 超过此值列为可疑")
    error_max_storey_height_m: float = _rule(
        200.0, "m", _PLAUSIBLE_STOREY, "层高: 超过此值视为错误"
    )
    warn_max_far: float = _rule(20.0, "FAR", _PLAUSIBLE_FAR, "申报容积率: 超过此值列为可疑")
    error_max_far: float = _rule(200.0, "FAR", _PLAUSIBLE_FAR, "申报容积率: 超过此值视为错误")
    warn_max_area_m2: float = _rule(
        5e6, "m²", _PLAUSIBLE_AREA, "用地/建筑面积: 超过此值列为可疑(5平方公里)"
    )
    error_max_area_m2: float = _rule(
        1e9, "m²", _PLAUSIBLE_AREA, "用地/建筑面积: 超过此值视为错误(1000平方公里)"
    )
    warn_max_revenue_wan: float = _rule(1e7, "万元", _PLAUSIBLE_MONEY, "企业营收: 超过此值列为可疑")
    error_max_revenue_wan: float = _rule(
        1e9, "万元", _PLAUSIBLE_MONEY, "企业营收: 超过此值视为错误"
    )
    warn_max_tax_wan: float = _rule(1e6, "万元", _PLAUSIBLE_MONEY, "企业税收: 超过此值列为可疑")
    error_max_tax_wan: float = _rule(1e8, "万元", _PLAUSIBLE_MONEY, "企业税收: 超过此值视为错误")
    warn_max_fund_wan: float = _rule(
        1e7, "万元", _PLAUSIBLE_MONEY, "园区产业基金: 超过此值列为可疑"
    )
    error_max_fund_wan: float = _rule(
        1e9, "万元", _PLAUSIBLE_MONEY, "园区产业基金: 超过此值视为错误"
    )
    warn_max_count: float = _rule(
        1000.0, "count", _PLAUSIBLE_COUNT, "招商活动/创新平台数: 超过此值列为可疑"
    )
    error_max_count: float = _rule(
        1e6, "count", _PLAUSIBLE_COUNT, "招商活动/创新平台数: 超过此值视为错误"
    )
    date_min: _dt.date = _rule(
        _dt.date(1950, 1, 1), "date", _PLAUSIBLE_DATE, "供地/动工日期: 早于此日期列出且不用"
    )
    date_max: _dt.date = _rule(
        _dt.date(2100, 12, 31), "date", _PLAUSIBLE_DATE, "供地/动工日期: 晚于此日期列出且不用"
    )
    category_map: Mapping[str, str] = field(
        default_factory=lambda: DEFAULT_CATEGORY_MAP,
        hash=False,
        metadata={"unit": "code → category", "source": _LOCAL, "label": "用地分类对照表"},
    )
    related_industries: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}),
        hash=False,
        metadata={
            "unit": "park_id → industries",
            "source": "锡府办规〔2025〕1号 二(一)1 (产业定位), 二(二)4",
            "label": "园区相关/配套产业(与主导产业同属产业定位)",
        },
    )

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("unit") in {"share"} and value is not None:
                if not 0 <= value <= 1:
                    problems.append(f"{f.name} = {value!r} must be a share between 0 and 1")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < 0:
                    problems.append(f"{f.name} = {value!r} must not be negative")
        bad = {v for v in self.category_map.values() if v not in CATEGORIES}
        if bad:
            problems.append(
                f"category_map uses unknown categories {sorted(bad)}; use {', '.join(CATEGORIES)}"
            )
        problems += _check_lowuse(self)
        problems += _check_bounds(self)
        problems += _check_evaluations(self)
        if problems:
            raise PolicyError("invalid policy: " + "; ".join(problems))
        if not isinstance(self.category_map, MappingProxyType):
            object.__setattr__(self, "category_map", MappingProxyType(dict(self.category_map)))
        object.__setattr__(self, "lowuse_classes", tuple(self.lowuse_classes))
        object.__setattr__(self, "lowuse_rules", tuple(self.lowuse_rules))
        object.__setattr__(self, "lowuse_kinds", tuple(self.lowuse_kinds))
        related = {str(k).strip(): split_list(v) for k, v in self.related_industries.items()}
        object.__setattr__(self, "related_industries", MappingProxyType(related))

    # -- construction -----------------------------------------------------------------
    def replace(self, **changes: Any) -> Policy:
        """A copy with some rules changed (validated like a project file)."""
        return self.from_mapping(changes, base=self)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, base: Policy | None = None, where: str = "policy"
    ) -> Policy:
        """Build a policy from a mapping such as a project file's ``[policy]`` table.

        Unknown keys and values of the wrong type raise :class:`PolicyError`
        naming the key (``where`` says in which file or table it was).
        """
        base = base or cls()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        problems: list[str] = []
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=2, cutoff=0.75)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                problems.append(f"{where}.{key}: unknown key{hint}")
                continue
            try:
                changes[key] = _coerce(value, getattr(base, key), fields[key])
            except (TypeError, ValueError) as exc:
                problems.append(f"{where}.{key}: {exc}")
        if problems:
            error = PolicyError("invalid project file: " + "; ".join(problems))
            error.problems = problems
            raise error
        return dataclasses.replace(base, **changes)

    # -- reporting --------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The rules as a table: ``key``, ``value``, ``unit``, ``source``, ``label``."""
        rows = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = "; ".join(  # by key: the same text whatever order it was given in
                    f"{k}→{'、'.join(v) if isinstance(v, tuple) else v}" for k, v in _by_key(value)
                )
            elif isinstance(value, tuple):
                value = ", ".join(value)
            rows.append(
                {
                    "key": f.name,
                    "value": "unset" if value is None else str(value),
                    "unit": f.metadata["unit"],
                    "source": f.metadata["source"],
                    "label": f.metadata["label"],
                }
            )
        return pd.DataFrame(rows)

    def changed(self) -> dict[str, str]:
        """The rules that differ from the default policy: ``key -> value`` as shown.

        Outputs name these so that a reader sees what was judged (a project file that
        lowers a threshold is visible, never only in the verdicts).

        >>> Policy().replace(block_min_mu=20.0).changed()
        {'block_min_mu': '20'}
        """
        default = Policy()
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, float):
                out[f.name] = f"{value:g}"
            elif isinstance(value, Mapping):
                out[f.name] = "; ".join(f"{k}→{v}" for k, v in _by_key(value))
            elif isinstance(value, tuple):
                out[f.name] = ", ".join(str(v) for v in value)
            else:
                out[f.name] = "unset" if value is None else str(value)
        return out

    def far_min(self, category: str) -> float | None:
        """The FAR minimum of a policy category (clause 二(一)1), ``None`` if none."""
        return {
            "new_industrial": self.far_min_new_industrial,
            "standard_factory": self.far_min_standard_factory,
            "new_type_industrial": self.far_min_new_type_industrial,
        }.get(category)


def _check_bounds(p: Policy) -> list[str]:
    """Each plausibility warning bound must not exceed its error bound."""
    problems = []
    for f in dataclasses.fields(p):
        if f.name.startswith("warn_max_"):
            hard = "error_max_" + f.name[len("warn_max_") :]
            if getattr(p, f.name) > getattr(p, hard):
                problems.append(f"{f.name} must not exceed {hard}")
    if p.date_min >= p.date_max:
        problems.append("date_min must be before date_max")
    return problems


_LIST_SEPARATORS = r"[、,;，；/|\n]+"


def split_list(value: Any) -> tuple[str, ...]:
    """A list of names from text (``"新材料、检测;物流"``) or a list, cleaned and unique.

    Separators: 、 , ; ， ； / | and line breaks; blanks and repeats are dropped, order kept.
    ``None``, NaN and empty text give ``()``.
    """
    import re

    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        if item is None or (isinstance(item, float) and item != item):
            continue
        names += [t.strip() for t in re.split(_LIST_SEPARATORS, str(item))]
    return tuple(dict.fromkeys(t for t in names if t))


def _check_lowuse(p: Policy) -> list[str]:
    """Problems with the low-efficiency, evaluation and route settings (empty when fine)."""
    problems = []
    wrong = [k for k in p.lowuse_kinds if k not in LOWUSE_KINDS]
    if wrong:
        problems.append(f"lowuse_kinds has unknown kinds {wrong}; use {', '.join(LOWUSE_KINDS)}")
    bad = [r for r in p.lowuse_rules if r not in LOWUSE_RULES]
    if bad:
        problems.append(f"lowuse_rules has unknown codes {bad}; use {', '.join(LOWUSE_RULES)}")
    if p.eval_method not in EVAL_METHODS:
        problems.append(f"eval_method = {p.eval_method!r}; use {' or '.join(EVAL_METHODS)}")
    if not p.eval_weight_tax + p.eval_weight_revenue > 0:
        problems.append("eval_weight_tax + eval_weight_revenue must be more than 0")
    for kind in ("percentile", "score"):
        a, b, c = (getattr(p, f"eval_{kind}_{k}") for k in "abc")
        if not a > b > c:
            problems.append(
                f"eval_{kind}_a > eval_{kind}_b > eval_{kind}_c must hold, not {a} / {b} / {c}"
            )
    if p.lowuse_class_years < 1:
        problems.append(f"lowuse_class_years = {p.lowuse_class_years} must be 1 or more")
    return problems


def _check_evaluations(p: Policy) -> list[str]:
    """Problems with the intensive-use and 亩均效益 settings (empty when fine)."""
    problems = []
    shares = p.mujun_share_a + p.mujun_share_b + p.mujun_share_c
    if shares > 1 + 1e-9:
        problems.append(
            f"mujun_share_a + mujun_share_b + mujun_share_c = {shares:g} must not exceed 1"
        )
    if p.ideal_idle_rate >= 1:
        problems.append("ideal_idle_rate must be below 1")
    return problems


def _project_text(value: Any) -> str:
    """A code or name the project file gives, trimmed; a control character refused.

    A land-use code or park ID with a tab, a BEL or NUL in it matches no parcel's code
    (validation keeps such characters in data other than NUL, and a code in the data
    with one is an error of its own), so the rule would change nothing, silently; the
    workbook would cut it or escape it. Padding is dropped: matching ignores it anyway.
    """
    text = str(value).strip()
    bad = next((ch for ch in text if unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        raise ValueError(
            f"{text!r} holds a control character (U+{ord(bad):04X}); remove it from the "
            "project file"
        )
    return text


def _coerce(value: Any, current: Any, f: dataclasses.Field) -> Any:
    """Check and convert a project-file value to the type of the field."""
    name = f.name
    if name == "lowuse_kinds":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError('must be a list of kinds such as ["plan", "inefficient"]')
        bad = [v for v in value if v.strip().lower() not in LOWUSE_KINDS]
        if bad:
            raise ValueError(f"unknown kinds {bad}; use {', '.join(LOWUSE_KINDS)}")
        return tuple(dict.fromkeys(v.strip().lower() for v in value))
    if name == "related_industries":
        if not isinstance(value, Mapping):
            raise TypeError('must be a table of park_id = ["industry", …] (or "a、b")')
        out = {}
        for park, industries in value.items():
            if isinstance(industries, str):
                industries = split_list(industries)
            if not isinstance(industries, (list, tuple)) or not all(
                isinstance(v, str) for v in industries
            ):
                raise TypeError(f'{park}: must be a list of industries such as ["新材料", "检测"]')
            out[_project_text(park)] = tuple(_project_text(v) for v in split_list(industries))
        return MappingProxyType(out)
    if name == "lowuse_rules":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError('must be a list of rule codes such as ["far_low", "idle"]')
        bad = [v for v in value if v.strip().lower() not in LOWUSE_RULES]
        if bad:
            raise ValueError(f"unknown rules {bad}; use {', '.join(LOWUSE_RULES)}")
        return tuple(dict.fromkeys(v.strip().lower() for v in value))
    if name == "eval_method":
        if not isinstance(value, str) or value.strip().lower() not in EVAL_METHODS:
            raise ValueError(f"must be {' or '.join(repr(m) for m in EVAL_METHODS)}, not {value!r}")
        return value.strip().lower()
    if name == "category_map":
        if not isinstance(value, Mapping):
            raise TypeError("must be a table of land-use code = category")
        # entries add to (or change) the defaults; map a code to "other" to drop it
        added = {_project_text(k): _project_text(v) for k, v in value.items()}
        return MappingProxyType({**current, **added})
    if name == "lowuse_classes":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError('must be a list of classes such as ["D"] or ["C", "D"]')
        bad = [v for v in value if v.upper() not in {"A", "B", "C", "D"}]
        if bad:
            raise ValueError(f"unknown classes {bad}; use A, B, C or D")
        return tuple(v.upper() for v in value)
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, not {value!r}")
        return value
    if isinstance(current, _dt.date):
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"must be a date such as 2025-08-29, not {value!r}") from None
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "unset"}):
        if current is None or "None" in str(f.type):
            return None
        raise TypeError("may not be unset")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"must be a number, not {value!r}")
    if isinstance(current, int) and not isinstance(current, bool):
        if float(value) != int(value):
            raise ValueError(f"must be a whole number, not {value!r}")
        return int(value)
    return float(value)


DEFAULT_POLICY = Policy()


def _by_key(mapping: Mapping) -> list[tuple[Any, Any]]:
    """A mapping's items sorted by key (as text): how the rules show it.

    A policy read back from an audit (``meta``'s JSON) holds its mappings in another
    order than the project file gave; equal policies read the same.
    """
    return sorted(mapping.items(), key=lambda kv: str(kv[0]))
