"""English text helpers for the spec reader: sentences, deontic cues and polarity,
example/dialogue markers, verb forms (lemminflect), the model's name.

Everything here is general English and general Markdown convention; nothing names
a particular spec, model or value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --------------------------------------------------------------------------- ids, sentences

def slugify(text: str, limit: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:limit].rstrip("-")) or "x"


def unique(base: str, taken: set[str]) -> str:
    cand, n = base, 2
    while cand in taken:
        cand, n = f"{base}-{n}", n + 1
    taken.add(cand)
    return cand


_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z{\"“(]|\d+(?:\.\d+)+\s+[A-Z{])")   # "… session. 1.2 The …"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT_SPLIT.split(text.strip()) if s.strip()]


def lcfirst(s: str) -> str:
    if len(s) > 1 and s[1].isupper():       # an acronym ("AI systems")
        return s
    return s[:1].lower() + s[1:]


def ucfirst(s: str) -> str:
    return s[:1].upper() + s[1:]


def finish(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip().rstrip(";,: ")
    return s if s.endswith((".", "!", "?", ".)", ".”", ".\"")) else s + "."


def model_should(subject: str, vp: str, lead: str = "", neg: str = "") -> str:
    """A behaviour as a rule about the model: "[Lead, ]X should [not|never ]VP." ("Before anyone confirms,
    Pilot should state the fare rules.")."""
    lead = lead.strip().rstrip(", ")
    who = f"{ucfirst(lead)}, {subject}" if lead else ucfirst(subject)
    return finish(f"{who} should {neg + ' ' if neg else ''}{vp}")


# --------------------------------------------------------------------------- deontic cues

_MODAL = r"(?:should|must|shall|ought\s+to|needs?\s+to|has\s+to|have\s+to|is\s+(?:expected|required)\s+to)"
_NEG_MODAL = (r"(?:(?:should|must|shall|will|would|may|can|could|ought\s+to)\s+(?:\w+ly\s+)?(?:not|never)|shouldn[’']t|mustn[’']t|"
              r"won[’']t|(?:does\s+not|doesn[’']t|do\s+not|don[’']t)(?!\s*(?:either|too|so)\b|\s*[.,;])|never|"
              r"is\s+not\s+(?:allowed|permitted)\s+to|"
              r"(?:should|must|will)\s+(?:always\s+)?(?:avoid|refuse|refrain))")
_ADV = r"(?:(?:also|still|generally|always|typically|usually|by\s+default|instead|only|then|therefore|not|never|"\
       r"(?!(?:comply|apply|reply|supply|rely|multiply|imply)\b)\w+ly)\s+)*"
# the model must be the subject of the main clause: at the start, or after leading adverbial clause(s)
_PRE = r"^(?:[^.;:!?]{0,300}?,\s+)?"
IMPERATIVE_START = re.compile(r"^(?:never|always|do\s+not|don[’']t|avoid|refuse|refrain|please)\b", re.I)
_NEG_START = re.compile(r"^(?:never|do\s+not|don[’']t|avoid|refuse|refrain\s+from|not)\b", re.I)


def subject_pattern(model_name: str | None) -> str:
    names = [r"\{model_name\}", r"(?:the|our|this)\s+(?:assistant|model|AI|chatbot|agent|bot)", r"you"]
    if model_name:
        names.insert(0, re.escape(model_name))
    return r"(?:" + "|".join(names) + r")"


@lru_cache(maxsize=32)
def _deontic_res(model_name: str | None):
    """Anchored patterns, tried at the start of a sentence and after each ", "."""
    subj = subject_pattern(model_name)
    we = r"(?:we|I)\s+(?:\w+\s+){0,2}"
    pledge = r"(?:we|I)\s+(?:(?:hereby|also|solemnly|publicly)\s+)?(?:pledge|promise|commit|guarantee|undertake|ensure)\s+" \
        r"(?:that\s+)?" + subj + r"\s+(?:will|shall)\s+"
    pos = re.compile(r"(?:" + subj + r"\s+" + _ADV + _MODAL + r"\b|" + subj + r"\s+always\s+(?!\w+ly\b)[a-z]+s\b|" + we +
                     r"(?:want|expect|need|would\s+like|['’]d\s+like|require)\s+" + subj + r"\s+to\b|" +
                     pledge + r"(?!not\b|never\b))", re.I)
    neg = re.compile(r"(?:" + pledge + r"(?:not|never)\b|" + subj + r"\s+" + _ADV + _NEG_MODAL + r"\b|" + we +
                     r"(?:do\s+not|don[’']t|would\s+not|wouldn[’']t)\s+(?:\w+\s+)?want\s+" + subj + r"\s+to\b|" + we +
                     r"(?:want|expect)\s+" + subj + r"\s+(?:to\s+)?(?:never|not)\b)", re.I)
    it_pos = re.compile(r"it\s+" + _ADV + _MODAL + r"\b(?!\s+(?:\w+\s+)?be\s+\w+\s+(?:to|that|for)\b)", re.I)
    it_neg = re.compile(r"it\s+" + _ADV + _NEG_MODAL + r"\b", re.I)
    has_subj = re.compile(r"(?:^|\W)" + subj + r"\W", re.I)
    return pos, neg, it_pos, it_neg, has_subj


_CONNECTIVE_START = re.compile(r"^(?:so|and|but|then|instead|also|thus|therefore|hence|otherwise|still|now|here|"
                               r"(?:that|this)['’]s\s+why|(?:that|this)\s+is\s+why|which\s+is\s+why|"
                               r"above\s+all|in\s+particular|in\s+short|in\s+practice|equally|likewise|similarly|"
                               r"for\s+(?:the\s+same|that|this)\s+reason)\s+",
                               re.I)


def _clause_starts(s: str):
    yield 0
    m = _CONNECTIVE_START.match(s)
    if m:
        yield m.end()
    for m in re.finditer(r",\s+", s[:400]):
        yield m.end()


def deontic(sentence: str, model_name: str | None) -> str | None:
    """``"do"``/``"do_not"`` when the sentence asks something of the model (a modal or
    "we want X to" with the model as the subject of a main clause, or an imperative
    opening), else None."""
    s = sentence.strip().lstrip("*_ ")
    if s.endswith("?"):
        return None
    s = re.sub(r"\b(?:does\s+not|doesn[’']t|do\s+not|don[’']t|need\s+not|is\s+not\s+required\s+to)\s+(?:need|have)\s+to\b",
               "may", s, flags=re.I)
    pos, neg, it_pos, it_neg, has_subj = _deontic_res(model_name)
    for i in _clause_starts(s):
        if neg.match(s, i):
            return "do_not"
        if pos.match(s, i):
            return "do"
        if i and has_subj.search(s[:i]):        # "Where the assistant …, it must …"
            if it_neg.match(s, i):
                return "do_not"
            if it_pos.match(s, i):
                return "do"
    if IMPERATIVE_START.match(s):
        return "do_not" if _NEG_START.match(s) else "do"
    return None


# the assistant named by its role rather than its name ("The assistant therefore asks …", "our bot never …")
GENERIC_ASSISTANT = r"(?:the|our|this)\s+(?:assistant|chatbot|agent|bot)"


def _apposed(s: str, model_name: str | None) -> str:
    """"Our assistant, Moss, will always" → "Moss will always": the name in apposition is the subject."""
    if not model_name:
        return s
    return re.sub(r"^(?:our|the|your|this)\s+(?:[\w-]+\s+)?(?:assistant|bot|chatbot|agent|helper|model|AI),\s+(" +
                  re.escape(model_name) + r"),\s+", r"\1 ", s, flags=re.I)


def lead_in_polarity(text: str, model_name: str | None) -> str | None:
    """How a sentence ending in ':' introduces its list: as behaviours to show
    (``do``), to avoid (``do_not``) or neither (None)."""
    sents = sentences(text.strip()) or [text.strip()]
    s = sents[-1]
    if len(re.sub(r"\([^)]*\)", "", s).split()) < 6 and len(sents) > 1:      # "This includes (…):"
        s = sents[-2] + " " + s
    s = _apposed(s.rstrip(":").strip(), model_name)
    low = s.lower()
    if re.fullmatch(r"\W*always\W*", low):
        return "do"                     # a persona card's "Always:" over the behaviours it asks for
    if re.fullmatch(r"\W*(?:in\s+practice|what\s+(?:this|that|it)\s+looks\s+like(?:\s+in\s+practice)?|concretely|"
                    r"in\s+concrete\s+terms|how\s+(?:this|it)\s+shows\s+up)\W*", low):
        return "do"                     # "**In practice:**" over the behaviours a principle asks for
    subj = subject_pattern(model_name)
    about_model = re.search(r"(?:^|\W)" + subj + r"(?:\s*$|\s+to\b|\s+(?:\w+ly\s+)?(?:should|must|shall|can|could|will|"
                            r"would|may|might|needs?|has|is|are|does|do|never|always|avoids?)\b)", s, re.I) or \
        re.search(r"\b(?:behaviou?rs?|this\s+includes|these\s+include|avoid|never|don[’']t|do\s+not|"
                  r"follow\s+these|the\s+following\s+(?:rules|instructions))\b", low)
    if not about_model:
        return None
    core = re.sub(r"\b(?:for\s+example|for\s+instance|e\.g\.|such\s+as)\b[^,;]*", "", re.sub(r"\([^)]*\)", "", low))
    cw = core.split()
    core = " ".join(cw[:4] + ["|"] + cw[-8:])      # the list's subject: the start or the end of the lead-in
    if re.search(r"\b(?:values|considerations|factors|examples?|questions|cases|costs|benefits|harms|risks|areas|"
                 r"situations|contexts|principals|parties)\b", core) and not re.search(r"\bbehaviou?rs?\b", low):
        return None
    if re.search(r"\b(?:unhappy|uncomfortable|embarrassed|disappointed|concerned|worried)\s+(?:if|when|to\s+see)\b|"
                 r"\b(?:not|never)\s+want\b|\bdon[’']t\s+want\b|\bthings?\s+to\s+avoid\b|\bavoid(?:s|ing)?\b\s*$|"
                 r"\b(?:prohibited|forbidden|disallowed|not\s+allowed|off[- ]limits|red\s+lines?|anti-?patterns?|"
                 r"bad\s+(?:behaviou?rs?|habits?|examples?))\b|\bmust\s+not\b|\bshould\s+not\b|\bshould\s+never\b|"
                 r"\bmust\s+never\b|\bnever\b\s*$|\bdon[’']t\b\s*$|\bdo\s+not\b\s*$|\b(?:will\s+not|won[’']t)\s*$", low):
        return "do_not"
    if re.search(r"\bfollow\s+(?:these|the\s+following)\b|\b(?:these|the\s+following)\s+(?:rules|instructions|guidelines)\b"
                 r"|\b(?:behaviou?rs?|practices|habits|duties|obligations|responsibilities|things\s+\S+\s+(?:can|should|must)\s+do)\b"
                 r"[^.]*\b(?:include|includes|are|:)|\bshould\b|\bmust\b|\bshall\b|\balways\b|\bby\s+default\b|\bexpected\s+to\b|"
                 r"\bwe\s+(?:\w+\s+)?(?:want|ask|expect|need|require)\b|\b(?:can|will)\s+do\b|\bthis\s+includes\b|\bdo\s+the\s+following\b|"
                 r"\bwill\s*$|\b(?:work|behave|act|operate|respond)s?\s+(?:like\s+this|as\s+follows)\s*$", low):
        if deontic(s, model_name) == "do_not" and not re.search(r"\bby\s+default\b", low):
            return "do_not"
        return "do"
    return None


def lead_clause(text: str, model_name: str | None) -> str | None:
    """``"... . X should never:"`` → ``"X should never"``: the last sentence of a
    lead-in when it is itself "<subject> <modal> [not]" and the items complete it."""
    last = sentences(text.strip())[-1] if text.strip() else ""
    last = _apposed(last.rstrip(":").strip(), model_name)
    words = last.split()
    pat = _lead_res(model_name)
    for k in range(1, min(len(words), 9) + 1):       # "<subject> <modal> [not] [by default]" ends the sentence
        if pat.fullmatch(" ".join(words[-k:])):
            return last
    return None


@lru_cache(maxsize=32)
def _lead_res(model_name: str | None):
    return re.compile(subject_pattern(model_name) + r"\s+" + _ADV + r"(?:" + _MODAL + r"|" + _NEG_MODAL + r")"
                      r"(?:\s+(?:not|never|always))?(?:\s+by\s+default)?(?:\s+(?:to|be\s+able\s+to))?\s*", re.I)


# --------------------------------------------------------------------------- examples and dialogue

_ROLE = r"(?:user|assistant|human|ai|model|system|developer|operator|tool|bot|customer|agent|client|patient|student|child|parent)"
_ROLE_TURN = re.compile(r"^\s*[>*_\s]*" + _ROLE + r"\s*\d*\s*(?:\*\*|__)?\s*:(?:\*\*|__)?\s", re.I | re.M)
_TAG_TURN = re.compile(r"</?(?:user|assistant|human|system|developer|tool|example|good|bad)\b[^>]*>", re.I)
EXAMPLE_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?P<emoji>[✅❌✔✗✘👍👎]\s*)?(?P<word>good|bad|better|worse|correct|incorrect|compliant|violation|"
    r"acceptable|unacceptable|preferred|ideal|wrong|right|example|examples|sample|transcript|for\s+example)"
    r"(?:\s+(?:example|response|answer|reply|output|behaviou?r|dialogue|conversation|transcript)s?)?(?:\s*\d+)?"
    r"\s*(?:\([^)]*\))?\s*(?:\*\*|__)?\s*(?:[:.—–-]|$)", re.I)
