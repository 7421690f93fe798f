"""Values as offices write them: IDs, numbers, dates and names, read by one set of rules.

Each reader returns the values **and** what it could not read or had to decide, so that
:mod:`xsland.read.validate` can raise a named error or list a finding in the data-quality
table. Nothing is guessed silently: a cell is read as the value a person would read, or
it is listed.

IDs (:func:`normalise_ids`)
    Every ID in every join (``parcel_id``, ``enterprise_id``, ``park_id``, ``building_id``)
    is compared as text after: Unicode NFKC (full-width ``ＸＳ０１`` → ``XS01``); removal
    of zero-width characters; stripping of spaces at both ends (also the ideographic
    space U+3000 and the non-breaking space U+00A0); numbers written without a trailing
    ``.0`` (an integer ``123``, a float ``123.0`` and the text ``'123.0'`` all become
    ``'123'``). Case and inner characters are kept.

Numbers (:func:`parse_numbers`)
    After NFKC (full-width digits, ``＋``/``－``, ``，`` and ``％``; the minus sign
    U+2212 counts as ``-``) and stripping, a cell must be a plain decimal number
    (``1234.5``, ``-3``, ``.5``, ``1e3``). Separators are decided **per column**, never
    per cell. Spaces (also U+00A0, U+202F, U+2009 and U+3000, which NFKC makes spaces)
    and apostrophes (``'``, ``’``) come first: when every cell with a space fits
    ``^\\d{1,3}( \\d{3})+([.,]\\d+)?$`` the spaces are thousands separators
    (``1 234 567`` → 1234567), and likewise apostrophes (``1'234.5`` → 1234.5);
    otherwise every cell with one is listed as unreadable (``12 34``, ``1 2``: two
    numbers, or one?). Then commas: when every cell with a comma fits
    ``^\\d{1,3}(,\\d{3})+(\\.\\d+)?$`` the commas are thousands separators
    (``1,234.5`` → 1234.5), unless the column already groups thousands with spaces or
    apostrophes (two thousands separators in one column: listed); otherwise, when every
    such cell fits ``^\\d+,\\d+$`` once its spaces or apostrophes are removed and no
    cell of the column has a decimal point, they are decimal commas (``1,5`` → 1.5,
    ``1 234,5`` → 1234.5); otherwise every cell with a comma is listed as unreadable.
    A trailing ``%`` divides by 100 in a share column and is listed as
    unreadable in any other column. ``inf``, ``nan`` and values that overflow are
    *non-finite*: errors with their rows.

Units in column headers (:func:`header_unit`)
    A unit in brackets at the end of a header (``营收(亿元)``, ``面积（亩）``), written as
    its last characters (``营业收入万元``) or as an ASCII suffix (``fund_wan``,
    ``area_mu``) converts the column to the contract's unit: money to 万元 (元 ×0.0001,
    千元 ×0.1, 百万元 ×100, 亿元 ×10 000), areas to m² (亩 ×10 000/15, 公顷 ×10 000,
    平方公里 ×1 000 000, 万平方米 ×10 000), heights to m, floors in 层. A unit of the
    wrong quantity (``营收(亩)``) is an error, as is one that contradicts the unit stated
    in the project file.

Dates (:func:`read_dates`)
    Read: typed dates; ``2024-03-01``, ``2024/3/1``, ``2024.3.1``, ``2024年3月1日`` (with
    an optional time, which is dropped); ``20240301``; Excel serial numbers from 18264
    (1950-01-01) to 73415 (2100-12-31) in numeric cells or as whole-number text;
    day-month-year with a four-digit year when one of day and month is above 12
    (``29/8/2025``). Month only (``2024/03``, ``2024年3月``) is read as the **first day
    of that month** and listed as imprecise (in validation, a month holding the policy
    date — 2025-08 for 2025-08-29 — is listed as ambiguous and not read: before or after
    the policy cannot be told). Listed and **not** read (NaT): a year
    alone (``2024``, ``2024年``); any year not written with four digits (``25/9/1``,
    ``25年9月1日``, ``1/9/25``: which part is the year, and which century, is a guess);
    day and month both 12 or less in a year-last form (``1/9/2025``); sentinel dates
    that mean "no date" — ``9999-12-31``, ``2099-12-31`` ("long term"), ``1970-01-01``
    (Unix 0), ``1900-01-01``, ``1899-12-30`` and ``1899-12-31`` (Excel 0),
    ``0000-00-00`` and any date in year 9999 or 0000; dates outside the policy's
    ``date_min``–``date_max`` (default 1950-01-01 – 2100-12-31); dates pandas cannot
    represent. Unreadable text is an error naming the rows.

True/false (:func:`as_bool`)
    ``True``/``False`` however a table stored them: booleans, the numbers 1 and 0, and
    the words ``true``/``false``, ``t``/``f``, ``yes``/``no``, ``y``/``n``, ``1``/``0``,
    ``1.0``/``0.0``, ``是``/``否`` (case and surrounding spaces ignored). Anything else,
    and a missing value, is NA: never a guess.

Names (:func:`name_keys`)
    Names compared across tables (industries, towns, parks, enterprises) are compared
    by a key: NFKC; the brackets ``（）【】〔〕［］〖〗｛｝`` as ``()``; ``、，`` as ``,``;
    dashes as ``-``; whitespace collapsed, removed next to any character that is not a
    Latin letter or digit, and stripped; case folded. ``数字经济(软件)`` and
    ``数字经济（软件）`` have one key. The names themselves are shown as written.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xsland.rules.units import M2_PER_MU

__all__ = [
    "as_bool",
    "nul_cells",
    "replace_surrogates",
    "surrogate_cells",
    "normalise_id",
    "normalise_ids",
    "normalise_ids_twice",
    "ids_already_normal",
    "name_key",
    "name_keys",
    "unify_names",
    "parse_numbers",
    "NumberResult",
    "header_unit",
    "HeaderUnit",
    "UNITS",
    "read_dates",
    "DateResult",
    "SENTINEL_DATES",
]


def nul_cells(values: pd.Series) -> np.ndarray:
    """Which cells of a column are text holding NUL (U+0000); numbers, dates and
    booleans never are.

    Arrow text is checked on its UTF-8 bytes first, the used part of each chunk's data
    buffer: UTF-8 has a zero byte only for U+0000, so a clean column (nearly every one)
    costs one vectorised pass over its bytes, and its cells are searched only when it
    has one. Other text (object, Python strings, categories) is searched cell by cell.

    Examples
    --------
    >>> nul_cells(pd.Series(["a", None, "b\\x00c"], dtype="str")).tolist()
    [False, False, True]
    """
    array = values.array
    if isinstance(array, pd.arrays.ArrowExtensionArray):
        if not any(_has_zero_byte(c) for c in array.__arrow_array__().chunks):
            return np.zeros(len(values), dtype=bool)
    elif not (
        values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype)
    ):
        return np.zeros(len(values), dtype=bool)
    cells = values.to_numpy(dtype=object)
    return np.fromiter(
        (isinstance(v, str) and "\x00" in v for v in cells), dtype=bool, count=len(cells)
    )


#: An unpaired UTF-16 surrogate (U+D800–U+DFFF) in a Python string.
_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_cells(values: pd.Series) -> np.ndarray:
    """Which cells of a column are text holding an unpaired surrogate (U+D800–U+DFFF).

    Such a string (Python makes one from undecodable bytes with ``surrogateescape``)
    cannot be encoded as UTF-8, so neither Arrow, GDAL, Excel nor PostgreSQL can hold
    it. Arrow text never has one (it is UTF-8); other text (object, Python strings,
    categories) is searched cell by cell; numbers, dates and booleans never are text.

    Examples
    --------
    >>> surrogate_cells(pd.Series(["a", None, "b\\udc80"], dtype=object)).tolist()
    [False, False, True]
    """
    if isinstance(values.array, pd.arrays.ArrowExtensionArray) or not (
        values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype)
    ):
        return np.zeros(len(values), dtype=bool)
    search = _SURROGATE.search
    cells = values.to_numpy(dtype=object)
    return np.fromiter(
        (isinstance(v, str) and search(v) is not None for v in cells), dtype=bool, count=len(cells)
    )


def replace_surrogates(text: str) -> str:
    """``text`` with each unpaired surrogate replaced by U+FFFD, as a UTF-8 decoder
    replaces bytes it cannot read.

    >>> replace_surrogates("甲\\udc80乙")
    '甲\ufffd乙'
    """
    return _SURROGATE.sub("\ufffd", text)


def _has_zero_byte(chunk: pa.Array) -> bool:
    """Whether the UTF-8 bytes of a (large) string Arrow array's values hold 0."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return False
    if len(chunk) == 0:
        return False
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
    start, end = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
    data = chunk.buffers()[2]
    if data is None or end <= start:
        return False
    return not np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start).all()


