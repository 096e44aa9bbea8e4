"""What happened to each message sent through an MTA: delivered, tagged, quarantined (in
the milter's store), held (in Postfix's hold queue), rejected.

Messages are submitted first and classified afterwards, so a batch waits for the queue
once rather than once per message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from ..engine.types import Action
from ..quarantine.store import Store
from .postfix import PostfixInstance
from .procs import HarnessError
from .smtp import SendResult


class Fate(enum.Enum):
    DELIVERED = "delivered"  # arrived, X-Extortion-Status: No (or no status header)
    TAGGED = "tagged"  # arrived, X-Extortion-Status: Yes
    QUARANTINED = "quarantined"  # in the milter's quarantine store (backend: store)
    HELD = "held"  # in Postfix's hold queue (backend: hold)
    REJECTED = "rejected"  # 5xx at the end of DATA
    TEMPFAILED = "tempfailed"  # 4xx: the sender would retry
    MISSING = "missing"  # accepted but neither delivered, stored nor held (a bug)


def expected_fate(action: Action, backend: str = "store") -> Fate:
    """The fate a verdict's action gives a message with the `backend` quarantine."""
    if action is Action.QUARANTINE:
        return Fate.QUARANTINED if backend == "store" else Fate.HELD
    return {Action.ACCEPT: Fate.DELIVERED, Action.TAG: Fate.TAGGED,
            Action.REJECT: Fate.REJECTED}[action]


def stored_queue_ids(store_dir: Path | None) -> set[str]:
    """Postfix queue ids of the messages in the quarantine store at `store_dir`."""
    if store_dir is None or not store_dir.is_dir():
        return set()
    return {entry.queue_id for entry in Store(store_dir).iter_entries() if entry.queue_id}


@dataclass(frozen=True)
class Outcome:
    name: str  # the caller's label, e.g. a file name
    result: SendResult
    fate: Fate
    status_header: str = ""


def send_batch(postfix: PostfixInstance, messages: list[tuple[str, bytes, str]],
               rcpt: str = "user@example.com", timeout: float = 60,
               store_dir: Path | None = None) -> list[Outcome]:
    """Send (name, raw, mail_from) triples through `postfix` and say what became of each.
    `store_dir`: the milter's quarantine store, when it uses the store backend."""
    sent = [(name, postfix.send(raw, mail_from, (rcpt,))) for name, raw, mail_from in messages]
    postfix.wait_queue_empty(timeout=timeout, ignore_hold=True)
    held = {entry.queue_id for entry in postfix.held()}
    stored = stored_queue_ids(store_dir)
    delivered = {}
    for message in postfix.sink.messages():
        received = message.header_values("Received")
        for value in received[:1]:  # Postfix's own, the first one
            if " id " in value:
                delivered[value.split(" id ", 1)[1].split()[0].rstrip(";")] = message
    outcomes = []
    for name, result in sent:
        if not result.accepted:
            fate = Fate.REJECTED if 500 <= result.code < 600 else Fate.TEMPFAILED
            outcomes.append(Outcome(name, result, fate))
            continue
        queue_id = result.queue_id
        if queue_id is None:
            raise HarnessError(f"{name}: no queue id in {result.text!r}")
        if queue_id in stored:
            outcomes.append(Outcome(name, result, Fate.QUARANTINED))
        elif queue_id in held:
            outcomes.append(Outcome(name, result, Fate.HELD))
        elif queue_id in delivered:
            status = (delivered[queue_id].header_values("X-Extortion-Status") or [""])[0]
            fate = Fate.TAGGED if status.startswith("Yes") else Fate.DELIVERED
            outcomes.append(Outcome(name, result, fate, status))
        else:
            outcomes.append(Outcome(name, result, Fate.MISSING))
    return outcomes
