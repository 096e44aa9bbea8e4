"""Normalization of decoded text before rules match it.

Spammers defeat literal matching with characters a reader cannot tell apart: zero-width
joiners inside words, Cyrillic or Greek letters that look Latin, fullwidth and mathematical
letters, leetspeak. `normalize` undoes all of these except leetspeak, which `fold_leet` undoes
for the rules that ask for it (digits are meaningful in most text).

This runs on every message, so pure-ASCII text takes a fast path and the per-word work is
done only for words that contain non-ASCII characters.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from importlib import resources

# Letters from real European alphabets that the confusables data maps to ASCII. Folding
# them would rewrite genuine Turkish text ("hesabınız"), so they are never folded.
_KEEP_LETTERS = frozenset("ıĸ")

# Invisible characters that are not in category Cf but render as nothing: the combining
# grapheme joiner (Mn) and the Hangul fillers (Lo) that spammers use as zero-width spaces.
_EXTRA_INVISIBLE = (0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0)

# Variation selectors are invisible modifiers; between letters they only break words.
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))

# Blocks that hold Latin letters, for deciding whether a word is "mostly Latin".
_LATIN_BLOCKS = (
    (0x00C0, 0x024F),
    (0x0250, 0x02AF),
    (0x1D00, 0x1DBF),
    (0x1E00, 0x1EFF),
    (0x2C60, 0x2C7F),
    (0xA720, 0xA7FF),
    (0xAB30, 0xAB6F),
)

# Combining marks left on an ASCII letter or digit after NFKC could not compose them into a
# real accented letter ("b̸itcoin", "bc1̷q"): junk, not an accent. No digit carries an
# accent in any script, and a mark on a digit of a wallet address would hide the address.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Each pass is a full scan (a few ms on 50 KB); runs of three or more look-alike-only words
# with no Latin neighbour are rare enough to leave partly folded.
_MAX_EXTRA_PASSES = 1
# Letters without a Latin look-alike (б, д, ж, я, λ, ...) that make a text Cyrillic or
# Greek rather than disguised Latin: a sentence has this many, a disguise none.
NATIVE_LETTERS = 12
# Tags and supplementary variation selectors: the whole block renders as nothing. Single
# ranges scan fast; emoji (U+1Fxxx) fall in neither.
# Latin small capitals ("ʙɪᴛᴄᴏɪɴ", from "fancy text" generators) are styled Latin letters
# like the mathematical ones, but NFKC leaves them alone. No language is written with them
# (IPA uses a few as phonetic symbols), so they fold everywhere, as NFKC forms do, not only
# next to Latin words as look-alikes from real alphabets do.
_SMALL_CAPITALS = "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ"
_SMALL_CAPITALS_FOLD = str.maketrans(_SMALL_CAPITALS, "abcdefghijklmnoprstuvwyz")
_ANY_SMALL_CAPITAL = re.compile(f"[{_SMALL_CAPITALS}]")
_TAG_BLOCK = re.compile("[\U000e0000-\U000e0fff]+")
_ANY_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_RARE_ASTRAL = re.compile("[\U00011000-\U0001d1ff]")
_ASCII_ALNUM = re.compile("[A-Za-z0-9]")
_ANY_MARK = re.compile(f"[{_MARKS}]")
_JUNK_MARKS = re.compile(f"(?<=[A-Za-z0-9])[{_MARKS}]+")


def _ranges_class(codepoints: list[int]) -> str:
    """A regex character class body for a sorted list of code points, as ranges."""
    out: list[str] = []
    i = 0
    while i < len(codepoints):
        start = end = codepoints[i]
        while i + 1 < len(codepoints) and codepoints[i + 1] == end + 1:
            i += 1
            end = codepoints[i]
        first, last = re.escape(chr(start)), re.escape(chr(end))
        out.append(first if start == end else f"{first}-{last}")
        i += 1
    return "".join(out)


@functools.cache
def _invisible_re() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Every format (Cf) character plus the other invisible ones: (BMP, astral) classes.

    Computed from the running Python's Unicode database so new format characters are
    covered when Python updates; Cf characters only live in the ranges scanned here.
    """
    points = [
        cp
        for lo, hi in ((0x80, 0x2FFFF), (0xE0000, 0xE0FFF))
        for cp in range(lo, min(hi, sys.maxunicode) + 1)
        if unicodedata.category(chr(cp)) == "Cf"
    ]
    points.extend(_EXTRA_INVISIBLE)
    for lo, hi in _VARIATION_SELECTORS:
        points.extend(range(lo, hi + 1))
    # A BMP-only class compiles to a fast bitmap; a class with astral characters is a slow
    # list of ranges, so the few astral format characters outside the tag block (Kaithi,
    # Egyptian, shorthand, musical controls) get their own, gated, class.
    bmp = _ranges_class(sorted({p for p in points if p <= 0xFFFF}))
    astral = _ranges_class(sorted({p for p in points if 0xFFFF < p < 0xE0000}))
    return re.compile(f"[{bmp}]+"), re.compile(f"[{astral}]+")


