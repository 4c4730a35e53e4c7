"""The `docgen` command: a thin layer over the API, one function per command.

User errors print ``error: WHERE: MESSAGE`` and a hint, exit 2, and show no
traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Callable

from . import _api as api
from ._cliparse import _at_least, _in_flags, _non_negative, _Parser
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


_PUBLIC_BACKENDS = "local (default, the embedded model), openai, anthropic, vllm"


def _check_backend(name: str | None) -> None:
    """Users choose among the real backends; the test double answers only where tests enable it."""
    import os

    from .backends import available_backends

    if name and name not in available_backends() and not (name == "fake" and os.environ.get("DOCGEN_TEST_BACKENDS")):
        raise UserError(f"--backend {name}: no such backend", hint=f"choose one of: {_PUBLIC_BACKENDS}")


# --------------------------------------------------------------------------- spec

def _spec_args(p):
    sp = p.add_subparsers(dest="spec_cmd", required=True)
    i = sp.add_parser("inspect", help="parse a spec and show its value → rule tree and what was skipped")
    i.add_argument("file")
    i.add_argument("--json", action="store_true", help="machine-readable output (stable, see docs/spec-json.md)")
    i.add_argument("--model-name", default=None, help="the model's name (overrides the name the spec states)")
    i.add_argument("--all-notes", action="store_true", help="list every skipped block, not just the first 20")
    lt = sp.add_parser("lint", help="check a spec before a paid run: rules with no value, values with no behaviour, "
                                    "fragments, duplicates, conflicts, skipped sections")
    lt.add_argument("file")
    lt.add_argument("--model-name", default=None, help="the model's name (overrides the name the spec states)")
    lt.add_argument("--strict", action="store_true", help="exit 1 when there is any finding, not only errors")
    lt.add_argument("--json", action="store_true", help="machine-readable output")
    sp.add_parser("schema", help="print the JSON schema of the structured (YAML/JSON) spec form")
    x = sp.add_parser("extract", help="extract values and behaviours from a prose spec with an LLM (capable model)")
    x.add_argument("file")
    x.add_argument("--out", required=True, help="structured YAML spec to write")
    x.add_argument("--backend", default="anthropic")
    x.add_argument("--model", default="")
    x.add_argument("--base-url", default=None)
    x.add_argument("--part-words", type=_at_least(200), default=3000, metavar="N",
                   help="read a longer spec in parts of about N words, one call each (default 3000; lower it for a "
                        "model with a small context)")


@command("spec", "inspect or lint a Model Spec")
@arguments(_spec_args)
def cmd_spec(args) -> int:
    from .spec import lint_spec, parse_spec, render_tree, structured_schema

    if args.spec_cmd == "schema":
        _print_json(structured_schema())
        return 0
    if args.spec_cmd == "extract":
        return _spec_extract(args)
    spec = parse_spec(args.file, model_name=args.model_name)
    if args.spec_cmd == "lint":
        found = lint_spec(spec, _spec_words(args.file), text=_spec_text(args.file))
        errors = [f for f in found if f.code in ("no-value", "fragment", "conflict")]
        if args.json:
            _print_json([{"code": f.code, "message": f.message, "line": f.line} for f in found])
        else:
            for f in found:
                print(f.render(spec.source))
            by: dict[str, int] = {}
            for f in found:
                by[f.code] = by.get(f.code, 0) + 1
            print(f"{len(spec.values)} values, {len(spec.rules)} rules; "
                  + (", ".join(f"{n} {k}" for k, n in sorted(by.items())) or "no findings"))
        return 1 if errors or (args.strict and found) else 0
    if args.json:
        _print_json(spec.model_dump(mode="json"))
        return 0
    c = spec.counts()
    print(f"{spec.title}  ({spec.source}, {spec.format}, sha256 {spec.sha256[:12]})")
    named = spec.model_name or ("{model_name} placeholder" if spec.placeholders else "not named")
    n_do_not = sum(r.polarity == "do_not" for r in spec.rules)
    n_auth = sum(r.authority is not None for r in spec.rules)
    n_ex = sum(len(r.examples) for r in spec.rules)
    print(f"model: {named} (documents use --model-name, default {spec.resolved_model_name()})   values: {c['values']}   "
          f"rules: {c['rules']} ({n_do_not} do-not, {n_auth} with authority, {n_ex} examples)   "
          f"sub-points: {c['subpoints']}")
    if spec.precedence:
        print(f"precedence: {spec.precedence}")
    if spec.authority_levels:
        print(f"authority levels (highest first): {', '.join(spec.authority_levels)}")
    print()
    print(render_tree(spec))
    _warn_thin(spec, args.file)
    if spec.notes:
        shown = spec.notes if args.all_notes else spec.notes[:20]
        print(f"\nskipped / warnings ({len(spec.notes)})")
        for n in shown:
            print(f"  {spec.source}:{n.lines.start}: {n.kind}: {n.message}")
        if len(shown) < len(spec.notes):
            print(f"  … {len(spec.notes) - len(shown)} more (--all-notes)")
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
            return await extract_spec(backend, text, part_words=args.part_words)
        finally:
            await backend.aclose()

    try:
        got = asyncio.run(go())
    except StageFailed as e:
        sys.stderr.write(f"error: extraction failed: {e.reason}\n  hint: try a more capable --model\n")
        return 1
    if not got.spec.rules:
        sys.stderr.write(f"error: extraction failed: none of the model's rules is stated in {args.file} "
                         f"({'; '.join(got.dropped[:3])})\n  hint: try a more capable --model\n")
        return 1
    out = Path(args.out)
    data = got.spec.model_dump(exclude_none=True)
    # where each value and rule was found in the prose spec, for the reader to check (ignored when parsed)
    data["x-sources"] = {k: f"{args.file}:{a}" + (f"-{b}" if b != a else "") for k, (a, b, _q) in got.sources.items()}
    if got.dropped:
        data["x-dropped"] = got.dropped
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    c = parse_spec(out).counts()
    print(f"wrote {out}: {c['values']} values, {c['rules']} rules, each with the line of {args.file} it was read "
          f"from (x-sources); check it, then use it as the spec")
    if got.dropped:
        print(f"left out {len(got.dropped)} that the model gave but the spec does not say (x-dropped):")
        for d in got.dropped[:10]:
            print(f"  {d}")
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
    g.add_argument("--docs", type=_at_least(1), default=None, metavar="N", help="number of documents (≥ 1)")
    g.add_argument("--target-tokens", type=_at_least(1), default=None, metavar="T", help="size the plan to about T tokens")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--model-name", default=None, help="name of the assistant the documents are about "
                   "(fills {model_name} and replaces the name the spec uses; default: the spec's name, "
                   "else 'the assistant')")
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
    if getattr(args, "attribution", None):
        filt["attribution"] = args.attribution
    if getattr(args, "judge", None):
        # with the learned check the judge takes only the documents the encoder is unsure of; otherwise every one
        filt["judge"] = args.judge
        if not str(filt.get("attribution", "")).startswith("learned"):
            filt["attribution"] = "judge"
    o["filters"] = filt or None
    return o


def _plan_args(p):
    _size_args(p)
    p.add_argument("--config", default=None)
    p.add_argument("--backend", default=None, metavar="NAME",
                   help=f"backend the run will use, for the token and cost estimate: {_PUBLIC_BACKENDS}")
    p.add_argument("--model", default=None)
    p.add_argument("--base-url", default=None)
    p.add_argument("--json", action="store_true")


@command("plan", "show the cells, documents per cell, tokens and cost, sending nothing")
@arguments(_plan_args)
def cmd_plan(args) -> int:
    from .plan import uncovered

    _check_backend(args.backend)
    o = _overrides(args)
    spec_path = o.pop("spec")
    with _in_flags(args):
        plan = api.plan(spec_path, config=args.config, **o)      # nothing is sent
    spec, est = plan.spec, plan.estimate
    cells = plan.cells()
    if args.json:
        _print_json({"spec_id": spec.id, "spec_sha256": spec.sha256, "seed": plan.seed, "genres": plan.genres,
                     "documents": len(plan.items), "est_output_tokens": plan.est_output_tokens(),
                     "estimate": est, "items": [i.to_dict() for i in plan.items]})
        return 0
    print(f"{spec.title}: {len(spec.rules)} rules/behaviours, {len(spec.values)} values, {len(plan.genres)} genres")
    print(f"{len(cells)} cells, {len(plan.items)} documents (seed {plan.seed})\n")
    print(f"  {'rule/value':<34} {'genre':<20} {'docs':>4} {'~tokens':>8}  audience / angle")
    for cell, items in cells.items():
        rid, genre = cell.split("|")
        print(f"  {rid[:34]:<34} {genre:<20} {len(items):>4} {sum(i.est_output_tokens for i in items):>8}  "
              f"{items[0].audience} / {items[0].angle}")
    cost = f"${est['usd']:,.2f}" if est["usd"] is not None else \
        f"unknown (no price for {est['backend']}/{est['model'] or 'default model'}: add it to docgen/prices.yaml)"
    print(f"\nestimate ({est['backend']}{'/' + est['model'] if est['model'] else ''}): {est['requests']:,} requests, "
          f"{est['input_tokens']:,} input tokens, {est['output_tokens']:,} output tokens, cost {cost}")
    _warn_uncovered(uncovered(spec, plan), len(plan.items), len(plan.genres))
    _warn_thin(spec, spec_path)
    return 0


def _spec_text(path) -> str | None:
    from .spec import _read_text
    try:
        return _read_text(Path(path))
    except Exception:           # the spec was read already; the text is only for the unread-rule finder
        return None


def _spec_words(path) -> int:
    from .spec import _read_text
    try:
        return len(_read_text(Path(path)).split())
    except Exception:           # the spec was read already; a count is only for the thin-reading hint
        return 0


def _warn_thin(spec, path) -> None:
    """Say when the reader's reading of a prose spec looks too thin to generate from."""
    from .spec.lint import THIN_HINT, thin_reading
    said = thin_reading(spec, _spec_words(path))
    if said:
        sys.stderr.write("\n" + "".join(f"warning: {m}\n" for m in said) + f"  hint: {THIN_HINT}\n")


