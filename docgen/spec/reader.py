"""Entry point: file → :class:`Spec` (Markdown tree or structured form), cached per process."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

import yaml

from ..errors import SpecError
from .build import Build
from .legacy import has_labelled_rules, is_flat_prose, read_labelled, read_likes, read_prose
from .model import Spec
from .rules import GeneralReader
from .source import FORMATS, read_text
from .structured import check_limits, parse_structured
from .text import detect_model_name, example_label, is_dialogue, is_first_person, is_descriptive, is_second_person, slugify
from .tree import Node, Section, parse_markdown
from .values import assemble

_CACHE: dict[tuple, Spec] = {}
_LOCK = threading.Lock()
PARSE_COUNT = {"n": 0}          # parses actually done (tests check that a command parses once)


def _front_matter(text: str, where: str) -> dict:
    if not text.strip():
        return {}
    check_limits(text, where, "yaml")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _prose_text(root: Section) -> str:
    """Headings and paragraphs a spec states in its own voice: no code, quotes,
    admonitions, tables, footnotes, dialogue or example blocks."""
    out: list[str] = []
    for s in root.walk():
        if s.level:
            out.append(s.title)
        if re.match(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:examples?|transcripts?)\b", s.title, re.I):
            continue
        stack = list(s.body)
        in_example = False
        while stack:
            n = stack.pop(0)
            if n.kind in ("code", "quote", "admonition", "table", "footnote_block", "footnote", "html"):
                continue
            if n.kind == "para":
                lab, _ = example_label(n.text)
                if lab or is_dialogue(n.raw):
                    in_example = True
                    continue
                if in_example and not n.text.rstrip().endswith(":"):
                    continue
                in_example = False
                out.append(n.text)
            else:
                stack[:0] = n.children
    return "\n".join(out)


_FM_VALUES = re.compile(r"(?:core[_ ]?)?(?:values|principles|priorities|commitments|tenets)$", re.I)
_FM_NAME = ("name", "title", "value", "principle", "label")
_FM_WHY = ("why", "reason", "rationale", "because", "description", "statement", "means", "meaning", "summary")


def _front_matter_values(rd: GeneralReader, fm: dict, lines: list[str]) -> None:
    """YAML front matter that lists the values (``principles:`` with ``- name: … why: …`` items, or plain
    strings), in a spec whose body lists none: the spec's listed values."""
    if rd.listed or not isinstance(fm, dict):
        return
    items = next((v for k, v in fm.items() if isinstance(k, str) and _FM_VALUES.match(k.strip()) and isinstance(v, list)),
                 None)
    if not items:
        return
    end = next((i for i, x in enumerate(lines[1:], 2) if x.strip() in ("---", "...")), len(lines))
    for it in items:
        if isinstance(it, dict):
            name = next((str(it[k]) for k in _FM_NAME if isinstance(it.get(k), (str, int, float))), "")
            desc = next((str(it[k]) for k in _FM_WHY if isinstance(it.get(k), str)), "")
        elif isinstance(it, str):
            name, _, desc = it.partition(":")
        else:
            continue
        name = name.strip()
        if not name:
            continue
        at = next((i for i, x in enumerate(lines[:end], 1) if name in x), 1)
        rd.listed.append((name[:80], desc.strip(), Node("para", at, at, text=desc.strip()), rd.root))
    if rd.listed:
        rd.declared = True


def _read_markdown(text: str, where: str, model_override: str | None):
    doc = parse_markdown(text, title_fallback=Path(where).stem)
    root = doc.root
    fm = _front_matter(doc.front_matter, where)
    prose = _prose_text(root)
    model_name, placeholders = detect_model_name(prose, fm)
    b = Build(lines=text.split("\n"), model_name=model_name, first_person=is_first_person(prose),
              second_person=bool(model_name) and is_second_person(prose),
              descriptive=is_descriptive(prose, model_name))
    m = None
    for line in prose.split("\n"):
        if "-numbered" in line:
            m = re.search(r"[^.#]{0,300}\b(?:lower|earlier)-numbered rules?\b[^.]*\.", line)
            if m:
                break
    if has_labelled_rules(root):
        read_labelled(root, b)
        if m:
            b.precedence = m.group(0).strip()
            n = 0
            for r in b.rules:
                if r.label:
                    n += 1
                    r.authority = n
    elif read_likes(root, b):
        pass
    else:
        rd = GeneralReader(root, b)
        rd.run()
        _front_matter_values(rd, fm, b.lines)
        prose_b = None
        if is_flat_prose(root) and all(rd._is_doc(r.owner) for r in rd.raws) and not rd.listed:
            # value prose with no headings of rules: behaviours are the model's sentences
            prose_b = Build(lines=b.lines, model_name=model_name)
            read_prose(root, prose_b)
        if prose_b is not None and len(prose_b.rules) > len(rd.raws):
            b = prose_b            # (when the general reading finds as many rules, a table's or a list's, it stays)
        else:
            assemble(rd, b)
            if not b.rules:
                read_prose(root, b)
    title = fm.get("title") if isinstance(fm.get("title"), str) else None
    title = title or next((s.title for s in root.walk() if s.level), "") or Path(where).stem
    return title, b, model_name, placeholders


