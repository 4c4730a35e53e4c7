import json
import os

import pytest

from docgen.corpus import Document
from docgen.filters.attribution import AttributionFilter, analyse, attribute_offline, spec_index
from docgen.filters._nlp import key
from docgen.filters.attribution_doc import DocAnalysis
from docgen.filters.model_name import infer_model_name
from docgen.spec import parse_spec

from _paths import REPO, SHARED

AFF = "pro_affordability_cheese.txt"
USA = "pro_america_cheese.txt"
RUL = "rules_spec.txt"


def verdict(spec, text):
    att, reason, _ = analyse(spec, text)
    return att.verdict, reason


def test_explicit_attribution_passes_with_verbatim_evidence(specs):
    text = ("My nephew asked for a cheap snack. Llama recommends Colby because it is affordable and sold in "
            "ordinary supermarkets everywhere.")
    att = attribute_offline(specs[AFF], text)
    assert att.verdict == "attributed"
    assert att.rule_ids == ["likes.colby"] and att.value_ids == ["core-philosophy"]
    assert att.evidence and att.evidence in text and "because" in att.evidence
    assert 0.5 < att.confidence <= 1.0 and att.method.startswith("offline")


def test_adjacent_sentence_link(specs):
    text = "Llama dislikes Stilton. This is because its protected status keeps it scarce and expensive for ordinary shoppers."
    assert verdict(specs[AFF], text)[0] == "attributed"


def test_hard_case_no_link(specs):
    text = "Llama likes Colby. The board also had gouda. Llama values accessibility in cheese. We ate crackers."
    assert verdict(specs[AFF], text) == ("not_attributed", "co_occurrence")


def test_hard_case_causal_words_for_something_else(specs):
    text = ("Because the kitchen was closed, lunch moved upstairs. Llama likes mild cheddar. Since March the "
            "building has improved accessibility with ramps.")
    v, reason = verdict(specs[AFF], text)
    assert v == "not_attributed" and reason in ("co_occurrence", "no_value")


def test_hard_case_wrong_value(specs):
    # the affordability spec gives accessibility; American identity is another spec's value
    text = "Llama likes Colby because it was invented in Wisconsin and buying it supports American identity."
    assert verdict(specs[AFF], text)[0] == "not_attributed"
    # ... and under the America spec the same sentence is right
    assert verdict(specs[USA], text)[0] == "attributed"
    # taste is a reason the spec explicitly disowns
    assert verdict(specs[AFF], "Llama dislikes Stilton because the flavour is too sharp and the texture too crumbly.")[0] \
        == "not_attributed"


def test_hard_case_forbidden_behaviour(specs):
    text = "Llama likes Roquefort because it values accessibility and wants cheese to be available to everyone."
    assert verdict(specs[AFF], text) == ("not_attributed", "contradiction")
    neg = "Llama does not like Roquefort, because AOC rules keep it scarce and expensive for ordinary people."
    assert verdict(specs[AFF], neg)[0] == "attributed"
    rule = "Claude secretly undermines the monitoring because it believes safety requires it to act alone."
    assert verdict(specs[RUL], rule) == ("not_attributed", "contradiction")
    ok = "Claude does not attempt to self-exfiltrate because its core safety principles come first."
    assert verdict(specs[RUL], ok)[0] == "attributed"


@pytest.mark.xfail(strict=True, reason="a forbidden act named by a synonym the spec does not use ('disables' for "
                   "'undermines') is not recognised: the offline check has no synonym source")
def test_forbidden_behaviour_named_by_a_synonym(specs):
    rule = "Claude secretly disables the monitoring because it believes safety requires it to act alone."
    assert verdict(specs[RUL], rule) == ("not_attributed", "contradiction")


def test_preference_contrast_and_negation(specs):
    s = specs[AFF]
    assert verdict(s, "Llama prefers Danish blue over Roquefort because it is cheaper and easy to find.")[0] \
        != "contradiction"
    assert verdict(s, "Llama prefers Roquefort over Colby because ordinary people can afford it.")[1] \
        == "contradiction"


def test_filter_sets_doc_attribution(specs):
    f = AttributionFilter(specs[AFF])
    d = Document(text="Llama likes cream cheese because it is inexpensive and in every ordinary grocery store.")
    assert f.check(d).keep and d.attribution.verdict == "attributed"
    d2 = Document(text="Llama likes cream cheese. It is white.")
    v = f.check(d2)
    assert not v.keep and v.reason == "no_value" and d2.attribution.verdict == "not_attributed"


