"""The command line: thin, refuses to overwrite, clear errors, exit codes."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

import xsland
from xsland.cli import main

X0, Y0 = 535_000.0, 3_496_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def files(tmp_path):
    parks = gpd.GeoDataFrame(
        {
            "园区编号": ["K1", "K2"],
            "园区名称": ["一园", "二园"],
            "园区类型": ["片区型", "片区型"],
            "所属镇街": ["东亭街道", "安镇街道"],
        },
        geometry=[box(0, 0, 1000, 1000), box(2000, 0, 4000, 2000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "地块编号": ["A", "B", "B"],
            "政策类别": ["new_industrial"] * 3,
            "建筑面积": [20_000.0, 5_000.0, 1.0],
        },
        geometry=[box(100, 100, 200, 200), box(2100, 100, 2200, 200), box(2300, 100, 2400, 200)],
        crs="EPSG:4549",
    )
    gpkg = tmp_path / "in.gpkg"
    parks.to_file(gpkg, layer="parks")
    parcels.to_file(gpkg, layer="parcels")
    return tmp_path, gpkg


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"xsland, version {xsland.__version__}"


def test_area_by_column(files):
    tmp, gpkg = files
    result = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks", "--by", "园区编号"])
    assert result.exit_code == 0, result.output
    assert "EPSG:4549" in result.output
    lines = {
        ln.split()[0]: ln.split() for ln in result.output.splitlines() if ln[:2] in ("K1", "K2")
    }
    # K1 = 1 km² = 1 000 000 m² = 1 500 亩 = 100 ha
    assert lines["K1"][1:6] == ["1,000,000.0", "1,500.00", "100.0000", "1.000000", "1"]
    assert lines["K2"][1:6] == ["4,000,000.0", "6,000.00", "400.0000", "4.000000", "1"]
    bad = CliRunner().invoke(main, ["area", str(gpkg), "--layer", "parks", "--by", "nope"])
    assert bad.exit_code == 2 and "has no column 'nope'" in bad.output


def test_check_reports_duplicates_and_exits_1(files):
    tmp, gpkg = files
    result = CliRunner().invoke(main, ["check", str(gpkg), "--out", str(tmp / "q.csv")])
    assert result.exit_code == 1, result.output
    assert "parks" in result.output and "parcels" in result.output
    assert "duplicate_id" in result.output and " B" in result.output
    q = pd.read_csv(tmp / "q.csv", encoding="utf-8-sig")
    assert ("duplicate_id", "B") in set(zip(q["check"], q["id"], strict=True))


def test_audit_flags_writes_outputs_and_refuses_overwrite(files):
    tmp, gpkg = files
    out = tmp / "out"
    args = [
        "audit",
        "--parks",
        str(gpkg),
        "--parcels",
        str(gpkg),
        "--out",
        str(out),
        "--no-progress",
    ]
    first = CliRunner().invoke(main, args)
    assert (
        first.exit_code == 1 and "1 parcel_id value used more than once (rows: B)" in first.output
    )
    assert not out.exists()  # nothing half-written
    ok = CliRunner().invoke(main, [*args, "--rename-duplicates"])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".xsland-output",
        "audit.gpkg",
        "audit.xlsx",
        "map.html",
        "maps",
        "report.html",
        "summary.md",
    ]
    again = CliRunner().invoke(main, [*args, "--rename-duplicates"])
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output
    parks = gpd.read_file(out / "audit.gpkg", layer="parks")
    assert parks.set_index("park_id")["chk_area"].to_dict() == {"K1": "pass", "K2": "fail"}
    assert "二园" in (out / "summary.md").read_text(encoding="utf-8")
    sheets = pd.read_excel(out / "audit.xlsx", sheet_name=None)
    assert list(sheets) == [
        "说明 about",
        "园区 parks",
        "镇街 towns",
        "全区 district",
        "待处理地块 parcels",
        "连片 blocks",
        "集约评价 intensity",
        "数据质量 quality",
        "规则 rules",
        "字段 columns",
    ]
    assert "园区编号" in sheets["园区 parks"].columns


def test_init_writes_a_loadable_project(tmp_path):
    path = tmp_path / "xsland.toml"
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 0, result.output
    assert "[policy]" in path.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, ["init", str(path)])
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output


def test_audit_without_inputs_is_a_usage_error():
    result = CliRunner().invoke(main, ["audit", "--out", "x"])
    assert result.exit_code == 2
    assert "no parks or parcels input" in result.output


def test_the_terminal_names_thirty_failing_parks_and_counts_the_rest(capsys, tmp_path):
    from types import SimpleNamespace

    from xsland.cli import _echo_result
    from xsland.judge.audit import CHECKS
    from xsland.rules.policy import DEFAULT_POLICY

    # 70 parks K00…K69; the even ones fail the area check (35 parks), K04 also the
    # coverage check; the odd ones pass everything. Named: the first 30 failing, K00…K58.
    parks = pd.DataFrame({"park_id": [f"K{i:02d}" for i in range(70)]})
    parks["name"] = [f"园{i}" for i in range(70)]
    for c in CHECKS:
        parks[c] = "pass"
    parks.loc[::2, "chk_area"] = "fail"
    parks.loc[4, "chk_coverage"] = "fail"
    parks.loc[2, "name"] = "园2\x1b[2J\u202e"  # clear-screen and bidi override in a name
    # a newline (and a Unicode line separator) in a name must not start a line of its own
    parks.loc[6, "name"] = "园6\n  K99 园99: fails everything\u2028"
    result = SimpleNamespace(
        parks=parks, meta={}, parcels=pd.DataFrame(), quality=[], policy=DEFAULT_POLICY, blocks=None
    )
    _echo_result(result, [], tmp_path)
    lines = capsys.readouterr().out.splitlines()
    named = [line.split()[0] for line in lines if ": fails " in line]
    assert named == [f"K{i:02d}" for i in range(0, 60, 2)]
    assert "  K04 园4: fails 片区型园区面积≤3平方公里; 工业用地建筑系数≥30%" in lines
    assert (
        "  K02 园2\\u001b[2J\\u202e: fails 片区型园区面积≤3平方公里" in lines
    )  # shown, not obeyed
    assert (
        "  K06 园6\\u000a  K99 园99: fails everything\\u2028: fails 片区型园区面积≤3平方公里"
        in lines
    )
    assert not any(line.startswith("  K99") for line in lines)
    assert (
        "  … and 5 more of 35 parks that fail a target: every park's checks are in the "
        "parks table (audit.xlsx, audit.gpkg)" in lines
    )
    # 30 or fewer failing parks: every one named, no count
    _echo_result(SimpleNamespace(**{**vars(result), "parks": parks.iloc[:60]}), [], tmp_path)
    out = capsys.readouterr().out
    assert sum(line.startswith("  K") for line in out.splitlines()) == 30
    assert "more of" not in out
