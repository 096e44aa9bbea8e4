"""The parsed, decoded view of one message that rules look at.

`parse_message` is tolerant: it never raises on malformed input; what it could not
read becomes a note. Spam is often malformed on purpose (wrong charsets, broken base64,
missing boundaries), so every step falls back to reading what it can rather than giving up.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.feedparser
import email.parser
import email.policy
import email.utils
import functools
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Policy

from .html_text import html_to_text
from .limits import Limits
from .pdf_text import extract_pdf
from .qr import qr_available


@dataclass
class TextPart:
    """Text a reader can see, from one MIME part (body or text-bearing attachment)."""

    source: str  # "plain", "html", "attachment", "pdf"
    text: str  # visible text, decoded, HTML rendered to text (not normalized)
    filename: str | None = None
    hidden_text: str = ""  # HTML text a reader cannot see (display:none, zero size, ...)


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    size: int


@dataclass
class ParsedMessage:
    headers: list[tuple[str, str]]  # (name, decoded value) in order, RFC 2047 decoded
    subject: str
    from_addrs: list[str]  # addr-spec parts of From, lower-cased
    to_addrs: list[str]  # addr-spec parts of To and Cc, lower-cased
    parts: list[TextPart] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)  # image payloads, for QR decoding
    notes: list[str] = field(default_factory=list)  # truncation and defect notes

    def header(self, name: str) -> str | None:
        """First value of header `name` (case-insensitive), or None."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]

    @property
    def body_text(self) -> str:
        """All visible text of the body and text-bearing attachments."""
        return "\n".join(p.text for p in self.parts if p.text)

    @property
    def hidden_text(self) -> str:
        return "\n".join(p.hidden_text for p in self.parts if p.hidden_text)


# ---------------------------------------------------------------------------------------
# Charsets

# Labels Python does not know, or knows as a narrower charset than senders mean. Like
# browsers (WHATWG), latin-1 and ASCII labels read as windows-1252, and the East Asian
# labels as their supersets, because mislabelled mail uses the superset's characters.
_CHARSET_ALIASES = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "cp-850": "cp850",
    "unicode-1-1-utf-7": "utf-7",
}
# Codecs that are not charsets of mail text, or whose decoder is slow on long input
# (punycode is quadratic): a sender must not pick them.
_DENIED_CODECS = frozenset(
    {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"}
)


@functools.lru_cache(maxsize=256)  # bounded: the labels come from senders
def _codec(label: str) -> str | None:
    """The Python codec for a charset label, or None when it is unknown or unsafe."""
    name = label.strip().strip("\"'").lower()
    if not name or len(name) > 40:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name.replace("_", "-") in _DENIED_CODECS:
        return None
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13 ...
        return None
    return info.name


@functools.cache
def _single_byte(codec: str) -> bool:
    """True for charsets with one byte per character (latin-1, cp1251, koi8-r, ...)."""
    if "2022" in codec or "utf" in codec or codec == "hz":
        return False  # stateful 7-bit encodings look single-byte but are not
    try:
        return len(bytes(range(256)).decode(codec, "replace")) == 256
    except Exception:
        return False


# Bytes that are not valid UTF-8 come out of "surrogateescape" as U+DC80..U+DCFF; this
# table turns each into its windows-1252 character (latin-1 where cp1252 has none).
_STRAY_BYTES = {
    0xDC00 + b: bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(0x80, 0x100)
}


def _utf8_mixed(data: bytes) -> str:
    """UTF-8 where the bytes are valid UTF-8, windows-1252 for every stray byte.

    Mail that mixes encodings (a UTF-8 body with one pasted latin-1 line, a header with
    both) keeps every readable character instead of turning all of it into mojibake.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape").translate(_STRAY_BYTES)


# Byte order marks, as browsers sniff them (WHATWG "decode"): a BOM beats any label.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of `data` in the declared charset, falling back when it is wrong or unknown.

    A byte order mark decides first: a .txt file saved as "Unicode" by Notepad is UTF-16
    with a BOM and usually travels with no charset at all. Valid UTF-8 with non-ASCII
    characters wins over a declared single-byte charset: real latin-1 or cp1251 text is
    almost never valid UTF-8, while UTF-8 labelled latin-1 is common. Without a usable
    label the text is read as UTF-8 with windows-1252 for the bytes that are not UTF-8.
    Never raises.
    """
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, "replace")
    codec = _codec(charset) if charset else None
    if codec is None or codec == "utf-8":
        return _utf8_mixed(data)
    if data.isascii() and _single_byte(codec):
        return data.decode("ascii")
    order = ["utf-8", codec] if _single_byte(codec) else [codec, "utf-8"]
    for name in order:
        try:
            return data.decode(name)
        except (UnicodeError, LookupError):
            pass
    try:
        return data.decode(codec, "replace")
    except (UnicodeError, LookupError):
        return _utf8_mixed(data)


