"""The command line as a user meets it (issue 15 items 1-8), through the real entry point
(`python -m docgen`). Runs that need documents use the `fake` test double (no model: these
tests are about the command line, not the text), which the CLI accepts only with
DOCGEN_TEST_BACKENDS=1 in the environment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import re
import sys
from contextlib import redirect_stdout

import pytest

from _paths import EXAMPLE_SPEC, REPO, SPECS


def docgen(*args, test_backends: bool = False, timeout: int = 180):
    env = {k: v for k, v in os.environ.items() if k != "DOCGEN_TEST_BACKENDS"}
    if test_backends:
        env["DOCGEN_TEST_BACKENDS"] = "1"
    return subprocess.run([sys.executable, "-m", "docgen", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, env=env, timeout=timeout)


def fake_run(out, *extra):
    return docgen("generate", EXAMPLE_SPEC, "--out", out, "--docs", 2, "--backend", "fake", *extra,
                  test_backends=True)


# 1. errors speak in flags; required flags show as required
def test_required_out_is_shown_and_reported_as_a_flag(tmp_path):
    usage = docgen("generate", "--help").stdout
    assert "--out DIR" in " ".join(usage.split()) and "[--out" not in usage
    r = docgen("generate", EXAMPLE_SPEC, "--docs", 2)
    assert r.returncode == 2 and "the following arguments are required: --out" in r.stderr
    assert "Field required" not in r.stderr and "config.py" not in r.stderr


@pytest.mark.parametrize("args, said", [
    (["--docs", "0"], "argument --docs: must be ≥ 1"),
    (["--max-attempts", "0"], "argument --max-attempts: must be ≥ 1"),
    (["--temperature", "9"], "--temperature must be ≤ 2"),
    (["--max-attempts", "11"], "--max-attempts must be ≤ 10"),
])
def test_bad_values_are_reported_by_flag_not_config_field(tmp_path, args, said):
    r = docgen("generate", EXAMPLE_SPEC, "--out", tmp_path / "run", *args)
    assert r.returncode == 2 and said in r.stderr, r.stderr
    for internal in ("params.", "Input should", "config.py", "Traceback"):
        assert internal not in r.stderr
    assert not (tmp_path / "run").exists()


# 2. --debug anywhere; a user error still exits 2
@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_anywhere_and_user_errors_still_exit_2(tmp_path, where):
    cmd = ["generate", tmp_path / "nosuch.md", "--out", tmp_path / "x"]
    r = docgen(*(["--debug", *cmd] if where == "before" else [*cmd, "--debug"]))
    assert r.returncode == 2, r.stderr
    assert "unrecognized arguments" not in r.stderr
    assert "Traceback" in r.stderr and "error:" in r.stderr and "file not found" in r.stderr


# 3. no prefix matching; the closest flag is suggested with the subcommand's usage
@pytest.mark.parametrize("flag", ["--dcos", "--doc"])
def test_misspelt_and_abbreviated_flags_are_refused_with_a_suggestion(tmp_path, flag):
    r = docgen("generate", EXAMPLE_SPEC, "--out", tmp_path / "run", flag, 4, test_backends=True)
    assert r.returncode == 2
    assert "usage: docgen generate" in r.stderr and "did you mean --docs?" in r.stderr
    assert not (tmp_path / "run").exists()          # nothing ran


def test_misspelt_command_is_suggested():
    r = docgen("genrate", EXAMPLE_SPEC)
    assert r.returncode == 2 and "did you mean generate?" in r.stderr


# 4. validate RUN_DIR uses the spec the run recorded
def test_validate_defaults_to_the_runs_recorded_spec(tmp_path):
    out = tmp_path / "run"
    assert fake_run(out, "--no-filters").returncode == 0
    implicit = docgen("validate", out, "--json")
    explicit = docgen("validate", out, "--spec", EXAMPLE_SPEC, "--json")
    assert implicit.returncode == explicit.returncode and implicit.returncode in (0, 1), implicit.stderr
    assert json.loads(implicit.stdout) == json.loads(explicit.stdout)
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(json.dumps({"text": "hello"}) + "\n")
    r = docgen("validate", jsonl)
    assert r.returncode == 2 and "--spec SPEC is required" in r.stderr and "hint:" in r.stderr


# 5. the test double is not offered to users
def test_fake_backend_is_hidden_from_users(tmp_path):
    from docgen.backends import available_backends

    assert "fake" not in available_backends()
    assert "fake" not in docgen("generate", "--help").stdout and "fake" not in docgen("plan", "--help").stdout
    r = docgen("generate", EXAMPLE_SPEC, "--out", tmp_path / "run", "--backend", "fake")
    assert r.returncode == 2 and "no such backend" in r.stderr and "fake" not in r.stderr.split("hint:")[1]
    assert not (tmp_path / "run").exists()


# 6. a rerun that did nothing says so
def test_rerun_of_a_finished_run_says_nothing_to_do(tmp_path):
    out = tmp_path / "run"
    first = fake_run(out, "--no-filters")
    assert first.returncode == 0 and "docs/min" in first.stdout
    again = fake_run(out, "--no-filters")
    assert again.returncode == 0, again.stderr
    assert "nothing to do: 2 accepted, 0 failed" in again.stdout
    assert "docs/min" not in again.stdout and "tok/s" not in again.stdout


# 7. plan warns about rules with no document
def test_plan_warns_about_rules_it_leaves_without_a_document(shared_specs):
    r = docgen("plan", shared_specs / "pro_america_cheese.txt", "--docs", 4)
    assert r.returncode == 0, r.stderr
    assert "warning: 8 of 12 rules/values get no document with 4 document(s)" in r.stderr
    assert "--docs 12 gives each one document" in r.stderr
    full = docgen("plan", shared_specs / "pro_america_cheese.txt", "--docs", 12)
    assert "get no document" not in full.stderr and "--docs 12" not in full.stderr


# 8. no repeated --fill-gaps suggestion for cells a top-up already failed with the same model
def test_fill_gaps_is_not_suggested_again_for_cells_it_already_failed(tmp_path):
    out = tmp_path / "run"
    first = fake_run(out, "--max-attempts", 1)       # the echoed prompt is too short: every draft is rejected
    assert "rerun with --fill-gaps" in " ".join(first.stdout.split()), first.stdout
    topped = fake_run(out, "--max-attempts", 1, "--fill-gaps")
    assert topped.returncode == 4, topped.stderr      # 4: planned documents failed permanently
    said = " ".join(topped.stdout.split())
    assert "rerun with --fill-gaps" not in said
    assert "--fill-gaps already tried each of them with fake's default model" in said
    assert "A more capable model is what fills them" in said


def test_embedded_model_ending_says_what_the_run_did_and_what_a_capable_model_changes(tmp_path):
    from docgen import cli
    from docgen.config import load_config
    from docgen.coverage import Thresholds

    out = tmp_path / "run"
    assert fake_run(out, "--max-attempts", 1).returncode == 4       # every draft rejected: exit 4
    cfg = load_config(None, {"spec": str(EXAMPLE_SPEC), "out": str(out), "backend": "local"})
    buf = io.StringIO()
    with redirect_stdout(buf):
        cli._print_coverage(cfg, out, Thresholds())
    text = " ".join(buf.getvalue().split())
    assert "The run did what it should" in text and "--backend openai or anthropic" in text


def test_readme_commands_use_only_flags_that_help_lists():
    import argparse
    import re

    from docgen.cli import build_parser

    def flags(parser) -> set[str]:
        out = set()
        for a in parser._actions:
            out.update(a.option_strings)
            if isinstance(a, argparse._SubParsersAction):
                for sub in a.choices.values():
                    out |= flags(sub)
        return out

    top = build_parser()
    subs = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices
    readme = (REPO / "README.md").read_text()
    checked = 0
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        command = None
        for line in block.splitlines():
            m = re.match(r"\s*(?:\.venv/bin/)?docgen ([\w-]+)", line)
            if m:
                command = m.group(1)
            elif not line.startswith(" "):
                command = None
            if command is None:
                continue
            assert command in subs, line
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line.split("#")[0]):
                assert flag in flags(subs[command]) | {"--debug"}, f"README: {line.strip()} ({flag})"
                checked += 1
    assert checked > 30


def test_a_resumed_run_reports_its_own_time_and_rate(tmp_path):
    out = tmp_path / "run"
    first = fake_run(out, "--no-filters")
    assert first.returncode == 0
    before = int(re.search(r"accepted (\d+)", first.stdout).group(1))
    more = fake_run(out, "--no-filters", "--fill-gaps")        # the rules --docs 2 left out get theirs
    assert more.returncode == 0, more.stderr
    after = int(re.search(r"accepted (\d+)", more.stdout).group(1))
    new_docs = after - before
    assert new_docs >= 1
    line = next(l for l in more.stdout.splitlines() if l.strip().startswith("time "))
    rate = float(line.split("docs/min")[0].split()[-1])
    took = float(line.split()[1].rstrip("s"))
    assert abs(rate - 60 * new_docs / took) < 0.1 * rate + 0.1  # the new documents over this run's time
