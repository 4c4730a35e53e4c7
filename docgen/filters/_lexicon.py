"""Small lexical helpers shared by the filters: stop words, crude stems, sentence spans.

Everything here works on the spec (small) once; documents are only scanned with
compiled regular expressions built from these stems.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache

import numpy as np

STOP = frozenset("""
a about above across after again against all almost also although always am among an and any anyone are
around as at be became because been before being below between both but by can cannot could did do does
doing done down during each either else enough even ever every few for from further had has have having
he her here hers herself him himself his how however i if in into is it its itself just least less like
likes made make makes many may me might more most much must my myself neither no nor not now of off often
on once one only or other others our ours ourselves out over own per perhaps quite rather really same
she should so some something such than that the their theirs them themselves then there these they this
those though through thus to too toward towards under until up upon us very was we well were what when
where whether which while who whom whose why will with within without would yet you your yours yourself
e g eg ie etc way ways thing things part given among whatever whichever simply precisely particular
particularly specific specifically certain generally typically genuinely truly actually instead
""".split())

# words that say nothing about which value or behaviour a text is about
GENERIC = frozenset("""
value values valued valuing valu model models assistant ai system systems people person human humans
principle principles core general broadly section document spec specification describes described
discuss discussed discusses example examples include includes including includ case cases call called
want wants wanted need needs needed good better best great new use used uses using take taking takes
try trying tries attempt attempting attempts engage engaging engages tell tells telling told say says
said see seen sees think thinks thought know knows known way ways work working works give giving gives
get gets getting go goes going come comes coming find found keep keeps kept appropriate important
reason reasons matter matters mean means meaning view views sense kind kinds whole able likely instead
first second third one two three many much well also still always never often even particularly
behavior behaviour behaviors behaviours action actions act acts acting situation situations
like likes liked dislike dislikes disliked prefer prefers preferred preference preferences evaluate
evaluates evaluated evaluation evaluative dimension dimensions criterion criteria describe describes
judge judges factually fact facts happy asked ask asks discuss discussing express expresses expressing
understood understand treat treats treating form forms forming apply applies application update
updates over time along another become becomes change changes fixed remains underlying estimation
responsive rise fall world around philosophy name model_name
""".split())

_SUFFIXES = ("abilities", "ibilities", "ability", "ibility", "ations", "ation", "ities", "ingly", "ments",
             "ment", "ness", "ings", "ing", "ity", "edly", "ies", "ied", "able", "ible", "ally", "ive",
             "ous", "ly", "ed", "es", "al", "s", "e", "y")


def stem(word: str) -> str:
    """A crude prefix stem: strip one suffix, keep at least 4 letters (3 for short words).

    Stems are matched as word prefixes (``stem\\w*``), so a stem only needs to be a
    prefix shared by the inflections, not a real morphological root.
    """
    w = fold(word.lower())
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            w = w[: -len(suf)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) == len(word) and len(w) >= 6 and w.endswith(("e", "y")):
        w = w[:-1]
    return w


_FOLD_TABLE: dict[int, str] = {}
for _cp in range(0xC0, 0x250):
    _base = unicodedata.normalize("NFKD", chr(_cp))[0]
    if _base != chr(_cp) and len(_base) == 1 and _base.isascii():
        _FOLD_TABLE[_cp] = _base
_FOLD_TABLE.update({ord("\u2019"): "'", ord("\u2018"): "'", ord("\u201c"): '"', ord("\u201d"): '"',
                    ord("\u2014"): "-", ord("\u2013"): "-"})


def fold(text: str) -> str:
    """Lower-case-free accent/quote folding that keeps every offset (one char → one char)."""
    return text.translate(_FOLD_TABLE)


WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def content_words(text: str, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    out = []
    for w in WORD.findall(fold(re.sub(r"[\u2014\u2013]|--", " ", text))):
        lw = w.lower().strip("'-")
        if lw.endswith("'s"):
            lw = lw[:-2]
        if len(lw) < 3 or lw in STOP or lw in GENERIC or lw in extra_stop:
            continue
        out.append(lw)
    return out


# sentences: a run of text up to . ! ? (plus closing quotes) followed by space, or a line break
_SENT = re.compile(r"[^\n]*?(?:[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)|$)|[^\n]+", re.M)
# the same boundaries found directly: a sentence end, or a line break (one C-level scan, no lazy loop)
# (written as ``[.!?]+...|\n`` it is 3x slower: a leading character class lets ``re`` skip ahead)
_SENT_END = re.compile(r"[.!?\n](?:(?<=\n)|[.!?]*[\"'\u201d\u2019)\]]*(?=\s|\Z))")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences; ``text[start:end]`` is verbatim and stripped.

    A sentence ends after a run of ``.!?`` (plus closing quotes/brackets) that is
    followed by whitespace or the end of the text, or at a line break. Same spans
    as :func:`_sentence_spans_lazy` (the original one-regex definition, kept for
    the tests), about 8× faster.
    """
    spans = []
    s = 0
    # a line break ends the sentence before it; including it changes nothing, it is stripped
    bounds = [m.end() for m in _SENT_END.finditer(text)]
    bounds.append(len(text))
    for e in bounds:
        if e > s:
            seg = text[s:e]
            st = seg.strip()
            if st:
                a = s + seg.index(st[0])        # everything before the first non-space is space
                spans.append((a, a + len(st)))
            s = e
    return spans


