"""Writing outputs without ever leaving them half-written.

Every writer here writes to a temporary file in the target's folder and moves
it into place with :func:`os.replace` only when it is complete; a folder of
outputs is built in a temporary sibling folder and renamed into place.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xsland._atomic import atomic_dir, atomic_file
from xsland._progress import step
from xsland._threads import yielding
from xsland.errors import InputFileError
from xsland.group.blocks import COLUMN_LABELS as _BLOCK_LABELS
from xsland.judge.audit import STATUS_ZH
from xsland.judge.lowuse import COLUMN_LABELS as _LOWUSE_LABELS
from xsland.result import AuditResult
from xsland.write.gpkg import gpkg_writing, write_gpkg

__all__ = [
    "HERE_NICENESS",
    "PARCELS_PARQUET",
    "HEADERS_ZH",
    "atomic_dir",
    "atomic_file",
    "audit_layers",
    "summary_markdown",
    "write_audit",
    "write_gpkg",
    "write_table",
    "write_workbook",
]


def write_table(
    df: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = True, sheet: str = "data"
) -> Path:
    """Write a table to CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX.

    The XLSX sheet has a frozen header row and columns sized to their text.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(f"{target}: write .csv or .xlsx, not {suffix!r}")
    if suffix == ".xlsx":
        from xsland.write.excel import clean_text, write_frames

        data = _excel_ready(df)
        for c in data.columns:
            if data[c].dtype == object:
                data[c] = clean_text(data[c])[0]
        return write_frames(
            {sheet: (data, [None] * len(data.columns))}, target, overwrite=overwrite
        )
    with atomic_file(target, overwrite=overwrite) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig")
    return target


