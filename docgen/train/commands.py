"""The flags and bodies of ``docgen train ...`` and ``docgen aft ...`` (docgen/cli.py registers them).

Importing this module imports neither torch nor trl: ``--help`` prints the recipe at once.
"""

from __future__ import annotations

import argparse
import json
import sys

from .config import add_flags, from_args


def _help_fmt(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=40)


def train_args(p: argparse.ArgumentParser) -> None:
    sp = p.add_subparsers(dest="train_cmd", required=True)
    m = sp.add_parser("midtrain", formatter_class=_help_fmt,
                      help="LoRA-midtrain a base model on a corpus (every token, EOS per document, packed)",
                      description="Midtrain a LoRA adapter on a docgen corpus with trl's SFTTrainer.\n"
                                  "Rerun the same command to resume from the last checkpoint.")
    m.add_argument("corpus", help="a docgen run directory, a `docgen export` folder, or a parquet/JSONL file with 'text'")
    m.add_argument("--base", required=True, metavar="MODEL",
                   help="base model: a local folder, a .gguf file, smollm2-135m (embedded), or a Hub id")
    m.add_argument("--out", required=True, metavar="DIR", help="output folder (adapter, config, log, model card)")
    m.add_argument("--merge", action="store_true", help="also write the merged weights to DIR/merged")
    m.add_argument("--limit-docs", type=int, default=None, metavar="N", help="train on the first N documents only")
    add_flags(m)
    a = sp.add_parser("aft", formatter_class=_help_fmt,
                      help="continue the midtraining adapter on chat data, loss on assistant turns only",
                      description="Alignment fine-tuning: continue the midtraining adapter (is_trainable) on\n"
                                  "{\"messages\": [...]} rows with loss on the assistant's turns only.")
    a.add_argument("data", help="JSONL/parquet of {\"messages\": [...]}, or a `docgen aft generate` folder")
    a.add_argument("--adapter", required=True, metavar="MIDTRAIN_DIR", help="the --out folder of `train midtrain`")
    a.add_argument("--out", required=True, metavar="DIR")
    a.add_argument("--mix", default=None, metavar="FILE", help="a general instruction-tuning set ({\"messages\"}) to mix in")
    a.add_argument("--no-reasoning", action="store_true",
                   help="with a generate folder: train on no_reasoning.jsonl (the <think> block stripped)")
    a.add_argument("--base", default=None, metavar="MODEL", help="base model (default: the one the adapter was trained on)")
    a.add_argument("--merge", action="store_true", help="also write the merged weights to DIR/merged")
    add_flags(a)


def run_train(args: argparse.Namespace) -> int:
    cfg = from_args(args)
    if args.train_cmd == "midtrain":
        from .midtrain import midtrain

        res = midtrain(args.corpus, args.base, args.out, cfg, merge=args.merge, limit_docs=args.limit_docs)
    else:
        from .aft import aft

        res = aft(args.data, args.adapter, args.out, cfg, mix=args.mix, reasoning=not args.no_reasoning,
                  base=args.base, merge=args.merge)
    print(f"{args.train_cmd}: {res['global_step']} steps, training loss {res['train_loss']:.4f}, "
          f"{res['tokens']:,} tokens in {res['seconds']}s ({res['tokens_per_s']} tokens/s)"
          + (f", resumed from {res['resumed_from']}" if res.get("resumed_from") else ""))
    print(f"wrote {res['out']} (adapter, train_config.json, train_log.jsonl, README.md"
          + (", merged/" if res.get("merged") else "") + ")")
    return 0


def aft_args(p: argparse.ArgumentParser) -> None:
    from .aft_data import QUESTION_TYPES, STYLES

    sp = p.add_subparsers(dest="aft_cmd", required=True)
    g = sp.add_parser("generate", help="generate AFT chat data from a spec (resumable; rerun to continue)")
    g.add_argument("spec", help="the Model Spec file")
    g.add_argument("--out", required=True, metavar="DIR")
    g.add_argument("--backend", default="local", help="local (default), openai, anthropic, vllm, transformers")
    g.add_argument("--model", default="", help="model name (a .gguf path for local, a folder for transformers)")
    g.add_argument("--base-url", default=None, help="API base URL for the openai backend")
    g.add_argument("--judge", default=None, metavar="BACKEND/MODEL", help="judge model (default: the writer)")
    g.add_argument("--domains", type=int, default=6, help="areas of life to set questions in (default 6)")
    g.add_argument("--questions-per-type", type=int, default=1, metavar="N",
                   help=f"questions per rule and type (default 1; types: {', '.join(QUESTION_TYPES)})")
    g.add_argument("--question-types", default=",".join(QUESTION_TYPES), metavar="A,B")
    g.add_argument("--styles", default=",".join(STYLES), metavar="A,B",
                   help="value: <think> reasons from the values; rule: <think> cites rule ids (default both)")
    g.add_argument("--max-rules", type=int, default=None, metavar="N", help="the first N rules only (smoke runs)")
    g.add_argument("--model-name", default=None, help="the assistant's name (default: the spec's)")
    g.add_argument("--concurrency", type=int, default=4)
    g.add_argument("--max-cost", type=float, default=None, metavar="USD", help="hard cap on spend")
    g.add_argument("--prices", default=None, metavar="FILE")
    g.add_argument("--temperature", type=float, default=0.7)
    g.add_argument("--max-tokens", type=int, default=600)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--templates-dir", default=None, help="extra template directory searched before templates/")
    g.add_argument("--json", action="store_true", help="print the summary as JSON")


def run_aft(args: argparse.Namespace) -> int:
    from .aft_data import AftGenConfig, generate_aft, render_coverage

    cfg = AftGenConfig(
        out=args.out, backend=args.backend, model=args.model,
        backend_options={"base_url": args.base_url} if args.base_url else {}, judge=args.judge,
        domains=args.domains, questions_per_type=args.questions_per_type,
        question_types=tuple(t.strip() for t in args.question_types.split(",") if t.strip()),
        styles=tuple(s.strip() for s in args.styles.split(",") if s.strip()), max_rules=args.max_rules,
        model_name=args.model_name, concurrency=args.concurrency, max_cost=args.max_cost, prices=args.prices,
        temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed, templates_dir=args.templates_dir)
    s = generate_aft(args.spec, cfg)
    if args.json:
        sys.stdout.write(json.dumps(s, indent=2, ensure_ascii=False) + "\n")
    else:
        print(f"aft data: {s['questions']} questions ({s['near_duplicate_questions']} near-duplicates dropped), "
              f"{s['pairs']} pairs judged: {s['included']} included, {s['excluded']} excluded  ({args.out})")
        for reason, n in sorted(s["failed"].items(), key=lambda kv: -kv[1]):
            print(f"    failed {n:>4}  {reason}")
        print(f"  requests sent {s['requests_sent']} (cached {s['cached_responses']})   cost ${s['cost_usd']:,.4f}   "
              f"time {s['elapsed_s']}s\n")
        print(render_coverage(s["coverage"], cfg.styles))
    if s["stopped_at_max_cost"]:
        print(f"\nstopped at --max-cost ${cfg.max_cost:,.2f}; rerun with a higher --max-cost to continue")
        return 1
    return 0
