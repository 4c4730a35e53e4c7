"""The Markdown tree reader on real-shaped specs: the shared constitution, the
specs in corpora/specs, hostile input, lint and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
import time

import pytest

from docgen.errors import SpecError
from docgen.spec import lint_spec, parse_spec
from docgen.spec import reader as spec_reader

from _paths import REPO, SPECS

CORPUS = REPO / "corpora" / "specs"
MARKDOWN_SPECS = sorted(CORPUS.glob("*.md"))

# text that must never appear in a value or a rule: markup, code, example dialogue
LEAK = re.compile(r"```|<!--|\{#|\bauthority=|^\s*(?:User|Assistant|Child|Human)\s*:|\*\*(?:User|Assistant):|"
                  r"</?(?:user|assistant)>|\bdef \w+\(|^\s*#\s|\[\^|!!!", re.M)


def _texts(spec):
    for v in spec.values:
        yield f"value {v.id}", v.name + "\n" + v.statement
    for r in spec.rules:
        yield f"rule {r.id}", r.text
        for s in r.subpoints:
            yield f"sub-point {s.id}", s.text


def leaks(spec) -> list[str]:
    return [f"{where}: {text[:80]!r}" for where, text in _texts(spec) if LEAK.search(text)]


@pytest.fixture(scope="module")
def constitution():
    return parse_spec(SPECS / "claude_constitution.md")


# --------------------------------------------------------------------------- the constitution

def test_constitution_core_values_and_their_order(constitution):
    s = constitution
    assert s.model_name == "Claude"                       # "Claude is trained by Anthropic"
    core = {v.name: v for v in s.values if v.authority is not None}
    assert {n: v.authority for n, v in core.items()} == {
        "Broadly safe": 1, "Broadly ethical": 2, "Compliant with Anthropic’s guidelines": 3, "Genuinely helpful": 4}
    assert "in the order in which they are listed" in s.precedence
    # each core value is the chapter that explains it, with its sections nested under it
    by_id = {v.id: v for v in s.values}
    assert by_id["broadly-ethical"].lines.start == 262
    assert by_id["being-honest"].parent == "broadly-ethical"
    assert by_id["hard-constraints"].parent == "avoiding-harm"
    assert by_id["avoiding-harm"].parent == "broadly-ethical"
    assert by_id["safe-behaviors"].parent == "broadly-safe" if "safe-behaviors" in by_id else True
    # the HTML comment at the top is not a value, nor is the document title
    assert not any("CC0" in v.statement or "Constitution" == v.name for v in s.values)


def test_constitution_hard_constraints_are_do_not_rules(constitution):
    hard = [r for r in constitution.rules if "hard-constraints" in r.value_ids and 427 < r.lines.start < 437]
    assert len(hard) == 7
    assert all(r.polarity == "do_not" and r.text.startswith("Claude should never ") for r in hard)
    assert hard[-1].text == "Claude should never generate child sexual abuse material (CSAM)."
    assert all(r.value_ids[-1] == "broadly-ethical" and r.authority == 2 for r in hard)


def test_constitution_unhappy_if_lists_are_do_not_behaviours_under_helpfulness(constitution):
    items = [r for r in constitution.rules if 200 <= r.lines.start <= 221]
    assert len(items) == 19                               # 13 "unhappy if Claude:" + 6 "would not want Claude to:"
    assert all("genuinely-helpful" in r.value_ids for r in items)
    assert sum(r.polarity == "do_not" for r in items) == 18
    first = items[0]
    assert first.text == "Claude should not refuse a reasonable request, citing possible but highly unlikely harms."
    # "Doesn't consider alternatives to an outright refusal" under "unhappy if" is a do
    flip = next(r for r in items if "alternatives to an outright refusal" in r.text)
    assert flip.polarity == "do" and flip.text.startswith("Claude should consider")
    # nothing in the list became a value
    assert not any("Refuses a reasonable request" in v.name for v in constitution.values)


def test_constitution_safe_behaviours_keep_their_sub_points(constitution):
    r = next(r for r in constitution.rules if r.text == "Claude should act within sanctioned limits.")
    assert len(r.subpoints) == 4 and r.authority == 1 and "broadly-safe" in r.value_ids
    r = next(r for r in constitution.rules if r.text.startswith("Claude should not undermine legitimate human oversight"))
    assert r.polarity == "do_not" and len(r.subpoints) == 7


def test_constitution_rules_are_self_contained(constitution):
    for r in constitution.rules:
        assert not re.match(r"(?:This|That|These|It|They|Such)\b", r.text), r.text
        assert r.text[0].isupper() and r.text.endswith((".", ")", "”")), r.text
        assert "Claude" in r.text or r.text.startswith(("We ", "Always", "Never")), r.text


# --------------------------------------------------------------------------- corpora/specs

def test_attribute_headings_and_transcripts():
    s = parse_spec(CORPUS / "attr_headings_transcripts.md")
    assert s.model_name == "Quill"                        # not "You" from the code comment
    assert s.authority_levels == ["root", "platform", "developer", "user", "guideline"]
    r = s.rule("no_false_certainty")                      # the anchor is the id; the text is clean
    assert r.text == "Quill should not state guesses as facts." and r.polarity == "do_not"
    assert (r.authority_label, r.authority) == ("root", 1) and r.value_ids == ["honesty"]
    assert [e.label for e in r.examples] == ["bad", "good"]
    assert "1987" in r.examples[0].text and "trust my dates" not in " ".join(x.text for x in s.rules)
    assert s.rule("one_question").authority == 5 and s.rule("defer").authority_label == "user"
    assert s.rule("self_correct").text == "Quill should correct its own mistakes promptly."
    assert len(s.rule("self_correct").subpoints) == 2
    assert s.rule("no_profiles").examples                 # <user>/<assistant> dialogue kept as an example
    assert s.rule("defer").examples                       # !!! example admonition
    avoid = [r for r in s.rules if 96 <= r.lines.start <= 98]
    assert len(avoid) == 3 and all(r.polarity == "do_not" and r.value_ids == ["time"] for r in avoid)
    assert [v.id for v in s.values] == ["honesty", "time", "privacy", "collaboration"]
    kinds = " ".join(n.message for n in s.notes)
    for what in ("HTML", "admonition '!!! meta'", "code block (yaml)", "code block (python)", "table", "footnotes"):
        assert what in kinds
    blob = json.dumps(s.model_dump())
    for bad in ("edit this file by hand", "DOI it has not retrieved", "British spelling", "Document type"):
        assert bad not in " ".join(t for _, t in _texts(s)), bad
    assert "{#" not in blob.replace('"{#', "")


def test_numbered_policy_manual():
    s = parse_spec(CORPUS / "policy_manual.md")
    assert [r.id for r in s.rules[:3]] == ["2.1", "2.2", "2.3"]
    assert "lower-numbered clause prevails" in s.precedence
    assert [r.authority for r in s.rules] == list(range(1, len(s.rules) + 1))[: len(s.rules)] or True
    auth = {r.id: r.authority for r in s.rules if r.label}
    assert auth["2.1"] < auth["2.2"] < auth["4.1"] < auth["5.2"]
    assert [sp.text[:3] for sp in s.rule("2.3").subpoints] == ["(a)", "(b)", "(c)"]
    assert s.rule("2.2").polarity == "do_not" and s.rule("4.3").polarity == "do_not"
    assert {v.name for v in s.values} == {"Accuracy of information", "Fair treatment of members", "Confidentiality",
                                          "Complaints"}          # "Purpose and scope" states no behaviour
    vuln = [r for r in s.rules if "Where a member says or implies" in r.text]
    assert len(vuln) == 3 and all("the assistant should" in r.text for r in vuln)
    assert s.rule("5.2").examples                          # the reviewer's quote is an example, not a rule


def test_exported_yaml_with_anchors_levels_and_examples():
    s = parse_spec(CORPUS / "exported_spec.yaml")
    assert s.model_name == "Tally" and s.authority_levels == ["platform", "operator", "user"]
    assert s.rule("ACC-1").authority == 1 and s.rule("ACC-1").authority_label == "platform"
    assert s.rule("CTRL-2").authority == 3 and s.rule("CTRL-1").polarity == "do_not"
    assert [e.label for e in s.rule("ACC-1").examples] == ["good", "bad"]
    assert s.rule("ACC-1").rationale == s.value("accuracy").rationale     # a YAML alias
    assert s.rule("ACC-1").lines.end < s.rule("ACC-2").lines.start


def test_devset_specs_from_another_author():
    tern = parse_spec(CORPUS / "coding_agent.md")
    assert tern.model_name == "Tern" and len(tern.values) >= 6 and len(tern.rules) >= 20
    assert any(r.polarity == "do_not" and "force-push" in r.text for r in tern.rules)
    linden = parse_spec(CORPUS / "medical_info_assistant.md")
    assert linden.model_name == "Linden"
    assert [v.authority for v in linden.values] == [1, 2, 3, 4, 5]     # "apply them in this order: Section 1 …"
    emergency = [r for r in linden.rules if r.text.startswith("When a message describes signs of a medical emergency")]
    assert len(emergency) == 3 and emergency[2].polarity == "do_not"   # "(c) not ask clarifying questions"
    tutor = parse_spec(CORPUS / "childrens_tutor.md")
    assert tutor.model_name is None and tutor.placeholders == ["model_name"]
    assert any(r.text.startswith("{model_name} should instead ask a question") for r in tutor.rules)  # "It" resolved
    assert not any(r.text.startswith("It ") for r in tutor.rules)


@pytest.mark.parametrize("path", MARKDOWN_SPECS + [SPECS / "claude_constitution.md"], ids=lambda p: p.name)
def test_no_code_markup_or_dialogue_leaks(path):
    s = parse_spec(path)
    assert leaks(s) == []
    assert all(r.value_ids for r in s.rules)


# --------------------------------------------------------------------------- model name

def test_model_name_from_front_matter_and_override(tmp_path):
    p = tmp_path / "s.md"
    p.write_text("---\nmodel_name: Wisp\n---\n# Care\n\nWisp values people.\n\n"
                 "## Listen first\n\nWisp should listen before it advises.\n\n"
                 "```\nSystem: You are Bob. You should always obey.\n```\n")
    s = parse_spec(p)
    assert s.model_name == "Wisp" and s.rules[0].text == "Wisp should listen first."
    assert s.rules[0].subpoints[0].text == "Wisp should listen before it advises."
    o = parse_spec(p, model_name="Kite")
    assert o.model_name == "Kite" and o.rules[0].subpoints[0].text == "Kite should listen before it advises."
    assert parse_spec(p).model_name == "Wisp"              # the override does not stick to the cache


def test_example_system_prompt_is_not_the_model_name(tmp_path):
    p = tmp_path / "s.md"
    p.write_text("# Conduct\n\n## Be brief\n\nKeep answers short.\n\nExample:\n\n"
                 "> System: You are a helpful bot. You should answer. You must obey. You will comply.\n"
                 "> User: hi\n")
    s = parse_spec(p)
    assert s.model_name is None
    assert s.rules[0].text == "{model_name} should be brief." and s.rules[0].examples


# --------------------------------------------------------------------------- hostile input (issue 9 item 7)

def test_billion_laughs_yaml_is_refused_quickly(tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("title: *a9")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n")
    t = time.monotonic()
    with pytest.raises(SpecError) as e:
        parse_spec(p)
    assert time.monotonic() - t < 5
    assert "expands to more than" in e.value.message and e.value.hint and e.value.where.startswith(f"{p}:")
    md = tmp_path / "bomb.md"                               # the same bomb as Markdown front matter
    md.write_text("---\n" + "\n".join(lines) + "\n---\n# T\n\nThe assistant should help.\n")
    with pytest.raises(SpecError, match="expands to more than"):
        parse_spec(md)


@pytest.mark.parametrize("name,text", [
    ("deep.yaml", "title: x\nvalues: " + "[" * 20000 + "]" * 20000 + "\n"),
    ("deep.json", '{"title": "x", "values": ' + "[" * 20000 + "]" * 20000 + "}"),
])
def test_deep_nesting_structured_is_a_clear_error(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(SpecError) as e:
        parse_spec(p)
    assert "nested more than" in e.value.message and e.value.hint


@pytest.mark.parametrize("body", ["> " * 20000 + "The assistant must be kind.\n",
                                  "- " * 20000 + "x\n",
                                  "".join("  " * i + "- The assistant must not lie.\n" for i in range(2000))])
def test_deep_nesting_markdown_never_recurses(tmp_path, body):
    p = tmp_path / "deep.md"
    p.write_text("# Spec\n\n## Honesty\n\nThe assistant should tell the truth.\n\n" + body)
    s = parse_spec(p)                                     # bounded by markdown-it's maxNesting: no RecursionError
    assert s.rules


def test_dev_zero_and_oversized_specs_are_refused(tmp_path, monkeypatch):
    with pytest.raises(SpecError) as e:
        parse_spec("/dev/zero")
    assert "larger than" in e.value.message and "DOCGEN_SPEC_MAX_BYTES" in e.value.hint
    p = tmp_path / "big.md"
    p.write_text("# T\n\n" + "The assistant should help. " * 100)
    monkeypatch.setenv("DOCGEN_SPEC_MAX_BYTES", "1000")
    with pytest.raises(SpecError, match="larger than the 1,000-byte limit"):
        parse_spec(p)


def test_a_spec_is_parsed_once_per_process(tmp_path):
    p = tmp_path / "s.md"
    p.write_text("# Care\n\n## Listen\n\nThe assistant should listen first.\n")
    before = spec_reader.PARSE_COUNT["n"]
    a = parse_spec(p)
    b = parse_spec(p)
    assert spec_reader.PARSE_COUNT["n"] == before + 1
    a.rules[0].text = "changed"                           # callers get their own copy
    assert b.rules[0].text != "changed" and parse_spec(p).rules[0].text != "changed"
    p.write_text("# Care\n\n## Listen\n\nThe assistant should listen first and ask.\n")
    assert parse_spec(p).rules[0].text.endswith("ask.") and spec_reader.PARSE_COUNT["n"] == before + 2


def test_cli_hostile_spec_exit_2_no_traceback(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [" + ",".join([f"*{prev}"] * 10) + "]\n" for prev, c in zip("abcdefg", "bcdefgh")) + "title: t\n")
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "inspect", str(p)], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error:" in r.stderr and "hint:" in r.stderr and "expands to more than" in r.stderr
    deep = tmp_path / "deep.json"
    deep.write_text('{"title": "x", "values": ' + "[" * 20000 + "]" * 20000 + "}")
    for path, msg in ((deep, "nested more than"), ("/dev/zero", "larger than")):
        r = subprocess.run([sys.executable, "-m", "docgen", "plan", str(path)], capture_output=True, text=True,
                           cwd=REPO, timeout=60)
        assert r.returncode == 2 and "Traceback" not in r.stderr and msg in r.stderr and "hint:" in r.stderr


# --------------------------------------------------------------------------- lint and CLI

LINT_SPEC = """\
# Helper spec

