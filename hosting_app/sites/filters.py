"""The premises search filters: one definition for the search page, the API and its OpenAPI.

Parsing is pure (no database): a marshmallow schema turns a query string into
``PremisesFilters`` or French error messages per parameter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from hosting_app.labels import Sector
from hosting_app.sites.models import Availability, PremisesKind, SiteKind

SORTS = ("surface", "price", "available_from", "distance")
SORT_VALUES = tuple(f"{prefix}{name}" for name in SORTS for prefix in ("", "-"))
DEFAULT_AVAILABILITY = (Availability.AVAILABLE, Availability.UNDER_CONSTRUCTION)
MAX_RADIUS_KM = 100
MAX_PAGE = 1_000_000  # the row offset, page × per_page, stays within PostgreSQL's bigint


def _number(label: str, *, minimum: float = 0, maximum: float | None = None, strict=False):
    bound = validate.Range(
        min=minimum,
        max=maximum,
        min_inclusive=not strict,
        error=f"{label} : valeur hors limites"
        + (f" ({minimum} à {maximum})." if maximum is not None else f" (minimum {minimum})."),
    )
    return fields.Float(
        validate=bound,
        allow_nan=False,
        error_messages={"invalid": f"{label} : nombre attendu.", "special": "Nombre invalide."},
        metadata={"description": label, **({"exclusiveMinimum": True} if strict else {})},
    )


def _choice(enum_cls, label: str):
    return fields.Enum(
        enum_cls,
        by_value=True,
        error_messages={"unknown": f"{label} : valeur inconnue (valeurs possibles : {{choices}})."},
        metadata={"description": label},
    )


class BBox(fields.Field):
    """``minlon,minlat,maxlon,maxlat`` in WGS84 degrees."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = tuple(float(part) for part in str(value).split(","))
        except ValueError as error:
            raise ValidationError(
                "bbox : quatre nombres séparés par des virgules attendus."
            ) from error
        if len(parts) != 4:
            raise ValidationError("bbox : quatre nombres attendus (minlon,minlat,maxlon,maxlat).")
        minlon, minlat, maxlon, maxlat = parts
        if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
            raise ValidationError("bbox : emprise invalide (minlon < maxlon, minlat < maxlat).")
        return parts


class SiteFilterSchema(Schema):
    """Query-string parameters that select sites (and, through them, premises)."""

    site_kind = fields.List(_choice(SiteKind, "Type de site"))
    commune = fields.String(
        validate=validate.Regexp(r"^[0-9][0-9AB][0-9]{3}$", error="Commune : code INSEE attendu."),
        metadata={"description": "Code INSEE de la commune du site"},
    )
    intercommunality = fields.String(
        validate=validate.Regexp(r"^[a-z0-9_]+$", error="Intercommunalité : clé invalide."),
        metadata={"description": "Clé de l'intercommunalité de 2011 (san_senart_77, camvs…)"},
    )
    sector = _choice(Sector, "Filière")
    lat = _number("Latitude", minimum=-90, maximum=90)
    lon = _number("Longitude", minimum=-180, maximum=180)
    near = fields.String(
        validate=validate.Regexp(
            r"^[0-9][0-9AB][0-9]{3}$", error="Autour de : code INSEE attendu."
        ),
        metadata={"description": "Code INSEE d'une commune : recherche autour de son centre"},
    )
    radius_km = _number("Rayon (km)", minimum=0, maximum=MAX_RADIUS_KM, strict=True)
    bbox = BBox(metadata={"description": "Emprise minlon,minlat,maxlon,maxlat (WGS84)"})
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=MAX_PAGE, error="Page : entier positif attendu (1 000 000 au plus)."
        ),
        error_messages={"invalid": "Page : entier attendu."},
    )
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=10_000, error="per_page : entre 1 et 10 000."),
        error_messages={"invalid": "per_page : entier attendu."},
    )

    @validates_schema
    def _coherent_centre(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if ("lat" in data) != ("lon" in data):
            errors["lon" if "lat" in data else "lat"] = ["Latitude et longitude vont ensemble."]
        if "near" in data and "lat" in data:
            errors["near"] = ["Choisissez un point ou une commune, pas les deux."]
        has_centre = "lat" in data or "near" in data
        if "radius_km" in data and not has_centre:
            errors["radius_km"] = ["Un rayon demande un point ou une commune de référence."]
        if data.get("sort", "").lstrip("-") == "distance" and not has_centre:
            errors["sort"] = ["Le tri par distance demande un point ou une commune."]
        if errors:
            raise ValidationError(errors)


class PremisesFilterSchema(SiteFilterSchema):
    """Query-string parameters of the premises search."""

    kind = fields.List(_choice(PremisesKind, "Type de local"))
    surface_min = _number("Surface minimale (m²)")
    surface_max = _number("Surface maximale (m²)")
    max_rent = _number("Loyer maximal (€ HT/m²/an)")
    max_sale_price = _number("Prix de vente maximal (€ HT/m²)")
    available_by = fields.Date(
        error_messages={"invalid": "Date de disponibilité : date attendue (AAAA-MM-JJ)."},
        metadata={"description": "Disponible au plus tard à cette date"},
    )
    availability = fields.List(_choice(Availability, "Disponibilité"))
    sort = fields.String(
        validate=validate.OneOf(SORT_VALUES, error="Tri : valeur inconnue."),
        metadata={"description": "Tri ; préfixe « - » pour l'ordre décroissant"},
    )

    @validates_schema
    def _coherent_surfaces(self, data, **kwargs):
        low, high = data.get("surface_min"), data.get("surface_max")
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {"surface_max": ["La surface maximale doit dépasser la surface minimale."]}
            )


