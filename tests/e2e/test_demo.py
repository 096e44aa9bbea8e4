"""`extortion-milter demo` end to end: its own Postfix, a few messages, one line each."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from extortion_milter.testing.milterproc import milter_command

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_demo_prints_each_fate(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    ham = sorted((CORPUS / "ham").glob("*.eml"))[0]
    spam = sorted((CORPUS / "extortion").glob("*.eml"))[0]
    for path in (ham, spam):
        shutil.copy(path, sample / path.name)
    proc = subprocess.run([*milter_command(), "demo", "-o", "rules.local_dir=", str(sample)],
                          capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if ".eml" in line}
    assert set(lines) == {f"sample/{ham.name}", f"sample/{spam.name}"}, proc.stdout
    assert lines[f"sample/{ham.name}"].split()[1] == "delivered"
    assert lines[f"sample/{spam.name}"].split()[1] in {"tagged", "quarantined", "rejected"}
