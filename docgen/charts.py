"""Inline SVG charts for the report: a heatmap, bars, stacked bars and small-multiple histograms.

Every label goes through :func:`html.escape`; the charts draw nothing from outside the page.
"""

from __future__ import annotations

import html
import math

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d"]
E = html.escape


# --------------------------------------------------------------------------- svg charts

def _svg(w: float, h: float, body: str, label: str) -> str:
    return (f'<svg class="chart" role="img" aria-label="{E(label)}" width="{w:.0f}" height="{h:.0f}" '
            f'viewBox="0 0 {w:.0f} {h:.0f}" xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def _text(x, y, s, anchor="start", cls="", extra="") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{E(str(s))}</text>'


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _heat_color(n: int, vmax: int) -> str:
    if n <= 0:
        return "#f4f4f4"
    t = math.log1p(n) / math.log1p(max(vmax, 1))
    lo, hi = (222, 235, 247), (8, 48, 107)
    r, g, b = (round(a + (c - a) * t) for a, c in zip(lo, hi))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(rows: list[str], cols: list[str], value, *, min_cell: int = 0, row_titles=None) -> str:
    """Rules × genres heatmap; ``value(row, col) -> int``; cells under ``min_cell`` get a red outline."""
    longest = max([len(_short(c, 18)) for c in cols] or [4])
    cw, ch, left, top = 64, 22, 150, 16 + int(longest * 4.6)
    w, h = max(left + cw * max(1, len(cols)) + 20, left + 400), top + ch * max(1, len(rows)) + 30
    vmax = max([value(r, c) for r in rows for c in cols] or [1])
    parts = []
    for j, c in enumerate(cols):
        x = left + j * cw + cw / 2
        parts.append(f'<text transform="translate({x:.1f},{top - 8}) rotate(-40)" class="lbl">{E(_short(c, 18))}'
                     f'<title>{E(c)}</title></text>')
    for i, r in enumerate(rows):
        y = top + i * ch
        tip = (row_titles or {}).get(r, r)
        parts.append(f'<text x="{left - 8}" y="{y + ch * 0.68:.1f}" text-anchor="end" class="lbl">{E(_short(r, 22))}'
                     f'<title>{E(tip)}</title></text>')
        for j, c in enumerate(cols):
            n = value(r, c)
            x = left + j * cw
            short = min_cell and n < min_cell
            stroke = ' stroke="#d62728" stroke-width="2"' if short else ' stroke="#fff"'
            parts.append(f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" '
                         f'fill="{_heat_color(n, vmax)}"{stroke}><title>{E(r)} × {E(c)}: {n}</title></rect>')
            fg = "#fff" if n and math.log1p(n) / math.log1p(max(vmax, 1)) > 0.55 else "#222"
            parts.append(_text(x + cw / 2, y + ch * 0.68, n, "middle", "num", f' style="fill:{fg}"'))
    # colour legend
    ly = top + ch * len(rows) + 18
    for k, n in enumerate(sorted({0, 1, max(1, vmax // 2), vmax})):
        lx = left + k * 70
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="12" fill="{_heat_color(n, vmax)}" '
                     f'stroke="#ccc"/>')
        parts.append(_text(lx + 18, ly, f"{n} docs", "start", "num"))
    if min_cell:
        lx = left + 4 * 70
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="12" fill="#fff" stroke="#d62728" '
                     f'stroke-width="2"/>')
        parts.append(_text(lx + 18, ly, f"under {min_cell}", "start", "num"))
    return _svg(w, h, "".join(parts), "coverage heatmap")


def hbars(items: list[tuple[str, float]], *, color: str = PALETTE[0], width: int = 640, label_w: int = 260,
          fmt=lambda v: f"{v:g}", title: str = "bar chart") -> str:
    if not items:
        return '<p class="empty">nothing to show</p>'
    bh, top = 20, 6
    vmax = max(v for _, v in items) or 1
    plot = width - label_w - 60
    parts = []
    for i, (lab, v) in enumerate(items):
        y = top + i * bh
        bw = max(1.0, plot * v / vmax) if v else 0
        parts.append(_text(label_w - 6, y + bh * 0.7, _short(lab, 40), "end", "lbl"))
        parts.append(f'<rect class="bar" x="{label_w}" y="{y + 2}" width="{bw:.1f}" height="{bh - 4}" '
                     f'fill="{color}"><title>{E(lab)}: {E(fmt(v))}</title></rect>')
        parts.append(_text(label_w + bw + 4, y + bh * 0.7, fmt(v), "start", "num"))
    return _svg(width, top * 2 + bh * len(items), "".join(parts), title)


def stacked_hbars(rows: list[tuple[str, dict[str, int]]], keys: list[str], colors: dict[str, str], *,
                  width: int = 620, label_w: int = 160, title: str = "stacked bars") -> str:
    if not rows:
        return '<p class="empty">nothing to show</p>'
    bh, top = 22, 6
    vmax = max(sum(d.values()) for _, d in rows) or 1
    plot = width - label_w - 60
    parts = []
    for i, (lab, d) in enumerate(rows):
        y = top + i * bh
        parts.append(_text(label_w - 6, y + bh * 0.68, _short(lab, 30), "end", "lbl"))
        x = float(label_w)
        for k in keys:
            n = d.get(k, 0)
            if not n:
                continue
            bw = plot * n / vmax
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{bw:.1f}" height="{bh - 4}" '
                         f'fill="{colors[k]}"><title>{E(lab)} · {E(k)}: {n}</title></rect>')
            x += bw
        parts.append(_text(x + 4, y + bh * 0.68, sum(d.values()), "start", "num"))
    legend_y = top + bh * len(rows) + 14
    lx = label_w
    for k in keys:
        parts.append(f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{colors[k]}"/>')
        parts.append(_text(lx + 14, legend_y, _short(k, 20), "start", "lbl"))
        lx += 24 + 7 * min(len(k), 20)
        if lx > width - 100:
            lx = label_w
            legend_y += 16
    return _svg(width, legend_y + 10, "".join(parts), title)


def histograms(groups: dict[str, list[int]], colors: dict[str, str], *, bins: int = 20) -> str:
    """Small multiples: one token histogram per genre on shared bins."""
    allv = sorted(v for vs in groups.values() for v in vs)
    if not allv:
        return '<p class="empty">no documents</p>'
    hi = allv[min(len(allv) - 1, int(len(allv) * 0.99))] or 1
    step = max(1, math.ceil(hi / bins))
    w, h, pad = 330, 120, 28
    out = []
    for g, vs in groups.items():
        counts = [0] * bins
        for v in vs:
            counts[min(bins - 1, v // step)] += 1
        cmax = max(counts) or 1
        bw = (w - 2 * pad) / bins
        parts = [_text(pad, 14, f"{_short(g, 28)} · {len(vs)} docs · median {sorted(vs)[len(vs) // 2]} tok",
                       cls="lbl")]
        for i, c in enumerate(counts):
            bh = (h - pad - 22) * c / cmax
            x, y = pad + i * bw, h - pad - bh
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bw - 1, 1):.1f}" height="{bh:.1f}" '
                         f'fill="{colors.get(g, PALETTE[0])}"><title>{i * step}–{(i + 1) * step} tokens: {c}'
                         f'</title></rect>')
        parts.append(f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>')
        parts.append(_text(pad, h - pad + 14, 0, "middle", "num"))
        parts.append(_text(w - pad, h - pad + 14, f"{bins * step}{'+' if allv[-1] > bins * step else ''}",
                           "middle", "num"))
        parts.append(_text(w / 2, h - 4, "tokens per document", "middle", "num"))
        out.append(_svg(w, h, "".join(parts), f"tokens per document, {g}"))
    return '<div class="multiples">' + "".join(out) + "</div>"
