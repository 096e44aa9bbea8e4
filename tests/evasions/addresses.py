"""Checksum-valid crypto addresses for the evasion corpus, computed here from seeded bytes.

Written from the specifications (Base58Check, BIP-173 Bech32, BIP-350 Bech32m, EIP-55),
not with the engine's own codecs, so a bug in the engine's validators cannot make a test
message and its check agree by accident. The payloads are SHA-256 of a label: no key
behind them, no one's real wallet.
"""

from __future__ import annotations

import hashlib

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3


def seeded(label: str, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"evasion-corpus:{label}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def base58check(version: bytes, payload: bytes) -> str:
    data = version + payload
    data += hashlib.sha256(hashlib.sha256(data).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    chars = ""
    while number:
        number, rest = divmod(number, 58)
        chars = _B58[rest] + chars
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + chars


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _convertbits(data: bytes, frombits: int, tobits: int) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for byte in data:
        acc = (acc << frombits) | byte
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def segwit(hrp: str, version: int, program: bytes) -> str:
    """BIP-173 (v0, Bech32) or BIP-350 (v1+, Bech32m) address."""
    data = [version, *_convertbits(program, 8, 5)]
    const = 1 if version == 0 else _BECH32M_CONST
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def eip55(payload: bytes) -> str:
    """An Ethereum address with its EIP-55 mixed-case checksum (needs pycryptodome)."""
    from Crypto.Hash import keccak  # only the generator needs it, never the tests

    hexaddr = payload.hex()
    digest = keccak.new(digest_bits=256, data=hexaddr.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hexaddr)
    )


def btc_p2pkh(label: str) -> str:
    return base58check(b"\x00", seeded(label, 20))


def btc_p2sh(label: str) -> str:
    return base58check(b"\x05", seeded(label, 20))


def btc_segwit(label: str) -> str:
    return segwit("bc", 0, seeded(label, 20))


def btc_taproot(label: str) -> str:
    return segwit("bc", 1, seeded(label, 32))


def ltc_segwit(label: str) -> str:
    return segwit("ltc", 0, seeded(label, 20))


def trx(label: str) -> str:
    return base58check(b"\x41", seeded(label, 20))


def eth(label: str) -> str:
    return eip55(seeded(label, 20))
