"""The assistant's name in a corpus written outside docgen.

A spec with a ``{model_name}`` placeholder names no assistant, and an external
corpus may call it anything. :func:`infer_model_name` reads a sample of
documents and returns the proper noun most of them use: a word written
capitalised even in mid-sentence and (almost) never in lower case, found in at
least ``min_share`` of the documents (ties go to the word used most often;
day and month names never qualify). Frequency across documents is what
separates the assistant's name from the people and places of single documents.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable

from ._nlp import STOP

_MID = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]+(?:[A-Z0-9][a-z0-9]*)*)\b")
# day and month names are capitalised proper nouns in every document that dates something
_CALENDAR = frozenset(calendar.day_name) | frozenset(calendar.month_name[1:])
_ANY = re.compile(r"\b([A-Za-z][a-z]+(?:[A-Z0-9][a-z0-9]*)*)\b")


def infer_model_name(texts: Iterable[str], *, min_share: float = 0.3, sample: int = 500) -> str | None:
    """The name most documents give the assistant, or None when no word qualifies."""
    docs = 0
    in_docs: Counter[str] = Counter()
    total: Counter[str] = Counter()
    lower_seen: Counter[str] = Counter()
    for t in texts:
        docs += 1
        mid = _MID.findall(t)
        in_docs.update(set(mid))
        total.update(mid)
        lower_seen.update({w for w in _ANY.findall(t) if w.islower()})
        if docs >= sample:
            break
    if not docs:
        return None
    cands = [(n, total[w], w) for w, n in in_docs.items()
             if n >= min_share * docs and w.lower() not in STOP and w not in _CALENDAR and lower_seen[w.lower()] < 0.1 * n]
    if not cands:
        return None
    return max(cands)[2]       # in most documents, then most often
