"""The shipped rules on their defaults: every corpus message's fate through a real Postfix
wired to `extortion-milter run` is what `check` says for the same file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extortion_milter.config.build import build_engine
from extortion_milter.config.loader import load_config
from extortion_milter.dns import DnsChecker, envelope_sender_for_check, lookup_once
from extortion_milter.engine.types import Action
from extortion_milter.testing.fates import Fate, expected_fate, send_batch
from extortion_milter.testing.stack import PostfixStack

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def default_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostfixStack]:
    workdir = tmp_path_factory.mktemp("defaults")
    empty = workdir / "config.yaml"
    empty.write_text("# the built-in defaults, nothing else\n")
    # No site overrides: this machine's /etc/extortion-milter/local.d must not count. The
    # harness keeps the store (the default backend) and decision log in `workdir`.
    with PostfixStack(workdir, config=empty, overrides=["rules.local_dir="]) as running:
        assert running.store_dir == workdir / "quarantine"
        yield running


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*/*.eml"))
    assert len(files) > 50, f"the labelled corpus is missing from {CORPUS}"
    return files


@pytest.mark.timeout(1200)  # the whole corpus is scanned twice (check, then the milter)
def test_fates_match_check_on_the_whole_corpus(default_stack: PostfixStack) -> None:
    config = load_config(None, ["rules.local_dir="])
    engine = build_engine(config)
    checker = DnsChecker.from_config(config) if config.dns.enabled else None
    expected: dict[str, Action] = {}
    batch = []
    try:
        for path in corpus_files():
            name = f"{path.parent.name}/{path.name}"
            raw = path.read_bytes()
            facts = engine.prepare(raw)
            sender = envelope_sender_for_check(facts, None) or "sender@example.org"
            # What `extortion-milter check FILE` computes, with the sender we will send as.
            external = lookup_once(checker, facts, None, None, sender) if checker else {}
            expected[name] = engine.decide(facts, None, external).action
            batch.append((name, raw, sender))
    finally:
        if checker is not None:
            checker.close()
    outcomes = send_batch(default_stack.postfix, batch, store_dir=default_stack.store_dir)
    mismatches = [
        f"{o.name}: check says {expected[o.name].value}, Postfix: {o.fate.value} "
        f"({o.result.code} {o.result.text}; {o.status_header})"
        for o in outcomes if o.fate is not expected_fate(expected[o.name], "store")
    ]
    assert not mismatches, "\n".join(mismatches)
    fates = {o.fate for o in outcomes}
    assert Fate.DELIVERED in fates and Fate.REJECTED in fates
    # A sanity check on the setup, not on the rules (the corpus test judges those).
    extortion = [o for o in outcomes if o.name.startswith("extortion/")]
    delivered = [o.name for o in extortion if o.fate is Fate.DELIVERED]
    assert extortion and len(delivered) < len(extortion) // 4, delivered
