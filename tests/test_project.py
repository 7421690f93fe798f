"""The project file: the template round-trips, problems name their key."""

from __future__ import annotations

import pytest

from xsland.errors import InputFileError, PolicyError
from xsland.rules.policy import DEFAULT_CATEGORY_MAP, DEFAULT_POLICY
from xsland.rules.project import load_project, project_template


def _write(tmp_path, text, name="xsland.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_template_round_trips_to_the_default_policy(tmp_path):
    (tmp_path / "data").mkdir()
    for f in ("parks.gpkg", "parcels.gpkg"):
        (tmp_path / "data" / f).write_bytes(b"")
    text = project_template(inputs={"parks": "data/parks.gpkg", "parcels": "data/parcels.gpkg"})
    assert "# 新增工业项目用地容积率下限 [FAR] — 锡府办规〔2025〕1号 二(一)1" in text
    project = load_project(_write(tmp_path, text))
    assert project.policy == DEFAULT_POLICY
    assert project.inputs["parks"].path == tmp_path / "data" / "parks.gpkg"  # relative to file
    assert project.inputs["parks"].layer == "parks"
    assert "buildings" not in project.inputs  # commented out in the template
    assert project.out == tmp_path / "out" / "audit"


def test_overrides_and_column_mapping(tmp_path):
    (tmp_path / "p.gpkg").write_bytes(b"")
    text = """
[project]
out = "o"
year = 2025
[inputs]
parks = "p.gpkg"
[inputs.parcels]
path = "p.gpkg"
layer = "地块"
[inputs.parcels.columns]
"宗地号" = "parcel_id"
[options]
duplicates = "rename"
[policy]
block_gap_m = 20
lowuse_classes = ["C", "D"]
policy_date = 2025-09-02
[policy.category_map]
"M1" = "industrial"
"""
    project = load_project(_write(tmp_path, text))
    assert project.policy.block_gap_m == 20.0 and project.policy.lowuse_classes == ("C", "D")
    # entries add to the default table (issue 18: mapping one local word must not drop M1…)
    assert dict(project.policy.category_map) == {**DEFAULT_CATEGORY_MAP, "M1": "industrial"}
    assert dict(project.inputs["parcels"].columns) == {"宗地号": "parcel_id"}
    assert project.duplicates == "rename" and project.year == 2025


def test_every_problem_named_by_key(tmp_path):
    text = """
[project]
nmae = "x"
[inputs.parcels]
path = "missing.gpkg"
[inputs.parcels.columns]
"a" = "parcle_id"
[inputs.roads]
path = "r.gpkg"
[options]
duplicates = "keep"
[policy]
block_gap = 10
coverage_min = "30%"
"""
    with pytest.raises(PolicyError) as info:
        load_project(_write(tmp_path, text))
    msg = str(info.value)
    for expected in (
        "project.nmae: unknown key",
        "inputs.parcels.path:",
        "missing.gpkg does not exist",
        "inputs.parcels.columns: 'parcle_id' not parcels columns",
        "inputs.roads: unknown input",
        "options.duplicates: 'keep'; use 'raise' or 'rename'",
        "policy.block_gap: unknown key (did you mean block_gap_m?)",
        "policy.coverage_min: must be a number, not '30%'",
        "inputs.parks: missing",
    ):
        assert expected in msg, expected


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(InputFileError, match=r"does not exist; create one with `xsland init`"):
        load_project(tmp_path / "nope.toml")
    with pytest.raises(PolicyError, match=r"is not valid TOML"):
        load_project(_write(tmp_path, "[project\n"))


def test_related_industries_table_round_trips_through_the_template(tmp_path):
    (tmp_path / "data").mkdir()
    for f in ("parks.gpkg", "parcels.gpkg"):
        (tmp_path / "data" / f).write_bytes(b"")
    inputs = {"parks": "data/parks.gpkg", "parcels": "data/parcels.gpkg"}
    default = project_template(inputs=inputs)
    assert '# [policy.related_industries]\n# "XS01" = ["汽车零部件", "检验检测"]' in default
    policy = DEFAULT_POLICY.replace(
        related_industries={"XS01": "汽车零部件、检验检测"}, lowuse_kinds=["inefficient"]
    )
    text = project_template(inputs=inputs, policy=policy)
    assert '[policy.related_industries]\n"XS01" = ["汽车零部件", "检验检测"]' in text
    project = load_project(_write(tmp_path, text))
    assert project.policy == policy
    assert project.policy.related_industries["XS01"] == ("汽车零部件", "检验检测")
    assert project.policy.lowuse_kinds == ("inefficient",)
