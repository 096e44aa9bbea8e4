"""Text of PDF attachments, bounded in pages and bytes.

Extortion mail moves its text (and the wallet address) into a PDF to get past body filters.
pypdf is pure Python; the bounds keep a hostile PDF from costing more than a few pages of
work, and every failure becomes a note instead of an exception. pypdf logs a warning for
each defect it repairs (loggers "pypdf.*"); the application's logging setup decides
whether those reach the mail log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True)
class PdfText:
    text: str
    notes: tuple[str, ...] = ()


def extract_pdf(data: bytes, max_pages: int, max_bytes: int) -> PdfText:
    """Text of the first `max_pages` pages of a PDF of at most `max_bytes` bytes."""
    notes: list[str] = []
    if len(data) > max_bytes:
        notes.append(f"PDF truncated at {max_bytes} bytes")
        data = data[:max_bytes]
    try:
        return _extract(data, max_pages, max_bytes, notes)
    except Exception as exc:
        notes.append(f"PDF unreadable: {type(exc).__name__}")
        return PdfText("", tuple(notes))


def _extract(data: bytes, max_pages: int, max_chars: int, notes: list[str]) -> PdfText:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        # Many PDFs are "encrypted" with an empty user password and open without one.
        if not reader.decrypt(""):
            notes.append("PDF encrypted")
            return PdfText("", tuple(notes))
    pages = reader.pages
    total = len(pages)
    if total > max_pages:
        notes.append(f"PDF has {total} pages; read the first {max_pages}")
    texts: list[str] = []
    size = 0
    for index in range(min(total, max_pages)):
        try:
            page_text = pages[index].extract_text() or ""
        except Exception as exc:
            notes.append(f"PDF page {index + 1} unreadable: {type(exc).__name__}")
            continue
        texts.append(page_text)
        size += len(page_text)
        if size >= max_chars:
            notes.append(f"PDF text truncated at {max_chars} characters")
            break
    return PdfText("\n".join(texts)[:max_chars], tuple(notes))


def extract_pdf_text(data: bytes, max_pages: int, max_bytes: int) -> str:
    """The text of a PDF, or "" when it cannot be read. Never raises."""
    return extract_pdf(data, max_pages, max_bytes).text
