"""The pymilter connection object: collect one message at a time, scan it, act on it.

libmilter runs one thread per SMTP connection and creates one ExtortionMilter for it.
A connection can carry many messages, so everything per message is reset at MAIL FROM.
Every callback is guarded: an exception is logged with the queue id and traceback and
the message is handled by `on_error` (accept untouched, or 451) - never a crash, never
a lost message.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import Milter

from .. import logsetup
from ..actions import (
    AddHeader,
    ChangeHeader,
    HeaderFacts,
    Plan,
    Quarantine,
    QuarantineOutcome,
    QuarantineRequest,
    QuarantineResult,
    Reject,
    RemoveHeader,
    TempFail,
    error_plan,
    plan_actions,
    release_plan,
)
from ..dns import DnsConnection, DnsMessage
from ..engine.types import Envelope, Verdict
from ..quarantine.decisionlog import decision_record
from ..quarantine.token import verify_release_header
from . import scanpool
from .buffer import MessageBuffer
from .policy import bare_address
from .runtime import Runtime, RuntimeHolder

F = TypeVar("F", bound=Callable[..., Any])

CONTINUE: int = Milter.CONTINUE
ACCEPT: int = Milter.ACCEPT
REJECT: int = Milter.REJECT
TEMPFAIL: int = Milter.TEMPFAIL
DISCARD: int = Milter.DISCARD
# The only actions we ever take; the MTA is told so during negotiation.
WANTED_ACTIONS: int = Milter.ADDHDRS | Milter.CHGHDRS | Milter.QUARANTINE | Milter.SETSYMLIST
MAX_RCPTS_LOGGED = 20

# pymilter's decorators are untyped; these keep mypy's view of the callbacks intact.
noreply = cast(Callable[[F], F], Milter.noreply)
bytes_header = cast(Callable[[F], F], Milter.decode("bytes"))


def symlist(*names: str) -> Callable[[F], F]:
    """Ask the MTA for only these macros at this stage (SMFIF_SETSYMLIST)."""
    return cast(Callable[[F], F], Milter.symlist(*names))


_log = logsetup.get_logger("milter")


def client_ip_of(family: int, hostaddr: object) -> str | None:
    """The client IP from libmilter's connect arguments (None for local submissions)."""
    if isinstance(hostaddr, tuple) and hostaddr:
        return str(hostaddr[0])
    if isinstance(hostaddr, str) and family in (socket.AF_INET, socket.AF_INET6):
        return hostaddr
    return None


