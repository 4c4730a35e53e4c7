"""Coverage counts, gaps and top-up cells on corpora whose content is known."""

from __future__ import annotations

import sys
import types

import pytest
from covcorpus import GENRES, RULE_VALUE, Builder, full_docs, gap_docs, write_run

from docgen.corpus import Attribution, Document, iter_documents
from docgen.coverage import (NO_GENRE, Thresholds, coverage, find_gaps, missing_cells, passes, render_table,
                             validate_corpus)
from docgen.errors import UserError


def test_counts_on_full_corpus(spec, builder, tmp_path):
    run = write_run(tmp_path / "run", spec, full_docs(builder))
    cov = coverage(spec, iter_documents(run))
    assert cov.documents == 5 * 3 * 2 + 3
    assert cov.verdicts == {"attributed": 32, "not_attributed": 1}
    assert cov.docs_per_genre == {"memo": 12, "blog": 11, "case_study": 10}
    assert cov.genres == ["memo", "blog", "case_study"]
    for rid in RULE_VALUE:
        for g in GENRES:
            want = 3 if (rid, g) == ("H2", "blog") else 2
            assert cov.cell(rid, g) == want, (rid, g)
    assert cov.rule_total("H1") == 6          # the not_attributed H1 memo is not counted
    assert cov.rule_total("H2") == 7
    assert cov.rule_own_value == {"H1": 6, "H2": 6, "S1": 6, "C1": 6, "M1": 6}
    assert cov.value_genre["honesty"] == {"memo": 4, "blog": 4, "case_study": 4}
    assert cov.value_total("safety") == 7     # S1 docs + the wrong-value H2 doc
    assert cov.value_total("care") == 12
    assert cov.value_total("curiosity") == 1
    assert cov.value_rule_pairs == {"honesty": 12, "safety": 6, "care": 12, "curiosity": 0}
    assert cov.unknown_ids == {}
    gaps = find_gaps(spec, cov, Thresholds(min_per_rule=6, min_per_cell=2, min_genres=3))
    assert passes(gaps), [g.message for g in gaps if g.blocking]
    # curiosity has no rule: reported, but not blocking
    assert [(g.kind, g.value_id, g.blocking) for g in gaps if g.kind.startswith("value")] == \
        [("value_no_rules", "curiosity", False)]
    assert not passes(find_gaps(spec, cov, Thresholds(min_per_rule=7)))
    assert not passes(find_gaps(spec, cov, Thresholds(min_per_cell=3)))
    assert not passes(find_gaps(spec, cov, Thresholds(min_genres=4)))


def test_gap_corpus_missing_rule_and_wrong_value(spec, builder):
    cov = coverage(spec, gap_docs(builder))
    assert cov.rule_total("M1") == 0 and cov.rule_genre["M1"] == {}
    assert cov.rule_genre["S1"] == {"memo": 2}
    assert cov.rule_own_value["S1"] == 0
    gaps = find_gaps(spec, cov, Thresholds(min_per_rule=6, min_per_cell=2, min_genres=3))
    blocking = {(g.kind, g.rule_id or g.value_id, g.genre) for g in gaps if g.blocking}
    assert blocking == {
        ("cell", "M1", "memo"), ("cell", "M1", "blog"), ("cell", "M1", "case_study"),
        ("cell", "S1", "blog"), ("cell", "S1", "case_study"),
        ("rule_total", "M1", None), ("rule_total", "S1", None),
        ("rule_genres", "M1", None), ("rule_genres", "S1", None),
        ("own_value", "S1", None),
        # safety's rules are S1 (only tied to care) and C1 (docs tie it to care): nothing teaches safety
        ("value_untaught", "safety", None),
    }
    assert cov.value_rule_pairs["care"] == 6 and cov.value_rule_pairs["safety"] == 0
    cov2 = coverage(spec, [d for d in gap_docs(Builder()) if d.attribution.rule_ids != ["C1"]])
    kinds = {(g.kind, g.value_id) for g in find_gaps(spec, cov2, Thresholds()) if g.blocking}
    assert ("value_untaught", "safety") in kinds
    assert ("value_untaught", "care") in kinds          # M1 missing, C1 gone, S1 docs only pair S1 with care
    assert ("value_untaught", "honesty") not in kinds