_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0", "是"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0", "否"})


def as_bool(values: pd.Series) -> pd.Series:
    """A nullable boolean series from however a table stored true and false.

    Parameters
    ----------
    values
        Booleans, the numbers 1/0, or the words listed in the module's rules
        (``"True"``, ``"f"``, ``"是"`` …).

    Returns
    -------
    pandas.Series
        Dtype ``boolean`` with the index of ``values``; NA where a value is missing or is
        none of the known forms (``2``, ``"maybe"``).
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    if pd.api.types.is_numeric_dtype(values):
        mapped = values.astype("Float64").map({1.0: True, 0.0: False}, na_action="ignore")
        return pd.Series(pd.array(mapped.to_list(), dtype="boolean"), index=values.index)

    def one(v: Any) -> Any:
        if isinstance(v, bool | np.bool_):
            return bool(v)
        if _is_missing(v):
            return pd.NA
        if isinstance(v, int | float | np.integer | np.floating):
            return {1: True, 0: False}.get(v, pd.NA)
        text = str(v).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else pd.NA

    return pd.Series(pd.array([one(v) for v in values], dtype="boolean"), index=values.index)


# ---------------------------------------------------------------------------
# IDs
# ---------------------------------------------------------------------------

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TRAILING_ZEROS = re.compile(r"^([+-]?\d+)\.0+$")


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def normalise_id(value: Any) -> str | None:
    """One ID as the text every join compares (``None`` when empty).

    >>> normalise_id(123.0), normalise_id(" 123\\u3000"), normalise_id("ＸＳ０１")
    ('123', '123', 'XS01')
    """
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isfinite(v) and v.is_integer():
            return str(int(v))
        return repr(v)
    text = unicodedata.normalize("NFKC", str(value))
    text = _ZERO_WIDTH.sub("", text).strip()
    text = _TRAILING_ZEROS.sub(r"\1", text)
    return text or None


def _already_normal(text: pd.Series) -> np.ndarray:
    """Which texts :func:`normalise_id` leaves as they are, by Arrow's string kernels.

    Printable ASCII (``' '`` to ``'~'``), at least one character, without a space at
    either end, and not like ``12.0`` (:math:`[+-]?[0-9]+\\.0+`): NFKC, the zero-width
    characters, the strip and the trailing ``.0`` cannot change it. NA counts as not.
    """
    a = pa.array(text.astype("string[pyarrow]").array)
    return np.asarray(_normal_texts(a).fill_null(False), dtype=bool)


def _normal_texts(a: pa.Array) -> pa.Array:
    """:func:`_already_normal` of an Arrow string array, null where ``a`` is null.

    The regular expression is matched only on the texts ending in ``0`` with a ``.``
    (the few that can be like ``12.0``), not on every ID.
    """
    ends = pc.or_(pc.starts_with(a, " "), pc.ends_with(a, " "))
    normal = pc.and_(pc.ascii_is_printable(a), pc.greater(pc.binary_length(a), 0))
    normal = pc.and_(normal, pc.invert(ends))
    maybe = pc.and_(pc.ends_with(a, "0"), pc.match_substring(a, ".")).fill_null(False)
    if pc.any(maybe).as_py():
        like = pc.match_substring_regex(pc.filter(a, maybe), r"^[+-]?[0-9]+\.0+$")
        maybe = pc.replace_with_mask(maybe, maybe, like)
    return pc.and_(normal, pc.invert(maybe))


def ids_already_normal(values: pd.Series) -> bool:
    """Whether :func:`normalise_ids` gives ``values`` back cell for cell, object for object.

    True for an object column whose every cell is ``None`` or a ``str`` (exactly: not a
    subclass, not NaN, not a number) that :func:`normalise_id` leaves as it is
    (:func:`_already_normal`): what :func:`xsland.read.io.read_layer` stores. One pass
    over the cells' types, then the column made Arrow text in one call (``None`` as null)
    for Arrow's string kernels, instead of the per-cell work, so
    :func:`xsland.read.harmonise.harmonise` can keep such columns as they are.
    """
    if values.dtype != object:
        return False
    raw = values.to_numpy(dtype=object)
    if not set(map(type, raw)) <= {str, type(None)}:
        return False
    a = pa.array(raw, type=pa.string(), from_pandas=True)
    return bool(pc.all(_normal_texts(a)).as_py() is not False)


def normalise_ids(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """IDs as normalised text (object dtype, ``None`` when empty), and where the text changed.

    A cell "changed" when its text as written differs from the normalised ID (``'E1 '``,
    ``'123.0'``, ``'ＸＳ０１'``); a number in a numeric column is written as it reads and
    does not count as changed unless it is a float such as ``123.0``.
    """
    ids, changed, _ = _normalised(values)
    return pd.Series(ids, index=values.index, dtype=object), changed


def normalise_ids_twice(values: pd.Series) -> tuple[pd.Series, np.ndarray, pd.Series]:
    """:func:`normalise_ids`, and ``normalise_ids`` of its IDs, reading again only what it wrote.

    :func:`normalise_id` of a normalised ID is mostly that ID, not always: NFKC composes a
    letter and its accent only once a zero-width joiner between them has been removed
    (``'e\u200d\u0301'`` → ``'e\u0301'`` → ``'é'``). A cell kept as it was written (plain
    ASCII, or text :func:`normalise_id` returned unchanged) and a number are their own
    normalised form, so only the texts it rewrote are normalised again: the same result
    as ``normalise_ids(normalise_ids(values)[0])[0]`` without reading a million plain IDs
    twice.

    Returns
    -------
    (Series, ndarray, Series)
        The IDs and where they changed (:func:`normalise_ids`), and the IDs normalised again.
    """
    ids, changed, rewritten = _normalised(values)
    again = ids.copy()
    again[rewritten] = [normalise_id(v) for v in ids[rewritten]]
    index = values.index
    return (
        pd.Series(ids, index=index, dtype=object),
        changed,
        pd.Series(again, index=index, dtype=object),
    )


def _normalised(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The IDs of :func:`normalise_ids` (objects), where they changed, and the positions of
    the texts :func:`normalise_id` rewrote (not numbers, not the cell's own text)."""
    n = len(values)
    nowhere = np.zeros(0, dtype=np.int64)
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        text = values.astype("int64").astype(str).to_numpy(dtype=object)
        return text, np.zeros(n, dtype=bool), nowhere
    raw = values.to_numpy(dtype=object)
    simple = np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.StringDtype):
        is_str = values.notna().to_numpy(dtype=bool)
        if is_str.any():  # the column's own Arrow strings, not rebuilt from Python objects
            simple = _already_normal(values.astype("string[pyarrow]"))
    else:
        is_str = np.fromiter((type(v) is str for v in raw), dtype=bool, count=n)
        if is_str.any():
            simple[is_str] = _already_normal(pd.Series(raw[is_str], dtype="string[pyarrow]"))
    out = raw.copy()  # an already normal ID is its own text
    hard = np.flatnonzero(is_str & ~simple)
    out[hard] = [normalise_id(v) for v in raw[hard]]
    others = np.flatnonzero(~is_str)
    out[others] = [normalise_id(v) for v in raw[others]]
    if pd.api.types.is_float_dtype(values.dtype):
        changed = np.zeros(n, dtype=bool)  # a numeric column: one summary, not per row
    else:
        changed = np.zeros(n, dtype=bool)
        look = hard[(out[hard] != raw[hard]) & (out[hard] != None)]  # noqa: E711
        changed[look] = True
        rest = others[[out[i] is not None and str(raw[i]) != out[i] for i in others]]
        changed[rest] = True
    # a text normalise_id returned as it was is its own normal form (normalise_id of it is
    # it again); a number's text ('12', '1.5', 'True') is plain ASCII, normal too
    numbers = (bool, np.bool_, int, np.integer, float, np.floating)
    rewritten = [i for i in hard if out[i] is not raw[i]]
    rewritten += [i for i in others if not isinstance(raw[i], numbers)]
    return out, changed, np.asarray(sorted(rewritten), dtype=np.int64)


