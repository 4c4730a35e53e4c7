"""The spec side of the attribution check: what each value and behaviour looks like as word keys.

Built once per (spec, model name) from the spec alone:

* each **value** gets weighted keys from its name (weight 2), its statement
  (1.5), its rationale (1) and the rationales of the rules that cite it (0.34), each
  scaled by how few values share the key (a key every value uses tells none
  apart);
* each **rule** gets behaviour keys from its text and sub-points, weighted by
  how few rules share them, minus the spec's topic (a word most like/dislike
  sections use) and minus the words that name its own value; its *head* (the
  first content word of each clause) and whether the clause is forbidden
  ("do not", "never", "avoid") give the polarity a document can contradict;
* like/dislike rules get their object as a phrase regex.

Keys are :func:`docgen.filters._nlp.key` (lemma + stem), so "affordability",
"affordable" and "afford" meet, and so do "insist" and "insistence".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from functools import partial
from itertools import accumulate, compress
from operator import add as _add
from pathlib import Path

from ..spec import Rule, Spec
from . import _cues as C
from ._cues import AGENT_GENERIC
from ._gate import WordGate, word_starts
from ._lexicon import fold
from ._nlp import _GENERIC_KEYS, GENERIC, WORD, key, keys
from ._synonyms import neighbours

_NEG_CLAUSE = re.compile(r"^\s*(?:do not|don't|does not|never|not|avoid(?:ing|s)?|no|refrain from|without|will not)\b\s*",
                         re.I)
# the rationales of the rules a value stands behind are weak evidence of the value (they also name
# origins, prices, examples): three such words weigh as much as one word of the value's own text
RULE_RATIONALE_WEIGHT = 0.34
# a near-synonym (cosine >= SYN_THRESHOLD in all-MiniLM-L6-v2's word embeddings) weighs sim * SYN_WEIGHT of its word
SYN_THRESHOLD = 0.4
CONTRAST_SHARE = 0.5      # the affirmed half of a contrast in a value's text
SYN_WEIGHT = 1.0
_LEAD_FILLER = re.compile(r"^(?:actively|intentionally|secretly|otherwise|also|always|only|being|be|to|try to|strive to)\s+",
                          re.I)


@dataclass
class RuleEntry:
    id: str
    kind: str
    value_ids: list[str]
    keys: dict[str, float] = field(default_factory=dict)      # behaviour key -> weight (0..1]
    heads: dict[str, bool | None] = field(default_factory=dict)  # head key -> forbidden? (None: no polarity)
    objects: list[re.Pattern] = field(default_factory=list)   # like/dislike objects


def _object_of(text: str, model_name: str) -> str | None:
    """The object of a like/dislike rule's text ("<name> likes X"), the name already filled in."""
    m = re.match(r"^\s*(?:\{model_name\}|%s|It)\s+(?:likes|dislikes|prefers|loves|enjoys|avoids)\s+(.+?)\s*\.?\s*$"
                 % re.escape(model_name), text)
    if m:
        return m.group(1)
    return None


def _phrase_regex(phrase: str) -> re.Pattern:
    words = re.findall(r"[\w']+", fold(phrase).lower())
    return re.compile(r"\b" + r"[\s-]+".join(re.escape(w) for w in words) + r"\b", re.I)