def test_missing_cells_cover_every_gap(spec, builder):
    docs = gap_docs(builder)
    cov = coverage(spec, docs)
    th = Thresholds(min_per_rule=6, min_per_cell=2, min_genres=3)
    cells = missing_cells(spec, cov, th, GENRES)
    assert cells == [("S1", "blog", 2), ("S1", "case_study", 2),
                     ("M1", "memo", 2), ("M1", "blog", 2), ("M1", "case_study", 2)]
    # per-rule total and genre spread: M1 needs 5 in >= 2 genres
    th2 = Thresholds(min_per_rule=5, min_per_cell=0, min_genres=2)
    assert [c for c in missing_cells(spec, cov, th2, GENRES) if c[0] == "M1"] == \
        [("M1", "memo", 2), ("M1", "blog", 2), ("M1", "case_study", 1)]
    # S1 has 2 docs in memo but none tied to safety: one more, in an empty genre
    th3 = Thresholds(min_per_rule=1)
    assert missing_cells(spec, cov, th3, GENRES) == [("S1", "blog", 1), ("M1", "memo", 1)]
    # topping up exactly these cells (attributed to the rule's own value) closes every blocking gap
    b = Builder()
    b.n = 10_000
    for t in (th, th2, th3):
        extra = [b.doc(g, [rid], [RULE_VALUE[rid]]) for rid, g, n in missing_cells(spec, cov, t, GENRES)
                 for _ in range(n)]
        after = coverage(spec, docs + extra)
        assert passes(find_gaps(spec, after, t, GENRES)), [g.message for g in find_gaps(spec, after, t) if g.blocking]
        assert missing_cells(spec, after, t, GENRES) == []


def test_expected_genres_include_unseen_ones(spec, builder):
    cov = coverage(spec, full_docs(builder))
    th = Thresholds(min_per_cell=1)
    gaps = find_gaps(spec, cov, th, GENRES + ["faq"])
    assert {(g.rule_id, g.genre) for g in gaps if g.kind == "cell"} == {(r, "faq") for r in RULE_VALUE}
    assert ("H1", "faq", 1) in missing_cells(spec, cov, th, GENRES + ["faq"])
    imb = [g for g in gaps if g.kind == "imbalance"]
    assert imb and "faq 0 docs" in imb[0].message and not imb[0].blocking


def test_genre_imbalance(spec):
    b = Builder()
    docs = [b.doc("memo", ["H1"], ["honesty"]) for _ in range(10)] + [b.doc("blog", ["H1"], ["honesty"])
                                                                       for _ in range(2)]
    cov = coverage(spec, docs)
    imb = cov.imbalance()
    assert (imb["largest"], imb["smallest"], imb["ratio"]) == ("memo", "blog", 5.0)
    assert imb["largest_share"] == pytest.approx(10 / 12)
    warn = [g for g in find_gaps(spec, cov, Thresholds(min_per_rule=0)) if g.kind == "imbalance"]
    assert len(warn) == 1 and not warn[0].blocking
    block = [g for g in find_gaps(spec, cov, Thresholds(min_per_rule=0, max_genre_ratio=4)) if g.kind == "imbalance"]
    assert len(block) == 1 and block[0].blocking
    assert not [g for g in find_gaps(spec, cov, Thresholds(min_per_rule=0, max_genre_ratio=5)) if g.kind == "imbalance"
                and g.blocking]


def test_unknown_ids_are_reported(spec):
    b = Builder()
    cov = coverage(spec, [b.doc("memo", ["Z9"], ["nonsense"]), b.doc("memo", ["H1"], ["honesty"])])
    assert cov.unknown_ids == {"Z9": 1, "nonsense": 1}
    assert cov.rule_total("H1") == 1
    msgs = [g.message for g in find_gaps(spec, cov, Thresholds(min_per_rule=0)) if g.kind == "unknown_ids"]
    assert msgs and "Z9" in msgs[0]


