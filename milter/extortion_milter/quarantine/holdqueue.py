"""The `hold` backend's quarantine: Postfix's hold queue, explained by the decision log.

Postfix keeps held messages itself (`postqueue -j` lists them with queue_name "hold") but
does not record why; the decision log line with the same queue id does.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from .decisionlog import read_decisions
from .index import Filters, address_filter


class HoldQueueError(Exception):
    pass


@dataclass(frozen=True)
class HeldMessage:
    queue_id: str
    arrival_time: float
    size: int
    sender: str
    rcpts: tuple[str, ...]
    decision: dict[str, Any] = field(default_factory=dict)  # {} when the log has none

    @property
    def score(self) -> float | None:
        value = self.decision.get("score")
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def rule_ids(self) -> list[str]:
        rules = self.decision.get("rules")
        if not isinstance(rules, list):
            return []
        return [str(r.get("id", "")) for r in rules if isinstance(r, dict)]

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": "hold",
            "queue_id": self.queue_id,
            "time": self.arrival_time,
            "size": self.size,
            "mail_from": self.sender,
            "rcpts": list(self.rcpts),
            "decision": self.decision or None,
        }


def postqueue_json(postfix_config_dir: str = "") -> list[dict[str, Any]]:
    """Every queue file `postqueue -j` reports."""
    argv = ["postqueue"]
    if postfix_config_dir:
        argv += ["-c", postfix_config_dir]
    argv.append("-j")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HoldQueueError(f"cannot run {' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        raise HoldQueueError(f"{' '.join(argv)} failed (exit {proc.returncode}): "
                             f"{proc.stderr.strip() or proc.stdout.strip()}")
    records: list[dict[str, Any]] = []
    for line in proc.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def held_messages(postfix_config_dir: str = "", decision_log: str = "") -> list[HeldMessage]:
    """Messages in the hold queue, oldest first, each with its decision log record."""
    held = [r for r in postqueue_json(postfix_config_dir) if r.get("queue_name") == "hold"]
    decisions: dict[str, dict[str, Any]] = {}
    wanted = {str(r.get("queue_id", "")) for r in held}
    if decision_log and wanted and Path(decision_log).exists():
        for record in read_decisions(decision_log):
            queue_id = str(record.get("queue_id", ""))
            if queue_id in wanted:
                decisions[queue_id] = record  # the latest line for a queue id wins
    messages = []
    for record in held:
        queue_id = str(record.get("queue_id", ""))
        rcpts = tuple(
            str(r.get("address", "")) for r in record.get("recipients", ())
            if isinstance(r, dict)
        )
        messages.append(HeldMessage(
            queue_id=queue_id,
            arrival_time=float(record.get("arrival_time", 0) or 0),
            size=int(record.get("message_size", 0) or 0),
            sender=str(record.get("sender", "")),
            rcpts=rcpts,
            decision=decisions.get(queue_id, {}),
        ))
    messages.sort(key=lambda m: (m.arrival_time, m.queue_id))
    return messages


def _address_matches(value: str, addresses: list[str]) -> bool:
    kind, wanted = address_filter(value)
    for address in addresses:
        address = address.strip().lower().removeprefix("<").removesuffix(">")
        if kind == "domain" and address.rpartition("@")[2] == wanted:
            return True
        if kind == "address" and address == wanted:
            return True
    return False


def matches(message: HeldMessage, filters: Filters) -> bool:
    if filters.since is not None and message.arrival_time < filters.since:
        return False
    if filters.until is not None and message.arrival_time >= filters.until:
        return False
    if filters.min_score is not None and (message.score or 0.0) < filters.min_score:
        return False
    if filters.rule and not any(fnmatchcase(r.upper(), filters.rule.upper())
                                for r in message.rule_ids):
        return False
    if filters.rcpt and not _address_matches(filters.rcpt, list(message.rcpts)):
        return False
    return not (filters.sender and not _address_matches(filters.sender, [message.sender]))
