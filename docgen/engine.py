"""The generation engine: plan → prompt → model-call gateway → filters → shards.

For each planned item it renders the prompt (:mod:`docgen.runplan`), gets the
completion through the gateway (:mod:`docgen.calls`: journal, cost cap, limiter,
retries), builds the Document, runs the filters, and either accepts it or keeps
it under rejected/ and tries again with the next sample (up to
``max_attempts``). A completion cut off by the token limit (or refused, or
incomplete) is never accepted, nor is a text already accepted for another item.

Rerunning the same command on the same run directory resumes: the journal says
what is done; items that failed for a transient reason (connection, timeout,
429/5xx after retries) are retried without re-paying any journalled response;
``retry_failed`` also retries the permanent failures. Shards and manifest are
checked against the journal and rebuilt from it when they disagree. At the end,
accepted == rows in the shards and accepted + failed + pending == planned.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .backends import Backend, BackendError, Completion, get_backend
from .calls import Calls, SpendCapReached, crashpoint
from .config import RunConfig
from .corpus import Attribution, CorpusWriter, Document
from .errors import DocgenError, GenerationError, UserError
from .filters.base import FilterChain
from .genres import Genre
from .journal import Journal
from .plan import PlanItem
from .progress import Progress
from .prompts import prompt_context
from .repair import check_run
from .rundir import DiskFull, is_disk_full
from .runplan import BRIEF_MIN_WORDS, RunPlan
from .spec import Spec

log = logging.getLogger("docgen.engine")

__all__ = ["Engine", "RunResult", "generate", "build_filters", "crashpoint"]

DEFAULT_CONCURRENCY = {"local": 1, "vllm": 64, "fake": 4}     # vllm batches what is waiting
NOT_A_DOCUMENT = {"length": "truncated (finish_reason=length)", "refusal": "refusal",
                  "content_filter": "content_filter", "incomplete": "incomplete stream"}
EXACT_DUPLICATE = "duplicate:exact_text"


def _error_reason(e: BackendError) -> str:
    return f"backend_error{f' {e.status}' if e.status else ''}: {str(e)[:200]}"


@dataclass
class RunResult:
    run_dir: Any
    planned: int
    accepted: int
    failed: dict[str, int]        # reason → items, permanent and transient together
    rejected: dict[str, int]
    tokens: int
    output_tokens: int
    requests_sent: int            # requests actually sent in this run, retries included
    cached_responses: int
    elapsed_s: float
    filters: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    pending: int = 0              # items not started when --max-cost stopped the run
    retryable: int = 0            # of the failed, those a plain rerun retries (transient errors)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["run_dir"] = str(self.run_dir)
        d["docs_per_min"] = round(60 * self.accepted / self.elapsed_s, 2) if self.elapsed_s else 0.0
        d["output_tok_per_s"] = round(self.output_tokens / self.elapsed_s, 1) if self.elapsed_s else 0.0
        return d

    @property
    def exit_code(self) -> int:
        """0 complete; 1 stopped at --max-cost; 3 transient failures (rerun); 4 permanent failures."""
        if self.pending:
            return 1
        if self.retryable:
            return 3
        if self.failed:
            return 4
        return 0


def build_filters(cfg: RunConfig, spec: Spec, genres: dict[str, Genre], model_name: str,
                  judge: Any = None, brief: bool = False) -> FilterChain:
    """The run's filter chain; ``judge`` is the gateway (or a backend) for the LLM judge."""
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


def _first_error(e: BaseException) -> BaseException:
    """The error worth reporting out of an exception group (a user error first)."""
    if isinstance(e, BaseExceptionGroup):
        flat = []
        stack = [e]
        while stack:
            x = stack.pop(0)
            if isinstance(x, BaseExceptionGroup):
                stack.extend(x.exceptions)
            else:
                flat.append(x)
        for kind in (UserError, DocgenError, Exception):
            for x in flat:
                if isinstance(x, kind) and not isinstance(x, asyncio.CancelledError):
                    return x
        return flat[0] if flat else e
    return e


