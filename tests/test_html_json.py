"""The one JSON-in-HTML escaper: the same JSON value, and nothing that ends a script."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xsland._html import json_for_html


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
