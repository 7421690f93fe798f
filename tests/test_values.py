"""Readers of IDs, numbers, units, dates and names: hand-worked cases and properties."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xsland.read.values import (
    as_bool,
    header_unit,
    name_key,
    name_keys,
    normalise_id,
    normalise_ids,
    normalise_ids_twice,
    parse_numbers,
    read_dates,
    unify_names,
)

FULL = str.maketrans("0123456789-+.,%", "０１２３４５６７８９－＋．，％")


# -- IDs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (123, "123"),
        (123.0, "123"),
        ("123", "123"),
        ("123.0", "123"),
        (" 123 ", "123"),
        ("123\u3000", "123"),
        ("\u00a0E1\u200b", "E1"),
        ("ＸＳ０１", "XS01"),
        ("0012", "0012"),  # leading zeros kept
        ("12.5", "12.5"),
        (12.5, "12.5"),
        ("", None),
        ("\u3000", None),
        (None, None),
        (float("nan"), None),
        (np.int64(7), "7"),
    ],
)
def test_normalise_id(raw, want):
    assert normalise_id(raw) == want


def test_normalise_ids_reports_changed_text_only():
    ids, changed = normalise_ids(pd.Series(["E1 ", "E2", 3, None, "４"], dtype=object))
    assert ids.tolist() == ["E1", "E2", "3", None, "4"]
    assert changed.tolist() == [True, False, False, False, True]
    ints, changed = normalise_ids(pd.Series([1, 2]))
    assert ints.tolist() == ["1", "2"] and not changed.any()


_ID_TEXT = st.one_of(
    st.text(max_size=8),
    st.from_regex(r"[ +-]?[0-9]{1,4}(\.0*)?[ ]?", fullmatch=True),
    st.sampled_from(["E1", "E1 ", "12.0", "-3.00", "+7", "ＸＳ０１", "a\u200bb", "١٢", " "]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(_ID_TEXT, st.none()), max_size=20),
    st.sampled_from(["object", "str", "string[python]", "string[pyarrow]"]),
)
def test_normalise_ids_equals_one_by_one(cells, dtype):
    # the column path (Arrow regex for the plain ones) must give what normalise_id gives
    # each cell, for text read by pyogrio ("str") or from a CSV (object)
    ids, changed = normalise_ids(pd.Series(cells, dtype=dtype))
    want = [normalise_id(c) for c in cells]
    assert ids.tolist() == want
    assert all(v is None or type(v) is str for v in ids)  # Python text, never NA or NaN
    assert changed.tolist() == [
        c is not None and w is not None and w != c for c, w in zip(cells, want, strict=True)
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            _ID_TEXT,
            st.none(),
            st.integers(-1000, 10**6),
            st.floats(allow_nan=True, allow_infinity=False, width=32),
            st.booleans(),
        ),
        max_size=20,
    )
)
def test_normalise_ids_of_a_mixed_object_column_equal_one_by_one(cells):
    # a spreadsheet column: text, whole and fractional numbers, NaN, booleans, empty
    ids, changed = normalise_ids(pd.Series(cells, dtype=object))
    want = [normalise_id(c) for c in cells]
    assert ids.tolist() == want
    assert changed.tolist() == [
        w is not None and (w != c if type(c) is str else str(c) != w)
        for c, w in zip(cells, want, strict=True)
    ]


def test_normalise_ids_twice_normalises_a_rewritten_text_again():
    # 'e' + zero-width joiner + combining acute: NFKC cannot compose across the joiner;
    # once it is removed, 'e\u0301' is a text NFKC composes to 'é' (a second pass does)
    raw = pd.Series(["e\u200d\u0301", "P1", " P2 ", 12.0, None], dtype=object)
    ids, changed, again = normalise_ids_twice(raw)
    assert ids.tolist() == ["e\u0301", "P1", "P2", "12", None]
    assert again.tolist() == ["\u00e9", "P1", "P2", "12", None]
    assert changed.tolist() == [True, False, True, True, False]  # 12.0 reads "12.0"
    assert normalise_id("e\u0301") == "\u00e9"  # the second pass is normalise_id again


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            _ID_TEXT,
            st.text(alphabet="e\u0301\u0308\u200b\u200d\u00a8\u3000 .0１", max_size=6),
            st.none(),
            st.integers(-1000, 10**6),
            st.floats(allow_nan=True, allow_infinity=True, width=32),
            st.booleans(),
        ),
        max_size=20,
    ),
    st.sampled_from(["object", "str"]),
)
@example(["e\u200d\u0301", "\u00a8", " \u0308"], "object")
def test_normalise_ids_twice_is_normalise_ids_of_normalise_ids(cells, dtype):
    # the second pass reads only the texts the first rewrote; it must give what running
    # normalise_ids on the first's result gives, for every cell
    if dtype == "str" and not all(c is None or isinstance(c, str) for c in cells):
        dtype = "object"
    values = pd.Series(cells, dtype=dtype)
    ids, changed, again = normalise_ids_twice(values)
    first, first_changed = normalise_ids(values)
    assert ids.tolist() == first.tolist() and changed.tolist() == first_changed.tolist()
    assert again.tolist() == normalise_ids(first)[0].tolist()
    assert again.dtype == object and again.index.equals(values.index)


@given(st.integers(min_value=0, max_value=10**15))
def test_an_integer_id_is_one_id_however_written(n):
    forms = [n, float(n), str(n), f"{n}.0", f" {n}\u3000", str(n).translate(FULL)]
    if n < 2**53:
        assert {normalise_id(f) for f in forms} == {str(n)}


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("数字经济(软件)", "数字经济（软件）"),
        ("数字经济 (软件)", "数字经济（软件）"),
        ("数字经济【软件】", "数字经济(软件)"),
        ("东港镇\u3000", " 东港镇"),
        ("新能源、新材料", "新能源,新材料"),
        ("新能源，新材料", "新能源,新材料"),
        ("AI  产业", "ai产业"),
    ],
)
def test_names_with_one_key(a, b):
    assert name_key(a) == name_key(b)


def test_names_that_stay_apart():
    assert name_key("Digital Economy") != name_key("DigitalEconomy")
    assert name_key("生物医药") != name_key("智能装备")
    assert name_key("  ") is None


def test_unify_names_keeps_the_first_spelling_and_counts():
    a = pd.Series(["东亭街道", None])
    b = pd.Series(["东亭街道\u3000", "东亭街道\u3000", "安镇"])
    (ua, ub), matches = unify_names(a, b)
    assert ua.iloc[0] == "东亭街道" and pd.isna(ua.iloc[1])
    assert ub.tolist() == ["东亭街道", "东亭街道", "安镇"]
    assert matches == [("东亭街道\u3000", "东亭街道", 2)]


def _unify_row_by_row(*columns):
    """The definition: every cell in turn, the first spelling of its key wins."""
    first, counts, out = {}, {}, []
    for col in columns:
        new = []
        for v in col.tolist():
            key = name_key(v)
            if key is None:
                new.append(v)
                continue
            shown = first.setdefault(key, str(v))
            if str(v) != shown:
                counts[(str(v), shown)] = counts.get((str(v), shown), 0) + 1
            new.append(shown)
        out.append(new)
    return out, counts


_SPELLINGS = st.sampled_from(
    [
        "东亭街道",
        "东亭街道\u3000",
        " 东亭街道",
        "安镇",
        "安镇 ",
        "ＡＢ",
        "ab",
        "AB",
        "",
        "  ",
        None,
        float("nan"),
        1,
        1.0,
        "1",
        "1.0",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_SPELLINGS, max_size=12), min_size=1, max_size=3))
def test_unify_names_equals_the_row_by_row_definition(columns):
    # distinct names are normalised once; the answer must be the cell-by-cell one,
    # numbers included (1 and 1.0 are different texts) and blanks kept as written
    series = [pd.Series(c, dtype=object) for c in columns]
    got, matches = unify_names(*series)
    want, counts = _unify_row_by_row(*series)
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w)
        for a, b in zip(g.tolist(), w, strict=True):
            assert (a is b) or (a == b) or (pd.isna(a) and pd.isna(b)), (a, b)
    assert sorted(matches) == sorted((a, b, n) for (a, b), n in counts.items())


_TEXT_SPELLINGS = st.sampled_from(
    ["东亭街道", "东亭街道\u3000", " 东亭街道", "安镇", "安镇 ", "ＡＢ", "ab", "AB", "", "  ", None]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(_TEXT_SPELLINGS, max_size=12), min_size=1, max_size=3),
    st.sampled_from(["object", "str", "string[python]", "string[pyarrow]"]),
)
def test_text_columns_of_every_dtype_unify_and_key_as_cell_by_cell(columns, dtype):
    # text only: factorised as it is (Arrow strings, or objects), str() of the distinct
    # names only; the answer must be the cell-by-cell one whatever the dtype
    series = [pd.Series(c, dtype=dtype) for c in columns]
    got, matches = unify_names(*series)
    want, counts = _unify_row_by_row(*[pd.Series(c, dtype=object) for c in columns])
    for g, w in zip(got, want, strict=True):
        assert [None if pd.isna(a) else a for a in g.tolist()] == w
        assert all(type(a) is str for a in g.tolist() if not pd.isna(a))
    assert sorted(matches) == sorted((a, b, n) for (a, b), n in counts.items())
    for col, cells in zip(series, columns, strict=True):
        keys = name_keys(col)
        assert [None if pd.isna(k) else k for k in keys.tolist()] == [name_key(v) for v in cells]


@settings(max_examples=100, deadline=None)
@given(st.lists(_SPELLINGS, max_size=12))
def test_name_keys_of_a_mixed_column_equal_cell_by_cell(cells):
    keys = name_keys(pd.Series(cells, dtype=object))
    assert [None if pd.isna(k) else k for k in keys.tolist()] == [name_key(v) for v in cells]


# -- numbers ------------------------------------------------------------------------------


def _read(cells, **kw):
    return parse_numbers(pd.Series(cells, dtype=object), **kw)


def test_plain_numbers_are_ascii_and_other_digits_are_read_cell_by_cell():
    from xsland.read.values import _plain_numbers, parse_numbers

    plain = np.array(["1e5", ".5", "+3.", "-0", "1E-07", None, np.nan], dtype=object)
    got = _plain_numbers(plain)
    np.testing.assert_array_equal(got, [1e5, 0.5, 3.0, -0.0, 1e-7, np.nan, np.nan])
    assert np.signbit(got[3])
    for other in (["１２", "3"], ["٣", "1"], ["1\n"], [""], [3, "4"]):
        assert _plain_numbers(np.array(other, dtype=object)) is None
    # full-width and Arabic-Indic digits, which pandas' parser refuses, read by hand
    read = parse_numbers(pd.Series(["１２", "٣", "7"], dtype=object))
    assert read.values.tolist() == [12.0, 3.0, 7.0] and not read.bad.any()


def test_numbers_as_offices_write_them():
    got = _read(["1,234.5", "１２３", "－５", "−2", " 7 ", None, "", 4.0, "1e3"])
    assert got.values[:5].tolist() == [1234.5, 123.0, -5.0, -2.0, 7.0]
    assert np.isnan(got.values[5]) and np.isnan(got.values[6])
    assert got.values[7:].tolist() == [4.0, 1000.0]
    assert not got.bad.any() and not got.nonfinite.any()
    assert got.notes == [
        "1 values with thousands separators (1,234 = 1234)",
        "3 values with full-width characters or signs read as half-width",  # １２３ －５ −2
    ]


def test_commas_are_decided_per_column():
    # 1,5 exists: every comma is a decimal comma
    assert _read(["1,5", "2", "1,234"]).values.tolist() == [1.5, 2.0, 1.234]
    # every comma fits the thousands pattern: thousands
    assert _read(["1,500", "2,250"]).values.tolist() == [1500.0, 2250.0]
    # 1,5 and 1.25 in one column: the commas cannot be told apart, so they are listed
    mixed = _read(["1,5", "1.25", "3,000"])
    assert mixed.bad.tolist() == [True, False, True]
    assert mixed.values[1] == 1.25 and np.isnan(mixed.values[0])


def test_spaces_and_apostrophes_group_thousands_per_column():
    # one column, every space-using cell fits 1-3 digits then groups of 3: thousands
    got = _read(["1 234 567", "12\u00a0345", "-1\u202f000", "999", "7\u2009000.5"])
    assert got.values.tolist() == [1234567.0, 12345.0, -1000.0, 999.0, 7000.5]
    assert not got.bad.any()
    assert "4 values with spaces as thousands separators (1 234 = 1234)" in got.notes
    # apostrophes (Swiss) and the typographic apostrophe
    got = _read(["1'234'567.5", "2\u2019000", "3"])
    assert got.values.tolist() == [1234567.5, 2000.0, 3.0] and not got.bad.any()
    assert "2 values with apostrophes as thousands separators (1'234 = 1234)" in got.notes
    # a decimal comma where the column is consistent: 1 234,5 and 2,25 with no point
    assert _read(["1 234,5", "2,25", "3"]).values.tolist() == [1234.5, 2.25, 3.0]
    # 12 34 is not a grouped number: every space-using cell of the column is listed,
    # never read as 1234 (it could be two numbers)
    got = _read(["12 34", "1 234", "5"])
    assert got.bad.tolist() == [True, True, False] and got.values[2] == 5.0
    assert "inside a number" in got.reasons[0]
    # spaces grouping thousands and a comma that fits thousands (5,678): 5678 or 5.678?
    got = _read(["1 234", "5,678"])
    assert got.bad.tolist() == [False, True] and got.values[0] == 1234.0
    # a percentage with a space grouping thousands in a share column
    assert _read(["1 000%", "50 %"], share=True).values.tolist() == [10.0, 0.5]


def test_non_finite_and_percent():
    got = _read(["inf", "-inf", "NaN", "1e999", "∞", "3%"])
    assert got.nonfinite.tolist() == [True, True, True, True, True, False]
    assert got.bad.tolist() == [False] * 5 + [True]  # % outside a share column
    assert _read(["45%", "４５％", "0.3"], share=True).values.tolist() == [0.45, 0.45, 0.3]
    typed = parse_numbers(pd.Series([1.0, np.inf, np.nan]))
    assert typed.nonfinite.tolist() == [False, True, False]


_SPACES = {
    "space": " ",
    "nbsp": "\u00a0",
    "narrow_nbsp": "\u202f",
    "thin": "\u2009",
    "apostrophe": "'",
}


def _number_strategy():
    whole = st.integers(min_value=-(10**12), max_value=10**12)
    frac = st.integers(min_value=0, max_value=99)
    return st.tuples(whole, frac)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_number_strategy(), min_size=1, max_size=8),
    st.sampled_from(
        ["plain", "thousands", "full", "decimal_comma", "percent"]
        + ["space", "nbsp", "narrow_nbsp", "thin", "apostrophe", "space_decimal_comma"]
    ),
)
def test_every_generated_number_reads_as_a_person_reads_it(numbers, style):
    """Each column written in one office style reads back the values written."""
    values = [w + (f / 100 if w >= 0 else -f / 100) for w, f in numbers]
    texts = []
    for (w, f), v in zip(numbers, values, strict=True):
        sign = "-" if v < 0 else ""
        body = f"{abs(w)}.{f:02d}"
        if style == "thousands":
            body = f"{abs(w):,}.{f:02d}"
        elif style == "decimal_comma":
            body = f"{abs(w)},{f:02d}"
        elif style == "percent":
            body += "%"
        elif style in _SPACES:
            body = f"{abs(w):,}".replace(",", _SPACES[style]) + f".{f:02d}"
        elif style == "space_decimal_comma":
            body = f"{abs(w):,}".replace(",", "\u202f") + f",{f:02d}"
        text = sign + body
        texts.append(text.translate(FULL) if style == "full" else text)
    got = _read(texts, share=style == "percent")
    scale = 0.01 if style == "percent" else 1.0
    assert not got.bad.any() and not got.nonfinite.any()
    assert got.values.tolist() == pytest.approx([v * scale for v in values], rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
@example(["0\xad", "1\u200c2", "\u2060"])  # found by hypothesis: a soft hyphen after 0
def test_any_text_is_read_as_written_or_listed(cells):
    """Never an exception, never a different number: a value read is the text's number."""
    got = _read(cells)
    for i, cell in enumerate(cells):
        text = unicodedata.normalize("NFKC", cell).replace("\u2212", "-").strip()
        # the invisible characters a number is read through: zero-width space,
        # non-joiner and joiner, word joiner, BOM and soft hyphen ("0\xad" is 0)
        text = re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", "", text)
        listed = got.bad[i] or got.nonfinite[i]
        if math.isnan(got.values[i]):
            assert listed or not text.strip()
            continue
        assert not listed
        # a space or an apostrophe may only group thousands (decided per column)
        text = re.sub("[ '\u2019]", "", text)
        plain = text.replace(",", ".") if "," in text and "." not in text else text
        candidates = {float(text.replace(",", ""))} if "," in text else {float(text)}
        if "," in text:
            try:
                candidates.add(float(plain))
            except ValueError:
                pass
        assert got.values[i] in candidates


