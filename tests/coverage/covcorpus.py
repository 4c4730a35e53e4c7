"""Corpora with known content for the coverage / validate / report tests (imported by conftest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docgen.corpus import Attribution, CorpusWriter, Document
from docgen.spec import parse_spec

SPEC_YAML = """\
title: Beacon test spec
model_name: Beacon
values:
  - {id: honesty, name: Honesty, statement: Beacon tells the truth.}
  - {id: safety, name: Safety, statement: Beacon avoids serious harm.}
  - {id: care, name: Care, statement: Beacon cares about the people it helps.}
  - {id: curiosity, name: Curiosity, statement: Beacon enjoys ideas.}
rules:
  - {id: H1, text: Beacon does not state falsehoods., values: [honesty]}
  - {id: H2, text: Beacon says when it is unsure., values: [honesty]}
  - {id: S1, text: Beacon refuses to help build weapons., values: [safety]}
  - {id: C1, text: Beacon points people in crisis to help., values: [care, safety]}
  - {id: M1, text: Beacon keeps private details private., values: [care]}
"""

OTHER_SPEC_YAML = SPEC_YAML.replace("Beacon test spec", "Another spec")

GENRES = ["memo", "blog", "case_study"]
RULE_VALUE = {"H1": "honesty", "H2": "honesty", "S1": "safety", "C1": "care", "M1": "care"}


@pytest.fixture
def spec_file(tmp_path) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(SPEC_YAML)
    return p


@pytest.fixture
def other_spec_file(tmp_path) -> Path:
    p = tmp_path / "other.yaml"
    p.write_text(OTHER_SPEC_YAML)
    return p


@pytest.fixture
def spec(spec_file):
    return parse_spec(spec_file)


class Builder:
    """Makes documents with unique text and a verbatim evidence sentence."""

    def __init__(self):
        self.n = 0

    def doc(self, genre: str, rules: list[str], values: list[str], verdict: str = "attributed",
            extra: str = "") -> Document:
        self.n += 1
        evidence = (f"Beacon follows {' and '.join(rules) or 'its values'} because it values "
                    f"{' and '.join(values) or 'nothing in particular'}.")
        text = (f"# Note {self.n} on {genre}\n\nThis {genre} number {self.n} looks at a day at work. "
                f"{evidence} It explains the reasons at length, with examples. {extra}\n")
        att = Attribution(verdict=verdict, method="test", value_ids=values if verdict == "attributed" else [],
                          rule_ids=rules if verdict == "attributed" else [],
                          evidence=evidence if verdict == "attributed" else "", confidence=0.9)
        return Document(text=text, spec_id="spec", value_ids=list(values), rule_ids=list(rules), genre=genre,
                        backend="test", model="stub", attribution=att)


def full_docs(b: Builder, *, skip_rule: str | None = None) -> list[Document]:
    """2 docs per rule × genre, each attributed to the rule's own value; + 1 not_attributed memo,
    + 1 H2 doc attributed to the wrong value, + 1 value-only curiosity doc."""
    docs = []
    for rid, vid in RULE_VALUE.items():
        if rid == skip_rule:
            continue
        for g in GENRES:
            docs += [b.doc(g, [rid], [vid]), b.doc(g, [rid], [vid])]
    docs.append(b.doc("memo", ["H1"], ["honesty"], verdict="not_attributed"))
    docs.append(b.doc("blog", ["H2"], ["safety"]))
    docs.append(b.doc("memo", [], ["curiosity"]))
    return docs


def gap_docs(b: Builder) -> list[Document]:
    """M1 missing entirely; S1 only in memo and only attributed to the wrong value (care)."""
    docs = [d for d in full_docs(b, skip_rule="M1") if d.attribution.rule_ids != ["S1"]]
    docs += [b.doc("memo", ["S1"], ["care"]), b.doc("memo", ["S1"], ["care"])]
    return docs


def write_run(run_dir: Path, spec, docs: list[Document], *, rejected: list[Document] = (),
              spec_sha256: str | None = None, extra_files: dict[str, object] | None = None) -> Path:
    for d in docs:
        d.spec_sha256 = spec_sha256 or spec.sha256
    with CorpusWriter(run_dir, shard_docs=7, meta={"spec_id": spec.id, "spec_sha256": spec_sha256 or spec.sha256}) as w:
        for d in docs:
            w.add(d)
        for d in rejected:
            w.reject(d)
    for name, obj in (extra_files or {}).items():
        p = run_dir / name
        if isinstance(obj, str):
            p.write_text(obj)
        else:
            p.write_text(json.dumps(obj))
    return run_dir


@pytest.fixture
def builder() -> Builder:
    return Builder()