def _text_of(value: object) -> str:
    """A header string from the parser: raw 8-bit bytes come back as UTF-8 or cp1252."""
    if not isinstance(value, str):
        return str(value)
    if value.isascii():
        return value
    # The bytes parser keeps 8-bit header bytes as surrogate escapes; undo that.
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return value
    return decode_bytes(raw, None)


# ---------------------------------------------------------------------------------------
# Headers (RFC 2047)

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n")


_B64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]*")
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=]+")
_INNER_SPACE = re.compile(rb"\S[ \t]+\S")


def _b64(data: bytes) -> bytes:
    """Base64 that tolerates junk lines and characters, missing padding, joined pieces."""
    if not _B64_TEXT.fullmatch(data):
        # A line with a space inside is prose or junk, not base64: its letters would shift
        # every following byte, so it is dropped whole; other stray characters are removed.
        data = b"".join(line for line in data.split(b"\n") if not _INNER_SPACE.search(line))
    data = _NOT_B64.sub(b"", data)
    out = []
    # Pieces joined after their padding ("YQ==YQ==") each decode on their own.
    for piece in re.split(rb"(?<==)(?=[^=])", data):
        piece = piece.rstrip(b"=")
        if len(piece) % 4 == 1:
            piece = piece[:-1]
        piece += b"=" * (-len(piece) % 4)
        try:
            out.append(binascii.a2b_base64(piece))
        except (binascii.Error, ValueError):
            pass  # a piece that is still not base64 is skipped, the rest is kept
    return b"".join(out)


