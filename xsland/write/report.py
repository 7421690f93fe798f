"""Writing outputs without ever leaving them half-written.

Every writer here writes to a temporary file in the target's folder and moves
it into place with :func:`os.replace` only when it is complete; a folder of
outputs is built in a temporary sibling folder and renamed into place.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from xsland._atomic import atomic_dir, atomic_file
from xsland._progress import step
from xsland.errors import InputFileError
from xsland.group.blocks import COLUMN_LABELS as _BLOCK_LABELS
from xsland.judge.audit import STATUS_ZH
from xsland.judge.lowuse import COLUMN_LABELS as _LOWUSE_LABELS

__all__ = [
    "HEADERS_ZH",
    "atomic_dir",
    "atomic_file",
    "audit_layers",
    "read_audit",
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
    with atomic_file(target, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                df.to_excel(xl, sheet_name=sheet, index=False)
                ws = xl.sheets[sheet]
                ws.freeze_panes = "A2"
                for i, col in enumerate(df.columns, start=1):
                    texts = [str(col)] + [str(v) for v in df[col].head(200)]
                    width = max(_display_width(t) for t in texts)
                    ws.column_dimensions[ws.cell(1, i).column_letter].width = min(
                        max(width + 2, 8), 60
                    )
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
    return out


def write_workbook(
    sheets: dict[str, pd.DataFrame], path: str | os.PathLike, *, overwrite: bool = True
) -> Path:
    """Write several tables to one XLSX with Chinese headers.

    Each sheet has a frozen header row, column widths fitted to their text
    (CJK counted double) and number formats for areas, FAR and shares.
    """
    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for sheet, df in sheets.items():
                data = _excel_ready(df)
                data.to_excel(
                    xl,
                    sheet_name=sheet,
                    index=False,
                    header=[HEADERS_ZH.get(str(c), str(c)) for c in data.columns],
                )
                ws = xl.sheets[sheet]
                ws.freeze_panes = "A2"
                for i, col in enumerate(data.columns, start=1):
                    letter = ws.cell(1, i).column_letter
                    texts = [HEADERS_ZH.get(str(col), str(col))] + [
                        str(v) for v in data[col].head(200)
                    ]
                    ws.column_dimensions[letter].width = min(
                        max(max(_display_width(t) for t in texts) + 2, 8), 50
                    )
                    fmt = _FORMATS.get(str(col))
                    if fmt:
                        for cell in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                            cell[0].number_format = fmt
    return target


def _gpkg_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Types GDAL writes: nullable and text columns as objects."""
    out = df.copy()
    for c in out.columns:
        if c == getattr(out, "_geometry_column_name", None):
            continue
        if str(out[c].dtype) in ("boolean", "Int64", "Float64", "string", "str"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def write_gpkg(
    layers: dict[str, pd.DataFrame], path: str | os.PathLike, *, overwrite: bool = True
) -> Path:
    """Write several layers (GeoDataFrames or plain tables) to one GeoPackage."""
    import pyogrio

    target = Path(path)
    with atomic_file(target, overwrite=overwrite) as tmp:
        for name, df in layers.items():
            pyogrio.write_dataframe(
                _gpkg_ready(df), tmp, layer=name, driver="GPKG", append=tmp.exists()
            )
    return target


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

    present = set(";".join(reasons.fillna("").astype(str)).split(";")) - {""}
    return [(code, REASONS[code][0]) for code in REASONS if code in present]


def label_count(code: str, parcels: pd.DataFrame, low: pd.Series) -> str:
    """``N parcels, A 亩`` of the low-efficiency parcels with reason ``code``."""
    col = f"lu_{code}"
    hit = parcels[col].fillna(False).astype(bool) & low if col in parcels else low & False
    return f"{int(hit.sum())} parcels, {parcels.loc[hit, 'area_mu'].sum():,.1f} 亩"


def summary_markdown(result, *, title: str = "xsland audit", inputs: dict | None = None) -> str:
    """A short Markdown summary of an :class:`~xsland.result.AuditResult`."""
    from xsland.judge.audit import CHECKS

    parks = result.parks
    lines = [f"# {title}", ""]
    if inputs:
        lines += ["## Inputs", ""] + [f"- {k}: {v}" for k, v in inputs.items()] + [""]
    n_out = int(result.parcels["park_id"].isna().sum())
    lines += [
        "## Overview",
        "",
        f"- parks: {len(parks)}, total {parks['area_km2'].sum():.3f} km² "
        f"({parks['area_mu'].sum():,.0f} 亩)",
        f"- parcels: {len(result.parcels)} ({n_out} outside every park)",
        f"- data-quality findings: {len(result.quality)}",
        "",
        "## Park checks",
        "",
        "| park | name | town | " + " | ".join(CHECKS[c][0] for c in CHECKS) + " |",
        "|---" * (3 + len(CHECKS)) + "|",
    ]
    for _, row in parks.iterrows():
        lines.append(
            f"| {row['park_id']} | {row['name']} | {row['town']} | "
            + " | ".join(STATUS_ZH.get(str(row[c]), str(row[c])) for c in CHECKS)
            + " |"
        )
    lines += ["", "✔ 达标 pass · ✘ 不达标 fail · ? 数据不足 unknown · – 不适用 n/a"]
    lines += ["", "## Failed checks", ""]
    failed = False
    for _, row in parks.iterrows():
        for c, (label, _field) in CHECKS.items():
            if row[c] == "fail":
                failed = True
                value = _format_value(c, row.get(c.replace("chk_", "val_"), ""))
                extra = row.get(c.replace("chk_", "fail_"), "")
                lines.append(
                    f"- {row['park_id']} {row['name']}: {label} — measured {value}"
                    + (f"; parcels below minimum: {extra}" if extra else "")
                )
    if not failed:
        lines.append("- none")
    lines += ["", "## District", ""]
    for _, row in result.district.iterrows():
        lines.append(f"- {row['label']}: {row['status']} ({row['value']} / {row['threshold']})")
    parcels = result.parcels
    if "low_efficiency" in parcels.columns:
        low = parcels["low_efficiency"].fillna(False).astype(bool)
        lines += [
            "",
            "## Low-efficiency land (低效用地)",
            "",
            f"- {int(low.sum())} of {len(parcels)} parcels, "
            f"{parcels.loc[low, 'area_mu'].sum():,.1f} 亩 "
            f"of {parcels['area_mu'].sum():,.1f} 亩",
        ]
        for code, label in _reason_counts(parcels.loc[low, "reasons"]):
            lines.append(f"- {label} ({code}): {label_count(code, parcels, low)}")
    blocks = getattr(result, "blocks", None)
    if blocks is not None:
        lines += ["", "## The ten largest contiguous blocks (连片)", ""]
        if len(blocks) == 0:
            lines.append("- none")
        else:
            top = blocks.sort_values("area_mu", ascending=False).head(10)
            lines += [
                "| block | park | town | parcels | owners | 亩 | route | rule |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for _, b in top.iterrows():
                lines.append(
                    f"| {b['block_id']} | {b.get('park_id') or ''} | {b.get('town') or ''} | "
                    f"{b['n_parcels']} | {b.get('n_owners', '')} | {b['area_mu']:,.1f} | "
                    f"{b.get('route_zh', b.get('route', ''))} | {b.get('route_rule', '')} |"
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


def audit_layers(
    result, *, title: str = "xsland audit", inputs: dict | None = None
) -> dict[str, pd.DataFrame]:
    """The layers of an audit as written to ``audit.gpkg`` (and to PostGIS or GeoParquet).

    ``parks``, ``parcels``, ``quality``, ``towns``, ``district``, ``rules``; ``blocks``,
    ``block_members``, ``enterprises`` (per-mu) and ``park_zones`` when the audit has
    them; ``meta`` (title, audit date, as-of date, CRS) and ``inputs`` as key/value
    tables, so maps and reports can be rebuilt from the GeoPackage alone.
    """
    layers: dict[str, pd.DataFrame] = {
        "parks": result.parks,
        "parcels": result.parcels,
        "quality": result.quality,
        "towns": result.towns,
        "district": result.district,
        "rules": result.rules,
    }
    for name in ("blocks", "block_members", "enterprises", "park_zones"):
        value = getattr(result, name, None)
        if value is not None:
            layers[name] = value
    meta = dict(getattr(result, "meta", {}) or {})
    run = (inputs or {}).get("run", "")
    layers["meta"] = pd.DataFrame(
        {
            "key": ["title", "audit_date", "as_of", "crs", "indicator_year"],
            "value": [
                title,
                str(run)[:10],
                str(meta.get("as_of", "")),
                str(meta.get("crs", "")),
                "" if meta.get("year") is None else str(meta.get("year")),
            ],
        }
    )
    if inputs:
        layers["inputs"] = pd.DataFrame(
            {"key": list(inputs), "value": [str(v) for v in inputs.values()]}
        )
    return layers


def write_audit(
    result,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    title: str = "xsland audit",
    inputs: dict | None = None,
    maps: bool = True,
    html_report: bool = True,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    geoparquet: bool = False,
) -> list[Path]:
    """Write an audit into the folder ``out``.

    ``audit.gpkg`` (every layer of :func:`audit_layers`), ``audit.xlsx`` (one sheet per
    table, Chinese headers), ``summary.md``, and — unless switched off — ``map.html`` with
    ``maps/<town>.html`` (:func:`xsland.write.maps.write_maps`) and ``report.html``
    (:func:`xsland.write.htmlreport.write_report`); with ``geoparquet`` also every layer as
    ``parquet/<layer>.parquet``. The folder is built beside ``out`` and moved
    into place when complete (:func:`atomic_dir`); an existing folder is refused unless
    ``overwrite``.

    Returns
    -------
    list of Path
        The files and folders written (top level).
    """
    target = Path(out)
    with step("prepare layers", len(result.parcels), unit="parcels"):
        layers = audit_layers(result, title=title, inputs=inputs)
    with atomic_dir(target, overwrite=overwrite) as tmp:
        with step("write audit.gpkg", len(result.parcels), unit="parcels"):
            write_gpkg(layers, tmp / "audit.gpkg")
        sheets = {
            "园区 parks": result.parks,
            "镇街 towns": result.towns,
            "全区 district": result.district,
            "地块 parcels": result.parcels,
        }
        if getattr(result, "blocks", None) is not None:
            sheets["连片 blocks"] = result.blocks
            sheets["连片地块 block parcels"] = result.block_members
        if getattr(result, "enterprises", None) is not None:
            sheets["企业亩均 enterprises"] = result.enterprises
        sheets["数据质量 quality"] = result.quality
        sheets["规则 rules"] = result.rules
        with step("write audit.xlsx", sum(len(t) for t in sheets.values()), unit="rows"):
            write_workbook(sheets, tmp / "audit.xlsx")
        with step("write summary.md"):
            (tmp / "summary.md").write_text(
                summary_markdown(result, title=title, inputs=inputs), encoding="utf-8"
            )
        date = str((inputs or {}).get("run", ""))[:10] or None
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
            from xsland.read.postgis import write_geoparquet

            with step("write parquet", len(result.parcels), unit="parcels"):
                write_geoparquet(layers, tmp / "parquet")
        names = sorted(p.name for p in tmp.iterdir())
    return [target / n for n in names]


def read_audit(audit_dir: str | os.PathLike):
    """A finished audit read back from its ``audit.gpkg``.

    Returns
    -------
    (AuditResult, dict)
        The audit's tables, and its ``meta`` and ``inputs`` key/value rows
        (``title``, ``audit_date`` …) as one dict.
    """
    import geopandas as gpd
    import pyogrio

    from xsland.result import AuditResult

    folder = Path(audit_dir)
    gpkg = folder if folder.suffix.lower() == ".gpkg" else folder / "audit.gpkg"
    if not gpkg.is_file():
        raise InputFileError(
            f"{gpkg} not found: give the output folder of a finished audit "
            "(xsland audit --out DIR writes DIR/audit.gpkg)"
        )
    names = {str(n): g for n, g in pyogrio.list_layers(gpkg)}
    missing = [n for n in ("parks", "parcels", "quality", "rules") if n not in names]
    if missing:
        raise InputFileError(
            f"{gpkg} has no layer {', '.join(missing)}; is it the audit.gpkg of an xsland audit?"
        )

    def layer(name: str):
        if name not in names:
            return None
        if names[name]:
            return gpd.read_file(gpkg, layer=name)
        return pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)

    info: dict[str, str] = {}
    for name in ("inputs", "meta"):
        table = layer(name)
        if table is not None:
            info.update(
                dict(zip(table["key"].astype(str), table["value"].astype(str), strict=True))
            )
    result = AuditResult(
        parks=layer("parks"),
        parcels=layer("parcels"),
        towns=layer("towns"),
        district=layer("district"),
        quality=layer("quality"),
        rules=layer("rules"),
        blocks=layer("blocks"),
        block_members=layer("block_members"),
        enterprises=layer("enterprises"),
        park_zones=layer("park_zones"),
        meta={"crs": info.get("crs", ""), "as_of": info.get("as_of", "")},
    )
    return result, info
