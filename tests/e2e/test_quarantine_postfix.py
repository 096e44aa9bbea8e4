"""The quarantine store end to end: a private Postfix, the real milter subprocess, the sink,
and the review CLI as an admin runs it.

Uses the daemon's harness (extortion_milter.testing) and the deterministic rules of
tests/e2e/conftest.py: QUARME scores at the quarantine level.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extortion_milter.quarantine.store import Entry, Store
from extortion_milter.testing.postfix import PostfixInstance
from extortion_milter.testing.procs import short_tmpdir, wait_until
from extortion_milter.testing.smtp import send_message
from extortion_milter.testing.stack import PostfixStack

from ..unit.test_quarantine_cli import LAUNCH
from ..unit.test_quarantine_release import SmtpServer
from .conftest import make_message, write_config

RCPTS = ("alice@example.com", "bob@example.com")  # the header says To: user@example.com


@dataclass
class Setup:
    stack: PostfixStack
    store: Store
    config: Path
    decision_log: Path

    def cli(self, *args: str, overrides: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        options = ["-c", str(self.config),
                   "-o", f"quarantine.release.port={self.stack.postfix.smtp_port}"]
        for override in overrides:
            options += ["-o", override]
        argv = [sys.executable, "-c", LAUNCH, "quarantine", args[0], *options, *args[1:]]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})

    def ok(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def listed(self, *args: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.ok("list", "--json", *args).splitlines()]

    def entries(self) -> list[Entry]:
        return sorted(self.store.iter_entries(), key=lambda e: e.time)

    def entry_for(self, queue_id: str) -> Entry:
        [entry] = [e for e in self.entries() if e.queue_id == queue_id]
        return entry


def store_config(workdir: Path, backend: str = "store") -> tuple[Path, Path, Path]:
    """(config file, store directory, decision log) for a stack of the test's own."""
    store_dir = workdir / "quarantine"
    decision_log = workdir / "log" / "decisions.log"
    config = write_config(workdir / "conf", backend=backend, store_dir=store_dir,
                          decision_log=decision_log)
    return config, store_dir, decision_log


def start(workdir: Path, backend: str = "store") -> Setup:
    config, store_dir, decision_log = store_config(workdir, backend)
    stack = PostfixStack(workdir, config=config)
    stack.start()
    return Setup(stack, Store(store_dir), config, decision_log)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    running = start(tmp_path_factory.mktemp("qstack"))
    try:
        yield running
    finally:
        running.stack.stop()


@pytest.fixture()
def own(tmp_path: Path) -> Iterator[Setup]:
    running = start(tmp_path)
    try:
        yield running
    finally:
        running.stack.stop()


def bare(address: str) -> str:
    """`<a@b> ORCPT=rfc822;a@b` (smtp-sink's dump of the SMTP arguments) -> `a@b`."""
    words = address.split()
    return words[0].strip("<>") if words else ""


def sunk_with(setup: Setup, marker: str) -> list[tuple[str, tuple[str, ...], bytes]]:
    return [(bare(m.mail_from), tuple(bare(r) for r in m.rcpts), m.raw)
            for m in setup.stack.sink.messages() if marker.encode() in m.raw]


def milter_line(setup: Setup, queue_id: str) -> dict[str, object]:
    assert setup.stack.milter is not None
    return setup.stack.milter.message_event(queue_id)


def decision_record_of(setup: Setup, queue_id: str) -> dict[str, Any]:
    """The decision log's record of `queue_id`, once its writer thread has appended it."""
    def records() -> list[dict[str, Any]]:
        if not setup.decision_log.exists():
            return []
        return [r for r in map(json.loads, setup.decision_log.read_text().splitlines())
                if r["queue_id"] == queue_id]
    wait_until(lambda: records() != [], 20, f"the decision record of {queue_id}")
    [record] = records()
    return record


def quarantine_one(setup: Setup, word: str = "QUARME") -> tuple[str, str, Entry]:
    marker, _queue_id, entry, _raw = quarantine_sent(setup, word)
    return marker, _queue_id, entry


