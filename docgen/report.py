"""`docgen report`: one static HTML file describing a corpus, readable offline.

Everything is inline: CSS, a few lines of JS, and SVG charts drawn here. No CDN,
no fonts, no fetches. Document text is untrusted: every string that reaches the
page goes through :func:`html.escape` (SVG labels included); the sample browser's
documents are rendered server-side, escaped, and JS only shows and hides them.

    path = build_report("runs/lighthouse", spec="spec.md", out="report.html")

Sections: overview tiles, coverage heatmap (rules × genres), tokens per document
by genre, documents per value by genre, rejected documents by reason, near-duplicate
clusters (``dedup_clusters.jsonl``), top openers, cost and time (``summary.json``),
and a sample browser with provenance and the attribution evidence in ``<mark>``.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

from .corpus import Attribution, Document, iter_documents
from .errors import UserError
from .coverage import NO_GENRE, CoverageCounter, Thresholds, check_spec, find_gaps, run_meta
from .charts import PALETTE, E, _short, hbars, heatmap, histograms, stacked_hbars
from .spec import Rule, Span, Spec, Value, parse_spec

# --------------------------------------------------------------------------- evidence

def highlight(text: str, evidence: str, cls: str = "") -> str:
    """Escaped ``text`` with the first occurrence of ``evidence`` wrapped in ``<mark>``."""
    ev = (evidence or "").strip()
    span = None
    if ev:
        i = text.find(ev)
        if i >= 0:
            span = (i, i + len(ev))
        else:
            words = ev.split()
            if words:
                m = re.search(r"\s+".join(re.escape(w) for w in words), text, re.I)
                if m:
                    span = m.span()
    if span is None:
        return E(text)
    a, b = span
    c = f' class="{cls}"' if cls else ""
    return f"{E(text[:a])}<mark{c}>{E(text[a:b])}</mark>{E(text[b:])}"


# --------------------------------------------------------------------------- reading the run

def _flat(d: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(d, dict):
        for k, v in d.items():
            out.extend(_flat(v, f"{prefix}{k}."))
    elif isinstance(d, list):
        out.append((prefix[:-1], f"[{len(d)} items]"))
    else:
        out.append((prefix[:-1], d))
    return out


def _first(flat: list[tuple[str, Any]], *names: str):
    for name in names:
        for k, v in flat:
            if k.split(".")[-1] == name and isinstance(v, (int, float)) and not isinstance(v, bool):
                return k, v
    return None


def _filter_stats(manifest: dict | None) -> dict[str, int]:
    """``{"filter: reason": n}`` from the manifest's filter stats (``{name: {kept, dropped: {...}}}``)."""
    out: dict[str, int] = {}
    m = manifest or {}
    stats = m.get("filters") or m.get("filter_stats") or m.get("filter") or {}
    if isinstance(stats, dict):
        for name, s in stats.items():
            dropped = s.get("dropped") if isinstance(s, dict) else None
            if isinstance(dropped, dict):
                for reason, n in dropped.items():
                    if isinstance(n, (int, float)):
                        out[f"{name}: {reason}"] = int(n)
    return out


def _clusters(run_dir: Path) -> list[dict[str, Any]] | None:
    """Near-duplicate clusters (docgen.rundir owns the file's format): a kept document and the
    ones removed as its near-duplicates; None when the corpus has no clusters file at all."""
    from .rundir import RunDir

    rd = RunDir(run_dir)
    if not run_dir.is_dir() or not rd.clusters_path.exists():
        return None
    try:
        groups = rd.clusters()
    except UserError:
        return []
    return [{"size": g["size"], "representative": g["kept"], "members": g["members"][1:], "text": "",
             "similarity": g["jaccard"]} for g in groups]


def _planned_genres(src: Path, meta: dict[str, Any]) -> list[str]:
    """Genres the run planned documents in (its plan and top-ups) or was configured with."""
    from .coverage import configured_genres
    from .rundir import RunDir

    found: dict[str, None] = {}
    if src.is_dir():
        rd = RunDir(src)
        for row in rd.read_plan() + rd.read_topups():
            g = row.get("genre") if isinstance(row, dict) else None
            if isinstance(g, str) and g:
                found[g] = None
    found.update(dict.fromkeys(configured_genres(meta)))
    return list(found)


