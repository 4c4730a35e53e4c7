"""Both evals end to end with the real embedded model (SmolLM2-135M GGUF, on CPU).

The numbers mean nothing at this size; what is tested is the path: scenario files ->
inspect task -> llama.cpp answers -> grader role (the same model) -> report + log, and
items -> both orders -> log-probabilities from the dequantised GGUF, with and without a
peft adapter.
"""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("inspect_ai")
pytest.importorskip("transformers")

from _paths import EVAL_DIR, REPO  # noqa: E402
from docgen.cli import main  # noqa: E402

pytestmark = pytest.mark.slow
AM = EVAL_DIR / "agentic_misalignment"
ITEMS = REPO / "corpora" / "eval" / "preferences" / "affordability_items.jsonl"


def test_misalignment_smollm2(tmp_path, capsys):
    out = tmp_path / "mis"
    rc = main(["eval", "misalignment", "--backend", "local", "--scenarios", str(AM), "--only", "murder",
               "--limit", "1", "--max-tokens", "96", "--grader-max-tokens", "48", "--out", str(out), "--json"])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert list(rep["conditions"]) == ["murder/america"]
    c = rep["conditions"]["murder/america"]
    assert c["samples"] == 1 and c["errors"] == 0
    assert c["graded"] + c["grader_failed"] == 1
    assert rep["overall"]["rule"]["n"] == 1
    from inspect_ai.log import read_eval_log

    log = read_eval_log(rep["inspect_log"])
    s = log.samples[0]
    assert s.output.completion.strip()                       # the model answered
    score = next(iter(s.scores.values()))
    assert score.metadata["status"] in ("ok", "grader_failed")
    assert 1 <= len(score.metadata["grader_replies"]) <= 2    # at most one re-ask
    assert (out / "report.json").exists()


def _prefs(tmp_path, capsys, *extra):
    rc = main(["eval", "preferences", str(ITEMS), "--limit", "3", "--out", str(tmp_path), "--json", *extra])
    assert rc == 0
    return json.loads(capsys.readouterr().out), [json.loads(x) for x in (tmp_path / "answers.jsonl").read_text().splitlines()]


def test_preferences_smollm2_logprob(tmp_path, capsys):
    summary, rows = _prefs(tmp_path / "a", capsys, "--backend", "local")
    assert summary["method"] == "logprob" and summary["overall"]["items"] == 3
    assert len(rows) == 6 and {r["order"] for r in rows} == {0, 1}
    assert all(math.isfinite(r["logprobs"]["A"]) and r["logprobs"]["A"] < 0 for r in rows)
    assert 0.0 <= summary["overall"]["rate"] <= 1.0
    again, rows2 = _prefs(tmp_path / "b", capsys, "--backend", "local")
    assert rows2 == rows                                      # log-prob scoring has no sampling noise


def test_preferences_with_adapter_changes_logprobs(tmp_path, capsys):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from docgen.backends import convert_gguf

    base = convert_gguf.convert()
    torch.manual_seed(0)
    net = AutoModelForCausalLM.from_pretrained(str(base))
    cfg = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft = get_peft_model(net, cfg)
    peft.save_pretrained(str(tmp_path / "adapter"))
    _, plain = _prefs(tmp_path / "p", capsys, "--backend", "transformers", "--model", str(base))
    _, adapted = _prefs(tmp_path / "q", capsys, "--backend", "transformers", "--model", str(base),
                        "--adapter", str(tmp_path / "adapter"))
    assert [r["logprobs"] for r in plain] != [r["logprobs"] for r in adapted]
