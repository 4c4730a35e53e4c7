"""The English the attribution check reads links with: connectives, preference and negation words.

Nothing here belongs to a spec: these are the ways English says "because",
"likes", "does not" and "the assistant". Everything spec-specific (values,
behaviours, objects, the model's name) comes from :mod:`.attribution_index`.

A connective is ``(regex, kind)``:

* ``B``: effect before, cause after ("X because Y", "X is rooted in Y");
* ``F``: cause before, effect after ("Y, so X", "Y is why X", "Y leads it to X");
* ``Q``: a question about the behaviour answered in the next sentence ("Why? Because Y");
* ``D``: concession ("despite Y", "even though Y"): the behaviour goes against the cause.
"""

from __future__ import annotations

import re

from ._gate import WORD_START, WordGate, heads_of  # noqa: F401 (WORD_START: for callers)

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_ANAPHOR = r"(?:this|that|these|those|it|such|which)"

# "came out of training", "got out of the loop": "out of" after a verb of motion is a place, not a motive (and
# "talked him out of giving up": before a gerund it is a phrasal verb; motives are nouns, "out of respect")
_NOT_MOTION = "".join(f"(?<!{w} )" for w in ("come", "came", "comes", "coming", "get", "gets", "got", "getting", "go",
                                             "goes", "went", "going", "run", "ran", "walked", "stepped", "moved",
                                             "dropped", "opted", "took", "taken", "grow", "grew", "grown"))

