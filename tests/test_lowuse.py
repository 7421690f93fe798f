"""Low-efficiency land (低效用地): per-mu figures, classes, flags — answers worked out by hand.

Every parcel below is a 100 m × 100 m square in EPSG:4549 (10 000 m² = 15 亩) unless said
otherwise; the audit date is the policy date 2025-08-29.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as hst
from hypothesis import strategies as st

from xsland.errors import DataError
from xsland.judge import lowuse
from xsland.judge.audit import parcel_table
from xsland.judge.lowuse import (
    COLUMN_LABELS,
    FLAG_COLUMNS,
    REASONS,
    derive_classes,
    flag,
    kind_breakdown,
    park_positioning,
    per_mu,
    plan_overlay,
    summary,
    summary_combine,
    summary_partial,
    use_class,
)
from xsland.pipeline.audit import run
from xsland.read.io import read_layer, read_table
from xsland.rules.policy import DEFAULT_POLICY, LOWUSE_RULES
from xsland.tools.sample import POLICY_DATE

X0, Y0 = 535_000.0, 3_496_000.0
AS_OF = dt.date(2025, 8, 29)


def square(k: int, size: float = 100.0) -> shapely.Polygon:
    """The k-th square of a row, 200 m apart (never within 15 m of each other)."""
    return shapely.box(X0 + 200 * k, Y0, X0 + 200 * k + size, Y0 + size)


def table(rows: list[dict]) -> gpd.GeoDataFrame:
    """A parcel table as :func:`xsland.judge.audit.parcel_table` returns it."""
    defaults = dict(
        category="industrial",
        area_m2=10_000.0,
        floor_area=12_000.0,
        footprint_m2=4_000.0,
        far=1.2,
        coverage=0.4,
        supply_date=pd.NaT,
        start_deadline=pd.NaT,
        enterprise_id=None,
        owner=None,
        park_id="K1",
        land_use=None,
    )
    frame = pd.DataFrame([defaults | r for r in rows])
    for col in ("supply_date", "start_deadline"):
        frame[col] = pd.to_datetime(frame[col])
    frame["area_mu"] = frame["area_m2"] / (2000 / 3)
    geoms = [square(k) for k in range(len(frame))]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4549")


PARKS = pd.DataFrame({"park_id": ["K1", "K1"], "leading_industry": ["智能装备", None]})


# ---------------------------------------------------------------------------
# per-mu indicators and classes
# ---------------------------------------------------------------------------


def test_per_mu_uses_the_gis_area_of_all_parcels_of_an_enterprise():
    # E1 holds a 100 × 100 and a 100 × 50 parcel: 15 000 m² = 22.5 亩.
    # tax 45 万元 / 22.5 亩 = 2.0 万元/亩; revenue 900 / 22.5 = 40.0 万元/亩.
    # E2 holds no parcel: no land, no per-mu figures. E3: 10 000 m² = 15 亩, 30/15 = 2.0.
    parcels = table(
        [
            {"parcel_id": "P1", "enterprise_id": "E1"},
            {"parcel_id": "P2", "enterprise_id": "E1", "area_m2": 5_000.0},
            {"parcel_id": "P3", "enterprise_id": "E3"},
        ]
    )
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3"],
            "revenue": [900.0, 100.0, 600.0],
            "tax": [45.0, 5.0, 30.0],
            "eval_class": ["B类", None, None],
        }
    )
    before = (parcels.copy(), ent.copy())
    out = per_mu(parcels, ent).set_index("enterprise_id")
    assert out.loc["E1", "n_parcels"] == 2 and out.loc["E1", "land_m2"] == 15_000.0
    assert out.loc["E1", "land_mu"] == pytest.approx(22.5)
    assert out.loc["E1", "tax_per_mu"] == pytest.approx(2.0)
    assert out.loc["E1", "revenue_per_mu"] == pytest.approx(40.0)
    assert out.loc["E2", "land_m2"] == 0 and np.isnan(out.loc["E2", "tax_per_mu"])
    assert out.loc["E1", "eval_class"] == "B" and out.loc["E1", "eval_class_source"] == "given"
    assert out.loc["E2", "eval_class_source"] == "none"  # no land: no score, no class
    assert out.loc["E3", "eval_class_source"] == "derived"
    assert out.loc["E3", "eval_class_source_zh"] == "推算"
    pd.testing.assert_frame_equal(parcels, before[0])
    pd.testing.assert_frame_equal(ent, before[1])


def test_derived_classes_by_score_and_by_percentile():
    # tax per mu 1, 2, 3, 6 (mean 3), weight on tax only, cap 2×:
    # scores 100·min(x/3, 2) = 33.3, 66.7, 100, 200.
    # score method (A ≥ 120, B ≥ 80, C ≥ 50): D, C, B, A.
    # percentile ranks 0.25, 0.5, 0.75, 1.0 (A > 0.8, B > 0.4, C > 0.15): C, B, B, A.
    tax = pd.Series([1.0, 2.0, 3.0, 6.0])
    revenue = pd.Series([np.nan] * 4)  # weight 0: not needed
    policy = DEFAULT_POLICY.replace(eval_weight_tax=1.0, eval_weight_revenue=0.0)
    by_score = derive_classes(tax, revenue, policy=policy.replace(eval_method="score"))
    assert by_score["eval_score"].round(1).tolist() == [33.3, 66.7, 100.0, 200.0]
    assert by_score["eval_class_derived"].tolist() == ["D", "C", "B", "A"]
    by_pct = derive_classes(tax, revenue, policy=policy)
    assert by_pct["eval_pct"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert by_pct["eval_class_derived"].tolist() == ["C", "B", "B", "A"]
    # with the default weights (revenue 0.4) the missing revenue leaves no score
    assert derive_classes(tax, revenue)["eval_class_derived"].isna().all()


def test_given_classes_are_kept_and_derived_ones_marked():
    # four enterprises of 15 亩 each, tax 15/30/45/90 万元 -> 1/2/3/6 万元/亩, as above;
    # E4 has "B" on record (its derived class would be A): given wins and says so.
    parcels = table([{"parcel_id": f"P{k}", "enterprise_id": f"E{k}"} for k in range(1, 5)])
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E4"],
            "tax": [15.0, 30.0, 45.0, 90.0],
            "revenue": [1.0, 1.0, 1.0, 1.0],
            "eval_class": [None, None, None, "B"],
        }
    )
    policy = DEFAULT_POLICY.replace(eval_weight_tax=1.0, eval_weight_revenue=0.0)
    out = per_mu(parcels, ent, policy=policy)
    assert out["eval_class"].tolist() == ["C", "B", "B", "B"]
    assert out["eval_class_source"].tolist() == ["derived", "derived", "derived", "given"]
    assert out["eval_class_derived"].tolist() == ["C", "B", "B", "A"]
    flags = flag(parcels, enterprises=ent, as_of=AS_OF, policy=policy)
    assert flags["eval_class_source"].tolist() == ["derived", "derived", "derived", "given"]


# ---------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------


def test_a_parcel_with_three_reasons_lists_all_three():
    # existing industrial land, FAR 0.6 < 1.0, coverage 0.20 < 0.30, its enterprise in
    # 纺织 while the park leads in 智能装备: three reasons, in the order of REASONS.
    parcels = table(
        [
            {"parcel_id": "P1", "far": 0.6, "coverage": 0.2, "enterprise_id": "E1"},
            {"parcel_id": "P2", "enterprise_id": "E2"},  # FAR 1.2, coverage 0.4: fine
        ]
    )
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2"],
            "industry": ["纺织", "智能装备"],
            "tax": [60.0, 60.0],
            "revenue": [900.0, 900.0],
            "eval_class": ["B", "A"],
        }
    )
    out = flag(parcels, parks=PARKS, enterprises=ent, as_of=AS_OF)
    assert list(out.columns) == FLAG_COLUMNS and out.index.equals(parcels.index)
    p1, p2 = out.iloc[0], out.iloc[1]
    assert p1["low_efficiency"] and p1["n_reasons"] == 3
    assert p1["reasons"] == "far_low;coverage_low;industry_mismatch"
    assert p1["reasons_zh"] == "容积率低于低效阈值；建筑系数低于下限；不符合产业定位"
    assert p1["reasons_detail"] == "容积率0.6<1；建筑系数20%<30%；产业纺织≠主导产业智能装备"
    assert p1["far_threshold"] == 1.0
    assert not p2["low_efficiency"] and p2["reasons"] == "" and p2["n_reasons"] == 0
    assert set(REASONS) == set(LOWUSE_RULES)


def test_far_threshold_by_category():
    # new industrial 1.4 < 1.5 and M0 2.4 < 2.5 are low; standard factory 2.1 ≥ 2.0 is not;
    # logistics is judged only once lowuse_far_max_logistics is set (0.8: 0.5 is low);
    # other land never.
    parcels = table(
        [
            {"parcel_id": "N", "category": "new_industrial", "far": 1.4},
            {"parcel_id": "M", "category": "new_type_industrial", "far": 2.4},
            {"parcel_id": "S", "category": "standard_factory", "far": 2.1},
            {"parcel_id": "L", "category": "logistics", "far": 0.5},
            {"parcel_id": "O", "category": "other", "far": 0.1, "coverage": 0.05},
        ]
    )
    out = flag(parcels, as_of=AS_OF)
    assert out["lu_far_low"].tolist() == [True, True, False, False, False]
    assert out["far_threshold"].tolist()[:3] == [1.5, 2.5, 2.0]
    assert np.isnan(out["far_threshold"].iloc[3])
    out = flag(parcels, as_of=AS_OF, policy=DEFAULT_POLICY.replace(lowuse_far_max_logistics=0.8))
    assert out["lu_far_low"].tolist() == [True, True, False, True, False]
    off = DEFAULT_POLICY.replace(lowuse_far_below_minimum=False)
    assert flag(parcels, as_of=AS_OF, policy=off)["lu_far_low"].sum() == 0


def test_idle_by_start_date_by_supply_date_and_not_yet():
    # I1: agreed start 2023-06-01, + 1 year = 2024-06-01 ≤ 2025-08-29, nothing built: idle.
    # I2: agreed start 2025-01-01, idle only from 2026-01-01: not yet, and inside its
    #     construction period its FAR of 0 is not "low" either.
    # I3: no start date; supplied 2023-03-15, + 12 months = 2024-03-15 due,
    #     + 1 year = 2025-03-15 ≤ 2025-08-29: idle. With 24 months it would be due
    #     2025-03-15 and idle from 2026-03-15: not yet.
    # I4: built (floor area > 0) long after its date: never idle.
    # I5: nothing built and no date at all: idle cannot be decided (unknown).
    vacant = dict(floor_area=0.0, footprint_m2=0.0, far=0.0, coverage=0.0)
    parcels = table(
        [
            {"parcel_id": "I1", "start_deadline": "2023-06-01", **vacant},
            {"parcel_id": "I2", "start_deadline": "2025-01-01", **vacant},
            {"parcel_id": "I3", "supply_date": "2023-03-15", **vacant},
            {"parcel_id": "I4", "start_deadline": "2019-01-01"},
            {"parcel_id": "I5", **vacant},
        ]
    )
    out = flag(parcels, as_of=AS_OF)
    assert out["lu_idle"].tolist() == [True, False, True, False, False]
    assert out["idle_since"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2024-06-01",
        "2026-01-01",
        "2025-03-15",
    ]
    assert out.loc[0, "reasons"] == "far_low;coverage_low;idle"  # idle land has FAR 0
    assert out.loc[1, "reasons"] == "" and not out.loc[1, "low_efficiency"]
    assert "闲置: 约定动工日期2023-06-01后满1年未动工" in out.loc[0, "reasons_detail"]
    assert "供地2023-03-15+12个月" in out.loc[2, "reasons_detail"]
    assert out.loc[4, "reasons_unknown"] == "idle"
    later = flag(parcels, as_of="2026-01-01")
    assert later["lu_idle"].tolist() == [True, True, True, False, False]
    slow = DEFAULT_POLICY.replace(idle_start_after_supply_months=24)
    assert flag(parcels, as_of=AS_OF, policy=slow)["lu_idle"].tolist()[2] is False


def test_class_d_two_years_running_needs_the_history():
    # E5: D in 2024 and D now (2025) -> D two years running.
    # E6: C in 2024, D now -> not two years running.
    # E7: D now, no 2024 evaluation -> cannot be decided (unknown).
    # E8: B now.
    parcels = table([{"parcel_id": f"P{k}", "enterprise_id": f"E{k}"} for k in (5, 6, 7, 8)])
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E5", "E6", "E7", "E8"],
            "tax": [1.0] * 4,
            "revenue": [10.0] * 4,
            "eval_class": ["D", "D", "D", "B"],
        }
    )
    history = pd.DataFrame(
        {
            "enterprise_id": ["E5", "E6", "E8", "E5"],
            "year": [2024, 2024, 2024, 2023],
            "eval_class": ["D", "C", "B", "A"],
        }
    )
    once = flag(parcels, enterprises=ent, as_of=AS_OF)
    assert once["lu_eval_class"].tolist() == [True, True, True, False]
    assert once.loc[0, "reasons_detail"] == "评价D类"
    twice = DEFAULT_POLICY.replace(lowuse_class_years=2)
    out = flag(parcels, enterprises=ent, history=history, eval_year=2025, as_of=AS_OF, policy=twice)
    assert out["lu_eval_class"].tolist() == [True, False, False, False]
    assert out.loc[0, "reasons_detail"] == "评价D类(连续2年)"
    assert out["reasons_unknown"].tolist() == ["", "", "eval_class", ""]
    assert "2024–2025" in out.attrs["notes"][0]
    # without the history, "two years running" cannot be decided for anyone now in D
    blind = flag(parcels, enterprises=ent, as_of=AS_OF, policy=twice)
    assert not blind["lu_eval_class"].any()
    assert blind["reasons_unknown"].tolist() == ["eval_class"] * 3 + [""]
    assert "needs the evaluation history" in blind.attrs["notes"][0]
    # C counts too once lowuse_classes says so
    cd = twice.replace(lowuse_classes=["C", "D"])
    out = flag(parcels, enterprises=ent, history=history, eval_year=2025, as_of=AS_OF, policy=cd)
    assert out["lu_eval_class"].tolist() == [True, True, False, False]


def test_per_mu_tax_floor_only_when_set():
    # E1: 30 万元 on 15 亩 = 2.0 万元/亩; E2: 60/15 = 4.0. Floor unset: no rule.
    # Floor 3.0: E1 is below, E2 is not.
    parcels = table(
        [
            {"parcel_id": "P1", "enterprise_id": "E1"},
            {"parcel_id": "P2", "enterprise_id": "E2"},
            {"parcel_id": "P3", "enterprise_id": "E9"},  # not in the table: unknown
        ]
    )
    ent = pd.DataFrame(
        {"enterprise_id": ["E1", "E2"], "tax": [30.0, 60.0], "revenue": [300.0, 600.0]}
    )
    assert not flag(parcels, enterprises=ent, as_of=AS_OF)["lu_tax_low"].any()
    policy = DEFAULT_POLICY.replace(per_mu_tax_floor_wan=3.0)
    out = flag(parcels, enterprises=ent, as_of=AS_OF, policy=policy)
    assert out["lu_tax_low"].tolist() == [True, False, False]
    assert out["tax_per_mu"].round(6).tolist()[:2] == [2.0, 4.0]
    assert out.loc[0, "reasons_detail"].endswith("亩均税收2<3万元/亩")
    assert "tax_low" in out.loc[2, "reasons_unknown"].split(";")


def test_plan_nonconformity_compares_classes():
    # Q1 land_use 0901 (commerce) under a plan that is 80 % 100101 (industrial): differs.
    # Q2 100102 under GB 50137 M1: both industrial in the category map -> conforms.
    # Q3 0902 under 0901: unmapped, same first-level class 09 -> conforms.
    # Q4 1101 with the plan covering only 40 % of it: no dominant use -> unknown.
    # Q5 outside the plan: not judged at all.
    parcels = table(
        [
            {"parcel_id": "Q1", "land_use": "0901", "category": "other"},
            {"parcel_id": "Q2", "land_use": "100102"},
            {"parcel_id": "Q3", "land_use": "0902", "category": "other"},
            {"parcel_id": "Q4", "land_use": "1101", "category": "logistics"},
            {"parcel_id": "Q5", "land_use": "0901", "category": "other"},
        ]
    )
    g = [square(k) for k in range(4)]
    b = [shapely.get_coordinates(x).min(axis=0) for x in g]
    plan = gpd.GeoDataFrame(
        {"planned_use": ["100101", "0901", "M1", "0901", "100101"]},
        geometry=[
            shapely.box(b[0][0], b[0][1], b[0][0] + 100, b[0][1] + 80),  # 80 % of Q1
            shapely.box(b[0][0], b[0][1] + 80, b[0][0] + 100, b[0][1] + 100),  # 20 % of Q1
            g[1],
            g[2],
            shapely.box(b[3][0], b[3][1], b[3][0] + 40, b[3][1] + 100),  # 40 % of Q4
        ],
        crs="EPSG:4549",
    )
    out = flag(parcels, plan=plan, as_of=AS_OF)
    assert out["lu_plan_nonconforming"].tolist() == [True, False, False, False, False]
    # the overlay computed apart (as the partitioned audit does) gives the same flags:
    # Q1 80 % 100101 + 20 % 0901 -> 100101, share 0.8, all covered; Q2 (M1) and Q3 (0901)
    # each under one feature; Q4 40 % under 100101 (the use before the 50 % minimum);
    # Q5 under nothing
    overlay = plan_overlay(parcels, plan)
    assert overlay["planned_use"].tolist()[:4] == ["100101", "M1", "0901", "100101"]
    assert overlay["planned_use"].isna().tolist() == [False, False, False, False, True]
    np.testing.assert_allclose(overlay["plan_share"], [0.8, 1.0, 1.0, 0.4, 0.0])
    np.testing.assert_allclose(overlay["plan_covered"], [1.0, 1.0, 1.0, 0.4, 0.0])
    pd.testing.assert_frame_equal(flag(parcels, plan=overlay, as_of=AS_OF), out)
    assert out.loc[0, "planned_use"] == "100101" and out.loc[0, "plan_share"] == 0.8
    assert out.loc[0, "reasons_detail"].endswith("现状0901≠规划100101(占80%)")
    assert "plan_nonconforming" in out.loc[3, "reasons_unknown"]
    assert "plan_nonconforming" not in out.loc[4, "reasons_unknown"]
    assert use_class(pd.Series(["100101", "M2", "M0", "0901", "B1", None])).tolist() == [
        "industrial",
        "industrial",
        "new_type_industrial",
        "2023:09",
        "GB:B",
        pd.NA,
    ]


def test_leading_industry_mismatch():
    # R1 in K1 (智能装备) with an enterprise in 新材料: mismatch. R2 智能装备: fine.
    # R3 outside every park: not judged. R4's enterprise has no industry: unknown.
    parcels = table(
        [
            {"parcel_id": "R1", "enterprise_id": "E1"},
            {"parcel_id": "R2", "enterprise_id": "E2"},
            {"parcel_id": "R3", "enterprise_id": "E1", "park_id": None},
            {"parcel_id": "R4", "enterprise_id": "E3"},
        ]
    )
    ent = pd.DataFrame(
        {"enterprise_id": ["E1", "E2", "E3"], "industry": [" 新材料", "智能装备", None]}
    )
    out = flag(parcels, parks=PARKS, enterprises=ent, as_of=AS_OF)
    assert out["lu_industry_mismatch"].tolist() == [True, False, False, False]
    assert out.loc[0, "leading_industry"] == "智能装备" and out.loc[0, "industry"] == "新材料"
    assert "industry_mismatch" in out.loc[3, "reasons_unknown"]
    assert "industry_mismatch" not in out.loc[2, "reasons_unknown"]


def test_rules_switched_off_and_thresholds_changed_via_policy():
    parcels = table(
        [{"parcel_id": "P1", "far": 0.6, "coverage": 0.2, "start_deadline": "2020-01-01"}]
    )
    assert flag(parcels, as_of=AS_OF).loc[0, "reasons"] == "far_low;coverage_low"
    only_idle = DEFAULT_POLICY.replace(lowuse_rules=["idle"])
    out = flag(parcels, as_of=AS_OF, policy=only_idle)
    assert not out.loc[0, "low_efficiency"] and out.loc[0, "reasons"] == ""
    assert not out["lu_far_low"].any() and not out["lu_coverage_low"].any()
    lower = DEFAULT_POLICY.replace(lowuse_far_max=0.5, coverage_min=0.15)
    assert flag(parcels, as_of=AS_OF, policy=lower).loc[0, "reasons"] == ""


def test_errors_name_the_column_and_the_fix():
    parcels = table([{"parcel_id": "P1"}]).drop(columns=["far"])
    with pytest.raises(DataError, match=r"column\(s\) 'far' missing.*Fix: pass the audit"):
        flag(parcels, as_of=AS_OF)
    ent = pd.DataFrame({"enterprise_id": ["E1", "E1"], "tax": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"duplicate IDs \(rows: E1\)"):
        per_mu(table([{"parcel_id": "P1"}]), ent)
    ent = pd.DataFrame({"enterprise_id": ["E1"], "tax": ["12万"]})
    with pytest.raises(DataError, match=r"'tax' has values that are not numbers \(rows: E1\)"):
        per_mu(table([{"parcel_id": "P1"}]), ent)
    ent = pd.DataFrame({"enterprise_id": ["E1"], "eval_class": ["E"]})
    with pytest.raises(DataError, match=r"not A, B, C or D \(rows: E1\)"):
        per_mu(table([{"parcel_id": "P1"}]), ent)


def test_through_the_audit_parcel_table():
    # The real parcel table: one 100 × 100 parcel with a 40 × 50 building of 2 floors:
    # floor area 4 000 m², FAR 0.4 < 1.0, coverage 0.2 < 0.3.
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"], "leading_industry": ["智能装备"]},
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 500, Y0 + 500)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A"], "land_use": ["100101"], "supply_date": ["2010-05-01"]},
        geometry=[square(0)],
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {"floors": [2]}, geometry=[shapely.box(X0, Y0, X0 + 40, Y0 + 50)], crs="EPSG:4549"
    )
    pt = parcel_table(parcels, parks, buildings)
    out = flag(pt, parks=parks, as_of=AS_OF)
    assert out.loc[0, "reasons"] == "far_low;coverage_low"
    assert out.loc[0, "reasons_detail"] == "容积率0.4<1；建筑系数20%<30%"


# ---------------------------------------------------------------------------
# the Xishan sample
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def audited(sample):
    layers = {
        kind: read_layer(sample.gpkg, kind=kind, layer=kind, duplicates="rename")
        for kind in ("parks", "parcels", "buildings", "plan")
    }
    ent = read_table(sample.enterprises, kind="enterprises")
    result = run(
        layers["parks"],
        layers["parcels"],
        layers["buildings"],
        enterprises=ent,
        plan=layers["plan"],
    )
    defects = json.loads(sample.defects.read_text(encoding="utf-8"))
    return result, layers, ent, defects


def test_sample_flags_find_the_planted_idle_and_nonconforming_parcels(audited):
    result, layers, ent, defects = audited
    out = flag(
        result.parcels,
        parks=result.parks,
        enterprises=ent,
        plan=layers["plan"],
        as_of=POLICY_DATE,
    )
    ids = result.parcels["parcel_id"]
    assert set(ids[out["lu_idle"]]) == set(defects["idle_parcels"])
    assert set(ids[out["lu_plan_nonconforming"]]) == set(defects["nonconforming_use"])
    assert out["low_efficiency"].sum() == (out["n_reasons"] > 0).sum() > 0
    # the sample's classes are tax-per-mu percentiles (A top 20 %, B next 40 %, C next
    # 25 %, D last 15 %): derived with the tax alone, they agree with every given one
    policy = DEFAULT_POLICY.replace(eval_weight_tax=1.0, eval_weight_revenue=0.0)
    pm = per_mu(result.parcels, ent, policy=policy)
    both = pm.dropna(subset=["eval_class_given", "eval_class_derived"])
    assert len(both) > 500
    assert (both["eval_class_given"] == both["eval_class_derived"]).all()


def test_summary_per_park_and_labels():
    # K1: P1 far_low + coverage_low (15 亩), P2 idle (15 亩), P3 fine; K2: P4 fine.
    vacant = dict(floor_area=0.0, footprint_m2=0.0, far=0.0, coverage=0.0)
    parcels = table(
        [
            {"parcel_id": "P1", "far": 0.6, "coverage": 0.2},
            {"parcel_id": "P2", "start_deadline": "2020-01-01", **vacant},
            {"parcel_id": "P3"},
            {"parcel_id": "P4", "park_id": "K2"},
        ]
    )
    rules = DEFAULT_POLICY.replace(lowuse_rules=["far_low", "idle"])
    flags = flag(parcels, as_of=AS_OF, policy=rules)
    s = summary(parcels, flags).set_index("park_id")
    assert s.loc["K1", ["n_parcels", "n_low_efficiency", "n_far_low", "n_idle"]].tolist() == [
        3,
        2,
        2,
        1,
    ]
    assert s.loc["K1", "low_efficiency_mu"] == pytest.approx(30.0)
    assert s.loc["K1", "low_efficiency_share"] == pytest.approx(2 / 3)
    assert s.loc["K1", "idle_mu"] == pytest.approx(15.0)
    assert s.loc["K2", "n_low_efficiency"] == 0
    assert set(FLAG_COLUMNS) <= set(COLUMN_LABELS)


def test_built_but_bare_needs_the_raster_and_is_off_by_default():
    # P1: 12 000 m² declared, 80 % bare -> flagged; P2: 30 % bare -> not;
    # P3: declared built, no land-cover value -> unknown; P4: vacant and bare -> not (idle rule)
    parcels = table(
        [
            {"parcel_id": "P1", "bare_share": 0.8},
            {"parcel_id": "P2", "bare_share": 0.3},
            {"parcel_id": "P3", "bare_share": np.nan},
            {"parcel_id": "P4", "bare_share": 0.9, "floor_area": 0.0, "far": 0.0},
        ]
    )
    assert "built_but_bare" not in DEFAULT_POLICY.lowuse_rules
    off = flag(parcels, as_of="2026-01-01")
    assert not off["lu_built_but_bare"].any()
    policy = DEFAULT_POLICY.replace(lowuse_rules=["built_but_bare"])
    got = flag(parcels, as_of="2026-01-01", policy=policy)
    assert got["lu_built_but_bare"].tolist() == [True, False, False, False]
    assert got["reasons"].tolist() == ["built_but_bare", "", "", ""]
    assert got["reasons_detail"].iloc[0] == "裸地占比80%≥50%"
    assert got["reasons_unknown"].tolist() == ["", "", "built_but_bare", ""]
    # a threshold of 0.25 also takes P2
    low = flag(parcels, as_of="2026-01-01", policy=policy.replace(lowuse_bare_share_min=0.25))
    assert low["lu_built_but_bare"].tolist() == [True, True, False, False]
    # without a land-cover raster the rule cannot judge, and says so
    bare = flag(parcels.drop(columns="bare_share"), as_of="2026-01-01", policy=policy)
    assert not bare["low_efficiency"].any()
    assert "built_but_bare: no land-cover raster (bare_share)" in bare.attrs["notes"]


# ---------------------------------------------------------------------------
# the three kinds of clause 二(一)3, industrial positioning
# ---------------------------------------------------------------------------

KIND_ENTERPRISES = pd.DataFrame(
    {
        "enterprise_id": ["E1", "E2", "E3", "E4"],
        "industry": ["纺织", "智能装备", "检验检测", "纺织"],
        "tax": [60.0, 60.0, 60.0, 60.0],
        "revenue": [900.0, 900.0, 900.0, 900.0],
        "eval_class": ["A", "B", "B", "D"],
    }
)


def kind_layer() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Five parcels of park K1 (leading 智能装备), 15 亩 each, and a plan.

    P1 E1 纺织, FAR 1.2, class A: industry only (efficient land, wrong industry);
    P2 E2 智能装备, FAR 0.6: inefficient only (far_low);
    P3 E4 纺织, class D: industry + inefficient (eval_class);
    P4 no enterprise, land use 0701 (residential) where the plan says 100101: plan only;
    P5 E3 检验检测: a related industry of K1 when one is listed, else industry only.
    The plan covers every parcel with 100101 (industrial): P1–P3, P5 conform.
    """
    parcels = table(
        [
            {"parcel_id": "P1", "enterprise_id": "E1", "land_use": "100101"},
            {"parcel_id": "P2", "enterprise_id": "E2", "far": 0.6, "land_use": "100101"},
            {"parcel_id": "P3", "enterprise_id": "E4", "land_use": "100101"},
            {"parcel_id": "P4", "category": "other", "land_use": "0701"},
            {"parcel_id": "P5", "enterprise_id": "E3", "land_use": "100101"},
        ]
    )
    plan = gpd.GeoDataFrame(
        {"planned_use": ["100101"]},
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 1000, Y0 + 110)],
        crs="EPSG:4549",
    )
    return parcels, plan


