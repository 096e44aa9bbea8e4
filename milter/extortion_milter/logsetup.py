"""Logging for the daemon: one line per message, to stderr (journald) or syslog, text or JSON.

Postfix does not log why it held or rejected a message, so the per-message line written
here is the record an admin greps for by queue id. Everything that came from a message
(addresses, Message-ID) is sanitized first, so a crafted header cannot forge log lines.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from .config.schema import LoggingConfig

LOGGER_NAME = "extortion_milter"
SYSLOG_SOCKET = "/dev/log"
MAX_VALUE_CHARS = 512  # one hostile header must not make a multi-megabyte log line
_FIELDS_ATTR = "em_fields"

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# Characters that would break a line-oriented log: C0 and C1 controls, DEL, Unicode line
# and paragraph separators. Everything else, including non-ASCII text, is kept readable.
_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_UNSAFE.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def sanitize(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """`value` as one printable line: control characters escaped, length capped."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    # Lone surrogates (from undecodable 8-bit bytes) cannot be written by any handler.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_UNSAFE)


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def log_fields(
    logger: logging.Logger,
    level: int,
    event: str,
    fields: Mapping[str, object],
    exc_info: bool = False,
) -> None:
    """Log `event` with structured `fields` (rendered as key=value or JSON members)."""
    logger.log(level, event, exc_info=exc_info, extra={_FIELDS_ATTR: dict(fields)})


def _quote(value: str) -> str:
    # Readable logfmt: quote values with spaces, quotes or '='. Backslashes stay single so
    # sanitize()'s \xNN escapes read as such; JSON is the format for machines.
    if value and not any(ch in value for ch in ' "='):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def _render_value(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(sanitize(v) for v in value)
    if isinstance(value, float):
        return str(round(value, 2))
    return sanitize(value)


def _json_value(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return sanitize(value)


class TextFormatter(logging.Formatter):
    """`LEVEL event key=value ...` on one line; tracebacks folded onto the same line."""

    def __init__(self, with_time: bool) -> None:
        super().__init__()
        self.with_time = with_time

    def format(self, record: logging.LogRecord) -> str:
        parts: list[str] = []
        if self.with_time:
            parts.append(time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)))
        parts.append(record.levelname.lower())
        parts.append(sanitize(record.getMessage(), 4096))
        fields: Mapping[str, object] = getattr(record, _FIELDS_ATTR, {})
        for key, value in fields.items():
            if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
                continue
            parts.append(f"{key}={_quote(_render_value(value))}")
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            parts.append("traceback=" + _quote(sanitize(trace.replace("\n", " | "), 8192)))
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `json` escapes control characters itself."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, object] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": sanitize(record.getMessage(), 4096),
        }
        fields: Mapping[str, object] = getattr(record, _FIELDS_ATTR, {})
        for key, value in fields.items():
            obj[key] = _json_value(value)
        if record.exc_info:
            obj["traceback"] = sanitize(self.formatException(record.exc_info), 8192)
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _syslog_handler(facility: str) -> logging.Handler:
    code = logging.handlers.SysLogHandler.facility_names.get(facility.lower())
    if code is None:
        raise ValueError(f"logging.syslog_facility: unknown facility {facility!r}")
    handler = logging.handlers.SysLogHandler(address=SYSLOG_SOCKET, facility=code)
    handler.ident = f"extortion-milter[{os.getpid()}]: "
    return handler


def configure(config: LoggingConfig, stream: TextIO | None = None) -> None:
    """Install the handler `config` asks for on our logger; safe to call again on reload.

    Raises ValueError for a facility syslog does not know. When /dev/log is missing the
    log goes to stderr with a warning rather than nowhere.
    """
    logger = logging.getLogger(LOGGER_NAME)
    warning = None
    handler: logging.Handler
    if config.target == "syslog":
        try:
            handler = _syslog_handler(config.syslog_facility)
        except OSError as exc:
            warning = f"syslog unavailable ({exc}); logging to stderr"
            handler = logging.StreamHandler(stream or sys.stderr)
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    # journald and syslog stamp lines themselves; a terminal does not.
    with_time = config.target == "stderr" and not os.environ.get("JOURNAL_STREAM")
    if config.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(with_time=with_time and warning is None))
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(_LEVELS[config.level])
    logger.propagate = False
    if warning:
        logger.warning(warning)
