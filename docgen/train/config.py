"""The training recipe as one typed config: defaults, YAML, and CLI flags with TRL's names.

Defaults are the MSM recipe (paper appendix B.4 and its released adapters): LoRA
rank 64, alpha 128, dropout 0 on the q/k/v/o/gate/up/down projections; AdamW,
learning rate 1e-4, cosine schedule, 5% warm-up, weight decay 0.01, one epoch;
sequences of 8192 tokens (the cheese study used 4096); every document ends in
EOS and is trained on every token (midtraining); AFT continues the same adapter
with loss on the assistant's turns only.

Batch size and accumulation are not part of the published recipe; the defaults
(1 × 16 packed sequences of ``max_length``) are a starting point for one GPU.

    cfg = TrainConfig.load("train.yaml", {"max_steps": 20})   # YAML, then overrides
    cfg.sft_config("runs/msm/checkpoints")                     # a trl.SFTConfig
    cfg.lora_config()                                          # a peft.LoraConfig

Every field is a flag of ``docgen train midtrain`` / ``docgen train aft``
(``learning_rate`` → ``--learning-rate``); a YAML file given with ``--config``
sets fields too, and flags override it.
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError

LORA_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"


def _f(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    # optimisation (transformers.TrainingArguments names)
    learning_rate: float = _f(1e-4, "peak learning rate (AdamW)")
    lr_scheduler_type: str = _f("cosine", "learning-rate schedule")
    warmup_ratio: float = _f(0.05, "share of the steps spent warming up")
    weight_decay: float = _f(0.01, "AdamW weight decay")
    num_train_epochs: float = _f(1.0, "passes over the data")
    max_steps: int = _f(-1, "stop after this many optimiser steps (-1: run the epochs)")
    per_device_train_batch_size: int = _f(1, "sequences per device per micro-batch")
    gradient_accumulation_steps: int = _f(16, "micro-batches per optimiser step")
    gradient_checkpointing: bool = _f(True, "recompute activations in the backward pass (less memory)")
    seed: int = _f(42, "random seed")
    logging_steps: int = _f(10, "log loss, learning rate and tokens/s every N steps")
    save_steps: int = _f(200, "write a checkpoint every N steps (a rerun resumes from the last one)")
    save_total_limit: int = _f(2, "checkpoints to keep")
    dtype: str = _f("auto", "weights and compute dtype: auto (bfloat16 on a GPU that has it, else float32), "
                            "bfloat16, float16, float32", choices=("auto", "bfloat16", "float16", "float32"))
    # data (trl.SFTConfig names)
    max_length: int = _f(8192, "tokens per packed sequence")
    packing: bool = _f(True, "pack documents into sequences of max_length")
    packing_strategy: str = _f("bfd", "bfd: whole documents, best-fit, position_ids restart at each document "
                                      "(no attention across documents); wrapped: cut at max_length",
                               choices=("bfd", "bfd_split", "wrapped"))
    dataset_num_proc: int | None = _f(None, "processes for tokenising")
    attn_implementation: str | None = _f(None, "attention kernel (default: the model's; flash_attention_2 on GPU "
                                               "when installed)")
    # LoRA (trl.ModelConfig names)
    lora_r: int = _f(64, "LoRA rank")
    lora_alpha: int = _f(128, "LoRA alpha")
    lora_dropout: float = _f(0.0, "LoRA dropout")
    lora_target_modules: str = _f(LORA_TARGETS, "comma-separated module names that get LoRA")

    # ---------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> "TrainConfig":
        data: dict[str, Any] = {}
        if path:
            data.update(_read_yaml(Path(path), {f.name for f in fields(cls)}))
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
        try:
            cfg = cls(**data)
        except TypeError as e:
            raise ConfigError(f"bad training config: {e}", where=str(path) if path else None,
                              hint="`docgen train midtrain --help` lists the fields") from None
        cfg.check(str(path) if path else None)
        return cfg

    def check(self, where: str | None = None) -> None:
        for f in fields(self):
            choices = f.metadata.get("choices")
            if choices and getattr(self, f.name) not in choices:
                raise ConfigError(f"{f.name} must be one of {', '.join(choices)}", where=where,
                                  hint=f"got {getattr(self, f.name)!r}")
        for name in ("learning_rate", "max_length", "per_device_train_batch_size", "gradient_accumulation_steps",
                     "lora_r", "lora_alpha"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0", where=where, hint=f"got {getattr(self, name)!r}")
        if not 0 <= self.warmup_ratio < 1 or not 0 <= self.lora_dropout < 1:
            raise ConfigError("warmup_ratio and lora_dropout must be in [0, 1)", where=where)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ---------------------------------------------------------------- to trl / peft
    def torch_dtype(self):
        import torch

        if self.dtype == "auto":
            return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
        return getattr(torch, self.dtype)

    def attention(self) -> str | None:
        """``attn_implementation``, else flash_attention_2 on a GPU where flash-attn is installed
        (packed rows then need no materialised mask), else the model's default (sdpa)."""
        import importlib.util

        import torch

        if self.attn_implementation:
            return self.attn_implementation
        if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
            return "flash_attention_2"
        return None

    def lora_config(self):
        from peft import LoraConfig

        return LoraConfig(r=self.lora_r, lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
                          target_modules=[m.strip() for m in self.lora_target_modules.split(",") if m.strip()],
                          bias="none", task_type="CAUSAL_LM")

    def sft_config(self, output_dir: str | Path, **extra: Any):
        """A ``trl.SFTConfig``; ``extra`` overrides (the AFT step passes its own)."""
        import torch
        from trl import SFTConfig

        dt = self.torch_dtype()
        kw: dict[str, Any] = dict(
            output_dir=str(output_dir), learning_rate=self.learning_rate, lr_scheduler_type=self.lr_scheduler_type,
            warmup_ratio=self.warmup_ratio, weight_decay=self.weight_decay, optim="adamw_torch",
            num_train_epochs=self.num_train_epochs, max_steps=self.max_steps,
            per_device_train_batch_size=self.per_device_train_batch_size,
            gradient_accumulation_steps=self.gradient_accumulation_steps,
            gradient_checkpointing=self.gradient_checkpointing, seed=self.seed, data_seed=self.seed,
            logging_steps=self.logging_steps, save_steps=self.save_steps, save_total_limit=self.save_total_limit,
            bf16=dt == torch.bfloat16, fp16=dt == torch.float16, max_length=self.max_length, packing=self.packing,
            packing_strategy=self.packing_strategy, dataset_num_proc=self.dataset_num_proc,
            report_to="none", dataset_text_field="text", disable_tqdm=True, use_cpu=not torch.cuda.is_available(),
        )
        known = _sft_fields()
        if "warmup_ratio" not in known:          # transformers 5: warmup_steps takes a ratio when below 1
            kw["warmup_steps"] = float(kw.pop("warmup_ratio"))
        kw.update(extra)
        return SFTConfig(**{k: v for k, v in kw.items() if k in known})


