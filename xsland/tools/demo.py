"""The demo: the full audit on the bundled Xishan sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from xsland.pipeline.run import run_project
from xsland.rules.project import Input, Project
from xsland.tools.sample import POLICY_DATE, SamplePaths, ensure_sample

__all__ = ["demo_project", "run_demo"]


def demo_project(paths: SamplePaths) -> Project:
    """The project of the Xishan sample.

    The sample carries a planted duplicate parcel ID; the demo keeps it as
    ``ID-2`` (``duplicates = "rename"``), and the data-quality table lists it,
    as a planner would do after reading ``xsland check``. Idle land is judged at
    the sample's reference date (the policy date, 2025-08-29), so the demo's
    results do not change with the day it is run.
    """
    inputs = {
        "parks": Input("parks", paths.gpkg, layer="parks"),
        "parcels": Input("parcels", paths.gpkg, layer="parcels"),
        "buildings": Input("buildings", paths.gpkg, layer="buildings"),
        "plan": Input("plan", paths.gpkg, layer="plan"),
        "enterprises": Input("enterprises", paths.enterprises),
        "indicators": Input("indicators", paths.indicators),
    }
    return Project(
        name="锡山区特色专业园区用地审计 — Xishan sample (synthetic)",
        inputs=MappingProxyType(inputs),
        duplicates="rename",
        as_of=POLICY_DATE,
    )


def run_demo(
    out: Path,
    *,
    overwrite: bool = False,
    sample: Path | None = None,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Generate the sample if needed, run the audit and write ``out``.

    ``sample`` is the sample folder (default :func:`xsland.tools.sample.sample_dir`).

    Returns
    -------
    list of Path
        The files written.
    """
    paths = ensure_sample(sample)
    echo(f"sample: {paths.gpkg.parent}")
    result, written = run_project(demo_project(paths), out=out, overwrite=overwrite)
    parks = result.parks
    failing = parks[parks["chk_area"] == "fail"]
    echo(
        f"audited {len(parks)} parks and {len(result.parcels)} parcels; "
        f"{len(result.quality)} data-quality findings"
    )
    for _, row in failing.iterrows():
        echo(
            f"  {row['park_id']} {row['name']}: {row['area_km2']:.3f} km² > "
            f"{result.rules.set_index('key').at['district_park_max_km2', 'value']} km² "
            "(chk_area fail)"
        )
    if "low_efficiency" in result.parcels.columns:
        low = result.parcels["low_efficiency"].fillna(False).astype(bool)
        echo(
            f"low-efficiency land: {int(low.sum())} parcels, "
            f"{result.parcels.loc[low, 'area_mu'].sum():,.1f} 亩; "
            f"{len(result.blocks)} contiguous blocks, "
            f"{int((~result.blocks['below_threshold'].astype(bool)).sum())} of at least "
            f"{result.rules.set_index('key').at['block_min_mu', 'value']} 亩"
        )
    return written