def decode_rfc2047(value: str) -> str:
    """Decode every encoded word; adjacent words in one charset are joined as bytes.

    Joining first matters: encoders split UTF-8 characters across words.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    # Runs of adjacent words: (their byte pieces, charset), joined once at the end of a run.
    pending: list[tuple[list[bytes], str]] = []
    pos = 0

    def flush() -> None:
        out.extend(decode_bytes(b"".join(pieces), charset) for pieces, charset in pending)
        pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if not (pending and not between.strip()):
            flush()  # white space between two encoded words is dropped, other text kept
            out.append(between)
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        # Raw 8-bit text inside a word is already decoded: encode it back as UTF-8.
        payload = match.group(3).encode("utf-8", "replace")
        if match.group(2) in "bB":
            data = _b64(payload)
        else:
            data = binascii.a2b_qp(payload, header=True)
        if payload and not data:
            # Nothing decodable ("=?utf-8?B?####?="): keep the text rather than lose it.
            flush()
            out.append(match.group())
            pos = match.end()
            continue
        if pending and pending[-1][1].lower() == charset.lower():
            pending[-1][0].append(data)
        else:
            pending.append(([data], charset))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _header_text(raw: object) -> str:
    """A raw header value as text: unfolded, 8-bit bytes decoded, encoded words kept."""
    text = _text_of(raw)
    # Most values are one line: the check is far cheaper than a regex substitution call.
    return _FOLD.sub("", text) if "\n" in text else text


_ADDR_CHAR = r"[^\s<>@,;:\"'()\[\]]"
# Anchored at the start of a run and possessive, so a long run without "@" is scanned once.
_ADDR_SPEC = re.compile(rf"(?<!{_ADDR_CHAR}){_ADDR_CHAR}++@{_ADDR_CHAR}+")
# getaddresses costs about 5 us per character; longer values only get the linear regex.
_MAX_PARSED_ADDRESS_HEADER = 16 * 1024
# The common shapes, `addr`, `<addr>` and `Plain Name <addr>`, whose parse is certain:
# most From/To values skip getaddresses, whose code is a large share of a scan's cold-cache
# cost inside the milter. Same result as the parser on 2,908 distinct corpus values.
_SIMPLE_ADDRESS = re.compile(
    rf"[ \t]*(?:[A-Za-z0-9._-]+(?:[ \t]+[A-Za-z0-9._-]+)*[ \t]*)?<({_ADDR_CHAR}+@{_ADDR_CHAR}+)>"
    rf"[ \t]*|[ \t]*({_ADDR_CHAR}+@{_ADDR_CHAR}+)[ \t]*"
)


def _addresses(values: list[str]) -> list[str]:
    """Lower-cased addr-specs of address headers; a regex rescues what the parser cannot."""
    found: list[str] = []
    for value in values:
        simple = _SIMPLE_ADDRESS.fullmatch(value)
        if simple is not None:
            found.append(simple.group(1) or simple.group(2))
            continue
        pairs: list[tuple[str, str]] = []
        if len(value) <= _MAX_PARSED_ADDRESS_HEADER:
            try:
                pairs = email.utils.getaddresses([value])
            except Exception:  # deep nesting raises RecursionError, for one
                pairs = []
        good = [addr for _, addr in pairs if _ADDR_SPEC.fullmatch(addr)]
        found.extend(good or _ADDR_SPEC.findall(value))
    return list(dict.fromkeys(addr.lower() for addr in found))


# ---------------------------------------------------------------------------------------
# Bodies

_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif"})
_IMAGE_EXTS = frozenset({"png", "jpg", "jpeg", "gif"})
_MAX_IMAGE_BYTES = 2 * 1024 * 1024
_MAX_IMAGES = 5
# base64 of at most _MAX_IMAGE_BYTES; a plain bounded class repeat, so the scan is linear.
_DATA_IMAGE = re.compile(
    r"data:image/(?:png|jpe?g|gif);base64,([A-Za-z0-9+/=\s]{16,"
    + str(_MAX_IMAGE_BYTES * 4 // 3 + 4)
    + "})",
    re.IGNORECASE,
)
_MAX_HEADERS = 1000
_MAX_HEADER_LINES = 4 * _MAX_HEADERS  # with room for folded continuation lines
_MAX_DEFECT_NOTES = 10


def _raw_payload(part: Message) -> bytes | None:
    """The undecoded bytes of a leaf part's body; None for a container.

    Read from the message object directly because `get_payload()` decodes 8-bit bodies
    with the declared charset itself: a wrong charset loses characters to U+FFFD, and a
    sender-chosen codec such as punycode is quadratic.
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str):
        # The bytes parser keeps 8-bit bytes as surrogate escapes: this restores them.
        return payload.encode("utf-8", "surrogateescape")
    if isinstance(payload, bytes):
        return payload
    return None


def _transfer_decode(part: Message, cap: int) -> tuple[bytes, bool]:
    """The decoded payload of a leaf part, at most `cap` bytes, and whether it was cut.

    Only as much encoded input as can yield `cap` bytes is decoded, so a 10 MB base64
    attachment costs no more than a small one.
    """
    raw = _raw_payload(part)
    if raw is None:
        return b"", False
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if "base64" in cte:
        budget = cap * 3 // 2 + 1024
        data = _b64(raw[:budget])
    elif "quoted-printable" in cte:
        budget = cap * 4 + 1024
        data = binascii.a2b_qp(raw[:budget])
    elif "uuencode" in cte or cte == "x-uue":
        budget = len(raw)
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else raw
    else:
        budget = cap
        data = raw[:budget]
    truncated = len(data) > cap or len(raw) > budget
    return data[:cap], truncated


def _encoded_size(part: Message) -> int:
    """Roughly the decoded size of a part, without decoding it."""
    payload = _raw_payload(part)
    if payload is None:
        return 0
    size = len(payload) - payload.count(b"\n") - payload.count(b"\r")
    if "base64" in str(part.get("content-transfer-encoding", "")).lower():
        size = size * 3 // 4
    return size


