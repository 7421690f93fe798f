"""AuditResult: the one typed hand-off; written and read back, it is the same result."""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from xsland.errors import InputFileError
from xsland.pipeline.audit import run
from xsland.result import AuditResult, conform, policy_from_json, policy_to_json
from xsland.rules.policy import DEFAULT_POLICY
from xsland.write.report import write_audit

X0, Y0 = 535_000.0, 3_496_000.0


@pytest.fixture(scope="module")
def tiny():
    """One 300 m park over three parcels (EPSG:4549).

    P1 100×100 m, floor area 15 000 m² → FAR 1.5; P2 100×100 m, floor area 5 000 → FAR 0.5
    (below the 1.0 low-efficiency threshold of existing industry); P3 logistics.
    """
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": ["一园"],
            "town": ["东亭街道"],
            "park_type": ["district"],
            "leading_industry": ["装备"],
            "zone": ["core"],
        },
        geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 300, Y0 + 300)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "land_use": ["100101", "100101", "1101"],
            "floor_area": [15_000.0, 5_000.0, None],
            "owner": ['=HYPERLINK("http://x","点")', "乙", None],
            "supply_date": pd.to_datetime(["2010-01-01", "2012-05-06", None]),
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            shapely.box(X0, Y0 + 200, X0 + 50, Y0 + 250),
        ],
        crs="EPSG:4549",
    )
    return parks, parcels


def test_policy_text_is_lossless():
    custom = DEFAULT_POLICY.replace(
        block_gap_m=25.0,
        lowuse_rules=["far_low", "idle"],
        lowuse_classes=["C", "D"],
        category_map={"M1": "industrial", "X9": "logistics"},
        target_date="2028-06-30",
        per_mu_tax_floor_wan=12.5,
    )
    back = policy_from_json(policy_to_json(custom))
    assert back == custom
    assert back.target_date == dt.date(2028, 6, 30)
    # the project's entries add to the default vocabulary (xsland.rules.landuse)
    assert {"M1": "industrial", "X9": "logistics"}.items() <= dict(back.category_map).items()
    assert policy_from_json(policy_to_json(DEFAULT_POLICY)) == DEFAULT_POLICY


def test_in_memory_result_round_trips(tiny, tmp_path):
    parks, parcels = tiny
    custom = DEFAULT_POLICY.replace(block_gap_m=25.0, far_min_new_industrial=1.2)
    result = run(parks, parcels, policy=custom, as_of="2025-08-29")
    result = dataclasses.replace(
        result, meta={**result.meta, "title": "测试", "run": "2026-01-02T03:04:05"}
    )
    assert result.policy == custom
    # typed on construction: far_ok nullable boolean (P3 has no minimum), dates in ms
    assert str(result.parcels["far_ok"].dtype) == "boolean"
    assert str(result.parcels["supply_date"].dtype) == "datetime64[ms]"
    assert str(result.parcels["low_efficiency"].dtype) == "bool"
    write_audit(result, tmp_path / "out", maps=False, html_report=False)
    back = AuditResult.read(tmp_path / "out")
    assert back.equals(result)
    assert back.policy == custom and back.policy.block_gap_m == 25.0
    assert back.title == "测试" and back.as_of == dt.date(2025, 8, 29)
    assert back.meta["crs"] == "EPSG:4549" and back.meta["engine"] == "single"
    # the GeoPackage file itself works as the path too
    assert AuditResult.read(tmp_path / "out" / "audit.gpkg").equals(result)
    # a changed value is seen
    other = dataclasses.replace(back, policy=DEFAULT_POLICY)
    assert not other.equals(result)


def test_demo_audit_round_trips(demo_audit, tmp_path):
    folder, _, _ = demo_audit
    first = AuditResult.read(folder)
    assert first.meta["as_of"] == "2025-08-29" and first.inputs["parcels"]
    write_audit(first, tmp_path / "again", maps=False, html_report=False)
    assert AuditResult.read(tmp_path / "again").equals(first)


