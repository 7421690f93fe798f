"""xsland: land-use audit of industrial parks (锡山区特色专业园区用地审计).

Read → validate → measure → judge → group → write::

    import xsland

    parks = xsland.read_layer("parks.gpkg", kind="parks")
    parcels = xsland.read_layer("parcels.gpkg", kind="parcels")
    buildings = xsland.read_layer("buildings.gpkg", kind="buildings")
    result = xsland.run_audit(parks, parcels, buildings)
    xsland.write_audit(result, "out/audit")

Each step is also a module with its own functions: :mod:`xsland.io`,
:mod:`xsland.crs`, :mod:`xsland.area`, :mod:`xsland.far`, :mod:`xsland.audit`,
:mod:`xsland.lowuse`, :mod:`xsland.blocks`, :mod:`xsland.raster`,
:mod:`xsland.maps`, :mod:`xsland.report`, :mod:`xsland.htmlreport`,
:mod:`xsland.diff`, :mod:`xsland.postgis` and :mod:`xsland.engine`.
"""

from importlib.metadata import PackageNotFoundError, version

from . import (
    area,
    audit,
    blocks,
    crs,
    diff,
    far,
    io,
    lowuse,
    policy,
    project,
    quality,
    raster,
    report,
    sample,
    schema,
    validate,
)
from .area import areas, geodesic_area
from .audit import AuditResult
from .audit import run as run_audit
from .blocks import block_table, find_blocks
from .crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .diff import diff_audits, write_diff
from .errors import (
    CRSError,
    DataError,
    InputFileError,
    OutputExistsError,
    PolicyError,
    ValidationError,
    XslandError,
)
from .far import categorise, plot_ratio
from .io import read_layer, read_table
from .lowuse import flag, per_mu
from .policy import DEFAULT_POLICY, Policy
from .project import Project, load_project, project_template
from .raster import zonal_stats
from .report import read_audit, write_audit
from .sample import generate_sample

try:
    __version__ = version("xsland")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    # modules
    "area",
    "audit",
    "blocks",
    "crs",
    "diff",
    "far",
    "io",
    "lowuse",
    "policy",
    "project",
    "quality",
    "raster",
    "report",
    "sample",
    "schema",
    "validate",
    # read
    "read_layer",
    "read_table",
    "load_project",
    "project_template",
    "Project",
    # rules
    "Policy",
    "DEFAULT_POLICY",
    # coordinates and areas
    "metric_crs",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "areas",
    "geodesic_area",
    # measure, judge, group
    "categorise",
    "plot_ratio",
    "zonal_stats",
    "run_audit",
    "AuditResult",
    "flag",
    "per_mu",
    "find_blocks",
    "block_table",
    # write and compare
    "write_audit",
    "read_audit",
    "diff_audits",
    "write_diff",
    "generate_sample",
    # errors
    "XslandError",
    "DataError",
    "ValidationError",
    "CRSError",
    "PolicyError",
    "InputFileError",
    "OutputExistsError",
]
