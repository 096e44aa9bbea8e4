"""parse_message never raises: random bytes, mangled messages and malformed MIME fixtures.

A message that crashes the parser would be tempfailed forever (or, worse, accepted
unscanned), so every input must come back as a ParsedMessage with what could be read.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extortion_milter.engine.html_text import html_to_text
from extortion_milter.engine.limits import Limits
from extortion_milter.engine.message import ParsedMessage, parse_message
from extortion_milter.engine.normalize import fold_leet, normalize, normalize_for_addresses

FIXTURES = Path(__file__).parent / "unit" / "data" / "mime"
LIMITS = Limits()

SAMPLE = (
    b"From: =?utf-8?q?J=C3=BCrgen?= <sender@example.com>\r\n"
    b"To: victim@example.org\r\n"
    b"Subject: =?windows-1251?B?z/Do4uXy?= you have been recorded\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="OUTER"\r\n\r\n'
    b"--OUTER\r\n"
    b'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
    b"--ALT\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"I recorded you. Pay 0.1 BTC to bc1qar0srrr7xfkvy5l643ly=\r\ndnw9re59gtzzwf5mdq\r\n"
    b"--ALT\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(b"<p>I recorded <span style='display:none'>x</span>you</p>")
    + b"--ALT--\r\n"
    b"--OUTER\r\n"
    b'Content-Type: application/octet-stream; name="note.txt"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(b"attached text")
    + b"--OUTER\r\n"
    b'Content-Type: application/pdf; name="x.pdf"\r\n\r\n%PDF-1.4 not really\r\n'
    b"--OUTER--\r\n"
)


def check(raw: bytes, limits: Limits = LIMITS) -> ParsedMessage:
    msg = parse_message(raw, limits)
    assert isinstance(msg, ParsedMessage)
    assert isinstance(msg.subject, str)
    assert all(isinstance(p.text, str) for p in msg.parts)
    assert sum(len(p.text) for p in msg.parts) <= limits.max_text_chars
    return msg


def test_sample_parses_fully() -> None:
    msg = check(SAMPLE)
    assert msg.subject == "Привет you have been recorded"
    assert "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" in msg.body_text
    assert [p.source for p in msg.parts] == ["plain", "html", "attachment"]
    assert len(msg.notes) == 1
    assert msg.notes[0].startswith("part 6: PDF unreadable")


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@given(st.binary(max_size=2048))
@settings(max_examples=200, deadline=None)
def test_random_bytes_after_headers(body: bytes) -> None:
    check(b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n" + body)


@given(st.text(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_random_text(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


@given(st.integers(min_value=0, max_value=len(SAMPLE)))
@settings(max_examples=200, deadline=None)
def test_truncated_sample(cut: int) -> None:
    check(SAMPLE[:cut])


@given(st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=40))
@settings(max_examples=300, deadline=None)
def test_garbled_sample(edits: list[tuple[int, int]]) -> None:
    raw = bytearray(SAMPLE)
    for position, value in edits:
        raw[position] = value
    check(bytes(raw))


def test_deleted_and_duplicated_lines() -> None:
    lines = SAMPLE.split(b"\r\n")
    rng = random.Random(7)
    for _ in range(300):
        mangled = list(lines)
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(len(mangled))
            if rng.random() < 0.5:
                del mangled[i]
            else:
                mangled.insert(i, mangled[rng.randrange(len(mangled))])
        check(b"\r\n".join(mangled))


@pytest.mark.parametrize(
    "limits",
    [
        Limits(max_message_bytes=100),
        Limits(max_part_bytes=10),
        Limits(max_text_chars=5),
        Limits(max_parts=1),
        Limits(max_pdf_pages=0, max_pdf_bytes=10),
    ],
)
def test_tiny_limits(limits: Limits) -> None:
    msg = check(SAMPLE, limits)
    assert msg.notes


@given(st.text(max_size=3000))
@settings(max_examples=300, deadline=None)
def test_text_functions_never_raise(text: str) -> None:
    visible, hidden = html_to_text(text)
    assert isinstance(visible, str) and isinstance(hidden, str)
    assert normalize(normalize(text)) == normalize(text)  # idempotent
    assert isinstance(fold_leet(text), str)
    assert isinstance(normalize_for_addresses(text), str)


@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "</",
                "<!--",
                "-->",
                "<p>",
                "</p>",
                "<style>",
                "</style>",
                "<script>",
                "</script>",
                "<span style='display:none'>",
                "</span>",
                "<br>",
                "&amp;",
                "&#",
                '"',
                "'",
                "=",
                "a",
                "bit",
                "coin",
                " ",
                "\n",
                "{",
                "}",
                ".h",
                "<!",
                "<?",
            ]
        ),
        max_size=200,
    )
)
@settings(max_examples=300, deadline=None)
def test_html_fragments_never_raise(pieces: list[str]) -> None:
    html_to_text("".join(pieces))


# --- malformed fixtures ----------------------------------------------------------------------

# fixture file -> (text the body must contain, subject, a note that must be present)
EXPECTED: dict[str, tuple[str | None, str | None, str | None]] = {
    "truncated_multipart.eml": ("first part survives", "truncated", "CloseBoundaryNotFound"),
    "missing_boundary.eml": ("text in a lost structure", "no boundary", "NoBoundaryInMultipart"),
    "broken_base64.eml": ("I recorded you through your webcam", "broken base64", None),
    "bad_charsets.eml": ("Zażółć gęślą\ncafé crème\nnaïve\nПривет\n€ 500", "charsets", None),
    "nested_rfc822.eml": ("inner plain text\ninner html text", "Fwd: scam", None),
    "nested_1000.eml": ("deepest", "nested 1000", "MIME nesting deeper than 64 levels"),
    "garbage_headers.eml": ("body after garbage", "Garbage headers", None),
    "bare_lf.eml": ("line one\nline two", "bare LF", None),
    "headers_only.eml": (None, "headers only", None),
    "bogus_params.eml": ("params survive", "bogus params", None),
    "uuencode.eml": ("I recorded you via your webcam.", "uu", None),
    "html_broken.eml": ("I recorded you\npay in bitcoin", "html", None),
    "boundary_lookalike.eml": ("--BX is not a boundary", "lookalike boundary", None),
    "binary_junk.eml": (None, None, None),
    "qp_soft_breaks.eml": (
        "Send 0.1 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq €",
        "qp",
        None,
    ),
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.eml")) == sorted(EXPECTED)


# A hang or a quadratic step fails the test by its timeout; speed itself is bench/'s job.
@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_fixture(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    msg = check(raw)
    text, subject, note = EXPECTED[name]
    if text is not None:
        assert text in msg.body_text
    if subject is not None:
        assert msg.subject == subject
    if note is not None:
        assert any(note in n for n in msg.notes), msg.notes
    for cut in range(0, len(raw), max(1, len(raw) // 25)):
        check(raw[:cut])  # every prefix parses too


@pytest.mark.timeout(30)
def test_deep_nesting_cannot_hide_later_text() -> None:
    depth = 200
    raw = b"From: a@b.c\r\nSubject: decoy\r\nContent-Type: multipart/mixed; boundary=top\r\n\r\n"
    raw += b"--top\r\n"
    for i in range(depth):
        raw += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
    raw += b"Content-Type: text/plain\r\n\r\ndecoy\r\n"
    for i in reversed(range(depth)):
        raw += b"--b%d--\r\n" % i
    raw += b"--top\r\nContent-Type: text/plain\r\n\r\nI recorded you\r\n--top--\r\n"
    msg = check(raw)
    assert "I recorded you" in msg.body_text


# --- hostile sizes: each must stay linear (a quadratic step would take many seconds) -----

HOSTILE_MESSAGES = {
    "many encoded words": b"Subject: " + b"=?utf-8?q?ab?= " * 50_000 + b"\r\n\r\nx",
    "address run without @": b"To: " + b"a" * 300_000 + b"\r\n\r\nx",
    "address of @ signs": b"To: " + b"@" * 300_000 + b"\r\n\r\nx",
    "address brackets": b"From: " + b"<" * 300_000 + b"\r\n\r\nx",
    "encoded word starts": b"Subject: " + b"=?a?b?" * 50_000 + b"\r\n\r\nx",
    "long header line": b"X-Long: " + b"x" * 2_000_000 + b"\r\n\r\nx",
    "many headers": b"X-H: v\r\n" * 200_000 + b"\r\nx",
    "many lines": b"Subject: s\r\n\r\n" + b"line\r\n" * 300_000,
    "base64 junk lines": b"Content-Transfer-Encoding: base64\r\n\r\n"
    + b"!! junk line\r\n" * 100_000,
    "html tags": b"Content-Type: text/html\r\n\r\n" + b"<b>x</b><!--" * 80_000,
    "sibling parts": b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    + b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 20_000,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(HOSTILE_MESSAGES))
def test_hostile_messages_stay_fast(name: str) -> None:
    msg = check(HOSTILE_MESSAGES[name])
    assert isinstance(msg.headers, list)


def test_hostile_address_header_still_yields_addresses() -> None:
    raw = b"To: " + b"junk " * 10_000 + b"<victim@example.org>\r\n\r\nx"
    assert check(raw).to_addrs == ["victim@example.org"]


@pytest.mark.timeout(60)
def test_leet_and_normalize_on_long_tokens() -> None:
    for text in ("a1" * 100_000, "@" * 200_000, "$" * 100_000 + "a", "a" * 200_000 + "1"):
        assert fold_leet(text)
        assert normalize(text)
