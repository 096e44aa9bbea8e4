"""normalize / fold_leet / normalize_for_addresses: evasions undone, real languages intact."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extortion_milter.engine.normalize import (
    fold_leet,
    fold_leet_tokens,
    has_leet,
    normalize,
    normalize_for_addresses,
    strip_accents,
)

# (input, expected normalize() output)
EVASIONS = [
    ("b\u0456tc\u043eіn", "bitcoin"),  # Cyrillic і and о inside a Latin word
    ("\u0412\u0406\u0422\u0421\u041e\u0406N", "BITCOIN"),  # Cyrillic capitals, І -> I not l
    ("\u0440\u0430\u0443 now", "pay now"),  # a word made only of Cyrillic look-alikes
    ("please \u0440\u0430\u0443", "please pay"),  # ... with the Latin word before it
    ("I made \u0430 video", "I made a video"),  # one-letter Cyrillic "а"
    ("\u0440\u0430\u0443 \u0441\u043e\u0441\u043e now", "pay coco now"),  # a run of them
    ("w\u0435b\u0441\u0430m", "webcam"),
    ("\u03b2itcoin p\u03bfrn", "\u03b2itcoin porn"),  # Greek omicron folds; β has no twin
    ("\uff42\uff49\uff54\uff43\uff4f\uff49\uff4e", "bitcoin"),  # fullwidth
    ("\U0001d41b\U0001d422\U0001d42d\U0001d41c\U0001d428\U0001d422\U0001d427", "bitcoin"),
    ("\U0001d4b7\U0001d4be\U0001d4c9", "bit"),  # mathematical script
    ("bit\u200bco\u200din", "bitcoin"),  # zero-width space and joiner
    ("bit\u00adcoin", "bitcoin"),  # soft hyphen
    ("bit\u2060co\ufeffin", "bitcoin"),  # word joiner, BOM
    ("bit\u034fcoin", "bitcoin"),  # combining grapheme joiner
    ("bit\u3164coin", "bitcoin"),  # Hangul filler used as an invisible space
    ("bit\ufe0fcoin", "bitcoin"),  # variation selector
    ("bit\U000e0041coin", "bitcoin"),  # tag character (astral, invisible)
    ("b\u0338itco\u0335in", "bitcoin"),  # combining overlays on ASCII letters are junk
    ("bc1\u0337q9\u20d2x", "bc1q9x"),  # ... and on digits (wallet addresses)
    ("e\u200b\u0301t\u00e9", "\u00e9t\u00e9"),  # the accent composes once the ZWSP is gone
    # Small capitals, alone, in a whole sentence and inside a Latin word:
    ("\u0299\u026a\u1d1b\u1d04\u1d0f\u026a\u0274", "bitcoin"),
    (
        "\u026a \u0280\u1d07\u1d04\u1d0f\u0280\u1d05\u1d07\u1d05 \u028f\u1d0f\u1d1c",
        "i recorded you",
    ),
    ("w\u1d07\u0299cam", "webcam"),
    ("\u2460 hour", "1 hour"),  # NFKC compatibility forms
    ("\ufb01le", "file"),  # ligature
]


@pytest.mark.parametrize(("text", "expected"), EVASIONS)
def test_normalize_undoes_evasions(text: str, expected: str) -> None:
    assert normalize(text) == expected


# Text that must come out unchanged (apart from white space): real languages.
INTACT = [
    "Привет, я записал видео с вашей камеры.",
    "Я отправлю видео всем вашим контактам, а о с у",  # one-letter words stay Cyrillic
    "Καλημέρα σας, πώς είστε και τι κάνετε",
    "これはテストです。ビットコインを送ってください",
    "我录下了你的视频。请支付比特币",
    "café naïve Straße Ærø façade déjà über",
    "Hesabınız kapatılacak, ödeme yapın",  # Turkish dotless ı is a real letter
    "видeо",  # a Latin e inside a Russian word: the word is Russian, left alone
    "Bitcoin-адрес кошелька",
]


@pytest.mark.parametrize("text", INTACT)
def test_normalize_keeps_real_languages(text: str) -> None:
    assert normalize(text) == text


def test_cjk_gets_nfkc_only() -> None:
    # Halfwidth katakana and fullwidth punctuation take their normal forms (the Japanese
    # and Chinese rule packs are written for NFKC text); the characters stay CJK.
    assert normalize("ｳｪﾌﾞｶﾒﾗ") == "ウェブカメラ"
    assert normalize("视频，比特币") == "视频,比特币"


def test_accents_survive_inside_mixed_text() -> None:
    assert normalize("Je vous ai filmé, payez en bіtcоin") == "Je vous ai filmé, payez en bitcoin"


def test_cyrillic_word_next_to_latin_word_is_not_folded_if_it_has_real_cyrillic() -> None:
    # "камеры" has letters with no Latin twin, so a Latin neighbour does not fold it.
    assert normalize("webcam камеры") == "webcam камеры"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a  b", "a b"),
        ("a\u00a0\u00a0b", "a b"),  # NBSP
        ("a\r\n\r\n\tb", "a b"),
        ("a\u2028b\u3000c", "a b c"),  # line separator, ideographic space
        ("  lead and trail \n", "lead and trail"),
        ("", ""),
    ],
)
def test_white_space_collapses(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_ascii_fast_path_only_collapses_space() -> None:
    text = "Pay 0.15 BTC to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n\nnow!"
    assert normalize(text) == "Pay 0.15 BTC to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 now!"


def test_normalize_does_not_lower_case() -> None:
    assert normalize("BiTcOiN") == "BiTcOiN"


def test_long_words_stay_linear() -> None:
    # Possessive scans: a 200 000-character "word" of look-alikes and Latin letters or of
    # Cyrillic letters must not make the candidate search quadratic.
    assert normalize("а" * 200_000 + "д") == "а" * 200_000 + "д"
    assert normalize("a" + "а" * 200_000) == "a" * 200_001


# --- fold_leet -------------------------------------------------------------------------------

LEET = [
    ("b1tc0in", "bitcoin"),
    ("p0rn", "porn"),
    ("w3bcam", "webcam"),
    ("h4ck3d", "hacked"),
    ("v1de0", "video"),
    ("pa$$w0rd", "password"),
    ("$ex", "sex"),  # "$" right before a letter
    ("I h4ve rec0rded y0u", "I have recorded you"),
    ("br0ke|n", "brokeln"),  # "|" inside a word
]


@pytest.mark.parametrize(("text", "expected"), LEET)
def test_fold_leet(text: str, expected: str) -> None:
    assert fold_leet(text) == expected


LEET_INTACT = [
    "48 hours",
    "$1,450",
    "0.15 BTC",
    "24h",
    "10am 2nd 3rd 100k",
    "mp3 x86 win10 h264",
    "now!",
    "a | b",
    "call 555-0100",
]


@pytest.mark.parametrize("text", LEET_INTACT)
def test_fold_leet_leaves_numbers_alone(text: str) -> None:
    assert fold_leet(text) == text


def test_fold_leet_is_a_separate_text() -> None:
    # Addresses are found in normalize_for_addresses() text, never in folded text: folding
    # an address is expected and harmless.
    assert fold_leet("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") != "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"


def test_fold_leet_on_normalized_lookalikes() -> None:
    assert fold_leet(normalize("b1tc\u043ein")) == "bitcoin"


# --- normalize_for_addresses -----------------------------------------------------------------


def test_addresses_keep_lines_and_case() -> None:
    text = "Send to:\n1BvBMSEYstWetqTFn5\nAu4m4GFg7xJaNVN2\n"
    assert normalize_for_addresses(text) == text


def test_addresses_fold_lookalikes_and_drop_invisible() -> None:
    text = "bc1q\u0430r0srrr7xfkvy5l643\u200blydnw9re59gtzzwf5mdq\n\u0412TC"
    assert normalize_for_addresses(text) == "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\nBTC"


def test_addresses_nfkc_fullwidth() -> None:
    assert normalize_for_addresses("\uff11\uff22\uff56\uff22") == "1BvB"


def test_addresses_drop_junk_marks_on_digits() -> None:
    # A strike-through or overlay mark on every character, digits included.
    marked = "".join(c + "\u0336" for c in "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    assert normalize_for_addresses(marked) == "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("bítcöin wébcam", "bitcoin webcam"), ("plain ascii", "plain ascii"), ("Ça", "Ca")],
)
def test_strip_accents(text: str, expected: str) -> None:
    assert strip_accents(text) == expected


@pytest.mark.parametrize(
    "text", ["e\u0301", "\U0001f4b0 co\u0301\U0001d167de", "\u1100\u1161", "Ω̃ ǅ"]
)
def test_strip_accents_drops_every_combining_mark(text: str) -> None:
    assert strip_accents(text) == _strip_accents_reference(text)


@given(st.text(alphabet=st.characters(max_codepoint=0x1F000), max_size=30))
def test_strip_accents_matches_the_per_character_definition(text: str) -> None:
    assert strip_accents(text) == _strip_accents_reference(text)


def _strip_accents_reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


# --- fold_leet's token regex against a plain statement of what a token is ----------------

# A token starts where no token character precedes it (a look-behind at every position:
# simple, and what fold_leet did before it consumed the preceding character instead).
_REFERENCE_TOKEN = re.compile(
    r"(?<![\w@$|!])(?=[\w@$|!]*?[0-9@$|!])(?=[\w@$|!]*?[^\W\d_])"
    r"(?:[@$](?=[^\W\d_]))?\w(?:[\w@$|!]*\w)?"
)
_LEET_MAP = str.maketrans("01345789@$|!", "oieastbgasli")


def _fold_leet_reference(text: str) -> str:
    def fold(match: re.Match[str]) -> str:
        token = match.group()
        if not re.search(r"[0-9@$|!]", token) or not re.search(r"[^\W\d_]", token):
            return token
        if re.fullmatch(r"\d+(?:[.,]\d+)?[^\W\d_]{1,5}|[^\W\d_]{1,5}\d+", token):
            return token
        return token.translate(_LEET_MAP)

    return _REFERENCE_TOKEN.sub(fold, text)


@given(st.text(alphabet="ab1 0@$|!_²٣é\n.-xyzI3 57AB", max_size=24))
def test_fold_leet_tokens_finds_the_tokens_a_look_behind_finds(text: str) -> None:
    assert fold_leet_tokens(text) == _fold_leet_reference(text)


def test_fold_leet_tokens_folds_without_the_cheap_check() -> None:
    assert not has_leet("a_1")  # no digit next to a letter: fold_leet returns the text
    assert fold_leet("a_1") == "a_1"
    assert fold_leet_tokens("a_1") == "a_i"


@given(st.text(alphabet="ab1 0@$|!_é.xI3", max_size=12), st.text(alphabet="ab1 0@$|!_é.xI3"))
def test_fold_leet_tokens_never_reach_across_a_line_break(first: str, second: str) -> None:
    assert fold_leet_tokens(first + "\n" + second) == (
        fold_leet_tokens(first) + "\n" + fold_leet_tokens(second)
    )


def test_cyrillic_text_keeps_its_short_words_beside_a_wallet() -> None:
    # "Не" is made only of look-alikes; after a Latin wallet address it used to fold to
    # "He", and Russian rules written in Cyrillic missed it.
    text = ("Переведите 0,1 BTC на кошелёк bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq. "
            "Не сообщайте в полицию, иначе видео увидят все.")
    assert normalize(text) == text


def test_english_disguised_with_lookalikes_still_folds() -> None:
    assert normalize("Sеnd рау to my wallet now") == "Send pay to my wallet now"
    # A few native letters (a name, a quoted word) do not make a text Cyrillic.
    assert normalize("Dear Дмитрий, sеnd рау now") == "Dear Дмитрий, send pay now"
