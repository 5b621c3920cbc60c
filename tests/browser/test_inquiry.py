"""Sending an inquiry about a premises unit in a real browser, with the keyboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from hosting_app.extensions import db
from hosting_app.inquiries.limits import limiter
from hosting_app.inquiries.models import Inquiry
from hosting_app.inquiries.services import create_inquiry
from hosting_app.sites.models import Premises
from tests.browser.conftest import axe_violations
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """No earlier test's inquiries count against this one's."""
    limiter.reset()
    yield
    limiter.reset()


def _demo_premises(app) -> tuple[int, str, str]:
    with app.app_context():
        premises = db.session.scalar(
            sa.select(Premises).where(Premises.is_demo).order_by(Premises.id)
        )
        return premises.id, premises.label, premises.site.name


def _stored_inquiries(app) -> list[tuple]:
    """The stored inquiries; the live server shares this test's connection and transaction."""
    with app.app_context():
        return db.session.execute(
            sa.select(
                Inquiry.firm_name,
                Inquiry.premises_id,
                Inquiry.siret,
                Inquiry.phone,
                Inquiry.premises_kind,
            )
        ).all()


def test_firm_sends_an_inquiry_about_a_premises(app, page):
    premises_id, label, site_name = _demo_premises(app)
    page.goto(f"/demande?local={premises_id}")
    assert page.locator("h1").inner_text() == "Envoyer une demande"
    subject = page.get_by_role("region", name="Votre demande porte sur")
    assert label in subject.inner_text() and site_name in subject.inner_text()
    assert axe_violations(page) == []

    # Sent empty first: French errors, linked to their fields, and still accessible.
    page.get_by_role("button", name="Envoyer la demande").click()
    assert page.get_by_role("heading", name="Votre demande n'est pas encore envoyée").is_visible()
    name = page.get_by_label("Vos nom et prénom")
    assert name.get_attribute("aria-invalid") == "true"
    assert page.locator("#contact_name-error").inner_text() == "Indiquez vos nom et prénom."
    assert axe_violations(page) == []

    name.fill("Camille Durand")
    page.keyboard.press("Tab")
    page.keyboard.type("Atelier Durand SAS")
    assert page.get_by_label("Nom de l'entreprise").input_value() == "Atelier Durand SAS"
    page.get_by_label("SIRET de l'établissement").fill("356 000 000 00048")
    page.get_by_label("Adresse électronique").fill("camille.durand@example.fr")
    page.get_by_label("Téléphone").fill("01 64 10 20 30")
    page.get_by_label("Type de local recherché").select_option(label="Atelier")
    page.get_by_label("Surface minimale en m²").fill("150")
    page.get_by_label("Surface maximale en m²").fill("300")
    page.get_by_label("Date d'installation souhaitée").fill(
        (date.today() + timedelta(days=60)).isoformat()
    )
    page.get_by_label("Votre projet").fill("Nous cherchons un atelier pour 6 personnes.")
    # From the message, Tab skips the hidden honeypot and reaches the consent box.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "consent"
    page.keyboard.press("Space")
    assert page.get_by_label("J'accepte que ces informations soient transmises").is_checked()
    page.keyboard.press("Tab")  # the link to the privacy notice, beside the box
    assert page.evaluate("document.activeElement.textContent").startswith("Données personnelles")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url("**/demande/merci")
    assert page.get_by_role("heading", name="Votre demande est envoyée").is_visible()
    assert axe_violations(page) == []
    assert _stored_inquiries(app) == [
        ("Atelier Durand SAS", premises_id, "35600000000048", "+33164102030", "workshop")
    ]


def test_developer_sees_the_inquiry_and_marks_it_handled(app, page, make_user):
    premises_id, label, _ = _demo_premises(app)
    with app.app_context():
        create_inquiry(
            db.session,
            premises=db.session.get(Premises, premises_id),
            contact_name="Camille Durand",
            firm_name="Atelier Durand SAS",
            email="camille.durand@example.fr",
            phone="+33164102030",
            message="Nous cherchons un atelier.\nPour six personnes.",
        )
        db.session.commit()
    email = make_user("developer", "mdef_senart")
    page.goto("/espace/demandes")
    page.wait_for_url("**/connexion?next=*")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/espace/demandes")
    row = page.get_by_role("row", name="Atelier Durand SAS")
    assert label in row.inner_text() and "camille.durand@example.fr" in row.inner_text()
    assert axe_violations(page) == []
    row.get_by_role("button", name="Marquer comme traitée").click()
    flash = page.get_by_text("Demande de l'entreprise Atelier Durand SAS marquée comme traitée.")
    assert flash.is_visible()
    assert "Traitée le" in page.get_by_role("row", name="Atelier Durand SAS").inner_text()
    assert axe_violations(page) == []
