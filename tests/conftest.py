"""Fixtures shared by every test layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from extortion_milter.config.build import build_engine
from extortion_milter.config.loader import load_config
from extortion_milter.engine.engine import Engine

from .dnsserver import dead_dns_server, dns_server  # noqa: F401  fixtures for every layer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    """The engine the milter runs on its defaults (no site overrides)."""
    return build_engine(load_config(None, ["rules.local_dir="]))
