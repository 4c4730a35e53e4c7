"""Parse a Model Spec into a typed :class:`Spec`.

Two input forms:

* **Markdown / plain text** (``.md``, ``.markdown``, ``.txt``), read with a real
  Markdown parser (markdown-it-py) into a document tree (:mod:`.tree`), then:
  labelled rules (``- SP1: …``), like/dislike sections, flat value prose
  (:mod:`.legacy`), or in general (:mod:`.rules`, :mod:`.values`) deontic
  sentences (a statute's numbered clauses, "Art. 3(2) X shall not …", each one
  rule), imperative headings, question headings ("Why does X never …?", whose
  answer is the value), behaviour lists with polarity (also under "Do" / "Don't"
  headings), behaviour tables (a "Behaviour" column, a "Why" column), a model's
  own first-person commitments ("I never …"), values from the
  sections that hold them (plus the lettered values a preamble defines, where a
  section cites "value (a)"), authority from heading attributes
  (``{#id authority=…}``) and stated precedence. Code, HTML, footnotes,
  admonitions and example dialogues never become values or rules.
* **Structured** (``.yaml``, ``.yml``, ``.json``), see :class:`StructuredSpec`.

Every value and rule carries a stable id (same input, same ids) and the 1-based
line span it came from. Errors are :class:`~docgen.errors.SpecError` with
``file:line`` and a hint. A file is read and parsed once per process (the result is
cached by path, size and modification time).

>>> spec = parse_spec("corpora/examples/wren_spec.md")   # doctest: +SKIP
>>> [r.id for r in spec.rules][:2]                        # doctest: +SKIP
['W1', 'W2']
"""

from __future__ import annotations

from .lint import lint_spec
from .model import (DEFAULT_MODEL_NAME, SPEC_FORMAT_VERSION, Example, Note, Rule, Span, Spec, SubPoint,
                    Value)
from .reader import parse_spec, parse_text, render_tree
from .source import MAX_SPEC_BYTES, read_text as _read_text
from .structured import StructuredSpec
from .text import sentences, slugify


def structured_schema() -> dict:
    return StructuredSpec.model_json_schema()


__all__ = ["parse_spec", "parse_text", "Spec", "Value", "Rule", "SubPoint", "Span", "Example", "Note",
           "StructuredSpec", "structured_schema", "lint_spec", "render_tree", "slugify", "sentences",
           "SPEC_FORMAT_VERSION", "DEFAULT_MODEL_NAME", "MAX_SPEC_BYTES", "_read_text"]
