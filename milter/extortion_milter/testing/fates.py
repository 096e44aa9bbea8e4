"""What happened to each message sent through an MTA: delivered, tagged, held, rejected.

Messages are submitted first and classified afterwards, so a batch waits for the queue
once rather than once per message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..engine.types import Action
from .postfix import PostfixInstance
from .procs import HarnessError
from .smtp import SendResult


class Fate(enum.Enum):
    DELIVERED = "delivered"  # arrived, X-Extortion-Status: No (or no status header)
    TAGGED = "tagged"  # arrived, X-Extortion-Status: Yes
    HELD = "held"  # in Postfix's hold queue
    REJECTED = "rejected"  # 5xx at the end of DATA
    TEMPFAILED = "tempfailed"  # 4xx: the sender would retry
    MISSING = "missing"  # accepted but neither delivered nor held (a bug)


EXPECTED = {
    Action.ACCEPT: Fate.DELIVERED,
    Action.TAG: Fate.TAGGED,
    Action.QUARANTINE: Fate.HELD,
    Action.REJECT: Fate.REJECTED,
}


@dataclass(frozen=True)
class Outcome:
    name: str  # the caller's label, e.g. a file name
    result: SendResult
    fate: Fate
    status_header: str = ""


def send_batch(postfix: PostfixInstance, messages: list[tuple[str, bytes, str]],
               rcpt: str = "user@example.com", timeout: float = 60) -> list[Outcome]:
    """Send (name, raw, mail_from) triples through `postfix` and say what became of each."""
    sent = [(name, postfix.send(raw, mail_from, (rcpt,))) for name, raw, mail_from in messages]
    postfix.wait_queue_empty(timeout=timeout, ignore_hold=True)
    held = {entry.queue_id for entry in postfix.held()}
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
        if queue_id in held:
            outcomes.append(Outcome(name, result, Fate.HELD))
        elif queue_id in delivered:
            status = (delivered[queue_id].header_values("X-Extortion-Status") or [""])[0]
            fate = Fate.TAGGED if status.startswith("Yes") else Fate.DELIVERED
            outcomes.append(Outcome(name, result, fate, status))
        else:
            outcomes.append(Outcome(name, result, Fate.MISSING))
    return outcomes
