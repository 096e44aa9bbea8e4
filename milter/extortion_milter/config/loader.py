"""Build a `Config` from YAML and `-o key.path=value` overrides, strictly.

Every key must be known and every value of the declared type; the first pass collects
all errors so an admin sees each problem with its file:line at once.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import yaml

from .errors import ConfigError, ConfigErrors
from .schema import Config, DnsConfig
from .yamlfile import LineDict, load_yaml_file

T = TypeVar("T")

DEFAULT_CONFIG_PATH = Path("/etc/extortion-milter/config.yaml")
OVERRIDE_SOURCE = "<command line -o>"


def load_config(path: Path | None, overrides: list[str] | None = None) -> Config:
    """Read `path` (or start from the built-in defaults) and apply `-o` overrides."""
    raw: Any
    source = "<built-in defaults>"
    if path is None:
        raw = LineDict()
        raw.key_lines = {}
    else:
        source = str(path)
        raw = load_yaml_file(path)
        if raw is None:
            raw = LineDict()
            raw.path, raw.key_lines = source, {}
        if not isinstance(raw, LineDict):
            raise ConfigError(source, 1, None, "the config must be a mapping of keys")
    for override in overrides or []:
        _apply_override(raw, override)
    errors: list[ConfigError] = []
    config = _build(Config, raw, source, "", errors)
    if errors:
        raise ConfigErrors(errors)
    config = dataclasses.replace(config, source=source)
    _check_semantics(config, raw, source)
    return config


def _apply_override(raw: LineDict, override: str) -> None:
    key, sep, text = override.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(OVERRIDE_SOURCE, None, override, "expected key.path=value")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(OVERRIDE_SOURCE, None, key, f"cannot parse value: {exc}") from exc
    node: Any = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = LineDict()
            child.path, child.key_lines = OVERRIDE_SOURCE, {}
            node[part] = child
        elif not isinstance(child, dict):
            raise ConfigError(OVERRIDE_SOURCE, None, key, f"{part} is not a section")
        node = child
    node[parts[-1]] = value
    if isinstance(node, LineDict):
        # The value now comes from the command line, so errors must not blame the file.
        node.key_lines[parts[-1]] = -1


def _where(raw: Any, key: str, default_path: str) -> tuple[str, int | None]:
    if isinstance(raw, LineDict):
        line = raw.line_of(key)
        if line == -1:
            return OVERRIDE_SOURCE, None
        return (raw.path if raw.path != "<string>" else default_path), line or None
    return default_path, None


def _build(cls: type[T], raw: Any, source: str, prefix: str, errors: list[ConfigError]) -> T:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}  # type: ignore[arg-type]
    if not isinstance(raw, dict):
        errors.append(ConfigError(source, None, prefix.rstrip(".") or None, "must be a mapping"))
        return cls()
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = prefix + key
        path, line = _where(raw, key, source)
        if key not in fields:
            known = ", ".join(sorted(fields))
            errors.append(ConfigError(path, line, dotted, f"unknown key (known: {known})"))
            continue
        try:
            kwargs[key] = _coerce(hints[key], value, source, dotted + ".", errors)
        except ValueError as exc:
            errors.append(ConfigError(path, line, dotted, str(exc)))
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, source: str, prefix: str, errors: list[ConfigError]) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, prefix, errors)  # type: ignore[arg-type]
    if origin is Literal:
        choices = get_args(hint)
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}, not {value!r}")
        return value
    if origin is tuple:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {type(value).__name__}")
        (item_hint, _ellipsis) = get_args(hint)
        if dataclasses.is_dataclass(item_hint):  # a list of sections: name the item
            base = prefix.rstrip(".")
            return tuple(
                _coerce(item_hint, item, source, f"{base}[{index}].", errors)
                for index, item in enumerate(value)
            )
        return tuple(_coerce(item_hint, item, source, prefix, errors) for item in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {value!r}")
        if value < 0:
            raise ValueError("must not be negative")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise ValueError(f"must be text, not {type(value).__name__}")
        return str(value)
    raise ValueError(f"unsupported type {hint!r}")  # a schema bug, not an admin's


def _check_semantics(config: Config, raw: Any, source: str) -> None:
    """Cross-field checks that types alone cannot express."""
    errors: list[ConfigError] = []
    thresholds_raw = raw.get("thresholds") if isinstance(raw, dict) else None

    def err(section: Any, key: str, dotted: str, message: str) -> None:
        path, line = _where(section, key, source) if section is not None else (source, None)
        errors.append(ConfigError(path, line, dotted, message))

    t = config.thresholds
    if not t.tag <= t.quarantine <= t.reject:
        err(thresholds_raw, "quarantine", "thresholds", "must satisfy tag <= quarantine <= reject")
    allow_raw = raw.get("allow") if isinstance(raw, dict) else None
    for cidr in config.allow.trusted_networks:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            err(allow_raw, "trusted_networks", "allow.trusted_networks", f"not a network: {cidr!r}")
    try:
        int(config.socket_mode, 8)
    except ValueError:
        err(
            raw,
            "socket_mode",
            "socket_mode",
            f"must be an octal mode like 0660: {config.socket_mode!r}",
        )
    if not (
        config.socket.startswith("unix:")
        or config.socket.startswith("inet:")
        or config.socket.startswith("local:")
        or config.socket.startswith("inet6:")
    ):
        err(raw, "socket", "socket", "must be unix:/path or inet:PORT@HOST")
    _check_dns(config.dns, raw.get("dns") if isinstance(raw, dict) else None, err)
    if errors:
        raise ConfigErrors(errors)


_DNS_NAME = re.compile(
    r"(?=.{1,200}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?",
    re.IGNORECASE,
)
_WALLET_CURRENCIES = ("btc", "ltc", "doge", "bch", "eth", "trx", "xmr")


def _check_dns(dns: DnsConfig, dns_raw: Any, err: Callable[[Any, str, str, str], None]) -> None:
    """The dns: section: resolvers are IP addresses, zones are DNS names, limits sane."""
    for server in dns.nameservers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            err(dns_raw, "nameservers", "dns.nameservers", f"not an IP address: {server!r}")
    if not 1 <= dns.port <= 65535:
        err(dns_raw, "port", "dns.port", "must be 1..65535")
    if not 1 <= dns.budget_ms <= 10000:
        err(dns_raw, "budget_ms", "dns.budget_ms", "must be 1..10000 milliseconds")
    if dns.max_concurrent < 1:
        err(dns_raw, "max_concurrent", "dns.max_concurrent", "must be at least 1")

    def item(key: str, index: int) -> Any:  # the list item, to name its line
        items = dns_raw.get(key) if isinstance(dns_raw, dict) else None
        return items[index] if isinstance(items, list) and index < len(items) else dns_raw

    names: dict[str, list[str]] = {
        "client_blocklists": [z.zone for z in dns.client_blocklists],
        "wallet_blocklists": [z.zone for z in dns.wallet_blocklists],
    }
    for key, zones in names.items():
        seen: set[str] = set()
        for index, zone in enumerate(zones):
            dotted = f"dns.{key}[{index}].zone"
            canonical = zone.strip().rstrip(".").lower()
            if not _DNS_NAME.fullmatch(zone):
                err(item(key, index), "zone", dotted, f"not a DNS zone name: {zone!r}")
            elif canonical in seen:
                err(item(key, index), "zone", dotted, f"zone listed twice: {zone!r}")
            seen.add(canonical)
    for index, wallet in enumerate(dns.wallet_blocklists):
        for currency in wallet.currencies:
            if currency not in _WALLET_CURRENCIES:
                err(
                    item("wallet_blocklists", index),
                    "currencies",
                    f"dns.wallet_blocklists[{index}].currencies",
                    f"unknown currency {currency!r} (known: {', '.join(_WALLET_CURRENCIES)})",
                )
    if dns.spf.source == "authentication-results" and not dns.spf.authserv_id.strip():
        spf_raw = dns_raw.get("spf") if isinstance(dns_raw, dict) else None
        err(
            spf_raw,
            "source",
            "dns.spf.authserv_id",
            "required when source is authentication-results (your MTA's authserv-id)",
        )
