"""GET /api/sites, /api/premises, /api/premises/<id>: GeoJSON, the same filters as the pages."""

from __future__ import annotations

from flask import Response, abort
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields
from marshmallow import ValidationError as SchemaError
from webargs.flaskparser import FlaskParser

from hosting_app.extensions import db
from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries

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


class FeatureCollection(Schema):
    """A GeoJSON FeatureCollection with the number of matching features."""

    type = fields.String(metadata={"example": "FeatureCollection"})
    numberMatched = fields.Integer(metadata={"description": "Objets correspondant aux filtres"})
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

    matched = fields.Integer()
    rows = fields.List(fields.List(fields.Raw()))


class ApiError(Schema):
    """An error: a message in French and, for bad parameters, the messages per parameter."""

    error = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


def _filters(data: dict) -> search_filters.PremisesFilters:
    try:
        return search_filters.from_data(data, max_per_page=MAX_PER_PAGE)
    except SchemaError as error:
        abort(400, description=search_filters.messages(error))


def _centre_latitude(filters) -> float | None:
    if filters.point is not None:
        return filters.point[1]
    if filters.near is not None:
        latitude = db.session.scalar(queries.centre_latitude(filters))
        if latitude is None:
            abort(400, description={"near": [f"Commune inconnue : {filters.near}."]})
        return latitude
    return None


def _geojson(text: str) -> Response:
    return Response(text, mimetype="application/geo+json")


@blueprint.route("/sites")
@blueprint.arguments(search_filters.SiteFilterSchema, location="query", as_kwargs=False)
@blueprint.response(200, FeatureCollection, content_type="application/geo+json")
@blueprint.alt_response(400, schema=ApiError)
def sites(data):
    """Sites d'accueil (périmètre, ou point quand le périmètre est inconnu)."""
    filters = _filters(data)
    return _geojson(db.session.scalar(queries.sites_geojson(filters, _centre_latitude(filters))))


@blueprint.route("/premises")
@blueprint.arguments(search_filters.ApiPremisesSchema, location="query", as_kwargs=False)
@blueprint.response(200, FeatureCollection, content_type="application/geo+json")
@blueprint.alt_response(200, schema=MarkerRows, content_type="application/json", success=True)
@blueprint.alt_response(400, schema=ApiError)
def premises(data):
    """Locaux correspondant aux filtres (par défaut : disponibles ou en construction)."""
    filters = _filters(data)
    centre_lat = _centre_latitude(filters)
    if data["format"] == "rows":
        rows = db.session.scalar(queries.premises_map_rows_json(filters, centre_lat))
        return Response(rows, mimetype="application/json")
    return _geojson(db.session.scalar(queries.premises_geojson(filters, centre_lat)))


@blueprint.route("/premises/<int:premises_id>")
@blueprint.response(200, Feature, content_type="application/geo+json")
@blueprint.alt_response(404, schema=ApiError)
def premises_one(premises_id: int):
    """Un local."""
    feature = db.session.scalar(queries.premises_feature(premises_id))
    if feature is None:
        abort(404, description="Local introuvable.")
    return _geojson(feature)
