"""The ``openai`` backend against the loopback fault server.

The fault server is a stand-in for OpenAI's (or vLLM's, llama.cpp's) server,
used for what a real server cannot do on demand: 429 storms, 5xx/529,
"overloaded" bodies, stalls, truncated bodies, cut streams. The real SDK
(``openai.AsyncOpenAI``) talks to it over HTTP on 127.0.0.1; the ledger counts
exactly what reached the server. The same backend against a real llama.cpp
server is in test_llamacpp_server.py.
"""

from __future__ import annotations

import logging
import time
import traceback

import pytest

from docgen.backends import get_backend
from docgen.backends.base import BackendError
from docgen.errors import ConfigError
from docgen.retry import AdaptiveLimiter, RetryPolicy
from tests.servers.fault_server import Fault

from tests.backends._openai_support import _gen, _retry, backend, req, run

@pytest.mark.parametrize("stream", [False, True])
def test_ok_completion_and_request_body(fault_server, keys, stream):
    b = backend(fault_server, stream=stream, repeat_penalty_param="repeat_penalty")
    c = run(_gen(b, req("hello world", max_tokens=32, stop=("END",), seed=7)))
    assert c.text == "echo: hello world"
    assert c.finish_reason == "stop"
    assert c.input_tokens > 0 and c.output_tokens == 3
    assert c.latency_s > 0
    assert len(fault_server.ledger) == 1
    e = fault_server.ledger[0]
    assert e.route == "openai" and e.model == "test-model" and e.stream is stream and e.auth_present
    assert e.body["max_tokens"] == 32 and e.body["seed"] == 7 and e.body["stop"] == ["END"]
    assert e.body["repeat_penalty"] == 1.2
    assert e.body["messages"][0] == {"role": "system", "content": "be brief"}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
def test_429_is_retried_after_the_servers_hint(fault_server, keys, stream, header):
    hint = {"retry_after": 0.4} if header == "retry-after" else {"retry_after_ms": 400}
    fault_server.plan(Fault.error(429, **hint))
    t0 = time.monotonic()
    c = run(_retry(backend(fault_server, stream=stream)))
    elapsed = time.monotonic() - t0
    assert c.finish_reason == "stop"
    assert fault_server.statuses() == [429, 200]
    first, second = fault_server.ledger
    assert second.t_received - first.t_received >= 0.4          # waited at least retry-after
    assert elapsed < 3.0
    assert first.body_sha256 == second.body_sha256               # the retry re-sent the same request


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
    fault_server.plan(Fault.error(status))
    with pytest.raises(BackendError) as ei:
        run(_retry(backend(fault_server)))
    assert ei.value.retryable is False and ei.value.status == status
    assert len(fault_server.ledger) == 1                          # exactly one request sent


def test_gives_up_after_max_attempts_with_the_last_error(fault_server, keys):
    fault_server.plan(*[Fault.error(500)] * 3, Fault.error(503))
    with pytest.raises(BackendError) as ei:
        run(_retry(backend(fault_server), RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02)))
    assert ei.value.status == 503 and ei.value.retryable
    assert len(fault_server.ledger) == 4
    assert fault_server.pending == 0