def test_each_kind_has_its_own_column_and_low_efficiency_is_their_or():
    parcels, plan = kind_layer()
    out = flag(parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, plan=plan, as_of=AS_OF)
    out.index = parcels["parcel_id"]
    assert out["lu_plan"].tolist() == [False, False, False, True, False]
    assert out["lu_industry"].tolist() == [True, False, True, False, True]
    assert out["lu_inefficient"].tolist() == [False, True, True, False, False]
    assert out["low_efficiency"].all()
    # the per-reason columns stay
    assert out["lu_industry_mismatch"].tolist() == out["lu_industry"].tolist()
    assert out.loc["P3", "reasons"] == "eval_class;industry_mismatch"
    assert out["kinds"].tolist() == [
        "industry",
        "inefficient",
        "industry;inefficient",
        "plan",
        "industry",
    ]
    assert out.loc["P3", "kinds_zh"] == "不符合产业发展定位；不符合高效配置原则"


def test_a_kind_left_out_by_the_project_file_does_not_count():
    # without "industry": P1 and P5 (industry only) are not low-efficiency, P3 still is
    # (eval_class) and lists only its counted reason; lu_industry still shows the finding
    parcels, plan = kind_layer()
    policy = DEFAULT_POLICY.replace(lowuse_kinds=["plan", "inefficient"])
    out = flag(
        parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, plan=plan, as_of=AS_OF, policy=policy
    )
    out.index = parcels["parcel_id"]
    assert out["low_efficiency"].tolist() == [False, True, True, True, False]
    assert out["lu_industry"].tolist() == [True, False, True, False, True]
    assert out.loc["P3", "reasons"] == "eval_class" and out.loc["P3", "n_reasons"] == 1
    assert out.loc["P3", "kinds"] == "inefficient"
    assert out.loc["P1", "reasons"] == "" and out.loc["P1", "kinds"] == ""


