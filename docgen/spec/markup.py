"""Other writing conventions, rewritten as Markdown line for line before the Markdown parser reads a spec.

Specs arrive in shapes Markdown does not know: system prompts that group their text in XML-style tags
(``<values>`` … ``</values>``), plain-text memos with ALL-CAPS headings and "o" sub-bullets,
reStructuredText pages with ``.. note::`` and ``.. code-block::`` directives, AsciiDoc manuals ("== Section",
"----" listing blocks) and chat exports ("[09:13] Name: text"). :func:`as_markdown` turns these
into the Markdown the reader understands. It never adds or removes a line, so every line number the reader
reports still points into the file as written.
"""

from __future__ import annotations

import re

# Tags that are HTML, which Markdown passes through as markup: never read as sections.
_HTML = set("""a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code
col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form h1 h2 h3
h4 h5 h6 head header hr html i iframe img input ins kbd label legend li link main map mark meta meter nav noscript
object ol optgroup option output p param picture pre progress q rp rt ruby s samp script section select small source
span strong style sub summary sup table tbody td template textarea tfoot th thead time title tr track u ul var video
wbr center font""".split())

_OPEN_TAG = re.compile(r"^\s*<(?P<t>[A-Za-z][\w.-]*)(?:\s+[\w-]+=(?:\"[^\"]*\"|'[^']*'))*\s*>\s*$")
_CLOSE_TAG = re.compile(r"^\s*</(?P<t>[A-Za-z][\w.-]*)\s*>\s*$")
_WRAPPED = re.compile(r"^(?P<ind>\s*)<(?P<t>[A-Za-z][\w.-]*)>(?P<body>.*)</(?P=t)>\s*$")
_CAPS_LINE = re.compile(r"^(?=.*[A-Z]{2})(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?[A-Z0-9][A-Z0-9 &'’,/()–—:+-]{2,79}$")
_CAPS_ITEM = re.compile(r"^(?P<ind>\s*)(?P<m>[-*+•]|o)\s+(?P<t>(?=[^a-z]*[A-Z]{2})[A-Z0-9][^a-z.:]{2,79})(?P<end>[.:]?)(?P<rest>(?:\s.*)?)$")
_CAPS_RUN_IN = re.compile(r"^(?P<t>[A-Z][A-Z'’ &-]{2,40}[A-Z])(?P<end>[.!])(?P<rest>(?:\s+\S.*)?)$")
_LABEL_LINE = re.compile(r"^(?P<ind>\s+)(?i:rationale|reasons?|why)\s*:\s*(?P<rest>.*)$")
_EMOJI_BULLET = re.compile(r"^(?P<ind>\s*)(?P<e>[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF][\uFE0F\u200D\U0001F3FB-\U0001F3FF]*)+\s+(?=\S)")
_O_BULLET = re.compile(r"^(?P<ind>\s*)o\s+(?=\S)")
_RST_DIRECTIVE = re.compile(r"^(?P<ind>\s*)\.\.\s+(?P<d>[\w-]+)::\s*(?P<arg>.*)$")
_RST_CODE = {"code-block", "code", "sourcecode", "literalinclude", "highlight"}


def _human(tag: str) -> str:
    words = re.sub(r"[_.-]+", " ", tag).strip()
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words)
    return words[:1].upper() + words[1:].lower()


def _caps(text: str, keep: set[str] = frozenset()) -> str:
    """"GUESTS' PRIVACY AND SECURITY" → "Guests' privacy and security"; a word the document also writes in
    capitals inside ordinary sentences (a name, an acronym: ``keep``) stays as it is."""
    out = []
    for i, w in enumerate(text.split()):
        if re.sub(r"\W", "", w) in keep:
            out.append(w)
            continue
        low = w.lower()
        first = not any(re.search(r"[a-z]", x, re.I) for x in out)      # "1. PURPOSE" → "1. Purpose"
        out.append(low[:1].upper() + low[1:] if first else low)
    return " ".join(out)


