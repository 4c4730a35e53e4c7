"""The template sandbox is bounded (issue 9 item 7): hostile user templates fail fast with an
honest `file:line` error through the real `docgen genres validate` entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from docgen.genres import GENRES_DIR

from _paths import REPO


def _validate(tmp_path, template: str):
    g, t = tmp_path / "genres", tmp_path / "templates"
    g.mkdir()
    t.mkdir()
    shutil.copy(GENRES_DIR / "memo.yaml", g / "memo.yaml")
    (t / "document.j2").write_text(template)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "docgen", "genres", "validate", "--genres-dir", str(g),
                        "--templates-dir", str(t)], cwd=REPO, capture_output=True, text=True, timeout=120)
    return r, time.monotonic() - t0, t / "document.j2"


@pytest.mark.parametrize("template, message", [
    ("Hi\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "range() of 100,000"),
    # 9,000 × 9,000 empty iterations over a list: no single step is large, only the time is
    ("Hi\n{% set x = [1] * 9000 %}{% for i in x %}{% for j in x %}{% endfor %}{% endfor %}", "longer than 2s"),
    ("Hi\n{{ 'x' * 100000000 }}", "would build"),
    ("Hi\n{{ (10 ** 60) ** 60 }}", "too large a number"),
])
def test_runaway_templates_stop_with_a_clear_error(tmp_path, template, message):
    r, took, path = _validate(tmp_path, template)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and f"{path}:2" in r.stderr and "Traceback" not in r.stderr
    assert took < 30


def test_include_outside_the_template_dirs_says_what_was_refused(tmp_path):
    r, _, path = _validate(tmp_path, 'Hi\n{% include "../../etc/passwd" %}')
    assert r.returncode == 2
    assert "includes '../../etc/passwd'" in r.stderr and "without '..'" in r.stderr and f"{path}:2" in r.stderr
    assert "template 'document.j2' not found" not in r.stderr
    (tmp_path / "b").mkdir()
    r, _, path = _validate(tmp_path / "b", 'Hi\n{% include "part.j2" %}')
    assert r.returncode == 2 and "includes 'part.j2'" in r.stderr and "no template of that name" in r.stderr


def test_a_user_template_overrides_the_packaged_one_and_may_include_its_own_parts(tmp_path):
    g, t = tmp_path / "genres", tmp_path / "templates"
    g.mkdir()
    t.mkdir()
    shutil.copy(GENRES_DIR / "memo.yaml", g / "memo.yaml")
    (t / "document.j2").write_text('{#- version: 9 -#}\n{% include "part.j2" %} about {{ behaviour }}')
    (t / "part.j2").write_text("A memo")
    from docgen.genres import load_genres
    from docgen.prompts import render, sample_context, template_version

    genre = load_genres(g, templates_dir=t)["memo"]
    assert render("document.j2", sample_context(genre), t) == "A memo about explains its reasoning"
    assert template_version("document.j2", t) == "document.j2@9"
