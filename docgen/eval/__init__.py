"""Evaluations: agentic misalignment (an inspect_ai task) and forced-choice preferences.

    docgen eval misalignment --backend local --model smollm2-135m --scenarios DIR [--grader B/M]
    docgen eval preferences corpora/eval/preferences/america_items.jsonl --backend transformers --model M

Modules: :mod:`.scenarios` (scenario files -> conditions), :mod:`.scorers` (rule checks +
grader), :mod:`.misalignment` (the inspect task and report), :mod:`.preferences`,
:mod:`.models` (docgen backends as an inspect model API; log-prob scoring), :mod:`.stats`.
Importing this package needs no optional dependency; inspect_ai, torch and transformers
load only when an eval runs (``pip install 'docgen[eval]'``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_eval_dir"]


def default_eval_dir() -> str | None:
    """The eval files a generated corpus is decontaminated against by default.

    ``$DOCGEN_EVAL_DIR`` if set (empty: none), else the project's ``corpora/eval`` (the
    preference item sets and the example scenarios) when docgen runs from a checkout.
    """
    env = os.environ.get("DOCGEN_EVAL_DIR")
    if env is not None:
        return env or None
    d = Path(__file__).resolve().parents[2] / "corpora" / "eval"
    return str(d) if d.is_dir() else None
