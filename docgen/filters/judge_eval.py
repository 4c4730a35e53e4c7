"""``docgen judge-eval``: calibrate the LLM judge on a labelled set before a paid run.

The set is JSONL in the dev-set format (``corpora/devset/realistic``): one
document per line with ``text``, ``spec`` (a path, or a file name under
``--specs-dir``), ``label`` (explicit, co_occurrence, behaviour_only,
value_only, wrong_value, contradiction) and optionally ``model_name``.
Every document is judged by the LLM judge and by the offline check; the
report gives precision/recall per label for both and how often they agree.
``--judge learned`` puts the learned check (:mod:`docgen.filters.learned`) in the
judge's place; ``--judge BACKEND/MODEL --attribution learned`` measures what
``docgen filter --attribution learned --judge BACKEND/MODEL`` would decide: the
learned check's verdicts, with the judge's on the documents it is unsure of.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import UserError

EXPECTED = {"explicit": "attributed", "co_occurrence": "co_occurrence", "behaviour_only": "no_value",
            "value_only": "no_behaviour", "wrong_value": "wrong_value", "contradiction": "contradiction"}


def load_set(path: str | Path, specs_dir: str | Path | None = None, limit: int | None = None,
             split: str | None = None) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise UserError("labelled set not found", where=str(path), hint="pass a .jsonl file in the dev-set format")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"invalid JSON: {e.msg}", where=f"{path}:{i}", hint="one JSON object per line") from None
        missing = [k for k in ("text", "spec", "label") if k not in r]
        if missing:
            raise UserError(f"missing field(s) {', '.join(missing)}", where=f"{path}:{i}",
                            hint="each line needs text, spec and label")
        if r["label"] not in EXPECTED:
            raise UserError(f"unknown label '{r['label']}'", where=f"{path}:{i}",
                            hint="use one of: " + ", ".join(EXPECTED))
        if split and r.get("split") != split:
            continue
        r["_line"] = i
        rows.append(r)
        if limit and len(rows) >= limit:
            break
    if not rows:
        raise UserError("no documents to judge", where=str(path), hint="check the file (and --split)")
    for r in rows:
        r["_spec_path"] = _resolve_spec(r["spec"], path, specs_dir)
    return rows


def _resolve_spec(name: str, set_path: Path, specs_dir: str | Path | None) -> Path:
    cands = [Path(name)]
    if specs_dir:
        cands.append(Path(specs_dir) / name)
    cands += [set_path.parent / name, Path.cwd() / name]
    for c in cands:
        if c.is_file():
            return c
    raise UserError(f"spec '{name}' not found", where=str(set_path),
                    hint="pass --specs-dir DIR with the specs the set refers to")


def per_label(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Precision/recall of each verdict over (expected, predicted) pairs."""
    out = {}
    for lab in EXPECTED.values():
        tp = sum(e == lab and p == lab for e, p in pairs)
        fp = sum(e != lab and p == lab for e, p in pairs)
        fn = sum(e == lab and p != lab for e, p in pairs)
        out[lab] = {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
                    "support": tp + fn}
    return out


async def _judge_all(rows, backend, concurrency: int) -> list[str]:
    from ..spec import parse_spec
    from .judge import AttributionJudge
    judges: dict[tuple, AttributionJudge] = {}
    sem = asyncio.Semaphore(concurrency)

    async def one(r):
        name = r.get("model_name")
        name = None if not name or name == "generic" else name
        k = (str(r["_spec_path"]), name)
        if k not in judges:
            judges[k] = AttributionJudge(backend, parse_spec(r["_spec_path"]), model_name=name)
        async with sem:
            att, reason = await judges[k].judge(r["text"])
        return "attributed" if att.verdict == "attributed" else reason

    return await asyncio.gather(*(one(r) for r in rows))


