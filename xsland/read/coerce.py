"""Validation of values: IDs, numbers and dates checked against what their column means.

Called by :mod:`xsland.read.validate` for every layer and table; the reading rules are
those of :mod:`xsland.read.values`. Each function takes the frame (already a copy, with
contract column names), changes it in place and reports through the validator's
collector: ``problem`` (an error, named with column and rows) or ``record`` (a row of
the data-quality table).

- IDs: every ID column of the kind is normalised; changed IDs are listed
  (``normalised_id``).
- Numbers: formats and header units converted and listed (``number_format``,
  ``unit_converted``); non-finite values and values past the policy's ``error_max_*``
  are errors (``bad_value``, ``implausible_value``); values above ``warn_max_*`` are
  warnings; negative money (revenue, tax) is listed and not used (``negative_value``).
- Dates: sentinels, imprecise, ambiguous and out-of-range dates are listed
  (``sentinel_date``, ``imprecise_date``, ``ambiguous_date``, ``implausible_date``);
  unreadable dates are errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from xsland.read.values import (
    UNITS,
    header_unit,
    normalise_ids,
    normalise_ids_twice,
    parse_numbers,
    read_dates,
)
from xsland.rules.policy import DEFAULT_POLICY, Policy

__all__ = ["ID_COLUMNS", "CONTRACT_UNITS", "BOUNDS", "coerce_ids", "coerce_numbers", "coerce_dates"]

#: The ID columns of each kind; every join compares them after normalisation.
ID_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "parks": ("park_id",),
    "parcels": ("parcel_id", "enterprise_id"),
    "buildings": ("building_id",),
    "plan": (),
    "enterprises": ("enterprise_id",),
    "indicators": ("park_id",),
    "history": ("enterprise_id",),
}

#: column -> (quantity, contract unit). Headers stating another unit of the same
#: quantity are converted; another quantity is an error.
CONTRACT_UNITS: Mapping[str, tuple[str, str]] = {
    "floor_area": ("area", "m²"),
    "declared_area": ("area", "m²"),
    "floors": ("floors", "层"),
    "height": ("length", "m"),
    "storey_height": ("length", "m"),
    "revenue": ("money", "万元"),
    "tax": ("money", "万元"),
    "industry_fund_wan": ("money", "万元"),
}

#: (kind, column) -> the policy fields of its warning and error bounds.
BOUNDS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("buildings", "floors"): ("warn_max_floors", "error_max_floors"),
    ("buildings", "height"): ("warn_max_height_m", "error_max_height_m"),
    ("buildings", "storey_height"): ("warn_max_storey_height_m", "error_max_storey_height_m"),
    ("buildings", "floor_area"): ("warn_max_area_m2", "error_max_area_m2"),
    ("parcels", "floor_area"): ("warn_max_area_m2", "error_max_area_m2"),
    ("parcels", "declared_area"): ("warn_max_area_m2", "error_max_area_m2"),
    ("parcels", "declared_far"): ("warn_max_far", "error_max_far"),
    ("enterprises", "revenue"): ("warn_max_revenue_wan", "error_max_revenue_wan"),
    ("enterprises", "tax"): ("warn_max_tax_wan", "error_max_tax_wan"),
    ("indicators", "industry_fund_wan"): ("warn_max_fund_wan", "error_max_fund_wan"),
    ("indicators", "promotion_events"): ("warn_max_count", "error_max_count"),
    ("indicators", "innovation_platforms"): ("warn_max_count", "error_max_count"),
}

#: Columns whose negative values are listed and not used (instead of refused).
_NEGATIVE_NOT_USED = {"enterprises": ("revenue", "tax")}


def _labels(frame: pd.DataFrame, mask: np.ndarray, id_col: str | None) -> list[str]:
    positions = np.flatnonzero(mask)
    if id_col and id_col in frame.columns:
        ids = frame[id_col].to_numpy(dtype=object)[positions]
        return [
            str(i) if i is not None and i == i else f"row {p + 1}"
            for i, p in zip(ids, positions, strict=True)
        ]
    return [f"row {p + 1}" for p in positions]


def _shown(frame: pd.DataFrame, raw: pd.Series, mask: np.ndarray, id_col: str | None) -> list:
    return [
        f"{r}={v!r}"
        for r, v in zip(_labels(frame, mask, id_col), raw.to_numpy(dtype=object)[mask], strict=True)
    ]


def coerce_ids(
    frame: pd.DataFrame, kind: str, c: Any, *, twice: Iterable[str] = ()
) -> pd.DataFrame:
    """Normalise every ID column of ``kind`` (see :func:`xsland.read.values.normalise_id`).

    The columns in ``twice`` (a kind's own ID column, which must be unique) are stored
    normalised twice (:func:`xsland.read.values.normalise_ids_twice`: a text the first
    normalisation rewrote may change once more); what is listed is the first.
    """
    twice = set(twice)
    for col in ID_COLUMNS.get(kind, ()):
        if col not in frame.columns:
            continue
        raw = frame[col]
        if col in twice:
            ids, changed, stored = normalise_ids_twice(raw)
        else:
            ids, changed = normalise_ids(raw)
            stored = ids
        if pd.api.types.is_float_dtype(raw.dtype) and raw.notna().any():
            c.record(
                "normalised_id",
                [""],
                f"{col} stored as numbers: read as text without '.0' (123.0 → '123')",
                column=col,
                severity="info",
            )
        if changed.any():
            before = raw.to_numpy(dtype=object)[changed]
            c.record(
                "normalised_id",
                ids.to_numpy(dtype=object)[changed],
                [f"{b!r} → {a!r}" for b, a in zip(before, ids[changed], strict=True)],
                column=col,
                severity="info",
            )
        frame[col] = stored
    return frame


def _unit(frame: pd.DataFrame, col: str, units: Mapping[str, str], c: Any) -> float | None:
    """The factor to the contract unit of ``col``, or ``None`` after recording an error."""
    header = {v: k for k, v in frame.attrs.get("source", {}).get("columns", {}).items()}.get(
        col, col
    )
    found = header_unit(header)
    stated = units.get(col)
    want = CONTRACT_UNITS.get(col)
    if stated is not None:
        key = str(stated).strip().lower()
        if key not in UNITS or (want and UNITS[key][0] != want[0]):
            c.problem(
                "unit_mismatch",
                f"the project file's unit {stated!r} for {col} is not a unit of "
                f"{want[0] if want else 'this column'}",
                f"write a unit such as {want[1] if want else '万元'} in the project file's "
                "'units' table of this input",
                column=col,
            )
            return None
        if found is not None and abs(found.factor - UNITS[key][1]) > 1e-12 * UNITS[key][1]:
            c.problem(
                "unit_mismatch",
                f"the header {header!r} says {found.written} but the project file says {stated}",
                "correct the header or the project file's 'units' table of this input",
                column=col,
            )
            return None
        factor, written, quantity = UNITS[key][1], str(stated), UNITS[key][0]
    elif found is not None:
        factor, written, quantity = found.factor, found.written, found.quantity
    else:
        return 1.0
    if want is None or quantity != want[0]:
        c.problem(
            "unit_mismatch",
            f"the header {header!r} states {written!r}, which is not a unit of "
            f"{want[0] if want else 'this column'}",
            "correct the header, or map the column with the project file's [columns] table",
            column=col,
        )
        return None
    if factor != 1.0:
        c.record(
            "unit_converted",
            [""],
            f"{header!r}: {written} → {want[1]} (× {factor:g})",
            column=col,
            severity="info",
        )
    return factor


def coerce_numbers(
    frame: pd.DataFrame,
    kind: str,
    columns: tuple[str, ...],
    nonnegative: tuple[str, ...],
    c: Any,
    *,
    id_col: str | None,
    policy: Policy = DEFAULT_POLICY,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read the numeric ``columns`` of ``kind``; see the module docstring."""
    for col in columns:
        if col not in frame.columns:
            continue
        raw = frame[col]
        factor = _unit(frame, col, dict(units or {}), c)
        got = parse_numbers(raw, factor=factor or 1.0)
        if got.bad.any():
            shown = _shown(frame, raw, got.bad, id_col)
            why = sorted(set(got.reasons.values()) - {"not a number"})
            c.problem(
                "bad_value",
                f"{_n(got.bad, 'value')} not numbers" + (f" — {'; '.join(why)}" if why else ""),
                "write plain numbers (units belong in the header, e.g. 营收(万元)) "
                "or leave the cell empty",
                column=col,
                rows=shown,
            )
        if got.nonfinite.any():
            c.problem(
                "bad_value",
                f"{_n(got.nonfinite, 'value')} not finite (inf, nan or too large)",
                "write the real figure or leave the cell empty",
                column=col,
                rows=_shown(frame, raw, got.nonfinite, id_col),
            )
        for note in got.notes:
            c.record("number_format", [""], note, column=col, severity="info")
        values = got.values
        if col in nonnegative or col in _NEGATIVE_NOT_USED.get(kind, ()):
            neg = values < 0
            if neg.any() and col in _NEGATIVE_NOT_USED.get(kind, ()):
                c.record(
                    "negative_value",
                    _labels(frame, neg, id_col),
                    [f"{v:g}: cannot be negative; not used" for v in values[neg]],
                    column=col,
                    severity="warning",
                )
                values = np.where(neg, np.nan, values)
            elif neg.any():
                c.problem(
                    "negative_value",
                    f"{_n(neg, 'value')} negative",
                    "correct the values; they must be zero or more",
                    column=col,
                    rows=_labels(frame, neg, id_col),
                )
        values = _bounds(frame, kind, col, values, c, id_col=id_col, policy=policy)
        frame[col] = values.astype("float64")
    return frame


def _bounds(
    frame: pd.DataFrame,
    kind: str,
    col: str,
    values: np.ndarray,
    c: Any,
    *,
    id_col: str | None,
    policy: Policy,
) -> np.ndarray:
    fields = BOUNDS.get((kind, col))
    if fields is None:
        return values
    warn, hard = (getattr(policy, f) for f in fields)
    with np.errstate(invalid="ignore"):
        too_big = values > hard
        odd = (values > warn) & ~too_big
    if too_big.any():
        c.problem(
            "implausible_value",
            f"{_n(too_big, 'value')} above {hard:g} (policy {fields[1]}), impossible",
            f"correct the values (check the unit), or raise {fields[1]} in the project "
            "file's [policy] table",
            column=col,
            rows=[
                f"{r}={v:g}"
                for r, v in zip(_labels(frame, too_big, id_col), values[too_big], strict=True)
            ],
        )
    if odd.any():
        c.record(
            "implausible_value",
            _labels(frame, odd, id_col),
            [f"{v:g} above {warn:g} (policy {fields[0]}); used, check it" for v in values[odd]],
            column=col,
            severity="warning",
        )
    return values


def coerce_dates(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    c: Any,
    *,
    id_col: str | None,
    policy: Policy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """Read the date ``columns``; see the module docstring and :func:`read_dates`."""
    for col in columns:
        if col not in frame.columns:
            continue
        raw = frame[col]
        got = read_dates(raw, earliest=policy.date_min, latest=policy.date_max)
        # a month-only date in the month of the policy date cannot say before or after
        pd_month = pd.Timestamp(policy.policy_date).to_period("M")
        undecided = got.imprecise & (got.values.dt.to_period("M") == pd_month).to_numpy(bool)
        if undecided.any():
            got.values[undecided] = pd.NaT
            got.imprecise &= ~undecided
            got.ambiguous |= undecided
            for i in np.flatnonzero(undecided):
                got.reasons[int(i)] = (
                    f"month only, and the policy date {policy.policy_date} falls in it: "
                    "before or after is unknown; not read"
                )
        if got.bad.any():
            c.problem(
                "bad_value",
                f"{_n(got.bad, 'value')} not dates",
                "write dates as 2025-08-29 or 2025年8月29日, or leave the cell empty",
                column=col,
                rows=_shown(frame, raw, got.bad, id_col),
            )
        for check, mask, what in (
            ("sentinel_date", got.sentinel, "means 'no date'; read as empty"),
            ("ambiguous_date", got.ambiguous, "not read (write year-month-day, 4-digit year)"),
            ("imprecise_date", got.imprecise, "month only; read as its first day"),
            ("implausible_date", got.out_of_range, "outside the policy's date_min–date_max"),
        ):
            if mask.any():
                raw_values = raw.to_numpy(dtype=object)[mask]
                reasons = [got.reasons.get(int(i), what) for i in np.flatnonzero(mask)]
                c.record(
                    check,
                    _labels(frame, mask, id_col),
                    [f"{v!s}: {r}" for v, r in zip(raw_values, reasons, strict=True)],
                    column=col,
                    severity="warning",
                )
        frame[col] = got.values.to_numpy()
    return frame


def _n(mask: np.ndarray, noun: str = "row") -> str:
    n = int(np.count_nonzero(mask))
    return f"{n} {noun}{'s' if n != 1 else ''}"
