"""Land-use code names: the 2023 national classification and GB 50137-2011."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xsland.rules.landuse_names import (
    LAND_USE_NAMES,
    land_use_label,
    land_use_name,
    normalise_land_use_code,
)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("1001", "工业用地"),
        ("100101", "一类工业用地"),
        ("100102", "二类工业用地"),
        ("100103", "三类工业用地"),
        ("1101", "物流仓储用地"),
        ("1201", "铁路用地"),
        ("1202", "公路用地"),
        ("1207", "城镇道路用地"),
        ("1303", "供电用地"),
        ("0901", "商业用地"),
        ("M1", "一类工业用地"),
        ("M2", "二类工业用地"),
        ("M3", "三类工业用地"),
        ("W1", "一类物流仓储用地"),
        ("S1", "城市道路用地"),
        ("M0", "新型产业用地"),
    ],
)
def test_names_of_the_codes_the_sample_and_the_policy_use(code, name):
    assert land_use_name(code) == name


def test_codes_as_data_holds_them():
    # number columns: 100102.0, a lost leading zero (901 -> 0901, 60101 -> 060101)
    assert land_use_name(100102.0) == "二类工业用地"
    assert land_use_name(901) == "商业用地"
    assert land_use_name(60101) == "村道用地"
    assert land_use_name("100102.0") == "二类工业用地"
    # spaces, lower case, full text of nothing
    assert land_use_name(" m1 ") == "一类工业用地"
    assert land_use_name("W 1") == "一类物流仓储用地"
    for nothing in (None, float("nan"), "", "  ", "nan", math.inf):
        assert land_use_name(nothing) is None and land_use_label(nothing) is None
    # unknown codes have no name; their label is the code as given, trimmed
    assert land_use_name("9999") is None and land_use_label(" 9999 ") == "9999"
    assert land_use_label("=1+1") == "=1+1"
    assert land_use_label(1303) == "供电用地（1303）"
    assert land_use_label("m0") == "新型产业用地（M0）"


def test_table_is_read_only_and_every_code_is_normal():
    with pytest.raises(TypeError):
        LAND_USE_NAMES["1001"] = "x"  # type: ignore[index]
    for code, name in LAND_USE_NAMES.items():
        assert normalise_land_use_code(code) == code and name.strip() == name and name
    # every third-level national code sits under a listed second-level one
    for code in LAND_USE_NAMES:
        if code.isdigit() and len(code) == 6:
            assert code[:4] in LAND_USE_NAMES, code
        if code.isdigit() and len(code) == 4:
            assert code[:2] in LAND_USE_NAMES, code


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats()))
def test_any_value_gives_a_name_or_none_and_never_raises(value):
    name = land_use_name(value)
    assert name is None or name in LAND_USE_NAMES.values()
    label = land_use_label(value)
    assert label is None or isinstance(label, str)