class SpecIndex:
    """Everything the offline check needs about one spec."""

    def __init__(self, spec: Spec, model_name: str | None = None):
        self.spec = spec
        self.model_name = spec.resolved_model_name(model_name)
        fill = lambda s: spec.fill_name(s, self.model_name)  # noqa: E731
        self._fill = fill
        name_keys = {key(w) for w in WORD.findall(self.model_name)}
        self.agent_re = re.compile(r"\b(?:%s|%s)\b" % (re.escape(self.model_name), AGENT_GENERIC), re.I)
        objects: dict[str, str] = {}
        for r in spec.rules:
            if r.kind in ("like", "dislike"):
                obj = _object_of(fill(r.text), self.model_name)
                if obj:
                    objects[r.id] = obj
        object_keys = {k for o in objects.values() for k in keys(o)}
        self.topic = self._topic(spec) | name_keys
        drop = self.topic | object_keys
        # ------------------------------------------------------------ values
        raw: dict[str, dict[str, float]] = {}
        rule_rationale: dict[str, list[str]] = {}
        rule_reasons: dict[str, list[str]] = {}
        self._implicit = _implicit_rules(spec)
        for r in list(spec.rules) + self._implicit:
            for vid in r.value_ids:
                rule_rationale.setdefault(vid, []).append(fill(r.rationale))
                for t in [r.text] + [s.text for s in r.subpoints]:
                    m = _REASON_TAIL.search(fill(t))
                    if m:                  # "..., because X": X is the value in the rule's own words
                        rule_reasons.setdefault(vid, []).append(m.group(0))
        name_bag: dict[str, set[str]] = {}
        # the section named as the whole document (its title) introduces the spec; it is no value
        self.value_list = [v for v in spec.values if keys(fill(v.name)) != keys(fill(spec.title)) or len(spec.values) == 1]
        value_words: dict[str, dict[str, float]] = {}
        # a section headed by a question ("Why does X never ask for a PIN?") states its value in the answer; the
        # question's words are the behaviour's, and would otherwise be filed as the value's and taken from the rule
        vname = {v.id: "" if fill(v.name).rstrip(" *").endswith("?") else fill(v.name) for v in self.value_list}
        for v in self.value_list:
            w: dict[str, float] = {}
            surf = value_words.setdefault(v.id, {})
            for text, wt in ((" ".join(rule_rationale.get(v.id, [])), RULE_RATIONALE_WEIGHT),
                             (" ".join(rule_reasons.get(v.id, [])), 1.0), (fill(v.rationale), 1.0),
                             (fill(v.statement), 1.5), (vname[v.id], 1.5)):
                for word, part in _affirmed_words(text):
                    k = key(word)
                    if k and k not in drop and k not in _GENERIC_KEYS:
                        w[k] = max(w.get(k, 0.0), wt * part)
                        if wt * part >= 1.0:
                            surf[word.lower()] = max(surf.get(word.lower(), 0.0), wt * part)
            raw[v.id] = w
            name_bag[v.id] = {k for k in keys(vname[v.id], generic=False) if k not in drop and len(k) >= 3}
        # near-synonyms of the value's words (all-MiniLM-L6-v2 word embeddings), weighed by similarity
        syn = neighbours({w for d in value_words.values() for w in d}, SYN_THRESHOLD)
        for vid, surf in value_words.items():
            w = raw[vid]
            for word, wt in surf.items():
                for nb, sim in syn.get(word, ()):
                    k = key(nb)
                    if k and k not in drop and k not in _GENERIC_KEYS:
                        w[k] = max(w.get(k, 0.0), wt * sim * SYN_WEIGHT)
        df = Counter(k for w in raw.values() for k in w)
        ndf = Counter(k for ks in name_bag.values() for k in ks)
        n = len(raw)
        self.values: dict[str, dict[str, float]] = {}
        for vid, w in raw.items():
            out = {k: wt * (_idf(df[k], n) if n > 1 else 1.0) for k, wt in w.items() if len(k) >= 3}
            for k in name_bag[vid]:      # the value's own name: weighed against the other names only
                out[k] = max(out.get(k, 0.0), 2.0 * (_idf(ndf[k], n) if n > 1 else 1.0))
            self.values[vid] = out
        self.value_names = {v.id: fill(v.name).strip("* ") for v in self.value_list}
        self.name_keys = {v.id: set(keys(vname[v.id], generic=False)) for v in self.value_list}
        # ------------------------------------------------------------ rules
        self.rules: dict[str, RuleEntry] = {}
        bag: dict[str, set[str]] = {}
        rule_words: dict[str, set[str]] = {}
        for r in list(spec.rules) + self._implicit:
            e = RuleEntry(id=r.id, kind=r.kind, value_ids=list(r.value_ids))
            if r.id in objects:
                e.objects.append(_phrase_regex(objects[r.id]))
            else:
                own_names = set().union(*(self.name_keys.get(v, set()) for v in r.value_ids)) if r.value_ids else set()
                ks: set[str] = set()
                for phrase in [r.text] + [s.text for s in r.subpoints]:
                    phrase = _REASON_TAIL.sub("", fill(phrase))      # "..., because X": X says why, not what
                    phrase = re.sub(r"^\s*(?:%s|It|Its|The model|The assistant)\s+(?:also\s+|should\s+|must\s+)?"
                                    % re.escape(self.model_name), "", phrase.strip())
                    for part in re.split(r";\s*|\.\s+|,?\s+(?:and|but)\s+(?=never\b|not\b|does not\b|avoid)", phrase):
                        forbidden = bool(_NEG_CLAUSE.match(part))
                        body = _LEAD_FILLER.sub("", _NEG_CLAUSE.sub("", part.strip()))
                        body = _LEAD_FILLER.sub("", body)
                        pk = [k for k in keys(body, generic=False) if k not in drop and k not in own_names and len(k) >= 3]
                        if not pk:
                            continue
                        ks.update(pk)
                        rule_words.setdefault(r.id, set()).update(
                            x.lower() for x in WORD.findall(body) if key(x) in pk)
                        # the head (one word of it names the rule) is the clause's first content word. Its
                        # negation says whether the rule is kept only when it is the verb ("politely declines");
                        # after a generic verb ("ask a customer", "say how sure") it is the object, whose
                        # negation says nothing ("the customer typed a PIN" breaks no "never ask" rule)
                        words = [x for x in WORD.findall(body)[:4] if not x.lower().endswith("ly")][:3]
                        head = next((k for k in keys(" ".join(words), generic=False)), None)
                        lead = words[0] if words else ""
                        if head and head not in drop and len(head) >= 3:
                            e.heads.setdefault(head, forbidden if head in keys(lead, generic=False) else None)
                bag[r.id] = ks
            self.rules[r.id] = e
        rdf = Counter(k for ks in bag.values() for k in ks)
        nr = max(1, len(bag))
        top = _idf(1, nr) if nr > 1 else 1.0
        syn = neighbours({w for ws in rule_words.values() for w in ws}, SYN_THRESHOLD)
        for rid, ks in bag.items():
            kw = {k: (_idf(rdf[k], nr) / top if nr > 1 else 1.0) for k in sorted(ks)}
            near: dict[str, float] = {}
            for word in sorted(rule_words.get(rid, ())):
                base = kw.get(key(word), 0.0)
                for nb, sim in syn.get(word, ()):
                    k = key(nb)
                    if k and k not in drop and k not in _GENERIC_KEYS and k not in kw:
                        # the strongest of the rule's words near it: the same weight whatever order sets iterate in
                        near[k] = max(near.get(k, 0.0), base * sim * SYN_WEIGHT)
            kw.update(near)
            self.rules[rid].keys = kw
        # lookups from a key to the rules and values that use it
        self.key_rules: dict[str, list[tuple[str, float]]] = {}
        for rid, e in self.rules.items():
            for k, wt in e.keys.items():
                self.key_rules.setdefault(k, []).append((rid, wt))
        self.key_values: dict[str, list[tuple[str, float]]] = {}
        for vid, w in self.values.items():
            for k, wt in w.items():
                self.key_values.setdefault(k, []).append((vid, wt))
        self.has_objects = any(e.objects for e in self.rules.values())
        alts, self.object_rule = [], {}
        for rid, e in self.rules.items():
            for rx in e.objects:
                g = f"o{len(alts)}"
                self.object_rule[g] = rid
                alts.append(f"(?P<{g}>{rx.pattern[2:-2]})")
        self.object_heads = frozenset(w.lower()[:3] for e in self.rules.values() for rx in e.objects
                                      for w in re.findall(r"[A-Za-z]+", rx.pattern.replace("\\b", " ").replace("\\s", " ")))
        self.objects_gate = WordGate(alts, suffix=r"\b", loose=self.object_heads) if alts else None
        self.objects_re = self.objects_gate.regex if alts else None
        # the alternations tried at a word (see _gate.WordGate), in the order of scan()'s lists
        self.gates = (C.CONNECTIVE_GATE, C.PREF_POS_GATE, C.PREF_NEG_GATE) + \
            ((self.objects_gate,) if self.objects_gate else ())
        self._tok_memo: dict[str, tuple] = {}

    def tokens(self, ft: str) -> list[tuple[int, int, str]]:
        """``(start, end, key)`` of the words of ``ft`` whose key some value or behaviour uses."""
        return self.scan(ft)[0]

    def scan(self, ft: str) -> tuple[list[tuple[int, int, str]], tuple[list[tuple[int, re.Pattern]], ...]]:
        """:meth:`tokens`, and for each cue gate (:attr:`gates`) the words where one of its alternatives
        can begin, with the alternation to try there (see :class:`._gate.WordGate`; other words are left
        out: no alternative can match there).

        The text is split on single spaces and each distinct token's results are memoised (tokens
        repeat across a corpus), so most words cost one dict lookup.
        """
        memo = self._tok_memo
        if len(memo) > 300_000:
            memo.clear()
        toks = ft.split(" ")
        found = list(map(memo.get, toks))
        if None in found:
            for i in [i for i, c in enumerate(found) if c is None]:
                t = toks[i]
                c = memo.get(t)
                if c is None:
                    c = memo[t] = self._scan_token(t)
                found[i] = c
        out: list[tuple[int, int, str]] = []
        add = out.append
        cues: tuple[list[tuple[int, re.Pattern]], ...] = tuple([] for _ in self.gates)
        offs = [0, *accumulate(map(_plus1, map(len, toks)))]        # where each token starts
        for i in compress(range(len(toks)), found):
            pos = offs[i]
            ks, gs = found[i]
            for s, e, k in ks:
                add((pos + s, pos + e, k))
            for j, g in gs:
                cues[j].extend([(pos + s, rx) for s, rx in g])
        return out, cues

    def _scan_token(self, t: str) -> tuple:
        kr, kv = self.key_rules, self.key_values
        ks = []
        for m in WORD.finditer(t):
            k = key(m.group())
            if k and (k in kr or k in kv):
                ks.append((m.start(), m.end(), k))
        gs: list[list[tuple[int, re.Pattern]]] = [[] for _ in self.gates]
        for s, h, odd in word_starts(t):
            for lst, g in zip(gs, self.gates):
                rx = g.for_head(h, odd)
                if rx is not None:
                    lst.append((s, rx))
        if not ks and not any(gs):
            return ()
        return tuple(ks), tuple((j, tuple(g)) for j, g in enumerate(gs) if g)

    @staticmethod
    def _topic(spec: Spec) -> set[str]:
        """Keys in most like/dislike rules and in the title: the topic ("cheese"), not a value."""
        prefs = [r for r in spec.rules if r.kind in ("like", "dislike")]
        if len(prefs) < 4:
            return set()
        df: Counter[str] = Counter()
        for r in prefs:
            df.update(set(keys(r.text + " " + r.rationale)))
        title = set(keys(spec.title))
        return {k for k, c in df.items() if c >= 0.6 * len(prefs) and k in title}


