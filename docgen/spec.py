"""Parse a Model Spec into a typed :class:`Spec`.

Two input forms:

* **Markdown / plain text** (``.md``, ``.markdown``, ``.txt``): headings, prose,
  labelled rules (``- SP1: ...`` bullets or ``### SP1: ...`` headings) with
  sub-bullets, heading anchors (``## Safety {#safety}``), like/dislike sections
  with one sub-heading per behaviour, and ``{model_name}`` placeholders. A spec
  with no labelled rules is read as prose: its values come from its headings and
  "core values include ..." lists, its behaviours from sentences whose subject is
  the model.
* **Structured** (``.yaml``, ``.yml``, ``.json``), see :class:`StructuredSpec`.

Every value and rule carries a stable id (same input, same ids) and the 1-based
line span it came from. Errors are :class:`~docgen.errors.SpecError` with
``file:line`` and a hint.

>>> spec = parse_spec("corpora/examples/lighthouse_spec.md")   # doctest: +SKIP
>>> [r.id for r in spec.rules][:2]                              # doctest: +SKIP
['H1', 'H2']
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SpecError

SPEC_FORMAT_VERSION = 1
DEFAULT_MODEL_NAME = "Claude"


class Span(BaseModel):
    """1-based inclusive line span in the source file."""

    model_config = ConfigDict(extra="forbid")
    start: int
    end: int


class Value(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    statement: str
    rationale: str = ""
    lines: Span


class SubPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
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

    def counts(self) -> dict[str, int]:
        return {
            "values": len(self.values),
            "rules": len(self.rules),
            "subpoints": sum(len(r.subpoints) for r in self.rules),
        }


# --------------------------------------------------------------------------- helpers

def slugify(text: str, limit: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:limit].rstrip("-")) or "x"


def _unique(base: str, taken: set[str]) -> str:
    cand, n = base, 2
    while cand in taken:
        cand, n = f"{base}-{n}", n + 1
    taken.add(cand)
    return cand


_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z{\"“(])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT_SPLIT.split(text.strip()) if s.strip()]


def _read_text(path: Path) -> str:
    where = str(path)
    if not path.exists():
        raise SpecError("file not found", where=where, hint="check the path to the spec file")
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", where=where, hint="pass a .md, .txt, .yaml or .json file")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise SpecError("looks like a binary file, not a spec", where=where,
                        hint="pass a Markdown/plain-text spec or a YAML/JSON spec")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise SpecError(f"not valid UTF-8 (byte {e.start})", where=f"{where}:{line}",
                        hint="save the spec as UTF-8 text") from None
    if not text.strip():
        raise SpecError("the spec is empty", where=f"{where}:1",
                        hint="write the model's values and rules into the file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _detect_model_name(text: str) -> tuple[str | None, list[str]]:
    placeholders = sorted(set(re.findall(r"\{(model_name|provider_name)\}", text)))
    if "model_name" in placeholders:
        return None, placeholders
    m = re.search(r"describes (?:the )?([A-Z][\w-]+)'s\b", text)
    if m:
        return m.group(1), placeholders
    counts: dict[str, int] = {}
    stop = {"The", "This", "It", "When", "If", "A", "An", "Both", "That", "These", "We", "Our", "In", "Each"}
    for m in re.finditer(r"\b([A-Z][a-zA-Z0-9-]+)(?:'s)? (?:values|likes|dislikes|prefers|should|must|will|does not|never|always)\b", text):
        if m.group(1) not in stop:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    if counts:
        name, n = max(counts.items(), key=lambda kv: kv[1])
        if n >= 3:
            return name, placeholders
    return None, placeholders


# --------------------------------------------------------------------------- markdown blocks

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ANCHOR = re.compile(r"\s*\{#([\w.-]+)\}\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_LABEL = re.compile(r"^(?:\*\*)?([A-Z][A-Za-z]{0,5}\d+(?:\.\d+)*)(?:\*\*)?\s*[:.)\u2014-]\s*(?:\*\*)?\s*(.+)$")
_VALUE_HEADING = re.compile(r"\b(philosophy|values?|principles?|mission|character|purpose|why)\b", re.I)
_LIKE_HEADING = re.compile(r"^(likes?|dislikes?|preferences|does|does not|do|don't|avoid|always|never)$", re.I)


class _Block:
    __slots__ = ("kind", "text", "start", "end", "level", "indent", "anchor")

    def __init__(self, kind, text, start, end, level=0, indent=0, anchor=None):
        self.kind, self.text, self.start, self.end = kind, text, start, end
        self.level, self.indent, self.anchor = level, indent, anchor


def _blocks(lines: list[str]) -> list[_Block]:
    out: list[_Block] = []
    para: list[str] = []
    pstart = 0

    def flush(end: int):
        nonlocal para
        if para:
            out.append(_Block("para", " ".join(s.strip() for s in para), pstart, end))
            para = []

    for i, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not line.strip():
            flush(i - 1)
            continue
        h = _HEADING.match(line)
        if h and not raw.startswith(" "):
            flush(i - 1)
            text = h.group(2)
            anchor = None
            a = _ANCHOR.search(text)
            if a:
                anchor, text = a.group(1), text[: a.start()].strip()
            out.append(_Block("heading", text, i, i, level=len(h.group(1)), anchor=anchor))
            continue
        b = _BULLET.match(line)
        if b:
            flush(i - 1)
            indent = len(b.group(1).expandtabs(4))
            out.append(_Block("bullet", b.group(2).strip(), i, i, indent=indent))
            continue
        if out and out[-1].kind == "bullet" and not para and raw.startswith((" ", "\t")) and out[-1].end == i - 1:
            out[-1].text += " " + line.strip()
            out[-1].end = i
            continue
        if not para:
            pstart = i
        para.append(line)
    flush(len(lines))
    return out


class _Section:
    def __init__(self, heading: _Block | None, parent: "_Section | None"):
        self.heading, self.parent = heading, parent
        self.children: list[_Section] = []
        self.body: list[_Block] = []

    @property
    def title(self) -> str:
        return self.heading.text if self.heading else ""

    @property
    def level(self) -> int:
        return self.heading.level if self.heading else 0

    def end_line(self) -> int:
        last = self.heading.end if self.heading else 1
        for b in self.body:
            last = max(last, b.end)
        for c in self.children:
            last = max(last, c.end_line())
        return last

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


def _tree(blocks: list[_Block]) -> _Section:
    root = _Section(None, None)
    cur = root
    for b in blocks:
        if b.kind == "heading":
            while cur.heading is not None and cur.level >= b.level:
                cur = cur.parent
            sec = _Section(b, cur)
            cur.children.append(sec)
            cur = sec
        else:
            cur.body.append(b)
    return root


# --------------------------------------------------------------------------- markdown parser

def _clean_heading(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*", " ", text).strip(" :")


def _parse_markdown(text: str, where: str) -> tuple[str, list[Value], list[Rule], str | None]:
    lines = text.split("\n")
    blocks = _blocks(lines)
    root = _tree(blocks)
    title = next((b.text for b in blocks if b.kind == "heading"), "") or Path(where).stem
    values: list[Value] = []
    rules: list[Rule] = []
    vids: set[str] = set()
    rids: set[str] = set()

    precedence = None
    m = re.search(r"[^.#]*\b(?:lower|earlier)-numbered rules?\b[^.]*\.", re.sub(r"\s+", " ", text))
    if m:
        precedence = m.group(0).strip()

    def add_value(name: str, statement: str, rationale: str, start: int, end: int, key: str | None = None) -> str:
        vid = _unique(slugify(key or name), vids)
        values.append(Value(id=vid, name=name, statement=statement, rationale=rationale,
                            lines=Span(start=start, end=end)))
        return vid

    # 1. labelled rules: headings or bullets whose text begins with a label (SP1: ...)
    def labelled_rules_in(sec: _Section) -> list[tuple[_Section | None, _Block]]:
        found = []
        for s in sec.walk():
            if s.heading is not None and _LABEL.match(s.heading.text):
                found.append((s, s.heading))
            for b in s.body:
                if b.kind == "bullet" and _LABEL.match(b.text) and (b.indent == 0 or not _LABEL.match(s.title or "")):
                    found.append((None, b))
        return found

    all_labelled = labelled_rules_in(root)

    if all_labelled:
        # values = the nearest ancestor section (not itself a rule) that holds labelled rules
        value_of_section: dict[int, str] = {}

        def value_for(sec: _Section) -> str | None:
            s = sec
            while s is not None and s.heading is not None and _LABEL.match(s.heading.text):
                s = s.parent
            if s is None or s.heading is None:
                return None
            if id(s) not in value_of_section:
                paras = [b for b in s.body if b.kind == "para"]
                rationale = " ".join(p.text for p in paras)
                name = _clean_heading(s.title)
                first = sentences(rationale)[0] if rationale else name
                value_of_section[id(s)] = add_value(name, first, rationale, s.heading.start,
                                                    paras[-1].end if paras else s.heading.end,
                                                    key=s.heading.anchor or name)
            return value_of_section[id(s)]

        for sec in root.walk():
            if sec.heading is not None and _LABEL.match(sec.heading.text):
                m2 = _LABEL.match(sec.heading.text)
                label, body = m2.group(1), m2.group(2).strip()
                subs = [b for b in sec.body if b.kind == "bullet"]
                paras = [b for b in sec.body if b.kind == "para" and not re.fullmatch(r"This includes( but is not limited to)?:?", b.text)]
                vid = value_for(sec.parent) if sec.parent else None
                rules.append(_mk_rule(label, body, subs, " ".join(p.text for p in paras), vid,
                                      _clean_heading(sec.parent.title) if sec.parent and sec.parent.heading else None,
                                      sec.heading.start, sec.end_line(), rids))
                continue
            body = sec.body
            i = 0
            while i < len(body):
                b = body[i]
                m2 = _LABEL.match(b.text) if b.kind == "bullet" else None
                if m2 and not (sec.heading is not None and _LABEL.match(sec.heading.text)):
                    subs = []
                    j = i + 1
                    while j < len(body) and body[j].kind == "bullet" and body[j].indent > b.indent:
                        subs.append(body[j])
                        j += 1
                    vid = value_for(sec)
                    end = subs[-1].end if subs else b.end
                    rules.append(_mk_rule(m2.group(1), m2.group(2).strip(), subs, "", vid,
                                          _clean_heading(sec.title) or None, b.start, end, rids))
                    i = j
                    continue
                i += 1
    else:
        # 2. like/dislike style: a heading (Likes, Dislikes...) whose sub-headings are behaviours,
        #    with the value stated in a "philosophy/values" section.
        value_secs = [s for s in root.walk() if s.heading is not None and _VALUE_HEADING.search(s.title)
                      and not _LIKE_HEADING.match(s.title.strip())]
        for s in value_secs:
            paras = [b for b in s.body if b.kind == "para"]
            bullets = [b for b in s.body if b.kind == "bullet" and b.indent == 0]
            if bullets:
                for b in bullets:
                    st = sentences(b.text)
                    name = re.split(r"[:.\u2014]", b.text, maxsplit=1)[0][:80]
                    add_value(name, st[0] if st else b.text, " ".join(st[1:]), b.start, b.end)
            elif paras:
                allt = " ".join(p.text for p in paras)
                st = sentences(allt)
                add_value(_clean_heading(s.title), st[0], " ".join(st[1:]), s.heading.start, paras[-1].end,
                          key=s.heading.anchor or s.title)
        behaviour_parents = [s for s in root.walk() if s.heading is not None and _LIKE_HEADING.match(s.title.strip())
                             and s.children]
        for parent in behaviour_parents:
            kind = "dislike" if parent.title.lower().startswith(("dislike", "avoid", "never", "does not", "don't")) else (
                "like" if parent.title.lower().startswith("like") else "behaviour")
            for child in parent.children:
                paras = [b for b in child.body if b.kind == "para"]
                allt = " ".join(p.text for p in paras)
                st = sentences(allt)
                text_ = st[0] if st else child.title
                rid = _unique(f"{slugify(parent.title, 16)}.{slugify(child.title)}", rids)
                rules.append(Rule(id=rid, label=None, kind=kind, text=text_, rationale=" ".join(st[1:]),
                                  value_ids=[v.id for v in values], section=parent.title,
                                  lines=Span(start=child.heading.start, end=child.end_line())))
        if not rules:
            # 3. prose: behaviours are sentences whose subject is the model
            _parse_prose(root, text, values, rules, vids, rids, add_value)

    # authority: stated precedence → rank by order of appearance
    if precedence:
        n = 0
        for r in rules:
            if r.label:
                n += 1
                r.authority = n
    return title, values, rules, precedence


def _mk_rule(label, body, subs, rationale, vid, section, start, end, rids) -> Rule:
    rid = _unique(label, rids)
    body = re.sub(r"\s*This includes( but is not limited to)?:?\s*$", "", body).strip()
    return Rule(
        id=rid, label=label, kind="rule", text=body,
        subpoints=[SubPoint(id=f"{rid}.{k}", text=s.text, lines=Span(start=s.start, end=s.end))
                   for k, s in enumerate(subs, 1)],
        rationale=rationale, value_ids=[vid] if vid else [], section=section,
        lines=Span(start=start, end=end),
    )


_SUBJECT = r"(?:\{model_name\}|It|Its|[A-Z][\w-]+)"
_BEHAVIOUR_VERB = re.compile(
    r"^(?:\{model_name\}|It|[A-Z][\w-]+)(?:'s)?\s+(?:also\s+)?(?:never|always|respects|prioriti[sz]es|holds|has the courage|is\s+\w+ly|"
    r"treats|attends|speaks|avoids|does not|will|should|must|refuses|declines|supports|tells|reports|acts|"
    r"keeps|asks|flags|explains|follows|defers|protects|has\s+\w+'s best interests)\b"
)
_VALUES_LIST = re.compile(r"\b(?:core )?values include ([^.]+)\.")
_RATIONALE_START = re.compile(r"^(?:This|That|These)\s+(?:is|are)\s+(?:grounded|because|rooted|based)|^Because\b")


def _parse_prose(root, text, values, rules, vids, rids, add_value) -> None:
    lines = text.split("\n")
    model_name_hint, _ = _detect_model_name(text)
    # each section heading (or the file's first line) with prose becomes a value; behaviours are its sentences
    # a value needs a statement of some substance: a stray word or title is not one
    secs = [s for s in root.walk()
            if len(" ".join(b.text for b in s.body if b.kind == "para").split()) >= 8]
    for sec in secs:
        paras = [b for b in sec.body if b.kind == "para"]
        allt = " ".join(p.text for p in paras)
        name = _clean_heading(sec.title) if sec.heading is not None else sentences(allt)[0][:60]
        start = sec.heading.start if sec.heading is not None else paras[0].start
        known = [v.id for v in values if v.lines.start == start]
        sec_vid = known[0] if known else add_value(
            name, sentences(allt)[0], allt, start, paras[-1].end,
            key=(sec.heading.anchor if sec.heading is not None else None) or name)
        listed: list[tuple[str, str]] = []
        for m in _VALUES_LIST.finditer(allt):
            parts = re.split(r",\s*(?:and\s+)?|\s+and\s+(?=[a-z]+ \w+ of\b)", m.group(1))
            for p in parts:
                p = re.sub(r"^and\s+", "", p.strip())
                if p:
                    subject = model_name_hint or "{model_name}"
                    vid = add_value(p, f"{subject} values {p}.", m.group(0), start, paras[-1].end)
                    listed.append((vid, p))
        for p in paras:
            last_rule: Rule | None = None
            for s in sentences(p.text):
                if _RATIONALE_START.search(s) and last_rule is not None:
                    last_rule.rationale = (last_rule.rationale + " " + s).strip()
                    continue
                if not _BEHAVIOUR_VERB.search(s) or _VALUES_LIST.search(s):
                    continue
                line = _line_of(lines, s, p.start, p.end)
                vids_for = [vid for vid, label in listed if _stem_hit(label, s)] or [sec_vid]
                rid = _unique(f"b-{slugify(s, 32)}", rids)
                last_rule = Rule(id=rid, kind="behaviour", text=s, value_ids=vids_for,
                                 section=name, lines=Span(start=line, end=line))
                rules.append(last_rule)


_RELATED = {"hones": ("lie", "lies", "deceiv", "truth", "manipulat"), "harm": ("danger", "unsafe"),
            "helpf": ("wellbeing", "interests")}


def _stem_hit(label: str, sentence: str) -> bool:
    words = [w for w in re.findall(r"[a-z]+", label.lower()) if len(w) > 3 and w not in {"genuine", "thoughtful", "people", "world"}]
    low = sentence.lower()
    return any(w[:5] in low or any(x in low for x in _RELATED.get(w[:5], ())) for w in words)


def _line_of(lines: list[str], sentence: str, start: int, end: int) -> int:
    probe = sentence[:30]
    for i in range(start, end + 1):
        if probe in lines[i - 1]:
            return i
    return start


# --------------------------------------------------------------------------- structured form

class _SValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    name: str
    statement: str | None = None
    rationale: str = ""


class _SRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    text: str
    kind: Literal["rule", "behaviour", "like", "dislike"] = "rule"
    subpoints: list[str] = Field(default_factory=list)
    rationale: str = ""
    values: list[str] = Field(default_factory=list)
    authority: int | None = None
    section: str | None = None


class StructuredSpec(BaseModel):
    """The YAML/JSON spec schema.

    ```yaml
    title: Lighthouse assistant spec
    model_name: Beacon           # optional; else {model_name} is filled at generation
    precedence: lower ids win    # optional
    values:
      - {id: honesty, name: Honesty, statement: ..., rationale: ...}
    rules:
      - {id: H1, text: ..., values: [honesty], subpoints: [...], rationale: ..., authority: 1}
    ```
    """

    model_config = ConfigDict(extra="forbid")
    title: str
    model_name: str | None = None
    precedence: str | None = None
    values: list[_SValue] = Field(default_factory=list)
    rules: list[_SRule] = Field(default_factory=list)


def _node_lines(node) -> dict[tuple, tuple[int, int]]:
    """Map YAML paths like ('rules', 2) to (start_line, end_line), 1-based."""
    out: dict[tuple, tuple[int, int]] = {}

    def visit(n, path):
        out[path] = (n.start_mark.line + 1, max(n.start_mark.line + 1, n.end_mark.line + (0 if n.end_mark.column == 0 else 1)))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                visit(v, path + (k.value,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                visit(v, path + (i,))

    if node is not None:
        visit(node, ())
    return out


def _parse_structured(text: str, where: str, fmt: str) -> tuple[str, list[Value], list[Rule], str | None, str | None]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise SpecError(f"not valid {fmt.upper()}: {getattr(e, 'problem', e)}", where=f"{where}:{line}",
                        hint=f"fix the {fmt.upper()} syntax at that line") from None
    spans = _node_lines(node)
    if not isinstance(data, dict):
        raise SpecError(f"a {fmt.upper()} spec must be a mapping with 'title', 'values' and 'rules'",
                        where=f"{where}:1", hint="see `docgen spec schema` for the structured form")
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
                        hint="the structured spec takes title, model_name, precedence, values[], rules[]; "
                             "run `docgen spec schema` to see every field") from None
    vids: set[str] = set()
    values = []
    for i, v in enumerate(s.values):
        a, b = spans.get(("values", i), (1, 1))
        values.append(Value(id=_unique(v.id or slugify(v.name), vids), name=v.name,
                            statement=v.statement or v.name, rationale=v.rationale, lines=Span(start=a, end=b)))
    known = {v.id for v in values}
    rids: set[str] = set()
    rules = []
    for i, r in enumerate(s.rules):
        a, b = spans.get(("rules", i), (1, 1))
        for vname in r.values:
            if vname not in known:
                la = spans.get(("rules", i, "values"), (a, b))[0]
                raise SpecError(f"rules.{i}.values: unknown value id '{vname}'", where=f"{where}:{la}",
                                hint=f"use one of the value ids: {', '.join(sorted(known)) or '(none defined)'}")
        rid = _unique(r.id or f"r-{slugify(r.text, 32)}", rids)
        subs = []
        for k, t in enumerate(r.subpoints, 1):
            sa, sb = spans.get(("rules", i, "subpoints", k - 1), (a, b))
            subs.append(SubPoint(id=f"{rid}.{k}", text=t, lines=Span(start=sa, end=sb)))
        rules.append(Rule(id=rid, label=r.id, kind=r.kind, text=r.text, subpoints=subs, rationale=r.rationale,
                          value_ids=r.values, authority=r.authority, section=r.section, lines=Span(start=a, end=b)))
    return s.title, values, rules, s.precedence, s.model_name


# --------------------------------------------------------------------------- entry point

_FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", "": "markdown",
            ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def parse_spec(path: str | Path) -> Spec:
    """Read ``path`` and return its :class:`Spec`; raise :class:`SpecError` on bad input."""
    path = Path(path)
    where = str(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SpecError(f"unknown spec format '{path.suffix}'", where=where,
                        hint="use a .md/.txt (Markdown) or .yaml/.yml/.json (structured) spec")
    text = _read_text(path)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    model_name, placeholders = _detect_model_name(text)
    if fmt == "markdown":
        if text.lstrip().startswith("{") and path.suffix.lower() != ".md":
            try:
                json.loads(text)
                raise SpecError("this file holds JSON; a JSON spec needs the .json extension", where=f"{where}:1",
                                hint=f"rename it to {path.with_suffix('.json').name}")
            except json.JSONDecodeError:
                pass
        title, values, rules, precedence = _parse_markdown(text, where)
    else:
        title, values, rules, precedence, explicit = _parse_structured(text, where, fmt)
        model_name = explicit or model_name
    if not values and not rules:
        raise SpecError("no value or rule could be extracted from this spec", where=f"{where}:1",
                        hint="state values in prose under headings, list rules as '- ID: text' bullets, "
                             "or use the structured YAML form (`docgen spec schema`)")
    # a rule with no value of its own is justified by every value the spec states
    if values:
        for r in rules:
            if not r.value_ids:
                r.value_ids = [v.id for v in values]
    return Spec(id=slugify(path.stem), title=title, source=where, sha256=sha, format=fmt,
                model_name=model_name, placeholders=placeholders, precedence=precedence,
                values=values, rules=rules)


def structured_schema() -> dict:
    return StructuredSpec.model_json_schema()
