"""Atomic writers: nothing half-written, nothing overwritten unasked."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xsland.errors import OutputExistsError
from xsland.rules.policy import DEFAULT_POLICY
from xsland.write.report import atomic_dir, atomic_file, write_table


def test_atomic_file_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "a.csv"
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_keeps_old_output_when_run_fails(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "x.txt").write_text("first")
    with pytest.raises(OutputExistsError, match=r"exists; pass --overwrite"):
        with atomic_dir(out):
            pass
    with pytest.raises(ZeroDivisionError), atomic_dir(out, overwrite=True) as tmp:
        (tmp / "x.txt").write_text("second")
        raise ZeroDivisionError("run failed")
    assert (out / "x.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "y.txt").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == [".xsland-output", "y.txt"]  # + the marker


def test_write_table_xlsx_frozen_header_and_widths(tmp_path):
    df = pd.DataFrame({"园区名称": ["东亭智能装备产业园"], "area_mu": [15.0]})
    path = write_table(df, tmp_path / "t.xlsx", sheet="园区")
    ws = openpyxl.load_workbook(path)["园区"]
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "东亭智能装备产业园"
    # 9 CJK characters × 2 + 2 = 20 characters; the writer stores 20 + 0.71 (Excel's padding)
    assert ws.column_dimensions["A"].width == pytest.approx(20.71, abs=0.01)
    csv = write_table(df, tmp_path / "t.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with pytest.raises(OutputExistsError):
        write_table(df, csv, overwrite=False)
    with pytest.raises(OSError, match=r"write .csv or .xlsx"):
        write_table(df, tmp_path / "t.ods")


def test_summary_never_prints_nan(tmp_path):
    """A district value that is unknown, a park without name or town, a block without a park."""
    import geopandas as gpd
    import shapely

    from xsland.result import AuditResult
    from xsland.write.report import summary_markdown

    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": [None],
            "town": [None],
            "area_km2": [1.0],
            "area_mu": [1500.0],
            "chk_area": ["pass"],
            "chk_far_new": ["fail"],
            "val_far_new": ["0/1"],
            "fail_far_new": [None],
        },
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4549,
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1"], "park_id": [None], "area_mu": [1.5]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4549,
    )
    district = pd.DataFrame(
        {
            "check": ["chk_innovation_platforms"],
            "label": ["全区园区省级以上创新平台≥7家(2027年底)"],
            "status": ["unknown"],
            "value": [float("nan")],
            "threshold": [7],
        }
    )
    blocks = gpd.GeoDataFrame(
        {"block_id": ["B1"], "park_id": [None], "n_parcels": [1], "area_mu": [1.5]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs=4549,
    )
    result = AuditResult(parks=parks, parcels=parcels, district=district, blocks=blocks)
    for c in ("chk_far_standard", "chk_far_m0", "chk_coverage", "chk_leading_revenue",
              "chk_leading_count", "chk_chain_leader", "chk_promotion", "chk_fund"):  # fmt: skip
        result.parks[c] = "n/a"
    text = summary_markdown(result)
    assert "nan" not in text.lower()
    assert "全区园区省级以上创新平台≥7家(2027年底): ? 数据不足 (— / 7)" in text
    assert "- K1 : 新增工业用地容积率≥1.5 — measured 0/1" in text
    custom = AuditResult(
        parks=result.parks,
        parcels=parcels,
        policy=DEFAULT_POLICY.replace(far_min_new_industrial=1.2),
    )
    assert "新增工业用地容积率≥1.2" in summary_markdown(custom)


def _kind_audit(policy=None):
    """Park K1 (智能装备) with five 100 m squares (15 亩 each), answers by hand:

    P1 纺织, FAR 1.2, class A: industry only; P2 智能装备, FAR 0.6: inefficient only;
    P3 纺织, class D: industry + inefficient; P4 residential (0701) on land planned
    industrial: plan only (not industrial land); P5 检验检测, class B: industry only.
    """
    import geopandas as gpd
    import shapely

    from xsland.pipeline.audit import run
    from xsland.rules.policy import DEFAULT_POLICY

    x0, y0 = 535_000.0, 3_496_000.0
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": ["一园"],
            "town": ["东亭街道"],
            "park_type": ["district"],
            "leading_industry": ["智能装备"],
        },
        geometry=[shapely.box(x0, y0, x0 + 2000, y0 + 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3", "P4", "P5"],
            "category": ["industrial"] * 3 + ["other", "industrial"],
            "land_use": ["100101"] * 3 + ["0701", "100101"],
            "floor_area": [12_000.0, 6_000.0, 12_000.0, 12_000.0, 12_000.0],
            "enterprise_id": ["E1", "E2", "E4", None, "E3"],
        },
        geometry=[shapely.box(x0 + 200 * k, y0, x0 + 200 * k + 100, y0 + 100) for k in range(5)],
        crs="EPSG:4549",
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3", "E4"],
            "industry": ["纺织", "智能装备", "检验检测", "纺织"],
            "tax": [60.0] * 4,
            "revenue": [900.0] * 4,
            "eval_class": ["A", "B", "B", "D"],
        }
    )
    plan = gpd.GeoDataFrame(
        {"planned_use": ["100101"]},
        geometry=[shapely.box(x0, y0, x0 + 2000, y0 + 1000)],
        crs="EPSG:4549",
    )
    return run(
        parks,
        parcels,
        enterprises=enterprises,
        plan=plan,
        as_of="2026-01-01",
        policy=policy or DEFAULT_POLICY,
    )


def test_summary_breaks_low_efficiency_down_by_kind_and_only_reason():
    from xsland.rules.policy import DEFAULT_POLICY
    from xsland.write.report import summary_markdown

    text = summary_markdown(_kind_audit())
    # industrial land P1, P2, P3, P5 = 60 亩, all low-efficiency; P4 (other) too: 75 亩
    assert "- 5 of 5 parcels, 75.0 亩 of 75.0 亩" in text
    assert "- industrial land: 60.0 亩 of 60.0 亩 (100.0%) low-efficiency" in text
    assert "| 不符合规划 (plan) | yes | 1 | 15.0 | 0.0% | 1 | 15.0 | 0.0% |" in text
    assert "| 不符合产业发展定位 (industry) | yes | 3 | 45.0 | 75.0% | 2 | 30.0 | 50.0% |" in text
    assert (
        "| 不符合高效配置原则 (inefficient) | yes | 2 | 30.0 | 50.0% | 1 | 15.0 | 25.0% |" in text
    )
    assert (
        "- 不符合产业定位 (industry_mismatch): 3 parcels, 45.0 亩; only reason: 2 parcels, 30.0 亩"
        in text
    )
    # no indicators: the district check has no value, shown as —, never nan
    assert "(— / 7)" in text and "nan" not in text
    # the industry kind not counted: P1 and P5 leave the low-efficiency land
    narrow = summary_markdown(
        _kind_audit(DEFAULT_POLICY.replace(lowuse_kinds=["plan", "inefficient"]))
    )
    assert "- 3 of 5 parcels, 45.0 亩 of 75.0 亩" in narrow
    assert "- kinds counted (lowuse_kinds): plan, inefficient" in narrow
    assert "| 不符合产业发展定位 (industry) | no | 3 | 45.0 | 75.0% | 0 | 0.0 | 0.0% |" in narrow
    assert (
        "| 不符合高效配置原则 (inefficient) | yes | 2 | 30.0 | 50.0% | 2 | 30.0 | 50.0% |" in narrow
    )


def test_summary_text_from_the_data_is_literal_markdown():
    """Names are backslash-escaped: no HTML, link, math or extra table cell from the data."""
    from xsland.write.report import _cell

    assert _cell("一园 K-1") == "一园 K-1"
    assert _cell("<img src=x onerror=alert(1)>") == r"\<img src=x onerror=alert(1)\>"
    assert _cell("a|b\r\nc\u2028d") == r"a\|b c d"
    assert _cell("[x](javascript:alert(1)) $x^2$ *a* _b_ # h") == (
        r"\[x\](javascript:alert(1)) \$x^2\$ \*a\* \_b\_ \# h"
    )
    assert _cell(r"a\b &amp;") == r"a\\b \&amp;"
    assert _cell(None) == "" and _cell(float("nan")) == ""


_MD_CHARS = "\\`*_[]<>|#!~&$\r\n\x0b\x0c\x85\u2028\u2029 a中-"


@given(st.text(alphabet=st.sampled_from(list(_MD_CHARS)) | st.characters(), max_size=12))
def test_summary_cell_without_markup_is_the_text_itself(text):
    # a text without any character Markdown reads (or a line end) is returned as it is,
    # without the two substitutions; any other gets them
    from xsland.write.report import _MD_ACTIVE, _MD_BREAKS, _cell

    assert _cell(text) == _MD_ACTIVE.sub(r"\\\1", _MD_BREAKS.sub(" ", text))


def test_records_are_to_dict_records():
    from xsland.write.report import _records

    frame = pd.DataFrame(
        {
            "park_id": pd.Series(["XS01", None, "XS03"], dtype="str"),
            "area": [1.5, float("nan"), 3.0],
            "n": [1, 2, 3],
            "ok": [True, False, True],
        }
    )
    nullable = frame.assign(count=pd.array([1, None, 3], dtype="Int64"))  # to_dict: None
    objects = frame.assign(x=pd.Series([np.float64(1.5), None, "a"], dtype=object))
    for f in (frame, nullable, objects):
        want = f.to_dict("records")
        got = _records(f)
        assert [list(r) for r in got] == [list(r) for r in want]
        for g, w in zip(got, want, strict=True):
            for k in w:
                assert type(g[k]) is type(w[k]), k
                assert g[k] is w[k] or g[k] == w[k] or (g[k] != g[k] and w[k] != w[k]), k
    assert _records(nullable)[1]["count"] is None
    assert _records(frame)[0] == {"park_id": "XS01", "area": 1.5, "n": 1, "ok": True}
    assert _records(frame.iloc[:0]) == []


def test_summary_of_enterprises_without_the_derived_class():
    # mj_class_derived is an optional column: an audit read back without it stopped the
    # summary (and `xsland blocks`, which writes it again) on an unexpected KeyError
    import dataclasses

    import geopandas as gpd
    import shapely

    from xsland.pipeline.audit import run
    from xsland.write.report import summary_markdown

    x, y = 535_000.0, 3_496_000.0  # EPSG:4549, in Xishan
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["一园"]},
        geometry=[shapely.box(x, y, x + 300, y + 300)],
        crs=4549,
    )
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3"], "enterprise_id": ["E1", "E2", "E3"]},
        geometry=[
            shapely.box(x + 10 + 100 * i, y + 10, x + 90 + 100 * i, y + 90) for i in range(3)
        ],
        crs=4549,
    )
    given = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3"], "eval_class": ["A", "D", "D"]})
    result = run(parks, parcels, enterprises=given, as_of="2025-08-29")
    ent = result.enterprises.drop(columns=["mj_class_derived"])
    text = summary_markdown(dataclasses.replace(result, enterprises=ent))
    assert "| used (given wins) | 1 | 0 | 0 | 2 | 0 |" in text
    assert "| derived | 0 | 0 | 0 | 0 | 0 |" in text
