"""Images for the evasion corpus: QR codes (zxing-cpp writes them) and pictures of text.

Needs the `qr` extra (zxing-cpp and Pillow); only the generator imports this module.
"""

from __future__ import annotations

import io
from typing import Any, cast

import zxingcpp
from PIL import Image, ImageDraw, ImageFont


def qr_pixels(text: str, scale: int = 4) -> tuple[int, int, bytes]:
    """(width, height, 8-bit grey pixels) of a QR code holding `text`."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    # zxingcpp.Image supports the buffer protocol; its stubs do not say so.
    pixels = memoryview(cast(Any, zxingcpp.write_barcode_to_image(code, scale=scale)))
    shape = pixels.shape
    assert shape is not None
    height, width = shape
    return width, height, pixels.tobytes()


def qr_png(text: str, scale: int = 4) -> bytes:
    width, height, pixels = qr_pixels(text, scale)
    image = Image.frombytes("L", (width, height), pixels)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def text_png(lines: list[str], width: int = 640) -> bytes:
    """A picture of some lines of text (what an image-only spam shows instead of text)."""
    font = ImageFont.load_default()
    height = 16 * len(lines) + 24
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((12, 12 + 16 * index), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