def run_judge_eval(set_path: str | Path, judge: str, *, specs_dir: str | None = None, limit: int | None = None,
                   split: str | None = None, concurrency: int = 4, attribution: str = "offline") -> dict[str, Any]:
    from ..spec import parse_spec
    from .attribution import analyse
    from .cli_run import _judge_backend
    rows = load_set(set_path, specs_dir, limit, split)
    backend = None if judge in ("learned", "learned-strict") else _judge_backend(judge)
    specs: dict = {}
    offline = []
    for r in rows:
        p = str(r["_spec_path"])
        specs.setdefault(p, parse_spec(p))
        name = r.get("model_name")
        offline.append(analyse(specs[p], r["text"], None if not name or name == "generic" else name)[1])

    async def go(todo):
        try:
            return await _judge_all(todo, backend, concurrency)
        finally:
            close = getattr(backend, "aclose", None)
            if close is not None:
                await close()

    routed = None
    if judge in ("learned", "learned-strict") or attribution.startswith("learned"):
        # the fine-tuned encoder (docgen/filters/learned.py) in the judge's place: the same report, no model calls;
        # with an LLM judge as well, the documents the encoder is unsure of go to the judge, as `filter` does
        from .attribution import AttributionFilter
        method = judge if backend is None else attribution
        checks: dict = {}
        judged = []
        for r in rows:
            name = r.get("model_name")
            name = None if not name or name == "generic" else name
            k = (str(r["_spec_path"]), name)
            if k not in checks:
                checks[k] = AttributionFilter(specs[k[0]], method, judge_backend=backend, model_name=name)
            judged.append(checks[k].decide(r["text"])[1])       # with a judge attached: "uncertain" = for the judge
        if backend is not None:
            routed = [i for i, v in enumerate(judged) if v == "uncertain"]
            for i, v in zip(routed, asyncio.run(go([rows[i] for i in routed]))):
                judged[i] = v
            judge = f"{attribution} + {judge} on the {len(routed)} documents it is unsure of"
    else:
        judged = asyncio.run(go(rows))
    expected = [EXPECTED[r["label"]] for r in rows]
    jp = list(zip(expected, judged))
    op = list(zip(expected, offline))

    def pr(pairs):
        tp = sum(e == "attributed" and p == "attributed" for e, p in pairs)
        fp = sum(e != "attributed" and p == "attributed" for e, p in pairs)
        fn = sum(e == "attributed" and p != "attributed" for e, p in pairs)
        return {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0}

    return {"documents": len(rows), "judge": judge, "routed": None if routed is None else len(routed),
            "judge_per_label": per_label(jp), "offline_per_label": per_label(op),
            "judge_explicit": pr(jp), "offline_explicit": pr(op),
            "judge_exact": sum(e == p for e, p in jp) / len(rows),
            "offline_exact": sum(e == p for e, p in op) / len(rows),
            "agreement": sum(a == b for a, b in zip(judged, offline)) / len(rows),
            "agreement_keep": sum((a == "attributed") == (b == "attributed") for a, b in zip(judged, offline)) / len(rows),
            "judge_failed": sum(j == "judge_failed" for j in judged),
            "confusion": Counter(f"{e} -> {j}" for e, j in jp).most_common()}


def format_report(rep: dict[str, Any]) -> str:
    lines = [f"{rep['documents']} documents, judge {rep['judge']}  (judge_failed: {rep['judge_failed']})", "",
             f"{'verdict':<15} {'judge P':>8} {'judge R':>8} {'offline P':>10} {'offline R':>10} {'support':>8}"]
    for lab, m in rep["judge_per_label"].items():
        o = rep["offline_per_label"][lab]
        lines.append(f"{lab:<15} {m['precision']:>8.2f} {m['recall']:>8.2f} {o['precision']:>10.2f} {o['recall']:>10.2f}"
                     f" {m['support']:>8}")
    je, oe = rep["judge_explicit"], rep["offline_explicit"]
    lines += ["", f"keep decision (attributed or not): judge P {je['precision']:.2f} R {je['recall']:.2f}; "
                  f"offline P {oe['precision']:.2f} R {oe['recall']:.2f}",
              f"exact verdict: judge {rep['judge_exact']:.2f}, offline {rep['offline_exact']:.2f}",
              f"agreement judge/offline: verdict {rep['agreement']:.2f}, keep decision {rep['agreement_keep']:.2f}"]
    return "\n".join(lines)