def _xml_sections(lines: list[str]) -> None:
    """``<values>`` … ``</values>`` on lines of their own: a heading, nested by depth; ``<user>…</user>`` on one line:
    a "User: …" dialogue line. Only when the tags are paired and are not HTML."""
    opened = [(i, m["t"]) for i, line in enumerate(lines) if (m := _OPEN_TAG.match(line)) and m["t"].lower() not in _HTML]
    closes = {m["t"] for line in lines if (m := _CLOSE_TAG.match(line))}
    if not opened or not any(t in closes for _i, t in opened):
        return
    stack, fence = [], False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if fence:
            continue
        m = _OPEN_TAG.match(line)
        if m and m["t"].lower() not in _HTML and m["t"] in closes:
            stack.append(m["t"])
            lines[i] = "#" * min(6, len(stack)) + " " + _human(m["t"])
            continue
        m = _CLOSE_TAG.match(line)
        if m and m["t"] in stack:
            while stack and stack.pop() != m["t"]:
                pass
            lines[i] = ""
            continue
        m = _WRAPPED.match(line)
        if m and m["t"].lower() not in _HTML:
            lines[i] = f"{m['ind']}{_human(m['t'])}: {m['body'].strip()}"


_OUTLINE = re.compile(r"^(?P<ind>\s*)(?P<m>(?:[IVXL]{1,5}|[A-Z]|\d{1,2}|[a-z]{1,2})[.)])\s+(?P<t>\S.*)$")


def _outline(lines: list[str]) -> None:
    """A plain-text outline ("I. PURPOSES", "   A. Member well-being. …", "      1. Rates. The Assistant shall …",
    "         a. …"), nested by indentation: a top level in capitals is a heading, the rest Markdown list items two
    spaces a level, their wrapped lines under them (Markdown would read deeply indented lines as code)."""
    marks = [(i, m) for i, x in enumerate(lines) if (m := _OUTLINE.match(x))]
    if len(marks) < 4 or len({len(m["ind"]) for _i, m in marks}) < 2:
        return
    widths = sorted({len(m["ind"]) for _i, m in marks})
    depth_of = {w: k for k, w in enumerate(widths)}
    at = {i: m for i, m in marks}
    cur = None                                       # (depth, content column in the new line)
    for i, line in enumerate(lines):
        m = at.get(i)
        if m:
            d = depth_of[len(m["ind"])]
            if d == 0 and not re.search(r"[a-z]", m["t"]):
                lines[i] = f"## {m['m']} {m['t']}"
                cur = None
                continue
            nxt = next((at[j] for j in range(i + 1, min(i + 4, len(lines))) if j in at), None)
            if nxt is not None and len(nxt["ind"]) > len(m["ind"]) and len(m["t"].split()) <= 8 and \
                    not m["t"].rstrip().endswith((".", ":", ";", ",")):
                lines[i] = "#" * min(6, d + 2) + f" {m['m']} {m['t']}"     # "A. Information to Be Provided"
                cur = None
                continue
            lead = "  " * (d - (1 if not re.search(r"[a-z]", at[marks[0][0]]["t"]) else 0))
            lead = lead if d else ""
            t = m["t"]
            run_in = re.match(r"([A-Z][^.]{1,60}?)\.\s+(?=[A-Z(\"“])", t)
            if run_in and len(run_in.group(1).split()) <= 6:
                t = f"**{run_in.group(1)}.** {t[run_in.end():]}"          # "1. Rates. The Assistant shall …"
            lines[i] = f"{lead}- {t}"
            cur = len(lead) + 2
            continue
        if cur is not None and line.strip() and line.startswith(" "):
            lines[i] = " " * cur + line.strip()          # a wrapped line of the item above
        elif cur is not None and line.strip():
            cur = None


_GHERKIN = re.compile(r"^\s*(?P<k>Given|When|Then|And|But)\s+(?P<t>\S.*)$")