def test_kind_breakdown_by_kind_and_only_kind():
    # P1–P3, P5 industrial (60 亩), P4 other (15 亩). plan: P4 (15 亩, 0 industrial);
    # industry: P1, P3, P5 = 45 亩 = 75 % of industrial land, only: P1, P5 = 30 亩 = 50 %;
    # inefficient: P2, P3 = 30 亩 = 50 %, only: P2 = 15 亩 = 25 %; all: 5 parcels, 75 亩,
    # industrial 60 亩 = 100 %.
    parcels, plan = kind_layer()
    flags = flag(parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, plan=plan, as_of=AS_OF)
    t = kind_breakdown(parcels, flags).set_index("kind")
    assert t.index.tolist() == ["plan", "industry", "inefficient", "all"]
    assert t["n_parcels"].tolist() == [1, 3, 2, 5]
    assert t["area_mu"].tolist() == pytest.approx([15.0, 45.0, 30.0, 75.0])
    assert t["industrial_share"].tolist() == pytest.approx([0.0, 0.75, 0.5, 1.0])
    assert t["n_only"].tolist() == [1, 2, 1, 0]
    assert t["only_industrial_share"].tolist() == pytest.approx([0.0, 0.5, 0.25, 0.0])
    assert t["label"].tolist()[:3] == ["不符合规划", "不符合产业发展定位", "不符合高效配置原则"]
    # the same figures per park
    s = summary(parcels, flags).set_index("park_id")
    assert s.loc["K1", ["n_lu_industry", "n_only_industry", "n_only_inefficient"]].tolist() == [
        3,
        2,
        1,
    ]
    assert s.loc["K1", "only_industry_mu"] == pytest.approx(30.0)
    assert s.loc["K1", "lu_plan_mu"] == pytest.approx(15.0)


