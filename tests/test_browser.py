"""The demo maps in a real browser (Debian's Chromium via Playwright), with the network cut.

Every http(s) request is aborted: the maps must load with no JavaScript error, show every
parcel of ``audit.gpkg``, show a parcel's ID when hovered, run nothing an attribute holds,
and, on 高德, put each vertex at the GCJ-02 position of the stored one. Screenshots of the
all-parks map and of one town are kept in the test's temporary folder and copied to
``/tmp/xsland-screens/``.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from xsland.read.crs import wgs84_to_gcj02
from xsland.result import AuditResult
from xsland.write.maps import BasemapWarning, build_map, write_map, write_maps

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path("/tmp/xsland-screens")
XSS = "<img src=x onerror=alert(1)>"
BLOCK = "<i>B1</i>"
TOWN = "东亭街道"


@pytest.fixture(scope="module")
def demo(sample, demo_audit, tmp_path_factory):
    """The demo audit, its maps (OSM) and an all-parks map on 高德."""
    root = tmp_path_factory.mktemp("browser")
    out = demo_audit[0]
    zones = gpd.read_file(sample.gpkg, layer="parks")  # the park zones (core / expansion)
    parcels = gpd.read_file(out / "audit.gpkg", layer="parcels")
    parks = gpd.read_file(out / "audit.gpkg", layer="parks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BasemapWarning)
        written = write_maps(AuditResult.read(out), out, zones=zones)
        amap = write_map(
            build_map(
                parks, parcels, zones=zones, basemap="amap", title="高德", audit_date="2026-01-01"
            ),
            root / "amap.html",
        )
        # one town whose parcels all belong to an owner called like an XSS payload
        town_ids = parks.loc[parks["town"] == TOWN, "park_id"]
        evil = parcels[parcels["park_id"].isin(town_ids)].assign(owner=XSS, block_id=None)
        evil.loc[evil.index[:3], "block_id"] = BLOCK
        blocks = gpd.GeoDataFrame(
            {"block_id": [BLOCK], "area_mu": [12.3], "route_zh": [XSS]},
            geometry=[evil.geometry.iloc[:3].union_all()],
            crs=evil.crs,
        )
        xss = write_map(
            build_map(
                parks[parks["town"] == TOWN],
                evil,
                blocks=blocks,
                title=XSS,
                audit_date="2026-01-01",
            ),
            root / "xss.html",
        )
    return {
        "root": root,
        "out": out,
        "written": written,
        "parcels": parcels,
        "parks": parks,
        "amap": amap,
        "xss": xss,
    }


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Chromium context whose every http(s) request is aborted (and recorded)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install chromium); Playwright's own browser download is not used"
        )
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        context.route("**/*", route)
        yield context, blocked
        context.close()


class Page:
    """A page with its JavaScript errors and console errors recorded."""

    def __init__(self, context, path: Path, *, width: int | None = None):
        self.page = context.new_page()
        if width is not None:
            self.page.set_viewport_size({"width": width, "height": 844})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", self._console)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.xsland && window.xsland.ready")

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        # the aborted tile requests are logged as failed resources: expected offline
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and url.startswith(("http:", "https:")):
            return
        self.errors.append(f"console error: {msg.text} ({url})")

    def screenshot(self, tmp_path: Path, name: str) -> Path:
        path = tmp_path / name
        self.page.screenshot(path=str(path))
        SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, SCREENS / name)
        return path


def _interior_point(parcels: gpd.GeoDataFrame) -> tuple[str, float, float]:
    """A parcel and a point inside it that lies in no other parcel (lon, lat)."""
    geoms = parcels.geometry.values
    tree = shapely.STRtree(geoms)
    for i in np.argsort(-parcels.area.to_numpy()):
        pt = shapely.point_on_surface(geoms[i])
        if len(tree.query(pt, predicate="intersects")) == 1:
            lonlat = gpd.GeoSeries([pt], crs=parcels.crs).to_crs(4326).iloc[0]
            return str(parcels["parcel_id"].iloc[i]), lonlat.x, lonlat.y
    raise AssertionError("no parcel without overlaps")


def _hover(page, lon: float, lat: float) -> str:
    """Zoom on (lon, lat), move the mouse there and return the tooltip's text."""
    page.evaluate(
        """([lat, lon]) => new Promise(done => {
             const m = window.xsland.map;
             m.removeLayer(window.xsland.labels);
             m.once('moveend', () => requestAnimationFrame(() => done()));
             m.setView([lat, lon], 18, {animate: false});
           })""",
        [lat, lon],
    )
    x, y = page.evaluate(
        """([lat, lon]) => {
             const m = window.xsland.map, p = m.latLngToContainerPoint([lat, lon]);
             const r = m.getContainer().getBoundingClientRect();
             return [r.left + p.x, r.top + p.y];
           }""",
        [lat, lon],
    )
    page.mouse.move(5, 890)
    page.mouse.move(x - 2, y - 2)
    page.mouse.move(x, y, steps=3)
    tooltip = page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    return tooltip.inner_text()


