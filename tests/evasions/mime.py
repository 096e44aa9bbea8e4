"""Hand-built MIME for the evasion corpus: every byte on the wire is chosen here.

The standard library's generator would re-encode bodies and fold headers its own way;
the tricks need exact control (a soft line break inside an address, a wrong charset
label, base64 with odd line lengths), so messages are assembled from strings and bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zlib
from dataclasses import dataclass, field

CRLF = b"\r\n"


@dataclass
class Part:
    """One MIME leaf: its headers (name, value) and its already-encoded body bytes."""

    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Multipart:
    subtype: str
    parts: list[Part | Multipart]
    boundary: str = ""
    extra: list[tuple[str, str]] = field(default_factory=list)


def _lines(data: bytes) -> bytes:
    """Line ends as CRLF."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def wrap(data: bytes, width: int = 76) -> bytes:
    return b"\n".join(data[i : i + width] for i in range(0, len(data), width)) + b"\n"


def b64(data: bytes, width: int = 76) -> bytes:
    return wrap(base64.b64encode(data), width)


def qp(data: bytes) -> bytes:
    """Quoted-printable with "\n" line ends kept as hard breaks."""
    return binascii.b2a_qp(data, istext=True)


def text_part(
    text: str,
    charset: str | None = "utf-8",
    cte: str = "7bit",
    subtype: str = "plain",
    encoding: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    width: int = 76,
) -> Part:
    """A text part; `encoding` is the codec for the bytes (default: the charset)."""
    raw = text.encode(encoding or charset or "utf-8")
    ctype = f"text/{subtype}" + (f'; charset="{charset}"' if charset else "")
    headers = [("Content-Type", ctype)]
    if cte == "base64":
        body = b64(raw, width)
    elif cte == "quoted-printable":
        body = qp(raw)
    else:
        body = raw
    if cte:
        headers.append(("Content-Transfer-Encoding", cte))
    return Part(headers + list(extra or []), body)


def attachment(
    data: bytes, ctype: str, filename: str, inline_cid: str | None = None, width: int = 76
) -> Part:
    headers = [("Content-Type", f'{ctype}; name="{filename}"')]
    headers.append(("Content-Transfer-Encoding", "base64"))
    if inline_cid:
        headers.append(("Content-ID", f"<{inline_cid}>"))
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    else:
        headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
    return Part(headers, b64(data, width))


def _render_headers(headers: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{name}: {value}\n".encode("ascii") for name, value in headers)


def _boundary(seed: str) -> str:
    return "=_" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _render(node: Part | Multipart, seed: str) -> tuple[list[tuple[str, str]], bytes]:
    if isinstance(node, Part):
        return node.headers, node.body
    boundary = node.boundary or _boundary(seed)
    out = io.BytesIO()
    if seed.endswith("/0"):
        out.write(b"This is a multi-part message in MIME format.\n")
    for index, child in enumerate(node.parts):
        headers, body = _render(child, f"{seed}.{index}")
        out.write(f"\n--{boundary}\n".encode())
        out.write(_render_headers(headers))
        out.write(b"\n")
        out.write(body if body.endswith(b"\n") else body + b"\n")
    out.write(f"\n--{boundary}--\n".encode())
    ctype = f'multipart/{node.subtype}; boundary="{boundary}"'
    return [("Content-Type", ctype), *node.extra], out.getvalue()


def message(
    name: str,
    sender: str,
    to: str,
    subject: str,
    date: str,
    body: Part | Multipart,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """A complete RFC 5322 message with CRLF line ends; header values must be ASCII
    (encode non-ASCII subjects as RFC 2047 words before passing them)."""
    domain = sender.rsplit("@", 1)[-1].rstrip(">")
    digest = hashlib.sha256(name.encode()).hexdigest()
    headers = [
        ("Date", date),
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Message-ID", f"<{digest[:12]}.{digest[12:20]}@{domain}>"),
        *(extra or []),
        ("MIME-Version", "1.0"),
    ]
    body_headers, body_bytes = _render(body, f"{name}/0")
    return _lines(_render_headers(headers + body_headers) + b"\n" + body_bytes)


# --- RFC 2047 ----------------------------------------------------------------------------


def encoded_word_b(text: str, charset: str = "utf-8", chunk: int = 30) -> str:
    """B-encoded words of `chunk` bytes each; a multi-byte character may span two words."""
    raw = text.encode(charset)
    words = [
        f"=?{charset}?B?{base64.b64encode(raw[i : i + chunk]).decode()}?="
        for i in range(0, len(raw), chunk)
    ]
    return "\n ".join(words)


def encoded_word_q(text: str, charset: str = "utf-8") -> str:
    raw = text.encode(charset)
    out = []
    for byte in raw:
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?{''.join(out)}?="


# --- PDF -----------------------------------------------------------------------------------


def _pdf_literal(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf(
    pages: list[list[str]],
    kerned: bool = False,
    images: list[tuple[int, int, bytes]] | None = None,
) -> bytes:
    """A small valid PDF: each page's lines in Helvetica, content streams Flate-compressed
    (so the text is not readable in the raw file), a correct xref table.

    `kerned`: draw each line as a TJ array of hex strings with small kerning offsets
    inside words, as layout programs write it. `images`: (width, height, 8-bit grey
    pixels) drawn on the first page.
    """
    objects: dict[int, bytes] = {}
    count = len(pages)
    page_ids = [4 + 2 * i for i in range(count)]
    image_ids = [4 + 2 * count + i for i in range(len(images or []))]
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()
    objects[3] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for image_id, (width, height, pixels) in zip(image_ids, images or [], strict=True):
        data = zlib.compress(pixels)
        objects[image_id] = (
            (
                f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
                f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
                f"/Length {len(data)} >>\nstream\n"
            ).encode()
            + data
            + b"\nendstream"
        )
    for number, (page_id, lines) in enumerate(zip(page_ids, pages, strict=True)):
        ops = ["BT /F1 11 Tf 14 TL 56 780 Td"]
        for line in lines:
            if kerned:
                pieces = []
                for word_index, word in enumerate(line.split(" ")):
                    cut = max(1, len(word) // 2)
                    for piece in (word[:cut], word[cut:]):
                        if piece:
                            pieces.append("<" + piece.encode("cp1252").hex() + ">")
                            pieces.append("-12")
                    if word_index < len(line.split(" ")) - 1:
                        pieces.append("<20>")
                ops.append("[" + " ".join(pieces) + "] TJ T*")
            else:
                ops.append(_pdf_literal(line) + " Tj T*")
        ops.append("ET")
        xobjects = ""
        if number == 0 and images:
            for index, (width, height, _pixels) in enumerate(images):
                ops.append(
                    f"q {width} 0 0 {height} 56 {100 + index * (height + 20)} cm /Im{index} Do Q"
                )
            refs = " ".join(f"/Im{i} {image_ids[i]} 0 R" for i in range(len(images)))
            xobjects = f" /XObject << {refs} >>"
        stream = zlib.compress("\n".join(ops).encode("cp1252"))
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >>{xobjects} >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            + stream
            + b"\nendstream"
        )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for number in range(1, size):
        out.write(f"{offsets[number]:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
