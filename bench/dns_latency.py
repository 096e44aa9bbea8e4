"""Latency DNS adds to a message, against a DNS server on loopback.

Runs the milter's sequence for each message - connection (client-IP lists), message (sender
domain), prepare, content (wallets, SPF), collect, decide - with every check enabled (two
client zones, two wallet zones, SPF for self-sent mail, the sender domain). Every message
has its own client IP, sender domain, From domain and wallet addresses, so each lookup is
a real packet (cold cache); a warm pass repeats the first message. The SMTP session is
taken to last no time at all (connect, MAIL FROM and end of data back to back), the worst
case for the lookups started at connect. Reported per message: the time spent in DNS calls
(the engine's own work excluded), and the end-of-data wait alone (content + collect).

Servers, each in a process of its own: dnsmasq (a C server answering like a local caching
resolver with everything in cache: NXDOMAIN for the unlisted names), the test suite's
dnspython responder (tests/dnsserver.py, slower per packet), and one that never answers,
with the silent-resolver pause off (every message pays the budget) and on (the default).

    python bench/dns_latency.py [--messages 200] [--budget-ms 500]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import base58  # noqa: E402
from tests.dnsserver import (  # noqa: E402
    BL_ZONE,
    BL_ZONE_V4ONLY,
    WALLET_RAW_ZONE,
    WALLET_SHA1_ZONE,
)

from extortion_milter.config.build import build_engine  # noqa: E402
from extortion_milter.config.loader import load_config  # noqa: E402
from extortion_milter.config.schema import DnsblZone, DnsConfig, WalletZone  # noqa: E402
from extortion_milter.dns import CachingResolver, DnsChecker  # noqa: E402
from extortion_milter.engine.engine import Engine  # noqa: E402
from extortion_milter.engine.types import Envelope  # noqa: E402

TEMPLATE = (
    "From: Victim <victim@d{i}.test>\r\nTo: victim@d{i}.test\r\nSubject: Your account\r\n"
    "Message-ID: <bench{i}@d{i}.test>\r\n\r\n"
    "I sent this message from your own account. I recorded you through your webcam.\r\n"
    "Send $1450 in bitcoin to {w1} or {w2} within 48 hours.\r\n"
)


def wallet(rng: random.Random) -> str:
    """A checksum-valid P2PKH address nobody uses."""
    return base58.b58encode_check(b"\x00" + rng.randbytes(20)).decode()


def messages(count: int) -> list[tuple[bytes, Envelope]]:
    rng = random.Random(6)
    result = []
    for i in range(count):
        raw = TEMPLATE.format(i=i, w1=wallet(rng), w2=wallet(rng)).encode()
        ip = f"45.{33 + i // 65000}.{(i // 250) % 250 + 1}.{i % 250 + 1}"
        result.append((raw, Envelope(client_ip=ip, helo=f"h{i}.example",
                                     mail_from=f"bounce@s{i}.test",
                                     rcpts=(f"victim@d{i}.test",))))
    return result


@contextlib.contextmanager
def server_process(*args: str) -> Iterator[int]:
    """tests/dnsserver.py in its own process; yields its port."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.dnsserver", *args], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def dnsmasq_process() -> Iterator[int | None]:
    """dnsmasq answering for *.test from its own records: NXDOMAIN for everything else."""
    binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    if not Path(binary).exists():
        yield None
        return
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([binary, "--keep-in-foreground", f"--port={port}",
                             "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
                             "--no-hosts", "--conf-file=/dev/null", "--pid-file=",
                             "--local=/test/", "--log-facility=/dev/null"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def dns_config(port: int, budget_ms: int) -> DnsConfig:
    return DnsConfig(
        nameservers=("127.0.0.1",), port=port, budget_ms=budget_ms,
        client_blocklists=(DnsblZone(BL_ZONE), DnsblZone(BL_ZONE_V4ONLY, ipv6=False)),
        wallet_blocklists=(WalletZone(WALLET_RAW_ZONE, "raw"),
                           WalletZone(WALLET_SHA1_ZONE, "sha1")),
    )


def run(engine: Engine, checker: DnsChecker,
        batch: list[tuple[bytes, Envelope]]) -> tuple[list[float], list[float]]:
    """Per message, in milliseconds: the time spent in DNS calls from connect to collect
    (the engine's own prepare and decide excluded: they run with or without DNS), and
    the end-of-data wait alone (content + collect)."""
    added, eom = [], []
    for raw, envelope in batch:
        started = time.perf_counter()
        connection = checker.connection(envelope.client_ip)
        connection.set_helo(envelope.helo)
        message = connection.message(envelope.mail_from)
        session = time.perf_counter() - started
        facts = engine.prepare(raw)
        eom_started = time.perf_counter()
        message.content(facts)
        external = message.collect()
        wait = time.perf_counter() - eom_started
        engine.decide(facts, envelope, external)
        eom.append(wait * 1000)
        added.append((session + wait) * 1000)
    return added, eom


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"median {statistics.median(ordered):7.2f}  p95 {p95:7.2f}  "
            f"max {ordered[-1]:7.2f} ms")


def report(label: str, result: tuple[list[float], list[float]], checker: DnsChecker) -> float:
    added, eom = result
    stats = checker.stats()
    print(f"{label}: {stats.get('queries', 0)} packets, {stats.get('timeout', 0)} timeouts, "
          f"{stats.get('skipped', 0)} skipped\n"
          f"    DNS time per message  {summary(added)}\n"
          f"    end-of-data wait      {summary(eom)}")
    return max(added)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--dead-messages", type=int, default=20)
    parser.add_argument("--budget-ms", type=int, default=500)
    args = parser.parse_args()
    engine = build_engine(load_config(None, ["rules.local_dir="]))
    batch = messages(args.messages)
    for raw, envelope in batch[:20]:
        engine.scan(raw, envelope)  # warm up
    started = time.perf_counter()
    for raw, envelope in batch:
        engine.scan(raw, envelope)
    baseline = (time.perf_counter() - started) / len(batch)
    print(f"{len(batch)} self-sent messages with 2 wallet addresses each; engine without DNS "
          f"{baseline * 1000:.2f} ms/message; budget {args.budget_ms} ms; lookups per message: "
          "2 client zones, 2 addresses x 2 wallet zones, SPF, sender MX (+A/AAAA)")
    budget = args.budget_ms / 1000

    with dnsmasq_process() as port:
        if port is None:
            print("dnsmasq not installed: skipped")
        else:
            checker = DnsChecker(dns_config(port, args.budget_ms))
            report("dnsmasq, cold cache", run(engine, checker, batch), checker)
            checker.close()

    with server_process() as port:
        checker = DnsChecker(dns_config(port, args.budget_ms))
        report("test responder, cold cache", run(engine, checker, batch), checker)
        checker.close()
        warm = DnsChecker(dns_config(port, args.budget_ms))
        run(engine, warm, batch[:1])
        report("test responder, warm cache (one message repeated)",
               run(engine, warm, batch[:1] * len(batch)), warm)
        warm.close()

    with server_process("--drop") as dead_port:
        config = dns_config(dead_port, args.budget_ms)
        nopause = DnsChecker(config, resolver=CachingResolver(
            config.nameservers, config.port, try_timeout=budget / 2.5, pause_after=0))
        worst = report("never-answering server, pause off",
                       run(engine, nopause, batch[:args.dead_messages]), nopause)
        paused = DnsChecker(config)
        worst = max(worst, report("never-answering server, default pause",
                                  run(engine, paused, batch[:args.dead_messages * 5]),
                                  paused))
        nopause.close()
        paused.close()
    ok = worst <= args.budget_ms + 50
    print(f"worst added latency with a dead server: {worst:.1f} ms "
          f"({'within' if ok else 'OVER'} the {args.budget_ms} ms budget + 50 ms scheduling)")
    return 0 if ok else 1

if __name__ == "__main__":
    raise SystemExit(main())
