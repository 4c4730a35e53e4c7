"""The ``transformers`` backend: batched ``model.generate`` in this process, GPU or CPU.

For a machine with a GPU but no vLLM, and for sampling from a base model plus a
LoRA adapter (``docgen train``'s output). ``model`` is a local folder, a Hub id
(when the Hub is reachable), a ``.gguf`` file (dequantised once into a cache
folder, see :mod:`docgen.backends.convert_gguf`) or ``smollm2-135m`` (the
embedded model). Options::

    adapter          a PEFT adapter folder to put on top of the model
    dtype            "auto" (bfloat16 on a GPU that has it, else float32), "bfloat16", "float16", "float32"
    device           "auto" (cuda when available, else cpu), or any torch device
    batch_window_s   how long ``generate`` collects requests before one batch runs (0.05)
    max_batch        the most requests in one ``generate`` call (64)

Requests that arrive together and share sampling parameters run as one left-padded
``generate`` call in a worker thread; the sampling seed is set per batch, so a
batch's output is reproducible, not each request alone.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from ..errors import MissingExtra, UserError
from ._batching import BatchingQueue
from .base import Backend, BackendError, Completion, Request

log = logging.getLogger("docgen.backends.transformers")
EMBEDDED = "smollm2-135m"


def _require() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ModuleNotFoundError:
        raise MissingExtra("the transformers backend and `docgen train`", "train") from None


def resolve_dtype(dtype: str = "auto"):
    import torch

    if dtype in ("auto", None, ""):
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    return getattr(torch, str(dtype))


def resolve_device(device: str = "auto") -> str:
    import torch

    return ("cuda" if torch.cuda.is_available() else "cpu") if device in ("auto", None, "") else device


def model_folder(ref: str) -> str:
    """A local folder or Hub id for ``from_pretrained``; a GGUF file (or ``smollm2-135m``) is
    dequantised once into ``$DOCGEN_MODELS`` (default ~/.cache/docgen/models)."""
    from . import convert_gguf

    if ref == EMBEDDED:
        return str(convert_gguf.convert())
    p = Path(ref).expanduser()
    if p.suffix.lower() == ".gguf":
        if not p.is_file():
            raise UserError("GGUF file not found", where=str(p), hint="pass an existing .gguf file")
        return str(convert_gguf.convert(p, convert_gguf.models_dir() / f"{p.stem}-hf"))
    return str(p) if p.exists() else ref


def load_model(ref: str, *, dtype: str = "auto", device: str | None = None, attn_implementation: str | None = None):
    """(model, tokenizer, folder) for a folder, Hub id, GGUF file or ``smollm2-135m``.

    GGUF quantisation marks (``hf_quantizer``, ``config.quantization_config``) are dropped:
    the weights are already dequantised, and Trainer refuses a model that carries them.
    """
    _require()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = model_folder(ref)
    kw: dict[str, Any] = {"dtype": resolve_dtype(dtype)}
    if attn_implementation:
        kw["attn_implementation"] = attn_implementation
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, **kw)
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except OSError as e:
        raise UserError(f"cannot load model '{ref}': {str(e).splitlines()[0][:200]}", where=ref,
                        hint="pass a local model folder, a .gguf file, smollm2-135m, or a Hub id when the Hub "
                             "is reachable") from None
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if getattr(model, "is_quantized", False):
        model.is_quantized = False
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if device:
        model.to(resolve_device(device))
    return model, tokenizer, folder


class TransformersBackend(BatchingQueue, Backend):
    name = "transformers"
    supports_batch = False

    def __init__(self, model: str = "", **options: Any):
        super().__init__(model=model or EMBEDDED, **options)
        _require()
        self.window = float(options.get("batch_window_s", 0.05))
        self.max_batch = int(options.get("max_batch", 64))
        self._model: Any = None
        self._tok: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._init_queue()

    def describe(self) -> dict[str, Any]:
        d = {"backend": self.name, "model": self.model, "dtype": self.options.get("dtype", "auto")}
        if self.options.get("adapter"):
            d["adapter"] = str(self.options["adapter"])
        return d

    def loaded(self):
        """(model, tokenizer), loaded on first use, adapter applied, in eval mode."""
        with self._load_lock:
            if self._model is None:
                model, tok, _ = load_model(self.model, dtype=self.options.get("dtype", "auto"),
                                           device=self.options.get("device", "auto"))
                if self.options.get("adapter"):
                    from peft import PeftModel

                    model = PeftModel.from_pretrained(model, str(self.options["adapter"]))
                tok.padding_side = "left"
                self._model, self._tok = model.eval(), tok
            return self._model, self._tok

    def batch_key(self, request: Request) -> Any:
        return request.params          # one generate() call per set of sampling parameters

    def _run(self, requests: list[Request]) -> list[Completion | BackendError]:
        try:
            model, tok = self.loaded()
        except Exception as e:  # noqa: BLE001 - a model that does not load fails every request
            return [BackendError(f"transformers: cannot load {self.model}: {type(e).__name__}: {e}"[:400],
                                 retryable=False) for _ in requests]
        try:
            with self._run_lock:
                return self.generate_batch(model, tok, requests)
        except Exception as e:  # noqa: BLE001
            return [BackendError(f"transformers: {type(e).__name__}: {e}"[:400], retryable=False) for _ in requests]

    def generate_batch(self, model, tok, requests: list[Request]) -> list[Completion]:
        """One left-padded ``generate`` for requests that share their sampling parameters."""
        import torch

        p = requests[0].params
        prompts = [tok.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True) for r in requests]
        enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        torch.manual_seed(p.seed + requests[0].sample_index)
        kw: dict[str, Any] = dict(max_new_tokens=p.max_tokens, pad_token_id=tok.pad_token_id,
                                  repetition_penalty=p.repeat_penalty)
        if p.temperature > 0:
            kw.update(do_sample=True, temperature=p.temperature, top_p=p.top_p)
        else:
            kw.update(do_sample=False)
        if p.stop:
            kw.update(stop_strings=list(p.stop), tokenizer=tok)
        with torch.inference_mode():
            out = model.generate(**enc, **kw)
        new = out[:, enc["input_ids"].shape[1]:]
        eos = set(_as_list(model.generation_config.eos_token_id) + _as_list(tok.eos_token_id))
        completions = []
        for i, row in enumerate(new.tolist()):
            n_prompt = int(enc["attention_mask"][i].sum())
            ended = next((j for j, t in enumerate(row) if t in eos), None)
            toks = row[:ended] if ended is not None else [t for t in row if t != tok.pad_token_id]
            text = tok.decode(toks, skip_special_tokens=True)
            stopped = ended is not None or any(s in text for s in p.stop)
            completions.append(Completion(text=text, finish_reason="stop" if stopped or len(toks) < p.max_tokens
                                          else "length", input_tokens=n_prompt, output_tokens=len(toks),
                                          model=self.model))
        return completions



def _as_list(x) -> list[int]:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [int(x)]
