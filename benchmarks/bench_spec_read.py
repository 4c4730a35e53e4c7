"""How well the spec reader reads specs it was not written against: scored against hand-made gold readings.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_spec_read.py corpora/specread/dev [corpora/specread/heldout] [--json] [--show]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_spec_read.py corpora/specread/heldout6 --extract BACKEND/MODEL [--base-url URL] [--part-words N]

``--extract`` scores an LLM's reading instead of the reader's: ``docgen spec extract`` (the model reads the
spec into the structured form with a verbatim quote for every value and rule; what it quotes is located in the
spec, what it cannot quote is dropped), placed at the lines its quotes were found on. Same columns.

Each ``NAME.gold.json`` beside a spec lists, with verbatim quotes from the spec, its values, its rules
(polarity, and the values the spec gives as their reason) and its traps (text that looks like a rule but
is not one: example replies, code, withdrawn proposals, duties of staff or users). The reader's output is
matched to the gold by place and words: a rule the reader found matches a gold rule (or a trap) when its
lines touch one of the quote's lines and at least 60 % of the shorter side's content words are shared.

Columns, per spec and pooled per folder:

* rules P / R: reader rules that match a gold rule / all reader rules; gold rules found / gold rules.
  A second reader rule for the same gold rule counts as correct (``dup`` says how many).
* traps: reader rules that match a trap (the worst error: the assistant would be taught a non-rule).
* polarity: matched rules whose do / do-not agrees with the gold.
* values P / R: reader values paired one-to-one with gold values (by shared name words, or by the value's
  words covering most of a gold quote near its lines) / reader values; gold values paired / gold values.
* link: matched rules (whose gold names a reason) linked by the reader to a value paired with one of the
  gold reasons (a rule linked to three or more values, over half of those read, counts as wrong).
* name: whether the reader found the assistant's name.
* thin: what ``docgen spec lint`` says of the reading (:func:`docgen.spec.lint.thin_reading`): ``r`` too few rules
  for the spec's length, ``v`` one value or none.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docgen.spec import parse_spec  # noqa: E402
from docgen.spec.source import read_text  # noqa: E402

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = set("""a an the and or but if then else of to in on at by for with from as is are was were be been being it its
this that these those there here they them their we our us you your he she his her i me my not no nor so than too very
can could should would will shall must may might do does did done doing has have had having which who whom whose what
when where why how all any each every some such only own same other into out over under up down about after before
again once also just s t don't doesn't won't isn't aren't shouldn't mustn't can't assistant""".split())


def _stem(w: str) -> str:
    return w[:5]


def words(text: str, drop: set[str] = frozenset()) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower().replace("’", "'")) if w not in _STOP and w not in drop}


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


class Located:
    """The spec's words with their line numbers, to find where a (whitespace-normalised) quote sits."""

    def __init__(self, text: str):
        self.toks: list[str] = []
        self.line_of: list[int] = []
        for n, line in enumerate(text.splitlines(), 1):
            for w in line.split():
                self.toks.append(w)
                self.line_of.append(n)
        self.flat = " ".join(self.toks)
        self.starts = []
        pos = 0
        for w in self.toks:
            self.starts.append(pos)
            pos += len(w) + 1

    def lines(self, quote: str) -> tuple[int, int] | None:
        q = " ".join(quote.split())
        i = self.flat.find(q)
        if i < 0:
            return None
        import bisect
        a = bisect.bisect_right(self.starts, i) - 1
        b = bisect.bisect_right(self.starts, i + len(q) - 1) - 1
        return self.line_of[a], self.line_of[b]


def _touch(span: tuple[int, int], start: int, end: int, slack: int = 1) -> bool:
    return span[0] - slack <= end and start <= span[1] + slack


