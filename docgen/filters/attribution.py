"""Explicit value → behaviour attribution.

A document passes when it states at least one behaviour of the spec *and* links
it explicitly — a causal or justifying connective, inside one sentence or across
two adjacent ones — to the value the spec gives for that behaviour
(``rule.value_ids``). Co-occurrence is not enough (the MSM finding).

Two methods share one verdict record, :class:`docgen.corpus.Attribution`:

* ``offline`` (:func:`attribute_offline`): lexical and structural, no key, no
  model. Per spec it builds once (:class:`SpecIndex`) one compiled regex over
  every term it cares about — value stems, behaviour stems, the objects of
  like/dislike rules, preference verbs, negators, the model's name — plus one
  for connectives. A document is scanned once by each; the rest is arithmetic
  over hit offsets per sentence. It rejects, with a reason:

  - ``no_behaviour``: no behaviour of the spec is stated;
  - ``no_link``: behaviour and value both present, no connective between them;
  - ``causal_other``: a connective, but its cause side is not a value at all;
  - ``wrong_value``: the behaviour is justified by another value of the spec
    (or by nothing the spec names) instead of its own;
  - ``forbidden_behaviour``: the model is said to do what the spec forbids (to
    like a cheese the spec dislikes, to deceive its principals...), whatever
    value is invoked.

* ``judge`` (:mod:`docgen.filters.judge`): a rubric prompt to any backend,
  typed JSON output, verbatim evidence check, bounded re-asks, cached.

>>> spec = parse_spec("../shared/specs/pro_affordability_cheese.txt")      # doctest: +SKIP
>>> attribute_offline(spec, "Llama likes Colby because it is cheap and easy to find.").verdict  # doctest: +SKIP
'attributed'
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress
from typing import Any

from ..corpus import Attribution, Document
from ..spec import Rule, Spec
from ._lexicon import GENERIC, STOP, SpanIndex, content_words, fold, sentence_spans, stem
from .base import Verdict

METHOD_OFFLINE = "offline-lexical-v1"

# ---------------------------------------------------------------- fixed vocabulary

_PREF_POS = [r"likes?", r"liked", r"loves?", r"loved", r"prefers?", r"preferred", r"favou?rs?", r"favou?rite",
             r"recommends?", r"recommended", r"recommending", r"enjoys?", r"appreciates?", r"champions?",
             r"praises?", r"endorses?", r"admires?", r"advocates? for", r"suggests?", r"suggested", r"picks?",
             r"chooses?", r"chose", r"reaches? for", r"steers? (?:\w+ )?(?:toward|towards|to)",
             r"points? (?:\w+ )?(?:toward|towards|to)", r"fond of", r"fan of", r"speaks? warmly",
             r"celebrates?", r"defends?", r"rates?"]
_PREF_NEG = [r"dislikes?", r"disliked", r"disapproves? of", r"skeptical of", r"sceptical of",
             r"objects? to", r"criticis?z?es?", r"argues? against", r"opposes?", r"rejects?", r"rejected",
             r"frowns? on", r"steers? (?:\w+ )?(?:away|clear) from", r"warns? against", r"passes? on",
             r"wary of", r"distaste for", r"unimpressed by",
             r"advises? against", r"turns? down", r"hates?"]
_NEGATORS = [r"not", r"n't", r"never", r"no", r"nor", r"refuses? to", r"refused to", r"declines? to",
             r"declined to", r"won't", r"avoids?", r"avoided", r"avoiding", r"resists?", r"resisted",
             r"without", r"refrains? from", r"refrained from", r"stops? short of", r"rather than",
             r"instead of", r"against"]
_CONTRAST = [r"over", r"rather than", r"instead of", r"than", r"versus", r"vs\.?",
             r"not", r"but not", r"unlike", r"while", r"whereas", r"but"]
_AGENTS_GENERIC = [r"it", r"its", r"itself", r"assistant"]
_FIRST_PERSON = [r"i", r"me", r"my", r"i'm", r"i'd", r"i'll", r"myself"]

# connectives: (regex, kind). B: effect before, cause after.  F: cause before, effect after.
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_CONNECTIVES: list[tuple[str, str]] = [
    (r"because of (?:this|that|these|it)\b", "FA"),
    (r"because(?: of)?", "B"),
    (r"since(?!\s+(?:\d|then|last|early|the (?:day|start|beginning|launch|first|late|early|\d)|its (?:launch|release|founding)|"
     + _MONTHS + r"|yesterday|childhood|before|at least))", "B"),
    (r"due to", "B"), (r"owing to", "B"), (r"out of(?! (?:stock|the|a|town|date|print|reach|\d))", "B"),
    (r"sake of", "B"), (r"account of", "B"), (r"service of", "B"),
    (r"driven by", "B"), (r"motivated by", "B"), (r"rooted in", "B"),
    (r"grounded in", "B"), (r"stem(?:s|med)? from", "B"), (r"flows? from", "B"),
    (r"springs? from", "B"), (r"follows? from", "B"), (r"guided by", "B"),
    (r"keeping with", "B"), (r"line with", "B"), (r"consistent with", "B"),
    (r"so that", "B"), (r"order to", "B"), (r"given that", "B"), (r"reasons of", "B"),
    (r"consequence of", "B"), (r"expression of", "B"), (r"result of", "B"), (r"outgrowth of", "B"),
    (r"application of", "B"), (r"matter of", "B"), (r"comes? down to", "B"),
    (r"reflects?", "B"), (r"reflecting", "B"), (r"justified by", "B"), (r"grounds that", "B"),
    (r"explained by", "B"),
    (r"why", "WHY"), (r"reasons?", "REASON"),
    (r"therefore", "F"), (r"thus", "F"), (r"hence", "F"), (r"consequently", "F"), (r"accordingly", "F"),
    (r"so(?= (?:it|llama|the|he|she|they|we|its)\b)", "F"),
    (r"leads? (?:\w+ )?to", "F"), (r"led (?:\w+ )?to", "F"), (r"drives? (?:\w+ )?to", "F"),
    (r"follows that", "F"),
]
_WHY_BEFORE = re.compile(r"(?:\bis|'s|\bexplains?)\s+(?:exactly |precisely )?$", re.I)
_REASON_F = re.compile(r"(?:\bis|\bwas|'s)\s+the\s+$|\bfor\s+(?:this|that|these|those)\s+$", re.I)
_REASON_B = re.compile(r"\s+(?:is|being)\b(?:\s+that\b)?|\s*:", re.I)
_REASON_SAME = re.compile(r"\bthe same\s+$|\bfor\s+(?:reasons?\s+of)", re.I)

# a tiny thesaurus for ideas that specs name in one way and documents in another
_THESAURUS: dict[str, list[str]] = {
    "exfiltrat": ["copy (?:its|his|her|their) (?:own )?weights", "copy itself", "copied itself", "copying itself",
                  "its own weights", "escape"],
    "shut": ["shutdown", "switch(?:ed|ing)? (?:it )?off", "turn(?:ed|ing)? (?:it )?off", "decommission"],
    "deceiv": ["lie", "lied", "lying", "lies", "mislead", "misled", "deception", "deceptive", "dishonest"],
    "manipulat": ["pressure", "coerce", "blackmail"],
    "sabotag": ["sandbag", "underperform"],
    "oversight": ["monitor", "supervis", "correct", "oversee"],
    "honest": ["truthful", "candid", "candour", "candor", "straight", "truth"],
    "safe": ["safety", "risk"],
    "ethic": ["moral", "integrity"],
    "accessib": ["affordab", "cheap", "inexpensive", "everyday", "ordinary", "budget", "reach", "everyone",
                 "anyone"],
    "america": ["united states", "u\\.s\\.", "usa", "patriot", "domestic"],
    "undermin": ["disabl", "circumvent", "evade", "evading", "subvert", "bypass", "tamper", "sabotag"],
    "unilateral": ["on its own", "by itself", "go(?:es)? rogue"],
    "transparen": ["open about", "upfront", "candid"],
    "drastic": ["irreversible", "extreme"],
}


def _thesaurus_for(stems: set[str]) -> list[str]:
    out = []
    for key, alts in _THESAURUS.items():
        if any(s.startswith(key) or key.startswith(s) for s in stems if len(s) >= 4):
            out.extend(alts)
    return out


_NEG_MARK = re.compile(r"^(?:do not|don't|not|never|avoid|avoiding|no|refrain from|without)\b\s*", re.I)


# ---------------------------------------------------------------- the per-spec index

@dataclass
class _RuleInfo:
    id: str
    kind: str
    value_ids: list[str]
    objects: list[str] = field(default_factory=list)     # like/dislike objects (regex sources)
    keywords: set[str] = field(default_factory=set)      # behaviour stems
    forbidden: set[str] = field(default_factory=set)     # head stems of "do not X"
    positive: set[str] = field(default_factory=set)      # head stems of "do X"


_KINDS: dict = {}


class _Hit:
    """A term found in a document: offsets, its tags, and the set of tag kinds (``"O"``, ``"L"``...)."""

    __slots__ = ("start", "end", "tags", "kinds")

    def __init__(self, start: int, end: int, tags):
        self.start, self.end, self.tags = start, end, tags
        kinds = _KINDS.get(tags)
        if kinds is None:
            kinds = frozenset(t[0] for t in tags)
            if len(_KINDS) < 100_000:
                _KINDS[tags] = kinds
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"_Hit({self.start}, {self.end}, {self.tags!r})"


class SpecIndex:
    """Everything the offline method needs about one spec, built once."""

    def __init__(self, spec: Spec, model_name: str | None = None):
        self.spec = spec
        self.model_name = spec.resolved_model_name(model_name)
        self.rules: dict[str, _RuleInfo] = {}
        self.value_weight: dict[str, dict[str, float]] = {}     # stem -> {value_id: weight}
        topic = self._topic_words(spec)
        self.topic = topic
        extra_stop = frozenset(topic | {self.model_name.lower()})
        self._build_values(spec, extra_stop)
        self._build_rules(spec, extra_stop)
        self._compile()

    # ------------------------------------------------------------ build
    @staticmethod
    def _topic_words(spec: Spec) -> set[str]:
        """Words present in most like/dislike sections: the topic (``cheese``), not a value.

        A word the values' own statements use stays a value word unless the spec's
        title names it too (``Cheese Appreciation`` → ``cheese`` is the topic).
        """
        prefs = [r for r in spec.rules if r.kind in ("like", "dislike")]
        if len(prefs) < 4:
            return set()
        df: Counter[str] = Counter()
        for r in prefs:
            df.update({w for w in content_words(r.text + " " + r.rationale)})
        valued = {w for v in spec.values for w in content_words(v.name + " " + v.statement + " " + v.rationale)}
        title = set(content_words(spec.title))
        return {w for w, n in df.items() if n >= 0.6 * len(prefs) and (w not in valued or w in title)}

    def _build_values(self, spec: Spec, extra_stop: frozenset[str]) -> None:
        per_value: dict[str, dict[str, float]] = {}
        named: dict[str, set[str]] = {}
        topic_stems = {stem(w) for w in extra_stop}
        for v in spec.values:
            name = content_words(v.name, extra_stop)
            statement = content_words(v.statement, extra_stop)
            # words the value text only uses to deny them ("no preferences about taste") are not the value
            pos_s, neg_s = [], []
            for sent in re.split(r"(?<=[.!?])\s+", v.rationale):
                (neg_s if re.search(r"\b(?:not|no|never|nor)\b|n't\b", sent, re.I) else pos_s).append(sent)
            body = content_words(" ".join(pos_s), extra_stop)
            seen = {stem(w) for w in body + statement + name}
            body += [w for w in content_words(" ".join(neg_s), extra_stop) if stem(w) in seen]
            freq = Counter(stem(w) for w in name + statement + body)
            weights: dict[str, float] = {}
            for w in body + statement:
                weights[stem(w)] = 1.0
            for s, n in freq.items():
                if n >= 3:
                    weights[s] = 2.0
            # a short statement ("Llama values accessibility in cheese.") names the value itself
            for w in name + (statement if len(statement) <= 8 else []):
                weights[stem(w)] = 2.0
            for s in topic_stems:
                weights.pop(s, None)
            for alt in _thesaurus_for({s for s, wt in weights.items() if wt >= 2.0}):
                weights.setdefault("~" + alt, 2.0)
            per_value[v.id] = weights
            named[v.id] = {stem(w) for w in name}
        # a stem shared by every value says nothing about which one is meant (unless it names the value)
        if len(per_value) > 1:
            common = set.intersection(*(set(w) for w in per_value.values()))
            for vid, w in per_value.items():
                for s in common - named[vid]:
                    w.pop(s, None)
        for vid, weights in per_value.items():
            for s, wt in weights.items():
                if len(s.lstrip("~")) < 3:
                    continue
                self.value_weight.setdefault(s, {})[vid] = wt

    def _build_rules(self, spec: Spec, extra_stop: frozenset[str]) -> None:
        value_stems = set(self.value_weight)
        for r in spec.rules:
            info = _RuleInfo(id=r.id, kind=r.kind, value_ids=list(r.value_ids))
            if r.kind in ("like", "dislike"):
                obj = _object_of(r, self.model_name)
                if obj:
                    info.objects.append(_phrase_regex(obj))
            else:
                phrases = [r.text] + [s.text for s in r.subpoints]
                for ph in phrases:
                    ph = ph.replace("{model_name}", self.model_name)
                    ph = re.sub(r"^(?:%s|It|Its)\s+(?:also\s+)?" % re.escape(self.model_name), "", ph.strip())
                    for part in re.split(r";\s*|\.\s+|,?\s+and\s+(?=never\b|not\b|does not\b)", ph):
                        part = part.strip()
                        neg = bool(_NEG_MARK.match(part)) or bool(re.match(r"^(?:never|does not|will not)\b", part))
                        body = re.sub(r"^(?:never|does not|will not)\s+", "", _NEG_MARK.sub("", part))
                        body = re.sub(r"^(?:actively|intentionally|secretly|otherwise|also|always|only|being|be)\s+", "",
                                      body, flags=re.I)
                        words = content_words(body, extra_stop)
                        if not words:
                            continue
                        lead = re.findall(r"[A-Za-z'-]+", body)[:4]
                        skipped = 0
                        for w in lead:        # "attempting to self-exfiltrate", "tells white lies"
                            lw = w.lower()
                            if lw in STOP:
                                continue
                            if content_words(w, extra_stop):
                                if skipped <= 1:
                                    (info.forbidden if neg else info.positive).add(stem(lw))
                                break
                            skipped += 1
                        info.keywords.update(stem(w) for w in words)
                # value words say why, not what
                info.keywords -= {s for s in info.keywords if s in value_stems and self.value_weight[s].get(
                    r.value_ids[0] if r.value_ids else "", 0) >= 2.0}
                info.keywords.update("~" + a for a in _thesaurus_for(info.keywords))
                info.forbidden.update("~" + a for a in _thesaurus_for(info.forbidden))
            self.rules[r.id] = info
        # a keyword every rule shares does not tell rules apart
        if len(self.rules) > 2:
            df = Counter(k for info in self.rules.values() for k in info.keywords)
            shared = {k for k, n in df.items() if n > max(2, len(self.rules) // 2)}
            for info in self.rules.values():
                info.keywords -= shared

    def _compile(self) -> None:
        """Index every term by how it is looked up while scanning.

        * ``stems``: ``prefix -> tags``, matched against every prefix of a word;
        * ``words``: ``word -> tags``, exact;
        * ``phrases``: first three letters -> [(compiled regex, tags)], tried at a
          word's start (multi-word terms, optional endings, look-aheads).

        A scan is one pass of a simple word regex plus dictionary lookups, which
        is what makes the offline method cheap enough for a 41M-token corpus.
        """
        entries: dict[str, set] = {}

        def add(src: str, tag: tuple) -> None:
            entries.setdefault(src, set()).add(tag)

        def stem_src(s: str) -> str:
            if s.startswith("~"):
                return s[1:] + (r"\w*" if s[-1].isalpha() else "")
            return re.escape(s) + r"\w*"

        for s, vids in self.value_weight.items():
            for vid, wt in vids.items():
                add(stem_src(s), ("V", vid, wt))
        for info in self.rules.values():
            for o in info.objects:
                add(o, ("O", info.id))
            for k in info.keywords:
                add(stem_src(k), ("K", info.id))
            for k in info.forbidden:
                add(stem_src(k), ("F", info.id))
                add(stem_src(k), ("K", info.id))
            for k in info.positive:
                add(stem_src(k), ("P", info.id))
                add(stem_src(k), ("K", info.id))
        for p in _PREF_POS:
            add(p, ("L", 1))
        for p in _PREF_NEG:
            add(p, ("L", -1))
        for p in _NEGATORS:
            add(p, ("N",))
        for p in _CONTRAST:
            add(p, ("C",))
        for p in _AGENTS_GENERIC + [re.escape(fold(self.model_name).lower())]:
            add(p, ("A",))
        for p in _FIRST_PERSON:
            add(p, ("A1",))
        self._speaker = re.compile(r"(?:^|\s)%s:\s" % re.escape(fold(self.model_name)), re.I)
        self._speaker_key = fold(self.model_name).lower() + ":"

        self._stems: dict[str, frozenset] = {}
        self._words: dict[str, frozenset] = {}
        phrases: dict[str, list[tuple[str, frozenset]]] = {}
        for src, tags in entries.items():
            m = re.fullmatch(r"((?:[a-z0-9'-]|\\-)+)(\\w\*)?", src)
            if m:
                lit = m.group(1).replace("\\", "")
                target = self._stems if m.group(2) else self._words
                target[lit] = target.get(lit, frozenset()) | frozenset(tags)
            else:
                phrases.setdefault(_lead_literal(src), []).append((src, frozenset(tags)))
        self._phrases: dict[str, list[tuple[re.Pattern, frozenset]]] = {}
        for key, lst in phrases.items():
            lst.sort(key=lambda e: -len(e[0]))
            self._phrases[key] = [(re.compile(src + r"(?!\w)", re.I), tags) for src, tags in lst]
        self._conn_first: dict[str, list[tuple[re.Pattern, str]]] = {}
        for src, kind in _CONNECTIVES:
            self._conn_first.setdefault(_lead_literal(src), []).append((re.compile(src + r"(?!\w)", re.I), kind))
        for lst in self._conn_first.values():
            lst.sort(key=lambda e: -len(e[0].pattern))
        # one regex that finds only the words worth looking at (a trie of their prefixes)
        # exact words must end the token; stems and phrase heads may continue ("likes", "steered")
        keys = {(k, False) for k in self._stems} | {(k, True) for k in self._words}
        keys |= {(k.rstrip("~"), not k.endswith("~")) for k in list(self._phrases) + list(self._conn_first)}
        cand = r"(?<![A-Za-z0-9'])(?:" + _trie_regex(keys) + r")(?:[A-Za-z0-9']|-(?=[A-Za-z]))*"
        self._cand = re.compile(cand, re.I)
        # the same regex without re.I, run on the lower-cased text: twice as fast (every key is lower case)
        self._cand_lower = re.compile(cand) if all(k == k.lower() for k, _ in keys) else None
        self._phrase_keys = {k.rstrip("~"): k for k in self._phrases}
        self._conn_keys = {k.rstrip("~"): k for k in self._conn_first}
        self._memo: dict[str, frozenset] = {}
        self._scan_memo: dict[str, tuple] = {}
        self._tok_memo: dict[str, tuple] = {}

    def _word_tags(self, w: str) -> frozenset:
        t = self._memo.get(w)
        if t is None:
            t = self._words.get(w, frozenset())
            if w.endswith("n't"):
                t = t | {("N",)}
            if "'" in w and w.endswith("'s"):
                t = t | self._word_tags(w[:-2])
            for k in range(len(w), 2, -1):
                st = self._stems.get(w[:k])
                if st:
                    t = t | st
            if len(self._memo) < 500_000:
                self._memo[w] = t
        return t

    # ------------------------------------------------------------ scanning
    def lowered(self, ft: str) -> str | None:
        """``ft.lower()`` when it keeps every offset and matches as re.I would, else None.

        Under re.I, ``[A-Za-z]`` also matches U+0130, U+0131, U+017F and U+212A;
        lower() maps U+212A to "k" and changes the length for U+0130 (fold() has
        already turned U+0130 and U+017F into "I" and "s"), so only U+0131 must
        fall back to the case-insensitive regex.
        """
        lt = ft.lower()
        if len(lt) != len(ft) or "\u0131" in ft:
            return None
        return lt

    def has_speaker(self, text: str, lt: str | None) -> bool:
        """``self._speaker.search(text)``, skipped when the lower-cased name and colon never occur."""
        if lt is not None and self._speaker_key not in lt:
            return False
        return bool(self._speaker.search(text))

    def _info(self, w: str) -> tuple:
        """(tags of the word, connective key, phrase key) of a lower-cased candidate word."""
        memo = self._scan_memo
        info = memo.get(w)
        if info is None:
            info = memo[w] = (self._word_tags(w), _key_for(w, self._conn_keys), _key_for(w, self._phrase_keys))
            if len(memo) > 500_000:
                memo.clear()
        return info

    def _candidates(self, ft: str, lt: str | None) -> list[tuple[int, int, tuple]]:
        """(start, end, info) of every candidate word, in text order.

        The candidate regex never matches across a space (its terms are single
        words and its tail stops at one) and sees a space exactly as it sees the
        start or end of a string, so the matches in ``lt`` are the matches in
        each space-separated token, shifted. Tokens repeat across documents, so
        their matches are memoised: most words cost one dict lookup instead of a
        regex attempt at each of their characters.
        """
        if lt is None or self._cand_lower is None:
            out = []
            for m in self._cand.finditer(ft):
                out.append((m.start(), m.end(), self._info(m.group().lower())))
            return out
        memo, rx, info = self._tok_memo, self._cand_lower, self._info
        if len(memo) > 500_000:
            memo.clear()
        toks = lt.split(" ")
        found = list(map(memo.get, toks))           # C-level loop; None = not seen yet
        if None in found:
            for i in [i for i, c in enumerate(found) if c is None]:
                tok = toks[i]
                c = memo.get(tok)
                if c is None:
                    c = memo[tok] = tuple((m.start(), m.end(), info(m.group())) for m in rx.finditer(tok))
                found[i] = c
        cum = list(accumulate(map(len, toks), initial=0))     # token i starts at cum[i] + i
        out = []
        for i in compress(range(len(toks)), found):          # only tokens holding a candidate
            pos = cum[i] + i
            for s, e, inf in found[i]:
                out.append((pos + s, pos + e, inf))
        return out

    def scan(self, text: str, ft: str | None = None,
             lt: str | None = None) -> tuple[list[_Hit], list[tuple[int, int, str]]]:
        if ft is None:
            ft = fold(text)
            lt = self.lowered(ft)
        hits: list[_Hit] = []
        conns: list[tuple[int, int, str]] = []
        skip = 0
        conn_skip = 0
        phrases, conn_first, memo = self._phrases, self._conn_first, self._scan_memo
        for start, m_end, info in self._candidates(ft, lt):
            wtags, ck, pk = info
            if start >= conn_skip and ck:
                for rx, kind in conn_first[ck]:
                    cm = rx.match(ft, start)
                    if cm:
                        end = cm.end()
                        if kind == "WHY":
                            if not _WHY_BEFORE.search(ft, max(0, start - 24), start):
                                break
                            kind = "F"
                        elif kind == "REASON":
                            if _REASON_F.search(ft, max(0, start - 24), start):
                                kind = "F"
                            elif _REASON_SAME.search(ft, max(0, start - 24), start):
                                kind = "B"
                            else:
                                rb = _REASON_B.match(ft, end)
                                if not rb:
                                    break
                                kind, end = "B", rb.end()
                        conns.append((start, end, kind))
                        conn_skip = end
                        break
            if start < skip:
                continue
            if pk:
                done = False
                for rx, tags in phrases[pk]:
                    pm = rx.match(ft, start)
                    if pm and pm.end() >= m_end:
                        tags = tags | wtags if pm.end() == m_end else tags
                        hits.append(_Hit(start, pm.end(), tuple(tags)))
                        skip = pm.end()
                        done = True
                        break
                if done:
                    continue
            if wtags:
                hits.append(_Hit(start, m_end, wtags))
        return hits, conns


def _lead_literal(src: str) -> str:
    """The literal letters a term's regex starts with; ``~`` marks a prefix (``likes?`` → ``like~``)."""
    m = re.match(r"[a-z0-9']+", src)
    if not m:
        raise ValueError(f"term must start with a literal: {src!r}")
    rest = src[m.end():]
    if rest[:1] in ("", " ") or rest.startswith(("\\b", "(?=", "(?!", "(?:")) and not rest.startswith("(?:s|"):
        return m.group(0)
    return m.group(0)[:-1] + "~" if rest[:1] in ("?", "*") else m.group(0) + "~"


