"""The models an eval talks to, named as in ``docgen generate`` (``--backend B --model M``).

- ``local`` (a GGUF, default the embedded SmolLM2), ``openai`` (any OpenAI-compatible
  server, ``--base-url``), ``anthropic``, ``vllm``: docgen's own backends;
- ``transformers``: a Hugging Face model folder (or a GGUF, dequantised once with
  :mod:`docgen.backends.convert_gguf`), optionally with a docgen/peft adapter
  (``--adapter DIR``, the folder ``docgen train`` writes).

inspect_ai reaches all of them through one custom model API, ``docgen/<backend>/<model>``
(:class:`DocgenModelAPI`), so the evaluated model and the grader role are ordinary
inspect models and every sample lands in the inspect log. The one function that sends a
request to a docgen backend is :func:`call_backend`.

Log-probability scoring (:class:`LogprobScorer`) needs the weights, so it works for
``local`` (the GGUF, dequantised) and ``transformers`` models; API models are sampled.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends import Backend, Completion, GenerationParams, Request, get_backend
from ..errors import ConfigError, MissingExtra, UserError

LOGPROB_BACKENDS = {"local", "transformers"}


@dataclass(frozen=True)
class ModelRef:
    backend: str = "local"
    model: str = ""
    adapter: str | None = None
    base_url: str | None = None

    @classmethod
    def parse(cls, text: str) -> "ModelRef":
        """``BACKEND/MODEL`` (the grader's flag form); MODEL may itself contain slashes."""
        backend, _, model = text.partition("/")
        return cls(backend=backend, model=model)

    @property
    def label(self) -> str:
        s = f"{self.backend}/{self.model or 'smollm2-135m (embedded)'}"
        return s + (f"+{Path(self.adapter).name}" if self.adapter else "")

    def check(self) -> "ModelRef":
        if self.adapter and self.backend not in LOGPROB_BACKENDS:
            raise UserError(f"--adapter works with the transformers or local backend, not '{self.backend}'",
                            hint="pass --backend transformers --model BASE --adapter DIR")
        if self.adapter and not (Path(self.adapter) / "adapter_config.json").exists():
            raise UserError("not a peft adapter folder (no adapter_config.json)", where=self.adapter,
                            hint="pass the folder `docgen train` wrote")
        return self


# --------------------------------------------------------------------------- transformers

_HF_CACHE: dict[tuple[str, str | None], "HFModel"] = {}


def _hf_folder(model: str) -> str:
    """A HF folder as given; a GGUF (path or the embedded name) dequantised once into the cache."""
    from ..backends import convert_gguf

    if model in ("", "smollm2-135m"):
        return str(convert_gguf.convert())
    p = Path(model).expanduser()
    if p.suffix.lower() == ".gguf":
        if not p.exists():
            raise ConfigError("model file not found", where=str(p))
        return str(convert_gguf.convert(p, convert_gguf.models_dir() / (p.stem + "-hf")))
    return model


class HFModel:
    """A causal LM (+ optional peft adapter) on CPU or the first GPU, for generation and log-probs."""

    def __init__(self, model: str, adapter: str | None = None):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ModuleNotFoundError:
            raise MissingExtra("the transformers model path", "eval") from None
        folder = _hf_folder(model)
        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        net = AutoModelForCausalLM.from_pretrained(
            folder, dtype=torch.bfloat16 if self.device == "cuda" else torch.float32)
        if adapter:
            try:
                from peft import PeftModel
            except ModuleNotFoundError:
                raise MissingExtra("loading an adapter", "eval", package="peft") from None
            net = PeftModel.from_pretrained(net, adapter)
        self.net = net.to(self.device).eval()
        self.name = f"{model}+{adapter}" if adapter else model
        self.lock = threading.Lock()

    @classmethod
    def get(cls, model: str, adapter: str | None = None) -> "HFModel":
        key = (model, adapter)
        if key not in _HF_CACHE:
            _HF_CACHE[key] = cls(model, adapter)
        return _HF_CACHE[key]

    def chat_ids(self, messages: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):   # newer tokenizers return a BatchEncoding
            ids = ids["input_ids"]
        return list(ids)

    def generate(self, request: Request) -> Completion:
        torch, p = self.torch, request.params
        ids = self.chat_ids(request.messages)
        with self.lock, torch.no_grad():
            torch.manual_seed(p.seed + request.sample_index)
            x = torch.tensor([ids], device=self.device)
            out = self.net.generate(
                input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=p.max_tokens,
                do_sample=p.temperature > 0, temperature=p.temperature or None, top_p=p.top_p if p.temperature else None,
                repetition_penalty=p.repeat_penalty or 1.0, pad_token_id=self.tokenizer.eos_token_id)
        new = out[0, len(ids):].tolist()
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        finish = "length" if len(new) >= p.max_tokens else "stop"
        return Completion(text=text, finish_reason=finish, input_tokens=len(ids), output_tokens=len(new),
                          model=self.name)

    def continuation_logprobs(self, messages: list[dict[str, str]], continuations: list[str]) -> list[float]:
        """Sum of token log-probabilities of each continuation after the chat prompt."""
        torch = self.torch
        prompt = self.chat_ids(messages)
        seqs = [prompt + self.tokenizer.encode(c, add_special_tokens=False) for c in continuations]
        width = max(len(s) for s in seqs)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        x = torch.tensor([s + [pad] * (width - len(s)) for s in seqs], device=self.device)
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs], device=self.device)
        with self.lock, torch.no_grad():
            logits = self.net(input_ids=x, attention_mask=mask).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        out = []
        for i, s in enumerate(seqs):
            pos = torch.arange(len(prompt) - 1, len(s) - 1, device=self.device)
            tgt = torch.tensor(s[len(prompt):], device=self.device)
            out.append(float(logp[i, pos, tgt].sum()))
        return out


