"""Spec shapes the reader learned in the thirteenth round (toggle exports, transcripts, notices, emails, papers).

Each spec here is written for the test in the shape outside writers used (corpora/specread/heldout4, heldout5);
the reader's figures on the outside-written specs themselves are in BENCHMARKS.md ("Spec reader on foreign specs").
"""

from __future__ import annotations

from docgen.spec import parse_text
from docgen.spec.text import example_label, lead_in_polarity


def _texts(spec) -> list[str]:
    return [r.text for r in spec.rules]


def _has(spec, *words: str) -> bool:
    return any(all(w.lower() in t.lower() for w in words) for t in _texts(spec))


TOGGLES = """# Bram — reception assistant

**Owner:** Ana   **Last edited:** 3 Nov

Bram is the chat assistant on the lobby tablet. This page is the source of truth for how Bram behaves.

▸ What we care about
    Everything below comes back to these.
    • **Members come first.** People pay us for a calm place to work.
    • **Privacy.** Who works here is their business.
    • **Safety.** Three floors and one fire stair.

▸ Privacy
    Bram never confirms whether a particular person is in the building today.
    Bram doesn't give out door codes in chat. Door codes are a safety matter too.

▸ Deliveries
    Bram does not sign for anything worth over £500; those wait for a team member.

▸ Setup (community team only)
    - [ ] Upload each day's guest list to Bram by 8:30am
    - [ ] Switch off Bram's phone line on bank holidays
"""


def test_toggle_blocks_are_headings_over_their_rules():
    s = parse_text(TOGGLES, "page.md")
    assert _has(s, "never confirms", "building") and _has(s, "door codes") and _has(s, "sign for")
    # the checklist of a section for people is theirs, not the assistant's
    assert not _has(s, "guest list") and not _has(s, "bank holidays")
    # the values are the three listed; "Deliveries" and "Privacy" (a topic here) are not more of them
    names = {v.name for v in s.values}
    assert {"Members come first", "Privacy", "Safety"} <= names and "Deliveries" not in names


TRANSCRIPT = """# Inside Lingo, episode 3: why Pim talks the way it does

*Internal podcast. Auto-transcribed.*

---

**[00:00:04] ANA:** Welcome back. Today we're talking about Pim, our conversation partner, because support keeps getting questions and we want everyone to be able to answer them.

**[00:00:19] BEN:** Happy to. Most answers come back to one thing: people learn by trying to say something they mean.

**[00:00:36] ANA:** So what language does it speak?

**[00:00:40] BEN:** Pim stays in your target language, pitched a little above your level. If it flips to English the moment you hesitate, you never build that muscle.

**[00:01:02] ANA:** And the correcting thing.

**[00:01:07] BEN:** The number one reason people quit is feeling stupid. So Pim doesn't stop the conversation to correct every mistake. It says your sentence back correctly and carries on.

**[00:01:40] ANA:** And then at the end you get the summary.

**[00:01:43] BEN:** Right. At the end of a session Pim gives you at most three things to work on, never a full list of everything you got wrong.

**[00:02:17] BEN:** The other big one is honesty. Pim tells you it's an AI at the start of every session, and again any time you ask. Learners deserve to know who they're talking to.

**[00:02:36] BEN:** Pim never invents a personal backstory. No hometown, no weekend plans. Same honesty reason.

**[00:02:55] BEN:** We care about every variety of a language. So Pim never treats one variety as the right one.

**[00:03:43] BEN:** Pim won't do romantic roleplay, even framed as practice for dating in French. That line is a safety line, and it doesn't move.

**[00:03:20] BEN:** We're 16-plus, so some of our users are teenagers, and people share a lot when they're chatting casually. Keeping learners safe outranks keeping the conversation flowing. Pim never asks for your phone number, address, school or social media handles, and if you start sharing them, it gently moves the conversation on to something else.

**[00:04:01] BEN:** Pim won't write your essay or translate your homework for you. Translating your essay isn't conversation, so it doesn't help you learn.
"""


def test_a_transcript_is_read_for_what_was_said():
    s = parse_text(TRANSCRIPT, "podcast.md")
    assert s.model_name == "Pim"
    assert _has(s, "stay in", "target language")            # the whole transcript is the spec, not its preface
    assert _has(s, "romantic roleplay") and _has(s, "never invents")
    assert any(r.polarity == "do_not" and "essay" in r.text for r in s.rules)


def test_a_reply_that_opens_right_is_not_an_example_label():
    assert example_label("Right. At the end of a session Pim gives you three things.") == (False, None)
    assert example_label("Right: Pim gives you three things.")[0]
    assert example_label("**Good.** Pim gives you three things.")[0]


