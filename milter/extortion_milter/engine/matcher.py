"""Runs every pattern atom over a message in one pass per text.

All patterns that read the same text go into one RE2 set, so the text is scanned once
however many rules there are; only atoms the set reports are searched again, alone, to
cut out their evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import re2

from .rules import RegexAtom, compile_pattern

_SET_OPTIONS = re2.Options()
_SET_OPTIONS.log_errors = False
_SET_OPTIONS.case_sensitive = False
_SET_OPTIONS.max_mem = 256 << 20  # the lazily built DFA of a few hundred patterns needs room

EVIDENCE_CHARS = 80


@dataclass(frozen=True)
class _Entry:
    atom: RegexAtom
    regexes: tuple[Any, ...]


class TargetMatcher:
    """The atoms reading one target, compiled into one RE2 set."""

    def __init__(self, atoms: Iterable[RegexAtom]) -> None:
        self._entries: list[_Entry] = []
        self._pattern_owner: list[int] = []
        self._set = re2.Set.SearchSet(_SET_OPTIONS)
        for atom in atoms:
            entry_index = len(self._entries)
            self._entries.append(_Entry(atom, tuple(compile_pattern(p) for p in atom.patterns)))
            for pattern in atom.patterns:
                self._set.Add(pattern)
                self._pattern_owner.append(entry_index)
        self.empty = not self._pattern_owner
        if not self.empty:
            self._set.Compile()

    def match(self, text: str, skip: Callable[[str], bool]) -> dict[str, str]:
        """Evidence per atom id of every atom that matches `text` and is not skipped."""
        if self.empty or not text:
            return {}
        found: dict[str, str] = {}
        for pattern_index in self._set.Match(text) or ():
            entry = self._entries[self._pattern_owner[pattern_index]]
            rule_id = entry.atom.info.id
            if rule_id in found or skip(rule_id):
                continue
            found[rule_id] = _evidence(entry.regexes, text)
        return found


def _evidence(regexes: tuple[Any, ...], text: str) -> str:
    for regex in regexes:
        match = regex.search(text)
        if match is not None:
            snippet = " ".join(match.group(0).split())
            return snippet[:EVIDENCE_CHARS]
    return ""
