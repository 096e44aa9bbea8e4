"""What surrounds a token: is it inside a URL, does it sit in a base64 blob."""

from __future__ import annotations

import re

_WINDOW = 1024  # bytes looked back for a URL start; longer URLs before an address are rare
# Run of URL characters, matched on the reversed window so the scan is linear.
_URL_CHARS = re.compile(rb"[^\s<>\"']*")
_BASE64_PUNCTUATION = b"+/="


def in_url(data: bytes, start: int) -> bool:
    """True if the bytes before start, up to whitespace, contain a URL start."""
    window = data[max(0, start - _WINDOW) : start]
    match = _URL_CHARS.match(window[::-1])
    chunk = match.group(0)[::-1].lower() if match else b""
    return b"http://" in chunk or b"https://" in chunk or b"www." in chunk


def base64_adjacent(data: bytes, start: int, end: int) -> bool:
    """True if the token touches +, / or =: a fragment of base64, not a typed address."""
    before = data[start - 1 : start]
    after = data[end : end + 1]
    return bool(before and before in _BASE64_PUNCTUATION) or bool(
        after and after in _BASE64_PUNCTUATION
    )
