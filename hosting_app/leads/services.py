"""CRM operations; each flushes, the request (or command) commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import apply_changes, record
from hosting_app.auth.models import User
from hosting_app.leads import dedup, identifiers, queries
from hosting_app.leads.models import ContactPerson, Firm, Interaction, Lead

FIRM_FIELDS = (
    "name", "trade_name", "siret", "siren", "legal_form", "naf_code", "workforce_band",
    "address", "postcode", "city", "commune_insee", "website", "email_domain", "phone", "sector",
)  # fmt: skip
LEAD_FIELDS = (
    "title", "premises_kind", "surface_min_m2", "surface_max_m2", "budget_eur_year",
    "target_date", "jobs_planned", "preferred_communes", "source", "confidential", "codename",
    "notes", "event_id",
)  # fmt: skip


# The name searches, by the score a firm found by its name alone can reach: as much as the same
# name, then enough to be shown; each runs only when the ones before leave room. With a
# postcode, a level between: what the postcode adds to a score that is just shown, so that the
# names alike enough to be shown on their own are searched before the less alike ones only
# the same postcode can bring in (the costlier search: about twice the names to check).
NAME_LEVELS = (dedup.NAME_WEIGHT, dedup.SHOW_FROM)
POSTCODE_NAME_LEVELS = (dedup.NAME_WEIGHT, dedup.SHOW_FROM + dedup.SAME_POSTCODE, dedup.SHOW_FROM)


class StaleEdit(Exception):
    """Someone saved the record since it was loaded: the save is refused."""

    def __init__(self, current: dict[str, Any], changed_by: str | None):
        super().__init__("stale edit")
        self.current = current
        self.changed_by = changed_by


class AlreadyClaimed(Exception):
    """The lead already has a developer."""

    def __init__(self, holder: User):
        super().__init__(f"claimed by {holder.email}")
        self.holder = holder


# --- Duplicate detection ---------------------------------------------------------------


def probe_from(
    *, name: str = "", siret=None, siren=None, email=None, phone=None, postcode=None
) -> dedup.Probe:
    """A probe from raw input (identifiers cleaned; raises InvalidIdentifier on bad ones)."""
    siret = identifiers.clean_siret(siret)
    siren = identifiers.clean_siren(siren) or (siret[:9] if siret else None)
    return dedup.Probe(
        name=name or "",
        siret=siret,
        siren=siren,
        email_domain=identifiers.email_domain(email) if email and "@" in email else (
            email.lower() if email else None
        ),
        phone=identifiers.clean_phone(phone),
        postcode=(postcode or "").strip() or None,
    )  # fmt: skip


@dataclass
class Follower:
    """An organisation that follows a firm."""

    organisation: str
    organisation_key: str
    since: date | None
    last_contact: date | None
    confidential: bool

    def as_json(self) -> dict[str, Any]:
        """The follower with ISO dates."""
        return {
            "organisation": self.organisation,
            "organisation_key": self.organisation_key,
            "since": self.since.isoformat() if self.since else None,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "confidential": self.confidential,
        }


def candidates(session: Session, probe: dedup.Probe, *, limit: int = 5) -> list[sa.Row]:
    """The firms that may be the probe's: every firm sharing an identifier with it, and the
    firms whose name alone can get them among the ``limit`` shown — looked for among the
    names alike enough to score as much as the same name first (when ``limit`` firms bear
    the very name), among all the names that can be shown only when fewer than ``limit``
    firms score that much."""
    normalised = dedup.normalise_name(probe.name) if probe.name.strip() else ""
    found: dict[int, sa.Row] = {}
    statement = queries.identified(probe, normalised)
    if statement is not None:
        found.update((row.id, row) for row in session.execute(statement))
    if not normalised:
        return list(found.values())
    levels = POSTCODE_NAME_LEVELS if probe.postcode else NAME_LEVELS
    # The same-name level settles when ``limit`` firms score as much as the same name: nearly
    # always firms bearing the very name. When fewer do (and no identifier makes up the
    # difference), it is skipped: its trigram search reads the posting lists of the probe's
    # trigrams as the next level's does (up to 25 ms at 1,000,000 firms) and seldom settles.
    scores = [dedup.score(probe, _candidate(row)) for row in found.values()]
    already = sum(1 for m in scores if m.score >= levels[0])
    if already + session.scalar(queries.namesakes(normalised, limit=limit)) < limit:
        levels = levels[1:]
    session.execute(queries.name_search_settings())
    for level in levels:
        floor = dedup.name_floor(level, same_postcode=bool(probe.postcode))
        # No name under ``floor`` is returned: no firm under it scores ``level``.
        named = queries.named(normalised, floor=floor, postcode=probe.postcode)
        found.update((row.id, row) for row in session.execute(named))
        scores = [dedup.score(probe, _candidate(row)) for row in found.values()]
        if dedup.settled(scores, level=level, limit=limit):
            break
    session.execute(queries.NAME_SEARCH_DONE)
    return list(found.values())


def _candidate(row: sa.Row) -> dedup.Candidate:
    return dedup.Candidate(
        firm_id=row.id, name_similarity=float(row.similarity or 0), siret=row.siret,
        siren=row.siren, email_domain=row.email_domain, phone=row.phone, postcode=row.postcode,
    )  # fmt: skip


def match(session: Session, probe: dedup.Probe, *, limit: int = 5) -> list[dict[str, Any]]:
    """Ranked candidates for the probe, with who follows them, ready for JSON or a page."""
    firms = {row.id: row for row in candidates(session, probe, limit=limit)}
    ranked = dedup.rank(probe, [_candidate(row) for row in firms.values()], limit=limit)
    if not ranked:
        return []
    ids = [m.firm_id for m in ranked]
    following: dict[int, list[Follower]] = {i: [] for i in ids}
    for row in session.execute(queries.followers(ids)):
        following[row.firm_id].append(_follower(row))
    return [
        {
            "firm_id": m.firm_id,
            "name": firms[m.firm_id].name,
            "siret": firms[m.firm_id].siret,
            "postcode": firms[m.firm_id].postcode,
            "city": firms[m.firm_id].city,
            "score": m.score,
            "likely": m.score >= dedup.LIKELY_FROM,
            "reasons": list(m.reasons),
            "followed_by": [f.as_json() for f in following[m.firm_id]],
        }
        for m in ranked
    ]


def followed_by_text(candidate: dict[str, Any]) -> list[str]:
    """« déjà suivie par CAMVS depuis le 3 mars 2026, dernier contact le 12 mai 2026 »."""
    from hosting_app.templating import date_fr

    lines = []
    for follower in candidate["followed_by"]:
        text = f"déjà suivie par {follower['organisation']}"
        if follower["confidential"]:
            text = f"projet confidentiel suivi par {follower['organisation']}"
        if follower["since"]:
            text += f" depuis le {date_fr(date.fromisoformat(follower['since']))}"
        if follower["last_contact"]:
            text += f", dernier contact le {date_fr(date.fromisoformat(follower['last_contact']))}"
        lines.append(text)
    return lines


# --- Firms -------------------------------------------------------------------------------


def firm_values(data: dict[str, Any]) -> dict[str, Any]:
    """Clean a firm's raw values (identifiers validated, names normalised, domains derived)."""
    values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in data.items()}
    values["siret"] = identifiers.clean_siret(values.get("siret"))
    values["siren"] = identifiers.clean_siren(values.get("siren")) or (
        values["siret"][:9] if values["siret"] else None
    )
    if values["siret"] and values["siren"] != values["siret"][:9]:
        raise identifiers.InvalidIdentifier("Le SIRET ne commence pas par le SIREN indiqué.")
    values["phone"] = identifiers.clean_phone(values.get("phone"))
    if not values.get("email_domain"):
        values["email_domain"] = identifiers.website_domain(values.get("website"))
    return values


