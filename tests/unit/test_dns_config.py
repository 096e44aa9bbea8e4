"""The dns: config section: lists of zone sections, defaults and semantic errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.config.errors import ConfigError, ConfigErrors
from extortion_milter.config.loader import load_config
from extortion_milter.config.schema import Config, DnsblZone, DnsConfig, WalletZone


def errors_of(path: Path) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as info:
        load_config(path)
    exc = info.value
    return [str(e) for e in (exc.errors if isinstance(exc, ConfigErrors) else [exc])]


def test_defaults_query_no_public_list() -> None:
    dns = Config().dns
    assert dns.enabled and dns.nameservers == ()
    assert dns.client_blocklists == () and dns.wallet_blocklists == ()
    assert 0 < dns.budget_ms < 1000


def test_lists_of_zone_sections_load(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "dns:\n"
        "  nameservers: [127.0.0.1, '::1']\n"
        "  port: 5353\n"
        "  client_blocklists:\n"
        "    - zone: zen.test\n"
        "    - {zone: v4only.test, ipv6: false}\n"
        "  wallet_blocklists:\n"
        "    - zone: wallets.test\n"
        "      label: raw\n"
        "      currencies: [btc, eth]\n"
    )
    dns = load_config(path).dns
    assert dns == DnsConfig(
        nameservers=("127.0.0.1", "::1"), port=5353,
        client_blocklists=(DnsblZone("zen.test"), DnsblZone("v4only.test", ipv6=False)),
        wallet_blocklists=(WalletZone("wallets.test", "raw", ("btc", "eth")),),
    )


def test_override_gives_a_list_of_sections() -> None:
    config = load_config(None, ["dns.client_blocklists=[{zone: a.test}, {zone: b.test}]"])
    assert [z.zone for z in config.dns.client_blocklists] == ["a.test", "b.test"]


def test_errors_in_list_items_name_the_item_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "dns:\n"
        "  nameservers: [resolver.example]\n"
        "  budget_ms: 0\n"
        "  client_blocklists:\n"
        "    - zone: zen.test\n"
        "    - zone: ZEN.test.\n"
        "    - zone: bad zone\n"
        "    - zone: x.test\n"
        "      ipv7: true\n"
        "  wallet_blocklists:\n"
        "    - {zone: w.test, label: md5, currencies: [sol]}\n"
        "  spf: {source: authentication-results}\n"
    )
    errors = errors_of(path)
    assert f"{path}:9: dns.client_blocklists[3].ipv7: unknown key (known: ipv6, zone)" in errors
    assert (f"{path}:11: dns.wallet_blocklists[0].label: must be one of raw, sha1, not 'md5'"
            in errors)
    path.write_text(path.read_text().replace("      ipv7: true\n", "").replace("label: md5, ", ""))
    assert errors_of(path) == [
        f"{path}:2: dns.nameservers: not an IP address: 'resolver.example'",
        f"{path}:3: dns.budget_ms: must be 1..10000 milliseconds",
        f"{path}:6: dns.client_blocklists[1].zone: zone listed twice: 'ZEN.test.'",
        f"{path}:7: dns.client_blocklists[2].zone: not a DNS zone name: 'bad zone'",
        f"{path}:10: dns.wallet_blocklists[0].currencies: unknown currency 'sol' "
        "(known: btc, ltc, doge, bch, eth, trx, xmr)",
        f"{path}:11: dns.spf.authserv_id: required when source is authentication-results "
        "(your MTA's authserv-id)",
    ]
