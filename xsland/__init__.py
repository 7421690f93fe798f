"""xsland: land-use audit of industrial parks (锡山区特色专业园区用地审计).

Read → validate → measure → judge → group → write::

    import xsland

    parks = xsland.read_layer("parks.gpkg", kind="parks")
    parcels = xsland.read_layer("parcels.gpkg", kind="parcels")
    buildings = xsland.read_layer("buildings.gpkg", kind="buildings")
    result = xsland.run_audit(parks, parcels, buildings)
    xsland.write_audit(result, "out/audit")

The package's folders are its layers, and data flows one way (``docs/architecture.md``):
:mod:`xsland.rules` (policy, project file, input contract) → :mod:`xsland.read` (formats,
validation, coordinate systems) → :mod:`xsland.measure` (areas, plot ratio, rasters,
data quality) → :mod:`xsland.judge` (park checks, low-efficiency land, intensive-use evaluation,
亩均效益 classes, 批供用 status) →
:mod:`xsland.group` (contiguous blocks) → :class:`xsland.AuditResult` →
:mod:`xsland.compare` (two audits compared) →
:mod:`xsland.write` (GeoPackage, Excel, maps, report, diff, GeoParquet, PostGIS) → :mod:`xsland.pipeline`
(the whole run) → :mod:`xsland.cli`. :mod:`xsland.tools` holds the sample generator,
the demo and the docs generator.
"""

from xsland._version import __version__
from xsland.compare.diff import diff_audits
from xsland.errors import (
    CRSError,
    DataError,
    InputFileError,
    OutputExistsError,
    PolicyError,
    StaleDatasetWarning,
    ValidationError,
    XslandError,
    XslandWarning,
)
from xsland.group import blocks
from xsland.group.blocks import block_table, find_blocks
from xsland.judge import audit, lowuse
from xsland.judge.intensity import intensity
from xsland.judge.lowuse import flag, per_mu
from xsland.judge.mujun import mujun
from xsland.judge.supply import supply_rates, supply_status
from xsland.measure import area, far, quality, raster
from xsland.measure.area import areas, geodesic_area
from xsland.measure.far import categorise, plot_ratio
from xsland.measure.raster import zonal_stats
from xsland.pipeline.audit import run as run_audit
from xsland.read import crs, io, validate
from xsland.read.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from xsland.read.io import read_layer, read_table
from xsland.result import AuditResult
from xsland.rules import policy, project, schema
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.rules.project import Project, load_project, project_template
from xsland.tools import sample
from xsland.tools.sample import generate_sample
from xsland.write import diff, report
from xsland.write.diff import write_diff
from xsland.write.report import write_audit

#: A finished audit read back (its folder or ``audit.gpkg``): :meth:`AuditResult.read`.
read_audit = AuditResult.read

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
    "intensity",
    "mujun",
    "supply_status",
    "supply_rates",
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
    "XslandWarning",
    "StaleDatasetWarning",
]