def test_related_industries_conform_from_the_layer_or_the_project_file():
    # K1 lists 检验检测 as related (layer column, with a second name after "、"):
    # P5 (E3 检验检测) conforms; P1 and P3 (纺织) do not.
    parcels, plan = kind_layer()
    parks = pd.DataFrame(
        {
            "park_id": ["K1"],
            "leading_industry": ["智能装备"],
            "related_industries": [" 检验检测、工业软件 "],
        }
    )
    out = flag(parcels, parks=parks, enterprises=KIND_ENTERPRISES, as_of=AS_OF)
    assert out["lu_industry"].tolist() == [True, False, True, False, False]
    assert (
        out["reasons_detail"].iloc[0]
        == "产业纺织不属产业定位(主导智能装备; 相关检验检测、工业软件)"
    )
    assert out.attrs["quality"] == []
    # the same from the project file's [policy.related_industries], as TOML text
    policy = DEFAULT_POLICY.replace(related_industries={"K1": "工业软件；检验检测"})
    again = flag(parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, as_of=AS_OF, policy=policy)
    assert again["lu_industry"].tolist() == [True, False, True, False, False]
    # a related name written with full-width brackets and spaces still matches by its key
    policy = DEFAULT_POLICY.replace(related_industries={"K1": "工业软件；检验 检测（含认证）"})
    ents = KIND_ENTERPRISES.assign(
        industry=KIND_ENTERPRISES["industry"].replace("检验检测", "检验检测(含认证)")
    )
    third = flag(parcels, parks=PARKS, enterprises=ents, as_of=AS_OF, policy=policy)
    assert third["lu_industry"].tolist() == [True, False, True, False, False]


