"""`docgen spec lint`'s `unread` finding: sentences that read like rules the reader did not take.

The classifier runs on the packaged MiniLM encoder (the `embed` extra, which `make install` and the test setup
install); the tests that need it skip without it. The spec read here is one of the outside-written specs in
corpora/specread whose rules the reader misses, scored against its gold reading.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docgen import encoder
from docgen.spec import lint_spec, parse_spec, parse_text
from docgen.spec.source import read_text
from docgen.spec.unread import WEIGHTS, blocked_lines, units

REPO = Path(__file__).resolve().parents[1]
EMAIL = REPO / "corpora" / "specread" / "heldout4" / "staff_email.txt"
needs_encoder = pytest.mark.skipif(encoder.base_files() is None, reason=f"needs the encoder: {encoder.INSTALL}")


def test_units_keep_each_sentence_on_its_lines():
    text = ("# Title\n\nKestrel answers questions about\nopening times. It never guesses a time.\n\n"
            "- Kestrel always gives the phone number when it is unsure.\n\n"
            "| When | What Kestrel does |\n|---|---|\n| a parcel is late | it apologises and gives the tracking link |\n")
    got = units(text)
    assert ("Kestrel answers questions about opening times.", 3, 4) in got
    assert ("It never guesses a time.", 4, 4) in got
    assert ("Kestrel always gives the phone number when it is unsure.", 6, 6) in got
    assert ("it apologises and gives the tracking link", 10, 10) in got


def test_code_and_examples_are_set_aside():
    text = ("# Kestrel\n\nKestrel never shares a caller's address.\n\n```\nassistant.never_share = True\n```\n\n"
            "## Examples\n\nKestrel should say: we are open until six.\n")
    spec = parse_text(text, "k.md")
    block = blocked_lines(text, spec)
    assert {5, 6, 7} <= block and 11 in block
    assert 3 not in block


def test_the_shipped_classifier_matches_the_features():
    card = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert len(card["coef"]) == 384 + 11 and 0.5 <= card["threshold"] < 1


@needs_encoder
def test_lint_points_at_rules_the_reader_missed_and_not_at_traps():
    spec = parse_spec(EMAIL)
    gold = json.loads((EMAIL.parent / "staff_email.gold.json").read_text(encoding="utf-8"))
    text = read_text(EMAIL)
    lines = text.split("\n")

    def line_of(quote: str) -> int:
        head = " ".join(quote.split()[:6])
        return next(i for i, x in enumerate(lines, 1) if head in " ".join(x.split()))

    rule_lines = {line_of(q) for r in gold["rules"] for q in r["quotes"]}
    trap_lines = {line_of(t["quote"]) for t in gold["traps"]}
    found = [f for f in lint_spec(spec, len(text.split()), text=text) if f.code == "unread"]
    assert len(found) >= 3
    assert all(f.line in rule_lines for f in found), [f.render("x") for f in found]
    assert not {f.line for f in found} & trap_lines
    # every one is a sentence no reader rule covers
    assert not {f.line for f in found} & {r.lines.start for r in spec.rules}
    assert "Tansy should" in found[-1].message          # the hint, once, in the spec's own name
    assert sum("Tansy should" in f.message for f in found) == 1


@needs_encoder
def test_a_spec_the_reader_reads_whole_has_nothing_unread():
    text = ("# Kestrel, the parcel desk assistant\n\n## Honesty\n\nPeople plan their day around what we tell them.\n\n"
            "- Kestrel never guesses a delivery time.\n- Kestrel always says when it does not know.\n\n"
            "## Privacy\n\nAddresses belong to the people who live there.\n\n"
            "- Kestrel never reads out a recipient's address.\n")
    spec = parse_text(text, "k.md")
    assert len(spec.rules) == 3
    assert not [f for f in lint_spec(spec, len(text.split()), text=text) if f.code == "unread"]


@needs_encoder
def test_cli_lint_lists_unread_sentences():
    run = subprocess.run([sys.executable, "-m", "docgen", "spec", "lint", str(EMAIL), "--json"],
                         capture_output=True, text=True, cwd=REPO)
    found = [f for f in json.loads(run.stdout) if f["code"] == "unread"]
    assert found and all(f["line"] > 0 and "reads like a rule" in f["message"] for f in found)


def test_without_the_encoder_lint_says_it_did_not_look(monkeypatch):
    from docgen.spec import unread
    monkeypatch.setattr(unread, "_model", lambda: None)
    text = ("# Kestrel, the parcel desk assistant\n\n## Honesty\n\nPeople plan their day around what we tell them.\n\n"
            "- Kestrel never guesses a delivery time.\n- Kestrel always says when it does not know.\n")
    found = lint_spec(parse_text(text, "k.md"), len(text.split()), text=text)
    said = [f.message for f in found if f.code == "warning" and "not looked for" in f.message]
    assert said and encoder.INSTALL in said[0]
    assert not [f for f in found if f.code == "unread"]