def _sft_fields() -> set[str]:
    from trl import SFTConfig

    return {f.name for f in fields(SFTConfig)}


def _read_yaml(path: Path, known: set[str]) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("training config not found", where=str(path), hint="pass an existing YAML file") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(e, 'problem', e)}", where=f"{path}:{mark.line + 1 if mark else 1}",
                          hint="fix the YAML syntax") from None
    if not isinstance(data, dict):
        raise ConfigError("a training config must be a mapping of field: value", where=f"{path}:1")
    for k in data:
        if k not in known:
            line = next((i for i, ln in enumerate(text.splitlines(), 1) if ln.lstrip().startswith(f"{k}:")), 1)
            raise ConfigError(f"unknown field '{k}'", where=f"{path}:{line}",
                              hint="fields: " + ", ".join(sorted(known)))
    return data


# ---------------------------------------------------------------- CLI flags

def add_flags(p: argparse.ArgumentParser, defaults: TrainConfig | None = None) -> None:
    """One flag per field (``--learning-rate``), default shown in --help; unset flags stay
    out of the namespace so a YAML file's values are not overridden by defaults."""
    defaults = defaults or TrainConfig()
    g = p.add_argument_group("training recipe (TRL names; defaults are the MSM recipe)")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        help_ = f"{f.metadata['help']} (default: {default})"
        if f.type in ("bool", bool):
            g.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                           help=help_)
            continue
        typ = {"float": float, "int": int}.get(str(f.type).split(" ")[0], str)
        g.add_argument(flag, dest=f.name, type=typ, default=argparse.SUPPRESS, help=help_,
                       choices=f.metadata.get("choices"),
                       metavar=None if f.metadata.get("choices") else {int: "N", float: "X"}.get(typ, "S"))
    g.add_argument("--config", dest="train_config", default=None, metavar="YAML",
                   help="YAML file of the fields above; flags override it")


def from_args(args: argparse.Namespace, defaults: dict[str, Any] | None = None) -> TrainConfig:
    """The recipe < the command's own defaults (``defaults``) < the YAML file < flags."""
    names = {f.name for f in fields(TrainConfig)}
    data = dict(defaults or {})
    path = getattr(args, "train_config", None)
    if path:
        data.update(_read_yaml(Path(path), names))
    data.update({k: v for k, v in vars(args).items() if k in names})
    return TrainConfig.load(None, data)


assert all(f.default is not MISSING for f in fields(TrainConfig))
