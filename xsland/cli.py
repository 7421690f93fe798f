"""The ``xsland`` command line: parse, resolve paths, call the library.

Nothing here computes; every command calls public functions of the library.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import pandas as pd

from . import __version__
from .errors import XslandError

__all__ = ["main"]

log = logging.getLogger("xsland")


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.captureWarnings(True)


class _Group(click.Group):
    """Turns xsland's errors into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except XslandError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xsland")
@click.option("-v", "--verbose", count=True, help="More messages (-v info, -vv debug).")
def main(verbose: int) -> None:
    """xsland: land-use audit of industrial parks (锡山区特色专业园区)."""
    _setup_logging(verbose)


_AREA_FORMATS = {
    "area_m2": "{:,.1f}".format,
    "area_mu": "{:,.2f}".format,
    "area_ha": "{:,.4f}".format,
    "area_km2": "{:,.6f}".format,
}


def _print_frame(df: pd.DataFrame, *, floatfmt: str = "{:,.2f}") -> None:
    with pd.option_context(
        "display.max_rows",
        200,
        "display.width",
        160,
        "display.max_columns",
        20,
        "display.unicode.east_asian_width",
        True,
        "display.float_format",
        floatfmt.format,
    ):
        click.echo(
            df.to_string(formatters={k: v for k, v in _AREA_FORMATS.items() if k in df.columns})
        )


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", default=None, help="CRS of layers that have none, e.g. EPSG:4549.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Also write the data-quality table to this .csv or .xlsx file.",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def check(files: tuple[str, ...], crs: str | None, out: str | None, overwrite: bool) -> None:
    """Validate input FILES and print the data-quality summary.

    The kind of each file or GeoPackage layer (parks, parcels, buildings, plan,
    enterprises, indicators) is recognised from its name or its columns. Exit
    status 1 when any error-level problem is found.
    """
    from .quality import check_files
    from .report import write_table

    if out and Path(out).exists() and not overwrite:
        raise click.UsageError(f"{out} exists; pass --overwrite to replace it")
    result = check_files([Path(f) for f in files], crs=crs)
    for item in result.inputs:
        click.echo(
            f"{item['kind']:<12} {item['file']}"
            + (f" [{item['layer']}]" if item["layer"] else "")
            + f": {item['rows']} rows"
        )
    for item in result.skipped:
        click.echo(f"{'(skipped)':<12} {item}")
    q = result.quality
    if q.empty:
        click.echo("\nNo data-quality problems found.")
    else:
        click.echo("\nData quality (数据质量):")
        summary = (
            q.groupby(["layer", "check", "label", "severity"], sort=False)
            .agg(
                count=("id", "size"),
                ids=(
                    "id",
                    lambda s: (
                        ", ".join(list(dict.fromkeys(s))[:12]) + (" …" if s.nunique() > 12 else "")
                    ),
                ),
            )
            .reset_index()
        )
        _print_frame(summary)
    if out:
        write_table(q, Path(out))
        click.echo(f"\nwrote {out}")
    if (q["severity"] == "error").any():
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--layer", default=None, help="Layer of a multi-layer file.")
@click.option("--by", "by", default=None, help="Sum the areas per value of this column.")
@click.option("--crs", default=None, help="CRS of a layer that has none.")
@click.option(
    "--metric-crs", default=None, help="Measure in this CRS instead of the automatic choice."
)
def area(
    file: str, layer: str | None, by: str | None, crs: str | None, metric_crs: str | None
) -> None:
    """Area table of the polygons in FILE, in m², 亩, ha and km²."""
    from .area import area_table
    from .crs import metric_crs as choose
    from .io import read_layer

    gdf = read_layer(file, layer=layer, crs=crs)
    if by is not None and by not in gdf.columns:
        raise click.BadParameter(
            f"{file} has no column {by!r}; its columns are "
            f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}",
            param_hint="--by",
        )
    used = metric_crs or choose(gdf)
    table = (
        area_table(gdf, by=by) if metric_crs is None else area_table(gdf.to_crs(metric_crs), by=by)
    )
    click.echo(
        f"{file}: {len(gdf)} features, CRS {gdf.crs.to_string()}, "
        f"areas in {getattr(used, 'name', used)}"
    )
    _print_frame(table)


_INPUT_OPTIONS = ("parks", "parcels", "buildings", "enterprises", "plan", "indicators")


