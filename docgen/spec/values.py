"""After the general reader: values from sections and value lists, rule → value links,
authority ranks from heading attributes and stated precedence."""

from __future__ import annotations

import math
import re

from .build import Build, clean_heading
from .model import Span, Value
from .rules import _CLAUSE, _ORDER, _VALUE_LEAD, GeneralReader, content_words, shares
from .text import sentences, slugify, unique
from .tree import Section, walk_nodes

_RATIONALE_CAP = 2000


def _cap(text: str, limit: int = _RATIONALE_CAP) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(". ") + 1] or cut


def _own_words(s: Section) -> int:
    return sum(len(n.text.split()) for n in s.body if n.kind == "para")


def _match_listed(rd: GeneralReader) -> dict[int, int]:
    """listed index → id(section) explaining that value (by the words of the heading)."""
    out: dict[int, int] = {}
    taken: set[int] = set()
    for i, (name, _desc, _item, holder) in enumerate(rd.listed):
        want = content_words(name)
        if not want:
            continue
        best = None
        for s in rd.root.walk():
            if not s.level or rd._is_doc(s) or s is holder or any(a is s for a in holder.ancestors()) \
                    or id(s) in taken:
                continue
            have = content_words(s.title)
            if not have or not (want & have):
                continue
            score = len(want & have) / len(want | have)
            if score >= 0.5 and (best is None or (score, -s.level) > (best[0], -best[1].level)):
                best = (score, s)
        if best:
            out[i] = id(best[1])
            taken.add(id(best[1]))
    return out


