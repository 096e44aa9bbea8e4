"""Release tokens: genuine ones pass exactly once; forged, foreign, stale and replayed fail."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from extortion_milter.quarantine import token as tokens
from extortion_milter.quarantine.store import Store
from extortion_milter.quarantine.token import (
    TOKEN_TTL,
    make_token,
    parse_token,
    verify_release_header,
)

ENTRY = "20250615-abcdefgh"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "q")


def test_key_is_created_once_private(store: Store) -> None:
    value, _nonce = make_token(store, ENTRY)
    key = store.key_path.read_bytes()
    assert len(key) == 32
    assert stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    make_token(store, ENTRY)
    assert store.key_path.read_bytes() == key
    assert value.split()[0] == ENTRY


def test_a_genuine_token_passes_exactly_once(store: Store) -> None:
    value, _nonce = make_token(store, ENTRY)
    directory = str(store.root)
    assert verify_release_header(value, directory) == ENTRY
    assert verify_release_header(value, directory) is None  # replayed
    assert verify_release_header(f"  {value}\t", directory) is None  # same token, reformatted


def test_each_attempt_has_its_own_token(store: Store) -> None:
    first, _ = make_token(store, ENTRY)
    second, _ = make_token(store, ENTRY)
    assert first != second
    assert verify_release_header(first, str(store.root)) == ENTRY
    assert verify_release_header(second, str(store.root)) == ENTRY


def test_threads_racing_on_one_token_let_one_through(store: Store) -> None:
    value, _ = make_token(store, ENTRY)
    results: list[str | None] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(verify_release_header(value, str(store.root)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [ENTRY] + [None] * 7


def flip(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def test_forgeries_fail(store: Store, tmp_path: Path) -> None:
    value, _ = make_token(store, ENTRY)
    entry_id, issued, nonce, mac = value.split()
    directory = str(store.root)
    other = Store(tmp_path / "other")
    foreign, _ = make_token(other, ENTRY)  # right shape, another store's key
    forged = [
        "",
        "yes",
        f"{entry_id} {issued} {nonce}",
        f"{entry_id} {issued} {nonce} {flip(mac)}",
        f"20250615-zzzzzzzz {issued} {nonce} {mac}",  # the mac of another id
        f"{entry_id} {int(issued) + 1} {nonce} {mac}",
        f"{entry_id} {issued} {flip(nonce)} {mac}",
        f"{entry_id} {issued} {nonce} {mac.upper()}",
        f"../../x {issued} {nonce} {mac}",
        f"{entry_id} {issued} {nonce} {mac} extra",
        foreign,
    ]
    for value_ in forged:
        assert verify_release_header(value_, directory) is None, value_
    # None of them spent the genuine token.
    assert verify_release_header(value, directory) == ENTRY


def test_stale_tokens_fail(store: Store) -> None:
    old, _ = make_token(store, ENTRY, now=time.time() - TOKEN_TTL - 10)
    assert verify_release_header(old, str(store.root)) is None
    future, _ = make_token(store, ENTRY, now=time.time() + 3600)
    assert verify_release_header(future, str(store.root)) is None


def test_no_key_no_release(tmp_path: Path) -> None:
    store = Store(tmp_path / "q")
    value = f"{ENTRY} {int(time.time())} {'0' * 16} {'0' * 64}"
    assert parse_token(store, value) is None
    assert verify_release_header(value, str(store.root)) is None
    assert not store.key_path.exists()  # verifying never creates a key


def test_spent_markers_are_durable_files(store: Store) -> None:
    value, nonce = make_token(store, ENTRY)
    assert verify_release_header(value, str(store.root)) == ENTRY
    marker = tokens.marker_path(store, ENTRY, nonce)
    assert marker.exists()
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert stat.S_IMODE(marker.parent.stat().st_mode) == 0o700
    assert tokens.was_spent(store, ENTRY, nonce)


def test_verification_is_cheap(store: Store) -> None:
    value, _ = make_token(store, ENTRY)
    forged = flip(value)
    verify_release_header(forged, str(store.root))
    started = time.perf_counter()
    for _ in range(2000):
        verify_release_header(forged, str(store.root))
    per_call = (time.perf_counter() - started) / 2000
    assert per_call < 0.0005, per_call