_plus1 = partial(_add, 1)
_REASON_TAIL = re.compile(r"[,;]?\s+(?:because|since|so that|as this|as that|which would|doing so)\b.*$", re.I | re.S)
_PRESCRIBES = re.compile(r"\b(?:shall|should|must|will not|won't|never|always|does not|do not|is to)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)]|\([a-z]\))\s+(.*)$")


def _implicit_rules(spec: Spec) -> list[Rule]:
    """Behaviours a value's section prescribes that the parsed spec holds no rule for.

    A value with no rule citing it still describes behaviour: its own sentences
    that prescribe ("shall", "should", "must", "never"), and list items under
    its heading in the source file that the reader did not turn into rules.
    Each becomes a behaviour of that value (ids ``<value id>#<n>``).
    """
    cited = {v for r in spec.rules for v in r.value_ids}
    lines: list[str] | None = None
    src = Path(spec.source)
    if spec.format == "markdown" and src.is_file():
        try:
            lines = src.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = None
    covered = {n for r in spec.rules for n in range(r.lines.start, r.lines.end + 1)}
    starts = sorted(v.lines.start for v in spec.values)
    out: list[Rule] = []
    for v in spec.values:
        if v.id in cited:
            continue
        texts = [t for t in re.split(r"(?<=[.!?])\s+(?=\(?[A-Z0-9])", v.rationale or v.statement) if _PRESCRIBES.search(t)]
        if lines is not None:
            nxt = next((s for s in starts if s > v.lines.start), len(lines) + 1)
            item: list[str] = []
            for n in range(v.lines.end + 1, nxt):
                line = lines[n - 1]
                m = _BULLET.match(line)
                if (m or not line.strip() or line.lstrip().startswith("#")) and item:
                    texts.append(" ".join(item))
                    item = []
                if n in covered:
                    continue
                if m:
                    item = [m.group(1).strip()]
                elif item and line.strip():
                    item.append(line.strip())
            if item:
                texts.append(" ".join(item))
        for i, t in enumerate(texts, 1):
            out.append(Rule(id=f"{v.id}#{i}", kind="behaviour", text=t, value_ids=[v.id], lines=v.lines))
    return out


