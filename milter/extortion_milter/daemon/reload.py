"""SIGUSR1: re-read config and rules, check them, swap atomically; keep the old on error.

libmilter's own signal thread takes SIGHUP, SIGTERM and SIGINT (all of them stop the
milter), so reload uses SIGUSR1, waited for in a thread of its own with `sigwait`: the
main thread sits inside libmilter's C loop and would never run a Python signal handler.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from .. import logsetup
from ..adapter.runtime import Runtime, RuntimeHolder, build_runtime, freeze_heap, retire
from ..config.errors import ConfigError, ConfigErrors
from ..config.schema import Config
from . import notify, state

RELOAD_SIGNAL = signal.SIGUSR1
# Signals every thread must block, so libmilter's sigwait (SIGHUP/TERM/INT) and ours
# (SIGUSR1) receive them instead of a thread that happens to be running.
BLOCKED_SIGNALS = {signal.SIGUSR1, signal.SIGHUP, signal.SIGTERM, signal.SIGINT}
# Settings that only take effect at start: the socket is already open, root is gone.
RESTART_ONLY = ("socket", "socket_mode", "socket_group", "user")

_log = logsetup.get_logger("reload")


def block_signals() -> None:
    """Call in the main thread before any other thread starts (threads inherit it)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, BLOCKED_SIGNALS)


class Reloader:
    def __init__(self, holder: RuntimeHolder, load_config: Callable[[], Config]) -> None:
        self._holder = holder
        self._load_config = load_config
        self._lock = threading.Lock()  # one reload at a time

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._wait_loop, name="reload", daemon=True)
        thread.start()
        return thread

    def _wait_loop(self) -> None:
        while True:
            signal.sigwait({RELOAD_SIGNAL})
            self.reload()

    def reload(self) -> bool:
        """Build a new runtime and swap it in; on any error keep the running one."""
        with self._lock:
            notify.reloading()
            try:
                return self._reload()
            finally:
                notify.ready(self._status())

    def _status(self) -> str:
        return f"ruleset {self._holder.current.engine.ruleset_version}"

    def _reload(self) -> bool:
        old: Runtime = self._holder.current
        keeping = f"keeping ruleset {old.engine.ruleset_version} (generation {old.generation})"
        try:
            config = self._load_config()
            new = build_runtime(config, old.generation + 1)
        except (ConfigError, ConfigErrors) as exc:
            errors = exc.errors if isinstance(exc, ConfigErrors) else [exc]
            for error in errors:
                _log.error("reload failed, %s: %s", keeping, error)
            return False
        except Exception:
            _log.error("reload failed, %s", keeping, exc_info=True)
            return False
        try:
            # A new quarantine.directory is made and checked now, as the running user.
            state.prepare(new)
            warnings = state.check(new)
        except state.StateError as exc:
            _log.error("reload failed, %s: %s", keeping, exc)
            if new.dns is not None:
                new.dns.close()
            return False
        for warning in warnings:
            _log.warning("reload: %s", warning)
        for key in RESTART_ONLY:
            if getattr(config, key) != getattr(old.config, key):
                _log.warning("reload: %s changed; it takes effect at the next restart", key)
        if config.logging != old.config.logging:
            try:
                logsetup.configure(config.logging)
            except ValueError as exc:
                _log.error("reload failed, %s: %s", keeping, exc)
                if new.dns is not None:
                    new.dns.close()
                return False
        retire(self._holder.swap(new))
        freeze_heap()
        _log.info(
            "reloaded: ruleset %s (generation %d) from %s; new connections use it",
            new.engine.ruleset_version, new.generation, config.source,
        )
        return True
