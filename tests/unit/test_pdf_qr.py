"""PDF text and QR codes: the two places extortion mail hides its text and its address."""

from __future__ import annotations

import io
import struct
import sys
import zlib

import pytest
import zxingcpp  # the qr extra: CI installs it, and a missing one fails here loudly
from PIL import Image

from extortion_milter.engine import qr
from extortion_milter.engine.pdf_text import extract_pdf, extract_pdf_text
from extortion_milter.engine.qr import decode_qr_texts, qr_available

from ..evasions.images import qr_pixels, qr_png
from ..evasions.mime import pdf as make_pdf_with_images


def make_pdf(pages: list[str]) -> bytes:
    """A small valid PDF, one line of text per page (the evasion corpus's writer)."""
    return make_pdf_with_images([[text] for text in pages])


def make_qr_png(text: str, scale: int = 4) -> bytes:
    """A PNG of a QR code, drawn by zxing-cpp (which can also write codes)."""
    return qr_png(text, scale)


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_images_go_to_the_qr_decoder() -> None:
    address = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    data = make_pdf_with_images([["A photo of your house."]],
                                images=[qr_pixels(f"bitcoin:{address}")])
    result = extract_pdf(data, max_pages=10, max_bytes=1_000_000, max_images=5)
    assert "A photo of your house." in result.text
    assert len(result.images) == 1 and result.notes == ()
    assert decode_qr_texts(list(result.images)) == [f"bitcoin:{address}"]
    # Not asked for (no QR decoder installed): nothing is decoded.
    assert extract_pdf(data, 10, 1_000_000).images == ()


def test_pdf_images_are_bounded_in_count_and_pixels() -> None:
    small = qr_pixels("bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    # 4,500 x 4,500: refused from its dictionary, its 20 MB of pixels never inflated.
    huge = (4500, 4500, bytes(4500 * 4500))
    broken = (10, 10, b"")  # declares 100 pixels, holds none
    data = make_pdf_with_images([["page"]], images=[huge, broken, small, small, small])
    result = extract_pdf(data, max_pages=10, max_bytes=10_000_000, max_images=2)
    sizes = [Image.open(io.BytesIO(img)).size for img in result.images]
    assert sizes == [small[:2], small[:2]]
    assert any("image /Im1 unreadable" in note for note in result.notes), result.notes


def test_pdf_text_is_extracted() -> None:
    data = make_pdf(["I recorded you. Pay 0.1 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"])
    text = extract_pdf_text(data, max_pages=10, max_bytes=1_000_000)
    assert "I recorded you." in text
    assert "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" in text


def test_pdf_pages_are_bounded() -> None:
    data = make_pdf([f"page number {i}" for i in range(1, 6)])
    result = extract_pdf(data, max_pages=2, max_bytes=1_000_000)
    assert "page number 1" in result.text and "page number 2" in result.text
    assert "page number 3" not in result.text
    assert "PDF has 5 pages; read the first 2" in result.notes


def test_pdf_bytes_are_bounded() -> None:
    data = make_pdf(["x" * 50])
    result = extract_pdf(data, max_pages=10, max_bytes=100)
    assert "PDF truncated at 100 bytes" in result.notes
    assert len(result.text) <= 100


@pytest.mark.parametrize(
    "data",
    [b"", b"not a pdf at all", b"%PDF-1.4\n1 0 obj\n<<", b"%PDF-1.7\n" + bytes(range(256)) * 20],
    ids=["empty", "text", "cut", "binary"],
)
def test_broken_pdf_becomes_a_note(data: bytes) -> None:
    result = extract_pdf(data, max_pages=10, max_bytes=1_000_000)
    assert result.text == ""
    assert any(note.startswith("PDF unreadable") for note in result.notes)
    assert extract_pdf_text(data, 10, 1_000_000) == ""


def test_truncated_pdf_never_raises() -> None:
    data = make_pdf(["hello world"])
    for cut in range(0, len(data), 37):
        extract_pdf_text(data[:cut], 10, 1_000_000)  # must not raise


# --- QR --------------------------------------------------------------------------------------

ADDRESS = "bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq?amount=0.1"


def test_qr_backend_is_installed_here() -> None:
    assert qr_available()


def test_missing_extra_gives_no_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    png = make_qr_png(ADDRESS)
    qr._backend.cache_clear()
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # makes "import zxingcpp" fail
    try:
        assert not qr.qr_available()
        assert qr.decode_qr_texts([png]) == []
    finally:
        qr._backend.cache_clear()
    monkeypatch.undo()
    assert qr.decode_qr_texts([png]) == [ADDRESS]


def test_qr_code_is_decoded() -> None:
    assert decode_qr_texts([make_qr_png(ADDRESS)]) == [ADDRESS]


def test_qr_in_jpeg_and_gif() -> None:
    source = Image.open(io.BytesIO(make_qr_png("hello qr", scale=6)))
    found = []
    for fmt in ("JPEG", "GIF"):
        out = io.BytesIO()
        source.convert("RGB" if fmt == "JPEG" else "L").save(out, fmt)
        found.append(decode_qr_texts([out.getvalue()]))
    assert found == [["hello qr"], ["hello qr"]]


def test_qr_duplicates_and_images_without_codes() -> None:
    blank = io.BytesIO()
    Image.new("L", (50, 50), 255).save(blank, "PNG")
    png = make_qr_png(ADDRESS)
    assert decode_qr_texts([blank.getvalue(), png, png]) == [ADDRESS]


def test_qr_image_count_is_bounded() -> None:
    images = [make_qr_png(f"code {i}") for i in range(4)]
    assert decode_qr_texts(images, max_images=2) == ["code 0", "code 1"]


def test_qr_pixel_count_is_bounded() -> None:
    png = make_qr_png(ADDRESS, scale=8)
    assert decode_qr_texts([png], max_pixels=100) == []
    assert decode_qr_texts([png]) == [ADDRESS]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_large_image_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 4000 x 4000 grey PNG: 16 Mpx from a few KB of input, over the 4 Mpx default.
    header = struct.pack(">IIBBBBB", 4000, 4000, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (4001 * 4000))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )
    calls: list[object] = []
    real = zxingcpp.read_barcodes

    def spy(image: object, **kwargs: object) -> object:
        calls.append(image)
        return real(image, **kwargs)

    monkeypatch.setattr(zxingcpp, "read_barcodes", spy)
    assert decode_qr_texts([png]) == []
    assert calls == []  # refused from the header, never decoded
    assert decode_qr_texts([png], max_pixels=20_000_000) == []
    assert len(calls) == 1  # the same image is decodable when the bound allows it


@pytest.mark.parametrize(
    "data", [b"", b"\x89PNG\r\n\x1a\n garbage", b"GIF89a", b"%PDF-1.4", bytes(range(256))]
)
def test_garbage_images_never_raise(data: bytes) -> None:
    assert decode_qr_texts([data]) == []
