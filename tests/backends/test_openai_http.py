"""The SDK-free hot path (docgen/backends/openai_http.py) against the loopback fault server.

The fault server (tests/servers/fault_server.py) is a stand-in for an
OpenAI-compatible server on 127.0.0.1, used for what a real one cannot do on
demand: 429s with retry hints, 5xx/529, "overloaded" bodies, stalls, bodies cut
mid-JSON. Every test here checks what reached the server through its ledger.
The backend goes through ``get_backend("openai", ...)`` exactly as the engine
builds it, so these tests also prove the hot path is the one selected for plain
(non-streamed) requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import traceback

import pytest

from docgen.backends import get_backend
from docgen.backends.base import BackendError
from docgen.backends.openai_http import ChatCompletionsHTTP, completion_from_json
from docgen.retry import AdaptiveLimiter, RetryPolicy, is_rate_limited
from tests.servers.fault_server import Fault

from tests.backends._openai_support import _gen, _retry, backend, req, run


def test_plain_requests_take_the_hot_path_and_streams_the_sdk(fault_server, keys):
    b = backend(fault_server)
    assert isinstance(b._hot, ChatCompletionsHTTP) and b.describe()["transport"] == "aiohttp"
    assert backend(fault_server, transport="sdk").describe()["transport"] == "sdk"
    assert backend(fault_server, stream=True)._hot is None
    assert backend(fault_server, transport="sdk")._hot is None
    c = run(_gen(b))
    assert c.text == "echo: hello world" and c.finish_reason == "stop"
    # the SDK sends its own user agent and x-stainless-* headers; the hot path does not
    assert len(fault_server.ledger) == 1 and fault_server.ledger[0].auth_present


def test_request_body_usage_and_finish_reason(fault_server, keys):
    b = backend(fault_server, repeat_penalty_param="repetition_penalty", extra_body={"top_k": 20},
                max_tokens_param="max_completion_tokens")
    c = run(_gen(b, req("hello world", max_tokens=32, stop=("END",), seed=7, temperature=0.5)))
    assert c.text == "echo: hello world" and c.finish_reason == "stop"
    assert c.input_tokens > 0 and c.output_tokens == 3 and c.model == "test-model"
    assert c.latency_s > 0 and c.raw["id"] == "chatcmpl-fault"
    body = fault_server.ledger[0].body
    assert body["model"] == "test-model" and body["messages"][1] == {"role": "user", "content": "hello world"}
    assert body["max_completion_tokens"] == 32 and "max_tokens" not in body
    assert body["seed"] == 7 and body["stop"] == ["END"] and body["temperature"] == 0.5
    assert body["repetition_penalty"] == 1.2 and body["top_k"] == 20          # extra_body merged, not nested
    assert "extra_body" not in body and "stream" not in body


def test_same_body_as_the_sdk_path(fault_server, keys):
    """The hot path and the SDK send the same JSON for the same request."""
    r = req("same body", max_tokens=16, seed=3)
    run(_gen(backend(fault_server), r))
    run(_gen(backend(fault_server, transport="sdk"), r))
    hot, sdk = fault_server.ledger
    assert hot.body == sdk.body


@pytest.mark.parametrize("kind,expected", [("length", "length"), ("refusal", "refusal"),
                                           ("content_filter", "content_filter")])
def test_non_document_finishes_are_reported_not_retried(fault_server, keys, kind, expected):
    fault_server.plan(Fault.of(kind))
    c = run(_retry(backend(fault_server)))
    assert c.finish_reason == expected
    if kind == "refusal":
        assert c.text == "" and c.raw["refusal"]
    assert len(fault_server.ledger) == 1


@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
def test_429_is_retried_after_the_servers_hint(fault_server, keys, header):
    hint = {"retry_after": 0.4} if header == "retry-after" else {"retry_after_ms": 400}
    fault_server.plan(Fault.error(429, **hint))
    b = backend(fault_server)
    with pytest.raises(BackendError) as ei:        # one call: the hint is carried on the error
        run(_gen(b))
    assert ei.value.status == 429 and ei.value.retryable and ei.value.retry_after == pytest.approx(0.4)
    assert is_rate_limited(ei.value)
    fault_server.plan(Fault.error(429, **hint))
    limiter = AdaptiveLimiter(max_concurrency=8)
    t0 = time.monotonic()
    c = run(_retry(backend(fault_server), limiter=limiter))
    assert c.finish_reason == "stop" and time.monotonic() - t0 < 3.0
    assert fault_server.statuses() == [429, 429, 200]
    first, second = fault_server.ledger[1:]
    assert second.t_received - first.t_received >= 0.4          # waited at least retry-after
    assert first.body_sha256 == second.body_sha256               # the retry re-sent the same request
    assert limiter.rate_limited == 1 and limiter.limit < 8


@pytest.mark.parametrize("fault", [Fault.error(500), Fault.error(502), Fault.error(503), Fault.error(408),
                                   Fault.error(409), Fault.overloaded(529), Fault.overloaded(400)],
                         ids=["500", "502", "503", "408", "409", "529-overloaded", "400-overloaded-body"])
def test_retryable_statuses_are_retried(fault_server, keys, fault):
    fault_server.plan(fault, fault)
    c = run(_retry(backend(fault_server)))
    assert c.text == "echo: hello world"
    assert fault_server.statuses() == [fault.status, fault.status, 200]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_not_retried(fault_server, keys, status):
    fault_server.plan(Fault.error(status, retry_after=0.01))
    with pytest.raises(BackendError) as ei:
        run(_retry(backend(fault_server)))
    assert ei.value.retryable is False and ei.value.status == status and ei.value.retry_after is None
    assert f"HTTP {status}" in str(ei.value)
    assert len(fault_server.ledger) == 1                          # exactly one request sent


def test_error_message_comes_from_the_body(fault_server, keys):
    fault_server.plan(Fault.error(400, body={"error": {"type": "invalid_request_error",
                                                       "message": "max_tokens is too large"}}))
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server)))
    assert "invalid_request_error: max_tokens is too large" in str(ei.value)


def test_gives_up_after_max_attempts_with_the_last_error(fault_server, keys):
    fault_server.plan(*[Fault.error(500)] * 3, Fault.error(503))
    with pytest.raises(BackendError) as ei:
        run(_retry(backend(fault_server), RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02)))
    assert ei.value.status == 503 and ei.value.retryable
    assert len(fault_server.ledger) == 4 and fault_server.pending == 0


def test_stall_after_headers_is_a_bounded_retryable_timeout(fault_server, keys):
    fault_server.plan(Fault.stall(30))
    t0 = time.monotonic()
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server, read_timeout=0.3)))
    assert time.monotonic() - t0 < 3.0
    assert ei.value.retryable and "timed out" in str(ei.value) and ei.value.status is None
    fault_server.plan(Fault.stall(30))
    c = run(_retry(backend(fault_server, read_timeout=0.3)))
    assert c.finish_reason == "stop" and len(fault_server.ledger) == 3


def test_total_deadline_bounds_a_slow_answer(fault_server, keys):
    # each byte would come within the idle timeout, but the answer as a whole is late
    fault_server.plan(Fault.ok(delay_s=2.0))
    t0 = time.monotonic()
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server, read_timeout=5.0, total_timeout=0.5)))
    assert time.monotonic() - t0 < 1.8
    assert ei.value.retryable and "timed out" in str(ei.value)


@pytest.mark.parametrize("kind", ["truncate", "truncate_eof"])
def test_body_cut_mid_json_is_never_a_document(fault_server, keys, kind):
    fault_server.plan(Fault.of(kind))
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server)))
    assert ei.value.retryable and ei.value.status is None
    fault_server.plan(Fault.of(kind))
    c = run(_retry(backend(fault_server)))
    assert c.finish_reason == "stop" and c.text == "echo: hello world"
    assert len(fault_server.ledger) == 3


def test_connection_refused_is_retryable(keys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    b = get_backend("openai", "m", base_url=f"http://127.0.0.1:{port}/v1", connect_timeout=1.0)
    assert b._hot is not None
    with pytest.raises(BackendError) as ei:
        run(_gen(b))
    assert ei.value.retryable and ei.value.status is None and "connection error" in str(ei.value)


def test_connections_are_pooled_and_kept_alive(fault_server, keys):
    """Many requests, concurrently: every one answered, over far fewer connections than requests."""
    b = backend(fault_server)

    async def go():
        try:
            for _ in range(3):
                cs = await asyncio.gather(*(b.generate(req(f"n{i}")) for i in range(8)))
                assert [c.text for c in cs] == [f"echo: n{i}" for i in range(8)]
        finally:
            await b.aclose()

    seen: set[tuple[str, int]] = set()
    real_init = fault_server._httpd.RequestHandlerClass.setup

    def setup(handler):          # count the TCP connections the server accepted
        seen.add(handler.client_address)
        return real_init(handler)

    fault_server._httpd.RequestHandlerClass.setup = setup
    try:
        run(go())
    finally:
        fault_server._httpd.RequestHandlerClass.setup = real_init
    assert len(fault_server.ledger) == 24
    assert 1 <= len(seen) <= 8                  # keep-alive: later waves reuse the first wave's sockets


def test_a_backend_survives_event_loop_changes(fault_server, keys):
    """One backend used from two asyncio.run calls (as the CLI's stages do) gets a fresh session each time."""
    b = backend(fault_server)
    assert run(b.generate(req("one"))).text == "echo: one"
    c = run(_gen(b, req("two")))
    assert c.text == "echo: two" and len(fault_server.ledger) == 2


def test_completion_from_json_edge_cases():
    assert completion_from_json({"id": "x", "choices": []}, "m").finish_reason == "incomplete"
    c = completion_from_json({"choices": [{"message": {"content": "hi"}, "finish_reason": "tool_calls"}]}, "m")
    assert c.finish_reason == "incomplete" and c.text == "hi" and c.model == "m"
    c = completion_from_json({"choices": [{"message": {"content": "hi"}}]}, "m")
    assert c.finish_reason == "incomplete"                    # no finish reason: never a document
    with pytest.raises(ValueError):
        completion_from_json(["not", "an", "object"], "m")
    with pytest.raises(ValueError):
        completion_from_json({"choices": ["nope"]}, "m")


def test_canary_key_never_appears_anywhere(fault_server, keys, caplog, capsys):
    caplog.set_level(logging.DEBUG)                 # root: docgen, aiohttp, asyncio all at DEBUG
    seen: list[str] = []
    fault_server.plan(Fault.of("echo_auth"), Fault.error(429, retry_after=0.01), Fault.of("truncate"),
                      Fault.stall(5), Fault.error(500))

    async def go():
        b = backend(fault_server, read_timeout=0.3)
        seen.extend([repr(b), str(b.describe()), str(vars(b).get("options")), repr(b._hot)])
        for _ in range(5):
            try:
                c = await b.generate(req())
                seen.append(repr(c))
            except BackendError as e:
                seen.extend([str(e), repr(e), "".join(traceback.format_exception(e))])
        await b.aclose()

    run(go())
    out = capsys.readouterr()
    seen += [caplog.text, out.out, out.err]
    seen += [r.getMessage() + repr(r.args) for r in caplog.records]
    assert any("401" in s for s in seen) and len(fault_server.ledger) == 5
    assert fault_server.ledger[0].auth_present
    hits = [s for s in seen if "CANARY" in s]
    assert hits == []
    assert json.dumps(seen)                          # everything collected is plain text
