"""Back-office forms: site, premises, photo, bulk update, event. Messages in French."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms import ValidationError as FieldError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from hosting_app.backoffice import images
from hosting_app.db import SLUG_PATTERN
from hosting_app.forms import FiniteDecimalField, FrenchForm, strip
from hosting_app.labels import Sector
from hosting_app.sites.models import (
    AccessKind,
    Availability,
    PositionConfidence,
    PremisesKind,
    SiteKind,
    SiteStatus,
)

SLUG = rf"^{SLUG_PATTERN}$"
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def choices(enum_cls, empty: str | None = None) -> list[SelectChoice]:
    """Select choices of a labelled enum, optionally after an empty one."""
    items = [SelectChoice(member.value, member.label) for member in enum_cls]
    return ([SelectChoice("", empty)] if empty is not None else []) + items


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (rendered in a fieldset by the templates)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FrenchDecimalField(FiniteDecimalField):
    """A decimal typed the French way too: « 1 234,5 » as well as « 1234.5 »."""

    widget = widgets.TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"[\s\u00a0\u202f]", "", v).replace(",", ".") for v in valuelist]
        super().process_formdata(valuelist)


def positive(
    message: str = "Valeur positive attendue.", maximum: Decimal = Decimal("99999999.99")
) -> NumberRange:
    """A strictly positive number (the database refuses zero) that its column holds
    (numeric(10, 2) unless said)."""
    largest = f"{maximum:,}".replace(",", "\u202f").replace(".", ",")
    return NumberRange(
        min=Decimal("0.01"), max=maximum, message=f"{message.rstrip('.')} ({largest} au plus)."
    )


def lines(text: str | None) -> list[str]:
    """The non-blank lines of a text area, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


ACCESS_KINDS = (
    {kind.label.lower(): kind for kind in AccessKind}
    | {kind.value: kind for kind in AccessKind}
    | {"aeroport": AccessKind.AIRPORT}
)


def parse_accesses(text: str | None) -> list[tuple[AccessKind, str, Decimal]]:
    """Lines « type ; nom ; distance en km » as (kind, name, distance); ValueError in French."""
    accesses = []
    for number, line in enumerate(lines(text), start=1):
        parts = [part.strip() for part in line.split(";")]
        if len(parts) != 3 or not parts[1]:
            raise ValueError(f"Ligne {number} : écrivez « type ; nom ; distance en km ».")
        kind = ACCESS_KINDS.get(parts[0].lower())
        if kind is None:
            raise ValueError(
                f"Ligne {number} : type inconnu « {parts[0]} » (Route, Gare ou Aéroport)."
            )
        try:
            distance = Decimal(parts[2].replace(",", ".").removesuffix("km").strip())
        except InvalidOperation as error:
            raise ValueError(f"Ligne {number} : distance illisible « {parts[2]} ».") from error
        if not distance.is_finite() or distance < 0 or distance >= 10_000:  # NaN: no order
            raise ValueError(f"Ligne {number} : la distance doit être positive (en km).")
        accesses.append((kind, parts[1][:200], distance))
    return accesses


