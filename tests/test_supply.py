"""批供用 status per parcel and its rates (xsland.judge.supply), worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from xsland.errors import DataError
from xsland.judge.supply import (
    COLUMNS,
    STATUSES,
    supply_rates,
    supply_rates_combine,
    supply_rates_partial,
    supply_status,
)

AS_OF = "2025-08-29"
NaT = None


def _parcels() -> pd.DataFrame:
    # id  approval    supply      deadline    start       completion  floor  foot  -> status
    # a   -           2010-01-01  -           -           2024-06-01  5000   2000     built (completed)
    # b   -           2020-01-01  -           2025-03-01  -           0      0        under_construction
    # c   -           2019-01-01  -           -           2026-01-01  3000   900      under_construction
    # d   -           2023-01-01  2023-06-30  -           -           0      0        idle (since 2024-06-30)
    # e   -           2025-01-10  -           -           -           0      0        supplied_not_started
    #                                                                       (due 2026-01-10, idle 2027-01-10)
    # f   2024-05-05  -           -           -           -           nan    nan      approved_not_supplied
    # g   -           -           -           -           -           nan    nan      unknown
    # h   -           2020-01-01  -           -           -           nan    nan      unknown (state unknown)
    # i   2024-01-01  2025-12-01  -           -           -           0      0        approved_not_supplied
    # j   -           -           -           -           -           1000   400      built (no dates)
    return pd.DataFrame(
        {
            "parcel_id": list("abcdefghij"),
            "park_id": ["X"] * 6 + ["Y", "Y", None, "Y"],
            "town": ["T1"] * 10,
            "area_ha": [1.0] * 10,
            "approval_date": pd.to_datetime(
                [NaT, NaT, NaT, NaT, NaT, "2024-05-05", NaT, NaT, "2024-01-01", NaT]
            ),
            "supply_date": pd.to_datetime(
                ["2010-01-01", "2020-01-01", "2019-01-01", "2023-01-01", "2025-01-10"]
                + [NaT, NaT, "2020-01-01", "2025-12-01", NaT]
            ),
            "start_deadline": pd.to_datetime([NaT] * 3 + ["2023-06-30"] + [NaT] * 6),
            "start_actual": pd.to_datetime([NaT, "2025-03-01"] + [NaT] * 8),
            "completion_date": pd.to_datetime(["2024-06-01", NaT, "2026-01-01"] + [NaT] * 7),
            "floor_area": [5000, 0, 3000, 0, 0, np.nan, np.nan, np.nan, 0, 1000],
            "footprint_m2": [2000, 0, 900, 0, 0, np.nan, np.nan, np.nan, 0, 400],
        },
        index=range(10, 20),
    )


def test_every_status_by_hand():
    out = supply_status(_parcels(), as_of=AS_OF)
    assert list(out.index) == list(range(10, 20))
    assert list(out["supply_status"]) == [
        "built",
        "under_construction",
        "under_construction",
        "idle",
        "supplied_not_started",
        "approved_not_supplied",
        "unknown",
        "unknown",
        "approved_not_supplied",
        "built",
    ]
    assert out["supply_status_zh"].iloc[3] == "闲置"
    rule = out["supply_rule"]
    assert rule.iloc[0] == "竣工日期 2024-06-01 ≤ 评价日 2025-08-29"
    assert "2024-06-30" in rule.iloc[3] and "应动工 2023-06-30" in rule.iloc[3]
    assert "应动工 2026-01-10" in rule.iloc[4]
    assert rule.iloc[5] == "批准 2024-05-05, 至评价日 2025-08-29 未供地: 批而未供"
    assert "建设情况未知" in rule.iloc[7]
    assert rule.iloc[9] == "有建筑(1000 m²)且无开工/竣工日期: 视为建成"


def test_status_moves_with_the_audit_date():
    # e is supplied 2025-01-10, due 2026-01-10: idle from 2027-01-10 on, not a day before
    p = _parcels()
    assert supply_status(p, as_of="2027-01-09")["supply_status"].iloc[4] == "supplied_not_started"
    assert supply_status(p, as_of="2027-01-10")["supply_status"].iloc[4] == "idle"
    # before its supply date, i is still approved only; after it, supplied and not started
    assert supply_status(p, as_of="2025-12-01")["supply_status"].iloc[8] == "supplied_not_started"


def test_no_date_columns_at_all():
    p = pd.DataFrame({"parcel_id": ["1", "2"], "floor_area": [0.0, 10.0]})
    out = supply_status(p, as_of=AS_OF)
    assert list(out["supply_status"]) == ["unknown", "built"]


def test_bad_dates_are_refused():
    p = pd.DataFrame({"parcel_id": ["7"], "supply_date": ["soon"]})
    with pytest.raises(DataError, match="supply_date.*7"):
        supply_status(p, as_of=AS_OF)
    with pytest.raises(DataError, match="as_of"):
        supply_status(p.drop(columns="supply_date"), as_of="next week")


def test_rates_per_park_and_town_by_hand():
    p = _parcels()
    st = supply_status(p, as_of=AS_OF)
    by_park = supply_rates(p, st, by="park_id").set_index("park_id")
    # X: a built, b c under construction, d idle, e not started, f approved: 1 ha each
    # approved P = 6, supplied G = 5; 批而未供 1/6, 供而未用 (1 + 1)/5, 闲置 1/5
    x = by_park.loc["X"]
    assert x["ss_built_ha"] == 1 and x["ss_under_construction_ha"] == 2
    assert x["ss_approved_ha"] == 6 and x["ss_supplied_ha"] == 5
    assert x["rate_not_supplied"] == pytest.approx(1 / 6)
    assert x["rate_not_used"] == pytest.approx(0.4)
    assert x["rate_idle"] == pytest.approx(0.2)
    # Y: g, h unknown and j built (i has no park): supplied 1, approved 1
    y = by_park.loc["Y"]
    assert y["ss_unknown_ha"] == 2 and y["ss_supplied_ha"] == 1 and y["rate_not_used"] == 0
    assert set(by_park.index) == {"X", "Y"}
    town = supply_rates(p, st, by="town").set_index("town").loc["T1"]
    # all ten: approved = 10 - 2 unknown = 8, approved_not_supplied = f + i = 2
    assert town["rate_not_supplied"] == pytest.approx(2 / 8)


def test_rates_are_null_without_land_to_divide():
    p = pd.DataFrame({"parcel_id": ["1"], "park_id": ["Z"], "area_ha": [2.0]})
    st = supply_status(p, as_of=AS_OF)
    row = supply_rates(p, st, by="park_id").iloc[0]
    assert row["ss_unknown_ha"] == 2.0
    assert np.isnan(row["rate_not_supplied"]) and np.isnan(row["rate_idle"])


def test_columns_declare_every_output():
    p = _parcels()
    st = supply_status(p, as_of=AS_OF)
    rates = supply_rates(p, st, by="park_id")
    for col in [*st.columns, *rates.columns[1:]]:
        dtype, unit, zh, en, _desc, _prec = COLUMNS[col]
        assert zh and en
    assert set(STATUSES) == {
        "built",
        "under_construction",
        "idle",
        "supplied_not_started",
        "approved_not_supplied",
        "unknown",
    }


_PROGRESS = {
    "unknown": 0,
    "approved_not_supplied": 1,
    "supplied_not_started": 2,
    "idle": 3,
    "under_construction": 4,
    "built": 5,
}


def test_status_never_goes_back_as_time_passes():
    """Land moves forward: approved -> supplied -> (idle ->) started -> built."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    day = st.one_of(st.none(), st.dates(dt_min(), dt_max()))

    @settings(max_examples=100, deadline=None)
    @given(
        rows=hst.lists(
            hst.tuples(day, day, day, day, day, st.sampled_from([np.nan, 0.0, 50.0])),
            min_size=1,
            max_size=6,
        ),
        first=st.dates(dt_min(), dt_max()),
        later=st.integers(0, 4000),
    )
    def check(rows, first, later):
        cols = ["approval_date", "supply_date", "start_deadline", "start_actual"]
        cols += ["completion_date"]
        p = pd.DataFrame(
            {c: pd.to_datetime([r[i] for r in rows]) for i, c in enumerate(cols)}
            | {"parcel_id": [str(i) for i in range(len(rows))], "floor_area": [r[5] for r in rows]}
        )
        a = supply_status(p, as_of=first)["supply_status"].map(_PROGRESS)
        b = supply_status(p, as_of=pd.Timestamp(first) + pd.Timedelta(days=later))
        # a supplied parcel whose building state is unknown is "unknown" (rule 6), so only
        # parcels with a known status later are compared
        known = (b["supply_status"] != "unknown").to_numpy(dtype=bool)
        later_rank = b["supply_status"].map(_PROGRESS).to_numpy()
        assert (later_rank[known] >= a.to_numpy()[known]).all()
        assert set(b["supply_status"]) <= set(STATUSES)

    check()


