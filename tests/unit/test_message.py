"""parse_message: headers, addresses, charsets, transfer encodings, parts and every limit."""

from __future__ import annotations

import base64
import quopri

import pytest

from extortion_milter.engine.limits import Limits
from extortion_milter.engine.message import (
    ParsedMessage,
    decode_bytes,
    decode_rfc2047,
    parse_message,
)

from .test_pdf_qr import make_pdf, make_qr_png

LIMITS = Limits()


def parse(raw: bytes, limits: Limits = LIMITS) -> ParsedMessage:
    return parse_message(raw, limits)


def message(body: bytes, headers: bytes = b"", ctype: bytes = b"text/plain") -> bytes:
    """A one-part message: the given extra headers, then a Content-Type and the body."""
    return (
        b"From: sender@example.com\r\nTo: rcpt@example.org\r\nSubject: test\r\n"
        + headers
        + b"Content-Type: "
        + ctype
        + b"\r\n\r\n"
        + body
    )


def multipart(*parts: bytes, subtype: bytes = b"mixed") -> bytes:
    """A multipart message; each part is its own headers, a blank line and its body."""
    out = (
        b"From: sender@example.com\r\nTo: rcpt@example.org\r\nSubject: test\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/" + subtype + b'; boundary="BND"\r\n\r\n'
        b"preamble\r\n"
    )
    for part in parts:
        out += b"--BND\r\n" + part + b"\r\n"
    return out + b"--BND--\r\n"


# --- headers ---------------------------------------------------------------------------------