def test_conform_types_by_the_schema():
    frame = pd.DataFrame(
        {
            "far_ok": ["True", None, "false"],
            "n_reasons": [1.0, 2.0, 0.0],
            "far": ["1.5", "2", None],
            "supply_date": ["2020-01-01", None, "9999-12-31"],
            "parcel_id": [1, 2, 3],
            "mine": [1, 2, 3],
        }
    )
    out = conform(frame, "parcels")
    assert out["far_ok"].tolist()[0] is True and pd.isna(out["far_ok"][1])
    assert str(out["far_ok"].dtype) == "boolean"
    assert str(out["n_reasons"].dtype) == "int64"
    assert str(out["far"].dtype) == "float64"
    assert out["supply_date"][2] == pd.Timestamp("9999-12-31")
    assert out["parcel_id"].tolist() == ["1", "2", "3"]
    assert out["mine"].tolist() == [1, 2, 3]  # a column of the input's own, kept
    assert frame["far_ok"][0] == "True"  # the input is not changed


def test_read_names_what_is_missing(tmp_path):
    with pytest.raises(InputFileError, match="audit.gpkg not found"):
        AuditResult.read(tmp_path)
    (tmp_path / "audit.gpkg").write_text("not a geopackage")
    with pytest.raises(InputFileError, match="not a GeoPackage"):
        AuditResult.read(tmp_path)


def test_every_quality_finding_names_its_file(demo_audit):
    # the cross-layer checks (slivers, straddling parcels, buildings outside …) used to
    # leave the file empty: it is the file of the finding's layer
    quality = AuditResult.read(demo_audit[0]).quality
    assert len(quality) > 0
    assert quality["file"].map(lambda v: isinstance(v, str) and v.endswith("xishan.gpkg")).all()


def test_the_metric_crs_travels_with_the_result_to_diff():
    from pyproj import CRS

    from xsland.compare.diff import _layers

    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1"], "area_m2": [100.0]},
        geometry=[shapely.box(0, 0, 10, 10)],
        crs="EPSG:4549",
    )
    parks = gpd.GeoDataFrame({"park_id": ["K1"]}, geometry=[shapely.box(0, 0, 9, 9)], crs=4549)
    laea = "+proj=laea +lat_0=50 +lon_0=10 +ellps=GRS80 +units=m +no_defs"
    res = AuditResult(parks=parks, parcels=parcels.set_crs(laea, allow_override=True),
                      meta={"crs": laea})  # fmt: skip
    assert res.metric_crs == CRS.from_user_input(laea)
    # diff measures the old audit in the CRS its run chose, not in one chosen again
    assert _layers(res, "old")["crs"] == CRS.from_user_input(laea)
    # an audit without the key: its parcels' CRS
    assert AuditResult(parks=parks, parcels=parcels).metric_crs == CRS.from_epsg(4549)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["", " E1", "批而未供"]))),
    st.sampled_from(["string[pyarrow]", "string[python]"]),
)
def test_text_with_na_is_cast_to_str_as_through_objects(cells, dtype):
    # the plain definition: through Python objects, None where missing, then "str"
    from xsland.result import _as_text

    values = pd.Series(cells, dtype=dtype)
    plain = values.astype(object)
    want = plain.where(plain.notna(), None).astype("str")
    got = _as_text(values)
    assert str(got.dtype) == "str"
    pd.testing.assert_series_equal(got, want, check_exact=True)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=4),
            st.sampled_from([" E1", "批而未供", float("nan"), pd.NA, pd.NaT, b"E1", 7, 1.5, True]),
        )
    )
)
def test_object_text_is_cast_to_str_as_through_objects(cells):
    # object columns of text and missing cells go to Arrow in one pass (no astype(object),
    # notna, where): the same cells and Arrow type as the cast through None; bytes,
    # numbers and booleans still go through Python objects (str(b"E1") is "b'E1'")
    from xsland.result import _as_text

    values = pd.Series(cells, dtype=object, name="parcel_id", index=range(5, 5 + len(cells)))
    plain = values.astype(object)
    want = plain.where(plain.notna(), None).astype("str")
    got = _as_text(values)
    assert str(got.dtype) == "str"
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert got.array._pa_array.type == want.array._pa_array.type


