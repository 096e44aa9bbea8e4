"""QR codes in images: "scan this code to pay" mail carries its address only there.

zxing-cpp and Pillow are an optional extra. Without them `decode_qr_texts` returns
nothing and `qr_available` says why, so the engine can note it once per message.
"""

from __future__ import annotations

import functools
import io
from types import ModuleType

# Only formats mail clients display; other Pillow plugins are never reached by spam input.
_FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP"]


@functools.cache
def _backend() -> tuple[ModuleType, ModuleType] | None:
    """(zxingcpp, PIL.Image), imported once; None when the extra is not installed."""
    try:
        import zxingcpp
        from PIL import Image
    except Exception:
        return None
    return zxingcpp, Image


def qr_available() -> bool:
    return _backend() is not None


def decode_qr_texts(
    images: list[bytes], max_images: int = 5, max_pixels: int = 4_000_000
) -> list[str]:
    """Texts of the QR codes in the first `max_images` images. Never raises."""
    backend = _backend()
    if backend is None:
        return []
    texts: list[str] = []
    for data in images[:max_images]:
        for text in _decode_one(backend, data, max_pixels):
            if text not in texts:
                texts.append(text)
    return texts


def _decode_one(backend: tuple[ModuleType, ModuleType], data: bytes, max_pixels: int) -> list[str]:
    zxingcpp, image_module = backend
    try:
        with image_module.open(io.BytesIO(data), formats=_FORMATS) as image:
            width, height = image.size
            # Checked before decoding pixels: the header alone gives the size.
            if width <= 0 or height <= 0 or width * height > max_pixels:
                return []
            if image.mode == "P":
                # Palette images with transparency warn (on stderr) when converted to
                # grey directly; through RGBA they do not.
                image = image.convert("RGBA")
            gray = image.convert("L")  # the first frame of a GIF
        found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
        return [str(code.text) for code in found if code.text]
    except Exception:
        return []
