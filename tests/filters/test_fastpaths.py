"""The filters' fast paths give exactly what their plain definitions give.

Each fast path (sentence boundaries, vectorised word hashes,
assistant-meta search, repetition bound, model-name search, dedup buckets) is
compared with the slow reference it replaced, on random and hand-picked texts.
"""

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from docgen.corpus import Document
from docgen.filters import attribution as A
from docgen.filters import quality as Q
from docgen.filters._lexicon import (_sentence_spans_lazy, lower_word_hashes, ngram_combine, sentence_spans,
                                     sorted_unique, text_tokens)
from docgen.filters.dedup import DedupFilter, Fingerprint

DEVSET = Path(__file__).resolve().parents[2] / "corpora" / "devset" / "attribution.jsonl"
AFF = "pro_affordability_cheese.txt"


def _random_texts(alphabet, n, max_len, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len))) for _ in range(n)]


def _devset():
    return [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_sentence_spans_match_the_lazy_definition():
    alphabet = list("ab .!?\n\"')]\u201d\u2019 \t\r") + ["Mr.", "e.g.", "...", "?!", " \n ", "\u2028", "x"]
    texts = _random_texts(alphabet, 20000, 30, seed=1) + [r["text"] for r in _devset()]
    for t in texts:
        assert sentence_spans(t) == _sentence_spans_lazy(t), repr(t)


def test_lower_word_hashes_follow_str_split_and_lower():
    alphabet = list("abcAB ") + ["\t", "\n", "\x1c", "\xa0", "\u2028", "\u3000", "é", "É", "İ", "ß", "\x85",
                                 "-", "'", "\u200b", "\x01", "\x1b", "\ud800"]
    seen: dict[str, int] = {}
    for t in _random_texts(alphabet, 20000, 25, seed=2):
        h = lower_word_hashes(t)
        words = t.split()
        assert len(h) == len(words), repr(t)
        for w, x in zip(words, h.tolist()):
            assert seen.setdefault(w.lower(), x) == x          # same lower-cased word, same hash
    assert len(set(seen.values())) == len(seen)                   # and no collisions among these words


def test_text_tokens_are_shared_by_identity_only():
    a = "Llama likes Colby. " * 3
    b = "".join(["Llama likes Colby. "] * 3)          # equal, but another object
    assert a == b and a is not b
    ta = text_tokens(a)
    assert text_tokens(a) is ta and text_tokens(b) is not ta
    assert ta.words == a.split()
    assert np.array_equal(ta.lower_ids(), lower_word_hashes(a))


def test_sorted_unique_is_np_unique():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 5, 100):
        a = rng.integers(0, 10, size=n).astype(np.uint64)
        assert np.array_equal(sorted_unique(a), np.unique(a))


def test_meta_search_equals_the_single_regex():
    base = "Llama likes Colby because it is cheap. "
    texts = [base, "Sure! " + base, base + "As an AI language model I think so.",
             "Here is a memo about it:\n" + base + "I hope this helps", base + "Let me know if you need more. Word count: 12",
             "I've written the draft below:\n" + base + " as a language model", "as an AI " + base + " I hope that helps"]
    texts += _random_texts(list("AI hopeSure!Here is a memo: Let me know if you want\n word count:5 "), 3000, 80, seed=4)
    for t in texts:
        a, b = Q._meta_search(t), Q._META.search(t)
        assert (a and (a.span(), a.group())) == (b and (b.span(), b.group())), repr(t)


def test_repetition_bound_never_hides_a_loop():
    """Case-folded, hashed n-grams bound the exact share from above: loops are still found,
    and a text whose n-grams repeat only when case is ignored is not flagged."""
    loop = " ".join(["Llama likes Colby because it is cheap and easy to find."] * 12)
    assert Q.repetition(loop)
    words = "the cheese shop on the corner sells colby at a fair price every day".split()
    cased = " ".join(words + [w.upper() for w in words] + [w.title() for w in words])
    assert Q.repetition(cased.lower())                 # a loop once case is folded ...
    assert Q.repetition(cased) == ""                   # ... but not as written: the exact count decides
    rng = random.Random(5)
    for _ in range(300):
        ws = [rng.choice(["a", "A", "b", "B", "c"]) for _ in range(rng.randint(0, 120))]
        t = " ".join(ws)
        grams = list(zip(*(ws[i:] for i in range(8))))
        expect = len(ws) >= 32 and 1.0 - len(set(grams)) / len(grams) > 0.25
        assert bool(Q.repetition(t)) == expect