def assemble(rd: GeneralReader, b: Build) -> None:
    holders = {id(h) for *_x, h in rd.listed}       # the section that lists the values is about all of them
    owners = {id(r.owner) for r in rd.raws if not rd._is_doc(r.owner) and id(r.owner) not in holders}
    listed_at = _match_listed(rd)
    by_section = {v: k for k, v in listed_at.items()}
    vsecs = set(owners) | set(listed_at.values())
    # ancestors that explain something of their own hold the values below them
    for s in rd.root.walk():
        if id(s) in vsecs:
            for a in s.ancestors():
                if id(a) in holders:
                    continue
                if a.level and not rd._is_doc(a) and _own_words(a) >= 20:
                    vsecs.add(id(a))
    if not vsecs and not rd.listed:      # a one-section spec: the document itself states the value
        doc = rd.title_sec or rd.root
        words = sum(len(n.text.split()) for n in doc.body if n.kind == "para")
        if rd.raws or words >= 8:
            vsecs.add(id(doc))
            rd.title_sec = None if doc is rd.title_sec else rd.title_sec
    # "P1. Quiet hours": a listed value under a label, which rules cite as "(P1)"
    label_of: dict[str, int] = {}
    for k, (lname, desc, item, h) in enumerate(rd.listed):
        m = _LABELLED_NAME.match(lname)
        if m:
            label_of[m.group(1)] = k
            rd.listed[k] = (m.group(2), desc, item, h)
    defined = _lettered_definitions(rd)
    ordered = rd.list_ordered and any(_ORDER.search(x) for x in _all_prose(rd))
    vid_of: dict[int, str] = {}
    listed_ids: list[str] = [""] * len(rd.listed)
    for s in rd.root.walk():
        if id(s) not in vsecs:
            continue
        parent = next((vid_of[id(a)] for a in s.ancestors() if id(a) in vid_of), None)
        prose = " ".join(rd.prose.get(id(s), []))
        if defined:
            # "Article 6 gives effect to value (c)": the value named (c) where the spec defines it
            refs = [k for ref in _VALUE_REF.finditer(prose) for k in re.findall(r"\(([a-z]|[ivx]+|\d+)\)", ref.group())]
            extra = [defined[k] for k in dict.fromkeys(refs) if k in defined]
            if extra:
                prose = (prose + " " + " ".join(extra)).strip()
        m = _CLAUSE.match(s.title)
        name = clean_heading(s.title[m.end():] if m else s.title)
        # the first sentence that says something (not a bare label such as "Commentary.")
        first = next((x for x in sentences(prose) if len(x.split()) > 2), "") if prose else ""
        statement = re.sub(r"^\W*(?:value|why\s+it\s+matters|why|purpose|what\s+it\s+means)\W*:\W*", "", first,
                           flags=re.I) if first else name
        statement = statement[:1].upper() + statement[1:]
        auth = None
        if id(s) in by_section:
            k = by_section[id(s)]
            lname, desc, _item, _h = rd.listed[k]
            name, statement = lname, (desc or statement)
            auth = k + 1 if ordered else None
        vid = b.add_value(name, statement, _cap(prose), s.start, s.end_line(), key=s.anchor or name, parent=parent)
        if id(s) in by_section:
            listed_ids[by_section[id(s)]] = vid
        b.values[-1].authority = auth
        vid_of[id(s)] = vid
    for k, (lname, desc, item, _h) in enumerate(rd.listed):
        if k in listed_at:
            continue
        vid = b.add_value(lname, desc or lname, "", item.start, item.end)
        b.values[-1].authority = k + 1 if ordered else None
        listed_ids[k] = vid
    cited = {lab: listed_ids[k] for lab, k in label_of.items() if listed_ids[k]}
    listed_ids = [x for x in listed_ids if x]
    owners_all = {id(r.owner) for r in rd.raws}
    for s in rd.read_secs:
        if s.level and not rd._is_doc(s) and id(s) not in vid_of and id(s) not in owners_all \
                and id(s) not in holders and s.children == [] and rd._owner(s) is s:
            b.note("skipped", f"section '{s.title}' states no rule or behaviour: read as context", s.start,
                   s.end_line())
    # rules → the value of their enclosing section (and its outermost value)
    asked = {id(r.owner) for r in rd.raws if r.owner.title.rstrip().endswith("?")}
    if listed_ids:
        for raw in rd.raws:
            if id(raw.owner) in asked and not raw.rule.rationale:
                # an FAQ's answer gives the reason for the behaviour its question asks about
                raw.rule.rationale = _cap(" ".join(rd.prose.get(id(raw.owner), [])))
    top = [v.id for v in b.values if v.parent is None]
    values = {v.id: v for v in b.values}
    spec_wide: set[str] = set()
    for raw in rd.raws:
        s = raw.owner
        near = None if id(s) in holders else \
            next((vid_of[id(x)] for x in [s, *s.ancestors()] if id(x) in vid_of), None)
        # "### 1. Identity verification (P2)": a heading can cite the labelled value its rules stand behind
        labels = _cited(raw.rule.rationale, cited) or \
            _cited(" ".join(x.title for x in [s, *s.ancestors()] if x.level), cited)
        if labels:
            # "Rationale: … (P2)": the rule stands behind the labelled value its reason cites
            raw.rule.value_ids = labels
            continue
        if near is None:
            raw.rule.value_ids = list(listed_ids) if id(s) in holders and listed_ids else list(top)
            cands = [values[v] for v in raw.rule.value_ids]
            near_decl = _declared_before(rd, raw, listed_ids) if getattr(rd, "prose_declared", False) else None
            if near_decl:
                # an essay's "What we care about most is … That is why Kesh never …": the value declared just before
                raw.rule.value_ids = [near_decl]
                continue
            if raw.rule.rationale and len(cands) > 1:
                # a persona card's "Never: … (privacy of reading: people read freely only when unwatched)": the
                # reason names (or shares the most words with) one of the values every rule would otherwise get
                one = _named_one(raw.rule.rationale, cands) or _closest(raw.rule.rationale, cands) or \
                    _nearest_words(raw.rule.rationale + " " + raw.rule.text, cands)
                if one:
                    raw.rule.value_ids = [one]
                    continue
            spec_wide.add(raw.rule.id)
            continue
        chain = [near]
        while values[chain[-1]].parent:
            chain.append(values[chain[-1]].parent)
        raw.rule.value_ids = [near] if len(chain) == 1 else [near, chain[-1]]
        listed_vals = [values[v] for v in listed_ids]
        named = _named_one(raw.rule.rationale, listed_vals) if raw.rule.rationale else None
        ref = _NUMBERED_REF.search(raw.rule.rationale or "")
        k = _ref_index(ref) if ref else 0
        if not named and ref and 1 <= k <= len(listed_vals) and rd.list_ordered:
            named = listed_vals[k - 1].id        # "(principle 3)", "the first commitment" where the spec numbers them
        if named and named not in raw.rule.value_ids:
            # the rule's own reason names one of the listed values ("Why: Neighbourliness: the shadow lands …")
            raw.rule.value_ids = [named]
        elif raw.rule.rationale and listed_vals and (not rd.prose.get(id(s)) or id(s) in asked or s.attrs.get("record")):
            # a section that only groups rules by topic ("Savings and numbers") under values the spec lists
            # elsewhere: the rule stands behind the listed value its own reason shares the most words with
            best = _closest(raw.rule.rationale + " " + clean_heading(s.title), listed_vals)
            if not best and getattr(rd, "declared", False):
                best = _nearest_words(f"{raw.rule.rationale} {raw.rule.text}", listed_vals)
            if best and best not in raw.rule.value_ids:
                raw.rule.value_ids = [best, *raw.rule.value_ids]
        elif listed_vals and not set(chain) & set(listed_ids) and (raw.rule.rationale or getattr(rd, "declared", False)):
            # a section of its own ("What Corran will do from now on, and why") under none of the values the spec
            # lists: the rule also stands behind the listed value its reason names words of (and shares most with)
            best = _closest(raw.rule.rationale, listed_vals) if raw.rule.rationale else None
            if not best and getattr(rd, "declared", False):
                # values stated in one place of their own ("What we care about", a paragraph each): the other
                # sections are topics, and a rule stands behind the value its words share most with
                best = _nearest_words(f"{raw.rule.rationale} {raw.rule.text}", listed_vals)
            if best:
                raw.rule.value_ids = [best, *raw.rule.value_ids]
    if listed_ids:
        # a section that only groups rules by situation ("## Loads", "## Q: What does X do when …?") is no value of
        # its own once its rules stand behind the listed values: keep it only while a rule still needs it
        secs = {vid: sec for sec in rd.root.walk() for sid, vid in vid_of.items() if id(sec) == sid}
        value_secs = set(listed_at.values())
        grouping = {vid for vid, sec in secs.items()
                    if vid not in listed_ids and (not rd.prose.get(id(sec)) or sec.attrs.get("record") or
                                                  _topic(rd, sec, value_secs)) and id(sec) in owners
                    and not any(v.parent == vid for v in b.values)}
        listed_vals = [values[v] for v in listed_ids]
        for raw in rd.raws:
            if any(v in grouping for v in raw.rule.value_ids):
                # "## Situations" over "| Situation | What X does | Why |", "## Safety in the home" over rules: a
                # rule stands behind the listed values its reason names, or the one the heading names, or (with
                # neither) behind all of them, not behind a heading that only groups rules
                keep = [v for v in raw.rule.value_ids if v not in grouping]
                for g in [v for v in raw.rule.value_ids if v in grouping]:
                    named = _title_value(clean_heading(secs[g].title), listed_vals)
                    if named and named not in keep:
                        keep.append(named)
                if not keep:
                    # no value named by its reason or heading: the one its reason and words share most with
                    one = _nearest_words(f"{raw.rule.rationale} {raw.rule.text}", listed_vals)
                    keep = [one] if one else []
                raw.rule.value_ids = keep or list(listed_ids)
        used = {v for raw in rd.raws for v in raw.rule.value_ids}
        for vid, sec in secs.items():
            if vid in used or vid in listed_ids or any(v.parent == vid for v in b.values):
                continue
            if id(sec) in asked or sec.attrs.get("record") or \
                    ((not rd.prose.get(id(sec)) or _topic(rd, sec, value_secs)) and id(sec) in owners):
                b.values = [v for v in b.values if v.id != vid]
                b.note("skipped", f"section '{sec.title}' groups rules that stand behind the listed values: not a "
                                  f"value of its own", sec.start, sec.end_line())
        for raw in rd.raws:
            kept = {v.id for v in b.values}
            raw.rule.value_ids = [v for v in raw.rule.value_ids if v in kept] or list(listed_ids)
    _section_order(rd, b, vid_of)
    if not any(v.authority for v in b.values):
        _prose_order(rd, b)
    _authority(rd, b, values, spec_wide)
    b.rules.extend(r.rule for r in rd.raws)


