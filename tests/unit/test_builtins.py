"""The text builtins `deadline` and `money_amount` on small bodies."""

from __future__ import annotations

import pytest

from extortion_milter.engine.builtins import BUILTINS, check_params
from extortion_milter.engine.facts import ScanFacts
from extortion_milter.engine.message import ParsedMessage


def run(name: str, body: str, subject: str = "") -> str | None:
    message = ParsedMessage(headers=[], subject=subject, from_addrs=[], to_addrs=[])
    return BUILTINS[name].run(ScanFacts(message, subject, body, []), check_params(name, {}))


@pytest.mark.parametrize(
    ("body", "evidence"),
    [
        ("You have 48 hours.", "48 hours"),
        ("48h or everyone sees it.", "48h"),
        ("Pay within 2 days (48h).", "2 days"),
        ("Time is 48 hour. After pay I delete all.", "48 hour"),
        ("Sie haben 48 Stunden.", "48 Stunden"),
        ("48時間以内に支払ってください。", "48時間"),
    ],
)
def test_deadline_finds_hours_and_days(body: str, evidence: str) -> None:
    assert run("deadline", body) == evidence


@pytest.mark.parametrize(
    "body",
    [
        # "9Hr" sits inside a checksum-valid address: a number that continues a word is no deadline
        "Send it to 3CaJRQ2vsmon9Hr63FmVmEnNqVjuLvyHz4 now.",
        "Ticket ab24h-77 was closed.",
        "See you tomorrow.",
    ],
)
def test_deadline_ignores_numbers_inside_words(body: str) -> None:
    assert run("deadline", body) is None


@pytest.mark.parametrize(
    ("body", "evidence"),
    [
        ("I think $1450 is a nice price for it.", "$1450"),
        ("1200$ in BTC -> bc1q...", "1200$"),
        ("you must to pay me 850$ in the bitcoin", "850$"),
        ("Pay 500€ today.", "500€"),
        ("Pay 1.200,00 EUR today.", "1.200,00 EUR"),
    ],
)
def test_money_amount_with_leading_or_trailing_sign(body: str, evidence: str) -> None:
    assert run("money_amount", body) == evidence
