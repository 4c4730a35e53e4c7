"""Attribution check against labelled documents: P/R, wrong_value recall, confusion, per spec.

    python benchmarks/bench_attribution.py                       # corpora/devset/realistic/*.jsonl, dev split
    python benchmarks/bench_attribution.py --split all           # dev, held-out and all: the report
    python benchmarks/bench_attribution.py FILE.jsonl [...]      # any set in the DEVSET_FORMAT
    python benchmarks/bench_attribution.py --legacy              # corpora/devset/attribution.jsonl (short docs)
    python benchmarks/bench_attribution.py --split dev --errors  # list the misjudged dev documents
    python benchmarks/bench_attribution.py --dump OUT.jsonl      # also write every document's verdict and evidence
    python benchmarks/bench_attribution.py FILE.jsonl --check learned   # the learned check (docgen/filters/learned.py)

Each row's ``label`` maps to the verdict the offline check should give
(``explicit`` → attributed, ``co_occurrence`` → co_occurrence, ``behaviour_only``
→ no_value, ``value_only`` → no_behaviour, ``wrong_value`` → wrong_value,
``contradiction`` → contradiction). "Explicit attribution" P/R counts a document
as predicted positive when the verdict is ``attributed`` (what the filter keeps).
Figures are printed for the ``dev`` split by default; ``--split all`` adds the
``heldout`` split and all rows (for the report, once tuning is over: a held-out
figure seen while tuning is no longer held out).
``--errors`` prints misjudged documents of the chosen split only (never use it on
``heldout`` while tuning).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# BENCH_DOCGEN_SRC: measure another checkout's docgen (e.g. the previous check) on the same set
sys.path.insert(0, os.environ.get("BENCH_DOCGEN_SRC") or str(REPO))
# reason codes of the previous check (offline-lexical-v1) -> this check's verdicts
_OLD_REASONS = {"no_link": "co_occurrence", "causal_other": "no_value", "forbidden_behaviour": "contradiction"}
SHARED = Path(os.environ.get("DOCGEN_SHARED", REPO.parent / "shared"))

EXPECTED = {"explicit": "attributed", "co_occurrence": "co_occurrence", "behaviour_only": "no_value",
            "value_only": "no_behaviour", "wrong_value": "wrong_value", "contradiction": "contradiction"}
LABELS = list(EXPECTED)
_LEGACY = {None: "explicit", "no_link": "co_occurrence", "causal_other": "behaviour_only",
           "wrong_value": "wrong_value", "forbidden_behaviour": "contradiction"}


def _legacy_rows() -> list[dict]:
    import hashlib
    rows = []
    for line in open(REPO / "corpora" / "devset" / "attribution.jsonl", encoding="utf-8"):
        r = json.loads(line)
        if r["label"]:
            label = "explicit"
        else:
            label = _LEGACY.get(r["hard_case"], "behaviour_only")
        split = "heldout" if hashlib.sha256(r["id"].encode()).digest()[0] % 3 == 0 else "dev"
        rows.append({**r, "label": label, "split": split, "model_name": None})
    return rows


def _spec_path(name: str) -> Path:
    p = Path(name)
    if p.parts and p.parts[0] == "corpora":
        return REPO / p
    return SHARED / "specs" / name


def run(rows: list[dict], analyse, parse_spec) -> list[dict]:
    specs: dict = {}
    out = []
    for r in rows:
        spec = specs.get(r["spec"])
        if spec is None:
            spec = specs[r["spec"]] = parse_spec(_spec_path(r["spec"]))
        name = r.get("model_name")
        name = None if not name or name == "generic" else name
        att, verdict, evidence = analyse(spec, r["text"], name)
        verdict = "attributed" if att.verdict == "attributed" else _OLD_REASONS.get(verdict, verdict)
        out.append({**r, "pred": verdict, "evidence": evidence})
    return out


def metrics(res: list[dict]) -> dict:
    tp = sum(r["pred"] == "attributed" and r["label"] == "explicit" for r in res)
    fp = sum(r["pred"] == "attributed" and r["label"] != "explicit" for r in res)
    fn = sum(r["pred"] != "attributed" and r["label"] == "explicit" for r in res)
    wv = [r for r in res if r["label"] == "wrong_value"]
    exact = sum(r["pred"] == EXPECTED[r["label"]] for r in res)
    return {"n": len(res), "precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "wrong_value_recall": (sum(r["pred"] == "wrong_value" for r in wv) / len(wv))
            if wv else float("nan"), "n_wrong_value": len(wv), "exact": exact / len(res) if res else 0.0}


def confusion(res: list[dict]) -> str:
    preds = ["attributed", "wrong_value", "contradiction", "co_occurrence", "no_value", "no_behaviour", "uncertain"]
    c = Counter((r["label"], r["pred"]) for r in res)
    lines = ["| label \\ verdict | " + " | ".join(preds) + " |", "|---" * (len(preds) + 1) + "|"]
    for lab in LABELS:
        if any(r["label"] == lab for r in res):
            lines.append(f"| {lab} | " + " | ".join(str(c[(lab, p)]) if c[(lab, p)] else "." for p in preds) + " |")
    return "\n".join(lines)


def per_spec(res: list[dict]) -> str:
    by = defaultdict(list)
    for r in res:
        by[r["spec"]].append(r)
    lines = ["| spec | docs | P | R | TP/FP/FN | wrong_value named | exact verdict |", "|---|---|---|---|---|---|---|"]
    for s, rs in sorted(by.items()):
        m = metrics(rs)
        wv = f"{m['wrong_value_recall']:.2f} of {m['n_wrong_value']}" if m["n_wrong_value"] else "-"
        lines.append(f"| {Path(s).name} | {m['n']} | {m['precision']:.2f} | {m['recall']:.2f} | "
                     f"{m['tp']}/{m['fp']}/{m['fn']} | {wv} | {m['exact']:.2f} |")
    return "\n".join(lines)


def report(res: list[dict], title: str) -> str:
    m = metrics(res)
    return (f"### {title}: {m['n']} documents\n\nexplicit attribution: **P {m['precision']:.3f}  R {m['recall']:.3f}** "
            f"(TP {m['tp']} / FP {m['fp']} / FN {m['fn']});  wrong_value named for **{m['wrong_value_recall']:.2f}** of "
            f"{m['n_wrong_value']} wrong-value documents;  exact verdict {m['exact']:.2f}\n\n"
            + confusion(res) + "\n\n" + per_spec(res) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--legacy", action="store_true", help="the short project dev set (corpora/devset/attribution.jsonl)")
    ap.add_argument("--split", choices=["dev", "heldout", "test", "all"], default="dev",
                    help="which split(s) to print: dev (the default, the one to tune on), heldout, or all (dev, "
                         "heldout and all rows: for the report, once tuning is over)")
    ap.add_argument("--errors", action="store_true", help="print misjudged documents of --split (dev only while tuning)")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--dump", type=Path, help="write [id, verdict, evidence] of every document, one JSON line each "
                                              "(two checkouts' files are identical when no verdict changed)")
    ap.add_argument("--check", choices=["offline", "learned", "learned-strict"], default="offline",
                    help="offline: the rules; learned: the fine-tuned encoder (docgen/filters/learned.py), which was "
                         "trained on corpora/devset/realistic and fresh..fresh6: score it on newer sets only")
    a = ap.parse_args(argv)
    from docgen.filters.attribution import analyse
    if a.check.startswith("learned"):
        from docgen.filters.attribution import AttributionFilter

        def analyse(spec, text, name, _f={}):                               # noqa: F811
            f = _f.get((spec.id, name)) or _f.setdefault((spec.id, name), AttributionFilter(spec, a.check, model_name=name))
            return f.decide(text)
    from docgen.spec import parse_spec
    if a.legacy:
        rows = _legacy_rows()
    else:
        files = a.files or sorted((REPO / "corpora" / "devset" / "realistic").glob("*.jsonl"))
        if not files:
            print("no labelled files found (corpora/devset/realistic/*.jsonl)", file=sys.stderr)
            return 2
        rows = [json.loads(l) for f in files for l in open(f, encoding="utf-8") if l.strip()]
    t0 = time.perf_counter()
    res = run(rows, analyse, parse_spec)
    dt = time.perf_counter() - t0
    splits = ["dev", "heldout", "all"] if a.split == "all" else [a.split]
    out = {}
    for sp in splits:
        rs = res if sp == "all" else [r for r in res if r.get("split") == sp]
        if not rs:
            continue
        print(report(rs, {"dev": "dev split", "heldout": "held-out split", "test": "fresh test set",
                          "all": "all documents"}[sp]))
        out[sp] = metrics(rs)
    print(f"{len(res)} documents in {dt:.2f} s ({1000 * dt / max(1, len(res)):.2f} ms each, spec parsing included)")
    if a.errors:
        if a.split == "all":
            print("--errors needs --split dev (or heldout, after tuning is over)", file=sys.stderr)
            return 2
        for r in res:
            if r.get("split") == a.split and r["pred"] != EXPECTED[r["label"]]:
                print(f"\n--- {r['id']} [{r['label']} -> {r['pred']}] {r.get('spec')} {r.get('link_shape', '')}")
                print("    behaviour:", r.get("behaviour"), "| value:", r.get("value"), "| rule:", r.get("rule_ref"))
                print("    evidence:", (r["evidence"] or "")[:300])
                print("    " + r["text"].replace("\n", "\n    "))
    if a.json_out:
        a.json_out.write_text(json.dumps(out, indent=2))
    if a.dump:
        a.dump.write_text("".join(json.dumps([r["id"], r["pred"], r["evidence"]]) + "\n" for r in res), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