def create_firm(
    session: Session, *, user: User, data: dict[str, Any], after_warning: bool = False
) -> Firm:
    """A new firm in the shared CRM (the caller has shown the duplicate candidates;
    ``after_warning`` when the user confirmed past them)."""
    values = firm_values(data)
    firm = Firm(
        **{k: values.get(k) for k in FIRM_FIELDS},
        name_normalised=dedup.normalise_name(values["name"]),
        created_by_organisation_id=user.organisation_id,
    )
    session.add(firm)
    session.flush()
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="firm", entity_id=firm.id,
        changes={k: (None, getattr(firm, k)) for k in FIRM_FIELDS if getattr(firm, k) is not None},
        details={"after_warning": True} if after_warning else None,
    )  # fmt: skip
    return firm


def _guard_version(
    obj, expected_version: int | None, fields: tuple[str, ...], entity: str, session
):
    if expected_version is not None and obj.version != expected_version:
        from hosting_app.audit.models import AuditEntry

        last = session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == entity, AuditEntry.entity_id == obj.id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(1)
        )
        raise StaleEdit(
            {f: getattr(obj, f) for f in fields},
            last.user.email if last is not None and last.user is not None else None,
        )


def update_firm(
    session: Session, *, user: User, firm: Firm, data: dict[str, Any], expected_version: int
) -> dict[str, tuple[Any, Any]]:
    """Save a firm's edited values unless someone saved it since ``expected_version``."""
    _guard_version(firm, expected_version, FIRM_FIELDS, "firm", session)
    values = firm_values(data)
    changes = apply_changes(firm, {k: values.get(k) for k in FIRM_FIELDS if k in data or k in (
        "siren", "email_domain")})  # fmt: skip
    if "name" in changes:
        firm.name_normalised = dedup.normalise_name(firm.name)
    if changes:
        session.flush()  # the version column makes a concurrent save fail here
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="firm",
            entity_id=firm.id, changes=changes,
        )  # fmt: skip
    return changes


