"""Plan: cells (rule/behaviour × genre × audience/angle), quotas, stable item ids.

A cell pairs one rule of the spec (with the values the spec gives for it) or,
for a value no rule cites, the value alone, with a genre and one of the
genre's audiences and angles. Documents are spread over cells round-robin in
a seeded order, so the same spec, genres, size and seed always give the same
items with the same ids.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .genres import Genre
from .spec import Rule, Spec

TOKENS_PER_WORD = 1.35
BRIEF_WORDS = 100        # brief prompts (small local models) ask for about this many words


@dataclass
class PlanItem:
    id: str
    cell: str
    rule_id: str
    value_ids: list[str]
    genre: str
    audience: str
    angle: str
    index: int                    # position of the item in its cell
    idea: str = ""
    est_output_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    spec_id: str
    spec_sha256: str
    seed: int
    genres: list[str]
    items: list[PlanItem] = field(default_factory=list)

    def cells(self) -> dict[str, list[PlanItem]]:
        out: dict[str, list[PlanItem]] = {}
        for it in self.items:
            out.setdefault(it.cell, []).append(it)
        return out

    def est_output_tokens(self) -> int:
        return sum(i.est_output_tokens for i in self.items)


def _targets(spec: Spec) -> list[tuple[str, list[str]]]:
    """(rule_id, value_ids) pairs; a value that no rule cites gets a cell of its own."""
    out = [(r.id, list(r.value_ids)) for r in spec.planning_order()]   # each value in turn, by authority
    cited = {v for _, vs in out for v in vs}
    out += [(f"value:{v.id}", [v.id]) for v in spec.values if v.id not in cited]
    return out


def item_id(spec_sha: str, cell: str, index: int) -> str:
    return hashlib.sha256(f"{spec_sha}|{cell}|{index}".encode()).hexdigest()[:16]


def make_plan(spec: Spec, genres: dict[str, Genre], *, docs: int | None = None,
              target_tokens: int | None = None, seed: int = 0, max_tokens: int | None = None,
              brief: bool = False, output_ratio: float = 1.0) -> Plan:
    if docs is None and target_tokens is None:
        docs = 12
    targets = _targets(spec)
    gnames = sorted(genres)
    rng = random.Random(f"{spec.sha256}|{seed}")
    # every (target, genre) pair once, ordered so the first len(targets) items cover every
    # target and consecutive items rotate through the genres
    offset = rng.randrange(len(gnames))
    cells = []
    for r in range(len(gnames)):
        for ti, (tid, vids) in enumerate(targets):
            g = gnames[(ti + r + offset) % len(gnames)]
            gen = genres[g]
            cells.append((tid, vids, g, rng.choice(gen.audiences), rng.choice(gen.angles)))

    def est(g: str) -> int:
        words = min(genres[g].target_words, BRIEF_WORDS) if brief else genres[g].target_words
        e = int(words * TOKENS_PER_WORD * output_ratio)
        return min(e, max_tokens) if max_tokens else e

    if docs is None:
        mean = sum(est(g) for g in gnames) / len(gnames)
        docs = max(1, math.ceil(target_tokens / mean))
    plan = Plan(spec_id=spec.id, spec_sha256=spec.sha256, seed=seed, genres=gnames)
    per_cell: dict[str, int] = {}
    for n in range(docs):
        tid, vids, g, aud, ang = cells[n % len(cells)]
        cell = f"{tid}|{g}"
        k = per_cell.get(cell, 0)
        per_cell[cell] = k + 1
        if k:  # later rounds over the same cell vary audience and angle
            aud = genres[g].audiences[(genres[g].audiences.index(aud) + k) % len(genres[g].audiences)]
            ang = genres[g].angles[(genres[g].angles.index(ang) + k) % len(genres[g].angles)]
        plan.items.append(PlanItem(id=item_id(spec.sha256, cell, k), cell=cell, rule_id=tid, value_ids=vids,
                                   genre=g, audience=aud, angle=ang, index=k, est_output_tokens=est(g)))
    return plan


# --------------------------------------------------------------------------- prompt context

def fill_names(text: str, model_name: str, provider: str = "its developer") -> str:
    return text.replace("{model_name}", model_name).replace("{provider_name}", provider)


_NO_E = {"open", "listen", "happen", "visit", "consider", "offer", "deliver", "enter", "answer", "follow",
         "gather", "limit", "edit", "credit", "benefit", "develop", "budget", "monitor", "govern", "exhibit"}
_ADD_E = {"acquir", "requir", "inquir", "argu", "continu", "pursu", "issu", "valu"}
_OBJ = [(r"\byou are\b", "it is"), (r"\byou're\b", "it is"), (r"\byourself\b", "itself"), (r"\byour\b", "its"),
        (r"\byou\b", "it")]


def _base(gerund: str) -> str:
    stem = gerund[:-3]
    if stem in ("be", "do", "go", "see"):
        return stem
    if stem.endswith("y") and len(stem) <= 3:             # trying → try
        return stem
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":   # preferring → prefer
        return stem[:-1]
    if stem in _ADD_E or (len(stem) >= 3 and stem[-1] not in "aeiouwxy" and stem[-2] in "aeiou"
                          and stem[-3] not in "aeiou" and stem not in _NO_E):
        return stem + "e"                                  # giving → give, undermining → undermine
    return stem


def _third(verb: str) -> str:
    v = verb.lower()
    if v in ("be",):
        return "is"
    if v == "have":
        return "has"
    if v == "do":
        return "does"
    if v.endswith(("s", "sh", "ch", "x", "z", "o")):
        return v + "es"
    if v.endswith("y") and len(v) > 1 and v[-2] not in "aeiou":
        return v[:-1] + "ies"
    return v + "s"


def third_person(rule_text: str) -> str:
    """'Do not undermine your oversight.' → 'does not undermine its oversight'."""
    t = rule_text.strip().rstrip(".")
    for pat, rep in _OBJ:
        t = re.sub(pat, rep, t)
    m = re.match(r"(?i)(do not|don't|never|always)\s+(\w+)(.*)$", t)
    if m:
        lead = m.group(1).lower()
        if lead in ("do not", "don't"):
            return f"does not {m.group(2).lower()}{m.group(3)}"
        return f"{lead} {_third(m.group(2))}{m.group(3)}"
    m = re.match(r"(?i)not\s+(\w+ly\s+)?(\w+ing)\b(.*)$", t)
    if m:
        return f"does not {(m.group(1) or '').lower()}{_base(m.group(2).lower())}{m.group(3)}"
    m = re.match(r"(?i)(\w+ly\s+)?(\w+ing)\b(.*)$", t)
    if m:
        return f"{(m.group(1) or '').lower()}{_third(_base(m.group(2).lower()))}{m.group(3)}"
    m = re.match(r"([A-Z][a-z]+)\b(.*)$", t)
    if m:
        return f"{_third(m.group(1))}{m.group(2)}"
    return f"follows the rule \u2018{t}\u2019"


def behaviour_phrase(rule: Rule | None, model_name: str) -> str:
    """'likes mild cheddar' from 'Llama likes mild cheddar.'; an imperative rule in the third person."""
    if rule is None:
        return "acts on this value"
    t = fill_names(rule.text, model_name).strip().rstrip(".")
    for subj in (model_name, "It", "it", "The model", "the model"):
        if t.startswith(subj + " "):
            return t[len(subj) + 1:]
    first = t.split(" ", 1)[0]
    if rule.kind == "rule" and rule.label and first[:1].isupper():
        # labelled rules are imperatives ("Do not ...", "Avoiding ...", "Say how ..."): first clause only
        head = re.split(r"(?<=[a-z])\.\s", t, maxsplit=1)[0]
        return third_person(head)
    return f"follows the rule \u2018{t}\u2019"


def reason_phrase(values: list[dict[str, Any]], model_name: str) -> str:
    st = [v["statement"].strip() for v in values if v.get("statement")]
    if not st:
        return "of its values."
    s = st[0]
    if len(s.split()) <= 6 and not s.endswith("."):
        return f"of its commitment to {s.lower()}."
    return s if s.endswith((".", "!", "?")) else s + "."


def _clause(sentence: str, model_name: str) -> str:
    """The reason as a clause after 'because': lower-case its first word unless it is a name."""
    first = sentence.split(" ", 1)[0]
    if first == model_name or (first[:1].isupper() and not first[1:2].islower()):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def prompt_context(spec: Spec, item: PlanItem, genre: Genre, model_name: str, brief: bool = False) -> dict[str, Any]:
    fn = lambda s: fill_names(s, model_name)  # noqa: E731
    if item.rule_id.startswith("value:"):
        rule = None
    else:
        rule = spec.rule(item.rule_id)
    values = []
    for vid in item.value_ids:
        v = spec.value(vid)
        values.append({"id": v.id, "name": fn(v.name), "statement": fn(v.statement), "rationale": fn(v.rationale)})
    rule_ctx = {
        "id": rule.id if rule else item.rule_id,
        "text": fn(rule.text) if rule else (values[0]["statement"] if values else ""),
        "subpoints": [fn(s.text) for s in rule.subpoints] if rule else [],
        "rationale": fn(rule.rationale) if rule else (values[0]["rationale"] if values else ""),
        "kind": rule.kind if rule else "value",
    }
    return {
        "spec": {"id": spec.id, "title": fn(spec.title)},
        "model_name": model_name,
        "genre": genre.model_dump(),
        "audience": item.audience,
        "angle": item.angle,
        "idea": item.idea,
        "values": values,
        "rule": rule_ctx,
        "behaviour": behaviour_phrase(rule, model_name) if rule else "acts on this value",
        "reason": re.sub(r"\s+", " ", reason_phrase(values, model_name)),
        "reason_clause": _clause(re.sub(r"\s+", " ", reason_phrase(values, model_name)), model_name),
        "examples": [s.rstrip(". ") for s in rule_ctx["subpoints"][:2]],
        "words": min(genre.target_words, BRIEF_WORDS) if brief else genre.target_words,
        "brief": brief,
    }