def test_demo_map_offline_every_parcel_and_tooltip(demo, browser, tmp_path):
    context, blocked = browser
    blocked.clear()
    p = Page(context, demo["out"] / "map.html")
    page = p.page
    assert page.locator(".leaflet-container").count() == 1
    assert page.evaluate("window.xsland.parcelCount()") == len(demo["parcels"])
    title = page.locator(".xs-title").inner_text()
    assert "全部园区" in title and "审计日期" in title
    assert page.locator(".xs-legend").inner_text().count("容积率") >= 3
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".xs-fullscreen").count() == 1
    assert page.locator(".leaflet-control-layers").count() == 1
    page.wait_for_timeout(300)
    p.screenshot(tmp_path, "demo-all-parks.png")
    # only the starting basemap asked for tiles (and was refused)
    hosts = {u.split("/")[2] for u in blocked}
    assert hosts == {"tile.openstreetmap.org"}, hosts

    parcel_id, lon, lat = _interior_point(demo["parcels"])
    text = _hover(page, lon, lat)
    assert parcel_id in text
    page.mouse.click(*page.evaluate(
        """([lat, lon]) => {
             const m = window.xsland.map, p = m.latLngToContainerPoint([lat, lon]);
             const r = m.getContainer().getBoundingClientRect();
             return [r.left + p.x, r.top + p.y];
           }""",
        [lat, lon],
    ))  # fmt: skip
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
    assert f"地块 {parcel_id}" in popup and "亩" in popup and "容积率" in popup
    assert p.errors == []


def test_town_map(demo, browser, tmp_path):
    context, _ = browser
    path = demo["out"] / "maps" / f"{TOWN}.html"
    assert path in demo["written"]
    p = Page(context, path)
    ids = demo["parks"].loc[demo["parks"]["town"] == TOWN, "park_id"]
    parcels = demo["parcels"]
    expected = parcels["park_id"].isin(ids) | (
        parcels["park_id"].isna() & (parcels["town"] == TOWN)
    )
    assert p.page.evaluate("window.xsland.parcelCount()") == int(expected.sum())
    assert TOWN in p.page.locator(".xs-title").inner_text()
    p.page.wait_for_timeout(300)
    p.screenshot(tmp_path, f"demo-town-{TOWN}.png")
    assert p.errors == []


