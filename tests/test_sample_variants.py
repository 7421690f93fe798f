"""The Xishan sample delivered as other offices deliver it gives the clean sample's verdicts.

Each test rewrites one layer of the sample the way real data arrives (a Shapefile that
cuts field names to 10 bytes, land use as names, footprints twice, floor area zeroed),
audits both through the Python API and compares every park check and every parcel's
low-efficiency verdict; the quality table must say what was read differently.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import xsland
from xsland.read.io import read_layer, read_table
from xsland.read.validate import quality_frame, validate_layer

AS_OF = "2026-06-30"
PARK_CHECKS = [
    "chk_area",
    "chk_far_new",
    "chk_far_standard",
    "chk_far_m0",
    "chk_coverage",
    "chk_leading_revenue",
    "chk_leading_count",
    "chk_chain_leader",
]


@pytest.fixture(scope="module")
def layers(sample):
    """The clean sample, read and validated (duplicate parcel IDs renamed, as the demo does)."""
    g = sample.gpkg
    return {
        "parks": read_layer(g, kind="parks", layer="parks"),
        "parcels": read_layer(g, kind="parcels", layer="parcels", duplicates="rename"),
        "buildings": read_layer(g, kind="buildings", layer="buildings"),
        "enterprises": read_table(sample.enterprises, kind="enterprises"),
        "indicators": read_table(sample.indicators, kind="indicators"),
    }


def audit(layers: dict, **changed) -> xsland.AuditResult:
    data = {**layers, **changed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xsland.run_audit(
            data["parks"],
            data["parcels"],
            data["buildings"],
            enterprises=data["enterprises"],
            indicators=data["indicators"],
            as_of=AS_OF,
        )


def verdicts(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    parks = result.parks.set_index("park_id")[PARK_CHECKS].sort_index()
    parcels = result.parcels.set_index("parcel_id")[
        ["category", "low_efficiency", "reasons"]
    ].sort_index()
    return parks, parcels


@pytest.fixture(scope="module")
def clean(layers):
    return verdicts(audit(layers))


def test_parcels_as_a_real_shapefile_keep_every_column(layers, clean, tmp_path_factory):
    # to_file cuts supply_date, start_deadline, declared_area, enterprise_id to 10 bytes
    shp = tmp_path_factory.mktemp("shp") / "parcels.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers["parcels"].to_file(shp, engine="pyogrio")
    got = read_layer(shp, kind="parcels")
    for col in ("supply_date", "start_deadline", "declared_area", "enterprise_id"):
        assert col in got.columns
    assert got["enterprise_id"].tolist() == layers["parcels"]["enterprise_id"].tolist()
    assert got["declared_area"].tolist() == pytest.approx(
        layers["parcels"]["declared_area"].tolist(), nan_ok=True
    )
    quality = quality_frame(got)
    read_as = quality.loc[quality["check"] == "shapefile_alias", "column"].tolist()
    assert sorted(read_as) == ["declared_a", "enterprise", "start_dead", "supply_dat"]
    parks, parcels = verdicts(audit(layers, parcels=got))
    pd.testing.assert_frame_equal(parks, clean[0])
    pd.testing.assert_frame_equal(parcels, clean[1])


def test_land_use_written_as_names_gives_the_same_verdicts(layers, clean):
    from xsland.rules.landuse import LAND_USE_NAMES

    parcels = layers["parcels"].copy()
    # 100101 → 一类工业用地, M0 → 新型产业用地, 1101 → 物流仓储用地, 0901 → 商业用地 …
    parcels["land_use"] = parcels["land_use"].map(lambda c: f" {LAND_USE_NAMES[c]}")
    assert parcels["land_use"].str.contains("工业用地").sum() > 1000
    result = audit(layers, parcels=parcels)
    parks, verdict = verdicts(result)
    pd.testing.assert_frame_equal(parks, clean[0])
    pd.testing.assert_frame_equal(verdict, clean[1])
    assert not (result.quality["check"] == "unknown_land_use").any()
    # without the category column every parcel is categorised from its land use
    bare = {"parcels": layers["parcels"].drop(columns=["category"])}
    named = bare["parcels"].assign(land_use=parcels["land_use"])
    pd.testing.assert_frame_equal(
        verdicts(audit(layers, **bare))[1], verdicts(audit(layers, parcels=named))[1]
    )


def test_footprints_delivered_twice_give_the_same_verdicts(layers, clean):
    b = layers["buildings"]
    twice = pd.concat([b, b.assign(building_id=b["building_id"] + "-copy")], ignore_index=True)
    twice = type(b)(twice, geometry=b.geometry.name, crs=b.crs)
    result = audit(layers, buildings=twice)
    parks, parcels = verdicts(result)
    pd.testing.assert_frame_equal(parks, clean[0])
    pd.testing.assert_frame_equal(parcels, clean[1])
    dup = result.quality[result.quality["check"] == "duplicate_building"]
    assert len(dup) == len(b) and dup["id"].str.endswith("-copy").all()


def test_floor_area_field_zeroed_reads_as_not_recorded(layers, clean):
    # A field of zeros carries no figure: the floor area comes from the buildings, and as
    # the sample's figures on record agree with its buildings, every verdict is the clean
    # sample's (and that of the sample without the field).
    zeroed = validate_layer(layers["parcels"].assign(floor_area=0.0), "parcels")
    absent = layers["parcels"].drop(columns=["floor_area"])
    result = audit(layers, parcels=zeroed)
    parks, parcels = verdicts(result)
    pd.testing.assert_frame_equal(parks, clean[0])
    pd.testing.assert_frame_equal(parcels, clean[1])
    pd.testing.assert_frame_equal(parcels, verdicts(audit(layers, parcels=absent))[1])
    assert (result.quality["check"] == "zero_field").sum() == 1
    # zeros on only the built parcels (the rest unknown): each replaced and listed
    built = layers["parcels"]["floor_area"].notna()
    partly = layers["parcels"].assign(floor_area=layers["parcels"]["floor_area"].where(~built, 0.0))
    partly.loc[partly.index[:3], "floor_area"] = 1.0e6  # keep the field from being all zeros
    result = audit(layers, parcels=partly)
    listed = result.quality.loc[result.quality["check"] == "floor_area_contradicted", "id"]
    assert len(listed) == int(built.sum()) - int(built.iloc[:3].sum())
    idle = result.parcels.set_index("parcel_id")["reasons"].str.contains("idle", na=False)
    assert not idle[listed.to_numpy()].any()
