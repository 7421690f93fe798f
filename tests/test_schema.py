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
