"""The LLM-judge attribution method: rubric prompt, typed output, verbatim evidence, cache.

    judge = AttributionJudge(backend, spec)
    att, reason = await judge.judge(text)      # Attribution(verdict=..., method="judge:<model>@v1")

* The prompt is ``templates/judges/attribution.j2`` rendered in a sandboxed Jinja
  environment with ``StrictUndefined``; the document goes in as quoted data.
* The reply must be one JSON object matching :class:`JudgeReply` (pydantic);
  the evidence must be a verbatim substring of the document (empty only for a
  negative verdict), and rule/value ids must exist in the spec.
* Malformed replies are re-asked up to ``max_retries`` times with the error
  appended; then the verdict is ``judge_failed`` — never a default pass.
* Verdicts are cached in sqlite (or memory) under
  ``sha256(prompt version, model, spec sha256, document sha256)``.
* The verdicts are the offline check's labels (``attributed``, ``wrong_value``,
  ``contradiction``, ``co_occurrence``, ``no_value``, ``no_behaviour``), so the
  two can be compared label by label (``docgen judge-eval``).
* The model is called in one place, :func:`call_model`, so the call can be
  routed through the project's model-call gateway without touching the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..backends.base import Backend, BackendError, GenerationParams
from ..corpus import Attribution
from ..spec import Spec

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "judges" / "attribution.j2"
PROMPT_VERSION = "attribution-judge@2"
LABELS = ("attributed", "wrong_value", "contradiction", "co_occurrence", "no_value", "no_behaviour")


class JudgeReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["attributed", "wrong_value", "contradiction", "co_occurrence", "no_value", "no_behaviour"]
    rule_ids: list[str] = Field(default_factory=list)
    value_ids: list[str] = Field(default_factory=list)
    evidence: str = ""
    reason: str = ""
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)),
                                undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True,
                                lstrip_blocks=True)


def render_prompt(spec: Spec, text: str, model_name: str | None = None) -> str:
    name = spec.resolved_model_name(model_name)
    fill = lambda s: spec.fill_name(s, name)  # noqa: E731
    values = [{"id": v.id, "name": fill(v.name), "statement": fill(v.statement)} for v in spec.values]
    rules = [{"id": r.id, "kind": r.kind, "text": fill(r.text), "value_ids": r.value_ids} for r in spec.rules]
    # the document cannot close the quote: its own markers are defused
    doc = text.replace("DOCUMENT>>>", "DOCUMENT>>\u200b>").replace("<<<DOCUMENT", "<\u200b<<DOCUMENT")
    return _env().get_template("attribution.j2").render(model_name=name, values=values, rules=rules, document=doc)


def parse_reply(reply: str, spec: Spec, text: str) -> JudgeReply:
    """Validate one reply; raise ValueError saying what is wrong."""
    m = re.search(r"\{.*\}", reply, re.S)
    if not m:
        raise ValueError("no JSON object in the reply")
    try:
        data = json.loads(m.group(0))
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON: {e.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("verdict"), str):
        data["verdict"] = data["verdict"].strip().lower().replace(" ", "_").replace("-", "_")
    try:
        out = JudgeReply.model_validate(data)
    except ValidationError as e:
        raise ValueError(f"wrong fields: {e.errors()[0]['msg']} at {e.errors()[0]['loc']}") from None
    if out.verdict == "attributed" and not out.evidence:
        raise ValueError("an attributed verdict needs evidence quoted from the document")
    if out.evidence and out.evidence not in text:
        raise ValueError("the evidence is not a verbatim substring of the document")
    known_r, known_v = {r.id for r in spec.rules}, {v.id for v in spec.values}
    bad = [x for x in out.rule_ids if x not in known_r] + [x for x in out.value_ids if x not in known_v]
    if bad:
        raise ValueError(f"unknown ids: {bad}")
    if out.verdict == "attributed" and not out.rule_ids:
        raise ValueError("an attributed verdict must name the rule ids")
    return out


class _Cache:
    def __init__(self, path: str | Path | None):
        self._mem: dict[str, str] = {}
        self._db = None
        self._lock = threading.Lock()
        if path:
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()

    def get(self, key: str) -> str | None:
        if key in self._mem:
            return self._mem[key]
        if self._db is not None:
            with self._lock:
                row = self._db.execute("SELECT value FROM verdicts WHERE key = ?", (key,)).fetchone()
            if row:
                self._mem[key] = row[0]
                return row[0]
        return None

    def put(self, key: str, value: str) -> None:
        self._mem[key] = value
        if self._db is not None:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?)", (key, value))
                self._db.commit()


class AttributionJudge:
    def __init__(self, backend: Backend, spec: Spec, *, model_name: str | None = None,
                 cache_path: str | Path | None = None, max_retries: int = 2, max_tokens: int = 400):
        from ..calls import Calls

        # ``backend`` may be the run's gateway (docgen.calls.Calls) or a bare backend
        self.gateway = Calls.of(backend)
        backend = self.gateway.backend
        self.spec, self.model_name = spec, model_name
        self.backend = backend
        self.max_retries, self.max_tokens = max_retries, max_tokens
        self.cache = _Cache(cache_path)
        self.method = f"judge:{getattr(backend, 'name', 'backend')}/{getattr(backend, 'model', '')}@{PROMPT_VERSION}"
        self.calls = 0

    def key(self, text: str) -> str:
        blob = "\x00".join([PROMPT_VERSION, self.method, self.spec.sha256, hashlib.sha256(text.encode()).hexdigest()])
        return hashlib.sha256(blob.encode()).hexdigest()

    async def judge(self, text: str) -> tuple[Attribution, str]:
        key = self.key(text)
        hit = self.cache.get(key)
        if hit is not None:
            d = json.loads(hit)
            return Attribution(**d["attribution"]), d["reason"]
        messages = [{"role": "user", "content": render_prompt(self.spec, text, self.model_name)}]
        params = GenerationParams(temperature=0.0, max_tokens=self.max_tokens)
        from ..calls import AskFailed

        self.calls += 1
        try:
            # through the model-call gateway: journalled, counted toward --max-cost, retried with backoff
            rep = await self.gateway.ask(messages, lambda reply: parse_reply(reply, self.spec, text),
                                         template=PROMPT_VERSION, params=params, attempts=self.max_retries + 1,
                                         purpose="judge",
                                         reask="Your reply was rejected: {error}. Answer again with only the JSON object.")
        except (AskFailed, BackendError):
            # never a default pass; failures are not cached, so a rerun asks again
            return Attribution(verdict="judge_failed", method=self.method), "judge_failed"
        att = Attribution(verdict="attributed" if rep.verdict == "attributed" else "not_attributed",
                          method=self.method, value_ids=rep.value_ids, rule_ids=rep.rule_ids,
                          evidence=rep.evidence, confidence=rep.confidence)
        reason = "" if rep.verdict == "attributed" else rep.verdict
        self.cache.put(key, json.dumps({"attribution": att.__dict__, "reason": reason}))
        return att, reason

    def judge_sync(self, text: str) -> tuple[Attribution, str]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.judge(text))
        # called from inside a running loop (a synchronous filter in an async engine): use a helper thread
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as ex:
            return ex.submit(asyncio.run, self.judge(text)).result()
