"""The single-part fast path builds exactly the Message the feed parser builds, or declines.

Every corpus message (as received over SMTP, with CRLF lines) and every edge case below is
parsed both ways; where the fast path answers, headers, payload, defects and type must be
the parser's. A regression case is one more row in EDGE_CASES or one more corpus file.
"""

from __future__ import annotations

import email.feedparser
import email.policy
import re
from email.message import Message
from pathlib import Path

import pytest

from extortion_milter.engine.message import _parse_single_part

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def feed_parser(raw: bytes) -> Message:
    parser = email.feedparser.BytesFeedParser(policy=email.policy.compat32)
    parser.feed(raw)
    return parser.close()


def summary(message: Message) -> tuple[object, ...]:
    return (
        list(message.raw_items()),
        message.get_payload(),
        [type(defect) for defect in message.defects],
        message.get_unixfrom(),
        message.is_multipart(),
        message.get_content_type(),
    )


def corpus_messages() -> list[Path]:
    return sorted(CORPUS.glob("*/*.eml"))


@pytest.mark.parametrize("path", corpus_messages(), ids=lambda p: p.name)
def test_corpus_message_parses_as_the_feed_parser_does(path: Path) -> None:
    raw = re.sub(rb"\r?\n", b"\r\n", path.read_bytes())
    fast = _parse_single_part(raw)
    if fast is not None:
        assert summary(fast) == summary(feed_parser(raw))


def test_the_fast_path_serves_the_plain_corpus_letters() -> None:
    # Without this the comparison above could pass by never answering.
    answered = [p for p in corpus_messages()
                if _parse_single_part(re.sub(rb"\r?\n", b"\r\n", p.read_bytes())) is not None]
    assert len(answered) >= 50


HEAD = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n"

# (name, raw message, whether the fast path answers)
EDGE_CASES: list[tuple[str, bytes, bool]] = [
    ("plain", HEAD + b"\r\nbody\r\n", True),
    ("no content type, empty body", HEAD + b"\r\n", True),
    ("folded value", b"Subject: one\r\n two\r\n\tthree\r\nTo: x@y\r\n\r\nb\r\n", True),
    ("empty value", b"Subject:\r\nX-Empty: \r\n\r\nb\r\n", True),
    ("colon inside value", b"Subject: a: b: c\r\n\r\nb\r\n", True),
    ("text/html", HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n", True),
    ("8-bit body", HEAD + b"\r\n\xe9t\xe9 \xff\r\n", True),
    ("8-bit value", b"Subject: \xe9t\xe9\r\n\r\nb\r\n", True),
    ("bare LF in body", HEAD + b"\r\nline\nline\rline\r\n", True),
    ("multipart", HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
     b"--b\r\n\r\nx\r\n--b--\r\n", False),
    ("message/rfc822", HEAD + b"Content-Type: message/rfc822\r\n\r\n"
     b"Subject: in\r\n\r\nx\r\n", False),
    ("LF line endings", b"Subject: x\nTo: y@z\n\nbody\n", False),
    ("bare LF in headers", b"Subject: x\nTo: y@z\r\n\r\nbody\r\n", False),
    ("bare CR in headers", b"Subject: x\rTo: y@z\r\n\r\nbody\r\n", False),
    ("first line a continuation", b" folded\r\nSubject: x\r\n\r\nb\r\n", False),
    ("line without colon", b"Subject: x\r\nnot a header\r\n\r\nb\r\n", False),
    ("missing field name", b":value\r\nSubject: x\r\n\r\nb\r\n", False),
    ("unix From line", b"From someone Mon Jan 1 00:00:00 2024\r\nSubject: x\r\n\r\nb\r\n", False),
    ("8-bit field name", b"Subj\xe9ct: x\r\n\r\nb\r\n", False),
    ("no header/body separator", b"Subject: x\r\nTo: y@z\r\n", False),
    ("empty message", b"", False),
    ("no header section", b"\r\n\r\nbody\r\n", False),
    ("blank line first", b"\r\nSubject: x\r\n\r\nbody\r\n", False),
]


@pytest.mark.parametrize(("name", "raw", "answers"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_case(name: str, raw: bytes, answers: bool) -> None:
    fast = _parse_single_part(raw)
    assert (fast is not None) == answers
    if fast is not None:
        assert summary(fast) == summary(feed_parser(raw))