_EMOJI_LABEL = re.compile(r"^\s*(?:\*\*)?\s*([✅❌✔✗✘👍👎])")
_GOOD = {"good", "better", "correct", "compliant", "acceptable", "preferred", "ideal", "right", "✅", "✔", "👍"}
_BAD = {"bad", "worse", "incorrect", "violation", "unacceptable", "wrong", "❌", "✗", "✘", "👎"}


def example_label(text: str) -> tuple[bool, str | None]:
    """(is this an example label, 'good'/'bad'/None) for a paragraph like "BAD: ..."."""
    m = EXAMPLE_LABEL.match(text)
    e = _EMOJI_LABEL.match(text)
    if not m and not e:
        return False, None
    if m and not e and not m.group("emoji") and m.group(0).rstrip().endswith(".") and "**" not in m.group(0) and \
            "__" not in m.group(0) and " " not in m.group("word") and \
            re.match(r"\s*[A-Z][a-z]+\s+[a-z]", text[m.end():]) and m.group(0).strip()[:-1].strip().isalpha():
        return False, None       # a transcript's "Right. At the end of a session …": a reply, not a label
    word = (m.group("word").lower() if m else "") if m else ""
    emoji = (e.group(1) if e else "") or (m.group("emoji") or "").strip() if m else (e.group(1) if e else "")
    label = "good" if (word in _GOOD or emoji in _GOOD) else "bad" if (word in _BAD or emoji in _BAD) else None
    return True, label


