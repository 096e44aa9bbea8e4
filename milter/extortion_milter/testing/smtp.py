"""Submitting one message over SMTP and recording exactly what the server answered."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    code: int  # the reply to the end of DATA (250, 451, 550...), or to the failing command
    text: str
    stage: str  # "data" normally; "mail"/"rcpt"/"connect" if it failed earlier

    @property
    def accepted(self) -> bool:
        return self.code == 250

    @property
    def queue_id(self) -> str | None:
        """Postfix answers `250 2.0.0 Ok: queued as ABC123`."""
        marker = "queued as "
        if self.accepted and marker in self.text:
            return self.text.split(marker, 1)[1].split()[0]
        return None


def send_message(host: str, port: int, raw: bytes, mail_from: str,
                 rcpts: tuple[str, ...], timeout: float = 60) -> SendResult:
    # Canonical CRLF line ends, whatever the file on disk had.
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    try:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult(0, str(exc), "connect")
    try:
        smtp.ehlo("client.harness.test")
        options: list[str] = []
        if not (mail_from.isascii() and all(r.isascii() for r in rcpts)):
            # An address with a UTF-8 local part (RFC 6531), as real mail has.
            options.append("SMTPUTF8")
            smtp.command_encoding = "utf-8"
        code, reply = smtp.mail(mail_from, options)
        if code != 250:
            return SendResult(code, reply.decode(errors="replace"), "mail")
        for rcpt in rcpts:
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                return SendResult(code, reply.decode(errors="replace"), "rcpt")
        code, reply = smtp.data(raw)
        return SendResult(code, reply.decode(errors="replace"), "data")
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return SendResult(exc.smtp_code, text, "data")
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult(0, str(exc), "data")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
