// gengxin map page: region outlines, compounds coloured by age or renovation
// status, building footprints when zoomed in, facilities by category.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var t = JSON.parse(document.getElementById("map-i18n").textContent);
  var params = new URLSearchParams(location.search);
  var map = L.map(el, { preferCanvas: true, zoomControl: true }).setView([31.78, 119.95], 13);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
  }
  map.attributionControl.addAttribution("gengxin");

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  var details = document.getElementById("details");
  function show(html) { details.innerHTML = html; details.classList.remove("muted"); }

  // Streets of the stored walk network, under everything else.
  map.createPane("streets");
  map.getPane("streets").style.zIndex = 350;
  var streets = L.geoJSON(null, { pane: "streets", interactive: false, style: { color: "#9aa5b1", weight: 1.2, opacity: 0.9 } }).addTo(map);
  function refreshStreets() {
    var b = map.getBounds();
    if (map.getZoom() < 13) { streets.clearLayers(); return; }
    getJSON("/api/v1/layers/streets?bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","))
      .then(function (fc) { streets.clearLayers(); streets.addData(fc); });
  }
  map.on("moveend", refreshStreets);

  // Region outlines.
  var regionStyle = {
    subdistrict: { color: "#b42318", weight: 2.5, fill: false },
    community: { color: "#7b8794", weight: 1.5, dashArray: "4 3", fill: false },
    grid: { color: "#9aa5b1", weight: 0.8, fill: false }
  };
  var regionLayers = {};
  function loadRegions(level, fit) {
    if (regionLayers[level]) { regionLayers[level].addTo(map); return Promise.resolve(regionLayers[level]); }
    return getJSON("/api/v1/layers/regions?level=" + level).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: regionStyle[level], interactive: false
      });
      regionLayers[level] = layer.addTo(map);
      if (fit && fc.features.length) { map.fitBounds(layer.getBounds()); }
      return layer;
    });
  }

  // Compounds.
  var colourBy = "built_year";
  function yearColour(y) {
    if (!y) { return "#9aa5b1"; }
    if (y < 1990) { return "#b42318"; }
    if (y < 2000) { return "#f79009"; }
    if (y < 2006) { return "#fdb022"; }
    return "#12b76a";
  }
  var statusColour = { none: "#b42318", planned: "#fdb022", in_progress: "#2e90fa", done: "#12b76a" };
  function compoundColour(p) {
    return colourBy === "built_year" ? yearColour(p.built_year) : (statusColour[p.renovation_status] || "#9aa5b1");
  }
  function legend() {
    var items = colourBy === "built_year"
      ? [["#b42318", t.before1990], ["#f79009", "1990–1999"], ["#fdb022", "2000–2005"], ["#12b76a", t.after2005]]
      : [["#b42318", t.renovation_none], ["#fdb022", t.renovation_planned], ["#2e90fa", t.renovation_in_progress], ["#12b76a", t.renovation_done]];
    document.getElementById("legend").innerHTML = items.map(function (i) {
      return "<div><i style=\"background:" + i[0] + "\"></i>" + esc(i[1]) + "</div>";
    }).join("");
  }
  var compounds = L.geoJSON(null, {
    style: function (f) { var c = compoundColour(f.properties); return { color: c, weight: 1, fillColor: c, fillOpacity: 0.45 }; },
    pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 5 }); },
    onEachFeature: function (f, layer) {
      layer.on("click", function () {
        var p = f.properties;
        show("<h3>" + esc(p.name) + "</h3><p>" + esc(p.address) + "</p><p>" + esc(t.built_year) + ": " + esc(p.built_year || "—") +
          "<br>" + esc(t.renovation) + ": " + esc(t["renovation_" + p.renovation_status] || p.renovation_status) + "</p>" +
          (el.dataset.buildings ? "<p><a id=\"compound-link\" href=\"/compounds/" + p.id + "\">" + esc(t.open_compound) + "</a></p>" : ""));
      });
    }
  });
  var compoundsLoaded = getJSON("/api/v1/layers/compounds").then(function (fc) {
    compounds.addData(fc).addTo(map);
    el.dataset.compounds = String(fc.features.length);
    return fc;
  });
  function recolour() { compounds.setStyle(function (f) { var c = compoundColour(f.properties); return { color: c, fillColor: c }; }); legend(); }

  // Buildings, fetched for the visible box when zoomed in.
  var buildings = L.geoJSON(null, {
    style: function (f) { return { color: f.properties.has_elevator ? "#2e90fa" : "#52606d", weight: 0.8, fillOpacity: 0.25 }; },
    onEachFeature: function (f, layer) {
      layer.on("click", function () {
        var p = f.properties;
        show("<h3>" + esc(p.name) + "</h3><p>" + esc(t.storeys) + ": " + p.storeys + "<br>" + esc(t.elevator) + ": " +
          esc(p.has_elevator ? t.yes : t.no) + "<br>" + esc(t.households) + ": " + p.households + "</p><p><a href=\"/buildings/" + p.id + "\">" + esc(t.open_building) + "</a></p>");
      });
    }
  });
  var wantBuildings = !!el.dataset.buildings;
  function refreshBuildings() {
    buildings.clearLayers();
    if (!wantBuildings || map.getZoom() < 16) { return; }
    var b = map.getBounds();
    getJSON("/api/v1/layers/buildings?bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(","))
      .then(function (fc) { buildings.clearLayers(); buildings.addData(fc); });
  }
  if (wantBuildings) { buildings.addTo(map); map.on("moveend", refreshBuildings); }

  // Facilities by category.
  var facilityLayers = {};
  function toggleCategory(code, on) {
    if (!on) { if (facilityLayers[code]) { map.removeLayer(facilityLayers[code]); } return; }
    if (facilityLayers[code]) { facilityLayers[code].addTo(map); return; }
    getJSON("/api/v1/layers/facilities?category=" + encodeURIComponent(code)).then(function (fc) {
      facilityLayers[code] = L.geoJSON(fc, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1.5, fillColor: f.properties.colour, fillOpacity: 0.95 });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup("<b>" + esc(p.name) + "</b><br>" + esc(document.documentElement.lang === "en" ? p.category_en : p.category_zh) +
            (p.site_area_m2 ? "<br>" + p.site_area_m2 + " m²" : "") + (p.capacity ? "<br>" + esc(t.capacity) + ": " + p.capacity : ""));
        }
      }).addTo(map);
    });
  }

  document.querySelectorAll("[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.dataset.layer;
      if (name === "compounds") { if (box.checked) { compounds.addTo(map); } else { map.removeLayer(compounds); } return; }
      if (name === "buildings") { wantBuildings = box.checked; refreshBuildings(); return; }
      if (box.checked) { loadRegions(name, false); } else if (regionLayers[name]) { map.removeLayer(regionLayers[name]); }
    });
  });
  document.querySelectorAll("[data-category]").forEach(function (box) {
    box.addEventListener("change", function () { toggleCategory(box.dataset.category, box.checked); });
  });
  document.querySelectorAll("input[name=colour]").forEach(function (r) {
    r.addEventListener("change", function () { colourBy = r.value; recolour(); });
  });
  legend();

  loadRegions(el.dataset.level || "subdistrict", false).then(function () {
    var rid = params.get("region");
    if (rid) {
      ["subdistrict", "community", "grid"].forEach(function (lv) {
        getJSON("/api/v1/layers/regions?level=" + lv).then(function (fc) {
          fc.features.forEach(function (f) { if (String(f.id) === rid) { map.fitBounds(L.geoJSON(f).getBounds()); } });
        });
      });
    }
  });
  compoundsLoaded.then(function (fc) {
    var cid = params.get("compound");
    if (!cid) {
      // Start on the viewer's own area: every compound they may see.
      if (!params.get("region") && fc.features.length) { map.fitBounds(compounds.getBounds(), { padding: [20, 20] }); }
      return;
    }
    compounds.eachLayer(function (layer) {
      if (String(layer.feature.id) === cid) {
        map.fitBounds(layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]), { maxZoom: 17 });
        layer.fire("click");
      }
    });
  });
  el.dataset.ready = "1";
})();