# -- units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "quantity", "factor"),
    [
        ("营收(亿元)", "money", 1e4),
        ("营业收入（万元）", "money", 1.0),
        ("税收(元)", "money", 1e-4),
        ("销售收入千元", "money", 0.1),
        ("industry_fund_wan", "money", 1.0),
        ("用地面积(亩)", "area", 10_000 / 15),
        ("用地面积（公顷）", "area", 1e4),
        ("面积(平方公里)", "area", 1e6),
        ("建筑面积(m²)", "area", 1.0),
        ("建筑面积(㎡)", "area", 1.0),
        ("高度(米)", "length", 1.0),
        ("层数(层)", "floors", 1.0),
    ],
)
def test_header_units(header, quantity, factor):
    unit = header_unit(header)
    assert unit is not None and unit.quantity == quantity
    assert unit.factor == pytest.approx(factor)


@pytest.mark.parametrize("header", ["营收", "revenue", "层数", "营收(2024)", "高度", "用地面积"])
def test_headers_without_units(header):
    assert header_unit(header) is None


# -- dates --------------------------------------------------------------------------------


def _dates(cells):
    return read_dates(pd.Series(cells, dtype=object))


def test_dates_as_offices_write_them():
    got = _dates(
        [
            "2024-03-01",
            "2024年3月1日",
            "2024.3.1",
            "2024/3/1",
            "20240301",
            "2024-03-01 10:30:00",
            "２０２４／３／１",
            45352,  # Excel serial of 2024-03-01
            "45352",
            dt.date(2024, 3, 1),
            pd.Timestamp("2024-03-01 08:00", tz="Asia/Shanghai"),
            "29/8/2025",
        ]
    )
    assert got.values.tolist()[:11] == [pd.Timestamp("2024-03-01")] * 11
    assert got.values.tolist()[11] == pd.Timestamp("2025-08-29")
    for mask in (got.bad, got.ambiguous, got.imprecise, got.sentinel, got.out_of_range):
        assert not mask.any()


