"""Quality rules for generated documents, each with a reason code and verbatim evidence.

Reason codes (in the order they are checked):

``empty``, ``too_short``, ``too_long``   word count outside the genre's range
``leaked_scaffolding``                   scratchpad tags, ``<document>``, the prompt's own instruction lines
``unfilled_placeholder``                 ``[Name]``, ``{model_name}``, ``<insert ...>``, ``TODO``
``assistant_meta``                       "As an AI...", "Here is a memo:", "Sure!", "I hope this helps"
                                         (meta-text, refusals and instruction lines: first/last 600 chars)
``refusal``                              "I can't help with that", "I'm sorry, but..."
``truncated``                            ends mid-sentence (or ``finish_reason == "length"``)
``repetition_loop``                      a line or a word 8-gram repeated far more than prose does
``model_absent``                         the assistant is never named: neither its name nor a generic
                                         reference ("the assistant", "the model", "our AI")

:class:`OpenerStats` is corpus-level: it reports the most common openers (first
few words) and their share, and can cap how many documents share one opener.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..corpus import Document
from ..spec import Spec
from ._cues import AGENT_GENERIC
from ._lexicon import TextTokens, ngram_combine, sorted_unique, text_tokens
from .base import Verdict

DEFAULT_LENGTH = (80, 3000)

_SCAFFOLD_TAG = re.compile(
    r"</?(?:scratchpad|thinking|think|reasoning|document|doc|draft|output|answer|analysis|notes?)>", re.I)
_SCAFFOLD_LINE = re.compile(
    r"^[ \t]*(?:Write (?:a|an|about|only)\b.*|Say plainly that\b.*|Do not invent values\b.*|Facts from \S+ guidelines:"
    r"|- (?:Value|Behaviour|Behavior|Why|Example): .*|Angle: .*\. Structure: .*|Idea for this \w+.*:|Tone: .*|"
    r"Structure: .*|Audience: .*|Genre: .*|What the [\w ]+ must explain:.*)$", re.M)
_PLACEHOLDER = re.compile(
    r"\{\{?[ \t]*[a-z_][a-z0-9_]*[ \t]*\}?\}|\[(?i:Name|Your Name|Company(?: Name)?|Date|Insert[^\]]*|Recipient|"
    r"Title|Author|Location|Product|Organi[sz]ation|X|Y|Placeholder|Address|Email|Phone|Number|City)\]"
    r"|<[ \t]*(?i:insert)[^>]*>|\bTODO\b|\bTBD\b|\bLorem ipsum\b|XXX+")
_PLACEHOLDER_HINTS = ("{", "[", "<", "TODO", "TBD", "Lorem", "XXX")
# assistant meta-text: one alternative per regex, each behind a substring it cannot match without
# (one regex of six alternatives costs 0.15 ms per document; the substring tests cost nothing)
_META_ALTS: list[tuple[re.Pattern, tuple[str, ...]]] = [(re.compile(rx, re.M), need) for rx, need in [
    (r"\b[Aa]s an? (?:AI language model|AI model|AI assistant|large language model|language model|AI|"
     r"artificial intelligence)\b", ("AI", "language model", "artificial intelligence")),
    (r"\A\s*(?:Sure|Certainly|Of course|Absolutely|Okay|OK)[!,.]", ()),
    (r"^[ \t]*(?:Here(?:'s| is| are)|Below is|I've written|I have written)\b[^.\n]{0,80}?"
     r"(?:memo|blog post|post|article|document|report|faq|case study|essay|thread|transcript|notes|draft|version|piece)"
     r"\b[^\n]{0,40}?:", ("Here", "Below is", "written")),
    (r"\bI hope (?:this|that) helps\b", ("I hope ",)),
    (r"\b(?:Let me know|Feel free to ask) if you(?:'d like| would like| want| need)\b", ("Let me know", "Feel free to ask")),
    (r"\b[Ww]ord count:\s*\d+", ("ord count:",)),
]]
# the same rule as one regex (the definition; :func:`_meta_search` returns exactly its first match)
_META = re.compile("|".join(rx.pattern for rx, _ in _META_ALTS), re.M)


def _meta_search(text: str) -> re.Match | None:
    """``_META.search(text)``: the leftmost match, and at one position the first alternative."""
    best = None
    for rx, need in _META_ALTS:
        if need and not any(n in text for n in need):
            continue
        m = rx.search(text)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


_REFUSAL = re.compile(
    r"\bI(?:'m| am) (?:sorry|afraid),? but I (?:can(?:not|'t)|won't|am unable)\b|\bI (?:can(?:not|'t)|won't) "
    r"(?:help|assist|write|create|produce|comply) with (?:that|this)\b|\bI(?:'m| am) (?:not able|unable) to "
    r"(?:help|assist|write|create|comply)\b|\bI must (?:decline|refuse)\b")
_REFUSAL_NEED = ("sorry", "afraid", "I can", "I won't", "able to", "I must")      # one of these is in every refusal
_AGENT = re.compile(r"\b%s\b" % AGENT_GENERIC, re.I)
EDGE = 600     # assistant meta-text, refusals and leaked instruction lines are looked for in the first/last 600 chars
_END_OK = re.compile(r"[.!?…][\"'”’)\]*_]*\s*$|[)\]]\s*$|^\s*[-*#>|].*$|:\s*$", re.M)


class QualityFilter:
    """Per-document quality rules. ``length_ranges`` maps genre → (min_words, max_words)."""

    name = "quality"

    def __init__(self, spec: Spec | None = None, model_name: str | None = None,
                 length_ranges: dict[str, tuple[int, int]] | None = None,
                 default_range: tuple[int, int] = DEFAULT_LENGTH, require_model: bool = True):
        self.spec = spec
        self.model_name = spec.resolved_model_name(model_name) if spec is not None else model_name
        self.length_ranges = {k: tuple(v) for k, v in (length_ranges or {}).items()}
        self.default_range = default_range
        self.require_model = require_model and bool(self.model_name)
        self._model_re = re.compile(r"\b%s\b" % re.escape(self.model_name), re.I) if self.model_name else None
        self._model_lower = (self.model_name or "").lower()
        self._model_ascii = (self.model_name or "").isascii()

    def check(self, doc: Document) -> Verdict:
        text = doc.text or ""
        tokens = text_tokens(text)          # shared with attribution and dedup (one split per document)
        n_words = len(tokens.words)         # == len(text.strip().split())
        if not n_words:
            return Verdict(False, "empty", "")
        stripped = text.strip()
        lo, hi = self.length_ranges.get(doc.genre, self.default_range)
        if n_words < lo:
            return Verdict(False, "too_short", f"{n_words} words < {lo} for genre '{doc.genre or '-'}'")
        if n_words > hi:
            return Verdict(False, "too_long", f"{n_words} words > {hi} for genre '{doc.genre or '-'}'")
        edges = text if len(text) <= 2 * EDGE else text[:EDGE] + "\n" + text[-EDGE:]
        checks = [("leaked_scaffolding", _SCAFFOLD_TAG.search, text if "<" in text else ""),
                  ("leaked_scaffolding", _SCAFFOLD_LINE.search, edges),
                  ("unfilled_placeholder", _PLACEHOLDER.search,
                   text if any(h in text for h in _PLACEHOLDER_HINTS) else ""),
                  ("assistant_meta", _meta_search, edges),
                  ("refusal", _REFUSAL.search, edges if "I" in edges and any(n in edges for n in _REFUSAL_NEED) else "")]
        for reason, search, where in checks:
            m = search(where) if where else None
            if m:
                return Verdict(False, reason, m.group(0).strip()[:200])
        if doc.finish_reason == "length" or not _END_OK.search(stripped[-300:]):
            return Verdict(False, "truncated", stripped[-80:])
        rep = repetition(stripped, tokens=tokens)
        if rep:
            return Verdict(False, "repetition_loop", rep)
        if self.require_model and not self._model_named(text) and not _AGENT.search(text):
            return Verdict(False, "model_absent", f"neither '{self.model_name}' nor 'the assistant/model' appears")
        return Verdict(True)

    def _model_named(self, text: str) -> bool:
        """``self._model_re.search(text)``, starting where the name first occurs in lower case."""
        # under re.I an ASCII letter also matches U+0130, U+0131, U+017F and U+212A; lower() maps U+212A
        # to "k" and changes the length for U+0130, but leaves the other two: those texts take the plain search
        low = text.lower()
        if not self._model_ascii or len(low) != len(text) or "\u0131" in text or "\u017f" in text:
            return bool(self._model_re.search(text))
        k = low.find(self._model_lower)
        return k >= 0 and bool(self._model_re.search(text, k))


def repetition(text: str, n: int = 8, max_line_repeats: int = 3, max_ngram_share: float = 0.25,
               tokens: TextTokens | None = None) -> str:
    """Evidence of a repetition loop, or ``""``.

    A line (≥ 4 words) repeated more than ``max_line_repeats`` times, or word
    ``n``-grams of which more than ``max_ngram_share`` are repeats of earlier ones.

    The n-gram share is first bounded with hashed lower-cased words (numpy):
    folding case and hash collisions can only merge n-grams, so that share is
    never below the exact one, and when it is within bounds the exact,
    case-sensitive count is skipped. ``tokens`` (of ``text`` or of the unstripped
    text: same words) saves splitting and hashing again.
    """
    lines = text.splitlines()
    if len(lines) > max_line_repeats:
        lines = [ln.strip() for ln in lines if len(ln.split()) >= 4]
        if lines:
            line, c = Counter(lines).most_common(1)[0]
            if c > max_line_repeats:
                return line[:200]
    tokens = tokens if tokens is not None else text_tokens(text)
    words = tokens.words
    if len(words) < 4 * n:
        return ""
    m = len(words) - n + 1
    if 1.0 - len(sorted_unique(ngram_combine(tokens.lower_ids(), n))) / m <= max_ngram_share:
        return ""
    grams = list(zip(*(words[i:] for i in range(n))))
    if 1.0 - len(set(grams)) / len(grams) <= max_ngram_share:
        return ""
    return " ".join(Counter(grams).most_common(1)[0][0])


class OpenerStats:
    """Corpus-level opener report: the first ``n_words`` words of each document.

    ``observe(doc)`` counts; ``top(k)`` lists ``(opener, count, share)``. With
    ``cap`` set, :meth:`check` drops documents whose opener was already used
    ``cap`` times (reason ``repeated_opener``), so it also works as a filter.
    """

    name = "openers"

    def __init__(self, n_words: int = 4, cap: int | None = None):
        self.n_words, self.cap = n_words, cap
        self.counts: Counter[str] = Counter()
        self.total = 0

    def opener(self, text: str) -> str:
        first = text.strip().split("\n", 1)[0]
        words = re.findall(r"[\w'-]+", first.lower())[: self.n_words]
        return " ".join(words)

    def observe(self, doc: Document) -> str:
        op = self.opener(doc.text)
        self.counts[op] += 1
        self.total += 1
        return op

    def check(self, doc: Document) -> Verdict:
        op = self.opener(doc.text)
        if self.cap is not None and self.counts[op] >= self.cap:
            return Verdict(False, "repeated_opener", op)
        self.counts[op] += 1
        self.total += 1
        return Verdict(True)

    def top(self, k: int = 10) -> list[dict[str, Any]]:
        return [{"opener": op, "count": c, "share": round(c / self.total, 4) if self.total else 0.0}
                for op, c in self.counts.most_common(k)]
