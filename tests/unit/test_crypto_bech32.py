"""Bech32/Bech32m and SegWit addresses against the BIP-173 and BIP-350 vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extortion_milter.engine.crypto import find_addresses, segwit
from extortion_milter.engine.crypto.bech32 import Encoding, bech32_decode, decode_segwit
from tests.unit.test_crypto_support import hash20
from tests.unit.test_crypto_support import segwit as encode_segwit

VECTORS = json.loads((Path(__file__).parent / "data/crypto/segwit_vectors.json").read_text())


def _flip_after_separator(s: str) -> str:
    pos = s.rfind("1")
    return s[: pos + 1] + chr(ord(s[pos + 1]) ^ 1) + s[pos + 2 :]


@pytest.mark.parametrize(
    ("vector", "encoding"),
    [(v, Encoding.BECH32) for v in VECTORS["valid_bech32"]]
    + [(v, Encoding.BECH32M) for v in VECTORS["valid_bech32m"]],
)
def test_valid_checksum_vectors(vector: str, encoding: Encoding) -> None:
    decoded = bech32_decode(vector)
    assert decoded is not None and decoded[2] is encoding
    assert bech32_decode(_flip_after_separator(vector)) is None


@pytest.mark.parametrize(
    ("vector", "encoding"),
    [(v, Encoding.BECH32) for v in VECTORS["invalid_bech32"]]
    + [(v, Encoding.BECH32M) for v in VECTORS["invalid_bech32m"]],
)
def test_invalid_checksum_vectors(vector: str, encoding: Encoding) -> None:
    decoded = bech32_decode(vector)
    assert decoded is None or decoded[2] is not encoding


def _script(version: int, program: bytes) -> str:
    return (bytes([version + 0x50 if version else 0, len(program)]) + program).hex()


@pytest.mark.parametrize(("address", "script"), VECTORS["valid_address_bip350"])
def test_valid_address_vectors(address: str, script: str) -> None:
    hrp = "bc" if address.lower().startswith("bc") else "tb"
    decoded = decode_segwit(hrp, address)
    assert decoded is not None
    assert _script(*decoded) == script


@pytest.mark.parametrize(
    "address", VECTORS["invalid_address_bip350"] + VECTORS["invalid_address_bip173"]
)
def test_invalid_address_vectors(address: str) -> None:
    assert decode_segwit("bc", address) is None
    assert decode_segwit("tb", address) is None


@pytest.mark.parametrize("address", VECTORS["bip173_v1plus_bech32_rejected_by_bip350"])
def test_v1_plus_with_bech32_checksum_is_rejected(address: str) -> None:
    # Valid Bech32 strings, but BIP-350 requires Bech32m for witness v1+.
    decoded = bech32_decode(address)
    assert decoded is not None and decoded[2] is Encoding.BECH32
    assert decode_segwit("bc", address) is None


MAINNET_KINDS = {
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4": "segwit",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y": "segwit-v1",
    "BC1SW50QGDZ25J": "segwit-v16",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs": "segwit-v2",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0": "taproot",
}


@pytest.mark.parametrize(("address", "kind"), MAINNET_KINDS.items())
def test_mainnet_vectors_are_found_in_text(address: str, kind: str) -> None:
    [found] = find_addresses(f"pay to {address} today")
    assert (found.currency, found.address, found.valid, found.kind) == (
        "btc",
        address.lower(),
        True,
        kind,
    )


def test_testnet_addresses_are_not_reported() -> None:
    text = " ".join(a for a, _ in VECTORS["valid_address_bip350"] if a.startswith("tb1"))
    assert find_addresses(text) == []


@pytest.mark.parametrize(
    "address",
    [a for a in VECTORS["invalid_address_bip350"] + VECTORS["invalid_address_bip173"]]
    + VECTORS["bip173_v1plus_bech32_rejected_by_bip350"],
)
def test_invalid_vectors_never_come_out_valid(address: str) -> None:
    assert not any(a.valid for a in find_addresses(f"send to {address} now"))


def test_failing_bc1_of_standard_length_is_a_lookalike() -> None:
    # BIP-173's "invalid checksum" vector: right shape, wrong checksum.
    [found] = find_addresses("send to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5 now")
    assert (found.valid, found.kind) == (False, "segwit")
    # Bech32 checksum on a v1 program: looks like Taproot, is not valid.
    [found] = find_addresses("to bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd")
    assert (found.valid, found.kind) == (False, "taproot")


def test_litecoin_segwit_and_taproot() -> None:
    v0 = encode_segwit("ltc", 0, hash20("ltc v0"))
    v1 = encode_segwit("ltc", 1, hash20("a") + hash20("b")[:12])
    assert segwit.check(v0) is not None
    found = find_addresses(f"{v0} and {v1}")
    assert [(a.currency, a.kind, a.valid) for a in found] == [
        ("ltc", "segwit", True),
        ("ltc", "taproot", True),
    ]
    # Upper case (as in QR codes) is found and reported in canonical lower case.
    [upper] = find_addresses(f"LTC: {v0.upper()}")
    assert (upper.currency, upper.address, upper.valid) == ("ltc", v0, True)
    # The bc hrp is not interchangeable: the hrp is part of the checksum.
    assert not any(a.valid for a in find_addresses("bc" + v0[3:]))


def test_mixed_case_is_invalid() -> None:
    address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    mixed = address[:10] + address[10:].upper()
    assert decode_segwit("bc", mixed) is None
    assert not any(a.valid for a in find_addresses(mixed))
