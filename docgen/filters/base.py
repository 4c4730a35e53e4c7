"""The filter protocol and the step that counts what it keeps and drops.

A filter implements one method, ``check(doc) -> Verdict``; a filter that waits
on a model (the LLM judge) may also implement ``async acheck(doc)``, which the
engine awaits. Stateful filters (near-duplicates) update their state only for
documents they keep, and implement ``remember(doc)`` to be told of documents
kept by an earlier, interrupted run. A
:class:`FilterChain` runs filters in order, stops at the first drop, and counts
kept and dropped-by-reason per filter::

    chain = FilterChain([QualityFilter(spec, genres), AttributionFilter(spec), DedupFilter()])
    verdict = chain.check(doc)       # Verdict(keep=False, reason="too_short", filter="quality", ...)
    chain.stats()                    # {"quality": {"kept": 10, "dropped": {"too_short": 2}}, ...}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..corpus import Document


@dataclass
class Verdict:
    keep: bool
    reason: str = ""          # short machine-readable reason when dropped, e.g. "repetition_loop"
    evidence: str = ""        # the text that triggered the verdict (verbatim where possible)
    filter: str = ""
    details: dict[str, Any] = field(default_factory=dict)


class Filter(Protocol):
    name: str

    def check(self, doc: Document) -> Verdict: ...


class FilterChain:
    def __init__(self, filters: list[Filter]):
        self.filters = list(filters)
        self._kept: Counter[str] = Counter()
        self._dropped: dict[str, Counter[str]] = {f.name: Counter() for f in self.filters}

    def check(self, doc: Document) -> Verdict:
        for f in self.filters:
            v = self._count(f, f.check(doc))
            if not v.keep:
                return v
        return Verdict(keep=True)

    async def acheck(self, doc: Document) -> Verdict:
        """As :meth:`check`, awaiting filters that have an async ``acheck`` (the LLM judge)."""
        for f in self.filters:
            acheck = getattr(f, "acheck", None)
            v = self._count(f, await acheck(doc) if acheck is not None else f.check(doc))
            if not v.keep:
                return v
        return Verdict(keep=True)

    def _count(self, f: Filter, v: Verdict) -> Verdict:
        v.filter = v.filter or f.name
        if v.keep:
            self._kept[f.name] += 1
        else:
            self._dropped[f.name][v.reason or "dropped"] += 1
        return v

    def stats(self) -> dict[str, dict[str, Any]]:
        return {f.name: {"kept": self._kept[f.name], "dropped": dict(self._dropped[f.name])} for f in self.filters}

    def restore(self, stats: dict[str, dict[str, Any]]) -> None:
        """Continue counting from counts saved by an earlier (interrupted) run."""
        for name, s in stats.items():
            if name in self._dropped:
                self._kept[name] += s.get("kept", 0)
                self._dropped[name].update(s.get("dropped", {}))
