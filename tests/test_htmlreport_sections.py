"""Tables of the report at city scale (xsland.write.htmlreport.sections): a table with a
row per park lists at most TABLE_MAX_PARKS parks, the ones its rule picks, and says so."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from xsland.result import AuditResult
from xsland.write.htmlreport import sections
from xsland.write.htmlreport.charts import _Charts
from xsland.write.htmlreport.common import _collect, _rule_labels
from xsland.write.htmlreport.sections import NAMES_MAX_PARKS, TABLE_MAX_PARKS

N = TABLE_MAX_PARKS + 2  # 102 parks: two too many
IDS = [f"Q{i:03d}" for i in range(1, N + 1)]


@pytest.fixture(scope="module")
def audit():
    """102 parks of 100 m squares, one industrial parcel each, built by hand.

    - rules: every park passes every rule but Q101 (fails 3), Q050 (2) and Q102 (1);
      failing the most first, then park order: Q101, Q050, Q102 and the first 97 others,
      Q001 … Q098 without Q050 — Q099 and Q100 are left out. chk_fund is unknown for
      the first 40 parks (not failing: it does not move a park up);
    - FAR: park i's parcel has FAR 1 + i/1000, but Q001 9.0 and Q002 8.0: the 100 lowest
      medians leave out Q001 and Q002;
    - intensity: score i, but Q005 200 and Q006 300: the 100 lowest leave out Q005, Q006
      (the district row stays, last); idle rate 0.5, but Q010 and Q020 0.1: the 100
      highest leave out Q010 and Q020.
    """
    boxes = [shapely.box(i * 200, 0, i * 200 + 100, 100) for i in range(N)]
    fails = {"Q101": 3, "Q050": 2, "Q102": 1}
    rules = ["chk_promotion", "chk_leading_revenue", "chk_chain_leader"]
    cols = {
        chk: ["fail" if fails.get(p, 0) > k else "pass" for p in IDS] for k, chk in enumerate(rules)
    }
    parks = gpd.GeoDataFrame(
        {
            "park_id": IDS,
            "name": [f"园{i}" for i in range(1, N + 1)],
            **cols,
            "chk_fund": [None if i <= 40 else "pass" for i in range(1, N + 1)],
            "rate_not_supplied": [0.1] * N,
            "rate_idle": [0.1 if p in ("Q010", "Q020") else 0.5 for p in IDS],
        },
        geometry=boxes,
        crs="EPSG:4549",
    )
    far = {"Q001": 9.0, "Q002": 8.0}
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"D{i:03d}" for i in range(1, N + 1)],
            "park_id": IDS,
            "category": ["industrial"] * N,
            "far": [far.get(p, 1 + i / 1000) for i, p in enumerate(IDS, start=1)],
        },
        geometry=boxes,
        crs="EPSG:4549",
    )
    a = _collect(AuditResult(parks=parks, parcels=parcels), None)
    score = {"Q005": 200.0, "Q006": 300.0}
    intensity = pd.DataFrame(
        {
            "level": ["park"] * N + ["district"],
            "park_id": [*IDS, None],
            "name": [f"园{i}" for i in range(1, N + 1)] + ["全区"],
            "score": [score.get(p, float(i)) for i, p in enumerate(IDS, start=1)] + [50.0],
        }
    )
    return dataclasses.replace(a, intensity=intensity)


def _ids(rows) -> list[str]:
    return [str(r[0]["bold"] if isinstance(r[0], dict) else r[0]).split(" ")[0] for r in rows]


def test_scorecard_lists_the_parks_failing_the_most(audit):
    sec = sections.scorecard_section(audit, _rule_labels(audit))
    assert [r["park_id"] for r in sec["rows"]] == [p for p in IDS if p not in ("Q099", "Q100")]
    assert sec["cut"][0] == (
        f"表中为不达标项最多的 100 个园区(共 {N} 个); 全部园区见 audit.xlsx 的「园区 parks」表。"
    )


def test_targets_table_and_far_table(audit):
    ch = _Charts(font=None)
    sec = sections.targets_section(audit, ch, _rule_labels(audit))
    assert len(sec["rows"]) == TABLE_MAX_PARKS
    assert "failing the most of these targets, of 102" in sec["cut"][1]
    far = sections.far_section(audit, ch)
    assert len(far["rows"]) == TABLE_MAX_PARKS
    assert "Q001" not in str(far["rows"]) and "Q002" not in str(far["rows"])
    assert "Q003" in str(far["rows"]) and "Q102" in str(far["rows"])
    assert far["cut"][0].startswith("表中为工业地块容积率中位数最低的 100 个园区(共 102 个)")


def test_intensity_tables(audit):
    sec = sections.intensity_section(audit)
    names = [r[0] for r in sec["rows"]]
    want = [f"{p} 园{i}" for i, p in enumerate(IDS, start=1) if p not in ("Q005", "Q006")]
    assert names[:-2] == want and names[-2] == "全区"  # then the national average
    assert sec["cut"][0].startswith("表中为得分最低的 100 个园区(共 102 个)")
    rates = [r[0].split(" ")[0] for r in sec["rates"]["rows"]]
    assert rates == [p for p in IDS if p not in ("Q010", "Q020")]
    assert sec["rates"]["cut"][1].startswith("The table shows the 100 parks with the highest")


def test_summary_names_at_most_names_max_parks(audit):
    sec = sections.summary_section(audit, _Charts(font=None), _rule_labels(audit))
    fund = next(f for f in sec["findings"] if f["en"].startswith("Industry fund"))
    assert [p["label"] for p in fund["unknowns"]] == IDS[:NAMES_MAX_PARKS]
    assert fund["unknowns_more"] == "40"
    promo = next(f for f in sec["findings"] if f["fails"])  # 3 failing parks: no count
    assert promo["fails_more"] == ""


def test_chart_rows_by_hand():
    # ranks 3, nan, 1, 1, 2 with room for 3: 1 (pos 2), 1 (pos 3), 2 (pos 4), in order
    np.testing.assert_array_equal(
        sections._chart_rows(np.array([3, np.nan, 1, 1, 2]), cap=3), [2, 3, 4]
    )
    np.testing.assert_array_equal(sections._chart_rows(np.array([3.0, 1.0]), cap=3), [0, 1])


def test_lowuse_chart_and_tables_keep_the_largest_reasons(audit):
    # 35 low-efficiency parcels of park Q001, parcel i (1 … 35) of i mu with its own
    # reason r01 … r35: the chart keeps the 30 largest (r35 … r06), the table all 35
    n = 35
    parcels = pd.DataFrame(
        {
            "parcel_id": [f"L{i:02d}" for i in range(1, n + 1)],
            "park_id": ["Q001"] * n,
            "low_efficiency": [True] * n,
            "area_mu": [float(i) for i in range(1, n + 1)],
            "reasons": [f"r{i:02d}" for i in range(1, n + 1)],
        }
    )
    drawn = {}

    def chart(ch, by_town, by_reason):
        drawn["reasons"] = by_reason["code"].tolist()
        return {"src": "", "alt": "", "cls": ""}, []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sections, "lowuse_chart", chart)
        sec = sections.lowuse_section(dataclasses.replace(audit, parcels=parcels), _Charts(None))
    assert drawn["reasons"] == [f"r{i:02d}" for i in range(n, n - 30, -1)]
    assert len(sec["reason_rows"]) == n
    assert "原因(30/35)" in sec["figure"]["cut"][0]


def test_meeting_is_the_spatial_index_query_of_a_box():
    # boxes on a grid of halves, so that edges touch: a spatial index's query of a box
    # (envelopes that intersect, edges included) and the bounds compared give the same
    rng = np.random.default_rng(3)
    corners = rng.integers(0, 8, size=(60, 2)) / 2
    sizes = rng.integers(0, 3, size=(60, 2)) / 2
    geoms = [shapely.box(x, y, x + w, y + h) for (x, y), (w, h) in zip(corners, sizes, strict=True)]
    geoms += [shapely.Point(1, 1), shapely.Polygon(), None]
    frame = gpd.GeoSeries(geoms)
    bounds = shapely.bounds(frame.to_numpy())
    for x0, y0, x1, y1 in [(1, 1, 2, 2), (0, 0, 0.5, 0.5), (3.5, 3.5, 5, 5), (-2, -2, -1, -1)]:
        want = np.sort(frame.sindex.query(shapely.box(x0, y0, x1, y1)))
        got = sections._meeting(bounds, (x0, y0, x1, y1))
        assert got.tolist() == want.tolist()
    met = sections._meeting(bounds, (1, 1, 1, 1)).tolist()
    assert 60 in met  # the point (1, 1), on the box's corner
    everywhere = sections._meeting(bounds, (-10, -10, 10, 10)).tolist()
    assert everywhere == list(range(61))  # never the empty polygon (61) or None (62)
