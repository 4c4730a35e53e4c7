"""Markdown → a document tree, built on markdown-it-py (CommonMark + tables, front
matter, footnotes, admonitions).

The tree has one :class:`Section` per heading (nested by level) whose ``body`` is a
list of :class:`Node` blocks: ``para``, ``list`` (of ``item`` nodes, nested),
``code``, ``html``, ``quote``, ``table``, ``footnote``, ``admonition``, ``hr``. Each
node carries its 1-based line span. Heading attributes in the kramdown / Pandoc form
``## Title {#anchor key=value .class}`` are parsed off the heading text.

Nesting is bounded by markdown-it's ``maxNesting`` (deeper input is read as text), and
nothing here recurses over the input, so hostile nesting cannot exhaust the stack.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .markup import as_markdown

MAX_NESTING = 32
BOLD_HEADING_LEVEL = 7     # "**Privacy**" alone on a line: below every real heading
_TASK_BOX = re.compile(r"\s*\[[ xX]\]\s+")
# a plain-text FAQ entry: "Q: …?" on its own line, the answer ("A: …") on the next line or in the next paragraph
_QA_LINE = re.compile(r"\s*(?:Q|Question)\s*[:.]\s*(?P<q>[^\n]{6,300}\?)\s*(?:\n(?P<a>.*))?$", re.S)
_QA_ANSWER_LABEL = re.compile(r"\s*(?:A|Answer)\s*[:.]\s+")

_ATTRS = re.compile(r"\s*\{\s*((?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))(?:\s+(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+)))*)\s*\}\s*$")


@dataclass
class Node:
    kind: str
    start: int
    end: int
    text: str = ""                 # plain text (inline markup removed, line breaks as spaces)
    raw: str = ""                  # source text of the inline content / code (line breaks kept)
    children: list["Node"] = field(default_factory=list)
    ordered: bool = False          # list
    info: str = ""                 # code fence language, admonition kind
    title: str = ""                # admonition title
    strong_lead: str | None = None  # para starting with **term**: the term
    notes: list[str] = field(default_factory=list)   # para: labels of the footnotes it cites ("[^privacy]")
    rows: list[list[str]] | None = None  # table: the cells' plain text, row by row (header first)


@dataclass
class Section:
    title: str
    level: int
    start: int
    end: int
    anchor: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    raw_title: str = ""
    parent: "Section | None" = None
    body: list[Node] = field(default_factory=list)
    children: list["Section"] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)   # the document (root) only: footnote label → its text

    def walk(self):
        stack = [self]
        while stack:
            s = stack.pop()
            yield s
            stack.extend(reversed(s.children))

    def end_line(self) -> int:
        last = self.end
        for s in self.walk():
            last = max(last, s.end, *(b.end for b in s.body)) if s.body else max(last, s.end)
        return last

    def ancestors(self):
        s = self.parent
        while s is not None:
            yield s
            s = s.parent


@dataclass
class Document:
    root: Section
    front_matter: str = ""
    front_matter_line: int = 1


_DETAILS_WHY = re.compile(r"\s*<details>\s*<summary>\s*(?:why\??|the\s+reason|reasons?|rationale)\s*</summary>(.*?)</details>\s*$",
                          re.I | re.S)
# "## Slide 4 — Getting from A to B", "## Step 2: Ask first": the place in a deck or a sequence, not words of the heading
_LAYOUT_PREFIX = re.compile(r"^(?:slide|page|part|chapter|step|criterion|dimension)\s+\d{1,3}\s*[—–:.-]\s+(?=\S)", re.I)


def parse_heading_attrs(text: str) -> tuple[str, str | None, dict[str, str]]:
    """``"Respect time {#respect_time authority=developer}"`` →
    ``("Respect time", "respect_time", {"authority": "developer"})``."""
    m = _ATTRS.search(text)
    if not m:
        return text.strip(), None, {}
    anchor, attrs = None, {}
    try:
        parts = shlex.split(m.group(1))
    except ValueError:
        parts = m.group(1).split()
    for p in parts:
        if p.startswith("#"):
            anchor = p[1:]
        elif p.startswith("."):
            attrs.setdefault("class", p[1:])
        elif "=" in p:
            k, v = p.split("=", 1)
            attrs[k.lower()] = v
    return text[: m.start()].strip(), anchor, attrs


def _inline_text(tok) -> tuple[str, str | None]:
    """Plain text of an inline token, and the bold term it starts with (if any)."""
    out: list[str] = []
    lead = None
    children = tok.children or []
    in_image = 0
    strong_start = None
    for i, c in enumerate(children):
        t = c.type
        if t == "image":
            continue
        if t == "text":
            if not in_image:
                out.append(c.content)
        elif t == "code_inline":
            out.append(c.content)
        elif t in ("softbreak", "hardbreak"):
            out.append(" ")
        elif t == "strong_open" and lead is None and not "".join(out).strip():
            strong_start = len(out)
        elif t == "strong_close" and strong_start is not None and lead is None:
            lead = "".join(out[strong_start:]).strip()
            strong_start = None
        # html_inline (comments, tags), footnote_ref, link markers: dropped
    text = re.sub(r"[ \t]+", " ", "".join(out)).strip()
    return text, lead


def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
    return md.use(front_matter_plugin).use(footnote_plugin).use(admon_plugin)


_CONTAINERS = {
    "bullet_list_open": "list", "ordered_list_open": "list", "list_item_open": "item",
    "blockquote_open": "quote", "admonition_open": "admonition", "footnote_open": "footnote",
    "table_open": "table", "footnote_block_open": "footnote_block",
}


def parse_markdown(text: str, title_fallback: str = "") -> Document:
    text = as_markdown(text)          # XML-style sections, plain-text memos, RST directives: line for line
    tokens = _md().parse(text)
    nlines = text.count("\n") + 1
    root = Section(title=title_fallback, level=0, start=1, end=1)
    doc = Document(root=root)
    cur = root
    stack: list[Node] = []        # open containers
    last_line = 1
    heading_open = None

    def add(node: Node) -> None:
        if stack:
            stack[-1].children.append(node)
        else:
            cur.body.append(node)

    for tok in tokens:
        mp = tok.map
        if mp:
            last_line = mp[0] + 1
        t = tok.type
        if t == "front_matter":
            doc.front_matter = tok.content
            continue
        if t == "heading_open" and not stack:
            heading_open = tok
            continue
        if t == "inline" and heading_open is not None:
            plain, _ = _inline_text(tok)
            title, anchor, attrs = parse_heading_attrs(plain)
            title = _LAYOUT_PREFIX.sub("", title, count=1) or title
            level = int(heading_open.tag[1])
            line = heading_open.map[0] + 1
            while cur.parent is not None and cur.level >= level:
                cur = cur.parent
            sec = Section(title=title, level=level, start=line, end=line, anchor=anchor, attrs=attrs,
                          raw_title=tok.content, parent=cur)
            cur.children.append(sec)
            cur = sec
            continue
        if t == "heading_close" and heading_open is not None:
            heading_open = None
            continue
        if t in _CONTAINERS:
            kind = _CONTAINERS[t]
            start = mp[0] + 1 if mp else last_line
            end = mp[1] if mp else start
            node = Node(kind, start, max(start, end), ordered=(t == "ordered_list_open"))
            if kind == "admonition":
                node.info = (tok.meta or {}).get("tag", "") or (tok.info.split()[0] if tok.info.strip() else "")
                node.title = tok.content
            elif kind == "footnote":
                node.info = str((tok.meta or {}).get("label", ""))
            add(node)
            stack.append(node)
            continue
        if t.endswith("_close") and stack and t.replace("_close", "_open") in _CONTAINERS:
            node = stack.pop()
            if node.kind == "table":
                node.text = " | ".join(c.text for c in node.children)
                rows: dict[int, list[str]] = {}
                for c in node.children:
                    rows.setdefault(c.start, []).append(c.text)
                node.rows = [rows[k] for k in sorted(rows)]
                node.children = []
            elif node.kind in ("footnote", "footnote_block") and node.children:
                node.end = max(node.end, max(c.end for c in node.children))
                node.start = min(c.start for c in node.children) if node.start == last_line else node.start
                if node.kind == "footnote" and node.info:
                    # "[^respect]: Respect. Nobody owes us a reason …": what the paragraphs citing it give as reason
                    root.notes[node.info] = " ".join(n.text for n in walk_nodes(node.children) if n.kind == "para")
            continue
        if t == "inline":
            if heading_open is not None:
                continue
            plain, lead = _inline_text(tok)
            if stack and stack[-1].kind == "item" and not stack[-1].children and _TASK_BOX.match(plain):
                # a task-list item ("- [x] X asks …", "- [ ] …"): the box is layout, not words of the rule
                plain = _TASK_BOX.sub("", plain, count=1)
                tok = tok.copy(content=_TASK_BOX.sub("", tok.content, count=1))
                lead = _inline_text(tok)[1]
            start = mp[0] + 1 if mp else last_line
            end = mp[1] if mp else start
            if not stack and not cur.body and cur.level and re.fullmatch(r"\{:?\s*[^{}]*\}", tok.content.strip()):
                # a kramdown block IAL on the line after a heading: "{: #anchor authority=user}"
                _t, anchor, attrs = parse_heading_attrs("x " + tok.content.strip().replace("{:", "{", 1))
                if anchor or attrs:
                    cur.anchor = anchor or cur.anchor
                    cur.attrs.update(attrs)
                    continue
            if not stack and lead and lead == plain.rstrip(" .") \
                    and len(plain.split()) <= (30 if plain.rstrip().endswith("?") else 12) \
                    and not plain.rstrip().endswith(":") and re.fullmatch(r"\s*(\*\*|__)[^\n]+\1\s*", tok.content):
                # a paragraph that is only bold text works as a heading in exported documents
                title, anchor, attrs = parse_heading_attrs(plain.rstrip(" ."))
                while cur.parent is not None and cur.level >= BOLD_HEADING_LEVEL:
                    cur = cur.parent
                sec = Section(title=title, level=BOLD_HEADING_LEVEL, start=start, end=start, anchor=anchor,
                              attrs=attrs, raw_title=tok.content, parent=cur)
                cur.children.append(sec)
                cur = sec
                continue
            first_line, _nl, rest_raw = tok.content.partition("\n")
            if not stack and lead and rest_raw.strip() and len(lead.split()) <= 12 and not lead.rstrip().endswith(":") \
                    and re.fullmatch(r"\s*(\*\*|__)[^\n]+\1\s*", first_line) and plain.startswith(lead):
                # "**§ 2.1 Deadlines.**" on its own line with the clauses on the next lines of the same paragraph:
                # the bold line heads them, as a bold paragraph on its own would
                title, anchor, attrs = parse_heading_attrs(lead.rstrip(" ."))
                while cur.parent is not None and cur.level >= BOLD_HEADING_LEVEL:
                    cur = cur.parent
                sec = Section(title=title, level=BOLD_HEADING_LEVEL, start=start, end=start, anchor=anchor,
                              attrs=attrs, raw_title=first_line, parent=cur)
                cur.children.append(sec)
                cur = sec
                rest_plain = plain[len(lead):].lstrip(" .")
                for n in _split_lazy_list(Node("para", min(start + 1, max(start, end)), max(start, end),
                                               text=rest_plain, raw=rest_raw)):
                    add(n)
                continue
            qa = _QA_LINE.match(tok.content) if not stack else None
            if qa:
                # "Q: Why won't Sorrel …?" / "A: Because …" in a plain-text FAQ: the question works as a heading (as a
                # bold question does) and the answer, its label dropped, as its body
                while cur.parent is not None and cur.level >= BOLD_HEADING_LEVEL:
                    cur = cur.parent
                sec = Section(title=qa.group("q").strip(), level=BOLD_HEADING_LEVEL, start=start, end=start,
                              raw_title=qa.group("q"), parent=cur)
                cur.children.append(sec)
                cur = sec
                answer = (qa.group("a") or "").strip()
                if answer:
                    a_plain = _QA_ANSWER_LABEL.sub("", answer, count=1)
                    add(Node("para", min(start + 1, max(start, end)), max(start, end), text=" ".join(a_plain.split()),
                             raw=a_plain))
                continue
            if not stack and _QA_ANSWER_LABEL.match(tok.content):
                plain = _QA_ANSWER_LABEL.sub("", plain, count=1)
            cites = [str(c.meta.get("label", "")) for c in tok.children or [] if c.type == "footnote_ref"]
            for n in _split_lazy_list(Node("para", start, max(start, end), text=plain, raw=tok.content,
                                           strong_lead=lead, notes=cites)):
                add(n)
            continue
        if t in ("fence", "code_block"):
            add(Node("code", mp[0] + 1, mp[1], raw=tok.content, info=tok.info.strip()))
        elif t == "html_block":
            why = _DETAILS_WHY.match(tok.content)
            if why:
                # a wiki's "<details><summary>Why?</summary> … </details>": the reason for the rules above it
                body = " ".join(re.sub(r"<[^>]+>", " ", why.group(1)).split())
                add(Node("para", mp[0] + 1, mp[1], text=f"Why: {body}", raw=tok.content))
            else:
                add(Node("html", mp[0] + 1, mp[1], raw=tok.content))
        elif t == "hr":
            add(Node("hr", mp[0] + 1, mp[1]))
    # spans end on their last non-blank line (markdown-it maps include trailing blank lines)
    src = text.split("\n")
    for s in root.walk():
        for n in walk_nodes(s.body):
            while n.end > n.start and n.end <= len(src) and not src[n.end - 1].strip():
                n.end -= 1
    # heading sections end where their last body block ends
    for s in root.walk():
        if s.body:
            s.end = max(s.end, max(b.end for b in s.body))
    root.end = nlines
    return doc


_LAZY_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)]|\([a-z]{1,3}\)|[a-z]\))\s+(.*)$")


def _split_lazy_list(para: Node) -> list[Node]:
    """Plain-text specs often indent bullets under "This includes:" with no blank line,
    which CommonMark reads as one paragraph; give such bullets back their list."""
    lines = para.raw.split("\n")
    first = next((i for i, ln in enumerate(lines) if i > 0 and _LAZY_BULLET.match(ln)), None)
    if first is None or not lines[first - 1].rstrip().endswith(":"):
        return [para]
    head = Node("para", para.start, para.start + first - 1, raw="\n".join(lines[:first]),
                text=re.sub(r"\s+", " ", " ".join(lines[:first])).strip(), strong_lead=para.strong_lead)
    lst = Node("list", para.start + first, para.end)
    for i in range(first, len(lines)):
        m = _LAZY_BULLET.match(lines[i])
        ln = para.start + i
        if m:
            item = Node("item", ln, ln)
            marker = re.match(r"^\s*(\([a-z]{1,3}\)|[a-z]\))\s", lines[i])
            body = (marker.group(1) + " " if marker else "") + m.group(1)
            item.children.append(Node("para", ln, ln, text=re.sub(r"\*\*|__", "", body).strip(), raw=body))
            lst.children.append(item)
        elif lst.children:
            p = lst.children[-1].children[0]
            p.text, p.raw, p.end = (p.text + " " + lines[i].strip()).strip(), p.raw + "\n" + lines[i], ln
            lst.children[-1].end = ln
    return [head, lst]


def walk_nodes(nodes: list[Node]):
    """Every node under ``nodes`` (depth first, iterative)."""
    stack = list(reversed(nodes))
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def item_parts(item: Node) -> tuple[list[Node], list[Node]]:
    """A list item's own blocks (paragraphs, code…) and its nested lists."""
    own = [c for c in item.children if c.kind != "list"]
    nested = [c for c in item.children if c.kind == "list"]
    return own, nested
