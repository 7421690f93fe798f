"""The typed hand-off from the audit to every writer: :class:`AuditResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["AuditResult"]


@dataclass(frozen=True)
class AuditResult:
    """The tables of one audit.

    Attributes
    ----------
    parks
        One row per park (zones dissolved), areas per zone, every ``chk_*``
        with its ``val_*``; geometry in the metric CRS.
    parcels
        Every parcel with its park, category, areas, floor area, FAR,
        coverage, FAR minimum and ``far_ok``.
    towns
        Roll-up per town (镇/街道).
    district
        District-wide checks (innovation platforms across all parks).
    quality
        The data-quality table.
    rules
        The policy used (:meth:`Policy.table`).
    blocks
        Contiguous blocks of low-efficiency land (连片), one row per block with
        its outline (:func:`xsland.group.blocks.block_table`).
    block_members
        One row per parcel of a block (:func:`xsland.group.blocks.block_members`).
    enterprises
        Per-mu indicators and evaluation classes per enterprise
        (:func:`xsland.judge.lowuse.per_mu`); ``None`` without enterprise data.
    park_zones
        The park features as given (core / expansion zones), for maps.
    intensity
        The intensive-use evaluation (开发区土地集约利用评价), one row per park and one for
        the district (:func:`xsland.judge.intensity.intensity`); ``None`` in audits read
        back from before it existed.
    """

    parks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    towns: pd.DataFrame
    district: pd.DataFrame
    quality: pd.DataFrame
    rules: pd.DataFrame
    blocks: gpd.GeoDataFrame | None = None
    block_members: pd.DataFrame | None = None
    enterprises: pd.DataFrame | None = None
    park_zones: gpd.GeoDataFrame | None = None
    intensity: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
