"""`extortion-milter run` as a real subprocess on a unix socket, with its log captured."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import extortion_milter

from .procs import HarnessError, wait_until

# Set to run something else as the milter command (e.g. an installed copy elsewhere).
COMMAND_ENV = "EXTORTION_MILTER_CMD"


def milter_command() -> list[str]:
    """How to start the CLI: $EXTORTION_MILTER_CMD, the installed console script, or the
    package this harness was imported from."""
    override = os.environ.get(COMMAND_ENV)
    if override:
        return shlex.split(override)
    script = shutil.which("extortion-milter")
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from extortion_milter.cli import main; "
            "sys.exit(main())"]


class MilterProcess:
    """The milter listening on `socket_path`; its JSON log lines parsed by `events()`."""

    def __init__(self, workdir: Path, socket_path: Path, config: Path | None = None,
                 overrides: list[str] | None = None) -> None:
        self.workdir = workdir
        self.socket_path = socket_path
        self.config = config
        self.overrides = list(overrides or [])
        self.log_path = workdir / "milter.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    @property
    def postfix_spec(self) -> str:
        return f"unix:{self.socket_path}"

    def argv(self) -> list[str]:
        argv = [*milter_command(), "run"]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        # Later -o wins: the harness's socket and JSON log are what it needs to work.
        for override in [*self.overrides, f"socket=unix:{self.socket_path}",
                         "socket_group=postfix", "logging.format=json",
                         "logging.target=stderr"]:
            argv += ["-o", override]
        return argv

    def start(self, timeout: float = 180) -> None:
        """Start and wait for the socket (building the shipped rules takes a while)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        # A socket left by a killed run would look like readiness.
        self.socket_path.unlink(missing_ok=True)
        env = dict(os.environ)
        package_parent = str(Path(extortion_milter.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent,
                                                          env.get("PYTHONPATH")]))
        env.pop("NOTIFY_SOCKET", None)
        self.returncode = None
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=log, env=env,
                                         start_new_session=True)
        wait_until(lambda: self.listening() or self.proc is None or
                   self.proc.poll() is not None, timeout, "the milter to listen")
        if not self.listening():
            raise HarnessError(f"the milter did not start (exit {self.proc.poll()}):\n"
                               f"{self.log_text()}")

    def listening(self) -> bool:
        # The socket appears once the rules are built, just before libmilter's loop starts
        # (connections made in between wait in the listen backlog).
        return self.running() and self.socket_path.exists()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        if self.proc is None:
            raise HarnessError("the milter is not running")
        self.proc.send_signal(signum)

    def reload(self, timeout: float = 30) -> dict[str, object]:
        """SIGUSR1, then the log event that says how the reload went."""
        before = len(self._reload_events())
        self.signal(signal.SIGUSR1)
        wait_until(lambda: len(self._reload_events()) > before, timeout, "the reload to finish")
        return self._reload_events()[before]

    def _reload_events(self) -> list[dict[str, object]]:
        return [e for e in self.events()
                if str(e.get("event", "")).startswith(("reloaded", "reload failed"))]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; the exit status."""
        if self.proc is None:
            return self.returncode if self.returncode is not None else 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise HarnessError(f"the milter ignored SIGTERM for {timeout}s") from None
        finally:
            self.proc = None
        return self.returncode

    def pid(self) -> int:
        if self.proc is None:
            raise HarnessError("the milter is not running")
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self) -> list[dict[str, object]]:
        """The JSON log lines (anything else, e.g. a Python crash, is in log_text())."""
        events = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return events

    def message_events(self) -> list[dict[str, object]]:
        return [e for e in self.events() if e.get("event") == "message"]

    def message_event(self, queue_id: str, timeout: float = 20) -> dict[str, object]:
        found: list[dict[str, object]] = []

        def seen() -> bool:
            found[:] = [e for e in self.message_events() if e.get("queue_id") == queue_id]
            return bool(found)

        wait_until(seen, timeout, f"the milter's log line for {queue_id}")
        return found[0]

    def __enter__(self) -> MilterProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running():
            self.stop()
