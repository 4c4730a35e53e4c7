"""Report and export as a user meets them (issue 15 items 10-12, issue 10's cluster report),
through the real entry point. The near-duplicate clusters come from the real dedup step of
`docgen filter`; runs that need a run directory use the `fake` test double (no model)."""

from __future__ import annotations

import json
import os
import random
import re
import stat
import subprocess
import sys

from _paths import EXAMPLE_SPEC, REPO


def docgen(*args, test_backends: bool = False):
    env = {**os.environ, **({"DOCGEN_TEST_BACKENDS": "1"} if test_backends else {})}
    r = subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                       env=env, timeout=300)
    return r


def fake_run(out, *extra):
    r = docgen("generate", EXAMPLE_SPEC, "--out", out, *extra, "--backend", "fake", test_backends=True)
    assert r.returncode in (0, 4), r.stderr          # 4: some planned documents never passed the filters
    return r


def test_report_shows_cluster_members_written_by_the_dedup_step(tmp_path):
    rng = random.Random(1)
    words = "the assistant says how sure it is about each claim and why it does so for every visitor".split()
    base = " ".join(rng.choice(words) for _ in range(300))
    rows = [{"id": f"dup{i}", "text": f"{base} variant {i}."} for i in range(3)]
    rows += [{"id": f"u{i}", "text": " ".join(rng.choice(words) for _ in range(300)) + f" unique {i}."} for i in range(3)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "filtered"
    assert docgen("filter", src, "--out", out).returncode == 0
    assert len((out / "dedup_clusters.jsonl").read_text().splitlines()) == 2     # one row per removed document
    assert docgen("report", out).returncode == 0
    page = (out / "report.html").read_text()
    assert "1 cluster, 3 documents in them" in page
    row = re.search(r'<table class="kv clusters">.*?</table>', page, re.S).group(0)
    assert "dup0" in row and "dup1, dup2" in row


def test_report_empty_clusters_planned_genres_capped_sample_and_dictated_openings(tmp_path):
    out = tmp_path / "run"
    # two documents in two genres; every draft rejected (too short): the genres stay empty
    fake_run(out, "--docs", 2, "--max-attempts", 3)
    assert (out / "dedup_clusters.jsonl").read_text() == ""
    assert docgen("report", out, "--samples", 5).returncode == 0
    page = (out / "report.html").read_text()
    assert "no near-duplicates found" in page and "no dedup_clusters.jsonl" not in page
    planned = {json.loads(l)["genre"] for l in (out / "plan.jsonl").read_text().splitlines()}
    columns = set(re.findall(r'rotate\(-40\)" class="lbl">([^<]*)<', page))
    assert planned and planned <= columns                   # empty columns for planned genres
    count = re.search(r'id="doc-count">([^<]*)<', page).group(1)
    assert count.startswith("0 accepted and ") and count.endswith("rejected documents in the sample")

    # a run whose documents are accepted: the sample is capped and the count says so;
    # the documents (the echoed prompt) are attributed only by the sentence the prompt dictated
    ok = tmp_path / "ok"
    gen = fake_run(ok, "--docs", 6, "--no-filters")
    m = re.search(r"(\d+) of (\d+) attributed documents rest only on the opening sentence the prompt dictated",
                  " ".join(gen.stdout.split()))
    assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 4, gen.stdout
    assert docgen("report", ok, "--samples", 3).returncode == 0
    page = (ok / "report.html").read_text()
    assert re.search(r'id="doc-count">3 of 6 accepted documents in the sample<', page)
    assert f"{m.group(1)} / {m.group(1)}" in page and "rest only on the opening sentence the prompt dictated" in page


def test_report_with_a_planned_genre_that_got_no_document(tmp_path):
    run = tmp_path / "run"
    fake_run(run, "--docs", 1, "--genres", "memo,faq", "--no-filters")     # one document, in one of two genres
    assert docgen("report", run).returncode == 0
    page = (run / "report.html").read_text()
    columns = re.findall(r'rotate\(-40\)" class="lbl">([^<]*)<', page)
    assert sorted(columns) == ["faq", "memo"]


def test_export_folder_mode_follows_umask_and_card_counts_files(tmp_path):
    run = tmp_path / "run"
    fake_run(run, "--docs", 2, "--no-filters")
    out = tmp_path / "export"
    r = docgen("export", run, "--out", out)
    assert r.returncode == 0, r.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    card = (out / "README.md").read_text()
    assert "1 parquet file" in card and "1 parquet files" not in card
    assert "exported 2 documents" in r.stdout and "2 files + docgen_export.json" in r.stdout


def test_dictated_opening_count_tells_copied_openings_from_own_words(tmp_path):
    from docgen.dictated import dictated_only, strip_dictated
    from docgen.prompts import dictated_sentence
    from docgen.spec import parse_spec

    spec = parse_spec(EXAMPLE_SPEC)
    name = spec.resolved_model_name()
    rule = spec.rule("W2")
    opening = dictated_sentence(spec, "W2", list(rule.value_ids), name)
    filler = " The library opens at nine. Visitors like the reading room and its tall windows."
    own = f"{name} does not invent quotations or statistics, because honesty about the evidence matters to it."
    docs = [{"id": "copied", "text": opening + filler, "rule_ids": ["W2"], "value_ids": list(rule.value_ids)},
            {"id": "own", "text": own + filler, "rule_ids": ["W2"], "value_ids": list(rule.value_ids)},
            {"id": "both", "text": opening + " " + own + filler, "rule_ids": ["W2"], "value_ids": list(rule.value_ids)}]
    src = tmp_path / "c.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in docs))
    assert strip_dictated(opening + filler, opening).strip().startswith("The library opens")
    assert strip_dictated(own, opening) is None
    d = dictated_only(src, spec, name)
    assert (d.accepted, d.attributed, d.containing, d.only) == (3, 3, 2, 1), d
