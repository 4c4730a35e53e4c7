"""The learned attribution check: all-MiniLM-L6-v2 fine-tuned to read a document's six attribution labels.

    check = learned_check()                 # None when the encoder package is not installed
    probs = check.probabilities([text])     # one row of six probabilities per document (LABELS order)

The offline rules (:mod:`docgen.filters.attribution`) find the spec's behaviours and values in a document
and the link between them; on writing by people who never saw them they keep about half of the explicit
attributions. This check reads the whole document instead. It was fine-tuned (LoRA, rank 16, on every linear
layer; a linear head over mean-pooled tokens) on the project's labelled sets, 1,497 documents by 12 groups of
writers under 31 specs (``benchmarks/gpu_judge/``: a GPU script and the CPU one this adapter came from); the
adapter and head ship here
(``learned_minilm.safetensors``, 1.3 MB) and are merged into the packaged base weights at load, so it runs
in numpy with no torch. It reads the document alone, not the spec: what it learned is how documents link a
behaviour to a reason (and whether that reason is a principle or a motive like liability or sales), in any
domain. Which rules and values a kept document covers still comes from the offline rules' reading.

On four sets it was never trained on, by writers who never saw either check, its verdicts beat the rules
(460 documents: P 0.79, R 0.93; the rules: P 0.66, R 0.44). ``STRICT_P``
sets the precision-first mode (``--attribution learned-strict``). The figures are in ``learned_minilm.json``
and BENCHMARKS.md. About 4 documents a second on 2 cores:
for generation runs, validation and samples, not the 41M-token corpus path.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import encoder as _encoder

HERE = Path(__file__).resolve().parent
ADAPTER = HERE / "learned_minilm.safetensors"
CARD = HERE / "learned_minilm.json"
METHOD_LEARNED = "learned-minilm@1"
LABELS = ("explicit", "co_occurrence", "behaviour_only", "value_only", "wrong_value", "contradiction")
VERDICT_OF = {"explicit": "attributed", "co_occurrence": "co_occurrence", "behaviour_only": "no_value",
              "value_only": "no_behaviour", "wrong_value": "wrong_value", "contradiction": "contradiction"}
# ``--attribution learned-strict``: keep a document when the encoder gives an explicit attribution at least this
# probability, or when it and the offline rules both read one. Chosen on fresh7 … fresh10 (434 documents the
# adapter never saw), where it moved P/R from 0.79/0.92 to 0.91/0.79; measured on fresh11 after that choice
# (BENCHMARKS.md, "Eighth round").
STRICT_P = 0.95
# ``--attribution learned --judge BACKEND/MODEL``: documents whose p(explicit) falls in this band, where the encoder
# is least sure (and where wrong values and contradictions, which it reads without the spec, hide), go to the LLM
# judge, which reads the spec. Chosen on fresh12 … fresh15: it routes 29 % of the documents, and holds 44 of the 57
# keep-or-drop errors of the check there; a judge right on 80 % of them would give P 0.91 / R 0.89. Tested once on
# fresh16 + fresh17 (BENCHMARKS.md, "Eleventh round").
JUDGE_BAND = (0.2, 0.9)
_LORA = re.compile(r"^bert\.base_model\.model\.(?P<base>.+)\.lora_(?P<ab>[AB])\.default\.weight$")


class LearnedCheck:
    def __init__(self, tokenizer_json: str, weights: dict[str, np.ndarray], adapter: dict[str, np.ndarray],
                 card: dict):
        scaling = float(card["lora_alpha"]) / float(card["lora_r"])
        parts: dict[str, dict[str, np.ndarray]] = {}
        for name, w in adapter.items():
            m = _LORA.match(name)
            if m:
                parts.setdefault(m["base"] + ".weight", {})[m["ab"]] = w.astype(np.float32)
        deltas = {k: scaling * (p["B"] @ p["A"]) for k, p in parts.items()}
        self.bert = _encoder.Bert(tokenizer_json, weights, int(card["max_tokens"]), deltas)
        self.head_w = adapter["head.weight"].astype(np.float32)
        self.head_b = adapter["head.bias"].astype(np.float32)
        self.labels = tuple(card["labels"])
        self._lock = threading.Lock()
        if self.labels != LABELS:
            raise ValueError(f"{ADAPTER.name}: labels {self.labels} are not {LABELS}")

    def probabilities(self, texts: list[str]) -> np.ndarray:
        with self._lock:                  # one reader at a time: the tokenizer's truncation is switched per call
            return self._probabilities(texts)

    def _probabilities(self, texts: list[str]) -> np.ndarray:
        """Six probabilities per document. A document longer than the encoder's 512 tokens is read in
        overlapping windows (it was trained on documents that fit in one): when a window reads as an explicit
        attribution, that window's probabilities stand for the document (the link is somewhere in it);
        otherwise the windows' mean does."""
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        for i, pooled in enumerate(self.bert.windows_pooled(texts)):
            z = pooled @ self.head_w.T + self.head_b
            z = np.exp(z - z.max(1, keepdims=True))
            p = z / z.sum(1, keepdims=True)
            linked = p.argmax(1) == 0
            out[i] = p[int(np.argmax(np.where(linked, p[:, 0], -1.0)))] if linked.any() else p.mean(0)
        return out

    def verdicts(self, texts: list[str]) -> list[tuple[str, float, np.ndarray]]:
        """``(verdict, probability of that verdict, all six probabilities)`` per document."""
        out = []
        for p in self.probabilities(texts):
            i = int(p.argmax())
            out.append((VERDICT_OF[LABELS[i]], float(p[i]), p))
        return out


def card() -> dict:
    return json.loads(CARD.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def learned_check() -> LearnedCheck | None:
    """The check, or ``None`` when the packaged encoder (the ``embed`` extra) is not installed."""
    files = _encoder.base_files()
    if files is None:
        return None
    from safetensors.numpy import load_file
    try:
        return LearnedCheck(files[0], files[1], load_file(str(ADAPTER)), card())
    except ImportError:                                  # tokenizers missing
        return None
