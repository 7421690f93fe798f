"""The report's reading of the audit's tables (xsland.write.htmlreport.common): reasons
split and paired without a loop over the parcels, missing values found in one pass."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from xsland.write.htmlreport import common
from xsland.write.htmlreport.common import (
    _missing,
    _missing_mask,
    _reason_rows,
    _reason_rows_of,
    _split,
    _status,
    _statuses,
)


def _reason_rows_per_row(parcels: pd.DataFrame) -> pd.DataFrame:
    """The definition of ``_reason_rows``: each parcel's lists split and paired on their own."""
    none = pd.Series(None, index=parcels.index)
    codes = parcels["reasons"] if "reasons" in parcels.columns else none
    zh = parcels["reasons_zh"] if "reasons_zh" in parcels.columns else none
    out = []
    for i, (c, z) in enumerate(zip(codes, zh, strict=True)):
        cs, zs = _split(c), _split(z)
        if cs and len(cs) == len(zs):
            out += [(i, a, b) for a, b in zip(cs, zs, strict=True)]
        elif cs:
            out += [(i, a, None) for a in cs]
        else:
            out += [(i, None, b) for b in zs]
    rows = pd.DataFrame(out, columns=["row", "code", "label"])
    if rows.empty:
        return rows
    first = rows.dropna(subset=["code", "label"]).drop_duplicates("code").set_index("code")["label"]
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"].map(first))
    rows["label"] = rows["label"].where(rows["label"].notna(), rows["code"])
    rows["key"] = rows["code"].where(rows["code"].notna(), rows["label"])
    return rows.drop_duplicates(["row", "key"])


def _records(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(v) else v for v in r)
        for r in frame.reset_index(drop=True).itertuples(index=False)
    ]


def test_reasons_by_hand():
    parcels = pd.DataFrame(
        {
            "reasons": ["far_low;idle", None, "x", ["a", "b"], " ; ", "idle"],
            "reasons_zh": ["容积率低；闲置", "闲置", "X1,X2", ["A", "B"], "q", None],
        },
        index=[10, 11, 12, 13, 14, 15],  # rows are positions, not labels
    )
    got = _records(_reason_rows(parcels))
    assert got == [
        (0, "far_low", "容积率低", "far_low"),  # two codes, two labels: paired
        (0, "idle", "闲置", "idle"),
        (1, None, "闲置", "闲置"),  # no code: the label is the key
        (2, "x", "x", "x"),  # one code, two labels: the code alone, its own label
        (3, "a", "A", "a"),  # real lists
        (3, "b", "B", "b"),
        (4, None, "q", "q"),  # " ; " has no code
        (5, "idle", "闲置", "idle"),  # the label first seen for the code
    ]


_word = st.sampled_from(["far_low", "idle", "x", "容积率低", "闲置", "", " ", "nan", "None"])
_cell = st.one_of(
    st.none(),
    st.just(np.nan),
    st.lists(_word, max_size=3).map(lambda ws: ";".join(ws)),
    st.lists(_word, max_size=3).map(lambda ws: " ， ".join(ws)),
    st.lists(_word, max_size=3),
)


@given(st.lists(st.tuples(_cell, _cell), max_size=8))
def test_reasons_as_per_row(cells):
    parcels = pd.DataFrame(
        {
            "reasons": pd.Series([c for c, _ in cells], dtype=object),
            "reasons_zh": pd.Series([z for _, z in cells], dtype=object),
        }
    )
    assert _records(_reason_rows(parcels)) == _records(_reason_rows_per_row(parcels))


def _pairs_from(n: int):
    """``_reason_rows`` works per distinct pair from ``n`` parcels on (default 2,000)."""
    return mock.patch.object(common, "_PAIRS_FROM", n)


_text_cell = st.one_of(
    st.none(),
    st.just(np.nan),
    st.lists(_word, max_size=3).map(lambda ws: ";".join(ws)),
)


