"""The `check` and `lint` commands as an admin runs them: a real subprocess each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extortion_milter.config.rulefiles import shipped_rules_dir

from .conftest import CORPUS

SHIPPED = shipped_rules_dir()

RULES = """\
rules:
  - id: T_REC
    family: recording
    phrases: [recorded you]
    examples: {match: ["I recorded you"], no_match: ["I recorded it"]}
  - id: T_PAY
    family: payment
    phrases: [send bitcoin]
  - id: T_META
    expr: recording && payment
    score: 16
    examples: {match: ["I recorded you, send bitcoin"]}
"""

SPAM = b"From: a@example.net\nTo: b@example.org\nSubject: hi\n\nI recorded you, send bitcoin.\n"
HAM = b"From: a@example.net\nTo: b@example.org\nSubject: hi\n\nSee you at lunch.\n"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "extortion_milter", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def test_check_json_on_the_corpus_has_one_line_per_message() -> None:
    result = run("check", "--json", "-o", "rules.local_dir=", str(CORPUS))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    files = [p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(lines) == len(files)
    for line in lines:
        record = json.loads(line)
        assert {"path", "score", "action", "rules", "crypto_addresses"} <= set(record)
        assert record["action"] in {"accept", "tag", "quarantine", "reject"}
        for rule in record["rules"]:
            assert set(rule) == {"id", "score", "evidence"}
        for address in record["crypto_addresses"]:
            assert {"currency", "address", "valid"} <= set(address)


def test_check_human_output_and_explain(tmp_path: Path, rules: Path) -> None:
    (tmp_path / "spam").write_bytes(SPAM)
    result = run(
        "check",
        "--explain",
        "-o",
        f"rules.paths=[{rules}]",
        "-o",
        "rules.local_dir=",
        str(tmp_path / "spam"),
    )
    assert result.returncode == 0, result.stderr
    assert "Action: reject" in result.stdout
    assert "16.0 T_META" in result.stdout
    assert f"[{rules}:" in result.stdout  # --explain says where each rule lives


def test_check_walks_directories_mbox_and_stdin(tmp_path: Path, rules: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1.host:2,S").write_bytes(SPAM)
    (maildir / "new" / "2.host").write_bytes(HAM)
    (maildir / "tmp" / "3.host").write_bytes(SPAM)  # delivery in progress: skipped
    (maildir / "cur" / ".hidden").write_bytes(SPAM)
    (maildir / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(
        b"From a@example.net Mon Jan  1 00:00:00 2024\n"
        + SPAM
        + b"\nFrom b@example.net Mon Jan  1 00:00:00 2024\n"
        + HAM
    )
    args = ["check", "--json", "-o", f"rules.paths=[{rules}]", "-o", "rules.local_dir="]
    result = run(*args, str(maildir), str(mbox), "-", stdin=SPAM)
    assert result.returncode == 0, result.stderr
    verdicts = {r["path"]: r["action"] for r in map(json.loads, result.stdout.splitlines())}
    assert verdicts == {
        str(maildir / "cur" / "1.host:2,S"): "reject",
        str(maildir / "new" / "2.host"): "accept",
        f"{mbox}#1": "reject",
        f"{mbox}#2": "accept",
        "-": "reject",
    }


def test_check_unreadable_input_exits_1_but_scans_the_rest(tmp_path: Path, rules: Path) -> None:
    (tmp_path / "ok").write_bytes(HAM)
    result = run(
        "check",
        "--json",
        "-o",
        f"rules.paths=[{rules}]",
        "-o",
        "rules.local_dir=",
        str(tmp_path / "missing.eml"),
        str(tmp_path / "ok"),
    )
    assert result.returncode == 1
    assert "missing.eml: no such file or directory" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_check_bad_rule_file_exits_2_with_file_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: T_BAD\n    patterns: ['(?=x)']\n")
    result = run("check", "-o", f"rules.paths=[{bad}]", "-o", "rules.local_dir=", "-")
    assert result.returncode == 2
    assert f"{bad}:3: T_BAD.patterns[0]: invalid RE2 pattern" in result.stderr


def test_lint_passes_and_fails_on_examples(tmp_path: Path, rules: Path) -> None:
    ok = run("lint", "-o", f"rules.paths=[{rules}]", "-o", "rules.local_dir=")
    assert ok.returncode == 0, ok.stderr
    assert "3 examples, 0 failed" in ok.stdout
    rules.write_text(RULES.replace('no_match: ["I recorded it"]', 'no_match: ["I recorded you"]'))
    failing = run("lint", "-o", f"rules.paths=[{rules}]", "-o", "rules.local_dir=")
    assert failing.returncode == 1
    assert f"{rules}:2: T_REC: example should not match: 'I recorded you'" in failing.stderr


def test_lint_shipped_rules_pass() -> None:
    result = run("lint", "-o", "rules.local_dir=")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 failed" in result.stdout
    # Every shipped pack is listed with its path: what rules.paths takes.
    files = [line.strip().rsplit(": ", 1)[0] for line in result.stdout.splitlines()[1:]]
    assert [Path(f).name for f in files] == sorted(p.name for p in SHIPPED.glob("*.yaml"))
    assert all(Path(f).is_file() for f in files)


def test_help_teaches() -> None:
    result = run("check", "--help")
    assert result.returncode == 0
    assert "mbox" in result.stdout and "examples:" in result.stdout


def test_lint_examples_can_be_whole_messages(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: T_SELF\n"
        "    builtin: from_equals_to\n"
        "    examples:\n"
        '      match: ["From: a@example.org\\nTo: a@example.org\\nSubject: x\\n\\nhello"]\n'
        '      no_match: ["From: a@example.org\\nTo: b@example.org\\nSubject: x\\n\\nhello"]\n'
    )
    result = run("lint", "-o", f"rules.paths=[{rules}]", "-o", "rules.local_dir=")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 examples, 0 failed" in result.stdout
