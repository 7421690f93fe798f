"""The demo: every step xsland has, run on the bundled Xishan sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .area import area_table, areas
from .io import read_layer, read_table
from .quality import parcel_checks
from .report import atomic_dir, write_table
from .sample import ensure_sample
from .validate import quality_frame

__all__ = ["run_demo"]


def run_demo(out: Path, *, overwrite: bool = False,
             echo: Callable[[str], None] = print) -> list[Path]:
    """Read the sample, validate it, measure it and write what can be written.

    The sample is generated on first use (:func:`xsland.sample.ensure_sample`).
    Its planted duplicate parcel ID is renamed (``duplicates="rename"``) and
    listed in the data-quality table, as a planner would do after reading the
    check's report.

    Returns
    -------
    list of Path
        The files written, inside ``out``.
    """
    paths = ensure_sample()
    echo(f"sample: {paths.gpkg.parent}")
    parks = read_layer(paths.gpkg, kind="parks", layer="parks")
    parcels = read_layer(paths.gpkg, kind="parcels", layer="parcels", duplicates="rename")
    buildings = read_layer(paths.gpkg, kind="buildings", layer="buildings")
    plan = read_layer(paths.gpkg, kind="plan", layer="plan")
    enterprises = read_table(paths.enterprises, kind="enterprises")
    indicators = read_table(paths.indicators, kind="indicators")
    gbk = read_layer(paths.gbk_shapefile, kind="parcels")
    for name, frame in [("parks", parks), ("parcels", parcels), ("buildings", buildings),
                        ("plan", plan), ("enterprises", enterprises),
                        ("indicators", indicators), ("GBK shapefile", gbk)]:
        echo(f"  read {name:<14} {len(frame):>6} rows")
    cross = parcel_checks(parcels, parks=parks, buildings=buildings)
    quality = quality_frame(parks, parcels, buildings, plan, enterprises, indicators, cross)
    echo(f"data quality: {len(quality)} findings")
    park_area = area_table(parks, by="park_id")
    zone_area = area_table(parks.assign(park_zone=parks["park_id"] + "/" + parks["zone"]),
                           by="park_zone")
    names = parks.drop_duplicates("park_id").set_index("park_id")[
        ["name", "town", "park_type"]]
    park_area = names.join(park_area, how="right")
    parcel_area = pd.concat(
        [parcels[["parcel_id", "land_use", "category", "town"]], areas(parcels)], axis=1)
    written: list[Path] = []
    with atomic_dir(out, overwrite=overwrite) as tmp:
        write_table(quality, tmp / "quality.xlsx", sheet="quality")
        write_table(park_area.reset_index(), tmp / "park_areas.xlsx", sheet="parks")
        write_table(zone_area.reset_index(), tmp / "zone_areas.xlsx", sheet="zones")
        write_table(parcel_area, tmp / "parcel_areas.csv")
        summary = [
            "# xsland demo — Xishan sample (synthetic)",
            "",
            f"- parks: {parks['park_id'].nunique()} ({len(parks)} zone features)",
            f"- parcels: {len(parcels)}; buildings: {len(buildings)}; "
            f"enterprises: {len(enterprises)}",
            f"- data-quality findings: {len(quality)}",
            "",
            "## Park areas",
            "",
            park_area.reset_index()[["park_id", "name", "park_type", "area_km2", "area_mu"]]
            .to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else
            park_area.reset_index()[["park_id", "name", "park_type", "area_km2", "area_mu"]]
            .to_string(index=False),
            "",
            "## Data quality (count by check)",
            "",
            quality.groupby(["layer", "check"]).size().rename("count").reset_index()
            .to_string(index=False),
            "",
        ]
        (tmp / "summary.md").write_text("\n".join(summary), encoding="utf-8")
        written = sorted(p.relative_to(tmp) for p in tmp.iterdir())
    return [out / p for p in written]


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