@given(st.lists(st.tuples(_text_cell, _text_cell), max_size=6), st.lists(st.integers(0, 5)))
def test_reasons_once_per_pair_are_the_rows_own(pairs, picks):
    # rows repeat a few (reasons, reasons_zh) pairs: worked out once per pair and repeated,
    # the frame is the row-by-row one, to its index (the rows a duplicate leaves out)
    rows = [pairs[i % len(pairs)] for i in picks] if pairs else []
    parcels = pd.DataFrame(
        {
            "reasons": pd.Series([c for c, _ in rows], dtype=object),
            "reasons_zh": pd.Series([z for _, z in rows], dtype=object),
        }
    )
    with _pairs_from(0):  # worked out per pair whatever the number of parcels
        got, want = _reason_rows(parcels), _reason_rows_of(parcels)
        pd.testing.assert_frame_equal(got, want)
        # pandas' own text dtype is factorised as it is: the same rows
        text = parcels.astype("str")
        pd.testing.assert_frame_equal(_reason_rows(text), _reason_rows_of(text))


def test_reasons_once_per_pair_by_hand():
    # rows 0 and 2 share a pair; row 1's code "idle" has no label: it takes the first one
    # met with it, "闲置", from row 0; row 2 lists "idle" twice: once (index 4 of 5 left out)
    parcels = pd.DataFrame(
        {
            "reasons": ["far_low;idle", "idle", "far_low;idle;idle"],
            "reasons_zh": ["容积率低；闲置", None, None],
        }
    )
    with _pairs_from(0):
        got = _reason_rows(parcels)
        twice = pd.concat([parcels.iloc[[2]], parcels], ignore_index=True)
        twice_index = _reason_rows(twice).index.tolist()
    assert got.index.tolist() == [0, 1, 2, 3, 4]
    assert _records(got) == [
        (0, "far_low", "容积率低", "far_low"),
        (0, "idle", "闲置", "idle"),
        (1, "idle", "闲置", "idle"),
        (2, "far_low", "容积率低", "far_low"),
        (2, "idle", "闲置", "idle"),
    ]
    # now row 0 lists "idle" twice: the second (place 2) is left out of the index
    assert twice_index == [0, 1, 3, 4, 5, 6, 7]
    assert twice_index == _reason_rows_of(twice).index.tolist()


@given(st.lists(st.one_of(st.none(), st.just(np.nan), st.just(pd.NA), _word, st.integers())))
def test_missing_mask_as_per_value(values):
    s = pd.Series(values, dtype=object)
    assert _missing_mask(s).tolist() == [_missing(v) for v in values]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(np.nan),
            st.sampled_from(["pass", " FAIL ", "unknown", "n/a", "N/A", "x", "", "nan"]),
            st.booleans(),
        )
    )
)
def test_statuses_as_per_value(values):
    s = pd.Series(values, dtype=object)
    assert _statuses(s).tolist() == [_status(v) for v in values]


def _audit_of(parks: pd.DataFrame, parcels: pd.DataFrame):
    from xsland.write.htmlreport.common import _Audit

    return _Audit(
        parks=parks,
        parcels=parcels,
        towns=None,
        district=None,
        quality=pd.DataFrame(),
        rules=pd.DataFrame(),
        blocks=None,
        meta={},
    )


def test_parcel_towns_by_hand():
    from xsland.write.htmlreport.common import _parcel_towns

    parks = pd.DataFrame({"park_id": ["K1", "K2"], "town": ["东亭街道", " "]})
    parcels = pd.DataFrame(
        {
            "park_id": ["K1", "K2", None, None, "K9", None, "K1"],
            "town": ["x", "锡北镇", "安镇街道", "nan", None, " None ", None],
        }
    )
    # K1's town wins over the parcel's own; K2's blank town is a value (not null), so it
    # is kept and then read as missing; without a park (or of an unknown one) the own town
    assert _parcel_towns(_audit_of(parks, parcels), parcels).tolist() == [
        "东亭街道",
        "(未注明)",
        "安镇街道",
        "(未注明)",
        "(未注明)",
        "(未注明)",
        "东亭街道",
    ]


_TOWNS = st.one_of(
    st.none(),
    st.sampled_from(["东亭街道", "锡北镇", "", " ", "nan", "None", "<NA>", " 安镇 "]),
    st.text(max_size=4),
)


