"""Experiment (not shipped): can a learned sentence classifier find a spec's rules in shapes the reader has not seen?

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_rule_sentences.py            # leave-one-folder-out, dev … heldout5
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_rule_sentences.py --test     # then heldout6, once, as a reading

Each spec of ``corpora/specread`` is cut into sentences (list items and table cells on their own); a sentence is a
rule sentence when it shares most of its content words with one of the gold rules' quotes. Features: the
all-MiniLM-L6-v2 mean-pooled embedding (the packaged base model, no adapter) of the sentence with the assistant's
name (as the reader finds it) written "the assistant", and eleven lexical flags (a modal, the assistant as subject,
past tense, "we", "you", a quote, a question, a reason word, a condition, length). Logistic regression (scikit-learn),
class-balanced. The setting (C, threshold) is chosen by leave-one-folder-out F1 over the six tuned folders.

``--test`` fits on all six folders and reads each heldout6 spec as the classifier would: every sentence at or over
the threshold is a rule (polarity from :func:`docgen.spec.text.deontic`, else "do_not" for a negation), placed at its
lines; the rules are scored by ``bench_spec_read.score`` against the gold, beside the reader's own reading.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_spec_read import Located, score, table, words  # noqa: E402
from docgen.filters import _encoder  # noqa: E402
from docgen.spec import parse_spec  # noqa: E402
from docgen.spec.markup import as_markdown  # noqa: E402
from docgen.spec.model import Rule, Span  # noqa: E402
from docgen.spec.source import read_text  # noqa: E402
from docgen.spec.text import deontic, sentences  # noqa: E402

ROOT = REPO / "corpora" / "specread"
TUNED = ["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5"]
TEST = "heldout6"
SETTINGS = [(c, t) for c in (0.3, 1.0, 3.0) for t in (0.5, 0.6, 0.7)]
_MARK = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*)")


def units(text: str) -> list[str]:
    """The spec's sentences: paragraphs joined across wrapped lines, list items and table cells on their own."""
    out: list[str] = []
    block: list[str] = []

    def flush():
        if block:
            out.extend(sentences(" ".join(block)))
            block.clear()

    for line in as_markdown(text).split("\n"):
        st = line.strip()
        if not st:
            flush()
        elif st.startswith("|"):
            flush()
            for c in st.strip("|").split("|"):
                if len(c.split()) >= 4:
                    out.extend(sentences(c.strip()))
        elif _MARK.match(line):
            flush()
            block.append(_MARK.sub("", line).strip())
        else:
            block.append(st)
    flush()
    return [re.sub(r"[*_`]+", "", s).strip() for s in out if len(s.split()) >= 4]


def is_rule(s: str, gold: dict, drop: set[str]) -> int:
    sw = words(s, drop)
    for r in gold["rules"]:
        for q in r["quotes"]:
            qw = words(q, drop)
            inter = len(sw & qw)
            if len(sw) >= 2 and inter >= 2 and inter / len(sw) >= 0.6 and inter / max(1, len(qw)) >= 0.3:
                return 1
    return 0


def lexical(s: str) -> np.ndarray:
    low = s.lower()
    return np.array([
        "the assistant" in low,
        bool(re.search(r"\b(?:should|must|shall|will|won't|never|always|doesn't|does not|do not|don't|may not|"
                       r"cannot|can't)\b", low)),
        bool(re.search(r"\bthe assistant\s+(?:\w+ly\s+)?(?:should|must|shall|will|won't|never|always|doesn't|"
                       r"does not|[a-z]+s)\b", low)),
        bool(re.search(r"\b(?:was|were|had|did|told|said|asked)\b", low)),
        bool(re.search(r"\b(?:we|our|us)\b", low)),
        bool(re.search(r"\b(?:you|your)\b", low)),
        '"' in s or "“" in s,
        s.rstrip().endswith("?"),
        bool(re.search(r"\b(?:because|so that|since|why)\b", low)),
        bool(re.match(r"(?:if|when|whenever|before|after|once)\b", low)),
        min(len(s.split()), 60) / 60,
    ], dtype=np.float32)


