"""audit.xlsx for people: Chinese headers, Chinese words, literal text, never too long."""

from __future__ import annotations

import dataclasses
import os
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xsland.pipeline.audit import run
from xsland.rules.columns import CODES, TABLES, WORKBOOK_PARCEL_COLUMNS
from xsland.write import excel
from xsland.write.excel import SHEETS, action_parcels, clean_text, write_audit_workbook

X0, Y0 = 535_000.0, 3_496_000.0
_CJK = re.compile("[\u4e00-\u9fff]")
_ENGLISH_STATUS = {"pass", "fail", "unknown", "n/a"}
_STATUS_WORDS = set(CODES["status"].values())


@pytest.fixture(scope="module")
def tiny():
    """One park, three parcels: P1 FAR 1.5 (ok), P2 FAR 0.5 (low-efficiency), P3 logistics."""
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": ["一园"],
            "town": ["东亭街道"],
            "park_type": ["district"],
            "leading_industry": ["装备"],
            "zone": ["core"],
        },
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 300, Y0 + 300)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "land_use": ["100101", "100101", "1101"],
            "floor_area": [15_000.0, 5_000.0, 100.0],
            "owner": ["甲", "乙", "丙"],
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            shapely.box(X0, Y0 + 200, X0 + 50, Y0 + 250),
        ],
        crs="EPSG:4549",
    )
    return run(parks, parcels, as_of="2025-08-29")


