"""Partial sums per group that add up alike however the rows are split.

The judges' roll-ups are made of sums, counts and lists per park, town or enterprise.
Each is computed in two halves: a *partial* table of one set of rows
(:func:`partial`), and the *reduction* of any number of partial tables (:func:`reduce`)
to the figures of all rows together. The in-memory audit reduces one partial table of
every parcel; the audit of a partitioned dataset (:mod:`xsland.pipeline.partitioned`)
reduces one per partition, each computed by the partition's task. Both give the same
numbers to the last bit:

- a float sum is kept exactly, as the non-overlapping floats whose exact sum is the sum
  of the values (:func:`exact`), and rounded once, by :func:`math.fsum`, at the end
  (:func:`total`): the correctly rounded sum :math:`\\mathrm{fl}(\\sum_i x_i)` of every
  value, whatever the order and the split (NaN skipped, as :meth:`pandas.Series.sum`
  does);
- counts are integers; "any" and "all" are exact;
- lists of IDs carry each row's number and come back in row order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "ALL",
    "ANY",
    "COUNT",
    "FIRST",
    "IDS",
    "SUM",
    "Groups",
    "exact",
    "groups",
    "groups_of",
    "partial",
    "reduce",
    "total",
]

#: Kinds of a partial column: a float sum, a count, any, all, the first row, and a
#: list of IDs (the rows where the value is not null).
SUM, COUNT, ANY, ALL, FIRST, IDS = "sum", "count", "any", "all", "first", "ids"


def exact(values: Any) -> tuple[float, ...]:
    """The exact sum of ``values`` (NaN skipped) as non-overlapping floats.

    With :math:`S = \\sum_i x_i` (exactly), the parts are :math:`p_1 = \\mathrm{fl}(S)`,
    :math:`p_{k+1} = \\mathrm{fl}(S - \\sum_{j \\le k} p_j)` until the rest is 0, so
    :math:`\\sum_k p_k = S` exactly (each step shrinks the rest by :math:`2^{-53}`; the
    values are multiples of the smallest float, so it ends). Infinite values give the
    one part their sum (``inf``, ``-inf`` or NaN).

    >>> exact([0.1, 0.2, 0.3])[0] == math.fsum([0.1, 0.2, 0.3])
    True
    """
    arr = np.asarray(values, dtype="float64").ravel()
    arr = arr[~np.isnan(arr)]
    if not np.isfinite(arr).all():
        with np.errstate(invalid="ignore", over="ignore"):
            return (float(arr.sum()),)
    vals = arr.tolist()
    parts: list[float] = []
    while True:
        s = math.fsum(vals)
        if s == 0.0:
            return tuple(parts)
        parts.append(s)
        vals.append(-s)


def total(parts: Iterable[float]) -> float:
    """The sum of exact parts (:func:`exact`) of any number of row sets, rounded once."""
    values = list(parts)
    if not all(math.isfinite(p) for p in values):
        with np.errstate(invalid="ignore", over="ignore"):
            return float(np.sum(values))
    return math.fsum(values)


#: How counts, "any" and "all" add up over the rows of a group: (ufunc, dtype).
_REDUCERS = {COUNT: (np.add, "int64"), ANY: (np.logical_or, bool), ALL: (np.logical_and, bool)}


def _reduced(kind: str, value: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """A count, any or all of each group (rows sorted by group, groups from ``starts``)."""
    ufunc, dtype = _REDUCERS[kind]
    return ufunc.reduceat(value.astype(dtype), starts)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's two-sum: ``s = fl(a + b)`` and the exact rest ``e = a + b - s``."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = a + b
        bb = s - a
        return s, (a - (s - bb)) + (b - bb)


def _parts(s: np.ndarray, e: np.ndarray) -> list[tuple[float, ...]]:
    """The parts of sums ``s + e`` made by :func:`_two_sum`: ``(s, e)``, ``(s,)`` when
    ``e`` is 0, ``()`` when ``s`` is 0."""
    pairs = zip(s.tolist(), e.tolist(), strict=True)
    return [() if x == 0.0 else (x,) if y == 0.0 else (x, y) for x, y in pairs]


def _distilled(
    values: np.ndarray, start: np.ndarray, size: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact parts of groups of at most ``width`` values (``values[start:start+size]``)
    whose exact sum error-free two-sums bring down to two floats, without a loop per group.

    Each pass replaces the values :math:`x_1 \\ldots x_w` of a group by
    :math:`(s_j, e_j) = \\mathrm{TwoSum}(x_j, s_{j-1})`: the same exact sum, the rounding
    errors kept (Ogita, Rump and Oishi's VecSum). Once at most two values :math:`a, b` are
    not 0, the exact sum is :math:`a + b` and its parts are :math:`s = \\mathrm{fl}(a + b)`
    and the rest :math:`e`. Returns which groups are done, and their :math:`s` and
    :math:`e` (0 for the others: more values left after 3 passes, or an overflow).
    """
    # one row per position, one column per group: each two-sum reads contiguous rows
    pos = np.arange(width)[:, None]
    inside = pos < size
    m = np.where(inside, values[np.minimum(start + pos, len(values) - 1)], 0.0)
    for _ in range(3):
        for j in range(1, width):
            m[j], m[j - 1] = _two_sum(m[j], m[j - 1])
        nonzero = m != 0.0
        if (nonzero.sum(axis=0) <= 2).mean() > 0.9:
            break
    count = nonzero.sum(axis=0)
    cols = np.arange(m.shape[1])
    first = np.argmax(nonzero, axis=0)
    last = width - 1 - np.argmax(nonzero[::-1], axis=0)
    a = np.where(count >= 1, m[first, cols], 0.0)
    b = np.where(count == 2, m[last, cols], 0.0)
    s, e = _two_sum(a, b)
    done = (count <= 2) & np.isfinite(m).all(axis=0) & np.isfinite(s)
    return done, np.where(done, s, 0.0), np.where(done, e, 0.0)