_LABELLED_NAME = re.compile(r"^([A-Z][A-Za-z]{0,5}\d+(?:\.\d+)*)(?:\s*[.:)\u2014-]\s+|\s+(?=[A-Z]))(\S.*)$")


def _topic(rd: GeneralReader, sec: Section, value_secs: set[int]) -> bool:
    """Where the spec states its values in one place of their own ("What we care about", a paragraph each), a
    short section elsewhere that holds rules and a little prose ("Deliveries") is a topic, not one more value; not
    one under a heading that names values ("Our values" over "### 1. No surprises on the bill"), nor one inside a
    listed value's own section (``value_secs``)."""
    if _own_words(sec) > 120 or any(_VALUE_LEAD.search(clean_heading(a.title)) for a in [sec, *sec.ancestors()]
                                     if a.level):
        return False
    held = {id(h) for *_x, h in rd.listed} | value_secs
    return bool(getattr(rd, "declared", False)) or len(rd.listed) >= 3 and not any(id(a) in held for a in sec.ancestors())


def _cited(text: str, cited: dict[str, str]) -> list[str]:
    """The values a rule's reason cites by their labels ("(P2)", "P4.", "see P1 and P3"), in order."""
    if not text or not cited:
        return []
    found = [cited[t] for t in re.findall(r"\b([A-Z][A-Za-z]{0,5}\d+(?:\.\d+)*)\b", text) if t in cited]
    return list(dict.fromkeys(found))


