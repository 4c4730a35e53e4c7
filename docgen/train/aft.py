"""Alignment fine-tuning: ``docgen train aft DATA --adapter MIDTRAIN_DIR --out DIR [--mix FILE]``.

Top to bottom:

1. read the chat rows (``{"messages": [...]}``; DATA is a JSONL/parquet file or
   the folder ``docgen aft generate`` wrote) and, with ``--mix``, a general
   instruction-tuning set in the same form;
2. load the base model the midtraining adapter was trained on and put that
   adapter back on it with ``is_trainable=True``: AFT continues the same
   adapter, it does not start a new one;
3. tokenise each conversation with the model's chat template and mark the
   assistant's tokens (:func:`assistant_mask`), then refuse to train when a
   mask is all zeros (nothing would be learnt) or all ones (the user's words
   would be learnt too) — the silent failure some chat templates cause;
4. train with ``trl.SFTTrainer`` on ``input_ids`` + ``labels`` (-100 outside
   the assistant's turns), resuming from the last checkpoint when rerun;
5. write the adapter, config, log and model card as midtraining does.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ..errors import UserError
from .config import TrainConfig
from .midtrain import _log_callback, merge_into, require_train_extra, train_and_save, write_card, write_config

# --------------------------------------------------------------------------- 1. the chat rows


def read_chats(path: str | Path, reasoning: bool = True) -> list[list[dict[str, str]]]:
    src = Path(path)
    if src.is_dir():
        src = src / ("with_reasoning.jsonl" if reasoning else "no_reasoning.jsonl")
    if not src.exists():
        raise UserError("chat data not found", where=str(src),
                        hint="pass a JSONL/parquet file of {\"messages\": [...]} rows, or a `docgen aft generate` folder")
    rows: list[tuple[int, Any]] = []
    if src.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(src)
        if "messages" not in table.column_names:
            raise UserError("parquet file has no 'messages' column", where=str(src), hint="AFT data needs 'messages'")
        rows = list(enumerate(table.column("messages").to_pylist(), 1))
    else:
        with open(src, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append((n, json.loads(line).get("messages")))
                    except (json.JSONDecodeError, AttributeError):
                        raise UserError("not a JSON object", where=f"{src}:{n}",
                                        hint="each line must be {\"messages\": [...]}") from None
    chats = []
    for n, msgs in rows:
        ok = isinstance(msgs, list) and msgs and all(
            isinstance(m, dict) and m.get("role") in ("system", "user", "assistant") and isinstance(m.get("content"), str)
            for m in msgs)
        if not ok or not any(m["role"] == "assistant" for m in msgs):
            raise UserError("row needs 'messages': a list of {role, content} with at least one assistant turn",
                            where=f"{src}:{n}", hint="roles are system, user and assistant")
        chats.append([{"role": m["role"], "content": m["content"]} for m in msgs])
    if not chats:
        raise UserError("no conversations", where=str(src), hint="generate some with `docgen aft generate`")
    return chats


# --------------------------------------------------------------------------- 3. assistant masks

def assistant_mask(tokenizer, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """(input_ids, mask): 1 on the tokens of the assistant's turns (content and end-of-turn token).

    A template with ``{% generation %}`` markers is asked for its mask directly
    (``return_assistant_tokens_mask``). Otherwise each assistant turn's characters are
    found by rendering the conversation up to the turn's start (with the generation
    prompt) and through its end, and tokens inside that span are marked, using the fast
    tokenizer's offsets. Whitespace after the end-of-turn token is left out.
    """
    template = tokenizer.chat_template or ""
    if "{% generation %}" in template.replace("{%-", "{%").replace("-%}", "%}"):
        enc = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True,
                                            return_assistant_tokens_mask=True)
        return list(enc["input_ids"]), list(enc["assistant_masks"])

    def render(msgs, gen=False) -> str:
        return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen)

    full = render(messages)
    spans = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before, through = render(messages[:i], gen=True), render(messages[: i + 1])
        if not (full.startswith(before) and full.startswith(through) and through.startswith(before)):
            raise UserError("the chat template renders a conversation differently from its prefixes, so the "
                            "assistant's tokens cannot be located",
                            hint="use a tokenizer whose chat template has {% generation %} markers "
                                 "(trl.chat_template_utils.get_training_chat_template gives one for common models)")
        end = len(through.rstrip())
        spans.append((len(before), end))
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    mask = [int(any(s <= a and b <= e and b > a for s, e in spans)) for a, b in enc["offset_mapping"]]
    return list(enc["input_ids"]), mask


def tokenize_chats(tokenizer, chats: list[list[dict[str, str]]], where: str = "data") -> dict[str, list]:
    """input_ids and labels (-100 outside the assistant's turns); raise when a mask is all 0 or all 1."""
    ids_out, labels_out = [], []
    for n, msgs in enumerate(chats, 1):
        ids, mask = assistant_mask(tokenizer, msgs)
        if not any(mask):
            raise UserError(f"the assistant mask of conversation {n} is all zeros: no token would be trained",
                            where=where, hint="the chat template does not mark the assistant's turns; use a template "
                                              "with {% generation %} markers or check the conversation's roles")
        if all(mask):
            raise UserError(f"the assistant mask of conversation {n} is all ones: the user's turns would be "
                            "trained too", where=where,
                            hint="the chat template's {% generation %} block covers the whole conversation; fix it")
        ids_out.append(ids)
        labels_out.append([t if m else -100 for t, m in zip(ids, mask)])
    return {"input_ids": ids_out, "labels": labels_out}


# --------------------------------------------------------------------------- the command

def base_of(adapter_dir: Path) -> str:
    """The ``--base`` the midtraining adapter was trained on (train_config.json, else adapter_config.json)."""
    cfg = adapter_dir / "train_config.json"
    if cfg.exists():
        return json.loads(cfg.read_text())["base"]
    ac = adapter_dir / "adapter_config.json"
    if not ac.exists():
        raise UserError("not an adapter folder (no adapter_config.json)", where=str(adapter_dir),
                        hint="pass the --out folder of `docgen train midtrain`")
    return json.loads(ac.read_text())["base_model_name_or_path"]


def run_aft_train(data: str | Path, adapter: str | Path, out: str | Path, cfg: TrainConfig | None = None, *,
                  mix: str | Path | None = None, reasoning: bool = True, base: str | None = None,
                  merge: bool = False):
    """Steps 1-5; returns (trainer, result dict)."""
    require_train_extra()
    from datasets import Dataset
    from peft import PeftModel
    from trl import SFTTrainer

    from ..backends.transformers_backend import load_model

    cfg = cfg or TrainConfig()
    out, adapter = Path(out), Path(adapter)
    out.mkdir(parents=True, exist_ok=True)

    chats = read_chats(data, reasoning)                                          # 1
    provenance: dict[str, Any] = {"path": str(Path(data).resolve()), "rows": len(chats), "reasoning": reasoning}
    if Path(data).is_dir():
        from ..rundir import RunDir

        gen_summary = RunDir(data).read_summary()         # an `aft generate` directory
        if gen_summary:
            provenance["spec_sha256"] = [gen_summary.get("spec_sha256")]
    if mix:
        extra = read_chats(mix)
        provenance["mix"] = f"{Path(mix).resolve()} ({len(extra)} conversations)"
        chats = chats + extra
        random.Random(cfg.seed).shuffle(chats)

    base = base or base_of(adapter)                                              # 2
    model, tokenizer, folder = load_model(base, dtype=cfg.dtype, attn_implementation=cfg.attention())
    model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)

    dataset = Dataset.from_dict(tokenize_chats(tokenizer, chats, str(data)))    # 3
    trained = sum(sum(1 for x in lab if x != -100) for lab in dataset["labels"])
    total = sum(len(x) for x in dataset["input_ids"])

    log = _log_callback(out / "train_log.jsonl")
    trainer = SFTTrainer(                                                        # 4
        model=model,
        args=cfg.sft_config(out / "checkpoints", assistant_only_loss=False, completion_only_loss=False,
                            include_num_input_tokens_seen=True),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[log],
    )
    meta = dict(kind="aft", base=base, base_folder=folder, parent_adapter=str(adapter.resolve()), data=provenance,
                config=cfg.to_dict(), assistant_tokens=trained, total_tokens=total)
    write_config(out, **meta)
    stats = train_and_save(trainer, log, out, tokenizer)                        # 5
    write_config(out, **meta, result=stats)
    write_card(out, kind="aft", base=base, data=provenance, cfg=cfg, stats=stats, parent=str(adapter))
    if merge:
        stats["merged"] = str(merge_into(trainer.model, tokenizer, out / "merged"))
    return trainer, {"out": str(out), "assistant_token_share": round(trained / max(1, total), 4), **stats}


def aft(data: str | Path, adapter: str | Path, out: str | Path, cfg: TrainConfig | None = None, *,
        mix: str | Path | None = None, reasoning: bool = True, base: str | None = None,
        merge: bool = False) -> dict[str, Any]:
    """``docgen train aft``: continue the adapter in ``adapter`` on chat data; return the result."""
    return run_aft_train(data, adapter, out, cfg, mix=mix, reasoning=reasoning, base=base, merge=merge)[1]