def _kind(ctype: str, filename: str | None) -> str:
    """What to do with a leaf part: "html", "plain", "pdf", "image" or "other"."""
    ext = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    generic = ctype.startswith("text/") or ctype in ("application/octet-stream", "")
    if ctype == "text/html" or (generic and ext in ("htm", "html")):
        return "html"
    if ctype == "application/pdf" or ctype == "application/x-pdf" or (generic and ext == "pdf"):
        return "pdf"
    if ctype in _IMAGE_TYPES or (generic and ext in _IMAGE_EXTS):
        return "image"
    if ext == "txt" and generic:
        return "plain"
    if ctype.startswith("text/") and ctype != "text/rtf":
        return "plain"
    return "other"


# Nesting this deep is never legitimate, and the standard parser's cost grows with the
# square of the depth (every line is tested against every open boundary): 900 levels in
# 60 KB take seconds. The parser is fed in chunks and stopped once it is this deep.
_MAX_DEPTH = 64
_FEED_CHUNK = 4096


class _CountingFactory:
    """The parser's message factory: counts the parts it creates, so parsing can stop."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, policy: Policy = email.policy.compat32) -> Message:
        self.count += 1
        return Message(policy=policy)


# A header line as the feed parser sees one: a field name and a colon, or a continuation.
_FIELD_LINE = re.compile(r"[\041-\071\073-\176]+:|[ \t]")


def _parse_single_part(raw: bytes) -> Message | None:
    """The Message the feed parser builds, for the most common simple case: CRLF lines, a
    header section where every line is a field or a continuation (no defects), and a type
    that is neither multipart nor message, whose whole body is the payload. None for
    anything else, which the feed parser then reads.

    Why: inside the milter the caches are cold at every message, and the feed parser's
    line-by-line generator was the largest share of a scan (0.18 of 0.62 ms on the
    benchmark's message). The result is the parser's, item for item (compat32's
    header_source_parse: value left-stripped, continuations kept, trailing CRLF dropped);
    tests/unit/test_message_fastpath.py compares both on every corpus message."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = raw[: end + 2].decode("ascii", "surrogateescape")
    crlf = head.count("\r\n")
    if head.count("\n") != crlf or head.count("\r") != crlf:
        return None  # bare CR or LF: the parser would split lines differently
    lines = head.split("\r\n")
    lines.pop()  # the empty string after the last CRLF
    if not lines[0] or lines[0][0] in " \t":
        return None  # no header section, or it starts with a continuation
    message = Message(policy=email.policy.compat32)
    name, parts = "", list[str]()
    for line in lines:
        if _FIELD_LINE.match(line) is None or line.startswith("From "):
            return None
        if line[0] in " \t":
            parts.append(line + "\r\n")
            continue
        if name:
            message.set_raw(name, "".join(parts).rstrip("\r\n"))
        name, value = line.split(":", 1)
        parts = [value.lstrip(" \t") + "\r\n"]
    message.set_raw(name, "".join(parts).rstrip("\r\n"))
    if message.get_content_maintype() in ("multipart", "message"):
        return None
    message.set_payload(raw[end + 4 :].decode("ascii", "surrogateescape"))
    return message


def _parse_bounded(raw: bytes, max_parts: int) -> tuple[Message, int, str | None]:
    """Parse `raw` in chunks, stopping once the MIME structure is too deep or has too
    many parts: (message, bytes parsed, why it stopped early or None)."""
    simple = _parse_single_part(raw)
    if simple is not None:
        return simple, len(raw), None
    factory = _CountingFactory()
    parser = email.feedparser.BytesFeedParser(factory, policy=email.policy.compat32)
    factory.count = 0  # the parser calls the factory once to probe its signature
    fed = 0
    while fed < len(raw):
        parser.feed(raw[fed : fed + _FEED_CHUNK])
        fed = min(len(raw), fed + _FEED_CHUNK)
        if fed == len(raw):
            break  # all parsed: nothing left to save
        # The open boundaries of the parser's input (private; if it ever disappears the
        # parse just runs without the depth bound).
        open_boundaries = getattr(getattr(parser, "_input", None), "_eofstack", None)
        if isinstance(open_boundaries, list) and len(open_boundaries) > _MAX_DEPTH:
            return parser.close(), fed, f"MIME nesting deeper than {_MAX_DEPTH} levels"
        if factory.count > max_parts:
            # Each part costs the parser ~30 us: 10 MB of tiny parts would take seconds.
            return parser.close(), fed, f"more than {max_parts} MIME parts"
    return parser.close(), fed, None


def _cut_header_lines(raw: bytes) -> bytes | None:
    """`raw` with its header section cut to _MAX_HEADER_LINES lines, or None if shorter.

    The parser costs a few microseconds per header line; the body is kept.
    """
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    end = min(ends) if ends else len(raw)
    if raw.count(b"\n", 0, end) <= _MAX_HEADER_LINES:
        return None
    kept = raw[:end].split(b"\n", _MAX_HEADER_LINES)[:_MAX_HEADER_LINES]
    return b"\n".join(kept) + raw[end:]


class _Builder:
    """Fills a ParsedMessage part by part; whatever it holds when something fails is kept."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.msg = ParsedMessage(headers=[], subject="", from_addrs=[], to_addrs=[])
        self.text_left = limits.max_text_chars
        self.part_no = 0

    def note(self, text: str) -> None:
        if text not in self.msg.notes:
            self.msg.notes.append(text)

    def parse(self, raw: bytes) -> None:
        limits = self.limits
        if len(raw) > limits.max_message_bytes:
            raw = raw[: limits.max_message_bytes]
            self.note(f"message truncated at {limits.max_message_bytes} bytes")
        cut = _cut_header_lines(raw)
        if cut is not None:
            raw = cut
            self.note(f"header section cut at {_MAX_HEADER_LINES} lines")
        rest = b""
        try:
            root, used, stopped = _parse_bounded(raw, limits.max_parts)
            if stopped is not None:
                self.note(f"{stopped}; the rest read as text")
                rest = raw[used:]
        except Exception as exc:
            self.note(f"MIME structure unreadable ({type(exc).__name__}); body read as text")
            root = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
                raw, headersonly=True
            )
        self.read_headers(root)
        self.walk(root)
        if rest:
            # Text after a cut must still reach the rules, or deep nesting would hide it.
            text = _utf8_mixed(rest[: self.limits.max_part_bytes]).replace("\r\n", "\n")
            self.add_text(TextPart(source="plain", text=text))

    def read_headers(self, root: Message) -> None:
        items = root.raw_items()
        raw_values: dict[str, list[str]] = {}
        for count, (name, value) in enumerate(items):
            if count >= _MAX_HEADERS:
                self.note(f"more than {_MAX_HEADERS} headers; the rest were skipped")
                break
            key = _text_of(name).strip()
            text = _header_text(value)
            raw_values.setdefault(key.lower(), []).append(text)
            self.msg.headers.append((key, decode_rfc2047(text).strip()))
        self.msg.subject = self.msg.header("subject") or ""
        self.msg.from_addrs = _addresses(raw_values.get("from", []))
        self.msg.to_addrs = _addresses(raw_values.get("to", []) + raw_values.get("cc", []))

    def walk(self, root: Message) -> None:
        stack = [root]
        defects: list[str] = []
        while stack:
            part = stack.pop()
            self.part_no += 1
            if self.part_no > self.limits.max_parts:
                self.note(f"more than {self.limits.max_parts} MIME parts; the rest were skipped")
                break
            defects.extend(type(d).__name__ for d in getattr(part, "defects", []))
            try:
                payload = getattr(part, "_payload", None)
                if isinstance(payload, list):
                    # Reversed so the stack pops parts in document order.
                    stack.extend(p for p in reversed(payload) if isinstance(p, Message))
                else:
                    self.leaf(part)
            except Exception as exc:
                self.note(f"part {self.part_no} unreadable: {type(exc).__name__}")
        for name in list(dict.fromkeys(defects))[:_MAX_DEFECT_NOTES]:
            self.note(f"MIME defect: {name}")

    def leaf(self, part: Message) -> None:
        ctype = part.get_content_type()
        filename = self.filename(part)
        disposition = part.get_content_disposition()
        kind = _kind(ctype, filename)
        if ctype.startswith(("multipart/", "message/")):
            kind = "plain"  # a container whose structure was lost: read it as text
        attached = disposition == "attachment" or filename is not None
        if kind in ("plain", "html"):
            self.text_part(part, kind, filename, attached)
            return
        self.msg.attachments.append(Attachment(filename, ctype, _encoded_size(part)))
        if kind == "pdf":
            self.pdf_part(part, filename)
        elif kind == "image":
            self.image_part(part)

    def filename(self, part: Message) -> str | None:
        try:
            name = part.get_filename()
        except Exception:
            return None
        if name is None:
            return None
        return decode_rfc2047(_header_text(name)).strip() or None

    def text_part(self, part: Message, kind: str, filename: str | None, attached: bool) -> None:
        limit = self.limits.max_part_bytes
        data, truncated = _transfer_decode(part, limit)
        if truncated:
            self.note(f"part {self.part_no} truncated at {limit} bytes")
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text = decode_bytes(data, charset).replace("\r\n", "\n")
        hidden = ""
        if kind == "html":
            self.inline_images(text)
            text, hidden = html_to_text(text)
        if attached:
            self.msg.attachments.append(Attachment(filename, part.get_content_type(), len(data)))
        source = "attachment" if attached else kind
        self.add_text(TextPart(source=source, text=text, filename=filename, hidden_text=hidden))

    def add_text(self, text_part: TextPart) -> None:
        """Keep the part within the total budget of visible text."""
        limit = self.limits.max_text_chars
        if len(text_part.text) > self.text_left:
            text_part.text = text_part.text[: self.text_left]
            self.note(f"visible text truncated at {limit} characters")
        text_part.hidden_text = text_part.hidden_text[:limit]
        self.text_left -= len(text_part.text)
        if text_part.text or text_part.hidden_text:
            self.msg.parts.append(text_part)

    def pdf_part(self, part: Message, filename: str | None) -> None:
        limits = self.limits
        data, truncated = _transfer_decode(part, limits.max_pdf_bytes)
        if truncated:
            self.note(f"part {self.part_no} truncated at {limits.max_pdf_bytes} bytes")
        # Images only when a QR decoder can read them: pypdf re-encodes each one.
        room = _MAX_IMAGES - len(self.msg.images) if qr_available() else 0
        result = extract_pdf(data, limits.max_pdf_pages, limits.max_pdf_bytes, room)
        for pdf_note in result.notes:
            self.note(f"part {self.part_no}: {pdf_note}")
        if result.text:
            self.add_text(TextPart(source="pdf", text=result.text, filename=filename))
        self.msg.images.extend(result.images)

    def inline_images(self, html: str) -> None:
        """Images embedded in HTML as data: URIs, where a QR code can hide an address."""
        for match in _DATA_IMAGE.finditer(html):
            if len(self.msg.images) >= _MAX_IMAGES:
                self.note(f"more than {_MAX_IMAGES} images; the rest are not scanned for QR codes")
                return
            try:
                data = base64.b64decode("".join(match.group(1).split()), validate=False)
            except (ValueError, binascii.Error):
                continue
            if data:
                self.msg.images.append(data)

    def image_part(self, part: Message) -> None:
        if len(self.msg.images) >= _MAX_IMAGES:
            self.note(f"more than {_MAX_IMAGES} images; the rest are not scanned for QR codes")
            return
        data, truncated = _transfer_decode(part, _MAX_IMAGE_BYTES)
        if truncated:
            self.note(f"part {self.part_no}: image larger than {_MAX_IMAGE_BYTES} bytes skipped")
        elif data:
            self.msg.images.append(data)


def parse_message(raw: bytes, limits: Limits) -> ParsedMessage:
    """Parse and decode a message for the rules. Never raises: failures become notes."""
    builder = _Builder(limits)
    try:
        builder.parse(raw)
    except Exception as exc:
        builder.note(f"message parse stopped: {type(exc).__name__}")
    return builder.msg
