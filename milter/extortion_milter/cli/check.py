"""`extortion-milter check`: scan messages with the milter's own engine and say why."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ..engine.engine import Engine
from ..engine.types import Verdict
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
could not be read; 2 for a bad config or rule file."""

EPILOG = """\
examples:
  extortion-milter check suspicious.eml
  extortion-milter check --explain ~/Maildir/.Junk/cur
  extortion-milter check --json /var/mail/alice | jq 'select(.action != "accept")'
  extortion-milter check -o thresholds.reject=20 message.eml"""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "check", parents=[common], help="scan message files and print verdicts",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="message, directory, mbox or -")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per message per line")
    parser.add_argument("--explain", action="store_true",
                        help="also print each rule's description and where it is defined")
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    _config, engine = engine_from_args(args)
    status = EXIT_OK
    out = sys.stdout
    for item in iter_messages(args.paths):
        if item.raw is None:
            print(f"extortion-milter: {item.path}: {item.error}", file=sys.stderr)
            status = EXIT_INPUT
            continue
        verdict = engine.scan(item.raw)
        if args.json:
            record = {"path": item.path, **verdict.to_dict()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            _print_human(out, item.path, verdict, engine_sources(engine) if args.explain else None)
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
                out.write(f"     {'':<30} {one_line(hit.description, 100)} [{sources.get(hit.rule_id, '')}]\n")
    else:
        out.write("No rules fired.\n")
    for address in verdict.addresses:
        state = "valid" if address.valid else "checksum fails"
        where = ", in a URL" if address.in_url else ""
        out.write(f"Address: {address.currency} {one_line(address.address, 110)} ({state}{where})\n")
    for note in verdict.notes:
        out.write(f"Note: {one_line(note, 200)}\n")
    out.write("\n")
