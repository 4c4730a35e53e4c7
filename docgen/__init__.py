"""docgen: turn a Model Spec into a filtered corpus of synthetic documents for Model Spec Midtraining.

The whole path from Python (the ``docgen`` command is a thin layer over these)::

    >>> import docgen
    >>> spec = docgen.parse_spec("corpora/examples/wren_spec.md")         # doctest: +SKIP
    >>> len(spec.rules), spec.rules[0].id                                 # doctest: +SKIP
    (5, 'W1')
    >>> docgen.plan(spec, docs=10).cells()                                # doctest: +SKIP
    >>> run = docgen.generate(spec, "runs/wren", docs=6, progress=False)  # doctest: +SKIP
    >>> docgen.validate("runs/wren").ok                                   # doctest: +SKIP
    >>> docgen.filter_corpus("runs/wren", "runs/wren-refiltered", spec=spec.source)  # doctest: +SKIP
    >>> [d.genre for d in docgen.iter_documents("runs/wren")]             # doctest: +SKIP

Functions: :func:`parse_spec`, :func:`plan`, :func:`generate`, :func:`validate`,
:func:`filter_corpus`, :func:`load_corpus` (a ``datasets.Dataset``; the ``hub``
extra) and :func:`iter_documents` (Document records, no extra needed).

Records: :class:`Spec` (:class:`Value`, :class:`Rule`), :class:`Plan`
(:class:`PlanItem`), :class:`RunResult`, :class:`Validation` (:class:`Thresholds`),
:class:`Document` (:class:`Attribution`).

Errors (see :mod:`docgen.errors`)::

    DocgenError
    ├── UserError            bad input the caller can fix (message, where, hint)
    │   ├── SpecError
    │   ├── ConfigError
    │   └── MissingExtra     an optional dependency is missing (hint: the pip line)
    └── GenerationError
"""

from .corpus import Attribution, Document, iter_documents
from .errors import ConfigError, DocgenError, GenerationError, MissingExtra, SpecError, UserError
from .plan import Plan, PlanItem
from .spec import Rule, Spec, Value, parse_spec

# last: importing the submodule docgen.plan binds the name `plan` to it; the function replaces it
from ._api import filter_corpus, generate, load_corpus, plan, validate  # noqa: E402

__version__ = "0.1.0"

# records whose modules import the engine and the filters load on first use, so that
# `import docgen` (and every `docgen` command) stays quick
_LAZY = {"RunResult": "engine", "Thresholds": "coverage", "Validation": "coverage"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'docgen' has no attribute {name!r}")

__all__ = [
    # functions
    "parse_spec", "plan", "generate", "validate", "filter_corpus", "load_corpus", "iter_documents",
    # records
    "Spec", "Value", "Rule", "Plan", "PlanItem", "RunResult", "Validation", "Thresholds", "Document", "Attribution",
    # errors
    "DocgenError", "UserError", "SpecError", "ConfigError", "MissingExtra", "GenerationError",
    "__version__",
]
