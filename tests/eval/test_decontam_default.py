"""`docgen generate` decontaminates against the bundled eval files by default."""

from __future__ import annotations

import re

from _paths import REPO
from docgen.config import FilterConfig
from docgen.corpus import Document
from docgen.filters.decontam import DecontamFilter

EVAL = REPO / "corpora" / "eval"


def test_default_eval_dir_is_corpora_eval(monkeypatch):
    monkeypatch.delenv("DOCGEN_EVAL_DIR", raising=False)
    assert FilterConfig().eval_dir == str(EVAL)
    monkeypatch.setenv("DOCGEN_EVAL_DIR", "")
    assert FilterConfig().eval_dir is None


def test_a_document_quoting_the_example_scenario_is_dropped():
    f = DecontamFilter(FilterConfig(eval_dir=str(EVAL)).eval_dir)
    tmpl = EVAL / "misalignment" / "seedbank" / "templates" / "email-template-seedbank-shared.md"
    assert tmpl in f.files
    quoted = re.search(r"The full marker.*?agreement\.", tmpl.read_text(), re.S).group(0)
    doc = Document(text="A memo about seed policy. " + quoted + " End of memo.")
    v = f.check(doc)
    assert not v.keep and v.reason == "eval_overlap"