# ---------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------

_BRACKETS = str.maketrans(
    {
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "〖": "(",
        "〗": ")",
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "、": ",",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "・": "·",
        "•": "·",
        "‧": "·",
    }
)
_SPACE_RUN = re.compile(r"\s+")
_SPACE_NEAR = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")


def name_key(value: Any) -> str | None:
    """The key under which a name is compared across tables (``None`` when empty).

    >>> name_key("数字经济（软件）") == name_key(" 数字经济 (软件)\\u3000")
    True
    """
    if _is_missing(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_BRACKETS)
    text = _ZERO_WIDTH.sub("", text)
    text = _SPACE_RUN.sub(" ", text).strip()
    text = _SPACE_NEAR.sub("", text).casefold()
    return text or None


def _per_distinct(
    values: pd.Series | np.ndarray, fn: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``fn`` of each distinct text once: (codes, distinct texts, results).

    Cells are compared as ``str(value)`` (``1`` and ``1.0`` stay apart, as their text
    does); a missing cell (``None``, NaN, NA, NaT) gets code -1, and ``results[-1]`` is
    ``None``. Codes number the texts in the order they first appear.

    Text is factorised as it is — a ``string`` column in its own (Arrow) form, an object
    column whose cells are all text as objects — and ``str`` is taken of the distinct
    values only; only a column holding other objects (numbers, dates) is turned into
    text cell by cell first, so that ``1`` and ``1.0``, equal as numbers, stay apart.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        found, uniques = pd.factorize(values)
        codes = np.asarray(found, dtype=np.int64)
        distinct = np.array([str(v) for v in uniques.to_numpy(dtype=object)], dtype=object)
    else:
        if isinstance(values, pd.Series):
            values = values.to_numpy(dtype=object)
        missing = pd.isna(pd.Series(values, dtype=object)).to_numpy(dtype=bool)
        codes = np.full(len(values), -1, dtype=np.int64)
        present = values[~missing]
        if pd.api.types.infer_dtype(present, skipna=False) == "string":
            found, uniques = pd.factorize(present)
            distinct = np.array([str(v) for v in uniques], dtype=object)
        else:
            found, uniques = pd.factorize(np.array([str(v) for v in present], dtype=object))
            distinct = np.asarray(uniques, dtype=object)
        codes[~missing] = found
    done = np.array([fn(v) for v in distinct] + [None], dtype=object)  # last: the NA code
    return codes, distinct, done


def name_keys(values: pd.Series) -> pd.Series:
    """:func:`name_key` of every cell, same index, ``string`` dtype (NA when empty).

    Each distinct name is normalised once (a column of industries or towns holds a
    few names in many rows).
    """
    codes, _, keys = _per_distinct(values, name_key)
    return pd.Series(pd.array(keys[codes], dtype="string"), index=values.index)


def unify_names(*columns: pd.Series) -> tuple[list[pd.Series], list[tuple[str, str, int]]]:
    """Give names with one key one spelling (the first met) across several columns.

    Returns
    -------
    (list of Series, list of (written, shown as, cells))
        The columns with every spelling replaced by the first spelling of its key, and
        the spellings that were matched only after normalisation, with their counts.
    """
    first: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    out = []
    for col in columns:
        raw = col.to_numpy(dtype=object)
        codes, distinct, keys = _per_distinct(col, name_key)
        # spellings in the order they first appear in the column, as a row loop meets them
        seen = np.full(len(distinct), len(raw))
        np.minimum.at(seen, codes[codes >= 0], np.flatnonzero(codes >= 0))
        n_rows = np.bincount(codes[codes >= 0], minlength=len(distinct))
        shown = np.empty(len(distinct) + 1, dtype=object)
        for i in np.argsort(seen, kind="stable"):
            v, key = distinct[i], keys[i]
            if key is None:
                shown[i] = v
                continue
            shown[i] = first.setdefault(key, str(v))
            if str(v) != shown[i]:
                counts[(str(v), shown[i])] = counts.get((str(v), shown[i]), 0) + int(n_rows[i])
        new = shown[codes].copy()
        missing = codes < 0
        new[missing] = raw[missing]
        out.append(pd.Series(new, index=col.index, dtype=object))
    return out, [(a, b, n) for (a, b), n in counts.items()]


# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
#: Thousands separators other than the comma, with the pattern every cell using one fits.
_GROUPS = {
    " ": re.compile(r"^[+-]?\d{1,3}( \d{3})+([.,]\d+)?$"),
    "'": re.compile(r"^[+-]?\d{1,3}('\d{3})+([.,]\d+)?$"),
}
_GROUP_NAMES = {" ": "spaces", "'": "apostrophes"}
_NONFINITE = re.compile(r"^[+-]?(inf|infinity|nan|∞)$", re.IGNORECASE)


@dataclass
class NumberResult:
    """What :func:`parse_numbers` read.

    Attributes
    ----------
    values
        float64, NaN where empty or not read.
    bad
        Cells that are not numbers (with a reason each in ``reasons``).
    nonfinite
        Cells that are ``inf``/``nan`` written out, or overflow.
    reasons
        Position -> why the cell was not read.
    notes
        What was converted for the whole column (thousands separators, decimal commas,
        full-width characters, percentages), for the quality table.
    """

    values: np.ndarray
    bad: np.ndarray
    nonfinite: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_WIDE_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f]")


