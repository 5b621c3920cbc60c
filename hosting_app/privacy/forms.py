"""The administrators' forms: find a person by e-mail, export or erase their data."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from hosting_app.forms import FrenchForm, strip

EMAIL_CHECKS = [
    DataRequired("Indiquez l'adresse électronique de la personne."),
    Email("Adresse électronique invalide.", check_deliverability=False),
    Length(max=254, message="254 caractères au plus."),
]


class SearchForm(FrenchForm):
    """Look a person up by e-mail address."""

    email = EmailField(
        "Adresse électronique de la personne",
        filters=[strip],
        validators=EMAIL_CHECKS,
        description="Contacts des entreprises, demandes reçues et compte éventuel.",
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField("Rechercher")


class ExportForm(FrenchForm):
    """Download everything found under the address (right of access)."""

    email = HiddenField(filters=[strip], validators=EMAIL_CHECKS)
    submit = SubmitField("Télécharger les données (JSON)")


class EraseForm(FrenchForm):
    """Erase everything found under the address, once confirmed (right to erasure)."""

    email = HiddenField(filters=[strip], validators=EMAIL_CHECKS)
    confirm = BooleanField(
        "Je confirme l'effacement définitif de ces données",
        validators=[DataRequired("Cochez la case pour confirmer l'effacement.")],
    )
    submit = SubmitField("Effacer définitivement")
