// The change map's layers (xsland diff): parcels by change, park outlines, blocks.
// The placeholder after "var map =" is replaced by the map's variable; the data comes from #xs-diff-data.
(function () {
  "use strict";
  var map = __MAP__;
  var D = JSON.parse(document.getElementById("xs-diff-data").textContent);
  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(v) {
    if (v === null || v === undefined) { return ""; }
    return String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  function num(v) { return (typeof v === "number") ? v.toFixed(2) : "—"; }
  function rows(pairs) {
    var out = "<table>";
    pairs.forEach(function (p) {
      if (p[1] !== null && p[1] !== undefined && p[1] !== "") {
        out += "<tr><th>" + esc(p[0]) + "</th><td>" + esc(p[1]) + "</td></tr>";
      }
    });
    return out + "</table>";
  }
  function parcelTip(f) {
    var p = f.properties, c = D.classes[p.cls] || ["", "#999"];
    return "<b>" + esc(c[0]) + "</b>" + rows([
      ["原地块", p.old_ids], ["现地块", p.new_ids], ["园区", p.park_id],
      ["原容积率", num(p.far_old)], ["现容积率", num(p.far_new)],
      ["原面积(亩)", num(p.area_old_mu)], ["现面积(亩)", num(p.area_new_mu)],
      ["低效变化", p.lowuse_change]]);
  }
  var bounds = L.latLngBounds([]);
  var overlays = {};
  Object.keys(D.classes).forEach(function (key) {
    var c = D.classes[key];
    var feats = D.parcels.features.filter(function (f) { return f.properties.cls === key; });
    if (!feats.length) { return; }
    var layer = L.geoJSON({"type": "FeatureCollection", "features": feats}, {
      style: {color: c[1], weight: 1.5, fillColor: c[1], fillOpacity: 0.55,
              dashArray: key === "removed" ? "4 3" : null}
    });
    layer.bindTooltip(function (l) { return parcelTip(l.feature); }, {sticky: true});
    layer.addTo(map);
    bounds.extend(layer.getBounds());
    overlays[esc(c[0]) + " (" + feats.length + ")"] = layer;
  });
  var parks = L.geoJSON(D.parks, {
    style: {color: "#08306b", weight: 2, fill: false}
  }).bindTooltip(function (l) {
    var p = l.feature.properties;
    return "<b>" + esc(p.park_id) + " " + esc(p.name) + "</b>" + rows([
      ["改善", p.improved], ["退步", p.worsened]]);
  });
  parks.addTo(map);
  overlays["园区边界"] = parks;
  [["cleared", "已清零连片地块", "#1a9850"], ["new", "新增连片地块", "#c51b7d"],
   ["changed", "变化的连片地块", "#ff7f00"]].forEach(function (b) {
    var feats = D.blocks.features.filter(function (f) { return f.properties.status === b[0]; });
    if (!feats.length) { return; }
    var layer = L.geoJSON({"type": "FeatureCollection", "features": feats}, {
      style: {color: b[2], weight: 3, dashArray: "8 5", fill: false}
    }).bindTooltip(function (l) {
      var p = l.feature.properties;
      return "<b>" + esc(b[1]) + "</b>" + rows([["原编号", p.block_id_old],
        ["现编号", p.block_id_new], ["原面积(亩)", num(p.area_mu_old)],
        ["原地块", p.parcel_ids_old]]);
    });
    layer.addTo(map);
    overlays[b[1] + " (" + feats.length + ")"] = layer;
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  if (!bounds.isValid() && parks.getLayers().length) { bounds = parks.getBounds(); }
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
})();