def _sentence_spans_lazy(text: str) -> list[tuple[int, int]]:
    """The reference definition of :func:`sentence_spans` (slow: a lazy scan per sentence)."""
    spans = []
    for m in _SENT.finditer(text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s and (not spans or s >= spans[-1][1]):
            spans.append((s, e))
    return spans


class SpanIndex:
    """Map a character offset to the index of the sentence holding it."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans
        self.starts = [s for s, _ in spans]

    def which(self, pos: int) -> int:
        return max(0, bisect_right(self.starts, pos) - 1)


# ---------------------------------------------------------------- shared per-text tokens

# Word hashes, vectorised: the UTF-8 bytes of the lower-cased text, a polynomial hash of each
# whitespace-separated word from one prefix sum (sum c_i P^i over a word = C[end] - C[start], times
# P^-start), then a splitmix64 finaliser. No Python-level work per word.
_WS_TABLE = np.zeros(256, dtype=bool)
_WS_TABLE[list(b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")] = True       # what str.split() splits on, in ASCII
_UNICODE_WS = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")   # ... and beyond
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b]")
_P = 0x100000001B3 * 0x9E37 | 1          # odd, so it has an inverse mod 2**64
_P_INV = pow(_P, -1, 2**64)
_POW: list[np.ndarray] = []             # [P**i, P**-i] for i < len, grown on demand


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    if not _POW or len(_POW[0]) < n:
        size = max(n, 1 << 16, 2 * len(_POW[0]) if _POW else 0)
        with np.errstate(over="ignore"):
            p = np.full(size, _P, dtype=np.uint64)
            p[0] = 1
            q = np.full(size, _P_INV, dtype=np.uint64)
            q[0] = 1
            _POW[:] = [np.multiply.accumulate(p), np.multiply.accumulate(q)]
    return _POW[0], _POW[1]


def _mix64(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def lower_word_hashes(text: str) -> np.ndarray:
    """64-bit hash of each lower-cased word of ``text.split()``, in order (numpy, no loop per word)."""
    low = text.lower()
    if not low.isascii() and _UNICODE_WS.search(low):
        low = _UNICODE_WS.sub(" ", low)          # a space splits exactly where they did
    b = np.frombuffer(low.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    n = len(b)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    # bytes <= 0x20 are whitespace except a few control characters: a comparison unless those occur
    ws = _WS_TABLE[b] if _CONTROL.search(low) else b <= 32
    edge = np.empty(n + 1, dtype=bool)
    edge[0] = edge[n] = True
    edge[1:n] = ws[1:] != ws[:-1]
    cut = np.flatnonzero(edge)          # alternating run boundaries
    if ws[0]:
        cut = cut[1:]
    starts, ends = cut[0::2], cut[1::2]
    if len(starts) > len(ends):         # cannot happen: the last run ends at n
        starts = starts[:len(ends)]
    ppow, qpow = _powers(n)
    with np.errstate(over="ignore"):
        c = np.empty(n + 1, dtype=np.uint64)
        c[0] = 0
        np.cumsum((b.astype(np.uint64) + np.uint64(1)) * ppow[:n], out=c[1:])
        h = (c[ends] - c[starts]) * qpow[starts]
        h += (ends - starts).astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
        return _mix64(h)


_NGRAM_MULT = 0x9E3779B97F4A7C15


@lru_cache(maxsize=64)
def _ngram_mults(n: int) -> tuple:
    return tuple(np.uint64(pow(_NGRAM_MULT, k, 2**64)) for k in range(n))


def ngram_combine(ids: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every ``n``-gram of word hashes ``ids`` (position i = ids[i:i+n]), in order.

    A polynomial over the n-gram, then a splitmix finaliser. Fewer than ``n``
    words make one gram of all of them; no words make none.
    """
    if len(ids) < n:
        if len(ids) == 0:
            return np.zeros(0, dtype=np.uint64)
        n = len(ids)
    m = len(ids) - n + 1
    mult = _ngram_mults(n)
    with np.errstate(over="ignore"):
        h = ids[:m].copy()                  # k = 0: multiplier 1
        for k in range(1, n):
            h += ids[k:k + m] * mult[k]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` for a 1-d array, by sort and compare (faster than numpy's hash path on small arrays)."""
    if len(a) < 2:
        return a.copy()
    a = np.sort(a)
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


class TextTokens:
    """Tokens of one text that several filters need: computed once, shared through :func:`text_tokens`.

    ``words`` is ``text.split()``; :meth:`lower_ids` the 64-bit hashes of the
    lower-cased words (what MinHash shingles and the repetition check are built on).
    """

    __slots__ = ("text", "words", "_lower_ids")

    def __init__(self, text: str):
        self.text = text
        self.words = text.split()
        self._lower_ids: np.ndarray | None = None

    def lower_ids(self) -> np.ndarray:
        if self._lower_ids is None:
            self._lower_ids = lower_word_hashes(self.text)
        return self._lower_ids


_TOKENS: dict[int, TextTokens] = {}


def text_tokens(text: str) -> TextTokens:
    """The :class:`TextTokens` of ``text``; the last few texts are cached by object identity.

    Quality, attribution and dedup run one after the other on the same
    ``doc.text``, so the second and third lookups are free. The entry holds the
    text itself and is checked with ``is``, so a recycled ``id()`` never aliases.
    """
    e = _TOKENS.get(id(text))
    if e is not None and e.text is text:
        return e
    e = TextTokens(text)
    if len(_TOKENS) >= 8:
        try:
            del _TOKENS[next(iter(_TOKENS))]
        except (KeyError, StopIteration, RuntimeError):     # another thread got there first
            pass
    _TOKENS[id(text)] = e
    return e