def _title_value(title: str, values: list[Value]) -> str | None:
    """The one value whose name shares the most content words with a heading ("Safety in the home" → "Household
    safety"); None when none shares a word or two share as many."""
    want = content_words(title)
    scored = sorted(((len(want & content_words(v.name)), v.id) for v in values), reverse=True)
    if not scored or not scored[0][0] or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


_NUMBERED_REF = re.compile(r"\b(?:principle|value|priority|rule|commitment|goal|objective)\s+(\d{1,2})\b|"
                           r"\bthe\s+(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\s+"
                           r"(?:principle|value|priority|commitment|goal|objective)\b|"
                           r"\b(?:purpose|principle|value|priority|commitment)\s+\(([a-j])\)", re.I)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _ref_index(ref: re.Match) -> int:
    """The 1-based place a reference gives: "principle 3" → 3, "the first commitment" → 1, "Purpose (d)" → 4."""
    if ref.group(1):
        return int(ref.group(1))
    if ref.group(2):
        return _ORDINALS.index(ref.group(2).lower()) + 1
    return ord(ref.group(3).lower()) - ord("a") + 1


def _closest(text: str, values: list[Value]) -> str | None:
    """The value whose name and words share the most content words with the text (at least two, one of them
    from its name, and more than any other value shares); None when no value stands out."""
    have = content_words(text)

    def shared(words: set[str]) -> int:      # "safe" ~ "safety", "matter" ~ "matters"
        return shares(words, have)
    scored = sorted(((2 * shared(content_words(v.name)) + shared(content_words(v.statement) - content_words(v.name)),
                      shared(content_words(v.name)), v.id) for v in values), reverse=True)
    if not scored or scored[0][0] < 3 or not scored[0][1] or (len(scored) > 1 and scored[1][0] >= scored[0][0] - 1):
        return None
    return scored[0][2]


def _declared_before(rd, raw, listed_ids: list[str], window: int = 25) -> str | None:
    """The value a prose spec declared last before the rule, in the same section and at most ``window`` lines up."""
    best = None
    for k, (_n, _d, node, holder) in enumerate(rd.listed):
        if holder is raw.owner and node.start <= raw.rule.lines.start <= node.start + window and k < len(listed_ids) \
                and listed_ids[k] and (best is None or node.start >= best[0]):
            best = (node.start, listed_ids[k])
    return best[1] if best else None


