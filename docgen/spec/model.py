"""The typed result of reading a spec: :class:`Spec`, :class:`Value`, :class:`Rule`.

These are the contract other modules read (plan, prompts, attribution, coverage) and
the body of ``docgen spec inspect --json`` (documented in docs/spec-json.md). Fields
are only ever added, with defaults, so older dumps still validate.
"""

from __future__ import annotations

import re

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SPEC_FORMAT_VERSION = 2
DEFAULT_MODEL_NAME = "the assistant"   # a spec that names no model and no --model-name: a generic reference


class Span(BaseModel):
    """1-based inclusive line span in the source file."""

    model_config = ConfigDict(extra="forbid")
    start: int
    end: int


class Value(BaseModel):
    """Something the assistant cares about, with the reasons the spec gives."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    statement: str
    rationale: str = ""
    lines: Span
    parent: str | None = None             # id of the enclosing value, for nested sections
    authority: int | None = None          # rank when the spec orders its values (1 = highest)


class SubPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    lines: Span


class Example(BaseModel):
    """An example (dialogue, code, GOOD/BAD response) that illustrates a rule; never a rule itself."""

    model_config = ConfigDict(extra="forbid")
    label: Literal["good", "bad"] | None = None
    text: str
    lines: Span


class Rule(BaseModel):
    """A rule or behaviour the spec asks of the model, and the values behind it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    label: str | None = None
    kind: Literal["rule", "behaviour", "like", "dislike"] = "rule"
    text: str
    subpoints: list[SubPoint] = Field(default_factory=list)
    rationale: str = ""
    value_ids: list[str] = Field(default_factory=list)
    authority: int | None = None
    section: str | None = None
    lines: Span
    polarity: Literal["do", "do_not"] = "do"
    authority_label: str | None = None    # the level as written ("developer"), when named
    examples: list[Example] = Field(default_factory=list)


class Note(BaseModel):
    """Something the reader skipped or could not place, for `spec inspect` and `spec lint`."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["skipped", "warning"]
    message: str
    lines: Span


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int = SPEC_FORMAT_VERSION
    id: str
    title: str
    source: str
    sha256: str
    format: Literal["markdown", "yaml", "json"]
    model_name: str | None = None
    placeholders: list[str] = Field(default_factory=list)
    precedence: str | None = None
    values: list[Value]
    rules: list[Rule]
    authority_levels: list[str] = Field(default_factory=list)   # named levels, highest first
    notes: list[Note] = Field(default_factory=list)

    def value(self, value_id: str) -> Value:
        for v in self.values:
            if v.id == value_id:
                return v
        raise KeyError(value_id)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def resolved_model_name(self, override: str | None = None) -> str:
        return override or self.model_name or DEFAULT_MODEL_NAME

    def fill_name(self, text: str | None, override: str | None = None) -> str:
        """``text`` of this spec about the assistant as :meth:`resolved_model_name` names it: ``{model_name}``
        filled, and where the spec names its model ("Llama likes Colby") and another name is asked for, that
        name put in its place, so a corpus about another assistant reads the spec in its name."""
        name = self.resolved_model_name(override)
        out = (text or "").replace("{model_name}", name)
        if self.model_name and name != self.model_name:
            out = re.sub(r"\b%s\b" % re.escape(self.model_name), name, out)
        return out

    def planning_order(self) -> list[Rule]:
        """Rules in the order a plan that cannot cover them all should take them: one from
        each top-level value in turn (values the spec ranks first, by rank; then the others
        by position), and inside a value one from its own rules and from each nested value
        in turn. Every rule appears once."""
        vals = {v.id: v for v in self.values}
        inf = float("inf")
        own: dict[str, list[Rule]] = {}
        for r in self.rules:
            own.setdefault(r.value_ids[0] if r.value_ids and r.value_ids[0] in vals else "", []).append(r)
        kids: dict[str | None, list[Value]] = {}
        for v in self.values:
            kids.setdefault(v.parent if v.parent in vals else None, []).append(v)

        def rr(queues: list[list[Rule]]) -> list[Rule]:
            out: list[Rule] = []
            for i in range(max((len(q) for q in queues), default=0)):
                out += [q[i] for q in queues if i < len(q)]
            return out

        def under(vid: str, depth: int = 0) -> list[Rule]:
            mine = sorted(own.get(vid, []), key=lambda r: (r.authority if r.authority is not None else inf,
                                                           r.lines.start))
            if depth > 32:
                return mine
            return rr([mine] + [under(c.id, depth + 1) for c in kids.get(vid, [])])

        tops = sorted(kids.get(None, []), key=lambda v: (v.authority if v.authority else inf, v.lines.start))
        ranked = [under(v.id) for v in tops if v.authority]
        rest = [under(v.id) for v in tops if not v.authority] + [own.get("", [])]
        return rr(ranked) + rr(rest)        # values the spec ranks come before those it does not

    def counts(self) -> dict[str, int]:
        return {
            "values": len(self.values),
            "rules": len(self.rules),
            "subpoints": sum(len(r.subpoints) for r in self.rules),
        }
