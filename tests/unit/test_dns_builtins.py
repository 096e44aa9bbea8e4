"""The DNS builtins: pure readers of the `external` facts the dns layer finds."""

from __future__ import annotations

from typing import Any

import pytest

from extortion_milter.engine.builtins import BUILTINS, check_params
from extortion_milter.engine.facts import ScanFacts
from extortion_milter.engine.message import ParsedMessage
from extortion_milter.engine.types import Envelope


def facts(external: dict[str, str], envelope: Envelope | None = None,
          from_addrs: list[str] | None = None, to_addrs: list[str] | None = None) -> ScanFacts:
    message = ParsedMessage(headers=[], subject="", from_addrs=from_addrs or [],
                            to_addrs=to_addrs or [])
    result = ScanFacts(message, "", "", [])
    result.external = external
    result.envelope = envelope
    return result


def run(name: str, scan: ScanFacts, **params: Any) -> str | None:
    return BUILTINS[name].run(scan, check_params(name, params))


CLIENT = Envelope(client_ip="45.33.32.156")


def test_dnsbl_any_zone_any_code() -> None:
    scan = facts({"dnsbl:zen.test": "127.0.0.2,127.0.0.4"}, CLIENT)
    assert run("dnsbl", scan) == "45.33.32.156 listed in zen.test (127.0.0.2, 127.0.0.4)"


def test_dnsbl_zone_and_codes_filter() -> None:
    scan = facts({"dnsbl:zen.test": "127.0.0.10", "dnsbl:other.test": "127.0.0.2"}, CLIENT)
    assert run("dnsbl", scan, zone="zen.test", codes=["127.0.0.2-127.0.0.7"]) is None
    assert run("dnsbl", scan, zone="ZEN.test.", codes=["127.0.0.10/31"]) == \
        "45.33.32.156 listed in zen.test (127.0.0.10)"
    assert run("dnsbl", scan, zone="other.test", codes=["127.0.0.2"]) is not None
    assert run("dnsbl", facts({}, CLIENT)) is None


@pytest.mark.parametrize("codes", [[], "127.0.0.2", ["127.0.0.300"], ["127.0.0.9-127.0.0.2"],
                                   ["127.0.0.0/33"]])
def test_dnsbl_bad_codes_are_load_errors(codes: Any) -> None:
    with pytest.raises(ValueError, match=r"^codes: "):
        check_params("dnsbl", {"codes": codes})


def test_wallet_listed_reports_the_first_and_counts_the_rest() -> None:
    scan = facts({"walletbl:w.test:1BoatSLRHtKNngkdXEeobR76b53LETtpyT": "127.0.4.1",
                  "walletbl:w.test:bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a":
                      "127.0.0.2",
                  "dnsbl:w.test": "127.0.0.2"})
    assert run("wallet_listed", scan) == \
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT listed in w.test (127.0.4.1) (+1 more)"
    assert run("wallet_listed", scan, codes=["127.0.0.2"]) == \
        "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a listed in w.test (127.0.0.2)"
    assert run("wallet_listed", scan, zone="x.test") is None


def test_spf_self_sent_fail_needs_from_equals_to_and_a_fail() -> None:
    self_sent = {"from_addrs": ["me@spf-fail.test"], "to_addrs": ["me@spf-fail.test"]}
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "fail"}, CLIENT,
                                           **self_sent)) == \
        "SPF fail for spf-fail.test from 45.33.32.156"
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "softfail"}, CLIENT,
                                           **self_sent)) is None
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "softfail"}, CLIENT,
                                           **self_sent), results=["fail", "softfail"])
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "pass"}, CLIENT,
                                           **self_sent)) is None
    # Not self-sent: the fact (which the dns layer would not produce) is ignored.
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "fail"}, CLIENT,
                                           from_addrs=["me@spf-fail.test"],
                                           to_addrs=["you@spf-fail.test"])) is None
    # An authenticated sender is never a spoof.
    assert run("spf_self_sent_fail", facts({"spf:spf-fail.test": "fail"},
                                           Envelope(client_ip="45.33.32.156",
                                                    authenticated=True), **self_sent)) is None


def test_sender_domain_unresolvable() -> None:
    assert run("sender_domain_unresolvable", facts({"sender_domain:gone.test": "nxdomain"})) \
        == "gone.test: nxdomain"
    assert run("sender_domain_unresolvable", facts({"sender_domain:x.test": "no_mail_host"}),
               problems=["nxdomain"]) is None
    assert run("sender_domain_unresolvable", facts({"sender_domain:x.test": "null_mx"})) == \
        "x.test: null mx"
    with pytest.raises(ValueError, match="problems"):
        check_params("sender_domain_unresolvable", {"problems": ["gone"]})
