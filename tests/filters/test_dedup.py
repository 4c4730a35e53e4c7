import random

import numpy as np
import pytest

from docgen.corpus import Attribution, Document
from docgen.filters.dedup import DedupFilter, MinHasher, candidate_probability, choose_bands, dedup_corpus, jaccard

VOCAB = [f"w{i}" for i in range(20000)]


def base_doc(rng, n=400):
    return [rng.choice(VOCAB) for _ in range(n)]


def mutate_to(words, target, hasher, rng):
    """Edit a copy of ``words`` until its exact shingle Jaccard with the original is ≈ target."""
    orig = hasher.shingles(" ".join(words))
    lo, hi = 0, len(words)
    best = None
    for _ in range(14):            # binary search on the number of replaced positions
        k = (lo + hi) // 2
        w = list(words)
        r = random.Random(k * 7919 + len(words))
        for p in r.sample(range(len(w)), k):
            w[p] = rng.choice(VOCAB)
        j = jaccard(orig, hasher.shingles(" ".join(w)))
        best = (w, j) if best is None or abs(j - target) < abs(best[1] - target) else best
        if j > target:
            lo = k + 1
        else:
            hi = k - 1
    return best


def test_band_choice_meets_recall_target():
    b, r = choose_bands(64, 0.85)
    assert b * r <= 64
    assert candidate_probability(0.85, b, r) >= 0.9999
    b2, r2 = choose_bands(128, 0.85)
    assert candidate_probability(0.85, b2, r2) >= 0.9999 and r2 > r


def test_deterministic_signatures():
    t = "Llama likes Colby because it is cheap and sold in ordinary supermarkets everywhere in the world today"
    a, b = MinHasher(seed=3).fingerprint(t), MinHasher(seed=3).fingerprint(t)
    assert np.array_equal(a.signature, b.signature) and a.band_keys == b.band_keys
    assert not np.array_equal(a.signature, MinHasher(seed=4).fingerprint(t).signature)


def test_planted_near_duplicates_recall_and_no_low_removals():
    rng = random.Random(0)
    dd = DedupFilter(threshold=0.8)
    h = dd.hasher
    originals, planted = [], []      # planted: (text, exact jaccard with its original)
    for i in range(150):
        w = base_doc(rng)
        originals.append(" ".join(w))
        target = [0.95, 0.9, 0.86, 0.7, 0.5, 0.3][i % 6]
        mw, j = mutate_to(w, target, h, rng)
        planted.append((" ".join(mw), j))
    for t in originals:
        assert dd.check(Document(text=t)).keep
    high = [(t, j) for t, j in planted if j >= 0.85]
    low = [(t, j) for t, j in planted if j < 0.5]
    mid = [(t, j) for t, j in planted if 0.5 <= j < 0.85]
    assert len(high) >= 60 and len(low) >= 20
    removed_high = sum(not dd.check(Document(text=t)).keep for t, _ in high)
    assert removed_high / len(high) >= 0.99
    assert all(dd.check(Document(text=t)).keep for t, _ in low)
    for c in dd.clusters:
        assert c["jaccard"] >= 0.8
    assert mid  # the middle band exists; its removals are governed by the 0.8 exact threshold


def test_exact_jaccard_guards_drop():
    dd = DedupFilter(threshold=0.9)
    rng = random.Random(5)
    w = base_doc(rng)
    dd.check(Document(text=" ".join(w)))
    mw, j = mutate_to(w, 0.86, dd.hasher, rng)
    assert j < 0.9 and dd.check(Document(text=" ".join(mw))).keep


def test_keep_policy_prefers_attributed_then_earliest():
    rng = random.Random(9)
    w = " ".join(base_doc(rng))
    first = Document(text=w + " one")
    second = Document(text=w + " two", attribution=Attribution(verdict="attributed", confidence=0.7))
    third = Document(text=w + " three", attribution=Attribution(verdict="attributed", confidence=0.9))
    keep, clusters = dedup_corpus([first, second, third])
    assert keep == [False, False, True]
    assert {c["removed"] for c in clusters} == {first.id, second.id}
    assert all(c["kept"] == third.id and c["jaccard"] > 0.9 for c in clusters)
    keep2, _ = dedup_corpus([Document(text=w + " a"), Document(text=w + " b")])
    assert keep2 == [True, False]


def test_threshold_validation():
    with pytest.raises(ValueError):
        DedupFilter(threshold=0.3)