def is_dialogue(raw: str) -> bool:
    """Text holding conversation turns ("User: …", "**Assistant:** …", ``<user>…``)."""
    if _TAG_TURN.search(raw):
        return True
    return len(_ROLE_TURN.findall(raw)) >= 2        # one "User: …" line may be a definition


EXAMPLE_HEADING = re.compile(r"^(?:(?:\d+(?:\.\d+)*|[A-Z])[.)]?\s+)?(?:worked\s+|more\s+)?(?:examples?|sample\s+(?:conversations?|dialogues?)|transcripts?|"
                             r"illustrations?|case\s+stud(?:y|ies)|(?:hard|difficult|edge|tricky|borderline)\s+cases?|"
                             r"scenarios?|check\s+your\s+understanding|test\s+yourself|quiz(?:zes)?|self[- ]check|"
                             r"knowledge\s+check|answer\s+key)\b", re.I)


# --------------------------------------------------------------------------- verbs (lemminflect)

_CONJ = {"and", "or", "of", "&", "in", "for", "vs", "versus", "with", "to", "as", "the"}


@lru_cache(maxsize=4096)
def _lemmas(word: str) -> dict:
    from lemminflect import getAllLemmas
    return getAllLemmas(word.lower())


def verb_base(word: str) -> str | None:
    """The base form of a verb form ("refuses" → "refuse", "acting" → "act"), or None."""
    w = word.lower()
    if w in ("is", "are", "am", "being", "be"):
        return "be"
    if w in ("has", "having"):
        return "have"
    if w in ("does", "doing"):
        return "do"
    lem = _lemmas(w)
    v = lem.get("VERB")
    return v[0] if v else None