def test_a_park_without_related_industries_is_named_in_the_quality_records():
    parcels, plan = kind_layer()
    out = flag(parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, as_of=AS_OF)
    [record] = out.attrs["quality"]
    assert (record["layer"], record["id"], record["check"], record["severity"]) == (
        "parks",
        "K1",
        "no_related_industries",
        "info",
    )
    assert "智能装备" in record["detail"]
    assert any("K1" in note for note in out.attrs["notes"])


def test_park_positioning_merges_features_layer_and_project_file():
    parks = pd.DataFrame(
        {
            "park_id": ["K1", "K1", 7, "K3"],
            "leading_industry": ["智能装备", None, "新材料", None],
            "related_industries": ["检验检测,智能装备", "工业软件", None, "物流"],
        }
    )
    policy = DEFAULT_POLICY.replace(related_industries={"7": ["化工", "检测"], "K1": "检验检测"})
    pos = park_positioning(parks, policy=policy)
    assert pos.loc["K1", "leading_industry"] == "智能装备"
    # the leading industry is not repeated among the related ones, nor any name twice
    assert pos.loc["K1", "related_industries"] == ("检验检测", "工业软件")
    assert pos.loc["7", "related_text"] == "化工、检测"
    assert pd.isna(pos.loc["K3", "leading_industry"])


