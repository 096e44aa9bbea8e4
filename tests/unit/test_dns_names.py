"""Query names and what may be queried: pure, no server needed."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest

from extortion_milter.dns.names import (
    is_public,
    mail_domain,
    parse_client_ip,
    parse_networks,
    reversed_ip,
    wallet_label,
)
from extortion_milter.engine.types import CryptoAddress


def test_ipv4_and_ipv6_query_names() -> None:
    assert reversed_ip(ipaddress.ip_address("45.33.32.156")) == "156.32.33.45"
    assert reversed_ip(ipaddress.ip_address("2001:db8:1:2::3")) == (
        "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("45.33.32.156", "45.33.32.156"),
    ("IPv6:2a01:4f8::1", "2a01:4f8::1"),
    ("[2a01:4f8::1]", "2a01:4f8::1"),
    ("::ffff:45.33.32.156", "45.33.32.156"),
    ("fe80::1%eth0", "fe80::1"),
    ("unknown", None),
    ("", None),
    (None, None),
])
def test_client_ip_forms(text: str | None, expected: str | None) -> None:
    address = parse_client_ip(text)
    assert (str(address) if address else None) == expected


@pytest.mark.parametrize("ip", ["10.1.2.3", "192.168.1.1", "172.16.0.1", "127.0.0.2", "::1",
                                "fe80::1", "100.64.0.1", "192.0.2.1", "2001:db8::1", "fd00::1",
                                "0.0.0.0", "169.254.1.1"])
def test_private_loopback_and_reserved_addresses_are_never_queried(ip: str) -> None:
    address = parse_client_ip(ip)
    assert address is not None and not is_public(address)


def test_trusted_networks_are_never_queried() -> None:
    trusted = parse_networks(("45.33.32.0/24", "2a01:4f8::/32"))
    assert not is_public(ipaddress.ip_address("45.33.32.156"), trusted)
    assert not is_public(ipaddress.ip_address("2a01:4f8::2"), trusted)
    assert is_public(ipaddress.ip_address("45.33.33.1"), trusted)
    assert is_public(ipaddress.ip_address("2a02::1"), trusted)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def test_wallet_labels_raw_and_sha1() -> None:
    base58 = CryptoAddress("btc", "15GWKdT8e1o6GcDTZMQZRiZng2Q6dLX8Aw", True)
    # Abusix's documented example: SHA-1 of the address as written.
    assert wallet_label(base58, "sha1") == "e108c5b4bde457dcc35f009d05a21fa383eda04c"
    assert wallet_label(base58, "raw") == "15GWKdT8e1o6GcDTZMQZRiZng2Q6dLX8Aw"
    eth = CryptoAddress("eth", "0x52908400098527886E0F7030069857D2E4169EE7", True)
    assert wallet_label(eth, "sha1") == sha1("0x52908400098527886e0f7030069857d2e4169ee7")
    assert wallet_label(eth, "raw") == "0x52908400098527886e0f7030069857d2e4169ee7"
    bch = CryptoAddress("bch", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", True)
    assert wallet_label(bch, "raw") == "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
    assert wallet_label(bch, "sha1") == sha1(bch.address)
    xmr = CryptoAddress("xmr", "4" + "A" * 94, True)
    assert wallet_label(xmr, "raw") is None  # 95 characters do not fit a DNS label
    assert wallet_label(xmr, "sha1") == sha1(xmr.address)


@pytest.mark.parametrize(("address", "domain"), [
    ("user@Example.ORG", "example.org"),
    ("<user@example.org.>", "example.org"),
    ("user@bücher.example", "xn--bcher-kva.example"),
    ("", None),
    ("user", None),
    ("user@localhost", None),
    ("user@[192.0.2.1]", None),
    ("user@bad_domain!.example", None),
    ("user@-bad.example", None),
])
def test_mail_domains(address: str, domain: str | None) -> None:
    assert mail_domain(address) == domain