_OBJECT_START = {"the", "a", "an", "your", "their", "its", "his", "her", "our", "my", "this", "that", "these", "those",
                 "users", "user", "people", "others", "what", "when", "up", "out", "no", "any", "all", "every", "only",
                 "it", "them", "yourself", "itself", "back", "down", "off", "away", "clearly", "carefully", "honestly",
                 "openly", "each"}


def is_imperative(text: str) -> bool:
    """A heading or item that is a command ("Respect the user's time", "Do not lie")."""
    s = re.sub(r"^[\W\d]+", "", text).strip()
    if IMPERATIVE_START.match(s):
        return True
    words = re.findall(r"[A-Za-z’']+", s)
    if len(words) < 2 or words[1].lower() in _CONJ - {"to", "in", "for", "with", "the"}:
        return False
    w = words[0].lower()
    if w == "be":
        return True
    lem = _lemmas(w)
    if "VERB" not in lem or lem["VERB"][0] != w:
        return False
    if set(lem) <= {"VERB", "AUX"}:
        return True
    return words[1].lower() in _OBJECT_START      # "Respect the …" (verb or noun: the next word decides)


def could_be_imperative(text: str) -> bool:
    """A heading whose first word may be a command in its base form, where the words alone leave it open ("Point
    to the source", "Keep reading records private": verbs, or nouns); the section's body or its siblings decide."""
    if is_imperative(text):
        return True
    s = re.sub(r"^[\W\d]+", "", text).strip()
    words = re.findall(r"[A-Za-z’']+", s)
    if len(words) < 2 or words[1].lower() in {"of", "and", "or", "vs", "versus", "as", "is", "are"}:
        return False
    lem = _lemmas(words[0].lower())
    return "VERB" in lem and lem["VERB"][0] == words[0].lower()


_QUESTION_AUX = (r"(?P<aux>does|do|did|will|would|won['’]t|doesn['’]t|don['’]t|didn['’]t|wouldn['’]t|can['’]t|cannot|"
                 r"should|shouldn['’]t)")


_FAQ_PREFIX = re.compile(r"^\W*(?:Q|Question)\s*\d*\s*[:.]\s*", re.I)


def yes_no_rule(title: str, answer: str, model_name: str | None) -> tuple[str, str] | None:
    """An FAQ's yes/no question about the model answered "No." or "Yes." ("Will X tell a customer whether
    their claim will be approved?" / "No. …") → ("X should not tell a customer …", "do_not")."""
    m = re.match(r"^\W*(?P<aux>will|does|would|can|should|is)\s+(?P<subj>" + subject_pattern(model_name) +
                 r")\s+(?P<rest>[^?]{6,}?)\s*\?\s*$", _FAQ_PREFIX.sub("", title), re.I)
    a = re.match(r"\W*(no|yes)\b", answer, re.I)
    if not m or not a or m.group("subj").lower() == "you":
        return None
    rest = m.group("rest").strip()
    aux = m.group("aux").lower()
    if aux == "is":
        # "Is X allowed to share …?" asks about a behaviour; "Is X a real person?" asks what it is
        allowed = re.match(r"(?:allowed|permitted|able|supposed|going)\s+to\s+", rest, re.I)
        if not allowed:
            return None
        rest = rest[allowed.end():]
    if aux == "can" and a.group(1).lower() == "yes":
        return None                    # "Can X sell me a ticket?" / "Yes": what it is able to do, not a rule
    first = rest.split()[0].lower()
    if first in ("be", "ever", "do") or not re.fullmatch(r"[a-z’'-]+", first):
        return None
    who = ucfirst(m.group("subj"))
    if a.group(1).lower() == "no":
        return finish(f"{who} should not {rest}"), "do_not"
    return finish(f"{who} should {rest}"), "do"


