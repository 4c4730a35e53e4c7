"""The structured (YAML/JSON) spec form, read with limits.

Before anything is built, the event stream is scanned without recursion: nesting
deeper than :data:`MAX_DEPTH` is refused, and so is a document whose aliases would
expand past :data:`MAX_NODES` nodes (a "billion laughs" bomb of nested anchors is a
few hundred bytes that expand to billions of nodes).
"""

from __future__ import annotations

import re
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import SpecError
from .model import Example, Rule, Span, SubPoint, Value
from .text import slugify, unique

MAX_DEPTH = 64          # a spec needs about 6 levels
MAX_NODES = 200_000     # nodes after alias expansion (the largest real specs have a few thousand)


class _SValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    name: str
    statement: str | None = None
    rationale: str = ""
    parent: str | None = None
    authority: int | None = None


class _SExample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Literal["good", "bad"] | None = None
    text: str


class _SRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    text: str
    kind: Literal["rule", "behaviour", "like", "dislike"] = "rule"
    polarity: Literal["do", "do_not"] = "do"
    subpoints: list[str] = Field(default_factory=list)
    rationale: str = ""
    values: list[str] = Field(default_factory=list)
    authority: int | str | None = None
    section: str | None = None
    examples: list[_SExample] = Field(default_factory=list)


class StructuredSpec(BaseModel):
    """The YAML/JSON spec schema.

    Top-level keys starting with ``x-`` are extensions and are ignored.

    ```yaml
    title: Lighthouse assistant spec
    model_name: Beacon           # optional; else {model_name} is filled at generation
    precedence: lower ids win    # optional
    authority_levels: [platform, developer, user]   # optional, highest first
    values:
      - {id: care, name: Care, statement: ..., rationale: ...}
    rules:
      - {id: H1, text: ..., values: [care], polarity: do_not, authority: developer}
    ```
    """

    model_config = ConfigDict(extra="forbid")
    title: str
    model_name: str | None = None
    precedence: str | None = None
    authority_levels: list[str] = Field(default_factory=list)
    values: list[_SValue] = Field(default_factory=list)
    rules: list[_SRule] = Field(default_factory=list)


def check_limits(text: str, where: str, fmt: str) -> None:
    """Refuse input nested deeper than MAX_DEPTH or expanding past MAX_NODES (iterative)."""
    depth = 0
    anchors: dict[str, int] = {}       # anchor → expanded size of its node
    open_sizes: list[list] = []         # per open collection: [anchor, size so far]
    total = 0
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecError(f"the {fmt.upper()} is nested more than {MAX_DEPTH} levels deep",
                                    where=f"{where}:{ev.start_mark.line + 1}",
                                    hint="a spec needs a few levels (values, rules, sub-points): flatten it")
                open_sizes.append([ev.anchor, 1])
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
                anchor, size = open_sizes.pop()
                if anchor:
                    anchors[anchor] = size
                if open_sizes:
                    open_sizes[-1][1] += size
                else:
                    total += size
            elif isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
                size = anchors.get(ev.anchor, 1) if isinstance(ev, yaml.AliasEvent) else 1
                if isinstance(ev, yaml.ScalarEvent) and ev.anchor:
                    anchors[ev.anchor] = 1
                if open_sizes:
                    open_sizes[-1][1] += size
                else:
                    total += size
            else:
                continue
            running = total + sum(s for _, s in open_sizes)
            if running > MAX_NODES:
                line = ev.start_mark.line + 1
                raise SpecError(f"the {fmt.upper()} expands to more than {MAX_NODES:,} nodes "
                                f"(aliases of aliases: a 'billion laughs' document?)", where=f"{where}:{line}",
                                hint="write the spec out without nested YAML anchors/aliases")
    except yaml.YAMLError:
        return          # the composer reports syntax errors with their line


