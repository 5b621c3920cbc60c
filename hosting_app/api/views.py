"""GET /api/sites, /api/premises, /api/premises/<id>: GeoJSON, the same filters as the pages;
/api/tiles/…: the same as Mapbox vector tiles."""

from __future__ import annotations

import dataclasses
import gzip

from flask import Response, abort, current_app, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields
from marshmallow import ValidationError as SchemaError
from webargs.flaskparser import FlaskParser

from hosting_app.extensions import db
from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries, tiles

MAX_PER_PAGE = 10_000


class Parser(FlaskParser):
    """Query-string parser answering 400 (not 422) to bad parameters."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {"query": RAISE}  # a misspelt filter is an error

    def load_querystring(self, req, schema):
        """The query string without empty parameters (``?kind=`` means no filter)."""
        return self._makeproxy(search_filters.without_blanks(req.args), schema)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = Parser()


blueprint = ApiBlueprint(
    "api", __name__, url_prefix="/api", description="Sites et locaux (GeoJSON, WGS84)"
)


COUNT_NOTE = (
    "exact jusqu'à une limite (10 000 par défaut) ; au-delà, vaut cette limite et {flag} est "
    "vrai : plus d'objets correspondent, sans que le compte exact soit fait"
)


class FeatureCollection(Schema):
    """A GeoJSON FeatureCollection with the number of matching features (up to a limit)."""

    type = fields.String(metadata={"example": "FeatureCollection"})
    numberMatched = fields.Integer(
        metadata={
            "description": "Objets correspondant aux filtres, "
            + COUNT_NOTE.format(flag="numberMatchedIsLowerBound")
        }
    )
    numberMatchedIsLowerBound = fields.Boolean(
        metadata={"description": "Vrai quand plus de numberMatched objets correspondent"}
    )
    numberReturned = fields.Integer(metadata={"description": "Objets de cette page"})
    features = fields.List(fields.Dict(), metadata={"description": "Features GeoJSON"})


class Feature(Schema):
    """A GeoJSON Feature."""

    type = fields.String(metadata={"example": "Feature"})
    id = fields.Integer()
    geometry = fields.Dict()
    properties = fields.Dict()


class MarkerRows(Schema):
    """Compact rows for the map: [lat, lon, id, availability index, label, site, surface]."""

    matched = fields.Integer(
        metadata={
            "description": "Locaux correspondants, " + COUNT_NOTE.format(flag="matchedIsLowerBound")
        }
    )
    matchedIsLowerBound = fields.Boolean(
        metadata={"description": "Vrai quand plus de « matched » locaux correspondent"}
    )
    rows = fields.List(fields.List(fields.Raw()))


class ApiError(Schema):
    """An error: a message in French and, for bad parameters, the messages per parameter."""

    error = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


def _filters(data: dict) -> search_filters.PremisesFilters:
    data = {"page": 1, "per_page": 1, **data}  # the tiles' parameters have no pages
    try:
        return search_filters.from_data(data, max_per_page=MAX_PER_PAGE)
    except SchemaError as error:
        abort(400, description=search_filters.messages(error))


def _located(filters) -> tuple[search_filters.PremisesFilters, float | None]:
    """The filters with a commune centre (``near``) read as its point, and the centre's latitude."""
    db.session.execute(queries.search_settings())  # for this request's transaction
    if filters.point is None and filters.near is not None:
        point = db.session.execute(queries.centre_point(filters)).first()
        if point is None:
            abort(400, description={"near": [f"Commune inconnue : {filters.near}."]})
        filters = dataclasses.replace(filters, point=(point[0], point[1]))
    return filters, filters.point[1] if filters.point is not None else None


def _count_limit() -> int:
    return current_app.config.get("SEARCH_COUNT_LIMIT", queries.COUNT_LIMIT)


def _geojson(text: str) -> Response:
    return Response(text, mimetype="application/geo+json")


@blueprint.route("/sites")
@blueprint.arguments(search_filters.SiteFilterSchema(), location="query", as_kwargs=False)
@blueprint.response(200, FeatureCollection, content_type="application/geo+json")
@blueprint.alt_response(400, schema=ApiError)
def sites(data):
    """Sites d'accueil (périmètre, ou point quand le périmètre est inconnu).

    Par ordre alphabétique. Les réponses aux requêtes anonymes sont mises en cache 60 secondes
    (Cache-Control: public, ETag) ; une modification est visible dès la requête suivante.
    """
    filters, centre_lat = _located(_filters(data))
    query = queries.sites_geojson(filters, centre_lat, count_limit=_count_limit())
    return _geojson(db.session.scalar(query))


