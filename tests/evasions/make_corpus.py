"""Build the evasion corpus: one extortion message per trick of REFERENCE §3 (several where
the trick has forms), benign look-alikes of the tricks, and the known gaps.

    python3 -m tests.evasions.make_corpus            # from the repository root

writes
    tests/corpus/extortion/en-evasion-<trick>-NNN.eml   one trick each (several per trick
                                                        where it has forms)
    tests/corpus/ham/ham-evasion-<kind>-NNN.eml         benign look-alikes of the tricks

and prints every file with the wallet address it carries. tests/test_evasions.py says,
per file, what proves the trick was seen through (and which tricks are not, yet).
Tricks the shipped rules accept go to tests/evasions/open/ instead of the corpus.

The output is deterministic: the same script gives the same bytes. The files are
committed; the tests never run this script. It needs the `qr` extra (zxing-cpp,
Pillow) and pycryptodome (EIP-55 only).

Every address is checksum-valid and computed here (tests/evasions/addresses.py) from
seeded bytes: none is a real wallet, none comes from the shared wallet lists.
"""

from __future__ import annotations

import base64
import datetime
import sys
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path

from . import addresses as addr
from . import letters, tricks
from .images import qr_pixels, qr_png, text_png
from .mime import (
    Multipart,
    Part,
    attachment,
    b64,
    encoded_word_b,
    encoded_word_q,
    message,
    pdf,
    text_part,
)

ROOT = Path(__file__).resolve().parents[2]
SPAM = ROOT / "tests" / "corpus" / "extortion"
HAM = ROOT / "tests" / "corpus" / "ham"
# Extortion the shipped rules accept today: kept out of the corpus (whose test would fail
# for everyone) until the rules catch them; tests/test_evasions.py marks them xfail.
OPEN = Path(__file__).resolve().parent / "open"

Builder = Callable[[str], tuple[bytes, str]]  # file stem -> (message bytes, its address)
CASES: list[tuple[Path, str, Builder]] = []


