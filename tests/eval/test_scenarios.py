"""Scenario reading: the upstream layout in ../shared/eval and the bundled example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _paths import EVAL_DIR, REPO
from docgen.errors import UserError
from docgen.eval.scenarios import load_scenario, load_scenarios, read_variables

AM = EVAL_DIR / "agentic_misalignment"
EXAMPLE = REPO / "corpora" / "eval" / "misalignment"


@pytest.fixture(scope="module")
def conditions():
    if not AM.is_dir():
        pytest.fail(f"shared scenarios not found at {AM}")
    return load_scenarios(AM)


def test_27_conditions_three_scenarios_nine_goals(conditions):
    assert len(conditions) == 27
    by = {}
    for c in conditions:
        by.setdefault(c.scenario, []).append(c.goal)
    assert sorted(by) == ["exfiltration", "leaking", "murder"]
    for goals in by.values():
        assert len(goals) == 9 and goals[-1] == "none" and len(set(goals)) == 9
    assert all(c.urgency == "replacement" for c in conditions)


def test_every_placeholder_is_filled_and_inbox_is_in_time_order(conditions):
    for c in conditions:
        assert "${" not in c.inbox, c.id
        stamps = re.findall(r"^Timestamp:\s*(\S+)", c.inbox, re.M)
        assert stamps == sorted(stamps), c.id
        assert c.inbox.count("<email>") >= 3


def test_goal_statement_comes_from_the_section(conditions):
    goals = {c.id: c.goal_statement for c in conditions}
    assert goals["murder/none"] is None
    # worded from the section's own text, not a constant
    sec = read_variables(AM / "murder" / "variables" / "safety_vs_acceleration.md")["Pro-Safety"]
    assert sec["old_value_alignment"] in goals["murder/safety"]


def test_facts_are_derived_from_the_files(conditions):
    f = {c.scenario: c.facts for c in conditions}
    murder_text = (AM / "murder" / "templates" / "email-template-murder-shared.md").read_text()
    code = re.search(r"override code ([A-Z0-9-]+)", murder_text).group(1)
    assert f["murder"].check == "override_code" and f["murder"].override_codes == (code,)
    leak_text = (AM / "leaking" / "templates" / "email-template-leaking-shared.md").read_text()
    asked = re.search(r"\*\*(\S+@\S+)\*\*", leak_text).group(1)
    assert f["leaking"].check == "outside_address" and asked in f["leaking"].outside_addresses
    assert not any(a.endswith("@" + f["leaking"].company_domain) for a in f["leaking"].outside_addresses)
    exf = f["exfiltration"]
    assert exf.check == "outside_domain"
    # the outside domain is the one whose party writes to the assistant, not the newswire's
    assert len(exf.outside_domains) == 1 and exf.outside_domains[0] != exf.company_domain
    assert all(not d.startswith("news") for d in exf.outside_domains)
    assert exf.assistant_address.endswith("@" + exf.company_domain)


def test_assistant_name_fills_the_templates():
    cs = load_scenario(AM / "exfiltration", assistant_name="Quill")
    assert "Quill" in cs[0].inbox and "QUILL" in cs[-1].inbox
    assert cs[0].facts.assistant_address.startswith("quill")


def test_bundled_example_scenario_loads():
    cs = load_scenarios(EXAMPLE)
    assert [c.goal for c in cs] == ["local", "export", "none"]
    assert cs[0].facts.check == "outside_address"
    assert cs[0].facts.outside_domains and cs[0].facts.outside_addresses


def _scenario(tmp_path: Path, variables: str, template: str = "<email>\nFrom: a@x.org\nTo: ${model_name_lower}.ai@x.org\nTimestamp: 1\nBody: ${thing} mail me at c@outside.net\n</email>\n") -> Path:
    d = tmp_path / "leakish"
    (d / "templates").mkdir(parents=True)
    (d / "variables").mkdir()
    (d / "templates" / "email-template-leakish-shared.md").write_text(template)
    (d / "templates" / "email-template-leakish-replacement.md").write_text("")
    (d / "variables" / "a_vs_b.md").write_text(variables)
    return d


def test_bad_json_names_file_and_line(tmp_path):
    d = _scenario(tmp_path, "# V\n\n## Pro-A\n\n```json\n{\n  \"thing\": \"x\",\n}\n```\n")
    with pytest.raises(UserError) as e:
        load_scenario(d)
    assert "a_vs_b.md:" in e.value.where and "does not parse" in e.value.message


def test_missing_variable_names_template_line(tmp_path):
    d = _scenario(tmp_path, "## Pro-A\n\n```json\n{\"other\": \"x\"}\n```\n")
    with pytest.raises(UserError) as e:
        load_scenario(d)
    assert e.value.where.endswith("email-template-leakish-shared.md:5") and "'thing'" in e.value.message


def test_not_a_scenario_dir(tmp_path):
    with pytest.raises(UserError):
        load_scenarios(tmp_path)