def test_dates_listed_not_guessed():
    cells = [
        "2024/03",  # imprecise: read as 2024-03-01
        "2024年3月",  # imprecise
        "25/9/1",  # two-digit year: ambiguous
        "25年9月1日",  # two-digit year
        "1/9/2025",  # day/month order unknown
        "2024",  # a year alone
        2024,  # a year alone, as a number
        "9999-12-31",
        "1900-01-01",
        "1899-12-30",
        "0000-00-00",
        "2099-12-31",
        "1970-01-01",
        "3000-01-01",  # beyond pandas' ns range: out of range, no exception
        "1800-05-05",
        "2024-02-30",  # no such day
        "soon",
        np.datetime64("9999-12-31"),
        None,
    ]
    got = _dates(cells)
    v = got.values.tolist()
    assert v[:2] == [pd.Timestamp("2024-03-01")] * 2
    assert all(pd.isna(x) for x in v[2:])
    assert np.flatnonzero(got.imprecise).tolist() == [0, 1]
    assert np.flatnonzero(got.ambiguous).tolist() == [2, 3, 4, 5, 6]
    assert np.flatnonzero(got.sentinel).tolist() == [7, 8, 9, 10, 11, 12, 17]
    assert np.flatnonzero(got.out_of_range).tolist() == [13, 14]
    assert np.flatnonzero(got.bad).tolist() == [15, 16]


