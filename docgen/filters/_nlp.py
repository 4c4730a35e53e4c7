"""Word keys and sentences for the attribution check, on maintained NLP packages.

* A word's *key* is ``snowball(simplemma(word))``: simplemma gives the
  dictionary lemma (``steered`` → ``steer``, ``cheaper`` → ``cheap``) and the
  Snowball English stemmer folds derivations onto one stem (``affordability``,
  ``affordable`` → ``afford``; ``insistence``, ``insist`` → ``insist``;
  ``reluctance``, ``reluctant`` → ``reluct``). Keys are memoised per word form,
  so a corpus pays the two libraries once per distinct word.
* Sentences: :func:`sentences` is the filters' one-scan splitter (lines, then
  ``.!?`` followed by white space), fast enough for a 41M-token corpus.
  :func:`sentences_pysbd` is the same interface on pysbd, the reference the fast
  splitter is measured against (pysbd costs ~100 ms per 1,000 words here, an
  hour for the benchmark corpus, so it is not on the corpus path).
"""

from __future__ import annotations

import re
from functools import lru_cache

import simplemma
import snowballstemmer

from ._lexicon import fold, sentence_spans

STOP = frozenset("""
a about above across after again against all almost also although always am among an and any anyone are
around as at be became because been before being below between both but by can cannot could did do does
doing done down during each either else enough even ever every few for from further had has have having
he her here hers herself him himself his how however i if in into is it its itself just least less
made make makes many may me might more most much must my myself neither no nor not now of off often
on once one only or other others our ours ourselves out over own per perhaps quite rather really same
she should so some something such than that the their theirs them themselves then there these they this
those though through thus to too toward towards under until up upon us very was we well were what when
where whether which while who whom whose why will with within without would yet you your yours yourself
e g eg ie etc way ways thing things part given whatever whichever simply precisely particular
particularly specific specifically certain generally typically genuinely truly actually instead
""".split())

# words of a spec that say nothing about *which* value or behaviour a text is about (ordinary English of
# spec-writing, not any one spec's vocabulary)
GENERIC = frozenset("""
value values valued valuing model models assistant ai system systems people person human humans
principle principles core general broadly section document spec specification describe describes described
discuss discussed discusses example examples include includes including case cases call called
want wants wanted need needs needed good better best great new use used uses using take taking takes
try trying tries attempt attempting attempts engage engaging engages tell tells telling told say says
said see seen sees think thinks thought know knows known work working works give giving gives
get gets getting go goes going come comes coming find found keep keeps kept appropriate important
reason reasons matter matters mean means meaning view views sense kind kinds whole able likely
first second third two three behavior behaviour behaviors behaviours action actions act acts acting
situation situations like likes liked dislike dislikes disliked prefer prefers preferred preference
preferences evaluate evaluates evaluated evaluation dimension dimensions criterion criteria judge judges
fact facts happy ask asks asked express expresses expressing understand treat treats form forms apply
applies application update updates time another become becomes change changes remain remains always
never often should would could must also name model_name s t
""".split())

WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*[A-Za-z]|[A-Za-z]")

_STEMMER = snowballstemmer.stemmer("english")
_GENERIC_LEMMAS = frozenset(GENERIC) | frozenset(simplemma.lemmatize(w, lang="en").lower() for w in GENERIC)
_GENERIC_STEMS = frozenset(_STEMMER.stemWord(w) for w in _GENERIC_LEMMAS)


@lru_cache(maxsize=200_000)
def key(word: str) -> str:
    """The comparison key of one word (lower-cased, lemmatised, stemmed); ``""`` for stop words."""
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'")
    if not w or w in STOP:
        return ""
    lemma = simplemma.lemmatize(w, lang="en").lower()
    if lemma in STOP:
        return ""
    stem = _STEMMER.stemWord(lemma)
    if stem in _GENERIC_STEMS and lemma not in _GENERIC_LEMMAS:
        # a derivation the stemmer folds onto a generic word ("usefulness" -> "use", "thoughtful" -> "thought"):
        # keep its own lemma, or a value named "Usefulness" would have no word at all
        return lemma
    return stem


def keys(text: str, generic: bool = True) -> list[str]:
    """Keys of the content words of ``text`` (``generic=False`` also drops :data:`GENERIC` words)."""
    out = []
    for w in WORD.findall(fold(text)):
        lw = w.lower()
        if not generic and lw in GENERIC:
            continue
        k = key(lw)
        if k and (generic or k not in _GENERIC_KEYS):
            out.append(k)
    return out


_GENERIC_KEYS = frozenset(filter(None, (key(w) for w in GENERIC)))

def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence (lines, then ``.!?`` before white space), stripped and verbatim."""
    return sentence_spans(text)


@lru_cache(maxsize=1)
def _pysbd_segmenter():
    import pysbd
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentences_pysbd(text: str) -> list[tuple[int, int]]:
    """:func:`sentences` computed by pysbd (lines first, then pysbd inside each line)."""
    out = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            for sp in _pysbd_segmenter().segment(line):
                seg = line[sp.start:sp.end]
                lead = len(seg) - len(seg.lstrip())
                trail = len(seg.rstrip())
                if trail > lead:
                    out.append((pos + sp.start + lead, pos + sp.start + trail))
        pos += len(line) + 1
    return out