def score(spec_path: Path, gold: dict, spec=None) -> dict:
    spec = spec if spec is not None else parse_spec(spec_path)
    loc = Located(read_text(spec_path))
    drop = {w.lower() for w in re.findall(r"\w+", gold.get("model_name") or "")}

    def places(quotes):
        out = []
        for q in quotes:
            span = loc.lines(q)
            if span is None:
                raise SystemExit(f"{spec_path.name}: gold quote not in the spec: {q[:80]!r}")
            out.append((span, words(q, drop)))
        return out

    g_rules = [(g, places(g["quotes"])) for g in gold["rules"]]
    g_traps = [(t, places([t["quote"]])) for t in gold.get("traps", [])]
    g_vals = [(v, places(v["quotes"])) for v in gold["values"]]

    # rules
    matched: dict[int, list] = {}
    traps_hit, unmatched, pol_ok, pol_n = [], [], 0, 0
    rule_gold: list[tuple[object, dict | None]] = []
    for r in spec.rules:
        rw = words(r.text + " " + " ".join(s.text for s in r.subpoints), drop)
        best, kind, which = 0.0, None, None
        for k, (g, ps) in enumerate(g_rules):
            for span, qw in ps:
                if _touch(span, r.lines.start, r.lines.end):
                    s = overlap(rw, qw)
                    if s >= 0.6 and s > best:
                        best, kind, which = s, "rule", k
        for k, (t, ps) in enumerate(g_traps):
            for span, qw in ps:
                if _touch(span, r.lines.start, r.lines.end, 0):
                    s = overlap(rw, qw)
                    if s >= 0.6 and s > best:
                        best, kind, which = s, "trap", k
        if kind == "rule":
            matched.setdefault(which, []).append(r)
            g = g_rules[which][0]
            pol_n += 1
            pol_ok += r.polarity == g["polarity"]
            rule_gold.append((r, g))
        elif kind == "trap":
            traps_hit.append((r, g_traps[which][0]))
        else:
            unmatched.append(r)

    # values: greedy one-to-one pairing by score
    by_id = {v.id: v for v in spec.values}
    cands = []
    for gi, (gv, ps) in enumerate(g_vals):
        gname = words(gv["name"], drop)
        for v in spec.values:
            vname = words(v.name, drop)
            body = words(v.name + " " + v.statement + " " + v.rationale, drop)
            s = 0.0
            if gname & vname:
                s = 1.0 + overlap(gname, vname)
            for span, qw in ps:
                if _touch(span, v.lines.start, v.lines.end, 2) and qw:
                    cover = len(qw & body) / len(qw)
                    if cover >= 0.6:
                        s = max(s, cover)
            if s > 0:
                cands.append((s, gi, v.id))
    pair_g, pair_v = {}, {}
    for s, gi, vid in sorted(cands, key=lambda c: -c[0]):
        if gi not in pair_g and vid not in pair_v:
            pair_g[gi], pair_v[vid] = vid, gi

    def gold_of(vid: str) -> str | None:
        seen = set()
        while vid and vid not in seen:
            seen.add(vid)
            if vid in pair_v:
                return g_vals[pair_v[vid]][0]["id"]
            vid = by_id[vid].parent if vid in by_id else None
        return None

    link_n = link_ok = 0
    for r, g in rule_gold:
        if not g["values"]:
            continue
        link_n += 1
        everything = len(r.value_ids) >= 3 and 2 * len(r.value_ids) > len(spec.values) and \
            len(g["values"]) < len(gold["values"])
        if not everything and any(gold_of(v) in g["values"] for v in r.value_ids):
            link_ok += 1

    name = (spec.model_name or "").strip().lower()
    from docgen.spec.lint import thin_reading
    thin = thin_reading(spec, len(read_text(spec_path).split()))
    return {
        "thin": ("r" if any(" rule(s) in " in t for t in thin) else "") + ("v" if any("value" in t.split(":")[0]
                                                                                    for t in thin) else ""),
        "spec": spec_path.name, "shape": gold.get("shape", ""),
        "reader_rules": len(spec.rules), "gold_rules": len(g_rules),
        "rules_ok": sum(len(x) for x in matched.values()), "found": len(matched),
        "dup": sum(len(x) - 1 for x in matched.values()), "traps": len(traps_hit),
        "pol_ok": pol_ok, "pol_n": pol_n,
        "reader_values": len(spec.values), "gold_values": len(g_vals), "values_paired": len(pair_g),
        "link_ok": link_ok, "link_n": link_n,
        "name_ok": name == (gold.get("model_name") or "").strip().lower(),
        "missed": [g["quotes"][0][:90] for k, (g, _) in enumerate(g_rules) if k not in matched],
        "extra": [r.text[:90] for r in unmatched],
        "trap_hits": [r.text[:90] for r, _ in traps_hit],
        "values_read": [v.name[:40] for v in spec.values],
    }


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def table(rows: list[dict], title: str) -> str:
    out = [f"#### {title}", "",
           "| spec | rules P | rules R | dup | traps read as rules | polarity | values P | values R | link | name | thin |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    tot = {k: 0 for k in ("reader_rules", "gold_rules", "rules_ok", "found", "dup", "traps", "pol_ok", "pol_n",
                          "reader_values", "gold_values", "values_paired", "link_ok", "link_n", "name_ok")}
    for r in rows:
        for k in tot:
            tot[k] += int(r[k])
        out.append(f"| {r['spec']} | {r['rules_ok']}/{r['reader_rules']} | {r['found']}/{r['gold_rules']} | {r['dup']} | "
                   f"{r['traps']} | {r['pol_ok']}/{r['pol_n']} | {r['values_paired']}/{r['reader_values']} | "
                   f"{r['values_paired']}/{r['gold_values']} | {r['link_ok']}/{r['link_n']} | {'yes' if r['name_ok'] else 'no'} | "
                   f"{r.get('thin') or '.'} |")
    t = tot
    out.append(f"| **all {len(rows)}** | **{_ratio(t['rules_ok'], t['reader_rules'])}** | **{_ratio(t['found'], t['gold_rules'])}** | "
               f"{t['dup']} | **{t['traps']}** | {_ratio(t['pol_ok'], t['pol_n'])} | {_ratio(t['values_paired'], t['reader_values'])} | "
               f"{_ratio(t['values_paired'], t['gold_values'])} | **{_ratio(t['link_ok'], t['link_n'])}** | {t['name_ok']}/{len(rows)} | "
               f"{sum(bool(r.get('thin')) for r in rows)} |")
    return "\n".join(out)