class _Folding:
    """The confusables fold table and the character classes built from it."""

    def __init__(self) -> None:
        data = json.loads(
            resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
        )
        table: dict[int, str] = {}
        for char, entries in data.items():
            if len(char) != 1 or char.isascii() or char in _KEEP_LETTERS:
                continue
            # Outside the BMP a regex class is a slow list of ranges; what lives there
            # (mathematical letters) NFKC has already folded, the rest are rare scripts.
            if ord(char) > 0xFFFF:
                continue
            # NFKC runs first, so only characters NFKC leaves alone need a mapping.
            if unicodedata.normalize("NFKC", char) != char:
                continue
            targets = {
                e["c"]
                for e in entries
                if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()
            }
            if len(targets) == 1:
                target = targets.pop()
                # The data's prototype for I-like capitals (Cyrillic І, Greek Ι) is "l";
                # a capital stands for "I" in the words spammers disguise.
                table[ord(char)] = "I" if target == "l" and char.isupper() else target
        self.table = table
        foldable = _ranges_class(sorted(table))
        latin_points = [
            cp
            for lo, hi in _LATIN_BLOCKS
            for cp in range(lo, hi + 1)
            if cp not in table
            and chr(cp).isalpha()
            and unicodedata.name(chr(cp), "").startswith("LATIN")
        ]
        self.foldable = re.compile(f"[{foldable}]")
        latin = "A-Za-z" + _ranges_class(latin_points)
        self.latin = re.compile(f"[{latin}]")
        # Words to fold, found by one regex so that no other word costs Python code.
        # Either a word of Latin letters and look-alikes with at least one of each
        # ("bіtcоin"), or a word made only of look-alikes ("рау") next to a word that
        # starts or ends in an ASCII letter, so an English sentence folds it and a Russian
        # one does not. A word holding any other letter ("Привет") is never touched.
        # Possessive scans anchored at word starts keep the search linear.
        word = rf"[{latin}{foldable}\d_]*+(?!\w)"
        mixed = rf"(?=[{latin}\d_]*+[{foldable}])(?=[{foldable}\d_]*+[{latin}]){word}"
        ascii_before = "|".join(rf"(?<=[A-Za-z]\W{{{n}}})" for n in (1, 2, 3))
        ascii_after = rf"(?=[{foldable}\d_]*+[\W_]{{1,3}}[A-Za-z])"
        lookalikes = (
            rf"(?=[\d_]*+[{foldable}])(?:{ascii_before}|{ascii_after})[{foldable}\d_]*+(?!\w)"
        )
        self.candidate = re.compile(rf"(?<!\w)(?:{mixed}|{lookalikes})")
        # In text written in Cyrillic or Greek, a word made only of look-alikes is a word
        # of that language ("Не", "Вас") even beside a Latin token such as a wallet
        # address: only mixed words fold there.
        self.mixed_only = re.compile(rf"(?<!\w)(?:{mixed})")
        native = [cp for cp in range(0x0370, 0x0500)
                  if cp not in table and chr(cp).isalpha()]
        self.native = re.compile(f"[{_ranges_class(native)}]")


@functools.cache
def _folding() -> _Folding:
    return _Folding()


def _fold_confusables(text: str) -> str:
    """Fold look-alike letters to Latin inside Latin words (see `_Folding.candidate`)."""
    fold = _folding()
    if not fold.foldable.search(text):
        return text  # accented Latin, CJK, emoji: nothing to fold, skip the word scan
    lookalike_only = False

    def fold_word(match: re.Match[str]) -> str:
        nonlocal lookalike_only
        word = match.group()
        lookalike_only = lookalike_only or not _ASCII_ALNUM.search(word)
        return word.translate(fold.table)

    if _written_natively(fold, text):
        return fold.mixed_only.sub(fold_word, text)
    folded = fold.candidate.sub(fold_word, text)
    for _ in range(_MAX_EXTRA_PASSES):
        if not lookalike_only:
            break
        # A folded look-alike-only word gives its neighbours ASCII context, so a run of
        # them ("рау сосо now") folds from the Latin side inward, a word per pass.
        lookalike_only = False
        folded = fold.candidate.sub(fold_word, folded)
    return folded


def _written_natively(fold: _Folding, text: str) -> bool:
    """Whether `text` has NATIVE_LETTERS Cyrillic or Greek letters that have no Latin
    look-alike: a letter in that script, not an English one in disguise (which uses
    only the look-alikes)."""
    count = 0
    for _ in fold.native.finditer(text):
        count += 1
        if count >= NATIVE_LETTERS:
            return True
    return False


