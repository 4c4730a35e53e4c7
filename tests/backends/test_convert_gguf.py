"""Dequantising a GGUF: the special tokens come from the file, whatever transformers read."""

import pytest

pytest.importorskip("transformers")
pytest.importorskip("gguf")


def test_special_tokens_follow_the_gguf_metadata():
    from transformers import AutoTokenizer

    from docgen.backends.convert_gguf import _special_tokens_from_gguf, embedded_gguf

    g = embedded_gguf()
    tok = AutoTokenizer.from_pretrained(str(g.parent), gguf_file=g.name)

    class Model:
        class config:
            eos_token_id = 1
        generation_config = None

    tok.eos_token = "<|im_start|>"           # what transformers 5.17 read on a GPU machine (2026-11-26)
    changed = _special_tokens_from_gguf(g, tok, Model)
    assert changed == {"eos": "<|im_end|>"}
    assert tok.eos_token == "<|im_end|>" and Model.config.eos_token_id == tok.eos_token_id == 2
    assert _special_tokens_from_gguf(g, tok, Model) == {}          # nothing left to change