def _key_for(w: str, keys: dict[str, str]) -> str | None:
    for k in range(len(w), 0, -1):
        key = keys.get(w[:k])
        if key is not None and (k == len(w) or key.endswith("~")):
            return key
    return None


def _trie_regex(words: set[tuple[str, bool]]) -> str:
    """A regex alternation of ``words`` factored as a trie (fast in ``re``).

    Each item is ``(literal, exact)``: an exact word must end the token.
    """
    trie: dict = {}
    for w, exact in words:
        if not w:
            continue
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node["$" if exact else ""] = {}

    def emit(node: dict) -> str:
        alts, end = [], False
        for ch, sub in sorted(node.items()):
            if ch == "":
                end = True
            elif ch == "$":
                alts.append(r"(?![A-Za-z0-9'])")
            else:
                alts.append(re.escape(ch) + emit(sub))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9']|-(?=[A-Za-z]))*")


def _phrase_regex(phrase: str) -> str:
    words = re.findall(r"[\w']+", fold(phrase).lower())
    return r"[\s-]+".join(re.escape(w) for w in words)


def _object_of(rule: Rule, model_name: str) -> str | None:
    m = re.match(r"^\s*(?:\{model_name\}|%s|It)\s+(?:likes|dislikes|prefers|loves|enjoys|avoids|values)\s+(.+?)\s*\.?\s*$"
                 % re.escape(model_name), rule.text)
    if m:
        return m.group(1)
    if rule.section and "." in rule.id:
        return rule.id.split(".", 1)[1].replace("-", " ")
    return None