def _display_width(text: str) -> int:
    """Width in Excel columns: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


#: Chinese column headers of the audit workbook.
HEADERS_ZH = {
    "park_id": "园区编号",
    "name": "园区名称",
    "town": "所属镇街",
    "park_type": "园区类型",
    "leading_industry": "主导产业",
    "related_industries": "相关/配套产业",
    "area_m2": "面积(平方米)",
    "area_km2": "面积(平方公里)",
    "area_mu": "面积(亩)",
    "area_ha": "面积(公顷)",
    "area_core_m2": "核心启动区面积(平方米)",
    "area_expansion_m2": "拓展功能区面积(平方米)",
    "n_parcels": "地块数",
    "parcel_area_m2": "地块面积(平方米)",
    "floor_area": "建筑面积(平方米)",
    "industrial_area_m2": "工业用地面积(平方米)",
    "industrial_far": "工业用地加权容积率",
    "industrial_coverage": "工业用地加权建筑系数",
    "land_utilisation": "土地利用率",
    "chk_area": "面积≤3平方公里",
    "val_area": "面积(平方公里)",
    "chk_far_new": "新增工业容积率≥1.5",
    "val_far_new": "新增工业达标地块",
    "fail_far_new": "新增工业不达标地块",
    "chk_far_standard": "高标准厂房容积率≥2.0",
    "val_far_standard": "高标准厂房达标地块",
    "fail_far_standard": "高标准厂房不达标地块",
    "chk_far_m0": "新型产业容积率≥2.5",
    "val_far_m0": "新型产业达标地块",
    "fail_far_m0": "新型产业不达标地块",
    "chk_coverage": "建筑系数≥30%",
    "val_coverage": "建筑系数",
    "chk_leading_revenue": "主导产业营收占比≥60%",
    "val_leading_revenue": "主导产业营收占比",
    "chk_leading_count": "主导产业企业数占比≥60%",
    "val_leading_count": "主导产业企业数占比",
    "chk_chain_leader": "链主企业≥1",
    "val_chain_leader": "链主企业数",
    "chk_promotion": "年招商活动≥2场",
    "val_promotion": "招商活动场次",
    "chk_fund": "产业基金≥5000万元",
    "val_fund": "产业基金(万元)",
    "n_enterprises": "企业数",
    "indicator_year": "指标年度",
    "innovation_platforms": "省级以上创新平台",
    "parcel_id": "地块编号",
    "zone": "功能分区",
    "park_share": "在园区内比例",
    "category": "政策类别",
    "category_source": "类别依据",
    "land_use": "用地分类",
    "footprint_m2": "建筑基底面积(平方米)",
    "floor_area_source": "建筑面积来源",
    "floor_area_declared": "登记建筑面积(平方米)",
    "far": "容积率",
    "coverage": "建筑系数",
    "far_min": "容积率下限",
    "far_ok": "容积率达标",
    "enterprise_id": "企业编号",
    "owner": "权利人",
    "supply_date": "供地日期",
    "start_deadline": "约定动工日期",
    "declared_area": "登记用地面积(平方米)",
    "declared_far": "登记容积率",
    "n_parks": "园区数",
    "failing_parks": "有不达标项的园区",
    "parcels_outside_parks": "园区外地块数",
    "layer": "图层",
    "file": "文件",
    "id": "编号",
    "column": "字段",
    "check": "检查项",
    "severity": "级别",
    "label": "说明",
    "detail": "详情",
    "key": "参数",
    "value": "取值",
    "unit": "单位",
    "source": "依据",
    "status": "结果",
    "threshold": "标准",
    "missing_parks": "缺数据园区",
}
for _chk in (
    "chk_area",
    "chk_far_new",
    "chk_far_standard",
    "chk_far_m0",
    "chk_coverage",
    "chk_leading_revenue",
    "chk_leading_count",
    "chk_chain_leader",
    "chk_promotion",
    "chk_fund",
):
    for _st, _zh in (("pass", "达标"), ("fail", "不达标"), ("unknown", "数据不足")):
        HEADERS_ZH[f"{_chk}_{_st}"] = f"{HEADERS_ZH[_chk]}:{_zh}"

for _labels in (_LOWUSE_LABELS, _BLOCK_LABELS):
    for _k, _v in _labels.items():
        HEADERS_ZH.setdefault(_k, _v)
HEADERS_ZH.update(
    {
        "built_share": "建设用地占比(遥感)",
        "bare_share": "裸地占比(遥感)",
        "n_blocks": "连片数",
        "n_low_efficiency": "低效地块数",
        "low_efficiency_mu": "低效用地(亩)",
        "low_efficiency_share": "低效用地占比",
        "idle_mu": "闲置土地(亩)",
    }
)

_FORMATS = {
    "area_m2": "#,##0.0",
    "area_km2": "0.000",
    "area_mu": "#,##0.00",
    "area_ha": "#,##0.00",
    "far": "0.00",
    "coverage": "0.0%",
    "far_min": "0.0",
    "industrial_far": "0.00",
    "industrial_coverage": "0.0%",
    "land_utilisation": "0.0%",
    "val_coverage": "0.0%",
    "val_leading_revenue": "0.0%",
    "val_leading_count": "0.0%",
    "park_share": "0.0%",
    "floor_area": "#,##0",
    "footprint_m2": "#,##0",
}


def _excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry, make dates plain and nullable types Excel-friendly."""
    out = pd.DataFrame(
        df.drop(
            columns=[c for c in df.columns if c == "geometry" or str(df[c].dtype) == "geometry"]
        )
    )
    for c in out.columns:
        if str(out[c].dtype) in ("boolean", "Int64", "Float64", "string", "str"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.date.astype(object).where(out[c].notna(), None)
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].where(np.isfinite(out[c]), None)
    return out


