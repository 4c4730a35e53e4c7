"""``docgen filter``: run the filter chain over an existing corpus into a new run directory.

Pass 1 streams every document through quality → decontam → attribution;
pass 2 removes near-duplicates among the survivors with the keep policy (best
attribution, then earliest). Every drop is written to ``rejected/`` with its
reason, filter and evidence; the manifest gets per-filter counts, the dedup
configuration and the top openers; ``dedup_clusters.jsonl`` maps each removed
document to the one kept and their Jaccard similarity.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ..corpus import CorpusWriter, Document, atomic_write_json, iter_documents
from ..errors import UserError
from . import build_filter_chain
from .dedup import DedupFilter, dedup_corpus
from .quality import OpenerStats


def _length_ranges() -> dict[str, tuple[int, int]] | None:
    try:
        from ..genres import load_genres
        genres = load_genres()
    except Exception:       # genres are optional here: fall back to the default range
        return None
    return {g.name: (g.length.min_words, g.length.max_words) for g in genres.values()}


def _judge_backend(judge: str | None):
    if not judge:
        return None
    name, _, model = judge.partition("/")
    if not name or not model:
        raise UserError(f"--judge must be BACKEND/MODEL, got '{judge}'", hint="for example --judge openai/gpt-4o-mini")
    from ..backends import get_backend
    return get_backend(name, model)


def _reject(doc: Document, reason: str, filt: str, evidence: str) -> Document:
    doc.reject_reason, doc.reject_filter, doc.reject_evidence = reason or "dropped", filt, (evidence or "")[:1000]
    return doc


def run_filter(corpus: str | Path, out: str | Path, *, spec_path: str | None = None, judge: str | None = None,
               eval_dir: str | None = None, model_name: str | None = None, dedup: bool = True,
               shard_docs: int = 1000, judge_all: bool = False, attribution: str = "offline") -> dict[str, Any]:
    t0 = time.time()
    out = Path(out)
    from ..rundir import RunDir

    if out.exists() and RunDir(out).manifest_path.exists():
        raise UserError("output directory already holds a run", where=str(out), hint="choose a new --out directory")
    if Path(corpus).resolve() == out.resolve():
        raise UserError("--out must differ from the corpus", where=str(out), hint="choose a new --out directory")
    spec = None
    if spec_path:
        from ..spec import parse_spec
        spec = parse_spec(spec_path)
    elif judge:
        raise UserError("--judge needs --spec", hint="pass the spec the corpus was written from with --spec")
    backend = _judge_backend(judge)
    if model_name is None and spec is not None and spec.model_name is None:
        # a {model_name} spec names no assistant: use the name the corpus gives it
        from .model_name import infer_model_name
        model_name = infer_model_name(d.text for d in iter_documents(corpus))
    chain = build_filter_chain(spec, model_name=model_name, length_ranges=_length_ranges(), eval_dir=eval_dir,
                               judge_backend=backend, dedup=False, attribution=attribution if spec else "none",
                               judge_all=judge_all)
    if spec is None and model_name is None:
        chain.filters[0].require_model = False       # nothing to check the model's name against
    openers = OpenerStats()
    survivors: list[Document] = []
    read = 0
    meta = {"filtered_from": str(corpus), "spec_id": spec.id if spec else None, "model_name": model_name,
            "spec_sha256": spec.sha256 if spec else None}
    writer = CorpusWriter(out, shard_docs=shard_docs, meta=meta)
    shown = time.monotonic()
    for doc in iter_documents(corpus):
        read += 1
        if time.monotonic() - shown > 10:        # a slow check (--attribution learned) says how far it has got
            shown = time.monotonic()
            sys.stderr.write(f"[docgen] filter: {read - 1} documents read, {len(survivors)} kept so far\n")
        v = chain.check(doc)
        if v.keep:
            survivors.append(doc)
            openers.observe(doc)
        else:
            writer.reject(_reject(doc, v.reason, v.filter, v.evidence))
    if read == 0:
        raise UserError("the corpus has no documents", where=str(corpus), hint="check the path")
    stats = chain.stats()
    clusters: list[dict] = []
    if dedup:
        dd = DedupFilter()
        keep, clusters = dedup_corpus(survivors, dd)
        by_removed = {c["removed"]: c for c in clusters}
        for doc, k in zip(survivors, keep):
            if k:
                writer.add(doc)
            else:
                c = by_removed[doc.id]
                writer.reject(_reject(doc, "near_duplicate", "dedup",
                                      f"jaccard {c['jaccard']:.3f} with kept document {c['kept']}"))
        stats["dedup"] = {"kept": sum(keep), "dropped": {"near_duplicate": len(keep) - sum(keep)} if clusters else {}}
        RunDir(out).write_clusters([{"removed": c["removed"], "kept": c["kept"], "jaccard": c["jaccard"]}
                                    for c in clusters])
    else:
        for doc in survivors:
            writer.add(doc)
    kept = len(survivors) - len(clusters)
    summary = {"read": read, "kept": kept, "rejected": read - kept, "filters": stats,
               "top_openers": openers.top(10), "dedup": DedupFilter().config() if dedup else None,
               "elapsed_s": round(time.time() - t0, 2)}
    writer.close(extra={"filters": stats, "top_openers": summary["top_openers"], "dedup_config": summary["dedup"]})
    atomic_write_json(out / "filter_summary.json", summary)
    return summary
