"""What one scan has learned about a message, shared by every rule."""

from __future__ import annotations

from dataclasses import dataclass

from .message import ParsedMessage
from .types import CryptoAddress, Envelope


@dataclass(frozen=True)
class LocatedAddress:
    address: CryptoAddress
    location: str  # "body", "attachment" (incl. PDF text) or "qr"


@dataclass
class ScanFacts:
    message: ParsedMessage
    envelope: Envelope | None
    subject: str  # normalized
    body: str  # normalized visible text, capped
    addresses: list[LocatedAddress]