SUBJECTS = [
    (b"=?UTF-8?B?SmUgdm91cyBhaSBmaWxtw6k=?=", "Je vous ai filmé"),
    (b"=?utf-8?q?Je_vous_ai_film=C3=A9?=", "Je vous ai filmé"),
    (b"=?windows-1251?B?z/Do4uXyLCDn4O/o8eDr?=", "Привет, записал"),
    (b"=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=", "Привет"),
    (b"=?iso-8859-2?Q?Za=BF=F3=B3=E6?=", "Zażółć"),
    (b"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"),
    (b"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # white space between encoded words goes
    (b"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"),  # ... also when folded
    (b"Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"),  # other text stays
    (b"=?utf-8?B?w6k=?==?utf-8?B?w6k=?=", "éé"),  # adjacent without space
    (  # UTF-8 characters split across two encoded words
        b"=?utf-8?B?"
        + base64.b64encode("€€x".encode()[:4])
        + b"?= =?utf-8?B?"
        + base64.b64encode("€€x".encode()[4:])
        + b"?=",
        "€€x",
    ),
    (b"=?utf-8*en?q?lang?=", "lang"),  # RFC 2231 language suffix
    (b"=?x-unknown?q?caf=C3=A9?=", "café"),  # unknown charset: UTF-8 guess
    (b"=?x-unknown?q?caf=E9?=", "café"),  # ... or windows-1252
    (b"=?utf-8?B?SGVsbG8?=", "Hello"),  # missing padding
    (b"=?utf-8?B?SGV$$sbG8=?=", "Hello"),  # junk characters in base64
    (b"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),  # not an encoded word: kept
    (b"plain \xc3\xa9t\xc3\xa9 utf-8", "plain été utf-8"),  # raw 8-bit UTF-8
    (b"plain \xe9t\xe9 latin", "plain été latin"),  # raw 8-bit latin-1 / cp1252
    (b"mixed caf\xc3\xa9 \xe9t\xe9", "mixed café été"),  # both in one header
    (b"  spaced  ", "spaced"),
    (b"=?utf-8?q?raw_\xc3\xa9_inside?=", "raw é inside"),  # 8-bit bytes in a word
    (b"=?utf-8?B?####?= kept", "=?utf-8?B?####?= kept"),  # undecodable word kept as text
]


@pytest.mark.parametrize(("raw", "expected"), SUBJECTS)
def test_subject_decoding(raw: bytes, expected: str) -> None:
    msg = parse(b"From: a@b.c\r\nSubject: " + raw + b"\r\n\r\nbody\r\n")
    assert msg.subject == expected
    assert msg.header("subject") == expected


def test_headers_keep_order_and_unfold() -> None:
    raw = (
        b"Received: from a\r\n\tby b\r\nX-One: 1\r\nx-one: 2\r\nSubject: long\r\n line\r\n\r\nbody"
    )
    msg = parse(raw)
    assert msg.headers == [
        ("Received", "from a\tby b"),
        ("X-One", "1"),
        ("x-one", "2"),
        ("Subject", "long line"),
    ]
    assert msg.header_values("X-ONE") == ["1", "2"]
    assert msg.header("missing") is None


def test_no_subject_is_empty() -> None:
    assert parse(b"From: a@b.c\r\n\r\nbody").subject == ""


def test_decode_rfc2047_directly() -> None:
    assert decode_rfc2047("no words") == "no words"
    assert decode_rfc2047("=?utf-8?b?w6k=?=") == "é"


# --- addresses -------------------------------------------------------------------------------

ADDRESSES = [
    (b"From: Victim <Victim@Example.COM>", "from", ["victim@example.com"]),
    (b"From: victim@example.com", "from", ["victim@example.com"]),
    (b'From: "Doe, John" <j@x.org>', "from", ["j@x.org"]),
    (b"From: =?utf-8?q?Doe=2C_John?= <j@x.org>", "from", ["j@x.org"]),
    (b"From: J\xc3\xbcrgen <j@x.org>", "from", ["j@x.org"]),
    (b"From: <<<garbage>>> j@x.org", "from", ["j@x.org"]),
    (b"From: no address here", "from", []),
    (b'From: "unterminated <a@b.c>', "from", ["a@b.c"]),
    (b"To: a@x.org, B@X.org\r\nCc: c@x.org, a@x.org", "to", ["a@x.org", "b@x.org", "c@x.org"]),
    (b"To: undisclosed-recipients:;", "to", []),
    (b"To: group: a@x.org, b@x.org;", "to", ["a@x.org", "b@x.org"]),
]


@pytest.mark.parametrize(("header", "field", "expected"), ADDRESSES)
def test_addresses(header: bytes, field: str, expected: list[str]) -> None:
    msg = parse(header + b"\r\nSubject: s\r\n\r\nbody")
    assert (msg.from_addrs if field == "from" else msg.to_addrs) == expected


# --- charsets --------------------------------------------------------------------------------

CHARSETS = [
    ("Привет".encode("cp1251"), "windows-1251", "Привет"),
    ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
    ("Zażółć".encode("iso-8859-2"), "iso-8859-2", "Zażółć"),
    ("café".encode("latin-1"), "iso-8859-1", "café"),
    ("€ 500".encode("cp1252"), "iso-8859-1", "€ 500"),  # latin-1 label, cp1252 byte
    ("café €".encode(), "iso-8859-1", "café €"),  # UTF-8 mislabelled latin-1
    ("café".encode(), "us-ascii", "café"),  # 8-bit text labelled ASCII
    ("café".encode(), None, "café"),  # no label: UTF-8
    ("café".encode("cp1252"), None, "café"),  # no label, not UTF-8: windows-1252
    ("café".encode(), "x-nonsense", "café"),  # unknown label
    ("café".encode("cp1252"), "utf-8", "café"),  # wrong label: stray byte read as cp1252
    ("日本語".encode("shift_jis"), "shift_jis", "日本語"),
    ("日本語".encode("iso-2022-jp"), "iso-2022-jp", "日本語"),
    ("中文".encode("gbk"), "gb2312", "中文"),
    ("abc".encode("utf-16"), "utf-16", "abc"),
    (b"abc", "punycode", "abc"),  # refused: quadratic decoder
    (b"YWJj", "base64", "YWJj"),  # not a text encoding
    (b"abc", '"utf-8"', "abc"),  # quoted label
    ("Pay now".encode("utf-16"), None, "Pay now"),  # Notepad "Unicode": UTF-16 with a BOM
    (b"\xfe\xff" + "Pay €".encode("utf-16-be"), "iso-8859-1", "Pay €"),  # BOM beats label
    (b"\xef\xbb\xbf" + "café".encode(), None, "café"),  # UTF-8 BOM is dropped
]


@pytest.mark.parametrize(("data", "charset", "expected"), CHARSETS)
def test_decode_bytes(data: bytes, charset: str | None, expected: str) -> None:
    assert decode_bytes(data, charset) == expected


@pytest.mark.parametrize(("data", "charset", "expected"), CHARSETS)
def test_body_charsets(data: bytes, charset: str | None, expected: str) -> None:
    ctype = b"text/plain" + (b"; charset=" + charset.encode() if charset else b"")
    msg = parse(message(data, b"Content-Transfer-Encoding: 8bit\r\n", ctype))
    assert msg.body_text == expected


def test_upper_case_charset_label() -> None:
    msg = parse(message("Привет".encode("koi8-r"), ctype=b"text/plain; charset=KOI8-R"))
    assert msg.body_text == "Привет"


def test_punycode_label_does_not_hang() -> None:
    body = "ä".encode() * 200_000
    msg = parse(message(body, ctype=b"text/plain; charset=punycode"))
    assert msg.body_text == "ä" * 200_000


# --- transfer encodings ----------------------------------------------------------------------


def test_base64_body() -> None:
    body = base64.encodebytes("Je vous ai filmé".encode())
    msg = parse(
        message(body, b"Content-Transfer-Encoding: base64\r\n", b"text/plain; charset=utf-8")
    )
    assert msg.body_text == "Je vous ai filmé"


def test_broken_base64_body() -> None:
    body = b"SSByZWNv!!cmRlZCB5\r\nb3U\r\n"  # junk characters, missing padding
    msg = parse(message(body, b"Content-Transfer-Encoding: BASE64\r\n"))
    assert msg.body_text.startswith("I recorded yo")


def test_quoted_printable_soft_break_inside_a_word() -> None:
    body = b"Send bit=\r\ncoin to caf=C3=A9 now=\r\n!\r\n"
    msg = parse(
        message(
            body, b"Content-Transfer-Encoding: quoted-printable\r\n", b"text/plain; charset=utf-8"
        )
    )
    assert msg.body_text.strip() == "Send bitcoin to café now!"


def test_quoted_printable_splits_an_address() -> None:
    address = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    body = quopri.encodestring(("pay to " + address).encode()).replace(b"lydnw", b"ly=\r\ndnw")
    msg = parse(message(body, b"Content-Transfer-Encoding: quoted-printable\r\n"))
    assert address in msg.body_text


def test_bad_quoted_printable_escapes_survive() -> None:
    body = b"odd =ZZ escape and =\r\n"
    msg = parse(message(body, b"Content-Transfer-Encoding: quoted-printable\r\n"))
    assert "odd =ZZ escape and" in msg.body_text


def test_unknown_transfer_encoding_is_read_as_is() -> None:
    msg = parse(message(b"plain words", b"Content-Transfer-Encoding: x-weird\r\n"))
    assert msg.body_text == "plain words"


def test_8bit_body() -> None:
    msg = parse(
        message(
            "Zażółć".encode(), b"Content-Transfer-Encoding: 8bit\r\n", b"text/plain; charset=utf-8"
        )
    )
    assert msg.body_text == "Zażółć"


# --- parts -----------------------------------------------------------------------------------


def test_alternative_plain_and_html() -> None:
    raw = multipart(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nplain version",
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>bit<span>co</span>in</p><div style='display:none'>hidden junk</div>",
        subtype=b"alternative",
    )
    msg = parse(raw)
    assert [(p.source, p.text, p.hidden_text) for p in msg.parts] == [
        ("plain", "plain version", ""),
        ("html", "bitcoin", "hidden junk"),
    ]
    assert msg.body_text == "plain version\nbitcoin"
    assert msg.hidden_text == "hidden junk"
    assert msg.attachments == []


def test_html_only_base64() -> None:
    html = base64.encodebytes(b"<html><body>I recorded <b>you</b></body></html>")
    msg = parse(message(html, b"Content-Transfer-Encoding: base64\r\n", b"text/html"))
    assert msg.parts[0].source == "html"
    assert msg.body_text == "I recorded you"


@pytest.mark.parametrize(
    ("headers", "filename"),
    [
        (
            b'Content-Type: text/plain; name="note.txt"\r\n'
            b'Content-Disposition: attachment; filename="note.txt"\r\n',
            "note.txt",
        ),
        (b'Content-Type: application/octet-stream; name="note.txt"\r\n', "note.txt"),
        (
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename*=utf-8''n%C3%B6te.txt\r\n",
            "nöte.txt",
        ),
        (
            b'Content-Type: application/octet-stream; name="=?utf-8?q?n=C3=B6te.TXT?="\r\n',
            "nöte.TXT",
        ),
    ],
)
def test_txt_attachment(headers: bytes, filename: str) -> None:
    body = base64.encodebytes(b"pay 0.1 BTC")
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nsee attachment",
        headers + b"Content-Transfer-Encoding: base64\r\n\r\n" + body,
    )
    msg = parse(raw)
    assert [(p.source, p.text, p.filename) for p in msg.parts] == [
        ("plain", "see attachment", None),
        ("attachment", "pay 0.1 BTC", filename),
    ]
    assert [a.filename for a in msg.attachments] == [filename]


def test_utf16_txt_attachment_without_charset() -> None:
    # Notepad's "Unicode" .txt: UTF-16 with a BOM, CRLF lines, sent as octet-stream.
    body = base64.encodebytes("I recorded you.\r\nPay 0.1 BTC.\r\n".encode("utf-16"))
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nsee attachment",
        b'Content-Type: application/octet-stream; name="README.txt"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body,
    )
    assert parse(raw).parts[1].text == "I recorded you.\nPay 0.1 BTC.\n"


