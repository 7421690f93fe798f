"""Worker processes that write ``audit.xlsx`` and ``audit.gpkg`` on another core.

The writers of :mod:`xsland.write.excel` and :mod:`xsland.write.gpkg` prepare a *plan*:
the file's tables as Arrow tables and a JSON-ready ``spec`` of how to write them. The
last step — rust_xlsxwriter's cells and deflate, GDAL's inserts into the GeoPackage —
runs :func:`write_workbook` or :func:`write_layers`, in this process or in a worker
started by :func:`start` (``python -P worker.py xlsx|gpkg PLAN_DIR OUT``, reading the
tables memory-mapped from Arrow IPC files). Both libraries hold the GIL while they
write, so a thread gains nothing, while a process writes the file on the second core as
the maps and the report are drawn on the first.

The module imports only the standard library at load, and pyarrow, rustpy_xlsxwriter or
pyogrio when it writes, so that the worker starts in a fraction of a second: it is run
as a script (``-P``: its folder, with the writers' modules, is not put on the path),
never importing the package nor the caller's ``__main__``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "MORE",
    "NICENESS",
    "SPEC_FILE",
    "Worker",
    "Writing",
    "cores",
    "load_plan",
    "main",
    "save_plan",
    "start",
    "writing",
    "write_layers",
    "write_workbook",
]

log = logging.getLogger("xsland")

#: How much lower each worker's CPU priority is than the run's (POSIX ``nice``). Two
#: workers and the main process (maps, report) share two cores: the workbook, the longest
#: of the three at scale, keeps the run's priority, so it is not the one left to finish
#: alone on one core at the end; the GeoPackage, much shorter, yields to both. At 1M
#: parcels: 86.3 s against 89.8 s with both workers at 5 and 91.1 s with both at 0 (one
#: run each, street grid); in ``benchmarks/bench_cli.py`` 88.6 s against 88.8 s (street)
#: and 69.9 s against 73.2 s (cadastre): a gain of a few seconds at most. The maps and
#: the report, written meanwhile in the run's process, yield to the workbook too
#: (:data:`xsland.write.report.HERE_NICENESS`).
NICENESS = {"xlsx": 0, "gpkg": 5}

#: The worker's argument that further plans follow on its standard input (:meth:`Worker.add`).
MORE = "--more"

#: The plan's layout in its folder (the tables are ``0.arrow``, ``1.arrow`` … beside it).
SPEC_FILE = "spec.json"


def write_workbook(tables: list[tuple[str, Any]], spec: dict[str, Any], path: str | Path) -> None:
    """Write the workbook of a plan to ``path`` (rust_xlsxwriter, constant memory).

    Parameters
    ----------
    tables
        ``(sheet name, pyarrow.Table)`` in sheet order; one type per column.
    spec
        ``widths`` (sheet -> column widths), ``formats`` (sheet -> each column's Excel
        number format, ``None`` for text: the quote prefix, so ``=1+1`` stays text when
        edited; ``""`` for text written without a cell format, whose cells all read back
        as text anyway) and ``autofilter`` (sheet -> bool). Every sheet gets a frozen, bold,
        bordered header row; dates show as ``yyyy-mm-dd``.

    The writer's temporary files go to ``TMPDIR``, made usable first (:func:`_writer_tmpdir`).

    Raises
    ------
    OSError
        When the writer cannot write the file or its temporary files (no room, no
        permission), with the system's errno and the folder or file concerned.
    """
    import rustpy_xlsxwriter as rx

    made: dict[str, Any] = {}

    def fmt(number: str | None) -> Any:
        key = number or "@text"  # one Format object per distinct format, as Excel keeps them
        if key not in made:
            f = rx.Format()
            made[key] = f.set_num_format(number) if number else f.set_quote_prefix()
        return made[key]

    head = rx.Format().set_bold().set_border("thin").set_align("center")
    names = [name for name, _ in tables]
    scratch = _writer_tmpdir()
    try:
        rx.write_worksheets(
            tables,
            str(path),
            freeze_panes={"general": {"row": 1, "col": 0}},
            datetime_format="yyyy-mm-dd",
            autofit=False,
            column_widths={n: list(spec["widths"][n]) for n in names},
            column_formats={
                n: [None if f == "" else fmt(f) for f in spec["formats"][n]] for n in names
            },
            header_format={n: head for n in names},
            autofilter={n: bool(spec["autofilter"][n]) for n in names},
        )
    except RuntimeError as exc:  # rust_xlsxwriter's I/O errors: an OSError with its errno
        found = _OS_ERROR.search(str(exc))
        if found is None:
            raise
        temporary = "Temporary file" in str(exc)
        raise OSError(
            int(found.group(1)),
            f"{os.strerror(int(found.group(1)))} (writing the workbook"
            + (": its temporary files, in TMPDIR)" if temporary else ")"),
            scratch if temporary else str(path),
        ) from exc


#: How rust_xlsxwriter states the system error behind a failure: ``… (os error 28)``.
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _writer_tmpdir() -> str:
    """The folder rust_xlsxwriter keeps its temporary files in, made usable first.

    It takes ``TMPDIR`` (``/tmp`` when unset) as it is, where Python's :mod:`tempfile`
    tries the next candidate when that one is missing or cannot be written to: a
    ``TMPDIR`` naming a folder that is not there failed the workbook ("Temporary file
    error: No such file or directory"). ``TMPDIR`` is then set to the folder
    :func:`tempfile.gettempdir` found (logged), for this process and those it starts.
    """
    current = os.environ.get("TMPDIR") or "/tmp"
    if os.path.isdir(current) and os.access(current, os.W_OK | os.X_OK):
        return current
    usable = tempfile.gettempdir()
    log.warning(
        "the temporary folder %s is missing or cannot be written to; using %s instead "
        "(set TMPDIR to a folder with room to choose another)",
        current,
        usable,
    )
    os.environ["TMPDIR"] = usable
    return usable


def write_layers(tables: list[tuple[str, Any]], spec: dict[str, Any], path: str | Path) -> None:
    """Write the layers of a plan to the GeoPackage ``path``, in order (pyogrio, Arrow).

    ``spec["layers"]`` holds, per table, the keywords of :func:`pyogrio.raw.write_arrow`
    (``layer``, ``driver``, ``geometry_name``, ``geometry_type``, ``crs``, ``append``,
    ``dataset_options`` …), as :func:`pyogrio.write_dataframe` would pass them.
    """
    from pyogrio.raw import write_arrow

    for (_, table), options in zip(tables, spec["layers"], strict=True):
        write_arrow(table, str(path), **options)


_WRITERS = {"xlsx": write_workbook, "gpkg": write_layers}


def save_plan(tables: list[tuple[str, Any]], spec: dict[str, Any], folder: str | Path) -> None:
    """Store a plan in ``folder`` (created): each table as an Arrow IPC file, the rest JSON."""
    import pyarrow as pa

    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    for i, (_, table) in enumerate(tables):
        with pa.OSFile(str(where / f"{i}.arrow"), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
    body = {"tables": [name for name, _ in tables], **spec}
    (where / SPEC_FILE).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def load_plan(folder: str | Path) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """The plan :func:`save_plan` stored (tables memory-mapped, not copied)."""
    import pyarrow as pa

    where = Path(folder)
    body = json.loads((where / SPEC_FILE).read_text(encoding="utf-8"))
    tables = [
        (name, pa.ipc.open_file(pa.memory_map(str(where / f"{i}.arrow"))).read_all())
        for i, name in enumerate(body.pop("tables"))
    ]
    return tables, body


class Worker:
    """A worker process writing a stored plan (:func:`start`).

    The plan is stored and the process started by a thread of this process
    (:meth:`launch`): Arrow writes its IPC files without holding the GIL, so the caller
    goes on (maps, report) while a gigabyte of plan is written. :attr:`proc` is set once
    the process runs; :meth:`finish` and :meth:`stop` wait for the thread first.
    """

    def __init__(self, kind: str, proc: subprocess.Popen | None, folder: Path, out: Path) -> None:
        self.kind, self.proc, self.folder, self.out = kind, proc, folder, out
        self._thread: threading.Thread | None = None
        self._unsent: tuple[list[tuple[str, Any]], dict[str, Any], OSError] | None = None
        #: the plans given by :meth:`add`: each one's folder, or its tables when not stored
        self._more: list[Path | tuple[list[tuple[str, Any]], dict[str, Any]]] = []
        self._adds = 0

    def launch(
        self, tables: list[tuple[str, Any]], spec: dict[str, Any], *, more: bool = False
    ) -> None:
        """Store the plan and start the process, on a thread; returns at once.

        When the plan cannot be stored or the process not started (no room, no
        interpreter), the tables are kept for :meth:`finish` to write here. With
        ``more`` the process then waits for the plans of :meth:`add` (read from its
        standard input) and writes them to the same file, in turn.
        """
        self._thread = threading.Thread(
            target=self._send,
            args=(tables, spec, more),
            name=f"xsland-{self.kind}-plan",
            daemon=True,
        )
        self._thread.start()

    def _send(self, tables: list[tuple[str, Any]], spec: dict[str, Any], more: bool) -> None:
        try:
            save_plan(tables, spec, self.folder)
            with open(self.folder / "stderr.txt", "wb") as err:
                self.proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-P",
                        str(Path(__file__)),
                        self.kind,
                        str(self.folder),
                        str(self.out),
                    ]
                    + ([MORE] if more else []),
                    stdin=subprocess.PIPE if more else subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
        except OSError as exc:  # no room for the plan, no interpreter to start: write here
            self._unsent = (tables, spec, exc)

    def add(self, tables: list[tuple[str, Any]], spec: dict[str, Any]) -> None:
        """Write this plan too, after the first (:meth:`launch` with ``more``).

        It is stored beside the first by a thread, as :meth:`launch` does, and the process
        is told its folder (a line of its input, which :meth:`finish` closes: then it
        ends). Plans are written in the order given. What cannot be stored is written
        here by :meth:`finish`, after the rest.
        """
        previous = self._thread
        folder = self.folder.with_name(f"{self.folder.name}-more{self._adds}")
        self._adds += 1

        def send() -> None:
            if previous is not None:
                previous.join()
            try:
                save_plan(tables, spec, folder)
                self._more.append(folder)
            except OSError:  # no room: written here (finish)
                shutil.rmtree(folder, ignore_errors=True)
                self._more.append((tables, spec))
            if isinstance(self._more[-1], Path):
                self._tell(f"{folder}\n")
            else:  # the process must not write a later plan before this one: no more
                self._tell("", close=True)

        self._thread = threading.Thread(target=send, name=f"xsland-{self.kind}-more", daemon=True)
        self._thread.start()

    def _tell(self, line: str, *, close: bool = False) -> None:
        """Send ``line`` to the process; with ``close``, end its input (it then ends)."""
        stdin = getattr(self.proc, "stdin", None)
        if stdin is None or stdin.closed:
            return
        try:
            stdin.write(line.encode("utf-8"))
            stdin.flush()
            if close:
                stdin.close()
        except OSError:  # the process has ended: finish() sees how, and writes here
            pass

    def _sent(self) -> None:
        """Wait for :meth:`launch`'s thread (the plan stored, the process started)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def finish(self) -> None:
        """Wait for the worker; when it failed, write the plan in this process.

        The worker's last line of error is logged and what it left at the output removed
        first, so a failure of the file itself is raised here as it would be without a
        worker. The plan's folder is removed either way.
        """
        try:
            self._sent()
            if self._unsent is not None:
                tables, spec, exc = self._unsent
                self._unsent = None
                log.warning(
                    "cannot start a worker for %s (%s); writing it in this process", self.out, exc
                )
                self.out.unlink(missing_ok=True)
                _WRITERS[self.kind](tables, spec, self.out)
                self._write_more(all_plans=True)
                return
            self._tell("", close=True)  # no more plans than those sent
            code = self.proc.wait()
            if code != 0:
                said = (self.folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")
                last = (said.strip().splitlines() or ["no message"])[-1]
                log.warning(
                    "the worker writing %s failed (exit %s: %s); writing it in this process",
                    self.out.name,
                    code,
                    last,
                )
                self.out.unlink(missing_ok=True)
                tables, spec = load_plan(self.folder)
                _WRITERS[self.kind](tables, spec, self.out)
            self._write_more(all_plans=code != 0)
        finally:
            self._remove()

    def _write_more(self, *, all_plans: bool) -> None:
        """Write here the plans of :meth:`add` the process did not: all when it failed,
        else from the first that could not be stored on (the process was stopped there)."""
        here = all_plans
        for plan in self._more:
            here = here or not isinstance(plan, Path)
            if here:
                tables, spec = load_plan(plan) if isinstance(plan, Path) else plan
                _WRITERS[self.kind](tables, spec, self.out)

    def _remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        for plan in self._more:
            if isinstance(plan, Path):
                shutil.rmtree(plan, ignore_errors=True)
        self._more = []

    def stop(self) -> None:
        """Stop the worker and remove its plan (what it wrote stays for the caller)."""
        try:
            self._sent()
            self._unsent = None
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait()
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
        finally:
            self._remove()


def start(
    kind: str,
    tables: list[tuple[str, Any]],
    spec: dict[str, Any],
    out: str | Path,
    *,
    more: bool = False,
) -> Worker | None:
    """A worker process writing the plan to ``out``; ``None`` when it cannot start.

    ``kind`` is ``"xlsx"`` (:func:`write_workbook`) or ``"gpkg"`` (:func:`write_layers`).
    No worker on a machine (or within an affinity) of one core: it would only add its
    start. The plan goes to a temporary folder (:func:`save_plan`), removed when the worker
    ends, written by a thread while the caller goes on (:meth:`Worker.launch`); the caller
    need not keep the tables (:meth:`Worker.finish` reads them back there if the worker
    fails, and writes them here if the plan could not be stored or the worker started).
    With ``more``, further plans for the same file follow (:meth:`Worker.add`).
    """
    if kind not in _WRITERS:
        raise ValueError(f"kind {kind!r}: use one of {sorted(_WRITERS)}")
    if not sys.executable or cores() < 2:  # embedded, or no other core to write on
        return None
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"xsland-{kind}-"))
    except OSError as exc:  # no temporary folder: write here
        log.warning("cannot start a worker for %s (%s); writing it in this process", out, exc)
        return None
    job = Worker(kind, None, folder, Path(out))
    job.launch(tables, spec, more=more)
    return job


