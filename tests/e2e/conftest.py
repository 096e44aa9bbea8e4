"""End-to-end fixtures: a private Postfix on loopback wired to `extortion-milter run`.

Deterministic rules: a rule file written here makes the word TAGME score 6 (tag), QUARME 11
(quarantine) and REJECTME 20 (reject) against the default thresholds 5/10/15. Needs root,
postfix (with smtp-sink) and pymilter: a missing part fails loudly, nothing skips.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from extortion_milter.testing.stack import PostfixStack

TEST_RULES = """\
rules:
  - id: TEST_TAG
    description: The word that scores at the tag level in the end-to-end tests.
    phrases: [TAGME]
    score: 6
  - id: TEST_QUARANTINE
    description: The word that scores at the quarantine level in the end-to-end tests.
    phrases: [QUARME]
    score: 11
  - id: TEST_REJECT
    description: The word that scores at the reject level in the end-to-end tests.
    phrases: [REJECTME]
    score: 20
"""


def write_config(directory: Path, rules_text: str = TEST_RULES, backend: str = "store",
                 store_dir: Path | None = None, decision_log: Path | None = None) -> Path:
    """A config file naming a rule file in `directory`; returns the config path.

    The quarantine store and the decision log live beside `directory` (in the test's work
    dir) unless given: no test writes to /var/lib or /var/log. `backend` is the product's
    default, store; a test that checks the MTA's hold queue asks for hold."""
    directory.mkdir(parents=True, exist_ok=True)
    rules = directory / "test-rules.yaml"
    rules.write_text(rules_text)
    store_dir = store_dir or directory.parent / "quarantine"
    decision_log = decision_log or directory.parent / "decisions.log"
    config = directory / "config.yaml"
    config.write_text(
        f"rules:\n  paths: [{rules}]\n  local_dir: ''\n"
        f"quarantine:\n  backend: {backend}\n  directory: {store_dir}\n"
        f"decision_log:\n  path: {decision_log}\n"
        "logging:\n  level: info\n"
    )
    return config


def make_message(word: str = "", subject: str = "Hello there", extra_headers: str = "",
                 body: str | None = None) -> tuple[str, bytes]:
    """(marker, raw message): the marker is unique, so the test can find its message."""
    marker = f"MARK{uuid.uuid4().hex[:12]}"
    text = body if body is not None else (
        f"Hi,\n\nthis is test message {marker}.\n{word}\nRegards,\nSomeone\n"
    )
    raw = (
        "From: Sender <sender@example.org>\n"
        "To: User <user@example.com>\n"
        f"Subject: {subject}\n"
        f"Date: {formatdate(localtime=False)}\n"
        f"Message-ID: <{marker}@example.org>\n"
        f"{extra_headers}"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        f"{text}"
    )
    return marker, raw.encode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostfixStack]:
    """One Postfix + milter for the tests that do not stop or reload the milter. With the
    hold backend: these tests check Postfix's hold queue (test_quarantine_postfix.py
    covers the store, the default)."""
    workdir = tmp_path_factory.mktemp("stack")
    with PostfixStack(workdir, config=write_config(workdir / "conf", backend="hold")) as running:
        yield running


@pytest.fixture()
def own_stack(tmp_path: Path) -> Iterator[PostfixStack]:
    """A Postfix + milter of the test's own, for tests that stop or reload the milter."""
    with PostfixStack(tmp_path, config=write_config(tmp_path / "conf")) as running:
        yield running