def quarantine_sent(setup: Setup, word: str = "QUARME") -> tuple[str, str, Entry, bytes]:
    marker, raw = make_message(word)
    result = setup.stack.postfix.send(raw, mail_from="sender@example.org", rcpts=RCPTS)
    assert result.accepted, result  # the client is told 250: the store has it
    queue_id = result.queue_id or ""
    line = milter_line(setup, queue_id)
    assert line["action"] == "quarantine" and line["quarantine"] == "store", line
    entry = setup.entry_for(queue_id)
    assert line["quarantine_ref"] == entry.id
    return marker, queue_id, entry, raw


def test_quarantined_message_is_stored_listed_shown_and_released_exactly_once(
        setup: Setup) -> None:
    marker, queue_id, entry, sent = quarantine_sent(setup)
    # Stored with its metadata, and not delivered.
    assert entry.mail_from == "sender@example.org"
    assert entry.rcpts == RCPTS
    assert entry.client_ip == "127.0.0.1"
    assert entry.message_id == f"<{marker}@example.org>"
    assert entry.subject == "Hello there"
    assert [r.rule_id for r in entry.rules] == ["TEST_QUARANTINE"]
    assert entry.score == 11.0 and entry.action == "quarantine"
    # The exact bytes the client sent (with the CRLF line ends of SMTP).
    assert setup.store.raw(entry.id) == sent.replace(b"\n", b"\r\n")
    setup.stack.postfix.wait_queue_empty()
    assert sunk_with(setup, marker) == []
    # The decision log explains it.
    record = decision_record_of(setup, queue_id)
    assert record["applied"] == "quarantine"
    assert record["quarantine"] == {"backend": "store", "outcome": "discard",
                                    "detail": entry.id}
    assert record["rules"][0]["id"] == "TEST_QUARANTINE"

    # list and show find it.
    [listed] = [r for r in setup.listed() if r["queue_id"] == queue_id]
    assert listed["id"] == entry.id and listed["status"] == "held"
    table = setup.ok("list", "--rule", "TEST_QUARANTINE")
    assert entry.id in table and "TEST_QUARANTINE" in table
    shown = setup.ok("show", queue_id)
    assert f"Quarantine id:  {entry.id}" in shown and marker in shown
    assert "Envelope to:    alice@example.com, bob@example.com" in shown

    # release: delivered to the original envelope, once, and not quarantined again.
    out = setup.ok("release", entry.id)
    assert "released to alice@example.com, bob@example.com" in out, out
    assert "250 2.0.0 Ok: queued as " in out
    got = setup.stack.sink.find(marker)
    assert bare(got.mail_from) == "sender@example.org"
    assert sorted(bare(r) for r in got.rcpts) == sorted(RCPTS)
    assert got.header_values("To") == ["User <user@example.com>"]
    assert got.header_values("X-Extortion-Release") == []  # the spent token is removed
    assert marker.encode() in got.raw
    assert [e.id for e in setup.entries() if marker in setup.store.raw(e.id).decode(
        errors="replace")] == [entry.id]  # no second quarantine entry
    release_queue_id = out.split("queued as ")[1].split()[0].rstrip(")")
    assert milter_line(setup, release_queue_id)["action"] == "release"
    assert setup.store.load(entry.id).status == "released"

    # Releasing again does not deliver again.
    again = setup.ok("release", entry.id)
    assert "already released to alice@example.com, bob@example.com, not sent again" in again
    setup.stack.postfix.wait_queue_empty()
    time.sleep(1.0)
    assert len(sunk_with(setup, marker)) == 1


def test_a_copied_release_header_does_not_get_spam_through(setup: Setup) -> None:
    marker, _queue_id, entry = quarantine_one(setup)
    setup.ok("release", entry.id, "--to", "admin@example.com")
    got = setup.stack.sink.find(marker)
    assert [bare(r) for r in got.rcpts] == ["admin@example.com"]
    # A spammer who copies a release header (even a genuine, already spent one) is scanned.
    token = f"{entry.id} {int(time.time())} {'0' * 16} {'a' * 64}"
    marker2, raw = make_message("QUARME", extra_headers=f"X-Extortion-Release: {token}\n")
    result = setup.stack.postfix.send(raw, rcpts=RCPTS)
    assert result.accepted
    assert milter_line(setup, result.queue_id or "")["action"] == "quarantine"
    assert setup.entry_for(result.queue_id or "")
    setup.stack.postfix.wait_queue_empty()
    assert sunk_with(setup, marker2) == []


