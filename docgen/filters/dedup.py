"""Near-duplicate removal: MinHash signatures, LSH banding, exact Jaccard before any drop.

* Shingles are word ``shingle``-grams of the lower-cased whitespace tokens, hashed to
  64 bits (blake2b per word, memoised; a polynomial over the n-gram).
* MinHash uses ``num_perm`` multiply-shift hash functions seeded by ``seed``
  (numpy, vectorised per document), so signatures are deterministic across runs
  and machines.
* Bands and rows are chosen (:func:`choose_bands`) so that a pair at Jaccard
  ``recall_at`` (0.85) becomes a candidate with probability ≥ 0.9999. Candidates
  are verified with the *exact* Jaccard of their shingle sets: a document is
  dropped only when it is ≥ ``threshold`` (0.8) similar to a kept one, so
  nothing below 0.5 is ever removed.

:class:`DedupFilter` is streaming (a kept document is inserted, a dropped one is
not). :func:`dedup_corpus` is the standalone pass with the keep policy: best
attribution first (attributed, then higher confidence), then earliest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..corpus import Document
from ._lexicon import ngram_combine, sorted_unique, text_tokens
from .base import Verdict

_MASK32 = np.uint64(0xFFFFFFFF)


def choose_bands(num_perm: int, recall_at: float = 0.85, min_recall: float = 0.9999) -> tuple[int, int]:
    """(bands, rows) with bands*rows ≤ num_perm: the most rows per band (fewest false
    candidates) that still make a pair at Jaccard ``recall_at`` a candidate with
    probability ≥ ``min_recall``."""
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 1:
            break
        if 1.0 - (1.0 - recall_at ** r) ** b >= min_recall:
            best = (b, r)
    return best


def candidate_probability(j: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - j ** rows) ** bands


class _WordHashes(dict):
    """word → stable 64-bit hash (blake2b), computed on first use."""

    def __missing__(self, w: str) -> int:
        h = self[w] = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
        return h


@dataclass
class Fingerprint:
    shingles: np.ndarray       # sorted unique uint64
    signature: np.ndarray      # uint64[num_perm] (32-bit values)
    band_keys: list[int]


class MinHasher:
    """Deterministic shingling + MinHash + band keys."""

    def __init__(self, shingle: int = 5, num_perm: int = 64, seed: int = 1,
                 bands: int | None = None, rows: int | None = None, recall_at: float = 0.85):
        self.shingle, self.num_perm, self.seed = shingle, num_perm, seed
        if bands is None or rows is None:
            bands, rows = choose_bands(num_perm, recall_at)
        if bands * rows > num_perm:
            raise ValueError("bands * rows must not exceed num_perm")
        self.bands, self.rows = bands, rows
        rng = np.random.default_rng(seed)
        self._a = (rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1))
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self._band_mult = rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
        self._memo = _WordHashes()

    def shingles(self, text: str) -> np.ndarray:
        """Sorted unique 64-bit hashes of the lower-cased word ``shingle``-grams of ``text``.

        The word hashes come from the shared per-text cache (:func:`text_tokens`),
        so a document that the quality filter has just looked at is not split and
        hashed again; n-grams are combined with a few whole-array numpy operations.
        """
        return sorted_unique(ngram_combine(text_tokens(text).lower_ids(), self.shingle))

    def ngram_hashes(self, words: list[str]) -> np.ndarray:
        """Hash of every word n-gram, in text order (position i = words[i:i+n]); words hashed as given."""
        if len(self._memo) > 2_000_000:
            self._memo.clear()
        ids = np.fromiter(map(self._memo.__getitem__, words), dtype=np.uint64, count=len(words))
        return ngram_combine(ids, self.shingle)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        if len(shingles) == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint64)
        with np.errstate(over="ignore"):
            hv = np.multiply.outer(self._a, shingles)       # (num_perm, n), in place from here on
            hv += self._b[:, None]
        # the top 32 bits of a*x+b (multiply-shift); floor-shift is monotone, so shift after the min
        return hv.min(axis=1) >> np.uint64(32)

    def band_keys(self, sig: np.ndarray) -> list[int]:
        b, r = self.bands, self.rows
        with np.errstate(over="ignore"):
            keys = (sig[: b * r].reshape(b, r) * self._band_mult[None, :]).sum(axis=1)
        return keys.tolist()

    def fingerprint(self, text: str) -> Fingerprint:
        sh = self.shingles(text)
        sig = self.signature(sh)
        return Fingerprint(sh, sig, self.band_keys(sig))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


class DedupFilter:
    """Streaming near-duplicate filter. Every drop is recorded in :attr:`clusters`."""

    name = "dedup"

    def __init__(self, shingle: int = 5, num_perm: int = 64, threshold: float = 0.8, seed: int = 1,
                 bands: int | None = None, rows: int | None = None, recall_at: float = 0.85):
        if not 0.5 <= threshold <= 1.0:
            raise ValueError("threshold must be in [0.5, 1.0]")
        self.hasher = MinHasher(shingle, num_perm, seed, bands, rows, recall_at)
        self.threshold = threshold
        self._buckets: list[dict[int, int | list[int]]] = [dict() for _ in range(self.hasher.bands)]
        self._shingles: list[np.ndarray] = []
        self._ids: list[str] = []
        self.clusters: list[dict] = []
        self.candidates_checked = 0

    def config(self) -> dict:
        h = self.hasher
        return {"shingle": h.shingle, "num_perm": h.num_perm, "bands": h.bands, "rows": h.rows,
                "threshold": self.threshold, "seed": h.seed}

    def check(self, doc: Document) -> Verdict:
        return self.check_fingerprint(doc, self.hasher.fingerprint(doc.text))

    def remember(self, doc: Document) -> None:
        """Index a document kept earlier (a resumed run) without checking or counting it."""
        self._insert(doc.id, self.hasher.fingerprint(doc.text))

    def _insert(self, doc_id: str, fp: Fingerprint) -> None:
        # a bucket holds one document index (an int: most buckets) or a list of them; dicts of ints only
        # are not tracked by the garbage collector, and an int costs less memory than a one-item list
        idx = len(self._ids)
        self._ids.append(doc_id)
        self._shingles.append(fp.shingles)
        for band, key in zip(self._buckets, fp.band_keys):
            cur = band.get(key)
            if cur is None:
                band[key] = idx
            elif type(cur) is int:
                band[key] = [cur, idx]
            else:
                cur.append(idx)

    def _candidates(self, fp: Fingerprint) -> list[int]:
        """Indexed documents sharing at least one band with ``fp``, in first-seen order."""
        out: list[int] = []
        for band, key in zip(self._buckets, fp.band_keys):
            cur = band.get(key)
            if cur is None:
                continue
            if type(cur) is int:
                if cur not in out:
                    out.append(cur)
            else:
                out.extend(i for i in cur if i not in out)
        return out

    def check_fingerprint(self, doc: Document, fp: Fingerprint) -> Verdict:
        best_j, best = 0.0, -1
        for i in self._candidates(fp):
            self.candidates_checked += 1
            j = jaccard(fp.shingles, self._shingles[i])
            if j > best_j:
                best_j, best = j, i
        if best >= 0 and best_j >= self.threshold:
            kept = self._ids[best]
            self.clusters.append({"removed": doc.id, "kept": kept, "jaccard": round(best_j, 4)})
            return Verdict(False, "near_duplicate", f"jaccard {best_j:.3f} with kept document {kept}",
                           details={"kept": kept, "jaccard": best_j})
        self._insert(doc.id, fp)
        return Verdict(True)


def keep_rank(doc: Document) -> tuple:
    """Sort key of the keep policy: attributed first, then higher confidence (then input order)."""
    att = doc.attribution
    return (0 if att.verdict == "attributed" else 1, -float(att.confidence or 0.0))


def dedup_corpus(docs: Sequence[Document], dedup: DedupFilter | None = None,
                 fingerprints: Sequence[Fingerprint] | None = None) -> tuple[list[bool], list[dict]]:
    """Standalone pass. Returns (keep flags in input order, cluster report)."""
    dedup = dedup or DedupFilter()
    order = sorted(range(len(docs)), key=lambda i: (keep_rank(docs[i]), i))
    keep = [False] * len(docs)
    for i in order:
        fp = fingerprints[i] if fingerprints is not None else dedup.hasher.fingerprint(docs[i].text)
        keep[i] = dedup.check_fingerprint(docs[i], fp).keep
    return keep, dedup.clusters


def exact_pairs(texts: Iterable[str], hasher: MinHasher) -> list[np.ndarray]:
    """Shingle sets (for tests and benchmarks that need exact Jaccard)."""
    return [hasher.shingles(t) for t in texts]


__all__ = ["DedupFilter", "Fingerprint", "MinHasher", "candidate_probability", "choose_bands", "dedup_corpus",
           "jaccard", "keep_rank"]

