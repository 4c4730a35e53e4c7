"""Retries, backoff and adaptive concurrency for backend calls.

Three pieces, used together by the engine::

    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=60.0)
    limiter = AdaptiveLimiter(max_concurrency=64)
    completion = await call_with_retries(backend, request, policy, limiter)

- :class:`RetryPolicy` decides whether and how long to wait before the next
  attempt: exponential backoff with full jitter, never shorter than the
  server's ``retry_after`` hint; ``None`` means give up (not retryable, or the
  attempts are spent).
- :class:`AdaptiveLimiter` bounds requests in flight. A 429/529/"overloaded"
  answer halves the limit (once per wave: answers to requests sent before the
  last decrease do not halve it again) and, when the server said how long to
  wait, pauses *every* worker until then — a 429 storm slows the whole run down
  instead of every worker hammering the server. Each success grows the limit
  back additively (+1 per ``limit`` successes, as TCP does).
- :func:`call_with_retries` puts them together. A slot is held only while a
  request is in flight, never during a backoff sleep.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .backends.base import BackendError

if TYPE_CHECKING:  # pragma: no cover
    from .backends.base import Backend, Completion, Request

log = logging.getLogger("docgen.retry")

__all__ = ["RetryPolicy", "AdaptiveLimiter", "call_with_retries", "is_rate_limited"]


def is_rate_limited(error: BaseException) -> bool:
    """A 429/529 or an "overloaded" answer: the signal to slow the whole run down."""
    if not isinstance(error, BackendError):
        return False
    return error.status in (429, 529) or "overloaded" in str(error).lower()


@dataclass
class RetryPolicy:
    """When to try again. ``attempt`` counts attempts made so far (1 after the first failure)."""

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: bool = True
    seed: int | None = None
    max_retry_after: float = 900.0     # a server hint longer than this: give up instead of sleeping
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._rng = random.Random(self.seed)

    def backoff(self, attempt: int) -> float:
        """The exponential ceiling for this attempt: base * 2**(attempt-1), capped at max_delay."""
        return min(self.max_delay, self.base_delay * math.pow(2.0, max(0, attempt - 1)))

    def delay_for(self, error: Exception, attempt: int) -> float | None:
        if not isinstance(error, BackendError) or not error.retryable:
            return None
        if attempt >= self.max_attempts:
            return None
        ceiling = self.backoff(attempt)
        delay = self._rng.uniform(0.0, ceiling) if self.jitter else ceiling
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            # the server's hint is a floor; a little jitter spreads the workers released together
            spread = self._rng.uniform(0.0, min(ceiling, 1.0) * 0.1) if self.jitter else 0.0
            delay = error.retry_after + spread
        return delay


class AdaptiveLimiter:
    """An async context manager bounding requests in flight, with AIMD on rate-limit signals.

        async with limiter:
            ...   # one request in flight

    ``limit`` is the current bound (an int between ``min_concurrency`` and
    ``max_concurrency``); ``epoch`` counts decreases, so a caller can pass the epoch it
    saw when it entered to :meth:`on_rate_limited` and a wave of 429s for requests sent
    together halves the limit once, not once per request.
    """

    def __init__(self, max_concurrency: int, min_concurrency: int = 1):
        if max_concurrency < 1 or not 1 <= min_concurrency <= max_concurrency:
            raise ValueError("need 1 <= min_concurrency <= max_concurrency")
        self.max_concurrency = max_concurrency
        self.min_concurrency = min_concurrency
        self._limit = float(max_concurrency)
        self.in_flight = 0
        self.max_in_flight = 0
        self.min_limit_seen = max_concurrency
        self.epoch = 0
        self.rate_limited = 0
        self.paused_until = 0.0        # time.monotonic() before which nobody starts a request
        self._cond: asyncio.Condition | None = None

    @property
    def limit(self) -> int:
        return max(self.min_concurrency, min(self.max_concurrency, int(self._limit)))

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def acquire(self) -> int:
        """Wait for a slot (and for any pause to pass); returns the epoch at entry."""
        cond = self._condition()
        while True:
            wait = self.paused_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            async with cond:
                if self.in_flight < self.limit and self.paused_until <= time.monotonic():
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
                    return self.epoch
                wait = self.paused_until - time.monotonic()
                try:
                    await asyncio.wait_for(cond.wait(), timeout=wait if wait > 0 else None)
                except asyncio.TimeoutError:
                    pass

    async def release(self) -> None:
        cond = self._condition()
        async with cond:
            self.in_flight -= 1
            cond.notify_all()

    async def __aenter__(self) -> "AdaptiveLimiter":
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()

    def on_success(self) -> None:
        before = self.limit
        self._limit = min(float(self.max_concurrency), self._limit + 1.0 / max(1.0, self._limit))
        if self.limit > before and self._cond is not None:
            self._notify()

    def on_rate_limited(self, retry_after: float | None = None, *, epoch: int | None = None) -> None:
        """Halve the limit (once per epoch) and pause everyone for ``retry_after`` seconds."""
        self.rate_limited += 1
        if epoch is None or epoch == self.epoch:
            self._limit = max(float(self.min_concurrency), self._limit / 2.0)
            self.epoch += 1
            self.min_limit_seen = min(self.min_limit_seen, self.limit)
            log.info("rate limited: concurrency limit now %d", self.limit)
        if retry_after is not None and retry_after > 0:
            self.paused_until = max(self.paused_until, time.monotonic() + retry_after)

    def _notify(self) -> None:
        cond = self._cond
        assert cond is not None

        async def _wake() -> None:
            async with cond:
                cond.notify_all()

        try:
            asyncio.get_running_loop().create_task(_wake())
        except RuntimeError:  # no running loop: nobody can be waiting
            pass


async def call_with_retries(backend: "Backend", request: "Request", policy: RetryPolicy,
                            limiter: AdaptiveLimiter | None = None, *, retry_incomplete: bool = True,
                            sleep=asyncio.sleep, on_send=None) -> "Completion":
    """Call ``backend.generate`` until it succeeds or the policy gives up.

    Raises the last :class:`BackendError` when giving up. A completion whose stream
    ended without its final event (finish_reason "incomplete") is a transient failure:
    it is retried within the same attempt budget and, if the budget runs out, returned
    as it is (the caller must not accept it as a document). Other finish reasons
    (length, refusal, content_filter) are returned at once: what to do with them is the
    engine's decision. ``on_send()`` is called once per request actually sent.
    """
    attempt = 0
    while True:
        attempt += 1
        epoch = await limiter.acquire() if limiter is not None else 0
        error: BackendError | None = None
        try:
            if on_send is not None:
                on_send()
            completion = await backend.generate(request)
        except BackendError as e:
            error = e
        finally:
            if limiter is not None:
                await limiter.release()
        if error is None:
            if limiter is not None:
                limiter.on_success()
            if completion.finish_reason == "incomplete" and retry_incomplete:
                probe = BackendError("stream ended without its final event", retryable=True)
                delay = policy.delay_for(probe, attempt)
                if delay is not None:
                    log.info("incomplete completion (attempt %d); retrying in %.2fs", attempt, delay)
                    await sleep(delay)
                    continue
            return completion
        if limiter is not None and is_rate_limited(error):
            limiter.on_rate_limited(error.retry_after, epoch=epoch)
        delay = policy.delay_for(error, attempt)
        if delay is None:
            log.info("giving up after %d attempt(s): %s", attempt, error)
            raise error
        log.info("attempt %d failed (%s); retrying in %.2fs", attempt, error, delay)
        await sleep(delay)