def test_html_attachment_is_rendered() -> None:
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nsee attachment",
        b'Content-Type: application/octet-stream; name="letter.html"\r\n\r\n'
        b"<p>I <span style='font-size:0'>zz</span>recorded you</p>",
    )
    part = parse(raw).parts[1]
    assert (part.source, part.text, part.hidden_text, part.filename) == (
        "attachment",
        "I recorded you",
        "zz",
        "letter.html",
    )


def test_pdf_attachment() -> None:
    pdf = base64.encodebytes(make_pdf(["I recorded you through your webcam."]))
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nsee the PDF",
        b'Content-Type: application/pdf; name="photo.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + pdf,
    )
    msg = parse(raw)
    assert [(p.source, p.filename) for p in msg.parts] == [("plain", None), ("pdf", "photo.pdf")]
    assert "I recorded you through your webcam." in msg.parts[1].text
    assert [(a.filename, a.content_type) for a in msg.attachments] == [
        ("photo.pdf", "application/pdf")
    ]


def test_pdf_by_extension_on_octet_stream() -> None:
    pdf = base64.encodebytes(make_pdf(["hidden in octet stream"]))
    raw = multipart(
        b'Content-Type: application/octet-stream; name="x.PDF"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + pdf
    )
    assert "hidden in octet stream" in parse(raw).body_text


