"""Options every subcommand shares, and the one way they turn into a config and engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.errors import ConfigError, ConfigErrors
from ..config.loader import DEFAULT_CONFIG_PATH, load_config
from ..config.schema import Config

if TYPE_CHECKING:
    from ..engine.engine import Engine

EXIT_OK = 0
EXIT_INPUT = 1  # some input could not be read
EXIT_CONFIG = 2  # usage, config or rule errors


def common_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("configuration")
    group.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help=f"config file (default: {DEFAULT_CONFIG_PATH} if it exists, else the built-in "
        "defaults, which config.example.yaml spells out)",
    )
    group.add_argument(
        "-o",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, e.g. -o thresholds.reject=20 -o mode=monitor "
        "(repeatable; values are YAML, so -o allow.senders=[a@b.example] gives a list)",
    )
    return parser


def print_config_errors(exc: ConfigError | ConfigErrors) -> None:
    errors = exc.errors if isinstance(exc, ConfigErrors) else [exc]
    for error in errors:
        print(f"extortion-milter: {error}", file=sys.stderr)


def config_path(args: argparse.Namespace) -> Path | None:
    if args.config is not None:
        return Path(args.config)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def load_config_from_args(args: argparse.Namespace) -> Config:
    """The config the command line asks for; on any error, print it and exit 2."""
    try:
        return load_config(config_path(args), list(args.overrides or []))
    except (ConfigError, ConfigErrors) as exc:
        print_config_errors(exc)
        raise SystemExit(EXIT_CONFIG) from None


def engine_from_args(args: argparse.Namespace) -> tuple[Config, Engine]:
    # Imported here: commands that need no engine (quarantine list, ...) start faster.
    from ..config.build import build_engine

    config = load_config_from_args(args)
    try:
        return config, build_engine(config)
    except (ConfigError, ConfigErrors) as exc:
        print_config_errors(exc)
        raise SystemExit(EXIT_CONFIG) from None
