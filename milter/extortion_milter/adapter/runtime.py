"""The compiled state the milter runs on, and the holder that swaps it on reload.

A connection takes `holder.current` once when it opens and uses it to the end, so a
reload never changes the rules under a message being scanned; the next connection sees
the new state. Swapping is one attribute assignment, atomic under the GIL.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..actions.quarantine import QuarantineBackend, make_backend
from ..config.build import build_engine
from ..config.schema import Config
from ..dns import DnsChecker
from ..engine.types import Envelope
from ..quarantine.decisionlog import DecisionLog, open_decision_log
from .policy import AllowPolicy

if TYPE_CHECKING:
    from ..engine.engine import Engine

# Scanned once before a new rule set goes live: a rule set that cannot scan a plain
# message must not replace one that can.
SELF_TEST_MESSAGE = (
    b"From: selftest@example.org\r\nTo: postmaster@example.org\r\n"
    b"Subject: extortion-milter self test\r\nMessage-ID: <selftest@example.org>\r\n\r\n"
    b"Hello, this is a plain message used to check a freshly loaded rule set.\r\n"
)


RETIRE_GRACE_SECONDS = 600.0  # longer than any SMTP session should stay open


@dataclass(frozen=True)
class Runtime:
    config: Config
    engine: Engine
    policy: AllowPolicy
    quarantine: QuarantineBackend
    dns: DnsChecker | None  # None: dns.enabled is false
    decisions: DecisionLog | None  # None: decision_log.path is empty
    generation: int = 0
    loaded_at: float = field(default_factory=time.time)


def build_runtime(config: Config, generation: int = 0) -> Runtime:
    """Everything a connection needs, checked. Raises ConfigError(s) on bad config/rules."""
    engine = build_engine(config)
    engine.scan(SELF_TEST_MESSAGE, Envelope(queue_id="selftest"))
    policy = AllowPolicy.from_config(config.allow)
    quarantine = make_backend(config)
    dns = DnsChecker.from_config(config) if config.dns.enabled else None
    return Runtime(config, engine, policy, quarantine, dns, open_decision_log(config),
                   generation)


def freeze_heap() -> None:
    """Move everything alive now (the compiled rules above all) out of the cyclic garbage
    collector's reach: a full collection walked them all, about 9 ms with the shipped
    packs, holding up every connection. Called once a runtime is built; the unfreeze
    first lets a replaced runtime's cycles be collected after a reload."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def retire(runtime: Runtime, grace_seconds: float = RETIRE_GRACE_SECONDS) -> None:
    """Release what a replaced runtime owns once the connections still using it are done
    (a bounded wait: a connection that outlives it only loses its pending DNS lookups)."""
    if runtime.dns is None:
        return
    timer = threading.Timer(grace_seconds, runtime.dns.close)
    timer.daemon = True
    timer.start()


class RuntimeHolder:
    """The current Runtime plus a count of messages in flight (for a clean stop)."""

    def __init__(self, runtime: Runtime) -> None:
        self.current = runtime
        self._lock = threading.Lock()
        self._inflight = 0
        self._idle = threading.Condition(self._lock)

    def swap(self, runtime: Runtime) -> Runtime:
        """Make `runtime` current for new connections; returns the one it replaces."""
        old, self.current = self.current, runtime
        return old

    def message_started(self) -> None:
        with self._lock:
            self._inflight += 1

    def message_finished(self) -> None:
        with self._lock:
            self._inflight = max(0, self._inflight - 1)
            if self._inflight == 0:
                self._idle.notify_all()

    @property
    def inflight(self) -> int:
        return self._inflight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no message is being scanned; False if the timeout ran out."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._inflight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True


RuntimeFactory = Callable[[], Runtime]