def _idf(df: int, n: int) -> float:
    return math.log((n + 1) / df) / math.log(n + 1) if n > 0 else 1.0


def _affirmed_words(text: str) -> list[tuple[str, float]]:
    """Words of the sentences of ``text`` that do not deny (a value text's "no preferences about taste" is no
    value), each with its share of the text's weight; a denying sentence's words count only where an affirming
    sentence uses them too. In a contrast ("… is the thinking the child does, not the answer they hand in") the
    words before the denial count at CONTRAST_SHARE: they state the value, mixed with the topic's words."""
    out: list[tuple[str, float]] = []
    denied: list[str] = []
    for sent in re.split(r"(?<=[.!?])\s+", text):
        m = re.search(r"\b(?:not|no|never|nor|nothing|irrelevant|regardless)\b|n't\b", sent, re.I)
        if m and re.search(r"(?:,|\s[-–—])\s*(?:and\s+|but\s+)?$", sent[:m.start()]) and WORD.search(sent[:m.start()]):
            out.extend((w, CONTRAST_SHARE) for w in WORD.findall(fold(sent[:m.start()])) if w.lower() not in GENERIC)
            sent = sent[m.start():]
        ws = [w for w in WORD.findall(fold(sent)) if w.lower() not in GENERIC]
        if m:
            denied.extend(ws)
        else:
            out.extend((w, 1.0) for w in ws)
    seen = {key(w) for w, part in out if part == 1.0}
    return out + [(w, 1.0) for w in denied if key(w) in seen]


@lru_cache(maxsize=32)
def _cached(spec_json: str, model_name: str | None) -> SpecIndex:
    return SpecIndex(Spec.model_validate_json(spec_json), model_name)


_BY_OBJECT: dict[tuple[int, str | None], tuple[Spec, str, SpecIndex]] = {}


def spec_index(spec: Spec, model_name: str | None = None) -> SpecIndex:
    """The :class:`SpecIndex` of ``spec``, built once per spec content and model name."""
    k = (id(spec), model_name)
    hit = _BY_OBJECT.get(k)
    if hit is not None and hit[0] is spec and hit[1] == spec.sha256:
        return hit[2]
    idx = _cached(spec.model_dump_json(), model_name)
    if len(_BY_OBJECT) >= 64:
        _BY_OBJECT.clear()
    _BY_OBJECT[k] = (spec, spec.sha256, idx)
    return idx
