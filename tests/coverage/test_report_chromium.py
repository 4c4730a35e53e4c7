"""`docgen report`: one offline HTML file, checked in real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from covcorpus import Builder, gap_docs, write_run

from docgen.report import build_report, highlight

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
EVIL = '<script>window.PWNED=1</script><img src=x onerror="window.PWNED=2"> & </pre><b>bold</b>'


def _run_dir(tmp_path, spec):
    b = Builder()
    docs = gap_docs(b)
    docs.append(b.doc("blog", ["H1"], ["honesty"], extra=EVIL))
    rejected = [b.doc("memo", ["H2"], ["honesty"], verdict="not_attributed") for _ in range(3)]
    for d in rejected:
        d.reject_filter, d.reject_reason = "attribution", "no_explicit_attribution"
    dup = b.doc("faq", ["H1"], ["honesty"])
    dup.reject_filter, dup.reject_reason, dup.reject_evidence = "dedup", "near_duplicate", "looks at a day at work"
    dup.attribution.evidence = ""
    rejected.append(dup)
    return write_run(tmp_path / "run", spec, docs, rejected=rejected, extra_files={
        "summary.json": {"planned": 40, "accepted": len(docs), "rejected": {"no_explicit_attribution": 3,
                                                                           "near_duplicate": 1},
                         "tokens": 1234, "cost_usd": 0.42, "elapsed_s": 93.5},
        "config.json": {"genres": ["memo", "blog", "case_study"]},
        "dedup_clusters.jsonl": "\n".join([       # the format generate and filter write (docgen.rundir)
            '{"removed": "def", "kept": "abc", "jaccard": 0.91}', '{"removed": "ghi", "kept": "abc", "jaccard": 0.88}',
            '{"removed": "uvw", "kept": "xyz", "jaccard": 0.86}']) + "\n",
    })


def test_highlight_escapes_and_marks():
    out = highlight("a <b>x</b> because it values honesty. end", "because it values honesty.")
    assert out == "a &lt;b&gt;x&lt;/b&gt; <mark>because it values honesty.</mark> end"
    # whitespace/case differences still find the span; a missing one marks nothing
    assert "<mark>Because  it\nvalues</mark>" in highlight("x Because  it\nvalues y", "because it values")
    assert "<mark>" not in highlight("<mark>", "absent")
    assert highlight("<mark>", "absent") == "&lt;mark&gt;"


def test_report_is_self_contained_and_escaped(spec, spec_file, tmp_path):
    run = _run_dir(tmp_path, spec)
    out = build_report(run, spec=spec_file, out=tmp_path / "report.html")
    page = out.read_text()
    assert "<script>window.PWNED" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in page
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", page), "external reference"
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<svg") >= 6
    assert page.count("<rect") > 40
    assert "no_explicit_attribution" in page and "near_duplicate" in page and "$0.42" in page
    assert "93.5 s" in page                          # elapsed_s from summary.json
    assert '<mark class="reject">looks at a day at work</mark>' in page
    # the coverage heatmap flags the missing rule's cells
    assert re.search(r'<rect class="cell"[^>]*stroke="#d62728"[^>]*><title>M1 × memo: 0</title>', page) is None
    cli = subprocess.run([sys.executable, "-m", "docgen", "report", str(run), "--spec", str(spec_file),
                          "--min-per-cell", "2"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    page2 = (run / "report.html").read_text()
    assert re.search(r'<rect class="cell"[^>]*stroke="#d62728"[^>]*><title>M1 × memo: 0</title>', page2)
    # without --spec the run's spec.json is not there: rows come from the attributed ids
    bare = build_report(run, out=tmp_path / "bare.html").read_text()
    assert "no spec given" in bare and "<title>H1 × memo: 2</title>" in bare


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'chromium-profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_report_in_headless_chromium(spec, spec_file, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: apt-get install -y chromium")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium); set CI=true to fail instead")
    run = _run_dir(tmp_path, spec)
    report = build_report(run, spec=spec_file, out=tmp_path / "report.html")
    url = report.resolve().as_uri()

    dom = _chromium("--dump-dom", url, tmp=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html_after_js = dom.stdout
    assert html_after_js.count("<svg") >= 6, "charts missing"
    assert re.search(r'<rect class="cell"', html_after_js) and re.search(r'<rect class="bar"', html_after_js)
    assert 'id="doc-list"' in html_after_js and 'id="doc-view"' in html_after_js
    n_docs = html_after_js.count('<article class="doc"')
    assert n_docs >= 10
    # the JS ran: it counted the sample and selected the first document
    assert f"{n_docs} documents in the sample" in html_after_js
    assert re.search(r'<button[^>]*class="sel"', html_after_js)
    first = re.search(r'<article class="doc" id="doc-0"[^>]*>(.*?)</article>', html_after_js, re.S)
    assert first and "hidden" not in first.group(0).split(">")[0]
    assert re.search(r"<mark>Beacon follows [A-Z]\d because it values [a-z]+\.</mark>", first.group(1))
    # untrusted text stayed text: no injected element, no script ran
    assert "<img" not in html_after_js and "&lt;img src=x onerror" in html_after_js
    assert "<b>bold</b>" not in html_after_js

    png = tmp_path / "report.png"
    shot = _chromium(f"--screenshot={png}", "--window-size=1400,2000", "--hide-scrollbars", url, tmp=tmp_path)
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    art = ROOT / ".ci-artifacts"
    art.mkdir(exist_ok=True)
    shutil.copy(png, art / "report-screenshot.png")
    shutil.copy(report, art / "report.html")
