"""Shared test fixtures. The real specs and eval scenarios in ../shared are test data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _paths import SPECS  # noqa: E402


@pytest.fixture
def shared_specs() -> Path:
    if not SPECS.is_dir():
        pytest.fail(f"../shared/specs not found at {SPECS}: tests read the real specs from there")
    return SPECS