def test_object_text_takes_one_pass_to_arrow():
    # the fast path is taken for text with None / NaN (fails if _as_text casts through
    # objects: where() is then called)
    from unittest import mock

    from xsland.result import _as_text

    values = pd.Series(["P1", None, float("nan"), "园区"], dtype=object)
    with mock.patch.object(pd.Series, "where", side_effect=AssertionError("where")):
        got = _as_text(values)
    assert got.tolist()[0] == "P1" and got.isna().tolist() == [False, True, True, False]
    assert got.tolist()[3] == "园区"


# -- reading back an audit that is not whole ----------------------------------------------


def _written(tiny, folder, **options):
    """The tiny audit written to ``folder`` (GeoPackage and workbook only)."""
    parks, parcels = tiny[:2]
    result = run(parks, parcels, as_of="2025-08-29", **options)
    write_audit(result, folder, maps=False, html_report=False)
    return folder / "audit.gpkg"


def _damage(gpkg, layer, change, *, geometry=True):
    """Layer ``layer`` of ``gpkg`` replaced by ``change(frame)`` (as a hand edit would)."""
    import pyogrio

    frame = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=geometry)
    pyogrio.write_dataframe(change(frame), gpkg, layer=layer, layer_options={"OVERWRITE": "YES"})


def test_an_audit_without_the_inputs_optional_columns_reads(tiny, tmp_path):
    # parcels without land use, owner, floor area or dates, a park without zones,
    # enterprises without name or industry: the audit has none of those columns, and is
    # whole (the schema's optional flag said otherwise for land_use, owner …)
    from xsland.result import required_columns
    from xsland.rules.columns import TABLES

    parks, parcels = tiny
    bare = (
        parks[["park_id", "name", "geometry"]],
        parcels[["parcel_id", "geometry"]].assign(enterprise_id=["E1", "E2", None]),
    )
    companies = pd.DataFrame({"enterprise_id": ["E1", "E2"]})
    gpkg = _written(bare, tmp_path / "bare", enterprises=companies)
    back = AuditResult.read(gpkg)
    assert "owner" not in back.parcels.columns and "land_use" not in back.parcels.columns
    assert "area_core_m2" not in back.parks.columns and "name" not in back.enterprises.columns
    for name, table in back.tables().items():
        assert set(required_columns(name)) <= set(table.columns), name
    # every column the schema does not call optional is one of those
    assert "area_mu" in required_columns("blocks") and "owner" not in required_columns("parcels")
    assert set(required_columns("intensity")) == set(TABLES["intensity"].names)


def test_read_refuses_a_layer_without_a_column_every_audit_writes(tiny, tmp_path):
    # `xsland report` stopped on "unexpected KeyError: 'area_mu'" (exit 2) for an audit
    # whose blocks layer lacked area_mu, and `xsland map` drew parcels without
    # low_efficiency as if none were low-efficiency: every such layer is named at once
    from xsland.errors import ValidationError

    gpkg = _written(tiny, tmp_path / "out")
    _damage(gpkg, "blocks", lambda f: f.drop(columns=["area_mu", "route"]))
    _damage(gpkg, "parcels", lambda f: f.drop(columns=["low_efficiency"]))
    with pytest.raises(ValidationError) as caught:
        AuditResult.read(tmp_path / "out")
    text = str(caught.value)
    assert "2 problems" in text and str(gpkg) in text
    assert "layer 'blocks': the layer lacks the columns area_mu, route" in text
    assert "layer 'parcels': the layer lacks the column low_efficiency," in text
    assert "Fix: write the audit again" in text and "xsland audit -c xsland.toml" in text


def test_read_refuses_a_map_layer_without_geometry(tiny, tmp_path):
    from xsland.errors import ValidationError

    gpkg = _written(tiny, tmp_path / "out")
    _damage(gpkg, "parcels", lambda f: gpd.GeoDataFrame(pd.DataFrame(f)), geometry=False)
    with pytest.raises(ValidationError, match="layer 'parcels': the layer has no geometry"):
        AuditResult.read(gpkg)


