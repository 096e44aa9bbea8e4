"""The SQLite listing index: filters, incremental sync with the files, rebuild equality."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from extortion_milter.engine.types import Action, Envelope, RuleHit, Verdict
from extortion_milter.quarantine.index import Filters, Index, open_index
from extortion_milter.quarantine.store import Entry, Store

DAY = 86400.0
NOW = 1_750_000_000.0


def verdict(score: float, *rules: str) -> Verdict:
    hits = tuple(RuleHit(r, score / max(1, len(rules)), f"evidence of {r}") for r in rules)
    return Verdict(score=score, action=Action.QUARANTINE, hits=hits, ruleset_version="v1")


def raw(subject: str, sender: str = "spam@example.net") -> bytes:
    return (f"From: {sender}\r\nTo: someone@example.org\r\nSubject: {subject}\r\n\r\n"
            "body\r\n").encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "q")
    samples = [
        (NOW - 40 * DAY, 12.0, ("EXT_OLD",), "old@spam.test", ("a@example.org",), "old one"),
        (NOW - 3 * DAY, 11.0, ("EXT_BTC", "EXT_RECORDED"), "x@spam.test",
         ("a@example.org", "b@other.test"), "pay up"),
        (NOW - 1 * DAY, 16.0, ("EXT_RECORDED",), "y@bulk.test", ("c@example.org",), "video"),
        (NOW - 3600, 10.5, ("PHISH_LINK",), "", ("b@other.test",), "bounce"),
    ]
    for stamp, score, rules, sender, rcpts, subject in samples:
        envelope = Envelope(mail_from=sender, rcpts=rcpts, queue_id=f"Q{int(stamp)}",
                            client_ip="192.0.2.1", helo="h")
        store.add(raw(subject, sender or "mailer-daemon@bulk.test"), verdict(score, *rules),
                  envelope, "r", now=stamp)
    return store


def subjects(entries: list[Entry]) -> list[str]:
    return [e.subject for e in entries]


def test_lists_everything_oldest_first(store: Store) -> None:
    with open_index(store) as index:
        assert subjects(index.query()) == ["old one", "pay up", "video", "bounce"]


@pytest.mark.parametrize(("filters", "expected"), [
    (Filters(since=NOW - 2 * DAY), ["video", "bounce"]),
    (Filters(until=NOW - 2 * DAY), ["old one", "pay up"]),
    (Filters(since=NOW - 5 * DAY, until=NOW - 2 * 3600), ["pay up", "video"]),
    (Filters(rule="ext_recorded"), ["pay up", "video"]),
    (Filters(rule="EXT_*"), ["old one", "pay up", "video"]),
    (Filters(rule="NOPE"), []),
    (Filters(rcpt="a@example.org"), ["old one", "pay up"]),
    (Filters(rcpt="A@Example.ORG"), ["old one", "pay up"]),
    (Filters(rcpt="@other.test"), ["pay up", "bounce"]),
    (Filters(rcpt="example.org"), ["old one", "pay up", "video"]),
    (Filters(sender="x@spam.test"), ["pay up"]),
    (Filters(sender="@spam.test"), ["old one", "pay up"]),
    (Filters(sender="@bulk.test"), ["video", "bounce"]),  # envelope or From header
    (Filters(min_score=12.0), ["old one", "video"]),
    (Filters(limit=2), ["video", "bounce"]),
    (Filters(rule="EXT_RECORDED", rcpt="@example.org", min_score=12), ["video"]),
    (Filters(status="released"), []),
])
def test_filters(store: Store, filters: Filters, expected: list[str]) -> None:
    with open_index(store) as index:
        assert subjects(index.query(filters)) == expected


def test_sender_filter_escapes_like_wildcards(store: Store) -> None:
    with open_index(store) as index:
        assert index.query(Filters(sender="@spam_test")) == []
        assert index.query(Filters(sender="@%")) == []


def test_index_file_is_private(store: Store) -> None:
    with open_index(store):
        pass
    assert stat.S_IMODE(store.index_path.stat().st_mode) == 0o600


def test_sync_sees_new_changed_and_deleted_files(store: Store) -> None:
    with open_index(store) as index:
        assert len(index.query()) == 4
    # The milter adds a message (it never touches the index)...
    added = store.add(raw("new"), verdict(13, "EXT_NEW"), Envelope(rcpts=("z@example.org",)),
                      "r", now=NOW)
    # ...another CLI deletes one and records a release on another.
    with open_index(store) as index:
        first, second = index.query()[:2]
    store.delete(first.id)
    store.save(replace(second, subject="changed behind the index's back"))
    with open_index(store) as index:
        listed = index.query()
        assert [e.id for e in listed][-1] == added.id
        assert first.id not in [e.id for e in listed]
        assert "changed behind the index's back" in subjects(listed)
        assert subjects(index.query(Filters(rule="EXT_NEW"))) == ["new"]


def test_rebuild_after_deleting_the_index_gives_the_same_list(store: Store) -> None:
    with open_index(store) as index:
        before = [e.to_json() for e in index.query()]
        stats_before = index.stats()
    os.unlink(store.index_path)
    with Index(store) as index:
        assert index.rebuild() == 4
        after = [e.to_json() for e in index.query()]
        assert index.stats() == stats_before
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


def test_corrupt_index_file_is_rebuilt_by_reindex(store: Store) -> None:
    store.index_path.write_bytes(b"this is not sqlite")
    os.chmod(store.index_path, 0o600)
    with Index(store) as index:
        # A corrupt file falls back to an in-memory index built from the files.
        index.sync()
        assert len(index.query()) == 4
        assert index.in_memory


def test_unreadable_metadata_is_reported_not_fatal(store: Store) -> None:
    with open_index(store) as index:
        victim = index.query()[0]
    _raw, meta = store.paths(victim.id)
    meta.write_text("{ not json")
    with Index(store) as index:
        assert index.rebuild() == 3
        assert len(index.problems) == 1 and victim.id in index.problems[0]


def test_resolve_by_queue_id(store: Store) -> None:
    with open_index(store) as index:
        entry = index.query()[1]
        assert index.resolve(entry.queue_id) == [entry.id]
        assert index.resolve(entry.id) == [entry.id]
        assert index.resolve("NOSUCH") == []


def test_stats_per_day_rule_domain_and_status(store: Store) -> None:
    with open_index(store) as index:
        stats = index.stats()
        recent = index.stats(since=NOW - 2 * DAY)
    assert stats["entries"] == 4
    assert stats["per_status"] == {"held": 4}
    assert stats["per_rule"]["EXT_RECORDED"] == 2
    assert stats["per_recipient_domain"] == {"example.org": 3, "other.test": 2}
    assert sum(stats["per_day"].values()) == 4
    assert recent["entries"] == 2
    assert recent["per_rule"] == {"EXT_RECORDED": 1, "PHISH_LINK": 1}


def test_purge_candidates_by_age(store: Store) -> None:
    with open_index(store) as index:
        old = index.older_than(NOW - 30 * DAY)
        assert [index.query(Filters(until=NOW - 30 * DAY))[0].id] == old


def test_a_message_added_right_after_a_sync_is_seen(tmp_path: Path) -> None:
    # Directory mtimes tick coarsely: an add in the same tick as a sync must not be missed.
    store = Store(tmp_path / "q")
    store.add(raw("first"), verdict(12, "R"), Envelope(rcpts=("a@example.org",)), "r")
    for n in range(20):
        with open_index(store) as index:
            assert len(index.query()) == n + 1
        store.add(raw(f"m{n}"), verdict(12, "R"), Envelope(rcpts=("a@example.org",)), "r")
    with open_index(store) as index:
        assert len(index.query()) == 21


def test_read_only_store_gets_an_in_memory_index(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("mounting a tmpfs needs root")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        store = Store(mount / "q")
        for n in range(3):
            store.add(raw(f"m{n}"), verdict(12, "R"), Envelope(rcpts=("a@example.org",)), "r")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with open_index(store) as index:
            assert index.in_memory
            assert subjects(index.query()) == ["m0", "m1", "m2"]
        assert not store.index_path.exists()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
