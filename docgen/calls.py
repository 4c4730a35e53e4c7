"""The model-call gateway: the one way docgen calls a model.

Documents, the ideas stage, spec extraction and the LLM judge all call
:meth:`Calls.complete` (or :meth:`Calls.ask` for typed JSON), so each of them gets::

    journal lookup ─▶ cost reservation ─▶ adaptive limiter ─▶ retries ─▶ backend.generate
       (a journalled      (worst case:      (shared by every      (backoff,
        response is        max_tokens;        caller of one run)    retry-after)
        never re-paid)     released after)
    ─▶ journal record (before the caller sees the response) ─▶ spend

    calls = Calls(backend, journal=journal, price=price, max_cost=5.0)
    comp = await calls.complete(request)                    # Completion
    ideas = await calls.ask(prompt, IdeaList, template="ideas@1")   # a validated pydantic object
    judge_calls = calls.with_backend(judge_backend, judge_price)   # same journal, same spend, same cap

Errors a caller sees:

- :class:`SpendCapReached` — the next request could take spend past ``max_cost``
  (counting every request in flight at its worst case); nothing was sent.
- :class:`KeyRejected` (a :class:`~docgen.errors.UserError`) — the server answered
  401/403: the run stops at once; the hint names the key's variable.
- :class:`~docgen.backends.base.BackendError` — the retries were spent
  (``retryable`` says whether a later rerun may succeed) or the request was refused (4xx).
- :class:`AskFailed` — :meth:`ask` got no valid reply within its re-asks.

The one crash hook, :func:`crashpoint`, is for tests: ``DOCGEN_CRASHPOINT=NAME[:N]``
SIGKILLs the process the N-th time it passes NAME (after_response, after_journal,
after_accept here; after_intent, after_batch_create, after_collect in batch mode).
"""

from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from .backends.base import Backend, BackendError, Completion, GenerationParams, Request
from .errors import UserError
from .retry import AdaptiveLimiter, RetryPolicy, call_with_retries

T = TypeVar("T")

__all__ = ["Calls", "SpendCapReached", "KeyRejected", "AskFailed", "crashpoint", "json_object", "validated"]