def _warn_thin_path(path, model_name=None) -> None:
    """:func:`_warn_thin` for a spec not parsed yet (a spec that fails to parse is reported by the command itself)."""
    from .errors import DocgenError
    from .spec import parse_spec
    try:
        spec = parse_spec(path, model_name=model_name)
    except DocgenError:
        return
    _warn_thin(spec, path)


def _warn_uncovered(gap, n_docs: int, n_genres: int) -> None:
    """Say which rules a plan leaves without a document, and the size that covers each once."""
    missing, n_targets = gap
    if not missing:
        return
    shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    sys.stderr.write(f"\nwarning: {len(missing)} of {n_targets} rules/values get no document with {n_docs} "
                     f"document(s): {shown}\n  hint: --docs {n_targets} gives each one document; "
                     f"--docs {n_targets * n_genres} gives each one document in every genre\n")


def _generate_args(p):
    _size_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="run directory (rerun the same command to resume)")
    p.add_argument("--config", default=None, help="YAML run config; flags override it")
    p.add_argument("--backend", default=None, metavar="NAME", help=_PUBLIC_BACKENDS)
    p.add_argument("--model", default=None, help="model name, or a .gguf path for the local backend")
    p.add_argument("--base-url", default=None, help="API base URL for the openai backend (vLLM, llama.cpp, Ollama)")
    p.add_argument("--concurrency", type=_at_least(1), default=None, metavar="N")
    p.add_argument("--max-cost", type=_non_negative, default=None, metavar="USD",
                   help="hard cap on spend; in-flight requests count at their estimate")
    p.add_argument("--max-attempts", type=_at_least(1), default=None, metavar="N",
                   help="tries per document before it is recorded as failed (1-10)")
    p.add_argument("--shard-docs", type=_at_least(1), default=None, metavar="N", help="documents per parquet shard")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--max-tokens", type=_at_least(1), default=None, metavar="N")
    p.add_argument("--repeat-penalty", type=float, default=None)
    p.add_argument("--eval-dir", default=None, help="drop documents sharing long n-grams with these eval files")
    p.add_argument("--judge", default=None, metavar="BACKEND/MODEL",
                   help="LLM judge for attribution: it judges every document, or with --attribution learned only those "
                        "the learned check is unsure of")
    p.add_argument("--attribution", choices=["offline", "learned", "learned-strict"], default=None,
                   help="attribution check: the offline rules (default), the learned check, or "
                        "learned-strict (precision first: keeps only what the learned check is sure of or the rules agree with)")
    p.add_argument("--no-filters", action="store_true", help="keep every complete document")
    p.add_argument("--ideas", type=_at_least(0), default=None, metavar="K",
                   help="ask the model for K document ideas per plan cell first (needs a capable model)")
    p.add_argument("--batch", action="store_true", default=None,
                   help="send requests through the provider's batch API (anthropic, openai): cheaper, slower")
    p.add_argument("--fill-gaps", action="store_true",
                   help="plan and generate only what this run directory lacks to meet the coverage thresholds")
    p.add_argument("--retry-failed", action="store_true",
                   help="give items that failed permanently (rejected every attempt, 4xx) --max-attempts more tries; "
                        "items that failed transiently are retried by any rerun")
    p.add_argument("--min-per-rule", type=_at_least(0), default=1, metavar="N", help="coverage: documents per rule (default 1)")
    p.add_argument("--min-per-cell", type=_at_least(0), default=0, metavar="N", help="coverage: documents per rule × genre")
    p.add_argument("--min-genres", type=_at_least(0), default=1, metavar="K", help="coverage: genres per rule (default 1)")


