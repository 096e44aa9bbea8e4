"""Mail that is never scanned: authenticated users, trusted networks, allow lists."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..config.schema import AllowConfig
from ..engine.types import Envelope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def bare_address(address: str) -> str:
    """`<User@Example.org>` -> `user@example.org` (empty for the null sender `<>`)."""
    return address.strip().strip("<>").strip().lower()


def _split(entries: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    addresses = {bare_address(e) for e in entries if not e.strip().startswith("@")}
    domains = {e.strip().lstrip("@").lower() for e in entries if e.strip().startswith("@")}
    return frozenset(addresses - {""}), frozenset(domains - {""})


def _matches(address: str, addresses: frozenset[str], domains: frozenset[str]) -> bool:
    address = bare_address(address)
    if not address:
        return False
    if address in addresses:
        return True
    _, _, domain = address.rpartition("@")
    return bool(domain) and domain in domains


@dataclass(frozen=True)
class AllowPolicy:
    skip_authenticated: bool
    networks: tuple[IPNetwork, ...]
    senders: frozenset[str]
    sender_domains: frozenset[str]
    recipients: frozenset[str]
    recipient_domains: frozenset[str]

    @classmethod
    def from_config(cls, allow: AllowConfig) -> AllowPolicy:
        senders, sender_domains = _split(allow.senders)
        recipients, recipient_domains = _split(allow.recipients)
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow.trusted_networks)
        return cls(allow.skip_authenticated, networks, senders, sender_domains,
                   recipients, recipient_domains)

    def trusted_ip(self, ip: str | None) -> bool:
        if not ip or not self.networks:
            return False
        try:
            addr = ipaddress.ip_address(ip.removeprefix("IPv6:"))
        except ValueError:
            return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self.networks)

    def skip_reason(self, envelope: Envelope) -> str | None:
        """Why this message is not scanned, or None to scan it.

        Recipients are allow-listed only when every recipient is: one allowed address
        among several must not let a message through to the others unscanned.
        """
        if self.skip_authenticated and envelope.authenticated:
            return "authenticated"
        if self.trusted_ip(envelope.client_ip):
            return "trusted-network"
        if envelope.mail_from and _matches(envelope.mail_from, self.senders, self.sender_domains):
            return "allowed-sender"
        if envelope.rcpts and all(
            _matches(r, self.recipients, self.recipient_domains) for r in envelope.rcpts
        ):
            return "allowed-recipients"
        return None