class ExtortionMilter(Milter.Base):  # type: ignore[misc]  # pymilter is untyped
    def __init__(self, holder: RuntimeHolder) -> None:
        self._holder = holder
        # Taken once: a reload during this connection does not change its rules.
        self._rt: Runtime = holder.current
        self._client_ip: str | None = None
        self._helo: str | None = None
        self._dns: DnsConnection | None = None
        self._in_message = False
        self._reset_message()

    # --- per-message state -------------------------------------------------------------

    def _reset_message(self) -> None:
        self._mail_from = ""
        self._rcpts: list[str] = []
        self._queue_id: str | None = None
        self._authenticated = False
        self._buffer = MessageBuffer(self._rt.config.limits.max_message_bytes)
        self._failed = False
        self._error: str | None = None
        self._skip: str | None = None  # why this message is not scanned, once known
        self._dns_message: DnsMessage | None = None

    def _begin_message(self) -> None:
        self._end_message()
        self._reset_message()
        self._in_message = True
        self._holder.message_started()

    def _end_message(self) -> None:
        if self._in_message:
            self._in_message = False
            self._holder.message_finished()

    def _note_queue_id(self) -> None:
        if not self._queue_id:
            qid = self.getsymval("i")
            if qid:
                self._queue_id = logsetup.sanitize(qid, 64)

    def _envelope(self) -> Envelope:
        return Envelope(
            client_ip=self._client_ip,
            helo=self._helo,
            mail_from=self._mail_from,
            rcpts=tuple(self._rcpts),
            queue_id=self._queue_id,
            authenticated=self._authenticated,
        )

    def _fail(self, where: str) -> None:
        """Log the exception being handled; the message then goes the on_error way."""
        self._failed = True
        self._error = f"{where}: {sys.exc_info()[1]!r}"[:300]
        logsetup.log_fields(
            _log, logging.ERROR, f"error in {where} callback",
            {"queue_id": self._queue_id or "-", "on_error": self._rt.config.on_error},
            exc_info=True,
        )

    # --- negotiation -------------------------------------------------------------------

    def negotiate(self, opts: list[int]) -> int:
        try:
            self._actions = opts[0] & WANTED_ACTIONS
            opts[0] = self._actions
            if self._actions & Milter.SETSYMLIST:
                for name, stage in Milter.MACRO_CALLBACKS.items():
                    names = getattr(getattr(self, name), "_symlist", None)
                    if names is not None:
                        # Straight to the context: pymilter 1.0.5's Base.setsymlist
                        # passes bytes where its C module wants str.
                        self._ctx.setsymlist(stage, " ".join(names))
            # Skip every callback we do not implement, and the replies we do not need.
            opts[1] = self._protocol = opts[1] & ~self.protocol_mask()
            opts[2] = opts[3] = 0
            return CONTINUE
        except Exception:
            _log.error("protocol negotiation failed; using the MTA defaults", exc_info=True)
            return cast(int, Milter.ALL_OPTS)

    # --- connection callbacks ----------------------------------------------------------

    @noreply
    def connect(self, hostname: str, family: int, hostaddr: object) -> int:
        try:
            self._client_ip = client_ip_of(family, hostaddr)
            checker = self._rt.dns
            if checker is not None and not self._rt.policy.trusted_ip(self._client_ip):
                self._dns = checker.connection(self._client_ip)  # client blocklists start
        except Exception:
            _log.error("error in connect callback", exc_info=True)
        return CONTINUE

    @noreply
    def hello(self, heloname: str) -> int:
        try:
            self._helo = logsetup.sanitize(heloname, 255)
            if self._dns is not None:
                self._dns.set_helo(heloname)
        except Exception:
            _log.error("error in hello callback", exc_info=True)
        return CONTINUE

    @noreply
    @symlist("{auth_authen}")
    def envfrom(self, mailfrom: str, *params: str) -> int:
        try:
            self._begin_message()
            self._mail_from = bare_address(mailfrom)
            self._authenticated = bool(self.getsymval("{auth_authen}"))
            # Known already for most skips: then no DNS lookup is started for nothing.
            self._skip = self._rt.policy.skip_reason(self._envelope())
            if self._dns is not None and self._skip is None:
                self._dns_message = self._dns.message(self._mail_from, self._authenticated)
        except Exception:
            self._fail("envfrom")
        return CONTINUE

    @noreply
    @symlist("i")
    def envrcpt(self, to: str, *params: str) -> int:
        try:
            self._rcpts.append(bare_address(to))
            self._note_queue_id()
        except Exception:
            self._fail("envrcpt")
        return CONTINUE

    @noreply
    @bytes_header
    def header(self, name: str, value: bytes) -> int:
        try:
            self._buffer.add_header(name, value)
        except Exception:
            self._fail("header")
        return CONTINUE

    @symlist("i")
    def eoh(self) -> int:
        """All recipients are known: decide whether this message is scanned at all (no
        DATA callback for this: one callback less per message). Skipped (allow-listed,
        authenticated) mail is accepted here, so it costs no body traffic, unless it
        carries a release header: a message released through such a path (SMTP AUTH in
        quarantine.release, say) still has its token spent and the header removed at end
        of message, like any other release."""
        try:
            self._note_queue_id()
            if self._failed:
                return CONTINUE  # a failed message is decided at end of message
            self._skip = self._skip or self._rt.policy.skip_reason(self._envelope())
            if self._skip is not None and self._buffer.release_token is None:
                self._record("skip", fields={"reason": self._skip}, skipped=self._skip)
                self._end_message()
                return ACCEPT
        except Exception:
            self._fail("eoh")
        return CONTINUE

    @noreply
    def body(self, chunk: bytes) -> int:
        # No SMFIS_SKIP at the cap: counting the rest costs next to nothing and gives the
        # log the true size, and without a reply the MTA never waits on a body chunk.
        try:
            self._buffer.add_body(chunk)
        except Exception:
            self._fail("body")
        return CONTINUE

    @symlist("i")
    def eom(self) -> int:
        started = time.perf_counter()
        try:
            return self._end_of_message(started)
        except Exception:
            self._fail("eom")
            return self._apply_on_error(started)
        finally:
            self._end_message()

    def abort(self) -> int:
        # The client gave up on this message (RSET, QUIT or lost connection); the
        # connection may go on with another one.
        self._end_message()
        self._reset_message()
        return CONTINUE

    def close(self) -> int:
        self._end_message()
        return CONTINUE

    # --- end of message ----------------------------------------------------------------

    def _end_of_message(self, started: float) -> int:
        self._note_queue_id()
        if self._failed:
            return self._apply_on_error(started)
        facts = self._header_facts()
        release_id = self._released()
        if release_id is not None:
            self._apply_edits(release_plan(facts))
            self._record("release", started, fields={"release_id": release_id},
                         release_id=release_id)
            return CONTINUE
        if self._skip is not None:
            # Allow-listed, with a release header that is not a live token of our store:
            # delivered unscanned as any skipped message, without our (stale) headers.
            self._apply_edits(release_plan(facts))
            self._record("skip", started, fields={"reason": self._skip}, skipped=self._skip)
            return CONTINUE
        envelope = self._envelope()
        raw = self._buffer.raw()
        verdict, subject = self._scan(raw, envelope)
        note = self._buffer.truncation_note()
        if note:
            verdict = _with_note(verdict, note)
        plan = plan_actions(verdict, self._rt.config, facts)
        outcome = self._apply(plan, raw, verdict, envelope)
        fields: dict[str, object] = {"score": verdict.score, "rules": list(verdict.rule_ids)}
        if plan.verdict_action is not plan.applied_action:
            fields["verdict"] = plan.verdict_action.value  # monitor mode: what enforce would do
        fields.update(outcome.fields)
        if verdict.notes:
            fields["notes"] = list(verdict.notes)
        self._record(outcome.action, started, fields=fields, verdict=verdict, subject=subject,
                     quarantine=outcome.quarantine, backend=outcome.backend)
        return outcome.rc

    def _scan(self, raw: bytes, envelope: Envelope) -> tuple[Verdict, str]:
        """Engine, then DNS, then the rules, on libmilter's thread: only a QR decode hops
        to a scan-pool thread (see scanpool). Also returns the decoded Subject, for the
        decision log."""
        engine = self._rt.engine
        facts = engine.prepare(raw, scanpool.run)
        external: dict[str, str] = {}
        if self._dns_message is not None:
            self._dns_message.content(facts)  # wallet and SPF lookups; the budget starts
            external = self._dns_message.collect()
        return engine.decide(facts, envelope, external), facts.message.subject

    def _released(self) -> str | None:
        """The store id when this message carries a genuine, unspent release token."""
        token = self._buffer.release_token
        if token is None:
            return None
        value = token.decode("ascii", "replace").strip()
        return verify_release_header(value, self._rt.config.quarantine.directory)

    def _header_facts(self) -> HeaderFacts:
        return HeaderFacts(
            queue_id=self._queue_id,
            subject=self._buffer.subject_text(),
            our_headers=tuple(self._buffer.our_headers),
        )

    def _apply(self, plan: Plan, raw: bytes, verdict: Verdict, envelope: Envelope) -> Outcome:
        """Carry out `plan`: the milter reply, and what to log about it."""
        disposition = plan.disposition
        action = plan.applied_action.value
        if isinstance(disposition, Reject | TempFail):
            self.setreply(disposition.code, disposition.xcode, disposition.text)
            return Outcome(REJECT if isinstance(disposition, Reject) else TEMPFAIL, action)
        if not isinstance(disposition, Quarantine):
            self._apply_edits(plan)
            return Outcome(CONTINUE, action)
        backend = self._rt.quarantine
        result = backend.quarantine(QuarantineRequest(
            raw=raw, complete=not self._buffer.truncated, verdict=verdict,
            envelope=envelope, reason=disposition.reason,
        ))
        fields: dict[str, object] = {"quarantine": backend.name}
        if result.detail:
            fields["quarantine_ref"] = result.detail
        outcome = Outcome(CONTINUE, action, fields, result, backend.name)
        if result.outcome is QuarantineOutcome.DISCARD:
            outcome.rc = DISCARD  # the backend has stored it durably
        elif result.outcome is QuarantineOutcome.TEMPFAIL:
            text = f"Temporary failure, please retry (ref {self._queue_id or 'unknown'})"
            self.setreply("451", "4.3.0", text)
            outcome.rc, outcome.action = TEMPFAIL, "tempfail"
        else:
            self._apply_edits(plan)
            self.quarantine(disposition.reason)
        return outcome

    def _apply_edits(self, plan: Plan) -> None:
        for edit in plan.edits:
            if isinstance(edit, AddHeader):
                self.addheader(edit.name, edit.value)
            elif isinstance(edit, ChangeHeader):
                self.chgheader(edit.name, edit.index, edit.value)
            elif isinstance(edit, RemoveHeader):
                self.chgheader(edit.name, edit.index, "")  # empty value deletes

    def _apply_on_error(self, started: float) -> int:
        plan = error_plan(self._rt.config.on_error, self._header_facts())
        disposition = plan.disposition
        action = "error-tempfail" if isinstance(disposition, TempFail) else "error-accept"
        try:
            if isinstance(disposition, TempFail):
                self.setreply(disposition.code, disposition.xcode, disposition.text)
            self._record(action, started, error=self._error or "error")
        except Exception:
            _log.error("error while handling an error", exc_info=True)
        return TEMPFAIL if isinstance(disposition, TempFail) else CONTINUE

    def _record(
        self, action: str, started: float | None = None, fields: dict[str, object] | None = None,
        verdict: Verdict | None = None, subject: str | None = None,
        quarantine: QuarantineResult | None = None, backend: str | None = None,
        skipped: str | None = None, release_id: str | None = None, error: str | None = None,
    ) -> None:
        """The message's log line and its decision log record."""
        self._log_message(action, fields or {}, started)
        decisions = self._rt.decisions
        if decisions is None:
            return
        try:
            # Built and written by the log's writer thread, off the message path.
            decisions.write_later(functools.partial(
                decision_record, envelope=self._envelope(), verdict=verdict, applied=action,
                mode=self._rt.config.mode, subject=subject,
                message_id=self._buffer.message_id_text() or None, quarantine=quarantine,
                backend=backend, skipped=skipped, release_id=release_id, error=error,
                now=time.time(),
            ))
        except Exception:
            _log.error("cannot write the decision log record", exc_info=True)

    def _log_message(
        self, action: str, fields: dict[str, object], started: float | None = None
    ) -> None:
        """The one line per message an admin greps for, keyed by queue id."""
        if not _log.isEnabledFor(logging.INFO):
            return  # logging.level above info: nothing to build
        rcpts: list[str] = self._rcpts[:MAX_RCPTS_LOGGED]
        if len(self._rcpts) > MAX_RCPTS_LOGGED:
            rcpts.append(f"+{len(self._rcpts) - MAX_RCPTS_LOGGED} more")
        line: dict[str, object] = {"queue_id": self._queue_id or "-", "action": action}
        line.update(fields)
        line.update({
            "from": f"<{self._mail_from}>",
            "rcpts": rcpts,
            "msgid": self._buffer.message_id_text(),
            "size": self._buffer.size,
            "client": self._client_ip or "",
        })
        if self._rt.config.mode == "monitor":
            line["mode"] = "monitor"
        if started is not None:
            line["ms"] = round((time.perf_counter() - started) * 1000, 2)
        logsetup.log_fields(_log, logging.INFO, "message", line)


@dataclasses.dataclass
class Outcome:
    """What applying a plan did: the reply to the MTA and what the log says."""

    rc: int
    action: str
    fields: dict[str, object] = dataclasses.field(default_factory=dict)
    quarantine: QuarantineResult | None = None
    backend: str | None = None


def _with_note(verdict: Verdict, note: str) -> Verdict:
    return dataclasses.replace(verdict, notes=(*verdict.notes, note))
