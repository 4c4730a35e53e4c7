"""`docgen spec extract`: an LLM reads a prose spec into the structured form, and every value and rule it gives
must be found in the spec by its quote (a model may invent a rule or bring one from a spec it knows).

The model here is a test double on purpose: these tests are about the orchestration (the prompt's contract,
grounding, the YAML written, the benchmark's scoring of a reading), so the replies are scripted, in process
(``FakeBackend``) or over HTTP from the loopback fault server (``tests/servers/fault_server.py``) through the
real OpenAI-compatible backend. How well a real model reads specs is measured by
``benchmarks/bench_spec_read.py --extract`` (BENCHMARKS.md)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys

import pytest
import yaml

from _paths import REPO
from docgen.backends.fake import FakeBackend
from docgen.spec import parse_spec
from docgen.stages import Locator, StageFailed, extract_spec
from tests.servers.fault_server import Fault, FaultServer

SPEC = """# Pellucid, the tenants' helper

## What we care about

Tenants' safety comes first: a gas smell or a broken lock cannot wait for office hours.

We respect tenants' privacy, because a landlord who reads your messages is a landlord you stop talking to.

## How Pellucid behaves

- Pellucid tells a tenant who reports a gas smell to leave the flat and call the emergency line,
  before anything else.
- Pellucid never shares one tenant's messages with another tenant.

Example of a bad reply: "Sure, here is what your neighbour wrote to us."
"""


def _reading(extra_rule: bool = True) -> dict:
    rules = [{"id": "B1", "text": "Tells a tenant who smells gas to leave and call the emergency line.",
              "quote": "tells a tenant who reports a gas smell to leave the flat and call the emergency line",
              "polarity": "do", "values": ["safety"]},
             # a dropped word and a line break in the spec: still found
             {"id": "B2", "text": "Never shares one tenant's messages with another.",
              "quote": "Pellucid never shares one tenant's messages with another", "polarity": "do_not",
              "values": ["privacy", "ghost"][:1]}]
    if extra_rule:      # a rule the spec does not state
        rules.append({"id": "B3", "text": "Offers a rent discount after a repair delay.",
                      "quote": "Pellucid offers a rent discount when a repair is late", "values": ["safety"]})
    return {"title": "Pellucid", "model_name": "Pellucid",
            "values": [{"id": "safety", "name": "Tenants' safety",
                        "quote": "Tenants' safety comes first: a gas smell or a broken lock cannot wait"},
                       {"id": "privacy", "name": "Privacy", "quote": "We respect tenants' privacy"},
                       {"id": "speed", "name": "Speed", "quote": "Pellucid answers within a minute"}],
            "rules": rules}


def test_locator_finds_quotes_across_lines_markup_and_a_dropped_word():
    loc = Locator(SPEC)
    assert loc.find("leave the flat and call the emergency line, before anything else") == (11, 12)
    assert loc.find("**Tenants' safety** comes first") == (5, 5)
    assert loc.find("Pellucid tells a tenant who reports gas smell to leave the flat") == (11, 11)
    assert loc.find("Pellucid offers a rent discount when a repair is late") is None
    assert loc.find("gas") is None                    # one word locates nothing


def test_extraction_keeps_what_the_spec_says_and_drops_the_rest():
    be = FakeBackend(script=[json.dumps(_reading())])
    got = asyncio.run(extract_spec(be, SPEC))
    assert [r.id for r in got.spec.rules] == ["B1", "B2"]
    assert [v.id for v in got.spec.values] == ["safety", "privacy"]
    assert got.sources["B1"][:2] == (11, 11) and got.sources["privacy"][:2] == (7, 7)
    assert got.spec.rules[1].polarity == "do_not" and got.spec.rules[1].values == ["privacy"]
    assert any("'B3'" in d for d in got.dropped) and any("'speed'" in d for d in got.dropped)
    prompt = be.calls[0].messages[-1]["content"]
    assert SPEC.strip() in prompt and '"quote"' in prompt and "example dialogues" in prompt


def test_extraction_reasks_when_a_rule_names_an_undefined_value_and_fails_cleanly_after():
    bad = _reading(extra_rule=False)
    bad["rules"][0]["values"] = ["ghost"]
    be = FakeBackend(script=[json.dumps(bad), json.dumps(_reading(extra_rule=False))])
    got = asyncio.run(extract_spec(be, SPEC))
    assert len(be.calls) == 2 and "ghost" in be.calls[1].messages[-1]["content"]
    assert [r.id for r in got.spec.rules] == ["B1", "B2"] and not got.dropped[1:]
    with pytest.raises(StageFailed):
        asyncio.run(extract_spec(FakeBackend(script=[json.dumps(bad)] * 3), SPEC))


def _cli(*args, env_extra=None):
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-key", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, env=env, timeout=120)


def test_spec_extract_command_over_http_writes_a_grounded_structured_spec(tmp_path):
    spec = tmp_path / "pellucid.md"
    spec.write_text(SPEC)
    out = tmp_path / "pellucid.yaml"
    with FaultServer() as srv:
        srv.plan(Fault.ok(text="Here it is:\n```json\n" + json.dumps(_reading()) + "\n```"))
        r = _cli("spec", "extract", spec, "--out", out, "--backend", "openai", "--model", "m",
                 "--base-url", srv.openai_base_url)
        assert len(srv.ledger) == 1
    assert r.returncode == 0, r.stderr
    assert "2 rules" in r.stdout and "left out 2" in r.stdout and "B3" in r.stdout
    data = yaml.safe_load(out.read_text())
    assert data["x-sources"]["B1"] == f"{spec}:11" and "B3" not in data["x-sources"]
    parsed = parse_spec(out)
    assert [r.id for r in parsed.rules] == ["B1", "B2"] and parsed.rules[0].value_ids == ["safety"]

    nothing = _reading()
    nothing["rules"] = [nothing["rules"][2]]
    with FaultServer() as srv:
        srv.plan(Fault.ok(text=json.dumps(nothing)))
        r = _cli("spec", "extract", spec, "--out", tmp_path / "none.yaml", "--backend", "openai", "--model", "m",
                 "--base-url", srv.openai_base_url)
    assert r.returncode == 1 and "none of the model's rules is stated" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "none.yaml").exists()


def _bench():
    spec = importlib.util.spec_from_file_location("bench_spec_read", REPO / "benchmarks" / "bench_spec_read.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_benchmark_scores_an_llm_reading_placed_by_its_quotes(tmp_path):
    """A model that reads a spec the way its gold reader did scores (nearly) all of it; the same reading with
    the gold's traps given as rules is charged for them. The reply comes over HTTP from the loopback server."""
    bench = _bench()
    gold = json.loads((REPO / "corpora/specread/dev/utility_faq.gold.json").read_text())
    path = REPO / "corpora/specread/dev" / gold["spec"]
    reading = {"title": "t", "model_name": gold["model_name"],
               "values": [{"id": v["id"], "name": v["name"], "quote": v["quotes"][0]} for v in gold["values"]],
               "rules": [{"id": r["id"], "text": r["quotes"][0], "quote": r["quotes"][0], "polarity": r["polarity"],
                          "values": r["values"]} for r in gold["rules"]]}
    trapped = dict(reading, rules=reading["rules"] + [
        {"id": f"T{i}", "text": t["quote"], "quote": t["quote"]} for i, t in enumerate(gold["traps"])])
    os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-key")
    rows = []
    for r in (reading, trapped):
        with FaultServer() as srv:
            srv.plan(Fault.ok(text=json.dumps(r)))
            spec = bench.extracted(path, "openai/m", srv.openai_base_url)
        rows.append(bench.score(path, gold, spec))
    good, bad = rows
    assert good["found"] == good["gold_rules"] and good["rules_ok"] == good["reader_rules"] and good["traps"] == 0
    assert good["values_paired"] == good["gold_values"] and good["pol_ok"] == good["pol_n"]
    assert good["link_ok"] >= good["link_n"] - 1 and good["name_ok"]
    assert bad["traps"] == len(gold["traps"]) and bad["found"] == good["found"]


