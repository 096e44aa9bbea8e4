"""Load rule packs and local overrides from YAML into a compiled `RuleSet`.

Shipped packs are read first, then every *.yaml in the admin's local directory in name
order. A local file may change scores, disable rules, add rules, or replace a shipped rule
by reusing its id. All problems are collected and reported as file:line: key: message.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..engine import builtins
from ..engine.meta import MetaSyntaxError, names_in, parse_expr
from ..engine.rules import (
    HEADER_TARGET_PREFIX,
    TARGETS,
    BuiltinAtom,
    MetaRule,
    PatternError,
    RegexAtom,
    Rule,
    RuleInfo,
    RuleSet,
    check_pattern,
    phrase_to_pattern,
    ruleset_version,
)
from .errors import ConfigError, ConfigErrors
from .yamlfile import LineDict, LineList, load_yaml_file

RULE_ID = re.compile(r"[A-Z][A-Z0-9_]{1,63}")
FAMILY = re.compile(r"[a-z][a-z0-9_]{0,63}")
RULE_KEYS = {
    "id",
    "description",
    "family",
    "target",
    "phrases",
    "patterns",
    "leet",
    "score",
    "tags",
    "examples",
    "expr",
    "builtin",
    "params",
}
FILE_KEYS = {"language", "rules", "scores", "disable"}
LANGUAGE = re.compile(r"[a-z]{2,3}")
MAX_PATTERN_CHARS = 2000


def shipped_rules_dir() -> Path:
    """The packs next to the source tree (a checkout), else those pip installed."""
    checkout = Path(__file__).resolve().parents[3] / "rules"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "extortion-milter" / "rules"


def rule_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.yaml") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(str(path), None, "rules.paths", "no such file or directory")
    return files


@dataclass
class _Loaded:
    rule: Rule
    path: str
    line: int
    local: bool
    expr_line: int = 0


class _RuleCollector:
    def __init__(self) -> None:
        self.rules: dict[str, _Loaded] = {}
        self.errors: list[ConfigError] = []
        self.blobs: list[bytes] = []
        self.score_overrides: list[tuple[str, float, str, int]] = []
        self.disabled: list[tuple[str, str, int]] = []

    def error(self, path: str, line: int | None, key: str | None, message: str) -> None:
        self.errors.append(ConfigError(path, line, key, message))

    def read_file(self, path: Path, local: bool) -> None:
        try:
            self.blobs.append(path.read_bytes())
            data = load_yaml_file(path)
        except OSError as exc:
            self.error(str(path), None, None, f"cannot read: {exc}")
            return
        except ConfigError as exc:
            self.errors.append(exc)
            return
        if data is None:
            return
        if not isinstance(data, LineDict):
            self.error(str(path), 1, None, "a rule file must be a mapping with a 'rules' list")
            return
        for key in data:
            if key not in FILE_KEYS:
                self.error(
                    str(path),
                    data.line_of(key),
                    key,
                    f"unknown key (known: {', '.join(sorted(FILE_KEYS))})",
                )
        language = data.get("language")
        if language is not None and (
            not isinstance(language, str) or not LANGUAGE.fullmatch(language)
        ):
            self.error(
                str(path),
                data.line_of("language"),
                "language",
                f"must be a language code like de or pt, not {language!r}",
            )
            language = None
        rules = data.get("rules")
        if rules is not None:
            if not isinstance(rules, LineList):
                self.error(str(path), data.line_of("rules"), "rules", "must be a list of rules")
            else:
                for index, item in enumerate(rules):
                    self._read_rule(item, str(path), rules.line_of(index), local, language)
        self._read_scores(data, str(path))
        self._read_disable(data, str(path))

    def _read_scores(self, data: LineDict, path: str) -> None:
        scores = data.get("scores")
        if scores is None:
            return
        if not isinstance(scores, LineDict):
            self.error(path, data.line_of("scores"), "scores", "must map rule ids to numbers")
            return
        for rule_id, value in scores.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.error(path, scores.line_of(rule_id), f"scores.{rule_id}", "must be a number")
                continue
            self.score_overrides.append((rule_id, float(value), path, scores.line_of(rule_id)))

    def _read_disable(self, data: LineDict, path: str) -> None:
        disable = data.get("disable")
        if disable is None:
            return
        if not isinstance(disable, LineList) or not all(isinstance(i, str) for i in disable):
            self.error(path, data.line_of("disable"), "disable", "must be a list of rule ids")
            return
        for index, rule_id in enumerate(disable):
            self.disabled.append((rule_id, path, disable.line_of(index)))

    def _read_rule(
        self, item: Any, path: str, line: int, local: bool, language: str | None
    ) -> None:
        if not isinstance(item, LineDict):
            self.error(path, line, "rules", "each rule must be a mapping")
            return
        rule_id = item.get("id")
        if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
            self.error(
                path,
                item.line_of("id"),
                "id",
                f"missing or invalid rule id {rule_id!r} (upper case, digits, _)",
            )
            return
        errors_before = len(self.errors)

        def bad(key: str, message: str, key_line: int | None = None) -> None:
            self.error(path, key_line or item.line_of(key), f"{rule_id}.{key}", message)

        for key in item:
            if key not in RULE_KEYS:
                bad(key, f"unknown key (known: {', '.join(sorted(RULE_KEYS))})")
        info = replace(self._rule_info(item, rule_id, path, line, bad), language=language)
        kinds = [k for k in ("expr", "builtin") if k in item]
        if "phrases" in item or "patterns" in item:
            kinds.append("phrases/patterns")
        if len(kinds) != 1:
            bad(
                "id",
                "a rule needs exactly one of phrases/patterns, expr or builtin"
                + (f" (found {', '.join(kinds)})" if kinds else ""),
            )
            return
        rule: Rule | None
        if "expr" in item:
            rule = self._meta(item, info, bad)
        elif "builtin" in item:
            rule = self._builtin(item, info, bad)
        else:
            rule = self._regex_atom(item, info, bad)
        if rule is None or len(self.errors) > errors_before:
            return
        previous = self.rules.get(rule_id)
        if previous is not None and not (local and not previous.local):
            self.error(
                path,
                line,
                f"{rule_id}.id",
                f"duplicate rule id, first defined at {previous.path}:{previous.line}",
            )
            return
        self.rules[rule_id] = _Loaded(rule, path, line, local, item.line_of("expr"))

    def _rule_info(self, item: LineDict, rule_id: str, path: str, line: int, bad: Any) -> RuleInfo:
        description = item.get("description", "")
        if not isinstance(description, str):
            bad("description", "must be text")
            description = ""
        score = item.get("score", 0.0)
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            bad("score", "must be a number")
            score = 0.0
        family = item.get("family")
        if family is not None and (not isinstance(family, str) or not FAMILY.fullmatch(family)):
            bad("family", f"invalid family {family!r} (lower case letters, digits, _)")
            family = None
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            bad("tags", "must be a list of words")
            tags = []
        match, no_match = self._examples(item, bad)
        return RuleInfo(
            rule_id,
            description,
            float(score),
            family,
            tuple(tags),
            f"{path}:{line}",
            match,
            no_match,
        )

    def _examples(self, item: LineDict, bad: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        examples = item.get("examples")
        if examples is None:
            return (), ()
        if not isinstance(examples, LineDict):
            bad("examples", "must be a mapping with match and/or no_match lists")
            return (), ()
        lists: dict[str, tuple[str, ...]] = {}
        for key in examples:
            if key not in ("match", "no_match"):
                bad(
                    "examples",
                    f"unknown key {key!r} (known: match, no_match)",
                    examples.line_of(key),
                )
        for key in ("match", "no_match"):
            value = examples.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                bad(f"examples.{key}", "must be a list of texts", examples.line_of(key))
                value = []
            lists[key] = tuple(value)
        return lists["match"], lists["no_match"]

    def _regex_atom(self, item: LineDict, info: RuleInfo, bad: Any) -> RegexAtom | None:
        target = item.get("target", "all")
        if not isinstance(target, str) or not (
            target in TARGETS
            or (target.startswith(HEADER_TARGET_PREFIX) and len(target) > len(HEADER_TARGET_PREFIX))
        ):
            bad("target", f"must be one of {', '.join(TARGETS)} or header:NAME, not {target!r}")
            return None
        leet = item.get("leet", False)
        if not isinstance(leet, bool):
            bad("leet", "must be true or false")
        patterns: list[str] = []
        for key in ("phrases", "patterns"):
            values = item.get(key)
            if values is None:
                continue
            if not isinstance(values, LineList) or not values:
                bad(key, "must be a non-empty list of texts")
                continue
            for index, value in enumerate(values):
                where = values.line_of(index)
                if not isinstance(value, str) or not value.strip():
                    bad(f"{key}[{index}]", "must be non-empty text", where)
                    continue
                if len(value) > MAX_PATTERN_CHARS:
                    bad(f"{key}[{index}]", f"longer than {MAX_PATTERN_CHARS} characters", where)
                    continue
                pattern = phrase_to_pattern(value) if key == "phrases" else value
                try:
                    check_pattern(pattern)
                except PatternError as exc:
                    bad(f"{key}[{index}]", str(exc), where)
                    continue
                patterns.append(pattern)
        return RegexAtom(info, target, tuple(patterns), bool(leet))

    def _builtin(self, item: LineDict, info: RuleInfo, bad: Any) -> BuiltinAtom | None:
        name = item.get("builtin")
        params = item.get("params", {})
        if not isinstance(params, dict):
            bad("params", "must be a mapping")
            return None
        try:
            clean = builtins.check_params(str(name), params)
        except ValueError as exc:
            key = "builtin" if str(exc).startswith("unknown builtin") else "params"
            bad(key, str(exc))
            return None
        return BuiltinAtom(info, str(name), clean)

    def _meta(self, item: LineDict, info: RuleInfo, bad: Any) -> MetaRule | None:
        source = item.get("expr")
        if not isinstance(source, str):
            bad("expr", "must be text")
            return None
        try:
            expr = parse_expr(source)
        except MetaSyntaxError as exc:
            bad("expr", f"syntax: {exc}")
            return None
        return MetaRule(info, source, expr)

    def finish(self) -> RuleSet:
        rules = {rule_id: loaded.rule for rule_id, loaded in self.rules.items()}
        for rule_id, score, path, line in self.score_overrides:
            if rule_id not in rules:
                self.error(path, line, f"scores.{rule_id}", "no rule has this id")
                continue
            rule = rules[rule_id]
            rules[rule_id] = replace(rule, info=replace(rule.info, score=score))
        for rule_id, path, line in self.disabled:
            if rule_id not in self.rules:
                self.error(path, line, "disable", f"no rule has the id {rule_id!r}")
        disabled = {rule_id for rule_id, _p, _l in self.disabled}
        families = {r.info.family for r in rules.values() if r.info.family}
        known_names = set(rules) | families
        for rule_id, loaded in self.rules.items():
            rule = loaded.rule
            if isinstance(rule, MetaRule):
                for name in sorted(names_in(rule.expr)):
                    if name not in known_names:
                        kind = "family" if name.islower() else "rule id"
                        self.error(
                            loaded.path,
                            loaded.expr_line,
                            f"{rule_id}.expr",
                            f"unknown {kind} {name!r}",
                        )
        enabled = {rid: r for rid, r in rules.items() if rid not in disabled}
        metas = self._sorted_metas(enabled)
        if self.errors:
            raise ConfigErrors(self.errors)
        return RuleSet(
            regex_atoms=tuple(r for r in enabled.values() if isinstance(r, RegexAtom)),
            builtin_atoms=tuple(r for r in enabled.values() if isinstance(r, BuiltinAtom)),
            metas=metas,
            version=ruleset_version(self.blobs),
        )

    def _sorted_metas(self, rules: dict[str, Rule]) -> tuple[MetaRule, ...]:
        """Metas ordered so each comes after every meta it reads (directly or by family)."""
        metas = {rid: r for rid, r in rules.items() if isinstance(r, MetaRule)}
        family_members: dict[str, set[str]] = {}
        for rid, rule in metas.items():
            if rule.info.family:
                family_members.setdefault(rule.info.family, set()).add(rid)
        deps = {
            rid: {
                dep
                for name in names_in(rule.expr)
                for dep in ({name} if name in metas else family_members.get(name, set()))
            }
            for rid, rule in metas.items()
        }
        ordered: list[MetaRule] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(rid: str, chain: list[str]) -> None:
            if state.get(rid) == 2:
                return
            if state.get(rid) == 1:
                loaded = self.rules[rid]
                cycle = " -> ".join([*chain[chain.index(rid) :], rid])
                self.error(
                    loaded.path,
                    loaded.expr_line,
                    f"{rid}.expr",
                    f"meta rules form a cycle: {cycle}",
                )
                return
            state[rid] = 1
            for dep in sorted(deps[rid]):
                visit(dep, [*chain, rid])
            state[rid] = 2
            ordered.append(metas[rid])

        for rid in sorted(metas):
            visit(rid, [])
        return tuple(ordered)


def load_ruleset(paths: list[Path], local_dir: Path | None) -> RuleSet:
    collector = _RuleCollector()
    try:
        files = rule_files(paths)
    except ConfigError as exc:
        raise ConfigErrors([exc]) from None
    for path in files:
        collector.read_file(path, local=False)
    if local_dir is not None and local_dir.exists():
        if not local_dir.is_dir():
            raise ConfigErrors(
                [ConfigError(str(local_dir), None, "rules.local_dir", "not a directory")]
            )
        for path in sorted(local_dir.glob("*.yaml")):
            collector.read_file(path, local=True)
    return collector.finish()