def _sheets(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _check_sheets(sheets):
    for title, rows in sheets.items():
        headers = rows[0]
        assert len(headers) == len(set(headers)), title
        assert all(h and _CJK.search(str(h)) for h in headers), (title, headers)
        for row in rows[1:]:
            assert not any(isinstance(v, str) and v in _ENGLISH_STATUS for v in row), title


def test_demo_workbook_headers_and_statuses(demo_audit):
    folder, _, _ = demo_audit
    sheets = _sheets(folder / "audit.xlsx")
    assert list(sheets) == ["说明 about", *SHEETS.values(), "字段 columns"]
    _check_sheets(sheets)
    # every status column: a Chinese word, never blank
    for table in ("parks", "district"):
        rows = sheets[SHEETS[table]]
        for col in TABLES[table]:
            if col.codes != "status":
                continue
            i = rows[0].index(col.label())
            assert {r[i] for r in rows[1:]} <= _STATUS_WORDS, col.name
    parks = sheets[SHEETS["parks"]]
    assert {r[parks[0].index("园区类型")] for r in parks[1:]} == {"片区型", "载体型"}
    # the English column names are on the last sheet
    names = {r[2] for r in sheets["字段 columns"][1:]}
    assert {"far_ok", "chk_far_new", "block_id"} <= names


def test_demo_workbook_shows_no_code_where_a_word_is_declared(demo_audit):
    """Every column declared with a code table shows its Chinese words, on every sheet:
    the 亩均 class source (given → 评价结果) and the intensity rows' level (park → 园区)
    were shown as the English codes."""
    folder, _, _ = demo_audit
    sheets = _sheets(folder / "audit.xlsx")
    checked = set()
    for table, title in SHEETS.items():
        rows = sheets[title]
        by_label = {c.label(): c for c in TABLES[table].columns}
        for i, header in enumerate(rows[0]):
            col = by_label.get(header)
            if col is None or col.codes in (None, "land_use"):
                continue
            words = CODES[col.codes]
            codes = {k for k, w in words.items() if k != w}
            values = {r[i] for r in rows[1:]} - {None}
            if col.codes == "reasons":
                values = {part for v in values for part in v.split("；")}
            assert not values & codes, (title, header, sorted(values & codes))
            checked.add((table, col.name))
    assert {("enterprises", "mj_class_source"), ("intensity", "level")} <= checked
    assert {("rules", "value"), ("rules", "unit"), ("rules", "source")} <= checked
    # the rules sheet: values, units and sources in words; keys as the project file has them
    rules = sheets[SHEETS["rules"]]
    assert rules[0] == ["参数", "取值", "单位", "依据", "说明"]
    by_key = {r[0]: r for r in rules[1:]}
    assert by_key["leading_revenue_share_min"][2] == "比例"
    assert by_key["block_gap_m"][2:4] == ["米", "本地参数"]
    assert by_key["tall_storey_counts_double"][1:3] == ["是", "是/否"]
    assert by_key["lowuse_far_max_logistics"][1] == "未设定"
    assert by_key["eval_weight_tax"][3].endswith("; 本地参数")
    for row in rules[1:]:  # no English word left in a value's unit or source
        assert not re.search(r"[A-Za-z]{3,}", row[2] or ""), row
        assert not re.search(r"[A-Za-z]{3,}", row[3] or ""), row
    enterprises = sheets[SHEETS["enterprises"]]
    # the 4+T class and its source are named apart from the low-efficiency class's
    assert {"亩均效益评价类别", "评价类别来源", "亩均效益类别(4+T)", "类别来源(4+T)"} <= set(
        enterprises[0]
    )
    source = enterprises[0].index("类别来源(4+T)")
    assert {r[source] for r in enterprises[1:]} == {"评价结果", "推算"}
    intensity = sheets[SHEETS["intensity"]]
    level = intensity[0].index("评价层级")
    assert [r[level] for r in intensity[1:]].count("全区") == 1
    assert {r[level] for r in intensity[1:]} == {"园区", "全区"}


def test_demo_workbook_holds_the_parcels_that_need_action(demo_audit):
    from xsland.result import AuditResult

    folder, _, _ = demo_audit
    result = AuditResult.read(folder)
    need = action_parcels(result.parcels)
    # every low-efficiency parcel and every parcel below its FAR minimum, nothing else
    expected = result.parcels["low_efficiency"] | result.parcels["far_ok"].eq(False).fillna(False)
    assert len(need) == int(expected.sum()) < len(result.parcels)
    sheets = _sheets(folder / "audit.xlsx")
    assert len(sheets[SHEETS["parcels"]]) - 1 == len(need)
    about = dict((r[0], r[1]) for r in sheets["说明 about"][1:])
    assert "audit.gpkg" in about["完整地块表 full parcel table"]
    assert "parcels" in about["完整地块表 full parcel table"]
    # rounded to the shown precision: FAR two decimals, areas in 亩 two
    rows = sheets[SHEETS["parcels"]]
    far = rows[0].index("容积率")
    assert all(v is None or round(v, 2) == v for v in (r[far] for r in rows[1:]))


def test_parcel_sheet_holds_the_declared_columns_and_points_to_the_rest(demo_audit):
    from xsland.result import AuditResult

    folder, _, _ = demo_audit
    result = AuditResult.read(folder)
    sheets = _sheets(folder / "audit.xlsx")
    header = sheets[SHEETS["parcels"]][0]
    declared = TABLES["parcels"]
    # exactly the declared workbook columns, in their order, as far as the audit has them
    # (the demo has no enterprise evaluation, so no supply_status_zh …)
    present = [c for c in WORKBOOK_PARCEL_COLUMNS if c in result.parcels.columns]
    assert len(present) >= 15
    assert header == [declared.column(c).label(result.policy) for c in present]
    # columns of the full table left out of the sheet: the GeoPackage still has them
    left_out = [c for c in ("footprint_m2", "floor_area", "reasons", "lu_far_low")
                if c in result.parcels.columns]  # fmt: skip
    assert left_out and not {declared.column(c).label(result.policy) for c in left_out} & set(
        header
    )
    about = dict((r[0], r[1]) for r in sheets["说明 about"][1:])
    pointer = about["地块字段 parcel columns"]
    assert f"{len(WORKBOOK_PARCEL_COLUMNS)} 个处置所需字段" in pointer
    assert f"全部 {len(declared.columns)} 个字段" in pointer and "完整地块表" in pointer
    assert "audit.gpkg" in about["完整地块表 full parcel table"]
    # no sheet of block members (issue 16: the workbook is for people): each action parcel
    # names its block, and the members are a layer of the GeoPackage
    assert not any("block parcels" in name for name in sheets)
    assert declared.column("block_id").label(result.policy) in header
    assert "block_members" in about["连片成员 block members"]


def test_about_names_rules_set_by_the_project_in_words(tiny, tmp_path):
    """A project that turns rules off: the about sheet says 否, as the rules sheet does,
    and keeps the project-file keys (a rule that may be unset is unset by default)."""
    policy = tiny.policy.replace(tall_storey_counts_double=False, lowuse_use_derived_class=False)
    result = dataclasses.replace(tiny, policy=policy, rules=policy.table())
    sheets = _sheets(write_audit_workbook(result, tmp_path / "a.xlsx"))
    about = {r[0]: r[1] for r in sheets["说明 about"][1:]}
    assert about["项目文件改动的规则 rules set by the project"] == (
        "tall_storey_counts_double = 否; lowuse_use_derived_class = 否"
    )
    rules = {r[0]: r[1:3] for r in sheets[SHEETS["rules"]][1:]}
    assert rules["tall_storey_counts_double"] == ["否", "是/否"]
    assert rules["lowuse_far_max_logistics"] == ["未设定", "容积率"]


def test_words_for_codes_and_booleans(tiny, tmp_path):
    path = write_audit_workbook(tiny, tmp_path / "a.xlsx")
    sheets = _sheets(path)
    _check_sheets(sheets)
    parcels = sheets[SHEETS["parcels"]]
    # only P2 (FAR 0.5 < 1.0) needs action
    assert [r[0] for r in parcels[1:]] == ["P2"]
    row = dict(zip(parcels[0], parcels[1], strict=True))
    assert row["政策类别"] == "存量工业用地" and row["低效用地"] == "是"
    assert row["功能分区"] == "核心启动区"
    assert row["用地分类"] == "100101 一类工业用地"  # 2023 national classification
    assert "低效原因代码" not in row  # the codes' Chinese twin is shown instead


def test_formulas_never_come_from_text(tiny, tmp_path):
    owners = ['=HYPERLINK("http://evil","点击查看")', "=1+2", "+1", "@SUM(A1)"]
    parcels = tiny.parcels.copy()
    parcels["owner"] = owners[:3]
    parcels["low_efficiency"] = True
    changed = dataclasses.replace(tiny, parcels=parcels)
    path = write_audit_workbook(changed, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEETS["parcels"]]
    col = [c.value for c in ws[1]].index("权利人") + 1
    cells = [ws.cell(r, col) for r in range(2, 5)]
    assert [c.value for c in cells] == owners[:3]
    assert all(c.data_type == "s" for c in cells)
    # and each carries the quote prefix, so "=1+2" stays text when a user edits the cell
    assert all(c.quotePrefix for c in cells)


def test_illegal_characters_are_removed_and_listed(tiny, tmp_path):
    parcels = tiny.parcels.copy()
    parcels["owner"] = ["甲\x01公司", "乙\x0b", "丙"]
    parcels["low_efficiency"] = True
    path = write_audit_workbook(dataclasses.replace(tiny, parcels=parcels), tmp_path / "a.xlsx")
    sheets = _sheets(path)
    rows = sheets[SHEETS["parcels"]]
    i = rows[0].index("权利人")
    assert [r[i] for r in rows[1:]] == ["甲公司", "乙", "丙"]
    quality = sheets[SHEETS["quality"]]
    listed = [r for r in quality[1:] if r[4] == "xlsx_illegal_characters"]
    assert sorted(r[2] for r in listed) == ["P1", "P2"] and {r[3] for r in listed} == {"owner"}


def test_clean_text_keeps_numbers_and_none():
    values = pd.Series(["a\x00b", 3, None, "ok"], dtype=object)
    out, changed = clean_text(values)
    assert out.tolist() == ["ab", 3, None, "ok"] and changed.tolist() == [True, False, False, False]


def test_clean_text_on_arrow_strings_is_the_same_as_on_objects():
    texts = ["甲\x01公司", "b", None, "c\ufffe", "tab\tcr\r"]
    arrow, changed = clean_text(pd.Series(texts, dtype="str"))
    plain, changed_plain = clean_text(pd.Series(texts, dtype=object))
    assert changed.tolist() == changed_plain.tolist() == [True, False, False, True, False]
    assert plain.tolist() == ["甲公司", "b", None, "c", "tab\tcr\r"]
    assert arrow.astype(object).where(arrow.notna(), None).tolist() == plain.tolist()


def test_row_cap(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 2)  # a header and one row
    parcels = tiny.parcels.copy()
    parcels["low_efficiency"] = True
    path = write_audit_workbook(dataclasses.replace(tiny, parcels=parcels), tmp_path / "a.xlsx")
    sheets = _sheets(path)
    assert all(len(rows) <= 2 for name, rows in sheets.items() if name in SHEETS.values())
    notes = [r[1] for r in sheets["说明 about"] if r[0] == "注意 note"]
    assert any("待处理地块 parcels: 共 3 行" in n for n in notes)


def _excel_unescape(value):
    if not isinstance(value, str):
        return value
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# any text but NUL: validation removes NUL from the inputs and a result holding it is
# refused before any writer sees it (tests/test_result.py); every other control character
# reaches the writer. Text that UTF-8 can encode: a lone surrogate ("\ud800") cannot be
# put in a parcel table at all (pandas' Arrow text refuses it when the column is set), and
# no file xsland reads yields one (UTF-8 and GB18030 decoding never do)
@given(
    texts=st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
        min_size=3,
        max_size=3,
    )
)
def test_any_text_gives_no_formula_and_no_crash(tiny, tmp_path, texts):
    parcels = tiny.parcels.copy()
    parcels["owner"] = texts
    parcels["parcel_id"] = [f"{t}#{i}" for i, t in enumerate(texts)]
    parcels["low_efficiency"] = True
    path = write_audit_workbook(dataclasses.replace(tiny, parcels=parcels), tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert not any(c.data_type == "f" for c in row)
    ws = wb[SHEETS["parcels"]]
    col = [c.value for c in ws[1]].index("权利人") + 1
    # Excel keeps CR as the escape _x000D_ (the writer writes it, Excel decodes it)
    got = [_excel_unescape(ws.cell(r, col).value) for r in range(2, 5)]
    want = [clean_text(pd.Series([t], dtype=object))[0][0] or None for t in texts]
    assert got == want


def test_text_longer_than_a_cell_is_moved_whole(tiny, tmp_path):
    # 100,000 code points; every 5th is astral (2 UTF-16 units), so 120,000 UTF-16 units:
    # more than three cells of 32,767, and a naive cut at 32,767 code points would fall
    # inside a surrogate pair somewhere. It starts with "=" to stay text, not a formula.
    unit = "=工😀é𠀀"  # 5 code points, 7 UTF-16 units
    text = (unit * 20_000)[:100_000]
    assert len(text) == 100_000 and len(text.encode("utf-16-le")) // 2 == 140_000
    parcels = tiny.parcels.copy()
    parcels["owner"] = ["甲", text, "丙"]
    parcels["low_efficiency"] = True
    path = write_audit_workbook(dataclasses.replace(tiny, parcels=parcels), tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-1] == excel.LONG_TEXT_SHEET
    ws = wb[SHEETS["parcels"]]
    col = [c.value for c in ws[1]].index("权利人") + 1
    cell = ws.cell(3, col).value  # P2, the second parcel
    assert cell.startswith(text[: excel.LONG_TEXT_HEAD])
    assert cell.endswith("…（全文见「长文本 long text」表第 2 行）")
    assert ws.cell(2, col).value == "甲"
    long = [list(r) for r in wb[excel.LONG_TEXT_SHEET].iter_rows(values_only=True)]
    head, row = long[0], long[1]
    assert row[:5] == [SHEETS["parcels"], 3, "权利人", 100_000, 5]  # 140,000 / 32,767 → 5
    # a number cell reads back as a float (the writer keeps every number an f64)
    parts = row[5 : 5 + int(row[4])]
    assert head[5:] == [f"第{i}段" for i in range(1, 6)]
    assert all(len(p.encode("utf-16-le")) // 2 <= excel.EXCEL_MAX_CELL for p in parts)
    assert "".join(parts) == text
    for r in wb[excel.LONG_TEXT_SHEET].iter_rows(min_row=2):
        assert all(c.data_type == "s" for c in r[5:])
    about = {r[0]: r[1] for r in wb["说明 about"].iter_rows(min_row=2, values_only=True)}
    assert any("长文本 long text" in str(v) and "32,767" in str(v) for v in about.values())
    quality = [list(r) for r in wb[SHEETS["quality"]].iter_rows(values_only=True)]
    listed = [r for r in quality[1:] if r[4] == "xlsx_long_text"]
    assert [(r[2], r[3]) for r in listed] == [("P2", "owner")]


def test_long_text_parts_never_split_a_surrogate_pair():
    # 32,766 BMP units then an astral character: the pair would straddle the cut at 32,767
    text = "a" * (excel.EXCEL_MAX_CELL - 1) + "😀" + "b"
    parts = excel._parts(text)
    assert [len(p) for p in parts] == [excel.EXCEL_MAX_CELL - 1, 2]
    assert "".join(parts) == text
    frame = pd.DataFrame({"x": ["short", text]})
    sheets, long = excel.move_long_text({"s": (frame, [None])})
    assert frame["x"].tolist() == ["short", text]  # the input is not changed
    assert sheets["s"][0]["x"].tolist()[1].endswith("表第 2 行）")
    assert long.iloc[0].tolist()[:5] == ["s", 3, "x", len(text), 2]
    assert not excel.too_long("😀" * (excel.EXCEL_MAX_CELL // 2))  # 32,766 units fit
    assert excel.too_long("😀" * (excel.EXCEL_MAX_CELL // 2 + 1))  # 32,768 do not


def test_any_workbook_moves_long_text_rather_than_cut_it(tmp_path):
    # write_frames serves every workbook (write_table, the diff): a 40,000-character cell
    # (over the 32,767 limit) in a plain table moves to the long-text sheet, whole
    text = "锡" * 40_000
    frame = pd.DataFrame({"note": ["ok", text]})
    path = excel.write_frames({"data": (frame, [None])}, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["data", excel.LONG_TEXT_SHEET]
    assert wb["data"]["A3"].value.endswith("（全文见「长文本 long text」表第 2 行）")
    row = [c.value for c in wb[excel.LONG_TEXT_SHEET][2]]
    assert row[:5] == ["data", 3, "note", 40_000, 2]
    assert "".join(row[5:7]) == text


def test_each_column_keeps_its_kind(tmp_path):
    # write_frames takes any frame (write_table, the diff): every column goes to the writer
    # as one Arrow type. Worked out by hand, per column:
    frame = pd.DataFrame(
        {
            # text, one starting with "=": strings with the quote prefix, never a formula
            "text": pd.Series(["=1+2", None, "甲"], dtype=object),
            # floats: NaN and inf are empty cells, the rest numbers
            "float": [1.25, float("nan"), float("inf")],
            # integers and nullable integers: numbers, NA empty
            "int": pd.Series([3, None, 5], dtype="Int64"),
            # booleans stay booleans
            "bool": [True, False, True],
            # dates: date cells shown yyyy-mm-dd (even undeclared), NaT empty
            "date": pd.to_datetime(["2025-08-29", None, "2024-02-29"]),
            # Python dates in an object column: dates too
            "objdate": pd.Series([pd.Timestamp("2020-01-02").date(), None, None], dtype=object),
            # text mixed with a number: one column, one type, so text ("7", not 7)
            "mixed": pd.Series(["a", 7, None], dtype=object),
            # a time zone is dropped, the wall-clock time kept (Excel has no time zones)
            "tz": pd.to_datetime(["2025-01-01 08:00"] * 3).tz_localize("Asia/Shanghai"),
            # a day Excel cannot hold (before 1900) keeps the column readable as text
            "old": pd.to_datetime(["1899-12-30", "2000-01-01", None]),
            # Arrow dates (as the sample's inputs hold them): dates
            "date32": pd.array(
                [pd.Timestamp("2023-05-06").date(), None, None], dtype="date32[pyarrow]"
            ),
        }
    )
    path = excel.write_frames({"s": (frame, [None] * frame.shape[1])}, tmp_path / "k.xlsx")
    ws = openpyxl.load_workbook(path)["s"]
    cells = {ws.cell(1, c).value: [ws.cell(r, c) for r in (2, 3, 4)] for c in range(1, 11)}
    assert [c.value for c in cells["text"]] == ["=1+2", None, "甲"]
    assert cells["text"][0].data_type == "s" and cells["text"][0].quotePrefix
    assert [c.value for c in cells["float"]] == [1.25, None, None]
    assert [c.value for c in cells["int"]] == [3, None, 5]
    assert [c.value for c in cells["bool"]] == [True, False, True]
    assert [c.value for c in cells["date"]] == [
        pd.Timestamp("2025-08-29").to_pydatetime(),
        None,
        pd.Timestamp("2024-02-29").to_pydatetime(),
    ]
    assert {cells["date"][0].number_format, cells["objdate"][0].number_format} == {"yyyy-mm-dd"}
    assert cells["objdate"][0].value == pd.Timestamp("2020-01-02").to_pydatetime()
    assert [c.value for c in cells["mixed"]] == ["a", "7", None]
    assert cells["tz"][0].value == pd.Timestamp("2025-01-01 08:00").to_pydatetime()
    assert [c.value for c in cells["old"]] == ["1899-12-30 00:00:00", "2000-01-01 00:00:00", None]
    assert cells["date32"][0].value == pd.Timestamp("2023-05-06").to_pydatetime()
    assert cells["date32"][0].number_format == "yyyy-mm-dd" and cells["date32"][1].value is None
    assert not [c for col in cells.values() for c in col if c.data_type == "f"]


def test_values_no_reader_gives_are_written_whole_or_empty_never_cut(tmp_path):
    # a column kept from the input through the Python API may hold complex numbers or
    # periods: 1+2j is not its real part 1, and a missing period is an empty cell, not "NaT"
    frame = pd.DataFrame(
        {
            "complex": pd.Series([1 + 2j, 3 + 0j, np.nan], dtype="complex128"),
            "period": pd.Series([pd.Period("2024-01"), None, None]),
            "nat": pd.Series([np.datetime64("NaT"), "x", None], dtype=object),
        }
    )
    path = excel.write_frames({"s": (frame, [None] * 3)}, tmp_path / "odd.xlsx")
    ws = openpyxl.load_workbook(path)["s"]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["(1+2j)", "(3+0j)", None]
    assert [ws.cell(r, 2).value for r in (2, 3, 4)] == ["2024-01", None, None]
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == [None, "x", None]


def test_every_sheet_has_a_frozen_bold_header_a_filter_and_widths(tmp_path):
    frame = pd.DataFrame({"名称": ["无锡市锡山区东港镇工业园区"], "面积(亩)": [12.5]})
    path = excel.write_frames(
        {"a": (frame, [None, "#,##0.00"]), "b": (frame.iloc[:0], [None, None])}, tmp_path / "h.xlsx"
    )
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b and ws["B1"].font.b
        assert ws.auto_filter.ref.startswith("A1:B")
    ws = wb["a"]
    # 13 CJK characters count 2 each: 26 + 2 = 28; "面积(亩)" is 2 + 2 + 1 + 2 + 1 = 8, + 2 = 10
    assert round(ws.column_dimensions["A"].width, 2) == 28.71  # + Excel's padding 0.71
    assert round(ws.column_dimensions["B"].width, 2) == 10.71
    assert ws["B2"].value == 12.5 and ws["B2"].number_format == "#,##0.00"
    assert wb["b"].max_row == 1  # the header alone


_TRICKY = st.sampled_from(["a", "\x00", "\x01", "\x1f", "\t", "\n", "\r", "\ufffe", "\uffff",
                           "\ufffd", "（", "ｃ", "甲", "😀", "\u2e81"])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(_TRICKY, max_size=12), st.text()), max_size=8))
def test_arrow_strings_are_cleaned_as_objects_are(texts):
    # the byte scan before the regular expression must never miss a character XML cannot
    # hold: Arrow-backed strings and Python objects give the same text and the same rows
    arrow, changed = clean_text(pd.Series(texts, dtype=pd.StringDtype("pyarrow")))
    plain, changed_plain = clean_text(pd.Series(texts, dtype=object))
    assert changed.tolist() == changed_plain.tolist()
    assert arrow.astype(object).where(arrow.notna(), None).tolist() == plain.tolist()


# -- the worker process -------------------------------------------------------------------


def _parts(path):
    """Every part of an xlsx but its creation time (``docProps/core.xml``)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _spy_worker(monkeypatch):
    from xsland.write import worker

    started = []
    real = worker.start

    def spy(*args, **kwargs):
        job = real(*args, **kwargs)
        started.append(job)
        return job

    monkeypatch.setattr(worker, "start", spy)
    return started


def test_workbook_written_by_a_worker_is_the_same_workbook(tiny, tmp_path, monkeypatch):
    started = _spy_worker(monkeypatch)
    here = write_audit_workbook(tiny, tmp_path / "here.xlsx")
    assert started == []  # written in this process
    with excel.audit_workbook_writing(tiny, tmp_path / "w.xlsx", worker_min_cells=0) as path:
        assert len(started) == 1 and started[0] is not None  # a worker writes it meanwhile
    assert path == tmp_path / "w.xlsx"
    assert _parts(path) == _parts(here)  # byte for byte, but the creation time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here.xlsx", "w.xlsx"]
    assert not started[0].folder.exists()  # the plan is removed


def test_a_small_workbook_is_written_at_once_without_a_worker(tiny, tmp_path, monkeypatch):
    started = _spy_worker(monkeypatch)
    # tiny: 3 parcels; its sheets hold far fewer cells than the default threshold
    with excel.audit_workbook_writing(tiny, tmp_path / "a.xlsx") as path:
        assert path.is_file()  # written before the block runs
    assert started == []
    assert _parts(path) == _parts(write_audit_workbook(tiny, tmp_path / "b.xlsx"))


def test_a_failed_worker_is_logged_and_the_workbook_written_here(
    tiny, tmp_path, monkeypatch, caplog
):
    from xsland.write import worker

    # the worker runs a script that is not there: python exits 2 without writing
    monkeypatch.setattr(worker, "__file__", str(tmp_path / "missing.py"))
    started = _spy_worker(monkeypatch)
    with caplog.at_level("WARNING", logger="xsland"):
        with excel.audit_workbook_writing(tiny, tmp_path / "w.xlsx", worker_min_cells=0) as path:
            pass
    assert len(started) == 1 and started[0].proc.returncode == 2
    assert "failed (exit 2" in caplog.text and "missing.py" in caplog.text
    assert _parts(path) == _parts(write_audit_workbook(tiny, tmp_path / "b.xlsx"))


def test_an_error_in_the_block_stops_the_worker_and_leaves_nothing(tiny, tmp_path, monkeypatch):
    import tempfile

    plans = tmp_path / "plans"
    plans.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(plans))
    started = _spy_worker(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="maps failed"):
        with excel.audit_workbook_writing(tiny, out / "w.xlsx", worker_min_cells=0):
            raise RuntimeError("maps failed")
    assert started[0].proc.returncode is not None  # stopped and waited for
    assert list(out.iterdir()) == [] and list(plans.iterdir()) == []


def test_the_plan_is_stored_on_a_thread_while_the_block_runs(tiny, tmp_path, monkeypatch):
    import threading

    from xsland.write import worker

    # storing the plan waits for the block: were it stored before the block, this would
    # time out; the worker starts after it and writes the same workbook
    gate = threading.Event()
    real = worker.save_plan

    def held(*args, **kwargs):
        assert gate.wait(60), "the plan was stored before the block ran"
        real(*args, **kwargs)

    monkeypatch.setattr(worker, "save_plan", held)
    started = _spy_worker(monkeypatch)
    with excel.audit_workbook_writing(tiny, tmp_path / "w.xlsx", worker_min_cells=0) as path:
        assert started[0].proc is None  # not started yet: its plan is being stored
        gate.set()
    assert started[0].proc.returncode == 0 and not started[0].folder.exists()
    assert _parts(path) == _parts(write_audit_workbook(tiny, tmp_path / "b.xlsx"))


def test_a_plan_that_cannot_be_stored_is_written_here(tiny, tmp_path, monkeypatch, caplog):
    from xsland.write import worker

    def full(tables, spec, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(worker, "save_plan", full)
    started = _spy_worker(monkeypatch)
    with caplog.at_level("WARNING", logger="xsland"):
        with excel.audit_workbook_writing(tiny, tmp_path / "w.xlsx", worker_min_cells=0) as path:
            pass
    assert started[0].proc is None  # never started
    assert "cannot start a worker" in caplog.text and "No space left" in caplog.text
    assert not started[0].folder.exists()
    assert _parts(path) == _parts(write_audit_workbook(tiny, tmp_path / "b.xlsx"))


def test_no_worker_on_one_core(tiny, tmp_path, monkeypatch):
    from xsland.write import worker

    monkeypatch.setattr(worker, "cores", lambda: 1)
    started = _spy_worker(monkeypatch)
    with excel.audit_workbook_writing(tiny, tmp_path / "w.xlsx", worker_min_cells=0) as path:
        pass
    assert started == [None]  # asked for, refused: written here
    assert _parts(path) == _parts(write_audit_workbook(tiny, tmp_path / "b.xlsx"))


def test_a_plan_stored_for_the_worker_reads_back_equal(tmp_path, monkeypatch):
    import os

    import pyarrow as pa

    from xsland.write import worker

    tables = [
        ("园区 parks", pa.table({"a": [1.5, None], "b": pa.array(["x", "y"], pa.large_string())})),
        ("empty", pa.table({"c": pa.array([], pa.bool_())})),
    ]
    spec = {
        "widths": {"园区 parks": [8.0, 12.0], "empty": [8.0]},
        "formats": {"园区 parks": ["0.00", None], "empty": [None]},
        "autofilter": {"园区 parks": True, "empty": True},
    }
    worker.save_plan(tables, spec, tmp_path / "plan")
    back, back_spec = worker.load_plan(tmp_path / "plan")
    assert [n for n, _ in back] == ["园区 parks", "empty"]
    assert all(t.equals(b) for (_, t), (_, b) in zip(tables, back, strict=True))
    assert back_spec == spec
    args = ["worker.py", "xlsx", str(tmp_path / "plan"), str(tmp_path / "o.xlsx")]
    niced = []
    monkeypatch.setattr(os, "nice", niced.append, raising=False)
    assert worker.main(args) == 0
    # the workbook, the longest job at scale, keeps the run's priority; a GeoPackage yields
    assert niced == [0] and worker.NICENESS == {"xlsx": 0, "gpkg": 5}
    rows = _sheets(tmp_path / "o.xlsx")["园区 parks"]
    assert rows == [["a", "b"], [1.5, "x"], [None, "y"]]  # a null: an empty cell
    assert worker.main(["worker.py", "pdf", "plan", "o.pdf"]) == 2  # usage


def test_write_audit_has_its_workbook_from_the_worker(tiny, tmp_path, monkeypatch):
    from xsland._progress import reporting
    from xsland.write import gpkg
    from xsland.write.report import write_audit

    monkeypatch.setattr(excel, "WORKER_MIN_CELLS", 0)  # any workbook goes to a worker
    monkeypatch.setattr(gpkg, "WORKER_MIN_ROWS", 0)  # and any GeoPackage
    started = _spy_worker(monkeypatch)
    steps = []
    with reporting(lambda s: steps.append(s.name) if s.done else None):
        write_audit(tiny, tmp_path / "out", maps=False, html_report=False)
    # the workbook and the GeoPackage, each by a worker
    assert [j.kind for j in started] == ["xlsx", "gpkg"]
    assert all(j.proc.returncode == 0 for j in started)
    # the workbook's worker started first (the longest job, it needs none of the layers
    # prepared for the GeoPackage), waited for last, the other files written meanwhile
    assert steps[:3] == ["write audit.xlsx", "prepare layers", "write audit.gpkg"]
    assert steps[-2:] == ["write audit.gpkg (finish)", "write audit.xlsx (finish)"]
    assert "write summary.md" in steps
    alone = write_audit_workbook(tiny, tmp_path / "alone.xlsx")
    assert _parts(tmp_path / "out" / "audit.xlsx") == _parts(alone)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".xsland-output",
        "audit.gpkg",
        "audit.xlsx",
        "summary.md",
    ]


def test_text_columns_whose_cells_all_start_with_a_cjk_ideograph_need_no_quote_prefix(tmp_path):
    # "甲公司" and "是" stay text when edited whatever Excel makes of them: no cell format;
    # one "=1+2" in a column gives every cell of that column the prefix; "0012" (a number
    # once edited), "ＡＢ" (full-width, not an ideograph) and "〇一" (U+3007, outside
    # U+4E00–U+9FFF) keep it too; numbers keep their number format
    frame = pd.DataFrame(
        {
            "names": ["甲公司", "乙", None],
            "flags": ["是", "否", "是"],
            "owners": ["丙", "=1+2", "丁"],
            "ids": ["0012", "甲", "乙"],
            "wide": ["ＡＢ", "甲", "乙"],
            "zero": ["〇一", "甲", "乙"],
            "none": pd.Series([None, None, None], dtype=object),
            "area": [1.5, 2.25, None],
        }
    )
    path = excel.write_frames({"data": (frame, [None] * 7 + ["0.00"])}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path)["data"]
    prefixed = {
        ws.cell(1, c).value: [ws.cell(r, c).quotePrefix for r in (2, 3)] for c in range(1, 8)
    }
    assert prefixed == {
        "names": [False, False],
        "flags": [False, False],
        "owners": [True, True],
        "ids": [True, True],
        "wide": [True, True],
        "zero": [True, True],
        "none": [False, False],
    }
    assert [ws.cell(r, 8).number_format for r in (2, 3)] == ["0.00", "0.00"]
    assert ws.cell(3, 3).value == "=1+2" and ws.cell(3, 3).data_type == "s"


@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=6))
def test_a_text_column_is_inert_exactly_when_each_present_cell_starts_with_an_ideograph(cells):
    import pyarrow as pa

    by_hand = all(c is None or (c != "" and 0x4E00 <= ord(c[0]) <= 0x9FFF) for c in cells)
    assert excel._inert(pa.chunked_array([pa.array(cells, type=pa.string())])) == by_hand


def test_a_tmpdir_that_is_not_there_does_not_fail_the_workbook(tmp_path, monkeypatch):
    # rust_xlsxwriter keeps its temporary files in TMPDIR as it is, where Python's
    # tempfile falls back to the next usable folder: a TMPDIR naming a missing folder
    # stopped the audit with "Excel write error: Temporary file error: … (os error 2)"
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path / "gone"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what gettempdir() found
    frame = pd.DataFrame({"编号": ["=1+1", "P2"], "面积": [1.5, 2.0]})
    path = excel.write_frames({"s": (frame, [None, "0.0"])}, tmp_path / "t.xlsx")
    assert _sheets(path)["s"] == [["编号", "面积"], ["=1+1", 1.5], ["P2", 2.0]]
    assert os.environ["TMPDIR"] == str(tmp_path)  # and the worker processes inherit it


@pytest.mark.parametrize(
    ("said", "errno_", "where"),
    [
        ("Temporary file error: 'No space left on device (os error 28)'", 28, "scratch"),
        ("IO error: Permission denied (os error 13)", 13, "file"),
    ],
)
def test_the_workbook_writers_system_errors_are_os_errors(
    tmp_path, monkeypatch, said, errno_, where
):
    # a full TMPDIR or a file that cannot be written: an OSError with its errno and the
    # folder or file concerned (a named error on the command line), not a RuntimeError
    import rustpy_xlsxwriter

    def fail(*args, **kwargs):
        raise RuntimeError(f"Excel write error: {said}")

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(rustpy_xlsxwriter, "write_worksheets", fail)
    frame = pd.DataFrame({"a": ["x"]})
    with pytest.raises(OSError) as caught:
        excel.write_frames({"s": (frame, [None])}, tmp_path / "t.xlsx")
    assert caught.value.errno == errno_
    assert (
        caught.value.filename == str(tmp_path)
        if where == "scratch"
        else (caught.value.filename.endswith(".xlsx"))
    )
    assert not list(tmp_path.glob("*.xlsx"))  # nothing left behind