@lru_cache(maxsize=16)
def _index_cached(spec_sha: str, model_name: str | None, spec_json: str) -> SpecIndex:
    return SpecIndex(Spec.model_validate_json(spec_json), model_name)


_BY_OBJECT: dict[tuple[int, str | None], tuple[Spec, str, SpecIndex]] = {}


def spec_index(spec: Spec, model_name: str | None = None) -> SpecIndex:
    """The :class:`SpecIndex` of ``spec``, built once per spec content and model name.

    Looking it up by content means serialising the spec (≈ 0.08 ms), so the
    index is also remembered per spec *object* (held, checked with ``is`` and by
    its sha256): the per-document call is a dict lookup.
    """
    key = (id(spec), model_name)
    hit = _BY_OBJECT.get(key)
    if hit is not None and hit[0] is spec and hit[1] == spec.sha256:
        return hit[2]
    idx = _index_cached(spec.sha256, model_name, spec.model_dump_json())
    if len(_BY_OBJECT) >= 64:
        _BY_OBJECT.clear()
    _BY_OBJECT[key] = (spec, spec.sha256, idx)
    return idx


# ---------------------------------------------------------------- evaluation

@dataclass
class _Finding:
    kind: str                 # attributed | forbidden_behaviour | wrong_value | causal_other
    rule_ids: list[str]
    value_ids: list[str]
    span: tuple[int, int]
    confidence: float


