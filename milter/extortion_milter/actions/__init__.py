"""Turn a Verdict into typed milter actions (headers, subject, reply, quarantine)."""

from .plan import HeaderFacts, error_plan, plan_actions, release_plan
from .quarantine import (
    HoldBackend,
    QuarantineBackend,
    QuarantineOutcome,
    QuarantineRequest,
    QuarantineResult,
    make_backend,
)
from .types import (
    Accept,
    AddHeader,
    ChangeHeader,
    MilterAction,
    Plan,
    Quarantine,
    Reject,
    RemoveHeader,
    TempFail,
)

__all__ = [
    "Accept",
    "AddHeader",
    "ChangeHeader",
    "HeaderFacts",
    "HoldBackend",
    "MilterAction",
    "Plan",
    "Quarantine",
    "QuarantineBackend",
    "QuarantineOutcome",
    "QuarantineRequest",
    "QuarantineResult",
    "Reject",
    "RemoveHeader",
    "TempFail",
    "error_plan",
    "make_backend",
    "plan_actions",
    "release_plan",
]
