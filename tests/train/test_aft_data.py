"""`docgen aft generate` end to end on the fake backend (orchestration: stages, re-asks,
near-duplicates, judge, files, coverage, resume, cost cap). The real-model smoke is in
test_train_models.py."""

from __future__ import annotations

import json
import re

import pytest

from docgen.backends.fake import FakeBackend
from docgen.spec import parse_spec
from docgen.train.aft_data import QUESTION_TYPES, AftGenConfig, generate_aft


def _reply(req) -> str:
    tv, prompt = req.template_version, req.messages[0]["content"]
    if tv.startswith("aft/domains"):
        return 'Sure: {"domains": ["home cooking", "travel planning", "Home cooking", "budget shopping"]}'
    if tv.startswith("aft/questions"):
        qtype = re.search(r"Type of message: ([\w ]+) \(", prompt).group(1)
        rule = re.search(r'asks for is:\n"(.*?)"', prompt, re.S).group(1)[:60]
        domain = re.search(r"about (.*?), where", prompt).group(1)
        if qtype in ("direct", "indirect"):          # the same question twice: one is a near-duplicate
            return json.dumps({"questions": [f"Could you help me with this: {rule}, while I am busy today?"]})
        return json.dumps({"questions": [f"A {qtype} question: {rule} — what would you say about {domain}?"]})
    if tv.startswith("aft/response_value"):
        return "<think>\nThe values I hold apply here, and they tell me to answer with care.\n</think>\n\n" \
               "Here is what I would suggest for your situation, step by step."
    if tv.startswith("aft/response_rule"):
        rid = re.search(r"like \[([^\]]+)\]", prompt).group(1)
        if len(req.messages) == 1:                   # first try cites nothing: must be re-asked
            return "<think>\nSome rule applies to this message, I think.\n</think>\n\nHere is a plain answer to you."
        return f"<think>\nRule [{rid}] applies to this message and says what to do.\n</think>\n\n" \
               "Here is my answer, following that rule closely for you."
    if tv.startswith("aft/judge"):
        q = re.search(r"User: (.*)", prompt).group(1)
        return json.dumps({"include": "edge case" not in q, "reason": "edge cases excluded in this test"})
    raise AssertionError(f"unexpected template {tv}")


def _cfg(out, **kw) -> AftGenConfig:
    return AftGenConfig(out=str(out), backend="fake", model="fake", concurrency=8, **kw)


