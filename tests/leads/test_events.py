"""Leads and interactions name the event they came from."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from hosting_app.backoffice.models import Event
from hosting_app.leads.models import Interaction, Lead
from tests.helpers import csrf_token, login


def test_interaction_and_lead_record_their_event(client, session, aero, camvs_dev):
    event = Event(
        name="Rencontres de l'Écopôle",
        starts_on=date.today() - timedelta(days=3),
        place="Lieusaint",
    )
    session.add(event)
    session.commit()
    login(client, camvs_dev.email)
    page = client.get(f"/entreprises/{aero.id}").get_data(as_text=True)
    assert "Rencontres de l&#39;Écopôle" in page
    client.post(
        f"/entreprises/{aero.id}/demarches",
        data={
            "occurred_on": date.today().isoformat(),
            "channel": "event",
            "summary": "Stand",
            "event_id": str(event.id),
            "csrf_token": csrf_token(page),
        },
    )
    form = client.get(f"/entreprises/{aero.id}/projets/nouveau").get_data(as_text=True)
    client.post(
        f"/entreprises/{aero.id}/projets/nouveau",
        data={
            "title": "Vu au salon",
            "source": "event",
            "event_id": str(event.id),
            "csrf_token": csrf_token(form),
        },
    )
    session.expire_all()
    assert (
        session.scalar(sa.select(Interaction.event_id).where(Interaction.summary == "Stand"))
        == event.id
    )
    assert session.scalar(sa.select(Lead.event_id).where(Lead.title == "Vu au salon")) == event.id