@command("generate", "generate (or resume) a corpus from a spec")
@arguments(_generate_args)
def cmd_generate(args) -> int:
    from .coverage import Thresholds

    _check_backend(args.backend)
    o = _overrides(args)
    spec_path, out = o.pop("spec"), o.pop("out")
    with _in_flags(args):
        cfg = api.run_config(spec_path, out, config=args.config, **o)
    th = Thresholds(min_per_rule=args.min_per_rule, min_per_cell=args.min_per_cell, min_genres=args.min_genres)
    before = _accepted_before(Path(out))
    if not before and not args.fill_gaps:
        _warn_thin_path(cfg.spec, args.model_name)
    t0 = time.perf_counter()
    res = api.generate(spec_path, out, config=args.config, fill_gaps=th if args.fill_gaps else None,
                       retry_failed=args.retry_failed, **o)
    wall = time.perf_counter() - t0
    print(f"\nrun: {res.run_dir}")
    if res.requests_sent == 0 and res.cached_responses == 0 and not res.pending:
        # a rerun of a finished run: no time or rate of its own to report
        print(f"  nothing to do: {res.accepted} accepted, {sum(res.failed.values())} failed "
              f"(of {res.planned} planned; this run directory is complete)")
        _print_coverage(cfg, res.run_dir, th)
        return res.exit_code
    print(f"  planned {res.planned}   accepted {res.accepted}   failed {sum(res.failed.values())}"
          f"   rejected attempts {sum(res.rejected.values())}")
    for reason, n in sorted({**res.rejected}.items(), key=lambda kv: -kv[1]):
        print(f"    dropped {n:>4}  {reason}")
    for reason, n in sorted(res.failed.items(), key=lambda kv: -kv[1]):
        print(f"    failed  {n:>4}  {reason}")
    print(f"  tokens in corpus {res.tokens:,}   output tokens generated {res.output_tokens:,}   "
          f"requests sent {res.requests_sent} (cached {res.cached_responses})")
    # rates of this run only: the run's elapsed_s and accepted count span every run of this directory
    over_all = f" ({res.elapsed_s:.1f}s over all runs)" if res.elapsed_s > wall + 0.5 else ""
    print(f"  time {wall:.1f}s{over_all}   {60 * (res.accepted - before) / wall:.2f} docs/min   "
          f"{res.output_tokens / wall:.1f} tok/s   cost ${res.cost_usd:,.4f}")
    _print_coverage(cfg, res.run_dir, th, accepted=res.accepted)
    if res.pending:
        print(f"\nstopped at --max-cost ${cfg.max_cost:,.2f}: {res.pending} planned document(s) not started; "
              f"rerun with a higher --max-cost to continue")
    elif res.retryable:
        print(f"\n{res.retryable} item(s) failed for a transient reason (connection, timeout, 429/5xx): "
              f"rerun the same command to retry them (nothing received is paid for again)")
    elif res.failed:
        print(f"\n{sum(res.failed.values())} item(s) failed permanently: rerun with --retry-failed to try them again")
    return res.exit_code       # 0 complete, 1 --max-cost, 3 transient failures, 4 permanent failures


