"""Attribution coverage: how many accepted documents teach each value and rule, by genre.

A document *covers* a rule when its attribution verdict is ``attributed`` and the
rule's id is in ``attribution.rule_ids`` (it covers a value when the value's id is
in ``attribution.value_ids``). Co-occurrence is not enough: the MSM study found
that only documents that explicitly attribute a behaviour to a value help, so the
planned ``doc.rule_ids`` are never counted, only what the attribution check found.
Documents whose verdict is ``unchecked`` (corpora made elsewhere) are checked with
:func:`docgen.filters.attribution.attribute_offline` first.

    cov = coverage(spec, iter_documents("runs/lighthouse"))
    th = Thresholds(min_per_rule=20, min_per_cell=2, min_genres=3)
    gaps = find_gaps(spec, cov, th)             # what falls short, plainly
    print(render_table(spec, cov, th))          # compact terminal table (<= 100 columns)
    missing_cells(spec, cov, th, genres)        # [(rule_id, genre, n_missing), ...] to top up

Gaps that make ``docgen validate`` exit 1: a rule × genre cell under
``min_per_cell``, a rule under ``min_per_rule`` documents, a rule attributed in
fewer than ``min_genres`` genres, and (when ``min_per_rule`` > 0) a rule whose
documents never attribute it to one of its own values and a value (that has rules)
no document links to any of its behaviours; and — only when ``max_genre_ratio`` is set — a largest/smallest genre
ratio above it. Genre imbalance is always reported.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from .corpus import Attribution, Document
from .spec import Spec

log = logging.getLogger(__name__)

NO_GENRE = "(none)"
IMBALANCE_WARN_RATIO = 3.0


@dataclass
class Thresholds:
    """What "enough" means. ``min_per_cell`` 0 turns the per-cell check off."""

    min_per_rule: int = 1
    min_per_cell: int = 0
    min_genres: int = 1
    max_genre_ratio: float | None = None


@dataclass
class Coverage:
    """Counts of accepted documents that explicitly attribute each rule / value, by genre."""

    spec_id: str
    spec_sha256: str
    genres: list[str]                                   # genres seen in the corpus, largest first
    documents: int = 0                                  # accepted documents read
    tokens: int = 0
    docs_per_genre: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)   # attributed / not_attributed / unchecked ...
    checked_offline: int = 0                            # documents whose verdict was computed here
    rule_genre: dict[str, dict[str, int]] = field(default_factory=dict)
    rule_own_value: dict[str, int] = field(default_factory=dict)   # docs tying the rule to one of its values
    value_genre: dict[str, dict[str, int]] = field(default_factory=dict)
    value_rule_pairs: dict[str, int] = field(default_factory=dict)  # docs tying the value to one of its rules
    unknown_ids: dict[str, int] = field(default_factory=dict)      # attributed ids that are not in the spec

    def rule_total(self, rule_id: str) -> int:
        return sum(self.rule_genre.get(rule_id, {}).values())

    def value_total(self, value_id: str) -> int:
        return sum(self.value_genre.get(value_id, {}).values())

    def cell(self, rule_id: str, genre: str) -> int:
        return self.rule_genre.get(rule_id, {}).get(genre, 0)

    def rule_genres(self, rule_id: str) -> list[str]:
        return [g for g, n in self.rule_genre.get(rule_id, {}).items() if n > 0]

    def imbalance(self, genres: list[str] | None = None) -> dict[str, Any] | None:
        """Largest vs smallest genre by document count (``genres`` adds expected ones with 0)."""
        counts = {g: self.docs_per_genre.get(g, 0) for g in (genres or self.genres)}
        if len(counts) < 2 or self.documents == 0:
            return None
        big = max(counts, key=lambda g: (counts[g], g))
        small = min(counts, key=lambda g: (counts[g], g))
        total = sum(counts.values()) or 1
        ratio = counts[big] / counts[small] if counts[small] else float("inf")
        return {"largest": big, "largest_docs": counts[big], "largest_share": counts[big] / total,
                "smallest": small, "smallest_docs": counts[small], "smallest_share": counts[small] / total,
                "ratio": ratio}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CoverageCounter:
    """Streaming form of :func:`coverage`: ``add(doc)`` per document, then ``result()``."""

    def __init__(self, spec: Spec, *, model_name: str | None = None, check_unchecked: bool = True,
                 attribution: str = "offline"):
        self.spec = spec
        self.attribution_method = attribution         # "offline" (the rules), "learned" or "learned-strict" for unchecked documents
        self.model_name = model_name
        self.check_unchecked = check_unchecked
        self._rules = {r.id: r for r in spec.rules}
        self._values = {v.id for v in spec.values}
        self._rule_genre: dict[str, Counter[str]] = defaultdict(Counter)
        self._value_genre: dict[str, Counter[str]] = defaultdict(Counter)
        self._own: Counter[str] = Counter()
        self._pairs: Counter[str] = Counter()
        self._unknown: Counter[str] = Counter()
        self._genres: Counter[str] = Counter()
        self._verdicts: Counter[str] = Counter()
        self._offline = 0
        self._tokens = 0
        self._attribute = None

    def _attribute_offline(self, text: str) -> Attribution:
        if self._attribute is None:
            try:
                from .filters.attribution import attribute_offline
            except ImportError:  # the offline check is not available in this install
                log.warning("docgen.filters.attribution.attribute_offline is unavailable; "
                            "documents without a verdict stay unchecked")
                self._attribute = False
            else:
                if self.attribution_method.startswith("learned"):
                    from .filters.attribution import AttributionFilter
                    f = AttributionFilter(self.spec, self.attribution_method, model_name=self.model_name)
                    self._attribute = lambda spec, text, model_name: f.decide(text)[0]
                else:
                    self._attribute = attribute_offline
        if self._attribute is False:
            return Attribution()
        return self._attribute(self.spec, text, model_name=self.model_name)

    def attribution(self, doc: Document) -> Attribution:
        """The document's attribution, computed offline (and stored on ``doc``) when unchecked."""
        att = doc.attribution
        if att.verdict == "unchecked" and self.check_unchecked:
            new = self._attribute_offline(doc.text)
            if new.verdict != "unchecked":
                self._offline += 1
                doc.attribution = att = new
        return att

    def add(self, doc: Document) -> Attribution:
        att = self.attribution(doc)
        self.add_attribution(doc.genre, doc.n_tokens, att)
        return att

    def add_attribution(self, genre: str, n_tokens: int, att: Attribution) -> None:
        """Count one accepted document given only its genre, size and attribution."""
        genre = genre or NO_GENRE
        self._genres[genre] += 1
        self._tokens += n_tokens
        self._verdicts[att.verdict or "unchecked"] += 1
        if att.verdict != "attributed":
            return
        vids = set(att.value_ids)
        for vid in dict.fromkeys(att.value_ids):
            if vid in self._values:
                self._value_genre[vid][genre] += 1
            else:
                self._unknown[vid] += 1
        paired: set[str] = set()
        for rid in dict.fromkeys(att.rule_ids):
            rule = self._rules.get(rid)
            if rule is None:
                self._unknown[rid] += 1
                continue
            self._rule_genre[rid][genre] += 1
            own = vids.intersection(rule.value_ids)
            if own:
                self._own[rid] += 1
                paired |= own
        for vid in paired:
            self._pairs[vid] += 1

    def result(self) -> Coverage:
        genres = [g for g, _ in sorted(self._genres.items(), key=lambda kv: (-kv[1], kv[0]))]
        return Coverage(
            spec_id=self.spec.id, spec_sha256=self.spec.sha256, genres=genres,
            documents=sum(self._genres.values()), tokens=self._tokens,
            docs_per_genre=dict(self._genres), verdicts=dict(self._verdicts), checked_offline=self._offline,
            rule_genre={r.id: dict(self._rule_genre.get(r.id, {})) for r in self.spec.rules},
            rule_own_value={r.id: self._own.get(r.id, 0) for r in self.spec.rules},
            value_genre={v.id: dict(self._value_genre.get(v.id, {})) for v in self.spec.values},
            value_rule_pairs={v.id: self._pairs.get(v.id, 0) for v in self.spec.values},
            unknown_ids=dict(self._unknown),
        )