def add_contact(
    session: Session, *, user: User, firm: Firm, name: str, role=None, email=None, phone=None
) -> ContactPerson:
    """A contact person at a firm; a company email domain also identifies the firm."""
    contact = ContactPerson(
        firm=firm,
        name=name.strip(),
        role=(role or "").strip() or None,
        email=(email or "").strip().lower() or None,
        phone=identifiers.clean_phone(phone),
        created_by_organisation_id=user.organisation_id,
    )
    session.add(contact)
    domain = identifiers.email_domain(contact.email)
    if domain and not firm.email_domain:
        firm.email_domain = domain
    session.flush()
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="contact_person",
        entity_id=contact.id, details={"firm_id": firm.id},
    )  # fmt: skip
    return contact


# --- Interactions and leads --------------------------------------------------------------


def log_interaction(session: Session, *, user: User, firm: Firm, **values) -> Interaction:
    """An interaction on the firm's shared timeline, in the user's organisation's name."""
    interaction = Interaction(
        firm=firm, organisation_id=user.organisation_id, author_id=user.id, **values
    )
    session.add(interaction)
    session.flush()
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="interaction",
        entity_id=interaction.id, details={"firm_id": firm.id},
    )  # fmt: skip
    return interaction


def create_lead(session: Session, *, user: User, firm: Firm, **values) -> Lead:
    """A lead owned by the user's organisation."""
    lead = Lead(firm=firm, owner_organisation_id=user.organisation_id, **values)
    session.add(lead)
    session.flush()
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="lead", entity_id=lead.id,
        changes={k: (None, getattr(lead, k)) for k in LEAD_FIELDS if getattr(lead, k)},
        details={"firm_id": firm.id},
    )  # fmt: skip
    return lead


