"""The assistant mask on SmolLM2's own chat template and on Qwen-style templates, and the
loud failures when a template marks nothing or everything."""

from __future__ import annotations

import copy

import pytest

from docgen.errors import UserError

pytestmark = pytest.mark.slow

CHAT = [
    {"role": "user", "content": "Which cheese melts best on toast?"},
    {"role": "assistant", "content": "<think>\nThe user wants a melting cheese.\n</think>\n\nA young cheddar melts well."},
    {"role": "user", "content": "And a cheaper one?"},
    {"role": "assistant", "content": "A store-brand mild cheddar costs less and melts just as well."},
]

# Qwen2.5-style ChatML with its default system prompt; no {% generation %} markers
QWEN_STYLE = (
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- for message in messages %}{%- if message.role != 'system' %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
# the same with {% generation %} around the assistant's content and end token (the library path)
QWEN_STYLE_MARKED = QWEN_STYLE.replace(
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
    "{%- if message.role == 'assistant' %}{{- '<|im_start|>assistant\\n' }}{% generation %}"
    "{{- message.content + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}"
    "{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}")


def _tok(smol_tokenizer, template=None):
    t = copy.deepcopy(smol_tokenizer)
    if template is not None:
        t.chat_template = template
    return t


def _check(tok):
    from docgen.train.aft import assistant_mask

    ids, mask = assistant_mask(tok, CHAT)
    assert len(ids) == len(mask) and 0 < sum(mask) < len(mask)
    kept = tok.decode([t for t, m in zip(ids, mask) if m])
    dropped = tok.decode([t for t, m in zip(ids, mask) if not m])
    for m in CHAT:
        assert m["content"] in (kept if m["role"] == "assistant" else dropped)
    # each assistant turn is trained through its end-of-turn token, and nothing of the user's is trained
    assert kept.count("<|im_end|>") == 2
    assert "cheese melts" not in kept and "cheaper" not in kept and "<|im_start|>" not in kept
    return ids, mask


@pytest.mark.parametrize("name", ["smollm2", "qwen-style", "qwen-style-marked"])
def test_mask_covers_exactly_the_assistant_turns(smol_tokenizer, name):
    template = {"smollm2": None, "qwen-style": QWEN_STYLE, "qwen-style-marked": QWEN_STYLE_MARKED}[name]
    tok = _tok(smol_tokenizer, template)
    ids, mask = _check(tok)
    if name == "qwen-style":                       # both paths agree on the same template
        from docgen.train.aft import assistant_mask

        ids2, mask2 = assistant_mask(_tok(smol_tokenizer, QWEN_STYLE_MARKED), CHAT)
        assert (ids2, mask2) == (ids, mask)


def test_all_zero_mask_fails_loudly(smol_tokenizer):
    from docgen.train.aft import tokenize_chats

    empty = QWEN_STYLE_MARKED.replace("{{- message.content + '<|im_end|>' }}{% endgeneration %}",
                                      "{% endgeneration %}{{- message.content + '<|im_end|>' }}")
    with pytest.raises(UserError, match="all zeros"):
        tokenize_chats(_tok(smol_tokenizer, empty), [CHAT])


def test_all_ones_mask_fails_loudly(smol_tokenizer):
    from docgen.train.aft import tokenize_chats

    everything = "{% generation %}" + QWEN_STYLE.replace("{%- if add_generation_prompt %}", "{% endgeneration %}"
                                                          "{%- if add_generation_prompt %}")
    with pytest.raises(UserError, match="all ones"):
        tokenize_chats(_tok(smol_tokenizer, everything), [CHAT])


def test_labels_are_masked_outside_assistant_turns(smol_tokenizer):
    from docgen.train.aft import tokenize_chats

    d = tokenize_chats(_tok(smol_tokenizer), [CHAT, CHAT[:2]])
    for ids, labels in zip(d["input_ids"], d["labels"]):
        assert labels[0] == -100 and any(x != -100 for x in labels)
        assert all(lab in (-100, i) for i, lab in zip(ids, labels))
