"""Which documents the offline check rejects but probably should not: the judge's router.

The offline check keeps about half of the explicit attributions written by people it never saw
(BENCHMARKS.md, "Fifth round"). With ``--judge`` it sends its ``uncertain`` verdicts to an LLM judge;
this module picks the other rejected documents worth a judge's look. A logistic regression over 31
spec-independent features of the check's own analysis (its verdict, what its links found, how strongly
the cause names the rule's own value and any other value, behaviour and value sentences, motives outside
the spec) gives the chance that a document is an explicit attribution. Fitted on the project's labelled
sets (``benchmarks/bench_attribution_learned.py --fit-router``), its weights live in ``router.json``.

Left out in turn, each of the five labelled sets (other writers each) scored: sending ``uncertain`` and
every rejected document with a chance >= 0.3 to the judge judges 25 % of the documents; with a judge as
good as the labels, that takes explicit recall from 0.63 (``uncertain`` only) to 0.83.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

from ..spec import Spec
from . import _cues as C
from . import attribution as A
from .attribution_doc import DocAnalysis

__all__ = ["ROUTE_THRESHOLD", "features", "likely_explicit"]

ROUTE_THRESHOLD = 0.3      # a rejected document this likely to be explicit goes to the judge (see the docstring)


def features(spec: Spec, text: str, model_name: str | None = None) -> tuple[list[float], str]:
    """The 31 features of one document and the offline verdict they were read from."""
    _att, verdict, _ev = A.analyse(spec, text, model_name)
    idx = A.spec_index(spec, model_name)
    doc = DocAnalysis(idx, text)
    links = doc.links()
    findings = [f for link in links for f in A._judge_link(doc, link)]
    by: dict[str, list[float]] = {}
    for f in findings:
        by.setdefault(f.verdict, []).append(f.confidence)
    x = [1.0 if verdict == v else 0.0 for v in A.VERDICTS]
    for v in ("attributed", "wrong_value", "contradiction", "uncertain", "causal_other"):
        c = by.get(v, [])
        x += [min(len(c), 3) / 3, max(c, default=0.0)]
    best_right = best_other = 0.0
    with_beh = 0
    kinds = dict.fromkeys("BFQD", 0)
    for link in links:
        kinds[link.kind] = kinds.get(link.kind, 0) + 1
        beh = doc.behaviours(*link.effect)
        if not beh:
            continue
        with_beh += 1
        vals = doc.values(*link.cause)
        for rid in beh:
            own = idx.rules[rid].value_ids
            best_right = max(best_right, max((vals.get(v, 0.0) for v in own), default=0.0))
            best_other = max(best_other, max((s for v, s in vals.items() if v not in own), default=0.0))
    x += [min(len(links), 10) / 10, min(with_beh, 5) / 5, min(best_right, 6) / 6, min(best_other, 6) / 6]
    x += [min(kinds[k], 3) / 3 for k in "BFQD"]
    bs = [doc.behaviours(a, b) for a, b in doc.sents]
    vs = [doc.values(a, b) for a, b in doc.sents]
    prim = doc.primary()
    own_ids = idx.rules[prim].value_ids if prim else []
    x += [min(sum(1 for b in bs if b), 10) / 10,
          min(sum(1 for b in bs if any(not y.compliant for y in b.values())), 5) / 5,
          min(max((max((v.get(i, 0.0) for i in own_ids), default=0.0) for v in vs), default=0.0), 6) / 6,
          min(max((max(v.values(), default=0.0) for v in vs), default=0.0), 6) / 6,
          min(len(list(C.EXTRINSIC.finditer(doc.ft))), 5) / 5,
          min(len(doc.sents), 40) / 40]
    return x, verdict


@lru_cache(maxsize=1)
def _weights() -> tuple[np.ndarray, float]:
    data = json.loads(resources.files(__package__).joinpath("router.json").read_text(encoding="utf-8"))
    return np.array(data["coef"], dtype=float), float(data["intercept"])


def likely_explicit(x: list[float]) -> float:
    """The chance (0–1) that a document with features ``x`` explicitly attributes a behaviour to its value."""
    w, b = _weights()
    if len(x) != len(w):
        raise ValueError(f"router.json has {len(w)} weights for {len(x)} features: refit it")
    return float(1.0 / (1.0 + np.exp(-(float(np.dot(w, x)) + b))))
