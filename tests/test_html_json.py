"""The one JSON-in-HTML escaper: the same JSON value, and nothing that ends a script."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xsland._html import json_bytes_for_html, json_for_html


def test_markup_is_escaped_and_the_value_kept():
    value = {"name": "</script><b>&amp;</b>", "line": "a\u2028b"}
    text = json_for_html(value)
    assert text == (
        '{"name":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e",'
        '"line":"a\\u2028b"}'
    )
    assert json.loads(text) == value


def test_nan_is_refused_because_json_parse_would_fail():
    with pytest.raises(ValueError):
        json_for_html({"far": float("nan")})


@given(
    st.recursive(
        st.text() | st.integers() | st.booleans() | st.none(),
        lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids),
    )
)
def test_any_value_round_trips_and_never_closes_a_script(value):
    text = json_for_html(value)
    assert json.loads(text) == value
    assert "<" not in text and ">" not in text and "&" not in text
    assert json_bytes_for_html(value) == text.encode("utf-8")


def _as_json(value):
    """What json_for_html wrote before orjson: json.dumps, then the five escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


# floats of every size: small ones (1e-9 .. 1e-4, written 2.5e-05 by Python and 0.000025
# by orjson), huge ones, -0.0, and the rounded figures the maps carry
_FLOATS = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(1e-10, 1e-3).map(lambda x: round(x, 12))
    | st.floats(-1e6, 1e6).map(lambda x: round(x, 2))
    | st.sampled_from([0.0, -0.0, 1e-4, 9.99e-5, 1e16, 1e-7, 2.5e-5])
)
_TEXT = st.text() | st.sampled_from(["</script>", "a\u2028b\u2029", '\x00\x1f\x7f"\\', "甲&乙"])
_VALUES = st.recursive(
    _TEXT | st.integers() | _FLOATS | st.booleans() | st.none(),
    lambda kids: st.lists(kids) | st.dictionaries(_TEXT, kids) | st.tuples(kids, kids),
    max_leaves=40,
)


@given(_VALUES)
def test_the_same_text_as_json_dumps_for_any_value(value):
    # orjson writes it, or json.dumps where orjson would write otherwise: always the text
    # json.dumps writes (a small float as 2.5e-05, integers beyond 64 bits, ...)
    assert json_for_html(value) == _as_json(value)


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30),
    st.sampled_from(["int64", "int32", "uint8", "bool", "float64"]),
)
def test_numpy_arrays_are_written_as_their_lists(values, dtype):
    if dtype == "uint8":
        values = [v % 256 for v in values]
    elif dtype == "int32":
        values = [v % 2**31 for v in values]
    array = np.array(values).astype(dtype)
    value = {"a": array, "b": [array[::2], 1.5e-5]}  # a strided view, a small float
    want = {"a": array.tolist(), "b": [array[::2].tolist(), 1.5e-5]}
    assert json_for_html(value) == _as_json(want)


def test_keys_that_are_not_text_and_huge_integers_are_written_as_json_writes_them():
    value = {1: "a", None: [2**70], 2.5: True}
    assert json_for_html(value) == '{"1":"a","null":[1180591620717411303424],"2.5":true}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_float_that_is_not_finite_is_refused_wherever_it_is(bad):
    # orjson would write null: the check before it finds the value, json.dumps refuses it
    with pytest.raises(ValueError):
        json_for_html({"layers": [{"v": [1.0, None, bad]}]})
    with pytest.raises(ValueError):
        json_for_html(bad)


def test_values_json_has_no_form_for_are_refused():
    with pytest.raises(TypeError):
        json_for_html({"a": {1, 2}})
    with pytest.raises(TypeError):
        json_for_html([np.int64(3)])


@pytest.mark.parametrize(
    "rows",
    [
        [[120.1, 31.5], [120.2, 31.6]],  # label points: looked at as one table
        [[120.1, 3e-5], [120.2, 31.6]],  # a small float: written 3e-05, as json writes it
        [[1, None], [2.5, 3]],  # None is not a number: looked at list by list
        [[1.5, "2e-5"], [2, "x"]],  # text
        [[1.0], [2.0, 3.0]],  # ragged
        [[2**70, 1.5], [1, 2]],  # an integer beyond 64 bits
        [[np.float64(1e-5), 1.0], [1.0, 2.0]],  # a float subclass: json.dumps writes it
    ],
)
def test_lists_of_number_lists_are_written_as_json_writes_them(rows):
    assert json_for_html({"labels": rows}) == _as_json({"labels": rows})


def test_a_nan_in_a_table_of_numbers_is_refused():
    with pytest.raises(ValueError):
        json_for_html({"labels": [[120.1, 31.5], [float("nan"), 31.6]]})


def test_bytes_are_the_text_as_utf8_also_when_json_dumps_writes_it():
    # 2.5e-05: Python's text, not orjson's (json.dumps writes it); 中 as UTF-8, not escaped
    value = {"a": 2.5e-05, "n": "中<", "i": np.array([1, 2])}
    assert json_for_html(value) == '{"a":2.5e-05,"n":"中\\u003c","i":[1,2]}'
    assert json_bytes_for_html(value) == json_for_html(value).encode("utf-8")
    assert json_bytes_for_html({"n": "中"}) == '{"n":"中"}'.encode()


def test_long_float_lists_and_tables_looked_at_as_arrays():
    # more than a few floats (one array): a small one sends the whole value to json.dumps
    many = [120.5] * 40
    assert json_for_html(many) == "[" + ",".join(["120.5"] * 40) + "]"
    assert json_for_html([*many, 2.5e-05]).endswith(",2.5e-05]")
    assert json_for_html([*many, None, 1e-05]).endswith(",null,1e-05]")
    # [lon, lat] rows: one table; a small number or ragged rows are still written alike
    rows = [[120.25, 31.5]] * 20
    assert json_for_html(rows) == "[" + ",".join(["[120.25,31.5]"] * 20) + "]"
    assert json_for_html([*rows, [1e-05, 0]]).endswith(",[1e-05,0]]")
    assert json_for_html([*rows, [True, 3]]).endswith(",[true,3]]")
    assert json_for_html([*rows, [1.5]]).endswith(",[1.5]]")
    assert json_for_html([[1.0, 10**400]]) == "[[1.0," + str(10**400) + "]]"
