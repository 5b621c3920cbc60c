// The back-office drawing map: Leaflet-Geoman draws, edits, cuts and removes a site's
// perimeter (polygons) or a unit's outline or point; the geometry is written as GeoJSON into
// the form's field, and a GeoJSON pasted into that field is drawn. The server checks it again.
(function () {
  var script = document.currentScript;

  function init() {
    var map = window[script.dataset.map];
    var field = document.getElementById(script.dataset.field);
    var status = document.getElementById(script.dataset.status);
    var mode = script.dataset.mode; // 'perimeter' or 'premises'
    if (!map || !field || !L.PM) { return; }
    // The folium map was made before Geoman loaded: give it Geoman now. Its other layers
    // (communes, the site for context) have no Geoman handle, so they cannot be edited.
    if (!map.pm) { map.pm = new L.PM.Map(map); }
    map.pm.setLang('fr');
    map.pm.addControls({
      position: 'topleft',
      drawMarker: mode === 'premises', drawCircleMarker: false, drawPolyline: false,
      drawCircle: false, drawText: false, drawRectangle: true, drawPolygon: true,
      editMode: true, dragMode: true, cutPolygon: mode === 'perimeter', removalMode: true,
      rotateMode: false
    });
    map.pm.setGlobalOptions({
      allowSelfIntersection: false, snappable: true,
      pathOptions: {color: '#00436b', weight: 3, fillOpacity: 0.2}
    });
    nameButtons(map.getContainer());

    function drawn() {
      return map.pm.getGeomanLayers().filter(function (layer) {
        return layer instanceof L.Polygon || layer instanceof L.Marker;
      });
    }

    function geometry() {
      var polygons = [], point = null;
      drawn().forEach(function (layer) {
        var g = layer.toGeoJSON(7).geometry;
        if (g.type === 'Polygon') { polygons.push(g.coordinates); }
        else if (g.type === 'MultiPolygon') { polygons = polygons.concat(g.coordinates); }
        else if (g.type === 'Point') { point = g; }
      });
      if (polygons.length > 1 || (polygons.length === 1 && mode === 'perimeter')) {
        return {type: 'MultiPolygon', coordinates: polygons};
      }
      if (polygons.length === 1) { return {type: 'Polygon', coordinates: polygons[0]}; }
      return point;
    }

    function say(g) {
      if (!status) { return; }
      if (!g) { status.textContent = 'Rien n’est dessiné.'; }
      else if (g.type === 'Point') { status.textContent = 'Point placé.'; }
      else {
        var n = g.type === 'MultiPolygon' ? g.coordinates.length : 1;
        status.textContent = n + (n > 1 ? ' contours dessinés.' : ' contour dessiné.');
      }
    }

    function write() {
      var g = geometry();
      field.value = g ? JSON.stringify(g) : '';
      say(g);
    }

    function watch(layer) {
      layer.on('pm:edit pm:dragend pm:rotateend', write);
    }

    function load() {
      drawn().forEach(function (layer) { map.removeLayer(layer); });
      var text = field.value.trim(), data;
      if (!text) { say(null); return; }
      try { data = JSON.parse(text); } catch (e) { return; }
      var geometries = data.type === 'FeatureCollection'
        ? data.features.map(function (f) { return f.geometry; })
        : [data.type === 'Feature' ? data.geometry : data];
      var layers = [];
      geometries.forEach(function (g) {
        if (!g) { return; }
        // A multipolygon becomes one layer per part, each editable on its own.
        var parts = g.type === 'MultiPolygon' ? g.coordinates : [g.coordinates];
        if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
          parts.forEach(function (rings) {
            layers.push(L.polygon(L.GeoJSON.coordsToLatLngs(rings, 1), map.pm.getGlobalOptions().pathOptions));
          });
        } else if (g.type === 'Point') {
          layers.push(L.marker(L.GeoJSON.coordsToLatLng(g.coordinates)));
        }
      });
      layers.forEach(function (layer) { layer.addTo(map); watch(layer); });
      if (layers.length) {
        var bounds = L.featureGroup(layers).getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, {maxZoom: 17, padding: [20, 20]}); }
      }
      say(geometry());
    }

    map.on('pm:create', function (event) {
      if (mode === 'premises') {
        drawn().forEach(function (layer) { if (layer !== event.layer) { map.removeLayer(layer); } });
      }
      watch(event.layer);
      write();
    });
    map.on('pm:remove', write);
    map.on('pm:cut', function (event) { watch(event.layer); write(); });
    field.addEventListener('change', load);
    load();
  }

  // Geoman's toolbar links carry their title on a wrapper: name the links themselves.
  function nameButtons(container) {
    container.querySelectorAll('.button-container[title]').forEach(function (wrapper) {
      var link = wrapper.querySelector('a.leaflet-buttons-control-button');
      if (link) { link.setAttribute('aria-label', wrapper.getAttribute('title')); }
    });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); }
  else { init(); }
})();
