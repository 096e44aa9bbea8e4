"""Text-level evasion tricks, each a function from a clean word to its disguised form.

Spammers disguise the words a filter looks for ("bitcoin", "webcam", "contacts") and leave
the rest readable; `disguise` does the same: it rewrites every whole-word occurrence of the
key words in a text with one trick.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable

Trick = Callable[[str], str]

# The words the English rule pack needs to see: every family of the scam letter.
KEYWORDS = (
    "bitcoin",
    "bitcoins",
    "btc",
    "webcam",
    "camera",
    "video",
    "recorded",
    "recording",
    "contacts",
    "hacked",
    "hacker",
    "malware",
    "trojan",
    "spyware",
    "porn",
    "adult",
    "website",
    "wallet",
    "transfer",
    "pay",
    "payment",
    "police",
    "family",
    "friends",
    "colleagues",
    "hours",
    "send",
    "publish",
    "account",
    "device",
    "password",
)

_CYRILLIC = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
    "i": "\u0456",
    "s": "\u0455",
    "j": "\u0458",
    "A": "\u0410",
    "B": "\u0412",
    "C": "\u0421",
    "E": "\u0415",
    "H": "\u041d",
    "K": "\u041a",
    "M": "\u041c",
    "O": "\u041e",
    "P": "\u0420",
    "T": "\u0422",
    "X": "\u0425",
}
_GREEK = {
    "o": "\u03bf",
    "i": "\u03b9",
    "a": "\u03b1",
    "v": "\u03bd",
    "p": "\u03c1",
    "k": "\u03ba",
    "u": "\u03c5",
    "A": "\u0391",
    "B": "\u0392",
    "E": "\u0395",
    "H": "\u0397",
    "I": "\u0399",
    "K": "\u039a",
    "M": "\u039c",
    "N": "\u039d",
    "O": "\u039f",
    "P": "\u03a1",
    "T": "\u03a4",
    "X": "\u03a7",
    "Y": "\u03a5",
    "Z": "\u0396",
}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8"}


def _some(word: str, table: dict[str, str], every: int = 2) -> str:
    """Replace every `every`-th replaceable letter (at least one) from `table`."""
    out = []
    count = 0
    for char in word:
        if char in table:
            count += 1
            if count % every == 1 or every == 1:
                out.append(table[char])
                continue
        out.append(char)
    return "".join(out)


def cyrillic(word: str) -> str:
    return _some(word, _CYRILLIC)


_RUSSIAN = {k: v for k, v in _CYRILLIC.items() if k not in "isj"}  # koi8-r has no і, ѕ, ј


def cyrillic_russian(word: str) -> str:
    """Look-alikes from the Russian alphabet only (fit koi8-r)."""
    return _some(word, _RUSSIAN)


def cyrillic_all(word: str) -> str:
    return _some(word, _CYRILLIC, every=1)


def greek(word: str) -> str:
    return _some(word, _GREEK)


def leet(word: str) -> str:
    return _some(word, _LEET, every=1)


def _between(word: str, fillers: Iterable[str]) -> str:
    """`word` with one filler between each pair of letters, cycling through `fillers`."""
    cycle = itertools.cycle(fillers)
    return word[0] + "".join(next(cycle) + char for char in word[1:])


def zero_width(word: str) -> str:
    return _between(word, ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])


def soft_hyphen(word: str) -> str:
    return _between(word, ["\u00ad", "\u034f", "\u180e"])


# Overlay and strike marks: no precomposed letter exists, so they stay on their letter.
_MARKS = ["\u0336", "\u0334", "\u0337", "\u0335", "\u20d2", "\u0338"]


def combining(word: str) -> str:
    marks = itertools.cycle(_MARKS)
    return "".join(char + next(marks) for char in word)


def combining_accents(word: str) -> str:
    """Accents on vowels: NFKC composes them into real accented letters ("bítcóin")."""
    table = {"a": "a\u0301", "e": "e\u0300", "i": "i\u0301", "o": "o\u0308", "u": "u\u0302"}
    return "".join(table.get(char, char) for char in word)


def fullwidth(word: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)


_MATH_STYLES = (0x1D400, 0x1D4D0, 0x1D56C, 0x1D5D4, 0x1D670, 0x1D538)  # bold, bold script,
# bold fraktur, sans bold, monospace, double-struck (capitals of double-struck have holes:
# only lower case is used here)


def math_letters(word: str, style: int = 0) -> str:
    base = _MATH_STYLES[style % len(_MATH_STYLES)]
    out = []
    for char in word:
        if "a" <= char <= "z":
            out.append(chr(base + 26 + ord(char) - ord("a")))
        elif "A" <= char <= "Z" and base != 0x1D538:
            out.append(chr(base + ord(char) - ord("A")))
        else:
            out.append(char)
    return "".join(out)


def math_digits(text: str) -> str:
    """Mathematical monospace digits (U+1D7F6...) for the digits of `text`."""
    return "".join(chr(0x1D7F6 + int(c)) if c.isdigit() else c for c in text)


# --- HTML tricks (applied to HTML-escaped text) ---------------------------------------


def tag_split(word: str) -> str:
    if len(word) < 4:
        return f"<b></b>{word}"
    third = len(word) // 3
    return f"{word[:third]}<span>{word[third : 2 * third]}</span>{word[2 * third :]}"


def comment_split(word: str) -> str:
    half = len(word) // 2
    return f"{word[:half]}<!-- {word[::-1]} -->{word[half:]}"


def numeric_entities(word: str) -> str:
    """Alternate decimal and hex character references for every other letter."""
    out = []
    for index, char in enumerate(word):
        if index % 2 == 0:
            out.append(f"&#{ord(char)};" if index % 4 == 0 else f"&#x{ord(char):x};")
        else:
            out.append(char)
    return "".join(out)


def named_entities(word: str) -> str:
    return _between(word, ["&shy;", "&ZeroWidthSpace;", "&zwnj;", "&zwj;", "&NoBreak;"])


def zero_font_junk(word: str) -> str:
    """Junk letters in a zero-size span inside the word: 'bit<span ...>nioctib</span>coin'."""
    half = len(word) // 2
    junk = word[::-1]
    return f'{word[:half]}<span style="font-size:0px">{junk}</span>{word[half:]}'


def disguise(text: str, trick: Trick, words: Iterable[str] = KEYWORDS) -> str:
    """`text` with every whole-word occurrence of `words` (any case) rewritten by `trick`."""
    pattern = re.compile(r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")\b", re.I)
    return pattern.sub(lambda m: trick(m.group()), text)


def to_html(text: str, trick: Trick | None = None, words: Iterable[str] = KEYWORDS) -> str:
    """Paragraphs of `text` as HTML, key words rewritten by an HTML-level `trick`."""
    escaped = html.escape(text, quote=False)
    if trick is not None:
        escaped = disguise(escaped, trick, words)
    paragraphs = [p.replace("\n", "<br>\n") for p in escaped.strip().split("\n\n")]
    return "\n".join(f"<p>{p}</p>" for p in paragraphs)