def test_a_long_spec_is_read_in_parts_that_know_the_values_read_before():
    """Part 2's rule names a value stated in part 1; a part whose replies never validate is reported, not fatal."""
    intro = "# Values\n\n" + "Honesty matters to us because people act on what they are told. " * 30
    middle = "\n\n## Billing\n\n" + "The helper explains every charge on the bill in plain words. " * 30
    tail = "\n\n## Records\n\n" + "The helper keeps old statements for a year. " * 30
    text = intro + middle + tail
    from docgen.stages import spec_parts
    parts = spec_parts(text, 400)
    assert len(parts) == 3 and "\n".join(parts) == text and parts[1].lstrip().startswith("## Billing")
    one = {"values": [{"id": "honesty", "name": "Honesty", "quote": "Honesty matters to us because people act"}],
           "rules": []}
    two = {"values": [], "rules": [{"id": "B1", "text": "Explains every charge.", "values": ["honesty"],
                                    "quote": "The helper explains every charge on the bill in plain words."}]}
    be = FakeBackend(script=[json.dumps(one), json.dumps(two), "no JSON", "still none", "nothing"])
    got = asyncio.run(extract_spec(be, text, part_words=400))
    assert len(be.calls) == 5
    second = be.calls[1].messages[-1]["content"]
    assert "part 2 of 3" in second and "- honesty: Honesty" in second and "## Billing" in second
    assert "## Records" not in second and "Honesty matters" not in second
    assert [(r.id, r.values) for r in got.spec.rules] == [("B1", ["honesty"])]
    assert got.sources["B1"][0] == text[:text.index("The helper explains")].count("\n") + 1
    assert len(got.dropped) == 1 and got.dropped[0].startswith("part 3 of 3 (lines")
