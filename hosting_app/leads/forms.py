"""CRM forms: firm, contact person, interaction, lead."""

from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms import ValidationError as FieldError
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from hosting_app.forms import FiniteDecimalField, FrenchForm, strip
from hosting_app.labels import Sector
from hosting_app.leads import identifiers
from hosting_app.leads.models import Channel, LeadSource, WorkforceBand
from hosting_app.sites.models import PremisesKind

SURFACE_MESSAGE = "Surface positive attendue (moins de 100 millions de m²)."


def _choices(enum_cls, empty: str | None = "—") -> list[SelectChoice]:
    items = [SelectChoice(member.value, member.label) for member in enum_cls]
    return ([SelectChoice("", empty)] if empty is not None else []) + items


def _identifier(cleaner):
    def check(form, field):
        try:
            cleaner(field.data)
        except identifiers.InvalidIdentifier as error:
            raise FieldError(str(error)) from error

    return check


class FirmForm(FrenchForm):
    """A firm's identity and address."""

    name = StringField(
        "Raison sociale",
        filters=[strip],
        validators=[DataRequired("Indiquez le nom de l'entreprise."), Length(max=250)],
        render_kw={"autocomplete": "off"},
    )
    trade_name = StringField(
        "Nom commercial", filters=[strip], validators=[Optional(), Length(max=250)]
    )
    siret = StringField(
        "SIRET",
        filters=[strip],
        validators=[Optional(), _identifier(identifiers.clean_siret)],
        description="14 chiffres ; laissez vide pour un créateur sans SIRET.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    siren = StringField(
        "SIREN",
        filters=[strip],
        validators=[Optional(), _identifier(identifiers.clean_siren)],
        description="9 chiffres ; déduit du SIRET s'il est donné.",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    legal_form = StringField(
        "Forme juridique", filters=[strip], validators=[Optional(), Length(max=120)]
    )
    naf_code = StringField(
        "Code NAF",
        filters=[strip, lambda v: v.upper() if isinstance(v, str) else v],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{2}\.[0-9]{2}[A-Z]$", message="Format attendu : 25.62B."),
        ],
    )
    workforce_band = SelectField(
        "Effectif", choices=_choices(WorkforceBand), validators=[Optional()]
    )
    sector = SelectField("Filière", choices=_choices(Sector), validators=[Optional()])
    address = StringField("Adresse", filters=[strip], validators=[Optional(), Length(max=500)])
    postcode = StringField(
        "Code postal",
        filters=[strip],
        validators=[Optional(), Regexp(r"^[0-9]{5}$", message="5 chiffres attendus.")],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code"},
    )
    city = StringField("Commune", filters=[strip], validators=[Optional(), Length(max=120)])
    website = URLField("Site web", filters=[strip], validators=[Optional(), Length(max=250)])
    email = EmailField(
        "Adresse électronique de l'entreprise",
        filters=[strip],
        validators=[
            Optional(),
            Email("Adresse électronique invalide.", check_deliverability=False),
        ],
        description="Une adresse générique (contact@…) : son domaine aide à reconnaître "
        "l'entreprise.",
    )
    phone = TelField(
        "Téléphone (standard)",
        filters=[strip],
        validators=[Optional(), _identifier(identifiers.clean_phone)],
    )
    confirm_new = HiddenField(default="")
    version = HiddenField()

    def values(self) -> dict:
        """The submitted values, as the firm services take them."""
        data = {
            name: self[name].data
            for name in (
                "name", "trade_name", "siret", "siren", "legal_form", "naf_code",
                "workforce_band", "sector", "address", "postcode", "city", "website", "phone",
            )
        }  # fmt: skip
        domain = identifiers.email_domain(self.email.data)
        if domain:
            data["email_domain"] = domain
        return data


class ContactForm(FrenchForm):
    """A contact person at a firm (personal data)."""

    name = StringField(
        "Nom et prénom",
        filters=[strip],
        validators=[DataRequired("Indiquez le nom."), Length(max=200)],
    )
    role = StringField("Fonction", filters=[strip], validators=[Optional(), Length(max=200)])
    email = EmailField(
        "Adresse électronique",
        filters=[strip],
        validators=[
            Optional(),
            Email("Adresse électronique invalide.", check_deliverability=False),
        ],
    )
    phone = TelField(
        "Téléphone", filters=[strip], validators=[Optional(), _identifier(identifiers.clean_phone)]
    )


