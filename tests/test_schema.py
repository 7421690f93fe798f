"""The data contract and name normalisation."""

from __future__ import annotations

import pytest

from xsland.errors import DataError
from xsland.rules.schema import KINDS, get_kind, normalise_name


def test_normalise_name():
    assert normalise_name("Parcel ID") == normalise_name("parcel_id") == "parcelid"
    assert normalise_name("建筑面积（m²）") == normalise_name("建筑面积") == "建筑面积"
    assert normalise_name("ＰＡＲＣＥＬ_ＩＤ") == "parcelid"  # full-width letters


def test_aliases_are_unambiguous_within_a_kind():
    for kind in KINDS.values():
        seen: dict[str, str] = {}
        for column in kind.columns:
            for alias in (column, *kind.aliases.get(column, ())):
                norm = normalise_name(alias)
                assert seen.setdefault(norm, column) == column, (kind.name, alias)


def test_unknown_kind():
    with pytest.raises(DataError, match=r"unknown kind of layer 'parcel'; use one of parks"):
        get_kind("parcel")
    assert get_kind("buildings").required == (("floors", "height"),)


def test_issue15_columns_have_chinese_aliases():
    from xsland.rules.schema import KINDS, normalise_name

    def owner(kind, name):
        spec = KINDS[kind]
        return [
            c for c in spec.columns if normalise_name(name) in map(normalise_name, spec.aliases[c])
        ]

    assert owner("parcels", "批准日期") == ["approval_date"]
    assert owner("parcels", "竣工日期") == ["completion_date"]
    assert owner("parcels", "实际开工日期") == ["start_actual"]
    assert owner("parcels", "已达供地条件") == ["ready_for_supply"]
    assert owner("enterprises", "固定资产投资") == ["investment"]
    assert owner("enterprises", "综合能耗") == ["energy"]
    assert owner("enterprises", "研发经费") == ["rd_spend"]
    assert owner("enterprises", "投产日期") == ["founded"]
    assert owner("enterprises", "高新技术企业") == ["high_tech"]
