"""Verdict + config -> the actions for one message. Pure: no libmilter, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config.schema import Config
from ..engine.types import Action, Verdict
from . import headers
from .types import (
    Accept,
    AddHeader,
    ChangeHeader,
    Disposition,
    HeaderEdit,
    Plan,
    Quarantine,
    Reject,
    RemoveHeader,
    TempFail,
)

_RANK = {Action.ACCEPT: 0, Action.TAG: 1, Action.QUARANTINE: 2, Action.REJECT: 3}


@dataclass(frozen=True)
class HeaderFacts:
    """What the planner needs to know about the incoming headers."""

    queue_id: str | None
    subject: str | None  # first Subject value as received (None: no Subject header)
    # Incoming headers named like ours, as (name as received, 1-based index among that name).
    our_headers: Sequence[tuple[str, int]] = ()


def at_least(action: Action, floor: Action) -> bool:
    return _RANK[action] >= _RANK[floor]


def plan_actions(verdict: Verdict, config: Config, facts: HeaderFacts) -> Plan:
    applied = verdict.action
    if config.mode == "monitor" and at_least(applied, Action.QUARANTINE):
        applied = Action.TAG  # monitor: whatever the score, the message is delivered
    flagged = at_least(verdict.action, Action.TAG)

    disposition: Disposition
    if applied is Action.REJECT:
        text = headers.reply_text(config.reject.message, facts.queue_id)
        # A rejected message is never stored anywhere, so editing it would be wasted work.
        return Plan((), Reject("550", "5.7.1", text), verdict.action, applied)
    if applied is Action.QUARANTINE:
        disposition = Quarantine(quarantine_reason(verdict))
    else:
        disposition = Accept()

    edits: list[HeaderEdit] = list(remove_forged(facts.our_headers))
    if config.tag.add_headers:
        edits.append(AddHeader(headers.SCORE_HEADER, headers.score_text(verdict.score)))
        edits.append(AddHeader(headers.STATUS_HEADER, headers.status_value(verdict, flagged)))
    if flagged and config.tag.subject_prefix.strip():
        new_subject = headers.prefixed_subject(config.tag.subject_prefix, facts.subject)
        if new_subject is not None:
            if facts.subject is None:
                edits.append(AddHeader("Subject", new_subject))
            else:
                edits.append(ChangeHeader("Subject", 1, new_subject))
    return Plan(tuple(edits), disposition, verdict.action, applied)


def remove_forged(our_headers: Sequence[tuple[str, int]]) -> list[RemoveHeader]:
    """Delete incoming X-Extortion-* headers, highest index first per name.

    A sender could otherwise write `X-Extortion-Status: No` and fool a downstream filter
    or a user's mail rule that trusts our header.
    """
    ordered = sorted(our_headers, key=lambda item: (item[0].lower(), -item[1]))
    return [RemoveHeader(name, index) for name, index in ordered]


def quarantine_reason(verdict: Verdict) -> str:
    rules = ",".join(verdict.rule_ids[:20]) or "none"
    return headers.one_line(
        f"extortion-milter score={headers.score_text(verdict.score)} rules={rules}"
    )[:500]


def release_plan(facts: HeaderFacts) -> Plan:
    """A message the admin released from the quarantine store (its one-time token checked):
    delivered unscanned, with every X-Extortion-* header, the spent token too, removed."""
    return Plan(tuple(remove_forged(facts.our_headers)), Accept(), Action.ACCEPT, Action.ACCEPT)


def error_plan(on_error: str, facts: HeaderFacts) -> Plan:
    """What to do when scanning failed: accept untouched, or make the sender retry."""
    if on_error == "tempfail":
        text = headers.reply_text(
            "Temporary failure scanning the message, please retry (ref {queue_id})",
            facts.queue_id,
        )
        return Plan((), TempFail("451", "4.3.0", text), Action.ACCEPT, Action.ACCEPT)
    return Plan((), Accept(), Action.ACCEPT, Action.ACCEPT)
