"""Spec reader figures: for every spec we test, what it reads and how long it takes.

    PYTHONPATH=$PWD python benchmarks/bench_specs.py [--json]
    PYTHONPATH=$PWD python benchmarks/bench_specs.py --plans SPEC [SPEC …]   # docgen plan --docs 100 summaries
    PYTHONPATH=$PWD python benchmarks/bench_specs.py --sentences   # deontic reader on the labelled sentences

Columns: values, rules, rules with authority, rules with a value, do-not rules,
examples kept, fragments (rules that are not self-contained sentences, by the
lint check), leaks (values/rules/sub-points holding code, markup or example
dialogue; target 0), and parse time (median of 5 parses of the text already in
memory, cache bypassed). The one-time cost of loading lemminflect's tables is
measured separately.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docgen.spec import parse_spec  # noqa: E402
from docgen.spec.lint import is_fragment, leaks  # noqa: E402
from docgen.spec.reader import parse_text  # noqa: E402
from docgen.spec.source import FORMATS, read_text  # noqa: E402


def spec_files() -> list[Path]:
    shared = REPO.parent / "shared" / "specs"
    return sorted(shared.iterdir()) + sorted((REPO / "corpora" / "specs").iterdir()) + \
        [REPO / "corpora" / "examples" / "wren_spec.md"]


def measure(path: Path) -> dict:
    spec = parse_spec(path)
    text = read_text(path)
    fmt = FORMATS[path.suffix.lower()]
    times = []
    for _ in range(5):
        t = time.perf_counter()
        parse_text(text, str(path), fmt)
        times.append(time.perf_counter() - t)
    rules = spec.rules
    return {
        "spec": path.name, "words": len(text.split()), "values": len(spec.values), "rules": len(rules),
        "with_authority": sum(r.authority is not None for r in rules),
        "with_value": sum(bool(r.value_ids) for r in rules),
        "do_not": sum(r.polarity == "do_not" for r in rules),
        "examples": sum(len(r.examples) for r in rules),
        "fragments": sum(is_fragment(r.text) for r in rules),
        "leaks": len(leaks(spec)),
        "parse_ms": round(statistics.median(times) * 1000, 1),
    }


def plan_summary(path: Path, docs: int = 100) -> str:
    """One line per spec: what `docgen plan SPEC --docs N` would teach (documents per outermost
    value, do-not cells, cells on ranked rules) and its first three cells."""
    import subprocess
    from collections import Counter

    d = json.loads(subprocess.run([sys.executable, "-m", "docgen", "plan", str(path), "--docs", str(docs), "--json"],
                                  capture_output=True, text=True, check=True, cwd=REPO).stdout)
    s = parse_spec(path)
    rules, vals = {r.id: r for r in s.rules}, {v.id: v for v in s.values}
    rids = [i["rule_id"] for i in d["items"]]
    tops = Counter(vals[i["value_ids"][-1]].name if i["value_ids"] and i["value_ids"][-1] in vals else "-"
                   for i in d["items"])
    dn = sum(1 for r in rids if r in rules and rules[r].polarity == "do_not")
    auth = sum(1 for r in rids if r in rules and rules[r].authority is not None)
    return (f"{path.name}: {len(rids)} docs, {len(set(rids))}/{len(s.rules)} rules, {dn} do-not docs, "
            f"{auth} docs on ranked rules, {len(d['genres'])} genres; by outermost value: "
            + ", ".join(f"{k} {n}" for k, n in tops.most_common())
            + "\n   first cells: " + " | ".join(rules[r].text[:70] for r in rids[:3] if r in rules))


def sentence_scores(path: Path = REPO / "corpora" / "devset" / "spec_sentences.jsonl") -> dict:
    """Accuracy of the deontic reader (do / do_not / none) per split of the labelled sentences."""
    from docgen.spec.text import deontic

    out: dict = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        got = deontic(row["text"], row["model"]) or "none"
        d = out.setdefault(row["split"], {"n": 0, "correct": 0, "rule_tp": 0, "rule_fp": 0, "rule_fn": 0,
                                          "errors": []})
        d["n"] += 1
        d["correct"] += got == row["label"]
        d["rule_tp"] += got != "none" and row["label"] != "none"
        d["rule_fp"] += got != "none" and row["label"] == "none"
        d["rule_fn"] += got == "none" and row["label"] != "none"
        if got != row["label"]:
            d["errors"].append(f"{row['label']}→{got}: {row['text']}")
    for d in out.values():
        d["accuracy"] = round(d["correct"] / d["n"], 3)
        d["rule_precision"] = round(d["rule_tp"] / max(1, d["rule_tp"] + d["rule_fp"]), 3)
        d["rule_recall"] = round(d["rule_tp"] / max(1, d["rule_tp"] + d["rule_fn"]), 3)
    return out


def main() -> None:
    if "--sentences" in sys.argv:
        for split, d in sentence_scores().items():
            print(f"{split}: n={d['n']} accuracy={d['accuracy']} rule precision={d['rule_precision']} "
                  f"rule recall={d['rule_recall']}")
            for e in d["errors"]:
                print(f"   {e}")
        return
    if "--plans" in sys.argv:
        for p in sys.argv[sys.argv.index("--plans") + 1:]:
            print(plan_summary(Path(p)))
        return
    t = time.perf_counter()
    from docgen.spec.text import verb_base
    verb_base("running")
    load_ms = round((time.perf_counter() - t) * 1000)
    rows = [measure(p) for p in spec_files()]
    if "--json" in sys.argv:
        print(json.dumps({"lemminflect_load_ms": load_ms, "specs": rows}, indent=2))
        return
    cols = ["spec", "words", "values", "rules", "with_authority", "with_value", "do_not", "examples", "fragments",
            "leaks", "parse_ms"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    print(f"\none-time lemminflect table load: {load_ms} ms")


if __name__ == "__main__":
    main()