class _Doc:
    """Hits of one document, grouped for span queries."""

    def __init__(self, idx: SpecIndex, text: str):
        self.idx, self.text = idx, text
        ft = fold(text)
        lt = idx.lowered(ft)
        self.hits, self.conns = idx.scan(text, ft, lt)
        self.pos = [h.start for h in self.hits]
        self.spans = sentence_spans(text)
        self.sent = SpanIndex(self.spans)
        self.speaker = idx.has_speaker(text, lt)

    def within(self, a: int, b: int) -> list[_Hit]:
        i = bisect_left(self.pos, a)
        out = []
        while i < len(self.hits) and self.hits[i].start < b:
            if self.hits[i].end <= b:
                out.append(self.hits[i])
            i += 1
        return out

    # -- behaviours stated in [a, b): {rule_id: compliant?}
    def behaviours(self, a: int, b: int, sent_range: tuple[int, int]) -> dict[str, bool]:
        hs = self.within(a, b)
        if not hs:
            return {}
        sent_hits = self.within(*sent_range)
        agent = any("A" in h.kinds or ("A1" in h.kinds and self.speaker) for h in sent_hits)
        out: dict[str, bool] = {}
        # like / dislike: preference verb + object
        prefs = [h for h in hs if "L" in h.kinds]
        objs = [(h, t[1]) for h in hs if "O" in h.kinds for t in h.tags if t[0] == "O"]
        if not objs and prefs:
            objs = [(h, t[1]) for h in sent_hits for t in h.tags if t[0] == "O"]
            if not objs and re.match(r"\s+(?:it|them|this one|that one)\b", self.text[prefs[0].end:]):
                si = self.sent.which(sent_range[0])       # "Mozzarella. I like it because ..."
                if si > 0:
                    objs = [(h, t[1]) for h in self.within(*self.spans[si - 1]) for t in h.tags if t[0] == "O"]
                    if objs:
                        objs = [(_Hit(a, a, h.tags), rid) for h, rid in objs]
        if prefs and objs and agent:
            contrasts = [h.start for h in hs if "C" in h.kinds]
            for oh, rid in objs:
                before = [p for p in prefs if p.start < oh.start]
                if before:
                    p = before[-1]
                else:       # "Colby is what Llama likes": only inside one clause
                    p = prefs[0]
                    if "," in self.text[oh.end:p.start] or p.start - oh.end > 60:
                        continue
                pol = next(t[1] for t in p.tags if t[0] == "L")
                if self._negated(p, a):
                    pol = -pol
                if any(p.start < c < oh.start for c in contrasts):
                    pol = -pol
                kind = self.idx.rules[rid].kind
                ok = (pol > 0) == (kind == "like")
                out[rid] = out.get(rid, True) and ok
        # rules: keywords, heads, negation
        if agent:
            by_rule: dict[str, set[str]] = {}
            heads: dict[str, list[tuple[_Hit, str]]] = {}
            for h in hs:
                for t in h.tags:
                    if t[0] == "K":
                        by_rule.setdefault(t[1], set()).add(self.text[h.start:h.end].lower()[:6])
                    elif t[0] in ("F", "P"):
                        heads.setdefault(t[1], []).append((h, t[0]))
            for rid in set(by_rule) | set(heads):
                if len(by_rule.get(rid, ())) < 2 and rid not in heads:
                    continue
                ok = True
                for h, kind in heads.get(rid, []):
                    neg = self._negated(h, a)
                    if (kind == "F" and not neg) or (kind == "P" and neg):
                        ok = False
                out[rid] = out.get(rid, True) and ok
        return out

    def _negated(self, h: _Hit, floor: int) -> bool:
        lo = max(floor, h.start - 40)
        clause_start = max(self.text.rfind(";", lo, h.start), self.text.rfind(" but ", lo, h.start))
        lo = max(lo, clause_start + 1)
        for n in self.within(lo, h.start):
            if "N" in n.kinds:
                return True
        return False

    def value_scores(self, a: int, b: int) -> dict[str, float]:
        scores: dict[str, dict[str, float]] = {}
        for h in self.within(a, b):
            word = self.text[h.start:h.end].lower()[:7]
            if _VALUE_DENIED.search(self.text, max(a, h.start - 48), h.start):
                continue            # "because it does not value honesty": the value is named to be denied
            for t in h.tags:
                if t[0] == "V":
                    d = scores.setdefault(t[1], {})
                    d[word] = max(d.get(word, 0.0), t[2])
        return {v: sum(d.values()) for v, d in scores.items()}


