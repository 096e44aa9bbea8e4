"""Release tokens: how the milter knows a message is one the admin released, exactly once.

`quarantine release` adds one header to the stored message before re-injecting it:

    X-Extortion-Release: <id> <issued> <nonce> <mac>

`mac` is HMAC-SHA256 over "<id> <issued> <nonce>" with a key only the store's owner can
read (`release.key`, 0600, created on first use). A sender cannot forge it; a copy of a
released message cannot reuse it, because the milter spends a token by creating
`used/<id>.<nonce>` with O_EXCL: the first arrival wins, any later one is scanned as usual.
Each release attempt draws a new nonce, so an attempt the MTA refused after the milter saw
it does not spend the next one. Tokens older than TOKEN_TTL are refused (the milter sees a
released message within seconds of the release).

The hot path pays nothing for mail without the header; with it: a split, an HMAC and one
file creation.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from pathlib import Path

from .store import FILE_MODE, USED, Store, fsync_dir, is_valid_id

HEADER = "X-Extortion-Release"
TOKEN_TTL = 3600.0
KEY_BYTES = 32
_NONCE_RE = re.compile(r"^[0-9a-f]{16}$")
_MAC_RE = re.compile(r"^[0-9a-f]{64}$")

_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def _mac(key: bytes, entry_id: str, issued: int, nonce: str) -> str:
    return hmac.new(key, f"{entry_id} {issued} {nonce}".encode("ascii"),
                    hashlib.sha256).hexdigest()


def load_key(store: Store, create: bool) -> bytes | None:
    """The store's release key; created (0600, store owner) when missing and `create`."""
    path = str(store.key_path)
    cached = _keys.get(path)
    if cached is not None:
        return cached
    with _keys_lock:
        try:
            key = store.key_path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            key = _create_key(store)
        if len(key) < KEY_BYTES:
            raise OSError(f"{store.key_path}: release key is too short ({len(key)} bytes)")
        _keys[path] = key
        return key


def _create_key(store: Store) -> bytes:
    store.ensure_root()
    key = secrets.token_bytes(KEY_BYTES)
    # Written like any store file (temp, fsync, link): two first releases racing each other
    # end up with one key, and the loser reads the winner's.
    try:
        store.write_file(store.key_path, key, exclusive=True)
    except FileExistsError:
        return store.key_path.read_bytes()
    fsync_dir(store.root)
    return key


def make_token(store: Store, entry_id: str, now: float | None = None) -> tuple[str, str]:
    """(header value, nonce) for one release attempt of `entry_id`."""
    key = load_key(store, create=True)
    assert key is not None
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_hex(8)
    return f"{entry_id} {issued} {nonce} {_mac(key, entry_id, issued, nonce)}", nonce


def parse_token(store: Store, value: str, now: float | None = None) -> tuple[str, str] | None:
    """(id, nonce) when `value` is a genuine, unexpired token of this store, else None.
    Does not spend it."""
    parts = value.split()
    if len(parts) != 4:
        return None
    entry_id, issued_text, nonce, mac = parts
    if not (is_valid_id(entry_id) and issued_text.isdigit() and _NONCE_RE.match(nonce)
            and _MAC_RE.match(mac)):
        return None
    issued = int(issued_text)
    now = time.time() if now is None else now
    if not -300 <= now - issued <= TOKEN_TTL:
        return None
    try:
        key = load_key(store, create=False)
    except OSError:
        return None
    if key is None:
        return None
    if not hmac.compare_digest(_mac(key, entry_id, issued, nonce), mac):
        return None
    return entry_id, nonce


def marker_path(store: Store, entry_id: str, nonce: str) -> Path:
    return store.root / USED / f"{entry_id}.{nonce}"


def spend(store: Store, entry_id: str, nonce: str) -> bool:
    """Record the token as used; True only for the first caller. Durable before True."""
    used = store.root / USED
    try:
        os.mkdir(used, 0o700)
    except FileExistsError:
        pass
    else:
        fsync_dir(store.root)
    try:
        fd = os.open(marker_path(store, entry_id, nonce),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.write(fd, f"{time.time():.3f}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(used)
    return True


def was_spent(store: Store, entry_id: str, nonce: str) -> bool:
    return marker_path(store, entry_id, nonce).exists()


_stores: dict[str, Store] = {}


def verify_release_header(value: str, directory: str) -> str | None:
    """For the milter: the store id when `value` (an X-Extortion-Release header) is a
    genuine token of the store in `directory` seen for the first time, else None.

    A None means "scan the message as usual": forged, expired, replayed, or the store is
    unreadable. Never raises.
    """
    store = _stores.get(directory)
    if store is None:
        store = _stores.setdefault(directory, Store(directory))
    parsed = parse_token(store, value)
    if parsed is None:
        return None
    entry_id, nonce = parsed
    with contextlib.suppress(OSError):
        if spend(store, entry_id, nonce):
            return entry_id
    return None
