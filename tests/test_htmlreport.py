"""The HTML audit report (issue 9): content on the Xishan sample, optional low-efficiency
land and blocks, escaping, the no-CJK-font fallback, and the printed PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from xsland.errors import DataError, InputFileError
from xsland.pipeline.audit import run
from xsland.pipeline.run import read_inputs
from xsland.result import AuditResult
from xsland.rules.policy import DEFAULT_POLICY
from xsland.tools.demo import demo_project
from xsland.tools.sample import ensure_sample
from xsland.write import htmlreport
from xsland.write.htmlreport import (
    NoCJKFontWarning,
    build_report,
    existing_maps,
    write_report,
)
from xsland.write.report import write_gpkg

XSS = "<img src=x onerror=alert(1)>"
PAGES_DIR = Path("/tmp/xsland-report-pages")
CHART_SECTIONS = ("summary", "targets", "far", "quality")
ENTERPRISE_CHECKS = ("chk_leading_revenue", "chk_leading_count", "chk_chain_leader")


# -- a small HTML reader -------------------------------------------------------------------


class _Page(HTMLParser):
    """Sections with their images, table cells with their data attributes, every src."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.sections: dict[str, dict] = {}
        self.srcs: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.row: str | None = None
        self.cells: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if "src" in a:
            self.srcs.append(a["src"] or "")
        if tag == "section":
            self.section = a.get("id")
            self.sections[self.section] = {"images": 0, "text": "", "svg": 0}
        elif tag in ("img", "svg") and self.section:
            self.sections[self.section]["images" if tag == "img" else "svg"] += 1
        elif tag == "tr":
            self.row = a.get("data-park")
        elif tag == "td" and "data-check" in a:
            self.cells.append({"park": self.row, **a})

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.section:
            self.sections[self.section]["text"] += data


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def cell(page: _Page, park: str, check: str) -> dict:
    hits = [c for c in page.cells if c["park"] == park and c["data-check"] == check]
    assert len(hits) == 1, (park, check, hits)
    return hits[0]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defects(sample) -> dict:
    return json.loads(sample.defects.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo(demo_audit) -> tuple[Path, str]:
    """The demo's output folder with its report rebuilt from the finished audit."""
    out = demo_audit[0]
    path = write_report(AuditResult.read(out), out / "report.html", maps=existing_maps(out))
    assert path == out / "report.html"
    return out, path.read_text(encoding="utf-8")


def _tables(audit_dir: Path) -> dict:
    gpkg = audit_dir / "audit.gpkg"
    tables = {n: gpd.read_file(gpkg, layer=n) for n in ("parks", "parcels")}
    for n in ("quality", "towns", "district", "rules"):
        tables[n] = pd.DataFrame(gpd.read_file(gpkg, layer=n))
    return tables


def _audit(tables: dict) -> AuditResult:
    """A dict of tables as the AuditResult the report takes."""
    return AuditResult(**tables)


def fake_lowuse(parcels: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Issue-4-shaped outputs: flagged parcels with reasons, and blocks of touching ones.

    Existing and new industrial parcels with FAR < 1 are low-efficiency (``far_low``); those
    without floor area also ``idle`` (codes joined by ``;``, labels by ``；`` as
    :func:`xsland.judge.lowuse.flag` writes them). Parcels within 15 m of each other form a block.
    """
    p = parcels.copy()
    far = pd.to_numeric(p["far"], errors="coerce")
    industrial = p["category"].isin(["industrial", "new_industrial"])
    low = industrial & (far < 1.0)
    idle = low & (pd.to_numeric(p["floor_area"], errors="coerce").fillna(0) <= 0)
    codes = np.where(idle, "far_low;idle", np.where(low, "far_low", ""))
    zh = np.where(idle, "容积率低于低效阈值；闲置土地", np.where(low, "容积率低于低效阈值", ""))
    p["low_efficiency"] = low.to_numpy()
    p["reasons"] = pd.Series(codes, index=p.index, dtype=object)
    p["reasons_zh"] = pd.Series(zh, index=p.index, dtype=object)
    flagged = p[low]
    merged = shapely.unary_union(flagged.geometry.buffer(7.5).to_numpy())
    parts = list(getattr(merged, "geoms", [merged]))
    comp = gpd.GeoDataFrame(geometry=parts, crs=p.crs)
    hit = gpd.sjoin(
        flagged[["parcel_id", "park_id", "owner", "area_m2", "floor_area", "geometry"]].assign(
            geometry=flagged.geometry.representative_point()
        ),
        comp,
        predicate="within",
    )
    p["block_id"] = pd.Series(None, index=p.index, dtype=object)
    rows = []
    for k, (_, g) in enumerate(hit.groupby("index_right")):
        block_id = f"B{k + 1:03d}"
        p.loc[g.index, "block_id"] = block_id
        area = float(g["area_m2"].sum())
        rows.append(
            {
                "block_id": block_id,
                "park_id": g["park_id"].dropna().iloc[0] if g["park_id"].notna().any() else None,
                "town": "测试镇",
                "n_parcels": len(g),
                "parcel_ids": ", ".join(g["parcel_id"]),
                "n_owners": g["owner"].nunique(),
                "area_m2": area,
                "area_mu": area / (2000 / 3),
                "floor_area": float(g["floor_area"].fillna(0).sum()),
                "target_floor_area": area * 1.5,
                "route": "连片改造" if area / (2000 / 3) >= 30 else "置换盘活",
                "route_rule": "面积≥30亩" if area / (2000 / 3) >= 30 else "面积<30亩",
                "reward_wan": None,
                "below_threshold": area / (2000 / 3) < 30,
                "geometry": shapely.unary_union(
                    flagged.loc[g.index, "geometry"].buffer(7.5).to_numpy()
                ).buffer(-7.5),
            }
        )
    blocks = gpd.GeoDataFrame(rows, geometry="geometry", crs=p.crs)
    # an owner whose name is markup, in the largest block
    biggest = blocks.sort_values("area_mu", ascending=False)["block_id"].iloc[0]
    first = p.index[p["block_id"] == biggest][0]
    p.loc[first, "owner"] = XSS
    return p, blocks


@pytest.fixture(scope="module")
def with_blocks(demo) -> tuple[dict, gpd.GeoDataFrame]:
    tables = _tables(demo[0])
    parcels, blocks = fake_lowuse(tables["parcels"])
    return {**tables, "parcels": parcels}, blocks


@pytest.fixture(scope="module")
def blocks_report(with_blocks) -> tuple[str, list[str]]:
    """The report with low-efficiency land and blocks, and the warnings issued building it."""
    tables, blocks = with_blocks
    before = tables["parcels"].copy(), blocks.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = build_report(_audit(tables), blocks=blocks, audit_date="2025-12-31")
    pd.testing.assert_frame_equal(tables["parcels"], before[0])  # inputs untouched
    pd.testing.assert_frame_equal(blocks, before[1])
    return text, [str(w.message) for w in caught]


# -- the report of the sample --------------------------------------------------------------


def test_sample_report_names_the_oversize_park_as_failing(demo, defects):
    _, text = demo
    page = parse(text)
    oversize = defects["oversize_park"]
    c = cell(page, oversize, "chk_area")
    assert c["data-status"] == "fail" and "st-fail" in c["class"]
    others = [x for x in page.cells if x["data-check"] == "chk_area" and x["park"] != oversize]
    assert others and all(x["data-status"] != "fail" for x in others)
    parks = gpd.read_file(demo[0] / "audit.gpkg", layer="parks").set_index("park_id")
    # named in the summary's list of failing parks, with its measured area
    summary = page.sections["summary"]["text"]
    name, area = parks.loc[oversize, "name"], parks.loc[oversize, "area_km2"]
    assert f"{oversize} {name} ({area:.3f} km²)" in summary


def test_sample_report_has_a_chart_per_section_and_says_what_was_not_computed(demo):
    page = parse(demo[1])
    assert list(page.sections) == [
        "summary",
        "scorecard",
        "targets",
        "far",
        "lowuse",
        "blocks",
        "intensity",
        "quality",
        "rules",
    ]
    for sid in CHART_SECTIONS:
        assert page.sections[sid]["images"] + page.sections[sid]["svg"] >= 1, sid
    assert page.sections["targets"]["images"] == 2  # shares and chain leaders; platforms
    # the demo audit computes low-efficiency land and blocks: charts and maps, no notice
    for sid in ("lowuse", "blocks"):
        assert page.sections[sid]["images"] + page.sections[sid]["svg"] >= 1, sid
        assert "not computed in this run" not in page.sections[sid]["text"]


def test_report_says_what_was_not_computed(demo):
    from xsland.judge.lowuse import FLAG_COLUMNS

    tables = _tables(demo[0])
    parcels = tables["parcels"]
    tables["parcels"] = parcels.drop(
        columns=[c for c in parcels.columns if c in FLAG_COLUMNS or c == "block_id"]
    )
    page = parse(build_report(_audit(tables)))
    for sid in ("lowuse", "blocks"):
        assert page.sections[sid]["images"] == 0
        assert "not computed in this run" in page.sections[sid]["text"]
        assert "本次运行未计算" in page.sections[sid]["text"]


def test_every_image_is_embedded_and_nothing_is_fetched(demo):
    page = parse(demo[1])
    assert len(page.srcs) >= 5
    assert all(s.startswith("data:image/") for s in page.srcs)
    assert not any("http" in s for s in page.srcs)
    for tag, attrs in page.tags:
        assert tag != "link", attrs
        assert not (tag == "script" and attrs.get("src")), attrs
    assert "@import" not in demo[1] and "url(http" not in demo[1]


def test_rules_and_inputs_are_listed(demo, sample):
    text = parse(demo[1]).sections["rules"]["text"]
    for key in ("district_park_max_km2", "far_min_new_type_industrial", "block_min_mu"):
        assert key in text
    assert "锡府办规〔2025〕1号 二(一)1" in text
    # units, sources and unset values in the words of the workbook's rules sheet
    assert "本地参数" in text and "未设定" in text and "比例" in text
    assert "local parameter" not in text and "unset" not in text
    assert sample.gpkg.name in text and "3090" in text  # file and feature count
    assert "EPSG:4549" in text


def test_without_enterprise_data_the_enterprise_rules_are_unknown(sample):
    data = read_inputs(demo_project(ensure_sample(sample.root)))
    result = run(
        data["parks"],
        data["parcels"],
        data.get("buildings"),
        plan=data.get("plan"),
        indicators=data.get("indicators"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoCJKFontWarning)
        page = parse(build_report(result, audit_date="2025-12-31", image_format="png"))
    assert page.srcs and all(s.startswith("data:image/png;base64,") for s in page.srcs)
    parks = result.parks["park_id"].tolist()
    for pid in parks:
        for chk in ENTERPRISE_CHECKS:
            c = cell(page, pid, chk)
            assert c["data-status"] == "unknown", (pid, chk)
            assert "st-unknown" in c["class"]
    statuses = {c["data-status"] for c in page.cells if c["data-check"] in ENTERPRISE_CHECKS}
    assert statuses == {"unknown"}


# -- low-efficiency land and blocks ----------------------------------------------------------


def test_blocks_and_low_efficiency_sections(with_blocks, blocks_report):
    _, blocks = with_blocks
    text = blocks_report[0]
    page = parse(text)
    assert page.sections["lowuse"]["images"] == 1
    assert "not computed" not in page.sections["lowuse"]["text"]
    assert "容积率低于低效阈值" in page.sections["lowuse"]["text"]
    assert "闲置土地" in page.sections["lowuse"]["text"]
    n = min(10, len(blocks))
    assert page.sections["blocks"]["images"] == n  # one map per block card
    cards = [a["data-block"] for t, a in page.tags if t == "div" and "data-block" in a]
    expected = blocks.sort_values("area_mu", ascending=False)["block_id"].head(n).tolist()
    assert cards == expected
    # the owner's name is text, never markup
    assert XSS not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert not any(t == "img" and a.get("src") == "x" for t, a in page.tags)


def test_report_of_a_finished_audit_reads_blocks_and_writes_atomically(demo, with_blocks, tmp_path):
    tables, blocks = with_blocks
    folder = tmp_path / "audit"
    folder.mkdir()
    shutil.copy(demo[0] / "summary.md", folder / "summary.md")
    # a finished audit's blocks have every column an audit writes (AuditResult.read
    # refuses a layer without one); those the fake blocks lack are empty here
    from xsland.result import required_columns

    empty = {c: pd.NA for c in required_columns("blocks") if c not in blocks.columns}
    write_gpkg({**tables, "blocks": blocks.assign(**empty)}, folder / "audit.gpkg")
    # the layers alone, no meta: the policy is said (read refuses to assume one)
    back = AuditResult.read(folder, policy=DEFAULT_POLICY)
    path = write_report(back, folder / "report.html")
    page = parse(path.read_text(encoding="utf-8"))
    assert page.sections["blocks"]["images"] == min(10, len(blocks))
    assert page.sections["lowuse"]["images"] == 1
    assert sorted(p.name for p in folder.iterdir()) == ["audit.gpkg", "report.html", "summary.md"]
    with pytest.raises(FileExistsError):
        write_report(_audit(tables), path, overwrite=False)


def test_bad_input_is_refused(tmp_path, demo):
    with pytest.raises(InputFileError, match="audit.gpkg"):
        AuditResult.read(tmp_path)
    with pytest.raises(DataError, match="needs an AuditResult"):
        build_report({"parcels": pd.DataFrame({"parcel_id": []})})
    tables = _tables(demo[0])
    with pytest.raises(DataError, match="image_format"):
        build_report(_audit(tables), image_format="gif")


def test_without_a_cjk_font_charts_use_latin_labels(with_blocks, monkeypatch):
    tables, blocks = with_blocks
    monkeypatch.setattr(htmlreport.charts, "find_cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = build_report(_audit(tables), blocks=blocks)
    kinds = [w.category for w in caught]
    assert NoCJKFontWarning in kinds
    assert "fonts-noto-cjk" in str(
        next(w.message for w in caught if w.category is NoCJKFontWarning)
    )
    # matplotlib warns for every glyph it cannot draw: none means no boxes (豆腐块)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    page = parse(text)
    assert page.sections["lowuse"]["images"] == 1
    assert "T1 = " in text  # town names replaced by codes explained in the caption


def test_the_cjk_font_is_found_and_draws_every_glyph(blocks_report):
    assert htmlreport.charts.find_cjk_font() is not None, "install fonts-noto-cjk (apt-get)"
    assert [m for m in blocks_report[1] if "missing from font" in m] == []
    assert not any("CJK" in m for m in blocks_report[1])


# -- the printed report ----------------------------------------------------------------------


def _tool(path: str, package: str) -> str:
    found = shutil.which(path) if not Path(path).is_absolute() else path
    if not found or not Path(found).exists():
        pytest.fail(f"{path} not found: install Debian's {package} (apt-get install {package})")
    return found


def test_report_prints_to_pdf_without_empty_pages(demo, tmp_path):
    chromium = _tool("/usr/bin/chromium", "chromium")
    pdftoppm = _tool("pdftoppm", "poppler-utils")
    from matplotlib.image import imread

    html_path = demo[0] / "report.html"
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html_path.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert pdf.exists() and pdf.stat().st_size > 10_000
    subprocess.run(
        [pdftoppm, "-png", "-r", "40", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 8  # a section per page at least
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    for png in pages:
        image = imread(png)
        dark = (image[..., :3] < 0.9).any(axis=-1)
        ink = dark.mean()
        assert ink > 0.02, f"{png.name} is nearly empty ({ink:.1%} non-white)"
        # no page holds only a line or two (an orphan row of a table): its content
        # reaches at least a fifth of the way down (the top margin alone is 5 %)
        reach = dark.any(axis=1).nonzero()[0].max() / dark.shape[0]
        assert reach > 0.2, f"{png.name} holds only the top {reach:.0%} of a page"
        shutil.copy(png, PAGES_DIR / png.name)


def test_a_cjk_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    """`make demo` builds matplotlib's font cache; `make test` then installs the CJK font.

    The stale cache is simulated by a font list without the CJK fonts: the font files
    are still found on disk and registered, and no warning is issued.
    """
    from matplotlib import font_manager

    fm = font_manager.fontManager
    stale = [f for f in fm.ttflist if not htmlreport.charts._CJK_FILE.search(str(f.fname))]
    assert htmlreport.charts._match_cjk_family(stale) is None
    monkeypatch.setattr(fm, "ttflist", list(stale))
    family = htmlreport.charts.find_cjk_font()
    assert family is not None and "CJK" in family, "install fonts-noto-cjk (apt-get)"
    assert any(htmlreport.charts._CJK_FILE.search(str(f.fname)) for f in fm.ttflist)


def test_intensity_page_sets_the_parks_beside_the_national_averages(demo):
    text = parse(demo[1]).sections["intensity"]["text"]
    assert "土地集约利用评价" in text and "全国平均(2023)" in text
    assert "0.98" in text and "0.93" in text and "678.99" in text
    assert "工业主导型" in text and "批而未供率" in text
    # the sample has no ready_for_supply column: the supply rate is a dash, never 0
    assert "never 0" in text


def test_intensity_page_without_the_table(demo):
    tables = _tables(demo[0])
    tables.pop("intensity", None)
    text = parse(build_report(_audit(tables))).sections["intensity"]["text"]
    assert "not computed in this run" in text


@pytest.mark.parametrize(
    ("check", "detail", "zh"),
    [
        ("sliver", "area 35.5 m², mean width 0.50 m", "面积 35.5 m²，平均宽度 0.50 m"),
        ("multipart", "2 parts", "由 2 个部分组成"),
        ("overlap", "overlaps P0-7 by 12.5 m²", "与 P0-7 重叠 12.5 m²"),
        (
            "declared_area_mismatch",
            "declared 3526.1 m², measured 4200.0 m² (-16.0%)",
            "申报 3526.1 m²，实测 4200.0 m²（相差 -16.0%）",
        ),
        (
            "straddles_park",
            "50.0% in park XS02, 50.0% outside every park",
            "50.0% 在园区 XS02 内，50.0% 在所有园区外",
        ),
        ("building_outside", "touches no parcel", "不与任何地块相交"),
        ("renamed_duplicate_id", "P00740 → P00740-2", "重复编号 P00740 改为 P00740-2"),
        (
            "repaired_geometry",
            "Self-intersection[533029.04356244 3495829.08325266]; repaired with make_valid, "
            "area 4003.0 → 4006.7",
            "自相交（533029.04, 3495829.08）；已用 make_valid 修复，面积 4003.0 → 4006.7 m²",
        ),
        ("bad_value", "3 values not dates", "3 个值不是日期"),
        ("bad_value", "1 value not numbers", "1 个值不是数字"),
        ("empty_id", "2 rows with an empty parcel_id", "2 行的 parcel_id 为空"),
        ("duplicate_id", "4 parcel_id values used more than once", "4 个 parcel_id 值重复出现"),
        (
            "missing_floors",
            "no floors, height or floor_area: adds no floor area to its parcels",
            "无层数、高度和建筑面积：不计入所在地块的建筑面积",
        ),
        # unknown codes and details that match no pattern of their code stay as they are
        ("sliver", "area 5 m² (hand-made)", "area 5 m² (hand-made)"),
        ("a_new_check", "2 parts", "2 parts"),
        ("multipart", None, ""),
        ("overlap", "overlaps <b>x</b> by 1.0 m²", "与 <b>x</b> 重叠 1.0 m²"),
    ],
)
def test_quality_details_in_chinese(check, detail, zh):
    assert htmlreport.quality_detail_zh(check, detail) == zh


def test_quality_details_chinese_with_english_gloss_and_escaped(with_blocks):
    q = pd.DataFrame(
        {
            "layer": ["parcels", "parcels"],
            "file": ["p.gpkg", "p.gpkg"],
            "id": ["P1", "P2"],
            "column": ["", ""],
            "check": ["overlap", "overlap"],
            "severity": ["warning", "warning"],
            "label": ["地块重叠", "地块重叠"],
            "detail": ["overlaps P2 by 3.5 m²", f"overlaps {XSS} by 3.5 m²"],
        }
    )
    text = build_report(_audit({**with_blocks[0], "quality": q}), image_format="png")
    assert '与 P2 重叠 3.5 m² <span class="en">overlaps P2 by 3.5 m²</span>' in text
    assert XSS not in text and "与 &lt;img src=x onerror=alert(1)&gt; 重叠" in text


def test_chinese_only_report_and_the_idle_date(with_blocks, tmp_path):
    tables = {**with_blocks[0], "meta": {"as_of": "2025-08-29"}}
    both = build_report(_audit(tables), image_format="png")
    zh = build_report(_audit(tables), image_format="png", lang="zh")
    assert '<body class="zh-only">' in zh and '<body class="zh-only">' not in both
    assert "闲置土地认定基准日" in zh and "2025年8月29日" in zh
    # only the body's class and the button's word differ
    assert (
        zh.replace('<body class="zh-only">', "<body>").replace(
            ">中文 + English</button>", ">仅中文</button>"
        )
        == both
    )
    assert "body.zh-only .en { display: none; }" in zh  # in print as on screen
    with pytest.raises(DataError, match="lang must be one of zh-en, zh"):
        build_report(_audit(tables), lang="en")
    # without the date in meta, the run's inputs give it; without either, nothing is said
    assert "2025年8月29日" in build_report(
        _audit(with_blocks[0]), image_format="png", inputs={"idle judged at": "2025-08-29"}
    )
    assert "闲置土地认定基准日" not in build_report(_audit(with_blocks[0]), image_format="png")


def test_cli_report_in_chinese_only_prints_no_english(demo, tmp_path):
    from click.testing import CliRunner

    from xsland.cli import main

    out = tmp_path / "audit"
    out.mkdir()
    for name in ("audit.gpkg", "summary.md"):
        shutil.copy(demo[0] / name, out / name)
    result = CliRunner().invoke(main, ["report", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    text = (out / "report.html").read_text(encoding="utf-8")
    assert '<body class="zh-only">' in text
    bad = CliRunner().invoke(main, ["report", str(out), "--lang", "en"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    # printed: no English gloss on any page (section titles, table heads, the header)
    chromium = _tool("/usr/bin/chromium", "chromium")
    pdftotext = _tool("pdftotext", "poppler-utils")
    pdf = tmp_path / "zh.pdf"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'chromium'}",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (out / "report.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    printed = subprocess.run(
        [pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert "数据质量" in printed and "规则与输入" in printed
    for gloss in ("Data quality", "Rules and inputs", "audit date", "Inputs of the run"):
        assert gloss not in printed, gloss


def test_page_and_quality_markup_come_from_templates_that_escape(with_blocks):
    q = pd.DataFrame(
        {
            "layer": [XSS],
            "file": [f"/data/{XSS}.gpkg"],
            "id": [XSS],
            "column": ["=1+1"],
            "check": [XSS],
            "severity": ["warning"],
            "label": [XSS],
            "detail": [XSS],
        }
    )
    text = build_report(_audit({**with_blocks[0], "quality": q}), image_format="png", title=XSS)
    assert XSS not in text
    assert "<title>&lt;img src=x onerror=alert(1)&gt;</title>" in text
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in text
    assert "<code>&lt;img src=x onerror=alert(1)&gt;</code>" in text  # the check's code
    page = parse(text)
    assert not any(tag == "img" and a.get("src") == "x" for tag, a in page.tags)
    env = htmlreport.page.templates()
    assert env.autoescape is True
    note = {
        "id": "n",
        "zh": "<i>",
        "en": "",
        "short": True,
        "template": "report_note.html.j2",
        "note": ("<i>", "<i>"),
        "absent": False,
    }
    page = env.get_template("report_page.html.j2").render(
        version="1", title="<b>", zh_only=False, nav=[], date="d", as_of="", policy="&",
        sections=[note],
    )  # fmt: skip
    assert page.count("&lt;b&gt;") == 2 and page.count("&lt;i&gt;") == 3
    assert "<b>" not in page and "<i>" not in page


def test_templates_are_package_data():
    import tomllib
    from fnmatch import fnmatch

    root = Path(htmlreport.__file__).parents[1]
    project = tomllib.loads((root.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    globs = project["tool"]["setuptools"]["package-data"]["xsland.write"]
    files = sorted(p.relative_to(root).as_posix() for p in (root / "templates").iterdir())
    assert {"report_page.html.j2", "map.js", "map_head.html.j2"} <= {Path(f).name for f in files}
    for f in files:
        assert any(fnmatch(f, g) for g in globs), f"{f} is not in the package data"


def test_inputs_as_the_run_records_them():
    files, other = htmlreport.common._inputs_rows(
        {
            "parks": "/d/x.gpkg [parks] — 13 rows, EPSG:4549",
            "parcels": "/d/a, b.gpkg, /d/c.gpkg — 1,234 rows",  # two files
            "enterprises": "/d/e.csv",
            "idle judged at": "2025-08-29",
            "engine": "single",
        }
    )
    assert [(f["name"], f["layer"], f["rows"], f["crs"]) for f in files] == [
        ("x.gpkg", "parks", "13", "EPSG:4549"),
        ("c.gpkg", "", "1,234", ""),
        ("e.csv", "", "", ""),
    ]
    assert other == [("idle judged at", "2025-08-29"), ("engine", "single")]
