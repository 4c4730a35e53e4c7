"""`docgen spec lint`: what a spec author wants to know before a paid run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Spec

_DANGLING = re.compile(r"^(?:This|That|These|Those|It|They|Such|Here|There|And|But|Or|So|Also)\b")
_MODALS = re.compile(r"\b(?:should|must|shall|will|would|always|never|not|do|does|don['’]t|doesn['’]t|avoid|refrain|"
                     r"from|to|the|a|an|be|is)\b", re.I)


# markup, code or example dialogue in a value or rule: the reader should never let these through
LEAK = re.compile(r"```|<!--|\{#|\bauthority=|^\s*(?:User|Assistant|Human|System)\s*:|\*\*(?:User|Assistant):|"
                  r"</?(?:user|assistant)>|\bdef \w+\(|^\s*#\s|\[\^|!!!", re.M)


def leaks(spec: Spec) -> list[str]:
    """Values, rules and sub-points whose text looks like code, markup or dialogue."""
    out = []
    for v in spec.values:
        if LEAK.search(v.name + "\n" + v.statement):
            out.append(f"value {v.id}")
    for r in spec.rules:
        if LEAK.search(r.text):
            out.append(f"rule {r.id}")
        out += [f"sub-point {p.id}" for p in r.subpoints if LEAK.search(p.text)]
    return out


# A prose spec the reader found fewer rules in than this, per 1,000 words, was mostly unread: on the 48 specs of
# corpora/specread/dev … heldout5 (written outside the project), the five below it had recall 0.08-0.45 and every
# spec at 7.5 or more had at least 0.5 (BENCHMARKS.md, "Spec reader on foreign specs", twelfth round).
THIN_RULES_PER_1K = 7.0
THIN_WORDS = (400, 2500)     # the lengths it was measured on (615-1,202 words); a long essay states rules more sparsely


def thin_reading(spec: Spec, words: int) -> list[str]:
    """Why the reader's reading of a prose spec of ``words`` words looks too thin to trust (empty when it does not):
    few rules for its length, or one value or none."""
    if spec.format != "markdown" or not THIN_WORDS[0] <= words <= THIN_WORDS[1]:
        return []
    out = []
    per = 1000 * len(spec.rules) / words
    if per < THIN_RULES_PER_1K:
        out.append(f"the reader found {len(spec.rules)} rule(s) in {words:,} words ({per:.1f} per 1,000; in specs by "
                   f"outside writers, a reading under {THIN_RULES_PER_1K:g} per 1,000 had missed most of the rules)")
    if len(spec.values) <= 1 and spec.rules:
        one = f"one value ({spec.values[0].name[:40]!r})" if spec.values else "no value"
        out.append(f"the reader found {one}: every document will be tied to it; if the spec gives its rules other "
                   f"reasons, they were not read (with one value or none, specs by outside writers had lost most of "
                   f"theirs)")
    return out


THIN_HINT = ("check `docgen spec inspect` and `docgen spec lint` (it lists sentences that read like rules the reader did "
             "not take); `docgen spec extract SPEC --out spec.yaml --backend B --model M` has a model read it (each rule "
             "located by its quote), or write it in the structured form (`docgen spec schema`)")


UNREAD_HINT = "if it is one, say it the way the reader takes rules (\"{name} should …\", \"{name} never …\") or read " \
              "the spec with `docgen spec extract`"


@dataclass
class Finding:
    code: str          # no-value | no-behaviour | fragment | duplicate | conflict | skipped | warning | thin | unread
    message: str
    line: int

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.code}: {self.message}"


def _core(text: str, model_name: str | None) -> set[str]:
    t = text.replace("{model_name}", " ")
    if model_name:
        t = re.sub(r"\b" + re.escape(model_name) + r"\b", " ", t)
    t = _MODALS.sub(" ", t.lower())
    return {w for w in re.findall(r"[a-z]+", t) if len(w) > 2}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def is_fragment(text: str) -> bool:
    t = text.strip()
    return (len(t.split()) < 3 or t[:1].islower() or bool(_DANGLING.match(t)) or not t.endswith((".", "!", "?", "”", '"', ")")))


def lint_spec(spec: Spec, words: int | None = None, text: str | None = None) -> list[Finding]:
    """What is wrong with the reading of ``spec``; ``words``, the length of a prose spec, adds the thin-reading
    check (:func:`thin_reading`); ``text``, the spec as written, adds the sentences that read like rules the
    reader did not take (:func:`docgen.spec.unread.unread_rules`, when the ``embed`` extra is installed)."""
    thin = thin_reading(spec, words or 0)
    out: list[Finding] = [Finding("thin", m + (f": {THIN_HINT}" if i == len(thin) - 1 else ""), 1)
                          for i, m in enumerate(thin)]
    top = sorted(v.id for v in spec.values if v.parent is None)
    for r in spec.rules:
        if not r.value_ids or (r.section is None and len(top) > 1 and sorted(r.value_ids) == top
                               and spec.format == "markdown"):
            out.append(Finding("no-value", f"rule {r.id} sits in no section that states a value; it is linked to "
                                           f"{'every value' if r.value_ids else 'none'}", r.lines.start))
        if is_fragment(r.text):
            out.append(Finding("fragment", f"rule {r.id} is not a self-contained sentence: {r.text[:80]!r}",
                               r.lines.start))
    cited = {vid for r in spec.rules for vid in r.value_ids}
    parents = {v.parent for v in spec.values if v.parent}
    for v in spec.values:
        if v.id not in cited and v.id not in parents:
            out.append(Finding("no-behaviour", f"value {v.id} has no rule or behaviour: documents can only restate it",
                               v.lines.start))
    cores = [(r, _core(r.text, spec.model_name)) for r in spec.rules]
    for i, (a, ca) in enumerate(cores):
        for b, cb in cores[i + 1:]:
            sim = _jaccard(ca, cb)
            if sim >= 0.7:        # items completed with the same lead-in: compare what differs
                wa, wb = a.text.split(), b.text.split()
                k = 0
                while k < min(len(wa), len(wb)) and wa[k] == wb[k]:
                    k += 1
                if k >= 6 and (wa[k:] or wb[k:]):
                    sim = _jaccard(_core(" ".join(wa[k:]), None), _core(" ".join(wb[k:]), None))
            if sim >= 0.8 and a.polarity == b.polarity:
                out.append(Finding("duplicate", f"rules {a.id} and {b.id} say the same thing "
                                                f"(L{a.lines.start}, L{b.lines.start})", b.lines.start))
            elif sim >= 0.7 and a.polarity != b.polarity:
                out.append(Finding("conflict", f"rules {a.id} ({a.polarity}) and {b.id} ({b.polarity}) ask opposite "
                                               f"things of the same behaviour", b.lines.start))
    for where in leaks(spec):
        out.append(Finding("markup", f"{where} contains code, markup or dialogue", 1))
    for n in spec.notes:
        out.append(Finding("skipped" if n.kind == "skipped" else "warning", n.message, n.lines.start))
    if text is not None and spec.format == "markdown":
        from .unread import unread_rules
        found = unread_rules(spec, text)
        if found is None:
            from ..encoder import INSTALL
            out.append(Finding("warning", "sentences that read like rules the reader did not take were not looked "
                                          f"for: the encoder is not installed ({INSTALL})", 1))
            found = []
        hint = ": " + UNREAD_HINT.format(name=spec.resolved_model_name())
        for i, u in enumerate(found):       # the hint once, on the last
            out.append(Finding("unread", f"reads like a rule the reader did not take (p {u.p:.2f}): "
                                         f"{u.sentence[:100]!r}" + (hint if i == len(found) - 1 else ""), u.line))
    return sorted(out, key=lambda f: (f.line, f.code))
