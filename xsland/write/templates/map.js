(function () {
  "use strict";
  var map = __MAP__;
  var D = JSON.parse(document.getElementById(__DATA_ID__).textContent);
  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(v) {
    if (v === null || v === undefined) { return ""; }
    return String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  var FORMATS = {};
  function fmt(v, digits) {
    if (typeof v !== "number" || !isFinite(v)) { return "—"; }
    var f = FORMATS[digits] || (FORMATS[digits] = new Intl.NumberFormat(
      "zh-CN", {minimumFractionDigits: digits, maximumFractionDigits: digits}));
    return f.format(v);
  }
  // delta-encoded integer coordinates -> per feature: rings of L.LatLng (Polygon) or
  // polygons of rings (MultiPolygon), as L.Polygon takes them
  function decode(g) {
    var c = g.c, s = g.s, n = g.n, p = g.p, k = g.g, count = g.count;
    var x = 0, y = 0, ci = 0, ri = 0, pi = 0, out = new Array(count);
    for (var f = 0; f < count; f++) {
      var np = k ? k[f] : 1, polys = new Array(np);
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var a = 0; a < np; a++) {
        var nr = p ? p[pi] : 1, rings = new Array(nr);
        pi++;
        for (var b = 0; b < nr; b++) {
          var m = n[ri++], ring = new Array(m);
          for (var v = 0; v < m; v++) {
            x += c[ci++]; y += c[ci++];
            if (x < x0) { x0 = x; } if (x > x1) { x1 = x; }
            if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
            ring[v] = new L.LatLng(y / s, x / s);
          }
          rings[b] = ring;
        }
        polys[a] = rings;
      }
      var shape = np === 1 ? polys[0] : polys;
      shape.xsBounds = [y0 / s, x0 / s, y1 / s, x1 / s];
      out[f] = shape;
    }
    return out;
  }
  function properties(layer, extra) {
    var cols = layer.props, keys = Object.keys(cols), count = layer.geom.count;
    var out = new Array(count);
    for (var j = 0; j < count; j++) {
      var props = {};
      for (var q = 0; q < keys.length; q++) {
        var col = cols[keys[q]];
        props[keys[q]] = col.d ? col.d[col.i[j]] : (col.v ? col.v[j] : col.k);
      }
      if (extra) { for (var e in extra) { props[e] = extra[e]; } }
      out[j] = props;
    }
    return out;
  }
  // polygons whose rings come from decode(): already open rings of L.LatLng nested as
  // L.Polygon keeps them, with their bounds, so they are used as they are, not copied
  var DecodedPolygon = L.Polygon.extend({
    _setLatLngs: function (latlngs) {
      var b = latlngs.xsBounds;
      if (!b) { return L.Polygon.prototype._setLatLngs.call(this, latlngs); }
      this._bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
      this._latlngs = latlngs;
    }
  });
  // one L.GeoJSON layer of polygons built straight from the decoded rings (what addData
  // would make of GeoJSON features, without the intermediate objects): toGeoJSON(),
  // resetStyle() and the feature's properties work as usual
  function geoLayer(item, options, extra) {
    var shapes = decode(item.geom), props = properties(item, extra);
    var group = L.geoJSON(null, options);
    var style = typeof options.style === "function" ? null : options.style;
    // a fixed style lives on the prototype: no options object copied per polygon
    var Shape = DecodedPolygon.extend({options: L.extend({}, options, style || {})});
    for (var j = 0; j < shapes.length; j++) {
      var feature = {type: "Feature", properties: props[j], geometry: null};
      var poly = style ? new Shape(shapes[j])
                       : new Shape(shapes[j], L.extend({}, options, options.style(feature)));
      poly.feature = feature;
      poly.defaultOptions = poly.options;
      group.addLayer(poly);
    }
    return group;
  }
  // labels never overlap: every label on the map is measured after each move, and one
  // that overlaps a label of higher priority (park names, then blocks in the order of the
  // data: reportable ones first, largest first) is hidden until one zooms in
  // a label whose size changes after it was measured (a font that arrives late, a page
  // still being laid out) is measured again on the next frame
  var pending = false;
  function declutterSoon() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; declutter(); });
  }
  var sizes = window.ResizeObserver ? new ResizeObserver(declutterSoon) : null;
  function declutter() {
    var spans = Array.prototype.slice.call(map.getContainer().querySelectorAll(".xs-label"));
    spans.forEach(function (el) { el.style.display = ""; });
    var rects = spans.map(function (el) { return el.getBoundingClientRect(); });
    var order = spans.map(function (el, k) { return k; });
    order.sort(function (a, b) { return spans[a].xsPriority - spans[b].xsPriority || a - b; });
    var kept = [];
    order.forEach(function (k) {
      var r = rects[k];
      var hit = kept.some(function (b) {
        return r.left < b.right + 2 && r.right + 2 > b.left &&
               r.top < b.bottom + 2 && r.bottom + 2 > b.top;
      });
      if (hit) { spans[k].style.display = "none"; } else { kept.push(r); }
    });
  }
  // labels: DOM markers only for what is in view, at most `most` of them (the first in
  // the items' order), refreshed after each move; thousands of blocks cost nothing until
  // one zooms in on them
  var Labels = L.Layer.extend({
    initialize: function (items, most, priority) {
      this._items = items; this._most = most; this._priority = priority;
    },
    onAdd: function (m) { this._group = L.layerGroup().addTo(m); this._update(); },
    onRemove: function (m) { m.removeLayer(this._group); declutter(); },
    getEvents: function () { return {moveend: this._update}; },
    _update: function () {
      var m = this._map, group = this._group, bounds = m.getBounds(), shown = [];
      var base = this._priority;
      if (sizes) {
        group.eachLayer(function (mk) {
          var old = mk.getElement();
          if (old && old.firstChild) { sizes.unobserve(old.firstChild); }
        });
      }
      group.clearLayers();
      for (var i = 0; i < this._items.length && shown.length < this._most; i++) {
        if (bounds.contains(this._items[i].latlng)) { shown.push([i, this._items[i]]); }
      }
      shown.forEach(function (pair) {
        var it = pair[1];
        var marker = L.marker(it.latlng, {
          icon: L.divIcon({className: "xs-label-icon", html: "<span class='" + it.cls + "'>" +
                           (typeof it.html === "function" ? it.html() : it.html) + "</span>",
                           iconSize: null}),
          interactive: !!it.onclick, keyboard: false
        });
        if (it.onclick) { marker.on("click", it.onclick); }
        group.addLayer(marker);
        var el = marker.getElement();
        if (el && el.firstChild) {
          el.firstChild.xsPriority = base + pair[0];
          if (sizes) { sizes.observe(el.firstChild); }
        }
      });
      declutter();
    }
  });
  function row(label, valueHtml) {
    return "<tr><th>" + esc(label) + "</th><td>" + valueHtml + "</td></tr>";
  }
  var STATUS = {};
  D.statuses.forEach(function (s) { STATUS[s.key] = s; });
  var SUPPLY = {}, supplyOn = false;
  (D.supply || []).forEach(function (s) { SUPPLY[s.key] = s; });
  function supplyStyle(poly) {
    var s = SUPPLY[poly.feature.properties.supply_status] || SUPPLY.unknown;
    poly.setStyle({color: s.stroke, fillColor: s.fill, fillOpacity: 0.75});
  }
  var NARROW = 640;  // px: a phone's width
  var PARKS = D.parks.info, BLOCKS = {}, KINDS = {};
  if (D.blocks) { D.blocks.kinds.forEach(function (k) { KINDS[k.key] = k; }); }
  function blockStyle(halo) {
    return function (f) {
      var k = f.properties.kind;
      var name = k === "small" ? "block_small" : (k === "single" ? "block_single" : "block");
      return D.style[halo ? name + "_halo" : name];
    };
  }

  function parkName(id) { return PARKS[id] ? PARKS[id].name : id; }
  function mu(p) {
    return typeof p.area_mu === "number" ? p.area_mu :
      (typeof p.area_m2 === "number" ? p.area_m2 / D.m2PerMu : null);
  }
  function parcelTooltip(layer) {
    var p = layer.feature.properties, s = STATUS[p.status];
    return "<b>" + esc(p.parcel_id) + "</b> · " + esc(s.label) +
      (typeof mu(p) === "number" ? " · " + fmt(mu(p), 2) + " 亩" : "") +
      (p.park_id != null ? "<br>" + esc(parkName(p.park_id)) : "");
  }
  function parcelPopup(layer) {
    var p = layer.feature.properties, s = STATUS[p.status];
    var h = "<div class='xs-popup'><h3>地块 " + esc(p.parcel_id) + "</h3>" +
      "<div class='xs-status' style='border-color:" + esc(s.fill) + "'>" + esc(s.label) +
      "</div><table>";
    h += row("所属园区", p.park_id == null ? "园区外" :
      esc(parkName(p.park_id)) + "（" + esc(p.park_id) + "）" +
      (p.zone != null ? " · " + esc(D.zones[p.zone] || p.zone) : ""));
    if (p.category != null) { h += row("政策类别", esc(D.categories[p.category] || p.category)); }
    if (p.land_use != null) { h += row("用地分类", esc(p.land_use)); }
    h += row("用地面积", fmt(mu(p), 2) + " 亩" +
      (typeof p.area_m2 === "number" ? "（" + fmt(p.area_m2, 0) + " m²）" : ""));
    if ("floor_area" in p) {
      h += row("建筑面积", typeof p.floor_area === "number" ? fmt(p.floor_area, 0) + " m²" : "—");
    }
    h += row("容积率", fmt(p.far, 2) + "（下限 " +
      (typeof p.far_min === "number" ? fmt(p.far_min, 1) : "不适用") + "）");
    if ("coverage" in p) {
      h += row("建筑系数", typeof p.coverage === "number" ? fmt(p.coverage * 100, 1) + "%" : "—");
    }
    if (p.reasons_zh != null) { h += row("低效原因", esc(p.reasons_zh)); }
    if (p.lu_kinds != null) { h += row("低效类型", esc(p.lu_kinds)); }
    if (p.reasons_detail != null) { h += row("认定依据", esc(p.reasons_detail)); }
    if (p.block_id != null) {
      var b = BLOCKS[p.block_id];
      h += row("连片地块", esc(p.block_id) + (b ? "（" + fmt(b.area_mu, 1) + " 亩" +
        ((b.route_zh || b.route) ? "，" + esc(b.route_zh || b.route) : "") + "）" : ""));
    }
    if (p.owner != null) { h += row("权利人", esc(p.owner)); }
    if (p.enterprise_id != null) { h += row("企业编号", esc(p.enterprise_id)); }
    if (p.supply_status != null) {
      var ss = SUPPLY[p.supply_status];
      h += row("批供用状态", esc(ss ? ss.label : p.supply_status) +
        (p.supply_rule != null ? "（" + esc(p.supply_rule) + "）" : ""));
    }
    return h + "</table></div>";
  }
  function parkTooltip(layer) {
    var p = layer.feature.properties;
    return "<b>" + esc(parkName(p.park_id)) + "</b>" +
      (p.zone != null ? " · " + esc(D.zones[p.zone] || p.zone) : "");
  }
  function parkPopup(layer) {
    var p = layer.feature.properties, k = PARKS[p.park_id] || {};
    var h = "<div class='xs-popup'><h3>" + esc(k.name || p.park_id) + "</h3><table>";
    h += row("园区编号", esc(p.park_id));
    if (p.zone != null) { h += row("本范围", esc(D.zones[p.zone] || p.zone)); }
    h += row("所属镇街", esc(k.town || "—"));
    if (k.type) { h += row("园区类型", esc(k.type)); }
    if (k.industry) { h += row("主导产业", esc(k.industry)); }
    h += row("园区面积", fmt(k.area_mu, 1) + " 亩（" + fmt(k.area_km2, 3) + " km²）");
    if (typeof k.core_mu === "number") { h += row("核心启动区", fmt(k.core_mu, 1) + " 亩"); }
    if (typeof k.expansion_mu === "number") {
      h += row("拓展功能区", fmt(k.expansion_mu, 1) + " 亩");
    }
    if (typeof k.n_parcels === "number") { h += row("地块数", fmt(k.n_parcels, 0)); }
    if (typeof k.industrial_far === "number") {
      h += row("工业用地容积率", fmt(k.industrial_far, 2));
    }
    if (typeof k.land_utilisation === "number") {
      h += row("土地利用率", fmt(k.land_utilisation * 100, 1) + "%");
    }
    if (k.fail && k.fail.length) { h += row("不达标", k.fail.map(esc).join("<br>")); }
    if (k.unknown && k.unknown.length) { h += row("数据不足", k.unknown.map(esc).join("<br>")); }
    return h + "</table></div>";
  }
  function blockPopup(p) {
    var h = "<div class='xs-popup'><h3>连片地块 " + esc(p.block_id) + "</h3><table>";
    if (p.kind != null && KINDS[p.kind]) { h += row("类别", esc(KINDS[p.kind].label)); }
    D.blockFields.forEach(function (f) {
      var v = p[f[0]];
      if (f[0] === "block_id" || v === null || v === undefined) { return; }
      if (f[0] === "route" && p.route_zh != null) { return; }
      h += row(f[1], typeof v === "number" ? fmt(v, f[2] === null ? 2 : f[2]) : esc(v));
    });
    return h + "</table></div>";
  }

  map.setMaxZoom(21);
  if (D.bounds) { map.fitBounds(D.bounds, {padding: [20, 20]}); }

  // basemaps: only the starting one is added to the map
  var bases = {}, start = null;
  D.basemaps.forEach(function (b) {
    var parts = b.tiles.map(function (t) {
      var o = {maxZoom: 21};
      for (var key in t.options) { o[key] = t.options[key]; }
      return L.tileLayer(t.url, o);
    });
    var layer = parts.length === 1 ? parts[0] : L.layerGroup(parts);
    bases[b.label] = layer;
    if (b.key === D.basemap) { start = layer; }
  });
  // tiles start at the load event: an absent or slow network never delays the page
  function addBasemap() { if (start) { start.addTo(map); } }
  if (document.readyState === "complete") { addBasemap(); }
  else { window.addEventListener("load", addBasemap); }

  // parks (zones)
  var overlays = {};
  var parkLayer = geoLayer(D.parks.layer, {
    style: function (f) { return D.style[f.properties.zone === "expansion" ? "expansion" :
                                         (f.properties.zone === "core" ? "core" : "park")]; }
  });
  parkLayer.bindTooltip(parkTooltip, {sticky: true});
  parkLayer.bindPopup(parkPopup, {maxWidth: 380});
  parkLayer.addTo(map);
  overlays["园区边界"] = parkLayer;

  // blocks' table first (parcel popups use it)
  var blockProps = D.blocks ? properties(D.blocks.layer) : [];
  blockProps.forEach(function (p) { BLOCKS[p.block_id] = p; });

  // parcels: one GeoJSON layer per status with a fixed style, the first status on top;
  // tooltip, popup and hover bound once per layer
  var parcels = {}, total = 0;
  D.parcels.slice().reverse().forEach(function (item) {
    var s = STATUS[item.key];
    var lyr = geoLayer(item, {
      style: {color: s.stroke, weight: 0.8, opacity: 0.9, fillColor: s.fill, fillOpacity: 0.62},
      noClip: true
    }, {status: item.key});
    lyr.bindTooltip(parcelTooltip, {sticky: true, className: "xs-parcel-tooltip"});
    lyr.bindPopup(parcelPopup, {maxWidth: 380});
    lyr.on("mouseover", function (e) { e.layer.setStyle(D.style.hover); });
    lyr.on("mouseout", function (e) {
      lyr.resetStyle(e.layer);
      if (supplyOn) { supplyStyle(e.layer); }
    });
    lyr.addTo(map);
    parcels[item.key] = lyr;
    total += item.geom.count;
  });
  D.statuses.forEach(function (s) {
    if (parcels[s.key]) {
      overlays["地块 · " + esc(s.label) + " (" + s.count + ")"] = parcels[s.key];
    }
  });
  // 批供用 status: a switch that recolours the parcels (no second copy of the geometry)
  var supplyLayer = null;
  if (D.supply) {
    supplyLayer = L.layerGroup();
    overlays["地块 · 按批供用状态着色"] = supplyLayer;
    var recolour = function (on) {
      supplyOn = on;
      for (var key in parcels) {
        parcels[key].eachLayer(function (poly) {
          parcels[key].resetStyle(poly);
          if (on) { supplyStyle(poly); }
        });
      }
      var legend = document.querySelector(".xs-supply-legend");
      if (legend) { legend.style.display = on ? "" : "none"; }
    };
    map.on("overlayadd", function (e) { if (e.layer === supplyLayer) { recolour(true); } });
    map.on("overlayremove", function (e) { if (e.layer === supplyLayer) { recolour(false); } });
  }

  // blocks: outlines (not interactive, so parcels inside keep their tooltips) and labels
  // (click one for the block's popup)
  var blockGroup = null, blockOutlines = null;
  if (D.blocks) {
    var items = D.blocks.labels.map(function (pt, j) {
      var pr = blockProps[j], latlng = L.latLng(pt[1], pt[0]);
      return {
        latlng: latlng, cls: "xs-label xs-block-label xs-block-" + esc(pr.kind || "major"),
        html: function () {
          return esc(pr.block_id) +
            (typeof pr.area_mu === "number" ? " · " + fmt(pr.area_mu, 1) + " 亩" : "");
        },
        onclick: function () {
          L.popup({maxWidth: 380}).setLatLng(latlng).setContent(blockPopup(pr)).openOn(map);
        }
      };
    });
    // the halo first: a layer group adds its layers in the order they were created
    var blockHalo = geoLayer(D.blocks.layer, {style: blockStyle(true), interactive: false});
    blockOutlines = geoLayer(D.blocks.layer, {style: blockStyle(false), interactive: false});
    blockGroup = L.layerGroup([
      blockHalo,
      blockOutlines,
      new Labels(items, D.maxBlockLabels, 1000)
    ]);
    blockGroup.addTo(map);
    overlays["连片地块 (" + D.blocks.layer.geom.count + ")"] = blockGroup;
  }

  // park names
  var labels = new Labels(D.parks.labels.map(function (l) {
    return {latlng: L.latLng(l[1], l[0]), cls: "xs-label", html: esc(l[2])};
  }), D.maxParkLabels, 0);
  labels.addTo(map);
  overlays["园区名称"] = labels;

  L.control.layers(bases, overlays, {collapsed: true, position: "topright"}).addTo(map);
  L.control.scale({imperial: false, maxWidth: 160}).addTo(map);

  // full screen (Fullscreen API)
  function toggleFullscreen() {
    var el = map.getContainer(), d = document;
    if (d.fullscreenElement || d.webkitFullscreenElement) {
      (d.exitFullscreen || d.webkitExitFullscreen).call(d);
    } else {
      var req = el.requestFullscreen || el.webkitRequestFullscreen;
      if (req) { req.call(el); }
    }
  }
  var Fullscreen = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var bar = L.DomUtil.create("div", "leaflet-bar xs-fullscreen");
      var a = L.DomUtil.create("a", "", bar);
      a.href = "#"; a.title = "全屏"; a.setAttribute("role", "button");
      a.innerHTML = "<svg width='16' height='16' viewBox='0 0 16 16' fill='none' " +
        "stroke='#333' stroke-width='2'><path d='M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4'/></svg>";
      L.DomEvent.on(a, "click", function (e) { L.DomEvent.stop(e); toggleFullscreen(); });
      return bar;
    }
  });
  new Fullscreen().addTo(map);
  ["fullscreenchange", "webkitfullscreenchange"].forEach(function (name) {
    document.addEventListener(name, function () { map.invalidateSize(); });
  });

  // search (offline): parcel ID, block ID, owner or enterprise ID; the result list is
  // built with textContent, so no searched or found text ever becomes markup
  var INDEX = null;
  function buildIndex() {
    var out = [];
    Object.keys(parcels).forEach(function (key) {
      parcels[key].eachLayer(function (lyr) {
        var p = lyr.feature.properties;
        out.push({kind: "parcel", id: p.parcel_id == null ? "" : String(p.parcel_id),
                  owner: p.owner == null ? "" : String(p.owner),
                  ent: p.enterprise_id == null ? "" : String(p.enterprise_id), layer: lyr});
      });
    });
    if (blockOutlines) {
      blockOutlines.eachLayer(function (lyr) {
        var p = lyr.feature.properties;
        out.push({kind: "block", id: p.block_id == null ? "" : String(p.block_id),
                  owner: p.owners == null ? "" : String(p.owners), ent: "", layer: lyr});
      });
    }
    out.forEach(function (e) {
      e.idKey = e.id.toLowerCase(); e.ownerKey = e.owner.toLowerCase();
      e.entKey = e.ent.toLowerCase();
    });
    return out;
  }
  // exact IDs first, then IDs that start with the text, then owners (or enterprise IDs)
  // that contain it; at most `most` results
  function search(text, most) {
    var q = String(text).trim().toLowerCase();
    if (!q) { return []; }
    INDEX = INDEX || buildIndex();
    var ranks = [[], [], [], []];
    INDEX.forEach(function (e) {
      if (e.idKey === q) { ranks[0].push(e); }
      else if (e.idKey.indexOf(q) === 0) { ranks[1].push(e); }
      else if (e.entKey === q || e.ownerKey.indexOf(q) >= 0) { ranks[2].push(e); }
      else if (e.idKey.indexOf(q) > 0) { ranks[3].push(e); }
    });
    return [].concat(ranks[0], ranks[1], ranks[2], ranks[3]).slice(0, most);
  }
  var found = null;
  function unmark() {
    if (found && found.kind === "parcel") { found.group.resetStyle(found.layer); }
    found = null;
  }
  function show(e) {
    unmark();
    var lyr = e.layer, bounds = lyr.getBounds();
    map.fitBounds(bounds, {maxZoom: e.kind === "parcel" ? 18 : 17, padding: [30, 30],
                           animate: false});
    var at = bounds.getCenter();
    try { at = lyr.getCenter(); } catch (err) { /* empty ring: the box's centre */ }
    if (e.kind === "parcel") {
      lyr.setStyle({color: "#00e5ff", weight: 4});
      lyr.bringToFront();
      found = {kind: "parcel", layer: lyr, group: parcels[lyr.feature.properties.status]};
      L.popup({maxWidth: 380}).setLatLng(at).setContent(parcelPopup(lyr)).openOn(map);
    } else {
      L.popup({maxWidth: 380}).setLatLng(at)
        .setContent(blockPopup(lyr.feature.properties)).openOn(map);
    }
  }
  map.on("popupclose", function () { unmark(); });
  var Search = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = L.DomUtil.create("div", "xs-search leaflet-bar");
      var input = L.DomUtil.create("input", "xs-search-input", box);
      input.type = "search";
      input.placeholder = "搜索地块编号、权利人、连片编号";
      input.setAttribute("aria-label", "搜索地块编号、权利人、连片编号");
      input.setAttribute("autocomplete", "off");
      var list = L.DomUtil.create("div", "xs-search-results", box);
      var results = [];
      function render() {
        results = search(input.value, 30);
        list.textContent = "";
        if (!input.value.trim()) { return; }
        if (!results.length) {
          L.DomUtil.create("div", "xs-search-none", list).textContent = "未找到";
          return;
        }
        results.forEach(function (e) {
          var item = L.DomUtil.create("button", "xs-search-item", list);
          item.type = "button";
          var p = e.layer.feature.properties;
          item.textContent = e.kind === "parcel" ?
            "地块 " + e.id + (e.owner ? " · " + e.owner : "") :
            "连片 " + e.id + (typeof p.area_mu === "number" ? " · " + fmt(p.area_mu, 1) + " 亩" : "");
          L.DomEvent.on(item, "click", function (ev) {
            L.DomEvent.stop(ev); list.textContent = ""; show(e);
          });
        });
      }
      L.DomEvent.on(input, "input", render);
      L.DomEvent.on(input, "keydown", function (ev) {
        if (ev.key === "Enter") {
          L.DomEvent.stop(ev);
          var r = search(input.value, 1);
          if (r.length) { list.textContent = ""; show(r[0]); } else { render(); }
        } else if (ev.key === "Escape") {
          input.value = ""; list.textContent = "";
        }
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });
  new Search().addTo(map);

  // legend
  var legendBox = null;
  var Legend = L.Control.extend({
    options: {position: "bottomright"},
    onAdd: function () {
      var div = L.DomUtil.create("div", "xs-legend");
      legendBox = div;
      var toggle = L.DomUtil.create("button", "xs-legend-toggle", div);
      toggle.type = "button";
      toggle.textContent = "图例";
      var body = L.DomUtil.create("div", "xs-legend-body", div);
      // on a phone the legend starts folded: one tap opens it
      if (map.getContainer().clientWidth < NARROW) { L.DomUtil.addClass(div, "xs-folded"); }
      L.DomEvent.on(toggle, "click", function (e) {
        L.DomEvent.stop(e);
        if (L.DomUtil.hasClass(div, "xs-folded")) { L.DomUtil.removeClass(div, "xs-folded"); }
        else { L.DomUtil.addClass(div, "xs-folded"); }
      });
      var h = "<h4>地块状态</h4>";
      D.statuses.forEach(function (s) {
        h += "<div class='xs-row" + (s.shown ? "" : " xs-not-shown") +
          "'><span class='xs-swatch' style='background:" + esc(s.fill) +
          ";border-color:" + esc(s.stroke) + "'></span>" + esc(s.label) +
          "<span class='xs-count'>" + (s.count === null ? "未评估" : s.count) +
          (s.shown ? "" : "（本图未显示）") + "</span></div>";
      });
      h += "<h4>园区边界</h4>";
      if (D.hasZones) {
        h += "<div class='xs-row'><span class='xs-line' style='border-top:3px solid " +
          esc(D.style.core.color) + "'></span>核心启动区</div>" +
          "<div class='xs-row'><span class='xs-line' style='border-top:3px dashed " +
          esc(D.style.expansion.color) + "'></span>拓展功能区</div>";
      } else {
        h += "<div class='xs-row'><span class='xs-line' style='border-top:3px solid " +
          esc(D.style.park.color) + "'></span>园区范围（未分区）</div>";
      }
      if (D.supply) {
        h += "<div class='xs-supply-legend' style='display:none'><h4>批供用状态</h4>";
        D.supply.forEach(function (s) {
          h += "<div class='xs-row'><span class='xs-swatch' style='background:" +
            esc(s.fill) + ";border-color:" + esc(s.stroke) + "'></span>" + esc(s.label) +
            "<span class='xs-count'>" + s.count + "</span></div>";
        });
        h += "</div>";
      }
      if (D.blocks) {
        var swatch = {
          major: "border:3px solid #ffe600;outline:2px solid #111",
          small: "border:2px dashed #ffe600;outline:1px solid #555",
          single: "border:2px dotted #fff;outline:1px solid #555"
        };
        h += "<h4>低效用地连片范围（放大显示编号）</h4>";
        D.blocks.kinds.forEach(function (k) {
          var label = k.key === "major" ? "连片地块 ≥ " + fmt(D.blocks.minMu, 0) + " 亩" :
            (k.key === "small" ? "连片不足 " + fmt(D.blocks.minMu, 0) + " 亩" : "单宗地块（未成片）");
          h += "<div class='xs-row'><span class='xs-swatch' style='background:#ddd;" +
            swatch[k.key] + "'></span>" + esc(label) + "<span class='xs-count'>" + k.count +
            "</span></div>";
        });
      }
      body.innerHTML = h;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }
  });
  new Legend().addTo(map);

  // title: the run date, the date idle land is judged at, what the map holds
  var title = L.DomUtil.create("div", "xs-title", map.getContainer());
  L.DomUtil.create("div", "xs-title-main", title).textContent = D.title;
  var sub = L.DomUtil.create("div", "xs-title-sub", title);
  L.DomUtil.create("span", "xs-run-date", sub).textContent = "审计日期：" + D.auditDate;
  if (D.asOf) {
    L.DomUtil.create("span", "xs-as-of", sub).textContent = " · 闲置土地认定基准日：" + D.asOf;
  }
  L.DomUtil.create("span", "", sub).textContent =
    " · 园区 " + D.nParks + " 个 · 地块 " + total + " 宗";
  if (D.note) { L.DomUtil.create("div", "xs-title-note", title).textContent = D.note; }
  if (D.links.length) {
    var links = L.DomUtil.create("div", "xs-title-links", title);
    D.links.forEach(function (l) {
      var a = L.DomUtil.create("a", "", links);
      a.href = l[1]; a.textContent = l[0];
    });
  }
  L.DomEvent.disableClickPropagation(title);
  L.DomEvent.disableScrollPropagation(title);

  // on a narrow screen the title spans the top and the corner controls start below it,
  // so that the title, the search box and the buttons never cover one another
  var wasNarrow = null;
  function layout() {
    var el = map.getContainer(), narrow = el.clientWidth < NARROW;
    if (narrow) { L.DomUtil.addClass(title, "xs-narrow"); }
    else { L.DomUtil.removeClass(title, "xs-narrow"); }
    if (legendBox && wasNarrow !== null && narrow !== wasNarrow) {  // turned: fold or unfold
      if (narrow) { L.DomUtil.addClass(legendBox, "xs-folded"); }
      else { L.DomUtil.removeClass(legendBox, "xs-folded"); }
    }
    wasNarrow = narrow;
    var top = narrow ? (title.offsetHeight + 14) + "px" : "";
    Array.prototype.forEach.call(el.querySelectorAll(".leaflet-top"), function (c) {
      c.style.top = top;
    });
    declutter();
  }
  layout();
  map.on("resize", layout);
  // labels measured while the page is still loading (fonts, layout) are measured again
  // once it has loaded, and on the frame after each move
  if (document.readyState === "complete") { requestAnimationFrame(declutter); }
  else { window.addEventListener("load", function () { requestAnimationFrame(declutter); }); }
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(declutter); }
  map.on("moveend", function () { requestAnimationFrame(declutter); });

  window.xsland = {
    map: map, parks: parkLayer, blocks: blockGroup, parcels: parcels, labels: labels,
    supply: supplyLayer,
    basemaps: bases, basemap: D.basemap, system: D.system, escapeHtml: esc,
    search: search, show: show,
    parcelCount: function () {
      var n = 0;
      for (var key in parcels) { n += parcels[key].getLayers().length; }
      return n;
    },
    ready: true
  };
})();