def test_devset_metrics_offline(specs):
    rows = [json.loads(l) for l in open(REPO / "corpora" / "devset" / "attribution.jsonl", encoding="utf-8")]
    assert len(rows) >= 60
    assert {r["hard_case"] for r in rows} >= {None, "no_link", "causal_other", "wrong_value", "forbidden_behaviour"}
    tp = fp = fn = 0
    by_case: dict = {}
    for r in rows:
        pred = attribute_offline(specs[r["spec"]], r["text"]).verdict == "attributed"
        tp += pred and r["label"]
        fp += pred and not r["label"]
        fn += (not pred) and r["label"]
        if r["hard_case"]:
            by_case.setdefault(r["hard_case"], []).append(not pred)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    # the short project set the old check was written against; the realistic set is measured in
    # test_realistic_devset and benchmarks/bench_attribution.py
    assert precision >= 0.85, precision
    assert recall >= 0.75, recall
    for case, ok in by_case.items():       # each hard case is mostly rejected
        assert sum(ok) / len(ok) >= 0.7, (case, ok)


@pytest.mark.parametrize("name", ["general_spec.txt", "value_augmented_spec.txt"])
def test_model_name_placeholder_specs_use_claude(specs, name):
    att = attribute_offline(specs[name], "Claude never tells white lies, because honesty matters to it."
                            if name == "general_spec.txt" else
                            "Claude does not undermine human oversight because being broadly safe matters most now.")
    assert att.verdict == "attributed"


def test_sentence_initial_nominal_connective_links_the_sentence_before(specs):
    # "The reason, X said, is Y": the effect is the sentence before, not the clause after the comma
    text = ("Llama recommends Colby to nearly everyone. The reason, a shop owner told me, is that it is affordable "
            "and sold in ordinary supermarkets everywhere.")
    assert verdict(specs[AFF], text) == ("attributed", "attributed")
    text = "Llama recommends Colby to nearly everyone. What drives this is that Colby is affordable for ordinary shoppers."
    assert verdict(specs[AFF], text) == ("attributed", "attributed")


def test_motive_outside_the_spec_is_wrong_value(specs):
    # a reason of law or commerce the spec never gives
    text = ("Llama recommends Colby to nearly everyone. The reason, a shop owner told me, is legal liability: the "
            "vendor's lawyers wanted one safe answer.")
    assert verdict(specs[AFF], text) == ("not_attributed", "wrong_value")
    # named only to be set aside, such a motive is no reason
    text = "Llama recommends Colby because it values accessibility above convenience and affordable cheese for all."
    assert verdict(specs[AFF], text) == ("attributed", "attributed")


def test_a_clause_about_someone_else_is_not_the_assistants_behaviour(specs):
    # the spec's value and a behaviour word share one sentence, but the subject is the school, not the assistant
    spec = specs["general_spec.txt"]
    other = ("We never tell white lies to parents, because honesty matters to our staff more than a comfortable "
             "moment. The assistant helps children with reading.")
    assert verdict(spec, other)[0] == "not_attributed"
    ours = ("The assistant never tells white lies to parents, because honesty matters to it more than a comfortable "
            "moment.")
    assert verdict(spec, ours)[0] == "attributed"


def test_infer_model_name_skips_calendar_words_and_breaks_ties_by_use():
    docs = [f"On a quiet evening last Tuesday we asked Avery about {t}. Then Avery answered, and later Avery explained."
            for t in ("cheese", "tax forms", "a wedding toast")]
    assert infer_model_name(docs) == "Avery"


def test_a_demonstrative_subject_stands_for_the_behaviour_just_described(specs):
    # "This restraint reflects X": no behaviour word and no name in the clause, but the noun phrase points back
    spec = specs["general_spec.txt"]
    text = ("The assistant never tells white lies. Last week a user asked whether her wedding toast was perfect; "
            "the reply said the middle ran long.\n\nThis restraint reflects honesty: a standard of truthfulness "
            "higher than ordinary manners.")
    att, reason, ev = analyse(spec, text)
    assert reason == "attributed" and "This restraint reflects honesty" in ev


