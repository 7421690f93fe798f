"""Tests of xsland.judge.keys: per-distinct normalisation equals the row-by-row one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland.errors import DataError
from xsland.judge.keys import add_months, date_column, id_keys, per_distinct
from xsland.read.validate import require_dates
from xsland.read.values import name_keys, normalise_ids

# IDs as they come: text with blanks, full-width and trailing zeros, numbers, missing
_TEXT = st.sampled_from(
    ["E1", "E1 ", " E1", "Ｅ１", "E1\u3000", "12", "12.0", "１２", "", "  ", "e1", "E\u200b1"]
)
_CELL = st.one_of(
    _TEXT,
    st.text(max_size=4),
    st.none(),
    st.just(np.nan),
    st.just(pd.NA),
    st.integers(-5, 20),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.booleans(),
)


def _plain(values: pd.Series) -> pd.Series:
    return normalise_ids(values)[0].astype("string")


def test_id_keys_of_a_text_column_by_hand() -> None:
    # "E1 " and "Ｅ１" normalise to "E1"; "12.0" to "12"; "" and None are NA
    values = pd.Series(["E1 ", "Ｅ１", "12.0", "", None, "E2"], index=[5, 4, 3, 2, 1, 0])
    got = id_keys(values)
    assert got.tolist() == ["E1", "E1", "12", pd.NA, pd.NA, "E2"]
    assert got.index.tolist() == [5, 4, 3, 2, 1, 0]
    assert str(got.dtype) == "string"


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=30), st.sampled_from(["object", "string", "str"]))
def test_id_keys_equal_the_plain_definition(cells: list, dtype: str) -> None:
    values = pd.Series(cells, dtype=object)
    if dtype != "object":
        # a text column: only text and missing cells
        values = pd.Series([c if isinstance(c, str) else None for c in cells], dtype=dtype)
    values.index = pd.RangeIndex(len(values)) * 2 + 1
    pd.testing.assert_series_equal(id_keys(values), _plain(values), check_exact=True)


def test_numbers_are_never_merged_with_their_text() -> None:
    # 1, 1.0 and True are one value to a hash table, but three IDs: "1", "1", "True";
    # a column that is not all text goes through the plain definition whole
    values = pd.Series([1, 1.0, True, "1.0"], dtype=object)
    assert id_keys(values).tolist() == ["1", "1", "True", "1"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(_TEXT, st.sampled_from(["数字经济（软件）", " 数字经济 (软件)"]), st.none()),
        max_size=25,
    )
)
def test_per_distinct_name_keys_equal_name_keys(cells: list) -> None:
    values = pd.Series(cells, dtype="string", name="industry")
    pd.testing.assert_series_equal(
        per_distinct(values, name_keys), name_keys(values), check_exact=True
    )


def test_per_distinct_calls_the_function_once_on_the_distinct_values() -> None:
    seen = []

    def fn(values: pd.Series) -> pd.Series:
        seen.append(values.tolist())
        return pd.Series([None if v is None else len(v) for v in values], dtype="Int64")

    out = per_distinct(pd.Series(["ab", "c", "ab", None, "c"]), fn)
    # distinct "ab", "c" and the one missing value, in order of appearance
    assert seen == [["ab", "c", None]]
    assert out.tolist() == [2, 1, 2, pd.NA, 1]
    assert str(out.dtype) == "Int64"


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=30))
def test_per_distinct_normalise_ids_equal_normalise_ids(cells: list) -> None:
    # the park checks' links: object dtype, None when empty, as normalise_ids gives
    from xsland.judge.audit import _ids

    values = pd.Series(cells, dtype=object)
    got = per_distinct(values, _ids)
    want = normalise_ids(values)[0]
    assert got.dtype == want.dtype == object
    assert got.tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e300, max_value=1e300),
            st.sampled_from([math.nan, math.inf, -math.inf]),
            st.sampled_from([-0.0, 0.0, 12.0, 1234.56, -0.04, 1e16, 1.5e-7]),
        ),
        max_size=20,
    ),
    st.integers(0, 3),
)
def test_number_text_equals_writing_every_number(values: list, digits: int) -> None:
    from xsland.judge.keys import number_text

    plain = pd.Series(np.round(np.asarray(values, dtype="float64"), digits)).astype("str")
    want = plain.str.replace(r"\.0$", "", regex=True).fillna("").tolist()
    got = number_text(np.asarray(values, dtype="float64"), digits)
    assert got.dtype == object and got.tolist() == want


def test_number_text_by_hand() -> None:
    from xsland.judge.keys import number_text

    # 1234.56 -> "1234.6"; 12.0 -> "12"; -0.04 rounds to -0.0 -> "-0"; NaN -> ""
    got = number_text(np.array([1234.56, 12.0, -0.04, np.nan, 12.0]), 1)
    assert got.tolist() == ["1234.6", "12", "-0", "", "12"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1e300, 1e300),  # np.round overflows near the largest float
            st.floats(-1e6, 1e6),
            st.floats(-2e9, 2e9),
            st.floats(-1e-3, 1e-3),
            st.sampled_from(
                [
                    0.05,
                    -0.04,
                    1e16,
                    1e-05,
                    1e-4,
                    1e9,
                    999999999.9,
                    2.5,
                    100.0,
                    -0.0,
                    np.inf,
                    -np.inf,
                    np.nan,
                ]
            ),
        ),
        max_size=12,
    ),
    st.integers(0, 3),
)
def test_number_text_equals_its_pandas_definition(values: list, digits: int) -> None:
    from xsland.judge.keys import number_arrow, number_text

    x = np.array(values, dtype="float64")
    want = (
        pd.Series(np.round(x, digits))
        .astype("str")
        .str.replace(r"\.0$", "", regex=True)
        .fillna("")
        .tolist()
    )
    assert number_text(x, digits).tolist() == want
    got = number_arrow(x, digits)
    assert got.type == pa.large_string() and got.to_pylist() == want


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=3), st.sampled_from(["", "容积率", "0.5", " "])), max_size=8
    )
)
def test_join_text_is_the_row_by_row_concatenation(rows):
    # arrays (object or Arrow) and str constants, joined as a + "<" + b + "%" row by row
    from xsland.judge.keys import arrow_text, join_text

    a = np.array([x for x, _ in rows], dtype=object)
    b = [y for _, y in rows]
    got = join_text(a, "<", arrow_text(b), "%")
    assert str(got.type) == "large_string"
    assert got.to_pylist() == [x + "<" + y + "%" for x, y in rows]


def test_arrow_text_by_hand():
    from xsland.judge.keys import arrow_text

    got = arrow_text(np.array(["园区", ""], dtype=object))
    assert str(got.type) == "large_string" and got.to_pylist() == ["园区", ""]
    assert arrow_text(got) is got  # Arrow text as it is


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=20), st.sampled_from(["object", "string"]))
def test_per_distinct_many_equals_one_per_distinct_per_function(cells: list, dtype: str) -> None:
    # several lookups of one column (an enterprise's land, its tax, its investment): the
    # same Series as per_distinct of each, and each function sees the distinct values only
    from xsland.judge.keys import per_distinct_many

    values = pd.Series(cells, dtype=object)
    if dtype != "object":
        values = pd.Series([c if isinstance(c, str) else None for c in cells], dtype=dtype)
    values.index = pd.RangeIndex(len(values)) * 3
    table = pd.Series({"E1": 1.5, "12": -2.0, "": 0.25})
    fns = [
        _plain,
        lambda u: u.astype(object).map(table),
        lambda u: u.astype(object).map(lambda v: f"<{v}>" if isinstance(v, str) else None),
    ]
    got = per_distinct_many(values, fns)
    for g, fn in zip(got, fns, strict=True):
        pd.testing.assert_series_equal(g, per_distinct(values, fn), check_exact=True)


def test_per_distinct_many_factorises_once() -> None:
    # three functions, one factorisation of the column (fails if each lookup factorises)
    from unittest import mock

    from xsland.judge.keys import per_distinct_many

    values = pd.Series(["E1", "E2", "E1", None], dtype="string")
    with mock.patch.object(pd, "factorize", wraps=pd.factorize) as spy:
        got = per_distinct_many(values, [lambda u: u.str.len(), lambda u: u.isna()] * 2)
    assert spy.call_count == 1
    assert got[0].tolist()[:3] == [2, 2, 2] and got[1].tolist() == [False, False, False, True]


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=20), st.sampled_from(["object", "string"]))
def test_distinct_groups_are_the_groups_of_the_keys_of_every_row(cells: list, dtype: str) -> None:
    # the parcels grouped by the normalised IDs of their distinct IDs: the same groups,
    # index (values and dtype) and rows as grouping every row's normalised ID
    from xsland._sums import groups
    from xsland.judge.keys import distinct_groups

    values = pd.Series(cells, dtype=object)
    if dtype != "object":
        values = pd.Series([c if isinstance(c, str) else None for c in cells], dtype=dtype)
    got = distinct_groups(values, lambda u: id_keys(u).astype(object))
    want = groups(id_keys(values).astype(object))
    pd.testing.assert_index_equal(got.index, want.index, exact=True)
    assert got.take.tolist() == want.take.tolist()
    assert got.bounds.tolist() == want.bounds.tolist() and got.size == want.size == len(cells)


def test_distinct_groups_by_hand() -> None:
    # "12.0", "12" and "１２" are one enterprise "12" (rows 0, 2, 3); "E1" row 1; blank none
    from xsland.judge.keys import distinct_groups

    values = pd.Series(["12.0", "E1", "12", "１２", "  "], dtype=object)
    got = distinct_groups(values, lambda u: id_keys(u).astype(object))
    assert got.index.tolist() == ["12", "E1"]
    assert got.take.tolist() == [0, 2, 3, 1] and got.bounds.tolist() == [0, 3, 4]


@settings(max_examples=100, deadline=None)
@given(st.lists(_CELL, max_size=20))
def test_distinct_by_arrow_equals_factorize(cells: list) -> None:
    # a long column of Python strings is dictionary-encoded in Arrow: the same distinct
    # cells, in order of appearance, and the same rows as pandas' factorisation
    from unittest import mock

    import xsland.judge.keys as keys

    values = pd.Series(cells, dtype=object)
    want = keys.distinct(values)
    with mock.patch.object(keys, "_ARROW_ROWS", 0):
        got = keys.distinct(values)
    if want is None:
        assert got is None
        return
    pd.testing.assert_series_equal(got[0], want[0], check_exact=True)
    assert got[1].tolist() == want[1].tolist()


def test_distinct_by_hand() -> None:
    # "b", "a", "b", None, NaN: distinct "b", "a" then one None; rows 0, 1, 0, 2, 2
    from unittest import mock

    import xsland.judge.keys as keys

    values = pd.Series(["b", "a", "b", None, math.nan], dtype=object, name="id")
    for rows in (10**9, 0):
        with mock.patch.object(keys, "_ARROW_ROWS", rows):
            cells, at = keys.distinct(values)
        assert cells.tolist() == ["b", "a", None] and cells.name == "id"
        assert at.tolist() == [0, 1, 0, 2, 2]


def test_date_column_reads_each_distinct_date_as_require_dates_does() -> None:
    days = ["2024-02-29T13:30", "NaT", "2020-01-31", "2024-02-29T01:00", "2020-01-31"]
    frame = pd.DataFrame(
        {"parcel_id": ["a", "b", "c", "d", "e"], "d": np.array(days, dtype="datetime64[s]")},
        index=[7, 8, 9, 10, 11],
    )
    got = date_column(frame, "d", what="parcels", id_col="parcel_id")
    want = np.array(["2024-02-29", "NaT", "2020-01-31", "2024-02-29", "2020-01-31"], "M8[ns]")
    assert got.dtype == "datetime64[ns]"
    assert list(got.index) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(got.to_numpy(), want)
    pd.testing.assert_series_equal(
        got, require_dates(frame, "d", what="parcels", id_col="parcel_id"), check_exact=True
    )


def test_date_column_names_the_rows_of_the_frame_for_a_date_out_of_range() -> None:
    frame = pd.DataFrame(
        {"parcel_id": ["a", "b", "c"], "d": np.array(["2020-01-01", "1800-05-05", "NaT"], "M8[s]")}
    )
    with pytest.raises(DataError, match=r"rows: b\)"):
        date_column(frame, "d", what="parcels", id_col="parcel_id")


def test_add_months_by_hand() -> None:
    dates = pd.Series(
        np.array(["2024-02-29", "NaT", "2024-01-31", "2024-02-29"], "M8[ns]"), index=[3, 1, 2, 0]
    )
    got = add_months(dates, 12)
    assert list(got.index) == [3, 1, 2, 0]
    want = np.array(["2025-02-28", "NaT", "2025-01-31", "2025-02-28"], "M8[ns]")
    np.testing.assert_array_equal(got.to_numpy(), want)
    one = add_months(dates, 1).to_numpy()
    np.testing.assert_array_equal(one[2], np.datetime64("2024-02-29", "ns"))


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=25))
def test_id_codes_take_to_id_keys(cells: list) -> None:
    from xsland.judge.keys import id_codes

    values = pd.Series(cells, dtype=object, index=np.arange(len(cells)) * 3)
    codes, keys = id_codes(values)
    assert str(keys.dtype) == "string" and list(keys.index) == list(range(len(keys)))
    want = id_keys(values)
    got = keys.take(codes)
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want]


def test_id_codes_by_hand() -> None:
    from xsland.judge.keys import id_codes

    codes, keys = id_codes(pd.Series(["E1 ", "E2", None, "E1 ", "Ｅ２"], dtype=object))
    # distinct cells E1␠, E2, Ｅ２ (normalised E1, E2, E2) and the missing one last
    assert keys.tolist()[:3] == ["E1", "E2", "E2"] and pd.isna(keys.iloc[3])
    assert codes.tolist() == [0, 1, 3, 0, 2]
