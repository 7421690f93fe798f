"""Interactive maps (no browser): offline HTML, one layer per status, escaping, GCJ-02, files."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xstatic.pkg.leaflet as xleaflet
from hypothesis import given
from hypothesis import strategies as st

from xsland._html import json_for_html
from xsland.errors import (
    CRSError,
    DataError,
    OutputExistsError,
    PolicyError,
    XslandError,
)
from xsland.judge.audit import check_labels
from xsland.pipeline.audit import run
from xsland.read.crs import wgs84_to_gcj02
from xsland.result import AuditResult
from xsland.rules.policy import DEFAULT_POLICY
from xsland.write import maps
from xsland.write.maps import (
    BasemapWarning,
    build_map,
    parcel_status,
    render_map,
    town_file_name,
    write_map,
    write_maps,
)
from xsland.write.report import audit_layers, write_gpkg

X0, Y0 = 535_000.0, 3_496_000.0
XSS = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>alert(2)</script>"


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture(scope="module")
def zones():
    return gpd.GeoDataFrame(
        {
            "park_id": ["K1", "K1", "K2"],
            "name": ["一园", "一园", "二园"],
            "town": ["东亭街道", "东亭街道", "安/镇:街道"],
            "park_type": ["district", "district", "carrier"],
            "zone": ["core", "expansion", "core"],
        },
        geometry=[box(0, 0, 400, 400), box(400, 0, 800, 400), box(2000, 0, 2400, 400)],
        crs="EPSG:4549",
    )


@pytest.fixture(scope="module")
def audit(zones):
    """A real audit of six parcels: compliant, below, exempt, no data, low, outside."""
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A1", "A2", "A3", "A4", "A5", "B1", "Z9"],
            "category": [
                "new_industrial",
                "new_industrial",
                "industrial",
                "standard_factory",
                "industrial",
                "new_type_industrial",
                "industrial",
            ],
            "floor_area": [30_000.0, 10_000.0, 12_000.0, None, 4_000.0, 50_000.0, 1_000.0],
            "owner": ["甲公司", XSS, "丙公司", "丁公司", "戊公司", BREAKOUT, "外公司"],
            "enterprise_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E9"],
            "town": ["东亭街道"] * 5 + ["安/镇:街道", "东亭街道"],
        },
        geometry=[
            box(10, 10, 110, 110),  # 10 000 m2, FAR 3.0 >= 1.5: ok
            box(110, 10, 210, 110),  # FAR 1.0 < 1.5: below
            box(10, 110, 110, 210),  # existing industrial, FAR 1.2, no minimum: exempt
            box(410, 10, 510, 110),  # standard factory without floor area: nodata
            box(510, 10, 610, 110),  # low efficiency (flag added below)
            box(2010, 10, 2110, 110),  # K2, FAR 5.0 >= 2.5: ok
            box(5000, 5000, 5100, 5100),  # outside every park
        ],
        crs="EPSG:4549",
    )
    result = run(zones, parcels)
    p = result.parcels.copy()
    p["low_efficiency"] = p["parcel_id"] == "A5"
    p["reasons_zh"] = np.where(p["low_efficiency"], "容积率低于1.0；建筑系数低于30%", None)
    p["block_id"] = np.where(p["low_efficiency"], "BLK1", None)
    blocks = gpd.GeoDataFrame(
        {"block_id": ["BLK1"], "area_mu": [15.0], "route": ["连片改造"], "n_parcels": [1]},
        geometry=[box(505, 5, 615, 115)],
        crs="EPSG:4549",
    )
    return {"parks": result.parks, "parcels": p, "blocks": blocks, "zones": zones}


def _result(layers: dict, **meta) -> AuditResult:
    """The fixture's layers as the AuditResult every writer takes."""
    return AuditResult(
        parks=layers["parks"],
        parcels=layers["parcels"],
        blocks=layers.get("blocks"),
        park_zones=layers.get("zones"),
        meta=meta,
    )


def payload(html: str) -> dict:
    found = re.findall(
        r'<script type="application/json" id="xsland-data-[^"]+">(.*?)</script>', html, re.S
    )
    assert len(found) == 1
    return json.loads(found[0])


def decode(geom: dict) -> list[list[list[list[float]]]]:
    """Python twin of the page's decoder: features -> polygons -> rings -> [lon, lat]."""
    c = np.asarray(geom["c"], dtype=np.int64).reshape(-1, 2).cumsum(axis=0) / geom["s"]
    rings_per_poly = geom["p"] or [1] * 10**6
    polys_per_feature = geom["g"] or [1] * geom["count"]
    n, ci, ri, pi, out = geom["n"], 0, 0, 0, []
    for f in range(geom["count"]):
        polys = []
        for _ in range(polys_per_feature[f]):
            rings = []
            for _ in range(rings_per_poly[pi]):
                rings.append(c[ci : ci + n[ri]].tolist())
                ci += n[ri]
                ri += 1
            pi += 1
            polys.append(rings)
        out.append(polys)
    return out


def props(layer: dict) -> list[dict]:
    cols = layer["props"]
    out = []
    for j in range(layer["geom"]["count"]):
        row = {}
        for k, col in cols.items():
            row[k] = (
                col["d"][col["i"][j]] if "d" in col else (col["v"][j] if "v" in col else col["k"])
            )
        out.append(row)
    return out


def html_of(audit, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        m = build_map(
            audit["parks"],
            audit["parcels"],
            blocks=audit.get("blocks"),
            zones=audit.get("zones"),
            title=kw.pop("title", "测试地图"),
            audit_date="2026-05-01",
            **kw,
        )
    return render_map(m)


def test_statuses_from_far_and_low_efficiency(audit):
    s = parcel_status(audit["parcels"]).set_axis(audit["parcels"]["parcel_id"])
    assert s.to_dict() == {
        "A1": "ok",
        "A2": "below",
        "A3": "exempt",
        "A4": "nodata",
        "A5": "low",
        "B1": "ok",
        "Z9": "exempt",
    }
    # booleans as GeoPackages return them: text
    text = audit["parcels"].assign(
        far_ok=audit["parcels"]["far_ok"].astype(object).map({True: "True", False: "False"}),
        low_efficiency=audit["parcels"]["low_efficiency"].map({True: "1", False: "0"}),
    )
    assert (parcel_status(text) == parcel_status(audit["parcels"])).all()


def test_offline_html_with_leaflet_inlined_from_xstatic(audit):
    html = html_of(audit)
    # no script or stylesheet from anywhere: every <script> is inline, no <link> at all
    assert re.findall(r"<script[^>]*\ssrc\s*=", html, re.I) == []
    assert re.findall(r"<link\b", html, re.I) == []
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "fontawesome", "bootstrap"):
        assert cdn not in html
    # outside Leaflet's own code and comments, http(s) appears only in strings: the tile
    # URL templates and attributions
    leaflet_js, leaflet_css = maps.leaflet_assets()
    ours = html.replace(leaflet_js, "").replace(leaflet_css, "")
    urls = re.findall(r"https?://[^\s\"'<>)]+", ours)
    assert urls and all(
        u.startswith(("https://tile.openstreetmap.org/{z}", "https://www.openstreetmap.org/"))
        for u in urls
    ), urls
    js = (Path(xleaflet.BASE_DIR) / "leaflet.js").read_text(encoding="utf-8")
    assert js[:2000] in html  # Leaflet 1.9.3 itself, from the installed package
    assert 'version="1.9.3"' in js and 'version="1.9.3"' in html
    assert "data:image/png;base64," in html  # the layer-switcher icon, inlined
    charset = html.index('<meta http-equiv="content-type" content="text/html; charset=UTF-8" />')
    assert charset < html.index("<title>") and charset < 1024  # before any Chinese text


