"""Small process and network helpers for the harness."""

from __future__ import annotations

import contextlib
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class HarnessError(RuntimeError):
    """A part of the test setup failed; the message says which and how."""


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def run(argv: Sequence[str], what: str, env: dict[str, str] | None = None,
        timeout: float = 60) -> str:
    """Run a command (never through a shell); its stdout, or HarnessError with stderr."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, env=env,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{what}: {exc}") from exc
    if proc.returncode != 0:
        raise HarnessError(
            f"{what} failed ({' '.join(argv)}; exit {proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise HarnessError(f"{what} needs root (Postfix's master and Sendmail insist on it)")


def user_ids(name: str) -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise HarnessError(f"no user {name!r}: is the postfix package installed?") from None
    return entry.pw_uid, entry.pw_gid


def short_tmpdir(prefix: str) -> Path:
    """A directory with a short path: unix socket paths must fit in 107 bytes."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)  # the MTA's unprivileged processes must reach sockets in it
    return path
