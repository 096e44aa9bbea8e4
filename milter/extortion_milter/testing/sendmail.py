"""A private Sendmail on loopback, run from Debian's unpacked .debs (REFERENCE §6).

`sendmail-bin` conflicts with the `postfix` package, so it is never installed: the .debs
are fetched with `apt-get download` once, unpacked into a cache directory, and run from
there. What makes it work (and start in well under a second):
- the copied `sendmail` binary loses its setgid bit, so LD_LIBRARY_PATH reaches the
  unpacked libwrap;
- it runs in a private mount namespace with a hosts file bind-mounted over /etc/hosts
  that gives this machine a fully qualified name (else it stalls ~60 s resolving itself),
  plus its own HostsFile and a files-only ServiceSwitchFile;
- the sink listens on 127.0.0.2, since Sendmail refuses to relay to an address it
  considers its own;
- DontBlameSendmail=TrustStickyBit, so a milter socket under /tmp is accepted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .procs import HarnessError, free_port, port_open, require_root, run, wait_until
from .sink import SmtpSink
from .smtp import SendResult, send_message

DEBS = ("sendmail-bin", "sendmail-base", "sendmail-cf", "libwrap0")
CACHE_ENV = "EXTORTION_SENDMAIL_CACHE"
DEFAULT_CACHE = Path.home() / ".cache" / "extortion-milter" / "sendmail"
SINK_HOST = "127.0.0.2"
LIB_DIR = "usr/lib/x86_64-linux-gnu"

MC = """\
divert(-1)
divert(0)dnl
include(`{cf}/m4/cf.m4')dnl
VERSIONID(`extortion-milter test harness')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mx.harness.test')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`QUEUE_DIR', `{root}/queue')dnl
define(`confPID_FILE', `{root}/sendmail.pid')dnl
define(`STATUS_FILE', `{root}/statistics')dnl
define(`ALIAS_FILE', `')dnl
define(`confHELP_FILE', `')dnl
define(`confDEF_USER_ID', `mail:mail')dnl
define(`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe,TrustStickyBit')dnl
define(`confSERVICE_SWITCH_FILE', `{root}/service.switch')dnl
define(`confHOSTS_FILE', `{root}/hosts')dnl
define(`SMART_HOST', `[{sink_host}]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {sink_port}')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {sink_port}')dnl
define(`confTO_QUEUERETURN', `1d')dnl
define(`confLOG_LEVEL', `9')dnl
FEATURE(`promiscuous_relay')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`accept_unqualified_senders')dnl
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Port={smtp_port}, Addr=127.0.0.1, Name=MTA')dnl
{milter}MAILER(`smtp')dnl
"""
MILTER_LINE = (
    "INPUT_MAIL_FILTER(`extortion', `S={socket}, F=T, T=C:10s;S:10s;R:10s;E:1m')dnl\n"
)


@dataclass(frozen=True)
class SendmailDist:
    """Unpacked .debs: the (non-setgid) binary, its libraries and the cf macros."""

    root: Path

    @property
    def binary(self) -> Path:
        return self.root / "sendmail"

    @property
    def cf_dir(self) -> Path:
        return self.root / "unpacked" / "usr" / "share" / "sendmail" / "cf"

    @property
    def lib_dir(self) -> Path:
        return self.root / "unpacked" / LIB_DIR

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = str(self.lib_dir)
        return env


def ensure_sendmail(cache: Path | None = None) -> SendmailDist:
    """Fetch (once) and unpack Sendmail's .debs into `cache`; HarnessError if impossible."""
    cache = cache or Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE))
    dist = SendmailDist(cache)
    if dist.binary.exists() and (dist.cf_dir / "m4" / "cf.m4").exists():
        return dist
    for tool in ("apt-get", "dpkg-deb", "m4", "unshare", "mount"):
        if shutil.which(tool) is None:
            raise HarnessError(f"the Sendmail harness needs `{tool}` on PATH")
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [name for name in DEBS if not list(debs.glob(f"{name}_*.deb"))]
    if missing:
        try:
            subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True,
                           capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise HarnessError(
                f"cannot fetch {' '.join(missing)} with apt-get download into {debs} "
                f"(run `apt-get update` first, or put the .debs there): {detail}"
            ) from exc
    unpacked = cache / "unpacked"
    for deb in sorted(debs.glob("*.deb")):
        run(["dpkg-deb", "-x", str(deb), str(unpacked)], f"unpacking {deb.name}")
    source = unpacked / "usr" / "libexec" / "sendmail" / "sendmail"
    if not source.exists():
        raise HarnessError(f"no sendmail binary in the unpacked .debs at {source}")
    shutil.copyfile(source, dist.binary)
    dist.binary.chmod(0o755)  # no setgid: the dynamic loader then honours LD_LIBRARY_PATH
    return dist


class SendmailInstance:
    """Sendmail on 127.0.0.1:PORT in `root`, relaying everything to a sink on 127.0.0.2."""

    def __init__(self, root: Path, dist: SendmailDist, sink: SmtpSink,
                 milter_socket: str | None = None) -> None:
        if sink.host != SINK_HOST:
            raise HarnessError(f"the Sendmail sink must listen on {SINK_HOST}")
        self.root = root
        self.dist = dist
        self.sink = sink
        self.milter_socket = milter_socket  # libmilter syntax: unix:/path
        self.smtp_port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def cf(self) -> Path:
        return self.root / "sendmail.cf"

    def write_config(self) -> None:
        (self.root / "queue").mkdir(parents=True, exist_ok=True)
        (self.root / "queue").chmod(0o700)
        fqdn = f"{socket.gethostname()}.harness.test"
        hosts = f"127.0.0.1 localhost\n127.0.0.1 {fqdn} {socket.gethostname()}\n"
        (self.root / "hosts").write_text(hosts)
        (self.root / "service.switch").write_text("hosts files\naliases files\n")
        milter = MILTER_LINE.format(socket=self.milter_socket) if self.milter_socket else ""
        mc = MC.format(cf=self.dist.cf_dir, root=self.root, sink_host=SINK_HOST,
                       sink_port=self.sink.port, smtp_port=self.smtp_port, milter=milter)
        (self.root / "sendmail.mc").write_text(mc)
        self.cf.write_text(run(["m4", str(self.root / "sendmail.mc")], "m4 sendmail.mc"))

    def _argv(self, *args: str) -> list[str]:
        """Sendmail with our cf, in a private mount namespace whose /etc/hosts is ours.

        Positional parameters keep the paths out of the shell's parsing.
        """
        return ["unshare", "-m", "sh", "-c",
                'mount --bind "$1" /etc/hosts && shift && exec "$@"', "sh",
                str(self.root / "hosts"), str(self.dist.binary), "-C", str(self.cf), *args]

    def start(self) -> None:
        require_root("a private Sendmail")
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config()
        argv = self._argv("-bD", "-q5s")
        with open(self.root / "sendmail.out", "wb") as log:
            try:
                self._proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                              env=self.dist.env(), start_new_session=True)
            except OSError as exc:
                raise HarnessError(f"cannot start Sendmail: {exc}") from exc
        # Usually under a second; a loaded 2-core machine has been seen to need over 30 s.
        try:
            wait_until(lambda: port_open("127.0.0.1", self.smtp_port) or self._exited(), 120,
                       f"Sendmail on 127.0.0.1:{self.smtp_port}")
        except HarnessError as exc:
            raise HarnessError(f"{exc}; Sendmail said:\n{self.output()}") from None
        if self._exited():
            raise HarnessError(f"Sendmail exited:\n{self.output()}")

    def _exited(self) -> bool:
        return self._proc is not None and self._proc.poll() is not None

    def output(self) -> str:
        path = self.root / "sendmail.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._proc = None

    def send(self, raw: bytes, mail_from: str = "sender@example.org",
             rcpts: tuple[str, ...] = ("user@example.com",)) -> SendResult:
        return send_message("127.0.0.1", self.smtp_port, raw, mail_from, rcpts)

    def quarantine_listing(self) -> str:
        """`sendmail -bp -qQ`: quarantined messages with their reason."""
        return run(self._argv("-bp", "-qQ"), "sendmail -bp -qQ", env=self.dist.env(),
                   timeout=30)

    def __enter__(self) -> SendmailInstance:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
