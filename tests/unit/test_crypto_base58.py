"""Base58Check addresses: Bitcoin legacy, Litecoin, Dogecoin, Tron."""

from __future__ import annotations

import pytest

from extortion_milter.engine.crypto import base58check, find_addresses
from tests.unit.test_crypto_support import base58check as encode
from tests.unit.test_crypto_support import hash20

VERSIONS = [
    (0x00, "1", "btc", "p2pkh"),
    (0x05, "3", "btc", "p2sh"),
    (0x30, "L", "ltc", "p2pkh"),
    (0x32, "M", "ltc", "p2sh"),
    (0x1E, "D", "doge", "p2pkh"),
    (0x16, "9A", "doge", "p2sh"),
    (0x41, "T", "trx", "tron"),
]
SEEDS = ["alpha", "bravo", "charlie", "delta", "echo"]


@pytest.mark.parametrize(("version", "prefixes", "currency", "kind"), VERSIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_generated_addresses_validate(
    version: int, prefixes: str, currency: str, kind: str, seed: str
) -> None:
    address = encode(version, hash20(seed))
    assert address[0] in prefixes
    found = find_addresses(f"Send the money to {address} within 48 hours.")
    assert [(a.currency, a.address, a.valid, a.kind) for a in found] == [
        (currency, address, True, kind)
    ]


@pytest.mark.parametrize(("version", "prefixes", "currency", "kind"), VERSIONS)
def test_one_changed_character_fails_the_checksum(
    version: int, prefixes: str, currency: str, kind: str
) -> None:
    address = encode(version, hash20("tamper"))
    pos = len(address) // 2
    swapped = "2" if address[pos] != "2" else "3"
    tampered = address[:pos] + swapped + address[pos + 1 :]
    result = base58check.check(tampered)
    assert result is None or not result.valid


PUBLIC = {
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": ("btc", "p2pkh"),  # genesis block coinbase
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2": ("btc", "p2pkh"),
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy": ("btc", "p2sh"),
    "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1": ("ltc", "p2pkh"),
    "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L": ("doge", "p2pkh"),
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": ("trx", "tron"),  # USDT (TRC-20) contract
}


@pytest.mark.parametrize(("address", "expected"), PUBLIC.items())
def test_public_addresses_validate(address: str, expected: tuple[str, str]) -> None:
    result = base58check.check(address)
    assert result is not None
    assert (result.currency, result.kind, result.valid) == (*expected, True)


def test_unknown_version_is_not_an_address() -> None:
    testnet = encode(0x6F, hash20("testnet"))  # m…/n…: Bitcoin testnet
    assert base58check.check(testnet) is None
    assert find_addresses(f"to {testnet}") == []


def test_wrong_payload_length_is_not_valid() -> None:
    long_payload = encode(0x00, hash20("x") + b"\x01")  # 22-byte payload, checksum fine
    result = base58check.check(long_payload)
    assert result is None or not result.valid


# From the AFT 2019 sextortion wallet list: truncated and garbled addresses.
@pytest.mark.parametrize(
    "token", ["1CKUjp9VNWFd1ysDbsq27dK9icG3vjeGr", "17ZLAibXo3yqHazH8cvvFZPawtM23bup2"]
)
def test_truncated_addresses_are_lookalikes(token: str) -> None:
    [found] = find_addresses(f"Send 0.1 BTC to {token} within 48 hours")
    assert (found.currency, found.kind, found.valid) == ("btc", "p2pkh", False)


@pytest.mark.parametrize(
    "token",
    [
        "3daa7ab7451f4215c9fe53c6c739e8e534",  # hex: no upper case
        "3CD19JE8F4C48L43E3A5TH8XD45JLRXUL",  # no lower case
        "1234567891234567891234567891234",  # order number
        "Aabcdefghijk1mnopqrstuvwxyzABCDEFG",  # "A…": too common a start for look-alikes
    ],
)
def test_tokens_without_address_texture_are_not_reported(token: str) -> None:
    assert find_addresses(f"ref {token} end") == []


@pytest.mark.parametrize("prefix", ["1", "3", "L", "M", "D", "T"])
def test_failing_token_of_address_shape_is_lookalike(prefix: str) -> None:
    token = prefix + "Ab3dEf5hJk7mNp9qRs2tUv4wXy6zAb8cD"[:33]
    assert len(token) == 34
    [found] = find_addresses(f"wallet: {token}")
    assert found.valid is False
    assert found.address == token
