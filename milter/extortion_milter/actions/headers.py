"""Header values we write: safe for the MTA and for every reader downstream.

libmilter does not check what a milter adds; a CR, LF or NUL in a value would corrupt the
queue file or inject a header. Values are reduced to one logical line, folded only where
we fold them, and kept under the RFC 5322 line limit.
"""

from __future__ import annotations

import re

from ..engine.types import Action, Verdict

OUR_HEADER_PREFIX = "x-extortion-"
SCORE_HEADER = "X-Extortion-Score"
STATUS_HEADER = "X-Extortion-Status"
FOLD_AT = 76  # RFC 5322 recommends lines of at most 78 characters
MAX_RULE_IDS = 40  # beyond this the header says how many more there were
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_NON_REPLY = re.compile(r"[^\x20-\x7e]+")


def is_our_header(name: str) -> bool:
    return name.lower().startswith(OUR_HEADER_PREFIX)


def one_line(text: str) -> str:
    """`text` with every run of control characters (CR, LF, TAB, NUL...) made one space."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from 8-bit input
    return _CONTROL.sub(" ", text).strip()


def fold(words: list[str], first_line_used: int) -> str:
    """Join `words` with spaces, folding with LF+TAB (how milters express folding)."""
    out: list[str] = []
    width = first_line_used
    for word in words:
        if out and width + 1 + len(word) > FOLD_AT:
            out.append("\n\t" + word)
            width = 8 + len(word)
        else:
            out.append((" " if out else "") + word)
            width += len(word) + (1 if len(out) > 1 else 0)
    return "".join(out)


def score_text(score: float) -> str:
    return f"{score:.1f}" if score == round(score, 1) else f"{score:.2f}"


def status_value(verdict: Verdict, flagged: bool) -> str:
    """`Yes, score=12.0 required=5.0 action=quarantine tests=A,B` (SpamAssassin style)."""
    ids = [one_line(rule_id).replace(" ", "_") for rule_id in verdict.rule_ids]
    shown = ids[:MAX_RULE_IDS]
    if len(ids) > len(shown):
        shown.append(f"+{len(ids) - len(shown)}_more")
    words = [
        "Yes," if flagged else "No,",
        f"score={score_text(verdict.score)}",
        f"required={score_text(verdict.required)}",
    ]
    if verdict.action is not Action.ACCEPT:
        words.append(f"action={verdict.action.value}")
    # Rule ids as one comma list, broken into several words only so it can be folded.
    tests = "tests=" + (",".join(shown) if shown else "none")
    words.extend(_split_list(tests))
    if verdict.ruleset_version:
        words.append("version=" + one_line(verdict.ruleset_version).replace(" ", "_")[:64])
    return fold(words, len(STATUS_HEADER) + 2)


def _split_list(text: str) -> list[str]:
    """Break a long comma list after commas so no piece is wider than a folded line."""
    pieces: list[str] = []
    current = ""
    for item in text.split(","):
        candidate = f"{current},{item}" if current else item
        if current and len(candidate) > FOLD_AT - 10:
            pieces.append(current + ",")
            current = item
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def prefixed_subject(prefix: str, subject: str | None) -> str | None:
    """The new Subject, or None when it already carries the prefix (no double tagging)."""
    prefix = one_line(prefix)
    if subject is None:
        return prefix
    # Keep the original folding (LF + white space) but nothing else that breaks a line.
    original = subject.encode("utf-8", "replace").decode("utf-8")
    original = original.replace("\r\n", "\n").replace("\r", " ").replace("\x00", "")
    original = re.sub(r"\n(?![ \t])", "\n ", original)  # a bare LF must stay a fold
    if original.lstrip().startswith(prefix):
        return None
    return f"{prefix} {original}" if original else prefix


def reply_text(template: str, queue_id: str | None) -> str:
    """SMTP reply text: printable ASCII, no `%` (libmilter treats it as a format), bounded."""
    text = template.replace("{queue_id}", queue_id or "unknown")
    text = _NON_REPLY.sub(" ", text).replace("%", " ").strip()
    return text[:400] or "Message refused"
