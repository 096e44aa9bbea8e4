"""The engine on small, purpose-written rule sets: matching, scoring and actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.config.rulefiles import load_ruleset
from extortion_milter.engine.engine import Engine, _Texts
from extortion_milter.engine.facts import ScanFacts
from extortion_milter.engine.limits import Limits
from extortion_milter.engine.message import ParsedMessage
from extortion_milter.engine.normalize import fold_leet, strip_accents
from extortion_milter.engine.types import Action

RULES = """\
rules:
  - id: T_REC
    family: recording
    phrases: [recorded you]
    leet: true
  - id: T_WEBCAM
    family: recording
    phrases: [webcam]
  - id: T_PAY
    family: payment
    patterns: ['send (me )?\\d+ ?(btc|bitcoin)']
    leet: true
  - id: T_RU_THREAT
    family: threat
    phrases: [отправлю видео]
  - id: T_JA_THREAT
    family: threat
    phrases: [動画を送ります]
  - id: T_SUBJECT
    target: subject
    phrases: [you are hacked]
    score: 1
  - id: T_HEADER
    target: header:X-Mailer
    phrases: [bulk blaster]
    score: 0.5
  - id: T_META
    expr: count(recording, payment, threat) >= 2
    score: 11
  - id: T_MORE
    expr: T_META && threat
    score: 5
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(RULES)
    return Engine(load_ruleset([path], None), {"tag": 5, "quarantine": 10, "reject": 15}, Limits())


def message(body: str, subject: str = "Hello", extra: str = "") -> bytes:
    return (
        f"From: a@example.net\nTo: b@example.org\nSubject: {subject}\n{extra}"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n" + body + "\n"
    ).encode()


def fired(engine: Engine, raw: bytes) -> set[str]:
    return set(engine.scan(raw).rule_ids)


def test_plain_ham_is_accepted_with_no_hits(engine: Engine) -> None:
    verdict = engine.scan(message("Lunch on Friday?"))
    assert verdict.action is Action.ACCEPT
    assert verdict.score == 0
    assert verdict.hits == ()


def test_evidence_is_cut_from_the_text_after_non_ascii(engine: Engine) -> None:
    # Evidence is searched in UTF-8: the characters before it take several bytes each.
    verdict = engine.scan(message("Grüße 😀 Привет — я r3c0rded   you. Send   me 2 bitcoin"))
    evidence = {hit.rule_id: hit.evidence for hit in verdict.hits}
    assert evidence["T_REC"] == "recorded you."  # a phrase ends with its boundary
    assert evidence["T_PAY"] == "Send me 2 bitcoin"


def test_meta_scores_and_picks_quarantine(engine: Engine) -> None:
    verdict = engine.scan(message("I recorded you. Send me 2 BTC."))
    assert {"T_REC", "T_PAY", "T_META"} <= set(verdict.rule_ids)
    assert verdict.score == 11
    assert verdict.action is Action.QUARANTINE
    meta = next(h for h in verdict.hits if h.rule_id == "T_META")
    assert meta.evidence == "payment, recording"
    assert verdict.hits[0].rule_id == "T_META"  # highest score first


def test_chained_meta_reaches_reject(engine: Engine) -> None:
    verdict = engine.scan(message("I recorded you. Я отправлю видео."))
    assert {"T_META", "T_MORE"} <= set(verdict.rule_ids)
    assert verdict.score == 16
    assert verdict.action is Action.REJECT


def test_tag_threshold(engine: Engine) -> None:
    assert engine.action_for(5) is Action.TAG
    assert engine.action_for(4.99) is Action.ACCEPT
    assert engine.action_for(15) is Action.REJECT


def test_phrase_is_case_and_space_insensitive_but_word_bounded(engine: Engine) -> None:
    assert "T_REC" in fired(engine, message("I   RECORDED\n  You yesterday"))
    assert "T_REC" not in fired(engine, message("unrecorded youth"))


def test_unicode_phrases_have_word_boundaries(engine: Engine) -> None:
    assert "T_RU_THREAT" in fired(engine, message("Я ОТПРАВЛЮ ВИДЕО всем"))
    assert "T_RU_THREAT" not in fired(engine, message("отправлю видеокарту"))
    assert "T_JA_THREAT" in fired(engine, message("あなたの友達に動画を送ります。"))


def test_leet_only_for_rules_that_ask(engine: Engine) -> None:
    hits = fired(engine, message("I rec0rded y0u and my w3bcam"))
    assert "T_REC" in hits
    assert "T_WEBCAM" not in hits


def test_targets_subject_and_header(engine: Engine) -> None:
    assert "T_SUBJECT" in fired(engine, message("hi", subject="You are hacked!"))
    assert "T_SUBJECT" not in fired(engine, message("you are hacked"))
    assert "T_HEADER" in fired(engine, message("hi", extra="X-Mailer: Bulk Blaster 3\n"))


def test_verdict_json_shape(engine: Engine) -> None:
    data = engine.scan(message("I recorded you. Send me 2 BTC.")).to_dict()
    assert data["action"] == "quarantine"
    assert {"id": "T_META", "score": 11.0, "evidence": "payment, recording"} in data["rules"]
    assert data["crypto_addresses"] == []


def test_text_cap_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULES)
    small = Engine(
        load_ruleset([path], None),
        {"tag": 5, "quarantine": 10, "reject": 15},
        Limits(max_text_chars=100),
    )
    verdict = small.scan(message("word " * 100 + "I recorded you"))
    assert "T_REC" not in verdict.rule_ids
    assert any("truncated at 100 characters" in note for note in verdict.notes)


NEGATED_METAS = """\
rules:
  - id: T_PAY
    family: payment
    phrases: [send bitcoin]
  - id: T_NO_PAYMENT
    expr: "!payment"
    score: 1
  - id: T_FEW
    expr: count(payment, T_NOPE) < 1
    score: 1
  - id: T_PAY_ONLY
    expr: payment && !T_NOPE
    score: 1
  - id: T_NOPE
    phrases: [zq-never-zq]
"""


def test_metas_true_with_nothing_fired_are_still_evaluated(tmp_path: Path) -> None:
    # Metas are skipped when none of their names fired, unless they can be true that way.
    path = tmp_path / "r.yaml"
    path.write_text(NEGATED_METAS)
    negated = Engine(load_ruleset([path], None), {"tag": 5, "quarantine": 10, "reject": 15},
                     Limits())
    assert fired(negated, message("nothing here")) == {"T_NO_PAYMENT", "T_FEW"}
    assert fired(negated, message("please send bitcoin")) == {"T_PAY", "T_PAY_ONLY"}


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("b1tc0in", "a_1 x"),  # leet next to a letter only in the subject: body "a_1" folds
        ("plain", "a_1 and p4y"),
        ("plain", "a_1 only"),  # nothing next to a letter anywhere: nothing folds
        ("bítcöin", "wébcam r3corded"),
        ("", "p0rn"),
        ("s3x", ""),
    ],
)
def test_texts_fold_all_as_one_text(subject: str, body: str) -> None:
    facts = ScanFacts(ParsedMessage([], subject, [], []), subject, body, [])
    texts = _Texts(facts)
    for target, text in (("all", subject + "\n" + body), ("subject", subject), ("body", body)):
        assert texts.plain(target) == text
        assert texts.folded(target) == fold_leet(strip_accents(text))
        assert texts.encoded_folded(target) == texts.folded(target).encode()
