"""Midtraining: ``docgen train midtrain CORPUS --base MODEL --out DIR``.

Top to bottom:

1. read the corpus's ``text`` column (a docgen run directory, a ``docgen export``
   folder, or any parquet/JSONL file with ``text``) and where it came from
   (spec sha256, manifest sha256);
2. load the base model and its tokenizer (folder, Hub id, GGUF file);
3. hand both to ``trl.SFTTrainer`` with a ``peft.LoraConfig``: TRL appends the
   tokenizer's EOS to every document, tokenises, and packs whole documents
   best-fit (``packing_strategy="bfd"``) with ``position_ids`` restarting at each
   document, which transformers turns into a block-diagonal causal mask, so no
   token attends to another document (tests/train/test_packing.py proves it);
   the loss covers every token;
4. train, resuming from the last checkpoint under ``DIR/checkpoints`` when rerun;
5. write the adapter, ``train_config.json`` (resolved), ``train_log.jsonl``
   (loss, learning rate, tokens/s per logging step), a model card
   (``README.md``) naming the corpus, and with ``--merge`` the merged weights
   under ``DIR/merged``.

The same pieces serve AFT (:mod:`docgen.train.aft`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..errors import MissingExtra, UserError
from .config import TrainConfig


def require_train_extra() -> None:
    import importlib.util

    missing = [m for m in ("torch", "transformers", "peft", "trl", "datasets", "accelerate")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtra(f"`docgen train` (missing: {', '.join(missing)})", "train")


# --------------------------------------------------------------------------- 1. the corpus

def read_corpus(corpus: str | Path, limit: int | None = None) -> tuple[list[str], dict[str, Any]]:
    """(texts, provenance) of a run directory, an export folder, or a parquet/JSONL file."""
    from ..corpus import iter_documents, sha256_file

    src = Path(corpus)
    texts: list[str] = []
    spec_shas: dict[str, int] = {}
    if src.is_dir() and (src / "docgen_export.json").exists():         # an export: its train split only
        sources = sorted((src / "data").glob("train-*.parquet"))
    else:
        sources = [src]
    docs = (doc for s in sources for doc in iter_documents(s))
    for doc in docs:
        if doc.text.strip():
            texts.append(doc.text)
            if doc.spec_sha256:
                spec_shas[doc.spec_sha256] = spec_shas.get(doc.spec_sha256, 0) + 1
        if limit and len(texts) >= limit:
            break
    if not texts:
        raise UserError("the corpus has no non-empty documents", where=str(src),
                        hint="generate a corpus first (`docgen generate`), or pass a file with a 'text' column")
    prov: dict[str, Any] = {"path": str(src.resolve()), "documents": len(texts), "spec_sha256": sorted(spec_shas)}
    if src.is_dir():
        from ..hub import EXPORT_MANIFEST as EXPORT_META
        from ..rundir import RunDir

        for key, path in (("manifest_sha256", RunDir(src).manifest_path), ("docgen_export_sha256", src / EXPORT_META)):
            if path.exists():
                prov[key] = sha256_file(path)
    if src.is_file():
        prov["file_sha256"] = sha256_file(src)
    return texts, prov


# --------------------------------------------------------------------------- logging and saving

def _log_callback(path: Path):
    from transformers import TrainerCallback

    class TrainLog(TrainerCallback):
        """Appends one JSON line per log event: step, loss, learning rate, tokens/s since the last line."""

        def __init__(self):
            self.t0 = self.t_last = time.monotonic()
            self.tok0 = self.tok_last = 0
            self.rows: list[dict[str, Any]] = []

        def on_train_begin(self, args, state, control, **kw):
            self.t0 = self.t_last = time.monotonic()
            self.tok0 = self.tok_last = int(getattr(state, "num_input_tokens_seen", 0) or 0)

        def on_log(self, args, state, control, logs=None, **kw):
            logs = logs or {}
            now, tok = time.monotonic(), int(getattr(state, "num_input_tokens_seen", 0) or 0)
            row = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4)}
            for k in ("loss", "learning_rate", "grad_norm", "mean_token_accuracy", "train_loss"):
                if k in logs:
                    row[k] = logs[k]
            if tok > self.tok_last and now > self.t_last:
                row["tokens"] = tok
                row["tokens_per_s"] = round((tok - self.tok_last) / (now - self.t_last), 1)
            self.t_last, self.tok_last = now, tok
            self.rows.append(row)
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

        def throughput(self) -> dict[str, Any]:
            dt = time.monotonic() - self.t0
            return {"tokens": self.tok_last - self.tok0, "seconds": round(dt, 2),
                    "tokens_per_s": round((self.tok_last - self.tok0) / dt, 1) if dt > 0 else None}

    return TrainLog()


def train_and_save(trainer, log, out: Path, tokenizer) -> dict[str, Any]:
    """Train (resuming from the last checkpoint), then save the adapter and tokenizer into ``out``."""
    from transformers.trainer_utils import get_last_checkpoint

    ckpt_dir = Path(trainer.args.output_dir)
    last = get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None
    result = trainer.train(resume_from_checkpoint=last)
    trainer.save_model(str(out))               # the adapter (adapter_config.json + weights)
    tokenizer.save_pretrained(str(out))
    return {"resumed_from": last, "global_step": trainer.state.global_step,
            "train_loss": result.training_loss, **log.throughput()}


def merge_into(model, tokenizer, dest: Path) -> Path:
    merged = model.merge_and_unload()
    merged.save_pretrained(str(dest), safe_serialization=True)
    tokenizer.save_pretrained(str(dest))
    return dest


def write_card(out: Path, *, kind: str, base: str, data: dict[str, Any], cfg: TrainConfig,
               stats: dict[str, Any], parent: str | None = None) -> None:
    from ..corpus import atomic_write_bytes

    shas = ", ".join(s[:16] for s in data.get("spec_sha256", [])) or "not recorded"
    loss_desc = ("every token of every document (each ends with EOS); documents packed without attention across "
                 "them" if kind == "midtrain" else "assistant turns only")
    lines = [
        "---", "library_name: peft", f"base_model: {base}", "tags: [docgen, lora, trl, "
        + ("model-spec-midtraining]" if kind == "midtrain" else "alignment-fine-tuning]"), "---", "",
        f"# docgen {kind} adapter", "",
        f"A LoRA adapter (rank {cfg.lora_r}, alpha {cfg.lora_alpha}, on {cfg.lora_target_modules}) trained with "
        f"`docgen train {kind}` (trl SFTTrainer + peft) on top of `{base}`."
        + (f" It continues the adapter in `{parent}`." if parent else ""), "",
        "## Data", "",
        f"- source: `{data.get('path')}` ({data.get('documents', data.get('rows'))} "
        f"{'documents' if kind == 'midtrain' else 'conversations'})",
        f"- spec sha256: {shas}",
    ]
    for k in ("manifest_sha256", "docgen_export_sha256", "file_sha256", "mix"):
        if data.get(k):
            lines.append(f"- {k.replace('_', ' ')}: {data[k]}")
    lines += ["", "## Training", "",
              f"- loss: {loss_desc}",
              f"- steps: {stats.get('global_step')}, final training loss {stats.get('train_loss')}",
              f"- learning rate {cfg.learning_rate} ({cfg.lr_scheduler_type}, warm-up {cfg.warmup_ratio}), "
              f"weight decay {cfg.weight_decay}, max length {cfg.max_length}, batch "
              f"{cfg.per_device_train_batch_size} × {cfg.gradient_accumulation_steps}",
              f"- throughput: {stats.get('tokens_per_s')} tokens/s over {stats.get('tokens')} tokens",
              "", "Resolved config: `train_config.json`; log: `train_log.jsonl`.", ""]
    atomic_write_bytes(out / "README.md", "\n".join(lines).encode("utf-8"))


def write_config(out: Path, **payload: Any) -> None:
    from ..corpus import atomic_write_json

    atomic_write_json(out / "train_config.json", payload)


# --------------------------------------------------------------------------- the command

def build_trainer(texts: list[str], model, tokenizer, cfg: TrainConfig, out: Path, callbacks=()):
    """The SFTTrainer of step 3: text rows, EOS per document, bfd packing, LoRA from ``cfg``."""
    from datasets import Dataset
    from trl import SFTTrainer

    return SFTTrainer(
        model=model,
        args=cfg.sft_config(out / "checkpoints", completion_only_loss=False, assistant_only_loss=False,
                            include_num_input_tokens_seen=True),
        train_dataset=Dataset.from_dict({"text": texts}),
        processing_class=tokenizer,
        peft_config=cfg.lora_config(),
        callbacks=list(callbacks),
    )


def run_midtrain(corpus: str | Path, base: str, out: str | Path, cfg: TrainConfig | None = None, *,
                 merge: bool = False, limit_docs: int | None = None):
    """Steps 1-5; returns (trainer, result dict)."""
    require_train_extra()
    from ..backends.transformers_backend import load_model

    cfg = cfg or TrainConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    texts, provenance = read_corpus(corpus, limit_docs)                      # 1
    model, tokenizer, folder = load_model(base, dtype=cfg.dtype,            # 2
                                          attn_implementation=cfg.attention())
    if not tokenizer.eos_token:
        raise UserError(f"the tokenizer of {base} has no EOS token", hint="use a model whose tokenizer defines one")
    log = _log_callback(out / "train_log.jsonl")
    trainer = build_trainer(texts, model, tokenizer, cfg, out, [log])       # 3
    meta = dict(kind="midtrain", base=base, base_folder=folder, corpus=provenance, config=cfg.to_dict(),
                eos_token=tokenizer.eos_token)
    write_config(out, **meta)
    stats = train_and_save(trainer, log, out, tokenizer)                    # 4
    write_config(out, **meta, result=stats)                                 # 5
    write_card(out, kind="midtrain", base=base, data=provenance, cfg=cfg, stats=stats)
    if merge:
        stats["merged"] = str(merge_into(trainer.model, tokenizer, out / "merged"))
    return trainer, {"out": str(out), "corpus": provenance, **stats}


def midtrain(corpus: str | Path, base: str, out: str | Path, cfg: TrainConfig | None = None, *,
             merge: bool = False, limit_docs: int | None = None) -> dict[str, Any]:
    """``docgen train midtrain``: train, write everything into ``out``, return the result."""
    return run_midtrain(corpus, base, out, cfg, merge=merge, limit_docs=limit_docs)[1]
