"""The ``xsland`` command line: parse, resolve paths, call the library.

Nothing here computes; every command calls public functions of the library.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import signal
import stat
import sys
import tempfile
import traceback
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import pandas as pd

from xsland._redact import is_postgres_uri, printable, redact
from xsland._version import __version__
from xsland.errors import Interrupted, XslandError, XslandWarning

__all__ = ["main"]

log = logging.getLogger("xsland")

#: Environment variable naming the folder of crash logs (default: a temporary folder).
CRASH_DIR_ENV = "XSLAND_CRASH_DIR"


class _RedactFilter(logging.Filter):
    """Masks passwords in every log record (:func:`xsland._redact.redact`) and shows its
    control and bidi characters as escapes (:func:`xsland._redact.printable`): a warning
    or log line quotes file names and values from the data, as error messages do."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = printable(redact(message))
        if safe != message:
            record.msg, record.args = safe, None
        return True


def _setup_logging(verbose: int) -> None:
    """Warnings and errors on standard error; ``-v`` adds information, ``-vv`` debugging.

    The level is the handlers' as well as the root logger's: a library that sets its own
    loggers' level (Dask's ``distributed`` logs its cluster's start and stop at INFO)
    does not print below it without ``-v``.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.captureWarnings(True)
    if verbose < 2:  # -vv keeps Python's form: file, line and source line
        warnings.formatwarning = _format_warning
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
        if not any(isinstance(f, _RedactFilter) for f in handler.filters):
            handler.addFilter(_RedactFilter())


def _format_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: Any = None
) -> str:
    """A warning as a user reads it: xsland's own as its message (which names the fix),
    another library's with its kind and the package it came from, never a path into
    the installed code or a line of its source (``-vv`` shows those)."""
    if issubclass(category, XslandWarning):
        return str(message)
    parts = Path(filename).parts
    package = parts[parts.index("site-packages") + 1] if "site-packages" in parts[:-1] else ""
    where = f" from {package.removesuffix('.py')}" if package else ""
    return f"{message} ({category.__name__}{where})"


_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.EACCES: (
        "permission denied",
        "choose a path you may write to (--out) or change its permissions",
    ),
    errno.EPERM: (
        "operation not permitted",
        "choose a path you may write to (--out) or change its permissions",
    ),
    errno.EEXIST: ("it exists already", "pass --overwrite to replace it, or give another --out"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.EISDIR: ("it is a folder where a file was expected", "give a file path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.ENAMETOOLONG: ("a file name is too long for the file system", "use a shorter --out path"),
    errno.ENOSPC: ("no space left on the device", "free some space or write elsewhere with --out"),
    errno.EROFS: ("the file system is read-only", "write elsewhere with --out"),
    errno.ENOTEMPTY: ("the folder is not empty", "give a new folder with --out"),
}


def _named(exc: BaseException) -> str | None:
    """The message of an error whose cause is known (exit 1), else ``None``."""
    if isinstance(exc, XslandError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        what, fix = _OS_ERRORS[exc.errno]
        where = " → ".join(str(f) for f in (exc.filename, exc.filename2) if f)
        return f"{where + ': ' if where else ''}{what}. Fix: {fix}"
    from pandas.errors import OutOfBoundsDatetime, OutOfBoundsTimedelta

    if isinstance(exc, (OutOfBoundsDatetime, OutOfBoundsTimedelta)):
        return (
            f"a date outside the range xsland can hold (1677-09-22 to 2262-04-11): {exc}. Fix: "
            "correct the date in the input, or leave the cell empty when there is no date"
        )
    from pyproj.exceptions import CRSError as ProjCRSError

    if isinstance(exc, ProjCRSError):
        return f"unknown coordinate reference system: {exc}. Fix: give one such as --crs EPSG:4549"
    return None


def _hint(exc: BaseException) -> str:
    """A likely cause of an unexpected error, where its type tells one."""
    module = type(exc).__module__ or ""
    if module.startswith("shapely"):
        return (
            " It came from a geometry operation (GEOS): run `xsland check` on the inputs to "
            "find invalid, empty or non-finite coordinates."
        )
    if module.startswith("pyproj"):
        return (
            " It came from a coordinate transformation (PROJ): run `xsland check` on the "
            "inputs to find coordinates that do not fit their CRS."
        )
    return ""


def _crash_log(exc: BaseException) -> Path | None:
    """Write the redacted traceback to a new crash log; its path (None if it cannot be written)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    body = (
        f"xsland {__version__}\ncommand: {redact(' '.join(sys.argv))}\n"
        f"python {sys.version.split()[0]}\n\n{redact(text)}"
    )
    folders = [os.environ.get(CRASH_DIR_ENV), Path(tempfile.gettempdir()) / "xsland-crash"]
    for folder in folders:
        if not folder:
            continue
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="crash-", suffix=".log", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            return Path(name)
        except OSError:
            continue
    return None


