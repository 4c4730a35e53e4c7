"""The general reader: decide values, rules, polarity and authority from a document tree.

What becomes a **rule** (a behaviour asked of the model):

* a sentence with deontic force whose subject is the model ("X should …", "we want X
  to …", "X never …") or an imperative ("Never …", "Do not …");
* a heading that is a command ("Respect the user's time", "Do not lie"): its prose is
  the rationale, its bullets sub-points, its examples ``examples``;
* the items of a list introduced as behaviours ("X should by default:", "Core
  behaviours include:") or as things to avoid ("would be unhappy if X:", "Avoid:"),
  which gives ``do_not`` rules; items that are commands or model-subject sentences in
  any list. Every rule is a self-contained sentence: list items are completed with
  their lead-in, fragments ("This is especially true …") are rationale, not rules.

What never does: code, HTML, tables, footnotes, admonitions, block quotes, and
examples (dialogue turns, GOOD/BAD/Example labels, Example sections), which are kept
as ``examples`` on the rule they follow, or listed as skipped in ``Spec.notes``.

**Values** are the sections that hold rules (nested sections give nested values), and
the items of a list of named values ("should be: 1. **Careful**: …"), merged with the
section that explains each. A rule belongs to the value of its enclosing section.
**Authority** comes from heading attributes (``{#id authority=developer}``), lines such
as "Authority: developer", ranked by the spec's own statement of the levels' order,
and from prose precedence ("in the order listed", "lower-numbered … take priority").
"""

from __future__ import annotations

import re

from .build import Build, clean_heading
from .model import Example, Rule, Span, SubPoint
from .text import (EXAMPLE_HEADING, GENERIC_ASSISTANT, IMPERATIVE_START, deontic, example_label, finish, first_person_habit,
                   first_person_rule, is_dialogue,
                   could_be_imperative, is_imperative, lcfirst, lead_clause, lead_in_polarity, question_rule, sentences, yes_no_rule, slugify,
                   model_should, second_person_rule, split_reason, subject_pattern, to_base_clause, ucfirst, verb_base)
from .tree import Node, Section, walk_nodes

_AUTH_KEYS = ("authority", "level", "priority")
_AUTH_LINE = re.compile(r"^\s*(?:\*\*|_)?(authority|level|priority)(?:\s+level)?(?:\*\*|_)?\s*:\s*(?:\*\*|_|`)?"
                        r"([\w -]{1,30}?)(?:\*\*|_|`)?\s*\.?$", re.I)
_CLAUSE = re.compile(r"^\s*(?:§\s*)?(\d+(?:\.\d+)+|\d+\.(?=\s)|\([a-z]{1,3}\)|[a-z]\)|\([ivx]+\)|"
                     r"(?:Article|Art\.|Chapter|Part|Section|Clause|Rule)\s+(?:\d+|[IVX]+)(?:\.\d+)*[.:]?(?=\s))\s+")
# a statute's clause number opening a sentence: "Art. 3(2) ...", "Article 4.1 ...", "§ 12(1)(b) ...", "Rule 7 ..."
_STATUTE_CLAUSE = re.compile(r"^\s*((?:Art(?:icle)?\.?|Section|Sec\.|§|Clause|Rule|Reg(?:ulation)?\.?|Para(?:graph)?\.?)"
                             r"\s*\d+[A-Za-z]?(?:\.\d+)*(?:\(\w{1,3}\))*|\d+(?:\(\w{1,3}\))+|\d+(?:\.\d+)+|\(\d{1,2}\))[.:]?\s+"
                             r"(?=[A-Z{])")
_CONNECTIVE = re.compile(r"^(?:(?:That|This)['’]s\s+why|(?:That|This|Which)\s+is\s+why|This\s+means(?:\s+that)?|In\s+other\s+words|That\s+is|In\s+practice|In\s+short|"
                         r"Also|And|But|So|Thus|Therefore|Hence|Similarly|Likewise|Instead)\s*,?\s+", re.I)
_DANGLING = re.compile(r"^(?:This|That|These|Those|It|They|Such|Here|There)\b", re.I)
# a paragraph led by a bold polarity word ("**Do** ask the filer …", "**Don't** fill in …"): every sentence of it
# that is a command is a rule of that polarity
_RUN_IN_POLARITY = re.compile(r"\s*(?:\*\*|__)\s*(do|always|don['’]t|do\s+not|never|avoid)\s*[:.]?\s*(?:\*\*|__)\s*", re.I)
# "When a question is beyond you, point the filer to …": the command after a leading condition
_LEAD_CONDITION = re.compile(r"((?:when|whenever|if|before|after|once|unless|where|while)\b[^,]{3,160}),\s+", re.I)
# "What we care about most is that …", "The second thing we care about is dignity.", "One more thing that matters to
# us is that …", "What matters to us is that …", "We also believe that your financial life belongs to you."
_DECLARED = re.compile(
    r"^\W*(?:[^,.;:]{3,60},\s+)?(?:(?:and|but|so|also)\s+)?(?:"
    r"(?:what|the\s+(?:\w+\s+)?thing|(?:the\s+)?(?:first|second|third|fourth|fifth|next|last|final|other|one\s+more)\s+thing|"
    r"another\s+thing)\s+(?:that\s+)?(?:(?:we|I)\s+(?:\w+\s+)?(?:care\s+about|value|believe\s+in)|matters)"
    r"(?:\s+(?:most|above\s+all))?(?:\s+to\s+(?:us|me))?(?:\s+(?:most|above\s+all))?(?:\s+here)?\s*,?\s+(?:is|are)\s+"
    r"|(?:we|I)\s+(?:also\s+)?(?:believe|care)\s+(?=that\s|about\s)"
    r")(?P<v>.{3,300})$", re.I)
_NUMBER = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_ANNOUNCED = re.compile(r"\b(?:follows?|rests?|stands?|builds?|depends?|is\s+(?:built|based|grounded))\s+(?:on|from|upon)\s+"
                        r"(?:these\s+|the\s+following\s+)?(two|three|four|five|six|seven)\s+(?:\w+\s+)?(?:commitments|principles|"
                        r"values|priorities|ideas|tenets|beliefs|things)\s*[.:]?\s*$", re.I)
_ORDINAL_VALUE = re.compile(
    r"\W*(?:the|our)\s+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|next|last|final)\s+"
    r"(?:(?:thing|value|principle|commitment|priority|concern|idea)s?(?:\s+(?:(?:that|which)\s+)?"
    r"(?:we|I|it|they)\s+(?:\w+\s+){0,3}?|,[^,.]{3,80},\s+|\s+))?(?:is|are)\s+(?:that\s+)?(?P<v>[^.;:!?]{3,90}?)\s*[.;:!,]", re.I)
_RATIONALE_LABEL = re.compile(r"^\W*(?:rationale|why|reasons?|the\s+reason|because|commentary|explanation|"
                              r"(?:speaker|presenter)(?:['’]s)?\s+notes?)\W*:\s*|"
                              r"^\W*why\s+this\s+matters\W*[:.]\s*", re.I)
# a reason paragraph that goes through the rules above it one by one: a slide's notes, a charter's "Why this matters."
_PER_RULE = re.compile(r"^\W*(?:(?:speaker|presenter)(?:['’]s)?\s+notes?|why\s+this\s+matters)\W*[:.]", re.I)
# a terse bullet that still says what the model does: "X → do Y", "No back-door shortcuts, ever", "Only on a yes"
_ATTITUDE = re.compile(r"(?:not\s+)?(?:care|value|want|believe|like|love|know|understand|think|feel|hope|wish|prefer|"
                       r"aim|strive|exist|see|hold)\b", re.I)
_INTRO_HEADING = re.compile(r"(?:about|overview|introduction|purpose|background|scope|context|summary|intended\s+uses?|"
                            r"who\s+(?:the\s+)?\S+\s+is|what\s+(?:the\s+)?\S+\s+is(?:\s+for)?|meet\s+\S+)\b", re.I)
_LAST_CONDITION = re.compile(r"(?:^|[.;]\s+|\s\d+(?:\.\d+)+\s+)((?:if|when|whenever|where|once|while|before|after)\b"
                             r"[^:.;]{3,240}):\s*$", re.I)
_FOR_OTHERS = re.compile(r"\b(?:notes?|guidance|instructions|tips|checklist|rules)\s+for\s+(?:the\s+)?(?:staff|agents|employees|"
                         r"users|members|reviewers|testers|operators|developers|maintainers|contributors|volunteers|parents|"
                         r"teachers|customers|clinicians|nurses|editors|humans|people)\b|"
                         r"\b(?:your|user|users['’]?|member|members['’]?|staff|customer|customers['’]?|learner|learners['’]?)\s+"
                         r"(?:obligations|responsibilities|duties)\b|\bwhat\s+we\s+(?:expect|ask)\s+of\s+(?:you|staff|users)\b|"
                         r"\b(?:team|staff|admins?|managers?|engineers?|humans?|people|internal|maintainers?|ops)\s+only\b|"
                         r"^(?:a\s+(?:word|note)\s+)?for\s+(?:our\s+|the\s+)?(?:staff|visitors|guests|users|members|parents|"
                         r"customers|colleagues|reviewers|volunteers|managers|admins)\W*$", re.I)
# a heading that opens with, or is tagged with, a status that takes it out of force ("Alternatives considered",
# "KW-107 Priority on request · Won't do", "Rejected: …"); not "What our assistant will not do"
_DROPPED_HEADING = re.compile(r"(?:^|[·|—–:(\[]\s*)(?:won['’]t\s+do|will\s+not\s+do|not\s+doing|out\s+of\s+scope|de-?scoped|"
                              r"rejected|withdrawn|superseded|retired|deprecated|rolled\s+back|alternatives(?:\s+considered)?|"
                              r"parked|not\s+adopted|(?:discussed|considered|proposed)\s+but\s+not\b)\b|"
                              r"\bnot\s+taken\s+forward\b", re.I)
_OUT_OF_FORCE = re.compile(r"\b(?:retired|withdrawn|rejected|superseded|deprecated|draft|proposed|inactive|disabled|"
                           r"switched\s+off|not\s+approved|paused)\b", re.I)
_RATIONALE_HEADING = re.compile(r"\b(?:rationale|reasons?|reasoning|why|justification|explanations?)\b", re.I)
_WHAT_WHO_DOES = re.compile(r"\W*what\s+(?:the\s+|our\s+|a\s+|an\s+)?(?P<who>[\w -]{2,40}?)\s+(?:does|do|should\s+do|must\s+do)\b",
                            re.I)
_RUN_IN_LABEL = re.compile(r"^(?:[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2})\s*:\s+(?=[A-Z{])")
_ARROW = re.compile(r"\s*(?:→|->|⇒)\s*")
_BEHAVIOUR_FRAGMENT = re.compile(r"→|->|⇒|^(?:no|never|not|only|always)\b", re.I)
_NOTES_LABEL = re.compile(r"^\W*(?:speaker|presenter)(?:['’]s)?\s+notes?\W*:", re.I)
# "**Soil health**: the plots …", "**Candour.** Members …": a value named in bold inside a paragraph
_INLINE_TERM = re.compile(r"(?:\*\*|__)(?P<t>[^*_\n]{2,50}?)[:.]?(?:\*\*|__)\s*[:.—–-]?\s*(?=[A-Za-z(])")
_INLINE_TERM_COMMA = re.compile(r"(?:\*\*|__)(?P<t>[^*_\n]{2,60}?)[:.]?(?:\*\*|__)\s*[:.,—–-]?\s*(?=[A-Za-z(])")
_CARES_TAIL = re.compile(r"\s*(?:(?:and|but)\s+)?(?:I|we)\s+(?:also\s+)?cares?\s+about\s*$", re.I)
_CARES = re.compile(r"\b(?:I|we)\s+(?:care|cares)\s+about\b|\bthings\s+(?:I|we)\s+care\s+about\b", re.I)
# "First, household safety: nobody should be hurt … Second, honesty about savings: …" inside one paragraph
_ORDINAL_RUN_IN = re.compile(r"(?:(?<=^)|(?<=[.;!?]\s))(?:first|second|third|fourth|fifth|sixth|seventh|next|finally|"
                             r"last(?:ly)?|and\s+last(?:ly)?),\s+(?P<t>[^:.;,]{3,60}?)\s*:\s+(?=[A-Za-z])", re.I)
