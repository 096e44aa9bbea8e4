"""Config loading: defaults, the example file, -o overrides and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.config.errors import ConfigError, ConfigErrors
from extortion_milter.config.loader import load_config
from extortion_milter.config.schema import Config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_example_config_equals_built_in_defaults() -> None:
    assert load_config(REPO / "config.example.yaml") == Config()


def test_no_file_gives_defaults() -> None:
    config = load_config(None)
    assert config == Config()
    assert config.source == "<built-in defaults>"


def test_overrides_reach_nested_keys_and_parse_yaml_values() -> None:
    config = load_config(
        None, ["thresholds.reject=22", "mode=monitor", "allow.senders=[a@b.example, '@c.example']"]
    )
    assert config.thresholds.reject == 22.0
    assert config.mode == "monitor"
    assert config.allow.senders == ("a@b.example", "@c.example")


def test_override_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, "thresholds:\n  tag: 4\n")
    config = load_config(path, ["thresholds.tag=3"])
    assert config.thresholds.tag == 3.0


def errors_of(path: Path | None, overrides: list[str] | None = None) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as info:
        load_config(path, overrides)
    exc = info.value
    return [str(e) for e in (exc.errors if isinstance(exc, ConfigErrors) else [exc])]


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "mode: enforce\nthresholds:\n  tag: 5\n  rejct: 20\n")
    assert errors_of(path) == [
        f"{path}:4: thresholds.rejct: unknown key (known: quarantine, reject, tag)"
    ]


def test_wrong_types_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mode: loud\nlimits:\n  max_parts: many\n  max_part_bytes: -1\n"
        "tag:\n  add_headers: 'yes'\n",
    )
    errors = errors_of(path)
    assert f"{path}:1: mode: must be one of enforce, monitor, not 'loud'" in errors
    assert f"{path}:3: limits.max_parts: must be a whole number, not 'many'" in errors
    assert f"{path}:4: limits.max_part_bytes: must not be negative" in errors
    assert f"{path}:6: tag.add_headers: must be true or false, not 'yes'" in errors


def test_thresholds_must_be_ordered(tmp_path: Path) -> None:
    path = write(tmp_path, "thresholds:\n  tag: 5\n  quarantine: 20\n  reject: 15\n")
    assert errors_of(path) == [f"{path}:3: thresholds: must satisfy tag <= quarantine <= reject"]


def test_bad_network_and_socket(tmp_path: Path) -> None:
    path = write(tmp_path, "socket: /tmp/x.sock\nallow:\n  trusted_networks: [10.0.0.0/33]\n")
    errors = errors_of(path)
    assert f"{path}:3: allow.trusted_networks: not a network: '10.0.0.0/33'" in errors
    assert f"{path}:1: socket: must be unix:/path or inet:PORT@HOST" in errors


def test_override_errors_blame_the_command_line() -> None:
    assert errors_of(None, ["mode=bogus"]) == [
        "<command line -o>: mode: must be one of enforce, monitor, not 'bogus'"
    ]
    assert errors_of(None, ["novalue"]) == ["<command line -o>: novalue: expected key.path=value"]


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, "mode: enforce\nthresholds: [1,\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:3: YAML syntax")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "mode: enforce\nmode: monitor\n")
    assert errors_of(path) == [f"{path}:2: mode: duplicate key"]


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path / "nope.yaml")
    assert "nope.yaml: cannot read" in error
