"""systemd's sd_notify protocol, by hand: one datagram to $NOTIFY_SOCKET.

A dependency for ~15 lines is not worth it. Without NOTIFY_SOCKET (not under systemd,
or Type=simple) every call is a no-op.
"""

from __future__ import annotations

import os
import socket
import time

from .. import logsetup

_log = logsetup.get_logger("notify")


def notify(*assignments: str) -> bool:
    """Send `READY=1`-style lines; True if a notify socket took them."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(assignments).encode())
    except OSError as exc:
        _log.warning("cannot notify systemd at %s: %s", address.lstrip("\0"), exc)
        return False
    return True


def ready(status: str) -> bool:
    return notify("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")


def reloading() -> bool:
    # MONOTONIC_USEC lets Type=notify-reload (systemd >= 253) match this to its request.
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


def stopping() -> bool:
    return notify("STOPPING=1")
