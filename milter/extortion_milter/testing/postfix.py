"""A private Postfix instance on loopback (REFERENCE §7): own config, queue and log, relaying
everything to a sink, optionally wired to a milter. Several can run side by side."""

from __future__ import annotations

import json
import smtplib
import time
from dataclasses import dataclass
from pathlib import Path

from .procs import HarnessError, free_port, port_open, require_root, run, wait_until
from .sink import SmtpSink
from .smtp import SendResult, send_message

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.harness.test
mydomain = harness.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:{sink_port}
smtp_dns_support_level = disabled
smtp_connection_cache_on_demand = yes
maillog_file = {root}/log/maillog
maillog_file_prefixes = {root}
biff = no
smtpd_banner = $myhostname ESMTP
message_size_limit = 52428800
# Deferred mail is retried soon: a test waits for a flush, not for hours.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtpd_milters = {milters}
non_smtpd_milters = {milters}
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 10s
milter_content_timeout = 60s
"""

# Every service unchained (chroot n): the instance lives outside /var/spool/postfix.
MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


@dataclass(frozen=True)
class QueueEntry:
    queue_id: str
    queue_name: str  # "hold", "active", "deferred", "incoming", "maildrop"
    sender: str
    reason: str  # delay reason of deferred recipients, if any


class PostfixInstance:
    """`root/etc` (main.cf, master.cf), `root/queue`, `root/data`, `root/log/maillog`."""

    def __init__(self, root: Path, sink: SmtpSink, milter: str | None = None,
                 smtp_port: int | None = None) -> None:
        self.root = root
        self.sink = sink
        self.milter = milter  # Postfix syntax: unix:/path or inet:host:port
        self.smtp_port = smtp_port or free_port()
        self.etc = root / "etc"
        self._started = False

    # --- lifecycle ---------------------------------------------------------------------

    def write_config(self) -> None:
        for sub in ("etc", "queue", "data", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.etc / "main.cf").write_text(MAIN_CF.format(
            root=self.root, sink_port=self.sink.port, milters=self.milter or "",
        ))
        (self.etc / "master.cf").write_text(MASTER_CF.format(smtp_port=self.smtp_port))

    def start(self) -> None:
        require_root("a private Postfix instance")
        self.write_config()
        run(["postfix", "-c", str(self.etc), "set-permissions"], "postfix set-permissions")
        try:
            run(["postfix", "-c", str(self.etc), "start"], "postfix start")
        except HarnessError as exc:
            tail = "\n".join(self.maillog().splitlines()[-10:])
            raise HarnessError(f"{exc}\nPostfix log:\n{tail}") from None
        self._started = True
        wait_until(lambda: port_open("127.0.0.1", self.smtp_port), 20,
                   f"Postfix smtpd on 127.0.0.1:{self.smtp_port}")

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            run(["postfix", "-c", str(self.etc), "stop"], "postfix stop")
        except HarnessError:
            run(["postfix", "-c", str(self.etc), "abort"], "postfix abort")
        pid_file = self.root / "queue" / "pid" / "master.pid"
        wait_until(lambda: not _alive(pid_file), 20, "Postfix master to exit")

    def __enter__(self) -> PostfixInstance:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- sending -----------------------------------------------------------------------

    def send(self, raw: bytes, mail_from: str = "sender@example.org",
             rcpts: tuple[str, ...] = ("user@example.com",)) -> SendResult:
        return send_message("127.0.0.1", self.smtp_port, raw, mail_from, rcpts)

    # --- queue -------------------------------------------------------------------------

    def queue(self) -> list[QueueEntry]:
        out = run(["postqueue", "-c", str(self.etc), "-j"], "postqueue -j")
        entries = []
        for line in out.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            reasons = [r.get("delay_reason", "") for r in item.get("recipients", [])]
            entries.append(QueueEntry(item["queue_id"], item["queue_name"],
                                      item.get("sender", ""), "; ".join(filter(None, reasons))))
        return entries

    def queue_listing(self) -> str:
        """`postqueue -p`: a held message's id carries a `!`."""
        return run(["postqueue", "-c", str(self.etc), "-p"], "postqueue -p")

    def held(self) -> list[QueueEntry]:
        return [e for e in self.queue() if e.queue_name == "hold"]

    def flush(self) -> None:
        run(["postqueue", "-c", str(self.etc), "-f"], "postqueue -f")

    def release_all(self) -> None:
        run(["postsuper", "-c", str(self.etc), "-H", "ALL"], "postsuper -H ALL")

    def wait_queue_empty(self, timeout: float = 30, ignore_hold: bool = True) -> None:
        def empty() -> bool:
            return not [e for e in self.queue() if not (ignore_hold and e.queue_name == "hold")]

        wait_until(empty, timeout, "the Postfix queue to drain", interval=0.2)

    def maillog(self) -> str:
        path = self.root / "log" / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, text: str, timeout: float = 20) -> None:
        wait_until(lambda: text in self.maillog(), timeout, f"{text!r} in the Postfix log")


def _alive(pid_file: Path) -> bool:
    import os

    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def smtp_ready(host: str, port: int) -> bool:
    try:
        with smtplib.SMTP(host, port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def now() -> float:
    return time.monotonic()