def test_kind_and_reason_headers_are_distinct():
    # "不符合规划" is both a kind and a reason: their Excel headers must still differ
    parcels, plan = kind_layer()
    flags = flag(parcels, parks=PARKS, enterprises=KIND_ENTERPRISES, plan=plan, as_of=AS_OF)
    columns = list(FLAG_COLUMNS) + list(summary(parcels, flags).columns[1:])
    labels = [COLUMN_LABELS[c] for c in columns]
    assert len(set(labels)) == len(labels)
    assert COLUMN_LABELS["n_lu_plan"] == "低效类型不符合规划(宗)"
    assert COLUMN_LABELS["n_plan_nonconforming"] == "不符合规划(宗)"


@settings(max_examples=40, deadline=None)
@given(
    rows=hst.lists(
        hst.tuples(
            hst.sampled_from(["K1", "K2", None]),
            hst.floats(min_value=0, max_value=1e5, allow_nan=False),
            hst.lists(hst.sampled_from(LOWUSE_RULES), max_size=3),
        ),
        min_size=1,
        max_size=30,
    ),
    cut=hst.integers(min_value=0, max_value=30),
    kinds=hst.sampled_from([("plan", "industry", "inefficient"), ("inefficient",)]),
)
def test_summary_of_two_parts_combined_equals_that_of_all_parcels(rows, cut, kinds):
    from xsland.rules.policy import LOWUSE_KINDS, LOWUSE_RULE_KIND

    policy = DEFAULT_POLICY.replace(lowuse_kinds=kinds)
    parcels = pd.DataFrame({"park_id": [r[0] for r in rows], "area_mu": [r[1] for r in rows]})
    flags = pd.DataFrame({f"lu_{c}": [c in r[2] for r in rows] for c in LOWUSE_RULES})
    for k in LOWUSE_KINDS:
        mine = [c for c in LOWUSE_RULES if LOWUSE_RULE_KIND[c] == k]
        flags[f"lu_{k}"] = flags[[f"lu_{c}" for c in mine]].any(axis=1)
    flags["low_efficiency"] = flags[[f"lu_{k}" for k in kinds]].any(axis=1)
    a = min(cut, len(rows))
    parts = [
        summary_partial(parcels.iloc[a:], flags.iloc[a:], policy=policy),
        summary_partial(parcels.iloc[:a], flags.iloc[:a], policy=policy),
    ]
    got = summary_combine(parts)
    pd.testing.assert_frame_equal(got, summary(parcels, flags, policy=policy), check_exact=True)
    inside = parcels.dropna()
    assert got["n_parcels"].sum() == len(inside)
    for pid, group in inside.groupby("park_id"):
        row = got.set_index("park_id").loc[pid]
        low = flags.loc[group.index, "low_efficiency"]
        assert row["low_efficiency_mu"] == math.fsum(group["area_mu"][low])


