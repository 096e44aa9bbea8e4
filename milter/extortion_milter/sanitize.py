"""Make text from a message safe to put in a log line, a header or a terminal.

Message content is hostile: CR/LF would forge log lines or headers, escape sequences
would drive the admin's terminal, bidi overrides would disguise what is shown.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidi embedding/override/isolate characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int = 200) -> str:
    """Text on one line without control characters, at most `limit` characters."""
    cleaned = _UNSAFE.sub(" ", text)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: max(0, limit - 1)] + "…"
    return cleaned


def header_value(text: str, limit: int = 200) -> str:
    """A value safe for a header we add: one line, ASCII only (non-ASCII becomes '?')."""
    return one_line(text, limit).encode("ascii", "replace").decode("ascii")
