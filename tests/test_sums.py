"""Partial sums per group: any split of the rows adds up to the sums of all of them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland._sums import ALL, ANY, COUNT, FIRST, IDS, SUM, exact, partial, reduce, total

KINDS = {"x": SUM, "n": COUNT, "any": ANY, "all": ALL, "first": FIRST, "ids": IDS}


def test_exact_keeps_what_one_float_loses():
    # 1e16 + 1 + 1: a float sum in this order gives 1e16 (each 1 is half an ulp and lost);
    # the exact sum is 1e16 + 2, a float; the parts of the first two hold the lost 1
    assert (1e16 + 1.0) + 1.0 == 1e16
    parts = exact([1e16, 1.0])
    assert parts == (1e16, 1.0)
    assert total([*parts, *exact([1.0])]) == 1e16 + 2
    assert exact([]) == () and total([]) == 0.0
    assert exact([0.5, np.nan]) == (0.5,)  # NaN skipped, as pandas sums
    assert math.isnan(total(exact([np.inf, -np.inf])))
    assert total(exact([np.inf, 1.0])) == np.inf


def test_partial_and_reduce_by_hand():
    # groups a: rows 0, 2 (0.1 + 0.3, IDs p and q), b: rows 1, 4; row 3 has no group
    keys = np.array(["a", "b", "a", None, "b"], dtype=object)
    cols = {
        "x": np.array([0.1, 0.2, 0.3, 9.0, np.nan]),
        "n": np.ones(5, dtype=int),
        "any": np.array([False, True, False, True, False]),
        "all": np.array([True, True, False, True, True]),
        "first": None,
        "ids": np.array(["p", None, "q", "r", "s"], dtype=object),
    }
    whole = reduce([partial(keys, cols, KINDS, name="g")], KINDS)
    assert whole.index.tolist() == ["a", "b"] and whole.index.name == "g"
    assert whole["x"].tolist() == [math.fsum([0.1, 0.3]), 0.2]
    assert whole["n"].tolist() == [2, 2]
    assert whole["any"].tolist() == [False, True] and whole["all"].tolist() == [False, True]
    assert whole["first"].tolist() == [0, 1]
    assert whole["ids"].tolist() == [["p", "q"], ["s"]]
    # rows 2… in a second part, numbered as among all rows, reduced first: the same
    rest = {k: (v[2:] if v is not None else None) for k, v in cols.items()}
    head = {k: (v[:2] if v is not None else None) for k, v in cols.items()}
    parts = [
        partial(keys[2:], rest, KINDS, rows=np.arange(2, 5), name="g"),
        partial(keys[:2], head, KINDS, name="g"),
    ]
    pd.testing.assert_frame_equal(reduce(parts, KINDS), whole)


def test_nothing_to_reduce_is_an_empty_table_of_the_kinds():
    out = reduce([partial([None], {"x": [1.0], "n": [1]}, {"x": SUM, "n": COUNT})], {"x": SUM})
    assert out.empty and list(out.columns) == ["x"] and out["x"].dtype == "float64"


values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), values), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
)
def test_any_split_reduces_to_the_correctly_rounded_sums_of_all_rows(rows, cuts):
    keys = np.array([k for k, _ in rows], dtype=object)
    x = np.array([v for _, v in rows], dtype="float64")
    ids = np.array([f"r{i}" if i % 3 else None for i in range(len(rows))], dtype=object)
    cols = {"x": x, "n": np.ones(len(rows), int), "any": x > 0, "all": x > 0}
    cols |= {"first": None, "ids": ids}
    bounds = sorted({0, len(rows), *(min(c, len(rows)) for c in cuts)})
    parts = [
        partial(
            keys[a:b],
            {k: (v[a:b] if v is not None else None) for k, v in cols.items()},
            KINDS,
            rows=np.arange(a, b),
        )
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    got = reduce(parts[::-1], KINDS)
    for key in ("a", "b", "c"):
        mine = keys == key
        if not mine.any():
            assert key not in got.index
            continue
        assert got.at[key, "x"] == math.fsum(x[mine])  # exactly, whatever the split
        assert got.at[key, "n"] == mine.sum()
        assert got.at[key, "any"] == (x[mine] > 0).any()
        assert got.at[key, "all"] == (x[mine] > 0).all()
        assert got.at[key, "first"] == np.flatnonzero(mine)[0]
        assert got.at[key, "ids"] == [i for i in ids[mine] if i is not None]


# the exact parts of each group, against exact() of the group alone: zeros, NaN and
# infinite values mixed in, groups that are all zeros
_VALUE = st.one_of(
    st.just(0.0),
    st.just(-0.0),
    st.just(math.nan),
    st.sampled_from([math.inf, -math.inf, 1e300, 0.1, 0.2, 0.3, -0.3, 1e-300]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_VALUE, min_size=1, max_size=6), min_size=1, max_size=8))
def test_exact_groups_equal_exact_of_each_group(groups):
    from xsland._sums import _exact_groups

    v = np.array([x for g in groups for x in g], dtype="float64")
    bounds = np.concatenate([[0], np.cumsum([len(g) for g in groups])])
    got = _exact_groups(v, bounds)
    want = [exact(np.array(g, dtype="float64")) for g in groups]
    # NaN parts (inf - inf) compare by their text
    assert [tuple(map(repr, t)) for t in got] == [tuple(map(repr, t)) for t in want]


def test_exact_groups_by_hand_with_zeros():
    from xsland._sums import _exact_groups

    # groups [0, 0.1, 0], [0, 0], [0.2, nan, 0.3]: zeros and NaN add nothing
    v = np.array([0.0, 0.1, 0.0, 0.0, 0.0, 0.2, math.nan, 0.3])
    got = _exact_groups(v, np.array([0, 3, 5, 8]))
    assert got[0] == (0.1,)
    assert got[1] == ()
    assert got[2][0] == math.fsum([0.2, 0.3]) == 0.5


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["P1", "P2", "P3", None]), st.sampled_from(["a", "b", None])),
        max_size=25,
    )
)
def test_ids_are_the_known_values_with_their_row_numbers_per_group(rows):
    keys = [k for k, _ in rows]
    values = np.array([v for _, v in rows], dtype=object)
    got = partial(keys, {"ids": values}, {"ids": IDS})
    # the plain definition: per group (sorted), its rows' (number, value) where known
    want = {}
    for i, (k, v) in enumerate(rows):
        if k is not None:
            want.setdefault(k, [])
            if v is not None:
                want[k].append((i, v))
    assert list(got.index) == sorted(want)
    assert [got.at[k, "ids"] for k in sorted(want)] == [tuple(want[k]) for k in sorted(want)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), _VALUE),
        min_size=1,
        max_size=20,
    )
)
def test_one_partial_reduces_to_the_total_of_its_parts(rows):
    # reduce of one table takes each sum's first part: total() of the parts, which is
    # fsum of the group's values (NaN skipped; inf - inf is NaN)
    keys = [k for k, _ in rows]
    values = np.array([v for _, v in rows], dtype="float64")
    table = partial(keys, {"s": values}, {"s": SUM})
    got = reduce([table], {"s": SUM})["s"]
    for k in table.index:
        assert repr(float(got[k])) == repr(total(table.at[k, "s"]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=2),
        min_size=1,
        max_size=6,
    )
)
def test_exact_groups_of_one_or_two_any_floats(groups):
    # groups of one or two values are summed without fsum (two-sum); over the whole range
    # of floats (tiny, huge, opposite signs) the parts are exact()'s, and a pair whose sum
    # overflows raises as fsum does
    _check_exact_groups(groups)


def test_exact_groups_two_sum_by_hand():
    from xsland._sums import _exact_groups

    # 1 + 2**-60: the float sum is 1.0, the rest 2**-60 is a second part; 0.5 + -0.5 is
    # nothing; 3.0 alone is (3.0,)
    v = np.array([1.0, 2.0**-60, 0.5, -0.5, 3.0])
    got = _exact_groups(v, np.array([0, 2, 4, 5]))
    assert got == [(1.0, 2.0**-60), (), (3.0,)]
    # a pair whose float sum overflows: fsum raises, so does the short way
    with pytest.raises(OverflowError):
        _exact_groups(np.array([1.7e308, 1.7e308]), np.array([0, 2]))


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 200_000),
    st.lists(st.integers(0, 10**9), min_size=0, max_size=300),
)
def test_stable_order_is_the_stable_argsort(k, seeds):
    # codes 0 … k-1 (k past 2**16 too: two radix passes) ordered like a stable argsort:
    # equal codes keep their row order
    from xsland._sums import _stable_order

    codes = np.array([s % k for s in seeds], dtype=np.intp)
    assert _stable_order(codes, k).tolist() == np.argsort(codes, kind="stable").tolist()


def test_stable_order_by_hand_past_16_bits():
    from xsland._sums import _stable_order

    # 70000 and 4464 share their low 16 bits (70000 = 65536 + 4464): the high bits decide
    codes = np.array([70000, 4464, 70000, 0, 4464])
    assert _stable_order(codes, 70001).tolist() == [3, 1, 4, 0, 2]


def _old_groups(keys):
    # the keys as a Series infers them, factorised sorted: what partial did before groups
    key = pd.Series(np.asarray(keys, dtype=object))
    keep = key.notna().to_numpy(dtype=bool)
    codes, uniq = pd.factorize(key[keep], sort=True)
    return pd.Index(uniq), np.flatnonzero(keep)[np.argsort(codes, kind="stable")]


def test_groups_by_hand():
    from xsland._sums import groups

    # rows 0 and 3 are "b", 1 and 4 "a"; row 2 has no key, row 5 is NaN
    got = groups(np.array(["b", "a", None, "b", "a", np.nan], dtype=object))
    assert got.index.tolist() == ["a", "b"] and got.index.dtype == "str"
    assert got.take.tolist() == [1, 4, 0, 3] and got.bounds.tolist() == [0, 2, 4]
    assert got.size == 6
    # no key at all: no group; partial of such groups is the empty table
    none = groups([None, np.nan])
    assert len(none.take) == 0 and none.size == 2
    assert partial(none, {"x": [1.0, 2.0]}, {"x": SUM}).empty


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["P2", "P10", "镇", "", " a", None, math.nan, pd.NA, pd.NaT, 3, 2.0]),
        max_size=25,
    )
)
def test_groups_are_the_groups_of_the_inferred_keys(keys):
    # texts go the fast way (objects factorised, the distinct texts with one null of each
    # type inferred and sorted); any other keys the old way: the same index (values and
    # dtype) and rows, and partial of the groups is partial of the keys
    from xsland._sums import groups

    obj = np.array(keys, dtype=object)
    got = groups(obj)
    if not pd.notna(obj).any():
        assert len(got.take) == 0
        return
    index, take = _old_groups(obj)
    pd.testing.assert_index_equal(got.index, index, exact=True)
    assert got.take.tolist() == take.tolist()
    cols = {"x": np.arange(len(keys), dtype="float64") / 3, "first": None}
    kinds = {"x": SUM, "first": FIRST}
    pd.testing.assert_frame_equal(partial(got, cols, kinds), partial(obj, cols, kinds))


def test_groups_of_distinct_keys_by_hand():
    from xsland._sums import groups, groups_of

    # distinct keys "b", "a", "b" (two equal), None, "z" (no row has it): rows 0…4 take
    # keys b, a, b, None, a; "z" makes no group
    values = np.array(["b", "a", "b", None, "z"], dtype=object)
    codes = np.array([0, 1, 2, 3, 1])
    got = groups_of(values, codes)
    want = groups(values[codes])
    assert got.index.tolist() == ["a", "b"] and got.take.tolist() == [1, 4, 0, 2]
    pd.testing.assert_index_equal(got.index, want.index, exact=True)
    assert got.take.tolist() == want.take.tolist() and got.bounds.tolist() == [0, 2, 4]
    assert len(groups_of(values, np.array([3, 3])).take) == 0


def _groups(extra: st.SearchStrategy, sizes: tuple[int, int], groups: int) -> st.SearchStrategy:
    """Lists of 1 to ``groups`` groups of ``sizes`` values: :data:`_VALUE`, ``extra``
    and whole numbers."""
    value = st.one_of(_VALUE, extra, st.integers(-(10**6), 10**6).map(float))
    return st.lists(
        st.lists(value, min_size=sizes[0], max_size=sizes[1]), min_size=1, max_size=groups
    )


@settings(max_examples=400, deadline=None)
@given(_groups(st.floats(allow_nan=False, allow_infinity=False), (3, 20), 8))
def test_exact_groups_of_three_to_twenty_values_equal_exact(groups):
    # groups of 3 to 16 values are summed by passes of two-sums (the loop takes what they
    # leave): over tiny, huge and whole values the parts are exact()'s; an overflow
    # raises as fsum does
    _check_exact_groups(groups)


def test_exact_groups_by_two_sums_by_hand():
    from xsland._sums import _exact_groups

    # [1, 2**-60, 2**-60, 1]: two passes leave 2 and 2**-59; [3, 4, 5] is 12;
    # [1e16, 1, 1, -1e16, 0.5] is 2.5; [0.1, 0.2, 0.3] two parts (fsum, then the rest)
    v = np.array([1.0, 2.0**-60, 2.0**-60, 1.0, 3.0, 4.0, 5.0, 1e16, 1.0, 1.0, -1e16, 0.5])
    v = np.concatenate([v, [0.1, 0.2, 0.3]])
    got = _exact_groups(v, np.array([0, 4, 7, 12, 15]))
    assert got[:3] == [(2.0, 2.0**-59), (12.0,), (2.5,)]
    assert got[3] == exact([0.1, 0.2, 0.3]) and len(got[3]) == 2


def test_reduce_of_one_table_sorts_groups_it_was_given_unsorted():
    # a table of sorted distinct groups is taken as it is; any other is grouped and sorted
    table = pd.DataFrame({"x": [(2.0,), (1.0,), (0.5,)]}, index=pd.Index(["b", "a", "b"]))
    got = reduce([table], {"x": SUM})
    assert got.index.tolist() == ["a", "b"] and got["x"].tolist() == [1.0, 2.5]
    done = reduce([table.iloc[[1, 0]]], {"x": SUM})
    assert done.index.tolist() == ["a", "b"] and done["x"].tolist() == [1.0, 2.0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.one_of(st.just(0.0), st.just(0.0), st.just(math.nan), _VALUE),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_sparse_sums_and_true_counts_equal_those_of_each_group(rows):
    # columns mostly 0 or NaN are summed from their other rows, true values counted from
    # their rows: each group's parts are exact() of its values, counts by hand
    keys = np.array([k for k, _, _ in rows], dtype=object)
    x = np.array([v for _, v, _ in rows], dtype="float64")
    hit = np.array([h for _, _, h in rows], dtype=bool)
    got = partial(keys, {"x": x, "hit": hit}, {"x": SUM, "hit": COUNT})
    for key in got.index:
        mine = keys == key
        want = exact(x[mine])
        assert tuple(map(repr, got.at[key, "x"])) == tuple(map(repr, want))
        assert got.at[key, "hit"] == hit[mine].sum()
    assert got["hit"].dtype == "int64"


def test_sparse_sum_by_hand():
    # rows 0…5: a 0.0, b 0.5, a NaN, None 9.0, a 0.25, b 0.0: a sums to 0.25, b to 0.5
    keys = np.array(["a", "b", "a", None, "a", "b"], dtype=object)
    x = np.array([0.0, 0.5, math.nan, 9.0, 0.25, 0.0])
    got = partial(keys, {"x": x}, {"x": SUM})
    assert got["x"].tolist() == [(0.25,), (0.5,)]


def _check_exact_groups(groups):
    """_exact_groups of the groups gives exact()'s parts of each, to the bit (repr: -0.0
    and 0.0 told apart), and raises OverflowError where exact() does."""
    from xsland._sums import _exact_groups

    v = np.array([x for g in groups for x in g], dtype="float64")
    bounds = np.concatenate([[0], np.cumsum([len(g) for g in groups])])
    try:
        want = [exact(np.array(g, dtype="float64")) for g in groups]
    except OverflowError:
        with pytest.raises(OverflowError):
            _exact_groups(v, bounds)
        return
    got = _exact_groups(v, bounds)
    assert [tuple(map(repr, t)) for t in got] == [tuple(map(repr, t)) for t in want]


@settings(max_examples=200, deadline=None)
@given(
    _groups(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
            st.sampled_from([2.0**1000, -(2.0**1000), 1.7e308, -1.7e308, 2.0**-1074]),
        ),
        (17, 300),
        5,
    )
)
def test_exact_groups_of_more_than_sixteen_values_equal_exact(groups):
    # groups of 17+ values are brought down by runs of 16, level after level; a group
    # holding a value of 2**1000 or more goes to fsum, which raises on an overflow
    _check_exact_groups(groups)


def test_long_groups_by_hand_without_fsum(monkeypatch):
    import xsland._sums as sums

    def no_fsum(rest):
        raise AssertionError("fsum called")

    # 17 ones are 17; 1e16, 40 ones, -1e16 are 40 (the ones are lost by a float sum);
    # 100 times 0.1 is exact()'s two parts; 300 values of 2**-60 and 1 are 300 + 300·2**-60
    monkeypatch.setattr(sums, "_fsum_parts", no_fsum)
    tenth = [0.1] * 100
    v = np.array([1.0] * 17 + [1e16, *[1.0] * 40, -1e16] + tenth + [2.0**-60, 1.0] * 150)
    got = sums._exact_groups(v, np.array([0, 17, 59, 159, 459]))
    assert got[:2] == [(17.0,), (40.0,)]
    assert got[2] == exact(tenth) and len(got[2]) == 2
    assert got[3] == (150.0, 150 * 2.0**-60)
    # a value of 2**1000 or more sends its group to fsum
    with pytest.raises(AssertionError, match="fsum called"):
        sums._exact_groups(np.array([2.0**1000] + [0.5] * 20), np.array([0, 21]))