def test_broken_pdf_is_a_note() -> None:
    raw = multipart(b'Content-Type: application/pdf; name="x.pdf"\r\n\r\nnot a pdf')
    msg = parse(raw)
    assert msg.parts == []
    assert any("PDF unreadable" in note for note in msg.notes)


def test_images_are_collected() -> None:
    png = make_qr_png("bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    raw = multipart(
        b"Content-Type: text/html\r\n\r\n<img src='cid:qr'>",
        b"Content-Type: image/png\r\nContent-ID: <qr>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(png),
        b'Content-Type: application/octet-stream; name="scan.jpg"\r\n\r\nnot really',
    )
    msg = parse(raw)
    assert msg.images == [png, b"not really"]
    assert [a.content_type for a in msg.attachments] == ["image/png", "application/octet-stream"]
    assert msg.attachments[0].size == pytest.approx(len(png), abs=3)


def test_image_count_and_size_are_bounded() -> None:
    big = base64.encodebytes(b"\0" * (2 * 1024 * 1024 + 10))
    parts = [b"Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n" + big]
    parts += [b"Content-Type: image/png\r\n\r\nimg%d" % i for i in range(7)]
    msg = parse(multipart(*parts))
    assert msg.images == [b"img%d" % i for i in range(5)]
    assert "part 2: image larger than 2097152 bytes skipped" in msg.notes
    assert "more than 5 images; the rest are not scanned for QR codes" in msg.notes
    assert len(msg.attachments) == 8


