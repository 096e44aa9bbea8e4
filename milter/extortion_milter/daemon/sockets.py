"""The milter socket: libmilter syntax, permissions, and the matching Postfix syntax."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path


def unix_path(spec: str) -> Path | None:
    """The file of a `unix:`/`local:` socket spec, None for inet sockets."""
    kind, _, rest = spec.partition(":")
    if kind in ("unix", "local"):
        return Path(rest)
    return None


def parse_mode(mode: str) -> int:
    return int(mode, 8) & 0o777


def prepare_directory(spec: str) -> None:
    """Create the socket's directory if missing (one level, like /run/extortion-milter),
    so the defaults work out of the box; a deeper missing path is an error worth seeing."""
    path = unix_path(spec)
    if path is not None and not path.parent.exists():
        path.parent.mkdir(mode=0o755)


def set_permissions(spec: str, mode: int, group: str, owner: str = "") -> None:
    """Give the unix socket `mode` and `group`, so the MTA's user can connect; with
    `owner` (the user root is about to become), make it that user's socket."""
    path = unix_path(spec)
    if path is None:
        return
    if owner and os.geteuid() == 0:
        try:
            entry = pwd.getpwnam(owner)
        except KeyError:
            raise ValueError(f"user: no such user {owner!r}") from None
        os.chown(path, entry.pw_uid, entry.pw_gid)
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise ValueError(f"socket_group: no such group {group!r}") from None
        os.chown(path, -1, gid)
    os.chmod(path, mode)


def remove_stale(spec: str) -> None:
    path = unix_path(spec)
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass  # not ours to remove (directory owned by someone else): harmless


def postfix_form(spec: str, chroot: str | None = None) -> str:
    """libmilter `inet:PORT@HOST` -> Postfix `inet:HOST:PORT`; unix paths relative to the
    chroot when Postfix's smtpd runs chrooted."""
    kind, _, rest = spec.partition(":")
    if kind in ("inet", "inet6"):
        port, _, host = rest.partition("@")
        return f"inet:{host or 'localhost'}:{port}"
    path = rest
    if chroot and path.startswith(chroot.rstrip("/") + "/"):
        path = path[len(chroot.rstrip("/")):]
    return f"unix:{path}"


def postfix_wiring(spec: str) -> list[str]:
    """The `postconf -e` lines that wire this milter into Postfix."""
    return [
        f"postconf -e 'smtpd_milters = {postfix_form(spec, '/var/spool/postfix')}'",
        "postconf -e 'non_smtpd_milters = $smtpd_milters'",
        "postconf -e 'milter_default_action = tempfail'",
        "postconf -e 'milter_protocol = 6'",
        "postfix reload",
    ]
