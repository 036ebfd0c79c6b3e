// gengxin findings map: one dot per finding, coloured by status.
(function () {
  "use strict";
  var el = document.getElementById("findings-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { preferCanvas: true }).setView([31.78, 119.95], 13);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
  }
  var colour = { "new": "#d92d20", open: "#f79009", in_project: "#2e90fa", resolved: "#12b76a", verified: "#067647" };
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  fetch("/api/v1/findings?" + el.dataset.query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 5, weight: 1, color: "#fff", fillColor: colour[f.properties.status] || "#667085", fillOpacity: 0.9 });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup("<b>" + esc(p.name) + "</b><br>" + esc(p.object) + "<br><a href=\"/findings/" + p.id + "\">#" + p.id + "</a>");
        }
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [20, 20] }); }
      el.dataset.findings = String(fc.features.length);
    })
    .catch(function () { el.dataset.findings = "error"; });
})();
