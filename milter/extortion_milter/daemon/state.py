"""What the milter writes besides its socket: the quarantine store and the decision log.

Both are made ready when the milter starts, so a missing or unwritable directory is an
error at start rather than a 451 on the first quarantined message:

- `prepare` runs as the milter was started (root, for a plain `extortion-milter run`):
  it creates what is missing - the store directory 0700, the decision log's directory
  0750 and the log file 0600 - and gives what it creates to the user the milter will run
  as (`user:`). Nothing that already exists changes owner or mode.
- `check` runs as that user (see privileges.acting_as), before the socket is opened: the
  store must be writable (a test file is created and removed) and its release key
  readable, or the milter refuses to start with a message that says what to fix. The
  decision log is opened; if that fails the milter still starts (mail does not depend on
  it) and says so.

A reload runs both for the new config, as the unprivileged user; a failure keeps the
running config.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
from pathlib import Path

from ..adapter.runtime import Runtime
from ..quarantine.backend import StoreBackend
from ..quarantine.decisionlog import FILE_MODE as LOG_FILE_MODE
from ..quarantine.store import DIR_MODE, USED, Store

LOG_DIR_MODE = 0o750


class StateError(Exception):
    """The milter cannot use its quarantine store; the message says what to fix."""


def run_owner(user: str) -> tuple[int, int] | None:
    """(uid, gid) to give new files when running as root about to become `user`."""
    if not user or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise StateError(f"user: no such user {user!r}") from None
    return entry.pw_uid, entry.pw_gid


def prepare(runtime: Runtime, user: str = "") -> None:
    """Create the store and decision log directories if missing (see the module doc)."""
    owner = run_owner(user)
    if isinstance(runtime.quarantine, StoreBackend):
        _prepare_store(runtime.quarantine.store, owner)
    if runtime.decisions is not None:
        try:
            _prepare_log(runtime.decisions.path, owner)
        except OSError:
            pass  # reported by check(), as a warning


def check(runtime: Runtime) -> list[str]:
    """As the user the milter runs as: raise StateError if the store is unusable; return
    warnings (the decision log cannot be written)."""
    if isinstance(runtime.quarantine, StoreBackend):
        _check_store(runtime.quarantine.store)
    warnings = []
    if runtime.decisions is not None:
        try:
            runtime.decisions.open_now()
        except OSError as exc:
            warnings.append(
                f"decision log {runtime.decisions.path}: cannot write it as user {_me()} "
                f"({exc.strerror or exc}); verdicts are not recorded there until it can be "
                "written (decision_log.path, or empty to turn it off)"
            )
    return warnings


def _prepare_store(store: Store, owner: tuple[int, int] | None) -> None:
    root = store.root
    if root.exists():
        return
    try:
        root.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        try:
            os.mkdir(root, DIR_MODE)
        except FileExistsError:
            return  # made meanwhile; check() judges it
        if owner is not None:
            os.chown(root, *owner)
        os.chmod(root, DIR_MODE)  # whatever the umask
    except OSError as exc:
        raise StateError(
            f"quarantine.directory {root}: cannot create it ({exc.strerror or exc}). "
            "Create it (mode 0700, owned by the milter's user), point quarantine.directory "
            "somewhere writable, or use quarantine.backend: hold"
        ) from None


def _prepare_log(path: Path, owner: tuple[int, int] | None) -> None:
    directory = path.parent
    if not directory.exists():
        directory.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.mkdir(directory, LOG_DIR_MODE)
        if owner is not None:
            os.chown(directory, *owner)
    if owner is not None and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, LOG_FILE_MODE)
        try:
            os.fchown(fd, *owner)
        finally:
            os.close(fd)


def _check_store(store: Store) -> None:
    root = store.root
    fix = (f"Fix: chown -R {_me()}: {root} && chmod 0700 {root}, or set "
           "quarantine.directory / quarantine.backend: hold")
    try:
        st = root.stat()
    except OSError as exc:
        raise StateError(f"quarantine.directory {root}: {exc.strerror or exc} "
                         f"(running as user {_me()}). {fix}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise StateError(f"quarantine.directory {root} is not a directory")
    probe = root / f".start-check.{os.getpid()}.tmp"
    for directory in (root, store.messages, root / USED):
        if directory != root and not directory.exists():
            continue
        target = probe if directory == root else directory / probe.name
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
            os.close(fd)
            os.unlink(target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(target)
            info = directory.stat() if directory.exists() else st
            raise StateError(
                f"quarantine store {directory} is not writable by user {_me()} "
                f"({exc.strerror or exc}; it belongs to {_user(info.st_uid)}, mode "
                f"{stat.S_IMODE(info.st_mode):04o}). {fix}"
            ) from None
    if store.key_path.exists() and not os.access(store.key_path, os.R_OK):
        raise StateError(
            f"{store.key_path} is not readable by user {_me()}: released messages would be "
            f"scanned (and quarantined) again. {fix}"
        )


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _me() -> str:
    return _user(os.geteuid())