def test_unchecked_documents_go_through_attribute_offline(spec, monkeypatch):
    """Documents without a verdict (corpora made elsewhere) are checked offline, lazily."""
    calls = []

    def fake_attribute_offline(sp, text, model_name=None):
        calls.append((sp.id, model_name))
        if "refuse" in text:
            return Attribution(verdict="attributed", method="offline", rule_ids=["S1"], value_ids=["safety"],
                               evidence="refuse")
        return Attribution(verdict="not_attributed", method="offline")

    mod = types.ModuleType("docgen.filters.attribution")
    mod.attribute_offline = fake_attribute_offline
    monkeypatch.setitem(sys.modules, "docgen.filters.attribution", mod)
    docs = [Document(text="Beacon will refuse, because safety matters."), Document(text="A recipe for soup."),
            Builder().doc("memo", ["H1"], ["honesty"])]
    cov = coverage(spec, docs, model_name="Beacon")
    assert len(calls) == 2 and calls[0] == (spec.id, "Beacon")
    assert cov.checked_offline == 2
    assert cov.verdicts == {"attributed": 2, "not_attributed": 1}
    assert cov.rule_genre["S1"] == {NO_GENRE: 1} and cov.rule_own_value["S1"] == 1
    assert docs[0].attribution.evidence == "refuse"


def test_unchecked_without_offline_check_stays_unchecked(spec, monkeypatch):
    monkeypatch.setitem(sys.modules, "docgen.filters.attribution", None)   # import fails
    cov = coverage(spec, [Document(text="text only, made elsewhere")])
    assert cov.verdicts == {"unchecked": 1} and cov.checked_offline == 0
    gaps = find_gaps(spec, cov, Thresholds())
    assert any(g.kind == "unchecked" for g in gaps) and not passes(gaps)


def test_validate_corpus_reads_external_jsonl_with_verdicts(spec, builder, tmp_path):
    import json

    p = tmp_path / "corpus.jsonl"
    rows = [{"text": d.text, "genre": d.genre, "attribution": vars(d.attribution)} for d in gap_docs(builder)]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    res = validate_corpus(p, spec, Thresholds(min_per_rule=2))
    assert res.coverage.rule_total("M1") == 0 and res.coverage.rule_total("H1") == 6
    assert not res.ok
    assert {g.rule_id for g in res.gaps if g.kind == "rule_total"} == {"M1"}


def test_validate_corpus_rejects_other_spec(spec, other_spec_file, builder, tmp_path):
    from docgen.spec import parse_spec

    other = parse_spec(other_spec_file)
    run = write_run(tmp_path / "run", other, full_docs(builder))
    with pytest.raises(UserError, match="spec sha256 mismatch"):
        validate_corpus(run, spec, Thresholds())
    # a JSONL export whose rows carry another spec's sha is caught too
    p = tmp_path / "c.jsonl"
    p.write_text('{"text": "x", "spec_sha256": "%s"}\n' % other.sha256)
    with pytest.raises(UserError, match="spec sha256 mismatch"):
        validate_corpus(p, spec, Thresholds())


def test_table_fits_100_columns(spec, builder):
    cov = coverage(spec, gap_docs(builder))
    out = render_table(spec, cov, Thresholds(min_per_rule=6, min_per_cell=2, min_genres=3))
    assert max(len(line) for line in out.splitlines()) <= 100
    assert out.splitlines()[-1].startswith("FAIL")
    assert "rule M1 is attributed by 0 document(s), needs 6" in out
    row = next(line for line in out.splitlines() if line.startswith("S1 "))
    assert row.split()[1:4] == ["2", "0!", "0!"]
    ok = render_table(spec, coverage(spec, full_docs(Builder())), Thresholds())
    assert ok.splitlines()[-1].startswith("PASS")
    # many long genre names still fit
    b = Builder()
    many = [b.doc(f"very-long-genre-name-{i:02d}", ["H1"], ["honesty"]) for i in range(25)]
    wide = render_table(spec, coverage(spec, many), Thresholds(min_per_rule=0))
    assert max(len(line) for line in wide.splitlines()) <= 100
    assert "+1" in wide.splitlines()[2] or "+" in wide.splitlines()[2]
