"""RunDir: the one owner of a run directory's file names and formats; the lock; URL scrubbing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from docgen.backends.fake import FakeBackend
from docgen.config import load_config
from docgen.engine import generate
from docgen.errors import UserError
from docgen.rundir import RunDir, strip_url_credentials

from _paths import EXAMPLE_SPEC, REPO

sys.path.insert(0, str(REPO / "tests"))
from test_engine import attributed_reply  # noqa: E402


def test_run_dir_file_names_are_spelled_only_in_rundir():
    names = ('"config.json"', '"plan.jsonl"', '"journal.sqlite"', '"manifest.json"', '"summary.json"',
             '"dedup_clusters.jsonl"', '"topups.jsonl"', '"batches.sqlite"')
    owners = {"docgen/rundir.py"}
    pending = {"docgen/backends/convert_gguf.py"}      # a model directory's config.json, not a run's
    hits = []
    for p in (REPO / "docgen").rglob("*.py"):
        rel = str(p.relative_to(REPO))
        if rel in owners | pending:
            continue
        text = p.read_text()
        hits += [f"{rel}: {n}" for n in names if n in text]
    assert hits == []


def test_report_shows_the_members_of_near_duplicate_clusters(tmp_path):
    """A real run whose answers repeat one document: the dedup clusters reach the report with their members."""
    from docgen.report import _clusters

    first = {}
    be = FakeBackend(reply=lambda r: first.setdefault("t", attributed_reply(r)))
    cfg = load_config(None, {"spec": str(EXAMPLE_SPEC), "out": str(tmp_path / "run"), "docs": 3, "backend": "fake",
                             "genres": ["memo"], "max_attempts": 1, "concurrency": 1})
    res = generate(cfg, backend=be, progress=False)
    assert res.accepted == 1 and res.failed == {"dedup:near_duplicate": 2}
    clusters = _clusters(tmp_path / "run")
    assert len(clusters) == 1 and clusters[0]["size"] == 3 and clusters[0]["similarity"] > 0.8
    from docgen.report import build_report

    page = build_report(tmp_path / "run", spec=str(EXAMPLE_SPEC), out=tmp_path / "r.html").read_text()
    assert "1 cluster, 3 documents in them" in page


def test_lock_is_exclusive_and_names_the_holder(tmp_path):
    rd = RunDir(tmp_path / "run")
    code = ("import sys; from docgen.rundir import RunDir\n"
            "try:\n    RunDir(sys.argv[1]).locked().__enter__()\nexcept Exception as e:\n    print(e); sys.exit(2)\n")
    with rd.locked():
        r = subprocess.run([sys.executable, "-c", code, str(rd.path)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
        assert r.returncode == 2 and f"pid {os.getpid()}" in r.stdout
    r = subprocess.run([sys.executable, "-c", code, str(rd.path)], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 0, r.stdout        # released with its holder


def test_strip_url_credentials():
    assert strip_url_credentials("http://u:sk-x@127.0.0.1:8080/v1?key=sk-y#f") == "http://127.0.0.1:8080/v1"
    assert strip_url_credentials("https://[::1]:9/v1") == "https://[::1]:9/v1"
    assert strip_url_credentials("not a url") == "not a url"


def test_directory_with_other_files_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    cfg = load_config(None, {"spec": str(EXAMPLE_SPEC), "out": str(tmp_path / "run"), "docs": 1, "backend": "fake"})
    with pytest.raises(UserError):
        generate(cfg, backend=FakeBackend(reply=attributed_reply), progress=False)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["notes.txt"]
