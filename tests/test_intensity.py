"""Intensive-use evaluation per park and district (xsland.judge.intensity), worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from xsland.judge.intensity import COLUMNS, SHARES, intensity, score
from xsland.rules.policy import DEFAULT_POLICY

AS_OF = "2025-08-29"


def _parcels() -> pd.DataFrame:
    # P1 (supply dates on every parcel):
    #   p1 industrial 2 ha, floor 30000 m², footprint 10000 m², supplied 2015   built    A, A2, D
    #   p2 industrial 1 ha, no building, supplied 2025-01-01 (due 2026-01-01)   D only (not A)
    #   p3 residential (0701) 1 ha, floor 8000, footprint 2000, supplied 2010   A, R, D
    #   p4 industrial 1 ha, no building, supplied 2020-01-01 (idle 2022-01-01) D, G
    #   p5 0.5 ha, not supplied, ready for supply                               B21
    # P2 (no supply data):
    #   q1 industrial 1 ha, floor 12000, footprint 4000                         A, A2
    #   (and p0, outside every park, is never counted)
    return pd.DataFrame(
        {
            "parcel_id": ["p1", "p2", "p3", "p4", "p5", "q1", "p0"],
            "park_id": ["P1"] * 5 + ["P2", None],
            "category": ["industrial", "industrial", "other", "industrial", "other"]
            + ["industrial", "industrial"],
            "land_use": ["100101", "100101", "0701", "100101", "0901", "M1", "M1"],
            "area_ha": [2.0, 1.0, 1.0, 1.0, 0.5, 1.0, 9.0],
            "floor_area": [30000.0, 0, 8000, 0, 0, 12000, 90000],
            "footprint_m2": [10000.0, 0, 2000, 0, 0, 4000, 30000],
            "supply_date": pd.to_datetime(
                ["2015-01-01", "2025-01-01", "2010-01-01", "2020-01-01", None, None, None]
            ),
            "ready_for_supply": [False, False, False, False, True, False, False],
            "enterprise_id": ["E1", "E1", None, None, None, None, "E9"],
        }
    )


def _enterprises() -> pd.DataFrame:
    # E1 holds p1 (2 ha) and p2 (1 ha): tax 300 -> 200 on p1; investment 9000 -> 6000 on p1
    return pd.DataFrame(
        {"enterprise_id": ["E1", "E9"], "tax": [300.0, 1.0], "investment": [9000.0, 1.0]}
    )


def _run(**kw):
    parks = pd.DataFrame({"park_id": ["P1", "P2", "P3"], "name": ["一园", "二园", "三园"]})
    out = intensity(
        _parcels(), parks=parks, enterprises=_enterprises(), as_of=AS_OF, policy=DEFAULT_POLICY
    )
    return out.set_index("park_id")


def test_park_with_supplied_but_unbuilt_land_by_hand():
    r = _run().loc["P1"]
    # A = p1 + p3 = 3, A2 = p1 = 2, R = p3 = 1, D = p1..p4 = 5, B21 = 0.5, G = p4 = 1
    assert (r["built_ha"], r["industrial_built_ha"], r["residential_built_ha"]) == (3, 2, 1)
    assert (r["supplied_ha"], r["ready_ha"], r["idle_ha"]) == (5, 0.5, 1)
    # D / (A + B21'): A = p1, p3 (3 ha); B21' = unbuilt and supplied or ready = p2, p4, p5
    assert r["supply_rate"] == pytest.approx(5 / 5.5)
    assert r["built_rate"] == pytest.approx(0.6)  # A / D: p2 counts in D, not in A
    assert r["industrial_rate"] == pytest.approx(2 / 3)
    assert r["far_all"] == pytest.approx(3.8 / 3)  # (30000 + 8000) m² / 3 ha
    assert r["building_density"] == pytest.approx(0.4)  # 12000 m² / 3 ha
    assert r["far_industrial"] == pytest.approx(1.5)  # 30000 m² / 2 ha
    assert r["coverage_industrial"] == pytest.approx(0.5)  # 10000 m² / 2 ha
    assert r["tax_per_ha_industrial"] == pytest.approx(100.0)  # 200 万元 / 2 ha
    assert r["investment_per_ha"] == pytest.approx(3000.0)  # 6000 万元 / 2 ha
    assert r["idle_rate"] == pytest.approx(0.2)  # G / D
    # A2/A = 0.67 > 0.30 but residential 0.33 is not under 0.25
    assert r["zone_type"] == "产城融合型"
    # attainment: supply 10/11, built 0.6, industrial 1, far 1 (1.27/1.2), density 1,
    # far_ind 1, coverage 1, tax 0.1, investment 0.6, idle 0.8; weights .10 .10 .05 .10 .10
    # .15 .10 .15 .05 .10: 1/11 + .06 + .05 + .1 + .1 + .15 + .1 + .015 + .03 + .08
    assert r["score"] == pytest.approx(100 * (1 / 11 + 0.685))
    assert r["score_weight_share"] == pytest.approx(1.0)
    assert pd.isna(r["missing"])


def test_park_without_supply_data_is_null_not_zero():
    r = _run().loc["P2"]
    for col in ("supplied_ha", "idle_ha", "supply_rate", "built_rate", "idle_rate"):
        assert np.isnan(r[col]), col
    assert r["built_ha"] == 1 and r["far_all"] == pytest.approx(1.2)
    assert r["zone_type"] == "工业主导型"  # A2/A = 1, no housing
    assert "supplied_ha: no supply_date" in r["missing"]
    assert "tax_per_ha_industrial: no enterprise with tax" in r["missing"]
    # scored on what is known: far_all 1.2/1.2, density 0.4/0.4, industrial, far_ind 1.2/1.5,
    # coverage 0.4/0.5; w = .05 + .10 + .10 + .15 + .10 = .50;
    # points = .05 + .1 + .1 + .15 * .8 + .1 * .8 = .45 -> 90.0, on half of the weight
    assert r["score"] == pytest.approx(90.0)
    assert r["score_weight_share"] == pytest.approx(0.5)


def test_park_without_parcels_and_the_district():
    out = _run()
    p3 = out.loc["P3"]
    assert p3["built_ha"] == 0 and np.isnan(p3["far_all"]) and pd.isna(p3["zone_type"])
    assert "A = 0" in p3["missing"]
    d = out.loc["district"]
    assert d["name"] == "全区" and d["level"] == "district"
    # district = P1 + P2 (p0 outside parks): A = 4, A2 = 3, D = 5 + q1 (built) = 6
    assert (d["built_ha"], d["industrial_built_ha"], d["supplied_ha"]) == (4, 3, 6)
    assert d["far_all"] == pytest.approx(5.0 / 4)  # (30000 + 8000 + 12000) / 4 ha
    # tax known on p1 only (q1 has no enterprise): rate over that part, and said so
    assert d["tax_per_ha_industrial"] == pytest.approx(100.0)
    assert "tax known on 66.7 % of A2" in d["missing"]
    assert list(out.index) == ["P1", "P2", "P3", "district"]


def test_missing_columns_give_reasons():
    p = _parcels().drop(columns=["ready_for_supply"])
    r = intensity(p, enterprises=None, as_of=AS_OF).set_index("park_id").loc["P1"]
    assert np.isnan(r["ready_ha"]) and np.isnan(r["supply_rate"])
    assert np.isnan(r["tax_per_ha_industrial"]) and np.isnan(r["investment_per_ha"])
    assert "no ready_for_supply column" in r["missing"]
    assert "no enterprise tax column" in r["missing"]
    # floor area unknown on a built parcel: FAR null, not the FAR of the rest
    p.loc[0, "floor_area"] = np.nan
    r = intensity(p, as_of=AS_OF).set_index("park_id").loc["P1"]
    assert np.isnan(r["far_all"]) and "floor area unknown on 1 parcel" in r["missing"]
    assert r["building_density"] == pytest.approx(0.4)


def test_score_formula():
    full = {k: 0.0 for k in ("supply_rate",)}
    s, share = score(full)
    assert s == 0.0 and share == pytest.approx(0.1)
    s, share = score({"idle_rate": 0.5}, policy=DEFAULT_POLICY.replace(ideal_idle_rate=0.5))
    assert s == 100.0
    assert np.isnan(score({})[0]) and score({})[1] == 0.0
    assert np.isnan(score({"far_all": np.inf})[0])


def test_columns_declared():
    out = _run()
    assert list(out.reset_index().columns) == list(COLUMNS)
    for name, spec in COLUMNS.items():
        assert len(spec) == 6 and spec[2], name


def test_enterprise_ids_match_across_number_and_text():
    # numeric IDs from a spreadsheet (12.0) and text with trailing spaces (" 12 ") are one
    p = _parcels().assign(enterprise_id=[12.0, 12.0, None, None, None, None, None])
    e = pd.DataFrame({"enterprise_id": [" 12 "], "tax": [300.0]})
    r = intensity(p, enterprises=e, as_of=AS_OF).set_index("park_id").loc["P1"]
    assert r["tax_per_ha_industrial"] == pytest.approx(100.0)


def test_demo_writes_the_intensity_layer_sheet_and_summary(demo_audit):
    import pyogrio

    from xsland.result import AuditResult

    out = demo_audit[0]
    layer = pyogrio.read_dataframe(out / "audit.gpkg", layer="intensity", read_geometry=False)
    assert list(layer.columns) == list(COLUMNS)
    assert layer["park_id"].iloc[-1] == "district" and len(layer) == 9  # 8 parks + district
    # the sample has no ready_for_supply column: supply rate null with its reason, never 0
    assert layer["supply_rate"].isna().all()
    assert layer["missing"].str.contains("no ready_for_supply column").all()
    sheets = pd.ExcelFile(out / "audit.xlsx").sheet_names
    assert "集约评价 intensity" in sheets
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Intensive-use evaluation (开发区土地集约利用评价)" in summary
    assert "## 批供用 status of parcels" in summary and "## 亩均效益 classes (4+T)" in summary
    result = AuditResult.read(out)
    assert len(result.intensity) == 9
    assert {"supply_status", "supply_rule"} <= set(result.parcels.columns)
    assert {"mj_score", "mj_rank", "mj_class", "mj_class_source"} <= set(result.enterprises.columns)
    assert {"rate_not_supplied", "rate_idle"} <= set(result.parks.columns)
    assert {"rate_not_used"} <= set(result.towns.columns)


def test_invariants_on_random_parks():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    parcel = st.tuples(
        st.sampled_from(["P1", "P2", None]),
        st.sampled_from(["industrial", "logistics", "other", None]),
        st.sampled_from(["100101", "0701", "R2", "0901", None]),
        st.floats(0.01, 50),
        st.one_of(st.just(np.nan), st.just(0.0), st.floats(0, 1e5)),
        st.one_of(st.just(np.nan), st.just(0.0), st.floats(0, 1e5)),
        st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1))),
    )

    @settings(max_examples=60, deadline=None)
    @given(rows=st.lists(parcel, min_size=1, max_size=12))
    def check(rows):
        p = pd.DataFrame(
            rows,
            columns=["park_id", "category", "land_use", "area_ha", "floor_area", "footprint_m2"]
            + ["supply_date"],
        )
        p["supply_date"] = pd.to_datetime(p["supply_date"])
        p["parcel_id"] = [f"x{i}" for i in range(len(p))]
        out = intensity(p, as_of=AS_OF).set_index("park_id")
        parks = out[out["level"] == "park"]
        d = out.loc["district"]
        assert d["built_ha"] == pytest.approx(parks["built_ha"].sum())
        # built land is supplied land: A never exceeds D where D is known
        assert np.isnan(d["supplied_ha"]) or d["built_ha"] <= d["supplied_ha"] + 1e-9
        for _, r in out.iterrows():
            assert r["industrial_built_ha"] <= r["built_ha"] + 1e-9
            assert r["residential_built_ha"] <= r["built_ha"] + 1e-9
            for share in SHARES:
                assert np.isnan(r[share]) or -1e-9 <= r[share] <= 1 + 1e-9, share
            assert np.isnan(r["score"]) or 0 <= r["score"] <= 100
            # a null value always has its reason
            for col in ("far_all", "supplied_ha", "idle_rate"):
                if np.isnan(r[col]):
                    assert isinstance(r["missing"], str) and col in r["missing"], col

    check()


def test_shares_never_leave_0_to_100_percent_on_inconsistent_inputs():
    # One park, hand-made and inconsistent on purpose:
    #   b1 industrial 1 ha, footprint 15000 m² (> 10000 m² of land), built, but its supply
    #      status is given as approved_not_supplied: A = A2 = 1, not in D
    #   b2 industrial 1 ha, no building, supplied_not_started: D = 1
    parcels = pd.DataFrame(
        {
            "parcel_id": ["b1", "b2"],
            "park_id": ["K", "K"],
            "category": ["industrial", "industrial"],
            "land_use": ["100101", "100101"],
            "area_ha": [1.0, 1.0],
            "floor_area": [20000.0, 0.0],
            "footprint_m2": [15000.0, 0.0],
            "supply_date": pd.to_datetime([None, "2015-01-01"]),
            "supply_status": ["approved_not_supplied", "supplied_not_started"],
            "ready_for_supply": [False, False],
        }
    )
    r = intensity(parcels, as_of=AS_OF).set_index("park_id").loc["K"]
    # A = 1 (b1), D = 1 (b2): built rate 1/1 = 100 % is in range and kept
    assert r["built_rate"] == pytest.approx(1.0)
    # density 15000 m² / 1 ha = 150 % and coverage 150 %: null, and said why
    assert np.isnan(r["building_density"]) and np.isnan(r["coverage_industrial"])
    assert "footprint on A / A = 150.0 % is outside 0–100 %" in r["missing"]
    assert "footprint on A2 / A2 = 150.0 %" in r["missing"]
    # A > D once b2 is not supplied either: built rate 1 / 0 has no denominator (null),
    # and with b2 supplied but b1's area doubled A / D = 2 / 1 = 200 %: null
    parcels.loc[0, "area_ha"] = 2.0
    parcels.loc[0, "footprint_m2"] = 1000.0
    r = intensity(parcels, as_of=AS_OF).set_index("park_id").loc["K"]
    assert np.isnan(r["built_rate"]) and "A / D = 200.0 % is outside" in r["missing"]
    assert r["building_density"] == pytest.approx(0.05)  # 1000 m² / 2 ha
    # a negative area (only an API caller can pass one): A2 / A with A2 > A
    parcels.loc[1, ["floor_area", "footprint_m2", "land_use"]] = [100.0, 10.0, "0701"]
    parcels.loc[1, "area_ha"] = -1.0
    parcels.loc[1, "category"] = "other"
    r = intensity(parcels, as_of=AS_OF).set_index("park_id").loc["K"]
    # A = 2 - 1 = 1, A2 = 2: 200 %; R = -1: -100 %; zone type then unknown, not guessed
    assert np.isnan(r["industrial_rate"]) and np.isnan(r["residential_rate"])
    assert "A2 / A = 200.0 %" in r["missing"] and "R / A = -100.0 %" in r["missing"]
    assert pd.isna(r["zone_type"]) and "zone_type" in r["missing"]
    assert np.isnan(r["score"]) or 0 <= r["score"] <= 100


def test_supply_rate_has_supplied_but_unbuilt_land_in_its_base():
    # q1 built 2 ha, q2 built without a supply date 1 ha (built land counts as supplied:
    # xsland.judge.supply), q3 supplied and unbuilt 1 ha, q4 ready for supply 1 ha:
    # D = q1 + q2 + q3 = 4; A + B21' = built (q1, q2) + unbuilt supplied or ready (q3, q4) = 5
    # -> 0.8. Read with B21 as ready-and-unsupplied only, D / (A + B21) = 4 / (3 + 1) = 100 %
    # although q4 is still waiting for supply.
    parcels = pd.DataFrame(
        {
            "parcel_id": ["q1", "q2", "q3", "q4"],
            "park_id": ["P1"] * 4,
            "category": ["industrial"] * 4,
            "land_use": ["100101"] * 4,
            "area_ha": [2.0, 1.0, 1.0, 1.0],
            "floor_area": [30000.0, 15000.0, 0.0, 0.0],
            "footprint_m2": [10000.0, 5000.0, 0.0, 0.0],
            "supply_date": pd.to_datetime(["2015-01-01", None, "2024-06-01", None]),
            "ready_for_supply": [False, False, False, True],
        }
    )
    parks = pd.DataFrame({"park_id": ["P1"], "name": ["一园"]})
    r = intensity(parcels, parks=parks, as_of=AS_OF, policy=DEFAULT_POLICY).set_index("park_id")
    assert r.loc["P1", "supplied_ha"] == pytest.approx(4.0)
    assert r.loc["P1", "supply_rate"] == pytest.approx(0.8)


_rows = hst.lists(
    hst.tuples(
        hst.sampled_from(["K1", "K2", None]),
        hst.floats(min_value=0.01, max_value=50),  # area, ha
        hst.one_of(hst.none(), hst.sampled_from([0.0]), hst.floats(min_value=1, max_value=5e5)),
        hst.one_of(hst.none(), hst.floats(min_value=0, max_value=1e5)),  # footprint
        hst.sampled_from(["new_industrial", "logistics", "other"]),
        hst.sampled_from(["0701", "100101", None]),
        hst.sampled_from(["built", "idle", "supplied_not_started", "unknown"]),
        hst.booleans(),  # ready for supply
        hst.sampled_from(["E1", "E2", "E3", None]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None)
@given(rows=_rows, split=hst.lists(hst.booleans(), min_size=25, max_size=25))
def test_intensity_of_two_parts_combined_equals_that_of_all_parcels(rows, split):
    from xsland.judge.intensity import (
        intensity_combine,
        intensity_partial,
        land_combine,
        land_partial,
    )

    names = ["park_id", "area_ha", "floor_area", "footprint_m2", "category", "land_use"]
    parcels = pd.DataFrame(rows, columns=[*names, "supply_status", "ready_for_supply", "ent"])
    parcels = parcels.rename(columns={"ent": "enterprise_id"})
    parcels["supply_date"] = pd.Timestamp("2020-01-01")
    ent = pd.DataFrame(
        {"enterprise_id": ["E1", "E2", "E3"], "tax": [10.0, None, 3.0], "investment": [5.0] * 3}
    )
    parks = pd.DataFrame({"park_id": ["K2", "K1", "K3"], "name": ["二", "一", "三"]})
    mine = np.array(split[: len(parcels)])
    # an enterprise's tax is spread over all its parcels: its land is summed over both parts
    land = land_combine([land_partial(parcels[m], rows=np.flatnonzero(m)) for m in (mine, ~mine)])
    parts = [
        intensity_partial(parcels[m], ent, land=land, rows=np.flatnonzero(m)) for m in (~mine, mine)
    ]
    for given_parks in (parks, None):
        got = intensity_combine(parts, parks=given_parks, enterprises=ent, ready=True)
        want = intensity(parcels, parks=given_parks, enterprises=ent)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    # by hand: the district's built land A is every built parcel inside a park, summed exactly
    inside = parcels[parcels["park_id"].notna()]
    built = (inside["floor_area"].fillna(0) > 0) | (inside["footprint_m2"].fillna(0) > 0)
    assert got.iloc[-1]["built_ha"] == math.fsum(inside["area_ha"][built])


def test_spread_by_hand_first_of_duplicate_enterprises_and_unknown_figures():
    # E1 (4 ha: parcels of 1 and 3 ha) pays 8: 2 and 6; its second row (100) is ignored;
    # E2's tax is unknown, the third parcel has no enterprise; no investment column
    from xsland.judge.intensity import _spread

    parcels = pd.DataFrame(
        {"area_ha": [1.0, 3.0, 2.0, 1.0], "enterprise_id": ["E1", "E1 ", None, "E2"]}
    )
    enterprises = pd.DataFrame({"enterprise_id": ["E1", "E1", "E2"], "tax": [8.0, 100.0, None]})
    land = pd.Series([4.0, 1.0], index=pd.Index(["E1", "E2"]))
    (tax, (share, known)), (inv, (zero, none)) = _spread(
        parcels, enterprises, ("tax", "investment"), land
    )
    assert (tax, inv) == ("tax", "investment")
    assert share.tolist() == [2.0, 6.0, 0.0, 0.0] and known.tolist() == [True, True, False, False]
    assert zero.tolist() == [0.0] * 4 and not none.any()
