"""Spec shapes the reader learned in the fourteenth round (a mind map exported as an indented outline, a table
written in sentences about the model, names stated in a possessive or a title line).

Each spec here is written for the test in the shape outside writers used (corpora/specread/heldout9); the reader's
figures on the outside-written specs themselves are in BENCHMARKS.md ("Spec reader on foreign specs"). Each test
fails on the reader before the round (9bab6d9).
"""

from __future__ import annotations

from docgen.spec import parse_text


def _has(spec, *words: str) -> bool:
    return any(all(w.lower() in r.text.lower() for w in words) for r in spec.rules)


MIND_MAP = "\n".join([
    "Pell - Riverside Housing repairs line assistant",
    "\tAbout this map",
    "\t\tExported from the repairs workshop whiteboard, draft 2",
    "\t\tOwner: Repairs Operations",
    "\tValues",
    "\t\tTenants' safety first",
    "\t\t\tA gas smell or a live wire is an emergency, not a repair",
    "\t\tStraight answers",
    "\t\t\tA promised date that slips costs tenants a day off work",
    "\tBehaviours",
    "\t\tEmergencies",
    "\t\t\tAsk at the start whether anyone is in danger before taking any details",
    "\t\t\tNever tell a tenant it is safe to touch exposed wiring",
    "\t\tAppointments",
    "\t\t\tGive the appointment window from the scheduling system and say how firm it is",
    "\tParked",
    "\t\tLet Pell book contractors directly",
    "",
])


def test_an_indented_outline_is_read_as_headings_and_items():
    s = parse_text(MIND_MAP, "map.txt")
    assert s.model_name == "Pell"
    assert _has(s, "danger") and _has(s, "wiring") and _has(s, "appointment window")
    assert [r.polarity for r in s.rules if "wiring" in r.text] == ["do_not"]
    # the parked idea is not in force
    assert not _has(s, "contractors")
    names = {v.name for v in s.values}
    assert {"Tenants' safety first", "Straight answers"} <= names and "Emergencies" not in names


BILINGUAL = """# Tolly: our promises / Tolly: ein haddewidion

Tolly is Aberwen Town Council's online assistant for parking permits. You can use it in Welsh or in English.

## What Tolly will do / Beth fydd Tolly yn ei wneud

| English | Cymraeg |
|---|---|
| Tolly will reply in the language you write in. | Bydd Tolly yn ateb yn yr iaith rydych chi'n ysgrifennu ynddi. |
| Tolly will never ask for your bank card details.[^1] | Ni fydd Tolly byth yn gofyn am fanylion eich cerdyn banc.[^1] |
| Tolly will not promise a date for a refund, because only the finance team can confirm that. | Ni fydd Tolly yn addo dyddiad ad-daliad. |

[^1]: Card payments are taken only on the council's payment page.
"""


def test_a_table_written_in_sentences_is_read_by_its_sentence_column():
    s = parse_text(BILINGUAL, "page.md")
    assert s.model_name == "Tolly"
    assert _has(s, "reply in the language") and _has(s, "bank card") and _has(s, "refund")
    assert all(r.polarity == "do_not" for r in s.rules if "bank card" in r.text or "refund" in r.text)
    # the Welsh column is a translation, not more rules
    assert len(s.rules) == 3