@main.command()
@click.option(
    "-c",
    "--config",
    "config",
    type=click.Path(exists=True, dir_okay=False),
    help="Project file (xsland.toml). Flags below override its inputs.",
)
@click.option("--parks", type=click.Path(exists=True, dir_okay=False), help="Park boundaries.")
@click.option("--parcels", type=click.Path(exists=True, dir_okay=False), help="Parcels.")
@click.option("--buildings", type=click.Path(exists=True, dir_okay=False), help="Buildings.")
@click.option(
    "--enterprises",
    type=click.Path(exists=True, dir_okay=False),
    help="Enterprise table (CSV/XLSX).",
)
@click.option("--plan", type=click.Path(exists=True, dir_okay=False), help="Planning layer.")
@click.option(
    "--indicators",
    type=click.Path(exists=True, dir_okay=False),
    help="Park indicators table (CSV/XLSX).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: the project's 'out').",
)
@click.option("--crs", default=None, help="CRS of layers that have none, e.g. EPSG:4549.")
@click.option("--year", type=int, default=None, help="Indicator year to judge.")
@click.option(
    "--rename-duplicates",
    is_flag=True,
    default=None,
    help="Keep duplicate IDs as ID-2, ID-3 … (listed in the quality table).",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option(
    "--progress/--no-progress", default=None, help="Show progress (default: on a terminal)."
)
def audit(
    config: str | None,
    out: str | None,
    crs: str | None,
    year: int | None,
    rename_duplicates: bool | None,
    overwrite: bool,
    progress: bool | None,
    **files: str | None,
) -> None:
    """Run the park audit and write audit.gpkg, audit.xlsx and summary.md.

    Give a project file with -c, or the inputs as flags (--parks and --parcels
    at least, and --out).
    """
    import dataclasses
    from types import MappingProxyType

    from .pipeline import run_project
    from .project import Input, Project, load_project

    project = load_project(config) if config else Project()
    inputs = dict(project.inputs)
    for kind in _INPUT_OPTIONS:
        if files.get(kind):
            path = Path(files[kind])  # type: ignore[arg-type]
            inputs[kind] = Input(kind, path, layer=kind if path.suffix == ".gpkg" else None)
    missing = [k for k in ("parks", "parcels") if k not in inputs]
    if missing:
        raise click.UsageError(
            f"no {' or '.join(missing)} input: give -c xsland.toml or "
            + " ".join(f"--{k} FILE" for k in missing)
        )
    for kind, item in inputs.items():
        if item.layer and item.path.suffix == ".gpkg":
            from .io import list_layers

            if item.layer not in list_layers(item.path) and not config:
                inputs[kind] = dataclasses.replace(item, layer=None)
    project = dataclasses.replace(
        project,
        inputs=MappingProxyType(inputs),
        crs=crs or project.crs,
        year=year if year is not None else project.year,
        duplicates="rename" if rename_duplicates else project.duplicates,
    )
    target = Path(out) if out else project.out
    if target is None:
        raise click.UsageError("no output folder: pass --out DIR or set [project] out")
    if target.exists() and not overwrite:
        raise click.UsageError(f"{target} exists; pass --overwrite to replace it")
    result, written = run_project(project, out=target, overwrite=overwrite, progress=progress)
    _echo_result(result, written, target)


def _echo_result(result, written: list[Path], target: Path) -> None:
    from .audit import CHECKS

    parks = result.parks
    click.echo(
        f"audited {len(parks)} parks, {len(result.parcels)} parcels; "
        f"{len(result.quality)} data-quality findings"
    )
    for _, row in parks.iterrows():
        fails = [CHECKS[c][0] for c in CHECKS if row[c] == "fail"]
        if fails:
            click.echo(f"  {row['park_id']} {row['name']}: fails " + "; ".join(fails))
    click.echo(f"wrote {len(written)} files to {target.resolve()}:")
    for p in written:
        click.echo(f"  {p}")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False), default="xsland.toml")
@click.option("--sample", is_flag=True, help="Fill in the inputs of the bundled Xishan sample.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
def init(path: str, sample: bool, overwrite: bool) -> None:
    """Write a commented project file (default xsland.toml) with every rule and its source."""
    import os

    from .project import project_template
    from .report import atomic_file

    target = Path(path)
    if target.exists() and not overwrite:
        raise click.UsageError(f"{target} exists; pass --overwrite to replace it")
    inputs = None
    if sample:
        from .sample import ensure_sample

        paths = ensure_sample()
        rel = lambda p: os.path.relpath(p, target.resolve().parent)  # noqa: E731
        inputs = {
            "parks": rel(paths.gpkg),
            "parcels": rel(paths.gpkg),
            "buildings": rel(paths.gpkg),
            "plan": rel(paths.gpkg),
            "enterprises": rel(paths.enterprises),
            "indicators": rel(paths.indicators),
        }
    with atomic_file(target, overwrite=True) as tmp:
        tmp.write_text(project_template(inputs=inputs), encoding="utf-8")
    click.echo(f"wrote {target}; edit its [inputs] and run `xsland audit -c {target}`")


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write the sample (default: data/xishan in the source tree).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing sample.")
def sample(out: str | None, overwrite: bool) -> None:
    """Generate the synthetic Xishan sample (deterministic)."""
    from .sample import generate_sample, sample_dir

    target = Path(out) if out else sample_dir()
    if target.exists() and not overwrite:
        raise click.UsageError(f"{target} exists; pass --overwrite to generate it again")
    paths = generate_sample(target, overwrite=overwrite)
    click.echo(f"wrote the Xishan sample to {target}:")
    for name, path in vars(paths).items():
        click.echo(f"  {name:<14} {path}")


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="out/demo",
    show_default=True,
    help="Output folder.",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
def demo(out: str, overwrite: bool) -> None:
    """Run every step that exists on the bundled Xishan sample."""
    from .demo import run_demo

    written = run_demo(Path(out), overwrite=overwrite, echo=click.echo)
    click.echo(f"\nDone. Wrote {len(written)} files to {Path(out).resolve()}:")
    for path in written:
        click.echo(f"  {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
