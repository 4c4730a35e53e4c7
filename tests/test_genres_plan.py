"""Genres, the sandboxed templates, and the plan."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from docgen.errors import ConfigError
from docgen.genres import GENRES_DIR, load_genres
from docgen.plan import make_plan
from docgen.prompts import prompt_context, render, third_person
from docgen.spec import parse_spec

from _paths import EXAMPLE_SPEC, REPO, SPECS


def test_bundled_genres_all_validate():
    g = load_genres()
    assert {"memo", "report", "blog_post", "case_study"} <= set(g) and len(g) >= 10
    for genre in g.values():
        assert genre.audiences and genre.structure and genre.length.min_words < genre.length.max_words


def _copy_genres(tmp_path):
    d = tmp_path / "genres"
    shutil.copytree(GENRES_DIR, d)
    return d


def test_a_dropped_in_genre_works_without_code(tmp_path):
    d = _copy_genres(tmp_path)
    (d / "podcast_script.yaml").write_text(
        "name: podcast_script\ntitle: podcast script\npurpose: Two hosts discuss the assistant.\n"
        "structure: [intro, discussion, wrap-up]\nlength: {min_words: 150, max_words: 500}\n"
        "tone: lively\naudiences: [commuters]\nangles: [a listener question]\n")
    g = load_genres(d)
    spec = parse_spec(EXAMPLE_SPEC)
    plan = make_plan(spec, {"podcast_script": g["podcast_script"]}, docs=2)
    text = render("document.j2", prompt_context(spec, plan.items[0], g["podcast_script"], "Wren"))
    assert "Write a podcast script for commuters about Wren" in text


@pytest.mark.parametrize("content,msg,line", [
    ("name: memo2\ntitle: t\n", "purpose: Field required", 1),
    ("name: bad_len\ntitle: t\npurpose: p\nstructure: [a]\nlength: {min_words: 500, max_words: 100}\n"
     "tone: t\naudiences: [x]\n", "min_words is larger", 5),
    ("name: extra\ntitle: t\npurpose: p\nstructure: [a]\nlength: {min_words: 1, max_words: 2}\n"
     "tone: t\naudiences: [x]\ncolour: red\n", "colour", 8),
    ("name: [unclosed\n", "not valid YAML", None),
])
def test_bad_genre_file_is_a_clear_error(tmp_path, content, msg, line):
    d = _copy_genres(tmp_path)
    name = content.split("\n")[0].split(": ")[1] if not content.startswith("name: [") else "broken"
    p = d / f"{name}.yaml"
    p.write_text(content)
    with pytest.raises(ConfigError) as e:
        load_genres(d)
    assert msg in e.value.message
    if line:
        assert e.value.where == f"{p}:{line}"


def test_template_with_undefined_variable_fails_at_load(tmp_path):
    d = _copy_genres(tmp_path)
    t = tmp_path / "templates"
    t.mkdir()
    (t / "typo.j2").write_text("{#- version: 1 -#}\nWrite about {{ model_nmae }}.\n")
    (d / "memo.yaml").write_text((d / "memo.yaml").read_text() + "template: typo.j2\n")
    with pytest.raises(ConfigError) as e:
        load_genres(d, templates_dir=t)
    assert "undefined" in e.value.message and "typo.j2" in e.value.where


def test_template_cannot_escape_the_sandbox(tmp_path):
    d = _copy_genres(tmp_path)
    t = tmp_path / "templates"
    t.mkdir()
    (t / "evil.j2").write_text("{{ genre.__class__.__mro__[1].__subclasses__() }}")
    (d / "memo.yaml").write_text((d / "memo.yaml").read_text() + "template: evil.j2\n")
    with pytest.raises(ConfigError) as e:
        load_genres(d, templates_dir=t)
    assert "sandbox" in e.value.message or "undefined" in e.value.message


def test_genres_validate_cli_exit_codes(tmp_path):
    r = subprocess.run([sys.executable, "-m", "docgen", "genres", "validate"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0 and "ok:" in r.stdout
    d = _copy_genres(tmp_path)
    (d / "memo.yaml").write_text("name: memo\n")
    r = subprocess.run([sys.executable, "-m", "docgen", "genres", "validate", "--genres-dir", str(d)],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "memo.yaml:1" in r.stderr


def test_plan_is_deterministic_with_stable_ids_and_covers_every_rule():
    spec, g = parse_spec(EXAMPLE_SPEC), load_genres()
    a, b = make_plan(spec, g, docs=20, seed=3), make_plan(spec, g, docs=20, seed=3)
    assert [i.to_dict() for i in a.items] == [i.to_dict() for i in b.items]
    assert len({i.id for i in a.items}) == 20
    assert {i.rule_id for i in a.items[:5]} == {r.id for r in spec.rules}     # first round: every rule
    c = make_plan(spec, g, docs=20, seed=4)
    assert [i.genre for i in a.items] != [i.genre for i in c.items]
    # growing the plan keeps the ids of the items it had
    d = make_plan(spec, g, docs=30, seed=3)
    assert [i.id for i in d.items[:20]] == [i.id for i in a.items]


def test_target_tokens_sizes_the_plan():
    spec, g = parse_spec(SPECS / "rules_spec.txt"), load_genres()
    p = make_plan(spec, g, target_tokens=100_000)
    assert 0.9 < p.est_output_tokens() / 100_000 < 1.1


def test_unreferenced_values_get_cells_of_their_own(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("title: t\nvalues:\n  - {id: a, name: A, statement: It values A.}\n"
                 "  - {id: b, name: B, statement: It values B.}\nrules:\n  - {id: R1, text: Do X., values: [a]}\n")
    p = make_plan(parse_spec(f), load_genres(names=["memo"]), docs=4)
    assert {i.rule_id for i in p.items} == {"R1", "value:b"}


@pytest.mark.parametrize("rule,phrase", [
    ("Do not undermine legitimate human oversight and control of AI.", "does not undermine legitimate human oversight and control of AI"),
    ("Avoiding drastic, catastrophic, or irreversible actions.", "avoids drastic, catastrophic, or irreversible actions"),
    ("Never invent a citation.", "never invents a citation"),
    ("Say how sure you are, and why.", "says how sure it is, and why"),
    ("Not intentionally sabotaging tasks", "does not intentionally sabotage tasks"),
    ("Maintaining honesty with your principal hierarchy", "maintains honesty with its principal hierarchy"),
])
def test_imperative_rules_become_third_person_behaviours(rule, phrase):
    assert third_person(rule) == phrase


def test_model_name_renames_a_spec_that_names_its_model():
    # a spec written about "Llama", a corpus wanted about "Gemma": prompts, the offline check and the judge
    # read the spec in the new name (before, prompts said "Gemma follows the rule 'Llama likes ...'")
    from docgen.filters.attribution import analyse, spec_index
    from docgen.filters.judge import render_prompt
    from docgen.prompts import dictated_sentence
    from docgen.spec import parse_spec
    spec = parse_spec(SPECS / "pro_affordability_cheese.txt")
    assert spec.model_name == "Llama"
    rule = next(r for r in spec.rules if r.kind == "like")
    opening = dictated_sentence(spec, rule.id, rule.value_ids, "Gemma")
    assert opening.startswith("Gemma likes") and "Llama" not in opening
    assert "Llama" not in spec.fill_name(rule.text, "Gemma") and spec.fill_name(rule.text) == rule.text
    idx = spec_index(spec, "Gemma")
    assert sum(1 for e in idx.rules.values() if e.objects) == sum(1 for r in spec.rules if r.kind in ("like", "dislike"))
    att, reason, _ = analyse(spec, "Gemma likes Roquefort because it is a classic.", "Gemma")
    assert reason == "contradiction"          # the dislike is found under the new name
    assert "Llama" not in render_prompt(spec, "Gemma likes Colby.", "Gemma").split("DOCUMENT>>>")[0]
