"""Mail through a real Postfix wired to `extortion-milter run` on a unix socket."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import smtplib
import stat
import time
from pathlib import Path

import pytest

from extortion_milter.quarantine.store import Store
from extortion_milter.testing.milterproc import MilterProcess
from extortion_milter.testing.procs import HarnessError, short_tmpdir, wait_until
from extortion_milter.testing.stack import PostfixStack

from .conftest import make_message, write_config


def milter_of(stack: PostfixStack):  # type: ignore[no-untyped-def]
    assert stack.milter is not None
    return stack.milter


def test_socket_has_configured_group_and_mode(stack: PostfixStack) -> None:
    info = os.stat(milter_of(stack).socket_path)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o660
    import grp

    assert grp.getgrgid(info.st_gid).gr_name == "postfix"


def test_ham_arrives_with_our_headers_and_unchanged_body(stack: PostfixStack) -> None:
    marker, raw = make_message(
        extra_headers="X-Extortion-Status: No, forged by the sender\nX-EXTORTION-Score: -100\n"
    )
    result = stack.postfix.send(raw)
    assert result.accepted, result
    got = stack.sink.find(marker)
    assert got.body == raw.split(b"\n\n", 1)[1]
    assert got.header_values("X-Extortion-Score") == ["0.0"]
    [status] = got.header_values("X-Extortion-Status")
    assert status.startswith("No, score=0.0 required=5.0")
    assert got.header_values("Subject") == ["Hello there"]
    assert b"forged by the sender" not in got.raw and b"-100" not in got.raw
    line = milter_of(stack).message_event(result.queue_id or "")
    assert line["action"] == "accept"
    assert line["msgid"] == f"<{marker}@example.org>"
    assert line["rcpts"] == ["user@example.com"]
    assert line["from"] == "<sender@example.org>"


def test_tag_level_arrives_tagged(stack: PostfixStack) -> None:
    marker, raw = make_message("TAGME")
    result = stack.postfix.send(raw)
    assert result.accepted, result
    got = stack.sink.find(marker)
    assert got.header_values("Subject") == ["[SUSPECTED EXTORTION] Hello there"]
    assert got.header_values("X-Extortion-Score") == ["6.0"]
    [status] = got.header_values("X-Extortion-Status")
    assert status.startswith("Yes, score=6.0 required=5.0 action=tag tests=TEST_TAG")
    line = milter_of(stack).message_event(result.queue_id or "")
    assert line["action"] == "tag" and line["rules"] == ["TEST_TAG"]


def test_reject_level_gets_550_at_end_of_data_and_never_arrives(stack: PostfixStack) -> None:
    marker, raw = make_message("REJECTME")
    result = stack.postfix.send(raw)
    assert (result.code, result.stage) == (550, "data"), result
    assert result.text.startswith("5.7.1 Message refused as extortion spam (ref ")
    msgid = f"<{marker}@example.org>"
    line = next(e for e in milter_of(stack).message_events() if e["msgid"] == msgid)
    assert line["action"] == "reject"
    assert f"(ref {line['queue_id']})" in result.text
    stack.postfix.wait_queue_empty(ignore_hold=True)
    assert not [m for m in stack.sink.messages() if marker.encode() in m.raw]


def test_quarantine_level_sits_in_the_hold_queue(stack: PostfixStack) -> None:
    marker, raw = make_message("QUARME")
    result = stack.postfix.send(raw)
    assert result.accepted, result
    queue_id = result.queue_id or ""
    wait_until(lambda: queue_id in {e.queue_id for e in stack.postfix.held()}, 20,
               "the message in the hold queue")
    assert f"{queue_id}!" in stack.postfix.queue_listing()
    line = milter_of(stack).message_event(queue_id)
    assert line["action"] == "quarantine" and line["quarantine"] == "hold"
    assert line["rules"] == ["TEST_QUARANTINE"]
    time.sleep(1)
    assert not [m for m in stack.sink.messages() if marker.encode() in m.raw]


def test_several_messages_on_one_connection_are_judged_separately(stack: PostfixStack) -> None:
    bad_marker, bad = make_message("REJECTME")
    good_marker, good = make_message("", subject="Second one")
    with smtplib.SMTP("127.0.0.1", stack.postfix.smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.harness.test")
        try:
            smtp.sendmail("a@example.org", ["user@example.com"], bad)
            raise AssertionError("the first message should have been rejected")
        except smtplib.SMTPDataError as exc:
            assert exc.smtp_code == 550
        smtp.rset()
        assert smtp.sendmail("a@example.org", ["user@example.com"], good) == {}
    got = stack.sink.find(good_marker)
    assert got.header_values("Subject") == ["Second one"]
    assert got.header_values("X-Extortion-Score") == ["0.0"]
    assert not [m for m in stack.sink.messages() if bad_marker.encode() in m.raw]


def test_milter_down_gives_451_and_nothing_is_lost(own_stack: PostfixStack) -> None:
    milter = milter_of(own_stack)
    assert milter.stop() == 0
    marker, raw = make_message("TAGME")
    result = own_stack.postfix.send(raw)
    assert result.code == 451, result
    assert not own_stack.postfix.queue(), "a refused message must not sit in the queue"
    milter.start()  # the milter is back: the sender's retry goes through, tagged
    result = own_stack.postfix.send(raw)
    assert result.accepted, result
    got = own_stack.sink.find(marker)
    assert got.header_values("Subject") == ["[SUSPECTED EXTORTION] Hello there"]


def test_reload_with_broken_rules_keeps_the_old_rules(own_stack: PostfixStack) -> None:
    milter = milter_of(own_stack)
    rules = own_stack.workdir / "conf" / "test-rules.yaml"
    rules.write_text("rules:\n  - id: BROKEN\n    phrases: [unclosed\n")
    event = milter.reload()
    assert str(event["event"]).startswith("reload failed, keeping ruleset")
    assert "test-rules.yaml" in str(event["event"]) + str(event.get("traceback"))
    assert milter.running()
    marker, raw = make_message("TAGME")
    result = own_stack.postfix.send(raw)
    assert result.accepted, result
    got = own_stack.sink.find(marker)
    assert got.header_values("X-Extortion-Score") == ["6.0"], "old rules still in force"


def test_reload_with_a_good_change_applies_to_the_next_connection(
    own_stack: PostfixStack,
) -> None:
    milter = milter_of(own_stack)
    write_config(own_stack.workdir / "conf", rules_text=(
        "rules:\n  - id: TEST_TAG_NOW_REJECT\n    description: TAGME now rejects.\n"
        "    phrases: [TAGME]\n    score: 30\n"
    ))
    event = milter.reload()
    assert str(event["event"]).startswith("reloaded"), event
    _, raw = make_message("TAGME")
    result = own_stack.postfix.send(raw)
    assert result.code == 550, result


def test_sigterm_exits_cleanly(own_stack: PostfixStack) -> None:
    milter = milter_of(own_stack)
    _, raw = make_message("")
    assert own_stack.postfix.send(raw).accepted
    started = time.monotonic()
    milter.signal(signal.SIGTERM)
    assert milter.stop(timeout=30) == 0
    assert time.monotonic() - started < 15
    assert not milter.socket_path.exists()
    assert any(e.get("event") == "stopped" for e in milter.events())
    assert "Traceback" not in milter.log_text()


def test_an_image_attachment_does_not_crash_the_milter(stack: PostfixStack) -> None:
    """QR decoding (zxing-cpp, a nanobind extension) once aborted the whole process when
    it ran on a libmilter thread; every later message then got 451."""
    import base64
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("L", (64, 64), color=255).save(image, format="PNG")
    encoded = base64.encodebytes(image.getvalue()).decode()
    body = (
        "This is a multi-part message.\n\n--b1\nContent-Type: text/plain\n\nSee the picture.\n"
        "--b1\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
        f"Content-Disposition: attachment; filename=house.png\n\n{encoded}--b1--\n"
    )
    marker, raw = make_message(body=body)
    raw = raw.replace(b"Content-Type: text/plain; charset=utf-8",
                      b'Content-Type: multipart/mixed; boundary="b1"')
    raw = raw.replace(b"This is a multi-part message.", f"Marker {marker}.".encode())
    result = stack.postfix.send(raw)
    assert result.accepted, result
    stack.sink.find(marker)
    assert milter_of(stack).running()
    _, after = make_message("")
    assert stack.postfix.send(after).accepted


def test_started_as_root_it_drops_to_the_configured_user(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    # Somewhere nobody can reach (pytest's tmp_path is root's alone); made by the milter.
    state = short_tmpdir("em-user-")
    store_dir, log = state / "var" / "quarantine", state / "log" / "decisions.log"
    config = write_config(tmp_path / "conf", store_dir=store_dir, decision_log=log)
    try:
        with PostfixStack(tmp_path, config=config, overrides=["user=nobody"]) as running:
            milter = milter_of(running)
            status = Path(f"/proc/{milter.pid()}/status").read_text()
            uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()
            assert uids[1:] == [str(nobody.pw_uid)] * 4  # real, effective, saved, filesystem
            assert os.stat(milter.socket_path).st_uid == nobody.pw_uid
            marker, raw = make_message("TAGME")
            assert running.postfix.send(raw).accepted
            assert running.sink.find(marker).header_values("X-Extortion-Score") == ["6.0"]
            # The store and the decision log were made at start, for the user it runs as.
            for path, mode in ((store_dir, 0o700), (log.parent, 0o750), (log, 0o600)):
                info = os.stat(path)
                assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (nobody.pw_uid, mode), path
            _, quarantined = make_message("QUARME")
            result = running.postfix.send(quarantined)
            assert result.accepted, result
            [entry] = list(Store(store_dir).iter_entries())
            assert entry.queue_id == result.queue_id
            assert os.stat(Store(store_dir).paths(entry.id)[1]).st_uid == nobody.pw_uid
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_an_unwritable_store_stops_the_start_with_a_clear_error(tmp_path: Path) -> None:
    state = short_tmpdir("em-user-")
    (state / "quarantine").mkdir(mode=0o700)  # root's: the milter runs as nobody
    config = write_config(tmp_path / "conf", store_dir=state / "quarantine")
    milter = MilterProcess(tmp_path / "milter", state / "milter.sock", config, ["user=nobody"])
    try:
        with pytest.raises(HarnessError, match="did not start"):
            milter.start()
        assert milter.stop() == 1
        log = milter.log_text()
        assert f"quarantine store {state / 'quarantine'} is not writable by user nobody" in log
        assert "it belongs to root, mode 0700" in log and "chown -R nobody:" in log
        assert not (state / "milter.sock").exists()
    finally:
        milter.stop()
        shutil.rmtree(state, ignore_errors=True)


def test_allow_listed_mail_is_accepted_at_end_of_headers_untouched(tmp_path: Path) -> None:
    """Allow-listed senders and recipients are decided at end of headers, where the
    milter answers ACCEPT: Postfix then sends no body and the message arrives unscanned,
    without our headers. Mail to others still gets scanned on the same milter."""
    config = write_config(tmp_path / "conf")
    overrides = ["allow.recipients=[vip@example.com]", "allow.senders=['@partner.example']"]
    with PostfixStack(tmp_path, config=config, overrides=overrides) as running:
        milter = milter_of(running)
        for mail_from, rcpts, reason in [
            ("sender@example.org", ("vip@example.com",), "allowed-recipients"),
            ("news@partner.example", ("user@example.com",), "allowed-sender"),
        ]:
            marker, raw = make_message("REJECTME")
            result = running.postfix.send(raw, mail_from=mail_from, rcpts=rcpts)
            assert result.accepted, result
            got = running.sink.find(marker)
            assert got.header_values("X-Extortion-Status") == []
            assert got.header_values("Subject") == ["Hello there"]
            line = milter.message_event(result.queue_id or "")
            assert (line["action"], line["reason"]) == ("skip", reason)
        # One allowed recipient among others does not let the message through unscanned.
        _, raw = make_message("REJECTME")
        result = running.postfix.send(raw, rcpts=("vip@example.com", "user@example.com"))
        assert (result.code, result.stage) == (550, "data"), result


def test_utf8_envelope_sender_is_scanned_and_logged(stack: PostfixStack) -> None:
    """RFC 6531 mail (SMTPUTF8, a UTF-8 local part) goes through Postfix to the milter
    like any other: scanned, acted on, and logged with the address intact."""
    marker, raw = make_message("REJECTME")
    result = stack.postfix.send(raw, mail_from="mститель@example.org")
    assert (result.code, result.stage) == (550, "data"), result
    line = next(e for e in milter_of(stack).message_events()
                if e["msgid"] == f"<{marker}@example.org>")
    assert line["action"] == "reject"
    assert line["from"] == "<mститель@example.org>"
