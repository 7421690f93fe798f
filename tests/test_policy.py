"""The policy object: defaults with sources, validated changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from xsland.errors import PolicyError
from xsland.rules.policy import DEFAULT_POLICY, Policy


def test_defaults_match_the_policy_text():
    p = DEFAULT_POLICY
    assert p.district_park_max_km2 == 3.0
    assert (
        p.far_min_new_industrial,
        p.far_min_standard_factory,
        p.far_min_new_type_industrial,
    ) == (1.5, 2.0, 2.5)
    assert p.leading_revenue_share_min == p.leading_count_share_min == 0.6
    assert p.promotion_events_min == 2 and p.innovation_platforms_min == 7
    assert p.industry_fund_min_wan == 5000 and p.coverage_min == 0.3
    assert p.far_min("standard_factory") == 2.0 and p.far_min("industrial") is None
    table = p.table().set_index("key")
    assert table.loc["far_min_new_industrial", "source"] == "锡府办规〔2025〕1号 二(一)1"
    assert table.loc["per_mu_tax_floor_wan", "value"] == "unset"
    assert (table["source"] != "").all() and (table["unit"] != "").all()


def test_frozen_and_replace():
    with pytest.raises(AttributeError):
        DEFAULT_POLICY.block_gap_m = 20  # type: ignore[misc]
    p = DEFAULT_POLICY.replace(block_gap_m=20, lowuse_classes=["c", "D"], policy_date="2025-09-02")
    assert p.block_gap_m == 20.0 and p.lowuse_classes == ("C", "D")
    assert p.policy_date == dt.date(2025, 9, 2)
    assert DEFAULT_POLICY.block_gap_m == 15.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"block_gap": 5}, r"policy.block_gap: unknown key \(did you mean block_gap_m"),
        ({"coverage_min": 30}, r"coverage_min = 30.0 must be a share between 0 and 1"),
        ({"chain_leaders_min": 1.5}, r"chain_leaders_min: must be a whole number"),
        ({"tall_storey_counts_double": "yes"}, r"must be true or false"),
        ({"lowuse_classes": ["E"]}, r"unknown classes \['E'\]"),
        ({"far_min_new_industrial": "1.5"}, r"must be a number, not '1.5'"),
        ({"category_map": {"M1": "factory"}}, r"unknown categories \['factory'\]"),
        ({"policy_date": "2025/8/29"}, r"must be a date such as 2025-08-29"),
        ({"lowuse_kinds": ["plan", "waste"]}, r"unknown kinds \['waste'\]"),
        ({"lowuse_kinds": [1]}, r"must be a list of kinds"),
        ({"related_industries": ["a"]}, r"must be a table of park_id"),
        ({"related_industries": {"XS01": [1, 2]}}, r"XS01: must be a list of industries"),
    ],
)
def test_bad_values_name_the_key(changes, message):
    with pytest.raises(PolicyError, match=message):
        Policy.from_mapping(changes)


def test_lowuse_kinds_default_to_the_three_of_the_clause_and_can_be_narrowed():
    assert DEFAULT_POLICY.lowuse_kinds == ("plan", "industry", "inefficient")
    p = DEFAULT_POLICY.replace(lowuse_kinds=[" Plan", "inefficient", "plan"])
    assert p.lowuse_kinds == ("plan", "inefficient")
    assert p.table().set_index("key").loc["lowuse_kinds", "value"] == "plan, inefficient"
    assert DEFAULT_POLICY.replace(lowuse_kinds="industry").lowuse_kinds == ("industry",)


def test_related_industries_from_lists_or_text_with_chinese_separators():
    p = DEFAULT_POLICY.replace(
        related_industries={
            "XS01": "汽车零部件、检验检测；工业软件",
            " XS02 ": ["新材料", " 新材料", ""],
        }
    )
    assert dict(p.related_industries) == {
        "XS01": ("汽车零部件", "检验检测", "工业软件"),
        "XS02": ("新材料",),
    }
    table = p.table().set_index("key")
    assert table.loc["related_industries", "value"] == (
        "XS01→汽车零部件、检验检测、工业软件; XS02→新材料"
    )
    assert dict(DEFAULT_POLICY.related_industries) == {}


def test_project_codes_are_trimmed_and_control_characters_refused():
    # a padded code is kept trimmed (matching ignored the padding already; the rules
    # table showed ' 9901 ' beside the default '9901'); a code or name with a control
    # character matched no parcel's code, and the workbook cut it (rules sheet) or
    # escaped it as _x0007_ (about sheet): refused, naming the rule and the character
    p = DEFAULT_POLICY.replace(category_map={" 9901 ": "industrial"})
    assert p.category_map["9901"] == "industrial" and " 9901 " not in p.category_map
    cases = [
        ("category_map", {"99\x07": "industrial"}, "U+0007"),
        ("category_map", {"9901": "industrial\x00"}, "U+0000"),
        ("related_industries", {"XS\t01": ["新材料"]}, "U+0009"),
        ("related_industries", {"XS01": ["新材料\x1b"]}, "U+001B"),
    ]
    for key, value, code in cases:
        expected = rf"policy\.{key}: .*control character \({re.escape(code)}\)"
        with pytest.raises(PolicyError, match=expected):
            DEFAULT_POLICY.replace(**{key: value})


def test_the_rules_show_a_mapping_by_key_whatever_order_it_was_given_in():
    import pandas as pd

    from xsland.result import policy_from_json, policy_to_json

    # the same category map, given in two orders (a project file, and the JSON of an
    # audit's meta layer, which sorts its keys)
    a = Policy().replace(category_map={"M1": "industrial", "M0": "new_type_industrial"})
    b = Policy().replace(category_map={"M0": "new_type_industrial", "M1": "industrial"})
    assert a == b
    # (the map given is merged into the default one) shown by key: 1001, …, M, M0, M1, …
    shown = "; ".join(f"{k}→{v}" for k, v in sorted(a.category_map.items()))
    assert "M→industrial; M0→new_type_industrial; M1→industrial" in shown
    for p in (a, b, policy_from_json(policy_to_json(a))):
        assert p.table().set_index("key")["value"]["category_map"] == shown
        assert p.changed() == a.changed()
    pd.testing.assert_frame_equal(a.table(), policy_from_json(policy_to_json(a)).table())