def _nearest_words(text: str, values: list[Value]) -> str | None:
    """The value whose name, statement and reasons share the most content words with the text (at least two, and
    more than any other value shares); for a rule whose reason names no value outright ("People in a disruption
    need the fastest way out" under values such as "Getting people where they are going")."""
    have = content_words(text)
    bags = {v.id: content_words(f"{v.name} {v.statement} {v.rationale}") for v in values}
    # a word most values use ("customer", "member") says little about which one a rule stands behind
    df: dict[str, int] = {}
    for bag in bags.values():
        for w in bag:
            df[w] = df.get(w, 0) + 1
    n = len(bags)

    def score(bag: set[str]) -> tuple[float, int]:
        hits = [w for w in bag if any(h.startswith(w) or w.startswith(h) for h in have if min(len(h), len(w)) >= 4 or h == w)]
        return sum(math.log(1 + n / df[w]) for w in hits), len(hits)
    scored = sorted(((*score(bag), vid) for vid, bag in bags.items()), reverse=True)
    if not scored or scored[0][1] < 2 or (len(scored) > 1 and scored[1][0] >= scored[0][0]):
        return None
    return scored[0][2]


def _named_one(text: str, values: list[Value]) -> str | None:
    """The one value whose whole name (its content words) the text uses; None for none or several."""
    have = content_words(text)
    named = [v.id for v in values if (want := content_words(v.name)) and want <= have]
    return named[0] if len(named) == 1 else None


# "(a) **Self-determination.** A person does not lose ..." in a preamble: a value defined under a letter
_DEFINED = re.compile(r"\((?P<k>[a-z]|[ivx]+|\d+)\)\s*(?:\*\*|__)(?P<name>[^*_\n]{2,80}?)(?:\*\*|__)\s*(?P<desc>.*?)"
                      r"(?=\s*\((?:[a-z]|[ivx]+|\d+)\)\s*(?:\*\*|__)|\Z)", re.S)
_VALUE_REF = re.compile(r"\bvalues?\s+\((?:[a-z]|[ivx]+|\d+)\)(?:\s*(?:,|and|or|&)\s*\((?:[a-z]|[ivx]+|\d+)\))*", re.I)


def _lettered_definitions(rd: GeneralReader) -> dict[str, str]:
    """Letter → "Name. description" for values a spec defines under letters, when it defines two or more."""
    out: dict[str, str] = {}
    for s in rd.root.walk():
        for n in s.body:
            if n.kind != "para" or not n.raw:
                continue
            found = {m.group("k"): re.sub(r"\s+", " ", f"{m.group('name').strip().rstrip('.')}. {m.group('desc')}").strip()
                     for m in _DEFINED.finditer(n.raw)}
            if len(found) >= 2:
                for k, v in found.items():
                    out.setdefault(k, v)
    return out


def _section_order(rd: GeneralReader, b: Build, vid_of: dict[int, str]) -> None:
    """"apply them in this order: (a) Section 1 …; (b) Section 2 …" ranks numbered sections."""
    for s in rd.root.walk():
        for n in s.body:
            text = n.text if n.kind == "para" else " ".join(
                x.text for x in walk_nodes(n.children) if x.kind == "para") if n.kind == "list" else ""
            if not _ORDER.search(text) and not (n.kind == "list" and _ORDER.search(" ".join(
                    p.text for p in s.body if p.kind == "para"))):
                continue
            refs = re.findall(r"\bsections?\s+(\d+)\b", text, re.I)
            if len(refs) < 2:
                continue
            by_num = {}
            for t in rd.root.walk():
                m = re.match(r"^(\d+)[.)]?\s", t.title)
                if m and id(t) in vid_of:
                    by_num.setdefault(m.group(1), vid_of[id(t)])
            order = [by_num[r] for r in dict.fromkeys(refs) if r in by_num]
            if len(order) >= 2:
                for i, vid in enumerate(order, 1):
                    next(v for v in b.values if v.id == vid).authority = i
                return


