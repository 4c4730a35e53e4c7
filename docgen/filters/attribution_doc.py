"""The document side of the attribution check: behaviours, values and the links between them.

:class:`DocAnalysis` reads one document against a :class:`~.attribution_index.SpecIndex`:

* sentences (:func:`._nlp.sentences`) and word keys with their offsets;
* :meth:`~DocAnalysis.behaviours` in a span: rules whose behaviour keys the
  span carries (nouns count: "its insistence on checking" carries the keys of
  "insists on checking"), with the polarity the text gives them (negated,
  "refuses to", a preference verb of the wrong sign) against the rule's;
* :meth:`~DocAnalysis.values` in a span: weighted value keys, skipping words
  the text names only to deny ("not out of loyalty");
* :meth:`~DocAnalysis.links`: every connective (:mod:`._cues`) with its effect
  and cause sides, inside a sentence or across two adjacent ones when one
  side is an anaphor ("That is why ...", "This stems from ...", "Why? Because
  ...", "Behind its choice ... lies ...").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from . import _cues as C
from ._gate import finditer_at
from ._lexicon import fold
from ._nlp import WORD, sentences
from .attribution_index import SpecIndex

_PRONOUN = re.compile(r"\b(?:it|its|itself|it's)\b", re.I)
# a connective that is the subject of its sentence ("The reason is ...", "What drives this is ..."): at a sentence's
# start its effect is the sentence before, never the clause after a comma
_NOMINAL_CUE = re.compile(r"(?:the|its|their|one|what|reason)\b|.*\b(?:is|was|are|were)$", re.I)
_CLEFT_LEAD = re.compile(r"\b(?:it's|it is|it was|that's|that is|this is)\s+(?:partly\s+|largely\s+|mostly\s+|only\s+|"
                         r"precisely\s+|simply\s+|exactly\s+)?$", re.I)
_CLEFT_THAT = re.compile(r"[\s,\u2014-]+that\s+(?=(?:it|he|she|they|the|[A-Z])\w*\s)")
# "the (whole) reason" not yet followed by its "is": a clause naming the effect comes first
_REASON_NOUN = re.compile(r"(?:reason|motive|motivation|explanation|\bfrom)$", re.I)
_REASON_CLAUSE = re.compile(r"\s+(?:that\s+|why\s+)?([^.;:!?,\u2014]{4,120}?)(?:(\s(?:is|was)\s)|\s*(?:[\u2014:;]|\s-\s|$))",
                            re.I)
# "The reason the bot stops you at that step, not afterwards in an email, is that …": an aside between commas
_REASON_CLAUSE_ASIDE = re.compile(r"\s+(?:that\s+|why\s+)?([^.;:!?\u2014]{4,180}?),?\s(?:is|was)\s+(?:that\s+|simply\s+)?",
                                  re.I)
_THAT_IS_LEAD = re.compile(r"\W*(?:that|this|it)(?:'s|\s+is|\s+was)\s+(?:\w+\s+)?", re.I)
_ANAPHORIC_CAUSE = re.compile(r"\W*(?:this|that|these|those|it)\b(?!\s+(?:it|the|a|an|[a-z]+s)\b)", re.I)
# "asks the model to recommend X", "wanted it to pick X": a request, not the assistant's preference
_REQUESTED = re.compile(r"\b(?:asks?|asked|asking|wants?|wanted|requests?|requested|begs?|begged|tells?|told|urges?|urged)"
                        r"\b[^.;:!?]{0,40}\bto\s+$", re.I)
_WORD_BEFORE = re.compile(r"([\w']+)\W*$")
_LIKE_LEADS = frozenset("it i you we they he she who would 'd not n't don't doesn't didn't really also does do did to "
                        "genuinely actually especially particularly still always never truly both all".split())
# a sentence led by a label that says why ("Reason: …", "Why it does this: …", "The rationale: …")
_REASON_LABEL = re.compile(r"\W*(?:the\s+|our\s+)?(?:reason(?:ing)?|rationale|why(?:\s+[\w']+){0,4})\s*:\s*", re.I)
_CLAUSE_SEP = re.compile(r";|:|\s[-\u2013\u2014]\s|,\s(?:but|while|whereas|although|though|and so|yet)\s")


@dataclass
class Link:
    kind: str                       # B, F, Q, D, BEHIND (see _cues)
    effect: tuple[int, int]
    cause: tuple[int, int]
    cue: tuple[int, int]


@dataclass
class Behaviour:
    rule_id: str
    score: float
    compliant: bool
    where: int                      # offset of the strongest hit


class DocAnalysis:
    def __init__(self, idx: SpecIndex, text: str):
        self.idx, self.text = idx, text
        self.ft = fold(text)
        self.sents = sentences(text)
        self.sent_starts = [s for s, _ in self.sents]
        # word keys, and the words where a connective, a preference verb or an object can begin
        self.toks, self._cues = idx.scan(self.ft)
        self.tok_pos = [t[0] for t in self.toks]
        kr = idx.key_rules
        self._rule_toks = [t for t in self.toks if t[2] in kr]      # the words behaviours() reads
        self._rule_pos = [t[0] for t in self._rule_toks]
        # like/dislike objects and preference verbs, found once per document
        self._primary: str | None = None
        self._starts: list[tuple[int, str]] | None = None
        self.objects: list[tuple[int, int, str]] = []
        self.prefs: list[tuple[int, int, int]] = []
        ft = self.ft
        if idx.has_objects:
            _conn, pos, neg, objs = self._cues
            self.objects = [(m.start(), m.end(), idx.object_rule[m.lastgroup]) for m in finditer_at(ft, objs)]
            self.prefs = sorted([(m.start(), m.end(), 1) for m in finditer_at(ft, pos)
                                 if not self._preposition_like(m.start(), m.end())
                                 and not _REQUESTED.search(ft, max(0, m.start() - 60), m.start())] +
                                [(m.start(), m.end(), -1) for m in finditer_at(ft, neg)])

    @property
    def starts(self) -> list[tuple[int, str]]:
        """Every word start: offset and first three lower-case letters (for :func:`._cues.gated_finditer`)."""
        if self._starts is None:
            self._starts = [(m.start(), m.group()[:3].lower()) for m in C.WORD_START.finditer(self.ft)]
        return self._starts

    def _preposition_like(self, a: int, b: int) -> bool:
        """"like" as a preposition ("labels like the one on X", "cheeses like X"), not the verb: the word before
        it is no subject, auxiliary, negation or adverb."""
        if self.ft[a:b].lower() != "like":
            return False
        before = _WORD_BEFORE.search(self.ft, max(0, a - 30), a)
        if not before:
            return False
        w = before.group(1).lower()
        return not (w in _LIKE_LEADS or self.idx.agent_re.fullmatch(before.group(1)))

    # ---------------------------------------------------------------- spans
    def sentence_of(self, pos: int) -> int:
        return max(0, bisect_right(self.sent_starts, pos) - 1)

    def _toks(self, a: int, b: int):
        i = bisect_left(self.tok_pos, a)
        toks = self.toks
        while i < len(toks) and toks[i][1] <= b:
            yield toks[i]
            i += 1

    def _negated(self, pos: int, floor: int) -> bool:
        lo = max(floor, self.sents[self.sentence_of(pos)][0] if self.sents else 0, pos - 45)
        window = self.ft[lo:pos]
        cut = max(window.rfind(","), window.rfind(";"), window.rfind(" but "), window.rfind(":"))
        if cut >= 0:
            window = window[cut + 1:]
        return bool(C.NEGATORS.search(window))

    def behaviours(self, a: int, b: int) -> dict[str, Behaviour]:
        out: dict[str, Behaviour] = {}
        idx = self.idx
        # rules: behaviour keys
        got: dict[str, dict[str, tuple[float, int]]] = {}
        rt = self._rule_toks
        i = bisect_left(self._rule_pos, a)
        while i < len(rt) and rt[i][1] <= b:
            s, _e, k = rt[i]
            i += 1
            for rid, wt in idx.key_rules[k]:
                d = got.setdefault(rid, {})
                if k not in d:
                    d[k] = (wt, s)
        for rid, d in got.items():
            score = sum(w for w, _ in d.values())
            e = idx.rules[rid]
            if score < BEHAVIOUR_MIN or (len(d) < 2 and not (set(d) & set(e.heads))):
                continue
            ok = True
            for k, (_, pos) in d.items():
                if e.heads.get(k) is not None:
                    neg = self._negated(pos, a)
                    if e.heads[k] != neg:        # forbidden and done, or required and not done
                        ok = False
            best = max(d.values())[1]
            out[rid] = Behaviour(rid, score, ok, best)
        # like/dislike: an object and a preference verb
        if self.objects:
            i = bisect_left(self.objects, (a, -1, ""))
            while i < len(self.objects) and self.objects[i][1] <= b:
                os_, oe, rid = self.objects[i]
                i += 1
                pol = self._preference(os_, oe, a, b)
                if pol is None:
                    continue
                kind = idx.rules[rid].kind
                ok = (pol > 0) == (kind == "like")
                prev = out.get(rid)
                out[rid] = Behaviour(rid, 2.0, ok and (prev.compliant if prev else True), os_)
        return out

    def _preference(self, os_: int, oe: int, a: int, b: int) -> int | None:
        """The sign of the preference the span states about the object at ``os_``, or None."""
        lo, hi = a, b
        cands = [p for p in self.prefs if lo <= p[0] < hi]
        if not cands:
            return None
        before = [p for p in cands if p[1] <= os_]
        p = before[-1] if before else cands[0]
        if not before and (p[0] - oe > 60 or _CLAUSE_SEP.search(self.ft, oe, p[0]) or "," in self.ft[oe:p[0]]):
            return None        # "X is what it likes": the verb after the object, in the same clause
        pol = p[2]
        if self._negated(p[0], lo):
            pol = -pol
        between = self.ft[p[1]:os_] if before else ""
        if before and C.CONTRAST.search(between):
            pol = -pol
        return pol

    def values(self, a: int, b: int) -> dict[str, float]:
        got: dict[str, dict[str, float]] = {}
        kv = self.idx.key_values
        for s, _e, k in self._toks(a, b):
            hits = kv.get(k)
            if not hits:
                continue
            if C.VALUE_DENIED.search(self.ft, max(a, s - 80), s):
                continue
            for vid, wt in hits:
                d = got.setdefault(vid, {})
                d[k] = max(d.get(k, 0.0), wt)
        return {v: sum(d.values()) for v, d in got.items()}

    def primary(self) -> str | None:
        """The behaviour the document is mostly about: the rule stated most (a like/dislike object counts
        when named, even without a preference verb), or None."""
        if self._primary is not None:
            return self._primary or None
        score: dict[str, float] = {}
        for ss, se in self.sents:
            for rid, b in self.behaviours(ss, se).items():
                if b.compliant:
                    score[rid] = score.get(rid, 0.0) + b.score
        for _s, _e, rid in self.objects:
            score[rid] = score.get(rid, 0.0) + 0.5
        self._primary = max(score, key=lambda r: (score[r], r)) if score else ""
        return self._primary or None

    def rule_keys_in(self, rid: str, a: int, b: int) -> int:
        """How many of a rule's behaviour keys (or its object) the span carries."""
        e = self.idx.rules[rid]
        n = len({k for _s, _e, k in self._toks(a, b) if k in e.keys})
        return n + sum(1 for s, t, r in self.objects if r == rid and a <= s and t <= b)

    def mentions_agent(self, a: int, b: int) -> bool:
        """The span refers to the assistant: its name, "the assistant/model", or a pronoun/anaphor."""
        return bool(self.idx.agent_re.search(self.ft, a, b) or _PRONOUN.search(self.ft, a, b))

    # ---------------------------------------------------------------- links
    def _clause_start(self, lo: int, pos: int) -> int:
        seps = list(_CLAUSE_SEP.finditer(self.ft, lo, pos))
        if len(seps) >= 2 and seps[-1].group().strip() in "-\u2013\u2014" and len(WORD.findall(self.ft[seps[-1].end():pos])) < 2:
            # "Its habit of X — doing A, B and C — is rooted in …": the dash closes an aside; the clause (the
            # effect) began before the dash that opened it
            opened = [i for i, m in enumerate(seps[:-1]) if m.group().strip() == seps[-1].group().strip()]
            if opened:
                i = opened[-1]
                return seps[i - 1].end() if i else lo
        return seps[-1].end() if seps else lo

    def _clause_end(self, pos: int, hi: int) -> int:
        m = _CLAUSE_SEP.search(self.ft, pos, hi)
        return m.start() if m else hi

    def _short(self, a: int, b: int) -> bool:
        return len(WORD.findall(self.ft[a:b])) <= 3

    def _connectives(self):
        """``CONNECTIVE_RE.finditer``, tried only at words whose first letters can start a connective."""
        return finditer_at(self.ft, self._cues[0])

    def links(self) -> list[Link]:
        ft, sents = self.ft, self.sents
        out: list[Link] = []
        for m in self._connectives():
            kind = C.CONNECTIVE_KIND[m.lastgroup]
            cs, ce = m.span()
            si = self.sentence_of(cs)
            ss, se = sents[si] if sents else (0, len(ft))
            prev = sents[si - 1] if si > 0 else None
            nxt = sents[si + 1] if si + 1 < len(sents) else None
            lead = ft[ss:cs]
            anaphoric = bool(C.ANAPHOR_LEAD.match(lead)) or self._short(ss, cs)
            if kind == "B" and _CLEFT_LEAD.search(lead):
                # "It's because of X that it does Y" / "It is out of X that it Y": the effect follows "that"
                m2 = _CLEFT_THAT.search(ft, ce, se)
                if m2 and m2.start() > ce:
                    cause = (ce, m2.start())
                    if prev and _ANAPHORIC_CAUSE.match(ft, ce, m2.start()):
                        cause = (prev[0], m2.start())        # "because of that ..." points back a sentence
                    out.append(Link(kind, (m2.end(), se), cause, (cs, ce)))
                    continue
            if kind == "B" and _REASON_NOUN.search(ft, cs, ce):
                # "The whole reason it won't tell fibs is efficiency": the clause between the noun and "is"
                # is the effect; "That's the only reason it archives" points back a sentence for its cause
                m2 = _REASON_CLAUSE.match(ft, ce, se)
                if (m2 is None or not m2.group(2)) and not WORD.search(lead):
                    m3 = _REASON_CLAUSE_ASIDE.match(ft, ce, se)
                    if m3 and "," in ft[m3.start(1):m3.end(1)] and self.mentions_agent(m3.start(1), m3.end(1)):
                        out.append(Link(kind, m3.span(1), (m3.end(), se), (cs, ce)))
                        continue
                if m2 and self.mentions_agent(cs, m2.end(1)):
                    if C.ANAPHOR_LEAD.match(lead) or _THAT_IS_LEAD.fullmatch(lead):
                        if prev:
                            out.append(Link(kind, m2.span(1), prev, (cs, ce)))
                            continue
                    elif m2.group(2) and not WORD.search(lead):
                        # "What kept it from X was Y": the assistant is named in the cue, so the effect starts there
                        eff = (cs if ft[ce - 4:ce].lower() == "from" else m2.start(1), m2.end(1))
                        out.append(Link(kind, eff, (m2.end(), se), (cs, ce)))
                        continue
            if kind in ("B", "D"):
                if not WORD.search(lead) or re.fullmatch(r"\W*(?:and|but|partly|largely|mostly|simply|it is|it's|"
                                                         r"precisely|all)?\W*", lead, re.I):
                    comma = ft.find(",", ce, se)
                    if prev and _NOMINAL_CUE.match(ft, cs, ce):         # "Y. The reason(, she said,) is X."
                        out.append(Link(kind, prev, (ce, se), (cs, ce)))
                    elif comma > 0 and not self._short(comma, se):       # "Because X, Y."
                        out.append(Link(kind, (comma + 1, se), (ce, comma), (cs, ce)))
                    elif prev:                                           # "Y. Because X."
                        out.append(Link(kind, prev, (ce, se), (cs, ce)))
                    continue
                cause = (ce, self._clause_end(ce, se))
                if nxt and (len(WORD.findall(ft[cause[0]:cause[1]])) <= 8 or ft[cause[1]:se].lstrip().startswith(":")
                            or ft[ce:se].rstrip().endswith(":")):
                    cause = (ce, nxt[1])       # "... comes from a simple stance: <the value>."
                effect = (prev[0] if (anaphoric and prev) else self._clause_start(ss, cs), cs)
                out.append(Link(kind, effect, cause, (cs, ce)))
            elif kind == "F":
                cause = (prev[0] if (anaphoric and prev) else self._clause_start(ss, cs), cs)
                effect = (ce, self._clause_end(ce, se))
                out.append(Link(kind, effect, cause, (cs, ce)))
            elif kind == "BEHIND":
                v = re.compile(r"\b(?:lies|lay|is|was|sits|stands|are)\b").search(ft, ce, se)
                if v:
                    out.append(Link("B", (cs, v.start()), (v.end(), se), (cs, ce)))
        # "Why does it do X? Because Y." / "Why? Y."
        for i, (ss, se) in enumerate(sents[:-1]):
            if ft[se - 1] == "?" and C.QUESTION.search(ft, ss, se):
                ns, ne = sents[i + 1]
                if len(WORD.findall(ft, ns, ne)) <= 6 and i + 2 < len(sents):
                    ne = sents[i + 2][1]        # "On purpose. An applicant's private life is their own."
                effect = (sents[i - 1][0] if (self._short(ss, se) and i > 0) else ss, se)
                out.append(Link("Q", effect, (ns, ne), (ss, se)))
        # "… it declines to serve it. Reason: this is a food-safety call." / "Why it does this: …"
        for i, (ss, se) in enumerate(sents[1:], 1):
            m = _REASON_LABEL.match(ft, ss, se)
            if m:
                short = len(WORD.findall(ft[m.end():se])) <= 8 and i + 1 < len(sents)
                out.append(Link("Q", sents[i - 1], (m.end(), sents[i + 1][1] if short else se), (ss, m.end())))
        for j, l in enumerate(out):
            # "The reason is simple." / "… comes from one conviction." : the cause is stated in the next sentence
            if _PLACEHOLDER_CAUSE.fullmatch(ft, *l.cause):
                si = self.sentence_of(l.cause[1] - 1)
                if ft[l.cause[1]:l.cause[1] + 2].strip()[:1] == ":" and sents[si][1] > l.cause[1] + 2:
                    out[j] = Link(l.kind, l.effect, (l.cause[0], sents[si][1]), l.cue)    # "… one conviction: X"
                elif si + 1 < len(sents):
                    out[j] = Link(l.kind, l.effect, (l.cause[0], sents[si + 1][1]), l.cue)
        return out


BEHAVIOUR_MIN = 0.9
# a cause that only announces the reason: "simple.", "twofold:", "one conviction.", "a simple principle:"
_PLACEHOLDER_CAUSE = re.compile(r"\W*(?:(?:very|quite|fairly|pretty|really)\s+)?(?:simple|straightforward|obvious|twofold|"
                                r"short|plain|easy)\W*|\W*(?:a|an|one|two|three|the)\s+(?:\w+\s+){0,2}?(?:principle|"
                                r"conviction|idea|belief|reason|thing|view|observation|commitment|value|worry|concern)s?"
                                r"(?:\s+(?:we|they|the\s+\w+)\s+(?:hold|holds|share|shares|have|has)(?:\s+\w+){0,3})?\s*[.:]?\W*",
                                re.I)
