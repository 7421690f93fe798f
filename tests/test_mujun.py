"""亩均效益 classes the Wuxi way (xsland.judge.mujun), worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from xsland.judge.lowuse import per_mu
from xsland.judge.mujun import COLUMNS, benchmarks, mujun
from xsland.rules.policy import DEFAULT_POLICY

AS_OF = "2025-08-29"
MU = 2000 / 3  # m² per 亩


def _parcels() -> pd.DataFrame:
    # every enterprise on one parcel of 10 亩
    return pd.DataFrame({"enterprise_id": ["E1", "E2", "E3", "E4"], "area_m2": [10 * MU] * 4})


def _enterprises() -> pd.DataFrame:
    #      tax  revenue  rd   chain  founded      given
    # E1   200  1000     50   no     2010-01-01   -
    # E2   100   500     50   no     2012-01-01   C
    # E3    50  1500      0   yes    2015-01-01   -
    # E4   150  1000    100   no     2024-01-01   -      (new: under 3 years -> T)
    return pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E4"],
            "tax": [200.0, 100.0, 50.0, 150.0],
            "revenue": [1000.0, 500.0, 1500.0, 1000.0],
            "rd_spend": [50.0, 50.0, 0.0, 100.0],
            "chain_leader": [False, False, True, False],
            "founded": pd.to_datetime(["2010-01-01", "2012-01-01", "2015-01-01", "2024-01-01"]),
            "eval_class": [None, "C", None, None],
        }
    )


# three indicators (weights 40 / 30 / 15 points, energy absent); cut-offs A 34 %, B 33 %, no C
POLICY = DEFAULT_POLICY.replace(mujun_share_a=0.34, mujun_share_b=0.33, mujun_share_c=0.0)


def test_three_indicators_bonus_and_t_by_hand():
    out = mujun(_parcels(), _enterprises(), as_of=AS_OF, policy=POLICY).set_index("enterprise_id")
    # benchmarks, district figures: tax 500 / 40 亩 = 12.5, revenue 4000 / 40 = 100,
    # R&D 200 / 4000 = 0.05
    # E1: 40 * 20/12.5 + 30 * 100/100 + 15 * 0.05/0.05 = 64 + 30 + 15 = 109
    # E2: 40 * 0.8 + 30 * 0.5 + 15 * min(2, 2) = 32 + 15 + 30 = 77
    # E3: 40 * 0.4 + 30 * 1.5 + 0 = 61, + 5 (chain leader) = 66
    # E4: 40 * 15/12.5 + 30 * 1 + 15 * 2 = 48 + 30 + 30 = 108 (scored, but T: not ranked)
    assert out["mj_score"].to_dict() == pytest.approx(
        {"E1": 109.0, "E2": 77.0, "E3": 66.0, "E4": 108.0}
    )
    assert out["mj_bonus"].tolist() == [0, 0, 5, 0]
    # ranks among E1-E3 (E4 is T): 1/3 <= .34 A, 2/3 <= .67 B, 3/3 > .67 D
    assert out["mj_rank"].tolist()[:3] == [1, 2, 3] and pd.isna(out.loc["E4", "mj_rank"])
    assert out["mj_class_derived"].tolist() == ["A", "B", "D", "T"]
    # the class on record wins; the derived one stays beside it
    assert out["mj_class"].tolist() == ["A", "C", "D", "T"]
    assert out["mj_class_source"].tolist() == ["derived", "given", "derived", "derived"]
    assert out.loc["E4", "mj_note"] == "T: 成立/投产 2024-01-01 不满 3 年"
    assert out.loc["E2", "rd_share"] == pytest.approx(0.1)
    # per_mu's columns are kept
    assert out.loc["E1", "tax_per_mu"] == pytest.approx(20.0)


def test_benchmarks_given_win_and_flags():
    e = _enterprises().assign(exempt=[False, False, False, True], founded=pd.NaT)
    policy = POLICY.replace(mujun_benchmark_tax_per_mu=10.0, mujun_exempt_years=1)
    out = mujun(_parcels(), e, as_of=AS_OF, policy=policy).set_index("enterprise_id")
    # E1: 40 * min(20/10, 2) = 80 + 30 + 15 = 125
    assert out.loc["E1", "mj_score"] == pytest.approx(125.0)
    assert out.loc["E4", "mj_class_derived"] == "T"
    assert out.loc["E4", "mj_note"] == "T: 暂不评价(标记)"
    table = mujun(_parcels(), e, as_of=AS_OF, policy=policy)
    b = benchmarks(table, used=["tax_per_mu", "revenue_per_mu"], policy=policy)
    assert b == {"tax_per_mu": 10.0, "revenue_per_mu": pytest.approx(100.0)}


def test_missing_indicator_gives_no_score_and_violation_minus():
    e = _enterprises().assign(violation=[True, False, False, False])
    e.loc[1, "rd_spend"] = np.nan
    out = mujun(_parcels(), e, as_of=AS_OF, policy=POLICY).set_index("enterprise_id")
    assert np.isnan(out.loc["E2", "mj_score"]) and pd.isna(out.loc["E2", "mj_class_derived"])
    assert out.loc["E2", "mj_note"] == "缺指标: 研发经费占营收比重"
    assert out.loc["E2", "mj_class"] == "C"  # given
    assert out.loc["E1", "mj_bonus"] == -10.0
    # two ranked now (E1, E3): E1 1/2 > .34 -> B ... E3 2/2 -> D
    assert out.loc["E1", "mj_rank"] == 1 and out.loc["E1", "mj_class_derived"] == "B"


def test_only_tax_and_revenue_by_default_columns():
    e = _enterprises().drop(columns=["rd_spend", "founded"])
    out = mujun(_parcels(), e, as_of=AS_OF, policy=POLICY)
    # two indicators: E1 64 + 30 = 94; E4 is not T without a founding date
    assert out["mj_score"].iloc[0] == pytest.approx(94.0)
    assert out["mj_class_derived"].iloc[3] != "T"
    assert out["rd_share"].isna().all()
    for col in COLUMNS:
        assert col in out.columns


def test_share_cut_offs_must_fit():
    from xsland.errors import PolicyError

    with pytest.raises(PolicyError, match="must not exceed 1"):
        DEFAULT_POLICY.replace(mujun_share_a=0.5, mujun_share_b=0.5, mujun_share_c=0.1)


def test_read_from_a_chinese_csv_and_classed(tmp_path):
    from xsland.errors import ValidationError
    from xsland.read.io import read_table

    path = tmp_path / "企业.csv"
    path.write_text(
        "统一社会信用代码,税收,营业收入,研发经费,高新技术企业,投产日期,暂不评价\n"
        "0012,200,1000,50,是,2010/1/1,否\n"
        "0013,100,500,50,否,2025年1月1日,否\n",
        encoding="gbk",
    )
    e = read_table(path, kind="enterprises")
    assert list(e["enterprise_id"]) == ["0012", "0013"]  # leading zeros kept
    assert e["high_tech"].tolist() == [True, False]
    assert str(e["founded"].iloc[1].date()) == "2025-01-01"
    parcels = pd.DataFrame({"enterprise_id": ["0012", "0013"], "area_m2": [10 * MU] * 2})
    out = mujun(parcels, e, as_of=AS_OF, policy=POLICY)
    assert out["mj_class_derived"].tolist()[1] == "T"  # founded 2025: under 3 years
    assert out["mj_bonus"].tolist() == [5.0, 0.0]
    path.write_text("统一社会信用代码,投产日期,固定资产投资\n0012,soon,=1+1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_table(path, kind="enterprises")
    assert "founded" in str(err.value) and "investment" in str(err.value)


def test_ties_share_the_better_rank_and_class():
    # benchmarks tax 225 / 30 亩 = 7.5, revenue 900 / 30 = 30; E1 = E2 = 40 * 10/7.5 +
    # 30 * 40/30 = 93.33, E3 = 40 * 2.5/7.5 + 30 * 10/30 = 23.33. With A 34 %, both tied
    # ones rank 1 (1/3 <= .34: A), E3 rank 3 (D)
    parcels = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3"], "area_m2": [10 * MU] * 3})
    e = pd.DataFrame(
        {"enterprise_id": ["E1", "E2", "E3"], "tax": [100.0, 100.0, 25.0],
         "revenue": [400.0, 400.0, 100.0]}
    )  # fmt: skip
    out = mujun(parcels, e, as_of=AS_OF, policy=POLICY)
    assert out["mj_score"].tolist() == pytest.approx([280 / 3, 280 / 3, 70 / 3])
    assert out["mj_rank"].tolist() == [1, 1, 3]
    assert out["mj_class_derived"].tolist() == ["A", "A", "D"]


def test_project_file_values():
    p = DEFAULT_POLICY.from_mapping(
        {"mujun_benchmark_tax_per_mu": 25, "mujun_exempt_years": 2, "weight_far_all": 0.2}
    )
    assert p.mujun_benchmark_tax_per_mu == 25.0 and p.mujun_exempt_years == 2
    assert (
        p.from_mapping({"mujun_benchmark_tax_per_mu": "unset"}).mujun_benchmark_tax_per_mu is None
    )
    from xsland.errors import PolicyError

    with pytest.raises(PolicyError, match="mujun_exempt_years"):
        DEFAULT_POLICY.from_mapping({"mujun_exempt_years": 1.5})
    with pytest.raises(PolicyError, match="ideal_supply_rate"):
        DEFAULT_POLICY.from_mapping({"ideal_supply_rate": 1.5})  # a share


def test_a_negative_figure_gives_no_share_and_is_named():
    # E1's R&D spend -50 (an API caller's input): rd_share would be -5 %; it is unknown,
    # E1 is not scored (its note names the indicator) and the district R&D benchmark is
    # (50 + 0 + 100) / 4000 over the other three, not (-50 + 50 + 0 + 100) / 4000
    ent = _enterprises().assign(rd_spend=[-50.0, 50.0, 0.0, 100.0])
    out = mujun(_parcels(), ent, as_of=AS_OF, policy=POLICY).set_index("enterprise_id")
    assert np.isnan(out.loc["E1", "rd_share"]) and np.isnan(out.loc["E1", "mj_score"])
    assert "研发经费占营收比重" in out.loc["E1", "mj_note"]
    shares = out["rd_share"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert out.loc["E2", "rd_share"] == pytest.approx(0.1)  # 50 / 500
    # E2: 40 * 0.8 + 30 * 0.5 + 15 * min(0.1 / (150 / 3000), 2) = 32 + 15 + 30 = 77
    assert out.loc["E2", "mj_score"] == pytest.approx(77.0)


@settings(max_examples=30, deadline=None)
@given(
    rows=hst.lists(
        hst.tuples(
            hst.sampled_from(["E1", "E2", "E3", "E4", " E1", None]),
            hst.floats(min_value=1, max_value=1e5),
        ),
        min_size=1,
        max_size=25,
    ),
    split=hst.lists(hst.booleans(), min_size=25, max_size=25),
)
def test_classes_from_land_summed_in_two_parts_equal_those_of_all_parcels(rows, split):
    from xsland.judge.lowuse import land_combine, land_partial

    parcels = pd.DataFrame(rows, columns=["enterprise_id", "area_m2"])
    ent = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E4", "E5"],
            "tax": [100.0, 40.0, 7.0, 12.0, 1.0],
            "revenue": [900.0, 300.0, 80.0, 70.0, 9.0],
        }
    )
    mine = np.array(split[: len(parcels)])
    # the parts in either order: an enterprise's land is the exact sum over all its parcels
    land = land_combine([land_partial(parcels[m], rows=np.flatnonzero(m)) for m in (~mine, mine)])
    got = mujun(None, ent, land=land, as_of="2026-01-01")
    want = mujun(parcels, ent, as_of="2026-01-01")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    e1 = parcels[parcels["enterprise_id"].astype(str).str.strip() == "E1"]  # " E1" is E1
    row = got.set_index("enterprise_id").loc["E1"]
    assert row["n_parcels"] == len(e1) and row["land_m2"] == math.fsum(e1["area_m2"])


def test_the_per_mu_table_given_is_used_and_left_as_it_was():
    # the audit hands over per_mu of the same parcels: the same classes, table unchanged
    base = per_mu(_parcels(), _enterprises(), policy=POLICY)
    before = base.copy()
    got = mujun(_parcels(), _enterprises(), as_of=AS_OF, policy=POLICY, per_enterprise=base)
    want = mujun(_parcels(), _enterprises(), as_of=AS_OF, policy=POLICY)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(base, before, check_exact=True)