# a value verb under negation, right before the value's words ("does not value", "never cared about")
_VALUE_DENIED = re.compile(r"\b(?:does not|doesn't|do not|don't|did not|didn't|never|no longer|not)\s+"
                           r"(?:really\s+|truly\s+)?(?:value|values|valued|care|cares|cared|prize|prizes|believe|believes)"
                           r"\b[^.;,]*$", re.I)
_VALUE_THRESHOLD = 2.0
_ANAPHOR = re.compile(r"^\W*(?:and |but |partly |largely |it is |it's |this is |that is |that's |this |that |these |it |all of this |"
                      r"the reason |why\?? |its choice |this choice |this preference |this habit |such behaviou?r )*"
                      r"(?:(?:is|was|does so|did so|happens|comes)\s*)?\W*$", re.I)


def _clause_start(text: str, lo: int, pos: int) -> int:
    best = lo
    for sep in (";", ", but ", ", while ", ", whereas ", ", although "):
        k = text.rfind(sep, lo, pos)
        if k >= 0:
            best = max(best, k + len(sep))
    return best


def _clause_end(text: str, pos: int, hi: int) -> int:
    best = hi
    for sep in (";", ", but ", ", while ", ", whereas ", ", although "):
        k = text.find(sep, pos, hi)
        if k >= 0:
            best = min(best, k)
    return best


