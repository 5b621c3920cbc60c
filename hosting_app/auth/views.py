"""Login (password, then the second factor when the account has one) and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hosting_app.auth import sessions
from hosting_app.auth.forms import CodeForm, LoginForm
from hosting_app.auth.services import authenticate
from hosting_app.auth.throttle import Verdict, throttle
from hosting_app.auth.twofactor import remaining_recovery_codes, use_second_factor
from hosting_app.extensions import db

blueprint = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."
WRONG_CODE = "Code incorrect, expiré ou déjà utilisé."


def throttled_message(verdict: Verdict) -> str:
    """The French message of a refused attempt."""
    plural = "s" if verdict.minutes > 1 else ""
    return (
        "Trop de tentatives échouées pour ce compte ou depuis votre connexion. Par sécurité, "
        f"réessayez dans {verdict.minutes} minute{plural}."
    )


def render_throttled(template: str, verdict: Verdict, **context):
    """``template`` with the throttling message, as HTTP 429 with Retry-After."""
    body = render_template(template, throttled=throttled_message(verdict), **context)
    return body, 429, {"Retry-After": str(verdict.retry_after)}


@blueprint.route("/connexion", methods=["GET", "POST"])
def login():
    """Show the login form; on a right password, log in or go to the second step."""
    if current_user.is_authenticated:
        return redirect(url_for("sites.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data, request.remote_addr or ""
        verdict = throttle().check(account=email, address=address)
        if not verdict.allowed:  # refused before any password check
            return render_throttled("auth/login.html", verdict, form=form)
        user = authenticate(db.session, email=email, password=form.password.data)
        if user is None:
            throttle().failed(account=email, address=address)
            flash(WRONG_CREDENTIALS, "error")
            status = 401
        else:
            next_url = _safe_next(request.args.get("next"))
            if user.has_totp or user.needs_totp:
                sessions.begin(user, next_url)
                db.session.commit()
                if user.has_totp:
                    return redirect(url_for(".second_factor"))
                flash("La double authentification est obligatoire pour votre compte : "
                      "activez-la pour continuer.", "info")  # fmt: skip
                return redirect(url_for(".two_factor"))
            sessions.complete(user)
            db.session.commit()
            flash("Vous êtes connecté.", "success")
            return redirect(next_url)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@blueprint.route("/connexion/code", methods=["GET", "POST"])
def second_factor():
    """The second step of a login: a code of the user's app, or a recovery code."""
    user = sessions.pending_user()
    if user is None:
        flash("Saisissez d'abord votre adresse et votre mot de passe.", "info")
        return redirect(url_for(".login"))
    if not user.has_totp:
        return redirect(url_for(".two_factor"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        verdict = throttle().check(account=user.email, address=address)
        if not verdict.allowed:
            return render_throttled("auth/code.html", verdict, form=form)
        used = use_second_factor(db.session, user, form.code.data)
        if used is not None:
            next_url = sessions.pending_next(url_for("sites.home"))
            sessions.complete(user)
            db.session.commit()
            flash("Vous êtes connecté.", "success")
            if used == "recovery":
                left = remaining_recovery_codes(user)
                flash(f"Code de secours utilisé : il vous en reste {left}. Vous pouvez en "
                      "obtenir de nouveaux depuis « Mon compte ».", "info")  # fmt: skip
            return redirect(next_url)
        throttle().failed(account=user.email, address=address)
        form.code.errors.append(WRONG_CODE)
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/code.html", form=form), status


@blueprint.post("/deconnexion")
def logout():
    """Log out (POST, protected by CSRF): every session of the user ends, on every device."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    sessions.end(user)
    db.session.commit()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("sites.home"))


def _safe_next(target: str | None) -> str:
    """A local path to go back to after login, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("sites.home")


from hosting_app.auth import account  # noqa: E402,F401  (the /compte pages, same blueprint)
