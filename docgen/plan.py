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
from dataclasses import asdict, dataclass, field
from typing import Any

from .genres import Genre
from .spec import Spec

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
    estimate: dict[str, Any] | None = None     # requests, tokens and cost (set by docgen.plan)
    spec: Spec | None = field(default=None, repr=False, compare=False)   # the spec planned (set by docgen.plan)

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


def uncovered(spec: Spec, plan: Plan) -> tuple[list[str], int]:
    """The rule (or uncited value) ids a plan gives no document, and how many targets there are.

    ``make_plan`` puts every target in its first ``len(targets)`` items, so
    ``--docs`` of at least that many covers each one once."""
    targets = [t for t, _ in _targets(spec)]
    planned = {i.rule_id for i in plan.items}
    return [t for t in targets if t not in planned], len(targets)


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