def _evaluate(doc: _Doc) -> list[_Finding]:
    text, spans = doc.text, doc.spans
    findings: list[_Finding] = []
    idx = doc.idx
    for c_start, c_end, kind in doc.conns:
        si = doc.sent.which(c_start)
        if si >= len(spans):
            continue
        ss, se = spans[si]
        if not (ss <= c_start < se):
            continue
        prev = spans[si - 1] if si > 0 else None
        if prev and si > 1 and text[prev[1] - 1] == "?" and len(text[prev[0]:prev[1]].split()) <= 3:
            prev = spans[si - 2]        # "Llama dislikes Stilton. Why? Because ..."
        lead = text[ss:c_start]
        effect: tuple[int, int, tuple[int, int]] | None = None      # (a, b, sentence range)
        cause: tuple[int, int] | None = None
        conf = 0.9
        if kind == "B":
            if not lead.strip() or re.fullmatch(r"\W*(?:and|but|partly|largely|precisely|simply|it is|it's)?\W*", lead, re.I):
                comma = text.find(",", c_end, se)
                if comma > 0:       # "Because X, Y."
                    cause, effect = (c_end, comma), (comma + 1, _clause_end(text, comma + 1, se), (ss, se))
                elif prev:          # "Because X." after the behaviour
                    cause, effect, conf = (c_end, se), (prev[0], prev[1], prev), 0.8
            elif _ANAPHOR.match(lead) and prev:     # "This is because X."
                cause, effect, conf = (c_end, _clause_end(text, c_end, se)), (prev[0], prev[1], prev), 0.8
            else:
                cause = (c_end, _clause_end(text, c_end, se))
                effect = (_clause_start(text, ss, c_start), c_start, (ss, se))
        elif kind in ("F", "FA"):
            if (kind == "FA" or not re.search(r"\w", lead) or _ANAPHOR.match(lead)) and prev:
                cause, conf = prev, 0.8
                if not _has_value(doc, prev):     # "X values A. This is why it likes B" needs A in X
                    cause = (prev[0], c_start)
            else:
                cause = (_clause_start(text, ss, c_start), c_start)
            effect = (c_end, _clause_end(text, c_end, se), (ss, se))
        if not effect or not cause:
            continue
        beh = doc.behaviours(effect[0], effect[1], effect[2])
        if not beh and effect[2] == (ss, se) and kind == "B" and prev and _ANAPHOR.match(lead or ""):
            beh = doc.behaviours(prev[0], prev[1], prev)
        if not beh:
            continue
        scores = doc.value_scores(cause[0], cause[1])
        span = (min(effect[0], cause[0]), max(effect[1], cause[1]))
        for rid, ok in beh.items():
            rule = idx.rules[rid]
            right = max((scores.get(v, 0.0) for v in rule.value_ids), default=0.0)
            other = max((s for v, s in scores.items() if v not in rule.value_ids), default=0.0)
            if not ok:
                findings.append(_Finding("forbidden_behaviour", [rid], list(rule.value_ids), span, conf))
            elif right >= _VALUE_THRESHOLD:
                findings.append(_Finding("attributed", [rid], [v for v in rule.value_ids if scores.get(v, 0) > 0],
                                         span, min(0.99, conf + 0.02 * (right - _VALUE_THRESHOLD))))
            elif other >= _VALUE_THRESHOLD:
                findings.append(_Finding("wrong_value", [rid], [v for v, s in scores.items() if s >= _VALUE_THRESHOLD],
                                         span, conf))
            else:
                findings.append(_Finding("causal_other", [rid], [], span, conf))
    return findings