# -- the per-row helpers of flag, against their plain definitions ---------------------


def _plain_join(masks: list, labels: list, sep: str, n: int) -> list:
    return [sep.join(t for m, t in zip(masks, labels, strict=True) if m[i]) for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 12).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.lists(st.booleans(), min_size=n, max_size=n), max_size=8)
        )
    )
)
def test_labels_equal_the_row_by_row_join(case: tuple) -> None:
    n, masks = case
    masks = [np.array(m, dtype=bool) for m in masks]
    labels = [f"r{j}" for j in range(len(masks))]
    got = lowuse._labels(masks, labels, ";", n)
    assert str(got.dtype) == "str"
    assert list(got) == _plain_join(masks, labels, ";", n)


def test_labels_by_hand() -> None:
    # rows: both, first only, none -> "a；b", "a", ""
    got = lowuse._labels(
        [np.array([1, 1, 0], bool), np.array([1, 0, 0], bool)], ["a", "b"], "；", 3
    )
    assert list(got) == ["a；b", "a", ""]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.booleans(), st.sampled_from(["容积率0.5<1", "x", "亩均税收1<2", ""])),
            min_size=5,
            max_size=5,
        ),
        max_size=6,
    )
)
def test_details_equal_the_row_by_row_join(rules: list) -> None:
    # details given as object arrays or Arrow text (what _where makes); a rule that
    # holds with an empty detail adds nothing, as an empty part did in the object join
    n = 5
    parts = [
        (np.array([h for h, _ in r], dtype=bool), np.array([d for _, d in r], dtype=object))
        for r in rules
    ]
    want = ["；".join(d[i] for h, d in parts if h[i] and d[i] != "") for i in range(n)]
    parts = [
        (h, pa.array(d, type=pa.large_string()) if k % 2 else d) for k, (h, d) in enumerate(parts)
    ]
    got = lowuse._details(parts, "；", n)
    assert str(got.dtype) == "str"
    assert list(got) == want


