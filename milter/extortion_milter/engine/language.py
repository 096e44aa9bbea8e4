"""Which languages a text may be written in, cheaply, so a message is only matched
against the rule packs that can fire on it.

Most mail is in one or two languages; running a dozen language packs over every message
would spend most of the matching time on packs that cannot match. Detection is generous
on purpose: a language is kept on very little evidence, and short texts (where evidence
is thin) keep every language, unless they have no word at all. A miss here would hide a
pack's rules, a false hit only costs time.
"""

from __future__ import annotations

import re

# Frequent function words that are rare in the other languages of the shipped packs.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and you your that this have with are will for not from what all was "
        "been would there their they which about into when just only because",
        "de": "und nicht ich sie ist das mit auf für ihr ihre ihren wenn oder werden wird "
        "haben dass sind auch noch kein keine einen einem nach über sich bitte",
        "fr": "les des est vous votre vos pas une que qui dans pour avec sur sont mais nous "
        "cette ont tout êtes avez aux ces été fait",
        "es": "los las usted que por para una con del este está pero como más tiene sus "
        "cuenta tu tus sido todos esta hay muy ahora",
        "it": "il che non per una sono della questo hai tuo tua tuoi gli del alla anche "
        "di nel sei ho mio questa loro essere",
        "nl": "het een niet van ik je jouw uw dat zijn met voor op naar wordt heb ook "
        "maar wij deze dit wat kunt hebt heeft",
        "pt": "não você seu sua uma para com que os do da dos está isso tem são "
        "pelo mas seus suas foi muito agora",
        "pl": "nie jest się że na twój twoje twoja jak ale tylko masz mam przez może "
        "który która jeśli oraz dla będzie jestem",
        "tr": "ve bir bu için ile değil sen senin çok ama olarak ben var yok gibi daha "
        "sana seni şimdi kadar sonra",
        "sv": "och att det är inte som för på med jag du din ditt har av till kan "
        "mig dig ska eller vad",
    }.items()
}
# Letters that by themselves say a language is present (formal mail can be short on
# function words: an invoice reminder in Polish may have none of the list above). Letters
# two languages share (ä, ö: German and Swedish) would pull in both, so only å speaks
# for Swedish.
_LETTERS: dict[str, str] = {
    "pl": "ąęłńśźż",
    "tr": "ığş",
    "de": "ßäöü",
    "sv": "åäö",
    "es": "ñ¿¡áíóú",
    "pt": "ãõçáâêô",
    "fr": "çèêëàùûœâîï",
    "it": "àèéìòù",
}
_PUNCTUATION = ".,;:!?¡¿\"'()[]{}<>«»“”„‘’-–—…*/"
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")

ALL_LANGUAGES = frozenset({*_STOPWORDS, "ru", "ja", "zh"})
SHORT_TEXT_WORDS = 40  # below this many words, evidence is too thin: keep every pack
MIN_HITS = 2  # distinct stop words that keep a language
SAMPLE_CHARS = 6_000  # enough words to tell; the whole body would cost more than it tells
MAX_WORD_CHARS = 30  # a longer run of letters and digits is no word of any pack's language
# Something that may be a word: a run of at most MAX_WORD_CHARS letters, digits and leet
# symbols ("b1tc0in", "S3X") that is not one character repeated. Filler such as a load
# generator's "1XXXX…" lines and "XXXXXXXX" is none, and a text without any (filler,
# numbers, symbols) gets no language pack: every pack pattern needs letters, which such
# text has only inside runs far longer than any word.
_WORD = re.compile(
    rf"(?<![\w@$|!])(?=[\w@$|!]{{1,{MAX_WORD_CHARS}}}+(?![\w@$|!]))"
    r"([\w@$|!])\1*+(?!\1)[\w@$|!]",
    re.IGNORECASE,
)


# The same test for ASCII text without the regex (ten times cheaper on 4 KiB of filler):
# every byte that cannot be in a word becomes a space, then the runs are split out in C.
_ASCII_WORD_CHARS = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@$|!"
)
_ASCII_SPACE_OUT = bytes(c if c in _ASCII_WORD_CHARS else 0x20 for c in range(256))


def _has_word(text: str) -> bool:
    """Whether `text` has a `_WORD`."""
    if not text.isascii():
        return _WORD.search(text) is not None
    runs = text.encode("ascii").translate(_ASCII_SPACE_OUT).split()
    return any(len(run) <= MAX_WORD_CHARS and len(set(run.lower())) > 1 for run in runs)


def detect_languages(text: str) -> frozenset[str]:
    sample = text[:SAMPLE_CHARS].lower()
    # str.split and strip run in C; a Unicode word regex over the sample cost ten times more.
    tokens = sample.split()
    if not _enough_words(tokens):
        # Searched in the whole text, not the sample: junk before a short letter must not
        # hide the letter from every pack.
        return ALL_LANGUAGES if _has_word(text) else frozenset(_scripts(text))
    ascii = sample.isascii()  # then no other script and none of the telling letters
    found = set() if ascii else _scripts(sample)
    # Duplicates are dropped before the per-word strip: a text repeats most of its words.
    distinct = {token.strip(_PUNCTUATION) for token in set(tokens)}
    for language, stopwords in _STOPWORDS.items():
        if len(distinct & stopwords) >= MIN_HITS:
            found.add(language)
    if not ascii:
        for language, letters in _LETTERS.items():
            if language not in found and any(letter in sample for letter in letters):
                found.add(language)
    return frozenset(found)


def _enough_words(tokens: list[str]) -> bool:
    """Whether SHORT_TEXT_WORDS tokens start with a letter; stops counting once they do."""
    count = 0
    for token in tokens:
        if token.strip(_PUNCTUATION)[:1].isalpha():
            count += 1
            if count >= SHORT_TEXT_WORDS:
                return True
    return False


def _scripts(text: str) -> set[str]:
    """Languages whose script appears in `text` (their packs are the only ones for it)."""
    found: set[str] = set()
    if text.isascii():  # O(1) for a str
        return found
    if _CYRILLIC.search(text):
        found.add("ru")
    if _KANA.search(text):
        found.add("ja")
    if _HAN.search(text):
        found.update(("zh", "ja"))
    return found
