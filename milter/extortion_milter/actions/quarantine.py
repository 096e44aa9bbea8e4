"""Where quarantined mail goes: an interface and the `hold` backend.

The adapter asks a backend what to do with a message the thresholds quarantine:
- HOLD: the MTA keeps it in its own hold queue (smfi_quarantine); nothing is written here.
- DISCARD: the backend has durably written the message itself; the MTA may drop its copy.
- TEMPFAIL: the backend could not take it; the sender must retry, so nothing is lost.
A backend that writes mail must only answer DISCARD after an fsync'd write, and must not
answer DISCARD for a `complete=False` request (the milter only buffered the head of it).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..config.errors import ConfigError
from ..config.schema import Config
from ..engine.types import Envelope, Verdict


class QuarantineOutcome(enum.Enum):
    HOLD = "hold"
    DISCARD = "discard"
    TEMPFAIL = "tempfail"


@dataclass(frozen=True)
class QuarantineRequest:
    raw: bytes  # the message as received (headers + body), before our header edits
    complete: bool  # False when the body exceeded limits.max_message_bytes and was cut
    verdict: Verdict
    envelope: Envelope
    reason: str  # one line: score and rule ids


@dataclass(frozen=True)
class QuarantineResult:
    outcome: QuarantineOutcome
    detail: str = ""  # for the log line, e.g. the store's id for the message


class QuarantineBackend(Protocol):
    name: str

    def quarantine(self, request: QuarantineRequest) -> QuarantineResult:
        """Decide and, for a storing backend, store. May raise: the adapter then applies
        `on_error` to the message."""
        ...


class HoldBackend:
    """Postfix's (or Sendmail's) own hold queue: `postqueue -p` shows `!`, `postsuper -H`
    releases. Postfix does not record the reason; the milter's log line does."""

    name = "hold"

    def quarantine(self, request: QuarantineRequest) -> QuarantineResult:
        return QuarantineResult(QuarantineOutcome.HOLD, "")


def _hold(config: Config) -> QuarantineBackend:
    return HoldBackend()


def _store(config: Config) -> QuarantineBackend:
    # The store lives in its own package; import it only when configured so the milter
    # runs without it. The module provides `make_backend(config) -> QuarantineBackend`.
    try:
        module = importlib.import_module("extortion_milter.quarantine.backend")
    except ImportError as exc:
        raise ConfigError(
            config.source, None, "quarantine.backend",
            f"the store backend is not available in this installation ({exc})",
        ) from exc
    backend: QuarantineBackend = module.make_backend(config)
    return backend


BACKENDS: dict[str, Callable[[Config], QuarantineBackend]] = {"hold": _hold, "store": _store}


def make_backend(config: Config) -> QuarantineBackend:
    factory = BACKENDS.get(config.quarantine.backend)
    if factory is None:
        raise ConfigError(config.source, None, "quarantine.backend",
                          f"unknown backend {config.quarantine.backend!r}")
    return factory(config)
