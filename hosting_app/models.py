"""Every mapped model, imported so that the metadata is complete (Alembic, seed)."""

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.auth.models import Organisation, OrganisationKind, Role, User
from hosting_app.auth.tokens import ApiToken
from hosting_app.backoffice.models import Event, Photo, event_organisation
from hosting_app.db import Base
from hosting_app.inquiries.models import Inquiry, InquiryStatus
from hosting_app.journeys.models import ExitReason, LeadStageChange, Occupancy
from hosting_app.leads.models import (
    Channel,
    ContactPerson,
    Firm,
    FirmMerge,
    Interaction,
    Lead,
    LeadSource,
    LeadStage,
    WorkforceBand,
)
from hosting_app.sites.models import (
    AccessKind,
    Availability,
    PositionConfidence,
    Premises,
    PremisesKind,
    PremisesSiteCount,
    Site,
    SiteAccess,
    SiteKind,
    SiteStatus,
    site_commune,
)
from hosting_app.territory.models import Commune

__all__ = [
    "ExitReason",
    "LeadStageChange",
    "Occupancy",
    "AuditAction",
    "AuditEntry",
    "Channel",
    "ContactPerson",
    "Event",
    "Firm",
    "FirmMerge",
    "Interaction",
    "Lead",
    "LeadSource",
    "LeadStage",
    "WorkforceBand",
    "AccessKind",
    "ApiToken",
    "Availability",
    "Base",
    "Commune",
    "Inquiry",
    "InquiryStatus",
    "Organisation",
    "OrganisationKind",
    "Photo",
    "PositionConfidence",
    "Premises",
    "PremisesKind",
    "PremisesSiteCount",
    "Role",
    "Site",
    "SiteAccess",
    "SiteKind",
    "SiteStatus",
    "User",
    "event_organisation",
    "site_commune",
]