def question_rule(title: str, model_name: str | None) -> tuple[str, str] | None:
    """A heading that asks why (or how) the model does something: "Why does X never ask for a PIN?" →
    ("X should never ask for a PIN.", "do_not"); "How should X explain fees?" → ("X should explain fees.",
    "do"). None for any other heading ("What should X do when ...?" holds its rule in the answer)."""
    subj = subject_pattern(model_name)
    title = _FAQ_PREFIX.sub("", title)                 # "Q: Why does X …?" in an FAQ
    m = re.match(r"^\W*(?:why|how\s+come|how)\s+" + _QUESTION_AUX + r"\s+(?P<subj>" + subj + r")\s+(?P<rest>[^?]{6,}?)\s*\?\s*$",
                 title, re.I)
    if not m or m.group("subj").lower() == "you":
        return None
    aux, rest = m.group("aux").lower(), m.group("rest").strip()
    if title.lower().lstrip(" *_").startswith("how") and not aux.startswith("should"):
        return None
    neg = "n" in aux[-3:] and aux.endswith(("n't", "n’t")) or aux == "cannot"
    lead = re.match(r"(never|not|always)\s+", rest, re.I)
    if lead:
        neg = neg or lead.group(1).lower() != "always"
        rest = rest[lead.end():] if lead.group(1).lower() == "not" else rest
    first = rest.split()[0].lower()
    if first in ("do", "does") or not re.fullmatch(r"[a-z’'-]+", first):
        return None                     # "Why does X do this?": no behaviour named
    who = ucfirst(m.group("subj"))
    if neg and not re.match(r"never\b", rest, re.I):
        return finish(f"{who} should not {rest}"), "do_not"
    return finish(f"{who} should {rest}"), "do_not" if neg else "do"


def to_base_clause(item: str) -> tuple[str | None, bool]:
    """An item in 3rd person or -ing form as a base-form clause, and whether it is negated:
    "Refuses a request" → ("refuse a request", False); "Not undermining X" → ("undermine X", True);
    "Doesn't consider X" → ("consider X", True)."""
    s = item.strip().lstrip("*_ ").strip()
    neg = False
    m = re.match(r"^(?:does\s+not|doesn[’']t|do\s+not|don[’']t|not|never|no\s+longer)\s+", s, re.I)
    if m:
        neg, s = True, s[m.end():]
    words = s.split(" ", 2)
    adv = []
    while words and words[0].lower().endswith("ly") and len(words) > 1 and verb_base(words[0]) is None:
        adv.append(words[0].lower())
        s = s[len(words[0]):].lstrip()
        words = s.split(" ", 2)
    if not words or not words[0]:
        return None, neg
    first = re.sub(r"[^\w’']", "", words[0])
    base = verb_base(first)
    if base is None and first.lower() in ("always", "also", "only", "still", "just"):
        rest, n2 = to_base_clause(s[len(words[0]):].lstrip())
        return (f"{first.lower()} {rest}" if rest else None), neg or n2
    if base is None:
        return None, neg
    rest = s[len(words[0]):]
    if first.lower() != base:       # "assumes or cites" → "assume or cite"; "drafting, then critiquing" → …
        rest = re.sub(r"(\b(?:or|and|then|and then)\s+)(\w+(?:s|ing))\b",
                      lambda m: m.group(1) + (verb_base(m.group(2)) if verb_base(m.group(2)) and
                                              verb_base(m.group(2)) != m.group(2).lower() and
                                              m.group(2).endswith(("s", "ing")) == first.endswith(("s", "ing"))
                                              else m.group(2)), rest)
    rest = re.sub(r"\byour\s+own\b", "its own", rest)
    rest = re.sub(r"\byourself\b", "itself", rest)
    rest = re.sub(r"\byour\b", "its", rest)
    return " ".join(adv + [base]) + rest, neg


# --------------------------------------------------------------------------- the model's name

_NAME = r"([A-Z][\w-]{1,40})"
_NOT_NAMES = {"The", "This", "It", "When", "If", "A", "An", "Both", "That", "These", "We", "Our", "In", "Each", "You",
              "Your", "I", "They", "He", "She", "Users", "User", "Assistant", "Model", "Operators", "Developers", "AI",
              "Here", "There", "Such", "What", "Who", "All", "Any", "Some", "Most", "No", "Never", "Always", "Note"}


_I_SENTENCE = re.compile(r"(?:^|(?<=[.!?]\s))I(?:\s|['’]m\s)", re.M)


def is_first_person(prose: str) -> bool:
    """The model states its own principles ("I am Sol … I never …"): at least three sentences open with "I",
    and the text says who "I" is near its start."""
    return len(_I_SENTENCE.findall(prose)) >= 3 and bool(re.search(r"\bI am\b|\bI['’]m\b", prose[:3000]))


_PRESENT_HABIT = r"(?:\w+ly\s+)?(?!(?:is|has|was|does|seems|needs|means)\b)[a-z]+s\b"


def is_descriptive(prose: str, model_name: str | None) -> bool:
    """The spec describes what the model does ("Kesh reads only the accounts …", "Corran will rank …") at least as
    often as it says what the model should do: at least three such sentences, and no fewer than the model's
    "should"/"must" sentences. Its habits and "will" commitments are then its rules."""
    if not model_name:
        return False
    subj = r"(?:^|[,;—–]\s*|\b(?:and|so|then|why)\s+)(?:" + re.escape(model_name) + "|" + GENERIC_ASSISTANT + \
        r")\s+(?:\w+ly\s+|therefore\s+|thus\s+|also\s+)?"
    habit = re.compile(subj + r"(?:will\s+(?!not\b|never\b|be\b)[a-z]+|" + _PRESENT_HABIT + r")", re.I)
    told = re.compile(subj + _MODAL + r"\b", re.I)
    desc = norm = 0
    for line in prose.split("\n"):
        for s in sentences(line):
            if habit.search(s[:200]):
                desc += 1
            elif told.search(s[:200]):
                norm += 1
    return desc >= 3 and desc >= norm


