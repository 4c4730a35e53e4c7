"""The ``openai`` backend against a REAL vLLM server (vLLM's CPU build; no stand-in here).

The test starts ``vllm.entrypoints.openai.api_server`` from ``.venv-vllm`` on
127.0.0.1, serving the embedded SmolLM2-135M-Instruct converted once from GGUF
to safetensors (:mod:`docgen.backends.convert_gguf`), and sends it real Chat
Completions through the official ``openai`` SDK: plain and streamed, a
``length`` finish, a stop sequence, seeded sampling; then a small
``docgen generate --backend openai --base-url ...`` runs against it as a separate
process of docgen's own venv. Generations are short: the server runs on CPU.

Build the venv with ``bash tests/backends/vllm_env.sh``; without it these tests
are skipped (and fail under CI).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx
import pytest

from docgen.backends import get_backend
from docgen.backends.base import GenerationParams, Request
from docgen.corpus import iter_documents
from tests.servers.process import openai_server
from docgen.retry import AdaptiveLimiter, RetryPolicy, call_with_retries

from tests.backends.vllm_support import REPO, SERVED_NAME, converted_model, free_port, require_venv, vllm_env

pytestmark = pytest.mark.slow

STARTUP_S = 420


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    py = require_venv()
    model = converted_model()
    port = free_port()
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    cmd = [str(py), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model),
           "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port),
           "--max-model-len", "2048", "--dtype", "bfloat16", "--seed", "0",
           "--enforce-eager"]          # no torch.compile: minutes on two CPU cores
    with openai_server(cmd, port, log, name="vLLM server", startup_s=STARTUP_S, poll_s=1.0, env=vllm_env(),
                       cwd=REPO, new_session=True, stop_s=30) as base:   # vLLM's engine core is a child
        yield base


def _req(max_tokens=32, text="Write one sentence about honesty.", temperature=0.0, seed=1, stop=()):
    return Request(messages=[{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": text}],
                   params=GenerationParams(temperature=temperature, top_p=1.0, max_tokens=max_tokens,
                                           seed=seed, stop=tuple(stop)))


def _gen(base, request, **opts):
    async def go():
        b = get_backend("openai", SERVED_NAME, base_url=base, repeat_penalty_param="repetition_penalty",
                        read_timeout=120.0, total_timeout=240.0, **opts)
        try:
            return await call_with_retries(b, request, RetryPolicy(max_attempts=2, base_delay=0.1),
                                           AdaptiveLimiter(2))
        finally:
            await b.aclose()

    return asyncio.run(go())


def test_models_lists_the_served_name(vllm_server):
    data = httpx.get(f"{vllm_server}/models", timeout=10).json()
    assert [m["id"] for m in data["data"]] == [SERVED_NAME]


def test_plain_completion_from_a_real_vllm_server(vllm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)       # a loopback server needs no key
    c = _gen(vllm_server, _req())
    assert c.text.strip()
    assert c.finish_reason in ("stop", "length")
    assert 0 < c.output_tokens <= 32 and c.input_tokens > 10
    assert c.model == SERVED_NAME and c.latency_s > 0
    assert c.raw["id"]


def test_streamed_equals_plain_at_temperature_zero(vllm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    plain = _gen(vllm_server, _req(24))
    streamed = _gen(vllm_server, _req(24), stream=True)
    assert streamed.finish_reason == plain.finish_reason
    assert streamed.text == plain.text and streamed.text.strip()
    assert streamed.raw.get("stream") is True
    assert streamed.output_tokens == plain.output_tokens > 0      # vLLM reports usage in streams


def test_max_tokens_cut_is_length_not_stop(vllm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for stream in (False, True):
        c = _gen(vllm_server, _req(max_tokens=3, text="Write a long essay about the history of trust."),
                 stream=stream)
        assert c.finish_reason == "length", c
        assert c.output_tokens == 3


def test_stop_sequence_ends_with_stop(vllm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    free = _gen(vllm_server, _req(24))
    assert "," in free.text, free.text
    c = _gen(vllm_server, _req(24, stop=[","]))
    assert c.finish_reason == "stop" and "," not in c.text
    assert c.text == free.text.split(",")[0] and c.output_tokens < free.output_tokens


def test_seed_is_sent_and_honoured(vllm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    prompt = "Invent a name for a new kind of fruit and describe its taste."
    a = _gen(vllm_server, _req(24, prompt, temperature=1.0, seed=7))
    b = _gen(vllm_server, _req(24, prompt, temperature=1.0, seed=7))
    others = {_gen(vllm_server, _req(24, prompt, temperature=1.0, seed=s)).text for s in (8, 9, 10)}
    assert a.text == b.text
    assert others - {a.text}, "three other seeds all gave the seed-7 text: seed not applied?"


def test_docgen_generate_through_the_vllm_server(vllm_server, tmp_path):
    out = tmp_path / "run"
    # What a vLLM user writes: vLLM's name for the repeat penalty; brief prompts for a 135M model.
    # vLLM's repetition_penalty counts the prompt too, chat-template end tokens included, so
    # llama.cpp's 1.2 keeps a small model from ever stopping (4 of 6 documents cut at
    # max_tokens, against 1 of 6 at 1.0): --repeat-penalty 1.0 here.
    config = tmp_path / "run.yaml"
    config.write_text("prompt_style: brief\nbackend_options:\n  repeat_penalty_param: repetition_penalty\n")
    env = {k: v for k, v in vllm_env().items() if k != "PYTHONPATH"}
    cmd = [sys.executable, "-m", "docgen", "generate", str(REPO / "corpora" / "examples" / "wren_spec.md"),
           "--config", str(config), "--out", str(out), "--docs", "2", "--genres", "memo,faq", "--no-filters",
           "--backend", "openai", "--base-url", vllm_server, "--model", SERVED_NAME,
           "--repeat-penalty", "1.0", "--max-attempts", "3", "--concurrency", "2"]
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["planned"] == 2
    assert s["accepted"] + sum(s["failed"].values()) == 2
    assert s["requests_sent"] >= 2
    docs = list(iter_documents(out))
    assert len(docs) == s["accepted"] >= 1, (s, r.stdout[-2000:])
    for d in docs:
        assert d.backend == "openai" and d.model == SERVED_NAME and d.finish_reason == "stop"
        assert len(d.text.split()) >= 5 and d.n_tokens > 0 and d.rule_ids and d.value_ids
