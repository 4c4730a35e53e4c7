"""Try a big alternation of word-initial patterns only where its first letters fit.

The attribution check's cues (connectives, preference verbs, a spec's like/dislike objects) are
alternations of dozens of patterns that can only start at a word. ``re`` tries every alternative at
every position; :class:`WordGate` tries, at a word, only the alternatives whose first letters can be
that word's *head* (the first three ASCII letters of the word, or the whole word if shorter), as one
smaller alternation compiled once per head. The result is the same match as the whole alternation's:
the alternatives left out cannot match there, and the ones kept are tried in their original order
under the same wrapper.

Which heads an alternative can start with is read from the pattern itself (``re``'s own parser):
literals and small classes are expanded, anything wider (``\\w``, ``.``, a negated class) leaves the
head open. Where a word's first letters run into a non-ASCII character (which ``re.IGNORECASE`` may
match to an ASCII letter, as ``\\u212a`` to ``k``), the word is tried the old way (:func:`heads_of`
then the whole alternation), so no match is ever lost.
"""

from __future__ import annotations

import re

try:
    from re import _constants as _K, _parser as _P
except ImportError:                   # pragma: no cover - Python < 3.11
    import sre_constants as _K        # type: ignore[no-redef]
    import sre_parse as _P            # type: ignore[no-redef]

WORD_START = re.compile(r"\b[A-Za-z]+")
_NL = " "                             # any character that ends a run of ASCII letters
_ZERO_WIDTH = {_K.AT, _K.ASSERT, _K.ASSERT_NOT}
_REPEATS = {_K.MAX_REPEAT, _K.MIN_REPEAT} | ({_K.POSSESSIVE_REPEAT} if hasattr(_K, "POSSESSIVE_REPEAT") else set())
_ATOMIC = getattr(_K, "ATOMIC_GROUP", None)


def heads_of(sources) -> frozenset:
    """First three letters of every literal word of the regex sources (a superset of where they can start)."""
    return frozenset(w.lower()[:3] for src in sources for w in re.findall(r"[A-Za-z]+", src))


def word_starts(text: str) -> list[tuple[int, str, bool]]:
    """``(offset, head, odd)`` of every word start of ``text`` (``WORD_START``): the head is the first
    three letters, lower-cased; ``odd`` when the letters stop short of three at a non-ASCII character."""
    out = []
    for m in WORD_START.finditer(text):
        s, e = m.span()
        out.append((s, m.group()[:3].lower(), e - s < 3 and e < len(text) and ord(text[e]) > 127))
    return out


def _chars(op, av) -> set[str] | None:
    """What one character of the pattern can be, as a head sees it: lower-case ASCII letters and
    :data:`_NL`; ``None`` for "anything, letters included"."""
    if op is _K.LITERAL:
        c = chr(av)
        if not c.isascii():
            return None                       # may match an ASCII letter under IGNORECASE
        return {c.lower() if c.isalpha() else _NL}
    if op is _K.IN:
        out: set[str] = set()
        for iop, iav in av:
            if iop is _K.LITERAL:
                got = _chars(iop, iav)
                if got is None:
                    return None
                out |= got
            elif iop is _K.RANGE and iav[1] - iav[0] <= 64:
                for c in range(iav[0], iav[1] + 1):
                    got = _chars(_K.LITERAL, c)
                    if got is None:
                        return None
                    out |= got
            elif iop is _K.CATEGORY and iav in (_K.CATEGORY_DIGIT, _K.CATEGORY_SPACE):
                out.add(_NL)
            else:
                return None
        return out
    return None


