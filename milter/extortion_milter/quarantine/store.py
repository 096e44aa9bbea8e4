"""The quarantine store on disk: the files are the truth, everything else is a cache.

Layout under `quarantine.directory` (directories 0700, files 0600, owned by the milter's
user):

    messages/YYYYMMDD/<id>.eml    the message exactly as received
    messages/YYYYMMDD/<id>.json   its metadata: envelope, verdict, release history
    used/<id>.<nonce>             release tokens the milter has let through (one file each)
    release.key                   the HMAC key of release tokens
    index.sqlite                  the listing index, rebuilt from the files at will
    .lock                         serializes metadata updates (release, delete)

Every file is written to a hidden temporary name, fsync'd, renamed into place, and the
directory fsync'd, so an entry is either complete or absent after a crash. The `.json`
is written after the `.eml`: an entry exists when its `.json` does.

Nothing here ever widens a permission. When root (the admin's CLI) creates a file in a
store owned by the milter's user, the file is given to that user so the milter can still
use it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from ..engine.types import Envelope, Verdict

FORMAT_VERSION = 1
DIR_MODE = 0o700
FILE_MODE = 0o600
MESSAGES = "messages"
USED = "used"
KEY_FILE = "release.key"
INDEX_FILE = "index.sqlite"
LOCK_FILE = ".lock"

# YYYYMMDD (UTC day of arrival) - 8 base32 characters. The day names the directory, so an
# id is found without the index, and the id is safe to use as a file name once matched.
ID_RE = re.compile(r"^(\d{8})-([a-z2-7]{8})$")
DAY_RE = re.compile(r"^\d{8}$")
# Temporary and incomplete files older than this are debris of a crash.
STALE_SECONDS = 3600.0


class StoreError(Exception):
    """The store cannot do what was asked; the message says what and why."""


class EntryNotFound(StoreError):
    pass


class StoreUnreadable(StoreError):
    """The running user may not read the store (or it does not exist)."""


def is_valid_id(value: str) -> bool:
    return ID_RE.match(value) is not None


def new_id(now: float) -> str:
    day = time.strftime("%Y%m%d", time.gmtime(now))
    tail = base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()
    return f"{day}-{tail}"


def bare_address(address: str) -> str:
    """`<User@Example.org>` -> `User@Example.org`; the null sender is the empty string."""
    return address.strip().removeprefix("<").removesuffix(">").strip()


@dataclass(frozen=True)
class RuleRecord:
    rule_id: str
    score: float
    evidence: str


@dataclass(frozen=True)
class Attempt:
    """One `release` attempt: where to, what the server answered, who got it."""

    time: float
    server: str
    rcpts: tuple[str, ...]  # recipients tried in this attempt
    ok: bool  # the server answered 2xx to the message
    answer: str  # the server's last reply (or the error), e.g. "452 4.3.1 Insufficient ..."
    delivered: tuple[str, ...] = ()  # recipients the server accepted when ok
    nonce: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time, "server": self.server, "rcpts": list(self.rcpts),
            "ok": self.ok, "answer": self.answer, "delivered": list(self.delivered),
            "nonce": self.nonce,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            time=float(data.get("time", 0.0)), server=str(data.get("server", "")),
            rcpts=tuple(str(r) for r in data.get("rcpts", ())), ok=bool(data.get("ok")),
            answer=str(data.get("answer", "")),
            delivered=tuple(str(r) for r in data.get("delivered", ())),
            nonce=str(data.get("nonce", "")),
        )


@dataclass(frozen=True)
class Entry:
    """The metadata of one quarantined message (the `.json` beside the `.eml`)."""

    id: str
    time: float
    queue_id: str = ""
    client_ip: str = ""
    helo: str = ""
    mail_from: str = ""  # bare address; "" is the null sender
    rcpts: tuple[str, ...] = ()  # bare envelope recipients, as the MTA gave them
    header_from: str = ""  # decoded From header, for display only
    subject: str = ""  # decoded Subject
    message_id: str = ""
    score: float = 0.0
    action: str = "quarantine"
    reason: str = ""
    rules: tuple[RuleRecord, ...] = ()
    crypto_addresses: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    ruleset_version: str = ""
    size: int = 0
    sha256: str = ""
    attempts: tuple[Attempt, ...] = ()
    # Set while `release` talks to the MTA; cleared with the attempt's result. If a crash
    # leaves it set, nobody knows whether the MTA took the message: `release` then asks
    # for --force instead of guessing.
    sending: dict[str, Any] = field(default_factory=dict)

    @property
    def day(self) -> str:
        return self.id[:8]

    @property
    def delivered(self) -> tuple[str, ...]:
        """Every address some release delivered this message to, in order, once each."""
        seen: dict[str, None] = {}
        for attempt in self.attempts:
            if attempt.ok:
                for rcpt in attempt.delivered:
                    seen.setdefault(rcpt.lower(), None)
        return tuple(seen)

    @property
    def status(self) -> str:
        """held, partial (some original recipients got it), released (all did), sending."""
        if self.sending:
            return "sending"
        delivered = set(self.delivered)
        pending = [r for r in self.rcpts if r.lower() not in delivered]
        if not self.rcpts or not pending:
            return "released" if delivered else "held"
        return "partial" if any(r.lower() in delivered for r in self.rcpts) else "held"

    @property
    def last_answer(self) -> str:
        return self.attempts[-1].answer if self.attempts else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "id": self.id,
            "time": self.time,
            "time_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.time)),
            "queue_id": self.queue_id,
            "client_ip": self.client_ip,
            "helo": self.helo,
            "mail_from": self.mail_from,
            "rcpts": list(self.rcpts),
            "header_from": self.header_from,
            "subject": self.subject,
            "message_id": self.message_id,
            "score": self.score,
            "action": self.action,
            "reason": self.reason,
            "rules": [
                {"id": r.rule_id, "score": r.score, "evidence": r.evidence} for r in self.rules
            ],
            "crypto_addresses": [dict(a) for a in self.crypto_addresses],
            "notes": list(self.notes),
            "ruleset_version": self.ruleset_version,
            "size": self.size,
            "sha256": self.sha256,
            "status": self.status,
            "attempts": [a.to_json() for a in self.attempts],
            "sending": dict(self.sending),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        entry_id = str(data.get("id", ""))
        if not is_valid_id(entry_id):
            raise ValueError(f"bad id {entry_id!r}")
        return cls(
            id=entry_id,
            time=float(data.get("time", 0.0)),
            queue_id=str(data.get("queue_id", "")),
            client_ip=str(data.get("client_ip", "")),
            helo=str(data.get("helo", "")),
            mail_from=str(data.get("mail_from", "")),
            rcpts=tuple(str(r) for r in data.get("rcpts", ())),
            header_from=str(data.get("header_from", "")),
            subject=str(data.get("subject", "")),
            message_id=str(data.get("message_id", "")),
            score=float(data.get("score", 0.0)),
            action=str(data.get("action", "quarantine")),
            reason=str(data.get("reason", "")),
            rules=tuple(
                RuleRecord(str(r.get("id", "")), float(r.get("score", 0.0)),
                           str(r.get("evidence", "")))
                for r in data.get("rules", ())
            ),
            crypto_addresses=tuple(dict(a) for a in data.get("crypto_addresses", ())),
            notes=tuple(str(n) for n in data.get("notes", ())),
            ruleset_version=str(data.get("ruleset_version", "")),
            size=int(data.get("size", 0)),
            sha256=str(data.get("sha256", "")),
            attempts=tuple(Attempt.from_json(a) for a in data.get("attempts", ())),
            sending=dict(data.get("sending") or {}),
        )


def _decode(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        return value


def header_facts(raw: bytes) -> tuple[str, str, str]:
    """(From, Subject, Message-ID) of a message, decoded; empty when absent or unreadable."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:262144])
    except Exception:  # hostile input: the store must not fail on it
        return "", "", ""

    def get(name: str) -> str:
        value = headers.get(name)
        return _decode(value if isinstance(value, str) else None)

    return get("From"), get("Subject"), get("Message-ID").strip()


