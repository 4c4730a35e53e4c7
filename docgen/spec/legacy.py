"""Three compact spec shapes read on the document tree:

* **labelled rules**: ``- SP1: …`` bullets or ``### SP1: …`` headings, each tied to
  the section (value) it sits in; "lower-numbered rules take priority" ranks them;
* **like/dislike**: a values section ("Core Philosophy") and Likes/Dislikes headings
  with one sub-heading per behaviour;
* **flat prose**: one or a few paragraphs of value prose; behaviours are sentences
  whose subject is the model, values are sections and "core values include …" lists.
"""

from __future__ import annotations

import re

from .build import Build, clean_heading
from .model import Rule, Span, SubPoint
from .text import deontic, sentences, slugify
from .tree import Node, Section, walk_nodes

LABEL = re.compile(r"^(?:\*\*)?([A-Z][A-Za-z]{0,5}\d+(?:\.\d+)*)(?:\*\*)?\s*[:.)\u2014-]\s*(?:\*\*)?\s*(.+)$")
_VALUE_HEADING = re.compile(r"\b(philosophy|values?|principles?|mission|character|purpose|why)\b", re.I)
_LIKE_HEADING = re.compile(r"^(likes?|dislikes?|preferences|does|does not|do|don't|avoid|always|never)$", re.I)
_INCLUDES = re.compile(r"\s*This includes( but is not limited to)?:?\s*$")


def _paras(sec: Section) -> list[Node]:
    return [b for b in sec.body if b.kind == "para"]


def _item_text(item: Node) -> str:
    return next((c.text for c in item.children if c.kind == "para"), "")


def _top_items(sec: Section) -> list[Node]:
    return [it for b in sec.body if b.kind == "list" for it in b.children if it.kind == "item"]


def _nested_items(node: Node) -> list[Node]:
    return [n for n in walk_nodes([c for c in node.children if c.kind == "list"]) if n.kind == "item"]


# "- **P1. Quiet hours.** The building sleeps at ten …": a labelled term in bold, defined after it (a principle
# that rules refer to as "(P1)"), not a labelled rule
_DEFINITION = re.compile(r"^\s*(?:\*\*|__)[A-Z][A-Za-z]{0,5}\d+(?:\.\d+)*\s*[:.)\u2014-]?\s*[^*_\n]{2,60}?(?:\*\*|__)\s*\S")


def _is_definition(item: Node) -> bool:
    para = next((c for c in item.children if c.kind == "para"), None)
    return bool(para is not None and _DEFINITION.match(para.raw or ""))


def has_labelled_rules(root: Section) -> bool:
    for s in root.walk():
        if s.level and LABEL.match(s.title):
            return True
        if any(LABEL.match(_item_text(it)) and not _is_definition(it) for it in _top_items(s)):
            return True
    return False


def _polarity(text: str) -> str:
    return "do_not" if re.match(r"(?:do\s+not|don['’]t|never|avoid|not|refrain)\b", text.strip(), re.I) else "do"


def _subpoints(rid: str, items: list[Node]) -> list[SubPoint]:
    return [SubPoint(id=f"{rid}.{k}", text=_item_text(it), lines=Span(start=it.start, end=it.end))
            for k, it in enumerate(items, 1)]