def _gherkin(lines: list[str]) -> None:
    """Acceptance criteria in Given / When / Then: each "Then" (and the "And" / "But" after it) becomes a list item
    "When <condition>, <outcome> (<tag>)." on its own line; tags ("@P1") travel as the item's reason, the other
    lines of the scenario are left blank."""
    tag, cond, then = "", "", False
    for i, line in enumerate(lines):
        st = line.strip()
        if re.fullmatch(r"(?:@[\w-]+\s*)+", st):
            tag = " ".join(t.lstrip("@") for t in st.split())
            lines[i] = ""
            continue
        if re.match(r"(?:Scenario(?:\s+Outline)?|Background|Examples)\s*:", st):
            cond, then = "", False
            lines[i] = ""
            continue
        m = _GHERKIN.match(line)
        if not m:
            if not st:
                tag = tag if then is False else ""
                then = False
            continue
        k, t = m["k"], m["t"].strip().rstrip(".")
        if k == "When" or (k in ("And", "But") and not then and cond):
            cond = f"{cond} and {t}" if k != "When" and cond else f"when {t}"
            lines[i] = ""
        elif k == "Given" or (k in ("And", "But") and not then):
            lines[i] = ""
        else:
            then = True
            why = f" (tagged {tag})" if tag else ""
            lines[i] = f"- {cond[:1].upper() + cond[1:]}, {t}{why}." if cond else f"- {t[:1].upper() + t[1:]}{why}."


def _indented_prose(lines: list[str]) -> None:
    """Plain text indents paragraphs ("    (a) Nobody should miss out …"); Markdown would read four spaces as code.
    A block indented four or more spaces whose lines read as prose (letters, a sentence's end) is dedented."""
    n, i = len(lines), 0
    while i < n:
        if lines[i].startswith("    ") and lines[i].strip() and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < n and lines[j].strip() and lines[j].startswith("    "):
                j += 1
            block = lines[i:j]
            text = " ".join(x.strip() for x in block)
            if re.search(r"[a-z]{3,}\s+[a-z]{2,}\s+[a-z]{2,}", text) and re.search(r"[.!?:;)]$", text) and \
                    not re.search(r"[{};=<>]|^\s*[\w.-]+:\s*\S*$", text):
                cut = min(len(x) - len(x.lstrip()) for x in block)
                for k in range(i, j):
                    lines[k] = lines[k][cut:]
            i = j
            continue
        i += 1


def _plain_text(lines: list[str]) -> None:
    """A plain-text memo's conventions: a line in capitals between blank lines is a heading; an item in capitals
    over indented sub-items heads them; "* TERM. text" names its term in bold; "o" is a sub-bullet."""
    n = len(lines)
    heads = 0
    # a word in capitals that also runs on into lowercase words ("QUENBY returns to …") is a name or acronym
    keep = {w for line in lines for w in re.findall(r"\b([A-Z][A-Z0-9]+)\b(?=\s+[a-z])", line)}
    i = 0
    while i < n:
        line = lines[i]
        why = _LABEL_LINE.match(line)
        if why and lines[i - 1].strip() if i else False:
            lines[i] = f"{why['ind']}- Why: {why['rest']}"      # "  RATIONALE: …" under an item: its reason
            i += 1
            continue
        # a line of dashes above counts as a blank: a notice boxes its headings between rules
        blank_before = i == 0 or not lines[i - 1].strip() or bool(re.fullmatch(r"\s*[-=_*~]{3,}\s*", lines[i - 1]))
        nxt = lines[i + 1] if i + 1 < n else ""
        if blank_before and _CAPS_LINE.match(line.strip()) and not line.startswith((" ", "\t")) and \
                not re.match(r"^[A-Z]+:\s", line.strip()) and (not nxt.strip() or _CAPS_LINE.match(nxt.strip())
                                                               or re.match(r"\s*(?:[-*+•]|o|\d+[.)])\s", nxt)):
            heads += 1
            lines[i] = ("# " if heads == 1 else "## ") + _caps(line.strip().rstrip(":"), keep)
            i += 1
            continue
        rt = _CAPS_RUN_IN.match(line)
        if blank_before and rt and len(rt["t"].split()) <= 5 and (rt["rest"].strip() or re.search(r"[a-z]", nxt)):
            # a notice's "SAFETY FIRST." over "Water is fun. …": the capitals name the paragraph's term
            lines[i] = f"**{_caps(rt['t'].strip(), keep)}{rt['end']}**{rt['rest']}"
            i += 1
            continue
        m = _CAPS_ITEM.match(line)
        if m and not m["rest"].strip() and not m["end"] == ".":
            # "* GUEST INFORMATION" over indented "o QUENBY never …" items: a heading over them, its items dedented
            ind = len(m["ind"])
            j = i + 1
            while j < n and not lines[j].strip():
                j += 1
            sub = len(lines[j]) - len(lines[j].lstrip()) if j < n else 0
            if j < n and sub > ind:
                lines[i] = "### " + _caps(m["t"].strip(), keep)
                k = i + 1
                while k < n and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) >= sub):
                    if lines[k].strip():
                        lines[k] = lines[k][min(sub, len(lines[k]) - len(lines[k].lstrip())):]
                    k += 1
                i += 1
                continue
        if m and m["end"] and m["rest"].strip() and len(m["t"].split()) <= 8:
            # "* HONEST ADVICE. Guests ask …": the capitals name the item's term
            mark = "-" if m["m"] == "o" else m["m"]
            lines[i] = f"{m['ind']}{mark} **{_caps(m['t'].strip(), keep)}{m['end']}**{m['rest']}"
            i += 1
            continue
        me = _EMOJI_BULLET.match(line)
        if me and not _CAPS_LINE.match(line[me.end():].strip()):
            lines[i] = me["ind"] + "- " + line[me.end():]              # "🛑  Our promise: …": an emoji as the bullet
            i += 1
            continue
        mo = _O_BULLET.match(line)
        if mo and (i == 0 or not lines[i - 1].strip() or _O_BULLET.match(lines[i - 1]) or
                   re.match(r"\s*[-*+]\s", lines[i - 1]) or lines[i - 1].startswith("#") or lines[i - 1].startswith(mo["ind"] + " ")):
            lines[i] = mo["ind"] + "- " + line[mo.end():]
        i += 1


