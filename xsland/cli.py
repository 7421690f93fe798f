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


def _print_frame(df: pd.DataFrame, *, floatfmt: str = "{:,.2f}") -> None:
    with pd.option_context("display.max_rows", 200, "display.width", 160,
                           "display.max_columns", 20, "display.unicode.east_asian_width", True,
                           "display.float_format", floatfmt.format):
        click.echo(df.to_string())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", default=None, help="CRS of layers that have none, e.g. EPSG:4549.")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Also write the data-quality table to this .csv or .xlsx file.")
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
        click.echo(f"{item['kind']:<12} {item['file']}"
                   + (f" [{item['layer']}]" if item["layer"] else "")
                   + f": {item['rows']} rows")
    for item in result.skipped:
        click.echo(f"{'(skipped)':<12} {item}")
    q = result.quality
    if q.empty:
        click.echo("\nNo data-quality problems found.")
    else:
        click.echo("\nData quality (数据质量):")
        summary = (q.groupby(["layer", "check", "label", "severity"], sort=False)
                   .agg(count=("id", "size"),
                        ids=("id", lambda s: ", ".join(list(dict.fromkeys(s))[:12])
                             + (" …" if s.nunique() > 12 else "")))
                   .reset_index())
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
@click.option("--metric-crs", default=None,
              help="Measure in this CRS instead of the automatic choice.")
def area(file: str, layer: str | None, by: str | None, crs: str | None,
         metric_crs: str | None) -> None:
    """Area table of the polygons in FILE, in m², 亩, ha and km²."""
    from .area import area_table
    from .crs import metric_crs as choose
    from .io import read_layer

    gdf = read_layer(file, layer=layer, crs=crs)
    if by is not None and by not in gdf.columns:
        raise click.BadParameter(
            f"{file} has no column {by!r}; its columns are "
            f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}",
            param_hint="--by")
    used = metric_crs or choose(gdf)
    table = area_table(gdf, by=by) if metric_crs is None else area_table(
        gdf.to_crs(metric_crs), by=by)
    click.echo(f"{file}: {len(gdf)} features, CRS {gdf.crs.to_string()}, "
               f"areas in {getattr(used, 'name', used)}")
    _print_frame(table)


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the sample (default: data/xishan in the source tree).")
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
@click.option("--out", type=click.Path(file_okay=False), default="out/demo", show_default=True,
              help="Output folder.")
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