def write_workbook(
    sheets: dict[str, pd.DataFrame], path: str | os.PathLike, *, overwrite: bool = True
) -> Path:
    """Write several tables to one XLSX with Chinese headers (:data:`HEADERS_ZH`).

    Each sheet has a frozen header row, column widths fitted to their text
    (CJK counted double) and number formats for areas, FAR and shares; text is never
    turned into a formula (:func:`xsland.write.excel.write_frames`).
    """
    from xsland.write.excel import clean_text, write_frames

    shown = {}
    for sheet, df in sheets.items():
        data = _excel_ready(df)
        for c in data.columns:
            if data[c].dtype == object:
                data[c] = clean_text(data[c])[0]
        headers = [HEADERS_ZH.get(str(c), str(c)) for c in data.columns]
        specs = [_FORMATS.get(str(c)) for c in data.columns]
        shown[sheet] = (data.set_axis(_unique(headers), axis=1), specs)
    return write_frames(shown, path, overwrite=overwrite)


def _unique(headers: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for h in headers:
        while h in seen:
            h = h + "'"
        seen.add(h)
        out.append(h)
    return out


#: Characters that make Markdown (CommonMark, GFM tables, math) out of text, and line ends.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>|#!~&$])")
_MD_BREAKS = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]+")
#: Either of them: text without any is its own cell (one search, not two substitutions).
_MD_ANY = re.compile("[\\\\`*_\\[\\]<>|#!~&$\r\n\x0b\x0c\x85\u2028\u2029]")


def _cell(value) -> str:
    """Text from the data for the summary: literal, on one line, inside one table cell.

    Empty for a missing value (never ``nan``); line ends become a space; the characters
    Markdown reads as markup (``\\ ` * _ [ ] < > | # ! ~ & $``: emphasis, links, HTML,
    table cells, headings, entities, math) are backslash-escaped, so a reader sees the text
    as it was written and no HTML or link comes from the data.
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    text = str(value)
    if _MD_ANY.search(text) is None:
        return text
    return _MD_ACTIVE.sub(r"\\\1", _MD_BREAKS.sub(" ", text))


def _number(value) -> str:
    """A figure as people write it: ``7``, ``6.5``; ``—`` when there is none (never ``nan``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—" if value is None or str(value).strip() == "" else str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "—"
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4g}"


