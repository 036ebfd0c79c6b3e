// gengxin project maps: the pool as dots coloured by stage, and one project's scope.
(function () {
  "use strict";
  if (!window.L) { return; }
  var colour = { pool: "#667085", consultation: "#f79009", design: "#7a5af8", sample: "#ee46bc",
    construction: "#2e90fa", acceptance: "#12b76a", aftercare: "#067647" };
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function base(el) {
    var map = L.map(el, { preferCanvas: true }).setView([31.78, 119.95], 13);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
    }
    return map;
  }
  function load(el, url, opts) {
    var map = base(el);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, opts).addTo(map);
        if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 }); }
        el.dataset.features = String(fc.features.length);
      })
      .catch(function () { el.dataset.features = "error"; });
  }
  var pool = document.getElementById("projects-map");
  if (pool) {
    load(pool, "/projects/map.geojson?" + pool.dataset.query, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 7, weight: 1, color: "#fff", fillColor: colour[f.properties.stage] || "#667085", fillOpacity: 0.9 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindPopup("<b><a href=\"/projects/" + p.id + "\">" + esc(p.name) + "</a></b><br>" + esc(p.code) + " · " + esc(p.stage_label));
      }
    });
  }
  var scope = document.getElementById("scope-map");
  if (scope) {
    load(scope, scope.dataset.src, {
      style: function (f) { return { color: f.properties.eligible ? "#2e90fa" : "#f79009", weight: 2, fillOpacity: 0.25 }; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 6, color: "#2e90fa" }); },
      onEachFeature: function (f, l) { l.bindPopup(esc(f.properties.name) + "<br>" + esc(f.properties.households)); }
    });
  }
})();
