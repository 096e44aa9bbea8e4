"""`extortion-milter check`: scan messages with the milter's own engine and say why."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from typing import TextIO

from ..dns import DnsChecker, envelope_sender_for_check, lookup_once
from ..engine.engine import Engine
from ..engine.types import Envelope, Verdict
from ..sanitize import one_line
from .common import EXIT_INPUT, EXIT_OK, engine_from_args
from .inputs import iter_messages

DESCRIPTION = """\
Scan messages exactly as the milter would and print each verdict: the action the
thresholds give (accept, tag, quarantine, reject), the score, every rule that fired with
its evidence, and the crypto addresses found.

PATH is a message file (any name), a directory (every regular file below it is one
message; Maildir tmp/ and hidden files are skipped), an mbox file (one result per
message), or - for standard input.

Exit status: 0 when every message was scanned, whatever the verdicts; 1 when some input
could not be read; 2 for a bad config or rule file.

DNS checks run as configured (dns: in the config) unless --no-dns is given. With no SMTP
session the client IP is unknown, so client blocklists and SPF need --client-ip; the
sender domain is --mail-from's, else the message's Return-Path, else its From."""

EPILOG = """\
examples:
  extortion-milter check suspicious.eml
  extortion-milter check --explain ~/Maildir/.Junk/cur
  extortion-milter check --json /var/mail/alice | jq 'select(.action != "accept")'
  extortion-milter check -o thresholds.reject=20 message.eml
  extortion-milter check --client-ip 1.2.3.4 --mail-from x@example.net message.eml"""


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "check",
        parents=[common],
        help="scan message files and print verdicts",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="message, directory, mbox or -")
    parser.add_argument("--json", action="store_true", help="one JSON object per message per line")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also print each rule's description and where it is defined",
    )
    dns = parser.add_argument_group("DNS checks (docs/dns.md)")
    dns.add_argument("--no-dns", action="store_true", help="make no DNS lookups")
    dns.add_argument(
        "--client-ip",
        type=_ip_address,
        metavar="IP",
        help="the SMTP client to assume (client blocklists, SPF; private and "
        "documentation addresses are never looked up)",
    )
    dns.add_argument("--helo", metavar="NAME", help="the HELO name to assume (SPF)")
    dns.add_argument("--mail-from", metavar="ADDRESS", help="the envelope sender to assume")
    parser.set_defaults(func=run_check)


def _ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r}") from None


def run_check(args: argparse.Namespace) -> int:
    config, engine = engine_from_args(args)
    checker = None
    if not args.no_dns and config.dns.enabled:
        checker = DnsChecker.from_config(config, engine.ruleset)
    envelope = None
    if args.client_ip or args.helo or args.mail_from:
        envelope = Envelope(client_ip=args.client_ip, helo=args.helo, mail_from=args.mail_from)
    status = EXIT_OK
    out = sys.stdout
    for item in iter_messages(args.paths):
        if item.raw is None:
            print(f"extortion-milter: {item.path}: {item.error}", file=sys.stderr)
            status = EXIT_INPUT
            continue
        if checker is None:
            verdict = engine.scan(item.raw, envelope)
        else:
            facts = engine.prepare(item.raw)
            external = lookup_once(
                checker,
                facts,
                args.client_ip,
                args.helo,
                envelope_sender_for_check(facts, args.mail_from),
            )
            verdict = engine.decide(facts, envelope, external)
        if args.json:
            record = {"path": item.path, **verdict.to_dict()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            _print_human(out, item.path, verdict, engine_sources(engine) if args.explain else None)
    if checker is not None:
        checker.close()
    return status


def engine_sources(engine: Engine) -> dict[str, str]:
    return {rule.info.id: rule.info.source for rule in engine.ruleset.all_rules}


def _print_human(out: TextIO, path: str, verdict: Verdict, sources: dict[str, str] | None) -> None:
    t = verdict.thresholds
    out.write(f"== {one_line(path, 300)}\n")
    out.write(
        f"Action: {verdict.action.value:<10} Score: {verdict.score:.1f}   "
        f"(tag {t['tag']:g} / quarantine {t['quarantine']:g} / reject {t['reject']:g})\n"
    )
    if verdict.hits:
        out.write("\n pts rule                           evidence\n")
        out.write("---- ------------------------------ ----------------------------------------\n")
        for hit in verdict.hits:
            out.write(f"{hit.score:4.1f} {hit.rule_id:<30} {one_line(hit.evidence, 60)}\n")
            if sources is not None:
                out.write(
                    f"     {'':<30} {one_line(hit.description, 100)} "
                    f"[{sources.get(hit.rule_id, '')}]\n"
                )
    else:
        out.write("No rules fired.\n")
    for address in verdict.addresses:
        state = "valid" if address.valid else "checksum fails"
        where = ", in a URL" if address.in_url else ""
        out.write(
            f"Address: {address.currency} {one_line(address.address, 110)} ({state}{where})\n"
        )
    for note in verdict.notes:
        out.write(f"Note: {one_line(note, 200)}\n")
    out.write("\n")
