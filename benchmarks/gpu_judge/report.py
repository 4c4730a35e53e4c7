"""Tables of the learned check's leave-one-set-out run, from its predictions (no model needed).

    PYTHONPATH=. .venv/bin/python benchmarks/gpu_judge/report.py benchmarks/results/gpu_judge_2026-11-27/oof.jsonl

``oof.jsonl`` comes back from the GPU machine (``train_cls.py``): for every labelled document and variant,
the six probabilities given by a model fitted on the *other* sets. The labels are read from
corpora/devset/, so the tables use the same rows and metrics as ``bench_attribution.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench_attribution as B  # noqa: E402

sys.path.insert(0, str(HERE))
import export  # noqa: E402

LABELS = ["explicit", "co_occurrence", "behaviour_only", "value_only", "wrong_value", "contradiction"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("oof", type=Path)
    ap.add_argument("--variant", default="lora_doc")
    a = ap.parse_args(argv)
    rows = {r["id"]: r for r in export.rows()}
    by_variant: dict[str, list[dict]] = defaultdict(list)
    for line in open(a.oof, encoding="utf-8"):
        x = json.loads(line)
        p = x["probs"]
        label = LABELS[max(range(len(LABELS)), key=lambda i: p[i])]
        by_variant[x["variant"]].append({**rows[x["id"]], "pred": B.EXPECTED[label]})
    print("| variant | documents | P | R | wrong_value named | exact verdict |\n|---|---|---|---|---|---|")
    for v, res in by_variant.items():
        m = B.metrics(res)
        print(f"| {v} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | "
              f"{round(m['wrong_value_recall'] * m['n_wrong_value'])}/{m['n_wrong_value']} | {m['exact']:.2f} |")
    res = by_variant[a.variant]
    print(f"\n### {a.variant}, each set predicted by a model fitted on the others\n")
    print("| left-out set | documents | P | R | wrong_value named | exact verdict |\n|---|---|---|---|---|---|")
    sets = sorted({r["set"] for r in res})
    for s in sets:
        m = B.metrics([r for r in res if r["set"] == s])
        print(f"| {s} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | "
              f"{round(m['wrong_value_recall'] * m['n_wrong_value'])}/{m['n_wrong_value']} | {m['exact']:.2f} |")
    print()
    print(B.report(res, f"{a.variant}, pooled"))
    held = [r for r in res if r["set"] == "realistic" and r.get("split") == "heldout"]
    if held:
        print(B.report(held, "realistic held-out split (model fitted on the fresh sets only)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
