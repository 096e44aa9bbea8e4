"""Dropping root once the socket exists (when `user` is set and we started as root)."""

from __future__ import annotations

import contextlib
import os
import pwd
from collections.abc import Iterator


def drop_privileges(user: str) -> None:
    """Become `user` for good. Raises PermissionError/KeyError when that is impossible:
    running on as root after the admin asked otherwise is not an option."""
    if not user:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise KeyError(f"user: no such user {user!r}") from None
    if os.geteuid() != 0:
        if os.geteuid() == entry.pw_uid:
            return
        raise PermissionError(f"user: cannot switch to {user!r} without starting as root")
    os.initgroups(user, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    if os.geteuid() != entry.pw_uid or os.getuid() != entry.pw_uid:
        raise PermissionError(f"user: switching to {user!r} did not take effect")


@contextlib.contextmanager
def acting_as(user: str) -> Iterator[None]:
    """Root only: act as `user` (effective ids and groups) for a while, then back, e.g. to
    check at start that the user can write what it will need. Otherwise a no-op."""
    if not user or os.geteuid() != 0:
        yield
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise KeyError(f"user: no such user {user!r}") from None
    uid, gid, groups = os.geteuid(), os.getegid(), os.getgroups()
    os.setgroups(os.getgrouplist(user, entry.pw_gid))
    os.setegid(entry.pw_gid)
    os.seteuid(entry.pw_uid)
    try:
        yield
    finally:
        os.seteuid(uid)
        os.setegid(gid)
        os.setgroups(groups)
