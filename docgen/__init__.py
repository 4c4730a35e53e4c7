"""docgen: turn a Model Spec into a filtered corpus of synthetic documents for MSM."""

from .corpus import Attribution, Document, iter_documents
from .errors import ConfigError, DocgenError, GenerationError, MissingExtra, SpecError, UserError
from .spec import Rule, Spec, Value, parse_spec

__version__ = "0.1.0"


def load_corpus(corpus, split: str = "train"):
    """Load a docgen corpus as a ``datasets.Dataset`` (needs the ``hub`` extra); see :mod:`docgen.hub`."""
    from .hub import load_corpus as _load_corpus

    return _load_corpus(corpus, split=split)


__all__ = [
    "Attribution", "ConfigError", "DocgenError", "Document", "GenerationError", "MissingExtra",
    "Rule", "Spec", "SpecError", "UserError", "Value", "iter_documents", "load_corpus", "parse_spec", "__version__",
]
