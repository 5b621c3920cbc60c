"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from hosting_app.auth.forms import LoginForm
from hosting_app.auth.services import authenticate
from hosting_app.extensions import db

blueprint = Blueprint("auth", __name__)


@blueprint.route("/connexion", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in on valid credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("sites.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, email=form.email.data, password=form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash("Vous êtes connecté.", "success")
            return redirect(_safe_next(request.args.get("next")))
        flash("Adresse électronique ou mot de passe incorrect.", "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@blueprint.post("/deconnexion")
def logout():
    """Log out (POST, protected by CSRF)."""
    logout_user()
    flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("sites.home"))


def _safe_next(target: str | None) -> str:
    """A local path to go back to after login, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("sites.home")
