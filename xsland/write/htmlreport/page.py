"""The page: the sections of the report rendered by Jinja2 templates with autoescaping
(``xsland/write/templates/report_*.html.j2``) into one self-contained HTML file, written
atomically."""

from __future__ import annotations

import datetime as dt
import functools
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd

from xsland._atomic import atomic_file
from xsland._version import __version__
from xsland.errors import DataError
from xsland.result import AuditResult
from xsland.write.htmlreport import charts, sections
from xsland.write.htmlreport.common import (
    DEFAULT_TITLE,
    LANGUAGES,
    _as_date,
    _Audit,
    _collect,
    _inputs_rows,
    _missing,
    _rule_labels,
    _zh_date,
)

__all__ = ["build_report", "existing_maps", "templates", "write_report"]


@functools.lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The report's Jinja2 templates (``xsland/write/templates``), escaping by default."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xsland.write", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


_SECTIONS_NAV = [
    ("summary", "概览"),
    ("scorecard", "记分卡"),
    ("targets", "2027目标"),
    ("far", "容积率"),
    ("lowuse", "低效用地"),
    ("blocks", "连片地块"),
    ("intensity", "集约评价"),
    ("quality", "数据质量"),
    ("rules", "规则与输入"),
]


def build_report(
    result: AuditResult,
    *,
    blocks: gpd.GeoDataFrame | None = None,
    inputs: Mapping[str, Any] | pd.DataFrame | None = None,
    title: str | None = None,
    audit_date: dt.date | dt.datetime | str | None = None,
    image_format: str = "svg",
    top_blocks: int = 10,
    quality_rows: int = 5,
    maps: Sequence[str] = (),
    lang: str = "zh-en",
) -> str:
    """The audit report as one self-contained HTML page, in Chinese.

    Parameters
    ----------
    result
        An :class:`~xsland.result.AuditResult` (a finished audit:
        :meth:`~xsland.result.AuditResult.read`); its policy gives the rules shown. When the
        parcels carry ``low_efficiency`` (with ``reasons`` / ``reasons_zh`` and the kinds
        ``lu_plan``, ``lu_industry``, ``lu_inefficient``) the low-efficiency section is
        drawn; otherwise it says it was not computed in this run.
    blocks
        Contiguous blocks (``block_id``, ``park_id``, ``town``, ``area_mu``, ``route`` …,
        polygon outlines); default the result's.
    inputs
        The run's inputs: the mapping :func:`xsland.pipeline.run.run_project` gives
        :func:`xsland.write.report.write_audit` (kind → ``"path [layer] — N rows"``, plus ``run``
        and other notes), or kind → mapping with ``file``, ``layer``, ``rows``, ``crs``;
        or a table with ``key`` and ``value``; default the result's own.
    title
        Title of the report; default the result's.
    audit_date
        Date printed on the report; default the ``run`` entry of ``inputs``, else the
        result's run date, else today.
    image_format
        ``"svg"`` (vector, sharp in print) or ``"png"``.
    top_blocks
        How many of the largest blocks get a map card.
    quality_rows
        How many rows of each data-quality problem are shown.
    maps
        Interactive maps written beside the report (``map.html``, ``maps/TOWN.html``),
        as paths relative to it; the report links to them.
    lang
        ``"zh-en"`` (default): Chinese with English glosses, which a button hides on
        screen; ``"zh"``: Chinese only, on screen and in print.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    DataError
        When the parks or parcels table (or a required column) is missing.

    Warns
    -----
    NoCJKFontWarning
        When no CJK font is found; the charts then use Latin labels.
    """
    if image_format not in ("svg", "png"):
        raise DataError(f"image_format must be 'svg' or 'png', not {image_format!r}")
    if lang not in LANGUAGES:
        raise DataError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    a = _collect(result, blocks)
    if title is None:
        title = result.meta.get("title") or DEFAULT_TITLE
    if inputs is None:
        inputs = dict(result.inputs)
    if audit_date is None:
        run = result.meta.get("run") or None
        if isinstance(inputs, Mapping):
            run = inputs.get("run")
        elif isinstance(inputs, pd.DataFrame) and {"key", "value"} <= set(inputs.columns):
            hit = inputs.loc[inputs["key"].astype(str) == "run", "value"]
            run = hit.iloc[0] if len(hit) else None
        date = _as_date(run) or dt.date.today()
    else:
        date = _as_date(audit_date)
        if date is None:
            raise DataError(f"audit_date {audit_date!r} is not a date")
    font = charts.find_cjk_font()
    if font is None:
        warnings.warn(
            "no CJK font found (install Debian's fonts-noto-cjk: apt-get install fonts-noto-cjk); "
            "the report's charts use Latin labels",
            charts.NoCJKFontWarning,
            stacklevel=2,
        )
    ch = charts._Charts(font=font, fmt=image_format)
    labels = _rule_labels(a)
    kinds = sections.kind_rows(a)  # for the summary and the low-efficiency section
    parts = [
        sections.summary_section(a, ch, labels, kinds=kinds),
        sections.scorecard_section(a, labels),
        sections.targets_section(a, ch, labels),
        sections.far_section(a, ch),
        sections.lowuse_section(a, ch, kinds=kinds),
        sections.blocks_section(a, ch, top=top_blocks),
        sections.intensity_section(a),
        sections.quality_section(a, ch, first_rows=quality_rows),
        sections.rules_section(a, inputs, date, maps),
    ]
    judged = _as_of(a, inputs)
    return (
        templates()
        .get_template("report_page.html.j2")
        .render(
            version=__version__,
            title=title,
            zh_only=lang == "zh",
            nav=_SECTIONS_NAV,
            date=_zh_date(date),
            as_of=_zh_date(judged) if judged else "",
            policy="依据《锡山区进一步加强特色专业园区建设的工作意见》(锡府办规〔2025〕1号)",
            sections=parts,
        )
    )


def _as_of(a: _Audit, inputs: Any) -> dt.date | None:
    """The date idle land was judged at: the audit's meta, else the run's inputs."""
    value = a.meta.get("as_of")
    if _missing(value):
        value = dict(_inputs_rows(inputs)[1]).get("idle judged at")
    return None if _missing(value) else _as_date(value)


def write_report(
    result: AuditResult,
    path: str | os.PathLike,
    *,
    overwrite: bool = True,
    **options: Any,
) -> Path:
    """Write :func:`build_report` to ``path`` atomically (temporary file, then rename).

    Parameters
    ----------
    result
        As for :func:`build_report`.
    path
        The HTML file to write.
    overwrite
        Replace an existing file (else :class:`~xsland.errors.OutputExistsError`).
    **options
        Keyword options of :func:`build_report`.

    Returns
    -------
    Path
    """
    text = build_report(result, **options)
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def existing_maps(folder: str | os.PathLike) -> list[str]:
    """The interactive maps written in an audit folder, as paths the report links to."""
    base = Path(folder)
    found = [base / "map.html", *sorted((base / "maps").glob("*.html"))]
    return [p.relative_to(base).as_posix() for p in found if p.is_file()]
