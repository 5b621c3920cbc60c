"""Alerts, matching, proposals, the board and the dashboard, through the pages."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa

from hosting_app.journeys import dashboard, services
from hosting_app.journeys.models import LeadStageChange
from hosting_app.leads import services as crm
from hosting_app.leads.models import Interaction, Lead, LeadSource, LeadStage
from hosting_app.sites.models import PremisesKind, SiteKind
from tests.helpers import csrf_token, login

TODAY = date.today()


def test_alerts_list_exactly_the_firms_inside_the_window(client, incubated, senart_dev):
    login(client, senart_dev.email)
    four = client.get("/alertes/pepinieres?mois=4").get_data(as_text=True)
    assert "Jeune Pousse 1" in four and "Jeune Pousse 2" not in four
    twelve = client.get("/alertes/pepinieres?mois=12").get_data(as_text=True)
    assert "Jeune Pousse 1" in twelve and "Jeune Pousse 2" in twelve


def test_alert_suggests_next_premises_with_reasons(session, incubated, lab, senart_dev):
    alerts = services.incubator_alerts(session, today=TODAY, until=TODAY + timedelta(days=120))
    ours = [(o, s) for o, s in alerts if o.firm_id == incubated[0].id]
    assert len(ours) == 1
    suggestions = ours[0][1]
    labels = [s.premises.label for s in suggestions]
    # The lab business hotel's free units of 220–660 m² fit; none is in an incubator.
    assert labels[:3] and set(labels) <= {"near", "edge_out", "later", "plot", "wide_plot"} | set(
        labels
    )
    assert all(s.premises.site.kind is not SiteKind.INCUBATOR for s in suggestions)
    assert all(s.fit.reasons for s in suggestions)


def test_matching_page_and_proposal(client, session, lab, senart_dev):
    firm = crm.create_firm(session, user=senart_dev, data={"name": "Atelier Demandeur"})
    lead = crm.create_lead(
        session,
        user=senart_dev,
        firm=firm,
        title="Atelier 250-350",
        source=LeadSource.PROSPECTION,
        premises_kind=PremisesKind.WORKSHOP,
        surface_min_m2=250,
        surface_max_m2=350,
        stage=LeadStage.QUALIFIED,
    )
    session.commit()  # fmt: skip
    login(client, senart_dev.email)
    page = client.get(f"/projets/{lead.id}/locaux").get_data(as_text=True)
    assert "near" in page and "surface dans la fourchette (250 m²)" in page
    near = lab.premises["near"].id
    beyond = client.post(  # a number past PostgreSQL's integer is no premises
        f"/projets/{lead.id}/locaux", follow_redirects=True,
        data={"premises_id": ["99999999999999999999"], "csrf_token": csrf_token(page)},
    )  # fmt: skip
    assert "Choisissez au moins un local à proposer." in beyond.get_data(as_text=True)
    response = client.post(
        f"/projets/{lead.id}/locaux",
        data={"premises_id": [str(near)], "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Lead, lead.id).stage is LeadStage.PROPOSAL
    summary = session.scalar(sa.select(Interaction.summary).where(Interaction.lead_id == lead.id))
    assert summary.startswith("Proposition de locaux envoyée : near (Site d'essai, 250 m²)")


def test_premises_lists_the_leads_it_fits(client, session, lab, senart_dev):
    firm = crm.create_firm(session, user=senart_dev, data={"name": "Cherche Bureau"})
    crm.create_lead(session, user=senart_dev, firm=firm, title="Petit bureau",
                    source=LeadSource.OTHER, premises_kind=PremisesKind.OFFICE,
                    surface_min_m2=30, surface_max_m2=60)  # fmt: skip
    session.commit()
    login(client, senart_dev.email)
    page = client.get(f"/locaux/{lab.premises['office'].id}/projets").get_data(as_text=True)
    assert "Petit bureau" in page


def test_stage_moves_keep_history_and_refuse_bad_moves(client, session, aero, senart_dev):
    lead = crm.create_lead(
        session, user=senart_dev, firm=aero, title="Atelier", source=LeadSource.PROSPECTION
    )
    session.commit()
    login(client, senart_dev.email)
    page = client.get(f"/projets/{lead.id}").get_data(as_text=True)
    token = csrf_token(page)
    client.post(f"/projets/{lead.id}/etape", data={"stage": "won", "csrf_token": token})
    assert "ne peut passer qu&#39;à" in client.get(f"/projets/{lead.id}").get_data(as_text=True)
    client.post(f"/projets/{lead.id}/etape", data={"stage": "qualified", "csrf_token": token})
    client.post(
        f"/projets/{lead.id}/etape",
        data={"stage": "lost", "csrf_token": token, "reason": "Parti à Évry"},
    )
    session.expire_all()
    changes = session.scalars(
        sa.select(LeadStageChange)
        .where(LeadStageChange.lead_id == lead.id)
        .order_by(LeadStageChange.id)
    ).all()
    assert [(c.from_stage, c.to_stage) for c in changes] == [
        (LeadStage.NEW, LeadStage.QUALIFIED),
        (LeadStage.QUALIFIED, LeadStage.LOST),
    ]
    assert changes[-1].reason == "Parti à Évry"
    board = client.get("/projets/tableau").get_data(as_text=True)
    assert "Atelier" in board and "Perdu" in board


def test_dashboard_figures_match_hand_counts(client, session, aero, senart_dev, camvs_dev):
    before = {f.key: f for f in dashboard.all_figures(session, TODAY)}
    lead = crm.create_lead(session, user=camvs_dev, firm=aero, title="Projet CAMVS",
                           source=LeadSource.EVENT, jobs_planned=12)  # fmt: skip
    for target in (LeadStage.QUALIFIED, LeadStage.VISIT, LeadStage.PROPOSAL, LeadStage.WON):
        services.move_lead(session, user=camvs_dev, lead=lead, target=target, reason=None)
    session.commit()
    after = {f.key: f for f in dashboard.all_figures(session, TODAY)}

    def value(figures, key, label):
        return next(r[1] for r in figures[key].rows if r[0] == label)

    for stage in ("Nouveau", "Qualifié", "Visite", "Proposition", "Installé"):
        assert value(after, "entonnoir", stage) == value(before, "entonnoir", stage) + 1
    assert (
        value(after, "installations", "entreprises installées")
        == value(before, "installations", "entreprises installées") + 1
    )
    assert (
        value(after, "installations", "emplois annoncés")
        == value(before, "installations", "emplois annoncés") + 12
    )
    lab_row = next((r for r in after["vacance"].rows if r[0] == "Site d'essai"), None)
    assert lab_row is None or lab_row[4] >= 0
    login(client, camvs_dev.email)
    response = client.get("/tableau-de-bord/installations.csv")
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0] == ["indicateur", "valeur"]
    assert dict(rows[1:])["emplois annoncés"] == str(
        value(after, "installations", "emplois annoncés")
    )
    assert "Tableau de bord du Pacte" in client.get("/tableau-de-bord").get_data(as_text=True)


def test_vacancy_of_a_site_is_computed_from_its_premises(session, lab):
    rows = {r[0]: r for r in dashboard.vacancy(session).rows}
    # The lab site: 7 premises, 1 occupied, 5 available (one under construction).
    assert rows["Site d'essai"][1:] == [7, 1, 5, round(100 * 5 / 7, 1)]


def test_journey_page_shows_occupancies_and_records_a_move(
    client, session, incubated, lab, senart_dev
):
    firm = incubated[0]
    login(client, senart_dev.email)
    page = client.get(f"/entreprises/{firm.id}/parcours").get_data(as_text=True)
    assert "Pépinière d&#39;essai" in page and "Arrivée dans" in page
    occupancy_id = session.scalar(
        sa.text("SELECT id FROM occupancy WHERE firm_id = :f"), {"f": firm.id}
    )
    client.post(
        f"/occupations/{occupancy_id}/depart",
        data={
            "end_date": TODAY.isoformat(),
            "exit_reason": "moved_here",
            "next_premises_id": str(lab.premises["near"].id),
            "csrf_token": csrf_token(page),
        },
    )
    page = client.get(f"/entreprises/{firm.id}/parcours").get_data(as_text=True)
    assert "Installée dans un autre local du territoire" in page
    assert "near" in page
    steps = {tuple(r[:2]): r[2] for r in dashboard.journeys(session, TODAY)[0].rows}
    assert steps.get(("Pépinière d'entreprises", "Hôtel d'entreprises"), 0) >= 1


def test_numbers_out_of_range_in_the_journey_forms_get_a_french_message(
    client, session, incubated, lab, senart_dev
):
    firm = incubated[0]
    login(client, senart_dev.email)
    page = client.get(f"/entreprises/{firm.id}/parcours").get_data(as_text=True)
    token = csrf_token(page)
    free = str(lab.premises["plot"].id)
    huge = "99999999999999999999"  # past PostgreSQL's integer
    for data, message in (
        ({"premises_id": huge, "start_date": TODAY.isoformat()}, "Indiquez le local"),
        ({"premises_id": free, "start_date": TODAY.isoformat(), "jobs": huge},
         "Emplois sur place : nombre entier positif ou nul attendu."),
        ({"premises_id": free, "start_date": TODAY.isoformat(), "jobs": "-4"},
         "Emplois sur place : nombre entier positif ou nul attendu."),
    ):  # fmt: skip
        response = client.post(
            f"/entreprises/{firm.id}/occupations", data={**data, "csrf_token": token},
            follow_redirects=True,
        )  # fmt: skip
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    occupied = session.scalar(
        sa.text("SELECT count(*) FROM occupancy WHERE premises_id = :p"), {"p": int(free)}
    )
    assert occupied == 0  # nothing recorded from the refused forms
    occupancy_id = session.scalar(
        sa.text("SELECT id FROM occupancy WHERE firm_id = :f"), {"f": firm.id}
    )
    response = client.post(
        f"/occupations/{occupancy_id}/depart",
        data={"end_date": TODAY.isoformat(), "exit_reason": "moved_here",
              "next_premises_id": huge, "csrf_token": token},
        follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Indiquez le local où l&#39;entreprise s&#39;installe." in text