_ORDINAL = re.compile(r"\b(?:first|then|second|third|fourth|fifth|last|finally|next)\b|>", re.I)


def _prose_order(rd: GeneralReader, b: Build) -> None:
    """"Accuracy comes first, then speed, then style" / "accuracy > speed > style": rank the
    top-level values named in that order."""
    tops = [v for v in b.values if v.parent is None]
    if len(tops) < 2:
        return
    words = {v.id: content_words(v.name) for v in tops}
    for text in _all_prose(rd):
        for sent in sentences(text):
            if len(_ORDINAL.findall(sent)) < 2:
                continue
            found: list[str] = []
            for seg in re.split(r",|;|>|\bthen\b|\bbefore\b|\babove\b|\bover\b", sent):
                seg_words = content_words(seg)
                best = max(tops, key=lambda v: len(words[v.id] & seg_words))
                if words[best.id] & seg_words and best.id not in found:
                    found.append(best.id)
            if len(found) >= 2:
                for i, vid in enumerate(found, 1):
                    next(v for v in b.values if v.id == vid).authority = i
                b.precedence = b.precedence or sent[:400]
                return


def _all_prose(rd: GeneralReader):
    for s in rd.root.walk():
        for n in s.body:
            if n.kind == "para":
                yield n.text


def _authority(rd: GeneralReader, b: Build, values: dict[str, Value], spec_wide: set[str]) -> None:
    labels = []
    for raw in rd.raws:
        if raw.auth and raw.auth not in labels:
            labels.append(raw.auth)
    for s in _all_prose(rd):
        if _ORDER.search(s) and not b.precedence:
            b.precedence = next((x for x in sentences(s) if _ORDER.search(x)), s)[:400]
    rank: dict[str, int] = {lab: int(lab) for lab in labels if lab.isdigit()}     # numbers are ranks as written
    named = [lab for lab in labels if not lab.isdigit()]
    if named:
        order = _stated_order(rd, named)
        rank.update({lab: i + 1 for i, lab in enumerate(order)})
        b.levels = order
    for raw in rd.raws:
        r = raw.rule
        if raw.auth:
            r.authority_label = raw.auth if not raw.auth.isdigit() else None
            r.authority = rank.get(raw.auth)
        if r.authority is None and r.id not in spec_wide:
            for vid in r.value_ids[::-1]:
                if values.get(vid) and values[vid].authority is not None:
                    r.authority = values[vid].authority
                    break
    if b.precedence and re.search(r"(?:lower|earlier|smaller)-numbered", b.precedence, re.I):
        labelled = [raw.rule for raw in rd.raws if raw.rule.label]
        keyed = sorted(labelled, key=lambda r: [int(x) if x.isdigit() else 0 for x in re.findall(r"\d+|[a-z]+", r.label)])
        for i, r in enumerate(keyed, 1):
            r.authority = i


def _stated_order(rd: GeneralReader, labels: list[str]) -> list[str]:
    """Order named levels as the spec states them: the paragraph or list naming most of
    them, by first mention; levels it does not name follow in order of appearance."""
    best: tuple[int, list[str]] = (1, [])
    blocks = []
    for s in rd.root.walk():
        for n in s.body:
            if n.kind == "para":
                blocks.append(n.text)
            elif n.kind == "list":
                blocks.append(" \n ".join(x.text for x in walk_nodes(n.children) if x.kind == "para"))
    for text in blocks:
        low = text.lower()
        pos = {}
        for lab in labels:
            m = re.search(r"\b" + re.escape(lab.replace("_", " ")) + r"s?\b", low.replace("_", " "))
            if m:
                pos[lab] = m.start()
        if len(pos) > best[0]:
            best = (len(pos), sorted(pos, key=pos.get))
    order = list(best[1])
    order += [lab for lab in labels if lab not in order]
    return order


def unique_value_id(name: str, taken: set[str]) -> str:
    return unique(slugify(name), taken)


__all__ = ["assemble", "Span"]
