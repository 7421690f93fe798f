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

__all__ = ["MASK", "is_postgres_uri", "redact"]

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
