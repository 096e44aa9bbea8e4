"""Wire ExtortionMilter into libmilter and run its loop until a stop signal.

Like `Milter.runmilter`, but split so the caller can fix the socket's permissions, drop
root and tell systemd it is ready between opening the socket and serving.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import Milter
from Milter import milter  # the C module (a bare `import milter` confuses mypy)

from .milter import WANTED_ACTIONS, ExtortionMilter
from .runtime import RuntimeHolder

MILTER_NAME = "extortion-milter"
MTA_TIMEOUT_SECONDS = 600  # how long libmilter waits on a silent MTA before giving up

class ServeError(Exception):
    """The milter could not start listening (bad socket spec, address in use, ...)."""


def _callbacks() -> None:
    milter.set_connect_callback(Milter.connect_callback)
    milter.set_helo_callback(lambda ctx, host: ctx.getpriv().hello(host))
    milter.set_envfrom_callback(lambda ctx, *b: ctx.getpriv().envfrom_bytes(*b))
    milter.set_envrcpt_callback(lambda ctx, *b: ctx.getpriv().envrcpt_bytes(*b))
    milter.set_header_callback(lambda ctx, f, v: ctx.getpriv().header_bytes(f, v))
    milter.set_eoh_callback(lambda ctx: ctx.getpriv().eoh())
    milter.set_body_callback(lambda ctx, chunk: ctx.getpriv().body(chunk))
    milter.set_eom_callback(lambda ctx: ctx.getpriv().eom())
    milter.set_abort_callback(lambda ctx: ctx.getpriv().abort())
    milter.set_close_callback(Milter.close_callback)


def serve(
    holder: RuntimeHolder,
    socket_spec: str,
    socket_mode: int,
    on_error: str,
    on_listening: Callable[[], None],
) -> None:
    """Listen on `socket_spec` and serve until libmilter stops (SIGTERM/SIGHUP/SIGINT).

    The socket file is created under a umask matching `socket_mode`, so there is no
    moment when it is more open than asked. `on_listening` runs once it exists.
    """
    Milter.factory = lambda: ExtortionMilter(holder)
    _callbacks()
    # Last line of defence: an exception escaping our own guards still never loses mail.
    milter.set_exception_policy(Milter.TEMPFAIL if on_error == "tempfail" else Milter.CONTINUE)
    milter.set_flags(WANTED_ACTIONS)
    try:
        milter.setconn(socket_spec)
        milter.settimeout(MTA_TIMEOUT_SECONDS)
        milter.register(
            MILTER_NAME,
            unknown=lambda ctx, cmd: ctx.getpriv().unknown(cmd),
            negotiate=Milter.negotiate_callback,
        )
        old_umask = os.umask(0o777 & ~socket_mode)
        try:
            milter.opensocket(True)  # True: remove a stale socket file first
        finally:
            os.umask(old_umask)
    except milter.error as exc:
        raise ServeError(f"cannot listen on {socket_spec}: {exc}") from exc
    on_listening()
    try:
        milter.main()
    except milter.error as exc:
        raise ServeError(f"milter loop failed: {exc}") from exc