_CRASH_COUNTS: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Test hook: ``DOCGEN_CRASHPOINT=NAME[:N]`` SIGKILLs this process the N-th time (default 1st) it passes NAME."""
    want = os.environ.get("DOCGEN_CRASHPOINT")
    if not want:
        return
    point, _, nth = want.partition(":")
    if point != name:
        return
    _CRASH_COUNTS[name] = _CRASH_COUNTS.get(name, 0) + 1
    if _CRASH_COUNTS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_SHORTER = ("\n\n(An earlier reply to this was cut off at the length limit. Keep this one shorter: the JSON object "
            "only, with brief field values.)")


class SpendCapReached(Exception):
    """Sending this request could exceed --max-cost; nothing was sent."""


class KeyRejected(UserError):
    """The server refused the credential (401/403): no other request of the run can succeed."""

    def __init__(self, backend: Backend, error: BackendError):
        env = getattr(backend, "needs_key", None) or "the API key variable"
        super().__init__(f"{backend.name} refused the API key (HTTP {error.status}): {str(error)[:200]}",
                         hint=f"export {env}=<a valid key> (or set api_key_env to the variable that holds it), "
                              "then rerun the same command: nothing paid for so far is lost")


class AskFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def validated(model: type[T], text: str) -> T:
    """``model`` validated from the first JSON object in ``text``; ValueError (the first problem and where) if not."""
    from pydantic import ValidationError
    try:
        return model.model_validate(json_object(text))
    except ValidationError as e:
        err = e.errors()[0]
        raise ValueError(f"{err['msg']} at {'.'.join(str(x) for x in err['loc'])}") from None


def json_object(text: str) -> Any:
    """The first JSON object in ``text`` (models wrap it in prose or code fences)."""
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError("no JSON object in the reply")
    try:
        return json.loads(m.group(0))
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON: {e.msg}") from None


@dataclass
class _Ledger:
    """What every Calls of one run shares: the journal, spend, the cap, the limiter, counters."""

    journal: Any = None
    max_cost: float | None = None
    spent: float = 0.0
    reserved: float = 0.0
    sent: int = 0                 # requests actually sent, retries included
    cached: int = 0               # answered from the journal
    out_tokens: int = 0
    capped: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)
    stopped: BaseException | None = None   # a rejected key: nothing more is sent
    limiter: AdaptiveLimiter | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)


class Calls:
    """The gateway for one backend; :meth:`with_backend` adds another backend to the same run."""

    def __init__(self, backend: Backend, *, journal: Any = None, price: Any = None, max_cost: float | None = None,
                 concurrency: int | None = None, policy: RetryPolicy | None = None, spent: float = 0.0,
                 _ledger: _Ledger | None = None):
        self.backend = backend
        self.price = price
        if _ledger is None:
            _ledger = _Ledger(journal=journal, max_cost=max_cost, spent=spent,
                              limiter=AdaptiveLimiter(concurrency) if concurrency else None,
                              policy=policy or RetryPolicy())
        self.ledger = _ledger

    def with_backend(self, backend: Backend, price: Any = None) -> "Calls":
        """A gateway for ``backend`` sharing this one's journal, spend, cap, limiter and counters."""
        return Calls(backend, price=price, _ledger=self.ledger)

    @classmethod
    def of(cls, backend_or_calls: "Backend | Calls") -> "Calls":
        """A gateway for a bare backend (no journal, no cap), or the gateway itself."""
        return backend_or_calls if isinstance(backend_or_calls, Calls) else cls(backend_or_calls)

    # -- money --------------------------------------------------------------------------------------
    def worst_case(self, req: Request) -> float:
        """What a request may cost at most: its prompt plus ``max_tokens`` of output."""
        if self.price is None or self.ledger.max_cost is None or \
                (self.price.input_per_mtok == 0 and self.price.output_per_mtok == 0):
            return 0.0          # nothing to reserve against: skip tokenizing the prompt
        from .corpus import count_tokens

        inp = sum(count_tokens(m["content"]) for m in req.messages) + 4 * len(req.messages)
        return self.price.cost(inp, req.params.max_tokens)

    def key(self, req: Request) -> str:
        return req.key(self.backend.name, self.backend.model)

    # -- one call ------------------------------------------------------------------------------------
    async def complete(self, req: Request, *, purpose: str = "document", key: str | None = None) -> Completion:
        """The completion for ``req``: from the journal if it was ever received, else sent (and journalled).
        ``key`` is ``self.key(req)`` when the caller has computed it already."""
        L = self.ledger
        key = key or self.key(req)
        if L.journal is not None:
            comp = L.journal.get_response(key)
            if comp is not None:
                L.cached += 1
                return comp
        if L.stopped is not None:
            raise L.stopped
        est = self.worst_case(req)
        if L.max_cost is not None and L.spent + L.reserved + est > L.max_cost + 1e-12:
            L.capped += 1
            raise SpendCapReached(f"${L.spent + L.reserved + est:.4f} would pass --max-cost ${L.max_cost:.4f}")
        L.reserved += est
        try:
            comp = await call_with_retries(self.backend, req, L.policy, L.limiter, on_send=self._count_send)
        except BackendError as e:
            if e.status in (401, 403):
                L.stopped = KeyRejected(self.backend, e)
                raise L.stopped from None
            raise
        finally:
            L.reserved -= est
        L.by_purpose[purpose] = L.by_purpose.get(purpose, 0) + 1
        self.record(key, comp)
        return comp

    def _count_send(self) -> None:
        self.ledger.sent += 1

    def record(self, key: str, comp: Completion, *, batch: bool = False) -> None:
        """Journal a received response (before anyone uses it) and count what it cost."""
        L = self.ledger
        crashpoint("after_response")
        L.out_tokens += comp.output_tokens
        if self.price is not None:
            L.spent += self.price.cost(comp.input_tokens, comp.output_tokens, batch=batch)
        if L.journal is not None:
            L.journal.set_meta("spent_usd", L.spent)           # committed with the response (group commit)
            L.journal.put_response(key, self.backend.name, comp)   # before anyone uses it
        crashpoint("after_journal")

    async def operation(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A backend operation that is not a completion (batch poll, result download): the run's
        retry policy, and a rejected key stops the run as for completions."""
        import asyncio

        L = self.ledger
        attempt = 0
        while True:
            attempt += 1
            try:
                return await fn(*args)
            except BackendError as e:
                if e.status in (401, 403):
                    L.stopped = KeyRejected(self.backend, e)
                    raise L.stopped from None
                delay = L.policy.delay_for(e, attempt)
                if delay is None:
                    raise
            await asyncio.sleep(delay)

    # -- typed output -----------------------------------------------------------------------------------
    async def ask(self, prompt: str | list[dict[str, str]], parse: Callable[[str], T] | type, *, template: str,
                  params: GenerationParams | None = None, attempts: int = 3, purpose: str = "stage",
                  reask: str = "That reply was not valid: {error}. Reply again with the JSON object only.") -> T:
        """Ask until ``parse(reply)`` succeeds; re-ask with the error at most ``attempts - 1`` times.

        ``parse`` is a function raising ValueError, or a pydantic model (validated from the reply's
        first JSON object). Every reply is journalled, so a rerun re-validates without paying.
        BackendError, SpendCapReached and KeyRejected pass through."""
        if isinstance(parse, type):
            model = parse

            def parse(text: str) -> Any:  # type: ignore[no-redef]
                return validated(model, text)

        params = params or GenerationParams(temperature=0.2, max_tokens=1500, repeat_penalty=1.0)
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        first = list(messages)
        last = ""
        for _ in range(attempts):
            comp = await self.complete(Request(messages=list(messages), params=params, template_version=template),
                                       purpose=purpose)
            if comp.finish_reason != "stop":
                # a reply cut off at the length limit is not sent back (it would only fill the context again):
                # the question is asked afresh, with a request for a shorter answer
                last = f"reply was cut off (finish_reason={comp.finish_reason})"
                messages = first[:-1] + [{**first[-1], "content": first[-1]["content"] + _SHORTER}]
                continue
            try:
                return parse(comp.text)
            except ValueError as e:
                last = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
                messages += [{"role": "assistant", "content": comp.text},
                             {"role": "user", "content": reask.format(error=last)}]
        raise AskFailed(f"malformed JSON after {attempts} attempts: {last}")

    async def aclose(self) -> None:
        await self.backend.aclose()