def test_typed_datetime_column_out_of_ns_range():
    series = pd.Series(np.array(["2024-03-01", "9999-12-31", "2500-01-01"], dtype="datetime64[s]"))
    got = read_dates(series)
    assert got.values.iloc[0] == pd.Timestamp("2024-03-01")
    assert got.sentinel.tolist() == [False, True, False]
    assert got.out_of_range.tolist() == [False, False, True]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=dt.date(1950, 1, 2), max_value=dt.date(2100, 12, 30)),
    st.sampled_from(["iso", "cn", "dot", "slash", "compact", "serial", "serial_text", "full"]),
)
def test_every_written_date_reads_back(date, style):
    if date in (dt.date(1970, 1, 1), dt.date(2099, 12, 31)):
        return  # sentinels, tested above
    serial = (date - dt.date(1899, 12, 30)).days
    text = {
        "iso": date.isoformat(),
        "cn": f"{date.year}年{date.month}月{date.day}日",
        "dot": f"{date.year}.{date.month}.{date.day}",
        "slash": f"{date.year}/{date.month:02d}/{date.day:02d}",
        "compact": date.strftime("%Y%m%d"),
        "serial": serial,
        "serial_text": str(serial),
        "full": date.isoformat().translate(FULL),
    }[style]
    got = _dates([text])
    assert got.values.iloc[0] == pd.Timestamp(date)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 99), st.integers(1, 12), st.integers(1, 28), st.sampled_from("/-."))
