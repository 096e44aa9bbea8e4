"""The store and decision log are made and checked at start, for the user the milter runs
as (root here, acting as nobody)."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from extortion_milter.adapter.runtime import Runtime, build_runtime
from extortion_milter.config.loader import load_config
from extortion_milter.daemon import state
from extortion_milter.daemon.privileges import acting_as
from extortion_milter.testing.procs import short_tmpdir

RULES = ("rules:\n  - id: TEST_Q\n    description: Quarantine level.\n"
         "    phrases: [QUARME]\n    score: 11\n")


@pytest.fixture
def area() -> Iterator[Path]:
    """A directory nobody can enter (pytest's tmp_path is root's alone)."""
    path = short_tmpdir("em-state-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def runtime(area: Path, *overrides: str) -> Runtime:
    rules = area / "rules.yaml"
    rules.write_text(RULES)
    config = load_config(None, [f"rules.paths=[{rules}]", "rules.local_dir=",
                                "dns.enabled=false", f"quarantine.directory={area}/q",
                                f"decision_log.path={area}/log/decisions.log", *overrides])
    return build_runtime(config)


def test_made_for_the_user_it_will_run_as(area: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    rt = runtime(area)
    state.prepare(rt, "nobody")
    for path, mode in ((area / "q", 0o700), (area / "log", 0o750),
                       (area / "log" / "decisions.log", 0o600)):
        info = os.stat(path)
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (nobody.pw_uid, mode), path
    with acting_as("nobody"):
        assert os.geteuid() == nobody.pw_uid
        assert state.check(rt) == []
    assert os.geteuid() == 0
    assert not [p for p in (area / "q").iterdir()]  # the write probe left nothing


def test_a_store_the_user_cannot_write_is_an_error_naming_the_fix(area: Path) -> None:
    (area / "q").mkdir(mode=0o700)  # root's
    rt = runtime(area)
    state.prepare(rt, "nobody")  # an existing directory is never taken over
    assert os.stat(area / "q").st_uid == 0
    with acting_as("nobody"), pytest.raises(state.StateError) as error:
        state.check(rt)
    message = str(error.value)
    assert f"quarantine store {area / 'q'} is not writable by user nobody" in message
    assert "belongs to root, mode 0700" in message
    assert f"chown -R nobody: {area / 'q'}" in message


def test_a_store_that_cannot_be_made_is_an_error_at_prepare(area: Path) -> None:
    (area / "file").write_text("")
    rt = runtime(area, f"quarantine.directory={area}/file/q")
    with pytest.raises(state.StateError, match="cannot create it"):
        state.prepare(rt)


def test_an_unwritable_decision_log_is_only_a_warning(area: Path) -> None:
    (area / "log").mkdir(mode=0o700)  # root's
    rt = runtime(area)
    state.prepare(rt)  # as root, no user: the store is root's
    with acting_as("nobody"):
        with pytest.raises(state.StateError):
            state.check(rt)  # nobody cannot write root's store either
    rt_hold = runtime(area, "quarantine.backend=hold")
    with acting_as("nobody"):
        [warning] = state.check(rt_hold)
    assert f"decision log {area / 'log' / 'decisions.log'}: cannot write it" in warning


def test_the_hold_backend_makes_no_store(area: Path) -> None:
    rt = runtime(area, "quarantine.backend=hold", "decision_log.path=")
    state.prepare(rt)
    assert state.check(rt) == []
    assert not (area / "q").exists()


def test_a_reload_to_an_unusable_store_keeps_the_running_config(area: Path) -> None:
    from extortion_milter.adapter.runtime import RuntimeHolder
    from extortion_milter.daemon.reload import Reloader

    holder = RuntimeHolder(runtime(area))
    (area / "file").write_text("")
    broken = runtime(area, f"quarantine.directory={area}/file/q").config
    assert Reloader(holder, lambda: broken).reload() is False
    assert holder.current.generation == 0
    moved = runtime(area, f"quarantine.directory={area}/elsewhere").config
    assert Reloader(holder, lambda: moved).reload() is True
    assert (area / "elsewhere").is_dir()  # made by the reload, not at the first message
