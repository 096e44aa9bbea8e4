"""The detection engine: raw message bytes in, a Verdict out. Pure: no I/O, no globals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

from . import builtins
from .crypto import find_addresses
from .facts import LocatedAddress, ScanFacts
from .language import ALL_LANGUAGES, detect_languages
from .limits import Limits
from .matcher import TargetMatcher
from .message import ParsedMessage, parse_message
from .meta import compile_expr, names_in
from .normalize import (
    fold_leet,
    fold_leet_tokens,
    has_leet,
    normalize,
    normalize_for_addresses,
    strip_accents,
    warm_up,
)
from .qr import decode_qr_texts, qr_available
from .rules import RegexAtom, Rule, RuleSet
from .types import Action, Envelope, RuleHit, Verdict

NativeRunner = Callable[[Callable[[], list[str]]], list[str]]
"""Runs a call into a native decoder (QR codes) and returns its result. The default runs
it in place; the milter passes one that moves it to a thread Python created (see
adapter/scanpool), since such decoders may not run on libmilter's threads."""


def _in_place(call: Callable[[], list[str]]) -> list[str]:
    return call()


class Engine:
    """A compiled rule set with its thresholds. Immutable, so threads share one safely."""

    def __init__(self, ruleset: RuleSet, thresholds: dict[str, float], limits: Limits) -> None:
        self.ruleset = ruleset
        self.thresholds = dict(thresholds)
        self.limits = limits
        self._rules_by_id: dict[str, Rule] = {r.info.id: r for r in ruleset.all_rules}
        # Atoms are grouped by the text they read and the language of their pack, so a
        # message only meets the packs of the languages it may be written in.
        by_target: dict[tuple[str, str | None], list[RegexAtom]] = defaultdict(list)
        for atom in ruleset.regex_atoms:
            language = atom.info.language if atom.info.language in ALL_LANGUAGES else None
            by_target[(atom.target, language)].append(atom)
        self._matchers = {key: TargetMatcher(atoms) for key, atoms in by_target.items()}
        warm_up()  # build the Unicode tables now, not on the first message
        qr_available()  # import the native QR decoder on this thread, not a libmilter one
        self._meta_tests = {m.info.id: compile_expr(m.expr) for m in ruleset.metas}
        self._meta_names = {m.info.id: sorted(names_in(m.expr)) for m in ruleset.metas}
        # A meta depends on its own names only; one that is false with all of them false
        # is skipped unless one fired. Most mail fires few atoms, so most metas are not
        # evaluated at all (the closures were a tenth of a scan with cold caches).
        self._meta_plan = [
            (meta, self._meta_tests[meta.info.id], frozenset(self._meta_names[meta.info.id]),
             not self._meta_tests[meta.info.id]({}))
            for meta in ruleset.metas
        ]
        self._leet_matchers = {
            key: TargetMatcher(a for a in atoms if a.leet) for key, atoms in by_target.items()
        }

    @property
    def ruleset_version(self) -> str:
        return self.ruleset.version

    def scan(self, raw: bytes, envelope: Envelope | None = None) -> Verdict:
        return self.decide(self.prepare(raw), envelope)

    def prepare(self, raw: bytes, native: NativeRunner = _in_place) -> ScanFacts:
        """Parse and normalize a message and find its addresses: everything a scan needs
        that depends on the message alone. The adapter starts DNS lookups from these facts
        (addresses) before calling `decide`. `native` runs the QR decoder, if a message
        has images."""
        message = parse_message(raw, self.limits)
        notes = list(message.notes)
        facts = self._facts(message, notes, native)
        facts.notes = notes
        return facts

    def decide(
        self,
        facts: ScanFacts,
        envelope: Envelope | None = None,
        external: Mapping[str, str] | None = None,
    ) -> Verdict:
        """Run every rule over prepared facts. `external` carries facts found outside the
        engine (DNS answers), keyed as the builtins that read them expect."""
        facts.envelope = envelope
        facts.external = dict(external or {})
        fired = self._match_atoms(facts)
        self._run_metas(fired)
        hits = tuple(
            RuleHit(
                rule_id,
                self._rules_by_id[rule_id].info.score,
                evidence,
                self._rules_by_id[rule_id].info.description,
            )
            for rule_id, evidence in fired.items()
        )
        score = round(sum(hit.score for hit in hits), 2)
        return Verdict(
            score=score,
            action=self.action_for(score),
            hits=tuple(sorted(hits, key=lambda h: (-h.score, h.rule_id))),
            addresses=tuple(located.address for located in facts.addresses),
            notes=tuple(facts.notes),
            required=self.thresholds["tag"],
            ruleset_version=self.ruleset.version,
            thresholds=dict(self.thresholds),
        )

    def action_for(self, score: float) -> Action:
        if score >= self.thresholds["reject"]:
            return Action.REJECT
        if score >= self.thresholds["quarantine"]:
            return Action.QUARANTINE
        if score >= self.thresholds["tag"]:
            return Action.TAG
        return Action.ACCEPT

    def _facts(self, message: ParsedMessage, notes: list[str], native: NativeRunner) -> ScanFacts:
        body = normalize(message.body_text)
        if len(body) > self.limits.max_text_chars:
            body = body[: self.limits.max_text_chars]
            note = f"visible text truncated at {self.limits.max_text_chars} characters"
            if note not in notes:
                notes.append(note)
        addresses: list[LocatedAddress] = []
        seen: set[tuple[str, str]] = set()
        cap = self.limits.max_addresses

        def collect(text: str, location: str) -> None:
            for address in find_addresses(normalize_for_addresses(text), cap):
                key = (address.currency, address.address)
                if key not in seen and len(addresses) < cap:
                    seen.add(key)
                    addresses.append(LocatedAddress(address, location))

        for part in message.parts:
            collect(part.text, "body" if part.source in ("plain", "html") else "attachment")
        if message.images:
            if not qr_available():
                notes.append("images not searched for QR codes: install extortion-milter[qr]")
            images = message.images
            for text in native(lambda: decode_qr_texts(images)):
                collect(text, "qr")
        return ScanFacts(message, normalize(message.subject), body, addresses)

    def _match_atoms(self, facts: ScanFacts) -> dict[str, str]:
        fired: dict[str, str] = {}
        texts = _Texts(facts)
        languages = detect_languages(texts.plain("all"))
        for (target, language), matcher in self._matchers.items():
            if language is not None and language not in languages:
                continue
            text = texts.plain(target)
            fired.update(matcher.match(text, fired.__contains__, texts.encoded(target)))
            leet = self._leet_matchers[(target, language)]
            if not leet.empty:
                folded = texts.folded(target)
                if folded != text:
                    encoded = texts.encoded_folded(target)
                    fired.update(leet.match(folded, fired.__contains__, encoded))
        for atom in self.ruleset.builtin_atoms:
            evidence = builtins.BUILTINS[atom.builtin].run(facts, atom.params)
            if evidence is not None:
                fired[atom.info.id] = evidence
        return fired

    def _run_metas(self, fired: dict[str, str]) -> None:
        truth: dict[str, bool] = dict.fromkeys(fired, True)
        for rule_id in fired:
            family = self._rules_by_id[rule_id].info.family
            if family:
                truth[family] = True
        for meta, test, names, needs_a_name in self._meta_plan:
            if needs_a_name and names.isdisjoint(truth):
                continue
            if test(truth):
                used = [n for n in self._meta_names[meta.info.id] if truth.get(n)]
                fired[meta.info.id] = ", ".join(used)
                truth[meta.info.id] = True
                if meta.info.family:
                    truth[meta.info.family] = True