@pytest.mark.parametrize("stream", [False, True])
def test_stall_after_headers_is_a_bounded_retryable_timeout(fault_server, keys, stream):
    fault_server.plan(Fault.stall(30))
    b = backend(fault_server, stream=stream, read_timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(BackendError) as ei:
        run(_gen(b))
    assert time.monotonic() - t0 < 3.0
    assert ei.value.retryable and "time" in str(ei.value).lower()
    fault_server.plan(Fault.stall(30))
    c = run(_retry(backend(fault_server, stream=stream, read_timeout=0.3)))
    assert c.finish_reason == "stop" and len(fault_server.ledger) == 3


def test_total_deadline_bounds_a_slow_drip(fault_server, keys):
    # each delta arrives well within the idle timeout, but the whole answer would take 10 s
    fault_server.plan(Fault.of("sse_drip", drip_s=0.2, cut_after=50))
    b = backend(fault_server, stream=True, read_timeout=1.0, total_timeout=0.8)
    t0 = time.monotonic()
    with pytest.raises(BackendError) as ei:
        run(_gen(b))
    assert time.monotonic() - t0 < 2.5
    assert ei.value.retryable and "deadline" in str(ei.value)


@pytest.mark.parametrize("kind", ["truncate", "truncate_eof"])
def test_body_cut_mid_json_is_never_a_document(fault_server, keys, kind):
    fault_server.plan(Fault.of(kind))
    with pytest.raises(BackendError) as ei:
        run(_gen(backend(fault_server)))
    assert ei.value.retryable
    fault_server.plan(Fault.of(kind))
    c = run(_retry(backend(fault_server)))
    assert c.finish_reason == "stop" and c.text == "echo: hello world"
    assert len(fault_server.ledger) == 3


@pytest.mark.parametrize("kind", ["sse_cut", "truncate"])
def test_stream_cut_before_final_event_is_incomplete(fault_server, keys, kind):
    fault_server.plan(Fault.of(kind, cut_after=2))
    c = run(_gen(backend(fault_server, stream=True)))
    assert c.finish_reason == "incomplete"          # partial text is never passed off as a document
    assert c.text == "echo: hello "
    # retried as a transient failure; a budget spent on cut streams still never yields "stop"
    fault_server.plan(Fault.of(kind))
    assert run(_retry(backend(fault_server, stream=True))).finish_reason == "stop"
    fault_server.plan(*[Fault.of(kind)] * 2)
    c = run(_retry(backend(fault_server, stream=True), RetryPolicy(max_attempts=2, base_delay=0.01)))
    assert c.finish_reason == "incomplete"
    assert len(fault_server.ledger) == 1 + 2 + 2


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind,expected", [("length", "length"), ("refusal", "refusal"),
                                           ("content_filter", "content_filter")])
def test_non_document_finishes_are_reported_not_retried(fault_server, keys, stream, kind, expected):
    fault_server.plan(Fault.of(kind))
    c = run(_retry(backend(fault_server, stream=stream)))
    assert c.finish_reason == expected
    assert len(fault_server.ledger) == 1


def test_connection_refused_is_retryable(keys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    b = get_backend("openai", "m", base_url=f"http://127.0.0.1:{port}/v1", connect_timeout=1.0)
    with pytest.raises(BackendError) as ei:
        run(_gen(b))
    assert ei.value.retryable and ei.value.status is None


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
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MY_GATEWAY_KEY", raising=False)
    with pytest.raises(ConfigError) as ei:
        get_backend("openai", "gpt-4o-mini")
    assert "OPENAI_API_KEY" in str(ei.value) and "export OPENAI_API_KEY" in str(ei.value)
    with pytest.raises(ConfigError) as ei:
        get_backend("openai", "m", base_url="https://gateway.example/v1", api_key_env="MY_GATEWAY_KEY")
    assert "MY_GATEWAY_KEY" in str(ei.value)
    with pytest.raises(ConfigError):
        get_backend("openai", "m", api_key="sk-in-config")          # keys come from the environment only
    # a local server needs no key
    b = get_backend("openai", "m", base_url="http://127.0.0.1:8080/v1")
    assert b.describe()["base_url"] == "http://127.0.0.1:8080/v1"
    run(b.aclose())


def test_canary_key_never_appears_anywhere(fault_server, keys, caplog, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_LOG", "debug")
    caplog.set_level(logging.DEBUG)                 # root: docgen, openai, httpx, httpcore all at DEBUG
    seen: list[str] = []
    fault_server.plan(Fault.of("echo_auth"), Fault.error(429, retry_after=0.01), Fault.of("truncate"),
                      Fault.stall(5), Fault.error(500))

    async def go():
        for stream in (False, True):
            b = backend(fault_server, stream=stream, read_timeout=0.3)
            seen.extend([repr(b), str(b.describe()), str(vars(b).get("options"))])
            for _ in range(4):
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
    assert any("401" in s for s in seen) and len(fault_server.ledger) == 8
    assert caplog.records, "debug logging captured nothing: the test would prove nothing"
    hits = [s for s in seen if "CANARY" in s]
    assert hits == []