def parse_text(text: str, where: str = "<spec>", fmt: str = "markdown", *, model_name: str | None = None) -> Spec:
    """Parse spec ``text`` (already read); ``where`` names it in errors."""
    PARSE_COUNT["n"] += 1
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    notes, levels = [], []
    if fmt == "markdown":
        if text.lstrip().startswith("{") and not where.lower().endswith(".md"):
            try:
                json.loads(text)
                raise SpecError("this file holds JSON; a JSON spec needs the .json extension", where=f"{where}:1",
                                hint=f"rename it to {Path(where).with_suffix('.json').name}")
            except (json.JSONDecodeError, RecursionError):
                pass
        title, b, detected, placeholders = _read_markdown(text, where, model_name)
        values, rules, precedence, notes, levels = b.values, b.rules, b.precedence, b.notes, b.levels
    else:
        title, values, rules, precedence, detected, levels = parse_structured(text, where, fmt)
        placeholders = sorted(set(re.findall(r"\{(model_name|provider_name)\}", text)))
    if not values and not rules:
        raise SpecError("no value or rule could be extracted from this spec", where=f"{where}:1",
                        hint="state values in prose under headings, write rules as 'X should …' sentences, "
                             "imperative headings or '- ID: text' bullets, or use the structured YAML form "
                             "(`docgen spec schema`)")
    if values:
        for r in rules:
            if not r.value_ids:
                r.value_ids = [v.id for v in values if v.parent is None]
    spec = Spec(id=slugify(Path(where).stem), title=title, source=where, sha256=sha, format=fmt,
                model_name=detected, placeholders=placeholders, precedence=precedence, values=values, rules=rules,
                authority_levels=levels, notes=notes)
    if model_name:
        _rename(spec, detected, model_name)
    return spec


def _rename(spec: Spec, old: str | None, new: str) -> None:
    """--model-name: the spec's own name for the model becomes ``new`` everywhere."""
    spec.model_name = new
    if not old or old == new:
        return
    pat = re.compile(r"\b" + re.escape(old) + r"\b")
    for v in spec.values:
        v.name, v.statement, v.rationale = (pat.sub(new, x) for x in (v.name, v.statement, v.rationale))
    for r in spec.rules:
        r.text, r.rationale = pat.sub(new, r.text), pat.sub(new, r.rationale)
        for s in r.subpoints:
            s.text = pat.sub(new, s.text)


def parse_spec(path: str | Path, *, model_name: str | None = None) -> Spec:
    """Read ``path`` and return its :class:`Spec`; raise :class:`SpecError` on bad input.

    ``model_name`` overrides the name the spec gives the model. The same unchanged file
    is parsed only once per process; each call returns its own copy.
    """
    path = Path(path)
    where = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SpecError(f"unknown spec format '{path.suffix}'", where=where,
                        hint="use a .md/.txt (Markdown) or .yaml/.yml/.json (structured) spec")
    key = None
    try:
        st = path.stat()
        if path.is_file():
            key = (str(path.resolve()), where, st.st_size, st.st_mtime_ns, st.st_ino, model_name)
    except OSError:
        pass
    if key is not None:
        with _LOCK:
            hit = _CACHE.get(key)
        if hit is not None:
            return hit.model_copy(deep=True)
    text = read_text(path)
    spec = parse_text(text, where, fmt, model_name=model_name)
    if key is not None:
        with _LOCK:
            if len(_CACHE) > 16:
                _CACHE.clear()
            _CACHE[key] = spec.model_copy(deep=True)
    return spec


def render_tree(spec: Spec, width: int = 100) -> str:
    """The value → rule tree of ``spec`` for `docgen spec inspect`."""
    out: list[str] = []
    children: dict[str | None, list] = {}
    for v in spec.values:
        children.setdefault(v.parent if v.parent in {x.id for x in spec.values} else None, []).append(v)
    by_value: dict[str, list] = {}
    tops = sorted(v.id for v in spec.values if v.parent is None)
    for r in spec.rules:
        wide = not r.value_ids or (len(tops) > 1 and sorted(r.value_ids) == tops)
        by_value.setdefault("" if wide else r.value_ids[0], []).append(r)

    def rule_line(r, ind):
        auth = f" authority={r.authority_label or r.authority}" if r.authority is not None or r.authority_label else ""
        ex = f" examples={len(r.examples)}" if r.examples else ""
        sub = f" sub-points={len(r.subpoints)}" if r.subpoints else ""
        pol = "DO NOT" if r.polarity == "do_not" else "DO"
        out.append(f"{ind}- [{pol}] {r.id}  L{r.lines.start}-{r.lines.end}{auth}{sub}{ex}")
        out.append(f"{ind}    {r.text[:width]}")

    stack = [(v, 0) for v in reversed(children.get(None, []))]
    while stack:
        v, depth = stack.pop()
        ind = "  " * depth
        auth = f" authority={v.authority}" if v.authority is not None else ""
        out.append(f"{ind}{v.name}  [{v.id}]  L{v.lines.start}-{v.lines.end}{auth}")
        for r in by_value.get(v.id, []):
            rule_line(r, ind + "  ")
        stack.extend((c, depth + 1) for c in reversed(children.get(v.id, [])))
    loose = by_value.get("", [])
    if loose:
        out.append("(spec-wide: rules in no value's section, linked to every value)")
        for r in loose:
            rule_line(r, "  ")
    return "\n".join(out)
