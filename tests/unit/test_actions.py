"""Verdict + config -> typed milter actions, without libmilter."""

from __future__ import annotations

from dataclasses import replace

import pytest

from extortion_milter.actions import (
    Accept,
    AddHeader,
    ChangeHeader,
    HeaderFacts,
    HoldBackend,
    Quarantine,
    QuarantineOutcome,
    QuarantineRequest,
    Reject,
    RemoveHeader,
    TempFail,
    error_plan,
    make_backend,
    plan_actions,
)
from extortion_milter.actions.headers import fold, prefixed_subject, reply_text, status_value
from extortion_milter.config.schema import Config, QuarantineConfig, RejectConfig, TagConfig
from extortion_milter.engine.types import Action, Envelope, RuleHit, Verdict

CONFIG = Config()
FACTS = HeaderFacts(queue_id="4XyZ12", subject="Your account")


def verdict(score: float, action: Action, *rule_ids: str) -> Verdict:
    hits = tuple(RuleHit(r, score / max(len(rule_ids), 1), "evidence") for r in rule_ids)
    return Verdict(score=score, action=action, hits=hits, required=5.0, ruleset_version="r1")


def test_ham_gets_no_status_and_untouched_subject() -> None:
    plan = plan_actions(verdict(0.0, Action.ACCEPT), CONFIG, FACTS)
    assert plan.disposition == Accept()
    assert plan.edits == (
        AddHeader("X-Extortion-Score", "0.0"),
        AddHeader("X-Extortion-Status", "No, score=0.0 required=5.0 tests=none version=r1"),
    )


def test_tag_adds_yes_status_and_subject_prefix() -> None:
    plan = plan_actions(verdict(6.5, Action.TAG, "EN_A", "EN_B"), CONFIG, FACTS)
    assert plan.disposition == Accept() and plan.applied_action is Action.TAG
    assert AddHeader("X-Extortion-Score", "6.5") in plan.edits
    status = next(e for e in plan.edits if isinstance(e, AddHeader) and e.name.endswith("Status"))
    unfolded = status.value.replace("\n\t", " ")
    assert unfolded == "Yes, score=6.5 required=5.0 action=tag tests=EN_A,EN_B version=r1"
    assert ChangeHeader("Subject", 1, "[SUSPECTED EXTORTION] Your account") in plan.edits


def test_quarantine_tags_and_holds_with_a_reason() -> None:
    plan = plan_actions(verdict(12.0, Action.QUARANTINE, "META_X"), CONFIG, FACTS)
    assert plan.disposition == Quarantine("extortion-milter score=12.0 rules=META_X")
    assert ChangeHeader("Subject", 1, "[SUSPECTED EXTORTION] Your account") in plan.edits


def test_reject_refuses_with_the_queue_id_and_no_edits() -> None:
    plan = plan_actions(verdict(20.0, Action.REJECT, "META_X"), CONFIG, FACTS)
    assert plan.edits == ()
    assert plan.disposition == Reject(
        "550", "5.7.1", "Message refused as extortion spam (ref 4XyZ12)"
    )


def test_monitor_mode_never_holds_or_rejects_but_tags() -> None:
    config = replace(CONFIG, mode="monitor")
    for action in (Action.QUARANTINE, Action.REJECT):
        plan = plan_actions(verdict(20.0, action, "META_X"), config, FACTS)
        assert plan.disposition == Accept()
        assert (plan.verdict_action, plan.applied_action) == (action, Action.TAG)
        assert ChangeHeader("Subject", 1, "[SUSPECTED EXTORTION] Your account") in plan.edits


def test_forged_headers_are_removed_highest_index_first() -> None:
    facts = replace(FACTS, our_headers=(("X-Extortion-Status", 1), ("x-extortion-score", 1),
                                        ("X-EXTORTION-STATUS", 2)))
    plan = plan_actions(verdict(0.0, Action.ACCEPT), replace(
        CONFIG, tag=TagConfig(add_headers=False)), facts)
    assert plan.edits == (
        RemoveHeader("x-extortion-score", 1),
        RemoveHeader("X-EXTORTION-STATUS", 2),
        RemoveHeader("X-Extortion-Status", 1),
    )