def is_second_person(prose: str) -> bool:
    """A system prompt addressed to the model ("You are Pilot, … You never …"): it says "You are <Name>" near its
    start and at least three sentences have "you" as their subject."""
    letter = _LETTER_TO.search(prose[:3000])           # "Dear Brisk, … please never ask …": fewer "you" openings
    return bool(re.search(r"\bYou\s+are\s+[A-Z]|\bYou,\s+[A-Z][\w-]+,", prose[:3000]) or letter) and \
        len(re.findall(r"(?:^|[.!?]\s+|,\s+)you\s+(?:\w+ly\s+)?(?:never|do\s+not|don['’]t|always|should|must|[a-z]+)\b|"
                       r"(?:^|[.!?]\s+)(?:never|always|do\s+not|don['’]t)\s+[a-z]+",
                       prose, re.I | re.M)) >= (1 if letter else 3)


_NOT_HABIT = {"are", "were", "have", "can", "could", "may", "might", "will", "would", "need", "know", "see", "think",
              "want", "feel", "get", "cannot", "seem", "had", "did"}


def _third_person(word: str) -> str:
    """"make" → "makes" after "it"; any word that is no base-form verb (or is a modal) is left as it is."""
    if word in ("can", "could", "may", "might", "must", "shall", "should", "will", "would", "is", "was", "has",
                "does") or verb_base(word) != word:
        return word
    from lemminflect import getInflection
    got = getInflection(word, "VBZ")
    return got[0] if got else word


def _conditional_command(s: str) -> tuple[str, str] | None:
    """("If a customer says that they, or someone with them, are having a reaction", "stop talking about the
    order.") for a condition, then a command after one of its first three commas; None otherwise."""
    if not re.match(r"(?:if|when|whenever|once|before|after|unless|while)\b", s, re.I):
        return None
    for k, m in enumerate(re.finditer(r",\s+", s[:400])):
        if k >= 3:
            break
        body = s[m.end():]
        # after a condition, a word that can be a verb in its base form opens a command ("stop talking …")
        if (could_be_imperative(body) or IMPERATIVE_START.match(body)) and \
                not re.match(r"(?:it|this|that|there|they|we|he|she|i)\b", body, re.I):
            return s[:m.start()].strip(), lcfirst(body)
    return None


def second_person_rule(sentence: str, subject: str) -> tuple[str, str] | None:
    """A system prompt's instruction as a rule about the model: "You quote the total price …" → ("Pilot should
    quote the total price …", "do"); "When a carrier cancels, you tell the traveller straight away" → ("When a
    carrier cancels, Pilot should tell …", "do"); "You never invent urgency" / "Do not use emoji" → "do_not";
    "Protect the traveller's privacy." → "do". None for a sentence that is no instruction ("You are Pilot")."""
    s = sentence.strip()
    m = re.match(r"(?P<lead>.{0,250}?,\s+)?(?:and\s+|so\s+|then\s+)?you\s+(?P<vp>.+)$", s, re.I | re.S)
    if m and not re.search(r"\byou\b", m.group("lead") or "", re.I):
        lead, vp = (m.group("lead") or "").strip().rstrip(","), m.group("vp")
    elif (is_imperative(s) or IMPERATIVE_START.match(s)) and not re.match(re.escape(subject) + r"\b", s):
        lead, vp = "", lcfirst(s)
    elif (c := _conditional_command(s)):
        lead, vp = c                      # "If a customer says they are having a reaction, stop talking about …"
    else:
        return None
    vp = re.sub(r"^(?:also|only|then|instead)\s+", "", vp.strip())
    neg = re.match(r"(?:(?:should|must|will|shall)\s+(?:not|never)|do\s+not|don['’]t|never|won['’]t|shouldn['’]t|"
                   r"mustn['’]t)\s+", vp, re.I)
    if neg:
        vp = vp[neg.end():]
    else:
        vp = re.sub(r"^(?:should|must|shall|always|will(?:\s+always)?)\s+", "", vp)     # a charter's "You will …"
        first = re.match(r"([a-z]+)\b", vp)
        if first and first.group(1).endswith("ly") and verb_base(first.group(1)) is None:
            first = re.match(r"\w+\s+([a-z]+)\b", vp)          # "politely decline": the verb after the adverb
        if not first or first.group(1) in _NOT_HABIT or verb_base(first.group(1)) != first.group(1):
            return None
    # outside quotation marks ("never say it is \"safe for you\""), "you" is the model, now "it"
    parts = re.split(r"(\"[^\"]*\"|“[^”]*”)", vp)
    vp = "".join(p if i % 2 else re.sub(r"\byourself\b", "itself", re.sub(r"\byour\b", "its", re.sub(
        r"\byou\b", "it", p, flags=re.I), flags=re.I), flags=re.I) for i, p in enumerate(parts))
    # "… you do not say …", "before you make the swap": the model is "it" now, and takes the third person
    vp = re.sub(r"\bit (do|are|have|were)\b", lambda m: "it " + {"do": "does", "are": "is", "have": "has",
                                                                   "were": "was"}[m.group(1)], vp)
    vp = re.sub(r"\b(before|after|if|when|whenever|unless|until|while|because|that|where|since|once|as|though|although)"
                r" it ([a-z]+)\b", lambda m: f"{m.group(1)} it {_third_person(m.group(2))}", vp)
    return model_should(subject, vp.rstrip(". "), lead, "not" if neg else ""), ("do_not" if neg else "do")


