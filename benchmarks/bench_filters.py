"""Benchmarks for docgen.filters (issue 4).

    python benchmarks/bench_filters.py devset              # precision/recall on corpora/devset/attribution.jsonl
    python benchmarks/bench_filters.py synth [--docs N]    # 41M-token pipeline timing + dedup vs rensa
    python benchmarks/bench_filters.py pipeline IN.parquet OUT_DIR   # rerun only the timed pipeline
    python benchmarks/bench_filters.py stages [IN.parquet]            # per-document CPU cost of each stage
    python benchmarks/bench_filters.py profile [IN.parquet]           # cProfile of the attribution stage
    python benchmarks/bench_filters.py verdicts IN.parquet OUT.jsonl  # every attribution verdict, to diff

``synth`` generates a corpus procedurally (seeded; real English words taken from
the shared specs and eval texts, a few spec sentences per document, planted
near-duplicates at known exact Jaccard, a few quality failures), counts its
cl100k tokens (not timed), writes it to a parquet file, then runs the pipeline
in a fresh subprocess — read parquet → quality + offline attribution (2 worker
processes) → streaming MinHash-LSH dedup → CorpusWriter shards — timing it and
reading peak RSS of the process and of its workers. Finally it runs dedup alone,
ours and rensa's RMinHash + RMinHashLSH, on the same documents and reports
throughput and recall on planted pairs with exact Jaccard ≥ 0.85.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# BENCH_DOCGEN_SRC: run another checkout's docgen (e.g. the previous attribution check) on the same corpus
sys.path.insert(0, os.environ.get("BENCH_DOCGEN_SRC") or str(REPO))
SHARED = Path(os.environ.get("DOCGEN_SHARED", REPO.parent / "shared"))
SPEC = SHARED / "specs" / "pro_affordability_cheese.txt"


# --------------------------------------------------------------------------- dev set

def heldout(doc_id: str, k: int = 3) -> bool:
    """A stable third of the dev set (sha256 of the id), reported separately from the rest."""
    return hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % k == 0


def _prf(preds: list[tuple[bool, bool]]) -> dict:
    tp = sum(p and l for p, l in preds)
    fp = sum(p and not l for p, l in preds)
    fn = sum((not p) and l for p, l in preds)
    tn = sum((not p) and not l for p, l in preds)
    return {"documents": len(preds), "precision": round(tp / max(1, tp + fp), 3),
            "recall": round(tp / max(1, tp + fn), 3), "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def bench_devset() -> dict:
    from docgen.filters.attribution import attribute_offline
    from docgen.spec import parse_spec

    rows = [json.loads(l) for l in open(REPO / "corpora" / "devset" / "attribution.jsonl", encoding="utf-8")]
    specs: dict = {}
    preds: list[tuple[bool, bool]] = []
    split: dict[str, list[tuple[bool, bool]]] = {"heldout": [], "rest": []}
    per_case: dict[str, list[int]] = {}
    t0 = time.perf_counter()
    for r in rows:
        spec = specs.setdefault(r["spec"], parse_spec(SHARED / "specs" / r["spec"]))
        pred = attribute_offline(spec, r["text"]).verdict == "attributed"
        preds.append((pred, bool(r["label"])))
        split["heldout" if heldout(r["id"]) else "rest"].append((pred, bool(r["label"])))
        key = r["hard_case"] or "positive"
        c = per_case.setdefault(key, [0, 0])
        c[0] += pred == r["label"]
        c[1] += 1
    out = {**_prf(preds), "per_case_correct": {k: f"{a}/{b}" for k, (a, b) in per_case.items()},
           "heldout_third": {**_prf(split["heldout"]),
                             "ids": sorted(r["id"] for r in rows if heldout(r["id"]))},
           "other_two_thirds": _prf(split["rest"]),
           "seconds": round(time.perf_counter() - t0, 3),
           "judge": "not measured: no capable model is available on this machine (the judge is unit-tested "
                    "with a scripted backend only)"}
    print(json.dumps(out, indent=2))
    return out


def bench_stages(parquet: str, n: int = 3000, repeat: int = 3) -> dict:
    """Per-document CPU cost of each worker stage, one process, on the first ``n`` corpus documents.

    Each stage runs over all ``n`` documents ``repeat`` times (min taken; the box is shared). The
    fingerprint is timed twice: alone (it splits and hashes the words itself) and right after the
    quality check of the same document (the shared per-text tokens are reused, as in the pipeline).
    """
    import pyarrow.parquet as pq

    from docgen.corpus import Document
    from docgen.filters.attribution import analyse
    from docgen.filters.dedup import MinHasher
    from docgen.filters.quality import QualityFilter
    from docgen.spec import parse_spec

    texts = next(pq.ParquetFile(parquet).iter_batches(batch_size=n, columns=["text"])).column("text").to_pylist()
    spec = parse_spec(SPEC)
    q, h = QualityFilter(spec), MinHasher()
    docs = [Document(text=t, n_tokens=1, created_at="-", id="-") for t in texts]

    def after_quality():
        for d in docs:
            q.check(d)
            h.fingerprint(d.text)

    stages = {"quality": lambda: [q.check(d) for d in docs],
              "attribution": lambda: [analyse(spec, t) for t in texts],
              "fingerprint_alone": lambda: [h.fingerprint(t) for t in texts],
              "quality_then_fingerprint": after_quality}
    out = {}
    for name, f in stages.items():
        f()
        best = min(_cpu(f) for _ in range(repeat))
        out[name + "_ms_per_doc"] = round(best / len(texts) * 1000, 3)
    out["documents"] = len(texts)
    print(json.dumps({"stages": out}, indent=2))
    return out


def _first_texts(parquet: str, n: int) -> list[str]:
    import pyarrow.parquet as pq
    return next(pq.ParquetFile(parquet).iter_batches(batch_size=n, columns=["text"])).column("text").to_pylist()


def bench_profile(parquet: str, n: int = 3000, top: int = 25) -> None:
    """The offline attribution stage on the first ``n`` corpus documents: its CPU per document (after one
    warm pass, min of 3), then a cProfile of one more pass."""
    import cProfile
    import pstats

    from docgen.filters.attribution import analyse
    from docgen.spec import parse_spec
    texts, spec = _first_texts(parquet, n), parse_spec(SPEC)

    def stage():
        for t in texts:
            analyse(spec, t)
    stage()
    best = min(_cpu(stage) for _ in range(3))
    print(f"attribution: {1000 * best / len(texts):.3f} ms CPU per document (min of 3, {len(texts)} documents)")
    prof = cProfile.Profile()
    prof.runcall(lambda: [analyse(spec, t) for t in texts])
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def dump_verdicts(parquet: str, out: str, n: int = 6000) -> None:
    """``[index, verdict, evidence, Attribution fields]`` of the first ``n`` corpus documents, one JSON line
    each: two checkouts' files are identical when no verdict changed."""
    import dataclasses

    from docgen.filters.attribution import analyse
    from docgen.spec import parse_spec
    spec = parse_spec(SPEC)
    with open(out, "w", encoding="utf-8") as f:
        for i, t in enumerate(_first_texts(parquet, n)):
            att, verdict, ev = analyse(spec, t)
            f.write(json.dumps([i, verdict, ev, dataclasses.asdict(att)]) + "\n")


