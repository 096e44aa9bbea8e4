"""DNS checks end to end: a private Postfix, the milter resolving against the DNS test
server on loopback (tests/dnsserver.py), and a never-answering server.

The client of every Postfix connection is 127.0.0.1, which is never looked up. To test the
client blocklist and SPF, Postfix lets the test client announce another address with
XCLIENT (smtpd_authorized_xclient_hosts), which Postfix passes on to the milter's connect.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from extortion_milter.testing.smtp import SendResult
from extortion_milter.testing.stack import PostfixStack

from ..dnsserver import (
    BL_ZONE,
    LISTED_V4,
    SPF_ALLOWED_V4,
    WALLET_SHA1_LISTED,
    WALLET_SHA1_ZONE,
    DnsTestServer,
)

REPO = Path(__file__).resolve().parents[2]
BUDGET_MS = 400
DNS_RULES = {"DNS_CLIENT_BLOCKLISTED", "DNS_WALLET_BLOCKLISTED", "DNS_SELF_SENT_SPF_FAIL",
             "DNS_SENDER_DOMAIN_BAD"}


def write_config(directory: Path, dns_port: int) -> Path:
    """Only the DNS rules (scores 3, 8, 4, 1 against thresholds 5/10/15), the test zones."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.yaml"
    config.write_text(
        f"rules:\n  paths: [{REPO / 'rules' / '05-dns.yaml'}]\n  local_dir: ''\n"
        "logging:\n  level: debug\n"
        "dns:\n"
        "  nameservers: [127.0.0.1]\n"
        f"  port: {dns_port}\n"
        f"  budget_ms: {BUDGET_MS}\n"
        f"  client_blocklists: [{{zone: {BL_ZONE}}}]\n"
        f"  wallet_blocklists: [{{zone: {WALLET_SHA1_ZONE}, label: sha1}}]\n"
    )
    return config


def start_stack(workdir: Path, dns_port: int) -> PostfixStack:
    stack = PostfixStack(workdir, config=write_config(workdir / "conf", dns_port))
    write_main_cf = stack.postfix.write_config

    def with_xclient() -> None:
        write_main_cf()
        with open(stack.postfix.etc / "main.cf", "a") as main_cf:
            # Later lines win: relaying is also allowed for the announced test clients.
            main_cf.write("smtpd_authorized_xclient_hosts = 127.0.0.0/8\n"
                          "mynetworks = 127.0.0.0/8 45.33.32.0/24\n")

    stack.postfix.write_config = with_xclient  # type: ignore[method-assign]
    stack.start()
    return stack


@pytest.fixture(scope="module")
def module_dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory,
          module_dns_server: DnsTestServer) -> Iterator[PostfixStack]:
    running = start_stack(tmp_path_factory.mktemp("dns-stack"), module_dns_server.port)
    yield running
    running.stop()


def message(from_addr: str, to_addr: str, body: str) -> tuple[str, bytes]:
    marker = f"MARK{uuid.uuid4().hex[:12]}"
    raw = (f"From: {from_addr}\nTo: {to_addr}\nSubject: Your account\n"
           f"Message-ID: <{marker}@dns.test>\n\n{body}\n{marker}\n")
    return marker, raw.encode()


def send(stack: PostfixStack, raw: bytes, mail_from: str, rcpt: str,
         client_ip: str | None = None, helo: str = "client.example") -> SendResult:
    """One SMTP transaction; with `client_ip`, announced by XCLIENT first."""
    raw = raw.replace(b"\n", b"\r\n")
    smtp = smtplib.SMTP("127.0.0.1", stack.postfix.smtp_port, timeout=60)
    try:
        smtp.ehlo("harness.example")
        if client_ip is not None:
            code, reply = smtp.docmd("XCLIENT",
                                     f"ADDR={client_ip} NAME=[UNAVAILABLE] HELO={helo}")
            assert code == 220, (code, reply)
            smtp.ehlo(helo)
        assert smtp.mail(mail_from)[0] == 250
        assert smtp.rcpt(rcpt)[0] == 250
        try:
            code, reply = smtp.data(raw)
        except smtplib.SMTPDataError as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        return SendResult(code, reply.decode(errors="replace"), "data")
    finally:
        smtp.quit()