class SiteForm(FrenchForm):
    """Every field of a site, its perimeter (drawn, pasted or uploaded) and its point."""

    name = StringField(
        "Nom du site", filters=[strip],
        validators=[DataRequired("Indiquez le nom du site."), Length(max=200)],
    )  # fmt: skip
    slug = StringField(
        "Adresse de la page (slug)", filters=[strip],
        validators=[Optional(), Length(max=120), Regexp(SLUG, message=(
            "Lettres minuscules sans accent, chiffres et tirets (ex. parc-des-aulnes)."))],
        description="Laissée vide, elle est tirée du nom.",
    )  # fmt: skip
    kind = SelectField("Type de site", choices=choices(SiteKind))
    status = SelectField("État", choices=choices(SiteStatus))
    operator_id = SelectField("Organisation gestionnaire", choices=[], validators=[Optional()])
    operator_label = StringField(
        "Gestionnaire (précisions)", filters=[strip], validators=[Optional(), Length(max=500)]
    )
    communes = SelectMultipleField("Communes", choices=[], validators=[Optional()])
    address = StringField("Adresse", filters=[strip], validators=[Optional(), Length(max=500)])
    total_area_ha = FrenchDecimalField(
        "Surface totale (ha)", validators=[Optional(), positive("Surface positive attendue.")]
    )
    saleable_area_ha = FrenchDecimalField(
        "Surface commercialisable (ha)",
        validators=[Optional(), positive("Surface positive attendue.")],
    )
    area_note = StringField(
        "Note sur les surfaces", filters=[strip], validators=[Optional(), Length(max=1000)]
    )
    target_sectors = CheckboxesField("Filières ciblées", choices=choices(Sector))
    services = TextAreaField("Services (un par ligne)", validators=[Optional(), Length(max=5000)])
    pacte_action = StringField(
        "Action du Pacte", filters=[strip], validators=[Optional(), Length(max=32)],
        description="Par exemple « Axe 3 B-4 ».",
    )  # fmt: skip
    region_funded = BooleanField("Action financée par la Région Ile-de-France")
    description = TextAreaField("Description", filters=[strip], validators=[Length(max=10000)])
    source_urls = TextAreaField(
        "Sources (une adresse web par ligne)", validators=[Optional(), Length(max=5000)]
    )
    accesses = TextAreaField(
        "Accès (un par ligne : type ; nom ; distance en km)",
        validators=[Optional(), Length(max=5000)],
        description="Par exemple « Gare ; RER D Lieusaint-Moissy ; 2,5 ». Types : Route, Gare, "
        "Aéroport.",
    )
    position_confidence = SelectField(
        "Précision de la position", choices=choices(PositionConfidence)
    )
    position_source = StringField(
        "Source de la position", filters=[strip], validators=[Optional(), Length(max=1000)],
        description="D'où viennent le périmètre et le point (plan cadastral, relevé, carte…).",
    )  # fmt: skip
    perimeter = TextAreaField(
        "Périmètre (GeoJSON)", validators=[Optional(), Length(max=2_000_000)],
        description="Rempli par le dessin sur la carte ; vous pouvez aussi y coller un GeoJSON "
        "(WGS84 ou Lambert-93). Vide : pas de périmètre.",
    )  # fmt: skip
    perimeter_file = FileField(
        "Ou importer le périmètre d'un fichier",
        description="Un fichier GeoJSON, ou un CSV au standard CNIG site-eco (la ligne du site).",
    )
    point_mode = RadioField(
        "Point du site",
        choices=[
            SelectChoice("auto", "Calculé dans le périmètre"),
            SelectChoice("manual", "Saisi ci-dessous"),
        ],
        default="auto",
    )
    latitude = FrenchDecimalField(
        "Latitude du point", places=6,
        validators=[Optional(),
                    NumberRange(min=41, max=51.5, message="Latitude de France attendue.")],
    )  # fmt: skip
    longitude = FrenchDecimalField(
        "Longitude du point", places=6,
        validators=[Optional(),
                    NumberRange(min=-5.8, max=10, message="Longitude de France attendue.")],
    )  # fmt: skip
    version = HiddenField()

    def validate_saleable_area_ha(self, field):
        total = self.total_area_ha.data
        if field.data is not None and total is not None and field.data > total:
            raise FieldError("La surface commercialisable ne peut dépasser la surface totale.")

    def validate_source_urls(self, field):
        for url in lines(field.data):
            if not URL.match(url):
                raise FieldError(f"Adresse web invalide : « {url} » (http:// ou https://).")

    def validate_accesses(self, field):
        try:
            parse_accesses(field.data)
        except ValueError as error:
            raise FieldError(str(error)) from error

    def validate_latitude(self, field):
        if self.point_mode.data == "manual" and (field.data is None or self.longitude.data is None):
            raise FieldError("Saisissez la latitude et la longitude du point (ex. 48,6067).")

    def validate_point_mode(self, field):
        has_perimeter = bool((self.perimeter.data or "").strip()) or bool(
            getattr(self.perimeter_file.data, "filename", "")
        )
        if (
            field.data == "auto"
            and not has_perimeter
            and self.position_confidence.data != PositionConfidence.UNKNOWN.value
        ):
            raise FieldError(
                "Sans périmètre, saisissez le point du site, ou choisissez « Position inconnue »."
            )

    def values(self) -> dict:
        """The site's plain fields as the services take them (not perimeter nor point)."""
        return {
            "name": self.name.data,
            "slug": self.slug.data or None,
            "kind": SiteKind(self.kind.data),
            "status": SiteStatus(self.status.data),
            "operator_label": self.operator_label.data or None,
            "address": self.address.data or None,
            "total_area_ha": self.total_area_ha.data,
            "saleable_area_ha": self.saleable_area_ha.data,
            "area_note": self.area_note.data or None,
            "target_sectors": list(self.target_sectors.data or []),
            "services": lines(self.services.data),
            "pacte_action": self.pacte_action.data or None,
            "region_funded": bool(self.region_funded.data),
            "description": self.description.data or "",
            "source_urls": lines(self.source_urls.data),
            "position_confidence": PositionConfidence(self.position_confidence.data),
            "position_source": self.position_source.data or None,
        }