def _nfkc(text: str) -> str:
    # The check is much cheaper than normalizing text that is already normal.
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _unicode_clean(text: str) -> str:
    """NFKC, drop invisible characters and junk marks, fold look-alikes."""
    text = _nfkc(text)
    invisible_bmp, invisible_astral = _invisible_re()
    cleaned = invisible_bmp.sub("", text)
    if _TAG_BLOCK.search(cleaned):
        cleaned = _TAG_BLOCK.sub("", cleaned)
    if _RARE_ASTRAL.search(cleaned):
        cleaned = invisible_astral.sub("", cleaned)
    if cleaned != text:
        # "e<ZWSP>\u0301" composes to "é" only once the zero-width space is gone.
        # (No character's NFKC form holds an invisible character, so one pass suffices.)
        cleaned = _nfkc(cleaned)
    if _ANY_SMALL_CAPITAL.search(cleaned):
        cleaned = cleaned.translate(_SMALL_CAPITALS_FOLD)
    if _ANY_MARK.search(cleaned):  # a cheap scan first: the look-behind one is slow
        cleaned = _JUNK_MARKS.sub("", cleaned)
    return _fold_confusables(cleaned)


def warm_up() -> None:
    """Build the Unicode tables now (~50-100 ms) instead of during the first message."""
    _invisible_re()
    _combining_re()
    _folding()


def normalize(text: str) -> str:
    """The text content rules match: clean Unicode, one space for every run of white space."""
    if not text.isascii():
        text = _unicode_clean(text)
    # str.split() splits on every Unicode white space (NBSP, line separators, ...) in C.
    return " ".join(text.split())


def normalize_for_addresses(text: str) -> str:
    """Clean Unicode but keep line structure and case: split addresses are re-joined by line."""
    if text.isascii():
        return text
    return _unicode_clean(text)


# Leetspeak: digits and symbols standing for letters.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "|": "l",
        "!": "i",
    }
)
# A token of letters, digits and leet symbols that has a digit or symbol next to a letter.
# Symbols count only inside the token (or "@"/"$" right before a letter), so "$1,450",
# "now!" and "a | b" are left alone. A token starts right after a character that cannot
# be in one: that character is consumed (group 1) rather than looked behind for, so the
# regex engine only tries positions after such characters (found by a fast class scan),
# not every position of every word; `fold_leet_tokens` puts one before the text's start.
# The possessive lookaheads skip tokens without a digit or symbol, or without a letter,
# before Python sees them.
_LEET_TOKEN = re.compile(
    r"([^\w@$|!])(?=[^\W0-9]*+[0-9@$|!])(?=[\d_@$|!]*+[^\W\d_])"
    r"((?:[@$](?=[^\W\d_]))?\w(?:[\w@$|!]*\w)?)"
)
_HAS_LEET = re.compile(r"[0-9@$|!]")
_LEET_NEAR_LETTER = re.compile(r"[0-9@$|!](?:(?<=[^\W\d_].)|(?=[^\W\d_]))")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# Numbers with a unit and codes like "24h", "10am", "2nd", "mp3", "x86", "win10" are real
# tokens, not leetspeak; folding them would break the deadline and money rules' text.
_NOT_LEET = re.compile(r"\d+(?:[.,]\d+)?[^\W\d_]{1,5}|[^\W\d_]{1,5}\d+")


def _fold_token(match: re.Match[str]) -> str:
    token = match.group(2)
    if not _HAS_LEET.search(token) or not _HAS_LETTER.search(token):
        return match.group()  # a symbol after the token's end ("now!") is not in it
    if _NOT_LEET.fullmatch(token):
        return match.group()
    return match.group(1) + token.translate(_LEET)


def has_leet(text: str) -> bool:
    """Whether `fold_leet` folds `text` at all: a digit or symbol next to a letter."""
    return _LEET_NEAR_LETTER.search(text) is not None


def fold_leet_tokens(text: str) -> str:
    """`fold_leet` without its `has_leet` check: every leet token folded.

    Tokens never span a line break, so folding lines one by one gives the same text as
    folding them joined.
    """
    return _LEET_TOKEN.sub(_fold_token, "\n" + text)[1:]


def fold_leet(text: str) -> str:
    """Map leetspeak inside words to letters: b1tc0in -> bitcoin, p0rn -> porn."""
    if not has_leet(text):
        return text  # the common case, found by a scan much cheaper than the token regex
    return fold_leet_tokens(text)


def strip_accents(text: str) -> str:
    """Drop accents from letters: "bítcöin" -> "bitcoin".

    Not part of `normalize`: accents carry meaning in the languages the packs are written
    in. The engine uses it only for the second, folded pass of rules that ask for
    obfuscation-tolerant matching (`leet: true`), where an accent on an English word is
    a disguise.
    """
    if text.isascii():
        return text
    bmp_marks, astral_marks = _combining_re()
    stripped = bmp_marks.sub("", unicodedata.normalize("NFD", text))
    if _ANY_ASTRAL.search(stripped):  # emoji, mostly; the astral class is a slow range list
        stripped = astral_marks.sub("", stripped)
    return unicodedata.normalize("NFC", stripped)


@functools.cache
def _combining_re() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Every character with a non-zero combining class (what `strip_accents` drops):
    (BMP, astral) classes, from the running Python's Unicode database."""
    points = [cp for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))]
    bmp = _ranges_class([p for p in points if p <= 0xFFFF])
    astral = _ranges_class([p for p in points if p > 0xFFFF])
    return re.compile(f"[{bmp}]+"), re.compile(f"[{astral}]+")
