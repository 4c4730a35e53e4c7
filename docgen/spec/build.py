"""The shared state of one Markdown read: values, rules, notes, ids."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .model import Note, Rule, Span, Value
from .text import slugify, unique


@dataclass
class Build:
    lines: list[str]
    model_name: str | None = None
    values: list[Value] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    vids: set[str] = field(default_factory=set)
    rids: set[str] = field(default_factory=set)
    precedence: str | None = None
    levels: list[str] = field(default_factory=list)
    first_person: bool = False          # the model states its own principles ("I never …")
    second_person: bool = False         # a system prompt addressed to the model ("You are Pilot … you never …")
    descriptive: bool = False           # says what the model does ("Kesh reads only …", "Corran will rank …")

    def add_value(self, name: str, statement: str, rationale: str, start: int, end: int,
                  key: str | None = None, parent: str | None = None) -> str:
        vid = unique(slugify(key or name), self.vids)
        self.values.append(Value(id=vid, name=name, statement=statement, rationale=rationale,
                                 lines=Span(start=start, end=max(start, end)), parent=parent))
        return vid

    def rule_id(self, base: str) -> str:
        return unique(base, self.rids)

    def note(self, kind: str, message: str, start: int, end: int | None = None) -> None:
        self.notes.append(Note(kind=kind, message=message, lines=Span(start=start, end=max(start, end or start))))

    @property
    def subject(self) -> str:
        """How a composed rule names the model."""
        return self.model_name or "{model_name}"


def clean_heading(text: str) -> str:
    """Heading text without parentheticals, trailing colons and leading emoji: "Core Safety Principles (SPs)",
    "🛟 Safety" → "Safety"."""
    text = re.sub(r"\s*\([^)]*\)\s*", " ", text).strip(" :")
    i = 0
    while i < len(text) and (unicodedata.category(text[i]) in ("So", "Mn", "Cf", "Sk") or text[i].isspace()):
        i += 1
    return text[i:] or text