class Engine(RunPlan):
    def __init__(self, cfg: RunConfig, *, backend: Backend | None = None,
                 on_progress: Callable[[dict[str, Any]], None] | None = None, retry_failed: bool = False):
        super().__init__(cfg, backend=backend)
        self.on_progress = on_progress
        self.retry_failed = retry_failed
        self._stats: dict[str, Any] = {"done": 0, "accepted": 0}
        self._accepted_texts: set[str] = set()

    @property
    def backend(self) -> Backend:
        """Created on first use, so planning and estimating never need a key or a model."""
        if self._backend is None:
            self._backend = get_backend(self.cfg.backend, self.cfg.model, **self.cfg.backend_options)
        return self._backend

    # ----------------------------------------------------------------- main loop
    async def run(self) -> RunResult:
        try:
            with self.rd.locked():
                return await self._run()
        except BaseException as e:  # noqa: BLE001 - re-raised, unwrapped
            err = _first_error(e)
            if is_disk_full(err):
                raise DiskFull(str(self.run_dir)) from None
            if err is e:
                raise
            raise err from None

    async def _run(self) -> RunResult:
        t0 = time.perf_counter()
        self.prepare_run_dir(self.backend)
        journal = self.rd.open_journal()
        try:
            return await self._run_with(journal, t0)
        finally:
            journal.close()

    async def _run_with(self, journal: Journal, t0: float) -> RunResult:
        cfg = self.cfg
        journal.ensure_items([i.id for i in self.plan.items])
        journal.reopen("error")                      # transient failures: retried by every rerun
        if self.retry_failed:
            n = journal.reopen("failed", extra_attempts=cfg.max_attempts)
            sys.stderr.write(f"[docgen] --retry-failed: {n} failed item(s) get {cfg.max_attempts} more attempt(s)\n")
        repaired = check_run(self.rd, journal)
        if repaired:
            sys.stderr.write(f"[docgen] repair: {repaired}; shards and manifest rebuilt from the journal\n")
        writer = CorpusWriter(self.run_dir, shard_docs=cfg.shard_docs, meta={
            "spec_id": self.spec.id, "spec_sha256": self.spec.sha256, "spec_title": self.spec.title,
            "model_name": self.model_name, "backend": self.backend.name, "model": self.backend.model,
        })
        from .pricing import load_prices, price_for
        from .retry import RetryPolicy

        prices = load_prices(cfg.prices)
        price = price_for(self.backend.name, self.backend.model, cfg.backend_options, prices)
        if cfg.max_cost is not None and price is None:
            raise UserError(f"--max-cost needs a price for {self.backend.name}/{self.backend.model}, "
                            "and the price table has none", hint="add the model to docgen/prices.yaml or pass --prices FILE")
        concurrency = cfg.concurrency or DEFAULT_CONCURRENCY.get(self.backend.name, 8)
        calls = Calls(self.backend, journal=journal, price=price, max_cost=cfg.max_cost, concurrency=concurrency,
                      policy=RetryPolicy(max_attempts=cfg.retry_attempts, base_delay=cfg.retry_base_s),
                      spent=journal.get_meta("spent_usd", 0.0))
        self.calls = calls
        judge = None
        if cfg.filters.enabled and (cfg.filters.attribution == "judge"
                                    or (cfg.filters.attribution.startswith("learned") and cfg.filters.judge)):
            jb, _, jm = (cfg.filters.judge or "").partition("/")
            jname, jmodel = jb or cfg.backend, jm or cfg.model
            if (jname, jmodel) == (self.backend.name, self.backend.model):
                judge = calls.with_backend(self.backend, price)
            else:
                jbe = get_backend(jname, jmodel, **cfg.backend_options)
                jprice = price_for(jbe.name, jbe.model, cfg.backend_options, prices)
                if cfg.max_cost is not None and jprice is None:
                    raise UserError(f"--max-cost needs a price for the judge {jbe.name}/{jbe.model}",
                                    hint="add the model to docgen/prices.yaml or pass --prices FILE")
                judge = calls.with_backend(jbe, jprice)
        chain = build_filters(cfg, self.spec, self.genres, self.model_name, judge, self.brief)
        self._resume(journal, writer, chain)

        statuses = journal.statuses()
        pending = [i for i in self.plan.items if statuses.get(i.id) == "pending"]
        self._stats = {"done": len(self.plan.items) - len(pending),
                       "accepted": sum(1 for s in statuses.values() if s == "accepted")}
        self._emit()
        error: BaseException | None = None
        try:
            if cfg.ideas and not await self._ideas(journal, pending, calls):
                pending = []          # the cap stopped the ideas stage: nothing else starts
            if cfg.batch:
                from .batch import run_batch_mode

                await run_batch_mode(self, pending, journal, writer, chain, calls)
            elif pending:
                sem = asyncio.Semaphore(concurrency)

                async def one(item: PlanItem) -> None:
                    async with sem:
                        await self._run_item(item, journal, writer, chain, calls)
                        self._stats["done"] += 1
                        self._emit()

                # a task group: the first error that must stop the run (a rejected key, a full
                # disk) cancels every other item, which stays pending
                async with asyncio.TaskGroup() as tg:
                    for i in pending:
                        tg.create_task(one(i))
        except BaseException as e:  # noqa: BLE001 - finished below, then re-raised
            error = e
        finally:
            try:
                journal.set_meta("filter_stats", chain.stats())
            finally:
                await self.backend.aclose()
                if judge is not None and judge.backend is not self.backend:
                    await judge.backend.aclose()
        if error is not None:
            if not is_disk_full(_first_error(error)):
                try:                   # keep what was accepted readable; the journal has it anyway
                    writer.close({"filters": chain.stats(), "planned": len(self.plan.items)})
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    pass
            raise error
        return self._finish(journal, writer, chain, t0)

    def _finish(self, journal: Journal, writer: CorpusWriter, chain: FilterChain, t0: float) -> RunResult:
        L = self.calls.ledger
        elapsed = time.perf_counter() - t0 + journal.get_meta("elapsed_before", 0.0)
        journal.set_meta("elapsed_before", elapsed)
        rejected: dict[str, int] = {}
        for st in chain.stats().values():
            for k, v in st["dropped"].items():
                rejected[k] = rejected.get(k, 0) + v
        counts = journal.counts()
        transient = journal.failures("error")
        failed = journal.failures("failed")
        for k, v in transient.items():
            failed[f"{k} (retryable)"] = v
        result = RunResult(
            run_dir=self.run_dir, planned=len(self.plan.items), accepted=counts.get("accepted", 0), failed=failed,
            rejected=rejected, tokens=0, output_tokens=L.out_tokens, requests_sent=L.sent,
            cached_responses=L.cached, elapsed_s=round(elapsed, 2), filters=chain.stats(),
            cost_usd=round(L.spent, 6), pending=counts.get("pending", 0), retryable=sum(transient.values()),
        )
        manifest = writer.close({"filters": chain.stats(), "planned": result.planned, "failed": result.failed,
                                 "top_openers": self._openers(journal)})
        self._write_clusters(journal)
        result.tokens = manifest["totals"]["tokens"]
        rows = manifest["totals"]["documents"]
        if rows != result.accepted:       # never report a document the shards do not hold
            raise GenerationError(f"internal error: {result.accepted} documents accepted in the journal but "
                                  f"{rows} rows in the shards of {self.run_dir}; rerun the same command to "
                                  "rebuild the shards from the journal")
        self.rd.write_summary(result.to_dict())
        return result

    async def _ideas(self, journal: Journal, pending: list[PlanItem], calls: Calls) -> bool:
        """The doc-ideas stage: one call per plan cell; each item of the cell takes one idea.
        False when --max-cost stopped it."""
        from .stages import StageFailed, cell_ideas

        cells: dict[str, PlanItem] = {}
        for it in pending:
            cells.setdefault(it.cell, it)
        for cell, first in cells.items():
            ideas = journal.get_meta(f"ideas:{cell}")
            if ideas is None and journal.get_meta(f"ideas_failed:{cell}") is None:
                ctx = prompt_context(self.spec, first, self.genres[first.genre], self.model_name, self.brief)
                try:
                    ideas = await cell_ideas(calls, ctx, self.cfg.ideas, templates_dir=self.cfg.templates_dir)
                    journal.set_meta(f"ideas:{cell}", ideas)
                except SpendCapReached:
                    return False
                except StageFailed as e:
                    journal.set_meta(f"ideas_failed:{cell}", e.reason)
                    log.warning("ideas stage failed for %s: %s (documents are written without an idea)", cell, e.reason)
            for it in pending:
                if it.cell == cell and ideas:
                    it.idea = ideas[it.index % len(ideas)]
        self.write_plan()
        return True

    def _openers(self, journal: Journal) -> list:
        from .filters import OpenerStats

        stats = OpenerStats()
        for _, d in journal.docs("accepted"):
            stats.observe(Document.from_row(d))
        return stats.top(10)

    def _write_clusters(self, journal: Journal) -> None:
        """Every near-duplicate dropped → the document kept (the format `docgen filter` writes too)."""
        self.rd.write_clusters([{"removed": d["id"], "kept": d["_dedup"]["kept"], "jaccard": d["_dedup"]["jaccard"]}
                                for d in journal.rejected_docs() if d.get("_dedup")])

    def _resume(self, journal: Journal, writer: CorpusWriter, chain: FilterChain) -> None:
        """Write documents a crash kept out of shards; let stateful filters see earlier documents."""
        saved = journal.get_meta("filter_stats")
        for _, d in journal.docs("accepted"):
            doc = Document.from_row(d)
            self._accepted_texts.add(doc.id)
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
                        calls: Calls) -> None:
        done_attempts = journal.attempts_of(item.id)
        reason = done_attempts[-1][3] if done_attempts else ""
        budget = journal.budget_of(item.id, self.cfg.max_attempts)
        try:
            for attempt in range(len(done_attempts), budget):
                req, prompt_sha = self.request_for(item, attempt)
                key = calls.key(req)
                try:
                    comp = await calls.complete(req, key=key)
                except BackendError as e:
                    # transient (retries spent): a rerun tries again; permanent (4xx): --retry-failed
                    journal.finish_item(item.id, "error" if e.retryable else "failed", _error_reason(e))
                    return
                done, reason = await self._take(item, attempt, key, comp, prompt_sha, journal, writer, chain)
                if done:
                    return
        except SpendCapReached:
            return                     # left pending: a rerun with a higher cap continues
        journal.finish_item(item.id, "failed", reason or "no attempt left")

    async def _take(self, item: PlanItem, attempt: int, key: str, comp: Completion, prompt_sha: str,
                    journal: Journal, writer: CorpusWriter, chain: FilterChain) -> tuple[bool, str]:
        """Judge one completion: (item done?, reason it was not accepted)."""
        if comp.finish_reason != "stop":
            reason = NOT_A_DOCUMENT.get(comp.finish_reason, f"finish_reason={comp.finish_reason}")
            journal.record_attempt(item.id, attempt, key, "not_a_document", reason)
            return False, reason
        doc = self._document(item, comp, prompt_sha)
        verdict = await chain.acheck(doc)
        # a text another item already holds is never accepted twice (the shards store it once),
        # checked after the awaited filters so that no other item can take it meanwhile
        if verdict.keep and doc.id not in self._accepted_texts:
            self._accepted_texts.add(doc.id)
            journal.finish_item(item.id, "accepted", doc=doc.to_row())   # one row: the item is done
            crashpoint("after_accept")
            journal.record_attempt(item.id, attempt, key, "accepted")
            writer.add(doc)
            self._stats["accepted"] += 1
            return True, ""
        if verdict.keep:
            doc.reject_reason, doc.reject_filter, doc.reject_evidence = "exact_text", "duplicate", ""
            details: dict[str, Any] = {}
        else:
            doc.reject_reason, doc.reject_filter, doc.reject_evidence = verdict.reason, verdict.filter, verdict.evidence[:500]
            details = verdict.details
        reason = f"{doc.reject_filter}:{doc.reject_reason}"
        row = doc.to_row()
        if details.get("kept"):
            row["_dedup"] = {"kept": details["kept"], "jaccard": round(float(details.get("jaccard", 0)), 4)}
        journal.record_attempt(item.id, attempt, key, "rejected", reason, row)
        writer.reject(doc)
        return False, reason

    def _count_done(self, item: PlanItem) -> None:
        self._stats["done"] += 1
        self._emit()

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
            L = self.calls.ledger if hasattr(self, "calls") else None
            self.on_progress({"done": self._stats["done"], "total": len(self.plan.items),
                              "accepted": self._stats["accepted"], "out_tokens": L.out_tokens if L else 0,
                              "sent": L.sent if L else 0, "cached": L.cached if L else 0,
                              "spent": L.spent if L else 0.0})


def generate(cfg: RunConfig, *, backend: Backend | None = None, progress: bool | None = None,
             fill_gaps=None, retry_failed: bool = False) -> RunResult:
    """Run (or resume) a generation; returns what it kept, dropped and spent.

    ``fill_gaps`` (coverage :class:`~docgen.coverage.Thresholds`) first plans the
    documents this run directory lacks to meet them, then generates those.
    ``retry_failed`` gives items that failed permanently ``max_attempts`` more attempts.
    """
    bar = Progress(enabled=sys.stderr.isatty() if progress is None else progress)
    eng = Engine(cfg, backend=backend, on_progress=None if progress is False else bar.update,   # False: silent
                 retry_failed=retry_failed)
    try:
        eng.rd.check_usable()          # before the lock file is created in someone else's directory
        with eng.rd.locked():
            if fill_gaps is not None:
                added = eng.add_gap_items(fill_gaps)
                if progress is not False:
                    sys.stderr.write(f"[docgen] --fill-gaps: {len(added)} document(s) planned for coverage gaps\n")
            return asyncio.run(eng.run())
    except OSError as e:
        if is_disk_full(e):
            raise DiskFull(str(eng.run_dir)) from None
        raise
    finally:
        bar.close()
