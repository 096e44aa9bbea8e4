"""Postfix's smtp-sink as the next hop: it accepts everything and dumps each message."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .procs import HarnessError, free_port, port_open, require_root, user_ids, wait_until

_PSEUDO_HEADERS = (
    b"X-Client-Addr:", b"X-Client-Proto:", b"X-Helo-Args:", b"X-Mail-Args:", b"X-Rcpt-Args:",
)


@dataclass(frozen=True)
class SunkMessage:
    path: Path
    mail_from: str
    rcpts: tuple[str, ...]
    raw: bytes  # the message as the sink received it, LF line ends

    @property
    def headers(self) -> bytes:
        return self.raw.split(b"\n\n", 1)[0]

    @property
    def body(self) -> bytes:
        parts = self.raw.split(b"\n\n", 1)
        return parts[1] if len(parts) > 1 else b""

    def header_values(self, name: str) -> list[str]:
        """Values of header `name`, unfolded."""
        import email.parser
        import email.policy

        msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)
        return [str(v).replace("\n", "").replace("\r", "") for v in msg.get_all(name) or []]


def parse_dump(path: Path) -> SunkMessage:
    data = path.read_bytes()
    lines = data.split(b"\n")
    mail_from, rcpts = "", []
    i = 0
    while i < len(lines) and lines[i].startswith(_PSEUDO_HEADERS):
        line = lines[i]
        if line.startswith(b"X-Mail-Args:"):
            mail_from = line.split(b":", 1)[1].strip().decode(errors="replace")
        elif line.startswith(b"X-Rcpt-Args:"):
            rcpts.append(line.split(b":", 1)[1].strip().decode(errors="replace"))
        i += 1
    # smtp-sink's own Received: header and its continuation lines come next.
    if i < len(lines) and lines[i].startswith(b"Received:") and b"smtp-sink" in b"".join(
        lines[i:i + 3]
    ):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    raw = b"\n".join(lines[i:])
    if raw.endswith(b"\n\n"):
        raw = raw[:-1]  # smtp-sink ends every dump with an extra empty line
    return SunkMessage(path, mail_from, tuple(rcpts), raw)


class SmtpSink:
    """`smtp-sink` on HOST:PORT writing one file per message into `dump_dir`."""

    def __init__(self, dump_dir: Path, port: int | None = None, dump: bool = True,
                 host: str = "127.0.0.1") -> None:
        self.dump_dir = dump_dir
        self.host = host
        self.port = port or free_port(host)
        self.dump = dump
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        require_root("smtp-sink as the postfix user")
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        uid, gid = user_ids("postfix")
        os.chown(self.dump_dir, uid, gid)
        argv = ["smtp-sink", "-u", "postfix"]
        if self.dump:
            argv += ["-d", f"{self.dump_dir}/%H%M%S."]
        argv += [f"{self.host}:{self.port}", "1000"]
        try:
            self._proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE)
        except OSError as exc:
            raise HarnessError(f"cannot start smtp-sink (is postfix installed?): {exc}") from exc
        wait_until(lambda: port_open(self.host, self.port) or self._exited(), 10,
                   "smtp-sink to listen")
        if self._exited():
            raise HarnessError(f"smtp-sink exited: {self._stderr()}")

    def _exited(self) -> bool:
        return self._proc is not None and self._proc.poll() is not None

    def _stderr(self) -> str:
        if self._proc is None or self._proc.stderr is None:
            return ""
        return self._proc.stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def files(self) -> list[Path]:
        return sorted(p for p in self.dump_dir.iterdir() if p.is_file())

    def messages(self, settle: float = 0.2) -> list[SunkMessage]:
        """Every message received so far, once their files stopped growing."""
        files = self.files()
        sizes = [p.stat().st_size for p in files]
        time.sleep(settle)
        while sizes != [p.stat().st_size for p in files]:
            sizes = [p.stat().st_size for p in files]
            time.sleep(settle)
        return [parse_dump(p) for p in files]

    def wait_for(self, count: int, timeout: float = 30) -> list[SunkMessage]:
        wait_until(lambda: len(self.files()) >= count, timeout, f"{count} message(s) at the sink")
        return self.messages()

    def find(self, marker: str, timeout: float = 30) -> SunkMessage:
        """The message whose raw text contains `marker` (a unique token per test)."""
        found: list[SunkMessage] = []

        def seen() -> bool:
            found[:] = [m for m in self.messages(0.05) if marker.encode() in m.raw]
            return bool(found)

        wait_until(seen, timeout, f"a message containing {marker!r} at the sink")
        return found[0]

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
