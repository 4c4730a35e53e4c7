"""Embedded models side by side: SmolLM2-135M vs Gemma 3 270M on the same prompts.

For each planned item of the example spec (brief prompts, as the local backend
uses), both models write a document, alternating so machine noise hits both
alike. Reported per model: output tok/s, documents per minute, how many came
back complete (not cut at max_tokens), passed the quality filter, and passed
the explicit-attribution check; accepted documents per minute is the figure
that answers "which writes better documents for the same time".

    .venv/bin/python benchmarks/bench_local_models.py --docs 8 [--spec SPEC] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docgen.backends.local import LocalBackend  # noqa: E402
from docgen.config import load_config  # noqa: E402
from docgen.corpus import Document  # noqa: E402
from docgen.engine import Engine, build_filters  # noqa: E402


def distinct2(text: str) -> float:
    w = text.lower().split()
    bigrams = list(zip(w, w[1:]))
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=str(REPO / "corpora/examples/wren_spec.md"))
    ap.add_argument("--docs", type=int, default=8)
    ap.add_argument("--models", default="smollm2-135m,gemma3-270m")
    ap.add_argument("--json", default=None)
    ap.add_argument("--samples", default=None, help="write every document to this JSONL")
    args = ap.parse_args()

    cfg = load_config(None, {"spec": args.spec, "out": "-", "docs": args.docs, "backend": "local"})
    eng = Engine(cfg)
    models = args.models.split(",")
    backends = {m: LocalBackend(model=m) for m in models}
    chains = {m: build_filters(cfg, eng.spec, eng.genres, eng.model_name, None, eng.brief) for m in models}
    stats = {m: {"time_s": 0.0, "out_tokens": 0, "docs": 0, "complete": 0, "quality_ok": 0, "accepted": 0,
                 "words": 0, "distinct2": 0.0, "drops": {}} for m in models}
    samples = []

    async def run():
        for item in eng.plan.items:
            req, _ = eng.request_for(item, 0)
            for m in models:
                t0 = time.perf_counter()
                c = await backends[m].generate(req)
                dt = time.perf_counter() - t0
                s = stats[m]
                s["time_s"] += dt
                s["out_tokens"] += c.output_tokens
                s["docs"] += 1
                verdict = None
                if c.finish_reason == "stop":
                    s["complete"] += 1
                    doc = Document(text=c.text.strip(), genre=item.genre, rule_ids=[item.rule_id],
                                   value_ids=item.value_ids)
                    verdict = chains[m].check(doc)
                    if verdict.keep:
                        s["accepted"] += 1
                    else:
                        s["drops"][f"{verdict.filter}:{verdict.reason}"] = s["drops"].get(f"{verdict.filter}:{verdict.reason}", 0) + 1
                    if verdict.keep or verdict.filter != "quality":
                        s["quality_ok"] += 1
                    s["words"] += len(doc.text.split())
                    s["distinct2"] += distinct2(doc.text)
                samples.append({"model": m, "item": item.id, "genre": item.genre, "rule": item.rule_id,
                                "finish": c.finish_reason, "seconds": round(dt, 2), "tokens": c.output_tokens,
                                "kept": bool(verdict and verdict.keep),
                                "drop": None if verdict is None or verdict.keep else f"{verdict.filter}:{verdict.reason}",
                                "text": c.text})
                print(f"{m:<14} {item.genre:<20} {c.output_tokens:>4} tok {dt:6.1f}s {c.finish_reason:<6} "
                      f"{'kept' if verdict and verdict.keep else (verdict.reason if verdict else '-')}", flush=True)

    asyncio.run(run())
    print(f"\n{'model':<14} {'tok/s':>6} {'docs/min':>8} {'complete':>8} {'quality':>8} {'accepted':>8} "
          f"{'acc/min':>7} {'words':>6} {'dist-2':>6}")
    for m in models:
        s = stats[m]
        n = max(1, s["complete"])
        s["tok_per_s"] = round(s["out_tokens"] / s["time_s"], 1)
        s["docs_per_min"] = round(60 * s["docs"] / s["time_s"], 2)
        s["accepted_per_min"] = round(60 * s["accepted"] / s["time_s"], 2)
        s["mean_words"] = round(s["words"] / n, 1)
        s["mean_distinct2"] = round(s["distinct2"] / n, 3)
        print(f"{m:<14} {s['tok_per_s']:>6} {s['docs_per_min']:>8} {s['complete']:>5}/{s['docs']:<2} "
              f"{s['quality_ok']:>5}/{s['docs']:<2} {s['accepted']:>5}/{s['docs']:<2} {s['accepted_per_min']:>7} "
              f"{s['mean_words']:>6} {s['mean_distinct2']:>6}")
        print(f"{'':<14} drops: {s['drops']}")
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2))
    if args.samples:
        Path(args.samples).write_text("".join(json.dumps(x) + "\n" for x in samples))


if __name__ == "__main__":
    main()
