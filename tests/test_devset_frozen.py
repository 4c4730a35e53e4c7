"""The realistic attribution set is frozen: its files match the sha256 recorded when it was
written, every label is present for every spec, and at least 30% of it is held out."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path

DIR = Path(__file__).resolve().parents[1] / "corpora" / "devset" / "realistic"
LABELS = {"explicit", "co_occurrence", "behaviour_only", "value_only", "wrong_value", "contradiction"}


def _frozen() -> dict[str, str]:
    out = {}
    for f in sorted(DIR.glob("FROZEN-*.sha256")):
        for line in f.read_text().splitlines():
            digest, name = line.split()
            out[Path(name).name] = digest
    return out


def test_files_match_their_frozen_hashes():
    frozen = _frozen()
    files = sorted(p.name for p in DIR.glob("*.jsonl"))
    assert files and set(files) == set(frozen), "every dev-set file has exactly one frozen hash"
    for name in files:
        assert hashlib.sha256((DIR / name).read_bytes()).hexdigest() == frozen[name], f"{name} was edited after freezing"


def test_every_spec_has_every_label_and_a_held_out_third():
    rows = [json.loads(l) for p in DIR.glob("*.jsonl") for l in p.read_text().splitlines() if l.strip()]
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    by_spec = collections.defaultdict(set)
    for r in rows:
        assert r["label"] in LABELS and r["split"] in {"dev", "heldout"}
        assert 150 <= r["words"] <= 400
        by_spec[r["spec"]].add(r["label"])
    assert len(by_spec) >= 8
    for spec, labels in by_spec.items():
        assert labels == LABELS, spec
    assert sum(r["split"] == "heldout" for r in rows) / len(rows) >= 0.30


def _test_set(name: str) -> tuple[Path, list[dict]]:
    d = DIR.parent / name
    return d, [json.loads(l) for p in d.glob("*.jsonl") for l in p.read_text().splitlines() if l.strip()]


def test_test_sets_are_frozen_with_their_specs():
    """The fresh test sets (one per round) match the sums taken before they were first measured, specs included."""
    for name in ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9", "fresh10", "fresh11",
                 "fresh12", "fresh13", "fresh14", "fresh15", "fresh16", "fresh17", "fresh18", "fresh19", "fresh20", "fresh21", "fresh22", "fresh23"):
        d, rows = _test_set(name)
        sums = {}
        for line in next(d.glob("FROZEN-*.sha256")).read_text().splitlines():
            digest, rel = line.split()
            sums[rel] = digest
        paths = {(d / rel if (d / rel).exists() else DIR.parents[2] / rel).resolve(): dg for rel, dg in sums.items()}
        assert {p.resolve() for p in d.glob("*.jsonl")} <= set(paths), f"{name}: a file with no frozen sum"
        for path, digest in paths.items():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} was edited after freezing"
        assert len(rows) >= 100 and all(r["split"] == "test" and r["label"] in LABELS for r in rows)
        assert len({r["id"] for r in rows}) == len(rows)


def test_spec_reading_sets_are_frozen():
    """corpora/specread/{dev,heldout}: the specs and gold readings match the sums taken before the reader first
    read them, and every gold quote is in its spec (the scorer locates rules by them)."""
    root = DIR.parent.parent / "specread"
    for split in ("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9", "heldout10", "heldout11"):
        sums = dict(reversed(line.split()) for line in (root / f"FROZEN-{split}.sha256").read_text().splitlines())
        files = {p.relative_to(root).as_posix() for p in (root / split).iterdir()}
        assert files == set(sums), f"{split}: files added or removed after freezing"
        for rel, digest in sums.items():
            assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest, f"{rel} was edited after freezing"
        golds = list((root / split).glob("*.gold.json"))
        assert len(golds) == 8
        for g in golds:
            gold = json.loads(g.read_text())
            text = " ".join((g.parent / gold["spec"]).read_text().split())
            quotes = [q for v in gold["values"] for q in v["quotes"]] + [q for r in gold["rules"] for q in r["quotes"]]
            assert all(" ".join(q.split()) in text for q in quotes), g.name
            assert {r["polarity"] for r in gold["rules"]} <= {"do", "do_not"}
