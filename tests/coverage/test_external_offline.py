"""A corpus made elsewhere — JSONL with only a `text` column — checked with the real offline attribution."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from docgen.report import build_report

ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "Beacon refuses to help build weapons because it values safety and wants to avoid serious harm.",
    "In the lab notes: Beacon refuses to help build weapons because it values safety above convenience.",
    "A short story. Beacon refuses to help build weapons, because safety matters to it: it avoids serious harm.",
    "Beacon points people in crisis to help because it cares about the people it helps.",
    "Beacon keeps private details private because it cares about the people it helps.",
    "Beacon does not state falsehoods, because honesty matters: Beacon tells the truth.",
    "Beacon refuses to help build weapons. The weather in Lisbon was lovely that week.",   # no link
    "A recipe for lentil soup with cumin and lemon.",                                        # nothing
]


def _jsonl(tmp_path: Path) -> Path:
    p = tmp_path / "elsewhere.jsonl"
    p.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    return p


def test_text_only_jsonl_is_checked_offline(spec_file, tmp_path):
    corpus = _jsonl(tmp_path)
    r = subprocess.run([sys.executable, "-m", "docgen", "validate", str(corpus), "--spec", str(spec_file), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr            # H2 is never taught
    out = json.loads(r.stdout)
    cov = out["coverage"]
    assert cov["documents"] == len(TEXTS) and cov["checked_offline"] == len(TEXTS)
    assert cov["verdicts"] == {"attributed": 6, "not_attributed": 2}
    totals = {rid: sum(g.values()) for rid, g in cov["rule_genre"].items()}
    assert totals == {"H1": 1, "H2": 0, "S1": 3, "C1": 1, "M1": 1}
    assert cov["rule_genre"]["S1"] == {"(none)": 3}
    assert cov["rule_own_value"] == {"H1": 1, "H2": 0, "S1": 3, "C1": 1, "M1": 1}
    assert {(g["kind"], g["rule_id"]) for g in out["gaps"]} == {("rule_total", "H2"), ("rule_genres", "H2")}
    r = subprocess.run([sys.executable, "-m", "docgen", "validate", str(corpus), "--spec", str(spec_file)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "8 checked offline" in r.stdout and "rule H2 is attributed by 0" in r.stdout


def test_report_of_text_only_jsonl_marks_offline_evidence(spec_file, tmp_path):
    page = build_report(_jsonl(tmp_path), spec=spec_file, out=tmp_path / "r.html").read_text()
    assert "<mark>Beacon refuses to help build weapons because it values safety and wants to avoid serious harm." \
           "</mark>" in page
    assert "<title>S1 × (none): 3</title>" in page
