// gengxin cases: the pin map of the report form (tap to place, then nearby
// open reports of the same category are offered) and the handler's day map.
(function () {
  "use strict";
  if (!window.L) { return; }
  function base(el, lat, lon, zoom) {
    var map = L.map(el).setView([lat, lon], zoom);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
    }
    return map;
  }

  var pin = document.getElementById("case-pin-map");
  if (pin) {
    var lonIn = document.getElementById("lon"), latIn = document.getElementById("lat");
    var cat = document.getElementById("category"), box = document.getElementById("nearby");
    var text = document.getElementById("pin-text");
    var homeLon = parseFloat(pin.dataset.homeLon) || 0, homeLat = parseFloat(pin.dataset.homeLat) || 0;
    var startLon = parseFloat(lonIn.value) || homeLon, startLat = parseFloat(latIn.value) || homeLat;
    var has = startLon !== 0 || startLat !== 0;
    var map = base(pin, has ? startLat : 31.78, has ? startLon : 119.95, has ? 17 : 13);
    var marker = null;
    var nearby = function () {
      if (!cat.value || !lonIn.value || !latIn.value) { box.innerHTML = ""; return; }
      var q = "category=" + encodeURIComponent(cat.value) + "&lon=" + encodeURIComponent(lonIn.value) + "&lat=" + encodeURIComponent(latIn.value);
      fetch("/cases/nearby?" + q, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) { box.innerHTML = html; pin.dataset.nearby = String(box.querySelectorAll(".nearby-case").length); })
        .catch(function () { pin.dataset.nearby = "error"; });
    };
    var place = function (ll) {
      if (marker) { marker.setLatLng(ll); } else { marker = L.marker(ll).addTo(map); }
      lonIn.value = ll.lng.toFixed(6);
      latIn.value = ll.lat.toFixed(6);
      text.textContent = latIn.value + ", " + lonIn.value;
      nearby();
    };
    if (has) { place(L.latLng(startLat, startLon)); }
    map.on("click", function (e) { place(e.latlng); });
    cat.addEventListener("change", nearby);
    pin.dataset.ready = "1";
  }

  var day = document.getElementById("today-map");
  if (day) {
    var dm = base(day, 31.78, 119.95, 13);
    var pts = [];
    document.querySelectorAll("#today .case-card[data-lat]").forEach(function (c) {
      var ll = L.latLng(parseFloat(c.dataset.lat), parseFloat(c.dataset.lon));
      pts.push(ll);
      var m = L.circleMarker(ll, { radius: 8, weight: 2, color: "#fff", fillColor: c.classList.contains("overdue") ? "#d92d20" : "#2e90fa", fillOpacity: 0.9 }).addTo(dm);
      var a = document.createElement("a");
      a.href = "#" + c.id;
      a.textContent = c.dataset.label || c.id;
      m.bindPopup(a);
    });
    if (pts.length) { dm.fitBounds(L.latLngBounds(pts), { padding: [30, 30], maxZoom: 17 }); }
    day.dataset.cases = String(pts.length);
    day.dataset.ready = "1";
  }
})();