def coverage(spec: Spec, docs: Iterable[Document], *, model_name: str | None = None,
             check_unchecked: bool = True) -> Coverage:
    """Count, per value and per rule of ``spec``, the documents in ``docs`` that attribute it, by genre.

    ``docs`` are the accepted documents (e.g. ``iter_documents(run_dir)``). Documents whose
    verdict is ``unchecked`` are checked offline first unless ``check_unchecked`` is False.
    """
    counter = CoverageCounter(spec, model_name=model_name, check_unchecked=check_unchecked)
    for d in docs:
        counter.add(d)
    return counter.result()


# --------------------------------------------------------------------------- gaps

@dataclass
class Gap:
    """One way the corpus falls short (``blocking``) or looks off (a warning)."""

    kind: str            # cell | rule_total | rule_genres | own_value | value_untaught | imbalance | ...
    message: str
    rule_id: str | None = None
    value_id: str | None = None
    genre: str | None = None
    have: float = 0
    need: float = 0
    blocking: bool = True


def _expected_genres(cov: Coverage, genres: Iterable[str] | None) -> list[str]:
    out = list(dict.fromkeys(genres or []))
    return out or [g for g in cov.genres if g != NO_GENRE] or list(cov.genres)


def find_gaps(spec: Spec, cov: Coverage, th: Thresholds, genres: Iterable[str] | None = None) -> list[Gap]:
    """Everything that falls short of ``th`` (``blocking``) plus warnings, in spec order.

    ``genres`` are the genres the corpus is meant to span (e.g. the run's configured
    genres, so a genre with no document at all shows up); default: the genres seen.
    """
    exp = _expected_genres(cov, genres)
    gaps: list[Gap] = []
    if cov.documents == 0:
        gaps.append(Gap("empty", "the corpus holds no accepted documents", have=0, need=1))
    for r in spec.rules:
        total = cov.rule_total(r.id)
        if th.min_per_cell > 0:
            short = [(g, cov.cell(r.id, g)) for g in exp if cov.cell(r.id, g) < th.min_per_cell]
            for g, n in short:
                gaps.append(Gap("cell", f"rule {r.id} has {n} document(s) in genre {g}, needs {th.min_per_cell}",
                                rule_id=r.id, genre=g, have=n, need=th.min_per_cell))
        if total < th.min_per_rule:
            gaps.append(Gap("rule_total", f"rule {r.id} is attributed by {total} document(s), needs {th.min_per_rule}",
                            rule_id=r.id, have=total, need=th.min_per_rule))
        ng = len(cov.rule_genres(r.id))
        if ng < th.min_genres:
            gaps.append(Gap("rule_genres", f"rule {r.id} is attributed in {ng} genre(s), needs {th.min_genres}",
                            rule_id=r.id, have=ng, need=th.min_genres))
        if total > 0 and cov.rule_own_value.get(r.id, 0) == 0 and r.value_ids:
            gaps.append(Gap("own_value", f"rule {r.id} is attributed by {total} document(s) but never to its own "
                            f"value ({', '.join(r.value_ids)})", rule_id=r.id, have=0, need=1,
                            blocking=th.min_per_rule > 0))
    rules_of: dict[str, list[str]] = defaultdict(list)
    for r in spec.rules:
        for vid in r.value_ids:
            rules_of[vid].append(r.id)
    for v in spec.values:
        if not rules_of.get(v.id):
            gaps.append(Gap("value_no_rules", f"value {v.id} has no rule in the spec, so no behaviour can teach it "
                            f"({cov.value_total(v.id)} document(s) attribute the value itself)",
                            value_id=v.id, blocking=False))
        elif cov.value_rule_pairs.get(v.id, 0) == 0:
            gaps.append(Gap("value_untaught", f"value {v.id}: no document ties it to any of its behaviours "
                            f"({', '.join(rules_of[v.id][:6])}{'...' if len(rules_of[v.id]) > 6 else ''})",
                            value_id=v.id, have=0, need=1, blocking=th.min_per_rule > 0))
    imb = cov.imbalance(exp)
    if imb is not None:
        ratio = imb["ratio"]
        msg = (f"genre imbalance: largest {imb['largest']} {imb['largest_docs']} docs "
               f"({imb['largest_share']:.0%}) vs smallest {imb['smallest']} {imb['smallest_docs']} docs "
               f"({imb['smallest_share']:.0%}), ratio {'inf' if ratio == float('inf') else f'{ratio:.1f}'}")
        if th.max_genre_ratio is not None and ratio > th.max_genre_ratio:
            gaps.append(Gap("imbalance", msg + f", limit {th.max_genre_ratio:g}", have=ratio, need=th.max_genre_ratio))
        elif ratio > IMBALANCE_WARN_RATIO:
            gaps.append(Gap("imbalance", msg, have=ratio, need=IMBALANCE_WARN_RATIO, blocking=False))
    unknown = sorted(cov.unknown_ids.items(), key=lambda kv: -kv[1])
    if unknown:
        shown = ", ".join(f"{k} ({n})" for k, n in unknown[:5])
        gaps.append(Gap("unknown_ids", f"attributions name ids that are not in this spec: {shown}"
                        f"{' ...' if len(unknown) > 5 else ''} — is this the spec the corpus was made from?",
                        blocking=False))
    unchecked = cov.verdicts.get("unchecked", 0)
    if unchecked:
        gaps.append(Gap("unchecked", f"{unchecked} document(s) have no attribution verdict and were not counted",
                        have=unchecked, blocking=False))
    return gaps