def dt_min():
    import datetime as dt

    return dt.date(2000, 1, 1)


def dt_max():
    import datetime as dt

    return dt.date(2030, 12, 31)


def test_a_footprint_without_floor_area_is_a_building():
    # floor area 0 on record but 300 m² of footprint: built (as in A of the evaluation)
    p = pd.DataFrame(
        {"parcel_id": ["k"], "floor_area": [0.0], "footprint_m2": [300.0]},
    )
    out = supply_status(p, as_of=AS_OF)
    assert out["supply_status"].iloc[0] == "built"
    assert out["supply_rule"].iloc[0] == "有建筑(300 m²)且无开工/竣工日期: 视为建成"


def test_a_negative_area_gives_no_rate_outside_0_to_100_percent():
    # park Z: one idle parcel of 1 ha and one built parcel of -0.5 ha (an API caller's
    # input): supplied G = 0.5, a naive idle rate 1 / 0.5 = 200 %; W is untouched
    p = pd.DataFrame(
        {"parcel_id": ["1", "2", "3"], "park_id": ["Z", "Z", "W"], "area_ha": [1.0, -0.5, 2.0]}
    )
    st = pd.DataFrame({"supply_status": ["idle", "built", "idle"]}, index=p.index)
    out = supply_rates(p, st, by="park_id").set_index("park_id")
    assert out.loc["Z", ["rate_not_supplied", "rate_not_used", "rate_idle"]].isna().all()
    assert out.loc["W", "rate_idle"] == 1.0 and out.loc["W", "rate_not_used"] == 1.0


