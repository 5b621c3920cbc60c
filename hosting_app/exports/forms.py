"""The form of the CNIG import (administrators)."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileRequired
from wtforms import MultipleFileField

from hosting_app.forms import FrenchForm


class CnigImportForm(FrenchForm):
    """One ZIP package, or the site-eco and/or terrain-eco CSV files."""

    files = MultipleFileField(
        "Fichiers CNIG",
        description="Le paquet ZIP exporté ici, ou les fichiers site-eco.csv et terrain-eco.csv.",
        validators=[
            FileRequired(message="Choisissez au moins un fichier."),
            FileAllowed(["zip", "csv"], "Fichiers .zip ou .csv seulement."),
        ],
        render_kw={"accept": ".zip,.csv"},
    )
