// Clicking the search map chooses the point to search around (fills lat/lon of the form).
(function () {
  var script = document.currentScript;
  function init() {
    var map = window[script.dataset.map];
    var lat = document.getElementById('lat'), lon = document.getElementById('lon');
    var text = document.getElementById('point-text'), clear = document.getElementById('point-clear');
    var near = document.getElementById('near');
    if (!map || !lat) { return; }
    var marker = null;
    map.on('click', function (event) {
      lat.value = event.latlng.lat.toFixed(5);
      lon.value = event.latlng.lng.toFixed(5);
      lat.disabled = lon.disabled = false;
      near.value = '';
      text.textContent = 'Point choisi : ' + lat.value + ' N, ' + lon.value + ' E. Lancez la recherche.';
      clear.hidden = false;
      if (marker) { marker.setLatLng(event.latlng); }
      else { marker = L.circleMarker(event.latlng, {radius: 6, color: '#000'}).addTo(map); }
    });
    clear.addEventListener('click', function () {
      lat.value = lon.value = '';
      lat.disabled = lon.disabled = true;
      text.textContent = 'Cliquez sur la carte pour choisir un point.';
      clear.hidden = true;
      if (marker) { map.removeLayer(marker); marker = null; }
    });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); }
  else { init(); }
})();
