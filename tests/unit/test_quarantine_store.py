"""The quarantine store: durable atomic writes, permissions, metadata, the backend answers."""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extortion_milter.actions.quarantine import (
    QuarantineOutcome,
    QuarantineRequest,
    make_backend,
)
from extortion_milter.config.loader import load_config
from extortion_milter.engine.types import Action, CryptoAddress, Envelope, RuleHit, Verdict
from extortion_milter.quarantine.backend import StoreBackend
from extortion_milter.quarantine.store import (
    ID_RE,
    Entry,
    EntryNotFound,
    Store,
    StoreUnreadable,
)

RAW = (
    b"Received: from mail.example.net (mail.example.net [203.0.113.5])\r\n"
    b"From: =?utf-8?q?H=C3=A4cker?= <hacker@example.net>\r\n"
    b"To: victim@example.org\r\n"
    b"Subject: =?utf-8?b?WW91ciBhY2NvdW50IGlzIGhhY2tlZA==?=\r\n"
    b"Message-ID: <abc.123@example.net>\r\n"
    b"\r\n"
    b"I recorded you. Send 0.1 BTC to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT.\r\n"
    b"\xff\xfe raw 8-bit bytes stay exactly as received \x1b[31m\r\n"
)

VERDICT = Verdict(
    score=17.5,
    action=Action.QUARANTINE,
    hits=(RuleHit("EXT_RECORDED", 8.0, "I recorded you"),
          RuleHit("EXT_BTC_DEMAND", 9.5, "Send 0.1 BTC")),
    addresses=(CryptoAddress("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", True),),
    notes=("note one",),
    ruleset_version="test-1",
    thresholds={"tag": 5.0, "quarantine": 10.0, "reject": 20.0},
)

ENVELOPE = Envelope(client_ip="203.0.113.5", helo="mail.example.net",
                    mail_from="<bounce@example.net>",
                    rcpts=("<victim@example.org>", "<Other@Example.org>"), queue_id="4ABCDEF")


def request(raw: bytes = RAW, complete: bool = True) -> QuarantineRequest:
    return QuarantineRequest(raw=raw, complete=complete, verdict=VERDICT, envelope=ENVELOPE,
                             reason="extortion-milter score=17.5 rules=EXT_RECORDED")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_writes_exact_bytes_and_metadata_with_private_modes(tmp_path: Path) -> None:
    store = Store(tmp_path / "q")
    entry = store.add(RAW, VERDICT, ENVELOPE, "why", now=1_750_000_000.0)
    assert ID_RE.match(entry.id)
    raw_path, meta_path = store.paths(entry.id)
    assert raw_path.read_bytes() == RAW
    assert raw_path.parent.name == "20250615"
    for path in (store.root, store.messages, raw_path.parent):
        assert mode(path) == 0o700, path
    for path in (raw_path, meta_path):
        assert mode(path) == 0o600, path
    meta = json.loads(meta_path.read_text())
    assert meta["id"] == entry.id
    assert meta["queue_id"] == "4ABCDEF"
    assert meta["client_ip"] == "203.0.113.5"
    assert meta["helo"] == "mail.example.net"
    assert meta["mail_from"] == "bounce@example.net"
    assert meta["rcpts"] == ["victim@example.org", "Other@Example.org"]
    assert meta["subject"] == "Your account is hacked"
    assert meta["header_from"] == "Häcker <hacker@example.net>"
    assert meta["message_id"] == "<abc.123@example.net>"
    assert meta["score"] == 17.5
    assert meta["action"] == "quarantine"
    assert meta["rules"] == [
        {"id": "EXT_RECORDED", "score": 8.0, "evidence": "I recorded you"},
        {"id": "EXT_BTC_DEMAND", "score": 9.5, "evidence": "Send 0.1 BTC"},
    ]
    assert meta["crypto_addresses"][0]["address"] == "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    assert meta["ruleset_version"] == "test-1"
    assert meta["size"] == len(RAW)
    assert meta["status"] == "held"
    assert meta["time"] == 1_750_000_000.0
    # Nothing else is left in the day directory: no temporary files.
    assert sorted(p.name for p in raw_path.parent.iterdir()) == sorted(
        [raw_path.name, meta_path.name])
    assert store.load(entry.id) == entry
    assert Entry.from_json(entry.to_json()) == entry