def test_other_attachments_are_recorded_not_read() -> None:
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nbody",
        b'Content-Type: application/zip; name="a.zip"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"PK" + b"\0" * 300),
        b'Content-Type: text/rtf; name="b.rtf"\r\n\r\n{\\rtf1 secret}',
    )
    msg = parse(raw)
    assert msg.body_text == "body"
    assert [(a.filename, a.content_type) for a in msg.attachments] == [
        ("a.zip", "application/zip"),
        ("b.rtf", "text/rtf"),
    ]
    assert msg.attachments[0].size == pytest.approx(302, abs=3)


def test_nested_message_rfc822() -> None:
    inner = (
        b"From: scammer@x.org\r\nSubject: inner\r\nContent-Type: multipart/alternative; "
        b'boundary="IN"\r\n\r\n--IN\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n'
        b"--IN\r\nContent-Type: text/html\r\n\r\n<b>inner html</b>\r\n--IN--\r\n"
    )
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nforwarded scam below",
        b"Content-Type: message/rfc822\r\n\r\n" + inner,
    )
    msg = parse(raw)
    assert [p.text for p in msg.parts] == ["forwarded scam below", "inner plain", "inner html"]
    assert msg.subject == "test"  # the outer message's


def test_multipart_without_boundary_is_read_as_text() -> None:
    raw = message(
        b"--X\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n--X--\r\n",
        ctype=b"multipart/mixed",
    )
    assert "still readable" in parse(raw).body_text


def test_crlf_becomes_lf_in_plain_text() -> None:
    msg = parse(message(b"line one\r\nline two\r\n"))
    assert msg.body_text == "line one\nline two\n"


# --- limits ----------------------------------------------------------------------------------


def test_message_bytes_limit() -> None:
    raw = message(b"a" * 5000 + b"TAIL")
    msg = parse(raw, Limits(max_message_bytes=1000))
    assert "message truncated at 1000 bytes" in msg.notes
    assert "TAIL" not in msg.body_text
    assert msg.subject == "test"


@pytest.mark.parametrize("cte", [b"base64", b"quoted-printable", b"8bit"])
def test_part_bytes_limit(cte: bytes) -> None:
    text = b"word " * 1000 + b"TAIL"
    if cte == b"base64":
        body = base64.encodebytes(text)
    elif cte == b"quoted-printable":
        body = quopri.encodestring(text)
    else:
        body = text
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\nfirst",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + body,
    )
    msg = parse(raw, Limits(max_part_bytes=100))
    assert "part 3 truncated at 100 bytes" in msg.notes  # part 1 is the multipart itself
    assert msg.parts[1].text == ("word " * 20)
    assert msg.parts[0].text == "first"


