// The map of open incidents on the heat-map page (Leaflet, served locally). Loaded only when the
// installation names a tile server; tiles come from that server alone. Points are circle markers
// (SVG, no icon images), coloured by block or by the SLA state, each with a popup linking the case.
(function () {
  "use strict";

  function popup(point) {
    var box = document.createElement("div");
    box.className = "case-popup";
    var title = document.createElement(point.href ? "a" : "strong");
    title.textContent = "№" + point.id + " · " + point.title;
    if (point.href) title.href = point.href;
    box.appendChild(title);
    var lines = [point.block + " · " + point.settlement, point.status + (point.overdue ? " · просрочен" : ""),
                 point.exact ? "точный адрес" : "место приблизительное: центр поселения"];
    lines.forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("incident-map");
    if (!box || typeof window.L === "undefined") return;
    var L = window.L;
    var points = JSON.parse(document.getElementById("incident-points").textContent || "[]");
    var map = L.map(box);
    L.tileLayer(box.dataset.tiles, {
      maxZoom: Number(box.dataset.maxZoom), attribution: box.dataset.attribution
    }).addTo(map);
    var layer = L.featureGroup().addTo(map);
    var markers = points.map(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], {
        radius: 7, weight: 1, color: "#ffffff", fillOpacity: 0.9, fillColor: point.block_colour,
        className: "case-point case-" + point.id + (point.overdue ? " overdue" : "")
      });
      marker.bindPopup(popup(point));
      marker.addTo(layer);
      return { marker: marker, point: point };
    });
    if (markers.length) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 13 });
    } else {
      map.setView([Number(box.dataset.lat), Number(box.dataset.lon)], 10);
    }
    var choice = document.getElementById("map-colour");
    function recolour() {
      var by = choice ? choice.value : "block";
      markers.forEach(function (m) {
        m.marker.setStyle({ fillColor: by === "sla" ? m.point.sla_colour : m.point.block_colour });
      });
      document.getElementById("legend-block").hidden = by === "sla";
      document.getElementById("legend-sla").hidden = by !== "sla";
      box.dataset.colour = by;
    }
    if (choice) choice.addEventListener("change", recolour);
    recolour();
    box.dataset.points = String(markers.length);
    box.dataset.ready = "1";
  });
})();