def _walk(items, grow: set[str], out: set[tuple[str, str]]) -> set[str]:
    """Extend the head prefixes ``grow`` through the parsed ``items``; finished ones go to ``out`` as
    ``("eq", head)`` (the head is exactly this) or ``("open", prefix)`` (the head starts with this)."""
    for op, av in items:
        if not grow:
            break
        if op in _ZERO_WIDTH:
            continue
        if op is _K.SUBPATTERN:
            grow = _walk(av[-1], grow, out)
        elif op is _ATOMIC:
            grow = _walk(av, grow, out)
        elif op is _K.BRANCH:
            grow = set().union(*(_walk(b, grow, out) for b in av[1]))
        elif op in _REPEATS:
            lo, hi, sub = av
            if lo > 8:
                out.update(("open", s) for s in grow)
                return set()
            res, cur, k = set(), set(grow), 0
            while cur:
                if k >= lo:
                    res |= cur
                if k == hi or k >= lo + 3:        # three more repetitions fill any head (or add nothing)
                    break
                cur = _walk(sub, cur, out)
                k += 1
            grow = res
        else:
            chars = _chars(op, av)
            if chars is None:
                out.update(("open", s) for s in grow)
                return set()
            new: set[str] = set()
            for s in grow:
                for c in chars:
                    if c == _NL:
                        if s:                     # a word never starts with a non-letter
                            out.add(("eq", s))
                    elif len(s) == 2:
                        out.add(("eq", s + c))
                    else:
                        new.add(s + c)
            grow = new
    return grow


def head_constraints(src: str, flags: int = re.I) -> frozenset[tuple[str, str]]:
    """The heads a word-initial pattern can start with (see :func:`_walk`); ``{("open", "")}`` when
    the pattern cannot be read."""
    out: set[tuple[str, str]] = set()
    try:
        rest = _walk(list(_P.parse(src, flags)), {""}, out)
    except Exception:                     # noqa: BLE001 - an unreadable pattern is simply tried everywhere
        return frozenset({("open", "")})
    out.update(("open", s) for s in rest)
    return frozenset(out)


def _fits(head: str, cons) -> bool:
    return any(head == s if kind == "eq" else head.startswith(s) for kind, s in cons)


class WordGate:
    """``re.compile(prefix + "(?:" + "|".join(alts) + ")" + suffix, flags)``, tried at a word with
    only the alternatives that can start with its head. ``prefix`` must be zero-width (``\\b``); ``loose`` is
    the old gate's heads (default :func:`heads_of` the alternatives), used at odd words."""

    def __init__(self, alts: list[str], prefix: str = r"\b", suffix: str = "", flags: int = re.I,
                 loose: frozenset | None = None):
        self.alts, self.prefix, self.suffix, self.flags = list(alts), prefix, suffix, flags
        self.regex = re.compile(prefix + "(?:" + "|".join(self.alts) + ")" + suffix, flags)
        self.loose = heads_of(self.alts) if loose is None else loose
        self._cons = [head_constraints(a, flags) for a in self.alts]
        self._by_head: dict[str, re.Pattern | None] = {}
        self._by_subset: dict[tuple[int, ...], re.Pattern] = {}

    def for_head(self, head: str, odd: bool = False) -> re.Pattern | None:
        """The alternation to try at a word with this head (``None``: nothing can start there)."""
        if odd:
            return self.regex if head in self.loose else None
        try:
            return self._by_head[head]
        except KeyError:
            pass
        subset = tuple(i for i, c in enumerate(self._cons) if _fits(head, c))
        rx = None
        if len(subset) == len(self.alts):
            rx = self.regex
        elif subset:
            rx = self._by_subset.get(subset)
            if rx is None:
                rx = self._by_subset[subset] = re.compile(
                    self.prefix + "(?:" + "|".join(self.alts[i] for i in subset) + ")" + self.suffix, self.flags)
        self._by_head[head] = rx
        return rx

    def accepts(self, head: str, odd: bool = False) -> bool:
        return self.for_head(head, odd) is not None

    def finditer(self, text: str, starts):
        """``self.regex.finditer(text)`` for matches that begin at one of ``starts`` (``(offset, head, odd)``
        in order, as :func:`word_starts` gives; starts no alternative fits may be left out)."""
        end = 0
        for s, h, odd in starts:
            if s < end:
                continue
            rx = self.for_head(h, odd)
            if rx is None:
                continue
            m = rx.match(text, s)
            if m:
                end = m.end()
                yield m