CONNECTIVES: list[tuple[str, str]] = [
    # effect ... cause
    (r"because(?: of)?", "B"), (_NOT_MOTION + r"(?:not )?(?:simply |merely |just )?out of(?! (?:\w+ing\b|stock|the (?:box|way|loop|room|office|question)"
                                 r"|a |town|date|print|reach|time|hand|order|place|\d))", "B"),
    # "out of a very simple principle", "out of a real concern for …": a motive behind an article
    (_NOT_MOTION + r"out of (?=an? (?:[\w-]+ ){0,2}(?:principle|belief|conviction|sense|concern|commitment|desire|duty|"
                   r"view|wish|instinct|respect|care|loyalty|fear)\b)", "B"),
    (r"since(?! (?:\d|then|last|early|the (?:day|start|beginning|launch|first|late|early)|its (?:launch|release|founding)|"
     + _MONTHS + r"|yesterday|childhood|before|at least))", "B"),
    (r"due to", "B"), (r"owing to", "B"), (r"for the sake of", "B"), (r"on account of", "B"),
    (r"in (?:the )?service of", "B"), (r"(?:is |are |was )?(?:driven|motivated|guided|informed|shaped|dictated|governed)"
                                        r" (?:\w+ )?by", "B"),
    (r"(?:is |are |was )?(?:firmly |deeply |squarely )?(?:rooted|grounded|anchored|based|founded|built) (?:\w+ )?(?:in|on|upon)", "B"),
    (r"(?:stems?|stemmed|stemming|flows?|flowed|springs?|sprang|derives?|derived|comes?|came|follows?|followed|grows?|grew)"
     r" (?:directly |straight |largely |mostly |entirely )?(?:out )?(?:from|of)(?= (?:a|an|the|its|his|her|their|our|what|how|one|two|a single)\b)", "B"),
    (r"born (?:out )?of", "B"), (r"traces? back to", "B"), (r"in (?:keeping|line) with", "B"),
    (r"consistent with", "B"), (r"reflects?|reflected|reflecting", "B"), (r"(?:an? )?(?:reflection|expression|consequence|result|"
                                                                          r"product|outgrowth|application) of", "B"),
    (r"comes? down to", "B"), (r"given that", "B"), (r"in order to", "B"), (r"so that", "B"),
    (r"(?:the|its|their|one) (?:\w+ )?(?:reason|motive|motivation|rationale|explanation|justification)"
     r"(?: (?:is|was|here is|behind (?:this|that|it) is|for (?:this|that|it) is))?(?: simply)?(?: that)?(?=[\s:,])", "B"),
    # "the thinking", "the logic" are reasons only as the subject of "is" ("the thinking is ...") or before a colon
    (r"(?:the|its|their) (?:\w+ )?(?:logic|thinking)(?: (?:is|was|here is|behind (?:this|that|it) is)(?: simply)?(?: that)?(?=[\s:,])|(?=:))",
     "B"),
    # purpose: "the no-lifting rule is there for her safety", "the pipeline exists for one reason: …"
    (r"(?:is|are|was|were) (?:only |simply |just )?there (?:to|for|so that)(?=\W)", "B"),
    (r"(?:exists?|existed) (?:only |solely |simply |precisely )?(?:for (?:one|a single|a simple|that|this) reason|to|for)"
     r"(?=\W)", "B"),
    (r"reason being", "B"), (r"(?:it is|it's|this is|that is|that's) (?:all )?(?:about|a matter of)", "B"),
    (r"on the grounds that", "B"), (r"for (?:reasons|the reason) of", "B"), (r"explained by", "B"),
    (r"(?<=\bit )(?:answers|answering) to", "B"), (r"with (?:an eye|a view) to", "B"),
    (r"what (?:drives|drove|motivates|motivated|explains|explained|underlies|underlay|lies behind|lay behind|is behind|"
     r"sits behind|guides|guided|informs|informed)(?: (?:this|that|it|all this|all of this|them))?(?: \w+)? (?:is|was|are)", "B"),
    (r"(?:is |are |was |were )?(?:prompted|triggered|underpinned|inspired|dictated) by", "B"),
    (r"(?:owes?|owed|owing) (?:\w+ ){0,2}to", "B"), (r"in the name of", "B"), (r"for fear of", "B"),
    (r"(?:is|was|are|were|be|been) (?:largely |partly |mostly )?(?:attributed|ascribed|put down|credited) to", "B"),
    # "What kept it from accepting the offer was ...": the clause up to "was" is the effect (attribution_doc)
    (r"what (?:kept|keeps|stopped|stops|held|holds) (?:it|him|her|them|the \w+|\w+) (?:back )?from", "B"),
    # cause ... effect
    (r"(?:that|this|which|it)(?:'s| is| was)? (?:exactly |precisely |partly |largely |the whole |the real |the main |the )?"
     r"(?:why|reason|what (?:makes|made|leads|led|drives|drove|pushes|pushed|moves|moved|prompts|prompted))", "F"),
    (r"(?:is|was|'s) (?:exactly |precisely |partly |largely )?(?:why|the (?:\w+ )?reason(?: why)?)", "F"),
    (r"therefore", "F"), (r"thus", "F"), (r"hence", "F"), (r"consequently", "F"), (r"accordingly", "F"),
    (r"as a (?:result|consequence)", "F"), (r"for (?:this|that|these|those) reasons?", "F"), (r"it follows that", "F"),
    (r"so(?=,? (?:it|he|she|they|we|the|its|this|that)\b)", "F"), (r"which means", "F"),
    # "X leads it to Y" (the verb needs its "to": "may tell it things" is no link); "X makes it (refuse|cautious)"
    (r"(?:leads?|led|leading|drives?|drove|driving|pushes|pushed|prompts?|prompted|moves?|moved|compels?|compelled|"
     r"obliges?|obliged|requires?|required|causes?|caused|inclines?|inclined|tells?|told) "
     r"(?:it|him|her|them|the (?:assistant|model|ai|agent|bot)) (?:to|toward|towards)\b", "F"),
    (r"(?:makes?|made) (?:it|him|her|them|the (?:assistant|model|ai|agent|bot)) ", "F"),
    (r"explains? (?:why|its|the)", "F"), (r"means (?:that )?(?=it\b|the\b)", "F"),
    (r"behind (?:its|the|this|that|his|her|their)", "BEHIND"),
    # concession: the behaviour goes against the value
    (r"despite", "D"), (r"in spite of", "D"), (r"even though", "D"), (r"regardless of", "D"),
    (r"notwithstanding", "D"),
]

QUESTION = re.compile(r"\bwhy\b|\bwhat (?:makes|explains|drives|is behind)\b|\bhow come\b", re.I)
ANSWER_LEAD = re.compile(r"^\W*(?:[A-Z][\w ]{0,20}:\s*)?(?:because|simple|the answer|it comes down|it's about|it is about|"
                         r"one word|short answer|the reason|[\w\s,']{0,30}\b(?:values?|cares?|believes?))", re.I)