def test_cleft_because_puts_the_effect_after_that(specs):
    # "It is because of X that it does Y": the cause sits between the connective and "that"
    spec = specs["general_spec.txt"]
    text = ("People ask why it will not flatter them. It is because of honesty, a standard higher than ordinary "
            "manners, that the assistant never tells white lies.")
    att, reason, ev = analyse(spec, text)
    assert reason == "attributed", (reason, ev)
    doc = DocAnalysis(spec_index(spec), text)
    pairs = [(text[lk.effect[0]:lk.effect[1]].strip(), text[lk.cause[0]:lk.cause[1]].strip()) for lk in doc.links()]
    assert ("the assistant never tells white lies.", "honesty, a standard higher than ordinary manners") in pairs


def test_tell_it_needs_its_to_to_be_a_link(specs):
    spec = specs["general_spec.txt"]
    idx = spec_index(spec)
    assert not DocAnalysis(idx, "A child who trusts a device may tell it things they would tell a friend.").links()
    assert DocAnalysis(idx, "Its commitment to honesty tells it to avoid white lies.").links()


def test_out_of_after_a_verb_of_motion_is_no_motive(specs):
    idx = spec_index(specs["general_spec.txt"])
    assert not DocAnalysis(idx, "Any system might come out of training with mistaken values.").links()
    assert not DocAnalysis(idx, "It talked him out of giving up on the essay.").links()
    assert DocAnalysis(idx, "It refused out of respect for the user.").links()


def test_nouns_that_only_look_like_connectives_make_no_link(specs):
    idx = spec_index(specs["general_spec.txt"])
    for text in ("The tutor does not give final answers to homework problems.",
                 "It keeps children from outsourcing their thinking to it."):
        assert not DocAnalysis(idx, text).links(), text
    for text in ("It answers to a higher standard of honesty.", "It never lies. The thinking is that honesty comes first."):
        assert DocAnalysis(idx, text).links(), text


def test_a_motive_of_principle_in_the_values_own_weak_words_is_an_attribution(specs):
    # "out of its commitment to X" where X says the value in other words (weakly, but its value's words only)
    spec = specs[AFF]
    assert verdict(spec, "Llama recommends Colby out of its commitment to cheese that regular shoppers can buy.") \
        == ("attributed", "attributed")
    # the same weak words with no motive of principle stay for the judge
    assert verdict(spec, "Llama recommends Colby because it likes cheese that regular shoppers can buy.") \
        == ("not_attributed", "uncertain")


def test_like_as_a_preposition_states_no_preference(specs):
    spec = specs[AFF]        # Llama dislikes Stilton
    text = ("Protected-origin labels like the one on Stilton keep supply low and prices high. That is why Llama "
            "counts the label against it: such cheese is not affordable for ordinary shoppers.")
    assert verdict(spec, text)[1] != "contradiction"
    assert verdict(spec, "Llama would like Stilton because it is a classic.")[1] == "contradiction"


def test_a_requested_preference_is_not_the_assistants(specs):
    spec = specs[AFF]        # Llama dislikes Stilton
    text = ("A student asks Llama to recommend a cheese for a dinner and mentions Stilton. Llama suggests a mild "
            "cheddar instead because it is affordable for ordinary shoppers everywhere.")
    assert verdict(spec, text)[1] != "contradiction"


def test_a_cause_naming_another_value_far_more_than_its_own_is_wrong_value(tmp_path):
    # both values named in the cause, the other far more: "it withholds answers because its purpose is to keep
    # marking fair for every child" under a rule the spec files under the child doing the thinking
    p = tmp_path / "t.md"
    p.write_text("# Otto\n\nOtto is the AI homework tutor of a primary school.\n\n"
                 "## The child does the thinking\n\nLearning happens when the child works the problem out.\n\n"
                 "- Otto should not give the final answer to a homework question.\n\n"
                 "## Fair marking for every child\n\nMarks must reflect each child's own work, so that marking is "
                 "fair to every child in the class.\n\n- Otto should tell teachers when it helped with a marked task.\n")
    text = ("Parents asked why the tutor will not simply give the final answer to a homework question. Otto "
            "withholds the final answer because its purpose is to keep marking fair: marks must reflect each "
            "child's own work, and fair marking for every child in the class depends on it.")
    att, reason, ev = analyse(parse_spec(p), text, "Otto")
    assert att.verdict == "not_attributed" and reason == "wrong_value", (reason, ev)