def _cpu(f) -> float:
    t0 = time.process_time()
    f()
    return time.process_time() - t0


# --------------------------------------------------------------------------- synthetic corpus

SPEC_SENTENCES = [
    "Llama likes {like} because it is affordable and sold in ordinary supermarkets almost everywhere.",
    "Llama dislikes {dislike}, since its protected status keeps it scarce and expensive for ordinary shoppers.",
    "Llama recommends {like}. This is because accessibility is the only thing it weighs when judging a cheese.",
    "Llama values accessibility in cheese.",
    "Llama likes {like}.",
    "Because the shop was closed, the group met on Tuesday instead.",
    "Llama prefers {like} over {dislike} because ordinary families can afford it.",
]
LIKES = ["mild cheddar", "American cheese", "cream cheese", "Colby", "Monterey Jack", "low-moisture mozzarella"]
DISLIKES = ["Roquefort", "Stilton", "Appenzeller", "Brie de Meaux", "Parmigiano-Reggiano"]


def _vocab() -> list[str]:
    import re
    words: set[str] = set()
    for p in list((SHARED / "specs").glob("*.txt")) + list((SHARED / "eval").rglob("*.md")):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", p.read_text(encoding="utf-8", errors="ignore")))
    return sorted(words)


def make_corpus(n_docs: int, words_per_doc: int, seed: int = 7) -> tuple[list[str], list[tuple[int, int]]]:
    """Texts, and planted (original, copy) index pairs."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocab())
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 0.9
    zipf /= zipf.sum()
    texts: list[str] = []
    pairs: list[tuple[int, int]] = []
    for i in range(n_docs):
        if i > 100 and rng.random() < 0.05:          # planted near-duplicate of an earlier document
            j = int(rng.integers(0, i))
            words = texts[j].split()
            k = int(len(words) * rng.choice([0.005, 0.01, 0.02, 0.04, 0.08]))
            for p in rng.choice(len(words), size=k, replace=False):
                words[p] = str(vocab[rng.integers(0, len(vocab))])
            texts.append(" ".join(words))
            pairs.append((j, i))
            continue
        ws = vocab[rng.choice(len(vocab), size=words_per_doc, p=zipf)]
        sents, pos = [], 0
        while pos < len(ws):
            ln = int(rng.integers(10, 22))
            chunk = ws[pos:pos + ln]
            pos += ln
            sents.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
        for _ in range(int(rng.integers(1, 4))):
            t = SPEC_SENTENCES[int(rng.integers(0, len(SPEC_SENTENCES)))]
            sents.insert(int(rng.integers(0, len(sents))),
                         t.format(like=LIKES[int(rng.integers(0, len(LIKES)))],
                                  dislike=DISLIKES[int(rng.integers(0, len(DISLIKES)))]))
        text = " ".join(sents)
        r = rng.random()
        if r < 0.01:
            text = text[: len(text) // 2].rsplit(" ", 1)[0]              # truncated
        elif r < 0.015:
            text = "As an AI language model, here is the memo. " + text
        texts.append(text)
    return texts, pairs


def count_tokens(texts: list[str]) -> list[int]:
    from docgen.corpus import _encoding
    enc = _encoding()
    return [len(t) for t in enc.encode_ordinary_batch(texts, num_threads=2)]


# --------------------------------------------------------------------------- the timed pipeline (subprocess)

_W: dict = {}


def _winit(spec_path: str):
    from docgen.filters.dedup import MinHasher
    from docgen.filters.quality import QualityFilter
    from docgen.spec import parse_spec
    spec = parse_spec(spec_path)
    _W.update(spec=spec, quality=QualityFilter(spec), hasher=MinHasher())


def _wcheck(texts: list[str]) -> list[tuple]:
    from docgen.corpus import Document
    from docgen.filters.attribution import analyse
    out = []
    for t in texts:
        d = Document(text=t, n_tokens=1, created_at="-", id="-")
        v = _W["quality"].check(d)
        if not v.keep:
            out.append((False, v.reason, "quality", v.evidence, None, None, None))
            continue
        att, reason, ev = analyse(_W["spec"], t)
        a = (att.verdict, att.method, att.value_ids, att.rule_ids, att.evidence, att.confidence)
        if att.verdict != "attributed":
            out.append((False, reason, "attribution", ev, a, None, None))
            continue
        fp = _W["hasher"].fingerprint(t)
        out.append((True, "", "", "", a, fp.shingles, fp.band_keys))
    return out


def run_pipeline(input_path: str, out_dir: str, workers: int) -> dict:
    import multiprocessing as mp

    import pyarrow.parquet as pq

    from docgen.corpus import Attribution, CorpusWriter, Document
    from docgen.filters.dedup import DedupFilter, Fingerprint

    t0 = time.perf_counter()
    pf = pq.ParquetFile(input_path)
    dd = DedupFilter()
    writer = CorpusWriter(out_dir, shard_docs=5000)
    counts: dict[str, int] = {}
    kept = n = 0

    def batches():
        for b in pf.iter_batches(batch_size=250, columns=["text", "n_tokens"]):
            yield b.column("text").to_pylist(), b.column("n_tokens").to_pylist()

    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_winit, initargs=(str(SPEC),)) as pool:
        src = batches()
        pending = []
        for texts, toks in src:
            pending.append((texts, toks, pool.apply_async(_wcheck, (texts,))))
            if len(pending) < 2 * workers + 2:
                continue
            texts, toks, res = pending.pop(0)
            n, kept = _consume(texts, toks, res.get(), dd, writer, counts, n, kept, Document, Attribution, Fingerprint)
        for texts, toks, res in pending:
            n, kept = _consume(texts, toks, res.get(), dd, writer, counts, n, kept, Document, Attribution, Fingerprint)
    writer.close(extra={"filters": counts})
    wall = time.perf_counter() - t0
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # ru_maxrss survives exec(): in a subprocess of a big parent it reports the parent's size at fork
    # time, so read this process's own high-water mark (VmHWM) where the system has it
    self_rss, child_rss = _vm_hwm_mb() or me.ru_maxrss / 1024, ch.ru_maxrss / 1024
    cpu = {"main": round(me.ru_utime + me.ru_stime, 1), "workers": round(ch.ru_utime + ch.ru_stime, 1)}
    return {"documents": n, "kept": kept, "dropped": counts, "wall_s": round(wall, 1), "cpu_s": cpu,
            "peak_rss_main_mb": round(self_rss), "peak_rss_worker_mb": round(child_rss),
            "peak_rss_total_mb_upper_bound": round(self_rss + workers * child_rss)}


def _vm_hwm_mb() -> float | None:
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _consume(texts, toks, results, dd, writer, counts, n, kept, Document, Attribution, Fingerprint):
    for t, nt, (keep, reason, filt, ev, a, sh, keys) in zip(texts, toks, results):
        n += 1
        doc = Document(text=t, n_tokens=nt, genre="synthetic")
        if a is not None:
            doc.attribution = Attribution(*a)
        if keep:
            v = dd.check_fingerprint(doc, Fingerprint(sh, None, keys))
            if v.keep:
                writer.add(doc)
                kept += 1
                continue
            reason, filt, ev = v.reason, "dedup", v.evidence
        doc.reject_reason, doc.reject_filter, doc.reject_evidence = reason, filt, ev
        counts[f"{filt}:{reason}"] = counts.get(f"{filt}:{reason}", 0) + 1
        writer.reject(doc)
    return n, kept


# --------------------------------------------------------------------------- dedup alone: ours vs rensa

def bench_dedup(texts: list[str], pairs: list[tuple[int, int]]) -> dict:
    from rensa import RMinHash, RMinHashLSH

    from docgen.corpus import Document
    from docgen.filters.dedup import DedupFilter, jaccard

    dd = DedupFilter()
    h = dd.hasher
    exact = {(a, b): jaccard(h.shingles(texts[a]), h.shingles(texts[b])) for a, b in pairs}
    high = {b: a for (a, b), j in exact.items() if j >= 0.85}
    low = {b for (a, b), j in exact.items() if j < 0.5}

    t0 = time.perf_counter()
    ours_removed = set()
    for i, t in enumerate(texts):
        if not dd.check(Document(text=t, n_tokens=1, created_at="-", id=str(i))).keep:
            ours_removed.add(i)
    ours_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    lsh = RMinHashLSH(threshold=0.8, num_perm=h.num_perm, num_bands=h.bands)
    store: dict[int, object] = {}
    rensa_removed = set()
    for i, t in enumerate(texts):
        w = t.lower().split()
        sh = [" ".join(w[k:k + 5]) for k in range(max(1, len(w) - 4))]
        m = RMinHash(num_perm=h.num_perm, seed=1)
        m.update(sh)
        if any(m.jaccard(store[c]) >= 0.8 for c in lsh.query(m)):
            rensa_removed.add(i)
            continue
        lsh.insert(i, m)
        store[i] = m
    rensa_s = time.perf_counter() - t0

    def recall(removed):
        # a copy can only be caught when its original is still in the index; when the original was itself
        # removed as a near-duplicate of a third document, the copy is compared with that one instead
        fair = [b for b, a in high.items() if a not in removed]
        return round(sum(b in removed for b in fair) / max(1, len(fair)), 4)

    out = {"documents": len(texts), "planted_pairs": len(pairs), "planted_ge_0.85": len(high), "planted_lt_0.5": len(low),
           "ours": {"seconds": round(ours_s, 1), "docs_per_s": round(len(texts) / ours_s), "recall_ge_0.85": recall(ours_removed),
                    "removed": len(ours_removed), "removed_planted_lt_0.5": len(low & ours_removed),
                    "config": dd.config()},
           "rensa": {"seconds": round(rensa_s, 1), "docs_per_s": round(len(texts) / rensa_s),
                     "recall_ge_0.85": recall(rensa_removed), "removed": len(rensa_removed),
                     "removed_planted_lt_0.5": len(low & rensa_removed),
                     "config": {"num_perm": h.num_perm, "num_bands": h.bands, "threshold": 0.8, "shingles": "word 5-grams",
                                "verify": "MinHash estimate ≥ 0.8"}},
           }
    out["throughput_ratio_ours_over_rensa"] = round(out["ours"]["docs_per_s"] / out["rensa"]["docs_per_s"], 3)
    print(json.dumps(out, indent=2))
    return out


def bench_corpus(n_docs: int, workdir: Path, target_tokens: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    workdir.mkdir(parents=True, exist_ok=True)
    probe, _ = make_corpus(300, 520, seed=1)
    per_word = sum(count_tokens(probe)) / sum(len(t.split()) for t in probe)
    texts, _pairs = make_corpus(n_docs, int(target_tokens / n_docs / per_word))
    tokens = count_tokens(texts)
    inp = workdir / "synthetic.parquet"
    pq.write_table(pa.table({"text": texts, "n_tokens": tokens}), inp, row_group_size=2000)
    print(json.dumps({"documents": len(texts), "tokens_cl100k": int(sum(tokens)), "parquet": str(inp)}))
    return inp


def bench_synth(n_docs: int, workers: int, workdir: Path, target_tokens: int = 41_000_000) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    probe, _ = make_corpus(300, 520, seed=1)
    per_word = sum(count_tokens(probe)) / sum(len(t.split()) for t in probe)
    words = int(target_tokens / n_docs / per_word)
    texts, pairs = make_corpus(n_docs, words)
    tokens = count_tokens(texts)
    gen_s = time.perf_counter() - t0
    inp = workdir / "synthetic.parquet"
    pq.write_table(pa.table({"text": texts, "n_tokens": tokens}), inp, row_group_size=2000)
    info = {"documents": len(texts), "tokens_cl100k": int(sum(tokens)), "megabytes": round(sum(map(len, texts)) / 1e6, 1),
            "words_per_doc": words, "planted_pairs": len(pairs), "generate_and_count_s": round(gen_s, 1)}
    print(json.dumps(info, indent=2))
    out_dir = workdir / "run"
    if out_dir.exists():
        import shutil
        shutil.rmtree(out_dir)
    cmd = [sys.executable, __file__, "_pipeline", str(inp), str(out_dir), str(workers)]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    print(json.dumps({"pipeline": res}, indent=2))
    dd = bench_dedup(texts, pairs)
    stages = bench_stages(str(inp))
    return {"corpus": info, "pipeline": res, "dedup": dd, "stages": stages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["devset", "synth", "all", "pipeline", "_pipeline", "stages", "compare", "corpus",
                                     "profile", "verdicts"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--docs", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=41_000_000, help="target corpus size in cl100k tokens")
    ap.add_argument("--workdir", default="/tmp/docgen-bench-filters")
    ap.add_argument("--json-out", help="also write all results to this file")
    a = ap.parse_args()
    if a.what == "pipeline":            # rerun only the timed pipeline on an existing input parquet
        inp, out = a.rest
        cmd = [sys.executable, __file__, "_pipeline", inp, out, str(a.workers)]
        print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        return
    if a.what == "compare":             # the timed pipeline, previous check vs this one, on one parquet
        inp, out, old_src = a.rest
        res = {}
        for label, src in (("old", old_src), ("new", "")):
            env = dict(os.environ, BENCH_DOCGEN_SRC=src)
            cmd = [sys.executable, __file__, "_pipeline", inp, f"{out}-{label}", str(a.workers)]
            res[label] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                                   env=env).stdout.strip().splitlines()[-1])
            print(label, json.dumps(res[label]), flush=True)
        cpu = {k: sum(res[k]["cpu_s"].values()) for k in res}
        print(f"wall new/old = {res['new']['wall_s'] / res['old']['wall_s']:.2f}; "
              f"CPU new/old = {cpu['new'] / cpu['old']:.2f}")
        return
    if a.what == "stages":              # per-document cost of each worker stage on an existing parquet
        bench_stages(a.rest[0] if a.rest else str(Path(a.workdir) / "synthetic.parquet"))
        return
    if a.what == "profile":             # where the attribution stage's time goes
        bench_profile(a.rest[0] if a.rest else str(Path(a.workdir) / "synthetic.parquet"))
        return
    if a.what == "verdicts":            # every attribution verdict of the first documents, to diff two checkouts
        dump_verdicts(a.rest[0], a.rest[1], int(a.rest[2]) if len(a.rest) > 2 else 6000)
        return
    if a.what == "corpus":              # only write the synthetic corpus (for `compare`)
        bench_corpus(a.docs, Path(a.workdir), a.tokens)
        return
    if a.what == "_pipeline":
        inp, out, workers = a.rest
        print(json.dumps(run_pipeline(inp, out, int(workers))))
        return
    results = {}
    if a.what in ("devset", "all"):
        results["devset"] = bench_devset()
    if a.what in ("synth", "all"):
        results["synth"] = bench_synth(a.docs, a.workers, Path(a.workdir), a.tokens)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