@blueprint.route("/premises")
@blueprint.arguments(search_filters.ApiPremisesSchema(), location="query", as_kwargs=False)
@blueprint.response(200, FeatureCollection, content_type="application/geo+json")
@blueprint.alt_response(200, schema=MarkerRows, content_type="application/json", success=True)
@blueprint.alt_response(400, schema=ApiError)
def premises(data):
    """Locaux correspondant aux filtres (par défaut : disponibles ou en construction).

    Ordre par défaut (sort absent ou available_from) : disponibilité la plus proche d'abord —
    les locaux disponibles sans date, puis par date de disponibilité (une date passée signifie
    disponible dès maintenant), puis ceux qui ne sont pas disponibles et n'ont pas de date.
    Les réponses aux requêtes anonymes sont mises en cache 60 secondes (Cache-Control: public,
    ETag) ; une modification des locaux est visible dès la requête suivante.
    """
    filters, centre_lat = _located(_filters(data))
    if data["format"] == "rows":
        query = queries.premises_map_rows_json(filters, centre_lat, count_limit=_count_limit())
        return Response(db.session.scalar(query), mimetype="application/json")
    query = queries.premises_geojson(filters, centre_lat, count_limit=_count_limit())
    return _geojson(db.session.scalar(query))


@blueprint.route("/premises/<int:premises_id>")
@blueprint.response(200, Feature, content_type="application/geo+json")
@blueprint.alt_response(404, schema=ApiError)
def premises_one(premises_id: int):
    """Un local."""
    feature = db.session.scalar(queries.premises_feature(premises_id))
    if feature is None:
        abort(404, description="Local introuvable.")
    return _geojson(feature)


MVT = "application/vnd.mapbox-vector-tile"
# The OpenAPI schema of a tile: bytes.
TILE = {"type": "string", "format": "binary"}


def _tile(statement) -> Response:
    """The tile's bytes, gzipped when the client accepts it."""
    body = bytes(db.session.scalar(statement))
    response = Response(body, mimetype=MVT)
    response.vary.add("Accept-Encoding")
    if body and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


def _check_tile(z: int, x: int, y: int) -> None:
    if not tiles.valid(z, x, y):
        abort(404, description=f"Tuile inexistante : {z}/{x}/{y} (zoom 0 à {tiles.MAX_ZOOM}).")


@blueprint.route("/tiles/premises/<int:z>/<int:x>/<int:y>.pbf")
@blueprint.arguments(search_filters.TilePremisesSchema(), location="query", as_kwargs=False)
@blueprint.response(200, TILE, content_type=MVT)
@blueprint.alt_response(400, schema=ApiError)
@blueprint.alt_response(404, schema=ApiError)
def premises_tile(data, z: int, x: int, y: int):
    """Locaux correspondant aux filtres, en tuile vectorielle.

    Mêmes filtres que /api/premises (l'emprise est celle de la tuile). Jusqu'au zoom
    TILE_CLUSTER_MAX_ZOOM (13 par défaut), couche « clusters » : les locaux regroupés sur une
    grille de 8 × 8 cellules par tuile, propriété n (nombre de locaux), id quand n vaut 1.
    Au-delà, couche « premises » : un objet par position (le point du local, ou celui de son
    site quand le local n'a pas de géométrie), propriétés n, site, slug, et pour un local
    seul id, label, kind, availability, surface_m2. Compressée en gzip quand le client
    l'accepte ; les réponses aux requêtes anonymes sont mises en cache 60 secondes
    (Cache-Control: public, ETag).
    """
    _check_tile(z, x, y)
    filters, centre_lat = _located(_filters(data))
    max_zoom = current_app.config.get("TILE_CLUSTER_MAX_ZOOM", 13)
    statement = tiles.premises_tile(filters, centre_lat, z, x, y, cluster_max_zoom=max_zoom)
    return _tile(statement)


@blueprint.route("/tiles/sites/<int:z>/<int:x>/<int:y>.pbf")
@blueprint.arguments(search_filters.TileSiteSchema(), location="query", as_kwargs=False)
@blueprint.response(200, TILE, content_type=MVT)
@blueprint.alt_response(400, schema=ApiError)
@blueprint.alt_response(404, schema=ApiError)
def sites_tile(data, z: int, x: int, y: int):
    """Sites d'accueil correspondant aux filtres, en tuile vectorielle.

    Mêmes filtres que /api/sites (l'emprise est celle de la tuile). Couche « sites » :
    périmètre, ou point quand le périmètre est inconnu ; propriétés id, name, slug, kind,
    confidence (précision de la position). Compressée en gzip quand le client l'accepte ;
    mise en cache comme /api/sites.
    """
    _check_tile(z, x, y)
    filters, centre_lat = _located(_filters(data))
    return _tile(tiles.sites_tile(filters, centre_lat, z, x, y))
