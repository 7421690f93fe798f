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


# -- Shapefile's 10-byte field names (issue 12) -------------------------------------------


def test_shapefile_truncations_by_bytes_in_utf8_and_gbk():
    from xsland.rules.schema import shapefile_truncations

    assert shapefile_truncations("supply_date") == ("supply_dat",)
    assert shapefile_truncations("floor_area") == ()  # exactly 10: kept
    # 约定动工日期: 18 bytes in UTF-8 (3 whole characters fit), 12 in GBK (5 fit)
    assert shapefile_truncations("约定动工日期") == ("约定动", "约定动工日")
    assert shapefile_truncations("建筑面积") == ("建筑面",)  # 8 bytes in GBK: fits


def test_every_long_contract_column_has_its_cut_form_as_alias():
    from xsland.rules.schema import KINDS, VECTOR_KINDS, normalise_name

    for kind in VECTOR_KINDS:
        spec = KINDS[kind]
        for col in spec.columns:
            if len(col) > 10:
                assert col[:10] in spec.aliases[col], (kind, col)
        # no alias (full or cut) points to two contract columns
        seen: dict[str, str] = {}
        for col in spec.columns:
            for a in (col, *spec.aliases[col]):
                assert seen.setdefault(normalise_name(a), col) == col, (kind, a)


def test_ambiguous_cut_names_are_left_out_and_found_as_candidates():
    from xsland.rules.schema import PARCELS, truncated_candidates

    # 用地类型 (land_use) and 用地类别 (category) both cut to 用地类 in UTF-8
    assert "用地类" not in PARCELS.aliases["land_use"] + PARCELS.aliases["category"]
    got = truncated_candidates(["用地类", "enterpri_1", "dkbh", "ydx", "notes"], "parcels")
    assert got == {"用地类": ["land_use", "category"], "enterpri_1": ["enterprise_id"]}


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