def entry_for(entry_id: str, now: float, raw: bytes, verdict: Verdict, envelope: Envelope,
              reason: str) -> Entry:
    header_from, subject, message_id = header_facts(raw)
    addresses = verdict.to_dict().get("crypto_addresses")
    return Entry(
        id=entry_id,
        time=now,
        queue_id=envelope.queue_id or "",
        client_ip=envelope.client_ip or "",
        helo=envelope.helo or "",
        mail_from=bare_address(envelope.mail_from or ""),
        rcpts=tuple(bare_address(r) for r in envelope.rcpts),
        header_from=header_from,
        subject=subject,
        message_id=message_id,
        score=round(verdict.score, 2),
        action=verdict.action.value,
        reason=reason,
        rules=tuple(RuleRecord(h.rule_id, h.score, h.evidence) for h in verdict.hits),
        crypto_addresses=tuple(
            dict(a) for a in (addresses if isinstance(addresses, list) else [])
            if isinstance(a, dict)
        ),
        notes=tuple(verdict.notes),
        ruleset_version=verdict.ruleset_version,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


# ---------------------------------------------------------------------------- file helpers


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """One quarantine directory. Cheap to create; touches the disk only when asked."""

    def __init__(self, directory: str | Path) -> None:
        self.root = Path(directory)
        self.messages = self.root / MESSAGES
        self.used = self.root / USED
        self.key_path = self.root / KEY_FILE
        self.index_path = self.root / INDEX_FILE
        self.lock_path = self.root / LOCK_FILE
        self._owner: tuple[int, int] | None = None

    # -- ownership and directories

    def _store_owner(self) -> tuple[int, int] | None:
        """(uid, gid) to give new files when we run as root in someone else's store."""
        if os.geteuid() != 0:
            return None
        if self._owner is None:
            st = self.root.stat()
            self._owner = (st.st_uid, st.st_gid)
        return None if self._owner == (0, 0) else self._owner

    def chown_fd(self, fd: int) -> None:
        owner = self._store_owner()
        if owner is not None:
            os.fchown(fd, *owner)

    def _mkdir(self, path: Path) -> None:
        """Create `path` (0700) if missing and make the new entry durable in its parent."""
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            return
        owner = self._store_owner() if path != self.root else None
        if owner is not None:
            os.chown(path, *owner)
        fsync_dir(path.parent)

    def ensure_root(self) -> None:
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            self._mkdir(self.root)

    def day_dir(self, day: str) -> Path:
        return self.messages / day

    def paths(self, entry_id: str) -> tuple[Path, Path]:
        """(raw, metadata) paths of an id; raises EntryNotFound for a malformed id."""
        match = ID_RE.match(entry_id)
        if match is None:
            raise EntryNotFound(f"not a quarantine id: {entry_id!r}")
        directory = self.day_dir(match.group(1))
        return directory / f"{entry_id}.eml", directory / f"{entry_id}.json"

    # -- atomic writes

    def write_file(self, path: Path, data: bytes, *, exclusive: bool) -> None:
        """Write `data` to `path` atomically: hidden temp, fsync, rename. The caller fsyncs
        the directory (once for several files)."""
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     FILE_MODE)
        try:
            try:
                self.chown_fd(fd)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            if exclusive:
                # link() fails if the name exists: a new entry never replaces another.
                os.link(tmp, path)
                os.unlink(tmp)
            else:
                os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def add(self, raw: bytes, verdict: Verdict, envelope: Envelope, reason: str,
            now: float | None = None) -> Entry:
        """Store a message durably and return its entry. Raises OSError on any failure,
        leaving no visible partial entry."""
        now = time.time() if now is None else now
        self.ensure_root()
        self._mkdir(self.messages)
        for _attempt in range(5):
            entry = entry_for(new_id(now), now, raw, verdict, envelope, reason)
            day_dir = self.day_dir(entry.day)
            self._mkdir(day_dir)
            raw_path, meta_path = self.paths(entry.id)
            try:
                self.write_file(raw_path, raw, exclusive=True)
            except FileExistsError:
                continue  # a 40-bit collision on the same day: draw another id
            try:
                self.write_file(meta_path, _dump(entry), exclusive=True)
                fsync_dir(day_dir)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(raw_path)
                raise
            return entry
        raise OSError(errno.EEXIST, "could not draw an unused quarantine id")

    def save(self, entry: Entry) -> None:
        """Replace an entry's metadata atomically (the raw message never changes)."""
        _raw_path, meta_path = self.paths(entry.id)
        if not meta_path.exists():
            raise EntryNotFound(f"no such quarantined message: {entry.id}")
        self.write_file(meta_path, _dump(entry), exclusive=False)
        fsync_dir(meta_path.parent)

    # -- reading

    def check_readable(self) -> None:
        """Raise StoreUnreadable with a message an admin can act on."""
        root = self.root
        try:
            st = root.stat()
        except FileNotFoundError:
            raise StoreUnreadable(
                f"no quarantine store at {root} (nothing has been quarantined yet, or "
                "quarantine.directory points elsewhere)"
            ) from None
        except PermissionError:
            raise StoreUnreadable(
                f"cannot read the quarantine store {root}: permission denied on a parent "
                "directory; run as root or as the milter's user"
            ) from None
        if not stat.S_ISDIR(st.st_mode):
            raise StoreUnreadable(f"quarantine.directory {root} is not a directory")
        if not os.access(root, os.R_OK | os.X_OK):
            raise StoreUnreadable(
                f"cannot read the quarantine store {root}: it belongs to user "
                f"{_user_name(st.st_uid)} with mode {stat.S_IMODE(st.st_mode):04o} and you are "
                f"{_user_name(os.geteuid())}. Run as root or as that user, e.g. "
                f"sudo -u {_user_name(st.st_uid)} extortion-milter quarantine ... "
                "(permissions are left as they are)"
            )

    def can_write(self) -> bool:
        return os.access(self.root, os.W_OK | os.X_OK)

    def load(self, entry_id: str) -> Entry:
        _raw_path, meta_path = self.paths(entry_id)
        try:
            data = json.loads(meta_path.read_bytes())
        except FileNotFoundError:
            raise EntryNotFound(f"no such quarantined message: {entry_id}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"{meta_path}: unreadable metadata ({exc})") from exc
        try:
            return Entry.from_json(data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise StoreError(f"{meta_path}: unreadable metadata ({exc})") from exc

    def raw(self, entry_id: str) -> bytes:
        raw_path, _meta_path = self.paths(entry_id)
        try:
            return raw_path.read_bytes()
        except FileNotFoundError:
            raise EntryNotFound(f"the message file of {entry_id} is missing") from None

    def days(self) -> list[str]:
        try:
            return sorted(e.name for e in os.scandir(self.messages)
                          if DAY_RE.match(e.name) and e.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            return []

    def ids_in_day(self, day: str) -> list[str]:
        """Complete entries (a .json exists) of one day directory."""
        try:
            names = [e.name for e in os.scandir(self.day_dir(day))]
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".json") and is_valid_id(n[:-5]))

    def iter_entries(self) -> Iterator[Entry]:
        for day in self.days():
            for entry_id in self.ids_in_day(day):
                try:
                    yield self.load(entry_id)
                except EntryNotFound:
                    continue  # deleted meanwhile

    # -- removal

    def delete(self, entry_id: str) -> None:
        """Remove an entry: metadata first (the entry no longer exists), then the bytes."""
        raw_path, meta_path = self.paths(entry_id)
        try:
            os.unlink(meta_path)
        except FileNotFoundError:
            raise EntryNotFound(f"no such quarantined message: {entry_id}") from None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(raw_path)
        fsync_dir(meta_path.parent)
        self._remove_empty_day(meta_path.parent)

    def _remove_empty_day(self, directory: Path) -> None:
        try:
            os.rmdir(directory)
        except OSError:
            return  # not empty, or gone
        fsync_dir(directory.parent)

    def sweep_debris(self, now: float | None = None) -> list[Path]:
        """Remove crash debris older than an hour: temp files, a .eml whose .json was never
        written (its write failed, so the MTA was told 451 and still has the message), and
        spent release-token markers. Returns what was removed."""
        now = time.time() if now is None else now
        removed: list[Path] = []
        for day in self.days():
            directory = self.day_dir(day)
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            names = {e.name for e in entries}
            for item in entries:
                stale = _older(item, now, STALE_SECONDS)
                orphan = item.name.endswith(".eml") and item.name[:-4] + ".json" not in names
                if stale and (item.name.endswith(".tmp") or orphan):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(item.path)
                        removed.append(Path(item.path))
            self._remove_empty_day(directory)
        try:
            markers = list(os.scandir(self.used))
        except FileNotFoundError:
            markers = []
        for item in markers:
            if _older(item, now, STALE_SECONDS * 24):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(item.path)
                    removed.append(Path(item.path))
        return removed

    # -- locking

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock for read-modify-write of metadata (release, delete). The milter
        never takes it: storing a new message and spending a token never wait for the CLI."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                     FILE_MODE)
        try:
            self.chown_fd(fd)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _older(item: os.DirEntry[str], now: float, seconds: float) -> bool:
    try:
        return now - item.stat(follow_symlinks=False).st_mtime > seconds
    except FileNotFoundError:
        return False


def _dump(entry: Entry) -> bytes:
    return (json.dumps(entry.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
