"""The meta-rule grammar: precedence, count(), comparisons, and refusals."""

from __future__ import annotations

import re

import pytest

from extortion_milter.engine.meta import (
    MetaSyntaxError,
    compile_expr,
    evaluate,
    names_in,
    parse_expr,
)

CASES = [
    # (expression, names that fired, expected truth)
    ("a && b", {"a", "b"}, True),
    ("a && b", {"a"}, False),
    ("a || b", {"b"}, True),
    ("a and b or c", {"c"}, True),
    ("a and (b or c)", {"c"}, False),
    ("!a", set(), True),
    ("not a && b", {"b"}, True),
    ("!(a || b)", {"b"}, False),
    ("count(a, b, c) >= 2", {"a", "c"}, True),
    ("count(a, b, c) >= 2", {"a"}, False),
    ("count(a, b && c, d) == 1", {"b", "d"}, True),
    ("count(a, b) > 1", {"a", "b"}, True),
    ("count(a, b) < 1", set(), True),
    ("count(a, b) != 2", {"a", "b"}, False),
    ("count(a, b) <= 0", {"a"}, False),
    ("A_RULE && fam", {"A_RULE", "fam"}, True),
]


@pytest.mark.parametrize(("expr", "fired", "expected"), CASES)
def test_evaluates(expr: str, fired: set[str], expected: bool) -> None:
    truth = dict.fromkeys(fired, True)
    assert bool(evaluate(parse_expr(expr), truth)) is expected


def test_names_in_collects_every_identifier() -> None:
    node = parse_expr("a && count(B, c || d) >= 2 && !e")
    assert names_in(node) == {"a", "B", "c", "d", "e"}


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "empty"),
        ("a &&", "end of expression"),
        ("count(a, b", "expected ')'"),
        ("a >= b", "needs a number"),
        ("a $ b", "unexpected"),
        ("a b", "after the expression"),
        ("__import__('os')", "unexpected"),
        ("(" * 1500 + "a" + ")" * 1500, "too deeply"),
        ("a || " * 2000 + "a", "longer than"),
    ],
)
def test_refuses_bad_syntax(expr: str, message: str) -> None:
    with pytest.raises(MetaSyntaxError, match=re.escape(message)):
        parse_expr(expr)


@pytest.mark.parametrize(("expr", "fired", "expected"), CASES)
def test_compiled_expressions_agree_with_the_evaluator(
    expr: str, fired: set[str], expected: bool
) -> None:
    node = parse_expr(expr)
    truth = dict.fromkeys(fired, True)
    assert compile_expr(node)(truth) == evaluate(node, truth)
    assert bool(compile_expr(node)(truth)) is expected
