"""The rules table in the words people read: units, sources and unset values in Chinese.

:meth:`xsland.rules.policy.Policy.table` lists every rule with its project-file key, its
value, unit and source as the project file and the GeoPackage keep them (``share``,
``local parameter``, ``unset``, ``True``). The workbook's rules sheet and the report's
rules section are read by planners: they show these words instead
(:data:`xsland.rules.columns.CODES` ``rule_value``, ``rule_unit``, ``rule_source``).
The keys and the values that are project-file codes (``percentile``, ``far_low`` …) stay
as they are: they are what a user writes in the project file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from xsland.rules.policy import Policy

__all__ = ["RULE_SOURCE_ZH", "RULE_UNIT_ZH", "RULE_VALUE_ZH", "source_zh"]

#: A rule's value as the rules table writes it -> the word shown to people.
RULE_VALUE_ZH: Mapping[str, str] = MappingProxyType(
    {"unset": "未设定", "True": "是", "False": "否"}
)

#: A rule's unit -> the word shown to people (units already in Chinese or written as
#: symbols, 万元/亩, m², km², are not listed: they show as they are).
RULE_UNIT_ZH: Mapping[str, str] = MappingProxyType(
    {
        "share": "比例",
        "weight": "权重",
        "FAR": "容积率",
        "m": "米",
        "points": "分",
        "score": "分",
        "date": "日期",
        "flag": "是/否",
        "years": "年",
        "months": "个月",
        "count": "个",
        "enterprises": "家",
        "events/year": "场/年",
        "platforms": "个",
        "classes": "类别",
        "codes": "代码",
        "kinds": "类型",
        "method": "方法",
        "owners": "个权利人",
        "× mean": "倍(全区均值)",
        "× benchmark": "倍(标杆值)",
        "万元/ha": "万元/公顷",
        "code → category": "用地代码→政策类别",
        "park_id → industries": "园区编号→产业",
    }
)

#: English phrases of the rules' sources -> Chinese, applied longest first by
#: :func:`source_zh` (a source may join several: ``…; local parameter``).
_SOURCE_PHRASES: Mapping[str, str] = MappingProxyType(
    {
        "illustrative default (TD/T 1029 leaves ideal values and weights to local "
        "evaluation)": "示例默认值 (TD/T 1029 的理想值和权重由地方评价确定)",
        "plausibility: the tallest building has 163 floors (Burj Khalifa)": (
            "合理性: 世界最高建筑 163 层 (哈利法塔)"
        ),
        "plausibility: the tallest buildings are 632 m (Shanghai Tower) and 828 m": (
            "合理性: 最高建筑高 632 米 (上海中心大厦) 和 828 米"
        ),
        "plausibility: single-storey industrial halls reach about 24–30 m": (
            "合理性: 单层工业厂房高约 24–30 米"
        ),
        "plausibility: CBD towers reach FAR 15–20, industrial land 1–4": (
            "合理性: 中央商务区塔楼容积率可达 15–20, 工业用地 1–4"
        ),
        "plausibility: a parcel or building above 5 km² is unlikely; 1000 km² exceeds "
        "锡山区 (about 400 km²)": "合理性: 地块或建筑超过 5 km² 极少见; 1000 km² 超过锡山区 (约 400 km²)",
        "plausibility: 1000亿元 (1e7 万元) is a very large firm; 10万亿元 (1e9 万元) exceeds "
        "any company (typical error: 元 written where 万元 is meant)": (
            "合理性: 1000亿元 (1e7 万元) 已是特大企业; 10万亿元 (1e9 万元) 超过任何企业 "
            "(常见错误: 以元填入万元字段)"
        ),
        "plausibility: events or platforms per park and year": "合理性: 每园区每年的活动或平台数",
        "plausibility: land-use rights are recorded from 1987 on; earlier or far-future "
        "dates are placeholders or typing errors": (
            "合理性: 土地使用权自 1987 年起登记; 更早或远在将来的日期是占位值或录入错误"
        ),
        "weights, shares illustrative": "权重、比例为示例值",
        "illustrative": "示例值",
        "local parameter": "本地参数",
    }
)


def source_zh(source: str) -> str:
    """A rule's source with its English phrases in Chinese (the rest as it is).

    >>> source_zh("工业企业资源利用绩效评价 (亩均效益评价, 江苏各市办法); local parameter")
    '工业企业资源利用绩效评价 (亩均效益评价, 江苏各市办法); 本地参数'
    """
    out = source
    for english, chinese in _LONGEST_FIRST:
        out = out.replace(english, chinese)
    return out


#: The phrases of :data:`_SOURCE_PHRASES`, longest first (one contains another).
_LONGEST_FIRST = sorted(_SOURCE_PHRASES.items(), key=lambda kv: len(kv[0]), reverse=True)


#: Every source of the policy's rules -> its words (:func:`source_zh`). The sources are
#: the rules' metadata, the same in every project, so the table is complete.
RULE_SOURCE_ZH: Mapping[str, str] = MappingProxyType(
    {
        f.metadata["source"]: source_zh(f.metadata["source"])
        for f in dataclasses.fields(Policy)
        if source_zh(f.metadata["source"]) != f.metadata["source"]
    }
)
