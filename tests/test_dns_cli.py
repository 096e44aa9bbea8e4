"""`extortion-milter check` with DNS: on by default, off with --no-dns, and a full dry run
with --client-ip / --helo / --mail-from, resolving against the loopback test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .dnsserver import BL_ZONE, LISTED_V4, WALLET_SHA1_LISTED, WALLET_SHA1_ZONE, DnsTestServer

MESSAGE = (
    "Return-Path: <victim@doesnotexist.test>\n"
    "From: victim@spf-fail.test\nTo: victim@spf-fail.test\nSubject: hi\n\n"
    f"Send the bitcoin to {WALLET_SHA1_LISTED} today.\n"
)


def check(server: DnsTestServer, message: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "extortion_milter", "check", "--json", "-o", "rules.local_dir=",
         "-o", "dns.nameservers=[127.0.0.1]", "-o", f"dns.port={server.port}",
         "-o", f"dns.client_blocklists=[{{zone: {BL_ZONE}}}]",
         "-o", f"dns.wallet_blocklists=[{{zone: {WALLET_SHA1_ZONE}, label: sha1}}]",
         *args, str(message)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    record: dict[str, object] = json.loads(result.stdout)
    return record


def rule_ids(record: dict[str, object]) -> set[str]:
    rules = record["rules"]
    assert isinstance(rules, list)
    return {rule["id"] for rule in rules}


def test_check_resolves_wallets_and_the_sender_domain_by_default(
        dns_server: DnsTestServer, tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_text(MESSAGE)
    ids = rule_ids(check(dns_server, path))
    # No client IP: no client blocklist, no SPF. Sender domain from Return-Path.
    assert {"DNS_WALLET_BLOCKLISTED", "DNS_SENDER_DOMAIN_BAD"} <= ids
    assert not {"DNS_CLIENT_BLOCKLISTED", "DNS_SELF_SENT_SPF_FAIL"} & ids


def test_check_full_dry_run_with_an_smtp_client(dns_server: DnsTestServer,
                                                tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_text(MESSAGE)
    ids = rule_ids(check(dns_server, path, "--client-ip", LISTED_V4, "--helo", "bot.example",
                         "--mail-from", "x@spf-pass.test"))
    assert {"DNS_CLIENT_BLOCKLISTED", "DNS_WALLET_BLOCKLISTED", "DNS_SELF_SENT_SPF_FAIL"} <= ids
    assert "DNS_SENDER_DOMAIN_BAD" not in ids  # spf-pass.test has an MX


def test_check_no_dns_makes_no_lookup(dns_server: DnsTestServer, tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_text(MESSAGE)
    ids = rule_ids(check(dns_server, path, "--no-dns", "--client-ip", LISTED_V4))
    assert not {i for i in ids if i.startswith("DNS_")}
    assert dns_server.queries() == 0