def test_read_names_values_that_are_not_of_their_columns_type(tiny, tmp_path):
    # text in a number column ("unexpected ValueError: Unable to parse string"), a fraction
    # in a count ("unexpected TypeError: cannot safely cast"), a word that is no boolean
    # (read as missing: the parcel silently not low-efficiency) are named with their rows;
    # booleans and numbers stored as their text read as they are
    from xsland.errors import ValidationError

    gpkg = _written(tiny, tmp_path / "out")

    def parcels(f):
        f = f.copy()
        f["far"] = ["1.5", "0.5", "n/a"]  # P3: text
        f["low_efficiency"] = ["false", "true", "maybe"]  # P3: no boolean
        f["area_m2"] = ["10000", "10000.0", ""]  # text of numbers, an empty cell: fine
        return f

    _damage(gpkg, "parcels", parcels)
    _damage(gpkg, "parks", lambda f: f.assign(n_parcels=f["n_parcels"] + 0.5))
    with pytest.raises(ValidationError) as caught:
        AuditResult.read(gpkg)
    text = str(caught.value)
    assert "3 problems" in text
    assert (
        "layer 'parcels', column 'far': 1 value is not a number (such as 'n/a') (rows: P3)" in text
    )
    assert "column 'low_efficiency': 1 value is not a boolean (true/false, 1/0)" in text
    assert "(such as 'maybe') (rows: P3)" in text
    assert (
        "layer 'parks', column 'n_parcels': 1 value is not a whole number (such as '3.5') (rows: K1)"
        in text
    )
    assert "area_m2" not in text and "Fix: correct or empty these cells" in text
    # once corrected, the text of numbers and booleans reads as numbers and booleans
    _damage(
        gpkg,
        "parcels",
        lambda f: f.assign(far=["1.5", "0.5", None], low_efficiency=["false", "true", "0"]),
    )
    _damage(gpkg, "parks", lambda f: f.assign(n_parcels=3))
    back = AuditResult.read(gpkg)
    assert back.parcels["far"].tolist()[:2] == [1.5, 0.5] and pd.isna(back.parcels["far"][2])
    assert back.parcels["low_efficiency"].tolist() == [False, True, False]
    assert back.parcels["area_m2"].tolist()[:2] == [10000.0, 10000.0]
    assert back.parks["n_parcels"].tolist() == [3]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["boolean", "integer", "float", "date"]),
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=True, allow_infinity=True),
            st.text(max_size=6),
            st.sampled_from(["", " ", "1", "0", "2.5", "true", "否", "2025-08-29", "1e3", "inf"]),
            st.dates(),  # how GDAL gives a date field: date objects, None where empty
            st.datetimes(),
            st.just(np.True_),
        ),
        max_size=8,
    ),
)
def test_every_value_the_reader_accepts_is_cast(dtype, cells):
    # what _not_of_type lets through, the schema's cast reads without an error, and it
    # lets through every missing cell
    from xsland.result import _CAST, _not_of_type

    values = pd.Series(cells, dtype=object)
    bad = _not_of_type(values, dtype)
    _CAST[dtype](values[~bad])
    assert not bad[values.isna().to_numpy()].any()


def test_read_names_a_meta_layer_it_cannot_read_and_c_replaces_its_policy(tiny, tmp_path):
    # a year, dates, CRS, notes or policy the meta layer holds in a form this version
    # cannot read stopped every command on an unexpected ValueError or JSONDecodeError
    # (exit 2); a policy of the wrong type (block_gap_m = "wide") or not an object was
    # taken silently, and an audit with no policy was judged with the default one
    import json

    from xsland.errors import ValidationError

    gpkg = _written(tiny, tmp_path / "out")
    policy = json.loads(policy_to_json(DEFAULT_POLICY))
    edits = {
        "year": "二〇二五",
        "as_of": "yesterday",
        "crs": "EPSG:999999",
        "lowuse_notes": "{",
        "policy": json.dumps({**policy, "block_gap_m": "wide", "future_rule": 1}),
    }
    _damage(gpkg, "meta", lambda m: m.assign(value=m["key"].map(edits).fillna(m["value"])))
    with pytest.raises(ValidationError) as caught:
        AuditResult.read(gpkg)
    text = str(caught.value)
    assert "5 problems" in text and "layer 'meta', column 'value'" in text
    assert "'二〇二五' is not a year such as 2025 (rows: year)" in text
    assert "as_of 'yesterday' is not a date such as 2025-08-29 (rows: as_of)" in text
    assert "'EPSG:999999' is not a coordinate system PROJ knows (rows: crs)" in text
    assert "(rows: lowuse_notes)" in text
    assert "block_gap_m: must be a number, not 'wide' (rows: policy)" in text
    assert "future_rule" not in text  # a rule of another version is left out
    assert "with -c xsland.toml" in text
    # the policy alone: a project file's replaces it (-c), and the stored one is not read
    gpkg = _written(tiny, tmp_path / "again")
    only = {"policy": edits["policy"]}
    _damage(gpkg, "meta", lambda m: m.assign(value=m["key"].map(only).fillna(m["value"])))
    with pytest.raises(ValidationError, match="1 problem"):
        AuditResult.read(gpkg)
    custom = DEFAULT_POLICY.replace(block_gap_m=25.0)
    assert AuditResult.read(gpkg, policy=custom).policy == custom
    # no policy stored at all: never the default in silence
    _damage(gpkg, "meta", lambda m: m[m["key"] != "policy"])
    with pytest.raises(ValidationError, match="the audit stored no policy"):
        AuditResult.read(gpkg)


