"""Filters over documents: quality, explicit attribution, near-duplicates, decontamination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .attribution import AttributionFilter, attribute_offline
from .base import Filter, FilterChain, Verdict
from .decontam import DecontamFilter
from .dedup import DedupFilter, MinHasher, dedup_corpus
from .quality import OpenerStats, QualityFilter

__all__ = [
    "AttributionFilter", "DecontamFilter", "DedupFilter", "Filter", "FilterChain", "MinHasher", "OpenerStats",
    "QualityFilter", "Verdict", "attribute_offline", "build_filter_chain", "dedup_corpus",
]


def build_filter_chain(spec: Any, *, model_name: str | None = None,
                       length_ranges: dict[str, tuple[int, int]] | None = None,
                       eval_dir: str | Path | None = None, judge_backend: Any = None, dedup: bool = True,
                       attribution: str = "offline", judge_all: bool = False) -> FilterChain:
    """The standard chain: quality → decontam (with ``eval_dir``) → attribution → dedup.

    ``attribution`` is ``"offline"``, ``"learned"`` (the fine-tuned encoder decides,
    :mod:`docgen.filters.learned`), ``"learned-strict"`` (precision first), ``"judge"`` (every document to the judge;
    needs ``judge_backend``) or ``"none"``. With ``judge_backend`` and
    ``attribution="offline"``, the offline check's ``uncertain`` verdicts go to
    the judge, and so do the rejected documents the router
    (:mod:`docgen.filters.attribution_router`) finds likely explicit (every
    verdict with ``judge_all``). With ``judge_backend`` and a learned method, the documents the encoder is
    unsure of (:data:`docgen.filters.learned.JUDGE_BAND`) go to the judge.
    """
    filters: list[Any] = [QualityFilter(spec, model_name=model_name, length_ranges=length_ranges)]
    if eval_dir is not None:
        filters.append(DecontamFilter(eval_dir))
    if attribution not in ("none", "off") and spec is not None:
        method = "judge" if (attribution == "judge" or judge_all) else attribution
        filters.append(AttributionFilter(spec, method=method, judge_backend=judge_backend, model_name=model_name))
    if dedup:
        filters.append(DedupFilter())
    return FilterChain(filters)
