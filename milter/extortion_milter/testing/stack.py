"""Sink + milter + Postfix, started and stopped together."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..config.errors import ConfigError, ConfigErrors
from ..config.loader import load_config
from ..config.schema import Config
from .milterproc import MilterProcess
from .postfix import PostfixInstance
from .procs import short_tmpdir
from .sendmail import SINK_HOST, SendmailInstance, ensure_sendmail
from .sink import SmtpSink


def private_state(workdir: Path, config: Path | None,
                  overrides: list[str] | None) -> tuple[list[str], Config | None]:
    """`overrides`, plus the ones that keep the milter's quarantine store and decision log
    in `workdir` where the config and overrides leave them at the system's paths
    (/var/lib/extortion-milter, /var/log/extortion-milter): a test run, the demo or the
    benchmark never writes there. Also the config the milter will run with (None when it
    does not load: the milter then reports why)."""
    overrides = list(overrides or [])
    try:
        settings = load_config(config, overrides)
    except (ConfigError, ConfigErrors, OSError):
        return overrides, None
    system = Config()
    extra = []
    if settings.quarantine.directory == system.quarantine.directory:
        extra.append(f"quarantine.directory={workdir / 'quarantine'}")
    if settings.decision_log.path == system.decision_log.path:
        extra.append(f"decision_log.path={workdir / 'decisions.log'}")
    if not extra:
        return overrides, settings
    overrides = [*extra, *overrides]
    return overrides, load_config(config, overrides)


class PostfixStack:
    """A private Postfix relaying to a sink, wired to the milter (or to no milter).

    The instance lives in a fresh directory under /tmp rather than in `workdir`: Postfix's
    unprivileged processes must be able to reach it (pytest's tmp dirs are private to
    root), and unix socket paths are limited to 107 bytes. `workdir` is the caller's; the
    milter's quarantine store and decision log go there unless the config names them
    (`settings` is the config the milter runs with).
    """

    def __init__(self, workdir: Path, with_milter: bool = True, config: Path | None = None,
                 overrides: list[str] | None = None, dump: bool = True) -> None:
        self.workdir = workdir
        self.base = short_tmpdir("em-stack-")
        self.sink = SmtpSink(self.base / "sink", dump=dump)
        self.milter: MilterProcess | None = None
        self.settings: Config | None = None
        if with_milter:
            overrides, self.settings = private_state(workdir, config, overrides)
            self.milter = MilterProcess(self.base / "milter", self.base / "milter.sock",
                                        config, overrides)
        self.postfix = PostfixInstance(self.base / "postfix", self.sink,
                                       self.milter.postfix_spec if self.milter else None)

    def start(self) -> None:
        try:
            self.sink.start()
            if self.milter is not None:
                self.milter.start()
            self.postfix.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        try:
            self.postfix.stop()
        finally:
            try:
                if self.milter is not None and self.milter.running():
                    self.milter.stop()
            finally:
                self.sink.stop()
                self._keep_logs()
                shutil.rmtree(self.base, ignore_errors=True)

    @property
    def store_dir(self) -> Path | None:
        """The milter's quarantine store, when it uses the store backend."""
        settings = self.settings
        if settings is None or settings.quarantine.backend != "store":
            return None
        return Path(settings.quarantine.directory)

    def _keep_logs(self) -> None:
        """Copy the milter and Postfix logs into `workdir` for a post-mortem."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for source, name in ((self.base / "milter" / "milter.log", "milter.log"),
                             (self.base / "postfix" / "log" / "maillog", "maillog")):
            if source.exists():
                shutil.copyfile(source, self.workdir / name)

    def __enter__(self) -> PostfixStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SendmailStack:
    """A private Sendmail relaying to a sink on 127.0.0.2, wired to the milter."""

    def __init__(self, workdir: Path, config: Path | None = None,
                 overrides: list[str] | None = None) -> None:
        self.workdir = workdir
        self.base = short_tmpdir("em-sm-")
        self.sink = SmtpSink(self.base / "sink", host=SINK_HOST)
        overrides, self.settings = private_state(workdir, config, overrides)
        self.milter = MilterProcess(self.base / "milter", self.base / "milter.sock",
                                    config, overrides)
        self.sendmail = SendmailInstance(self.base / "sendmail", ensure_sendmail(), self.sink,
                                         self.milter.postfix_spec)

    def start(self) -> None:
        try:
            self.sink.start()
            self.milter.start()
            self.sendmail.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        try:
            self.sendmail.stop()
        finally:
            try:
                if self.milter.running():
                    self.milter.stop()
            finally:
                self.sink.stop()
                self.workdir.mkdir(parents=True, exist_ok=True)
                for source in (self.base / "milter" / "milter.log",
                               self.base / "sendmail" / "sendmail.out"):
                    if source.exists():
                        shutil.copyfile(source, self.workdir / source.name)
                shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> SendmailStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