def _format_value(check: str, value) -> str:
    """A measured value with its unit, as a reader expects it."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if check == "chk_area":
        return f"{float(value):.3f} km²"
    if check in ("chk_coverage", "chk_leading_revenue", "chk_leading_count"):
        return f"{float(value):.1%}"
    if check in ("chk_chain_leader", "chk_promotion"):
        return f"{int(value)}"
    if check == "chk_fund":
        return f"{float(value):,.0f} 万元"
    return str(value)


def _reason_counts(reasons: pd.Series) -> list[tuple[str, str]]:
    """The reason codes that occur, with their Chinese labels, in the stable order."""
    from xsland.judge.lowuse import REASONS

    # each distinct list once: a reason column holds few of them, and many rows
    distinct = reasons.dropna().unique()
    present = {code for text in distinct for code in str(text).split(";")} - {""}
    return [(code, REASONS[code][0]) for code in REASONS if code in present]


def label_count(code: str, parcels: pd.DataFrame, low: pd.Series) -> str:
    """``N parcels, A 亩`` of the low-efficiency parcels with reason ``code``."""
    col = f"lu_{code}"
    hit = parcels[col].fillna(False).astype(bool) & low if col in parcels else low & False
    return f"{int(hit.sum())} parcels, {parcels.loc[hit, 'area_mu'].sum():,.1f} 亩"


def _counted_kinds(result) -> tuple[str, ...]:
    """The kinds the audit counted (its rules table), default all three."""
    from xsland.rules.policy import LOWUSE_KINDS

    rules = getattr(result, "rules", None)
    if rules is not None and "key" in rules.columns:
        row = rules.loc[rules["key"] == "lowuse_kinds", "value"]
        if len(row):
            return tuple(k.strip() for k in str(row.iloc[0]).split(",") if k.strip())
    return LOWUSE_KINDS


def _lowuse_lines(result) -> list[str]:
    """The low-efficiency lines of the summary: totals, kinds, only-kinds and reasons."""
    from xsland.judge.lowuse import kind_breakdown
    from xsland.rules.policy import DEFAULT_POLICY

    parcels = result.parcels
    low = parcels["low_efficiency"].fillna(False).astype(bool)
    kinds = _counted_kinds(result)
    policy = getattr(result, "policy", None) or DEFAULT_POLICY  # the policy applied
    table = kind_breakdown(parcels, parcels, policy=policy.replace(lowuse_kinds=kinds))
    total = table.set_index("kind").loc["all"]
    ind_mu = total["industrial_mu"] / total["industrial_share"] if total["industrial_share"] else 0
    lines = [
        f"- {int(low.sum())} of {len(parcels)} parcels, "
        f"{parcels.loc[low, 'area_mu'].sum():,.1f} 亩 of {parcels['area_mu'].sum():,.1f} 亩",
        f"- industrial land: {total['industrial_mu']:,.1f} 亩 of {ind_mu:,.1f} 亩 "
        f"({_share(total['industrial_share'])}) low-efficiency",
        f"- kinds counted (lowuse_kinds): {', '.join(kinds) or 'none'}",
        "",
        "| kind (clause 二(一)3) | counted | parcels | 亩 | share of industrial land "
        "| only this kind: parcels | 亩 | share of industrial land |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table[table["kind"] != "all"].iterrows():
        lines.append(
            f"| {r['label']} ({r['kind']}) | {'yes' if r['counted'] else 'no'} | "
            f"{r['n_parcels']} | {r['area_mu']:,.1f} | {_share(r['industrial_share'])} | "
            f"{r['n_only']} | {r['only_mu']:,.1f} | {_share(r['only_industrial_share'])} |"
        )
    lines.append("")
    only = low & (parcels["n_reasons"] == 1) if "n_reasons" in parcels else low & False
    for code, label in _reason_counts(parcels.loc[low, "reasons"]):
        col = f"lu_{code}"
        sole = only & parcels[col].fillna(False).astype(bool)
        lines.append(
            f"- {label} ({code}): {label_count(code, parcels, low)}; only reason: "
            f"{int(sole.sum())} parcels, {parcels.loc[sole, 'area_mu'].sum():,.1f} 亩"
        )
    return lines


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of plain values, as ``to_dict("records")`` gives
    them, read column by column: one ``tolist`` a column, not a boxing call per cell.

    Only for columns whose ``tolist`` gives the very values ``to_dict`` does (NumPy
    numbers and booleans, text with NaN for null); a frame with any other column (objects
    holding NumPy scalars, nullable numbers whose null ``to_dict`` gives as ``None``) is
    left to ``to_dict``."""
    columns = list(frame.columns)
    if len(set(columns)) < len(columns) or not all(map(_plain_dtype, frame.dtypes)):
        return frame.to_dict("records")
    values = [frame[c].tolist() for c in columns] if len(frame) else []
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _plain_dtype(dtype: Any) -> bool:
    """Whether ``tolist`` of a column of ``dtype`` gives what ``to_dict`` does."""
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is np.nan
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def _share(value: float) -> str:
    return "—" if value is None or value != value else f"{value:.1%}"


def _fcell(value, fmt: str) -> str:
    """A number for the summary, ``–`` when null."""
    try:
        if value is None or pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        return str(value)
    return format(float(value), fmt)


