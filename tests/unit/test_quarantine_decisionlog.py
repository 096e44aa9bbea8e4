"""The decision log: one JSON line per verdict, reopened when rotated, never fatal."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from extortion_milter.actions.quarantine import QuarantineOutcome, QuarantineResult
from extortion_milter.config.loader import load_config
from extortion_milter.engine.types import Action, CryptoAddress, Envelope, RuleHit, Verdict
from extortion_milter.quarantine.decisionlog import (
    DecisionLog,
    decision_record,
    open_decision_log,
    read_decisions,
)
from extortion_milter.testing.procs import wait_until

ENVELOPE = Envelope(client_ip="192.0.2.7", helo="evil\r\nforged: line", mail_from="<a@x.test>",
                    rcpts=("<b@y.test>",), queue_id="QID7")
FLAGGED = Verdict(score=12.25, action=Action.QUARANTINE,
                  hits=(RuleHit("EXT_A", 12.25, "pay \x1b[31m now\u2028"),),
                  addresses=(CryptoAddress("btc", "1Boat", True),), ruleset_version="v9")
CLEAN = Verdict(score=0.0, action=Action.ACCEPT, hits=())


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_are_single_ascii_lines_with_the_why(tmp_path: Path) -> None:
    path = tmp_path / "log" / "decisions.log"
    log = DecisionLog(path)
    result = QuarantineResult(QuarantineOutcome.DISCARD, "20250615-abcdefgh")
    assert log.write(decision_record(envelope=ENVELOPE, verdict=FLAGGED, applied="quarantine",
                                     mode="enforce", subject="Pay\nnow", quarantine=result,
                                     backend="store", message_id="<m@x>", now=1.0))
    assert log.write(decision_record(envelope=ENVELOPE, verdict=CLEAN, applied="accept",
                                     subject="private subject", now=2.0))
    assert log.write(decision_record(envelope=ENVELOPE, verdict=None, applied="skip",
                                     skipped="release", release_id="20250615-abcdefgh"))
    raw = path.read_bytes()
    assert raw.isascii() and raw.count(b"\n") == 3
    first, second, third = lines(path)
    assert first["queue_id"] == "QID7"
    assert first["applied"] == "quarantine" and first["action"] == "quarantine"
    assert first["score"] == 12.25
    assert first["rules"] == [{"id": "EXT_A", "score": 12.25,
                               "evidence": "pay \x1b[31m now\u2028"}]
    assert first["quarantine"] == {"backend": "store", "outcome": "discard",
                                   "detail": "20250615-abcdefgh"}
    assert first["subject"] == "Pay\nnow"
    assert first["helo"] == "evil\r\nforged: line"
    assert first["crypto_addresses"] == [
        {"currency": "btc", "address": "1Boat", "valid": True, "in_url": False}]
    assert first["ruleset_version"] == "v9"
    assert "subject" not in second  # accepted mail's subjects are not copied into the log
    assert third["skipped"] == "release" and "score" not in third
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotation_by_rename_and_by_delete_reopens(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    log = DecisionLog(path)
    log.write({"n": 1})
    os.rename(path, tmp_path / "decisions.log.1")  # logrotate's default
    log.write({"n": 2})
    assert lines(tmp_path / "decisions.log.1") == [{"n": 1}]
    assert lines(path) == [{"n": 2}]
    os.unlink(path)
    log.write({"n": 3})
    assert lines(path) == [{"n": 3}]
    with open(path, "r+") as handle:  # copytruncate
        handle.truncate(0)
    log.write({"n": 4})
    assert lines(path) == [{"n": 4}]
    assert [r["n"] for r in read_decisions(path)] == [1, 4]  # .1 first, then the live file


def test_a_failing_log_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    log = DecisionLog(blocker / "decisions.log")  # parent is a file: cannot be created
    assert log.write({"n": 1}) is False
    assert log.write({"n": 2}) is False
    assert log.errors == 2


def test_threads_do_not_interleave(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    log = DecisionLog(path)
    filler = "x" * 5000

    def worker(n: int) -> None:
        for i in range(200):
            log.write({"thread": n, "i": i, "filler": filler})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = lines(path)
    assert len(records) == 1200
    assert all(r["filler"] == filler for r in records)


def test_records_handed_over_are_written_by_the_writer_thread(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    log = DecisionLog(path)
    for n in range(3):
        log.write_later(lambda n=n: {"n": n})  # type: ignore[misc]
    # No flush: the writer thread appends them, in order (the wait is only a hang guard).
    wait_until(lambda: path.exists() and len(lines(path)) == 3, 10, "the batch")
    assert [r["n"] for r in lines(path)] == [0, 1, 2]
    log.write_later(lambda: {"n": 3})
    wait_until(lambda: len(lines(path)) == 4, 10, "a later record")


def test_flush_writes_what_is_pending_and_a_bad_record_spoils_no_other(
    tmp_path: Path,
) -> None:
    path = tmp_path / "decisions.log"
    log = DecisionLog(path)

    def broken() -> dict[str, object]:
        raise ValueError("no record")

    log.write_later(lambda: decision_record(envelope=ENVELOPE, verdict=FLAGGED,
                                            applied="quarantine", now=1_700_000_000.0))
    log.write_later(broken)
    log.write_later(lambda: {"n": 2})
    log.close()  # flushes
    records = lines(path)
    assert [r.get("queue_id", r.get("n")) for r in records] == ["QID7", 2]
    assert records[0]["time"] == 1_700_000_000.0  # when it was decided, not written
    assert log.errors == 0


def test_a_full_queue_is_written_by_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from extortion_milter.quarantine import decisionlog

    monkeypatch.setattr(decisionlog, "FLUSH_DELAY", 60.0)  # a stalled writer
    monkeypatch.setattr(decisionlog, "MAX_PENDING", 3)
    path = tmp_path / "decisions.log"
    log = DecisionLog(path)
    log.write_later(lambda: {"n": 0})
    log.write_later(lambda: {"n": 1})
    assert not path.exists()
    log.write_later(lambda: {"n": 2})  # the third: written now, by this thread
    assert [r["n"] for r in lines(path)] == [0, 1, 2]


def test_read_decisions_skips_garbage_and_filters_by_time(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    path.write_text('{"time": 1}\nnot json\n[1]\n{"time": 5}\n')
    assert [r["time"] for r in read_decisions(path)] == [1, 5]
    assert [r["time"] for r in read_decisions(path, since=2)] == [5]


def test_configured_path_and_off_switch(tmp_path: Path) -> None:
    config = load_config(None, [f"decision_log.path={tmp_path / 'd.log'}"])
    log = open_decision_log(config)
    assert log is not None and log.path == tmp_path / "d.log"
    assert open_decision_log(load_config(None, ["decision_log.path="])) is None
    assert not (tmp_path / "d.log").exists()  # opened at the first write, not before
