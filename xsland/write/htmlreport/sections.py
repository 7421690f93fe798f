"""The sections of the report, one function each: the audit's tables in, a context out.

A context is plain data — numbers as the page shows them, text, the charts as images
(:mod:`~xsland.write.htmlreport.charts`) — with the section's ``id``, its Chinese and
English titles, ``short`` (a note only: no new page) and the ``template`` that draws it
(``xsland/write/templates/report_*.html.j2``). No markup is written here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xsland._version import __version__
from xsland.errors import DataError
from xsland.judge.audit import CHECKS, INDUSTRIAL_CATEGORIES, STATUS_ZH
from xsland.judge.lowuse import KINDS, kind_breakdown
from xsland.judge.lowuse import summary as lowuse_summary
from xsland.read.validate import QUALITY_CHECKS
from xsland.read.values import as_bool
from xsland.rules.columns import CODES
from xsland.rules.policy import LOWUSE_KINDS
from xsland.write.htmlreport.charts import (
    CHART_MAX_PARKS,
    _Charts,
    block_map,
    far_chart,
    lowuse_chart,
    platform_segments,
    platforms_chart,
    quality_chart,
    status_chart,
    targets_chart,
)
from xsland.write.htmlreport.common import (
    _FACT_VALUES_ZH,
    _FACTS_ZH,
    _KEEP_ROWS,
    FAIL,
    NA,
    PARK_TYPE_ZH,
    PASS,
    SEVERITY_ZH,
    STATUS_EN,
    STATUS_WORD,
    STATUSES,
    SYMBOL,
    UNKNOWN,
    _Audit,
    _cell_value,
    _first,
    _float,
    _has_kinds,
    _inputs_rows,
    _missing,
    _missing_mask,
    _mu_text,
    _num,
    _parcel_towns,
    _park_frame,
    _park_label,
    _reason_rows,
    _share_text,
    _short,
    _split,
    _status,
    _statuses,
    _text,
)
from xsland.write.htmlreport.quality_zh import quality_detail_zh, quality_title_zh

__all__ = [
    "blocks_section",
    "kind_rows",
    "kind_town_rows",
    "far_section",
    "intensity_section",
    "lowuse_section",
    "quality_section",
    "rules_section",
    "scorecard_section",
    "summary_section",
    "targets_section",
]

Labels = dict[str, tuple[str, str, str]]


def _section(sid: str, zh: str, en: str, template: str, *, short: bool = False, **data: Any):
    return {"id": sid, "zh": zh, "en": en, "template": template, "short": short, **data}


def _note_section(sid: str, zh: str, en: str, note_zh: str, note_en: str, *, absent: bool = False):
    """A section that is a note only (nothing found, or not computed in this run)."""
    return _section(
        sid, zh, en, "report_note.html.j2", short=True, note=(note_zh, note_en), absent=absent
    )


def _not_computed(sid: str, zh: str, en: str, what_zh: str, what_en: str) -> dict[str, Any]:
    return _note_section(
        sid,
        zh,
        en,
        f"本次运行未计算{what_zh}。",
        f"{what_en} not computed in this run.",
        absent=True,
    )


def _figure(
    img: dict[str, str],
    zh: str,
    en: str,
    key: Sequence[tuple[str, str]] = (),
    cut: tuple[str, str] | None = None,
):
    """A chart with its caption (Chinese, English), the key of codes drawn in it, and the
    note saying which parks it shows when it cannot show them all (:func:`_cut_note`)."""
    return {"img": img, "zh": zh, "en": en, "key": list(key), "cut": cut}


#: Where every park is when a chart or a table of the report shows some of them: the
#: parks sheet of audit.xlsx (``xsland.write.excel.SHEETS["parks"]``).
PARKS_SHEET = "园区 parks"


def _chart_rows(rank: np.ndarray, *, cap: int = CHART_MAX_PARKS) -> np.ndarray:
    """Positions of the ``cap`` rows of lowest ``rank`` (ties: the earlier row; NaN
    last), in their own order; every row when there are at most ``cap``."""
    rank = np.asarray(rank, dtype=float)
    if len(rank) <= cap:
        return np.arange(len(rank))
    key = np.where(np.isnan(rank), np.inf, rank)
    return np.sort(np.argsort(key, kind="stable")[:cap])


def _cut_note(
    shown: int, total: int, which_zh: str, which_en: str, *, table: bool = False
) -> tuple[str, str] | None:
    """The note under a chart (over a table, ``table=True``) that shows ``shown`` of
    ``total`` parks: which ones, how many of how many, and that every park is in the parks
    sheet of audit.xlsx; ``None`` when every park is shown."""
    if shown >= total:
        return None
    zh, en = ("表", "table") if table else ("图", "chart")
    return (
        f"{zh}中为{which_zh}的 {shown:,} 个园区(共 {total:,} 个); "
        f"全部园区见 audit.xlsx 的「{PARKS_SHEET}」表。",
        f"The {en} shows the {shown:,} parks {which_en}, of {total:,}; every park is in "
        f"the sheet {PARKS_SHEET} of audit.xlsx.",
    )


#: Most parks a table of the report lists (the scorecard, the targets, FAR and
#: intensive-use tables; also the rows of towns and of reasons of the low-efficiency
#: tables): about four printed pages of 25–30 rows. A district of thousands
#: of parks would otherwise print hundreds of pages, and the page would take as long to
#: build; the parks a planner needs first are listed (each table says which, and how many
#: of how many), every park is in audit.xlsx.
TABLE_MAX_PARKS = 100

#: Most parks named in one cell of a list (the parks failing a rule, the parks without
#: related industries): the first in park order; the list ends "… 等 N 个" (N in all).
NAMES_MAX_PARKS = 30


def _n_failing(parks: pd.DataFrame, checks: Sequence[str]) -> np.ndarray:
    """How many of ``checks`` each park fails."""
    cols = [c for c in checks if c in parks.columns]
    if not cols:
        return np.zeros(len(parks))
    status = np.column_stack([_statuses(parks[c]).to_numpy(dtype=object) for c in cols])
    return (status == FAIL).sum(axis=1).astype(float)


def _status_cell(chk: str, status: str, value: str, *, title: str = "") -> dict[str, str]:
    word = STATUS_WORD.get(status, status)
    return {
        "check": chk,
        "status": status,
        "cls": "na" if status == NA else status,
        "symbol": SYMBOL[status],
        "value": value,
        "tip": f"{word} {STATUS_EN[status]}" + (f" — {title}" if title else ""),
    }


def _legend() -> list[dict[str, str]]:
    return [
        {
            "cls": "na" if s == NA else s,
            "symbol": SYMBOL[s],
            "zh": STATUS_WORD[s],
            "en": STATUS_EN[s],
        }
        for s in STATUSES
    ]


def _cv(chk: str, row: Any) -> str:
    return _cell_value(chk, row) or "—"


def _park_cell(row: Any) -> dict[str, str]:
    return {"bold": _text(row["park_id"]), "text": _text(row.get("name"))}


def _num_cell(text: str) -> dict[str, str]:
    return {"cls": "num", "text": text}


# -- 1 summary -----------------------------------------------------------------------------


def _status_counts(statuses: dict[str, pd.Series]) -> pd.DataFrame:
    """Parks per check (rows, in the order given) and status (columns)."""
    rows = {}
    for chk, st in statuses.items():
        rows[chk] = [int((st == s).sum()) for s in STATUSES]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(STATUSES))


def _district_row(a: _Audit) -> tuple[str, str, Any] | None:
    d = a.district
    if d is None or d.empty or "check" not in d.columns:
        return None
    hit = d[d["check"].astype(str) == "chk_innovation_platforms"]
    if hit.empty:
        return None
    r = hit.iloc[0]
    value = f"{_num(r.get('value'), '{:g}', dash='?')}/{_num(r.get('threshold'), '{:g}')}"
    return _status(r.get("status")), value, r.get("missing_parks")


def kind_rows(a: _Audit) -> list[dict[str, Any]]:
    """Low-efficiency land by kind of clause 二(一)3 and by "only" kind, then ``all``.

    :func:`xsland.judge.lowuse.kind_breakdown` with the audit's ``lowuse_kinds``: the
    figures of ``summary.md``. Empty when the parcels carry no kind columns.
    """
    parcels = a.parcels
    if not _has_kinds(parcels):
        return []
    table = kind_breakdown(parcels, parcels, policy=a.policy)
    return [
        {
            "kind": str(r["kind"]),
            "label": str(r["label"]),
            "label_en": str(r["label_en"]),
            "counted": bool(r["counted"]),
            "n": f"{int(r['n_parcels']):,}",
            "mu": _mu_text(float(r["area_mu"])),
            "share": _share_text(r["industrial_share"]),
            "n_only": f"{int(r['n_only']):,}" if r["kind"] != "all" else "",
            "only_mu": _mu_text(float(r["only_mu"])) if r["kind"] != "all" else "",
            "only_share": _share_text(r["only_industrial_share"]) if r["kind"] != "all" else "",
        }
        for _, r in table.iterrows()
    ]


def kind_town_rows(a: _Audit, *, towns: pd.Series | None = None) -> list[dict[str, Any]]:
    """Per town with low-efficiency land (most 亩 first): parcels and 亩, in all and by
    kind and by "only" kind (:func:`xsland.judge.lowuse.summary` by town).

    ``towns``: the town of every parcel when already worked out (:func:`_parcel_towns`
    of ``a.parcels``), else it is worked out here.

    Only the parcels of low-efficiency land or of a kind are summed: the others add
    nothing to the figures shown (counts, and areas summed exactly, :mod:`xsland._sums`),
    and a town without low-efficiency land is left out."""
    parcels = a.parcels
    if not _has_kinds(parcels):
        return []
    if towns is None:
        towns = _parcel_towns(a, parcels)
    read = [c for c in ("low_efficiency", *(f"lu_{k}" for k in LOWUSE_KINDS)) if c in parcels]
    keep = np.zeros(len(parcels), dtype=bool)
    for c in read:  # as the summary reads a flag
        keep |= parcels[c].fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "town": pd.Series(towns.to_numpy()[keep], dtype=object),
            "area_mu": pd.to_numeric(parcels["area_mu"], errors="coerce").to_numpy()[keep],
        }
    )
    flags = pd.DataFrame(parcels[read]).iloc[keep].reset_index(drop=True)
    table = lowuse_summary(frame, flags, by="town", policy=a.policy)
    table = table[table["n_low_efficiency"] > 0].sort_values(
        ["low_efficiency_mu", "town"], ascending=[False, True], kind="stable"
    )
    counted = set(a.policy.lowuse_kinds)
    return [
        {
            "town": str(r["town"]),
            "n": f"{int(r['n_low_efficiency']):,}",
            "mu": _mu_text(float(r["low_efficiency_mu"])),
            "kinds": [
                {
                    "kind": k,
                    "n": f"{int(r[f'n_lu_{k}']):,}",
                    "mu": _mu_text(float(r[f"lu_{k}_mu"])),
                    "n_only": f"{int(r[f'n_only_{k}']):,}" if k in counted else "",
                    "only_mu": _mu_text(float(r[f"only_{k}_mu"])) if k in counted else "",
                }
                for k in LOWUSE_KINDS
            ],
        }
        for _, r in table.iterrows()
    ]


def summary_section(
    a: _Audit, ch: _Charts, labels: Labels, *, kinds: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """概览: headline figures, the kinds of low-efficiency land, parks by rule and status
    (Fig. 1), and per rule the parks that fail or lack data.

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).
    labels
        ``check -> (Chinese label, English label, source)`` with the run's thresholds.
    kinds
        :func:`kind_rows` of ``a`` when already worked out (for the low-efficiency
        section too), else they are worked out here.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    parks = _park_frame(a)
    parcels = a.parcels
    checks = [c for c in CHECKS if c in parks.columns]
    statuses = {c: _statuses(parks[c]) for c in checks}  # once per check
    n_out = int(_missing_mask(parcels["park_id"]).sum()) if "park_id" in parcels else 0
    area_km2, area_mu = (
        pd.to_numeric(parks[c], errors="coerce").sum() if c in parks else math.nan
        for c in ("area_km2", "area_mu")
    )
    failing = (
        pd.concat([statuses[c] == FAIL for c in checks], axis=1).any(axis=1)
        if checks
        else pd.Series()
    )
    kpis = [
        ("园区", "parks", f"{len(parks)}", ""),
        ("园区面积", "park area", f"{area_km2:,.2f} km²", f"{area_mu:,.0f} 亩"),
        ("地块", "parcels", f"{len(parcels):,}", f"园区外 {n_out:,}" if n_out else ""),
        ("有不达标项的园区", "parks failing a rule", f"{int(failing.sum())}", ""),
        ("数据质量问题", "data-quality findings", f"{len(a.quality):,}", ""),
    ]
    if "low_efficiency" in parcels.columns:
        low = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
        mu = pd.to_numeric(parcels.loc[low, "area_mu"], errors="coerce").sum()
        kpis.append(("低效用地", "low-efficiency land", f"{mu:,.0f} 亩", f"{low.sum():,} 块"))
    if a.blocks is not None:
        kpis.append(("连片地块", "contiguous blocks", f"{len(a.blocks):,}", ""))
    figure = None
    if checks:
        img = status_chart(
            ch, _status_counts(statuses), [labels[c][:2] for c in checks], len(parks)
        )
        figure = _figure(
            img, "图1 各规则的园区达标情况(园区数)。", "Fig. 1 Parks by rule and status."
        )

    def names(frame: pd.DataFrame, chk: str, *, full: bool = True) -> list[dict[str, str]]:
        return [
            {
                "title": _park_label(r),
                "label": _park_label(r) if full else str(r["park_id"]),
                "value": _cell_value(chk, r) if chk == "chk_area" else "",
            }
            for _, r in frame.head(NAMES_MAX_PARKS).iterrows()
        ]

    def more(rows: np.ndarray) -> str:
        return f"{len(rows):,}" if len(rows) > NAMES_MAX_PARKS else ""

    findings = []
    for chk in checks:
        st = statuses[chk]
        # the parks' positions; only the first named are taken of the park table
        fails, unknowns = (np.flatnonzero((st == s).to_numpy(dtype=bool)) for s in (FAIL, UNKNOWN))
        findings.append(
            {
                "zh": labels[chk][0],
                "en": labels[chk][1],
                "n_pass": f"{int((st == PASS).sum())}",
                "fails": names(parks.iloc[fails[:NAMES_MAX_PARKS]], chk),
                "fails_more": more(fails),
                "unknowns": names(parks.iloc[unknowns[:NAMES_MAX_PARKS]], chk, full=False),
                "unknowns_more": more(unknowns),
            }
        )
    district = None
    row = _district_row(a)
    if row is not None:
        status, value, missing = row
        lab = labels["chk_innovation_platforms"]
        district = {
            "zh": lab[0],
            "en": lab[1],
            "result": f"{SYMBOL[status]} {value}",
            "failing": status == FAIL,
            "missing": _text(missing),
        }
    return _section(
        "summary",
        "概览",
        "Summary",
        "report_summary.html.j2",
        kpis=[{"zh": zh, "en": en, "n": n, "s": s} for zh, en, n, s in kpis],
        kinds=(kind_rows(a) if kinds is None else kinds)[:-1],
        figure=figure,
        findings=findings,
        district=district,
    )


