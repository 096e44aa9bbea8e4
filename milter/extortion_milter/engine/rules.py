"""Compiled rules: what the config layer builds from YAML and the engine runs.

Patterns are compiled with RE2, which matches in linear time, so no rule an admin writes
can make a message take exponential time; constructs RE2 cannot run (look-around,
back-references) are refused when the rules load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from .meta import Node

TARGETS = ("subject", "body", "all", "headers")
HEADER_TARGET_PREFIX = "header:"

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print parse errors to stderr; we report them ourselves
_OPTIONS.case_sensitive = False
_OPTIONS.max_mem = 8 << 20  # per pattern; a pathological alternation fails to compile, not to run


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str) -> Any:
    """Compile one RE2 pattern, case-insensitive; raise PatternError with RE2's reason."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"invalid RE2 pattern {pattern!r}: {reason}") from None


def check_pattern(pattern: str) -> None:
    """Raise PatternError unless RE2 can parse `pattern`.

    Only parses (about a tenth of a full compile with Unicode case folding): the pattern
    is compiled for real inside its matcher set, and alone only if a rule ever fires.
    """
    probe = re2.Set.SearchSet(_OPTIONS)
    try:
        probe.Add(pattern)
    except re2.error:
        compile_pattern(pattern)  # for RE2's own words about what is wrong
        raise PatternError(f"invalid RE2 pattern {pattern!r}") from None


def _is_word_char(char: str) -> bool:
    # CJK and kana have no spaces between words, so a boundary there would never match.
    return char.isalnum() and ord(char) < 0x2E80


def phrase_to_pattern(phrase: str) -> str:
    """A literal phrase as an RE2 pattern: any white space run between words, and
    Unicode-aware word boundaries (RE2's \\b only knows ASCII)."""
    words = phrase.split()
    body = r"\s+".join(re2.escape(word) for word in words)
    if words and _is_word_char(words[0][0]):
        body = r"(?:^|[^\pL\pN_])" + body
    if words and _is_word_char(words[-1][-1]):
        body = body + r"(?:$|[^\pL\pN_])"
    return body


@dataclass(frozen=True)
class RuleInfo:
    id: str
    description: str
    score: float
    family: str | None
    tags: tuple[str, ...]
    source: str  # file:line, for lint and --explain
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    language: str | None = None  # from the pack's `language:`; None reads every message


@dataclass(frozen=True)
class RegexAtom:
    info: RuleInfo
    target: str  # one of TARGETS or "header:Name"
    patterns: tuple[str, ...]  # RE2 source, phrases already converted
    leet: bool = False


@dataclass(frozen=True)
class BuiltinAtom:
    info: RuleInfo
    builtin: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetaRule:
    info: RuleInfo
    expr_source: str
    expr: Node


Rule = RegexAtom | BuiltinAtom | MetaRule


@dataclass(frozen=True)
class RuleSet:
    """Every enabled rule, metas in dependency order, plus a version for logs and headers."""

    regex_atoms: tuple[RegexAtom, ...]
    builtin_atoms: tuple[BuiltinAtom, ...]
    metas: tuple[MetaRule, ...]  # topologically sorted: a meta comes after what it reads
    version: str

    @property
    def all_rules(self) -> Sequence[Rule]:
        return (*self.regex_atoms, *self.builtin_atoms, *self.metas)


def ruleset_version(sources: Sequence[bytes]) -> str:
    digest = hashlib.sha256()
    for blob in sources:
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()[:12]
