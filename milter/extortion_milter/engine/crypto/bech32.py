"""Bech32 (BIP-173) and Bech32m (BIP-350) decoding.

Follows the BIP-350 reference implementation (sipa/bech32, ref/python) so that the
published test vectors apply unchanged; only decoding is needed here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32M_CONST = 0x2BC830A3
_MAX_LENGTH = 90


class Encoding(enum.Enum):
    BECH32 = 1
    BECH32M = 2


def _polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(bech: str) -> tuple[str, list[int], Encoding] | None:
    """Split a Bech32/Bech32m string into (hrp, data without checksum, encoding)."""
    if any(ord(c) < 33 or ord(c) > 126 for c in bech):
        return None
    if bech.lower() != bech and bech.upper() != bech:
        return None  # mixed case is invalid by definition
    bech = bech.lower()
    pos = bech.rfind("1")
    if pos < 1 or pos + 7 > len(bech) or len(bech) > _MAX_LENGTH:
        return None
    try:
        data = [_VALUE[c] for c in bech[pos + 1 :]]
    except KeyError:
        return None
    hrp = bech[:pos]
    const = _polymod(_hrp_expand(hrp) + data)
    if const == 1:
        encoding = Encoding.BECH32
    elif const == _BECH32M_CONST:
        encoding = Encoding.BECH32M
    else:
        return None
    return hrp, data[:-6], encoding


def convertbits(data: Sequence[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    """Regroup bits; without pad, leftover bits must be fewer than frombits and zero."""
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    for value in data:
        if value < 0 or value >> frombits:
            return None
        acc = ((acc << frombits) | value) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or (acc << (tobits - bits)) & maxv:
        return None
    return out


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes] | None:
    """Return (witness version, witness program) of a segwit address for hrp, else None."""
    decoded = bech32_decode(address)
    if decoded is None:
        return None
    got_hrp, data, encoding = decoded
    if got_hrp != hrp or not data:
        return None
    version = data[0]
    program = convertbits(data[1:], 5, 8, pad=False)
    if program is None or not 2 <= len(program) <= 40 or version > 16:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    # BIP-350: v0 keeps Bech32, v1+ must use Bech32m (so old v1+ Bech32 strings fail).
    if (version == 0) != (encoding is Encoding.BECH32):
        return None
    return version, bytes(program)