def test_subject_prefix_off_or_already_there_or_no_subject() -> None:
    off = replace(CONFIG, tag=TagConfig(subject_prefix=""))
    plan = plan_actions(verdict(6.0, Action.TAG, "A"), off, FACTS)
    assert not [e for e in plan.edits if "Subject" in getattr(e, "name", "")]
    again = replace(FACTS, subject="[SUSPECTED EXTORTION] Your account")
    plan = plan_actions(verdict(6.0, Action.TAG, "A"), CONFIG, again)
    assert not [e for e in plan.edits if getattr(e, "name", "") == "Subject"]
    missing = replace(FACTS, subject=None)
    plan = plan_actions(verdict(6.0, Action.TAG, "A"), CONFIG, missing)
    assert AddHeader("Subject", "[SUSPECTED EXTORTION]") in plan.edits


def test_subject_keeps_its_folding_but_nothing_that_breaks_a_line() -> None:
    assert prefixed_subject("[X]", "a\n\tb") == "[X] a\n\tb"
    assert prefixed_subject("[X]", "a\r\nb\rc\x00d") == "[X] a\n b cd"
    assert prefixed_subject("[X\r\nBcc: evil@example.org]", "s") == "[X Bcc: evil@example.org] s"
    # undecodable input (lone surrogates) still gives valid UTF-8
    prefixed_subject("[X]", "caf\udce9").encode("utf-8")  # type: ignore[union-attr]


def test_reply_text_is_one_printable_line_without_percent() -> None:
    template = "Refused\r\n250 fake %s 100% (ref {queue_id}) é"
    assert reply_text(template, "ABC") == "Refused 250 fake  s 100  (ref ABC)"
    assert reply_text("ref {queue_id}", None) == "ref unknown"
    assert len(reply_text("x" * 5000, "Q")) == 400
    config = replace(CONFIG, reject=RejectConfig(message="{queue_id} {unknown} {0}"))
    plan = plan_actions(verdict(20.0, Action.REJECT, "A"), config, FACTS)
    assert isinstance(plan.disposition, Reject)
    assert plan.disposition.text == "4XyZ12 {unknown} {0}"


def test_long_status_is_folded_under_the_line_limit() -> None:
    ids = [f"A_RATHER_LONG_RULE_IDENTIFIER_{i:02d}" for i in range(60)]
    value = status_value(verdict(99.0, Action.REJECT, *ids), flagged=True)
    lines = ("X-Extortion-Status: " + value).split("\n")
    assert len(lines) > 5
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith("\t") for line in lines[1:])
    assert "\r" not in value and "+20_more" in value


def test_fold_keeps_short_values_on_one_line() -> None:
    assert fold(["a", "b", "c"], 10) == "a b c"


def test_control_characters_in_rule_ids_cannot_inject_headers() -> None:
    value = status_value(verdict(6.0, Action.TAG, "EVIL\r\nBcc: x@example.org"), flagged=True)
    assert "\r" not in value and "\nBcc" not in value


def test_error_plan_follows_on_error() -> None:
    assert error_plan("accept", FACTS).disposition == Accept()
    temp = error_plan("tempfail", FACTS).disposition
    assert isinstance(temp, TempFail) and temp.code == "451" and "4XyZ12" in temp.text


def test_hold_backend_asks_the_mta_to_hold() -> None:
    backend = make_backend(replace(CONFIG, quarantine=QuarantineConfig(backend="hold")))
    assert isinstance(backend, HoldBackend) and backend.name == "hold"
    request = QuarantineRequest(b"raw", True, verdict(12.0, Action.QUARANTINE, "A"),
                                Envelope(queue_id="Q"), "reason")
    assert backend.quarantine(request).outcome is QuarantineOutcome.HOLD


def test_the_default_backend_is_the_store() -> None:
    # Building it touches nothing on disk: the directory is made when the milter starts.
    backend = make_backend(CONFIG)
    assert backend.name == "store"


@pytest.mark.parametrize("score", [0.0, 5.0, 12.25, 100.0])
def test_score_header_is_a_plain_number(score: float) -> None:
    plan = plan_actions(verdict(score, Action.ACCEPT), CONFIG, FACTS)
    value = plan.edits[0].value  # type: ignore[union-attr]
    assert float(value) == score
