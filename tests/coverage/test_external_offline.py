"""A corpus made elsewhere — JSONL with only a `text` column — checked with the real offline attribution."""

from __future__ import annotations

import html
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


def _expected(spec_file):
    """What the offline check itself says about each text: coverage must count exactly this."""
    from docgen.filters.attribution import attribute_offline
    from docgen.spec import parse_spec

    spec = parse_spec(spec_file)
    atts = [attribute_offline(spec, t) for t in TEXTS]
    totals = {r.id: sum(1 for a in atts if a.verdict == "attributed" and r.id in a.rule_ids) for r in spec.rules}
    own = {r.id: sum(1 for a in atts if a.verdict == "attributed" and r.id in a.rule_ids
                     and set(a.value_ids) & set(r.value_ids)) for r in spec.rules}
    return atts, totals, own


def test_text_only_jsonl_is_checked_offline(spec_file, tmp_path):
    corpus = _jsonl(tmp_path)
    atts, totals, own = _expected(spec_file)
    r = subprocess.run([sys.executable, "-m", "docgen", "validate", str(corpus), "--spec", str(spec_file), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    out = json.loads(r.stdout)
    cov = out["coverage"]
    assert cov["documents"] == len(TEXTS) and cov["checked_offline"] == len(TEXTS)
    n_att = sum(a.verdict == "attributed" for a in atts)
    assert cov["verdicts"].get("attributed", 0) == n_att
    assert {rid: sum(g.values()) for rid, g in cov["rule_genre"].items()} == totals
    assert cov["rule_own_value"] == own
    assert all(set(g) <= {"(none)"} for g in cov["rule_genre"].values())
    short = {rid for rid, n in totals.items() if n < 1}
    assert {g["rule_id"] for g in out["gaps"] if g["kind"] == "rule_total"} == short
    assert r.returncode == (1 if short else 0)
    r = subprocess.run([sys.executable, "-m", "docgen", "validate", str(corpus), "--spec", str(spec_file)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert f"{len(TEXTS)} checked offline" in r.stdout


def test_offline_check_sees_plain_attribution(spec_file):
    """The known content: 6 texts tie a behaviour to its value with "because"; H2 is never taught.

    If this fails while the test above passes, the offline attribution check changed its mind
    about plain sentences (docgen/filters/attribution.py), not the coverage counting.
    """
    atts, totals, own = _expected(spec_file)
    assert [a.verdict for a in atts] == ["attributed"] * 6 + ["not_attributed"] * 2
    assert totals == {"H1": 1, "H2": 0, "S1": 3, "C1": 1, "M1": 1} and own == totals


def test_report_of_text_only_jsonl_marks_offline_evidence(spec_file, tmp_path):
    atts, totals, _ = _expected(spec_file)
    page = build_report(_jsonl(tmp_path), spec=spec_file, out=tmp_path / "r.html").read_text()
    for rid, n in totals.items():
        assert f"<title>{rid} × (none): {n}</title>" in page
    for a in atts:
        if a.verdict == "attributed" and a.evidence:
            assert f"<mark>{html.escape(a.evidence)}</mark>" in page
