"""Issue 9: a run directory that survives outages, two writers, a full disk, tampering.

Every test runs the real `docgen generate` (a subprocess) against the loopback fault
server (tests/servers/fault_server.py: a stand-in for a provider, not a model). Its
ledger records every request received, so each test asserts that nothing was lost,
nothing received was paid for twice, and the error said what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from docgen.corpus import iter_documents, sha256_file

from _paths import EXAMPLE_SPEC, REPO

sys.path.insert(0, str(REPO))
from tests.servers.fault_server import Fault, FaultServer  # noqa: E402

N = 6
FAST_RETRIES = "retry_attempts: 2\nretry_base_s: 0.01\n"


def gen(out: Path, base_url: str, *extra: str, config: str | None = None, docs: int = N,
        env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", str(docs),
           "--backend", "openai", "--base-url", base_url, "--model", "stand-in", "--no-filters",
           "--shard-docs", "2", *extra]
    if config is not None:
        cfg = out.parent / f"{out.name}.yaml"
        cfg.write_text(config)
        cmd += ["--config", str(cfg)]
    e = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "DOCGEN_CRASHPOINT")}
    e.update(env or {})
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=e, timeout=timeout)


def docgen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docgen", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def check_consistent(out: Path) -> list:
    """accepted == rows in shards; every shard matches its sha256; no item twice."""
    s = summary(out)
    docs = list(iter_documents(out))
    assert len(docs) == s["accepted"]
    assert len({d.item_id for d in docs}) == len(docs)
    assert s["accepted"] + sum(s["failed"].values()) + s["pending"] == s["planned"]
    man = json.loads((out / "manifest.json").read_text())
    assert man["totals"]["documents"] == s["accepted"]
    for e in man["shards"] + man["rejected_shards"]:
        assert sha256_file(out / e["path"]) == e["sha256"]
    return docs


def paid_twice(srv: FaultServer) -> int:
    """Requests answered 200 whose exact body had been answered 200 before."""
    seen, n = set(), 0
    for e in srv.ledger:
        if e.status == 200 and e.route == "openai":
            n += e.body_sha256 in seen
            seen.add(e.body_sha256)
    return n


def clean_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "error:" in r.stderr and "hint:" in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


# 1 ------------------------------------------------------------------------------------------------

BRIEF_ONE_GENRE = "prompt_style: brief\ngenres: [memo]\n"


def test_1_distinct_items_get_distinct_requests_and_accepted_equals_rows(tmp_path):
    # brief prompts: the items of one cell render the same prompt; the seed keeps them apart
    with FaultServer(echo_seed=True) as srv:
        r = gen(tmp_path / "a", srv.openai_base_url, config=BRIEF_ONE_GENRE, docs=12)
        assert r.returncode == 0, r.stderr
        bodies = [e.body_sha256 for e in srv.ledger]
        assert len(bodies) == len(set(bodies)) == 12
        same_prompt: dict[str, list] = {}
        for e in srv.ledger:
            same_prompt.setdefault(json.dumps(e.body["messages"]), []).append(e.body["seed"])
        assert max(len(v) for v in same_prompt.values()) > 1          # the case that used to collapse
        assert all(len(v) == len(set(v)) for v in same_prompt.values())
        docs = check_consistent(tmp_path / "a")
        assert len(docs) == summary(tmp_path / "a")["accepted"] == 12
    # a server that ignores the seed answers identical texts: never counted as accepted twice
    with FaultServer(echo_seed=False) as srv:
        r = gen(tmp_path / "b", srv.openai_base_url, config=BRIEF_ONE_GENRE, docs=12)
        s = summary(tmp_path / "b")
        docs = check_consistent(tmp_path / "b")
        assert s["accepted"] == len(docs) == len({d.text for d in docs}) < 12
        assert any("duplicate:exact_text" in k for k in s["failed"])
        assert r.returncode == 4 and "--retry-failed" in r.stdout


# 2 ------------------------------------------------------------------------------------------------

def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                       # nothing listens there now
    return f"http://127.0.0.1:{port}/v1"


def test_2a_dead_server_then_corrected_base_url_resumes(tmp_path):
    out = tmp_path / "run"
    r = gen(out, _dead_url(), config=FAST_RETRIES)
    assert r.returncode == 3 and "rerun the same command" in r.stdout, r.stdout + r.stderr
    s = summary(out)
    assert s["accepted"] == 0 and s["retryable"] == N and s["requests_sent"] == 2 * N   # retries counted
    with FaultServer() as srv:
        r = gen(out, srv.openai_base_url, config=FAST_RETRIES)      # a transport setting changed: allowed
        assert r.returncode == 0, r.stderr
        check_consistent(out)
        assert summary(out)["accepted"] == N and len(srv.ledger) == N


def test_2b_server_errors_stay_retryable_and_nothing_is_paid_twice(tmp_path):
    out = tmp_path / "run"
    with FaultServer(default=Fault.error(500)) as srv:
        srv.plan(Fault.ok(), Fault.ok())            # two items answered before the outage
        r = gen(out, srv.openai_base_url, "--concurrency", "1", config=FAST_RETRIES)
        assert r.returncode == 3, r.stderr
        s = summary(out)
        assert s["accepted"] == 2 and s["retryable"] == N - 2
        assert s["requests_sent"] == len(srv.ledger) == 2 + 2 * (N - 2)
        srv.default = Fault.ok()
        r = gen(out, srv.openai_base_url, "--concurrency", "1", config=FAST_RETRIES)
        assert r.returncode == 0, r.stderr
        s = summary(out)
        assert s["accepted"] == N and s["requests_sent"] == N - 2
        assert paid_twice(srv) == 0
        check_consistent(out)


def test_2c_rejected_key_stops_the_run_at_once(tmp_path):
    out = tmp_path / "run"
    with FaultServer(default=Fault.error(401)) as srv:
        r = gen(out, srv.openai_base_url, "--concurrency", "2", docs=20)
        clean_error(r, "OPENAI_API_KEY", "401")
        assert len(srv.ledger) <= 2                  # not once per item
        srv.default = Fault.ok()
        r = gen(out, srv.openai_base_url, "--concurrency", "2", docs=20)
        assert r.returncode == 0, r.stderr
        check_consistent(out)
        assert paid_twice(srv) == 0 and summary(out)["accepted"] == 20


def test_2d_permanent_failures_are_retried_only_with_retry_failed(tmp_path):
    out = tmp_path / "run"
    with FaultServer(default=Fault.error(400)) as srv:
        r = gen(out, srv.openai_base_url)
        assert r.returncode == 4 and summary(out)["retryable"] == 0 and len(srv.ledger) == N
        srv.default = Fault.ok()
        r = gen(out, srv.openai_base_url)
        assert r.returncode == 4 and summary(out)["requests_sent"] == 0   # a plain rerun leaves them
        r = gen(out, srv.openai_base_url, "--retry-failed")
        assert r.returncode == 0, r.stderr
        assert summary(out)["accepted"] == N and summary(out)["requests_sent"] == N
        check_consistent(out)


def test_2e_content_settings_still_refused(tmp_path):
    out = tmp_path / "run"
    with FaultServer() as srv:
        assert gen(out, srv.openai_base_url).returncode == 0
        r = gen(out, srv.openai_base_url, "--temperature", "0.9")
        clean_error(r, "different run", "params")


# 3 ------------------------------------------------------------------------------------------------

def test_3_second_writer_is_refused_and_repair_rebuilds_from_the_journal(tmp_path):
    out = tmp_path / "run"
    with FaultServer(latency_s=0.3) as srv:
        cmd_env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        a = subprocess.Popen([sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out),
                              "--docs", str(N), "--backend", "openai", "--base-url", srv.openai_base_url,
                              "--model", "stand-in", "--no-filters", "--shard-docs", "2", "--concurrency", "1"],
                             cwd=REPO, env=cmd_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not srv.ledger and time.time() < deadline:
            time.sleep(0.05)
        b = gen(out, srv.openai_base_url, "--concurrency", "1")
        clean_error(b, f"pid {a.pid}")
        assert a.wait(timeout=120) == 0, a.stderr.read()
        assert len(srv.ledger) == N and paid_twice(srv) == 0
        check_consistent(out)
        # damage of the kind two writers left: one shard twice in the manifest, another shard's rows lost
        man = json.loads((out / "manifest.json").read_text())
        man["shards"].append(dict(man["shards"][0]))
        (out / "manifest.json").write_text(json.dumps(man))
        r = gen(out, srv.openai_base_url)
        assert r.returncode == 0 and "repair:" in r.stderr, r.stderr
        assert summary(out)["requests_sent"] == 0 and len(srv.ledger) == N
        check_consistent(out)


# 4 ------------------------------------------------------------------------------------------------

def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_4_disk_full_is_a_clear_error_and_resume_works(tmp_path):
    mnt = tmp_path / "small"
    if not _tmpfs(mnt, "400k"):
        pytest.skip("needs root and permission to mount a tmpfs (to fill a real file system)")
    try:
        out = mnt / "run"
        with FaultServer(echo_seed=True, default=Fault.ok(text=None)) as srv:
            r = gen(out, srv.openai_base_url, "--concurrency", "2", config=BRIEF_ONE_GENRE, docs=400)
            clean_error(r, f"disk full at {out}: free space and rerun")
            sent = len(srv.ledger)
            # free space: move the run to a roomy directory and finish it there
            big = tmp_path / "big"
            shutil.copytree(out, big, ignore=shutil.ignore_patterns(".docgen.lock"))
            r = gen(big, srv.openai_base_url, "--concurrency", "2", config=BRIEF_ONE_GENRE, docs=400)
            assert r.returncode == 0, r.stderr
            check_consistent(big)
            assert summary(big)["accepted"] == 400
            # only the responses in flight when the disk filled (concurrency 2) could not be journalled
            assert 0 < sent < 400 and paid_twice(srv) <= 2 and len(srv.ledger) <= 400 + 2
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# 5 ------------------------------------------------------------------------------------------------

@pytest.fixture
def finished(tmp_path):
    srv = FaultServer(echo_seed=True).start()
    out = tmp_path / "run"
    r = gen(out, srv.openai_base_url)
    assert r.returncode == 0, r.stderr
    yield out, srv
    srv.stop()


def _regenerate_repairs(out: Path, srv: FaultServer) -> None:
    before = len(srv.ledger)
    r = gen(out, srv.openai_base_url)
    assert r.returncode == 0 and "repair:" in r.stderr, r.stderr
    assert len(srv.ledger) == before                # rebuilt from the journal: nothing requested
    check_consistent(out)
    assert summary(out)["accepted"] == N


def test_5a_deleted_shard(finished):
    out, srv = finished
    (out / "data" / "shard-00001.parquet").unlink()
    clean_error(docgen("validate", str(out), "--spec", str(EXAMPLE_SPEC)), "missing")
    _regenerate_repairs(out, srv)


def test_5b_truncated_manifest_hint_is_true(finished):
    out, srv = finished
    m = out / "manifest.json"
    m.write_bytes(m.read_bytes()[:40])
    r = docgen("validate", str(out), "--spec", str(EXAMPLE_SPEC))
    clean_error(r, "manifest", "rerun `docgen generate`")
    _regenerate_repairs(out, srv)


def test_5c_bit_flip_is_caught_on_every_read_path(finished, tmp_path):
    out, srv = finished
    p = out / "data" / "shard-00000.parquet"
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    p.write_bytes(bytes(raw))
    clean_error(docgen("report", str(out), "--out", str(tmp_path / "r.html")), "sha256")
    clean_error(docgen("filter", str(out), "--out", str(tmp_path / "f")), "sha256")
    clean_error(docgen("validate", str(out), "--spec", str(EXAMPLE_SPEC)), "sha256")
    _regenerate_repairs(out, srv)


def test_5d_truncated_journal_is_a_clear_error(finished):
    out, srv = finished
    j = out / "journal.sqlite"
    j.write_bytes(j.read_bytes()[: j.stat().st_size // 2])
    before = len(srv.ledger)
    clean_error(gen(out, srv.openai_base_url), "journal is damaged")
    assert len(srv.ledger) == before


def test_5e_emptied_journal_is_refused_not_repaid(finished):
    out, srv = finished
    (out / "journal.sqlite").write_bytes(b"")
    for extra in ("-wal", "-shm"):
        (out / f"journal.sqlite{extra}").unlink(missing_ok=True)
    before = len(srv.ledger)
    clean_error(gen(out, srv.openai_base_url), "does not match the shards")
    assert len(srv.ledger) == before
    assert len(list(iter_documents(out))) == N      # the corpus itself is untouched


# 6 ------------------------------------------------------------------------------------------------

PRICED = "loopback_free: false\nopenai:\n  models:\n    stand-in: {input: 100.0, output: 100.0}\n"


def test_6_spend_cap_reserves_the_worst_case(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICED)
    out = tmp_path / "run"
    # every answer is exactly max_tokens long: the worst case the cap must reserve for
    with FaultServer() as srv:
        srv.plan(*(Fault.ok(text=" ".join(f"d{k}w{i}" for i in range(150))) for k in range(20)))
        args = ("--prices", str(prices), "--max-tokens", "150", "--concurrency", "4", "--max-cost", "0.2")
        r = gen(out, srv.openai_base_url, *args, docs=20)
        assert r.returncode == 1 and "--max-cost" in r.stdout, r.stdout + r.stderr
        s = summary(out)
        assert 0 < s["cost_usd"] <= 0.2 and s["pending"] > 0
        r = gen(out, srv.openai_base_url, *args[:-1], "100", docs=20)
        assert r.returncode == 0, r.stderr
        assert paid_twice(srv) == 0 and len(srv.ledger) == 20
        check_consistent(out)


def test_6_price_for_compares_the_host_exactly():
    from docgen.pricing import FREE, price_for

    table = {"openai": {"models": {"gpt-x": {"input": 1.0, "output": 2.0}}}}
    for url in ("https://localhost-proxy.corp.example/v1", "https://127.0.0.1.evil.example/v1",
                "https://api.example.com/127.0.0.1/v1"):
        assert price_for("openai", "gpt-x", {"base_url": url}, table) != FREE, url
    for url in ("http://127.0.0.1:8080/v1", "http://localhost:1/v1", "http://[::1]:9/v1"):
        assert price_for("openai", "gpt-x", {"base_url": url}, table) == FREE, url


# 8 ------------------------------------------------------------------------------------------------

def test_8_credentials_in_urls_are_never_written(tmp_path):
    out = tmp_path / "run"
    secret = "sk-URLCANARY-5f4e3d2c1b"
    with FaultServer() as srv:
        url = srv.openai_base_url.replace("http://", f"http://user:{secret}@")
        r = gen(out, url)
        assert r.returncode == 0, r.stderr
        assert secret not in r.stdout + r.stderr
        for f in out.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f
        conf = json.loads((out / "config.json").read_text())
        assert conf["backend_options"]["base_url"] == srv.openai_base_url
        assert conf["resolved"]["backend"]["base_url"] == srv.openai_base_url
