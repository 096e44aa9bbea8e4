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
        ("72時間後に動画を公開する。", "72時間"),
        ("あと2日で全員に送る。", "2日"),
        ("请在48小时内付款。", "48小时"),
        ("你有 3 天时间。", "3 天"),
        ("3天之内不付款，视频就会发给你的家人。", "3天"),
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
    "body",
    [
        # Japanese and Chinese dates, opening hours and rates use the same units as a
        # deadline; without a within / after / you-have word they are no deadline
        "会議は2026年11月29日に開催します。",
        "ご注文は11月 3日に発送しました。",
        "24時間営業のコンビニです。",
        "攻撃が続く1日ごとに1 BTCずつ増える。",
        "活动将于2026年11月29日举行。",
        "我们提供24小时客服。",
        "每天运动30天的计划。",
    ],
)
def test_deadline_ignores_cjk_dates_and_opening_hours(body: str) -> None:
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