def _exact_groups(v: np.ndarray, bounds: np.ndarray) -> list[tuple[float, ...]]:
    """:func:`exact` of each group ``v[bounds[g]:bounds[g + 1]]``, without a loop per group.

    The same parts as :func:`exact` group by group (NaN adds nothing, so it is taken as
    0; a group holding an infinite value goes through :func:`exact`): a city has hundreds
    of thousands of enterprises. Zeros add nothing to an exact sum and are left out first
    (most cells of a masked figure, such as the area of one status, are 0). A group of
    one value :math:`x` is :math:`(x,)`; groups of 2 to 16 values are brought down to
    :math:`s + e` by two-sums (:func:`_distilled`), larger ones by runs of 16
    (:func:`_distilled_long`) when no value is near overflow; the rest (what the two-sums
    leave, groups holding a value of :data:`_NO_OVERFLOW` or more: fsum raises on an
    overflow, as it always did) by :func:`math.fsum`.
    """
    special = (
        np.logical_or.reduceat(np.isinf(v), bounds[:-1])
        if np.isinf(v).any()
        else np.zeros(len(bounds) - 1, dtype=bool)
    )
    values = np.where(np.isnan(v), 0.0, v)
    nonzero = values != 0.0
    # each group's bounds among the nonzero values
    kept = np.concatenate([[0], np.cumsum(nonzero)])[bounds] if not nonzero.all() else bounds
    values = values[nonzero]
    size = np.diff(kept)
    s, e = np.zeros(len(size)), np.zeros(len(size))
    one = (size == 1) & ~special
    s[one] = values[kept[:-1][one]]
    left = special.copy()
    for width in (2, 4, 8, 16):
        these = np.flatnonzero(~special & (size > width // 2) & (size <= width))
        if len(these):
            done, s[these], e[these] = _distilled(values, kept[these], size[these], width)
            left[these[~done]] = True
    # larger groups by runs of 16, when no value is large enough for a sum to overflow
    # (then fsum raises where it always did); the others by fsum
    long = np.flatnonzero(~special & (size > 16))
    if len(long):
        fine = size[long] < 2**23
        large = np.abs(values) >= _NO_OVERFLOW
        if large.any():
            large = np.concatenate([[0], np.cumsum(large)])
            fine &= (large[kept[1:]] == large[kept[:-1]])[long]
        left[long[~fine]] = True
        long = long[fine]
        if len(long):
            done, s[long], e[long] = _distilled_long(values, kept[long], size[long])
            left[long[~done]] = True
    out = _parts(s, e)
    listed = values.tolist() if left.any() else []
    for g in np.flatnonzero(left).tolist():
        out[g] = (
            exact(v[bounds[g] : bounds[g + 1]])
            if special[g]
            else _fsum_parts(listed[kept[g] : kept[g + 1]])
        )
    return out


#: Values below this size (2**1000) cannot make a sum of fewer than 2**23 of them
#: overflow: :func:`_distilled_long` takes the groups made of them.
_NO_OVERFLOW = 2.0**1000


def _distilled_long(
    values: np.ndarray, start: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_distilled` of groups of more than 16 values (each below
    :data:`_NO_OVERFLOW` in size, fewer than 2**23 of them), without a loop per group.

    Each group is cut into runs of 16 values; each run is brought down to its exact
    parts :math:`(s, e)` by :func:`_distilled`, and these parts, two per run, are the
    group's values at the next level (the same exact sum), until a group is one run.
    A group is done when each of its runs at every level was.
    """
    done = np.ones(len(size), dtype=bool)
    while True:
        runs = -(-size // 16)
        first = np.cumsum(runs) - runs
        owner = np.repeat(np.arange(len(size)), runs)
        k = np.arange(len(owner)) - first[owner]
        ok, s, e = _distilled(
            values, start[owner] + 16 * k, np.minimum(16, size[owner] - 16 * k), 16
        )
        done &= np.logical_and.reduceat(ok, first)
        if len(owner) == len(size):  # one run each: its parts are the group's
            return done, np.where(done, s, 0.0), np.where(done, e, 0.0)
        values, start, size = np.column_stack([s, e]).ravel(), 2 * first, 2 * runs


def _fsum_parts(rest: list[float]) -> tuple[float, ...]:
    """:func:`exact` of a list of finite floats (changed in place)."""
    parts: list[float] = []
    while (t := math.fsum(rest)) != 0.0:
        parts.append(t)
        rest.append(-t)
    return tuple(parts)


def _stable_order(codes: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for codes in ``0 … k-1``, in linear time.

    NumPy's stable sort of 16-bit integers is a radix sort; larger codes are sorted by
    their low 16 bits, then stably by their high bits (a least-significant-digit radix
    sort: a stable sort is one permutation, so the order is the same).
    """
    if k <= 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    if k > 1 << 32:
        return np.argsort(codes, kind="stable")
    wide = codes.astype(np.uint32)
    low = np.argsort((wide & 0xFFFF).astype(np.uint16), kind="stable")
    high = np.argsort((wide[low] >> 16).astype(np.uint16), kind="stable")
    return low[high]


class Groups(NamedTuple):
    """The rows of each group of a key column (:func:`groups`), worked out once and
    shared by every :func:`partial` table on the same keys."""

    #: The distinct keys, sorted (the index of the partial tables).
    index: pd.Index
    #: The rows with a key, group by group, each group's rows in order.
    take: np.ndarray
    #: Group ``g`` holds the rows ``take[bounds[g] : bounds[g + 1]]``.
    bounds: np.ndarray
    #: The number of rows (with a key or not).
    size: int
    #: Each row's group (its position in ``index``), -1 for a row without a key.
    codes: np.ndarray


def _sorted_groups(key: pd.Series, keep: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """The sorted distinct keys of the kept rows and each kept row's group: the keys as
    a Series infers them (text as ``str``), sorted as :func:`pandas.factorize` sorts."""
    codes, uniq = pd.factorize(key[keep], sort=True)
    return pd.Index(uniq), codes


def _text_codes(obj: np.ndarray) -> tuple[pd.Index, np.ndarray] | None:
    """:func:`_group_codes` of keys that are all ``str`` (or null), by a factorisation
    of the Python objects (no text column of every row made first); ``None`` for any
    other keys. The distinct texts, with one null of each type found, go through
    :func:`_sorted_groups` themselves, so the index has the same dtype and order."""
    codes, uniq = pd.factorize(obj)
    if len(uniq) == 0 or set(map(type, uniq.tolist())) != {str}:
        return None
    missing = codes < 0
    nulls = {type(x): x for x in obj[missing].tolist()} if missing.any() else {}
    small = pd.Series(np.append(uniq, np.array(list(nulls.values()), dtype=object)))
    index, rank = _sorted_groups(small, small.notna().to_numpy(dtype=bool))
    return index, np.where(missing, -1, rank[codes])


def _group_codes(obj: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """The sorted distinct keys (as a Series infers them) and each row's group, -1 for a
    null key."""
    text = _text_codes(obj)
    if text is not None:
        return text
    keep = pd.notna(obj)
    index, codes = _sorted_groups(pd.Series(obj), keep)
    out = np.full(len(obj), -1, dtype="int64")
    out[keep] = codes
    return index, out


def _ordered(index: pd.Index, codes: np.ndarray) -> Groups:
    keep = codes >= 0
    if not keep.any():
        none = np.zeros(0, dtype="int64")
        return Groups(index[:0], none, np.zeros(1, "int64"), len(codes), codes)
    kept = codes[keep]
    order = _stable_order(kept, len(index))
    bounds = np.concatenate([[0], np.cumsum(np.bincount(kept, minlength=len(index)))])
    return Groups(index, np.flatnonzero(keep)[order], bounds, len(codes), codes)


def groups(keys: Any) -> Groups:
    """The groups of the rows by ``keys`` (null keys left out, as ``groupby`` does).

    :func:`partial` takes them in place of the keys: a key column read by several
    partial tables (parks, towns) is grouped once.
    """
    obj = np.asarray(keys, dtype=object)
    if not pd.notna(obj).any():
        return _ordered(pd.Index([]), np.full(len(obj), -1))
    return _ordered(*_group_codes(obj))


def groups_of(values: Any, codes: Any) -> Groups:
    """``groups(values[codes])`` without the key of every row: ``values`` the distinct
    keys (a few, equal ones allowed), ``codes`` the position of each row's key in them."""
    obj = np.asarray(values, dtype=object)
    codes = np.asarray(codes, dtype="int64")
    used = np.bincount(codes, minlength=len(obj)) > 0
    if not pd.notna(obj[used]).any():
        return _ordered(pd.Index([]), np.full(len(codes), -1))
    index, code = _group_codes(obj[used])
    remap = np.full(len(obj), -1, dtype="int64")
    remap[used] = code
    return _ordered(index, remap[codes])


def _summed(values: np.ndarray, grouped: Groups) -> list[tuple[float, ...]]:
    """The exact parts of each group's sum of ``values`` (:func:`_exact_groups`).

    A column that is mostly 0 or NaN (the area of one status, of one kind of land) is
    summed from its other rows only, found in row order and put in group order by their
    groups' codes: the same values in the same order as each group's rows without its
    zeros, so the same parts. A column holding an infinite value goes the whole way.
    """
    rows = np.flatnonzero((values != 0.0) & ~np.isnan(values))
    if 2 * len(rows) > len(grouped.take) or np.isinf(values[rows]).any():
        return _exact_groups(values[grouped.take], grouped.bounds)
    code = grouped.codes[rows]
    rows, code = rows[code >= 0], code[code >= 0]
    order = np.argsort(code, kind="stable")
    counts = np.bincount(code, minlength=len(grouped.index))
    return _exact_groups(values[rows[order]], np.concatenate([[0], np.cumsum(counts)]))


def _counted(values: np.ndarray, grouped: Groups) -> np.ndarray:
    """The count of true ``values`` in each group, from the true rows' groups only."""
    code = grouped.codes[np.flatnonzero(values)]
    return np.bincount(code[code >= 0], minlength=len(grouped.index)).astype("int64")


def _empty(kinds: Mapping[str, str], name: str) -> pd.DataFrame:
    dtypes = {SUM: object, COUNT: "int64", ANY: bool, ALL: bool, FIRST: "int64", IDS: object}
    out = pd.DataFrame({c: pd.Series(dtype=dtypes[k]) for c, k in kinds.items()})
    out.index.name = name
    return out


def partial(
    keys: Any,
    columns: Mapping[str, Any],
    kinds: Mapping[str, str],
    *,
    rows: Any = None,
    name: str = "key",
) -> pd.DataFrame:
    """The partial table of one set of rows: one row per group, one column per figure.

    Parameters
    ----------
    keys
        The group of each row; rows with a null key are left out (as ``groupby`` does).
        Or their :func:`groups`, when several tables are made on the same keys.
    columns
        Per figure, its value on each row (arrays as long as ``keys``).
    kinds
        Per figure, how it adds up: :data:`SUM` (kept exactly, :func:`exact`),
        :data:`COUNT` (integers), :data:`ANY`, :data:`ALL`, :data:`FIRST` (the smallest
        row number, values unused) or :data:`IDS` (the non-null values with their row
        numbers).
    rows
        The rows' numbers among all rows (default 0…n-1): the order of :data:`IDS` and
        :data:`FIRST`.
    name
        The name of the index.

    Returns
    -------
    DataFrame
        Indexed by the groups (sorted); :data:`SUM` and :data:`IDS` cells are tuples.
    """
    grouped = keys if isinstance(keys, Groups) else groups(keys)
    number = np.arange(grouped.size) if rows is None else np.asarray(rows, dtype="int64")
    if len(grouped.take) == 0:
        return _empty(kinds, name)
    bounds = grouped.bounds
    starts = bounds[:-1]
    take = grouped.take  # each kept row, in group order: one gather a column
    out: dict[str, Any] = {}
    for col, kind in kinds.items():
        if kind == SUM:
            out[col] = _summed(np.asarray(columns[col], dtype="float64"), grouped)
            continue
        if kind == COUNT and np.asarray(columns[col]).dtype == bool:
            out[col] = _counted(np.asarray(columns[col]), grouped)
            continue
        value = np.asarray(columns[col])[take] if kind != FIRST else None
        if kind in _REDUCERS:
            out[col] = _reduced(kind, value, starts)
        elif kind == FIRST:
            out[col] = np.minimum.reduceat(number[take], starts)
        elif kind == IDS:
            # the known values with their row numbers, then each group's slice of them
            at = np.flatnonzero(pd.notna(value))
            pairs = list(zip(number[take][at].tolist(), value[at], strict=True))
            cut = np.searchsorted(at, bounds).tolist()
            out[col] = [tuple(pairs[a:b]) for a, b in zip(cut[:-1], cut[1:], strict=True)]
        else:
            raise ValueError(f"kind {kind!r} is none of sum, count, any, all, first, ids")
    frame = pd.DataFrame(out, index=grouped.index.rename(name))
    for col, kind in kinds.items():
        if kind in (SUM, IDS):
            frame[col] = frame[col].astype(object)
    return frame


def _regrouped(index: pd.Index, *, single_table: bool) -> tuple[Any, np.ndarray, np.ndarray]:
    """The sorted distinct groups of the partial tables' rows, the rows in group order and
    each group's bounds among them. One table of distinct sorted groups (what
    :func:`partial` gives) is already so: no factorisation of its index."""
    if single_table and index.is_unique and index.is_monotonic_increasing:
        return index, np.arange(len(index)), np.arange(len(index) + 1)
    codes, uniq = pd.factorize(index, sort=True)
    order = np.argsort(codes, kind="stable")
    return uniq, order, np.searchsorted(codes[order], np.arange(len(uniq) + 1))


def reduce(partials: Iterable[pd.DataFrame], kinds: Mapping[str, str]) -> pd.DataFrame:
    """The figures of all rows from the partial tables of their sets (:func:`partial`).

    Returns
    -------
    DataFrame
        One row per group (sorted): :data:`SUM` the correctly rounded float sum,
        :data:`COUNT` and :data:`FIRST` integers, :data:`ANY` / :data:`ALL` booleans,
        :data:`IDS` a list of the IDs in row order.
    """
    frames = [p for p in partials if len(p)]
    name = next((p.index.name for p in frames), "key")
    if not frames:
        out = _empty(kinds, name)
        for col, kind in kinds.items():
            if kind == SUM:
                out[col] = out[col].astype("float64")
        return out
    both = pd.concat(frames)
    uniq, order, bounds = _regrouped(both.index, single_table=len(frames) == 1)
    starts = bounds[:-1]
    pairs = list(zip(starts.tolist(), bounds[1:].tolist(), strict=True))
    single = len(uniq) == len(both)  # one partial table, or disjoint groups
    out = pd.DataFrame(index=pd.Index(uniq))
    for col, kind in kinds.items():
        value = both[col].to_numpy()[order]
        if kind == SUM:
            if single:
                # the parts of one table are already the exact sum: fsum of them is the
                # first, the correctly rounded sum (0.0 for none); infinite sums come as
                # one part
                sums = [t[0] if t else 0.0 for t in value]
            else:
                sums = [total(p for t in value[a:b] for p in t) for a, b in pairs]
            out[col] = np.asarray(sums, dtype="float64")
        elif kind in _REDUCERS:
            out[col] = _reduced(kind, value, starts)
        elif kind == FIRST:
            out[col] = np.minimum.reduceat(value.astype("int64"), starts)
        elif kind == IDS:
            if single:
                ids = [[v for _, v in sorted(t)] for t in value]
            else:
                ids = [[v for _, v in sorted(x for t in value[a:b] for x in t)] for a, b in pairs]
            out[col] = pd.Series(ids, index=out.index, dtype=object)
    out.index.name = name
    return out
