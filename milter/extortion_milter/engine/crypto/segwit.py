"""SegWit addresses (Bech32 v0, Bech32m v1+) for Bitcoin (bc) and Litecoin (ltc)."""

from __future__ import annotations

from extortion_milter.engine.crypto.bech32 import decode_segwit
from extortion_milter.engine.types import CryptoAddress

_CURRENCY = {"bc": "btc", "ltc": "ltc"}
MIN_LENGTH = 14  # shortest BIP-173/350 address ("BC1SW50QGDZ25J")
MAX_LENGTH = 90


def check(token: str) -> CryptoAddress | None:
    """Classify a bc1…/ltc1… token; the address is reported lower-case (its canonical form)."""
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH:
        return None
    address = token.lower()
    hrp = address[: address.index("1")] if "1" in address else ""
    currency = _CURRENCY.get(hrp)
    if currency is None:
        return None
    decoded = decode_segwit(hrp, token)
    if decoded is not None:
        version, program = decoded
        return CryptoAddress(currency, address, True, kind=_kind(version, len(program)))
    # Failing strings of the standard lengths (20- or 32-byte programs) look like addresses.
    body = len(address) - len(hrp)  # "1", version, program, 6-char checksum
    if body not in (40, 60):
        return None
    kind = "taproot" if address[len(hrp) + 1] == "p" else "segwit"
    return CryptoAddress(currency, address, False, kind=kind)


def _kind(version: int, program_length: int) -> str:
    if version == 0:
        return "segwit"
    if version == 1 and program_length == 32:
        return "taproot"
    return f"segwit-v{version}"