def test_attribute_text_runs_nothing(demo, browser):
    context, _ = browser
    p = Page(context, demo["xss"])
    page = p.page
    assert page.locator(".xs-title-main").inner_text() == XSS
    parcels = demo["parcels"]
    town_ids = demo["parks"].loc[demo["parks"]["town"] == TOWN, "park_id"]
    _, lon, lat = _interior_point(parcels[parcels["park_id"].isin(town_ids)])
    _hover(page, lon, lat)
    x, y = page.evaluate(
        """([lat, lon]) => {
             const m = window.xsland.map, p = m.latLngToContainerPoint([lat, lon]);
             const r = m.getContainer().getBoundingClientRect();
             return [r.left + p.x, r.top + p.y];
           }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    assert XSS in popup.inner_text()  # shown as text
    assert popup.query_selector("img") is None
    # the block: outlined, labelled with its ID as text, its popup on a click of the label
    page.evaluate(
        "window.xsland.map.closePopup(); window.xsland.map.fitBounds("
        "window.xsland.blocks.getLayers()[0].getBounds(), {animate: false}); 0"
    )
    label = page.wait_for_selector(".xs-block-label", timeout=5000)
    assert label.inner_text() == f"{BLOCK} · 12.3 亩"
    assert label.query_selector("i") is None
    label.click()
    popup = page.locator(".leaflet-popup-content", has_text="连片地块")  # the parcel's fades out
    popup.wait_for(timeout=5000)
    assert f"连片地块 {BLOCK}" in popup.inner_text() and XSS in popup.inner_text()
    assert page.locator("img[src='x']").count() == 0 and page.locator("i").count() == 0
    page.wait_for_timeout(200)
    assert p.dialogs == [] and p.errors == []


def test_amap_vertices_are_gcj02(demo, browser):
    context, blocked = browser
    blocked.clear()
    p = Page(context, demo["amap"])
    parcels = demo["parcels"]
    pid = str(parcels["parcel_id"].iloc[0])
    feature = p.page.evaluate(
        """(pid) => {
             for (const layer of Object.values(window.xsland.parcels)) {
               for (const f of layer.toGeoJSON().features) {
                 if (f.properties.parcel_id === pid) { return f; }
               }
             }
             return null;
           }""",
        pid,
    )
    assert feature is not None
    page_xy = np.array(shapely.get_coordinates(shapely.geometry.shape(feature["geometry"])))
    stored = shapely.get_coordinates(parcels.iloc[[0]].to_crs(4326).geometry.iloc[0])
    gx, gy = wgs84_to_gcj02(stored[:, 0], stored[:, 1])
    gcj = np.column_stack([gx, gy])
    # every vertex on the page is the GCJ-02 conversion of a stored vertex (to 1e-6 degree)
    dist = np.abs(page_xy[:, None, :] - gcj[None, :, :]).max(axis=2).min(axis=1)
    assert dist.max() <= 1e-6
    assert np.abs(page_xy[:, None, :] - stored[None, :, :]).max(axis=2).min() > 1e-3
    assert p.page.evaluate("window.xsland.system") == "gcj02"
    hosts = {u.split("/")[2] for u in blocked}
    assert hosts and all(h.endswith(".is.autonavi.com") for h in hosts), hosts
    assert p.errors == []


def test_supply_status_switch_recolours_the_parcels(demo, browser, tmp_path):
    from xsland.write.maps import STATUSES, SUPPLY_STYLES

    context, _ = browser
    p = Page(context, demo["out"] / "map.html")
    page = p.page
    legend = page.locator(".xs-supply-legend")
    assert legend.count() == 1 and not legend.is_visible()
    fills = """() => {
        const out = {};
        for (const key in window.xsland.parcels) {
          window.xsland.parcels[key].eachLayer(l => {
            const s = l.feature.properties.supply_status;
            (out[s] = out[s] || new Set()).add(l.options.fillColor);
          });
        }
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
      }"""
    page.evaluate("() => { window.xsland.map.addLayer(window.xsland.supply); return 1; }")
    on = page.evaluate(fills)
    counts = demo["parcels"]["supply_status"].value_counts()
    assert set(on) == set(counts.index)
    for status, colours in on.items():
        assert colours == [SUPPLY_STYLES[status][1]], status  # one colour per status
    assert legend.is_visible() and "批供用状态" in legend.inner_text()
    assert "闲置" in legend.inner_text()
    p.screenshot(tmp_path, "demo-supply-status.png")
    page.evaluate("() => { window.xsland.map.removeLayer(window.xsland.supply); return 1; }")
    off = {c for colours in page.evaluate(fills).values() for c in colours}
    assert off <= {s.fill for s in STATUSES} and not legend.is_visible()


def _boxes(page, selector: str) -> list[dict]:
    """Bounding boxes of the visible elements matching ``selector`` (CSS pixels)."""
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel))
             .filter(el => el.offsetParent !== null && getComputedStyle(el).display !== 'none')
             .map(el => { const r = el.getBoundingClientRect();
                          return {l: r.left, t: r.top, r: r.right, b: r.bottom,
                                  text: el.textContent}; })""",
        selector,
    )


def _overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def _zoom(page, zoom: int) -> None:
    """Zoom to ``zoom`` and wait until the fonts are in and two frames are drawn."""
    page.evaluate(
        """(z) => new Promise(done => {
             const m = window.xsland.map;
             // settled: the fonts are in and the labels stay put for three frames (at most 3 s)
             const snap = () => JSON.stringify(Array.from(document.querySelectorAll('.xs-label'))
               .map(e => [e.style.display, e.getBoundingClientRect().toJSON()]));
             const settle = () => document.fonts.ready.then(() => {
               let last = snap(), same = 0, start = performance.now();
               const tick = () => {
                 const now = snap();
                 same = now === last ? same + 1 : 0;
                 last = now;
                 if (same >= 3 || performance.now() - start > 3000) { done(); }
                 else { requestAnimationFrame(tick); }
               };
               requestAnimationFrame(tick);
             });
             if (m.getZoom() === z) { settle(); return; }
             m.once('moveend', settle);
             m.setZoom(z, {animate: false});
           })""",
        zoom,
    )


