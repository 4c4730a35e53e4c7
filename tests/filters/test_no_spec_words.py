"""Nothing specific to a test spec lives in the text-judging code.

The word list is derived from the specs themselves (../shared/specs and
corpora/specs), never written here: names written capitalised in mid-sentence
that are not common English words (model and company names, cheese names...),
and rare words (Zipf frequency below 2.0 in wordfreq's English list). The code
that judges text — docgen/filters and the judge prompts in templates/judges —
must contain none of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _paths import REPO, SPECS

wordfreq = pytest.importorskip("wordfreq", reason="wordfreq is in the dev extra: pip install -e '.[dev]'")

# generic words of LLM output handling that a spec may happen to use as well (each with its reason)
ALLOWED = {
    "scratchpad": "the quality filter drops leaked <scratchpad> tags of any model's output",
    "spec": "the input format's own name (Model Spec)",
    "specification": "the input format's own name",
    "dislikes": "a rule kind of the spec format (like/dislike sections)",
    "markdown": "a spec file format docgen reads",
}


def _spec_files() -> list[Path]:
    files = sorted(p for p in SPECS.glob("*") if p.is_file())
    files += sorted((REPO / "corpora" / "specs").glob("*.md"))
    return files


def distinctive_words() -> set[str]:
    z = wordfreq.zipf_frequency
    words: set[str] = set()
    for p in _spec_files():
        text = p.read_text(encoding="utf-8")
        for m in re.finditer(r"(?<=[a-z,;] )([A-Z][a-z]{3,})\b", text):        # a name in mid-sentence
            w = m.group(1).lower()
            if z(w, "en") < 3.8:
                words.add(w)
        for w in re.findall(r"\b[a-z]{6,}\b", text):                          # a rare word
            if z(w, "en") < 2.0:
                words.add(w)
    return words - set(ALLOWED)


def _code_files() -> list[Path]:
    roots = [REPO / "docgen" / "filters", REPO / "templates" / "judges"]
    return [f for r in roots for f in sorted(r.rglob("*")) if f.is_file() and f.suffix in (".py", ".j2", ".yaml", ".txt")]


def test_the_word_list_is_derived_and_not_empty():
    words = distinctive_words()
    # the specs name their assistants and objects: the derivation must find such names
    assert len(words) >= 50, sorted(words)


def test_no_spec_word_in_the_judging_code():
    words = distinctive_words()
    rx = re.compile(r"\b(?:%s)\b" % "|".join(sorted(map(re.escape, words))), re.I)
    found = {}
    for f in _code_files():
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for m in rx.finditer(line):
                found.setdefault(f"{f.relative_to(REPO)}:{i}", []).append(m.group())
    assert not found, f"spec-specific words in the code: {found}"