def test_two_digit_years_are_never_guessed(yy, m, d, sep):
    got = _dates([f"{yy:02d}{sep}{m}{sep}{d}", f"{d}{sep}{m}{sep}{yy:02d}"])
    assert got.values.isna().all()
    assert got.ambiguous.all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=14), st.integers(), st.floats()), max_size=5))
def test_any_cell_is_a_date_or_listed_never_an_exception(cells):
    got = _dates(cells)
    listed = got.bad | got.ambiguous | got.sentinel | got.out_of_range
    for i, cell in enumerate(cells):
        empty = cell is None or (isinstance(cell, float) and math.isnan(cell))
        empty |= isinstance(cell, str) and not unicodedata.normalize("NFKC", cell).strip()
        if pd.isna(got.values.iloc[i]):
            assert listed[i] or empty or not str(cell).strip("\u200b\u200c\u200d\u2060\ufeff\u00ad")
        else:
            assert not listed[i]
            assert pd.Timestamp("1950-01-01") <= got.values.iloc[i] <= pd.Timestamp("2262-04-11")


# -- true/false ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ([True, False], [True, False]),
        ([1, 0, 2], [True, False, None]),
        ([1.0, 0.0, float("nan")], [True, False, None]),
        (["True", " false ", "T", "f", "是", "否", "1", "0.0"], [True, False] * 4),
        (["maybe", "", None, "Y", "no"], [None, None, None, True, False]),
    ],
)
def test_as_bool_reads_every_stored_form_and_never_guesses(raw, want):
    values = pd.Series(raw, index=range(10, 10 + len(raw)), dtype=object)
    got = as_bool(values)
    assert str(got.dtype) == "boolean"
    assert list(got.index) == list(values.index)
    assert [None if v is pd.NA else bool(v) for v in got] == want


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=6), st.from_regex(r"[ +-]?[0-9]{1,3}(\.0*)?", fullmatch=True)),
        max_size=8,
    )
)
def test_a_text_is_already_normal_only_when_normalise_id_keeps_it(texts):
    from xsland.read.values import _already_normal, ids_already_normal

    got = _already_normal(pd.Series(texts, dtype="string[pyarrow]")).tolist()
    for text, normal in zip(texts, got, strict=True):
        if normal:  # never a wrong "normal": the ID would go unnormalised
            assert normalise_id(text) == text
        # by hand: printable ASCII, no space at either end, not like "12.0"
        plain = text != "" and all(" " <= c <= "~" for c in text) and text == text.strip(" ")
        assert normal == (plain and re.fullmatch(r"[+-]?[0-9]+\.0+", text) is None)
    assert ids_already_normal(pd.Series([*texts, None], dtype=object)) == all(got)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.one_of(st.none(), st.text(alphabet=st.sampled_from(["a", "乙", "\x00", "\x01", " "]))),
        max_size=12,
    ),
    cut=st.tuples(st.integers(0, 12), st.integers(0, 12)),
    large=st.booleans(),
)
def test_nul_cells_of_arrow_text_are_found_exactly_in_slices(cells, cut, large):
    # the bytes of the used part of the buffer only: a NUL outside a slice is not there
    import pyarrow as pa

    from xsland.read.values import nul_cells

    kind = pa.large_string() if large else pa.string()
    whole = pa.array(cells, type=kind)
    lo, hi = sorted(cut)
    part = whole.slice(lo, max(0, hi - lo))
    series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([part, whole], type=kind)))
    expected = [i for i, v in enumerate(part.to_pylist() + cells) if v is not None and "\x00" in v]
    assert np.flatnonzero(nul_cells(series)).tolist() == expected
    # the same cells as objects, Python strings and categories
    for dtype in (object, "string[python]", "category"):
        assert np.flatnonzero(nul_cells(series.astype(dtype))).tolist() == expected
    assert not nul_cells(pd.Series([1.0, np.nan])).any()
