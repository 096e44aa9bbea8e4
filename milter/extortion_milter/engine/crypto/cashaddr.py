"""Bitcoin Cash CashAddr (`bitcoincash:q…`/`p…`, or the bare payload), with its polymod."""

from __future__ import annotations

from extortion_milter.engine.crypto.bech32 import CHARSET, convertbits
from extortion_milter.engine.types import CryptoAddress

PREFIX = "bitcoincash"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_GENERATOR = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
_PREFIX_VALUES = [ord(c) & 0x1F for c in PREFIX] + [0]
_HASH_SIZES = (20, 24, 28, 32, 40, 48, 56, 64)  # by the low 3 bits of the version byte
_PAYLOAD_LENGTHS = (42, 61)  # 160- and 256-bit hashes: the ones in use
MIN_LENGTH = 42
MAX_LENGTH = len(PREFIX) + 1 + 112


def _polymod(values: list[int]) -> int:
    c = 1
    for value in values:
        top = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                c ^= gen
    return c ^ 1


def decode(address: str) -> tuple[int, bytes] | None:
    """Return (type: 0 P2PKH / 1 P2SH, hash) of a valid CashAddr, prefixed or bare."""
    if address.lower() != address and address.upper() != address:
        return None
    prefix, sep, payload = address.lower().rpartition(":")
    if sep and prefix != PREFIX:
        return None
    try:
        data = [_VALUE[c] for c in payload]
    except KeyError:
        return None
    if len(data) <= 8 or _polymod(_PREFIX_VALUES + data) != 0:
        return None
    raw = convertbits(data[:-8], 5, 8, pad=False)
    if not raw or raw[0] & 0x80:
        return None
    version, digest = raw[0], bytes(raw[1:])
    if len(digest) != _HASH_SIZES[version & 7] or version >> 3 not in (0, 1):
        return None
    return version >> 3, digest


def check(token: str) -> CryptoAddress | None:
    """Classify a CashAddr token; reported in the canonical lower-case prefixed form."""
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH:
        return None
    payload = token.lower().rpartition(":")[2]
    address = f"{PREFIX}:{payload}"
    if decode(token) is not None:
        return CryptoAddress("bch", address, True, kind="cashaddr")
    # Only the prefixed form is distinctive enough to call a failing string a look-alike.
    if ":" in token and len(payload) in _PAYLOAD_LENGTHS and payload[0] in "qp":
        return CryptoAddress("bch", address, False, kind="cashaddr")
    return None
