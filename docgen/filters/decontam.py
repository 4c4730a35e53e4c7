"""Decontamination: drop documents that share a long word n-gram with evaluation texts.

Every ``*.md``, ``*.txt`` and ``*.json`` file under ``eval_dir`` is read once;
its word ``n``-grams (lower-cased ``\\w+`` tokens, default n = 13, the usual
contamination window) are hashed into a sorted array. A document is checked with
one vectorised lookup; on a hit the evidence is the shared n-gram, verbatim
from the eval side's normalised words, and the eval file it came from.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..corpus import Document
from ..errors import UserError
from .base import Verdict
from .dedup import MinHasher

_WORD = re.compile(r"\w+")
EVAL_SUFFIXES = (".md", ".txt", ".json", ".jsonl")     # .jsonl: preference item sets


class DecontamFilter:
    name = "decontam"

    def __init__(self, eval_dir: str | Path, n: int = 13):
        root = Path(eval_dir)
        if not root.is_dir():
            raise UserError("eval directory not found", where=str(root),
                            hint="pass a directory of evaluation files (*.md, *.txt, *.json) with --eval-dir")
        self.n = n
        self._hasher = MinHasher(shingle=n, num_perm=1)
        hashes, owners = [], []
        self.files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EVAL_SUFFIXES)
        for k, p in enumerate(self.files):
            words = _WORD.findall(p.read_text(encoding="utf-8", errors="replace").lower())
            if len(words) < n:
                continue
            h = self._hasher.ngram_hashes(words)
            hashes.append(h)
            owners.append(np.full(len(h), k, dtype=np.int32))
        if hashes:
            allh, allo = np.concatenate(hashes), np.concatenate(owners)
            order = np.argsort(allh, kind="stable")
            self._hashes, self._owner = allh[order], allo[order]
        else:
            self._hashes, self._owner = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int32)
        self.n_ngrams = int(len(self._hashes))

    def check(self, doc: Document) -> Verdict:
        words = _WORD.findall(doc.text.lower())
        if len(words) < self.n or not self.n_ngrams:
            return Verdict(True)
        h = self._hasher.ngram_hashes(words)
        pos = np.searchsorted(self._hashes, h)
        pos[pos >= len(self._hashes)] = 0
        hit = np.nonzero(self._hashes[pos] == h)[0]
        if len(hit) == 0:
            return Verdict(True)
        i = int(hit[0])
        src = self.files[int(self._owner[pos[i]])]
        gram = " ".join(words[i:i + self.n])
        return Verdict(False, "eval_overlap", gram,
                       details={"eval_file": str(src), "shared_ngrams": int(len(hit))})
