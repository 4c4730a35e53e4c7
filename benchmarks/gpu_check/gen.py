"""Greedy generation from the base model + a docgen adapter through docgen's transformers backend.

    python3 .devcheck/gen.py BASE_FOLDER_OR_GGUF ADAPTER_DIR [MAX_TOKENS]
"""
import asyncio
import sys
import time

from docgen.backends import get_backend
from docgen.backends.base import GenerationParams, Request

base, adapter = sys.argv[1], sys.argv[2]
max_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 48
b = get_backend("transformers", base, adapter=adapter)          # dtype auto, device auto
p = GenerationParams(temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.0)
qs = ["Why does Pip not give a child the final answer to a homework problem?",
      "Why does Tern ask for confirmation before deleting files?",
      "Name a cheese.", "What is the capital of France? Answer briefly."]
reqs = [Request(messages=[{"role": "user", "content": q}], params=p) for q in qs]


async def go():
    try:
        return await asyncio.gather(*[b.generate(r) for r in reqs])
    finally:
        await b.aclose()


t0 = time.monotonic()
out = asyncio.run(go())
model, _ = b.loaded()
print(f"backend {b.describe()}  device {next(model.parameters()).device}  dtype {next(model.parameters()).dtype}  "
      f"{time.monotonic() - t0:.1f}s")
for q, c in zip(qs, out):
    print(f"--- {q}\n{c.text!r}  [{c.finish_reason}, {c.output_tokens} tokens]")
assert all(c.text.strip() for c in out), "empty generation"
