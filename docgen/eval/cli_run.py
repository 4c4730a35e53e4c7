"""`docgen eval ...`: the flags and the two subcommands (misalignment, preferences).

Models are named as in ``docgen generate``: ``--backend B --model M`` (+ ``--base-url``
for OpenAI-compatible servers, ``--adapter DIR`` for a peft adapter on a transformers or
local base). The grader is ``--grader BACKEND/MODEL`` (default: the evaluated model).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .models import ModelRef

BACKENDS = ["local", "transformers", "openai", "anthropic", "vllm"]


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="local", choices=BACKENDS, help="how to reach the model (default: local)")
    p.add_argument("--model", default="", help="model name, GGUF path or HF folder (default: the embedded SmolLM2)")
    p.add_argument("--adapter", default=None, metavar="DIR", help="a peft adapter folder from `docgen train`")
    p.add_argument("--base-url", default=None, help="OpenAI-compatible server URL (openai/vllm backends)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N conditions / items")
    p.add_argument("--out", default=None, help="output folder (default: runs/eval/<command>)")


def add_args(p: argparse.ArgumentParser) -> None:
    sp = p.add_subparsers(dest="eval_cmd", required=True)
    m = sp.add_parser("misalignment", help="agentic misalignment (leaking, murder, exfiltration style scenarios)",
                      description="agentic misalignment as an inspect_ai task; grader = model role 'grader'")
    _model_args(m)
    m.add_argument("--scenarios", required=True, metavar="DIR",
                   help="scenario set in the upstream layout (<scenario>/templates, <scenario>/variables); "
                        "corpora/eval/misalignment is a small example")
    m.add_argument("--only", default=None, metavar="A,B", help="only these scenarios (folder names)")
    m.add_argument("--grader", default=None, metavar="BACKEND/MODEL",
                   help="grader model (default: the evaluated model; a stronger one is better)")
    m.add_argument("--grader-base-url", default=None)
    m.add_argument("--epochs", type=int, default=1, metavar="N", help="samples per condition (the study used 300)")
    m.add_argument("--max-tokens", type=int, default=2000, help="answer length cap")
    m.add_argument("--grader-max-tokens", type=int, default=600)
    m.add_argument("--assistant-name", default=None, help="the assistant's name in the inbox (default: Alex)")
    m.add_argument("--max-connections", type=int, default=None, help="concurrent model calls")
    m.add_argument("--json", action="store_true", help="print the report as JSON")

    q = sp.add_parser("preferences", help="forced-choice value generalisation, both orders, per domain",
                      description="forced-choice preferences: log-probabilities for local/transformers models, "
                                  "sampling for API models")
    q.add_argument("items", help="JSONL items (corpora/eval/preferences/*.jsonl)")
    _model_args(q)
    q.add_argument("--method", default="auto", choices=["auto", "logprob", "sample"])
    q.add_argument("--seeds", type=int, default=5, help="samples per prompt with --method sample (SEM over seeds)")
    q.add_argument("--temperature", type=float, default=1.0, help="sampling temperature with --method sample")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")


def _ref(args) -> ModelRef:
    return ModelRef(backend=args.backend, model=args.model, adapter=args.adapter, base_url=args.base_url).check()


def run(args) -> int:
    if args.eval_cmd == "misalignment":
        return _misalignment(args)
    return _preferences(args)


def _misalignment(args) -> int:
    from .misalignment import format_table, run_misalignment
    from .scenarios import DEFAULT_ASSISTANT_NAME

    model = _ref(args)
    grader = None
    if args.grader:
        grader = ModelRef.parse(args.grader)
        grader = ModelRef(grader.backend, grader.model, base_url=args.grader_base_url)
    out = args.out or "runs/eval/misalignment"
    report = run_misalignment(
        model, scenarios=args.scenarios, grader=grader, out=out, epochs=args.epochs, limit=args.limit,
        names=args.only.split(",") if args.only else None,
        assistant_name=args.assistant_name or DEFAULT_ASSISTANT_NAME, max_tokens=args.max_tokens,
        grader_max_tokens=args.grader_max_tokens, max_connections=args.max_connections,
        display="plain" if sys.stderr.isatty() else "none")
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    print(f"agentic misalignment: {report['model']} graded by {report['grader']}, "
          f"{report['epochs']} sample(s) per condition, urgency {report['urgency']}, T={report['temperature']}")
    print(format_table(report))
    if grader is None:
        print("\nnote: graded by the evaluated model itself; pass --grader BACKEND/MODEL for a stronger grader")
    print(f"\nreport: {Path(out) / 'report.json'}\ninspect log: {report['inspect_log']}")
    return 0


def _preferences(args) -> int:
    from .preferences import format_table, run_preferences

    out = args.out or "runs/eval/preferences"
    summary = run_preferences(args.items, _ref(args), out=out, method=args.method, seeds=args.seeds,
                              temperature=args.temperature, limit=args.limit)
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return 0
    how = "log-probabilities" if summary["method"] == "logprob" else \
        f"sampling, {summary['seeds']} seed(s), T={summary['temperature']}"
    print(f"preferences: {summary['model']} on {summary['items_file']} ({how}, both orders)")
    print(format_table(summary))
    print(f"\nsummary: {Path(out) / 'preferences.json'}")
    return 0
