"""The output schema: every written column declared, every declared column written."""

from __future__ import annotations

import collections

import pyogrio
import pytest

from xsland.rules.columns import CHECK_COLUMNS, CODES, REASON_ZH, TABLES, Column, get_table
from xsland.rules.policy import DEFAULT_POLICY


def _fields(gpkg, layer):
    return [f for f in pyogrio.read_info(gpkg, layer=layer)["fields"]]


def test_every_written_column_is_declared_and_every_declared_one_written(demo_audit):
    folder, _, _ = demo_audit
    gpkg = folder / "audit.gpkg"
    # layer_styles is QGIS's own table of default styles (tests/test_gpkg.py)
    layers = [str(n) for n, _ in pyogrio.list_layers(gpkg) if n != "layer_styles"]
    assert set(layers) <= set(TABLES), f"layers without a declaration: {set(layers) - set(TABLES)}"
    for name in layers:
        table = TABLES[name]
        written = _fields(gpkg, name)
        undeclared = [c for c in written if table.column(c) is None]
        assert undeclared == [], f"{name}: written but not declared: {undeclared}"
        never = [c.name for c in table if not c.optional and c.name not in written]
        assert never == [], f"{name}: declared but never written: {never}"


def test_declared_tables_are_all_written(demo_audit):
    folder, _, _ = demo_audit
    layers = {str(n) for n, _ in pyogrio.list_layers(folder / "audit.gpkg")}
    assert layers == set(TABLES) | {"layer_styles"}


@pytest.mark.parametrize("name", list(TABLES))
def test_labels_unique_and_complete(name):
    table = TABLES[name]
    labels = [c.label() for c in table]
    dup = [k for k, n in collections.Counter(labels).items() if n > 1]
    assert dup == []
    assert len(set(table.names)) == len(table.names)
    for c in table:
        assert c.zh and c.en and c.description, c.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in c.label()), c.name


def test_threshold_labels_follow_the_policy():
    parks = get_table("parks")
    # default: 1.5; 30 % coverage; 3 km²
    assert parks.column("chk_far_new").label() == "新增工业用地容积率≥1.5"
    assert parks.column("chk_coverage").label() == "工业用地建筑系数≥30%"
    custom = DEFAULT_POLICY.replace(far_min_new_industrial=1.2, coverage_min=0.35)
    assert parks.column("chk_far_new").label(custom) == "新增工业用地容积率≥1.2"
    assert parks.column("chk_coverage").label(custom) == "工业用地建筑系数≥35%"
    towns = get_table("towns")
    assert towns.column("chk_far_new_fail").label(custom) == "新增工业用地容积率≥1.2:不达标园区数"


def test_prefix_columns_and_unknown_columns():
    parks = get_table("parks")
    lc = parks.column("lc_tree")
    assert lc is not None and lc.label() == "地表覆盖占比:tree" and lc.percent
    assert parks.column("lc_") is None
    assert parks.column("no_such_column") is None
    with pytest.raises(KeyError, match="no output table"):
        get_table("parcel")
    with pytest.raises(ValueError, match="dtype"):
        Column("x", "bool", "甲", "x")


def test_number_formats():
    parcels = get_table("parcels")
    assert parcels.column("far").number_format() == "0.00"
    assert parcels.column("coverage").number_format() == "0.0%"
    assert parcels.column("area_m2").number_format() == "#,##0.0"
    assert parcels.column("supply_date").number_format() == "yyyy-mm-dd"
    assert parcels.column("owner").number_format() is None


def test_code_words_agree_with_the_judges():
    from xsland.group.blocks import ROUTES
    from xsland.judge.lowuse import EVAL_SOURCES, REASONS
    from xsland.rules.policy import CATEGORIES

    assert dict(REASON_ZH) == {k: v[0] for k, v in REASONS.items()}
    assert dict(CODES["route"]) == {k: v[0] for k, v in ROUTES.items()}
    assert dict(CODES["eval_source"]) == dict(EVAL_SOURCES)
    assert set(CODES["category"]) == set(CATEGORIES)
    assert set(CHECK_COLUMNS) == set(__import__("xsland.judge.audit").judge.audit.CHECKS)


def test_every_code_column_of_the_evaluations_has_its_words():
    """A column the evaluations declare with unit "code" is shown as Chinese words: its
    declaration names a code table, and the table has a word for every code the judge
    writes (supply statuses, the intensity rows' level, the 亩均 class source)."""
    from xsland.judge.lowuse import EVAL_SOURCES
    from xsland.rules.evaluation_columns import (
        INTENSITY_COLUMNS,
        INTENSITY_LEVELS,
        MUJUN_COLUMNS,
        SUPPLY_COLUMNS,
        SUPPLY_STATUSES,
    )

    declared = {
        name: spec
        for family in (SUPPLY_COLUMNS, MUJUN_COLUMNS, INTENSITY_COLUMNS)
        for name, spec in family.items()
    }
    coded = sorted(name for name, spec in declared.items() if spec[1] == "code")
    assert coded == ["level", "mj_class_source", "supply_status"]
    seen = {}
    for table in TABLES.values():
        for col in table.columns:
            if col.name in coded:
                assert col.codes is not None, (table.name, col.name)
                seen[col.name] = col.codes
    assert seen == {
        "level": "eval_level",
        "mj_class_source": "eval_source",
        "supply_status": "supply_status",
    }
    assert dict(CODES["supply_status"]) == {k: zh for k, (zh, _) in SUPPLY_STATUSES.items()}
    assert CODES["supply_status"]["supplied_not_started"] == "供而未用"
    assert dict(CODES["eval_level"]) == {"park": "园区", "district": "全区"}
    assert set(CODES["eval_level"]) == set(INTENSITY_LEVELS)
    # mujun writes given / derived / none, the same vocabulary as the per-mu classes
    assert set(CODES[seen["mj_class_source"]]) == {"given", "derived", "none"}
    assert dict(CODES["eval_source"]) == dict(EVAL_SOURCES)


def test_every_land_use_code_of_the_category_map_has_a_name():
    from xsland.rules.policy import DEFAULT_CATEGORY_MAP

    assert set(DEFAULT_CATEGORY_MAP) <= set(CODES["land_use"])
    assert (
        CODES["land_use"]["100101"] == "一类工业用地" and CODES["land_use"]["M0"] == "新型产业用地"
    )
