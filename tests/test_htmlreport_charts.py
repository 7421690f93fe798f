"""Charts of the report at city scale (xsland.write.htmlreport.charts): a chart with a row
per park shows at most CHART_MAX_PARKS parks, the ones the rule picks, and says so."""

from __future__ import annotations

import base64
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from xsland.result import AuditResult
from xsland.write.excel import SHEETS
from xsland.write.htmlreport import build_report, charts, sections
from xsland.write.htmlreport.charts import CHART_MAX_PARKS, platform_segments

N = CHART_MAX_PARKS + 2  # 32 parks: two too many
IDS = [f"P{i:02d}" for i in range(1, N + 1)]


def _many_parks() -> AuditResult:
    """32 parks of 100 m squares, each with one industrial parcel, built by hand.

    - targets: every park passes, except P30 (fails 2 of the 3 target rules), P31 (all 3)
      and P32 (1): failing the most first, then park order, the 30 shown are P30, P31,
      P32 and P01 … P27 — P28 and P29 are left out;
    - FAR: park i's parcel has FAR 1 + i/100, except P01 (5.0, the highest) and P03
      (its parcel is not industrial: no median); the 30 lowest medians leave out P01 and
      P03 (no value sorts last);
    - platforms: one each, P10 five, P20 three, P32 unknown: 31 parks have platforms, one
      too many for 30 segments, so 29 segments (P10, P20 and the first 27 of the others in
      park order: P01 … P29 without P10 and P20 — P30 and P31 are left out) and one grey
      segment "+2" of the other two.
    """
    boxes = [shapely.box(i * 200, 0, i * 200 + 100, 100) for i in range(N)]
    fail = {"P30": 2, "P31": 3, "P32": 1}
    parks = gpd.GeoDataFrame(
        {
            "park_id": IDS,
            "name": [f"园区{i}" for i in range(1, N + 1)],
            "chk_leading_revenue": ["fail" if fail.get(p, 0) >= 1 else "pass" for p in IDS],
            "val_leading_revenue": [0.5] * N,
            "chk_leading_count": ["fail" if fail.get(p, 0) >= 2 else "pass" for p in IDS],
            "val_leading_count": [0.5] * N,
            "chk_chain_leader": ["fail" if fail.get(p, 0) >= 3 else "pass" for p in IDS],
            "val_chain_leader": [2.0] * N,
            "innovation_platforms": [
                {"P10": 5.0, "P20": 3.0, "P32": np.nan}.get(p, 1.0) for p in IDS
            ],
        },
        geometry=boxes,
        crs="EPSG:4549",
    )
    far = [5.0 if p == "P01" else 1 + i / 100 for i, p in enumerate(IDS, start=1)]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"D{i:02d}" for i in range(1, N + 1)],
            "park_id": IDS,
            "category": ["other" if p == "P03" else "industrial" for p in IDS],
            "far": far,
            "area_m2": [10_000.0] * N,
        },
        geometry=boxes,
        crs="EPSG:4549",
    )
    return AuditResult(parks=parks, parcels=parcels)


@pytest.fixture(scope="module")
def drawn() -> tuple[str, dict[str, object]]:
    """The report of the 32 parks, and each figure drawn, by the alt text of its image."""
    figures: dict[str, object] = {}
    embed = charts._Charts.embed

    def keep(self, fig, *, alt, cls="chart"):
        figures[alt] = fig
        return embed(self, fig, alt=alt, cls=cls)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(charts._Charts, "embed", keep)
        html = build_report(_many_parks())
    return html, figures


def _ticks(ax) -> list[str]:
    """Park IDs of the y-axis labels, top first."""
    pairs = zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    return [t.get_text().split(" ")[0] for _, t in sorted(pairs, key=lambda p: -p[0])]


def test_targets_chart_shows_the_parks_failing_the_most(drawn):
    html, figures = drawn
    fig = figures["主导产业占比与链主企业 leading industry and chain leaders"]
    shown = [p for p in IDS if p not in ("P28", "P29")]
    assert _ticks(fig.axes[0]) == shown
    for ax in fig.axes:  # one bar per park shown, in every panel
        assert len(ax.patches) == CHART_MAX_PARKS
    assert f"图中为不达标项最多的 30 个园区(共 {N} 个)" in html
    assert f"The chart shows the 30 parks failing the most of these targets, of {N}" in html


def test_far_chart_shows_the_lowest_median_far(drawn):
    html, figures = drawn
    fig = figures["工业地块容积率分布 FAR of industrial parcels"]
    assert _ticks(fig.axes[0]) == [p for p in IDS if p not in ("P01", "P03")]
    assert f"图中为工业地块容积率中位数最低的 30 个园区(共 {N} 个)" in html