def extracted(spec_path: Path, backend_model: str, base_url: str | None = None, part_words: int = 3000):
    """The spec as an LLM reads it (``docgen spec extract``), each value and rule placed at the spec lines its
    quote was found on; ``None`` when the extraction failed (the model's reply never validated)."""
    import asyncio
    import tempfile

    import yaml

    from docgen.backends import get_backend
    from docgen.stages import StageFailed, extract_spec

    name, _, model = backend_model.partition("/")
    backend = get_backend(name, model, **({"base_url": base_url} if base_url else {}))

    async def go():
        try:
            return await extract_spec(backend, read_text(spec_path), part_words=part_words)
        finally:
            await backend.aclose()

    try:
        got = asyncio.run(go())
    except StageFailed as e:
        print(f"{spec_path.name}: extraction failed: {e.reason}", file=sys.stderr)
        return None
    if not got.spec.rules:
        return None
    with tempfile.TemporaryDirectory() as d:
        y = Path(d) / "x.yaml"
        y.write_text(yaml.safe_dump(got.spec.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True))
        spec = parse_spec(y)
    from docgen.spec import Span
    for read, src in ((spec.values, got.spec.values), (spec.rules, got.spec.rules)):
        for i, (item, orig) in enumerate(zip(read, src)):
            a, b, _q = got.sources[orig.id]
            read[i] = item.model_copy(update={"lines": Span(start=a, end=b)})
    return spec


def run(folder: Path, extract: str | None = None, base_url: str | None = None, part_words: int = 3000) -> list[dict]:
    rows = []
    for g in sorted(folder.glob("*.gold.json")):
        gold = json.loads(g.read_text(encoding="utf-8"))
        path = g.parent / gold["spec"]
        if extract:
            spec = extracted(path, extract, base_url, part_words)
            if spec is None:          # nothing read: every gold rule and value missed
                rows.append(score(path, gold, _empty(path)))
                continue
            rows.append(score(path, gold, spec))
        else:
            rows.append(score(path, gold))
    return rows


def _empty(path: Path):
    spec = parse_spec(path)
    return spec.model_copy(update={"rules": [], "values": [], "model_name": None})


def main(argv: list[str]) -> int:
    opt = {}
    rest = []
    it = iter(argv)
    for a in it:
        if a in ("--extract", "--base-url", "--part-words"):
            opt[a] = next(it, None)
        else:
            rest.append(a)
    argv = rest
    folders = [Path(a) for a in argv if not a.startswith("--")]
    if not folders or (("--extract" in opt) and not opt["--extract"]):
        print(__doc__)
        return 2
    everything = {}
    for f in folders:
        rows = run(f, opt.get("--extract"), opt.get("--base-url"), int(opt.get("--part-words") or 3000))
        everything[str(f)] = rows
        if "--json" not in argv:
            print(table(rows, f"{f} ({len(rows)} specs)"))
            print()
            if "--show" in argv:
                for r in rows:
                    print(f"## {r['spec']}: values read {r['values_read']}")
                    for m in r["missed"]:
                        print("   missed:", m)
                    for m in r["extra"]:
                        print("   extra: ", m)
                    for m in r["trap_hits"]:
                        print("   TRAP:  ", m)
    if "--json" in argv:
        print(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