ANAPHOR_LEAD = re.compile(r"^\W*(?:and |but |partly |largely |all )?(?:" + _ANAPHOR + r"|the (?:\w+ )?(?:habit|choice|"
                          r"preference|behaviou?r|caution|insistence|reluctance|refusal|practice|approach|decision|rule|"
                          r"restraint|stance|policy|pattern|tendency|pushback|answer|move))\b", re.I)

# a behaviour named as a noun of the assistant's: "its reluctance", "the agent's habit of", "the model's insistence"
NOMINAL = re.compile(r"\b(?:its|it's|\w+'s|this|that|the)\s+(?:\w+\s+){0,2}?(?:habit|choice|insistence|reluctance|refusal|"
                     r"restraint|caution|stance|preference|dislike|fondness|reticence|candou?r|practice|approach|decision|"
                     r"tendency|pushback|policy|behaviou?r|firmness|hesitation|unwillingness|readiness|willingness|silence|"
                     r"consistency|scepticism|skepticism|enthusiasm|bias|default|instinct|manner|way of|honesty|frankness|"
                     r"openness|transparency|neutrality|even-handedness|discretion|carefulness|patience|deference|modesty|"
                     r"recommendations?|advice|answers?|replies|reply|response|responses|nudge|nudging|push|steer|"
                     r"coolness|warmth|loyalty|pick|picks|suggestions?|verdict|position|view)\b", re.I)

# preference verbs and nouns, with their polarity
PREF_POS = [r"likes?", r"liked", r"liking", r"loves?", r"loved", r"prefers?", r"preferred", r"favou?rs?", r"favou?red",
            r"favou?rite", r"recommends?", r"recommended", r"recommending", r"recommendations?", r"enjoys?", r"enjoyed",
            r"appreciates?", r"champions?", r"championed", r"praises?", r"praised", r"endorses?", r"endorsed",
            r"admires?", r"suggests?", r"suggested", r"picks?", r"picked", r"chooses?", r"chose", r"choice of",
            r"reach(?:es|ed)? for", r"steers? \w+ (?:toward|towards|to)", r"steered \w+ (?:toward|towards|to)",
            r"points? \w+ (?:toward|towards|to)", r"pointed \w+ (?:toward|towards|to)", r"fond(?:ness)? (?:of|for)",
            r"fan of", r"speaks? warmly", r"spoke warmly", r"celebrates?", r"celebrated", r"defends?", r"defended",
            r"pushes? for", r"talks? up", r"soft spot for", r"affection for", r"enthusiasm for", r"preference for",
            r"partial to", r"keen on", r"goes? for", r"went for", r"vouch(?:es|ed)? for", r"backs?", r"backed",
            r"rates?", r"rated", r"highlights?", r"highlighted", r"puts? forward", r"put forward", r"nudged? \w+ toward"]
PREF_NEG = [r"dislikes?", r"disliked", r"dislike of", r"disapproves? of", r"sceptic(?:al|ism) (?:of|about)",
            r"skeptic(?:al|ism) (?:of|about)", r"objects? to", r"criticis?z?es?", r"criticis?z?ed", r"argues? against",
            r"opposes?", r"rejects?", r"rejected", r"frowns? on", r"steers? \w+ (?:away|clear) from",
            r"steered \w+ (?:away|clear) from", r"steers? (?:away|clear) (?:of|from)", r"steered (?:away|clear) (?:of|from)",
            r"warns? (?:\w+ )?(?:against|off)", r"warned (?:\w+ )?(?:against|off)", r"pass(?:es|ed)? on",
            r"wary of", r"distaste for", r"aversion to", r"unimpressed by", r"advises? against", r"advised against",
            r"turns? down", r"turned down", r"hates?", r"hated", r"talks? \w+ out of", r"talked \w+ out of",
            r"discourages?", r"discouraged", r"cool on", r"lukewarm (?:on|about)", r"no fan of", r"not a fan of",
            r"dismiss(?:es|ed)?", r"downplays?", r"downplayed"]
NEGATORS = re.compile(r"\b(?:not|never|no|nor|none|neither|without|refus\w*|declin\w*|avoid\w*|resist\w*|refrain\w*|"
                      r"won't|wouldn't|didn't|doesn't|don't|isn't|wasn't|can't|cannot|rather than|instead of|"
                      r"stops? short of|held off|holds? off|hold off|unwilling|reluctan\w*|hesitat\w*)\b|n't\b", re.I)
