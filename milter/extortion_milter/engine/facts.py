"""What one scan has learned about a message, shared by every rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from .message import ParsedMessage
from .types import CryptoAddress, Envelope


@dataclass(frozen=True)
class LocatedAddress:
    address: CryptoAddress
    location: str  # "body", "attachment" (incl. PDF text) or "qr"


@dataclass
class ScanFacts:
    message: ParsedMessage
    subject: str  # normalized
    body: str  # normalized visible text, capped
    addresses: list[LocatedAddress]
    notes: list[str] = field(default_factory=list)
    # Set by Engine.decide: what the MTA said, and facts found outside the engine (DNS).
    envelope: Envelope | None = None
    external: dict[str, str] = field(default_factory=dict)
