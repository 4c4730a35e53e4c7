"""The ``vllm`` backend: in-process offline generation with ``vllm.LLM``.

For users who run vLLM on their own GPUs (or vLLM's CPU build) without a
server. ``model`` is a Hugging Face model folder or hub id; vLLM cannot read
GGUF, see :mod:`docgen.backends.convert_gguf`. Options::

    dtype             "auto" (default), "bfloat16", "float16", "float32"
    max_model_len     context length for the KV cache (default: the model's)
    batch_window_s    how long ``generate`` collects requests before one batch runs (0.05)
    max_batch         the most requests in one batch (256)
    engine_args       a dict passed on to ``vllm.LLM(...)`` (tensor_parallel_size,
                      gpu_memory_utilization, enforce_eager, ...)

The engine calls ``generate`` concurrently; the calls that arrive within
``batch_window_s`` of each other go to ``LLM.chat`` as one batch, run in a
worker thread so the event loop stays free, and vLLM batches them internally.
That is why ``supports_batch`` is False: it names the providers' batch APIs.

``GenerationParams.repeat_penalty`` goes to vLLM's ``repetition_penalty``, which,
unlike llama.cpp's windowed ``repeat_penalty``, also counts the prompt (chat
template end tokens included): 1.2 keeps small models from stopping; use 1.0-1.1.
Failures raise :class:`~docgen.backends.base.BackendError` (not retryable:
a local engine that fails once fails again).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..errors import MissingExtra
from ._batching import BatchingQueue
from .base import Backend, BackendError, Completion, Request

log = logging.getLogger("docgen.backends.vllm")

try:
    import vllm as _vllm
except ModuleNotFoundError as _e:  # pragma: no cover - depends on the environment
    if _e.name != "vllm":
        raise
    raise MissingExtra("the vllm backend", "vllm") from None

_FINISH = {"stop": "stop", "length": "length"}


def map_finish_reason(reason: str | None) -> str:
    return _FINISH.get(reason or "", "incomplete")     # "abort" or none: never a document


class VLLMBackend(BatchingQueue, Backend):
    name = "vllm"
    supports_batch = False

    def __init__(self, model: str = "", **options: Any):
        super().__init__(model=model, **options)
        self.window = float(options.get("batch_window_s", 0.05))
        self.max_batch = int(options.get("max_batch", 256))
        self._llm: Any = None
        self._llm_lock = threading.Lock()
        self._init_queue()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, **self._engine_kwargs()}

    def _engine_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"dtype": self.options.get("dtype", "auto")}
        if self.options.get("max_model_len"):
            kw["max_model_len"] = int(self.options["max_model_len"])
        kw.update(self.options.get("engine_args") or {})
        return kw

    def llm(self) -> Any:
        """The one ``vllm.LLM``, built on first use (slow: it loads the model)."""
        with self._llm_lock:
            if self._llm is None:
                log.info("vllm: loading %s %s", self.model, self._engine_kwargs())
                self._llm = _vllm.LLM(model=self.model, **self._engine_kwargs())
            return self._llm

    @staticmethod
    def sampling_params(request: Request) -> Any:
        p = request.params
        return _vllm.SamplingParams(
            temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
            repetition_penalty=p.repeat_penalty, seed=p.seed + request.sample_index,
            stop=list(p.stop) or None)

    # -- batching -------------------------------------------------------------------------------
    def _run(self, requests: list[Request]) -> list[Completion | BackendError]:
        """One ``LLM.chat`` call for the batch; if it fails, each request alone, so one bad
        request (say, a prompt longer than ``max_model_len``) fails by itself."""
        try:
            llm = self.llm()
        except Exception as e:  # noqa: BLE001 - a model that does not load fails every request
            msg = f"vllm: cannot load {self.model}: {type(e).__name__}: {e}"[:400]
            return [BackendError(msg, retryable=False) for _ in requests]
        try:
            return self._chat(llm, requests)
        except Exception as e:  # noqa: BLE001 - every engine failure becomes a BackendError
            if len(requests) == 1:
                return [BackendError(f"vllm: {type(e).__name__}: {e}"[:400], retryable=False)]
            log.debug("vllm batch of %d failed (%s); running each alone", len(requests), e)
        return [self._run([r])[0] for r in requests]

    def _chat(self, llm: Any, requests: list[Request]) -> list[Completion]:
        outs = llm.chat([r.messages for r in requests], [self.sampling_params(r) for r in requests],
                        use_tqdm=False, add_generation_prompt=True)
        completions = []
        for out in outs:
            o = out.outputs[0]
            completions.append(Completion(
                text=o.text, finish_reason=map_finish_reason(o.finish_reason),
                input_tokens=len(out.prompt_token_ids or []), output_tokens=len(o.token_ids or []),
                model=self.model, raw={"finish_reason": o.finish_reason,
                                       **({"stop_reason": o.stop_reason} if o.stop_reason is not None else {})}))
        return completions