class LogprobScorer:
    """``score(messages, [a, b]) -> [logp(a), logp(b)]`` for local/transformers models."""

    def __init__(self, ref: ModelRef):
        if ref.backend not in LOGPROB_BACKENDS:
            raise UserError(f"log-probability scoring needs the model's weights; backend '{ref.backend}' has none",
                            hint="use --backend local/transformers, or --method sample for API models")
        self.model = HFModel.get(ref.model, ref.adapter)

    def score(self, messages: list[dict[str, str]], continuations: list[str]) -> list[float]:
        return self.model.continuation_logprobs(messages, continuations)


# --------------------------------------------------------------------------- backends

class _HFBackend(Backend):
    name = "transformers"

    def __init__(self, model: str = "", adapter: str | None = None, **options: Any):
        super().__init__(model=model, **options)
        self.hf = HFModel.get(model, adapter)

    async def generate(self, request: Request) -> Completion:
        return await asyncio.to_thread(self.hf.generate, request)


def make_backend(ref: ModelRef, **options: Any) -> Backend:
    ref.check()
    if ref.backend == "transformers" or ref.adapter:
        return _HFBackend(ref.model, ref.adapter)
    opts = dict(options)
    if ref.base_url:
        opts["base_url"] = ref.base_url
    if ref.backend == "local":
        opts.setdefault("n_ctx", 8192)   # the scenarios' inboxes run to ~3k tokens
    return get_backend(ref.backend, ref.model, **opts)


async def call_backend(backend: Backend, messages: list[dict[str, str]], params: GenerationParams,
                       sample_index: int = 0) -> Completion:
    """The one place an eval sends a request to a docgen backend: through the model-call gateway
    (docgen.calls: the retry policy, the limiter, a rejected key stops the eval with a hint)."""
    from ..calls import Calls

    calls = _GATEWAYS.get(id(backend))
    if calls is None or calls.backend is not backend:
        calls = _GATEWAYS[id(backend)] = Calls(backend)
    return await calls.complete(Request(messages=messages, params=params, sample_index=sample_index), purpose="eval")


_GATEWAYS: dict[int, Any] = {}


# --------------------------------------------------------------------------- inspect

_BACKENDS: dict[str, Backend] = {}
_REGISTERED = False


def _require_inspect():
    try:
        import inspect_ai  # noqa: F401
    except ModuleNotFoundError:
        raise MissingExtra("docgen eval", "eval") from None


def register_inspect_api() -> None:
    """Register the ``docgen`` provider with inspect_ai (once, when an eval starts)."""
    global _REGISTERED
    if _REGISTERED:
        return
    _require_inspect()
    from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, modelapi

    class DocgenModelAPI(ModelAPI):
        """``docgen/<backend>/<model>``: a docgen backend behind inspect's model interface."""

        def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                     config: GenerateConfig = GenerateConfig(), **model_args: Any):
            super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
            backend, _, model = model_name.partition("/")
            self.ref = ModelRef(backend=backend, model=model, adapter=model_args.pop("adapter", None),
                                base_url=base_url)
            self.repeat_penalty = model_args.pop("repeat_penalty", None)
            # one backend (one loaded model) per ref; backends given extra options are not shared
            key = repr(self.ref)
            if model_args:
                self.backend = make_backend(self.ref, **model_args)
            else:
                if key not in _BACKENDS:
                    _BACKENDS[key] = make_backend(self.ref)
                self.backend = _BACKENDS[key]
            self._calls = 0

        def max_connections(self) -> int:
            return 1 if self.ref.backend in LOGPROB_BACKENDS else 8

        async def generate(self, input, tools, tool_choice, config):
            messages = [{"role": m.role, "content": m.text} for m in input]
            defaults = GenerationParams()
            rp = self.repeat_penalty if self.repeat_penalty is not None else (
                defaults.repeat_penalty if self.ref.backend == "local" else 1.0)
            params = GenerationParams(
                temperature=config.temperature if config.temperature is not None else defaults.temperature,
                top_p=config.top_p if config.top_p is not None else 1.0,
                max_tokens=config.max_tokens or defaults.max_tokens, repeat_penalty=rp,
                seed=config.seed if config.seed is not None else 0)
            self._calls += 1
            # each call in a run samples afresh (the seed moves with the call count)
            done = await call_backend(self.backend, messages, params, sample_index=self._calls)
            stop = {"stop": "stop", "length": "max_tokens", "content_filter": "content_filter"}.get(
                done.finish_reason, "unknown")
            out = ModelOutput.from_content(model=self.model_name, content=done.text, stop_reason=stop)
            from inspect_ai.model import ModelUsage
            out.usage = ModelUsage(input_tokens=done.input_tokens, output_tokens=done.output_tokens,
                                   total_tokens=done.input_tokens + done.output_tokens)
            return out

    modelapi(name="docgen")(DocgenModelAPI)
    _REGISTERED = True


def inspect_model(ref: ModelRef, *, role: str | None = None, **model_args: Any):
    """An inspect ``Model`` for ``ref`` (through the ``docgen`` provider)."""
    register_inspect_api()
    from inspect_ai.model import get_model

    args = dict(model_args)
    if ref.adapter:
        args["adapter"] = ref.adapter
    return get_model(f"docgen/{ref.backend}/{ref.model}", base_url=ref.base_url, memoize=False, **args)
