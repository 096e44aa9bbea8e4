"""The shipped systemd unit passes `systemd-analyze verify` and carries the hardening."""

from __future__ import annotations

import configparser
import grp
import gzip
import json
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from extortion_milter.quarantine.decisionlog import DecisionLog, read_decisions
from extortion_milter.testing.procs import short_tmpdir

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "extortion-milter.service"
SHIPPED_EXEC = "/usr/local/bin/extortion-milter"


def test_unit_verifies_cleanly(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    # verify also checks that ExecStart exists: point it at the installed command.
    installed = shutil.which("extortion-milter")
    assert installed, "extortion-milter is not installed: pip install -e ."
    text = UNIT.read_text()
    assert SHIPPED_EXEC in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(SHIPPED_EXEC, installed))
    proc = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    # Unknown or misspelt keys are only warnings to systemd-analyze: none allowed.
    assert proc.stderr.strip() == "", proc.stderr


def test_unit_has_the_hardening_and_reload() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    service = parser["Service"]
    expected = {
        "Type": "notify", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
        "ProtectHome": "yes", "PrivateTmp": "yes", "UMask": "0007",
        "CapabilityBoundingSet": "", "RuntimeDirectory": "extortion-milter",
        "User": "extortion-milter", "ExecReload": "/bin/kill -USR1 $MAINPID",
        # The quarantine store and the decision log.
        "StateDirectory": "extortion-milter", "StateDirectoryMode": "0700",
        "LogsDirectory": "extortion-milter",
    }
    for key, value in expected.items():
        assert service.get(key) == value, key
    assert "@system-service" in UNIT.read_text()
    assert "ReadWritePaths=" in UNIT.read_text()


def test_tmpfiles_snippet_is_well_formed() -> None:
    lines = [line.split() for line in (REPO / "systemd" / "extortion-milter.tmpfiles")
             .read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines
    for fields in lines:
        assert fields[0] == "d" and fields[1].startswith("/") and len(fields) == 6
        assert fields[3] == fields[4] == "extortion-milter"
        # The quarantine store is the milter user's alone; the rest admits its group.
        expected = "0700" if fields[1].startswith("/var/lib/") else "0750"
        assert fields[2] == expected, fields
    assert ["/run/extortion-milter"] == [f[1] for f in lines if f[1].startswith("/run")]
    assert "/var/lib/extortion-milter/quarantine" in [f[1] for f in lines]


def test_logrotate_snippet_rotates_and_the_decision_log_reopens(tmp_path: Path) -> None:
    """The shipped snippet through the real logrotate, as the user it names (here nobody):
    the milter's next record lands in the new file, last week's stays readable as .1."""
    logrotate = shutil.which("logrotate")
    assert logrotate, "logrotate is missing: apt-get install logrotate"
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    logs = short_tmpdir("em-logs-")
    try:
        os.chown(logs, nobody.pw_uid, nobody.pw_gid)
        logs.chmod(0o750)  # as LogsDirectoryMode
        path = logs / "decisions.log"
        snippet = (REPO / "systemd" / "extortion-milter.logrotate").read_text()
        assert "/var/log/extortion-milter/decisions.log {" in snippet
        conf = tmp_path / "logrotate.conf"
        conf.write_text(snippet.replace("/var/log/extortion-milter/decisions.log", str(path))
                        .replace("extortion-milter extortion-milter", f"nobody {group}"))

        def rotate() -> None:
            proc = subprocess.run([logrotate, "-f", "-s", str(tmp_path / "state"), str(conf)],
                                  capture_output=True, text=True, check=False)
            assert proc.returncode == 0, proc.stderr

        path.touch(mode=0o600)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)  # the milter runs as that user
        log = DecisionLog(path)
        assert log.write({"n": 1})
        rotate()
        info = os.stat(path)  # made by logrotate's `create`, empty
        assert (info.st_uid, stat.S_IMODE(info.st_mode), info.st_size) == (
            nobody.pw_uid, 0o600, 0)
        assert log.write({"n": 2})  # no signal, no postrotate: the milter reopens by itself
        assert [json.loads(line) for line in path.read_text().splitlines()] == [{"n": 2}]
        assert [r["n"] for r in read_decisions(path)] == [1, 2]  # .1 is still plain text
        rotate()
        assert log.write({"n": 3})
        with gzip.open(logs / "decisions.log.2.gz", "rt") as old:
            assert json.loads(old.read()) == {"n": 1}
        assert [r["n"] for r in read_decisions(path)] == [2, 3]
        log.close()
    finally:
        shutil.rmtree(logs, ignore_errors=True)
