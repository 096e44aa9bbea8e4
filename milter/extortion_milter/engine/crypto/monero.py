"""Monero addresses: Monero's block-wise Base58 and a Keccak-256 checksum."""

from __future__ import annotations

from extortion_milter.engine.crypto.base58check import ALPHABET
from extortion_milter.engine.crypto.keccak import keccak256
from extortion_milter.engine.types import CryptoAddress

_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_BLOCK_CHARS = 11  # one full 8-byte block
# Encoded length of a final partial block -> its byte count.
_PARTIAL_BYTES = {2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, _BLOCK_CHARS: 8}
# (length, mainnet network byte) -> kind
_KINDS = {(95, 18): "standard", (95, 42): "subaddress", (106, 19): "integrated"}
STANDARD_LENGTH = 95
INTEGRATED_LENGTH = 106


def b58decode(text: str) -> bytes | None:
    """Monero Base58: independent 11-char blocks of 8 bytes each, big-endian."""
    out = bytearray()
    for i in range(0, len(text), _BLOCK_CHARS):
        block = text[i : i + _BLOCK_CHARS]
        size = _PARTIAL_BYTES.get(len(block))
        if size is None:
            return None
        value = 0
        for c in block:
            digit = _VALUE.get(c)
            if digit is None:
                return None
            value = value * 58 + digit
        if value >> (8 * size):
            return None  # overflows its block: not produced by an encoder
        out += value.to_bytes(size, "big")
    return bytes(out)


def check(token: str) -> CryptoAddress | None:
    """Classify a 95/106-char 4…/8… token."""
    if len(token) not in (STANDARD_LENGTH, INTEGRATED_LENGTH) or token[0] not in "48":
        return None
    raw = b58decode(token)
    if raw is not None and keccak256(raw[:-4])[:4] == raw[-4:]:
        kind = _KINDS.get((len(token), raw[0]))
        if kind is not None:
            return CryptoAddress("xmr", token, True, kind=kind)
    mixed = (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token[1:])
    )
    if not mixed:
        return None
    claimed = "integrated" if len(token) == INTEGRATED_LENGTH else "standard"
    return CryptoAddress("xmr", token, False, kind=claimed if token[0] == "4" else "subaddress")
