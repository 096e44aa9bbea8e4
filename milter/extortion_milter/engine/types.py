"""Plain data that crosses layer boundaries: the envelope in, the verdict out.

Everything here is immutable so a verdict can be logged, stored and turned into
milter actions without anyone mutating it on the way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Action(enum.Enum):
    """What the thresholds say to do with a message, mildest first."""

    ACCEPT = "accept"
    TAG = "tag"
    QUARANTINE = "quarantine"
    REJECT = "reject"


@dataclass(frozen=True)
class Envelope:
    """What the MTA told us about a message besides its bytes.

    The engine's content rules read the message headers, not the envelope, so that
    `extortion-milter check` on a file gives the verdict the milter gives.
    Envelope facts only feed rules that cannot work without them (DNS checks).
    """

    client_ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    rcpts: tuple[str, ...] = ()
    queue_id: str | None = None
    authenticated: bool = False


@dataclass(frozen=True)
class CryptoAddress:
    """A cryptocurrency address found in the message text."""

    currency: str  # "btc", "ltc", "doge", "bch", "eth", "trx", "xmr"
    address: str
    valid: bool  # checksum verified (eth: EIP-55 when mixed case, else shape only)
    in_url: bool = False  # sat inside a URL (block-explorer links are usually legitimate)
    kind: str = ""  # "p2pkh", "p2sh", "segwit", "taproot", "cashaddr", "eip55", ...
    joined: bool = False  # re-joined from pieces split by spaces or line breaks


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    score: float
    evidence: str
    description: str = ""


@dataclass(frozen=True)
class Verdict:
    score: float
    action: Action
    hits: tuple[RuleHit, ...]
    addresses: tuple[CryptoAddress, ...] = ()
    notes: tuple[
        str, ...
    ] = ()  # truncation and parse notes, e.g. "body truncated at 1048576 bytes"
    required: float = 0.0  # the tag threshold, for X-Extortion-Status
    ruleset_version: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(hit.rule_id for hit in self.hits)

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 2),
            "action": self.action.value,
            "required": self.required,
            "rules": [
                {"id": h.rule_id, "score": h.score, "evidence": h.evidence} for h in self.hits
            ],
            "crypto_addresses": [
                {
                    "currency": a.currency,
                    "address": a.address,
                    "valid": a.valid,
                    "in_url": a.in_url,
                }
                for a in self.addresses
            ],
            "notes": list(self.notes),
            "ruleset_version": self.ruleset_version,
        }
