"""docgen: turn a Model Spec into a filtered corpus of synthetic documents for MSM."""

from .corpus import Attribution, Document, iter_documents
from .errors import ConfigError, DocgenError, GenerationError, MissingExtra, SpecError, UserError
from .spec import Rule, Spec, Value, parse_spec

__version__ = "0.1.0"

__all__ = [
    "Attribution", "ConfigError", "DocgenError", "Document", "GenerationError", "MissingExtra",
    "Rule", "Spec", "SpecError", "UserError", "Value", "iter_documents", "parse_spec", "__version__",
]