# -- 2 scorecard ---------------------------------------------------------------------------


def scorecard_section(a: _Audit, labels: Labels) -> dict[str, Any]:
    """园区达标记分卡: parks as rows, the park rules of SPEC §2 as columns; each cell the
    status as colour and symbol with the measured value.

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    labels
        ``check -> (Chinese label, English label, source)`` with the run's thresholds.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    parks = _park_frame(a)
    checks = [c for c in CHECKS if c in parks.columns]
    short = re.compile(r"^锡府办规〔2025〕1号\s*")
    heads = []
    for chk in checks:
        zh, en, source = labels[chk]
        heads.append({"zh": zh, "en": en, "src": short.sub("", source.split(" (")[0]).strip()})
    innov = "innovation_platforms" in parks.columns
    if innov:
        source = labels["chk_innovation_platforms"][2]
        heads.append(
            {"zh": "省级以上创新平台", "en": "innovation platforms", "src": short.sub("", source)}
        )
    picked = _chart_rows(-_n_failing(parks, checks), cap=TABLE_MAX_PARKS)
    cut = _cut_note(len(picked), len(parks), "不达标项最多", "failing the most rules", table=True)
    rows = []
    for _, r in parks.iloc[picked].iterrows():
        cells = []
        for chk in checks:
            failing = r.get(chk.replace("chk_", "fail_"))
            tip = "" if _missing(failing) else f"不达标地块 {failing}"
            cells.append(_status_cell(chk, _status(r.get(chk)), _cell_value(chk, r), title=tip))
        n = _float(r.get("innovation_platforms"))
        rows.append(
            {
                "park_id": _text(r["park_id"]),
                "name": _text(r.get("name")),
                "town": _text(r.get("town")),
                "type": _text(PARK_TYPE_ZH.get(str(r.get("park_type")), r.get("park_type"))),
                "cells": cells,
                "innovation": ("—" if math.isnan(n) else f"{n:.0f} 家") if innov else None,
            }
        )
    district = None
    row = _district_row(a)
    if row is not None and innov:
        status, value, missing = row
        tip = "" if _missing(missing) else f"缺数据园区 {missing}"
        district = _status_cell("chk_innovation_platforms", status, value, title=tip)
    return _section(
        "scorecard",
        "园区达标记分卡",
        "Scorecard",
        "report_scorecard.html.j2",
        legend=_legend(),
        heads=[
            {"zh": "园区", "en": "park", "inline": True},
            {"zh": "镇街", "en": "town", "inline": True},
            {"zh": "类型", "en": "type", "inline": True},
            *heads,
        ],
        rows=rows,
        n_checks=len(checks),
        district=district,
        cut=cut,
    )


# -- 3 targets -----------------------------------------------------------------------------


def _related_note(parks: pd.DataFrame) -> dict[str, Any]:
    """Parks that list no related or supporting industries (issue 14 item 2)."""
    if "related_industries" not in parks.columns:
        return {"recorded": False, "bare": []}
    listed = np.array([bool(_split(v)) for v in parks["related_industries"]], dtype=bool)
    bare_rows = parks.loc[~listed]
    bare = [_park_label(r) for _, r in bare_rows.head(NAMES_MAX_PARKS).iterrows()]
    if len(bare_rows) > NAMES_MAX_PARKS:
        bare.append(f"… 等 {len(bare_rows):,} 个")
    return {"recorded": True, "bare": bare}


def targets_section(a: _Audit, ch: _Charts, labels: Labels) -> dict[str, Any]:
    """2027年目标进度 (clause 二(二)4, 二(三)7): leading-industry shares, chain leaders and
    innovation platforms against their targets, and the parks that list no related
    industries (their positioning is the leading industry alone).

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).
    labels
        ``check -> (Chinese label, English label, source)`` with the run's thresholds.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    parks = _park_frame(a)
    year = a.rule_text("target_date")[:4] or "2027"
    panels = [
        ("chk_leading_revenue", "val_leading_revenue", "leading_revenue_share_min", True),
        ("chk_leading_count", "val_leading_count", "leading_count_share_min", True),
        ("chk_chain_leader", "val_chain_leader", "chain_leaders_min", False),
    ]
    panels = [p for p in panels if p[1] in parks.columns or p[0] in parks.columns]
    figures = []
    if len(parks) and panels:
        data = []
        fails = np.zeros(len(parks))
        for chk, val, rule, pct in panels:
            values = (
                pd.to_numeric(parks[val], errors="coerce").to_numpy(dtype=float)
                if val in parks.columns
                else np.full(len(parks), np.nan)
            )
            statuses = _statuses(parks[chk]).tolist() if chk in parks else [UNKNOWN] * len(parks)
            fails += np.asarray(statuses, dtype=object) == FAIL
            title = ch.t(labels[chk][0], labels[chk][1])
            data.append((values, statuses, a.rule(rule), title, pct))
        rows = _chart_rows(-fails)  # the parks failing the most of these targets
        shown = parks.iloc[rows]
        names, key = ch.labels(
            [_park_label(r) for _, r in shown.iterrows()], alt=shown["park_id"].tolist(), prefix="P"
        )
        data = [(v[rows], [st[i] for i in rows], t, ti, p) for v, st, t, ti, p in data]
        figures.append(
            _figure(
                targets_chart(ch, names, data),
                "图2 各园区主导产业营收占比、企业数占比与链主企业数。实心为达标, 斜线为不达标。",
                "Fig. 2 Leading-industry shares and chain leaders per park; solid pass, "
                "hatched fail.",
                key,
                _cut_note(
                    len(rows), len(parks), "不达标项最多", "failing the most of these targets"
                ),
            )
        )
    if "innovation_platforms" in parks.columns and len(parks):
        target = a.rule("innovation_platforms_min")
        values = pd.to_numeric(parks["innovation_platforms"], errors="coerce").astype("float64")
        total = float(values.sum())
        missing = parks.loc[values.isna(), "park_id"].tolist()
        lab = labels["chk_innovation_platforms"]
        img = platforms_chart(ch, parks["park_id"].tolist(), values, target, ch.t(lab[0], lab[1]))
        own = len(platform_segments(values))
        with_platforms = int((values > 0).sum())
        cut = None
        if own < with_platforms:
            cut = (
                f"图中单独分段的为创新平台最多的 {own:,} 个园区, 其余 {with_platforms - own:,} "
                f"个有平台的园区合为灰色一段(+{with_platforms - own:,}); "
                f"各园区数据见 audit.xlsx 的「{PARKS_SHEET}」表。",
                f"Segments: the {own:,} parks with the most platforms; the other "
                f"{with_platforms - own:,} parks with platforms form the grey segment; every "
                f"park is in the sheet {PARKS_SHEET} of audit.xlsx.",
            )
        figures.append(
            _figure(
                img,
                f"图3 全区特色专业园区省级以上创新平台: 已知 {total:g} 家, 目标 {target:g} 家"
                + (f"; 缺数据园区 {', '.join(map(str, missing))}" if missing else "")
                + "。",
                "Fig. 3 Provincial-level innovation platforms across all parks.",
                cut=cut,
            )
        )
    heads = [
        ("园区", "park"),
        ("主导产业", "leading industry"),
        ("相关/配套产业", "related industries"),
        ("营收占比", "revenue share"),
        ("企业数占比", "enterprise share"),
        ("链主", "chain leaders"),
        ("创新平台", "platforms"),
        ("招商活动", "events"),
        ("产业基金", "fund"),
    ]
    target_checks = [
        "chk_leading_revenue",
        "chk_leading_count",
        "chk_chain_leader",
        "chk_promotion",
        "chk_fund",
    ]
    picked = _chart_rows(-_n_failing(parks, target_checks), cap=TABLE_MAX_PARKS)
    rows = [
        [
            _park_cell(r),
            _text(r.get("leading_industry")),
            _text(r.get("related_industries")) or {"flag": "未列"},
            _cv("chk_leading_revenue", r),
            _cv("chk_leading_count", r),
            _cv("chk_chain_leader", r),
            _num(r.get("innovation_platforms"), "{:.0f} 家"),
            _cv("chk_promotion", r),
            _cv("chk_fund", r),
        ]
        for _, r in parks.iloc[picked].iterrows()
    ]
    return _section(
        "targets",
        "2027年目标进度",
        "Progress toward the 2027 targets",
        "report_targets.html.j2",
        year=year,
        figures=figures,
        heads=heads,
        rows=rows,
        related=_related_note(parks),
        cut=_cut_note(
            len(picked), len(parks), "不达标项最多", "failing the most of these targets", table=True
        ),
    )


