"""Turn a validated Config into a ready Engine: the one way `check`, `lint` and the
milter get their engine, so they always agree."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..engine.engine import Engine
from ..engine.limits import Limits
from ..engine.matcher import RuleCompileError
from ..engine.rules import RuleSet
from .errors import ConfigError, ConfigErrors
from .rulefiles import load_ruleset, shipped_rules_dir
from .schema import Config


def load_rules(config: Config) -> RuleSet:
    paths = [Path(p) for p in config.rules.paths] or [shipped_rules_dir()]
    local_dir = Path(config.rules.local_dir) if config.rules.local_dir else None
    return load_ruleset(paths, local_dir)


def build_engine(config: Config) -> Engine:
    thresholds = asdict(config.thresholds)
    try:
        return Engine(load_rules(config), thresholds, Limits(**asdict(config.limits)))
    except RuleCompileError as exc:
        path, _, line = exc.atom.info.source.rpartition(":")
        raise ConfigErrors(
            [
                ConfigError(
                    path,
                    int(line) if line.isdigit() else None,
                    f"{exc.atom.info.id}.patterns",
                    str(exc),
                )
            ]
        ) from None
