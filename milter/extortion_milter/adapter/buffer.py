"""One message as the MTA hands it over: header fields, then body chunks.

Bounded: at most `cap` bytes (headers + body) are kept for scanning; the rest is only
counted. Header names we need regardless of the cap (Subject, Message-ID, our own
X-Extortion-* headers to strip) are tracked on the side.
"""

from __future__ import annotations

from .. import logsetup
from ..actions.headers import is_our_header

CRLF = b"\r\n"
RELEASE_HEADER = "x-extortion-release"


class MessageBuffer:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0  # every byte the MTA sent, kept or not
        self.kept = 0
        self.truncated = False
        self._headers: list[bytes] = []
        self._body: list[bytes] = []
        self.subject: bytes | None = None
        self.message_id: bytes | None = None
        self.release_token: bytes | None = None  # X-Extortion-Release, set by a release
        self._seen: dict[str, int] = {}  # lower-cased name -> occurrences, for our headers
        self.our_headers: list[tuple[str, int]] = []

    def add_header(self, name: str, value: bytes) -> None:
        lname = name.lower()
        if lname == "subject" and self.subject is None:
            self.subject = value
        elif lname == "message-id" and self.message_id is None:
            self.message_id = value
        elif lname == RELEASE_HEADER and self.release_token is None:
            self.release_token = value
        if is_our_header(lname):
            count = self._seen.get(lname, 0) + 1
            self._seen[lname] = count
            self.our_headers.append((name, count))
        # libmilter hands folded values with bare LF; the engine gets canonical CRLF.
        line = (
            name.encode("utf-8", "surrogateescape")
            + b": "
            + value.replace(b"\r\n", b"\n").replace(b"\n", CRLF)
            + CRLF
        )
        self.size += len(line)
        if self.kept + len(line) <= self.cap:
            self._headers.append(line)
            self.kept += len(line)
        else:
            self.truncated = True

    def add_body(self, chunk: bytes) -> None:
        """Keep what fits under the cap; beyond it, only count."""
        self.size += len(chunk)
        room = self.cap - self.kept
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:max(room, 0)]
        if chunk:
            self._body.append(chunk)
            self.kept += len(chunk)

    def raw(self) -> bytes:
        return b"".join(self._headers) + CRLF + b"".join(self._body)

    def subject_text(self) -> str | None:
        if self.subject is None:
            return None
        # Undecodable 8-bit bytes become U+FFFD: the MTA API takes UTF-8 text only.
        return self.subject.decode("utf-8", "replace")

    def message_id_text(self) -> str:
        if self.message_id is None:
            return ""
        return logsetup.sanitize(self.message_id.decode("utf-8", "replace").strip(), 256)

    def truncation_note(self) -> str | None:
        if not self.truncated:
            return None
        return (
            f"message of {self.size} bytes truncated at {self.cap} bytes "
            "(limits.max_message_bytes); only the head was scanned"
        )
