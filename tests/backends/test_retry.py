"""RetryPolicy, AdaptiveLimiter and call_with_retries.

Unit tests use the FakeBackend test double; the storm tests use the loopback
fault server (a stand-in for a provider's server, which cannot be asked for a
429 storm on demand) with the real openai SDK, and assert on its ledger.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from docgen.backends import get_backend
from docgen.backends._http import parse_retry_after
from docgen.backends.base import BackendError, Completion, Request
from docgen.backends.fake import FakeBackend
from docgen.retry import AdaptiveLimiter, RetryPolicy, call_with_retries, is_rate_limited
from tests.servers.fault_server import Fault


def run(coro):
    return asyncio.run(coro)


def err(status=500, retryable=True, retry_after=None, msg="boom"):
    return BackendError(msg, retryable=retryable, status=status, retry_after=retry_after)


# -- RetryPolicy ------------------------------------------------------------------------------

def test_backoff_is_exponential_capped_and_fully_jittered():
    p = RetryPolicy(max_attempts=20, base_delay=0.5, max_delay=8.0, seed=3)
    assert [p.backoff(a) for a in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    delays = [p.delay_for(err(), a) for a in range(1, 7) for _ in range(200)]
    for a in range(1, 7):
        chunk = delays[(a - 1) * 200: a * 200]
        assert all(0.0 <= d <= p.backoff(a) for d in chunk)
        assert max(chunk) > 0.8 * p.backoff(a) and min(chunk) < 0.2 * p.backoff(a)   # full jitter
    q = RetryPolicy(max_attempts=20, base_delay=0.5, max_delay=8.0, seed=3)
    assert [q.delay_for(err(), a) for a in range(1, 7) for _ in range(200)] == delays   # seeded


def test_give_up_on_non_retryable_and_when_attempts_are_spent():
    p = RetryPolicy(max_attempts=3, base_delay=1.0, jitter=False)
    assert p.delay_for(err(400, retryable=False), 1) is None
    assert p.delay_for(ValueError("a bug"), 1) is None
    assert p.delay_for(err(), 1) == 1.0 and p.delay_for(err(), 2) == 2.0
    assert p.delay_for(err(), 3) is None


def test_retry_after_is_a_floor():
    p = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1, seed=0)
    for a in range(1, 5):
        d = p.delay_for(err(429, retry_after=2.5), a)
        assert 2.5 <= d <= 2.5 + 0.011
    assert p.delay_for(err(429, retry_after=10_000), 1) is None     # longer than max_retry_after


def test_parse_retry_after_headers():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": "3"}, now) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}, now) == 0.25
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:30 GMT"}, now) == pytest.approx(10.0)
    assert parse_retry_after({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s",
                              "x-ratelimit-remaining-tokens": "900", "x-ratelimit-reset-tokens": "20ms"},
                             now) == 360.0
    assert parse_retry_after({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.5s"}, now) == 1.5
    assert parse_retry_after({"anthropic-ratelimit-requests-remaining": "0",
                              "anthropic-ratelimit-requests-reset": "2023-11-14T22:13:25Z"}, now) == 5.0
    assert parse_retry_after({"retry-after": "soon"}, now) is None
    assert parse_retry_after({"x-ratelimit-reset-requests": "1s"}, now) is None   # limit not exhausted
    assert parse_retry_after(None) is None


def test_rate_limit_signal():
    assert is_rate_limited(err(429)) and is_rate_limited(err(529))
    assert is_rate_limited(err(500, msg="anthropic: HTTP 500: overloaded_error: Overloaded"))
    assert not is_rate_limited(err(500)) and not is_rate_limited(ValueError("x"))


# -- call_with_retries with the test double -----------------------------------------------------

def test_call_with_retries_retries_then_succeeds_and_records_delays():
    delays: list[float] = []

    async def fake_sleep(d):
        delays.append(d)

    b = FakeBackend(script=[err(503), err(429, retry_after=1.5), "the document"])
    p = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=1.0, seed=0)
    c = run(call_with_retries(b, Request([{"role": "user", "content": "x"}]), p, sleep=fake_sleep))
    assert c.text == "the document" and len(b.calls) == 3
    assert len(delays) == 2 and 0 <= delays[0] <= 0.1 and delays[1] >= 1.5


def test_call_with_retries_raises_the_last_error():
    last = err(502, msg="last one")
    b = FakeBackend(script=[err(500), err(503), last, "never reached"])
    with pytest.raises(BackendError) as ei:
        run(call_with_retries(b, Request([]), RetryPolicy(max_attempts=3, base_delay=0.001)))
    assert ei.value is last and len(b.calls) == 3


def test_non_retryable_is_sent_once():
    b = FakeBackend(script=[err(401, retryable=False), "x"])
    with pytest.raises(BackendError):
        run(call_with_retries(b, Request([]), RetryPolicy(base_delay=0.001)))
    assert len(b.calls) == 1


def test_incomplete_is_retried_other_finishes_are_returned():
    cut = Completion(text="half a", finish_reason="incomplete")
    b = FakeBackend(script=[cut, "whole"])
    assert run(call_with_retries(b, Request([]), RetryPolicy(base_delay=0.001))).text == "whole"
    b = FakeBackend(script=[Completion(text="long", finish_reason="length"), "x"])
    assert run(call_with_retries(b, Request([]), RetryPolicy(base_delay=0.001))).finish_reason == "length"
    assert len(b.calls) == 1
    b = FakeBackend(script=[cut, cut, cut])
    c = run(call_with_retries(b, Request([]), RetryPolicy(max_attempts=2, base_delay=0.001)))
    assert c.finish_reason == "incomplete" and len(b.calls) == 2


def test_fake_backend_scripts_by_custom_id_and_echoes():
    b = FakeBackend(per_id={"b": ["for b"]})
    r = lambda cid: Request([{"role": "user", "content": cid}], custom_id=cid)  # noqa: E731
    assert run(b.generate(r("b"))).text == "for b"
    assert run(b.generate(r("a"))).text == "echo: a"
    assert b.describe()["test_double"] is True


# -- AdaptiveLimiter -------------------------------------------------------------------------------

def test_limiter_bounds_in_flight():
    async def go():
        lim = AdaptiveLimiter(max_concurrency=5)
        b = FakeBackend(latency_s=0.01)
        await asyncio.gather(*[call_with_retries(b, Request([]), RetryPolicy(), lim) for _ in range(60)])
        return lim, b

    lim, b = run(go())
    assert b.max_in_flight == 5 and lim.max_in_flight == 5 and len(b.calls) == 60


def test_limiter_halves_once_per_wave_and_grows_back_additively():
    lim = AdaptiveLimiter(max_concurrency=32, min_concurrency=2)
    e = lim.epoch
    for _ in range(10):                 # ten 429s for requests sent in the same wave
        lim.on_rate_limited(None, epoch=e)
    assert lim.limit == 16 and lim.rate_limited == 10
    lim.on_rate_limited(None, epoch=lim.epoch)
    lim.on_rate_limited(None)
    assert lim.limit == 4
    for _ in range(10):
        lim.on_rate_limited(None)
    assert lim.limit == 2 == lim.min_limit_seen      # never below min_concurrency
    n = 0
    while lim.limit < 32:
        lim.on_success()
        n += 1
    assert 300 < n < 600                             # ~ sum(k for k in 2..31): additive, not a jump


def test_limiter_pause_holds_everyone_until_retry_after():
    async def go():
        lim = AdaptiveLimiter(max_concurrency=8)
        lim.on_rate_limited(0.3)
        t0 = time.monotonic()
        starts = []

        async def one():
            async with lim:
                starts.append(time.monotonic() - t0)

        await asyncio.gather(*[one() for _ in range(6)])
        return starts

    starts = run(go())
    assert len(starts) == 6 and min(starts) >= 0.29


# -- storms against the fault server -----------------------------------------------------------------

async def _many(srv, n, concurrency, policy, limiter):
    b = get_backend("openai", "m", base_url=srv.openai_base_url, read_timeout=5.0)
    try:
        reqs = [Request([{"role": "user", "content": f"doc {i}"}], custom_id=str(i)) for i in range(n)]
        return await asyncio.gather(*[call_with_retries(b, r, policy, limiter) for r in reqs],
                                    return_exceptions=True)
    finally:
        await b.aclose()


class _FixedLimiter(AdaptiveLimiter):
    """A plain semaphore: ignores rate-limit signals (the control for the storm test)."""

    def on_rate_limited(self, retry_after=None, *, epoch=None):
        self.rate_limited += 1


N_STORM = 160


def _storm(limiter, latency_s=0.05):
    from tests.servers.fault_server import FaultServer

    with FaultServer(latency_s=latency_s) as srv:
        srv.plan(*[Fault.error(429, retry_after=0.3)] * 24)
        policy = RetryPolicy(max_attempts=8, base_delay=0.05, max_delay=0.5, seed=5)
        t0 = time.monotonic()
        results = run(_many(srv, N_STORM, 16, policy, limiter))
        elapsed = time.monotonic() - t0
    first_429_done = min(e.t_done for e in srv.ledger if e.status == 429)
    # requests the server received while it was asking clients to wait (small slack for
    # requests already on the wire when the first 429 was answered)
    hammer = [e for e in srv.ledger if first_429_done + 0.05 < e.t_received < first_429_done + 0.28]
    after_pause = [e.in_flight for e in srv.ledger if e.t_received > first_429_done + 0.3][:12]
    return srv, results, elapsed, hammer, after_pause


def test_429_storm_lowers_concurrency_and_pauses_the_run(keys):
    lim = AdaptiveLimiter(max_concurrency=16)
    srv, results, elapsed, hammer, after_pause = _storm(lim)
    assert all(isinstance(r, Completion) and r.finish_reason == "stop" for r in results)
    assert sorted(r.text for r in results) == sorted(f"echo: doc {i}" for i in range(N_STORM))
    assert len(srv.ledger) == N_STORM + 24                 # every request reached the server once, plus the 429s
    assert srv.statuses().count(429) == 24
    assert srv.max_in_flight <= 16
    assert lim.min_limit_seen <= 8                    # the limit came down in the storm ...
    assert max(after_pause) <= 8                      # ... the server saw it come down ...
    assert hammer == []                               # ... and nobody sent while told to wait
    assert elapsed < 10


def test_storm_control_a_plain_semaphore_keeps_hammering(keys):
    """The same storm with a fixed limit: requests keep arriving during the retry-after window,
    at full concurrency, so the assertions above are not true by construction."""
    # a slower server keeps many requests open at once even when this machine is busy
    # 0.1 s: the refills after each wave of answers land well inside the retry-after window
    srv, results, elapsed, hammer, after_pause = _storm(_FixedLimiter(max_concurrency=16), latency_s=0.1)
    assert all(isinstance(r, Completion) for r in results)
    assert len(hammer) > 0
    assert srv.max_in_flight > 8