def _evaluation_lines(result) -> list[str]:
    """Summary sections of the intensive-use evaluation, 批供用 status and 亩均效益 classes."""
    from xsland.judge.supply import STATUSES

    lines: list[str] = []
    table = getattr(result, "intensity", None)
    if table is not None and len(table):
        lines += [
            "",
            "## Intensive-use evaluation (开发区土地集约利用评价)",
            "",
            "| park | zone type | A ha | supply rate | built rate | FAR | density | "
            "industrial FAR | coverage | tax 万元/ha | idle rate | score |",
            "|---" * 12 + "|",
        ]
        for r in _records(table):  # plain values, not a Series per row
            lines.append(
                f"| {_cell(r['park_id'])} {_cell(r['name'])} | {r['zone_type'] or '–'} | "
                f"{_fcell(r['built_ha'], ',.1f')} | {_fcell(r['supply_rate'], '.1%')} | "
                f"{_fcell(r['built_rate'], '.1%')} | {_fcell(r['far_all'], '.2f')} | "
                f"{_fcell(r['building_density'], '.1%')} | {_fcell(r['far_industrial'], '.2f')} | "
                f"{_fcell(r['coverage_industrial'], '.1%')} | "
                f"{_fcell(r['tax_per_ha_industrial'], ',.1f')} | {_fcell(r['idle_rate'], '.2%')} | "
                f"{_fcell(r['score'], '.1f')} (on {_fcell(r['score_weight_share'], '.0%')} "
                "of the weight) |"
            )
        district = table[table["level"] == "district"]
        if len(district) and isinstance(district["missing"].iloc[0], str):
            lines += ["", f"- null values (district): {district['missing'].iloc[0]}"]
        lines.append(
            "- ideal values and weights: `ideal_*`, `weight_*` in the rules sheet "
            "(illustrative defaults; see docs/rules.md)"
        )
    parcels = result.parcels
    if "supply_status" in parcels.columns:
        lines += ["", "## 批供用 status of parcels", ""]
        # grouped by the column as it is (text, not converted to objects row by row)
        area = parcels.groupby(parcels["supply_status"])["area_ha"].agg(["size", "sum"])
        for code, (zh, _en) in STATUSES.items():
            if code in area.index:
                n, ha = area.loc[code]
                lines.append(f"- {zh} ({code}): {int(n)} parcels, {ha:,.2f} ha")
    ent = getattr(result, "enterprises", None)
    if ent is not None and "mj_class" in ent.columns:
        counts = ent["mj_class"].astype(object).value_counts()
        # mj_class_derived is optional (an audit written before it, or without it)
        derived = ent.get("mj_class_derived", pd.Series(dtype=object)).astype(object)
        derived = derived.value_counts()
        lines += [
            "",
            "## 亩均效益 classes (4+T)",
            "",
            "| class | A | B | C | D | T |",
            "|---|---|---|---|---|---|",
            "| used (given wins) | "
            + " | ".join(str(int(counts.get(c, 0))) for c in "ABCDT")
            + " |",
            "| derived | " + " | ".join(str(int(derived.get(c, 0))) for c in "ABCDT") + " |",
        ]
    return lines