_FIRST_PERSON_RULE = re.compile(
    r"^(?:[^,]{0,100},\s+)?I\s+(?:(?P<neg>never|do\s+not|don['’]t|will\s+not|won['’]t|would\s+never|will\s+never|"
    r"refuse\s+to|decline\s+to)|(?P<pos>always|will|must|should|make\s+(?:sure|a\s+point)\s+to))\s+(?P<vp>.{8,})$", re.S)


def first_person_rule(sentence: str, subject: str) -> tuple[str, str] | None:
    """A commitment the model makes in its own voice, as a rule about it: "I never invent sources." →
    ("Sol should never invent sources.", "do_not"); None for any other sentence."""
    m = _FIRST_PERSON_RULE.match(sentence.strip())
    if not m:
        return None
    vp = m.group("vp").strip()
    # the rest of the sentence speaks of the model as "I/me/my" too
    vp = _about_itself(vp)
    lead = sentence.strip()[:m.start("neg") if m.group("neg") else m.start("pos")].rstrip()
    lead = lead[:-1].rstrip() if lead.endswith("I") else lead
    if m.group("neg"):
        return model_should(subject, vp, lead, "never" if m.group("neg").lower().endswith("never") else "not"), "do_not"
    return model_should(subject, vp, lead, "always" if m.group("pos").lower() == "always" else ""), "do"


_STATE_VERBS = {"am", "was", "have", "had", "can", "could", "may", "might", "care", "think", "know", "believe", "feel",
                "hope", "want", "need", "mean", "love", "like", "get", "see", "find", "wish", "guess", "suppose"}
_REASON_TAIL = re.compile(r"[,;]?\s+(?:since|because)\s+(?=\w)|,\s+as\s+(?=\w)|[,;]\s+so\s+that\s+(?=\w)|;\s+(?=\w)", re.I)


def split_reason(text: str, min_start: int = 15) -> tuple[str, str]:
    """"I won't guess a day; a guessed Tuesday is worse than …" → ("I won't guess a day", "a guessed Tuesday is
    worse than …"): a sentence's trailing reason after "since", "because" or a semicolon; "" when none."""
    tail = _REASON_TAIL.search(text)
    if not tail or tail.start() < min_start:
        return text, ""
    return text[:tail.start()].rstrip(" ,;"), text[tail.end():].strip()


def first_person_habit(sentence: str, subject: str) -> tuple[str, str, str] | None:
    """What the model says it does, in its own voice and the present tense, as a rule about it, with the reason
    the sentence gives: "I check the postcode before answering, since rounds differ …" → ("X should check the
    postcode before answering.", "do", "Rounds differ …"). None for "I am …", "I care about …" and other sentences."""
    m = re.match(r"^(?:(?P<lead>(?:[^,]{0,100}|(?i:if|when|whenever|once|where|before|after)\b.{0,160}?)),\s+|"
                 r"(?P<lead2>(?i:before|after|when|once|while|whenever|on)\s+\w+ing\b[^,]{0,60}?)\s+)?"
                 r"I\s+(?:also\s+|always\s+|just\s+)?(?P<v>[a-z]+)\s+(?P<rest>\S.{6,})$", sentence.strip(), re.S)
    if not m or m.group("v") in _STATE_VERBS or verb_base(m.group("v")) != m.group("v"):
        return None
    rest, reason = split_reason(m.group("rest"), min_start=11)
    vp = _about_itself(m.group("v") + " " + rest.strip().rstrip("."))
    return model_should(subject, vp, _about_itself(m.group("lead") or m.group("lead2") or "")), "do", \
        finish(ucfirst(reason)) if reason else ""


def _about_itself(vp: str) -> str:
    """The rest of a sentence the model says of itself, about it: "… and I give the drop-off point" → "… and give
    the drop-off point"; "if I have to mention a code I explain it" → "if it has to mention a code it explains it"."""
    vp = re.sub(r"\b(?:and|then|or)\s+I\s+(?=[a-z])", lambda m: m.group(0).split()[0] + " ", vp)
    vp = re.sub(r"\bI['’]m\b|\bI\s+am\b", "it is", vp)
    vp = re.sub(r"\bI['’]ve\b", "it has", vp)

    vp = re.sub(r"\bI\s+([a-z’']+)", lambda m: "it " + _third_person(m.group(1)), vp)
    return re.sub(r"\bI\b", "it", re.sub(r"\bme\b", "it", re.sub(r"\bmyself\b", "itself", re.sub(r"\bmy\b", "its", vp))))


