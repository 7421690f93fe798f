"""The audit as GeoParquet, typed from the output schema.

:func:`write_geoparquet` writes every layer of an :class:`~xsland.result.AuditResult`
(:meth:`~xsland.result.AuditResult.layers`: the tables, ``meta`` with the policy, and
``inputs``) as ``<folder>/<layer>.parquet``: the layers with geometry as GeoParquet (WKB,
the CRS in the metadata, a bounding-box covering column so that readers can filter by
area, unless the layer holds a column of that name of its own: :data:`COVERING_COLUMN`),
the others as plain Parquet. Each column declared in :mod:`xsland.rules.columns` gets
the Arrow type of its dtype (:data:`ARROW_TYPES`): boolean → ``bool``, integer →
``int64``, float → ``double``, date → ``date32`` (a day, as in the GeoPackage and
PostGIS), text → ``large_string``; every column is nullable, so a column of missing values
keeps its type instead of becoming Arrow's ``null``. A parcel layer's own extra columns
keep the type of their values (mixed numbers and text as text).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from xsland._atomic import atomic_dir
from xsland.errors import DataError
from xsland.result import AuditResult
from xsland.rules.columns import TABLES

__all__ = ["ARROW_TYPES", "COVERING_COLUMN", "write_geoparquet"]

#: Arrow type (by name) of each dtype of the output schema.
ARROW_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "boolean": "bool",
        "integer": "int64",
        "float": "double",
        "date": "date32[day]",
        "text": "large_string",
    }
)

_SCALARS = (str, bool, int, float, Decimal, date, datetime, np.generic)


def _as_date32(values: pd.Series) -> pd.Series:
    import pyarrow as pa

    days = pd.to_datetime(values).astype("datetime64[ms]")
    return days.astype(pd.ArrowDtype(pa.date32()))


#: pandas conversion that Arrow stores as the type of :data:`ARROW_TYPES`.
_CAST = {
    "boolean": lambda s: s.astype("boolean"),
    "integer": lambda s: s.astype("Int64"),
    "float": lambda s: s.astype("float64"),
    "date": _as_date32,
    "text": lambda s: s.astype("str"),
}


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A copy with declared columns cast for Arrow, mixed undeclared ones as text."""
    spec = TABLES.get(name)
    geometry = getattr(df, "_geometry_column_name", None)
    out = df.copy(deep=False)
    for col in df.columns:
        s = df[col]
        if col == geometry or isinstance(s.dtype, gpd.array.GeometryDtype):
            continue
        declared = spec.column(str(col)) if spec is not None else None
        if declared is not None:
            out[col] = _CAST[declared.dtype](s)
        elif pd.api.types.is_object_dtype(s.dtype):
            inferred = pd.api.types.infer_dtype(s, skipna=True)
            if inferred.startswith("mixed"):
                bad = [type(v).__name__ for v in s.dropna() if not isinstance(v, _SCALARS)]
                if bad:
                    raise DataError(
                        f"layer {name!r}: column {col!r} holds {bad[0]} values, which Parquet "
                        "cannot store; convert them to numbers, text or dates (or drop the "
                        "column) before writing"
                    )
                out[col] = s.map(lambda v: None if v is None or v != v else str(v))
    return out


#: The name GeoPandas gives the bounding-box covering column of a GeoParquet file.
COVERING_COLUMN = "bbox"


def _covering(data: gpd.GeoDataFrame, name: str) -> bool:
    """Whether a layer gets the bounding-box covering column: not when a column of its own
    has that name (a parcel layer keeps its input's extra columns), which is kept, with a
    warning that readers of this file filter by area without the covering column."""
    if COVERING_COLUMN not in data.columns:
        return True
    warnings.warn(
        f"layer {name!r}: its own column {COVERING_COLUMN!r} is kept, so {name}.parquet has "
        "no bounding-box covering column (readers filter it by area more slowly). Fix: "
        f"rename the column {COVERING_COLUMN!r} in the input layer",
        UserWarning,
        stacklevel=3,
    )
    return False


def write_geoparquet(
    result: AuditResult,
    folder: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write an audit as ``<folder>/<layer>.parquet``, typed, the whole folder atomically.

    The folder is built beside ``folder`` and moved into place when complete
    (:func:`xsland._atomic.atomic_dir`), so a failed run leaves no half-written output.
    GeoParquet layers read back with :func:`xsland.read.io.read_layer`; tables with
    :func:`pandas.read_parquet`.

    Parameters
    ----------
    result
        The audit (:func:`xsland.pipeline.audit.run`, :meth:`AuditResult.read`); not modified.
    folder
        The output folder.
    overwrite
        Replace an existing folder (only once the new one is complete; ``--overwrite``).

    Returns
    -------
    list of Path
        The files written, in the order of :meth:`AuditResult.layers`. A partitioned
        audit's parcels (:attr:`AuditResult.parcels_path`) are not among them: their full
        table is already a GeoParquet dataset.

    Raises
    ------
    DataError
        ``result`` is not an :class:`AuditResult`, or an extra column holds values
        Parquet cannot store.
    OutputExistsError
        ``folder`` exists and ``overwrite`` is false.
    """
    if not isinstance(result, AuditResult):
        raise DataError(
            f"write_geoparquet takes an AuditResult, not {type(result).__name__}. Fix: pass "
            "the result of the audit or xsland.AuditResult.read(folder)"
        )
    layers = {name: _typed(df, name) for name, df in result.layers().items()}
    if result.parcels_path:
        # a partitioned audit holds only the parcels that need action in memory; its full
        # parcel table is already GeoParquet (``parcels.parquet/`` beside this folder), so
        # a partial copy is never written under the full table's name
        layers.pop("parcels", None)
    target = Path(folder)
    with atomic_dir(target, overwrite=overwrite) as tmp:
        for name, data in layers.items():
            path = tmp / f"{name}.parquet"
            if isinstance(data, gpd.GeoDataFrame):
                data.to_parquet(path, index=False, write_covering_bbox=_covering(data, name))
            else:
                pd.DataFrame(data).to_parquet(path, index=False)
    return [target / f"{n}.parquet" for n in layers]
