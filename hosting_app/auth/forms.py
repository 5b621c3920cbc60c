"""Login, second-factor, password and two-factor forms (no database access here)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from hosting_app.auth.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Adresse électronique",
        validators=[
            DataRequired("Saisissez votre adresse électronique."),
            Email("Adresse électronique invalide.", check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Saisissez votre mot de passe."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Se connecter")


class CodeForm(FlaskForm):
    """The second step of a login: a code of the app, or a recovery code."""

    code = StringField(
        "Code de vérification",
        description=(
            "Les 6 chiffres affichés par votre application d'authentification, ou l'un de vos "
            "codes de secours (par exemple abcd-efgh-jkmn)."
        ),
        validators=[DataRequired("Saisissez le code."), Length(max=32)],
        render_kw={
            "autocomplete": "one-time-code",
            "spellcheck": "false",
            "autocapitalize": "off",
        },  # fmt: skip
    )
    submit = SubmitField("Valider")


class ConfirmTotpForm(FlaskForm):
    """The first code of the app, which confirms its enrolment."""

    code = StringField(
        "Code à 6 chiffres affiché par l'application",
        validators=[DataRequired("Saisissez le code affiché par l'application."), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Activer la double authentification")


class DisableTotpForm(CodeForm):
    """A current code, to turn two-factor authentication off."""

    submit = SubmitField("Désactiver la double authentification")


class RenewRecoveryCodesForm(CodeForm):
    """A current code, to replace the recovery codes."""

    submit = SubmitField("Obtenir de nouveaux codes de secours")


class PasswordChangeForm(FlaskForm):
    """The current password and the new one, twice."""

    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Saisissez votre mot de passe actuel."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "Nouveau mot de passe",
        description=(
            f"Au moins {MIN_LENGTH} caractères, sans mot de passe répandu. Une phrase de "
            "plusieurs mots est facile à retenir et difficile à deviner."
        ),
        validators=[
            DataRequired("Saisissez le nouveau mot de passe."),
            Length(min=MIN_LENGTH, message=f"Au moins {MIN_LENGTH} caractères."),
            Length(max=MAX_LENGTH, message=f"Au plus {MAX_LENGTH} caractères."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        "Nouveau mot de passe, à nouveau",
        validators=[
            DataRequired("Saisissez à nouveau le nouveau mot de passe."),
            EqualTo("new_password", "Les deux saisies du nouveau mot de passe diffèrent."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    # Shown only to a user who has working API tokens.
    revoke_tokens = BooleanField("Révoquer aussi mes jetons d'API", default=True)
    submit = SubmitField("Changer le mot de passe")
