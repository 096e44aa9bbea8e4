"""`extortion-milter corpus-eval`: recall and false-positive rate on labelled mail.

A message is labelled by the folders above it: a folder named `extortion` (or `spam`)
means extortion, a folder whose name contains `ham` means legitimate mail. File names
`LANG-VARIANT-NNN.eml` (e.g. `de-webcam-003.eml`, `fr-ham-news-001.eml`) give the
language and variant for the tables; other names count as language "?".
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from ..engine.types import Action
from ..sanitize import one_line
from .common import EXIT_INPUT, EXIT_OK, engine_from_args
from .inputs import iter_messages

DESCRIPTION = __doc__

_NAME = re.compile(r"^(?:(?P<lang>[a-z]{2})-)?(?P<variant>[a-z0-9]+(?:-[a-z0-9]+)*?)-\d+\b")


@dataclass(frozen=True)
class Result:
    path: str
    extortion: bool
    language: str
    variant: str
    score: float
    action: Action
    rules: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.action is not Action.ACCEPT


def label_of(path: str, forced: str | None) -> bool | None:
    if forced:
        return forced == "extortion"
    for part in reversed(PurePath(path.split("#")[0]).parts[:-1]):
        if part in ("extortion", "spam"):
            return True
        if "ham" in part:
            return False
    return None


def language_and_variant(path: str) -> tuple[str, str]:
    name = PurePath(path.split("#")[0]).name
    match = _NAME.match(name)
    if not match:
        return "?", "other"
    variant = match.group("variant")
    language = match.group("lang")
    if language is None:
        # English files of the team corpus carry no prefix for ham ("ham-news-001").
        language = "en"
    return language, variant


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "corpus-eval",
        parents=[common],
        help="measure recall and false positives on labelled mail",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  extortion-milter corpus-eval tests/corpus ../shared/corpus/ham",
    )
    parser.add_argument("paths", nargs="+", metavar="DIR")
    parser.add_argument(
        "--label", choices=("extortion", "ham"), help="label every message so, whatever its folders"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run_corpus_eval)


def run_corpus_eval(args: argparse.Namespace) -> int:
    _config, engine = engine_from_args(args)
    results: list[Result] = []
    status = EXIT_OK
    for item in iter_messages(args.paths):
        if PurePath(item.path).name.startswith("README"):
            continue  # corpus folders document themselves
        label = label_of(item.path, args.label)
        if item.raw is None or label is None:
            reason = (
                item.error or "no label (put it under extortion/ or a *ham* folder, or use --label)"
            )
            print(f"extortion-milter: {item.path}: {reason}", file=sys.stderr)
            status = EXIT_INPUT
            continue
        verdict = engine.scan(item.raw)
        language, variant = language_and_variant(item.path)
        if not label:
            variant = "ham:" + variant.removeprefix("ham-")
        results.append(
            Result(
                item.path, label, language, variant, verdict.score, verdict.action, verdict.rule_ids
            )
        )
    summary = summarize(results)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_report(results, summary)
    return status


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def summarize(results: list[Result]) -> dict[str, object]:
    extortion = [r for r in results if r.extortion]
    ham = [r for r in results if not r.extortion]
    caught = sum(r.flagged for r in extortion)
    false_alarms = sum(r.flagged for r in ham)
    return {
        "extortion": len(extortion),
        "caught": caught,
        "recall_pct": _rate(caught, len(extortion)),
        "ham": len(ham),
        "false_positives": false_alarms,
        "false_positive_pct": _rate(false_alarms, len(ham)),
        "actions_extortion": dict(Counter(r.action.value for r in extortion)),
        "actions_ham": dict(Counter(r.action.value for r in ham)),
        "misses": [r.path for r in extortion if not r.flagged],
        "false_alarms": [r.path for r in ham if r.flagged],
    }


def _table(title: str, results: Iterable[Result], key: str) -> list[str]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        groups[getattr(result, key)].append(result)
    lines = [
        f"{title:<26} {'extortion':>9} {'caught':>7} {'recall':>7} "
        f"{'ham':>5} {'FP':>4} {'FP rate':>8}"
    ]
    for name in sorted(groups):
        rows = groups[name]
        spam = [r for r in rows if r.extortion]
        ham = [r for r in rows if not r.extortion]
        caught = sum(r.flagged for r in spam)
        fps = sum(r.flagged for r in ham)
        lines.append(
            f"{name:<26} {len(spam):>9} {caught:>7} {_rate(caught, len(spam)):>6.1f}% "
            f"{len(ham):>5} {fps:>4} {_rate(fps, len(ham)):>7.2f}%"
        )
    return lines


def _histogram(results: list[Result]) -> list[str]:
    """Score distribution of extortion vs ham, so admins can see where thresholds fall."""
    edges = [float("-inf"), 0, 2.5, 5, 7.5, 10, 12.5, 15, 20, 30, float("inf")]
    lines = [f"{'score':<14} {'extortion':>9} {'ham':>6}"]
    for low, high in itertools.pairwise(edges):
        spam = sum(1 for r in results if r.extortion and low <= r.score < high)
        ham = sum(1 for r in results if not r.extortion and low <= r.score < high)
        label = f"[{low:g}, {high:g})".replace("-inf", "-∞").replace("inf", "∞")
        lines.append(f"{label:<14} {spam:>9} {ham:>6}")
    return lines


def print_report(results: list[Result], summary: dict[str, object]) -> None:
    out = [
        f"extortion messages: {summary['extortion']}, flagged {summary['caught']} "
        f"(recall {summary['recall_pct']}%)",
        f"ham messages:       {summary['ham']}, flagged {summary['false_positives']} "
        f"(false-positive rate {summary['false_positive_pct']}%)",
        f"actions on extortion: {summary['actions_extortion']}",
        f"actions on ham:       {summary['actions_ham']}",
        "",
        *_table("language", results, "language"),
        "",
        *_table("variant", results, "variant"),
        "",
        *_histogram(results),
    ]
    misses = [r for r in results if r.extortion and not r.flagged]
    false_alarms = [r for r in results if not r.extortion and r.flagged]
    for title, rows in (("missed extortion", misses), ("false alarms", false_alarms)):
        out.append("")
        out.append(f"{title}: {len(rows)}")
        for r in rows:
            out.append(f"  {r.score:6.1f} {r.action.value:<10} {one_line(r.path, 90)}")
            out.append(f"         {one_line(' '.join(r.rules), 150)}")
    print("\n".join(out))
