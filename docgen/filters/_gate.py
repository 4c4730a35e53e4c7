"""Try a big alternation of word-initial patterns only where its first letters fit.

The attribution check's cues (connectives, preference verbs, a spec's like/dislike objects) are
alternations of dozens of patterns that can only start at a word. ``re`` tries every alternative at
every position; :class:`WordGate` tries, at a word, only the alternatives whose first letters can be
that word's *head* (its first :data:`HEAD` ASCII letters, or the whole word if shorter), as one
smaller alternation compiled once per set of alternatives. The result is the same match as the whole
alternation's: the alternatives left out cannot match there, and the ones kept are tried in their
original order under the same wrapper (so an alternative may name its groups, but must not refer to
another's by number).

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
HEAD = 8                              # letters of a word its head keeps
_NL = " "                             # any character that ends a run of ASCII letters
_ZERO_WIDTH = {_K.AT, _K.ASSERT, _K.ASSERT_NOT}
_REPEATS = {_K.MAX_REPEAT, _K.MIN_REPEAT} | ({_K.POSSESSIVE_REPEAT} if hasattr(_K, "POSSESSIVE_REPEAT") else set())
_ATOMIC = getattr(_K, "ATOMIC_GROUP", None)


def heads_of(sources) -> frozenset:
    """First three letters of every literal word of the regex sources (a superset of where they can start)."""
    return frozenset(w.lower()[:3] for src in sources for w in re.findall(r"[A-Za-z]+", src))


def word_starts(text: str) -> list[tuple[int, str, bool]]:
    """``(offset, head, odd)`` of every word start of ``text`` (``WORD_START``): the head is the first
    :data:`HEAD` letters, lower-cased; ``odd`` when the letters stop short of that at a non-ASCII character."""
    out = []
    for m in WORD_START.finditer(text):
        s, e = m.span()
        out.append((s, m.group()[:HEAD].lower(), e - s < HEAD and e < len(text) and ord(text[e]) > 127))
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


def _walk(items, grow: set[str], out: set[tuple[str, str]], n: int) -> set[str]:
    """Extend the head prefixes ``grow`` through the parsed ``items``; finished ones go to ``out`` as
    ``("eq", head)`` (the head is exactly this) or ``("open", prefix)`` (the head starts with this);
    ``n`` is the length of a head."""
    for op, av in items:
        if not grow:
            break
        if op is _K.AT and av is _K.AT_BOUNDARY:
            # after a letter, a word boundary means no letter follows: those heads are complete
            out.update(("eq", s) for s in grow if s)
            grow = {s for s in grow if not s}
            continue
        if op in _ZERO_WIDTH:
            continue
        if op is _K.SUBPATTERN:
            grow = _walk(av[-1], grow, out, n)
        elif op is _ATOMIC:
            grow = _walk(av, grow, out, n)
        elif op is _K.BRANCH:
            grow = set().union(*(_walk(b, grow, out, n) for b in av[1]))
        elif op in _REPEATS:
            lo, hi, sub = av
            if lo > n + 4:
                out.update(("open", s) for s in grow)
                return set()
            res, cur, k = set(), set(grow), 0
            while cur:
                if k >= lo:
                    res |= cur
                if k == hi or k >= lo + n:        # n more repetitions fill any head (or add nothing)
                    break
                cur = _walk(sub, cur, out, n)
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
                    elif len(s) == n - 1:
                        out.add(("eq", s + c))
                    else:
                        new.add(s + c)
            grow = new
        if len(grow) > 4096:                      # too many to spell out: leave them open
            out.update(("open", s) for s in grow)
            return set()
    return grow


def head_constraints(src: str, flags: int = re.I, n: int = HEAD) -> frozenset[tuple[str, str]]:
    """The heads (first ``n`` letters) a word-initial pattern can start with (see :func:`_walk`);
    ``{("open", "")}`` when the pattern cannot be read."""
    out: set[tuple[str, str]] = set()
    try:
        rest = _walk(list(_P.parse(src, flags)), {""}, out, n)
    except Exception:                     # noqa: BLE001 - an unreadable pattern is simply tried everywhere
        return frozenset({("open", "")})
    out.update(("open", s) for s in rest)
    return frozenset(out)


class WordGate:
    """``re.compile(prefix + "(?:" + "|".join(alts) + ")" + suffix, flags)``, tried at a word with
    only the alternatives that can start with its head. ``prefix`` must be zero-width (``\\b``); ``loose`` is
    the old gate's three-letter heads (default :func:`heads_of` the alternatives), used at odd words."""

    def __init__(self, alts: list[str], prefix: str = r"\b", suffix: str = "", flags: int = re.I,
                 loose: frozenset | None = None):
        self.alts, self.prefix, self.suffix, self.flags = list(alts), prefix, suffix, flags
        self.regex = re.compile(prefix + "(?:" + "|".join(self.alts) + ")" + suffix, flags)
        self.loose = heads_of(self.alts) if loose is None else loose
        # constraints by their first three letters (shorter ones are checked at every head)
        self._by3: dict[str, list[tuple[int, str, str]]] = {}
        self._short: list[tuple[int, str, str]] = []
        for i, a in enumerate(self.alts):
            for kind, s in sorted(head_constraints("(?:" + a + ")" + suffix, flags)):
                (self._by3.setdefault(s[:3], []) if len(s) >= 3 else self._short).append((i, kind, s))
        self._by_head: dict[str, re.Pattern | None] = {}
        self._by_subset: dict[tuple[int, ...], re.Pattern] = {}

    def for_head(self, head: str, odd: bool = False) -> re.Pattern | None:
        """The alternation to try at a word with this head (``None``: nothing can start there)."""
        if odd:
            return self.regex if head[:3] in self.loose else None
        try:
            return self._by_head[head]
        except KeyError:
            pass
        subset = tuple(sorted({i for i, kind, s in self._by3.get(head[:3], []) + self._short
                               if (head == s if kind == "eq" else head.startswith(s))}))
        rx = None
        if len(subset) == len(self.alts):
            rx = self.regex
        elif subset:
            rx = self._by_subset.get(subset)
            if rx is None:
                rx = self._by_subset[subset] = re.compile(
                    self.prefix + "(?:" + "|".join(self.alts[i] for i in subset) + ")" + self.suffix, self.flags)
        if len(self._by_head) > 200_000:
            self._by_head.clear()
        self._by_head[head] = rx
        return rx

    def finditer(self, text: str, starts):
        """``self.regex.finditer(text)`` for matches that begin at one of ``starts`` (``(offset, head, odd)``
        in order, as :func:`word_starts` gives; starts no alternative fits may be left out)."""
        return finditer_at(text, [(s, rx) for s, h, odd in starts if (rx := self.for_head(h, odd)) is not None])


def finditer_at(text: str, starts):
    """The matches of ``rx.match(text, offset)`` for ``(offset, rx)`` in ``starts`` (in order), each tried
    only past the end of the last match (as ``finditer`` does)."""
    end = 0
    for s, rx in starts:
        if s < end:
            continue
        m = rx.match(text, s)
        if m:
            end = m.end()
            yield m
