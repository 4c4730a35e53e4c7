"""Filters over documents: quality, explicit attribution, near-duplicates, decontamination."""

from .base import Filter, FilterChain, Verdict

__all__ = ["Filter", "FilterChain", "Verdict"]
