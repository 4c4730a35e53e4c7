"""Sentences of a spec that read like rules but that the reader did not take: a check for ``docgen spec lint``.

    found = unread_rules(spec, text)     # [Unread(line, end, sentence, p), …]; None when the encoder is missing

The reader is written rule by rule against the shapes it has seen, and on a shape it has not seen it misses most
of the rules (BENCHMARKS.md, "Spec reader on foreign specs"). This check does not add rules to the reading. It
points at the sentences the user should look at. A logistic regression (``rule_sentences.json``) reads the
packaged MiniLM embedding of each sentence, with the assistant's name written "the assistant", plus eleven
lexical flags. It was trained on the gold readings of ``corpora/specread`` (the setting chosen leave one folder
out), and it says how likely the sentence is to be a rule of the assistant. Left out: sentences a reader rule
already covers, and lines the reader sets aside itself (code, quotes, examples, dialogue, sections for people,
text out of force).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .markup import as_markdown
from .model import Spec
from .text import EXAMPLE_HEADING, example_label, is_dialogue, sentences

WEIGHTS = Path(__file__).resolve().parent / "rule_sentences.json"
_MARK = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*)")
_BLOCKING_NOTE = re.compile(r"not in force|no longer in force|example", re.I)


@dataclass
class Unread:
    line: int
    end: int
    sentence: str
    p: float


def units(text: str) -> list[tuple[str, int, int]]:
    """The spec's sentences with their first and last line (in the file as written): paragraphs joined across
    wrapped lines, list items and table cells on their own; markup and sentences under four words left out."""
    out: list[tuple[str, int, int]] = []
    block: list[tuple[str, int]] = []

    def add(joined: str, starts: list[tuple[int, int]]):
        pos = 0
        for sent in sentences(joined):
            i = joined.find(sent, pos)
            i = pos if i < 0 else i
            pos = i + len(sent)
            first = max(n for off, n in starts if off <= i)
            last = max(n for off, n in starts if off <= max(i, pos - 1))
            out.append((sent, first, last))

    def flush():
        if block:
            joined, starts = "", []
            for t, n in block:
                starts.append((len(joined), n))
                joined += t + " "
            add(joined.strip(), starts)
            block.clear()

    for n, line in enumerate(as_markdown(text).split("\n"), 1):
        st = line.strip()
        if not st:
            flush()
        elif st.startswith("|"):
            flush()
            for c in st.strip("|").split("|"):
                if len(c.split()) >= 4:
                    add(c.strip(), [(0, n)])
        elif _MARK.match(line):
            flush()
            block.append((_MARK.sub("", line).strip(), n))
        else:
            block.append((st, n))
    flush()
    return [(re.sub(r"[*_`]+", "", x).strip(), a, b) for x, a, b in out if len(x.split()) >= 4]


def generic(sentence: str, model_name: str | None) -> str:
    """The sentence with the assistant's name written "the assistant" (what the classifier was trained on)."""
    return re.sub(r"\b" + re.escape(model_name) + r"\b", "the assistant", sentence) if model_name else sentence


def lexical(s: str) -> np.ndarray:
    """Eleven flags of a (generic) sentence: the assistant named, a modal, the assistant as subject, past tense,
    "we", "you", a quote, a question, a reason word, a condition first, length."""
    low = s.lower()
    return np.array([
        "the assistant" in low,
        bool(re.search(r"\b(?:should|must|shall|will|won't|never|always|doesn't|does not|do not|don't|may not|"
                       r"cannot|can't)\b", low)),
        bool(re.search(r"\bthe assistant\s+(?:\w+ly\s+)?(?:should|must|shall|will|won't|never|always|doesn't|"
                       r"does not|[a-z]+s)\b", low)),
        bool(re.search(r"\b(?:was|were|had|did|told|said|asked)\b", low)),
        bool(re.search(r"\b(?:we|our|us)\b", low)),
        bool(re.search(r"\b(?:you|your)\b", low)),
        '"' in s or "“" in s,
        s.rstrip().endswith("?"),
        bool(re.search(r"\b(?:because|so that|since|why)\b", low)),
        bool(re.match(r"(?:if|when|whenever|before|after|once)\b", low)),
        min(len(s.split()), 60) / 60,
    ], dtype=np.float32)


def features(texts: list[str], bert) -> np.ndarray:
    x = bert.mean_pooled(texts, batch=32)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    return np.hstack([x, 3 * np.stack([lexical(t) for t in texts])]) if texts else np.zeros((0, x.shape[1] + 11))


def blocked_lines(text: str, spec: Spec) -> set[int]:
    """Lines the reader itself sets aside: code, quote and HTML blocks; sections headed as examples, as
    speaking to people, or as out of force; paragraphs that are example labels or dialogue; spans the reader's
    notes call out of force or examples."""
    from .build import clean_heading
    from .rules import _DROPPED_HEADING, _FOR_OTHERS, _OUT_OF_FORCE
    from .tree import parse_markdown, walk_nodes
    out: set[int] = set()
    doc = parse_markdown(text, title_fallback="spec")
    for sec in doc.root.walk():
        title = clean_heading(sec.title) if sec.level else ""
        if sec.level and (EXAMPLE_HEADING.match(title) or _FOR_OTHERS.search(sec.title) or
                          _DROPPED_HEADING.search(sec.title) or _OUT_OF_FORCE.search(title)):
            out.update(range(sec.start, sec.end_line() + 1))
            continue
        for n in walk_nodes(sec.body):
            if n.kind in ("code", "quote", "html") or \
                    n.kind == "para" and (example_label(n.text)[0] or is_dialogue(n.raw)):
                out.update(range(n.start, n.end + 1))
    for note in spec.notes:
        if _BLOCKING_NOTE.search(note.message):
            out.update(range(note.lines.start, note.lines.end + 1))
    return out


@lru_cache(maxsize=1)
def _model() -> tuple[object, np.ndarray, float, float] | None:
    from .. import encoder
    files = encoder.base_files()
    if files is None:
        return None
    try:
        bert = encoder.Bert(files[0], files[1], 128, {})
    except ImportError:                                   # tokenizers missing
        return None
    card = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return bert, np.asarray(card["coef"], dtype=np.float32), float(card["intercept"]), float(card["threshold"])


def unread_rules(spec: Spec, text: str) -> list[Unread] | None:
    """The sentences of a Markdown / plain-text spec that the classifier reads as rules and that no rule of
    ``spec`` covers, first line first; ``None`` when the packaged encoder (the ``embed`` extra) is not installed."""
    m = _model()
    if m is None:
        return None
    bert, coef, intercept, threshold = m
    block = blocked_lines(text, spec)
    cand = [(s, a, b) for s, a, b in units(text)
            if not any(n in block for n in range(a, b + 1))
            and not any(r.lines.start <= b and a <= r.lines.end for r in spec.rules)]
    if not cand:
        return []
    x = features([generic(s, spec.model_name) for s, _a, _b in cand], bert)
    p = 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))
    return [Unread(a, b, s, float(q)) for (s, a, b), q in zip(cand, p) if q >= threshold]