class Writing:
    """A worker's ``with`` block: it finishes the worker when the block ends, stops it when
    the block raises (:func:`writing`; it keeps the worker, never the tables)."""

    def __init__(self, job: Worker | None) -> None:
        self.job = job

    def __enter__(self) -> Writing:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self.job is None:
            return
        if kind is None:
            self.job.finish()
        else:  # the block failed (or was interrupted): the worker is stopped
            self.job.stop()


def writing(kind: str, tables: list[tuple[str, Any]], spec: dict[str, Any], out: Path) -> Writing:
    """Write the plan to ``out`` by a worker (:func:`start`) while a ``with`` block runs.

    Without a worker the file is written here, at once. When the block raises, the
    worker is stopped (:meth:`Worker.stop`); when it ends, the run waits for the worker
    (:meth:`Worker.finish`, which writes the file here if the worker failed). The
    context holds no reference to ``tables``: the caller drops its own in the block.
    """
    job = start(kind, tables, spec, out)
    if job is None:  # no worker: written here, at once
        _WRITERS[kind](tables, spec, out)
    return Writing(job)


def cores() -> int:
    """The CPU cores this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def main(argv: list[str]) -> int:
    """``worker.py xlsx|gpkg PLAN_DIR OUT [--more]``: write the stored plan to ``OUT``.

    With ``--more``, then each plan whose folder is a line of standard input, in turn,
    until it ends (:meth:`Worker.add`). 0 when written.
    """
    more = argv[4:] == [MORE]
    if len(argv) != 4 + more or argv[1] not in _WRITERS:
        print(f"usage: worker.py {'|'.join(_WRITERS)} PLAN_DIR OUT [{MORE}]", file=sys.stderr)
        return 2
    if hasattr(os, "nice"):
        # the longest job keeps its priority; a shorter one yields the CPU (NICENESS)
        os.nice(NICENESS[argv[1]])
    tables, spec = load_plan(argv[2])
    _WRITERS[argv[1]](tables, spec, argv[3])
    del tables
    if more:  # then the plans named on standard input, one folder a line, to its end
        for line in sys.stdin:
            if line.strip():
                tables, spec = load_plan(line.strip())
                _WRITERS[argv[1]](tables, spec, argv[3])
                del tables
    return 0


if __name__ == "__main__":  # the worker process of xsland.write.excel and xsland.write.gpkg
    sys.exit(main(sys.argv))
