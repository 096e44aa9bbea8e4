"""Putting quarantined mail on an admin's terminal without letting it drive the terminal.

Everything that came from a message goes through `cell` (one line, `sanitize.one_line`)
or `text_block` (several lines, every control character, escape sequence and bidi
override shown as a visible `\\xNN` / `\\u202e` instead of being interpreted).
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from ..sanitize import one_line
from .store import Entry

# C0 (except LF and TAB, handled by the caller), DEL, C1, bidi embeddings/overrides/isolates,
# and the Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_block(text: str, tab: int = 8) -> str:
    """Multi-line text safe for a terminal: line breaks kept (CR dropped before LF), tabs
    expanded, every other control character made visible."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(_CONTROL.sub(_escape, line.expandtabs(tab)) for line in lines)


def display_width(text: str) -> int:
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """`text` (one line, already safe) cut or padded to exactly `width` columns."""
    if display_width(text) <= width:
        return text + " " * (width - display_width(text))
    out: list[str] = []
    used = 0
    for ch in text:
        w = 0 if unicodedata.combining(ch) else (
            2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)


def cell(text: str) -> str:
    return one_line(text, 400)


@dataclass(frozen=True)
class Row:
    time: float
    ident: str
    status: str
    score: float | None
    sender: str
    rcpts: Sequence[str]
    subject: str
    rules: Sequence[str]  # highest score first


STATUS_SHORT = {"held": "held", "released": "rel", "partial": "part", "sending": "send",
                "hold": "hold"}


def row_for_entry(entry: Entry) -> Row:
    rules = [r.rule_id for r in sorted(entry.rules, key=lambda r: -r.score)]
    return Row(entry.time, entry.id, entry.status, entry.score, entry.mail_from,
               entry.rcpts, entry.subject, rules)


def _short_list(items: Sequence[str], width: int) -> str:
    """The first item, cut to leave room for " +N" when there are more."""
    if not items:
        return ""
    suffix = f" +{len(items) - 1}" if len(items) > 1 else ""
    first = cell(items[0])
    if display_width(first) + len(suffix) > width:
        first = fit(first, max(1, width - len(suffix))).rstrip()
    return first + suffix


def table(rows: Sequence[Row], width: int = 100) -> list[str]:
    """The `list` table, every line exactly `width` columns or less (minimum 80)."""
    width = max(80, width)
    fixed = {"TIME": 11, "ID": 17, "ST": 4, "SCORE": 5}
    flexible = ["FROM", "TO", "SUBJECT", "RULES"]
    spare = width - sum(fixed.values()) - (len(fixed) + len(flexible) - 1)
    # 12/12/15/17 at 100 columns; wider terminals give most of the room to the subject.
    base = {"FROM": 12, "TO": 12, "SUBJECT": 15, "RULES": 17}
    widths = dict(base)
    extra = spare - sum(base.values())
    if extra < 0:
        for name in ("SUBJECT", "FROM", "TO", "RULES"):
            take = min(-extra, widths[name] - 8)
            widths[name] -= take
            extra += take
    else:
        widths["FROM"] += extra // 5
        widths["TO"] += extra // 5
        widths["RULES"] += extra // 10
        widths["SUBJECT"] += extra - 2 * (extra // 5) - extra // 10
    cols = {**fixed, **widths}
    order = ["TIME", "ID", "ST", "SCORE", "FROM", "TO", "SUBJECT", "RULES"]
    lines = [" ".join(fit(name, cols[name]) for name in order).rstrip()]
    for row in rows:
        values = {
            "TIME": time.strftime("%m-%d %H:%M", time.localtime(row.time)),
            "ID": cell(row.ident),
            "ST": STATUS_SHORT.get(row.status, row.status[:4]),
            "SCORE": "" if row.score is None else f"{row.score:5.1f}",
            "FROM": cell(row.sender) or "<>",
            "TO": _short_list(list(row.rcpts), cols["TO"]),
            "SUBJECT": cell(row.subject),
            "RULES": _short_list(list(row.rules), cols["RULES"]),
        }
        lines.append(" ".join(fit(values[name], cols[name]) for name in order).rstrip())
    return lines


def when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(stamp))


def describe(entry: Entry) -> list[str]:
    """The metadata block of `show`."""
    out = [
        f"Quarantine id:  {entry.id}   status: {entry.status}",
        f"Received:       {when(entry.time)}   queue id {cell(entry.queue_id) or '-'}"
        f"   {entry.size} bytes",
        f"Client:         {cell(entry.client_ip) or '-'}   helo {cell(entry.helo) or '-'}",
        f"Envelope from:  <{cell(entry.mail_from)}>",
        f"Envelope to:    {', '.join(cell(r) for r in entry.rcpts) or '-'}",
        f"From:           {cell(entry.header_from)}",
        f"Subject:        {cell(entry.subject)}",
        f"Message-ID:     {cell(entry.message_id)}",
        f"Verdict:        score {entry.score:.1f}, {entry.action}"
        f"   rule set {cell(entry.ruleset_version) or '-'}",
    ]
    if entry.rules:
        out.append("Rules:")
        for rule in sorted(entry.rules, key=lambda r: -r.score):
            out.append(f"  {rule.score:5.1f} {fit(cell(rule.rule_id), 28)} "
                       f"{one_line(rule.evidence, 60)}")
    if entry.crypto_addresses:
        out.append("Crypto addresses:")
        for address in entry.crypto_addresses:
            state = "valid" if address.get("valid") else "checksum fails"
            where = ", in a URL" if address.get("in_url") else ""
            out.append(f"  {cell(str(address.get('currency', '')))} "
                       f"{cell(str(address.get('address', '')))} ({state}{where})")
    for note in entry.notes:
        out.append(f"Note:           {cell(note)}")
    if entry.attempts or entry.sending:
        out.append("Releases:")
        for attempt in entry.attempts:
            result = (f"delivered to {', '.join(attempt.delivered)}" if attempt.ok
                      else "NOT delivered")
            out.append(f"  {when(attempt.time)} to {', '.join(attempt.rcpts)} via "
                       f"{attempt.server}: {result}; server answered: {cell(attempt.answer)}")
        if entry.sending:
            out.append(f"  {when(float(entry.sending.get('time', 0)))}: a release was "
                       "interrupted before its result was recorded")
    return out


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>|</h\d\s*>", "\n", markup)
    markup = re.sub(r"(?s)<[^>]*>", "", markup)
    return html.unescape(markup)


def header_block(raw: bytes) -> str:
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    return text_block(head.decode("utf-8", "replace"))


def message_text(raw: bytes, limit: int = 256 * 1024) -> str:
    """The readable parts of a message: text/plain as is, text/html as text, and one line
    per attachment. Safe for a terminal."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # hostile input: fall back to the raw text
        return text_block(raw[:limit].decode("utf-8", "replace"))
    out: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if ctype in ("text/plain", "text/html") and disposition != "attachment":
            # A lone CR would let a line overwrite the one before it on a terminal.
            text = _content(part).replace("\r\n", "\n").replace("\r", "\n")
            if ctype == "text/html":
                out.append("[text/html part, shown as text]")
                text = _html_to_text(text)
            out.append(text.strip("\n"))
        else:
            size = len(part.get_payload(decode=True) or b"")
            out.append(f"[attachment: {filename or '(no name)'}, {ctype}, {size} bytes]")
    text = "\n\n".join(out)
    if len(text) > limit:
        text = text[:limit] + f"\n[... cut at {limit} characters; see --raw]"
    return text_block(text)


def _content(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content
    except (LookupError, ValueError, AssertionError):
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
