"""The base form: Flask-WTF (CSRF) with WTForms' built-in French messages."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.utils import cached_property
from wtforms import DecimalField
from wtforms.meta import DefaultMeta


def strip(value):
    """Trim text input."""
    return value.strip() if isinstance(value, str) else value


class FrenchForm(FlaskForm):
    """A CSRF-protected form whose default messages are in French."""

    class Meta:
        locales = ("fr_FR", "fr")

        @cached_property
        def csrf(self) -> bool:
            """Off for a request authenticated by a Bearer token, as the app-wide check is:
            it carries no cookie, so there is nothing to forge (see create_app)."""
            from hosting_app.auth.tokens import bearer_token

            if bearer_token(request) is not None and current_user.is_authenticated:
                return False
            return current_app.config.get("WTF_CSRF_ENABLED", True)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)


class FiniteDecimalField(DecimalField):
    """A decimal number; « NaN » and infinities are refused like any text that is not one
    (no range check can order them, no column holds them)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