def passes(gaps: list[Gap]) -> bool:
    return not any(g.blocking for g in gaps)


def missing_cells(spec: Spec, cov: Coverage, thresholds: Thresholds,
                  genres: Iterable[str] | None = None) -> list[tuple[str, str, int]]:
    """The documents to add so every rule meets ``thresholds``: ``[(rule_id, genre, n_missing)]``.

    ``genres`` are the genres new documents may be written in (the run's genres);
    default: the genres seen in the corpus. Per rule, in this order:

    1. every cell gets up to ``min_per_cell``;
    2. if the rule is then in fewer than ``min_genres`` genres, one document is
       added to each uncovered genre (in ``genres`` order) until it is;
    3. if its total is still under ``min_per_rule`` the rest is spread one by one
       over its emptiest cells;
    4. a rule whose documents never attribute it to its own value gets at least one.

    Rules are in spec order, genres in ``genres`` order; cells with nothing missing
    are left out. Counting new documents assumes each one is attributed.
    """
    exp = _expected_genres(cov, genres)
    if not exp:
        return []
    out: list[tuple[str, str, int]] = []
    for r in spec.rules:
        have = {g: cov.cell(r.id, g) for g in exp}
        add = {g: max(0, thresholds.min_per_cell - have[g]) for g in exp}
        covered = {g for g in exp if have[g] + add[g] > 0}
        for g in exp:
            if len(covered) >= thresholds.min_genres:
                break
            if g not in covered:
                add[g] += 1
                covered.add(g)
        base_total = cov.rule_total(r.id)    # includes genres outside ``exp``
        deficit = thresholds.min_per_rule - base_total - sum(add.values())
        if deficit <= 0 and cov.rule_own_value.get(r.id, 0) == 0 and r.value_ids and thresholds.min_per_rule > 0 \
                and not any(add.values()):
            deficit = 1
        while deficit > 0:
            g = min(exp, key=lambda g: (have[g] + add[g], exp.index(g)))
            add[g] += 1
            deficit -= 1
        out.extend((r.id, g, add[g]) for g in exp if add[g] > 0)
    return out


