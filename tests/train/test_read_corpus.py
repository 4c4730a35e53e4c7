"""What midtraining reads: a run directory (accepted shards only), an export (train split
only), a JSONL file; and where it came from (spec sha256, manifest sha256)."""

from __future__ import annotations

import json

import pytest

from docgen.corpus import CorpusWriter, Document, sha256_file
from docgen.errors import UserError
from docgen.train.midtrain import read_corpus

SHA = "cd" * 32


def _run(tmp_path):
    run = tmp_path / "run"
    with CorpusWriter(run, shard_docs=2, meta={"spec_id": "s", "spec_sha256": SHA}) as w:
        for i in range(3):
            w.add(Document(text=f"kept document number {i}", spec_sha256=SHA, item_id=f"k{i}"))
        w.reject(Document(text="a rejected document", spec_sha256=SHA, item_id="r", reject_reason="quality"))
    return run


def test_run_directory_reads_accepted_documents_only(tmp_path):
    run = _run(tmp_path)
    texts, prov = read_corpus(run)
    assert sorted(texts) == [f"kept document number {i}" for i in range(3)]
    assert prov["spec_sha256"] == [SHA] and prov["manifest_sha256"] == sha256_file(run / "manifest.json")


def test_export_reads_its_train_split_only(tmp_path):
    from docgen.hub import export

    run = _run(tmp_path)
    export(run, tmp_path / "exp", include_rejected=True)
    texts, prov = read_corpus(tmp_path / "exp")
    assert len(texts) == 3 and "a rejected document" not in texts
    assert prov["docgen_export_sha256"] and prov["spec_sha256"] == [SHA]


def test_jsonl_and_limit(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text("".join(json.dumps({"text": f"doc {i}"}) + "\n" for i in range(5)) + json.dumps({"text": " "}) + "\n")
    texts, prov = read_corpus(f, limit=2)
    assert texts == ["doc 0", "doc 1"] and prov["file_sha256"] == sha256_file(f) and prov["spec_sha256"] == []


def test_empty_corpus_is_a_user_error(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"text": "   "}) + "\n")
    with pytest.raises(UserError, match="no non-empty documents"):
        read_corpus(f)
