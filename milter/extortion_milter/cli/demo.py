"""`extortion-milter demo`: see the milter work in a minute, without touching your MTA.

Starts a throwaway Postfix on loopback (its own config, queue and log in a temporary
directory, relaying to a sink) wired to `extortion-milter run`, sends a directory of
messages through it and prints what happened to each: delivered, tagged, quarantined (or
held, with quarantine.backend: hold), rejected.
Needs root (Postfix's master insists) and the postfix package; nothing of the system's own
Postfix is used or changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from pathlib import Path

from ..testing.fates import Fate, Outcome, send_batch
from ..testing.procs import HarnessError
from ..testing.stack import PostfixStack
from .common import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, config_path

EXIT_HARNESS = 1
MAX_MESSAGES = 2000
DEFAULT_SENDER = "demo-sender@example.org"


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo", parents=[common], help="send sample mail through a throwaway Postfix",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="message files or directories (default: the sample corpus, "
                        "tests/corpus)")
    parser.set_defaults(func=run_demo)


def default_corpus() -> Path | None:
    for candidate in (Path.cwd() / "tests" / "corpus",
                      Path(__file__).resolve().parents[3] / "tests" / "corpus"):
        if candidate.is_dir():
            return candidate
    return None


def collect(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*"))
                         if p.is_file() and not p.name.startswith(".") and p.suffix != ".md")
        elif path.is_file():
            files.append(path)
    return files[:MAX_MESSAGES]


def envelope_sender(raw: bytes) -> str:
    """Return-Path, else the From address: what `check` uses for the sender-domain check."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    for name in ("Return-Path", "From"):
        for _display, address in getaddresses([str(v) for v in headers.get_all(name) or []]):
            if "@" in address:
                return address
    return DEFAULT_SENDER


def run_demo(args: argparse.Namespace) -> int:
    paths = list(args.paths) or [p for p in [default_corpus()] if p is not None]
    if not paths:
        print("extortion-milter demo: no PATH given and no tests/corpus found", file=sys.stderr)
        return EXIT_CONFIG
    files = collect(paths)
    if not files:
        print("extortion-milter demo: no message files found", file=sys.stderr)
        return EXIT_INPUT
    messages = []
    for path in files:
        raw = path.read_bytes()
        messages.append((_short_name(path), raw, envelope_sender(raw)))
    workdir = Path(tempfile.mkdtemp(prefix="extortion-milter-demo-"))
    print(f"Starting a private Postfix on loopback and the milter (logs: {workdir}) ...",
          file=sys.stderr)
    try:
        # The demo's decisions and quarantined mail stay in its own directory, whatever
        # the config says: the real store and decision log are never touched.
        store = workdir / "quarantine"
        overrides = [*(args.overrides or []), f"decision_log.path={workdir}/decisions.log",
                     f"quarantine.directory={store}"]
        with PostfixStack(workdir, config=config_path(args), overrides=overrides) as stack:
            print(f"Sending {len(messages)} message(s) ...", file=sys.stderr)
            outcomes = send_batch(stack.postfix, messages, store_dir=stack.store_dir)
            events = stack.milter.message_events() if stack.milter else []
    except HarnessError as exc:
        print(f"extortion-milter demo: {exc}", file=sys.stderr)
        return EXIT_HARNESS
    print_report(outcomes, events, store)
    return EXIT_OK


def print_report(outcomes: list[Outcome], events: list[dict[str, object]],
                 store: Path | None = None) -> None:
    by_queue_id = {str(e.get("queue_id")): e for e in events}
    width = min(60, max(len(o.name) for o in outcomes))
    print(f"{'message':<{width}}  {'fate':<10} {'score':>6}  rules")
    for outcome in outcomes:
        queue_id = outcome.result.queue_id or _ref(outcome.result.text)
        event = by_queue_id.get(queue_id or "", {})
        score = event.get("score", "")
        rules = ",".join(str(r) for r in event.get("rules", []) or [])  # type: ignore[attr-defined]
        name = outcome.name if len(outcome.name) <= width else "..." + outcome.name[-width + 3:]
        print(f"{name:<{width}}  {outcome.fate.value:<10} {score!s:>6}  {rules[:80]}")
    counts = {fate: sum(1 for o in outcomes if o.fate is fate) for fate in Fate}
    print("\n" + ", ".join(f"{n} {fate.value}" for fate, n in counts.items() if n))
    if counts[Fate.QUARANTINED] and store is not None:
        print("Quarantined messages are in the demo's own store; review them as an admin "
              "would:\n"
              f"  extortion-milter quarantine list -o quarantine.directory={store}\n"
              f"  extortion-milter quarantine show ID -o quarantine.directory={store}")
    if counts[Fate.HELD]:
        print("Held messages stay in the hold queue (postqueue -p shows '!'); the milter's "
              "log line per message says why.")


def _short_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _ref(text: str) -> str | None:
    """The queue id quoted in a reject text: `... (ref ABC123)`."""
    if "(ref " in text:
        return text.split("(ref ", 1)[1].split(")", 1)[0]
    return None