def test_one_geojson_layer_per_status_with_only_used_properties(audit):
    html = html_of(audit)
    d = payload(html)
    layers = {item["key"]: item for item in d["parcels"]}
    assert set(layers) == {"ok", "below", "exempt", "nodata", "low"}
    ids = {k: sorted(p["parcel_id"] for p in props(v)) for k, v in layers.items()}
    assert ids == {
        "ok": ["A1", "B1"],
        "below": ["A2"],
        "exempt": ["A3", "Z9"],
        "nodata": ["A4"],
        "low": ["A5"],
    }
    counts = {s["key"]: s["count"] for s in d["statuses"]}
    assert counts == {"low": 1, "below": 1, "ok": 2, "exempt": 2, "other": 0, "nodata": 1}
    allowed = set(maps._PARCEL_PROPS) | {"area_mu"}
    for item in d["parcels"]:
        assert set(item["props"]) <= allowed  # no supply_date, category_source, geometry …
        assert "bbox" not in json.dumps(item)
    # the page makes one L.geoJSON per status with a fixed style object, and binds the
    # tooltip and popup once per layer (not per feature)
    assert "geoLayer(item, {\n      style: {color: s.stroke" in html
    assert html.count("lyr.bindTooltip(parcelTooltip") == 1
    a5 = props(layers["low"])[0]
    assert a5["reasons_zh"] == "容积率低于1.0；建筑系数低于30%"
    assert a5["block_id"] == "BLK1"
    assert d["blocks"]["layer"]["geom"]["count"] == 1
    assert d["hasZones"] is True
    assert sorted(p["zone"] for p in props(d["parks"]["layer"])) == ["core", "core", "expansion"]


def test_attribute_text_is_escaped(audit):
    html = html_of(audit, title="<b>园区</b>")
    assert XSS not in html
    assert "</script><script>alert(2)" not in html
    assert "<b>园区</b>" not in html
    assert "<title>&lt;b&gt;园区&lt;/b&gt;</title>" in html
    # exactly the scripts the map has: Leaflet, folium's switches, the data, map + glue
    assert len(re.findall(r"<script\b", html)) == 4
    d = payload(html)  # still decodes to the exact text
    owners = [p.get("owner") for item in d["parcels"] for p in props(item)]
    assert XSS in owners and BREAKOUT in owners
    assert d["title"] == "<b>园区</b>"
    # the page escapes every attribute it writes as HTML and sets the title as text
    assert "function esc(v)" in html and "esc(p.owner)" in html and "esc(p.parcel_id)" in html
    assert ".textContent = D.title" in html


def _stored_vertices(parcels, parcel_id):
    g = parcels.loc[parcels["parcel_id"] == parcel_id].to_crs(4326).geometry.iloc[0]
    return shapely.get_coordinates(g)


@pytest.mark.parametrize("basemap", ["amap", "amap_satellite", "osm"])
def test_overlays_in_gcj02_for_amap(audit, basemap):
    d = payload(html_of(audit, basemap=basemap))
    assert d["system"] == ("gcj02" if basemap.startswith("amap") else "wgs84")
    item = next(i for i in d["parcels"] if i["key"] == "below")
    page = np.array(decode(item["geom"])[0][0][0])
    stored = _stored_vertices(audit["parcels"], "A2")[:-1]
    if basemap.startswith("amap"):
        lon, lat = wgs84_to_gcj02(stored[:, 0], stored[:, 1])
        expected = np.column_stack([lon, lat])
        assert np.abs(expected - stored).max() > 1e-3  # the shift is hundreds of metres
    else:
        expected = stored
    assert page.shape == expected.shape
    assert np.abs(page - expected).max() <= 0.5e-6 + 1e-12  # rounded to 1e-6 degree
    # parks, blocks and labels move too; the switcher offers no WGS84 basemap
    park = np.array(decode(d["parks"]["layer"]["geom"])[0][0][0])
    z = audit["zones"].iloc[[0]].to_crs(4326).geometry.iloc[0]
    zc = shapely.get_coordinates(z)[:-1]
    if basemap.startswith("amap"):
        zc = np.column_stack(wgs84_to_gcj02(zc[:, 0], zc[:, 1]))
    assert np.abs(park - zc).max() <= 0.5e-6 + 1e-12
    keys = [b["key"] for b in d["basemaps"]]
    if basemap.startswith("amap"):
        assert keys == ["amap", "amap_satellite", "none"]
    else:
        assert "amap" not in keys and "osm" in keys


