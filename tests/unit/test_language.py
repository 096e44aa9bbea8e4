"""Language detection keeps every pack that could fire and drops the ones that cannot."""

from __future__ import annotations

import pytest

from extortion_milter.engine.language import ALL_LANGUAGES, detect_languages

FILLER = " ".join(f"w{i}" for i in range(10))

CASES = [
    (
        "en",
        "I know about the things you have been doing and I will share them with all of "
        "your friends and family because you did not listen to what I said before",
    ),
    (
        "de",
        "Ich habe dich mit deiner Kamera gefilmt und wenn du nicht zahlst, wird das Video "
        "an alle deine Kontakte gesendet, die auf deinem Telefon sind, bitte bezahle noch heute",
    ),
    (
        "pl",
        "Wezwanie do zapłaty za fakturę VAT nr 117 za usługi hostingowe na kwotę 1 476,00 zł "
        "brutto termin płatności upłynął 7 dni temu prosimy o uregulowanie należności",
    ),
    (
        "tr",
        "Merhaba, Online mağazanızın tüm veritabanını indirdik müşteri bilgileri adresler "
        "telefon numaraları ve sipariş geçmişi 3 gün içinde 2500 USD değerinde Bitcoin",
    ),
    (
        "ru",
        "Я записал видео с вашей веб-камеры и отправлю его всем вашим контактам если вы не "
        "заплатите в течение двух дней " + FILLER + " " + FILLER,
    ),
    (
        "ja",
        "あなたのデバイスをハッキングしました。 "
        + " ".join(["ビットコインで支払ってください"] * 45),
    ),
]


@pytest.mark.parametrize(("language", "text"), CASES, ids=[c[0] for c in CASES])
def test_detects_the_language_it_is_written_in(language: str, text: str) -> None:
    assert language in detect_languages(text)


def test_english_text_does_not_pull_in_unrelated_packs() -> None:
    text = CASES[0][1] + " and then we will see what happens to all of them next week"
    assert detect_languages(text) == frozenset({"en"})


def test_short_texts_keep_every_pack() -> None:
    assert detect_languages("Pay 0.1 BTC now.") == ALL_LANGUAGES
