"""DNS query names for the checks: reversed client IPs, wallet labels, sender domains.

Pure functions; everything that decides *whether* a name is queried lives here too, so it
can be tested without a resolver.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from ..engine.types import CryptoAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_LABEL = 63
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?", re.IGNORECASE)
_RAW_LABEL = re.compile(r"[A-Za-z0-9]{1,63}")


def parse_client_ip(text: str | None) -> IPAddress | None:
    """The client address as the MTA gave it (`1.2.3.4`, `IPv6:2001:db8::1`, `[::1]`);
    IPv4-mapped IPv6 becomes IPv4. None when there is none or it does not parse."""
    if not text:
        return None
    text = text.strip().strip("[]")
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def is_public(address: IPAddress, trusted: tuple[IPNetwork, ...] = ()) -> bool:
    """True when `address` may be looked up in a public list: globally routable (not
    private, loopback, link-local, shared, documentation or reserved) and not trusted."""
    if not address.is_global:
        return False
    return not any(address.version == net.version and address in net for net in trusted)


def reversed_ip(address: IPAddress) -> str:
    """`1.2.3.4` -> `4.3.2.1`; IPv6 -> its 32 nibbles, least significant first."""
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(reversed(str(address).split(".")))
    return ".".join(reversed(address.exploded.replace(":", "")))


def canonical_address(address: CryptoAddress) -> str:
    """The form hashed and queried: case kept where it is part of the address (Base58,
    Monero), lower case where the encoding ignores case (Bech32, CashAddr, Ethereum hex)."""
    text = address.address
    if address.currency == "eth" or ":" in text or text.lower().startswith(("bc1", "ltc1")):
        return text.lower()
    return text


def wallet_label(address: CryptoAddress, label: str) -> str | None:
    """The label looked up under a wallet zone, or None when the address has no raw
    form that fits one DNS label (Monero's 95 characters, say)."""
    canonical = canonical_address(address)
    if label == "sha1":
        return hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()
    raw = canonical.rpartition(":")[2]  # CashAddr: the payload without "bitcoincash:"
    return raw if _RAW_LABEL.fullmatch(raw) else None


def mail_domain(address: str | None) -> str | None:
    """The domain of an envelope or header address, if it is a name worth looking up:
    not empty, not an address literal, at least two labels, each a host-name label."""
    if not address or "@" not in address:
        return None
    domain = address.strip().strip("<>").rpartition("@")[2].strip().rstrip(".").lower()
    if not domain or domain.startswith("[") or "." not in domain or len(domain) > 253:
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not all(_HOST_LABEL.fullmatch(label) for label in ascii_domain.split(".")):
        return None
    return ascii_domain
