"""The same fates through a real Sendmail (run from its unpacked .debs) wired to the milter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from extortion_milter.quarantine.store import Store
from extortion_milter.testing.procs import wait_until
from extortion_milter.testing.stack import SendmailStack

from ..unit.test_quarantine_cli import LAUNCH
from .conftest import make_message, write_config


@pytest.fixture(scope="module")
def sendmail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SendmailStack]:
    workdir = tmp_path_factory.mktemp("sendmail")
    # The hold backend: the quarantine test checks Sendmail's own quarantine (mailq -qQ).
    with SendmailStack(workdir, config=write_config(workdir / "conf", backend="hold")) as running:
        yield running


def test_ham_and_tag_arrive_with_our_headers(sendmail: SendmailStack) -> None:
    ham_marker, ham = make_message(extra_headers="X-Extortion-Status: No, forged\n")
    tag_marker, tagged = make_message("TAGME")
    assert sendmail.sendmail.send(ham).accepted
    assert sendmail.sendmail.send(tagged).accepted
    got_ham = sendmail.sink.find(ham_marker)
    assert got_ham.header_values("X-Extortion-Score") == ["0.0"]
    [status] = got_ham.header_values("X-Extortion-Status")
    assert status.startswith("No, score=0.0")
    assert got_ham.body == ham.split(b"\n\n", 1)[1]
    got_tag = sendmail.sink.find(tag_marker)
    assert got_tag.header_values("Subject") == ["[SUSPECTED EXTORTION] Hello there"]
    assert got_tag.header_values("X-Extortion-Status")[0].startswith("Yes, score=6.0")


def test_reject_gets_550_and_never_arrives(sendmail: SendmailStack) -> None:
    marker, raw = make_message("REJECTME")
    result = sendmail.sendmail.send(raw)
    assert (result.code, result.stage) == (550, "data"), result
    line = next(e for e in sendmail.milter.message_events()
                if e["msgid"] == f"<{marker}@example.org>")
    assert line["action"] == "reject"
    assert f"(ref {line['queue_id']})" in result.text
    assert not [m for m in sendmail.sink.messages() if marker.encode() in m.raw]


def test_quarantine_is_held_with_its_reason(sendmail: SendmailStack) -> None:
    marker, raw = make_message("QUARME")
    result = sendmail.sendmail.send(raw)
    assert result.accepted, result
    line = next(e for e in sendmail.milter.message_events()
                if e["msgid"] == f"<{marker}@example.org>")
    queue_id = str(line["queue_id"])
    assert line["action"] == "quarantine"

    def listed() -> bool:
        return queue_id in sendmail.sendmail.quarantine_listing()

    wait_until(listed, 20, "the message among Sendmail's quarantined mail")
    listing = sendmail.sendmail.quarantine_listing()
    assert "QUARANTINE: extortion-milter score=11.0 rules=TEST_QUARANTINE" in listing
    assert not [m for m in sendmail.sink.messages() if marker.encode() in m.raw]


def test_store_backend_behind_sendmail_stores_and_releases_once(tmp_path: Path) -> None:
    """The default backend: Sendmail drops its copy once the store has it, and a release
    into Sendmail goes through the milter exactly once."""
    config = write_config(tmp_path / "conf")
    store = Store(tmp_path / "quarantine")
    with SendmailStack(tmp_path, config=config) as running:
        marker, raw = make_message("QUARME")
        assert running.sendmail.send(raw).accepted
        line = next(e for e in running.milter.message_events()
                    if e["msgid"] == f"<{marker}@example.org>")
        assert (line["action"], line["quarantine"]) == ("quarantine", "store")
        [entry] = list(store.iter_entries())
        assert entry.id == line["quarantine_ref"] and entry.rcpts == ("user@example.com",)
        assert str(line["queue_id"]) not in running.sendmail.quarantine_listing()
        assert not [m for m in running.sink.messages() if marker.encode() in m.raw]
        argv = [sys.executable, "-c", LAUNCH, "quarantine", "release", "-c", str(config),
                "-o", f"quarantine.release.port={running.sendmail.smtp_port}", entry.id]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0 and "released to user@example.com" in out.stdout, out
        got = running.sink.find(marker)
        assert got.header_values("X-Extortion-Release") == []
        assert any(e.get("action") == "release" and e.get("release_id") == entry.id
                   for e in running.milter.message_events())
        assert store.load(entry.id).status == "released"
