"""Change in the evaluations of issue 15 between two audits.

Two tables, each ``None`` unless both audits carry the evaluation:

- :func:`intensity_changes`: every indicator of the intensive-use evaluation
  (开发区土地集约利用评价, the ``intensity`` table: one row per park and one for the
  district), old and new value and the change ``new − old``, per park;
- :func:`supply_changes`: the parcels of each 批供用 status (``supply_status``: built,
  under construction, idle, supplied not started, approved not supplied, unknown),
  counted per park and across all parcels (``全区``), old and new count and the change.

Both read the audits' own values (``intensity``'s indicators, the parcels'
``supply_status``); nothing is evaluated again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xsland.rules.columns import TABLES
from xsland.rules.evaluation_columns import SUPPLY_STATUSES

__all__ = ["ALL_PARCELS", "INTENSITY_INDICATORS", "intensity_changes", "supply_changes"]

#: The indicators of the intensity table that are compared: its numbers, in its order.
INTENSITY_INDICATORS = tuple(c.name for c in TABLES["intensity"] if c.dtype == "float")

#: Scope of the counts over all parcels of an audit.
ALL_PARCELS = "全区"


def intensity_changes(old: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame | None:
    """Every intensity indicator of every park (and the district): old, new and change.

    Parameters
    ----------
    old, new
        The ``intensity`` tables of the two audits (:attr:`AuditResult.intensity`).

    Returns
    -------
    DataFrame or None
        ``park_id``, ``name``, ``indicator``, ``label`` (Chinese), ``unit``, ``old``,
        ``new``, ``change_value`` :math:`= new - old` (null when either is), ordered by
        park (the district last) and indicator; ``None`` unless both tables are given.
        A park in one audit only has nulls on the other side.
    """
    if old is None or new is None or "park_id" not in old or "park_id" not in new:
        return None
    spec = TABLES["intensity"]
    names = [n for n in INTENSITY_INDICATORS if n in old.columns or n in new.columns]
    o = old.drop_duplicates("park_id").set_index("park_id")
    n = new.drop_duplicates("park_id").set_index("park_id")
    parks = list(dict.fromkeys([*n.index, *o.index]))
    parks.sort(key=lambda p: (str(p) == "district", str(p)))
    title = pd.concat(
        [n["name"] if "name" in n else pd.Series(dtype=object), o.get("name", pd.Series())]
    )
    title = title[~title.index.duplicated()]
    frames = []
    for name in names:
        col = spec.column(name)
        before = pd.to_numeric(o[name], errors="coerce") if name in o else pd.Series(dtype=float)
        after = pd.to_numeric(n[name], errors="coerce") if name in n else pd.Series(dtype=float)
        frames.append(
            pd.DataFrame(
                {
                    "park_id": parks,
                    "indicator": name,
                    "label": col.label() if col is not None else name,
                    "unit": col.unit if col is not None else "",
                    "old": before.reindex(parks).to_numpy(dtype=float),
                    "new": after.reindex(parks).to_numpy(dtype=float),
                }
            )
        )
    cols = ["park_id", "name", "indicator", "label", "unit", "old", "new", "change_value"]
    if not frames:
        return pd.DataFrame(columns=cols)
    t = pd.concat(frames, ignore_index=True)
    t["name"] = t["park_id"].map(title).astype(object)
    t["change_value"] = t["new"] - t["old"]
    order = {p: i for i, p in enumerate(parks)}
    rank = {c: i for i, c in enumerate(names)}
    t = t.iloc[np.lexsort((t["indicator"].map(rank), t["park_id"].map(order)))]
    return t[cols].reset_index(drop=True)


def _counts(parcels: pd.DataFrame) -> pd.Series:
    """Parcels per (scope, status): per park, and over all parcels."""
    status = parcels["supply_status"].astype(object).where(parcels["supply_status"].notna())
    status = status.fillna("unknown")
    park = (
        parcels["park_id"].astype(object)
        if "park_id" in parcels.columns
        else pd.Series(None, index=parcels.index)
    )
    per_park = status.groupby([park.fillna(""), status]).size()
    per_park = per_park[per_park.index.get_level_values(0) != ""]
    district = status.value_counts()
    district.index = pd.MultiIndex.from_product([[ALL_PARCELS], district.index])
    return pd.concat([district, per_park])


def supply_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame | None:
    """Parcels per 批供用 status, over all parcels and per park: old, new and change.

    A parcel without a status counts as ``unknown`` (无法判定); a parcel outside every
    park counts only in ``全区``.

    Parameters
    ----------
    old, new
        The parcels of the two audits, with ``supply_status`` and ``park_id``.

    Returns
    -------
    DataFrame or None
        ``scope`` (``全区`` first, then the parks), ``status`` (in the order of
        :data:`xsland.rules.evaluation_columns.SUPPLY_STATUSES`), ``status_zh``,
        ``n_old``, ``n_new``, ``change_value`` :math:`= n_{new} - n_{old}`; every status
        of every scope, zeros included. ``None`` unless both audits judged the status.
    """
    if "supply_status" not in old.columns or "supply_status" not in new.columns:
        return None
    before, after = _counts(old), _counts(new)
    scopes = [ALL_PARCELS] + sorted(
        {s for s, _ in (*before.index, *after.index) if s != ALL_PARCELS}, key=str
    )
    statuses = list(SUPPLY_STATUSES) + sorted(
        {s for _, s in (*before.index, *after.index) if s not in SUPPLY_STATUSES}, key=str
    )
    index = pd.MultiIndex.from_product([scopes, statuses], names=["scope", "status"])
    t = pd.DataFrame(
        {
            "n_old": before.reindex(index, fill_value=0).astype("int64"),
            "n_new": after.reindex(index, fill_value=0).astype("int64"),
        }
    ).reset_index()
    t["status_zh"] = t["status"].map(lambda s: SUPPLY_STATUSES.get(s, (s, s))[0])
    t["change_value"] = t["n_new"] - t["n_old"]
    return t[["scope", "status", "status_zh", "n_old", "n_new", "change_value"]]
