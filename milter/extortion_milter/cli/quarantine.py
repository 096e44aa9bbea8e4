"""`extortion-milter quarantine`: review, release and purge what the milter stopped."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..config.schema import Config
from ..quarantine.decisionlog import read_decisions
from ..quarantine.holdqueue import HeldMessage, HoldQueueError, held_messages, matches
from ..quarantine.index import Filters, Index, open_index
from ..quarantine.release import release
from ..quarantine.render import (
    Row,
    describe,
    header_block,
    message_text,
    row_for_entry,
    table,
    text_block,
)
from ..quarantine.store import EntryNotFound, Store, StoreError, StoreUnreadable, is_valid_id
from ..quarantine.timeparse import parse_age, parse_when
from ..sanitize import one_line
from .common import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, load_config_from_args

DESCRIPTION = """\
Review what the milter quarantined, release false positives and purge the rest.

With quarantine.backend = store the messages are in extortion-milter's own store
(quarantine.directory); IDs look like 20250601-k3jd9x2a, and a Postfix queue id works too.
With quarantine.backend = hold, Postfix keeps them in its hold queue: `list` shows them
(postqueue -j) with the reason from the decision log."""

EPILOG = """\
examples:
  extortion-milter quarantine list --since 2d
  extortion-milter quarantine list --rule 'EXT_*' --rcpt @example.org --json
  extortion-milter quarantine show 20250601-k3jd9x2a
  extortion-milter quarantine release 20250601-k3jd9x2a
  extortion-milter quarantine release 20250601-k3jd9x2a --to postmaster@example.org
  extortion-milter quarantine purge --older-than 30d
  extortion-milter quarantine stats --since 7d

