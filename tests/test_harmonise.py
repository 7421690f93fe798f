"""IDs and names given one spelling across tables: joins through the API and the CLI."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import xsland
from xsland.read.harmonise import harmonise
from xsland.read.validate import validate_layer, validate_table

X0, Y0 = 535_000.0, 3_496_000.0


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _world(ent_ids=(101, 102, 103)):
    """One park K1 (1 km²), three industrial parcels A, B, C owned by 101, 102, 103."""
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["K1"],
            "name": ["一园"],
            "town": ["东亭街道"],
            "park_type": ["district"],
            "leading_industry": ["数字经济（软件）"],
        },
        geometry=[box(0, 0, 1000, 1000)],
        crs="EPSG:4549",
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "land_use": ["100101"] * 3,
            "enterprise_id": list(ent_ids),
            "floor_area": [20_000.0] * 3,
        },
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100), box(400, 0, 500, 100)],
        crs="EPSG:4549",
    )
    # text IDs with a trailing space, an ideographic space and full-width digits;
    # industries with half-width brackets against the park's full-width ones
    ent = pd.DataFrame(
        {
            "enterprise_id": ["101 ", "102\u3000", "１０３"],
            "industry": ["数字经济(软件)", "数字经济(软件)", "新材料"],
            "revenue": [300.0, 100.0, 100.0],
            "chain_leader": [True, False, False],
        }
    )
    return parks, parcels, ent


def _checks(result):
    k = result.parks.set_index("park_id").loc["K1"]
    return (
        k["chk_leading_revenue"],
        k["val_leading_revenue"],
        k["chk_leading_count"],
        k["val_leading_count"],
        k["chk_chain_leader"],
    )


# Worked out: 101 and 102 are 数字经济(软件) = the leading industry, 103 is not.
# revenue share (300 + 100) / 500 = 0.8 ≥ 0.6 pass; count 2/3 = 0.6667 ≥ 0.6 pass;
# one chain leader (101) ≥ 1 pass. Parcel C (103, 新材料) is the only industry mismatch.
EXPECTED = ("pass", 0.8, "pass", 0.6667, "pass")


def test_integer_ids_join_text_ids_with_spaces_in_run_audit():
    parks, parcels, ent = _world()
    result = xsland.run_audit(parks, parcels, enterprises=ent)
    assert _checks(result) == EXPECTED
    mismatch = result.parcels.set_index("parcel_id")["lu_industry_mismatch"]
    assert mismatch.to_dict() == {"A": False, "B": False, "C": True}
    # the names are shown as written
    assert set(result.parcels["leading_industry"]) == {"数字经济（软件）"}
    q = result.quality
    named = q[q["check"] == "name_normalised"]
    assert len(named) == 1 and "(2 enterprises)" in named["detail"].iloc[0]


def test_same_verdict_after_validation_and_changed_ids_listed():
    parks, parcels, ent = _world(ent_ids=(101.0, 102.0, 103.0))
    parks = validate_layer(parks, "parks")
    parcels = validate_layer(parcels, "parcels")
    ent = validate_table(ent, "enterprises")
    assert parcels["enterprise_id"].tolist() == ["101", "102", "103"]
    assert ent["enterprise_id"].tolist() == ["101", "102", "103"]
    result = xsland.run_audit(parks, parcels, enterprises=ent)
    assert _checks(result) == EXPECTED
    q = result.quality
    changed = q[(q["check"] == "normalised_id") & (q["layer"] == "enterprises")]
    assert changed["id"].tolist() == ["101", "102", "103"]
    assert changed["detail"].tolist() == [
        "'101 ' → '101'",
        "'102\\u3000' → '102'",
        "'１０３' → '103'",
    ]
    # the float column of the parcels: one summary row, not one per parcel
    floats = q[(q["check"] == "normalised_id") & (q["layer"] == "parcels")]
    assert len(floats) == 1 and "123.0 → '123'" in floats["detail"].iloc[0]


def test_indicators_and_history_join_on_normalised_park_and_enterprise_ids():
    parks, parcels, ent = _world()
    # park_id written as a number in the park layer and as text in the indicators
    parks = parks.assign(park_id=[7])
    ind = pd.DataFrame({"park_id": ["7.0 "], "year": [2026], "promotion_events": [3.0]})
    result = xsland.run_audit(parks, parcels, enterprises=ent, indicators=ind)
    k = result.parks.set_index("park_id")
    assert k.index.tolist() == ["7"]
    assert k.loc["7", "chk_promotion"] == "pass"  # 3 ≥ 2


def test_towns_written_two_ways_roll_up_as_one():
    parks, parcels, ent = _world()
    two = pd.concat([parks, parks.assign(park_id=["K2"], town=["东亭街道\u3000"])])
    two = two.set_geometry([box(0, 0, 1000, 1000), box(2000, 0, 2500, 500)], crs="EPSG:4549")
    result = xsland.run_audit(two, parcels)
    towns = result.towns.set_index("town")
    assert towns.index.tolist() == ["东亭街道"] and towns.loc["东亭街道", "n_parks"] == 2
    q = result.quality
    assert q.loc[q["check"] == "name_normalised", "detail"].tolist() == [
        "'东亭街道\\u3000' counted as '东亭街道' (1 row)"
    ]


def test_harmonise_leaves_its_inputs_alone():
    parks, parcels, ent = _world()
    before = parcels.copy()
    out, _ = harmonise({"parks": parks, "parcels": parcels, "enterprises": ent})
    pd.testing.assert_frame_equal(parcels, before)
    assert out["parcels"]["enterprise_id"].tolist() == ["101", "102", "103"]


@pytest.fixture
def files(tmp_path):
    parks, parcels, ent = _world()
    parks.to_file(tmp_path / "parks.gpkg")
    parcels.to_file(tmp_path / "parcels.gpkg")
    text = "enterprise_id,industry,revenue,chain_leader\n"
    text += "101 ,数字经济(软件),300,是\n102\u3000,数字经济(软件),100,否\n１０３,新材料,100,否\n"
    (tmp_path / "enterprises.csv").write_text(text, encoding="utf-8")
    return tmp_path


def _cli(*args):
    exe = [sys.executable, "-c", "from xsland.cli import main; main()"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, timeout=600)


def test_cli_joins_integer_ids_against_text_ids(files):
    out = files / "out"
    run = _cli(
        "audit",
        "--parks",
        str(files / "parks.gpkg"),
        "--parcels",
        str(files / "parcels.gpkg"),
        "--enterprises",
        str(files / "enterprises.csv"),
        "--out",
        str(out),
        "--no-maps",
        "--no-report",
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    parks = gpd.read_file(out / "audit.gpkg", layer="parks")
    row = parks.iloc[0]
    assert (row["chk_leading_revenue"], row["chk_leading_count"]) == ("pass", "pass")
    assert row["val_leading_revenue"] == pytest.approx(0.8)
    quality = pd.read_excel(out / "audit.xlsx", sheet_name=None)
    text = "".join(df.to_csv() for df in quality.values())
    assert "'１０３' → '103'" in text


_DECOR = st.sampled_from(["", " ", "\u3000", "\u00a0", "\t", "\u200b"])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=6, unique=True),
    st.data(),
)
def test_decorated_ids_always_join(numbers, data):
    """Integer IDs in one table and the same IDs written as text, floats, full-width
    digits or with spaces of any kind in the other: every one of them joins."""
    parcels = pd.DataFrame({"enterprise_id": numbers})
    written = []
    for n in numbers:
        form = data.draw(st.sampled_from(["text", "float", "full", "dotzero"]))
        text = {
            "text": str(n),
            "float": float(n),
            "full": str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "dotzero": f"{n}.0",
        }[form]
        if isinstance(text, str):
            text = data.draw(_DECOR) + text + data.draw(_DECOR)
        written.append(text)
    ent = pd.DataFrame({"enterprise_id": pd.Series(written, dtype=object)})
    out, _ = harmonise({"parcels": parcels, "enterprises": ent})
    joined = out["parcels"].merge(out["enterprises"], on="enterprise_id", how="inner")
    assert len(joined) == len(numbers)


# -- IDs already normal are kept, without normalise_ids -----------------------------------

_ID_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.just(pd.NA),
    st.integers(-5, 5),
    st.just(12.0),
    # ASCII with the cases normalise_id changes: spaces at the ends, "12.0", "", tabs
    st.text(alphabet=" \t.+-01Ea", max_size=5),
    st.sampled_from(
        ["E1", "P-12", "12.0", "+3.00", "1.5", "ＸＳ０１", "E1\u3000", "e\u200d\u0301"]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ID_CELLS, max_size=8))
def test_ids_are_normalise_ids_whether_skipped_or_not(cells):
    # the plain definition: every ID column is normalise_ids of it, cell for cell (the
    # same objects: "E1" stays a str, None stays None, NaN becomes None)
    from xsland.read.values import ids_already_normal, normalise_ids

    ids = pd.Series(cells, dtype=object, index=range(3, 3 + len(cells)))
    parcels = pd.DataFrame({"parcel_id": ids, "enterprise_id": ids[::-1].to_numpy()})
    parcels.index = ids.index
    out, _ = harmonise({"parcels": parcels})
    for col in ("parcel_id", "enterprise_id"):
        want = normalise_ids(parcels[col])[0]
        got = out["parcels"][col]
        assert got.dtype == object
        assert [(type(v), v) for v in got] == [(type(v), v) for v in want]
        assert got.index.equals(want.index)
        if ids_already_normal(parcels[col]):  # skipped: the column as it was
            assert [(type(v), v) for v in parcels[col]] == [(type(v), v) for v in want]


def test_plain_ids_are_not_normalised_again():
    # IDs read_layer normalised already (plain ASCII, None, in an object column as it
    # stores them) are kept without the per-cell pass (fails if harmonise calls
    # normalise_ids on them); "E1 " is not plain
    from unittest import mock

    import xsland.read.harmonise as hm

    parcels = pd.DataFrame(
        {"parcel_id": ["P1", "P-2", None], "enterprise_id": ["E1 ", "E1", None]}, dtype=object
    )
    real = hm.normalise_ids
    seen = []

    def spy(values):
        seen.append(values.name)
        return real(values)

    with mock.patch.object(hm, "normalise_ids", spy):
        out, _ = harmonise({"parcels": parcels})
    assert seen == ["enterprise_id"]
    assert out["parcels"]["parcel_id"].tolist() == ["P1", "P-2", None]
    assert out["parcels"]["enterprise_id"].tolist() == ["E1", "E1", None]
    assert out["parcels"] is not parcels and parcels["enterprise_id"][0] == "E1 "


@pytest.mark.parametrize(
    ("cells", "plain"),
    [
        (["P1", None, "a b"], True),
        (["P1", float("nan")], False),  # NaN becomes None
        (["12.0"], False),  # becomes "12"
        (["1.50", "+3"], True),
        ([" P1"], False),
        ([""], False),  # becomes None
        (["ＸＳ０１"], False),
        ([1, 2], False),  # numbers become text
        ([np.str_("P1"), "P2"], False),  # a subclass of str: not kept as it is
        ([None, None], True),
    ],
)
def test_ids_already_normal(cells, plain):
    from xsland.read.values import ids_already_normal

    assert ids_already_normal(pd.Series(cells, dtype=object)) is plain


def test_a_parcels_enterprise_id_is_normalised_once_more_as_the_enterprises_are():
    # why the pass is needed after read_layer: an enterprise's own ID is stored
    # normalised twice, a parcel's reference to it once; NFKC composes e + U+0301 only
    # once the zero-width joiner between them is gone
    from xsland.read.values import normalise_id

    written = "e\u200d\u0301"
    once = normalise_id(written)
    assert once == "e\u0301" and normalise_id(once) == "\u00e9"
    parcels = pd.DataFrame({"parcel_id": ["A"], "enterprise_id": [once]})
    enterprises = pd.DataFrame({"enterprise_id": [normalise_id(once)]})
    out, _ = harmonise({"parcels": parcels, "enterprises": enterprises})
    assert out["parcels"]["enterprise_id"].tolist() == ["\u00e9"]
    assert out["parcels"].merge(out["enterprises"], on="enterprise_id").shape[0] == 1
