"""A small world for the attack tests.

Users of several organisations (and their API tokens), the CRM objects of organisation A
(a firm with a contact person, a lead, a confidential lead, an inquiry, an occupancy, a
merge), a site operated by A with a premises, a photo and an event, and the texts that must
never leak: the confidential lead's details and its holder, contact persons' emails and phones.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from hosting_app.auth import tokens
from hosting_app.auth.models import Organisation, User
from hosting_app.backoffice import events, photos
from hosting_app.extensions import db
from hosting_app.inquiries.limits import limiter
from hosting_app.inquiries.services import create_inquiry
from hosting_app.journeys import services as journeys
from hosting_app.leads import merging, services
from hosting_app.leads.models import Channel, Firm, LeadSource
from hosting_app.sites.models import Premises, PremisesKind, Site

ORG_A, ORG_B = "san_senart_77", "camvs"

# The confidential lead of organisation A: none of this may reach another organisation.
SECRET_TITLE = "Relocalisation Orion-Kappa"
SECRET_CODENAME = "NOMCODE-VEGA-7"
SECRET_NOTES = "NOTE-CONFIDENTIELLE-NEBULA : 12 000 m² près de l'A5."
SECRET_SUMMARY = "DEMARCHE-CONFIDENTIELLE-LYRA"
SECRET_MARKERS = (SECRET_TITLE, SECRET_CODENAME, "NOTE-CONFIDENTIELLE-NEBULA", SECRET_SUMMARY)
# The person who holds it, of organisation A.
HOLDER_NAME = "Honorine Porte-Secret"
HOLDER_EMAIL = "honorine.porte-secret@senart.example"
HOLDER_MARKERS = (HOLDER_NAME, HOLDER_EMAIL)

# Contact persons' data (a firm's contact, an inquiry's sender): never for marketing.
CONTACT_NAME = "Gwendoline Privat-Contact"
CONTACT_EMAIL = "gwendoline.privat@atelier-matrice.example"
CONTACT_PHONE = "01 64 98 76 54"
INQUIRY_NAME = "Anatole Demandeur-Privat"
INQUIRY_EMAIL = "anatole.privat@demandeur.example"
INQUIRY_PHONE = "+33160112233"
CONTACT_MARKERS = (
    CONTACT_EMAIL,
    "+33164987654",
    "01 64 98 76 54",
    "0164987654",
    INQUIRY_EMAIL,
    "+33160112233",
    "01 60 11 22 33",
    "0160112233",
)


@dataclass(frozen=True)
class World:
    """Plain values (ids, emails, tokens) of the objects made for a test."""

    emails: dict[str, str]  # session principal → email
    user_ids: dict[str, int]  # session principal → user id
    tokens: dict[str, str]  # token principal → the clear Bearer token
    site_id: int
    site_slug: str
    premises_id: int
    photo_id: int
    photo_name: str
    event_id: int
    firm_id: int
    firm_version: int
    twin_id: int
    twin_version: int
    lead_id: int
    secret_firm_id: int
    secret_lead_id: int
    inquiry_id: int
    occupancy_id: int
    merge_id: int
    upload_dir: str
    files: dict[str, bytes] = field(default_factory=dict)  # photo files, to put back


def jpeg(width: int = 64, height: int = 48) -> bytes:
    """A small JPEG image."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(app, lab, make_user, tmp_path, monkeypatch) -> World:
    """Users of four organisations, A's CRM objects and operated site, tokens."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    limiter.reset()
    throttle = app.extensions.get("login_throttle")  # failed logins, counted per address
    if throttle is not None:
        throttle.reset()
    emails = {
        "marketing": make_user("marketing", "epa_senart", email="marketing@epa.example"),
        "dev_a": make_user("developer", ORG_A, email="dev.a@senart.example"),
        "dev_b": make_user("developer", ORG_B, email="dev.b@camvs.example"),
        "admin": make_user("admin", "region_idf", email="admin@region.example"),
    }
    holder_email = make_user("developer", ORG_A, email=HOLDER_EMAIL)
    site_id = lab.site.id
    premises_id = lab.premises["near"].id
    office_id = lab.premises["office"].id
    with app.app_context():
        session = db.session
        users = {
            k: session.scalar(sa.select(User).where(User.email == v)) for k, v in emails.items()
        }
        dev_a, dev_b = users["dev_a"], users["dev_b"]
        holder = session.scalar(sa.select(User).where(User.email == holder_email))
        holder.full_name = HOLDER_NAME
        org_a = session.scalar(sa.select(Organisation).where(Organisation.key == ORG_A))
        site = session.get(Site, site_id)
        site.operator_id = org_a.id
        photo = photos.add_photo(
            session, user=dev_a, owner=site, data=jpeg(), alt_text="Vue du site d'essai"
        )
        event = events.create_event(
            session,
            user=dev_a,
            organisation_ids=[org_a.id],
            values={
                "name": "Salon d'essai",
                "starts_on": date.today() + timedelta(days=30),
                "ends_on": None,
                "place": "Lieusaint",
                "description": "",
            },
        )

        firm = services.create_firm(
            session,
            user=dev_a,
            data={
                "name": "Atelier Matrice SAS",
                "postcode": "77127",
                "city": "Lieusaint",
                "siret": "73282932000074",
            },
        )
        twin = services.create_firm(
            session, user=dev_b, data={"name": "Atelier Matrice", "postcode": "77127"}
        )
        services.add_contact(
            session,
            user=dev_a,
            firm=firm,
            name=CONTACT_NAME,
            role="Gérante",
            email=CONTACT_EMAIL,
            phone=CONTACT_PHONE,
        )
        lead = services.create_lead(
            session,
            user=dev_a,
            firm=firm,
            title="Atelier de 300 m²",
            source=LeadSource.PROSPECTION,
            premises_kind=PremisesKind.WORKSHOP,
            surface_min_m2=200,
            surface_max_m2=400,
        )

        secret_firm = services.create_firm(
            session, user=dev_a, data={"name": "Société Discrète Industrie", "postcode": "77000"}
        )
        secret = services.create_lead(
            session,
            user=holder,
            firm=secret_firm,
            title=SECRET_TITLE,
            source=LeadSource.REGIONAL_AGENCY,
            confidential=True,
            codename=SECRET_CODENAME,
            notes=SECRET_NOTES,
            premises_kind=PremisesKind.LAND_PLOT,
            surface_min_m2=12000,
            budget_eur_year=987654,
        )
        secret.assigned_user_id = holder.id
        services.log_interaction(
            session,
            user=holder,
            firm=secret_firm,
            occurred_on=date.today(),
            channel=Channel.MEETING,
            summary=SECRET_SUMMARY,
            lead_id=secret.id,
        )

        inquiry = create_inquiry(
            session,
            site=site,
            contact_name=INQUIRY_NAME,
            firm_name="Demandeur Privat SARL",
            email=INQUIRY_EMAIL,
            phone=INQUIRY_PHONE,
            message="Nous cherchons un atelier.",
        )
        occupancy = journeys.start_occupancy(
            session,
            user=dev_a,
            firm=firm,
            premises=session.get(Premises, office_id),
            start_date=date.today() - timedelta(days=400),
            term_date=date.today() + timedelta(days=60),
            today=date.today(),
        )

        one = services.create_firm(session, user=dev_a, data={"name": "Doublon Fusion Un"})
        two = services.create_firm(session, user=dev_a, data={"name": "Doublon Fusion Deux"})
        merge = merging.merge_firms(session, user=dev_a, survivor_id=one.id, absorbed_id=two.id)

        dev_token = tokens.create_token(session, email=emails["dev_a"], name="matrice")[1]
        marketing_token = tokens.create_token(session, email=emails["marketing"])[1]
        revoked, revoked_token = tokens.create_token(session, email=emails["dev_a"])
        tokens.revoke_token(session, prefix=revoked.prefix)
        session.commit()
        files = {
            name: (tmp_path / "photos" / name).read_bytes()
            for name in (photo.file_name, photo.file_name.removesuffix(".jpg") + "-vignette.jpg")
        }
        return World(
            emails=emails,
            user_ids={name: user.id for name, user in users.items()},
            tokens={
                "token_dev_a": dev_token,
                "token_marketing": marketing_token,
                "bad_token": revoked_token,
            },
            site_id=site_id,
            site_slug=site.slug,
            premises_id=premises_id,
            photo_id=photo.id,
            photo_name=photo.file_name,
            event_id=event.id,
            firm_id=firm.id,
            firm_version=session.get(Firm, firm.id).version,
            twin_id=twin.id,
            twin_version=session.get(Firm, twin.id).version,
            lead_id=lead.id,
            secret_firm_id=secret_firm.id,
            secret_lead_id=secret.id,
            inquiry_id=inquiry.id,
            occupancy_id=occupancy.id,
            merge_id=merge.id,
            upload_dir=str(tmp_path),
            files=files,
        )
