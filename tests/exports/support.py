"""Helpers of the export tests: PDF text, files in a package."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

SPACES = re.compile(r"[\s\u00a0\u202f]+")


def flat(text: str) -> str:
    """Text with every run of (no-break) spaces made one plain space."""
    return SPACES.sub(" ", text).strip()


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, as a PDF library extracts it (spaces flattened)."""
    assert data.startswith(b"%PDF-")
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def sheets_of(pages: list[str]) -> dict[int, str]:
    """The text of each site sheet of a brochure, by sheet number (a sheet may span pages)."""
    sheets: dict[int, str] = {}
    current = None
    for text in pages:
        match = re.search(r"FICHE SITE N° ?(\d+)", text)
        if match:
            current = int(match.group(1))
            sheets[current] = ""
        if current is not None:
            sheets[current] += " " + text
    return sheets