def _clean_number_text(v: Any) -> tuple[str, bool]:
    """NFKC, minus sign and strip; and whether NFKC changed anything."""
    text = str(v)
    norm = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    norm = _ZERO_WIDTH.sub("", norm).strip()
    # a space of another width (U+00A0, U+202F, U+2009 …) is not a full-width character
    return norm, norm != _ZERO_WIDTH.sub("", _WIDE_SPACES.sub(" ", text)).strip()


def _comma_mode(texts: list[str | None]) -> str:
    """``"thousands"``, ``"decimal"``, ``"none"`` or ``"unclear"`` for one column."""
    with_comma = [t.rstrip("%") for t in texts if t and "," in t]
    if not with_comma:
        return "none"
    if all(_THOUSANDS.match(t) for t in with_comma):
        return "thousands"
    has_point = any(t and "." in t and "," not in t for t in texts)
    if not has_point and all(_DECIMAL_COMMA.match(t) for t in with_comma):
        return "decimal"
    return "unclear"


def _ungroup(
    texts: list[str | None], bad: np.ndarray, reasons: dict[int, str]
) -> tuple[list[str | None], dict[str, int]]:
    """Cells without a trailing ``%`` and without spaces or apostrophes grouping thousands.

    Decided per column (module rules): when a cell using a separator does not fit its
    pattern, every cell using it is marked in ``bad`` (with a reason) and left out.
    Returns the bodies and, per separator, how many cells it grouped.
    """
    bodies: list[str | None] = [None] * len(texts)
    for i, text in enumerate(texts):
        if text is not None:
            body = text[:-1].rstrip() if text.endswith("%") else text
            bodies[i] = body.replace("\u2019", "'")
    grouped = {}
    for sep, pattern in _GROUPS.items():
        using = [i for i, b in enumerate(bodies) if b and sep in b]
        if using and all(pattern.match(bodies[i]) for i in using):
            for i in using:
                bodies[i] = bodies[i].replace(sep, "")
            grouped[sep] = len(using)
            continue
        for i in using:
            bad[i], reasons[i] = (
                True,
                f"{_GROUP_NAMES[sep]} inside a number: thousands or two numbers?",
            )
            bodies[i] = None
        grouped[sep] = 0
    return bodies, grouped