# -- 4 FAR ---------------------------------------------------------------------------------


def far_section(a: _Audit, ch: _Charts) -> dict[str, Any]:
    """工业用地容积率分布: every industrial parcel's FAR per park against the minima of
    clause 二(一)1 and the low-efficiency threshold (Fig. 4).

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    parks = _park_frame(a)
    parcels = a.parcels
    zh, en = "工业用地容积率分布", "FAR of industrial parcels"
    if not {"park_id", "category", "far"} <= set(parcels.columns) or parks.empty:
        return _note_section("far", zh, en, "地块表缺少容积率数据。", "The parcels carry no FAR.")
    p = pd.DataFrame(
        {
            "park_id": parcels["park_id"].astype("string"),
            "category": (  # text as it is (compared with codes only), else objects
                parcels["category"]
                if isinstance(parcels["category"].dtype, pd.StringDtype)
                else parcels["category"].astype(object)
            ),
            "far": pd.to_numeric(parcels["far"], errors="coerce"),
        }
    )
    ind = p[p["category"].isin(INDUSTRIAL_CATEGORIES) & p["park_id"].isin(parks["park_id"])]
    known = ind[ind["far"].notna()]
    rules = [
        ("far_min_new_industrial", "new_industrial", "--"),
        ("far_min_standard_factory", "standard_factory", "-."),
        ("far_min_new_type_industrial", "new_type_industrial", ":"),
    ]
    minima = [(a.rule(key), cat, style) for key, cat, style in rules]
    low = a.rule("lowuse_far_max")
    figure = None
    by_park = ind.groupby("park_id")["far"]
    median = by_park.median()  # NaN for a park whose FAR is all unknown, as for one without
    if len(known):
        rows = _chart_rows(parks["park_id"].astype("string").map(median).to_numpy(dtype=float))
        shown = parks.iloc[rows]
        names, key = ch.labels(
            [_park_label(r) for _, r in shown.iterrows()], alt=shown["park_id"].tolist(), prefix="P"
        )
        top = max(3.0, float(np.nanquantile(known["far"], 0.99)) * 1.1, minima[2][0] + 0.5)
        drawn = known[known["park_id"].isin(shown["park_id"].astype("string"))]
        img = far_chart(ch, names, shown["park_id"].tolist(), drawn, minima, low, top)
        figure = _figure(
            img,
            f"图4 各园区工业地块容积率(每点一块地, 箱线为四分位)。竖线为容积率下限: 新增工业"
            f"{_short(minima[0][0])}、高标准厂房{_short(minima[1][0])}、"
            f"新型产业{_short(minima[2][0])}; 红色点线为存量低效阈值"
            f"{_short(low)}。容积率大于{top:.1f}的地块画在右边界。",
            "Fig. 4 FAR of each industrial parcel per park (boxes: quartiles); lines: "
            "the minima by category and the low-efficiency threshold.",
            key,
            _cut_note(
                len(rows),
                len(parks),
                "工业地块容积率中位数最低",
                "with the lowest median FAR of their industrial parcels",
            ),
        )
    n_ind = by_park.size()
    n_unknown = n_ind - by_park.count()  # the parcels of unknown FAR, of the same groups
    lowest = parks["park_id"].astype("string").map(median).to_numpy(dtype=float)
    picked = _chart_rows(lowest, cap=TABLE_MAX_PARKS)
    rows = []
    for _, r in parks.iloc[picked].iterrows():
        pid = r["park_id"]
        rows.append(
            [
                _park_cell(r),
                _num_cell(f"{int(n_ind.get(pid, 0)):,}"),
                _num_cell(f"{int(n_unknown.get(pid, 0)):,}"),
                _num_cell(_num(r.get("industrial_far"))),
                _num_cell(_num(median.get(pid, math.nan))),
                _cv("chk_far_new", r),
                _cv("chk_far_standard", r),
                _cv("chk_far_m0", r),
            ]
        )
    heads = [
        ("园区", "park"),
        ("工业地块", "industrial parcels"),
        ("容积率未知", "FAR unknown"),
        ("加权容积率", "weighted FAR"),
        ("中位数", "median"),
        ("新增工业达标", "new ind. meeting"),
        ("高标准厂房达标", "std. factory meeting"),
        ("新型产业达标", "M0 meeting"),
    ]
    cut = _cut_note(
        len(picked),
        len(parks),
        "工业地块容积率中位数最低",
        "with the lowest median FAR of their industrial parcels",
        table=True,
    )
    return _section(
        "far", zh, en, "report_far.html.j2", figure=figure, heads=heads, rows=rows, cut=cut
    )


# -- 5 low-efficiency land -----------------------------------------------------------------


def lowuse_section(
    a: _Audit, ch: _Charts, *, kinds: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """低效用地: the parcels and 亩 of low-efficiency land, by the kinds of clause 二(一)3
    (:func:`kind_rows`, :func:`kind_town_rows`), by town and by reason (Fig. 5).

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).
    kinds
        :func:`kind_rows` of ``a`` when already worked out (for the summary section
        too), else they are worked out here.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    parcels = a.parcels
    zh, en = "低效用地", "Low-efficiency land"
    if "low_efficiency" not in parcels.columns:
        return _not_computed("lowuse", zh, en, "低效用地", "Low-efficiency land")
    flag = as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
    towns = _parcel_towns(a, parcels) if _has_kinds(parcels) else None  # also by kind_town_rows
    # the columns read here only, not every column of every low-efficiency parcel
    used = [c for c in ("area_mu", "reasons", "reasons_zh") if c in parcels]
    if towns is None:  # the towns of the low-efficiency parcels are worked out from these
        used += [c for c in ("park_id", "town") if c in parcels]
    low = pd.DataFrame(parcels.loc[flag, used]).reset_index(drop=True)
    mu = (
        pd.to_numeric(low.get("area_mu"), errors="coerce")
        if "area_mu" in low
        else pd.Series(np.nan, index=low.index)
    )
    low_towns = towns.to_numpy()[flag] if towns is not None else _parcel_towns(a, low).to_numpy()
    low = low.assign(_mu=mu.fillna(0.0), _town=low_towns)
    total = float(low["_mu"].sum())
    ind = parcels["category"].isin(INDUSTRIAL_CATEGORIES) if "category" in parcels else None
    ind_mu = (
        float(pd.to_numeric(parcels.loc[ind, "area_mu"], errors="coerce").sum())
        if ind is not None and "area_mu" in parcels
        else math.nan
    )
    note = (
        f"低效用地 {len(low):,} 块, 共 {total:,.1f} 亩"
        + (f", 占工业用地 {total / ind_mu:.1%}" if ind_mu and not math.isnan(ind_mu) else "")
        + "。一块地可有多个原因, 故按原因合计大于总面积。",
        f"{len(low):,} low-efficiency parcels, {total:,.1f} mu; a parcel may have several reasons.",
    )
    if low.empty:
        return _section(
            "lowuse", zh, en, "report_lowuse.html.j2", short=True, note=note, empty=True
        )
    by_town = (
        low.groupby("_town")
        .agg(n=("_mu", "size"), mu=("_mu", "sum"))
        .sort_values("mu", ascending=False)
    )
    reasons = _reason_rows(low)
    if len(reasons):
        reasons = reasons.assign(mu=low["_mu"].to_numpy()[reasons["row"].to_numpy()])
        by_reason = (
            reasons.groupby("key")
            .agg(
                label=("label", "first"),
                code=("code", "first"),
                n=("row", "size"),  # a reason is listed once per parcel
                mu=("mu", "sum"),
            )
            .sort_values("mu", ascending=False)
        )
    else:
        by_reason = pd.DataFrame(columns=["label", "code", "n", "mu"])
    # towns and reasons are few; a table of many (free-text reasons) keeps the largest
    img, key = lowuse_chart(ch, by_town.head(CHART_MAX_PARKS), by_reason.head(CHART_MAX_PARKS))
    cut = None
    if max(len(by_town), len(by_reason)) > CHART_MAX_PARKS:
        shown = (
            f"{min(len(by_town), CHART_MAX_PARKS):,}/{len(by_town):,}",
            f"{min(len(by_reason), CHART_MAX_PARKS):,}/{len(by_reason):,}",
        )
        cut = (
            f"图中为面积最大的镇街({shown[0]})与原因({shown[1]}), 表中至多 "
            f"{TABLE_MAX_PARKS} 行; 每块低效用地及其原因见 audit.xlsx 的「待处理地块 parcels」表。",
            f"The chart shows the towns ({shown[0]}) and reasons ({shown[1]}) with the most "
            f"mu, the tables at most {TABLE_MAX_PARKS} rows; every low-efficiency parcel and "
            "its reasons are in the sheet 待处理地块 parcels of audit.xlsx.",
        )
    return _section(
        "lowuse",
        zh,
        en,
        "report_lowuse.html.j2",
        note=note,
        empty=False,
        kinds=kind_rows(a) if kinds is None else kinds,
        towns=kind_town_rows(a, towns=towns),
        kind_labels=[(k, *KINDS[k]) for k in LOWUSE_KINDS],
        counted=[k for k in LOWUSE_KINDS if k in a.policy.lowuse_kinds],
        figure=_figure(
            img,
            "图5 低效用地面积(亩), 按镇街与按原因。",
            "Fig. 5 Low-efficiency land (mu) by town and by reason.",
            key,
            cut,
        ),
        town_rows=[
            [_text(t), _num_cell(f"{int(r['n']):,}"), _num_cell(f"{r['mu']:,.1f}")]
            for t, r in by_town.head(TABLE_MAX_PARKS).iterrows()
        ],
        reason_rows=[
            [
                _text(r["label"]),
                {"code": _text(r["code"])},
                _num_cell(f"{int(r['n']):,}"),
                _num_cell(f"{r['mu']:,.1f}"),
            ]
            for _, r in by_reason.head(TABLE_MAX_PARKS).iterrows()
        ],
    )


