"""JSON that can sit inside an HTML ``<script>`` element: the one escaper of every page.

Text from the data reaches the maps, the difference map and the report as JSON read by
``JSON.parse(el.textContent)``. Inside ``<script type="application/json">`` the HTML parser
ends the element at the first ``</script``, and ``<!--`` starts a comment state, so the
characters ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``;
U+2028 and U+2029 are escaped too, as JavaScript source once treated them as line ends.
The result is still exactly the same JSON value.

The JSON is written by :mod:`orjson` (a map of a million parcels is tens of megabytes of
JSON: several times faster than :func:`json.dumps`), to the character what
:func:`json.dumps` writes (compact, ``ensure_ascii=False``): a value orjson would write
otherwise — a float that is not finite (orjson writes ``null``) or whose text differs
(:data:`SMALL_FLOAT`), a key that is not text, an integer beyond 64 bits, a type orjson
and :mod:`json` treat differently — is written by :func:`json.dumps`, as before.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

__all__ = ["SMALL_FLOAT", "json_bytes_for_html", "json_for_html"]

_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_BYTE_ESCAPES = tuple((c.encode(), e.encode()) for c, e in _ESCAPES)

#: Below this magnitude (and above 0) a float's text differs: Python writes ``2.5e-05``,
#: orjson ``0.000025`` (and ``1e-7`` where Python writes ``1e-07``). From ``1e-4`` up, and
#: for 0, both write the shortest text that reads back as the same float, alike.
SMALL_FLOAT = 1e-4

_LEAVES = frozenset({str, int, bool, type(None)})
_CONTAINERS = frozenset({dict, list, tuple})
_NUMBERS = frozenset({float, int, bool})
#: Up to this many floats are looked at one by one (:func:`_floats_alike`).
_FEW = 16


def json_for_html(obj: Any) -> str:
    """Serialise ``obj`` as compact JSON that is safe inside a ``<script>`` element.

    Parameters
    ----------
    obj
        Anything :func:`json.dumps` accepts, without NaN or infinity (``allow_nan=False``:
        ``NaN`` is not JSON and would break ``JSON.parse`` in the browser); also NumPy
        arrays, written as their ``tolist()``.

    Returns
    -------
    str
        The JSON text with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped: the text of
        ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` so escaped.

    Raises
    ------
    ValueError
        For a float that is not finite.
    TypeError
        For a value JSON has no form for.
    """
    data = _orjson_for_html(obj)
    return _json_for_html(obj) if data is None else data.decode("utf-8")


def json_bytes_for_html(obj: Any) -> bytes:
    """:func:`json_for_html` of ``obj`` encoded as UTF-8, without making the text: for a
    writer that writes bytes (a map's tens of megabytes are neither decoded nor encoded
    again). Raises as :func:`json_for_html`, and :class:`UnicodeEncodeError` for a lone
    surrogate (which no UTF-8 file can hold)."""
    data = _orjson_for_html(obj)
    return _json_for_html(obj).encode("utf-8") if data is None else data


def _orjson_for_html(obj: Any) -> bytes | None:
    """The escaped JSON of ``obj`` as UTF-8 written by orjson; ``None`` when orjson would
    write it otherwise than :func:`json.dumps` or refuses it."""
    if not _as_json_writes(obj):
        return None
    try:
        data = orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:  # keys not text, ints beyond 64 bits, lone surrogates
        return None
    # on UTF-8 bytes: a byte sequence of U+2028 is that character, never part of another
    for char, escaped in _BYTE_ESCAPES:
        if char in data:
            data = data.replace(char, escaped)
    return data


def _json_for_html(obj: Any) -> str:
    """:func:`json_for_html` by :func:`json.dumps` (arrays by their ``tolist()``)."""
    text = json.dumps(
        obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_tolist
    )
    # one str.replace per character (a C loop each), not str.translate (a dictionary
    # look-up per character)
    for char, escaped in _ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _tolist(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _as_json_writes(obj: Any) -> bool:
    """Whether orjson writes ``obj`` as :func:`json.dumps` does (then or refuses it).

    Every value is looked at by its type, a list at a time (``set(map(type, ...))``, a
    C loop): text, integers (and their subclasses), booleans and ``None`` are written
    alike; floats alike when finite and 0 or at least :data:`SMALL_FLOAT` in magnitude;
    arrays of integers or booleans as their ``tolist()``. Anything else (float arrays,
    float or tuple subclasses, NumPy scalars, other objects): ``False``.
    """
    stack = [obj]
    while stack:
        o = stack.pop()
        kind = type(o)
        if kind is dict:
            items: Any = list(o.values())
        elif kind is list or kind is tuple:
            items = o
        elif kind is np.ndarray:
            if o.dtype.kind not in "iub":
                return False
            continue
        else:
            items = (o,)
        types = set(map(type, items))
        if types == {list} and _numbers_alike(items):  # e.g. [lon, lat] of each label
            continue
        for t in types - _LEAVES:
            if t is float:
                floats = items if len(types) == 1 else [x for x in items if type(x) is float]
                if not _floats_alike(floats):
                    return False
            elif t in _CONTAINERS or t is np.ndarray:  # in a list or dict: looked into
                stack.extend(x for x in items if type(x) is t)
            elif not issubclass(t, str | int):
                return False
    return True


def _floats_alike(f: np.ndarray | Sequence[float]) -> bool:
    """Whether orjson writes these floats as Python does: finite, 0 or not small.

    A few (:data:`_FEW`: the facts of a park) are looked at one by one, which is quicker
    than making an array of them; more as one array.
    """
    if not isinstance(f, np.ndarray):
        if len(f) <= _FEW:
            return all(math.isfinite(x) and (x == 0 or abs(x) >= SMALL_FLOAT) for x in f)
        f = np.fromiter(f, dtype=float, count=len(f))
    a = np.abs(f)
    return bool((np.isfinite(f) & ((a == 0) | (a >= SMALL_FLOAT))).all())


def _numbers_alike(rows: list) -> bool:
    """Whether ``rows``, lists of the same length, hold numbers orjson writes as Python
    does, as one float array (one C call, not one look per list): ``False`` also when
    they are not such a table (text, nesting, ``None``: looked at list by list); a first
    value that is not a number says so at once (a list of text is not read twice)."""
    first = next((r for r in rows if r), None)
    if first is not None and type(first[0]) not in _NUMBERS:
        return False
    if not set(map(type, itertools.chain.from_iterable(rows))) <= _NUMBERS:
        return False
    if len(set(map(len, rows))) != 1:  # ragged
        return False
    try:
        table = np.fromiter(itertools.chain.from_iterable(rows), dtype=float)
    except OverflowError:  # an integer beyond a float's range
        return False
    return _floats_alike(table)