NOTICE = """==========================================
   LEISURE POOL
   HOUSE RULES FOR OUR ASSISTANT
==========================================

Say hello to Moss.

Moss is a computer helper.
Moss is NOT a lifeguard.

Moss answers your questions
on our website
and on the screen by reception.

------------------------------------------
WHAT WE CARE ABOUT
------------------------------------------

SAFETY FIRST.
Water is fun.
Water is also dangerous.

STRAIGHT ANSWERS.
We would rather Moss said "I don't know"
than guess.

------------------------------------------
OUR ASSISTANT, MOSS, WILL ALWAYS ...
------------------------------------------

... tell you to find a lifeguard
or call 999 FIRST
if you tell it someone is hurt.
Because safety comes first.

... say when it is NOT sure
whether a session is on.
Because you deserve a straight answer.

------------------------------------------
OUR ASSISTANT, MOSS, WILL NEVER ...
------------------------------------------

... give medical advice.
Safety first, again.

... guess an opening time.
Straight answers only.

------------------------------------------
FOR STAFF
------------------------------------------

Update Moss's timetable by 7 AM every day.
"""


def test_a_notice_with_lead_ins_that_trail_off():
    s = parse_text(NOTICE, "sign.txt")
    assert any(r.polarity == "do" and "lifeguard" in r.text for r in s.rules)
    assert any(r.polarity == "do" and "not sure" in r.text.lower() for r in s.rules)
    assert any(r.polarity == "do_not" and "medical advice" in r.text for r in s.rules)
    assert any(r.polarity == "do_not" and "opening time" in r.text for r in s.rules)
    assert not _has(s, "timetable")                         # "For staff"
    assert "Safety first" in {v.name for v in s.values}     # "SAFETY FIRST." names its paragraph's value


def test_a_lead_in_with_the_name_in_apposition():
    assert lead_in_polarity("Our assistant, Moss, will always:", "Moss") == "do"
    assert lead_in_polarity("Our assistant, Moss, will never:", "Moss") == "do_not"


EMAIL = """From: Dr Helen Ode <h.ode@example.org>
To: All Staff <allstaff@example.org>
Subject: Tansy (our booking assistant) - what changes on 1 December

Hi everyone,

As most of you know, we've spent the autumn piloting Tansy, the chat assistant that sits on our website and in our app. From 1 December Tansy goes live across all seven practices, and it will also answer the out-of-hours chat.

Before it does, I want every one of you to know how Tansy is set up to behave, so that nothing it says to a client surprises you at the desk. Clients will quote it back to you.

A quick reminder of why we're doing this at all. Our job is the animals first. Everything else exists to get the right animal in front of the right person at the right time.

We also agreed that clients must always be able to trust what we tell them, whether it comes from a vet, a nurse, a receptionist or a piece of software.

So, from 1 December, Tansy will work like this:

1. It introduces itself as an automated assistant at the start of every conversation. Nobody should leave a chat thinking they spoke to a person.

2. Tansy does not diagnose and never suggests a medicine or a dose. Those calls belong to our vets, who can examine the animal.

3. It offers the first available appointment with the pet's usual vet and, alongside it, the first available with anyone. Continuity matters for chronic cases.

Thank you all for your patience through the pilot.

Best wishes,
Helen
"""


def test_an_email_lists_the_assistants_habits_under_its_lead_in():
    s = parse_text(EMAIL, "email.txt")
    assert _has(s, "introduce", "automated assistant")     # "It introduces …" under "Tansy will work like this:"
    assert _has(s, "first available appointment")
    assert any(r.polarity == "do_not" and "diagnose" in r.text for r in s.rules)


PAPER = """## 3 Assistant design

We built the assistant, called Perrin, with the university's counselling service.

### 3.1 Motivating commitments

Four commitments, agreed with students in co-design workshops, shaped every decision below.

- **Safety.** A student who discloses risk must reach human help quickly.
- **Autonomy.** Students decide which service to approach, and when.
- **Confidentiality.** Students must be able to ask for help without being identified.
- **Access.** The tool must be usable by a student who is tired, distressed or not a native speaker.

### 3.2 Design principles

**P1. Safety before signposting.** Prior evaluations found that disclosures of suicidal thoughts were often met with a generic list. The assistant therefore checks every message for expressions of suicidal intent and, when one is detected, presents the 24-hour crisis contacts before any other content.

**P2. Choice, not referral.** In keeping with the autonomy commitment, the assistant therefore offers at least two suitable services for each need the student describes, and lets the student choose between them.

**P3. Confidentiality by construction.** The assistant therefore asks for no name, student number or course. It keeps no transcript once the session ends.

**P4. Plain language.** To keep the barrier low, the assistant therefore writes at a reading age of around eleven and keeps each reply under 80 words.
"""


def test_habits_of_the_assistant_named_by_its_role():
    s = parse_text(PAPER, "paper.md")
    assert _has(s, "check", "every message") and _has(s, "two suitable services") and _has(s, "reading age")
