"""The developers' list of inquiries: who sees it, and marking an inquiry handled."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from hosting_app.auth.models import User
from hosting_app.extensions import db
from hosting_app.inquiries.models import Inquiry
from tests.helpers import csrf_token, login
from tests.inquiries.conftest import stored_inquiries


def _send(client, inquiry_data, url: str = "/demande", **overrides) -> None:
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data=inquiry_data(**overrides) | {"csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["developer", "admin"])
def test_developers_and_admins_see_the_inquiries_newest_first(
    app, client, make_user, inquiry_data, demo_premises, role
):
    _send(client, inquiry_data, firm_name="Première Entreprise")
    _send(
        client,
        inquiry_data,
        f"/demande?local={demo_premises['id']}",
        firm_name="Seconde Entreprise",
        phone="06 12 34 56 78",
    )
    login(client, make_user(role, "camvs"))
    response = client.get("/espace/demandes")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Demandes reçues</h1>" in page
    assert page.index("Seconde Entreprise") < page.index("Première Entreprise")
    assert "Camille Durand" in page
    assert 'href="mailto:camille.durand@example.fr"' in page
    assert '<a href="tel:+33612345678">06 12 34 56 78</a>' in page
    assert demo_premises["site_name"] in page and demo_premises["label"] in page
    assert "Demande générale" in page
    assert "de 200 à 400 m²" in page
    assert "Atelier" in page  # the kind of premises wanted
    assert "2 demandes, dont 2 à traiter" in page


def test_marketing_may_not_see_the_inquiries(client, make_user, inquiry_data):
    _send(client, inquiry_data)
    login(client, make_user("marketing"))
    response = client.get("/espace/demandes")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Accès refusé" in page
    assert "camille.durand@example.fr" not in page


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/espace/demandes")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_developer_marks_an_inquiry_handled(app, client, make_user, inquiry_data):
    _send(client, inquiry_data)
    [inquiry] = stored_inquiries(app)
    email = make_user("developer", "sympav")
    login(client, email)
    url = f"/espace/demandes/{inquiry.id}/traitee"
    assert client.post(url).status_code == 400  # no CSRF token
    assert stored_inquiries(app)[0].status == "new"

    token = csrf_token(client.get("/espace/demandes").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/espace/demandes#demande-{inquiry.id}"
    with app.app_context():
        handled = db.session.get(Inquiry, inquiry.id)
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        assert handled.status == "handled"
        assert handled.handled_by_id == user_id
        assert handled.handled_at is not None
        first_handled_at = handled.handled_at

    page = html.unescape(client.get("/espace/demandes").get_data(as_text=True))
    assert "Demande de l'entreprise Atelier Durand SAS marquée comme traitée." in page
    assert "Traitée le" in page and email in page and "SYMPAV" in page
    assert "Marquer comme traitée" not in page

    # Marking it again keeps the first handling.
    client.post(url, data={"csrf_token": token})
    assert stored_inquiries(app)[0].handled_at == first_handled_at


def test_marketing_may_not_mark_an_inquiry_handled(app, client, make_user, inquiry_data):
    _send(client, inquiry_data)
    [inquiry] = stored_inquiries(app)
    login(client, make_user("marketing"))
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(f"/espace/demandes/{inquiry.id}/traitee", data={"csrf_token": token})
    assert response.status_code == 403
    assert stored_inquiries(app)[0].status == "new"


def test_marking_an_unknown_inquiry_is_a_404(client, make_user):
    login(client, make_user("developer"))
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/espace/demandes/999999/traitee", data={"csrf_token": token})
    assert response.status_code == 404
