"""Run inside ``.venv-vllm`` by test_vllm_backend.py: VLLMBackend in process, JSON on stdout.

    .venv-vllm/bin/python tests/backends/vllm_inprocess.py MODEL_DIR OUT.json

Sends concurrent requests through ``VLLMBackend.generate`` the way the engine
does, counts the ``LLM.chat`` calls they turned into, and writes one JSON object
to OUT.json for the test to check (vLLM logs to stdout). ``enforce_eager`` skips
torch.compile, which takes minutes on two CPU cores.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict

from docgen.backends import get_backend
from docgen.backends.base import GenerationParams, Request

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}


def req(text: str, *, max_tokens: int = 24, temperature: float = 0.0, seed: int = 0, sample_index: int = 0,
        stop: tuple[str, ...] = ()) -> Request:
    return Request(messages=[SYSTEM, {"role": "user", "content": text}], sample_index=sample_index,
                   params=GenerationParams(temperature=temperature, top_p=1.0, max_tokens=max_tokens,
                                           repeat_penalty=1.1, seed=seed, stop=stop))


async def one(backend, r: Request) -> dict:
    try:
        return asdict(await backend.generate(r))
    except Exception as e:  # noqa: BLE001 - reported to the test
        return {"error": type(e).__name__, "message": str(e)[:300], "retryable": getattr(e, "retryable", None)}


async def main(backend) -> dict:
    llm = await asyncio.to_thread(backend.llm)          # load first, so timing does not split batches
    calls: list[int] = []
    chat = llm.chat

    def counting_chat(messages, *a, **kw):
        calls.append(len(messages))
        return chat(messages, *a, **kw)

    llm.chat = counting_chat
    fruit = "Invent a name for a new kind of fruit and describe its taste."
    named = {
        "honesty": req("Write one sentence about honesty."),
        "cut": req("Write a long essay about the history of trust.", max_tokens=3),
        "honesty_stop": req("Write one sentence about honesty.", stop=(",",)),
        "sample0": req(fruit, temperature=1.0, seed=7, sample_index=0),
        "sample0_again": req(fruit, temperature=1.0, seed=7, sample_index=0),
        "sample1": req(fruit, temperature=1.0, seed=7, sample_index=1),
        "sample2": req(fruit, temperature=1.0, seed=7, sample_index=2),
    }
    results = dict(zip(named, await asyncio.gather(*(one(backend, r) for r in named.values()))))
    # a prompt longer than max_model_len, sent together with a good one
    bad, good = await asyncio.gather(one(backend, req("hello " * 3000, max_tokens=8)),
                                     one(backend, req("Write one sentence about trust.")))
    results.update(too_long=bad, beside_too_long=good)
    await backend.aclose()
    return {"results": results, "chat_calls": calls,
            "describe": backend.describe(), "supports_batch": backend.supports_batch}


if __name__ == "__main__":
    b = get_backend("vllm", sys.argv[1], dtype="float32", max_model_len=2048, batch_window_s=0.2,
                    engine_args={"enforce_eager": True})
    out = asyncio.run(main(b))
    # a second event loop (a second run in the same process) reuses the loaded engine
    out["again"] = asyncio.run(one(b, req("Write one sentence about honesty.")))
    with open(sys.argv[2], "w") as fh:
        json.dump(out, fh)