# --------------------------------------------------------------------------- terminal table

def _fit(s: str, w: int) -> str:
    return s if len(s) <= w else s[: max(1, w - 1)] + "…"


def _wrap(s: str, width: int, indent: str = "  ") -> list[str]:
    import textwrap

    return textwrap.wrap(s, width, subsequent_indent=indent, break_on_hyphens=False) or [""]


def render_table(spec: Spec, cov: Coverage, th: Thresholds | None = None, genres: Iterable[str] | None = None,
                 *, width: int = 100, max_gaps: int = 20) -> str:
    """A compact plain-text coverage table (rules × genres, values, gaps), at most ``width`` columns."""
    th = th or Thresholds()
    exp = _expected_genres(cov, genres)
    gaps = find_gaps(spec, cov, th, exp)
    lines: list[str] = []
    att = cov.verdicts.get("attributed", 0)
    head = (f"coverage of {spec.id} ({len(spec.values)} values, {len(spec.rules)} rules): "
            f"{cov.documents} docs, {cov.tokens:,} tokens, {att} attributed")
    if cov.checked_offline:
        head += f" ({cov.checked_offline} checked offline)"
    lines.append(_fit(head, width))

    id_w = min(18, max([4] + [len(r.id) for r in spec.rules] + [len(v.id) for v in spec.values]))
    cell_w = 6
    fixed = id_w + 1 + 7 + 5 + 4          # id, total, own, genres-count columns
    room = max(1, (width - fixed) // cell_w)
    shown = exp if len(exp) <= room else exp[: room - 1]
    rest = [g for g in exp if g not in shown]
    heads = [_fit(g, cell_w - 1) for g in shown]
    if len(set(heads)) < len(heads):           # truncated names collide: number the columns
        heads = [f"g{i}" for i in range(1, len(shown) + 1)]
    cols = heads + ([f"+{len(rest)}"] if rest else [])
    legend = [f"{h}={g}" for h, g in zip(heads, shown) if h != g]

    def row(label: str, cells: list[str], total: str, own: str, ng: str) -> str:
        return (f"{_fit(label, id_w):<{id_w}} " + "".join(f"{c:>{cell_w}}" for c in cells)
                + f"{total:>7}{own:>5}{ng:>4}").rstrip()

    lines.append("")
    lines.append(row("rule", cols, "total", "own", "g"))
    for r in spec.rules:
        cells = []
        for g in shown:
            n = cov.cell(r.id, g)
            flag = "!" if th.min_per_cell and n < th.min_per_cell else ""
            cells.append(f"{n}{flag}")
        if rest:
            cells.append(str(sum(cov.cell(r.id, g) for g in rest)))
        total = cov.rule_total(r.id)
        own = cov.rule_own_value.get(r.id, 0)
        ng = len(cov.rule_genres(r.id))
        lines.append(row(r.id, cells, f"{total}{'!' if total < th.min_per_rule else ''}",
                         f"{own}{'!' if total and not own else ''}",
                         f"{ng}{'!' if ng < th.min_genres else ''}"))
    lines.append(row("docs", [str(cov.docs_per_genre.get(g, 0)) for g in shown]
                     + ([str(sum(cov.docs_per_genre.get(g, 0) for g in rest))] if rest else []),
                     str(cov.documents), "", ""))
    note = "cells: docs attributing the rule; own: tied to its own value; g: genres; !: below threshold"
    lines.append(_fit(note, width))
    if legend:
        lines.extend(_wrap("genres: " + "  ".join(legend), width))
    if rest:
        lines.extend(_wrap(f"+{len(rest)}: " + ", ".join(rest), width))

    lines.append("")
    lines.append(f"{'value':<{id_w}} {'docs':>7} {'w/rule':>7}  top genres")
    for v in spec.values:
        by = sorted(cov.value_genre.get(v.id, {}).items(), key=lambda kv: -kv[1])[:3]
        tops = ", ".join(f"{g} {n}" for g, n in by) or "-"
        lines.append(_fit(f"{_fit(v.id, id_w):<{id_w}} {cov.value_total(v.id):>7} "
                          f"{cov.value_rule_pairs.get(v.id, 0):>7}  {tops}", width))

    lines.append("")
    blocking = [g for g in gaps if g.blocking]
    warnings = [g for g in gaps if not g.blocking]
    if blocking:
        lines.append(f"GAPS ({len(blocking)}):")
        shown_msgs: list[str] = []
        cells: dict[str, list[Gap]] = defaultdict(list)
        for g in blocking:
            if g.kind == "cell":
                cells[g.rule_id].append(g)
        done: set[str] = set()
        for g in blocking:
            if g.kind != "cell":
                shown_msgs.append(g.message)
            elif g.rule_id not in done:
                done.add(g.rule_id)
                cs = cells[g.rule_id]
                missing = sum(int(c.need - c.have) for c in cs)
                shown_msgs.append(f"rule {g.rule_id}: {missing} document(s) missing in {len(cs)} genre(s) "
                                  f"(have/need): " + ", ".join(f"{c.genre} {c.have:g}/{c.need:g}" for c in cs))
        for m in shown_msgs[:max_gaps]:
            lines.extend(_wrap(f"  - {m}", width, "    "))
        if len(shown_msgs) > max_gaps:
            lines.append(f"  ... and {len(shown_msgs) - max_gaps} more (use --json for all)")
    for g in warnings:
        lines.extend(_wrap(f"warning: {g.message}", width, "    "))
    th_s = (f"min-per-rule {th.min_per_rule}, min-per-cell {th.min_per_cell}, min-genres {th.min_genres}"
            + (f", max-genre-ratio {th.max_genre_ratio:g}" if th.max_genre_ratio is not None else ""))
    lines.append(_fit(("PASS" if not blocking else "FAIL") + f": {th_s}", width))
    return "\n".join(lines)


# --------------------------------------------------------------------------- corpus checks

def run_meta(corpus) -> dict[str, Any]:
    """``manifest``, ``config``, ``summary`` (and ``spec_sha256``) of a run directory; empty otherwise."""
    import json
    from pathlib import Path

    from .corpus import read_manifest
    from .errors import UserError

    src = Path(corpus)
    meta: dict[str, Any] = {"manifest": None, "config": None, "summary": None, "spec_sha256": None}
    if not src.is_dir():
        return meta
    meta["manifest"] = read_manifest(src)
    for key in ("config", "summary"):
        p = src / f"{key}.json"
        if p.exists():
            try:
                meta[key] = json.loads(p.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise UserError(f"{key}.json is not valid JSON: {e}", where=str(p),
                                hint="restore the file or rerun `docgen generate` in this run directory") from None
    sha = (meta["manifest"] or {}).get("spec_sha256")
    from .rundir import RunDir

    spec_path = RunDir(src).spec_path
    if not sha and spec_path.exists():
        try:
            sha = json.loads(spec_path.read_text(encoding="utf-8")).get("sha256")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            sha = None
    meta["spec_sha256"] = sha or None
    return meta


def configured_genres(meta: dict[str, Any]) -> list[str]:
    """Genre names a run was configured with (config.json ``genres``), if it records them."""
    cfg = meta.get("config") or {}
    found = cfg.get("genres")
    if found is None and isinstance(cfg.get("plan"), dict):
        found = cfg["plan"].get("genres")
    out: list[str] = []
    if isinstance(found, dict):
        found = list(found)
    for g in found or []:
        name = g.get("name") if isinstance(g, dict) else g
        if isinstance(name, str) and name:
            out.append(name)
    return out


def check_spec(spec: Spec, meta: dict[str, Any], docs_sha: Iterable[str] = (), where: str = "") -> None:
    """Raise :class:`UserError` when the corpus was made from another spec than ``spec``."""
    from .errors import UserError

    recorded = meta.get("spec_sha256")
    if recorded and recorded != spec.sha256:
        raise UserError(
            f"spec sha256 mismatch: the corpus was made from a spec with sha256 {recorded[:12]}…, "
            f"but {spec.source} has sha256 {spec.sha256[:12]}…", where=where or None,
            hint="pass the spec file this corpus was generated from (the run's spec.json records it), "
                 "or regenerate the corpus from this spec")
    other = Counter(s for s in docs_sha if s and s != spec.sha256)
    if other:
        sha, n = other.most_common(1)[0]
        raise UserError(
            f"spec sha256 mismatch: {sum(other.values())} document(s) were made from a spec with sha256 "
            f"{sha[:12]}…, but {spec.source} has sha256 {spec.sha256[:12]}…", where=where or None,
            hint="pass the spec file these documents were generated from")


@dataclass
class Validation:
    coverage: Coverage
    gaps: list[Gap]
    genres: list[str]
    thresholds: Thresholds
    spec: Spec | None = field(default=None, repr=False, compare=False)    # the spec checked against

    @property
    def ok(self) -> bool:
        return passes(self.gaps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (an infinite genre ratio becomes ``null``)."""
        return _finite({"ok": self.ok, "thresholds": asdict(self.thresholds), "genres": self.genres,
                "gaps": [asdict(g) for g in self.gaps if g.blocking],
                "warnings": [asdict(g) for g in self.gaps if not g.blocking],
                "coverage": self.coverage.to_dict()})


def _finite(o: Any) -> Any:
    if isinstance(o, float) and (o != o or o in (float("inf"), float("-inf"))):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_finite(v) for v in o]
    return o


def validate_corpus(corpus, spec: Spec, thresholds: Thresholds, *, genres: Iterable[str] | None = None,
                    model_name: str | None = None, attribution: str = "offline") -> Validation:
    """Read ``corpus`` (run dir, parquet or JSONL), check it belongs to ``spec``, count and find gaps.

    Raises :class:`~docgen.errors.UserError` for a corpus made from another spec or one that
    cannot be read. ``genres`` default to the run's configured genres, else those seen.
    """
    from .corpus import iter_documents

    meta = run_meta(corpus)
    check_spec(spec, meta, where=str(corpus))
    counter = CoverageCounter(spec, model_name=model_name, attribution=attribution)
    shas: Counter[str] = Counter()
    for doc in iter_documents(corpus, verify=meta.get("manifest") is not None):
        if doc.spec_sha256:
            shas[doc.spec_sha256] += 1
        counter.add(doc)
    check_spec(spec, {}, shas.elements(), where=str(corpus))
    cov = counter.result()
    exp = _expected_genres(cov, list(genres or []) or configured_genres(meta))
    return Validation(cov, find_gaps(spec, cov, thresholds, exp), exp, thresholds, spec)
