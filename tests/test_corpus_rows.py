"""Document.to_row is dataclasses.asdict, built faster (docgen/corpus.py ``_plain``)."""

from __future__ import annotations

from dataclasses import asdict

from docgen.corpus import Attribution, Document


def _docs() -> list[Document]:
    att = Attribution(verdict="attributed", method="offline", value_ids=["v1"], rule_ids=["r2"],
                      evidence="because it values", confidence=0.75)
    return [Document(text="plain"),
            Document(text="full", value_ids=["v1", "v2"], rule_ids=["r2"], genre="memo", idea="an idea",
                     attribution=att, n_tokens=7, reject_reason="near_duplicate", reject_filter="dedup"),
            Document(text="from a row", attribution={"verdict": "unchecked", "value_ids": []})]


def test_to_row_equals_asdict():
    for d in _docs():
        assert d.to_row() == asdict(d)
        assert list(d.to_row()) == list(asdict(d))          # same key order (the shard schema relies on names only)


def test_to_row_is_a_copy():
    d = _docs()[1]
    row = d.to_row()
    row["value_ids"].append("x")
    row["attribution"]["rule_ids"].append("y")
    assert d.value_ids == ["v1", "v2"] and d.attribution.rule_ids == ["r2"]
    assert Document.from_row(d.to_row()) == d
