"""Fixtures of the training tests: the embedded SmolLM2-135M, dequantised from its GGUF once
(into $DOCGEN_MODELS, default ~/.cache/docgen/models), loaded in float32 on the CPU."""

from __future__ import annotations

import pytest


def _need_train_extra():
    for mod in ("torch", "transformers", "peft", "trl", "datasets"):
        pytest.importorskip(mod, reason="needs the train extra: pip install 'docgen[train]'")


@pytest.fixture(scope="session")
def smol_folder() -> str:
    _need_train_extra()
    from docgen.backends.transformers_backend import model_folder

    return model_folder("smollm2-135m")


@pytest.fixture(scope="session")
def smol_tokenizer(smol_folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smol_folder)