def _rst_like(lines: list[str]) -> bool:
    """Directives, or two or more titles underlined with a rule as long as the title (=, -, ~, ^)."""
    if any(_RST_DIRECTIVE.match(x) for x in lines):
        return True
    under = sum(1 for a, b in zip(lines, lines[1:]) if a.strip() and re.fullmatch(r"([=\-~^\"'`#*+])\1{2,}", b.strip())
                and len(b.strip()) == len(a.rstrip()))
    return under >= 2


def _definitions(lines: list[str]) -> None:
    """reStructuredText definition lists ("Volunteer time is scarce" over an indented paragraph or two): the
    term in bold over its definition, dedented (Markdown would read indented paragraphs as code)."""
    n = len(lines)
    i = 0
    while i < n - 1:
        term, nxt = lines[i], lines[i + 1]
        if term.strip() and not term.startswith((" ", "\t")) and nxt.startswith(("  ", "\t")) and nxt.strip() and \
                len(term.split()) <= 12 and not term.rstrip().endswith((".", ":", ",", ";")) and \
                not re.match(r"\s*(?:[-*+]|\d+[.)]|\.\.)\s", term) and (i == 0 or not lines[i - 1].strip()):
            ind = len(nxt) - len(nxt.lstrip())
            lines[i] = f"**{term.strip()}**"
            k = i + 1
            while k < n and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) >= ind):
                if lines[k].strip():
                    lines[k] = lines[k][ind:]
                k += 1
            i = k
            continue
        i += 1


def _rst(lines: list[str]) -> None:
    """reStructuredText directives: ``.. code-block:: yaml`` and its indented block become a fenced block;
    ``.. note::`` / ``.. warning::`` become a bold label over their text, dedented; other directives are dropped."""
    n = len(lines)
    i = 0
    while i < n:
        m = _RST_DIRECTIVE.match(lines[i])
        if not m:
            if re.match(r"^\s*\.\.\s+\S", lines[i]) and "::" not in lines[i]:
                lines[i] = ""                                  # an RST comment or link target
            i += 1
            continue
        ind = len(m["ind"])
        j = i + 1
        block = []
        while j < n and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > ind):
            block.append(j)
            j += 1
        while block and not lines[block[-1]].strip():
            block.pop()
        body = [k for k in block if lines[k].strip()]
        cut = min((len(lines[k]) - len(lines[k].lstrip()) for k in body), default=0)
        d = m["d"].lower()
        if d in _RST_CODE:
            # an indented code block: the directive's line left blank, its body indented four spaces
            lines[i] = ""
            for k in block:
                lines[k] = "    " + lines[k][cut:] if lines[k].strip() and not re.match(r"\s*:[\w-]+:", lines[k]) else ""
            i = j
            continue
        label = d.capitalize() if d in ("note", "warning", "tip", "important", "caution", "attention", "hint",
                                        "danger", "seealso", "admonition") else ""
        lines[i] = f"**{label}:** {m['arg'].strip()}".rstrip() if label else ""
        if label:
            for k in block:
                lines[k] = lines[k][cut:]
        i = j if label else i + 1


