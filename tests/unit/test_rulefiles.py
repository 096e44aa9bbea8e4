"""Rule loading: every error names file:line and the key; local overrides work."""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.config.errors import ConfigErrors
from extortion_milter.config.rulefiles import load_ruleset

GOOD = """\
rules:
  - id: T_REC
    family: recording
    phrases: [recorded you]
  - id: T_PAY
    family: payment
    patterns: ['send \\d+ btc']
  - id: T_META
    expr: recording && payment
    score: 12
"""


def rules_dir(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return directory


def load_errors(paths: list[Path], local: Path | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_ruleset(paths, local)
    return [str(e) for e in info.value.errors]


def test_good_pack_loads_with_metas_and_version(tmp_path: Path) -> None:
    ruleset = load_ruleset([rules_dir(tmp_path, GOOD)], None)
    assert [a.info.id for a in ruleset.regex_atoms] == ["T_REC", "T_PAY"]
    assert [m.info.id for m in ruleset.metas] == ["T_META"]
    assert len(ruleset.version) == 12


def test_version_changes_with_content(tmp_path: Path) -> None:
    first = load_ruleset([rules_dir(tmp_path, GOOD)], None).version
    second = load_ruleset([rules_dir(tmp_path, GOOD.replace("12", "13"))], None).version
    assert first != second


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "  - id: X_RE\n    patterns: ['(?<=a)b']\n",
            ":2: X_RE.patterns[0]: invalid RE2 pattern '(?<=a)b'",
        ),
        ("  - id: X_RE\n    patterns: ['(a)\\1']\n", ":2: X_RE.patterns[0]: invalid RE2 pattern"),
        ("  - id: x_lower\n    phrases: [a]\n", ":1: id: missing or invalid rule id 'x_lower'"),
        ("  - id: X_KEY\n    phrases: [a]\n    colour: red\n", ":3: X_KEY.colour: unknown key"),
        ("  - id: X_META\n    expr: 'recording &&'\n", ":2: X_META.expr: syntax: unexpected end"),
        (
            "  - id: X_META\n    expr: 'nofamily && T_REC'\n",
            ":2: X_META.expr: unknown family 'nofamily'",
        ),
        ("  - id: X_META\n    expr: 'NO_RULE'\n", ":2: X_META.expr: unknown rule id 'NO_RULE'"),
        (
            "  - id: X_BI\n    builtin: crypto_address\n"
            "    params: {currencies: [doge, bitcoin]}\n",
            ":3: X_BI.params: currencies: unknown currency 'bitcoin'",
        ),
        ("  - id: X_BI\n    builtin: telepathy\n", ":2: X_BI.builtin: unknown builtin 'telepathy'"),
        (
            "  - id: X_BOTH\n    phrases: [a]\n    expr: T_REC\n",
            ":1: X_BOTH.id: a rule needs exactly one of phrases/patterns, expr or builtin",
        ),
        ("  - id: X_T\n    phrases: [a]\n    target: footer\n", ":3: X_T.target: must be one of"),
        ("  - id: X_S\n    phrases: [a]\n    score: high\n", ":3: X_S.score: must be a number"),
        (
            "  - id: T_REC\n    phrases: [again]\n",
            ":1: T_REC.id: duplicate rule id, first defined at",
        ),
        (
            "  - id: X_EX\n    phrases: [a]\n    examples: {match: a}\n",
            ":3: X_EX.examples.match: must be a list of texts",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, snippet: str, expected: str) -> None:
    directory = rules_dir(tmp_path, GOOD + snippet)
    errors = load_errors([directory])
    # Expected lines count within the snippet (1 = its first line), after the GOOD rules.
    line, _, rest = expected[1:].partition(":")
    want = f"{directory / 'pack.yaml'}:{int(line) + len(GOOD.splitlines())}:{rest}"
    assert any(e.startswith(want) for e in errors), (want, errors)


def test_meta_cycle_is_refused(tmp_path: Path) -> None:
    text = (
        "rules:\n  - id: A_M\n    expr: B_M\n  - id: B_M\n    family: fam\n    expr: A_M\n"
        "  - id: C_M\n    expr: fam\n"
    )
    errors = load_errors([rules_dir(tmp_path, text)])
    assert any("meta rules form a cycle: A_M -> B_M -> A_M" in e for e in errors), errors


def test_metas_are_ordered_after_what_they_read(tmp_path: Path) -> None:
    text = (
        GOOD
        + "  - id: A_TOP\n    expr: combo\n  - id: Z_BASE\n    family: combo\n    expr: T_META\n"
    )
    ruleset = load_ruleset([rules_dir(tmp_path, text)], None)
    order = [m.info.id for m in ruleset.metas]
    assert order.index("T_META") < order.index("Z_BASE") < order.index("A_TOP")


def test_missing_rules_path(tmp_path: Path) -> None:
    assert load_errors([tmp_path / "missing"]) == [
        f"{tmp_path / 'missing'}: rules.paths: no such file or directory"
    ]


def test_local_overrides_scores_disable_add_and_replace(tmp_path: Path) -> None:
    shipped = rules_dir(tmp_path, GOOD)
    local = tmp_path / "local.d"
    local.mkdir()
    (local / "50-site.yaml").write_text(
        "scores:\n  T_META: 20\n"
        "disable: [T_PAY]\n"
        "rules:\n"
        "  - id: T_REC\n    family: recording\n    phrases: [filmed you]\n"
        "  - id: LOCAL_BRAND\n    target: subject\n    phrases: [acme invoice]\n    score: -2\n"
    )
    ruleset = load_ruleset([shipped], local)
    atoms = {a.info.id: a for a in ruleset.regex_atoms}
    assert "T_PAY" not in atoms
    assert "LOCAL_BRAND" in atoms
    assert "filmed" in atoms["T_REC"].patterns[0]
    assert {m.info.id: m.info.score for m in ruleset.metas} == {"T_META": 20.0}


def test_local_errors_point_at_local_file(tmp_path: Path) -> None:
    shipped = rules_dir(tmp_path, GOOD)
    local = tmp_path / "local.d"
    local.mkdir()
    (local / "site.yaml").write_text("scores:\n  NOT_THERE: 1\ndisable: [ALSO_NOT]\n")
    errors = load_errors([shipped], local)
    assert f"{local / 'site.yaml'}:2: scores.NOT_THERE: no rule has this id" in errors
    assert f"{local / 'site.yaml'}:3: disable: no rule has the id 'ALSO_NOT'" in errors


def test_shipped_packs_load_and_lint_clean() -> None:
    from extortion_milter.cli.lint import check_examples
    from extortion_milter.config.build import build_engine
    from extortion_milter.config.loader import load_config

    engine = build_engine(load_config(None, ["rules.local_dir="]))
    assert len(engine.ruleset.all_rules) > 20
    assert check_examples(engine) == []
