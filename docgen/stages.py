"""Optional LLM stages that need a capable model (as in MSM): doc ideas per plan
cell, and extraction of values/behaviours from a prose spec.

Both ask for JSON, validate it against a typed model, and re-ask a bounded
number of times with the validation error when the reply is malformed; after
that the stage is recorded as failed with its reason — never a guessed default.
Replies go through the run's journal when one is given, so a rerun pays nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .backends.base import Backend, BackendError, GenerationParams, Request
from .prompts import render, template_version
from .spec import StructuredSpec

T = TypeVar("T", bound=BaseModel)


class IdeaList(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ideas: list[str] = Field(min_length=1)


class StageFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _json_block(text: str) -> Any:
    """The first JSON object in ``text`` (models wrap it in prose or code fences)."""
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError("no JSON object in the reply")
    return json.loads(m.group(0))


async def ask_json(backend: Backend, prompt: str, schema: type[T], *, template: str, journal=None,
                   params: GenerationParams | None = None, attempts: int = 3) -> T:
    """Ask until the reply validates against ``schema``; raise :class:`StageFailed` after ``attempts``."""
    from .retry import AdaptiveLimiter, RetryPolicy, call_with_retries

    params = params or GenerationParams(temperature=0.2, max_tokens=1500, repeat_penalty=1.0)
    messages: list[dict[str, str]] = [{"role": "user", "content": prompt}]
    last = ""
    for attempt in range(attempts):
        req = Request(messages=list(messages), params=params, sample_index=0, template_version=template)
        key = req.key(backend.name, backend.model)
        comp = journal.get_response(key) if journal is not None else None
        if comp is None:
            try:
                comp = await call_with_retries(backend, req, RetryPolicy(), AdaptiveLimiter(1))
            except BackendError as e:
                raise StageFailed(f"backend error: {e}") from None
            if journal is not None:
                journal.put_response(key, backend.name, comp)
        try:
            if comp.finish_reason != "stop":
                raise ValueError(f"reply was cut off (finish_reason={comp.finish_reason})")
            return schema.model_validate(_json_block(comp.text))
        except (ValueError, ValidationError) as e:
            last = str(e).splitlines()[0][:300]
            messages += [{"role": "assistant", "content": comp.text},
                         {"role": "user", "content": f"That reply was not valid: {last}. "
                                                     "Reply again with the JSON object only."}]
    raise StageFailed(f"malformed JSON after {attempts} attempts: {last}")


async def cell_ideas(backend: Backend, ctx: dict[str, Any], n: int, *, journal=None,
                     templates_dir=None) -> list[str]:
    name = "stages/ideas.j2"
    prompt = render(name, {**ctx, "n": n, "audiences": ctx["genre"]["audiences"]}, templates_dir)
    out = await ask_json(backend, prompt, IdeaList, template=template_version(name, templates_dir), journal=journal)
    return [i.strip() for i in out.ideas if i.strip()][:n]


async def extract_spec(backend: Backend, spec_text: str, *, templates_dir=None) -> StructuredSpec:
    name = "stages/extract.j2"
    prompt = render(name, {"spec_text": spec_text}, templates_dir)
    s = await ask_json(backend, prompt, StructuredSpec, template=template_version(name, templates_dir))
    known = {v.id for v in s.values}
    for r in s.rules:
        bad = [v for v in r.values if v not in known]
        if bad:
            raise StageFailed(f"rule {r.id or r.text[:30]!r} names unknown value ids {bad}")
    return s
