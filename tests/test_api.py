"""The public Python API (issue 10 item 4): what `docgen` exports, that `progress=False` prints
nothing, and README's example, executed with the real embedded model (slow)."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys

import pytest

import docgen
from docgen.backends.fake import FakeBackend

from _paths import EXAMPLE_SPEC, REPO


def test_public_surface_is_documented_with_examples():
    for name in ("parse_spec", "plan", "generate", "validate", "filter_corpus", "load_corpus", "iter_documents",
                 "Spec", "Rule", "Value", "Plan", "PlanItem", "RunResult", "Validation", "Thresholds", "Document",
                 "Attribution", "DocgenError", "UserError", "SpecError", "ConfigError", "MissingExtra"):
        assert name in docgen.__all__, name
    for name in docgen.__all__:
        assert getattr(docgen, name) is not None
    for fn in (docgen.plan, docgen.generate, docgen.validate, docgen.filter_corpus, docgen.load_corpus):
        assert ">>> " in inspect.getdoc(fn), fn.__name__
    assert issubclass(docgen.UserError, docgen.DocgenError)


def test_the_cli_is_a_layer_over_the_api():
    src = (REPO / "docgen" / "cli.py").read_text()
    for call in ("api.plan(", "api.generate(", "api.validate(", "api.filter_corpus("):
        assert call in src
    assert "Engine(" not in src and "validate_corpus(" not in src and "run_filter(" not in src


def test_plan_generate_validate_filter_from_python_print_nothing_with_progress_false(tmp_path, capfd):
    # the fake test double: this test is about what the API returns and prints, not the text
    plan = docgen.plan(EXAMPLE_SPEC, docs=5)
    assert len(plan.items) == 5 and {i.rule_id for i in plan.items} == {r.id for r in plan.spec.rules}
    assert plan.estimate["requests"] == 5
    out = tmp_path / "run"
    run = docgen.generate(EXAMPLE_SPEC, out, docs=3, backend=FakeBackend(model="fake"), progress=False,
                          filters={"enabled": False})
    assert run.accepted == 3 and run.planned == 3
    check = docgen.validate(out)                       # the spec the run recorded
    assert check.coverage.documents == 3 and check.spec.sha256 == docgen.parse_spec(EXAMPLE_SPEC).sha256
    summary = docgen.filter_corpus(out, tmp_path / "refiltered", spec=EXAMPLE_SPEC)
    assert summary["read"] == 3
    assert [d.id for d in docgen.iter_documents(out)] and len(list(docgen.iter_documents(out))) == 3
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_api_errors_are_user_errors_with_hints(tmp_path):
    with pytest.raises(docgen.UserError) as e:
        docgen.validate(tmp_path)                       # no spec recorded, none given
    assert e.value.hint
    with pytest.raises(docgen.ConfigError):
        docgen.plan(EXAMPLE_SPEC, docs=0)


def _readme_example() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("### Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_readme_python_example_runs_with_the_embedded_model(tmp_path):
    pytest.importorskip("llama_cpp")
    (tmp_path / "corpora").symlink_to(REPO / "corpora")
    script = tmp_path / "example.py"
    script.write_text(_readme_example())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env,
                       timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 documents planned" in r.stdout
    m = re.search(r"(\d+) accepted, (\d+) failed", r.stdout)
    assert m and int(m.group(1)) + int(m.group(2)) == 2
    if int(m.group(1)):
        assert re.search(rf"\d+ of {m.group(1)} kept after filtering again", r.stdout)
    assert r.stderr == ""                               # progress=False: the API printed nothing of its own
    assert (tmp_path / "runs" / "api-demo" / "manifest.json").exists()