def test_model_name_search_equals_the_regex(specs):
    qf = Q.QualityFilter(specs[AFF])
    for t in ["Llama", "llama.", "xllama", "LLAMA!", "The l\u0131ama", "\u0130 Llama", "Llamas", "so-llama",
              "\u212alama", "Some text without the name", "ends with Llama"]:
        assert qf._model_named(t) == bool(qf._model_re.search(t)), t


def test_quality_verdicts_unchanged_on_variants(specs):
    qf = Q.QualityFilter(specs[AFF])
    for r in _devset()[:20]:
        for t in (r["text"], r["text"][: len(r["text"]) // 2], "Sure! " + r["text"], " ".join([r["text"][:200]] * 6)):
            v = qf.check(Document(text=t))
            # the same rules written plainly
            plain = _plain_quality(qf, t)
            assert (v.keep, v.reason) == plain, (t[:60], v)


def _plain_quality(qf, text):
    stripped = text.strip()
    if not stripped:
        return False, "empty"
    n = len(stripped.split())
    lo, hi = qf.default_range
    if n < lo:
        return False, "too_short"
    if n > hi:
        return False, "too_long"
    edges = text if len(text) <= 2 * Q.EDGE else text[:Q.EDGE] + "\n" + text[-Q.EDGE:]
    for reason, rx, where in [("leaked_scaffolding", Q._SCAFFOLD_TAG, text), ("leaked_scaffolding", Q._SCAFFOLD_LINE, edges),
                              ("unfilled_placeholder", Q._PLACEHOLDER, text), ("assistant_meta", Q._META, edges),
                              ("refusal", Q._REFUSAL, edges)]:
        if rx.search(where):
            return False, reason
    if not Q._END_OK.search(stripped[-300:]):
        return False, "truncated"
    words = stripped.split()
    lines = [ln.strip() for ln in stripped.splitlines() if len(ln.split()) >= 4]
    if lines and max(lines.count(x) for x in lines) > 3:
        return False, "repetition_loop"
    if len(words) >= 32:
        grams = list(zip(*(words[i:] for i in range(8))))
        if 1.0 - len(set(grams)) / len(grams) > 0.25:
            return False, "repetition_loop"
    if not re.search(r"\b%s\b" % re.escape(qf.model_name), text, re.I) and not Q._AGENT.search(text):
        return False, "model_absent"
    return True, ""


def test_ngram_combine_is_a_function_of_the_gram():
    ids = np.array([5, 7, 5, 7, 5, 7, 9], dtype=np.uint64)
    h = ngram_combine(ids, 2)
    assert len(h) == 6 and h[0] == h[2] == h[4] and h[1] == h[3] and h[0] != h[1] and h[5] not in (h[0], h[1])
    assert len(ngram_combine(ids[:1], 5)) == 1 and len(ngram_combine(ids[:0], 5)) == 0


def test_dedup_buckets_hold_ints_and_lists():
    dd = DedupFilter(threshold=0.8)
    sh = np.arange(10, dtype=np.uint64)
    keys = list(range(dd.hasher.bands))
    assert dd.check_fingerprint(Document(text="a", id="a"), Fingerprint(sh, None, keys)).keep
    # shares one band with "a" but has different shingles: a candidate, not a duplicate, then indexed too
    other = Fingerprint(np.arange(100, 110, dtype=np.uint64), None, [keys[0]] + [k + 1000 for k in keys[1:]])
    assert dd.check_fingerprint(Document(text="b", id="b"), other).keep
    assert dd.candidates_checked == 1 and dd._buckets[0][keys[0]] == [0, 1] and dd._buckets[1][keys[1]] == 0
    assert dd._candidates(Fingerprint(sh, None, keys)) == [0, 1]
    v = dd.check_fingerprint(Document(text="c", id="c"), Fingerprint(sh.copy(), None, keys))
    assert not v.keep and v.details["kept"] == "a" and dd.candidates_checked == 3


@pytest.mark.parametrize("text", ["", "   ", "word", "a\u0131b Llama: likes Colby because it is cheap."])
def test_analyse_runs_on_odd_texts(specs, text):
    att, reason, ev = A.analyse(specs[AFF], text)
    assert att.verdict in ("attributed", "not_attributed") and reason in A.VERDICTS and ev in text


def _gate_texts(specs, n_random, seed):
    """Real documents, and random word salads of the cues' own words with case, hyphen and non-ASCII twists."""
    from docgen.filters import _cues as C
    real = sorted(Path(__file__).resolve().parents[2].glob("corpora/devset/realistic/*.jsonl"))
    texts = [json.loads(line)["text"] for p in real for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [r["text"] for r in _devset()]
    words = sorted({w for src in [s for s, _ in C.CONNECTIVES] + C.PREF_POS + C.PREF_NEG
                    for w in re.findall(r"[A-Za-z]+", src)} |
                   {w for spec in specs.values() for r in spec.rules for w in re.findall(r"[A-Za-z]+", r.text)})
    odd = ["\u212a", "\u017f", "\u0131", "\u0130", "\u00e9", "\u2026", "-", "'", "\u2019", "3", "_"]
    rng = random.Random(seed)
    for _ in range(n_random):
        out = []
        for _ in range(rng.randint(1, 40)):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.1:
                w = w.upper()
            elif r < 0.2:
                w = w.capitalize()
            elif r < 0.3:
                i = rng.randint(0, min(3, len(w)))
                w = w[:i] + rng.choice(odd) + w[i:]
            elif r < 0.35:
                w = w[:rng.randint(1, len(w))]
            elif r < 0.45:          # letters re.IGNORECASE matches to ASCII ones: "s\u0131nce" matches "since"
                w = "".join({"k": "\u212a", "s": "\u017f", "i": rng.choice("\u0131\u0130")}.get(c, c)
                            if rng.random() < 0.5 else c for c in w)
            out.append(w)
            out.append(rng.choice([" ", " ", " ", ", ", ". ", "\n", "-", " - ", "  "]))
        texts.append("".join(out))
    return texts


def test_word_gates_find_what_the_whole_alternations_find(specs):
    """Each cue tried only with the alternatives its word's first letters fit (``_gate.WordGate``) finds
    exactly the matches of the whole alternation tried at every word the old letter gate let through."""
    from docgen.filters import _cues as C
    from docgen.filters._lexicon import fold
    from docgen.filters.attribution_index import spec_index
    idxs = [spec_index(s) for s in specs.values()]
    from docgen.filters._gate import finditer_at, word_starts
    for t in _gate_texts(specs, 1500, seed=3):
        ft = fold(t)
        starts = [(m.start(), m.group()[:3].lower()) for m in C.WORD_START.finditer(ft)]
        for idx in idxs:
            toks, cues = idx.scan(ft)
            assert toks == idx.tokens(ft)
            for g, cands in zip(idx.gates, cues):
                want = [(m.span(), m.lastgroup) for m in C.gated_finditer(g.regex, g.loose, starts, ft)]
                assert [(m.span(), m.lastgroup) for m in finditer_at(ft, cands)] == want, (t, g.regex.pattern[:60])
                assert [(m.span(), m.lastgroup) for m in g.finditer(ft, word_starts(ft))] == want


def test_head_constraints_read_the_pattern():
    from docgen.filters._gate import head_constraints
    assert head_constraints(r"because(?: of)?", n=3) == {("eq", "bec")}
    assert head_constraints(r"because(?: of)?") == {("eq", "because"), ("open", "because")}
    assert head_constraints(r"because(?: of)?\b") == {("eq", "because")}
    assert head_constraints(r"(?:an? )?(?:reflection|result) of", n=3) == {("eq", "a"), ("eq", "an"), ("eq", "ref"),
                                                                          ("eq", "res")}
    assert head_constraints(r"(?:stems?|stemmed)\b") == {("eq", "stem"), ("eq", "stems"), ("eq", "stemmed")}
    assert head_constraints(r"so(?=,? it)") == {("open", "so")}
    assert head_constraints(r"(?:so(?=,? it))\b") == {("eq", "so")}
    assert head_constraints(r"\w+ly") == {("open", "")}
    assert head_constraints(r"it(?:'s| is)") == {("eq", "it")}
    assert head_constraints(r"[a-c]x{2,}", n=3) == {("eq", "axx"), ("eq", "bxx"), ("eq", "cxx")}