def test_release_refused_with_452_stays_quarantined_with_the_answer(own: Setup) -> None:
    marker, _queue_id, entry = quarantine_one(own)
    # The real Postfix answers 452 for alice (a full mailbox, say) ...
    etc = str(own.stack.postfix.etc)
    subprocess.run(["postconf", "-c", etc, "-e", "smtpd_recipient_restrictions = "
                    "check_recipient_access inline:{ { alice@example.com = 452 4.2.2 Mailbox "
                    "full } }, permit_mynetworks, reject"], check=True)
    subprocess.run(["postfix", "-c", etc, "reload"], check=True, capture_output=True)
    time.sleep(1.5)
    out = own.cli("release", entry.id)
    assert out.returncode == 1
    assert ("NOT delivered to alice@example.com: 452 4.2.2 <alice@example.com>: Recipient "
            "address rejected: Mailbox full") in out.stdout, out
    assert "released to bob@example.com" in out.stdout
    assert own.store.load(entry.id).status == "partial"
    assert "Recipient address rejected: Mailbox full" in own.ok("show", entry.id, "--headers")
    # ... and a relay that answers 452 to the message itself.
    server = SmtpServer(data_reply="452 4.3.1 Insufficient system storage")
    try:
        out = own.cli("release", entry.id, overrides=(f"quarantine.release.port={server.port}",))
        assert out.returncode == 1
        assert "NOT delivered to alice@example.com: 452 4.3.1 Insufficient system storage" in (
            out.stdout)
        assert server.delivered == []
    finally:
        server.close()
    [listed] = [r for r in own.listed() if r["id"] == entry.id]
    assert listed["status"] == "partial"
    # Fixed: alice gets it, bob does not get a second copy.
    subprocess.run(["postconf", "-c", etc, "-e",
                    "smtpd_recipient_restrictions = permit_mynetworks, reject"], check=True)
    subprocess.run(["postfix", "-c", etc, "reload"], check=True, capture_output=True)
    time.sleep(1.5)
    assert "released to alice@example.com" in own.ok("release", entry.id)
    own.stack.postfix.wait_queue_empty()
    wait_until(lambda: len(sunk_with(own, marker)) == 2, 30, "two deliveries")
    time.sleep(1.0)
    deliveries = sorted(rcpts for _f, rcpts, _raw in sunk_with(own, marker))
    assert deliveries == [("alice@example.com",), ("bob@example.com",)]


def test_purge_and_reindex_through_the_cli(own: Setup) -> None:
    _m1, _q1, first = quarantine_one(own)
    time.sleep(6.0)
    _m2, _q2, second = quarantine_one(own)
    before = own.ok("list", "--json")
    os.unlink(own.store.index_path)
    assert "indexed 2 message(s)" in own.ok("reindex")
    assert own.ok("list", "--json") == before
    # An age halfway between the two (the CLI takes a moment to start: < 3 s of slack).
    age = time.time() - (first.time + second.time) / 2
    assert "purged 1 message(s)" in own.ok("purge", "--older-than", f"{age:.1f}s")
    assert [e.id for e in own.entries()] == [second.id]
    assert [r["id"] for r in own.listed()] == [second.id]
    assert first.id not in own.ok("stats")


class _Relay:
    """What PostfixInstance needs of its next hop: a port."""

    def __init__(self, port: int) -> None:
        self.port = port


class SenderMTA(PostfixInstance):
    """A second Postfix in front of ours, as a sending site's MTA. Its own host name: Postfix
    refuses to relay to a server that greets it with its own."""

    def write_config(self) -> None:
        super().write_config()
        main = self.etc / "main.cf"
        main.write_text(main.read_text().replace("myhostname = mx.harness.test",
                                                 "myhostname = sender.harness.test"))


