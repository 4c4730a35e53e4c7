"""The training recipe: defaults, YAML, flags, --help (no torch needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from docgen.cli import build_parser
from docgen.errors import ConfigError
from docgen.train.config import TrainConfig, from_args


def test_defaults_are_the_msm_recipe():
    c = TrainConfig()
    assert (c.lora_r, c.lora_alpha, c.lora_dropout) == (64, 128, 0.0)
    assert c.lora_target_modules.split(",") == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                "down_proj"]
    assert (c.learning_rate, c.lr_scheduler_type, c.warmup_ratio, c.weight_decay, c.num_train_epochs) == \
        (1e-4, "cosine", 0.05, 0.01, 1.0)
    assert (c.max_length, c.packing, c.packing_strategy) == (8192, True, "bfd")


def test_help_prints_the_recipe():
    out = subprocess.run([sys.executable, "-m", "docgen", "train", "midtrain", "--help"], capture_output=True,
                         text=True, check=True).stdout
    flat = " ".join(out.split())
    for flag, default in [("--learning-rate", "0.0001"), ("--lora-r", "64"), ("--lora-alpha", "128"),
                          ("--max-length", "8192"), ("--warmup-ratio", "0.05"), ("--weight-decay", "0.01"),
                          ("--lr-scheduler-type", "cosine"), ("--per-device-train-batch-size", "1"),
                          ("--gradient-accumulation-steps", "16"), ("--max-steps", "-1")]:
        assert flag in flat
        assert f"(default: {default})" in flat.split(flag, 2)[-1][:400], flag


def test_yaml_then_flags(tmp_path):
    y = tmp_path / "t.yaml"
    y.write_text("learning_rate: 0.0002\nmax_length: 4096\nlora_r: 16\n")
    args = build_parser().parse_args(["train", "midtrain", "c.jsonl", "--base", "m", "--out", "o",
                                      "--config", str(y), "--lora-r", "32", "--no-packing"])
    c = from_args(args)
    assert (c.learning_rate, c.max_length, c.lora_r, c.packing, c.lora_alpha) == (2e-4, 4096, 32, False, 128)


def test_bad_yaml_field_names_its_line(tmp_path):
    y = tmp_path / "t.yaml"
    y.write_text("learning_rate: 0.0002\nlora_rank: 16\n")
    with pytest.raises(ConfigError) as e:
        TrainConfig.load(y)
    assert e.value.where == f"{y}:2" and "lora_rank" in e.value.message


def test_bad_values_are_user_errors():
    with pytest.raises(ConfigError, match="packing_strategy"):
        TrainConfig.load(None, {"packing_strategy": "zigzag"})
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig.load(None, {"learning_rate": 0})


def test_cli_bad_input_exits_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "docgen", "train", "midtrain", str(tmp_path / "missing.jsonl"),
                        "--base", "smollm2-135m", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    if "needs the optional dependency" in r.stderr:
        pytest.skip("train extra not installed")
    assert r.returncode == 2 and "corpus not found" in r.stderr and "Traceback" not in r.stderr
