"""Any Unicode text in any text column reaches every output intact and inert.

A tiny hand-made project (two parks, six parcels, three buildings, five enterprises) is
audited with arbitrary text in each text column a user gives, and every output is read
back: ``audit.xlsx`` (no formula cell, text stays text, numbers stay numbers),
``audit.gpkg`` (the same text), ``summary.md`` (no markup from the data), every HTML page
(``map.html``, ``maps/*.html``, ``report.html`` and the difference map: no element,
attribute or script the text created; the JSON data blobs give the text back exactly).

What "the same text" means, per output:

- audit.gpkg keeps every character but NUL, which GDAL cannot store inside a string (it
  would silently cut the rest); NUL is removed when the data is read, and listed in the
  quality table (``text_nul_removed``).
- audit.xlsx also drops the other characters XML 1.0 cannot hold (C0 controls but tab, LF
  and CR; U+FFFE, U+FFFF), listed as ``xlsx_illegal_characters``.
- IDs are compared in their normalised form (NFKC, zero-width characters removed,
  stripped): an ID that is empty after that is a named ``ValidationError``, as is one
  that then equals another ID of its layer.

Layout, in EPSG:4549 metres from (X0, Y0): park K1 = [0, 400]², park K2 = [1000, 1400] ×
[0, 400]; parcels P1–P3 lie in K1, P4–P6 in K2 (100 m squares but P6, 50 m).
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xsland.cli import main
from xsland.compare.diff import diff_audits
from xsland.errors import ValidationError
from xsland.pipeline.audit import run
from xsland.read.validate import validate_layer, validate_table
from xsland.read.values import normalise_id
from xsland.result import AuditResult
from xsland.rules.columns import CODES
from xsland.rules.landuse import land_use_label
from xsland.rules.policy import split_list
from xsland.write.diff import write_diff
from xsland.write.excel import action_parcels, clean_text
from xsland.write.report import write_audit

X0, Y0 = 535_000.0, 3_496_000.0

#: Text meant to become active content somewhere, or to break a format.
INJECTIONS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=1>',
    "'><svg onload=1>",
    "{{7*7}}",
    "{% raw %}",
    "$x^2$",
    r"$\frac{1}{$",
    "javascript:alert(1)",
    "<!--",
    "]]>",
    "&amp;&lt;",
    '=HYPERLINK("http://evil","点击查看")',
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "_x0041_",
    "a|b",
    "# 标题",
    "[x](javascript:alert(1))",
    "\u202eevil",
    "a\x00b",
    "\x01\x0b\x1f",
    "\u0301",
    "👩‍👩‍👧\U0001f1e8\U0001f1f3",
    "\u2028\u2029",
    "\ufeff",
    "锡" * 100,
]

_TEXT = st.one_of(
    st.text(max_size=24),
    st.sampled_from(INJECTIONS),
    st.tuples(st.sampled_from(INJECTIONS), st.text(max_size=6)).map("".join),
)

#: The text columns of the tiny project: key -> (layer, column).
COLUMNS = {
    "park_id": ("parks", "park_id"),
    "park_name": ("parks", "name"),
    "town": ("parks", "town"),
    "town2": ("parks", "town"),
    "leading": ("parks", "leading_industry"),
    "related": ("parks", "related_industries"),
    "parcel_id": ("parcels", "parcel_id"),
    "land_use": ("parcels", "land_use"),
    "owner": ("parcels", "owner"),
    "enterprise_id": ("parcels", "enterprise_id"),
    "building_id": ("buildings", "building_id"),
    "use": ("buildings", "use"),
    "ent_name": ("enterprises", "name"),
    "industry": ("enterprises", "industry"),
}
#: IDs the hand-made project uses besides the generated ones.
FIXED_IDS = {
    "park_id": {"K2"},
    "parcel_id": {"P2", "P3", "P4", "P5", "P6"},
    "enterprise_id": {"E2", "E3", "E5", "E6"},
    "building_id": {"B2", "B3"},
}
PLAIN = dict(
    park_id="K1",
    park_name="一园",
    town="东亭街道",
    town2="安镇街道",
    leading="装备",
    related="材料",
    parcel_id="P1",
    land_use="100101",
    owner="甲",
    enterprise_id="E1",
    building_id="B1",
    use="厂房",
    ent_name="甲公司",
    industry="装备",
)


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def build(t: dict[str, str]):
    """The tiny project with the texts ``t`` (keys of :data:`COLUMNS`) in place."""
    parks = gpd.GeoDataFrame(
        {
            "park_id": [t["park_id"], "K2"],
            "name": [t["park_name"], "二园"],
            "town": [t["town"], t["town2"]],
            "park_type": ["district", "district"],
            "leading_industry": [t["leading"], "装备"],
            "related_industries": [t["related"], "材料"],
        },
        geometry=[_box(0, 0, 400, 400), _box(1000, 0, 1400, 400)],
        crs="EPSG:4549",
    )
    e = t["enterprise_id"]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [t["parcel_id"], "P2", "P3", "P4", "P5", "P6"],
            "land_use": [t["land_use"]] + ["100101"] * 4 + ["1101"],
            # FAR on 1 ha: P1 0.5 and P4 2.0 (P6 logistics on 0.25 ha)
            "floor_area": [5_000.0, 15_000.0, None, 20_000.0, 3_000.0, 100.0],
            "owner": [t["owner"], "乙", "丙", t["owner"], "戊", "己"],
            "enterprise_id": [e, "E2", "E3", e, "E5", "E6"],
            "town": [t["town"]] * 3 + [t["town2"]] * 3,
        },
        geometry=[
            _box(10, 10, 110, 110),
            _box(110, 10, 210, 110),
            _box(230, 10, 330, 110),
            _box(1010, 10, 1110, 110),
            _box(1110, 10, 1210, 110),
            _box(1230, 10, 1280, 60),
        ],
        crs="EPSG:4549",
    )
    buildings = gpd.GeoDataFrame(
        {
            "building_id": [t["building_id"], "B2", "B3"],
            "floors": [3, 2, 5],
            "use": [t["use"], "厂房", "仓库"],
        },
        geometry=[_box(20, 20, 60, 60), _box(130, 20, 170, 60), _box(1020, 20, 1080, 80)],
        crs="EPSG:4549",
    )
    enterprises = pd.DataFrame(
        {
            "enterprise_id": [e, "E2", "E3", "E5", "E6"],
            "name": [t["ent_name"], "乙公司", "丙", "戊", "己"],
            "industry": [t["industry"], "装备", "装备", "材料", "物流"],
            "revenue": [10_000.0, 2_000.0, 3_000.0, 4_000.0, 5_000.0],
            "tax": [500.0, 100.0, 100.0, 200.0, 300.0],
        }
    )
    return parks, parcels, buildings, enterprises


def refused_ids(t: dict[str, str]) -> list[str]:
    """The generated IDs the contract refuses: empty once normalised, or another row's ID.

    The reader removes NUL from every text first (``text_nul_removed``): an ID of NULs
    alone is empty.
    """
    ids = {key: normalise_id(t[key].replace("\x00", "")) for key in FIXED_IDS}
    return [key for key, fixed in FIXED_IDS.items() if ids[key] is None or ids[key] in fixed]


def audit(t: dict[str, str], out: Path):
    """Validate, audit and write the tiny project; ``(inputs, result)``."""
    parks, parcels, buildings, enterprises = build(t)
    inputs = {
        "parks": validate_layer(parks, "parks"),
        "parcels": validate_layer(parcels, "parcels"),
        "buildings": validate_layer(buildings, "buildings"),
        "enterprises": validate_table(enterprises, "enterprises"),
    }
    result = run(
        inputs["parks"],
        inputs["parcels"],
        inputs["buildings"],
        enterprises=inputs["enterprises"],
        as_of="2025-08-29",
    )
    write_audit(result, out)
    return inputs, result


# -- reading the outputs back ------------------------------------------------------------------


#: Attributes whose value a browser follows as a URL.
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}


class _Page(HTMLParser):
    """Start tags (name and attribute names), attribute values, scripts and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[tuple[str, tuple[str, ...]]] = set()
        self.values: list[str] = []
        self.urls: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add((tag, tuple(sorted(a for a, _ in attrs))))
        self.values += [v for _, v in attrs if v is not None]
        self.urls += [v for a, v in attrs if a in _URL_ATTRIBUTES and v is not None]
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def json_strings(value) -> set[str]:
    """Every string (keys too) inside a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set(value) | set().union(*map(json_strings, value.values()))
    if isinstance(value, list):
        return set().union(*map(json_strings, value))
    return set()


def html_pages(out: Path) -> dict[str, Path]:
    """``kind -> page``: the district map, every town map, the report."""
    pages = {"map": out / "map.html", "report": out / "report.html"}
    pages.update({f"town{i}": p for i, p in enumerate(sorted((out / "maps").glob("*.html")))})
    return pages


def _excel_unescape(value):
    """openpyxl keeps Excel's ``_xHHHH_`` escapes (the writer writes CR as ``_x000D_``)."""
    if not isinstance(value, str):
        return value
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def excel_cells(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def _html_newlines(text: str) -> str:
    """Text with CR LF and CR as LF, as an HTML parser (and a browser) reads them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _code(body: str) -> str:
    """A script's code with folium's random map IDs made equal."""
    return re.sub(r"_[0-9a-f]{32}", "_ID", body)


def md_unescape(text: str) -> str:
    """A Markdown cell's text as a reader sees it (CommonMark backslash escapes undone)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


class _Baseline(dict):
    """The plain project's tags and scripts, with a short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return f"<tags and scripts of {len(self)} kinds of page>"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The outputs of the plain project: its tags are all a page may hold."""
    out = tmp_path_factory.mktemp("plain") / "audit"
    audit(PLAIN, out)
    other = out.parent / "other"  # every text changed: the diff map shows every kind of row
    audit({k: v + "二" for k, v in PLAIN.items()}, other)
    write_diff(diff_audits(AuditResult.read(out), AuditResult.read(other)), out.parent / "diff")
    pages = {**html_pages(out), "diff": out.parent / "diff" / "diff_map.html"}
    tags: dict[str, set] = _Baseline(scripts=set())
    for kind, page in pages.items():
        parsed = parse_page(page)
        tags.setdefault(kind.rstrip("0123456789"), set()).update(parsed.tags)
        tags["scripts"] |= {
            _code(body) for attrs, body in parsed.scripts if attrs.get("type") != "application/json"
        }
    return out, tags


def _row(frame: pd.DataFrame, key: str) -> int:
    """Position of the row holding the text of ``key`` (the generated row, or K2's)."""
    id_col = {"parks": "park_id", "parcels": "parcel_id", "enterprises": "enterprise_id"}
    layer = COLUMNS[key][0]
    ids = frame[id_col[layer]].tolist()
    if key == "town2":
        return ids.index("K2")
    fixed = FIXED_IDS[id_col[layer]]
    return next(i for i, v in enumerate(ids) if v not in fixed)


def _held(result: AuditResult) -> dict[str, str | None]:
    """``key -> the text as the audit holds it`` (None when empty) for the output layers."""
    out = {}
    for key, (layer, column) in COLUMNS.items():
        if layer == "buildings":  # used for floor areas, not an output layer
            continue
        frame = getattr(result, layer)
        value = frame[column].iloc[_row(frame, key)] if column in frame.columns else None
        out[key] = value if isinstance(value, str) else None
    return out


def check_outputs(out: Path, result: AuditResult, t, baseline_tags, *, diff_out: Path) -> None:
    held = _held(result)
    # the text the audit holds is the text given, but NUL, the ID normalisation (NFKC,
    # stripped) and the list of related industries (split, each name stripped)
    for key, value in held.items():
        given = t[key].replace("\x00", "")
        if key in FIXED_IDS:
            assert value == normalise_id(given), key
        elif key == "related":
            assert split_list(value) == split_list(given), key
        elif key == "land_use":  # a code or a name: read, never lost
            assert (value or "").strip() == given.strip() or value in CODES["land_use"], key
        elif given.strip() and (value or "").strip() != given.strip():
            # only a town spelt two ways (case, width) is counted as one, and listed
            merged = result.quality.loc[result.quality["check"] == "name_normalised", "detail"]
            assert key.startswith("town") and any(repr(given) in d for d in merged), key
        assert value is None or "\x00" not in value
    # audit.gpkg: the same text as the audit holds
    for key, value in held.items():
        frame = pyogrio.read_dataframe(out / "audit.gpkg", layer=COLUMNS[key][0])
        got = frame[COLUMNS[key][1]].iloc[_row(frame, key)]
        assert (got if isinstance(got, str) else None) == value, (key, t[key])

    # audit.xlsx: no formulas; every text a string cell, its XML-legal characters all kept
    cells = excel_cells(out / "audit.xlsx")
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    strings = {_excel_unescape(c.value) for c in cells if isinstance(c.value, str)}
    # P1 (FAR 0.5) is on the sheet of parcels that need action unless its land use is unknown
    on_sheet = set(action_parcels(result.parcels)["parcel_id"])
    for key in ("park_id", "park_name", "town", "parcel_id", "land_use", "owner", "ent_name"):
        if COLUMNS[key][0] == "parcels" and held["parcel_id"] not in on_sheet:
            continue
        if held[key] is not None:
            shown = held[key]
            if key == "land_use":  # a name the vocabulary does not know is shown trimmed
                shown = land_use_label(shown, code_first=True) or ""
            want = clean_text(pd.Series([shown], dtype=object))[0][0]
            if want.strip():
                assert any(want in s for s in strings), (key, want)
    for key in ("park_name", "owner", "ent_name"):  # shown on a sheet: a removal is listed
        if key == "owner" and held["parcel_id"] not in on_sheet:
            continue
        if held[key] is not None and clean_text(pd.Series([held[key]], dtype=object))[1][0]:
            assert "xlsx_illegal_characters" in strings, key
    assert not [c.coordinate for c in excel_cells(diff_out / "diff.xlsx") if c.data_type == "f"]
    numbers = [c for c in cells if c.data_type == "n" and c.value is not None]
    assert numbers and all(isinstance(c.value, (int, float)) for c in numbers)

    # summary.md: the text, escaped; no line or cell breaks and no markup from the data
    md = (out / "summary.md").read_text(encoding="utf-8")
    lines = md.split("\n")
    assert "\r" not in md
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| park |"))
    width = len(lines[start].split("|"))
    rows = lines[start + 2 : start + 4]  # the park table: two parks, each a whole row
    assert [len(re.split(r"(?<!\\)\|", ln)) for ln in rows] == [width, width], rows
    assert not re.findall(r"(?<!\\)<[a-zA-Z!/?]", md)  # no HTML tag, comment or CDATA
    assert not re.findall(r"(?<!\\)\$", md)  # no math
    for key in ("park_id", "park_name", "town"):
        value = held[key]
        if value is None:
            continue
        plain = " ".join(value.replace("\u2028", " ").replace("\u2029", " ").split())
        assert any(plain in " ".join(md_unescape(ln).split()) for ln in lines), (key, value)

    # every HTML page: only the tags of the plain project; JSON blobs give the text back
    pages = html_pages(out)
    pages["diff"] = diff_out / "diff_map.html"
    for kind, path in pages.items():
        page = parse_page(path)
        allowed = baseline_tags[kind.rstrip("0123456789")]
        assert page.tags <= allowed, (kind, page.tags - allowed)
        # a URL that runs code (a browser drops control characters and spaces in the scheme)
        schemes = [re.sub(r"[\x00-\x20]", "", v).lower() for v in page.urls]
        assert not [v for v in schemes if v.startswith(("javascript:", "vbscript:", "data:text"))]
        seen: set[str] = set(page.text) | set(page.values)
        for attrs, body in page.scripts:
            if attrs.get("type") == "application/json":
                seen |= json_strings(json.loads(body))
            else:  # code never holds data: the same scripts as the plain project's
                assert _code(body) in baseline_tags["scripts"], (kind, body[:200])
        if kind in ("map", "report", "diff"):  # the text itself, never a template's result
            for key in ("park_name", "park_id"):
                if held[key] is not None and held[key].strip():
                    want = _html_newlines(held[key].strip())
                    assert any(want in _html_newlines(v) for v in seen), (kind, key, want)
    # the town maps: one per town, never one replacing another
    towns = {v.strip() for v in (held["town"], held["town2"]) if v and v.strip()}
    if len(towns) == 2:
        assert len(list((out / "maps").glob("*.html"))) == 2


def _run_one(t: dict[str, str], root: Path, baseline_tags) -> None:
    out = root / "audit"
    refused = refused_ids(t)
    if refused:
        with pytest.raises(ValidationError):
            audit(t, out)
        return
    _, result = audit(t, out)  # in memory: what audit.gpkg must give back
    diff_out = root / "diff"
    plain = AuditResult.read(baseline_dir_holder["dir"])
    write_diff(diff_audits(plain, AuditResult.read(out)), diff_out)
    check_outputs(out, result, t, baseline_tags, diff_out=diff_out)


baseline_dir_holder: dict[str, Path] = {}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_in_any_column_reaches_every_output_inert(baseline, tmp_path, data):
    baseline_dir_holder["dir"] = baseline[0]
    # one column at a time gets the arbitrary text, the others stay plain; plus all at once
    keys = data.draw(st.sampled_from([[k] for k in COLUMNS] + [list(COLUMNS)]))
    t = {**PLAIN, **{k: data.draw(_TEXT, label=k) for k in keys}}
    root = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    try:
        _run_one(t, root, baseline[1])
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("shift", range(3))
def test_every_injection_in_some_column(baseline, tmp_path, shift):
    """Three runs put the :data:`INJECTIONS` into the columns, each one somewhere."""
    baseline_dir_holder["dir"] = baseline[0]
    t = dict(PLAIN)
    for j, key in enumerate(COLUMNS):
        text = INJECTIONS[(3 * j + shift) % len(INJECTIONS)]
        t[key] = f"{PLAIN[key]}{text}" if key in FIXED_IDS else text
    _run_one(t, tmp_path, baseline[1])


# -- the command line, once, with the names that break file systems ---------------------------

#: Town names: one park (and one parcel) each. Two 100-character names that agree in their
#: first 69 characters give the same file name once cut to 207 bytes; ``A镇`` and ``a镇``
#: differ only by case (one file on Windows and macOS), ``Ａ镇`` only by width.
ADVERSARIAL_TOWNS = [
    "\u202e镇live",
    "镇\x01\x1f\x7f",
    "\u0301",
    "👩‍👩‍👧镇",
    "锡" * 100,
    "锡" * 69 + "山" * 31,
    "A镇",
    "a镇",
    "Ａ镇",
    ".",
    "..",
    "a/b",
    "a\\b",
    "CON",
    "con.txt",
    "<img src=x onerror=alert(1)>",
    " ",
]


def test_cli_audit_with_adversarial_towns_and_names(tmp_path):
    n = len(ADVERSARIAL_TOWNS)
    names = [INJECTIONS[i % len(INJECTIONS)].replace("\x00", "") for i in range(n)]
    parks = gpd.GeoDataFrame(
        {
            "park_id": [f"K{i}" for i in range(n)],
            "name": names,
            "town": ADVERSARIAL_TOWNS,
            "park_type": ["district"] * n,
            "leading_industry": names[::-1],
        },
        geometry=[_box(500 * i, 0, 500 * i + 300, 300) for i in range(n)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "land_use": ["100101"] * n,
            "floor_area": [5_000.0] * n,  # FAR 0.5 on 1 ha: every parcel needs action
            "owner": names,
            "enterprise_id": [f"E{i}" for i in range(n)],
        },
        geometry=[_box(500 * i + 10, 10, 500 * i + 110, 110) for i in range(n)],
        crs="EPSG:4549",
    )
    inputs = tmp_path / "in"
    inputs.mkdir()
    parks.to_file(inputs / "parks.gpkg", layer="parks")
    parcels.to_file(inputs / "parcels.gpkg", layer="parcels")
    pd.DataFrame(
        {
            "enterprise_id": [f"E{i}" for i in range(n)],
            "name": ["a\x00b", *names[1:]],  # a CSV can hold NUL
            "industry": names,
            "revenue": [1_000.0] * n,
        }
    ).to_csv(inputs / "enterprises.csv", index=False)
    before = sorted(p.name for p in inputs.iterdir())
    out = tmp_path / "out"
    args = ["audit", "--parks", str(inputs / "parks.gpkg"), "--parcels"]
    args += [str(inputs / "parcels.gpkg"), "--enterprises", str(inputs / "enterprises.csv")]
    args += ["--out", str(out), "--no-progress", "--as-of", "2025-08-29"]
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in inputs.iterdir()) == before
    # one map per town, none replacing another: towns spelt two ways (A镇, a镇, Ａ镇) are one
    # town, listed; spaces alone are "no town"
    held = pyogrio.read_dataframe(out / "audit.gpkg", layer="parks")["town"].tolist()
    quality = pyogrio.read_dataframe(out / "audit.gpkg", layer="quality")
    merged = quality.loc[quality["check"] == "name_normalised", "detail"].tolist()
    assert held[6:9] == ["A镇"] * 3 and sorted(merged) == [
        "'a镇' counted as 'A镇' (1 row)",
        "'Ａ镇' counted as 'A镇' (1 row)",
    ]
    assert [t for i, t in enumerate(held) if i not in (7, 8)] == [
        t for i, t in enumerate(ADVERSARIAL_TOWNS) if i not in (7, 8)
    ]
    towns = {t.strip() or "(未注明)" for t in held}
    maps = sorted((out / "maps").glob("*.html"))
    assert len(maps) == len(towns) == n - 2
    assert all(len(p.name.encode()) <= 255 and p.parent == out / "maps" for p in maps)
    assert len({p.name.lower() for p in maps}) == len(maps)
    cells = excel_cells(out / "audit.xlsx")
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    nul = quality[quality["check"] == "text_nul_removed"]
    assert ("enterprises", "E0", "name") in set(nul[["layer", "id", "column"]].itertuples(False))
    for page in [out / "map.html", out / "report.html", *maps]:
        parsed = parse_page(page)
        assert not [tag for tag, attrs in parsed.tags if {"onerror", "onload"} & set(attrs)]
    # the difference of the audit with itself, through the command line too
    diff = CliRunner().invoke(main, ["diff", str(out), str(out), "--out", str(tmp_path / "d")])
    assert diff.exit_code == 0 and "Traceback" not in diff.output, diff.output
    assert not [c for c in excel_cells(tmp_path / "d" / "diff.xlsx") if c.data_type == "f"]
    parsed = parse_page(tmp_path / "d" / "diff_map.html")
    assert not [tag for tag, attrs in parsed.tags if {"onerror", "onload"} & set(attrs)]


def test_python_m_xsland_runs_the_command_line(tmp_path):
    """``python -m xsland`` is the ``xsland`` command: a bad input is a named error, exit 1."""
    import os
    import subprocess
    import sys

    missing = tmp_path / "锡山\u202e.gpkg"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = [sys.executable, "-m", "xsland", "audit", "--parks", str(missing), "--parcels"]
    args += [str(missing), "--out", str(tmp_path / "out"), "--no-progress"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr
    text = done.stdout + done.stderr
    assert "Traceback" not in text and "锡山" in text and not (tmp_path / "out").exists()