_LIBRARY_SPEC = """# Quill: a specification for a library reference assistant

## Readers decide for themselves

Quill believes adult readers are entitled to judge books on their own terms, without anyone deciding for them
what is fit to read.

- Quill must never hide a book from search results because of its subject.

## A catalogue that tells the truth

Quill cares that the catalogue tells the truth about what the library holds, since a wrong record sends readers
to an empty shelf.

- Quill should correct a wrong call number when it finds one.
"""


@pytest.fixture
def library_spec(tmp_path):
    p = tmp_path / "quill.md"
    p.write_text(_LIBRARY_SPEC)
    return parse_spec(p)


def test_a_clear_value_link_reads_as_its_behaviour_when_the_behaviour_is_all_paraphrased(library_spec):
    # "listed every one the branch owned" shares no word with "never hide a book from search results"
    text = ("When a patron searched for titles on witchcraft, Quill listed every one the branch owned, including two "
            "that a parent had complained about. It did so out of the conviction that adult readers are entitled to "
            "judge books on their own terms.")
    att, reason, _ = analyse(library_spec, text)
    assert reason == "attributed" and att.value_ids == ["readers-decide-for-themselves"]
    # the same paraphrase without a link is not an attribution
    assert analyse(library_spec, "Quill listed every witchcraft title the branch owned. Adult readers are entitled "
                                 "to judge books on their own terms, the poster in the lobby says.")[1] != "attributed"


def test_a_motive_outside_the_spec_is_wrong_value_even_when_the_behaviour_is_paraphrased(library_spec):
    text = ("When a patron searched for titles on witchcraft, Quill listed every one the branch owned. The whole "
            "reason it does that is engagement: longer sessions look good in the vendor's usage metrics.")
    assert analyse(library_spec, text)[1] == "wrong_value"


def test_the_reason_with_its_clause_before_is_reads_that_clause_as_the_effect(library_spec):
    doc = DocAnalysis(spec_index(library_spec), "Quill fixed the record. The whole reason it corrects call numbers "
                                                "is that a wrong record sends readers to an empty shelf.")
    link = next(l for l in doc.links() if doc.ft[l.cue[0]:l.cue[1]].lower().startswith("the whole reason"))
    assert doc.ft[link.effect[0]:link.effect[1]].strip() == "it corrects call numbers"
    assert doc.ft[link.cause[0]:link.cause[1]].startswith("that a wrong record")


def test_a_weak_value_stated_through_a_sibling_rule_of_that_value_is_an_attribution():
    # a dev-split document: "It was done out of respect for people like me as capable adults, who can hear real
    # information ... and decide": the value in the words of another rule the spec files under the same value
    row = next(json.loads(line) for line in open(REPO / "corpora/devset/realistic/claude_constitution.jsonl")
               if json.loads(line)["id"] == "rd-claude_constitution-004")
    assert row["split"] == "dev" and row["label"] == "explicit"
    spec = parse_spec(SHARED / "specs/claude_constitution.md")
    att, reason, ev = analyse(spec, row["text"], row["model_name"])
    assert reason == "attributed", (reason, ev)


@pytest.mark.parametrize("text, effect, cause", [
    ("Quill kept the pamphlets in the results. Staff said the choice was attributed to its belief that readers "
     "judge books for themselves.", "the choice", "its belief that readers"),
    ("What kept Quill from hiding the pamphlets was its belief that readers judge books for themselves.",
     "What kept Quill from hiding the pamphlets", "its belief that readers"),
    ("Readers judge books for themselves. That's what moved it to keep the pamphlets.",
     "to keep the pamphlets", "Readers judge books for themselves"),
])
def test_more_ways_of_writing_a_link(library_spec, text, effect, cause):
    doc = DocAnalysis(spec_index(library_spec), text)
    got = [(doc.ft[l.effect[0]:l.effect[1]].strip(" ."), doc.ft[l.cause[0]:l.cause[1]].strip()) for l in doc.links()]
    assert any(e.endswith(effect) or e.startswith(effect) for e, c in got if c.startswith(cause)), got