def _spec_from_run(run_dir: Path) -> Spec | None:
    p = run_dir / "spec.json"
    if run_dir.is_dir() and p.exists():
        try:
            return Spec.model_validate_json(p.read_text(encoding="utf-8"))
        except Exception:
            return None
    return None


def _derived_spec(atts: Iterable[Attribution]) -> Spec:
    vids, rids = {}, {}
    for a in atts:
        vids.update(dict.fromkeys(a.value_ids))
        rids.update(dict.fromkeys(a.rule_ids))
    span = Span(start=1, end=1)
    return Spec(id="corpus", title="(ids found in the corpus)", source="(no spec given)", sha256="",
                format="markdown", values=[Value(id=v, name=v, statement="", lines=span) for v in sorted(vids)],
                rules=[Rule(id=r, text="", lines=span) for r in sorted(rids)])


def _opener(text: str) -> str:
    """The first five words, without Markdown markup around them."""
    words = [w.strip("#*_>`\"'“”") for w in text.split()[:12]]
    return " ".join([w for w in words if w][:5])


# --------------------------------------------------------------------------- build

def build_report(corpus: str | Path, *, spec: str | Path | Spec | None = None, out: str | Path | None = None,
                 sample_size: int = 150, thresholds: Thresholds | None = None, model_name: str | None = None) -> Path:
    """Write the HTML report of ``corpus`` to ``out`` (default ``CORPUS/report.html`` or ``report.html``)."""
    src = Path(corpus)
    meta = run_meta(src)
    sp: Spec | None = parse_spec(spec) if isinstance(spec, (str, Path)) else spec
    if sp is not None:
        check_spec(sp, meta, where=str(src))
    else:
        sp = _spec_from_run(src)
    th = thresholds or Thresholds()
    rng = random.Random(0)
    per_genre_quota = max(4, sample_size // 6)
    samples: dict[str, list[Document]] = defaultdict(list)
    seen_genre: Counter[str] = Counter()
    tokens: dict[str, list[int]] = defaultdict(list)
    openers: Counter[str] = Counter()
    pending: list[tuple[str, int, Attribution]] = []
    counter = CoverageCounter(sp, model_name=model_name) if sp is not None else None
    shas: Counter[str] = Counter()
    clusters = _clusters(src)
    reps = {c["representative"]: c for c in clusters or []}
    for doc in iter_documents(src):
        g = doc.genre or NO_GENRE
        if doc.id in reps:
            reps[doc.id]["text"] = _opener(doc.text)
        if counter is not None:
            counter.add(doc)
        else:
            pending.append((doc.genre, doc.n_tokens, doc.attribution))
        if doc.spec_sha256:
            shas[doc.spec_sha256] += 1
        tokens[g].append(doc.n_tokens)
        openers[_opener(doc.text)] += 1
        seen_genre[g] += 1
        bucket = samples[g]
        if len(bucket) < per_genre_quota:
            bucket.append(doc)
        else:
            j = rng.randrange(seen_genre[g])
            if j < per_genre_quota:
                bucket[j] = doc
    if counter is not None and spec is not None:
        check_spec(sp, {}, shas.elements(), where=str(src))
    if counter is None:
        sp = _derived_spec(a for _, _, a in pending)
        counter = CoverageCounter(sp, check_unchecked=False)
        for g, n, a in pending:
            counter.add_attribution(g, n, a)
    cov = counter.result()

    rejected: list[Document] = []
    reasons: Counter[str] = Counter()
    seen = 0
    if src.is_dir() and meta.get("manifest"):
        for doc in iter_documents(src, split="rejected"):
            reasons[f"{doc.reject_filter or 'filter'}: {doc.reject_reason or 'dropped'}"] += 1
            seen += 1
            if len(rejected) < 30:
                rejected.append(doc)
            elif (j := rng.randrange(seen)) < 30:
                rejected[j] = doc
    stats = _filter_stats(meta.get("manifest"))

    # planned genres that got no accepted document still get a (empty) column
    planned = [g for g in _planned_genres(src, meta) if g not in cov.genres]
    order = sorted(cov.genres, key=lambda g: (-cov.docs_per_genre.get(g, 0), g)) + sorted(planned)
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(order)}
    dictated = None
    if sp is not None and sp.sha256 and cov.documents:
        from .dictated import dictated_only

        dictated = dictated_only(src, sp, model_name or (meta.get("manifest") or {}).get("model_name"))
    sample = [d for g in order for d in samples[g]][:sample_size]
    page = _page(src=src, spec=sp, cov=cov, th=th, meta=meta, order=order, colors=colors, tokens=tokens,
                 openers=openers, reasons=reasons, stats=stats, clusters=clusters,
                 samples=sample, rejected=rejected, n_rejected=seen, dictated=dictated)
    dest = Path(out) if out else (src / "report.html" if src.is_dir() else Path("report.html"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(dest)
    return dest


# --------------------------------------------------------------------------- page

CSS = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;
color:#222;background:#fafafa}header{background:#1f3b57;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}nav{padding:6px 28px;background:#e9eef3;font-size:13px}nav a{margin-right:14px}
main{padding:8px 28px 40px;max-width:1400px}section{background:#fff;border:1px solid #ddd;border-radius:6px;
margin:16px 0;padding:12px 18px}h2{font-size:17px;margin:4px 0 10px}.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}
.tile b{display:block;font-size:20px}.tile span{color:#666;font-size:12px}
.lbl{font-size:11px;fill:#333}.num{font-size:10px;fill:#444}.chart{overflow:visible;max-width:100%;height:auto}
.multiples{display:flex;flex-wrap:wrap;gap:6px}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 16px}.pair>section{min-width:0}.empty{color:#888;font-style:italic}
.gaps li.block{color:#b00020}.gaps li.warn{color:#8a6d00}.ok{color:#1b7f3b;font-weight:600}
.bad{color:#b00020;font-weight:600}
#browser{display:grid;grid-template-columns:330px 1fr;gap:14px;min-height:420px}
#doc-list{list-style:none;margin:0;padding:0;max-height:640px;overflow:auto;border:1px solid #ddd}
#doc-list li button{all:unset;display:block;width:100%;padding:5px 8px;border-bottom:1px solid #eee;cursor:pointer;
font-size:12px}#doc-list li button:hover,#doc-list li button.sel{background:#dbe8f5}
.doc dl{display:grid;grid-template-columns:150px 1fr;gap:2px 10px;font-size:12px;margin:0 0 10px}
.doc dt{color:#666}.doc dd{margin:0;word-break:break-all}.doc pre{white-space:pre-wrap;font:13px/1.5 Georgia,serif;
background:#fcfcf7;border:1px solid #eee;padding:12px;max-height:640px;overflow:auto}
mark{background:#ffe066;padding:0 1px}mark.reject{background:#ffb3b3}.filters{margin-bottom:8px}
.filters select,.filters input{font-size:12px;margin-right:6px}.tag{display:inline-block;padding:0 6px;border-radius:8px;
font-size:11px;color:#fff}table.kv td{padding:1px 10px 1px 0;font-size:12px}
"""

JS = """
(function(){
  var list=document.getElementById('doc-list'); if(!list) return;
  var buttons=[].slice.call(list.querySelectorAll('button'));
  function show(id){
    [].forEach.call(document.querySelectorAll('article.doc'),function(a){a.hidden=(a.id!==id);});
    buttons.forEach(function(b){b.classList.toggle('sel',b.getAttribute('data-doc')===id);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){show(b.getAttribute('data-doc'));});});
  var g=document.getElementById('f-genre'),s=document.getElementById('f-split'),q=document.getElementById('f-q');
  function filt(){
    var first=null;
    buttons.forEach(function(b){
      var ok=(!g.value||b.dataset.genre===g.value)&&(!s.value||b.dataset.split===s.value)&&
        (!q.value||b.textContent.toLowerCase().indexOf(q.value.toLowerCase())>=0);
      b.parentNode.hidden=!ok; if(ok&&!first) first=b;
    });
    if(first) show(first.getAttribute('data-doc'));
  }
  [g,s].forEach(function(e){e.addEventListener('change',filt);}); q.addEventListener('input',filt);
  if(buttons.length) show(buttons[0].getAttribute('data-doc'));
})();
"""


def _tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{E(value)}</b><span>{E(label)}</span></div>'


def _section(sid: str, title: str, body: str, note: str = "") -> str:
    n = f'<p class="note">{E(note)}</p>' if note else ""
    return f'<section id="{sid}"><h2>{E(title)}</h2>{n}{body}</section>'


def _doc_article(i: int, d: Document, split: str) -> str:
    a = d.attribution
    fields = [("id", d.id), ("split", split), ("genre", d.genre), ("value_ids", ", ".join(d.value_ids)),
              ("rule_ids", ", ".join(d.rule_ids)), ("audience", d.audience), ("angle", d.angle), ("idea", d.idea),
              ("item_id", d.item_id), ("backend / model", " / ".join(x for x in (d.backend, d.model) if x)),
              ("prompt_sha256", d.prompt_sha256[:16]), ("template_version", d.template_version),
              ("spec", f"{d.spec_id} {d.spec_sha256[:12]}".strip()), ("finish_reason", d.finish_reason),
              ("n_tokens", str(d.n_tokens)), ("created_at", d.created_at),
              ("attribution", f"{a.verdict} ({a.method or 'no method'}, confidence {a.confidence:.2f})"),
              ("attributed rules", ", ".join(a.rule_ids)), ("attributed values", ", ".join(a.value_ids)),
              ("evidence", a.evidence)]
    if split == "rejected":
        fields += [("rejected by", f"{d.reject_filter}: {d.reject_reason}"), ("reject evidence", d.reject_evidence)]
    dl = "".join(f"<dt>{E(k)}</dt><dd>{E(v)}</dd>" for k, v in fields if v)
    if split == "rejected" and d.reject_evidence and not a.evidence:
        body = highlight(d.text, d.reject_evidence, "reject")
    else:
        body = highlight(d.text, a.evidence)
    return f'<article class="doc" id="doc-{i}" data-split="{split}"{" hidden" if i else ""}><dl>{dl}</dl><pre>{body}</pre></article>'


def _browser(samples: list[Document], rejected: list[Document], colors: dict[str, str], *,
             n_accepted: int | None = None, n_rejected: int | None = None) -> str:
    docs = [(d, "accepted") for d in samples] + [(d, "rejected") for d in rejected]
    if not docs:
        return '<p class="empty">no documents</p>'
    items, arts = [], []
    for i, (d, split) in enumerate(docs):
        g = d.genre or NO_GENRE
        color = colors.get(g, "#999") if split == "accepted" else "#b00020"
        tag = f'<span class="tag" style="background:{color}">{E(_short(g, 18) if split == "accepted" else "rejected")}</span>'
        items.append(f'<li><button type="button" data-doc="doc-{i}" data-genre="{E(g)}" data-split="{split}">'
                     f'{tag} {E(_short(_opener(d.text) or d.id, 60))}</button></li>')
        arts.append(_doc_article(i, d, split))
    genres = sorted({d.genre or NO_GENRE for d, _ in docs})
    opts = "".join(f'<option value="{E(g)}">{E(g)}</option>' for g in genres)
    filters = (f'<div class="filters"><select id="f-genre"><option value="">all genres</option>{opts}</select>'
               '<select id="f-split"><option value="">accepted + rejected</option><option value="accepted">accepted'
               '</option><option value="rejected">rejected</option></select><input id="f-q" placeholder="search openers">'
               f'<span id="doc-count">{E(_sample_count(len(samples), n_accepted, len(rejected), n_rejected))}'
               '</span></div>')
    return (f'{filters}<div id="browser"><ul id="doc-list">{"".join(items)}</ul>'
            f'<div id="doc-view">{"".join(arts)}</div></div>')


def _sample_count(shown_acc: int, n_acc: int | None, shown_rej: int, n_rej: int | None) -> str:
    """'12 accepted and 30 of 310 rejected documents in the sample' (says when a split is capped)."""
    def part(shown, total, what):
        return f"{shown} of {total:,} {what}" if total is not None and total > shown else f"{shown} {what}"

    s = part(shown_acc, n_acc, "accepted")
    if shown_rej or n_rej:
        s += f" and {part(shown_rej, n_rej, 'rejected')}"
    return s + " documents in the sample"


def _fmt_seconds(s: float) -> str:
    s = float(s)
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _page(*, src, spec: Spec, cov, th, meta, order, colors, tokens, openers, reasons, stats, clusters,
          samples, rejected, n_rejected: int = 0, dictated=None) -> str:
    summary = meta.get("summary") or {}
    flat = _flat(summary)
    cost = _first(flat, "cost_usd", "cost", "estimated_cost_usd", "usd")
    elapsed = _first(flat, "elapsed_s", "elapsed_seconds", "elapsed", "seconds", "wall_s", "duration_s")
    attributed = cov.verdicts.get("attributed", 0)
    n_rej = sum(reasons.values()) or sum(stats.values())
    tiles = [_tile(f"{cov.documents:,}", "accepted documents"), _tile(f"{cov.tokens:,}", "tokens (cl100k)"),
             _tile(str(len(cov.genres)), "genres"),
             _tile(f"{attributed / cov.documents:.0%}" if cov.documents else "–", "explicitly attributed"),
             _tile(f"{n_rej:,}", "rejected"), _tile(f"{len(spec.rules)} / {len(spec.values)}", "rules / values")]
    if cost:
        tiles.append(_tile(f"${cost[1]:,.2f}", "cost"))
    if elapsed:
        tiles.append(_tile(_fmt_seconds(elapsed[1]), "elapsed"))
    if dictated is not None and dictated.attributed:
        tiles.append(_tile(f"{dictated.only:,} / {dictated.attributed:,}", "attributed only by the dictated opening"))
    secs = [f'<div class="tiles">{"".join(tiles)}</div>']
    if dictated is not None and dictated.attributed:
        secs[0] += f'<p class="note" id="dictated">{E(dictated.sentence())}.</p>'


    gaps = find_gaps(spec, cov, th, order) if spec.sha256 else []
    gl = "".join(f'<li class="{"block" if g.blocking else "warn"}">{E(g.message)}</li>' for g in gaps[:60])
    verdict = ('<p class="ok">every rule meets the thresholds</p>' if spec.sha256 and not any(g.blocking for g in gaps)
               else '<p class="bad">coverage falls short</p>' if spec.sha256 else
               '<p class="note">no spec given: rows are the rule ids found in attributions</p>')
    titles = {r.id: f"{r.id}: {r.text[:160]}" for r in spec.rules}
    rows = [r.id for r in spec.rules]
    hm = heatmap(rows, order, cov.cell, min_cell=th.min_per_cell, row_titles=titles) if rows and order else \
        '<p class="empty">no rules or no genres</p>'
    secs.append(_section("coverage", "Coverage: documents attributing each rule, by genre",
                         hm + verdict + (f'<ul class="gaps">{gl}</ul>' if gl else ""),
                         f"thresholds: min-per-rule {th.min_per_rule}, min-per-cell {th.min_per_cell}, "
                         f"min-genres {th.min_genres}; red outline = cell under min-per-cell"))
    secs.append(_section("tokens", "Tokens per document, by genre",
                         histograms({g: tokens[g] for g in order if tokens[g]}, colors)))
    vrows = [(v.id, cov.value_genre.get(v.id, {})) for v in spec.values]
    secs.append(_section("values", "Documents per value, by genre",
                         stacked_hbars(vrows, order, colors, title="documents per value by genre")
                         if vrows else '<p class="empty">the spec has no values</p>'))
    merged = {k: max(reasons.get(k, 0), stats.get(k, 0)) for k in {*reasons, *stats}}
    rj = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    secs.append(_section("rejected", "Rejected documents by reason",
                         hbars(rj, color="#e15759", title="rejected by reason"),
                         "from rejected/ shards and the manifest's filter stats"))
    if clusters:
        top = [(f"{_short(c['text'] or c['representative'], 40)}", c["size"]) for c in clusters[:15]]
        n = len(clusters)
        note = (f"{n} cluster{'' if n == 1 else 's'}, {sum(c['size'] for c in clusters):,} documents in them: each kept "
                f"document and the near-duplicates removed for it (from dedup_clusters.jsonl); largest first")
        rows = "".join(f"<tr><td>{E(c['representative'])}</td><td>{E(c['text'])}</td><td>{c['size']}</td>"
                       f"<td>{c['similarity']:.2f}</td><td>{E(', '.join(c['members']))}</td></tr>"
                       for c in clusters[:50])
        body = (hbars(top, color=PALETTE[6], title="near-duplicate clusters") +
                '<table class="kv clusters"><tr><th>kept</th><th>opener</th><th>size</th><th>max jaccard</th>'
                f'<th>removed as near-duplicates</th></tr>{rows}</table>')
    elif clusters is not None:
        note, body = "", '<p class="empty">no near-duplicates found</p>'
    else:
        note, body = "", '<p class="empty">no dedup_clusters.jsonl in this corpus</p>'
    secs.append(_section("dups", "Near-duplicate clusters", body, note))
    secs.append(_section("openers", "Top openers (first five words)",
                         hbars(openers.most_common(15), color=PALETTE[4], label_w=300, title="top openers"),
                         f"{len(openers):,} distinct openers in {cov.documents:,} documents"))
    if summary:
        kv = "".join(f"<tr><td>{E(k)}</td><td>{E(str(v))}</td></tr>" for k, v in flat[:60])
        bars = [(k, v) for k, v in flat if isinstance(v, (int, float)) and not isinstance(v, bool)
                and re.search(r"(^|\.)(kept|dropped)(\.|$)", k)]
        funnel = []
        for key in ("planned", "accepted", "rejected", "failed"):
            v = summary.get(key)
            v = sum(x for x in v.values() if isinstance(x, (int, float))) if isinstance(v, dict) else v
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                funnel.append((key, v))
        body = (hbars(funnel, color=PALETTE[0], label_w=120, title="planned, accepted, rejected, failed")
                if funnel else "") + \
            (hbars(bars, color=PALETTE[2], title="kept and dropped") if bars else "") + \
            f'<details><summary>summary.json (all fields)</summary><table class="kv">{kv}</table></details>'
    else:
        body = '<p class="empty">no summary.json in this corpus</p>'
    secs.append(_section("run", "Cost and time of the run", body))
    secs.append(_section("samples", "Sample browser", _browser(samples, rejected, colors, n_accepted=cov.documents,
                                                                 n_rejected=n_rejected or None),
                         "each document shows its provenance; the attribution evidence is highlighted"))
    # secs: tiles, coverage, tokens, values, rejected, dups, openers, run, samples
    pair = lambda a, b: f'<div class="pair">{a}{b}</div>'  # noqa: E731
    secs = [secs[0], secs[1], secs[2], pair(secs[3], secs[4]), pair(secs[5], secs[6]), secs[7], secs[8]]
    nav = "".join(f'<a href="#{i}">{E(t)}</a>' for i, t in (
        ("coverage", "coverage"), ("tokens", "tokens"), ("values", "values"), ("rejected", "rejected"),
        ("dups", "near-duplicates"), ("openers", "openers"), ("run", "cost & time"), ("samples", "samples")))
    head = f"{spec.title} · {spec.source}" if spec.sha256 else "no spec"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>docgen report · {E(str(src))}</title><style>{CSS}</style></head><body>"
            f"<header><h1>docgen corpus report</h1><p>{E(str(src))} · {E(head)}</p></header><nav>{nav}</nav>"
            f"<main>{''.join(secs)}</main><script>{JS}</script></body></html>\n")