def event_for(stack: PostfixStack, marker: str) -> dict[str, object]:
    from extortion_milter.testing.procs import wait_until

    assert stack.milter is not None
    msgid = f"<{marker}@dns.test>"
    found: list[dict[str, object]] = []

    def seen() -> bool:
        assert stack.milter is not None
        found[:] = [e for e in stack.milter.message_events() if e.get("msgid") == msgid]
        return bool(found)

    wait_until(seen, 20, f"the milter's log line for {msgid}")
    return found[0]


def rules_of(event: dict[str, object]) -> set[str]:
    rules = event["rules"]
    assert isinstance(rules, list)
    return set(rules)


def test_listed_wallet_and_unresolvable_sender_tag_the_message(stack: PostfixStack) -> None:
    marker, raw = message("Someone <someone@spf-pass.test>", "user@example.com",
                          f"Pay {WALLET_SHA1_LISTED} or else.")
    result = send(stack, raw, "bounce@doesnotexist.test", "user@example.com")
    assert result.accepted, result
    got = stack.sink.find(marker)
    [status] = got.header_values("X-Extortion-Status")
    assert status.startswith("Yes, score=8.5 required=5.0 action=tag"), status
    event = event_for(stack, marker)
    assert rules_of(event) == {"DNS_WALLET_BLOCKLISTED", "DNS_SENDER_DOMAIN_BAD"}


def test_listed_client_spoofing_self_sent_mail_with_a_listed_wallet_is_rejected(
        stack: PostfixStack) -> None:
    marker, raw = message("victim@spf-fail.test", "victim@spf-fail.test",
                          f"I sent this from your account. Pay {WALLET_SHA1_LISTED}.")
    result = send(stack, raw, "victim@spf-fail.test", "victim@spf-fail.test",
                  client_ip=LISTED_V4, helo="bot.example")
    assert (result.code, result.stage) == (550, "data"), result
    event = event_for(stack, marker)
    assert event["action"] == "reject"
    assert event["client"] == LISTED_V4
    assert rules_of(event) == {"DNS_CLIENT_BLOCKLISTED", "DNS_SELF_SENT_SPF_FAIL",
                               "DNS_WALLET_BLOCKLISTED"}
    assert event["score"] == 15.0


def test_genuine_self_sent_mail_from_an_allowed_host_passes(stack: PostfixStack) -> None:
    marker, raw = message("me@spf-pass.test", "me@spf-pass.test", "Remember the milk.")
    result = send(stack, raw, "me@spf-pass.test", "me@spf-pass.test",
                  client_ip=SPF_ALLOWED_V4, helo="mx.spf-pass.test")
    assert result.accepted, result
    got = stack.sink.find(marker)
    assert got.header_values("X-Extortion-Score") == ["0.0"]
    assert not rules_of(event_for(stack, marker))


def test_a_never_answering_resolver_delays_no_message_past_the_budget(
        tmp_path: Path, dead_dns_server: DnsTestServer) -> None:
    stack = start_stack(tmp_path, dead_dns_server.port)
    try:
        for _ in range(2):
            marker, raw = message("victim@spf-fail.test", "victim@spf-fail.test",
                                  f"Pay {WALLET_SHA1_LISTED}.")
            result = send(stack, raw, "bounce@doesnotexist.test", "victim@spf-fail.test",
                          client_ip=LISTED_V4)
            assert result.accepted, result
            got = stack.sink.find(marker)
            assert got.header_values("X-Extortion-Score") == ["0.0"]
            event = event_for(stack, marker)
            assert not rules_of(event) & DNS_RULES
            ms = event["ms"]
            assert isinstance(ms, float) and ms < BUDGET_MS + 250, event
        assert dead_dns_server.queries() >= 3  # it was asked, and never answered
    finally:
        stack.stop()
