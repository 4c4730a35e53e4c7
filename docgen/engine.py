"""The generation engine: plan → prompt → backend → filters → shards.

For each planned item it renders the prompt, looks the request up in the
journal (a response already received is never paid for again), calls the
backend through the retry policy and the adaptive limiter, journals the
response, builds the Document, runs the filters, and either accepts it or
keeps it under rejected/ and tries again with the next sample (up to
``max_attempts``). A completion cut off by the token limit (or refused, or
incomplete) is never accepted. At the end, accepted + failed == planned.

Rerunning the same command on the same run directory resumes: the journal
says what is done, shards are sealed atomically, and documents accepted
before a crash but not yet in a shard are written on resume.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .backends import Backend, BackendError, Completion, Request, get_backend
from .config import RunConfig
from .corpus import Attribution, CorpusWriter, Document, atomic_write_bytes, atomic_write_json
from .errors import UserError
from .filters.base import FilterChain
from .genres import Genre, load_genres
from .journal import Journal
from .plan import Plan, PlanItem, item_id, make_plan, prompt_context
from .prompts import render, sha256, template_version
from .spec import Spec, parse_spec

log = logging.getLogger("docgen.engine")

def _error_reason(e: BackendError) -> str:
    return f"backend_error{f' {e.status}' if e.status else ''}: {str(e)[:200]}"


def crashpoint(name: str) -> None:
    """Test hook: DOCGEN_CRASHPOINT=NAME[:N] SIGKILLs this process the N-th time (default 1st) it passes NAME.

    Named points: after_response (received, not yet journalled), after_journal,
    after_accept (item accepted, document not yet in a shard)."""
    want = os.environ.get("DOCGEN_CRASHPOINT")
    if not want:
        return
    point, _, nth = want.partition(":")
    if point != name:
        return
    _CRASH_COUNTS[name] = _CRASH_COUNTS.get(name, 0) + 1
    if _CRASH_COUNTS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_CRASH_COUNTS: dict[str, int] = {}

BRIEF_MIN_WORDS = 40
TOPUPS = "topups.jsonl"     # items added by --fill-gaps, kept with the run


def load_topups(run_dir: Path) -> list[PlanItem]:
    p = Path(run_dir) / TOPUPS
    if not p.exists():
        return []
    return [PlanItem(**json.loads(line)) for line in p.read_text().splitlines() if line.strip()]


DEFAULT_CONCURRENCY = {"local": 1, "vllm": 64, "fake": 4}     # vllm batches what is waiting
NOT_A_DOCUMENT = {"length": "truncated (finish_reason=length)", "refusal": "refusal",
                  "content_filter": "content_filter", "incomplete": "incomplete stream"}


@dataclass
class RunResult:
    run_dir: Path
    planned: int
    accepted: int
    failed: dict[str, int]
    rejected: dict[str, int]
    tokens: int
    output_tokens: int
    requests_sent: int
    cached_responses: int
    elapsed_s: float
    filters: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    pending: int = 0          # items left when --max-cost stopped the run

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["run_dir"] = str(self.run_dir)
        d["docs_per_min"] = round(60 * self.accepted / self.elapsed_s, 2) if self.elapsed_s else 0.0
        d["output_tok_per_s"] = round(self.output_tokens / self.elapsed_s, 1) if self.elapsed_s else 0.0
        return d


def build_filters(cfg: RunConfig, spec: Spec, genres: dict[str, Genre], model_name: str,
                  judge: Backend | None = None, brief: bool = False) -> FilterChain:
    if not cfg.filters.enabled:
        return FilterChain([])
    from . import filters as F

    # brief prompts (small local models) ask for ~100 words whatever the genre; such models stop
    # early, so the floor is BRIEF_MIN_WORDS rather than the genre's
    lo = (lambda g: min(g.length.min_words, BRIEF_MIN_WORDS)) if brief else (lambda g: g.length.min_words)
    return F.build_filter_chain(
        spec, model_name=model_name,
        length_ranges={g.name: (lo(g), g.length.max_words) for g in genres.values()},
        eval_dir=cfg.filters.eval_dir, judge_backend=judge,
        dedup=cfg.filters.dedup, attribution=cfg.filters.attribution,
    )


class Engine:
    def __init__(self, cfg: RunConfig, *, backend: Backend | None = None,
                 on_progress: Callable[[dict[str, Any]], None] | None = None):
        self.cfg = cfg
        self.run_dir = Path(cfg.out)
        self._stats: dict[str, Any] = {}
        self.spec = parse_spec(cfg.spec)
        self.genres = load_genres(cfg.genres_dir, cfg.genres, cfg.templates_dir)
        self.model_name = self.spec.resolved_model_name(cfg.model_name)
        self._backend = backend
        backend_name = backend.name if backend is not None else cfg.backend
        self.brief = cfg.prompt_style == "brief" or (cfg.prompt_style == "auto" and backend_name == "local")
        self.params = cfg.params.to_generation(self.brief, backend_name)
        from .pricing import load_prices, output_ratio

        default_model = "smollm2-135m" if backend_name == "local" else ""
        ratio = output_ratio(backend_name, cfg.model or default_model, load_prices(cfg.prices))
        self.plan: Plan = make_plan(self.spec, self.genres, docs=cfg.docs, target_tokens=cfg.target_tokens,
                                    seed=cfg.seed, max_tokens=self.params.max_tokens, brief=self.brief,
                                    output_ratio=ratio)
        self.on_progress = on_progress
        self.template_versions = {g.name: template_version(g.template, cfg.templates_dir) for g in self.genres.values()}
        self.plan.items += load_topups(self.run_dir)

    @property
    def backend(self) -> Backend:
        """Created on first use, so planning and estimating never need a key or a model."""
        if self._backend is None:
            self._backend = get_backend(self.cfg.backend, self.cfg.model, **self.cfg.backend_options)
        return self._backend

    # ----------------------------------------------------------------- estimate
    def estimate(self) -> dict[str, Any]:
        """Requests, input/output tokens and dollars for the whole plan, before anything is sent."""
        from .corpus import count_tokens
        from .pricing import load_prices, price_for

        backend = self._backend.name if self._backend is not None else self.cfg.backend
        model = self._backend.model if self._backend is not None else self.cfg.model
        price = price_for(backend, model, self.cfg.backend_options, load_prices(self.cfg.prices))
        inp = 0
        for item in self.plan.items:
            req, _ = self.request_for(item, 0)
            inp += sum(count_tokens(m["content"]) for m in req.messages) + 4 * len(req.messages)
        out = self.plan.est_output_tokens()
        return {
            "requests": len(self.plan.items), "input_tokens": inp, "output_tokens": out,
            "usd": None if price is None else round(price.cost(inp, out), 4),
            "price_known": price is not None, "backend": backend, "model": model,
        }

    # ----------------------------------------------------------------- gap filling
    def add_gap_items(self, thresholds) -> list[PlanItem]:
        """Plan documents for the coverage gaps of this run directory and append them to the run."""
        from .coverage import missing_cells, validate_corpus

        if not (self.run_dir / "manifest.json").exists():
            raise UserError("nothing to fill: this run directory has no corpus yet", where=str(self.run_dir),
                            hint="run the same command without --fill-gaps first")
        v = validate_corpus(self.run_dir, self.spec, thresholds, genres=list(self.genres), model_name=self.model_name)
        counts: dict[str, int] = {}
        for it in self.plan.items:
            counts[it.cell] = counts.get(it.cell, 0) + 1
        new: list[PlanItem] = []
        for rule_id, genre, n in missing_cells(self.spec, v.coverage, thresholds, list(self.genres)):
            g = self.genres[genre]
            cell = f"{rule_id}|{genre}"
            for _ in range(n):
                k = counts.get(cell, 0)
                counts[cell] = k + 1
                new.append(PlanItem(id=item_id(self.spec.sha256, cell, k), cell=cell, rule_id=rule_id,
                                    value_ids=list(self.spec.rule(rule_id).value_ids), genre=genre,
                                    audience=g.audiences[k % len(g.audiences)], angle=g.angles[k % len(g.angles)],
                                    index=k, est_output_tokens=self.plan.items[0].est_output_tokens if self.plan.items else 0))
        if new:
            p = self.run_dir / TOPUPS
            old = p.read_bytes() if p.exists() else b""
            atomic_write_bytes(p, old + "".join(json.dumps(i.to_dict()) + "\n" for i in new).encode())
            self.plan.items += new
        return new

    # ----------------------------------------------------------------- requests
    def request_for(self, item: PlanItem, attempt: int) -> tuple[Request, str]:
        genre = self.genres[item.genre]
        ctx = prompt_context(self.spec, item, genre, self.model_name, self.brief)
        system = render("system.j2", ctx, self.cfg.templates_dir)
        user = render(genre.template, ctx, self.cfg.templates_dir)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        # items of one cell may render the same prompt: the item's index keeps their requests apart
        req = Request(messages=messages, params=self.params, sample_index=item.index * 1000 + attempt,
                      template_version=self.template_versions[item.genre], custom_id=item.id)
        return req, sha256(system + "\n\n" + user)

    # ----------------------------------------------------------------- run dir
    def _prepare_run_dir(self) -> None:
        d = self.run_dir
        cfg_path = d / "config.json"
        resolved = {**self.cfg.model_dump(mode="json"), "resolved": {
            "model_name": self.model_name, "spec_sha256": self.spec.sha256, "spec_id": self.spec.id,
            "backend": self.backend.describe(), "template_versions": self.template_versions,
            "planned": len(self.plan.items)}}
        if cfg_path.exists():
            old = json.loads(cfg_path.read_text())
            old_id = {k: v for k, v in old.items()
                      if k not in ("out", "concurrency", "shard_docs", "max_cost", "prices", "batch_poll_s", "resolved")}
            if old_id != self.cfg.identity() or old.get("resolved", {}).get("spec_sha256") != self.spec.sha256:
                diff = sorted(k for k in set(old_id) | set(self.cfg.identity())
                              if old_id.get(k) != self.cfg.identity().get(k))
                if old.get("resolved", {}).get("spec_sha256") != self.spec.sha256:
                    diff.append("spec contents")
                raise UserError(f"this run directory holds a different run (differs in: {', '.join(diff)})",
                                where=str(d), hint="rerun with the same arguments to resume it, or choose another --out")
        elif d.exists() and any(p for p in d.iterdir() if not p.name.startswith(".")):
            raise UserError("output directory exists and is not a docgen run", where=str(d),
                            hint="choose a new --out directory (docgen never overwrites other files)")
        d.mkdir(parents=True, exist_ok=True)
        atomic_write_json(cfg_path, resolved)
        atomic_write_json(d / "spec.json", self.spec.model_dump(mode="json"))
        atomic_write_bytes(d / "plan.jsonl",
                           "".join(json.dumps(i.to_dict()) + "\n" for i in self.plan.items).encode())

    # ----------------------------------------------------------------- main loop
    async def run(self) -> RunResult:
        t0 = time.perf_counter()
        self._prepare_run_dir()
        journal = Journal(self.run_dir / "journal.sqlite")
        journal.ensure_items([i.id for i in self.plan.items])
        journal.group_commits(asyncio.get_running_loop())    # commit at commit points, not per statement
        writer = CorpusWriter(self.run_dir, shard_docs=self.cfg.shard_docs, meta={
            "spec_id": self.spec.id, "spec_sha256": self.spec.sha256, "spec_title": self.spec.title,
            "model_name": self.model_name, "backend": self.backend.name, "model": self.backend.model,
        })
        judge = None
        if self.cfg.filters.attribution == "judge":
            jb, _, jm = (self.cfg.filters.judge or "").partition("/")
            judge = get_backend(jb or self.cfg.backend, jm or self.cfg.model, **self.cfg.backend_options)
        chain = build_filters(self.cfg, self.spec, self.genres, self.model_name, judge, self.brief)
        self._resume(journal, writer, chain)

        statuses = journal.statuses()
        pending = [i for i in self.plan.items if statuses.get(i.id) == "pending"]
        if self.cfg.ideas:
            await self._ideas(journal, pending)
        self._stats = {"sent": 0, "cached": 0, "out_tokens": 0, "done": len(self.plan.items) - len(pending),
                       "accepted": sum(1 for s in statuses.values() if s == "accepted"),
                       "spent": journal.get_meta("spent_usd", 0.0), "reserved": 0.0, "capped": 0}
        from .pricing import load_prices, price_for

        self._price = price_for(self.backend.name, self.backend.model, self.cfg.backend_options,
                                load_prices(self.cfg.prices))
        if self.cfg.max_cost is not None and self._price is None:
            raise UserError(f"--max-cost needs a price for {self.backend.name}/{self.backend.model}, "
                            "and the price table has none", hint="add the model to docgen/prices.yaml or pass --prices FILE")
        concurrency = self.cfg.concurrency or DEFAULT_CONCURRENCY.get(self.backend.name, 8)
        from .retry import AdaptiveLimiter, RetryPolicy

        policy = RetryPolicy()
        limiter = AdaptiveLimiter(concurrency)
        sem = asyncio.Semaphore(concurrency)
        self._emit()

        async def one(item: PlanItem):
            async with sem:
                await self._run_item(item, journal, writer, chain, policy, limiter)
                self._stats["done"] += 1
                self._emit()

        try:
            if self.cfg.batch:
                await self._run_batch_mode(pending, journal, writer, chain)
            else:
                await asyncio.gather(*(one(i) for i in pending))
        finally:
            journal.set_meta("filter_stats", chain.stats())
            await self.backend.aclose()
            if judge is not None:
                await judge.aclose()
        elapsed = time.perf_counter() - t0 + journal.get_meta("elapsed_before", 0.0)
        journal.set_meta("elapsed_before", elapsed)
        rejected: dict[str, int] = {}
        for st in chain.stats().values():
            for k, v in st["dropped"].items():
                rejected[k] = rejected.get(k, 0) + v
        statuses = journal.statuses()
        accepted = sum(1 for s in statuses.values() if s == "accepted")
        result = RunResult(
            run_dir=self.run_dir, planned=len(self.plan.items), accepted=accepted, failed=journal.failures(),
            rejected=rejected, tokens=0, output_tokens=self._stats["out_tokens"], requests_sent=self._stats["sent"],
            cached_responses=self._stats["cached"], elapsed_s=round(elapsed, 2), filters=chain.stats(),
            cost_usd=round(self._stats["spent"], 6), pending=sum(1 for s in statuses.values() if s == "pending"),
        )
        manifest = writer.close({"filters": chain.stats(), "planned": result.planned, "failed": result.failed,
                                 "top_openers": self._openers(journal)})
        self._write_clusters(journal)
        result.tokens = manifest["totals"]["tokens"]
        atomic_write_json(self.run_dir / "summary.json", result.to_dict())
        journal.close()
        return result

    async def _ideas(self, journal: Journal, pending: list[PlanItem]) -> None:
        """The doc-ideas stage: one call per plan cell; each item of the cell takes one idea."""
        from .stages import StageFailed, cell_ideas

        cells: dict[str, PlanItem] = {}
        for it in pending:
            cells.setdefault(it.cell, it)
        for cell, first in cells.items():
            ideas = journal.get_meta(f"ideas:{cell}")
            if ideas is None and journal.get_meta(f"ideas_failed:{cell}") is None:
                ctx = prompt_context(self.spec, first, self.genres[first.genre], self.model_name, self.brief)
                try:
                    ideas = await cell_ideas(self.backend, ctx, self.cfg.ideas, journal=journal,
                                             templates_dir=self.cfg.templates_dir)
                    journal.set_meta(f"ideas:{cell}", ideas)
                except StageFailed as e:
                    journal.set_meta(f"ideas_failed:{cell}", e.reason)
                    log.warning("ideas stage failed for %s: %s (documents are written without an idea)", cell, e.reason)
            for it in pending:
                if it.cell == cell and ideas:
                    it.idea = ideas[it.index % len(ideas)]
        atomic_write_bytes(self.run_dir / "plan.jsonl",
                           "".join(json.dumps(i.to_dict()) + "\n" for i in self.plan.items).encode())

    def _openers(self, journal: Journal) -> list:
        from .filters import OpenerStats

        stats = OpenerStats()
        for _, d in journal.docs("accepted"):
            stats.observe(Document.from_row(d))
        return stats.top(10)

    def _write_clusters(self, journal: Journal) -> None:
        """dedup_clusters.jsonl: every near-duplicate dropped → the document kept (same format as `docgen filter`)."""
        rows = [{"removed": d["id"], "kept": d["_dedup"]["kept"], "jaccard": d["_dedup"]["jaccard"]}
                for d in journal.rejected_docs() if d.get("_dedup")]
        atomic_write_bytes(self.run_dir / "dedup_clusters.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())

    def _resume(self, journal: Journal, writer: CorpusWriter, chain: FilterChain) -> None:
        """Write documents a crash kept out of shards; let stateful filters see earlier documents."""
        saved = journal.get_meta("filter_stats")
        for _, d in journal.docs("accepted"):
            doc = Document.from_row(d)
            for f in chain.filters:
                remember = getattr(f, "remember", None)
                if remember is not None:
                    remember(doc)
            writer.add(doc)           # no-op when already in a sealed shard
        for d in journal.rejected_docs():
            writer.reject(Document.from_row(d))
        if saved:
            chain.restore(saved)

    async def _run_item(self, item: PlanItem, journal: Journal, writer: CorpusWriter, chain: FilterChain,
                        policy, limiter) -> None:
        from .retry import call_with_retries

        done_attempts = journal.attempts_of(item.id)
        reason = done_attempts[-1][3] if done_attempts else ""
        for attempt in range(len(done_attempts), self.cfg.max_attempts):
            req, prompt_sha = self.request_for(item, attempt)
            key = req.key(self.backend.name, self.backend.model)
            comp = journal.get_response(key)
            if comp is None:
                est = self._estimate_cost(req, item)
                if self.cfg.max_cost is not None and \
                        self._stats["spent"] + self._stats["reserved"] + est > self.cfg.max_cost:
                    self._stats["capped"] += 1          # left pending: a rerun with a higher cap continues
                    return
                self._stats["reserved"] += est
                try:
                    comp = await call_with_retries(self.backend, req, policy, limiter)
                except BackendError as e:
                    journal.finish_item(item.id, "failed", _error_reason(e))
                    return
                finally:
                    self._stats["reserved"] -= est
                self._journal_response(journal, key, comp)
            else:
                self._stats["cached"] += 1
            done, reason = await self._take(item, attempt, key, comp, prompt_sha, journal, writer, chain)
            if done:
                return
        journal.finish_item(item.id, "failed", reason or "no attempt left")

    def _journal_response(self, journal: Journal, key: str, comp: Completion, batch: bool = False) -> None:
        crashpoint("after_response")
        self._stats["sent"] += 1
        self._stats["out_tokens"] += comp.output_tokens
        if self._price is not None:
            self._stats["spent"] += self._price.cost(comp.input_tokens, comp.output_tokens, batch=batch)
        journal.set_meta("spent_usd", self._stats["spent"])    # committed with the response (group commit)
        journal.put_response(key, self.backend.name, comp)     # before anything else happens
        crashpoint("after_journal")

    async def _take(self, item: PlanItem, attempt: int, key: str, comp: Completion, prompt_sha: str,
              journal: Journal, writer: CorpusWriter, chain: FilterChain) -> tuple[bool, str]:
        """Judge one completion: (item done?, reason it was not accepted)."""
        if comp.finish_reason != "stop":
            reason = NOT_A_DOCUMENT.get(comp.finish_reason, f"finish_reason={comp.finish_reason}")
            journal.record_attempt(item.id, attempt, key, "not_a_document", reason)
            return False, reason
        doc = self._document(item, comp, prompt_sha)
        verdict = await chain.acheck(doc)
        if verdict.keep:
            journal.finish_item(item.id, "accepted", doc=doc.to_row())   # one row: the item is done
            crashpoint("after_accept")
            journal.record_attempt(item.id, attempt, key, "accepted")
            writer.add(doc)
            self._stats["accepted"] += 1
            return True, ""
        doc.reject_reason, doc.reject_filter, doc.reject_evidence = verdict.reason, verdict.filter, verdict.evidence[:500]
        reason = f"{verdict.filter}:{verdict.reason}"
        row = doc.to_row()
        if verdict.details.get("kept"):
            row["_dedup"] = {"kept": verdict.details["kept"], "jaccard": round(float(verdict.details.get("jaccard", 0)), 4)}
        journal.record_attempt(item.id, attempt, key, "rejected", reason, row)
        writer.reject(doc)
        return False, reason

    async def _run_batch_mode(self, pending: list[PlanItem], journal: Journal, writer: CorpusWriter,
                              chain: FilterChain) -> None:
        """--batch: each round sends the next attempt of every unfinished item as provider batches.

        batches.sqlite journals each chunk's intent before the remote batch exists and re-attaches
        after a crash (docgen/batch.py); results join by custom_id and land in the run journal."""
        from .batch import BatchJournal, run_batches

        bj = BatchJournal(self.run_dir / "batches.sqlite")
        todo = list(pending)
        try:
            while todo:
                reqs: dict[str, tuple[PlanItem, int, str, str, Request]] = {}
                still: list[PlanItem] = []
                for item in todo:
                    attempt = len(journal.attempts_of(item.id))
                    if attempt >= self.cfg.max_attempts:
                        last = journal.attempts_of(item.id)
                        journal.finish_item(item.id, "failed", (last[-1][3] if last else "") or "no attempt left")
                        self._stats["done"] += 1
                        continue
                    req, prompt_sha = self.request_for(item, attempt)
                    key = req.key(self.backend.name, self.backend.model)
                    comp = journal.get_response(key)
                    if comp is not None:
                        self._stats["cached"] += 1
                        done, _ = await self._take(item, attempt, key, comp, prompt_sha, journal, writer, chain)
                        (self._count_done if done else still.append)(item)
                        continue
                    req.custom_id = f"{item.id}-a{attempt}"
                    reqs[req.custom_id] = (item, attempt, key, prompt_sha, req)
                    still.append(item)
                if reqs:
                    results = await run_batches(self.backend, [r[4] for r in reqs.values()], bj,
                                                poll_interval=self.cfg.batch_poll_s)
                    for cid, res in results.items():
                        item, attempt, key, prompt_sha, _ = reqs[cid]
                        if isinstance(res, BackendError):
                            journal.finish_item(item.id, "failed", _error_reason(res))
                            still.remove(item)
                            self._count_done(item)
                            continue
                        self._journal_response(journal, key, res, batch=True)
                        done, _ = await self._take(item, attempt, key, res, prompt_sha, journal, writer, chain)
                        if done:
                            still.remove(item)
                            self._count_done(item)
                todo = still
        finally:
            bj.close()

    def _count_done(self, item: PlanItem) -> None:
        self._stats["done"] += 1
        self._emit()

    def _estimate_cost(self, req: Request, item: PlanItem) -> float:
        """What a request is counted at while in flight: its prompt plus the plan's output estimate."""
        if self._price is None or self.cfg.max_cost is None:    # only --max-cost reads reservations
            return 0.0
        from .corpus import count_tokens

        inp = sum(count_tokens(m["content"]) for m in req.messages)
        return self._price.cost(inp, max(item.est_output_tokens, 1))

    def _document(self, item: PlanItem, comp: Completion, prompt_sha: str) -> Document:
        rule_ids = [] if item.rule_id.startswith("value:") else [item.rule_id]
        return Document(
            text=comp.text.strip(), spec_id=self.spec.id, spec_sha256=self.spec.sha256,
            value_ids=list(item.value_ids), rule_ids=rule_ids, genre=item.genre, audience=item.audience,
            angle=item.angle, idea=item.idea, item_id=item.id, backend=self.backend.name,
            model=comp.model or self.backend.model, prompt_sha256=prompt_sha,
            template_version=self.template_versions[item.genre], finish_reason=comp.finish_reason,
            attribution=Attribution(),
        )

    def _emit(self) -> None:
        if self.on_progress:
            self.on_progress({"done": self._stats["done"], "total": len(self.plan.items),
                              "accepted": self._stats["accepted"], "out_tokens": self._stats["out_tokens"],
                              "sent": self._stats["sent"], "cached": self._stats["cached"],
                              "spent": self._stats["spent"]})