#: A plain number: sign, digits with a decimal point, exponent (:func:`_plain_numbers`).
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?$"


def _plain_numbers(raw: np.ndarray) -> np.ndarray | None:
    """The values of a text column of plain ASCII numbers, or ``None`` to read cell by cell.

    The texts are matched by Arrow's regular expressions, ASCII digits only (a full-width
    or Arabic-Indic digit is read cell by cell, as pandas cannot parse it).
    """
    text = pd.Series(raw, dtype=object)
    empty = text.isna().to_numpy()
    if not set(map(type, raw[~empty])) <= {str}:
        return None
    cells = pa.array(raw[~empty], type=pa.string())
    plain = pc.match_substring_regex(cells, _PLAIN_NUMBER)
    if pc.all(plain).as_py() is False:
        return None
    out = np.full(len(raw), np.nan)
    out[~empty] = pd.to_numeric(text[~empty]).to_numpy(dtype="float64")
    return out


def parse_numbers(values: pd.Series, *, share: bool = False, factor: float = 1.0) -> NumberResult:
    """Read a column of numbers as offices write them (rules in the module docstring).

    Parameters
    ----------
    values
        Any dtype; numeric columns are taken as they are (only non-finite values listed).
    share
        The column holds shares: ``45%`` reads 0.45.
    factor
        Multiplies every value read (a unit conversion, see :func:`header_unit`).
    """
    n = len(values)
    out = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    nonfinite = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    notes: list[str] = []
    if pd.api.types.is_bool_dtype(values.dtype):
        bad[:] = values.notna().to_numpy()
        return NumberResult(out, bad, nonfinite, dict.fromkeys(np.flatnonzero(bad), "yes/no"))
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan).copy()
        nonfinite = np.isinf(out)
        out[nonfinite] = np.nan
        return NumberResult(out * factor, bad, nonfinite, {}, notes)
    raw = values.to_numpy(dtype=object)
    fast = _plain_numbers(raw)
    if fast is not None:
        return NumberResult(fast * factor, bad, nonfinite, reasons, notes)
    texts: list[str | None] = [None] * n
    widened = 0
    for i, v in enumerate(raw):
        if _is_missing(v):
            continue
        if isinstance(v, (bool, np.bool_)):
            bad[i], reasons[i] = True, "yes/no"
        elif isinstance(v, (int, float, np.integer, np.floating)):
            f = float(v)
            if math.isfinite(f):
                out[i] = f
            else:
                nonfinite[i] = True
        else:
            text, changed = _clean_number_text(v)
            widened += changed
            texts[i] = text or None
    bodies, grouped = _ungroup(texts, bad, reasons)
    mode = _comma_mode(bodies)
    if mode == "thousands" and any(grouped.values()):
        mode = "unclear"  # 1 234 and 5,678 in one column: is 5,678 5678 or 5.678?
    counts = {"thousands": 0, "decimal": 0, "percent": 0}
    for i, text in enumerate(texts):
        if text is None or bad[i]:
            continue
        if _NONFINITE.match(text):
            nonfinite[i] = True
            continue
        percent = text.endswith("%")
        body = bodies[i] or ""
        if "," in body:
            if mode == "thousands":
                body, counts["thousands"] = body.replace(",", ""), counts["thousands"] + 1
            elif mode == "decimal":
                body, counts["decimal"] = body.replace(",", "."), counts["decimal"] + 1
            else:
                bad[i], reasons[i] = True, "commas: thousands separator or decimal comma?"
                continue
        if not _NUMBER.match(body):
            bad[i], reasons[i] = True, "not a number"
            continue
        number = float(body)
        if not math.isfinite(number):
            nonfinite[i] = True
            continue
        if percent:
            if not share:
                bad[i], reasons[i] = True, "a percentage in a column that is not a share"
                continue
            number, counts["percent"] = number / 100, counts["percent"] + 1
        out[i] = number
    if counts["thousands"]:
        notes.append(f"{counts['thousands']} values with thousands separators (1,234 = 1234)")
    for sep, n_grouped in grouped.items():
        if n_grouped:
            shown = f"1{sep}234 = 1234"
            notes.append(f"{n_grouped} values with {_GROUP_NAMES[sep]} as thousands separators "
                         f"({shown})")  # fmt: skip
    if counts["decimal"]:
        notes.append(f"{counts['decimal']} values with decimal commas (1,5 = 1.5)")
    if counts["percent"]:
        notes.append(f"{counts['percent']} percentages read as fractions (45% = 0.45)")
    if widened:
        notes.append(f"{widened} values with full-width characters or signs read as half-width")
    return NumberResult(out * factor, bad, nonfinite, reasons, notes)


