"""`extortion-milter quarantine ...` as an admin runs it: a real subprocess every time."""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from extortion_milter.engine.types import Action, CryptoAddress, Envelope, RuleHit, Verdict
from extortion_milter.quarantine.render import display_width
from extortion_milter.quarantine.store import Entry, Store

from .test_quarantine_release import SmtpServer

DAY = 86400.0

# `python -m extortion_milter`, plus a way to run it as another user for the permission
# test (the interpreter lives under /root here, so the switch happens after the imports).
LAUNCH = """\
import os, sys
import extortion_milter.cli as cli
uid = int(os.environ.get("QTEST_UID", "-1"))
if uid < 0:
    sys.exit(cli.main(sys.argv[1:]))
# Run as another user: parse first (that imports every module), then drop root.
parser = cli.build_parser()
args = parser.parse_args(sys.argv[1:])
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
sys.exit(args.func(args))
"""


@dataclass
class Cli:
    store: Store
    config: Path
    decision_log: Path

    def run(self, *args: str, uid: int | None = None,
            overrides: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TZ": "UTC"}
        if uid is not None:
            env["QTEST_UID"] = str(uid)
        options: list[str] = ["-c", str(self.config)]
        for override in overrides:
            options += ["-o", override]
        argv = [sys.executable, "-c", LAUNCH, "quarantine", *args[:1], *options, *args[1:]]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120,
                              check=False)

    def ok(self, *args: str, **kwargs: object) -> str:
        result = self.run(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def json_lines(self, *args: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.ok(*args, "--json").splitlines()]


EVIL_SUBJECT = "\x1b]0;pwned\x07\x1b[2J\u202eevil subject that is quite long indeed"
EVIL_RAW = (
    b"From: Mallory <mallory@evil.test>\r\nTo: victim@example.org\r\n"
    b"Subject: =?utf-8?b?" + base64.b64encode(EVIL_SUBJECT.encode()) + b"?=\r\n"
    b"X-Weird: \x1b[31mred\x1b[0m\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"I recorded you.\x1b[8m hidden \x1b[0m Pay 0.1 BTC \xe2\x80\xae reversed.\r\n"
    b"\xe4\xbd\xa0\xe5\xa5\xbd wide characters\r\n"
    b"Innocent line\rOVERWRITTEN BY A CARRIAGE RETURN\r\n"
)


def verdict(score: float, *rules: str) -> Verdict:
    return Verdict(
        score=score, action=Action.QUARANTINE,
        hits=tuple(RuleHit(r, score / len(rules), f"evidence {r}") for r in rules),
        addresses=(CryptoAddress("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", True),),
        ruleset_version="v1",
    )


@pytest.fixture
def cli() -> Iterator[Cli]:
    # Not pytest's tmp_path: its parents are private to root, and one test runs the CLI as
    # another user who must reach the config (but not the store).
    base = Path(tempfile.mkdtemp(prefix="em-qcli-"))
    os.chmod(base, 0o755)
    try:
        yield make_cli(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def make_cli(tmp_path: Path) -> Cli:
    store = Store(tmp_path / "q")
    now = time.time()
    store.add(b"From: a@old.test\r\nSubject: ancient\r\n\r\nold\r\n", verdict(12, "EXT_OLD"),
              Envelope(mail_from="old@old.test", rcpts=("a@example.org",), queue_id="QOLD"),
              "r", now=now - 40 * DAY)
    store.add(EVIL_RAW, verdict(17.5, "EXT_RECORDED", "EXT_BTC_DEMAND"),
              Envelope(mail_from="<bounce@evil.test>",
                       rcpts=("victim@example.org", "second@example.org"),
                       queue_id="QEVIL", client_ip="203.0.113.9", helo="evil.test"),
              "r", now=now - 3600)
    store.add("Subject: 日本語の件名がとても長いメッセージです\r\n\r\nbody\r\n".encode(),
              verdict(11, "EXT_CJK"),
              Envelope(mail_from="x@cjk.test", rcpts=("b@other.test",), queue_id="QCJK"),
              "r", now=now - 60)
    decision_log = tmp_path / "decisions.log"
    config = tmp_path / "config.yaml"
    config.write_text(
        "rules:\n  local_dir: ''\n"
        f"quarantine:\n  backend: store\n  directory: {store.root}\n"
        f"decision_log:\n  path: {decision_log}\n"
    )
    os.chmod(config, 0o644)
    return Cli(store, config, decision_log)


def entries(store: Store) -> dict[str, Entry]:
    return {e.queue_id: e for e in store.iter_entries()}


def test_list_table_fits_100_columns_and_escapes_nothing(cli: Cli) -> None:
    out = cli.ok("list")
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "ID", "ST", "SCORE", "FROM", "TO", "SUBJECT", "RULES"]
    assert len(lines) == 1 + 3 + 1
    for line in lines:
        assert display_width(line) <= 100, line
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in line), repr(line)
        assert "\u202e" not in line
    ids = [e.id for e in sorted(cli.store.iter_entries(), key=lambda e: e.time)]
    assert [line.split()[2] for line in lines[1:4]] == ids  # oldest first
    evil = lines[2]
    assert "bounce@evil" in evil and "victim@e… +1" in evil and "EXT_RECORDED +1" in evil
    assert "3 message(s), 3 not released" in lines[-1]


def test_list_filters_and_json(cli: Cli) -> None:
    records = cli.json_lines("list")
    assert [r["queue_id"] for r in records] == ["QOLD", "QEVIL", "QCJK"]
    assert records[1]["rcpts"] == ["victim@example.org", "second@example.org"]
    assert records[1]["subject"] == EVIL_SUBJECT  # JSON carries the exact text, escaped
    assert [r["queue_id"] for r in cli.json_lines("list", "--since", "2d")] == ["QEVIL", "QCJK"]
    assert [r["queue_id"] for r in cli.json_lines("list", "--rule", "ext_btc*")] == ["QEVIL"]
    assert [r["queue_id"] for r in cli.json_lines("list", "--rcpt", "@other.test")] == ["QCJK"]
    assert [r["queue_id"] for r in cli.json_lines("list", "--sender", "old@old.test")] == [
        "QOLD"]
    assert [r["queue_id"] for r in cli.json_lines("list", "--min-score", "12")] == [
        "QOLD", "QEVIL"]
    assert [r["queue_id"] for r in cli.json_lines("list", "--until", "2d")] == ["QOLD"]
    bad = cli.run("list", "--since", "yesterdayish")
    assert bad.returncode == 2 and "not a time" in bad.stderr


def test_show_explains_and_never_passes_escape_sequences(cli: Cli) -> None:
    evil = entries(cli.store)["QEVIL"]
    out = cli.ok("show", evil.id)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\r" not in out  # a lone CR would overwrite the line before it
    assert "Innocent line\nOVERWRITTEN BY A CARRIAGE RETURN" in out
    assert f"Quarantine id:  {evil.id}" in out
    assert "Envelope to:    victim@example.org, second@example.org" in out
    assert "Client:         203.0.113.9" in out
    assert "EXT_RECORDED" in out and "evidence EXT_BTC_DEMAND" in out
    assert "1BoatSLRHtKNngkdXEeobR76b53LETtpyT (valid)" in out
    assert "X-Weird: \\x1b[31mred\\x1b[0m" in out  # visible, not interpreted
    assert "I recorded you.\\x1b[8m hidden" in out
    assert "\\u202e reversed" in out
    assert "你好 wide characters" in out
    # The same by queue id; --headers leaves the text out.
    headers_only = cli.ok("show", "QEVIL", "--headers")
    assert "X-Weird" in headers_only and "I recorded you" not in headers_only
    # --raw into a pipe is the exact bytes, for saving or feeding to other tools.
    raw = subprocess.run(
        [sys.executable, "-c", LAUNCH, "quarantine", "show", "-c", str(cli.config), evil.id,
         "--raw"], capture_output=True, check=True, timeout=60).stdout
    assert raw == EVIL_RAW
    missing = cli.run("show", "20250101-aaaaaaaa")
    assert missing.returncode == 1 and "no such quarantined message" in missing.stderr
    bogus = cli.run("show", "../../etc/passwd")
    assert bogus.returncode == 1 and "no such quarantined message" in bogus.stderr


def test_purge_removes_only_what_is_old_enough(cli: Cli) -> None:
    dry = cli.ok("purge", "--older-than", "30d", "--dry-run")
    assert "1 message(s)" in dry and len(list(cli.store.iter_entries())) == 3
    out = cli.ok("purge", "--older-than", "30d")
    assert "purged 1 message(s)" in out
    assert sorted(entries(cli.store)) == ["QCJK", "QEVIL"]
    assert [r["queue_id"] for r in cli.json_lines("list")] == ["QEVIL", "QCJK"]
    cli.ok("purge", "--older-than", "30m")
    assert sorted(entries(cli.store)) == ["QCJK"]
    assert cli.run("purge", "--older-than", "soon").returncode == 2


def test_delete(cli: Cli) -> None:
    evil = entries(cli.store)["QEVIL"]
    assert f"deleted {evil.id}" in cli.ok("delete", evil.id)
    assert "QEVIL" not in entries(cli.store)
    again = cli.run("delete", evil.id)
    assert again.returncode == 1 and "no such quarantined message" in again.stderr


def test_reindex_rebuilds_the_same_list(cli: Cli) -> None:
    before = cli.ok("list", "--json")
    os.unlink(cli.store.index_path)
    out = cli.ok("reindex")
    assert "indexed 3 message(s)" in out
    assert cli.ok("list", "--json") == before
    assert stat.S_IMODE(cli.store.index_path.stat().st_mode) == 0o600


def test_stats_counts_store_and_decision_log(cli: Cli) -> None:
    now = time.time()
    records = [
        {"time": now - 100, "applied": "accept", "action": "accept", "rcpts": ["a@x.test"]},
        {"time": now - 90, "applied": "quarantine", "action": "quarantine",
         "rcpts": ["<a@x.test>", "b@y.test"], "rules": [{"id": "EXT_A"}]},
        {"time": now - 80, "applied": "reject", "action": "reject", "rcpts": ["c@x.test"],
         "rules": [{"id": "EXT_A"}, {"id": "EXT_B"}]},
        {"time": now - 40 * DAY, "applied": "tag", "action": "tag", "rcpts": ["d@z.test"],
         "rules": [{"id": "EXT_C"}]},
        {"time": now - 41 * DAY, "applied": "error-tempfail", "rcpts": ["d@z.test"]},
    ]
    cli.decision_log.write_text("".join(json.dumps(r) + "\n" for r in records))
    [result] = cli.json_lines("stats", "--since", "2d")
    log = result["decision_log"]
    assert isinstance(log, dict)
    assert log["decisions"] == 3
    assert log["per_action"] == {"accept": 1, "quarantine": 1, "reject": 1}
    assert log["per_rule_flagged"] == {"EXT_A": 2, "EXT_B": 1}
    assert log["per_recipient_domain_flagged"] == {"x.test": 2, "y.test": 1}
    store = result["store"]
    assert isinstance(store, dict)
    assert store["entries"] == 2 and store["per_status"] == {"held": 2}
    assert store["per_recipient_domain"] == {"example.org": 1, "other.test": 1}
    text = cli.ok("stats")
    assert "Decision log" in text and "5 decision(s)" in text
    assert " skip  error-tempfail" in text  # long action names keep their columns apart
    assert "Quarantine store" in text and "3 message(s) (3 held)" in text


def test_release_reports_the_servers_answer(cli: Cli) -> None:
    server = SmtpServer(data_reply="452 4.3.1 Insufficient system storage")
    try:
        evil = entries(cli.store)["QEVIL"]
        port = f"quarantine.release.port={server.port}"
        failed = cli.run("release", evil.id, overrides=(port,))
        assert failed.returncode == 1
        assert "NOT delivered to victim@example.org: 452 4.3.1 Insufficient system storage" in (
            failed.stdout)
        assert entries(cli.store)["QEVIL"].status == "held"
        assert "452 4.3.1" in cli.ok("show", evil.id, "--headers")
        server.data_reply = "250 2.0.0 Ok: queued as ABC"
        out = cli.ok("release", "QEVIL", overrides=(port,))
        assert "released to victim@example.org, second@example.org" in out
        assert "250 2.0.0 Ok: queued as ABC" in out
        again = cli.ok("release", evil.id, overrides=(port,))
        assert "already released" in again and "not sent again" in again
        assert len(server.delivered) == 1
        assert server.delivered[0].rcpts == ["victim@example.org", "second@example.org"]
        assert server.delivered[0].mail_from == "bounce@evil.test"
        [record] = [r for r in cli.json_lines("list", "--status", "released")]
        assert record["id"] == evil.id
    finally:
        server.close()


def test_a_user_who_cannot_read_the_store_is_refused_and_nothing_changes(cli: Cli) -> None:
    if os.geteuid() != 0:
        pytest.fail("needs root to run the CLI as another user")
    nobody = pwd.getpwnam("nobody").pw_uid
    before = {p: (stat.S_IMODE(p.stat().st_mode), p.stat().st_uid)
              for p in [cli.store.root, *cli.store.root.rglob("*")]}
    for command in (("list",), ("show", "QEVIL"), ("release", "QEVIL"), ("purge",
                    "--older-than", "1d"), ("stats",), ("reindex",), ("delete", "QEVIL")):
        result = cli.run(*command, uid=nobody)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "cannot read the quarantine store" in result.stderr, result.stderr
        assert "belongs to user root with mode 0700 and you are nobody" in result.stderr
        assert "Traceback" not in result.stderr
    after = {p: (stat.S_IMODE(p.stat().st_mode), p.stat().st_uid)
             for p in [cli.store.root, *cli.store.root.rglob("*")]}
    assert after == before
    assert len(list(cli.store.iter_entries())) == 3
