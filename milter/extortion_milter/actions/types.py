"""Typed milter actions: what to do to one message, as plain data.

The planner produces these without touching libmilter, so the decision can be unit tested
and logged; the adapter is the only place that turns them into libmilter calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.types import Action


@dataclass(frozen=True)
class AddHeader:
    name: str
    value: str


@dataclass(frozen=True)
class ChangeHeader:
    name: str
    index: int  # 1-based occurrence of `name` among the message's headers
    value: str


@dataclass(frozen=True)
class RemoveHeader:
    name: str
    index: int  # 1-based occurrence; remove higher indexes first so lower ones stay valid


@dataclass(frozen=True)
class Accept:
    """Let the message through (with whatever header edits came before)."""


@dataclass(frozen=True)
class Quarantine:
    reason: str  # given to the quarantine backend; for `hold`, to smfi_quarantine


@dataclass(frozen=True)
class Reject:
    code: str  # "550"
    xcode: str  # "5.7.1"
    text: str


@dataclass(frozen=True)
class TempFail:
    code: str  # "451"
    xcode: str  # "4.3.0"
    text: str


HeaderEdit = AddHeader | ChangeHeader | RemoveHeader
Disposition = Accept | Quarantine | Reject | TempFail
MilterAction = HeaderEdit | Disposition


@dataclass(frozen=True)
class Plan:
    """Header edits to apply, then one disposition."""

    edits: tuple[HeaderEdit, ...]
    disposition: Disposition
    verdict_action: Action  # what the thresholds say
    applied_action: Action  # what is done: in monitor mode never more than TAG

    @property
    def actions(self) -> list[MilterAction]:
        return [*self.edits, self.disposition]