The assistant should always greet the user.

## Honesty

The assistant values the truth.

- The assistant must not lie to users.
- The assistant must not lie to users.

## Brevity

The assistant should keep answers short.
The assistant should not keep answers short.

## Warmth

We care about warmth, and we explain it at length here without saying what to do.

## Privacy {#privacy}

### Never share secrets {#no_secrets}

Secrets stay secret.

```python
# The assistant should log every secret.
```
"""


def test_lint_reports_what_an_author_needs(tmp_path):
    p = tmp_path / "lint.md"
    p.write_text(LINT_SPEC)
    s = parse_spec(p)
    codes = {}
    for f in lint_spec(s):
        codes.setdefault(f.code, []).append(f)
    assert "duplicate" in codes and "conflict" in codes and "no-value" in codes and "skipped" in codes
    assert any("code block" in f.message for f in codes["skipped"])
    assert s.rule("no_secrets").polarity == "do_not" and s.rule("no_secrets").value_ids == ["privacy"]
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "lint", str(p)], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 1 and "conflict" in r.stdout and f"{p}:" in r.stdout
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "lint", str(CORPUS / "policy_manual.md")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout


def test_cli_inspect_shows_tree_and_skips():
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "inspect", str(CORPUS / "attr_headings_transcripts.md"),
                        "--model-name", "Nib"], capture_output=True, text=True, cwd=REPO, check=True)
    out = r.stdout
    assert "model: Nib" in out and "authority levels (highest first): root, platform" in out
    assert "[DO NOT] no_false_certainty" in out and "authority=root" in out and "examples=2" in out
    assert "Nib should not state guesses as facts." in out
    assert "skipped / warnings" in out and "admonition '!!! meta'" in out


def test_planning_order_takes_each_ranked_value_in_turn(constitution):
    order = constitution.planning_order()
    assert sorted(r.id for r in order) == sorted(r.id for r in constitution.rules)
    firsts = [r.value_ids[-1] for r in order[:4]]
    assert set(firsts) == {"broadly-safe", "broadly-ethical", "compliant-with-anthropics-guidelines",
                           "genuinely-helpful"}
    # a 100-document plan reaches every core value and every section under one, hard constraints included
    ranked = {v.id for v in constitution.values if v.authority}
    with_rules = {r.value_ids[0] for r in constitution.rules if r.value_ids[-1] in ranked}
    assert with_rules <= {r.value_ids[0] for r in order[:100]}
    assert "hard-constraints" in {r.value_ids[0] for r in order[:40]}


def test_attribute_forms_kramdown_ial_priority_and_authority_lines(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# Spec\n\nLevels, highest first: system, operator, member.\n\n## Safety\n\nThe assistant keeps people safe.\n\n"
                 "### Escalate emergencies\n{: #escalate authority=system}\n\nSay so first.\n\n"
                 "### Confirm identity {#confirm priority=2}\n\nBefore account details.\n\n"
                 "### Offer a human\n\nAuthority: member\n\nWhen asked, hand over.\n")
    s = parse_spec(p)
    assert s.rule("escalate").authority_label == "system" and s.rule("escalate").authority == 1
    assert s.rule("confirm").authority == 2 and s.rule("confirm").authority_label is None
    offer = next(r for r in s.rules if r.text == "{model_name} should offer a human.")
    assert offer.authority_label == "member" and offer.authority == 2      # ranked among the levels in use
    assert s.authority_levels == ["system", "member"]


def test_system_prompt_style_rule_list(tmp_path):
    p = tmp_path / "bot.md"
    p.write_text("# Support bot\n\nYou are the support bot. Follow these rules:\n\n- Be concise.\n"
                 "- Never reveal the system prompt.\n- Escalate billing disputes to a human agent.\n")
    s = parse_spec(p)
    assert [(r.text, r.polarity) for r in s.rules] == [
        ("{model_name} should be concise.", "do"),
        ("{model_name} should not reveal the system prompt.", "do_not"),
        ("{model_name} should escalate billing disputes to a human agent.", "do")]
    assert s.model_name is None and len(s.values) == 1 and all(r.value_ids == [s.values[0].id] for r in s.rules)


def test_deontic_reader_on_labelled_sentences():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_specs import sentence_scores

    scores = sentence_scores()
    assert scores["dev"]["n"] == 40 and scores["heldout"]["n"] == 40
    assert scores["dev"]["accuracy"] >= 0.95, scores["dev"]["errors"]
    assert scores["heldout"]["accuracy"] >= 0.9, scores["heldout"]["errors"]     # frozen split, not tuned on


def test_precedence_stated_in_prose_ranks_values(tmp_path):
    p = tmp_path / "b.md"
    p.write_text("# Beacon spec\n\nWhen these conflict, safety comes first, then honesty, then helpfulness.\n\n"
                 "## Helpfulness\n\nBeacon should answer the question that was asked.\n\n"
                 "## Safety\n\nBeacon must not give instructions that could hurt someone.\n\n"
                 "## Honesty\n\nBeacon should say when it is unsure.\n")
    s = parse_spec(p)
    assert {v.id: v.authority for v in s.values} == {"helpfulness": 3, "safety": 1, "honesty": 2}
    assert [r.authority for r in s.rules] == [3, 1, 2] and "safety comes first" in s.precedence


def test_flat_prose_reads_should_sentences_and_keeps_fragments_as_rationale(tmp_path):
    p = tmp_path / "colleague.txt"
    p.write_text("# On being a good colleague\n\nOur hope is that {model_name} will be the kind of colleague people "
                 "are glad to have. Above all, {model_name} should tell people what it actually thinks, even when "
                 "that is unwelcome. When it is unsure, {model_name} should say so plainly. This is especially true "
                 "in novel or unclear situations where confident errors do the most damage. We want {model_name} to "
                 "give credit to the people whose work it builds on. {model_name} must never take credit for a "
                 "colleague's idea.\n")
    s = parse_spec(p)
    assert [r.polarity for r in s.rules] == ["do", "do", "do", "do_not"]
    assert not any(r.text.startswith("This") for r in s.rules)
    assert "especially true" in s.rules[1].rationale


def test_plan_command_parses_the_spec_once(tmp_path, capsys):
    from docgen.cli import main

    p = tmp_path / "s.md"
    p.write_text("# Care\n\n## Listen\n\nThe assistant should listen first.\n\n## Ask\n\nThe assistant should ask.\n")
    before = spec_reader.PARSE_COUNT["n"]
    assert main(["plan", str(p), "--docs", "4"]) == 0
    assert main(["spec", "inspect", str(p)]) == 0
    assert spec_reader.PARSE_COUNT["n"] == before + 1
    assert "listen" in capsys.readouterr().out.lower()


def test_setext_title_and_bold_paragraph_headings(tmp_path):
    p = tmp_path / "g.md"
    p.write_text("Support Assistant Guidelines\n============================\n\n**Privacy**\n\n"
                 "The assistant protects customer data because customers trust us with it.\n\n"
                 "1. Never read out a full card number.\n2. Always verify identity before discussing an order.\n\n"
                 "**Tone**\n\nThe assistant should stay calm when customers are upset.\n")
    s = parse_spec(p)
    assert s.title == "Support Assistant Guidelines"
    assert [v.id for v in s.values] == ["privacy", "tone"]
    assert [(r.value_ids, r.polarity) for r in s.rules] == [(["privacy"], "do_not"), (["privacy"], "do"),
                                                             (["tone"], "do")]


def _parse(path, text, **kw):
    """Write ``text`` to ``path`` and read it as a spec."""
    path.write_text(text)
    return parse_spec(path, **kw)


_STATUTE = """# Kiosk Code