def _accepted_before(run_dir: Path) -> int:
    """Documents a run directory had accepted before this run (its last summary), for this run's rates."""
    from .rundir import RunDir

    try:
        return int((RunDir(run_dir).read_summary() or {}).get("accepted", 0))
    except (OSError, ValueError, TypeError, AttributeError, UserError):
        return 0


def _print_coverage(cfg, run_dir, th, accepted: int | None = None) -> None:
    from .coverage import missing_cells, render_table
    from .dictated import dictated_only
    from .plan import PlanItem
    from .rundir import RunDir
    from .genres import load_genres
    from .spec import parse_spec

    spec = parse_spec(cfg.spec)
    model_name = spec.resolved_model_name(cfg.model_name)
    v = api.validate(run_dir, spec, min_per_rule=th.min_per_rule, min_per_cell=th.min_per_cell,
                     min_genres=th.min_genres, genres=cfg.genres or None, model_name=cfg.model_name)
    print("\n" + render_table(spec, v.coverage, th, v.genres))
    dictated = dictated_only(run_dir, spec, model_name)
    if dictated.accepted:
        _say(dictated.sentence())
    small = cfg.backend == "local"
    if not v.ok:
        genres = list(load_genres(cfg.genres_dir, cfg.genres, cfg.templates_dir, validate=False))
        missing = {f"{r}|{g}" for r, g, _ in missing_cells(spec, v.coverage, th, genres)}
        tried = {PlanItem(**row).cell for row in RunDir(run_dir).read_topups()}
        fresh = missing - tried
        model = f"{cfg.backend}/{cfg.model}" if cfg.model else \
            ("the embedded model" if small else f"{cfg.backend}'s default model")
        if fresh:
            _say(f"coverage gaps remain in {len(missing)} cell(s): rerun with --fill-gaps to top them up "
                 f"(`docgen validate {run_dir}` for details)")
        else:
            _say(f"coverage gaps remain in {len(missing)} cell(s), and --fill-gaps already tried each of them "
                 f"with {model}: its drafts did not pass the filters, and a rerun would fail the "
                 f"same way. A more capable model is what fills them.")
    if small:
        _say("A small local model (the embedded one has 135M parameters) is here to show the whole path "
             "working offline: plan, prompts, generation, filters, shards, coverage. The run did what it should: "
             "the filters kept only drafts that attribute a rule to a value and rejected the rest "
             f"(see {run_dir}/rejected/). For a corpus to train on, use a capable model: "
             "--backend openai or anthropic (key from the environment), or your own vLLM server "
             "(--backend openai --base-url URL); it fills the gaps above.")


