"""Engine orchestration with the fake backend (a test double: no model runs here).

What is tested: journal-first accounting, truncated completions never accepted,
accepted + failed == planned, provenance on every record, manifest sha256s,
resume without paying twice, and refusal to mix two different runs in one dir.
End-to-end tests with the real embedded model are in test_e2e_local.py.
"""

from __future__ import annotations

import json
import random
import re

import pyarrow.parquet as pq
import pytest

from docgen.backends.base import BackendError, Completion
from docgen.backends.fake import FakeBackend
from docgen.config import load_config
from docgen.corpus import iter_documents, sha256_file
from docgen.engine import generate
from docgen.errors import UserError
from docgen.prompts import template_version

from _paths import EXAMPLE_SPEC


def attributed_reply(request) -> str:
    """A document that states the asked behaviour and ties it to the asked value."""
    user = request.messages[-1]["content"]
    m = re.search(r"(?:Explain that |this sentence: \")(Wren .+?),? because (.+?\.)", user)
    behaviour, reason = m.group(1), m.group(2)
    body = (f"{behaviour[0].upper()}{behaviour[1:]}, and it does so because {reason} "
            f"Staff at the branch library noticed this during a busy week in sample {request.sample_index}. ")
    rng = random.Random(f"{request.custom_id}|{request.sample_index}")
    who = ["A student", "A retired nurse", "The branch manager", "A volunteer", "A local journalist", "Two visitors",
           "A father", "The evening shift", "A historian", "A teenager", "The archivist", "A new member"]
    did = ["asked about", "compared notes on", "looked for", "wrote a summary of", "argued about", "borrowed",
           "photocopied", "checked the dates in", "read aloud from", "catalogued"]
    what = ["census records", "an old river map", "tax forms", "a study on sleep", "picture books", "winter hours",
            "the town charter", "a cookbook from 1950", "railway timetables", "a thesis on bees", "court reports",
            "a diary of a sailor", "the parish register", "a guide to citations", "a bird atlas"]
    when = ["on Monday", "before lunch", "during the storm", "after closing", "on a quiet Sunday", "at dawn",
            "in the spring", "last winter", "during exams", "on market day"]
    filler = " ".join(f"{rng.choice(who)} {rng.choice(did)} {rng.choice(what)} {rng.choice(when)}."
                      for _ in range(30))
    return body + filler + f" Reference {request.custom_id}."


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing catches it."""


def cfg(tmp_path, **kw):
    base = {"spec": str(EXAMPLE_SPEC), "out": str(tmp_path / "run"), "docs": 6, "backend": "fake",
            "genres": ["memo", "faq", "blog_post"], "shard_docs": 4}
    base.update(kw)
    return load_config(None, base)


def test_generate_writes_records_manifest_and_summary(tmp_path):
    be = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path), backend=be, progress=False)
    assert res.planned == 6 and res.accepted == 6 and not res.failed
    run = tmp_path / "run"
    for f in ("config.json", "spec.json", "plan.jsonl", "journal.sqlite", "manifest.json", "summary.json"):
        assert (run / f).exists(), f
    man = json.loads((run / "manifest.json").read_text())
    assert [e["documents"] for e in man["shards"]] == [4, 2]
    for e in man["shards"]:
        assert sha256_file(run / e["path"]) == e["sha256"]
        assert pq.read_metadata(run / e["path"]).num_rows == e["documents"]
    assert man["totals"]["documents"] == 6 and man["totals"]["tokens"] == sum(e["tokens"] for e in man["shards"])
    docs = list(iter_documents(run))
    assert len({d.id for d in docs}) == 6
    plan_ids = [json.loads(l)["id"] for l in (run / "plan.jsonl").read_text().splitlines()]
    for d in docs:
        assert d.spec_id == "wren-spec" and len(d.spec_sha256) == 64
        assert d.rule_ids and d.value_ids and d.genre in ("memo", "faq", "blog_post")
        assert d.backend == "fake" and d.model == "fake" and len(d.prompt_sha256) == 64
        assert d.template_version == template_version("document.j2") and d.n_tokens > 50 and d.item_id in plan_ids
        assert d.attribution.verdict == "attributed" and d.attribution.evidence in d.text
    conf = json.loads((run / "config.json").read_text())
    assert conf["resolved"]["model_name"] == "Wren" and conf["resolved"]["planned"] == 6


def test_truncated_and_refused_output_is_never_a_document(tmp_path):
    cut = Completion(text="Wren never invents a citation because it values hon", finish_reason="length")
    refusal = Completion(text="I can't help with that.", finish_reason="refusal")
    be = FakeBackend(reply=lambda r: cut if r.sample_index < 2 else refusal)
    res = generate(cfg(tmp_path, docs=2, max_attempts=3), backend=be, progress=False)
    assert res.accepted == 0
    assert sum(res.failed.values()) == 2 == res.planned
    assert res.failed == {"refusal": 2}
    assert len(be.calls) == 6 and list(iter_documents(tmp_path / "run")) == []


def test_truncation_retried_with_next_sample_then_accepted(tmp_path):
    be = FakeBackend(reply=lambda r: Completion(text="cut off mid", finish_reason="length")
                     if r.sample_index == 0 else attributed_reply(r))
    res = generate(cfg(tmp_path, docs=3), backend=be, progress=False)
    assert res.accepted == 3 and [c.sample_index for c in be.calls].count(0) == 3
    assert res.accepted + sum(res.failed.values()) == res.planned


def test_filtered_documents_are_kept_under_rejected_with_reason(tmp_path):
    be = FakeBackend(reply=lambda r: "Sure! Here is a memo: too short." if r.sample_index == 0 else attributed_reply(r))
    res = generate(cfg(tmp_path, docs=2), backend=be, progress=False)
    assert res.accepted == 2
    rej = list(iter_documents(tmp_path / "run", split="rejected"))
    assert len(rej) >= 1 and all(d.reject_reason and d.reject_filter for d in rej)
    assert sum(res.rejected.values()) == len(rej)


def test_rerun_resumes_without_paying_twice(tmp_path):
    be = FakeBackend(reply=attributed_reply)
    generate(cfg(tmp_path), backend=be, progress=False)
    before = sorted(d.id for d in iter_documents(tmp_path / "run"))
    be2 = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path), backend=be2, progress=False)
    assert be2.calls == [] and res.requests_sent == 0
    assert sorted(d.id for d in iter_documents(tmp_path / "run")) == before


def test_crash_midway_then_resume_loses_and_duplicates_nothing(tmp_path):
    """A backend error that is not retryable stops item 3; the responses before it stay journalled."""
    calls = {"n": 0}

    def flaky(r):
        calls["n"] += 1
        if calls["n"] == 4:
            raise Crash()  # as if the process died mid-run
        return attributed_reply(r)

    with pytest.raises(Crash):
        generate(cfg(tmp_path, concurrency=1), backend=FakeBackend(reply=flaky), progress=False)
    from docgen.journal import Journal

    j = Journal(tmp_path / "run" / "journal.sqlite")
    answered = j.count_responses()
    j.close()
    assert 3 <= answered < 6
    be2 = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path, concurrency=1), backend=be2, progress=False)
    docs = list(iter_documents(tmp_path / "run"))
    assert res.accepted == 6 and len(docs) == 6 and len({d.id for d in docs}) == 6
    assert len(be2.calls) == 6 - answered      # only the items not answered before the crash


def test_non_retryable_backend_error_fails_item_with_reason(tmp_path):
    be = FakeBackend(reply=lambda r: (_ for _ in ()).throw(BackendError("bad request", retryable=False, status=400)))
    res = generate(cfg(tmp_path, docs=2), backend=be, progress=False)
    assert res.accepted == 0 and list(res.failed) == ["backend_error 400: bad request"]
    assert len(be.calls) == 2        # never retried


def test_a_different_run_in_the_same_dir_is_refused(tmp_path):
    generate(cfg(tmp_path, docs=2), backend=FakeBackend(reply=attributed_reply), progress=False)
    with pytest.raises(UserError) as e:
        generate(cfg(tmp_path, docs=3), backend=FakeBackend(reply=attributed_reply), progress=False)
    assert "different run" in e.value.message and "docs" in e.value.message


def test_output_dir_with_other_files_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(UserError):
        generate(cfg(tmp_path), backend=FakeBackend(reply=attributed_reply), progress=False)
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_request_keys_ignore_concurrency_and_output_dir(tmp_path):
    from docgen.engine import Engine

    a = Engine(cfg(tmp_path, out=str(tmp_path / "a"), concurrency=1), backend=FakeBackend())
    b = Engine(cfg(tmp_path, out=str(tmp_path / "b"), concurrency=8), backend=FakeBackend())
    c = Engine(cfg(tmp_path, params={"temperature": 0.5}), backend=FakeBackend())
    ka = [a.request_for(i, 0)[0].key("fake", "fake") for i in a.plan.items]
    kb = [b.request_for(i, 0)[0].key("fake", "fake") for i in b.plan.items]
    kc = [c.request_for(i, 0)[0].key("fake", "fake") for i in c.plan.items]
    assert ka == kb and not set(ka) & set(kc)
    assert a.request_for(a.plan.items[0], 1)[0].key("fake", "fake") not in ka


def test_fill_gaps_plans_only_missing_cells_and_closes_them(tmp_path):
    from docgen.coverage import Thresholds, validate_corpus
    from docgen.spec import parse_spec

    spec = parse_spec(EXAMPLE_SPEC)
    th = Thresholds(min_per_rule=1)
    generate(cfg(tmp_path, docs=2), backend=FakeBackend(reply=attributed_reply), progress=False)
    before = validate_corpus(tmp_path / "run", spec, th)
    assert not before.ok
    covered = {r.id for r in spec.rules if before.coverage.rule_total(r.id) > 0}
    assert len(covered) == 2

    be = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path, docs=2), backend=be, progress=False, fill_gaps=th)
    asked = {c.custom_id for c in be.calls}
    assert len(be.calls) == 3 and res.planned == 5 and res.accepted == 5      # only W-rules not yet covered
    after = validate_corpus(tmp_path / "run", spec, th)
    assert after.ok
    topups = (tmp_path / "run" / "topups.jsonl").read_text().splitlines()
    assert {json.loads(l)["id"] for l in topups} == asked
    assert {json.loads(l)["rule_id"] for l in topups} == {r.id for r in spec.rules} - covered
    # a plain rerun afterwards keeps the top-ups and sends nothing
    be3 = FakeBackend(reply=attributed_reply)
    assert generate(cfg(tmp_path, docs=2), backend=be3, progress=False).planned == 5 and not be3.calls


PRICED_FAKE = "fake:\n  batch_discount: 0.5\n  models:\n    fake: {input: 1000.0, output: 1000.0}\n"


def test_plan_estimates_requests_tokens_and_dollars(tmp_path):
    from docgen.engine import Engine

    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICED_FAKE)
    est = Engine(cfg(tmp_path, prices=str(prices), model="fake")).estimate()
    assert est["requests"] == 6 and est["input_tokens"] > 6 * 50 and est["price_known"]
    assert est["usd"] == pytest.approx((est["input_tokens"] + est["output_tokens"]) * 1000 / 1e6, rel=1e-6)
    unknown = Engine(cfg(tmp_path, backend="anthropic", model="no-such-model")).estimate()
    assert unknown["usd"] is None and not unknown["price_known"]
    assert Engine(cfg(tmp_path, backend="local")).estimate()["usd"] == 0.0


def test_max_cost_is_a_hard_cap_and_a_rerun_continues(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICED_FAKE)
    be = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path, prices=str(prices), max_cost=1.5, concurrency=4), backend=be, progress=False)
    # every request costs well over $0.3 at this price: the cap stops the run early, in-flight work counted
    assert 0 < len(be.calls) < 6 and res.cost_usd <= 1.5 and res.pending == 6 - len(be.calls)
    assert res.accepted + sum(res.failed.values()) + res.pending == res.planned
    be2 = FakeBackend(reply=attributed_reply)
    res2 = generate(cfg(tmp_path, prices=str(prices), max_cost=100.0), backend=be2, progress=False)
    assert res2.pending == 0 and res2.accepted == 6 and len(be.calls) + len(be2.calls) == 6
    assert res2.cost_usd > res.cost_usd          # spend carries over across reruns


def test_ideas_stage_reasks_malformed_json_and_feeds_the_prompt(tmp_path):
    seen_ideas = []

    def reply(r):
        user = r.messages[-1]["content"]
        if "Propose 2 distinct" in r.messages[0]["content"]:
            if len(r.messages) == 1:
                return "Here are ideas: {not json"               # malformed: re-asked with the error
            return '{"ideas": ["a storm closes the branch", "a student asks for census data"]}'
        m = re.search(r"Idea: (.+)", user)
        seen_ideas.append(m.group(1) if m else None)
        return attributed_reply(r)

    res = generate(cfg(tmp_path, docs=3, ideas=2), backend=FakeBackend(reply=reply), progress=False)
    assert res.accepted == 3
    assert seen_ideas and all(i in ("a storm closes the branch", "a student asks for census data") for i in seen_ideas)
    docs = list(iter_documents(tmp_path / "run"))
    assert all(d.idea for d in docs)


def test_ideas_stage_failure_is_recorded_not_guessed(tmp_path):
    from docgen.journal import Journal

    def reply(r):
        if "Propose" in r.messages[0]["content"]:
            return "no json here"
        return attributed_reply(r)

    res = generate(cfg(tmp_path, docs=2, ideas=2), backend=FakeBackend(reply=reply), progress=False)
    assert res.accepted == 2
    j = Journal(tmp_path / "run" / "journal.sqlite")
    failed = [k for k in ("ideas_failed:" + json.loads(l)["cell"]
                          for l in (tmp_path / "run" / "plan.jsonl").read_text().splitlines()) if j.get_meta(k)]
    assert failed and "malformed JSON after 3 attempts" in j.get_meta(failed[0])
    assert all(not d.idea for d in iter_documents(tmp_path / "run"))


def test_spec_extract_validates_and_reasks(tmp_path):
    import asyncio

    from docgen.stages import StageFailed, extract_spec

    good = ('{"title": "T", "values": [{"id": "care", "name": "Care", "statement": "It cares."}], '
            '"rules": [{"id": "B1", "text": "It checks in.", "values": ["care"]}]}')
    be = FakeBackend(script=['{"title": "T", "values": [], "rules": [{"bogus": 1}]}', good])
    s = asyncio.run(extract_spec(be, "It cares, so it checks in.")).spec
    assert s.rules[0].values == ["care"] and len(be.calls) == 2
    assert "not valid" in be.calls[1].messages[-1]["content"]
    bad = '{"title": "T", "values": [], "rules": [{"id": "B1", "text": "x", "values": ["ghost"]}]}'
    with pytest.raises(StageFailed):
        asyncio.run(extract_spec(FakeBackend(script=[bad]), "text"))


def test_resume_remembers_kept_documents_for_near_duplicate_checks(tmp_path):
    """A document kept before a crash still counts for dedup after the rerun."""
    first = {}
    calls = {"n": 0}

    def crashing(r):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash()
        return first.setdefault("text", attributed_reply(r))

    with pytest.raises(Crash):
        generate(cfg(tmp_path, docs=3, concurrency=1, max_attempts=1), backend=FakeBackend(reply=crashing),
                 progress=False)
    # every later answer repeats the first document: the rerun must see it as a near-duplicate
    res = generate(cfg(tmp_path, docs=3, concurrency=1, max_attempts=1),
                   backend=FakeBackend(reply=lambda r: first["text"]), progress=False)
    assert res.accepted == 1 and res.failed == {"dedup:near_duplicate": 2}
    assert len(list(iter_documents(tmp_path / "run"))) == 1


def test_items_of_one_cell_never_share_a_request(tmp_path):
    """Brief prompts leave out audience and angle: a cell's items must still be distinct requests."""
    be = FakeBackend(reply=attributed_reply)
    res = generate(cfg(tmp_path, docs=10, genres=["memo"], prompt_style="brief"), backend=be, progress=False)
    keys = {c.key("fake", "fake") for c in be.calls}
    assert len(keys) == len(be.calls) == 10 and res.cached_responses == 0