@given(
    st.lists(st.tuples(st.sampled_from([None, "K1", "K2", "K3"]), _TOWNS), max_size=30),
    st.lists(_TOWNS, min_size=3, max_size=3),
)
def test_parcel_towns_one_pass_per_name_is_the_row_by_row_answer(rows, park_towns):
    from xsland.write.htmlreport.common import _parcel_towns

    parks = pd.DataFrame({"park_id": ["K1", "K2", "K3"], "town": park_towns})
    parcels = pd.DataFrame(rows, columns=["park_id", "town"], dtype=object)
    by_park = dict(zip(parks["park_id"], parks["town"], strict=True))
    expected = []
    for pid, own in rows:  # the definition, one parcel at a time
        town = by_park.get(pid) if pid is not None else None
        town = own if town is None or pd.isna(town) else town  # a park without a town
        expected.append("(未注明)" if _missing(town) else str(town))
    assert _parcel_towns(_audit_of(parks, parcels), parcels).tolist() == expected


@given(
    st.lists(st.tuples(st.sampled_from([None, "K1", "K2", "K3"]), _TOWNS), max_size=30),
    st.lists(_TOWNS, min_size=3, max_size=3),
    st.booleans(),
)
def test_parcel_towns_of_string_columns_per_distinct_name_is_the_row_by_row_answer(
    rows, park_towns, with_town
):
    from xsland.write.htmlreport.common import _parcel_towns

    parks = pd.DataFrame({"park_id": ["K1", "K2", "K3"], "town": park_towns})
    parcels = pd.DataFrame(rows, columns=["park_id", "town"], dtype="str")
    if not with_town:
        parcels = parcels.drop(columns="town")
    by_park = dict(zip(parks["park_id"], parks["town"], strict=True))
    expected = []
    for pid, own in rows:  # the definition, one parcel at a time
        town = by_park.get(pid) if pid is not None else None
        if with_town:
            town = own if town is None or pd.isna(town) else town  # a park without a town
        expected.append("(未注明)" if _missing(town) else str(town))
    got = _parcel_towns(_audit_of(parks, parcels), parcels)
    assert got.tolist() == expected
    assert got.index.equals(parcels.index)


@given(
    st.lists(
        st.one_of(st.none(), st.just(np.nan), _word, st.integers(-1, 1), st.booleans(), st.floats())
    )
)
def test_missing_mask_of_equal_values_of_other_types(values):
    # 1, 1.0 and True factorise alike: each distinct value judged once gives the same answer
    s = pd.Series(values, dtype=object)
    assert _missing_mask(s).tolist() == [_missing(v) for v in values]


def _few_rows(n: int):
    """``_reason_rows_all`` pairs up to ``n`` rows of text in Python (default 256)."""
    return mock.patch.object(common, "_FEW_ROWS", n)


@given(st.lists(st.tuples(_text_cell, _text_cell), max_size=8), st.booleans())
def test_reasons_of_a_few_rows_in_python_are_the_vectorised_frame(cells, as_str):
    from xsland.write.htmlreport.common import _reason_rows_all

    parcels = pd.DataFrame(
        {
            "reasons": pd.Series([c for c, _ in cells], dtype=object),
            "reasons_zh": pd.Series([z for _, z in cells], dtype=object),
        }
    )
    if as_str:
        parcels = parcels.astype("str")
    for frame in (parcels, parcels[["reasons"]], parcels[["reasons_zh"]]):
        with _few_rows(-1):
            want = _reason_rows_all(frame)
        with _few_rows(len(frame)):
            got = _reason_rows_all(frame)
        pd.testing.assert_frame_equal(got, want)


def test_reasons_of_a_few_rows_by_hand():
    from xsland.write.htmlreport.common import _reason_rows_all

    parcels = pd.DataFrame(
        {
            "reasons": ["far_low;idle", "idle", None, "x"],
            "reasons_zh": ["容积率低；闲置", None, "q", "X1,X2"],
        }
    )
    assert _records(_reason_rows_all(parcels)) == [
        (0, "far_low", "容积率低", "far_low"),
        (0, "idle", "闲置", "idle"),
        (1, "idle", "闲置", "idle"),  # the label first met with the code
        (2, None, "q", "q"),  # no code: the label is the key
        (3, "x", "x", "x"),  # one code, two labels: the code alone, its own label
    ]
