"""`extortion-milter run`: the milter daemon, in the foreground (systemd Type=notify).

Exit status: 0 after a clean stop (SIGTERM, SIGHUP or SIGINT: libmilter stops on all three),
2 for bad config or rules (each error as file:line), 1 when it cannot listen or drop root.
Reload is SIGUSR1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .. import logsetup
from ..adapter.runtime import RuntimeHolder, build_runtime, freeze_heap
from ..adapter.serve import ServeError, serve
from ..config.errors import ConfigError, ConfigErrors
from ..config.loader import load_config
from ..config.schema import Config
from ..daemon import notify, privileges, sockets, state
from ..daemon.reload import Reloader, block_signals
from ..quarantine import decisionlog
from .common import EXIT_CONFIG, config_path, load_config_from_args, print_config_errors

EXIT_RUNTIME = 1
DRAIN_SECONDS = 20.0  # how long a stop waits for messages being scanned

_log = logsetup.get_logger("run")


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run", parents=[common], help="run the milter (foreground)",
        description="Run the milter in the foreground until SIGTERM. SIGUSR1 reloads config "
        "and rules (kept unchanged if the new ones have errors); SIGHUP stops, as in every "
        "libmilter program. Example: extortion-milter run -o socket=unix:/tmp/em.sock",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    config = load_config_from_args(args)
    try:
        logsetup.configure(config.logging)
    except ValueError as exc:
        print(f"extortion-milter: {config.source}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        runtime = build_runtime(config)
    except (ConfigError, ConfigErrors) as exc:
        print_config_errors(exc)
        return EXIT_CONFIG
    if runtime.dns is not None:
        for problem in runtime.dns.probe_zones():
            _log.warning("dns: %s", problem)
    freeze_heap()
    path, overrides = config_path(args), list(args.overrides or [])
    return run_daemon(config, RuntimeHolder(runtime), lambda: load_config(path, overrides))


def run_daemon(
    config: Config, holder: RuntimeHolder, reload_config: Callable[[], Config]
) -> int:
    spec = config.socket
    mode = sockets.parse_mode(config.socket_mode)
    reloader = Reloader(holder, reload_config)

    def on_listening() -> None:
        # Runs as root if started so: fix the socket, give up root, then start serving.
        sockets.set_permissions(spec, mode, config.socket_group, owner=config.user)
        privileges.drop_privileges(config.user)
        reloader.start()
        version = holder.current.engine.ruleset_version
        _log.info("listening on %s (mode %s, ruleset %s, %s mode)",
                  spec, config.socket_mode, version, config.mode)
        _print_wiring(spec, config.socket_group)
        notify.ready(f"listening on {spec}, ruleset {version}")

    block_signals()
    try:
        sockets.prepare_directory(spec)
        # The store and decision log: made now, and checked as the user the milter will
        # run as, so a store it cannot write stops the start before the socket exists
        # rather than tempfailing the first quarantined message.
        state.prepare(holder.current, config.user)
        with privileges.acting_as(config.user):
            warnings = state.check(holder.current)
        for warning in warnings:
            _log.warning("%s", warning)
        serve(holder, spec, mode, config.on_error, on_listening)
    except (ServeError, state.StateError, OSError, ValueError, KeyError) as exc:
        _log.error("cannot start: %s", exc)
        notify.stopping()
        sockets.remove_stale(spec)
        return EXIT_RUNTIME
    notify.stopping()
    if not holder.wait_idle(DRAIN_SECONDS):
        _log.warning("stopping with %d message(s) still being scanned; the MTA retries them",
                     holder.inflight)
    decisionlog.flush_all()
    sockets.remove_stale(spec)
    _log.info("stopped")
    return 0


def _print_wiring(spec: str, group: str) -> None:
    """The README's first command shows how to wire the milter in; a service log does not
    need it every start."""
    if not sys.stderr.isatty():
        return
    out = sys.stderr
    print("\nWire it into Postfix (docs/install.md has the details):", file=out)
    for line in sockets.postfix_wiring(spec):
        print(f"  {line}", file=out)
    path = sockets.unix_path(spec)
    if path is not None and not str(path).startswith("/var/spool/postfix/"):
        print("Debian's smtpd runs chrooted in /var/spool/postfix and cannot see this path:\n"
              "  use -o socket=unix:/var/spool/postfix/extortion-milter/milter.sock, or turn "
              "the chroot off in master.cf.", file=out)
    if path is not None and not group:
        print("Postfix must be able to open the socket: -o socket_group=postfix, or add the "
              "postfix user to this process's group.", file=out)
    print(file=out)