Times: an age (90m, 36h, 2d, 4w) or a local date (2025-06-01, 2025-06-01T14:30).
The store is readable by its owner (the milter's user) and root only; nothing here changes
its permissions."""

Handler = Callable[[argparse.Namespace, Config], int]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "quarantine", parents=[common], help="list, show, release and purge quarantined mail",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="quarantine_command", metavar="ACTION")
    parser.set_defaults(func=_usage(parser))

    def action(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=_runner(handler))
        return p

    p = action("list", "list quarantined messages, oldest first", _list)
    _filter_options(p)
    p.add_argument("--status", choices=["held", "partial", "released", "sending"],
                   help="only entries in this state (store backend)")
    p.add_argument("--limit", type=int, metavar="N", help="only the newest N")
    p.add_argument("--backend", choices=["store", "hold"],
                   help="list this backend instead of the configured one")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = action("show", "show why a message was quarantined, then the message", _show)
    p.add_argument("id", metavar="ID")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--raw", action="store_true",
                      help="the message exactly as received (escaped on a terminal)")
    mode.add_argument("--headers", action="store_true", help="metadata and headers only")
    mode.add_argument("--json", action="store_true", help="the metadata as JSON")

    p = action("release", "re-inject messages to their original envelope recipients",
               _release)
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--to", action="append", default=[], metavar="ADDR",
                   help="deliver to ADDR instead of the original recipients (repeatable)")
    p.add_argument("--force", action="store_true",
                   help="send even though an earlier release was interrupted mid-way")

    p = action("delete", "delete messages from the store", _delete)
    p.add_argument("ids", nargs="+", metavar="ID")

    p = action("purge", "delete every message older than an age", _purge)
    p.add_argument("--older-than", required=True, metavar="AGE",
                   help="e.g. 30d: messages quarantined before that long ago")
    p.add_argument("--dry-run", action="store_true", help="only say what would be deleted")

    p = action("stats", "counts per day, rule, recipient domain and action", _stats)
    p.add_argument("--since", metavar="TIME", help="only from this time (default: all)")
    p.add_argument("--json", action="store_true", help="one JSON object")

    action("reindex", "rebuild the listing index from the store's files", _reindex)


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="TIME", help="quarantined at or after TIME")
    p.add_argument("--until", metavar="TIME", help="quarantined before TIME")
    p.add_argument("--rule", metavar="ID", help="a rule that fired (* and ? match any)")
    p.add_argument("--rcpt", metavar="ADDR", help="an envelope recipient, or @domain")
    p.add_argument("--sender", metavar="ADDR",
                   help="the envelope sender or From address, or @domain")
    p.add_argument("--min-score", type=float, metavar="N", help="score at least N")


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    return run


class _Fail(Exception):
    def __init__(self, message: str, status: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.status = status


def _runner(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        config = load_config_from_args(args)
        try:
            return handler(args, config)
        except _Fail as exc:
            _err(str(exc))
            return exc.status
        except (StoreError, OSError) as exc:
            _err(str(exc))
            return EXIT_INPUT
    return run


def _err(message: str) -> None:
    print(f"extortion-milter quarantine: {message}", file=sys.stderr)


HOLD_HINT = ("quarantine.backend is hold: Postfix keeps those messages (`quarantine list` "
             "shows them; postcat -q ID shows one, postsuper -H ID releases it, "
             "postsuper -d ID deletes it)")


def _store(config: Config) -> Store:
    store = Store(config.quarantine.directory)
    try:
        store.check_readable()  # raises StoreUnreadable with what to do
    except StoreUnreadable as exc:
        if config.quarantine.backend == "hold" and not store.root.exists():
            raise StoreUnreadable(f"{exc}; {HOLD_HINT}") from None
        raise
    return store


def _when(text: str | None, what: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_when(text)
    except ValueError as exc:
        raise _Fail(f"{what}: {exc}", EXIT_CONFIG) from None


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        since=_when(args.since, "--since"), until=_when(args.until, "--until"),
        rule=args.rule, rcpt=args.rcpt, sender=args.sender, min_score=args.min_score,
        status=getattr(args, "status", None), limit=getattr(args, "limit", None),
    )


def _width() -> int:
    if sys.stdout.isatty():
        return shutil.get_terminal_size((100, 24)).columns
    return 100


def _json_line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------- list


def _list(args: argparse.Namespace, config: Config) -> int:
    backend = args.backend or config.quarantine.backend
    filters = _filters(args)
    out = sys.stdout
    if backend == "hold":
        return _list_hold(args, config, filters)
    try:
        store = _store(config)
    except StoreUnreadable as exc:
        if not Path(config.quarantine.directory).exists():
            if not args.json:
                print(f"(empty: {exc})", file=sys.stderr)
            return EXIT_OK
        raise
    with open_index(store) as index:
        entries = index.query(filters)
    if args.json:
        for entry in entries:
            _json_line(out, {"backend": "store", **entry.to_json()})
        return EXIT_OK
    for line in table([row_for_entry(e) for e in entries], _width()):
        out.write(line + "\n")
    held = sum(1 for e in entries if e.status != "released")
    out.write(f"{len(entries)} message(s), {held} not released; store {store.root}\n")
    return EXIT_OK


def _list_hold(args: argparse.Namespace, config: Config, filters: Filters) -> int:
    log_path = config.decision_log.path
    try:
        messages = held_messages(config.quarantine.postfix_config_dir, log_path)
    except HoldQueueError as exc:
        raise _Fail(str(exc)) from None
    except PermissionError as exc:
        raise _Fail(f"cannot read the decision log: {exc}") from None
    messages = [m for m in messages if matches(m, filters)]
    if filters.limit is not None:
        messages = messages[-filters.limit:] if filters.limit else []
    out = sys.stdout
    if args.json:
        for message in messages:
            _json_line(out, message.to_json())
        return EXIT_OK
    rows = [_held_row(m) for m in messages]
    for line in table(rows, _width()):
        out.write(line + "\n")
    out.write(f"{len(messages)} message(s) in the Postfix hold queue"
              f" (release: postsuper -H ID, delete: postsuper -d ID)\n")
    return EXIT_OK


def _held_row(message: HeldMessage) -> Row:
    decision = message.decision
    rules = decision.get("rules") if decision else None
    ranked = sorted(
        (r for r in (rules if isinstance(rules, list) else []) if isinstance(r, dict)),
        key=lambda r: -float(r.get("score", 0) or 0),
    )
    subject = str(decision.get("subject", "")) if decision else "(no decision log record)"
    return Row(message.arrival_time, message.queue_id, "hold", message.score, message.sender,
               message.rcpts, subject, [str(r.get("id", "")) for r in ranked])


# ---------------------------------------------------------------------------------- show


def _resolve(store: Store, index: Index, ref: str, backend: str = "store") -> str:
    ids = index.resolve(ref)
    if not ids:
        hint = f"; {HOLD_HINT}" if backend == "hold" else ""
        raise _Fail(f"no such quarantined message (id or queue id): {one_line(ref, 80)!r}{hint}")
    if len(ids) > 1:
        raise _Fail(f"queue id {one_line(ref, 80)} matches several messages: {', '.join(ids)}")
    if not is_valid_id(ids[0]):
        raise _Fail(f"not a quarantine id: {one_line(ref, 80)!r}")
    return ids[0]


def _show(args: argparse.Namespace, config: Config) -> int:
    store = _store(config)
    with open_index(store) as index:
        entry_id = _resolve(store, index, args.id, config.quarantine.backend)
    entry = store.load(entry_id)
    out = sys.stdout
    if args.json:
        _json_line(out, entry.to_json())
        return EXIT_OK
    raw = store.raw(entry_id)
    if args.raw:
        if out.isatty():
            out.write(text_block(raw.decode("utf-8", "replace")) + "\n")
        else:
            out.flush()
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
        return EXIT_OK
    for line in describe(entry):
        out.write(line + "\n")
    out.write("\n--- headers as received " + "-" * 40 + "\n")
    out.write(header_block(raw) + "\n")
    if not args.headers:
        out.write("\n--- message text " + "-" * 47 + "\n")
        out.write(message_text(raw) + "\n")
    return EXIT_OK


# ------------------------------------------------------------------------------- release


def _each_entry(
    args: argparse.Namespace, config: Config, act: Callable[[Store, Index, str], bool]
) -> int:
    """Run `act` on every ID the admin named; one bad ID does not stop the others."""
    store = _store(config)
    status = EXIT_OK
    with open_index(store) as index:
        for ref in args.ids:
            try:
                entry_id = _resolve(store, index, ref, config.quarantine.backend)
                ok = act(store, index, entry_id)
            except (_Fail, EntryNotFound) as exc:
                _err(str(exc))
                ok = False
            if not ok:
                status = EXIT_INPUT
    return status


def _release(args: argparse.Namespace, config: Config) -> int:
    def act(store: Store, index: Index, entry_id: str) -> bool:
        outcome = release(store, entry_id, config.quarantine.release,
                          to=args.to, force=args.force, index=index)
        print(f"{entry_id}: {outcome.summary()}")
        return bool(outcome.ok)

    return _each_entry(args, config, act)


# ------------------------------------------------------------------------ delete / purge


def _delete(args: argparse.Namespace, config: Config) -> int:
    def act(store: Store, index: Index, entry_id: str) -> bool:
        with store.locked():
            store.delete(entry_id)
        index.refresh(entry_id)
        print(f"deleted {entry_id}")
        return True

    return _each_entry(args, config, act)


def _purge(args: argparse.Namespace, config: Config) -> int:
    try:
        age = parse_age(args.older_than)
    except ValueError as exc:
        raise _Fail(f"--older-than: {exc}", EXIT_CONFIG) from None
    store = _store(config)
    cutoff = time.time() - age
    deleted = 0
    with open_index(store) as index:
        ids = index.older_than(cutoff)
        for entry_id in ids:
            if args.dry_run:
                print(f"would delete {entry_id}")
                continue
            with store.locked():
                try:
                    store.delete(entry_id)
                except EntryNotFound:
                    pass
            index.refresh(entry_id)
            deleted += 1
        debris = [] if args.dry_run else store.sweep_debris()
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(cutoff))
    if args.dry_run:
        print(f"{len(ids)} message(s) quarantined before {stamp} would be deleted")
    else:
        print(f"purged {deleted} message(s) quarantined before {stamp}"
              + (f"; removed {len(debris)} stale temporary file(s)" if debris else ""))
    return EXIT_OK


# --------------------------------------------------------------------------------- stats


def _decision_stats(path: str, since: float | None) -> dict[str, Any] | None:
    if not path or not Path(path).exists():
        return None
    per_day: dict[str, Counter[str]] = {}
    per_action: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    per_domain: Counter[str] = Counter()
    total = 0
    for record in read_decisions(path, since):
        total += 1
        applied = str(record.get("applied", "?"))
        day = time.strftime("%Y-%m-%d", time.localtime(float(record.get("time", 0) or 0)))
        per_day.setdefault(day, Counter())[applied] += 1
        per_action[applied] += 1
        if record.get("action", "accept") != "accept":
            rules = record.get("rules") or []
            for rule in rules if isinstance(rules, list) else []:
                if isinstance(rule, dict):
                    per_rule[str(rule.get("id", ""))] += 1
            rcpts = record.get("rcpts") or []
            domains = {str(r).strip("<>").rpartition("@")[2].lower()
                       for r in (rcpts if isinstance(rcpts, list) else [])}
            for domain in domains:
                per_domain[domain] += 1
    return {
        "path": path, "decisions": total,
        "per_day": {d: dict(c) for d, c in sorted(per_day.items())},
        "per_action": dict(per_action.most_common()),
        "per_rule_flagged": dict(per_rule.most_common()),
        "per_recipient_domain_flagged": dict(per_domain.most_common()),
    }


def _stats(args: argparse.Namespace, config: Config) -> int:
    since = _when(args.since, "--since")
    result: dict[str, Any] = {"since": since}
    try:
        result["decision_log"] = _decision_stats(config.decision_log.path, since)
    except PermissionError as exc:
        _err(f"decision log not counted: {exc}")
        result["decision_log"] = None
    store = Store(config.quarantine.directory)
    if store.root.exists() or config.quarantine.backend == "store":
        store = _store(config)
        with open_index(store) as index:
            result["store"] = {"directory": str(store.root), **index.stats(since)}
    if args.json:
        _json_line(sys.stdout, result)
        return EXIT_OK
    _print_stats(sys.stdout, result)
    return EXIT_OK


def _top(out: TextIO, title: str, counts: dict[str, int], limit: int = 15) -> None:
    if not counts:
        return
    out.write(f"{title}\n")
    for name, count in list(counts.items())[:limit]:
        out.write(f"  {count:7d}  {one_line(name, 80)}\n")
    if len(counts) > limit:
        out.write(f"  ({len(counts) - limit} more; --json for all)\n")


def _print_stats(out: TextIO, result: dict[str, Any]) -> None:
    since = result.get("since")
    if since is not None:
        out.write(f"Since {time.strftime('%Y-%m-%d %H:%M', time.localtime(since))}\n\n")
    log = result.get("decision_log")
    if log:
        out.write(f"Decision log {log['path']}: {log['decisions']} decision(s)\n")
        actions = ["accept", "tag", "quarantine", "reject", "tempfail", "skip"]
        others = sorted({a for c in log["per_day"].values() for a in c} - set(actions))
        columns = [(a, max(11, len(a) + 2)) for a in actions + others]
        out.write("  day         " + "".join(f"{a:>{w}}" for a, w in columns) + "\n")
        for day, counts in log["per_day"].items():
            out.write(f"  {day}  " + "".join(f"{counts.get(a, 0):>{w}}" for a, w in columns)
                      + "\n")
        _top(out, "Rules (messages above accept):", log["per_rule_flagged"])
        _top(out, "Recipient domains (messages above accept):",
             log["per_recipient_domain_flagged"])
        out.write("\n")
    else:
        out.write("No decision log to count (decision_log.path).\n\n")
    store = result.get("store")
    if store:
        status = ", ".join(f"{n} {s}" for s, n in sorted(store["per_status"].items()))
        out.write(f"Quarantine store {store['directory']}: {store['entries']} message(s)"
                  f"{' (' + status + ')' if status else ''}, {store['bytes']} bytes\n")
        _top(out, "Quarantined per day:", store["per_day"], limit=60)
        _top(out, "Rules:", store["per_rule"])
        _top(out, "Recipient domains:", store["per_recipient_domain"])


# ------------------------------------------------------------------------------- reindex


def _reindex(args: argparse.Namespace, config: Config) -> int:
    store = _store(config)
    if not store.can_write():
        raise _Fail(f"cannot write the quarantine store {store.root}; reindex needs the "
                    "milter's user or root")
    started = time.monotonic()
    # Start from nothing: a corrupt index file must not stop the rebuild.
    for suffix in ("", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{store.index_path}{suffix}")
    with Index(store) as index:
        count = index.rebuild()
        problems = index.problems
        where = ("in memory only (the index file cannot be written)" if index.in_memory
                 else str(index.path))
    for problem in problems:
        _err(problem)
    print(f"indexed {count} message(s) in {time.monotonic() - started:.2f}s: {where}")
    return EXIT_INPUT if problems else EXIT_OK
