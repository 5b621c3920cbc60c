"""Each export built once for the pages and the CLI, and recorded in the audit log (flush
only: the request or the command commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.audit.service import record
from hosting_app.auth.models import User
from hosting_app.exports import cnig, pdf, tables
from hosting_app.sites.models import Site

MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Export:
    """A file to hand over: its name, type, bytes, and how many records it holds."""

    filename: str
    mimetype: str
    content: bytes
    rows: int


def record_export(
    session: Session,
    *,
    user: User | None,
    kind: str,
    rows: int,
    filters: dict[str, Any] | None = None,
    via: str = "web",
) -> AuditEntry:
    """Log one export in the audit trail."""
    return record(
        session,
        user=user,
        action=AuditAction.EXPORT,
        entity_type="export",
        entity_id=None,
        details={"kind": kind, "filters": filters or {}, "rows": rows, "via": via},
    )


def brochure(session: Session, *, user: User | None, via: str = "web", base_url=None) -> Export:
    """The territory brochure (PDF)."""
    content, sites = pdf.brochure_pdf(session, base_url=base_url)
    record_export(session, user=user, kind="brochure", rows=sites, via=via)
    name = f"brochure-senart-melun-val-de-seine-{date.today().isoformat()}.pdf"
    return Export(name, MIMETYPES["pdf"], content, sites)


def site_sheet(
    session: Session, site: Site, *, user: User | None, via: str = "web", base_url=None
) -> Export:
    """One site's sheet (PDF)."""
    content = pdf.site_sheet_pdf(session, site, base_url=base_url)
    record_export(session, user=user, kind="site_sheet", rows=1, filters={"site": site.slug},
                  via=via)  # fmt: skip
    return Export(f"fiche-{site.slug}.pdf", MIMETYPES["pdf"], content, 1)


def data_file(
    session: Session, subject: str, file_format: str, *, user: User | None, via: str = "web"
) -> Export:
    """Sites or premises (``subject``) as CSV, XLSX or GeoJSON."""
    if file_format == "geojson":
        builder = tables.sites_geojson if subject == "sites" else tables.premises_geojson
        content, rows = builder(session)
    else:
        table = (tables.sites_table if subject == "sites" else tables.premises_table)(session)
        rows = len(table.rows)
        if file_format == "csv":
            content = tables.to_csv(table)
        else:
            content = tables.to_xlsx(table, [tables.DEMO_NOTE, tables.SOURCE_NOTE])
    record_export(session, user=user, kind=subject, rows=rows,
                  filters={"format": file_format}, via=via)  # fmt: skip
    name = {"sites": "sites", "premises": "locaux"}[subject]
    filename = f"{name}-{date.today().isoformat()}.{file_format}"
    return Export(filename, MIMETYPES[file_format], content, rows)


def cnig_package(
    session: Session, *, user: User | None, via: str = "web"
) -> tuple[dict[str, bytes], cnig.CnigExport]:
    """The CNIG data package's files; the export is recorded with its row counts."""
    export = cnig.collect(session)
    files = cnig.package_files(export)
    counts = {name: len(export.rows(name)) for name in cnig.RESOURCES}
    record_export(session, user=user, kind="cnig", rows=sum(counts.values()),
                  filters=counts, via=via)  # fmt: skip
    return files, export


def cnig_zip(session: Session, *, user: User | None, via: str = "web") -> Export:
    """The CNIG data package as a ZIP archive."""
    files, export = cnig_package(session, user=user, via=via)
    rows = len(export.sites) + len(export.terrains) + len(export.poles)
    filename = f"cnig-sites-economiques-{date.today().isoformat()}.zip"
    return Export(filename, MIMETYPES["zip"], cnig.zip_bytes(files), rows)
