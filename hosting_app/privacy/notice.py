"""The privacy notice's version, the retention periods and the markers of erased values.

The notice (templates/privacy/notice.html) and the consent wording of the inquiry form are
versioned together: change either, then bump NOTICE_VERSION. Each inquiry's audit entry keeps
the version and the exact wording its sender accepted.
"""

from __future__ import annotations

from datetime import date

NOTICE_VERSION = "2026-11-26"
NOTICE_DATE = date(2026, 11, 26)

# Contact persons and inquiries are kept this many years after the last contact.
RETENTION_YEARS = 3

# The organisations whose economic developers share the CRM: the joint controllers and the
# only recipients (OrganisationKind values). The Region, the départements and the State sign
# the Pacte but do not use the CRM.
CONTROLLER_KINDS = ("intercommunality", "development_agency", "employment_house", "syndicate")

# What an erased text or e-mail address becomes (the inquiry table requires both).
ERASED_TEXT = "[effacé]"
ERASED_EMAIL = "effacee@anonyme.invalid"

# The fields of an inquiry that identify its sender or may (free text) and are erased.
INQUIRY_PERSONAL_FIELDS = ("contact_name", "email", "phone", "message")