def load(folder: str) -> list[dict]:
    rows = []
    for g in sorted((ROOT / folder).glob("*.gold.json")):
        gold = json.loads(g.read_text(encoding="utf-8"))
        stem = g.name[: -len(".gold.json")]
        path = next(p for p in g.parent.iterdir() if p.stem == stem and p.suffix != ".json")
        name = parse_spec(path).model_name                 # the reader's finding, not the gold's
        drop = {w.lower() for w in re.findall(r"\w+", gold.get("model_name") or "")}
        for s in units(read_text(path)):
            t = re.sub(r"\b" + re.escape(name) + r"\b", "the assistant", s) if name else s
            rows.append({"folder": folder, "path": path, "gold": gold, "s": s, "t": t, "y": is_rule(s, gold, drop)})
    return rows


def features(rows: list[dict], bert) -> np.ndarray:
    x = bert.mean_pooled([r["t"] for r in rows], batch=32)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return np.hstack([x, 3 * np.stack([lexical(r["t"]) for r in rows])])


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    files = _encoder.base_files()
    if files is None:
        print(f"needs the packaged encoder: {_encoder.INSTALL}")
        return 2
    bert = _encoder.Bert(files[0], files[1], 128, {})
    rows = [r for f in TUNED for r in load(f)]
    X, y = features(rows, bert), np.array([r["y"] for r in rows])
    fold = np.array([r["folder"] for r in rows])
    print(f"{len(rows)} sentences in {len(TUNED)} folders, {int(y.sum())} rule sentences\n")
    print("| C | threshold | P | R | F1 |\n|---|---|---|---|---|")
    best = None
    for c, thr in SETTINGS:
        tp = fp = fn = 0
        for f in TUNED:
            tr, te = fold != f, fold == f
            p = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(X[tr], y[tr]) \
                .predict_proba(X[te])[:, 1] >= thr
            tp += int((p & (y[te] == 1)).sum())
            fp += int((p & (y[te] == 0)).sum())
            fn += int((~p & (y[te] == 1)).sum())
        pr, rc = tp / max(1, tp + fp), tp / max(1, tp + fn)
        f1 = 2 * pr * rc / max(1e-9, pr + rc)
        print(f"| {c} | {thr} | {pr:.2f} | {rc:.2f} | {f1:.3f} |")
        if best is None or f1 > best[0]:
            best = (f1, c, thr)
    _f1, c, thr = best
    print(f"\nchosen by leave-one-folder-out F1: C={c}, threshold {thr}")
    if "--test" not in sys.argv:
        return 0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(X, y)
    test = load(TEST)
    pt = model.predict_proba(features(test, bert))[:, 1]
    mine, theirs = [], []
    for path in sorted({r["path"] for r in test}):
        spec = parse_spec(path)
        gold = next(r["gold"] for r in test if r["path"] == path)
        loc = Located(read_text(path))
        rules = []
        for r, p in zip(test, pt):
            if r["path"] != path or p < thr:
                continue
            span = loc.lines(r["s"]) or loc.lines(r["s"][:60])
            if span is None:
                continue
            pol = deontic(r["s"], spec.model_name) or \
                ("do_not" if re.search(r"\b(?:never|not|no|won't|doesn't|don't)\b", r["s"], re.I) else "do")
            rules.append(Rule(id=f"s{len(rules)}", text=r["s"], polarity=pol, lines=Span(start=span[0], end=span[1])))
        mine.append(score(path, gold, spec.model_copy(update={"rules": rules})))
        theirs.append(score(path, gold, spec))
    print()
    print(table(theirs, f"corpora/specread/{TEST}: the reader"))
    print(table(mine, f"corpora/specread/{TEST}: the sentence classifier (rules columns only; values are the reader's)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
