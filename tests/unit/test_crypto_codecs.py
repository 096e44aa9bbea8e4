"""Ethereum (EIP-55), Monero and Bitcoin Cash CashAddr."""

from __future__ import annotations

import pytest

from extortion_milter.engine.crypto import base58check, cashaddr, ethereum, find_addresses, monero
from tests.unit.test_crypto_support import hash20, keccak256
from tests.unit.test_crypto_support import monero as encode_monero

# --- Ethereum: the examples of EIP-55 -------------------------------------------------

EIP55_MIXED = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EIP55_SINGLE_CASE = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_eip55_examples_validate(address: str) -> None:
    result = ethereum.check(address)
    assert result is not None
    assert (result.currency, result.valid, result.kind) == ("eth", True, "eip55")


@pytest.mark.parametrize("address", EIP55_MIXED)
def test_eip55_wrong_case_fails(address: str) -> None:
    # Flip the case of the last letter: still mixed case, checksum now wrong.
    pos = max(i for i, c in enumerate(address) if c.isalpha() and i > 1)
    flipped = address[:pos] + address[pos].swapcase() + address[pos + 1 :]
    result = ethereum.check(flipped)
    assert result is not None
    assert (result.valid, result.kind) == (False, "eip55")


@pytest.mark.parametrize("address", EIP55_SINGLE_CASE)
def test_single_case_has_no_checksum(address: str) -> None:
    result = ethereum.check(address)
    assert result is not None
    assert (result.valid, result.kind) == (True, "eth-nochecksum")


@pytest.mark.parametrize(
    "token",
    [
        "0x" + "1234567890" * 4,  # all digits: a number
        "0x" + "ab" * 32,  # 64 hex: a transaction or block hash
        "0x" + "ab" * 19,  # 38 hex: too short
    ],
)
def test_hex_that_is_not_an_address(token: str) -> None:
    assert ethereum.check(token) is None
    assert find_addresses(f"see {token} here") == []


# --- Monero -----------------------------------------------------------------------------

GENERAL_FUND = (
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7Sq"
    "SsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)
KEYS = keccak256(b"spend") + keccak256(b"view")


def test_monero_general_fund_address_validates() -> None:
    result = monero.check(GENERAL_FUND)
    assert result is not None
    assert (result.currency, result.valid, result.kind) == ("xmr", True, "standard")


@pytest.mark.parametrize(
    ("network_byte", "extra", "kind", "length"),
    [
        (18, b"", "standard", 95),
        (42, b"", "subaddress", 95),
        (19, b"\x01\x02\x03\x04\x05\x06\x07\x08", "integrated", 106),
    ],
)
def test_monero_generated_kinds(network_byte: int, extra: bytes, kind: str, length: int) -> None:
    address = encode_monero(network_byte, KEYS + extra)
    assert len(address) == length
    [found] = find_addresses(f"XMR: {address}.")
    assert (found.address, found.valid, found.kind) == (address, True, kind)


def test_monero_testnet_network_byte_is_not_valid() -> None:
    address = encode_monero(53, KEYS)  # testnet standard: checksum fine, wrong network
    result = monero.check(address)
    assert result is None or not result.valid


def test_monero_changed_character_fails() -> None:
    tampered = GENERAL_FUND[:40] + ("x" if GENERAL_FUND[40] != "x" else "y") + GENERAL_FUND[41:]
    result = monero.check(tampered)
    assert result is not None and result.valid is False


def test_monero_block_overflow_is_rejected() -> None:
    # "zzzzzzzzzzz" is 58**11 - 1 > 2**64: no 8-byte block encodes to it.
    assert monero.b58decode("zzzzzzzzzzz") is None
    assert monero.b58decode("jpXCZedGfVQ") == b"\xff" * 8


# --- Bitcoin Cash CashAddr: the examples of the CashAddr spec -----------------------------

CASHADDR_SPEC = [
    (
        "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
        "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
    ),
    (
        "1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR",
        "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy",
    ),
    ("16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"),
    (
        "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC",
        "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq",
    ),
    (
        "3LDsS579y7sruadqu11beEJoTjdFiFCdX4",
        "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e",
    ),
    (
        "31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw",
        "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37",
    ),
]


@pytest.mark.parametrize(("legacy", "address"), CASHADDR_SPEC)
def test_cashaddr_spec_examples_match_legacy_hash(legacy: str, address: str) -> None:
    legacy_decoded = base58check.decode(legacy)
    assert legacy_decoded is not None
    version, digest = legacy_decoded
    assert cashaddr.decode(address) == (0 if version == 0x00 else 1, digest)
    assert cashaddr.decode(address.upper()) == (0 if version == 0x00 else 1, digest)
    bare = address.split(":")[1]
    assert cashaddr.decode(bare) == cashaddr.decode(address)


def test_cashaddr_found_bare_and_prefixed_as_one_canonical_address() -> None:
    address = CASHADDR_SPEC[0][1]
    bare = address.split(":")[1]
    found = find_addresses(f"{bare} or {address.upper()}")
    assert [(a.currency, a.address, a.valid, a.kind) for a in found] == [
        ("bch", address, True, "cashaddr")
    ]


def test_cashaddr_rejects_other_prefix_mixed_case_and_bad_checksum() -> None:
    address = CASHADDR_SPEC[1][1]
    payload = address.split(":")[1]
    assert cashaddr.decode("bchtest:" + payload) is None  # prefix is in the checksum
    assert cashaddr.decode(address[:20] + address[20:].upper()) is None
    tampered = address[:-1] + ("q" if address[-1] != "q" else "p")
    assert cashaddr.decode(tampered) is None
    [found] = find_addresses(f"send to {tampered} now")
    assert (found.valid, found.kind) == (False, "cashaddr")
    # Bare strings are too plain to call look-alikes.
    assert find_addresses(f"send to {tampered.split(':')[1]} now") == []


def test_cashaddr_does_not_accept_a_legacy_hash_as_payload() -> None:
    assert cashaddr.decode("bitcoincash:" + hash20("x").hex()) is None
