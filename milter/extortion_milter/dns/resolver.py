"""One DNS lookup at a time, against a deadline, through a shared cache.

A stub resolver over dnspython (messages, UDP/TCP exchange, CNAME chains, negative TTLs)
that asks recursive resolvers; on top of it a TTL-respecting bounded cache that also
keeps NXDOMAIN and no-data answers (RFC 2308: the SOA minimum), coalescing of identical
lookups in flight (a burst from one client costs one packet), and counters. A lookup
never raises and never runs past its deadline: failures come back as an `Answer` whose
status says what went wrong.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Protocol

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdata
import dns.resolver

from .cache import TTLCache

log = logging.getLogger("extortion_milter.dns")

MAX_TTL = 86400.0  # cap on how long any answer is kept
MAX_NEGATIVE_TTL = 3600.0  # cap for NXDOMAIN / no data (RFC 2308 suggests 1-3 hours)
MIN_TRY_TIMEOUT = 0.05  # seconds one UDP try waits before the next one, at least


class Status(enum.Enum):
    OK = "ok"  # records of the type asked for
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, no records of this type
    TIMEOUT = "timeout"  # no answer before the deadline
    SERVFAIL = "servfail"  # every server failed or refused (SERVFAIL, REFUSED, unreachable)
    ERROR = "error"  # anything else (bad name, malformed answer)
    SKIPPED = "skipped"  # not sent: the deadline had passed before it could start

    @property
    def definitive(self) -> bool:
        """The DNS said something (a fact); the other statuses say nothing and score nothing."""
        return self in (Status.OK, Status.NXDOMAIN, Status.NODATA)


@dataclass(frozen=True)
class Answer:
    status: Status
    records: tuple[dns.rdata.Rdata, ...] = ()
    detail: str = ""

    def texts(self) -> list[str]:
        return [record.to_text() for record in self.records]


class Counters:
    """Thread-safe event counts, for `DnsChecker.stats()` and the tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + amount

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


def system_nameservers() -> list[str]:
    """The resolvers of /etc/resolv.conf, read by dnspython; 127.0.0.1 when there are none
    (logged)."""
    try:
        servers = [str(ns) for ns in dns.resolver.Resolver(configure=True).nameservers]
    except dns.resolver.NoResolverConfiguration:
        servers = []
    if not servers:
        log.warning("no system resolver configured; using 127.0.0.1")
        servers = ["127.0.0.1"]
    return servers


class Resolver(Protocol):
    """What a check needs of a resolver."""

    def lookup(self, name: str, rdtype: str, deadline: float) -> Answer: ...


def _key(name: str, rdtype: str) -> tuple[str, str]:
    return name.rstrip(".").lower() + ".", rdtype.upper()


class CacheMiss(Exception):
    """A lookup that `CachedAnswers` cannot answer without the network."""


class CachedAnswers:
    """A resolver's cache seen as a resolver that never sends a query: a lookup is
    answered from the cache or raises CacheMiss. Lets a check whose answers are all
    cached run in place; its lookups are counted (`count`) only once it completes."""

    def __init__(self, resolver: CachingResolver) -> None:
        self._resolver = resolver
        self._hits = 0

    def lookup(self, name: str, rdtype: str, deadline: float) -> Answer:
        answer = self._resolver.cache.get(_key(name, rdtype))
        if answer is None:
            raise CacheMiss(name)
        self._hits += 1
        return answer

    def count(self) -> None:
        counters = self._resolver.counters
        counters.add("lookups", self._hits)
        counters.add("cache_hits", self._hits)