# -- 6 blocks ------------------------------------------------------------------------------


def _meeting(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Positions of the bounds (rows ``minx, miny, maxx, maxy``) that meet ``box``, edges
    included (what a spatial index's query of the box gives: envelopes that intersect);
    an empty or missing geometry (NaN bounds) meets nothing."""
    x0, y0, x1, y1 = box
    return np.flatnonzero(
        (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    )


#: The parcel columns a block's card reads (with the geometry): its map, reasons, owners.
_CARD_COLUMNS = frozenset({"reasons", "reasons_zh", "owner"})


def _card_columns(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcels with only the columns the blocks' cards read (:data:`_CARD_COLUMNS`
    and the geometry), in their order: each card takes its rows of these, not of every
    column of a million parcels."""
    geometry = parcels.geometry.name if isinstance(parcels, gpd.GeoDataFrame) else None
    cols = [c for c in parcels.columns if c in _CARD_COLUMNS or c == geometry]
    return parcels if len(cols) == parcels.shape[1] else parcels[cols]


def _card_parcels(
    blk: pd.Series,
    parcels: pd.DataFrame,
    members: tuple[np.ndarray, pd.Index],
    bounds: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The positions of a block's parcels (by ``members``: each parcel's block as a
    number into the block IDs, else by the block's ``parcel_ids``) and of the other
    parcels near it (whose ``bounds`` meet its box grown by 70 % of its size; none
    without bounds or an outline)."""
    member_of, block_ids = members
    at = block_ids.get_indexer([str(blk["block_id"])])[0]
    pos = np.flatnonzero(member_of == at) if at >= 0 else np.array([], dtype=np.int64)
    if not len(pos) and "parcel_ids" in blk.index:
        ids = set(_split(blk["parcel_ids"]))
        pos = np.flatnonzero(
            parcels["parcel_id"].astype("string").isin(ids).to_numpy(dtype=bool, na_value=False)
        )
    near = np.array([], dtype=np.int64)
    if bounds is not None and blk.geometry is not None and not blk.geometry.is_empty:
        minx, miny, maxx, maxy = blk.geometry.bounds
        span = max(maxx - minx, maxy - miny, 1.0) * 0.7
        near = _meeting(bounds, (minx - span, miny - span, maxx + span, maxy + span))
        near = np.setdiff1d(near, pos)
    return pos, near


def blocks_section(a: _Audit, ch: _Charts, *, top: int) -> dict[str, Any]:
    """连片地块: the largest blocks, each a card with a small map and its facts (area,
    owners, floor area, route, reasons) as the audit computed them.

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).
    top
        How many blocks get a card.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    blocks = a.blocks
    zh, en = "连片地块", "Contiguous blocks"
    if blocks is None:
        return _not_computed("blocks", zh, en, "连片地块", "Contiguous blocks")
    if blocks.empty:
        return _note_section("blocks", zh, en, "未发现连片低效地块。", "No contiguous block found.")
    parcels = a.parcels
    crs = parcels.crs if isinstance(parcels, gpd.GeoDataFrame) else None
    b = blocks
    if not isinstance(b, gpd.GeoDataFrame):
        raise DataError("table 'blocks' must be a GeoDataFrame with the block outlines")
    if crs is not None and b.crs is not None and b.crs != crs:
        b = b.to_crs(crs)
    if crs is None or not crs.is_projected:
        from xsland.read.crs import metric_crs

        target = a.meta.get("crs") or metric_crs(b)  # the run's metric CRS when it has one
        b = b.to_crs(target)
        if isinstance(parcels, gpd.GeoDataFrame) and parcels.crs is not None:
            parcels = parcels.to_crs(target)
    # the audit's own columns, never recomputed here
    b = b.assign(_mu=pd.to_numeric(b["area_mu"], errors="coerce").to_numpy())
    threshold = a.rule("block_min_mu")
    below = pd.Series(as_bool(b["below_threshold"]), index=b.index).fillna(False).astype(bool)
    reward = (
        pd.to_numeric(b["reward_wan"], errors="coerce")
        if "reward_wan" in b
        else pd.Series(np.nan, index=b.index)
    )
    n_ok = int((~below).sum())
    shown = min(top, len(b))
    note = (
        f"连片地块 {len(b):,} 处, 共 {b['_mu'].sum():,.1f} 亩; "
        f"达到 {threshold:g} 亩起报面积的 {n_ok:,} 处({b.loc[~below, '_mu'].sum():,.1f} 亩)"
        + (f"; 估算奖励 {reward.sum():,.0f} 万元" if reward.notna().any() else "")
        + f"。下列为面积最大的 {shown} 处; 图中黑线为连片范围, "
        "斜线填充为低效地块, 灰线为周边地块。",
        f"{len(b):,} blocks, {b['_mu'].sum():,.1f} mu; the {shown} largest below "
        "(black: block outline; hatched: low-efficiency parcels; grey: neighbours).",
    )
    # the order sorted by area alone (the same argsort), then the rows shown taken
    order = pd.DataFrame({"_mu": b["_mu"].to_numpy()}).sort_values(
        "_mu", ascending=False, kind="stable"
    )
    biggest = b.iloc[order.index.to_numpy()[:top]]
    has_geo = isinstance(parcels, gpd.GeoDataFrame) and len(parcels)
    # each parcel's bounds: the parcels near a block are those whose bounds meet a box, as
    # a spatial index gives them, without building one over every parcel for ten boxes
    bounds = shapely.bounds(parcels.geometry.to_numpy()) if has_geo else None
    low_flag = (
        as_bool(parcels["low_efficiency"]).fillna(False).to_numpy(dtype=bool)
        if "low_efficiency" in parcels
        else np.zeros(len(parcels), dtype=bool)
    )
    park_names = _park_frame(a).drop_duplicates("park_id").set_index("park_id")["name"]
    # each parcel's block as a number (-1: none), each block's parcels found by it
    member_of, block_ids = (
        pd.factorize(parcels["block_id"].astype("string"))
        if "block_id" in parcels.columns
        else (np.full(len(parcels), -1), pd.Index([], dtype="string"))
    )
    found = [
        _card_parcels(blk, parcels, (member_of, block_ids), bounds if has_geo else None)
        for _, blk in biggest.iterrows()
    ]
    # the rows of every card taken at once, of the columns the cards read only
    rows = np.unique(np.concatenate([np.arange(0), *(np.append(p, n) for p, n in found)]))
    few = _card_columns(parcels).iloc[rows]
    cards = []
    for rank, ((_, blk), (pos, near)) in enumerate(
        zip(biggest.iterrows(), found, strict=True), start=1
    ):
        bid = blk["block_id"]
        members = few.iloc[np.searchsorted(rows, pos)]
        img = None
        if has_geo and blk.geometry is not None and not blk.geometry.is_empty:
            context = few.iloc[np.searchsorted(rows, near)]
            img = block_map(ch, blk, members, context, low_flag[pos])
        reasons = _reason_rows(members) if len(members) else pd.DataFrame()
        if len(reasons):
            counts = reasons.groupby("label", sort=False).size().sort_values(ascending=False)
            reason_text = "、".join(f"{_text(k)} ({v})" for k, v in counts.items())
        else:
            reason_text = _text(blk.get("reasons_zh", blk.get("reasons", ""))) or "—"
        owners = []
        if "owner" in members.columns:
            owners = [o for o in dict.fromkeys(members["owner"]) if not _missing(o)]
        if not owners and "owners" in blk.index:
            owners = list(dict.fromkeys(_split(blk["owners"])))
        owner_text = "、".join(_text(o) for o in owners[:3]) + (
            f" 等{len(owners)}家" if len(owners) > 3 else ""
        )
        park = blk.get("park_id")
        park_text = _text(park) + (
            f" {_text(park_names.get(str(park)))}"
            if not _missing(park) and str(park) in park_names.index
            else ""
        )
        town = _text(blk.get("town"))
        target_fa = blk.get("target_floor_area", blk.get("floor_area_target"))
        cards.append(
            {
                "rank": rank,
                "block_id": _text(bid),
                "img": img,
                "below": bool(below.loc[blk.name]),
                "park": (park_text or "—") + (f" · {town}" if town else ""),
                "mu": f"{blk['_mu']:,.1f}",
                "m2": _num(blk.get("area_m2"), "{:,.0f}"),
                "n_parcels": _num(blk.get("n_parcels", len(members)), "{:,.0f}"),
                "n_owners": _num(blk.get("n_owners", len(owners)), "{:,.0f}"),
                "owners": owner_text,
                "floor_area": _num(blk.get("floor_area"), "{:,.0f}"),
                "target_floor_area": _num(target_fa, "{:,.0f}"),
                "far": (
                    f"容积率 {_num(blk.get('far'))} → {_num(blk.get('target_far'))}"
                    if not _missing(blk.get("target_far"))
                    else ""
                ),
                "route": _text(blk.get("route_zh", blk.get("route"))) or "—",
                "route_rule": _text(blk.get("route_rule")),
                "reasons": reason_text,
                "reward": (
                    f"{_num(blk.get('reward_wan'), '{:,.0f}')} 万元"
                    if not _missing(blk.get("reward_wan"))
                    else ""
                ),
            }
        )
    return _section(
        "blocks",
        f"连片地块(面积最大的 {len(biggest)} 处)",
        f"The {len(biggest)} largest blocks",
        "report_blocks.html.j2",
        note=note,
        threshold=f"{threshold:g}",
        cards=cards,
    )


# -- 7 intensive use -----------------------------------------------------------------------

#: National averages of 2023 (国家级开发区土地集约利用监测统计, national bulletin).
_NATIONAL_2023 = {"far_all": 0.98, "far_industrial": 0.93, "tax_per_ha_industrial": 678.99}


def intensity_section(a: _Audit) -> dict[str, Any]:
    """开发区土地集约利用评价 (TD/T 1029) per park and district beside the national
    averages of 2023, and the 批供用 rates of the parks.

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    t = a.intensity
    zh, en = "土地集约利用评价", "Intensive-use evaluation"
    if not isinstance(t, pd.DataFrame) or len(t) == 0:
        return _not_computed("intensity", zh, en, zh, "The intensive-use evaluation")
    cols = [
        ("supply_rate", "土地供应率", "supply rate", "{:.1%}"),
        ("built_rate", "土地建成率", "built rate", "{:.1%}"),
        ("industrial_rate", "工业用地率", "industrial rate", "{:.1%}"),
        ("far_all", "综合容积率", "FAR", "{:.2f}"),
        ("building_density", "建筑密度", "density", "{:.1%}"),
        ("far_industrial", "工业用地综合容积率", "industrial FAR", "{:.2f}"),
        ("coverage_industrial", "工业用地建筑系数", "coverage", "{:.1%}"),
        ("tax_per_ha_industrial", "地均税收(万元/公顷)", "tax per ha", "{:,.1f}"),
        ("investment_per_ha", "投入强度(万元/公顷)", "investment per ha", "{:,.0f}"),
        ("idle_rate", "土地闲置率", "idle rate", "{:.2%}"),
        ("score", "得分(权重占比)", "score (weight share)", "{:.1f}"),
    ]
    heads = [("园区", "park"), ("类型", "zone type"), ("已建成(公顷)", "built ha")]
    heads += [(z, e) for _, z, e, _ in cols]
    is_park = (
        (t["level"] != "district").to_numpy(dtype=bool) if "level" in t else np.ones(len(t), bool)
    )
    score = (
        pd.to_numeric(t["score"], errors="coerce") if "score" in t else pd.Series(np.nan, t.index)
    )
    of_parks = np.flatnonzero(is_park)
    picked = of_parks[_chart_rows(score.to_numpy(dtype=float)[of_parks], cap=TABLE_MAX_PARKS)]
    cut = _cut_note(len(picked), len(of_parks), "得分最低", "with the lowest score", table=True)
    rows: list[list[Any]] = []
    for _, r in t.iloc[np.sort(np.concatenate([picked, np.flatnonzero(~is_park)]))].iterrows():
        name = "全区" if r.get("level") == "district" else f"{r['park_id']} {r.get('name') or ''}"
        cells: list[Any] = [_text(name), _text(r.get("zone_type")) or "—"]
        cells.append(_num(r.get("built_ha"), "{:,.1f}"))
        values = [_num(r.get(c), fmt) for c, _, _, fmt in cols]
        if not _missing(r.get("score_weight_share")):
            values[-1] += f" ({_num(r.get('score_weight_share'), '{:.0%}')})"
        rows.append(cells + values)
    rows.append(
        [{"zh": "全国平均(2023)", "en": "national average 2023"}, "", ""]
        + [_num(_NATIONAL_2023.get(c), "{:,.2f}") for c, _, _, _fmt in cols]
    )
    rates = None
    parks = a.parks
    if "rate_not_supplied" in parks.columns:
        rate_cols = [
            ("ss_approved_not_supplied_ha", "批而未供(公顷)", "approved, not supplied", "{:,.2f}"),
            ("ss_supplied_not_started_ha", "供而未用(公顷)", "not started", "{:,.2f}"),
            ("ss_idle_ha", "闲置(公顷)", "idle", "{:,.2f}"),
            ("rate_not_supplied", "批而未供率", "not-supplied rate", "{:.1%}"),
            ("rate_not_used", "供而未用率", "not-used rate", "{:.1%}"),
            ("rate_idle", "闲置率", "idle rate", "{:.2%}"),
        ]
        idle = pd.to_numeric(parks["rate_idle"], errors="coerce") if "rate_idle" in parks else None
        chosen = _chart_rows(
            -(idle.to_numpy(dtype=float) if idle is not None else np.zeros(len(parks))),
            cap=TABLE_MAX_PARKS,
        )
        rates = {
            "heads": [("园区", "park")] + [(z, e) for _, z, e, _ in rate_cols],
            "rows": [
                [_park_label(r)] + [_num(r.get(c), fmt) for c, _, _, fmt in rate_cols]
                for r in parks.iloc[chosen].to_dict("records")
            ],
            "cut": _cut_note(
                len(chosen), len(parks), "闲置率最高", "with the highest idle rate", table=True
            ),
        }
    return _section(
        "intensity",
        zh,
        en,
        "report_intensity.html.j2",
        heads=heads,
        rows=rows,
        rates=rates,
        cut=cut,
    )


# -- 8 data quality ------------------------------------------------------------------------


def quality_section(a: _Audit, ch: _Charts, *, first_rows: int) -> dict[str, Any]:
    """数据质量: findings by layer and check (Fig. 6 and a table), and the first rows of
    each with their details in Chinese (:func:`~xsland.write.htmlreport.quality_zh.quality_detail_zh`).

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    ch
        Draws the charts (:class:`~xsland.write.htmlreport.charts._Charts`).
    first_rows
        How many rows of each check are shown.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    q = a.quality
    zh, en = "数据质量", "Data quality"
    if q is None or q.empty or "check" not in q.columns:
        return _note_section("quality", zh, en, "未发现数据质量问题。", "No data-quality finding.")
    q = pd.DataFrame(q).copy()
    for c in ("layer", "file", "id", "column", "check", "severity", "label", "detail"):
        if c not in q.columns:
            q[c] = None
    q["severity"] = np.where(
        _missing_mask(q["severity"]), "info", q["severity"].astype(str).to_numpy(dtype=object)
    )
    groups = (
        q.groupby(["layer", "check"], sort=False, dropna=False)
        .agg(label=("label", "first"), severity=("severity", "first"), n=("check", "size"))
        .reset_index()
        .sort_values("n", ascending=False, kind="stable")
    )
    groups["label"] = [
        quality_title_zh(c, lab) for c, lab in zip(groups["check"], groups["label"], strict=True)
    ]
    zh_labels, en_labels = [], []
    for _, r in groups.iterrows():
        layer = "" if _missing(r["layer"]) else f"{r['layer']}: "
        code = str(r["check"])
        zh_labels.append(layer + str(r["label"]))
        en_labels.append(layer + QUALITY_CHECKS.get(code, (None, code))[1])
    names, key = ch.labels(zh_labels, alt=en_labels, prefix="Q")
    figure = _figure(
        quality_chart(ch, groups, names),
        "图6 数据质量问题条数, 按图层与检查项。",
        "Fig. 6 Data-quality findings by layer and check.",
        key,
    )
    details = []
    layers, checks = q["layer"].astype(str), q["check"].astype(str)  # once, not per group
    for _, g in groups.iterrows():
        rows = np.flatnonzero(
            ((layers == str(g["layer"])) & (checks == str(g["check"]))).to_numpy(dtype=bool)
        )
        shown = q.iloc[rows[:first_rows]]  # the first rows only, not the group's every row
        details.append(
            {
                "layer": _text(g["layer"]),
                "label": _text(g["label"]),
                "check": _text(g["check"]),
                "n": f"{g['n']:,}",
                "more": f"{len(rows) - len(shown):,}" if len(rows) > len(shown) else "",
                "rows": [
                    [
                        _text(r["id"]),
                        _text(r["column"]),
                        {
                            "zh": quality_detail_zh(r["check"], r["detail"]),
                            "en": _text(r["detail"]),
                        },
                        Path(str(r["file"])).name if not _missing(r["file"]) else "",
                    ]
                    for _, r in shown.iterrows()
                ],
            }
        )
    groups_rows = [
        [
            _text(r["layer"]),
            {"code": _text(r["check"])},
            _text(r["label"]),
            SEVERITY_ZH.get(r["severity"], _text(r["severity"])),
            _num_cell(f"{r['n']:,}"),
        ]
        for _, r in groups.iterrows()
    ]
    return _section(
        "quality",
        zh,
        en,
        "report_quality.html.j2",
        figure=figure,
        groups=groups_rows,
        details=details,
        first_rows=first_rows,
    )


# -- 9 rules and inputs --------------------------------------------------------------------


def _word(value: Any, codes: str) -> str:
    """``value`` as text, in the Chinese word of code table ``codes`` when it has one."""
    text = _text(value)
    return CODES[codes].get(text, text)


def rules_section(
    a: _Audit, inputs: Any, audit_date: dt.date, maps: Sequence[str]
) -> dict[str, Any]:
    """规则与输入: every rule of the run with its value, unit and source, the district-wide
    checks, the run's inputs and facts (date, CRS, software, maps).

    Parameters
    ----------
    a
        The audit's tables (:func:`~xsland.write.htmlreport.common._collect`).
    inputs
        The run's inputs (see :func:`~xsland.write.htmlreport.page.build_report`).
    audit_date
        The date printed on the report.
    maps
        The interactive maps beside the report, as relative paths.

    Returns
    -------
    dict
        The section's context: ``id``, ``zh``, ``en``, ``short``, ``template`` and the
        plain data its template draws.
    """
    rules = [  # the value, unit and source in the words of the workbook's rules sheet
        {
            "label": _text(r.get("label")),
            "key": _text(r.get("key")),
            "value": _word(r.get("value"), "rule_value"),
            "unit": _word(r.get("unit"), "rule_unit"),
            "source": _word(r.get("source"), "rule_source"),
        }
        for _, r in a.rules.iterrows()
    ]
    district = []
    d = a.district
    if d is not None and not d.empty:
        for _, r in d.iterrows():
            status = _status(r.get("status"))
            district.append(
                {
                    "label": _text(r.get("label")),
                    "status": _status_cell(
                        str(r.get("check")), status, STATUS_ZH.get(status, "").split(" ", 1)[1]
                    ),
                    "value": _num(r.get("value"), "{:g}"),
                    "threshold": _num(r.get("threshold"), "{:g}"),
                    "missing": _text(r.get("missing_parks")),
                    "source": _text(r.get("source")),
                }
            )
    files, other = _inputs_rows(inputs)
    crs = getattr(a.parcels, "crs", None)
    epsg = crs.to_epsg() if crs is not None else None
    facts: list[dict[str, Any]] = [
        {"zh": "审计日期", "en": "audit date", "value": audit_date.isoformat()},
        {
            "zh": "园区 / 地块",
            "en": "parks / parcels",
            "value": f"{len(a.parks):,} / {len(a.parcels):,}",
        },
        {
            "zh": "量算坐标系",
            "en": "CRS of measurement",
            "value": _text(crs.name if crs is not None else a.meta.get("crs"))
            + (f" (EPSG:{epsg})" if epsg else ""),
        },
        {
            "zh": "指标年度",
            "en": "indicator year",
            "value": _text(a.meta.get("year")) or _text(_first(a.parks, "indicator_year")) or "—",
        },
        {"zh": "软件", "en": "software", "value": f"xsland {__version__}"},
    ]
    if maps:
        facts.append(
            {
                "zh": "交互地图(同一文件夹)",
                "en": "interactive maps, same folder",
                "links": [(urllib.parse.quote(str(m)), str(m)) for m in maps],
            }
        )
    for key, value in other:
        if key == "metric CRS" and crs is not None:
            continue
        fzh, fen = _FACTS_ZH.get(key, (key, ""))
        facts.append(
            {"zh": fzh, "en": fen, "value": _FACT_VALUES_ZH.get(value, value), "value_en": value}
        )
    return _section(
        "rules",
        "规则与输入",
        "Rules and inputs",
        "report_rules.html.j2",
        rules=rules,
        district=district,
        files=files,
        with_crs=any(f["crs"] for f in files),
        facts=facts,
        keep_rows=_KEEP_ROWS,
    )