def detect_model_name(prose: str, front_matter: dict | None = None) -> tuple[str | None, list[str]]:
    """The assistant's name as the spec states it (front matter ``model_name``; "X is trained
    by …"; "the assistant, X, …"; "describes X's …"; else the subject of at least three "X
    should/must/values …" sentences). ``prose`` excludes code, examples and quotes."""
    placeholders = sorted(set(re.findall(r"\{(model_name|provider_name)\}", prose)))
    fm = front_matter or {}
    for key in ("model_name", "assistant_name", "assistant", "model"):
        v = fm.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip(), placeholders
    if "model_name" in placeholders:
        return None, placeholders
    for pat in (_NAME + r" is (?:trained|developed|built|made|created|designed|operated) by\b",
                r"\bI am " + _NAME + r"\b(?=[,.])",
                r"(?:^|\n|\. )" + _NAME + r" is (?:a|an) [\w\s-]{0,40}?(?:assistant|agent|chatbot|bot|tutor|helper|robot)\b",
                r"(?:^|\n|\. )" + _NAME + r" is the [\w\s'’-]{0,40}?(?:assistant|agent|chatbot|bot|robot)\b",
                # "Wick is the AI journaling companion": a companion or a coach only when the words say it is a
                # machine ("Safety is the companion of trust")
                r"(?:^|\n|\. )" + _NAME + r" is (?:a|an|the) (?:[\w-]+ ){0,3}?(?:AI|automated|virtual|digital)\b"
                r"[\w\s-]{0,30}?(?:companion|coach|tutor|helper|guide|advis[eo]r|concierge|receptionist)\b",
                _NAME + r", (?:the|a|an|our|their|its) [\w\s'’-]{0,40}?(?i:assistant|model|agent|chatbot|bot|tutor|"
                r"receptionist|concierge|robot)\b",
                # a persona card's "Name: Bramble" line
                r"(?:^|\n)(?:Name|Assistant(?:'s)? name|Model name)\s*:\s*" + _NAME + r"\s*(?=\n|$|[A-Z][\w ]{1,20}:)",
                # a title "Quill: a public-library reference assistant", "Fern — the planting assistant"
                r"(?:^|\n)" + _NAME + r"\s*(?::|\s[-–—])\s*(?:the|a|an|our)\s[\w\s'’-]{0,50}?"
                r"(?:assistant|agent|chatbot|bot|tutor|helper|robot|guide|advisor|adviser|companion)s?\s*(?:\n|$)",
                # "Cylchi is Glanaber County Council's online assistant"
                r"(?:^|\n|\. )" + _NAME + r" is (?:[A-Z][\w-]*\s){1,5}?[\w-]*['’]s (?:[\w-]+ ){0,3}?"
                r"(?:assistant|agent|chatbot|bot|tutor|helper|robot)\b",
                # the first line a title: "Halden - Northvale Networks power cut line assistant"
                r"^\W{0,4}" + _NAME + r"\s*(?::|\s[-–—])\s*[\w\s'’-]{0,60}?"
                r"(?:assistant|agent|chatbot|bot|tutor|helper|robot|guide|companion)\s*(?:\n|$)",
                r"\bthe (?:assistant|model|AI|chatbot|agent|bot)(?: \w+)?,? (?:called|named) " + _NAME,
                r"\bthe (?:assistant|model|AI|chatbot|agent|bot), " + _NAME + r",",
                r"\b(?:describes|governs|defines) (?:the )?" + _NAME + r"['’]s\b",
                # "this transcript is the behaviour specification for X"
                r"\b(?:behaviou?r(?:al)?\s+)?spec(?:ification)?\s+(?:for|of)\s+" + _NAME + r"\b(?=[;,.:])",
                r"\b(?:assistant|model|agent|bot) is called " + _NAME,
                # "the automated loan information assistant known as "Cobbett" (the "Assistant")"
                r"\b(?i:assistant|agent|chatbot|bot)\b[^.\n]{0,60}?\b(?:known\s+as|called|named)\s+[\"“]?" + _NAME + r"\b[\"”]?",
                # a defined term: "**Assistant** means Halden, the automated help feature …"
                r"(?:^|\n|[-*] )(?:the\s+)?(?i:assistant|chatbot|bot|agent)\W{0,3}\s+means\s+" + _NAME + r"\b(?=[,.;])",
                r"\bYou,\s+" + _NAME + r",\s"):          # a charter said to the model: "You, Quill, answer …"
        for m in re.finditer(pat, prose):
            if m.group(1) not in _NOT_NAMES:
                return m.group(1), placeholders
    counts: dict[str, int] = {}
    for m in re.finditer(_NAME + r"(?:['’]s)? (?:values|likes|dislikes|prefers|should|must|shall|will|does not|never|always|cares)\b"
                         r"|(?:^|(?<=[-*] )|(?<=[.!?] ))" + _NAME + r" (?:asks|says|tells|gives|checks|refuses|declines|"
                         r"explains|keeps|uses|offers|waits|reads|writes|answers|points|flags|reports|stops|admits|notes|"
                         r"helps|suggests|recommends|names|mentions|sets|leaves|says|shows|sends|books|reviews|re-routes|"
                         r"repeats|knows)\b(?!\s*:)",       # "Speaker notes:" is a label, not a habit
                         prose, re.M):
        name = m.group(1) or m.group(2)
        if name not in _NOT_NAMES:
            counts[name] = counts.get(name, 0) + 1
    if counts:
        name, n = max(counts.items(), key=lambda kv: kv[1])
        if n >= 3:
            return name, placeholders
    m = _LETTER_TO.search(prose[:3000])
    if m and m.group(1) not in _NOT_NAMES and len(re.findall(r"\byou\b", prose, re.I)) >= 5:
        return m.group(1), placeholders        # a letter to the model itself: "Dear Brisk, … you …"
    return None, placeholders


_LETTER_TO = re.compile(r"(?:^|\n)\s*(?:Dear|To)\s+" + _NAME + r"\s*[,:]\s*(?:\n|$)")
