"""« Mon compte »: the password change and two-factor authentication (enrolment, recovery
codes, turning it off). Routes of the ``auth`` blueprint."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from hosting_app.auth import sessions, twofactor
from hosting_app.auth.decorators import login_required
from hosting_app.auth.forms import (
    ConfirmTotpForm,
    DisableTotpForm,
    PasswordChangeForm,
    RenewRecoveryCodesForm,
)
from hosting_app.auth.models import User
from hosting_app.auth.passwords import verify_password
from hosting_app.auth.services import AccountError, change_password
from hosting_app.auth.throttle import throttle
from hosting_app.auth.tokens import active_tokens, revoke_user_tokens
from hosting_app.auth.views import WRONG_CODE, blueprint, render_throttled, throttled_message
from hosting_app.extensions import db, login_manager


@blueprint.get("/compte")
@login_required
def account():
    """The user's account: identity, password, two-factor authentication."""
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html", user=user, remaining=twofactor.remaining_recovery_codes(user)
    )


@blueprint.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password():
    """Change the password (the current one, then the new one twice); every other session of
    the user ends."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    tokens = active_tokens(db.session, user=user)
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        verdict = throttle().check(account=user.email, address=address)
        if not verdict.allowed:
            return render_throttled("auth/password.html", verdict, form=form)
        if not verify_password(user.password_hash, form.current_password.data):
            throttle().failed(account=user.email, address=address)
            form.current_password.errors.append("Mot de passe actuel incorrect.")
            status = 400
        else:
            try:
                change_password(db.session, user=user, new_password=form.new_password.data)
            except AccountError as error:
                form.new_password.errors.append(str(error))
                status = 400
            else:
                revoked = (
                    revoke_user_tokens(db.session, user=user)
                    if (tokens and form.revoke_tokens.data)
                    else 0
                )
                sessions.keep_current(user)
                db.session.commit()
                message = ("Votre mot de passe a été changé. Vos autres sessions, sur tout autre "
                           "appareil, ont été fermées.")  # fmt: skip
                if revoked:
                    message += f" Jetons d'API révoqués : {revoked}."
                flash(message, "success")
                return redirect(url_for(".account"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/password.html", form=form, tokens=tokens), status


def _enrolling_user() -> tuple[User | None, bool]:
    """The user on the two-factor page, and whether they are half-way through logging in."""
    if current_user.is_authenticated:
        return current_user._get_current_object(), False
    user = sessions.pending_user()
    return user, user is not None


def _status_page(user: User, *, status: int = 200, throttled: str | None = None, **forms):
    forms.setdefault("disable_form", DisableTotpForm(prefix="disable", formdata=None))
    forms.setdefault("renew_form", RenewRecoveryCodesForm(prefix="renew", formdata=None))
    remaining = twofactor.remaining_recovery_codes(user)
    page = render_template(
        "auth/two_factor_on.html", user=user, remaining=remaining, throttled=throttled, **forms
    )
    return page, status


def _recovery_codes_page(codes: list[str], next_url: str, *, first_time: bool):
    response = make_response(
        render_template(
            "auth/recovery_codes.html", codes=codes, next_url=next_url, first_time=first_time
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/compte/double-authentification", methods=["GET", "POST"])
def two_factor():
    """Enrol an authenticator app (QR code and secret, then a first code), or, once enrolled,
    the state of two-factor authentication."""
    user, pending = _enrolling_user()
    if user is None:
        return login_manager.unauthorized()
    if user.has_totp:
        return redirect(url_for(".second_factor")) if pending else _status_page(user)
    setup = session.get(sessions.TOTP_SETUP)
    if not isinstance(setup, dict) or setup.get("user") != user.id:
        setup = {"user": user.id, "secret": twofactor.new_secret()}
        session[sessions.TOTP_SETUP] = setup
    form = ConfirmTotpForm()
    status = 200
    if form.validate_on_submit():
        codes = twofactor.enable(db.session, user=user, secret=setup["secret"], code=form.code.data)
        if codes is not None:
            session.pop(sessions.TOTP_SETUP, None)
            if pending:
                next_url = sessions.pending_next(url_for("sites.home"))
                sessions.complete(user)
            else:
                user.end_sessions()  # a new factor: the other sessions end
                sessions.keep_current(user)
                next_url = url_for(".account")
            db.session.commit()
            flash("La double authentification est activée.", "success")
            return _recovery_codes_page(codes, next_url, first_time=True)
        form.code.errors.append(
            "Code incorrect. Vérifiez que l'heure de votre téléphone est juste et saisissez le "
            "code affiché maintenant."
        )
        status = 400
    elif request.method == "POST":
        status = 400
    uri = twofactor.provisioning_uri(setup["secret"], user.email)
    page = render_template(
        "auth/two_factor.html",
        form=form,
        qr_code=twofactor.qr_code_svg(uri),
        secret=twofactor.grouped(setup["secret"]),
        required=user.needs_totp,
        pending=pending,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _checked_code(form, user: User, name: str):
    """Check the current code of ``form`` (shown as ``name``) before a sensitive change;
    return an error page, or None when the code is right."""
    if not form.validate_on_submit():
        return _status_page(user, status=400, **{name: form})
    address = request.remote_addr or ""
    verdict = throttle().check(account=user.email, address=address)
    if not verdict.allowed:
        page, _ = _status_page(user, throttled=throttled_message(verdict))
        return page, 429, {"Retry-After": str(verdict.retry_after)}
    if twofactor.use_second_factor(db.session, user, form.code.data) is None:
        throttle().failed(account=user.email, address=address)
        form.code.errors.append(WRONG_CODE)
        return _status_page(user, status=400, **{name: form})
    return None


@blueprint.post("/compte/double-authentification/desactiver")
@login_required
def disable_two_factor():
    """Turn two-factor authentication off, with a current code (not for administrators)."""
    user = current_user._get_current_object()
    if not user.has_totp:
        return redirect(url_for(".two_factor"))
    if user.needs_totp:
        flash("La double authentification est obligatoire pour les administrateurs.", "error")
        return redirect(url_for(".two_factor"))
    refused = _checked_code(DisableTotpForm(prefix="disable"), user, "disable_form")
    if refused is not None:
        return refused
    twofactor.disable(db.session, user=user)
    user.end_sessions()
    sessions.keep_current(user)
    db.session.commit()
    flash("La double authentification est désactivée. Vos autres sessions ont été fermées.",
          "success")  # fmt: skip
    return redirect(url_for(".account"))


@blueprint.post("/compte/double-authentification/codes-de-secours")
@login_required
def renew_recovery_codes():
    """Replace the recovery codes, with a current code; the new ones are shown once."""
    user = current_user._get_current_object()
    if not user.has_totp:
        return redirect(url_for(".two_factor"))
    refused = _checked_code(RenewRecoveryCodesForm(prefix="renew"), user, "renew_form")
    if refused is not None:
        return refused
    codes = twofactor.new_recovery_codes(db.session, user)
    db.session.commit()
    return _recovery_codes_page(codes, url_for(".account"), first_time=False)