def generate(cfg: RunConfig, *, backend: Backend | None = None, progress: bool | None = None,
             fill_gaps=None) -> RunResult:
    """Run (or resume) a generation; returns what it kept, dropped and spent.

    ``fill_gaps`` (coverage :class:`~docgen.coverage.Thresholds`) first plans the
    documents this run directory lacks to meet them, then generates those.
    """
    bar = _Progress(enabled=sys.stderr.isatty() if progress is None else progress)
    eng = Engine(cfg, backend=backend, on_progress=bar.update)
    if fill_gaps is not None:
        added = eng.add_gap_items(fill_gaps)
        sys.stderr.write(f"[docgen] --fill-gaps: {len(added)} document(s) planned for coverage gaps\n")
    try:
        return asyncio.run(eng.run())
    finally:
        bar.close()


class _Progress:
    """tqdm on a terminal; a plain line every few documents otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.last = 0.0

    def update(self, s: dict[str, Any]) -> None:
        if self.enabled:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=s["total"], initial=s["done"], unit="doc", dynamic_ncols=True, file=sys.stderr)
            self.bar.n = s["done"]
            extra = {"spent": f"${s['spent']:.4f}"} if s["spent"] else {}
            self.bar.set_postfix(kept=s["accepted"], out_tok=s["out_tokens"], cached=s["cached"], **extra,
                                 refresh=False)
            self.bar.refresh()
        elif time.monotonic() - self.last > 10 or s["done"] == s["total"]:
            self.last = time.monotonic()
            spent = f", ${s['spent']:.4f} spent" if s["spent"] else ""
            sys.stderr.write(f"[docgen] {s['done']}/{s['total']} items, {s['accepted']} kept, "
                             f"{s['out_tokens']} output tokens{spent}\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
