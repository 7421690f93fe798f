"""One function that hides passwords in any text: :func:`redact`.

Every message, log record, summary, crash log and inputs table of xsland goes
through it. It works on the text, not on a parsed connection string, so it also
masks strings that no parser accepts (a raw ``%`` or ``@`` in a password):

- URIs of any scheme and driver suffix (``postgresql://``, ``postgres://``,
  ``postgresql+psycopg://`` …, also with the ``//`` that a file path makes ``/``):
  everything between ``user:`` and the last ``@`` on the line (a raw space or
  ``@`` in the password is masked too; a second URI on the line is masked with it);
- ``password=`` in a URI's query, in libpq key=value strings (``host=h
  password='a b'``), in GDAL's ``PG:host=… password=…`` and as ``PGPASSWORD=``;
- ``password: …`` in the text of a mapping.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "is_postgres_uri", "printable", "redact"]

MASK = "***"

_URI = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*:/{1,3}[^\s:@/]*:)(?P<secret>(?!\*\*\*@)[^\n]*)@(?P<tail>[^\s@]*)"
)
_QUOTED = r"'(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?"
_KEYVALUE = re.compile(
    r"(?P<head>(?:\b|(?<=_))(?:pg)?(?:password|passwd|pwd)['\"]?\s*[=:]\s*)(?P<secret>"
    + _QUOTED
    + r"|[^\s&;,)]+)",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"(?P<head>(?:pg)?password(?:\\u0027|%3D|%27|\\x27)+)(?P<secret>[^\s&]+)")


def redact(text: object) -> str:
    """``text`` with every password it could hold replaced by ``***``.

    Examples
    --------
    >>> redact("postgresql+psycopg://planner:s3cr%t@db:5432/cadastre")
    'postgresql+psycopg://planner:***@db:5432/cadastre'
    >>> redact("PG:host=db dbname=gis password='a b'")
    'PG:host=db dbname=gis password=***'
    >>> redact("postgresql://u@h/db?sslmode=require&password=x")
    'postgresql://u@h/db?sslmode=require&password=***'
    """
    out = _URI.sub(lambda m: f"{m['head']}{MASK}@{m['tail']}", str(text))
    out = _KEYVALUE.sub(lambda m: m["head"] + MASK, out)
    return _ESCAPED.sub(lambda m: m["head"] + MASK, out)


# A URI masked already ("user:***@") is not masked again, so redacting twice changes nothing
# and an "@" later on the line (in a hint: "@ as %40") stays readable.


_SCHEME = re.compile(r"\s*postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)


def is_postgres_uri(text: object) -> bool:
    """Whether ``text`` is a PostgreSQL URI: ``postgresql://``, ``postgres://`` or with a
    driver suffix (``postgresql+psycopg://``).

    >>> is_postgres_uri("postgresql+psycopg://u@h/db"), is_postgres_uri("parks.gpkg")
    (True, False)
    """
    return isinstance(text, str) and _SCHEME.match(text) is not None


# C0 and C1 controls other than tab and newline, and the bidirectional controls that
# reorder what a terminal shows (a path with U+202E reads backwards)
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# and, for one line, tab, newline and the Unicode line and paragraph separators
_HIDDEN_ONE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def printable(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control and bidi character shown as a ``\\uXXXX`` escape.

    Error messages quote file names, column names and values from the data; a control
    character could move the cursor or colour the terminal, and a bidi override could
    make a file name display backwards (U+202E). Tab and newline stay, unless
    ``one_line``: a value from the data shown on one line of the terminal (a park's ID
    and name) gets them escaped too, so that it cannot start a line of its own.

    Examples
    --------
    >>> print(printable("a\\u202eb\\x1b[31m"))
    a\\u202eb\\u001b[31m
    >>> print(printable("园\\n区", one_line=True))
    园\\u000a区
    """
    hidden = _HIDDEN_ONE_LINE if one_line else _HIDDEN
    return hidden.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))