class _Group(click.Group):
    """The one error boundary: no traceback reaches the user.

    Known failures (xsland's errors, the file errors a user causes, dates out of
    range) print ``error: what, where. Fix: how`` and exit 1; anything else prints
    one line with the path of a crash log holding the traceback and exits 2
    (``-v`` prints the traceback too). SIGTERM/SIGHUP exit 128 + the signal.
    Every message goes through :func:`xsland._redact.redact`.
    """

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.ClickException as exc:
            exc.message = printable(redact(exc.message))
            raise
        except Interrupted as exc:
            click.secho(
                f"error: stopped by signal {exc.signum}; temporary output was removed",
                fg="red",
                err=True,
            )
            ctx.exit(128 + exc.signum)
        except KeyboardInterrupt:
            click.secho(
                "error: interrupted (Ctrl-C); temporary output was removed", fg="red", err=True
            )
            ctx.exit(130)
        except BrokenPipeError as exc:
            if not _stdout_gone():
                self._unexpected(ctx, exc)
            # the reader of the output left (`xsland area F | head`): stop quietly, as a
            # Unix tool stopped by SIGPIPE does; what is left to print goes nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(128 + signal.SIGPIPE)
        except Exception as exc:  # noqa: BLE001 - the boundary
            named = _named(exc)
            if named is not None:
                click.secho(f"error: {printable(redact(named))}", fg="red", err=True)
                ctx.exit(1)
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: click.Context, exc: Exception) -> None:
        logpath = _crash_log(exc)
        first = printable(redact(str(exc).strip().splitlines()[0] if str(exc).strip() else ""))[
            :300
        ]
        where = f"; details in {logpath}" if logpath else ""
        click.secho(
            f"error: xsland stopped on an unexpected {type(exc).__name__}: {first}{where}."
            f"{_hint(exc)} Run again with -v to see the traceback; please report it.",
            fg="red",
            err=True,
        )
        if (ctx.params.get("verbose") or 0) > 0:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            click.echo(redact(text), err=True)
        ctx.exit(2)


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has left (and not, say, a worker's
    pipe or a socket that broke: those are errors to report)."""
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        poll = select.poll()
        poll.register(fd, select.POLLOUT)
        return any(event & select.POLLERR for _, event in poll.poll(0))
    except (OSError, ValueError, AttributeError):  # closed, replaced, no poll: not that case
        return False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xsland")
@click.option(
    "-v", "--verbose", count=True, help="More messages (-v info and tracebacks, -vv debug)."
)
def main(verbose: int) -> None:
    """xsland: land-use audit of industrial parks (锡山区特色专业园区).

    Exit status: 0 done, 1 a named error (what, where, how to fix), 2 a wrong
    command line or an unexpected error (with the path of its crash log), 141 the
    reader of its output left (as `| head` does).
    """
    _setup_logging(verbose)


@contextlib.contextmanager
def _output(
    target: str | Path,
    *,
    inputs: Iterable[Any] = (),
    overwrite: bool = False,
    folder: bool = True,
    option: str = "--out",
) -> Iterator[Path]:
    """Check every input and the output target, then hold the output's lock.

    Everything is checked before any data is read (:mod:`xsland._preflight`); the
    lock is held until the block ends, and the target is checked again under it.
    """
    from xsland._atomic import output_lock
    from xsland._preflight import check_inputs, check_output

    inputs = list(inputs)
    check_inputs(inputs)
    path = Path(target)
    check_output(path, inputs=inputs, overwrite=overwrite, folder=folder, option=option)
    with output_lock(path):
        check_output(path, inputs=inputs, overwrite=overwrite, folder=folder, option=option)
        yield path


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
@click.argument("files", nargs=-1, required=True)
@click.option("--crs", default=None, help="CRS of layers that have none, e.g. EPSG:4549.")
@click.option(
    "--out",
    "out",
    default=None,
    help="Also write the data-quality table to this .csv or .xlsx file.",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def check(files: tuple[str, ...], crs: str | None, out: str | None, overwrite: bool) -> None:
    """Validate input FILES and print the data-quality summary.

    The kind of each file or GeoPackage layer (parks, parcels, buildings, plan,
    enterprises, indicators) is recognised from its name or its columns. Exit
    status 1 when any error-level problem is found.
    """
    from xsland._preflight import check_inputs

    check_inputs(files, uris=False)  # check reads files only
    folders = [f for f in files if Path(f).is_dir()]
    if folders:
        from xsland.errors import InputFileError

        raise InputFileError(
            f"{', '.join(folders)}: a folder, not a file. Fix: give the files in it "
            "(e.g. folder/*.gpkg folder/*.csv)"
        )
    guard = _output(out, inputs=files, overwrite=overwrite, folder=False) if out else None
    with guard or contextlib.nullcontext():
        failed = _check(files, crs, out)
    if failed:
        sys.exit(1)


def _check(files: tuple[str, ...], crs: str | None, out: str | None) -> bool:
    """Print the check of ``files`` (and write ``out``); whether an error was found."""
    from xsland.measure.quality import check_files
    from xsland.write.report import write_table

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
    return bool((q["severity"] == "error").any())


@main.command()
@click.argument("file")
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
    from xsland._preflight import check_inputs
    from xsland.measure.area import area_table
    from xsland.read.crs import metric_crs as choose
    from xsland.read.io import read_layer

    check_inputs([file])
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


_INPUT_OPTIONS = ("parks", "parcels", "buildings", "enterprises", "plan", "indicators", "history")


def _crs_options(command: Any) -> Any:
    """``--crs`` and ``--override-crs KIND=CRS``, as `audit` and `partition` take them."""
    command = click.option(
        "--override-crs",
        "override_crs",
        multiple=True,
        help="KIND=CRS: replace a layer's wrong .prj, e.g. parcels=EPSG:4549 (listed).",
    )(command)
    return click.option(
        "--crs", default=None, help="CRS of layers that have none, e.g. EPSG:4549."
    )(command)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        kind, sep, text = v.partition("=")
        if not sep or kind not in _INPUT_OPTIONS:
            raise click.BadParameter(
                f"{v!r}: write KIND=VALUE with KIND one of {', '.join(_INPUT_OPTIONS)}",
                param_hint=option,
            )
        out[kind] = text
    return out


@main.command()
@click.option(
    "-c",
    "--config",
    "config",
    default=None,
    help="Project file (xsland.toml). Flags below override its inputs.",
)
@click.option("--parks", help="Park boundaries (file or postgresql:// URI).")
@click.option("--parcels", help="Parcels (file or postgresql:// URI).")
@click.option("--buildings", help="Buildings (file or postgresql:// URI).")
@click.option("--enterprises", help="Enterprise table (CSV/XLSX or postgresql:// URI).")
@click.option("--plan", help="Planning layer (file or postgresql:// URI).")
@click.option("--indicators", help="Park indicators table (CSV/XLSX or postgresql:// URI).")
@click.option("--history", help="Enterprise evaluation history (CSV/XLSX or URI).")
@click.option(
    "--barriers",
    multiple=True,
    help="Layer a block may not cross (rivers, trunk roads); repeat for several.",
)
@click.option(
    "--landcover",
    default=None,
    help="Land-cover GeoTIFF: built-up and bare shares per parcel and park.",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    help="KIND=schema.table for an input given as a postgresql:// URI.",
)
@click.option(
    "--sql", "sqls", multiple=True, help="KIND=SELECT … for an input given as a postgresql:// URI."
)
@click.option("--out", default=None, help="Output folder.")
@_crs_options
@click.option("--year", type=int, default=None, help="Indicator year to judge.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date idle land is judged at (default: the project's, else today).",
)
@click.option(
    "--rename-duplicates",
    is_flag=True,
    default=None,
    help="Keep duplicate IDs as ID-2, ID-3 … (listed in the quality table).",
)
@click.option(
    "--drop-empty",
    is_flag=True,
    default=None,
    help="Leave out features without geometry (listed in the quality table).",
)
@click.option("--no-maps", is_flag=True, help="Do not write map.html and maps/.")
@click.option("--no-report", is_flag=True, help="Do not write report.html.")
@click.option(
    "--engine",
    type=click.Choice(["single", "dask"]),
    default="single",
    show_default=True,
    help="Run floor areas and blocks in one process or on a Dask cluster (same results).",
)
@click.option("--workers", type=int, default=None, help="Workers of a local Dask cluster.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler.")
@click.option(
    "--partitions",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Audit this partitioned dataset (`xsland partition`) instead of the parcels and "
    "buildings inputs (not with --parcels or --buildings): each task reads its own "
    "partitions; the full parcel table is "
    "written as OUT/parcels.parquet. Default: the parcels input, when it names such a "
    "dataset's folder.",
)
@click.option(
    "--to-postgis",
    "to_postgis",
    default=None,
    help="Also write the audit layers to this postgresql:// database (one transaction).",
)
@click.option("--schema", default="xsland", show_default=True, help="Schema of the PostGIS tables.")
@click.option("--geoparquet", is_flag=True, help="Also write the layers as GeoParquet.")
@click.option("--overwrite", is_flag=True, help="Replace the output folder (and tables).")
@click.option(
    "--progress/--no-progress", default=None, help="Show progress (default: on a terminal)."
)
def audit(
    config: str | None,
    barriers: tuple[str, ...],
    landcover: str | None,
    tables: tuple[str, ...],
    sqls: tuple[str, ...],
    out: str | None,
    crs: str | None,
    override_crs: tuple[str, ...],
    year: int | None,
    as_of: Any,
    rename_duplicates: bool | None,
    drop_empty: bool | None,
    no_maps: bool,
    no_report: bool,
    engine: str,
    workers: int | None,
    scheduler: str | None,
    partitions: str | None,
    to_postgis: str | None,
    schema: str,
    geoparquet: bool,
    overwrite: bool,
    progress: bool | None,
    **files: str | None,
) -> None:
    """Run the park audit and write audit.gpkg, audit.xlsx, summary.md, maps and report.html.

    Give a project file with -c, or the inputs as flags (--parks and --parcels
    at least, and --out).
    """
    from xsland._preflight import check_inputs
    from xsland.pipeline.run import run_project
    from xsland.rules.project import Project, load_project

    check_inputs([config, *barriers, landcover, *files.values()])
    ignored = [f"--{k}" for k in ("parcels", "buildings") if partitions and files.get(k)]
    if ignored:  # the dataset's layers would be audited, the files given silently not
        flags = " and ".join(ignored)
        raise click.UsageError(
            f"{flags} with --partitions: the dataset's parcels and buildings are audited, "
            f"not {flags}. Fix: leave out {flags}, or write a dataset of them first with "
            "`xsland partition` and give it to --partitions"
        )
    if files.get("buildings") and _is_dataset(files.get("parcels")):
        raise click.UsageError(
            "--buildings with --parcels naming a partitioned dataset: the dataset's "
            "buildings are audited, not --buildings. Fix: leave out --buildings, or give "
            "--parcels the parcels' file"
        )
    project = load_project(config) if config else Project()
    needed = ("parks",) if partitions else ("parks", "parcels")
    missing = [k for k in needed if k not in project.inputs and not files.get(k)]
    if missing:
        raise click.UsageError(
            f"no {' or '.join(missing)} input: give -c xsland.toml or "
            + " ".join(f"--{k} FILE" for k in missing)
        )
    target = Path(out) if out else project.out
    if target is None:
        raise click.UsageError("no output folder: pass --out DIR or set [project] out")
    # the dataset of --partitions is an input too: its tasks read it while the output is made
    given = [*_project_files(project, config), *barriers, landcover, *files.values(), partitions]
    with _output(target, inputs=given, overwrite=overwrite):
        if to_postgis:  # before any data is read: the database must be reachable
            from xsland.read.postgis import check_connection

            check_connection(to_postgis)
        project = _audit_project(
            project,
            files,
            barriers=barriers,
            landcover=landcover,
            tables=tables,
            sqls=sqls,
            crs=crs,
            override_crs=override_crs,
            year=year,
            rename_duplicates=rename_duplicates,
            drop_empty=drop_empty,
            no_maps=no_maps,
            no_report=no_report,
        )
        result, written = run_project(
            project,
            out=target,
            overwrite=overwrite,
            progress=progress,
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            partitions=partitions,
            to_postgis=to_postgis,
            schema=schema,
            geoparquet=geoparquet,
            as_of=as_of.date() if as_of is not None else None,
        )
    _echo_result(result, written, target)
    if to_postgis:
        click.echo(f"wrote the audit layers to {redact(to_postgis)} schema {schema}")


def _is_dataset(path: str | None) -> bool:
    """Whether ``path`` is the folder of a partitioned dataset (``xsland partition``)."""
    from xsland.pipeline.engine import PARTITION_INDEX

    return (
        bool(path) and not is_postgres_uri(str(path)) and (Path(path) / PARTITION_INDEX).is_file()
    )


def _project_files(project: Any, config: str | None) -> list[Any]:
    """Every file a project reads (URIs left out), with the project file."""
    paths: list[Any] = [config]
    for item in project.inputs.values():
        paths.extend(item.paths or (item.path,))
    return [p for p in paths if p is not None and not is_postgres_uri(str(p))]


def _audit_project(project: Any, files: dict[str, str | None], **given: Any) -> Any:
    """The project of ``xsland audit``: the project file's, its inputs replaced by the flags."""
    import dataclasses
    from types import MappingProxyType

    from xsland.read.io import list_layers
    from xsland.rules.project import Input

    inputs = dict(project.inputs)
    table_of, sql_of = _pairs(given["tables"], "--table"), _pairs(given["sqls"], "--sql")
    for kind in _INPUT_OPTIONS:
        value = files.get(kind)
        if not value:
            continue
        if is_postgres_uri(value):
            if bool(table_of.get(kind)) == bool(sql_of.get(kind)):
                raise click.UsageError(
                    f"--{kind} is a database: give --table {kind}=schema.table or --sql {kind}=…"
                )
            inputs[kind] = Input(
                kind, value, table=table_of.get(kind), sql=sql_of.get(kind), paths=(value,)
            )
            continue
        path = Path(value)
        layer = None
        if path.suffix.lower() == ".gpkg" and kind in list_layers(path):
            layer = kind
        inputs[kind] = Input(kind, path, layer=layer)
    if given["barriers"]:
        paths = tuple(Path(b) for b in given["barriers"])
        inputs["barriers"] = Input("barriers", paths[0], paths=paths)
    if given["landcover"]:
        inputs["landcover"] = Input("landcover", Path(given["landcover"]))
    _override_crs(inputs, given["override_crs"])
    year = given["year"]
    return dataclasses.replace(
        project,
        inputs=MappingProxyType(inputs),
        crs=given["crs"] or project.crs,
        year=year if year is not None else project.year,
        duplicates="rename" if given["rename_duplicates"] else project.duplicates,
        empty_geometry="drop" if given["drop_empty"] else project.empty_geometry,
        maps=project.maps and not given["no_maps"],
        report=project.report and not given["no_report"],
    )