# a list item's reason at its end: a parenthesis, or a clause after a dash
_ITEM_REASON = re.compile(r"\s+\((?P<r>[^()]{3,200})\)\s*\.?\s*$|\s+[—–]\s+(?P<r2>[^—–]{8,300}?)\s*\.?\s*$")
# a parenthesis or dash clause that gives an example or an abbreviation, not a reason
_NOT_A_REASON = re.compile(r"(?i:e\.g\.|i\.e\.|(?:for\s+example|for\s+instance|such\s+as|see|including)\b)|[A-Z0-9]{2,}s?$")
# a candidate answer marked good or bad ("✅ Good:", "❌ Bad:", "**Bad response:**")
_MARKED_EXAMPLE = re.compile(r"(?:^|\n)\W{0,4}(?:[✅❌✔✗✘]\s*)?(?:good|bad|better|worse|compliant|violation)"
                             r"(?:\s+(?:response|answer|reply))?\W{0,3}:", re.I)
_RATIONALE = re.compile(r"^(?:This|That|These|Because|Since|Otherwise|Doing\s+so|The\s+reason)\b", re.I)
_VALUE_LEAD = re.compile(r"\b(?:values?|principles?|properties|priorities|commitments|virtues|ideals|pillars|"
                         r"tenets|purposes|goals|objectives)\b", re.I)
_SITUATION = re.compile(r"(?:when|whenever|after|before|at|if|once|during|while|on|where)\b[^:]{3,240}:\s*$", re.I)
_STANDS_FOR = re.compile(r"\bstands?\s+for\b|\bwhat\s+(?:\w+\s+)?(?:matters|cares?\s+about|believes?|protects?|values?)\b|"
                         r"\bwe\s+believe\b", re.I)
_TO_BE = re.compile(r"\b(?:should|must|to)\s+be\s*:?\s*$", re.I)
_ORDER = re.compile(r"\b(?:in\s+the\s+order\s+(?:in\s+which\s+)?(?:they\s+are\s+|they['’]re\s+)?listed|"
                    r"in\s+(?:that|this|the\s+listed|the\s+same)\s+order|"
                    r"in\s+order\s+of\s+(?:priority|precedence|importance)|in\s+priority\s+order|"
                    r"(?:lower|earlier|smaller)-numbered\s+\w+\s+[^.]*\b"
                    r"(?:priority|precedence|prevail|win|override|authority)|"
                    r"\bfirst\b[^.]{0,80}\bsecond\b[^.]{0,80}\bthird\b)", re.I)
_SHOULD = re.compile(r"^(?:\{model_name\}|[\w-]+) should (?:not )?")
_GROUP_HEADING = re.compile(r"\b(?:avoid|avoids|don['’]?ts?|do\s+nots?|never|should\s+not|must\s+not|"
                            r"things\s+to|behaviou?rs?|rules|dos|requirements|prohibitions|red\s+lines|duties|"
                            r"obligations)\b|^(?:procedures?|policy\s+statement|exceptions?|process|steps|implementation|"
                            r"details|in\s+practice)\W*$", re.I)
# a heading that is only a polarity over the list below it: "Do", "Don'ts", "Never", "Things to avoid"
_POLARITY_HEADING = re.compile(r"\W*(?:(?:do|dos|do['’]s|always|must|should|things\s+to\s+do|yes|"
                               r"what\s+(?:it|this|that)\s+looks\s+like(?:\s+in\s+practice)?)|"
                               r"(?P<neg>don['’]?t|don['’]?ts|do\s+not|never|avoid|must\s+not|should\s+not|shouldn['’]t|"
                               r"things\s+to\s+avoid|not\s+allowed|prohibited|no|"
                               r"what\s+(?:it|this|that)\s+(?:doesn['’]t|does\s+not|should\s+not|shouldn['’]t)\s+look\s+like))\W*", re.I)
# a table's columns: what the model does, and why
_BEHAVIOUR_COLUMN = re.compile(r"(?:(?:expected|desired|required|correct|intended|agreed|assistant(?:['’]s)?|bot(?:['’]s)?)\s+)?"
                               r"(?:behaviou?rs?|rules?|response|action|actions|practice|conduct)|do|does|commitments?|policy|"
                               r"what (?:it|the \w+|\{model_name\}|\w+) (?:does|should do|will do|must do|never does)",
                               re.I)
# a changelog's release ("## v3.2 — 2026-09-14", "## [1.4.0]") and its parts ("### Added"): they group rules by
# when they changed, they are no values
_RELEASE_HEADING = re.compile(r"\s*(?:(?:version|release)\s+)?\[?v?\d+(?:\.\d+)+\]?(?:\W|$)|"
                              r"\s*(?:added|changed|removed|fixed|deprecated|security|improvements?|new)\s*$", re.I)
# "(a) **Equal access.** Every family is …": a lettered value defined in a paragraph of its own
_LETTERED_VALUE = re.compile(r"\s*\((?P<k>[a-z])\)\s*(?:\*\*|__)(?P<name>[^*_\n]{2,80}?)(?:\*\*|__)\s*(?P<desc>\S.*)$", re.S)
# the parts of a decision record (an ADR): which hold its rules, which their reason, which only background
_RECORD_RULES = re.compile(r"(?:the\s+)?(?:decision|decisions|outcome|resolution|what\s+we\s+decided)", re.I)
_RECORD_REASON = re.compile(r"(?:consequences?|rationale|reasons?|reasoning|why|implications|justification)", re.I)
_RECORD_PART = re.compile(_RECORD_RULES.pattern + "|" + _RECORD_REASON.pattern +
                          r"|(?:context|background|problem|status|alternatives(?:\s+considered)?|options(?:\s+considered)?|"
                          r"notes?|discussion|references|links|history|date|deciders|participants)", re.I)
_STATUS = re.compile(r"\W*status\W*:", re.I)
_RETIRED = re.compile(r"\b(?:superseded|deprecated|rejected|withdrawn|retired|replaced|obsolete|revoked)\b", re.I)
_VALUE_COLUMN = re.compile(r"(?:our\s+|core\s+)?(?:values?|principles?|commitments?|priorities|virtues|ideals|"
                           r"tenets|pillars)", re.I)
_REASON_COLUMN = re.compile(r"why|reasons?|rationale|because|values?|the why|purpose|justification|grounds|"
                            r"why it matters|the reason", re.I)
_OPEN_ENDS = {"to", "be", "is", "are", "include", "includes", "following", "follows", "default", "never", "not", "always",
              "should", "must", "will", "can", "when", "if", "of", "for", "with", "like", "that", "by", "as", "these",
              "this", "order", "example", "instance"}
_LY = r"(?!(?:comply|apply|reply|supply|rely|multiply|imply)\b)\w+ly"       # adverbs, not "comply"
_CORE = re.compile(r"\b(?:should|must|shall|ought\s+to|needs?\s+to|has\s+to|(?:want|like|expect)\s+\S+\s+to)\s+"
                   r"(?:(?:not|never|always|also|generally|still|by\s+default|try\s+to|" + _LY + r")\s+)*(.+)", re.I)
_NEG_CORE = re.compile(r"\b(?:(?:should|must|shall|will|would|may)\s+(?:not|never)|shouldn['’]t|mustn['’]t|won['’]t|"
                       r"(?:do\s+not|don['’]t|would\s+not|wouldn['’]t)\s+want\s+\S+\s+to|never|should\s+avoid|"
                       r"must\s+avoid)\s+(?:(?:also|generally|still|ever|" + _LY + r")\s+)*(.+)", re.I)
_STOP = {"being", "the", "a", "an", "of", "and", "with", "to", "in", "on", "for", "our", "its", "their", "is", "be"}


class _Raw:
    """A rule being built and the section whose value it belongs to."""

    __slots__ = ("rule", "owner", "auth")

    def __init__(self, rule: Rule, owner: Section, auth: str | None):
        self.rule, self.owner, self.auth = rule, owner, auth


