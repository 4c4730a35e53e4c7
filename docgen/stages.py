"""Optional LLM stages that need a capable model (as in MSM): doc ideas per plan
cell, and extraction of values/behaviours from a prose spec.

Both ask for JSON, validate it against a typed model, and re-ask a bounded
number of times with the validation error when the reply is malformed; after
that the stage is recorded as failed with its reason — never a guessed default.
Every call goes through the model-call gateway (:mod:`docgen.calls`): with the
run's gateway, replies are journalled (a rerun pays nothing) and count toward --max-cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .backends.base import Backend, BackendError, GenerationParams
from .prompts import render, template_version
from .spec import StructuredSpec

T = TypeVar("T", bound=BaseModel)


class IdeaList(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ideas: list[str] = Field(min_length=1)


class StageFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


async def ask_json(backend, prompt: str, schema: type[T] | Callable[[str], Any], *, template: str, journal=None,
                   params: GenerationParams | None = None, attempts: int = 3) -> T:
    """Ask through the gateway until the reply validates; raise :class:`StageFailed` after ``attempts``.

    ``backend`` is a :class:`~docgen.calls.Calls` (the run's: journal, cost cap, limiter) or a bare
    backend (a gateway without a journal is made for it)."""
    from .calls import AskFailed, Calls

    calls = Calls.of(backend) if journal is None or isinstance(backend, Calls) else Calls(backend, journal=journal)
    try:
        return await calls.ask(prompt, schema, template=template, params=params, attempts=attempts)
    except AskFailed as e:
        raise StageFailed(e.reason) from None
    except BackendError as e:
        raise StageFailed(f"backend error: {e}") from None


async def cell_ideas(backend: Backend, ctx: dict[str, Any], n: int, *, journal=None,
                     templates_dir=None) -> list[str]:
    name = "stages/ideas.j2"
    prompt = render(name, {**ctx, "n": n, "audiences": ctx["genre"]["audiences"]}, templates_dir)
    out = await ask_json(backend, prompt, IdeaList, template=template_version(name, templates_dir), journal=journal)
    return [i.strip() for i in out.ideas if i.strip()][:n]


class _XValue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str
    quote: str = ""
    statement: str | None = None
    rationale: str = ""


class _XRule(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    text: str
    quote: str = ""
    polarity: Literal["do", "do_not"] = "do"
    values: list[str] = Field(default_factory=list)
    rationale: str = ""


class _Extracted(BaseModel):
    """What the extraction prompt asks the model for: the structured form plus, for every value and rule, the
    spec's own words that state it (``quote``), so each can be found in the spec and checked."""
    model_config = ConfigDict(extra="ignore")
    title: str = "Extracted spec"
    model_name: str | None = None
    values: list[_XValue] = Field(default_factory=list)
    rules: list[_XRule] = Field(default_factory=list)


@dataclass
class Extraction:
    """An LLM's reading of a prose spec, grounded: ``spec`` holds only the values and rules whose quote (or, for
    lack of one, whose text) was found in the spec; ``sources`` maps their ids to the 1-based lines they were
    found on and the quote; ``dropped`` says what was left out and why."""
    spec: StructuredSpec
    sources: dict[str, tuple[int, int, str]]
    dropped: list[str]


class Locator:
    """Where a quote sits in a text, by words (case, punctuation, markup and line breaks ignored): an exact run
    of the quote's words, or else, around the longest run they share, the quote's words in order covering at
    least ``MIN_COVER`` of it (a model copying a sentence may drop or change a word or two)."""

    MIN_COVER = 0.7

    def __init__(self, text: str):
        import re
        self.words: list[str] = []
        self.line_of: list[int] = []
        for n, line in enumerate(text.splitlines(), 1):
            for w in re.findall(r"\w+", line.lower()):
                self.words.append(w)
                self.line_of.append(n)
        self.flat = " " + " ".join(self.words) + " "
        self._starts = [0] * len(self.words)
        pos = 1
        for i, w in enumerate(self.words):
            self._starts[i] = pos
            pos += len(w) + 1

    def find(self, quote: str) -> tuple[int, int] | None:
        import bisect
        import difflib
        import re
        q = re.findall(r"\w+", quote.lower())
        if len(q) < 2:
            return None
        i = self.flat.find(" " + " ".join(q) + " ")
        if i >= 0:
            a = bisect.bisect_left(self._starts, i + 1)
            return self.line_of[a], self.line_of[a + len(q) - 1]
        m = difflib.SequenceMatcher(None, self.words, q, autojunk=False).find_longest_match(
            0, len(self.words), 0, len(q))
        if m.size < 3:
            return None
        # around the longest shared run, the quote's words in order (a word dropped or changed here and there)
        lo, hi = max(0, m.a - m.b - 3), min(len(self.words), m.a + (len(q) - m.b) + 3)
        blocks = [b for b in difflib.SequenceMatcher(None, self.words[lo:hi], q, autojunk=False).get_matching_blocks()
                  if b.size]
        if sum(b.size for b in blocks) < self.MIN_COVER * len(q):
            return None
        return self.line_of[lo + blocks[0].a], self.line_of[lo + blocks[-1].a + blocks[-1].size - 1]


def ground(text: str, got: _Extracted) -> Extraction:
    """Keep what the spec really says: a value or rule whose quote is not in ``text`` is dropped (a model may
    invent a rule, or quote one from another spec it knows); a rule loses the value ids that were dropped."""
    loc = Locator(text)
    sources: dict[str, tuple[int, int, str]] = {}
    dropped: list[str] = []
    values = []
    for v in got.values:
        where = loc.find(v.quote) or loc.find(v.statement or "") or loc.find(v.name)
        if where is None:
            dropped.append(f"value {v.id!r}: its quote is not in the spec ({(v.quote or v.name)[:80]!r})")
            continue
        sources[v.id] = (where[0], where[1], v.quote)
        values.append({"id": v.id, "name": v.name, "statement": v.statement or v.name, "rationale": v.rationale})
    kept = {v["id"] for v in values}
    rules = []
    for k, r in enumerate(got.rules, 1):
        rid = r.id or f"R{k}"
        where = loc.find(r.quote) or loc.find(r.text)
        if where is None:
            dropped.append(f"rule {rid!r}: its quote is not in the spec ({(r.quote or r.text)[:80]!r})")
            continue
        sources[rid] = (where[0], where[1], r.quote)
        rules.append({"id": rid, "text": r.text, "polarity": r.polarity, "rationale": r.rationale,
                      "values": [v for v in r.values if v in kept]})
    spec = StructuredSpec.model_validate({"title": got.title, "model_name": got.model_name,
                                          "values": values, "rules": rules})
    return Extraction(spec=spec, sources=sources, dropped=dropped)


def spec_parts(text: str, max_words: int) -> list[str]:
    """``text`` cut into parts of at most about ``max_words`` words, between paragraphs, and before a heading
    once a part is half full (a paragraph longer than a part is a part of its own). The parts, joined by newlines,
    are the text."""
    import re
    lines = text.split("\n")
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip() and blocks[-1]:
            blocks[-1].append(line)
            blocks.append([])
        else:
            blocks[-1].append(line)
    parts: list[list[str]] = [[]]
    n = 0
    heading = re.compile(r"^\s{0,3}(#{1,6}\s|[A-Z0-9][A-Z0-9 ,.'&/-]{3,}$|\d+(\.\d+)*\.?\s+[A-Z])")
    for b in blocks:
        w = sum(len(x.split()) for x in b)
        first = next((x for x in b if x.strip()), "")
        if parts[-1] and (n + w > max_words or (n >= max_words // 2 and heading.match(first))):
            parts.append([])
            n = 0
        parts[-1].extend(b)
        n += w
    return ["\n".join(p) for p in parts]


async def extract_spec(backend: Backend, spec_text: str, *, templates_dir=None, journal=None,
                       max_tokens: int = 6000, part_words: int = 3000) -> Extraction:
    """Read a prose spec with an LLM into the structured form, through the gateway, then :func:`ground` it.

    A spec longer than ``part_words`` words is read in parts, one call each, in order; each call is told the
    values read so far, so a rule can name a value stated earlier (a long spec such as a constitution has more
    rules than one reply holds). A reply is re-asked with the error when it is not valid JSON or names a value
    id it does not define; a part whose reply never validates is reported in ``dropped`` and the others are
    kept (:class:`StageFailed` when no part is read)."""
    name = "stages/extract.j2"
    parts = spec_parts(spec_text, part_words)
    values: dict[str, _XValue] = {}
    rules: list[_XRule] = []
    failed: list[str] = []
    title, model_name = None, None
    line = 1
    for i, part in enumerate(parts, 1):
        first, last = line, line + part.count("\n")
        line = last + 1
        if not part.strip():
            continue
        known = [{"id": v.id, "name": v.name} for v in values.values()]
        prompt = render(name, {"spec_text": part, "part": i, "parts": len(parts), "known_values": known},
                        templates_dir)

        def parse(reply: str, known_ids=frozenset(values)) -> _Extracted:
            from .calls import validated
            got = validated(_Extracted, reply)
            ids = known_ids | {v.id for v in got.values}
            for r in got.rules:
                bad = [v for v in r.values if v not in ids]
                if bad:
                    raise ValueError(f"rule {r.id or r.text[:30]!r} names value ids {bad} that are not in 'values'")
            return got

        try:
            got = await ask_json(backend, prompt, parse, template=template_version(name, templates_dir),
                                 journal=journal,
                                 params=GenerationParams(temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.0))
        except StageFailed as e:
            if len(parts) == 1:
                raise
            failed.append(f"part {i} of {len(parts)} (lines {first}-{last}): not read: {e.reason}")
            continue
        title = title or got.title
        model_name = model_name or got.model_name
        for v in got.values:
            values.setdefault(v.id, v)
        taken = {r.id for r in rules}
        for k, r in enumerate(got.rules, 1):
            rid = r.id or f"R{k}"
            rules.append(r.model_copy(update={"id": rid if rid not in taken else f"P{i}-{rid}"}))
            taken.add(rules[-1].id)
    if not rules and failed:
        raise StageFailed("; ".join(failed))
    out = ground(spec_text, _Extracted(title=title or "Extracted spec", model_name=model_name,
                                       values=list(values.values()), rules=rules))
    out.dropped[:0] = failed
    return out