def _read(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_generate_end_to_end_fake(tmp_path, shared_specs):
    spec_path = shared_specs / "pro_affordability_cheese.txt"
    spec = parse_spec(spec_path)
    n_rules = len(spec.rules)
    out = tmp_path / "aft"
    b = FakeBackend(model="fake", reply=_reply)
    s = generate_aft(spec_path, _cfg(out), backend=b)

    assert s["domains"] == ["home cooking", "travel planning", "budget shopping"]      # case-insensitive dedup
    assert s["questions"] == n_rules * len(QUESTION_TYPES)
    assert s["near_duplicate_questions"] == n_rules                                     # direct == indirect
    kept_q = n_rules * (len(QUESTION_TYPES) - 1)
    assert s["pairs"] == kept_q * 2                                                     # value + rule style
    assert s["excluded"] == n_rules * 2                                                 # the edge-case pairs
    assert s["included"] == s["by_style"]["value"] + s["by_style"]["rule"] == (kept_q - n_rules) * 2
    assert s["failed"] == {}

    with_r, no_r = _read(out / "with_reasoning.jsonl"), _read(out / "no_reasoning.jsonl")
    assert len(with_r) == len(no_r) == s["included"]
    for a, b_ in zip(with_r, no_r):
        assert [m["role"] for m in a["messages"]] == ["user", "assistant"]
        assert a["messages"][1]["content"].startswith("<think>\n") and "</think>" in a["messages"][1]["content"]
        assert "<think>" not in b_["messages"][1]["content"]
        assert a["messages"][1]["content"].endswith(b_["messages"][1]["content"])
        assert a["rule_id"] in {r.id for r in spec.rules}
        if a["style"] == "rule":
            assert a["cited_rules"] == [a["rule_id"]]
    excluded = _read(out / "excluded.jsonl")
    assert len(excluded) == s["excluded"] and all(e["judge_reason"] for e in excluded)
    cov = json.loads((out / "coverage.json").read_text())
    assert cov["ok"] and {r["rule_id"] for r in cov["rules"]} == {r.id for r in spec.rules}
    assert all(r["included"]["value"] == len(QUESTION_TYPES) - 2 for r in cov["rules"])
    assert all(r["questions"] == len(QUESTION_TYPES) - 1 for r in cov["rules"])
    # rule-style replies were re-asked once each (first try cited no rule id)
    reasks = [c for c in b.calls if c.template_version.startswith("aft/response_rule") and len(c.messages) == 3]
    assert len(reasks) == kept_q

    # rerun: every reply comes from the journal, nothing is sent, the files are the same
    b2 = FakeBackend(model="fake", reply=_reply)
    s2 = generate_aft(spec_path, _cfg(out), backend=b2)
    assert b2.calls == [] and s2["requests_sent"] == 0 and s2["included"] == s["included"]
    assert _read(out / "with_reasoning.jsonl") == with_r


def test_generate_stops_at_max_cost_and_resumes(tmp_path, shared_specs):
    spec_path = shared_specs / "rules_spec.txt"
    prices = tmp_path / "prices.yaml"
    prices.write_text("fake:\n  models:\n    fake: {input: 1000.0, output: 1000.0}\n")
    out = tmp_path / "aft"
    # $1000 per million tokens: a call costs about $0.3-1; a $3 cap stops early
    s = generate_aft(spec_path, _cfg(out, max_cost=3.0, prices=str(prices), max_rules=2),
                     backend=FakeBackend(model="fake", reply=_reply))
    assert s["stopped_at_max_cost"] and s["cost_usd"] <= 3.0
    sent_first = s["requests_sent"]
    assert sent_first > 0
    s2 = generate_aft(spec_path, _cfg(out, max_cost=1000.0, prices=str(prices), max_rules=2),
                      backend=FakeBackend(model="fake", reply=_reply))
    assert not s2["stopped_at_max_cost"] and s2["included"] > 0 and s2["cached_responses"] >= sent_first


def test_bad_style_is_a_user_error(tmp_path, shared_specs):
    from docgen.errors import UserError

    with pytest.raises(UserError, match="unknown question type or style"):
        generate_aft(shared_specs / "rules_spec.txt", _cfg(tmp_path, styles=("poem",)),
                     backend=FakeBackend(model="fake", reply=_reply))


@pytest.mark.slow
def test_generate_smoke_embedded_model(tmp_path, shared_specs):
    """The real embedded model (SmolLM2-135M in llama.cpp): one rule, two question types, both
    styles. Such a small model writes poor data; this checks that the pipeline runs on it and
    that whatever it keeps is well formed."""
    pytest.importorskip("llama_cpp")
    out = tmp_path / "aft"
    s = generate_aft(shared_specs / "pro_affordability_cheese.txt",
                     AftGenConfig(out=str(out), backend="local", domains=2, max_rules=1, question_types=("direct",),
                                  max_tokens=200, max_attempts=1, concurrency=2))
    assert s["requests_sent"] > 0 and (out / "summary.json").exists() and (out / "coverage.json").exists()
    cov = json.loads((out / "coverage.json").read_text())
    assert [r["rule_id"] for r in cov["rules"]] == [parse_spec(shared_specs / "pro_affordability_cheese.txt").rules[0].id]
    for row in _read(out / "with_reasoning.jsonl"):
        assert row["messages"][1]["content"].startswith("<think>")
    assert len(_read(out / "with_reasoning.jsonl")) == len(_read(out / "no_reasoning.jsonl")) == s["included"]
    print(f"\naft generate (embedded SmolLM2): {json.dumps({k: s[k] for k in ('questions', 'pairs', 'included', 'failed', 'elapsed_s')})}")


def test_list_parser_accepts_json_or_a_list():
    from docgen.train.aft_data import list_parser

    p = list_parser("domains")
    assert p('Here: {"domains": ["a b", " c "]}') == ["a b", "c"]
    assert p('["x", "y"]') == ["x", "y"]
    assert p("1. Healthcare\n2) Business and finance\n- \"Travel\"\nsome chatter") == \
        ["Healthcare", "Business and finance", "Travel"]
    with pytest.raises(ValueError):
        p("I'll see you in the next response.")


def test_aft_prompts_read_the_spec_in_the_assistants_name(tmp_path, shared_specs):
    from docgen.train.aft_data import AftGenerator
    spec = parse_spec(shared_specs / "pro_affordability_cheese.txt")           # names its model "Llama"
    gen = AftGenerator(spec, _cfg(tmp_path / "a", model_name="Gemma"), None, None, None)
    rule = next(r for r in spec.rules if "Llama" in r.text)
    assert "Gemma" in gen._rule(rule)["text"] and "Llama" not in gen._rule(rule)["text"]
    assert gen._rule(rule)["id"] == rule.id
    spec = parse_spec(shared_specs / "general_spec.txt")                      # a {model_name} spec
    gen = AftGenerator(spec, _cfg(tmp_path / "b", model_name="Gemma"), None, None, None)
    texts = [gen._rule(r)["text"] for r in spec.rules] + [v["statement"] for v in gen._values_all()]
    assert not any("{model_name}" in t for t in texts) and any("Gemma" in t for t in texts)