class GeneralReader:
    def __init__(self, root: Section, b: Build):
        self.root, self.b = root, b
        self.raws: list[_Raw] = []
        self.prose: dict[int, list[str]] = {}             # id(section) → non-rule prose sentences
        self.listed: list[tuple[str, str, Node, Section]] = []   # (name, description, item, section)
        self.list_ordered = False
        self.title_sec = self._title_section()
        self._sub_target: Rule | None = None
        self._lead_label: str | None = None
        self.read_secs: list[Section] = []     # sections read as prose (not rules or examples)
        self._cur_sec: Section | None = None     # the section whose body is being read
        self._prev_para: str | None = None       # the paragraph just before the node being read

    # ----------------------------------------------------------------- structure
    def _title_section(self) -> Section | None:
        tops = self.root.children
        if not tops or any(n.kind == "para" for n in self.root.body):
            return None
        first = tops[0]
        if len(tops) == 1 or not any(n.kind in ("para", "list") for n in first.body) and not first.children:
            return first
        return None

    def _is_doc(self, s: Section) -> bool:
        return s is self.root or s is self.title_sec

    def _auth_of(self, s: Section | None) -> str | None:
        while s is not None:
            for k in _AUTH_KEYS:
                if k in s.attrs:
                    return s.attrs[k].strip().lower()
            s = s.parent
        return None

    # ----------------------------------------------------------------- rules
    def _new_rule(self, text: str, polarity: str, owner: Section, start: int, end: int, *, label=None,
                  anchor=None, rationale="", auth=None, key: str | None = None) -> Rule:
        src = key or text
        m = _NEG_CORE.search(src) if polarity == "do_not" else None
        if m:
            lead_word = re.search(r"\b(avoid|refrain|refuse)\b", m.group(0)[: m.start(1) - m.start(0)])
            short = (lead_word.group(1) + "-" if lead_word else
                     "" if re.match(r"(?:avoid|refrain|refuse)", m.group(1)) else "not-") + m.group(1)
        else:
            m = _CORE.search(src)
            short = m.group(1) if m else _SHOULD.sub("", src)
        base = anchor or (re.sub(r"\s+", "", label) if label else None) or "r-" + slugify(short, 40)
        r = Rule(id=self.b.rule_id(base), label=label, text=text, polarity=polarity, rationale=rationale,
                 section=clean_heading(owner.title) if not self._is_doc(owner) else None,
                 lines=Span(start=start, end=max(start, end)))
        self.raws.append(_Raw(r, owner, auth or self._auth_of(owner)))
        return r

    def _compose(self, first: str, pol: str | None, clause: str | None) -> tuple[str, str] | None:
        """A list item completed into a sentence about the model, and its polarity; None
        when the item is not a behaviour (no verb to complete)."""
        subj = self.b.subject
        first = re.sub(r"^(?:\(?[a-z]{1,3}\)|\(?\d+[.)])\s+", "", first)
        if self.b.second_person and not clause:
            # "- You will never tell …", "- Before the passenger accepts, tell them …": an item said to the model
            said = second_person_rule(first, subj)
            if said:
                return said
        own = deontic(first, self.b.model_name)
        if own and not IMPERATIVE_START.match(first) and (
                re.match(subject_pattern(self.b.model_name) + r"(?!\w)", first, re.I) or "," in first[:120]):
            return finish(first), own
        if self.b.model_name and not own:
            # "Harbor asks before reading records aloud": the item names the model and describes its habit
            first = re.sub(r"^" + re.escape(self.b.model_name) + r"\s+(?:now\s+)?(?=[a-z])", "", first)
        base, neg = to_base_clause(first)
        if base is None:
            return None
        if clause and pol and self.b.model_name and re.match(re.escape(self.b.model_name) + r"\s+[a-z]", first):
            # "**What it doesn't look like**" over "- Cuspin quoting an exact price …": the model's habit or a
            # gerund, in the heading's polarity
            base, neg = to_base_clause(first[len(self.b.model_name):].strip())
            if base is None:
                return None
            no = (pol == "do_not") != neg
            return finish(f"{subj} should {'not ' if no else ''}{base}"), "do_not" if no else "do"
        if clause and pol:
            lowered = lcfirst(re.sub(r"^\(?[a-z]{1,3}\)\s+", "", first))
            if re.match(r"(?:our|the|a|an|staff|we|they|[A-Z][a-z]+s)\b", first) and to_base_clause(first)[0] is None:
                return None                # "- Our dentists give every patient a plan": not the model's behaviour
            if pol == "do" and re.match(r"not\b|never\b", lowered):
                return finish(f"{clause} {lowered}"), "do_not"
            if pol == "do_not":       # "## Never" over "- Never guess at a deadline": the heading already negates
                lowered = re.sub(r"^(?:not|never|do\s+not|don[’']t)\s+", "", lowered, flags=re.I)
            return finish(f"{clause} {lowered}"), pol
        if pol == "do_not":
            return (finish(f"{subj} should {base}"), "do") if neg else (finish(f"{subj} should not {base}"), "do_not")
        if neg:
            return finish(f"{subj} should not {base}"), "do_not"
        return finish(f"{subj} should {base}"), "do_not" if re.match(r"(?:avoid|refrain|refuse)\b", base) else "do"

    def _sentence_rule(self, s: str) -> tuple[str, str] | None:
        """(text, polarity) when a prose sentence is a self-contained rule."""
        label = _RUN_IN_LABEL.match(s)
        if label and not example_label(s)[0]:
            s = s[label.end():]            # minutes' "RESOLVED: Sorrel will …", a memo's "Policy: …"
        if self._for_others() and not re.search(r"(?:^|,\s+)" + subject_pattern(self.b.model_name) +
                                                r"\s+(?:\w+ly\s+)?(?:should|must|shall|will|won['’]t|never|does\s+not|"
                                                r"doesn['’]t|may\s+not)\b", s, re.I):
            return None                    # "## Notes for agents": "Read every draft …" is asked of people
        if self.b.second_person and len(s.split()) >= 4:
            t = _CONNECTIVE.sub("", s).strip()
            asked = re.match(r"(?:(?:so|and|but|also|finally),?\s+)?(?:please\s+|we\s+(?:would\s+)?ask(?:,\s*too,)?\s+that\s+you\s+)",
                             t, re.I)
            if asked:                      # a letter's "So please never ask …", "We would ask that you not attach …"
                rest = t[asked.end():]
                rest = re.sub(r"^not\s+", "never ", rest, flags=re.I)
                t = ucfirst(rest)
            got = second_person_rule(t, self.b.subject)
            if got:
                return got
        ensured = self._ensured(s)
        if ensured:
            return ensured
        pol = deontic(s, self.b.model_name)
        if pol == "do_not" and self._introducing() and re.search(r"\b(?:does\s+not|doesn['’]t)\b", s) and \
                not re.search(r"\b(?:never|must|should|shall|will\s+not|won['’]t)\b", s, re.I):
            return None                    # "About Halden": "It does not replace a Tutor" says what it is, not a rule
        if not pol and self.b.first_person:
            return first_person_rule(_CONNECTIVE.sub("", s).strip(), self.b.subject)
        if not pol and self.b.descriptive and not self._introducing():
            t = _CONNECTIVE.sub("", s).strip()
            got = self._will(t) or self._habit(t)
            if got and _ATTITUDE.match(got[0].split(" should ", 1)[-1]):
                return None           # "Quill values the user's time …": what it cares about, a value's words
            return got
        if not pol:
            return None
        t = _CONNECTIVE.sub("", s).strip()
        t = ucfirst(t)
        if _DANGLING.match(t) and not re.match(subject_pattern(self.b.model_name) + r"(?!\w)", t, re.I):
            return None
        if len(t.split()) < 4:
            return None
        if re.match(r"(?:never|always|do\s+not|don[’']t|avoid|refuse|refrain)\b", t, re.I):
            base, neg = to_base_clause(t)
            if base:
                t = finish(f"{self.b.subject} should {'not ' if neg else ''}{base}")
        return finish(t), pol

    def _labelled(self, t: str) -> tuple[str, str] | None:
        """A nested item led by a label: "Why: …" → (its reason as prose, "why"); "Burr will: phrase …" →
        ("Burr should phrase ….", "do"); "Burr won't: push …" → ("Burr should not push ….", "do_not")."""
        m = re.match(r"\W*(?:why|reason|rationale|because)\s*:\s*(.+)$", t, re.I | re.S)
        if m:
            return m.group(1).strip(), "why"
        m = re.match(r"\W*(?:" + subject_pattern(self.b.model_name) + r"|it)\s+(?P<m>will|won['’]t|will\s+not|does|doesn['’]t|"
                     r"does\s+not|should|shouldn['’]t|should\s+not|must|must\s+not|always|never|do|don['’]t)\s*:\s*(?P<vp>.+)$",
                     t, re.I | re.S)
        if not m:
            return None
        neg = bool(re.search(r"n['’]t|not|never", m.group("m"), re.I))
        return finish(f"{self.b.subject} should {'not ' if neg else ''}{m.group('vp').strip().rstrip('.')}"), \
            ("do_not" if neg else "do")

    def _ensured(self, s: str) -> tuple[str, str] | None:
        """"The Provider shall ensure that the Assistant states that it is automated …": a duty laid on someone
        who runs the model, about what the model does, is a rule of the model's."""
        if not self.b.model_name:
            return None
        m = re.search(r"\b(?:shall|must|will|should|agrees?\s+to|undertakes?\s+to)\s+(?:\w+\s+)?(?:ensure|procure|make\s+sure)"
                      r"\s+that\s+(?:(?P<lead>[^,]{3,160}),\s+)?" + subject_pattern(self.b.model_name) + r"\s+(?P<vp>[a-z].+)$",
                      s, re.I)
        if not m:
            return None
        clause = f"{self.b.model_name} {m.group('vp')}"
        pol = deontic(clause, self.b.model_name)
        if pol:
            base, neg = to_base_clause(m.group("vp"))
            neg = neg or bool(re.match(r"(?:does\s+not|doesn['’]t|never|will\s+not|won['’]t|shall\s+not|must\s+not)\b",
                                       m.group("vp"), re.I))
            if base is None:
                return finish(ucfirst(clause)), pol
            return model_should(self.b.subject, base.rstrip(". "), m.group("lead") or "", "not" if neg else ""), \
                "do_not" if neg else "do"
        return self._habit(clause if not m.group("lead") else f"{m.group('lead')}, {clause}")

    def _for_others(self) -> bool:
        """The section being read speaks to people, not the model ("Notes for agents", "Your obligations",
        "What the on-call engineer does"): its commands are theirs."""
        sec = self._cur_sec
        while sec is not None and sec.level:
            title = clean_heading(sec.title)
            if _FOR_OTHERS.search(title) or _FOR_OTHERS.search(sec.title):    # "Setup (community team only)"
                return True
            who = _WHAT_WHO_DOES.match(title)
            if who and not re.fullmatch(subject_pattern(self.b.model_name) + r"|it|(?:the\s+)?(?:assistant|bot|model)",
                                        who.group("who").strip(), re.I):
                return True
            sec = sec.parent
        return False

    def _introducing(self) -> bool:
        """The section being read introduces the model ("Mogul books lessons for children and adults …" before the
        first heading, or under "About" / "What Mogul is" / "Purpose"): what it does there is its job, not a rule."""
        sec = self._cur_sec
        if sec is not None and (self._is_doc(sec) or not sec.level) and not sec.children and \
                sum(len(x.text.split()) for x in walk_nodes(sec.body) if x.kind in ("para", "item")) >= 300:
            return False            # a flat document, a transcript under its title: the whole spec, not its preface
        return sec is None or self._is_doc(sec) or not sec.level or \
            bool(_INTRO_HEADING.match(_CLAUSE.sub("", clean_heading(sec.title), count=1).strip()))

    def _prose_rule(self, s: str) -> tuple[str, str] | None:
        """A sentence read as a rule however it is put: a self-contained rule, "X will …", or X's habit."""
        return self._sentence_rule(s) or (self._will(s) or self._habit(s) if self.b.model_name else None)

    def _will(self, s: str) -> tuple[str, str] | None:
        """"Corran will rank patients by …" in a spec that describes what the model does: a rule ("will not" is
        read by :func:`deontic` already)."""
        if not self.b.model_name:
            return None
        m = re.match(r"(?P<lead>.{0,250}?,\s+)?" + re.escape(self.b.model_name) +
                     r"\s+(?P<adv>(?:\w+ly\s+)?)will\s+(?P<rest>(?!not\b|never\b|be\b)[a-z].+)$", s.strip())
        if not m or re.search(r"\bbecause\b", s[:m.start("rest")]):
            return None
        return model_should(self.b.subject, f"{m.group('adv')}{m.group('rest').rstrip('. ')}", m.group("lead") or ""), "do"

    def _habit(self, s: str) -> tuple[str, str] | None:
        """"Wick treats what people write as theirs alone." under a principle that describes the model's habits:
        the model's name, a verb in the present tense (not "does this because …", not "is"/"has"), as a rule."""
        subj = r"(?:" + re.escape(self.b.model_name) + "|" + GENERIC_ASSISTANT + ")"
        m = re.match(r"(?P<lead>(?:.{0,250}?,|and|so|instead)\s+)?" + subj +
                     r"\s+(?:now\s+|therefore\s+|thus\s+|also\s+|then\s+)?(?P<neg>no\s+longer\s+)?(?P<adv>(?:\w+ly\s+)?)"
                     r"(?P<v>[a-z]+s)\s+(?P<rest>.+)$",
                     s.strip(), re.I)  # "X now offers …", "X no longer quotes …", "The assistant therefore asks …"
        if not m or m.group("v") in ("is", "has", "was", "does", "seems") or \
                re.match(r"(?:this|that|so|these|those|it)\b", m.group("rest")) or re.search(r"\bbecause\b", s[:m.start("v")]):
            return None
        base = verb_base(m.group("v"))
        if base is None or base == m.group("v"):
            return None
        lead = (m.group("lead") or "").strip()
        lead = "" if lead.lower() in ("and", "so", "instead") else lead
        neg = "not " if m.group("neg") else ""
        return model_should(self.b.subject, f"{neg}{m.group('adv')}{base} {m.group('rest').rstrip('. ')}", lead), \
            "do_not" if neg else "do"

    def _habit_rule(self, got: tuple[str, str], item_text: str, it: Node, owner: Section) -> Rule | None:
        """A rule from a list item that describes the model's habit, its reason taken from the item's tail
        ("(principle 4: …)", "— a restart near …") or a nested "Why: …" item. None for a habit the item itself
        says was taken back ("… (Withdrawn in v3.2.)")."""
        text, reason = _split_reason(got[0])
        if not reason:
            reason = _split_reason(item_text)[1]
        if _RETIRED.match(reason.strip(" ([")):
            self.b.note("skipped", f"no longer in force ({reason.strip()[:40]}): {text[:60]}", it.start, it.end)
            return None
        for sub in walk_nodes([c for c in it.children if c.kind == "list"]):
            if sub.kind == "item":
                lab = self._labelled(_item_first(sub))
                if lab and lab[1] == "why":
                    reason = (reason + " " + finish(ucfirst(lab[0]))).strip()
        return self._new_rule(text, got[1], owner, it.start, it.end, rationale=reason)

    def _situation(self, cond: str, it: Node, owner: Section) -> Rule | None:
        """The model's habits listed under a situation ("When a load is heavier than …:"), as rules under it."""
        last = None
        for lst in [c for c in it.children if c.kind == "list"]:
            for sub in [c for c in lst.children if c.kind == "item"]:
                t = _item_first(sub).strip()
                if re.match(r"It\s", t):
                    t = self.b.model_name + t[2:]
                body, _ = _split_reason(t)
                s = f"{cond}, {body}"
                got = self._sentence_rule(s) or self._habit(s)
                if got:
                    last = self._habit_rule((got[0], got[1]), t, sub, owner) or last
        return last

    def _command(self, s: str, pol: str, strip_do: bool) -> tuple[str, str] | None:
        """A sentence under a run-in polarity lead that is a command ("Say plainly when …", "Before anything
        is submitted, show a summary …"), as a rule of that polarity; None for any other sentence."""
        s = s.strip()
        led = bool(strip_do and re.match(r"(?:do|always)\s+[a-z]", s, re.I))
        if led:
            s = ucfirst(s.split(None, 1)[1])
        cond = _LEAD_CONDITION.match(s)
        body = s[cond.end():] if cond else s
        if len(body.split()) < 3 or not (is_imperative(body) or IMPERATIVE_START.match(body) or
                                         (to_base_clause(body)[0] and body[:1].isupper() or cond)):
            return None
        # a command is in its base form already: keep the verb as written ("lay out", not a lemma of "lay")
        m = re.match(r"(?:do\s+not|don['’]t|never)\s+", body, re.I)
        neg, base = bool(m), lcfirst(body[m.end():] if m else body)
        tail = f", {lcfirst(cond.group(1))}" if cond else ""
        text = finish(f"{self.b.subject} should {'not ' if neg or pol == 'do_not' else ''}{base.rstrip('. ')}{tail}")
        return text, "do_not" if neg or pol == "do_not" else "do"

    def _explained_here(self) -> bool:
        """The section being read has a paragraph that gives reasons ("Speaker notes: …", "Rationale: …")."""
        sec = self._cur_sec
        return sec is not None and any(n.kind == "para" and _RATIONALE_LABEL.match(n.text) for n in sec.body)

    def _lead_rule(self, s: str) -> tuple[str, str] | None:
        """A lead-in that is itself a complete rule ("X must say so, in this order:")."""
        if lead_clause(s, self.b.model_name) or len(s.split()) < 6:
            return None
        # "X MUST warn before overwriting and SHOULD offer a backup, for example:" (a code block follows): the rule is
        # what comes before the example's lead-in
        s = re.sub(r"[,;]\s*(?:for\s+example|for\s+instance|e\.g\.|such\s+as|like\s+this)\s*:\s*$", ":", s, flags=re.I)
        last = re.findall(r"[\w’']+", s.lower())[-1:]
        if last and last[0] in _OPEN_ENDS or re.search(subject_pattern(self.b.model_name) + r"\s*:\s*$", s, re.I):
            return None
        got = self._sentence_rule(s.rstrip().rstrip(":") + ".")
        return got

    # ----------------------------------------------------------------- examples and skips
    def _attach(self, rule: Rule | None, node: Node, label: str | None, text: str | None = None) -> None:
        raw = text if text is not None else (node.raw or node.text or _node_text(node))
        if rule is None:
            self.b.note("skipped", "example with no rule before it to illustrate", node.start, node.end)
            return
        rule.examples.append(Example(label=label, text=raw.strip()[:4000], lines=Span(start=node.start, end=node.end)))

    def _skip(self, node: Node, why: str) -> None:
        self.b.note("skipped", why, node.start, node.end)

    # ----------------------------------------------------------------- bodies
    def run(self) -> None:
        self._fold_records(self.root)
        self._section(self.root)
        self._footnoted()
        self._cited_reasons()
        self._declared_values()

    def _cited_reasons(self) -> None:
        """A rationale that cites the rules it explains by number ("**Why the slot is released at once (4.4.1).**
        Every hour a cancelled slot is held …", often in an appendix): its text is their reason."""
        by_label = {raw.rule.label: raw.rule for raw in self.raws if raw.rule.label}
        if not by_label:
            return
        for sec in self.read_secs:
            why_sec = bool(_RATIONALE_HEADING.search(sec.title))
            for n in sec.body:
                if n.kind != "para" or not (why_sec or re.match(r"\W*why\b", n.text, re.I) or _RATIONALE_LABEL.match(n.text)):
                    continue
                head = (sentences(n.text) or [""])[0]
                refs = [x for par in re.findall(r"\(([^()]{1,80})\)", head) for x in re.findall(r"\d+(?:\.\d+)+", par)]
                for ref in dict.fromkeys(refs):
                    r = by_label.get(ref)
                    if r is not None and n.text not in r.rationale:
                        r.rationale = (r.rationale + " " + n.text).strip()[:2000]

    def _declared_values(self) -> None:
        """Values a spec states only in prose ("What we care about most is that Kesh works for …", "The second
        thing we care about is dignity.", "What matters to us is that nobody gets hurt"): two or more such
        sentences, in a spec that lists no values otherwise; each is a listed value, named by what it declares."""
        if self.listed:
            return
        found = []
        for sec in self.read_secs:
            for n in sec.body:
                if n.kind != "para" or example_label(n.text)[0] or is_dialogue(n.raw):
                    continue
                sents = sentences(n.text)
                for j, x in enumerate(sents):
                    a = _ANNOUNCED.search(x)
                    if a and len(sents) - j - 1 >= _NUMBER[a.group(1).lower()]:
                        # "Everything below follows from four commitments. The caller's safety comes first … We
                        # tell members the truth …": the next sentences, one value each
                        for y in sents[j + 1:j + 1 + _NUMBER[a.group(1).lower()]]:
                            found.append((re.match(r"(?P<v>.+)$", y), y, n, sec))
                        break
                    m = _DECLARED.match(x)
                    if m:
                        found.append((m, x, n, sec))
        if len(found) < 2:
            return
        for m, x, n, sec in found:
            v = re.sub(r"^(?:that|about)\s+", "", m.group("v").strip(), flags=re.I)
            name = re.split(r"[:;,—–(]|\s-\s|\s(?:and|because|so|which|who|where)\s", v)[0].strip().rstrip(".")
            words = name.split()
            name = ucfirst(" ".join(words[:10]))
            self.listed.append((name, finish(ucfirst(v)), n, sec))
        self.declared = True
        self.prose_declared = True       # rules right after a declaration stand behind it (values.py)

    def _footnoted(self) -> None:
        """"4. Never ask a member why they cancelled.[^respect]" with "[^respect]: Respect. Nobody owes us a reason …"
        at the foot of the page: the footnote is the rule's reason."""
        if not self.root.notes:
            return
        cites: dict[int, list[str]] = {}
        for s in self.root.walk():
            for n in walk_nodes(s.body):
                if n.kind == "para" and n.notes:
                    for line in range(n.start, n.end + 1):
                        cites.setdefault(line, []).extend(n.notes)
        for raw in self.raws:
            r = raw.rule
            labels = [x for line in range(r.lines.start, r.lines.end + 1) for x in cites.get(line, [])]
            notes = [self.root.notes[x] for x in dict.fromkeys(labels) if self.root.notes.get(x)]
            if notes and not r.rationale:
                r.rationale = " ".join(notes)

    def _fold_records(self, root: Section) -> None:
        """A decision record ("## ADR-3: …" over "### Context", "### Decision", "### Consequences"): one unit, not
        three sections. Its decision is read for rules, its consequences (or rationale) are their reason, its
        context is background; a record whose status says it was superseded or withdrawn is not read at all."""
        for s in list(root.walk()):
            parts = [c for c in s.children if _RECORD_PART.fullmatch(clean_heading(c.title))]
            if len(parts) < 2 or len(parts) != len(s.children) or \
                    not any(_RECORD_REASON.fullmatch(clean_heading(c.title)) for c in parts):
                continue
            status = " ".join(n.text for n in s.body if n.kind == "para" and _STATUS.match(n.text)) + " " + \
                " ".join(n.text for c in parts if re.fullmatch(r"status", clean_heading(c.title), re.I)
                         for n in c.body if n.kind == "para")
            if _RETIRED.search(status):
                self.b.note("skipped", f"record '{s.title}' is marked as no longer in force ({status.strip()[:60]}): "
                                       f"not read", s.start, s.end_line())
                s.body, s.children = [], []
                continue
            body = [n for n in s.body if not (n.kind == "para" and _STATUS.match(n.text))]
            for c in parts:
                title = clean_heading(c.title)
                if _RECORD_REASON.fullmatch(title):
                    text = " ".join(n.text for n in c.body if n.kind in ("para", "list") and n.text) or \
                        " ".join(_node_text(n) for n in c.body if n.kind == "list")
                    if text.strip():
                        body.append(Node("para", c.start, c.end_line(), text="Rationale: " + text,
                                         raw="Rationale: " + text))
                elif _RECORD_RULES.fullmatch(title):
                    for n in c.body:
                        if n.kind == "para":
                            n.info = "decision"      # its sentences about the model's habits are rules
                    body.extend(c.body)
                else:
                    self.b.note("skipped", f"'{c.title}' of '{s.title}' is background, not read as rules",
                                c.start, c.end_line())
            s.body, s.children = body, []
            s.attrs["record"] = "1"

    def _section(self, sec: Section) -> None:
        stack = [sec]
        while stack:
            s = stack.pop()
            if s.level and not self._is_doc(s) and _DROPPED_HEADING.search(s.title):
                # "### KW-107 Priority on request · Won't do", "## Rejected alternatives": not in force
                self.b.note("skipped", f"section '{s.title[:60]}' is marked as not in force: not read", s.start,
                            s.end_line())
                continue
            if s.level and not self._is_doc(s) and EXAMPLE_HEADING.match(s.title):
                target = self.raws[-1].rule if self.raws else None
                for n in [x for t in s.walk() for x in t.body]:
                    self._attach(target, n, example_label(s.title)[1])
                continue
            q = question_rule(s.title, self.b.model_name) if s.level and not self._is_doc(s) else None
            if not q and s.level and not self._is_doc(s) and s.title.rstrip().endswith("?"):
                first_para = next((n.text for n in s.body if n.kind == "para"), "")
                q = yes_no_rule(s.title, first_para, self.b.model_name)
            if q:
                # "Why does X never ask for a PIN?" heads an answer that gives the reason: the question is the
                # rule, the answer the value it stands behind (the section is that value)
                self._new_rule(q[0], q[1], s, s.start, s.start)
            if s.level and not self._is_doc(s) and not q and not s.attrs.get("named_by") \
                    and not _POLARITY_HEADING.fullmatch(clean_heading(s.title)) \
                    and (is_imperative(_CLAUSE.sub("", s.title, count=1)) or self._rule_heading(s) or (
                    any(k in s.attrs for k in _AUTH_KEYS) and not s.children)):
                self._heading_rule(s)
                continue
            self.read_secs.append(s)
            self._cur_sec = s
            self._prev_para = None
            self._ordinal_values(s)
            self._heading_values(s)
            self._named_paragraphs(s)
            if self.b.second_person:
                self._paragraph_values(s)
            pol_head = _POLARITY_HEADING.fullmatch(clean_heading(s.title)) if s.level and not self._is_doc(s) else None
            # "## Don't" over a list: its items are things the model must not do
            self._body(s.body, self._owner(s), None,
                       f"{self.b.subject} should {'not ' if pol_head.group('neg') else ''}:" if pol_head else None)
            stack.extend(reversed(s.children))

    def _rule_heading(self, s: Section) -> bool:
        """A heading that may be a command ("Point to the source") over a body that reads as a rule's: a
        "Rationale:" paragraph or a marked example, or among sibling headings most of which are commands."""
        title = _CLAUSE.sub("", s.title, count=1)
        if s.children or not could_be_imperative(title):
            return False
        if any(n.kind == "para" and not _RATIONALE_LABEL.match(n.text) and
               any(_STATUTE_CLAUSE.match(x) and deontic(_STATUTE_CLAUSE.sub("", x, count=1), self.b.model_name)
                   for x in sentences(n.text)) for n in s.body):
            return False            # "§ 2.3 Equal treatment" over "(1) X shall …": numbered clauses are the rules
        for n in s.body:
            text = n.text if n.kind == "para" else _node_text(n)
            if n.kind == "para" and _RATIONALE_LABEL.match(text) and not _NOTES_LABEL.match(text) and \
                    not n.raw.lstrip().startswith("<details") or \
                    n.kind in ("para", "quote", "code") and _MARKED_EXAMPLE.search(text):
                return True         # (a slide's "Speaker notes:" explain its bullets, not its title)
        sib = [c for c in (s.parent.children if s.parent is not None else []) if c is not s]
        return len(sib) >= 2 and 2 * sum(1 for c in sib if is_imperative(_CLAUSE.sub("", c.title, count=1))) >= len(sib)

    def _ordinal_values(self, s: Section) -> None:
        """Paragraphs that open by naming a value in order ("The first thing we care about is fairness to every
        candidate. …", "The second is candour about …"), two or more in one section, as in a letter: each
        names a value of its own, read as a section under ``s`` holding that paragraph and the paragraphs up to
        the next such opening (the last holds its own paragraph only)."""
        starts = [(i, m) for i, n in enumerate(s.body) if n.kind == "para" and (m := _ORDINAL_VALUE.match(n.text))]
        if len(starts) < 2:
            return
        children, moved = [], set()
        for j, (i, m) in enumerate(starts):
            end = starts[j + 1][0] if j + 1 < len(starts) else i + 1
            nodes = s.body[i:end]
            name = ucfirst(re.sub(r"^(?:the|our)\s+", "", m.group("v").strip(), flags=re.I))
            children.append(_sub_value(s, name, nodes[0].start, nodes[-1].end, list(nodes)))
            moved.update(range(i, end))
        s.body = [n for k, n in enumerate(s.body) if k not in moved]
        s.children[:0] = children

    def _heading_values(self, s: Section) -> None:
        """"## What we care about" over "### Safety before throughput", "### Fair access" …, each sub-section only
        prose that asks nothing of the model: the sub-sections are the values the spec lists (two or more)."""
        if self.listed or not s.level or len(s.children) < 2 or \
                not (_VALUE_LEAD.search(s.title) or _STANDS_FOR.search(s.title)) or EXAMPLE_HEADING.match(s.title):
            return
        picked = []
        for c in s.children:
            # prose, or (a mind map's branch) a list of the reasons the value matters, none of them a rule
            paras = [n.text if n.kind == "para" else _node_text(n) for n in c.body if n.kind in ("para", "list")]
            if c.children or not paras or \
                    any(n.kind == "list" for n in c.body) and any(n.kind == "para" for n in c.body) or \
                    any(self._sentence_rule(x) for t in paras for x in sentences(t)):
                continue
            picked.append((c, " ".join(paras)))
        if len(picked) < 2:
            return
        for c, text in picked:
            self.listed.append((clean_heading(c.title), text, Node("para", c.start, c.end_line(), text=text), s))
        gone = {id(c) for c, _t in picked}
        s.children = [c for c in s.children if id(c) not in gone]
        self.declared = True

    def _value_opening(self, text: str, words: int) -> str | None:
        """The short name a paragraph or item opens with ("Honest fares. Passengers plan …" → "Honest fares"): a
        first sentence of at most ``words`` words, followed by more, that asks nothing and is no statement about
        us, you or it; None otherwise."""
        sents = sentences(text)
        first = (sents[0] if sents else "").rstrip(".")
        if len(sents) >= 2 and 1 <= len(first.split()) <= words and not deontic(first, self.b.model_name) and \
                not re.search(r"^(?:we|I|you|it|this|that|they)\b|\b(?:will|should|must)\b", first, re.I):
            return first
        return None

    def _named_paragraphs(self, s: Section) -> None:
        """Under a heading that says it lists values ("What we value", "Our principles"), paragraphs that open
        with a short name ("Telling the truth about what is possible. We would rather …"): each is a value of
        its own, named by that opening (two or more such paragraphs, in a section with no sub-sections)."""
        if self.listed or not s.level:
            return
        headed = bool(_VALUE_LEAD.search(s.title) or _STANDS_FOR.search(s.title)) and not s.children
        picked = []
        for i, n in enumerate(s.body):
            if n.kind == "para" and n.strong_lead and re.match(r"\s*(?:\*\*|__)", n.raw) and \
                    n.text.startswith(n.strong_lead) and 1 <= len(n.strong_lead.split()) <= 12 and \
                    n.text[len(n.strong_lead):].strip(" .:—–-") and not deontic(n.strong_lead, self.b.model_name) and \
                    (headed or not any(self._sentence_rule(x) for x in sentences(n.text))):
                name = re.sub(r"^(?:\d+|[A-Za-z])[.)]\s+", "", n.strong_lead.strip()).rstrip(".:")
                if headed or (not re.search(r"\d", name) and len(re.findall(r"[A-Za-z]{3,}", name)) >= 2):
                    picked.append((i, n, name))                             # "**Good faith.** We assume …"
                continue
            if not headed:
                continue
            if n.kind != "para" or re.match(r"\s*(?:\(|\*\*|__|\d|[A-Z]\W)", n.raw):
                continue                    # "(a) **Safe crossings.** …" is a lettered definition, read as one
            first = self._value_opening(n.text, 8)
            if first and not (self.b.model_name and self.b.model_name in first):
                picked.append((i, n, first))
        if len(picked) < (2 if headed else 3):
            return
        for i, n, first in picked:        # listed, as a list of bold value names would be
            rest = n.text[n.text.index(first) + len(first):].lstrip(" .:—–-")
            self.listed.append((first, rest, n, s))
        taken = {i for i, _n, _f in picked}
        s.body = [n for k, n in enumerate(s.body) if k not in taken]
        self.declared = True

    def _paragraph_values(self, s: Section) -> None:
        """A system prompt with no headings ("Treat the travel budget as … You book within … Protect the
        traveller's privacy. You share …"): after the opening paragraph, each paragraph that gives two or more
        instructions is about one thing, named by its first sentence; read it as a section of its own (two or
        more such paragraphs, in a section with no sub-sections)."""
        if s.children:
            return
        paras = [(i, n) for i, n in enumerate(s.body) if n.kind == "para"]
        picked = [(i, n) for i, n in paras[1:]
                  if sum(1 for x in sentences(n.text) if self._sentence_rule(x)) >= 2
                  and not _LEAD_CONDITION.match(n.text)]        # "Before you book anything, …" names no value
        if len(picked) < 2:
            return
        for i, n in picked:
            first = (sentences(n.text) or [n.text])[0]
            name = re.split(r"[:;]|\s[-–—]\s", first)[0].strip().rstrip(".")
            words = name.split()
            name = " ".join(words[:12])
            # named by its first sentence: a value's name, never a heading rule or a group
            s.children.append(_sub_value(s, name, n.start, n.end, [n], named_by="first sentence"))
        taken = {i for i, _ in picked}
        s.body = [n for k, n in enumerate(s.body) if k not in taken]

    def _owner(self, s: Section) -> Section:
        """A section that only groups rules ("Things to avoid", "Core behaviours") is no value
        of its own: its rules belong to the value of the section around it."""
        while s.parent is not None and s.level and not self._is_doc(s) and not s.attrs.get("named_by") \
                and (_GROUP_HEADING.search(s.title) or _POLARITY_HEADING.fullmatch(clean_heading(s.title))
                     or _RELEASE_HEADING.match(s.title)) \
                and not s.title.rstrip().endswith("?"):        # "Why does X never …?" asks about one behaviour
            s = s.parent
        return s

    def _heading_rule(self, s: Section) -> None:
        m = _CLAUSE.match(s.title)
        title = s.title[m.end():] if m else s.title
        label = m.group(1).rstrip(".") if m else None
        got = self._compose(clean_heading(title) if "(" not in title[:1] else title, None, None)
        text, pol = got or (finish(title), "do")
        if re.match(r"(?:never|do\s+not|don[’']t|avoid|refrain)\b", title.strip(), re.I):
            pol = "do_not"
        owner = self._owner(s.parent) if s.parent is not None else self.root
        r = self._new_rule(text, pol, owner, s.start, s.end_line(), label=label, anchor=s.anchor,
                           auth=self._auth_of(s))
        for t in s.walk():
            if t is not s and EXAMPLE_HEADING.match(t.title):
                for n in [x for u in t.walk() for x in u.body]:
                    self._attach(r, n, example_label(t.title)[1])
                continue
            if any(EXAMPLE_HEADING.match(a.title) for a in t.ancestors() if a is not s and _under(a, s)):
                continue
            self._body(t.body, owner, r)

    def _body(self, nodes: list[Node], owner: Section, hrule: Rule | None, lead: str | None = None) -> None:
        last = hrule
        ex_mode: tuple[str | None] | None = None
        first_raw = len(self.raws)
        for n in nodes:
            k = n.kind
            if k == "para":
                if self._auth_line(n, owner, hrule):
                    continue
                if hrule is None and not ex_mode and self._lettered_value(n, owner):
                    continue
                if hrule is None and not ex_mode and self._inline_values(n, owner):
                    continue
                is_lab, lab = example_label(n.text)
                if is_lab or is_dialogue(n.raw):
                    if is_lab:
                        ex_mode = (lab,)
                    if not is_lab or len(re.sub(r"[\W_]+", " ", n.text).split()) > 3:
                        self._attach(last, n, lab if is_lab else (ex_mode[0] if ex_mode else None))
                    lead = None
                    continue
                mr = _RATIONALE_LABEL.match(n.text)
                if mr and hrule is None and len(self.raws) > first_raw:
                    # "**Rationale:** …" after the rules of a section: their reason (and the section's prose)
                    why = n.text[mr.end():].strip()
                    open_ = [raw.rule for raw in self.raws[first_raw:] if not raw.rule.rationale]
                    # a slide's notes go through its bullets one by one ("That's fairness … The ramp rule is
                    # safety"); other reasons ("Commentary: …") are the reason of every rule above them
                    per_rule = _PER_RULE.match(n.text) or any(_POSITIONAL.match(x) for x in sentences(why))
                    for r, focus in zip(open_, _focus([r.text for r in open_], why) if per_rule else [why] * len(open_)):
                        r.rationale = focus
                    if not _PER_RULE.match(n.text):     # notes that go through the bullets are theirs, not the section's
                        self.prose.setdefault(id(owner), []).extend(sentences(why))
                    lead = None
                    continue
                if n.text.rstrip().endswith(":") and len(n.text.split()) <= 4 and not deontic(n.text, self.b.model_name):
                    lead = n.text                # "**In practice:**" introduces the list below; no prose of its own
                    continue
                mc = _CLAUSE.match(n.text)
                para_label = mc.group(1).rstrip(".") if mc and "." in mc.group(1)[:-1] else None
                sents = sentences(n.text[mc.end():] if mc else n.text)
                # a statute's clauses, one per line of one paragraph: each sentence carries its own number
                clause_labels: dict[int, str] = {}
                for i, s in enumerate(sents):
                    ms = _STATUTE_CLAUSE.match(s)
                    if ms:
                        clause_labels[i] = ms.group(1)
                        sents[i] = s[ms.end():]
                decided = n.info == "decision" and self.b.model_name
                if decided:      # a decision record's "It will not …" is about the model
                    sents = [re.sub(r"^It\s(?=[a-z])", self.b.model_name + " ", x) for x in sents]
                found = [self._lead_rule(s) if s.rstrip().endswith(":") else self._sentence_rule(s) for s in sents]
                reasons: dict[int, str] = {}
                if self.b.first_person and self.b.model_name and (n.strong_lead or re.search(r"\bI\b", owner.title)):
                    # a persona card's "**Delivery days** — I check the postcode …, since rounds differ …": what
                    # the model says it does is a rule; the bold words name the situation, the "since …" its reason
                    for i, x in enumerate(sents):
                        body = x
                        if i == 0 and n.strong_lead and x.startswith(n.strong_lead):
                            body = x[len(n.strong_lead):].lstrip(" —–-:").strip()
                        if found[i] is None or body is not x:
                            said_body, said_why = split_reason(body)
                            if said_why:
                                said_body, said_why = finish(said_body), finish(ucfirst(said_why))
                            said = first_person_rule(said_body, self.b.subject)
                            if said and said_why:
                                reasons[i] = said_why
                            habit = None if said else first_person_habit(body, self.b.subject)
                            if said or habit:
                                found[i], sents[i] = (said or habit[:2]), body
                                if habit and habit[2]:
                                    reasons[i] = habit[2]
                if decided:      # "X holds every message until …": what the model does is decided
                    found = [f or self._habit(s) for f, s in zip(found, sents)]
                run_in = _RUN_IN_POLARITY.match(n.raw)
                if run_in:
                    for i, s in enumerate(sents):
                        if not found[i]:
                            found[i] = self._command(s, "do" if run_in.group(1).lower() in ("do", "always")
                                                     else "do_not", strip_do=not i)
                if ex_mode and not any(found) and not n.text.rstrip().endswith(":"):
                    self._attach(last, n, ex_mode[0])
                    continue
                ex_mode = None
                cur: Rule | None = None
                sub_target = None
                subj_re = re.compile(r"^(?:(?:[^,]{0,120},|so|and|but|then|instead|also)\s+)?" + subject_pattern(self.b.model_name) + r"(?!\w)", re.I)
                # "X may … . It should …": "It" is the model; so is an answer's first "It" under a heading that
                # asks about the model ("What should X do when …?" / "It should pause …")
                asked = owner.title.rstrip().endswith("?") and \
                    bool(re.search(subject_pattern(self.b.model_name) + r"(?!\w)", owner.title, re.I))
                if (owner.attrs.get("habits") or asked) and self.b.model_name:
                    # a principle that describes the model's habits, or an FAQ answer about it ("Ledger requests
                    # what the claim needs …", "It declines, politely, unless …")
                    for i, s in enumerate(sents):
                        if not found[i]:
                            found[i] = self._habit(s)
                        if not found[i] and re.match(r"It\s", s) and \
                                ((i and (found[i - 1] or subj_re.match(sents[i - 1]))) or (asked and not any(
                                    subj_re.match(x) for x in sents[:i]))):      # "… It says plainly …"
                            found[i] = self._habit(self.b.model_name + s[2:])
                            if found[i]:
                                sents[i] = self.b.model_name + s[2:]
                for i, s in enumerate(sents):
                    if not found[i] and re.match(r"It\s", s) and \
                            ((i and (found[i - 1] or subj_re.match(sents[i - 1]))) or (not i and asked)):
                        found[i] = self._sentence_rule(self.b.subject + s[2:])
                        if found[i]:
                            sents[i] = self.b.subject + s[2:]
                for i_s, (s, f) in enumerate(zip(sents, found)):
                    if f and hrule is not None:
                        hrule.subpoints.append(SubPoint(id=f"{hrule.id}.{len(hrule.subpoints) + 1}", text=f[0],
                                                        lines=Span(start=n.start, end=n.end)))
                        cur = None
                    elif f:
                        a, e = _sentence_span(n, s)
                        lab = clause_labels.get(i_s, para_label)
                        if lab and lab.startswith("(") and self._cur_sec is not None:
                            # "(1)" under "§ 2.1 Deadlines": the clause is 2.1(1)
                            sec_lab = _CLAUSE.match(self._cur_sec.title)
                            if sec_lab and not sec_lab.group(1).startswith("("):
                                lab = sec_lab.group(1).rstrip(".") + lab
                        cur = self._new_rule(f[0], f[1], owner, a, e, label=lab, rationale=reasons.get(i_s, ""))
                        para_label = None
                        last = cur
                        sub_target = cur if s.rstrip().endswith(":") else None
                    elif cur is not None and _RATIONALE.match(s) and len(cur.rationale) < 800:
                        cur.rationale = (cur.rationale + " " + s).strip()
                    elif hrule is not None:
                        hrule.rationale = (hrule.rationale + " " + s).strip() if len(hrule.rationale) < 2000 \
                            else hrule.rationale
                    elif s.rstrip().endswith(":") and lead_in_polarity(s, self.b.model_name):
                        continue            # "We never want X to:" introduces the list below; no value's words
                    else:
                        self.prose.setdefault(id(owner), []).append(s)
                        if deontic(s, self.b.model_name) and not s.rstrip().endswith(":"):
                            self.b.note("warning", f"not a self-contained rule, kept as prose: {s[:80]}",
                                        n.start, n.end)
                lead = n.text if n.text.rstrip().endswith(":") else None
                self._prev_para = n.text
                self._sub_target = sub_target
                self._lead_label = para_label if lead else None     # "3.3 … the assistant should:" numbers its items
            elif k == "list" and getattr(self, "_sub_target", None) is not None:
                tgt = self._sub_target          # "X must …, in this order:" then (a), (b), (c)
                for it in [c for c in n.children if c.kind == "item"]:
                    tgt.subpoints.append(SubPoint(id=f"{tgt.id}.{len(tgt.subpoints) + 1}", text=_item_first(it),
                                                  lines=Span(start=it.start, end=it.end)))
                self._sub_target = None
                lead = None
            elif k == "list":
                got = self._list(n, lead, owner, hrule, ex_mode)
                last = got or last
                lead = None
            elif k in ("code", "quote"):
                if ex_mode or is_dialogue(_node_text(n)) or k == "quote" or _MARKED_EXAMPLE.search(_node_text(n)):
                    self._attach(last, n, ex_mode[0] if ex_mode else None, _node_text(n))
                else:
                    self._skip(n, f"code block ({n.info or 'no language'}) is not read as values or rules")
            elif k == "admonition":
                if re.match(r"(?:example|good|bad)", (n.info or "") + " " + n.title, re.I) or \
                        is_dialogue(_node_text(n)):
                    self._attach(last, n, example_label(n.title or n.info)[1], _node_text(n))
                else:
                    self._skip(n, f"admonition '!!! {n.info or 'note'}' is a note to readers, not a rule")
            elif k == "html":
                self._skip(n, "HTML block (comment or markup) is not read")
            elif k == "table":
                if not self._table(n, owner, hrule):
                    self._skip(n, "table is not read as values or rules")
            elif k in ("footnote_block", "footnote"):
                self._skip(n, "footnotes are not read as values or rules")
            if k != "para":
                self._prev_para = None

    def _lettered_value(self, n: Node, owner: Section) -> bool:
        """"(a) **Equal access.** Every family is entitled to …", a paragraph of its own under "Purposes" (or after a
        paragraph that names them): one of the spec's values, as a list item of them would be; "Purpose (a)" then
        names it. False for any other paragraph."""
        m = _LETTERED_VALUE.match(n.raw or "")
        if m and re.search(r"\n\s*\([a-z]\)\s*(?:\*\*|__)", m.group("desc")):
            return False            # several defined in one paragraph: values the articles name ("value (a)")
        if not m or not (_VALUE_LEAD.search(clean_heading(owner.title)) or
                         (self._prev_para and _VALUE_LEAD.search(self._prev_para))):
            return False                # (the lead paragraph stays _prev_para across the lettered ones)
        desc = re.sub(r"[*_`]", "", m.group("desc")).strip()
        self.listed.append((ucfirst(m.group("name").strip().rstrip(".:")), desc, n, owner))
        self.list_ordered = True
        return True

    def _inline_values(self, n: Node, owner: Section) -> bool:
        """A paragraph that names three or more values in bold, each with its words ("It cares about four things.
        **Soil health**: the plots are shared for decades … **Neighbourliness**: plots sit side by side …"): the
        values, as a list of them would be. False for any other paragraph."""
        raw = n.raw or ""
        terms = list(_INLINE_TERM.finditer(raw))
        if _CARES.search(raw) and len(wide := list(_INLINE_TERM_COMMA.finditer(raw))) > len(terms):
            # "I care about **keeping the kitchen clean**, because …": a paragraph that says it lists what the
            # model cares about; its bold terms are the values even where a comma follows them
            terms = wide
        if len(terms) < 3:
            terms = list(_ORDINAL_RUN_IN.finditer(raw))      # "First, household safety: nobody … Second, …"
        if len(terms) < 3 or any(example_label(m.group("t") + ":")[0] for m in terms) or \
                re.search(r"\((?:[a-z]|[ivx]+|\d+)\)\s*(?:\*\*|__)", raw):     # "(a) **Self-determination.**": defined
            return False
        got = []
        for j, m in enumerate(terms):
            end = terms[j + 1].start() if j + 1 < len(terms) else len(raw)
            desc = re.sub(r"[*_`]", "", raw[m.end():end]).strip()
            desc = _CARES_TAIL.sub("", desc).strip()     # "… has lost a day. I care about" (the next term's lead-in)
            if desc.startswith("("):
                # "**respect** (members are treated as guests), **privacy** (…)": the brackets
                depth, k = 0, 0
                for k, ch in enumerate(desc):
                    depth += (ch == "(") - (ch == ")")
                    if depth == 0:
                        break
                desc = desc[1:k].strip()
            if len(desc.split()) < 4:
                return False
            got.append((ucfirst(m.group("t").strip()), desc))
        lead = re.sub(r"[*_`]", "", raw[:terms[0].start()]).strip()
        if lead:
            self.prose.setdefault(id(owner), []).extend(sentences(lead))
        for term, desc in got:
            self.listed.append((term, desc, n, owner))
        return True

    def _table(self, n: Node, owner: Section, hrule: Rule | None) -> bool:
        """A table with a behaviour column ("Behaviour", "Rule", "What X does") and optionally a reason column
        ("Why", "Reason", "Value"): a rule per row, its reason as the rationale. False for any other table."""
        rows = n.rows or []
        if len(rows) < 2:
            return False
        head = [c.strip().strip("*_ ").lower() for c in rows[0]]
        beh = next((i for i, h in enumerate(head) if _BEHAVIOUR_COLUMN.fullmatch(h)), None)
        why = next((i for i, h in enumerate(head) if _REASON_COLUMN.fullmatch(h)), None)
        val = next((i for i, h in enumerate(head) if _VALUE_COLUMN.fullmatch(h)), None)
        if beh is None and val is not None and len(head) >= 2 and hrule is None:
            # "| Value | What it means |": the spec's values, one per row, as a list of them would be
            made = 0
            for i, row in enumerate(rows[1:], 1):
                term = row[val].strip().strip("*_ ") if val < len(row) else ""
                desc = " ".join(c.strip() for j, c in enumerate(row) if j != val and c.strip())
                if term and len(term.split()) <= 8:
                    line = n.start + 1 + i
                    self.listed.append((ucfirst(term), desc, Node("item", line, line, text=term, raw=term), owner))
                    made += 1
            return made > 0
        if re.fullmatch(r"points?|scores?|ratings?|grades?|marks?|levels?", head[0]) and len(head) >= 2 and hrule is None:
            return self._rubric(n, rows, owner)
        pols = {i: ("do_not" if m.group("neg") else "do") for i, h in enumerate(head)
                if h and (m := _POLARITY_HEADING.fullmatch(h))}
        if len(pols) >= 2 and set(pols.values()) == {"do", "do_not"}:
            return self._polarity_table(n, rows, pols, why, owner, hrule)
        if beh is None and len(head) >= 3 and why is None and hrule is None and self.b.model_name and \
                re.fullmatch(r"(?:the\s+)?(?:situations?|scenarios?|cases?|triggers?|events?|when|if|contexts?|"
                             r"circumstances?|requests?)", head[0]):
            return self._matrix(n, rows, owner)
        if beh is None:
            return self._sentence_table(n, rows, owner, hrule)
        made = 0
        status = next((k for k, h in enumerate(head) if re.fullmatch(r"status|state", h)), None)
        for i, row in enumerate(rows[1:], 1):
            if beh >= len(row) or not row[beh].strip():
                continue
            if status is not None and status < len(row) and _OUT_OF_FORCE.search(row[status]):
                # "| DR-07 | … | retired |": a row the table itself says is not in force
                self._skip(Node("para", n.start + 1 + i, n.start + 1 + i), f"row {i} is '{row[status].strip()}': not read")
                continue
            got = self._compose(row[beh].strip(), None, None)
            if got is None:
                continue
            reason = row[why].strip() if why is not None and why < len(row) else ""
            line = n.start + 1 + i           # header, delimiter row, then one line per row
            if hrule is not None:
                hrule.subpoints.append(SubPoint(id=f"{hrule.id}.{len(hrule.subpoints) + 1}", text=got[0],
                                                lines=Span(start=line, end=line)))
            else:
                self._new_rule(got[0], got[1], owner, line, line, rationale=finish(reason) if reason else "")
            made += 1
        return made > 0

    def _sentence_table(self, n: Node, rows: list[list[str]], owner: Section, hrule: Rule | None) -> bool:
        """A table whose headers name no behaviour column, but one of whose columns is written in sentences about
        the model ("| English | Cymraeg |" with "Cylchi will reply in …" on the left): that column's sentences are
        read as prose rules would be, one rule each; the other columns (a translation, notes) are not read. The
        column must hold a rule in at least half of its rows, and two or more."""
        if not self.b.model_name or hrule is not None:
            return False

        def rules_in(cell: str) -> list[tuple[str, str]]:
            out = []
            for x in sentences(re.sub(r"\[\^[^\]]+\]", "", cell).strip()):
                got = self._prose_rule(x)
                if got:
                    out.append(got)
            return out

        width = max(len(r) for r in rows)
        found = [[rules_in(r[j]) if j < len(r) else [] for r in rows[1:]] for j in range(width)]
        j = max(range(width), key=lambda k: sum(1 for x in found[k] if x))
        hits = sum(1 for x in found[j] if x)
        if hits < 2 or hits * 2 < len(rows) - 1:
            return False
        for i, got in enumerate(found[j], 1):
            line = n.start + 1 + i
            for text, pol in got:
                self._new_rule(text, pol, owner, line, line)
        return True

    def _matrix(self, n: Node, rows: list[list[str]], owner: Section) -> bool:
        """"| Situation | Chat | Phone | SMS |": each cell says what the model does in that situation on that
        channel ("Confirms the cancellation, gives the reason …"), a rule of its own; "Same as chat." and "Not
        used." cells add nothing, and a row marked as not in force ("(proposed, not approved)") is not read."""
        cols = [c.strip().strip("*_ ") for c in rows[0]]
        made = 0
        for i, row in enumerate(rows[1:], 1):
            if not row or not row[0].strip():
                continue
            line = n.start + 1 + i
            situation = row[0].strip()
            if re.search(r"\b(?:proposed|not\s+approved|draft|retired|withdrawn|rejected|superseded)\b", situation, re.I):
                self._skip(Node("para", line, line), f"row '{situation[:40]}' is not in force: not read")
                continue
            situation = re.sub(r"[*_]", "", situation).strip()
            for j, cell in enumerate(row[1:], 1):
                cell = cell.strip()
                if not cell or j >= len(cols) or re.match(r"(?:same\s+as|not\s+used|n/?a\b|none\b|—|-+$)", cell, re.I):
                    continue
                first = (sentences(cell) or [cell])[0]
                neg = re.match(r"(?:never|does\s+not|doesn['’]t|do\s+not|don['’]t)\s+", first, re.I)
                base, negated = to_base_clause(first[neg.end():] if neg else first)
                if base is None:
                    continue
                no = bool(neg) or negated
                rest = cell[len(first):].strip()
                text = finish(f"{situation} ({cols[j]}): {self.b.subject} should {'not ' if no else ''}{base}")
                self._new_rule(text, "do_not" if no else "do", owner, line, line, rationale=rest)
                made += 1
        return made > 0

    def _rubric(self, n: Node, rows: list[list[str]], owner: Section) -> bool:
        """"| Points | What the reply looks like |" with rows 5, 3, 1: the best-scored row describes what the model
        does (its habits are the rules); the lower rows describe replies to avoid and are not read."""
        scored = [(float(m.group()), i, row) for i, row in enumerate(rows[1:], 1)
                  if row and (m := re.match(r"\d+(?:\.\d+)?", row[0].strip().strip("*_ ")))]
        if len(scored) < 2:
            return False
        _top, i, row = max(scored, key=lambda x: x[0])
        line = n.start + 1 + i
        made, prev = 0, None
        for cell in row[1:]:
            for x in sentences(cell.strip()):
                t = self.b.model_name + x[2:] if self.b.model_name and re.match(r"It\s", x) and prev else x
                got = self._prose_rule(t)
                prev = got
                if got:
                    self._new_rule(got[0], got[1], owner, line, line)
                    made += 1
        if made:
            self._skip(n, "the lower-scored rows of a rubric describe replies to avoid: not read as rules")
        return made > 0

    def _polarity_table(self, n: Node, rows: list[list[str]], pols: dict[int, str], why: int | None, owner: Section,
                        hrule: Rule | None) -> bool:
        """"| Do | Don't |": each cell of a Do column is a rule, each of a Don't column a rule not to; a row with one
        filled cell ("**Theme: Accuracy**") names the theme of the rows below it, a value the spec lists."""
        made, theme = 0, ""
        for i, row in enumerate(rows[1:], 1):
            line = n.start + 1 + i
            filled = [c.strip() for c in row if c.strip()]
            if len(filled) == 1 and len(filled[0].split()) <= 8 and not any(
                    j in pols and row[j].strip() and to_base_clause(row[j].strip().strip("*_ "))[0] and
                    len(row[j].split()) > 3 for j in range(len(row))):
                theme = ucfirst(re.sub(r"^(?:theme|topic|area|value|principle)\s*:\s*", "", filled[0].strip("*_ :"),
                                       flags=re.I))
                if theme and hrule is None and not any(t == theme for t, *_x in self.listed):
                    self.listed.append((theme, "", Node("item", line, line, text=theme, raw=theme), owner))
                    self.declared = True
                continue
            reason = row[why].strip() if why is not None and why < len(row) else ""
            for j, pol in pols.items():
                cell = row[j].strip() if j < len(row) else ""
                if not cell:
                    continue
                got = self._compose(cell, pol, None)
                if got is None:
                    continue
                if hrule is not None:
                    hrule.subpoints.append(SubPoint(id=f"{hrule.id}.{len(hrule.subpoints) + 1}", text=got[0],
                                                    lines=Span(start=line, end=line)))
                else:
                    rationale = " ".join(x for x in (finish(reason) if reason else "", f"{theme}." if theme else "") if x)
                    self._new_rule(got[0], got[1], owner, line, line, rationale=rationale)
                made += 1
        return made > 0

    def _auth_line(self, n: Node, owner: Section, hrule: Rule | None) -> bool:
        m = _AUTH_LINE.match(n.text)
        if not m:
            return False
        lab = m.group(2).strip().lower()
        if hrule is not None:
            raw = next(x for x in self.raws if x.rule is hrule)
            raw.auth = lab
        else:
            owner.attrs.setdefault("authority", lab)
        return True

    def _list(self, lst: Node, lead: str | None, owner: Section, hrule: Rule | None, ex_mode) -> Rule | None:
        items = [c for c in lst.children if c.kind == "item"]
        if not items:
            return None
        if lead and re.match(r"\W*because\b[^:]{3,160}:\s*$", lead, re.I) and hrule is None:
            # "**Because food safety comes first:**" over the behaviours it leads to: their reason, not a lead-in
            start = len(self.raws)
            got = self._list(lst, None, owner, hrule, ex_mode)
            why = finish(ucfirst(lead.strip().rstrip(":").strip(" *_")))
            for raw in self.raws[start:]:
                raw.rule.rationale = (why + " " + raw.rule.rationale).strip()
            return got
        texts = [_item_first(it) for it in items]
        if lead and hrule is None and sum(1 for it in items if _strong(it)) >= max(2, (2 * len(items) + 2) // 3) \
                and (_VALUE_LEAD.search(lead) or _STANDS_FOR.search(lead) or _VALUE_LEAD.search(owner.title)) \
                and not lead_in_polarity_only_neg(lead, self.b.model_name):
            for it in items:
                term, desc = _term_desc(it, _item_first(it))
                self.listed.append((term, desc or _item_first(it), it, owner))
            self.list_ordered = lst.ordered
            return None
        if not lead and hrule is None and len(items) >= 2 and not self.listed and not any(_strong(it) for it in items) \
                and (_VALUE_LEAD.search(owner.title) or _STANDS_FOR.search(owner.title)):
            named = []
            for it, t in zip(items, texts):
                first = self._value_opening(t, 6)
                if first:
                    named.append((first, t[len(first):].lstrip(" ."), it))
            if len(named) == len(items):
                # "## What matters to us" over "- Safe riders. Nobody should get hurt …": each item names a value
                for first, rest, it in named:
                    self.listed.append((ucfirst(first), rest, it, owner))
                self.list_ordered = lst.ordered
                self.declared = True
                return None
        if lead and hrule is None and len(items) >= 2 and not self.listed and re.search(
                r"\b(?:two|three|four|five|six|seven|following|these)\s+(?:\w+\s+)?(?:values|principles|commitments|"
                r"priorities|goals|objectives|tenets)\b", lead, re.I) and \
                not lead_in_polarity(lead, self.b.model_name) and not any(_strong(it) for it in items) and \
                not any(self._sentence_rule(x) for t in texts for x in sentences(t)[:1]):
            # "Officers have drawn four principles …, and each recommendation below rests on them:" over "(a) Nobody
            # should miss out on help they are entitled to. …": each item states a value, named by its first sentence
            for it, t in zip(items, texts):
                t = re.sub(r"^\(?[a-z]{1,3}\)\s+", "", t)
                first = (sentences(t) or [t])[0].rstrip(".")
                name = re.split(r"[,;:]|\s[-–—]\s", first)[0].strip()
                self.listed.append((ucfirst(" ".join(name.split()[:10])), t, it, owner))
            self.list_ordered = lst.ordered
            self.declared = True
            return None
        nested_of = [[c for c in it.children if c.kind == "list"] for it in items]
        if not lead and hrule is None and not ex_mode and len(items) >= 2 and all(nested_of) \
                and self._cur_sec is not None and all(_strong(it) for it in items) \
                and all(any(self._labelled(_item_first(n)) for lst2 in nest for n in lst2.children if n.kind == "item")
                        for nest in nested_of):
            # "- **Say when it is guessing**\n  - Why: …\n  - Burr will: …\n  - Burr won't: …": each term is a value,
            # its "Why:" the value's words and its "will:" / "won't:" items its behaviours
            cur = self._cur_sec
            for it, first, nest in zip(items, texts, nested_of):
                term, desc = _term_desc(it, first)
                body = [Node("para", it.start, it.start, text=desc, raw=desc)] if desc else []
                for n in [n for lst2 in nest for n in lst2.children if n.kind == "item"]:
                    t = _item_first(n)
                    got = self._labelled(t)
                    text = got[0] if got else t
                    body.append(Node("para", n.start, n.end, text=text, raw=text))
                cur.children.append(_sub_value(cur, term, it.start, it.end, body, named_by="list item"))
            return None
        if not lead and hrule is None and not ex_mode and len(items) >= 2 and all(nested_of) \
                and all(_value_term(it, first) for it, first in zip(items, texts)) \
                and self._cur_sec is not None:
            # "- **Honesty**: Kite tells the truth.\n  - Never fabricates citations.": each term is a value,
            # read as a section of its own whose nested items are its behaviours
            cur = self._cur_sec
            for it, first, nested in zip(items, texts, nested_of):
                term, desc = _term_desc(it, first)
                body = [Node("para", it.start, it.start, text=desc, raw=desc)] if desc else []
                body += [Node("para", it.start, it.start, text="In practice:")] + nested
                cur.children.append(_sub_value(cur, term, it.start, it.end, body))
            return None
        if not lead and hrule is None and not ex_mode and len(items) >= 2 and self._cur_sec is not None \
                and all(_value_paragraph(it, first) for it, first in zip(items, texts)):
            # "1. **The story belongs to the writer.** Wick follows the person's lead … It does not … The reason
            # is …": each item names a principle and explains it in a paragraph of behaviours and reasons; read
            # as a section of its own, whose habits ("Wick treats entries as private") are its behaviours
            cur = self._cur_sec
            for it, first in zip(items, texts):
                term, desc = _term_desc(it, first)
                cur.children.append(_sub_value(cur, term, it.start, it.end,
                                               [Node("para", it.start, it.end, text=desc, raw=desc)], habits="yes"))
            return None
        if not lead and hrule is None and not ex_mode and len(items) >= 2 and not any(nested_of) \
                and sum(1 for it, first in zip(items, texts) if _value_term(it, first, words=8, sentence=True)
                        and not is_imperative(_term_desc(it, first)[0])) >= \
                max(2, (2 * len(items) + 2) // 3) \
                and (_VALUE_LEAD.search(owner.title) or _STANDS_FOR.search(owner.title) or
                     _VALUE_LEAD.search(self._prev_para or "")):
            # "## What Ledger stands for" / "… where two principles pull against each other:" then a list of bold
            # names, each with a sentence: the values, as under a lead-in that says so
            for it in items:
                term, desc = _term_desc(it, _item_first(it))
                self.listed.append((term, desc or _item_first(it), it, owner))
            self.list_ordered = lst.ordered
            return None
        if ex_mode or all(is_dialogue(t) for t in texts if t):
            for it in items:
                self._attach(self.raws[-1].rule if self.raws else hrule, it, ex_mode[0] if ex_mode else None,
                             _node_text(it))
            return None
        if lead:
            lead = _CLAUSE.sub("", lead, count=1)
        pol = lead_in_polarity(lead, self.b.model_name) if lead else None
        to_be = bool(lead and _TO_BE.search(lead.strip()))   # "We would like X to be:" + **Truthful**: …
        if to_be and pol is None:
            pol = "do"
        clause = lead_clause(lead, self.b.model_name) if lead and pol else None
        last = None
        skipped = 0
        # a list of commands ("1. Confirm a visit …", "2. Cancel …"): an item whose first word may be a verb or a
        # noun ("Book guests …", "Reply in the language …") is a command too
        frags: list[tuple[Node, str]] = []
        made_here = len(self.raws)
        commands = not lead and len(items) >= 3 and \
            sum(1 for t in texts if t and is_imperative(t)) * 3 >= 2 * len([t for t in texts if t])
        if not lead and not commands and self.b.model_name and \
                any(_BEHAVIOUR_COLUMN.fullmatch(clean_heading(a.title).lower()) for a in [owner, *owner.ancestors()]
                    if a.level):
            # a short list under a heading that says what it holds ("Behaviours" > "Safety" > "- Transfer …",
            # a mind map's branch): its items are the model's commands when one of them reads as one
            commands = any(t and is_imperative(t) for t in texts)
        for it, first_text in zip(items, texts):
            if not first_text:
                continue
            if is_dialogue(first_text):
                self._attach(last or hrule, it, None, _node_text(it))
                continue
            term = (_strong(it) or "").rstrip(":. ")
            desc = first_text[len(term):].lstrip(" :—–-*").strip() if term and first_text.startswith(term) else ""
            term_verb = bool(term) and to_base_clause(term)[0] is not None and not term.istitle()
            if to_be and term and not term_verb and hrule is None:
                r = self._new_rule(finish(f"{self.b.subject} should be {lcfirst(term)}"), "do", owner, it.start,
                                   it.end, rationale=desc)
                last = r
                continue
            if term and not term_verb:
                head_src = desc                          # "**Wellbeing**: In interactions, X should …"
            else:
                head_src = first_text if not term else term
            label = _RUN_IN_LABEL.match(head_src)
            if label and not example_label(head_src)[0] and not _RATIONALE_LABEL.match(head_src):
                head_src = head_src[label.end():]          # "- Our promise: If you tell Spindle …"
            if pol and self.b.model_name and lead and self.b.model_name in lead and \
                    re.match(r"It\s+(?!is\b|was\b|has\b|does\s+this\b)[a-z]", head_src):
                head_src = self.b.model_name + head_src[2:]   # "Tansy will work like this:" over "1. It introduces …"
            sents = sentences(head_src)
            head = sents[0] if sents else head_src
            rest = (desc if term and term_verb else " ".join(sents[1:])).strip()
            nested = [n for n in walk_nodes([c for c in it.children if c.kind == "list"]) if n.kind == "item"]
            if not head:
                skipped += 1
                continue
            if hrule is None and not pol and nested and self.b.model_name and _SITUATION.match(first_text):
                # "- When a person enters a marked lane:\n  - Otto stops every vehicle … (principle 1)": a decision
                # guide's situation over the model's habits in it; each habit is a rule under that condition
                made = self._situation(first_text.rstrip().rstrip(":").strip(), it, owner)
                if made:
                    last = made
                    continue
            cond_m = _LAST_CONDITION.search(lead) if lead and hrule is None and not pol and self.b.model_name else None
            if cond_m:
                # "2.2 If the vehicle is on a live lane:" over "(a) Carrick tells the occupants to get out …": the
                # model's habit under that condition (the condition is the lead-in's last sentence)
                cond = ucfirst(cond_m.group(1).strip())
                body = re.sub(r"^\(?[a-z]{1,3}\)\s+", "", head)
                got = self._habit(f"{cond}, {body}") or (self._will(f"{cond}, {body}") if self.b.descriptive else None)
                if got:
                    made = self._habit_rule(got, first_text, it, owner)
                    if made:
                        last = made
                        continue
            will = self._will(head) if hrule is None and not pol and not lead and self.b.descriptive else None
            if will:                               # "1. Corran will treat a bed as available only when …"
                made = self._habit_rule(will, first_text, it, owner)
                if made:
                    last = made
                    continue
            if self._for_others() and not re.match(r"(?:[^,]{0,120},\s+)?" + subject_pattern(self.b.model_name) + r"\s",
                                                   head, re.I):
                skipped += 1                   # "## Notes for agents": "- Read every draft …" is asked of people
                continue
            own = deontic(head, self.b.model_name) or \
                ("do" if (is_imperative(head) or (commands and could_be_imperative(head))) and not lead else None) or \
                ("do" if self.b.second_person and (re.match(r"you\s+will\s", head, re.I) or
                                                    second_person_rule(head, self.b.subject)) else None)
            if hrule is None and not pol and not own and not lead and self.b.model_name:
                habit = self._habit(head)          # "Otto keeps the location traces … (principle 4)"
                if habit:
                    made = self._habit_rule(habit, first_text, it, owner)
                    if made:
                        last = made
                        continue
            if hrule is not None and not pol:
                hrule.subpoints.append(SubPoint(id=f"{hrule.id}.{len(hrule.subpoints) + 1}", text=first_text,
                                                lines=Span(start=it.start, end=it.end)))
                continue
            got = self._compose(head, pol, clause) if (pol or own) and not _ARROW.search(head) else None
            if got is None:
                skipped += 1
                frags.append((it, first_text))
                continue
            text, p = got
            if hrule is not None:
                hrule.subpoints.append(SubPoint(id=f"{hrule.id}.{len(hrule.subpoints) + 1}", text=text,
                                                lines=Span(start=it.start, end=it.end)))
                continue
            # "… the published schedule (honesty: members plan around it)", "… until it is looked at — a failed
            # brake can kill": the item's reason, kept as the rule's rationale
            text, reason = _split_reason(text)
            if reason:
                rest = (reason + " " + rest).strip()
            m = _CLAUSE.match(head)
            label = m.group(1).rstrip(".") if m else None
            if label is None and self._lead_label:
                label = f"{self._lead_label}.{items.index(it) + 1}"
            r = self._new_rule(text, p, owner, it.start, it.end, rationale=rest, label=label)
            for sub in nested:
                why = self._labelled(_item_first(sub))
                if why and why[1] == "why":        # "  - Why: Fairness.": the item's reason, not a sub-point
                    r.rationale = (r.rationale + " " + why[0]).strip()
                    continue
                r.subpoints.append(SubPoint(id=f"{r.id}.{len(r.subpoints) + 1}", text=_item_first(sub),
                                            lines=Span(start=sub.start, end=sub.end)))
            last = r
        if frags and hrule is None and not lead and self._explained_here() and \
                (len(self.raws) > made_here or any(_BEHAVIOUR_FRAGMENT.search(t) for _i, t in frags)):
            # a slide's bullets ("- Ramp route first, always", "- Lift broken → re-route at once") under
            # notes that explain them: terse, but the behaviours of the model all the same
            for it, t in frags:
                t = t.strip().rstrip(".")
                if len(t.split()) < 3 or re.match(r"[\[(]", t) or re.search(r"@|https?://|\?$", t):
                    continue
                act = _ARROW.split(t)[-1].strip()          # "Not sure → say so": what follows the arrow is done
                p = "do_not" if re.match(r"(?:no|never|not|don['’]t)\b", act, re.I) else "do"
                last = self._new_rule(finish(f"{self.b.subject}: {lcfirst(t)}"), p, owner, it.start, it.end)
                skipped -= 1
        if skipped:
            why = f"introduced by '{lead.strip()[-70:]}'" if lead else "with no lead-in"
            self.b.note("skipped", f"{skipped} list item(s) not read as rules: the list ({why}) is not a list of "
                                   f"behaviours", lst.start, lst.end)
        return last


def _split_reason(text: str) -> tuple[str, str]:
    """"… the published schedule (honesty: members plan around it)" → ("… the published schedule.", "Honesty:
    members plan around it."): an item's trailing reason, in a parenthesis or after a dash; "" when none."""
    tail = _ITEM_REASON.search(text)
    if not tail or _NOT_A_REASON.match(tail.group("r") or tail.group("r2")):
        return text, ""
    reason = (tail.group("r") or tail.group("r2")).strip().rstrip(".")
    return finish(text[:tail.start()].rstrip(" ,;")), finish(ucfirst(reason))


def _sub_value(parent: Section, title: str, start: int, end: int, body: list[Node], **attrs: str) -> Section:
    """A section made up under ``parent`` for a value the spec names without a heading (an ordinal paragraph, a
    bold list item, a system prompt's paragraph), holding ``body``."""
    sec = Section(title=title, level=min(6, parent.level + 1), start=start, end=end, parent=parent)
    sec.attrs.update(attrs)
    sec.body = body
    return sec


def _sentence_span(n: Node, sentence: str) -> tuple[int, int]:
    """The lines of ``sentence`` inside paragraph ``n`` (the paragraph's span if not found)."""
    def norm(t: str) -> str:
        return re.sub(r"[*_`\[\]]", "", t.replace("{model_name}", " "))
    lines = [norm(ln) for ln in n.raw.split("\n")]
    words = norm(sentence).split()
    if not words:
        return n.start, n.end
    flat, owner_line = [], []
    for i, ln in enumerate(lines):
        for w in ln.split():
            flat.append(w)
            owner_line.append(i)
    k = min(4, len(words))
    for j in range(len(flat) - k + 1):
        if flat[j:j + k] == words[:k]:
            last = min(j + len(words) - 1, len(flat) - 1)
            return n.start + owner_line[j], n.start + owner_line[last]
    return n.start, n.end


def lead_in_polarity_only_neg(lead: str, model_name: str | None) -> bool:
    return lead_in_polarity(lead, model_name) == "do_not"


def _under(a: Section, s: Section) -> bool:
    return any(x is s for x in a.ancestors())


def _strong(item: Node) -> str | None:
    p = next((c for c in item.children if c.kind == "para"), None)
    return p.strong_lead if p else None


def _item_first(item: Node) -> str:
    return next((c.text for c in item.children if c.kind == "para"), "")


def _node_text(node: Node) -> str:
    if node.raw:
        return node.raw
    parts = [n.raw or n.text for n in walk_nodes(node.children) if n.kind in ("para", "code")]
    return "\n".join(p for p in parts if p)


def _term_desc(it: Node, first: str) -> tuple[str, str]:
    """An item's bold term and the description after it ("**Honesty**: Kite tells the truth." →
    ("Honesty", "Kite tells the truth.")); the description is "" when the item does not start with its term
    (with no term, the whole item)."""
    raw = _strong(it) or ""
    desc = first[len(raw):].lstrip(" :—–-*").strip() if first.startswith(raw) else ""
    return raw.rstrip(":. "), desc


def _value_term(it: Node, first: str, words: int = 4, sentence: bool = False) -> bool:
    """"**Honesty**: Kite tells the truth.": a short bold name (no list heading such as "Default behaviours
    operators can turn off") followed by a description. With ``sentence``, the name may be a short statement
    ending in a full stop ("**Every decision can be reconstructed.** When something goes wrong …")."""
    term, desc = _term_desc(it, first)
    if sentence and term and desc and len(term.split()) <= 12 and (_strong(it) or "").rstrip().endswith(".") and \
            not re.search(r"\b(?:behaviou?rs?|defaults?|rules?|examples?|don['’]?t|never|always|should|must)\b", term, re.I):
        return True
    return bool(term) and len(term.split()) <= words and bool(desc) and \
        not re.search(r"\b(?:behaviou?rs?|defaults?|can|cannot|rules?|examples?|do|don['’]?t|never|always)\b", term, re.I)


def _value_paragraph(it: Node, first: str) -> bool:
    """"**Entries are private.** Wick treats … It does not … The reason is …": a bold name that is no command,
    then a paragraph of at least three sentences."""
    term, desc = _term_desc(it, first)
    return bool(term) and len(term.split()) <= 14 and not is_imperative(term) and len(sentences(desc)) >= 3


_BACK_REF = re.compile(r"^(?:that|this|it|which)(?:['’]s|\s+is|\s+one|\s+rule|\s+comes|\s+was)\b", re.I)
_POSITIONAL = re.compile(r"^(?:the\s+)?(?:(first|last)\s+(one|two|three|four)|(both))\b", re.I)
_NUM = {"one": 1, "two": 2, "three": 3, "four": 4}


def _focus(rules: list[str], why: str) -> list[str]:
    """One reason paragraph for several rules ("Ramps come first … That's fairness … The back-door rule is
    safety …"): each rule's own part of it. A sentence belongs to the rules it shares the most words with, a
    sentence that points back ("That's fairness") or shares none to the rules of the sentence before, and one that
    picks rules by place ("The first two are honesty", "Both safety") to those. The whole paragraph where there is
    one rule, a short paragraph, or a rule no sentence belongs to."""
    sents = sentences(why)
    if len(rules) < 2 or len(sents) < 3:
        return [why] * len(rules)

    rule_words = [content_words(r) for r in rules]
    out: list[list[int]] = [[] for _ in rules]
    prev: list[int] = []
    for j, x in enumerate(sents):
        m = _POSITIONAL.match(x)
        if m:
            k = 2 if m.group(3) else _NUM[m.group(2).lower()]
            owners = list(range(len(rules) - k, len(rules)) if (m.group(1) or "").lower() == "last" else range(min(k, len(rules))))
        elif _BACK_REF.match(x) and prev:
            owners = prev
        else:
            scores = [shares(w, content_words(x)) for w in rule_words]
            best = max(scores)
            owners = [i for i, sc in enumerate(scores) if sc == best] if best else prev
        for i in owners:
            out[i].append(j)
        prev = owners
    return [" ".join(sents[j] for j in js) if js else why for js in out]


def shares(words: set[str], have: set[str]) -> int:
    """How many of ``words`` are among ``have``, "safe" ~ "safety" (one a prefix of the other, 4+ letters)."""
    return sum(1 for w in words if any(h.startswith(w) or w.startswith(h) for h in have
                                       if min(len(h), len(w)) >= 4 or h == w))


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower().replace("’", "'")) if w not in _STOP and len(w) > 2}