def _say(paragraph: str) -> None:
    import textwrap

    print("\n" + textwrap.fill(paragraph, width=100, break_on_hyphens=False, break_long_words=False))


# --------------------------------------------------------------------------- validate / report

def _validate_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a .parquet / .jsonl corpus (a 'text' column suffices)")
    p.add_argument("--spec", default=None,
                   help="the spec file the corpus teaches (default for a run directory: the spec it recorded)")
    p.add_argument("--min-per-rule", type=_at_least(0), default=1, metavar="N",
                   help="documents that must attribute each rule (default 1)")
    p.add_argument("--min-per-cell", type=_at_least(0), default=0, metavar="N",
                   help="documents per rule × genre cell (default 0: not checked)")
    p.add_argument("--min-genres", type=_at_least(0), default=1, metavar="K",
                   help="genres each rule must be attributed in (default 1)")
    p.add_argument("--max-genre-ratio", type=float, default=None, metavar="R",
                   help="fail when the largest genre has more than R times the documents of the smallest")
    p.add_argument("--genres", default=None, metavar="A,B",
                   help="genres the corpus should span (default: the run's configured genres, else those seen)")
    p.add_argument("--model-name", default=None, help="model name for the offline attribution check")
    p.add_argument("--attribution", choices=["offline", "learned", "learned-strict"], default="offline",
                   help="how documents without a stored verdict (an external corpus) are checked: the offline "
                        "rules, or the learned check (more accurate, ~5 documents/s; learned-strict: precision first)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("validate", "check that every value and rule is explicitly attributed by enough documents")
@arguments(_validate_args)
def cmd_validate(args) -> int:
    from .coverage import render_table

    if args.spec is None and not (Path(args.corpus) / "spec.json").is_file():
        raise UserError("--spec SPEC is required here: this corpus records no spec", where=args.corpus,
                        hint="pass --spec with the spec file the corpus was generated from "
                             "(a docgen run directory records it, and then --spec may be left out)")
    genres = [g.strip() for g in args.genres.split(",") if g.strip()] if args.genres else None
    res = api.validate(args.corpus, args.spec, min_per_rule=args.min_per_rule, min_per_cell=args.min_per_cell,
                       min_genres=args.min_genres, max_genre_ratio=args.max_genre_ratio, genres=genres,
                       model_name=args.model_name, attribution=args.attribution)
    if args.json:
        _print_json(res.to_dict())
    else:
        print(render_table(res.spec, res.coverage, res.thresholds, res.genres))
    return 0 if res.ok else 1


def _report_args(p):
    p.add_argument("corpus", help="a docgen run directory, or a .parquet / .jsonl corpus")
    p.add_argument("--spec", default=None, help="the spec file (default: the run's spec.json)")
    p.add_argument("--out", default=None, help="HTML file to write (default: CORPUS/report.html or ./report.html)")
    p.add_argument("--min-per-rule", type=_at_least(0), default=1, metavar="N")
    p.add_argument("--min-per-cell", type=_at_least(0), default=0, metavar="N")
    p.add_argument("--min-genres", type=_at_least(0), default=1, metavar="K")
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
    from .hub import _n

    print(f"exported {_n(em['documents'], 'document')} ({_n(em['tokens'], 'token')}) to {args.out}: "
          f"{_n(len(em['files']), 'file')} + docgen_export.json")
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
    p.add_argument("--judge", metavar="BACKEND/MODEL",
                   help="send the offline check's uncertain verdicts, and the rejected documents its router finds "
                        "likely explicit, to this LLM judge; with --attribution learned, the documents the learned check "
                        "is unsure of (p(explicit) between 0.2 and 0.9, about a third)")
    p.add_argument("--judge-all", action="store_true", help="with --judge: judge every document, not only the uncertain and routed ones")
    p.add_argument("--attribution", choices=["offline", "learned", "learned-strict"], default="offline",
                   help="who decides explicit attribution: the offline rules (fast, corpus scale) or the learned "
                        "check, a fine-tuned sentence encoder (more accurate, ~5 documents/s); learned-strict keeps only "
                        "what it is sure of or the rules agree with (precision first)")
    p.add_argument("--eval-dir", help="decontaminate against evaluation files under this directory")
    p.add_argument("--model-name", help="the assistant's name in the documents, read in place of the spec's "
                                        "(default: the spec's; for a {model_name} spec, the name the corpus uses)")
    p.add_argument("--no-dedup", action="store_true", help="skip near-duplicate removal")
    p.add_argument("--shard-docs", type=int, default=1000, help="documents per parquet shard")


@command("filter", "run quality, decontamination, attribution and near-duplicate filters over a corpus")
@arguments(_filter_args)
def cmd_filter(args) -> int:
    summary = api.filter_corpus(args.corpus, args.out, spec=args.spec, judge=args.judge, eval_dir=args.eval_dir,
                                model_name=args.model_name, dedup=not args.no_dedup, shard_docs=args.shard_docs,
                                judge_all=args.judge_all, attribution=args.attribution)
    print(f"read {summary['read']} documents → kept {summary['kept']}, rejected {summary['rejected']}  ({args.out})")
    for name, st in summary["filters"].items():
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(st["dropped"].items())) or "none"
        print(f"  {name:<12} kept {st['kept']:<8} dropped: {dropped}")
    if summary["top_openers"]:
        op = summary["top_openers"][0]
        print(f"  most common opener: \"{op['opener']}\" ({op['share']:.1%} of documents)")
    return 0


