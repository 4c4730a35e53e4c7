"""Small lexical helpers shared by the filters: case/accent folding, sentence spans, word hashes.

The attribution check's word keys (lemma + stem) and sentences live in :mod:`._nlp`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

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
