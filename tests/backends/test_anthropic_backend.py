"""The ``anthropic`` backend against the loopback fault server.

The fault server is a stand-in for Anthropic's Messages API, used for what
the real API cannot do on demand (429 storms, 529 overloaded, stalls, cut
bodies and streams, max_tokens and refusal stops). The official SDK
(``anthropic.AsyncAnthropic``) talks to it over HTTP on 127.0.0.1 and the
ledger counts exactly what reached the server. It says nothing about how
Claude itself answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback

import pytest

from docgen.backends import get_backend
from docgen.backends.base import BackendError, GenerationParams, Request
from docgen.errors import ConfigError
from docgen.retry import AdaptiveLimiter, RetryPolicy, call_with_retries
from tests.servers.fault_server import Fault

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, seed=2)


def req(text: str = "hello world", **params) -> Request:
    return Request(messages=[{"role": "system", "content": "You write memos."},
                             {"role": "user", "content": text}],
                   params=GenerationParams(**params), custom_id="item-1")


def backend(srv, **opts):
    opts.setdefault("read_timeout", 2.0)
    opts.setdefault("total_timeout", 10.0)
    return get_backend("anthropic", "claude-test", base_url=srv.anthropic_base_url, **opts)


def run(coro):
    return asyncio.run(coro)


async def _gen(b, r=None):
    try:
        return await b.generate(r or req())
    finally:
        await b.aclose()


async def _retry(b, policy=FAST, limiter=None):
    try:
        return await call_with_retries(b, req(), policy, limiter)
    finally:
        await b.aclose()


@pytest.mark.parametrize("stream", [False, True])
def test_ok_and_system_is_split_out(fault_server, keys, stream):
    c = run(_gen(backend(fault_server, stream=stream), req("hello world", max_tokens=64, stop=("###",))))
    assert (c.text, c.finish_reason) == ("echo: hello world", "stop")
    assert c.input_tokens > 0 and c.output_tokens == 3 and c.model == "claude-test"
    (e,) = fault_server.ledger
    assert e.route == "anthropic" and e.stream is stream and e.auth_present
    assert e.body["system"] == "You write memos."
    assert e.body["messages"] == [{"role": "user", "content": "hello world"}]
    assert e.body["max_tokens"] == 64 and e.body["stop_sequences"] == ["###"]
    assert "temperature" not in e.body


def test_temperature_is_sent_only_when_asked(fault_server, keys):
    run(_gen(backend(fault_server, send_temperature=True), req(temperature=0.7)))
    assert fault_server.ledger[0].body["temperature"] == 0.7 and "top_p" not in fault_server.ledger[0].body


@pytest.mark.parametrize("stream", [False, True])
def test_529_overloaded_and_429_with_retry_after(fault_server, keys, stream):
    fault_server.plan(Fault.overloaded(529), Fault.error(429, retry_after=0.3), Fault.error(500))
    limiter = AdaptiveLimiter(max_concurrency=4)
    c = run(_retry(backend(fault_server, stream=stream), limiter=limiter))
    assert c.finish_reason == "stop"
    assert fault_server.statuses() == [529, 429, 500, 200]
    gaps = [b.t_received - a.t_received for a, b in zip(fault_server.ledger, fault_server.ledger[1:])]
    assert gaps[1] >= 0.3                               # waited out retry-after after the 429
    assert limiter.rate_limited == 2                    # 529 and 429 are rate signals, 500 is not
    assert len({e.body_sha256 for e in fault_server.ledger}) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_not_retried(fault_server, keys, status):
    fault_server.plan(Fault.error(status))
    with pytest.raises(BackendError) as ei:
        run(_retry(backend(fault_server)))
    assert not ei.value.retryable and ei.value.status == status
    assert len(fault_server.ledger) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_stall_is_bounded_and_retried(fault_server, keys, stream):
    fault_server.plan(Fault.stall(30))
    t0 = time.monotonic()
    c = run(_retry(backend(fault_server, stream=stream, read_timeout=0.3)))
    assert time.monotonic() - t0 < 3.0
    assert c.finish_reason == "stop" and len(fault_server.ledger) == 2


@pytest.mark.parametrize("kind", ["truncate", "truncate_eof"])
def test_truncated_body_is_an_error_not_a_document(fault_server, keys, kind):
    fault_server.plan(Fault.of(kind))
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server)))
    assert ei.value.retryable


@pytest.mark.parametrize("kind", ["sse_cut", "truncate"])
def test_stream_without_message_stop_is_incomplete(fault_server, keys, kind):
    fault_server.plan(Fault.of(kind, cut_after=2))
    c = run(_gen(backend(fault_server, stream=True)))
    assert c.finish_reason == "incomplete" and c.text == "echo: hello "
    fault_server.plan(Fault.of(kind))
    assert run(_retry(backend(fault_server, stream=True))).finish_reason == "stop"
    assert len(fault_server.ledger) == 3


def test_total_deadline_bounds_a_slow_stream(fault_server, keys):
    fault_server.plan(Fault.of("sse_drip", drip_s=0.2, cut_after=50))
    t0 = time.monotonic()
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server, stream=True, read_timeout=1.0, total_timeout=0.8)))
    assert time.monotonic() - t0 < 2.5 and ei.value.retryable


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind,expected", [("length", "length"), ("refusal", "refusal")])
def test_max_tokens_and_refusal_are_not_stop(fault_server, keys, stream, kind, expected):
    fault_server.plan(Fault.of(kind))
    c = run(_retry(backend(fault_server, stream=stream)))
    assert c.finish_reason == expected and len(fault_server.ledger) == 1


def test_error_event_inside_a_stream_is_a_retryable_overload(fault_server, keys):
    from docgen.retry import is_rate_limited

    fault_server.plan(Fault.of("sse_error", cut_after=2))
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server, stream=True)))
    assert ei.value.retryable and is_rate_limited(ei.value) and ei.value.status is None
    fault_server.plan(Fault.of("sse_error"))
    limiter = AdaptiveLimiter(max_concurrency=4)
    assert run(_retry(backend(fault_server, stream=True), limiter=limiter)).finish_reason == "stop"
    assert limiter.rate_limited == 1 and len(fault_server.ledger) == 3


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError) as ei:
        get_backend("anthropic", "claude-x")
    assert "ANTHROPIC_API_KEY" in str(ei.value)
    # unlike OpenAI-compatible local servers, the Messages API always needs a key
    with pytest.raises(ConfigError):
        get_backend("anthropic", "claude-x", base_url="http://127.0.0.1:9/")


def test_canary_key_never_appears_anywhere(fault_server, keys, caplog, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_LOG", "debug")
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    fault_server.plan(Fault.of("echo_auth"), Fault.overloaded(), Fault.of("truncate"), Fault.stall(5),
                      Fault.error(401))

    async def go():
        for stream in (False, True):
            b = backend(fault_server, stream=stream, read_timeout=0.3)
            seen.extend([repr(b), str(b.describe()), str(b.options)])
            for _ in range(4):
                try:
                    seen.append(repr(await b.generate(req())))
                except BackendError as e:
                    seen.extend([str(e), repr(e), "".join(traceback.format_exception(e))])
            await b.aclose()

    run(go())
    out = capsys.readouterr()
    seen += [caplog.text, out.out, out.err] + [r.getMessage() + repr(r.args) for r in caplog.records]
    assert caplog.records and len(fault_server.ledger) == 8
    assert any("Incorrect API key" in s for s in seen)     # the leaky 401 was seen, and scrubbed
    assert [s for s in seen if "CANARY" in s] == []