def test_text_chars_limit() -> None:
    raw = multipart(
        b"Content-Type: text/plain\r\n\r\n" + b"a" * 80,
        b"Content-Type: text/plain\r\n\r\n" + b"b" * 80,
        b"Content-Type: text/plain\r\n\r\n" + b"c" * 80,
    )
    msg = parse(raw, Limits(max_text_chars=100))
    assert [p.text for p in msg.parts] == ["a" * 80, "b" * 20]
    assert "visible text truncated at 100 characters" in msg.notes


def test_parts_limit() -> None:
    parts = [b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(30)]
    msg = parse(multipart(*parts), Limits(max_parts=10))
    assert "more than 10 MIME parts; the rest were skipped" in msg.notes
    assert [p.text for p in msg.parts] == [f"part {i}" for i in range(9)]


@pytest.mark.timeout(30)  # a hang guard: parsing all 3,000 parts would take minutes
def test_parsing_stops_after_too_many_parts() -> None:
    parts = [b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(3000)]
    raw = multipart(*parts) + b"\r\ntrailing words"
    msg = parse(raw, Limits(max_parts=50))
    assert "more than 50 MIME parts; the rest read as text" in msg.notes
    assert [p.text for p in msg.parts[:3]] == ["part 0", "part 1", "part 2"]
    assert "trailing words" in msg.body_text  # the unparsed rest still reaches the rules


def test_header_section_is_cut_but_body_kept() -> None:
    raw = b"Subject: first\r\n" + b"X-Junk: v\r\n" * 10_000 + b"\r\nthe body"
    msg = parse(raw)
    assert "header section cut at 4000 lines" in msg.notes
    assert msg.subject == "first"
    assert msg.body_text == "the body"


def test_pdf_limits() -> None:
    pdf = make_pdf([f"page {i}" for i in range(1, 5)])
    raw = multipart(
        b'Content-Type: application/pdf; name="p.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf)
    )
    msg = parse(raw, Limits(max_pdf_pages=2))
    assert "page 2" in msg.body_text and "page 3" not in msg.body_text
    assert "part 2: PDF has 4 pages; read the first 2" in msg.notes
    small = parse(raw, Limits(max_pdf_bytes=200))
    assert "part 2 truncated at 200 bytes" in small.notes


def test_header_count_limit() -> None:
    raw = b"".join(b"X-H%d: v\r\n" % i for i in range(1500)) + b"Subject: late\r\n\r\nbody"
    msg = parse(raw)
    assert len(msg.headers) == 1000
    assert "more than 1000 headers; the rest were skipped" in msg.notes


@pytest.mark.timeout(30)  # a hang guard: unbounded, the parser recurses 1,000 levels deep
def test_deep_nesting_keeps_headers() -> None:
    depth = 1000
    raw = b"From: a@b.c\r\nSubject: deep\r\n"
    for i in range(depth):
        raw += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
    raw += b"Content-Type: text/plain\r\n\r\ndeepest text\r\n"
    for i in reversed(range(depth)):
        raw += b"--b%d--\r\n" % i
    msg = parse(raw)
    assert msg.subject == "deep"
    assert msg.from_addrs == ["a@b.c"]
    assert "MIME nesting deeper than 64 levels; the rest read as text" in msg.notes
    assert "deepest text" in msg.body_text


def test_nesting_within_bound_is_parsed_normally() -> None:
    raw = b"Subject: ok\r\n"
    for i in range(20):
        raw += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
    raw += b"Content-Type: text/plain\r\n\r\ndeep text\r\n"
    for i in reversed(range(20)):
        raw += b"--b%d--\r\n" % i
    msg = parse(raw)
    assert msg.notes == []
    assert [p.text for p in msg.parts] == ["deep text"]
