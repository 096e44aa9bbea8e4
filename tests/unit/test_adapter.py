"""The milter callbacks in-process, driven by pymilter's TestCtx (no MTA, no socket)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import Milter
import pytest
from Milter import testctx

from extortion_milter.adapter.milter import WANTED_ACTIONS, ExtortionMilter
from extortion_milter.adapter.runtime import RuntimeHolder, build_runtime
from extortion_milter.config.loader import load_config
from extortion_milter.quarantine.decisionlog import flush_all

RULES = """\
rules:
  - id: TEST_TAG
    description: Scores at the tag level.
    phrases: [TAGME]
    score: 6
  - id: TEST_QUARANTINE
    description: Scores at the quarantine level.
    phrases: [QUARME]
    score: 11
  - id: TEST_REJECT
    description: Scores at the reject level.
    phrases: [REJECTME]
    score: 20
"""

NR_BITS = (Milter.P_NR_CONN | Milter.P_NR_HELO | Milter.P_NR_MAIL | Milter.P_NR_RCPT
           | Milter.P_NR_DATA | Milter.P_NR_UNKN | Milter.P_NR_EOH | Milter.P_NR_BODY
           | Milter.P_NR_HDR)


class Ctx(testctx.TestCtx):  # type: ignore[misc]
    """TestCtx with the gaps of pymilter 1.0.5 filled in (REFERENCE §6).

    - quarantine() raises in TestCtx: record it instead.
    - header edits are recorded as calls, since TestCtx's email.Message emulation appends
      where a real MTA replaces.
    - negotiation offers no "no reply" bits, since TestCtx treats NOREPLY as a stop.
    """

    def __init__(self) -> None:
        super().__init__()
        self.quarantined: list[str] = []
        self.edits: list[tuple[str, ...]] = []

    def _negotiate(self) -> int:
        self._body = None
        self._bodyreplaced = False
        self._priv = None
        self._opts = [Milter.CURR_ACTS, 0x1FFFFF & ~NR_BITS, 0, 0]
        self._stage = -1
        rc: int = Milter.negotiate_callback(self, self._opts)
        self._protocol = self._opts[1]
        return rc

    def quarantine(self, reason: str) -> None:
        self.quarantined.append(reason)

    def addheader(self, field: str, value: str, idx: int) -> None:
        self.edits.append(("add", field, value))

    def chgheader(self, field: str, idx: int, value: str) -> None:
        self.edits.append(("change", field, str(idx), value))


@pytest.fixture()
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


@pytest.fixture()
def make_holder(rules_file: Path, tmp_path: Path) -> Callable[..., RuntimeHolder]:
    def make(*overrides: str) -> RuntimeHolder:
        # Never the system's decision log or store: the test's own unless it names one.
        config = load_config(None, [f"rules.paths=[{rules_file}]", "rules.local_dir=",
                                    f"decision_log.path={tmp_path}/default-decisions.log",
                                    f"quarantine.directory={tmp_path}/quarantine",
                                    *overrides])
        holder = RuntimeHolder(build_runtime(config))
        Milter.factory = lambda: ExtortionMilter(holder)
        return holder

    return make


def message(word: str = "", subject: bytes = b"Hello", extra: bytes = b"",
            body: bytes | None = None) -> bytes:
    text = body if body is not None else b"Hi,\n\nsome text " + word.encode() + b"\n"
    return (b"From: a@example.org\nTo: b@example.com\nSubject: " + subject + b"\n"
            b"Message-ID: <m1@example.org>\n" + extra + b"\n" + text)


def connect(queue_id: str = "QID1", ip: str = "192.0.2.7", auth: str | None = None) -> Ctx:
    ctx = Ctx()
    ctx._setsymval("i", queue_id)
    if auth:
        ctx._setsymval("{auth_authen}", auth)
    assert ctx._connect(helo="client.example", ip=ip) == Milter.CONTINUE
    return ctx


def feed(ctx: Ctx, raw: bytes, sender: str = "a@example.org",
         rcpt: str = "b@example.com") -> int:
    rc: int = ctx._feedFile(io.BytesIO(raw), sender, rcpt)
    return rc


def message_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [dict(getattr(r, "em_fields", {})) for r in caplog.records
            if r.getMessage() == "message"]


def test_negotiation_asks_only_for_what_is_used(make_holder: Callable[..., RuntimeHolder]) -> None:
    make_holder()
    ctx = Ctx()
    ctx._stage = -1  # negotiation
    opts = [Milter.CURR_ACTS, 0x1FFFFF, 0, 0]
    assert Milter.negotiate_callback(ctx, opts) == Milter.CONTINUE
    actions, protocol = opts[0], opts[1]
    assert actions == WANTED_ACTIONS & Milter.CURR_ACTS
    assert not actions & (Milter.CHGBODY | Milter.ADDRCPT | Milter.DELRCPT | Milter.CHGFROM)
    # Callbacks we do not implement are switched off (DATA too: end of headers decides
    # what DATA would); pure collectors need no reply. End of headers answers: it
    # accepts allow-listed mail there.
    assert protocol & Milter.P_NOUNKNOWN and protocol & Milter.P_NODATA
    assert not protocol & Milter.P_NOEOH and not protocol & Milter.P_NR_EOH
    assert protocol & Milter.P_NR_HDR and protocol & Milter.P_NR_RCPT
    assert protocol & Milter.P_NR_BODY
    assert not protocol & Milter.P_NOHDRS and not protocol & Milter.P_NOBODY
    assert ctx._symlist[Milter.M_ENVFROM] == {b"{auth_authen}"}
    assert ctx._symlist[Milter.M_EOH] == {b"i"}
    assert ctx._symlist[Milter.M_EOM] == {b"i"}


def test_ham_gets_status_headers_and_forged_ones_removed(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    make_holder()
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    raw = message(extra=b"X-Extortion-Status: No\nX-Extortion-Score: 0\nX-EXTORTION-status: No\n")
    assert feed(ctx, raw) == Milter.CONTINUE
    removed = [e for e in ctx.edits if e[0] == "change" and e[3] == ""]
    assert sorted((e[1].lower(), e[2]) for e in removed) == [
        ("x-extortion-score", "1"), ("x-extortion-status", "1"), ("x-extortion-status", "2"),
    ]
    added = {e[1]: e[2] for e in ctx.edits if e[0] == "add"}
    assert added["X-Extortion-Score"] == "0.0"
    assert added["X-Extortion-Status"].startswith("No, score=0.0 required=5.0")
    [line] = message_lines(caplog)
    assert line["queue_id"] == "QID1" and line["action"] == "accept"
    assert line["client"] == "192.0.2.7"


def test_eight_bit_headers_are_decoded_without_raising(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    make_holder()
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    subject = "Grüße und Küsse".encode("latin-1") + b" \xff\xfe"  # not UTF-8
    raw = message("TAGME", subject=subject, extra=b"X-Odd: caf\xe9 \xc3\x28\n")
    assert feed(ctx, raw) == Milter.CONTINUE
    [change] = [e for e in ctx.edits if e[0] == "change" and e[1] == "Subject"]
    assert change[3].startswith("[SUSPECTED EXTORTION] Gr")
    change[3].encode("utf-8")  # what libmilter gets must be valid UTF-8
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_several_messages_on_one_connection_are_independent(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    make_holder("quarantine.backend=hold")
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    assert feed(ctx, message("REJECTME"), rcpt="first@example.com") == Milter.REJECT
    assert ctx._reply[0] == "550" and ctx._reply[1] == "5.7.1"
    assert "(ref QID1)" in ctx._reply[2]
    ctx._setsymval("i", "QID2")
    assert feed(ctx, message("QUARME"), rcpt="second@example.com") == Milter.CONTINUE
    assert len(ctx.quarantined) == 1 and "TEST_QUARANTINE" in ctx.quarantined[0]
    ctx._setsymval("i", "QID3")
    ctx.edits.clear()
    assert feed(ctx, message(""), rcpt="third@example.com") == Milter.CONTINUE
    assert len(ctx.quarantined) == 1
    assert ("add", "X-Extortion-Score", "0.0") in ctx.edits
    lines = message_lines(caplog)
    assert [(x["queue_id"], x["action"], x["rcpts"]) for x in lines] == [
        ("QID1", "reject", ["first@example.com"]),
        ("QID2", "quarantine", ["second@example.com"]),
        ("QID3", "accept", ["third@example.com"]),
    ]


def test_oversize_body_is_cut_scanned_by_its_head_and_noted(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    make_holder("limits.max_message_bytes=4096")
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    body = b"TAGME at the top\n" + b"filler line of text\n" * 2000 + b"REJECTME at the end\n"
    assert feed(ctx, message(body=body)) == Milter.CONTINUE  # not rejected: never seen
    [line] = message_lines(caplog)
    assert line["action"] == "tag" and line["rules"] == ["TEST_TAG"]
    assert int(str(line["size"])) > 40000
    assert any("truncated at 4096 bytes" in n for n in line["notes"])  # type: ignore[attr-defined]


def test_monitor_mode_only_tags(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    make_holder("mode=monitor")
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    assert feed(ctx, message("REJECTME")) == Milter.CONTINUE
    assert not ctx.quarantined
    assert ("change", "Subject", "1", "[SUSPECTED EXTORTION] Hello") in ctx.edits
    [line] = message_lines(caplog)
    assert (line["action"], line["verdict"], line["mode"]) == ("tag", "reject", "monitor")


@pytest.mark.parametrize(("overrides", "kwargs", "reason"), [
    ((), {"auth": "alice"}, "authenticated"),
    (("allow.trusted_networks=[192.0.2.0/24]",), {}, "trusted-network"),
    (("allow.senders=['@example.org']",), {}, "allowed-sender"),
    (("allow.recipients=[b@example.com]",), {}, "allowed-recipients"),
])
def test_allowed_mail_is_not_scanned(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture,
    overrides: tuple[str, ...], kwargs: dict[str, str], reason: str,
) -> None:
    make_holder(*overrides)
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect(**kwargs)
    assert feed(ctx, message("REJECTME")) == Milter.ACCEPT
    assert not ctx.edits
    [line] = message_lines(caplog)
    assert (line["action"], line["reason"], line["queue_id"]) == ("skip", reason, "QID1")


def test_authenticated_mail_is_scanned_when_configured(
    make_holder: Callable[..., RuntimeHolder],
) -> None:
    make_holder("allow.skip_authenticated=false")
    ctx = connect(auth="alice")
    assert feed(ctx, message("REJECTME")) == Milter.REJECT


def test_one_allowed_recipient_does_not_exempt_the_others(
    make_holder: Callable[..., RuntimeHolder],
) -> None:
    make_holder("allow.recipients=[b@example.com]")
    ctx = connect()
    rc = ctx._feedFile(io.BytesIO(message("REJECTME")), "a@example.org", "b@example.com",
                       "other@example.com")
    assert rc == Milter.REJECT


@pytest.mark.parametrize(("on_error", "expected"), [
    ("accept", Milter.CONTINUE), ("tempfail", Milter.TEMPFAIL),
])
def test_a_scan_exception_is_logged_and_handled_by_on_error(
    make_holder: Callable[..., RuntimeHolder], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch, on_error: str, expected: int,
) -> None:
    holder = make_holder(f"on_error={on_error}")

    def explode(raw: bytes, envelope: object = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(holder.current.engine, "prepare", explode)
    caplog.set_level(logging.INFO, "extortion_milter")
    ctx = connect()
    assert feed(ctx, message("TAGME")) == expected
    assert not ctx.edits  # accept means untouched
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info is not None and "boom" in str(error.exc_info[1])
    assert getattr(error, "em_fields", {})["queue_id"] == "QID1"
    if on_error == "tempfail":
        assert ctx._reply[0] == "451" and "QID1" in ctx._reply[2]
    [line] = message_lines(caplog)
    assert line["action"] == f"error-{on_error}"


def test_a_reload_does_not_change_the_rules_of_an_open_connection(
    make_holder: Callable[..., RuntimeHolder], rules_file: Path,
) -> None:
    holder = make_holder()
    ctx = connect()
    rules_file.write_text(RULES.replace("score: 6", "score: 30"))
    config = load_config(None, [f"rules.paths=[{rules_file}]", "rules.local_dir=",
                                "decision_log.path="])
    holder.swap(build_runtime(config, generation=1))
    assert feed(ctx, message("TAGME")) == Milter.CONTINUE  # old rules: tag
    fresh = connect()
    assert feed(fresh, message("TAGME")) == Milter.REJECT  # new connection: new rules
    assert holder.inflight == 0


def test_every_outcome_goes_to_the_decision_log(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
) -> None:
    import json

    path = tmp_path / "decisions.log"
    make_holder(f"decision_log.path={path}", "allow.senders=[trusted@example.org]",
                "quarantine.backend=hold")
    ctx = connect()
    assert feed(ctx, message("QUARME")) == Milter.CONTINUE
    ctx._setsymval("i", "QID2")
    assert feed(ctx, message("REJECTME")) == Milter.REJECT
    ctx._setsymval("i", "QID3")
    assert feed(ctx, message("REJECTME"), sender="trusted@example.org") == Milter.ACCEPT
    ctx._setsymval("i", "QID4")
    assert feed(ctx, message("TAGME")) == Milter.CONTINUE
    ctx._setsymval("i", "QID5")
    assert feed(ctx, message("")) == Milter.CONTINUE
    flush_all()  # records are written by the log's thread, within FLUSH_DELAY
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["queue_id"], r["applied"]) for r in records] == [
        ("QID1", "quarantine"), ("QID2", "reject"), ("QID3", "skip"), ("QID4", "tag"),
        ("QID5", "accept")]
    # The hold backend's quarantine is explained: Postfix holds it, this record says why.
    assert records[0]["quarantine"] == {"backend": "hold", "outcome": "hold", "detail": ""}
    assert records[0]["subject"] == "Hello" and records[0]["score"] == 11.0
    assert records[0]["rules"][0]["id"] == "TEST_QUARANTINE"
    assert records[2]["skipped"] == "allowed-sender"
    assert records[4]["score"] == 0 and "subject" not in records[4]


def test_a_forged_release_header_is_scanned_and_removed(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
) -> None:
    make_holder(f"quarantine.directory={tmp_path / 'q'}")
    ctx = connect()
    forged = b"X-Extortion-Release: abc 1700000000 " + b"0" * 16 + b" " + b"a" * 64 + b"\n"
    assert feed(ctx, message("TAGME", extra=forged)) == Milter.CONTINUE
    assert ("change", "X-Extortion-Release", "1", "") in ctx.edits
    assert ("change", "Subject", "1", "[SUSPECTED EXTORTION] Hello") in ctx.edits


def decisions(path: Path) -> list[dict[str, object]]:
    import json

    flush_all()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_store_backend_discards_only_once_stored(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
) -> None:
    from extortion_milter.quarantine.store import Store

    log = tmp_path / "decisions.log"
    make_holder(f"decision_log.path={log}", "quarantine.backend=store")
    ctx = connect()
    assert feed(ctx, message("QUARME")) == Milter.DISCARD
    assert not ctx.quarantined  # not the MTA's hold queue
    [entry] = list(Store(tmp_path / "quarantine").iter_entries())
    assert entry.queue_id == "QID1" and entry.rcpts == ("b@example.com",)
    assert b"QUARME" in Store(tmp_path / "quarantine").raw(entry.id)
    [record] = decisions(log)
    assert record["applied"] == "quarantine"
    assert record["quarantine"] == {"backend": "store", "outcome": "discard",
                                    "detail": entry.id}


def test_an_unwritable_store_answers_451(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    make_holder("quarantine.backend=store", f"quarantine.directory={blocker}/q")
    ctx = connect()
    assert feed(ctx, message("QUARME")) == Milter.TEMPFAIL
    assert ctx._reply[0] == "451" and ctx._reply[1] == "4.3.0" and "QID1" in ctx._reply[2]


def release_header(tmp_path: Path, entry_id: str = "20250615-abcdefgh") -> bytes:
    from extortion_milter.quarantine.store import Store
    from extortion_milter.quarantine.token import make_token

    value, _nonce = make_token(Store(tmp_path / "quarantine"), entry_id)
    return f"X-Extortion-Release: {value}\n".encode()


def test_a_released_message_passes_once_unscanned_without_the_header(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = tmp_path / "decisions.log"
    make_holder(f"decision_log.path={log}")
    caplog.set_level(logging.INFO, "extortion_milter")
    header = release_header(tmp_path)
    ctx = connect()
    assert feed(ctx, message("REJECTME", extra=header)) == Milter.CONTINUE
    assert ctx.edits == [("change", "X-Extortion-Release", "1", "")]  # nothing else
    # The same token again (a copy of the released message): scanned as usual.
    ctx._setsymval("i", "QID2")
    ctx.edits.clear()
    assert feed(ctx, message("REJECTME", extra=header)) == Milter.REJECT
    assert [(x["queue_id"], x["action"]) for x in message_lines(caplog)] == [
        ("QID1", "release"), ("QID2", "reject")]
    records = decisions(log)
    assert records[0]["applied"] == "release"
    assert records[0]["release_id"] == "20250615-abcdefgh"
    assert records[1]["applied"] == "reject"


def test_a_release_through_an_allow_listed_path_still_spends_and_strips_the_token(
    make_holder: Callable[..., RuntimeHolder], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_holder()
    caplog.set_level(logging.INFO, "extortion_milter")
    header = release_header(tmp_path)
    # Authenticated (quarantine.release.username set): skipped, but the token counts.
    ctx = connect(auth="admin")
    assert feed(ctx, message("REJECTME", extra=header)) == Milter.CONTINUE
    assert ctx.edits == [("change", "X-Extortion-Release", "1", "")]
    # Spent: a second authenticated copy is skipped, with the stale header removed.
    ctx._setsymval("i", "QID2")
    ctx.edits.clear()
    assert feed(ctx, message("REJECTME", extra=header)) == Milter.CONTINUE
    assert ctx.edits == [("change", "X-Extortion-Release", "1", "")]
    # Without a release header, allow-listed mail is accepted at the end of the headers.
    ctx._setsymval("i", "QID3")
    ctx.edits.clear()
    assert feed(ctx, message("REJECTME")) == Milter.ACCEPT
    assert not ctx.edits
    lines = message_lines(caplog)
    assert [(x["queue_id"], x["action"]) for x in lines] == [
        ("QID1", "release"), ("QID2", "skip"), ("QID3", "skip")]
    assert lines[1]["reason"] == lines[2]["reason"] == "authenticated"


def test_freeze_heap_keeps_the_rules_from_the_collector_but_frees_a_replaced_runtime(
    make_holder: Callable[..., RuntimeHolder],
) -> None:
    import gc
    import weakref

    from extortion_milter.adapter.runtime import freeze_heap

    class Node:
        partner: object = None

    try:
        holder = make_holder()
        cycle = Node()
        cycle.partner = Node()
        cycle.partner.partner = cycle  # type: ignore[attr-defined]
        gone = weakref.ref(cycle)
        freeze_heap()
        assert gc.get_freeze_count() > 0
        del cycle  # as a replaced runtime is dropped after a reload
        gc.collect()
        assert gone() is not None  # frozen: the collector does not see it
        freeze_heap()  # the next reload
        assert gone() is None
        assert holder.current.engine.scan(message("TAGME")).score > 0
    finally:
        gc.unfreeze()