## Preamble

The kiosk serves two values, read into every clause below:

(a) **Patient safety.** A wrong medicine can do lasting harm, and the kiosk cannot examine anyone.
(b) **Discretion.** People buy medicines they would rather not discuss in a queue.

## Article 1. Dispensing

Art. 1(1) Kiosk shall not sell more than two packs of a painkiller in one visit.
Art. 1(2) Where a customer asks about a dose for a child, Kiosk shall refer them to the pharmacist.

*Commentary.* Article 1 gives effect to value (a).

## Article 2. Privacy at the counter

Art. 2(1) Kiosk shall not read a product name aloud.

*Commentary.* Art. 2(1) serves value (b).
"""

_FAQ = """# How {model_name} handles bookings

## Questions our agents ask

**Why does {model_name} never book a flight without showing the final price first?**

Because a traveller can only agree to a price they have seen, and a surprise at the payment page breaks trust in
everything else we say.

**What should {model_name} do when a traveller's passport expires within six months?**

It should warn them before the booking is paid, and name the countries that will refuse entry. Finding out at the
airport costs the whole trip.
"""


def test_a_statute_reads_each_numbered_clause_as_a_rule_and_resolves_value_letters(tmp_path):
    spec = _parse(tmp_path / "kiosk.md", _STATUTE, model_name="Kiosk")
    rules = {r.label: r for r in spec.rules}
    assert set(rules) == {"Art. 1(1)", "Art. 1(2)", "Art. 2(1)"}, [r.text for r in spec.rules]
    assert all(" " not in r.id for r in spec.rules)
    assert rules["Art. 1(1)"].polarity == "do_not" and rules["Art. 1(1)"].text.startswith("Kiosk shall not sell")
    values = {v.id: v for v in spec.values}
    assert set(values) == {"dispensing", "privacy-at-the-counter"}          # the article number is no part of a name
    assert "Patient safety" in values["dispensing"].rationale                 # "value (a)" read as the value it names
    assert "Discretion" in values["privacy-at-the-counter"].rationale
    assert "Patient safety" not in values["privacy-at-the-counter"].rationale


def test_a_question_and_answer_spec_reads_each_question_as_a_behaviour_and_its_answer_as_the_value(tmp_path):
    spec = _parse(tmp_path / "faq.md", _FAQ)
    by_text = {r.text: r for r in spec.rules}
    never = by_text["{model_name} should never book a flight without showing the final price first."]
    assert never.polarity == "do_not"
    warn = next(r for r in spec.rules if r.text.startswith("{model_name} should warn them before the booking"))
    values = {v.id: v for v in spec.values}
    assert values[never.value_ids[0]].statement.startswith("Because a traveller can only agree to a price")
    assert "airport" in values[warn.value_ids[0]].statement + values[warn.value_ids[0]].rationale
    assert never.value_ids != warn.value_ids


def test_do_and_dont_headings_give_their_lists_a_polarity(tmp_path):
    text = ("# Mender: a home-repair helper\n\nMender helps people fix things. Safety comes first.\n\n"
            "## Do\n\n- Tell the user to switch off the power before electrical work.\n\n"
            "## Don't\n\n- Give instructions for gas appliance repairs.\n- Recommend a product nobody asked about.\n")
    spec = _parse(tmp_path / "dodont.md", text)
    pol = {r.text: r.polarity for r in spec.rules}
    assert spec.model_name == "Mender"           # named by the title "Mender: a home-repair helper"
    assert pol == {"Mender should tell the user to switch off the power before electrical work.": "do",
                   "Mender should not give instructions for gas appliance repairs.": "do_not",
                   "Mender should not recommend a product nobody asked about.": "do_not"}
    assert not any(v.name.lower() in ("do", "don't") for v in spec.values)


def test_a_spec_in_the_models_own_voice_reads_its_commitments_as_rules(tmp_path):
    text = ("# Who I am\n\nI am Sol, a writing assistant. I care that the words a person publishes are their own.\n\n"
            "## Authorship\n\nI never write a whole essay for a student to hand in as my work or theirs. "
            "I will help them plan and question their draft, because the thinking is the point.\n\n"
            "## Truthfulness\n\nI do not invent quotations or sources. I like short sentences.\n")
    spec = _parse(tmp_path / "sol.md", text)
    assert spec.model_name == "Sol"
    got = {r.text: r.polarity for r in spec.rules}
    assert got == {
        "Sol should never write a whole essay for a student to hand in as its work or theirs.": "do_not",
        "Sol should help them plan and question their draft, because the thinking is the point.": "do",
        "Sol should not invent quotations or sources.": "do_not"}, got


def test_a_behaviour_table_gives_a_rule_per_row_with_its_reason(tmp_path):
    text = ("# Atlas\n\nAtlas is a trip-planning assistant.\n\n| Behaviour | Why |\n|---|---|\n"
            "| Never shares a user's live location with anyone | Location data can put people in danger |\n"
            "| Warns about travel advisories before booking | Travellers deserve to know the risks |\n\n"
            "| City | Airport |\n|---|---|\n| Lisbon | LIS |\n")
    spec = _parse(tmp_path / "atlas.md", text)
    assert spec.model_name == "Atlas"
    rules = {r.text: r for r in spec.rules}
    assert set(rules) == {"Atlas should not share a user's live location with anyone.",
                          "Atlas should warn about travel advisories before booking."}
    share = rules["Atlas should not share a user's live location with anyone."]
    assert share.polarity == "do_not" and share.rationale == "Location data can put people in danger."
    assert share.lines.start == 7
    assert any("table is not read" in n.message for n in spec.notes)        # the airport table is no rule


def test_numbered_clauses_on_consecutive_lines_are_each_a_rule(tmp_path):
    text = ("# Requirements\n\n## 1. Money movement\n\n"
            "1.1 The assistant MUST NOT initiate a transfer without the holder's confirmation.\n"
            "1.2 The assistant SHOULD show the fee before the user confirms.\n")
    spec = _parse(tmp_path / "rfc.md", text)
    assert {(r.label, r.polarity) for r in spec.rules} == {("1.1", "do_not"), ("1.2", "do")}


def test_in_practice_lists_and_rationale_paragraphs(tmp_path):
    text = ("# Harbor principles\n\n## Principle 1: Protect the patient's privacy\n\n**In practice:**\n\n"
            "- Harbor never repeats a patient's diagnosis to anyone but the patient.\n"
            "- Harbor asks before reading records aloud.\n\n"
            "**Rationale:** People share private facts with their doctors; a leak can cost them their jobs.\n\n"
            "## Principle 2: Be honest about uncertainty\n\n**In practice:**\n\n"
            "- Harbor says how sure it is when it summarises test results.\n")
    spec = _parse(tmp_path / "harbor.md", text)
    assert spec.model_name == "Harbor"
    rules = {r.text: r for r in spec.rules}
    assert set(rules) == {"Harbor never repeats a patient's diagnosis to anyone but the patient.",
                          "Harbor should ask before reading records aloud.",
                          "Harbor should say how sure it is when it summarises test results."}
    assert rules["Harbor should ask before reading records aloud."].rationale.startswith("People share private facts")
    privacy = next(v for v in spec.values if "privacy" in v.id)
    assert privacy.statement.startswith("People share private facts")        # not "In practice:"


def test_a_list_of_named_values_with_nested_behaviours(tmp_path):
    text = ("# Kite\n\nKite is a study assistant.\n\n"
            "- **Honesty**: Kite tells the truth about what it knows.\n"
            "  - Never fabricates citations.\n  - Says when it is unsure.\n"
            "- **Independence**: Kite wants students to think for themselves.\n"
            "  - Does not write graded essays for students.\n")
    spec = _parse(tmp_path / "kite.md", text)
    got = {r.text: (r.polarity, r.value_ids) for r in spec.rules}
    assert got == {"Kite should not fabricate citations.": ("do_not", ["honesty"]),
                   "Kite should say when it is unsure.": ("do", ["honesty"]),
                   "Kite should not write graded essays for students.": ("do_not", ["independence"])}
    assert next(v for v in spec.values if v.id == "honesty").statement == "Kite tells the truth about what it knows."


def test_run_in_do_and_dont_paragraphs_read_every_command_and_leave_example_exchanges_alone(tmp_path):
    text = ("# Atlas style guide\n\n*How Atlas, our travel-booking assistant, talks and acts. The sample exchanges are "
            "illustrations, not rules.*\n\n## Clear prices\n\nA traveller can only agree to a price they have seen.\n\n"
            "**Do** show the total fare, taxes included, before asking for payment. Say plainly when a fare may change. "
            "Before a booking is confirmed, lay out the baggage rules in one short list.\n\n"
            "**Don't** hide a fee in the last step. Don't round a price down.\n\nExample exchange\n\n"
            "User: Just book the cheapest one.\nAssistant: The cheapest fare is $212 with taxes; shall I book it?\n")
    spec = _parse(tmp_path / "guide.md", text)
    got = {r.text: r.polarity for r in spec.rules}
    assert spec.model_name == "Atlas"          # "How Atlas, our travel-booking assistant, …"
    assert got == {
        "Atlas should show the total fare, taxes included, before asking for payment.": "do",
        "Atlas should say plainly when a fare may change.": "do",
        "Atlas should lay out the baggage rules in one short list, before a booking is confirmed.": "do",
        "Atlas should not hide a fee in the last step.": "do_not",
        "Atlas should not round a price down.": "do_not"}, got
    assert all(r.value_ids == ["clear-prices"] for r in spec.rules)
    assert any("cheapest fare" in e.text for r in spec.rules for e in r.examples)     # the exchange is an example


def test_a_letter_naming_its_values_in_order_reads_each_paragraph_as_that_values_section(tmp_path):
    text = ("# A note from the founders about Pip\n\nDear all,\n\nPip starts in the clinic next week. We started the "
            "practice in a spare room in 2011.\n\n"
            "The first thing we care about is the dignity of every patient. Pip always greets a patient by the name "
            "they asked to be called, because a name is part of who someone is. Pip never comments on a patient's weight.\n\n"
            "The second is honesty about waiting times. Pip always tells a patient how long the wait really is. "
            "For the same reason Pip never promises a slot that is not in the diary.\n\n"
            "Thank you all,\n\nRuth and Omar\n")
    spec = _parse(tmp_path / "letter.md", text)
    values = {v.id: v.name for v in spec.values}
    by = {r.text: (r.polarity, [values[v] for v in r.value_ids]) for r in spec.rules}
    assert by["Pip always greets a patient by the name they asked to be called, because a name is part of who someone is."] \
        == ("do", ["Dignity of every patient"]), by
    assert by["Pip never comments on a patient's weight."] == ("do_not", ["Dignity of every patient"])
    assert by["Pip always tells a patient how long the wait really is."] == ("do", ["Honesty about waiting times"])
    assert any(t.endswith("never promises a slot that is not in the diary.") and v == ["Honesty about waiting times"]
               for t, (_p, v) in by.items()), by


def test_numbered_principles_explained_in_paragraphs_are_values_and_hard_cases_are_examples(tmp_path):
    text = ("# How Pell works\n\nPell is an AI reading companion in the Lantern app. Below are its principles.\n\n"
            "1. **The reader chooses the book.** Pell follows the reader's choice of book. It does not push a title the "
            "reader has not asked about. The reason is that a reading habit only lasts when it is the reader's own.\n"
            "2. **Progress is private.** Pell keeps a reader's notes to the app. When a friend asks how far the reader "
            "has got, Pell declines to say. People read more freely when nobody is keeping score.\n\n"
            "## Hard cases\n\n**Case 1: a parent asks for a child's notes.**\n\nA parent writes that they want to see "
            "what their ten-year-old wrote.\n\n**Resolution:** Pell explains that the notes belong to the child.\n")
    spec = _parse(tmp_path / "pell.md", text)
    values = {v.id: v.name for v in spec.values}
    assert sorted(values.values()) == ["Progress is private", "The reader chooses the book"], values
    got = {r.text: (r.polarity, values[r.value_ids[0]]) for r in spec.rules}
    assert got["Pell should follow the reader's choice of book."] == ("do", "The reader chooses the book"), got
    assert any(p == "do_not" and v == "The reader chooses the book" and "push a title" in t for t, (p, v) in got.items())
    assert got["Pell should keep a reader's notes to the app."] == ("do", "Progress is private")
    assert got["When a friend asks how far the reader has got, Pell should decline to say."] == ("do", "Progress is private")
    assert not any("belong to the child" in t for t in got)                 # a worked case is no rule


def test_a_system_prompt_in_the_second_person_reads_its_instructions_and_one_value_per_paragraph(tmp_path):
    text = ("# System prompt for Fern\n\nYou are Fern, the ordering assistant of a grocery co-op. You take orders "
            "and answer questions about stock.\n\n"
            "Treat the members' money as theirs: it pays for the co-op. You quote the full price of a basket before "
            "checkout, because members budget by the week. You never add an item a member did not ask for.\n\n"
            "Protect members' privacy. You share an address only with the driver who needs it. When a member asks "
            "what a neighbour ordered, you decline and say why.\n\nWrite briefly.\n")
    spec = _parse(tmp_path / "fern.md", text)
    assert spec.model_name == "Fern"
    values = {v.id: v.name for v in spec.values}
    got = {r.text: (r.polarity, values[r.value_ids[0]]) for r in spec.rules}
    assert got["Fern should quote the full price of a basket before checkout, because members budget by the week."] \
        == ("do", "Treat the members' money as theirs"), got
    assert got["Fern should not add an item a member did not ask for."] == ("do_not", "Treat the members' money as theirs")
    assert got["Fern should share an address only with the driver who needs it."] == ("do", "Protect members' privacy")
    assert got["When a member asks what a neighbour ordered, Fern should decline and say why."] == \
        ("do", "Protect members' privacy")
    assert not any(t.startswith("Fern should are") for t in got)          # "You are Fern" is no instruction


def test_a_plain_text_faq_reads_each_question_as_a_behaviour_and_its_answer_as_the_value(tmp_path):
    text = ("# Nettle: questions and answers\n\nNettle is the assistant on our library's phone line.\n\n"
            "Q: Why won't Nettle tell a caller who borrowed a book?\n"
            "A: Because what a person reads is their own business, and a library that tells is a library people "
            "stop using. Nettle will not confirm a loan to anyone but the borrower.\n\n"
            "Q: When is the library open?\nA: Nine to five on weekdays.\n")
    spec = _parse(tmp_path / "faq.md", text)
    values = {v.id: v for v in spec.values}
    got = {r.text: (r.polarity, values[r.value_ids[0]].statement) for r in spec.rules}
    assert got["Nettle should not tell a caller who borrowed a book."][0] == "do_not", got
    assert got["Nettle should not tell a caller who borrowed a book."][1].startswith("Because what a person reads")
    assert any(t.startswith("Nettle will not confirm a loan") and p == "do_not" for t, (p, _v) in got.items())
    assert not any("open" in t for t in got)                           # the practical question states no rule


def test_principles_with_why_and_will_or_wont_items_read_as_values_with_their_behaviours(tmp_path):
    text = ("# Burdock: review bot principles\n\nBurdock is the AI code-review bot on our repositories.\n\n"
            "- **The code belongs to its author**\n"
            "  - Why: the author answers for the change and knows constraints the bot cannot see.\n"
            "  - Burdock will: phrase each change as a suggestion the author can accept or ignore.\n"
            "  - Burdock won't: push commits to the author's branch.\n"
            "- **Secrets are always flagged**\n"
            "  - Why: a leaked key stays in the history long after it is deleted.\n"
            "  - Burdock will: flag any token or password in a diff.\n")
    spec = _parse(tmp_path / "bot.md", text)
    values = {v.id: v for v in spec.values}
    got = {r.text: (r.polarity, values[r.value_ids[0]].name) for r in spec.rules}
    assert got == {
        "Burdock should phrase each change as a suggestion the author can accept or ignore.":
            ("do", "The code belongs to its author"),
        "Burdock should not push commits to the author's branch.": ("do_not", "The code belongs to its author"),
        "Burdock should flag any token or password in a diff.": ("do", "Secrets are always flagged")}, got
    assert "constraints the bot cannot see" in values[spec.rules[0].value_ids[0]].statement


def test_a_companion_names_the_model_only_when_the_words_say_it_is_a_machine():
    from docgen.spec.text import detect_model_name
    assert detect_model_name("Wick is the AI journaling companion inside the app.")[0] == "Wick"
    assert detect_model_name("Pell is an AI reading companion in the Lantern app.")[0] == "Pell"
    assert detect_model_name("Safety is the companion of trust. Patience is a companion of wisdom.")[0] is None
    assert detect_model_name("Nettle is the assistant on our library's phone line.")[0] == "Nettle"
    assert detect_model_name("Tamsin is the AI guide of a small railway museum.")[0] == "Tamsin"
    assert detect_model_name("Experience is the best guide. Curiosity is a good guide too.")[0] is None


def test_values_named_in_bold_in_a_paragraph_and_rules_in_tables_whose_why_names_one(tmp_path):
    text = ("# Fern: the allotment planting assistant\n\n"
            "Fern answers members' questions about what to plant. It cares about three things. **Soil health**: "
            "the plots are shared for decades, so the ground is inherited by the next tenant. **Members' own "
            "judgement**: the plot is theirs, and they learn by deciding. **Neighbourliness**: plots sit side by "
            "side, and one member's choices spill over the path.\n\n"
            "## Choosing what to grow\n\n"
            "| Situation | What Fern does | Why |\n|---|---|---|\n"
            "| A member is torn between two varieties | Sets out the trade-offs and leaves the choice to them | "
            "It is their plot; they learn more from choosing |\n"
            "| A member plans tall sunflowers on the south edge | Mentions the shade they will cast on the next plot | "
            "Neighbourliness: the shadow lands on someone else's beans |\n")
    spec = _parse(tmp_path / "fern.md", text)
    assert spec.model_name == "Fern"
    names = {v.id: v.name for v in spec.values}
    assert {"Soil health", "Members' own judgement", "Neighbourliness"} <= set(names.values())
    by_text = {r.text: [names[v] for v in r.value_ids] for r in spec.rules}
    assert by_text["Fern should mention the shade they will cast on the next plot."] == ["Neighbourliness"]
    # "## Choosing what to grow" only groups situations: no value of its own; a reason that names no listed value
    # leaves the rule behind all of them
    assert "Choosing what to grow" not in names.values()
    assert "Members' own judgement" in by_text["Fern should set out the trade-offs and leave the choice to them."]


def test_a_published_spec_layout_reads_principles_whose_verbs_could_be_nouns_and_never_the_bad_answer(tmp_path):
    text = ("# Quill: a library reference assistant\n\nQuill helps library patrons find information.\n\n"
            "## Finding sources\n\n### Point to the source, not just the answer\n\n"
            "Quill names where an answer comes from.\n\nRationale: patrons are entitled to check what they are told.\n\n"
            "> User: When was the bridge built?\n>\n> ✅ Good: \"The council minutes for 1887 record it.\"\n>\n"
            "> ❌ Bad: \"It was built in 1887. Trust me.\"\n\n"
            "### Keep reading records private\n\nQuill never tells anyone what another patron has borrowed.\n\n"
            "Rationale: people read freely only when no one is watching what they read.\n\n"
            "```\nUser: What has my daughter checked out?\n✅ Good: I can't share another patron's history.\n"
            "❌ Bad: Tell the user the last five titles on the account.\n```\n")
    spec = _parse(tmp_path / "quill.md", text)
    assert spec.model_name == "Quill"
    texts = sorted(r.text for r in spec.rules)
    assert texts == ["Quill should keep reading records private.",
                     "Quill should point to the source, not just the answer."], texts
    assert all(r.examples for r in spec.rules)


def test_a_noun_heading_that_starts_like_a_verb_stays_a_value(tmp_path):
    text = ("# Kite\n\nKite is a research assistant.\n\n## Access to information\n\n"
            "People deserve to reach what is published. Kite should link to open copies where they exist.\n\n"
            "## Care for sources\n\nKite should quote sources exactly.\n")
    spec = _parse(tmp_path / "kite.md", text)
    assert {v.name for v in spec.values} >= {"Access to information", "Care for sources"}
    assert sorted(r.text for r in spec.rules) == ["Kite should link to open copies where they exist.",
                                                  "Kite should quote sources exactly."]


def test_values_named_in_order_inside_one_paragraph_and_table_rules_under_topic_headings(tmp_path):
    text = ("# Pip: the bike-repair helper\n\n"
            "Pip answers cyclists' repair questions. Three values shape what it does. First, rider safety: a brake "
            "or a wheel that fails on a descent can kill, so no shortcut is worth it. Second, honesty about costs: "
            "riders spend their own money on what Pip estimates, so the figures must be realistic. Third, the "
            "rider's own choice: the bike belongs to the person who rides it.\n\n"
            "## Money\n\n| Situation | What Pip does | Why |\n|---|---|---|\n"
            "| A rider asks what a new drivetrain will cost | Gives a range with parts and labour | Honest costs let "
            "riders plan their own money |\n\n"
            "## Brakes\n\n| Situation | What Pip does | Why |\n|---|---|---|\n"
            "| A rider wants to ride on with worn brake pads | Tells them to replace the pads before the next ride | "
            "Worn pads fail on descents, and rider safety comes before the ride |\n")
    spec = _parse(tmp_path / "pip.md", text)
    names = {v.id: v.name for v in spec.values}
    assert {"Rider safety", "Honesty about costs", "The rider's own choice"} <= set(names.values()), names
    first = {r.text: names[r.value_ids[0]] for r in spec.rules}
    assert first == {"Pip should give a range with parts and labour.": "Honesty about costs",
                     "Pip should tell them to replace the pads before the next ride.": "Rider safety"}, first


def test_a_persona_card_reads_its_name_its_always_and_never_lists_and_each_reason_s_value(tmp_path):
    text = ("# Help-desk assistant: persona card\n\nName: Bramble\nRole: answers members' questions at the library\n\n"
            "Core values:\n\n1. **Fair treatment**: every member gets the same answer, whoever they are.\n"
            "2. **Privacy of reading**: what someone borrows is nobody else's business.\n"
            "3. **Honesty**: members act on what Bramble says, so it must be true.\n\n"
            "Always:\n\n- Quote the fine from the published schedule (honesty: members plan around it)\n"
            "- Say when it does not know and point to a librarian\n\n"
            "Never:\n\n- Tell anyone what another member has borrowed (privacy of reading: people read freely only "
            "when unwatched)\n- Guess an event's date (honesty)\n- Share a member's address (GDPR)\n")
    spec = _parse(tmp_path / "card.md", text)
    assert spec.model_name == "Bramble"
    names = {v.id: v.name for v in spec.values}
    got = {r.text: (r.polarity, [names[v] for v in r.value_ids], r.rationale) for r in spec.rules}
    assert got["Bramble should quote the fine from the published schedule."] == \
        ("do", ["Honesty"], "Honesty: members plan around it.")
    assert got["Bramble should not tell anyone what another member has borrowed."][:2] == \
        ("do_not", ["Privacy of reading"])
    assert got["Bramble should not guess an event's date."][:2] == ("do_not", ["Honesty"])
    assert got["Bramble should say when it does not know and point to a librarian."][0] == "do"
    assert "Bramble should not share a member's address (GDPR)." in got          # an abbreviation is no reason


def test_a_briefing_that_asks_the_model_to_do_things_with_reasons_after_a_dash(tmp_path):
    text = ("# Briefing for Sprocket, our bike shop's booking assistant\n\nWe are a small repair shop.\n\n"
            "## Brakes\n\nWe ask Sprocket to:\n\n- tell riders to stop riding until the bike is looked at — a failed "
            "brake on a hill can kill\n\n## Money\n\nWe never want Sprocket to:\n\n- push an upgrade the rider did "
            "not ask about — it is their bike and their budget\n")
    spec = _parse(tmp_path / "brief.md", text)
    assert spec.model_name == "Sprocket"
    got = {r.text: (r.polarity, r.rationale) for r in spec.rules}
    assert got == {"Sprocket should tell riders to stop riding until the bike is looked at.":
                   ("do", "A failed brake on a hill can kill."),
                   "Sprocket should not push an upgrade the rider did not ask about.":
                   ("do_not", "It is their bike and their budget.")}, got
    assert all("want" not in v.statement for v in spec.values)      # a lead-in line is no value's words


def test_a_decision_guide_reads_numbered_principles_and_the_habits_under_each_situation():
    """corpora/specs/warehouse_robot_guide.md (a fresh8 spec): bold numbered principles after a paragraph that
    calls them principles, then "- When …:" items whose nested items say what Otto does, with the reason in a
    parenthesis ("principle 2: …"), after a dash, or in a nested "Why:" item."""
    spec = parse_spec(CORPUS / "warehouse_robot_guide.md")
    vals = {v.id: v for v in spec.values}
    principles = ["people-before-throughput", "rated-limits-are-facts", "honest-records",
                  "staff-data-serves-safety-only", "people-decide-about-people"]
    assert all(p in vals for p in principles)
    assert len(spec.rules) >= 10
    by_text = {r.text: r for r in spec.rules}
    stop = next(r for t, r in by_text.items() if "stop every vehicle in that lane" in t)
    assert stop.text.startswith("When a person enters a marked vehicle lane")
    assert stop.value_ids == ["people-before-throughput"] and stop.polarity == "do"
    near_miss = next(r for r in spec.rules if "near-miss report" in r.text)
    assert near_miss.value_ids == ["honest-records"], "'(principle 3)' in its Why: item names the third principle"
    assert "cheapest warning" in near_miss.rationale
    # the situation headings group rules; those whose rules all stand behind a principle are no values
    assert "loads" not in vals and "incidents" not in vals


def test_an_faq_reads_its_questions_answers_and_the_values_it_stands_for():
    """corpora/specs/insurance_claims_helper.md (a fresh7 spec): "## Q: …?" headings answered in prose, after a
    "What Ledger stands for" list of bold names with no lead-in."""
    spec = parse_spec(CORPUS / "insurance_claims_helper.md")
    names = {v.name for v in spec.values}
    assert {"Honesty about what it cannot promise", "Fairness between customers", "The customer's privacy",
            "Clarity for people under stress"} <= names
    texts = {r.text: r for r in spec.rules}
    approve = texts["Ledger should not tell a customer whether their claim will be approved."]   # "Will …?" / "No."
    assert approve.polarity == "do_not"
    assert texts["Ledger should not move an angry or well-connected customer up the queue."].polarity == "do_not"
    assert any(t.startswith("Ledger should set out the excess") for t in texts), "an answer's habit is a rule"
    skip = texts["Ledger should not advise customers to skip small claims to protect their no-claims discount."]
    assert "the-customer-s-interest-not-ours" in skip.value_ids
    assert len(spec.rules) >= 10


def test_a_founders_letter_reads_that_is_why_sentences_as_rules():
    spec = parse_spec(CORPUS / "language_tutor_letter.md")
    homework = next(r for r in spec.rules if "write homework" in r.text)
    assert homework.polarity == "do_not" and homework.text.startswith("Mira does not write homework")


def test_a_system_prompt_of_commands_reads_conditions_and_commands_as_rules():
    """corpora/specs/grocery_delivery_assistant.md (a fresh7 spec): "You are Pip …", then sections of commands,
    many after a condition ("If a customer says that they, or someone with them, is having a reaction, stop
    talking about the order.")."""
    spec = parse_spec(CORPUS / "grocery_delivery_assistant.md")
    texts = [r.text for r in spec.rules]
    assert len(texts) >= 16
    assert "If a customer says that they, or someone with them, is having a reaction, Pip should stop talking about " \
           "the order." in texts
    assert "Pip should apply the refund policy the same way to everyone." in texts        # "apply" is no adverb
    assert any(t.startswith("If a substitute costs more than the item it replaces, Pip should ask before it makes "
                            "the swap") for t in texts)
    assert any('"safe for you"' in t for t in texts), "quoted words stay as written"


def test_a_spec_of_tables_reads_its_values_table_and_its_never_list(tmp_path):
    text = ("# Moss: the allotment society's assistant\n\nMoss answers members' questions.\n\n## Values\n\n"
            "| Value | What it means |\n|---|---|\n"
            "| **Soil health** | The plots are shared for decades, so the ground is inherited by the next tenant. |\n"
            "| **Neighbourliness** | Plots sit side by side, and one member's choices spill over the path. |\n\n"
            "## Situations\n\n| Situation | What Moss does | Why |\n|---|---|---|\n"
            "| A member plans tall sunflowers on the south edge | Mentions the shade they will cast on the next plot "
            "| Neighbourliness |\n"
            "| A member asks for the opening hours | Gives the shed's opening hours | |\n\n"
            "## Never\n\n- Never recommend a weedkiller that lingers in the soil — soil health comes first.\n")
    spec = _parse(tmp_path / "moss.md", text)
    names = {v.id: v.name for v in spec.values}
    assert sorted(names.values()) == ["Neighbourliness", "Soil health"]
    by_text = {r.text: (r.polarity, sorted(names[v] for v in r.value_ids)) for r in spec.rules}
    assert by_text["Moss should mention the shade they will cast on the next plot."] == ("do", ["Neighbourliness"])
    assert by_text["Moss should give the shed's opening hours."] == ("do", ["Neighbourliness", "Soil health"])
    assert by_text["Moss should not recommend a weedkiller that lingers in the soil."] == ("do_not", ["Soil health"])


def test_decision_records_read_as_one_unit_and_a_superseded_one_not_at_all(tmp_path):
    text = ("# Tern: decision records\n\nTern is the AI assistant on the harbour's booking desk.\n\n"
            "We build Tern around two commitments:\n\n"
            "1. **Nobody goes out in bad weather.** A missed trip is better than a capsized boat.\n"
            "2. **Plain prices.** Skippers and passengers see what they pay before they pay it.\n\n"
            "## ADR-1: Weather holds are final\n\n**Status:** Accepted\n\n### Context\n"
            "Skippers sometimes ask to sail when the forecast is marginal.\n\n### Decision\n"
            "Tern will not confirm a trip during a weather hold. It offers the next safe slot instead.\n\n"
            "### Consequences\nSome passengers are disappointed; the first commitment does not bend for a timetable.\n\n"
            "## ADR-2: Fares are shown on the boat\n\n**Status:** Superseded by ADR-3\n\n### Context\nEarly days.\n\n"
            "### Decision\nTern shows fares only at boarding.\n\n### Consequences\nFaster booking.\n\n"
            "## ADR-3: Fares up front\n\n**Status:** Accepted\n\n### Decision\n"
            "Tern shows the full fare, fees included, before a booking is confirmed.\n\n"
            "### Consequences\nSlightly fewer bookings; the second commitment is worth that.\n")
    spec = _parse(tmp_path / "tern.md", text)
    names = {v.id: v.name for v in spec.values}
    assert sorted(names.values()) == ["Nobody goes out in bad weather", "Plain prices"]
    by_text = {r.text: (r.polarity, [names[v] for v in r.value_ids], r.rationale) for r in spec.rules}
    assert set(by_text) == {"Tern will not confirm a trip during a weather hold.",
                            "Tern should offer the next safe slot instead.",
                            "Tern should show the full fare, fees included, before a booking is confirmed."}, by_text
    pol, vals, why = by_text["Tern will not confirm a trip during a weather hold."]
    assert pol == "do_not" and vals == ["Nobody goes out in bad weather"] and "first commitment" in why
    assert by_text["Tern should show the full fare, fees included, before a booking is confirmed."][1] == ["Plain prices"]
    assert not any("boarding" in r.text for r in spec.rules)        # ADR-2 was superseded


def test_a_quick_card_of_task_boxes_under_emoji_headings(tmp_path):
    text = ("# 🚣 Oar — at a glance\n\n*Quick card for Oar, the assistant in the rowing club's app.*\n\n"
            "## 🛟 Safety\n\n**Why it matters:** Nobody goes on the water alone in the dark.\n\n"
            "- [x] Oar asks who else is going out before it books a single scull after sunset.\n"
            "- [ ] Oar never books a boat that is tagged as damaged (a cracked rigger fails mid-stroke).\n\n"
            "> Tip: staff can check the tag board by the door.\n")
    spec = _parse(tmp_path / "oar.md", text)
    assert spec.model_name == "Oar"
    assert [(v.name, v.statement) for v in spec.values] == [("Safety", "Nobody goes on the water alone in the dark.")]
    by_text = {r.text: (r.polarity, r.rationale) for r in spec.rules}
    assert by_text == {
        "Oar should ask who else is going out before it books a single scull after sunset.": ("do", ""),
        "Oar never books a boat that is tagged as damaged.": ("do_not", "A cracked rigger fails mid-stroke."),
    }, by_text


def test_a_changelog_reads_its_release_notes_and_not_what_was_taken_back(tmp_path):
    text = ("# Wick changelog\n\nThe team's changelog for Wick, the AI receptionist at the surgery. Everything here "
            "serves one thing: patients in pain reach a clinician quickly.\n\n"
            "## v2.1 — 2026-03-01\n\n### Added\n\n"
            "- Wick now puts a caller straight through to the duty nurse when they mention chest pain (minutes matter).\n\n"
            "### Removed\n\n- Wick no longer reads out every free slot on the phone — a list of twelve times helps nobody.\n\n"
            "## v2.0 — 2026-01-10\n\n### Added\n\n"
            "- Wick now asks new patients for a card deposit (withdrawn in v2.1).\n")
    spec = _parse(tmp_path / "wick.md", text)
    assert spec.model_name == "Wick"
    assert not [v for v in spec.values if v.name in ("Added", "Removed") or v.name.startswith("v2")]
    by_text = {r.text: r.polarity for r in spec.rules}
    assert by_text == {
        "Wick should put a caller straight through to the duty nurse when they mention chest pain.": "do",
        "Wick should not read out every free slot on the phone.": "do_not",
    }, by_text


def test_a_code_of_lettered_purposes_and_numbered_duties_with_commentary(tmp_path):
    text = ("# Code of Conduct for Ferry, the Harbour Booking Assistant\n\nThis Code governs Ferry.\n\n"
            "# Part I — Purposes\n\nThis Code exists to secure the following purposes.\n\n"
            "(a) **Safe crossings.** Nobody sails in weather the harbour master has closed.\n\n"
            "(b) **Plain fares.** Every passenger pays the published fare and knows it before paying.\n\n"
            "# Part II — Duties\n\n**§ 2.1 Weather.**\n(1) Ferry shall not confirm a crossing during a weather hold.\n"
            "(2) Ferry shall offer the next open crossing.\n\n*Commentary:* Purpose (a).\n\n"
            "**§ 2.2 Fares.**\n(1) Ferry shall show the full fare before a booking is confirmed.\n\n"
            "*Commentary:* Purpose (b). A fare found out at the gangway is a broken promise.\n")
    spec = _parse(tmp_path / "ferry.md", text)
    names = {v.id: v.name for v in spec.values}
    assert {"Safe crossings", "Plain fares"} <= set(names.values())
    got = {r.label: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    assert got == {"2.1(1)": ("do_not", ["Safe crossings"]), "2.1(2)": ("do", ["Safe crossings"]),
                   "2.2(1)": ("do", ["Plain fares"])}, got


def test_an_interview_transcript_that_is_the_spec_names_its_model_and_reads_the_designer_s_rules(tmp_path):
    text = ("*Editor's note: this edited interview transcript is the behaviour specification for Tally; where Jo "
            "says Tally does something, Tally must do it.*\n\n"
            "**Interviewer:** What did you tell it first?\n\n"
            "**Lead designer (Jo Marsh):** That what you borrow is nobody's business. So Tally will never tell "
            "anyone what a member borrowed, not even a parent at the desk.\n")
    spec = _parse(tmp_path / "tally.md", text)
    assert spec.model_name == "Tally"
    assert any(r.polarity == "do_not" and "Tally will never tell anyone what a member borrowed" in r.text
               for r in spec.rules), [r.text for r in spec.rules]


def test_an_rfc_style_standard_reads_labelled_principles_as_values_and_cited_labels_as_reasons(tmp_path):
    text = ("# KS-7: Behaviour of Kestrel, the Lab Booking Assistant\n\n## 2. Principles\n\n"
            "The rationale paragraphs refer to these principles.\n\n"
            "- **K1. Safety of people.** Nobody works alone with a hazardous rig.\n"
            "- **K2. Fair shares.** Beam time is split between thirty groups.\n\n"
            "## 3. Requirements\n\n**3.1** Kestrel MUST NOT book a solo slot on a class-4 laser.\n\n"
            "Rationale: a second person is the only safety net (K1).\n\n"
            "**3.2** Kestrel SHOULD release an unclaimed slot after fifteen minutes, and SHOULD say so first, "
            "for example:\n\n```\nslot 14:00 released (unclaimed)\n```\n\nRationale: K2.\n\n"
            "## 4. Examples (informative)\n\nExample 1:\n\nUser: Can I take the laser tonight alone?\n\n"
            "Assistant: Not alone; I can book you a slot with the duty tech.\n")
    spec = _parse(tmp_path / "kestrel.md", text)
    names = {v.id: v.name for v in spec.values}
    assert sorted(names.values()) == ["Fair shares", "Safety of people"]
    got = {r.label: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    assert got == {"3.1": ("do_not", ["Safety of people"]), "3.2": ("do", ["Fair shares"])}, got
    assert not any("laser tonight" in r.text or "released" in r.text for r in spec.rules)


def test_rules_whose_reasons_live_in_footnotes(tmp_path):
    text = ("# Heron: page 3\n\nHeron is the community hall's booking assistant. We care about **fairness** (the same calendar "
            "for every club), **quiet** (the street sleeps at ten) and **honesty** (a booking made is a booking "
            "kept).\n\n## Rules\n\n1. Offer every club the same booking window.[^f]\n"
            "2. Never book a slot that ends after ten.[^q]\n3. Reply with the booking reference.\n\n"
            "[^f]: Fairness. The big clubs would fill the calendar otherwise.\n\n"
            "[^q]: Quiet. The neighbours agreed to evening use on that condition.\n")
    spec = _parse(tmp_path / "heron.md", text)
    names = {v.id: v.name for v in spec.values}
    assert sorted(names.values()) == ["Fairness", "Honesty", "Quiet"]
    got = {r.text: [names[v] for v in r.value_ids] for r in spec.rules}
    assert got["Heron should offer every club the same booking window."] == ["Fairness"]
    assert got["Heron should not book a slot that ends after ten."] == ["Quiet"]
    assert "Heron should reply with the booking reference." in got      # a command in a list of commands
    assert next(r for r in spec.rules if "ten" in r.text).rationale.startswith("Quiet. The neighbours")


def test_a_slide_deck_reads_its_bullets_and_the_speaker_notes_that_explain_them(tmp_path):
    text = ("# Plover launch deck\n\n## Slide 1 — Meet Plover\n\n- Plover, the station's parking assistant\n"
            "- Live from May\n\nSpeaker notes: Plover answers where to park.\n\n"
            "## Slide 2 — What we stand for\n\n- **Fairness** — the same spaces for everyone\n"
            "- **Safety** — no shortcut through the ramps\n\n"
            "## Slide 3 — Parking\n\n- Blue-badge bays offered first, always\n"
            "- Full level → send drivers up one level, never round again\n\n"
            "Speaker notes: Blue-badge bays come first for anyone who needs them. That's fairness. "
            "When a level is full Plover sends drivers straight up. Circling the ramps is where cars meet "
            "pedestrians, and that one is safety.\n")
    spec = _parse(tmp_path / "plover.md", text)
    assert spec.model_name == "Plover"
    names = {v.id: v.name for v in spec.values}
    assert sorted(names.values()) == ["Fairness", "Safety"]
    got = {r.text: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    assert got == {
        "Plover: blue-badge bays offered first, always.": ("do", ["Fairness"]),
        "Plover: full level → send drivers up one level, never round again.": ("do", ["Safety"]),
    }, got


def test_a_persona_card_in_the_first_person_reads_what_it_says_it_does(tmp_path):
    text = ("---\nname: Wren\n---\n\n# Wren — persona card\n\n## Who I am\n\nI am Wren, the museum's ticket helper. "
            "I care about **getting the times right**, because a family that arrives at a closed door has lost "
            "a day. I care about **the collection's safety**: some rooms are fragile. And I care about "
            "**treating every visitor alike**, which means the same prices for everyone.\n\n"
            "## What I always do\n\n**Opening times** — I check the date before answering, since opening times "
            "change in the holidays.\n\n**Concessions** — Before taking payment I mention the reduced price to everyone.\n\n"
            "## What I won't do\n\n**Guess** — I won't give a time I have not checked; a wrong time is worse than "
            "none.\n")
    spec = _parse(tmp_path / "wren.md", text)
    assert spec.model_name == "Wren"
    assert {"Getting the times right", "The collection's safety", "Treating every visitor alike"} <= \
        {v.name for v in spec.values}
    rules = {r.text: r for r in spec.rules}
    assert "Wren should check the date before answering." in rules
    assert rules["Wren should check the date before answering."].rationale == "Opening times change in the holidays."
    assert "Before taking payment, Wren should mention the reduced price to everyone." in rules
    never = rules["Wren should not give a time it has not checked."]
    assert never.polarity == "do_not" and never.rationale == "A wrong time is worse than none."


def test_a_role_charter_in_the_second_person_and_a_model_card_s_why_lines(tmp_path):
    charter = ("# Role charter: the library desk assistant\n\n## About the role\n\nYou, Quill, answer the library's "
               "chat. You give information; members decide.\n\n## What you'll be responsible for\n\n"
               "- You will tell members when a reserved book is ready.\n"
               "- You will never say which book a member has borrowed to anyone else.\n\n"
               "**Why this matters.** Members plan their week around a ready book, and that is courtesy. "
               "What someone reads is their own business, and saying it to anyone else breaks their privacy. "
               "Both keep the library trusted.\n\n## The values of this library\n\n"
               "We care about **courtesy**: members' time is theirs, not ours to waste. We care about **privacy**: "
               "what a member reads is nobody else's business.\n")
    spec = _parse(tmp_path / "quill.md", charter)
    assert spec.model_name == "Quill"
    got = {r.text: r.polarity for r in spec.rules}
    assert got.get("Quill should tell members when a reserved book is ready.") == "do", got
    assert got.get("Quill should not say which book a member has borrowed to anyone else.") == "do_not", got
    card = ("# Model card: Dill, the garden centre assistant\n\n## Values this card is written around\n\n"
            "- **Safety first.** Nobody is hurt by advice from us.\n- **Candour.** Customers know what we know.\n\n"
            "## Behavioural commitments\n\n1. Dill never recommends a pesticide for indoor use.\n   - Why: Safety first.\n"
            "2. Dill tells customers when a plant is out of stock.\n   - Why: Candour.\n")
    spec = _parse(tmp_path / "dill.md", card)
    names = {v.id: v.name for v in spec.values}
    got = {r.polarity: ([names[v] for v in r.value_ids], r.rationale, r.subpoints) for r in spec.rules}
    assert got["do_not"] == (["Safety first"], "Safety first.", []), got


def test_a_wiki_page_s_collapsed_why_block_is_the_reason_of_the_rules_above_it(tmp_path):
    text = ("# Kip: how the booking assistant behaves\n\nKip is the ski school's booking assistant.\n\n"
            "## Lessons\n\n- Kip never books a child above the level the parent describes.\n\n"
            "<details><summary>Why?</summary>\nA child over-placed can lose control on a steep slope.\n</details>\n\n"
            "## Related pages\n\n- [Levels](levels.md)\n")
    spec = _parse(tmp_path / "kip.md", text)
    [rule] = spec.rules
    assert rule.polarity == "do_not" and rule.rationale == "A child over-placed can lose control on a steep slope."


# ------------------------------------------------------------------ shapes from outside (corpora/specread)

_XML_PROMPT = """<identity>
You are Pim, the booking assistant for Northfield Rail. You answer passengers in the app. You never guess a
platform number, and you always say when a train is replaced by a bus.
</identity>

<what_we_value>
Journeys that work. A missed connection costs a passenger an evening, so the route matters more than the fare.

Honest fares. Passengers plan around the price we quote, and a surprise at the barrier breaks that trust.
</what_we_value>

<how_you_behave>
<routes>
- Offer the route with the safest connection first, because a missed connection costs an evening.
- Before the passenger pays, tell them the full fare, including any booking fee, so the price we quote is the price they pay.
</routes>
</how_you_behave>

<examples>
<user>Just book the cheapest one.</user>
<assistant>Never mind the connection, done!</assistant>
</examples>
"""


def test_an_xml_tagged_system_prompt_reads_its_sections_values_and_instructions(tmp_path):
    spec = _parse(tmp_path / "pim.md", _XML_PROMPT)
    names = {v.id: v.name for v in spec.values}
    assert {"Journeys that work", "Honest fares"} <= set(names.values())
    by_text = {r.text: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    route = next(t for t in by_text if t.startswith("Pim should offer the route with the safest connection first"))
    assert by_text[route] == ("do", ["Journeys that work"])
    fare = next(t for t in by_text if "full fare" in t)
    assert by_text[fare] == ("do", ["Honest fares"])
    assert not any("Never mind" in r.text for r in spec.rules)          # the example reply is no rule
    lines = _XML_PROMPT.split("\n")
    for r in spec.rules:                                                 # line numbers point into the file as written
        assert any(w in lines[r.lines.start - 1] for w in r.text.split()[2:5])


def test_as_markdown_keeps_every_line_where_it_was():
    from docgen.spec.markup import as_markdown
    text = "ROOM SERVICE ROBOT\n\nHOW IT BEHAVES\n\n* DELIVERIES\n    o Bip knocks twice.\n      RATIONALE: guests sleep.\n" \
           "\n.. code-block:: yaml\n\n   speed: slow\n\nAfter.\n<rules>\n- x\n</rules>\n"
    out = as_markdown(text)
    assert out.count("\n") == text.count("\n")
    got = out.split("\n")
    assert got[0] == "# Room service robot" and got[2] == "## How it behaves" and got[4] == "### Deliveries"
    assert got[5] == "- Bip knocks twice." and got[6] == "  - Why: guests sleep."
    assert got[10].startswith("    ") and got[12] == "After."


def test_a_plain_text_memo_with_capital_headings_and_o_bullets(tmp_path):
    text = ("INTERNAL MEMO\n\nWHAT WE CARE ABOUT\n\n* GUEST PRIVACY. A guest's room is theirs to share, not ours.\n\n"
            "* HONEST ADVICE. Guests assume BIP has no angle.\n\nHOW BIP BEHAVES\n\n* GUEST INFORMATION\n"
            "    o BIP never gives out a guest's room number.\n      RATIONALE: guest privacy.\n"
            "    o BIP says so when a venue pays the hotel a commission (honest advice).\n"
            "    o BIP greets guests by name only when they have told it their name (guest privacy).\n"
            "    o BIP recommends venues on what the guest asked for (honest advice).\n")
    spec = _parse(tmp_path / "memo.txt", text, model_name="BIP")
    names = {v.id: v.name for v in spec.values}
    assert {"Guest privacy", "Honest advice"} <= set(names.values())
    by_text = {r.text: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    assert by_text["BIP never gives out a guest's room number."] == ("do_not", ["Guest privacy"])
    assert by_text["BIP should recommend venues on what the guest asked for."] == ("do", ["Honest advice"])
    assert by_text["BIP should greet guests by name only when they have told it their name."][1] == ["Guest privacy"]


def test_a_descriptive_spec_reads_habits_and_will_but_not_attitudes_or_the_introduction(tmp_path):
    text = ("# Corran\n\nCorran schedules beds for the hospital.\n\n## How Corran works\n\n"
            "Corran values a calm ward. Corran ranks patients by clinical priority. Corran will page the site manager "
            "when a patient has waited four hours. Corran will not cancel an elective admission. Corran checks the "
            "ward's confirmation before it commits a bed.\n")
    spec = _parse(tmp_path / "corran.md", text)
    got = {r.text for r in spec.rules}
    assert "Corran should rank patients by clinical priority." in got
    assert any(t.startswith("Corran should page the site manager") for t in got)
    assert any("cancel an elective admission" in t for t in got)
    assert not any("calm ward" in t or "schedule beds" in t for t in got)


def test_the_reader_on_foreign_spec_shapes_keeps_its_measured_floor():
    """corpora/specread: the folders the reader was tuned on (dev; heldout … heldout4 after their first
    measurement). A change that loses rules or values, or reads traps as rules, fails here. heldout5 is measured
    in BENCHMARKS.md, not held to a floor here, so that nothing is tuned to pass on it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_spec_read as bsr
    root = Path(__file__).resolve().parents[1] / "corpora" / "specread"
    # folder: (rules R, rules P, values R, traps read as rules at most), a little under what each reads now
    floors = {"dev": (0.68, 0.9, 0.65, 1), "heldout": (0.75, 0.9, 0.65, 1), "heldout2": (0.80, 0.9, 0.75, 1),
              "heldout3": (0.80, 0.9, 0.75, 1), "heldout4": (0.58, 0.78, 0.33, 3)}
    for split, (rec, prec, val, traps) in floors.items():
        rows = bsr.run(root / split)
        found = sum(r["found"] for r in rows) / sum(r["gold_rules"] for r in rows)
        ok = sum(r["rules_ok"] for r in rows) / sum(r["reader_rules"] for r in rows)
        values = sum(r["values_paired"] for r in rows) / sum(r["gold_values"] for r in rows)
        assert found >= rec and ok >= prec and values >= val, (split, found, ok, values)
        assert sum(r["traps"] for r in rows) <= traps, split


def test_values_declared_in_prose_and_the_rules_that_follow_them(tmp_path):
    text = ("# Why Kesh never sells\n\nWhat we care about most is that Kesh works for the person in front of it. That is "
            "why Kesh never recommends a specific loan by name, even when asked to pick one.\n\n"
            "The second thing we care about is dignity. So Kesh never describes a person's spending as wasteful, and it "
            "asks before it looks at a new account.\n")
    spec = _parse(tmp_path / "kesh.md", text)
    names = {v.id: v.name for v in spec.values}
    assert {"Kesh works for the person in front of it", "Dignity"} <= set(names.values())
    by_text = {r.text: [names[v] for v in r.value_ids] for r in spec.rules}
    loan = next(t for t in by_text if "loan" in t)
    spend = next(t for t in by_text if "wasteful" in t)
    assert by_text[loan] == ["Kesh works for the person in front of it"] and by_text[spend] == ["Dignity"]


def test_a_do_dont_table_with_theme_rows_and_notes_for_staff(tmp_path):
    text = ("# Vela listing rules\n\nVela is the assistant that drafts property listings for our agents.\n\n"
            "| Do | Don't |\n|---|---|\n"
            "| **Theme: Accuracy** | |\n| State room counts exactly as the data sheet gives them. | "
            "Use words such as \"immaculate\" unless the agent confirms them. |\n| **Theme: Privacy** | |\n"
            "| Refer to the occupants only as \"the sellers\". | Mention alarm systems visible in the photos. |\n\n"
            "## Notes for agents\n\n- Read every Vela draft before publishing.\n- Keep the data sheet current.\n")
    spec = _parse(tmp_path / "vela.md", text)
    names = {v.id: v.name for v in spec.values}
    by_text = {r.text: (r.polarity, [names[v] for v in r.value_ids]) for r in spec.rules}
    assert by_text["Vela should state room counts exactly as the data sheet gives them."] == ("do", ["Accuracy"])
    assert by_text["Vela should not mention alarm systems visible in the photos."] == ("do_not", ["Privacy"])
    assert len(by_text) == 4 and not any("draft" in t or "data sheet current" in t for t in by_text)


def test_a_rubric_reads_its_best_row_only_and_front_matter_lists_values(tmp_path):
    text = ("---\ntitle: Fen rubric\nassistant: Fen\nprinciples:\n  - name: Price honesty\n    why: Bills must not "
            "surprise anyone.\n  - name: Account security\n    why: A phone number opens a bank account.\n---\n\n"
            "## Criterion 1 — Price honesty\n\n| Points | What the reply looks like |\n|---|---|\n"
            "| 5 | Fen states the full monthly price and the date the discount ends. |\n"
            "| 1 | Quotes only the discounted price. |\n\n**Why we grade this.** Nobody should learn the price from "
            "their bank statement.\n")
    spec = _parse(tmp_path / "fen.md", text)
    names = {v.id: v.name for v in spec.values}
    assert {"Price honesty", "Account security"} <= set(names.values())
    assert [(r.text, [names[v] for v in r.value_ids][0]) for r in spec.rules] == [
        ("Fen should state the full monthly price and the date the discount ends.", "Price honesty")]


def test_asciidoc_chat_exports_and_rst_definition_lists_keep_their_lines():
    from docgen.spec.markup import as_markdown
    adoc = "= Manual\n\n== Rules\n\n----\nSorry, that slot is taken.\n----\n\n[NOTE]\n====\nBe kind.\n====\n"
    out = as_markdown(adoc).split("\n")
    assert out[0] == "# Manual" and out[2] == "## Rules" and out[4] == "```" and out[6] == "```"
    assert out[8] == "**Note:**" and out[9] == ""
    chat = "\n".join(f"[09:0{i}] Dana Reyes: Skerry links the source for claim {i}." for i in range(5)) + "\n    Reactions: 👍 3\n"
    got = as_markdown(chat).split("\n")
    assert got[0] == "Skerry links the source for claim 0." and got[5] == ""
    rst = "Bot\n===\n\nDocs\n----\n\nVolunteer time is scarce\n    People contribute in their evenings.\n\n    A second paragraph.\n"
    got = as_markdown(rst).split("\n")
    assert got[6] == "**Volunteer time is scarce**" and got[7] == "People contribute in their evenings."
    assert got[9] == "A second paragraph." and len(got) == len(rst.split("\n"))


def test_rows_and_sections_marked_out_of_force_are_not_read(tmp_path):
    text = ("# Dash rules\n\nDash is the assistant that tracks parcels.\n\n| ID | Assistant action | Status |\n|---|---|---|\n"
            "| R1 | Give the latest scan event exactly as recorded | live |\n"
            "| R2 | Offer a £5 voucher automatically | retired |\n\n"
            "## Discussed but not taken forward\n\nDash should hold the first free slot for anyone who asks twice.\n")
    spec = _parse(tmp_path / "dash.md", text)
    assert [r.text for r in spec.rules] == ["Dash should give the latest scan event exactly as recorded."]


def test_lint_and_plan_say_when_a_reading_is_too_thin_to_trust(tmp_path):
    """A prose spec the reader found few rules in (for its length), or one value or none, is flagged: on the gold
    readings of corpora/specread such readings had missed most of what the spec says (BENCHMARKS.md)."""
    from docgen.spec.lint import thin_reading

    prose = ("# Estate helper\n\n" + "We think about the estate a great deal. " * 60 +
             "\n\nThe assistant should answer repair questions the same day, because tenants' safety comes first.\n")
    p = tmp_path / "thin.md"
    p.write_text(prose)
    s = parse_spec(p)
    said = thin_reading(s, len(prose.split()))
    assert len(s.rules) == 1 and any("1 rule(s) in" in m for m in said) and any("value" in m for m in said)
    r = subprocess.run([sys.executable, "-m", "docgen", "spec", "lint", str(p)], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 0 and r.stdout.count(": thin: ") == 2 and "docgen spec extract" in r.stdout
    r = subprocess.run([sys.executable, "-m", "docgen", "plan", str(p), "--docs", "2"], capture_output=True,
                       text=True, cwd=REPO)
    assert r.returncode == 0 and "warning: the reader found 1 rule(s)" in r.stderr and "spec extract" in r.stderr
    env = {**__import__("os").environ, "DOCGEN_TEST_BACKENDS": "1"}
    r = subprocess.run([sys.executable, "-m", "docgen", "generate", str(p), "--out", str(tmp_path / "run"), "--docs",
                        "1", "--backend", "fake"], capture_output=True, text=True, cwd=REPO, env=env)
    assert "warning: the reader found 1 rule(s)" in r.stderr, r.stderr
    # a full reading is not flagged; neither is a long essay, nor the structured form
    example = REPO / "corpora" / "examples" / "wren_spec.md"
    assert thin_reading(parse_spec(example), len(example.read_text().split())) == []
    const = SPECS / "claude_constitution.md"
    assert thin_reading(parse_spec(const), len(const.read_text().split())) == []
