"""``fake``: a test double for the orchestration code. It calls no model.

Use it in unit tests of the engine, journal and filters, where what matters is
the plumbing (retries, resume, accounting), not the text. It answers from a
script, in order, then echoes; every call is recorded in ``calls``::

    b = FakeBackend(model="m", script=[
        BackendError("slow down", retryable=True, status=429, retry_after=0.01),
        "a scripted document",
        Completion(text="cut", finish_reason="length"),
    ])

Script items: a ``str`` (a completion that stopped normally), a ``Completion``,
an ``Exception`` (raised), or a callable ``f(request) -> item``. When the script
is exhausted the reply is ``reply(request)`` if given, else an echo of the last
user message. ``per_id`` scripts by ``request.custom_id`` instead of by order,
so results do not depend on which worker runs first. ``fail_rate`` (with
``seed``) raises a retryable 503 at random; ``latency_s`` sleeps before each
answer. Nothing here is a real model: never ship a corpus made with it.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import Any, Callable

from .base import Backend, BackendError, Completion, Request


class FakeBackend(Backend):
    name = "fake"
    supports_batch = False
    supports_streaming = False
    needs_key = None

    def __init__(self, model: str = "fake", *, script: list[Any] | None = None,
                 per_id: dict[str, list[Any]] | None = None, reply: Callable[[Request], Any] | None = None,
                 latency_s: float = 0.0, fail_rate: float = 0.0, seed: int = 0, **options: Any):
        super().__init__(model=model or "fake", **options)
        self._script: deque[Any] = deque(script or [])
        self._per_id = {k: deque(v) for k, v in (per_id or {}).items()}
        self._reply = reply
        self.latency_s = latency_s
        self.fail_rate = fail_rate
        self._rng = random.Random(seed)
        self.calls: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "test_double": True}

    @staticmethod
    def echo(request: Request) -> str:
        for m in reversed(request.messages):
            if m.get("role") == "user":
                return "echo: " + str(m.get("content", ""))
        return "echo:"

    def _next(self, request: Request) -> Any:
        queue = self._per_id.get(request.custom_id)
        if queue:
            return queue.popleft()
        if self._script:
            return self._script.popleft()
        if self._reply is not None:
            return self._reply(request)
        return self.echo(request)

    async def generate(self, request: Request) -> Completion:
        self.calls.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            else:
                await asyncio.sleep(0)
            if self.fail_rate and self._rng.random() < self.fail_rate:
                raise BackendError("fake: injected 503", retryable=True, status=503)
            item = self._next(request)
            if callable(item) and not isinstance(item, (Completion, BaseException)):
                item = item(request)
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Completion):
                return item
            text = str(item)
            return Completion(text=text, finish_reason="stop",
                              input_tokens=sum(len(str(m.get("content", "")).split()) for m in request.messages),
                              output_tokens=len(text.split()), model=self.model, latency_s=self.latency_s)
        finally:
            self.in_flight -= 1
