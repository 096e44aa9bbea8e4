"""The `extortion-milter` command: one entry point, one subcommand per module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .. import __version__
from .common import EXIT_CONFIG, common_parser

# Each module has add_parser(subparsers, common) and sets `func` on its parser.
SUBCOMMANDS = ("run", "check", "lint", "quarantine", "demo", "corpus-eval")

DESCRIPTION = """\
extortion-milter stops sextortion and crypto-ransom mail at the MTA. It runs as a milter
beside Postfix or Sendmail and scores every message with YAML rule packs; the same engine
answers `check`, so what check says is what the milter does."""

EPILOG = """\
start here:
  extortion-milter run                     run the milter (prints the postconf lines to add)
  extortion-milter check message.eml       dry-run a message, see every rule that fired
  extortion-milter lint                    validate config and rules, run rule examples
  extortion-milter quarantine list         review what was quarantined
  extortion-milter demo                    sample mail through a throwaway Postfix + milter
  extortion-milter <command> --help        options of one command

Config: /etc/extortion-milter/config.yaml if present, else built-in defaults; see
config.example.yaml. Rules: docs/rules.md."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extortion-milter",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_parser()
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        module.add_parser(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # pypdf reports every malformed PDF attachment at WARNING; a hostile sender would fill
    # the admin's log with them. Unreadable parts are noted in the verdict instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `check ... | head` closing the pipe early is not an error worth a traceback.
        sys.stderr.close()
        return 0
    return result