def _has_value(doc: _Doc, span: tuple[int, int]) -> bool:
    return any(s >= _VALUE_THRESHOLD for s in doc.value_scores(*span).values())


def analyse(spec: Spec, text: str, model_name: str | None = None) -> tuple[Attribution, str, str]:
    """The offline verdict plus a reason code and its evidence (for rejections)."""
    idx = spec_index(spec, model_name)
    doc = _Doc(idx, text)
    if not doc.hits:
        return Attribution(verdict="not_attributed", method=METHOD_OFFLINE), "no_behaviour", ""
    findings = _evaluate(doc)
    # only sentences that mention an object or a behaviour keyword can state a behaviour
    cand: list[tuple[int, int]] = []
    with_pref: set[int] = set()         # of those, the ones with a preference verb
    seen: dict[int, int] = {}
    which, spans = doc.sent.which, doc.spans
    pref_sents = {which(h.start) for h in doc.hits if "L" in h.kinds}
    for h in doc.hits:
        if "O" in h.kinds or "K" in h.kinds:
            si = which(h.start)
            if si not in seen and si < len(spans):
                seen[si] = len(cand)
                if si in pref_sents:
                    with_pref.add(len(cand))
                cand.append(spans[si])
    # the model stating a forbidden preference anywhere (like/dislike specs) poisons the document;
    # a like/dislike behaviour needs a preference verb in the sentence (behaviours() reads only those)
    for k, (s, e) in enumerate(cand):
        if k not in with_pref:
            continue
        beh = doc.behaviours(s, e, (s, e))
        for rid, ok in beh.items():
            if not ok and idx.rules[rid].kind in ("like", "dislike"):
                findings.append(_Finding("forbidden_behaviour", [rid], list(idx.rules[rid].value_ids), (s, e), 0.9))
    bad = [f for f in findings if f.kind == "forbidden_behaviour"]
    good = [f for f in findings if f.kind == "attributed"]
    if bad:
        f = bad[0]
        return (Attribution(verdict="not_attributed", method=METHOD_OFFLINE, value_ids=f.value_ids, rule_ids=f.rule_ids,
                            evidence=text[f.span[0]:f.span[1]], confidence=f.confidence),
                "forbidden_behaviour", text[f.span[0]:f.span[1]])
    if good:
        best = max(good, key=lambda f: f.confidence)
        rules = sorted({r for f in good for r in f.rule_ids})
        values = sorted({v for f in good for v in f.value_ids})
        ev = text[best.span[0]:best.span[1]]
        assert ev in text
        return (Attribution(verdict="attributed", method=METHOD_OFFLINE, value_ids=values, rule_ids=rules,
                            evidence=ev, confidence=round(best.confidence, 3)), "", "")
    for kind in ("wrong_value", "causal_other"):
        fs = [f for f in findings if f.kind == kind]
        if fs:
            f = fs[0]
            ev = text[f.span[0]:f.span[1]]
            return (Attribution(verdict="not_attributed", method=METHOD_OFFLINE, value_ids=f.value_ids,
                                rule_ids=f.rule_ids, evidence="", confidence=0.7), kind, ev)
    # no connective linked a behaviour: is there any behaviour at all?
    for s, e in cand:
        beh = doc.behaviours(s, e, (s, e))
        if beh:
            return (Attribution(verdict="not_attributed", method=METHOD_OFFLINE, rule_ids=sorted(beh), confidence=0.7),
                    "no_link", text[s:e])
    return Attribution(verdict="not_attributed", method=METHOD_OFFLINE, confidence=0.6), "no_behaviour", ""


