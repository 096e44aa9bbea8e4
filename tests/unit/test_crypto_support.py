"""Encoders the crypto tests use to build valid addresses (the product only decodes).

Written from the specs independently of the decoders under test, so a round trip
checks the decoders rather than echoing them.
"""

from __future__ import annotations

import hashlib

import base58
from Crypto.Hash import keccak

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def hash20(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()[:20]


def base58check(version: int, payload: bytes) -> str:
    return base58.b58encode_check(bytes([version]) + payload).decode("ascii")


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _to5(data: bytes) -> list[int]:
    acc = bits = 0
    out = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def segwit(hrp: str, version: int, program: bytes) -> str:
    const = 1 if version == 0 else 0x2BC830A3
    data = [version, *_to5(program)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _bech32_polymod(expanded + data + [0] * 6) ^ const
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def keccak256(data: bytes) -> bytes:
    digest: bytes = keccak.new(digest_bits=256, data=data).digest()
    return digest


def monero(network_byte: int, body: bytes) -> str:
    """Monero Base58 of network byte + body + 4-byte Keccak checksum."""
    raw = bytes([network_byte]) + body
    raw += keccak256(raw)[:4]
    sizes = {1: 2, 2: 3, 3: 5, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11}
    out = []
    for i in range(0, len(raw), 8):
        block = raw[i : i + 8]
        value = int.from_bytes(block, "big")
        chars = []
        for _ in range(sizes[len(block)]):
            value, digit = divmod(value, 58)
            chars.append(_B58[digit])
        out.append("".join(reversed(chars)))
    return "".join(out)


# The encoders above must reproduce published addresses, or every test built on them lies.


def test_segwit_encoder_matches_bip173() -> None:
    program = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
    assert segwit("bc", 0, program) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def test_segwit_encoder_matches_bip350() -> None:
    program = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert segwit("bc", 1, program) == (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    )


def test_base58check_encoder_matches_genesis_address() -> None:
    genesis_hash = bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    assert base58check(0x00, genesis_hash) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def test_monero_encoder_matches_general_fund_address() -> None:
    address = (
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wf"
        "n3RVGQBEP3A"
    )
    # Decode with plain integer arithmetic per block, re-encode with the helper.
    raw = b""
    for i in range(0, len(address), 11):
        block = address[i : i + 11]
        value = 0
        for c in block:
            value = value * 58 + _B58.index(c)
        raw += value.to_bytes({11: 8, 7: 5}[len(block)], "big")
    assert monero(raw[0], raw[1:-4]) == address
