"""DNS checks: client-IP and crypto-address blocklists, SPF for self-sent mail, and the
sender domain. The engine stays pure: this layer does the lookups and hands the results
to `Engine.decide` as `external` facts (docs/dns.md)."""

from .checker import (
    DnsChecker,
    DnsConnection,
    DnsMessage,
    envelope_sender_for_check,
    lookup_once,
)
from .resolver import Answer, CachingResolver, Counters, Status

__all__ = [
    "Answer",
    "CachingResolver",
    "Counters",
    "DnsChecker",
    "DnsConnection",
    "DnsMessage",
    "Status",
    "envelope_sender_for_check",
    "lookup_once",
]
