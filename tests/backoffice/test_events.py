"""Economic events: managed by their organisers, listed publicly only while upcoming, and
counted with the leads and interactions they brought."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from hosting_app.auth.models import Organisation
from hosting_app.backoffice import events
from hosting_app.backoffice.models import Event
from hosting_app.leads import services as crm
from hosting_app.leads.models import Channel, LeadSource
from tests.backoffice.support import logged_in, post


def _event(session, user, name: str, starts_on: date, ends_on: date | None = None) -> Event:
    event = events.create_event(
        session, user=user, organisation_ids=[user.organisation_id],
        values={"name": name, "starts_on": starts_on, "ends_on": ends_on,
                "place": "Lieusaint", "description": ""},
    )  # fmt: skip
    session.commit()
    return event


def test_events_are_public_only_while_upcoming(client, session, epa_dev):
    today = date.today()
    _event(session, epa_dev, "Forum de l'aéronautique passé", today - timedelta(days=30))
    _event(session, epa_dev, "Salon en cours", today - timedelta(days=1), today + timedelta(days=1))
    _event(session, epa_dev, "Petit-déjeuner des entreprises", today + timedelta(days=20))
    listing = client.get("/evenements").get_data(as_text=True)
    assert "Petit-déjeuner des entreprises" in listing and "Salon en cours" in listing
    assert "Forum de l&#39;aéronautique passé" not in listing
    assert "Organisé par Établissement Public d&#39;Aménagement de Sénart" in listing
    home = client.get("/").get_data(as_text=True)
    assert "Prochains événements économiques" in home
    assert "Petit-déjeuner des entreprises" in home and "passé" not in home


def test_no_upcoming_event_no_home_section(client):
    assert "Prochains événements économiques" not in client.get("/").get_data(as_text=True)


def test_a_developer_announces_an_event_of_their_organisation(client, session, sympav_dev):
    logged_in(client, sympav_dev)
    page = client.get("/gestion/evenements/nouveau").get_data(as_text=True)
    assert f'value="{sympav_dev.organisation_id}"' in page
    cg77 = session.scalar(sa.select(Organisation.id).where(Organisation.key == "cg77"))
    in_a_month = (date.today() + timedelta(days=30)).isoformat()
    refused = post(client, "/gestion/evenements/nouveau", {
        "name": "Rencontres Villaroche", "starts_on": in_a_month, "place": "Réau",
        "organisations": [str(cg77)], "description": "Visite du parc."})  # fmt: skip
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Cochez votre organisation" in body and "Visite du parc." in body
    created = post(client, "/gestion/evenements/nouveau", {
        "name": "Rencontres Villaroche", "starts_on": in_a_month, "place": "Réau",
        "organisations": [str(sympav_dev.organisation_id), str(cg77)]})  # fmt: skip
    assert created.status_code == 302
    event = session.scalar(sa.select(Event).where(Event.name == "Rencontres Villaroche"))
    assert {o.key for o in event.organisations} == {"sympav", "cg77"}
    bad_dates = post(
        client,
        f"/gestion/evenements/{event.id}/modifier",
        {
            "name": "Rencontres Villaroche",
            "starts_on": in_a_month,
            "place": "Réau",
            "ends_on": date.today().isoformat(),
            "organisations": [str(sympav_dev.organisation_id)],
        },
    )
    assert "La date de fin ne peut précéder la date de début." in bad_dates.get_data(as_text=True)


def test_only_organisers_edit_an_event(client, session, sympav_dev, epa_dev):
    event = _event(session, epa_dev, "Journée de l'Écopôle", date.today() + timedelta(days=5))
    logged_in(client, sympav_dev)
    assert client.get(f"/gestion/evenements/{event.id}/modifier").status_code == 403


def test_the_events_page_counts_what_each_event_brought(client, session, aero, camvs_dev):
    event = _event(session, camvs_dev, "Salon des sous-traitants", date.today() - timedelta(days=3))
    lead = crm.create_lead(
        session, user=camvs_dev, firm=aero, title="Atelier 300 m²", source=LeadSource.EVENT
    )
    lead.event_id = event.id
    interaction = crm.log_interaction(
        session, user=camvs_dev, firm=aero, occurred_on=date.today() - timedelta(days=3),
        channel=Channel.EVENT, summary="Rencontre au salon.",
    )  # fmt: skip
    interaction.event_id = event.id
    session.commit()
    logged_in(client, camvs_dev)
    page = client.get("/gestion/evenements").get_data(as_text=True)
    row = page[page.index("Salon des sous-traitants") :]
    row = row[: row.index("</tr>")]
    assert row.count("<td>1</td>") == 3  # one lead, one interaction, one firm
