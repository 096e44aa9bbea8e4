"""The parsed, decoded view of one message that rules look at.

`parse_message` is tolerant: it never raises on malformed input; what it could not
read becomes a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
