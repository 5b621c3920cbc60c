"""The base form: Flask-WTF (CSRF) with WTForms' built-in French messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta


def strip(value):
    """Trim text input."""
    return value.strip() if isinstance(value, str) else value


class FrenchForm(FlaskForm):
    """A CSRF-protected form whose default messages are in French."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)
