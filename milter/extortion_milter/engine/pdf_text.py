"""Text and images of PDF attachments, bounded in pages, bytes, images and pixels.

Extortion mail moves its text (and the wallet address) into a PDF to get past body filters,
or the address into a QR code drawn inside the PDF: the images go to the QR decoder.
pypdf is pure Python; the bounds keep a hostile PDF from costing more than a few pages of
work, and every failure becomes a note instead of an exception. pypdf logs a warning for
each defect it repairs (loggers "pypdf.*"); the application's logging setup decides
whether those reach the mail log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PageObject, PdfReader

MAX_IMAGE_PIXELS = 1_000_000  # a QR code needs far fewer; decoding more is a cost bomb


@dataclass(frozen=True)
class PdfText:
    text: str
    notes: tuple[str, ...] = ()
    images: tuple[bytes, ...] = ()  # encoded (PNG, JPEG, ...), for the QR decoder


def extract_pdf(data: bytes, max_pages: int, max_bytes: int, max_images: int = 0) -> PdfText:
    """Text of the first `max_pages` pages of a PDF of at most `max_bytes` bytes, and up
    to `max_images` of the images drawn on them (0: none)."""
    notes: list[str] = []
    if len(data) > max_bytes:
        notes.append(f"PDF truncated at {max_bytes} bytes")
        data = data[:max_bytes]
    try:
        return _extract(data, max_pages, max_bytes, max_images, notes)
    except Exception as exc:
        notes.append(f"PDF unreadable: {type(exc).__name__}")
        return PdfText("", tuple(notes))


def _extract(data: bytes, max_pages: int, max_chars: int, max_images: int,
             notes: list[str]) -> PdfText:
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
    images: list[bytes] = []
    size = 0
    for index in range(min(total, max_pages)):
        page = pages[index]
        if len(images) < max_images:
            images += _page_images(page, max_images - len(images), index + 1, notes)
        try:
            page_text = page.extract_text() or ""
        except Exception as exc:
            notes.append(f"PDF page {index + 1} unreadable: {type(exc).__name__}")
            continue
        texts.append(page_text)
        size += len(page_text)
        if size >= max_chars:
            notes.append(f"PDF text truncated at {max_chars} characters")
            break
    return PdfText("\n".join(texts)[:max_chars], tuple(notes), tuple(images))


def _page_images(page: PageObject, limit: int, page_no: int, notes: list[str]) -> list[bytes]:
    """Up to `limit` image XObjects of the page, encoded by pypdf (with Pillow). The size
    is read from the image dictionary first: nothing larger than MAX_IMAGE_PIXELS is
    decompressed. Images nested in form XObjects and inline images are not followed."""
    found: list[bytes] = []
    try:
        resources = page.get("/Resources")
        found_xobjects = (resources.get_object().get("/XObject")
                          if resources is not None else None)
        if found_xobjects is None:
            return found
        xobjects = found_xobjects.get_object()
        names = list(xobjects.keys())
    except Exception as exc:
        notes.append(f"PDF page {page_no}: images unreadable: {type(exc).__name__}")
        return found
    for name in names:
        if len(found) >= limit:
            break
        try:
            image = xobjects[name].get_object()
            if image.get("/Subtype") != "/Image":
                continue
            width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
            if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
                continue
            found.append(page.images[str(name)].data)
        except Exception as exc:
            notes.append(f"PDF page {page_no}: image {name} unreadable: {type(exc).__name__}")
    return found


def extract_pdf_text(data: bytes, max_pages: int, max_bytes: int) -> str:
    """The text of a PDF, or "" when it cannot be read. Never raises."""
    return extract_pdf(data, max_pages, max_bytes).text
