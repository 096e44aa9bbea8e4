"""Throughput through a real Postfix with and without the milter, and its CPU per message.

Private Postfix instances on loopback relay to sinks (no dumps): one without a milter (the
baseline); one wired to a trivial pymilter milter (bench/trivial_milter.py: the floor that
libmilter and pymilter set); one wired to `extortion-milter run` with a one-rule file (the
adapter and the engine's fixed cost: parsing, normalizing, address search); one wired to
`extortion-milter run` on its defaults (the shipped rules). `smtp-source` pushes the same
load through each in alternating rounds; the figures are medians over the rounds.

    python3 bench/postfix_throughput.py [--rounds 5] [--messages 500] [--size 4096]
                                        [--message FILE] [--pin-cpu N]

By default smtp-source makes the message (`-l SIZE`: four headers and lines of X);
`--message FILE` sends a real one instead (`smtp-source -F`), e.g. a ham message.
`--pin-cpu N` adds a setup: ours on defaults with every thread bound to CPU N, as
systemd's `CPUAffinity=N` would (docs/install.md): one Python process runs one thread
at a time anyway, and the GIL handed between cores costs CPU.

Needs root and postfix (smtp-source, smtp-sink). Prints:
- messages/s per setup and the ratio to the baseline (goal: >= 0.70);
- the milter's CPU milliseconds per message, from /proc/PID/stat (goal: <= 1 ms at 4 KiB);
- for comparison, the CPU of `Engine.scan` alone, in this process, on the very bytes the
  milter receives (captured at a sink first) with each rule set, warm (a tight loop) and
  cold (caches evicted before each scan, as between two messages under an MTA): what the
  milter costs beyond the cold figure is libmilter, pymilter and the adapter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine import cache_evicter  # bench/engine.py, beside this script
from extortion_milter.config.build import build_engine
from extortion_milter.config.loader import load_config
from extortion_milter.engine.types import Envelope
from extortion_milter.testing.postfix import PostfixInstance
from extortion_milter.testing.procs import HarnessError, short_tmpdir, wait_until
from extortion_milter.testing.sink import SmtpSink
from extortion_milter.testing.stack import PostfixStack

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MINIMAL_RULES = """\
rules:
  - id: BENCH_NEVER
    description: A phrase no benchmark message contains.
    phrases: [zq-never-present-zq]
    score: 1
"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def push(port: int, messages: int, size: int, sessions: int,
         message: Path | None = None) -> float:
    """Send `messages` with smtp-source (its own message of `size` bytes, or the file
    `message`); the wall-clock seconds it took."""
    content = ["-F", str(message)] if message else ["-l", str(size)]
    argv = ["smtp-source", "-s", str(sessions), "-m", str(messages), *content,
            "-f", "bench@src.test", "-t", "sink@dst.test", f"127.0.0.1:{port}"]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or proc.stderr.strip():
        raise HarnessError(f"smtp-source failed: {proc.stderr.strip()}")
    return elapsed


def sent_bytes(size: int, message: Path | None) -> bytes:
    """The message as a milter receives it: one smtp-source message captured at a sink
    (smtp-sink adds only its Received: header, which the sink parser drops)."""
    sink = SmtpSink(short_tmpdir("em-capture-"), dump=True)
    sink.start()
    try:
        push(sink.port, 1, size, 1, message)
        captured = sink.wait_for(1)[0].raw
    finally:
        sink.stop()
        shutil.rmtree(sink.dump_dir, ignore_errors=True)
    return captured.replace(b"\n", b"\r\n")


def engine_cpu_ms(raw: bytes, overrides: list[str], repeat: int = 500) -> tuple[float, float]:
    """CPU milliseconds of one `Engine.scan` of `raw`, in this process: warm (a tight loop,
    median of 5) and cold (median of `repeat` scans, each after writing to every cache
    line of 64 MiB, as the MTA's processes do between two messages; see bench/engine.py)."""
    engine = build_engine(load_config(None, overrides))
    envelope = Envelope(mail_from="bench@src.test", rcpts=("sink@dst.test",),
                        queue_id="bench")
    for _ in range(50):
        engine.scan(raw, envelope)
    runs = []
    for _ in range(5):
        before = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(repeat):
            engine.scan(raw, envelope)
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        runs.append(used * 1000 / repeat)
    evict = cache_evicter()
    cold = []
    for _ in range(repeat):
        evict()
        start = time.thread_time()
        engine.scan(raw, envelope)
        cold.append((time.thread_time() - start) * 1000)
    return statistics.median(runs), statistics.median(cold)


