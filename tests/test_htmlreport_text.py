"""Text from the data in the report's charts is drawn as it is, never parsed as TeX."""

from __future__ import annotations

import geopandas as gpd
import matplotlib
import pandas as pd
import pytest

from xsland.result import AuditResult
from xsland.write.htmlreport import build_report

# Each of these is mathtext when parse_math is on: the last two cannot be parsed at all
# (an unknown command, an unclosed group) and made matplotlib raise while drawing.
NAMES = ["$x^2$ 园", r"$\undefinedcommand{x}$", r"产业园 $\frac{1}{$ 二期"]


@pytest.fixture(scope="module")
def tables(demo_audit):
    gpkg = demo_audit[0] / "audit.gpkg"
    out = {n: gpd.read_file(gpkg, layer=n) for n in ("parks", "parcels")}
    for n in ("quality", "towns", "district", "rules"):
        out[n] = pd.DataFrame(gpd.read_file(gpkg, layer=n))
    return out


def test_park_and_town_names_with_dollars_render(tables):
    parks = tables["parks"].copy()
    ids = parks["park_id"].drop_duplicates().tolist()[: len(NAMES)]
    for pid, name in zip(ids, NAMES, strict=True):
        parks.loc[parks["park_id"] == pid, "name"] = name
    towns = tables["towns"].copy()
    towns.loc[towns.index[0], "town"] = NAMES[1]
    text = build_report(AuditResult(**{**tables, "parks": parks, "towns": towns}))
    assert "$x^2$ 园" in text  # in the tables, as written (HTML-escaped where needed)
    assert matplotlib.rcParams["text.parse_math"] is True  # the report's rc did not leak


def test_without_the_setting_such_a_name_would_fail():
    """The failure the setting prevents is real: mathtext rejects these names."""
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    with pytest.raises(ValueError):
        parser.parse(NAMES[1], dpi=72)