_ADOC_HEADING = re.compile(r"^(?P<eq>={1,6})\s+(?P<t>\S.*)$")
_ADOC_BLOCK = re.compile(r"^(?:-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,})\s*$")
_CHAT_LINE = re.compile(r"^(?P<ind>\s*)(?P<b>\*\*|__)?\[[^\]]{2,40}\]\s+(?P<who>@?[\w.'’-]+(?:\s+[\w.'’-]+){0,3})\s*:"
                        r"\s*(?(b)(?:\*\*|__))\s+(?P<t>\S.*)$")
_CHAT_ROLE = re.compile(r"@?(?:user|users|assistant|bot|customer|caller|client|ai|model|human)\b", re.I)
_CHAT_NOISE = re.compile(r"^\s*(?:reactions?\s*:|↳|\(?\d+\s+repl(?:y|ies)\)?|(?:edited|pinned by)\b)", re.I)


def _asciidoc(lines: list[str]) -> None:
    """AsciiDoc: "= Title" / "== Section" headings; "----" / "...." listing blocks as code; "====" / "****" block
    delimiters, "[NOTE]" / "[source,yaml]" block attributes and ":toc:" attribute lines dropped."""
    fence = False
    for i, line in enumerate(lines):
        st = line.strip()
        if re.fullmatch(r"-{4,}|\.{4,}", st):
            lines[i] = "```"
            fence = not fence
            continue
        if fence:
            continue
        m = _ADOC_HEADING.match(line)
        if m and not re.fullmatch(r"=+", m["t"].strip()):
            lines[i] = "#" * len(m["eq"]) + " " + m["t"].strip()
        elif _ADOC_BLOCK.match(st) or re.fullmatch(r"\[[\w,. =\"'#-]*\]", st) or re.fullmatch(r":[\w-]+:.*", st):
            label = re.fullmatch(r"\[(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]", st)
            lines[i] = f"**{label.group(1).capitalize()}:**" if label else ""


def _chat(lines: list[str]) -> None:
    """A chat export or a transcript ("[09:13] Nadia Karimi: Skerry links the primary source …", "**[00:00:40]
    HENRIK:** …"): what was said is kept, dedented;
    reaction counts and thread markers go."""
    for i, line in enumerate(lines):
        m = _CHAT_LINE.match(line)
        if m and not _CHAT_ROLE.match(m["who"]):     # "[10:02] User: …" stays a turn of a sample conversation
            lines[i] = m["t"]
        elif _CHAT_NOISE.match(line):
            lines[i] = ""


def _separators(lines: list[str]) -> None:
    """A rule of dashes or equals signs under a block of several lines ("Exported: …\\nRange: …\\n-----") separates;
    Markdown would make the whole block one heading. Front matter and code are left alone."""
    fence = False
    front = bool(lines) and lines[0].strip() == "---"
    for i, line in enumerate(lines):
        st = line.strip()
        if st.startswith(("```", "~~~")):
            fence = not fence
        if fence:
            continue
        if front and st == "---" and i:
            front = False
            continue
        if not front and i >= 2 and re.fullmatch(r"-{3,}|={3,}", st) and lines[i - 1].strip() and lines[i - 2].strip() \
                and not lines[i - 1].lstrip().startswith(("|", "-", "*", "#")):
            lines[i] = ""


def _lettered_items(lines: list[str]) -> None:
    """"Our assistant will:" followed by paragraphs "(a) tell you …", "(b) label …": the lettered paragraphs are
    the items of a list under that lead-in."""
    lead = False
    fence = False
    for i, line in enumerate(lines):
        st = line.strip()
        if st.startswith(("```", "~~~")):
            fence = not fence
        if fence or not st:
            continue
        if re.match(r"\(?[a-z]{1,3}\)\s+(?!\*\*|__)\S", line) and lead:      # not "(a) **Safety.** …": a definition
            lines[i] = "- " + line
            continue
        if re.match(r"\s", line) and lead:
            continue                            # a wrapped line of the item above
        lead = st.endswith(":") and not st.startswith(("#", "-", "*", "|"))