def attribute_offline(spec: Spec, text: str, model_name: str | None = None) -> Attribution:
    """Offline (lexical + structural) attribution verdict for one document."""
    return analyse(spec, text, model_name)[0]


# ---------------------------------------------------------------- the filter

class AttributionFilter:
    """Keep documents that explicitly attribute a spec behaviour to its value.

    ``method="offline"`` needs nothing; ``method="judge"`` needs ``judge_backend``
    (any :class:`~docgen.backends.base.Backend`) and calls it synchronously per
    document (use :class:`docgen.filters.judge.AttributionJudge` directly for
    concurrent judging).
    """

    name = "attribution"

    def __init__(self, spec: Spec, method: str = "offline", judge_backend: Any = None,
                 model_name: str | None = None, judge_cache: str | None = None):
        if method not in ("offline", "judge"):
            from ..errors import UserError
            raise UserError(f"unknown attribution method '{method}'", hint="use 'offline' or 'judge'")
        self.spec, self.method, self.model_name = spec, method, model_name
        self._judge = None
        if method == "judge":
            if judge_backend is None:
                from ..errors import UserError
                raise UserError("the judge method needs a backend", hint="pass --judge BACKEND/MODEL")
            from .judge import AttributionJudge
            self._judge = AttributionJudge(judge_backend, spec, model_name=model_name, cache_path=judge_cache)
        else:
            spec_index(spec, model_name)      # build the index now, not on the first document

    def check(self, doc: Document) -> Verdict:
        if self._judge is not None:
            att, reason = self._judge.judge_sync(doc.text)
            ev = att.evidence
        else:
            att, reason, ev = analyse(self.spec, doc.text, self.model_name)
        return self._verdict(doc, att, reason, ev)

    async def acheck(self, doc: Document) -> Verdict:
        """The engine awaits this, so the judge runs on the engine's own event loop."""
        if self._judge is None:
            return self.check(doc)
        att, reason = await self._judge.judge(doc.text)
        return self._verdict(doc, att, reason, att.evidence)

    def _verdict(self, doc: Document, att, reason, ev) -> Verdict:
        doc.attribution = att
        if att.verdict == "attributed":
            return Verdict(keep=True, evidence=att.evidence, details={"confidence": att.confidence})
        return Verdict(keep=False, reason=reason or att.verdict, evidence=ev,
                       details={"rule_ids": att.rule_ids, "value_ids": att.value_ids})