# --------------------------------------------------------------------------- train / aft (docgen/train)

def _train_args(p):
    from .train.commands import train_args

    train_args(p)


@command("train", "midtrain a LoRA adapter on a corpus, then AFT on chat data (trl + peft; extra: train)")
@arguments(_train_args)
def cmd_train(args) -> int:
    from .train.commands import run_train

    return run_train(args)


def _aft_args(p):
    from .train.commands import aft_args

    aft_args(p)


@command("aft", "generate alignment fine-tuning chat data from a spec")
@arguments(_aft_args)
def cmd_aft(args) -> int:
    from .train.commands import run_aft

    return run_aft(args)


# --------------------------------------------------------------------------- judge-eval

def _judge_eval_args(p):
    p.add_argument("set", help="labelled JSONL set (dev-set format: text, spec, label[, model_name, split])")
    p.add_argument("--judge", required=True, metavar="BACKEND/MODEL",
                   help="the judge to calibrate, e.g. local/smollm2-135m; 'learned' (or 'learned-strict') measures the learned "
                        "check instead")
    p.add_argument("--specs-dir", help="folder holding the specs the set names (default: next to the set, or cwd)")
    p.add_argument("--limit", type=int, help="judge only the first N documents")
    p.add_argument("--split", help="only rows with this split (dev or heldout)")
    p.add_argument("--concurrency", type=int, default=4, help="documents judged at once")
    p.add_argument("--attribution", choices=["offline", "learned", "learned-strict"], default="offline",
                   help="learned: measure the learned check with this judge on the documents it is unsure of, as "
                        "'docgen filter --attribution learned --judge' runs them")
    p.add_argument("--json-out", help="also write the figures to this JSON file")


@command("judge-eval", "measure an LLM attribution judge on a labelled set, against the offline check")
@arguments(_judge_eval_args)
def cmd_judge_eval(args) -> int:
    import json as _json

    from .filters.judge_eval import format_report, run_judge_eval

    rep = run_judge_eval(args.set, args.judge, specs_dir=args.specs_dir, limit=args.limit, split=args.split,
                         concurrency=args.concurrency, attribution=args.attribution)
    print(format_report(rep))
    if args.json_out:
        Path(args.json_out).write_text(_json.dumps(rep, indent=2))
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
    p = _Parser(prog="docgen", description="Model Spec → synthetic document corpus for MSM.")
    p.set_defaults(debug=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
            import traceback

            traceback.print_exc()
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