def test_platforms_chart_draws_the_largest_and_the_rest_as_one(drawn):
    html, figures = drawn
    ax = figures["省级以上创新平台 innovation platforms"].axes[0]
    # 29 own segments, the grey one, and the hatched box of the park without data
    assert len(ax.patches) == 29 + 1 + 1
    labels = [t.get_text() for t in ax.texts]
    own = [p for p in IDS[:29] if p not in ("P10", "P20")] + ["P10", "P20"]
    assert sorted(labels[:29]) == sorted(own) and "+2" in labels
    widths = [p.get_width() for p in ax.patches]
    assert widths[:29] == [
        5.0 if p == "P10" else 3.0 if p == "P20" else 1.0 for p in IDS[:29] if p in own
    ]
    assert widths[29] == 2.0  # P30 and P31
    assert "图中单独分段的为创新平台最多的 29 个园区, 其余 2 个有平台的园区合为灰色一段" in html
    np.testing.assert_array_equal(
        platform_segments([1.0, np.nan, 0.0, 4.0, 2.0, 3.0], cap=3), [3, 5]
    )  # 4 parks with platforms, 3 segments: the 2 largest (4.0, 3.0) on their own


def test_the_note_names_the_parks_sheet_of_the_workbook(drawn):
    html, _ = drawn
    assert sections.PARKS_SHEET == SHEETS["parks"]
    assert len(re.findall(f"audit.xlsx 的「{SHEETS['parks']}」表", html)) == 3


def test_no_note_when_every_park_is_shown(demo_audit):
    html = build_report(AuditResult.read(demo_audit[0]))
    assert 'class="cut"' not in html and "of audit.xlsx" not in html


# --- block maps: each layer one compound path, holes left empty ---------------------


def _ring_areas(path) -> list[float]:
    """Signed area (shoelace) of each ring of a matplotlib path, in order."""
    starts = np.flatnonzero(path.codes == path.MOVETO).tolist() + [len(path.codes)]
    out = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        x, y = path.vertices[a:b, 0], path.vertices[a:b, 1]
        out.append(0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])))
    return out


def test_one_path_of_every_polygon_shells_counter_clockwise_holes_clockwise():
    # a clockwise 10 m square; a 10 m square with a 4 m hole given the shell's own
    # orientation; a multipolygon of two 1 m squares; a collection of a 2 m square and a
    # point; None and an empty polygon: 5 polygons, 6 rings, 30 vertices
    cw = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)])
    holed = shapely.Polygon(
        [(20, 0), (30, 0), (30, 10), (20, 10)], [[(23, 3), (27, 3), (27, 7), (23, 7)]]
    )
    multi = shapely.MultiPolygon([shapely.box(40, 0, 41, 1), shapely.box(42, 0, 43, 1)])
    coll = shapely.GeometryCollection([shapely.box(50, 0, 52, 2), shapely.Point(60, 0)])
    path = charts._path([cw, holed, multi, coll, None, shapely.Polygon()])
    assert (path.codes == path.MOVETO).sum() == 6 and len(path.vertices) == 30
    assert (path.codes == path.CLOSEPOLY).sum() == 6
    areas = _ring_areas(path)
    # shells: 100, 100, 1, 1, 4 m², positive; the hole 16 m², negative, after its shell
    assert sorted(a for a in areas if a > 0) == [1.0, 1.0, 4.0, 100.0, 100.0]
    assert [a for a in areas if a < 0] == [-16.0]
    assert areas[areas.index(-16.0) - 1] == 100.0
    assert charts._path([None, shapely.Polygon(), shapely.Point(0, 0)]) is None


def test_a_hole_in_a_drawn_layer_stays_empty():
    # the 10 m square with a 4 m hole, drawn filled black on white over 0…10 m, 100 px:
    # the hole's centre (5, 5) stays white, the ring at (1, 1) is black, whichever way
    # the hole was given
    for hole in ([(3, 3), (7, 3), (7, 7), (3, 7)], [(3, 3), (3, 7), (7, 7), (7, 3)]):
        fig = charts.Figure(figsize=(1, 1), dpi=100)
        charts.FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [hole])
        charts._draw(ax, [square], facecolor="black", edgecolor="none")
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_axis_off()
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())[:, :, :3]
        assert (pixels[50, 50] == 255).all()  # row 50, column 50: (5, 5)
        assert (pixels[90, 10] == 0).all()  # row 90 from the top, column 10: (1, 1)


def test_a_block_map_draws_each_layer_as_one_svg_path():
    # a block of 60 parcels (20 low-efficiency) among 40 neighbours: the SVG holds a
    # handful of paths (the layers, scale bar, arrow, frame, label), not one a parcel
    parcels = [
        shapely.box(i * 10, j * 10, i * 10 + 9, j * 10 + 9) for i in range(10) for j in range(10)
    ]
    members = gpd.GeoDataFrame(geometry=parcels[:60], crs="EPSG:4549")
    context = gpd.GeoDataFrame(geometry=parcels[60:], crs="EPSG:4549")
    block = pd.Series({"block_id": "B-P01-001", "geometry": shapely.box(0, 0, 59, 99)})
    low = np.arange(60) < 20
    ch = charts._Charts(font=None)
    img = charts.block_map(ch, block, members, context, low)
    svg = base64.b64decode(img["src"].split(",", 1)[1]).decode()
    assert svg.count("<path") < 30
