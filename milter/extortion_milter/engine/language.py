"""Which languages a text may be written in, cheaply, so a message is only matched
against the rule packs that can fire on it.

Most mail is in one or two languages; running a dozen language packs over every message
would spend most of the matching time on packs that cannot match. Detection is generous
on purpose: a language is kept on very little evidence, and short texts (where evidence
is thin) keep every language. A miss here would hide a pack's rules, a false hit only
costs time.
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


def detect_languages(text: str) -> frozenset[str]:
    sample = text[:SAMPLE_CHARS].lower()
    # str.split and strip run in C; a Unicode word regex over the sample cost ten times more.
    words = [w.strip(_PUNCTUATION) for w in sample.split()]
    if sum(1 for w in words if w[:1].isalpha()) < SHORT_TEXT_WORDS:
        return ALL_LANGUAGES
    found: set[str] = set()
    if _CYRILLIC.search(sample):
        found.add("ru")
    if _KANA.search(sample):
        found.add("ja")
    if _HAN.search(sample):
        found.update(("zh", "ja"))
    distinct = set(words)
    for language, stopwords in _STOPWORDS.items():
        if len(distinct & stopwords) >= MIN_HITS:
            found.add(language)
    for language, letters in _LETTERS.items():
        if language not in found and any(letter in sample for letter in letters):
            found.add(language)
    return frozenset(found)
