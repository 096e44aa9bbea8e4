"""The layering of docs/architecture.md, enforced: each layer imports only those below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "milter" / "extortion_milter"

# What each top-level package of extortion_milter may import from the others.
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "config": {"engine"},
    "dns": {"engine", "config"},
    "actions": {"engine", "config", "sanitize"},
    "quarantine": {"engine", "config", "actions", "sanitize"},
    # The daemon runs the adapter's milter: signals, sockets, reload. It sits beside it.
    "daemon": {
        "engine",
        "config",
        "dns",
        "actions",
        "quarantine",
        "adapter",
        "logsetup",
        "sanitize",
    },
}


def imports_of(path: Path) -> set[str]:
    """extortion_milter sub-packages and third-party top-level modules `path` imports."""
    tree = ast.parse(path.read_text(), str(path))
    layer_parts = path.relative_to(PACKAGE).parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                parts = node.module.split(".")
                found.add(
                    parts[1] if parts[0] == "extortion_milter" and len(parts) > 1 else parts[0]
                )
            elif node.level > 0:
                base = list(layer_parts[: len(layer_parts) - node.level])
                target = [*base, *(node.module.split(".") if node.module else [])]
                if target:
                    found.add(target[0])
                else:  # "from .. import x" at the package root
                    found.update(alias.name for alias in node.names)
    return found


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_lies_below(layer: str) -> None:
    internal = {p.name for p in PACKAGE.iterdir() if p.is_dir()} | {
        p.stem for p in PACKAGE.glob("*.py")
    }
    for path in layer_files(layer):
        used = {name for name in imports_of(path) & internal if name != layer}
        assert used <= ALLOWED[layer], (
            f"{path.relative_to(PACKAGE)} imports {used - ALLOWED[layer]}"
        )


def test_only_the_adapter_and_test_harness_import_milter() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if {"Milter", "milter"} & imports_of(path)
    }
    assert importers, "nothing imports pymilter: the test is not looking at the right tree"
    assert all(p.startswith(("adapter/", "testing/")) for p in importers), importers


def test_engine_does_no_io_imports() -> None:
    forbidden = {"socket", "subprocess", "smtplib", "sqlite3", "dns", "Milter", "milter", "os"}
    for path in layer_files("engine"):
        assert not imports_of(path) & forbidden, path