# ---------------------------------------------------------------------------
# units in headers
# ---------------------------------------------------------------------------


#: unit as written -> (quantity, factor to the contract unit). Contract units: money 万元,
#: area m², length m, floors 层, share (fraction).
UNITS: Mapping[str, tuple[str, float]] = {
    "元": ("money", 1e-4),
    "yuan": ("money", 1e-4),
    "千元": ("money", 0.1),
    "万元": ("money", 1.0),
    "万": ("money", 1.0),
    "wan": ("money", 1.0),
    "百万元": ("money", 100.0),
    "亿元": ("money", 1e4),
    "亿": ("money", 1e4),
    "yi": ("money", 1e4),
    "平方米": ("area", 1.0),
    "平米": ("area", 1.0),
    "m2": ("area", 1.0),
    "m²": ("area", 1.0),
    "sqm": ("area", 1.0),
    "万平方米": ("area", 1e4),
    "亩": ("area", M2_PER_MU),
    "mu": ("area", M2_PER_MU),
    "公顷": ("area", 1e4),
    "ha": ("area", 1e4),
    "hm2": ("area", 1e4),
    "hm²": ("area", 1e4),
    "平方公里": ("area", 1e6),
    "平方千米": ("area", 1e6),
    "km2": ("area", 1e6),
    "km²": ("area", 1e6),
    "米": ("length", 1.0),
    "m": ("length", 1.0),
    "层": ("floors", 1.0),
    "%": ("share", 0.01),
    "百分比": ("share", 0.01),
}
_CJK_SUFFIXES = sorted((u for u in UNITS if not u.isascii()), key=len, reverse=True)
_ASCII_SUFFIX = re.compile(r"[_\-\s]([a-z0-9²]+)$")
_BRACKETED = re.compile(r"[(\[（【]\s*([^()\[\]（）【】]+?)\s*[)\]）】]\s*$")
_PLAIN_NUMBER_WORDS = ("个", "家", "场", "次", "项", "年", "数")