class InteractionForm(FrenchForm):
    """An interaction on the shared timeline."""

    occurred_on = DateField(
        "Date", default=date.today, validators=[DataRequired("Indiquez la date.")]
    )
    channel = SelectField("Type de contact", choices=_choices(Channel, None))
    lead_id = SelectField(
        "Projet concerné", choices=[SelectChoice("", "Aucun")], validators=[Optional()]
    )
    event_id = SelectField(
        "Événement d'origine", choices=[SelectChoice("", "Aucun")], validators=[Optional()]
    )
    summary = TextAreaField(
        "Compte rendu",
        filters=[strip],
        validators=[DataRequired("Résumez l'échange."), Length(max=5000)],
    )
    next_step = StringField(
        "Prochaine étape", filters=[strip], validators=[Optional(), Length(max=500)]
    )
    reminder_on = DateField("Date de relance", validators=[Optional()])

    def validate_occurred_on(self, field):
        if field.data and field.data > date.today():
            raise FieldError(
                "Une démarche à venir se note comme prochaine étape, pas comme contact."
            )


class LeadForm(FrenchForm):
    """A lead: the firm's need and where it came from."""

    title = StringField(
        "Intitulé du projet",
        filters=[strip],
        validators=[DataRequired("Donnez un intitulé au projet."), Length(max=250)],
    )
    source = SelectField("Origine", choices=_choices(LeadSource, None))
    premises_kind = SelectField(
        "Type de local", choices=_choices(PremisesKind), validators=[Optional()]
    )
    # Bounded by their columns: numeric(10, 2), numeric(12, 2), integer.
    surface_min_m2 = FiniteDecimalField(
        "Surface minimale (m²)",
        validators=[Optional(), NumberRange(min=1, max=99_999_999, message=SURFACE_MESSAGE)],
    )
    surface_max_m2 = FiniteDecimalField(
        "Surface maximale (m²)",
        validators=[Optional(), NumberRange(min=1, max=99_999_999, message=SURFACE_MESSAGE)],
    )
    budget_eur_year = FiniteDecimalField(
        "Budget annuel (€ HT)",
        validators=[
            Optional(),
            NumberRange(min=1, max=9_999_999_999, message="Montant positif attendu."),
        ],
    )
    target_date = DateField("Date d'installation souhaitée", validators=[Optional()])
    jobs_planned = IntegerField(
        "Emplois prévus",
        validators=[
            Optional(),
            NumberRange(min=0, max=1_000_000, message="Nombre positif attendu."),
        ],
    )
    preferred_communes = SelectMultipleField(
        "Communes souhaitées", choices=[], validators=[Optional()]
    )
    event_id = SelectField(
        "Événement d'origine", choices=[SelectChoice("", "Aucun")], validators=[Optional()]
    )
    confidential = BooleanField("Projet confidentiel")
    codename = StringField(
        "Nom de code",
        filters=[strip],
        validators=[Optional(), Length(max=120)],
        description="Les autres organisations voient seulement qu'un projet confidentiel "
        "est suivi.",
    )
    notes = TextAreaField("Notes", filters=[strip], validators=[Optional(), Length(max=10000)])
    version = HiddenField()

    def validate_surface_max_m2(self, field):
        low = self.surface_min_m2.data
        if low is not None and field.data is not None and field.data < low:
            raise FieldError("La surface maximale doit dépasser la surface minimale.")

    def validate_codename(self, field):
        if self.confidential.data and not field.data:
            raise FieldError("Un projet confidentiel a besoin d'un nom de code.")

    def values(self) -> dict:
        """The submitted values, as the lead services take them."""
        return {
            "title": self.title.data,
            "source": LeadSource(self.source.data),
            "premises_kind": PremisesKind(self.premises_kind.data)
            if self.premises_kind.data
            else None,
            "surface_min_m2": self.surface_min_m2.data,
            "surface_max_m2": self.surface_max_m2.data,
            "budget_eur_year": self.budget_eur_year.data,
            "target_date": self.target_date.data,
            "jobs_planned": self.jobs_planned.data,
            "preferred_communes": list(self.preferred_communes.data or []),
            "confidential": bool(self.confidential.data),
            "codename": self.codename.data or None,
            "notes": self.notes.data or "",
            "event_id": int(self.event_id.data) if self.event_id.data else None,
        }
