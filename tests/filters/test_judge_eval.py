"""`docgen judge-eval`: the judge measured on a labelled set, against the offline check."""

import json
import subprocess
import sys

import pytest

from _paths import REPO, SPECS

SET = REPO / "corpora" / "devset" / "realistic" / "rules_spec.jsonl"


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def _subset(tmp_path, n):
    rows = [json.loads(l) for l in SET.read_text(encoding="utf-8").splitlines() if l.strip()]
    rows = [r for r in rows if r["split"] == "dev"]
    pick = [r for r in rows if r["label"] == "explicit"][:n] + [r for r in rows if r["label"] != "explicit"][:n]
    p = tmp_path / "set.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in pick))
    return p, len(pick)


def test_judge_eval_reports_per_label_and_agreement(tmp_path):
    # the fake backend is a test double (it echoes, so every judgement fails to parse): plumbing only
    p, n = _subset(tmp_path, 2)
    out = tmp_path / "rep.json"
    r = run("judge-eval", p, "--judge", "fake/echo", "--specs-dir", SPECS, "--json-out", out)
    assert r.returncode == 0, r.stderr
    assert f"{n} documents, judge fake/echo  (judge_failed: {n})" in r.stdout
    assert "agreement judge/offline" in r.stdout and "offline P" in r.stdout
    rep = json.loads(out.read_text())
    assert rep["documents"] == n and set(rep["judge_per_label"]) >= {"attributed", "wrong_value", "contradiction"}
    assert 0.0 <= rep["offline_exact"] <= 1.0


def test_judge_eval_bad_set_exit_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "spec": "rules_spec.txt", "label": "maybe"}) + "\n")
    r = run("judge-eval", bad, "--judge", "fake/echo", "--specs-dir", SPECS)
    assert r.returncode == 2 and "bad.jsonl:1" in r.stderr and "unknown label" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_judge_eval_end_to_end_with_the_embedded_model(tmp_path):
    """Real SmolLM2-135M through llama.cpp on two documents. Its figures are poor (it rarely writes a valid
    verdict); this checks that a user without a key can run the calibration end to end."""
    p, n = _subset(tmp_path, 1)
    r = run("judge-eval", p, "--judge", "local/smollm2-135m", "--specs-dir", SPECS, "--concurrency", "1", timeout=900)
    assert r.returncode == 0, r.stderr
    assert f"{n} documents, judge local/smollm2-135m" in r.stdout and "keep decision" in r.stdout