def test_unwritable_store_gives_451_and_the_sender_keeps_the_message(tmp_path: Path) -> None:
    mount = short_tmpdir("em-qro-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                   check=True)
    config, _store_dir, decision_log = store_config(tmp_path)
    config.write_text(config.read_text().replace(
        f"directory: {tmp_path / 'quarantine'}", f"directory: {mount / 'q'}"))
    stack = PostfixStack(tmp_path, config=config)
    sender_mta: SenderMTA | None = None
    try:
        stack.start()
        setup = Setup(stack, Store(mount / "q"), config, decision_log)
        quarantine_one(setup)  # works while writable
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

        # A client talking to us directly gets 451 at the end of DATA.
        marker, raw = make_message("QUARME")
        result = stack.postfix.send(raw, rcpts=RCPTS)
        assert (result.code, result.stage) == (451, "data"), result
        assert "4.3.0" in result.text
        assert setup.stack.milter is not None
        events = [e for e in setup.stack.milter.message_events() if e.get("action") == "tempfail"]
        assert events and "Read-only file system" in str(events[-1].get("quarantine_ref"))

        # A sending MTA keeps the message queued and retries.
        sender_mta = SenderMTA(short_tmpdir("em-qsnd-") / "postfix",
                                     _Relay(stack.postfix.smtp_port))  # type: ignore[arg-type]
        sender_mta.start()
        marker2, raw2 = make_message("QUARME")
        assert send_message("127.0.0.1", sender_mta.smtp_port, raw2, "sender@example.org",
                            RCPTS).accepted
        wait_until(lambda: any("451 4.3.0" in e.reason for e in sender_mta.queue()
                               if e.queue_name == "deferred"), 60,
                   "the sending MTA to defer the message with our 451")

        # Full instead of read-only: same answer, and no partial files left.
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        big_marker, big = make_message("QUARME", body="QUARME\n" + "x" * 120_000 + "\n")
        result = stack.postfix.send(big, rcpts=RCPTS)
        assert (result.code, result.stage) == (451, "data"), result
        assert not [p for p in (mount / "q").rglob("*") if p.name.endswith(".tmp")]
        assert not any(big_marker in setup.store.raw(e.id).decode(errors="replace")
                       for e in setup.entries())

        # Writable again: the sender's retry is quarantined. Nothing was lost.
        sender_mta.flush()
        wait_until(lambda: any(marker2 in setup.store.raw(e.id).decode(errors="replace")
                               for e in setup.entries()), 60,
                   "the retried message in the store")
        sender_mta.wait_queue_empty(timeout=30)
        assert marker not in "".join(setup.store.raw(e.id).decode(errors="replace")
                                     for e in setup.entries())  # the client's own copy
    finally:
        if sender_mta is not None:
            sender_mta.stop()
            shutil.rmtree(sender_mta.root.parent, ignore_errors=True)
        stack.stop()
        subprocess.run(["umount", "-l", str(mount)], check=False)
        os.rmdir(mount)


def test_hold_backend_list_joins_the_queue_with_the_decision_log(tmp_path: Path) -> None:
    setup = start(tmp_path, backend="hold")
    try:
        _marker, raw = make_message("QUARME", subject="Held for review")
        result = setup.stack.postfix.send(raw, rcpts=RCPTS)
        assert result.accepted
        queue_id = result.queue_id or ""
        assert milter_line(setup, queue_id)["action"] == "quarantine"
        wait_until(lambda: any(e.queue_id == queue_id for e in setup.stack.postfix.held()), 20,
                   "the message in the hold queue")
        decision_record_of(setup, queue_id)
        etc = f"quarantine.postfix_config_dir={setup.stack.postfix.etc}"
        out = setup.cli("list", "--json", overrides=(etc,))
        assert out.returncode == 0, out.stderr
        [held] = [json.loads(line) for line in out.stdout.splitlines()]
        assert held["backend"] == "hold" and held["queue_id"] == queue_id
        assert held["mail_from"] == "sender@example.org"
        assert sorted(held["rcpts"]) == sorted(RCPTS)
        decision = held["decision"]
        assert decision["score"] == 11.0 and decision["subject"] == "Held for review"
        assert decision["rules"][0]["id"] == "TEST_QUARANTINE"
        table = setup.cli("list", overrides=(etc,))
        assert queue_id in table.stdout and "Held for review" in table.stdout
        assert "TEST_QUARANTINE" in table.stdout and "hold" in table.stdout
        assert not setup.store.root.exists()  # the hold backend writes nothing of its own
    finally:
        setup.stack.stop()
