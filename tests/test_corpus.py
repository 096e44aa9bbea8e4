"""The labelled corpus: every extortion message is flagged, every ham message accepted.

A regression case is one new file in tests/corpus/extortion/ or tests/corpus/ham/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.engine.engine import Engine
from extortion_milter.engine.types import Action

from .conftest import CORPUS


def corpus_files(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.is_file() and p.suffix == ".eml")


def test_corpus_is_big_enough() -> None:
    assert len(corpus_files("extortion")) >= 40
    assert len(corpus_files("ham")) >= 40


@pytest.mark.parametrize("path", corpus_files("extortion"), ids=lambda p: p.name)
def test_extortion_is_flagged(shipped_engine: Engine, path: Path) -> None:
    verdict = shipped_engine.scan(path.read_bytes())
    assert verdict.action is not Action.ACCEPT, (verdict.score, verdict.rule_ids)


@pytest.mark.parametrize("path", corpus_files("ham"), ids=lambda p: p.name)
def test_ham_is_accepted(shipped_engine: Engine, path: Path) -> None:
    verdict = shipped_engine.scan(path.read_bytes())
    assert verdict.action is Action.ACCEPT, (verdict.score, verdict.rule_ids)
