"""Release: re-inject a quarantined message by SMTP, with its original envelope, once.

- The envelope is the one the MTA gave the milter (MAIL FROM and every RCPT TO), never
  the To/Cc headers; `--to` replaces the recipients.
- The message gets an `X-Extortion-Release` token (token.py) so the milter lets exactly
  this copy through without quarantining it again.
- Success is a 2xx answer to the message, and only the recipients the server accepted
  count as delivered. Anything else leaves the message in quarantine and records what the
  server answered.
- Delivery is idempotent per recipient: an address a release already delivered to is not
  sent to again. Releases of one store are serialized by the store lock, and an attempt in
  flight is recorded before the SMTP session starts, so a crash in between asks the admin
  to decide (`--force`) instead of silently sending a second copy.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config.schema import ReleaseConfig
from ..sanitize import one_line
from .index import Index
from .store import Attempt, Store, StoreError
from .token import HEADER, make_token, was_spent


class ReleaseError(StoreError):
    pass


@dataclass(frozen=True)
class ReleaseOutcome:
    entry_id: str
    ok: bool  # every target has the message now (from this or an earlier release)
    delivered: tuple[str, ...] = ()  # accepted by the server in this call
    already: tuple[str, ...] = ()  # delivered by an earlier release: not sent again
    refused: tuple[tuple[str, str], ...] = ()  # (recipient, answer)
    answer: str = ""  # the server's answer to the message, or why nothing was sent
    server: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        parts: list[str] = []
        if self.delivered:
            parts.append(f"released to {', '.join(self.delivered)} via {self.server}"
                         f" (server: {self.answer})")
        if self.already:
            parts.append(f"already released to {', '.join(self.already)}, not sent again")
        for rcpt, answer in self.refused:
            parts.append(f"NOT delivered to {rcpt}: {answer}")
        if not self.ok and not self.refused and not self.delivered:
            parts.append(f"NOT released: {self.answer}")
        parts.extend(self.notes)
        return "; ".join(parts)


_HEADER_RE = re.compile(rb"^" + re.escape(HEADER.encode("ascii")) + rb"[ \t]*:", re.IGNORECASE)


def with_token(raw: bytes, token: str) -> bytes:
    """The message with CRLF line ends, any incoming release header removed (the sender
    may have put one there) and ours on top."""
    text = re.sub(rb"\r?\n", b"\r\n", raw)
    head, sep, body = text.partition(b"\r\n\r\n")
    if not sep:
        head, body = text, b""
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and dropping:
            continue
        dropping = _HEADER_RE.match(line) is not None
        if not dropping:
            kept.append(line)
    ours = f"{HEADER}: {token}".encode("ascii")
    out = b"\r\n".join([ours, *kept])
    return out + b"\r\n\r\n" + body if sep else out + b"\r\n"


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return one_line(f"{code} {text}", 300)


def _password(config: ReleaseConfig) -> str:
    if not config.password_file:
        raise ReleaseError("quarantine.release.username is set but password_file is empty")
    try:
        lines = Path(config.password_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReleaseError(f"cannot read quarantine.release.password_file: {exc}") from exc
    return lines[0] if lines else ""


@dataclass
class _Session:
    ok: bool
    answer: str
    accepted: list[str]
    refused: list[tuple[str, str]]


def _send(config: ReleaseConfig, password: str, sender: str, rcpts: Sequence[str],
          message: bytes) -> _Session:
    """One SMTP transaction. Never raises for what the server or network does."""
    accepted: list[str] = []
    refused: list[tuple[str, str]] = []
    try:
        smtp = smtplib.SMTP(config.host, config.port, local_hostname=config.helo or None,
                            timeout=config.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return _Session(False, f"cannot connect to {config.host}:{config.port}: {exc}", [], [])
    try:
        code, text = smtp.ehlo()
        if not 200 <= code < 300:
            code, text = smtp.helo()
            if not 200 <= code < 300:
                return _Session(False, _answer(code, text), [], [])
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, password)
        options: list[str] = []
        if any(b > 0x7F for b in message) and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not (sender + "".join(rcpts)).isascii():
            if not smtp.has_extn("smtputf8"):
                return _Session(False, "the addresses are not ASCII and the server does not "
                                "offer SMTPUTF8", [], [])
            options.append("SMTPUTF8")
        code, text = smtp.mail(sender, options)
        if not 200 <= code < 300:
            smtp.rset()
            return _Session(False, _answer(code, text), [], [])
        for rcpt in rcpts:
            code, text = smtp.rcpt(rcpt)
            if 200 <= code < 300:
                accepted.append(rcpt)
            else:
                refused.append((rcpt, _answer(code, text)))
        if not accepted:
            smtp.rset()
            return _Session(False, refused[0][1] if refused else "no recipients", [], refused)
        code, text = smtp.data(message)
        answer = _answer(code, text)
        if not 200 <= code < 300:
            return _Session(False, answer, [], refused)
        return _Session(True, answer, accepted, refused)
    except smtplib.SMTPResponseException as exc:
        return _Session(False, _answer(exc.smtp_code, exc.smtp_error), [], refused)
    except (OSError, smtplib.SMTPException, ssl.SSLError, UnicodeError) as exc:
        return _Session(False, one_line(f"SMTP session failed: {exc}", 300), [], refused)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def release(store: Store, entry_id: str, config: ReleaseConfig, *,
            to: Sequence[str] = (), force: bool = False, index: Index | None = None,
            now: float | None = None) -> ReleaseOutcome:
    """Release one entry (see the module doc). Raises StoreError when the entry cannot be
    read or its state cannot be recorded; SMTP answers are results, not errors."""
    server = f"{config.host}:{config.port}"
    with store.locked():
        entry = store.load(entry_id)
        if entry.sending and not force:
            seen = was_spent(store, entry.id, str(entry.sending.get("nonce", "")))
            when = time.strftime("%Y-%m-%d %H:%M:%S",
                                 time.localtime(float(entry.sending.get("time", 0))))
            state = ("the milter saw that copy, so it was most likely delivered" if seen else
                     "the milter did not see that copy")
            return ReleaseOutcome(
                entry.id, False, server=server,
                answer=f"a release at {when} was interrupted before its result was recorded "
                f"({state}); check the recipients' mail, then use --force to send again",
            )
        targets = list(dict.fromkeys(t.strip() for t in (to or entry.rcpts) if t.strip()))
        if not targets:
            return ReleaseOutcome(entry.id, False, server=server,
                                  answer="the message has no envelope recipients; use --to")
        done = set(entry.delivered)
        already = tuple(t for t in targets if t.lower() in done)
        pending = [t for t in targets if t.lower() not in done]
        if not pending:
            return ReleaseOutcome(entry.id, True, already=already, server=server)
        raw = store.raw(entry.id)
        password = _password(config) if config.username else ""
        token, nonce = make_token(store, entry.id, now)
        started = time.time() if now is None else now
        store.save(replace(entry, sending={"time": started, "nonce": nonce,
                                           "rcpts": pending, "server": server}))
        session = _send(config, password, entry.mail_from, pending, with_token(raw, token))
        attempt = Attempt(
            time=started, server=server, rcpts=tuple(pending), ok=session.ok,
            answer=session.answer, delivered=tuple(session.accepted), nonce=nonce,
        )
        if session.refused:
            refused_text = "; ".join(f"{r}: {a}" for r, a in session.refused)
            attempt = replace(attempt, answer=one_line(f"{session.answer}; refused {refused_text}",
                                                       600))
        store.save(replace(entry, attempts=(*entry.attempts, attempt), sending={}))
    if index is not None:
        index.refresh(entry.id)
    if session.ok:
        refused = tuple(session.refused)
    else:
        own = dict(session.refused)
        refused = tuple((r, own.get(r, session.answer)) for r in pending)
    return ReleaseOutcome(
        entry.id, ok=session.ok and not session.refused,
        delivered=tuple(session.accepted) if session.ok else (), already=already,
        refused=refused, answer=session.answer, server=server,
    )
