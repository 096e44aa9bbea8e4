"""DNS facts through the shipped rules: prepare, look up, decide - as the milter does."""

from __future__ import annotations

import time

from extortion_milter.config.schema import DnsblZone, DnsConfig, WalletZone
from extortion_milter.dns import DnsChecker
from extortion_milter.engine.engine import Engine
from extortion_milter.engine.types import Envelope, Verdict

from ..dnsserver import (
    BL_ZONE,
    LISTED_V4,
    SPF_ALLOWED_V4,
    SPF_OTHER_V4,
    WALLET_SHA1_LISTED,
    WALLET_SHA1_ZONE,
    DnsTestServer,
)

DNS_RULES = {"DNS_CLIENT_BLOCKLISTED", "DNS_WALLET_BLOCKLISTED", "DNS_SELF_SENT_SPF_FAIL",
             "DNS_SENDER_DOMAIN_BAD"}


def scan(engine: Engine, server: DnsTestServer, raw: bytes, envelope: Envelope,
         budget_ms: int = 400) -> tuple[Verdict, float]:
    checker = DnsChecker(DnsConfig(
        nameservers=("127.0.0.1",), port=server.port, budget_ms=budget_ms,
        client_blocklists=(DnsblZone(BL_ZONE),),
        wallet_blocklists=(WalletZone(WALLET_SHA1_ZONE, "sha1"),)))
    started = time.monotonic()
    connection = checker.connection(envelope.client_ip, envelope.helo)
    message = connection.message(envelope.mail_from, envelope.authenticated)
    facts = engine.prepare(raw)
    message.content(facts)
    verdict = engine.decide(facts, envelope, message.collect())
    elapsed = time.monotonic() - started
    checker.close()
    return verdict, elapsed


SELF_SENT = (b"From: Victim <victim@spf-fail.test>\r\nTo: victim@spf-fail.test\r\n"
             b"Subject: hello\r\n\r\nPay to " + WALLET_SHA1_LISTED.encode() + b" now.\r\n")


def test_every_dns_rule_fires_on_a_spoofed_self_sent_message(
        shipped_engine: Engine, dns_server: DnsTestServer) -> None:
    envelope = Envelope(client_ip=LISTED_V4, helo="bot.example",
                        mail_from="victim@doesnotexist.test", rcpts=("victim@spf-fail.test",))
    verdict, _ = scan(shipped_engine, dns_server, SELF_SENT, envelope)
    hits = {hit.rule_id: hit for hit in verdict.hits}
    assert DNS_RULES <= set(hits)
    assert hits["DNS_WALLET_BLOCKLISTED"].evidence == (
        f"{WALLET_SHA1_LISTED} listed in {WALLET_SHA1_ZONE} (127.0.4.1)")
    assert hits["DNS_SELF_SENT_SPF_FAIL"].evidence == f"SPF fail for spf-fail.test from {LISTED_V4}"
    without_dns = shipped_engine.scan(SELF_SENT, envelope)
    assert verdict.score == round(without_dns.score + 3 + 8 + 4 + 0.5, 2)


def test_genuine_self_sent_message_passes_spf_and_scores_nothing_from_dns(
        shipped_engine: Engine, dns_server: DnsTestServer) -> None:
    raw = (b"From: me@spf-pass.test\r\nTo: me@spf-pass.test\r\nSubject: notes\r\n\r\n"
           b"Remember to buy milk.\r\n")
    envelope = Envelope(client_ip=SPF_ALLOWED_V4, helo="mx.spf-pass.test",
                        mail_from="me@spf-pass.test")
    verdict, _ = scan(shipped_engine, dns_server, raw, envelope)
    assert not DNS_RULES & set(verdict.rule_ids)


def test_spoofed_self_sent_from_another_host_fails_spf(
        shipped_engine: Engine, dns_server: DnsTestServer) -> None:
    raw = (b"From: me@spf-pass.test\r\nTo: me@spf-pass.test\r\nSubject: notes\r\n\r\n"
           b"I sent this from your account.\r\n")
    envelope = Envelope(client_ip=SPF_OTHER_V4, helo="x", mail_from="me@spf-pass.test")
    verdict, _ = scan(shipped_engine, dns_server, raw, envelope)
    assert "DNS_SELF_SENT_SPF_FAIL" in verdict.rule_ids


def test_never_answering_server_scans_within_the_budget_with_no_dns_score(
        shipped_engine: Engine, dead_dns_server: DnsTestServer) -> None:
    envelope = Envelope(client_ip=LISTED_V4, helo="bot.example",
                        mail_from="victim@doesnotexist.test")
    verdict, elapsed = scan(shipped_engine, dead_dns_server, SELF_SENT, envelope, budget_ms=300)
    assert not DNS_RULES & set(verdict.rule_ids)
    assert verdict == shipped_engine.scan(SELF_SENT, envelope)
    assert elapsed < 0.3 + 0.2
    assert dead_dns_server.queries() >= 4
