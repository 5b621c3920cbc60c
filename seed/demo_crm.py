"""Demo firms, leads and interactions for the shared CRM, flagged ``is_demo``.

The firms are fictitious (no SIRET, so that none can be mistaken for a real company); the
interactions are dated relative to the day of seeding, so that « last month » stays true.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.auth.models import Organisation
from hosting_app.leads.dedup import normalise_name
from hosting_app.leads.models import Channel, Firm, Interaction, Lead, LeadSource, LeadStage
from hosting_app.sites.models import PremisesKind

# name, postcode, city, sector, [(organisation key, days ago, channel, summary)], lead
FIRMS = [
    ("AERO MECA SENART SAS", "77127", "Lieusaint", "aeronautics",
     [("san_senart_77", 30, Channel.MEETING,
       "Rencontre avec le dirigeant : recherche d'un atelier de 300 m² pour l'usinage de pièces.")],
     ("Atelier d'usinage", PremisesKind.WORKSHOP, 250, 400, "san_senart_77")),
    ("Boulangerie Artisanale du Mée", "77350", "Le Mée-sur-Seine", "crafts",
     [("camvs", 12, Channel.CALL, "Appel entrant : projet de laboratoire de production.")],
     ("Laboratoire de production", PremisesKind.WORKSHOP, 120, 200, "camvs")),
    ("Éco-Rénov Services SARL", "77240", "Cesson", "building",
     [("epa_senart", 45, Channel.EVENT, "Échange au salon de l'éco-construction."),
      ("mdef_senart", 20, Channel.MEETING, "Accompagnement recrutement : 4 postes.")],
     ("Dépôt et bureaux", PremisesKind.MIXED, 300, 600, "epa_senart")),
    ("Logisud Transports", "77550", "Moissy-Cramayel", "logistics",
     [("epa_senart", 70, Channel.VISIT, "Visite du parc de l'A5 avec le directeur logistique.")],
     ("Plateforme logistique", PremisesKind.WAREHOUSE, 5000, 12000, "epa_senart")),
    ("Santé Domicile 77", "77000", "Melun", "personal_services",
     [("mdef_mvs", 8, Channel.EMAIL, "Demande d'information sur les aides à l'embauche.")], None),
    ("Villaroche Composites", "77550", "Réau", "aeronautics",
     [("sympav", 15, Channel.MEETING, "Projet d'implantation d'une unité de composites.")],
     ("Unité de production composites", PremisesKind.LAND_PLOT, 8000, 15000, "sympav")),
    ("Les Jardins Solidaires de Savigny", "77176", "Savigny-le-Temple", "ess",
     [("san_senart_77", 90, Channel.CALL, "Premier contact : recherche de locaux associatifs.")],
     None),
    ("Numérique & Conseil Sénart", "91250", "Saint-Pierre-du-Perray", None,
     [("san_senart_91", 25, Channel.MEETING, "Rendez-vous : sortie de pépinière prévue.")],
     ("Bureaux après pépinière", PremisesKind.OFFICE, 60, 120, "san_senart_91")),
]  # fmt: skip


def load(session: Session, organisations: dict[str, Organisation], today: date) -> int:
    """Write the demo firms (matched by name), their leads and interactions."""
    existing = {f.name: f for f in session.scalars(sa.select(Firm).where(Firm.is_demo.is_(True)))}
    for name, postcode, city, sector, interactions, lead in FIRMS:
        firm = existing.get(name)
        if firm is None:
            firm = Firm(
                name=name, name_normalised=normalise_name(name), postcode=postcode, city=city,
                sector=sector, is_demo=True,
                created_by_organisation_id=organisations[interactions[0][0]].id,
            )  # fmt: skip
            session.add(firm)
            session.flush()
        lead_row = None
        if lead is not None:
            title, kind, low, high, owner = lead
            lead_row = session.scalar(
                sa.select(Lead).where(Lead.firm_id == firm.id, Lead.title == title)
            )
            if lead_row is None:
                lead_row = Lead(
                    firm_id=firm.id, title=title, premises_kind=kind, surface_min_m2=low,
                    surface_max_m2=high, source=LeadSource.PROSPECTION,
                    owner_organisation_id=organisations[owner].id, stage=LeadStage.QUALIFIED,
                    is_demo=True,
                )  # fmt: skip
                session.add(lead_row)
                session.flush()
        for key, days_ago, channel, summary in interactions:
            organisation = organisations[key]
            row = session.scalar(
                sa.select(Interaction).where(
                    Interaction.firm_id == firm.id,
                    Interaction.organisation_id == organisation.id,
                    Interaction.summary == summary,
                )
            )
            when = today - timedelta(days=days_ago)
            if row is None:
                session.add(
                    Interaction(
                        firm_id=firm.id, organisation_id=organisation.id, occurred_on=when,
                        channel=channel, summary=summary, is_demo=True,
                        lead_id=lead_row.id if lead_row is not None and lead[4] == key else None,
                    )
                )  # fmt: skip
            elif row.occurred_on != when:
                row.occurred_on = when
    session.flush()
    return len(FIRMS)
