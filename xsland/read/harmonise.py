"""One spelling for IDs and names across the tables of an audit.

Layers and tables come from different offices. Before they are joined,
:func:`harmonise` gives

- every ID column (:data:`xsland.read.coerce.ID_COLUMNS`) the normalised text of
  :func:`xsland.read.values.normalise_id`, so that parcels ↔ enterprises,
  indicators ↔ parks and history ↔ enterprises join on the same IDs — also for
  frames that were not read through :func:`xsland.read.io.read_layer`;
- town names (parks and parcels) one spelling per :func:`~xsland.read.values.name_key`
  (the first met), so that a town roll-up does not split ``东港镇`` and ``东港镇　``;
- and lists, in the data-quality table, every name matched only after normalisation
  (``name_normalised``): towns, and enterprise industries against park leading
  industries (which the judges compare by key).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from xsland.read.coerce import ID_COLUMNS
from xsland.read.validate import quality_record
from xsland.read.values import ids_already_normal, name_key, normalise_ids, unify_names

__all__ = ["harmonise"]


def _ids(frame: Any, kind: str) -> Any:
    """``frame`` with its ID columns normalised (:func:`normalise_ids`); a column already
    normal (:func:`xsland.read.values.ids_already_normal`) is kept as it is.

    The pass is needed: :func:`xsland.read.io.read_layer` stores a kind's own ID column
    normalised twice but the IDs it refers to (a parcel's ``enterprise_id``) once, and
    :func:`xsland.read.values.normalise_id` of a normalised ID is not always that ID
    (``'e\\u200d\\u0301'`` → ``'e\\u0301'`` → ``'é'``); here they are normalised
    once more, as the enterprise table's are. Frames built by hand are normalised here
    first.
    """
    if frame is None:
        return None
    cols = [c for c in ID_COLUMNS.get(kind, ()) if c in frame.columns]
    if not cols:
        return frame
    done = {c: normalise_ids(frame[c])[0] for c in cols if not ids_already_normal(frame[c])}
    # a new frame either way (a shallow copy: the caller's frame is never handed on)
    return frame.assign(**done) if done else frame.copy(deep=False)


def _industry_matches(parks: pd.DataFrame, enterprises: pd.DataFrame | None) -> list[dict]:
    if enterprises is None or "industry" not in enterprises or "leading_industry" not in parks:
        return []
    leading: dict[str, set[str]] = {}
    for v in parks["leading_industry"].dropna().astype(str).unique():
        if name_key(v):
            leading.setdefault(name_key(v), set()).add(v)
    counts: dict[tuple[str, str], int] = {}
    written = enterprises["industry"].dropna().astype(str).value_counts(sort=False)
    for v, n in written.items():
        for lead in leading.get(name_key(v) or "", ()):
            if lead != v:
                counts[(v, lead)] = counts.get((v, lead), 0) + int(n)
    return [
        rec
        for (written, lead), n in counts.items()
        for rec in quality_record(
            layer="enterprises",
            check="name_normalised",
            column="industry",
            severity="info",
            detail=f"{written!r} matched the leading industry {lead!r} after "
            f"normalisation ({n} enterprise{'s' if n != 1 else ''})",
        )
    ]


def harmonise(frames: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """IDs normalised, town names unified; and the quality records of names matched.

    Parameters
    ----------
    frames
        ``kind -> frame or None`` (``parks``, ``parcels``, ``buildings``, ``enterprises``,
        ``indicators``, ``history``). Frames are not changed.

    Returns
    -------
    (dict, list)
        New frames under the same keys, and the records for the quality table.
    """
    out = {k: _ids(v, k) for k, v in frames.items()}
    records: list[dict] = []
    parks, parcels = out.get("parks"), out.get("parcels")
    towns = [(k, f) for k, f in (("parks", parks), ("parcels", parcels)) if f is not None]
    towns = [(k, f) for k, f in towns if "town" in f.columns]
    if towns:
        unified, matches = unify_names(*(f["town"] for _, f in towns))
        for (kind, frame), col in zip(towns, unified, strict=True):
            out[kind] = frame.assign(town=col.to_numpy(dtype=object))
        for written, shown, n in matches:
            records += quality_record(
                layer="towns",
                check="name_normalised",
                column="town",
                severity="info",
                detail=f"{written!r} counted as {shown!r} ({n} row{'s' if n != 1 else ''})",
            )
    if parks is not None:
        records += _industry_matches(parks, out.get("enterprises"))
    return out, records