def peak_rss_mb(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def pin_threads(pid: int | None, cpu: int) -> None:
    """Bind every thread of `pid`, and those it starts later, to `cpu`."""
    assert pid is not None
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            os.sched_setaffinity(int(task.name), {cpu})


class TrivialStack:
    """Sink + bench/trivial_milter.py + Postfix, shaped like PostfixStack for the loop."""

    def __init__(self) -> None:
        self.base = short_tmpdir("em-trivial-")
        self.socket = self.base / "trivial.sock"
        self.sink = SmtpSink(self.base / "sink", dump=False)
        self.postfix = PostfixInstance(self.base / "postfix", self.sink, f"unix:{self.socket}")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.sink.start()
        script = Path(__file__).with_name("trivial_milter.py")
        self.proc = subprocess.Popen([sys.executable, str(script), f"unix:{self.socket}"])
        wait_until(self.socket.exists, 30, "the trivial milter's socket")
        self.socket.chmod(0o666)
        self.postfix.start()

    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        self.postfix.stop()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
        self.sink.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--size", type=int, default=4096, help="message size in bytes")
    parser.add_argument("--sessions", type=int, default=10, help="parallel SMTP sessions")
    parser.add_argument("--message", type=Path,
                        help="send this message file instead of smtp-source's own")
    parser.add_argument("--pin-cpu", type=int, metavar="N",
                        help="also measure ours on defaults bound to CPU N")
    args = parser.parse_args()
    if args.message is not None and not args.message.is_file():
        parser.error(f"--message {args.message}: no such file")

    work = Path(tempfile.mkdtemp(prefix="em-bench-"))
    rules = work / "minimal-rules.yaml"
    rules.write_text(MINIMAL_RULES)
    empty = work / "config.yaml"
    empty.write_text("# built-in defaults\n")
    # The defaults, but quiet: 1 log line per message to a file is not what is measured.
    common = ["rules.local_dir=", "logging.level=warning",
              f"decision_log.path={work}/decisions.log"]
    one_rule = [*common, f"rules.paths=[{rules}]", "dns.enabled=false"]
    setups: dict[str, PostfixStack | TrivialStack] = {
        "no milter": PostfixStack(work / "base", with_milter=False, dump=False),
        "trivial pymilter milter": TrivialStack(),
        "ours, one-rule file": PostfixStack(
            work / "minimal", config=empty, dump=False,
            overrides=one_rule),
        "ours, defaults": PostfixStack(work / "shipped", config=empty, overrides=common,
                                       dump=False),
    }
    pinned = f"ours, defaults, CPU {args.pin_cpu}"
    if args.pin_cpu is not None:
        setups[pinned] = PostfixStack(work / "pinned", config=empty, overrides=common,
                                      dump=False)
    rates: dict[str, list[float]] = {name: [] for name in setups}
    cpu: dict[str, list[float]] = {name: [] for name in setups}
    try:
        for stack in setups.values():
            stack.start()
        if args.pin_cpu is not None:
            pin_threads(_milter_pid(setups[pinned]), args.pin_cpu)
        for stack in setups.values():  # warm-up: caches, first-use imports, Postfix's processes
            push(stack.postfix.smtp_port, 50, args.size, args.sessions, args.message)
            stack.postfix.wait_queue_empty(120)
        for round_no in range(1, args.rounds + 1):
            for name, stack in setups.items():
                pid = _milter_pid(stack)
                before = cpu_seconds(pid) if pid else 0.0
                elapsed = push(stack.postfix.smtp_port, args.messages, args.size,
                               args.sessions, args.message)
                if pid:
                    cpu[name].append((cpu_seconds(pid) - before) * 1000 / args.messages)
                rates[name].append(args.messages / elapsed)
                stack.postfix.wait_queue_empty(300)  # the next round starts on an idle MTA
                print(f"round {round_no} {name:<24} {args.messages / elapsed:8.1f} msg/s",
                      file=sys.stderr)
        peak = {name: peak_rss_mb(pid) for name, stack in setups.items()
                if (pid := _milter_pid(stack))}
    finally:
        for stack in setups.values():
            stack.stop()

    raw = sent_bytes(args.size, args.message)
    engine_alone = {"ours, one-rule file": engine_cpu_ms(raw, one_rule),
                    "ours, defaults": engine_cpu_ms(raw, common)}
    engine_alone[pinned] = engine_alone["ours, defaults"]
    base = statistics.median(rates["no milter"])
    what = args.message.name if args.message else "smtp-source's message"
    print(f"\n{args.rounds} alternating rounds of {args.messages} messages ({what}, "
          f"{len(raw)} bytes), {args.sessions} sessions, unix socket; medians:")
    print(f"{'setup':<24} {'msg/s':>8} {'ratio':>6} {'milter CPU ms/msg':>18} "
          f"{'Engine.scan warm/cold':>22} {'milter peak RSS MB':>19}")
    for name in setups:
        rate = statistics.median(rates[name])
        per_msg = f"{statistics.median(cpu[name]):.2f}" if cpu[name] else "-"
        alone = "-"
        if name in engine_alone:
            warm, cold = engine_alone[name]
            alone = f"{warm:.2f} / {cold:.2f}"
        rss = f"{peak[name]}" if name in peak else "-"
        print(f"{name:<24} {rate:8.1f} {rate / base:6.2f} {per_msg:>18} {alone:>22} {rss:>19}")
    return 0


def _milter_pid(stack: PostfixStack | TrivialStack) -> int | None:
    if isinstance(stack, TrivialStack):
        return stack.pid()
    return stack.milter.pid() if stack.milter else None


if __name__ == "__main__":
    sys.exit(main())