_TOGGLE_GLYPH = re.compile(r"^[▸▶►▹▷▾▼›»]\s*")
_GLYPH_BULLET = re.compile(r"^(?P<ind>\s*)[•◦▪‣∙]\s+(?=\S)")
_CODE_LINE = re.compile(r"[{}]|;\s*$|=>|==|^\s*[\w.-]+:\s*\S*$|^\s*(?:def|import|from|return|function|var|const|let|class)\s|"
                        r"^\s*[$>#]\s|\w\([^)]*\)\s*$")

_WRAPPED_END = r"\b(?:a|an|the|to|of|and|or|but|in|on|at|by|for|with|from|is|are|was|has|have|that|which|who|its|their|" \
               r"your|our|not|no|if|when|as|than)$"


def _bare_outline(lines: list[str]) -> None:
    """A tree written by indentation alone, with no bullets or numbers (a mind map or an outliner exported as
    text: "Halden - …" over "\tValues" over "\t\tSafety of life before supply" over "\t\t\tA fallen line …").
    Markdown would read the deeper lines as code. A line with deeper lines under it is a heading one level under
    its parent's; a line with none is a list item of the heading above it. Read only when the file has no
    Markdown headings, most of its lines are indented, at least three depths are used, and the lines are short
    (nodes, not wrapped paragraphs)."""
    rows = [(i, x) for i, x in enumerate(lines) if x.strip()]
    if len(rows) < 10 or any(re.match(r"#{1,6}\s", x) for _i, x in rows):
        return
    def width(x: str) -> int:
        ind = x[: len(x) - len(x.lstrip())]
        return ind.count("\t") * 4 + ind.count(" ")
    widths = [width(x) for _i, x in rows]
    marked = sum(1 for _i, x in rows if re.match(r"\s*(?:[-*+•▸]|\d+[.)]|[A-Za-z][.)])\s", x))
    # a line that goes on from the one above (same indent, lower-case start) is a wrapped paragraph, not a node
    wrapped = sum(1 for k in range(1, len(rows)) if widths[k] == widths[k - 1] and re.match(r"\s*[a-z(]", rows[k][1]))
    if sum(1 for w in widths if w) * 10 < len(rows) * 6 or len(set(widths)) < 3 or marked * 20 > len(rows) or \
            wrapped * 10 > len(rows) or _rst_like(lines) or \
            sum(1 for _i, x in rows if len(x.split()) > 40) * 10 > len(rows):
        return
    depth_of = {w: k for k, w in enumerate(sorted(set(widths)))}
    for k, ((i, x), w) in enumerate(zip(rows, widths)):
        d = depth_of[w]
        deeper = k + 1 < len(rows) and widths[k + 1] > w
        t = x.strip()
        lines[i] = "#" * min(6, d + 1) + " " + t if deeper or d == 0 else "- " + t


def _hanging_blocks(lines: list[str]) -> None:
    """A short line at the margin with its body hanging under it, indented ("▸ Privacy" over "    Nettle never
    confirms …": toggle blocks as page tools export them, or a plain outline). Markdown would run the two into one
    paragraph, or read the body as code. When at least two such blocks read as prose, each line is a heading one
    level under the Markdown heading above it, and its body is dedented; "•" bullets become Markdown's "-"."""
    heads: list[tuple[int, int, int, str]] = []
    fence, level, i, n = False, 2, 0, len(lines)
    while i < n:
        line, st = lines[i], lines[i].strip()
        if st.startswith(("```", "~~~")):
            fence = not fence
        h = re.match(r"(#{1,6})\s", line)
        if fence or h or not st or line[0].isspace():
            if h and not fence:
                level = min(6, len(h.group(1)) + 1)
            i += 1
            continue
        t = _TOGGLE_GLYPH.sub("", st)
        j = i + 1
        while j < n and (re.match(r"[ \t]{2,}\S", lines[j]) or
                         not lines[j].strip() and j + 1 < n and re.match(r"[ \t]{2,}\S", lines[j + 1])):
            j += 1
        body = [x for x in lines[i + 1:j] if x.strip()]
        if body and len(t.split()) <= 12 and re.search(r"[A-Za-z]{2}", t) and \
                not t.endswith((".", ";", ",", "!", "?", "{", "(", "[", ":")) and \
                not re.search(r"[.:;!?]\s+\S", t) and not re.search(_WRAPPED_END, t, re.I) and \
                not re.match(r"\s*[a-z(]", body[0]) and not re.match(r"(?:[-*+|>=_~]|\d+[.)])(?:\s|$)", t) and \
                any(re.search(r"[a-z]{3,}\s+[a-z]{2,}\s+[a-z]{2,}", x) for x in body) and \
                sum(1 for x in body if _CODE_LINE.search(x)) * 5 < len(body):
            heads.append((i, j, level, t))
            i = j
            continue
        i += 1
    if len(heads) < 2:
        return
    for i, j, level, t in heads:
        lines[i] = "#" * level + " " + t
        cut = min(len(x) - len(x.lstrip()) for x in lines[i + 1:j] if x.strip())
        for k in range(i + 1, j):
            x = lines[k][cut:] if lines[k].strip() else ""
            lines[k] = _GLYPH_BULLET.sub(lambda m: m["ind"] + "- ", x)


