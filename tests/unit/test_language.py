"""Language detection keeps every pack that could fire and drops the ones that cannot."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extortion_milter.engine import language
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


# What Postfix's smtp-source sends (-l 4096): lines of a digit and 79 X's, and a short tail.
LOAD_GENERATOR_BODY = "\n".join(f"{i % 10}" + "X" * 79 for i in range(1, 51)) + "\n" + "X" * 16


def test_a_text_without_words_gets_no_language_pack() -> None:
    assert detect_languages("\n" + LOAD_GENERATOR_BODY) == frozenset()
    assert detect_languages("1234 5678 -- $$$ ... 12:30") != frozenset()  # digits may be leet
    assert detect_languages("XXXXXXXX XXXX xxXX ____ --") == frozenset()


def test_a_run_longer_than_any_word_is_no_word() -> None:
    assert detect_languages("pay" * 11) == frozenset()  # 33 letters in one run
    assert detect_languages("pay" * 10) == ALL_LANGUAGES


def test_a_wordless_text_still_gets_the_packs_of_its_script() -> None:
    # Chinese and Japanese need no spaces: a long clause is one run of letters.
    clause = (
        "我已经控制了你的设备并录下了你观看成人网站时的视频"
        "如果你不付款我会把它发给你的所有联系人"
    )
    assert detect_languages(clause) == frozenset({"zh", "ja"})


def test_a_word_after_filler_keeps_every_pack() -> None:
    # Junk must not hide a short letter: the search for a word reads the whole text.
    text = LOAD_GENERATOR_BODY * 3 + "\nPay now"
    assert detect_languages(text) == ALL_LANGUAGES


@pytest.mark.parametrize("word", ["S3X", "p0rn", "b1tc0in", "$3nd"])
def test_a_leet_word_is_a_word(word: str) -> None:
    assert detect_languages(LOAD_GENERATOR_BODY + "\n" + word) == ALL_LANGUAGES


@pytest.mark.parametrize("text", [
    LOAD_GENERATOR_BODY, "pay" * 11, "pay" * 10, "XXXXXXXX XXXX xxXX ____ --", "S3X", "$3nd",
    "a", "aa", "ab", "a-b", "1234 5678", "x@y", "|!|!", "___ __a", "X" * 30 + "Y",
    "X" * 29 + "Y", "Zürich", "naïve über", "日本語", "Ω", "tab\tsep\x00null", "",
])
def test_the_ascii_word_test_agrees_with_the_word_regex(text: str) -> None:
    # The translate-and-split fast path must say what the regex says, for ASCII text
    # and (through the regex itself) for the rest.
    assert language._has_word(text) == (language._WORD.search(text) is not None)


@given(st.text(alphabet=st.sampled_from("aAbB1_@$|!-. \nX\u00e9"), max_size=80))
def test_the_ascii_word_test_agrees_on_generated_text(text: str) -> None:
    assert language._has_word(text) == (language._WORD.search(text) is not None)
