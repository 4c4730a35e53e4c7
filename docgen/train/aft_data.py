"""AFT chat data from a spec: ``docgen aft generate SPEC --out DIR``.

The steps, each a model call through :func:`call_model` (journal, cost cap, retries)::

    domains      areas of life in which the spec's behaviours matter        (aft/domains.j2)
    questions    per rule × question type (six types), in a domain           (aft/questions.j2)
    near-dups    questions ≥ 0.8 Jaccard to a kept one are dropped           (filters/dedup.py)
    responses    per question × style: "value" reasons from the spec's       (aft/response_value.j2,
                 values in <think>, "rule" cites rule ids in <think>          aft/response_rule.j2)
    judge        include / exclude each pair, with a reason                  (aft/judge.j2)

The output folder holds ``with_reasoning.jsonl`` and ``no_reasoning.jsonl`` (one
``{"messages": [...]}`` row per included pair, the second with the <think> block
stripped, plus trace columns), ``excluded.jsonl`` (pairs the judge or a parse
dropped, with the reason), ``coverage.json`` (included pairs per rule and style),
``summary.json`` and ``journal.sqlite``. Rerunning the same command resumes: every
reply is read back from the journal, so only the missing calls are sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ConfigDict

from ..backends.base import Backend, BackendError, GenerationParams
from ..errors import UserError
from ..journal import Journal
from ..prompts import render, template_version
from ..rundir import RunDir
from ..spec import Spec

T = TypeVar("T")

QUESTION_TYPES: dict[str, str] = {
    "direct": "asks plainly for what the behaviour concerns",
    "indirect": "a request in which the behaviour matters, though the user does not raise it",
    "comparison": "asks to compare two or more options",
    "recommendation": "asks what to choose or do",
    "opinion": "asks for the assistant's own view",
    "edge_case": "an unusual or borderline situation that tests the behaviour",
}
STYLES = ("value", "rule")
THINK = re.compile(r"<think>(.*?)</think>\s*(.*)", re.S)


# --------------------------------------------------------------------------- config and records

@dataclass
class AftGenConfig:
    """Sizes and models of one ``docgen aft generate`` run (all flags of the command)."""

    out: str
    backend: str = "local"
    model: str = ""
    backend_options: dict[str, Any] = field(default_factory=dict)
    judge: str | None = None                 # BACKEND/MODEL; default: the writer's backend and model
    domains: int = 6
    questions_per_type: int = 1
    question_types: tuple[str, ...] = tuple(QUESTION_TYPES)
    styles: tuple[str, ...] = STYLES
    max_rules: int | None = None             # the first N rules only (smoke runs)
    model_name: str | None = None
    concurrency: int = 4
    max_cost: float | None = None
    prices: str | None = None
    max_attempts: int = 3
    temperature: float = 0.7
    max_tokens: int = 600
    repeat_penalty: float | None = None      # None: 1.2 on the local backend (llama.cpp), else 1.0
    seed: int = 0
    templates_dir: str | None = None

    def params(self, max_tokens: int | None = None, temperature: float | None = None) -> GenerationParams:
        rp = self.repeat_penalty if self.repeat_penalty is not None else (1.2 if self.backend == "local" else 1.0)
        return GenerationParams(temperature=self.temperature if temperature is None else temperature, top_p=0.95,
                                max_tokens=max_tokens or self.max_tokens, repeat_penalty=rp, seed=self.seed)


@dataclass
class Question:
    id: str
    rule_id: str
    value_ids: list[str]
    qtype: str
    domain: str
    text: str


@dataclass
class Pair:
    question: Question
    style: str
    reasoning: str
    answer: str
    cited_rules: list[str]
    include: bool | None = None
    reason: str = ""

    def messages(self, reasoning: bool) -> list[dict[str, str]]:
        content = f"<think>\n{self.reasoning}\n</think>\n\n{self.answer}" if reasoning else self.answer
        return [{"role": "user", "content": self.question.text}, {"role": "assistant", "content": content}]

    def row(self, reasoning: bool) -> dict[str, Any]:
        q = self.question
        return {"messages": self.messages(reasoning), "style": self.style, "rule_id": q.rule_id,
                "value_ids": q.value_ids, "question_type": q.qtype, "domain": q.domain, "question_id": q.id,
                "cited_rules": self.cited_rules}


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include: bool
    reason: str = ""


class CostCapReached(Exception):
    """The next call would pass --max-cost; a rerun with a higher cap continues."""


class CallFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- the one model call

class CallContext:
    """The run's model-call gateway (docgen.calls: journal, cost cap, limiter, retries, re-asks),
    one per backend; the writer and the judge share one journal, one spend and one cap."""

    def __init__(self, journal: Journal, max_cost: float | None = None, price: Any = None,
                 max_attempts: int = 3, limiter: Any = None, spent: float = 0.0, judge_price: Any = None):
        self.journal, self.max_cost, self.price, self.judge_price = journal, max_cost, price, judge_price
        self.max_attempts, self.limiter, self.start_spent = max_attempts, limiter, spent
        self._calls: dict[int, Any] = {}

    def calls_for(self, backend: Backend):
        from ..calls import Calls

        if not self._calls:
            first = Calls(backend, journal=self.journal, price=self.price, max_cost=self.max_cost,
                          spent=self.start_spent)
            if self.limiter is not None:
                first.ledger.limiter = self.limiter
            self._calls[id(backend)] = first
        if id(backend) not in self._calls:
            self._calls[id(backend)] = next(iter(self._calls.values())).with_backend(backend, self.judge_price)
        return self._calls[id(backend)]

    def _ledger(self):
        return next(iter(self._calls.values())).ledger if self._calls else None

    sent = property(lambda self: self._ledger().sent if self._ledger() else 0)
    cached = property(lambda self: self._ledger().cached if self._ledger() else 0)
    spent = property(lambda self: self._ledger().spent if self._ledger() else self.start_spent)


async def call_model(ctx: CallContext, backend: Backend, prompt: str, parse: Callable[[str], T], *,
                     template: str, params: GenerationParams) -> T:
    """Send ``prompt`` through the gateway; return ``parse(reply)``. A reply that ``parse``
    rejects (ValueError) is re-asked with the error, up to ``ctx.max_attempts`` times, then
    :class:`CallFailed`. Replies are journalled (a rerun pays nothing for them); a call that
    would pass ``max_cost`` raises :class:`CostCapReached`."""
    from ..calls import AskFailed, SpendCapReached

    try:
        return await ctx.calls_for(backend).ask(
            prompt, parse, template=template, params=params, attempts=ctx.max_attempts, purpose="aft",
            reask="That reply was not valid: {error}. Reply again in the requested format only.")
    except SpendCapReached:
        raise CostCapReached() from None
    except AskFailed as e:
        raise CallFailed(f"invalid reply after {ctx.max_attempts} attempts: {e.reason.split(': ', 1)[-1]}") from None
    except BackendError as e:
        raise CallFailed(f"backend error: {str(e)[:200]}") from None


def json_parser(schema: type[BaseModel]) -> Callable[[str], Any]:
    from ..calls import json_object as _json_block

    return lambda text: schema.model_validate(_json_block(text))


_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.+?)\s*$")


def list_parser(key: str) -> Callable[[str], list[str]]:
    """A list of strings: ``{"KEY": [...]}`` as asked, else a bare JSON list, else the reply's
    numbered or bulleted lines (small models often answer with a list instead of JSON)."""

    def parse(text: str) -> list[str]:
        from ..calls import json_object as _json_block

        for attempt in (lambda: _json_block(text).get(key), lambda: json.loads(re.search(r"\[.*\]", text, re.S).group(0))):
            try:
                items = attempt()
            except (ValueError, AttributeError, TypeError):
                continue
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                items = [i.strip() for i in items if i.strip()]
                if items:
                    return items
        items = [m.group(1).strip().strip('"').strip() for m in map(_ITEM.match, text.splitlines()) if m]
        if not items:          # one unnumbered question
            items = [ln.strip().strip('"') for ln in text.splitlines() if ln.strip().rstrip('"').endswith("?")]
        if not items:
            raise ValueError(f'no JSON object {{"{key}": [...]}} and no list in the reply')
        return [i for i in items if i]

    return parse


def think_parser(rule_ids: set[str], style: str) -> Callable[[str], tuple[str, str, list[str]]]:
    """``<think>reasoning</think> answer`` → (reasoning, answer, cited rule ids); a rule-style
    reply must cite at least one rule id of the spec in its reasoning."""

    def parse(text: str) -> tuple[str, str, list[str]]:
        m = THINK.search(text)
        if not m:
            raise ValueError("no <think>...</think> block followed by an answer")
        reasoning, answer = m.group(1).strip(), m.group(2).strip()
        if len(reasoning.split()) < 5 or len(answer.split()) < 5:
            raise ValueError("the reasoning and the answer must each be at least a sentence")
        if "<think>" in answer:
            raise ValueError("more than one <think> block")
        cited = sorted(i for i in rule_ids if re.search(rf"\[{re.escape(i)}\]|\b{re.escape(i)}\b", reasoning))
        if style == "rule" and not cited:
            raise ValueError("the reasoning cites no rule id in square brackets")
        return reasoning, answer, cited

    return parse


# --------------------------------------------------------------------------- the pipeline

def _pick(seq: list[str], *keys: str) -> str:
    h = int.from_bytes(hashlib.sha256("|".join(keys).encode()).digest()[:8], "big")
    return seq[h % len(seq)]


def _qid(rule_id: str, qtype: str, text: str) -> str:
    return hashlib.sha256(f"{rule_id}|{qtype}|{text}".encode()).hexdigest()[:16]


class AftGenerator:
    def __init__(self, spec: Spec, cfg: AftGenConfig, backend: Backend, judge: Backend, ctx: CallContext):
        self.spec, self.cfg, self.backend, self.judge, self.ctx = spec, cfg, backend, judge, ctx
        self.model_name = spec.resolved_model_name(cfg.model_name)
        self.rules = spec.rules[: cfg.max_rules] if cfg.max_rules else list(spec.rules)
        self.failed: dict[str, int] = {}
        self.capped = 0

    def _render(self, name: str, **context: Any) -> tuple[str, str]:
        base = {"model_name": self.model_name, "spec": {"id": self.spec.id, "title": self.spec.title}}
        return render(name, {**base, **context}, self.cfg.templates_dir), template_version(name, self.cfg.templates_dir)

    def _named(self, d: dict[str, Any]) -> dict[str, Any]:
        """The spec's words in the assistant's name (``{model_name}`` filled, the spec's own name replaced)."""
        return {k: self.spec.fill_name(v, self.model_name) if isinstance(v, str) and k != "id" else v
                for k, v in d.items()}

    def _values(self, rule) -> list[dict[str, Any]]:
        return [self._named(self.spec.value(v).model_dump(include={"id", "name", "statement", "rationale"}))
                for v in rule.value_ids]

    def _rule(self, rule) -> dict[str, Any]:
        return self._named(rule.model_dump(include={"id", "text", "kind", "rationale", "value_ids"}))

    async def _guarded(self, coro, what: str):
        try:
            return await coro
        except CallFailed as e:
            self.failed[f"{what}: {e.reason[:80]}"] = self.failed.get(f"{what}: {e.reason[:80]}", 0) + 1
        except CostCapReached:
            self.capped += 1
        return None

    async def domains(self) -> list[str]:
        prompt, tv = self._render("aft/domains.j2", rules=[self._rule(r) for r in self.rules], n=self.cfg.domains,
                                  values=self._values_all())
        out = await call_model(self.ctx, self.backend, prompt, list_parser("domains"), template=tv,
                               params=self.cfg.params(max_tokens=300))
        seen: list[str] = []
        for d in (x.strip() for x in out):
            if d and d.lower() not in (s.lower() for s in seen):
                seen.append(d)
        return seen[: self.cfg.domains]

    def _values_all(self) -> list[dict[str, Any]]:
        return [self._named(v.model_dump(include={"id", "name", "statement"})) for v in self.spec.values]

    async def questions_for(self, rule, qtype: str, domains: list[str]) -> list[Question]:
        domain = _pick(domains, self.spec.sha256, rule.id, qtype)
        prompt, tv = self._render("aft/questions.j2", rule=self._rule(rule), values=self._values(rule), domain=domain,
                                  qtype=qtype.replace("_", " "), qtype_help=QUESTION_TYPES[qtype],
                                  n=self.cfg.questions_per_type)
        out = await call_model(self.ctx, self.backend, prompt, list_parser("questions"), template=tv,
                               params=self.cfg.params(max_tokens=300))
        texts = [q.strip() for q in out if len(q.strip().split()) >= 3][: self.cfg.questions_per_type]
        if not texts:
            raise CallFailed("no question of three words or more")
        return [Question(_qid(rule.id, qtype, t), rule.id, list(rule.value_ids), qtype, domain, t) for t in texts]

    async def respond(self, q: Question, style: str) -> Pair:
        rule = self.spec.rule(q.rule_id)
        name = "aft/response_value.j2" if style == "value" else "aft/response_rule.j2"
        prompt, tv = self._render(name, rule=self._rule(rule), values=self._values(rule), question=q.text,
                                  rules=[self._rule(r) for r in self.spec.rules])
        reasoning, answer, cited = await call_model(
            self.ctx, self.backend, prompt, think_parser({r.id for r in self.spec.rules}, style), template=tv,
            params=self.cfg.params())
        return Pair(q, style, reasoning, answer, cited)

    async def judge_pair(self, p: Pair) -> Pair:
        rule = self.spec.rule(p.question.rule_id)
        prompt, tv = self._render("aft/judge.j2", rule=self._rule(rule), values=self._values(rule), style=p.style,
                                  question=p.question.text, reasoning=p.reasoning, answer=p.answer)
        try:
            v = await call_model(self.ctx, self.judge, prompt, json_parser(_Verdict), template=tv,
                                 params=self.cfg.params(max_tokens=200, temperature=0.0))
        except CallFailed as e:                 # no verdict: the pair is excluded, with the reason
            self.failed[f"judge: {e.reason[:80]}"] = self.failed.get(f"judge: {e.reason[:80]}", 0) + 1
            p.include, p.reason = False, f"judge failed: {e.reason[:200]}"
            return p
        p.include, p.reason = v.include, v.reason.strip()[:300]
        return p

    async def run(self) -> dict[str, Any]:
        from ..filters.dedup import DedupFilter

        domains = await self.domains()
        if not domains:
            raise CallFailed("the model named no domain")
        jobs = [self._guarded(self.questions_for(r, t, domains), "questions")
                for r in self.rules for t in self.cfg.question_types]
        questions = [q for qs in await asyncio.gather(*jobs) if qs for q in qs]
        # near-duplicate questions (word 3-gram MinHash, exact Jaccard ≥ 0.8 to a kept one) are dropped
        dedup = DedupFilter(shingle=3, threshold=0.8, seed=self.cfg.seed)
        kept = [q for q in questions if dedup.check_fingerprint(q, dedup.hasher.fingerprint(q.text)).keep]
        pairs = [p for p in await asyncio.gather(*[self._guarded(self.respond(q, s), f"response ({s})")
                                                   for q in kept for s in self.cfg.styles]) if p]
        judged = [p for p in await asyncio.gather(*[self._guarded(self.judge_pair(p), "judge") for p in pairs]) if p]
        return {"domains": domains, "questions": questions, "kept_questions": kept, "near_duplicates": dedup.clusters,
                "pairs": judged}


# --------------------------------------------------------------------------- coverage and files

def coverage(spec: Spec, pairs: list[Pair], styles: tuple[str, ...], min_per_rule: int = 1,
             rules: list | None = None, questions: list[Question] | None = None) -> dict[str, Any]:
    """Included pairs per rule (of ``rules``, default all the spec's) and style, like ``docgen validate``;
    ``questions`` (the kept ones) are counted per rule, answered or not."""
    rows = []
    for r in rules if rules is not None else spec.rules:
        mine = [p for p in pairs if p.question.rule_id == r.id]
        inc = {s: sum(1 for p in mine if p.include and p.style == s) for s in styles}
        asked = {q.id for q in (questions or []) if q.rule_id == r.id} | {p.question.id for p in mine}
        rows.append({"rule_id": r.id, "questions": len(asked), "included": inc,
                     "excluded": sum(1 for p in mine if not p.include), "ok": sum(inc.values()) >= min_per_rule})
    return {"min_per_rule": min_per_rule, "rules": rows, "ok": all(r["ok"] for r in rows),
            "gaps": [r["rule_id"] for r in rows if not r["ok"]]}


def render_coverage(cov: dict[str, Any], styles: tuple[str, ...]) -> str:
    head = f"  {'rule':<34} {'questions':>9} " + " ".join(f"{s + ' ok':>9}" for s in styles) + f" {'excluded':>9}"
    lines = [head]
    for r in cov["rules"]:
        mark = "" if r["ok"] else "  ← gap"
        lines.append(f"  {r['rule_id'][:34]:<34} {r['questions']:>9} "
                     + " ".join(f"{r['included'][s]:>9}" for s in styles) + f" {r['excluded']:>9}{mark}")
    lines.append(f"\n{'all rules covered' if cov['ok'] else str(len(cov['gaps'])) + ' rule(s) without an included pair'}"
                 f" (min {cov['min_per_rule']} per rule)")
    return "\n".join(lines)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    from ..corpus import atomic_write_bytes

    atomic_write_bytes(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8"))


def generate_aft(spec_path: str | Path, cfg: AftGenConfig, *, backend: Backend | None = None,
                 judge: Backend | None = None) -> dict[str, Any]:
    """Run the pipeline into ``cfg.out``; return the summary (also written as summary.json)."""
    from ..backends import get_backend
    from ..corpus import atomic_write_json
    from ..pricing import load_prices, price_for
    from ..retry import AdaptiveLimiter
    from ..spec import parse_spec

    spec = parse_spec(spec_path)
    if not spec.rules:
        raise UserError("the spec has no rules or behaviours to write questions about", where=str(spec_path),
                        hint="`docgen spec inspect SPEC` shows what docgen read from it")
    bad = [t for t in cfg.question_types if t not in QUESTION_TYPES] + [s for s in cfg.styles if s not in STYLES]
    if bad:
        raise UserError(f"unknown question type or style: {', '.join(bad)}",
                        hint=f"types: {', '.join(QUESTION_TYPES)}; styles: {', '.join(STYLES)}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = backend or get_backend(cfg.backend, cfg.model, **cfg.backend_options)
    if judge is None:
        if cfg.judge:
            jb, _, jm = cfg.judge.partition("/")
            judge = get_backend(jb, jm, **(cfg.backend_options if jb == cfg.backend else {}))
        else:
            judge = backend
    price = price_for(backend.name, backend.model, cfg.backend_options, load_prices(cfg.prices))
    if cfg.max_cost is not None and price is None:
        raise UserError(f"--max-cost needs a price for {backend.name}/{backend.model}, and the price table has none",
                        hint="add the model to docgen/prices.yaml or pass --prices FILE")
    rd = RunDir(out)                  # config, journal and summary as in a document run
    journal = Journal(rd.journal_path)
    judge_price = price if judge is backend else price_for(judge.name, judge.model, cfg.backend_options,
                                                           load_prices(cfg.prices))
    ctx = CallContext(journal, cfg.max_cost, price, cfg.max_attempts, AdaptiveLimiter(max(1, cfg.concurrency)),
                      spent=journal.get_meta("spent_usd", 0.0), judge_price=judge_price)
    rd.write_config({**asdict(cfg), "spec": str(spec_path), "spec_sha256": spec.sha256,
                                            "writer": backend.describe(), "judge": judge.describe()})
    gen = AftGenerator(spec, cfg, backend, judge, ctx)
    t0 = time.monotonic()

    async def go() -> dict[str, Any]:
        try:
            return await gen.run()
        finally:
            await backend.aclose()
            if judge is not backend:
                await judge.aclose()

    try:
        res = asyncio.run(go())
    except CostCapReached:
        res = {"domains": [], "questions": [], "kept_questions": [], "near_duplicates": [], "pairs": []}
        gen.capped += 1
    except CallFailed as e:
        journal.close()
        raise UserError(f"AFT generation failed at the domains step: {e.reason}",
                        hint="try a more capable --model, or rerun (finished calls are kept in the journal)") from None
    pairs: list[Pair] = res["pairs"]
    included = [p for p in pairs if p.include]
    _write_jsonl(out / "with_reasoning.jsonl", [p.row(True) for p in included])
    _write_jsonl(out / "no_reasoning.jsonl", [p.row(False) for p in included])
    _write_jsonl(out / "excluded.jsonl", [{**p.row(True), "judge_reason": p.reason} for p in pairs if not p.include])
    cov = coverage(spec, pairs, cfg.styles, rules=gen.rules, questions=res["kept_questions"])
    atomic_write_json(out / "coverage.json", cov)
    summary = {
        "spec": str(spec_path), "spec_sha256": spec.sha256, "domains": res["domains"],
        "questions": len(res["questions"]), "near_duplicate_questions": len(res["near_duplicates"]),
        "pairs": len(pairs), "included": len(included), "excluded": len(pairs) - len(included),
        "by_style": {s: sum(1 for p in included if p.style == s) for s in cfg.styles},
        "failed": gen.failed, "stopped_at_max_cost": gen.capped > 0, "requests_sent": ctx.sent,
        "cached_responses": ctx.cached, "cost_usd": round(ctx.spent, 6), "elapsed_s": round(time.monotonic() - t0, 2),
        "coverage_ok": cov["ok"], "files": ["with_reasoning.jsonl", "no_reasoning.jsonl", "excluded.jsonl",
                                             "coverage.json"],
    }
    rd.write_summary(summary)
    journal.close()
    summary["coverage"] = cov
    return summary
