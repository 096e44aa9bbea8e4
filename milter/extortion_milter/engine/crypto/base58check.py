"""Base58Check addresses: Bitcoin legacy, Litecoin, Dogecoin, Tron."""

from __future__ import annotations

import base58

from extortion_milter.engine.types import CryptoAddress

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

# version byte -> (currency, kind); payloads are always a 20-byte hash.
_VERSIONS: dict[int, tuple[str, str]] = {
    0x00: ("btc", "p2pkh"),
    0x05: ("btc", "p2sh"),  # Litecoin's legacy P2SH shares it; reported as btc
    0x30: ("ltc", "p2pkh"),
    0x32: ("ltc", "p2sh"),
    0x1E: ("doge", "p2pkh"),
    0x16: ("doge", "p2sh"),
    0x41: ("trx", "tron"),
}

# What a failing string of a familiar shape claims to be. "A"/"9" (Dogecoin P2SH) are
# left out: too many ordinary tokens start that way to call them look-alikes.
_LOOKALIKE: dict[str, tuple[str, str]] = {
    "1": ("btc", "p2pkh"),
    "3": ("btc", "p2sh"),
    "L": ("ltc", "p2pkh"),
    "M": ("ltc", "p2sh"),
    "D": ("doge", "p2pkh"),
    "T": ("trx", "tron"),
}

MIN_LENGTH = 25
MAX_LENGTH = 35


def decode(token: str) -> tuple[int, bytes] | None:
    """Return (version, 20-byte hash) if token is Base58Check of a 21-byte payload."""
    try:
        payload = base58.b58decode_check(token)
    except ValueError:
        return None
    if len(payload) != 21:
        return None
    return payload[0], payload[1:]


def check(token: str) -> CryptoAddress | None:
    """Classify a Base58 token: a valid address, a failing look-alike, or nothing."""
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH:
        return None
    decoded = decode(token)
    if decoded is not None and decoded[0] in _VERSIONS:
        currency, kind = _VERSIONS[decoded[0]]
        return CryptoAddress(currency=currency, address=token, valid=True, kind=kind)
    return _lookalike(token)


def _lookalike(token: str) -> CryptoAddress | None:
    claimed = _LOOKALIKE.get(token[0])
    if claimed is None:
        return None
    # Real addresses are 34 chars (P2PKH 33 about one time in 58, shorter almost never)
    # and mix upper, lower and digits; order IDs and hex strings do not.
    length_ok = len(token) in (33, 34) if token[0] == "1" else len(token) == 34
    mixed = (
        any(c.isupper() for c in token[1:])
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token[1:])
    )
    if not (length_ok and mixed):
        return None
    currency, kind = claimed
    return CryptoAddress(currency=currency, address=token, valid=False, kind=kind)
