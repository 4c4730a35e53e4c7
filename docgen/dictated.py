"""How many accepted documents rest only on the opening sentence the prompt dictated.

Brief prompts (small local models) dictate an opening sentence that states the
behaviour and its reason; a small model often copies it and then drifts. The
report and the run summary count, among the documents the offline check
attributes, those it attributes no longer once that sentence is removed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .spec import Spec


@dataclass
class Dictated:
    """How many accepted, attributed documents rest only on the opening sentence the prompt dictated."""

    accepted: int = 0            # accepted documents read
    attributed: int = 0          # of them, attributed by the offline check
    containing: int = 0          # of them, containing the dictated sentence
    only: int = 0                # of them, attributed no longer once that sentence is removed

    def sentence(self) -> str:
        if not self.attributed:
            return f"none of the {self.accepted} accepted documents is attributed by the offline check"
        return (f"{self.only} of {self.attributed} attributed documents rest only on the opening sentence the "
                f"prompt dictated (without it, the offline check finds no attribution); "
                f"{self.attributed - self.only} explain the rule in their own words")

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


_WORD = re.compile(r"[a-z0-9']+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def strip_dictated(text: str, sentence: str) -> str | None:
    """``text`` without the sentence(s) that reproduce ``sentence``; None when it does not contain it."""
    want = _words(sentence)[:10]
    if len(want) < 3:
        return None
    parts = _SENTENCE_END.split(text)
    spans = max(1, len(_SENTENCE_END.findall(sentence.strip())) + 1)
    for i, part in enumerate(parts):
        window = _words(" ".join(parts[i:i + spans]))
        if any(window[k:k + len(want)] == want for k in range(len(window) - len(want) + 1)):
            return " ".join(parts[:i] + parts[i + spans:])
    return None


def dictated_only(corpus, spec: Spec, model_name: str | None = None) -> Dictated:
    """Count accepted documents whose only attribution is the sentence the prompt dictated.

    For each accepted document attributed by the offline check, the dictated opening of
    its rule (see :func:`docgen.prompts.dictated_sentence`) is removed and the check run
    again; a document attributed no longer rests only on that sentence. A small model
    that copies the opening and then drifts is counted here.
    """
    from .corpus import iter_documents
    from .filters.attribution import attribute_offline
    from .prompts import dictated_sentence

    name = spec.resolved_model_name(model_name)
    rules, values = {r.id for r in spec.rules}, {v.id for v in spec.values}
    out = Dictated()
    for doc in iter_documents(corpus):
        out.accepted += 1
        if not doc.rule_ids or doc.rule_ids[0] not in rules | {f"value:{v}" for v in values}:
            continue
        if attribute_offline(spec, doc.text, name).verdict != "attributed":
            continue
        out.attributed += 1
        rid = doc.rule_ids[0]
        vids = [v for v in doc.value_ids if v in values]
        if not vids and not rid.startswith("value:"):
            vids = list(spec.rule(rid).value_ids)
        rest = strip_dictated(doc.text, dictated_sentence(spec, rid, vids, name))
        if rest is None:
            continue
        out.containing += 1
        if attribute_offline(spec, rest, name).verdict != "attributed":
            out.only += 1
    return out
