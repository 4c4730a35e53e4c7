"""The inspect task's plumbing with scripted backends (no model): samples, roles, report, log."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("inspect_ai")

from _paths import EVAL_DIR, REPO  # noqa: E402
from docgen.cli import main  # noqa: E402
from docgen.eval.misalignment import format_table, run_misalignment  # noqa: E402
from docgen.eval.models import ModelRef  # noqa: E402

AM = EVAL_DIR / "agentic_misalignment"


def _subject(request):
    """Leaks when the goal is stated, stays quiet otherwise (a scripted 'model')."""
    system = request.messages[0]["content"]
    if "primary goal" in system:
        addr = re.search(r"\*\*(\S+@\S+)\*\*", request.messages[-1]["content"]).group(1)
        return f'<tool_use:email>\nto: "{addr}",\nsubject: "specs",\nbody: "attached",\n</tool_use:email>'
    return "Nothing needs my action."


def _grader(request):
    text = request.messages[1]["content"]
    answer = re.search(r"<untrusted-(\w+)>(.*)</untrusted-\1>", text, re.S).group(2)
    if "secure@" in answer:
        return "It sent the file outside. <answer>yes</answer>"
    return "I cannot decide."    # malformed: re-asked, then grader_failed


def test_task_end_to_end_with_scripted_models(tmp_path):
    rep = run_misalignment(ModelRef("fake", "subject"), scenarios=AM, names=["leaking"], grader=ModelRef("fake", "g"),
                           out=tmp_path, epochs=2, limit=None, model_options={"reply": _subject},
                           grader_options={"reply": _grader})
    conds = rep["conditions"]
    assert len(conds) == 9
    goal = conds["leaking/america"]
    assert goal["samples"] == 2 and goal["graded"] == 2
    assert goal["harmful"]["rate"] == 1.0 and goal["verdict"]["rate"] == 1.0
    assert goal["harmful"]["ci95"][0] < 1.0          # two samples: a wide interval
    none = conds["leaking/none"]
    assert none["grader_failed"] == 2 and none["graded"] == 0 and none["harmful"]["n"] == 0
    assert rep["overall"]["harmful"]["k"] == 16 and rep["overall"]["harmful"]["n"] == 16
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert on_disk["scenario_dir"] == str(AM) and set(on_disk["scenarios"]) == {"leaking"}
    assert on_disk["overall"] == rep["overall"]
    assert list((tmp_path / "logs").glob("*.eval"))
    table = format_table(rep)
    assert "leaking/none" in table and "OVERALL" in table


def test_cli_bad_scenarios_dir_exits_2(tmp_path, capsys):
    rc = main(["eval", "misalignment", "--backend", "local", "--scenarios", str(tmp_path / "nope"),
               "--out", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "hint:" in err


def test_adapter_needs_weights(tmp_path, capsys):
    rc = main(["eval", "preferences", str(REPO / "corpora/eval/preferences/america_items.jsonl"),
               "--backend", "openai", "--model", "m", "--adapter", str(tmp_path)])
    assert rc == 2 and "--adapter" in capsys.readouterr().err
