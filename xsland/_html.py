"""JSON that can sit inside an HTML ``<script>`` element: the one escaper of every page.

Text from the data reaches the maps, the difference map and the report as JSON read by
``JSON.parse(el.textContent)``. Inside ``<script type="application/json">`` the HTML parser
ends the element at the first ``</script``, and ``<!--`` starts a comment state, so the
characters ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``;
U+2028 and U+2029 are escaped too, as JavaScript source once treated them as line ends.
The result is still exactly the same JSON value.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_for_html"]

_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def json_for_html(obj: Any) -> str:
    """Serialise ``obj`` as compact JSON that is safe inside a ``<script>`` element.

    Parameters
    ----------
    obj
        Anything :func:`json.dumps` accepts, without NaN or infinity (``allow_nan=False``:
        ``NaN`` is not JSON and would break ``JSON.parse`` in the browser).

    Returns
    -------
    str
        The JSON text with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # one str.replace per character (a C loop each), not str.translate (a dictionary
    # look-up per character): the maps' JSON has millions of characters
    for char, escaped in _ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text
