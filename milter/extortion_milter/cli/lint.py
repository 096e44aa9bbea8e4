"""`extortion-milter lint`: load config and rules strictly, then run every rule's examples."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from email.message import EmailMessage
from email.policy import SMTPUTF8

from ..engine.engine import Engine
from ..engine.rules import MetaRule, RegexAtom, Rule
from ..sanitize import one_line
from .common import EXIT_CONFIG, EXIT_OK, engine_from_args

DESCRIPTION = """\
Check the config and every rule file (shipped packs, rules.paths and the local override
directory): unknown keys, wrong types, bad RE2 patterns, unknown rules or families in meta
expressions and meta cycles are reported as file:line: key: message.

Then run each rule's examples through the full engine: a `match` example must make the
rule fire, a `no_match` example must not. Exit status 0 when everything passes, 1 when an
example fails, 2 for config or rule errors."""


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "lint",
        parents=[common],
        help="validate config and rules, run rule examples",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    parser.set_defaults(func=run_lint)


_WHOLE_MESSAGE = re.compile(r"[A-Za-z][A-Za-z0-9-]*:[^\n]*\n(?:[^\n]+\n)*\n", re.ASCII)


def example_message(rule: Rule, text: str) -> bytes:
    """A synthetic message with `text` where the rule looks for it; an example that starts
    with a header block (`From: ...` lines, then an empty line) is used as the whole
    message, for rules about headers, structure or HTML."""
    if _WHOLE_MESSAGE.match(text):
        return text.encode("utf-8")
    message = EmailMessage(policy=SMTPUTF8)
    message["From"] = "Sender <sender@example.net>"
    message["To"] = "Recipient <recipient@example.org>"
    message["Message-ID"] = "<lint-example@extortion-milter.invalid>"
    body = text
    subject = "Hello"
    if isinstance(rule, RegexAtom):
        if rule.target == "subject":
            subject, body = text, "Hello."
        elif rule.target.startswith("header:"):
            message[rule.target.partition(":")[2]] = text
            body = "Hello."
        elif rule.target == "headers":
            name, _, value = text.partition(":")
            message[name.strip() or "X-Example"] = value.strip()
            body = "Hello."
    message["Subject"] = subject
    message.set_content(body, cte="8bit")
    return message.as_bytes()


def check_examples(engine: Engine) -> list[str]:
    """A failure line per example whose outcome is wrong."""
    failures: list[str] = []
    for rule in engine.ruleset.all_rules:
        info = rule.info
        for expected, examples in ((True, info.examples_match), (False, info.examples_no_match)):
            for text in examples:
                verdict = engine.scan(example_message(rule, text))
                fired = info.id in verdict.rule_ids
                if fired != expected:
                    want = "match" if expected else "not match"
                    failures.append(
                        f"{info.source}: {info.id}: example should {want}: {one_line(text, 80)!r}"
                        + (
                            f" (fired: {', '.join(verdict.rule_ids) or 'nothing'})"
                            if isinstance(rule, MetaRule)
                            else ""
                        )
                    )
    return failures


def run_lint(args: argparse.Namespace) -> int:
    config, engine = engine_from_args(args)
    rules = engine.ruleset.all_rules
    examples = sum(len(r.info.examples_match) + len(r.info.examples_no_match) for r in rules)
    failures = check_examples(engine)
    for line in failures:
        print(line, file=sys.stderr)
    if not args.quiet or failures:
        print(
            f"config {config.source}: ok; {len(rules)} rules (ruleset {engine.ruleset_version}); "
            f"{examples} examples, {len(failures)} failed"
        )
    if not args.quiet:
        # Where the rules came from: the files rules.paths can list.
        counts = Counter(r.info.source.rpartition(":")[0] for r in rules)
        for path, count in sorted(counts.items()):
            print(f"  {path}: {count} rules")
    return 1 if failures else EXIT_OK


__all__ = ["EXIT_CONFIG", "add_parser", "check_examples", "example_message"]
