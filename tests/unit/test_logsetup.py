"""The per-message log line: one line whatever a message contains."""

from __future__ import annotations

import io
import json
import logging

from extortion_milter import logsetup
from extortion_milter.config.schema import LoggingConfig


def render(fmt: str, fields: dict[str, object], exc: bool = False) -> str:
    stream = io.StringIO()
    logsetup.configure(LoggingConfig(format=fmt), stream=stream)  # type: ignore[arg-type]
    logger = logsetup.get_logger("test")
    try:
        if exc:
            try:
                raise ValueError("bad\nthing")
            except ValueError:
                logsetup.log_fields(logger, logging.ERROR, "failed", fields, exc_info=True)
        else:
            logsetup.log_fields(logger, logging.INFO, "message", fields)
    finally:
        logging.getLogger(logsetup.LOGGER_NAME).handlers.clear()
        logging.getLogger(logsetup.LOGGER_NAME).propagate = True
    return stream.getvalue()


HOSTILE = {"queue_id": "ABC", "msgid": "<x@y>\r\nFAKE: injected\x1b[31m", "rcpts": ["a@b", "c\nd"],
           "score": 12.5, "rules": ["R1", "R2"], "from": "<we ird\"@x>"}


def test_text_line_is_single_and_escaped() -> None:
    out = render("text", HOSTILE)
    assert out.count("\n") == 1
    assert "msgid=\"<x@y>\\x0d\\x0aFAKE: injected\\x1b[31m\"" in out
    assert "rcpts=a@b,c\\x0ad" in out and "rules=R1,R2" in out and "score=12.5" in out
    assert 'from="<we ird\\"@x>"' in out


def test_json_line_is_single_and_parses() -> None:
    out = render("json", HOSTILE)
    assert out.count("\n") == 1
    obj = json.loads(out)
    assert obj["event"] == "message" and obj["queue_id"] == "ABC"
    assert obj["rcpts"] == ["a@b", "c\\x0ad"] and obj["score"] == 12.5


def test_tracebacks_stay_on_the_line() -> None:
    out = render("text", {"queue_id": "Q1"}, exc=True)
    assert out.count("\n") == 1 and "queue_id=Q1" in out and "ValueError" in out
    obj = json.loads(render("json", {"queue_id": "Q1"}, exc=True))
    assert "ValueError: bad" in str(obj["traceback"])


def test_sanitize_caps_length_and_handles_surrogates() -> None:
    assert logsetup.sanitize("x" * 1000, 10) == "x" * 10 + "..."
    assert logsetup.sanitize("caf\udce9") == "caf\\udce9"
    assert logsetup.sanitize("a\u2028b") == "a\\u2028b"