def _override_crs(inputs: dict[str, Any], pairs: tuple[str, ...]) -> None:
    """``--override-crs KIND=CRS``: each named input's CRS replaced (in ``inputs``)."""
    import dataclasses

    for kind, value in _pairs(pairs, "--override-crs").items():
        if kind not in inputs:
            raise click.BadParameter(f"no {kind} input to override", param_hint="--override-crs")
        inputs[kind] = dataclasses.replace(inputs[kind], override_crs=value)


@main.command()
@click.option(
    "-c",
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Project file naming the parcels and buildings (and parks, for towns).",
)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Dataset folder.")
@_crs_options
@click.option(
    "--parcels-per-partition",
    type=int,
    default=None,
    help="Largest partition; larger towns are cut into tiles (default 100000).",
)
@click.option("--overwrite", is_flag=True, help="Replace the dataset folder.")
@click.option(
    "--progress/--no-progress", default=None, help="Show progress (default: on a terminal)."
)
def partition(
    config: str,
    out: str,
    crs: str | None,
    override_crs: tuple[str, ...],
    parcels_per_partition: int | None,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Write parcels and buildings as partitioned, spatially sorted GeoParquet.

    One partition per town (tiles for large towns), Hilbert-sorted, with bounding-box
    columns, for Dask workers that each read their own partitions.
    """
    import dataclasses
    from types import MappingProxyType

    from xsland.pipeline.run import partition_project
    from xsland.rules.project import load_project

    project = load_project(config)
    inputs = dict(project.inputs)
    _override_crs(inputs, override_crs)  # as `xsland audit`, which the CRS messages name
    project = dataclasses.replace(project, inputs=MappingProxyType(inputs), crs=crs or project.crs)
    # like `xsland audit`: never the current folder, a folder holding an input or one
    # xsland did not write, checked before any data is read
    with _output(out, inputs=_project_files(project, config), overwrite=overwrite):
        folder = partition_project(
            project,
            out,
            parcels_per_partition=parcels_per_partition,
            overwrite=overwrite,
            progress=progress,
        )
    from xsland.pipeline.engine import read_partition_index

    index = read_partition_index(folder)
    rows = sum(e["rows"] for e in index["parcels"])
    click.echo(f"wrote {folder}: {rows} parcels in {len(index['parcels'])} partitions")


def _echo_result(result, written: list[Path], target: Path) -> None:
    """What the audit found, on the terminal: counts, the parks that fail a target (the
    first ``NAMES_MAX_PARKS`` in park order, then how many more), low-efficiency land,
    blocks and the files written."""
    import numpy as np

    from xsland.judge.audit import CHECKS, check_labels
    from xsland.write.htmlreport.sections import NAMES_MAX_PARKS

    labels = check_labels(result.policy)  # the thresholds applied, never the defaults
    parks = result.parks
    n_parcels = int(result.meta.get("n_parcels") or len(result.parcels))
    click.echo(
        f"audited {len(parks)} parks, {n_parcels} parcels; "
        f"{len(result.quality)} data-quality findings"
    )
    changed = result.policy.changed()
    if changed:
        click.echo(
            "rules set by the project: " + ", ".join(f"{k} = {v}" for k, v in changed.items())
        )
    failed = parks[list(CHECKS)].eq("fail").to_numpy()
    failing = np.flatnonzero(failed.any(axis=1))
    for i in failing[:NAMES_MAX_PARKS]:
        fails = [labels[c] for c, no in zip(CHECKS, failed[i], strict=True) if no]
        row = parks.iloc[i]
        park = printable(f"{row['park_id']} {row['name']}", one_line=True)  # from the data
        click.echo(f"  {park}: fails " + "; ".join(fails))
    if len(failing) > NAMES_MAX_PARKS:
        click.echo(
            f"  … and {len(failing) - NAMES_MAX_PARKS} more of {len(failing)} parks that fail "
            "a target: every park's checks are in the parks table (audit.xlsx, audit.gpkg)"
        )
    if "low_efficiency" in result.parcels.columns:
        low = result.parcels["low_efficiency"].fillna(False).astype(bool)
        click.echo(
            f"low-efficiency land: {int(low.sum())} parcels, "
            f"{result.parcels.loc[low, 'area_mu'].sum():,.1f} 亩"
        )
    if result.blocks is not None and len(result.blocks):
        big = result.blocks[~result.blocks["below_threshold"].astype(bool)]
        click.echo(
            f"contiguous blocks: {len(result.blocks)} ({len(big)} of at least the minimum "
            f"area {result.policy.block_min_mu:g} 亩, {big['area_mu'].sum():,.1f} 亩)"
        )
    click.echo(f"wrote {len(written)} files to {target.resolve()}:")
    for p in written:
        click.echo(f"  {p}")


@main.command()
@click.argument("path", default="xsland.toml")
@click.option("--sample", is_flag=True, help="Fill in the inputs of the bundled Xishan sample.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
def init(path: str, sample: bool, overwrite: bool) -> None:
    """Write a commented project file (default xsland.toml) with every rule and its source."""
    import os

    from xsland._atomic import atomic_file
    from xsland._preflight import check_output
    from xsland.rules.project import project_template

    target = check_output(path, overwrite=overwrite, folder=False, option="PATH")
    inputs = None
    if sample:
        from xsland.tools.sample import ensure_sample

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
    default=None,
    help="Where to write the sample (default: data/xishan in the source tree).",
)
@click.option(
    "--variant",
    type=click.Choice(["base", "later"]),
    default="base",
    show_default=True,
    help="'later': the same district one year later (to try `xsland diff`).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing sample.")
def sample(out: str | None, variant: str, overwrite: bool) -> None:
    """Generate the synthetic Xishan sample (deterministic)."""
    from xsland.tools.sample import generate_sample, sample_dir

    target = (
        Path(out)
        if out
        else sample_dir().with_name("xishan" if variant == "base" else f"xishan-{variant}")
    )
    with _output(target, overwrite=overwrite):
        paths = generate_sample(target, overwrite=overwrite, variant=variant)
    click.echo(f"wrote the Xishan sample to {target}:")
    for name, path in vars(paths).items():
        click.echo(f"  {name:<14} {path}")


@main.command()
@click.option(
    "--out",
    default="out/demo",
    show_default=True,
    help="Output folder.",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
def demo(out: str, overwrite: bool) -> None:
    """Run every step that exists on the bundled Xishan sample."""
    from xsland.tools.demo import run_demo
    from xsland.tools.sample import sample_dir

    with _output(out, inputs=[sample_dir()] if sample_dir().exists() else [], overwrite=overwrite):
        written = run_demo(Path(out), overwrite=overwrite, echo=click.echo)
    click.echo(f"\nDone. Wrote {len(written)} files to {Path(out).resolve()}:")
    for path in written:
        click.echo(f"  {path}")


def _audit_dir(value: str) -> Path:
    path = Path(value)
    if not (path / "audit.gpkg").is_file():
        raise click.BadParameter(
            f"{path} has no audit.gpkg; give the output folder of `xsland audit`"
        )
    return path


def _finished_audit(value: str, config: str | None = None):
    """The finished audit in folder ``value`` (:meth:`AuditResult.read`), with its policy.

    With ``config`` the project file's ``[policy]`` replaces the audit's own; either way
    the command says which policy it uses.
    """
    import dataclasses

    from xsland.result import AuditResult

    path = Path(value)
    source = path if path.suffix.lower() == ".gpkg" and path.is_file() else _audit_dir(value)
    # with -c the audit's stored policy is not read: an audit without one (or with one
    # this version cannot read) is used with the project file's
    policy = _config_policy(config) if config else None
    result = AuditResult.read(source, policy=policy)
    where = source if source.suffix.lower() == ".gpkg" else source / "audit.gpkg"
    if policy is not None:
        click.echo(f"policy: from {config} (-c), not the audit's own")
        return dataclasses.replace(result, policy=policy, rules=policy.table())
    click.echo(f"policy: the audit's own (stored in {where})")
    return result


def _config_policy(config: str):
    """The ``[policy]`` of a project file (its inputs need not exist: only rules are read)."""
    import tomllib

    from xsland.errors import PolicyError
    from xsland.rules.policy import Policy

    try:
        data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{config} is not valid TOML: {exc}") from None
    return Policy.from_mapping(data.get("policy") or {}, where=f"{config} [policy]")


_CONFIG_HELP = "Use this project file's [policy] instead of the audit's own."


@main.command("map")
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write map.html and maps/ (default: OUTPUT_DIR).",
)
@click.option(
    "--basemap",
    type=click.Choice(["osm", "tianditu_vec", "tianditu_img", "amap", "amap_satellite", "none"]),
    default="osm",
    show_default=True,
    help="Basemap at start; 高德 (amap) shifts every overlay to GCJ-02.",
)
@click.option(
    "--tianditu-key",
    envvar="TIANDITU_KEY",
    default=None,
    help="天地图 key (or the TIANDITU_KEY environment variable); without one 天地图 is left out.",
)
@click.option("--title", default=None, help="Title (default: the audit's).")
@click.option("--date", "audit_date", default=None, help="Audit date shown (default: the audit's).")
@click.option("--no-towns", is_flag=True, help="Only map.html, no maps/<town>.html.")
@click.option(
    "--simplify",
    type=float,
    default=0.1,
    show_default=True,
    help="Simplification tolerance in metres (shared edges kept).",
)
@click.option("-c", "--config", type=click.Path(exists=True, dir_okay=False), help=_CONFIG_HELP)
def map_(
    output_dir: str,
    out: str | None,
    basemap: str,
    tianditu_key: str | None,
    title: str | None,
    audit_date: str | None,
    no_towns: bool,
    simplify: float,
    config: str | None,
) -> None:
    """Write the interactive maps of a finished audit again, with other options."""
    from xsland.write.maps import write_maps

    result = _finished_audit(output_dir, config)
    written = write_maps(
        result,
        Path(out) if out else Path(output_dir),
        basemap=basemap,
        tianditu_key=tianditu_key,
        title=title,
        audit_date=audit_date,
        towns=not no_towns,
        simplify=simplify,
    )
    click.echo(f"wrote {len(written)} maps:")
    for p in written:
        click.echo(f"  {p}")


@main.command()
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--title", default=None, help="Title (default: the audit's).")
@click.option(
    "--lang",
    type=click.Choice(["zh-en", "zh"]),
    default="zh-en",
    show_default=True,
    help="zh: Chinese only (no English glosses, also in print).",
)
@click.option("-c", "--config", type=click.Path(exists=True, dir_okay=False), help=_CONFIG_HELP)
def report(output_dir: str, title: str | None, lang: str, config: str | None) -> None:
    """Write report.html of a finished audit again (charts, for leadership)."""
    from xsland.write.htmlreport import REPORT_NAME, existing_maps, write_report

    result = _finished_audit(output_dir, config)
    path = write_report(
        result,
        Path(output_dir) / REPORT_NAME,
        title=title,
        maps=existing_maps(output_dir),
        lang=lang,
    )
    click.echo(f"wrote {path}")


@main.command()
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-c",
    "--config",
    "config",
    default=None,
    help="Take the block rules from this project file's [policy] (default: the audit's).",
)
@click.option("--gap-m", type=float, default=None, help="Gap bridged between parcels (m).")
@click.option("--min-mu", type=float, default=None, help="Smallest block worth reporting (亩).")
@click.option("--hole-fill-m2", type=float, default=None, help="Fill outline holes below (m²).")
@click.option("--reward-per-mu", type=float, default=None, help="Reward per 亩 (万元).")
@click.option(
    "--barriers",
    multiple=True,
    help="Layer a block may not cross; repeat for several.",
)
@click.option(
    "--out",
    default=None,
    help="Write the updated audit here (default: OUTPUT_DIR itself, with --overwrite).",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder.")
def blocks(
    output_dir: str,
    config: str | None,
    gap_m: float | None,
    min_mu: float | None,
    hole_fill_m2: float | None,
    reward_per_mu: float | None,
    barriers: tuple[str, ...],
    out: str | None,
    overwrite: bool,
) -> None:
    """Find the contiguous blocks of a finished audit again, with other parameters."""
    from xsland._preflight import check_inputs

    check_inputs([config, *barriers])
    source = _audit_dir(output_dir)
    target = Path(out) if out else source
    # the audit itself may be updated in place: it is read whole before the swap
    inside = [] if Path(target).resolve() == source.resolve() else [source]
    with _output(target, inputs=[config, *barriers, *inside], overwrite=overwrite):
        _blocks(source, target, config, barriers, gap_m, min_mu, hole_fill_m2, reward_per_mu)


def _blocks(
    source: Path,
    target: Path,
    config: str | None,
    barriers: tuple[str, ...],
    *rules: float | None,
) -> None:
    from xsland.pipeline.run import rerun_blocks
    from xsland.read.io import read_layer
    from xsland.write.report import write_audit

    gap_m, min_mu, hole_fill_m2, reward_per_mu = rules
    result = _finished_audit(str(source), config)
    policy = result.policy
    changes = {
        k: v
        for k, v in {
            "block_gap_m": gap_m,
            "block_min_mu": min_mu,
            "block_hole_fill_m2": hole_fill_m2,
            "reward_per_mu_wan": reward_per_mu,
        }.items()
        if v is not None
    }
    policy = policy.replace(**changes) if changes else policy
    layers = [read_layer(b) for b in barriers] or None
    updated = rerun_blocks(result, policy=policy, barriers=layers)
    written = write_audit(updated, target, overwrite=True)
    n = len(updated.blocks)
    small = int(updated.blocks["below_threshold"].sum()) if n else 0
    click.echo(
        f"{n} blocks at {policy.block_gap_m:g} m ({small} below {policy.block_min_mu:g} 亩); "
        f"wrote {len(written)} files to {target}"
    )


@main.command()
@click.argument("source")
@click.option("--column", required=True, help="Parcel column to write (far, category, block_id…).")
@click.option("--resolution", type=float, required=True, help="Cell size in metres.")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    help="GeoTIFF to write.",
)
@click.option("--layer", default=None, help="Layer of SOURCE (default: parcels of an audit).")
@click.option("--crs", default=None, help="Output CRS (default: the data's metric CRS).")
@click.option("--nodata", type=float, default=None, help="Nodata value.")
@click.option(
    "--categorical/--continuous",
    default=None,
    help="Write codes with a category table, or values (default: by column type).",
)
@click.option("--overwrite", is_flag=True, help="Replace the GeoTIFF if it exists.")
def rasterize(
    source: str,
    column: str,
    resolution: float,
    output: str,
    layer: str | None,
    crs: str | None,
    nodata: float | None,
    categorical: bool | None,
    overwrite: bool,
) -> None:
    """Write a parcel column of SOURCE (an audit folder or a vector file) as a GeoTIFF."""
    _guard = _output(output, inputs=[source], overwrite=overwrite, folder=False, option="-o")
    with _guard:
        _rasterize(source, column, output, layer, resolution, crs, nodata, categorical, overwrite)


def _is_audit_gpkg(path: Path) -> bool:
    """Whether ``path`` is the ``audit.gpkg`` of a finished audit (its ``meta`` and parcels)."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    import pyogrio

    names = {str(n) for n, _ in pyogrio.list_layers(path)}
    return {"meta", "parcels", "parks"} <= names


def _rasterize(
    source: str,
    column: str,
    output: str,
    layer: str | None,
    resolution: float,
    crs: str | None,
    nodata: float | None,
    categorical: bool | None,
    overwrite: bool,
) -> None:
    from xsland.measure.raster import rasterize_column
    from xsland.read.io import read_layer

    path = Path(source)
    if path.is_dir() or _is_audit_gpkg(path):  # a finished audit: its one reader
        from xsland.result import AuditResult

        path = path if path.is_file() else _audit_dir(source) / "audit.gpkg"
        tables = ("parcels", "blocks", "parks", "park_zones")
        if (layer or "parcels") not in tables:
            raise click.BadParameter(
                f"an audit folder has the polygon layers {', '.join(tables)}, not {layer!r}",
                param_hint="--layer",
            )
        gdf = getattr(AuditResult.read(path), layer or "parcels")
        if gdf is None:
            raise click.BadParameter(f"{path} has no layer {layer!r}", param_hint="--layer")
    else:
        gdf = read_layer(path, layer=layer)
    if column not in gdf.columns:
        raise click.BadParameter(
            f"{path} has no column {column!r}; its columns are "
            f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}",
            param_hint="--column",
        )
    res = rasterize_column(
        gdf,
        column,
        output,
        resolution=resolution,
        crs=crs,
        nodata=nodata,
        categorical=categorical,
        overwrite=overwrite,
    )
    click.echo(f"wrote {res.path} ({res.shape[1]} × {res.shape[0]} cells, {res.crs})")
    if res.categories_path:
        click.echo(f"wrote {res.categories_path}")


@main.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--out",
    required=True,
    help="Output folder: diff.xlsx, diff.gpkg and diff_map.html.",
)
@click.option(
    "--min-overlap",
    type=float,
    default=0.05,
    show_default=True,
    help="Share of the smaller parcel two parcels must share to be matched.",
)
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option(
    "-c",
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="Use this project file's [policy] for the targets instead of NEW's own.",
)
def diff(
    old: str, new: str, out: str, min_overlap: float, overwrite: bool, config: str | None
) -> None:
    """Compare two audits OLD and NEW: parcels, park checks, blocks and the 2027 targets."""
    from xsland.compare.diff import diff_audits
    from xsland.result import AuditResult
    from xsland.write.diff import write_diff

    with _output(out, inputs=[old, new], overwrite=overwrite) as target:
        before = AuditResult.read(Path(old))
        after = _finished_audit(new, config)
        result = diff_audits(before, after, min_overlap=min_overlap)
        written = write_diff(result, target, overwrite=overwrite)
    _print_frame(result.summary[["label", "value"]])
    click.echo(f"wrote {len(written)} files to {target}:")
    for p in written:
        click.echo(f"  {p}")


if __name__ == "__main__":  # pragma: no cover
    main()