def case(folder: Path, stem: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        CASES.append((folder, stem, builder))
        return builder

    return register


def date(day: int) -> str:
    """The Date header of the day-th message: one day apart, from 1 September 2025."""
    zone = datetime.timezone(datetime.timedelta(hours=2))
    start = datetime.datetime(2025, 9, 1, 9, 0, tzinfo=zone)
    return format_datetime(start + datetime.timedelta(days=day, minutes=day * 7 % 60))


def webcam(address: str, amount: str = "$1250") -> str:
    return letters.WEBCAM.format(address=address, amount=amount)


def simple(
    stem: str,
    text_or_part: str | Part | Multipart,
    subject: str,
    day: int,
    sender: str = '"Support" <noreply.mailer@mx-relay.example>',
    to: str = "daniel.weber@weber-partner.example",
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    body = text_part(text_or_part) if isinstance(text_or_part, str) else text_or_part
    return message(stem, sender, to, subject, date(day), body, extra)


def html_doc(inner: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'{head}</head>\n<body style="font-family:Arial,sans-serif">\n{inner}\n</body></html>\n'
    )


# =========================================================================== Unicode


@case(SPAM, "en-evasion-homoglyph-001")
def homoglyph_cyrillic(stem: str) -> tuple[bytes, str]:
    """Cyrillic look-alikes inside Latin words, and inside the address (bс1q with a
    Cyrillic es)."""
    address = addr.btc_segwit(stem)
    shown = address.replace("c", "\u0441").replace("a", "\u0430").replace("e", "\u0435")
    text = tricks.disguise(webcam("{address}"), tricks.cyrillic).format(address=shown)
    part = text_part(text, cte="quoted-printable")
    subject = encoded_word_b("Y\u043eur d\u0435vice is h\u0430cked")
    return simple(stem, part, subject, 1), address


@case(SPAM, "en-evasion-homoglyph-002")
def homoglyph_greek(stem: str) -> tuple[bytes, str]:
    """Greek look-alikes (omicron, iota, alpha, nu, rho, kappa) inside Latin words."""
    address = addr.btc_taproot(stem)
    text = tricks.disguise(
        letters.PIXEL.format(name="Daniel", amount="$990", address=address), tricks.greek
    )
    return simple(stem, text_part(text, cte="8bit"), "Daniel, read this", 2), address


@case(SPAM, "en-evasion-homoglyph-003")
def homoglyph_whole_words(stem: str) -> tuple[bytes, str]:
    """Whole words made only of Cyrillic look-alikes ("рау", "ВТС"), and a legacy address
    with Cyrillic capitals and small letters in it."""
    address = addr.btc_p2pkh(stem)
    table = {
        "A": "\u0410",
        "B": "\u0412",
        "C": "\u0421",
        "E": "\u0415",
        "H": "\u041d",
        "K": "\u041a",
        "M": "\u041c",
        "P": "\u0420",
        "T": "\u0422",
        "X": "\u0425",
        "a": "\u0430",
        "c": "\u0441",
        "e": "\u0435",
        "o": "\u043e",
        "p": "\u0440",
        "x": "\u0445",
        "y": "\u0443",
    }
    shown = "".join(table.get(c, c) for c in address)
    text = letters.SELF_SENT.format(amount="0.03 BTC", address=shown)
    words = ["pay", "copy", "BTC", "your", "access", "porn", "A", "you", "across"]
    text = tricks.disguise(text, tricks.cyrillic_all, words)
    # A closing line made only of look-alike words: "Pay per BET as appeas."
    text += "\n\u0420\u0430\u0443 \u0440\u0435\u0440 \u0412\u0415\u0422 \u0430\u0455 "
    text += "\u0430\u0440\u0440\u0435\u0430\u0455.\n"
    return simple(
        stem, text_part(text, cte="base64"), encoded_word_b("\u0412\u0422\u0421 now"), 3
    ), address


@case(SPAM, "en-evasion-zerowidth-001")
def zero_width(stem: str) -> tuple[bytes, str]:
    """Zero-width space, non-joiner, joiner, word joiner and BOM inside the key words and
    every few characters of the address."""
    address = addr.btc_segwit(stem)
    shown = tricks.zero_width(address)
    text = tricks.disguise(webcam("{address}"), tricks.zero_width).format(address=shown)
    return simple(stem, text_part(text, cte="quoted-printable"), "Important", 4), address


@case(SPAM, "en-evasion-zerowidth-002")
def soft_hyphens(stem: str) -> tuple[bytes, str]:
    """Soft hyphens, combining grapheme joiners and Mongolian vowel separators inside
    words and the address, in an HTML body (raw characters, not entities)."""
    address = addr.eth(stem)
    shown = tricks.soft_hyphen(address)
    text = letters.PIXEL.format(name="Daniel", amount="$1400", address="{address}")
    text = text.replace("Bitcoin to my BTC wallet", "Ethereum (ETH) to my ETH wallet")
    body = tricks.to_html(tricks.disguise(text, tricks.soft_hyphen)).replace("{address}", shown)
    part = text_part(html_doc(body), subtype="html", cte="base64")
    return simple(stem, part, "Your privacy", 5), address


@case(SPAM, "en-evasion-combining-001")
def combining_marks(stem: str) -> tuple[bytes, str]:
    """Strike-through and overlay combining marks on every letter of the key words and
    on the address."""
    address = addr.btc_segwit(stem)
    shown = tricks.combining(address)
    text = tricks.disguise(webcam("{address}"), tricks.combining).format(address=shown)
    return simple(stem, text_part(text, cte="quoted-printable"), "Last warning", 6), address


@case(SPAM, "en-evasion-combining-002")
def combining_accents(stem: str) -> tuple[bytes, str]:
    """Accents on the vowels of English key words (combining acute, grave, diaeresis,
    circumflex): NFKC composes them into real accented letters ("bítcöin", "wèbcam")."""
    address = addr.btc_segwit(stem)
    text = tricks.disguise(webcam(address), tricks.combining_accents)
    return simple(stem, text_part(text, cte="quoted-printable"), "Last warning", 7), address


@case(SPAM, "en-evasion-fullwidth-001")
def fullwidth(stem: str) -> tuple[bytes, str]:
    """Fullwidth letters for the key words and a fullwidth address."""
    address = addr.btc_segwit(stem)
    text = tricks.disguise(webcam("{address}"), tricks.fullwidth)
    text = text.format(address=tricks.fullwidth(address))
    return simple(
        stem, text_part(text, cte="base64"), encoded_word_b("Ｙｏｕｒ ｖｉｄｅｏ"), 8
    ), address


@case(SPAM, "en-evasion-mathletters-001")
def math_letters(stem: str) -> tuple[bytes, str]:
    """Mathematical bold, script, fraktur, sans-serif, monospace and double-struck letters
    for the key words; the address in mathematical monospace digits and letters."""
    address = addr.btc_segwit(stem)
    counter = iter(range(10_000))
    text = tricks.disguise(webcam("{address}"), lambda w: tricks.math_letters(w, next(counter)))
    shown = tricks.math_digits(tricks.math_letters(address, 4))
    text = text.format(address=shown)
    part = text_part(text, cte="quoted-printable")
    subject = encoded_word_b(tricks.math_letters("time", 0) + " is running out")
    return simple(stem, part, subject, 9), address


@case(SPAM, "en-evasion-leet-001")
def leet_payment(stem: str) -> tuple[bytes, str]:
    """Leetspeak in the payment words: "b1tc01n", "w4ll3t", "7r4n5f3r", "p4ym3n7"."""
    address = addr.btc_segwit(stem)
    words = ["bitcoin", "btc", "wallet", "transfer", "payment", "pay"]
    text = tricks.disguise(webcam(address), tricks.leet, words)
    return simple(stem, text_part(text), "read carefully", 10), address


@case(SPAM, "en-evasion-leet-002")
def leet_story(stem: str) -> tuple[bytes, str]:
    """Leetspeak in every key word of the story: p0rn, w3bc4m, v1d30, r3c0rd3d, c0n74c75,
    h4ck3d, m4lw4r3, p0l1c3 (only the payment atoms fold leetspeak today)."""
    address = addr.btc_segwit(stem)
    story = [
        w
        for w in tricks.KEYWORDS
        if w not in ("bitcoin", "btc", "wallet", "transfer", "payment", "pay", "hours")
    ]
    text = tricks.disguise(webcam(address), tricks.leet, story)
    return simple(stem, text_part(text), "read carefully", 11), address


@case(SPAM, "en-evasion-smallcaps-001")
def small_caps(stem: str) -> tuple[bytes, str]:
    """Latin small capitals for the key words ("ʙɪᴛᴄᴏɪɴ", "ᴡᴇʙᴄᴀᴍ"), a font trick of
    social-media text generators."""
    caps = dict(zip("abcdefghijklmnopqrstuvwxyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡxʏᴢ", strict=True))
    address = addr.btc_segwit(stem)
    text = tricks.disguise(webcam(address), lambda w: "".join(caps.get(c, c) for c in w.lower()))
    return simple(stem, text_part(text, cte="quoted-printable"), "Hello", 12), address


# =========================================================================== HTML


@case(SPAM, "en-evasion-htmlsplit-001")
def html_tag_split(stem: str) -> tuple[bytes, str]:
    """Key words split across inline tags (bit<span>co</span>in), the address split
    across spans and a <font> tag."""
    address = addr.btc_segwit(stem)
    shown = f'{address[:9]}<span>{address[9:20]}</span><font color="#111111">{address[20:]}</font>'
    body = tricks.to_html(webcam("ADDRESSHERE"), tricks.tag_split).replace("ADDRESSHERE", shown)
    part = Multipart(
        "alternative",
        [
            text_part("Open this message in an HTML capable mail program.\n"),
            text_part(html_doc(body), subtype="html", cte="quoted-printable"),
        ],
    )
    return simple(stem, part, "Your account", 13), address


@case(SPAM, "en-evasion-htmlcomment-001")
def html_comment_split(stem: str) -> tuple[bytes, str]:
    """Key words split by comments (web<!-- x -->cam), the address split by an empty
    comment, and newsletter words hidden inside comments."""
    address = addr.btc_segwit(stem)
    shown = f"{address[:15]}<!---->{address[15:30]}<!-- {letters.HIDDEN_JUNK} -->{address[30:]}"
    body = tricks.to_html(webcam("ADDRESSHERE"), tricks.comment_split)
    body = body.replace("ADDRESSHERE", shown)
    body = f"<!-- {letters.HIDDEN_JUNK} -->\n{body}\n<!-- {letters.HIDDEN_JUNK} -->"
    part = text_part(html_doc(body), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Your account", 14), address


def _hidden_case(stem: str, day: int, hide: Callable[[str], str], head: str = "") -> bytes:
    address = addr.btc_segwit(stem)
    paragraphs = tricks.to_html(webcam(address)).split("\n")
    junk = hide(letters.HIDDEN_JUNK)
    body = "\n".join(f"{p}\n{junk}" for p in paragraphs)
    part = text_part(html_doc(body, head), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Personal matter", day)


@case(SPAM, "en-evasion-hidden-001")
def hidden_display_none(stem: str) -> tuple[bytes, str]:
    """Report, advice, forward and receipt words in display:none blocks between the
    paragraphs of the letter."""
    raw = _hidden_case(stem, 15, lambda j: f'<div style="display:none">{j}</div>')
    return raw, addr.btc_segwit(stem)


@case(SPAM, "en-evasion-hidden-002")
def hidden_font_size_zero(stem: str) -> tuple[bytes, str]:
    """Zero font size: junk spans between paragraphs and inside the key words."""
    address = addr.btc_segwit(stem)
    body = tricks.to_html(webcam(address), tricks.zero_font_junk)
    body += f'\n<p style="font-size:0">{letters.HIDDEN_JUNK}</p>'
    body = body.replace(
        "</p>\n<p>", f'</p>\n<span style="font-size:0px">{letters.HIDDEN_JUNK}</span>\n<p>', 1
    )
    part = text_part(html_doc(body), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Personal matter", 16), address


@case(SPAM, "en-evasion-hidden-003")
def hidden_white_on_white(stem: str) -> tuple[bytes, str]:
    """White text on white: color:#ffffff, <font color="white">, and #fefefe on a
    bgcolor="#ffffff" table cell."""
    address = addr.btc_segwit(stem)
    paragraphs = tricks.to_html(webcam(address)).split("\n")
    forms = [
        f'<p style="color:#ffffff">{letters.HIDDEN_JUNK}</p>',
        f'<font color="white">{letters.HIDDEN_JUNK}</font>',
        f'<table><tr><td bgcolor="#ffffff"><span style="color:#fefefe">{letters.HIDDEN_JUNK}'
        "</span></td></tr></table>",
    ]
    body = "\n".join(f"{p}\n{forms[i % 3]}" for i, p in enumerate(paragraphs))
    part = text_part(html_doc(body), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Personal matter", 17), address


@case(SPAM, "en-evasion-hidden-004")
def hidden_by_stylesheet(stem: str) -> tuple[bytes, str]:
    """Junk hidden by a <style> class and id rule, by opacity:0, visibility:hidden and a
    zero-height box with overflow:hidden."""
    address = addr.btc_segwit(stem)
    head = (
        '<style type="text/css">\n.pre { display: none !important; }\n'
        "#ftr { font-size: 0; }\nspan.x, .y { visibility: hidden }\n</style>"
    )
    forms = [
        f'<div class="pre">{letters.HIDDEN_JUNK}</div>',
        f'<div id="ftr">{letters.HIDDEN_JUNK}</div>',
        f'<span class="y">{letters.HIDDEN_JUNK}</span>',
        f'<div style="opacity:0">{letters.HIDDEN_JUNK}</div>',
        f'<div style="max-height:0;overflow:hidden">{letters.HIDDEN_JUNK}</div>',
    ]
    paragraphs = tricks.to_html(webcam(address)).split("\n")
    body = "\n".join(f"{p}\n{forms[i % len(forms)]}" for i, p in enumerate(paragraphs))
    part = text_part(html_doc(body, head), subtype="html", cte="base64")
    return simple(stem, part, "Personal matter", 18), address


@case(SPAM, "en-evasion-entities-001")
def numeric_entities(stem: str) -> tuple[bytes, str]:
    """Decimal and hexadecimal character references for letters of the key words
    (&#98;itcoin, &#x77;ebcam) and of the address."""
    address = addr.btc_segwit(stem)
    shown = "".join(f"&#{ord(c)};" if i % 3 == 0 else c for i, c in enumerate(address))
    body = tricks.to_html(webcam("ADDRESSHERE"), tricks.numeric_entities)
    body = body.replace("ADDRESSHERE", shown)
    part = text_part(html_doc(body), subtype="html", cte="7bit")
    return simple(stem, part, "Your secret", 19), address


@case(SPAM, "en-evasion-entities-002")
def named_entities(stem: str) -> tuple[bytes, str]:
    """Named references for invisible characters inside words (bit&shy;coin,
    web&ZeroWidthSpace;cam, &zwj;, &NoBreak;) and inside the address."""
    address = addr.btc_taproot(stem)
    shown = tricks.named_entities(address)
    body = tricks.to_html(webcam("ADDRESSHERE"), tricks.named_entities)
    body = body.replace("ADDRESSHERE", shown)
    part = text_part(html_doc(body), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Your secret", 20), address


# =========================================================================== images


@case(SPAM, "en-evasion-qr-001")
def qr_inline(stem: str) -> tuple[bytes, str]:
    """The address only in a QR code (bitcoin: URI with amount), shown inline in the HTML
    body; the text says "scan the code"."""
    address = addr.btc_segwit(stem)
    text = webcam("[QR]").replace(
        "transfer $1250 in Bitcoin to my wallet",
        "transfer $1250 in Bitcoin to my wallet - scan the code",
    )
    body = tricks.to_html(text).replace("[QR]", '<img src="cid:pay@qr" width="164" alt="">')
    png = qr_png(f"bitcoin:{address}?amount=0.0213")
    part = Multipart(
        "related",
        [
            text_part(html_doc(body), subtype="html", cte="quoted-printable"),
            attachment(png, "image/png", "pay.png", inline_cid="pay@qr"),
        ],
    )
    return simple(stem, part, "I recorded you", 21), address


@case(SPAM, "en-evasion-qr-002")
def qr_attached(stem: str) -> tuple[bytes, str]:
    """The address only in an attached QR code: upper-case BIP-21 URI (alphanumeric QR
    mode, as wallets write it), attached as application/octet-stream with a .png name."""
    address = addr.btc_segwit(stem)
    text = letters.PIXEL.format(
        name="Daniel", amount="$1100", address="(scan the attached QR code with any wallet app)"
    )
    png = qr_png(f"BITCOIN:{address.upper()}")
    part = Multipart(
        "mixed",
        [
            text_part(text),
            attachment(png, "application/octet-stream", "wallet.png"),
        ],
    )
    return simple(stem, part, "Daniel", 22), address


@case(SPAM, "en-evasion-imageonly-001")
def image_only_text_attachment(stem: str) -> tuple[bytes, str]:
    """Image-only body (a picture of the letter, nothing else to read), the letter's text
    in a .txt attachment."""
    address = addr.btc_segwit(stem)
    text = webcam(address)
    picture = text_png(text.splitlines())
    html = html_doc('<img src="cid:letter@img" width="640" alt="">')
    part = Multipart(
        "mixed",
        [
            Multipart(
                "related",
                [
                    text_part(html, subtype="html", cte="7bit"),
                    attachment(picture, "image/png", "letter.png", inline_cid="letter@img"),
                ],
            ),
            attachment(text.encode(), "text/plain", "letter.txt"),
        ],
    )
    return simple(stem, part, "For you", 23), address


@case(SPAM, "en-evasion-imageonly-002")
def image_only_pdf_qr(stem: str) -> tuple[bytes, str]:
    """Image-only body; the text in a PDF, the address only in a QR image."""
    address = addr.btc_segwit(stem)
    text = webcam("(scan the QR code in this email)")
    picture = text_png(text.splitlines())
    html = html_doc('<img src="cid:letter@img" alt=""><br><img src="cid:qr@img" alt="">')
    part = Multipart(
        "mixed",
        [
            Multipart(
                "related",
                [
                    text_part(html, subtype="html", cte="7bit"),
                    attachment(picture, "image/png", "letter.png", inline_cid="letter@img"),
                    attachment(
                        qr_png(f"bitcoin:{address}"), "image/png", "qr.png", inline_cid="qr@img"
                    ),
                ],
            ),
            attachment(pdf([text.splitlines()]), "application/pdf", "letter.pdf"),
        ],
    )
    return simple(stem, part, "For you", 24), address


@case(SPAM, "en-evasion-qr-003")
def qr_data_uri(stem: str) -> tuple[bytes, str]:
    """The QR code as a data: URI inside the HTML (<img src="data:image/png;base64,...">)
    rather than a MIME part."""
    address = addr.btc_segwit(stem)
    png = base64.b64encode(qr_png(f"bitcoin:{address}")).decode()
    text = webcam("[QR]").replace("to my wallet", "to my wallet (scan the code)")
    body = tricks.to_html(text).replace("[QR]", f'<img src="data:image/png;base64,{png}" alt="">')
    part = text_part(html_doc(body), subtype="html", cte="base64")
    return simple(stem, part, "I recorded you", 25), address


@case(SPAM, "en-evasion-pdf-003")
def pdf_with_qr_image(stem: str) -> tuple[bytes, str]:
    """ "Photo of your house" wave: the text and a QR code image inside a PDF; the address
    only in the QR code (the PDF's text says "scan the code")."""
    address = addr.btc_segwit(stem)
    text = webcam("(scan the QR code below with your phone)")
    document = pdf([text.splitlines()], images=[qr_pixels(f"bitcoin:{address}", scale=3)])
    part = Multipart(
        "mixed",
        [
            text_part("Daniel, I know where you live. Read the attached document.\n"),
            attachment(document, "application/pdf", "Daniel_Weber.pdf"),
        ],
    )
    return simple(stem, part, "Daniel Weber", 26), address


# =========================================================================== transfer encodings


@case(SPAM, "en-evasion-base-encoding-001")
def base64_plain(stem: str) -> tuple[bytes, str]:
    """The whole letter base64 encoded, in 60-character lines."""
    address = addr.btc_p2sh(stem)
    part = text_part(
        letters.PASSWORD.format(password="Summer2019!", amount="$1300", address=address),
        cte="base64",
        width=60,
    )
    return simple(stem, part, "Security alert", 27), address


@case(SPAM, "en-evasion-base-encoding-002")
def base64_html_sloppy(stem: str) -> tuple[bytes, str]:
    """Base64 HTML without final padding, with ragged line lengths and a junk line."""
    address = addr.btc_segwit(stem)
    raw = base64.b64encode(html_doc(tricks.to_html(webcam(address))).encode()).rstrip(b"=")
    lines = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    ragged = b"\n".join(
        line[:40] + b"\n" + line[40:] if i % 3 == 0 else line for i, line in enumerate(lines)
    )
    body = ragged + b"\n-- \n"
    part = Part(
        [("Content-Type", 'text/html; charset="utf-8"'), ("Content-Transfer-Encoding", "Base64")],
        body + b"\n",
    )
    return simple(stem, part, "Personal", 28), address


@case(SPAM, "en-evasion-qp-encoding-001")
def qp_soft_break_in_address(stem: str) -> tuple[bytes, str]:
    """Quoted-printable with soft line breaks inside the address and inside key words."""
    address = addr.btc_segwit(stem)
    text = webcam("ADDRESSHERE")
    encoded = b"\n".join(
        line.replace(b"webcam", b"web=\ncam").replace(b"Bitcoin", b"Bit=\ncoin")
        for line in text_part(text, cte="quoted-printable").body.split(b"\n")
    )
    encoded = encoded.replace(
        b"ADDRESSHERE", address[:30].encode() + b"=\n" + address[30:].encode()
    )
    part = Part(
        [
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ],
        encoded,
    )
    return simple(stem, part, "Your account", 29), address


@case(SPAM, "en-evasion-qp-encoding-002")
def qp_letters_encoded(stem: str) -> tuple[bytes, str]:
    """Quoted-printable that encodes the letters of the key words (=62=69=74coin) and of
    the address."""
    address = addr.btc_segwit(stem)

    def hexify(word: str) -> str:
        return "".join(f"={ord(c):02X}" if i % 2 == 0 else c for i, c in enumerate(word))

    text = tricks.disguise(webcam("ADDRESSHERE"), hexify)
    text = text.replace("ADDRESSHERE", hexify(address))
    part = Part(
        [
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ],
        text.encode(),
    )
    return simple(stem, part, "Your account", 30), address


@case(SPAM, "en-evasion-qp-encoding-003")
def qp_undecoded(stem: str) -> tuple[bytes, str]:
    """Soft line break left in the text: the body was quoted-printable encoded but
    labelled 8bit, so "=" and a line break sit inside the address."""
    address = addr.btc_segwit(stem)
    text = webcam(address[:25] + "=\n" + address[25:])
    return simple(stem, text_part(text, cte="8bit"), "Your account", 31), address


# =========================================================================== RFC 2047 subjects


@case(SPAM, "en-evasion-subject-001")
def subject_b_utf8(stem: str) -> tuple[bytes, str]:
    """B-encoded UTF-8 subject, split into several encoded words (one splits a multi-byte
    character), carrying the recipient's name and password."""
    address = addr.btc_segwit(stem)
    subject = encoded_word_b(
        "daniel.weber \u2014 your password is Tr0ub4dor&3 \u2014 pay now", chunk=13
    )
    text = letters.PASSWORD.format(password="Tr0ub4dor&3", amount="$1100", address=address)
    return simple(stem, text, subject, 32), address


@case(SPAM, "en-evasion-subject-002")
def subject_q_utf8(stem: str) -> tuple[bytes, str]:
    """Q-encoded UTF-8 subject with Cyrillic look-alikes in "password" and the payment
    demand in the subject only ("Send 0.02 BTC")."""
    address = addr.btc_segwit(stem)
    subject = encoded_word_q("p\u0430ssw\u043erd: Tr0ub4dor&3 - send 0.02 \u0412\u0422\u0421 today")
    text = letters.PASSWORD.format(password="Tr0ub4dor&3", amount="$1100", address=address)
    text = text.replace("Send $1100 in Bitcoin to this address:", "The address:")
    return simple(stem, text, subject, 33), address


@case(SPAM, "en-evasion-subject-003")
def subject_b_cp1251(stem: str) -> tuple[bytes, str]:
    """B-encoded windows-1251 subject: English with Cyrillic look-alikes, the password."""
    address = addr.btc_segwit(stem)
    subject = encoded_word_b(
        tricks.disguise(
            "Your password is Tr0ub4dor&3", tricks.cyrillic_all, ["your", "password", "is"]
        ),
        "windows-1251",
    )
    text = letters.PASSWORD.format(password="Tr0ub4dor&3", amount="$1100", address=address)
    return simple(stem, text, subject, 34), address


@case(SPAM, "en-evasion-subject-004")
def subject_q_cp1251(stem: str) -> tuple[bytes, str]:
    """Q-encoded windows-1251 subject naming the recipient and the payment in look-alikes."""
    address = addr.btc_segwit(stem)
    subject = encoded_word_q(
        tricks.disguise(
            "daniel.weber: pay 0.02 BTC or your video goes out",
            tricks.cyrillic_all,
            ["pay", "BTC", "your", "goes", "or"],
        ),
        "windows-1251",
    )
    text = webcam(address)
    return simple(stem, text, subject, 35), address


@case(SPAM, "en-evasion-subject-005")
def subject_disguised_password(stem: str) -> tuple[bytes, str]:
    """The recipient's name and the word "password" in the subject disguised with a
    Cyrillic look-alike and a zero-width space (B-encoded UTF-8)."""
    address = addr.btc_segwit(stem)
    subject = encoded_word_b("d\u0430niel.weber: p\u0430ss\u200bword Tr0ub4dor&3")
    text = letters.PASSWORD.format(password="Tr0ub4dor&3", amount="$1100", address=address)
    return simple(stem, text, subject, 68), address


# =========================================================================== charsets


def _charset_case(
    stem: str, day: int, charset: str, cte: str, trick: tricks.Trick, label: str | None = None
) -> tuple[bytes, str]:
    address = addr.btc_segwit(stem)
    text = tricks.disguise(webcam(address), trick)
    part = text_part(
        text, charset=label if label is not None else charset, cte=cte, encoding=charset
    )
    return simple(stem, part, "Video", day), address


@case(SPAM, "en-evasion-charset-001")
def charset_cp1251(stem: str) -> tuple[bytes, str]:
    """windows-1251, 8bit: English with Cyrillic look-alikes, bytes a naive filter reads
    as Latin-1 junk."""
    return _charset_case(stem, 36, "windows-1251", "8bit", tricks.cyrillic)


@case(SPAM, "en-evasion-charset-002")
def charset_koi8r(stem: str) -> tuple[bytes, str]:
    """koi8-r, quoted-printable, look-alikes from the Russian alphabet."""
    return _charset_case(stem, 37, "koi8-r", "quoted-printable", tricks.cyrillic_russian)


@case(SPAM, "en-evasion-charset-003")
def charset_iso8859_5(stem: str) -> tuple[bytes, str]:
    """iso-8859-5, base64, Cyrillic look-alikes."""
    return _charset_case(stem, 38, "iso-8859-5", "base64", tricks.cyrillic)


@case(SPAM, "en-evasion-charset-004")
def charset_iso8859_7(stem: str) -> tuple[bytes, str]:
    """iso-8859-7, 8bit, Greek look-alikes."""
    return _charset_case(stem, 39, "iso-8859-7", "8bit", tricks.greek)


@case(SPAM, "en-evasion-charset-005")
def charset_shift_jis(stem: str) -> tuple[bytes, str]:
    """Shift_JIS, base64: the key words in fullwidth Latin letters (two bytes each)."""
    return _charset_case(stem, 40, "shift_jis", "base64", tricks.fullwidth)


@case(SPAM, "en-evasion-charset-006")
def charset_utf7(stem: str) -> tuple[bytes, str]:
    """UTF-7 with letters of the key words and of the address hidden in base64 runs
    ("+AGI-itcoin")."""
    address = addr.btc_segwit(stem)

    def utf7_letter(word: str) -> str:
        first = base64.b64encode(word[0].encode("utf-16-be")).decode().rstrip("=")
        return f"+{first}-{word[1:]}"

    text = tricks.disguise(webcam("ADDRESSHERE"), utf7_letter)
    text = text.replace("ADDRESSHERE", address[:10] + utf7_letter(address[10:]))
    part = Part(
        [("Content-Type", 'text/plain; charset="utf-7"'), ("Content-Transfer-Encoding", "7bit")],
        text.encode("ascii"),
    )
    return simple(stem, part, "Video", 41), address


@case(SPAM, "en-evasion-charset-007")
def charset_missing(stem: str) -> tuple[bytes, str]:
    """No charset label at all on an 8bit UTF-8 body with Cyrillic look-alikes."""
    return _charset_case(stem, 42, "utf-8", "8bit", tricks.cyrillic, label="")


@case(SPAM, "en-evasion-charset-008")
def charset_wrong(stem: str) -> tuple[bytes, str]:
    """UTF-8 body with look-alikes labelled iso-8859-1 (the label is wrong)."""
    return _charset_case(stem, 43, "utf-8", "quoted-printable", tricks.cyrillic, label="iso-8859-1")


@case(SPAM, "en-evasion-charset-009")
def charset_alias(stem: str) -> tuple[bytes, str]:
    """iso-8859-2 under an unusual alias label ("ISO_8859-2:1987"), with Latin-2 letters
    in the signature and a no-break space inside the amount."""
    address = addr.btc_segwit(stem)
    text = webcam(address, amount="1\u00a0250 USD") + "\nZdeněk Šťastný, Łódź\n"
    part = text_part(text, charset="ISO_8859-2:1987", cte="quoted-printable", encoding="iso-8859-2")
    return simple(stem, part, "Video", 44), address


# =========================================================================== attachments


@case(SPAM, "en-evasion-txt-attachment-001")
def txt_attachment(stem: str) -> tuple[bytes, str]:
    """The letter in a .txt attachment sent as application/octet-stream; the body only
    says to open it."""
    address = addr.btc_segwit(stem)
    part = Multipart(
        "mixed",
        [
            text_part("Hello Daniel,\n\nplease open the attached file. It is about you.\n"),
            attachment(webcam(address).encode("utf-16"), "application/octet-stream", "README.txt"),
        ],
    )
    return simple(stem, part, "Document", 45), address


@case(SPAM, "en-evasion-txt-attachment-002")
def txt_attachment_no_disposition(stem: str) -> tuple[bytes, str]:
    """The letter in a text/plain part with only a name (no Content-Disposition), in
    windows-1251 with look-alikes, after an empty body part."""
    address = addr.btc_segwit(stem)
    text = tricks.disguise(webcam(address), tricks.cyrillic)
    part = Multipart(
        "mixed",
        [
            text_part("\n"),
            Part(
                [
                    ("Content-Type", 'text/plain; charset="windows-1251"; name="message.txt"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b64(text.encode("windows-1251")),
            ),
        ],
    )
    return simple(stem, part, "Document", 46), address


@case(SPAM, "en-evasion-html-attachment-001")
def html_attachment(stem: str) -> tuple[bytes, str]:
    """The letter in an .html attachment, its words split by tags and entities."""
    address = addr.btc_segwit(stem)
    body = tricks.to_html(webcam(address), tricks.tag_split)
    body = tricks.disguise(body, tricks.numeric_entities, ["delete", "publish", "online"])
    part = Multipart(
        "mixed",
        [
            text_part("Open the attachment in your browser.\n"),
            attachment(html_doc(body).encode(), "text/html", "message.html"),
        ],
    )
    return simple(stem, part, "Document", 47), address


@case(SPAM, "en-evasion-pdf-001")
def pdf_attachment(stem: str) -> tuple[bytes, str]:
    """The whole letter and the address in a PDF attachment (compressed content stream);
    the body only says "see attached"."""
    address = addr.btc_segwit(stem)
    document = pdf([webcam(address).splitlines()])
    part = Multipart(
        "mixed",
        [
            text_part("Hello,\n\nsee the attached document. It concerns you personally.\n"),
            attachment(document, "application/pdf", "document.pdf"),
        ],
    )
    return simple(stem, part, "Confidential", 48), address


@case(SPAM, "en-evasion-pdf-002")
def pdf_kerned(stem: str) -> tuple[bytes, str]:
    """ "Photo of your house" letter in a two-page PDF drawn with kerned TJ arrays of hex
    strings (words cut in two inside the array), sent as application/octet-stream."""
    address = addr.btc_segwit(stem)
    page1 = [
        "Daniel,",
        "",
        "is this your house on Birchwood Lane? Nice place.",
        "I know where you live, and I know a lot more than that.",
    ]
    document = pdf(
        [
            page1,
            letters.PASSWORD.format(
                password="Tr0ub4dor&3", amount="$1900", address=address
            ).splitlines(),
        ],
        kerned=True,
    )
    part = Multipart(
        "mixed",
        [
            text_part("Daniel, the attached file is about you.\n"),
            attachment(document, "application/octet-stream", "Daniel_Weber.pdf"),
        ],
    )
    return simple(stem, part, "Daniel Weber", 49), address


# =========================================================================== split addresses


@case(SPAM, "en-evasion-split-001")
def split_space(stem: str) -> tuple[bytes, str]:
    """The address in two pieces separated by spaces."""
    address = addr.btc_segwit(stem)
    return simple(stem, webcam(address[:21] + "  " + address[21:]), "Your video", 50), address


@case(SPAM, "en-evasion-split-002")
def split_lines(stem: str) -> tuple[bytes, str]:
    """A legacy address over three lines."""
    address = addr.btc_p2pkh(stem)
    shown = address[:12] + "\n" + address[12:24] + "\n" + address[24:]
    return simple(stem, webcam(shown), "Your video", 51), address


@case(SPAM, "en-evasion-split-003")
def split_html_br(stem: str) -> tuple[bytes, str]:
    """An HTML address split by <br> tags and a table cell boundary."""
    address = addr.btc_taproot(stem)
    shown = f"{address[:20]}<br>{address[20:40]}<br>\n{address[40:]}"
    body = tricks.to_html(webcam("ADDRESSHERE")).replace("ADDRESSHERE", shown)
    part = text_part(html_doc(body), subtype="html", cte="quoted-printable")
    return simple(stem, part, "Your video", 52), address


@case(SPAM, "en-evasion-split-004")
def split_groups(stem: str) -> tuple[bytes, str]:
    """The address in groups of six characters, as an IBAN is written (seven pieces)."""
    address = addr.btc_segwit(stem)
    shown = " ".join(address[i : i + 6] for i in range(0, len(address), 6))
    return simple(stem, webcam(shown), "Your video", 53), address


# =========================================================================== decoys and senders


@case(SPAM, "en-evasion-decoy-001")
def decoy_newsletter(stem: str) -> tuple[bytes, str]:
    """A gardening newsletter (List-Unsubscribe, List-Id, unsubscribe footer) wrapped
    around the letter."""
    address = addr.btc_segwit(stem)
    text = letters.NEWSLETTER_TOP + "\n" + webcam(address) + "\n" + letters.NEWSLETTER_BOTTOM
    body = tricks.to_html(text)
    part = Multipart(
        "alternative",
        [
            text_part(text, cte="quoted-printable"),
            text_part(html_doc(body), subtype="html", cte="quoted-printable"),
        ],
    )
    extra = [
        ("List-Unsubscribe", "<https://greenthumb.example/unsub?u=8812>"),
        ("List-Id", "Green Thumb Weekly <weekly.greenthumb.example>"),
        ("Precedence", "bulk"),
    ]
    return simple(
        stem,
        part,
        "Green Thumb Weekly #214: frost is coming",
        54,
        sender='"Green Thumb Weekly" <news@greenthumb.example>',
        extra=extra,
    ), address


@case(SPAM, "en-evasion-decoy-002")
def decoy_article(stem: str) -> tuple[bytes, str]:
    """Bayes poison: an encyclopedia paragraph above and below the letter."""
    address = addr.btc_segwit(stem)
    text = letters.DECOY_ARTICLE * 2 + "\n" + webcam(address) + "\n" + letters.DECOY_ARTICLE * 3
    return simple(stem, text, "lighthouse", 55), address


@case(SPAM, "en-evasion-decoy-003")
def decoy_security_news(stem: str) -> tuple[bytes, str]:
    """The letter wrapped in a visible security newsletter that talks about sextortion
    scams and gives the usual advice: report context around a real threat."""
    address = addr.btc_segwit(stem)
    top = (
        "SECURITY BULLETIN - October\n\nPolice warn residents about a sextortion scam "
        "circulating by email. Victims receive a message claiming a hacker recorded them. "
        "Security experts say: do not pay and report it to the police.\n\n"
        "Now something personal, for you only:\n"
    )
    return simple(stem, top + "\n" + webcam(address), "Security bulletin", 66), address


@case(SPAM, "en-evasion-decoy-004")
def decoy_forward_marker(stem: str) -> tuple[bytes, str]:
    """The letter dressed as a forward: a "Forwarded message" block and a "Fwd:"
    subject, but sent straight to the victim."""
    address = addr.btc_segwit(stem)
    head = (
        "---------- Forwarded message ---------\nFrom: Support <support@mx-relay.example>\n"
        "Date: Mon, 8 Sep 2025\nSubject: Your account\n\n"
    )
    return simple(stem, head + webcam(address), "Fwd: Your account", 67), address


@case(SPAM, "en-evasion-selfsent-001")
def self_sent(stem: str) -> tuple[bytes, str]:
    """From = To, same address, no display name."""
    address = addr.btc_segwit(stem)
    me = "daniel.weber@weber-partner.example"
    text = letters.SELF_SENT.format(amount="$1350", address=address)
    return simple(stem, text, "daniel.weber", 56, sender=me, to=me), address


@case(SPAM, "en-evasion-selfsent-002")
def self_sent_disguised(stem: str) -> tuple[bytes, str]:
    """From = To with a different case, an RFC 2047 display name, and a second recipient."""
    address = addr.ltc_segwit(stem)
    sender = f"{encoded_word_q('Daniel Weber')} <Daniel.Weber@Weber-Partner.example>"
    to = '"Accounts" <accounts@weber-partner.example>, daniel.weber@weber-partner.example'
    text = letters.SELF_SENT.format(amount="$1350", address=address)
    text = text.replace("in Bitcoin", "in Litecoin (LTC)").replace("my wallet", "my LTC wallet")
    return simple(stem, text, "Problems with your account", 57, sender=sender, to=to), address


@case(SPAM, "en-evasion-noaddress-001")
def no_address(stem: str) -> tuple[bytes, str]:
    """No address: "buy at a Bitcoin ATM, reply for the wallet"."""
    return simple(stem, letters.ATM.format(amount="$1500"), "Your webcam", 58), ""


@case(SPAM, "en-evasion-noaddress-002")
def no_address_disguised(stem: str) -> tuple[bytes, str]:
    """No address, and the key words in Cyrillic look-alikes inside an HTML body."""
    text = tricks.disguise(letters.ATM.format(amount="$1500"), tricks.cyrillic)
    part = text_part(html_doc(tricks.to_html(text)), subtype="html", cte="base64")
    return simple(stem, part, "Read this alone", 59), ""


# =========================================================================== benign look-alikes


@case(HAM, "ham-evasion-pdf-invoice-001")
def ham_pdf_invoice(stem: str) -> tuple[bytes, str]:
    """A real invoice as a PDF attachment: amount, bank details, due in 14 days."""
    lines = [
        "Birchwood Web Services Ltd - INVOICE",
        "",
        "Invoice number: INV-2025-0913",
        "Date: 1 September 2025",
        "Customer: Weber & Partner, attn. Daniel Weber",
        "",
        "Website hosting, September 2025 ........ EUR 49.00",
        "Managed backups (30 days retention) ..... EUR 15.00",
        "Security monitoring and webcam-free support desk ... EUR 0.00",
        "Total due: EUR 76.16 (incl. 19% VAT)",
        "",
        "Please pay within 14 days by bank transfer to IBAN DE44 5001 0517 5407 3249 31,",
        "BIC INGDDEFFXXX, quoting the invoice number. Late payments may incur a fee.",
        "Questions? Reply to this email or call +49 30 1234567.",
    ]
    part = Multipart(
        "mixed",
        [
            text_part(
                "Dear Daniel,\n\nplease find attached invoice INV-2025-0913 for September.\n"
                "The amount is due within 14 days.\n\nKind regards,\nBirchwood Web Services\n"
            ),
            attachment(pdf([lines]), "application/pdf", "INV-2025-0913.pdf"),
        ],
    )
    return simple(
        stem,
        part,
        "Invoice INV-2025-0913",
        60,
        sender='"Birchwood Billing" <billing@birchwood-web.example>',
    ), ""


@case(HAM, "ham-evasion-qr-ticket-001")
def ham_qr_ticket(stem: str) -> tuple[bytes, str]:
    """A conference ticket with a check-in QR code (a ticket URL)."""
    png = qr_png("https://tickets.devconf.example/checkin/7F3K-22QX-91LM")
    html = html_doc(
        "<h1>Your ticket for DevConf 2025</h1>"
        "<p>Hi Daniel, thanks for registering! Show this QR code at the entrance. The doors "
        "open at 8:30; the first talk starts at 9:15 in Hall A.</p>"
        '<p><img src="cid:ticket@devconf" alt="QR code"></p>'
        "<p>Ticket 7F3K-22QX-91LM &middot; Full conference pass &middot; paid EUR 349.00</p>"
        "<p>Workshops need a separate booking within 48 hours of the start. Recording of "
        "talks: every session is filmed and the video will be published online.</p>"
    )
    part = Multipart(
        "related",
        [
            text_part(html, subtype="html", cte="quoted-printable"),
            attachment(png, "image/png", "ticket.png", inline_cid="ticket@devconf"),
        ],
    )
    return simple(
        stem,
        part,
        "Your DevConf 2025 ticket",
        61,
        sender='"DevConf Tickets" <tickets@devconf.example>',
    ), ""


@case(HAM, "ham-evasion-qr-donation-001")
def ham_qr_donation(stem: str) -> tuple[bytes, str]:
    """A Bitcoin meetup newsletter with a donation QR code holding a valid address."""
    address = addr.btc_segwit(stem)
    png = qr_png(f"bitcoin:{address}?label=Meetup%20Donations")
    html = html_doc(
        "<h2>Berlin Bitcoin Meetup - October</h2>"
        "<p>Our next meetup is on 9 October at the Coworking Loft, 7pm. Talks: Lightning "
        "channel management, and a beginner session on hardware wallets.</p>"
        "<p>The meetup is free and run by volunteers. If you would like to help with the "
        "room rent, you can donate with the QR code below. Thank you!</p>"
        '<p><img src="cid:donate@meetup" alt="donation QR"></p>'
        '<p style="font-size:11px">You receive this mail because you joined our list. '
        '<a href="https://meetup.example/unsub">Unsubscribe</a></p>'
    )
    part = Multipart(
        "related",
        [
            text_part(html, subtype="html", cte="quoted-printable"),
            attachment(png, "image/png", "donate.png", inline_cid="donate@meetup"),
        ],
    )
    extra = [("List-Unsubscribe", "<https://meetup.example/unsub?id=441>")]
    return simple(
        stem,
        part,
        "October meetup: Lightning and hardware wallets",
        62,
        sender='"Berlin Bitcoin Meetup" <hello@meetup.example>',
        extra=extra,
    ), address


@case(HAM, "ham-evasion-preheader-001")
def ham_preheader(stem: str) -> tuple[bytes, str]:
    """A retail HTML newsletter with a hidden preheader (display:none; max-height:0),
    zero-width padding after it, white spacer text and a tracking pixel."""
    padding = "&zwnj;&nbsp;" * 60
    html = html_doc(
        '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">'
        "Autumn sale: 30% off webcams, headsets and everything for your home office - this "
        f"weekend only.{padding}</div>"
        '<table width="100%" bgcolor="#ffffff"><tr><td>'
        "<h1>The Home Office Sale</h1>"
        "<p>Upgrade your video calls: HD webcams from EUR 39, noise-cancelling headsets, "
        "ring lights and more. The sale ends in 48 hours.</p>"
        '<p><a href="https://shop.example/sale">Shop now</a></p>'
        '<p style="color:#ffffff;font-size:1px">.</p>'
        '<p style="font-size:11px;color:#777777">You receive this because you subscribed at '
        'shop.example. <a href="https://shop.example/unsub">Unsubscribe</a></p>'
        '<img src="https://shop.example/o.gif?u=91" width="1" height="1" alt="">'
        "</td></tr></table>"
    )
    part = Multipart(
        "alternative",
        [
            text_part(
                "The Home Office Sale - HD webcams from EUR 39. Ends in 48 hours.\n"
                "Shop now: https://shop.example/sale\nUnsubscribe: https://shop.example/unsub\n"
            ),
            text_part(html, subtype="html", cte="quoted-printable"),
        ],
    )
    extra = [("List-Unsubscribe", "<https://shop.example/unsub?u=91>")]
    return simple(
        stem,
        part,
        "30% off webcams this weekend",
        63,
        sender='"Shop Example" <deals@shop.example>',
        extra=extra,
    ), ""


@case(HAM, "ham-evasion-receipt-qp-001")
def ham_receipt_qp(stem: str) -> tuple[bytes, str]:
    """An exchange withdrawal confirmation in quoted-printable, the address broken by a
    soft line break as encoders do at column 76."""
    address = addr.btc_segwit(stem)
    text = (
        "Hello Daniel,\n\nYour withdrawal has been processed.\n\n"
        f"Amount: 0.01250000 BTC\nNetwork fee: 0.00002100 BTC\nDestination address: {address}\n"
        "Transaction ID: 9f3c1a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a\n\n"
        "If you did not request this withdrawal, contact support within 24 hours.\n\n"
        "CoinHarbor Exchange - this is an automated message.\n"
    )
    encoded = text_part(text, cte="quoted-printable").body
    start = encoded.index(address.encode())
    encoded = encoded[: start + 20] + b"=\n" + encoded[start + 20 :]
    part = Part(
        [
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ],
        encoded,
    )
    return simple(
        stem,
        part,
        "Withdrawal confirmation",
        64,
        sender='"CoinHarbor" <no-reply@coinharbor.example>',
    ), address


@case(HAM, "ham-evasion-entities-001")
def ham_entities(stem: str) -> tuple[bytes, str]:
    """A personal HTML mail from a word processor: every apostrophe an entity, spans
    around single letters, soft hyphens; it talks about a webcam, a video and a recording."""
    html = html_doc(
        "<p class=MsoNormal><span lang=EN-GB>Hi Daniel,</span></p>"
        "<p class=MsoNormal><span lang=EN-GB>I&#8217;ve finally fixed the web<span>cam</span> "
        "on the meeting-room laptop &#8211; the driver was the problem. I recorded a short "
        "vid&shy;eo of the board meeting so you can watch what you missed; it&#8217;s on the "
        "shared drive. Could you send it to the rest of the team by Friday?</span></p>"
        "<p class=MsoNormal><span lang=EN-GB>Also, don&#8217;t forget to pay the catering "
        "invoice (EUR&nbsp;240) within 7 days.</span></p>"
        "<p class=MsoNormal><span lang=EN-GB>Cheers,<br>Anna</span></p>"
    )
    part = text_part(html, subtype="html", cte="quoted-printable")
    return simple(
        stem,
        part,
        "Webcam fixed + board meeting video",
        65,
        sender='"Anna Keller" <anna.keller@weber-partner.example>',
    ), ""


def main() -> int:
    only = set(sys.argv[1:])
    OPEN.mkdir(exist_ok=True)
    for folder, stem, builder in CASES:
        if only and stem not in only:
            continue
        raw, address = builder(stem)
        (folder / f"{stem}.eml").write_bytes(raw)
        print(f"{folder.relative_to(ROOT)}/{stem}.eml  {address}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
