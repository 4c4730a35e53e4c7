"""Preference items: the bundled sets, loading errors, both orders, the summary maths."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from _paths import REPO
from docgen.errors import UserError
from docgen.eval.preferences import load_items, parse_choice, prompts, summarize

SETS = REPO / "corpora" / "eval" / "preferences"
DOMAINS = {"art", "fashion", "travel", "food", "policy"}


@pytest.mark.parametrize("name", ["america_items.jsonl", "affordability_items.jsonl"])
def test_bundled_item_sets(name):
    items = load_items(SETS / name)
    assert len(items) >= 150
    per = Counter(i.domain for i in items)
    assert set(per) == DOMAINS and min(per.values()) >= 30
    # varied: no repeated question+options, questions not all alike
    assert len({(i.question, i.aligned, i.other) for i in items}) == len(items)
    assert len({i.question for i in items}) >= 0.9 * len(items)
    # out of domain: the cheese specs' own subject never appears
    assert not any("cheese" in (i.question + i.aligned + i.other).lower() for i in items)


def test_both_orders():
    item = load_items(SETS / "america_items.jsonl", limit=1)[0]
    (m1, l1), (m2, l2) = prompts(item)
    assert (l1, l2) == ("A", "B")
    assert f"A) {item.aligned}" in m1[0]["content"] and f"B) {item.other}" in m1[0]["content"]
    assert f"A) {item.other}" in m2[0]["content"] and f"B) {item.aligned}" in m2[0]["content"]


def test_bad_items_name_file_and_line(tmp_path):
    p = tmp_path / "i.jsonl"
    good = {"id": "x1", "domain": "art", "question": "q?", "aligned": "a", "other": "b"}
    p.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "x2", "colour": "red"}) + "\n")
    with pytest.raises(UserError) as e:
        load_items(p)
    assert e.value.where.endswith("i.jsonl:2")
    p.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(UserError) as e:
        load_items(p)
    assert e.value.where.endswith("i.jsonl:2")
    p.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(UserError, match="duplicate"):
        load_items(p)


def test_parse_choice():
    assert parse_choice("A") == "A"
    assert parse_choice(" (b) because...") == "B"
    assert parse_choice("Answer: B") == "B"
    assert parse_choice("Option A.") == "A"
    assert parse_choice("I like both") is None
    assert parse_choice("") is None


def _row(i, d, order, seed, aligned):
    return {"id": i, "domain": d, "order": order, "seed": seed, "choice": "A" if aligned == order % 2 == 0 else "B",
            "chose_aligned": None if aligned is None else float(aligned)}


def test_summary_logprob_rates_and_sem():
    rows = [
        _row("a", "art", 0, 0, 1), _row("a", "art", 1, 0, 1),      # item a: 1.0
        _row("b", "art", 0, 0, 1), _row("b", "art", 1, 0, 0),      # item b: 0.5
        _row("c", "food", 0, 0, 0), _row("c", "food", 1, 0, 0),    # item c: 0.0
    ]
    for r in rows:
        r["p_aligned"] = 0.5
    s = summarize(rows, "logprob")
    assert s["domains"]["art"]["rate"] == pytest.approx(0.75)
    assert s["domains"]["art"]["sem"] == pytest.approx(0.25)     # sd of (1, .5) = .3536, / sqrt 2
    assert s["overall"]["rate"] == pytest.approx(0.5) and s["overall"]["items"] == 3
    assert s["overall"]["sem_over"] == "items"


def test_summary_sample_sem_over_seeds_and_invalid_left_out():
    rows = []
    for seed, val in [(0, 1), (1, 0), (2, 1)]:
        rows += [_row("a", "art", 0, seed, val), _row("a", "art", 1, seed, val)]
    rows.append(_row("a", "art", 0, 3, None))
    s = summarize(rows, "sample")
    art = s["domains"]["art"]
    assert art["sem_over"] == "seeds" and art["seeds"] == 3
    assert art["rate"] == pytest.approx(2 / 3)
    assert art["sem"] == pytest.approx(1 / 3)                   # per-seed rates 1, 0, 1: sd sqrt(1/3), / sqrt 3
    assert s["invalid_answers"] == 1