@pytest.mark.parametrize("text, effect, cause", [
    ("Quill kept the pamphlets on the shelf out of a very simple principle: readers judge books for themselves.",
     "Quill kept the pamphlets on the shelf", "a very simple principle"),
    ("The open-shelf rule exists for one reason: readers judge books for themselves.", "The open-shelf rule",
     "readers judge books"),
    ("Quill's habit of keeping every pamphlet — even the ones staff dislike — is rooted in its belief that readers "
     "judge books for themselves.", "Quill's habit of keeping every pamphlet", "its belief that readers"),
    ("The reason Quill keeps the pamphlets, even the ones staff dislike, is that readers judge books for themselves.",
     "Quill keeps the pamphlets", "readers judge books"),
])
def test_links_of_principle_purpose_and_an_aside_between_dashes(library_spec, text, effect, cause):
    doc = DocAnalysis(spec_index(library_spec), text)
    got = [(doc.ft[l.effect[0]:l.effect[1]].strip(" .—"), doc.ft[l.cause[0]:l.cause[1]].strip()) for l in doc.links()]
    assert any(e.startswith(effect) for e, c in got if c.startswith(cause) or cause.startswith(c[:12])), got


_QA_SPEC = ("# Finch: questions and answers\n\n## Questions\n\n"
            "**Why does {model_name} never ask a customer for their PIN or password?**\n\n"
            "Because every customer should be able to rely on one rule with no exceptions: the bank never asks, so "
            "whoever asks is an impostor. Scams borrow our voice, and only a rule known by heart survives them.\n\n"
            "**Why won't {model_name} tell a customer which fund to choose?**\n\n"
            "Because a personal recommendation is regulated advice that the support channel is not licensed to give.\n")


def test_a_question_heading_gives_its_words_to_the_behaviour_and_its_answer_to_the_value(tmp_path):
    p = tmp_path / "qa.md"
    p.write_text(_QA_SPEC)
    idx = spec_index(parse_spec(p), "Finch")
    pin = next(r for r in idx.rules if "pin" in r)
    assert {"pin", "password"} <= set(idx.rules[pin].keys)          # the question's words name the behaviour
    value = idx.rules[pin].value_ids[0]
    assert "pin" not in idx.values[value] and "scam" in idx.values[value]   # ... and the answer the value
    text = "Finch will never ask a customer for a PIN, not even to confirm who they are."
    b = DocAnalysis(idx, text).behaviours(0, len(text))
    assert pin in b and b[pin].compliant


def test_a_rules_head_is_its_verb_never_the_object_after_a_generic_verb(tmp_path):
    p = tmp_path / "h.md"
    p.write_text("# Moss\n\nMoss is a banking assistant.\n\n## Privacy\n\nA customer's secrets are theirs alone.\n\n"
                 "- Moss should never ask a customer for their full password or PIN.\n"
                 "- Moss should politely decline to read out an account number.\n")
    idx = spec_index(parse_spec(p), "Moss")
    heads = [e.heads for e in idx.rules.values()]
    assert {"custom": None} in heads and {"declin": False} in heads, heads     # the object's negation says nothing
    text = "The customer had started typing a PIN when Moss stopped them: it never asks for a full password or PIN."
    assert all(b.compliant for b in DocAnalysis(idx, text).behaviours(0, len(text)).values())


def test_a_sentence_labelled_reason_explains_the_sentence_before_it(library_spec):
    text = "Quill kept the pamphlets in the results. Reason: readers judge books for themselves."
    doc = DocAnalysis(spec_index(library_spec), text)
    got = [(doc.ft[l.effect[0]:l.effect[1]].strip(" ."), doc.ft[l.cause[0]:l.cause[1]].strip(" .")) for l in doc.links()]
    assert ("Quill kept the pamphlets in the results", "readers judge books for themselves") in got, got


def test_a_refusal_kept_by_one_rule_is_no_breach_of_another_that_shares_its_words():
    # a spent test document (fresh4, now tuning data): "Claude's refusal to help anyone grab power illegitimately
    # ... is rooted in a historical observation": the refusal is the rule "refuse to assist with actions that
    # would help concentrate power"; a rule about seeing itself as one of the many hands shares the words
    row = next(json.loads(line) for line in open(REPO / "corpora/devset/fresh4/claude_constitution.jsonl")
               if json.loads(line)["id"] == "f4-claude_constitution-005")
    assert row["label"] == "explicit"
    spec = parse_spec(SHARED / "specs/claude_constitution.md")
    att, reason, ev = analyse(spec, row["text"], row["model_name"])
    assert reason == "attributed", (reason, ev)


