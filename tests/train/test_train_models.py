"""Midtraining, AFT, packing and the transformers backend on the real SmolLM2-135M (CPU,
float32, a few steps on short rows). The model is the embedded GGUF, dequantised once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docgen.train.config import TrainConfig

pytestmark = pytest.mark.slow

SPEC_SHA = "ab" * 32
TOPICS = ["tides", "bread", "trains", "owls", "glass", "maps", "bees", "salt"]


def _corpus(path: Path) -> Path:
    rows = []
    for i, t in enumerate(TOPICS):
        text = (f"A note about {t}. The assistant explains {t} plainly because it values clear, honest answers. "
                f"People asked about {t} on day {i}, and it answered with care.")
        rows.append({"text": text, "spec_sha256": SPEC_SHA, "spec_id": "test"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cfg(**kw) -> TrainConfig:
    base = dict(max_steps=4, learning_rate=2e-3, warmup_ratio=0.0, max_length=64, per_device_train_batch_size=1,
                gradient_accumulation_steps=1, logging_steps=1, save_steps=2, gradient_checkpointing=False,
                lora_r=8, lora_alpha=16, dtype="float32", seed=0)
    base.update(kw)
    return TrainConfig(**base)


def _fixed_batch(tokenizer, texts):
    import torch

    enc = tokenizer([t + tokenizer.eos_token for t in texts], return_tensors="pt", padding=True,
                    add_special_tokens=False)
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": labels}, torch


@pytest.fixture(scope="module")
def midtrained(tmp_path_factory, smol_folder):
    from docgen.train.midtrain import run_midtrain

    d = tmp_path_factory.mktemp("mid")
    corpus = _corpus(d / "corpus.jsonl")
    trainer, res = run_midtrain(corpus, smol_folder, d / "out", _cfg())
    return trainer, res, d / "out", corpus


def test_packing_keeps_documents_apart(tmp_path, smol_folder):
    """bfd packing as configured: whole documents, EOS at each end, position_ids restarting at each
    document, and each document's logits inside a packed row equal its logits alone (no token
    attends across documents); without position_ids the same row does leak (the check can fail)."""
    import torch

    from docgen.backends.transformers_backend import load_model
    from docgen.train.midtrain import build_trainer

    model, tok, _ = load_model(smol_folder, dtype="float32")
    texts = ["Short one about owls.", "A second, rather longer document about the tides and the moon.",
             "Third: bread needs salt, water, flour and time."]
    trainer = build_trainer(texts, model, tok, _cfg(), tmp_path)
    ds = trainer.train_dataset
    assert len(ds) == 1                                         # all three fit one row of 64
    batch = trainer.data_collator([ds[0]])
    ids, pos = batch["input_ids"][0], batch["position_ids"][0]
    assert "attention_mask" not in batch                        # padding-free: boundaries come from position_ids
    starts = (pos == 0).nonzero().flatten().tolist()
    assert len(starts) == 3
    bounds = starts + [len(ids)]
    m = trainer.model.eval()
    with torch.no_grad():
        # use_cache=False as in training (TRL sets it): with a cache, transformers builds no packed mask
        packed = m(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits[0]
        leaky = m(input_ids=batch["input_ids"], use_cache=False).logits[0]
        for a, b in zip(bounds, bounds[1:]):
            doc = ids[a:b]
            assert doc[-1].item() == tok.eos_token_id           # EOS per document
            assert batch["labels"][0][a].item() == -100         # no loss on predicting a document's first token
            alone = m(input_ids=doc[None], use_cache=False).logits[0]
            assert torch.allclose(packed[a:b], alone, atol=1e-4), f"document at {a}:{b} saw another document"
    second = slice(bounds[1], bounds[2])
    assert not torch.allclose(leaky[second], packed[second], atol=1e-2)


def test_midtrain_loss_falls_and_adapter_reloads(midtrained, smol_folder):
    import torch
    from peft import PeftModel

    from docgen.backends.transformers_backend import load_model

    trainer, res, out, corpus = midtrained
    texts = [json.loads(x)["text"] for x in corpus.read_text().splitlines()[:4]]
    base, tok, _ = load_model(smol_folder, dtype="float32")
    batch, _ = _fixed_batch(tok, texts)
    with torch.no_grad():
        loss_before = base(**batch).loss.item()
        trained = trainer.model.eval()
        logits_mem = trained(**batch).logits
        loss_after = trained(**batch).loss.item()
    assert loss_after < loss_before - 0.05, (loss_before, loss_after)

    reloaded = PeftModel.from_pretrained(base, str(out)).eval()
    with torch.no_grad():
        assert torch.allclose(reloaded(**batch).logits, logits_mem, atol=1e-4)

    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "loss" in r]
    assert len(steps) == 4 and all("learning_rate" in r for r in steps)
    assert any(r.get("tokens_per_s", 0) > 0 for r in steps)
    cfg = json.loads((out / "train_config.json").read_text())
    assert cfg["config"]["lora_r"] == 8 and cfg["corpus"]["spec_sha256"] == [SPEC_SHA]
    assert SPEC_SHA[:16] in (out / "README.md").read_text()
    assert res["tokens"] > 0 and res["tokens_per_s"] > 0
    print(f"\nmidtrain CPU: {res['tokens']} tokens in {res['seconds']}s = {res['tokens_per_s']} tokens/s; "
          f"fixed-batch loss {loss_before:.3f} -> {loss_after:.3f}")


def test_midtrain_resumes_and_merges(midtrained, smol_folder):
    import shutil

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from docgen.backends.transformers_backend import load_model
    from docgen.train.midtrain import run_midtrain

    _, _, out, corpus = midtrained
    out2 = out.parent / "resumed"
    shutil.copytree(out, out2)
    trainer, res = run_midtrain(corpus, smol_folder, out2, _cfg(max_steps=5), merge=True)
    assert res["resumed_from"] and res["resumed_from"].endswith("checkpoint-4") and res["global_step"] == 5
    base, tok, _ = load_model(smol_folder, dtype="float32")
    batch, _ = _fixed_batch(tok, ["A note about owls and the night."])
    merged = AutoModelForCausalLM.from_pretrained(str(out2 / "merged"), dtype=torch.float32).eval()
    with torch.no_grad():
        a = PeftModel.from_pretrained(base, str(out2)).eval()(**batch).logits
        assert torch.allclose(merged(**batch).logits, a, atol=1e-3)


def test_aft_continues_the_same_adapter(midtrained, tmp_path):
    import torch
    from safetensors.torch import load_file

    from docgen.train.aft import run_aft_train

    _, _, mid_out, _ = midtrained
    rows = [{"messages": [{"role": "user", "content": f"Tell me about {t}."},
                          {"role": "assistant", "content": f"<think>\nThey ask about {t}.\n</think>\n\n{t} are "
                                                           "interesting; here is a short, honest answer."}]}
            for t in TOPICS[:6]]
    data = tmp_path / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    trainer, res = run_aft_train(data, mid_out, tmp_path / "aft", _cfg(max_steps=1, save_steps=100))
    assert 0 < res["assistant_token_share"] < 1 and res["global_step"] == 1
    labels = trainer.train_dataset["labels"]
    assert all(-100 in lab and any(x != -100 for x in lab) for lab in labels)
    before, after = load_file(str(mid_out / "adapter_model.safetensors")), \
        load_file(str(tmp_path / "aft" / "adapter_model.safetensors"))
    assert before.keys() == after.keys()                          # the same adapter, continued
    assert any(not torch.equal(before[k], after[k]) for k in before)
    cfg = json.loads((tmp_path / "aft" / "train_config.json").read_text())
    assert cfg["parent_adapter"] == str(mid_out.resolve())


def test_transformers_backend_base_plus_adapter(midtrained, smol_folder):
    import asyncio

    from docgen.backends import get_backend
    from docgen.backends.base import GenerationParams, Request

    _, _, out, _ = midtrained
    b = get_backend("transformers", smol_folder, adapter=str(out), dtype="float32")
    p = GenerationParams(temperature=0.0, max_tokens=12, repeat_penalty=1.0)
    reqs = [Request(messages=[{"role": "user", "content": q}], params=p)
            for q in ("Name a cheese.", "Name a cheese.", "What is the capital of France? Answer briefly.")]

    async def go():
        try:
            return await asyncio.gather(*[b.generate(r) for r in reqs])
        finally:
            await b.aclose()

    c = asyncio.run(go())
    assert all(x.text.strip() and 0 < x.output_tokens <= 12 for x in c)
    assert c[0].text == c[1].text                                  # greedy: same prompt, same text in one batch
    assert all(x.finish_reason in ("stop", "length") for x in c)
    assert b.describe()["adapter"] == str(out)
