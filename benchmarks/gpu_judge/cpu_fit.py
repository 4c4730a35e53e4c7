"""Fit the learned check's adapter on every labelled set, on the CPU (no GPU needed; ~80 min on 2 cores).

    PYTHONPATH=. .venv/bin/python benchmarks/gpu_judge/export.py .devcheck/judge --exclude SETS_TO_HOLD_OUT
    .venv/bin/python benchmarks/gpu_judge/cpu_fit.py .devcheck/judge OUT_DIR       # EPOCHS=5 by default

The recipe of ``train_cls.py``'s ``lora_doc`` variant (LoRA r 16 on every linear layer, a linear head over
mean-pooled tokens, AdamW 5e-4 / head 1e-3, batch 16, 10 % warm-up then linear decay, seed 13), with fewer
epochs (5: about as many optimizer steps as the GPU fit's 8 epochs on 948 documents) and batches of similar
lengths (less padding, so less time). Saves ``OUT_DIR/epochN.safetensors`` after every epoch (an interrupted
fit keeps what it did); the last one is what docgen ships as ``docgen/filters/learned_minilm.safetensors``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn


def main() -> int:
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.spec_from_file_location("train_cls", Path(__file__).with_name("train_cls.py"))
    tc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tc)
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import BertConfig
    torch.set_num_threads(os.cpu_count() or 2)
    tc.OUT = out
    epochs = int(os.environ.get("EPOCHS", "5"))
    tc.CONFIG = BertConfig.from_json_file(str(data / "minilm" / "config.json"))
    tc.WEIGHTS = load_file(str(data / "minilm" / "model.safetensors"))
    tok = Tokenizer.from_file(str(data / "minilm" / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(512, strategy="longest_first")
    rows = [json.loads(line) for line in open(data / "data.jsonl", encoding="utf-8")]
    ys = [tc.LABELS.index(r["label"]) for r in rows]
    enc = tc.encode(tok, rows, False)
    model = tc.build("lora", 13)
    bs = 16
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")],
                              "lr": 5e-4}, {"params": list(model.head.parameters()), "lr": 1e-3}], weight_decay=0.01)
    rng = random.Random(13)

    def batches() -> list[list[int]]:
        order = list(range(len(enc)))
        rng.shuffle(order)
        got = []
        for c in range(0, len(order), bs * 8):      # sort within 8 batches' worth by length, then shuffle batches
            chunk = sorted(order[c:c + bs * 8], key=lambda j: len(enc[j][0]))
            got += [chunk[i:i + bs] for i in range(0, len(chunk), bs)]
        rng.shuffle(got)
        return got
    steps = epochs * math.ceil(len(enc) / bs)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm + 1e-9))))
    lossf = nn.CrossEntropyLoss()
    model.train()
    t0, k = time.time(), 0
    print(f"{len(rows)} documents, {steps} steps", flush=True)
    for ep in range(epochs):
        total = 0.0
        for idx in batches():
            n = max(len(enc[j][0]) for j in idx)
            ids = torch.zeros(len(idx), n, dtype=torch.long)
            tt, mask = torch.zeros_like(ids), torch.zeros_like(ids)
            for q, j in enumerate(idx):
                a, t = enc[j]
                ids[q, :len(a)], tt[q, :len(t)], mask[q, :len(a)] = torch.tensor(a), torch.tensor(t), 1
            loss = lossf(model(ids, mask, tt).float(), torch.tensor([ys[j] for j in idx]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            total += loss.item()
            k += 1
            if k % 10 == 0:
                print(f"step {k}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
        print(f"epoch {ep + 1} mean loss {total / math.ceil(len(enc) / bs):.3f} {time.time() - t0:.0f}s", flush=True)
        tc.save_final(model, out / f"epoch{ep + 1}.safetensors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