_ELLIPSIS_END = re.compile(r"\s*(?:\.{3}|…)\s*$")
_ELLIPSIS_START = re.compile(r"^\s*(?:\.{3}|…)\s*(?=[a-z])")


def _ellipsis_items(lines: list[str]) -> None:
    """A notice's "OUR ASSISTANT, MOSS, WILL ALWAYS ..." over paragraphs that go on "... tell you to find a
    lifeguard": the line is a lead-in ("Our assistant, Moss, will always:") and each paragraph an item of a list
    under it, its wrapped lines indented under the item."""
    text = "\n".join(lines)
    names = set(re.findall(r"(?<=[a-z,;] )([A-Z][a-z]{2,})\b", text))        # "Say hello to Moss."
    n = len(lines)

    def nonblank(k: int) -> int | None:              # the next line with words (not a rule of dashes)
        while k < n and (not lines[k].strip() or re.fullmatch(r"\s*[-=_*~]{3,}\s*", lines[k])):
            k += 1
        return k if k < n else None

    for i, line in enumerate(lines):
        if not _ELLIPSIS_END.search(line) or _ELLIPSIS_START.match(line) or not re.search(r"[A-Za-z]{3}", line):
            continue
        j = nonblank(i + 1)
        if j is None or not _ELLIPSIS_START.match(lines[j]):
            continue
        lead = _ELLIPSIS_END.sub("", line).strip()
        if not re.search(r"[a-z]", lead):
            lead = " ".join(w.title() if re.sub(r"\W", "", w).title() in names else w
                            for w in _caps(lead).split())
        lines[i] = lead + ":"
        k = j
        while k < n:
            m = _ELLIPSIS_START.match(lines[k])
            if m:
                lines[k] = "- " + lines[k][m.end():]
            elif lines[k].strip():
                lines[k] = "  " + lines[k].strip()
            else:
                nxt = nonblank(k)
                if nxt is None or not _ELLIPSIS_START.match(lines[nxt]):
                    break
            k += 1


def as_markdown(text: str) -> str:
    """``text`` with XML-style sections, plain-text memo conventions and reStructuredText directives written as
    Markdown; the same number of lines, each where it was."""
    lines = text.split("\n")
    if sum(1 for x in lines[:400] if _CHAT_LINE.match(x)) >= 5:
        _chat(lines)
    if sum(1 for x in lines if _ADOC_HEADING.match(x)) >= 2 and not re.search(r"^#{1,6}\s", text, re.M):
        _asciidoc(lines)
    _xml_sections(lines)
    _ellipsis_items(lines)
    if sum(1 for x in lines if re.match(r"\s*Scenario(?:\s+Outline)?\s*:", x)) >= 2:
        _gherkin(lines)
    _separators(lines)
    _bare_outline(lines)
    if not _rst_like(lines):             # reStructuredText's definition lists are read below
        _hanging_blocks(lines)
    if not re.search(r"^#{1,6}\s", text, re.M) and not any(_ADOC_HEADING.match(x) for x in text.split("\n")[:400]):
        _outline(lines)
        _plain_text(lines)
        _indented_prose(lines)
    _lettered_items(lines)
    if _rst_like(lines):
        _rst(lines)
        _definitions(lines)
    out = "\n".join(lines)
    return out
