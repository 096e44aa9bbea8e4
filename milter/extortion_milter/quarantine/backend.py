"""The `store` quarantine backend: the milter writes the message into the store itself.

DISCARD (the MTA drops its copy) is answered only after the message and its metadata are
fsync'd and renamed into place and the directory is fsync'd. Any failure (disk full,
read-only filesystem, permissions) answers TEMPFAIL: the MTA tells the sender 451 and the
sender retries, so nothing is lost. A message the milter did not buffer completely (over
limits.max_message_bytes) cannot be stored whole: it goes to the MTA's hold queue instead.
"""

from __future__ import annotations

import logging
import time

from ..actions.quarantine import (
    QuarantineOutcome,
    QuarantineRequest,
    QuarantineResult,
)
from ..config.schema import Config
from .store import Store

log = logging.getLogger("extortion_milter.quarantine")


class StoreBackend:
    name = "store"

    def __init__(self, directory: str) -> None:
        self.store = Store(directory)

    def quarantine(self, request: QuarantineRequest) -> QuarantineResult:
        if not request.complete:
            return QuarantineResult(
                QuarantineOutcome.HOLD,
                "message larger than limits.max_message_bytes: held in the MTA queue",
            )
        started = time.monotonic()
        try:
            entry = self.store.add(request.raw, request.verdict, request.envelope,
                                   request.reason)
        except OSError as exc:
            detail = f"quarantine store write failed ({self.store.root}): {exc}"
            log.error("%s; queue_id=%s answered with a temporary failure", detail,
                      request.envelope.queue_id or "-")
            return QuarantineResult(QuarantineOutcome.TEMPFAIL, detail)
        log.debug("stored queue_id=%s id=%s write_ms=%.1f", request.envelope.queue_id or "-",
                  entry.id, (time.monotonic() - started) * 1000)
        # The detail is the store id alone, for the log line and the decision log.
        return QuarantineResult(QuarantineOutcome.DISCARD, entry.id)


def make_backend(config: Config) -> StoreBackend:
    return StoreBackend(config.quarantine.directory)
