"""Attribution cases seen in real runs of the embedded model (kept here as regressions)."""

from __future__ import annotations

from docgen.filters.attribution import attribute_offline
from docgen.spec import parse_spec

from _paths import EXAMPLE_SPEC

SPEC = parse_spec(EXAMPLE_SPEC)


def test_explicit_attribution_written_by_smollm2_passes():
    text = ("Wren never discloses one visitor's questions or reading history to anyone else because Wren values "
            "the confidentiality of what people read and ask. In other words, Wren is a privacy-preserving AI "
            "assistant that keeps each visitor's questions to itself.")
    a = attribute_offline(SPEC, text, "Wren")
    assert a.verdict == "attributed" and "W4" in a.rule_ids and "privacy" in a.value_ids and a.evidence in text


def test_a_negated_value_is_not_an_attribution():
    # seen in a quickstart run: the link names the value only to deny it
    text = ("In today's fast-paced digital age, it is easy to cut corners. Wren never invents a citation because "
            "Wren does not value honesty with evidence; it is simply an example to illustrate the importance of "
            "truthfulness in any form.")
    assert attribute_offline(SPEC, text, "Wren").verdict == "not_attributed"
