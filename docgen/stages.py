"""Optional LLM stages that need a capable model (as in MSM): doc ideas per plan
cell, and extraction of values/behaviours from a prose spec.

Both ask for JSON, validate it against a typed model, and re-ask a bounded
number of times with the validation error when the reply is malformed; after
that the stage is recorded as failed with its reason — never a guessed default.
Every call goes through the model-call gateway (:mod:`docgen.calls`): with the
run's gateway, replies are journalled (a rerun pays nothing) and count toward --max-cost.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .backends.base import Backend, BackendError, GenerationParams
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


async def ask_json(backend, prompt: str, schema: type[T], *, template: str, journal=None,
                   params: GenerationParams | None = None, attempts: int = 3) -> T:
    """Ask through the gateway until the reply validates; raise :class:`StageFailed` after ``attempts``.

    ``backend`` is a :class:`~docgen.calls.Calls` (the run's: journal, cost cap, limiter) or a bare
    backend (a gateway without a journal is made for it)."""
    from .calls import AskFailed, Calls

    calls = Calls.of(backend) if journal is None or isinstance(backend, Calls) else Calls(backend, journal=journal)
    try:
        return await calls.ask(prompt, schema, template=template, params=params, attempts=attempts)
    except AskFailed as e:
        raise StageFailed(e.reason) from None
    except BackendError as e:
        raise StageFailed(f"backend error: {e}") from None


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