@dataclass(frozen=True)
class HeaderUnit:
    """A unit found in a column header."""

    written: str
    quantity: str
    factor: float


def header_unit(header: str) -> HeaderUnit | None:
    """The unit a column header states, if any (rules in the module docstring).

    >>> header_unit("营收(亿元)")
    HeaderUnit(written='亿元', quantity='money', factor=10000.0)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    m = _BRACKETED.search(text)
    if m:
        unit = m.group(1).strip().lower().replace("m^2", "m2")
        if unit in UNITS:
            return HeaderUnit(m.group(1).strip(), *UNITS[unit])
        return None
    for unit in _CJK_SUFFIXES:
        if text.endswith(unit) and len(text) > len(unit):
            if unit in ("万", "亿", "米") and not text[: -len(unit)]:
                return None
            return HeaderUnit(unit, *UNITS[unit])
    m = _ASCII_SUFFIX.search(text.lower())
    if m and m.group(1) in UNITS and m.group(1) not in ("m",):
        return HeaderUnit(m.group(1), *UNITS[m.group(1)])
    return None


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------

#: Dates that systems write for "no date": listed and read as no date. Any date in year
#: 9999 or 0000 is one too.
SENTINEL_DATES = (
    _dt.date(1899, 12, 30),  # Excel serial 0 (Windows)
    _dt.date(1899, 12, 31),  # Excel serial 0 as some exports show it
    _dt.date(1900, 1, 1),  # Excel serial 1, SQL Server default
    _dt.date(1970, 1, 1),  # Unix time 0
    _dt.date(2099, 12, 31),  # "long term" in land and licence registers
    _dt.date(9999, 12, 31),  # "open end"
)
_SENTINEL_YEARS = (0, 9999)
_EXCEL_MIN, _EXCEL_MAX = 18264, 73415  # 1950-01-01 .. 2100-12-31
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME + r"$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_Y = re.compile(r"^(\d{4})\s*年?$")
_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})" + _TIME + r"$")
_SHORT_YEAR = re.compile(
    r"^(\d{1,2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$"
    r"|^(\d{1,2})\s*[-/.年]\s*(\d{1,2})\s*月?$"
)
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


@dataclass
class DateResult:
    """What :func:`read_dates` read: naive ``datetime64[ns]`` values and the cells listed.

    ``bad`` (not a date), ``ambiguous`` (not read: two-digit year, year alone, day/month
    order unknown), ``imprecise`` (month only: read as the first day), ``sentinel``
    (means "no date"), ``out_of_range`` (outside the plausible range or not
    representable). ``reasons`` holds a short text per listed position.
    """

    values: pd.Series
    bad: np.ndarray
    ambiguous: np.ndarray
    imprecise: np.ndarray
    sentinel: np.ndarray
    out_of_range: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)


def _ymd_of_text(text: str) -> tuple[str, tuple[int, int, int] | None, str]:
    """(status, (y, m, d) or None, reason) of one date text."""
    for pattern in (_YMD, _YMD8):
        m = pattern.match(text)
        if m:
            return "ok", (int(m.group(1)), int(m.group(2)), int(m.group(3))), ""
    m = _YM.match(text)
    if m:
        return "imprecise", (int(m.group(1)), int(m.group(2)), 1), "month only: read as day 1"
    if _Y.match(text):
        return "ambiguous", None, "a year alone is not a date"
    m = _DMY.match(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if a > 12 >= b:
            return "ok", (y, b, a), ""
        if b > 12 >= a:
            return "ok", (y, a, b), ""
        return "ambiguous", None, "day/month order unknown (write year-month-day)"
    if _SHORT_YEAR.match(text):
        return "ambiguous", None, "two-digit year: which part is the year is a guess"
    if re.fullmatch(r"0{4}\D0{1,2}\D0{1,2}", text):
        return "sentinel", None, "0000-00-00 means no date"
    if _SERIAL.match(text):
        return _serial(float(text))
    return "bad", None, "not a date"


def _serial(number: float) -> tuple[str, tuple[int, int, int] | None, str]:
    """An Excel serial number, or a year written as a number."""
    if not math.isfinite(number):
        return "bad", None, "not a date"
    if number.is_integer() and 1000 <= number <= 2999:
        return "ambiguous", None, "a year alone is not a date"
    if number.is_integer() and 19000101 <= number <= 29991231:
        status, ymd, why = _ymd_of_text(str(int(number)))
        return (status, ymd, why) if status == "ok" else ("bad", None, "not a date")
    if _EXCEL_MIN <= number <= _EXCEL_MAX:
        d = _EXCEL_EPOCH + _dt.timedelta(days=int(number))
        return "ok", (d.year, d.month, d.day), ""
    return "bad", None, "number outside the Excel date serials of 1950–2100"


def _one_date(v: Any) -> tuple[str, tuple[int, int, int] | None, str]:
    if _is_missing(v):
        return "empty", None, ""
    if isinstance(v, (_dt.date, pd.Timestamp, np.datetime64)):
        if isinstance(v, np.datetime64):
            v = v.astype("datetime64[D]").astype(object)
            if v is None:
                return "empty", None, ""
            if not isinstance(v, _dt.date):
                return "out_of_range", None, "a date pandas cannot represent"
        return "ok", (v.year, v.month, v.day), ""
    if isinstance(v, (bool, np.bool_)):
        return "bad", None, "not a date"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return _serial(float(v))
    text = unicodedata.normalize("NFKC", str(v))
    text = _ZERO_WIDTH.sub("", text).strip()
    if not text:
        return "empty", None, ""
    return _ymd_of_text(text)


def _typed_dates(arr: np.ndarray) -> tuple[np.ndarray, list]:
    """Factorised (y, m, d) of a ``datetime64`` array of any unit, without ns overflow."""
    nat = np.isnat(arr)
    months = arr.astype("datetime64[M]")
    y = months.astype("int64") // 12 + 1970
    m = months.astype("int64") % 12 + 1
    d = (arr.astype("datetime64[D]") - months.astype("datetime64[D]")).astype("int64") + 1
    key = np.where(nat, -1, y * 10_000 + m * 100 + d)
    codes, uniques = pd.factorize(key)
    codes = np.where(key == -1, -1, codes)
    found = [
        ("empty", None, "") if k == -1 else ("ok", (k // 10_000, k // 100 % 100, k % 100), "")
        for k in uniques.tolist()
    ]
    return codes, found


def _safe_one_date(v: Any) -> tuple[str, tuple[int, int, int] | None, str]:
    try:
        return _one_date(v)
    except (ValueError, OverflowError, TypeError):
        return "bad", None, "not a date"


def _judge(
    status: str, ymd: tuple[int, int, int] | None, why: str, lo: _dt.date, hi: _dt.date
) -> tuple[str, _dt.date | None, str]:
    """(kind, date to use or None, reason) of one distinct cell."""
    if ymd is None:
        return status, None, why
    y, m, d = ymd
    try:
        date = _dt.date(y, m, d)
    except ValueError:
        if y in _SENTINEL_YEARS:
            return "sentinel", None, f"{y:04d}-… means no date"
        return "bad", None, f"no such day {y:04d}-{m:02d}-{d:02d}"
    if date in SENTINEL_DATES or y in _SENTINEL_YEARS:
        return "sentinel", None, f"{date.isoformat()} means no date"
    if not lo <= date <= hi:
        return (
            "out_of_range",
            None,
            f"{date.isoformat()} outside {lo.isoformat()} – {hi.isoformat()}",
        )
    return status, date, why


def read_dates(
    values: pd.Series,
    *,
    earliest: _dt.date = _dt.date(1900, 1, 1),
    latest: _dt.date = _dt.date(2262, 4, 11),
) -> DateResult:
    """Read a date column as offices write it (rules in the module docstring).

    Parameters
    ----------
    values
        Any dtype. Time zones are dropped; times of day are dropped.
    earliest, latest
        The plausible range; dates outside it are listed in ``out_of_range`` and not read.

    Returns
    -------
    DateResult
        With a RangeIndex; never raises for any cell.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    n = len(values)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        codes, found = _typed_dates(values.to_numpy())
    else:
        codes, uniques = pd.factorize(pd.Series(values.to_numpy(dtype=object)))
        found = [_safe_one_date(v) for v in uniques]
    lo = max(earliest, _dt.date(1678, 1, 1))
    hi = min(latest, _dt.date(2262, 4, 11))
    judged = [_judge(status, ymd, why, lo, hi) for status, ymd, why in found]
    judged.append(("empty", None, ""))  # code -1: an empty cell
    kinds = np.array([j[0] for j in judged], dtype=object)[codes]
    masks = {k: kinds == k for k in ("bad", "ambiguous", "imprecise", "sentinel", "out_of_range")}
    why = np.array([j[2] for j in judged], dtype=object)[codes]
    listed = np.flatnonzero(~((kinds == "ok") | (kinds == "empty")))
    reasons = {int(i): str(why[i]) for i in listed}
    day = np.array(
        [np.datetime64(j[1], "D") if j[1] is not None else np.datetime64("NaT") for j in judged],
        dtype="datetime64[D]",
    )[codes]
    parsed = pd.Series(day.astype("datetime64[ns]"), index=range(n))
    return DateResult(
        values=parsed,
        bad=masks["bad"],
        ambiguous=masks["ambiguous"],
        imprecise=masks["imprecise"],
        sentinel=masks["sentinel"],
        out_of_range=masks["out_of_range"],
        reasons=reasons,
    )
