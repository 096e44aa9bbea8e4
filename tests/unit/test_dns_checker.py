"""The DNS layer against a real DNS server on loopback (tests/dnsserver.py): blocklists,
wallets, SPF, sender domains, the cache, and failures that must cost nothing."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from extortion_milter.config.schema import DnsblZone, DnsConfig, SpfConfig, WalletZone
from extortion_milter.dns import CachingResolver, DnsChecker, Status
from extortion_milter.dns.cache import TTLCache
from extortion_milter.engine.facts import LocatedAddress, ScanFacts
from extortion_milter.engine.message import ParsedMessage
from extortion_milter.engine.types import CryptoAddress

from ..dnsserver import (
    BL_ZONE,
    BL_ZONE_V4ONLY,
    LISTED_V4,
    LISTED_V4_CODES,
    LISTED_V6,
    REFUSED_V4,
    SPF_ALLOWED_V4,
    SPF_INCLUDED_V4,
    SPF_OTHER_V4,
    UNLISTED_V4,
    WALLET_RAW_LISTED,
    WALLET_RAW_ZONE,
    WALLET_SHA1_LISTED,
    WALLET_SHA1_ZONE,
    WALLET_UNLISTED,
    DnsTestServer,
)

BUDGET_MS = 400
SLACK = 0.15  # scheduling noise on a loaded test machine


def dns_config(server: DnsTestServer, **changes: object) -> DnsConfig:
    config = DnsConfig(
        nameservers=("127.0.0.1",), port=server.port, budget_ms=BUDGET_MS,
        client_blocklists=(DnsblZone(BL_ZONE), DnsblZone(BL_ZONE_V4ONLY, ipv6=False)),
        wallet_blocklists=(WalletZone(WALLET_RAW_ZONE, "raw"),
                           WalletZone(WALLET_SHA1_ZONE, "sha1", ("btc",))),
    )
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


@pytest.fixture
def checker(dns_server: DnsTestServer) -> Iterator[DnsChecker]:
    result = DnsChecker(dns_config(dns_server), trusted_networks=("45.33.34.0/24",))
    yield result
    result.close()


def message(from_addr: str = "sender@spf-pass.test", to_addr: str = "victim@example.org",
            addresses: tuple[str, ...] = (), headers: list[tuple[str, str]] | None = None,
            ) -> ScanFacts:
    parsed = ParsedMessage(headers=headers or [], subject="", from_addrs=[from_addr],
                           to_addrs=[to_addr])
    located = [LocatedAddress(CryptoAddress("btc", a, True), "body") for a in addresses]
    return ScanFacts(parsed, "", "", located)


def run(checker: DnsChecker, client_ip: str | None, facts: ScanFacts | None = None,
        mail_from: str = "", helo: str = "mx.client.test",
        authenticated: bool = False) -> dict[str, str]:
    msg = checker.connection(client_ip, helo).message(mail_from, authenticated)
    msg.content(facts or message())
    return msg.collect()


# --- client-IP blocklists ---------------------------------------------------------------

def test_listed_ipv4_client_in_every_zone(checker: DnsChecker) -> None:
    assert run(checker, LISTED_V4) == {f"dnsbl:{BL_ZONE}": LISTED_V4_CODES,
                                       f"dnsbl:{BL_ZONE_V4ONLY}": "127.0.0.2"}


def test_listed_ipv6_client_is_queried_by_nibbles_only_where_the_zone_has_ipv6(
        checker: DnsChecker, dns_server: DnsTestServer) -> None:
    assert run(checker, f"IPv6:{LISTED_V6}") == {f"dnsbl:{BL_ZONE}": "127.0.0.3"}
    assert dns_server.queries(rdtype="A") == 1  # not asked of the IPv4-only zone


def test_unlisted_client_gives_no_fact(checker: DnsChecker) -> None:
    assert run(checker, UNLISTED_V4) == {}


@pytest.mark.parametrize("ip", ["127.0.0.2", "10.0.0.1", "192.168.1.2", "::1", "fe80::1",
                                "45.33.34.5", None])
def test_private_loopback_trusted_and_local_clients_are_never_queried(
        checker: DnsChecker, dns_server: DnsTestServer, ip: str | None) -> None:
    assert run(checker, ip) == {}
    assert dns_server.queries() == 0


def test_refusal_code_is_not_a_listing(checker: DnsChecker, caplog: pytest.LogCaptureFixture,
                                       ) -> None:
    with caplog.at_level("WARNING", logger="extortion_milter.dns"):
        assert run(checker, REFUSED_V4) == {}
    assert checker.stats()["refused"] == 1
    assert "refused our query (answer 127.255.255.254)" in caplog.text


# --- wallets ------------------------------------------------------------------------------

def test_listed_wallets_by_raw_address_and_by_sha1(checker: DnsChecker) -> None:
    facts = message(addresses=(WALLET_RAW_LISTED, WALLET_SHA1_LISTED, WALLET_UNLISTED))
    assert run(checker, None, facts) == {
        f"walletbl:{WALLET_RAW_ZONE}:{WALLET_RAW_LISTED}": "127.0.0.2",
        f"walletbl:{WALLET_SHA1_ZONE}:{WALLET_SHA1_LISTED}": "127.0.4.1",
    }


def test_wallet_lookups_are_capped_per_message_and_skip_invalid_addresses(
        dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dns_server, max_wallet_lookups=2,
                                    wallet_blocklists=(WalletZone(WALLET_RAW_ZONE, "raw"),)))
    facts = message(addresses=(WALLET_UNLISTED, WALLET_UNLISTED, WALLET_SHA1_LISTED,
                               WALLET_RAW_LISTED))
    facts.addresses.append(LocatedAddress(CryptoAddress("btc", "1Invalid", False), "body"))
    assert run(checker, None, facts) == {}  # the listed one is the third distinct address
    assert dns_server.queries() == 2
    assert checker.stats()["wallets_over_cap"] == 1
    checker.close()


def test_wallet_zone_currency_filter(dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dns_server, wallet_blocklists=(
        WalletZone(WALLET_RAW_ZONE, "raw", ("eth",)),)))
    assert run(checker, None, message(addresses=(WALLET_RAW_LISTED,))) == {}
    assert dns_server.queries() == 0
    checker.close()


# --- SPF for self-sent mail ---------------------------------------------------------------

def self_sent(domain: str) -> ScanFacts:
    return message(from_addr=f"victim@{domain}", to_addr=f"victim@{domain}")


def test_self_sent_from_an_allowed_host_passes(checker: DnsChecker) -> None:
    assert run(checker, SPF_ALLOWED_V4, self_sent("spf-pass.test")) == {
        "spf:spf-pass.test": "pass"}


def test_self_sent_through_an_include_passes(checker: DnsChecker) -> None:
    assert run(checker, SPF_INCLUDED_V4, self_sent("spf-pass.test")) == {
        "spf:spf-pass.test": "pass"}


def test_self_sent_from_another_host_fails(checker: DnsChecker) -> None:
    assert run(checker, SPF_OTHER_V4, self_sent("spf-pass.test")) == {
        "spf:spf-pass.test": "fail"}
    assert run(checker, SPF_OTHER_V4, self_sent("spf-fail.test")) == {
        "spf:spf-fail.test": "fail"}
    assert run(checker, SPF_OTHER_V4, self_sent("softfail.test")) == {
        "spf:softfail.test": "softfail"}
    assert run(checker, SPF_OTHER_V4, self_sent("nomail.test")) == {"spf:nomail.test": "none"}


def test_spf_is_not_checked_unless_self_sent_from_a_public_unauthenticated_client(
        checker: DnsChecker, dns_server: DnsTestServer) -> None:
    assert run(checker, SPF_OTHER_V4, message("a@spf-fail.test", "b@spf-fail.test")) == {}
    assert run(checker, SPF_OTHER_V4, self_sent("spf-fail.test"), authenticated=True) == {}
    assert run(checker, "10.1.1.1", self_sent("spf-fail.test")) == {}
    assert run(checker, "203.0.113.5", self_sent("spf-fail.test")) == {}  # documentation
    assert run(checker, None, self_sent("spf-fail.test")) == {}
    assert dns_server.queries(rdtype="TXT") == 0


def test_spf_from_our_own_authentication_results(dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dns_server, spf=SpfConfig(
        source="authentication-results", authserv_id="mx.example.org")))
    ours = ("Authentication-Results",
            "mx.example.org; (checked) spf=fail (not allowed)"
            " smtp.mailfrom=victim@spf-fail.test")
    theirs = ("Authentication-Results", "evil.example; spf=pass smtp.mailfrom=spf-fail.test")
    facts = self_sent("spf-fail.test")
    facts.message.headers = [theirs, ours]
    assert run(checker, SPF_OTHER_V4, facts) == {"spf:spf-fail.test": "fail"}
    facts.message.headers = [("Authentication-Results",
                              "mx.example.org 1; spf=pass smtp.mailfrom=victim@spf-fail.test"),
                             ours]
    assert run(checker, SPF_OTHER_V4, facts) == {}  # two of ours disagree: a forgery
    facts.message.headers = [("Authentication-Results",
                              "mx.example.org; spf=pass smtp.mailfrom=other.test")]
    assert run(checker, SPF_OTHER_V4, facts) == {}  # about another domain
    assert dns_server.queries(rdtype="TXT") == 0
    checker.close()


# --- sender domain ------------------------------------------------------------------------

@pytest.mark.parametrize(("sender", "expected"), [
    ("x@doesnotexist.test", {"sender_domain:doesnotexist.test": "nxdomain"}),
    ("x@nomail.test", {"sender_domain:nomail.test": "no_mail_host"}),
    ("x@nullmx.test", {"sender_domain:nullmx.test": "null_mx"}),
    ("x@aonly.test", {}),
    ("x@spf-pass.test", {}),
    ("", {}),
    ("x@[45.33.32.1]", {}),
])
def test_sender_domain(checker: DnsChecker, sender: str, expected: dict[str, str]) -> None:
    assert run(checker, None, mail_from=sender) == expected


# --- the cache, and failures --------------------------------------------------------------

def test_cache_serves_a_repeated_query_without_a_second_packet(
        checker: DnsChecker, dns_server: DnsTestServer) -> None:
    for _ in range(3):
        assert run(checker, LISTED_V4, mail_from="x@doesnotexist.test") == {
            f"dnsbl:{BL_ZONE}": LISTED_V4_CODES, f"dnsbl:{BL_ZONE_V4ONLY}": "127.0.0.2",
            "sender_domain:doesnotexist.test": "nxdomain"}
    reversed_v4 = ".".join(reversed(LISTED_V4.split(".")))
    assert dns_server.queries(f"{reversed_v4}.{BL_ZONE}", "A") == 1
    assert dns_server.queries("doesnotexist.test", "MX") == 1  # negative answers too
    stats = checker.stats()
    assert stats["cache_hits"] == 6 and stats["queries"] == 3


def test_checks_answered_by_the_cache_run_in_place_and_others_on_the_pool(
        checker: DnsChecker, dns_server: DnsTestServer) -> None:
    assert run(checker, None, mail_from="x@doesnotexist.test") == {
        "sender_domain:doesnotexist.test": "nxdomain"}
    assert checker._pool is not None  # the first lookup needed the network
    checker._pool.shutdown()
    checker._pool = None
    # Cached now: the check completes during MAIL FROM, with no thread to hand it to.
    msg = checker.connection(None).message("x@doesnotexist.test")
    assert checker._pool is None
    msg.content(message())
    assert msg.collect() == {"sender_domain:doesnotexist.test": "nxdomain"}
    assert checker.stats()["cache_hits"] == 1
    # MX cached (no data) but A/AAAA not: the check goes to the pool and finds the answer.
    checker.resolver.lookup("nomail.test", "MX", time.monotonic() + 1)
    assert run(checker, None, mail_from="x@nomail.test") == {
        "sender_domain:nomail.test": "no_mail_host"}
    assert checker._pool is not None
    assert dns_server.queries("nomail.test", "MX") == 1
    assert checker.stats()["cache_hits"] == 2  # the pool's MX lookup, not the aborted one


def test_identical_lookups_in_flight_share_one_packet(dns_server: DnsTestServer) -> None:
    resolver = CachingResolver(["127.0.0.1"], dns_server.port, try_timeout=1.0)
    dns_server.delay["slow.doesnotexist.test"] = 0.2
    deadline = time.monotonic() + 2
    results: list[Status] = []
    threads = [threading.Thread(target=lambda: results.append(
        resolver.lookup("slow.doesnotexist.test", "A", deadline).status)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [Status.NXDOMAIN] * 5
    assert dns_server.queries() == 1
    assert resolver.counters.get("coalesced") == 4


def test_a_server_that_never_answers_costs_at_most_the_budget_and_gives_no_fact(
        dead_dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dead_dns_server))
    started = time.monotonic()
    facts = run(checker, LISTED_V4, message(addresses=(WALLET_RAW_LISTED,),
                                            from_addr="v@spf-fail.test",
                                            to_addr="v@spf-fail.test"),
                mail_from="x@doesnotexist.test")
    elapsed = time.monotonic() - started
    assert facts == {}
    assert elapsed < BUDGET_MS / 1000 + SLACK
    assert dead_dns_server.queries() >= 5  # every check was tried
    stats = checker.stats()
    assert stats["timeout"] >= 1 and stats.get("nxdomain", 0) == 0
    checker.close()


def test_servfail_gives_no_fact_and_is_not_cached(dns_server: DnsTestServer) -> None:
    dns_server.servfail_all = True
    checker = DnsChecker(dns_config(dns_server))
    for _ in range(2):
        assert run(checker, LISTED_V4, self_sent("spf-fail.test"),
                   mail_from="x@doesnotexist.test") == {}
    assert dns_server.queries("doesnotexist.test", "MX") == 2
    assert checker.stats()["servfail"] >= 6
    checker.close()


def test_a_dead_first_resolver_falls_over_to_the_next_within_the_budget(
        dns_server: DnsTestServer) -> None:
    # A second loopback address, same port: the first resolver never answers.
    with DnsTestServer(host="127.0.0.2", port=dns_server.port) as dead:
        dead.drop_all = True
        resolver = CachingResolver(["127.0.0.2", "127.0.0.1"], dns_server.port,
                                   try_timeout=0.1)
        started = time.monotonic()
        answer = resolver.lookup("doesnotexist.test", "MX", started + 0.4)
        assert answer.status is Status.NXDOMAIN
        assert 0.1 <= time.monotonic() - started < 0.1 + SLACK
        assert dead.queries() == 1 and dns_server.queries() == 1


def test_retransmits_stop_at_the_deadline(dead_dns_server: DnsTestServer) -> None:
    resolver = CachingResolver(["127.0.0.1"], dead_dns_server.port, try_timeout=0.1)
    started = time.monotonic()
    answer = resolver.lookup("x.test", "A", started + 0.35)
    assert answer.status is Status.TIMEOUT
    assert time.monotonic() - started < 0.35 + SLACK
    assert dead_dns_server.queries() == 4  # a retransmit every try_timeout, none after


def test_a_silent_resolver_is_paused_then_tried_again(dead_dns_server: DnsTestServer) -> None:
    resolver = CachingResolver(["127.0.0.1"], dead_dns_server.port, try_timeout=0.05,
                               pause_after=2, pause_seconds=0.3)
    for _ in range(2):
        assert resolver.lookup("x.test", "A", time.monotonic() + 0.1).status is Status.TIMEOUT
    sent = dead_dns_server.queries()
    assert resolver.lookup("y.test", "A", time.monotonic() + 0.1).status is Status.SKIPPED
    assert dead_dns_server.queries() == sent  # skipped: nothing sent, nothing waited for
    time.sleep(0.3)
    assert resolver.lookup("y.test", "A", time.monotonic() + 0.1).status is Status.TIMEOUT
    assert dead_dns_server.queries() > sent
    assert resolver.counters.get("paused") == 2


def test_any_answer_resets_the_silence_count(dns_server: DnsTestServer) -> None:
    resolver = CachingResolver(["127.0.0.1"], dns_server.port, try_timeout=0.05,
                               pause_after=2, pause_seconds=30)
    dns_server.drop.add("dead.test")
    for name in ("dead.test", "doesnotexist.test", "dead.test", "aonly.test", "dead.test"):
        resolver.lookup(name, "A", time.monotonic() + 0.1)
    assert resolver.counters.get("paused") == 0


def test_a_client_lookup_that_failed_is_retried_for_the_next_message(
        dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dns_server, client_blocklists=(DnsblZone(BL_ZONE),)))
    dns_server.servfail_all = True
    connection = checker.connection(LISTED_V4)
    first = connection.message("")
    first.content(message())
    assert first.collect() == {}
    dns_server.servfail_all = False
    second = connection.message("")
    second.content(message())
    assert second.collect() == {f"dnsbl:{BL_ZONE}": LISTED_V4_CODES}
    checker.close()


def test_probe_zones_finds_lists_that_refuse_us(dns_server: DnsTestServer) -> None:
    checker = DnsChecker(dns_config(dns_server, client_blocklists=(
        DnsblZone(BL_ZONE), DnsblZone(BL_ZONE_V4ONLY), DnsblZone("unknown.test"))))
    problems = checker.probe_zones()
    assert problems == [
        f"{BL_ZONE_V4ONLY}: test point 127.0.0.2 is not listed (nxdomain): "
        "the list may refuse this resolver",
        "unknown.test: test point 127.0.0.2 is not listed (nxdomain): "
        "the list may refuse this resolver",
    ]
    checker.close()


def test_checks_no_rule_reads_are_not_run(dns_server: DnsTestServer) -> None:
    from extortion_milter.config.schema import Config
    from extortion_milter.engine.rules import BuiltinAtom, RuleInfo, RuleSet

    def ruleset(*builtins: str) -> RuleSet:
        atoms = tuple(BuiltinAtom(RuleInfo(f"R{i}", "", 1.0, None, (), "test"), name)
                      for i, name in enumerate(builtins))
        return RuleSet((), atoms, (), "test")

    config = Config(dns=dns_config(dns_server))
    none = DnsChecker.from_config(config, ruleset())
    assert run(none, LISTED_V4, self_sent("spf-fail.test"), mail_from="x@doesnotexist.test",
               ) == {}
    assert dns_server.queries() == 0
    only_sender = DnsChecker.from_config(config, ruleset("sender_domain_unresolvable"))
    assert run(only_sender, LISTED_V4, self_sent("spf-fail.test"),
               mail_from="x@doesnotexist.test") == {"sender_domain:doesnotexist.test": "nxdomain"}
    assert dns_server.queries() == 1
    none.close()
    only_sender.close()


def test_disabled_or_closed_checkers_do_nothing_and_never_raise(
        dns_server: DnsTestServer) -> None:
    disabled = DnsChecker(dns_config(dns_server, enabled=False))
    assert run(disabled, LISTED_V4, mail_from="x@doesnotexist.test") == {}
    closed = DnsChecker(dns_config(dns_server))
    closed.close()
    assert run(closed, LISTED_V4, self_sent("spf-fail.test"),
               mail_from="x@doesnotexist.test") == {}
    assert dns_server.queries() == 0


def test_ttl_cache_expires_and_stays_bounded() -> None:
    now = [100.0]
    cache: TTLCache[str, int] = TTLCache(2, clock=lambda: now[0])
    cache.put("a", 1, ttl=10)
    cache.put("b", 2, ttl=1)
    assert cache.get("a") == 1 and cache.get("b") == 2
    now[0] += 2
    assert cache.get("b") is None and cache.get("a") == 1
    cache.put("c", 3, ttl=10)
    cache.put("d", 4, ttl=10)  # evicts the least recently used ("a")
    assert cache.get("a") is None and len(cache) == 2
    cache.put("zero", 5, ttl=0)
    assert cache.get("zero") is None
