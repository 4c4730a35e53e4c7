"""Fine-tune all-MiniLM-L6-v2 as a document classifier for the six attribution labels (GPU machine).

    python train_cls.py DATA_DIR OUT_DIR          # DATA_DIR from export.py
    TINY=1 python train_cls.py DATA_DIR OUT_DIR   # a CPU rehearsal: two sets, a few documents, short rows

Leave one set out: for every labelled set (each written by different writers), fit on the other sets and
predict the left-out one, so every document gets a prediction from a model that never saw its writers.
Variants:
- ``lora_doc``:    LoRA (r 16 on every linear layer of the encoder) + a linear head over mean-pooled tokens;
                   input: the document alone;
- ``lora_digest``: the same, input: the spec's value names, then the document (a sentence pair);
- ``full_doc``:    every weight trained, input: the document alone (is LoRA leaving anything on the table?).
Then each LoRA variant is fitted once on every set, and its adapter + head saved for docgen to ship.
``VARIANTS=lora_doc`` runs only the named variants. Writes OUT_DIR/oof.jsonl (one line per document and variant: the six probabilities), OUT_DIR/final_*.safetensors,
OUT_DIR/log.txt. A time guard skips what would not finish before BUDGET_S.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

LABELS = ["explicit", "co_occurrence", "behaviour_only", "value_only", "wrong_value", "contradiction"]
TINY = os.environ.get("TINY") == "1"
BUDGET_S = float(os.environ.get("BUDGET_S", "420"))
MAX_LEN = 64 if TINY else 512
DIGEST_CHARS = 400
T0 = time.time()
DEV = "cuda" if torch.cuda.is_available() else "cpu"


def log(msg: str) -> None:
    line = f"[{time.time() - T0:7.1f}s] {msg}"
    print(line, flush=True)
    with open(OUT / "log.txt", "a") as f:
        f.write(line + "\n")


class Cls(nn.Module):
    def __init__(self, bert: nn.Module, hidden: int):
        super().__init__()
        self.bert, self.drop, self.head = bert, nn.Dropout(0.1), nn.Linear(hidden, len(LABELS))

    def forward(self, ids, mask, tt):
        h = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=tt).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        return self.head(self.drop((h * m).sum(1) / m.sum(1)))


def encode(tok: Tokenizer, rows: list[dict], digest: bool) -> list[tuple[list[int], list[int]]]:
    out = []
    for r in rows:
        e = tok.encode(r["digest"][:DIGEST_CHARS], r["text"]) if digest else tok.encode(r["text"])
        out.append((e.ids, e.type_ids))
    return out


def batches(enc, ys, bs: int, shuffle: bool, rng: random.Random):
    order = list(range(len(enc)))
    if shuffle:
        rng.shuffle(order)
    for i in range(0, len(order), bs):
        idx = order[i:i + bs]
        L = max(len(enc[j][0]) for j in idx)
        ids = torch.zeros(len(idx), L, dtype=torch.long)
        tt = torch.zeros(len(idx), L, dtype=torch.long)
        mask = torch.zeros(len(idx), L, dtype=torch.long)
        for k, j in enumerate(idx):
            a, t = enc[j]
            ids[k, :len(a)] = torch.tensor(a)
            tt[k, :len(t)] = torch.tensor(t)
            mask[k, :len(a)] = 1
        y = torch.tensor([ys[j] for j in idx]) if ys is not None else None
        yield idx, ids.to(DEV), mask.to(DEV), tt.to(DEV), (y.to(DEV) if y is not None else None)


def build(kind: str, seed: int) -> Cls:
    torch.manual_seed(seed)
    bert = BertModel(CONFIG, add_pooling_layer=False)
    sd = {k: v.float() for k, v in WEIGHTS.items() if not k.startswith("pooler.")}
    missing, unexpected = bert.load_state_dict(sd, strict=False)
    assert not [m for m in missing if "position_ids" not in m], missing
    if kind == "lora":
        from peft import LoraConfig, get_peft_model
        bert = get_peft_model(bert, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.1,
                                               target_modules=["query", "key", "value", "dense"]))
    return Cls(bert, CONFIG.hidden_size).to(DEV)


def fit(kind: str, enc, ys, seed: int) -> Cls:
    model = build(kind, seed)
    epochs = 1 if TINY else (8 if kind == "lora" else 5)
    lr = 5e-4 if kind == "lora" else 5e-5
    bs = 16
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")], "lr": lr},
                             {"params": list(model.head.parameters()), "lr": 1e-3}], weight_decay=0.01)
    steps = epochs * math.ceil(len(enc) / bs)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm + 1e-9))))
    rng = random.Random(seed)
    model.train()
    lossf = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for _, ids, mask, tt, y in batches(enc, ys, bs, True, rng):
            with torch.autocast(DEV, dtype=torch.bfloat16, enabled=DEV == "cuda"):
                logits = model(ids, mask, tt)
            loss = lossf(logits.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
    return model


@torch.no_grad()
def predict(model: Cls, enc) -> list[list[float]]:
    model.eval()
    out = [None] * len(enc)
    for idx, ids, mask, tt, _ in batches(enc, None, 64, False, random.Random(0)):
        with torch.autocast(DEV, dtype=torch.bfloat16, enabled=DEV == "cuda"):
            p = torch.softmax(model(ids, mask, tt).float(), -1).cpu().tolist()
        for k, j in enumerate(idx):
            out[j] = [round(x, 5) for x in p[k]]
    return out


def score(rows, probs) -> str:
    tp = fp = fn = 0
    for r, p in zip(rows, probs):
        pred = LABELS[max(range(len(LABELS)), key=lambda i: p[i])]
        tp += pred == "explicit" and r["label"] == "explicit"
        fp += pred == "explicit" and r["label"] != "explicit"
        fn += pred != "explicit" and r["label"] == "explicit"
    P = tp / (tp + fp) if tp + fp else 0.0
    R = tp / (tp + fn) if tp + fn else 0.0
    return f"P {P:.3f} R {R:.3f} (TP {tp} FP {fp} FN {fn})"


def save_final(model: Cls, path: Path) -> None:
    keep = {n: p.detach().to(torch.float16).cpu().contiguous() for n, p in model.named_parameters()
            if p.requires_grad}
    save_file(keep, str(path))


def main() -> int:
    global OUT, CONFIG, WEIGHTS
    data, OUT = Path(sys.argv[1]), Path(sys.argv[2])
    OUT.mkdir(parents=True, exist_ok=True)
    log(f"device {DEV} {torch.cuda.get_device_name(0) if DEV == 'cuda' else ''} torch {torch.__version__}")
    rows = [json.loads(line) for line in open(data / "data.jsonl", encoding="utf-8")]
    CONFIG = BertConfig.from_json_file(str(data / "minilm" / "config.json"))
    WEIGHTS = load_file(str(data / "minilm" / "model.safetensors"))
    tok = Tokenizer.from_file(str(data / "minilm" / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LEN, strategy="longest_first")
    sets = sorted({r["set"] for r in rows})
    if TINY:
        sets = sets[:2]
        rows = [r for r in rows if r["set"] in sets]
        rows = [r for s in sets for r in [x for x in rows if x["set"] == s][:12]]
    ys = [LABELS.index(r["label"]) for r in rows]
    log(f"{len(rows)} documents in {len(sets)} sets: {sets}")
    variants = [("lora_doc", "lora", False), ("lora_digest", "lora", True), ("full_doc", "full", False)]
    if os.environ.get("VARIANTS"):                     # e.g. VARIANTS=lora_doc
        variants = [v for v in variants if v[0] in os.environ["VARIANTS"].split(",")]
    oof = open(OUT / "oof.jsonl", "a", encoding="utf-8")
    for vname, kind, dig in variants:
        enc = encode(tok, rows, dig)
        t = time.time()
        allp = [None] * len(rows)
        for s in sets:
            if time.time() - T0 > BUDGET_S:
                log(f"time guard: stop before {vname}/{s}")
                break
            tr = [i for i, r in enumerate(rows) if r["set"] != s]
            te = [i for i, r in enumerate(rows) if r["set"] == s]
            m = fit(kind, [enc[i] for i in tr], [ys[i] for i in tr], seed=13)
            p = predict(m, [enc[i] for i in te])
            for i, pi in zip(te, p):
                allp[i] = pi
                oof.write(json.dumps({"variant": vname, "id": rows[i]["id"], "set": s, "probs": pi}) + "\n")
            oof.flush()
            log(f"{vname} held-out {s} ({len(te)}): {score([rows[i] for i in te], p)}")
            del m
        done = [i for i, p in enumerate(allp) if p is not None]
        log(f"{vname} pooled over {len(done)} documents: {score([rows[i] for i in done], [allp[i] for i in done])}; "
            f"{time.time() - t:.0f} s")
    for vname, kind, dig in [v for v in variants if v[1] == "lora"]:
        if time.time() - T0 > BUDGET_S + 60:
            log(f"time guard: no final fit of {vname}")
            continue
        enc = encode(tok, rows, dig)
        m = fit(kind, enc, ys, seed=13)
        save_final(m, OUT / f"final_{vname}.safetensors")
        log(f"final {vname}: fitted on all {len(rows)}; training-set {score(rows, predict(m, enc))}")
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