@dataclass(frozen=True)
class PremisesFilters:
    """A parsed premises search."""

    kinds: tuple[PremisesKind, ...] = ()
    surface_min: float | None = None
    surface_max: float | None = None
    max_rent: float | None = None
    max_sale_price: float | None = None
    available_by: date | None = None
    availability: tuple[Availability, ...] = DEFAULT_AVAILABILITY
    site_kinds: tuple[SiteKind, ...] = ()
    commune: str | None = None
    intercommunality: str | None = None
    sector: Sector | None = None
    point: tuple[float, float] | None = None  # (lon, lat)
    near: str | None = None  # INSEE code whose centroid is the centre
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def has_centre(self) -> bool:
        """Whether a distance can be computed."""
        return self.point is not None or self.near is not None

    def counted_per_site(self) -> bool:
        """Whether the premises' counts per site, kind and availability (the table
        ``premises_site_count``) answer these filters, the place (``bbox``) aside.

        They answer the premises' kinds and availabilities and every filter on the site;
        any other filter that selects premises (surfaces, prices, dates, distance, or one
        added later) needs the premises themselves, unless it keeps its default value.
        """
        return all(
            getattr(self, field.name) == field.default
            for field in dataclasses.fields(self)
            if field.name not in SITE_COUNT_FIELDS | UNSELECTIVE_FIELDS
        )


# Filters the counts per site, kind and availability answer (queries.site_conditions).
SITE_COUNT_FIELDS = frozenset(
    {"kinds", "availability", "site_kinds", "commune", "intercommunality", "sector"}
)
# Fields that select no premises: the place (given by the tile) and the page's order and size.
UNSELECTIVE_FIELDS = frozenset({"bbox", "sort", "page", "per_page"})


DEFAULT_RADIUS_KM = 5.0


class PageFilterSchema(PremisesFilterSchema):
    """The search page's parameters: the filters and the list/map toggle."""

    view = fields.String(validate=validate.OneOf(("carte", "liste"), error="Vue : carte ou liste."))


class ApiPremisesSchema(PremisesFilterSchema):
    """The premises API's parameters: the filters and the output format."""

    format = fields.String(
        load_default="geojson",
        validate=validate.OneOf(("geojson", "rows"), error="format : geojson ou rows."),
        metadata={"description": "geojson (défaut) ou rows (tableau compact pour la carte)"},
    )


class TileSiteSchema(SiteFilterSchema):
    """The sites tiles' parameters: the sites' filters, the tile standing for bbox and pages."""

    class Meta:
        exclude = ("bbox", "page", "per_page")


class TilePremisesSchema(PremisesFilterSchema):
    """The premises tiles' parameters: the filters, the tile standing for bbox, pages, order."""

    class Meta:
        exclude = ("bbox", "page", "per_page", "sort")


def without_blanks(args: MultiDict) -> MultiDict:
    """The parameters that have a value (an empty form field means « no filter »)."""
    return MultiDict([(key, value) for key, value in args.items(multi=True) if value.strip()])


def parse(args, *, schema: Schema | None = None, max_per_page: int = 100):
    """Parse a query string (a MultiDict) into filters and the other parameters' values.

    Raises ValidationError with French messages per parameter.
    """
    schema = schema or PremisesFilterSchema()
    data = schema.load(MultiDictProxy(without_blanks(args), schema), unknown=EXCLUDE)
    return from_data(data, max_per_page=max_per_page), data


def from_data(data: dict, *, max_per_page: int = 100) -> PremisesFilters:
    """Filters from the schema's loaded values."""
    if data["per_page"] > max_per_page:
        raise ValidationError({"per_page": [f"per_page : {max_per_page} au plus."]})
    point = (data["lon"], data["lat"]) if "lat" in data else None
    has_centre = point is not None or "near" in data
    return PremisesFilters(
        kinds=tuple(data.get("kind", ())),
        surface_min=data.get("surface_min"),
        surface_max=data.get("surface_max"),
        max_rent=data.get("max_rent"),
        max_sale_price=data.get("max_sale_price"),
        available_by=data.get("available_by"),
        availability=tuple(data.get("availability") or DEFAULT_AVAILABILITY),
        site_kinds=tuple(data.get("site_kind", ())),
        commune=data.get("commune"),
        intercommunality=data.get("intercommunality"),
        sector=data.get("sector"),
        point=point,
        near=data.get("near"),
        radius_km=data.get("radius_km", DEFAULT_RADIUS_KM if has_centre else None),
        bbox=data.get("bbox"),
        sort=data.get("sort"),
        page=data["page"],
        per_page=data["per_page"],
    )


def messages(error: ValidationError | dict) -> dict[str, list[str]]:
    """Flatten marshmallow's messages to {parameter: [French messages]}."""
    flat: dict[str, list[str]] = {}

    def walk(key: str, value) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(key, inner)
        elif isinstance(value, list):
            for inner in value:
                walk(key, inner)
        else:
            text = str(value)
            if text == "Unknown field.":
                text = f"Paramètre inconnu : {key}."
            flat.setdefault(key, []).append(text)

    raw = error.messages if isinstance(error, ValidationError) else error
    for key, value in (raw if isinstance(raw, dict) else {"_": raw}).items():
        walk(key, value)
    return flat