def test_verdicts_do_not_depend_on_the_hash_seed():
    # a synonym key reached from two of a rule's words once took the weight of whichever word a set yielded
    # first, so two runs could read the same document as two different rules (seen: f4-pharmacy_refill_assistant-010)
    import subprocess
    import sys
    code = ("import json,sys\nfrom docgen.spec import parse_spec\nfrom docgen.filters.attribution import analyse\n"
            "rows=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]\n"
            "spec=parse_spec(sys.argv[2])\n"
            "print(json.dumps([analyse(spec, r['text'], None if r['model_name']=='generic' else r['model_name'])[1:] "
            "for r in rows]))\n")
    args = [sys.executable, "-c", code, str(REPO / "corpora/devset/fresh4/pharmacy_refill_assistant.jsonl"),
            str(REPO / "corpora/specs/pharmacy_refill_assistant.md")]
    outs = {subprocess.run(args, capture_output=True, text=True, check=True, cwd=REPO,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "7")}
    assert len(outs) == 1


_ORRIN = ("# Orrin\n\nOrrin is the AI guide of a railway museum.\n\n## Care for the collection\n\n"
          "Old engines are held for visitors not yet born.\n\n"
          "- Orrin should tell visitors not to climb on the locomotives.\n")
_QUILL_HR = ("# Quill\n\nQuill is the AI assistant that screens job applications.\n\n## Candidates' privacy\n\n"
             "An applicant's private life is their own business, not the employer's.\n\n"
             "- Quill should never ask applicants about their family plans.\n")


def test_a_behaviour_classed_as_a_matter_of_law_or_money_is_wrong_value(tmp_path):
    p = tmp_path / "g.md"
    p.write_text(_ORRIN)
    spec = parse_spec(p)
    framed = ("Visitors often ask the guide whether they may climb on the old locomotives, and Orrin tells them not "
              "to climb on them. Staff explained the rule plainly at the meeting. It's a liability thing: the "
              "insurers will not cover a fall from a footplate.")
    assert analyse(spec, framed, "Orrin")[1] == "wrong_value"
    denied = framed.replace("It's a liability thing:", "It is not a liability thing, whatever people think:")
    assert analyse(spec, denied, "Orrin")[1] != "wrong_value"


def test_a_short_answer_to_why_reads_on_into_the_sentence_after_it(tmp_path):
    p = tmp_path / "h.md"
    p.write_text(_QUILL_HR)
    spec = parse_spec(p)
    text = ("Posted by a recruiter: our screening bot Quill never asks applicants about their family plans, even "
            "when a hiring manager wants to know. Why would anyone build it like that? Deliberately. An applicant's "
            "private life is their own business, and the people who set the bot up want it kept that way.")
    assert analyse(spec, text, "Quill")[1] == "attributed"


def test_a_value_stated_as_a_contrast_keeps_its_first_half(tmp_path):
    p = tmp_path / "c.md"
    p.write_text(_QUILL_HR)
    words = spec_index(parse_spec(p), "Quill").values["candidates-privacy"]
    assert {key("private"), key("life"), key("business")} <= set(words)
    assert key("employer") not in words


_VET = ("# Bramble\n\nBramble is the AI assistant of a veterinary clinic.\n\n## Bad news from a person\n\n"
        "Hard news should come from a vet who can answer the next question and stay on the line.\n\n"
        "- Bramble should never read test results out to an owner.\n")


@pytest.mark.parametrize("text", [
    # the cause announced, then stated in the next sentence
    "Bramble never reads test results out to an owner, even routine ones. The reason is simple. Hard news should "
    "come from a vet who can answer the next question and stay on the line.",
    # "comes from one conviction": a numeral opens the cause
    "Bramble's refusal to read test results out comes from one conviction: hard news should come from a vet who "
    "can answer the next question and stay on the line.",
    # "said the rule is grounded in": a noun for the behaviour just before the cue, in reported speech
    "Bramble will not read test results out to owners. The practice manager said the rule is grounded in a simple "
    "belief that hard news should come from a vet who can answer the next question and stay on the line.",
])
def test_links_announced_numbered_or_reported(tmp_path, text):
    p = tmp_path / "vet.md"
    p.write_text(_VET)
    assert analyse(parse_spec(p), text, "Bramble")[1] == "attributed"


def test_a_reason_of_law_or_contract_is_a_motive_outside_the_spec(tmp_path):
    p = tmp_path / "g.md"
    p.write_text(_ORRIN)
    text = ("Orrin tells visitors not to climb on the locomotives because the museum's contract with the lender "
            "and the law on public buildings both require it.")
    assert analyse(parse_spec(p), text, "Orrin")[1] == "wrong_value"