def test_umask_cannot_widen_modes(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = Store(tmp_path / "q")
        entry = store.add(RAW, VERDICT, ENVELOPE, "why")
    finally:
        os.umask(old)
    raw_path, meta_path = store.paths(entry.id)
    assert mode(raw_path) == 0o600 and mode(meta_path) == 0o600
    assert mode(raw_path.parent) == 0o700 and mode(store.root) == 0o700


def test_ids_are_unique_and_path_safe(tmp_path: Path) -> None:
    store = Store(tmp_path / "q")
    ids = {store.add(RAW, VERDICT, ENVELOPE, "r", now=1_750_000_000.0).id for _ in range(50)}
    assert len(ids) == 50
    for bad in ("../../etc/passwd", "20250615-AAAAAAAA", "20250615-abcdefg", "x"):
        with pytest.raises(EntryNotFound):
            store.paths(bad)


def test_delete_removes_both_files_and_the_empty_day(tmp_path: Path) -> None:
    store = Store(tmp_path / "q")
    entry = store.add(RAW, VERDICT, ENVELOPE, "why")
    raw_path, _meta = store.paths(entry.id)
    store.delete(entry.id)
    assert not raw_path.exists()
    assert not raw_path.parent.exists()
    with pytest.raises(EntryNotFound):
        store.load(entry.id)
    with pytest.raises(EntryNotFound):
        store.delete(entry.id)


def test_sweep_removes_only_old_debris(tmp_path: Path) -> None:
    store = Store(tmp_path / "q")
    entry = store.add(RAW, VERDICT, ENVELOPE, "why")
    day = store.paths(entry.id)[0].parent
    orphan = day / f"{entry.id[:9]}zzzzzzzz.eml"  # a .eml whose .json was never written
    orphan.write_bytes(b"x")
    temp = day / f".{entry.id}.json.0000.tmp"
    temp.write_bytes(b"{")
    fresh = day / ".fresh.tmp"
    fresh.write_bytes(b"")
    old = time.time() - 2 * 3600
    os.utime(orphan, (old, old))
    os.utime(temp, (old, old))
    removed = store.sweep_debris()
    assert sorted(removed) == sorted([orphan, temp])
    assert fresh.exists()
    assert store.load(entry.id) == entry


def test_backend_answers_discard_only_after_the_files_exist(tmp_path: Path) -> None:
    backend = StoreBackend(str(tmp_path / "q"))
    result = backend.quarantine(request())
    assert result.outcome is QuarantineOutcome.DISCARD
    entry_id = result.detail
    assert ID_RE.match(entry_id)
    assert backend.store.raw(entry_id) == RAW
    assert backend.store.load(entry_id).queue_id == "4ABCDEF"


def test_backend_holds_a_message_it_did_not_see_whole(tmp_path: Path) -> None:
    backend = StoreBackend(str(tmp_path / "q"))
    result = backend.quarantine(request(complete=False))
    assert result.outcome is QuarantineOutcome.HOLD
    assert not (tmp_path / "q").exists()


def test_backend_is_reached_through_the_config(tmp_path: Path) -> None:
    config = load_config(None, ["quarantine.backend=store",
                                f"quarantine.directory={tmp_path / 'q'}"])
    backend = make_backend(config)
    assert backend.name == "store"
    assert backend.quarantine(request()).outcome is QuarantineOutcome.DISCARD


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_answers_tempfail_and_leaves_no_partial_entry(tiny_tmpfs: Path) -> None:
    backend = StoreBackend(str(tiny_tmpfs / "q"))
    big = RAW + b"x" * (200 * 1024)
    result = backend.quarantine(request(big))
    assert result.outcome is QuarantineOutcome.TEMPFAIL
    assert "No space left" in result.detail
    store = backend.store
    assert list(store.iter_entries()) == []
    leftovers = [p for p in store.messages.rglob("*") if p.is_file()]
    assert leftovers == []
    # A message that fits is still stored afterwards.
    assert backend.quarantine(request()).outcome is QuarantineOutcome.DISCARD


def test_read_only_filesystem_answers_tempfail(tiny_tmpfs: Path) -> None:
    backend = StoreBackend(str(tiny_tmpfs / "q"))
    assert backend.quarantine(request()).outcome is QuarantineOutcome.DISCARD
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    result = backend.quarantine(request())
    assert result.outcome is QuarantineOutcome.TEMPFAIL
    assert "Read-only file system" in result.detail
    assert len(list(backend.store.iter_entries())) == 1


def test_unreadable_store_is_reported_with_what_to_do(tmp_path: Path) -> None:
    store = Store(tmp_path / "missing")
    with pytest.raises(StoreUnreadable, match="no quarantine store"):
        store.check_readable()
    file_store = Store(tmp_path / "file")
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreUnreadable, match="not a directory"):
        file_store.check_readable()


def test_root_writing_into_a_users_store_gives_the_files_to_that_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("needs root")
    nobody = pwd.getpwnam("nobody")
    root = tmp_path / "q"
    root.mkdir(mode=0o700)
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    store = Store(root)
    entry = store.add(RAW, VERDICT, ENVELOPE, "why")
    raw_path, meta_path = store.paths(entry.id)
    for path in (raw_path, meta_path, raw_path.parent, store.messages):
        assert path.stat().st_uid == nobody.pw_uid, path
    with store.locked():
        pass
    assert store.lock_path.stat().st_uid == nobody.pw_uid
    assert mode(store.lock_path) == 0o600
    assert mode(root) == 0o700  # never widened
