"""Release by SMTP against a real (tiny, stdlib) SMTP server on loopback.

The server speaks enough ESMTP for smtplib and answers each command as configured, so a
test can make it refuse a recipient or answer 452 to the message.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from extortion_milter.config.schema import ReleaseConfig
from extortion_milter.engine.types import Action, Envelope, RuleHit, Verdict
from extortion_milter.quarantine.index import Filters, open_index
from extortion_milter.quarantine.release import release, with_token
from extortion_milter.quarantine.store import Store
from extortion_milter.quarantine.token import HEADER, verify_release_header


@dataclass
class Transaction:
    mail_from: str
    rcpts: list[str]
    data: bytes


@dataclass
class SmtpServer:
    """A loopback SMTP server. `data_reply` answers the message; `rcpt_replies` maps an
    address to its RCPT answer; transactions answered 2xx are kept in `delivered`."""

    data_reply: str = "250 2.0.0 Ok: queued as TEST1"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    delivered: list[Transaction] = field(default_factory=list)
    sessions: int = 0
    auth: str = ""  # "user:password" to offer and require AUTH PLAIN
    logins: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        self.sessions += 1
        reader = conn.makefile("rb")

        def say(text: str) -> None:
            conn.sendall(text.encode() + b"\r\n")

        say("220 test.sink ESMTP")
        mail_from, rcpts = "", []
        try:
            for line in reader:
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    offer = "250-AUTH PLAIN\r\n" if self.auth else ""
                    say(f"250-test.sink\r\n{offer}250-8BITMIME\r\n250-SMTPUTF8\r\n"
                        "250 PIPELINING")
                elif verb == "AUTH":
                    _zero, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                    login = f"{user.decode()}:{password.decode()}"
                    self.logins.append(login)
                    say("235 2.7.0 Authentication successful" if login == self.auth
                        else "535 5.7.8 Authentication failed")
                elif verb == "MAIL" and self.auth and self.auth not in self.logins:
                    say("530 5.7.0 Authentication required")
                elif verb == "MAIL":
                    mail_from, rcpts = command.split(":", 1)[1].split()[0].strip("<>"), []
                    say("250 2.1.0 Ok")
                elif verb == "RCPT":
                    rcpt = command.split(":", 1)[1].strip().strip("<>")
                    reply = self.rcpt_replies.get(rcpt, "250 2.1.5 Ok")
                    if reply.startswith("2"):
                        rcpts.append(rcpt)
                    say(reply)
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    for data_line in reader:
                        if data_line == b".\r\n":
                            break
                        data += data_line[1:] if data_line.startswith(b"..") else data_line
                    if self.data_reply.startswith("2"):
                        self.delivered.append(Transaction(mail_from, rcpts, data))
                    say(self.data_reply)
                elif verb == "RSET":
                    mail_from, rcpts = "", []
                    say("250 2.0.0 Ok")
                elif verb == "QUIT":
                    say("221 2.0.0 Bye")
                    break
                else:
                    say("502 5.5.2 Error: command not recognized")
        finally:
            conn.close()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer()
    yield srv
    srv.close()


RAW = (b"From: Spammer <spam@example.net>\r\nTo: header-only@example.com\r\n"
       b"Cc: also-header-only@example.com\r\nSubject: test\r\n"
       b"X-Extortion-Release: 20250615-aaaaaaaa 1 0000000000000000 forged\r\n"
       b" continued forged line\r\n\r\n"
       b"Line one\r\n.leading dot stays\r\n\xe4 8-bit\r\n")
ENVELOPE = Envelope(mail_from="<bounce@example.net>",
                    rcpts=("<alice@example.org>", "<bob@example.org>"), queue_id="QID1")
VERDICT = Verdict(score=12.0, action=Action.QUARANTINE,
                  hits=(RuleHit("EXT_TEST", 12.0, "evidence"),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "q")


def config_for(server: SmtpServer) -> ReleaseConfig:
    return ReleaseConfig(host="127.0.0.1", port=server.port, timeout=10.0)


def body_without_token(data: bytes) -> bytes:
    first, rest = data.split(b"\r\n", 1)
    assert first.startswith(HEADER.encode() + b": ")
    return rest


def test_release_delivers_once_to_the_envelope_recipients(store: Store,
                                                          server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    outcome = release(store, entry.id, config_for(server))
    assert outcome.ok, outcome.summary()
    assert outcome.delivered == ("alice@example.org", "bob@example.org")
    assert "250 2.0.0 Ok: queued as TEST1" in outcome.summary()
    assert len(server.delivered) == 1
    sent = server.delivered[0]
    assert sent.mail_from == "bounce@example.net"
    assert sent.rcpts == ["alice@example.org", "bob@example.org"]  # never the To/Cc headers
    # The message is the stored one, with only the token added (the forged one removed).
    expected = RAW.replace(
        b"X-Extortion-Release: 20250615-aaaaaaaa 1 0000000000000000 forged\r\n"
        b" continued forged line\r\n", b"")
    assert body_without_token(sent.data) == expected
    token = sent.data.split(b"\r\n", 1)[0].split(b": ", 1)[1].decode()
    assert verify_release_header(token, str(store.root)) == entry.id
    saved = store.load(entry.id)
    assert saved.status == "released"
    assert saved.attempts[-1].ok and saved.attempts[-1].answer.startswith("250")

    again = release(store, entry.id, config_for(server))
    assert again.ok and again.delivered == ()
    assert again.already == ("alice@example.org", "bob@example.org")
    assert "not sent again" in again.summary()
    assert len(server.delivered) == 1
    assert server.sessions == 1  # no SMTP session at all the second time


def test_452_leaves_it_in_quarantine_and_says_what_the_server_answered(
        store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    server.data_reply = "452 4.3.1 Insufficient system storage"
    outcome = release(store, entry.id, config_for(server))
    assert not outcome.ok
    assert outcome.delivered == ()
    assert "452 4.3.1 Insufficient system storage" in outcome.summary()
    assert "NOT delivered to alice@example.org" in outcome.summary()
    saved = store.load(entry.id)
    assert saved.status == "held"
    assert saved.attempts[-1].answer == "452 4.3.1 Insufficient system storage"
    assert not saved.sending
    with open_index(store) as index:
        assert [e.id for e in index.query(Filters(status="held"))] == [entry.id]
    # The server recovers; the next release delivers, once.
    server.data_reply = "250 2.0.0 Ok: queued as TEST2"
    assert release(store, entry.id, config_for(server)).ok
    assert release(store, entry.id, config_for(server)).ok
    assert len(server.delivered) == 1
    assert store.load(entry.id).status == "released"


def test_a_refused_recipient_stays_pending_the_others_are_not_sent_twice(
        store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    server.rcpt_replies["bob@example.org"] = "450 4.2.1 Mailbox busy"
    outcome = release(store, entry.id, config_for(server))
    assert not outcome.ok
    assert outcome.delivered == ("alice@example.org",)
    assert outcome.refused == (("bob@example.org", "450 4.2.1 Mailbox busy"),)
    assert store.load(entry.id).status == "partial"
    del server.rcpt_replies["bob@example.org"]
    outcome = release(store, entry.id, config_for(server))
    assert outcome.ok and outcome.delivered == ("bob@example.org",)
    assert outcome.already == ("alice@example.org",)
    assert [t.rcpts for t in server.delivered] == [["alice@example.org"], ["bob@example.org"]]
    assert store.load(entry.id).status == "released"


def test_release_to_another_address(store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    outcome = release(store, entry.id, config_for(server), to=["admin@example.org"])
    assert outcome.ok and outcome.delivered == ("admin@example.org",)
    assert server.delivered[0].rcpts == ["admin@example.org"]
    assert server.delivered[0].mail_from == "bounce@example.net"
    # The original recipients still have not got it.
    assert store.load(entry.id).status == "held"
    assert release(store, entry.id, config_for(server), to=["admin@example.org"]).already


def test_null_sender_is_kept(store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, replace(ENVELOPE, mail_from="<>"), "r")
    assert release(store, entry.id, config_for(server)).ok
    assert server.delivered[0].mail_from == ""


def test_unreachable_server_leaves_it_held(store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    port = server.port
    server.close()
    outcome = release(store, entry.id, ReleaseConfig(host="127.0.0.1", port=port, timeout=5))
    assert not outcome.ok
    assert "cannot connect" in outcome.summary()
    saved = store.load(entry.id)
    assert saved.status == "held" and not saved.sending


def test_an_interrupted_release_needs_force(store: Store, server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    store.save(replace(entry, sending={"time": 1.0, "nonce": "0" * 16, "rcpts": []}))
    outcome = release(store, entry.id, config_for(server))
    assert not outcome.ok
    assert "--force" in outcome.summary()
    assert server.delivered == []
    assert release(store, entry.id, config_for(server), force=True).ok
    assert len(server.delivered) == 1


def test_with_token_normalizes_line_ends_and_keeps_bodies() -> None:
    out = with_token(b"Subject: a\nX-Extortion-Release: x\n\nbody\n", "TOKEN")
    assert out == b"X-Extortion-Release: TOKEN\r\nSubject: a\r\n\r\nbody\r\n"
    assert with_token(b"Subject: only headers", "T") == (
        b"X-Extortion-Release: T\r\nSubject: only headers\r\n")


def test_smtp_auth_with_a_password_file(store: Store, server: SmtpServer,
                                        tmp_path: Path) -> None:
    server.auth = "releaser:s3cret pass"
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    secret = tmp_path / "password"
    secret.write_text("s3cret pass\n")
    config = replace(config_for(server), username="releaser", password_file=str(secret))
    assert release(store, entry.id, config).ok
    assert server.logins == ["releaser:s3cret pass"] and len(server.delivered) == 1
    # A wrong password is an answer like any other: the message stays.
    other = store.add(RAW, VERDICT, ENVELOPE, "r")
    secret.write_text("wrong\n")
    outcome = release(store, other.id, config)
    assert not outcome.ok and "535 5.7.8 Authentication failed" in outcome.summary()
    assert store.load(other.id).status == "held"


def test_concurrent_releases_of_one_message_deliver_once(store: Store,
                                                         server: SmtpServer) -> None:
    entry = store.add(RAW, VERDICT, ENVELOPE, "r")
    outcomes = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        outcomes.append(release(store, entry.id, config_for(server)))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o.ok for o in outcomes)
    assert sum(1 for o in outcomes if o.delivered) == 1
    assert len(server.delivered) == 1
