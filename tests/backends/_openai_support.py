"""What the OpenAI-compatible backend tests share (SDK path and SDK-free hot path): a fast
retry policy, one request, a backend pointed at the loopback fault server, and runners."""

from __future__ import annotations

import asyncio

from docgen.backends import get_backend
from docgen.backends.base import GenerationParams, Request
from docgen.retry import RetryPolicy, call_with_retries

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, seed=1)


def req(text: str = "hello world", **params) -> Request:
    return Request(messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": text}],
                   params=GenerationParams(**params), custom_id="item-1")


def backend(srv, **opts):
    opts.setdefault("read_timeout", 2.0)
    opts.setdefault("total_timeout", 10.0)
    return get_backend("openai", "test-model", base_url=srv.openai_base_url, **opts)


def run(coro):
    return asyncio.run(coro)


async def _gen(b, r=None):
    try:
        return await b.generate(r or req())
    finally:
        await b.aclose()


async def _retry(b, policy=FAST, r=None, limiter=None):
    try:
        return await call_with_retries(b, r or req(), policy, limiter)
    finally:
        await b.aclose()
