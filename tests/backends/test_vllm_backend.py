"""The ``vllm`` backend: in-process offline generation with ``vllm.LLM`` (vLLM's CPU build).

vLLM lives in its own venv (``.venv-vllm``, built by ``bash tests/backends/vllm_env.sh``),
so the slow test runs tests/backends/vllm_inprocess.py there, with docgen on
PYTHONPATH, against the embedded SmolLM2-135M converted to safetensors, and
checks the JSON it prints: texts, finish reasons, usage, seeds per sample
index, stop sequences, one bad request failing alone, and concurrent calls
batched into few ``LLM.chat`` calls. Without the venv it is skipped (under CI it fails).

The fast tests at the top run in docgen's own venv against a stand-in ``vllm``
module (a few lines below, recording what it is asked): they pin the mapping
and the batching logic; the slow ones show that the real engine agrees.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import types
from dataclasses import dataclass, field

import pytest

from docgen.backends.base import BackendError, GenerationParams, Request
from docgen.errors import MissingExtra

from tests.backends.vllm_support import REPO, converted_model, require_venv, vllm_env


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed in this venv")
def test_missing_vllm_names_the_install_line():
    from docgen.backends import get_backend

    with pytest.raises(MissingExtra) as e:
        get_backend("vllm", "some/model")
    assert "pip install 'docgen[vllm]'" in str(e.value)


# -- fast: a stand-in vllm module -------------------------------------------------------------

@dataclass
class _Out:
    text: str
    token_ids: list[int]
    finish_reason: str | None
    stop_reason: object = None


@dataclass
class _ReqOut:
    prompt_token_ids: list[int]
    outputs: list[_Out]


@dataclass
class _StandIn:
    """Records every LLM(...) and LLM.chat(...) call; answers from the request itself."""
    inits: list[dict] = field(default_factory=list)
    chats: list[tuple[list, list]] = field(default_factory=list)
    fail_load: bool = False

    def module(self) -> types.ModuleType:
        rec = self
        mod = types.ModuleType("vllm")

        class SamplingParams:
            def __init__(self, **kw):
                self.kw = kw

        class LLM:
            def __init__(self, **kw):
                rec.inits.append(kw)
                if rec.fail_load:
                    raise RuntimeError("no such model")

            def chat(self, messages, sampling_params, **kw):
                rec.chats.append((messages, [p.kw for p in sampling_params]))
                outs = []
                for conv, p in zip(messages, sampling_params):
                    words = conv[-1]["content"].split()
                    if words == ["BAD"]:
                        raise ValueError("prompt too long")
                    n = min(len(words), p.kw["max_tokens"])
                    reason = "abort" if words == ["ABORT"] else ("length" if n < len(words) else "stop")
                    outs.append(_ReqOut(list(range(len(conv) * 10)),
                                        [_Out(" ".join(words[:n]), list(range(n)), reason)]))
                return outs

        mod.SamplingParams, mod.LLM = SamplingParams, LLM
        return mod


@pytest.fixture
def standin(monkeypatch):
    rec = _StandIn()
    monkeypatch.setitem(sys.modules, "vllm", rec.module())
    sys.modules.pop("docgen.backends.vllm_backend", None)
    yield rec
    sys.modules.pop("docgen.backends.vllm_backend", None)     # the next import sees the real world


def _r(text, max_tokens=50, **kw):
    return Request(messages=[{"role": "user", "content": text}],
                   params=GenerationParams(max_tokens=max_tokens, **kw.pop("params", {})), **kw)


def _gather(backend, requests):
    async def go():
        async def one(r):
            try:
                return await backend.generate(r)
            except BackendError as e:
                return e
        out = await asyncio.gather(*(one(r) for r in requests))
        await backend.aclose()
        return out
    return asyncio.run(go())


def test_standin_concurrent_calls_become_one_batch_with_mapped_params(standin):
    from docgen.backends import get_backend

    b = get_backend("vllm", "org/model", dtype="float32", max_model_len=512, batch_window_s=0.05,
                    engine_args={"enforce_eager": True})
    assert b.supports_batch is False
    reqs = [_r("one two three"), _r("a b c d e f", max_tokens=2),
            _r("x y", sample_index=3, params={"seed": 10, "temperature": 0.7, "top_p": 0.8,
                                              "repeat_penalty": 1.3, "stop": ("\n\n",)}),
            _r("ABORT")]
    done = _gather(b, reqs)
    assert standin.inits == [{"model": "org/model", "dtype": "float32", "max_model_len": 512, "enforce_eager": True}]
    assert len(standin.chats) == 1 and standin.chats[0][0] == [r.messages for r in reqs]
    params = standin.chats[0][1]
    assert params[2] == {"temperature": 0.7, "top_p": 0.8, "max_tokens": 50, "repetition_penalty": 1.3,
                         "seed": 13, "stop": ["\n\n"]}
    assert params[0]["stop"] is None and params[0]["seed"] == 0 and params[1]["max_tokens"] == 2
    assert [c.finish_reason for c in done] == ["stop", "length", "stop", "incomplete"]
    assert done[0].text == "one two three" and done[1].text == "a b"
    assert (done[1].input_tokens, done[1].output_tokens) == (10, 2)
    assert done[0].model == "org/model" and all(c.latency_s > 0 for c in done)
    assert done[3].raw == {"finish_reason": "abort"}

    # a second event loop: the same engine, a new batching task
    again = _gather(b, [_r("hello there")])
    assert again[0].text == "hello there" and len(standin.inits) == 1 and len(standin.chats) == 2


def test_standin_a_failing_request_fails_alone(standin):
    from docgen.backends import get_backend

    b = get_backend("vllm", "m", batch_window_s=0.05)
    done = _gather(b, [_r("fine one"), _r("BAD"), _r("fine two")])
    assert [len(m) for m, _ in standin.chats] == [3, 1, 1, 1]
    assert done[0].text == "fine one" and done[2].text == "fine two"
    assert isinstance(done[1], BackendError) and not done[1].retryable and "prompt too long" in str(done[1])


def test_standin_a_model_that_does_not_load_fails_every_request_once(standin):
    from docgen.backends import get_backend

    standin.fail_load = True
    done = _gather(get_backend("vllm", "no/such", batch_window_s=0.05), [_r("a"), _r("b")])
    assert all(isinstance(e, BackendError) and not e.retryable and "cannot load no/such" in str(e) for e in done)
    assert len(standin.inits) == 1 and standin.chats == []


# -- slow: the real engine in .venv-vllm ------------------------------------------------------

@pytest.fixture(scope="module")
def inprocess(tmp_path_factory):
    py = require_venv()
    model = converted_model()
    out = tmp_path_factory.mktemp("vllm") / "out.json"
    proc = subprocess.Popen([str(py), str(REPO / "tests" / "backends" / "vllm_inprocess.py"), str(model), str(out)],
                            cwd=REPO, env=vllm_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)          # the script and vLLM's engine processes
        stdout, stderr = proc.communicate()
        pytest.fail(f"the in-process vLLM script ran past 900 s:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{stdout[-3000:]}\n{stderr[-3000:]}"
    return model, json.loads(out.read_text())


@pytest.mark.slow
def test_completions_text_usage_and_finish_reasons(inprocess):
    model, out = inprocess
    res = out["results"]
    c = res["honesty"]
    assert c["text"].strip() and c["finish_reason"] in ("stop", "length")
    assert c["input_tokens"] > 10 and 0 < c["output_tokens"] <= 24
    assert c["model"] == str(model) and c["latency_s"] > 0
    cut = res["cut"]
    assert cut["finish_reason"] == "length" and cut["output_tokens"] == 3
    assert out["again"]["text"].strip() and out["again"]["input_tokens"] == c["input_tokens"]   # a second loop
    assert out["supports_batch"] is False
    assert out["describe"]["backend"] == "vllm" and out["describe"]["max_model_len"] == 2048
    assert out["describe"]["enforce_eager"] is True


@pytest.mark.slow
def test_stop_sequence(inprocess):
    res = inprocess[1]["results"]
    free = res["honesty"]["text"]
    assert "," in free, free
    stopped = res["honesty_stop"]
    assert stopped["finish_reason"] == "stop" and stopped["raw"].get("stop_reason") == ","
    assert "," not in stopped["text"] and stopped["text"].strip()


@pytest.mark.slow
def test_seed_plus_sample_index(inprocess):
    res = inprocess[1]["results"]
    assert res["sample0"]["text"] == res["sample0_again"]["text"]
    others = {res["sample1"]["text"], res["sample2"]["text"]}
    assert others - {res["sample0"]["text"]}, "sample indexes 1 and 2 gave sample 0's text"


@pytest.mark.slow
def test_a_bad_request_fails_alone_and_requests_are_batched(inprocess):
    out = inprocess[1]
    bad = out["results"]["too_long"]
    assert bad.get("error") == "BackendError" and bad["retryable"] is False, bad
    good = [k for k, v in out["results"].items() if k != "too_long"]
    assert all("error" not in out["results"][k] for k in good)
    assert out["results"]["beside_too_long"]["text"].strip()
    # seven concurrent calls: one LLM.chat batch; then the bad prompt and a good one: a batch of
    # two that fails, then each alone; last, "again" in a second event loop
    assert out["chat_calls"] == [7, 2, 1, 1, 1], out["chat_calls"]
