"""Reading a PDF back with ``pypdf`` (in the test extra): no system tool such as pdftotext is needed."""

from __future__ import annotations

import io


def pdf_text(pdf: bytes) -> str:
    """Every page's extracted text, pages separated by a form feed."""
    from pypdf import PdfReader

    return "\f".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
