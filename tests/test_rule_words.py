"""The rules table in words people read (xsland.rules.rule_words)."""

from __future__ import annotations

import dataclasses
import re

from xsland.rules.columns import CODES
from xsland.rules.policy import Policy
from xsland.rules.rule_words import RULE_SOURCE_ZH, RULE_UNIT_ZH, RULE_VALUE_ZH, source_zh

_ENGLISH = re.compile(r"[A-Za-z]{3,}")


def test_sources_in_chinese_phrase_by_phrase():
    assert source_zh("local parameter") == "本地参数"
    assert (
        source_zh("锡府办规〔2025〕1号 二(一)1; illustrative")
        == "锡府办规〔2025〕1号 二(一)1; 示例值"
    )
    # the longer phrase first: "weights, shares illustrative" is not cut at "illustrative"
    assert source_zh("无锡市工业企业资源集约利用综合评价 (4+T); weights, shares illustrative") == (
        "无锡市工业企业资源集约利用综合评价 (4+T); 权重、比例为示例值"
    )
    assert (
        source_zh("plausibility: events or platforms per park and year; local parameter")
        == "合理性: 每园区每年的活动或平台数; 本地参数"
    )
    # a clause without English stays as it is
    assert source_zh("锡府办规〔2025〕1号 二(二)4") == "锡府办规〔2025〕1号 二(二)4"


def test_every_unit_and_source_of_the_policy_reads_in_chinese():
    table = Policy().table()
    for unit in table["unit"]:
        shown = RULE_UNIT_ZH.get(unit, unit)
        assert not _ENGLISH.search(shown), unit
    for source in table["source"]:
        shown = RULE_SOURCE_ZH.get(source, source)
        assert not _ENGLISH.search(shown), source
    # the code tables the workbook reads are these
    assert CODES["rule_unit"] is RULE_UNIT_ZH and CODES["rule_source"] is RULE_SOURCE_ZH
    assert CODES["rule_value"] is RULE_VALUE_ZH


def test_unset_and_yes_no_values_have_words():
    policy = Policy().replace(tall_storey_counts_double=False)
    values = policy.table().set_index("key")["value"]
    assert RULE_VALUE_ZH[values["per_mu_tax_floor_wan"]] == "未设定"
    assert RULE_VALUE_ZH[values["tall_storey_counts_double"]] == "否"
    assert RULE_VALUE_ZH[values["lowuse_use_derived_class"]] == "是"
    # every boolean rule writes one of the values with a word
    for f in dataclasses.fields(Policy):
        if isinstance(getattr(policy, f.name), bool):
            assert values[f.name] in RULE_VALUE_ZH, f.name