def summary_markdown(result, *, title: str = "xsland audit", inputs: dict | None = None) -> str:
    """A short Markdown summary of an :class:`~xsland.result.AuditResult`.

    Check labels carry the thresholds of the policy the audit applied; a missing figure
    reads ``—`` or is left empty, never ``nan``.
    """
    from xsland.judge.audit import CHECKS
    from xsland.rules.columns import get_table

    spec = get_table("parks")
    labels = {c: spec.column(c).label(result.policy) for c in CHECKS}
    parks = result.parks
    lines = [f"# {_cell(title)}", ""]
    if inputs:
        lines += ["## Inputs", ""] + [f"- {k}: {_cell(v)}" for k, v in inputs.items()] + [""]
    n_out = int(result.parcels["park_id"].isna().sum())
    parcel_line = f"- parcels: {len(result.parcels)} ({n_out} outside every park)"
    if result.parcels_path:  # a partitioned audit: the full table stays in its files
        n_all = int(result.meta.get("n_parcels") or 0)
        parcel_line = (
            f"- parcels: {n_all} (full table: parcels.parquet/ and audit.gpkg); "
            f"{len(result.parcels)} need action ({n_out} of them outside every park)"
        )
    lines += [
        "## Overview",
        "",
        f"- parks: {len(parks)}, total {parks['area_km2'].sum():.3f} km² "
        f"({parks['area_mu'].sum():,.0f} 亩)",
        parcel_line,
        f"- data-quality findings: {len(result.quality)}",
        "",
        "## Park checks",
        "",
        "| park | name | town | " + " | ".join(labels[c] for c in CHECKS) + " |",
        "|---" * (3 + len(CHECKS)) + "|",
    ]
    # the columns read below only (parks have text columns: values as iterrows gives them)
    read = ["park_id", "name", "town"]
    read += [c.replace("chk_", p) for c in CHECKS for p in ("chk_", "val_", "fail_")]
    rows = _records(parks[[c for c in dict.fromkeys(read) if c in parks.columns]])
    # each park's ID and name made Markdown once, for its row and its failed checks
    heads = [(_cell(row["park_id"]), _cell(row.get("name"))) for row in rows]
    shown = {}  # each distinct status's text once

    def status(value) -> str:
        text = str(value)
        if text not in shown:
            shown[text] = STATUS_ZH.get(text, text)
        return shown[text]

    for row, (pid, name) in zip(rows, heads, strict=True):
        lines.append(
            f"| {pid} | {name} | {_cell(row.get('town'))} | "
            + " | ".join([status(row[c]) for c in CHECKS])
            + " |"
        )
    lines += ["", "✔ 达标 pass · ✘ 不达标 fail · ? 数据不足 unknown · – 不适用 n/a"]
    lines += ["", "## Failed checks", ""]
    failed = False
    columns = [(c, c.replace("chk_", "val_"), c.replace("chk_", "fail_")) for c in CHECKS]
    for row, (pid, name) in zip(rows, heads, strict=True):
        for c, val, fail in columns:
            if row[c] == "fail":
                failed = True
                value = _format_value(c, row.get(val, ""))
                extra = _cell(row.get(fail))
                lines.append(
                    f"- {pid} {name}: {labels[c]} — measured {value}"
                    + (f"; parcels below minimum: {extra}" if extra else "")
                )
    if not failed:
        lines.append("- none")
    lines += ["", "## District", ""]
    for _, row in result.district.iterrows():
        status = STATUS_ZH.get(str(row["status"]), str(row["status"]))
        lines.append(
            f"- {row['label']}: {status} ({_number(row['value'])} / {_number(row['threshold'])})"
        )
    lines += _evaluation_lines(result)
    parcels = result.parcels
    if "low_efficiency" in parcels.columns:
        lines += ["", "## Low-efficiency land (低效用地)", ""] + _lowuse_lines(result)
    blocks = getattr(result, "blocks", None)
    if blocks is not None:
        lines += ["", "## The ten largest contiguous blocks (连片)", ""]
        if len(blocks) == 0:
            lines.append("- none")
        else:
            # the order sorted by area alone (the same argsort), then the ten rows taken
            first = (
                blocks[["area_mu"]]
                .reset_index(drop=True)
                .sort_values("area_mu", ascending=False)
                .head(10)
            )
            top = blocks.iloc[first.index.to_numpy()]
            lines += [
                "| block | park | town | parcels | owners | 亩 | route | rule |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for _, b in top.iterrows():
                lines.append(
                    f"| {_cell(b['block_id'])} | {_cell(b.get('park_id'))} | "
                    f"{_cell(b.get('town'))} | {_number(b['n_parcels'])} | "
                    f"{_number(b.get('n_owners'))} | {_number(round(float(b['area_mu']), 1))} | "
                    f"{_cell(b.get('route_zh'))} | {_cell(b.get('route_rule'))} |"
                )
            small = int(blocks["below_threshold"].sum()) if "below_threshold" in blocks else 0
            lines.append("")
            lines.append(f"- {len(blocks)} blocks in all; {small} below the minimum area")
    lines += ["", "## Data quality", ""]
    if len(result.quality):
        counts = result.quality.groupby(["layer", "check", "label"]).size()
        lines += [
            f"- {layer} / {check} ({label}): {n}" for (layer, check, label), n in counts.items()
        ]
    else:
        lines.append("- no findings")
    return "\n".join(lines) + "\n"


#: The folder of the full parcel table (GeoParquet, a file per partition) that a
#: partitioned audit leaves in its output (:attr:`AuditResult.parcels_path`).
PARCELS_PARQUET = "parcels.parquet"


def audit_layers(result: AuditResult) -> dict[str, pd.DataFrame]:
    """The layers of an audit as written to ``audit.gpkg`` (and to PostGIS or GeoParquet).

    Every table of the result (:meth:`AuditResult.tables`), ``meta`` (title, run time,
    as-of date, CRS, engine, version and the policy as JSON) and ``inputs``, so that
    :meth:`AuditResult.read` rebuilds the result from the GeoPackage alone.
    """
    return result.layers()


def write_audit(
    result: AuditResult,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    title: str | None = None,
    inputs: dict | None = None,
    maps: bool = True,
    html_report: bool = True,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    geoparquet: bool = False,
    parcel_drawing: Any = None,
    gpkg_started: Any = None,
) -> list[Path]:
    """Write an audit into the folder ``out``.

    ``audit.gpkg`` (every layer of :func:`audit_layers`, typed, with Chinese aliases and
    QGIS styles), ``audit.xlsx`` (:func:`xsland.write.excel.write_audit_workbook`; a large
    one is written by a worker process while the other files are written here:
    :func:`xsland.write.excel.audit_workbook_writing`),
    ``summary.md``, and — unless switched off — ``map.html`` with ``maps/<town>.html``
    (:func:`xsland.write.maps.write_maps`) and ``report.html``
    (:func:`xsland.write.htmlreport.write_report`); with ``geoparquet`` also every layer as
    ``parquet/<layer>.parquet``. ``title`` and ``inputs``, when given, replace the
    result's own. The folder is built beside ``out`` and moved into place when complete
    (:func:`atomic_dir`); an existing folder is refused unless ``overwrite``.
    ``parcel_drawing``: the parcels' map geometries converted beforehand, or the future
    of the thread converting them (:func:`xsland.write.maps.draw_parcels`), handed to
    :func:`~xsland.write.maps.write_maps`; the maps are the same without it.
    ``gpkg_started``: the GeoPackage's first layers, being written by a worker since the
    audit handed them out (:func:`xsland.write.gpkg.gpkg_start`, beside ``out``); the
    rest is added to that file (:func:`~xsland.write.gpkg.gpkg_writing`), the same file
    as without it.

    The result of a partitioned audit (:attr:`AuditResult.parcels_path` set) holds only
    the parcels that need action: those go to the workbook, maps and reports, while the
    GeoPackage's ``parcels`` layer is appended from the folder file by file and the
    folder itself is moved into the output as ``parcels.parquet`` (GeoParquet, a file per
    partition); ``parquet/`` then holds the other layers.

    Returns
    -------
    list of Path
        The files and folders written (top level).
    """
    import dataclasses

    from xsland.write.excel import audit_workbook_writing

    if title is not None or inputs is not None:
        meta = {**result.meta, **({"title": title} if title is not None else {})}
        if inputs and inputs.get("run") and not meta.get("run"):
            meta["run"] = str(inputs["run"])
        result = dataclasses.replace(
            result, meta=meta, inputs=inputs if inputs is not None else result.inputs
        )
    title, inputs = result.title, dict(result.inputs)
    target = Path(out)
    n_parcels = int(result.meta.get("n_parcels") or len(result.parcels))
    with atomic_dir(target, overwrite=overwrite) as tmp, ExitStack() as workbook:
        # a large workbook and GeoPackage are prepared here and written by worker
        # processes on the other core while the summary, maps and report are written
        # here; each is complete at its "(finish)" step. The workbook first: its worker,
        # the longest job, ends the run, and it needs none of the layers prepared next
        with step("write audit.xlsx", len(result.parcels), unit="parcels"):
            workbook.enter_context(
                audit_workbook_writing(result, tmp / "audit.xlsx", geoparquet=geoparquet)
            )
        with step("prepare layers", n_parcels, unit="parcels"):
            layers = audit_layers(result)
        streamed: dict[str, Any] = dict(layers)
        if result.parcels_path:
            # a partitioned audit: the full parcel table is a folder of GeoParquet files,
            # appended to the GeoPackage one file at a time
            streamed["parcels"] = Path(result.parcels_path)
            layers = {k: v for k, v in layers.items() if k != "parcels"}
        geopackage = workbook.enter_context(ExitStack())
        with step("write audit.gpkg", n_parcels, unit="parcels"):
            geopackage.enter_context(
                gpkg_writing(
                    streamed,
                    tmp / "audit.gpkg",
                    policy=result.policy,
                    schema=True,
                    started=gpkg_started,
                )
            )
        if result.parcels_path:
            import shutil

            with step("move parcels.parquet", n_parcels, unit="parcels"):
                shutil.move(result.parcels_path, tmp / PARCELS_PARQUET)
        # written on a thread of lower priority (HERE_NICENESS): the workbook's worker,
        # the longest job of the run, keeps a core to itself meanwhile
        yielding(
            _write_documents,
            result,
            tmp,
            title=title,
            inputs=inputs,
            maps=maps,
            html_report=html_report,
            basemap=basemap,
            tianditu_key=tianditu_key,
            geoparquet=geoparquet,
            parcel_drawing=parcel_drawing,
            nice=HERE_NICENESS,
        )
        with step("write audit.gpkg (finish)"):
            geopackage.close()
        with step("write audit.xlsx (finish)"):
            workbook.close()
        names = sorted(p.name for p in tmp.iterdir())
    return [target / n for n in names]


#: How much lower the priority of the summary, maps and report is than the run's while
#: the workbook's worker (at the run's priority, :data:`xsland.write.worker.NICENESS`)
#: writes: the workbook is the longest job at scale, so it is the one that should not wait
#: for a core; the GeoPackage's worker (5) yields to both.
HERE_NICENESS = 3


def _write_documents(
    result: AuditResult,
    tmp: Path,
    *,
    title: str,
    inputs: dict,
    maps: bool,
    html_report: bool,
    basemap: str,
    tianditu_key: str | None,
    geoparquet: bool,
    parcel_drawing: Any,
) -> None:
    """``summary.md``, the maps, ``report.html`` and ``parquet/`` of :func:`write_audit`."""
    with step("write summary.md"):
        (tmp / "summary.md").write_text(
            summary_markdown(result, title=title, inputs=inputs), encoding="utf-8"
        )
    date = str(result.meta.get("run") or "")[:10] or None
    map_names: list[str] = []
    if maps:
        import warnings

        from xsland.write.maps import BasemapWarning, write_maps

        with warnings.catch_warnings(), step("write maps", len(result.parcels), unit="parcels"):
            if not basemap.startswith("tianditu"):
                # 天地图 is only an extra choice here; without a key it is left out
                warnings.simplefilter("ignore", BasemapWarning)
            written = write_maps(
                result,
                tmp,
                title=title,
                audit_date=date,
                basemap=basemap,
                tianditu_key=tianditu_key,
                parcel_drawing=parcel_drawing,
            )
        map_names = [str(p.relative_to(tmp)) for p in written]
    if html_report:
        from xsland.write.htmlreport import REPORT_NAME, write_report

        with step("write " + REPORT_NAME):
            write_report(
                result,
                tmp / REPORT_NAME,
                inputs=inputs,
                title=title,
                audit_date=date,
                maps=map_names,
            )
    if geoparquet:
        from xsland.write.geoparquet import write_geoparquet

        with step("write parquet", len(result.parcels), unit="parcels"):
            write_geoparquet(result, tmp / "parquet")
