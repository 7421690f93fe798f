"""File names from data text: cut by bytes, not characters.

File systems limit a name to 255 **bytes** (ext4, APFS, NTFS in UTF-16 units); a
Chinese character takes 3 bytes in UTF-8, so 100 characters of a town's name are
already 300 bytes. :func:`safe_filename` cuts at a character boundary so the name
and its suffix fit, leaving room for the siblings that atomic writing adds
(``.<name>.xsland-tmp-<pid>-<random><suffix>``, ``.<name>.xsland-lock``) and
for a ``-NN`` de-duplication suffix.
"""

from __future__ import annotations

__all__ = ["MAX_NAME_BYTES", "NAME_ROOM_BYTES", "safe_filename"]

#: The longest file name most file systems allow, in bytes.
MAX_NAME_BYTES = 255
#: Bytes kept free for the temporary and lock files of atomic writes (``.`` +
#: ``.xsland-tmp-`` + a pid of up to 7 digits + ``-`` + 8 random characters = 29,
#: ``.xsland-lock`` = 13) and a ``-NNN`` de-duplication suffix, rounded up.
NAME_ROOM_BYTES = 48


def safe_filename(stem: str, suffix: str = "", *, max_bytes: int | None = None) -> str:
    """``stem + suffix`` with ``stem`` cut (whole characters) to fit ``max_bytes`` in UTF-8.

    Parameters
    ----------
    stem
        The name without its suffix, already free of separators and reserved characters.
    suffix
        ``".html"`` …; never cut.
    max_bytes
        Default ``MAX_NAME_BYTES - NAME_ROOM_BYTES`` (207).

    Examples
    --------
    >>> name = safe_filename("锡" * 100, ".html")
    >>> len(name.encode()), name[-6:]
    (206, '锡.html')
    >>> safe_filename("东亭街道", ".html")
    '东亭街道.html'
    """
    limit = (MAX_NAME_BYTES - NAME_ROOM_BYTES if max_bytes is None else max_bytes) - len(
        suffix.encode("utf-8")
    )
    data = stem.encode("utf-8")
    if len(data) > limit:
        stem = data[: max(limit, 0)].decode("utf-8", errors="ignore").rstrip(". ")
    return stem + suffix