_NAMES = st.sampled_from(
    ["数字经济（软件）", "数字经济 (软件)", "新材料", " 新材料 ", "检验检测", ""]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(_NAMES, st.none()), st.lists(_NAMES, max_size=3).map(tuple)),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.tuples(st.integers(-1, 3), st.one_of(_NAMES, st.none())), max_size=12),
)
def test_conforms_equals_the_plain_definition(parks: list, rows: list) -> None:
    from xsland.read.values import name_key

    pos = pd.DataFrame(
        {
            "leading_industry": pd.Series([lead for lead, _ in parks], dtype="string"),
            "related_industries": pd.Series([r for _, r in parks], dtype=object),
        }
    )
    group = np.array([min(g, len(parks) - 1) for g, _ in rows], dtype=np.intp)
    industry = pd.Series([k for _, k in rows], dtype="string")
    got = lowuse._conforms(industry, group, pos)

    def key(name: str | None) -> str:
        return "" if name is None else name_key(name) or ""

    want = []
    for g, (_, name) in zip(group, rows, strict=True):
        lead, related = parks[g] if g >= 0 else (None, ())
        k = key(name)
        want.append(k == key(lead) or (k != "" and any(key(r) == k for r in related)))
    assert got.tolist() == want


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["E1", "E2", "E3", "E4"]), unique=True, max_size=4),
    st.lists(st.one_of(st.sampled_from(["E1", "E2", "E3", "E5"]), st.none()), max_size=10),
    st.sampled_from(["pyarrow", "python"]),
)
def test_rows_of_and_take_equal_series_map(index: list, keys: list, storage: str) -> None:
    # Arrow text on both sides (Arrow's lookup) or Python text (get_indexer)
    dtype = f"string[{storage}]"
    table = pd.Series(
        [f"c{i}" for i in range(len(index))], index=pd.Index(index, dtype=dtype), dtype="string"
    )
    flags = pd.Series([i % 2 == 0 for i in range(len(index))], index=table.index)
    k = pd.Series(keys, dtype=dtype)
    row = lowuse._rows_of(k, table.index)
    # the plain definition: Series.map, NA (or the fill) where the key has no row
    mapped = k.astype(object).map(table).astype(object)
    want = pd.Series([v if isinstance(v, str) else None for v in mapped], dtype="string")
    pd.testing.assert_series_equal(lowuse._take(table, row), want, check_exact=True)
    pd.testing.assert_series_equal(
        lowuse._take(table, row, fill="none"), want.fillna("none"), check_exact=True
    )
    got = lowuse._at(flags, row, True).tolist()
    assert got == [bool(flags[x]) if x in index else True for x in k.astype(object).fillna("")]


def test_where_makes_text_only_for_the_rows_that_hold() -> None:
    seen = []

    def make(m: np.ndarray) -> np.ndarray:
        seen.append(int(m.sum()))
        return np.array(["a", "b"], dtype=object)

    out = lowuse._where(np.array([False, True, False, True]), make)
    assert out.at(np.arange(4)).to_pylist() == ["", "a", "", "b"] and seen == [2]
    assert out.at(np.array([3, 1])).to_pylist() == ["b", "a"]
    assert out.at(np.array([1, 3])).to_pylist() == ["a", "b"]
    none = lowuse._where(np.zeros(3, bool), make)
    assert none.at(np.arange(3)).to_pylist() == ["", "", ""] and seen == [2]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e300, max_value=1e300),
            st.sampled_from([math.nan, math.inf, -math.inf]),
            st.sampled_from([-0.0, 0.0, 1.0, 1.5, -0.0004, 2.0005, 1e16]),
        ),
        max_size=20,
    ),
    st.integers(0, 3),
)
def test_fmt_equals_writing_every_value(values: list, digits: int) -> None:
    rounded = np.round(np.asarray(values, dtype="float64"), digits)
    plain = pd.Series(rounded).astype("str").str.replace(r"\.0$", "", regex=True)
    want = plain.fillna("").tolist()
    got = lowuse._fmt(np.asarray(values, dtype="float64"), digits)
    assert got.dtype == object and got.tolist() == want


def test_fmt_by_hand() -> None:
    # 0.4249 -> "0.425"; 1.0 -> "1"; -0.0001 rounds to -0.0 -> "-0"; NaN -> ""
    got = lowuse._fmt(np.array([0.4249, 1.0, -0.0001, np.nan, 0.4249]), 3)
    assert got.tolist() == ["0.425", "1", "-0", "", "0.425"]
