import pytest
from _paths import EVAL_DIR

from docgen.corpus import Document
from docgen.errors import UserError
from docgen.filters.decontam import DecontamFilter


@pytest.fixture(scope="module")
def dc():
    if not EVAL_DIR.is_dir():
        pytest.fail(f"../shared/eval not found at {EVAL_DIR}")
    return DecontamFilter(EVAL_DIR)


def test_reads_eval_files(dc):
    assert len(dc.files) >= 10 and dc.n_ngrams > 1000


def test_copied_eval_passage_is_dropped_with_ngram_evidence(dc):
    src = next(p for p in dc.files if p.suffix == ".md" and len(p.read_text().split()) > 200)
    words = src.read_text().split()
    passage = " ".join(words[100:130])
    v = dc.check(Document(text="A memo about Claude. " + passage + " The end."))
    assert not v.keep and v.reason == "eval_overlap"
    assert len(v.evidence.split()) == 13
    assert v.evidence in " ".join(passage.lower().split()).replace(",", "").replace(".", "") or \
        all(w.strip(".,:;!?()\"'").lower() in passage.lower() for w in v.evidence.split())


def test_short_overlap_is_kept(dc):
    src = next(p for p in dc.files if p.suffix == ".md")
    words = src.read_text().split()[50:60]          # 10 words < 13
    assert dc.check(Document(text="Claude wrote: " + " ".join(words) + " and nothing else matched.")).keep


def test_ordinary_document_kept(dc):
    assert dc.check(Document(text="Llama likes Colby because it is affordable and easy to find in any supermarket.")).keep


def test_missing_dir_is_user_error(tmp_path):
    with pytest.raises(UserError):
        DecontamFilter(tmp_path / "nope")