def _node_lines(node, text: str) -> dict[tuple, tuple[int, int]]:
    """Map YAML paths like ('rules', 2) to (start_line, end_line), 1-based (iterative)."""
    out: dict[tuple, tuple[int, int]] = {}
    src = text.split("\n")
    stack = [(node, ())] if node is not None else []
    while stack:
        n, path = stack.pop()
        e = n.end_mark
        before = src[e.line][: e.column] if e.line < len(src) else ""
        end = e.line if before.strip() in ("", "-") else e.line + 1     # ends before the next item's line
        while end > n.start_mark.line + 1 and end - 1 < len(src) and not src[end - 1].strip():
            end -= 1
        out[path] = (n.start_mark.line + 1, max(n.start_mark.line + 1, end))
        if isinstance(n, yaml.MappingNode):
            stack.extend((v, path + (k.value,)) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((v, path + (i,)) for i, v in enumerate(n.value))
    return out


def parse_structured(text: str, where: str, fmt: str):
    """→ (title, values, rules, precedence, model_name, authority_levels)."""
    check_limits(text, where, fmt)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise SpecError(f"not valid {fmt.upper()}: {getattr(e, 'problem', e)}", where=f"{where}:{line}",
                        hint=f"fix the {fmt.upper()} syntax at that line") from None
    spans = _node_lines(node, text)
    if not isinstance(data, dict):
        raise SpecError(f"a {fmt.upper()} spec must be a mapping with 'title', 'values' and 'rules'",
                        where=f"{where}:1", hint="see `docgen spec schema` for the structured form")
    # extension keys ("x-…", as in OpenAPI) carry tool data such as shared anchors: ignored
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and re.match(r"x[-_]", k))}
    try:
        s = StructuredSpec.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        line = None
        for k in range(len(loc), -1, -1):
            if loc[:k] in spans:
                line = spans[loc[:k]][0]
                break
        path = ".".join(str(p) for p in loc) or "(top level)"
        raise SpecError(f"{path}: {err['msg']}", where=f"{where}:{line or 1}",
                        hint="the structured spec takes title, model_name, precedence, authority_levels, values[], "
                             "rules[]; run `docgen spec schema` to see every field") from None
    vids: set[str] = set()
    values = []
    for i, v in enumerate(s.values):
        a, b = spans.get(("values", i), (1, 1))
        values.append(Value(id=unique(v.id or slugify(v.name), vids), name=v.name, statement=v.statement or v.name,
                            rationale=v.rationale, lines=Span(start=a, end=b), parent=v.parent,
                            authority=v.authority))
    known = {v.id for v in values}
    levels = [lv.strip().lower() for lv in s.authority_levels]
    rids: set[str] = set()
    rules = []
    for i, r in enumerate(s.rules):
        a, b = spans.get(("rules", i), (1, 1))
        for vname in r.values:
            if vname not in known:
                la = spans.get(("rules", i, "values"), (a, b))[0]
                raise SpecError(f"rules.{i}.values: unknown value id '{vname}'", where=f"{where}:{la}",
                                hint=f"use one of the value ids: {', '.join(sorted(known)) or '(none defined)'}")
        auth, auth_label = r.authority, None
        if isinstance(auth, str):
            auth_label = auth.strip().lower()
            if auth_label.isdigit():
                auth, auth_label = int(auth_label), None
            elif auth_label in levels:
                auth = levels.index(auth_label) + 1
            else:
                la = spans.get(("rules", i, "authority"), (a, b))[0]
                raise SpecError(f"rules.{i}.authority: unknown level '{r.authority}'", where=f"{where}:{la}",
                                hint="list the levels, highest first, under authority_levels: "
                                     + (", ".join(levels) if levels else "(none listed)"))
        rid = unique(r.id or f"r-{slugify(r.text, 32)}", rids)
        subs = []
        for k, t in enumerate(r.subpoints, 1):
            sa, sb = spans.get(("rules", i, "subpoints", k - 1), (a, b))
            subs.append(SubPoint(id=f"{rid}.{k}", text=t, lines=Span(start=sa, end=sb)))
        exs = []
        for k, ex in enumerate(r.examples):
            ea, eb = spans.get(("rules", i, "examples", k), (a, b))
            exs.append(Example(label=ex.label, text=ex.text, lines=Span(start=ea, end=eb)))
        rules.append(Rule(id=rid, label=r.id, kind=r.kind, text=r.text, subpoints=subs, rationale=r.rationale,
                          value_ids=r.values, authority=auth, authority_label=auth_label, section=r.section,
                          lines=Span(start=a, end=b), polarity=r.polarity, examples=exs))
    return s.title, values, rules, s.precedence, s.model_name, levels