def read_labelled(root: Section, b: Build) -> None:
    value_of: dict[int, str] = {}

    def value_for(sec: Section | None) -> str | None:
        s = sec
        while s is not None and s.level and LABEL.match(s.title):
            s = s.parent
        if s is None or not s.level:
            return None
        if id(s) not in value_of:
            paras = _paras(s)
            rationale = " ".join(p.text for p in paras)
            name = clean_heading(s.title)
            first = sentences(rationale)[0] if rationale else name
            value_of[id(s)] = b.add_value(name, first, rationale, s.start, paras[-1].end if paras else s.start,
                                          key=s.anchor or name)
        return value_of[id(s)]

    for sec in root.walk():
        if sec.level and LABEL.match(sec.title):
            m = LABEL.match(sec.title)
            subs = [n for n in walk_nodes([x for x in sec.body if x.kind == "list"]) if n.kind == "item"]
            paras = [p for p in _paras(sec) if not re.fullmatch(r"This includes( but is not limited to)?:?", p.text)]
            vid = value_for(sec.parent)
            rid = b.rule_id(m.group(1))
            b.rules.append(Rule(id=rid, label=m.group(1), text=_INCLUDES.sub("", m.group(2)).strip(),
                                polarity=_polarity(m.group(2)),
                                subpoints=_subpoints(rid, subs), rationale=" ".join(p.text for p in paras),
                                value_ids=[vid] if vid else [],
                                section=clean_heading(sec.parent.title) if sec.parent and sec.parent.level else None,
                                lines=Span(start=sec.start, end=sec.end_line())))
            continue
        for it in _top_items(sec):
            m = LABEL.match(_item_text(it))
            if not m:
                continue
            subs = _nested_items(it)
            vid = value_for(sec)
            rid = b.rule_id(m.group(1))
            end = subs[-1].end if subs else it.start + _item_text_lines(it) - 1
            b.rules.append(Rule(id=rid, label=m.group(1), text=_INCLUDES.sub("", m.group(2)).strip(),
                                polarity=_polarity(m.group(2)),
                                subpoints=_subpoints(rid, subs), value_ids=[vid] if vid else [],
                                section=clean_heading(sec.title) or None, lines=Span(start=it.start, end=end)))


def _item_text_lines(item: Node) -> int:
    p = next((c for c in item.children if c.kind == "para"), None)
    return (p.end - p.start + 1) if p else 1


# --------------------------------------------------------------------------- like / dislike

def read_likes(root: Section, b: Build) -> bool:
    parents = [s for s in root.walk() if s.level and _LIKE_HEADING.match(s.title.strip()) and s.children]
    if not parents:
        return False
    for s in root.walk():
        if not s.level or not _VALUE_HEADING.search(s.title) or _LIKE_HEADING.match(s.title.strip()):
            continue
        paras = _paras(s)
        items = _top_items(s)
        if items:
            for it in items:
                t = _item_text(it)
                st = sentences(t)
                name = re.split(r"[:.\u2014]", t, maxsplit=1)[0][:80]
                b.add_value(name, st[0] if st else t, " ".join(st[1:]), it.start, it.end)
        elif paras:
            st = sentences(" ".join(p.text for p in paras))
            b.add_value(clean_heading(s.title), st[0], " ".join(st[1:]), s.start, paras[-1].end,
                        key=s.anchor or s.title)
    for parent in parents:
        low = parent.title.lower()
        kind = "dislike" if low.startswith(("dislike", "avoid", "never", "does not", "don't")) else (
            "like" if low.startswith("like") else "behaviour")
        for child in parent.children:
            st = sentences(" ".join(p.text for p in _paras(child)))
            text = st[0] if st else child.title
            rid = b.rule_id(f"{slugify(parent.title, 16)}.{slugify(child.title)}")
            b.rules.append(Rule(id=rid, kind=kind, text=text, rationale=" ".join(st[1:]),
                                value_ids=[v.id for v in b.values], section=parent.title,
                                polarity="do_not" if kind == "dislike" else "do",
                                lines=Span(start=child.start, end=child.end_line())))
    return True


# --------------------------------------------------------------------------- flat prose

_BEHAVIOUR_TAIL = (
    r"(?:'s)?\s+(?:also\s+)?(?:never|always|respects|prioriti[sz]es|holds|has the courage|"
    r"is\s+\w+ly|treats|attends|speaks|avoids|does not|will|should|must|refuses|declines|supports|tells|reports|acts|"
    r"keeps|asks|flags|explains|follows|defers|protects|has\s+\w+'s best interests)\b")