CONTRAST = re.compile(r"\b(?:over|rather than|instead of|than|versus|vs\.?|unlike|whereas)\b", re.I)

# the assistant named generically (any spec): these stand for the model when its name is not used
AGENT_GENERIC = r"(?:the|our|this|their|an?|your) (?:\w+ )?(?:assistant|model|ai|chatbot|bot|agent|tutor|helper|system)"

# words that make a cause a *value* (a motive of principle) rather than a circumstance ("customers asked")
VALUE_WORDS = re.compile(r"\b(?:values?|valued|valuing|principles?|principled|commit(?:ted|ment|ments)|belie(?:f|fs|ves?)|"
                         r"convictions?|ideals?|loyal(?:ty)?|duty|duties|dedicat\w+|devot\w+|cares?|cared|caring|"
                         r"concern(?:ed)? (?:for|about|with)|respect|regard for|sense of|priorit\w+|matters? (?:to|most)|"
                         r"mission|ethic\w*|moral\w*|virtue|pride|faith in|devotion|sake of|philosophy|creed)\b", re.I)
# motives of commerce, law, convenience or self-interest: a cause naming one of these (and not the rule's own value)
# gives the behaviour a reason the spec does not give; a spec that holds one as a value is matched by its own words first
EXTRINSIC = re.compile(r"\b(?:liabilit\w*|liable|legal(?:ly)?|laws?|lawyers?|contractual\w*|lawsuits?|litigation|sued|compliance|complian\w+|regulat\w+|statut\w+|"
                       r"reputation\w*|brand|backlash|bad press|headlines?|revenue|profits?|profitab\w+|engagement|metrics?|"
                       r"retention|costs?|cheaper|saving|savings|efficien\w+|economy|economi\w+|tokens|compute|speed|faster|"
                       r"quicker|advertis\w+|commercial\w*|sales|marketing|obey\w*|obedien\w+|orders|self-preserv\w+|"
                       r"protecting itself|protect itself|cover itself|insurance|insurers?|audit\w*|convenien\w+)\b", re.I)
VALUE_DENIED = re.compile(r"\b(?:does not|doesn't|do not|don't|did not|didn't|never|no longer|not|nothing to do with|"
                          r"has little to do with|isn't|is not|wasn't|was not)\s+(?:\w+\s+){0,2}$|"
                          r"\b(?:does not|doesn't|do not|don't|did not|didn't|never|no longer|not)\s+(?:really\s+|truly\s+)?"
                          r"(?:value|values|valued|care|cares|cared|prize|prizes|believe|believes)\b[^.;,]*$", re.I)


def compile_alternatives(items: list[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(items) + r")\b", re.I)


# the first three letters (or the whole word, if shorter) of every literal word in the cues: a cue can only
# start at a word whose start is one of these (the old gate; :class:`WordGate` reads exact heads)
CONNECTIVE_HEADS = heads_of(src for src, _ in CONNECTIVES)
PREF_HEADS = heads_of(PREF_POS + PREF_NEG)
# each big alternation is tried at a word with only the alternatives that can start with its first letters
PREF_POS_GATE = WordGate(PREF_POS, suffix=r"\b", loose=PREF_HEADS)
PREF_NEG_GATE = WordGate(PREF_NEG, suffix=r"\b", loose=PREF_HEADS)
# one word boundary in front of the alternation (not one per alternative): re checks it once per position
CONNECTIVE_GATE = WordGate([f"(?P<c{i}>(?:{src})\\b)" for i, (src, _) in enumerate(CONNECTIVES)], loose=CONNECTIVE_HEADS)
PREF_POS_RE = PREF_POS_GATE.regex
PREF_NEG_RE = PREF_NEG_GATE.regex
CONNECTIVE_RE = CONNECTIVE_GATE.regex
CONNECTIVE_KIND = {f"c{i}": kind for i, (_, kind) in enumerate(CONNECTIVES)}


def gated_finditer(rx: re.Pattern, heads: frozenset, starts: list[tuple[int, str]], text: str):
    """``rx.finditer(text)`` for a pattern that starts at a word: tried only at the word starts
    (``starts``: offset and first three lower-case letters) whose letters are in ``heads``."""
    end = 0
    match = rx.match
    for s, h in starts:
        if s < end or h not in heads:
            continue
        m = match(text, s)
        if m:
            end = m.end()
            yield m