class CachingResolver:
    """Asks recursive resolvers (ours or the system's), never past a deadline.

    dnspython's `Resolver.resolve(lifetime=...)` can sleep a back-off after its lifetime
    is spent, so the exchange loop is ours: dnspython builds, sends (UDP, TCP when the
    answer is truncated) and parses; we retransmit after `try_timeout` to the next server,
    drop servers that fail (SERVFAIL, REFUSED, unreachable) and stop at the deadline.

    When `pause_after` lookups in a row get no packet back from any server, lookups are
    skipped for `pause_seconds` (then tried again): a dead resolver costs a few messages
    their budget, not every message.
    """

    def __init__(self, nameservers: Iterable[str] = (), port: int = 53, cache_size: int = 10000,
                 try_timeout: float = 0.2, counters: Counters | None = None,
                 pause_after: int = 5, pause_seconds: float = 5.0) -> None:
        self.nameservers = list(nameservers) or system_nameservers()
        self.port = port
        self.try_timeout = max(MIN_TRY_TIMEOUT, try_timeout)
        self.cache: TTLCache[tuple[str, str], Answer] = TTLCache(cache_size)
        self.counters = counters or Counters()
        self.pause_after = pause_after
        self.pause_seconds = pause_seconds
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], Future[Answer]] = {}
        self._silent = 0  # lookups in a row that heard nothing from any server
        self._paused_until = 0.0

    def lookup(self, name: str, rdtype: str, deadline: float) -> Answer:
        """Records of `rdtype` for `name` (absolute; a trailing dot is optional), waiting
        at most until `deadline` (time.monotonic()). Never raises."""
        try:
            return self._lookup(*_key(name, rdtype), deadline)
        except Exception as exc:  # a bug or a dnspython surprise must not stop the mail
            return self._failed(name, rdtype, Status.ERROR, repr(exc))

    def _lookup(self, name: str, rdtype: str, deadline: float) -> Answer:
        key = (name, rdtype)
        self.counters.add("lookups")
        owner = False
        with self._lock:
            cached = self.cache.get(key)
            if cached is not None:
                self.counters.add("cache_hits")
                return cached
            future = self._inflight.get(key)
            if future is None:
                future = Future()
                self._inflight[key] = future
                owner = True
        if not owner:
            self.counters.add("coalesced")
            try:
                return future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                return self._failed(name, rdtype, Status.TIMEOUT, "waiting for the same lookup")
        answer = Answer(Status.ERROR, detail="not run")
        try:
            answer = self._resolve(name, rdtype, deadline)
        finally:
            with self._lock:
                del self._inflight[key]
            future.set_result(answer)
        return answer

    def _resolve(self, name: str, rdtype: str, deadline: float) -> Answer:
        now = time.monotonic()
        if deadline - now <= 0:
            return self._failed(name, rdtype, Status.SKIPPED, "budget spent before sending")
        if now < self._paused_until:
            return self._failed(name, rdtype, Status.SKIPPED, "resolvers not answering")
        response = self._exchange(dns.message.make_query(name, rdtype, use_edns=0,
                                                         payload=1232), deadline)
        if isinstance(response, Answer):
            return self._failed(name, rdtype, response.status, response.detail)
        try:
            chain = response.resolve_chaining()
        except dns.exception.DNSException as exc:
            return self._failed(name, rdtype, Status.ERROR, f"bad answer: {exc}")
        ttl = float(chain.minimum_ttl)
        if response.rcode() == dns.rcode.NXDOMAIN:
            self.counters.add("nxdomain")
            answer = Answer(Status.NXDOMAIN)
            self.cache.put((name, rdtype), answer, min(ttl, MAX_NEGATIVE_TTL))
        elif chain.answer is None:
            self.counters.add("nodata")
            answer = Answer(Status.NODATA)
            self.cache.put((name, rdtype), answer, min(ttl, MAX_NEGATIVE_TTL))
        else:
            answer = Answer(Status.OK, tuple(chain.answer))
            self.cache.put((name, rdtype), answer, min(ttl, MAX_TTL))
        return answer

    def _exchange(self, request: dns.message.QueryMessage,
                  deadline: float) -> dns.message.QueryMessage | Answer:
        """The first NOERROR or NXDOMAIN response from any server, by the deadline."""
        servers = list(self.nameservers)
        failures: list[str] = []
        while servers:
            for server in list(servers):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if not failures:
                        self._heard(False)
                    return Answer(Status.TIMEOUT, detail="; ".join(failures) or "no answer")
                try:
                    self.counters.add("queries")
                    response = dns.query.udp(request, server, timeout=min(remaining,
                                             self.try_timeout), port=self.port,
                                             ignore_unexpected=True)
                    if response.flags & dns.flags.TC:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            continue
                        response = dns.query.tcp(request, server, timeout=remaining,
                                                 port=self.port)
                except dns.exception.Timeout:
                    continue  # retransmit, to the next server if there is one
                except (OSError, dns.exception.DNSException) as exc:
                    failures.append(f"{server}: {exc}")
                    servers.remove(server)
                    continue
                self._heard(True)
                rcode = response.rcode()
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    if isinstance(response, dns.message.QueryMessage):
                        return response
                    failures.append(f"{server}: not a query response")
                else:
                    failures.append(f"{server}: {dns.rcode.to_text(rcode)}")
                servers.remove(server)
        return Answer(Status.SERVFAIL, detail="; ".join(failures))

    def _heard(self, anything: bool) -> None:
        """Track servers that went silent; pause lookups when they all seem dead."""
        with self._lock:
            if anything:
                self._silent = 0
                return
            self._silent += 1
            if self._silent < self.pause_after or self.pause_after <= 0:
                return
            self._paused_until = time.monotonic() + self.pause_seconds
            first = self._silent == self.pause_after  # not yet warned since the last answer
        self.counters.add("paused")
        log.log(logging.WARNING if first else logging.DEBUG,
                "dns: %d lookups in a row got no answer from %s; skipping DNS checks for %gs",
                self._silent, ", ".join(self.nameservers), self.pause_seconds)

    def _failed(self, name: str, rdtype: str, status: Status, detail: str) -> Answer:
        self.counters.add(status.value)
        log.debug("dns %s %s: %s (%s)", name, rdtype, status.value, detail)
        return Answer(status, detail=detail)