def test_report_and_map_with_c_read_an_audit_without_a_stored_policy(tiny, tmp_path):
    from click.testing import CliRunner

    from xsland.cli import main

    gpkg = _written(tiny, tmp_path / "out")
    _damage(gpkg, "meta", lambda m: m[m["key"] != "policy"])
    project = tmp_path / "xsland.toml"
    project.write_text("[policy]\nblock_gap_m = 25\n", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(main, ["report", str(tmp_path / "out")])
    assert refused.exit_code == 1 and "the audit stored no policy" in refused.output
    done = runner.invoke(main, ["report", str(tmp_path / "out"), "-c", str(project)])
    assert done.exit_code == 0, done.output
    assert "policy: from" in done.output and (tmp_path / "out" / "report.html").is_file()


def test_read_names_a_key_given_twice_with_different_values(tiny, tmp_path):
    """Two ``as_of`` rows in ``meta`` (a hand edit, or rows of two audits merged): the last
    one was taken in silence, and idle land read as judged at that date. Now every value
    is named; a key repeated with the same value is harmless and read."""
    from xsland.errors import ValidationError

    gpkg = _written(tiny, tmp_path / "out")
    assert AuditResult.read(gpkg).meta["as_of"] == "2025-08-29"
    _damage(gpkg, "meta", lambda m: pd.concat([m, m[m["key"] == "as_of"]], ignore_index=True))
    assert AuditResult.read(gpkg).meta["as_of"] == "2025-08-29"  # the same value twice
    later = pd.DataFrame({"key": ["as_of"], "value": ["2026-01-01"]})
    _damage(gpkg, "meta", lambda m: pd.concat([m, later], ignore_index=True))
    two = pd.DataFrame({"key": ["parcels", "parcels"], "value": ["a.gpkg", "b.gpkg"]})
    _damage(gpkg, "inputs", lambda m: pd.concat([m, two], ignore_index=True))
    with pytest.raises(ValidationError) as caught:
        AuditResult.read(gpkg)
    assert [(p.layer, p.column, p.rows, p.message) for p in caught.value.problems] == [
        ("meta", "key", ("as_of",), "the key 'as_of' is given 3 times with different values "
         "('2025-08-29', '2026-01-01')"),
        ("inputs", "key", ("parcels",), "the key 'parcels' is given 2 times with different "
         "values ('a.gpkg', 'b.gpkg')"),
    ]  # fmt: skip
    assert "keep the one that is right and delete the others" in str(caught.value)


# -- NUL: no output may cut a text at it ---------------------------------------------------


def test_nul_put_in_after_validation_is_named_before_anything_is_written(tiny, tmp_path):
    # validation removes NUL (and lists it); a frame changed in place afterwards keeps its
    # stamp, and GDAL would have kept only '甲' of '甲\x00乙' in audit.gpkg, silently
    from xsland.errors import ValidationError
    from xsland.read.validate import is_validated, validate_layer

    parks, parcels = tiny
    checked = validate_layer(parcels, "parcels")
    checked.loc[checked.index[1], "owner"] = "甲\x00乙"
    assert is_validated(checked, "parcels")
    with pytest.raises(ValidationError) as caught:
        run(parks, checked, as_of="2025-08-29")
    (problem,) = caught.value.problems
    assert (problem.layer, problem.column, problem.rows) == ("parcels", "owner", ("P2",))
    assert "NUL" in problem.message and "validate_layer" in problem.fix
    # the same text through validation: removed, listed, and written whole
    result = run(parks, validate_layer(checked.copy(), "parcels"), as_of="2025-08-29")
    assert result.parcels.set_index("parcel_id").loc["P2", "owner"] == "甲乙"
    listed = result.quality[result.quality["check"] == "text_nul_removed"]
    assert listed[["id", "column"]].values.tolist() == [["P2", "owner"]]
    write_audit(result, tmp_path / "out", maps=False, html_report=False)
    back = AuditResult.read(tmp_path / "out")
    assert back.parcels.set_index("parcel_id").loc["P2", "owner"] == "甲乙"


def test_unpaired_surrogates_are_replaced_on_the_way_in_and_named_when_put_in_later(tiny, tmp_path):
    # an unpaired surrogate (Python's surrogateescape of an undecodable byte) stopped the
    # audit with Python's UnicodeEncodeError at its first Arrow text: a frame not yet
    # validated gets U+FFFD (listed) and is written whole; one changed after validation
    # is named (layer, column, row) before the audit starts
    from xsland.errors import ValidationError
    from xsland.read.validate import is_validated, validate_layer

    parks, parcels = tiny
    raw = parcels.copy()
    raw["owner"] = pd.Series(["甲", "乙\udc80", "丙"], index=raw.index, dtype=object)
    result = run(parks, raw, as_of="2025-08-29")
    assert result.parcels.set_index("parcel_id").loc["P2", "owner"] == "乙\ufffd"
    listed = result.quality[result.quality["check"] == "text_surrogate_replaced"]
    assert listed[["id", "column"]].values.tolist() == [["P2", "owner"]]
    write_audit(result, tmp_path / "out", maps=False, html_report=False)
    back = AuditResult.read(tmp_path / "out")
    assert back.parcels.set_index("parcel_id").loc["P2", "owner"] == "乙\ufffd"

    checked = validate_layer(parcels, "parcels")
    checked["owner"] = pd.Series(["甲", "乙\udc80", "丙"], index=checked.index, dtype=object)
    assert is_validated(checked, "parcels")
    with pytest.raises(ValidationError) as caught:
        run(parks, checked, as_of="2025-08-29")
    (problem,) = caught.value.problems
    assert (problem.layer, problem.column, problem.rows) == ("parcels", "owner", ("P2",))
    assert "surrogate" in problem.message and "validate_layer" in problem.fix


@pytest.mark.parametrize("dtype", ["string[python]", "object"])
def test_a_result_built_with_surrogates_is_refused_by_name(tiny, dtype):
    from xsland.errors import ValidationError

    parks, parcels = tiny
    result = run(parks, parcels, as_of="2025-08-29")
    table = result.parcels.copy()
    table["note"] = pd.Series(["a", None, "b\ud800"], index=table.index, dtype=object).astype(dtype)
    with pytest.raises(ValidationError, match="column 'note'.*surrogates.*rows: P3"):
        dataclasses.replace(result, parcels=table)


@pytest.mark.parametrize("dtype", ["str", "string[python]", "object", "category"])
def test_a_result_built_with_nul_text_is_refused_whatever_the_column_type(tiny, dtype):
    from xsland.errors import ValidationError

    parks, parcels = tiny
    result = run(parks, parcels, as_of="2025-08-29")
    table = result.parcels.copy()
    table["note"] = pd.Series(["a", None, "b\x00"], index=table.index).astype(dtype)
    with pytest.raises(ValidationError, match="column 'note'.*rows: P3"):
        dataclasses.replace(result, parcels=table)
    table["note"] = pd.Series(["a", None, "b"], index=table.index).astype(dtype)
    assert dataclasses.replace(result, parcels=table).parcels["note"].tolist()[2] == "b"


def test_nul_in_a_table_without_ids_is_named_by_row_number():
    from xsland.errors import ValidationError

    with pytest.raises(ValidationError, match=r"layer 'towns', column 'town'.*rows: row 2\)"):
        conform(pd.DataFrame({"town": ["东亭", "锡\x00北"]}), "towns")
