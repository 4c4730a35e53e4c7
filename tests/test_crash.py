"""Crash tests: a real `docgen generate` process is SIGKILLed, then rerun.

The server is the loopback fault server (tests/servers/fault_server.py), a
stand-in for a provider: its ledger counts every request received, so the
tests can assert that nothing received is paid for twice and nothing is lost.
Named crash points use DOCGEN_CRASHPOINT (docgen/calls.py `crashpoint`):
after_response (received, not yet journalled), after_journal, after_accept.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docgen.corpus import iter_documents, sha256_file

from _paths import EXAMPLE_SPEC, REPO

sys.path.insert(0, str(REPO))
from tests.servers.fault_server import FaultServer  # noqa: E402

N = 6


def _cmd(out: Path, srv: FaultServer, *extra: str) -> list[str]:
    return [sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", str(N),
            "--backend", "openai", "--base-url", srv.openai_base_url, "--model", "stand-in", "--no-filters",
            "--shard-docs", "2", *extra]


def _env(**kw) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "DOCGEN_CRASHPOINT")}
    env.update(kw)
    return env


def _check_complete(out: Path) -> list:
    s = json.loads((out / "summary.json").read_text())
    assert s["accepted"] + sum(s["failed"].values()) == s["planned"] == N
    docs = list(iter_documents(out))
    assert len(docs) == s["accepted"] == N and len({d.id for d in docs}) == N
    assert len({d.item_id for d in docs}) == N
    man = json.loads((out / "manifest.json").read_text())
    for e in man["shards"]:
        assert sha256_file(out / e["path"]) == e["sha256"]
    assert not list(out.glob("**/.*.tmp-*"))
    return docs


def _repeats(srv: FaultServer) -> int:
    hashes = [e.body_sha256 for e in srv.ledger if e.route == "openai"]
    return len(hashes) - len(set(hashes))


@pytest.mark.parametrize("point,repeated", [("after_response", 1), ("after_journal", 0), ("after_accept", 0)])
def test_named_crash_point_then_rerun(tmp_path, point, repeated):
    out = tmp_path / "run"
    with FaultServer() as srv:
        r = subprocess.run(_cmd(out, srv, "--concurrency", "1"), cwd=REPO, capture_output=True, text=True,
                           env=_env(DOCGEN_CRASHPOINT=f"{point}:3"), timeout=120)
        assert r.returncode == -signal.SIGKILL, r.stderr
        assert len(srv.ledger) == 3
        r = subprocess.run(_cmd(out, srv, "--concurrency", "1"), cwd=REPO, capture_output=True, text=True,
                           env=_env(), timeout=120)
        assert r.returncode == 0, r.stderr
        _check_complete(out)
        # after_response: the response in hand at the kill was never journalled, so it is asked again;
        # at the other points nothing received is requested twice
        assert _repeats(srv) == repeated
        assert len(srv.ledger) == N + repeated


def test_random_kills_never_lose_or_duplicate(tmp_path):
    out = tmp_path / "run"
    rng = random.Random(7)
    kills = 0
    with FaultServer(latency_s=0.15) as srv:
        for _ in range(4):
            p = subprocess.Popen(_cmd(out, srv, "--concurrency", "2"), cwd=REPO, env=_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(1.0, 2.5))
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                kills += 1
            p.wait()
        r = subprocess.run(_cmd(out, srv, "--concurrency", "2"), cwd=REPO, capture_output=True, text=True,
                           env=_env(), timeout=180)
        assert r.returncode == 0, r.stderr
        _check_complete(out)
        # at most the requests in flight at each kill (concurrency 2) were sent again
        assert _repeats(srv) <= 2 * kills
        with sqlite3.connect(out / "journal.sqlite") as c:
            assert c.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == N


CANARIES = {"OPENAI_API_KEY": "sk-CANARY-0a1b2c3d4e", "ANTHROPIC_API_KEY": "sk-ant-CANARY-9z8y7x6w",
            "HF_TOKEN": "hf_CANARYabcdefghijklmnop"}


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_canary_keys_never_written_or_printed(tmp_path, backend):
    out = tmp_path / "run"
    with FaultServer() as srv:
        url = srv.openai_base_url if backend == "openai" else srv.anthropic_base_url
        cmd = [sys.executable, "-m", "docgen", "--debug", "generate", str(EXAMPLE_SPEC), "--out", str(out),
               "--docs", "3", "--backend", backend, "--base-url", url, "--model", "stand-in", "--shard-docs", "2"]
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=_env(**CANARIES), timeout=120)
        assert r.returncode in (0, 4), r.stderr        # 4: the echoed texts fail the filters
        assert all(e.auth_present for e in srv.ledger)          # the key was really used
        texts = [r.stdout, r.stderr]
        for f in out.rglob("*"):
            if f.is_file():
                texts.append(f.read_bytes().decode("utf-8", "replace"))
        for t in texts:
            for c in CANARIES.values():
                assert c not in t and c[8:] not in t
        assert json.loads((out / "summary.json").read_text())["planned"] == 3


def _batch_cmd(out: Path, srv: FaultServer, backend: str) -> list[str]:
    url = srv.openai_base_url if backend == "openai" else srv.anthropic_base_url
    return [sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", str(N),
            "--backend", backend, "--base-url", url, "--model", "stand-in", "--no-filters", "--batch",
            "--config", str(out.parent / "batch.yaml")]


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
@pytest.mark.parametrize("point", ["after_intent", "after_batch_create", "after_collect"])
def test_batch_generate_sigkill_then_rerun_one_remote_batch(tmp_path, backend, point):
    out = tmp_path / "run"
    (tmp_path / "batch.yaml").write_text("batch_poll_s: 0.05\n")
    env = _env(OPENAI_API_KEY="sk-test-batch", ANTHROPIC_API_KEY="sk-ant-test-batch")
    with FaultServer() as srv:
        r = subprocess.run(_batch_cmd(out, srv, backend), cwd=REPO, capture_output=True, text=True,
                           env={**env, "DOCGEN_CRASHPOINT": point}, timeout=120)
        assert r.returncode == -signal.SIGKILL, r.stderr
        r = subprocess.run(_batch_cmd(out, srv, backend), cwd=REPO, capture_output=True, text=True, env=env,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        _check_complete(out)
        assert len(srv.batches.created) == 1               # exactly one remote batch for the one chunk
        per_item = [cid for bid in srv.batches.requests_of for cid in srv.batches.requests_of[bid]]
        assert len(per_item) == len(set(per_item)) == N     # no item was sent in two batches
