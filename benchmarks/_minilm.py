"""Sentence embeddings from all-MiniLM-L6-v2, for benchmarks.

Used by ``bench_attribution_learned.py`` to test whether sentence similarity to the spec's behaviours and
values adds anything to the offline attribution check (it did not: see BENCHMARKS.md). The forward pass is
docgen's numpy BERT (``docgen/encoder.py``); embeddings are its mean-pooled states, unit length.
"""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docgen import encoder as _encoder  # noqa: E402

log = logging.getLogger(__name__)

MAX_TOKENS = 128          # clauses are short; longer ones are cut (the model was trained at 128)


@lru_cache(maxsize=1)
def _model() -> _encoder.Bert | None:
    files = _encoder.base_files()
    if files is None:
        return None
    try:
        return _encoder.Bert(files[0], files[1], MAX_TOKENS)
    except ImportError as e:
        log.info("sentence encoder unavailable (%s)", e)
        return None


def available() -> bool:
    return _model() is not None


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (shape ``(len(texts), 384)``)."""
    m = _model()
    if m is None:
        raise RuntimeError(f"the sentence encoder is not installed ({_encoder.INSTALL})")
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    v = m.mean_pooled(texts, batch=32)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)
