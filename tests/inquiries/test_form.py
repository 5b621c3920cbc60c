"""The public inquiry form, through the real page: storage, French errors, bots, rate limit."""

from __future__ import annotations

import html

import pytest

from tests.helpers import csrf_token
from tests.inquiries.conftest import stored_inquiries


def _post(client, url: str, data: dict):
    """Open the form, then post it with the page's CSRF token."""
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data=data | {"csrf_token": token})


def test_form_about_a_premises_shows_it(client, demo_premises):
    response = client.get(f"/demande?local={demo_premises['id']}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Envoyer une demande</h1>" in page
    assert demo_premises["label"] in page
    assert demo_premises["site_name"] in page
    assert demo_premises["kind"] in page
    assert "démonstration" in page
    assert "m²" in page
    assert "EPA Sénart" in page and "SYMPAV" in page and "3 ans" in page  # the consent text


def test_valid_inquiry_about_a_premises_is_stored_and_confirmed(
    app, client, demo_premises, inquiry_data
):
    url = f"/demande?local={demo_premises['id']}"
    response = _post(client, url, inquiry_data())
    assert response.status_code == 302
    assert response.headers["Location"] == "/demande/merci"

    [inquiry] = stored_inquiries(app)
    assert inquiry.premises_id == demo_premises["id"]
    assert inquiry.site_id == demo_premises["site_id"]
    assert inquiry.contact_name == "Camille Durand"
    assert inquiry.firm_name == "Atelier Durand SAS"
    assert inquiry.siret == "73282932000074"
    assert inquiry.email == "camille.durand@example.fr"
    assert inquiry.phone == "+33164102030"
    assert inquiry.premises_kind == "workshop"
    assert (inquiry.surface_min_m2, inquiry.surface_max_m2) == (200, 400)
    assert inquiry.wanted_from is not None
    assert inquiry.consent_at is not None
    assert inquiry.status == "new" and inquiry.handled_at is None

    thanks = client.get("/demande/merci").get_data(as_text=True)
    assert "Votre demande est envoyée" in thanks
    assert "développeur économique" in thanks
    assert 'href="/"' in thanks


def test_inquiry_about_a_site_names_the_site_only(app, client, inquiry_data):
    url = "/demande?site=ecopole-de-senart"
    assert "Écopôle de Sénart" in client.get(url).get_data(as_text=True)
    optional_left_empty = inquiry_data(
        siret="",
        phone="",
        premises_kind="",
        surface_min_m2="",
        surface_max_m2="",
        wanted_from="",
    )
    assert _post(client, url, optional_left_empty).status_code == 302
    [inquiry] = stored_inquiries(app)
    assert inquiry.site_id is not None and inquiry.premises_id is None
    assert inquiry.siret is None and inquiry.phone is None and inquiry.premises_kind is None
    assert inquiry.surface_min_m2 is None and inquiry.wanted_from is None


def test_general_inquiry_without_site(app, client, inquiry_data):
    assert _post(client, "/demande", inquiry_data()).status_code == 302
    [inquiry] = stored_inquiries(app)
    assert inquiry.site_id is None and inquiry.premises_id is None


def test_la_poste_siret_is_accepted(app, client, inquiry_data):
    response = _post(client, "/demande", inquiry_data(siret="356 000 000 00048"))
    assert response.status_code == 302
    assert stored_inquiries(app)[0].siret == "35600000000048"


@pytest.mark.parametrize(
    ("overrides", "message", "typed"),
    [
        ({"siret": "732 829 320 00075"}, "SIRET invalide : ", "732 829 320 00075"),
        ({"siret": "1234"}, "SIRET invalide : ", "1234"),
        ({"email": "camille.durand@"}, "Adresse électronique invalide.", "camille.durand@"),
        ({"phone": "01 23"}, "Numéro de téléphone invalide", "01 23"),
        (
            {"surface_min_m2": "500", "surface_max_m2": "100"},
            "La surface maximale doit être supérieure ou égale à la surface minimale.",
            "500",
        ),
        ({"surface_min_m2": "-5"}, "Indiquez une surface positive en m²", "-5"),
        ({"surface_min_m2": "beaucoup"}, "N'est pas un entier valide.", "Camille Durand"),
        ({"wanted_from": "2001-01-01"}, "Indiquez une date à venir.", "2001-01-01"),
        ({"consent": None}, "Cochez cette case", "Camille Durand"),
        ({"contact_name": ""}, "Indiquez vos nom et prénom.", "Atelier Durand SAS"),
        ({"message": "x" * 5001}, "5000 caractères au plus", "x" * 5001),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_typed_is_lost(
    app, client, demo_premises, inquiry_data, overrides, message, typed
):
    url = f"/demande?local={demo_premises['id']}"
    response = _post(client, url, inquiry_data(**overrides))
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert 'aria-invalid="true"' in page
    assert typed in page
    data = inquiry_data()
    for name in ("contact_name", "firm_name", "email", "message", "surface_max_m2"):
        if name not in overrides:
            assert data[name] in page, name
    assert demo_premises["label"] in page  # still about the same premises
    assert stored_inquiries(app) == []


def test_errors_are_linked_to_their_fields(client, inquiry_data):
    response = _post(client, "/demande", inquiry_data(email="nope"))
    page = response.get_data(as_text=True)
    assert 'aria-describedby="email-error"' in page
    assert '<p class="error" id="email-error">Adresse électronique invalide.</p>' in page
    assert '<a href="#email">Adresse électronique invalide.</a>' in page  # the summary


def test_missing_csrf_token_is_refused_and_keeps_what_was_typed(app, client, inquiry_data):
    response = client.post("/demande?site=carre-senart", data=inquiry_data())
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Le formulaire a expiré ou n'a pas pu être vérifié" in page
    assert 'value="Atelier Durand SAS"' in page
    assert "Nous fabriquons des pièces de précision" in page
    assert stored_inquiries(app) == []
    # The page carries a fresh token: sending it again works.
    again = client.post(
        "/demande?site=carre-senart", data=inquiry_data() | {"csrf_token": csrf_token(page)}
    )
    assert again.status_code == 302
    assert len(stored_inquiries(app)) == 1


def test_filled_honeypot_looks_like_success_but_stores_nothing(app, client, inquiry_data):
    response = _post(client, "/demande", inquiry_data(website="http://spam.example"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/demande/merci"
    assert stored_inquiries(app) == []


def test_honeypot_is_hidden_from_people_and_screen_readers(client):
    page = client.get("/demande").get_data(as_text=True)
    assert '<div class="honeypot" aria-hidden="true">' in page
    field = page[page.index('id="website"') - 80 : page.index('id="website"') + 80]
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field


def test_rate_limit_answers_429_in_french(app, client, inquiry_data, monkeypatch):
    monkeypatch.setitem(app.config, "INQUIRY_RATE_LIMIT", "2 per hour")
    token = csrf_token(client.get("/demande").get_data(as_text=True))
    data = inquiry_data() | {"csrf_token": token}
    assert client.post("/demande", data=data).status_code == 302
    assert client.post("/demande", data=data).status_code == 302
    response = client.post("/demande", data=data)
    assert response.status_code == 429
    assert "Trop de demandes envoyées depuis votre connexion. Réessayez plus tard." in (
        html.unescape(response.get_data(as_text=True))
    )
    assert len(stored_inquiries(app)) == 2
    assert client.get("/demande").status_code == 200  # reading the form is not limited


def test_default_rate_limit_is_five_per_hour(app):
    assert app.config["INQUIRY_RATE_LIMIT"] == "5 per hour"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize(
    "query", ["local=999999999", "local=abc", "local=99999999999999", "site=nulle-part"]
)
def test_unknown_subject_is_a_french_404(client, query):
    response = client.get(f"/demande?{query}")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_behind_a_proxy_the_app_sees_the_real_client_address(app):
    from flask import request

    from hosting_app import create_app

    def remote_addr(proxy_count: int) -> str:
        other = create_app(
            {
                "DATABASE_URL": app.config["DATABASE_URL"],
                "SECRET_KEY": "x",
                "PROXY_COUNT": proxy_count,
                "TESTING": True,
            }
        )
        other.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
        response = other.test_client().get(
            "/_addr",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        return response.get_data(as_text=True)

    assert remote_addr(1) == "203.0.113.9"
    assert remote_addr(0) == "10.0.0.1"  # no proxy configured: the header is not trusted
