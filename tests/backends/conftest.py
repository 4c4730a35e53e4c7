"""Fixtures for the backend tests.

The ``fault_server`` is a loopback stand-in for the providers' servers (see
tests/servers/fault_server.py): it lets a test order up a 429 storm, a 529, a
stall or a cut stream on demand, which real servers cannot do. Nothing leaves
127.0.0.1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers.fault_server import FaultServer  # noqa: E402

OPENAI_CANARY = "sk-CANARY-5678"
ANTHROPIC_CANARY = "sk-ant-CANARY-1234"


@pytest.fixture
def fault_server():
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def keys(monkeypatch):
    """Fake keys (canaries): they must never show up in any output."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_CANARY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_CANARY)
    return {"openai": OPENAI_CANARY, "anthropic": ANTHROPIC_CANARY}
