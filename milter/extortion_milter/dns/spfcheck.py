"""SPF for self-sent messages: pyspf's RFC 7208 evaluation over our resolver, or the
result the admin's own MTA already wrote into Authentication-Results.

pyspf does its DNS through one method, `query.dns(name, qtype, ...)`, which calls a
module-level dnspython lookup against the system resolver with its own timeouts. We
subclass `spf.query` and override that one method to go through `CachingResolver`: our
nameservers, our cache, and the message's deadline. Nothing global is patched, so
concurrent checks with different resolvers are independent. Everything else (record
selection, mechanisms, macros, include/redirect, the 10-lookup and void-lookup limits) is
pyspf's own code.
"""

from __future__ import annotations

import re
from typing import Any

import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import spf

from .resolver import Resolver, Status

# Results that say something about the client; temperror says nothing and scores nothing.
DEFINITIVE = frozenset({"pass", "fail", "softfail", "neutral", "none", "permerror"})


class _Query(spf.query):  # type: ignore[misc]  # pyspf is untyped
    """An SPF evaluation whose every DNS lookup goes through `resolver` by `deadline`."""

    def __init__(self, resolver: Resolver, deadline: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._resolver = resolver
        self._deadline = deadline

    def dns(self, name: Any, qtype: str, cnames: Any = None,
            ignore_void: bool = False) -> list[Any]:
        """pyspf's contract: a list of values (A/AAAA: address text; MX: (preference,
        exchange); PTR: name; TXT: tuple of byte strings), [] for no data, TempError for
        a lookup that failed, PermError past the void-lookup limit. CNAMEs are followed by
        the resolver."""
        if not name:
            return []
        name = str(name).rstrip(".").lower()
        if not all(0 < len(label) < 64 for label in name.split(".")):
            return []  # not a valid DNS name: no data, as pyspf does
        if qtype not in ("A", "AAAA", "MX", "PTR", "TXT"):
            return []  # type 99 (SPF) is obsolete (RFC 7208 3.1)
        answer = self._resolver.lookup(name, qtype, self._deadline)
        if not answer.status.definitive:
            raise spf.TempError(f"DNS {answer.status.value} for {name} {qtype}")
        result: list[Any] = []
        for record in answer.records:
            if isinstance(record, (dns.rdtypes.IN.A.A, dns.rdtypes.IN.AAAA.AAAA)):
                result.append(record.address)
            elif isinstance(record, dns.rdtypes.ANY.MX.MX):
                result.append((record.preference, record.exchange.to_text(omit_final_dot=True)))
            elif isinstance(record, dns.rdtypes.ANY.PTR.PTR):
                result.append(record.target.to_text(omit_final_dot=True))
            elif isinstance(record, dns.rdtypes.ANY.TXT.TXT):
                result.append(tuple(record.strings))
        if answer.status is not Status.OK or not result:
            result = []
            if not ignore_void:
                self.void_lookups += 1
                if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                    raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result


def check_spf(resolver: Resolver, client_ip: str, sender: str, helo: str,
              deadline: float) -> tuple[str, str]:
    """(result, explanation) of SPF check_host for `sender`'s domain and `client_ip`.
    The result is one of pass, fail, softfail, neutral, none, permerror, temperror."""
    query = _Query(resolver, deadline, i=client_ip, s=sender, h=helo or "unknown",
                   querytime=0)
    result, _code, explanation = query.check()
    return str(result), str(explanation)


# --- Authentication-Results (RFC 8601) -------------------------------------------------

_COMMENT = re.compile(r"\([^()]*\)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _strip_comments(value: str) -> str:
    previous = None
    while previous != value:  # nested comments, innermost first
        previous, value = value, _COMMENT.sub(" ", value)
    return value


def _parse_resinfo(text: str) -> tuple[str, str, dict[str, str]] | None:
    """`spf=pass smtp.mailfrom=a@b.example` -> ("spf", "pass", {"smtp.mailfrom": ...})."""
    text = _QUOTED.sub(lambda m: m.group(1).replace(" ", ""), text)
    tokens = text.split()
    if not tokens or "=" not in tokens[0]:
        return None
    method, _, result = tokens[0].partition("=")
    props: dict[str, str] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if sep and "." in key:
            props[key.lower()] = value
    return method.partition("/")[0].strip().lower(), result.strip().lower(), props


def spf_from_authentication_results(headers: list[str], authserv_id: str,
                                    domain: str) -> str | None:
    """The SPF result our own MTA recorded for `domain`, from the Authentication-Results
    headers whose authserv-id is `authserv_id`. None when there is none, when it is about
    another domain, or when two of ours disagree (a forged header slipped through)."""
    wanted = authserv_id.strip().lower()
    results: set[str] = set()
    for header in headers:
        segments = _strip_comments(header).split(";")
        head = segments[0].split()
        if not head or head[0].lower() != wanted:
            continue
        for segment in segments[1:]:
            parsed = _parse_resinfo(segment)
            if parsed is None or parsed[0] != "spf":
                continue
            _method, result, props = parsed
            identity = props.get("smtp.mailfrom") or props.get("smtp.helo") or ""
            if identity.rpartition("@")[2].rstrip(".").lower() == domain and result in DEFINITIVE:
                results.add(result)
    return results.pop() if len(results) == 1 else None

