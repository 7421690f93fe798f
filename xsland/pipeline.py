"""Read → validate → measure → judge → write, for one project.

:func:`run_project` is what ``xsland audit`` and ``xsland demo`` call: it
reads every input of a :class:`~xsland.project.Project`, runs the audit and
writes the output folder atomically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from .audit import AuditResult, run
from .io import read_inputs
from .project import Project
from .report import write_audit

__all__ = ["run_project"]


def run_project(
    project: Project,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> tuple[AuditResult, list[Path]]:
    """Run the audit a project describes and write its output folder.

    Parameters
    ----------
    project
        A loaded project (:func:`xsland.project.load_project`).
    out
        Output folder; default the project's ``out``.
    overwrite
        Replace an existing output folder (only once the new one is complete).
    progress
        Show a progress bar (``None``: only on a terminal).

    Returns
    -------
    (AuditResult, list of Path)
    """
    target = Path(out) if out is not None else project.out
    if target is None:
        raise ValueError("no output folder: pass out= (--out) or set project.out")
    steps = ["read inputs", "audit parcels and parks", "write reports"]
    bar = tqdm(
        total=len(steps),
        disable=(None if progress is None else not progress),
        unit="step",
        desc="xsland audit",
    )
    try:
        bar.set_postfix_str(steps[0])
        data = read_inputs(project)
        bar.update()
        bar.set_postfix_str(steps[1])
        result = run(
            data["parks"],
            data["parcels"],
            data.get("buildings"),
            enterprises=data.get("enterprises"),
            plan=data.get("plan"),
            indicators=data.get("indicators"),
            policy=project.policy,
            year=project.year,
        )
        bar.update()
        bar.set_postfix_str(steps[2])
        inputs = {
            kind: f"{item.path}"
            + (f" [{item.layer}]" if item.layer else "")
            + (
                f" — {len(data[kind])} rows"
                if kind in data and hasattr(data[kind], "__len__") and kind != "raster"
                else ""
            )
            for kind, item in project.inputs.items()
        }
        inputs["run"] = dt.datetime.now().isoformat(timespec="seconds")
        inputs["metric CRS"] = str(result.parcels.crs.name if result.parcels.crs else "")
        written = write_audit(
            result, target, overwrite=overwrite, title=project.name, inputs=inputs
        )
        bar.update()
    finally:
        bar.close()
    if echo:
        echo(f"wrote {target}")
    return result, written