@settings(max_examples=60, deadline=None)
@given(
    rows=hst.lists(
        hst.tuples(
            hst.sampled_from(["A", "B"]),
            hst.sampled_from(list(STATUSES)),
            hst.floats(0, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_rates_stay_within_0_and_100_percent(rows):
    p = pd.DataFrame({"park_id": [r[0] for r in rows], "area_ha": [r[2] for r in rows]})
    status = pd.DataFrame({"supply_status": [r[1] for r in rows]}, index=p.index)
    out = supply_rates(p, status, by="park_id")
    for col in ("rate_not_supplied", "rate_not_used", "rate_idle"):
        values = out[col].to_numpy(dtype=float)
        assert ((values >= 0) & (values <= 1 + 1e-12) | np.isnan(values)).all(), col


@settings(max_examples=40, deadline=None)
@given(
    rows=hst.lists(
        hst.tuples(
            hst.sampled_from(["K1", "K2", None]),
            hst.sampled_from(list(STATUSES)),
            hst.floats(min_value=-5, max_value=1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    ),
    cut=hst.integers(min_value=0, max_value=30),
)
def test_supply_rates_of_two_parts_combined_equal_those_of_all_parcels(rows, cut):
    parcels = pd.DataFrame({"park_id": [r[0] for r in rows], "area_ha": [r[2] for r in rows]})
    status = pd.DataFrame({"supply_status": [r[1] for r in rows]})
    a, b = min(cut, len(rows)), len(rows)
    parts = [
        supply_rates_partial(parcels.iloc[a:b], status.iloc[a:b], by="park_id"),
        supply_rates_partial(parcels.iloc[:a], status.iloc[:a], by="park_id"),
    ]
    got = supply_rates_combine(parts, by="park_id")
    pd.testing.assert_frame_equal(
        got, supply_rates(parcels, status, by="park_id"), check_exact=True
    )
    # the whole: the areas of each status added up exactly (2 + 1e-16 + 1e-16 would not be)
    for pid, group in parcels.assign(s=status["supply_status"]).dropna().groupby("park_id"):
        row = got.set_index("park_id").loc[pid]
        for code in STATUSES:
            want = math.fsum(group.loc[group["s"] == code, "area_ha"])
            assert row[f"ss_{code}_ha"] == want


# -- helpers that work on distinct values, against their plain definitions ------------


@settings(max_examples=150, deadline=None)
@given(
    hst.lists(
        hst.one_of(
            hst.none(), hst.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1))
        ),
        max_size=20,
    )
)
def test_day_equals_strftime_of_every_row(days):
    from xsland.judge.supply import _day

    dates = pd.Series(pd.to_datetime(pd.Series(days, dtype=object)), dtype="datetime64[ns]")
    want = dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    got = _day(dates)
    assert str(got.type) == "large_string" and got.to_pylist() == want.tolist()


def test_per_code_by_hand():
    from xsland.judge.supply import _per_code

    # statuses by their number in STATUSES: 2 idle, 0 built, 5 unknown
    kind = np.array([2, 0, 2, 5])
    zh = {c: v[0] for c, v in STATUSES.items()}
    got = _per_code(kind, zh)
    assert str(got.dtype) == "string" and list(got) == ["闲置", "已建成", "闲置", "无法判定"]
    assert list(_per_code(kind)) == ["idle", "built", "idle", "unknown"]
    assert len(_per_code(np.array([], dtype=np.int64))) == 0


# -- each parcel's status and rule are its own -------------------------------------------

_DAYS = hst.sampled_from([None, "2019-01-01", "2023-06-30", "2025-08-29", "2026-01-10"])


@settings(max_examples=150, deadline=None)
@given(
    hst.lists(
        hst.tuples(
            _DAYS,
            _DAYS,
            _DAYS,
            _DAYS,
            _DAYS,
            hst.sampled_from([np.nan, 0.0, -0.0, 1000.0, 1000.04, 1000.06, 2.5]),
            hst.sampled_from([np.nan, 0.0, 400.0]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_each_rule_is_the_rule_of_its_parcel_alone(rows):
    # a parcel's status and rule depend on its own figures only: the table's rows are
    # the rows of each parcel judged alone, however many parcels share a text (-0.0 and
    # 0.0 are told apart, as number_text writes "-0")
    cols = ["approval_date", "supply_date", "start_deadline", "start_actual", "completion_date"]
    frame = pd.DataFrame(rows, columns=[*cols, "floor_area", "footprint_m2"])
    for c in cols:
        frame[c] = pd.to_datetime(frame[c])
    frame.insert(0, "parcel_id", [f"p{i}" for i in range(len(frame))])
    frame.index = range(7, 7 + len(frame))
    got = supply_status(frame, as_of=AS_OF)
    alone = pd.concat([supply_status(frame.iloc[[i]], as_of=AS_OF) for i in range(len(frame))])
    pd.testing.assert_frame_equal(got, alone, check_exact=True)
