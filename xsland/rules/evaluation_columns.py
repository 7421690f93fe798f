"""Output columns of the evaluations (issue 15): name -> (dtype, unit, Chinese label,
English label, description, precision), folded into :mod:`xsland.rules.columns`."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "INTENSITY_COLUMNS",
    "INTENSITY_LEVELS",
    "MUJUN_COLUMNS",
    "SUPPLY_COLUMNS",
    "SUPPLY_STATUSES",
]

#: Status code -> (Chinese, English). Codes are stable; order is the order of the rule.
SUPPLY_STATUSES: Mapping[str, tuple[str, str]] = {
    "built": ("已建成", "built"),
    "under_construction": ("在建", "under construction"),
    "idle": ("闲置", "idle"),
    "supplied_not_started": ("供而未用", "supplied, not started"),
    "approved_not_supplied": ("批而未供", "approved, not supplied"),
    "unknown": ("无法判定", "unknown"),
}

#: Level code of a row of the intensity evaluation -> (Chinese, English).
INTENSITY_LEVELS: Mapping[str, tuple[str, str]] = {
    "park": ("园区", "park"),
    "district": ("全区", "district"),
}

_T = tuple[str, str, str, str, str, int | None]


SUPPLY_COLUMNS: Mapping[str, _T] = {
    "supply_status": (
        "string",
        "code",
        "批供用状态",
        "approval-supply-use status",
        "built / under_construction / idle / supplied_not_started / approved_not_supplied "
        "/ unknown",
        None,
    ),
    "supply_status_zh": ("string", "", "批供用状态(中文)", "status (Chinese)", "", None),
    "supply_rule": (
        "string",
        "",
        "批供用判定依据",
        "status rule",
        "the rule that decided the status, with the dates and floor area it used",
        None,
    ),
    **{
        f"ss_{code}_ha": (
            "float64",
            "ha",
            f"{zh}面积(公顷)",
            f"{en} (ha)",
            f"area of parcels with status {code}",
            2,
        )
        for code, (zh, en) in SUPPLY_STATUSES.items()
    },
    "ss_approved_ha": (
        "float64",
        "ha",
        "已批准面积(公顷)",
        "approved (ha)",
        "area of parcels approved, supplied, started or built (status not unknown)",
        2,
    ),
    "ss_supplied_ha": (
        "float64",
        "ha",
        "已供应面积(公顷)",
        "supplied (ha)",
        "area of parcels supplied: built, under construction, idle or not started",
        2,
    ),
    "rate_not_supplied": (
        "float64",
        "share",
        "批而未供率",
        "approved-not-supplied rate",
        "approved_not_supplied / approved; null without approved land",
        4,
    ),
    "rate_not_used": (
        "float64",
        "share",
        "供而未用率",
        "supplied-not-used rate",
        "(supplied_not_started + idle) / supplied; null without supplied land",
        4,
    ),
    "rate_idle": (
        "float64",
        "share",
        "闲置率(批供用)",
        "idle rate",
        "idle / supplied; null without supplied land",
        4,
    ),
}


INTENSITY_COLUMNS: Mapping[str, _T] = {
    "park_id": ("string", "", "园区编号", "park ID", "the park; 'district' for all parks", None),
    "name": ("string", "", "园区名称", "park name", "", None),
    "level": ("string", "code", "评价层级", "level", "park or district", None),
    "zone_type": ("string", "", "开发区类型", "zone type", "工业主导型 / 产城融合型", None),
    "built_ha": ("float64", "ha", "已建成城镇建设用地(公顷)", "built land A (ha)", "", 2),
    "industrial_built_ha": (
        "float64", "ha", "工矿仓储用地(公顷)", "industrial and storage land A2 (ha)", "", 2
    ),
    "residential_built_ha": (
        "float64", "ha", "住宅用地(公顷)", "residential land (ha)", "built, code 07… / R…", 2
    ),
    "supplied_ha": ("float64", "ha", "已供应国有建设用地(公顷)", "supplied land D (ha)", "", 2),
    "ready_ha": (
        "float64", "ha", "已达供地条件未供应(公顷)", "ready for supply B21 (ha)", "", 2
    ),
    "idle_ha": ("float64", "ha", "闲置土地(公顷)", "idle land G (ha)", "", 2),
    "supply_rate": ("float64", "share", "土地供应率", "supply rate", "D / (A + B21'), TD/T 1029", 4),
    "built_rate": ("float64", "share", "土地建成率", "built rate", "A / D", 4),
    "industrial_rate": ("float64", "share", "工业用地率", "industrial land rate", "A2 / A", 4),
    "residential_rate": ("float64", "share", "住宅用地率", "residential land rate", "R / A", 4),
    "far_all": ("float64", "FAR", "综合容积率", "overall plot ratio", "floor area / A", 2),
    "building_density": ("float64", "share", "建筑密度", "building density", "footprint / A", 4),
    "far_industrial": (
        "float64", "FAR", "工业用地综合容积率", "industrial plot ratio", "floor area on A2 / A2", 2
    ),
    "coverage_industrial": (
        "float64", "share", "工业用地建筑系数", "industrial coverage", "footprint on A2 / A2", 4
    ),
    "tax_per_ha_industrial": (
        "float64", "万元/ha", "工业用地地均税收(万元/公顷)", "industrial tax per ha",
        "tax of enterprises on A2 / their A2 area", 2
    ),
    "investment_per_ha": (
        "float64", "万元/ha", "工业用地固定资产投入强度(万元/公顷)", "investment per ha",
        "fixed-asset investment on A2 / their A2 area", 2
    ),
    "idle_rate": ("float64", "share", "土地闲置率", "idle rate", "G / D", 4),
    "score": (
        "float64", "points", "集约利用评价得分", "intensity score",
        "100 × Σ w·attainment / Σ w over the indicators with a value", 1
    ),
    "score_weight_share": (
        "float64", "share", "得分所用权重占比", "weight share scored",
        "Σ w of the indicators with a value / Σ w of all", 4
    ),
    "missing": (
        "string", "", "缺数据说明", "missing data", "indicator: why it is null", None
    ),
}  # fmt: skip


MUJUN_COLUMNS: Mapping[str, _T] = {
    "revenue_per_energy": (
        "float64", "万元/tce", "单位能耗营收(万元/吨标煤)", "revenue per energy", "revenue / energy", 2
    ),
    "rd_share": ("float64", "share", "研发经费占营收比重", "R&D share", "rd_spend / revenue", 4),
    "mj_bonus": (
        "float64", "points", "加减分", "bonus minus points", "bonus items minus minus items", 1
    ),
    "mj_score": (
        "float64", "points", "亩均效益得分", "per-mu score",
        "Σ weight × min(value / benchmark, cap) + bonus − minus", 2
    ),
    "mj_rank": ("Int64", "rank", "亩均效益排名", "rank", "1 = highest score; T not ranked", 0),
    "mj_class_derived": (
        "string", "class", "推算类别(4+T)", "derived class", "A/B/C/D by rank share, or T", None
    ),
    "mj_class": (
        "string", "class", "亩均效益类别(4+T)", "class (4+T)", "the given class, else the derived one",
        None,
    ),
    "mj_class_source": (
        "string", "code", "类别来源(4+T)", "class source (4+T)", "given / derived / none", None
    ),
    "mj_note": (
        "string", "", "评价说明", "note", "why T, or which indicator is missing", None
    ),
}  # fmt: skip
