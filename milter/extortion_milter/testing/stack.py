"""Sink + milter + Postfix, started and stopped together."""

from __future__ import annotations

import shutil
from pathlib import Path

from .milterproc import MilterProcess
from .postfix import PostfixInstance
from .procs import short_tmpdir
from .sendmail import SINK_HOST, SendmailInstance, ensure_sendmail
from .sink import SmtpSink


class PostfixStack:
    """A private Postfix relaying to a sink, wired to the milter (or to no milter).

    The instance lives in a fresh directory under /tmp rather than in `workdir`: Postfix's
    unprivileged processes must be able to reach it (pytest's tmp dirs are private to
    root), and unix socket paths are limited to 107 bytes. `workdir` is the caller's.
    """

    def __init__(self, workdir: Path, with_milter: bool = True, config: Path | None = None,
                 overrides: list[str] | None = None, dump: bool = True) -> None:
        self.workdir = workdir
        self.base = short_tmpdir("em-stack-")
        self.sink = SmtpSink(self.base / "sink", dump=dump)
        self.milter: MilterProcess | None = None
        if with_milter:
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