class _Texts:
    """The texts one scan's atoms read, each built once, however many packs read it: per
    target the plain text, its leet-folded form, and both as UTF-8 for RE2."""

    def __init__(self, facts: ScanFacts) -> None:
        self._facts = facts
        self._plain: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._encoded: dict[tuple[str, bool], bytes] = {}
        # Subject and body with accents stripped, and leet-folded without the has_leet
        # check: the pieces "all" (subject, line break, body) is folded from.
        self._stripped: dict[str, str] = {}
        self._tokens_folded: dict[str, str] = {}

    def plain(self, target: str) -> str:
        text = self._plain.get(target)
        if text is None:
            text = self._plain[target] = self._build(target)
        return text

    def folded(self, target: str) -> str:
        """`fold_leet(strip_accents(plain(target)))`."""
        text = self._folded.get(target)
        if text is None:
            text = self._folded[target] = self._fold(target)
        return text

    def encoded(self, target: str) -> bytes:
        return self._encode(target, False)

    def encoded_folded(self, target: str) -> bytes:
        return self._encode(target, True)

    def _encode(self, target: str, folded: bool) -> bytes:
        data = self._encoded.get((target, folded))
        if data is None:
            text = self.folded(target) if folded else self.plain(target)
            data = self._encoded[(target, folded)] = text.encode("utf-8", "surrogatepass")
        return data

    def _build(self, target: str) -> str:
        facts = self._facts
        if target == "subject":
            return facts.subject
        if target == "body":
            return facts.body
        if target == "all":
            return facts.subject + "\n" + facts.body
        if target == "headers":
            return "\n".join(f"{k}: {normalize(v)}" for k, v in facts.message.headers)
        name = target.partition(":")[2]
        return "\n".join(normalize(v) for v in facts.message.header_values(name))

    def _fold(self, target: str) -> str:
        if target not in ("subject", "body", "all"):
            return fold_leet(strip_accents(self.plain(target)))
        # Accents and leet tokens never reach across a line break, so "all" is folded from
        # the folded subject and body instead of once more in full; only fold_leet's
        # has_leet check looks at the whole text, so it is applied to the whole here.
        pieces = ("subject", "body") if target == "all" else (target,)
        stripped = [self._strip(piece) for piece in pieces]
        if not any(has_leet(text) for text in stripped):
            return "\n".join(stripped)
        return "\n".join(self._fold_tokens(piece) for piece in pieces)

    def _strip(self, piece: str) -> str:
        text = self._stripped.get(piece)
        if text is None:
            text = self._stripped[piece] = strip_accents(self.plain(piece))
        return text

    def _fold_tokens(self, piece: str) -> str:
        text = self._tokens_folded.get(piece)
        if text is None:
            text = self._tokens_folded[piece] = fold_leet_tokens(self._strip(piece))
        return text
