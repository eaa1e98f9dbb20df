// Progressive enhancement: the page already shows the coordinates; a map replaces them only
// when Leaflet loaded. Tiles that fail to load leave the marker and the text useful.
(function () {
  var box = document.getElementById("map");
  if (!box || typeof L === "undefined") { return; }
  var lat = parseFloat(box.dataset.lat), lon = parseFloat(box.dataset.lon);
  var fallback = box.querySelector(".map-fallback");
  var canvas = document.createElement("div");
  canvas.className = "map-canvas";
  box.insertBefore(canvas, box.firstChild);
  var map = L.map(canvas).setView([lat, lon], 9);
  L.tileLayer(box.dataset.tiles, {maxZoom: 18, attribution: box.dataset.attribution}).addTo(map);
  L.marker([lat, lon]).addTo(map);
  box.classList.add("map-ready");
  if (fallback) { fallback.classList.add("below-map"); }
})();