def test_tianditu_without_key_warns_and_is_left_out(audit, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.warns(BasemapWarning, match="TIANDITU_KEY"):
        m = build_map(audit["parks"], audit["parcels"], basemap="tianditu_img")
    html = render_map(m)
    d = payload(html)
    assert d["basemap"] == "osm"
    assert "tianditu" not in html
    with pytest.warns(BasemapWarning, match="天地图 basemaps are left out"):
        build_map(audit["parks"], audit["parcels"])
    # with a key from the environment: both 天地图 basemaps, labels included, no warning
    monkeypatch.setenv("TIANDITU_KEY", "k&y/1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BasemapWarning)
        d = payload(render_map(build_map(audit["parks"], audit["parcels"], basemap="tianditu")))
    assert d["basemap"] == "tianditu_vec"
    tdt = {b["key"]: b for b in d["basemaps"]}
    assert [t["url"].split("T=")[1][:5] for t in tdt["tianditu_vec"]["tiles"]] == ["vec_w", "cva_w"]
    assert [t["url"].split("T=")[1][:5] for t in tdt["tianditu_img"]["tiles"]] == ["img_w", "cia_w"]
    assert tdt["tianditu_vec"]["tiles"][0]["url"].endswith("&tk=k%26y%2F1")
    # a key passed as a parameter wins
    d = payload(render_map(build_map(audit["parks"], audit["parcels"], tianditu_key="abc")))
    assert d["basemap"] == "osm"
    assert next(b for b in d["basemaps"] if b["key"] == "tianditu_vec")["tiles"][0]["url"].endswith(
        "tk=abc"
    )


def test_coordinates_rounded_and_simplified_without_moving_vertices(audit):
    parcels = audit["parcels"].copy()
    # a parcel with 41 vertices on one straight edge (redundant) and one 1 mm off it
    ring = [(X0 + 10 + 2.5 * i, Y0 + 300) for i in range(41)]
    ring[20] = (ring[20][0], ring[20][1] + 0.001)
    extra = parcels.iloc[[0]].copy()
    extra["parcel_id"] = "S1"
    extra = extra.set_geometry(
        [shapely.Polygon([*ring, (X0 + 110, Y0 + 380), (X0 + 10, Y0 + 380)])], crs=parcels.crs
    )
    parcels = pd.concat([parcels, extra], ignore_index=True)
    layers = {**audit, "parcels": parcels}
    d = payload(html_of(layers))
    item = next(i for i in d["parcels"] if i["key"] == "ok")
    assert item["geom"]["s"] == 10**6 and all(isinstance(v, int) for v in item["geom"]["c"])
    idx = [p["parcel_id"] for p in props(item)].index("S1")
    page = np.array(decode(item["geom"])[idx][0][0])
    assert len(page) == 4  # collinear vertices dropped by the 0.1 m simplification
    stored = _stored_vertices(parcels, "S1")
    # every vertex kept is an original vertex, rounded to 1e-6 degree (about 0.1 m)
    dist = np.abs(page[:, None, :] - stored[None, :, :]).max(axis=2).min(axis=1)
    assert dist.max() <= 0.5e-6 + 1e-12
    d0 = payload(html_of(layers, simplify=0, precision=5))
    item0 = next(i for i in d0["parcels"] if i["key"] == "ok")
    idx0 = [p["parcel_id"] for p in props(item0)].index("S1")
    assert item0["geom"]["s"] == 10**5
    assert len(decode(item0["geom"])[idx0][0][0]) == 43  # every vertex, closing one dropped


def test_inputs_are_not_modified(audit):
    before = {k: v.copy() for k, v in audit.items()}
    html_of(audit, basemap="amap")
    for k, v in audit.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_errors(audit):
    with pytest.raises(PolicyError, match="unknown basemap 'google'"):
        build_map(audit["parks"], audit["parcels"], basemap="google")
    with pytest.raises(DataError, match="parcels lack the column.*parcel_id"):
        build_map(audit["parks"], audit["parcels"].drop(columns="parcel_id"))
    with pytest.raises(CRSError, match="no CRS"):
        build_map(audit["parks"], audit["parcels"].set_crs(None, allow_override=True))
    m = build_map(audit["parks"], audit["parcels"], tianditu_key="x")
    folium.plugins.Fullscreen().add_to(m)  # a plugin that loads its script from a CDN
    with pytest.raises(XslandError, match="must open offline"):
        render_map(m)


def test_town_file_names_are_safe():
    assert town_file_name("东亭街道") == "东亭街道.html"
    assert town_file_name("安/镇:街道") == "安_镇_街道.html"
    assert town_file_name('a\\b*c?d"e<f>g|h') == "a_b_c_d_e_f_g_h.html"
    assert town_file_name("CON") == "_CON.html"
    assert town_file_name("lpt1.x") == "_lpt1.x.html"
    assert town_file_name("镇. ") == "镇.html"
    assert town_file_name(None) == "(未注明).html"
    assert town_file_name("..") == "town.html"
    assert town_file_name("a\tb\x00") == "a_b_.html"


def test_write_maps_all_parks_and_one_per_town(audit, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(
            _result(audit), tmp_path / "out", title="锡山", audit_date="2026-05-01"
        )
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [
        "map.html",
        "maps/东亭街道.html",
        "maps/安_镇_街道.html",
    ]
    main = payload((tmp_path / "out" / "map.html").read_text(encoding="utf-8"))
    assert main["title"] == "锡山 · 全部园区"
    assert sum(i["geom"]["count"] for i in main["parcels"]) == 7
    assert main["links"] == [
        ["东亭街道", "maps/%E4%B8%9C%E4%BA%AD%E8%A1%97%E9%81%93.html"],
        ["安/镇:街道", "maps/%E5%AE%89_%E9%95%87_%E8%A1%97%E9%81%93.html"],
    ]
    east = payload((tmp_path / "out" / "maps" / "东亭街道.html").read_text(encoding="utf-8"))
    ids = sorted(p["parcel_id"] for i in east["parcels"] for p in props(i))
    assert ids == ["A1", "A2", "A3", "A4", "A5", "Z9"]  # Z9: outside parks, town 东亭街道
    assert east["blocks"]["layer"]["geom"]["count"] == 1
    assert east["links"] == [["全部园区", "../map.html"]]
    assert sorted(east["parks"]["info"]) == ["K1"]
    other = payload((tmp_path / "out" / "maps" / "安_镇_街道.html").read_text(encoding="utf-8"))
    assert [p["parcel_id"] for i in other["parcels"] for p in props(i)] == ["B1"]
    assert other["blocks"]["layer"]["geom"]["count"] == 0
    assert other["title"] == "锡山 · 安/镇:街道"
    # again with one town fewer: maps/ is replaced as a whole, nothing stale left
    fewer = {
        **audit,
        "parks": audit["parks"][audit["parks"]["park_id"] == "K1"],
        "parcels": audit["parcels"][audit["parcels"]["parcel_id"] != "B1"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(_result(fewer), tmp_path / "out")
    maps = sorted(p.name for p in (tmp_path / "out" / "maps").iterdir())
    assert maps == [".xsland-output", "东亭街道.html"]


def test_writes_are_atomic(audit, tmp_path, monkeypatch):
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        m = build_map(audit["parks"], audit["parcels"])
    with pytest.raises(OutputExistsError):
        write_map(m, target, overwrite=False)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "open", broken)  # write_map writes through it
    with pytest.raises(OSError, match="disk full"):
        write_map(m, target)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]

    # a failing town map leaves the previous maps/ untouched and no temporary files
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(_result(audit), out)
    before = {p.name: p.read_bytes() for p in (out / "maps").iterdir()}
    real = maps._build_map  # what write_maps calls for each map

    def fail_on_town(*args, title, **kwargs):
        if "安" in title:
            raise RuntimeError("boom")
        return real(*args, title=title, **kwargs)

    monkeypatch.setattr(maps, "_build_map", fail_on_town)
    with warnings.catch_warnings(), pytest.raises(RuntimeError, match="boom"):
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(_result(audit), out)
    assert {p.name: p.read_bytes() for p in (out / "maps").iterdir()} == before
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "maps"]


def test_maps_from_a_finished_audit(audit, tmp_path):
    out = tmp_path / "audit"
    out.mkdir()
    result = _result(
        {**audit, "blocks": None}, title="锡山区园区审计 2026", run="2026-04-30T10:00:00"
    )
    write_gpkg(audit_layers(result), out / "audit.gpkg", schema=True)
    back = AuditResult.read(out)
    assert back.title == "锡山区园区审计 2026" and back.run_date.isoformat() == "2026-04-30"
    assert back.park_zones is not None and back.blocks is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(back, out, basemap="amap")
    assert written[0] == out / "map.html" and len(written) == 3
    d = payload(written[0].read_text(encoding="utf-8"))
    assert d["title"] == "锡山区园区审计 2026 · 全部园区" and d["auditDate"] == "2026-04-30"
    assert d["system"] == "gcj02" and d["hasZones"] is True and d["blocks"] is None
    counts = {s["key"]: s["count"] for s in d["statuses"]}  # far_ok a GeoPackage boolean
    assert counts == {"low": 1, "below": 1, "ok": 2, "exempt": 2, "other": 0, "nodata": 1}
    with pytest.raises(DataError, match="needs an AuditResult"):
        write_maps(audit, out)


def test_write_maps_from_an_audit_result(zones, audit, tmp_path):
    result = run(zones, audit["parcels"][["parcel_id", "category", "floor_area", "geometry"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(result, tmp_path, zones=zones, towns=False, audit_date="2026-05-01")
    assert written == [tmp_path / "map.html"] and not (tmp_path / "maps").exists()
    d = payload(written[0].read_text(encoding="utf-8"))
    assert d["title"] == f"{maps.DEFAULT_TITLE} · 全部园区" and d["links"] == []
    assert sum(i["geom"]["count"] for i in d["parcels"]) == 7 and d["hasZones"] is True


def test_every_town_with_parcels_gets_a_map(audit, tmp_path):
    # two parcels outside every park in towns that have no park (one named with a trailing
    # space, one like a path); a parcel without a town goes to no town map
    extra = audit["parcels"].iloc[[6, 6, 6]].copy()
    extra["parcel_id"] = ["Y1", "Y2", "N1"]
    extra["town"] = ["羊尖镇 ", "东北塘/街道", None]
    extra = extra.set_geometry(
        [box(6000, 0, 6100, 100), box(7000, 0, 7100, 100), box(8000, 0, 8100, 100)],
        crs=audit["parcels"].crs,
    )
    layers = {**audit, "parcels": pd.concat([audit["parcels"], extra], ignore_index=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(_result(layers), tmp_path, audit_date="2026-05-01")
    names = [p.relative_to(tmp_path).as_posix() for p in written]
    # every town named by a park or a parcel: 东亭街道 and 安/镇:街道 (parks), 羊尖镇 and
    # 东北塘/街道 (parcels only); sorted by town name
    assert sorted(names[1:]) == sorted(
        ["maps/东亭街道.html", "maps/安_镇_街道.html", "maps/羊尖镇.html", "maps/东北塘_街道.html"]
    )
    for town, fname, ids in (("羊尖镇", "羊尖镇", ["Y1"]), ("东北塘/街道", "东北塘_街道", ["Y2"])):
        d = payload((tmp_path / "maps" / f"{fname}.html").read_text(encoding="utf-8"))
        assert sorted(p["parcel_id"] for i in d["parcels"] for p in props(i)) == ids
        assert d["parks"]["info"] == {} and d["title"].endswith(town)
    main = payload((tmp_path / "map.html").read_text(encoding="utf-8"))
    assert [t for t, _ in main["links"]] == ["东亭街道", "东北塘/街道", "安/镇:街道", "羊尖镇"]


def test_non_industrial_land_names_kinds_and_block_classes(audit):
    parcels = audit["parcels"].copy()
    # R1: a road (category other) with a FAR; R2: a utility without floor area; R3: other
    # land that is low-efficiency (low wins)
    extra = parcels.iloc[[6, 6, 6]].copy()
    extra["parcel_id"] = ["R1", "R2", "R3"]
    extra["category"] = "other"
    extra["floor_area"] = [100.0, np.nan, 100.0]
    extra["far"] = [0.01, np.nan, 0.01]
    extra["far_min"] = np.nan
    extra["far_ok"] = pd.NA
    extra["low_efficiency"] = [False, False, True]
    extra = extra.set_geometry(
        [box(6000, 0, 6100, 100), box(6200, 0, 6300, 100), box(6400, 0, 6500, 100)],
        crs=parcels.crs,
    )
    parcels = pd.concat([parcels, extra], ignore_index=True)
    # land-use codes as data holds them: text, a number, lower case, unknown, a formula
    parcels["land_use"] = [
        "100102",
        1303,
        " m1",
        "9999",
        "=1+1",
        "M0",
        "1001",
        "1207",
        "1303",
        None,
    ]
    # the seed's kinds of low-efficiency land, as booleans and as GeoPackage text
    parcels["lu_plan"] = [False] * 4 + [True] + [False] * 5
    parcels["lu_industry"] = ["0"] * 4 + ["1"] + ["0"] * 4 + ["1"]
    parcels["lu_inefficient"] = False  # the audit's own flags left out: only these two
    status = parcel_status(parcels).set_axis(parcels["parcel_id"])
    assert status[["A3", "Z9", "R1", "R2", "R3"]].tolist() == [
        "exempt",  # existing industrial land, FAR known, no minimum
        "exempt",
        "other",  # a road: not industrial land, whatever its FAR
        "other",
        "low",
    ]
    blocks = gpd.GeoDataFrame(
        {
            "block_id": ["S1", "BIG", "SMALL", "MID"],
            "area_mu": [40.0, 90.0, 12.0, 30.0],
            "n_parcels": [1, 5, 2, 3],
            # the audit's flag: 12 < 30 亩; MID, exactly 30 亩, is reportable (area >= 30)
            "below_threshold": [False, False, True, False],
        },
        geometry=[box(0, 500, 100, 600), box(200, 500, 300, 600), box(400, 500, 500, 600),
                  box(600, 500, 700, 600)],
        crs="EPSG:4549",
    )  # fmt: skip
    d = payload(html_of({**audit, "parcels": parcels, "blocks": blocks}))
    counts = {s["key"]: s["count"] for s in d["statuses"]}
    assert counts == {"low": 2, "below": 1, "ok": 2, "exempt": 2, "other": 2, "nodata": 1}
    labels = {s["key"]: s["label"] for s in d["statuses"]}
    assert labels["exempt"] == "存量工业/仓储用地·无容积率下限"
    assert labels["other"].startswith("非工业用地")
    rows = {p["parcel_id"]: p for i in d["parcels"] for p in props(i)}
    assert rows["A1"]["land_use"] == "二类工业用地（100102）"
    assert rows["A2"]["land_use"] == "供电用地（1303）"
    assert rows["A3"]["land_use"] == "一类工业用地（M1）"
    assert rows["A4"]["land_use"] == "9999"  # unknown code: shown as given
    assert rows["A5"]["land_use"] == "=1+1"
    assert rows["R3"]["land_use"] is None
    assert rows["A5"]["lu_kinds"] == "不符合规划；不符合产业发展定位"
    assert rows["R3"]["lu_kinds"] == "不符合产业发展定位" and rows["A1"]["lu_kinds"] is None
    # blocks: reportable ones first (largest first), then small ones, then single parcels
    b = props(d["blocks"]["layer"])
    assert [(p["block_id"], p["kind"]) for p in b] == [
        ("BIG", "major"),
        ("MID", "major"),
        ("SMALL", "small"),
        ("S1", "single"),  # one parcel is no contiguous block, whatever its area
    ]
    assert [(k["key"], k["count"]) for k in d["blocks"]["kinds"]] == [
        ("major", 2),
        ("small", 1),
        ("single", 1),
    ]
    assert d["blocks"]["minMu"] == 30.0
    # the audit's below_threshold decides, never the area: flag BIG, unflag SMALL
    flagged = blocks.assign(below_threshold=["False", "True", "False", "0"])
    kinds = [
        p["kind"] for p in props(payload(html_of({**audit, "blocks": flagged}))["blocks"]["layer"])
    ]
    assert kinds == ["major", "major", "small", "single"]  # MID, SMALL, BIG (flagged), S1
    # another minimum only names the legend: the writer does not re-judge the blocks
    d50 = payload(html_of({**audit, "blocks": blocks}, block_min_mu=50))
    assert [p["kind"] for p in props(d50["blocks"]["layer"])] == [
        "major",
        "major",
        "small",
        "single",
    ]
    assert d50["blocks"]["minMu"] == 50.0
    # without the audit's flag no block is "small" (12 亩 is not judged here), largest first
    bare = payload(html_of({**audit, "blocks": blocks.drop(columns="below_threshold")}))
    assert [(p["block_id"], p["kind"]) for p in props(bare["blocks"]["layer"])] == [
        ("BIG", "major"),
        ("MID", "major"),
        ("SMALL", "major"),
        ("S1", "single"),
    ]


def test_header_dates_from_the_audit(zones, audit, tmp_path):
    # an AuditResult carries the date idle land is judged at in its meta
    result = run(
        zones,
        audit["parcels"][["parcel_id", "category", "floor_area", "geometry"]],
        as_of="2025-08-29",
    )
    assert result.meta["as_of"] == "2025-08-29"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(result, tmp_path / "r", towns=False, audit_date="2026-05-01")
        d = payload(written[0].read_text(encoding="utf-8"))
        assert (d["auditDate"], d["asOf"]) == ("2026-05-01", "2025-08-29")
        # given explicitly, and from a finished audit's meta layer
        d = payload(html_of(audit, as_of=pd.Timestamp("2024-12-31 13:00")))
        assert d["asOf"] == "2024-12-31"
        assert payload(html_of(audit))["asOf"] is None  # unknown: not shown
    # the page writes both as text under the title
    html = html_of(audit, as_of="2025-08-29")
    assert '" · 闲置土地认定基准日：" + D.asOf' in html and ".textContent = D.title" in html


def test_a_large_district_map_draws_flagged_parcels_only(audit, tmp_path, monkeypatch):
    # 7 parcels: 1 low (A5), 1 below (A2); above a limit of 6 the district map keeps those
    monkeypatch.setattr(maps, "DISTRICT_MAP_MAX_PARCELS", 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(_result(audit), tmp_path / "big", audit_date="2026-05-01")
        write_maps(_result(audit), tmp_path / "max7", audit_date="2026-05-01", max_parcels=7)
    d = payload((tmp_path / "big" / "map.html").read_text(encoding="utf-8"))
    drawn = sorted(p["parcel_id"] for i in d["parcels"] for p in props(i))
    assert drawn == ["A2", "A5"]
    assert d["note"] == (
        "地块 7 宗，超过 6 宗：本图只显示园区、连片地块及低效或容积率低于下限的地块，"
        "全部地块见各镇街地图"
    )
    # the legend still counts every parcel and says which statuses are not drawn
    legend = {s["key"]: (s["count"], s["shown"]) for s in d["statuses"]}
    assert legend == {
        "low": (1, True),
        "below": (1, True),
        "ok": (2, False),
        "exempt": (2, False),
        "other": (0, False),
        "nodata": (1, False),
    }
    assert d["blocks"]["layer"]["geom"]["count"] == 1 and len(d["parks"]["info"]) == 2
    assert "（本图未显示）" in (tmp_path / "big" / "map.html").read_text(encoding="utf-8")
    # the town maps carry every parcel
    town = payload((tmp_path / "big" / "maps" / "东亭街道.html").read_text(encoding="utf-8"))
    assert sum(i["geom"]["count"] for i in town["parcels"]) == 6 and town["note"] is None
    # at the limit, everything is drawn and nothing is said
    full = payload((tmp_path / "max7" / "map.html").read_text(encoding="utf-8"))
    assert sum(i["geom"]["count"] for i in full["parcels"]) == 7 and full["note"] is None
    assert all(s["shown"] for s in full["statuses"])
    with pytest.raises(PolicyError, match="unknown parcel status"):
        build_map(audit["parks"], audit["parcels"], statuses=["low", "flagged"], tianditu_key="k")


def test_when_even_the_flagged_parcels_are_too_many_the_district_map_shows_parks_and_blocks(
    audit, tmp_path
):
    # 7 parcels, 2 flagged (A2 below, A5 low): with a limit of 1 even those are too many
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(_result(audit), tmp_path / "m", audit_date="2026-05-01", max_parcels=1)
    d = payload((tmp_path / "m" / "map.html").read_text(encoding="utf-8"))
    assert sum(i["geom"]["count"] for i in d["parcels"]) == 0
    assert d["note"] == (
        "地块 7 宗，其中低效或容积率低于下限的 2 宗，超过 1 宗：本图只显示园区和连片地块，"
        "地块见各镇街地图"
    )
    assert d["blocks"]["layer"]["geom"]["count"] == 1 and len(d["parks"]["info"]) == 2
    legend = {s["key"]: (s["count"], s["shown"]) for s in d["statuses"]}
    assert legend["low"] == (1, False) and legend["below"] == (1, False)
    # the town maps still carry every parcel
    town = payload((tmp_path / "m" / "maps" / "东亭街道.html").read_text(encoding="utf-8"))
    assert sum(i["geom"]["count"] for i in town["parcels"]) == 6


# -- the columns of a layer: one conversion per distinct value -------------------------------


def _plain(value):
    """The value with its arrays as lists, as json_for_html writes them (codes: int64)."""
    if isinstance(value, np.ndarray):
        assert value.dtype == np.int64
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _encode_per_row(df: pd.DataFrame, spec: dict) -> dict:
    """The definition of ``_encode_columns``: every row's value converted on its own."""
    out = {}
    for col, decimals in spec.items():
        if decimals is None:
            values = [maps._text(v) for v in df[col].to_numpy(dtype=object)]
        else:
            num = pd.to_numeric(df[col], errors="coerce").astype(float).round(decimals)
            values = [
                None if not np.isfinite(v) else (int(v) if decimals == 0 else float(v))
                for v in num.to_numpy()
            ]
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
        if len(uniques) + bool((codes < 0).any()) <= 1:
            out[col] = {"k": uniques[0] if len(uniques) else None}
        elif len(uniques) * 2 < len(values):
            d = [*uniques, None]
            out[col] = {"d": d, "i": np.where(codes < 0, len(d) - 1, codes).tolist()}
        else:
            out[col] = {"v": values}
    return out


def test_encode_columns_by_hand():
    df = pd.DataFrame(
        {
            # 1 and True are equal to pandas but read "1" and "True"; 2.0 reads "2";
            # " " and None are missing: texts 1, True, 2, 1, None, None, x -> 4 distinct
            # of 7 rows, so every value is listed
            "t": pd.Series([1, True, 2.0, "1", " ", None, "x"], dtype=object),
            # rounded to 0 decimals: 2, 2, 2, None, 2, 2, 3 -> 2 distinct: a dictionary
            "n": [1.6, 2.4, 2.0, np.inf, 1.5, 2.49, 3.0],
            "k": ["a"] * 7,
        }
    )
    out = _plain(maps._encode_columns(df, {"t": None, "n": 0, "k": None, "absent": None}))
    assert out == {
        "t": {"v": ["1", "True", "2", "1", None, None, "x"]},
        "n": {"d": [2, 3, None], "i": [0, 0, 0, 2, 0, 0, 1]},
        "k": {"k": "a"},
    }
    assert type(out["n"]["d"][0]) is int
    # unhashable cells (lists) are joined, one text per row: 1 distinct text of 3 rows
    lists = pd.DataFrame({"r": pd.Series([["a", "b"], [], ["a", "b"]], dtype=object)})
    got = _plain(maps._encode_columns(lists, {"r": None}))
    assert got == {"r": {"d": ["a；b", None], "i": [0, 1, 0]}}


_cell = st.one_of(
    st.none(),
    st.just(np.nan),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 1)),
    st.sampled_from(["", " ", "a", "1", "2", "True", "东亭"]),
    st.just(pd.Timestamp("2026-06-30")),
)


@given(st.lists(_cell, max_size=12), st.sampled_from([None, 0, 1, 2]))
def test_encode_columns_as_per_row(cells, decimals):
    df = pd.DataFrame({"c": pd.Series(cells, dtype=object)})
    if decimals is not None:
        numbers = [v if isinstance(v, int | float) else None for v in cells]
        df["c"] = pd.to_numeric(pd.Series(numbers, dtype=object))
    got = _plain(maps._encode_columns(df, {"c": decimals}))
    want = _encode_per_row(df, {"c": decimals})
    assert got == want
    # and of the same types: 2 stays 2, not 2.0, in the JSON of the map
    assert json.dumps(got) == json.dumps(want)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", " a", "东亭", "nan"]))))
def test_encode_columns_of_a_text_column_as_per_row(cells):
    # pandas' own text dtype takes the native path; the result is that of the objects
    df = pd.DataFrame({"c": pd.Series(cells, dtype="str")})
    assert _plain(maps._encode_columns(df, {"c": None})) == _encode_per_row(df, {"c": None})


def test_park_info_reads_each_column_once_with_the_same_values():
    parks = pd.DataFrame(
        {
            "park_id": ["A", "B", " ", "A"],  # a blank ID is left out, a repeated one too
            "name": ["甲", None, "丙", "again"],
            "park_type": ["district", "other", None, None],
            "area_mu": [np.inf, 12.0, 1.0, 2.0],  # infinity is no number
            "area_core_m2": [6_000.0, np.nan, 0.0, 0.0],
            "n_parcels": pd.array([3, None, 1, 1], dtype="Int64"),
            "chk_area": ["fail", "unknown", "fail", "pass"],
            "chk_fund": [pd.NA, "fail", "pass", "pass"],
        }
    )
    info = maps._park_info(parks, DEFAULT_POLICY)
    labels = check_labels(DEFAULT_POLICY)
    assert list(info) == ["A", "B"]
    a, b = info["A"], info["B"]
    assert (a["name"], a["type"], a["area_mu"], a["n_parcels"]) == ("甲", "片区型", None, 3.0)
    assert a["core_mu"] == pytest.approx(6_000 / 666.6666667, rel=1e-6)  # 9 亩
    assert (a["fail"], a["unknown"]) == ([labels["chk_area"]], [])
    assert (b["name"], b["type"], b["area_mu"], b["n_parcels"]) == ("B", "other", 12.0, None)
    assert (b["fail"], b["unknown"]) == ([labels["chk_fund"]], [labels["chk_area"]])
    assert b["town"] is None and b["core_mu"] is None


# -- each parcel and block converted once per run, polygons encoded without their rings ----


def test_ragged_coordinates_as_shapely_gives_them():
    # a rectangle and a triangle (polygons without holes: the short path), then the same
    # with a hole in the rectangle and a two-part multipolygon (by parts, rings built only
    # of the parts with holes), a part with two holes, and an empty polygon (shapely's)
    rect = shapely.Polygon([(0, 0), (4, 0), (4, 2), (0, 2)])
    tri = shapely.Polygon([(10, 0), (12, 0), (11, 3)])
    holed = shapely.Polygon(rect.exterior.coords, [[(1, 1), (2, 1), (2, 1.5)]])
    two = shapely.MultiPolygon([tri, shapely.box(20, 0, 21, 1)])
    box = shapely.box(30, 0, 40, 10)
    holes2 = shapely.Polygon(
        box.exterior.coords, [[(31, 1), (32, 1), (32, 2)], [(35, 5), (36, 5), (36, 6), (35, 6)]]
    )
    mixed = shapely.MultiPolygon([tri, holes2, holed])
    got = maps._ragged(np.array([mixed, rect], dtype=object))
    # rings of 4 (tri), 5 + 4 + 5 (holes2), 5 + 4 (holed), 5 (rect) vertices
    assert np.diff(got[1]).tolist() == [4, 5, 4, 5, 5, 4, 5]
    assert got[2].tolist() == [0, 1, 4, 6, 7] and got[3].tolist() == [0, 3, 4]
    coords, ring_off, poly_off, geom_off = maps._ragged(np.array([rect, tri]))
    # 5 + 4 stored vertices (closing ones included), one ring per polygon per feature
    assert coords.tolist()[:5] == [[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]
    assert ring_off.tolist() == [0, 5, 9]
    assert poly_off.tolist() == geom_off.tolist() == [0, 1, 2]
    for geoms in (
        [rect, tri],
        [holed, tri],
        [rect, two],
        [holed, two, tri],
        [mixed, holes2, rect],
        [holed, shapely.Polygon(), tri],
    ):
        arr = np.array(geoms, dtype=object)
        kind, want_coords, offsets = shapely.to_ragged_array(arr)
        got = maps._ragged(arr)
        assert np.array_equal(got[0], want_coords)
        if kind == shapely.GeometryType.POLYGON:
            want = (*offsets, np.arange(len(arr) + 1))
        else:
            want = offsets
        for g, w in zip(got[1:], want, strict=True):
            assert g.tolist() == w.tolist()


def test_parcels_converted_once_give_the_same_maps(audit):
    # _drawable is element by element: the rows of the whole table's conversion are the
    # conversion of those rows alone, so a town map built from them is the same page
    parcels, blocks = audit["parcels"], audit["blocks"]
    every = maps._drawable(parcels.geometry, system="gcj02", simplify=0.1)
    rows = np.array([0, 2, 3])
    alone = maps._drawable(parcels.geometry.iloc[rows], system="gcj02", simplify=0.1)
    assert (shapely.to_wkb(every[rows]) == shapely.to_wkb(alone)).all()
    town = (parcels["town"] == "东亭街道").to_numpy()
    options = {"zones": audit["zones"], "audit_date": "2026-05-01", "basemap": "amap"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        one = maps._build_map(
            audit["parks"],
            parcels[town],
            blocks=blocks,
            parcel_lonlat=maps._drawable(parcels.geometry, system="gcj02", simplify=0.1)[town],
            block_lonlat=maps._drawable(blocks.geometry, system="gcj02", simplify=0.1),
            **options,
        )
        each = build_map(audit["parks"], parcels[town], blocks=blocks, **options)
    got, want = payload(render_map(one)), payload(render_map(each))
    assert sum(i["geom"]["count"] for i in got["parcels"]) == int(town.sum()) > 0
    assert got == want


def test_page_rendered_without_its_data_then_filled_is_the_whole_page(audit, tmp_path):
    # render_map renders the page with a mark where the data goes and puts the data in
    # once: the same text as folium's own rendering of the whole page, data included
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        m = build_map(audit["parks"], audit["parcels"], title=BREAKOUT, note=XSS)
    overlay = next(c for c in m._children.values() if isinstance(c, maps._Overlays))
    text = render_map(m)
    assert overlay.mark not in text and not overlay.deferred
    assert text == m.get_root().render()
    assert payload(text)["title"] == BREAKOUT  # text from the data stays data
    assert text.count("<script") == text.count("</script>")
    # write_map writes the data as bytes, never decoded: the same bytes as the text
    written = write_map(m, tmp_path / "m.html").read_bytes()
    masked = re.compile(rb"[0-9a-f]{32}")  # folium's element IDs differ from render to render
    assert masked.sub(b"ID", written) == masked.sub(b"ID", text.encode("utf-8"))
    assert "中" in text or "·" in text  # text beyond ASCII, written as UTF-8


def test_label_points_rounded_as_python_rounds():
    # 6 decimals: 120.1234565 -> 120.123457, 120.0000004 -> 120.0, 31.0000006 -> 31.000001
    pts = shapely.points([[120.1234565, 31.5], [120.0000004, 31.0000006]])
    assert maps._label_points(pts, 6) == [[120.123457, 31.5], [120.0, 31.000001]]
    assert maps._label_points(pts, 6) == [[round(p.x, 6), round(p.y, 6)] for p in pts]
    assert maps._label_points(np.array([], dtype=object), 6) == []


_zero_cell = st.one_of(_cell, st.sampled_from([0.0, -0.0, -0.04, 0.04]))


@given(
    st.lists(_zero_cell, min_size=1, max_size=12),
    st.sampled_from([None, 0, 1, 2]),
    st.lists(st.integers(0, 11), max_size=12),
)
def test_columns_worked_out_once_then_taken_by_rows(cells, decimals, picks):
    # a layer's rows encoded from the columns worked out once are the rows encoded alone,
    # also with 0.0 and -0.0 (-0.04 rounds to -0.0) in one column
    df = pd.DataFrame({"c": pd.Series(cells, dtype=object)})
    if decimals is not None:
        numbers = [v if isinstance(v, int | float) else None for v in cells]
        df["c"] = pd.to_numeric(pd.Series(numbers, dtype=object))
    rows = np.array([i % len(cells) for i in picks], dtype=np.int64)
    spec = {"c": decimals, "absent": None}
    got = _plain(maps._encode_rows(df, spec, maps._column_codes(df, spec), rows))
    want = _plain(maps._encode_columns(df.iloc[rows], spec))
    assert json.dumps(got) == json.dumps(want)


def test_columns_worked_out_once_by_hand():
    # rows 3, 1, 3, 3, 3 of "a b a c": 2 distinct texts of 5 rows, a dictionary of the
    # layer's own order (c first, then b), not the column's (a, b, c)
    df = pd.DataFrame({"t": ["a", "b", "a", "c"], "n": [0.04, -0.04, 1.0, 2.0]})
    spec = {"t": None, "n": 1}
    coded = maps._column_codes(df, spec)
    assert coded["n"] is None  # 0.0 and -0.0 after rounding: worked out per set of rows
    rows = np.array([3, 1, 3, 3, 3])
    got = _plain(maps._encode_rows(df, spec, coded, rows))
    assert got == {
        "t": {"d": ["c", "b", None], "i": [0, 1, 0, 0, 0]},
        "n": {"d": [2.0, -0.0, None], "i": [0, 1, 0, 0, 0]},
    }
    assert json.dumps(got) == json.dumps(_plain(maps._encode_columns(df.iloc[rows], spec)))


def _spy_drawable(monkeypatch):
    """The rows each call of maps._drawable converts (a list of row counts)."""
    real, calls = maps._drawable, []

    def spy(geoms, **kw):
        calls.append(len(geoms))
        return real(geoms, **kw)

    monkeypatch.setattr(maps, "_drawable", spy)
    return calls


def _wkb(geoms):
    return [None if g is None else shapely.to_wkb(g) for g in geoms]


@pytest.mark.parametrize(("system", "simplify"), [("wgs84", 0.1), ("gcj02", 0.0), ("gcj02", 5.0)])
def test_parcels_drawn_ahead_are_taken_by_identity_and_the_rest_converted(
    monkeypatch, system, simplify
):
    # four parcels read; the "audit" keeps P0 and P1 as they are (the same objects), makes
    # P2 a multipolygon of its one polygon (as AuditResult does in a layer mixing both)
    # and moves P3 by 1 m (another geometry). Row for row, the drawing is taken for P0, P1
    # and P2 (made multi when not simplified: GEOS simplifies a one-part multipolygon to
    # its polygon) and only P3 is converted: 1 row; the pages would be the same
    read = gpd.GeoSeries(
        [
            box(0, 0, 100, 100),
            shapely.Polygon([(X0, Y0), (X0 + 50, Y0 + 0.02), (X0 + 100, Y0), (X0, Y0 + 80)]),
            box(200, 0, 300, 100),
            box(400, 0, 500, 100),
        ],
        crs="EPSG:4549",
    )
    drawing = maps.draw_parcels(
        gpd.GeoDataFrame(geometry=read),
        basemap="amap" if system == "gcj02" else "osm",
        simplify=simplify,
    )
    assert drawing.system == system and drawing.simplify == simplify
    kept = read.array
    audited = gpd.GeoSeries(
        [
            kept[0],
            kept[1],
            shapely.MultiPolygon([kept[2]]),
            shapely.box(X0 + 401, Y0, X0 + 501, Y0 + 100),
        ],
        crs="EPSG:4549",
    )
    calls = _spy_drawable(monkeypatch)
    got = maps._parcels_drawable(audited, system=system, simplify=simplify, drawing=drawing)
    assert calls == [1]
    monkeypatch.undo()
    assert _wkb(got) == _wkb(maps._drawable(audited, system=system, simplify=simplify))
    # rows in another order, and one more (P4): P0 and P1 found by their identities; P2
    # (not the object drawn, its row unknown), P3 and P4 converted: 3 rows
    more = pd.concat([audited, gpd.GeoSeries([box(600, 0, 700, 100)], crs=4549)])
    for geoms, converted in ((audited.iloc[::-1], [2]), (more.iloc[::-1], [3])):
        calls = _spy_drawable(monkeypatch)
        got = maps._parcels_drawable(geoms, system=system, simplify=simplify, drawing=drawing)
        assert calls == converted
        monkeypatch.undo()
        assert _wkb(got) == _wkb(maps._drawable(geoms, system=system, simplify=simplify))


def test_a_drawing_made_otherwise_is_not_used(monkeypatch):
    # another system, another tolerance or another CRS: every row converted here, as if
    # there were no drawing (the same objects would give other polygons)
    parcels = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=4549)
    drawing = maps.draw_parcels(parcels, basemap="osm", simplify=0.1)
    other_crs = parcels.geometry.set_crs(4547, allow_override=True)
    for geoms, system, simplify in (
        (parcels.geometry, "gcj02", 0.1),
        (parcels.geometry, "wgs84", 0.5),
        (other_crs, "wgs84", 0.1),
    ):
        calls = _spy_drawable(monkeypatch)
        got = maps._parcels_drawable(geoms, system=system, simplify=simplify, drawing=drawing)
        assert calls == [2]
        monkeypatch.undo()
        assert _wkb(got) == _wkb(maps._drawable(geoms, system=system, simplify=simplify))


def _map_data(folder):
    return {
        p.relative_to(folder).as_posix(): payload(p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.html"))
    }


def test_write_maps_with_a_drawing_a_failed_one_or_none_writes_the_same_maps(
    audit, tmp_path, monkeypatch
):
    from xsland._threads import Ahead

    result = _result(audit)
    options = {"audit_date": "2026-05-01", "basemap": "amap"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        write_maps(result, tmp_path / "none", **options)
        ahead = maps.draw_parcels(audit["parcels"], basemap="amap", part=3)
        ahead.drawable()  # parts of 3, 3 and 1 parcels, converted before the spy
        calls = _spy_drawable(monkeypatch)
        write_maps(result, tmp_path / "ahead", parcel_drawing=ahead, **options)
        assert calls == [1]  # the one block; no parcel converted: all 7 drawn ahead

        def broken(part):
            raise RuntimeError("the drawing thread broke")

        failed = maps.ParcelDrawing(
            crs=ahead.crs,
            system=ahead.system,
            simplify=ahead.simplify,
            source=ahead.source,
            parts=Ahead(broken, [1, 2]),
        )
        calls.clear()
        write_maps(result, tmp_path / "failed", parcel_drawing=failed, **options)
        assert calls == [7, 1]  # every parcel converted here, as without a drawing
    want = _map_data(tmp_path / "none")
    assert len(want) == 3  # map.html and the two towns' maps
    assert _map_data(tmp_path / "ahead") == want
    assert _map_data(tmp_path / "failed") == want


@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(
                " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000\u200b\ufeffa东"
            )
        )
        | st.text()
    )
)
def test_not_blank_is_strip_leaving_something(words):
    # every kind of white space Unicode knows (and two that are not: U+200B, U+FEFF)
    arr = np.array(words, dtype=object)
    assert maps._not_blank(arr).tolist() == [bool(w.strip()) for w in words]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(np.nan),
            st.integers(0, 2),
            st.sampled_from(["东亭", " 东亭 ", "", " ", "安镇"]),
        ),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(["东亭", "安镇", "1", "2"]),
)
def test_block_towns_worked_out_once_are_each_blocks_town(towns, town):
    # the mask of a town's blocks from _block_keys (each distinct text once) is the
    # definition: each block's own _town compared with the town
    blocks = gpd.GeoDataFrame(
        {"block_id": [f"B{i}" for i in range(len(towns))], "town": pd.Series(towns, dtype=object)},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(towns))],
        crs=4549,
    )
    want = (blocks["town"].map(maps._town) == town).to_numpy(dtype=bool)
    keys = maps._block_keys(blocks)
    assert maps._town_blocks(blocks, blocks.iloc[:0], town, keys=keys).tolist() == want.tolist()
    # without a town column: by block_id, the same with keys worked out once
    no_town = blocks.drop(columns="town")
    members = gpd.GeoDataFrame({"block_id": ["B0", None]}, geometry=[box(0, 0, 1, 1)] * 2, crs=4549)
    got = maps._town_blocks(no_town, members, town, keys=maps._block_keys(no_town))
    assert got.tolist() == [i == 0 for i in range(len(towns))]


@given(st.lists(st.integers(0, 6), max_size=10))
def test_a_parcels_status_is_of_its_own_row(audit, rows):
    # _parcel_payload takes the statuses of the rows it keeps from those of all rows:
    # the status of any set of rows is theirs in the whole table
    parcels = audit["parcels"].assign(category=audit["parcels"]["category"].astype(object))
    parcels.loc[parcels.index[1], "category"] = "other"  # non-industrial land too
    full = parcel_status(parcels).to_numpy()
    assert parcel_status(parcels.iloc[rows]).tolist() == full[rows].tolist()


def test_block_columns_worked_out_once_give_each_maps_blocks_alike():
    # four blocks; a map of rows 3, 1 and 0 (an empty block left out, then ordered by
    # kind and area) from the columns of all four worked out once: the same payload
    blocks = gpd.GeoDataFrame(
        {
            "block_id": ["B1", "B2", "B3", "B4"],
            "area_mu": [15.0, 40.0, 3.0, 40.0],
            "n_parcels": [2, 3, 1, 3],
            "route": ["连片改造", "收储", None, "收储"],
            "far": [0.5, -0.0, 0.0, 1.25],
            "below_threshold": [False, False, True, False],
        },
        geometry=[box(505, 5, 615, 115), box(0, 0, 50, 50), shapely.Polygon(), box(90, 0, 99, 9)],
        crs="EPSG:4549",
    )
    rows = np.array([3, 1, 0, 2])
    kw = {"system": "wgs84", "simplify": 0.1, "precision": 6, "min_mu": 15.0}
    want = maps._blocks_payload(blocks.iloc[rows], **kw)[1]
    frame, coded = maps._block_columns(blocks)
    got = maps._blocks_payload(blocks.iloc[rows], columns=(frame, coded, rows), **kw)[1]
    assert json_for_html(got) == json_for_html(want)
    props = got["layer"]["props"]
    assert props["block_id"] == {"v": ["B4", "B2", "B1"]}  # major, largest first
    assert props["kind"] == {"k": "major"}


def test_supply_legend_counts_each_status_whatever_the_column_type():
    # the same counts from text as Python objects, as Arrow text and as categories;
    # a missing status is not counted, a status no parcel has counts 0
    values = ["built", "idle", "built", None, "built"]
    for dtype in (object, "string[pyarrow]", "category"):
        parcels = pd.DataFrame({"supply_status": pd.Series(values, dtype=dtype)})
        legend = {d["key"]: d["count"] for d in maps._supply_legend(parcels)}
        assert legend["built"] == 3 and legend["idle"] == 1
        assert sum(legend.values()) == 4 and set(legend) == set(maps.SUPPLY_STYLES)
    assert maps._supply_legend(pd.DataFrame({"x": [1]})) is None


def test_drawn_geometries_are_those_of_simplifying_every_one():
    # the maps simplify only what simplify may change (convex rings whose every vertex is
    # farther than the tolerance from its neighbours' line are kept as they are): the
    # drawing equals simplify-then-reproject of every geometry, vertex for vertex — a box,
    # a box with a vertex 0.05 m off its edge (dropped at 0.1 m), an L, a box with a hole,
    # two boxes
    x0, y0 = 535_000.0, 3_496_000.0
    box = shapely.box(x0, y0, x0 + 100, y0 + 50)
    near = shapely.Polygon(
        [(x0, y0), (x0 + 50, y0 - 0.05), (x0 + 100, y0), (x0 + 100, y0 + 50), (x0, y0 + 50)]
    )
    ell = shapely.Polygon(
        [
            (x0, y0),
            (x0 + 20, y0),
            (x0 + 20, y0 + 10),
            (x0 + 10, y0 + 10),
            (x0 + 10, y0 + 20),
            (x0, y0 + 20),
        ]
    )
    holed = shapely.Polygon(
        box.exterior.coords, [[(x0 + 10, y0 + 10), (x0 + 20, y0 + 10), (x0 + 20, y0 + 20)]]
    )
    two = shapely.MultiPolygon([box, shapely.box(x0 + 200, y0, x0 + 300, y0 + 50)])
    g = gpd.GeoSeries([box, near, ell, holed, two], crs="EPSG:4549")
    got = maps._lonlat(g, system="wgs84", simplify=0.1)
    want = gpd.GeoSeries(shapely.simplify(g.values, 0.1, preserve_topology=True), crs=g.crs)
    want = want.to_crs("EPSG:4326").to_numpy()
    assert shapely.equals_exact(got, want, tolerance=0).all()
    assert shapely.get_num_coordinates(got).tolist() == [5, 5, 7, 9, 10]
