"""The public inquiry form, with French messages and the SIRET and phone checks."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms import ValidationError as FieldError
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from hosting_app.forms import FrenchForm
from hosting_app.leads import identifiers
from hosting_app.sites.models import PremisesKind

MESSAGE_MAX_LENGTH = 5000
SURFACE_MESSAGE = "Indiquez une surface positive en m² (10 000 000 au plus)."

CONSENT_LABEL = (
    "J'accepte que ces informations soient transmises aux développeurs économiques des "
    "organisations du territoire — les intercommunalités, l'EPA Sénart, les Maisons de "
    "l'emploi et de la formation (MDEF) et le SYMPAV — dans le seul but de répondre à ma "
    "demande. Elles sont conservées 3 ans après notre dernier contact. Je peux y accéder, les "
    "faire rectifier ou effacer en écrivant à l'organisation qui me répond."
)


def normalise_siret(value: str) -> str:
    """The SIRET as 14 digits; raises a French ValueError when it is not a valid one."""
    return identifiers.clean_siret(value)


def normalise_phone(value: str) -> str:
    """The phone number in E.164 (French numbers by default); raises a French ValueError."""
    return identifiers.clean_phone(value)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _strip_text(value: str | None) -> str | None:
    """Strip, and count a line break as one character, as the browser's maxlength does."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class InquiryForm(FrenchForm):
    """Who asks, for which firm, what it needs; consent and a honeypot for bots."""

    contact_name = StringField(
        "Vos nom et prénom",
        filters=[_strip],
        validators=[
            DataRequired("Indiquez vos nom et prénom."),
            Length(max=200, message="200 caractères au plus."),
        ],
        render_kw={"autocomplete": "name"},
    )
    firm_name = StringField(
        "Nom de l'entreprise",
        filters=[_strip],
        validators=[
            DataRequired("Indiquez le nom de l'entreprise."),
            Length(max=200, message="200 caractères au plus."),
        ],
        render_kw={"autocomplete": "organization"},
    )
    siret = StringField(
        "SIRET de l'établissement (facultatif)",
        filters=[_strip],
        validators=[Optional()],
        description="14 chiffres, espaces acceptés.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    email = EmailField(
        "Adresse électronique",
        filters=[_strip],
        validators=[
            DataRequired("Indiquez votre adresse électronique."),
            Email("Adresse électronique invalide.", check_deliverability=False),
            Length(max=254, message="254 caractères au plus."),
        ],
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        "Téléphone (facultatif)",
        filters=[_strip],
        validators=[Optional()],
        render_kw={"autocomplete": "tel"},
    )
    premises_kind = SelectField(
        "Type de local recherché",
        choices=[SelectChoice("", "Indifférent")]
        + [SelectChoice(kind.value, kind.label) for kind in PremisesKind],
        validate_choice=True,
    )
    surface_min_m2 = IntegerField(
        "Surface minimale en m² (facultatif)",
        validators=[
            Optional(),
            NumberRange(min=1, max=10_000_000, message=SURFACE_MESSAGE),
        ],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    surface_max_m2 = IntegerField(
        "Surface maximale en m² (facultatif)",
        validators=[
            Optional(),
            NumberRange(min=1, max=10_000_000, message=SURFACE_MESSAGE),
        ],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    wanted_from = DateField(
        "Date d'installation souhaitée (facultatif)",
        validators=[Optional()],
    )
    message = TextAreaField(
        "Votre projet",
        filters=[_strip_text],
        validators=[
            DataRequired("Décrivez votre projet en quelques lignes."),
            Length(
                max=MESSAGE_MAX_LENGTH,
                message=f"Raccourcissez votre message : {MESSAGE_MAX_LENGTH} caractères au plus.",
            ),
        ],
        description="Activité, effectif, calendrier, besoins particuliers…",
        render_kw={"rows": 8, "maxlength": MESSAGE_MAX_LENGTH},
    )
    consent = BooleanField(
        CONSENT_LABEL,
        validators=[
            DataRequired(
                "Cochez cette case pour que votre demande puisse être transmise et traitée."
            )
        ],
    )
    # Honeypot: hidden from people and screen readers, filled in by bots.
    website = StringField(
        "Ne pas remplir ce champ", render_kw={"tabindex": "-1", "autocomplete": "off"}
    )
    submit = SubmitField("Envoyer la demande")

    def validate_siret(self, field: StringField) -> None:
        """Accept spaces; keep the 14 digits."""
        try:
            field.data = normalise_siret(field.data)
        except ValueError as error:
            raise FieldError(str(error)) from error

    def validate_phone(self, field: TelField) -> None:
        """Keep the number in E.164."""
        try:
            field.data = normalise_phone(field.data)
        except ValueError as error:
            raise FieldError(str(error)) from error

    def validate_surface_max_m2(self, field: IntegerField) -> None:
        """The maximum surface is not below the minimum."""
        low = self.surface_min_m2.data
        if low is not None and field.data is not None and low > field.data:
            raise FieldError(
                "La surface maximale doit être supérieure ou égale à la surface minimale."
            )

    def validate_wanted_from(self, field: DateField) -> None:
        """The wanted date is not in the past."""
        if field.data is not None and field.data < date.today():
            raise FieldError("Indiquez une date à venir.")

    def inquiry_data(self) -> dict[str, Any]:
        """The validated values, as keyword arguments of services.create_inquiry."""
        kind = self.premises_kind.data
        return {
            "contact_name": self.contact_name.data,
            "firm_name": self.firm_name.data,
            "siret": self.siret.data or None,
            "email": self.email.data,
            "phone": self.phone.data or None,
            "premises_kind": PremisesKind(kind) if kind else None,
            "surface_min_m2": self.surface_min_m2.data,
            "surface_max_m2": self.surface_max_m2.data,
            "wanted_from": self.wanted_from.data,
            "message": self.message.data,
        }

    @property
    def bot_filled_the_honeypot(self) -> bool:
        """Whether the hidden field was filled in, which only bots do."""
        return bool((self.website.data or "").strip())
