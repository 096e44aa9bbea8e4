"""Engine throughput, in-process, without start-up.

Scans every message of the given folders (default: tests/corpus, plus the public ham in
../shared/corpus/ham when present) several times and prints messages per second, median and
p99 milliseconds per message, for the full engine and for a baseline measured in the same
run: parsing alone (`parse_message`), which every scan must do anyway, and the engine
with only the language-independent and English packs (the rule set before the other
languages were added), to show what the language packs cost.

    python bench/engine.py [--rounds 3] [--rules DIR] [--cpu] [--cold] [DIR ...]

--rules reads the packs from DIR instead of the configured ones, so a before/after
comparison can hold the rules still while they are being edited (e.g. a copy of rules/
made before the change). --cpu times each message in thread CPU time instead of wall-clock
time: on a shared machine other processes' load then inflates the figures far less.
--cold writes to every cache line of 64 MiB before each timed scan, evicting the data
caches as the MTA's processes do between two messages the milter sees. Inside the milter a
scan costs more than a warm loop says: on the benchmark's 4 KiB message 0.12 ms warm,
0.28 ms with --cold and about 0.5 ms measured in the milter under Postfix (where code
caches and branch predictors are cold too), so --cold is the closer, still optimistic,
figure for the milter's CPU per message.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from extortion_milter.cli.inputs import iter_messages
from extortion_milter.config.build import build_engine
from extortion_milter.config.loader import load_config
from extortion_milter.engine.message import parse_message

REPO = Path(__file__).resolve().parents[1]
CORE_EN = ("00", "05", "10")  # file-name prefixes of the core, DNS and English packs
DEFAULT_DIRS = [REPO / "tests" / "corpus", REPO.parent / "shared" / "corpus" / "ham"]


def measure(
    label: str,
    func: Callable[[bytes], object],
    messages: list[bytes],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
    before: Callable[[], object] | None = None,
) -> float:
    times: list[float] = []
    for _ in range(rounds):
        for raw in messages:
            if before is not None:
                before()
            start = clock()
            func(raw)
            times.append(clock() - start)
    total = sum(times)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    rate = len(times) / total
    print(
        f"{label:<14} {rate:>9.0f} msg/s   median {statistics.median(times) * 1000:6.3f} ms   "
        f"p99 {p99 * 1000:7.3f} ms   max {times[-1] * 1000:7.2f} ms"
    )
    return total / len(times)


def cache_evicter() -> Callable[[], None]:
    """A function that writes one byte of every cache line of 64 MiB. Made only for
    --cold: the buffer alone (resident, 64 MiB) slowed warm scans by 5-10%."""
    eviction = bytearray(64 * 1024 * 1024)
    stride = bytes(len(eviction[::64]))

    def evict() -> None:
        eviction[::64] = stride

    return evict


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rules", type=Path, help="read the rule packs from this directory")
    parser.add_argument("--cpu", action="store_true", help="time in thread CPU, not wall-clock")
    parser.add_argument("--cold", action="store_true",
                        help="evict the CPU caches before each scan (as inside the milter)")
    args = parser.parse_args()
    clock = time.thread_time if args.cpu else time.perf_counter
    before = cache_evicter() if args.cold else None
    dirs = args.dirs or [d for d in DEFAULT_DIRS if d.exists()]
    messages = [m.raw for m in iter_messages([str(d) for d in dirs]) if m.raw is not None]
    if not messages:
        print("no messages found in " + ", ".join(map(str, dirs)), file=sys.stderr)
        return 1
    rules_dir: Path = args.rules or REPO / "rules"
    every_pack = [str(p) for p in sorted(rules_dir.glob("*.yaml"))]
    overrides = [f"rules.paths=[{', '.join(every_pack)}]"] if args.rules else []
    engine = build_engine(load_config(None, ["rules.local_dir=", *overrides]))
    size = sum(map(len, messages)) / len(messages)
    print(
        f"{len(messages)} messages (mean {size / 1024:.1f} KiB) from {', '.join(map(str, dirs))}; "
        f"{len(engine.ruleset.all_rules)} rules; {args.rounds} rounds; "
        f"{'thread CPU' if args.cpu else 'wall-clock'} time{', cold caches' if args.cold else ''}"
    )
    for raw in messages[:50]:  # warm caches (confusables table, RE2 DFAs) before timing
        engine.scan(raw)
    packs = [p for p in every_pack if Path(p).name[:2] in CORE_EN]
    core_en = build_engine(
        load_config(None, ["rules.local_dir=", f"rules.paths=[{', '.join(packs)}]"])
    )
    for raw in messages[:50]:
        core_en.scan(raw)
    base = measure("parse only", lambda raw: parse_message(raw, engine.limits), messages,
                   args.rounds, clock, before)
    english = measure("core+en packs", core_en.scan, messages, args.rounds, clock, before)
    full = measure("all packs", engine.scan, messages, args.rounds, clock, before)
    print(f"all packs / parse only:    {full / base:.2f}x time per message")
    print(f"all packs / core+en packs: {full / english:.2f}x time per message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