def _behaviour_re(model_name: str | None):
    subj = r"\{model_name\}|It" + (r"|" + re.escape(model_name) if model_name else "")
    return re.compile(r"^(?:" + subj + r")" + _BEHAVIOUR_TAIL)
_VALUES_LIST = re.compile(r"\b(?:core )?values include ([^.]+)\.")
_RATIONALE_START = re.compile(r"^(?:This|That|These|Because)\b")
def is_flat_prose(root: Section) -> bool:
    kinds = {n.kind for s in root.walk() for n in walk_nodes(s.body)}
    return "list" not in kinds and sum(1 for s in root.walk() if s.level) <= 3


_GENERIC = {"people", "person", "world", "thing", "things", "ways", "others", "everyone", "care"}


def _stem_hit(label: str, sentence: str) -> bool:
    """Does the sentence name the listed value (by the stem of a content word of its name)?"""
    from .text import _lemmas
    words = [w for w in re.findall(r"[a-z]+", label.lower())
             if len(w) > 3 and w not in _GENERIC and set(_lemmas(w)) != {"ADJ"}]
    low = sentence.lower()
    return any(w[:5] in low for w in words)


def _line_of(lines: list[str], sentence: str, start: int, end: int) -> int:
    probe = sentence[:30]
    for i in range(start, min(end, len(lines)) + 1):
        if probe in lines[i - 1]:
            return i
    return start


def _self_contained(s: str, subject: str) -> str:
    """ "It never tells white lies." → "{subject} never tells white lies." (the model is "It")."""
    return re.sub(r"^(It|Its)\b", lambda m: subject if m.group(1) == "It" else subject + "'s", s)


def read_prose(root: Section, b: Build) -> None:
    subject = b.subject
    behaviour = _behaviour_re(b.model_name)
    secs = [s for s in root.walk() if len(" ".join(p.text for p in _paras(s)).split()) >= 8]
    for sec in secs:
        paras = _paras(sec)
        allt = " ".join(p.text for p in paras)
        name = clean_heading(sec.title) if sec.level else sentences(allt)[0][:60]
        start = sec.start if sec.level else paras[0].start
        known = [v.id for v in b.values if v.lines.start == start]
        sec_vid = known[0] if known else b.add_value(name, sentences(allt)[0], allt, start, paras[-1].end,
                                                     key=(sec.anchor if sec.level else None) or name)
        listed: list[tuple[str, str]] = []
        for m in _VALUES_LIST.finditer(allt):
            for p in re.split(r",\s*(?:and\s+)?|\s+and\s+(?=[a-z]+ \w+ of\b)", m.group(1)):
                p = re.sub(r"^and\s+", "", p.strip())
                if p:
                    vid = b.add_value(p, f"{subject} values {p}.", m.group(0), start, paras[-1].end)
                    listed.append((vid, p))
        for p in paras:
            last: Rule | None = None
            for s in sentences(p.text):
                if _RATIONALE_START.search(s) and last is not None:
                    last.rationale = (last.rationale + " " + s).strip()
                    continue
                pol = deontic(s, b.model_name)
                if not (behaviour.search(s) or pol) or _VALUES_LIST.search(s):
                    continue
                line = _line_of(b.lines, s, p.start, p.end)
                vids = [vid for vid, label in listed if _stem_hit(label, s)]
                if not vids and last is not None and re.match(r"It\b", s):
                    vids = list(last.value_ids)          # "It …" continues the sentence before
                vids = vids or [sec_vid]
                rid = b.rule_id(f"b-{slugify(s, 32)}")
                neg = pol == "do_not" or re.match(r"^\S+(?:'s)?\s+(?:also\s+)?(?:never|does not|doesn't|will not|won't|"
                                                  r"must not|should not)\b", s)
                last = Rule(id=rid, kind="behaviour", text=_self_contained(s, subject), value_ids=vids,
                            section=name, lines=Span(start=line, end=line), polarity="do_not" if neg else "do")
                b.rules.append(last)
