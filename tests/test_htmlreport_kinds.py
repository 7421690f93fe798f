"""The report's low-efficiency land by the three kinds of clause 二(一)3 and by "only this
kind", overall, per town and in the headline cards (issue 14 item 1), and the parks that
list no related industries (issue 14 item 2)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import geopandas as gpd
import pytest
import shapely

from xsland.result import AuditResult
from xsland.write.htmlreport import build_report
from xsland.write.report import _lowuse_lines

# Six parcels (亩 as given; all but P6 industrial, 150 亩 of industrial land):
#
#   parcel  park  town  亩   plan  industry  inefficient
#   P1      XS01  甲镇  10   x
#   P2      XS01  甲镇  20         x         x
#   P3      XS02  乙镇  30         x
#   P4      XS02  乙镇  40                   x
#   P5      XS02  乙镇  50                              (efficient)
#   P6      —     丙镇   5   x                          (not industrial, outside the parks)
#
# By kind, worked by hand:   parcels  亩    only: parcels  亩
#   不符合规划 (plan)            2      15           2      15    (P1, P6)
#   不符合产业发展定位            2      50           1      30    (P3; P2 is also inefficient)
#   不符合高效配置原则            2      60           1      40    (P4)
#   all (low_efficiency)         5     105                        (P1 P2 P3 P4 P6)
# Share of industrial land, plan: P1 only is industrial, 10 / 150 = 6.7 %.
# Per town (most 亩 first): 乙镇 2 parcels 70 亩; 甲镇 2, 30; 丙镇 1, 5.
PARCELS = [
    ("P1", "XS01", None, 10.0, "industrial", True, False, False),
    ("P2", "XS01", None, 20.0, "industrial", False, True, True),
    ("P3", "XS02", None, 30.0, "industrial", False, True, False),
    ("P4", "XS02", None, 40.0, "industrial", False, False, True),
    ("P5", "XS02", None, 50.0, "industrial", False, False, False),
    ("P6", None, "丙镇", 5.0, "other", True, False, False),
]
EXPECTED = {  # kind -> (parcels, 亩, only parcels, only 亩)
    "plan": ("2", "15.0", "2", "15.0"),
    "industry": ("2", "50.0", "1", "30.0"),
    "inefficient": ("2", "60.0", "1", "40.0"),
    "all": ("5", "105.0", "", ""),
}
TOWNS = {  # town -> all (parcels, 亩), then per kind (parcels, 亩, only parcels, only 亩)
    "乙镇": (
        ("2", "70.0"),
        {"plan": ("0", "0.0", "0", "0.0"), "industry": ("1", "30.0", "1", "30.0"),
         "inefficient": ("1", "40.0", "1", "40.0")},
    ),
    "甲镇": (
        ("2", "30.0"),
        {"plan": ("1", "10.0", "1", "10.0"), "industry": ("1", "20.0", "0", "0.0"),
         "inefficient": ("1", "20.0", "0", "0.0")},
    ),
    "丙镇": (
        ("1", "5.0"),
        {"plan": ("1", "5.0", "1", "5.0"), "industry": ("0", "0.0", "0", "0.0"),
         "inefficient": ("0", "0.0", "0", "0.0")},
    ),
}  # fmt: skip


def _result(related: tuple[str | None, str | None] = ("汽车零部件、检验检测", None)) -> AuditResult:
    crs = "EPSG:4549"
    rows = []
    for i, (pid, park, town, mu, cat, plan, ind, ineff) in enumerate(PARCELS):
        codes = [c for c, on in (("plan_nonconforming", plan), ("industry_mismatch", ind),
                                 ("far_low", ineff)) if on]  # fmt: skip
        rows.append(
            {
                "parcel_id": pid,
                "park_id": park,
                "town": town,
                "area_mu": mu,
                "area_m2": mu * 10000 / 15,
                "category": cat,
                "lu_plan": plan,
                "lu_industry": ind,
                "lu_inefficient": ineff,
                "low_efficiency": plan or ind or ineff,
                "n_reasons": len(codes),
                "reasons": ";".join(codes),
                "lu_plan_nonconforming": plan,
                "lu_industry_mismatch": ind,
                "lu_far_low": ineff,
                "geometry": shapely.box(i * 100, 0, i * 100 + 50, 50),
            }
        )
    parcels = gpd.GeoDataFrame(rows, crs=crs)
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["XS01", "XS02"],
            "name": ["甲园", "乙园"],
            "town": ["甲镇", "乙镇"],
            "leading_industry": ["汽车", "节能环保"],
            "related_industries": list(related),
            "geometry": [shapely.box(0, 0, 200, 60), shapely.box(200, 0, 500, 60)],
        },
        crs=crs,
    )
    return AuditResult(parks=parks, parcels=parcels)


class _Cells(HTMLParser):
    """Cells with ``data-f`` of the kind table, the town table and the kind cards."""

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        self.kind: str | None = None
        self.town: str | None = None
        self.card: str | None = None
        self.field: tuple | None = None
        self.cells: dict[tuple, str] = {}
        self.cards: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("class", "")
        elif tag == "tr":
            self.kind, self.town = a.get("data-kind"), a.get("data-town")
        elif tag == "td" and "data-f" in a:
            kind = a.get("data-kind", self.kind)
            self.field = (
                ("town", self.town, kind, a["data-f"]) if self.town else ("kind", kind, a["data-f"])
            )
            self.cells[self.field] = ""
        elif tag == "div" and "kpi" in (a.get("class") or "").split() and "data-kind" in a:
            self.card = a["data-kind"]
            self.cards[self.card] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.field = None

    def handle_data(self, data: str) -> None:
        if self.field is not None:
            self.cells[self.field] += data.strip()
        if self.card is not None:
            self.cards[self.card] += data


@pytest.fixture(scope="module")
def report() -> str:
    return build_report(_result(), image_format="png")


def test_kind_table_gives_the_hand_worked_figures(report):
    page = _Cells()
    page.feed(report)
    for kind, (n, mu, n_only, only_mu) in EXPECTED.items():
        got = tuple(page.cells[("kind", kind, f)] for f in ("n", "mu", "n_only", "only_mu"))
        assert got == (n, mu, n_only, only_mu), kind
    assert '<tr data-kind="plan">' in report and "6.7%" in report  # 10 / 150 亩


def test_town_table_by_kind_and_only_kind(report):
    page = _Cells()
    page.feed(report)
    order = re.findall(r'<tr data-town="([^"]+)">', report)
    assert order == ["乙镇", "甲镇", "丙镇"]  # most low-efficiency 亩 first
    for town, ((n, mu), kinds) in TOWNS.items():
        assert page.cells[("town", town, None, "n")] == n
        assert page.cells[("town", town, None, "mu")] == mu
        for kind, want in kinds.items():
            got = tuple(
                page.cells[("town", town, kind, f)] for f in ("n", "mu", "n_only", "only_mu")
            )
            assert got == want, (town, kind)


def test_headline_cards_per_kind(report):
    page = _Cells()
    page.feed(report)
    assert set(page.cards) == {"plan", "industry", "inefficient"}
    assert "15.0 亩" in page.cards["plan"] and "2 块 · 仅此 2 块 15.0 亩" in page.cards["plan"]
    assert "50.0 亩" in page.cards["industry"] and "仅此 1 块 30.0 亩" in page.cards["industry"]
    assert (
        "60.0 亩" in page.cards["inefficient"] and "仅此 1 块 40.0 亩" in page.cards["inefficient"]
    )


def test_report_and_summary_md_agree(report):
    page = _Cells()
    page.feed(report)
    md = "\n".join(_lowuse_lines(_result()))  # the low-efficiency lines of summary.md
    rows = {m[1]: m for m in re.findall(r"^\| (\S+) \((\w+)\) \| (yes|no) \| (.*)$", md, re.M)}
    assert set(rows) == {"plan", "industry", "inefficient"}
    for kind, row in rows.items():
        cols = [c.strip() for c in row[3].split("|")]
        # parcels | 亩 | share | only parcels | 亩 | share
        assert (cols[0], cols[1], cols[3], cols[4]) == tuple(
            page.cells[("kind", kind, f)] for f in ("n", "mu", "n_only", "only_mu")
        )


def test_only_counted_kinds_make_only(report):
    """With industry not counted, P2 is inefficient only; industry has no "only" column."""
    r = _result()
    policy = r.policy.replace(lowuse_kinds=("plan", "inefficient"))
    text = build_report(
        AuditResult(parks=r.parks, parcels=r.parcels, policy=policy), image_format="png"
    )
    page = _Cells()
    page.feed(text)
    # inefficient only: P2 (20) and P4 (40) = 2 parcels, 60 亩
    assert page.cells[("kind", "inefficient", "n_only")] == "2"
    assert page.cells[("kind", "inefficient", "only_mu")] == "60.0"
    assert ("town", "乙镇", "industry", "n_only") not in page.cells
    assert "(未计入)" in text


def test_parks_without_related_industries_are_named(report):
    targets = re.search(r'<section id="targets".*?</section>', report, re.S).group(0)
    assert "未列相关/配套产业的园区: XS02 乙园。" in targets
    assert "汽车零部件、检验检测" in targets  # XS01's list, in its row
    both = build_report(_result(("检验检测", "环保装备")), image_format="png")
    assert "未列相关/配套产业的园区" not in both


def test_town_rows_are_those_of_the_flagged_parcels_alone():
    # parcels of no kind (P5, and two more in 乙镇 and a town of their own) add nothing:
    # the rows are the hand-worked ones, and 丁镇 (no low-efficiency land) is left out
    import dataclasses

    import pandas as pd

    from xsland.write.htmlreport.common import _collect
    from xsland.write.htmlreport.sections import kind_town_rows

    result = _result()
    extra = result.parcels.iloc[[4, 4]].assign(parcel_id=["P7", "P8"], park_id=[None, "XS02"])
    extra["town"] = ["丁镇", None]
    parcels = pd.concat([result.parcels, extra], ignore_index=True)
    rows = kind_town_rows(_collect(dataclasses.replace(result, parcels=parcels), None))
    assert [r["town"] for r in rows] == ["乙镇", "甲镇", "丙镇"]
    for r in rows:
        (n, mu), kinds = TOWNS[r["town"]]
        assert (r["n"], r["mu"]) == (n, mu)
        for k in r["kinds"]:
            assert (k["n"], k["mu"], k["n_only"], k["only_mu"]) == kinds[k["kind"]]


def test_summary_and_lowuse_sections_take_the_kind_rows_worked_out_once():
    from xsland.write.htmlreport.charts import _Charts
    from xsland.write.htmlreport.common import _collect, _rule_labels
    from xsland.write.htmlreport.sections import kind_rows, lowuse_section, summary_section

    a = _collect(_result(), None)
    rows = kind_rows(a)
    assert [r["n"] for r in rows] == [EXPECTED[r["kind"]][0] for r in rows]  # 2, 2, 2, 5
    given = [dict(r, n="given") for r in rows]
    ch, labels = _Charts(None, fmt="png"), _rule_labels(a)
    assert summary_section(a, ch, labels)["kinds"] == rows[:-1]  # worked out there
    assert summary_section(a, ch, labels, kinds=given)["kinds"] == given[:-1]
    assert lowuse_section(a, ch)["kinds"] == rows
    assert lowuse_section(a, ch, kinds=given)["kinds"] == given
