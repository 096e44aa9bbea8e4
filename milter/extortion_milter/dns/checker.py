"""The DNS checks, started as soon as their input is known and collected against a budget.

    checker = DnsChecker.from_config(config, engine.ruleset)  # one per loaded config
    conn = checker.connection(client_ip)              # at connect: client-IP blocklists
    conn.set_helo(helo)                               # at HELO (SPF's %{h})
    msg = conn.message(mail_from, authenticated)      # at MAIL FROM: sender domain
    msg.content(facts)                                # after Engine.prepare: wallets, SPF
    external = msg.collect()                          # waits at most the budget
    verdict = engine.decide(facts, envelope, external)

Lookups run concurrently on a shared thread pool; a check whose every answer is already
in the cache runs in place instead, since handing it to a thread would cost more CPU
than the check itself. Nothing here raises into the caller or
waits past the deadline: a timeout, SERVFAIL or unreachable server just leaves its fact
out (so it scores nothing), is counted in `stats()`, and is logged at debug level.
The facts are the `external` keys the DNS builtins read (engine/builtins.py, docs/dns.md).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import dns.rdtypes.ANY.MX
import dns.rdtypes.IN.A

from ..config.schema import Config, DnsblZone, DnsConfig, WalletZone
from ..engine.builtins import BUILTINS
from ..engine.facts import ScanFacts
from ..engine.rules import RuleSet
from .names import (
    IPAddress,
    canonical_address,
    is_public,
    mail_domain,
    parse_client_ip,
    parse_networks,
    reversed_ip,
    wallet_label,
)
from .resolver import Answer, CachedAnswers, CacheMiss, CachingResolver, Resolver, Status
from .spfcheck import DEFINITIVE, check_spf, spf_from_authentication_results

log = logging.getLogger("extortion_milter.dns")

_LOOPBACK_NET = ipaddress.ip_network("127.0.0.0/8")
# Answers that are not listings: 127.0.0.1 (URIBL-style "refused") and 127.255.255.0/24
# (Spamhaus: query through a public resolver, over the free limit, or a bad key).
_REFUSAL_NET = ipaddress.ip_network("127.255.255.0/24")
REFUSAL_WARNING_INTERVAL = 600.0


@dataclass(frozen=True)
class TaskResult:
    facts: dict[str, str] = field(default_factory=dict)
    definitive: bool = True  # False: a lookup failed, so the absence of a fact means nothing


_UNDECIDED = TaskResult({}, definitive=False)


def _finished(result: TaskResult) -> Future[TaskResult]:
    future: Future[TaskResult] = Future()
    future.set_result(result)
    return future


class DnsChecker:
    """Everything shared by all connections: resolver, cache, thread pool, counters."""

    def __init__(self, config: DnsConfig, trusted_networks: tuple[str, ...] = (),
                 resolver: CachingResolver | None = None) -> None:
        self.config = config
        self.enabled = config.enabled
        self.budget = config.budget_ms / 1000.0
        # A retransmit after 2/5 of the budget leaves room for one more try.
        self.resolver = resolver or CachingResolver(
            config.nameservers, config.port, config.cache_size, try_timeout=self.budget / 2.5)
        self.counters = self.resolver.counters
        self._trusted = parse_networks(trusted_networks)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._closed = False
        self._refusal_warned: dict[str, float] = {}

    @classmethod
    def from_config(cls, config: Config, rules: RuleSet | None = None) -> DnsChecker:
        """With `rules` (engine.ruleset), checks that no rule reads are not run: disabling
        DNS_SENDER_DOMAIN_BAD, say, also stops its MX lookups."""
        dns_config = config.dns
        if rules is not None:
            used = {atom.builtin for atom in rules.builtin_atoms}
            dns_config = dataclasses.replace(
                dns_config,
                client_blocklists=dns_config.client_blocklists if "dnsbl" in used else (),
                wallet_blocklists=(dns_config.wallet_blocklists
                                   if "wallet_listed" in used else ()),
                spf=dataclasses.replace(dns_config.spf, enabled=dns_config.spf.enabled
                                        and "spf_self_sent_fail" in used),
                sender_domain=(dns_config.sender_domain
                               and "sender_domain_unresolvable" in used),
            )
        return cls(dns_config, config.allow.trusted_networks)

    # --- the API ------------------------------------------------------------------------

    def connection(self, client_ip: str | None, helo: str | None = None) -> DnsConnection:
        """At connect: starts the client-IP blocklist lookups."""
        return DnsConnection(self, client_ip, helo)

    def deadline(self) -> float:
        """The end of a budget that starts now, in time.monotonic() seconds."""
        return time.monotonic() + self.budget

    def stats(self) -> dict[str, int]:
        """Counts since start: lookups, cache_hits, queries (packets sent, retransmits too),
        coalesced, nxdomain, nodata, timeout, servfail, error, skipped, late, refused,
        paused, client_listed, wallet_listed, spf_<result>, sender_<problem>, cache_entries."""
        counts = self.counters.snapshot()
        counts["cache_entries"] = len(self.resolver.cache)
        return counts

    def probe_zones(self, timeout: float = 2.0) -> list[str]:
        """Problems with the client blocklists, for a warning at startup: each must list
        its RFC 5782 test point 127.0.0.2. A list that refuses our resolver often answers
        NXDOMAIN for everything, which would otherwise pass silently."""
        problems: list[str] = []
        if not self.enabled:
            return problems
        deadline = time.monotonic() + timeout
        for zone in self.config.client_blocklists:
            name = _zone_name(zone.zone)
            answer = self.resolver.lookup(f"2.0.0.127.{name}", "A", deadline)
            codes = [r.to_text() for r in answer.records]
            if answer.status is Status.OK and self._listing(name, answer).facts.get("codes"):
                continue
            if answer.status is Status.OK:
                problems.append(f"{name}: test point 127.0.0.2 answered {','.join(codes)}: "
                                "the list refuses this resolver")
            elif answer.status.definitive:
                problems.append(f"{name}: test point 127.0.0.2 is not listed "
                                f"({answer.status.value}): the list may refuse this resolver")
            else:
                problems.append(f"{name}: no answer for the test point "
                                f"({answer.status.value}: {answer.detail})")
        return problems

    def close(self) -> None:
        """Stop the worker threads (a reload builds a new checker). Lookups asked for
        afterwards are skipped, not raised."""
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # --- internals ----------------------------------------------------------------------

    def _submit(self, what: str, task: Callable[..., TaskResult], *args: object,
                in_place: bool = True) -> Future[TaskResult] | None:
        """`task(resolver, *args)`: in place when `in_place` and the cache answers all it
        asks, else on the pool."""
        cached = self._from_cache(task, args) if in_place else None
        if cached is not None:
            return _finished(cached)

        def run() -> TaskResult:
            try:
                return task(self.resolver, *args)
            except Exception:
                self.counters.add("error")
                log.warning("dns check %s failed", what, exc_info=True)
                return _UNDECIDED

        with self._pool_lock:
            if self._closed:
                return None
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.config.max_concurrent,
                                                thread_name_prefix="em-dns")
            try:
                return self._pool.submit(run)
            except RuntimeError:  # interpreter shutting down
                return None

    def _from_cache(self, task: Callable[..., TaskResult],
                    args: tuple[object, ...]) -> TaskResult | None:
        """The task's result when every lookup it makes is answered by the cache; None
        (and no side effect: tasks act only once all their answers are in) otherwise."""
        view = CachedAnswers(self.resolver)
        try:
            result = task(view, *args)
        except CacheMiss:
            return None
        except Exception:
            return None  # the pool run reports it
        view.count()
        return result

    def _listing(self, zone: str, answer: Answer) -> TaskResult:
        """A blocklist answer as a fact: the 127.0.0.0/8 codes that mean "listed"."""
        if answer.status is not Status.OK:
            return TaskResult() if answer.status.definitive else _UNDECIDED
        listed: list[str] = []
        refused: list[str] = []
        for record in answer.records:
            if not isinstance(record, dns.rdtypes.IN.A.A):
                continue
            code = ipaddress.IPv4Address(record.address)
            is_listing = (code in _LOOPBACK_NET and code not in _REFUSAL_NET
                          and code != ipaddress.IPv4Address("127.0.0.1"))
            (listed if is_listing else refused).append(str(code))
        if refused and not listed:
            self._note_refusal(zone, refused)  # the list's answer: asking again won't help
            return TaskResult()
        return TaskResult({"codes": ",".join(sorted(set(listed), key=_ip_order))})

    def _note_refusal(self, zone: str, codes: list[str]) -> None:
        self.counters.add("refused")
        now = time.monotonic()
        last = self._refusal_warned.get(zone)
        if last is None or now - last > REFUSAL_WARNING_INTERVAL:
            self._refusal_warned[zone] = now
            log.warning("blocklist %s refused our query (answer %s): it does not serve this "
                        "resolver; see docs/dns.md on using your own caching resolver",
                        zone, ",".join(codes))

    def _client_task(self, resolver: Resolver, zone: DnsblZone, address: IPAddress,
                     deadline: float) -> TaskResult:
        zone_name = _zone_name(zone.zone)
        answer = resolver.lookup(f"{reversed_ip(address)}.{zone_name}", "A", deadline)
        result = self._listing(zone_name, answer)
        codes = result.facts.get("codes")
        if not codes:
            return result
        self.counters.add("client_listed")
        return TaskResult({f"dnsbl:{zone_name}": codes})

    def _wallet_task(self, resolver: Resolver, zone: WalletZone, label: str, address: str,
                     deadline: float) -> TaskResult:
        zone_name = _zone_name(zone.zone)
        answer = resolver.lookup(f"{label}.{zone_name}", "A", deadline)
        result = self._listing(zone_name, answer)
        codes = result.facts.get("codes")
        if not codes:
            return result
        self.counters.add("wallet_listed")
        return TaskResult({f"walletbl:{zone_name}:{address}": codes})

    def _sender_task(self, resolver: Resolver, domain: str, deadline: float) -> TaskResult:
        """nxdomain, null_mx (RFC 7505) or no_mail_host (no MX and no A/AAAA, RFC 5321
        5.1); nothing for a domain that can receive mail."""
        mx = resolver.lookup(domain, "MX", deadline)
        problem: str | None = None
        if mx.status is Status.NXDOMAIN:
            problem = "nxdomain"
        elif mx.status is Status.OK:
            exchanges = [r for r in mx.records if isinstance(r, dns.rdtypes.ANY.MX.MX)]
            if len(exchanges) == 1 and exchanges[0].exchange.to_text() == ".":
                problem = "null_mx"
        elif mx.status is Status.NODATA:
            hosts = [resolver.lookup(domain, rdtype, deadline) for rdtype in ("A", "AAAA")]
            if not all(h.status.definitive for h in hosts):
                return _UNDECIDED
            if any(h.status is Status.NXDOMAIN for h in hosts):
                problem = "nxdomain"  # deleted between the two answers
            elif not any(h.status is Status.OK for h in hosts):
                problem = "no_mail_host"
        else:
            return _UNDECIDED
        if problem is None:
            return TaskResult()
        self.counters.add(f"sender_{problem}")
        return TaskResult({f"sender_domain:{domain}": problem})

    def _spf_task(self, resolver: Resolver, domain: str, sender: str, client_ip: str,
                  helo: str, deadline: float) -> TaskResult:
        result, explanation = check_spf(resolver, client_ip, sender, helo, deadline)
        self.counters.add(f"spf_{result}")
        if result not in DEFINITIVE:
            log.debug("spf %s for %s from %s: %s", result, domain, client_ip, explanation)
            return _UNDECIDED
        return TaskResult({f"spf:{domain}": result})


class DnsConnection:
    """One SMTP connection: the client-IP lookups serve every message it carries."""

    def __init__(self, checker: DnsChecker, client_ip: str | None, helo: str | None) -> None:
        self.checker = checker
        self.client_ip = client_ip
        self.helo = helo or ""
        self._address = parse_client_ip(client_ip)
        self._client: list[tuple[DnsblZone, Future[TaskResult] | None]] = []
        self._messages = 0
        try:
            if checker.enabled and self._address is not None and is_public(
                    self._address, checker._trusted):
                deadline = checker.deadline()
                for zone in checker.config.client_blocklists:
                    if zone.ipv6 or self._address.version == 4:
                        self._client.append((zone, self._start_client(zone, deadline)))
        except Exception:
            log.warning("dns: could not start client lookups", exc_info=True)

    def set_helo(self, helo: str | None) -> None:
        """At HELO/EHLO: the name SPF macros may use (%{h})."""
        self.helo = helo or ""

    @property
    def public_client(self) -> bool:
        return self._address is not None and is_public(self._address, self.checker._trusted)

    def _start_client(self, zone: DnsblZone, deadline: float) -> Future[TaskResult] | None:
        assert self._address is not None
        return self.checker._submit(f"dnsbl {zone.zone}", self.checker._client_task, zone,
                                    self._address, deadline)

    def message(self, mail_from: str | None, authenticated: bool = False) -> DnsMessage:
        """At MAIL FROM: starts the sender-domain lookup. A client lookup that failed for
        an earlier message of this connection is tried again."""
        try:
            self._messages += 1
            deadline = self.checker.deadline()
            for index, (zone, future) in enumerate(self._client):
                if (self._messages > 1 and future is not None and future.done()
                        and not _result(future).definitive):
                    self._client[index] = (zone, self._start_client(zone, deadline))
        except Exception:
            log.warning("dns: could not restart client lookups", exc_info=True)
        return DnsMessage(self, mail_from, authenticated)


class DnsMessage:
    """One message: its lookups and the facts they found."""

    def __init__(self, connection: DnsConnection, mail_from: str | None,
                 authenticated: bool) -> None:
        self.connection = connection
        self.checker = connection.checker
        self.mail_from = mail_from or ""
        self.authenticated = authenticated
        self._deadline: float | None = None
        self._facts: dict[str, str] = {}  # found without DNS (Authentication-Results)
        self._tasks: list[tuple[str, Future[TaskResult]]] = [
            (f"dnsbl {zone.zone}", future) for zone, future in connection._client
            if future is not None
        ]
        checker = self.checker
        try:
            domain = mail_domain(self.mail_from)
            if checker.enabled and checker.config.sender_domain and domain:
                self._add(f"sender {domain}", checker._sender_task, domain, checker.deadline())
        except Exception:
            log.warning("dns: could not start the sender-domain lookup", exc_info=True)

    def _add(self, what: str, task: Callable[..., TaskResult], *args: object,
             in_place: bool = True) -> None:
        future = self.checker._submit(what, task, *args, in_place=in_place)
        if future is None:
            self.checker.counters.add("skipped")
        else:
            self._tasks.append((what, future))

    def content(self, facts: ScanFacts, deadline: float | None = None) -> None:
        """After `Engine.prepare`: starts the wallet and SPF lookups. The budget for the
        end of the message starts here unless `deadline` (time.monotonic()) is given."""
        checker = self.checker
        self._deadline = deadline if deadline is not None else checker.deadline()
        if not checker.enabled:
            return
        try:
            self._start_wallets(facts, self._deadline)
            self._start_spf(facts, self._deadline)
        except Exception:
            log.warning("dns: could not start the message lookups", exc_info=True)

    def _start_wallets(self, facts: ScanFacts, deadline: float) -> None:
        checker = self.checker
        for zone in checker.config.wallet_blocklists:
            seen: set[str] = set()
            for located in facts.addresses:
                address = located.address
                if not address.valid or (zone.currencies and
                                         address.currency not in zone.currencies):
                    continue
                canonical = canonical_address(address)
                if canonical in seen:
                    continue
                if len(seen) >= checker.config.max_wallet_lookups:
                    checker.counters.add("wallets_over_cap")
                    break
                seen.add(canonical)
                label = wallet_label(address, zone.label)
                if label is None:
                    checker.counters.add("wallet_unqueryable")
                    continue
                self._add(f"wallet {zone.zone}", checker._wallet_task, zone, label,
                          address.address, deadline)

    def _start_spf(self, facts: ScanFacts, deadline: float) -> None:
        checker = self.checker
        spf = checker.config.spf
        if not spf.enabled or self.authenticated:
            return
        sender = BUILTINS["from_equals_to"].run(facts, {})
        domain = mail_domain(sender)
        if sender is None or domain is None:
            return
        if spf.source == "authentication-results":
            result = spf_from_authentication_results(
                facts.message.header_values("Authentication-Results"), spf.authserv_id, domain)
            if result is not None:
                checker.counters.add(f"spf_{result}")
                self._facts[f"spf:{domain}"] = result
            return
        if self.connection.public_client and self.connection.client_ip:
            # Never in place: pyspf's evaluation would swallow a CacheMiss.
            self._add(f"spf {domain}", checker._spf_task, domain, sender,
                      self.connection.client_ip, self.connection.helo, deadline,
                      in_place=False)

    def collect(self, deadline: float | None = None) -> dict[str, str]:
        """The facts found by `deadline` (default: the budget started by `content`, else
        one starting now). Lookups still running are left to finish in the background
        (for the cache) and add nothing. Never raises."""
        facts = dict(self._facts)
        try:
            if deadline is None:
                deadline = self._deadline if self._deadline is not None else \
                    self.checker.deadline()
            futures = [future for _what, future in self._tasks]
            if futures:
                wait(futures, timeout=max(0.0, deadline - time.monotonic()))
            for what, future in self._tasks:
                if not future.done():
                    self.checker.counters.add("late")
                    log.debug("dns %s: no result within the budget", what)
                    continue
                facts.update(_result(future).facts)
        except Exception:
            log.warning("dns: collecting results failed", exc_info=True)
        return facts


def _result(future: Future[TaskResult]) -> TaskResult:
    try:
        return future.result(timeout=0)
    except Exception:
        return _UNDECIDED


def _zone_name(zone: str) -> str:
    return zone.strip().rstrip(".").lower()


def _ip_order(code: str) -> int:
    return int(ipaddress.IPv4Address(code))


def envelope_sender_for_check(facts: ScanFacts, mail_from: str | None) -> str | None:
    """For `extortion-milter check`, where there is no SMTP envelope: the given
    --mail-from, else the Return-Path a delivered message carries, else From."""
    if mail_from:
        return mail_from
    return_path = facts.message.header("Return-Path")
    if return_path and "@" in return_path:
        return return_path.strip().strip("<>").strip()
    return facts.message.from_addrs[0] if facts.message.from_addrs else None


def lookup_once(checker: DnsChecker, facts: ScanFacts, client_ip: str | None = None,
                helo: str | None = None, mail_from: str | None = None,
                authenticated: bool = False) -> Mapping[str, str]:
    """All checks for one message in one call (the `check` command): start everything,
    then collect within one budget."""
    message = checker.connection(client_ip, helo).message(mail_from, authenticated)
    message.content(facts)
    return message.collect()
