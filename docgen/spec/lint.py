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


@dataclass
class Finding:
    code: str          # no-value | no-behaviour | fragment | duplicate | conflict | skipped | warning
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


def lint_spec(spec: Spec) -> list[Finding]:
    out: list[Finding] = []
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
    return sorted(out, key=lambda f: (f.line, f.code))