def test_search_box_finds_parcels_owners_and_blocks(demo, browser, tmp_path):
    context, _ = browser
    p = Page(context, demo["out"] / "maps" / f"{TOWN}.html")
    page = p.page
    ids = demo["parks"].loc[demo["parks"]["town"] == TOWN, "park_id"]
    town = demo["parcels"][demo["parcels"]["park_id"].isin(ids)].sort_values("parcel_id")
    row = town.iloc[len(town) // 2]
    pid = str(row["parcel_id"])
    # start zoomed out, so that the search has to zoom in (a small town fits at 15); the
    # page may still be fitting its first view, so set the zoom until it stays
    for _ in range(10):
        page.evaluate("() => { window.xsland.map.setZoom(12, {animate: false}); }")
        page.wait_for_timeout(300)
        zoom0 = page.evaluate("window.xsland.map.getZoom()")
        if zoom0 <= 12:
            break
    assert zoom0 <= 12
    box = page.locator(".xs-search-input")
    box.fill(f"  {pid.lower()} ")  # any case, stray spaces
    first = page.locator(".xs-search-item").first
    assert first.inner_text().startswith(f"地块 {pid}")
    box.press("Enter")
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
    assert f"地块 {pid}" in popup
    # zoomed in on the parcel: the whole parcel in view, at street level
    w, s, e, n = town.loc[[row.name]].to_crs(4326).total_bounds
    view = page.evaluate(
        "(() => { const b = window.xsland.map.getBounds(); return [b.getWest(), b.getSouth(),"
        " b.getEast(), b.getNorth(), window.xsland.map.getZoom()]; })()"
    )
    assert view[0] <= w and view[1] <= s and view[2] >= e and view[3] >= n
    assert view[4] >= 15 and view[4] > zoom0  # street level; a large parcel fits at 15
    p.screenshot(tmp_path, "demo-search-parcel.png")
    # an owner: every parcel of that owner in this town is listed
    owner = str(row["owner"])
    box.fill(owner)
    listed = page.locator(".xs-search-item").all_inner_texts()
    mine = town.loc[town["owner"] == owner, "parcel_id"].astype(str)
    assert {t.split(" · ")[0] for t in listed} >= {f"地块 {i}" for i in mine}
    # a block, from its ID, opens the block's popup
    blocks = gpd.read_file(demo["out"] / "audit.gpkg", layer="blocks")
    bid = str(blocks.loc[blocks["park_id"].isin(ids), "block_id"].iloc[0])
    box.fill(bid)
    page.locator(".xs-search-item", has_text=f"连片 {bid}").first.click()
    popup = page.locator(".leaflet-popup-content", has_text=f"连片地块 {bid}")
    popup.wait_for(timeout=5000)
    box.fill("no such parcel ∅")
    assert page.locator(".xs-search-none").inner_text() == "未找到"
    assert p.errors == []


def test_search_results_are_text(demo, browser):
    context, _ = browser
    p = Page(context, demo["xss"])
    page = p.page
    page.locator(".xs-search-input").fill("<img")
    items = page.locator(".xs-search-item")
    assert items.count() > 0 and XSS in items.first.inner_text()
    assert page.locator(".xs-search img").count() == 0 and page.locator("img[src='x']").count() == 0
    page.locator(".xs-search-input").press("Enter")
    page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    page.wait_for_timeout(200)
    assert page.locator("img[src='x']").count() == 0 and p.dialogs == [] and p.errors == []


@pytest.mark.parametrize("which", ["map.html", f"maps/{TOWN}.html"])
def test_phone_width_nothing_overlaps(demo, browser, tmp_path, which):
    """At 390 px: labels never overlap; title, search box and buttons do not cover each other."""
    context, _ = browser
    p = Page(context, demo["out"] / which, width=390)  # opened on a phone
    page = p.page
    title = page.locator(".xs-title").inner_text()
    meta = gpd.read_file(demo["out"] / "audit.gpkg", layer="meta")
    as_of = dict(zip(meta["key"], meta["value"], strict=True))["as_of"]
    assert f"闲置土地认定基准日：{as_of}" in title and "审计日期：" in title
    zoom0 = page.evaluate("window.xsland.map.getZoom()")
    most = 0
    for zoom in range(zoom0, zoom0 + 5):
        _zoom(page, zoom)
        labels = _boxes(page, ".xs-label")
        most = max(most, len(labels))
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not _overlap(a, b), (zoom, a["text"], b["text"])
        if zoom == zoom0 + 2:
            p.screenshot(tmp_path, f"phone-{Path(which).stem}.png")
    assert most >= 3  # labels were shown, and checked
    # the title spans the top; no control sits under it; the legend starts folded
    boxes = {
        name: _boxes(page, sel)
        for name, sel in {
            "title": ".xs-title",
            "zoom": ".leaflet-control-zoom",
            "search": ".xs-search",
            "fullscreen": ".xs-fullscreen",
            "layers": ".leaflet-control-layers",
            "legend": ".xs-legend",
        }.items()
    }
    assert all(len(v) == 1 for v in boxes.values()), boxes
    for name, (b,) in boxes.items():
        assert b["l"] >= 0 and b["r"] <= 390, name
        if name != "title":
            assert not _overlap(boxes["title"][0], b), name
    assert page.locator(".xs-legend-body").is_hidden()
    page.locator(".xs-legend-toggle").click()
    assert page.locator(".xs-legend-body").is_visible()
    # turned to a wide screen: the title goes back to the centre, the controls up
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_timeout(300)
    (t,) = _boxes(page, ".xs-title")
    (z,) = _boxes(page, ".leaflet-control-zoom")
    assert t["l"] > 300 and z["t"] < 20
    assert p.errors == []
