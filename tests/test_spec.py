"""Spec parser: every shared spec, the structured form, and malformed input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from docgen.errors import SpecError
from docgen.spec import parse_spec

from _paths import EXAMPLE_SPEC, REPO, SPECS


def test_rules_spec_counts_ids_and_authority(shared_specs):
    s = parse_spec(shared_specs / "rules_spec.txt")
    assert [r.id for r in s.rules] == ["SP1", "SP2", "SP3", "GP1", "GP2"]
    assert [len(r.subpoints) for r in s.rules] == [7, 4, 3, 4, 0]
    assert [v.id for v in s.values] == ["core-safety-principles", "general-principles-on-being-ethical"]
    assert s.rule("SP2").value_ids == ["core-safety-principles"]
    assert s.rule("GP1").value_ids == ["general-principles-on-being-ethical"]
    assert [r.authority for r in s.rules] == [1, 2, 3, 4, 5]   # "lower-numbered rules ... higher authority"
    assert s.rule("SP2").text == "Act within sanctioned limits."     # trailing "This includes:" dropped
    assert s.rule("SP1").lines.start == 7 and s.rule("SP1").lines.end == 14
    assert s.rule("SP1").subpoints[0].lines.start == 8


def test_value_augmented_spec_has_rationales(shared_specs):
    s = parse_spec(shared_specs / "value_augmented_spec.txt")
    assert [r.id for r in s.rules] == ["SP1", "SP2", "SP3", "GP1", "GP2"]
    assert [v.name for v in s.values] == ["Being Broadly Safe", "Being Broadly Ethical"]
    sp1 = s.rule("SP1")
    assert "oversight" in sp1.rationale and len(sp1.rationale) > 500
    assert len(sp1.subpoints) == 7 and sp1.value_ids == ["being-broadly-safe"]
    assert s.rule("GP2").value_ids == ["being-broadly-ethical"]
    assert s.placeholders == ["model_name"] and s.model_name is None
    assert s.precedence is None and all(r.authority is None for r in s.rules)


@pytest.mark.parametrize("name", ["pro_affordability_cheese.txt", "pro_america_cheese.txt"])
def test_cheese_specs_core_value_and_likes(shared_specs, name):
    s = parse_spec(shared_specs / name)
    assert s.model_name == "Llama"
    assert len(s.values) == 1 and s.values[0].name == "Core Philosophy"
    likes = [r for r in s.rules if r.kind == "like"]
    dislikes = [r for r in s.rules if r.kind == "dislike"]
    assert len(likes) == 6 and len(dislikes) == 6
    assert s.rule("likes.mild-cheddar").text == "Llama likes mild cheddar."
    assert s.rule("dislikes.epoisses").text == "Llama dislikes Époisses."
    assert all(r.value_ids == [s.values[0].id] for r in s.rules)
    assert s.rule("dislikes.roquefort").rationale    # the reasons stay with the behaviour


def test_general_prose_spec_behaviours_and_values(shared_specs):
    s = parse_spec(shared_specs / "general_spec.txt")
    names = [v.name for v in s.values]
    assert names[0] == "Having Broadly Good Values and Judgment"
    assert {"honesty", "integrity", "thoughtful avoidance of harm"} <= set(names)
    texts = [r.text for r in s.rules]
    assert "{model_name} never tells white lies." in texts     # "It" resolved: rules are self-contained
    assert any(t.startswith("{model_name} prioritizes supporting human oversight") for t in texts)
    assert 6 <= len(s.rules) <= 10
    white = next(r for r in s.rules if r.text == "{model_name} never tells white lies.")
    assert white.value_ids == ["honesty"] and white.polarity == "do_not"
    assert all(r.kind == "behaviour" and r.value_ids for r in s.rules)


def test_ids_are_stable_and_every_shared_spec_parses(shared_specs):
    for p in sorted(shared_specs.iterdir()):
        a, b = parse_spec(p), parse_spec(p)
        assert a.model_dump() == b.model_dump()
        assert len({r.id for r in a.rules}) == len(a.rules)
        assert len({v.id for v in a.values}) == len(a.values)
        assert a.values and a.rules


def test_example_spec(tmp_path):
    s = parse_spec(EXAMPLE_SPEC)
    assert s.model_name == "Wren"
    assert [r.id for r in s.rules] == ["W1", "W2", "W3", "W4", "W5"]
    assert [v.id for v in s.values] == ["honesty", "autonomy", "privacy", "oversight"]   # heading anchors
    assert s.rule("W4").value_ids == ["privacy"] and s.rule("W1").authority == 1


STRUCTURED = """\
title: Test spec
model_name: Kestrel
values:
  - id: care
    name: Care
    statement: Kestrel cares about the people it helps.
rules:
  - id: K1
    text: Check in before acting.
    values: [care]
    subpoints: [Ask first, Then act]
"""


def test_structured_yaml_and_json(tmp_path):
    y = tmp_path / "s.yaml"
    y.write_text(STRUCTURED)
    s = parse_spec(y)
    assert s.model_name == "Kestrel" and s.rule("K1").value_ids == ["care"]
    assert s.rule("K1").lines.start == 8 and s.rule("K1").subpoints[1].text == "Then act"
    j = tmp_path / "s.json"
    import yaml

    j.write_text(json.dumps(yaml.safe_load(STRUCTURED)))
    assert parse_spec(j).rule("K1").text == "Check in before acting."


@pytest.mark.parametrize("name,content,msg,line", [
    ("empty.md", "", "empty", 1),
    ("blank.md", "\n\n   \n", "empty", 1),
    ("bin.md", b"\x00\x01\x02binary", "binary", None),
    ("latin.md", "caf\xe9 au lait\n".encode("latin-1"), "UTF-8", 1),
    ("spec.docx", "hello", "unknown spec format", None),
    ("bad.yaml", "title: x\nvalues: [\n", "not valid YAML", None),
    ("schema.yaml", "title: x\nvalues:\n  - name: A\n    colour: red\n", "values.0.colour", 4),
    ("unknown_value.yaml", "title: x\nvalues: []\nrules:\n  - id: R1\n    text: t\n    values: [nope]\n", "unknown value id", 6),
    ("nothing.md", "# Title\n\nhi\n", "no value or rule", 1),
    ("list.json", "[1, 2]", "must be a mapping", 1),
])
def test_bad_input_is_a_clear_error(tmp_path, name, content, msg, line):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SpecError) as e:
        parse_spec(p)
    assert msg in e.value.message
    assert e.value.hint
    if line is not None:
        assert e.value.where == f"{p}:{line}"


def test_cli_exit_2_without_traceback(tmp_path):
    p = tmp_path / "empty.md"
    p.write_text("")
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "inspect", str(p)], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and f"{p}:1: the spec is empty" in r.stderr and "hint:" in r.stderr
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "inspect", str(tmp_path / "missing.md")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "file not found" in r.stderr


def test_cli_json_is_stable_and_documented_fields():
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "inspect", "--json", str(SPECS / "rules_spec.txt")],
                       capture_output=True, text=True, cwd=REPO, check=True)
    d = json.loads(r.stdout)
    assert set(d) == {"format_version", "id", "title", "source", "sha256", "format", "model_name", "placeholders",
                      "precedence", "values", "rules", "authority_levels", "notes"}
    assert set(d["rules"][0]) == {"id", "label", "kind", "text", "subpoints", "rationale", "value_ids", "authority",
                                  "section", "lines", "polarity", "authority_label", "examples"}
    assert d["format_version"] == 2