class PremisesForm(FrenchForm):
    """A premises unit: its facts, its outline (plot) or point (unit)."""

    label = StringField(
        "Nom du local", filters=[strip],
        validators=[DataRequired("Donnez un nom au local (ex. Lot 12, Atelier B3)."),
                    Length(max=120)],
    )  # fmt: skip
    kind = SelectField("Type de local", choices=choices(PremisesKind))
    surface_m2 = FrenchDecimalField(
        "Surface (m²)",
        validators=[InputRequired("Indiquez la surface en m²."),
                    positive("Surface positive attendue.")],
    )  # fmt: skip
    rent_eur_m2_year = FrenchDecimalField(
        "Loyer (€ HT/m²/an)", validators=[Optional(), positive("Loyer positif attendu.")]
    )
    sale_price_eur_m2 = FrenchDecimalField(
        "Prix de vente (€ HT/m²)", validators=[Optional(), positive("Prix positif attendu.")]
    )
    availability = SelectField("Disponibilité", choices=choices(Availability))
    available_from = DateField("Disponible à partir du", validators=[Optional()])
    ceiling_height_m = FrenchDecimalField(
        "Hauteur sous plafond (m)",
        validators=[Optional(), positive("Hauteur positive attendue.", Decimal("999.99"))],
    )
    cadastral_refs = StringField(
        "Références cadastrales", filters=[strip], validators=[Optional(), Length(max=500)],
        description="Séparées par des virgules, par exemple « 000 ZA 12, 000 ZA 13 ».",
    )  # fmt: skip
    description = TextAreaField("Description", filters=[strip], validators=[Length(max=10000)])
    is_demo = BooleanField("Local de démonstration (fictif)")
    geometry = TextAreaField(
        "Contour ou point (GeoJSON)", validators=[Optional(), Length(max=1_000_000)],
        description="Rempli par la carte : dessinez le contour d'un terrain ou placez le point "
        "d'un local. Vide : le local est placé au point du site.",
    )  # fmt: skip
    version = HiddenField()

    def validate_cadastral_refs(self, field):
        for ref in self.cadastral_list():
            if len(ref) > 20:
                raise FieldError(f"Référence trop longue : « {ref} » (20 caractères au plus).")

    def cadastral_list(self) -> list[str]:
        """The cadastral references, one per comma."""
        return [ref.strip() for ref in (self.cadastral_refs.data or "").split(",") if ref.strip()]

    def values(self) -> dict:
        """The premises' plain fields as the services take them (not the geometry)."""
        return {
            "label": self.label.data,
            "kind": PremisesKind(self.kind.data),
            "surface_m2": self.surface_m2.data,
            "rent_eur_m2_year": self.rent_eur_m2_year.data,
            "sale_price_eur_m2": self.sale_price_eur_m2.data,
            "availability": Availability(self.availability.data),
            "available_from": self.available_from.data,
            "ceiling_height_m": self.ceiling_height_m.data,
            "cadastral_refs": self.cadastral_list(),
            "description": self.description.data or "",
            "is_demo": bool(self.is_demo.data),
        }


def _photo_checks(form, field):
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        return
    if (upload.mimetype or "").lower() not in images.ALLOWED_TYPES:
        raise FieldError(
            f"Type de fichier refusé ({upload.mimetype or 'inconnu'}) : "
            "une photo JPEG, PNG ou WebP est attendue."
        )
    limit = current_app.config["PHOTO_MAX_BYTES"]
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > limit:
        raise FieldError(
            f"La photo pèse {size / (1024 * 1024):.1f} Mo : "
            f"{images.max_bytes_label(limit)} au plus.".replace(".", ",", 1)
        )


class PhotoForm(FrenchForm):
    """A photo to add, with its alternative text."""

    photo = FileField(
        "Photo", validators=[FileRequired("Choisissez une photo."), _photo_checks],
        description="JPEG, PNG ou WebP. Elle est redimensionnée et ses métadonnées retirées.",
    )  # fmt: skip
    alt_text = StringField(
        "Texte alternatif", filters=[strip],
        validators=[DataRequired("Décrivez la photo pour qui ne la voit pas."), Length(max=300)],
        description="Ce que montre la photo, en une phrase (lu aux personnes aveugles).",
    )  # fmt: skip


class AltTextForm(FrenchForm):
    """A photo's alternative text."""

    alt_text = StringField(
        "Texte alternatif", filters=[strip],
        validators=[DataRequired("Décrivez la photo pour qui ne la voit pas."), Length(max=300)],
    )  # fmt: skip


class BulkForm(FrenchForm):
    """The CSV file of a bulk update of premises."""

    file = FileField("Fichier CSV", validators=[FileRequired("Choisissez le fichier CSV.")])


class EventForm(FrenchForm):
    """An economic event of the territory."""

    name = StringField(
        "Nom de l'événement", filters=[strip],
        validators=[DataRequired("Indiquez le nom de l'événement."), Length(max=200)],
    )  # fmt: skip
    starts_on = DateField("Date", validators=[InputRequired("Indiquez la date de l'événement.")])
    ends_on = DateField("Date de fin (plusieurs jours)", validators=[Optional()])
    place = StringField(
        "Lieu", filters=[strip],
        validators=[DataRequired("Indiquez le lieu."), Length(max=250)],
    )  # fmt: skip
    organisations = CheckboxesField(
        "Organisations organisatrices",
        choices=[],
        validators=[DataRequired("Cochez au moins une organisation.")],
    )
    description = TextAreaField("Description", filters=[strip], validators=[Length(max=10000)])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise FieldError("La date de fin ne peut précéder la date de début.")
