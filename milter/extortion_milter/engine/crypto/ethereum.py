"""Ethereum (and ERC-20) addresses: `0x` + 40 hex, EIP-55 mixed-case checksum."""

from __future__ import annotations

from extortion_milter.engine.crypto.keccak import keccak256
from extortion_milter.engine.types import CryptoAddress

LENGTH = 42


def eip55_ok(hex40: str) -> bool:
    """True if the letters' case matches EIP-55 (a letter is upper iff its hash nibble >= 8)."""
    digest = keccak256(hex40.lower().encode("ascii")).hex()[: len(hex40)]
    return all(
        c.isupper() == (int(h, 16) >= 8) for c, h in zip(hex40, digest, strict=True) if c.isalpha()
    )


def check(token: str) -> CryptoAddress | None:
    """Classify `0x` + hex; all-lower/all-upper carry no checksum, so shape is all we check."""
    digits = token[2:]
    if len(token) != LENGTH or not token.startswith("0x") or digits.isdigit():
        return None  # all digits: a number, not an address
    if digits.lower() == digits or digits.upper() == digits:
        return CryptoAddress("eth", token, True, kind="eth-nochecksum")
    return CryptoAddress("eth", token, eip55_ok(digits), kind="eip55")
