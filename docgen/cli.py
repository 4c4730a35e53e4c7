"""The `docgen` command: a thin layer over the API, one function per command.

User errors print ``error: WHERE: MESSAGE`` and a hint, exit 2, and show no
traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from .errors import DocgenError, UserError

_COMMANDS: list[tuple[str, str, Callable, Callable]] = []


def command(name: str, help: str):
    """Register ``fn(args) -> int`` as `docgen NAME`; the decorated function's
    ``.args`` attribute (set with :func:`arguments`) adds its flags."""

    def deco(fn):
        _COMMANDS.append((name, help, getattr(fn, "_add_args", lambda p: None), fn))
        return fn

    return deco


def arguments(add: Callable[[argparse.ArgumentParser], None]):
    def deco(fn):
        fn._add_args = add
        return fn

    return deco


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- spec

def _spec_args(p):
    sp = p.add_subparsers(dest="spec_cmd", required=True)
    i = sp.add_parser("inspect", help="parse a spec and show its values and rules")
    i.add_argument("file")
    i.add_argument("--json", action="store_true", help="machine-readable output (stable, see docs/spec-json.md)")
    sp.add_parser("schema", help="print the JSON schema of the structured (YAML/JSON) spec form")
    x = sp.add_parser("extract", help="extract values and behaviours from a prose spec with an LLM (capable model)")
    x.add_argument("file")
    x.add_argument("--out", required=True, help="structured YAML spec to write")
    x.add_argument("--backend", default="anthropic")
    x.add_argument("--model", default="")
    x.add_argument("--base-url", default=None)


@command("spec", "inspect a Model Spec")
@arguments(_spec_args)
def cmd_spec(args) -> int:
    from .spec import parse_spec, structured_schema

    if args.spec_cmd == "schema":
        _print_json(structured_schema())
        return 0
    if args.spec_cmd == "extract":
        return _spec_extract(args)
    spec = parse_spec(args.file)
    if args.json:
        _print_json(spec.model_dump(mode="json"))
        return 0
    c = spec.counts()
    print(f"{spec.title}  ({spec.source}, {spec.format}, sha256 {spec.sha256[:12]})")
    named = spec.model_name or ("{model_name} placeholder" if spec.placeholders else "not named")
    print(f"model: {named} (documents use --model-name, default {spec.resolved_model_name()})   values: {c['values']}   "
          f"rules: {c['rules']}   sub-points: {c['subpoints']}")
    if spec.precedence:
        print(f"precedence: {spec.precedence}")
    print("\nValues")
    for v in spec.values:
        print(f"  {v.id:<40} L{v.lines.start}-{v.lines.end}  {v.statement[:80]}")
    print("\nRules / behaviours")
    for r in spec.rules:
        auth = f" authority={r.authority}" if r.authority else ""
        print(f"  {r.id:<32} {r.kind:<9} L{r.lines.start}-{r.lines.end}  → {', '.join(r.value_ids)}{auth}")
        print(f"      {r.text[:100]}")
        for s in r.subpoints:
            print(f"      - {s.text[:96]}")
    return 0


def _spec_extract(args) -> int:
    import asyncio

    import yaml

    from .backends import get_backend
    from .spec import _read_text, parse_spec
    from .stages import StageFailed, extract_spec

    text = _read_text(Path(args.file))
    opts = {"base_url": args.base_url} if args.base_url else {}
    backend = get_backend(args.backend, args.model, **opts)

    async def go():
        try:
            return await extract_spec(backend, text)
        finally:
            await backend.aclose()

    try:
        s = asyncio.run(go())
    except StageFailed as e:
        sys.stderr.write(f"error: extraction failed: {e.reason}\n  hint: try a more capable --model\n")
        return 1
    out = Path(args.out)
    out.write_text(yaml.safe_dump(s.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True))
    c = parse_spec(out).counts()
    print(f"wrote {out}: {c['values']} values, {c['rules']} rules (check it, then use it as the spec)")
    return 0


# --------------------------------------------------------------------------- genres / plan / generate

def _genres_args(p):
    p.add_argument("action", choices=["list", "validate"])
    p.add_argument("--genres-dir", default=None, help="directory of genre YAML files (default: genres/)")
    p.add_argument("--templates-dir", default=None, help="extra template directory, searched before templates/")


@command("genres", "list or validate genres and their templates")
@arguments(_genres_args)
def cmd_genres(args) -> int:
    from .genres import load_genres

    genres = load_genres(args.genres_dir, None, args.templates_dir)
    if args.action == "validate":
        print(f"ok: {len(genres)} genres, each rendered with its template in the sandbox")
        return 0
    for g in genres.values():
        print(f"{g.name:<22} {g.length.min_words:>4}-{g.length.max_words:<4} words  {g.purpose[:70]}")
    return 0


def _size_args(p):
    p.add_argument("spec", help="the Model Spec file (.md/.txt or .yaml/.json)")
    p.add_argument("--genres", default=None, metavar="A,B", help="comma-separated genres (default: all)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--docs", type=int, default=None, metavar="N", help="number of documents")
    g.add_argument("--target-tokens", type=int, default=None, metavar="T", help="size the plan to about T tokens")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--model-name", default=None, help="name of the assistant the documents are about "
                   "(fills {model_name}; default: the name the spec uses, else Claude)")
    p.add_argument("--genres-dir", default=None)
    p.add_argument("--templates-dir", default=None)
    p.add_argument("--prices", default=None, metavar="FILE", help="price table (default: docgen/prices.yaml)")


def _overrides(args) -> dict:
    o = {
        "spec": args.spec,
        "genres": args.genres.split(",") if args.genres else None,
        "docs": args.docs, "target_tokens": args.target_tokens, "seed": args.seed,
        "model_name": args.model_name, "genres_dir": args.genres_dir, "templates_dir": args.templates_dir,
    }
    for k in ("out", "backend", "model", "concurrency", "max_attempts", "shard_docs", "max_cost", "prices", "ideas", "batch"):
        if hasattr(args, k):
            o[k] = getattr(args, k)
    params = {k: getattr(args, k, None) for k in ("temperature", "max_tokens", "repeat_penalty", "top_p")}
    o["params"] = {k: v for k, v in params.items() if v is not None} or None
    opts = {}
    if getattr(args, "base_url", None):
        opts["base_url"] = args.base_url
    o["backend_options"] = opts or None
    filt = {}
    if getattr(args, "no_filters", False):
        filt["enabled"] = False
    if getattr(args, "eval_dir", None):
        filt["eval_dir"] = args.eval_dir
    if getattr(args, "judge", None):
        filt["attribution"], filt["judge"] = "judge", args.judge
    o["filters"] = filt or None
    return o


def _plan_args(p):
    _size_args(p)
    p.add_argument("--config", default=None)
    p.add_argument("--backend", default=None, help="backend the run will use (for the token and cost estimate)")
    p.add_argument("--model", default=None)
    p.add_argument("--base-url", default=None)
    p.add_argument("--json", action="store_true")


@command("plan", "show the cells, documents per cell, tokens and cost, sending nothing")
@arguments(_plan_args)
def cmd_plan(args) -> int:
    from .config import load_config
    from .engine import Engine

    o = _overrides(args)
    o["out"] = "-"
    cfg = load_config(args.config, o)
    eng = Engine(cfg)                      # no backend is created: nothing is sent
    spec, plan = eng.spec, eng.plan
    est = eng.estimate()
    cells = plan.cells()
    if args.json:
        _print_json({"spec_id": spec.id, "spec_sha256": spec.sha256, "seed": cfg.seed, "genres": plan.genres,
                     "documents": len(plan.items), "est_output_tokens": plan.est_output_tokens(),
                     "estimate": est, "items": [i.to_dict() for i in plan.items]})
        return 0
    print(f"{spec.title}: {len(spec.rules)} rules/behaviours, {len(spec.values)} values, {len(plan.genres)} genres")
    print(f"{len(cells)} cells, {len(plan.items)} documents (seed {cfg.seed})\n")
    print(f"  {'rule/value':<34} {'genre':<20} {'docs':>4} {'~tokens':>8}  audience / angle")
    for cell, items in cells.items():
        rid, genre = cell.split("|")
        print(f"  {rid[:34]:<34} {genre:<20} {len(items):>4} {sum(i.est_output_tokens for i in items):>8}  "
              f"{items[0].audience} / {items[0].angle}")
    cost = f"${est['usd']:,.2f}" if est["usd"] is not None else \
        f"unknown (no price for {est['backend']}/{est['model'] or 'default model'}: add it to docgen/prices.yaml)"
    print(f"\nestimate ({est['backend']}{'/' + est['model'] if est['model'] else ''}): {est['requests']:,} requests, "
          f"{est['input_tokens']:,} input tokens, {est['output_tokens']:,} output tokens, cost {cost}")
    return 0


def _generate_args(p):
    _size_args(p)
    p.add_argument("--out", required=False, default=None, help="run directory (rerun the same command to resume)")
    p.add_argument("--config", default=None, help="YAML run config; flags override it")
    p.add_argument("--backend", default=None, help="local (default), openai, anthropic, vllm")
    p.add_argument("--model", default=None, help="model name, or a .gguf path for the local backend")
    p.add_argument("--base-url", default=None, help="API base URL for the openai backend (vLLM, llama.cpp, Ollama)")
    p.add_argument("--concurrency", type=int, default=None)
    p.add_argument("--max-cost", type=float, default=None, metavar="USD",
                   help="hard cap on spend; in-flight requests count at their estimate")
    p.add_argument("--max-attempts", type=int, default=None, help="tries per document before it is recorded as failed")
    p.add_argument("--shard-docs", type=int, default=None, help="documents per parquet shard")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--repeat-penalty", type=float, default=None)
    p.add_argument("--eval-dir", default=None, help="drop documents sharing long n-grams with these eval files")
    p.add_argument("--judge", default=None, metavar="BACKEND/MODEL", help="LLM judge for attribution")
    p.add_argument("--no-filters", action="store_true", help="keep every complete document")
    p.add_argument("--ideas", type=int, default=None, metavar="K",
                   help="ask the model for K document ideas per plan cell first (needs a capable model)")
    p.add_argument("--batch", action="store_true", default=None,
                   help="send requests through the provider's batch API (anthropic, openai): cheaper, slower")
    p.add_argument("--fill-gaps", action="store_true",
                   help="plan and generate only what this run directory lacks to meet the coverage thresholds")
    p.add_argument("--min-per-rule", type=int, default=1, metavar="N", help="coverage: documents per rule (default 1)")
    p.add_argument("--min-per-cell", type=int, default=0, metavar="N", help="coverage: documents per rule × genre")
    p.add_argument("--min-genres", type=int, default=1, metavar="K", help="coverage: genres per rule (default 1)")


@command("generate", "generate (or resume) a corpus from a spec")
@arguments(_generate_args)
def cmd_generate(args) -> int:
    from .config import load_config
    from .engine import generate

    cfg = load_config(args.config, _overrides(args))
    if cfg.out in (None, "", "-"):
        raise UserError("no output directory", hint="pass --out DIR (or `out:` in the config)")
    from .coverage import Thresholds

    th = Thresholds(min_per_rule=args.min_per_rule, min_per_cell=args.min_per_cell, min_genres=args.min_genres)
    res = generate(cfg, fill_gaps=th if args.fill_gaps else None)
    d = res.to_dict()
    print(f"\nrun: {res.run_dir}")
    print(f"  planned {res.planned}   accepted {res.accepted}   failed {sum(res.failed.values())}"
          f"   rejected attempts {sum(res.rejected.values())}")
    for reason, n in sorted({**res.rejected}.items(), key=lambda kv: -kv[1]):
        print(f"    dropped {n:>4}  {reason}")
    for reason, n in sorted(res.failed.items(), key=lambda kv: -kv[1]):
        print(f"    failed  {n:>4}  {reason}")
    print(f"  tokens in corpus {res.tokens:,}   output tokens generated {res.output_tokens:,}   "
          f"requests sent {res.requests_sent} (cached {res.cached_responses})")
    print(f"  time {res.elapsed_s:.1f}s   {d['docs_per_min']} docs/min   {d['output_tok_per_s']} tok/s   "
          f"cost ${res.cost_usd:,.4f}")
    _print_coverage(cfg, res.run_dir, th)
    if res.pending:
        print(f"\nstopped at --max-cost ${cfg.max_cost:,.2f}: {res.pending} planned document(s) not started; "
              f"rerun with a higher --max-cost to continue")
        return 1
    return 0


def _print_coverage(cfg, run_dir, th) -> None:
    from .coverage import render_table, validate_corpus
    from .spec import parse_spec

    spec = parse_spec(cfg.spec)
    v = validate_corpus(run_dir, spec, th, genres=cfg.genres or None, model_name=cfg.model_name)
    print("\n" + render_table(spec, v.coverage, th, v.genres))
    if not v.ok:
        print(f"\ncoverage gaps remain: rerun with --fill-gaps to top them up "
              f"(`docgen validate {run_dir} --spec {cfg.spec}` for details)")


# --------------------------------------------------------------------------- validate / report

def _validate_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a .parquet / .jsonl corpus (a 'text' column suffices)")
    p.add_argument("--spec", required=True, help="the spec file the corpus teaches")
    p.add_argument("--min-per-rule", type=int, default=1, metavar="N",
                   help="documents that must attribute each rule (default 1)")
    p.add_argument("--min-per-cell", type=int, default=0, metavar="N",
                   help="documents per rule × genre cell (default 0: not checked)")
    p.add_argument("--min-genres", type=int, default=1, metavar="K",
                   help="genres each rule must be attributed in (default 1)")
    p.add_argument("--max-genre-ratio", type=float, default=None, metavar="R",
                   help="fail when the largest genre has more than R times the documents of the smallest")
    p.add_argument("--genres", default=None, metavar="A,B",
                   help="genres the corpus should span (default: the run's configured genres, else those seen)")
    p.add_argument("--model-name", default=None, help="model name for the offline attribution check")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("validate", "check that every value and rule is explicitly attributed by enough documents")
@arguments(_validate_args)
def cmd_validate(args) -> int:
    from .coverage import Thresholds, render_table, validate_corpus
    from .spec import parse_spec

    for flag in ("min_per_rule", "min_per_cell", "min_genres"):
        if getattr(args, flag) < 0:
            raise UserError(f"--{flag.replace('_', '-')} must be >= 0", hint="pass a count of documents or genres")
    th = Thresholds(args.min_per_rule, args.min_per_cell, args.min_genres, args.max_genre_ratio)
    spec = parse_spec(args.spec)
    genres = [g.strip() for g in args.genres.split(",") if g.strip()] if args.genres else None
    res = validate_corpus(args.corpus, spec, th, genres=genres, model_name=args.model_name)
    if args.json:
        _print_json(res.to_dict())
    else:
        print(render_table(spec, res.coverage, th, res.genres))
    return 0 if res.ok else 1


def _report_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a .parquet / .jsonl corpus")
    p.add_argument("--spec", default=None, help="the spec file (default: the run's spec.json)")
    p.add_argument("--out", default=None, help="HTML file to write (default: CORPUS/report.html or ./report.html)")
    p.add_argument("--min-per-rule", type=int, default=1, metavar="N")
    p.add_argument("--min-per-cell", type=int, default=0, metavar="N")
    p.add_argument("--min-genres", type=int, default=1, metavar="K")
    p.add_argument("--samples", type=int, default=150, help="documents in the sample browser (default 150)")


@command("report", "write one static HTML report of a corpus (opens offline)")
@arguments(_report_args)
def cmd_report(args) -> int:
    from .coverage import Thresholds
    from .report import build_report

    th = Thresholds(args.min_per_rule, args.min_per_cell, args.min_genres)
    path = build_report(args.corpus, spec=args.spec, out=args.out, sample_size=args.samples, thresholds=th)
    print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------- hub (export, push)

def _export_args(p):
    p.add_argument("corpus", help="a docgen run directory")
    p.add_argument("--out", required=True, help="directory to write the Hub-ready dataset to")
    p.add_argument("--include-rejected", action="store_true", help="also export the rejected documents as a split")


@command("export", "write a Hub-ready dataset folder (parquet files + dataset card) from a corpus")
@arguments(_export_args)
def cmd_export(args) -> int:
    from .hub import export

    em = export(args.corpus, args.out, include_rejected=args.include_rejected)
    print(f"exported {em['documents']} documents ({em['tokens']} tokens) to {args.out}: "
          f"{len(em['files'])} files + docgen_export.json")
    return 0


def _push_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a folder `docgen export` wrote")
    p.add_argument("--repo", required=True, help="dataset repo OWNER/NAME on the Hugging Face Hub")
    p.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its visibility)")
    p.add_argument("--revision", default=None, help="branch to push to (default main; created when missing)")
    p.add_argument("--include-rejected", action="store_true", help="also push the rejected documents as a split")


@command("push", "push a corpus to a Hugging Face dataset repo in one commit (token: HF_TOKEN or `hf auth login`)")
@arguments(_push_args)
def cmd_push(args) -> int:
    from .hub import push

    r = push(args.corpus, args.repo, private=args.private, revision=args.revision,
             include_rejected=args.include_rejected)
    if r["commit"] is None:
        print(f"{r['repo']}@{r['revision']} is up to date ({r['unchanged']} files); no commit made")
    else:
        print(f"pushed {r['repo']}@{r['revision']}: commit {r['commit']} "
              f"({len(r['added'])} files added or changed, {len(r['deleted'])} deleted, {r['unchanged']} unchanged)")
    return 0


# --------------------------------------------------------------------------- filter

def _filter_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a .jsonl/.parquet file (or folder) with a 'text' column")
    p.add_argument("--out", required=True, help="new run directory for kept and rejected documents")
    p.add_argument("--spec", help="the Model Spec (needed for attribution and the model-name check)")
    p.add_argument("--judge", metavar="BACKEND/MODEL", help="use an LLM judge for attribution instead of the offline check")
    p.add_argument("--eval-dir", help="decontaminate against evaluation files under this directory")
    p.add_argument("--model-name", help="the model's name in the documents (default: the spec's, else Claude)")
    p.add_argument("--no-dedup", action="store_true", help="skip near-duplicate removal")
    p.add_argument("--shard-docs", type=int, default=1000, help="documents per parquet shard")


@command("filter", "run quality, decontamination, attribution and near-duplicate filters over a corpus")
@arguments(_filter_args)
def cmd_filter(args) -> int:
    from .filters.cli_run import run_filter

    summary = run_filter(args.corpus, args.out, spec_path=args.spec, judge=args.judge, eval_dir=args.eval_dir,
                         model_name=args.model_name, dedup=not args.no_dedup, shard_docs=args.shard_docs)
    print(f"read {summary['read']} documents → kept {summary['kept']}, rejected {summary['rejected']}  ({args.out})")
    for name, st in summary["filters"].items():
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(st["dropped"].items())) or "none"
        print(f"  {name:<12} kept {st['kept']:<8} dropped: {dropped}")
    if summary["top_openers"]:
        op = summary["top_openers"][0]
        print(f"  most common opener: \"{op['opener']}\" ({op['share']:.1%} of documents)")
    return 0


# --------------------------------------------------------------------------- eval

def _eval_args(p):
    from .eval.cli_run import add_args

    add_args(p)


@command("eval", "evaluate a model: agentic misalignment (inspect_ai) or forced-choice preferences")
@arguments(_eval_args)
def cmd_eval(args) -> int:
    from .eval.cli_run import run

    return run(args)


# --------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="docgen", description="Model Spec → synthetic document corpus for MSM.")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_, add, fn in _COMMANDS:
        sp = sub.add_parser(name, help=help_, description=help_)
        add(sp)
        sp.set_defaults(_fn=fn)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args._fn(args) or 0)
    except UserError as e:
        if args.debug:
            raise
        sys.stderr.write(f"error: {e.render()}\n")
        return e.exit_code
    except BrokenPipeError:          # `docgen ... | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: rerun the same command to resume\n")
        return 130
    except DocgenError as e:
        if args.debug:
            raise
        sys.stderr.write(f"error: {e}\n  (rerun with --debug for details)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