def update_lead(
    session: Session, *, user: User, lead: Lead, data: dict[str, Any], expected_version: int
) -> dict[str, tuple[Any, Any]]:
    """Save a lead's edited values unless someone saved it since ``expected_version``."""
    _guard_version(lead, expected_version, LEAD_FIELDS, "lead", session)
    changes = apply_changes(lead, {k: v for k, v in data.items() if k in LEAD_FIELDS})
    if changes:
        session.flush()
        record(
            session, user=user, action=AuditAction.UPDATE, entity_type="lead",
            entity_id=lead.id, changes=changes,
        )  # fmt: skip
    return changes


def claim_lead(session: Session, *, user: User, lead_id: int) -> None:
    """Assign an unassigned lead to ``user``; exactly one of concurrent claims wins."""
    claimed = session.execute(
        sa.update(Lead)
        .where(Lead.id == lead_id, Lead.assigned_user_id.is_(None))
        .values(assigned_user_id=user.id, version=Lead.version + 1)
        .returning(Lead.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        holder = session.scalar(
            sa.select(User).join(Lead, Lead.assigned_user_id == User.id).where(Lead.id == lead_id)
        )
        if holder is None:
            raise LookupError(lead_id)
        raise AlreadyClaimed(holder)
    record(session, user=user, action=AuditAction.CLAIM, entity_type="lead", entity_id=lead_id)
    session.flush()


def match_followers(session: Session, firm_id: int) -> list[Follower]:
    """The organisations that follow one firm (confidential ones say only that)."""
    return [_follower(row) for row in session.execute(queries.followers([firm_id]))]


def _follower(row) -> Follower:
    return Follower(
        organisation=row.Organisation.short_name,
        organisation_key=row.Organisation.key,
        since=row.since,
        last_contact=row.last_contact,
        confidential=bool(row.only_confidential),
    )


def lead_from_inquiry(session: Session, *, user: User, inquiry, firm: Firm | None) -> Lead:
    """Turn a website inquiry into a lead of the user's organisation, on ``firm`` or on a new
    firm made from the inquiry; its contact person and message go along; marked handled."""
    from hosting_app.inquiries.services import mark_handled
    from hosting_app.leads.models import Channel, LeadSource
    from hosting_app.privacy.notice import ERASED_EMAIL

    erased = inquiry.email == ERASED_EMAIL  # its sender was erased: no contact to recreate
    if firm is None:
        firm = create_firm(
            session, user=user,
            data={"name": inquiry.firm_name, "siret": inquiry.siret,
                  "email_domain": None if erased else identifiers.email_domain(inquiry.email)},
        )  # fmt: skip
    if not erased:
        add_contact(
            session, user=user, firm=firm, name=inquiry.contact_name, email=inquiry.email,
            phone=inquiry.phone,
        )  # fmt: skip
    what = inquiry.premises_kind.label.lower() if inquiry.premises_kind else "local"
    where = f" — {inquiry.site.name}" if inquiry.site else ""
    lead = create_lead(
        session, user=user, firm=firm, title=f"Demande en ligne : {what}{where}",
        source=LeadSource.WEBSITE_INQUIRY, premises_kind=inquiry.premises_kind,
        surface_min_m2=inquiry.surface_min_m2, surface_max_m2=inquiry.surface_max_m2,
        target_date=inquiry.wanted_from, inquiry_id=inquiry.id, notes=inquiry.message,
        preferred_communes=[c.insee for c in inquiry.site.communes] if inquiry.site else [],
    )  # fmt: skip
    log_interaction(
        session, user=user, firm=firm, occurred_on=inquiry.created_at.date(),
        channel=Channel.EMAIL,
        summary=f"Demande reçue par le formulaire du site : {inquiry.message}",
        lead_id=lead.id,
    )  # fmt: skip
    mark_handled(session, inquiry=inquiry, user=user)
    session.flush()
    return lead
