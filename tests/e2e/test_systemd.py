"""The shipped systemd unit passes `systemd-analyze verify` and carries the hardening."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

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
        assert fields[2] == "0750" and fields[3] == fields[4] == "extortion-milter"
    assert ["/run/extortion-milter"] == [f[1] for f in lines if f[1].startswith("/run")]
